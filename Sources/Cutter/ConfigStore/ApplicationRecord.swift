import ClipperRPC

/// An application (DB5 hash).
struct ApplicationRecord: Equatable, Sendable {
    var name: String
    var inputType: InputType
    var defaultOutput: String
    var latencySLOMicros: Int
    /// The `policy` field as stored (a Redis script may have written a name Cutter does not know).
    private(set) var policyName: String
    /// The policy `policyName` names, resolved once here; nil when unknown (queries then get
    /// Clipper's "invalid selection_policy" error).
    private(set) var policy: SelectionPolicyKind?
    /// How feedback labels score model outputs (Cutter's field; Clipper ignores it).
    var feedbackLoss: FeedbackLoss
    /// Answers less confident than this get the default output (Cutter's field; 0 = off).
    var confidenceThreshold: Double

    init(name: String, inputType: InputType, defaultOutput: String, latencySLOMicros: Int,
         policy: SelectionPolicyKind = .defaultOutput, feedbackLoss: FeedbackLoss = .zeroOne, confidenceThreshold: Double = 0) {
        self.name = name
        self.inputType = inputType
        self.defaultOutput = defaultOutput
        self.latencySLOMicros = latencySLOMicros
        self.policy = policy
        policyName = policy.rawValue
        self.feedbackLoss = feedbackLoss
        self.confidenceThreshold = confidenceThreshold
    }

    /// Reads the hash fields; nil when a required field is missing or invalid.
    init?(name: String, fields: [String: String]) {
        guard let typeName = fields["input_type"], let inputType = InputType(spelling: typeName),
              let slo = fields["latency_slo_micros"].flatMap({ Int($0) }), slo > 0, slo <= Int(Int32.max) else { return nil }
        self.init(name: name, inputType: inputType, defaultOutput: fields["default_output"] ?? "", latencySLOMicros: slo,
                  feedbackLoss: fields["feedback_loss"].flatMap(FeedbackLoss.init(rawValue:)) ?? .zeroOne,
                  confidenceThreshold: fields["confidence_threshold"].flatMap(Double.init) ?? 0)
        let name = fields["policy"] ?? SelectionPolicyKind.defaultOutput.rawValue
        policy = SelectionPolicyKind(rawValue: name)
        policyName = name
    }

    /// The hash fields in Clipper's spelling; Cutter's own fields only when not at their default,
    /// so a Clipper-style app reads back exactly as Clipper wrote it.
    var fields: [(String, String)] {
        var result = [("input_type", inputType.canonicalName), ("policy", policyName), ("default_output", defaultOutput),
                      ("latency_slo_micros", String(latencySLOMicros))]
        if feedbackLoss != .zeroOne { result.append(("feedback_loss", feedbackLoss.rawValue)) }
        if confidenceThreshold > 0 { result.append(("confidence_threshold", String(confidenceThreshold))) }
        return result
    }
}
