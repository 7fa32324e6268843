import CLibevent
import Glibc

/// A listening TCP socket on an `EventLoop` that hands each accepted connection's socket
/// (non-blocking, as libevent leaves it; TCP_NODELAY) to a handler, which owns it from then on.
final class TCPListener {
    /// Thrown when the listener cannot bind.
    struct BindError: Error, CustomStringConvertible {
        let description: String
    }

    private var listener: OpaquePointer?
    private let onAccept: (Int32) -> Void
    /// The port actually bound (useful when asked for port 0).
    private(set) var port: UInt16 = 0

    init(loop: EventLoop, host: String, port: UInt16, onAccept: @escaping (Int32) -> Void) throws {
        self.onAccept = onAccept
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &address.sin_addr) == 1 else {
            throw BindError(description: "cannot listen on \(host):\(port): not an IPv4 address")
        }
        let flags = UInt32(LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC)
        // A backlog of SOMAXCONN: a burst of new connections waits in the kernel instead of being
        // refused before Cutter sees it (Linux caps the value at net.core.somaxconn).
        listener = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                evconnlistener_new_bind(loop.base, { _, fd, _, _, arg in
                    let listener = Unmanaged<TCPListener>.fromOpaque(arg!).takeUnretainedValue()
                    listener.accepted(fd)
                }, Unmanaged.passUnretained(self).toOpaque(), flags, SOMAXCONN, $0, Int32(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard listener != nil else {
            throw BindError(description: "cannot listen on \(host):\(port): \(String(cString: strerror(errno))). Is another process using the port? Choose another with the matching --*-port flag.")
        }
        self.port = Self.boundPort(of: evconnlistener_get_fd(listener)) ?? port
    }

    deinit { if let listener { evconnlistener_free(listener) } }

    private func accepted(_ fd: Int32) {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        onAccept(fd)
    }

    private static func boundPort(of fd: Int32) -> UInt16? {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return result == 0 ? UInt16(bigEndian: address.sin_port) : nil
    }
}
