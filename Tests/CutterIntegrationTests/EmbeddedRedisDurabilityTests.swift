import Foundation
import Testing

/// What the embedded Redis acknowledged survives its kill -9, wherever cutter was started from.
@Suite(.serialized, .enabled(if: TestEnvironment.isReady, TestEnvironment.notReady))
struct EmbeddedRedisDurabilityTests {
    /// A config folder like the repository's, in a temporary place: `conf/cutter.conf` naming
    /// `../redis/redis.conf` and `../data` by relative paths.
    private func makeInstallation() throws -> String {
        let root = NSTemporaryDirectory() + "cutter-install-\(UUID().uuidString.prefix(8))"
        for folder in ["conf", "redis", "data"] {
            try FileManager.default.createDirectory(atPath: root + "/" + folder, withIntermediateDirectories: true)
        }
        try FileManager.default.copyItem(atPath: TestEnvironment.packageRoot + "/redis/redis.conf", toPath: root + "/redis/redis.conf")
        try "redis_conf ../redis/redis.conf\nredis_data_dir ../data\n".write(toFile: root + "/conf/cutter.conf", atomically: true, encoding: .utf8)
        return root
    }

    /// Starts cutter from `/` (not the repository) with `arguments`.
    private func cutterFromElsewhere(_ arguments: [String], name: String) throws -> ManagedProcess {
        try ManagedProcess("/bin/sh", ["-c", #"cd / && exec "$0" "$@""#, TestEnvironment.cutterBinary] + arguments, name: name)
    }

    @Test func acknowledgedWritesSurviveAKillOfTheEmbeddedRedisStartedFromAnotherFolder() async throws {
        let root = try makeInstallation()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let queryPort = freePort(), managementPort = freePort(), redisPort = freePort()
        let cutter = try cutterFromElsewhere(["serve", "--config", root + "/conf/cutter.conf", "--query-port", String(queryPort),
                                              "--management-port", String(managementPort), "--rpc-port", String(freePort()),
                                              "--embedded-redis-port", String(redisPort)], name: "durable")
        defer { cutter.stop() }
        try await waitUntil("cutter is ready") {
            guard cutter.isRunning else { throw TestFailure("cutter exited:\n\(cutter.log)") }
            return (try? await HTTP.get(port: queryPort, "/readyz"))?.status == 200
        }
        // The data directory is the config file's ../data, not one under the working directory.
        #expect(FileManager.default.fileExists(atPath: root + "/data/redis.pid"), "\(cutter.log)")
        // The embedded server is locked (no CONFIG; a password in its data directory): INFO tells.
        let passwordFile = root + "/data/redis.password"
        #expect(try RedisClient(port: redisPort, passwordFile: passwordFile).run("INFO", "persistence").first?.contains("aof_enabled:1") == true)
        let added = try await HTTP.post(port: managementPort, "/admin/add_app",
                                        #"{"name":"kept","input_type":"doubles","default_output":"0","latency_slo_micros":10000}"#)
        #expect(added.status == 200)

        let pidText = try String(contentsOfFile: root + "/data/redis.pid", encoding: .utf8)
        let redisPID = try #require(Int32(pidText.trimmingCharacters(in: .whitespacesAndNewlines)))
        kill(redisPID, SIGKILL)
        // Cutter's supervisor starts it again; the acknowledged application is still there.
        try await waitUntil("the embedded redis-server is back with the application") {
            guard let client = try? RedisClient(port: redisPort, passwordFile: passwordFile), client.run("PING") == ["PONG"] else { return false }
            return client.hash(db: 5, "kept")["input_type"] == "doubles"
        }
        // And cutter, once reconnected, serves it.
        try await waitUntil("cutter reads the application again") {
            try await HTTP.post(port: managementPort, "/admin/get_application", #"{"name":"kept"}"#).object["name"] as? String == "kept"
        }
    }

    @Test func aMissingRedisConfRefusesToStartAndSaysWhy() async throws {
        let root = try makeInstallation()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let cutter = try cutterFromElsewhere(["serve", "--config", root + "/conf/cutter.conf", "--set", "redis_conf=" + root + "/nowhere.conf",
                                              "--query-port", String(freePort()), "--embedded-redis-port", String(freePort())],
                                             name: "no-redis-conf")
        cutter.waitUntilExit()
        #expect(cutter.terminationStatus != 0)
        #expect(cutter.log.contains("nowhere.conf, which does not exist"), "\(cutter.log)")
    }
}
