/// The clock seam: where every timing decision of the serving path reads the time and sets a
/// timer. `EventLoop` implements it with libevent timers and the monotonic clock; tests use a
/// manual scheduler whose time moves only when the test says so.
///
/// Users are generic over it (not `any Scheduler`), so release builds call the event loop
/// directly: the seam costs nothing on the hot path.
protocol Scheduler: AnyObject {
    associatedtype Timer: ScheduledTimer

    /// Monotonic time in nanoseconds: the clock of every deadline.
    var now: UInt64 { get }

    /// Runs `body` once, `nanoseconds` from now; the returned timer can cancel it. An armed
    /// timer keeps itself alive, so a caller may drop it.
    @discardableResult
    func schedule(after nanoseconds: UInt64, _ body: @escaping () -> Void) -> Timer
}

/// A one-shot timer set by a `Scheduler`.
protocol ScheduledTimer: AnyObject {
    /// Whether the timer will still fire.
    var isArmed: Bool { get }
    /// Disarms the timer; its body will not run.
    func cancel()
}

extension Scheduler {
    /// Runs `body` at the monotonic instant `deadline` (at once when it has passed).
    @discardableResult
    func schedule(at deadline: UInt64, _ body: @escaping () -> Void) -> Timer {
        schedule(after: deadline &- min(deadline, now), body)
    }
}
