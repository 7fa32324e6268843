import Foundation
import Glibc
import Prometheus

/// The standard process metrics of Prometheus's client libraries (CPU, memory, descriptors,
/// start time), read from /proc when /metrics is rendered.
final class ProcessMetrics {
    private let cpuSeconds: Counter
    private let residentBytes: Gauge
    private let virtualBytes: Gauge
    private let openDescriptors: Gauge
    private let maxDescriptors: Gauge
    private let startTime: Gauge
    /// CPU seconds already added to the counter (it only counts up).
    private var countedCPUSeconds = 0.0
    private let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
    private let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))

    init(registry: PrometheusCollectorRegistry) {
        let descriptor = ServingMetrics.descriptor
        cpuSeconds = registry.makeCounter(descriptor: descriptor("process_cpu_seconds_total", "Total user and system CPU time spent in seconds."))
        residentBytes = registry.makeGauge(descriptor: descriptor("process_resident_memory_bytes", "Resident memory size in bytes."))
        virtualBytes = registry.makeGauge(descriptor: descriptor("process_virtual_memory_bytes", "Virtual memory size in bytes."))
        openDescriptors = registry.makeGauge(descriptor: descriptor("process_open_fds", "Number of open file descriptors."))
        maxDescriptors = registry.makeGauge(descriptor: descriptor("process_max_fds", "Maximum number of open file descriptors."))
        startTime = registry.makeGauge(descriptor: descriptor("process_start_time_seconds", "Start time of the process since unix epoch in seconds."))
        startTime.set(Date().timeIntervalSince1970 - ProcessInfo.processInfo.systemUptime + bootRelativeStart())
        update()
    }

    /// Seconds after boot at which this process started (field 22 of /proc/self/stat), minus the
    /// uptime now: added to (now - uptime) it gives the start time.
    private func bootRelativeStart() -> Double {
        guard let fields = statFields(), fields.count > 19, let ticks = Double(fields[19]) else { return ProcessInfo.processInfo.systemUptime }
        return ticks / ticksPerSecond
    }

    /// The fields of /proc/self/stat after the command name (which may hold spaces).
    private func statFields() -> [Substring]? {
        guard let text = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let end = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: end)...].split(separator: " ")
    }

    func update() {
        if let fields = statFields(), fields.count > 21, let user = Double(fields[11]), let system = Double(fields[12]),
           let virtual = Double(fields[20]), let resident = Double(fields[21]) {
            let total = (user + system) / ticksPerSecond
            if total > countedCPUSeconds {
                cpuSeconds.increment(by: total - countedCPUSeconds)
                countedCPUSeconds = total
            }
            virtualBytes.set(virtual)
            residentBytes.set(resident * pageSize)
        }
        if let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            openDescriptors.set(Double(descriptors.count))
        }
        var limit = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 { maxDescriptors.set(Double(limit.rlim_cur)) }
    }
}
