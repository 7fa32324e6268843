import Foundation
import Testing

/// The embedded Redis is locked: it wants the password kept in its data directory (never on a
/// command line), it has no CONFIG, DEBUG, FLUSHALL, FLUSHDB or SHUTDOWN, and the admin scripts
/// still work, given the password file.
@Suite(.serialized, .enabled(if: TestEnvironment.isReady, TestEnvironment.notReady))
struct RedisLockdownTests {
    private func passwordFile(_ cluster: TestCluster) -> String { cluster.dataDirectory + "/redis/redis.password" }

    @Test func aClientWithoutThePasswordIsRefusedAndAnAuthenticatedOneCannotReconfigure() async throws {
        let cluster = try await TestCluster(embedded: true)
        defer { cluster.stop() }
        let anonymous = try RedisClient(port: cluster.redisPort)
        #expect(anonymous.run("PING").first?.hasPrefix("NOAUTH") == true)
        #expect(anonymous.run("HSET", "intruder", "input_type", "doubles").first?.hasPrefix("NOAUTH") == true)
        #expect(anonymous.run("AUTH", "guessed").first?.hasPrefix("WRONGPASS") == true)

        // Cutter authenticates: it writes and reads the config store.
        #expect(try await cluster.admin("add_app", #"{"name":"locked","input_type":"doubles","default_output":"0","latency_slo_micros":5000}"#).status == 200)
        let client = try RedisClient(port: cluster.redisPort, passwordFile: passwordFile(cluster))
        #expect(client.hash(db: 5, "locked")["input_type"] == "doubles")
        let disabled = [["CONFIG", "SET", "dir", "/tmp"], ["CONFIG", "GET", "requirepass"], ["FLUSHALL"], ["FLUSHDB"],
                        ["DEBUG", "SLEEP", "0"], ["SHUTDOWN", "NOSAVE"]]
        for command in disabled {
            let reply = client.run(command)
            #expect(reply.first?.hasPrefix("ERR unknown command") == true, "\(command): \(reply)")
        }
        #expect(client.hash(db: 5, "locked")["input_type"] == "doubles", "nothing was flushed")
        #expect(try await cluster.admin("get_all_applications", #"{"verbose":false}"#).json as? [String] == ["locked"])
    }

    @Test func thePasswordIsInAPrivateFileAndOnNoCommandLine() async throws {
        let cluster = try await TestCluster(embedded: true)
        defer { cluster.stop() }
        let dataDirectory = cluster.dataDirectory + "/redis"
        let password = try String(contentsOfFile: passwordFile(cluster), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(password.count == 64 && password.allSatisfy(\.isHexDigit), "32 random bytes in hex")
        for file in [passwordFile(cluster), dataDirectory + "/cutter-redis.conf"] {
            let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(file): \(String(mode ?? 0, radix: 8))")
        }

        let pidText = try String(contentsOfFile: dataDirectory + "/redis.pid", encoding: .utf8)
        let redisPID = try #require(Int32(pidText.trimmingCharacters(in: .whitespacesAndNewlines)))
        let redisCommandLine = try String(decoding: Data(contentsOf: URL(fileURLWithPath: "/proc/\(redisPID)/cmdline")), as: UTF8.self)
        #expect(redisCommandLine.contains("redis-server"))
        #expect(!redisCommandLine.contains(password))
        let cutterCommandLine = try String(decoding: Data(contentsOf: URL(fileURLWithPath: "/proc/\(cluster.cutter.pid)/cmdline")), as: UTF8.self)
        #expect(!cutterCommandLine.contains(password))
        // redis-server rewrites its process title, so the check above alone proves little: it
        // also says that it read its settings from the locked file in the data directory.
        let server = try RedisClient(port: cluster.redisPort, password: password).run("INFO", "server").first ?? ""
        #expect(server.contains("config_file:\(dataDirectory)/cutter-redis.conf"), "\(server)")
    }

    @Test func adminScriptsWorkWithThePasswordFile() async throws {
        let cluster = try await TestCluster(embedded: true)
        defer { cluster.stop() }
        let scripts = TestEnvironment.packageRoot + "/redis/admin/"
        let environment = ["REDIS_PORT": String(cluster.redisPort), "REDIS_PASSWORD_FILE": passwordFile(cluster)]

        let added = try ManagedProcess("/bin/bash", [scripts + "add-app.sh", "scripted", "doubles", "0.5", "15000"],
                                       environment: environment, name: "locked-add-app")
        added.waitUntilExit()
        #expect(added.terminationStatus == 0, "\(added.log)")
        try await waitUntil("cutter serves the scripted app") {
            try await cluster.admin("get_all_applications", #"{"verbose":false}"#).json as? [String] == ["scripted"]
        }
        let listed = try ManagedProcess("/bin/bash", [scripts + "list.sh"], environment: environment, name: "locked-list")
        listed.waitUntilExit()
        #expect(listed.terminationStatus == 0, "\(listed.log)")
        #expect(listed.log.contains("scripted: input_type doubles"), "\(listed.log)")

        // Without the password, a script stops and says what to set (redis-cli itself exits 0).
        let refused = try ManagedProcess("/bin/bash", [scripts + "add-app.sh", "other", "doubles", "0.5", "15000"],
                                         environment: environment.merging(["REDIS_PASSWORD_FILE": "/nonexistent/redis.password"]) { $1 },
                                         name: "locked-add-app-refused")
        refused.waitUntilExit()
        #expect(refused.terminationStatus == 1, "\(refused.log)")
        #expect(refused.log.contains("REDIS_PASSWORD_FILE"), "\(refused.log)")
    }

    /// An append-only file written before the lock may hold a FLUSHALL, which redis-server, now
    /// without that command, refuses to replay: start-up ends saying how to rewrite the file.
    @Test func anAppendOnlyFileWithAFlushFromBeforeTheLockIsExplained() async throws {
        let root = NSTemporaryDirectory() + "cutter-test-\(UUID().uuidString.prefix(8))"
        let dataDirectory = root + "/redis"
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let redisPort = freePort()
        let unlocked = try ManagedProcess(TestEnvironment.redisServer, ["--port", String(redisPort), "--bind", "127.0.0.1", "--dir", dataDirectory,
                                                                       "--appendonly", "yes", "--save", ""], name: "unlocked-redis")
        try await waitUntil("redis-server answers") { (try? RedisClient(port: redisPort))?.run("PING") == ["PONG"] }
        let client = try RedisClient(port: redisPort)
        client.run("SET", "before", "1")
        client.run("FLUSHALL")
        client.run("SET", "after", "1")
        unlocked.stop()

        let cutter = try ManagedProcess(TestEnvironment.cutterBinary, ["serve", "--query-port", String(freePort()),
                                                                      "--management-port", String(freePort()), "--rpc-port", String(freePort()),
                                                                      "--embedded-redis-port", String(redisPort), "--redis-data-dir", dataDirectory],
                                        name: "flushed-aof")
        defer { cutter.stop() }
        try await waitUntil("cutter gives up") { !cutter.isRunning }
        #expect(cutter.terminationStatus != 0)
        #expect(cutter.log.contains("it holds a FLUSHALL or FLUSHDB"), "\(cutter.log)")
        #expect(cutter.log.contains("BGREWRITEAOF"), "\(cutter.log)")
    }
}
