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
    /// False when a separate metrics port serves /metrics instead.
    var servesMetrics = true
    /// The last health reply rendered: probes come often and mostly say the same.
    private var lastHealth: (state: HealthState, body: [UInt8])?

    /// Where the access log goes (setting `access_log`); nil when it is off.
    var accessLog: Logger?

    init(registry: ConfigRegistry, redis: RedisConnection, processor: QueryProcessor<EventLoop>, metrics: ServingMetrics) {
        self.registry = registry
        self.redis = redis
        self.processor = processor
        self.metrics = metrics
    }

    /// Routes one request.
    func handle(_ exchange: HTTPExchange) {
        let path = exchange.path
        let route = Self.segments(path)
        switch (exchange.method, route.count) {
        case (.get, 0):
            respondHealth(exchange, ready: true)
        case (.get, 1) where route.first == "healthz":
            respondHealth(exchange, ready: true)
        case (.get, 1) where route.first == "readyz":
            respondHealth(exchange, ready: redis.isConnected && redis.problem == nil && isLoaded && !isDraining)
        case (.get, 1) where route.first == "metrics" && servesMetrics:
            MetricsReply.send(exchange, metrics: metrics)
        case (_, 2) where route.second == "predict" || route.second == "update":
            guard exchange.method == .post else {
                return exchange.respond(APIError(status: 405, error: "Method not allowed", cause: "/\(route.first)/\(route.second) takes POST with a JSON body."))
            }
            guard let app = registry.applications[String(route.first)] else {
                return exchange.respond(.notFound("No application named '\(route.first)'. Register it with POST /admin/add_app on the management port."))
            }
            guard !isDraining else {
                return exchange.respond(APIError(status: 503, error: "Shutting down", cause: "This frontend is shutting down; send the query to another one."))
            }
            if route.second == "predict" { predict(exchange, app: app) } else { update(exchange, app: app) }
        default:
            exchange.respond(.notFound("No route \(path). Routes: POST /{app}/predict, POST /{app}/update, GET /healthz, GET /readyz, GET /metrics."))
        }
    }

    /// The first two non-empty segments of `path` and how many there are, found on UTF-8 bytes
    /// without an array: routing allocates nothing.
    static func segments(_ path: String) -> (count: Int, first: Substring, second: Substring) {
        var count = 0
        var found: (Substring, Substring) = ("", "")
        var start: String.Index?
        var index = path.utf8.startIndex
        while true {
            let atEnd = index == path.utf8.endIndex
            if atEnd || path.utf8[index] == UInt8(ascii: "/") {
                if let segmentStart = start {
                    if count == 0 { found.0 = path[segmentStart..<index] } else if count == 1 { found.1 = path[segmentStart..<index] }
                    count += 1
                    start = nil
                }
            } else if start == nil {
                start = index
            }
            if atEnd { return (count, found.0, found.1) }
            index = path.utf8.index(after: index)
        }
    }

    private func respondHealth(_ exchange: HTTPExchange, ready: Bool) {
        let state = HealthState(ready: ready, redisConnected: redis.isConnected, redisProblem: redis.problem,
                                applications: registry.applications.count)
        if lastHealth?.state != state {
            let problem = state.redisProblem.map { #","redis_problem":\#(JSONText.quote($0))"# } ?? ""
            let text = #"{"status":"\#(ready ? "ok" : "unavailable")","redis":"\#(state.redisConnected ? "connected" : "disconnected")"\#(problem),"applications":\#(state.applications)}"#
            lastHealth = (state, Array(text.utf8))
        }
        exchange.respond(status: ready ? 200 : 503, body: lastHealth!.body)
    }

    /// What a health reply says.
    private struct HealthState: Equatable {
        let ready: Bool
        let redisConnected: Bool
        let redisProblem: String?
        let applications: Int
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
        processor.predict(app: app, inputs: request.inputs, uid: request.uid, arrival: exchange.arrival) { [accessLog, processor] result in
            switch result {
            case .failure(let error):
                exchange.respond(error)
                accessLog?.info("predict", metadata: ["app": "\(app.name)", "status": "\(error.status)",
                                                      "latency_ms": "\(Double(processor.clock.now &- exchange.arrival) / 1e6)"])
            case .success(let predictions):
                let body = PredictionReply.body(predictions, isBatch: isBatch, defaultOutput: defaultOutput)
                let headers = reportsConfidence ? [("X-Cutter-Models", PredictionReply.answeringModels(predictions))] : []
                exchange.respond(status: 200, body: body, headers: headers)
                accessLog?.info("predict", metadata: [
                    "app": "\(app.name)", "status": "200", "latency_ms": "\(Double(processor.clock.now &- exchange.arrival) / 1e6)",
                    "inputs": "\(predictions.count)", "defaults": "\(predictions.filter { $0.output == nil }.count)",
                    "models": "\(Set(predictions.flatMap(\.models)).sorted().joined(separator: ","))",
                ])
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
