import Foundation

/// Every setting of `cutter serve`, with its default. The names are those of config/cutter.conf;
/// the environment variable of a setting is `CUTTER_` + its name in capitals.
public struct CutterConfiguration: Sendable, Equatable {
    /// Address of the query frontend (REST predict/update, health, metrics).
    var queryHost = "0.0.0.0"
    var queryPort: UInt16 = 1337
    /// Address of the management API; loopback by default because it has no authentication.
    var managementHost = "127.0.0.1"
    var managementPort: UInt16 = 1338
    /// Address of the container RPC listener.
    var rpcHost = "0.0.0.0"
    var rpcPort: UInt16 = 7000
    /// An existing Redis server; nil starts the embedded one.
    var redis: RedisEndpoint?
    var redisPassword: String?
    /// ACL username for an external Redis (Redis 6+); nil authenticates as the default user.
    var redisUsername: String?
    /// When set, every management call must present it (Bearer, or the password of Basic auth).
    var managementToken: String?
    /// When set, containers must authenticate with ZMTP PLAIN and this password.
    var rpcSecret: String?
    /// When set, the model names containers may register as (comma-separated globs).
    var rpcModelPattern: String?
    /// HOST:PORT where containers reach this frontend's RPC port, recorded in the frontend
    /// registry; nil uses this host's first non-loopback IPv4 address and the RPC port.
    var rpcAdvertiseAddress: String?
    /// A separate port serving only /metrics; nil serves /metrics on the query port.
    var metricsPort: UInt16?
    /// Address of the metrics port.
    var metricsHost = "0.0.0.0"
    /// Port, data directory, binary and config file of the embedded redis-server.
    var embeddedRedisPort = 6379
    var redisDataDirectory = "cutter-data/redis"
    var redisServerBinary: String?
    /// A redis.conf for the embedded server; nil runs it with Cutter's own settings alone. Either
    /// way it runs with persistence (appendonly, fsync every second): Cutter's flags win.
    var redisConfigFile: String?
    /// Largest request body accepted, in bytes.
    var maxBodyBytes = 8 << 20
    /// Largest request head (request line and headers) accepted, in bytes.
    var maxHeaderBytes = 64 << 10
    /// Open HTTP connections per port (query, management) beyond which new ones are refused.
    var maxHTTPConnections = 4096
    /// Time a client has to send a whole request head, in seconds; slower senders are closed.
    var httpHeaderTimeoutSeconds = 10.0
    /// Time an HTTP connection may sit idle before it is closed, in seconds.
    var httpIdleTimeoutSeconds = 60.0
    /// Prediction cache capacity in bytes (inputs and outputs); 0 disables the cache.
    var cacheBytes = 32 << 20
    /// Upper bound for adaptive batch sizes.
    var maxBatchSize = 256
    /// How long a shallow queue waits for more queries before it sends a batch (delayed
    /// batching), in microseconds; 0 sends at once.
    var batchWaitMicros = 0
    /// A replica's latency profile is trusted this long (seconds) without a new batch; then it is
    /// learned anew (a profile taught by a bad moment must not shed forever).
    var latencyProfileLifetimeSeconds = 1.0
    /// A container silent (no heartbeat, no reply) for this long is dropped, in seconds.
    var containerTimeoutSeconds = 30.0
    /// A peer on the RPC port that has not registered as a container this long after connecting is
    /// dropped, in seconds.
    var rpcHandshakeTimeoutSeconds = 10.0
    /// Connections on the RPC port beyond this many are refused.
    var maxRPCConnections = 1024
    /// At shutdown, how long the queries in flight may take to be answered, in seconds.
    var shutdownDrainSeconds = 10.0
    /// How long a management call or a feedback write waits for Redis before answering 503, in seconds.
    var redisCommandTimeoutSeconds = 5.0
    /// Logging level: trace, debug, info, notice, warning, error, critical.
    public var logLevel = "info"
    /// Log lines as text (swift-log's format) or as one JSON object per line.
    public var logFormat = "text"
    /// One log line per query (app, status, latency, defaults, models), at info level.
    var accessLog = false
    /// Seed of the bandits' random draws, for repeatable runs (tests, experiments); nil draws
    /// from the system's generator.
    var randomSeed: UInt64?

