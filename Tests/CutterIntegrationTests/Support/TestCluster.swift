import Foundation
import Testing

/// Paths of what the tests run: the built `cutter`, redis-server, and the Python that has the
/// container SDK installed (the README's test command makes `.venv`).
enum TestEnvironment {
    static let packageRoot = #filePath.components(separatedBy: "/Tests/")[0]

    static var cutterBinary: String {
        let directory = Bundle.main.bundleURL.deletingLastPathComponent().path
        for candidate in [directory + "/cutter", packageRoot + "/.build/debug/cutter"] where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        return packageRoot + "/.build/debug/cutter"
    }

    static var redisServer: String {
        ["/usr/bin/redis-server", "/usr/local/bin/redis-server", "/usr/sbin/redis-server"]
            .first { FileManager.default.isExecutableFile(atPath: $0) } ?? "redis-server"
    }

    static var python: String {
        ProcessInfo.processInfo.environment["CUTTER_TEST_PYTHON"] ?? packageRoot + "/.venv/bin/python"
    }

    /// Whether the integration tests' parts are here: the built `cutter`, redis-server and the
    /// venv with the container SDK. `swift test` alone on a fresh checkout runs the unit tests and
    /// skips these suites; the README's test command (./scripts/test.sh) installs the parts first.
    static var isReady: Bool {
        let files = FileManager.default
        return files.isExecutableFile(atPath: cutterBinary) && files.isExecutableFile(atPath: python)
            && (redisServer.hasPrefix("/") ? files.isExecutableFile(atPath: redisServer) : false)
    }

    static let notReady: Comment = "needs the built cutter, redis-server and .venv: run ./scripts/setup.sh (the README's test command does)"
}

/// A real redis-server and a real `cutter serve` on free loopback ports, stopped on `stop()`.
/// Shared by concurrent requests of one test, which only read its ports.
final class TestCluster: @unchecked Sendable {
    let redisPort: UInt16
    let queryPort = freePort()
    let managementPort = freePort()
    let rpcPort = freePort()
    let dataDirectory = NSTemporaryDirectory() + "cutter-test-\(UUID().uuidString.prefix(8))"
    private(set) var redis: ManagedProcess?
    private(set) var cutter: ManagedProcess!
    private var containers: [ManagedProcess] = []
    /// The model version (`name:version`) each started container serves, by process id.
    private var containerModels: [Int32: String] = [:]
    let extraSettings: [String]

    /// Starts redis-server (unless `embedded`, where cutter starts its own) and cutter.
    init(embedded: Bool = false, settings: [String] = []) async throws {
        redisPort = freePort()
        extraSettings = settings
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        if !embedded { try await startRedis() }
        try await startCutter(embedded: embedded)
    }

    /// Starts an empty, non-persistent redis-server on `redisPort`.
    func startRedis() async throws {
        redis = try ManagedProcess(TestEnvironment.redisServer, ["--port", String(redisPort), "--bind", "127.0.0.1",
                                                                "--save", "", "--appendonly", "no", "--dir", dataDirectory,
                                                                "--enable-debug-command", "local"], name: "redis")
        try await waitUntil("redis-server answers") { (try? RedisClient(port: self.redisPort)) != nil }
    }

    /// A second `cutter serve` on the Redis of `other` (which keeps owning it).
    init(sharingRedisWith other: TestCluster, settings: [String] = []) async throws {
        redisPort = other.redisPort
        extraSettings = settings
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        try await startCutter()
    }

    /// (Re)starts `cutter serve` and waits until it is ready.
    func startCutter(embedded: Bool = false) async throws {
        var arguments = ["serve", "--query-port", String(queryPort), "--management-port", String(managementPort),
                         "--rpc-port", String(rpcPort), "--log-level", "debug"]
        if embedded {
            arguments += ["--embedded-redis-port", String(redisPort), "--redis-data-dir", dataDirectory + "/redis"]
        } else {
            arguments += ["--redis", "127.0.0.1:\(redisPort)"]
        }
        for setting in extraSettings { arguments += ["--set", setting] }
        cutter = try ManagedProcess(TestEnvironment.cutterBinary, arguments, name: "cutter")
        try await waitUntil("cutter is ready") { [self] in
            guard cutter.isRunning else { throw TestFailure("cutter exited:\n\(cutter.log)") }
            return (try? await HTTP.get(port: queryPort, "/readyz"))?.status == 200
        }
    }

