/// Exp4 (Clipper paper §5.2): every query goes to all linked models; their outputs are combined
/// by weighted vote, and the confidence is the weight share of the winning answer over all
/// linked models, so a model that did not answer in time (a straggler) lowers it. Feedback scores
/// every model and updates each weight by w_i ← w_i · exp(-η · L_i).
struct Exp4Policy: SelectionPolicy {
    /// Learning rate η.
    let learningRate: Double

    init(learningRate: Double = 0.1) {
        self.learningRate = learningRate
    }

    func select(_ state: SelectionState, models: [String], random: inout some RandomNumberGenerator) -> [String] {
        models
    }

    func combine(_ state: SelectionState, asked: [String], outputs: [[UInt8]?]) -> Combination {
        let weights = state.weights(of: asked)
        var votes: [Vote: (weight: Double, output: [UInt8], models: [String])] = [:]
        var order: [Vote] = []
        for (index, output) in outputs.enumerated() {
            guard let output else { continue }
            let vote = Vote(output)
            if votes[vote] == nil { order.append(vote); votes[vote] = (0, output, []) }
            votes[vote]!.weight += weights[index]
            votes[vote]!.models.append(asked[index])
        }
        guard let winner = order.max(by: { votes[$0]!.weight < votes[$1]!.weight }) else { return .none }
        let vote = votes[winner]!
        return Combination(output: vote.output, confidence: min(1, vote.weight), models: vote.models[...])
    }

    /// What an output votes for: two outputs are one vote when both are JSON numbers of equal
    /// value ("1", "1.0" and "1e0"), or else when their bytes are equal.
    enum Vote: Hashable {
        case number(Double)
        case bytes([UInt8])

        init(_ output: [UInt8]) {
            self = JSONNumber.value(of: output).map(Vote.number) ?? .bytes(output)
        }
    }

    func feedbackModels(_ state: SelectionState, models: [String], random: inout some RandomNumberGenerator) -> [(model: String, probability: Double)] {
        models.map { (model: $0, probability: 1) }
    }

    func update(losses: [(model: String, probability: Double, loss: Double)]) -> [String: Double] {
        Dictionary(losses.map { ($0.model, -learningRate * $0.loss) }, uniquingKeysWith: +)
    }
}
