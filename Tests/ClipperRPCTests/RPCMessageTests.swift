import Testing
@testable import ClipperRPC

/// Clipper RPC v3 layouts on exact bytes (the worked example of Clipper's RPC).
struct RPCMessageTests {
    private func le32(_ v: UInt32) -> [UInt8] { var b: [UInt8] = []; b.appendLittleEndian(v); return b }
    private func le64(_ v: UInt64) -> [UInt8] { var b: [UInt8] = []; b.appendLittleEndian(v); return b }
    private func doubles(_ values: [Double]) -> [UInt8] { values.flatMap { le64($0.bitPattern) } }

    @Test func predictionRequestMatchesClipperLayout() {
        let frames = FrontendMessage.predictionRequest(messageID: 5, type: .doubles, inputs: [doubles([1, 2]), doubles([3])])
        #expect(frames.count == 9)
        #expect(frames[0] == [])
        #expect(frames[1] == [3, 0, 0, 0])
        #expect(frames[2] == [1, 0, 0, 0])
        #expect(frames[3] == [5, 0, 0, 0])
        #expect(frames[4] == [0, 0, 0, 0])
        #expect(frames[5] == [32, 0, 0, 0, 0, 0, 0, 0])
        #expect(frames[6] == le64(3) + le64(2) + le64(16) + le64(8))
        #expect(frames[7] == doubles([1, 2]))
        #expect(frames[8] == doubles([3]))
    }

    @Test func heartbeatReplies() {
        #expect(FrontendMessage.heartbeatReply(requestMetadata: true) == [[], le32(3), le32(2), le32(1)])
        #expect(FrontendMessage.heartbeatReply(requestMetadata: false) == [[], le32(3), le32(2), le32(0)])
    }

    @Test func decodesPredictionResponse() throws {
        let frames: [[UInt8]] = [[], le32(1), le32(5), le64(24), le64(2) + le64(3) + le64(3), Array("3.0".utf8), Array("3.0".utf8)]
        #expect(try ContainerMessage(frames: frames) == .predictionResponse(messageID: 5, outputs: [Array("3.0".utf8), Array("3.0".utf8)]))
    }

    @Test func decodesEmptyResponseAsZeroOutputs() throws {
        let frames: [[UInt8]] = [[], le32(1), le32(9), le64(8), le64(0)]
        #expect(try ContainerMessage(frames: frames) == .predictionResponse(messageID: 9, outputs: []))
    }

    @Test func decodesNewContainerAndHeartbeat() throws {
        #expect(try ContainerMessage(frames: [[], le32(2)]) == .heartbeat)
        let frames: [[UInt8]] = [[], le32(0), Array("sum".utf8), Array("1".utf8), Array("3".utf8), le32(3)]
        #expect(try ContainerMessage(frames: frames) == .newContainer(modelName: "sum", modelVersion: "1", inputType: .doubles, rpcVersion: 3))
    }

    @Test func rejectsNonsense() {
        #expect(throws: ContainerMessage.DecodingError.self) { try ContainerMessage(frames: [[1], le32(2)]) }
        #expect(throws: ContainerMessage.DecodingError.self) { try ContainerMessage(frames: [[], le32(7)]) }
        #expect(throws: ContainerMessage.DecodingError.self) {
            try ContainerMessage(frames: [[], le32(1), le32(5), le64(24), le64(2) + le64(3) + le64(3), Array("3.0".utf8)])
        }
        #expect(throws: ContainerMessage.DecodingError.self) {
            try ContainerMessage(frames: [[], le32(1), le32(5), le64(16), le64(1) + le64(9), Array("3.0".utf8)])
        }
        #expect(throws: ContainerMessage.DecodingError.self) {
            try ContainerMessage(frames: [[], le32(0), Array("m".utf8), Array("1".utf8), Array("9".utf8), le32(3)])
        }
        // A count that would overflow the header arithmetic is refused, not trapped on.
        #expect(throws: ContainerMessage.DecodingError.self) {
            try ContainerMessage(frames: [[], le32(1), le32(5), le64(8), le64(UInt64.max)])
        }
        #expect(throws: ContainerMessage.DecodingError.self) {
            try ContainerMessage(frames: [[], le32(1), le32(5), le64(8), le64(1 << 61)])
        }
    }

    @Test func inputTypeSpellings() {
        #expect(InputType(spelling: "d") == .doubles)
        #expect(InputType(spelling: "ints") == .integers)
        #expect(InputType(spelling: "strs") == .strings)
        #expect(InputType(spelling: "tensor") == nil)
        #expect(InputType.allCases.map(\.canonicalName) == ["bytes", "integers", "floats", "doubles", "strings"])
    }
}
