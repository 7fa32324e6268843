import Logging

/// Why a connection to the frontend ended, said once by the runner at `level`.
struct ConnectionEnd: Error, CustomStringConvertible {
    /// `error` for what the operator must fix (credentials, mechanisms), `warning` for the rest,
    /// which retrying may cure.
    let level: Logger.Level
    let description: String

    static func warning(_ description: String) -> ConnectionEnd { ConnectionEnd(level: .warning, description: description) }
    static func error(_ description: String) -> ConnectionEnd { ConnectionEnd(level: .error, description: description) }
}
