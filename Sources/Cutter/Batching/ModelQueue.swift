import ClipperRPC
import Logging

/// The queue of one model version and the state of its replicas: tasks wait here, are cut into
/// batches sized per replica by AIMD, and go to the replica with the least outstanding work. It
/// tracks every batch until its replica answers, and puts the tasks of a lost replica's batches
/// back at the front.
final class ModelQueue<Clock: Scheduler, Replica: BatchReplica> {
    /// A replica and its batching state.
    final class ReplicaState {
        let replica: Replica
        var sizer: AIMDBatchSizer
        /// Batches sent and not yet answered.
        var outstanding = 0
        init(replica: Replica, sizer: AIMDBatchSizer) {
            self.replica = replica
            self.sizer = sizer
        }
    }

    /// A batch sent to a replica and not yet answered.
    private struct Batch {
        let replica: ReplicaState
        let tasks: [PredictionTask]
        let sentAt: UInt64
    }

    let modelKey: String
    let inputType: InputType
    private let clock: Clock
    private let metrics: ServingMetrics
    private let logger: Logger
    /// Waiting tasks are `tasks[head...]`: taking from the front moves `head`, and the array is
    /// compacted only now and then, so dispatch does not shift the queue per batch.
    private var tasks: [PredictionTask] = []
    private var head = 0
    private(set) var replicas: [ReplicaState] = []
    private var inFlight: [UInt32: Batch] = [:]
    private var nextBatchID: UInt32 = 0
    /// One batch at a time per replica: a replica computes one batch at a time, and a second one
    /// queued behind it would only wait there, out of reach of the batches that follow.
    private let maxOutstandingPerReplica = 1
    private var batchSizeBound: Int
    private let batchWait: UInt64
    private var waitTimer: Clock.Timer?

    /// - Parameters:
    ///   - batchSizeBound: the largest batch AIMD may reach.
    ///   - batchWait: how long (ns) a shallow queue waits for more tasks before it sends (delayed batching).
    init(modelKey: String, inputType: InputType, batchSizeBound: Int, batchWait: UInt64, clock: Clock,
         metrics: ServingMetrics, logger: Logger) {
        self.modelKey = modelKey
        self.inputType = inputType
        self.batchSizeBound = max(1, batchSizeBound)
        self.batchWait = batchWait
        self.clock = clock
        self.metrics = metrics
        self.logger = logger
    }

    /// Tasks waiting to be sent.
    var length: Int { tasks.count - head }
    /// Whether any replica is connected.
    var hasReplicas: Bool { !replicas.isEmpty }
    /// Batches sent and not yet answered.
    var batchesInFlight: Int { inFlight.count }

    /// Sets the largest batch, for every replica (add_model's `batch_size` changed).
    func setBatchSizeBound(_ bound: Int) {
        batchSizeBound = max(1, bound)
        for state in replicas { state.sizer.upperBound = batchSizeBound }
    }

    /// Queues a task and sends what can be sent.
    func enqueue(_ task: PredictionTask) {
        task.enqueuedAt = clock.now
        tasks.append(task)
        dispatch()
        metrics.queueLength(modelKey, length)
    }

    /// A replica joined: it takes batches from now on.
    func add(_ replica: Replica) {
        replicas.append(ReplicaState(replica: replica, sizer: AIMDBatchSizer(upperBound: batchSizeBound)))
        dispatch()
    }

    /// A replica is gone. Its batches in flight will never be answered: their tasks go back to
    /// the front, where another replica takes them if their deadline allows; else they expire to
    /// the default. With no replica left every waiting task fails at once with `.noReplica`.
    func remove(_ replica: Replica) {
        guard let index = replicas.firstIndex(where: { $0.replica === replica }) else { return }
        let state = replicas.remove(at: index)
        let lost = inFlight.filter { $0.value.replica === state }.sorted { $0.key < $1.key }
        var returned: [PredictionTask] = []
        for (id, batch) in lost {
            inFlight[id] = nil
            returned += batch.tasks
        }
        if !returned.isEmpty {
            logger.warning("replica lost with batches in flight; re-queueing", metadata: ["model": "\(modelKey)", "tasks": "\(returned.count)"])
            tasks.replaceSubrange(0..<head, with: returned)
            head = 0
        }
        if replicas.isEmpty {
            failWaiting(.noReplica)
        } else {
            dispatch()
        }
    }

