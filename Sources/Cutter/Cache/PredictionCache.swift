/// The in-memory prediction cache: outputs keyed by (model version, input), bounded in bytes,
/// evicting the least recently used. Unlike Clipper's, it compares whole keys (no hash-only
/// matches), and identical queries in flight share one pending entry instead of sending the
/// input twice.
public final class PredictionCache {
    /// A cache key: the model version and the input's wire bytes.
    public struct Key: Hashable, Sendable {
        public let modelKey: String
        public let input: [UInt8]
        public init(modelKey: String, input: [UInt8]) {
            self.modelKey = modelKey
            self.input = input
        }
        var byteCount: Int { modelKey.utf8.count + input.count }

        /// Hashes the input as one block: hashing it byte by byte cost more than the rest of a
        /// cache hit (perf, cached-query benchmark).
        public func hash(into hasher: inout Hasher) {
            hasher.combine(modelKey)
            input.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }

    /// What a lookup found.
    public enum Lookup {
        /// The output is cached.
        case hit([UInt8])
        /// An identical request is in flight: wait on it (its task can be given a later deadline).
        case pending(PredictionTask)
        /// Nothing: the caller computes it and reports with `complete`.
        case miss
    }

    private final class Entry {
        let key: Key
        var output: [UInt8]?
        var task: PredictionTask?
        var waiters: [(Result<[UInt8], TaskFailure>) -> Void] = []
        var newer: Entry?
        var older: Entry?
        init(key: Key) { self.key = key }
        var byteCount: Int { key.byteCount + (output?.count ?? 0) + 64 }
    }

    public let capacityBytes: Int
    public private(set) var usedBytes = 0
    public private(set) var hits = 0
    public private(set) var misses = 0
    private var entries: [Key: Entry] = [:]
    private var newest: Entry?
    private var oldest: Entry?

    public init(capacityBytes: Int) {
        self.capacityBytes = capacityBytes
    }

    /// Looks `key` up, counting a hit or a miss (waiting on a pending entry counts as a hit).
    public func lookup(_ key: Key) -> Lookup {
        guard let entry = entries[key] else {
            misses += 1
            return .miss
        }
        hits += 1
        if let output = entry.output {
            touch(entry)
            return .hit(output)
        }
        return entry.task.map(Lookup.pending) ?? .miss
    }

    /// Waits on the pending entry of `key`: `waiter` gets its result.
    public func wait(on key: Key, _ waiter: @escaping (Result<[UInt8], TaskFailure>) -> Void) {
        entries[key]?.waiters.append(waiter)
    }

    /// Records that `task` computes `key`, so identical queries wait on it.
    public func begin(_ key: Key, task: PredictionTask) {
        guard capacityBytes > 0 else { return }
        let entry = Entry(key: key)
        entry.task = task
        entries[key] = entry
    }

    /// Stores the result of `key`'s task and wakes its waiters; a failure is not cached.
    public func complete(_ key: Key, _ result: Result<[UInt8], TaskFailure>) {
        guard let entry = entries[key], entry.output == nil else { return }
        let waiters = entry.waiters
        entry.waiters = []
        entry.task = nil
        switch result {
        case .success(let output):
            entry.output = output
            usedBytes += entry.byteCount
            link(entry)
            evict()
        case .failure:
            entries[key] = nil
        }
        waiters.forEach { $0(result) }
    }

    private func evict() {
        while usedBytes > capacityBytes, let victim = oldest {
            unlink(victim)
            usedBytes -= victim.byteCount
            entries[victim.key] = nil
        }
    }

    private func touch(_ entry: Entry) {
        guard newest !== entry else { return }
        unlink(entry)
        link(entry)
    }

    private func link(_ entry: Entry) {
        entry.older = newest
        entry.newer = nil
        newest?.newer = entry
        newest = entry
        if oldest == nil { oldest = entry }
    }

    private func unlink(_ entry: Entry) {
        entry.newer?.older = entry.older
        entry.older?.newer = entry.newer
        if newest === entry { newest = entry.older }
        if oldest === entry { oldest = entry.newer }
        entry.newer = nil
        entry.older = nil
    }
}
