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
}
