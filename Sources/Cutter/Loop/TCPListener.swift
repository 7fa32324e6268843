import CLibevent
import Glibc

/// A listening TCP socket on an `EventLoop` that hands each accepted connection to a handler.
final class TCPListener {
    private var listener: OpaquePointer?
    private let loop: EventLoop
    private let onAccept: (TCPConnection) -> Void
    /// The port actually bound.
    private(set) var port: UInt16 = 0

    init(loop: EventLoop, host: String, port: UInt16, onAccept: @escaping (TCPConnection) -> Void) throws {
        self.loop = loop
        self.onAccept = onAccept
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &address.sin_addr) == 1 else {
            throw HTTPServer.BindError(description: "cannot listen on \(host):\(port): not an IPv4 address")
        }
        let flags = UInt32(LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC)
        listener = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                evconnlistener_new_bind(loop.base, { _, fd, _, _, arg in
                    let listener = Unmanaged<TCPListener>.fromOpaque(arg!).takeUnretainedValue()
                    listener.accepted(fd)
                }, Unmanaged.passUnretained(self).toOpaque(), flags, 128, $0, Int32(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard listener != nil else {
            throw HTTPServer.BindError(description: "cannot listen on \(host):\(port): \(String(cString: strerror(errno))). Is another process using the port? Choose another with the matching --*-port flag.")
        }
        self.port = HTTPServer.boundPort(of: evconnlistener_get_fd(listener)) ?? port
    }

    deinit { if let listener { evconnlistener_free(listener) } }

    private func accepted(_ fd: Int32) {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        onAccept(TCPConnection(loop: loop, fd: fd))
    }
}
