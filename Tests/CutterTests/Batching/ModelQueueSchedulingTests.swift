import Logging
import Testing
@testable import Cutter

/// Scheduling by latency profiles (Clockwork's lesson), on a manual clock with fake replicas:
/// admission at arrival, earliest deadline first, batches cut to fit, overrun detection.
struct ModelQueueSchedulingTests {
    typealias Queue = ModelQueue<ManualScheduler, FakeReplica>

    final class Results {
        var byInput: [Int: Result<[UInt8], TaskFailure>] = [:]
    }

    let clock = ManualScheduler()
    let results = Results()
    /// A 10 ms batch plus 1 ms per input.
    static func latency(_ size: Int) -> UInt64 { ms(10) + ms(1) * UInt64(size) }

    func makeQueue(bound: Int = 8) -> Queue {
        Queue(modelKey: "m:1", inputType: .doubles, batchSizeBound: bound, batchWait: 0, clock: clock,
              metrics: ServingMetrics(), logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    /// A task for input `id`, due `deadline` from now.
    func task(_ id: Int, deadline: UInt64, objective: UInt64 = ms(1000)) -> PredictionTask {
        PredictionTask(input: [UInt8(truncatingIfNeeded: id), UInt8(truncatingIfNeeded: id >> 8)], deadline: clock.now + deadline,
                       latencyObjective: objective) { [results] in results.byInput[id] = $0 }
    }

    /// Answers every batch sent to `replicas`, in order, each after its modelled latency, until
    /// none is left (answers lead to more batches).
    func answer(_ replicas: FakeReplica..., queue: Queue, latency: (Int) -> UInt64 = Self.latency) {
        var progress = true
        while progress {
            progress = false
            for replica in replicas {
                guard let batch = replica.takeUnanswered() else { continue }
                clock.advance(by: latency(batch.inputs.count))
                queue.completed(replica, batch: batch.id, outputs: batch.inputs)
                progress = true
            }
        }
    }

    /// Teaches the profiles of `replicas` with batches of 1 to 4 inputs.
    func teach(_ replicas: FakeReplica..., queue: Queue, latency: (Int) -> UInt64 = Self.latency) {
        var id = 10_000
        for size in [1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4] {
            for _ in 0..<(size * replicas.count) {
                queue.enqueue(task(id, deadline: ms(100_000)))
                id += 1
            }
            for replica in replicas { answer(replica, queue: queue, latency: latency) }
        }
    }

    @Test func aQueryThatCannotBeAnsweredInTimeIsShedAtOnceAndNeverSent() {
        let queue = makeQueue(bound: 4)
        let replica = FakeReplica("a")
        queue.add(replica)
        teach(replica, queue: queue)
        let sentBefore = replica.batches.count
        // 40 ms deadlines: the busy replica (14 ms for 4) gets through 2 batches of 4, and part of a third.
        for id in 0..<20 { queue.enqueue(task(id, deadline: ms(40))) }
        let shed = (0..<20).filter { results.byInput[$0] == .failure(.shed) }
        #expect(shed.count >= 8 && shed.count <= 14, "shed \(shed.count) of 20")
        #expect(shed == Array((20 - shed.count)..<20), "the latest arrivals are shed")
        // Serve the rest: every admitted query is answered in time; no shed one reached the model.
        answer(replica, queue: queue)
        let sent = replica.batches.dropFirst(sentBefore).flatMap(\.inputs).map { Int($0[0]) | Int($0[1]) << 8 }
        #expect(Set(sent).isDisjoint(with: shed))
        for id in 0..<20 where !shed.contains(id) {
            #expect(results.byInput[id] != nil && results.byInput[id] != .failure(.shed), "\(id)")
        }
        #expect(queue.length == 0)
    }

    @Test func nothingIsShedWhileTheProfileIsEmpty() {
        let queue = makeQueue(bound: 4)
        let replica = FakeReplica("a")
        queue.add(replica)
        for id in 0..<50 { queue.enqueue(task(id, deadline: ms(1))) }
        #expect(results.byInput.values.allSatisfy { $0 != .failure(.shed) })
        #expect(queue.length == 49)
    }

    @Test func batchesAreCutToFinishBeforeTheEarliestDeadline() {
        let queue = makeQueue(bound: 64)
        let replica = FakeReplica("a")
        queue.add(replica)
        teach(replica, queue: queue)
        queue.enqueue(task(0, deadline: ms(10_000)))  // keeps the replica busy
        for id in 1...30 { queue.enqueue(task(id, deadline: ms(40))) }
        answer(replica, queue: queue)
        // The second batch left 11 ms in; 10 + n ms must fit the 29 ms left: about 18 inputs, not 30.
        let second = replica.batches.last!.inputs.count
        #expect(second >= 14 && second <= 19, "batch of \(second)")
    }

    @Test func aFullSecondBatchWaitsAtTheBusyReplicaAPartialOneHere() {
        let queue = makeQueue(bound: 4)
        let replica = FakeReplica("a")
        queue.add(replica)
        teach(replica, queue: queue)
        let before = replica.batches.count
        queue.enqueue(task(0, deadline: ms(1_000)))
        for id in 1...3 { queue.enqueue(task(id, deadline: ms(1_000))) }
        #expect(replica.batches.count == before + 1, "three tasks are not a full batch: they wait here")
        queue.enqueue(task(4, deadline: ms(1_000)))
        #expect(replica.batches.count == before + 2 && replica.batches.last!.inputs.count == 4,
                "a full batch is pipelined behind the one in flight")
        #expect(queue.batchesInFlight == 2)
        // The second batch's time counts from the first one's answer (14 ms), not from its send (25 ms).
        answer(replica, queue: queue)
        #expect(queue.batchesInFlight == 0)
        #expect(results.byInput[4] == .success([4, 0]))
        let p99 = queue.replicas[0].profile.p99(4)
        #expect(p99 > 13e6 && p99 < 18e6, "p99(4) = \(p99 / 1e6) ms")
    }

    @Test func theEarliestDeadlineLeavesFirst() {
        let queue = makeQueue(bound: 1)
        let replica = FakeReplica("a")
        queue.add(replica)
        teach(replica, queue: queue)
        queue.enqueue(task(8, deadline: ms(10_000)))  // keeps the replica busy
        queue.enqueue(task(9, deadline: ms(10_000)))  // and waits at it, pipelined
        queue.enqueue(task(1, deadline: ms(5_000)))
        queue.enqueue(task(2, deadline: ms(3_000)))
        queue.enqueue(task(3, deadline: ms(4_000)))
        answer(replica, queue: queue)
        let order = replica.batches.suffix(5).map { Int($0.inputs[0][0]) }
        #expect(order == [8, 9, 2, 3, 1])
    }

    @Test func aTaskThatCanNoLongerMakeItIsAnsweredNotSent() {
        let queue = makeQueue(bound: 4)
        let replica = FakeReplica("a")
        queue.add(replica)
        teach(replica, queue: queue)
        queue.enqueue(task(0, deadline: ms(10_000)))  // busy for 11 ms
        queue.enqueue(task(1, deadline: ms(13)))       // admitted: 11 + 11 ms is too late... by the profile's margin
        let admitted = results.byInput[1] == nil
        queue.enqueue(task(2, deadline: ms(30)))
        answer(replica, queue: queue)
        if admitted {
            // Admitted while the estimate allowed it, but at dispatch 11 ms in, 2 ms is left: shed, not sent.
            #expect(results.byInput[1] == .failure(.shed))
        }
        #expect(!replica.batches.flatMap(\.inputs).contains { $0[0] == 1 && $0[1] == 0 }, "task 1 never reaches the model")
        #expect(results.byInput[2] == .success([2, 0]))
    }

    @Test func aReplicaFarPastItsProfileIsStalledAndItsBatchGoesToAnother() {
        let queue = makeQueue(bound: 4)
        let slow = FakeReplica("slow"), healthy = FakeReplica("healthy")
        queue.add(slow)
        queue.add(healthy)
        teach(slow, healthy, queue: queue)
        #expect(queue.batchesInFlight == 0)
        // Slow takes task 1 and does not answer; healthy takes task 2 and answers.
        queue.enqueue(task(1, deadline: ms(50)))
        queue.enqueue(task(2, deadline: ms(50)))
        let stuck = slow.batches.last!
        #expect(stuck.inputs == [[1, 0]])
        clock.advance(by: Self.latency(1))
        queue.completed(healthy, batch: healthy.batches.last!.id, outputs: healthy.batches.last!.inputs)
        // Past its deadline it is only late; past 5 × its p99 as well, its replica counts as stalled.
        clock.advance(by: ms(40))
        #expect(queue.stalledReplicas == 0)
        clock.advance(by: ms(20))
        #expect(queue.stalledReplicas == 1)
        #expect(results.byInput[1] == .failure(.deadlineExpired), "its task was answered, not left waiting")
        // The stalled replica gets nothing new.
        queue.enqueue(task(3, deadline: ms(1_000)))
        #expect(healthy.batches.last!.inputs == [[3, 0]] && slow.batches.last! == stuck)
        queue.completed(healthy, batch: healthy.batches.last!.id, outputs: [[7]])
        #expect(results.byInput[3] == .success([7]))
        // When it answers after all, it takes work again.
        queue.completed(slow, batch: stuck.id, outputs: [[9]])
        #expect(queue.stalledReplicas == 0)
        queue.enqueue(task(4, deadline: ms(1_000)))
        #expect(slow.batches.last!.inputs == [[4, 0]])
    }

    @Test func aProfileTaughtByABadMomentIsForgottenOnceItStopsLearning() {
        let queue = makeQueue(bound: 4)
        let replica = FakeReplica("a")
        queue.add(replica)
        // A starved moment: every batch took half a second.
        teach(replica, queue: queue) { _ in ms(500) }
        queue.enqueue(task(1, deadline: ms(100)))
        #expect(results.byInput[1] == .failure(.shed))
        let sent = replica.batches.count
        // It would shed every query forever and never learn otherwise; after a second without a
        // batch the profile starts over, and the replica gets work again.
        clock.advance(by: ms(1_001))
        queue.enqueue(task(2, deadline: ms(100)))
        #expect(results.byInput[2] == nil && replica.batches.count == sent + 1)
        #expect(!queue.replicas[0].profile.isReady)
    }

    @Test func aStalledOnlyReplicaNeverStallsItsModel() {
        let queue = makeQueue(bound: 4)
        let replica = FakeReplica("a")
        queue.add(replica)
        teach(replica, queue: queue)
        queue.enqueue(task(1, deadline: ms(100)))
        queue.enqueue(task(2, deadline: ms(100)))
        clock.advance(by: ms(100))
        #expect(queue.stalledReplicas == 1)
        #expect(results.byInput[2] != nil, "the waiting task was not left waiting")
        queue.enqueue(task(3, deadline: ms(100)))
        #expect(results.byInput[3] == .failure(.unresponsive), "answered at once while no replica answers")
    }
}
