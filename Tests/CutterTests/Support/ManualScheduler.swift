@testable import Cutter

/// A scheduler whose time moves only when a test calls `advance`: timers fire in deadline order
/// (then in the order they were set), each seeing `now` at its own deadline.
final class ManualScheduler: Scheduler {
    final class Timer: ScheduledTimer {
        fileprivate let deadline: UInt64
        fileprivate let sequence: Int
        fileprivate var body: (() -> Void)?
        fileprivate init(deadline: UInt64, sequence: Int, body: @escaping () -> Void) {
            self.deadline = deadline
            self.sequence = sequence
            self.body = body
        }
        var isArmed: Bool { body != nil }
        func cancel() { body = nil }
    }

    private(set) var now: UInt64
    private var timers: [Timer] = []
    private var sequence = 0

    init(now: UInt64 = 1_000_000_000) { self.now = now }

    @discardableResult
    func schedule(after nanoseconds: UInt64, _ body: @escaping () -> Void) -> Timer {
        sequence += 1
        let timer = Timer(deadline: now + nanoseconds, sequence: sequence, body: body)
        timers.append(timer)
        return timer
    }

    /// Timers still armed.
    var armedTimers: Int { timers.filter(\.isArmed).count }

    /// Moves time forward by `nanoseconds`, firing every timer that comes due on the way.
    func advance(by nanoseconds: UInt64) {
        let end = now + nanoseconds
        while let next = timers.filter({ $0.isArmed && $0.deadline <= end }).min(by: { ($0.deadline, $0.sequence) < ($1.deadline, $1.sequence) }) {
            now = max(now, next.deadline)
            let body = next.body
            next.body = nil
            body?()
        }
        timers.removeAll { !$0.isArmed }
        now = end
    }
}

/// Milliseconds in the schedulers' nanoseconds.
func ms(_ value: UInt64) -> UInt64 { value * 1_000_000 }
