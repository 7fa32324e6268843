/// Clipper's only released policy: the one linked model answers; nothing is learned.
struct DefaultOutputPolicy: SelectionPolicy {

    func select(_ state: SelectionState, models: [String], random: inout some RandomNumberGenerator) -> [String] {
        models.count <= 1 ? models : Array(models.prefix(1))
    }

    func combine(_ state: SelectionState, asked: [String], outputs: [[UInt8]?]) -> Combination {
        .first(asked: asked, outputs: outputs)
    }

    func feedbackModels(_ state: SelectionState, models: [String], random: inout some RandomNumberGenerator) -> [(model: String, probability: Double)] {
        []
    }

    func update(losses: [(model: String, probability: Double, loss: Double)]) -> [String: Double] { [:] }
}
