import Testing
@testable import Cutter

struct ModelNamePatternTests {
    @Test func globsAndAlternatives() {
        let pattern = ModelNamePattern("fraud-*, sum ,v?")
        for name in ["fraud-", "fraud-detector", "sum", "v1", "vx"] { #expect(pattern.matches(name), "\(name)") }
        for name in ["fraud", "sums", "v12", "summer", "", "xfraud-1"] { #expect(!pattern.matches(name), "\(name)") }
    }

    @Test func starsBacktrack() {
        #expect(ModelNamePattern("*a*b").matches("xxaxxab"))
        #expect(!ModelNamePattern("*a*b").matches("xxaxxa"))
        #expect(ModelNamePattern("*").matches("anything"))
    }
}
