import Logging
import Testing
@testable import Cutter

/// The model queue's decisions, driven by a manual clock and fake replicas: no processes, no sleeps.
struct ModelQueueTests {
    typealias Queue = ModelQueue<ManualScheduler, FakeReplica>

    /// Results delivered to the tasks, by the task's input byte.
    final class Results {
        var byInput: [UInt8: Result<[UInt8], TaskFailure>] = [:]
    }

    let clock = ManualScheduler()
    let results = Results()

    func makeQueue(bound: Int = 8, batchWait: UInt64 = 0) -> Queue {
        Queue(modelKey: "m:1", inputType: .doubles, batchSizeBound: bound, batchWait: batchWait, clock: clock,
              metrics: ServingMetrics(), logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    /// A task for input `byte`, due `deadline` from now, with a 100 ms objective.
    func task(_ byte: UInt8, deadline: UInt64 = ms(100)) -> PredictionTask {
        PredictionTask(input: [byte], deadline: clock.now + deadline, latencyObjective: ms(100)) { [results] in results.byInput[byte] = $0 }
    }

    @Test func aTaskGoesAtOnceToAnIdleReplica() {
        let queue = makeQueue()
        let replica = FakeReplica("a")
        queue.add(replica)
        queue.enqueue(task(1))
        #expect(replica.sentInputs == [[1]])
        #expect(queue.length == 0 && queue.batchesInFlight == 1)
    }

    @Test func tasksWaitWhileTheReplicaIsBusyThenLeaveAsOneBatch() {
        let queue = makeQueue()
        let replica = FakeReplica("a")
        queue.add(replica)
        queue.enqueue(task(1))
        for byte: UInt8 in 2...4 { queue.enqueue(task(byte)) }
        #expect(replica.batches.count == 1, "one batch outstanding per replica")
        #expect(queue.length == 3)
        // AIMD starts at 1 and grows by one per full batch within half the objective.
        clock.advance(by: ms(1))
        queue.completed(replica, batch: replica.batches[0].id, outputs: [[10]])
        #expect(results.byInput[1] == .success([10]))
        #expect(replica.sentInputs == [[1], [2, 3]], "the batch size grew from 1 to 2")
        queue.completed(replica, batch: replica.batches[1].id, outputs: [[20], [30]])
        #expect(replica.sentInputs == [[1], [2, 3], [4]])
        #expect(results.byInput[2] == .success([20]) && results.byInput[3] == .success([30]))
    }

    @Test func batchesAreCutAtTheModelsCap() {
        let queue = makeQueue(bound: 3)
        let replica = FakeReplica("a")
        queue.add(replica)
        // Warm AIMD up to the cap with full, fast batches.
        for round in 0..<6 {
            for index in 0..<4 { queue.enqueue(task(UInt8(round * 4 + index))) }
            while let batch = replica.takeUnanswered() {
                queue.completed(replica, batch: batch.id, outputs: batch.inputs)
            }
        }
        #expect(replica.batches.map(\.inputs.count).max() == 3)
        queue.setBatchSizeBound(2)
        for byte: UInt8 in 100...104 { queue.enqueue(task(byte)) }
        while let batch = replica.takeUnanswered() {
            queue.completed(replica, batch: batch.id, outputs: batch.inputs)
        }
        #expect(replica.batches.suffix(3).map(\.inputs.count) == [1, 2, 2], "a lowered cap applies to the next batches")
    }

    @Test func expiredTasksAreDroppedNotSent() {
        let queue = makeQueue()
        let replica = FakeReplica("a")
        queue.add(replica)
        queue.enqueue(task(1))
        queue.enqueue(task(2, deadline: ms(10)))
        queue.enqueue(task(3, deadline: ms(50)))
        clock.advance(by: ms(20))
        queue.completed(replica, batch: replica.batches[0].id, outputs: [[1]])
        #expect(results.byInput[2] == .failure(.deadlineExpired))
        #expect(replica.sentInputs == [[1], [3]], "the expired task never reaches the replica")
    }

    @Test func delayedBatchingWaitsForMoreTasksUpToTheWait() {
        let queue = makeQueue(bound: 4, batchWait: ms(5))
        let replica = FakeReplica("a")
        queue.add(replica)
        // Grow AIMD to 4 first: full batches answered at once.
        for round in 0..<4 {
            for index in 0..<4 { queue.enqueue(task(UInt8(round * 4 + index))) }
            clock.advance(by: ms(5))
            while let batch = replica.takeUnanswered() {
                queue.completed(replica, batch: batch.id, outputs: batch.inputs)
            }
        }
        let sent = replica.batches.count
        queue.enqueue(task(100))
        clock.advance(by: ms(2))
        queue.enqueue(task(101))
        #expect(replica.batches.count == sent, "a shallow queue waits")
        clock.advance(by: ms(2))
        #expect(replica.batches.count == sent)
        clock.advance(by: ms(1))  // 5 ms after the oldest task arrived
        #expect(replica.sentInputs.last == [100, 101])
    }

    @Test func delayedBatchingNeverWaitsPastTheOldestDeadline() {
        let queue = makeQueue(bound: 4, batchWait: ms(50))
        let replica = FakeReplica("a")
        queue.add(replica)
        // AIMD at 1 would send at once; grow it to 2 so one task is a shallow queue.
        queue.enqueue(task(1))
        queue.completed(replica, batch: replica.batches[0].id, outputs: [[1]])
        queue.enqueue(task(2, deadline: ms(10)))
        #expect(replica.batches.count == 1)
        clock.advance(by: ms(9))
        #expect(replica.batches.count == 1)
        clock.advance(by: ms(1))
        // At its deadline the task is no longer worth sending: it expires instead.
        #expect(results.byInput[2] == .failure(.deadlineExpired))
        #expect(replica.batches.count == 1)
    }

    @Test func theLeastBusyReplicaTakesTheNextBatch() {
        let queue = makeQueue()
        let a = FakeReplica("a"), b = FakeReplica("b")
        queue.add(a)
        queue.add(b)
        queue.enqueue(task(1))
        queue.enqueue(task(2))
        #expect(a.sentInputs == [[1]] && b.sentInputs == [[2]], "each idle replica takes one")
        queue.enqueue(task(3))
        #expect(queue.length == 1, "both are busy")
        queue.completed(b, batch: b.batches[0].id, outputs: [[2]])
        #expect(b.sentInputs == [[2], [3]], "the replica that became free takes it")
        #expect(a.batches.count == 1)
    }

    @Test func aLostReplicasBatchGoesBackToTheFrontForAnother() {
        let queue = makeQueue()
        let doomed = FakeReplica("doomed"), other = FakeReplica("other")
        queue.add(doomed)
        queue.enqueue(task(1))
        queue.enqueue(task(2))
        #expect(doomed.sentInputs == [[1]])
        queue.add(other)
        #expect(other.sentInputs == [[2]])
        queue.enqueue(task(3))
        queue.remove(doomed)
        #expect(results.byInput[1] == nil, "the lost task is not failed")
        queue.completed(other, batch: other.batches[0].id, outputs: [[2]])
        #expect(other.sentInputs.last == [1, 3], "the returned task goes first")
        // A late answer from the lost replica is ignored.
        queue.completed(doomed, batch: doomed.batches[0].id, outputs: [[99]])
        let last = other.batches.last!
        queue.completed(other, batch: last.id, outputs: last.inputs.map { [$0[0] + 10] })
        #expect(results.byInput[1] == .success([11]))
    }

    @Test func losingTheLastReplicaFailsWaitingTasksAtOnce() {
        let queue = makeQueue()
        let replica = FakeReplica("a")
        queue.add(replica)
        queue.enqueue(task(1))
        queue.enqueue(task(2))
        queue.remove(replica)
        #expect(results.byInput[1] == .failure(.noReplica))
        #expect(results.byInput[2] == .failure(.noReplica))
        #expect(queue.length == 0 && queue.batchesInFlight == 0)
    }

    @Test func anAnswerFromAnotherReplicaDoesNotCompleteTheBatch() {
        let queue = makeQueue()
        let a = FakeReplica("a"), b = FakeReplica("b")
        queue.add(a)
        queue.add(b)
        queue.enqueue(task(1))
        queue.completed(b, batch: a.batches[0].id, outputs: [[9]])
        #expect(results.byInput[1] == nil)
        queue.completed(a, batch: a.batches[0].id, outputs: [[1]])
        #expect(results.byInput[1] == .success([1]))
    }

    @Test func aWrongOutputCountFailsTheBatchAsAModelError() {
        let queue = makeQueue()
        let replica = FakeReplica("a")
        queue.add(replica)
        queue.enqueue(task(1))
        queue.completed(replica, batch: replica.batches[0].id, outputs: [])
        guard case .failure(.modelFailed(let reason))? = results.byInput[1] else {
            Issue.record("expected a model failure, got \(String(describing: results.byInput[1]))")
            return
        }
        #expect(reason.contains("returned 0 outputs for a batch of 1"))
    }
}
