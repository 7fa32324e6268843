/// The metrics port (setting `metrics_port`): `GET /metrics` away from the public query port, so
/// that application and model names are not shown to every client. Off by default, because
/// clipper_admin reads /metrics from the query address.
final class MetricsFrontend {
    private let metrics: ServingMetrics

    init(metrics: ServingMetrics) { self.metrics = metrics }

    func handle(_ exchange: HTTPExchange) {
        guard exchange.method == .get, exchange.path == "/metrics" else {
            return exchange.respond(.notFound("This port serves GET /metrics only."))
        }
        MetricsReply.send(exchange, metrics: metrics)
    }
}
