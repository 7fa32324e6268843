import Foundation
import Testing

/// The config store misbehaving: a subscriber that drops, a Redis that hangs.
@Suite(.serialized, .enabled(if: TestEnvironment.isReady, TestEnvironment.notReady))
struct RedisRobustnessTests {
    @Test func aWriteMissedWhileTheSubscriberWasAwayIsReadWhenItIsBack() async throws {
        let cluster = try await TestCluster()
        defer { cluster.stop() }
        let redis = try cluster.redisClient()
        // Only the keyspace subscriber drops; the write comes before it can be back (its first
        // reconnect waits 100 ms), so no notification of it ever reaches the frontend.
        #expect(redis.run("CLIENT", "KILL", "TYPE", "pubsub") == ["1"])
        redis.run("SELECT", "5")
        redis.run(["HSET", "scripted", "input_type", "doubles", "policy", "DefaultOutputSelectionPolicy",
                   "default_output", "0.5", "latency_slo_micros", "100000"])
        try await waitUntil("the frontend knows the application written while its subscriber was away") {
            try await cluster.predict("scripted", #"{"input":[1.0]}"#).status == 200
        }
    }

    @Test func aManagementCallToAHungRedisAnswers503WithinTheTimeout() async throws {
        let cluster = try await TestCluster(settings: ["redis_command_timeout_seconds=0.5"])
        defer { cluster.stop() }
        // Redis stops answering every client but this one for 3 s.
        #expect(try cluster.redisClient().run("CLIENT", "PAUSE", "3000") == ["OK"])
        let reply = try await cluster.admin("get_all_applications", #"{"verbose":false}"#)
        #expect(reply.status == 503, "\(reply.body)")
        #expect((reply.object["cause"] as? String)?.contains("did not answer within 0.5 s") == true, "\(reply.body)")
    }

    @Test func feedbackToAHungRedisAnswers503WithinTheTimeout() async throws {
        let cluster = try await TestCluster(settings: ["redis_command_timeout_seconds=0.5"])
        defer { cluster.stop() }
        #expect(try await cluster.admin("add_app", #"{"name":"vote","input_type":"doubles","default_output":"0","latency_slo_micros":100000,"policy":"Exp4Policy"}"#).status == 200)
        #expect(try await cluster.admin("add_model", #"{"model_name":"sum","model_version":"1","input_type":"doubles"}"#).status == 200)
        #expect(try await cluster.admin("add_model_links", #"{"app_name":"vote","model_names":["sum"]}"#).status == 200)
        try await cluster.startContainer(model: "sum", name: "sum")
        #expect(try cluster.redisClient().run("CLIENT", "PAUSE", "3000") == ["OK"])
        // The state read and the write both wait for Redis; neither may hold the call past its bound.
        let reply = try await HTTP.post(port: cluster.queryPort, "/vote/update", #"{"uid":5,"input":[1.0, 2.0],"label":"3.0"}"#)
        #expect(reply.status == 503, "\(reply.body)")
        #expect((reply.object["cause"] as? String)?.contains("did not answer within 0.5 s") == true, "\(reply.body)")
    }

    @Test func aRedisWithoutClippersDatabasesIsReportedNotMisused() async throws {
        let redisPort = freePort(), queryPort = freePort(), managementPort = freePort()
        let redis = try ManagedProcess(TestEnvironment.redisServer, ["--port", String(redisPort), "--bind", "127.0.0.1",
                                                                    "--save", "", "--appendonly", "no", "--databases", "4"], name: "redis-4-dbs")
        defer { redis.stop() }
        try await waitUntil("redis-server answers") { (try? RedisClient(port: redisPort)) != nil }
        let cutter = try ManagedProcess(TestEnvironment.cutterBinary, ["serve", "--redis", "127.0.0.1:\(redisPort)", "--query-port", String(queryPort),
                                                                      "--management-port", String(managementPort), "--rpc-port", String(freePort())],
                                        name: "cutter-4-dbs")
        defer { cutter.stop() }
        // Not ready, and /readyz says why.
        try await waitUntil("cutter reports the missing databases") {
            guard let reply = try? await HTTP.get(port: queryPort, "/readyz") else { return false }
            return reply.status == 503 && (reply.object["redis_problem"] as? String)?.contains("databases 16") == true
        }
        // Writes are refused rather than sent to the wrong database.
        let added = try await HTTP.post(port: managementPort, "/admin/add_app",
                                        #"{"name":"a","input_type":"doubles","default_output":"0","latency_slo_micros":1000}"#)
        #expect(added.status == 503 && (added.object["cause"] as? String)?.contains("SELECT 7") == true, "\(added.body)")
        #expect(try RedisClient(port: redisPort).run("KEYS", "*").isEmpty, "nothing was written to database 0")
    }
}
