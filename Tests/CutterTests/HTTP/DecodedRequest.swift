@testable import Cutter

/// What a test compares of a decoded request, and a driver that feeds bytes to a decoder in
/// given pieces and collects what comes out.
struct DecodedRequest: Equatable, CustomStringConvertible {
    var method: HTTPMethod
    var path: String
    var target: String
    var minorVersion: Int
    var keepAlive: Bool
    var body: String

    init(method: HTTPMethod, path: String, target: String, minorVersion: Int, keepAlive: Bool, body: String) {
        (self.method, self.path, self.target, self.minorVersion, self.keepAlive, self.body) = (method, path, target, minorVersion, keepAlive, body)
    }

    init(_ request: HTTPRequest) {
        method = request.method
        path = request.path
        target = String(decoding: request.target, as: UTF8.self)
        minorVersion = request.minorVersion
        keepAlive = request.keepAlive
        body = String(decoding: request.body, as: UTF8.self)
    }

    var description: String { "\(method) \(target) 1.\(minorVersion) keepAlive=\(keepAlive) body=\(body.debugDescription)" }

    /// Everything a decoder made of some bytes: the requests, how many times it asked for
    /// 100 Continue, and the error that stopped it.
    struct Outcome: Equatable {
        var requests: [DecodedRequest] = []
        var continues = 0
        var error: APIError?
    }

    /// Feeds `bytes` cut at `cuts` (ascending offsets) and drains the decoder after each piece.
    static func decode(_ bytes: [UInt8], cuts: [Int] = [], maxHeadBytes: Int = 4096, maxBodyBytes: Int = 1 << 16) -> Outcome {
        var decoder = HTTPRequestDecoder(maxHeadBytes: maxHeadBytes, maxBodyBytes: maxBodyBytes)
        var outcome = Outcome()
        var start = 0
        for end in cuts + [bytes.count] where end >= start {
            decoder.feed(bytes[start..<end])
            start = end
            do {
                while let event = try decoder.next() {
                    switch event {
                    case .continueExpected: outcome.continues += 1
                    case .request:
                        var request = HTTPRequest()
                        decoder.takeRequest(into: &request)
                        outcome.requests.append(DecodedRequest(request))
                    }
                }
            } catch {
                outcome.error = error
                return outcome
            }
        }
        return outcome
    }

    static func decode(_ text: String, cuts: [Int] = [], maxHeadBytes: Int = 4096, maxBodyBytes: Int = 1 << 16) -> Outcome {
        decode(Array(text.utf8), cuts: cuts, maxHeadBytes: maxHeadBytes, maxBodyBytes: maxBodyBytes)
    }
}
