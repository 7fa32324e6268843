import CHiredis
import Glibc
import Logging

/// One hiredis async connection on the `EventLoop`, with reconnect (hiredis 0.14 has none).
///
/// Commands carry the Clipper database they address: the connection issues `SELECT` only when
/// the database changes, which is correct because a connection runs its commands in order.
/// While disconnected, commands fail at once with an error reply rather than wait.
final class RedisConnection {
    private let loop: EventLoop
    private let endpoint: RedisEndpoint
    private let logger: Logger
    private let name: String
    private var context: UnsafeMutablePointer<redisAsyncContext>?
    private var selectedDB = 0
    private var reconnectDelay = 0.1
    /// Whether the current run of failed connects was logged.
    private var reportedUnreachable = false
    private var closed = false
    private var subscriptionHandler: ((String, String) -> Void)?
    private var subscriptionPatterns: [String] = []
    /// Why the connection cannot be used although it is up (a Redis without Clipper's databases).
    private(set) var problem: String?
    /// Whether the connection is up.
    private(set) var isConnected = false
    /// Called every time the connection (re)connects, after AUTH and re-subscription were sent.
    var onConnect: (() -> Void)?

    init(loop: EventLoop, endpoint: RedisEndpoint, name: String, logger: Logger) {
        self.loop = loop
        self.endpoint = endpoint
        self.name = name
        self.logger = logger
    }

    /// Starts connecting; reconnects with backoff whenever the connection is lost.
    func connect() {
        guard !closed, context == nil else { return }
        guard let ac = redisAsyncConnect(endpoint.host, Int32(endpoint.port)) else { return scheduleReconnect() }
        if ac.pointee.err != 0 {
            connectFailed(String(cString: ac.pointee.errstr))
            redisAsyncFree(ac)
            return scheduleReconnect()
        }
        context = ac
        selectedDB = 0
        ac.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        redisLibeventAttach(ac, loop.base)
        redisAsyncSetConnectCallback(ac) { ac, status in
            let connection = Unmanaged<RedisConnection>.fromOpaque(ac!.pointee.data).takeUnretainedValue()
            if status != REDIS_OK { connection.connectFailed(String(cString: ac!.pointee.errstr)) }
            connection.connected(ok: status == REDIS_OK)
        }
        redisAsyncSetDisconnectCallback(ac) { ac, _ in
            let connection = Unmanaged<RedisConnection>.fromOpaque(ac!.pointee.data).takeUnretainedValue()
            connection.disconnected()
        }
    }

    /// Closes the connection for good.
    func close() {
        closed = true
        if let context {
            self.context = nil
            isConnected = false
            redisAsyncDisconnect(context)
        }
    }

    /// Logs an unreachable Redis once, not at every retry; `connected` says when it is back.
    private func connectFailed(_ error: String) {
        guard !reportedUnreachable else { return }
        reportedUnreachable = true
        logger.warning("cannot reach redis; retrying with backoff (0.1 s, doubling up to 2 s) until it answers. Check that it runs at this address, or fix the redis setting.",
                       metadata: ["connection": "\(name)", "redis": "\(endpoint.host):\(endpoint.port)", "error": "\(error)"])
    }

    private func connected(ok: Bool) {
        guard ok else {
            context = nil
            return scheduleReconnect()
        }
        isConnected = true
        reconnectDelay = 0.1
        reportedUnreachable = false
        logger.info("redis connected", metadata: ["connection": "\(name)", "redis": "\(endpoint.host):\(endpoint.port)"])
        if let password = endpoint.password, !password.isEmpty {
            // With a username, Redis 6's ACL form; without, the default user (requirepass).
            let auth = endpoint.username.map { ["AUTH", $0, password] } ?? ["AUTH", password]
            send(auth) { [logger, name] reply in
                if let error = reply.errorMessage { logger.error("redis AUTH failed", metadata: ["connection": "\(name)", "error": "\(error)"]) }
            }
        }
        if subscriptionPatterns.isEmpty {
            checkDatabases()
        } else {
            sendSubscribe()
        }
        onConnect?()
    }

