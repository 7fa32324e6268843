/// An incremental HTTP/1.1 request decoder (RFC 9112): feed it bytes as they arrive, in pieces of
/// any size, and take requests out. It decodes Content-Length and chunked bodies, reports when a
/// client waits for `100 Continue`, and keeps the bytes of pipelined requests for the next call.
///
/// It is strict where leniency lets requests be smuggled or misread: duplicate Content-Length,
/// Content-Length beside Transfer-Encoding, obsolete header folding, whitespace before a colon,
/// bare CR or LF, and more than one Host are refused, each as the `APIError` the client gets
/// (the connection then closes). Everything it holds is bounded: the head by `maxHeadBytes`, the
/// body by `maxBodyBytes`, a chunk-size line by `maxChunkLineBytes`.
///
/// Its buffer and the request's buffers are reused, so in the steady state it allocates nothing.
struct HTTPRequestDecoder {
    enum Event: Equatable {
        /// The head asked for `100 Continue` and its body has not arrived yet.
        case continueExpected
        /// `request` is complete; take it with `takeRequest(into:)` before calling `next()` again.
        case request
    }

    private enum State {
        /// Reading a head; `scanned` bytes of it were already searched for its end.
        case head(scanned: Int)
        case body(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        /// Reading the trailer section; `bytes` of it were read.
        case trailers(bytes: Int)
    }

    /// How a request's body is framed.
    private enum Framing {
        case none, length(Int), chunked
    }

    /// What the rest of the decoding needs to know of a head.
    private struct HeadSummary {
        let framing: Framing
        let expectsContinue: Bool
    }

    static let maxChunkLineBytes = 1024

    let maxHeadBytes: Int
    let maxBodyBytes: Int
    private var buffer: [UInt8]
    private var readIndex = 0
    private var writeIndex = 0
    private var state = State.head(scanned: 0)
    /// The request being decoded.
    private(set) var request = HTTPRequest()

    init(maxHeadBytes: Int, maxBodyBytes: Int) {
        self.maxHeadBytes = maxHeadBytes
        self.maxBodyBytes = maxBodyBytes
        buffer = [UInt8](repeating: 0, count: 16 << 10)
    }

    /// Whether bytes are buffered that `next()` has not made into a request.
    var hasBufferedBytes: Bool { readIndex < writeIndex }

    /// Whether the decoder is inside a request head (its deadline runs) rather than a body or
    /// between requests.
    var isReadingHead: Bool {
        if case .head = state { return readIndex < writeIndex }
        return false
    }

    /// Lets `read` write arriving bytes straight into the buffer's free space (no copy) and
    /// returns what it returned: the byte count, 0 at end of stream, or negative on error.
    mutating func receive(_ read: (UnsafeMutableRawBufferPointer) -> Int) -> Int {
        makeRoom()
        let count = buffer.withUnsafeMutableBytes { read(UnsafeMutableRawBufferPointer(rebasing: $0[writeIndex...])) }
        if count > 0 { writeIndex += count }
        return count
    }

    /// Appends `bytes` (tests and fuzzing; connections use `receive`).
    mutating func feed(_ bytes: some Collection<UInt8>) {
        var remaining = bytes[...]
        while !remaining.isEmpty {
            let taken = receive { space in
                let count = min(space.count, remaining.count)
                space.copyBytes(from: remaining.prefix(count))
                return count
            }
            remaining = remaining.dropFirst(taken)
        }
    }

    /// Hands the decoded request to `destination` and takes its old buffers for reuse.
    mutating func takeRequest(into destination: inout HTTPRequest) {
        swap(&request, &destination)
    }

