import Testing
@testable import Cutter

struct AIMDBatchSizerTests {
    /// A model whose batch latency is fixed + per-item cost: the best batch size under a target
    /// is (target - fixed) / perItem.
    private func converge(fixed: Double, perItem: Double, target: Double, rounds: Int = 2000) -> [Int] {
        var sizer = AIMDBatchSizer(upperBound: 1000)
        var sizes: [Int] = []
        for _ in 0..<rounds {
            let size = sizer.batchSize
            sizer.observe(size: size, latency: fixed + perItem * Double(size), target: target)
            sizes.append(size)
        }
        return sizes
    }

    @Test func convergesJustBelowTheLargestBatchThatMeetsTheTarget() {
        // 2 ms + 0.1 ms per item under 10 ms: at most 80 items.
        let sizes = converge(fixed: 2, perItem: 0.1, target: 10)
        let settled = sizes.suffix(500)
        #expect(settled.max()! <= 81)
        #expect(settled.min()! >= 70)
        // Latency of settled batches exceeds the target only on the probing step.
        let misses = settled.filter { 2 + 0.1 * Double($0) > 10 }.count
        #expect(misses < settled.count / 5)
    }

    @Test func backsOffByTenPercentWhenABatchMissesTheTarget() {
        var sizer = AIMDBatchSizer(initial: 50, upperBound: 100)
        sizer.observe(size: 50, latency: 20, target: 10)
        #expect(sizer.batchSize == 45)
        sizer.observe(size: 45, latency: 5, target: 10)
        #expect(sizer.batchSize == 46)
    }

    @Test func partialBatchesDoNotGrowTheSize() {
        var sizer = AIMDBatchSizer(initial: 10, upperBound: 100)
        sizer.observe(size: 3, latency: 1, target: 10)
        #expect(sizer.batchSize == 10)
    }

    @Test func staysWithinBounds() {
        var sizer = AIMDBatchSizer(upperBound: 4)
        for _ in 0..<10 { sizer.observe(size: sizer.batchSize, latency: 0, target: 1) }
        #expect(sizer.batchSize == 4)
        for _ in 0..<50 { sizer.observe(size: sizer.batchSize, latency: 5, target: 1) }
        #expect(sizer.batchSize == 1)
    }

    @Test func followsAModelThatSlowsDown() {
        var sizer = AIMDBatchSizer(upperBound: 1000)
        for _ in 0..<500 { sizer.observe(size: sizer.batchSize, latency: 0.1 * Double(sizer.batchSize), target: 10) }
        #expect(sizer.batchSize >= 90)
        for _ in 0..<500 { sizer.observe(size: sizer.batchSize, latency: 1.0 * Double(sizer.batchSize), target: 10) }
        #expect(sizer.batchSize <= 10)
    }
}
