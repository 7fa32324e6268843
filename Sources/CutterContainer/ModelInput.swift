public import ClipperRPC

/// What a model takes as one input: it names the Clipper input type the container registers with
/// and decodes one input from the bytes the frontend sends.
///
/// Arrays of a `ModelInputElement` (`[Double]`, `[Float]`, `[Int32]`, `[UInt8]` for bytes) and
/// `String` conform. A model's own type may conform too, e.g. a feature vector decoded from
/// doubles that checks its length: a payload it refuses fails the batch.
public protocol ModelInput: Sendable {
    /// The Clipper input type of this input.
    static var inputType: InputType { get }

    /// Decodes one input from its RPC payload: little-endian numbers, UTF-8 text or raw bytes.
    init(rpcPayload: [UInt8]) throws(ModelInputError)
}

extension Array: ModelInput where Element: ModelInputElement {
    public static var inputType: InputType { Element.inputType }

    public init(rpcPayload: [UInt8]) throws(ModelInputError) {
        self = try Element.decodeAll(rpcPayload: rpcPayload)
    }
}

extension String: ModelInput {
    public static var inputType: InputType { .strings }

    public init(rpcPayload: [UInt8]) throws(ModelInputError) {
        // Cutter's frontend sends the query's JSON string as UTF-8; any other peer that sends
        // invalid UTF-8 fails the batch rather than reaching the model with replacement characters.
        guard let text = String(validating: rpcPayload, as: UTF8.self) else {
            throw ModelInputError("string input of \(rpcPayload.count) bytes is not valid UTF-8")
        }
        self = text
    }
}
