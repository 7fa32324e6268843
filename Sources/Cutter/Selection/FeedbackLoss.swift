/// How a model's output is scored against a feedback label, as a loss in [0, 1].
enum FeedbackLoss: String, Sendable, CaseIterable {
    /// 1 unless the output equals the label (labels may be strings or numbers).
    case zeroOne = "zero_one"
    /// |label - output|, capped at 1 (numeric outputs).
    case absolute
    /// (label - output)², capped at 1 (numeric outputs).
    case squared

    /// The loss of `output` (the model's raw output text) against `label`. An output that is not
    /// a number where a number is needed costs the full loss.
    func loss(label: JSONValue, output: [UInt8]) -> Double {
        switch (self, label) {
        case (.zeroOne, .number(let expected, _)):
            guard let value = JSONNumber.value(of: output) else { return 1 }
            return abs(value - expected) <= 1e-9 * max(1, abs(expected)) ? 0 : 1
        case (.zeroOne, .string(let expected)):
            // A model's text output, bare or as a JSON string literal ("cat" or "\"cat\"").
            if output.elementsEqual(expected.utf8) { return 0 }
            guard output.first == UInt8(ascii: "\""), case .string(let inner)? = try? JSONParser.parse(output) else { return 1 }
            return inner == expected ? 0 : 1
        case (.zeroOne, .bool(let expected)):
            return output.elementsEqual((expected ? "true" : "false").utf8) ? 0 : 1
        case (.absolute, .number(let expected, _)):
            guard let value = JSONNumber.value(of: output) else { return 1 }
            return min(1, abs(value - expected))
        case (.squared, .number(let expected, _)):
            guard let value = JSONNumber.value(of: output) else { return 1 }
            return min(1, (value - expected) * (value - expected))
        default:
            return 1
        }
    }
}
