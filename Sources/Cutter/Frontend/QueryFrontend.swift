import ClipperRPC
public import Logging

/// The query frontend's REST routes: `POST /{app}/predict`, `POST /{app}/update`, health,
/// readiness and Prometheus metrics.
public final class QueryFrontend {
    private let registry: ConfigRegistry
    private let redis: RedisConnection
    private let logger: Logger
    private let loop: EventLoop
    private let predictor: Predictor
    private let metrics: ServingMetrics
    private let states: SelectionStateStore
    private var nextQueryID = 0
    private var random = SystemRandomNumberGenerator()
    /// Whether the registry finished its first load from Redis.
    var isLoaded = false

    public init(loop: EventLoop, registry: ConfigRegistry, redis: RedisConnection, predictor: Predictor, states: SelectionStateStore,
                metrics: ServingMetrics, logger: Logger) {
        self.states = states
        self.loop = loop
        self.registry = registry
        self.redis = redis
        self.predictor = predictor
        self.metrics = metrics
        self.logger = logger
    }

    /// Routes one request.
    public func handle(_ exchange: HTTPExchange) {
        let parts = Self.pathSegments(exchange.path)
        switch (exchange.method, parts.count) {
        case (.get, 0), (.get, 1) where parts[0] == "healthz":
            respondHealth(exchange, ready: true)
        case (.get, 1) where parts[0] == "readyz":
            respondHealth(exchange, ready: redis.isConnected && isLoaded)
        case (.get, 1) where parts[0] == "metrics":
            exchange.respond(status: 200, contentType: "text/plain; version=0.0.4", body: metrics.render())
        case (_, 2) where parts[1] == "predict" || parts[1] == "update":
            guard exchange.method == .post else {
                return exchange.respond(APIError(status: 405, error: "Method not allowed", cause: "/\(parts[0])/\(parts[1]) takes POST with a JSON body."))
            }
            guard let app = registry.applications[String(parts[0])] else {
                return exchange.respond(.notFound("No application named '\(parts[0])'. Register it with POST /admin/add_app on the management port."))
            }
            guard !exchange.bodyTooLarge else { return exchange.respond(.bodyTooLarge) }
            if parts[1] == "predict" { predict(exchange, app: app) } else { update(exchange, app: app) }
        default:
            exchange.respond(.notFound("No route \(exchange.path). Routes: POST /{app}/predict, POST /{app}/update, GET /healthz, GET /readyz, GET /metrics."))
        }
    }

    /// The non-empty segments of `path`, split on UTF-8 bytes: splitting by Character costs
    /// grapheme breaking on the hot path.
    static func pathSegments(_ path: String) -> [Substring] {
        path.utf8.split(separator: UInt8(ascii: "/")).map { Substring($0) }
    }

    /// The app's selection policy; answers 400 (Clipper's message) when its name is unknown,
    /// say after a Redis admin script wrote a policy this frontend does not know.
    private func policy(of app: ApplicationRecord, answering exchange: HTTPExchange) -> (any SelectionPolicy)? {
        if let policy = SelectionPolicies.policy(named: app.policy) { return policy }
        exchange.respond(APIError(status: 400, error: "Query processing error", cause: "\(app.policy) is an invalid selection_policy."))
        return nil
    }