    /// Clipper's schema needs databases 1 to 7; a Redis configured with fewer refuses SELECT, and
    /// the commands after it would run in the wrong database. Checked once per connection, before
    /// any other command; a refusal makes the connection refuse every command, saying why.
    private func checkDatabases() {
        let highest = ClipperSchema.Database.appModelLinks.rawValue
        selectedDB = highest
        send(["SELECT", String(highest)]) { [self] reply in
            guard let error = reply.errorMessage else { return problem = nil }
            problem = "Redis refused SELECT \(highest) (\(error)): Cutter keeps Clipper's schema in databases 1-7; set 'databases 16' in the Redis server's configuration"
            logger.error("redis cannot hold Clipper's schema", metadata: ["connection": "\(name)", "error": "\(problem!)"])
        }
    }

    private func disconnected() {
        let wasConnected = isConnected
        context = nil
        isConnected = false
        if wasConnected { logger.warning("redis connection lost", metadata: ["connection": "\(name)"]) }
        scheduleReconnect()
    }

    private func scheduleReconnect() {
        guard !closed else { return }
        let delay = reconnectDelay
        reconnectDelay = min(reconnectDelay * 2, 2)
        loop.schedule(after: UInt64(delay * 1e9)) { [weak self] in self?.connect() }
    }

    /// Sends a command to database `db` (nil: whatever is selected, for server-wide commands).
    func command(_ arguments: [String], db: Int? = nil, _ callback: @escaping (RedisReply) -> Void) {
        guard isConnected else { return callback(.error("Redis is not connected")) }
        if let problem { return callback(.error(problem)) }
        if let db, db != selectedDB {
            send(["SELECT", String(db)]) { _ in }
            selectedDB = db
        }
        send(arguments, callback)
    }

    /// Sends several commands in one pipeline and calls `completion` with all replies, in order.
    /// With a `timeout` (ns), a Redis that does not answer in time gives every command an error
    /// reply then, and the late replies are dropped: hiredis has no command timeout of its own.
    func pipeline(_ commands: [(db: Int, arguments: [String])], timeout: UInt64? = nil, _ completion: @escaping ([RedisReply]) -> Void) {
        guard !commands.isEmpty else { return completion([]) }
        var replies = [RedisReply](repeating: .null, count: commands.count)
        var remaining = commands.count
        var timer: LoopTimer?
        if let timeout {
            timer = loop.schedule(after: timeout) { [name] in
                guard remaining > 0 else { return }
                remaining = 0
                let seconds = Double(timeout) / 1e9
                completion(Array(repeating: .error("Redis (\(name)) did not answer within \(seconds) s"), count: commands.count))
            }
        }
        for (index, command) in commands.enumerated() {
            self.command(command.arguments, db: command.db) { reply in
                guard remaining > 0 else { return }
                replies[index] = reply
                remaining -= 1
                if remaining == 0 {
                    timer?.cancel()
                    completion(replies)
                }
            }
        }
    }

    /// Subscribes to keyspace patterns on this connection (which then serves nothing else);
    /// `handler` gets (channel, message) for every notification, also after reconnects.
    func psubscribe(_ patterns: [String], handler: @escaping (String, String) -> Void) {
        subscriptionPatterns = patterns
        subscriptionHandler = handler
        if isConnected { sendSubscribe() }
    }

    private func sendSubscribe() {
        guard let context else { return }
        let arguments = ["PSUBSCRIBE"] + subscriptionPatterns
        withArgv(arguments) { argc, argv, lengths in
            _ = redisAsyncCommandArgv(context, { _, reply, privdata in
                guard let reply, let privdata else { return }
                let connection = Unmanaged<RedisConnection>.fromOpaque(privdata).takeUnretainedValue()
                let message = RedisConnection.convert(reply.assumingMemoryBound(to: redisReply.self))
                let parts = message.strings
                if parts.count == 4, parts[0] == "pmessage" { connection.subscriptionHandler?(parts[2], parts[3]) }
            }, Unmanaged.passUnretained(self).toOpaque(), argc, argv, lengths)
        }
    }

    private final class CallbackBox {
        let callback: (RedisReply) -> Void
        init(_ callback: @escaping (RedisReply) -> Void) { self.callback = callback }
    }

