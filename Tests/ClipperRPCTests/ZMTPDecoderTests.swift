import Testing
@testable import ClipperRPC

struct ZMTPDecoderTests {
    @Test func greetingIsSixtyFourBytesOfVersionThreeNull() {
        #expect(ZMTP.greeting.count == 64)
        #expect(ZMTP.greeting[0] == 0xFF && ZMTP.greeting[9] == 0x7F && ZMTP.greeting[10] == 3)
        #expect(Array(ZMTP.greeting[12..<16]) == Array("NULL".utf8))
    }

    @Test func decodesGreetingReadyAndMultipartMessageFedByteByByte() throws {
        var stream = ZMTP.greeting
        stream += ZMTP.readyCommand(socketType: "DEALER")
        ZMTP.appendMessage([[], [2, 0, 0, 0]], to: &stream)
        var decoder = ZMTPDecoder()
        var events: [ZMTPDecoder.Event] = []
        for byte in stream {
            decoder.feed([byte])
            while let event = try decoder.next() { events.append(event) }
        }
        #expect(events.count == 3)
        #expect(events[0] == .greeting)
        guard case .command(let name, let data) = events[1] else { Issue.record("expected READY"); return }
        #expect(name == "READY")
        #expect(ZMTP.parseProperties(data[...])?["Socket-Type"] == Array("DEALER".utf8))
        #expect(events[2] == .message([[], [2, 0, 0, 0]]))
    }

    @Test func longFramesUseEightByteBigEndianSizes() throws {
        let big = [UInt8](repeating: 7, count: 300)
        var stream: [UInt8] = []
        ZMTP.appendFrame(big, more: false, to: &stream)
        #expect(stream[0] == ZMTP.longFlag)
        #expect(Array(stream[1...8]) == [0, 0, 0, 0, 0, 0, 0x01, 0x2C])
        var decoder = ZMTPDecoder()
        decoder.feed(ZMTP.greeting + stream)
        #expect(try decoder.next() == .greeting)
        #expect(try decoder.next() == .message([big]))
    }

    @Test func garbageIsRefusedAtTheFirstByte() {
        var decoder = ZMTPDecoder()
        decoder.feed(Array("GET / HTTP/1.1\r\n".utf8))
        #expect(throws: ZMTPDecoder.DecodingError.badSignature) { try decoder.next() }
    }

    @Test func otherMechanismsAreRefused() {
        var greeting = ZMTP.greeting
        greeting.replaceSubrange(12..<16, with: Array("PLAI".utf8))
        var decoder = ZMTPDecoder()
        decoder.feed(greeting)
        #expect(throws: ZMTPDecoder.DecodingError.unsupportedMechanism("PLAI")) { try decoder.next() }
    }

    @Test func oversizeFramesAreRefusedBeforeBuffering() {
        var decoder = ZMTPDecoder(maxMessageSize: 1000)
        decoder.feed(ZMTP.greeting + [ZMTP.longFlag, 0, 0, 0, 0, 0, 0, 0x10, 0])
        #expect(throws: ZMTPDecoder.DecodingError.frameTooLarge(4096)) {
            _ = try decoder.next()
            _ = try decoder.next()
        }
    }

    @Test func theLimitCanBeRaisedOnceThePeerIsKnown() throws {
        var decoder = ZMTPDecoder(maxMessageSize: 16)
        decoder.feed(ZMTP.greeting)
        #expect(try decoder.next() == .greeting)
        decoder.maxMessageSize = 64
        decoder.feed([0x00, 32] + [UInt8](repeating: 1, count: 32))
        #expect(try decoder.next() == .message([[UInt8](repeating: 1, count: 32)]))
    }
}