    /// Decodes as far as the buffered bytes go: an event, or nil when more bytes are needed.
    /// A thrown error is the reply the client gets; the decoder is then unusable.
    mutating func next() throws(APIError) -> Event? {
        switch state {
        case .head(let scanned):
            let scanned = max(0, scanned - skipEmptyLines())
            guard let length = try headLength(scanned: scanned) else {
                guard writeIndex - readIndex <= maxHeadBytes else { throw Self.headTooLarge }
                state = .head(scanned: writeIndex - readIndex)
                return nil
            }
            guard length <= maxHeadBytes else { throw Self.headTooLarge }
            request.reset()
            // withUnsafeBytes rethrows untyped errors: the result crosses it as a Result.
            let parsed = buffer.withUnsafeBytes { bytes -> Result<HeadSummary, APIError> in
                do throws(APIError) {
                    return .success(try Self.parseHead(UnsafeRawBufferPointer(rebasing: bytes[readIndex..<(readIndex + length)]),
                                                       into: &request, maxBodyBytes: maxBodyBytes))
                } catch {
                    return .failure(error)
                }
            }
            let head = try parsed.get()
            readIndex += length
            switch head.framing {
            case .none:
                state = .head(scanned: 0)
                return .request
            case .length(let count):
                request.body.reserveCapacity(count)
                state = .body(remaining: count)
                if head.expectsContinue && writeIndex - readIndex < count { return .continueExpected }
            case .chunked:
                state = .chunkSize
                if head.expectsContinue && readIndex == writeIndex { return .continueExpected }
            }
            return try next()

        case .body(let remaining):
            let taken = takeBody(upTo: remaining)
            guard taken == remaining else {
                state = .body(remaining: remaining - taken)
                return nil
            }
            state = .head(scanned: 0)
            return .request

        case .chunkSize:
            guard let lineEnd = try lineEnd(limit: Self.maxChunkLineBytes) else {
                guard writeIndex - readIndex <= Self.maxChunkLineBytes else { throw Self.badChunk }
                return nil
            }
            let size = try buffer.withUnsafeBytes { bytes -> Result<Int, APIError> in
                do throws(APIError) { return .success(try Self.chunkSize(UnsafeRawBufferPointer(rebasing: bytes[readIndex..<lineEnd]))) } catch { return .failure(error) }
            }.get()
            readIndex = lineEnd + 2
            if size == 0 {
                state = .trailers(bytes: 0)
            } else {
                guard size <= maxBodyBytes - request.body.count else { throw APIError.bodyTooLarge }
                state = .chunkData(remaining: size)
            }
            return try next()

        case .chunkData(let remaining):
            let taken = takeBody(upTo: remaining)
            guard taken == remaining else {
                state = .chunkData(remaining: remaining - taken)
                return nil
            }
            state = .chunkDataEnd
            return try next()

        case .chunkDataEnd:
            guard writeIndex - readIndex >= 2 else { return nil }
            guard buffer[readIndex] == Self.cr && buffer[readIndex + 1] == Self.lf else { throw Self.badChunk }
            readIndex += 2
            state = .chunkSize
            return try next()

        case .trailers(let bytes):
            // Trailer fields are read past and dropped: Cutter acts on none of them.
            guard let lineEnd = try lineEnd(limit: maxHeadBytes - bytes) else {
                guard writeIndex - readIndex <= maxHeadBytes - bytes else { throw Self.headTooLarge }
                return nil
            }
            let lineLength = lineEnd + 2 - readIndex
            readIndex = lineEnd + 2
            if lineLength == 2 {
                state = .head(scanned: 0)
                return .request
            }
            state = .trailers(bytes: bytes + lineLength)
            return try next()
        }
    }

    // MARK: Buffer

