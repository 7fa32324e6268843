import Foundation
import Glibc
import Testing

/// The management API against a real redis-server and a real `cutter serve`, with records read
/// back by a plain Redis client.
@Suite(.serialized, .enabled(if: TestEnvironment.isReady, TestEnvironment.notReady))
struct ManagementAPITests {
    private let addApp = #"{"name":"sum-app","input_type":"doubles","default_output":"-1.0","latency_slo_micros":20000}"#
    private func addModel(_ version: String, type: String = "doubles") -> String {
        #"{"model_name":"sum","model_version":"\#(version)","labels":["a","b"],"input_type":"\#(type)","container_name":"img","model_data_path":"DEPRECATED","batch_size":-1}"#
    }

    @Test func applicationsAreStoredInClipperSchema() async throws {
        let cluster = try await TestCluster()
        defer { cluster.stop() }
        let added = try await cluster.admin("add_app", addApp)
        #expect(added.status == 200)
        #expect(added.body == "Successfully added application with name 'sum-app'")
        let redis = try cluster.redisClient()
        #expect(redis.hash(db: 5, "sum-app") == ["input_type": "doubles", "policy": "DefaultOutputSelectionPolicy",
                                                 "default_output": "-1.0", "latency_slo_micros": "20000"])
        let duplicate = try await cluster.admin("add_app", addApp)
        #expect(duplicate.status == 409)
        #expect(duplicate.object["cause"] as? String == "application 'sum-app' already exists")

        let listed = try await cluster.admin("get_all_applications", #"{"verbose":true}"#)
        let apps = try #require(listed.json as? [[String: Any]])
        #expect(apps.count == 1)
        #expect(apps[0]["name"] as? String == "sum-app")
        #expect(apps[0]["latency_slo_micros"] as? Int == 20000)
        #expect(apps[0]["linked_models"] as? [String] == [])
        let names = try await cluster.admin("get_all_applications", #"{"verbose":false}"#)
        #expect(names.json as? [String] == ["sum-app"])
        let one = try await cluster.admin("get_application", #"{"name":"sum-app"}"#)
        #expect(one.object["input_type"] as? String == "doubles")
        let missing = try await cluster.admin("get_application", #"{"name":"nope"}"#)
        #expect(missing.status == 200 && missing.body == "{}")

        let deleted = try await cluster.admin("delete_app", #"{"name":"sum-app"}"#)
        #expect(deleted.status == 200)
        #expect(redis.hash(db: 5, "sum-app").isEmpty)
        #expect(try await cluster.admin("delete_app", #"{"name":"sum-app"}"#).status == 404)
    }

    @Test func modelsVersionsAndLinks() async throws {
        let cluster = try await TestCluster()
        defer { cluster.stop() }
        let redis = try cluster.redisClient()
        _ = try await cluster.admin("add_app", addApp)
        let added = try await cluster.admin("add_model", addModel("1"))
        #expect(added.status == 200)
        #expect(added.body == "Successfully added model with name 'sum' and input type 'doubles'")
        #expect(redis.hash(db: 2, "sum:1") == ["model_name": "sum", "model_version": "1", "load": "0.000000", "input_type": "doubles",
                                               "labels": "a,b", "container_name": "img", "model_data_path": "DEPRECATED",
                                               "batch_size": "-1", "valid": ""])
        redis.run("SELECT", "6")
        #expect(redis.run("GET", "CURRENT_MODEL_VERSION:sum") == ["1"])
        #expect(try await cluster.admin("add_model", addModel("1")).status == 409)

        #expect(try await cluster.admin("add_model_links", #"{"app_name":"sum-app","model_names":["sum"]}"#).status == 200)
        redis.run("SELECT", "7")
        #expect(redis.run("SMEMBERS", "sum-app") == ["sum"])
        #expect(try await cluster.admin("get_linked_models", #"{"app_name":"sum-app"}"#).json as? [String] == ["sum"])
        let again = try await cluster.admin("add_model_links", #"{"app_name":"sum-app","model_names":["sum"]}"#)
        #expect(again.status == 409)

        // A new version with another input type would break the linked app.
        let incompatible = try await cluster.admin("add_model", addModel("2", type: "strings"))
        #expect(incompatible.status == 400)
        #expect((incompatible.object["cause"] as? String)?.contains("already linked to app 'sum-app'") == true)

        #expect(try await cluster.admin("add_model", addModel("2")).status == 200)
        let models = try #require(try await cluster.admin("get_all_models", #"{"verbose":true}"#).json as? [[String: Any]])
        #expect(models.count == 2)
        #expect(models.first { $0["model_version"] as? String == "2" }?["is_current_version"] as? Bool == true)
        #expect(models.first { $0["model_version"] as? String == "1" }?["is_current_version"] as? Bool == false)
        #expect(try await cluster.admin("get_all_models", #"{"verbose":false}"#).json as? [String] == ["sum:1", "sum:2"])

        #expect(try await cluster.admin("set_model_version", #"{"model_name":"sum","model_version":"1"}"#).status == 200)
        #expect(try await cluster.admin("get_model", #"{"model_name":"sum","model_version":"1"}"#).object["is_current_version"] as? Bool == true)
        #expect(try await cluster.admin("set_model_version", #"{"model_name":"sum","model_version":"9"}"#).status == 404)
        #expect(try await cluster.admin("set_model_version", #"{"model_name":"nope","model_version":"1"}"#).status == 404)

        #expect(try await cluster.admin("delete_versioned_model", #"{"model_name":"sum","model_version":"2"}"#).status == 200)
        #expect(redis.hash(db: 2, "sum:2").isEmpty)
        #expect(try await cluster.admin("delete_versioned_model", #"{"model_name":"sum","model_version":"2"}"#).status == 404)

        #expect(try await cluster.admin("delete_model_links", #"{"app_name":"sum-app","model_names":["sum"]}"#).body == "Success!")
        #expect(try await cluster.admin("get_linked_models", #"{"app_name":"sum-app"}"#).json as? [String] == [])
        #expect(try await cluster.admin("delete_model_links", #"{"app_name":"sum-app","model_names":["sum"]}"#).status == 404)
        #expect(try await cluster.admin("get_linked_models", #"{"app_name":"nope"}"#).status == 404)
    }

    @Test func linkingChecksAppModelAndInputType() async throws {
        let cluster = try await TestCluster()
        defer { cluster.stop() }
        _ = try await cluster.admin("add_app", addApp)
        _ = try await cluster.admin("add_model", addModel("1", type: "strings"))
        #expect(try await cluster.admin("add_model_links", #"{"app_name":"nope","model_names":["sum"]}"#).status == 404)
        #expect(try await cluster.admin("add_model_links", #"{"app_name":"sum-app","model_names":["nope"]}"#).status == 404)
        let mismatch = try await cluster.admin("add_model_links", #"{"app_name":"sum-app","model_names":["sum"]}"#)
        #expect(mismatch.status == 400)
        #expect((mismatch.object["cause"] as? String)?.contains("incompatible input_type 'strings'") == true)
        #expect(try await cluster.admin("add_model_links", #"{"app_name":"sum-app","model_names":[]}"#).status == 400)
    }

    @Test func badInputGetsJSONErrorsAndTheServerKeepsServing() async throws {
        let cluster = try await TestCluster(settings: ["max_body_bytes=4096"])
        defer { cluster.stop() }
        let cases: [(String, String, Int)] = [
            ("add_app", #"{"name":"a""#, 400),
            ("add_app", #"{"name":"a","input_type":"tensor","default_output":"0","latency_slo_micros":1}"#, 400),
            ("add_app", #"{"name":"a:b","input_type":"doubles","default_output":"0","latency_slo_micros":1}"#, 400),
            ("add_app", #"{"name":"a","input_type":"doubles","default_output":"0","latency_slo_micros":-5}"#, 400),
            ("add_app", #"{"name":"a","input_type":"doubles","default_output":"0"}"#, 400),
            ("add_model", #"{"model_name":"m","model_version":"1","input_type":"doubles","batch_size":0}"#, 400),
            ("get_all_applications", #"{"verbose":"yes"}"#, 400),
            ("get_all_applications", "[]", 400),
            ("no_such_endpoint", "{}", 404),
        ]
        for (endpoint, body, status) in cases {
            let reply = try await cluster.admin(endpoint, body)
            #expect(reply.status == status, "\(endpoint) \(body) -> \(reply.status) \(reply.body)")
            #expect(reply.object["error"] is String && reply.object["cause"] is String, "\(reply.body)")
        }
        let oversize = try await HTTP.request("POST", port: cluster.managementPort, "/admin/add_app",
                                              bytes: Data(repeating: UInt8(ascii: " "), count: 10_000))
        #expect(oversize.status == 413)
        #expect(oversize.object["error"] as? String == "Request too large")
        let wrongMethod = try await HTTP.get(port: cluster.managementPort, "/admin/add_app")
        #expect(wrongMethod.status == 405)
        #expect(try await HTTP.get(port: cluster.managementPort, "/admin/ping").body == "PONG")
        #expect(try await cluster.admin("add_app", addApp).status == 200)
        #expect(cluster.cutter.isRunning)
    }

    @Test func recordsWrittenByAdminScriptsAreVisible() async throws {
        let cluster = try await TestCluster()
        defer { cluster.stop() }
        let script = TestEnvironment.packageRoot + "/redis/admin/add-app.sh"
        let added = try ManagedProcess(script, ["scripted", "doubles", "0.5", "15000"], environment: ["REDIS_PORT": String(cluster.redisPort)], name: "script")
        added.waitUntilExit()
        #expect(added.terminationStatus == 0, "\(added.log)")
        let names = try await cluster.admin("get_all_applications", #"{"verbose":false}"#)
        #expect(names.json as? [String] == ["scripted"])
        // The running frontend learns of it through keyspace notifications, without a restart.
        try await waitUntil("the frontend serves the scripted app") {
            try await cluster.predict("scripted", #"{"input":[1.0]}"#).status == 200
        }
        let reply = try await cluster.predict("scripted", #"{"input":[1.0]}"#)
        #expect(reply.object["default"] as? Bool == true)
        #expect(reply.object["output"] as? Double == 0.5)

        // A container record written the way Clipper's frontend writes it is listed.
        let redis = try cluster.redisClient()
        redis.run("SELECT", "3")
        redis.run(["HSET", "m,1,0", "model_id", "m:1", "model_name", "m", "model_version", "1", "model_replica_id", "0",
                   "zmq_connection_id", "4", "batch_size", "1", "input_type", "doubles"])
        #expect(try await cluster.admin("get_all_containers", #"{"verbose":false}"#).json as? [String] == ["m:1:0"])
        let container = try await cluster.admin("get_container", #"{"model_name":"m","model_version":"1","replica_id":0}"#)
        #expect(container.object["model_id"] as? String == "m:1")
        #expect(container.object["model_replica_id"] as? Int == 0)
    }

    @Test func queryFrontendAnswersUnknownAppsAndHealth() async throws {
        let cluster = try await TestCluster()
        defer { cluster.stop() }
        let unknown = try await cluster.predict("nope", #"{"input":[1.0]}"#)
        #expect(unknown.status == 404)
        #expect((unknown.object["cause"] as? String)?.contains("nope") == true)
        _ = try await cluster.admin("add_app", addApp)
        let noModel = try await cluster.predict("sum-app", #"{"input":[1.0]}"#)
        #expect(noModel.status == 200)
        #expect(noModel.object["default"] as? Bool == true)
        #expect(noModel.object["default_explanation"] as? String == "No connected models found for query")
        let health = try await HTTP.get(port: cluster.queryPort, "/healthz")
        #expect(health.status == 200 && health.object["redis"] as? String == "connected")
        #expect(try await HTTP.get(port: cluster.queryPort, "/nowhere/at/all").status == 404)
    }

    @Test func servingSurvivesARedisRestart() async throws {
        let cluster = try await TestCluster()
        defer { cluster.stop() }
        #expect(try await cluster.admin("add_app", addApp).status == 200)
        cluster.redis?.stop(signal: SIGKILL)
        // Queries are answered from the mirror; the management API says Redis is away.
        #expect(try await cluster.predict("sum-app", #"{"input":[1.0]}"#).status == 200)
        let unavailable = try await cluster.admin("get_all_applications", #"{"verbose":false}"#)
        #expect(unavailable.status == 503, "\(unavailable.body)")
        try await waitUntil("readiness reports Redis gone") { try await HTTP.get(port: cluster.queryPort, "/readyz").status == 503 }
        // A new, empty Redis: the frontend reconnects, reloads, and forgets the app that is gone.
        try await cluster.startRedis()
        try await waitUntil("the frontend forgets the vanished app") {
            try await cluster.predict("sum-app", #"{"input":[1.0]}"#).status == 404
        }
        #expect(try await HTTP.get(port: cluster.queryPort, "/readyz").status == 200)
        #expect(try await cluster.admin("add_app", addApp).status == 200)
        #expect(try await cluster.predict("sum-app", #"{"input":[1.0]}"#).status == 200)
    }
}
