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

    private final class AppHandles {
        let name: String
        let queries: CoreMetrics.Counter
        let errors: CoreMetrics.Counter
        let latency: CoreMetrics.Timer
        /// Defaults by reason label, created on first use.
        var defaults: [String: CoreMetrics.Counter] = [:]
        init(name: String, queries: CoreMetrics.Counter, errors: CoreMetrics.Counter, latency: CoreMetrics.Timer) {
            self.name = name
            self.queries = queries
            self.errors = errors
            self.latency = latency
        }
    }

    /// A class, not a struct: a lookup then costs one retain, not one per handle (measured:
    /// copying the struct was 1.1 % of a cached predict's time).
    private final class ModelHandles {
        let batchSize: CoreMetrics.Recorder
        let batchLatency: CoreMetrics.Timer
        let queueLength: CoreMetrics.Gauge
        let cacheHits: CoreMetrics.Counter
        let cacheMisses: CoreMetrics.Counter
        let replicas: CoreMetrics.Gauge
        let stalledReplicas: CoreMetrics.Gauge
        let shed: CoreMetrics.Counter
        /// The latency profile of the replica that answered last: p99 at a few batch sizes, and the fit.
        let profileP99: [(size: Int, gauge: CoreMetrics.Gauge)]
        let profileIntercept: CoreMetrics.Gauge
        let profileSlope: CoreMetrics.Gauge

        init(key: String, factory: PrometheusMetricsFactory) {
            let dimensions = [("model", key)]
            batchSize = CoreMetrics.Recorder(label: "cutter_model_batch_size", dimensions: dimensions, aggregate: true, factory: factory)
            batchLatency = CoreMetrics.Timer(label: "cutter_model_batch_latency_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds, factory: factory)
            queueLength = CoreMetrics.Gauge(label: "cutter_model_queue_length", dimensions: dimensions, factory: factory)
            cacheHits = CoreMetrics.Counter(label: "cutter_model_cache_hits_total", dimensions: dimensions, factory: factory)
            cacheMisses = CoreMetrics.Counter(label: "cutter_model_cache_misses_total", dimensions: dimensions, factory: factory)
            replicas = CoreMetrics.Gauge(label: "cutter_model_replicas", dimensions: dimensions, factory: factory)
            stalledReplicas = CoreMetrics.Gauge(label: "cutter_model_replicas_stalled", dimensions: dimensions, factory: factory)
            shed = CoreMetrics.Counter(label: "cutter_model_shed_total", dimensions: dimensions, factory: factory)
            profileP99 = ServingMetrics.profiledSizes.map { size in
                (size, CoreMetrics.Gauge(label: "cutter_model_latency_p99_seconds", dimensions: dimensions + [("batch_size", String(size))], factory: factory))
            }
            profileIntercept = CoreMetrics.Gauge(label: "cutter_model_latency_intercept_seconds", dimensions: dimensions, factory: factory)
            profileSlope = CoreMetrics.Gauge(label: "cutter_model_latency_slope_seconds", dimensions: dimensions, factory: factory)
        }
    }

    /// The batch sizes whose profiled p99 /metrics shows.
    static let profiledSizes = [1, 8, 32, 64]

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
            name: name,
            queries: CoreMetrics.Counter(label: "cutter_app_queries_total", dimensions: dimensions, factory: factory),
            errors: CoreMetrics.Counter(label: "cutter_app_errors_total", dimensions: dimensions, factory: factory),
            latency: CoreMetrics.Timer(label: "cutter_app_latency_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds, factory: factory))
        apps[name] = handles
        return handles
    }

    private func model(_ key: String) -> ModelHandles {
        if let handles = models[key] { return handles }
        let handles = ModelHandles(key: key, factory: factory)
        models[key] = handles
        return handles
    }

    /// `count` queries of one request of `app`, answered after `nanoseconds`; `defaults` names
    /// the reason of each one answered with the default output.
    func answered(app name: String, count: Int, defaults: [String], nanoseconds: UInt64) {
        let handles = app(name)
        handles.queries.increment(by: Int64(count))
        for _ in 0..<count { handles.latency.recordNanoseconds(Int64(nanoseconds)) }
        for reason in defaults { defaultCounter(handles, reason).increment() }
    }

    private func defaultCounter(_ handles: AppHandles, _ reason: String) -> CoreMetrics.Counter {
        if let counter = handles.defaults[reason] { return counter }
        let counter = CoreMetrics.Counter(label: "cutter_app_defaults_total", dimensions: [("app", handles.name), ("reason", reason)], factory: factory)
        handles.defaults[reason] = counter
        return counter
    }

    /// A query of `app` refused as bad input.
    func queryError(app name: String) { app(name).errors.increment() }

    func batchSent(_ modelKey: String, size: Int) { model(modelKey).batchSize.record(size) }
    func batchLatency(_ modelKey: String, nanoseconds: UInt64) { model(modelKey).batchLatency.recordNanoseconds(Int64(nanoseconds)) }
    func queueLength(_ modelKey: String, _ length: Int) { model(modelKey).queueLength.record(length) }
    func replicas(_ modelKey: String, _ count: Int, stalled: Int) {
        let handles = model(modelKey)
        handles.replicas.record(count)
        handles.stalledReplicas.record(stalled)
    }
    /// A task refused by the model's queue: it could not have been answered in time.
    func shed(_ modelKey: String) { model(modelKey).shed.increment() }
    /// A replica's latency profile (ns): its p99 by batch size, and its fitted line.
    func profile(_ modelKey: String, p99: (Int) -> Double, intercept: Double, slope: Double) {
        let handles = model(modelKey)
        for (size, gauge) in handles.profileP99 { gauge.record(p99(size) / 1e9) }
        handles.profileIntercept.record(intercept / 1e9)
        handles.profileSlope.record(slope / 1e9)
    }
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
