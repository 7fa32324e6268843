/// One answer formed by a selection policy from the outputs that arrived.
struct Combination: Equatable, Sendable {
    /// The chosen output; nil means "use the default output".
    var output: [UInt8]?
    /// Agreement in [0, 1]: the weight share of the models behind `output`.
    var confidence: Double
    /// The models whose outputs formed the answer.
    var models: ArraySlice<String>

    /// No output: every model asked failed or was late.
    static let none = Combination(output: nil, confidence: 0, models: [])

    /// The first output that arrived, with full confidence (the single-model policies).
    static func first(asked: [String], outputs: [[UInt8]?]) -> Combination {
        guard let index = outputs.firstIndex(where: { $0 != nil }) else { return .none }
        return Combination(output: outputs[index], confidence: 1, models: asked[index...index])
    }
}
