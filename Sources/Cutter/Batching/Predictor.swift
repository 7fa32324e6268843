/// Asks a model version for one output: from the cache, by joining an identical request in
/// flight, or through the model's queue. The selection layer calls it once per chosen model.
public final class Predictor {
    public let cache: PredictionCache
    public let queues: ModelQueues
    private let metrics: ServingMetrics

    public init(cache: PredictionCache, queues: ModelQueues, metrics: ServingMetrics) {
        self.cache = cache
        self.queues = queues
        self.metrics = metrics
    }

    /// Gets `modelKey`'s output for `input`; `completion` runs once, possibly at once.
    public func predict(modelKey: String, input: [UInt8], deadline: UInt64, latencyObjective: UInt64,
                        _ completion: @escaping (Result<[UInt8], TaskFailure>) -> Void) {
        let key = PredictionCache.Key(modelKey: modelKey, input: input)
        switch cache.lookup(key) {
        case .hit(let output):
            metrics.cache(modelKey, hit: true)
            completion(.success(output))
        case .pending(let task):
            metrics.cache(modelKey, hit: true)
            task.deadline = max(task.deadline, deadline)
            cache.wait(on: key, completion)
        case .miss:
            metrics.cache(modelKey, hit: false)
            let cache = self.cache
            let task = PredictionTask(input: input, deadline: deadline, latencyObjective: latencyObjective) { result in
                cache.complete(key, result)
                completion(result)
            }
            cache.begin(key, task: task)
            if !queues.submit(task, modelKey: modelKey) { task.finish(.failure(.noReplica)) }
        }
    }
}
