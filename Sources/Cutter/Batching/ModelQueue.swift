public import ClipperRPC

/// The queue of one model version and its replicas: tasks wait here, are cut into batches sized
/// per replica by AIMD, and go to the replica with the least outstanding work.
public final class ModelQueue {
    /// A replica and its batching state.
    final class Replica {
        let container: ContainerConnection
        var sizer: AIMDBatchSizer
        var outstanding = 0
        init(container: ContainerConnection, sizer: AIMDBatchSizer) {
            self.container = container
            self.sizer = sizer
        }
    }

    public let modelKey: String
    public let inputType: InputType
    private var tasks: [PredictionTask] = []
    private var head = 0
    private(set) var replicas: [Replica] = []
    private let maxOutstandingPerReplica = 1
    private let maxBatchSize: Int
    private let batchWaitNanoseconds: UInt64
    private let loop: EventLoop
    private var waitTimer: LoopTimer?
    /// Sends a batch to a replica (owned by `ModelQueues`, which tracks it until it is answered).
    var sendBatch: ((ModelQueue, Replica, [PredictionTask]) -> Void)?

    init(modelKey: String, inputType: InputType, maxBatchSize: Int, batchWaitMicros: Int, loop: EventLoop) {
        self.modelKey = modelKey
        self.inputType = inputType
        self.maxBatchSize = maxBatchSize
        batchWaitNanoseconds = UInt64(batchWaitMicros) * 1000
        self.loop = loop
    }

    /// Tasks waiting to be sent.
    public var length: Int { tasks.count - head }
    /// Whether any replica is connected.
    public var hasReplicas: Bool { !replicas.isEmpty }

    /// Queues a task and sends what can be sent.
    func enqueue(_ task: PredictionTask) {
        tasks.append(task)
        dispatch()
    }

    /// Puts tasks back at the front (a replica was lost with them in flight).
    func requeueFront(_ returned: [PredictionTask]) {
        tasks.replaceSubrange(0..<head, with: [])
        head = 0
        tasks.insert(contentsOf: returned, at: 0)
        dispatch()
    }

    /// Finishes every queued task with `failure`.
    func failAll(_ failure: TaskFailure) {
        let waiting = tasks[head...]
        tasks.removeAll()
        head = 0
        waiting.forEach { $0.finish(.failure(failure)) }
    }

    func add(_ container: ContainerConnection) {
        replicas.append(Replica(container: container, sizer: AIMDBatchSizer(upperBound: maxBatchSize)))
        dispatch()
    }

    func remove(_ container: ContainerConnection) {
        replicas.removeAll { $0.container === container }
    }

    func replica(for container: ContainerConnection) -> Replica? {
        replicas.first { $0.container === container }
    }

    /// Sends batches while there is work and a replica with room. Expired tasks are dropped
    /// here: their queries were already answered with the default.
    func dispatch() {
        let now = EventLoop.now()
        while head < tasks.count && (tasks[head].isDone || tasks[head].deadline <= now) {
            tasks[head].finish(.failure(.deadlineExpired))
            head += 1
        }
        if head == tasks.count {
            tasks.removeAll(keepingCapacity: true)
            head = 0
            return
        }
        while length > 0, let replica = replicas.filter({ $0.outstanding < maxOutstandingPerReplica }).min(by: { $0.outstanding < $1.outstanding }) {
            let size = replica.sizer.batchSize
            // Delayed batching: a shallow queue waits a little for more queries, never past the
            // oldest task's deadline.
            if length < size, batchWaitNanoseconds > 0 {
                let sendAt = min(tasks[head].deadline, tasks[head].enqueuedAt + batchWaitNanoseconds)
                if sendAt > now {
                    if waitTimer?.isArmed != true {
                        waitTimer = loop.schedule(after: Double(sendAt - now) / 1e9) { [weak self] in self?.dispatch() }
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
            replica.outstanding += 1
            sendBatch?(self, replica, batch)
        }
    }
}
