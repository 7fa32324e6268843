import Foundation
import Testing

/// Logs an operator can use: JSON lines on request, an access log, and an unreachable Redis said
/// once (not at every retry) with what to do.
@Suite(.serialized, .enabled(if: TestEnvironment.isReady, TestEnvironment.notReady))
struct LoggingTests {
    @Test func jsonLinesAndTheAccessLog() async throws {
        let cluster = try await TestCluster(settings: ["log_format=json", "access_log=true"])
        defer { cluster.stop() }
        try await cluster.deploy(app: "logged", model: "sum")
        #expect(try await cluster.predict("logged", #"{"input":[1.0]}"#).status == 200)
        try await waitUntil("the access log has the query") { cluster.cutter.log.contains(#""label":"cutter.access""#) }
        let lines = cluster.cutter.log.split(separator: "\n")
        let objects = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.count == lines.count, "every line is a JSON object")
        let access = objects.first { $0["label"] as? String == "cutter.access" }
        #expect(access?["app"] as? String == "logged" && access?["status"] as? String == "200")
        #expect(access?["defaults"] as? String == "1", "no container: the default")
        #expect(Double(access?["latency_ms"] as? String ?? "") != nil)
    }

    @Test func anUnreachableRedisIsLoggedOncePerConnection() async throws {
        let queryPort = freePort()
        let cutter = try ManagedProcess(TestEnvironment.cutterBinary,
                                        ["serve", "--redis", "127.0.0.1:\(freePort())", "--query-port", String(queryPort),
                                         "--management-port", String(freePort()), "--rpc-port", String(freePort())], name: "no-redis")
        defer { cutter.stop() }
        try await waitUntil("both Redis connections said they cannot reach it") {
            cutter.log.components(separatedBy: "cannot reach redis").count - 1 >= 2
        }
        // It keeps retrying (readyz says so) without another line.
        for _ in 0..<3 {
            let ready = try await HTTP.get(port: queryPort, "/readyz")
            #expect(ready.status == 503 && ready.object["redis"] as? String == "disconnected")
        }
        #expect(cutter.log.components(separatedBy: "cannot reach redis").count - 1 == 2, "\(cutter.log)")
        #expect(cutter.log.contains("Check that it runs at this address"))
    }
}
