import ClipperRPC
import Logging

/// The queue of one model version and the state of its replicas. It schedules by each replica's
/// latency profile (Clockwork's lesson): a task that could not be answered before its deadline is
/// refused at once (`enqueue` sheds it), tasks leave earliest deadline first, each batch is as
/// large as still completes before the earliest deadline in it, and a batch far past its profile
/// marks its replica stalled and goes to another. Until a replica's profile has seen a few
/// batches, AIMD sizes its batches. It tracks every batch until its replica answers, and puts
/// the tasks of a lost replica's batches back in the queue.
final class ModelQueue<Clock: Scheduler, Replica: BatchReplica> {
    /// A replica and its scheduling state.
    final class ReplicaState {
        let replica: Replica
        var sizer: AIMDBatchSizer
        var profile = LatencyProfile()
        /// Batches sent and not yet answered (or given up on).
        var outstanding = 0
        /// When, by its profile, it is done with what it was sent (monotonic ns).
        var busyUntil: UInt64 = 0
        /// When its last answer arrived: a batch sent before that waited behind the one answered.
        var lastAnswerAt: UInt64 = 0
        /// Batches it overran; it takes no work until it answers one of them.
        var overrun: Set<UInt32> = []
        var isStalled: Bool { !overrun.isEmpty }
        /// When it joined.
        let addedAt: UInt64
        init(replica: Replica, sizer: AIMDBatchSizer, addedAt: UInt64) {
            self.replica = replica
            self.sizer = sizer
            self.addedAt = addedAt
        }
    }

    /// A batch sent to a replica and not yet answered.
    private struct Batch {
        let replica: ReplicaState
        let entries: [TaskHeap.Entry]
        let sentAt: UInt64
        /// When the batch counts as overrun: 5 × its profile's p99 and past its earliest deadline.
        let overrunAt: UInt64
    }

    /// How far past its p99 a batch may run before its replica counts as stalled.
    static var overrunFactor: Double { 5 }
    /// An idle replica whose profile learned nothing for this long (ns) starts a new one.
    private let profileLifetime: UInt64

    let modelKey: String
    let inputType: InputType
    private let clock: Clock
    private let metrics: ServingMetrics
    private let logger: Logger
    private var waiting = TaskHeap()
    private(set) var replicas: [ReplicaState] = []
    private var inFlight: [UInt32: Batch] = [:]
    /// Batches given up on as overrun, kept until their replica answers or leaves: a late answer
    /// still serves the tasks that wait for it.
    private var overrun: [UInt32: Batch] = [:]
    private var nextBatchID: UInt32 = 0
    /// Pipelining: a replica computes one batch at a time, but a second, full batch may wait at
    /// the replica while it computes, so it never idles for the round trip between answering and
    /// being sent the next one. A batch less than full waits here instead, where it can still grow.
    private let maxOutstandingPerReplica = 2
    private var batchSizeBound: Int
    private let batchWait: UInt64
    private var waitTimer: Clock.Timer?
    private var watchdog: Clock.Timer?
    /// When the armed watchdog fires.
    private var watchdogAt: UInt64 = 0

    /// - Parameters:
    ///   - batchSizeBound: the largest batch.
    ///   - batchWait: how long (ns) a shallow queue waits for more tasks before it sends (delayed batching).
    ///   - profileLifetime: how long (ns) an idle replica's latency profile is trusted without a new batch.
    init(modelKey: String, inputType: InputType, batchSizeBound: Int, batchWait: UInt64, profileLifetime: UInt64 = 1_000_000_000,
         clock: Clock, metrics: ServingMetrics, logger: Logger) {
        self.profileLifetime = profileLifetime
        self.modelKey = modelKey
        self.inputType = inputType
        self.batchSizeBound = max(1, batchSizeBound)
        self.batchWait = batchWait
        self.clock = clock
        self.metrics = metrics
        self.logger = logger
    }

    /// Tasks waiting to be sent.
    var length: Int { waiting.count }
    /// Whether any replica is connected.
    var hasReplicas: Bool { !replicas.isEmpty }
    /// Batches sent and not yet answered.
    var batchesInFlight: Int { inFlight.count }
    /// Replicas that overran a batch and have not answered since.
    var stalledReplicas: Int { replicas.reduce(0) { $1.isStalled ? $0 + 1 : $0 } }

