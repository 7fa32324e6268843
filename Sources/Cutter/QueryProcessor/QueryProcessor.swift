import Logging

/// Clipper's query processor: between the REST frontend and the models, it owns what a query
/// means. For a prediction it selects the models by the application's policy and selection state,
/// asks them through the predictor (cache, queues, containers), and combines their outputs at the
/// deadline at the latest; for feedback it scores the models' outputs against the label and
/// stores what the policy learned. Each call completes exactly once.
final class QueryProcessor<Clock: Scheduler> {
    let clock: Clock
    private let registry: ConfigRegistry
    private let states: SelectionStateStore
    private let predictor: Predictor<Clock>
    private let metrics: ServingMetrics
    private let logger: Logger
    private var random: SplitMix64
    private var nextQueryID = 0

    /// - Parameter random: the generator of the bandits' draws (seeded for repeatable runs).
    init(clock: Clock, registry: ConfigRegistry, states: SelectionStateStore, predictor: Predictor<Clock>,
         metrics: ServingMetrics, logger: Logger, random: SplitMix64) {
        self.clock = clock
        self.registry = registry
        self.states = states
        self.predictor = predictor
        self.metrics = metrics
        self.logger = logger
        self.random = random
    }

    /// How a predict call ends: one prediction per input, or an error.
    typealias PredictCompletion = (Result<[Prediction], APIError>) -> Void

    /// Predicts `inputs` (in the app's wire layout) for context `uid`, by the deadline that
    /// started at `arrival`. `completion` runs once.
    func predict(app: ApplicationRecord, inputs: [[UInt8]], uid: Int, arrival: UInt64, _ completion: @escaping PredictCompletion) {
        guard let policy = app.policy else { return completion(.failure(Self.invalidPolicy(app))) }
        let deadline = arrival + UInt64(app.latencySLOMicros) * 1000
        // Models and their names are read together: a link may change while the state loads.
        let models = registry.servingModels(app: app.name)
        let names = registry.servingModelNames(app: app.name)
        guard policy.learnsFromFeedback else {
            return fanOut(app, policy, SelectionState(), inputs, models, names, arrival, deadline, completion)
        }
        if let state = states.cachedState(app: app.name, uid: uid) {
            return fanOut(app, policy, state, inputs, models, names, arrival, deadline, completion)
        }
        // The state must come from Redis first; that wait is bounded by the deadline too.
        var answered = false
        let deadlineGuard = clock.schedule(at: deadline) { [self] in
            answered = true
            let reason: DefaultReason = names.isEmpty ? .noModel : .timeout
            let predictions = allocateIDs(inputs.count).map {
                Prediction(queryID: $0, output: nil, defaultReason: reason, confidence: 0, models: [])
            }
            metrics.answered(app: app.name, count: predictions.count, defaults: predictions.map { _ in reason.label },
                             nanoseconds: clock.now &- arrival)
            completion(.success(predictions))
        }
        states.withState(app: app.name, uid: uid) { [self] state in
            guard !answered else { return }
            deadlineGuard.cancel()
            fanOut(app, policy, state, inputs, models, names, arrival, deadline, completion)
        }
    }

    private func allocateIDs(_ count: Int) -> Range<Int> {
        defer { nextQueryID += count }
        return nextQueryID..<(nextQueryID + count)
    }

    /// Selects the models of every input, asks them, and lets a `PendingPrediction` answer.
    private func fanOut(_ app: ApplicationRecord, _ policy: SelectionPolicyKind, _ state: SelectionState, _ inputs: [[UInt8]],
                        _ models: [ModelRecord], _ names: [String], _ arrival: UInt64, _ deadline: UInt64,
                        _ completion: @escaping PredictCompletion) {
        let ids = allocateIDs(inputs.count)
        let selection = policy.policy
        let asked = inputs.map { _ in selection.select(state, models: names, random: &random) }
        let pending = PendingPrediction(app: app, policy: policy, state: state, firstQueryID: ids.lowerBound, asked: asked,
                                        arrival: arrival, clock: clock, metrics: metrics, completion: completion)
        let objective = deadline - arrival
        for (index, input) in inputs.enumerated() {
            for (slot, model) in asked[index].enumerated() {
                let modelKey = models.first { $0.name == model }!.key
                predictor.predict(modelKey: modelKey, input: input, deadline: deadline, latencyObjective: objective) { result in
                    pending.set(index, model: slot, result)
                }
            }
        }
        pending.fannedOut(deadline: deadline)
    }

    /// Feedback: the policy's models are asked for their output on `input` (from the cache when
    /// they answered it before), scored against `label` by the app's loss, and the state of
    /// (`app`, `uid`) is updated in Redis before `completion` hears of it.
    func update(app: ApplicationRecord, uid: Int, input: [UInt8], label: JSONValue, arrival: UInt64,
                _ completion: @escaping (Result<FeedbackOutcome, APIError>) -> Void) {
        guard let policy = app.policy else { return completion(.failure(Self.invalidPolicy(app))) }
        guard policy.learnsFromFeedback else {
            // Clipper's policy learns nothing; say so rather than pretend.
            return completion(.success(.ignored(reason: "policy \(app.policyName) does not learn from feedback")))
        }
        let models = registry.servingModels(app: app.name)
        guard !models.isEmpty else {
            return completion(.failure(APIError(status: 503, error: "Feedback not applied",
                                                cause: "Application '\(app.name)' has no linked model with a current version.")))
        }
        states.withState(app: app.name, uid: uid) { [self] state in
            let names = models.map(\.name)
            let scored = policy.policy.feedbackModels(state, models: names, random: &random)
            // Feedback is not latency-critical: it may wait for the models at least a second.
            let objective = UInt64(max(app.latencySLOMicros, 1_000_000)) * 1000
            let deadline = arrival + objective
            let pending = PendingFeedback(models: scored.count, clock: clock) { [self] losses, missing in
                guard !losses.isEmpty else {
                    logger.warning("feedback not applied: no model answered", metadata: ["app": "\(app.name)", "models": "\(missing)"])
                    return completion(.failure(APIError(status: 503, error: "Feedback not applied",
                                                        cause: "No model answered for this input (\(missing.joined(separator: ", "))); nothing was learned. Check that the models' containers are connected.")))
                }
                let increments = policy.policy.update(losses: losses)
                states.apply(app: app.name, uid: uid, models: names, increments: increments) { result in
                    switch result {
                    case .failure(let error):
                        completion(.failure(.redisUnavailable("The feedback was not stored: \(error.message)")))
                    case .success(let updated):
                        completion(.success(.applied(
                            losses: losses.map { .init(model: $0.model, value: $0.loss) },
                            weights: zip(names, updated.weights(of: names)).map { .init(model: $0, value: $1) },
                            feedbackCount: updated.feedbackCount)))
                    }
                }
            }
            for (model, probability) in scored {
                let modelKey = models.first { $0.name == model }!.key
                predictor.predict(modelKey: modelKey, input: input, deadline: deadline, latencyObjective: objective) { result in
                    switch result {
                    case .success(let output): pending.scored((model, probability, app.feedbackLoss.loss(label: label, output: output)))
                    case .failure: pending.missed(model)
                    }
                }
            }
            pending.fannedOut(deadline: deadline)
        }
    }

    /// Clipper's answer to a policy name this frontend does not know (written by a Redis script).
    private static func invalidPolicy(_ app: ApplicationRecord) -> APIError {
        APIError(status: 400, error: "Query processing error", cause: "\(app.policyName) is an invalid selection_policy.")
    }
}
