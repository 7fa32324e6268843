/// The input data types of Clipper's RPC and REST API, with Clipper's wire numbers.
public enum InputType: Int, Sendable, CaseIterable {
    case bytes = 0
    case integers = 1
    case floats = 2
    case doubles = 3
    case strings = 4

    /// Parses any spelling Clipper accepts at registration (`doubles`, `double`, `d`, `ints`, ...).
    public init?(spelling: String) {
        switch spelling.lowercased() {
        case "bytes", "byte", "b": self = .bytes
        case "integers", "ints", "integer", "int", "i": self = .integers
        case "floats", "float", "f": self = .floats
        case "doubles", "double", "d": self = .doubles
        case "strings", "string", "str", "strs", "s": self = .strings
        default: return nil
        }
    }

    /// The spelling stored in Redis (Clipper's canonical name).
    public var canonicalName: String {
        switch self {
        case .bytes: "bytes"
        case .integers: "integers"
        case .floats: "floats"
        case .doubles: "doubles"
        case .strings: "strings"
        }
    }

    /// Size in bytes of one element of a numeric input; nil for strings and bytes.
    public var elementSize: Int? {
        switch self {
        case .integers, .floats: 4
        case .doubles: 8
        case .bytes, .strings: nil
        }
    }
}
