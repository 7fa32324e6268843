/// Asks a model version for one output: from the cache, by joining an identical task in flight,
/// or through the model's queue. The query processor calls it once per (input, chosen model).
///
/// De-duplication lives here, in one table: identical queries in flight share one task (and one
/// slot in a batch), the latest deadline of them all keeping it queued. It is on whenever the
/// cache is: both trade freshness for work saved, and `cache_bytes=0` turns both off.
final class Predictor<Clock: Scheduler> {
    let cache: PredictionCache
    let executor: TaskExecutor<Clock>
    private let metrics: ServingMetrics
    private var inFlight: [PredictionCache.Key: PredictionTask] = [:]

    init(cache: PredictionCache, executor: TaskExecutor<Clock>, metrics: ServingMetrics) {
        self.cache = cache
        self.executor = executor
        self.metrics = metrics
    }

    /// Gets `modelKey`'s output for `input`; `completion` runs once, possibly at once.
    func predict(modelKey: String, input: [UInt8], deadline: UInt64, latencyObjective: UInt64,
                 _ completion: @escaping PredictionTask.Completion) {
        guard cache.isEnabled else {
            metrics.cache(modelKey, hit: false)
            return submit(PredictionTask(input: input, deadline: deadline, latencyObjective: latencyObjective, completion: completion), modelKey)
        }
        let key = PredictionCache.Key(modelKey: modelKey, input: input)
        if let output = cache.output(for: key) {
            metrics.cache(modelKey, hit: true)
            return completion(.success(output))
        }
        if let task = inFlight[key] {
            metrics.cache(modelKey, hit: true)
            return task.join(deadline: deadline, completion)
        }
        metrics.cache(modelKey, hit: false)
        // The task's own completion keeps the books first, so every waiter finds the output cached.
        let task = PredictionTask(input: input, deadline: deadline, latencyObjective: latencyObjective) { [unowned self] result in
            inFlight[key] = nil
            if case .success(let output) = result { cache.store(output, for: key) }
            completion(result)
        }
        inFlight[key] = task
        submit(task, modelKey)
    }

    private func submit(_ task: PredictionTask, _ modelKey: String) {
        if !executor.submit(task, modelKey: modelKey) { task.finish(.failure(.noReplica)) }
    }
}
