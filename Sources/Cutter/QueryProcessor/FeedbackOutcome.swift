/// What one feedback call did.
enum FeedbackOutcome: Equatable {
    /// The application's policy learns nothing (Clipper's default policy).
    case ignored(reason: String)
    /// The losses of the models that answered were applied and stored; the new weights of the
    /// application's models, in their order, and the state's feedback count.
    case applied(losses: [ScoredModel], weights: [ScoredModel], feedbackCount: Int)

    /// A model and a number about it.
    struct ScoredModel: Equatable {
        let model: String
        let value: Double
    }
}
