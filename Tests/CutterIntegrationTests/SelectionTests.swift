import Foundation
import Testing

/// Model selection with real containers of different accuracy on a labelled stream:
/// input [k], label k mod 3; `oracle` is always right, `noisy` right 30 % of the time.
@Suite(.serialized, .enabled(if: TestEnvironment.isReady, TestEnvironment.notReady))
struct SelectionTests {
    private func deployBandit(_ cluster: TestCluster, app: String, policy: String, sloMicros: Int = 2_000_000,
                              models: [String] = ["oracle", "noisy"], extra: String = "") async throws {
        #expect(try await cluster.admin("add_app", #"{"name":"\#(app)","input_type":"doubles","default_output":"none","latency_slo_micros":\#(sloMicros),"policy":"\#(policy)"\#(extra)}"#).status == 200)
        for model in models {
            _ = try await cluster.admin("add_model", #"{"model_name":"\#(model)","model_version":"1","input_type":"doubles"}"#)
        }
        let linked = try await cluster.admin("add_model_links", #"{"app_name":"\#(app)","model_names":[\#(models.map { "\"\($0)\"" }.joined(separator: ","))]}"#)
        #expect(linked.status == 200, "\(linked.body)")
    }

    private func startModels(_ cluster: TestCluster) async throws {
        try await cluster.startContainer(model: "test_models:OracleModel", name: "oracle")
        try await cluster.startContainer(model: "test_models:NoisyModel", name: "noisy")
    }

    private func feedback(_ cluster: TestCluster, app: String, range: Range<Int>) async throws {
        for k in range {
            let reply = try await HTTP.post(port: cluster.queryPort, "/\(app)/update", #"{"uid":0,"input":[\#(k).0],"label":"\#(k % 3)"}"#)
            #expect(reply.status == 200 && reply.object["updated"] as? Bool == true, "\(reply.body)")
        }
    }

    private func weights(_ cluster: TestCluster, app: String) async throws -> [String: Double] {
        try await cluster.admin("get_state", #"{"app_name":"\#(app)","uid":0}"#).object["weights"] as? [String: Double] ?? [:]
    }

    /// Share of `count` fresh queries that Exp3 sends to the oracle (read off X-Cutter-Models).
    private func oracleShare(_ cluster: TestCluster, app: String, from: Int, count: Int = 100) async throws -> Double {
        var toOracle = 0
        for k in from..<(from + count) {
            let reply = try await cluster.predict(app, #"{"input":[\#(k).0]}"#)
            if reply.headers["x-cutter-models"] == "oracle" { toOracle += 1 }
        }
        return Double(toOracle) / Double(count)
    }

    @Test func exp3LearnsTheBetterModelAndKeepsItAcrossARestart() async throws {
        // Seeded draws: the run is the same every time the queries come in the same order.
        let cluster = try await TestCluster(settings: ["random_seed=7"])
        defer { cluster.stop() }
        try await deployBandit(cluster, app: "exp3-app", policy: "Exp3Policy")
        try await startModels(cluster)
        var curve: [(Int, Double)] = [(0, try await oracleShare(cluster, app: "exp3-app", from: 1_000_000))]
        try await feedback(cluster, app: "exp3-app", range: 0..<50)
        curve.append((50, try await oracleShare(cluster, app: "exp3-app", from: 1_100_000)))
        try await feedback(cluster, app: "exp3-app", range: 50..<150)
        curve.append((150, try await oracleShare(cluster, app: "exp3-app", from: 1_200_000)))

        // Restart the frontend: the weights come back from Redis.
        let before = try await weights(cluster, app: "exp3-app")
        cluster.cutter.stop()
        let redis = try cluster.redisClient()
        redis.run("SELECT", "3")
        #expect(redis.run("KEYS", "*").isEmpty, "a clean shutdown removes this frontend's container records")
        try await cluster.startCutter()
        try await waitUntil("the containers reconnect") {
            let oracle = try await cluster.metric(#"cutter_model_replicas{model="oracle",version="1"}"#)
            let noisy = try await cluster.metric(#"cutter_model_replicas{model="noisy",version="1"}"#)
            return oracle == 1 && noisy == 1
        }
        #expect(try await weights(cluster, app: "exp3-app") == before)

        try await feedback(cluster, app: "exp3-app", range: 150..<300)
        let final = try await oracleShare(cluster, app: "exp3-app", from: 1_300_000, count: 200)
        curve.append((300, final))
        print("Exp3 learning curve (feedbacks, share of queries to the better model): \(curve.map { "\($0.0): \($0.1)" }.joined(separator: ", "))")
        #expect(final >= 0.8, "curve: \(curve)")
        let state = try await cluster.admin("get_state", #"{"app_name":"exp3-app","uid":0}"#).object
        #expect(state["feedback_count"] as? Int == 300)
    }

    @Test func exp4WeighsTheBetterModelAndCombinesWithConfidence() async throws {
        let cluster = try await TestCluster()
        defer { cluster.stop() }
        try await deployBandit(cluster, app: "exp4-app", policy: "Exp4Policy")
        try await startModels(cluster)
        let first = try await cluster.predict("exp4-app", #"{"input":[5.0]}"#)
        #expect(first.object["confidence"] as? Double == 0.5, "\(first.body)")   // equal weights, the models disagree
        var curve: [(Int, Double)] = []
        for stop in [50, 100, 200, 300] {
            try await feedback(cluster, app: "exp4-app", range: (curve.last.map { $0.0 } ?? 0)..<stop)
            curve.append((stop, try await weights(cluster, app: "exp4-app")["oracle"] ?? 0))
        }
        print("Exp4 weight on the better model after N feedbacks: \(curve.map { "\($0.0): \($0.1)" }.joined(separator: ", "))")
        #expect(curve.last!.1 >= 0.8, "\(curve)")
        let reply = try await cluster.predict("exp4-app", #"{"input":[1000005.0]}"#)   // 1000005 mod 3 = 0; noisy says 1
        #expect(reply.object["output"] as? Int == 0)
        #expect((reply.object["confidence"] as? Double ?? 0) >= 0.8)
        #expect(reply.headers["x-cutter-models"] == "oracle")
    }

    @Test func aStragglerDoesNotMakeExp4Late() async throws {
        let cluster = try await TestCluster()
        defer { cluster.stop() }
        try await deployBandit(cluster, app: "ensemble", policy: "Exp4Policy", sloMicros: 300_000, models: ["oracle", "slow"])
        try await deployBandit(cluster, app: "strict", policy: "Exp4Policy", sloMicros: 300_000, models: ["oracle", "slow"],
                               extra: #","confidence_threshold":0.9"#)
        try await cluster.startContainer(model: "test_models:OracleModel", name: "oracle")
        try await cluster.startContainer(model: "sleep", name: "slow", extra: ["--fixed-ms", "3000"])
        let reply = try await cluster.predict("ensemble", #"{"input":[4.0]}"#)
        #expect(reply.object["default"] as? Bool == false, "\(reply.body)")
        #expect(reply.object["output"] as? Int == 1)
        // Half the weight did not answer: the straggler (whose output, the batch size 1, would have
        // agreed) was left out, so the answer did not wait for its 3 s.
        #expect(reply.object["confidence"] as? Double == 0.5)
        #expect(reply.headers["x-cutter-models"] == "oracle")
        let strict = try await cluster.predict("strict", #"{"input":[7.0]}"#)
        #expect(strict.object["default"] as? Bool == true)
        #expect(strict.object["output"] as? String == "none")
        #expect((strict.object["default_explanation"] as? String)?.contains("below the application's threshold") == true, "\(strict.body)")
    }

    @Test func feedbackThatCannotBeAppliedIsAnError() async throws {
        let cluster = try await TestCluster()
        defer { cluster.stop() }
        try await deployBandit(cluster, app: "lonely", policy: "Exp4Policy", models: ["oracle"])
        let noContainer = try await HTTP.post(port: cluster.queryPort, "/lonely/update", #"{"uid":0,"input":[1.0],"label":"1"}"#)
        #expect(noContainer.status == 503, "\(noContainer.body)")
        let malformed = try await HTTP.post(port: cluster.queryPort, "/lonely/update", #"{"uid":0,"input":[1.0]"#)
        #expect(malformed.status == 400)
        let noLabel = try await HTTP.post(port: cluster.queryPort, "/lonely/update", #"{"uid":0,"input":[1.0]}"#)
        #expect(noLabel.status == 400 && (noLabel.object["cause"] as? String)?.contains("label") == true)
        let wrongInput = try await HTTP.post(port: cluster.queryPort, "/lonely/update", #"{"uid":0,"input":"x","label":1}"#)
        #expect(wrongInput.status == 400)
        #expect(try await HTTP.post(port: cluster.queryPort, "/nope/update", #"{"uid":0,"input":[1.0],"label":1}"#).status == 404)
        try await cluster.deploy(app: "clipper-style", model: "m")
        let plain = try await HTTP.post(port: cluster.queryPort, "/clipper-style/update", #"{"uid":0,"input":[1.0],"label":1.0}"#)
        #expect(plain.status == 200 && plain.object["updated"] as? Bool == false)
        // Per-context state: uid 7 learns apart from uid 0.
        try await cluster.startContainer(model: "test_models:OracleModel", name: "oracle")
        let personal = try await HTTP.post(port: cluster.queryPort, "/lonely/update", #"{"uid":7,"input":[1.0],"label":"1"}"#)
        #expect(personal.status == 200, "\(personal.body)")
        #expect(try await cluster.admin("get_state", #"{"app_name":"lonely","uid":7}"#).object["feedback_count"] as? Int == 1)
        #expect(try await cluster.admin("get_state", #"{"app_name":"lonely","uid":0}"#).object["feedback_count"] as? Int == 0)
        let redis = try cluster.redisClient()
        redis.run("SELECT", "1")
        #expect(redis.run("HGET", "lonely:7:0", ":feedback") == ["1"])
    }

    @Test func aSecondFrontendOnTheSameRedisFollowsTheLearnedWeights() async throws {
        let cluster = try await TestCluster()
        defer { cluster.stop() }
        try await deployBandit(cluster, app: "shared", policy: "Exp4Policy")
        try await startModels(cluster)
        // A second frontend on the same Redis, with its own containers.
        let second = try await TestCluster(sharingRedisWith: cluster)
        defer { second.stop() }
        try await startModels(second)
        // Replica ids come from Redis, so the two frontends' container records do not collide.
        try await waitUntil("all four replicas are recorded under distinct keys") {
            try await cluster.admin("get_all_containers", #"{"verbose":false}"#).json as? [String] == ["noisy:1:0", "noisy:1:1", "oracle:1:0", "oracle:1:1"]
        }
        // It caches the initial state by answering a query...
        let before = try await second.predict("shared", #"{"input":[5.0]}"#)
        #expect(before.object["confidence"] as? Double == 0.5, "\(before.body)")
        // ...then the first frontend learns, and the second follows through keyspace notifications.
        try await feedback(cluster, app: "shared", range: 0..<100)
        try await waitUntil("the second frontend uses the learned weights") {
            let reply = try await second.predict("shared", #"{"input":[1000005.0]}"#)
            return (reply.object["confidence"] as? Double ?? 0) > 0.9 && reply.object["output"] as? Int == 0
        }
    }

    @Test func aSlowRedisDoesNotMakeABanditQueryLate() async throws {
        let cluster = try await TestCluster()
        defer { cluster.stop() }
        try await deployBandit(cluster, app: "bandit", policy: "Exp3Policy", sloMicros: 300_000)
        try await startModels(cluster)
        // Redis stalls for 2 s while a query needs the state of a context not cached yet. CLIENT
        // PAUSE answers once every other client is paused, so the query surely meets the stall.
        #expect(try cluster.redisClient().run("CLIENT", "PAUSE", "2000") == ["OK"])
        let reply = try await cluster.predict("bandit", #"{"input":[1.0],"uid":42}"#)
        #expect(reply.object["default"] as? Bool == true, "\(reply.body)")
        #expect(reply.object["default_explanation"] as? String == "Failed to retrieve a prediction response within the specified latency SLO")
        // Cutter's own latency record of that query: answered at its 300 ms deadline, not after the
        // 2 s stall.
        let metrics = try await HTTP.get(port: cluster.queryPort, "/metrics").body
        #expect(metrics.contains(#"cutter_app_latency_seconds_bucket{app="bandit",le="1.0"} 1"#), "\(metrics)")
    }
}
