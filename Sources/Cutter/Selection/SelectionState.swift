import Foundation

/// A bandit's state for one application and context key (Clipper's uid): a log-weight per
/// model, and how much feedback it has seen.
///
/// Log-weights make the multiplicative updates of Exp3 and Exp4 additive, so Redis applies them
/// atomically with HINCRBYFLOAT: two frontends updating the same state never lose an update,
/// and no weight underflows however long it learns.
struct SelectionState: Equatable, Sendable {
    var logWeights: [String: Double]
    var feedbackCount: Int

    init(logWeights: [String: Double] = [:], feedbackCount: Int = 0) {
        self.logWeights = logWeights
        self.feedbackCount = feedbackCount
    }

    /// The Redis hash field holding the feedback count (model names cannot contain ':').
    static let feedbackField = ":feedback"

    /// Reads the Redis hash.
    init(hash: [String: String]) {
        var weights: [String: Double] = [:]
        var count = 0
        for (field, value) in hash {
            if field == Self.feedbackField { count = Int(value) ?? 0 } else if let number = Double(value) { weights[field] = number }
        }
        self.init(logWeights: weights, feedbackCount: count)
    }

    /// The log-weight a model without one (linked after learning began) starts from: the mean
    /// of the others, as in Clipper's bandits.
    var startingLogWeight: Double {
        logWeights.isEmpty ? 0 : logWeights.values.reduce(0, +) / Double(logWeights.count)
    }

    /// The normalized weights of `models` (summing to 1).
    func weights(of models: [String]) -> [Double] {
        guard !models.isEmpty else { return [] }
        let start = startingLogWeight
        let logs = models.map { logWeights[$0] ?? start }
        let top = logs.max()!
        let raw = logs.map { exp($0 - top) }
        let total = raw.reduce(0, +)
        return raw.map { $0 / total }
    }

    /// Applies one feedback's log-weight increments, giving models seen for the first time their
    /// starting log-weight first (Redis is told the same: HSETNX, then HINCRBYFLOAT).
    mutating func apply(_ increments: [String: Double], models: [String]) {
        let start = startingLogWeight
        for model in models where logWeights[model] == nil { logWeights[model] = start }
        for (model, increment) in increments { logWeights[model, default: start] += increment }
        feedbackCount += 1
    }
}