    /// Starts a Python SDK container serving `model` and waits until cutter counts it as a replica:
    /// `cutter_model_replicas` of its model version equals the number of its containers running
    /// (Cutter's own state, set once the container is registered and joined its model's queue).
    @discardableResult
    func startContainer(model: String, name: String, version: String = "1", inputType: String = "doubles", extra: [String] = []) async throws -> ManagedProcess {
        let container = try ManagedProcess(TestEnvironment.python, ["-m", "cutter_container", "--model", model, "--name", name,
                                                                   "--version", version, "--input-type", inputType,
                                                                   "--host", "127.0.0.1", "--port", String(rpcPort)] + extra,
                                           environment: ["PYTHONUNBUFFERED": "1", "PYTHONPATH": TestEnvironment.packageRoot + "/Tests/CutterIntegrationTests/Fixtures"],
                                           name: "container-\(name)")
        containers.append(container)
        let modelKey = "\(name):\(version)"
        containerModels[container.pid] = modelKey
        try await waitUntil("cutter registered the container of \(modelKey)") { [self] in
            guard container.isRunning else { throw TestFailure("container exited:\n\(container.log)") }
            let running = containers.filter { $0.isRunning && containerModels[$0.pid] == modelKey }.count
            return try await metric(#"cutter_model_replicas{model="\#(name)",version="\#(version)"}"#) == Double(running)
        }
        return container
    }

    /// The management token among the settings, if one was set: `admin` presents it.
    var managementToken: String? {
        extraSettings.first { $0.hasPrefix("management_token=") }.map { String($0.dropFirst("management_token=".count)) }
    }

    func admin(_ endpoint: String, _ body: String) async throws -> HTTPReply {
        try await HTTP.request("POST", port: managementPort, "/admin/" + endpoint, body: body,
                               headers: managementToken.map { ["Authorization": "Bearer \($0)"] } ?? [:])
    }

    func predict(_ app: String, _ body: String) async throws -> HTTPReply {
        try await HTTP.post(port: queryPort, "/\(app)/predict", body)
    }

    func redisClient() throws -> RedisClient { try RedisClient(port: redisPort) }

    /// Registers app `app` with model `model` (version 1) linked, through the management API.
    func deploy(app: String, model: String, inputType: String = "doubles", sloMicros: Int = 2_000_000, defaultOutput: String = "-1.0",
                batchSize: Int = -1) async throws {
        let replies = [
            try await admin("add_app", #"{"name":"\#(app)","input_type":"\#(inputType)","default_output":"\#(defaultOutput)","latency_slo_micros":\#(sloMicros)}"#),
            try await admin("add_model", #"{"model_name":"\#(model)","model_version":"1","input_type":"\#(inputType)","labels":[],"container_name":"NO_CONTAINER","model_data_path":"DEPRECATED","batch_size":\#(batchSize)}"#),
            try await admin("add_model_links", #"{"app_name":"\#(app)","model_names":["\#(model)"]}"#),
        ]
        for reply in replies where reply.status != 200 { throw TestFailure("deploy failed: \(reply.status) \(reply.body)") }
    }

    /// The value of a Prometheus sample line, e.g. `cutter_model_cache_hits_total{model="m",version="1"}`.
    func metric(_ sample: String) async throws -> Double? {
        let text = try await HTTP.get(port: queryPort, "/metrics").body
        return text.split(separator: "\n").first { $0.hasPrefix(sample + " ") }.flatMap { Double($0.split(separator: " ").last!) }
    }

    /// Everything the processes logged, for a failure message.
    var logs: String { "cutter:\n\(cutter?.log ?? "")\ncontainers:\n\(containers.map(\.log).joined(separator: "\n---\n"))" }

    func stop() {
        containers.forEach { $0.stop() }
        cutter?.stop()
        redis?.stop()
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }

    deinit { stop() }
}

/// Polls `condition` every 50 ms until it holds, failing after `timeout` seconds.
func waitUntil(_ what: String, timeout: Double = 20, _ condition: () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw TestFailure("timed out waiting until \(what)")
}