    /// Sets the largest batch, for every replica (add_model's `batch_size` changed).
    func setBatchSizeBound(_ bound: Int) {
        batchSizeBound = max(1, bound)
        for state in replicas { state.sizer.upperBound = batchSizeBound }
    }

    /// Queues a task and sends what can be sent, or refuses it at once: with `.shed` when, by the
    /// profiles and the work queued ahead, it could not be answered before its deadline, and with
    /// `.unresponsive` when every replica is stalled. A refused task is never sent to a model.
    func enqueue(_ task: PredictionTask) {
        let now = clock.now
        guard replicas.contains(where: { !$0.isStalled }) else { return task.finish(.failure(.unresponsive)) }
        forgetStaleProfiles(now: now)
        if let completion = estimatedCompletion(ofTaskAfter: waiting.count, now: now), completion > task.deadline {
            metrics.shed(modelKey)
            return task.finish(.failure(.shed))
        }
        task.enqueuedAt = now
        waiting.push(task)
        dispatch()
        metrics.queueLength(modelKey, length)
    }

    /// A replica joined: it takes batches from now on.
    func add(_ replica: Replica) {
        replicas.append(ReplicaState(replica: replica, sizer: AIMDBatchSizer(upperBound: batchSizeBound), addedAt: clock.now))
        reportReplicas()
        dispatch()
    }

    /// A replica is gone. Its batches in flight will never be answered: their tasks go back to
    /// the queue, where another replica takes them if their deadline allows; else they expire to
    /// the default. With no replica left every waiting task fails at once with `.noReplica`.
    func remove(_ replica: Replica) {
        guard let index = replicas.firstIndex(where: { $0.replica === replica }) else { return }
        let state = replicas.remove(at: index)
        let lost = inFlight.filter { $0.value.replica === state }
        for id in lost.keys { inFlight[id] = nil }
        for id in state.overrun { overrun[id] = nil }
        let returned = lost.values.reduce(0) { $0 + $1.entries.count }
        if returned > 0 {
            logger.warning("replica lost with batches in flight; re-queueing", metadata: ["model": "\(modelKey)", "tasks": "\(returned)"])
            for batch in lost.values { batch.entries.forEach { waiting.push($0) } }
        }
        if replicas.isEmpty {
            failWaiting(.noReplica)
        } else {
            dispatch()
        }
        reportReplicas()
    }

    /// `replica` answered batch `id` with `outputs`, one per input in order; the wrong count is
    /// the SDK's way to say the model failed on the batch.
    func completed(_ replica: Replica, batch id: UInt32, outputs: [[UInt8]]) {
        // Checked before removal: a replica answering another's batch id must not lose that batch.
        if let batch = overrun[id], batch.replica.replica === replica {
            // A stalled replica answered after all: it takes work again, its profile learns how
            // slow it was, and any task still waiting gets the output.
            overrun[id] = nil
            batch.replica.overrun.remove(id)
            logger.notice("stalled replica answered again", metadata: ["model": "\(modelKey)"])
            finish(batch, outputs: outputs, latency: clock.now &- batch.sentAt)
            reportReplicas()
            return dispatch()
        }
        guard let batch = inFlight[id], batch.replica.replica === replica else {
            logger.debug("ignoring an answer to an unknown batch", metadata: ["model": "\(modelKey)", "batch": "\(id)"])
            return
        }
        inFlight[id] = nil
        batch.replica.outstanding -= 1
        let now = clock.now
        // Its own time: from when it was sent, or, if it waited behind the previous answer at the
        // replica, from that answer.
        let latency = now &- max(batch.sentAt, batch.replica.lastAnswerAt)
        batch.replica.lastAnswerAt = now
        finish(batch, outputs: outputs, latency: latency)
        dispatch()
    }

