import ClipperRPC

/// An application as get_application and get_all_applications (verbose) describe it: Clipper's
/// fields, Cutter's `feedback_loss` and `confidence_threshold`, and the linked models.
struct ApplicationDescription: Encodable {
    let name: String
    let inputType: String
    let defaultOutput: String
    let latencySLOMicros: Int
    /// The stored policy name, as written (possibly one Cutter does not know).
    let policy: String
    let feedbackLoss: String
    let confidenceThreshold: Double
    /// Sorted.
    let linkedModels: [String]

    enum CodingKeys: String, CodingKey {
        case name
        case inputType = "input_type"
        case defaultOutput = "default_output"
        case latencySLOMicros = "latency_slo_micros"
        case policy
        case feedbackLoss = "feedback_loss"
        case confidenceThreshold = "confidence_threshold"
        case linkedModels = "linked_models"
    }

    init(_ application: ApplicationRecord, linkedModels: [String]) {
        name = application.name
        inputType = application.inputType.canonicalName
        defaultOutput = application.defaultOutput
        latencySLOMicros = application.latencySLOMicros
        policy = application.policyName
        feedbackLoss = application.feedbackLoss.rawValue
        confidenceThreshold = application.confidenceThreshold
        self.linkedModels = linkedModels.sorted()
    }
}
