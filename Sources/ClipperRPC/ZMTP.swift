/// ZMTP 3.0 with the NULL and PLAIN mechanisms: the parts of ZeroMQ's wire protocol that a ROUTER
/// socket serving DEALER peers needs (RFC 23/ZMTP, RFC 24/ZMTP-PLAIN, RFC 37/ZMTP 3.1 for PING/PONG).
///
/// Cutter frames ZMTP itself on a libevent bufferevent instead of linking libzmq. The reason is
/// the loop, not raw speed: libzmq runs its own I/O thread, so every batch would cross threads
/// (an inproc hand-off and a wake-up of our loop through ZMQ_FD, whose edge-triggered readiness
/// must be re-polled by hand), while a bufferevent keeps container I/O on the one loop that owns
/// the queues, with no locks. The whole RPC path costs what `bench/run.sh` case (c) shows against
/// case (b): Python `noop` container, distinct inputs, 0.54 of the raw evhttp limit against 0.75
/// for a cache hit. One TCP connection is one peer, so the ROUTER's routing identity is simply
/// the connection. Clipper's containers use NULL; PLAIN (a user name and a password, sent in clear
/// text) lets a frontend admit only containers that know its secret.
public enum ZMTP {
    /// A security mechanism: both peers announce the same one in their greetings.
    public enum Mechanism: String, Sendable {
        case null = "NULL"
        case plain = "PLAIN"
    }

    /// The 64-byte greeting: signature, version 3.0, the mechanism, and whether this peer is the
    /// mechanism's server (PLAIN's server checks the client's credentials).
    public static func greeting(mechanism: Mechanism, asServer: Bool) -> [UInt8] {
        var bytes: [UInt8] = [0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 3, 0]
        let name = Array(mechanism.rawValue.utf8)
        bytes += name + [UInt8](repeating: 0, count: 20 - name.count)
        bytes.append(asServer ? 1 : 0)
        bytes += [UInt8](repeating: 0, count: 31)
        return bytes
    }

    /// The greeting of a NULL peer.
    public static let greeting = greeting(mechanism: .null, asServer: false)

    /// Frame flag bits.
    public static let moreFlag: UInt8 = 0x01
    public static let longFlag: UInt8 = 0x02
    public static let commandFlag: UInt8 = 0x04

    /// Appends one frame (message part or command) to `out`.
    public static func appendFrame(_ body: some Collection<UInt8>, more: Bool, command: Bool = false, to out: inout [UInt8]) {
        var flags: UInt8 = (more ? moreFlag : 0) | (command ? commandFlag : 0)
        if body.count > 255 {
            flags |= longFlag
            out.append(flags)
            withUnsafeBytes(of: UInt64(body.count).bigEndian) { out.append(contentsOf: $0) }
        } else {
            out.append(flags)
            out.append(UInt8(body.count))
        }
        out.append(contentsOf: body)
    }

    /// Appends a multipart message: every frame but the last carries the MORE flag.
    public static func appendMessage(_ frames: [[UInt8]], to out: inout [UInt8]) {
        for (index, frame) in frames.enumerated() {
            appendFrame(frame, more: index < frames.count - 1, to: &out)
        }
    }

    /// The READY command announcing `socketType` (e.g. "ROUTER").
    public static func readyCommand(socketType: String) -> [UInt8] {
        var body: [UInt8] = [5] + Array("READY".utf8)
        appendProperty(name: "Socket-Type", value: Array(socketType.utf8), to: &body)
        var out: [UInt8] = []
        appendFrame(body, more: false, command: true, to: &out)
        return out
    }

    /// PLAIN's WELCOME: the server accepted the client's HELLO.
    public static let welcomeCommand: [UInt8] = {
        var out: [UInt8] = []
        appendFrame([7] + Array("WELCOME".utf8), more: false, command: true, to: &out)
        return out
    }()

    /// The ERROR command a server sends before closing, with a reason of at most 255 bytes.
    public static func errorCommand(reason: String) -> [UInt8] {
        let text = Array(reason.utf8.prefix(255))
        var out: [UInt8] = []
        appendFrame([5] + Array("ERROR".utf8) + [UInt8(text.count)] + text, more: false, command: true, to: &out)
        return out
    }

    /// The user name and password of a PLAIN HELLO command's data; nil when malformed.
    public static func parseHello(_ data: some Collection<UInt8>) -> (username: [UInt8], password: [UInt8])? {
        let bytes = Array(data)
        guard let userLength = bytes.first.map(Int.init), bytes.count >= 1 + userLength + 1 else { return nil }
        let passwordLength = Int(bytes[1 + userLength])
        guard bytes.count == 2 + userLength + passwordLength else { return nil }
        return (Array(bytes[1..<(1 + userLength)]), Array(bytes[(2 + userLength)...]))
    }

    /// The PONG command answering a PING with its context.
    public static func pongCommand(context: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        appendFrame([4] + Array("PONG".utf8) + context, more: false, command: true, to: &out)
        return out
    }

    static func appendProperty(name: String, value: [UInt8], to body: inout [UInt8]) {
        body.append(UInt8(name.utf8.count))
        body += Array(name.utf8)
        withUnsafeBytes(of: UInt32(value.count).bigEndian) { body.append(contentsOf: $0) }
        body += value
    }

    /// Parses a command frame's body into its name and data; nil when malformed.
    public static func parseCommand(_ body: [UInt8]) -> (name: String, data: ArraySlice<UInt8>)? {
        guard let nameLength = body.first.map(Int.init), body.count >= 1 + nameLength else { return nil }
        let name = String(decoding: body[1..<(1 + nameLength)], as: UTF8.self)
        return (name, body[(1 + nameLength)...])
    }

    /// Parses READY properties (name -> value); nil when malformed.
    public static func parseProperties(_ data: ArraySlice<UInt8>) -> [String: [UInt8]]? {
        var properties: [String: [UInt8]] = [:]
        var index = data.startIndex
        while index < data.endIndex {
            let nameLength = Int(data[index])
            index += 1
            guard index + nameLength + 4 <= data.endIndex else { return nil }
            let name = String(decoding: data[index..<(index + nameLength)], as: UTF8.self)
            index += nameLength
            var valueLength = 0
            for byte in data[index..<(index + 4)] { valueLength = valueLength << 8 | Int(byte) }
            index += 4
            guard index + valueLength <= data.endIndex else { return nil }
            properties[name] = Array(data[index..<(index + valueLength)])
            index += valueLength
        }
        return properties
    }
}
