/// The tasks waiting in a model's queue, earliest deadline first (ties in arrival order): with
/// applications of different SLOs sharing a model, the most urgent task leaves first.
///
/// A task's place is fixed by the deadline it had when queued; a query joining it later only
/// makes it less urgent, so it may leave a little early, never late.
struct TaskHeap {
    struct Entry {
        let deadline: UInt64
        let sequence: UInt64
        let task: PredictionTask
    }

    private var entries: [Entry] = []
    private var nextSequence: UInt64 = 0

    var count: Int { entries.count }
    var isEmpty: Bool { entries.isEmpty }
    /// The most urgent task.
    var first: Entry? { entries.first }

    /// Queues `task` by its current deadline.
    mutating func push(_ task: PredictionTask) {
        push(Entry(deadline: task.deadline, sequence: nextSequence, task: task))
        nextSequence += 1
    }

    /// Puts back an entry taken earlier (its batch was lost), in its old place.
    mutating func push(_ entry: Entry) {
        entries.append(entry)
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.precedes(entries[child], entries[parent]) else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    /// Takes the most urgent task.
    mutating func pop() -> Entry? {
        guard !entries.isEmpty else { return nil }
        entries.swapAt(0, entries.count - 1)
        let top = entries.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var best = parent
            if left < entries.count && Self.precedes(entries[left], entries[best]) { best = left }
            if right < entries.count && Self.precedes(entries[right], entries[best]) { best = right }
            guard best != parent else { break }
            entries.swapAt(parent, best)
            parent = best
        }
        return top
    }

    /// Takes every task, in no particular order.
    mutating func removeAll() -> [Entry] {
        defer { entries.removeAll() }
        return entries
    }

    private static func precedes(_ a: Entry, _ b: Entry) -> Bool {
        a.deadline != b.deadline ? a.deadline < b.deadline : a.sequence < b.sequence
    }
}
