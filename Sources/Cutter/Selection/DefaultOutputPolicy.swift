/// Clipper's only released policy: the one linked model answers; nothing is learned.
public struct DefaultOutputPolicy: SelectionPolicy {
    public init() {}
    public var name: String { SelectionPolicyName.defaultOutput }

    public func select(_ state: SelectionState, models: [String], random: inout some RandomNumberGenerator) -> [String] {
        models.count <= 1 ? models : Array(models.prefix(1))
    }

    public func combine(_ state: SelectionState, asked: [String], outputs: [[UInt8]?]) -> Combination {
        guard let index = outputs.firstIndex(where: { $0 != nil }) else { return Combination(output: nil, confidence: 0, models: []) }
        return Combination(output: outputs[index], confidence: 1, models: asked[index...index])
    }

    public func feedbackModels(_ state: SelectionState, models: [String], random: inout some RandomNumberGenerator) -> [(model: String, probability: Double)] {
        []
    }

    public func update(losses: [(model: String, probability: Double, loss: Double)]) -> [String: Double] { [:] }
}