    private func respondHealth(_ exchange: HTTPExchange, ready: Bool) {
        let redisState = redis.isConnected ? "connected" : "disconnected"
        exchange.respond(status: ready ? 200 : 503,
                         text: #"{"status":"\#(ready ? "ok" : "unavailable")","redis":"\#(redisState)","applications":\#(registry.applications.count)}"#)
    }

    private func predict(_ exchange: HTTPExchange, app: ApplicationRecord) {
        let request: PredictRequest
        do {
            request = try PredictRequest.decode(exchange.body, type: app.inputType)
        } catch {
            metrics.queryError(app: app.name)
            return exchange.respond(error)
        }
        guard let policy = policy(of: app, answering: exchange) else { return }
        // Models and their names are read together: a link may change while the state loads.
        let models = registry.servingModels(app: app.name)
        let names = registry.servingModelNames(app: app.name)
        if policy.name == SelectionPolicyName.defaultOutput {
            return predict(exchange, app: app, request: request, policy: policy, state: SelectionState(), models: models, names: names)
        }
        if let state = states.cachedState(app: app.name, uid: request.uid) {
            return predict(exchange, app: app, request: request, policy: policy, state: state, models: models, names: names)
        }
        // The state must come from Redis first; that wait is bounded by the deadline too.
        let objective = Double(app.latencySLOMicros) / 1e6
        let deadlineGuard = loop.schedule(after: objective - Double(EventLoop.now() - exchange.arrival) / 1e9) { [self] in
            let query = PendingQuery(exchange: exchange, app: app, policy: policy, state: SelectionState(), firstQueryID: nextQueryID,
                                     asked: request.inputs.map { _ in names }, isBatch: request.isBatch, metrics: metrics)
            nextQueryID += request.inputs.count
            query.expire()
        }
        states.withState(app: app.name, uid: request.uid) { [self] state in
            guard !exchange.isAnswered else { return }
            deadlineGuard.cancel()
            predict(exchange, app: app, request: request, policy: policy, state: state, models: models, names: names)
        }
    }

    private func predict(_ exchange: HTTPExchange, app: ApplicationRecord, request: PredictRequest, policy: any SelectionPolicy,
                         state: SelectionState, models: [ModelRecord], names: [String]) {
        let firstID = nextQueryID
        nextQueryID += request.inputs.count
        let asked = request.inputs.map { _ in policy.select(state, models: names, random: &random) }
        let query = PendingQuery(exchange: exchange, app: app, policy: policy, state: state, firstQueryID: firstID,
                                 asked: asked, isBatch: request.isBatch, metrics: metrics)
        let objective = UInt64(app.latencySLOMicros) * 1000
        let deadline = exchange.arrival + objective
        for (index, input) in request.inputs.enumerated() {
            for (slot, model) in asked[index].enumerated() {
                let modelKey = models.first { $0.name == model }!.key
                predictor.predict(modelKey: modelKey, input: input, deadline: deadline, latencyObjective: objective) { [query] result in
                    query.set(index, model: slot, result)
                }
            }
        }
        if !query.isAnswered {
            let remaining = Double(deadline &- min(deadline, EventLoop.now())) / 1e9
            query.timer = loop.schedule(after: remaining) { [query] in query.expire() }
        }
    }

    /// Feedback: `{"uid": int, "input": <input>, "label": <number or string>}`. The policy's
    /// models are asked for their output on the input (from the cache when they answered it
    /// before), scored against the label, and the state is updated in Redis before the reply.
    private func update(_ exchange: HTTPExchange, app: ApplicationRecord) {
        let feedback: Feedback
        do {
            feedback = try Feedback.decode(exchange.body, type: app.inputType)
        } catch {
            metrics.queryError(app: app.name)
            return exchange.respond(error)
        }
        guard let policy = policy(of: app, answering: exchange) else { return }
        let models = registry.servingModels(app: app.name)
        guard policy.name != SelectionPolicyName.defaultOutput else {
            // Clipper's policy learns nothing; say so rather than pretend.
            return exchange.respond(status: 200, text: #"{"feedback_received":true,"updated":false,"reason":"policy \#(app.policy) does not learn from feedback"}"#)
        }
        guard !models.isEmpty else {
            return exchange.respond(APIError(status: 503, error: "Feedback not applied", cause: "Application '\(app.name)' has no linked model with a current version."))
        }
        states.withState(app: app.name, uid: feedback.uid) { [self] state in
            let names = models.map(\.name)
            let keys = Dictionary(uniqueKeysWithValues: models.map { ($0.name, $0.key) })
            let scored = policy.feedbackModels(state, models: names, random: &random)
            let objective = UInt64(max(app.latencySLOMicros, 1_000_000)) * 1000
            let deadline = exchange.arrival + objective
            var losses: [(model: String, probability: Double, loss: Double)] = []
            var missing: [String] = []
            var remaining = scored.count
            var finished = false
            var deadlineTimer: LoopTimer?
            let finish = { [self] in
                // Once: when every model answered, or at the deadline with those that did.
                guard !finished else { return }
                finished = true
                deadlineTimer?.cancel()
                guard !losses.isEmpty else {
                    logger.warning("feedback not applied: no model answered", metadata: ["app": "\(app.name)", "models": "\(missing)"])
                    return exchange.respond(APIError(status: 503, error: "Feedback not applied",
                                                     cause: "No model answered for this input (\(missing.joined(separator: ", "))); nothing was learned. Check that the models' containers are connected."))
                }
                let increments = policy.update(losses: losses)
                states.apply(app: app.name, uid: feedback.uid, models: names, increments: increments) { result in
                    switch result {
                    case .failure(let error): exchange.respond(error)
                    case .success(let updated):
                        let weights = zip(names, updated.weights(of: names)).map { "\(JSONText.quote($0)):\($1)" }.joined(separator: ",")
                        let scoredText = losses.map { "\(JSONText.quote($0.model)):\($0.loss)" }.joined(separator: ",")
                        exchange.respond(status: 200, text: #"{"feedback_received":true,"updated":true,"losses":{\#(scoredText)},"weights":{\#(weights)},"feedback_count":\#(updated.feedbackCount)}"#)
                    }
                }
            }
            deadlineTimer = loop.schedule(after: Double(deadline &- min(deadline, EventLoop.now())) / 1e9) { finish() }
            for (model, probability) in scored {
                predictor.predict(modelKey: keys[model]!, input: feedback.input, deadline: deadline, latencyObjective: objective) { result in
                    guard !finished else { return }
                    switch result {
                    case .success(let output): losses.append((model, probability, app.feedbackLoss.loss(label: feedback.label, output: output)))
                    case .failure: missing.append(model)
                    }
                    remaining -= 1
                    if remaining == 0 { finish() }
                }
            }
        }
    }
}
