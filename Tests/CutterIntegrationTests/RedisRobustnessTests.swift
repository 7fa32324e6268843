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
}
