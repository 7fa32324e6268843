/// Why a task got no output.
public enum TaskFailure: Error, Equatable, Sendable {
    /// The deadline passed before a container answered.
    case deadlineExpired
    /// The container answered the batch with a wrong number of outputs (the SDK's way to say
    /// the model raised).
    case modelFailed(String)
    /// No container of the model is connected.
    case noReplica
}

/// One input waiting for one model's output: queued, batched, sent, answered.
public final class PredictionTask {
    /// The input in its RPC wire layout.
    public let input: [UInt8]
    /// Monotonic ns after which nobody waits for the output; may be extended by a later,
    /// identical query that shares this task through the cache.
    public var deadline: UInt64
    /// The latency objective of the query that created it (ns), the batch latency target.
    public let latencyObjective: UInt64
    /// When it was created (monotonic ns).
    public let enqueuedAt = EventLoop.now()
    let completion: (Result<[UInt8], TaskFailure>) -> Void
    private(set) var isDone = false

    public init(input: [UInt8], deadline: UInt64, latencyObjective: UInt64, completion: @escaping (Result<[UInt8], TaskFailure>) -> Void) {
        self.input = input
        self.deadline = deadline
        self.latencyObjective = latencyObjective
        self.completion = completion
    }

    /// Delivers the result once; later calls are ignored.
    func finish(_ result: Result<[UInt8], TaskFailure>) {
        guard !isDone else { return }
        isDone = true
        completion(result)
    }
}
