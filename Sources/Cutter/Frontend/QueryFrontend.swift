import Logging

/// The query frontend's REST routes: `POST /{app}/predict`, `POST /{app}/update`, health,
/// readiness and Prometheus metrics. It routes, decodes requests and renders replies; what a
/// query means is the query processor's business. Every request is answered in `handle`'s
/// routes or in one completion per call.
final class QueryFrontend {
    private let registry: ConfigRegistry
    private let redis: RedisConnection
    private let processor: QueryProcessor<EventLoop>
    private let metrics: ServingMetrics
    /// Whether the registry finished its first load from Redis.
    var isLoaded = false
    /// Set at shutdown: not ready, and new queries are refused while those in flight finish.
    var isDraining = false

    init(registry: ConfigRegistry, redis: RedisConnection, processor: QueryProcessor<EventLoop>, metrics: ServingMetrics) {
        self.registry = registry
        self.redis = redis
        self.processor = processor
        self.metrics = metrics
    }

    /// Routes one request.
    func handle(_ exchange: HTTPExchange) {
        let parts = Self.pathSegments(exchange.path)
        switch (exchange.method, parts.count) {
        case (.get, 0):
            respondHealth(exchange, ready: true)
        case (.get, 1) where parts[0] == "healthz":
            respondHealth(exchange, ready: true)
        case (.get, 1) where parts[0] == "readyz":
            respondHealth(exchange, ready: redis.isConnected && redis.problem == nil && isLoaded && !isDraining)
        case (.get, 1) where parts[0] == "metrics":
            exchange.respond(status: 200, contentType: "text/plain; version=0.0.4", body: metrics.render())
        case (_, 2) where parts[1] == "predict" || parts[1] == "update":
            guard exchange.method == .post else {
                return exchange.respond(APIError(status: 405, error: "Method not allowed", cause: "/\(parts[0])/\(parts[1]) takes POST with a JSON body."))
            }
            guard let app = registry.applications[String(parts[0])] else {
                return exchange.respond(.notFound("No application named '\(parts[0])'. Register it with POST /admin/add_app on the management port."))
            }
            guard !isDraining else {
                return exchange.respond(APIError(status: 503, error: "Shutting down", cause: "This frontend is shutting down; send the query to another one."))
            }
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

    private func respondHealth(_ exchange: HTTPExchange, ready: Bool) {
        let redisState = redis.isConnected ? "connected" : "disconnected"
        let problem = redis.problem.map { #","redis_problem":\#(JSONText.quote($0))"# } ?? ""
        exchange.respond(status: ready ? 200 : 503,
                         text: #"{"status":"\#(ready ? "ok" : "unavailable")","redis":"\#(redisState)"\#(problem),"applications":\#(registry.applications.count)}"#)
    }

    private func predict(_ exchange: HTTPExchange, app: ApplicationRecord) {
        let request: PredictRequest
        do {
            request = try PredictRequest.decode(exchange.body, type: app.inputType)
        } catch {
            metrics.queryError(app: app.name)
            return exchange.respond(error)
        }
        let isBatch = request.isBatch
        let defaultOutput = app.defaultOutput
        let reportsConfidence = app.policy?.reportsConfidence == true
        processor.predict(app: app, inputs: request.inputs, uid: request.uid, arrival: exchange.arrival) { result in
            switch result {
            case .failure(let error):
                exchange.respond(error)
            case .success(let predictions):
                let body = PredictionReply.body(predictions, isBatch: isBatch, defaultOutput: defaultOutput)
                let headers = reportsConfidence ? [("X-Cutter-Models", PredictionReply.answeringModels(predictions))] : []
                exchange.respond(status: 200, body: body, headers: headers)
            }
        }
    }

    /// Feedback: `{"uid": int, "input": <input>, "label": <number or string>}`.
    private func update(_ exchange: HTTPExchange, app: ApplicationRecord) {
        let feedback: FeedbackRequest
        do {
            feedback = try FeedbackRequest.decode(exchange.body, type: app.inputType)
        } catch {
            metrics.queryError(app: app.name)
            return exchange.respond(error)
        }
        processor.update(app: app, uid: feedback.uid, input: feedback.input, label: feedback.label, arrival: exchange.arrival) { result in
            switch result {
            case .failure(let error): exchange.respond(error)
            case .success(let outcome): exchange.respond(status: 200, text: FeedbackReply.body(outcome))
            }
        }
    }
}
