import Foundation
import Testing

/// /metrics as Prometheus and its operators expect it: HELP and TYPE for every family (checked by
/// promtool when it is installed), separate model and version labels, latency buckets that start
/// below a cache hit, replies by status, build and process information, and no series left for a
/// deleted application.
@Suite(.serialized, .enabled(if: TestEnvironment.isReady, TestEnvironment.notReady))
struct MetricsTests {
    static let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test func theExpositionIsWhatPrometheusExpects() async throws {
        let cluster = try await TestCluster()
        defer { cluster.stop() }
        try await cluster.deploy(app: "sum-app", model: "sum")
        try await cluster.startContainer(model: "sum", name: "sum")
        #expect(try await cluster.predict("sum-app", #"{"input":[1.0,2.0]}"#).status == 200)
        #expect(try await cluster.predict("nobody", #"{"input":[1.0]}"#).status == 404)
        // An app whose model has no container answers with its default.
        try await cluster.deploy(app: "idle", model: "absent")
        #expect(try await cluster.predict("idle", #"{"input":[1.0]}"#).object["default"] as? Bool == true)
        let text = try await HTTP.get(port: cluster.queryPort, "/metrics").body
        let lines = text.split(separator: "\n")
        // Every family has its HELP.
        let typed = Set(lines.filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] })
        let helped = Set(lines.filter { $0.hasPrefix("# HELP ") }.map { $0.split(separator: " ")[2] })
        #expect(!typed.isEmpty && typed == helped, "families without HELP: \(typed.subtracting(helped))")
        #expect(text.contains(#"cutter_model_replicas{model="sum",version="1"} 1"#))
        #expect(text.contains(#"cutter_app_latency_seconds_bucket{app="sum-app",le="0.00005"}"#))
        #expect(text.contains(#"cutter_http_replies_total{port="query",status="404"} 1"#))
        #expect(text.contains("cutter_build_info{version="))
        #expect(text.contains("process_resident_memory_bytes"))
        #expect(text.contains(#"cutter_http_requests_in_flight{port="query"} 1"#), "the scrape itself is in flight")

        if let promtool = Self.promtool {
            let check = Process()
            check.executableURL = URL(fileURLWithPath: promtool)
            check.arguments = ["check", "metrics"]
            let input = Pipe(), output = Pipe()
            check.standardInput = input
            check.standardOutput = output
            check.standardError = output
            try check.run()
            input.fileHandleForWriting.write(Data(text.utf8))
            try input.fileHandleForWriting.close()
            check.waitUntilExit()
            let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(check.terminationStatus == 0, "promtool check metrics: \(report)")
        } else {
            print("MetricsTests: promtool is not installed (Debian package prometheus): the format check was skipped")
        }

        // The Grafana dashboard in docker/ queries only metrics Cutter exports.
        let dashboard = try String(contentsOfFile: TestEnvironment.packageRoot + "/docker/grafana/cutter-dashboard.json", encoding: .utf8)
        let queried = Set(dashboard.matches(of: /cutter_[a-z_]+/).map { String($0.output) }
            .map { $0.replacing(/_(bucket|sum|count)$/, with: "") })
        #expect(queried.count >= 8)
        for metric in queried { #expect(typed.contains(Substring(metric)), "the dashboard queries \(metric), which /metrics does not have") }

        // Deleting the application removes its series.
        #expect(try await cluster.admin("delete_app", #"{"name":"sum-app"}"#).status == 200)
        try await waitUntil("the deleted application's series are gone") {
            !(try await HTTP.get(port: cluster.queryPort, "/metrics").body.contains(#"app="sum-app""#))
        }
    }
}
