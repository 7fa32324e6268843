import Glibc
import Logging

/// Cutter's HTTP/1.1 server on an `EventLoop`: accepts connections up to `limits.maxConnections`
/// and hands every request to one handler. Replaces libevent's evhttp, which allocates per
/// request, has no deadline for a request head and no connection cap, and answers errors in HTML.
final class HTTPServer {
    let limits: HTTPLimits
    private let loop: EventLoop
    private let logger: Logger
    /// "query", "management" or "metrics": the port's name in log lines and metrics.
    let name: String
    private var listener: TCPListener?
    private var connections: [Int32: HTTPConnection] = [:]
    private let handler: (HTTPExchange) -> Void
    /// The port actually bound (useful when asked for port 0).
    let port: UInt16
    /// Told the status of every reply, for the metrics.
    var onReply: ((Int) -> Void)?
    /// The `Date` header line, remade once a second.
    private var dateLine = OutputBuffer(capacity: 64)
    private var dateLineSecond = -1
    /// When each kind of limit was last logged, and how often it bit since: a flood of bad
    /// clients makes one line a second per kind, not one per client.
    private var limitReports: [String: (loggedAt: UInt64, suppressed: Int)] = [:]

    init(loop: EventLoop, name: String, host: String, port: UInt16, limits: HTTPLimits, logger: Logger,
         handler: @escaping (HTTPExchange) -> Void) throws {
        self.loop = loop
        self.name = name
        self.limits = limits
        self.logger = logger
        self.handler = handler
        var accept: ((Int32) -> Void)?
        let listener = try TCPListener(loop: loop, host: host, port: port) { accept?($0) }
        self.listener = listener
        self.port = listener.port
        accept = { [unowned self] in self.accept($0) }
    }

    deinit {
        connections.values.forEach { $0.close() }
    }

    /// Monotonic nanoseconds on the server's loop.
    var now: UInt64 { loop.now }

    /// Requests read and not yet answered on the wire, on all connections.
    var inFlight: Int { connections.values.reduce(0) { $0 + $1.requestsInFlight } }

    /// Closes the listening socket: no new connections (shutdown). Open connections stay, so
    /// requests in flight still get their replies.
    func stopAccepting() {
        listener = nil
    }

    private func accept(_ fd: Int32) {
        guard connections.count < limits.maxConnections else {
            // Refused at once, with the reason in JSON; the connections being served are untouched.
            Self.connectionLimitReply.withUTF8Buffer { _ = send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
            onReply?(503)
            reportLimit("connections", "refused a connection: max_http_connections (\(limits.maxConnections)) are open", peer: SocketAddress.peer(of: fd))
            close(fd)
            return
        }
        connections[fd] = HTTPConnection(server: self, loop: loop, fd: fd)
    }

    private static let connectionLimitReply: StaticString = """
        HTTP/1.1 503 Service Unavailable\r
        Content-Type: application/json\r
        Content-Length: 118\r
        Connection: close\r
        \r
        {"error":"Too many connections","cause":"This port has max_http_connections open; retry later or reuse a connection."}
        """

    func dispatch(_ exchange: HTTPExchange) { handler(exchange) }

    func connectionClosed(_ connection: HTTPConnection) {
        connections[connection.fd] = nil
    }

    /// Appends the `Date` header line (RFC 9110 §6.6.1: an origin server with a clock sends it).
    func appendDateHeader(to reply: OutputBuffer) {
        var seconds = time(nil)
        if seconds != dateLineSecond {
            dateLineSecond = seconds
            var parts = tm()
            gmtime_r(&seconds, &parts)
            withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { text in
                let count = strftime(text.baseAddress, text.count, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &parts)
                dateLine.removeAll()
                dateLine.append(UnsafeRawBufferPointer(start: text.baseAddress, count: count))
            }
        }
        reply.append(dateLine.bytes)
    }

    // MARK: Log lines for limits

    /// A request could not be read: limits are logged, plain client errors only at debug level.
    func report(_ error: APIError, from connection: HTTPConnection) {
        switch error.status {
        case 413: reportLimit("body", "refused a request body over max_body_bytes (\(limits.maxBodyBytes))", peer: connection.peer)
        case 431: reportLimit("head", "refused a request head over max_header_bytes (\(limits.maxHeadBytes))", peer: connection.peer)
        default: logger.debug("refused a malformed request", metadata: ["port": "\(name)", "status": "\(error.status)", "cause": "\(error.cause)", "peer": "\(connection.peer)"])
        }
    }

    func reportHeadTimeout(from connection: HTTPConnection) {
        reportLimit("head-timeout", "closed a connection whose request head took longer than http_header_timeout_seconds (\(Double(limits.headTimeoutNanoseconds) / 1e9) s)", peer: connection.peer)
    }

    func reportIdleClose(from connection: HTTPConnection) {
        logger.debug("closed an idle connection", metadata: ["port": "\(name)", "peer": "\(connection.peer)"])
    }

    private func reportLimit(_ kind: String, _ message: String, peer: String) {
        let now = loop.now
        let last = limitReports[kind]
        if let last, now < last.loggedAt + 1_000_000_000 {
            limitReports[kind] = (last.loggedAt, last.suppressed + 1)
            return
        }
        var metadata: Logger.Metadata = ["port": "\(name)", "peer": "\(peer)"]
        if let last, last.suppressed > 0 { metadata["same_since_last_line"] = "\(last.suppressed)" }
        logger.warning("\(message)", metadata: metadata)
        limitReports[kind] = (now, 0)
    }
}
