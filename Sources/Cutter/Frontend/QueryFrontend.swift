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
    private var nextQueryID = 0
    /// Whether the registry finished its first load from Redis.
    var isLoaded = false

    public init(loop: EventLoop, registry: ConfigRegistry, redis: RedisConnection, predictor: Predictor, metrics: ServingMetrics, logger: Logger) {
        self.loop = loop
        self.registry = registry
        self.redis = redis
        self.predictor = predictor
        self.metrics = metrics
        self.logger = logger
    }

    /// Routes one request.
    public func handle(_ exchange: HTTPExchange) {
        let parts = exchange.path.split(separator: "/", omittingEmptySubsequences: true)
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
        let firstID = nextQueryID
        nextQueryID += request.inputs.count
        let query = PendingQuery(exchange: exchange, app: app, firstQueryID: firstID, count: request.inputs.count,
                                 isBatch: request.isBatch) { [metrics] query, defaults in
            let latency = EventLoop.now() - query.arrival
            for usedDefault in defaults { metrics.query(app: app.name, nanoseconds: latency, usedDefault: usedDefault) }
        }
        // Clipper's default policy: the app's one linked model, at its current version.
        guard let model = registry.servingModels(app: app.name).first, predictor.isServing(model.key) else {
            for index in request.inputs.indices { query.set(index, .failure(.noReplica)) }
            return
        }
        let objective = UInt64(app.latencySLOMicros) * 1000
        let deadline = exchange.arrival + objective
        for (index, input) in request.inputs.enumerated() {
            predictor.predict(modelKey: model.key, input: input, deadline: deadline, latencyObjective: objective) { [query] result in
                query.set(index, result)
            }
        }
        if !query.isAnswered {
            let remaining = Double(deadline &- min(deadline, EventLoop.now())) / 1e9
            query.timer = loop.schedule(after: remaining) { [query] in query.expire() }
        }
    }

    private func update(_ exchange: HTTPExchange, app: ApplicationRecord) {
        exchange.respond(APIError(status: 503, error: "Feedback unavailable", cause: "Application '\(app.name)' has no selection policy that learns from feedback yet."))
    }
}
