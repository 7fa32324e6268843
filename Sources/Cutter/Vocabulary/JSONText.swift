import Foundation

/// Writes JSON text by hand on the hot path, where Foundation's encoder costs more than the
/// whole request budget.
enum JSONText {
    /// `text` as a JSON string literal, quoted and escaped.
    static func quote(_ text: String) -> String {
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
        return out
    }

    /// Appends a model output or default output as Clipper renders it: the text itself when it
    /// is one valid JSON value (`6.0` → `6.0`, `[1,2]` → an array), else as a JSON string.
    static func appendOutputValue(_ output: [UInt8], to body: inout [UInt8]) {
        if isJSONValue(output) {
            body += output
        } else {
            body += quote(String(decoding: output, as: UTF8.self)).utf8
        }
    }

    /// Whether `bytes` are one JSON value. Numbers, the usual model output, are checked with the
    /// number grammar alone; other texts that could be JSON go through the parser.
    private static func isJSONValue(_ bytes: [UInt8]) -> Bool {
        guard let first = bytes.first else { return false }
        if JSONNumber.isNumber(bytes) { return true }
        switch first {
        case UInt8(ascii: "["), UInt8(ascii: "{"), UInt8(ascii: "\""), UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            // Whitespace around the value would be kept verbatim; refuse it so the reply stays tidy.
            guard let last = bytes.last, last > 0x20 else { return false }
            return (try? JSONParser.parse(bytes)) != nil
        default:
            return false
        }
    }
}

extension JSONText {
    /// A share or weight rounded to 4 decimals, as replies and messages show it ("0.75", "1.0").
    static func rounded(_ value: Double) -> String {
        let rounded = (value * 10_000).rounded() / 10_000
        return rounded == rounded.rounded() ? String(format: "%.1f", rounded) : String(rounded)
    }
}
