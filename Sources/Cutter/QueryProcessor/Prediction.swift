/// The answer to one input of a predict query, before it is rendered.
struct Prediction: Equatable {
    /// Clipper's explanations, kept word for word (applications match on them).
    static let noModelExplanation = "No connected models found for query"
    static let timeoutExplanation = "Failed to retrieve a prediction response within the specified latency SLO"

    let queryID: Int
    /// The model output chosen, or nil when the answer is the application's default output.
    let output: [UInt8]?
    /// Why the default was answered; nil when `output` is set.
    let defaultExplanation: String?
    /// The policy's confidence, for policies that report one.
    let confidence: Double?
    /// The models whose outputs formed the answer.
    let models: ArraySlice<String>
}
