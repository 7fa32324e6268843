import Testing
@testable import Cutter

struct PredictionCacheTests {
    private func key(_ byte: UInt8, model: String = "m:1") -> PredictionCache.Key { .init(modelKey: model, input: [byte]) }

    @Test func missThenHitAfterStore() {
        let cache = PredictionCache(capacityBytes: 10_000)
        #expect(cache.output(for: key(1)) == nil)
        cache.store([42], for: key(1))
        #expect(cache.output(for: key(1)) == [42])
        #expect(cache.hits == 1 && cache.misses == 1)
    }

    @Test func keysCompareModelAndWholeInput() {
        let cache = PredictionCache(capacityBytes: 10_000)
        cache.store([1], for: key(1))
        #expect(cache.output(for: key(1, model: "m:2")) == nil, "another version must miss")
        #expect(cache.output(for: key(2)) == nil, "another input must miss")
        #expect(cache.output(for: .init(modelKey: "m:1", input: [1, 0])) == nil, "a longer input must miss")
    }

    @Test func evictsLeastRecentlyUsedWithinTheByteBound() {
        // Each entry costs key (3 + 1) + output (100) + 64 overhead = 168 bytes; 3 fit in 520.
        let cache = PredictionCache(capacityBytes: 520)
        for byte: UInt8 in 1...3 { cache.store([UInt8](repeating: byte, count: 100), for: key(byte)) }
        _ = cache.output(for: key(1))  // 1 is now the most recently used; 2 is the oldest
        cache.store([UInt8](repeating: 4, count: 100), for: key(4))
        #expect(cache.usedBytes == 3 * 168)
        #expect(cache.output(for: key(2)) == nil, "2 should be evicted")
        #expect(cache.output(for: key(1)) != nil, "1 should stay")
        #expect(cache.output(for: key(3)) != nil, "3 should stay")
        #expect(cache.output(for: key(4)) != nil, "4 should stay")
    }

    @Test func anOutputLargerThanTheCacheIsNotKept() {
        let cache = PredictionCache(capacityBytes: 100)
        cache.store([UInt8](repeating: 1, count: 200), for: key(1))
        #expect(cache.output(for: key(1)) == nil)
        #expect(cache.usedBytes == 0)
    }

    @Test func zeroCapacityCachesNothing() {
        let cache = PredictionCache(capacityBytes: 0)
        #expect(!cache.isEnabled)
        cache.store([1], for: key(1))
        #expect(cache.output(for: key(1)) == nil, "a disabled cache must miss")
    }
}
