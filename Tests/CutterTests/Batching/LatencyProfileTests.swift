import Testing
@testable import Cutter

struct LatencyProfileTests {
    /// 1 ms + 0.05 ms per input, with ±10 % noise from a seeded generator.
    private func sleepModel(_ size: Int, _ random: inout SplitMix64) -> UInt64 {
        let base = 1_000_000.0 + 50_000.0 * Double(size)
        return UInt64(base * Double.random(in: 0.9...1.1, using: &random))
    }

    @Test func isNotUsedBeforeAFewBatches() {
        var profile = LatencyProfile()
        for _ in 1..<LatencyProfile.minimumObservations { profile.observe(size: 4, latency: 1_000_000) }
        #expect(!profile.isReady)
        profile.observe(size: 4, latency: 1_000_000)
        #expect(profile.isReady)
    }

    @Test func oneSizeSeenIsExtrapolatedInProportion() {
        var profile = LatencyProfile()
        for _ in 0..<10 { profile.observe(size: 2, latency: 2_000_000) }
        // Cautious until other sizes are seen: twice the inputs, twice the time.
        #expect(abs(profile.p99(4) - profile.margin - 4_000_000) < 1)
    }

    @Test func learnsTheLineAndAHighQuantileAboveIt() {
        var random = SplitMix64(seed: 5)
        var profile = LatencyProfile()
        for _ in 0..<3000 {
            let size = Int.random(in: 1...64, using: &random)
            profile.observe(size: size, latency: sleepModel(size, &random))
        }
        #expect(abs(profile.slope - 50_000) < 5_000, "slope \(profile.slope)")
        #expect(abs(profile.intercept - 1_000_000) < 200_000, "intercept \(profile.intercept)")
        // About 1 % of fresh batches land above p99.
        var above = 0
        for _ in 0..<10_000 {
            let size = Int.random(in: 1...64, using: &random)
            if Double(sleepModel(size, &random)) > profile.p99(size) { above += 1 }
        }
        #expect(above > 0 && above < 300, "\(above) of 10,000 above the p99")
    }

    @Test func followsAModelThatSlowsDown() {
        var random = SplitMix64(seed: 9)
        var profile = LatencyProfile()
        for _ in 0..<1000 {
            let size = Int.random(in: 1...64, using: &random)
            profile.observe(size: size, latency: sleepModel(size, &random))
        }
        let before = profile.p99(32)
        for _ in 0..<1000 {
            let size = Int.random(in: 1...64, using: &random)
            profile.observe(size: size, latency: 2 * sleepModel(size, &random))
        }
        #expect(profile.p99(32) > 1.8 * before, "p99(32) \(before) → \(profile.p99(32))")
    }

    @Test func theLargestBatchFitsTheBudget() {
        var profile = LatencyProfile()
        for size in [1, 2, 3, 4, 1, 2, 3, 4] { profile.observe(size: size, latency: UInt64(1_000_000 + 100_000 * size)) }
        let budget = 3_000_000.0
        let size = profile.largestBatch(within: budget, bound: 64)
        #expect(profile.p99(size) <= budget && profile.p99(size + 1) > budget, "size \(size)")
        #expect(profile.largestBatch(within: budget, bound: 5) == min(size, 5))
        #expect(profile.largestBatch(within: 500_000, bound: 64) == 0, "not even one input fits")
    }
}
