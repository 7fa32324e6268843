/// Why an input was answered with the application's default output: the explanation a client
/// reads and the `reason` label of `cutter_app_defaults_total`.
enum DefaultReason: Equatable, Sendable {
    /// No model linked, or no replica of it connected.
    case noModel
    /// The deadline passed before enough models answered.
    case timeout
    /// The model failed on the input (its container said so).
    case modelFailed(String)
    /// The combined answer was less confident than the application's threshold.
    case lowConfidence(confidence: Double, threshold: Double)
    /// By the models' latency profiles it could not have been answered in time: shed for load.
    case shed
    /// Every replica of the model stopped answering.
    case unresponsive

    /// Clipper's explanations, kept word for word (applications match on them), then Cutter's.
    var explanation: String {
        switch self {
        case .noModel: "No connected models found for query"
        case .timeout: "Failed to retrieve a prediction response within the specified latency SLO"
        case .modelFailed(let reason): "The model failed on this input: \(reason)"
        case .lowConfidence(let confidence, let threshold):
            "Confidence \(JSONText.rounded(confidence)) is below the application's threshold \(JSONText.rounded(threshold))"
        case .shed: "Shed for load: by its latency profile the model could not have answered before the latency SLO"
        case .unresponsive: "The model's replicas stopped answering; none could take the query"
        }
    }

    /// The metric label.
    var label: String {
        switch self {
        case .noModel: "no_model"
        case .timeout: "timeout"
        case .modelFailed: "model_failed"
        case .lowConfidence: "low_confidence"
        case .shed: "shed"
        case .unresponsive: "unresponsive"
        }
    }
}
