import CLibevent

/// A one-shot timer on an `EventLoop`. While armed it keeps itself alive, so a caller may drop
/// it; `cancel()` disarms it.
public final class LoopTimer {
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
    public var isArmed: Bool { selfWhileArmed != nil }

    /// Arms (or re-arms) the timer to fire after `delay` seconds.
    public func arm(after delay: Double) {
        let seconds = max(0, delay)
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - seconds.rounded(.down)) * 1_000_000))
        event_add(event, &tv)
        if selfWhileArmed == nil { selfWhileArmed = Unmanaged.passRetained(self) }
    }

    /// Disarms the timer; its body will not run.
    public func cancel() {
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
