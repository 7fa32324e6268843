/// Clipper's model selection interface (paper §5): choose the models a query goes to, combine
/// their outputs into one answer with a confidence, and learn from feedback.
///
/// Policies are stateless; their state is a `SelectionState` per application and context key,
/// kept by `SelectionStateStore`.
protocol SelectionPolicy: Sendable {
    /// The models to ask for one query, from the application's linked `models`.
    func select(_ state: SelectionState, models: [String], random: inout some RandomNumberGenerator) -> [String]

    /// One answer from the outputs that arrived (`outputs` in the order of `asked`, nil when missing).
    func combine(_ state: SelectionState, asked: [String], outputs: [[UInt8]?]) -> Combination

    /// The models whose outputs feedback is scored on, each with the probability it had of being
    /// chosen (for importance weighting).
    func feedbackModels(_ state: SelectionState, models: [String], random: inout some RandomNumberGenerator) -> [(model: String, probability: Double)]

    /// Log-weight increments for the losses of the models that answered.
    func update(losses: [(model: String, probability: Double, loss: Double)]) -> [String: Double]
}