    init() {}

    /// Thrown for a setting that cannot be used, naming it.
    public struct InvalidSetting: Error, CustomStringConvertible {
        public let description: String
    }

    /// The settings that name a file or folder: in a config file, a relative one resolves against
    /// the file's folder; from flags or the environment, against the working directory.
    static let pathSettings: Set<String> = ["redis_data_dir", "redis_conf", "redis_server", "redis_password_file",
                                            "management_token_file", "rpc_secret_file"]

    /// The setting names, as in the config file.
    static let names = [
        "query_host", "query_port", "management_host", "management_port", "rpc_host", "rpc_port",
        "redis", "redis_password", "redis_password_file", "redis_username", "management_token", "management_token_file",
        "rpc_secret", "rpc_secret_file", "rpc_model_pattern", "rpc_advertise_address", "metrics_host", "metrics_port", "embedded_redis_port", "redis_data_dir", "redis_server", "redis_conf",
        "max_body_bytes", "max_header_bytes", "max_http_connections", "http_header_timeout_seconds", "http_idle_timeout_seconds", "cache_bytes", "max_batch_size", "batch_wait_micros", "latency_profile_lifetime_seconds", "container_timeout_seconds", "rpc_handshake_timeout_seconds", "max_rpc_connections", "shutdown_drain_seconds", "redis_command_timeout_seconds", "log_level", "log_format", "access_log", "random_seed",
    ]

