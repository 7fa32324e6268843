/// Messages the frontend sends to a model container (Clipper RPC version 3), as frames of one
/// multipart message starting with the empty delimiter a DEALER expects.
public enum FrontendMessage {
    /// The reply to a container heartbeat; `requestMetadata` asks the container to introduce itself.
    public static func heartbeatReply(requestMetadata: Bool) -> [[UInt8]] {
        [[], le32(ContainerMessage.rpcVersion), le32(2), le32(requestMetadata ? 1 : 0)]
    }

    /// A batched prediction request: every input's raw bytes (already in `type`'s wire layout)
    /// become one frame, described by the input header.
    public static func predictionRequest(messageID: UInt32, type: InputType, inputs: [[UInt8]]) -> [[UInt8]] {
        var header: [UInt8] = []
        header.reserveCapacity(8 * (2 + inputs.count))
        header.appendLittleEndian(UInt64(type.rawValue))
        header.appendLittleEndian(UInt64(inputs.count))
        for input in inputs { header.appendLittleEndian(UInt64(input.count)) }
        var headerLength: [UInt8] = []
        headerLength.appendLittleEndian(UInt64(header.count))
        return [[], le32(ContainerMessage.rpcVersion), le32(1), le32(messageID), le32(0), headerLength, header] + inputs
    }

    static func le32(_ value: UInt32) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.appendLittleEndian(value)
        return bytes
    }
}
