extension ContainerMessage {
    /// The frames a container sends for this message, starting with the empty delimiter frame that
    /// a DEALER puts before every message: the inverse of `init(frames:)`, for container SDKs.
    public var frames: [[UInt8]] {
        switch self {
        case .heartbeat:
            return [[], FrontendMessage.le32(2)]
        case .newContainer(let modelName, let modelVersion, let inputType, let rpcVersion):
            // Clipper sends the input type as decimal text but the RPC version as an integer.
            return [[], FrontendMessage.le32(0), Array(modelName.utf8), Array(modelVersion.utf8),
                    Array(String(inputType.rawValue).utf8), FrontendMessage.le32(rpcVersion)]
        case .predictionResponse(let messageID, let outputs):
            var header: [UInt8] = []
            header.reserveCapacity(8 * (1 + outputs.count))
            header.appendLittleEndian(UInt64(outputs.count))
            for output in outputs { header.appendLittleEndian(UInt64(output.count)) }
            var headerLength: [UInt8] = []
            headerLength.appendLittleEndian(UInt64(header.count))
            return [[], FrontendMessage.le32(1), FrontendMessage.le32(messageID), headerLength, header] + outputs
        }
    }
}