    /// Learns from a batch's latency and delivers its outputs.
    private func finish(_ batch: Batch, outputs: [[UInt8]], latency: UInt64) {
        let state = batch.replica
        let target = batch.entries.map(\.task.latencyObjective).min() ?? 0
        // The batch's own latency may use half of the objective: the other half is queueing.
        state.sizer.observe(size: batch.entries.count, latency: Double(latency), target: Double(target) / 2)
        state.profile.observe(size: batch.entries.count, latency: latency)
        metrics.batchLatency(modelKey, nanoseconds: latency)
        if state.profile.isReady {
            metrics.profile(modelKey, p99: state.profile.p99, intercept: state.profile.intercept, slope: state.profile.slope)
        }
        if outputs.count == batch.entries.count {
            for (entry, output) in zip(batch.entries, outputs) { entry.task.finish(.success(output)) }
        } else {
            let reason = "model \(modelKey) returned \(outputs.count) outputs for a batch of \(batch.entries.count)"
            logger.warning("model failed a batch", metadata: ["model": "\(modelKey)", "outputs": "\(outputs.count)", "batch": "\(batch.entries.count)"])
            metrics.batchFailed(modelKey)
            for entry in batch.entries { entry.task.finish(.failure(.modelFailed(reason))) }
        }
    }

    /// Finishes every waiting task with `failure`.
    private func failWaiting(_ failure: TaskFailure) {
        let tasks = waiting.removeAll()
        tasks.forEach { $0.task.finish(.failure(failure)) }
        metrics.queueLength(modelKey, 0)
    }

    /// A profile learns only from the batches its replica is sent, and it decides what is sent:
    /// one taught by a bad moment (a model starved of CPU under a burst, say) could shed every
    /// query and never see the batch that would correct it. So an idle replica whose profile saw
    /// no batch for `profileLifetime` starts over: AIMD sends it work again while a new profile
    /// learns from a few batches.
    private func forgetStaleProfiles(now: UInt64) {
        for state in replicas where state.profile.isReady && state.outstanding == 0
            && now &- max(state.lastAnswerAt, state.addedAt) > profileLifetime {
            logger.notice("latency profile not refreshed within latency_profile_lifetime_seconds; learning it anew", metadata: ["model": "\(modelKey)"])
            state.profile = LatencyProfile()
        }
    }

    /// When a task queued now behind `ahead` others would be answered, by the profiles: each
    /// replica finishes what it was sent, then they take the queue in the largest batches,
    /// whoever is free first. Nil while no available replica has a profile (nothing to shed by).
    private func estimatedCompletion(ofTaskAfter ahead: Int, now: UInt64) -> UInt64? {
        // Replicas are few; their free times live on the stack, not in a new array per task.
        withUnsafeTemporaryAllocation(of: (free: Double, state: ReplicaState).self, capacity: replicas.count) { slots in
            var count = 0
            for state in replicas where !state.isStalled && state.profile.isReady {
                let busy = state.outstanding > 0 ? max(state.busyUntil, now) : now
                slots.initializeElement(at: count, to: (Double(busy), state))
                count += 1
            }
            defer { _ = slots[0..<count].deinitialize() }
            guard count > 0 else { return nil }
            var remaining = ahead + 1
            var completion = Double(now)
            while remaining > 0 {
                var next = 0
                for index in 1..<max(count, 1) where slots[index].free < slots[next].free { next = index }
                let size = min(remaining, batchSizeBound)
                slots[next].free += slots[next].state.profile.p99(size)
                completion = slots[next].free
                remaining -= size
            }
            return UInt64(completion)
        }
    }

    /// Sends batches while there is work and a replica with room. Tasks already answered (their
    /// deadline passed) are dropped; tasks that can no longer make their deadline are answered
    /// now with `.shed` instead of sent.
    private func dispatch() {
        let now = clock.now
        while let state = leastOutstandingReplica() {
            while let top = waiting.first, top.task.isDone || top.task.deadline <= now {
                _ = waiting.pop()
                top.task.finish(.failure(.deadlineExpired))
            }
            guard let top = waiting.first else { break }
            let size: Int
            if state.profile.isReady {
                size = state.profile.largestBatch(within: Double(top.deadline &- now), bound: batchSizeBound)
                guard size > 0 else {
                    _ = waiting.pop()
                    metrics.shed(modelKey)
                    top.task.finish(.failure(.shed))
                    continue
                }
            } else {
                size = state.sizer.batchSize
            }
            // A second batch for a busy replica only when full, and only once its profile says
            // when the first is done (every available replica is busy when it gets here). Its size
            // is judged from now, not from when the batch ahead ends: measured under open-loop
            // overload, planning from the end gave smaller pipelined batches and 15-20 % fewer
            // predictions past capacity; planning from now kept p99 within the SLO.
            if state.outstanding > 0 && (waiting.count < size || !state.profile.isReady) { break }
            // Delayed batching: a shallow queue waits a little for more tasks, never past the
            // oldest task's deadline, nor so long that the batch could not finish by it.
            if waiting.count < size, batchWait > 0 {
                var sendAt = min(top.deadline, top.task.enqueuedAt + batchWait)
                if state.profile.isReady { sendAt = min(sendAt, top.deadline &- UInt64(state.profile.p99(size))) }
                if sendAt > now {
                    if waitTimer?.isArmed != true {
                        waitTimer = clock.schedule(at: sendAt) { [weak self] in self?.dispatch() }
                    }
                    break
                }
            }
            var batch: [TaskHeap.Entry] = []
            batch.reserveCapacity(min(size, waiting.count))
            while batch.count < size, let entry = waiting.pop() {
                if !entry.task.isDone && entry.task.deadline > now { batch.append(entry) } else { entry.task.finish(.failure(.deadlineExpired)) }
            }
            guard !batch.isEmpty else { continue }
            send(batch, to: state, at: now)
        }
        if !replicas.isEmpty && !replicas.contains(where: { !$0.isStalled }) { failWaiting(.unresponsive) }
    }

