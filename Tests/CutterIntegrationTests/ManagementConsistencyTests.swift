import Foundation
import Testing

/// Management writes that must not race: a check and its write are one atomic step in Redis,
/// and a deleted current version leaves no pointer behind.
@Suite(.serialized, .enabled(if: TestEnvironment.isReady, TestEnvironment.notReady))
struct ManagementConsistencyTests {
    private func addApp(_ cluster: TestCluster, _ name: String, defaultOutput: String) async throws -> HTTPReply {
        try await cluster.admin("add_app", #"{"name":"\#(name)","input_type":"doubles","default_output":"\#(defaultOutput)","latency_slo_micros":100000}"#)
    }

    @Test func concurrentAddAppsOfOneNameGiveOneSuccessAndOneConflict() async throws {
        let cluster = try await TestCluster()
        defer { cluster.stop() }
        for round in 0..<25 {
            let name = "app\(round)"
            async let first = addApp(cluster, name, defaultOutput: "first")
            async let second = addApp(cluster, name, defaultOutput: "second")
            let replies = try await [first, second]
            #expect(replies.map(\.status).sorted() == [200, 409], "round \(round): \(replies.map(\.body))")
            // The stored record is the one that was acknowledged.
            let winner = replies[0].status == 200 ? "first" : "second"
            let stored = try await cluster.admin("get_application", #"{"name":"\#(name)"}"#)
            #expect(stored.object["default_output"] as? String == winner)
        }
    }

    @Test func concurrentAddModelsOfOneVersionGiveOneSuccessAndOneConflict() async throws {
        let cluster = try await TestCluster()
        defer { cluster.stop() }
        for round in 0..<25 {
            let body = #"{"model_name":"m\#(round)","model_version":"1","input_type":"doubles"}"#
            async let first = cluster.admin("add_model", body)
            async let second = cluster.admin("add_model", body)
            let statuses = try await [first, second].map(\.status).sorted()
            #expect(statuses == [200, 409], "round \(round)")
        }
    }

    @Test func deletingTheCurrentVersionLeavesNoPointerToIt() async throws {
        let cluster = try await TestCluster()
        defer { cluster.stop() }
        #expect(try await addApp(cluster, "sum-app", defaultOutput: "0").status == 200)
        for version in ["1", "2"] {
            #expect(try await cluster.admin("add_model", #"{"model_name":"sum","model_version":"\#(version)","input_type":"doubles"}"#).status == 200)
        }
        // Version 2 is current; deleting it leaves the model with no current version.
        #expect(try await cluster.admin("delete_versioned_model", #"{"model_name":"sum","model_version":"2"}"#).status == 200)
        let redis = try cluster.redisClient()
        redis.run("SELECT", "6")
        #expect(redis.run("EXISTS", "CURRENT_MODEL_VERSION:sum") == ["0"])
        let models = try #require(try await cluster.admin("get_all_models", #"{"verbose":true}"#).json as? [[String: Any]])
        #expect(models.count == 1 && models[0]["is_current_version"] as? Bool == false)
        // Linking says what is missing, not a misleading input type; after set_model_version it works.
        let refused = try await cluster.admin("add_model_links", #"{"app_name":"sum-app","model_names":["sum"]}"#)
        #expect(refused.status == 404, "\(refused.body)")
        #expect((refused.object["cause"] as? String)?.contains("incompatible") == false, "\(refused.body)")
        #expect(try await cluster.admin("set_model_version", #"{"model_name":"sum","model_version":"1"}"#).status == 200)
        #expect(try await cluster.admin("add_model_links", #"{"app_name":"sum-app","model_names":["sum"]}"#).status == 200)
        // Deleting a version that is not current leaves the current one alone.
        #expect(try await cluster.admin("add_model", #"{"model_name":"sum","model_version":"3"}"#.replacingOccurrences(of: "}", with: #","input_type":"doubles"}"#)).status == 200)
        #expect(try await cluster.admin("set_model_version", #"{"model_name":"sum","model_version":"1"}"#).status == 200)
        #expect(try await cluster.admin("delete_versioned_model", #"{"model_name":"sum","model_version":"3"}"#).status == 200)
        #expect(redis.run("GET", "CURRENT_MODEL_VERSION:sum") == ["1"])
    }
}
