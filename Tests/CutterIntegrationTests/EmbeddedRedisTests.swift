import Foundation
import Testing

/// `cutter serve` without --redis starts, uses and stops its own redis-server.
@Suite(.serialized, .enabled(if: TestEnvironment.isReady, TestEnvironment.notReady))
struct EmbeddedRedisTests {
    /// The embedded server wants the password it keeps in its data directory.
    private func authenticatedClient(_ cluster: TestCluster) throws -> RedisClient {
        try RedisClient(port: cluster.redisPort, passwordFile: cluster.dataDirectory + "/redis/redis.password")
    }

    @Test func embeddedRedisPersistsAcrossRestartsAndStopsWithCutter() async throws {
        let cluster = try await TestCluster(embedded: true)
        defer { cluster.stop() }
        #expect(try await cluster.admin("add_app", #"{"name":"kept","input_type":"strings","default_output":"none","latency_slo_micros":5000}"#).status == 200)
        #expect(try authenticatedClient(cluster).hash(db: 5, "kept")["input_type"] == "strings")
        let passwordFile = cluster.dataDirectory + "/redis/redis.password"
        let password = try String(contentsOfFile: passwordFile, encoding: .utf8)

        cluster.cutter.stop()
        #expect(cluster.cutter.terminationStatus == 0, "\(cluster.logs)")
        #expect(cluster.cutter.log.contains("embedded redis-server stopped"))
        #expect((try? authenticatedClient(cluster)).map { $0.run("PING") } != ["PONG"], "redis-server outlived cutter")

        try await cluster.startCutter(embedded: true)
        #expect(try await cluster.admin("get_all_applications", #"{"verbose":false}"#).json as? [String] == ["kept"])
        // The password of the first start is kept: the admin scripts' file stays valid.
        #expect(try String(contentsOfFile: passwordFile, encoding: .utf8) == password)
        #expect(try authenticatedClient(cluster).run("PING") == ["PONG"])
    }

    @Test func aRedisLeftByAKilledCutterIsStoppedAndItsDataKept() async throws {
        let cluster = try await TestCluster(embedded: true)
        defer { cluster.stop() }
        #expect(try await cluster.admin("add_app", #"{"name":"kept","input_type":"strings","default_output":"none","latency_slo_micros":5000}"#).status == 200)
        cluster.cutter.stop(signal: SIGKILL)
        #expect(try authenticatedClient(cluster).run("PING") == ["PONG"], "the orphan is still serving")
        try await cluster.startCutter(embedded: true)
        #expect(cluster.cutter.log.contains("stopping the redis-server a previous cutter left running"), "\(cluster.cutter.log)")
        #expect(try await cluster.admin("get_all_applications", #"{"verbose":false}"#).json as? [String] == ["kept"])
    }

    @Test func missingRedisServerBinaryExplainsWhatToDo() async throws {
        let cutter = try ManagedProcess(TestEnvironment.cutterBinary, ["serve", "--query-port", String(freePort()),
                                                                      "--embedded-redis-port", String(freePort())],
                                     environment: ["PATH": "/nonexistent"], name: "no-redis")
        cutter.waitUntilExit()
        #expect(cutter.terminationStatus != 0)
        #expect(cutter.log.contains("redis-server was not found on PATH"), "\(cutter.log)")
        #expect(cutter.log.contains("apt-get install redis-server"))
    }
}

/// Start-up failures end the process with a message that says what to do.
@Suite(.enabled(if: TestEnvironment.isReady, TestEnvironment.notReady))
struct StartupFailureTests {
    @Test func aPortInUseIsReportedAndTheProcessExits() async throws {
        let cluster = try await TestCluster()
        defer { cluster.stop() }
        let second = try ManagedProcess(TestEnvironment.cutterBinary, ["serve", "--redis", "127.0.0.1:\(cluster.redisPort)",
                                                                      "--query-port", String(cluster.queryPort),
                                                                      "--management-port", String(freePort()), "--rpc-port", String(freePort())],
                                        name: "port-clash")
        second.waitUntilExit()
        #expect(second.terminationStatus == 1, "\(second.log)")
        #expect(second.log.contains("cannot listen on 0.0.0.0:\(cluster.queryPort)"), "\(second.log)")
        #expect(cluster.cutter.isRunning)
    }
}
