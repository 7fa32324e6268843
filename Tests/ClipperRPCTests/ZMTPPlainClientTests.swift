import Testing
@testable import ClipperRPC

/// The client's side of ZMTP PLAIN, read back by the server's decoder and parsers.
struct ZMTPPlainClientTests {
    @Test func helloCarriesTheCredentialsTheServerReads() throws {
        var decoder = ZMTPDecoder(mechanism: .plain)
        decoder.feed(ZMTP.greeting(mechanism: .plain, asServer: false) + ZMTP.helloCommand(username: Array("cutter".utf8), password: Array("s3cret".utf8)))
        #expect(try decoder.next() == .greeting)
        guard case .command("HELLO", let data) = try decoder.next() else { Issue.record("expected HELLO"); return }
        let hello = try #require(ZMTP.parseHello(data))
        #expect(hello.username == Array("cutter".utf8) && hello.password == Array("s3cret".utf8))
        // The longest password PLAIN allows still fits its one-byte length.
        let longest = [UInt8](repeating: 0x70, count: 255)
        decoder.feed(ZMTP.helloCommand(username: [], password: longest))
        guard case .command("HELLO", let long) = try decoder.next() else { Issue.record("expected HELLO"); return }
        #expect(ZMTP.parseHello(long)?.password == longest)
    }

    @Test func initiateAnnouncesTheSocketType() throws {
        var decoder = ZMTPDecoder(mechanism: .plain)
        decoder.feed(ZMTP.greeting(mechanism: .plain, asServer: false) + ZMTP.initiateCommand(socketType: "DEALER"))
        #expect(try decoder.next() == .greeting)
        guard case .command("INITIATE", let data) = try decoder.next() else { Issue.record("expected INITIATE"); return }
        #expect(ZMTP.parseProperties(data[...]) == ["Socket-Type": Array("DEALER".utf8)])
    }

    @Test func errorReasonsReadBack() throws {
        var decoder = ZMTPDecoder(mechanism: .plain)
        decoder.feed(ZMTP.greeting(mechanism: .plain, asServer: true) + ZMTP.errorCommand(reason: "invalid credentials"))
        #expect(try decoder.next() == .greeting)
        guard case .command("ERROR", let data) = try decoder.next() else { Issue.record("expected ERROR"); return }
        #expect(ZMTP.parseErrorReason(data) == "invalid credentials")
        #expect(ZMTP.parseErrorReason([5, 65]) == nil)
        #expect(ZMTP.parseErrorReason([]) == nil)
        #expect(ZMTP.parseErrorReason([0]) == "")
    }
}
