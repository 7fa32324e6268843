/// Where a `ContainerRunner` serves its model, and under which name.
public struct ContainerConfiguration: Sendable {
    /// The model name and version the container registers as (add_model's `model_name` and
    /// `model_version`).
    public var modelName: String
    public var modelVersion: String
    /// The frontend's container RPC address (Cutter's `rpc_port`, 7000 by default).
    public var host: String
    public var port: UInt16
    /// The frontend's `rpc_secret`: with one, the container authenticates with ZMTP PLAIN (user
    /// "cutter", the secret as password, sent in clear text); nil or empty, it uses no security
    /// mechanism, like Clipper's containers. At most 255 bytes of UTF-8.
    public var secret: String?
    /// A heartbeat goes out after this long without traffic; the frontend answers each one, and
    /// drops a container silent for its `container_timeout_seconds` (30 s by default).
    public var heartbeatInterval: Duration
    /// Nothing received for this long (heartbeats unanswered) means the frontend is gone even
    /// if TCP did not say so, e.g. behind a dead host: the container reconnects. It also bounds
    /// a connection attempt and its handshake.
    public var activityTimeout: Duration
    /// The wait after a failed connection attempt (refused, closed or silent before the frontend
    /// accepted the container's registration); it doubles with each further failure in a row up
    /// to `maxReconnectDelay`. A connection that served is replaced at once.
    public var reconnectDelay: Duration
    public var maxReconnectDelay: Duration

    /// The defaults are the Python SDK's: heartbeats every 5 s, a frontend silent for 30 s is
    /// left, reconnection after 0.1 s doubling up to 1 s.
    public init(modelName: String, modelVersion: String = "1", host: String = "127.0.0.1", port: UInt16 = 7000,
                secret: String? = nil, heartbeatInterval: Duration = .seconds(5), activityTimeout: Duration = .seconds(30),
                reconnectDelay: Duration = .milliseconds(100), maxReconnectDelay: Duration = .seconds(1)) {
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.host = host
        self.port = port
        self.secret = secret
        self.heartbeatInterval = heartbeatInterval
        self.activityTimeout = activityTimeout
        self.reconnectDelay = reconnectDelay
        self.maxReconnectDelay = maxReconnectDelay
    }

    /// The PLAIN password, nil for NULL: an empty secret means none, as for the frontend's rpc_secret.
    var password: [UInt8]? {
        guard let secret, !secret.isEmpty else { return nil }
        return Array(secret.utf8)
    }

    /// `host:port`, for log lines.
    var address: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Why this configuration cannot work, checked before the first connection; nil when it can.
    var problem: String? {
        if modelName.isEmpty || modelVersion.isEmpty { return "the model name and version must not be empty" }
        if let password, password.count > 255 { return "the secret must be at most 255 bytes long, not \(password.count)" }
        if heartbeatInterval <= .zero || activityTimeout <= .zero || reconnectDelay < .zero || maxReconnectDelay < reconnectDelay {
            return "heartbeatInterval and activityTimeout must be positive, and 0 <= reconnectDelay <= maxReconnectDelay"
        }
        return nil
    }
}
