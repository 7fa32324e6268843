import CHiredis
import Foundation

/// A plain blocking Redis client for tests: what an admin script or Clipper's code would do.
final class RedisClient {
    private let context: UnsafeMutablePointer<redisContext>

    init(port: UInt16) throws {
        guard let context = redisConnect("127.0.0.1", Int32(port)), context.pointee.err == 0 else {
            throw TestFailure("cannot connect to redis on port \(port)")
        }
        self.context = context
    }

    /// A client authenticated with `password`, as Cutter's own connections are.
    convenience init(port: UInt16, password: String) throws {
        try self.init(port: port)
        let reply = run("AUTH", password)
        guard reply == ["OK"] else { throw TestFailure("redis on port \(port) refused AUTH: \(reply)") }
    }

    /// A client authenticated with the password on the first line of `passwordFile`, as the admin
    /// scripts are (the embedded server keeps it in `redis.password` in its data directory).
    convenience init(port: UInt16, passwordFile: String) throws {
        let text = try String(contentsOfFile: passwordFile, encoding: .utf8)
        try self.init(port: port, password: text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    deinit { redisFree(context) }

    /// Runs one command and returns the reply as strings (arrays flattened; integers as text).
    @discardableResult
    func run(_ arguments: String...) -> [String] { run(arguments) }

    @discardableResult
    func run(_ arguments: [String]) -> [String] {
        let cStrings = arguments.map { strdup($0) }
        defer { cStrings.forEach { free($0) } }
        var argv: [UnsafePointer<CChar>?] = cStrings.map { UnsafePointer($0) }
        var lengths = arguments.map { $0.utf8.count }
        guard let raw = redisCommandArgv(context, Int32(arguments.count), &argv, &lengths) else { return [] }
        defer { freeReplyObject(raw) }
        return Self.flatten(raw.assumingMemoryBound(to: redisReply.self).pointee)
    }

    private static func flatten(_ reply: redisReply) -> [String] {
        switch reply.type {
        case REDIS_REPLY_STRING, REDIS_REPLY_STATUS, REDIS_REPLY_ERROR: [String(cString: reply.str)]
        case REDIS_REPLY_INTEGER: [String(reply.integer)]
        case REDIS_REPLY_ARRAY: (0..<reply.elements).flatMap { flatten(reply.element[$0]!.pointee) }
        default: []
        }
    }

    /// HGETALL as a dictionary.
    func hash(db: Int, _ key: String) -> [String: String] {
        run("SELECT", String(db))
        let items = run("HGETALL", key)
        return Dictionary(uniqueKeysWithValues: stride(from: 0, to: items.count - 1, by: 2).map { (items[$0], items[$0 + 1]) })
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
