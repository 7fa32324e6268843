public import ClipperRPC

/// The element type of an array input: `Double` (doubles), `Float` (floats), `Int32` (integers)
/// and `UInt8` (bytes) conform, so `[Double]` and the rest are `ModelInput`s.
public protocol ModelInputElement: Sendable {
    /// The Clipper input type of an array of this element.
    static var inputType: InputType { get }

    /// Decodes every element of one input's RPC payload.
    static func decodeAll(rpcPayload: [UInt8]) throws(ModelInputError) -> [Self]
}

extension Double: ModelInputElement {
    public static var inputType: InputType { .doubles }

    public static func decodeAll(rpcPayload: [UInt8]) throws(ModelInputError) -> [Double] {
        try littleEndianElements(of: rpcPayload, as: UInt64.self, type: "doubles").map(Double.init(bitPattern:))
    }
}

extension Float: ModelInputElement {
    public static var inputType: InputType { .floats }

    public static func decodeAll(rpcPayload: [UInt8]) throws(ModelInputError) -> [Float] {
        try littleEndianElements(of: rpcPayload, as: UInt32.self, type: "floats").map(Float.init(bitPattern:))
    }
}

extension Int32: ModelInputElement {
    public static var inputType: InputType { .integers }

    public static func decodeAll(rpcPayload: [UInt8]) throws(ModelInputError) -> [Int32] {
        try littleEndianElements(of: rpcPayload, as: UInt32.self, type: "integers").map(Int32.init(bitPattern:))
    }
}

extension UInt8: ModelInputElement {
    public static var inputType: InputType { .bytes }

    public static func decodeAll(rpcPayload: [UInt8]) throws(ModelInputError) -> [UInt8] { rpcPayload }
}

/// Reads `payload` as consecutive little-endian integers of type `T`.
private func littleEndianElements<T: FixedWidthInteger>(of payload: [UInt8], as _: T.Type, type: String) throws(ModelInputError) -> [T] {
    let width = MemoryLayout<T>.size
    guard payload.count % width == 0 else {
        throw ModelInputError("\(type) input of \(payload.count) bytes is not a multiple of \(width)")
    }
    return payload.withUnsafeBytes { raw in
        (0..<(payload.count / width)).map { T(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * width, as: T.self)) }
    }
}
