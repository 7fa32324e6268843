import Testing
@testable import ClipperRPC

/// What a container receives: the frontend's encoders decoded back, and every refusal.
struct FrontendMessageDecodedTests {
    private func le32(_ v: UInt32) -> [UInt8] { var b: [UInt8] = []; b.appendLittleEndian(v); return b }
    private func le64(_ v: UInt64) -> [UInt8] { var b: [UInt8] = []; b.appendLittleEndian(v); return b }
    private typealias Decoded = FrontendMessage.Decoded

    @Test func decodesHeartbeatReplies() throws {
        #expect(try Decoded(frames: FrontendMessage.heartbeatReply(requestMetadata: true)) == .heartbeatReply(requestsMetadata: true))
        #expect(try Decoded(frames: FrontendMessage.heartbeatReply(requestMetadata: false)) == .heartbeatReply(requestsMetadata: false))
    }

    @Test func decodesPredictionRequestsOfEveryType() throws {
        let inputs: [[UInt8]] = [[1, 2, 3, 4, 5, 6, 7, 8], [], Array(repeating: 9, count: 400)]
        for type in InputType.allCases {
            let frames = FrontendMessage.predictionRequest(messageID: 77, type: type, inputs: inputs)
            #expect(try Decoded(frames: frames) == .predictionRequest(messageID: 77, inputType: type, inputs: inputs))
        }
    }

    @Test func decodesFeedbackRequests() throws {
        #expect(try Decoded(frames: [[], le32(3), le32(1), le32(4), le32(1)]) == .feedbackRequest(messageID: 4))
    }

    @Test func refusesWhatIsNotAFrontendMessage() {
        let refused: [[[UInt8]]] = [
            [[], le32(3), le32(2)],
            [[0], le32(3), le32(2), le32(1)],
            [[], le32(2), le32(2), le32(1)],
            [[], le32(3), le32(7), le32(1)],
            [[], le32(3), le32(2), [1]],
            [[], le32(3), le32(1), [1, 2]],
        ]
        for frames in refused {
            #expect(throws: Decoded.DecodingError.self, "\(frames)") { try Decoded(frames: frames) }
        }
    }

    /// Once the message id is read, a refusal carries it, so the container can fail the batch at once.
    @Test func refusalsOfARequestKeepItsMessageID() {
        let good = FrontendMessage.predictionRequest(messageID: 12, type: .doubles, inputs: [[0, 0, 0, 0, 0, 0, 0, 0]])
        var badCount = good
        badCount[6] = le64(3) + le64(2) + le64(8)
        var overflowingCount = good
        overflowingCount[6] = le64(3) + le64(UInt64.max)
        overflowingCount[5] = le64(16)
        var badType = good
        badType[6] = le64(9) + le64(1) + le64(8)
        var badLength = good
        badLength[7] = [0]
        let refused: [[[UInt8]]] = [
            Array(good.prefix(4)),
            [[], le32(3), le32(1), le32(12), le32(5)],
            Array(good.prefix(6)),
            badCount,
            overflowingCount,
            badType,
            badLength,
            good + [[1]],
        ]
        for frames in refused {
            #expect(throws: Decoded.DecodingError.self, "\(frames)") { try Decoded(frames: frames) }
            do {
                _ = try Decoded(frames: frames)
            } catch {
                #expect(error.messageID == 12, "\(error)")
            }
        }
    }

    /// The container decodes what arrives on its socket: no mutant of a valid request traps, and
    /// each one either decodes or is refused.
    @Test func mutatedRequestsAreDecodedOrRefusedNeverTrappedOn() {
        let valid = FrontendMessage.predictionRequest(messageID: 3, type: .integers, inputs: [[1, 0, 0, 0], [2, 0, 0, 0, 3, 0, 0, 0]])
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func random(_ bound: Int) -> Int {
            // A fixed xorshift sequence: the same mutants on every run.
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return Int(state % UInt64(bound))
        }
        for _ in 0..<3_000 {
            var frames = valid
            for _ in 0...random(3) {
                let frame = random(frames.count)
                switch random(4) {
                case 0 where !frames[frame].isEmpty: frames[frame][random(frames[frame].count)] = UInt8(random(256))
                case 1: frames[frame] = Array(frames[frame].prefix(random(frames[frame].count + 1)))
                case 2 where frames.count > 1: frames.remove(at: frame)
                default: frames.insert((0..<random(12)).map { _ in UInt8(random(256)) }, at: frame)
                }
            }
            _ = try? Decoded(frames: frames)
        }
    }
}
