import ClipperRPC
import Logging

/// What the layer above (the model queues) hears from the containers.
protocol ContainerPoolDelegate: AnyObject {
    /// A container introduced itself and can take batches.
    func containerJoined(_ container: ContainerConnection)
    /// A registered container went away; its batches in flight will get no answer.
    func containerLeft(_ container: ContainerConnection)
    /// A container answered batch `messageID`.
    func container(_ container: ContainerConnection, answered messageID: UInt32, outputs: [[UInt8]])
}

/// All container connections of this frontend: accepts them on the RPC port, records the
/// registered ones in Redis's containers DB as Clipper does, and drops silent ones.
final class ContainerPool {
    private let loop: EventLoop
    private let redis: RedisConnection
    private let logger: Logger
    private let timeoutNanoseconds: UInt64
    private let handshakeTimeoutNanoseconds: UInt64
    private let maxConnections: Int
    private var connections: [Int: ContainerConnection] = [:]
    private var nextConnectionID = 0
    private var nextReplicaIDs: [String: Int] = [:]
    private var sweeper: LoopTimer?
    weak var delegate: (any ContainerPoolDelegate)?
    private let secret: String?
    private let allowedModels: ModelNamePattern?

    /// Whether a container may register as model `name`.
    func admits(modelName name: String) -> Bool { allowedModels?.matches(name) ?? true }

    /// - Parameters:
    ///   - timeoutSeconds: a container silent this long is dropped.
    ///   - handshakeTimeoutSeconds: a peer that has not registered as a container this long after
    ///     connecting is dropped.
    ///   - maxConnections: connections beyond this many are closed at once.
    ///   - secret: when set, containers must authenticate with ZMTP PLAIN and this password.
    ///   - allowedModels: when set, the model names containers may register as.
    init(loop: EventLoop, redis: RedisConnection, timeoutSeconds: Double, handshakeTimeoutSeconds: Double, maxConnections: Int,
         secret: String?, allowedModels: ModelNamePattern? = nil, logger: Logger) {
        self.loop = loop
        self.secret = secret
        self.allowedModels = allowedModels
        self.redis = redis
        self.logger = logger
        timeoutNanoseconds = UInt64(timeoutSeconds * 1e9)
        handshakeTimeoutNanoseconds = UInt64(handshakeTimeoutSeconds * 1e9)
        self.maxConnections = maxConnections
        scheduleSweep()
    }

    /// Takes a new TCP connection from the RPC listener.
    func accept(_ tcp: TCPConnection) {
        guard connections.count < maxConnections else {
            logger.warning("refusing a container connection: max_rpc_connections reached",
                           metadata: ["peer": "\(tcp.peer)", "connections": "\(connections.count)"])
            return tcp.close()
        }
        let container = ContainerConnection(tcp: tcp, connectionID: nextConnectionID, pool: self, clock: loop, secret: secret)
        nextConnectionID += 1
        connections[container.connectionID] = container
        logger.debug("container connected", metadata: ["peer": "\(container.peer)", "connection": "\(container.connectionID)"])
    }

    func registered(_ container: ContainerConnection) {
        guard let identity = container.identity else { return }
        // Replica ids come from a counter in Redis (DB 4, which Clipper leaves unused), so
        // frontends sharing one Redis never hand out the same `model,version,replica` key.
        // Without Redis a local counter stands in.
        redis.command(["INCR", ClipperSchema.replicaCounterKey(modelKey: identity.modelKey)],
                      db: ClipperSchema.Database.resources.rawValue) { [self] reply in
            guard container.isOpen else { return }
            if case .integer(let next) = reply {
                container.replicaID = next - 1
            } else {
                container.replicaID = nextReplicaIDs[identity.modelKey, default: 0]
                logger.warning("cannot allocate a replica id in Redis; using a local one", metadata: ["error": "\(reply)"])
            }
            nextReplicaIDs[identity.modelKey] = max(nextReplicaIDs[identity.modelKey, default: 0], container.replicaID + 1)
            writeRecords([container])
            logger.info("container registered", metadata: ["model": "\(identity.modelKey)", "replica": "\(container.replicaID)",
                                                           "input_type": "\(identity.inputType.canonicalName)", "peer": "\(container.peer)"])
            delegate?.containerJoined(container)
        }
    }

