public import ClipperRPC
public import Logging

/// Every model version's queue, and the batches in flight to containers: the model abstraction
/// layer between the query path and the container RPC.
public final class ModelQueues: ContainerPoolDelegate {
    /// A batch sent to a replica and not yet answered.
    private struct InFlight {
        let queue: ModelQueue
        let container: ContainerConnection
        let tasks: [PredictionTask]
        let sentAt: UInt64
    }

    private let loop: EventLoop
    private let pool: ContainerPool
    private let logger: Logger
    private let metrics: ServingMetrics
    private let maxBatchSize: Int
    private let batchWaitMicros: Int
    private var queues: [String: ModelQueue] = [:]
    private var inFlight: [UInt32: InFlight] = [:]
    private var nextMessageID: UInt32 = 0

    public init(loop: EventLoop, pool: ContainerPool, maxBatchSize: Int, batchWaitMicros: Int, metrics: ServingMetrics, logger: Logger) {
        self.loop = loop
        self.pool = pool
        self.maxBatchSize = maxBatchSize
        self.batchWaitMicros = batchWaitMicros
        self.metrics = metrics
        self.logger = logger
        pool.delegate = self
    }

    /// Queues a task for `modelKey`; false when no replica serves it (the caller answers at once).
    public func submit(_ task: PredictionTask, modelKey: String) -> Bool {
        guard let queue = queues[modelKey], queue.hasReplicas else { return false }
        queue.enqueue(task)
        metrics.queueLength(modelKey, queue.length)
        return true
    }

    private func makeQueue(for identity: ContainerConnection.Identity) -> ModelQueue {
        if let queue = queues[identity.modelKey] { return queue }
        let queue = ModelQueue(modelKey: identity.modelKey, inputType: identity.inputType, maxBatchSize: maxBatchSize,
                               batchWaitMicros: batchWaitMicros, loop: loop)
        queue.sendBatch = { [unowned self] queue, replica, tasks in send(tasks, to: replica, of: queue) }
        queues[identity.modelKey] = queue
        return queue
    }

    private func send(_ tasks: [PredictionTask], to replica: ModelQueue.Replica, of queue: ModelQueue) {
        let messageID = nextMessageID
        nextMessageID &+= 1
        inFlight[messageID] = InFlight(queue: queue, container: replica.container, tasks: tasks, sentAt: EventLoop.now())
        replica.container.send(FrontendMessage.predictionRequest(messageID: messageID, type: queue.inputType, inputs: tasks.map(\.input)))
        metrics.batchSent(queue.modelKey, size: tasks.count)
        metrics.queueLength(queue.modelKey, queue.length)
    }

    public func containerJoined(_ container: ContainerConnection) {
        guard let identity = container.identity else { return }
        let queue = makeQueue(for: identity)
        guard queue.inputType == identity.inputType else {
            logger.error("container input type differs from its model's other replicas; ignoring it",
                         metadata: ["model": "\(identity.modelKey)", "input_type": "\(identity.inputType.canonicalName)"])
            return
        }
        queue.add(container)
        metrics.replicas(identity.modelKey, queue.replicas.count)
    }

    public func containerLeft(_ container: ContainerConnection) {
        guard let identity = container.identity, let queue = queues[identity.modelKey] else { return }
        queue.remove(container)
        metrics.replicas(identity.modelKey, queue.replicas.count)
        // Its batches in flight will never be answered: give their tasks back to the queue, where
        // another replica takes them if their deadline allows; else they expire to the default.
        let lost = inFlight.filter { $0.value.container === container }
        var returned: [PredictionTask] = []
        for (messageID, batch) in lost.sorted(by: { $0.key < $1.key }) {
            inFlight[messageID] = nil
            returned += batch.tasks
        }
        if !returned.isEmpty {
            logger.warning("container lost with batches in flight; re-queueing", metadata: ["model": "\(identity.modelKey)", "tasks": "\(returned.count)"])
            queue.requeueFront(returned)
        }
        // With no replica left nothing would ever send them: their waiters learn it now.
        if !queue.hasReplicas { queue.failAll(.noReplica) }
    }

    public func container(_ container: ContainerConnection, answered messageID: UInt32, outputs: [[UInt8]]) {
        // Checked before removal: a container answering another's message id must not lose that batch.
        guard let batch = inFlight[messageID], batch.container === container else {
            logger.debug("ignoring an answer to an unknown batch", metadata: ["message_id": "\(messageID)"])
            return
        }
        inFlight[messageID] = nil
        let latency = EventLoop.now() - batch.sentAt
        if let replica = batch.queue.replica(for: container) {
            replica.outstanding -= 1
            let target = batch.tasks.map(\.latencyObjective).min() ?? 0
            // The batch's own latency may use half of the objective: the other half is queueing.
            replica.sizer.observe(size: batch.tasks.count, latency: Double(latency), target: Double(target) / 2)
        }
        metrics.batchLatency(batch.queue.modelKey, nanoseconds: latency)
        if outputs.count == batch.tasks.count {
            for (task, output) in zip(batch.tasks, outputs) { task.finish(.success(output)) }
        } else {
            let reason = "model \(batch.queue.modelKey) returned \(outputs.count) outputs for a batch of \(batch.tasks.count)"
            logger.warning("model failed a batch", metadata: ["model": "\(batch.queue.modelKey)", "outputs": "\(outputs.count)", "batch": "\(batch.tasks.count)"])
            for task in batch.tasks { task.finish(.failure(.modelFailed(reason))) }
        }
        batch.queue.dispatch()
    }
}
