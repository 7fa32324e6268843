import Foundation
import Glibc
import Testing

/// The serving path end to end: real cutter, real redis-server, real Python SDK containers over TCP.
@Suite(.serialized, .enabled(if: TestEnvironment.isReady, TestEnvironment.notReady))
struct ServingTests {
    @Test func everyInputTypeRoundTrips() async throws {
        let cluster = try await TestCluster()
        defer { cluster.stop() }
        let cases: [(type: String, input: String, output: Any)] = [
            ("doubles", "[1.5, 2.0]", [1.5, 2.0]),
            ("floats", "[0.25]", [0.25]),
            ("integers", "[3, -4]", [3, -4]),
            ("strings", #""héllo""#, "héllo"),
            ("bytes", #""AAEC""#, "AAEC"),
        ]
        for (type, _, _) in cases {
            try await cluster.deploy(app: "echo-\(type)", model: "echo-\(type)", inputType: type)
            try await cluster.startContainer(model: "echo", name: "echo-\(type)", inputType: type)
        }
        for (type, input, expected) in cases {
            let reply = try await cluster.predict("echo-\(type)", #"{"input":\#(input)}"#)
            #expect(reply.status == 200)
            #expect(reply.object["default"] as? Bool == false, "\(type): \(reply.body)\n\(cluster.logs)")
            let output = reply.object["output"]
            switch expected {
            case let numbers as [Double]: #expect(output as? [Double] == numbers, "\(type): \(reply.body)")
            case let numbers as [Int]: #expect(output as? [Int] == numbers, "\(type): \(reply.body)")
            case let text as String: #expect(output as? String == text, "\(type): \(reply.body)")
            default: Issue.record("bad case")
            }
        }
        let containers = try await cluster.admin("get_all_containers", #"{"verbose":false}"#).json as? [String]
        #expect(Set(containers ?? []) == Set(cases.map { "echo-\($0.type):1:0" }))
    }

    @Test func batchPredictAnswersInOrder() async throws {
        let cluster = try await TestCluster()
        defer { cluster.stop() }
        try await cluster.deploy(app: "sum-app", model: "sum")
        try await cluster.startContainer(model: "sum", name: "sum")
        let reply = try await cluster.predict("sum-app", #"{"input_batch":[[1.0],[2.0,3.0],[4,5,6]]}"#)
        let predictions = try #require(reply.object["batch_predictions"] as? [[String: Any]], "\(reply.body)")
        #expect(predictions.map { $0["output"] as? Double } == [1.0, 5.0, 15.0])
        #expect(predictions.allSatisfy { $0["default"] as? Bool == false })
        #expect(Set(predictions.compactMap { $0["query_id"] as? Int }).count == 3)

        let empty = try await cluster.predict("sum-app", #"{"input_batch":[]}"#)
        #expect(empty.status == 400 && empty.object["error"] as? String == "Json error")
        let wrongType = try await cluster.predict("sum-app", #"{"input":"text"}"#)
        #expect(wrongType.status == 400)
        let malformed = try await cluster.predict("sum-app", #"{"input":[1.0"#)
        #expect(malformed.status == 400)
        #expect(try await cluster.predict("sum-app", #"{"input":[1.0]}"#).object["output"] as? Double == 1.0)
    }

    @Test func repeatedQueriesAreServedFromTheCache() async throws {
        let cluster = try await TestCluster()
        defer { cluster.stop() }
        try await cluster.deploy(app: "sum-app", model: "sum")
        try await cluster.startContainer(model: "sum", name: "sum")
        for _ in 0..<3 {
            #expect(try await cluster.predict("sum-app", #"{"input":[7.0, 1.0]}"#).object["output"] as? Double == 8.0)
        }
        #expect(try await cluster.metric(#"cutter_model_cache_misses_total{model="sum",version="1"}"#) == 1)
        #expect(try await cluster.metric(#"cutter_model_cache_hits_total{model="sum",version="1"}"#) == 2)
        #expect(try await cluster.metric(#"cutter_model_batch_size_count{model="sum",version="1"}"#) == 1)
    }

    @Test func aSlowModelGetsTheDefaultAtTheSLO() async throws {
        let cluster = try await TestCluster()
        defer { cluster.stop() }
        try await cluster.deploy(app: "slow-app", model: "slow", sloMicros: 100_000, defaultOutput: "fallback")
        try await cluster.startContainer(model: "sleep", name: "slow", extra: ["--fixed-ms", "1500"])
        let reply = try await cluster.predict("slow-app", #"{"input":[1.0]}"#)
        #expect(reply.object["default"] as? Bool == true)
        #expect(reply.object["output"] as? String == "fallback")
        #expect(reply.object["default_explanation"] as? String == "Failed to retrieve a prediction response within the specified latency SLO")
        #expect(try await cluster.metric(#"cutter_app_defaults_total{app="slow-app",reason="timeout"}"#) == 1)
    }

    @Test func aModelErrorIsAnsweredWithTheDefaultAndTheContainerLivesOn() async throws {
        let cluster = try await TestCluster()
        defer { cluster.stop() }
        try await cluster.deploy(app: "app", model: "flaky")
        let container = try await cluster.startContainer(model: "test_models:FailingModel", name: "flaky")
        let failed = try await cluster.predict("app", #"{"input":[13.0]}"#)
        #expect(failed.object["default"] as? Bool == true)
        #expect((failed.object["default_explanation"] as? String)?.contains("model failed") == true, "\(failed.body)")
        #expect(try await cluster.predict("app", #"{"input":[2.0]}"#).object["output"] as? Double == 2.0)
        #expect(container.isRunning)
    }

    @Test func twoReplicasBothServe() async throws {
        let cluster = try await TestCluster()
        defer { cluster.stop() }
        try await cluster.deploy(app: "pid-app", model: "pid")
        let first = try await cluster.startContainer(model: "test_models:PidModel", name: "pid")
        let second = try await cluster.startContainer(model: "test_models:PidModel", name: "pid")
        try await waitUntil("both replicas are recorded") {
            Set(try await cluster.admin("get_all_containers", #"{"verbose":false}"#).json as? [String] ?? []) == ["pid:1:0", "pid:1:1"]
        }
        // Records expire unless the live frontend renews them, so a crashed one leaves none for long.
        let redis = try cluster.redisClient()
        redis.run("SELECT", "3")
        let ttl = Int(redis.run("TTL", "pid,1,0").first ?? "") ?? -1
        #expect(ttl > 0 && ttl <= 30, "TTL \(ttl)")
        let pids = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<60 {
                group.addTask { "\(try await cluster.predict("pid-app", #"{"input":[\#(index).0]}"#).object["output"] ?? "none")" }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(pids == ["\(first.pid)", "\(second.pid)"], "\(pids)")
    }

    @Test func aContainerKilledMidBatchIsReplacedByAnotherReplica() async throws {
        let cluster = try await TestCluster()
        defer { cluster.stop() }
        try await cluster.deploy(app: "app", model: "slow", sloMicros: 10_000_000)
        let doomed = try await cluster.startContainer(model: "sleep", name: "slow", extra: ["--fixed-ms", "3000"])
        let batches = #"cutter_model_batch_size_count{model="slow",version="1"}"#
        async let answer = cluster.predict("app", #"{"input":[1.0]}"#)
        try await waitUntil("the batch reached the doomed replica") { try await cluster.metric(batches) == 1 }
        try await cluster.startContainer(model: "sleep", name: "slow", extra: ["--fixed-ms", "100"])
        doomed.stop(signal: SIGKILL)
        let reply = try await answer
        #expect(reply.object["default"] as? Bool == false, "\(reply.body)\n\(cluster.logs)")
        #expect(reply.object["output"] as? Double == 1)
        // The lost batch was sent again, to the other replica.
        #expect(try await cluster.metric(batches) == 2)
        // The lost replica's record is gone from Redis.
        try await waitUntil("the dead replica is unregistered") {
            try await cluster.admin("get_all_containers", #"{"verbose":false}"#).json as? [String] == ["slow:1:1"]
        }
    }

    @Test func aLostOnlyContainerNeverHangsAQuery() async throws {
        let cluster = try await TestCluster()
        defer { cluster.stop() }
        try await cluster.deploy(app: "app", model: "slow", sloMicros: 10_000_000)
        let doomed = try await cluster.startContainer(model: "sleep", name: "slow", extra: ["--fixed-ms", "20000"])
        async let answer = cluster.predict("app", #"{"input":[1.0]}"#)
        try await waitUntil("the batch reached the doomed replica") {
            try await cluster.metric(#"cutter_model_batch_size_count{model="slow",version="1"}"#) == 1
        }
        doomed.stop(signal: SIGKILL)
        // Answered as soon as the loss is known, not at the 10 s deadline: a timeout would explain
        // itself as a missed SLO.
        let reply = try await answer
        #expect(reply.object["default"] as? Bool == true)
        #expect(reply.object["default_explanation"] as? String == "No connected models found for query", "\(reply.body)")
        // With no replica left, new queries get the default at once.
        let after = try await cluster.predict("app", #"{"input":[2.0]}"#)
        #expect(after.object["default_explanation"] as? String == "No connected models found for query")
    }

    @Test func concurrentLoadIsBatchedWithinTheSLO() async throws {
        let cluster = try await TestCluster()
        defer { cluster.stop() }
        // 20 ms per batch + 0.5 ms per input: batching is what keeps up with the load.
        try await cluster.deploy(app: "batch-app", model: "batcher", sloMicros: 1_000_000)
        try await cluster.startContainer(model: "sleep", name: "batcher", extra: ["--fixed-ms", "20", "--per-item-ms", "0.5"])
        let replies = try await withThrowingTaskGroup(of: HTTPReply.self) { group in
            for index in 0..<300 {
                group.addTask { try await cluster.predict("batch-app", #"{"input":[\#(index).0]}"#) }
            }
            return try await group.reduce(into: [HTTPReply]()) { $0.append($1) }
        }
        let batchSizes = replies.compactMap { $0.object["output"] as? Int }
        #expect(replies.allSatisfy { $0.object["default"] as? Bool == false }, "\(replies.filter { $0.object["default"] as? Bool != false }.prefix(3).map(\.body))")
        #expect(batchSizes.count == 300)
        #expect((batchSizes.max() ?? 0) > 1, "batch sizes: \(Set(batchSizes))")
        #expect(try await cluster.metric(#"cutter_model_batch_size_count{model="batcher",version="1"}"#) ?? 300 < 300)
    }

    @Test func addModelsBatchSizeCapsTheBatches() async throws {
        let cluster = try await TestCluster()
        defer { cluster.stop() }
        // Clipper's add_model batch_size: a positive value caps the model's batches.
        try await cluster.deploy(app: "capped", model: "batcher", sloMicros: 5_000_000, batchSize: 2)
        try await cluster.startContainer(model: "sleep", name: "batcher", extra: ["--fixed-ms", "20"])
        let sizes = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<100 {
                group.addTask { try await cluster.predict("capped", #"{"input":[\#(index).0]}"#).object["output"] as? Int ?? 0 }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(sizes.allSatisfy { $0 == 1 || $0 == 2 }, "batch sizes seen: \(Set(sizes))")
        #expect(sizes.contains(2), "the queue filled batches up to the cap: \(Set(sizes))")
    }

    @Test func delayedBatchingWaitsForStragglingQueries() async throws {
        // Queries 20 ms apart: without a batch wait each would leave alone; with a 1 s wait they
        // share one batch (the sleep model answers with the size of the batch it ran in). The
        // queue's own timing is unit-tested on a manual clock (ModelQueueTests).
        let cluster = try await TestCluster(settings: ["batch_wait_micros=1000000"])
        defer { cluster.stop() }
        try await cluster.deploy(app: "app", model: "batcher", sloMicros: 5_000_000)
        try await cluster.startContainer(model: "sleep", name: "batcher", extra: ["--fixed-ms", "1"])
        // Warm up: concurrent load lets AIMD raise the batch size above 1.
        _ = try await withThrowingTaskGroup(of: HTTPReply.self) { group in
            for index in 0..<200 { group.addTask { try await cluster.predict("app", #"{"input":[\#(index).0]}"#) } }
            return try await group.reduce(into: 0) { count, _ in count += 1 }
        }
        let sizes = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<3 {
                group.addTask {
                    try await Task.sleep(for: .milliseconds(20 * index))
                    return try await cluster.predict("app", #"{"input":[\#(1000 + index).0]}"#).object["output"] as? Int ?? 0
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(sizes == [3, 3, 3], "batch sizes seen: \(sizes)")
    }

    @Test func garbageOnTheRPCPortLeavesTheServerServing() async throws {
        let cluster = try await TestCluster()
        defer { cluster.stop() }
        try await cluster.deploy(app: "sum-app", model: "sum")
        try await cluster.startContainer(model: "sum", name: "sum")
        for garbage in [Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8), (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31) },
                        [0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 3, 0] + Array("NULL".utf8) + [UInt8](repeating: 0, count: 48) + [0x00, 0x04, 1, 2, 3, 4]] {
            let peer = try RawConnection(port: cluster.rpcPort)
            peer.send(garbage)
            #expect(await peer.waitForClose(seconds: 5), "cutter should close a connection that sends garbage")
        }
        #expect(try await cluster.predict("sum-app", #"{"input":[2.0, 2.0]}"#).object["output"] as? Double == 4.0)
        #expect(cluster.cutter.isRunning)
    }
}
