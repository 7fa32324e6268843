/// One input waiting for one model version's output: queued, batched, sent, answered. Identical
/// queries in flight share one task (see `Predictor`), each waiting with its own completion.
final class PredictionTask {
    typealias Completion = (Result<[UInt8], TaskFailure>) -> Void

    /// The input in its RPC wire layout.
    let input: [UInt8]
    /// Monotonic ns after which nobody waits for the output; a later query joining the task
    /// moves it later.
    private(set) var deadline: UInt64
    /// The latency objective of the query that created it (ns), the batch latency target.
    let latencyObjective: UInt64
    /// When its queue took it (monotonic ns), the start of delayed batching's wait.
    var enqueuedAt: UInt64 = 0
    private var completion: Completion?
    /// Completions of the queries that joined it; empty, and not allocated, for most tasks.
    private var joined: [Completion] = []
    private(set) var isDone = false

    init(input: [UInt8], deadline: UInt64, latencyObjective: UInt64, completion: @escaping Completion) {
        self.input = input
        self.deadline = deadline
        self.latencyObjective = latencyObjective
        self.completion = completion
    }

    /// Another query waits for the same output, until `deadline`.
    func join(deadline: UInt64, _ completion: @escaping Completion) {
        self.deadline = max(self.deadline, deadline)
        joined.append(completion)
    }

    /// Delivers the result to every waiter, once; later calls are ignored.
    func finish(_ result: Result<[UInt8], TaskFailure>) {
        guard !isDone else { return }
        isDone = true
        let first = completion
        let waiting = joined
        completion = nil
        joined = []
        first?(result)
        for completion in waiting { completion(result) }
    }
}
