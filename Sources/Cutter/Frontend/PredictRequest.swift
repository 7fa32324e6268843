public import ClipperRPC
import Foundation

/// A decoded `POST /{app}/predict` body: the inputs in their RPC wire layout.
public struct PredictRequest: Equatable, Sendable {
    /// Each input's bytes (float64/float32/int32 little-endian, UTF-8 text, or raw bytes).
    public var inputs: [[UInt8]]
    /// Whether the body used `input_batch` (answered as `batch_predictions`).
    public var isBatch: Bool
    /// The optional `uid` (selection context), 0 when absent.
    public var uid: Int

    /// Largest `input_batch` accepted.
    public static let maxBatch = 10_000

    /// Decodes `body` for an app whose input type is `type`. Numbers are accepted for `doubles`
    /// and `floats` whether written `1` or `1.0` (Clipper refused `1`, a common stumbling block);
    /// `integers` must be whole numbers within 32 bits.
    public static func decode(_ body: [UInt8], type: InputType) throws(APIError) -> PredictRequest {
        let value: JSONValue
        do {
            value = try JSONParser.parse(body)
        } catch {
            throw jsonError("The body is not valid JSON: \(error).")
        }
        guard case .object(let object) = value else { throw jsonError("The body must be a JSON object with \"input\" or \"input_batch\".") }
        let uid = try decodeUID(object["uid"])
        if let input = object["input"] {
            return PredictRequest(inputs: [try encode(input, type: type, field: "input")], isBatch: false, uid: uid)
        }
        guard let batch = object["input_batch"] else {
            throw jsonError("The body needs \"input\" (one input) or \"input_batch\" (an array of inputs).")
        }
        guard case .array(let items) = batch else { throw jsonError("\"input_batch\" must be an array of inputs.") }
        guard !items.isEmpty else { throw jsonError("\"input_batch\" is empty: send at least one input.") }
        guard items.count <= maxBatch else { throw jsonError("\"input_batch\" has \(items.count) inputs; at most \(maxBatch) are accepted.") }
        var inputs: [[UInt8]] = []
        inputs.reserveCapacity(items.count)
        for (index, item) in items.enumerated() { inputs.append(try encode(item, type: type, field: "input_batch[\(index)]")) }
        return PredictRequest(inputs: inputs, isBatch: true, uid: uid)
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
            return bytes
        }
    }

    private static func typeError(_ field: String, _ expected: String, _ value: JSONValue) -> APIError {
        jsonError("\(field) must be \(expected) for this app's input type; found a \(value.typeName).")
    }
}
