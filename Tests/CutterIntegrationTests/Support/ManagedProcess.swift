import Foundation
import Glibc

/// A child process a test starts and always stops (SIGTERM, then SIGKILL), with its output in a
/// log file that a failing test can print.
///
/// It is spawned with posix_spawn and an empty signal mask: the test runner's threads block most
/// signals, and a child that inherits that mask would never see SIGTERM.
final class ManagedProcess {
    let pid: pid_t
    let logPath: String
    private var exitStatus: Int32?

    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:], name: String) throws {
        logPath = NSTemporaryDirectory() + "cutter-test-\(name)-\(UUID().uuidString.prefix(8)).log"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
        let env = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { "\($0.key)=\($0.value)" }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let result = executable.contains("/")
            ? posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
            : posix_spawnp(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else { throw TestFailure("cannot start \(executable): \(String(cString: strerror(result)))") }
        self.pid = pid
    }

    /// Whether the process has not exited yet.
    var isRunning: Bool {
        guard exitStatus == nil else { return false }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            exitStatus = status
            return false
        }
        return true
    }

    /// The exit code (or 128 + signal) once it exited.
    var terminationStatus: Int32? {
        guard !isRunning, let status = exitStatus else { return nil }
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }

    /// Waits for the exit.
    func waitUntilExit() {
        guard exitStatus == nil else { return }
        var status: Int32 = 0
        if waitpid(pid, &status, 0) == pid { exitStatus = status }
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Sends `signal` and waits up to `timeout` seconds for the exit; kills it after that.
    func stop(signal: Int32 = SIGTERM, timeout: Double = 10) {
        guard isRunning else { return }
        kill(pid, signal)
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning && Date() < deadline { usleep(10_000) }
        if isRunning { kill(pid, SIGKILL) }
        waitUntilExit()
    }

    /// Waits until the log contains `text`.
    func waitForLog(_ text: String, timeout: Double = 20) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if log.contains(text) { return }
            guard isRunning else { throw TestFailure("process exited before logging '\(text)':\n\(log)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("timed out waiting for '\(text)' in log:\n\(log)")
    }

    deinit { stop(signal: SIGKILL) }
}
