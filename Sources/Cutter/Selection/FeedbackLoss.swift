/// How a model's output is scored against a feedback label, as a loss in [0, 1].
public enum FeedbackLoss: String, Sendable, CaseIterable {
    /// 1 unless the output equals the label (labels may be strings or numbers).
    case zeroOne = "zero_one"
    /// |label - output|, capped at 1 (numeric outputs).
    case absolute
    /// (label - output)², capped at 1 (numeric outputs).
    case squared

    /// The loss of `output` (the model's raw output text) against `label`. An output that is not
    /// a number where a number is needed costs the full loss.
    public func loss(label: JSONValue, output: [UInt8]) -> Double {
        let text = String(decoding: output, as: UTF8.self)
        switch (self, label) {
        case (.zeroOne, .number(let expected, _)):
            guard let value = Self.number(text) else { return 1 }
            return abs(value - expected) <= 1e-9 * max(1, abs(expected)) ? 0 : 1
        case (.zeroOne, .string(let expected)):
            return text == expected || Self.unquoted(text) == expected ? 0 : 1
        case (.zeroOne, .bool(let expected)):
            return text == String(expected) ? 0 : 1
        case (.absolute, .number(let expected, _)):
            guard let value = Self.number(text) else { return 1 }
            return min(1, abs(value - expected))
        case (.squared, .number(let expected, _)):
            guard let value = Self.number(text) else { return 1 }
            return min(1, (value - expected) * (value - expected))
        default:
            return 1
        }
    }

    static func number(_ text: String) -> Double? {
        Double(text.trimmingCharacters(in: .whitespaces)).flatMap { $0.isFinite ? $0 : nil }
    }

    /// A JSON string literal's content ("\"cat\"" -> "cat"), nil when not one.
    static func unquoted(_ text: String) -> String? {
        guard text.hasPrefix("\""), case .string(let inner)? = try? JSONParser.parse(Array(text.utf8)) else { return nil }
        return inner
    }
}

import Foundation
