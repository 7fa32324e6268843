/// One predict query waiting for its outputs: each input asked of one or more models, combined
/// by the application's selection policy when all answered or at the deadline, whichever is
/// first. At the deadline the answer is formed from the models that made it (straggler
/// mitigation); with none, it is the default. It completes exactly once, and never while its
/// query is still being fanned out.
final class PendingPrediction<Clock: Scheduler> {
    /// One input and the models asked about it.
    private struct Element {
        let asked: [String]
        var outputs: [[UInt8]?]
        /// Why models gave no output (appended: most queries have none, and no array then).
        var failures: [TaskFailure] = []
        var remaining: Int
    }

    private let policy: any SelectionPolicy
    private let reportsConfidence: Bool
    private let confidenceThreshold: Double
    private let state: SelectionState
    private let firstQueryID: Int
    private var elements: [Element]
    /// Inputs still waiting for a model.
    private var remaining: Int
    private var isFanningOut = true
    private let clock: Clock
    private var timer: Clock.Timer?
    private let appName: String
    private let arrival: UInt64
    private let metrics: ServingMetrics
    private var completion: QueryProcessor<Clock>.PredictCompletion?

    /// - Parameters:
    ///   - asked: per input, the models asked, in the order their results will be reported.
    ///   - arrival: when the query arrived, for its latency metric.
    init(app: ApplicationRecord, policy: SelectionPolicyKind, state: SelectionState, firstQueryID: Int, asked: [[String]],
         arrival: UInt64, clock: Clock, metrics: ServingMetrics, completion: @escaping QueryProcessor<Clock>.PredictCompletion) {
        self.policy = policy.policy
        reportsConfidence = policy.reportsConfidence
        confidenceThreshold = app.confidenceThreshold
        appName = app.name
        self.state = state
        self.firstQueryID = firstQueryID
        elements = asked.map { Element(asked: $0, outputs: Array(repeating: nil, count: $0.count), remaining: $0.count) }
        remaining = elements.reduce(0) { $1.remaining > 0 ? $0 + 1 : $0 }
        self.arrival = arrival
        self.clock = clock
        self.metrics = metrics
        self.completion = completion
    }

    /// Records model `slot`'s result for input `index` (the predictor reports each once).
    func set(_ index: Int, model slot: Int, _ result: Result<[UInt8], TaskFailure>) {
        guard completion != nil, elements[index].remaining > 0 else { return }
        switch result {
        case .success(let output): elements[index].outputs[slot] = output
        case .failure(let failure): elements[index].failures.append(failure)
        }
        elements[index].remaining -= 1
        if elements[index].remaining == 0 {
            remaining -= 1
            if remaining == 0 && !isFanningOut { complete() }
        }
    }

    /// Every task was asked for: answers now if all outputs are in (cache hits), else at
    /// `deadline` at the latest.
    func fannedOut(deadline: UInt64) {
        isFanningOut = false
        if remaining == 0 { return complete() }
        timer = clock.schedule(at: deadline) { [self] in complete() }
    }

    private func complete() {
        guard let completion else { return }
        self.completion = nil
        timer?.cancel()
        timer = nil
        let predictions = elements.enumerated().map { index, element in prediction(element, queryID: firstQueryID + index) }
        metrics.answered(app: appName, count: predictions.count, defaults: predictions.compactMap { $0.defaultReason?.label },
                         nanoseconds: clock.now &- arrival)
        completion(.success(predictions))
    }

    private func prediction(_ element: Element, queryID: Int) -> Prediction {
        let combination = policy.combine(state, asked: element.asked, outputs: element.outputs)
        let confidence = reportsConfidence ? combination.confidence : nil
        guard let output = combination.output else {
            return Prediction(queryID: queryID, output: nil, defaultReason: Self.reason(element), confidence: confidence, models: [])
        }
        if combination.confidence < confidenceThreshold {
            return Prediction(queryID: queryID, output: nil, defaultReason: .lowConfidence(confidence: combination.confidence, threshold: confidenceThreshold),
                              confidence: confidence, models: [])
        }
        return Prediction(queryID: queryID, output: output, defaultReason: nil, confidence: confidence, models: combination.models)
    }

    /// Why an input got no output.
    private static func reason(_ element: Element) -> DefaultReason {
        let failures = element.failures
        if element.asked.isEmpty || (failures.count == element.asked.count && failures.allSatisfy({ $0 == .noReplica })) {
            return .noModel
        }
        for case .modelFailed(let reason) in failures { return .modelFailed(reason) }
        // Only when no asked model is still computing: a model still on its way means the
        // deadline is what cut the query short.
        if failures.count == element.asked.count {
            if failures.contains(.shed) { return .shed }
            if failures.contains(.unresponsive) { return .unresponsive }
        }
        return .timeout
    }
}
