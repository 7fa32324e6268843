/// Cutter's one number grammar, RFC 8259's: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
/// The request parser, the rendering of model outputs, Exp4's votes and the feedback losses all
/// use it, so "1" and "1.0" are the same number everywhere and "0x10", " 1" or "inf" are never one.
enum JSONNumber {
    /// Scans the number starting at `start`: its end and whether it was written as an integer,
    /// or nil when no number starts there.
    static func scan<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes, from start: Bytes.Index)
        -> (end: Bytes.Index, isInteger: Bool)? {
        var index = start
        var isInteger = true
        func at(_ i: Bytes.Index) -> UInt8? { i < bytes.endIndex ? bytes[i] : nil }
        func isDigit(_ byte: UInt8?) -> Bool { byte.map { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } ?? false }
        func skipDigits() -> Int {
            var count = 0
            while isDigit(at(index)) { index = bytes.index(after: index); count += 1 }
            return count
        }
        if at(index) == UInt8(ascii: "-") { index = bytes.index(after: index) }
        if at(index) == UInt8(ascii: "0") {
            index = bytes.index(after: index)
        } else if skipDigits() == 0 {
            return nil
        }
        if at(index) == UInt8(ascii: ".") {
            isInteger = false
            index = bytes.index(after: index)
            guard skipDigits() > 0 else { return nil }
        }
        if at(index) == UInt8(ascii: "e") || at(index) == UInt8(ascii: "E") {
            isInteger = false
            index = bytes.index(after: index)
            if at(index) == UInt8(ascii: "+") || at(index) == UInt8(ascii: "-") { index = bytes.index(after: index) }
            guard skipDigits() > 0 else { return nil }
        }
        return (index, isInteger)
    }

    /// Whether `bytes` are exactly one JSON number (no whitespace around it).
    static func isNumber<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes) -> Bool {
        scan(bytes, from: bytes.startIndex)?.end == bytes.endIndex
    }

    /// The value of `bytes` when they are exactly one JSON number of finite value, else nil.
    static func value(of bytes: [UInt8]) -> Double? {
        guard isNumber(bytes) else { return nil }
        return value(ofScanned: bytes[...])
    }

    /// The value of text already scanned as a number; nil when it overflows a Double.
    static func value(ofScanned text: ArraySlice<UInt8>) -> Double? {
        if let value = fastDouble(text) { return value }
        guard let value = Double(String(decoding: text, as: UTF8.self)), value.isFinite else { return nil }
        return value
    }

    private static let powersOfTen: [Double] = (0...22).map { exponent in (0..<exponent).reduce(1.0) { value, _ in value * 10 } }

    /// Clinger's fast path: a number with at most 15 significant digits and a small decimal
    /// exponent is an exact integer times or divided by an exact power of ten, so one IEEE
    /// operation rounds it correctly. Covers the usual model input without building a String
    /// for strtod. Nil when the fast path does not apply.
    static func fastDouble(_ text: ArraySlice<UInt8>) -> Double? {
        var mantissa: UInt64 = 0
        var digits = 0
        var scale = 0
        var exponent = 0
        var negative = false
        var index = text.startIndex
        if text[index] == UInt8(ascii: "-") { negative = true; index += 1 }
        var seenDot = false
        while index < text.endIndex {
            let byte = text[index]
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                if mantissa != 0 || byte != UInt8(ascii: "0") { digits += 1 }
                guard digits <= 15 else { return nil }
                mantissa = mantissa * 10 + UInt64(byte - UInt8(ascii: "0"))
                if seenDot { scale += 1 }
            } else if byte == UInt8(ascii: ".") {
                seenDot = true
            } else {
                break
            }
            index += 1
        }
        if index < text.endIndex {  // exponent
            index += 1
            var exponentNegative = false
            if text[index] == UInt8(ascii: "+") || text[index] == UInt8(ascii: "-") {
                exponentNegative = text[index] == UInt8(ascii: "-")
                index += 1
            }
            while index < text.endIndex {
                exponent = exponent * 10 + Int(text[index] - UInt8(ascii: "0"))
                guard exponent < 1000 else { return nil }
                index += 1
            }
            if exponentNegative { exponent = -exponent }
        }
        let power = exponent - scale
        guard abs(power) <= 22 else { return nil }
        var value = Double(mantissa)
        value = power < 0 ? value / powersOfTen[-power] : value * powersOfTen[power]
        return negative ? -value : value
    }
}
