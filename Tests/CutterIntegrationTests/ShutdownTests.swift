import Foundation
import Testing

/// SIGTERM drains: the queries in flight are answered by their models before containers close.
@Suite(.serialized, .enabled(if: TestEnvironment.isReady, TestEnvironment.notReady))
struct ShutdownTests {
    @Test func queriesInFlightAtSIGTERMAreAnsweredByTheirModel() async throws {
        let cluster = try await TestCluster()
        defer { cluster.stop() }
        try await cluster.deploy(app: "slow-app", model: "slow", sloMicros: 5_000_000)
        try await cluster.startContainer(model: "sleep", name: "slow", extra: ["--fixed-ms", "200"])
        let replies = Task {
            try await withThrowingTaskGroup(of: HTTPReply.self) { group in
                for index in 0..<10 {
                    group.addTask { try await cluster.predict("slow-app", #"{"input":[\#(index).0]}"#) }
                }
                return try await group.reduce(into: [HTTPReply]()) { $0.append($1) }
            }
        }
        // All ten have arrived: cutter counts them in its queue or in a batch sent.
        try await waitUntil("the queries reached cutter") {
            let sent = try await cluster.metric(#"cutter_model_batch_size_sum{model="slow",version="1"}"#) ?? 0
            let queued = try await cluster.metric(#"cutter_model_queue_length{model="slow",version="1"}"#) ?? 0
            return sent + queued >= 10
        }
        kill(cluster.cutter.pid, SIGTERM)
        let answered = try await replies.value
        #expect(answered.count == 10)
        #expect(answered.allSatisfy { $0.object["default"] as? Bool == false }, "\(answered.map(\.body))\n\(cluster.logs)")
        cluster.cutter.waitUntilExit()
        #expect(cluster.cutter.terminationStatus == 0)
        #expect(cluster.cutter.log.contains("draining"))
    }
}
