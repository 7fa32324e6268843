import Foundation
import Logging

/// This frontend's record in the frontend registry (Redis DB 4, which Clipper leaves unused):
/// `frontend:<id>`, a hash of `id`, `rpc_address` (where containers reach this frontend's RPC
/// port), `query_address` and `started_at`, with a TTL that `refresh` renews while the frontend
/// lives. Containers started with `--redis` read the registry and join every live frontend; a
/// frontend that dies leaves the registry within the TTL, one that stops cleanly at once.
final class FrontendRegistration {
    /// Seconds a record outlives its last refresh.
    static let timeToLive = 10
    /// Seconds between refreshes: a few misses in a row still keep the record.
    static let refreshInterval = 2.0

    let id: String
    private let redis: RedisConnection
    private let fields: [String]
    private let logger: Logger
    private var timer: (any ScheduledTimer)?

    static func key(id: String) -> String { "frontend:\(id)" }

    init(redis: RedisConnection, rpcAddress: String, queryAddress: String, logger: Logger) {
        id = (0..<8).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        self.redis = redis
        self.logger = logger
        fields = ["id", id, "rpc_address", rpcAddress, "query_address", queryAddress,
                  "started_at", String(Int(Date().timeIntervalSince1970))]
    }

    /// Writes the record now and every `refreshInterval` on `clock`.
    func start(on clock: some Scheduler) {
        refresh()
        timer = clock.schedule(after: UInt64(Self.refreshInterval * 1e9)) { [weak self] in
            self?.start(on: clock)
        }
    }

    private func refresh() {
        guard redis.isConnected else { return }
        let key = Self.key(id: id)
        let db = ClipperSchema.Database.resources.rawValue
        redis.command(["HSET", key] + fields, db: db) { [logger] reply in
            if let error = reply.errorMessage { logger.warning("cannot register this frontend in Redis", metadata: ["error": "\(error)"]) }
        }
        redis.command(["EXPIRE", key, String(Self.timeToLive)], db: db) { _ in }
    }

    /// Removes the record (clean shutdown): containers leave this frontend at once.
    func remove() {
        timer?.cancel()
        timer = nil
        redis.command(["DEL", Self.key(id: id)], db: ClipperSchema.Database.resources.rawValue) { _ in }
    }
}