    private func send(_ arguments: [String], _ callback: @escaping (RedisReply) -> Void) {
        guard let context else { return callback(.error("Redis is not connected")) }
        let box = Unmanaged.passRetained(CallbackBox(callback)).toOpaque()
        let status = withArgv(arguments) { argc, argv, lengths in
            redisAsyncCommandArgv(context, { _, reply, privdata in
                let box = Unmanaged<CallbackBox>.fromOpaque(privdata!).takeRetainedValue()
                // hiredis passes no reply when the connection goes away with the command pending.
                box.callback(reply.map { RedisConnection.convert($0.assumingMemoryBound(to: redisReply.self)) } ?? .error("Redis connection lost"))
            }, box, argc, argv, lengths)
        }
        if status != REDIS_OK {
            Unmanaged<CallbackBox>.fromOpaque(box).release()
            callback(.error("Redis command could not be sent"))
        }
    }

    /// Calls `body` with C views of `arguments`; lengths are explicit, so values may hold NUL bytes.
    private func withArgv<T>(_ arguments: [String], _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> T) -> T {
        let buffers: [UnsafeMutableBufferPointer<CChar>] = arguments.map { argument in
            let bytes = Array(argument.utf8)
            let buffer = UnsafeMutableBufferPointer<CChar>.allocate(capacity: max(bytes.count, 1))
            for (index, byte) in bytes.enumerated() { buffer[index] = CChar(bitPattern: byte) }
            return buffer
        }
        defer { buffers.forEach { $0.deallocate() } }
        var argv: [UnsafePointer<CChar>?] = buffers.map { UnsafePointer($0.baseAddress) }
        let lengths = arguments.map { $0.utf8.count }
        return argv.withUnsafeMutableBufferPointer { argvBuffer in
            lengths.withUnsafeBufferPointer { body(Int32(arguments.count), argvBuffer.baseAddress!, $0.baseAddress!) }
        }
    }

    static func convert(_ reply: UnsafeMutablePointer<redisReply>) -> RedisReply {
        let r = reply.pointee
        switch r.type {
        case REDIS_REPLY_STRING:
            return .string(String(decoding: UnsafeRawBufferPointer(start: r.str, count: r.len), as: UTF8.self))
        case REDIS_REPLY_STATUS:
            return .status(String(cString: r.str))
        case REDIS_REPLY_ERROR:
            return .error(String(cString: r.str))
        case REDIS_REPLY_INTEGER:
            return .integer(Int(r.integer))
        case REDIS_REPLY_ARRAY:
            return .array((0..<r.elements).map { convert(r.element[$0]!) })
        default:
            return .null
        }
    }

    /// Whether a Redis server answers on 127.0.0.1:`port` within 200 ms: a blocking probe, for
    /// start-up and shutdown only, never on the loop's hot path.
    ///
    /// Without `password`, a server that wants one (NOAUTH) answers too: it is there. With
    /// `password`, the probe authenticates first and only PONG counts, so a server still loading
    /// its data (which answers LOADING, not NOAUTH, once authenticated) is not ready yet.
    static func answersPing(port: Int, password: String? = nil) -> Bool {
        let timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        guard let context = redisConnectWithTimeout("127.0.0.1", Int32(port), timeout) else { return false }
        defer { redisFree(context) }
        guard context.pointee.err == 0 else { return false }
        _ = redisSetTimeout(context, timeout)
        if let password, !password.isEmpty {
            guard case .status("OK")? = blockingCommand(context, ["AUTH", password]) else { return false }
            return blockingCommand(context, ["PING"]) == .status("PONG")
        }
        switch blockingCommand(context, ["PING"]) {
        case .status("PONG")?: return true
        case .error(let message)?: return message.hasPrefix("NOAUTH")
        default: return false
        }
    }

    /// One command on a blocking hiredis context; nil when no reply came (timeout, connection lost).
    private static func blockingCommand(_ context: UnsafeMutablePointer<redisContext>, _ arguments: [String]) -> RedisReply? {
        let cStrings = arguments.map { strdup($0) }
        defer { cStrings.forEach { free($0) } }
        var argv: [UnsafePointer<CChar>?] = cStrings.map { UnsafePointer($0) }
        var lengths = arguments.map { $0.utf8.count }
        guard let raw = redisCommandArgv(context, Int32(arguments.count), &argv, &lengths) else { return nil }
        defer { freeReplyObject(raw) }
        return convert(raw.assumingMemoryBound(to: redisReply.self))
    }
}