    /// Keeps at least 4 KiB free after `writeIndex`: drops consumed bytes, or doubles the buffer.
    /// The buffer stays under 2 × (maxHeadBytes + 4 KiB): `next()` refuses a longer head and
    /// moves body bytes out as they come.
    private mutating func makeRoom() {
        if readIndex == writeIndex {
            readIndex = 0
            writeIndex = 0
        }
        guard buffer.count - writeIndex < 4096 else { return }
        if readIndex > 0 {
            let (from, count) = (readIndex, writeIndex - readIndex)
            buffer.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: $0.baseAddress! + from, byteCount: count) }
            writeIndex = count
            readIndex = 0
        }
        if buffer.count - writeIndex < 4096 {
            buffer.append(contentsOf: repeatElement(0, count: buffer.count))
        }
    }

    private mutating func takeBody(upTo remaining: Int) -> Int {
        let taken = min(remaining, writeIndex - readIndex)
        request.body.append(contentsOf: buffer[readIndex..<(readIndex + taken)])
        readIndex += taken
        return taken
    }

    /// RFC 9112 §2.2: a server should ignore empty lines received before a request line.
    /// Returns how many bytes it skipped.
    private mutating func skipEmptyLines() -> Int {
        let start = readIndex
        while writeIndex - readIndex >= 2 && buffer[readIndex] == Self.cr && buffer[readIndex + 1] == Self.lf {
            readIndex += 2
        }
        return readIndex - start
    }

    /// The length of the buffered head up to and including its blank line, or nil if it is not
    /// all here. Searches only bytes past `scanned`.
    private func headLength(scanned: Int) throws(APIError) -> Int? {
        var index = readIndex + scanned
        while index < writeIndex {
            if buffer[index] == Self.lf {
                guard index > readIndex && buffer[index - 1] == Self.cr else { throw Self.bareLineFeed }
                if index - readIndex >= 3 && buffer[index - 2] == Self.lf && buffer[index - 3] == Self.cr {
                    return index + 1 - readIndex
                }
            }
            index += 1
        }
        return nil
    }

    /// The index of the CR ending the line at `readIndex`, or nil if the line is not all here
    /// within `limit` bytes.
    private func lineEnd(limit: Int) throws(APIError) -> Int? {
        var index = readIndex
        while index < writeIndex && index - readIndex <= limit {
            if buffer[index] == Self.lf {
                guard index > readIndex && buffer[index - 1] == Self.cr else { throw Self.bareLineFeed }
                return index - 1
            }
            index += 1
        }
        return nil
    }

    // MARK: Head

    /// Parses a whole head (request line, fields, blank line) into `request`.
    private static func parseHead(_ head: UnsafeRawBufferPointer, into request: inout HTTPRequest,
                                  maxBodyBytes: Int) throws(APIError) -> HeadSummary {
        var position = try parseRequestLine(head, into: &request)
        request.fields.append(contentsOf: head[position..<(head.count - 2)])
        var contentLength: Int?
        var chunked = false
        var sawTransferEncoding = false
        var hosts = 0
        var connectionClose = false
        var connectionKeepAlive = false
        var expectsContinue = false
        while true {
            let end = try fieldLineEnd(head, from: position)
            if end == position { break }
            let line = UnsafeRawBufferPointer(rebasing: head[position..<end])
            position = end + 2
            guard line[0] != space && line[0] != tab else {
                throw APIError.badRequest("Obsolete header line folding (a line starting with whitespace) is not accepted; send each header on one line.")
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0,
                  line[..<colon].allSatisfy(isTokenCharacter) else {
                throw APIError.badRequest("Malformed header line: a header is a token name, a colon with no whitespace before it, and a value.")
            }
            let name = UnsafeRawBufferPointer(rebasing: line[..<colon])
            let value = trimmed(UnsafeRawBufferPointer(rebasing: line[(colon + 1)...]))
            guard value.allSatisfy({ $0 == tab || ($0 >= space && $0 != 0x7F) }) else {
                throw APIError.badRequest("A header value holds a control character.")
            }
            if equalsLowercased(name, "content-length") {
                guard contentLength == nil else {
                    throw APIError.badRequest("More than one Content-Length header; send exactly one.")
                }
                guard let length = decimal(value) else {
                    throw APIError.badRequest("Content-Length must be a decimal number of bytes.")
                }
                contentLength = length
            } else if equalsLowercased(name, "transfer-encoding") {
                guard !sawTransferEncoding else {
                    throw APIError.badRequest("More than one Transfer-Encoding header; send one.")
                }
                sawTransferEncoding = true
                guard equalsLowercased(value, "chunked") else {
                    throw APIError(status: 501, error: "Not implemented",
                                   cause: "Transfer-Encoding \(String(decoding: value, as: UTF8.self)) is not supported: send chunked or a Content-Length.")
                }
                chunked = true
            } else if equalsLowercased(name, "connection") {
                for option in value.split(separator: UInt8(ascii: ",")) {
                    let token = trimmed(UnsafeRawBufferPointer(rebasing: option))
                    if equalsLowercased(token, "close") { connectionClose = true }
                    if equalsLowercased(token, "keep-alive") { connectionKeepAlive = true }
                }
            } else if equalsLowercased(name, "expect") {
                guard equalsLowercased(value, "100-continue") else {
                    throw APIError(status: 417, error: "Expectation failed", cause: "The only expectation served is 100-continue.")
                }
                expectsContinue = true
            } else if equalsLowercased(name, "host") {
                hosts += 1
            }
        }
        if request.minorVersion == 1 && hosts != 1 {
            throw APIError.badRequest("An HTTP/1.1 request needs exactly one Host header.")
        }
        if chunked && contentLength != nil {
            throw APIError.badRequest("A request may not have both Content-Length and Transfer-Encoding.")
        }
        request.keepAlive = !connectionClose && (request.minorVersion == 1 || connectionKeepAlive)
        if chunked { return HeadSummary(framing: .chunked, expectsContinue: expectsContinue) }
        guard let contentLength, contentLength > 0 else { return HeadSummary(framing: .none, expectsContinue: false) }
        guard contentLength <= maxBodyBytes else { throw APIError.bodyTooLarge }
        return HeadSummary(framing: .length(contentLength), expectsContinue: expectsContinue)
    }

    /// Parses `METHOD SP target SP HTTP/1.x CRLF`; returns where the header fields start.
    private static func parseRequestLine(_ head: UnsafeRawBufferPointer, into request: inout HTTPRequest) throws(APIError) -> Int {
        let end = try fieldLineEnd(head, from: 0)
        let line = UnsafeRawBufferPointer(rebasing: head[..<end])
        guard let methodEnd = line.firstIndex(of: space), methodEnd > 0, line[..<methodEnd].allSatisfy(isTokenCharacter),
              let targetEnd = line[(methodEnd + 1)...].firstIndex(of: space), targetEnd > methodEnd + 1,
              line[(methodEnd + 1)..<targetEnd].allSatisfy({ $0 > space && $0 < 0x7F }) else {
            throw APIError.badRequest("Malformed request line: expected METHOD SP target SP HTTP/1.1.")
        }
        let version = UnsafeRawBufferPointer(rebasing: line[(targetEnd + 1)...])
        guard version.count == 8, version.prefix(5).elementsEqual("HTTP/".utf8), version[6] == UInt8(ascii: "."),
              isDigit(version[5]), isDigit(version[7]) else {
            throw APIError.badRequest("Malformed HTTP version: expected HTTP/1.1 or HTTP/1.0.")
        }
        guard version[5] == UInt8(ascii: "1") else {
            throw APIError(status: 505, error: "HTTP version not supported", cause: "This server speaks HTTP/1.1 and HTTP/1.0.")
        }
        guard let method = HTTPMethod(UnsafeRawBufferPointer(rebasing: line[..<methodEnd])) else {
            throw APIError(status: 501, error: "Not implemented",
                           cause: "Method \(String(decoding: line[..<methodEnd], as: UTF8.self)) is not served; use GET or POST.")
        }
        guard line[methodEnd + 1] == UInt8(ascii: "/") else {
            throw APIError.badRequest("The request target must be a path starting with /.")
        }
        request.method = method
        // RFC 9112 §2.3: HTTP/1.x with x > 1 is answered as 1.1.
        request.minorVersion = version[7] == UInt8(ascii: "0") ? 0 : 1
        request.target.append(contentsOf: line[(methodEnd + 1)..<targetEnd])
        return end + 2
    }

    /// The index of the CR that ends the line starting at `start`: the head is known to end in
    /// CRLF CRLF, and `headLength` refused bare LFs; a CR not followed by LF is refused here.
    private static func fieldLineEnd(_ head: UnsafeRawBufferPointer, from start: Int) throws(APIError) -> Int {
        var index = start
        while head[index] != cr { index += 1 }
        guard head[index + 1] == lf else { throw bareCarriageReturn }
        return index
    }

    /// A chunk-size line: hex digits, optional whitespace, optional `;` extensions (ignored).
    private static func chunkSize(_ line: UnsafeRawBufferPointer) throws(APIError) -> Int {
        var size = 0
        var index = 0
        while index < line.count, let digit = HTTPRequest.hexValue(line[index]) {
            guard index < 15 else { throw badChunk }
            size = size << 4 | Int(digit)
            index += 1
        }
        guard index > 0 else { throw badChunk }
        while index < line.count && (line[index] == space || line[index] == tab) { index += 1 }
        guard index == line.count || line[index] == UInt8(ascii: ";") else { throw badChunk }
        guard line[index...].allSatisfy({ $0 == tab || ($0 >= space && $0 != 0x7F) }) else { throw badChunk }
        return size
    }

    // MARK: Bytes

    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")
    private static let space = UInt8(ascii: " ")
    private static let tab = UInt8(ascii: "\t")

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// RFC 9110 tchar: the characters of a method or header name.
    private static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    private static func trimmed(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var start = 0
        var end = bytes.count
        while start < end && (bytes[start] == space || bytes[start] == tab) { start += 1 }
        while end > start && (bytes[end - 1] == space || bytes[end - 1] == tab) { end -= 1 }
        return UnsafeRawBufferPointer(rebasing: bytes[start..<end])
    }

    /// Whether `bytes` equal `lowercase` ignoring ASCII case.
    private static func equalsLowercased(_ bytes: UnsafeRawBufferPointer, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        return lowercase.withUTF8Buffer { expected in
            for index in 0..<bytes.count where bytes[index] | 0x20 != expected[index] { return false }
            return true
        }
    }

    /// A non-negative decimal of at most 18 digits (no sign, no spaces, no commas).
    private static func decimal(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard !bytes.isEmpty && bytes.count <= 18 && bytes.allSatisfy(isDigit) else { return nil }
        return bytes.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
    }

    private static let headTooLarge = APIError(status: 431, error: "Request header fields too large",
                                               cause: "The request head exceeds the configured max_header_bytes.")
    private static let badChunk = APIError.badRequest("Malformed chunked body: expected hex size, CRLF, data, CRLF.")
    private static let bareLineFeed = APIError.badRequest("A line ends in LF without CR; HTTP lines end in CRLF.")
    private static let bareCarriageReturn = APIError.badRequest("A CR not followed by LF in the request head.")
}