    /// The available replica with the fewest batches outstanding, among those with room; on a tie
    /// the one its profile expects free first, then the first.
    private func leastOutstandingReplica() -> ReplicaState? {
        var best: ReplicaState?
        for state in replicas where !state.isStalled && state.outstanding < maxOutstandingPerReplica {
            guard let current = best else { best = state; continue }
            if state.outstanding < current.outstanding
                || (state.outstanding == current.outstanding && state.outstanding > 0 && state.busyUntil < current.busyUntil) {
                best = state
            }
        }
        return best
    }

    private func send(_ entries: [TaskHeap.Entry], to state: ReplicaState, at now: UInt64) {
        let id = nextBatchID
        nextBatchID &+= 1
        // Without a profile yet, the batch's latency objective stands in for its p99.
        let expected = state.profile.isReady ? state.profile.p99(entries.count) : Double(entries[0].task.latencyObjective)
        let earliestDeadline = entries.reduce(UInt64.max) { min($0, $1.task.deadline) }
        // A pipelined batch starts when the one ahead of it is done.
        let start = state.outstanding > 0 ? max(state.busyUntil, now) : now
        let overrunAt = max(start + UInt64(Self.overrunFactor * expected), earliestDeadline)
        state.busyUntil = start + UInt64(expected)
        state.outstanding += 1
        inFlight[id] = Batch(replica: state, entries: entries, sentAt: now, overrunAt: overrunAt)
        metrics.batchSent(modelKey, size: entries.count)
        metrics.queueLength(modelKey, length)
        armWatchdog()
        state.replica.send(batch: id, inputType: inputType, inputs: entries.map(\.task.input))
    }

    /// Keeps one timer armed for the earliest overrun among the batches in flight (batches of
    /// applications with shorter SLOs may come due before those sent earlier).
    private func armWatchdog() {
        var earliest: UInt64?
        for batch in inFlight.values where earliest == nil || batch.overrunAt < earliest! { earliest = batch.overrunAt }
        guard let earliest else { return }
        if watchdog?.isArmed == true {
            guard earliest < watchdogAt else { return }
            watchdog?.cancel()
        }
        watchdogAt = earliest
        watchdog = clock.schedule(at: earliest) { [weak self] in self?.checkOverruns() }
    }

    /// A batch far past its profile marks its replica stalled: it gets no work until it answers
    /// again, and the batch's tasks go back to the queue for another replica (or expire).
    private func checkOverruns() {
        let now = clock.now
        for (id, batch) in inFlight where batch.overrunAt <= now {
            inFlight[id] = nil
            overrun[id] = batch
            batch.replica.outstanding -= 1
            batch.replica.overrun.insert(id)
            logger.warning("replica overran its latency profile; marking it stalled",
                           metadata: ["model": "\(modelKey)", "batch_size": "\(batch.entries.count)",
                                      "waited_ms": "\((now - batch.sentAt) / 1_000_000)"])
            batch.entries.forEach { waiting.push($0) }
        }
        reportReplicas()
        dispatch()
        armWatchdog()
    }

    private func reportReplicas() {
        metrics.replicas(modelKey, replicas.count, stalled: stalledReplicas)
    }
}
