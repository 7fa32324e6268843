import Foundation
import Glibc
import Testing

/// Cutter's own HTTP/1.1 layer over real sockets: the head deadline closes slow senders, the
/// connection cap refuses the excess at once while the others are served, every refusal is a
/// JSON error that closes the connection, and pipelining, 100-continue and keep-alive work.
@Suite(.serialized, .enabled(if: TestEnvironment.isReady, TestEnvironment.notReady))
struct HTTPLayerTests {
    static let healthz = "GET /healthz HTTP/1.1\r\nHost: cutter\r\n\r\n"

    @Test func aSlowSenderIsClosedWithinTheHeadDeadline() async throws {
        let cluster = try await TestCluster(settings: ["http_header_timeout_seconds=1"])
        defer { cluster.stop() }
        let slow = try RawConnection(port: cluster.queryPort)
        let start = Date()
        // One byte of the head every 100 ms: the whole head would take about 4 s.
        let trickle = Task.detached {
            for byte in Array(Self.healthz.utf8) {
                guard slow.send([byte]) else { return }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        defer { trickle.cancel() }
        // Meanwhile a well-behaved client is served.
        let reply = try await HTTP.get(port: cluster.queryPort, "/healthz")
        #expect(reply.status == 200)
        let timeout = await slow.readReply()
        #expect(timeout?.status == 408)
        #expect(timeout?.headers["connection"] == "close")
        #expect(timeout?.object["error"] as? String == "Request timeout")
        #expect(await slow.waitForClose())
        #expect(Date().timeIntervalSince(start) < 3.5, "closed before the trickle could finish its head")
    }

    @Test func connectionsOverTheCapAreRefusedAtOnceAndTheOthersStayServed() async throws {
        let cluster = try await TestCluster(settings: ["max_http_connections=6"])
        defer { cluster.stop() }
        // Connections, each shown to be accepted by a reply, until one is refused (the test's own
        // HTTP client may keep some of the six open from starting the cluster).
        var open: [RawConnection] = []
        var refusal: RawReply?
        for _ in 0...6 {
            let connection = try RawConnection(port: cluster.queryPort)
            connection.send(Self.healthz)
            let reply = await connection.readReply()
            if reply?.status == 200 {
                open.append(connection)
                continue
            }
            refusal = reply
            #expect(await connection.waitForClose(), "the refused connection is closed")
            break
        }
        #expect(refusal?.status == 503)
        #expect(refusal?.object["error"] as? String == "Too many connections")
        #expect(!open.isEmpty)
        // The open ones keep being served.
        for connection in open {
            connection.send(Self.healthz)
            #expect(await connection.readReply()?.status == 200)
        }
        // A place freed is taken again.
        open[0].send("GET /healthz HTTP/1.1\r\nHost: cutter\r\nConnection: close\r\n\r\n")
        #expect(await open[0].readReply()?.status == 200)
        #expect(await open[0].waitForClose())
        try await waitUntil("a new connection is served") {
            let connection = try RawConnection(port: cluster.queryPort)
            connection.send(Self.healthz)
            return await connection.readReply()?.status == 200
        }
    }

    static let refusals: [(String, Int, String)] = [
        ("POST /a/predict HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400, "Bad request"),
        ("POST /a/predict HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}", 400, "Bad request"),
        ("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n", 400, "Bad request"),
        ("BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 501, "Not implemented"),
        ("GET /healthz HTTP/3.0\r\nHost: x\r\n\r\n", 505, "HTTP version not supported"),
        ("GET /healthz HTTP/1.1\r\n\r\n", 400, "Bad request"),
        ("POST /a/predict HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n", 413, "Request too large"),
        ("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 70_000) + "\r\n\r\n", 431, "Request header fields too large"),
        ("POST /a/predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "Not implemented"),
        ("POST /a/predict HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Length: 2\r\n\r\n{}", 417, "Expectation failed"),
    ]

    @Test func everyRefusalIsAJSONErrorThatClosesTheConnection() async throws {
        let cluster = try await TestCluster(settings: ["max_body_bytes=65536"])
        defer { cluster.stop() }
        for (request, status, error) in Self.refusals {
            let connection = try RawConnection(port: cluster.queryPort)
            connection.send(request)
            let reply = await connection.readReply()
            let what = request.prefix(60).debugDescription
            #expect(reply?.status == status, "\(what)")
            #expect(reply?.headers["content-type"] == "application/json", "\(what)")
            #expect(reply?.object["error"] as? String == error, "\(what): \(reply?.body ?? "no reply")")
            #expect((reply?.object["cause"] as? String)?.isEmpty == false, "\(what)")
            #expect(reply?.headers["connection"] == "close", "\(what)")
            #expect(await connection.waitForClose(), "\(what)")
        }
        // The management port is the same layer.
        let management = try RawConnection(port: cluster.managementPort)
        management.send("PATCH /admin/add_app HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(await management.readReply()?.status == 501)
        // Nothing else was disturbed.
        #expect(try await HTTP.get(port: cluster.queryPort, "/healthz").status == 200)
    }

    @Test func pipelinedRequestsAreAnsweredInOrderAndConnectionCloseCloses() async throws {
        let cluster = try await TestCluster()
        defer { cluster.stop() }
        try await cluster.deploy(app: "echo", model: "sum")
        try await cluster.startContainer(model: "sum", name: "sum")
        let connection = try RawConnection(port: cluster.queryPort)
        // A prediction (answered later, by the container), an unknown app (answered at once),
        // a chunked prediction, then a request that closes the connection.
        connection.send("POST /echo/predict HTTP/1.1\r\nHost: x\r\nContent-Length: 15\r\n\r\n{\"input\":[1.5]}"
            + "POST /nobody/predict HTTP/1.1\r\nHost: x\r\nContent-Length: 15\r\n\r\n{\"input\":[1.5]}"
            + "POST /echo/predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"in\r\nB\r\nput\":[2.5]}\r\n0\r\n\r\n"
            + "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        var replies: [RawReply?] = []
        for _ in 0..<4 { replies.append(await connection.readReply()) }
        #expect(replies.map { $0?.status } == [200, 404, 200, 200])
        #expect(replies[0]?.object["output"] as? Double == 1.5, "\(replies[0]?.body ?? "")")
        #expect(replies[2]?.object["output"] as? Double == 2.5, "\(replies[2]?.body ?? "")")
        #expect(replies[3]?.headers["connection"] == "close")
        #expect(await connection.waitForClose())

        // A client that sends its request and closes its side still gets the reply.
        let halfClosed = try RawConnection(port: cluster.queryPort)
        halfClosed.send("POST /echo/predict HTTP/1.1\r\nHost: x\r\nContent-Length: 15\r\n\r\n{\"input\":[3.5]}")
        halfClosed.finishSending()
        #expect(await halfClosed.readReply()?.object["output"] as? Double == 3.5)
        #expect(await halfClosed.waitForClose())
    }

    @Test func expectContinueAndIdleTimeout() async throws {
        let cluster = try await TestCluster(settings: ["http_idle_timeout_seconds=1"])
        defer { cluster.stop() }
        let connection = try RawConnection(port: cluster.managementPort)
        let body = #"{"name":"waits","input_type":"doubles","default_output":"0","latency_slo_micros":100000}"#
        connection.send("POST /admin/add_app HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: \(body.utf8.count)\r\n\r\n")
        #expect(await connection.readReply()?.status == 100)
        connection.send(body)
        #expect(await connection.readReply()?.status == 200)
        // Left idle, the keep-alive connection is closed by the server.
        #expect(await connection.waitForClose())
    }
}
