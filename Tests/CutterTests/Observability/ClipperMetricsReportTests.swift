import Foundation
import Testing
@testable import Cutter

struct ClipperMetricsReportTests {
    static let exposition = """
        # HELP process_start_time_seconds Start time.
        # TYPE process_start_time_seconds gauge
        process_start_time_seconds 1000
        cutter_app_queries_total{app="a"} 10
        cutter_app_defaults_total{app="a",reason="timeout"} 2
        cutter_app_defaults_total{app="a",reason="shed"} 1
        cutter_app_latency_seconds_bucket{app="a",le="0.001"} 0
        cutter_app_latency_seconds_bucket{app="a",le="0.002"} 10
        cutter_app_latency_seconds_bucket{app="a",le="+Inf"} 10
        cutter_app_latency_seconds_sum{app="a"} 0.015
        cutter_app_latency_seconds_count{app="a"} 10
        cutter_model_cache_hits_total{model="m",version="1"} 3
        cutter_model_cache_misses_total{model="m",version="1"} 7
        cutter_model_batch_size_sum{model="m",version="1"} 7
        cutter_model_batch_size_count{model="m",version="1"} 2
        """

    static func document() throws -> [String: Any] {
        let json = ClipperMetricsReport.render(exposition: Array(exposition.utf8), now: 1010)
        return try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])
    }

    static func entries(_ document: [String: Any], _ kind: String) -> [String: [String: String]] {
        var result: [String: [String: String]] = [:]
        for entry in document[kind] as? [[String: [String: String]]] ?? [] { result.merge(entry) { $1 } }
        return result
    }

    @Test func countersRatiosAndMetersUseClippersNamesAndStrings() throws {
        let document = try Self.document()
        #expect(Self.entries(document, "counters")["app:a:num_predictions"] == ["count": "10"])
        #expect(Self.entries(document, "counters")["model:m:1:num_predictions"] == ["count": "7"])
        #expect(Self.entries(document, "counters")["internal:prediction_cache_lookups"] == ["count": "10"])
        #expect(Self.entries(document, "ratio_counters")["app:a:default_prediction_ratio"] == ["ratio": "0.3"])
        #expect(Self.entries(document, "ratio_counters")["model:m:1:cache_hit_ratio"] == ["ratio": "0.3"])
        #expect(Self.entries(document, "meters")["app:a:prediction_throughput"]?["rate"] == "1")
    }

    @Test func histogramSummariesComeFromTheBuckets() throws {
        let latency = try #require(Self.entries(try Self.document(), "histograms")["app:a:prediction_latency"])
        #expect(latency["unit"] == "microseconds" && latency["size"] == "10")
        #expect(latency["mean"] == "1500")
        #expect(latency["p50"] == "1500")
        #expect(latency["min"] == "1000" && latency["max"] == "2000")
    }
}
