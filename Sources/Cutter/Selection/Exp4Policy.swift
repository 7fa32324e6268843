/// Exp4 (Clipper paper §5.2): every query goes to all linked models; their outputs are combined
/// by weighted vote, and the confidence is the weight share of the winning answer over all
/// linked models, so a model that did not answer in time (a straggler) lowers it. Feedback scores
/// every model and updates each weight by w_i ← w_i · exp(-η · L_i).
public struct Exp4Policy: SelectionPolicy {
    /// Learning rate η.
    public let learningRate: Double

    public init(learningRate: Double = 0.1) {
        self.learningRate = learningRate
    }

    public var name: String { SelectionPolicyName.exp4 }

    public func select(_ state: SelectionState, models: [String], random: inout some RandomNumberGenerator) -> [String] {
        models
    }

    public func combine(_ state: SelectionState, asked: [String], outputs: [[UInt8]?]) -> Combination {
        let weights = state.weights(of: asked)
        // Votes are grouped by meaning: "1", "1.0" and "1e0" are one answer.
        var votes: [String: (weight: Double, output: [UInt8], models: [String])] = [:]
        var order: [String] = []
        for (index, output) in outputs.enumerated() {
            guard let output else { continue }
            let key = Self.voteKey(output)
            if votes[key] == nil { order.append(key); votes[key] = (0, output, []) }
            votes[key]!.weight += weights[index]
            votes[key]!.models.append(asked[index])
        }
        guard let winner = order.max(by: { votes[$0]!.weight < votes[$1]!.weight }) else {
            return Combination(output: nil, confidence: 0, models: [])
        }
        let vote = votes[winner]!
        return Combination(output: vote.output, confidence: min(1, vote.weight), models: vote.models[...])
    }

    static func voteKey(_ output: [UInt8]) -> String {
        let text = String(decoding: output, as: UTF8.self)
        if let number = FeedbackLoss.number(text) { return "n:\(number)" }
        return "s:" + (FeedbackLoss.unquoted(text) ?? text)
    }

    public func feedbackModels(_ state: SelectionState, models: [String], random: inout some RandomNumberGenerator) -> [(model: String, probability: Double)] {
        models.map { (model: $0, probability: 1) }
    }

    public func update(losses: [(model: String, probability: Double, loss: Double)]) -> [String: Double] {
        Dictionary(losses.map { ($0.model, -learningRate * $0.loss) }, uniquingKeysWith: +)
    }
}