    /// `replica` answered batch `id` with `outputs`, one per input in order; the wrong count is
    /// the SDK's way to say the model failed on the batch.
    func completed(_ replica: Replica, batch id: UInt32, outputs: [[UInt8]]) {
        // Checked before removal: a replica answering another's batch id must not lose that batch.
        guard let batch = inFlight[id], batch.replica.replica === replica else {
            logger.debug("ignoring an answer to an unknown batch", metadata: ["model": "\(modelKey)", "batch": "\(id)"])
            return
        }
        inFlight[id] = nil
        let latency = clock.now &- batch.sentAt
        batch.replica.outstanding -= 1
        let target = batch.tasks.map(\.latencyObjective).min() ?? 0
        // The batch's own latency may use half of the objective: the other half is queueing.
        batch.replica.sizer.observe(size: batch.tasks.count, latency: Double(latency), target: Double(target) / 2)
        metrics.batchLatency(modelKey, nanoseconds: latency)
        if outputs.count == batch.tasks.count {
            for (task, output) in zip(batch.tasks, outputs) { task.finish(.success(output)) }
        } else {
            let reason = "model \(modelKey) returned \(outputs.count) outputs for a batch of \(batch.tasks.count)"
            logger.warning("model failed a batch", metadata: ["model": "\(modelKey)", "outputs": "\(outputs.count)", "batch": "\(batch.tasks.count)"])
            for task in batch.tasks { task.finish(.failure(.modelFailed(reason))) }
        }
        dispatch()
    }

    /// Finishes every waiting task with `failure`.
    private func failWaiting(_ failure: TaskFailure) {
        let waiting = tasks[head...]
        tasks.removeAll()
        head = 0
        waiting.forEach { $0.finish(.failure(failure)) }
        metrics.queueLength(modelKey, 0)
    }

    /// Sends batches while there is work and a replica with room. Expired tasks are dropped
    /// here: their queries were already answered with the default.
    private func dispatch() {
        let now = clock.now
        while head < tasks.count && (tasks[head].isDone || tasks[head].deadline <= now) {
            tasks[head].finish(.failure(.deadlineExpired))
            head += 1
        }
        if head == tasks.count {
            tasks.removeAll(keepingCapacity: true)
            head = 0
            return
        }
        while length > 0, let state = leastOutstandingReplica() {
            let size = state.sizer.batchSize
            // Delayed batching: a shallow queue waits a little for more tasks, never past the
            // oldest task's deadline.
            if length < size, batchWait > 0 {
                let sendAt = min(tasks[head].deadline, tasks[head].enqueuedAt + batchWait)
                if sendAt > now {
                    if waitTimer?.isArmed != true {
                        waitTimer = clock.schedule(at: sendAt) { [weak self] in self?.dispatch() }
                    }
                    return
                }
            }
            var batch: [PredictionTask] = []
            batch.reserveCapacity(min(size, length))
            while batch.count < size && head < tasks.count {
                let task = tasks[head]
                head += 1
                if !task.isDone && task.deadline > now { batch.append(task) } else { task.finish(.failure(.deadlineExpired)) }
            }
            if head > 1024 && head * 2 > tasks.count {
                tasks.removeFirst(head)
                head = 0
            }
            guard !batch.isEmpty else { continue }
            send(batch, to: state, at: now)
        }
    }

    /// The replica with the fewest batches outstanding among those with room, the first on a tie.
    private func leastOutstandingReplica() -> ReplicaState? {
        var best: ReplicaState?
        for state in replicas where state.outstanding < maxOutstandingPerReplica {
            if best == nil || state.outstanding < best!.outstanding { best = state }
        }
        return best
    }

    private func send(_ tasks: [PredictionTask], to state: ReplicaState, at now: UInt64) {
        let id = nextBatchID
        nextBatchID &+= 1
        state.outstanding += 1
        inFlight[id] = Batch(replica: state, tasks: tasks, sentAt: now)
        metrics.batchSent(modelKey, size: tasks.count)
        metrics.queueLength(modelKey, length)
        state.replica.send(batch: id, inputType: inputType, inputs: tasks.map(\.input))
    }
}
