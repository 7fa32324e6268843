import ClipperRPC
import Logging

/// Every model version's queue (Clipper's task executor): tasks go to the queue of their model
/// version, containers joining and leaving become replicas of their version's queue, and their
/// answers reach the queue that sent the batch.
final class TaskExecutor<Clock: Scheduler>: ContainerPoolDelegate {
    typealias Queue = ModelQueue<Clock, ContainerConnection>

    private let clock: Clock
    private let logger: Logger
    private let metrics: ServingMetrics
    private let maxBatchSize: Int
    private let batchWait: UInt64
    private let profileLifetime: UInt64
    private var queues: [String: Queue] = [:]
    /// add_model's `batch_size` per model version (`name:version`), where positive.
    private var batchSizeCaps: [String: Int] = [:]

    init(clock: Clock, maxBatchSize: Int, batchWaitMicros: Int, profileLifetimeSeconds: Double, metrics: ServingMetrics, logger: Logger) {
        self.clock = clock
        self.maxBatchSize = maxBatchSize
        batchWait = UInt64(batchWaitMicros) * 1000
        profileLifetime = UInt64(profileLifetimeSeconds * 1e9)
        self.metrics = metrics
        self.logger = logger
    }

    /// Queues a task for `modelKey`; false when no replica serves it (the caller answers at once).
    func submit(_ task: PredictionTask, modelKey: String) -> Bool {
        guard let queue = queues[modelKey], queue.hasReplicas else { return false }
        queue.enqueue(task)
        return true
    }

    /// Applies add_model's `batch_size` to a model version, as Clipper does: a positive value caps
    /// its batches (AIMD adapts below it), -1 or nil leaves them adaptive up to `max_batch_size`.
    func setBatchSizeCap(modelKey: String, _ batchSize: Int?) {
        batchSizeCaps[modelKey] = batchSize.flatMap { $0 > 0 ? $0 : nil }
        queues[modelKey]?.setBatchSizeBound(batchSizeBound(modelKey))
    }

    private func batchSizeBound(_ modelKey: String) -> Int {
        min(maxBatchSize, batchSizeCaps[modelKey] ?? maxBatchSize)
    }

    private func queue(for identity: ContainerConnection.Identity) -> Queue {
        if let queue = queues[identity.modelKey] { return queue }
        let queue = Queue(modelKey: identity.modelKey, inputType: identity.inputType, batchSizeBound: batchSizeBound(identity.modelKey),
                          batchWait: batchWait, profileLifetime: profileLifetime, clock: clock, metrics: metrics, logger: logger)
        queues[identity.modelKey] = queue
        return queue
    }

    func containerJoined(_ container: ContainerConnection) {
        guard let identity = container.identity else { return }
        let queue = queue(for: identity)
        guard queue.inputType == identity.inputType else {
            logger.error("container input type differs from its model's other replicas; ignoring it",
                         metadata: ["model": "\(identity.modelKey)", "input_type": "\(identity.inputType.canonicalName)"])
            return
        }
        queue.add(container)
    }

    func containerLeft(_ container: ContainerConnection) {
        guard let identity = container.identity, let queue = queues[identity.modelKey] else { return }
        queue.remove(container)
    }

    func container(_ container: ContainerConnection, answered messageID: UInt32, outputs: [[UInt8]]) {
        guard let identity = container.identity, let queue = queues[identity.modelKey] else { return }
        queue.completed(container, batch: messageID, outputs: outputs)
    }

    /// Every replica's latency profile and state, by model version and replica id.
    func profiles() -> [ReplicaProfileSnapshot] {
        queues.values.flatMap { queue in
            queue.replicas.map { state in
                ReplicaProfileSnapshot(
                    modelKey: queue.modelKey, replicaID: state.replica.replicaID, batches: state.profile.observations,
                    isReady: state.profile.isReady, isStalled: state.isStalled, outstanding: state.outstanding,
                    intercept: state.profile.intercept, slope: state.profile.slope, margin: state.profile.margin,
                    p99: ServingMetrics.profiledSizes.map { ($0, state.profile.p99($0)) })
            }
        }.sorted { ($0.modelKey, $0.replicaID) < ($1.modelKey, $1.replicaID) }
    }
}
