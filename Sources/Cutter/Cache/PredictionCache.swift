/// The in-memory prediction cache: outputs keyed by (model version, input), bounded in bytes,
/// evicting the least recently used. Unlike Clipper's, it compares whole keys (no hash-only
/// matches). It holds finished outputs only; identical queries still in flight are joined by
/// `Predictor`.
final class PredictionCache {
    /// A cache key: the model version and the input's wire bytes.
    struct Key: Hashable, Sendable {
        let modelKey: String
        let input: [UInt8]

        var byteCount: Int { modelKey.utf8.count + input.count }

        /// Hashes the input as one block: hashing it byte by byte cost more than the rest of a
        /// cache hit (perf, cached-query benchmark).
        func hash(into hasher: inout Hasher) {
            hasher.combine(modelKey)
            input.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }

    /// One cached output, a node of the recency list (newest first).
    private final class Entry {
        let key: Key
        let output: [UInt8]
        var newer: Entry?
        var older: Entry?
        init(key: Key, output: [UInt8]) {
            self.key = key
            self.output = output
        }
        /// What it costs: key, output and a fixed overhead for the node and its table slot.
        var byteCount: Int { key.byteCount + output.count + 64 }
    }

    let capacityBytes: Int
    private(set) var usedBytes = 0
    private(set) var hits = 0
    private(set) var misses = 0
    private var entries: [Key: Entry] = [:]
    private var newest: Entry?
    private var oldest: Entry?

    init(capacityBytes: Int) {
        self.capacityBytes = capacityBytes
    }

    /// Whether it caches anything (`cache_bytes` > 0).
    var isEnabled: Bool { capacityBytes > 0 }

    /// The cached output of `key`, counting a hit or a miss.
    func output(for key: Key) -> [UInt8]? {
        guard let entry = entries[key] else {
            misses += 1
            return nil
        }
        hits += 1
        touch(entry)
        return entry.output
    }

    /// Caches `output` for `key`, evicting the least recently used outputs past the capacity.
    func store(_ output: [UInt8], for key: Key) {
        guard isEnabled, entries[key] == nil else { return }
        let entry = Entry(key: key, output: output)
        entries[key] = entry
        usedBytes += entry.byteCount
        link(entry)
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
