import Foundation

/// Small helpers to write JSON text by hand on the hot path, where Foundation's encoder costs
/// more than the whole request budget.
public enum JSONText {
    /// `text` as a JSON string literal, quoted and escaped.
    public static func quote(_ text: String) -> String {
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

    /// The JSON value for a model output or default output, as Clipper renders it: the text
    /// itself when it is valid JSON (`"0.7"` → `0.7`, `"[1,2]"` → an array), else a JSON string.
    public static func outputValue(_ text: String) -> String {
        if isJSONNumber(text.utf8) { return text }
        if let first = text.utf8.first, first == UInt8(ascii: "[") || first == UInt8(ascii: "{") || first == UInt8(ascii: "\"")
            || text == "true" || text == "false" || text == "null",
           (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) != nil {
            return text
        }
        return quote(text)
    }

    /// Appends `output` (a model's UTF-8 output) as `outputValue` renders it.
    public static func appendOutputValue(_ output: [UInt8], to body: inout [UInt8]) {
        if isJSONNumber(output) {
            body += output
        } else {
            body += outputValue(String(decoding: output, as: UTF8.self)).utf8
        }
    }

    /// Whether `bytes` is exactly one JSON number (RFC 8259 grammar); the common model output,
    /// checked without Foundation.
    static func isJSONNumber<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Bool {
        var index = bytes.startIndex
        func peek() -> UInt8? { index < bytes.endIndex ? bytes[index] : nil }
        func digits() -> Int {
            var count = 0
            while let byte = peek(), byte >= 0x30 && byte <= 0x39 { count += 1; index = bytes.index(after: index) }
            return count
        }
        if peek() == UInt8(ascii: "-") { index = bytes.index(after: index) }
        if peek() == UInt8(ascii: "0") {
            index = bytes.index(after: index)
        } else if digits() == 0 {
            return false
        }
        if peek() == UInt8(ascii: ".") {
            index = bytes.index(after: index)
            if digits() == 0 { return false }
        }
        if let byte = peek(), byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            index = bytes.index(after: index)
            if let sign = peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { index = bytes.index(after: index) }
            if digits() == 0 { return false }
        }
        return index == bytes.endIndex
    }
}
