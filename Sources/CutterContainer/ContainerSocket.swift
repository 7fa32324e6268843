import Glibc

/// A non-blocking TCP connection to the frontend, read and written from async code: every wait
/// for readiness goes through the runner's `SocketWaiter`.
final class ContainerSocket {
    /// What a read found.
    enum Received {
        case bytes([UInt8])
        /// Nothing arrived before the deadline.
        case timedOut
        /// The frontend closed the connection.
        case closed
    }

    private let descriptor: Int32
    private let waiter: SocketWaiter
    private var buffer = [UInt8](repeating: 0, count: 64 << 10)

    private init(descriptor: Int32, waiter: SocketWaiter) {
        self.descriptor = descriptor
        self.waiter = waiter
    }

    deinit { close(descriptor) }

    /// Connects to `host:port`, trying each address the name resolves to, each within `timeout`.
    static func connect(host: String, port: UInt16, timeout: Duration, waiter: SocketWaiter) async throws -> ContainerSocket {
        let addresses = try await waiter.run { ResolvedAddress.resolving(host: host, port: port) }.get()
        var lastError = SocketError("\(host) has no address")
        for address in addresses {
            try Task.checkCancellation()
            do {
                return try await connect(to: address, timeout: timeout, waiter: waiter)
            } catch let error as SocketError {
                lastError = error
            }
        }
        throw lastError
    }

    private static func connect(to address: ResolvedAddress, timeout: Duration, waiter: SocketWaiter) async throws -> ContainerSocket {
        let descriptor = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw SocketError("socket", errno: errno) }
        // Owned from here on: closed by deinit on every path out.
        let socket = ContainerSocket(descriptor: descriptor, waiter: waiter)
        // Batches and their answers are small and each waits for the other: no Nagle delay.
        var on: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        let started = address.bytes.withUnsafeBytes {
            Glibc.connect(descriptor, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t($0.count))
        }
        if started != 0 {
            guard errno == EINPROGRESS else { throw SocketError("connect", errno: errno) }
            switch await waiter.wait(for: descriptor, events: Int16(POLLOUT), timeout: timeout) {
            case .ready: break
            case .timedOut: throw SocketError("connect: no answer within \(timeout)")
            case .cancelled: throw CancellationError()
            }
            var failure: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &failure, &length)
            guard failure == 0 else { throw SocketError("connect", errno: failure) }
        }
        return socket
    }

    /// Sends all of `bytes`, waiting up to `timeout` each time the kernel's buffer is full (a
    /// frontend that stopped reading).
    func send(_ bytes: [UInt8], timeout: Duration) async throws {
        var sent = 0
        while sent < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if count >= 0 {
                sent += count
                continue
            }
            guard errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR else { throw SocketError("send", errno: errno) }
            switch await waiter.wait(for: descriptor, events: Int16(POLLOUT), timeout: timeout) {
            case .ready: continue
            case .timedOut: throw SocketError("send: the frontend took nothing for \(timeout)")
            case .cancelled: throw CancellationError()
            }
        }
    }

    /// Reads what has arrived, waiting for it until `deadline`.
    func receive(until deadline: ContinuousClock.Instant) async throws -> Received {
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 { return .bytes(Array(buffer[..<count])) }
            if count == 0 { return .closed }
            guard errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR else {
                // A reset is the frontend going away, like a close.
                if errno == ECONNRESET { return .closed }
                throw SocketError("recv", errno: errno)
            }
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else { return .timedOut }
            switch await waiter.wait(for: descriptor, events: Int16(POLLIN), timeout: remaining) {
            case .ready: continue
            case .timedOut: return .timedOut
            case .cancelled: throw CancellationError()
            }
        }
    }
}
