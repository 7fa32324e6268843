import CLibevent
import Foundation

/// The libevent loop that owns a process's serving state: HTTP, Redis, container connections
/// and timers all run on it, on one thread, so the hot path takes no locks.
///
/// Loop-owned types are non-Sendable classes used only from libevent callbacks.
final class EventLoop: Scheduler {
    let base: OpaquePointer
    private var signalEvents: [OpaquePointer] = []
    private var signalHandlers: [Int32: () -> Void] = [:]

    init() {
        guard let base = event_base_new() else { fatalError("event_base_new failed: out of memory") }
        self.base = base
    }

    deinit {
        signalEvents.forEach { event_free($0) }
        event_base_free(base)
    }

    /// Runs the loop until `stop()` is called.
    func run() {
        event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY)
    }

    /// Makes `run()` return after the current callback.
    func stop() {
        event_base_loopbreak(base)
    }

    /// Monotonic time in nanoseconds, the clock of every deadline.
    var now: UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Calls `handler` on the loop whenever `signal` arrives.
    func onSignal(_ signal: Int32, _ handler: @escaping () -> Void) {
        signalHandlers[signal] = handler
        let event = event_new(base, signal, Int16(EV_SIGNAL | EV_PERSIST), { signal, _, arg in
            let loop = Unmanaged<EventLoop>.fromOpaque(arg!).takeUnretainedValue()
            loop.signalHandlers[signal]?()
        }, Unmanaged.passUnretained(self).toOpaque())!
        event_add(event, nil)
        signalEvents.append(event)
    }

    /// Runs `body` once after `nanoseconds`; the returned timer can cancel it.
    @discardableResult
    func schedule(after nanoseconds: UInt64, _ body: @escaping () -> Void) -> LoopTimer {
        let timer = LoopTimer(loop: self, body)
        timer.arm(after: nanoseconds)
        return timer
    }
}
