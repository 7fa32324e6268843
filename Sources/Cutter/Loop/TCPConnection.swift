import CLibevent
import Glibc

/// One TCP connection on a libevent bufferevent. The owner sets `onRead` and `onClose`; the
/// connection stays alive while the loop holds events for it, until `close()` or the peer hangs up.
final class TCPConnection {
    private var bufferEvent: OpaquePointer?
    private var selfWhileOpen: Unmanaged<TCPConnection>?
    /// Called with the bytes that arrived.
    var onRead: (([UInt8]) -> Void)?
    /// Called once when the connection ends (peer closed, error, or `close()`).
    var onClose: (() -> Void)?
    /// A short description of the peer for logs.
    let peer: String

    init(loop: EventLoop, fd: Int32) {
        peer = SocketAddress.peer(of: fd)
        bufferEvent = bufferevent_socket_new(loop.base, fd, Int32(BEV_OPT_CLOSE_ON_FREE.rawValue))
        selfWhileOpen = Unmanaged.passRetained(self)
        // The callbacks keep the connection alive while they run: a read may end in close(),
        // which drops the reference that kept it open.
        bufferevent_setcb(bufferEvent, { _, arg in
            let connection = Unmanaged<TCPConnection>.fromOpaque(arg!).takeUnretainedValue()
            withExtendedLifetime(connection) { connection.readable() }
        }, { _, arg in
            let connection = Unmanaged<TCPConnection>.fromOpaque(arg!).takeUnretainedValue()
            // Called when the output buffer is empty: a pending close may happen now.
            if connection.closesWhenWritten { withExtendedLifetime(connection) { connection.close() } }
        }, { _, events, arg in
            let connection = Unmanaged<TCPConnection>.fromOpaque(arg!).takeUnretainedValue()
            if events & Int16(BEV_EVENT_EOF | BEV_EVENT_ERROR) != 0 { withExtendedLifetime(connection) { connection.close() } }
        }, Unmanaged.passUnretained(self).toOpaque())
        bufferevent_enable(bufferEvent, Int16(EV_READ | EV_WRITE))
    }

    /// Whether the connection is still open.
    var isOpen: Bool { bufferEvent != nil }

    /// Queues bytes for sending.
    func write(_ bytes: [UInt8]) {
        guard let bufferEvent else { return }
        bytes.withUnsafeBytes { _ = bufferevent_write(bufferEvent, $0.baseAddress, $0.count) }
    }

    /// Set by `closeWhenWritten()`: reads are ignored and the connection closes once its queued
    /// bytes are sent.
    private var closesWhenWritten = false

    /// Closes the connection after the bytes already queued are sent (a refusal's last word).
    func closeWhenWritten() {
        guard let bufferEvent else { return }
        onRead = nil
        if evbuffer_get_length(bufferevent_get_output(bufferEvent)) == 0 { return close() }
        closesWhenWritten = true
    }

    /// Closes the connection and calls `onClose` once.
    func close() {
        guard let bufferEvent else { return }
        self.bufferEvent = nil
        bufferevent_free(bufferEvent)
        let onClose = self.onClose
        self.onClose = nil
        onRead = nil
        onClose?()
        selfWhileOpen?.release()
        selfWhileOpen = nil
    }

    private func readable() {
        guard let bufferEvent else { return }
        let input = bufferevent_get_input(bufferEvent)
        let length = evbuffer_get_length(input)
        guard length > 0 else { return }
        var bytes = [UInt8](repeating: 0, count: length)
        _ = bytes.withUnsafeMutableBytes { evbuffer_remove(input, $0.baseAddress, length) }
        onRead?(bytes)
    }
}
