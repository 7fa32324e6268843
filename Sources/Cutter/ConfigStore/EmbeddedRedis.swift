import Foundation
import Logging

/// The redis-server that `cutter serve` starts and supervises when no Redis address is
/// configured: the embedded default that makes the first run one command.
///
/// It runs with persistence on, in a data directory Cutter owns, on loopback only. If it dies,
/// the supervisor starts it again; on shutdown it is stopped (and saves its data).
final class EmbeddedRedis {
    /// Why the server could not be started.
    struct StartError: Error, CustomStringConvertible {
        let description: String
    }

    private let executable: String
    private let configFile: String?
    private let dataDirectory: String
    let port: Int
    private let logger: Logger
    private var process: Process?
    private var supervisor: LoopTimer?
    private var stopping = false

    /// Finds redis-server (`binary` if given, else on PATH) and prepares to run it.
    init(binary: String?, configFile: String?, dataDirectory: String, port: Int, logger: Logger) throws {
        guard let executable = binary ?? Self.findOnPath("redis-server") else {
            throw StartError(description: """
                redis-server was not found on PATH, and no --redis address was given.
                Install it (Debian/Ubuntu: sudo apt-get install redis-server) or point Cutter at a running \
                server with --redis HOST:PORT (or CUTTER_REDIS=HOST:PORT).
                """)
        }
        self.executable = executable
        if let configFile, !FileManager.default.fileExists(atPath: configFile) {
            throw StartError(description: """
                redis_conf names \(configFile), which does not exist. Give an existing redis.conf (the repository's \
                is redis/redis.conf), or leave redis_conf empty: the embedded server then runs with Cutter's settings, \
                persistence included.
                """)
        }
        self.configFile = configFile
        self.dataDirectory = dataDirectory
        self.port = port
        self.logger = logger
    }

    /// Starts the server and waits (up to `timeout` seconds) until it answers PING.
    func start(timeout: Double = 10) throws {
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        if RedisConnection.answersPing(port: port) && !stopOrphan() {
            throw StartError(description: "a Redis server already answers on 127.0.0.1:\(port). Use it with --redis 127.0.0.1:\(port), or give the embedded one another port with --embedded-redis-port.")
        }
        try launch()
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if RedisConnection.answersPing(port: port) {
                logger.info("embedded redis-server ready", metadata: ["port": "\(port)", "dir": "\(dataDirectory)"])
                return
            }
            if let process, !process.isRunning {
                throw StartError(description: "redis-server exited with status \(process.terminationStatus) before answering; see \(dataDirectory)/redis.log. If port \(port) is taken, choose another with --embedded-redis-port or use --redis HOST:PORT.")
            }
            usleep(50_000)
        }
        stop()
        throw StartError(description: "redis-server did not answer on 127.0.0.1:\(port) within \(Int(timeout)) s; see \(dataDirectory)/redis.log")
    }

    /// Restarts the server whenever it exits unexpectedly, checking once a second on `loop`.
    func supervise(on loop: EventLoop) {
        supervisor = loop.schedule(after: 1_000_000_000) { [weak self] in
            guard let self, !self.stopping else { return }
            if let process = self.process, !process.isRunning {
                self.logger.error("embedded redis-server exited; restarting", metadata: ["status": "\(process.terminationStatus)"])
                try? self.launch()
            }
            self.supervise(on: loop)
        }
    }

    /// Stops the server (SIGTERM: it saves its data) and waits for it to exit.
    func stop() {
        stopping = true
        supervisor?.cancel()
        guard let process, process.isRunning else { return }
        process.terminate()
        // redis-server refuses to exit when its final save fails (say, its directory was removed);
        // it must not keep Cutter from exiting, nor outlive it.
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            logger.error("embedded redis-server did not stop within 10 s; killing it. See \(dataDirectory)/redis.log")
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        logger.info("embedded redis-server stopped")
    }

    private func launch() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        var arguments: [String] = []
        if let configFile { arguments.append(configFile) }
        // These settings are what Cutter relies on, so they win over the config file. Persistence
        // among them: what Cutter acknowledged must survive a kill -9 of Redis or of Cutter (an
        // OS crash may lose the last second).
        arguments += ["--port", String(port), "--bind", "127.0.0.1", "--dir", dataDirectory,
                      "--appendonly", "yes", "--appendfsync", "everysec",
                      "--daemonize", "no", "--notify-keyspace-events", "AKE",
                      "--logfile", "redis.log", "--pidfile", pidFile]
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw StartError(description: "cannot run \(executable): \(error)")
        }
        self.process = process
    }

    private var pidFile: String { dataDirectory + "/redis.pid" }

    /// Stops a redis-server left running on our data directory by a Cutter that was killed
    /// (it could not stop it); true when there was one and it is gone.
    private func stopOrphan() -> Bool {
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
              let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0,
              let command = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8),
              command.contains("redis-server") else { return false }
        logger.warning("stopping the redis-server a previous cutter left running", metadata: ["pid": "\(pid)"])
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while RedisConnection.answersPing(port: port) && Date() < deadline { usleep(20_000) }
        if RedisConnection.answersPing(port: port) { kill(pid, SIGKILL) }
        usleep(100_000)
        return !RedisConnection.answersPing(port: port)
    }

    static func findOnPath(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
