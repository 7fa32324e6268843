import CLibevent

/// A one-shot timer on an `EventLoop`. While armed it keeps itself alive, so a caller may drop
/// it; `cancel()` disarms it.
final class LoopTimer: ScheduledTimer {
    private var event: OpaquePointer!
    private let body: () -> Void
    private var selfWhileArmed: Unmanaged<LoopTimer>?

    init(loop: EventLoop, _ body: @escaping () -> Void) {
        self.body = body
        event = event_new(loop.base, -1, 0, { _, _, arg in
            let timer = Unmanaged<LoopTimer>.fromOpaque(arg!).takeUnretainedValue()
            timer.fire()
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit { event_free(event) }

    /// Whether the timer will fire.
    var isArmed: Bool { selfWhileArmed != nil }

    /// Arms (or re-arms) the timer to fire after `nanoseconds`.
    func arm(after nanoseconds: UInt64) {
        // libevent's resolution is a microsecond: round up, so a deadline timer never fires early.
        let micros = (nanoseconds + 999) / 1000
        var tv = timeval(tv_sec: Int(micros / 1_000_000), tv_usec: Int(micros % 1_000_000))
        event_add(event, &tv)
        if selfWhileArmed == nil { selfWhileArmed = Unmanaged.passRetained(self) }
    }

    /// Disarms the timer; its body will not run.
    func cancel() {
        event_del(event)
        selfWhileArmed?.release()
        selfWhileArmed = nil
    }

    private func fire() {
        let keepAlive = selfWhileArmed
        selfWhileArmed = nil
        body()
        keepAlive?.release()
    }
}
