/// Clipper's model selection interface (paper §5): choose the models a query goes to, combine
/// their outputs into one answer with a confidence, and learn from feedback.
///
/// Policies are stateless; their state is a `SelectionState` per application and context key,
/// kept by `SelectionStateStore`.
public protocol SelectionPolicy: Sendable {
    /// The name stored in the application's `policy` field.
    var name: String { get }

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

/// A combined answer.
public struct Combination: Equatable, Sendable {
    /// The chosen output; nil means "use the default output".
    public var output: [UInt8]?
    /// Agreement in [0, 1]: the weight share of the models behind `output`.
    public var confidence: Double
    /// The models whose outputs formed the answer.
    public var models: ArraySlice<String>

    public init(output: [UInt8]?, confidence: Double, models: ArraySlice<String>) {
        self.output = output
        self.confidence = confidence
        self.models = models
    }
}

/// The policies by name.
public enum SelectionPolicies {
    public static func policy(named name: String) -> (any SelectionPolicy)? {
        switch name {
        case SelectionPolicyName.defaultOutput: DefaultOutputPolicy()
        case SelectionPolicyName.exp3: Exp3Policy()
        case SelectionPolicyName.exp4: Exp4Policy()
        default: nil
        }
    }
}
