/// A message a model container sends to the frontend (Clipper RPC version 3), decoded from the
/// frames of one ZeroMQ multipart message.
public enum ContainerMessage: Equatable, Sendable {
    /// "I am alive" (message type 2).
    case heartbeat
    /// The container's metadata (message type 0), sent after a heartbeat reply of type 1.
    case newContainer(modelName: String, modelVersion: String, inputType: InputType, rpcVersion: UInt32)
    /// The outputs of one batch (message type 1), in the order of the request's inputs.
    case predictionResponse(messageID: UInt32, outputs: [[UInt8]])

    /// Why a message could not be decoded.
    public struct DecodingError: Error, Equatable, Sendable, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    /// The RPC protocol version Cutter speaks.
    public static let rpcVersion: UInt32 = 3

    /// Decodes the frames of a multipart message, which start with the empty delimiter frame.
    public init(frames: [[UInt8]]) throws(DecodingError) {
        guard frames.count >= 2, frames[0].isEmpty else { throw DecodingError("message does not start with an empty delimiter frame") }
        guard frames[1].count == 4, let type = frames[1].littleEndianInteger(at: 0, width: 4) else {
            throw DecodingError("message type frame is not 4 bytes")
        }
        switch type {
        case 2:
            self = .heartbeat
        case 0:
            guard frames.count >= 5 else { throw DecodingError("new-container message has \(frames.count) frames, expected 6") }
            let name = String(decoding: frames[2], as: UTF8.self)
            let version = String(decoding: frames[3], as: UTF8.self)
            guard let typeNumber = Int(String(decoding: frames[4], as: UTF8.self)),
                  let inputType = InputType(rawValue: typeNumber) else {
                throw DecodingError("new-container message has an unknown input type")
            }
            // Containers written to container_implementation.md omit the version frame: report it as 0.
            let rpcVersion = frames.count >= 6 ? frames[5].littleEndianInteger(at: 0, width: 4).map(UInt32.init) ?? 0 : 0
            self = .newContainer(modelName: name, modelVersion: version, inputType: inputType, rpcVersion: rpcVersion)
        case 1:
            guard frames.count >= 4, frames[2].count == 4, let id = frames[2].littleEndianInteger(at: 0, width: 4) else {
                throw DecodingError("prediction response lacks a 4-byte message id")
            }
            guard frames[3].count == 8, let headerLength = frames[3].littleEndianInteger(at: 0, width: 8),
                  frames.count >= 5, UInt64(frames[4].count) == headerLength, headerLength >= 8, headerLength % 8 == 0,
                  // Compared without arithmetic on the peer's count, which could overflow.
                  let count = frames[4].littleEndianInteger(at: 0, width: 8), count == headerLength / 8 - 1 else {
                throw DecodingError("prediction response has a malformed output header")
            }
            let outputs = Array(frames.dropFirst(5))
            guard outputs.count == Int(count) else {
                throw DecodingError("prediction response announces \(count) outputs but carries \(outputs.count)")
            }
            for (index, output) in outputs.enumerated() {
                guard frames[4].littleEndianInteger(at: 8 * (1 + index), width: 8) == UInt64(output.count) else {
                    throw DecodingError("prediction response output \(index) does not match its announced length")
                }
            }
            self = .predictionResponse(messageID: UInt32(id), outputs: outputs)
        default:
            throw DecodingError("unknown message type \(type)")
        }
    }
}
