import Logging

/// Watches Redis keyspace notifications (Clipper's way for frontends to follow the config store)
/// on a connection of its own: a subscribed connection can do nothing else. It turns each
/// channel `__keyspace@<db>__:<key>` into a `Notification`, the only place that parses one.
final class KeyspaceWatcher {
    /// A key of a database was written (by anyone: this frontend, another one, redis-cli).
    struct Notification: Equatable, Sendable {
        let database: ClipperSchema.Database
        let key: String
    }

    private let connection: RedisConnection

    /// Subscribes to `databases` on `connection` (also after reconnects); `handler` gets every
    /// notification whatever the event: readers simply re-read the key.
    init(connection: RedisConnection, databases: [ClipperSchema.Database], handler: @escaping (Notification) -> Void) {
        self.connection = connection
        connection.psubscribe(databases.map(Self.pattern)) { channel, _ in
            if let notification = Self.parse(channel: channel) { handler(notification) }
        }
    }

    /// The PSUBSCRIBE pattern of `database`'s keyspace channel.
    static func pattern(_ database: ClipperSchema.Database) -> String { "__keyspace@\(database.rawValue)__:*" }

    /// The database and key of a keyspace channel; nil for any other channel.
    static func parse(channel: String) -> Notification? {
        let prefix = "__keyspace@"
        guard channel.hasPrefix(prefix) else { return nil }
        let rest = channel.utf8.dropFirst(prefix.utf8.count)
        guard let separator = rest.firstIndex(of: UInt8(ascii: "_")),
              let number = Int(Substring(rest[..<separator])), let database = ClipperSchema.Database(rawValue: number) else { return nil }
        let afterNumber = rest[separator...]
        guard afterNumber.starts(with: "__:".utf8) else { return nil }
        return Notification(database: database, key: String(Substring(afterNumber.dropFirst(3))))
    }
}
