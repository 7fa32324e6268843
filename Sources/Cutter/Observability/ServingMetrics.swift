import CoreMetrics
import Prometheus

/// The serving metrics, per application and per model version, through swift-metrics into a
/// Prometheus registry that `GET /metrics` renders. Handles are created once per label set and
/// kept, so recording costs a lookup and an atomic update.
final class ServingMetrics {
    let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private var apps: [String: AppHandles] = [:]
    private var models: [String: ModelHandles] = [:]

    private struct AppHandles {
        let queries: CoreMetrics.Counter
        let defaults: CoreMetrics.Counter
        let errors: CoreMetrics.Counter
        let latency: CoreMetrics.Timer
    }

    private struct ModelHandles {
        let batchSize: CoreMetrics.Recorder
        let batchLatency: CoreMetrics.Timer
        let queueLength: CoreMetrics.Gauge
        let cacheHits: CoreMetrics.Counter
        let cacheMisses: CoreMetrics.Counter
        let replicas: CoreMetrics.Gauge
    }

    init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.valueHistogramBuckets["cutter_model_batch_size"] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
        self.factory = factory
    }

    private func app(_ name: String) -> AppHandles {
        if let handles = apps[name] { return handles }
        let dimensions = [("app", name)]
        let handles = AppHandles(
            queries: CoreMetrics.Counter(label: "cutter_app_queries_total", dimensions: dimensions, factory: factory),
            defaults: CoreMetrics.Counter(label: "cutter_app_defaults_total", dimensions: dimensions, factory: factory),
            errors: CoreMetrics.Counter(label: "cutter_app_errors_total", dimensions: dimensions, factory: factory),
            latency: CoreMetrics.Timer(label: "cutter_app_latency_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds, factory: factory))
        apps[name] = handles
        return handles
    }

    private func model(_ key: String) -> ModelHandles {
        if let handles = models[key] { return handles }
        let dimensions = [("model", key)]
        let handles = ModelHandles(
            batchSize: CoreMetrics.Recorder(label: "cutter_model_batch_size", dimensions: dimensions, aggregate: true, factory: factory),
            batchLatency: CoreMetrics.Timer(label: "cutter_model_batch_latency_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds, factory: factory),
            queueLength: CoreMetrics.Gauge(label: "cutter_model_queue_length", dimensions: dimensions, factory: factory),
            cacheHits: CoreMetrics.Counter(label: "cutter_model_cache_hits_total", dimensions: dimensions, factory: factory),
            cacheMisses: CoreMetrics.Counter(label: "cutter_model_cache_misses_total", dimensions: dimensions, factory: factory),
            replicas: CoreMetrics.Gauge(label: "cutter_model_replicas", dimensions: dimensions, factory: factory))
        models[key] = handles
        return handles
    }

    /// `count` answered queries of `app` in one request, `defaults` of them with the default
    /// output, answered after `nanoseconds`.
    func queries(app name: String, count: Int, defaults: Int, nanoseconds: UInt64) {
        let handles = app(name)
        handles.queries.increment(by: Int64(count))
        if defaults > 0 { handles.defaults.increment(by: Int64(defaults)) }
        for _ in 0..<count { handles.latency.recordNanoseconds(Int64(nanoseconds)) }
    }

    /// A query of `app` refused as bad input.
    func queryError(app name: String) { app(name).errors.increment() }

    func batchSent(_ modelKey: String, size: Int) { model(modelKey).batchSize.record(size) }
    func batchLatency(_ modelKey: String, nanoseconds: UInt64) { model(modelKey).batchLatency.recordNanoseconds(Int64(nanoseconds)) }
    func queueLength(_ modelKey: String, _ length: Int) { model(modelKey).queueLength.record(length) }
    func replicas(_ modelKey: String, _ count: Int) { model(modelKey).replicas.record(count) }
    func cache(_ modelKey: String, hit: Bool) {
        if hit { model(modelKey).cacheHits.increment() } else { model(modelKey).cacheMisses.increment() }
    }

    /// The Prometheus text exposition of everything.
    func render() -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 << 10)
        registry.emit(into: &buffer)
        return buffer
    }
}
