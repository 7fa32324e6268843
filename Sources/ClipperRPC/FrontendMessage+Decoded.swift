extension FrontendMessage {
    /// A message a model container receives from the frontend, decoded from the frames of one
    /// multipart message: what container SDKs read, the inverse of `FrontendMessage`'s encoders.
    public enum Decoded: Equatable, Sendable {
        /// The reply to the container's heartbeat; `requestsMetadata` asks it to (re)introduce itself
        /// with a NewContainer message (first contact, or a frontend that forgot it).
        case heartbeatReply(requestsMetadata: Bool)
        /// A batch to predict: each input's raw bytes in `inputType`'s wire layout.
        case predictionRequest(messageID: UInt32, inputType: InputType, inputs: [[UInt8]])
        /// A feedback request (Clipper's containers ignore them, and so do Cutter's SDKs).
        case feedbackRequest(messageID: UInt32)

        /// Why a message could not be decoded. `messageID` is set when the message got far enough
        /// to have one, so that the container can still answer the request (with zero outputs,
        /// which fails the batch at once instead of leaving the frontend to time it out).
        public struct DecodingError: Error, Equatable, Sendable, CustomStringConvertible {
            public let description: String
            public let messageID: UInt32?
            public init(_ description: String, messageID: UInt32? = nil) {
                self.description = description
                self.messageID = messageID
            }
        }

        /// Decodes the frames of a multipart message, which start with the empty delimiter frame.
        public init(frames: [[UInt8]]) throws(DecodingError) {
            guard frames.count >= 4, frames[0].isEmpty else { throw DecodingError("message has \(frames.count) frames or no empty delimiter frame") }
            guard frames[1].count == 4, let version = frames[1].littleEndianInteger(at: 0, width: 4) else {
                throw DecodingError("RPC version frame is not 4 bytes")
            }
            guard version == UInt64(ContainerMessage.rpcVersion) else {
                throw DecodingError("frontend speaks RPC version \(version), not \(ContainerMessage.rpcVersion)")
            }
            guard frames[2].count == 4, let type = frames[2].littleEndianInteger(at: 0, width: 4) else {
                throw DecodingError("message type frame is not 4 bytes")
            }
            switch type {
            case 2:
                guard frames[3].count == 4, let kind = frames[3].littleEndianInteger(at: 0, width: 4) else {
                    throw DecodingError("heartbeat type frame is not 4 bytes")
                }
                self = .heartbeatReply(requestsMetadata: kind == 1)
            case 1:
                guard frames[3].count == 4, let id = frames[3].littleEndianInteger(at: 0, width: 4) else {
                    throw DecodingError("request lacks a 4-byte message id")
                }
                self = try Self.decodeRequest(frames, messageID: UInt32(id))
            default:
                throw DecodingError("unknown message type \(type)")
            }
        }

        private static func decodeRequest(_ frames: [[UInt8]], messageID: UInt32) throws(DecodingError) -> Self {
            guard frames.count >= 5, frames[4].count == 4, let requestType = frames[4].littleEndianInteger(at: 0, width: 4) else {
                throw DecodingError("request lacks a 4-byte request type", messageID: messageID)
            }
            if requestType == 1 { return .feedbackRequest(messageID: messageID) }
            guard requestType == 0 else { throw DecodingError("unknown request type \(requestType)", messageID: messageID) }
            guard frames.count >= 7, frames[5].count == 8, let headerLength = frames[5].littleEndianInteger(at: 0, width: 8),
                  UInt64(frames[6].count) == headerLength, headerLength >= 16, headerLength % 8 == 0,
                  let typeNumber = frames[6].littleEndianInteger(at: 0, width: 8),
                  // Compared without arithmetic on the peer's count, which could overflow.
                  let count = frames[6].littleEndianInteger(at: 8, width: 8), count == headerLength / 8 - 2 else {
                throw DecodingError("prediction request has a malformed input header", messageID: messageID)
            }
            guard let inputType = InputType(rawValue: Int(clamping: typeNumber)) else {
                throw DecodingError("prediction request has unknown input type \(typeNumber)", messageID: messageID)
            }
            let inputs = Array(frames.dropFirst(7))
            guard inputs.count == Int(count) else {
                throw DecodingError("prediction request announces \(count) inputs but carries \(inputs.count)", messageID: messageID)
            }
            for (index, input) in inputs.enumerated() {
                guard frames[6].littleEndianInteger(at: 8 * (2 + index), width: 8) == UInt64(input.count) else {
                    throw DecodingError("prediction request input \(index) does not match its announced length", messageID: messageID)
                }
            }
            return .predictionRequest(messageID: messageID, inputType: inputType, inputs: inputs)
        }
    }
}
