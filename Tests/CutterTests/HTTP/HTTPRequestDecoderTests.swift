import Testing
@testable import Cutter

/// Conformance of the HTTP/1.1 request decoder: framing, keep-alive, pipelining, chunked bodies,
/// 100-continue, every refusal, and that cutting the input anywhere changes nothing.
struct HTTPRequestDecoderTests {
    static let post = "POST /app/predict HTTP/1.1\r\nHost: cutter\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n{\"input\":[1]}\n"
    static let chunked = "POST /app/predict HTTP/1.1\r\nHost: cutter\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "5;name=value\r\n{\"inp\r\n" + "A\r\nut\":[1,2]}\r\n" + "0\r\nX-Trailer: yes\r\n\r\n"
    static let get = "GET /healthz HTTP/1.1\r\nHost: cutter\r\n\r\n"

    @Test func simpleRequest() {
        let outcome = DecodedRequest.decode(Self.get)
        #expect(outcome.error == nil)
        #expect(outcome.requests == [DecodedRequest(method: .get, path: "/healthz", target: "/healthz", minorVersion: 1, keepAlive: true, body: "")])
    }

    @Test func contentLengthBody() {
        let outcome = DecodedRequest.decode(Self.post)
        #expect(outcome.requests.map(\.body) == ["{\"input\":[1]}\n"])
        #expect(outcome.requests.first?.method == .post)
    }

    @Test func chunkedBodyWithExtensionsAndTrailers() {
        let outcome = DecodedRequest.decode(Self.chunked)
        #expect(outcome.error == nil)
        #expect(outcome.requests.map(\.body) == ["{\"input\":[1,2]}"])
    }

    @Test(arguments: [get, post, chunked, get + post + chunked + get])
    func cuttingTheInputAnywhereChangesNothing(_ text: String) {
        let bytes = Array(text.utf8)
        let whole = DecodedRequest.decode(bytes)
        #expect(whole.error == nil && !whole.requests.isEmpty)
        for cut in 0...bytes.count {
            #expect(DecodedRequest.decode(bytes, cuts: [cut]) == whole, "cut at \(cut)")
        }
        #expect(DecodedRequest.decode(bytes, cuts: Array(0...bytes.count)) == whole, "one byte at a time")
    }

    @Test func pipelinedRequestsComeOutInOrder() {
        let outcome = DecodedRequest.decode(Self.get + Self.post + Self.chunked + "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(outcome.error == nil)
        #expect(outcome.requests.map(\.path) == ["/healthz", "/app/predict", "/app/predict", "/metrics"])
        #expect(outcome.requests.map(\.body) == ["", "{\"input\":[1]}\n", "{\"input\":[1,2]}", ""])
    }

    @Test func keepAlive() {
        func keepAlive(_ version: String, _ headers: String) -> Bool? {
            DecodedRequest.decode("GET / HTTP/\(version)\r\nHost: x\r\n\(headers)\r\n").requests.first?.keepAlive
        }
        #expect(keepAlive("1.1", "") == true)
        #expect(keepAlive("1.1", "Connection: close\r\n") == false)
        #expect(keepAlive("1.1", "Connection: Keep-Alive, CLOSE\r\n") == false)
        #expect(keepAlive("1.0", "") == false)
        #expect(keepAlive("1.0", "Connection: keep-alive\r\n") == true)
        #expect(DecodedRequest.decode("GET / HTTP/1.0\r\n\r\n").requests.first?.minorVersion == 0, "HTTP/1.0 needs no Host")
    }

    @Test func continueIsAskedOnlyWhenTheBodyIsMissing() {
        let head = "POST /a/predict HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"
        let waiting = DecodedRequest.decode(head + "{}", cuts: [head.utf8.count])
        #expect(waiting.continues == 1)
        #expect(waiting.requests.map(\.body) == ["{}"])
        let eager = DecodedRequest.decode(head + "{}")
        #expect(eager.continues == 0)
        #expect(eager.requests.count == 1)
    }

    @Test func emptyLinesBeforeARequestAreIgnored() {
        #expect(DecodedRequest.decode("\r\n\r\n" + Self.get).requests.count == 1)
    }

    @Test func pathIsPercentDecodedWithoutTheQuery() {
        let outcome = DecodedRequest.decode("GET /my%20app/predict?x=1 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(outcome.requests.first?.path == "/my app/predict")
        #expect(outcome.requests.first?.target == "/my%20app/predict?x=1")
    }

    static let refusals: [(String, Int)] = [
        ("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}", 400),
        ("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400),
        ("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 2\r\n\r\n{}", 400),
        ("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: +2\r\n\r\n{}", 400),
        ("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x2\r\n\r\n{}", 400),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: x\r\nX-Long: a\r\n b\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: x\r\nX-Bad: a\u{01}b\r\n\r\n", 400),
        ("G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("PATCH / HTTP/1.1\r\nHost: x\r\n\r\n", 501),
        ("GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
        ("GET / HTTP/1.10\r\nHost: x\r\n\r\n", 400),
        ("GET / http/1.1\r\nHost: x\r\n\r\n", 400),
        ("GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400),
        ("GET / HTTP/1.1\nHost: x\n\n", 400),
        ("GET / HTTP/1.1\r\nHost: x\ry\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: x\r\nExpect: gold\r\nContent-Length: 2\r\n\r\n{}", 417),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}xx", 400),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2 x\r\n{}\r\n0\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + String(repeating: "0", count: 2000), 400),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 70000\r\n\r\n", 413),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nFFFF\r\n" + String(repeating: "a", count: 0xFFFF) + "\r\n2\r\n{}\r\n", 413),
        ("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 5000) + "\r\n\r\n", 431),
        ("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 5000), 431),
    ]

    @Test(arguments: refusals)
    func refusal(_ text: String, status: Int) {
        let outcome = DecodedRequest.decode(text)
        #expect(outcome.error?.status == status, "\(text.prefix(80).debugDescription)")
        #expect(outcome.requests.isEmpty)
        // Cut in two anywhere, the same refusal (a sample of cuts: some inputs are long).
        let bytes = Array(text.utf8)
        for cut in stride(from: 0, through: bytes.count, by: max(1, bytes.count / 97)) {
            #expect(DecodedRequest.decode(bytes, cuts: [cut]).error?.status == status, "cut at \(cut)")
        }
    }

    @Test func aRefusalAfterGoodRequestsKeepsThem() {
        let outcome = DecodedRequest.decode(Self.get + "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx")
        #expect(outcome.requests.count == 1)
        #expect(outcome.error?.status == 400)
    }

    @Test func buffersAreReusedAcrossRequests() throws {
        var decoder = HTTPRequestDecoder(maxHeadBytes: 4096, maxBodyBytes: 1 << 16)
        var request = HTTPRequest()
        var capacities: Set<Int> = []
        for round in 0..<200 {
            decoder.feed(Self.post.utf8)
            #expect(try decoder.next() == .request)
            decoder.takeRequest(into: &request)
            if round >= 2 { capacities.insert(request.body.capacity) }
            #expect(request.body.count == 14)
        }
        #expect(capacities.count == 1, "the body buffers circulate instead of being made anew")
    }
}
