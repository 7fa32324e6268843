/// Adaptive batch sizing by additive increase, multiplicative decrease (Clipper paper, §4.3):
/// while full batches finish within the latency target the maximum batch size grows by a fixed
/// step; a batch that misses the target shrinks it by a fixed fraction (10 %, because the best
/// size moves little). One sizer per replica, as batching is per replica.
struct AIMDBatchSizer: Sendable, Equatable {
    /// The batch size to send now (at least 1).
    var batchSize: Int { max(1, min(upperBound, Int(limit))) }
    private var limit: Double
    /// The largest size it may reach: the model's cap (add_model's `batch_size`) or Cutter's `max_batch_size`.
    var upperBound: Int
    let additiveStep: Double
    let backoffFactor: Double

    init(initial: Int = 1, upperBound: Int, additiveStep: Double = 1, backoffFactor: Double = 0.9) {
        precondition(upperBound >= 1 && backoffFactor > 0 && backoffFactor < 1)
        limit = Double(max(1, initial))
        self.upperBound = upperBound
        self.additiveStep = additiveStep
        self.backoffFactor = backoffFactor
    }

    /// Learns from one batch: `size` inputs took `latency`, against a `target`.
    /// Only a batch that was full may raise the size: a small batch says nothing about a larger one.
    mutating func observe(size: Int, latency: Double, target: Double) {
        if latency > target {
            limit = max(1, min(limit, Double(size)) * backoffFactor)
        } else if size >= batchSize {
            limit = min(Double(upperBound), limit + additiveStep)
        }
    }
}
