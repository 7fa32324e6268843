import Foundation

/// Clipper's JSON metrics document, made from Cutter's Prometheus exposition, for the clients that
/// read Clipper's `GET /metrics` (clipper_admin's `inspect_instance`, Clipper's frontend exporter).
///
/// Clipper's names and shapes, every leaf a string: `counters` (`app:A:num_predictions`,
/// `model:M:V:num_predictions`, `internal:prediction_cache_lookups`,
/// `internal:aggregate_num_predictions`), `ratio_counters` (`app:A:default_prediction_ratio`,
/// `model:M:V:cache_hit_ratio`, `internal:prediction_cache_hit_ratio`), `meters`
/// (`app:A:prediction_throughput`, `model:M:V:prediction_throughput`,
/// `internal:aggregate_model_throughput`) and `histograms` (`app:A:prediction_latency` and
/// `model:M:V:prediction_latency` in microseconds, `model:M:V:batch_size` in queries).
///
/// What Prometheus histograms cannot give exactly is estimated from their buckets: quantiles by
/// linear interpolation within a bucket, min and max as the bounds of the first and last non-empty
/// buckets, the standard deviation from bucket midpoints. Meters report the rate since start for
/// all four windows (Cutter keeps no moving averages; Prometheus's `rate()` does that better).
enum ClipperMetricsReport {
    /// One sample line of the exposition.
    private struct Sample {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    static func render(exposition: [UInt8], now: Double = Date().timeIntervalSince1970) -> [UInt8] {
        let samples = parse(String(decoding: exposition, as: UTF8.self))
        func values(_ name: String) -> [Sample] { samples.filter { $0.name == name } }
        func value(_ name: String, _ labels: [String: String]) -> Double {
            values(name).first { sample in labels.allSatisfy { sample.labels[$0.key] == $0.value } }?.value ?? 0
        }
        let started = values("process_start_time_seconds").first?.value ?? now
        let uptime = max(now - started, 1e-3)
        var counters: [[String: Any]] = []
        var ratios: [[String: Any]] = []
        var meters: [[String: Any]] = []
        var histograms: [[String: Any]] = []

        for app in Set(values("cutter_app_queries_total").compactMap { $0.labels["app"] }).sorted() {
            let queries = value("cutter_app_queries_total", ["app": app])
            let defaults = values("cutter_app_defaults_total").filter { $0.labels["app"] == app }.reduce(0) { $0 + $1.value }
            counters.append(["app:\(app):num_predictions": ["count": text(queries)]])
            ratios.append(["app:\(app):default_prediction_ratio": ["ratio": text(queries > 0 ? defaults / queries : 0)]])
            meters.append(["app:\(app):prediction_throughput": meter(queries / uptime)])
            histograms.append(["app:\(app):prediction_latency": histogram(samples, "cutter_app_latency_seconds", ["app": app], unit: "microseconds", scale: 1e6)])
        }
        var lookups = 0.0, hits = 0.0, computed = 0.0
        let modelKeys = Set(values("cutter_model_cache_misses_total").map { ModelLabels($0.labels) }
            + values("cutter_model_batch_size_count").map { ModelLabels($0.labels) })
        for model in modelKeys.sorted(by: { $0.name == $1.name ? $0.version < $1.version : $0.name < $1.name }) {
            let name = "model:\(model.name):\(model.version)"
            let labels = ["model": model.name, "version": model.version]
            let modelHits = value("cutter_model_cache_hits_total", labels)
            let modelLookups = modelHits + value("cutter_model_cache_misses_total", labels)
            let predictions = value("cutter_model_batch_size_sum", labels)
            lookups += modelLookups
            hits += modelHits
            computed += predictions
            counters.append(["\(name):num_predictions": ["count": text(predictions)]])
            ratios.append(["\(name):cache_hit_ratio": ["ratio": text(modelLookups > 0 ? modelHits / modelLookups : 0)]])
            meters.append(["\(name):prediction_throughput": meter(predictions / uptime)])
            histograms.append(["\(name):prediction_latency": histogram(samples, "cutter_model_batch_latency_seconds", labels, unit: "microseconds", scale: 1e6)])
            histograms.append(["\(name):batch_size": histogram(samples, "cutter_model_batch_size", labels, unit: "queries", scale: 1)])
        }
        counters.append(["internal:prediction_cache_lookups": ["count": text(lookups)]])
        counters.append(["internal:aggregate_num_predictions": ["count": text(computed)]])
        ratios.append(["internal:prediction_cache_hit_ratio": ["ratio": text(lookups > 0 ? hits / lookups : 0)]])
        meters.append(["internal:aggregate_model_throughput": meter(computed / uptime)])

