import Dispatch
import Glibc

/// Waits for socket readiness in poll(2) on a thread of its own, so that a container waiting for
/// its frontend never blocks a thread of Swift's concurrency pool (two threads on a two-core
/// machine, shared with the model). Cancelling the waiting task wakes the wait at once.
///
/// Waits run on a private serial queue: libdispatch backs such a queue with an overcommitting
/// thread, which may block without starving other work. One runner waits for one thing at a time.
final class SocketWaiter: Sendable {
    /// How a wait ended.
    enum Readiness: Equatable {
        case ready
        case timedOut
        case cancelled
    }

    private let queue = DispatchQueue(label: "cutter-container.socket-waiter")
    /// A pipe that becomes readable, for good, when the task is cancelled: every wait polls it too.
    private let wakeReader: Int32
    private let wakeWriter: Int32

    init() throws(SocketError) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw SocketError("pipe", errno: errno) }
        wakeReader = ends[0]
        wakeWriter = ends[1]
        for end in ends {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            // A full pipe must not block a cancellation: one byte in it is enough.
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
        }
    }

    deinit {
        close(wakeReader)
        close(wakeWriter)
    }

    /// Waits until `descriptor` is ready for `events` (POLLIN, POLLOUT), `timeout` passes, or the
    /// calling task is cancelled. An error or hang-up on the socket counts as ready: the next
    /// read or write reports it.
    func wait(for descriptor: Int32, events: Int16, timeout: Duration) async -> Readiness {
        let milliseconds = Self.milliseconds(timeout)
        let (wakeReader, wakeWriter) = (self.wakeReader, self.wakeWriter)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                queue.async {
                    continuation.resume(returning: Self.poll(descriptor, events: events, milliseconds: milliseconds, wake: wakeReader))
                }
            }
        } onCancel: {
            var byte: UInt8 = 1
            _ = write(wakeWriter, &byte, 1)
        }
    }

    /// Runs blocking `work` (name resolution) on the waiter's thread.
    func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: work()) }
        }
    }

    private static func poll(_ descriptor: Int32, events: Int16, milliseconds: Int32, wake: Int32) -> Readiness {
        var descriptors = [pollfd(fd: descriptor, events: events, revents: 0), pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
        while true {
            let count = Glibc.poll(&descriptors, 2, milliseconds)
            if count < 0 && errno == EINTR { continue }
            if descriptors[1].revents != 0 { return .cancelled }
            return count == 0 ? .timedOut : .ready
        }
    }

    /// `timeout` in whole milliseconds, rounded up so that a wait never ends just before its
    /// deadline and spins; at most about 24 days.
    private static func milliseconds(_ timeout: Duration) -> Int32 {
        guard timeout > .zero else { return 0 }
        let (seconds, attoseconds) = timeout.components
        guard seconds < Int64(Int32.max / 1000) else { return Int32.max }
        let total = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: total)
    }
}
