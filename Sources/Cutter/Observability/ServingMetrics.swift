import Foundation
import Prometheus

/// The serving metrics, per application and per model version, in a Prometheus registry that
/// `GET /metrics` renders, each family with its HELP text (`promtool check metrics` is clean).
/// Handles are created once per label set and kept, so recording costs a lookup and an atomic
/// update; the series of a deleted application or model version are removed with it.
final class ServingMetrics {
    let registry: PrometheusCollectorRegistry
    private var apps: [String: AppHandles] = [:]
    private var models: [String: ModelHandles] = [:]
    private var replies: [Int: Counter] = [:]
    /// Called before each render, to set what is read on demand (in-flight requests).
    var beforeRender: (() -> Void)?
    private let process: ProcessMetrics

    /// Latency buckets from 50 µs to 10 s: a cache hit takes about 0.1 ms and an SLO is often tens
    /// of ms, so quantiles from the histogram are true to within a bucket at both ends.
    static let latencyBuckets: [Duration] = [
        .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500),
        .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]
    static let batchSizeBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
    /// The batch sizes whose profiled p99 /metrics shows.
    static let profiledSizes = [1, 8, 32, 64]

    private final class AppHandles {
        let labels: [(String, String)]
        let queries: Counter
        let errors: Counter
        let latency: DurationHistogram
        /// Defaults by reason label, created on first use.
        var defaults: [String: Counter] = [:]

        init(name: String, registry: PrometheusCollectorRegistry) {
            labels = [("app", name)]
            queries = registry.makeCounter(descriptor: Self.queries, labels: labels)
            errors = registry.makeCounter(descriptor: Self.errors, labels: labels)
            latency = registry.makeDurationHistogram(descriptor: Self.latency, labels: labels, buckets: ServingMetrics.latencyBuckets)
        }

        func unregister(from registry: PrometheusCollectorRegistry) {
            registry.unregisterCounter(queries)
            registry.unregisterCounter(errors)
            registry.unregisterDurationHistogram(latency)
            defaults.values.forEach { registry.unregisterCounter($0) }
        }

        static var queries: MetricNameDescriptor { descriptor("cutter_app_queries_total", "Queries answered, by application (each input of a batch query counts).") }
        static var errors: MetricNameDescriptor { descriptor("cutter_app_errors_total", "Requests refused as bad input (400), by application.") }
        static var latency: MetricNameDescriptor { descriptor("cutter_app_latency_seconds", "Time from a query's arrival to its answer, by application.") }
        static var defaults: MetricNameDescriptor { descriptor("cutter_app_defaults_total", "Queries answered with the application's default output, by reason: no_model, timeout, model_failed, low_confidence, shed, unresponsive.") }
    }

    /// A class, not a struct: a lookup then costs one retain, not one per handle (measured:
    /// copying the struct was 1.1 % of a cached predict's time).
    private final class ModelHandles {
        let batchSize: ValueHistogram
        let batchLatency: DurationHistogram
        let queueLength: Gauge
        let cacheHits: Counter
        let cacheMisses: Counter
        let replicas: Gauge
        let stalledReplicas: Gauge
        let shed: Counter
        let failures: Counter
        /// The latency profile of the replica that answered last: p99 at a few batch sizes, and the fit.
        let profileP99: [(size: Int, gauge: Gauge)]
        let profileIntercept: Gauge
        let profileSlope: Gauge

        init(key: String, registry: PrometheusCollectorRegistry) {
            // Clipper joins name and version as `name:version`; names cannot hold a colon.
            let parts = key.split(separator: ":", maxSplits: 1)
            let labels = [("model", String(parts[0])), ("version", parts.count > 1 ? String(parts[1]) : "")]
            batchSize = registry.makeValueHistogram(descriptor: Self.batchSize, labels: labels, buckets: ServingMetrics.batchSizeBuckets)
            batchLatency = registry.makeDurationHistogram(descriptor: Self.batchLatency, labels: labels, buckets: ServingMetrics.latencyBuckets)
            queueLength = registry.makeGauge(descriptor: Self.queueLength, labels: labels)
            cacheHits = registry.makeCounter(descriptor: Self.cacheHits, labels: labels)
            cacheMisses = registry.makeCounter(descriptor: Self.cacheMisses, labels: labels)
            replicas = registry.makeGauge(descriptor: Self.replicas, labels: labels)
            stalledReplicas = registry.makeGauge(descriptor: Self.stalledReplicas, labels: labels)
            shed = registry.makeCounter(descriptor: Self.shed, labels: labels)
            failures = registry.makeCounter(descriptor: Self.failures, labels: labels)
            profileP99 = ServingMetrics.profiledSizes.map { size in
                (size, registry.makeGauge(descriptor: Self.profileP99, labels: labels + [("batch_size", String(size))]))
            }
            profileIntercept = registry.makeGauge(descriptor: Self.profileIntercept, labels: labels)
            profileSlope = registry.makeGauge(descriptor: Self.profileSlope, labels: labels)
        }

        func unregister(from registry: PrometheusCollectorRegistry) {
            registry.unregisterValueHistogram(batchSize)
            registry.unregisterDurationHistogram(batchLatency)
            [queueLength, replicas, stalledReplicas, profileIntercept, profileSlope].forEach { registry.unregisterGauge($0) }
            profileP99.forEach { registry.unregisterGauge($0.gauge) }
            [cacheHits, cacheMisses, shed, failures].forEach { registry.unregisterCounter($0) }
        }

        static var batchSize: MetricNameDescriptor { descriptor("cutter_model_batch_size", "Inputs per batch sent to the model version.") }
        static var batchLatency: MetricNameDescriptor { descriptor("cutter_model_batch_latency_seconds", "Round trip of a batch: sent to a replica until its answer arrived.") }
        static var queueLength: MetricNameDescriptor { descriptor("cutter_model_queue_length", "Tasks waiting in the model version's queue.") }
        static var cacheHits: MetricNameDescriptor { descriptor("cutter_model_cache_hits_total", "Predictions answered from the cache or joined to an identical one in flight.") }
        static var cacheMisses: MetricNameDescriptor { descriptor("cutter_model_cache_misses_total", "Predictions the model version had to compute.") }
        static var replicas: MetricNameDescriptor { descriptor("cutter_model_replicas", "Connected replicas (containers) of the model version.") }
        static var stalledReplicas: MetricNameDescriptor { descriptor("cutter_model_replicas_stalled", "Replicas that overran a batch far past their latency profile and get no work until they answer.") }
        static var shed: MetricNameDescriptor { descriptor("cutter_model_shed_total", "Tasks refused because, by the latency profile, they could not be answered before their deadline.") }
        static var failures: MetricNameDescriptor { descriptor("cutter_model_failures_total", "Batches the model version failed (wrong number of outputs, an error in the container).") }
        static var profileP99: MetricNameDescriptor { descriptor("cutter_model_latency_p99_seconds", "Latency profile: the p99 of a batch of batch_size inputs, of the replica that answered last.") }
        static var profileIntercept: MetricNameDescriptor { descriptor("cutter_model_latency_intercept_seconds", "Latency profile: the fitted time of a batch of zero inputs.") }
        static var profileSlope: MetricNameDescriptor { descriptor("cutter_model_latency_slope_seconds", "Latency profile: the fitted time added by each input of a batch.") }
    }

    init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        process = ProcessMetrics(registry: registry)
        registry.makeGauge(descriptor: Self.descriptor("cutter_build_info", "Cutter's version and the Swift compiler it was built with; the value is 1."),
                           labels: [("version", CutterVersion.current), ("swift", CutterVersion.swift)]).set(to: 1.0)
    }

    /// A metric name with its HELP text (computed: the descriptor type is not Sendable).
    static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    private func app(_ name: String) -> AppHandles {
        if let handles = apps[name] { return handles }
        let handles = AppHandles(name: name, registry: registry)
        apps[name] = handles
        return handles
    }

    private func model(_ key: String) -> ModelHandles {
        if let handles = models[key] { return handles }
        let handles = ModelHandles(key: key, registry: registry)
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

    private func defaultCounter(_ handles: AppHandles, _ reason: String) -> Counter {
        if let counter = handles.defaults[reason] { return counter }
        let counter = registry.makeCounter(descriptor: AppHandles.defaults, labels: handles.labels + [("reason", reason)])
        handles.defaults[reason] = counter
        return counter
    }

    /// A query of `app` refused as bad input.
    func queryError(app name: String) { app(name).errors.increment() }

    /// An HTTP reply with `status` left port `port` (query, management, metrics).
    func reply(port: String, status: Int) {
        // One key per port and status: the port's index times 1000 plus the status.
        let key = (port == "query" ? 0 : port == "management" ? 1000 : 2000) + status
        if let counter = replies[key] { return counter.increment() }
        let counter = registry.makeCounter(descriptor: Self.replies, labels: [("port", port), ("status", String(status))])
        replies[key] = counter
        counter.increment()
    }
    private static var replies: MetricNameDescriptor { descriptor("cutter_http_replies_total", "HTTP replies sent, by port and status code.") }

    /// The HTTP requests read and not yet answered on each port, set before a render.
    func requestsInFlight(port: String, _ count: Int) {
        registry.makeGauge(descriptor: Self.inFlight, labels: [("port", port)]).set(Double(count))
    }
    private static var inFlight: MetricNameDescriptor { descriptor("cutter_http_requests_in_flight", "HTTP requests read and not yet answered, by port.") }

    /// Forgets the series of an application that was deleted.
    func forget(app name: String) {
        apps.removeValue(forKey: name)?.unregister(from: registry)
    }

    /// Forgets the series of a model version that was deleted.
    func forget(model key: String) {
        models.removeValue(forKey: key)?.unregister(from: registry)
    }

    func batchSent(_ modelKey: String, size: Int) { model(modelKey).batchSize.record(Double(size)) }
    func batchLatency(_ modelKey: String, nanoseconds: UInt64) { model(modelKey).batchLatency.recordNanoseconds(Int64(nanoseconds)) }
    func batchFailed(_ modelKey: String) { model(modelKey).failures.increment() }
    func queueLength(_ modelKey: String, _ length: Int) { model(modelKey).queueLength.set(Double(length)) }
    func replicas(_ modelKey: String, _ count: Int, stalled: Int) {
        let handles = model(modelKey)
        handles.replicas.set(Double(count))
        handles.stalledReplicas.set(Double(stalled))
    }
    /// A task refused by the model's queue: it could not have been answered in time.
    func shed(_ modelKey: String) { model(modelKey).shed.increment() }
    /// A replica's latency profile (ns): its p99 by batch size, and its fitted line.
    func profile(_ modelKey: String, p99: (Int) -> Double, intercept: Double, slope: Double) {
        let handles = model(modelKey)
        for (size, gauge) in handles.profileP99 { gauge.set(p99(size) / 1e9) }
        handles.profileIntercept.set(intercept / 1e9)
        handles.profileSlope.set(slope / 1e9)
    }
    func cache(_ modelKey: String, hit: Bool) {
        if hit { model(modelKey).cacheHits.increment() } else { model(modelKey).cacheMisses.increment() }
    }

    /// The Prometheus text exposition of everything.
    func render() -> [UInt8] {
        beforeRender?()
        process.update()
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 << 10)
        registry.emit(into: &buffer)
        return buffer
    }
}
