import Logging

/// Selection state per (application, context key), kept in Redis's state DB under Clipper's key
/// `app:uid:0` (a hash of log-weights) and cached here. A restarted frontend, or another frontend
/// on the same Redis, continues from the same weights: updates are atomic increments in Redis,
/// and keyspace notifications on DB 1 refresh the cached copies.
final class SelectionStateStore {
    private let redis: any RedisCommandSender
    private let logger: Logger
    private let writeTimeout: UInt64
    private var states: [String: SelectionState] = [:]
    private var loading: [String: [(SelectionState) -> Void]] = [:]
    /// Keys written (a notification came) while their read was in flight: read again after it,
    /// as that read may have been answered before the write.
    private var changedWhileLoading: Set<String> = []

    /// - Parameter writeTimeout: how long (ns) a read or a feedback write may wait for Redis; a
    ///   write that times out is refused (not acknowledged).
    init(redis: any RedisCommandSender, writeTimeout: UInt64, logger: Logger) {
        self.redis = redis
        self.writeTimeout = writeTimeout
        self.logger = logger
    }

    /// The cached state of (`app`, `uid`), if any.
    func cachedState(app: String, uid: Int) -> SelectionState? {
        states[ClipperSchema.stateKey(app: app, uid: uid)]
    }

    /// Calls `body` with the state of (`app`, `uid`), at once when cached, else after reading Redis
    /// (an unreadable state starts fresh rather than fail the query).
    func withState(app: String, uid: Int, _ body: @escaping (SelectionState) -> Void) {
        let key = ClipperSchema.stateKey(app: app, uid: uid)
        if let state = states[key] { return body(state) }
        if loading[key] != nil { loading[key]!.append(body); return }
        loading[key] = [body]
        read(key)
    }

    private func read(_ key: String) {
        // Bounded like the writes: a hung Redis must not hold a feedback call (a query's wait for
        // its state is bounded by its deadline besides).
        redis.pipeline([(ClipperSchema.Database.state.rawValue, ["HGETALL", key])], timeout: writeTimeout) { [self] replies in
            let reply = replies[0]
            let state: SelectionState
            if case .array = reply {
                state = SelectionState(hash: reply.hash)
                states[key] = state
            } else {
                // Not a hash (Clipper's default-policy JSON string) or Redis is away: start fresh.
                state = states[key] ?? SelectionState()
            }
            let waiters = loading.removeValue(forKey: key) ?? []
            if changedWhileLoading.remove(key) != nil {
                loading[key] = []
                read(key)
            }
            waiters.forEach { $0(state) }
        }
    }

    /// Re-reads a cached state another client changed (keyspace notification on DB 1). A state
    /// being read now is read once more afterwards: the read in flight may predate the change.
    func refresh(key: String) {
        if loading[key] != nil {
            changedWhileLoading.insert(key)
            return
        }
        guard states[key] != nil else { return }
        loading[key] = []
        read(key)
    }

    /// Why a state could not be stored.
    struct WriteError: Error, Equatable {
        let message: String
    }

    /// Applies one feedback's increments atomically in Redis, then to the cached copy; `completion`
    /// gets the new state, or the Redis error (the update is then not acknowledged to the client,
    /// and the cache does not show it: the cache never runs ahead of what Redis acknowledged).
    func apply(app: String, uid: Int, models: [String], increments: [String: Double],
               _ completion: @escaping (Result<SelectionState, WriteError>) -> Void) {
        let key = ClipperSchema.stateKey(app: app, uid: uid)
        let state = states[key] ?? SelectionState()
        let start = state.startingLogWeight
        var commands: [(db: Int, arguments: [String])] = []
        let db = ClipperSchema.Database.state.rawValue
        for model in models where state.logWeights[model] == nil {
            commands.append((db, ["HSETNX", key, model, String(start)]))
        }
        for (model, increment) in increments.sorted(by: { $0.key < $1.key }) {
            commands.append((db, ["HINCRBYFLOAT", key, model, String(increment)]))
        }
        commands.append((db, ["HINCRBY", key, SelectionState.feedbackField, "1"]))
        redis.pipeline(commands, timeout: writeTimeout) { [self] replies in
            if let error = replies.compactMap(\.errorMessage).first {
                logger.error("cannot store selection state", metadata: ["key": "\(key)", "error": "\(error)"])
                return completion(.failure(WriteError(message: error)))
            }
            // Applied to what is cached now (other feedback may have landed meanwhile); Redis's
            // keyspace notification then brings the cache to Redis's exact sums.
            var updated = states[key] ?? state
            updated.apply(increments, models: models)
            if states[key] != nil { states[key] = updated }
            completion(.success(updated))
        }
    }

    /// Forgets cached states of `app` (deleted or re-created).
    func forget(app: String) {
        states = states.filter { !$0.key.hasPrefix(app + ":") }
    }

    /// Forgets every cached state: they are read again when next needed (the keyspace
    /// subscriber reconnected, so changes made meanwhile were not heard).
    func forgetAll() {
        states.removeAll()
    }
}
