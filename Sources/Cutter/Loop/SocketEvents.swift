import CLibevent

/// What a `SocketEvents` calls when its socket is ready.
protocol SocketEventHandler: AnyObject {
    func socketReadable()
    func socketWritable()
}

/// Readiness events of one non-blocking socket on an `EventLoop`: the owner reads and writes the
/// socket itself (no bufferevent, no copy through an evbuffer) and turns each interest on or off.
/// Both events persist while enabled, so the steady state adds no event per read or write.
final class SocketEvents {
    let fd: Int32
    private var readEvent: OpaquePointer!
    private var writeEvent: OpaquePointer!
    private unowned let handler: any SocketEventHandler
    private(set) var isReading = false
    private(set) var isWriting = false

    /// `handler` must outlive these events (its owner frees them in its own teardown).
    init(loop: EventLoop, fd: Int32, handler: any SocketEventHandler) {
        self.fd = fd
        self.handler = handler
        let context = Unmanaged.passUnretained(self).toOpaque()
        readEvent = event_new(loop.base, fd, Int16(EV_READ | EV_PERSIST), { _, _, arg in
            Unmanaged<SocketEvents>.fromOpaque(arg!).takeUnretainedValue().handler.socketReadable()
        }, context)
        writeEvent = event_new(loop.base, fd, Int16(EV_WRITE | EV_PERSIST), { _, _, arg in
            Unmanaged<SocketEvents>.fromOpaque(arg!).takeUnretainedValue().handler.socketWritable()
        }, context)
    }

    deinit {
        event_free(readEvent)
        event_free(writeEvent)
    }

    func setReading(_ on: Bool) {
        guard on != isReading else { return }
        isReading = on
        if on { event_add(readEvent, nil) } else { event_del(readEvent) }
    }

    func setWriting(_ on: Bool) {
        guard on != isWriting else { return }
        isWriting = on
        if on { event_add(writeEvent, nil) } else { event_del(writeEvent) }
    }
}
