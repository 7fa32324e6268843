import Foundation
import Testing

/// The Swift container SDK end to end: its example, the built `cutter-swift-sum`, against a real
/// `cutter serve` over TCP, with NULL and with PLAIN, and across a restart of the frontend.
@Suite(.serialized, .enabled(if: TestEnvironment.isReadyForSwiftSDK, TestEnvironment.notReadyForSwiftSDK))
struct SwiftSDKTests {
    /// Starts `cutter-swift-sum` as model `name` version 1 and waits until cutter counts it as that
    /// version's one replica (Cutter's own state, as `TestCluster.startContainer` waits).
    private func startSum(_ cluster: TestCluster, name: String = "sum", extra: [String] = []) async throws -> ManagedProcess {
        let container = try ManagedProcess(TestEnvironment.swiftSumBinary, ["--name", name, "--version", "1", "--host", "127.0.0.1",
                                                            "--port", String(cluster.rpcPort)] + extra,
                                           name: "swift-\(name)")
        try await waitUntil("cutter registered the Swift container of \(name):1") {
            guard container.isRunning else { throw TestFailure("cutter-swift-sum exited:\n\(container.log)") }
            return try await cluster.metric(#"cutter_model_replicas{model="\#(name)",version="1"}"#) == 1
        }
        return container
    }

    @Test func servesSingleAndBatchedPredictions() async throws {
        let cluster = try await TestCluster()
        defer { cluster.stop() }
        try await cluster.deploy(app: "swift-sum", model: "sum")
        let container = try await startSum(cluster)
        defer { container.stop() }

        let single = try await cluster.predict("swift-sum", #"{"input":[1.0,2.0,3.0]}"#)
        #expect(single.status == 200)
        #expect(single.object["output"] as? Double == 6.0, "\(single.body)\n\(container.log)")
        #expect(single.object["default"] as? Bool == false)
        let batch = try await cluster.predict("swift-sum", #"{"input_batch":[[1.0],[2.0,3.0],[4,5,6],[-0.5]]}"#)
        let predictions = try #require(batch.object["batch_predictions"] as? [[String: Any]], "\(batch.body)")
        #expect(predictions.map { $0["output"] as? Double } == [1.0, 5.0, 15.0, -0.5])
        #expect(predictions.allSatisfy { $0["default"] as? Bool == false })
        // Registered under the flags' name and version, as Clipper's containers are.
        let containers = try await cluster.admin("get_all_containers", #"{"verbose":false}"#).json as? [String]
        #expect(containers == ["sum:1:0"])
    }

    @Test func authenticatesWithTheFrontendsSecret() async throws {
        let cluster = try await TestCluster(settings: ["rpc_secret=swift-sdk-secret"])
        defer { cluster.stop() }
        try await cluster.deploy(app: "guarded", model: "sum")
        let container = try await startSum(cluster, extra: ["--secret", "swift-sdk-secret"])
        defer { container.stop() }
        let reply = try await cluster.predict("guarded", #"{"input":[1.5,2.0]}"#)
        #expect(reply.object["output"] as? Double == 3.5, "\(reply.body)\n\(container.log)")

        // A wrong secret is refused at the handshake: the container never becomes a replica.
        let impostor = try ManagedProcess(TestEnvironment.swiftSumBinary, ["--name", "impostor", "--port", String(cluster.rpcPort)],
                                          environment: ["CUTTER_RPC_SECRET": "guess"], name: "swift-impostor")
        defer { impostor.stop() }
        try await waitUntil("cutter refused the wrong secret") { cluster.logs.contains("wrong secret") }
        #expect(try await cluster.metric(#"cutter_model_replicas{model="impostor",version="1"}"#) == nil)
        #expect(impostor.isRunning, "a refused container keeps retrying:\n\(impostor.log)")
    }

    @Test func reconnectsWhenTheFrontendRestarts() async throws {
        let cluster = try await TestCluster()
        defer { cluster.stop() }
        try await cluster.deploy(app: "swift-sum", model: "sum")
        let container = try await startSum(cluster)
        defer { container.stop() }
        #expect(try await cluster.predict("swift-sum", #"{"input":[1.0]}"#).object["output"] as? Double == 1.0)

        cluster.cutter.stop()
        try await cluster.startCutter()
        try await waitUntil("the Swift container registered with the new frontend") {
            guard container.isRunning else { throw TestFailure("cutter-swift-sum exited:\n\(container.log)") }
            return try await cluster.metric(#"cutter_model_replicas{model="sum",version="1"}"#) == 1
        }
        let reply = try await cluster.predict("swift-sum", #"{"input":[2.0,2.0]}"#)
        #expect(reply.object["output"] as? Double == 4.0, "\(reply.body)\n\(container.log)")
    }

    @Test func stopsCleanlyOnSIGTERM() async throws {
        let cluster = try await TestCluster()
        defer { cluster.stop() }
        try await cluster.deploy(app: "swift-sum", model: "sum")
        let container = try await startSum(cluster)
        container.stop()
        #expect(container.terminationStatus == 0, "\(container.log)")
        #expect(container.log.contains("stopped"))
        try await waitUntil("cutter dropped the replica") {
            try await cluster.metric(#"cutter_model_replicas{model="sum",version="1"}"#) ?? 0 == 0
        }
    }
}
