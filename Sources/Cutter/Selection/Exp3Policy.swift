/// Exp3 (Auer et al.; Clipper paper §5.1): each query goes to one model, drawn with probability
/// p_i = (1 - γ) w_i / Σw + γ / K; feedback scores the drawn model only and updates its weight
/// by w_i ← w_i · exp(-η · L / p_i), the importance-weighted loss. The γ floor keeps every model
/// explored, so one that improves is noticed.
struct Exp3Policy: SelectionPolicy {
    /// Learning rate η.
    let learningRate: Double
    /// Exploration share γ.
    let exploration: Double

    init(learningRate: Double = 0.1, exploration: Double = 0.05) {
        self.learningRate = learningRate
        self.exploration = exploration
    }

    /// Each model's probability of being drawn.
    func probabilities(_ state: SelectionState, models: [String]) -> [Double] {
        let k = Double(models.count)
        return state.weights(of: models).map { (1 - exploration) * $0 + exploration / k }
    }

    private func draw(_ state: SelectionState, models: [String], random: inout some RandomNumberGenerator) -> (String, Double)? {
        guard !models.isEmpty else { return nil }
        let probabilities = probabilities(state, models: models)
        var point = Double.random(in: 0..<1, using: &random)
        for (model, probability) in zip(models, probabilities) {
            if point < probability { return (model, probability) }
            point -= probability
        }
        return (models[models.count - 1], probabilities[models.count - 1])
    }

    func select(_ state: SelectionState, models: [String], random: inout some RandomNumberGenerator) -> [String] {
        draw(state, models: models, random: &random).map { [$0.0] } ?? []
    }

    func combine(_ state: SelectionState, asked: [String], outputs: [[UInt8]?]) -> Combination {
        .first(asked: asked, outputs: outputs)
    }

    func feedbackModels(_ state: SelectionState, models: [String], random: inout some RandomNumberGenerator) -> [(model: String, probability: Double)] {
        draw(state, models: models, random: &random).map { [(model: $0.0, probability: $0.1)] } ?? []
    }

    func update(losses: [(model: String, probability: Double, loss: Double)]) -> [String: Double] {
        Dictionary(losses.map { ($0.model, -learningRate * $0.loss / max($0.probability, 1e-6)) }, uniquingKeysWith: +)
    }
}
