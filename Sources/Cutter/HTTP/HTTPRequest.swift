import Foundation

/// One decoded request: what `HTTPRequestDecoder` fills and an `HTTPExchange` hands to handlers.
///
/// Its buffers are reused from request to request (the decoder and the exchanges of a connection
/// swap them), so in the steady state decoding a request allocates nothing.
struct HTTPRequest {
    var method = HTTPMethod.get
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    var minorVersion = 1
    /// Whether the connection stays open after the reply: HTTP/1.1 without `Connection: close`,
    /// or HTTP/1.0 with `Connection: keep-alive`.
    var keepAlive = true
    /// The request target as sent (origin form: path and query, escapes not decoded).
    var target: [UInt8] = []
    /// The header section as received (field lines, each ending in CRLF), for `header(_:)`.
    var fields: [UInt8] = []
    /// The body, de-chunked.
    var body: [UInt8] = []

    /// The value of the first header field named `lowercaseName` (compared ignoring case), without
    /// surrounding whitespace. Scans the fields: handlers ask for one or two headers at most.
    func header(_ lowercaseName: StaticString) -> String? {
        var start = fields.startIndex
        while start < fields.endIndex, let end = fields[start...].firstIndex(of: UInt8(ascii: "\r")) {
            let line = fields[start..<end]
            start = end + 2
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon - line.startIndex == lowercaseName.utf8CodeUnitCount else { continue }
            let matches = lowercaseName.withUTF8Buffer { name in
                zip(line[..<colon], name).allSatisfy { $0 | 0x20 == $1 | 0x20 }
            }
            guard matches else { continue }
            let value = line[(colon + 1)...].drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            return String(decoding: value, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        }
        return nil
    }

    /// The target's path, without the query, percent-decoded. Made on each call: the HTTP layer
    /// itself never needs it as a String.
    var path: String {
        let end = target.firstIndex(of: UInt8(ascii: "?")) ?? target.endIndex
        let raw = target[..<end]
        guard raw.contains(UInt8(ascii: "%")) else { return String(decoding: raw, as: UTF8.self) }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(raw.count)
        var index = raw.startIndex
        while index < raw.endIndex {
            if raw[index] == UInt8(ascii: "%"), index + 2 < raw.endIndex,
               let high = Self.hexValue(raw[index + 1]), let low = Self.hexValue(raw[index + 2]) {
                decoded.append(high << 4 | low)
                index += 3
            } else {
                decoded.append(raw[index])
                index += 1
            }
        }
        return String(decoding: decoded, as: UTF8.self)
    }

    /// The target's query (after `?`), undecoded; nil when there is none.
    var query: String? {
        target.firstIndex(of: UInt8(ascii: "?")).map { String(decoding: target[($0 + 1)...], as: UTF8.self) }
    }

    /// Empties the request for the next one, keeping its buffers' capacity.
    mutating func reset() {
        method = .get
        minorVersion = 1
        keepAlive = true
        target.removeAll(keepingCapacity: true)
        fields.removeAll(keepingCapacity: true)
        body.removeAll(keepingCapacity: true)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
