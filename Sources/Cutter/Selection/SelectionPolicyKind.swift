/// The selection policies an application can name in add_app's `policy` field, resolved once
/// per application record (`ApplicationRecord.policy`), never compared as text on a query.
enum SelectionPolicyKind: String, CaseIterable, Sendable {
    /// Clipper's only released policy: one model, its default output on timeout.
    case defaultOutput = "DefaultOutputSelectionPolicy"
    case exp3 = "Exp3Policy"
    case exp4 = "Exp4Policy"

    /// The policy's behaviour.
    var policy: any SelectionPolicy {
        switch self {
        case .defaultOutput: DefaultOutputPolicy()
        case .exp3: Exp3Policy()
        case .exp4: Exp4Policy()
        }
    }

    /// Whether feedback changes anything (the bandits), so its state must be read and kept.
    var learnsFromFeedback: Bool { self != .defaultOutput }

    /// Whether replies carry a confidence and the answering models (the bandits).
    var reportsConfidence: Bool { self != .defaultOutput }

    /// Whether an application may link several models (the bandits combine or choose among them).
    var allowsSeveralModels: Bool { self != .defaultOutput }
}
