import Testing
@testable import Cutter

struct PredictionCacheTests {
    private func key(_ byte: UInt8, model: String = "m:1") -> PredictionCache.Key { .init(modelKey: model, input: [byte]) }
    private func task() -> PredictionTask { PredictionTask(input: [], deadline: .max, latencyObjective: 1) { _ in } }

    @Test func missThenHitAfterCompletion() {
        let cache = PredictionCache(capacityBytes: 10_000)
        guard case .miss = cache.lookup(key(1)) else { Issue.record("expected miss"); return }
        cache.begin(key(1), task: task())
        cache.complete(key(1), .success([42]))
        guard case .hit(let output) = cache.lookup(key(1)) else { Issue.record("expected hit"); return }
        #expect(output == [42])
        #expect(cache.hits == 1 && cache.misses == 1)
    }

    @Test func keysCompareModelAndWholeInput() {
        let cache = PredictionCache(capacityBytes: 10_000)
        cache.begin(key(1), task: task())
        cache.complete(key(1), .success([1]))
        guard case .miss = cache.lookup(key(1, model: "m:2")) else { Issue.record("other version must miss"); return }
        guard case .miss = cache.lookup(key(2)) else { Issue.record("other input must miss"); return }
    }

    @Test func identicalRequestsInFlightShareOnePendingEntry() {
        let cache = PredictionCache(capacityBytes: 10_000)
        let first = task()
        cache.begin(key(1), task: first)
        guard case .pending(let pending) = cache.lookup(key(1)) else { Issue.record("expected pending"); return }
        #expect(pending === first)
        var woken: [Result<[UInt8], TaskFailure>] = []
        cache.wait(on: key(1)) { woken.append($0) }
        cache.complete(key(1), .success([7]))
        #expect(woken == [.success([7])])
    }

    @Test func failuresWakeWaitersAndAreNotCached() {
        let cache = PredictionCache(capacityBytes: 10_000)
        cache.begin(key(1), task: task())
        var woken: [Result<[UInt8], TaskFailure>] = []
        cache.wait(on: key(1)) { woken.append($0) }
        cache.complete(key(1), .failure(.deadlineExpired))
        #expect(woken == [.failure(.deadlineExpired)])
        guard case .miss = cache.lookup(key(1)) else { Issue.record("failure must not be cached"); return }
    }

    @Test func evictsLeastRecentlyUsedWithinTheByteBound() {
        // Each entry costs key (3 + 1) + output (100) + 64 overhead = 168 bytes; 3 fit in 520.
        let cache = PredictionCache(capacityBytes: 520)
        for byte: UInt8 in 1...3 {
            cache.begin(key(byte), task: task())
            cache.complete(key(byte), .success([UInt8](repeating: byte, count: 100)))
        }
        _ = cache.lookup(key(1))  // 1 is now the most recently used; 2 is the oldest
        cache.begin(key(4), task: task())
        cache.complete(key(4), .success([UInt8](repeating: 4, count: 100)))
        #expect(cache.usedBytes <= 520)
        guard case .miss = cache.lookup(key(2)) else { Issue.record("2 should be evicted"); return }
        guard case .hit = cache.lookup(key(1)) else { Issue.record("1 should stay"); return }
        guard case .hit = cache.lookup(key(4)) else { Issue.record("4 should stay"); return }
    }

    @Test func zeroCapacityCachesNothing() {
        let cache = PredictionCache(capacityBytes: 0)
        cache.begin(key(1), task: task())
        cache.complete(key(1), .success([1]))
        guard case .miss = cache.lookup(key(1)) else { Issue.record("disabled cache must miss"); return }
    }
}
