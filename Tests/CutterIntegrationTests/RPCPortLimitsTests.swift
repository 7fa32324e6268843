import Foundation
import Testing

/// Any peer can reach the RPC port: before it has registered as a container it may hold only a
/// little memory, for a little while, and only so many peers at once.
@Suite(.serialized, .enabled(if: TestEnvironment.isReady, TestEnvironment.notReady))
struct RPCPortLimitsTests {
    @Test func anUnregisteredPeerCannotMakeTheServerHoldALargeFrame() async throws {
        let cluster = try await TestCluster()
        defer { cluster.stop() }
        try await cluster.deploy(app: "sum-app", model: "sum")
        try await cluster.startContainer(model: "sum", name: "sum")
        let peer = try RawConnection(port: cluster.rpcPort)
        peer.send(RawConnection.zmtpGreeting)
        // A frame announced as 64 MiB, its first 128 KiB sent, the rest never: before registration
        // the server refuses any frame over 64 KiB instead of buffering it.
        var header: [UInt8] = [0x02]
        withUnsafeBytes(of: UInt64(64 << 20).bigEndian) { header += $0 }
        peer.send(header + [UInt8](repeating: 7, count: 128 << 10))
        #expect(await peer.waitForClose(), "the server keeps the connection of a peer announcing a 64 MiB frame")
        #expect(try await cluster.predict("sum-app", #"{"input":[1.0, 2.0]}"#).object["output"] as? Double == 3)
    }

    @Test func aPeerThatNeverRegistersIsDroppedAfterTheHandshakeTimeout() async throws {
        let cluster = try await TestCluster(settings: ["rpc_handshake_timeout_seconds=1"])
        defer { cluster.stop() }
        let silent = try RawConnection(port: cluster.rpcPort)
        silent.send(RawConnection.zmtpGreeting)
        #expect(await silent.waitForClose(seconds: 10), "a peer that only greets is held past the handshake timeout")
    }

    @Test func connectionsBeyondTheCapAreRefusedAndContainersKeepServing() async throws {
        let cluster = try await TestCluster(settings: ["max_rpc_connections=2"])
        defer { cluster.stop() }
        try await cluster.deploy(app: "sum-app", model: "sum")
        try await cluster.startContainer(model: "sum", name: "sum")
        let second = try RawConnection(port: cluster.rpcPort)
        second.send(RawConnection.zmtpGreeting)
        let third = try RawConnection(port: cluster.rpcPort)
        #expect(await third.waitForClose(), "a connection past max_rpc_connections is accepted")
        #expect(try await cluster.predict("sum-app", #"{"input":[2.0, 2.0]}"#).object["output"] as? Double == 4)
        _ = second
    }
}
