/// `GET /metrics` in the format the client reads: Prometheus text for scrapers (they name
/// text/plain or OpenMetrics in Accept), Clipper's JSON document for Clipper's clients —
/// `?format=json`, or python-requests naming neither, as clipper_admin's `inspect_instance` does.
enum MetricsReply {
    static func send(_ exchange: HTTPExchange, metrics: ServingMetrics) {
        let exposition = metrics.render()
        guard wantsClipperJSON(exchange) else {
            return exchange.respond(status: 200, contentType: "text/plain; version=0.0.4", body: exposition)
        }
        exchange.respond(status: 200, body: ClipperMetricsReport.render(exposition: exposition))
    }

    static func wantsClipperJSON(_ exchange: HTTPExchange) -> Bool {
        if let query = exchange.query, query.split(separator: "&").contains("format=json") { return true }
        let accept = exchange.header("accept")?.lowercased() ?? ""
        if accept.contains("text/plain") || accept.contains("openmetrics") { return false }
        return exchange.header("user-agent")?.lowercased().hasPrefix("python-requests") == true
    }
}
