import Foundation
import Testing

/// Authentication with real processes: the management token (Bearer and Basic), container
/// secrets (ZMTP PLAIN) and the separate metrics port.
@Suite(.serialized, .enabled(if: TestEnvironment.isReady, TestEnvironment.notReady))
struct SecurityTests {
    @Test func theManagementAPINeedsItsToken() async throws {
        let cluster = try await TestCluster(settings: ["management_token=s3cret-token"])
        defer { cluster.stop() }
        let body = #"{"verbose":false}"#
        func call(_ authorization: String?) async throws -> RawReply? {
            // A raw socket: Foundation's URLSession on Linux stalls on a 401 challenge it cannot answer.
            let connection = try RawConnection(port: cluster.managementPort)
            connection.send("POST /admin/get_all_applications HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n"
                + (authorization.map { "Authorization: \($0)\r\n" } ?? "") + "\r\n" + body)
            return await connection.readReply()
        }
        for authorization in [nil, "Bearer wrong", "Bearer s3cret-toke", "Basic " + Data("admin:wrong".utf8).base64EncodedString(), "s3cret-token"] {
            let refused = try await call(authorization)
            #expect(refused?.status == 401, "\(authorization ?? "none")")
            #expect(refused?.object["error"] as? String == "Unauthorized", "\(authorization ?? "none")")
            #expect(refused?.headers["www-authenticate"]?.contains("Bearer") == true)
        }
        #expect(try await call("Bearer s3cret-token")?.status == 200)
        #expect(try await call("Basic " + Data("anyone:s3cret-token".utf8).base64EncodedString())?.status == 200)
        // Ping is a management call too.
        let ping = try RawConnection(port: cluster.managementPort)
        ping.send("GET /admin/ping HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(await ping.readReply()?.status == 401)
        // The query port needs no token.
        try await cluster.deploy(app: "open", model: "sum")
        #expect(try await cluster.predict("open", #"{"input":[1.0]}"#).status == 200)
    }

    @Test func withASecretOnlyContainersThatKnowItAreServed() async throws {
        let cluster = try await TestCluster(settings: ["rpc_secret=container-secret", "rpc_model_pattern=su*"])
        defer { cluster.stop() }
        // A NULL peer (Clipper's containers, or anyone) is refused at the greeting.
        let null = try RawConnection(port: cluster.rpcPort)
        null.send(RawConnection.zmtpGreeting)
        #expect(await null.waitForClose())
        // A PLAIN peer with the wrong password gets ERROR and is closed.
        let wrong = try RawConnection(port: cluster.rpcPort)
        wrong.send(RawConnection.zmtpGreeting(mechanism: "PLAIN") + Self.hello(password: "guess"))
        let answer = await wrong.readUntilClose()
        #expect(answer.map { String(decoding: $0, as: UTF8.self).contains("ERROR") } == true, "\(answer ?? [])")
        // The SDK with the secret registers and serves.
        try await cluster.deploy(app: "guarded", model: "sum")
        try await cluster.startContainer(model: "sum", name: "sum", extra: ["--secret", "container-secret"])
        let reply = try await cluster.predict("guarded", #"{"input":[1.0,2.0]}"#)
        #expect(reply.object["output"] as? Double == 3.0, "\(reply.body)")
        #expect(cluster.logs.contains("refused a container connection"))
        // With the secret but a model name outside rpc_model_pattern: refused at registration.
        let outsider = try ManagedProcess(TestEnvironment.python, ["-m", "cutter_container", "--model", "sum", "--name", "other",
                                                                  "--port", String(cluster.rpcPort), "--secret", "container-secret"], name: "outsider")
        defer { outsider.stop() }
        try await waitUntil("the outsider is refused") { cluster.logs.contains("which rpc_model_pattern does not allow") }
        #expect(try await cluster.metric(#"cutter_model_replicas{model="other",version="1"}"#) == nil)
    }

    /// A PLAIN HELLO command frame: user name "cutter" and `password`.
    static func hello(password: String) -> [UInt8] {
        let body = [5] + Array("HELLO".utf8) + [6] + Array("cutter".utf8) + [UInt8(password.utf8.count)] + Array(password.utf8)
        return [0x04, UInt8(body.count)] + body
    }

    @Test func aMetricsPortTakesMetricsOffTheQueryPort() async throws {
        let metricsPort = freePort()
        let cluster = try await TestCluster(settings: ["metrics_port=\(metricsPort)", "metrics_host=127.0.0.1"])
        defer { cluster.stop() }
        #expect(try await HTTP.get(port: cluster.queryPort, "/metrics").status == 404)
        try await cluster.deploy(app: "counted", model: "nothing")
        _ = try await cluster.predict("counted", #"{"input":[1.0]}"#)
        let metrics = try await HTTP.get(port: metricsPort, "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.body.contains("cutter_"))
        #expect(try await HTTP.get(port: metricsPort, "/healthz").status == 404)
    }
}
