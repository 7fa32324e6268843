/// A parsed JSON value. Numbers keep whether they were written as integers, because Clipper's
/// input types distinguish `integers` from `doubles`.
enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double, isInteger: Bool)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// A JSON type name for error messages.
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}