    /// Applies `settings` (name -> text) over the current values; `source` names where they came from.
    mutating func apply(_ settings: [String: String], source: String) throws(InvalidSetting) {
        for (name, value) in settings.sorted(by: { $0.key < $1.key }) {
            func fail(_ expected: String) -> InvalidSetting {
                InvalidSetting(description: "\(source): setting '\(name)' must be \(expected), not '\(value)'")
            }
            func port() throws(InvalidSetting) -> UInt16 {
                guard let port = UInt16(value) else { throw fail("a port number (0-65535)") }
                return port
            }
            func seconds() throws(InvalidSetting) -> Double {
                guard let seconds = Double(value), seconds > 0 else { throw fail("a positive number of seconds") }
                return seconds
            }
            /// A secret kept in a file (first line), so that it is not on a command line.
            func secret(inFile path: String) throws(InvalidSetting) -> String? {
                guard !path.isEmpty else { return nil }
                guard let line = Self.firstLine(ofFile: path) else {
                    throw fail("a readable file holding the secret on its first line")
                }
                guard !line.isEmpty else { throw fail("a file whose first line is the secret (it is empty)") }
                return line
            }
            func positive() throws(InvalidSetting) -> Int {
                guard let number = Int(value), number >= 0 else { throw fail("a non-negative integer") }
                return number
            }
            switch name {
            case "query_host": queryHost = value
            case "query_port": queryPort = try port()
            case "management_host": managementHost = value
            case "management_port": managementPort = try port()
            case "rpc_host": rpcHost = value
            case "rpc_port": rpcPort = try port()
            case "redis":
                if value.isEmpty || value == "embedded" {
                    redis = nil
                } else {
                    guard let colon = value.lastIndex(of: ":"), let port = Int(value[value.index(after: colon)...]),
                          colon != value.startIndex, (1...65535).contains(port) else { throw fail("HOST:PORT with a port from 1 to 65535, or 'embedded'") }
                    redis = RedisEndpoint(host: String(value[..<colon]), port: port)
                }
            case "redis_password": redisPassword = value.isEmpty ? nil : value
            case "redis_password_file": redisPassword = try secret(inFile: value)
            case "redis_username": redisUsername = value.isEmpty ? nil : value
            case "management_token": managementToken = value.isEmpty ? nil : value
            case "management_token_file": managementToken = try secret(inFile: value)
            case "rpc_secret": rpcSecret = value.isEmpty ? nil : value
            case "rpc_secret_file": rpcSecret = try secret(inFile: value)
            case "rpc_model_pattern": rpcModelPattern = value.isEmpty ? nil : value
            case "rpc_advertise_address":
                guard value.isEmpty || value.lastIndex(of: ":").flatMap({ UInt16(value[value.index(after: $0)...]) }) != nil else {
                    throw fail("HOST:PORT")
                }
                rpcAdvertiseAddress = value.isEmpty ? nil : value
            case "metrics_host": metricsHost = value
            case "metrics_port": metricsPort = value.isEmpty || value == "none" ? nil : try port()
            case "embedded_redis_port": embeddedRedisPort = Int(try port())
            case "redis_data_dir": redisDataDirectory = value
            case "redis_server": redisServerBinary = value.isEmpty ? nil : value
            case "redis_conf": redisConfigFile = value.isEmpty ? nil : value
            case "max_body_bytes": maxBodyBytes = try positive()
            case "max_header_bytes":
                maxHeaderBytes = try positive()
                guard maxHeaderBytes >= 256 else { throw fail("at least 256") }
            case "max_http_connections":
                maxHTTPConnections = try positive()
                guard maxHTTPConnections >= 1 else { throw fail("at least 1") }
            case "http_header_timeout_seconds": httpHeaderTimeoutSeconds = try seconds()
            case "http_idle_timeout_seconds": httpIdleTimeoutSeconds = try seconds()
            case "cache_bytes": cacheBytes = try positive()
            case "max_batch_size":
                maxBatchSize = try positive()
                guard maxBatchSize >= 1 else { throw fail("at least 1") }
            case "batch_wait_micros": batchWaitMicros = try positive()
            case "latency_profile_lifetime_seconds": latencyProfileLifetimeSeconds = try seconds()
            case "container_timeout_seconds": containerTimeoutSeconds = try seconds()
            case "rpc_handshake_timeout_seconds": rpcHandshakeTimeoutSeconds = try seconds()
            case "max_rpc_connections":
                maxRPCConnections = try positive()
                guard maxRPCConnections >= 1 else { throw fail("at least 1") }
            case "shutdown_drain_seconds":
                guard let seconds = Double(value), seconds >= 0 else { throw fail("a non-negative number of seconds") }
                shutdownDrainSeconds = seconds
            case "redis_command_timeout_seconds": redisCommandTimeoutSeconds = try seconds()
            case "log_format":
                guard ["text", "json"].contains(value) else { throw fail("text or json") }
                logFormat = value
            case "access_log":
                guard let on = ["true": true, "on": true, "yes": true, "1": true, "false": false, "off": false, "no": false, "0": false][value.lowercased()] else {
                    throw fail("true or false")
                }
                accessLog = on
            case "log_level":
                guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(value) else {
                    throw fail("one of trace, debug, info, notice, warning, error, critical")
                }
                logLevel = value
            case "random_seed":
                if value.isEmpty || value == "none" {
                    randomSeed = nil
                } else {
                    guard let seed = UInt64(value) else { throw fail("a non-negative integer, or 'none'") }
                    randomSeed = seed
                }
            default:
                throw InvalidSetting(description: "\(source): unknown setting '\(name)'. Known settings: \(Self.names.joined(separator: ", ")).")
            }
        }
    }

    /// The first line of a file that holds a secret (a token, a password), or nil if it cannot
    /// be read; `cutter admin --token-file` reads its token the same way.
    public static func firstLine(ofFile path: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return text.split(maxSplits: 1, omittingEmptySubsequences: false, whereSeparator: \.isNewline).first.map(String.init) ?? ""
    }

    /// The Redis endpoint to use, the embedded server's when none is configured.
    var effectiveRedis: RedisEndpoint {
        var endpoint = redis ?? RedisEndpoint(host: "127.0.0.1", port: embeddedRedisPort)
        endpoint.password = redisPassword
        endpoint.username = redisUsername
        return endpoint
    }
}
