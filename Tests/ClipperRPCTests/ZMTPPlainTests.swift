import Testing
@testable import ClipperRPC

struct ZMTPPlainTests {
    @Test func plainGreetingAnnouncesTheServerRole() {
        let greeting = ZMTP.greeting(mechanism: .plain, asServer: true)
        #expect(greeting.count == 64)
        #expect(Array(greeting[12..<17]) == Array("PLAIN".utf8) && greeting[17] == 0)
        #expect(greeting[32] == 1)
    }

    @Test func helloCarriesUserNameAndPassword() {
        let data: [UInt8] = [2] + Array("me".utf8) + [3] + Array("pw!".utf8)
        let hello = ZMTP.parseHello(data)
        #expect(hello?.username == Array("me".utf8) && hello?.password == Array("pw!".utf8))
        #expect(ZMTP.parseHello(data.dropLast()) == nil)
        #expect(ZMTP.parseHello([5, 1]) == nil)
    }

    @Test func aDecoderExpectingPlainRefusesNull() throws {
        var decoder = ZMTPDecoder(mechanism: .plain)
        decoder.feed(ZMTP.greeting)
        #expect(throws: ZMTPDecoder.DecodingError.unsupportedMechanism("NULL")) { try decoder.next() }
        var plain = ZMTPDecoder(mechanism: .plain)
        plain.feed(ZMTP.greeting(mechanism: .plain, asServer: false))
        #expect(try plain.next() == .greeting)
    }
}
