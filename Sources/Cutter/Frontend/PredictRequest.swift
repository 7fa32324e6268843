import ClipperRPC
import Foundation

/// A decoded `POST /{app}/predict` body: the inputs in their RPC wire layout.
struct PredictRequest: Equatable, Sendable {
    /// Each input's bytes (float64/float32/int32 little-endian, UTF-8 text, or raw bytes).
    var inputs: [[UInt8]]
    /// Whether the body used `input_batch` (answered as `batch_predictions`).
    var isBatch: Bool
    /// The optional `uid` (selection context), 0 when absent.
    var uid: Int

    /// Largest `input_batch` accepted.
    static let maxBatch = 10_000

    /// Decodes `body` for an app whose input type is `type`. Numbers are accepted for `doubles`
    /// and `floats` whether written `1` or `1.0` (Clipper refused `1`, a common stumbling block);
    /// `integers` must be whole numbers within 32 bits.
    static func decode(_ body: [UInt8], type: InputType) throws(APIError) -> PredictRequest {
        var parser = JSONParser(bytes: body)
        do {
            return try decode(&parser, type: type)
        } catch let error as JSONParser.ParseError {
            throw jsonError("The body is not valid JSON: \(error).")
        } catch let error as APIError {
            throw error
        } catch {
            throw jsonError("\(error)")
        }
    }

    /// Walks the top-level object, encoding inputs straight from the bytes: numeric inputs never
    /// become `JSONValue` arrays (a measurable share of a cache hit, perf).
    private static func decode(_ parser: inout JSONParser, type: InputType) throws -> PredictRequest {
        guard parser.peek() == UInt8(ascii: "{") else {
            _ = try parser.parseValue()
            throw jsonError("The body must be a JSON object with \"input\" or \"input_batch\".")
        }
        try parser.expect(UInt8(ascii: "{"))
        var single: [UInt8]?
        var batch: [[UInt8]]?
        var uid = 0
        if parser.peek() != UInt8(ascii: "}") {
            repeat {
                guard parser.peek() == UInt8(ascii: "\"") else { throw parser.error("expected a key string") }
                let key = try parser.parseString()
                try parser.expect(UInt8(ascii: ":"))
                switch key {
                case "input":
                    single = try encodeInput(&parser, type: type, field: "input")
                case "input_batch":
                    guard parser.peek() == UInt8(ascii: "[") else {
                        throw typeError("input_batch", "an array of inputs", try parser.parseValue())
                    }
                    try parser.expect(UInt8(ascii: "["))
                    var inputs: [[UInt8]] = []
                    if parser.peek() != UInt8(ascii: "]") {
                        repeat {
                            guard inputs.count < maxBatch else { throw jsonError("\"input_batch\" has more than \(maxBatch) inputs.") }
                            inputs.append(try encodeInput(&parser, type: type, field: "input_batch[\(inputs.count)]"))
                        } while try parser.consumeComma()
                    }
                    try parser.expect(UInt8(ascii: "]"))
                    batch = inputs
                case "uid":
                    uid = try decodeUID(try parser.parseValue())
                default:
                    _ = try parser.parseValue()
                }
            } while try parser.consumeComma()
        }
        try parser.expect(UInt8(ascii: "}"))
        guard parser.isAtEnd() else { throw parser.error("unexpected text after the JSON value") }
        if let single { return PredictRequest(inputs: [single], isBatch: false, uid: uid) }
        guard let batch else { throw jsonError("The body needs \"input\" (one input) or \"input_batch\" (an array of inputs).") }
        guard !batch.isEmpty else { throw jsonError("\"input_batch\" is empty: send at least one input.") }
        return PredictRequest(inputs: batch, isBatch: true, uid: uid)
    }

    /// One input at the parser: numeric arrays are encoded number by number.
    private static func encodeInput(_ parser: inout JSONParser, type: InputType, field: String) throws -> [UInt8] {
        guard type.elementSize != nil, parser.peek() == UInt8(ascii: "[") else {
            return try encode(parser.parseValue(), type: type, field: field)
        }
        try parser.expect(UInt8(ascii: "["))
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16 * (type.elementSize ?? 8))
        if parser.peek() != UInt8(ascii: "]") {
            repeat {
                guard let next = parser.peek(), next == UInt8(ascii: "-") || (next >= UInt8(ascii: "0") && next <= UInt8(ascii: "9")) else {
                    throw typeError(field, "an array of numbers", try parser.parseValue())
                }
                guard case .number(let number, let isInteger) = try parser.parseNumber() else { throw parser.error("invalid number") }
                try appendNumber(number, isInteger: isInteger, type: type, field: field, to: &bytes)
            } while try parser.consumeComma()
        }
        try parser.expect(UInt8(ascii: "]"))
        guard !bytes.isEmpty else { throw jsonError("\(field) is an empty array: send at least one number.") }
        return bytes
    }

    static func decodeUID(_ value: JSONValue?) throws(APIError) -> Int {
        switch value {
        case nil, .null: return 0
        case .number(let number, true)? where abs(number) < 1e15: return Int(number)
        case .string(let text)? where Int(text) != nil: return Int(text)!
        default: throw jsonError("\"uid\" must be an integer.")
        }
    }

    static func jsonError(_ cause: String) -> APIError { APIError(status: 400, error: "Json error", cause: cause) }

    /// One input in its wire layout.
    static func encode(_ value: JSONValue, type: InputType, field: String) throws(APIError) -> [UInt8] {
        switch type {
        case .strings:
            guard case .string(let text) = value else { throw typeError(field, "a string", value) }
            return Array(text.utf8)
        case .bytes:
            guard case .string(let text) = value, let data = Data(base64Encoded: text) else {
                throw typeError(field, "a base64-encoded string", value)
            }
            return Array(data)
        case .doubles, .floats, .integers:
            guard case .array(let items) = value else { throw typeError(field, "an array of numbers", value) }
            guard !items.isEmpty else { throw jsonError("\(field) is an empty array: send at least one number.") }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(items.count * (type.elementSize ?? 8))
            for item in items {
                guard case .number(let number, let isInteger) = item else { throw typeError(field, "an array of numbers", item) }
                try appendNumber(number, isInteger: isInteger, type: type, field: field, to: &bytes)
            }
            return bytes
        }
    }

    /// Appends one number in `type`'s wire layout.
    private static func appendNumber(_ number: Double, isInteger: Bool, type: InputType, field: String, to bytes: inout [UInt8]) throws(APIError) {
        switch type {
        case .doubles:
            withUnsafeBytes(of: number.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        case .floats:
            guard abs(number) <= Double(Float.greatestFiniteMagnitude) else {
                throw jsonError("\(field) has \(number), outside the range of a 32-bit float.")
            }
            withUnsafeBytes(of: Float(number).bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        default:
            guard isInteger || number.rounded() == number, let integer = Int32(exactly: number) else {
                throw jsonError("\(field) must hold 32-bit integers for an app of input type integers; found \(number).")
            }
            withUnsafeBytes(of: integer.littleEndian) { bytes.append(contentsOf: $0) }
        }
    }

    private static func typeError(_ field: String, _ expected: String, _ value: JSONValue) -> APIError {
        jsonError("\(field) must be \(expected) for this app's input type; found a \(value.typeName).")
    }
}
