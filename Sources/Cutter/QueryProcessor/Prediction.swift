/// The answer to one input of a predict query, before it is rendered.
struct Prediction: Equatable {
    let queryID: Int
    /// The model output chosen, or nil when the answer is the application's default output.
    let output: [UInt8]?
    /// Why the default was answered; nil when `output` is set.
    let defaultReason: DefaultReason?
    /// The policy's confidence, for policies that report one.
    let confidence: Double?
    /// The models whose outputs formed the answer.
    let models: ArraySlice<String>
}
