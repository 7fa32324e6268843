import CLibevent
import Glibc

/// An evhttp server on an `EventLoop` that hands every request to one handler.
final class HTTPServer {
    /// Thrown when the server cannot listen.
    struct BindError: Error, CustomStringConvertible {
        let description: String
    }

    private let http: OpaquePointer
    private var boundSocket: OpaquePointer?
    private let loop: EventLoop
    /// Requests handed to the handler and not yet answered.
    private(set) var inFlight = 0
    private let handler: (HTTPExchange) -> Void
    /// The port actually bound (useful when asked for port 0).
    private(set) var port: UInt16 = 0

    /// Binds `host:port`; `maxBodyBytes` is the largest body a handler will see, larger ones get
    /// a JSON 413 from `HTTPExchange`.
    init(loop: EventLoop, host: String, port: UInt16, maxBodyBytes: Int, handler: @escaping (HTTPExchange) -> Void) throws {
        guard let http = evhttp_new(loop.base) else { fatalError("evhttp_new failed: out of memory") }
        self.http = http
        self.loop = loop
        self.handler = handler
        // evhttp itself refuses bodies past a hard cap (its 413 page closes the connection);
        // below that cap an oversize body reaches us and gets a JSON 413 on a connection that lives on.
        evhttp_set_max_body_size(http, max(maxBodyBytes, 1) * 4)
        evhttp_set_max_headers_size(http, 64 << 10)
        evhttp_set_timeout(http, 60)
        evhttp_set_allowed_methods(http, UInt16(EVHTTP_REQ_GET.rawValue | EVHTTP_REQ_POST.rawValue | EVHTTP_REQ_PUT.rawValue
            | EVHTTP_REQ_DELETE.rawValue | EVHTTP_REQ_HEAD.rawValue | EVHTTP_REQ_OPTIONS.rawValue))
        // On failure deinit frees `http`: the object is fully initialized here.
        guard let socket = evhttp_bind_socket_with_handle(http, host, port) else {
            throw BindError(description: "cannot listen on \(host):\(port): \(String(cString: strerror(errno))). Is another process using the port? Choose another with the matching --*-port flag.")
        }
        boundSocket = socket
        self.port = Self.boundPort(of: evhttp_bound_socket_get_fd(socket)) ?? port
        self.maxBodyBytes = maxBodyBytes
        evhttp_set_gencb(http, { request, arg in
            guard let request, let arg else { return }
            let server = Unmanaged<HTTPServer>.fromOpaque(arg).takeUnretainedValue()
            server.inFlight += 1
            server.handler(HTTPExchange(request: request, server: server, maxBodyBytes: server.maxBodyBytes, arrival: server.loop.now))
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    private var maxBodyBytes: Int = 0

    deinit { evhttp_free(http) }

    /// Closes the listening socket: no new connections (shutdown). Open connections stay, so
    /// requests in flight still get their replies.
    func stopAccepting() {
        guard let socket = boundSocket else { return }
        boundSocket = nil
        evhttp_del_accept_socket(http, socket)
    }

    /// An exchange of this server sent its reply.
    func exchangeAnswered() { inFlight -= 1 }

    static func boundPort(of fd: Int32) -> UInt16? {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return result == 0 ? UInt16(bigEndian: address.sin_port) : nil
    }
}
