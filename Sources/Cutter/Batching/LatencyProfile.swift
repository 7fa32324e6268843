/// How long one replica takes to answer a batch, as a function of its size: the high quantile
/// Cutter schedules by (Clockwork, OSDI '20: model latency is predictable enough to plan on).
///
/// Learned online from the batches the replica runs, round trip included: a line a + b·size fitted
/// by least squares with exponential decay (recent batches count most, so it follows drift), plus
/// a tracked 99th percentile of how far batches land above the line. `p99(size)` is the sum.
/// Before `minimumObservations` batches it knows nothing and says so (`isReady`), and the queue
/// falls back to AIMD.
struct LatencyProfile: Sendable, Equatable {
    /// Batches seen before the profile is used.
    static let minimumObservations = 4
    /// Weight kept by the past at each new batch: about the last 200 batches count.
    static let decay = 0.995
    /// The quantile tracked above the fitted line.
    static let quantile = 0.99

    private var weight = 0.0
    private var sumSize = 0.0
    private var sumLatency = 0.0
    private var sumSizeSquared = 0.0
    private var sumSizeLatency = 0.0
    /// Latency (ns) above the fitted line that `quantile` of the batches stay under.
    private(set) var margin = 0.0
    /// The fitted line (ns): latency ≈ intercept + slope · size.
    private(set) var intercept = 0.0
    private(set) var slope = 0.0
    private(set) var observations = 0

    /// Whether enough batches were seen to schedule by it.
    var isReady: Bool { observations >= Self.minimumObservations }

    /// The latency (ns) that `quantile` of batches of `size` stay under.
    func p99(_ size: Int) -> Double {
        max(0, intercept + slope * Double(size)) + margin
    }

    /// The largest batch size, at most `bound`, whose p99 fits in `budget` ns; 0 when not even one.
    func largestBatch(within budget: Double, bound: Int) -> Int {
        guard budget >= p99(1) else { return 0 }
        guard slope > 0 else { return bound }
        let size = (budget - margin - intercept) / slope
        return max(1, min(bound, Int(size.rounded(.down))))
    }

    /// Learns from one batch: `size` inputs answered after `latency` ns.
    mutating func observe(size: Int, latency: UInt64) {
        let x = Double(size)
        let y = Double(latency)
        // The residual is taken against the line before this batch moves it.
        let residual = y - (intercept + slope * x)
        weight = weight * Self.decay + 1
        sumSize = sumSize * Self.decay + x
        sumLatency = sumLatency * Self.decay + y
        sumSizeSquared = sumSizeSquared * Self.decay + x * x
        sumSizeLatency = sumSizeLatency * Self.decay + x * y
        observations += 1
        fit()
        if observations == 1 {
            margin = 0.1 * y  // a start: 10 % above the first batch, until the quantile settles
        } else {
            // Stochastic quantile tracking: each batch above the margin raises it by 0.99 steps,
            // each below lowers it by 0.01, so it settles where 1 % of batches land above. The
            // step is a share of the batch's latency, so it scales from microseconds to seconds.
            let step = 0.02 * max(y, 1000)
            margin = max(0, margin + step * (residual > margin ? Self.quantile : -(1 - Self.quantile)))
        }
    }

    private mutating func fit() {
        let meanSize = sumSize / weight
        let meanLatency = sumLatency / weight
        let variance = sumSizeSquared / weight - meanSize * meanSize
        if variance > 0.25 {
            slope = max(0, (sumSizeLatency / weight - meanSize * meanLatency) / variance)
            intercept = meanLatency - slope * meanSize
            if intercept < 0 {
                // Through the origin instead: a batch never takes negative time.
                intercept = 0
                slope = sumSizeLatency / sumSizeSquared
            }
        } else {
            // One batch size seen so far: assume latency grows in proportion to size, the
            // cautious guess until other sizes teach the real slope.
            intercept = 0
            slope = meanLatency / max(meanSize, 1)
        }
    }
}
