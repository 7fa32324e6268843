import ClipperRPC
import Logging

/// The serving path's in-memory mirror of the config store: applications, models, current
/// versions and app-model links, read from Redis at start-up and kept fresh by keyspace
/// notifications, so a predict call never waits on Redis.
final class ConfigRegistry {
    /// What changed, for the layers that react (model queues' batch sizes, selection state).
    enum Change: Equatable {
        case application(String)
        case model(name: String, version: String)
        case currentVersion(model: String)
        case links(app: String)
    }

    private let redis: RedisConnection
    private let logger: Logger
    private(set) var applications: [String: ApplicationRecord] = [:]
    /// Model versions by `name:version`.
    private(set) var models: [String: ModelRecord] = [:]
    private(set) var currentVersions: [String: String] = [:]
    private(set) var links: [String: Set<String>] = [:]
    /// Observers of changes; called after the mirror was updated.
    var observers: [(Change) -> Void] = []

    init(redis: RedisConnection, logger: Logger) {
        self.redis = redis
        self.logger = logger
    }

    /// The model versions an application's queries go to: each linked model at its current
    /// version, sorted by name. Memoized per app until the next change: it is on every query.
    func servingModels(app: String) -> [ModelRecord] {
        if let memo = servingModelsMemo[app] { return memo }
        let result = (links[app] ?? []).sorted().compactMap { model in
            currentVersions[model].flatMap { models[ClipperSchema.modelKey(name: model, version: $0)] }
        }
        servingModelsMemo[app] = result
        return result
    }

    private var servingModelsMemo: [String: [ModelRecord]] = [:]

    /// The names of `servingModels(app:)`, memoized alike.
    func servingModelNames(app: String) -> [String] {
        if let memo = servingModelNamesMemo[app] { return memo }
        let names = servingModels(app: app).map(\.name)
        servingModelNamesMemo[app] = names
        return names
    }

    private var servingModelNamesMemo: [String: [String]] = [:]

    /// Reads every record from Redis, and forgets mirrored keys that are gone (deleted while the
    /// connection was down); `completion` gets false if Redis did not answer.
    func loadAll(_ completion: @escaping (Bool) -> Void) {
        let databases = Self.mirroredDatabases
        redis.pipeline(databases.map { (db: $0.rawValue, arguments: ["KEYS", "*"]) }) { [self] replies in
            if replies.contains(where: { $0.errorMessage != nil }) { return completion(false) }
            var pending = 1
            let done = { pending -= 1; if pending == 0 { completion(true) } }
            for (database, reply) in zip(databases, replies) {
                let present = Set(reply.strings)
                for key in mirroredKeys(database) where !present.contains(key) {
                    pending += 1
                    reload(database: database, key: key) { done() }
                }
                for key in present {
                    pending += 1
                    reload(database: database, key: key) { done() }
                }
            }
            done()
        }
    }

    /// The Redis keys the mirror holds for `database`.
    private func mirroredKeys(_ database: ClipperSchema.Database) -> [String] {
        switch database {
        case .applications: Array(applications.keys)
        case .models: Array(models.keys)
        case .metadata: currentVersions.keys.map { ClipperSchema.currentVersionKey(model: $0) }
        case .appModelLinks: Array(links.keys)
        case .state, .containers, .resources: []
        }
    }

    /// Re-reads one key of `database` into the mirror; used for start-up, notifications and
    /// after the management API's own writes (so its reply is sent once the mirror agrees).
    func reload(database: ClipperSchema.Database, key: String, _ completion: @escaping () -> Void = {}) {
        switch database {
        case .applications:
            redis.command(["HGETALL", key], db: database.rawValue) { [self] reply in
                guard reply.errorMessage == nil else { return completion() }
                let record = ApplicationRecord(name: key, fields: reply.hash)
                if record == nil && !reply.hash.isEmpty { logger.warning("ignoring malformed application record", metadata: ["app": "\(key)"]) }
                if applications[key] != record {
                    applications[key] = record
                    notify(.application(key))
                }
                completion()
            }
        case .models:
            redis.command(["HGETALL", key], db: database.rawValue) { [self] reply in
                guard reply.errorMessage == nil else { return completion() }
                let record = ModelRecord(fields: reply.hash)
                let old = models[key]
                if old != record {
                    models[key] = record
                    if let model = record ?? old { notify(.model(name: model.name, version: model.version)) }
                }
                completion()
            }
        case .metadata:
            guard key.hasPrefix(ClipperSchema.currentVersionPrefix) else { return completion() }
            let model = String(key.dropFirst(ClipperSchema.currentVersionPrefix.count))
            redis.command(["GET", key], db: database.rawValue) { [self] reply in
                guard reply.errorMessage == nil else { return completion() }
                if currentVersions[model] != reply.string {
                    currentVersions[model] = reply.string
                    notify(.currentVersion(model: model))
                }
                completion()
            }
        case .appModelLinks:
            redis.command(["SMEMBERS", key], db: database.rawValue) { [self] reply in
                guard reply.errorMessage == nil else { return completion() }
                let members = Set(reply.strings)
                let new: Set<String>? = members.isEmpty ? nil : members
                if links[key] != new {
                    links[key] = new
                    notify(.links(app: key))
                }
                completion()
            }
        case .state, .containers, .resources:
            completion()
        }
    }

    /// The databases mirrored here, whose keyspace notifications `reload` takes.
    static let mirroredDatabases: [ClipperSchema.Database] = [.models, .applications, .metadata, .appModelLinks]

    private func notify(_ change: Change) {
        servingModelsMemo.removeAll(keepingCapacity: true)
        servingModelNamesMemo.removeAll(keepingCapacity: true)
        observers.forEach { $0(change) }
    }
}
