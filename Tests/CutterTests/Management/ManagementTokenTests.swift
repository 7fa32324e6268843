import Foundation
import Testing
@testable import Cutter

struct ManagementTokenTests {
    let token = ManagementToken("t0ken")

    @Test func bearerAndBasicWithTheTokenAreAdmitted() {
        #expect(token.admits(authorization: "Bearer t0ken"))
        #expect(token.admits(authorization: "bearer t0ken"))
        #expect(token.admits(authorization: "Basic " + Data("clipper:t0ken".utf8).base64EncodedString()))
        #expect(token.admits(authorization: "Basic " + Data(":t0ken".utf8).base64EncodedString()))
    }

    @Test func anythingElseIsRefused() {
        for value in [nil, "", "Bearer", "Bearer ", "Bearer t0ke", "Bearer t0ken0", "t0ken", "Token t0ken",
                      "Basic " + Data("t0ken".utf8).base64EncodedString(), "Basic " + Data("t0ken:x".utf8).base64EncodedString(),
                      "Basic not-base64!"] {
            #expect(!token.admits(authorization: value), "\(value ?? "nil")")
        }
    }

    @Test func constantTimeComparison() {
        #expect(ConstantTime.equals(Array("abc".utf8), Array("abc".utf8)))
        #expect(!ConstantTime.equals(Array("abd".utf8), Array("abc".utf8)))
        #expect(!ConstantTime.equals(Array("ab".utf8), Array("abc".utf8)))
        #expect(!ConstantTime.equals(Array("abc\0".utf8), Array("abc".utf8)))
        #expect(ConstantTime.equals([UInt8](), [UInt8]()))
    }

    @Test func headersAreFoundIgnoringCase() throws {
        var decoder = HTTPRequestDecoder(maxHeadBytes: 4096, maxBodyBytes: 1024)
        decoder.feed("GET / HTTP/1.1\r\nHost: x\r\nauthorization:  Bearer abc \r\nX-Other: 1\r\n\r\n".utf8)
        #expect(try decoder.next() == .request)
        #expect(decoder.request.header("authorization") == "Bearer abc")
        #expect(decoder.request.header("x-other") == "1")
        #expect(decoder.request.header("accept") == nil)
    }
}
