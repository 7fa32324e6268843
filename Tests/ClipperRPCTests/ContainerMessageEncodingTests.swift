import Testing
@testable import ClipperRPC

/// What a container sends, on exact bytes (the Python SDK's `protocol.py` layouts), and back
/// through the frontend's decoder.
struct ContainerMessageEncodingTests {
    private func le32(_ v: UInt32) -> [UInt8] { var b: [UInt8] = []; b.appendLittleEndian(v); return b }
    private func le64(_ v: UInt64) -> [UInt8] { var b: [UInt8] = []; b.appendLittleEndian(v); return b }

    @Test func heartbeatIsTypeTwo() {
        #expect(ContainerMessage.heartbeat.frames == [[], le32(2)])
    }

    @Test func newContainerSendsTheInputTypeAsTextAndTheVersionAsAnInteger() {
        let message = ContainerMessage.newContainer(modelName: "sum", modelVersion: "1", inputType: .doubles, rpcVersion: 3)
        #expect(message.frames == [[], le32(0), Array("sum".utf8), Array("1".utf8), Array("3".utf8), le32(3)])
    }

    @Test func predictionResponseHasACountedHeader() {
        let message = ContainerMessage.predictionResponse(messageID: 5, outputs: [Array("3.0".utf8), Array("10.5".utf8)])
        #expect(message.frames == [[], le32(1), le32(5), le64(24), le64(2) + le64(3) + le64(4), Array("3.0".utf8), Array("10.5".utf8)])
        // Zero outputs, a failed batch: the header is the count alone.
        #expect(ContainerMessage.predictionResponse(messageID: 9, outputs: []).frames == [[], le32(1), le32(9), le64(8), le64(0)])
    }

    @Test func everyMessageDecodesBackToItself() throws {
        let long = [UInt8](repeating: 0x41, count: 300)
        let messages: [ContainerMessage] = [
            .heartbeat,
            .newContainer(modelName: "fraud-model", modelVersion: "2024-01", inputType: .strings, rpcVersion: 3),
            .predictionResponse(messageID: UInt32.max, outputs: [[], long, Array("é".utf8)]),
            .predictionResponse(messageID: 0, outputs: []),
        ]
        for message in messages {
            #expect(try ContainerMessage(frames: message.frames) == message)
        }
    }
}
