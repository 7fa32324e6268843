import Foundation
import Testing

/// The frontend registry in Redis DB 4: every frontend records where containers reach it, the
/// management API lists them, and a frontend that stops (cleanly, or killed) leaves it.
@Suite(.serialized, .enabled(if: TestEnvironment.isReady, TestEnvironment.notReady))
struct FrontendRegistryTests {
    static func frontends(_ cluster: TestCluster) async throws -> [[String: Any]] {
        try await cluster.admin("get_all_frontends", "{}").json as? [[String: Any]] ?? []
    }

    @Test func frontendsRegisterAndLeave() async throws {
        let first = try await TestCluster()
        defer { first.stop() }
        let second = try await TestCluster(sharingRedisWith: first, settings: ["rpc_advertise_address=10.1.2.3:7000"])
        defer { second.stop() }
        let third = try await TestCluster(sharingRedisWith: first)
        defer { third.stop() }
        try await waitUntil("three frontends are registered") { try await Self.frontends(first).count == 3 }
        let listed = try await Self.frontends(second)
        let addresses = Set(listed.compactMap { $0["rpc_address"] as? String })
        #expect(addresses.contains("10.1.2.3:7000"), "the advertised address: \(listed)")
        #expect(addresses.contains { $0.hasSuffix(":\(first.rpcPort)") }, "the first one's RPC port: \(listed)")
        #expect(listed.allSatisfy { ($0["id"] as? String)?.count == 16 && ($0["started_at"] as? Int ?? 0) > 1_700_000_000 })
        // A clean stop leaves the registry at once; a killed frontend when its record expires.
        second.cutter.stop()
        try await waitUntil("the stopped frontend left") { try await Self.frontends(first).count == 2 }
        third.cutter.stop(signal: SIGKILL)
        try await waitUntil("the killed frontend's record expired", timeout: 30) { try await Self.frontends(first).count == 1 }
    }

    @Test func aRestartedRedisGetsTheRegistryBack() async throws {
        let first = try await TestCluster()
        defer { first.stop() }
        let second = try await TestCluster(sharingRedisWith: first)
        defer { second.stop() }
        try await waitUntil("two frontends are registered") { try await Self.frontends(first).count == 2 }
        // This Redis keeps nothing on disk: restarted, it is empty until the frontends refresh.
        first.redis?.stop()
        try await first.startRedis()
        try await waitUntil("both frontends registered again") { try await Self.frontends(first).count == 2 }
    }
}

/// Containers started with `--redis` join every frontend of the registry.
@Suite(.serialized, .enabled(if: TestEnvironment.isReady, TestEnvironment.notReady))
struct ScaleOutTests {
    @Test func aContainerWithRedisServesEveryFrontend() async throws {
        let first = try await TestCluster()
        defer { first.stop() }
        let second = try await TestCluster(sharingRedisWith: first)
        defer { second.stop() }
        try await first.deploy(app: "shared", model: "sum")
        let container = try ManagedProcess(TestEnvironment.python, ["-m", "cutter_container", "--model", "sum", "--name", "sum",
                                                                   "--redis", "127.0.0.1:\(first.redisPort)"],
                                           environment: ["PYTHONUNBUFFERED": "1"], name: "joins-all")
        defer { container.stop() }
        for cluster in [first, second] {
            try await waitUntil("the container joined the frontend on \(cluster.queryPort)") {
                guard container.isRunning else { throw TestFailure("container exited:\n\(container.log)") }
                return try await cluster.metric(#"cutter_model_replicas{model="sum",version="1"}"#) == 1
            }
            let reply = try await cluster.predict("shared", #"{"input":[1.0,2.0]}"#)
            #expect(reply.object["output"] as? Double == 3.0, "\(reply.body)")
        }
        // A third frontend is joined as soon as it registers.
        let third = try await TestCluster(sharingRedisWith: first)
        defer { third.stop() }
        try await waitUntil("the container joined the new frontend") {
            try await third.metric(#"cutter_model_replicas{model="sum",version="1"}"#) == 1
        }
        #expect(try await third.predict("shared", #"{"input":[2.0,2.0]}"#).object["output"] as? Double == 4.0)
        // A frontend killed with -9 takes nothing from the others: they keep their predictions.
        second.cutter.stop(signal: SIGKILL)
        for (index, cluster) in [first, third].enumerated() {
            for value in 0..<5 {
                let reply = try await cluster.predict("shared", #"{"input":[\#(index).0,\#(value).5]}"#)
                #expect(reply.object["default"] as? Bool == false, "\(reply.body)")
            }
        }
    }
}
