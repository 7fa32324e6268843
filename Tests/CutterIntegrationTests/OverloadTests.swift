import Foundation
import Testing

/// Past capacity Cutter answers what the model can serve and sheds the rest at once, by the
/// model's latency profile; a replica that stops answering never stalls its model.
@Suite(.serialized, .enabled(if: TestEnvironment.isReady, TestEnvironment.notReady))
struct OverloadTests {
    @Test func aBurstFarAboveCapacityIsShedAtOnceAndTheModelDoesNoWastedWork() async throws {
        // The profile must outlive the test's own pauses between requests (a loaded machine can
        // stall this process for a second), or it would be learned anew under the burst.
        let cluster = try await TestCluster(settings: ["cache_bytes=0", "latency_profile_lifetime_seconds=60"])
        defer { cluster.stop() }
        // 50 ms a batch of at most 4, a 300 ms SLO: about 20 queries can be answered in time.
        try await cluster.deploy(app: "slow", model: "sleeper", sloMicros: 300_000, batchSize: 4)
        try await cluster.startContainer(model: "sleep", name: "sleeper", extra: ["--fixed-ms", "50"])
        // A few batches teach the model's latency profile.
        for index in 0..<6 {
            let reply = try await cluster.predict("slow", #"{"input":[\#(index).0]}"#)
            #expect(reply.object["default"] as? Bool == false, "\(reply.body)")
        }
        // The management API shows what the profile learned: about 50 ms a batch.
        let profiles = try await cluster.admin("get_latency_profiles", #"{"model_name":"sleeper"}"#).json as? [[String: Any]] ?? []
        #expect(profiles.count == 1 && profiles.first?["model_id"] as? String == "sleeper:1", "\(profiles)")
        #expect(profiles.first?["ready"] as? Bool == true)
        let p99 = (profiles.first?["p99_ms"] as? [String: Double])?["1"] ?? 0
        #expect(p99 >= 45 && p99 < 150, "p99 of one input: \(p99) ms")

        let burst = 200
        let replies = try await withThrowingTaskGroup(of: HTTPReply.self) { group in
            for index in 0..<burst {
                group.addTask { try await cluster.predict("slow", #"{"input":[\#(1000 + index).0]}"#) }
            }
            return try await group.reduce(into: [HTTPReply]()) { $0.append($1) }
        }
        // Every query is answered.
        #expect(replies.count == burst && replies.allSatisfy { $0.status == 200 })
        let predictions = replies.filter { $0.object["default"] as? Bool == false }.count
        let shed = replies.filter { ($0.object["default_explanation"] as? String)?.hasPrefix("Shed for load") == true }.count
        #expect(predictions >= 4, "the model's capacity is used: \(predictions) predictions")
        #expect(shed >= burst / 2, "\(shed) of \(burst) shed")
        // Shed queries are answered at once: cutter's own latency record has them well inside the SLO.
        let answeredFast = try await cluster.metric(#"cutter_app_latency_seconds_bucket{app="slow",le="0.1"}"#) ?? 0
        #expect(Int(answeredFast) >= shed, "\(answeredFast) answered within 100 ms, \(shed) shed")
        #expect(try await cluster.metric(#"cutter_app_defaults_total{app="slow",reason="shed"}"#) == Double(shed))
        // The model computed (almost) only answers someone read: inputs sent = predictions answered,
        // give or take one batch that a noisy machine made late.
        let sent = Int(try await cluster.metric(#"cutter_model_batch_size_sum{model="sleeper",version="1"}"#) ?? 0) - 6
        #expect(sent >= predictions && sent - predictions <= 4, "\(sent) inputs sent for \(predictions) predictions")
    }

    @Test func aReplicaThatStopsAnsweringNeverStallsItsModel() async throws {
        let cluster = try await TestCluster(settings: ["cache_bytes=0"])
        defer { cluster.stop() }
        try await cluster.deploy(app: "wedged", model: "stall", sloMicros: 300_000)
        let wedged = try await cluster.startContainer(model: "test_models:StallAfterModel", name: "stall")
        defer { wedged.stop(signal: SIGKILL) }  // it would not stop on SIGTERM while it hangs
        for index in 0..<6 {
            let reply = try await cluster.predict("wedged", #"{"input":[\#(index).0]}"#)
            #expect(reply.object["output"] as? Double == Double(index), "\(reply.body)")
        }
        // The model hangs on the seventh batch: the query still gets its answer, the default.
        let hung = try await cluster.predict("wedged", #"{"input":[7.0]}"#)
        #expect(hung.object["default"] as? Bool == true, "\(hung.body)")
        // Far past its profile and its deadline, the replica counts as stalled...
        try await waitUntil("cutter marks the replica stalled") {
            try await cluster.metric(#"cutter_model_replicas_stalled{model="stall",version="1"}"#) == 1
        }
        let profiles = try await cluster.admin("get_latency_profiles", "{}").json as? [[String: Any]] ?? []
        #expect(profiles.first?["stalled"] as? Bool == true, "\(profiles)")
        // ...and new queries are answered at once rather than queued behind it.
        let after = try await cluster.predict("wedged", #"{"input":[8.0]}"#)
        #expect(after.object["default"] as? Bool == true)
        #expect((after.object["default_explanation"] as? String)?.contains("stopped answering") == true, "\(after.body)")
        // Counted by reason (the hung query too, when the stall was found as its deadline came).
        #expect(try await cluster.metric(#"cutter_app_defaults_total{app="wedged",reason="unresponsive"}"#) ?? 0 >= 1)
        // Heartbeats alone do not bring it back; a healthy replica of the model serves at once.
        try await cluster.startContainer(model: "sum", name: "stall")
        let healed = try await cluster.predict("wedged", #"{"input":[4.0, 5.0]}"#)
        #expect(healed.object["output"] as? Double == 9, "\(healed.body)")
    }

    @Test func aReplicaAnsweringWithWrongMessageIDsNeverStallsItsModel() async throws {
        let cluster = try await TestCluster(settings: ["cache_bytes=0"])
        defer { cluster.stop() }
        try await cluster.deploy(app: "confused", model: "liar", sloMicros: 300_000)
        let liar = try ManagedProcess(TestEnvironment.python, [TestEnvironment.packageRoot + "/Tests/CutterIntegrationTests/Fixtures/wrong_ids_container.py",
                                                              String(cluster.rpcPort), "liar"], name: "wrong-ids")
        defer { liar.stop(signal: SIGKILL) }
        try await waitUntil("cutter registered the lying replica") {
            guard liar.isRunning else { throw TestFailure("the fixture exited:\n\(liar.log)") }
            return try await cluster.metric(#"cutter_model_replicas{model="liar",version="1"}"#) == 1
        }
        // Its answers name batches it was never sent: the query gets the default at its deadline...
        let first = try await cluster.predict("confused", #"{"input":[1.0]}"#)
        #expect(first.object["default"] as? Bool == true, "\(first.body)")
        // ...and although it keeps heartbeating, the batch it never answered marks it stalled.
        try await waitUntil("cutter marks the replica stalled") {
            try await cluster.metric(#"cutter_model_replicas_stalled{model="liar",version="1"}"#) == 1
        }
        let next = try await cluster.predict("confused", #"{"input":[2.0]}"#)
        #expect((next.object["default_explanation"] as? String)?.contains("stopped answering") == true, "\(next.body)")
        // A healthy replica serves at once (the fixture was started outside the cluster, which
        // counts only its own containers: wait for both).
        try await cluster.startContainer(model: "sum", name: "liar")
        try await waitUntil("both replicas are registered") {
            try await cluster.metric(#"cutter_model_replicas{model="liar",version="1"}"#) == 2
        }
        let healed = try await cluster.predict("confused", #"{"input":[4.0, 5.0]}"#)
        #expect(healed.object["output"] as? Double == 9, "\(healed.body)")
    }
}