    func responded(_ container: ContainerConnection, messageID: UInt32, outputs: [[UInt8]]) {
        delegate?.container(container, answered: messageID, outputs: outputs)
    }

    /// A peer that failed authentication: logged with its address, then closed.
    func refused(_ container: ContainerConnection, _ reason: String) {
        logger.warning("refused a container connection", metadata: ["peer": "\(container.peer)", "reason": "\(reason)"])
        container.closeWhenWritten()
    }

    func protocolError(_ container: ContainerConnection, _ reason: String) {
        logger.warning("closing container connection after a protocol error", metadata: ["peer": "\(container.peer)", "error": "\(reason)"])
        container.close()
    }

    func connectionClosed(_ container: ContainerConnection) {
        connections[container.connectionID] = nil
        // A container that closed before its registration finished never joined.
        guard let identity = container.identity, container.replicaID >= 0 else { return }
        let key = ClipperSchema.containerKey(modelName: identity.modelName, modelVersion: identity.modelVersion, replicaID: container.replicaID)
        redis.command(["DEL", key], db: ClipperSchema.Database.containers.rawValue) { _ in }
        logger.info("container disconnected", metadata: ["model": "\(identity.modelKey)", "replica": "\(container.replicaID)"])
        delegate?.containerLeft(container)
    }

    /// Closes every connection (shutdown).
    func closeAll() {
        sweeper?.cancel()
        connections.values.forEach { $0.close() }
    }

    /// Container records in Redis expire unless refreshed, so a frontend that crashed leaves
    /// none behind for long; a live frontend refreshes its own every `recordRefreshSeconds`.
    static let recordTTLSeconds = 30
    static let recordRefreshSeconds = 10

    /// Once a second: drops containers silent for longer than the timeout, and every
    /// `recordRefreshSeconds` rewrites the live containers' records with a new expiry.
    private func scheduleSweep(tick: Int = 0) {
        sweeper = loop.schedule(after: 1_000_000_000) { [weak self] in
            guard let self else { return }
            let now = self.loop.now
            for container in self.connections.values where now - container.lastSeen > self.timeoutNanoseconds {
                self.logger.warning("dropping silent container", metadata: ["peer": "\(container.peer)"])
                container.close()
            }
            for container in self.connections.values
            where container.identity == nil && now - container.acceptedAt > self.handshakeTimeoutNanoseconds {
                self.logger.warning("dropping a peer that did not register as a container in time", metadata: ["peer": "\(container.peer)"])
                container.close()
            }
            if tick % Self.recordRefreshSeconds == 0 { self.refreshRecords() }
            self.scheduleSweep(tick: tick + 1)
        }
    }

    private func refreshRecords() {
        writeRecords(Array(connections.values))
    }

    /// Writes the DB 3 records of registered `containers` with their expiry (again: a Redis that
    /// lost its data gets them back).
    private func writeRecords(_ containers: [ContainerConnection]) {
        let db = ClipperSchema.Database.containers.rawValue
        let commands = containers.flatMap { container -> [(db: Int, arguments: [String])] in
            guard let identity = container.identity, container.replicaID >= 0 else { return [] }
            let record = ContainerRecord(modelName: identity.modelName, modelVersion: identity.modelVersion,
                                         replicaID: container.replicaID, connectionID: container.connectionID, inputType: identity.inputType)
            return [(db, record.fields.hsetArguments(key: record.key)), (db, ["EXPIRE", record.key, String(Self.recordTTLSeconds)])]
        }
        redis.pipeline(commands) { [logger] replies in
            if let error = replies.compactMap(\.errorMessage).first {
                logger.warning("cannot record containers in Redis", metadata: ["error": "\(error)"])
            }
        }
    }
}
