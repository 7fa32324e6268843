/// An incremental ZMTP 3.x decoder for one connection: feed it bytes as they arrive and take
/// out whole greetings, commands and multipart messages.
///
/// It accepts only a peer announcing the expected mechanism and reports anything else as an error,
/// so garbage on the RPC port closes that connection and nothing more. The mechanism's handshake
/// commands (READY; HELLO and INITIATE for PLAIN) come out as commands for the connection to answer.
public struct ZMTPDecoder: Sendable {
    /// What the decoder found in the byte stream.
    public enum Event: Equatable, Sendable {
        /// The peer's greeting was valid (ZMTP major version 3, the expected mechanism).
        case greeting
        /// A command frame (READY, PING, ...).
        case command(name: String, data: [UInt8])
        /// A complete multipart message.
        case message([[UInt8]])
    }

    /// Why a stream was rejected.
    public enum DecodingError: Error, Equatable, Sendable {
        case badSignature
        case unsupportedVersion(UInt8)
        case unsupportedMechanism(String)
        case frameTooLarge(UInt64)
        case malformedCommand
        case messageTooLarge
    }

    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var greeted = false
    private var parts: [[UInt8]] = []
    private var partsSize = 0
    /// Largest frame, and largest multipart message, accepted from a peer; the buffer never holds
    /// more than this plus one read. A server keeps it small until the peer has introduced itself.
    public var maxMessageSize: Int
    /// The mechanism a peer's greeting must announce.
    public let mechanism: ZMTP.Mechanism

    public init(maxMessageSize: Int = 64 << 20, mechanism: ZMTP.Mechanism = .null) {
        self.maxMessageSize = maxMessageSize
        self.mechanism = mechanism
    }

    /// Adds received bytes.
    public mutating func feed(_ bytes: some Collection<UInt8>) {
        if readIndex > 0 && readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        } else if readIndex > 65_536 && readIndex * 2 > buffer.count {
            buffer.removeFirst(readIndex)
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Returns the next complete event, nil when more bytes are needed, or throws on a protocol error.
    public mutating func next() throws(DecodingError) -> Event? {
        if !greeted { return try decodeGreeting() }
        while true {
            let available = buffer.count - readIndex
            guard available >= 2 else { return nil }
            let flags = buffer[readIndex]
            guard flags & ~(ZMTP.moreFlag | ZMTP.longFlag | ZMTP.commandFlag) == 0 else { throw .malformedCommand }
            let headerLength = flags & ZMTP.longFlag != 0 ? 9 : 2
            guard available >= headerLength else { return nil }
            var size: UInt64 = 0
            if headerLength == 9 {
                for i in 1...8 { size = size << 8 | UInt64(buffer[readIndex + i]) }
            } else {
                size = UInt64(buffer[readIndex + 1])
            }
            guard size <= UInt64(maxMessageSize) else { throw .frameTooLarge(size) }
            guard available >= headerLength + Int(size) else { return nil }
            let start = readIndex + headerLength
            let body = Array(buffer[start..<(start + Int(size))])
            readIndex = start + Int(size)
            if flags & ZMTP.commandFlag != 0 {
                guard let (name, data) = ZMTP.parseCommand(body) else { throw .malformedCommand }
                return .command(name: name, data: Array(data))
            }
            partsSize += body.count
            guard partsSize <= maxMessageSize else { throw .messageTooLarge }
            parts.append(body)
            if flags & ZMTP.moreFlag == 0 {
                defer { parts = []; partsSize = 0 }
                return .message(parts)
            }
        }
    }

    private mutating func decodeGreeting() throws(DecodingError) -> Event? {
        let available = buffer.count - readIndex
        // Check the signature as soon as its bytes arrive, so garbage is refused at once.
        if available >= 1 && buffer[readIndex] != 0xFF { throw .badSignature }
        if available >= 10 && buffer[readIndex + 9] & 0x01 != 0x01 { throw .badSignature }
        if available >= 11 && buffer[readIndex + 10] < 3 { throw .unsupportedVersion(buffer[readIndex + 10]) }
        guard available >= 64 else { return nil }
        let mechanismBytes = buffer[(readIndex + 12)..<(readIndex + 32)].prefix { $0 != 0 }
        let mechanism = String(decoding: mechanismBytes, as: UTF8.self)
        guard mechanism == self.mechanism.rawValue else { throw .unsupportedMechanism(mechanism) }
        readIndex += 64
        greeted = true
        return .greeting
    }
}