        let document: [String: Any] = ["counters": counters, "ratio_counters": ratios, "meters": meters, "histograms": histograms]
        let data = (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Array(data)
    }

    /// A model version's labels.
    private struct ModelLabels: Hashable {
        let name: String
        let version: String
        init(_ labels: [String: String]) {
            name = labels["model"] ?? ""
            version = labels["version"] ?? ""
        }
    }

    private static func text(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(format: "%.6g", value)
    }

    private static func meter(_ rate: Double) -> [String: String] {
        let rate = text(rate)
        return ["unit": "events per second", "rate": rate, "rate_1min": rate, "rate_5min": rate, "rate_15min": rate]
    }

    /// Clipper's histogram summary of the Prometheus histogram `name` with `labels`, in `unit`
    /// (values multiplied by `scale`).
    private static func histogram(_ samples: [Sample], _ name: String, _ labels: [String: String], unit: String, scale: Double) -> [String: String] {
        let matching = samples.filter { sample in labels.allSatisfy { sample.labels[$0.key] == $0.value } }
        let count = matching.first { $0.name == name + "_count" }?.value ?? 0
        let sum = matching.first { $0.name == name + "_sum" }?.value ?? 0
        // Cumulative buckets in order of their bound; +Inf is left out, the last bound caps it.
        let buckets = matching.filter { $0.name == name + "_bucket" }
            .compactMap { sample in sample.labels["le"].flatMap(Double.init).map { (bound: $0, cumulative: sample.value) } }
            .filter { $0.bound.isFinite }
            .sorted { $0.bound < $1.bound }
        guard count > 0, !buckets.isEmpty else {
            return ["unit": unit, "size": "0", "min": "0", "max": "0", "mean": "0", "std_dev": "0", "p50": "0", "p95": "0", "p99": "0"]
        }
        // Each bucket as (lower, upper, count in it).
        var ranges: [(lower: Double, upper: Double, count: Double)] = []
        var previous = (bound: 0.0, cumulative: 0.0)
        for bucket in buckets {
            ranges.append((previous.bound, bucket.bound, bucket.cumulative - previous.cumulative))
            previous = bucket
        }
        if count > previous.cumulative { ranges.append((previous.bound, previous.bound, count - previous.cumulative)) }
        func quantile(_ q: Double) -> Double {
            let rank = q * count
            var seen = 0.0
            for range in ranges where range.count > 0 {
                if seen + range.count >= rank {
                    return range.lower + (range.upper - range.lower) * max(0, min(1, (rank - seen) / range.count))
                }
                seen += range.count
            }
            return ranges.last?.upper ?? 0
        }
        let nonEmpty = ranges.filter { $0.count > 0 }
        let mean = sum / count
        let variance = nonEmpty.reduce(0.0) { total, range in
            let middle = (range.lower + range.upper) / 2
            return total + range.count * (middle - mean) * (middle - mean)
        } / count
        return ["unit": unit, "size": text(count),
                "min": text((nonEmpty.first?.lower ?? 0) * scale), "max": text((nonEmpty.last?.upper ?? 0) * scale),
                "mean": text(mean * scale), "std_dev": text(variance.squareRoot() * scale),
                "p50": text(quantile(0.5) * scale), "p95": text(quantile(0.95) * scale), "p99": text(quantile(0.99) * scale)]
    }

    /// The sample lines of a Prometheus text exposition (comments skipped).
    private static func parse(_ text: String) -> [Sample] {
        text.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { return nil }
            let series = line[..<space]
            guard let brace = series.firstIndex(of: "{") else { return Sample(name: String(series), labels: [:], value: value) }
            var labels: [String: String] = [:]
            // Label values here are names Cutter validated (no quotes, commas or newlines) and numbers.
            for pair in series[series.index(after: brace)...].dropLast().split(separator: ",") {
                guard let equals = pair.firstIndex(of: "=") else { continue }
                labels[String(pair[..<equals])] = String(pair[pair.index(after: equals)...].dropFirst().dropLast())
            }
            return Sample(name: String(series[..<brace]), labels: labels, value: value)
        }
    }
}
