public import Logging

/// Serves a `Model` to a Cutter (or Clipper) frontend over Clipper's container RPC: connects to
/// the frontend's RPC port as a ZMTP 3.0 DEALER, registers as the configured model version,
/// answers each batch with the model's outputs, sends heartbeats while idle, and reconnects
/// whenever the connection ends, forever, until the task running it is cancelled.
///
/// ```swift
/// struct Sum: Model {
///     func predict(_ inputs: [[Double]]) async throws -> [String] {
///         inputs.map { String($0.reduce(0, +)) }
///     }
/// }
/// try await ContainerRunner(model: Sum(), configuration: ContainerConfiguration(modelName: "sum")).run()
/// ```
public struct ContainerRunner<M: Model>: Sendable {
    public let model: M
    public let configuration: ContainerConfiguration
    public let logger: Logger

    public init(model: M, configuration: ContainerConfiguration, logger: Logger = Logger(label: "cutter-container")) {
        self.model = model
        self.configuration = configuration
        self.logger = logger
    }

    /// Serves until the calling task is cancelled, then returns (a `predict` in progress sees the
    /// cancellation). Throws `ContainerRunnerError` only for a configuration that cannot work,
    /// before connecting.
    ///
    /// A connection that ends (refused, closed, silent for `activityTimeout`, handshake refused)
    /// is logged once and replaced by a new one: at once after a connection that served, else
    /// after `reconnectDelay`, doubling with each failure in a row up to `maxReconnectDelay`.
    public func run() async throws(ContainerRunnerError) {
        if let problem = configuration.problem { throw ContainerRunnerError(problem) }
        let waiter: SocketWaiter
        do {
            waiter = try SocketWaiter()
        } catch {
            throw ContainerRunnerError("cannot start: \(error)")
        }
        let address = configuration.address
        var failures = 0
        var attempt = 0
        while !Task.isCancelled {
            if failures > 0 {
                do {
                    try await Task.sleep(for: reconnectDelay(afterFailures: failures))
                } catch {
                    break
                }
            }
            attempt += 1
            // While attempts keep failing, each failure is logged already: the attempts themselves only at debug.
            logger.log(level: failures == 0 ? .info : .debug,
                       attempt == 1 ? "connecting to \(address)" : "reconnecting to \(address) (attempt \(attempt))")
            let connection = FrontendConnection(model: model, configuration: configuration, logger: logger, waiter: waiter)
            do {
                try await connection.serve()
            } catch let end as ConnectionEnd {
                failures = connection.served ? 0 : failures + 1
                let retry = failures == 0 ? "reconnecting" : "retrying in \(reconnectDelay(afterFailures: failures))"
                logger.log(level: end.level, "\(end.description); \(retry)")
            } catch {
                // CancellationError: the runner is stopping.
                break
            }
        }
        logger.info("stopped")
    }

    /// `reconnectDelay` after one failed attempt, doubling with each further one up to
    /// `maxReconnectDelay`.
    func reconnectDelay(afterFailures failures: Int) -> Duration {
        var delay = configuration.reconnectDelay
        for _ in 1..<max(failures, 1) where delay < configuration.maxReconnectDelay { delay *= 2 }
        return min(delay, configuration.maxReconnectDelay)
    }
}
