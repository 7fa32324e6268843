import Foundation
import Glibc

/// A plain TCP connection to a test server, for speaking (or mis-speaking) a protocol by hand.
/// One task may send while another reads (a socket allows it); nothing else is shared.
final class RawConnection: @unchecked Sendable {
    private let fd: Int32
    /// Bytes read past the last reply (pipelined replies).
    private var pending: [UInt8] = []

    init(port: UInt16) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw TestFailure("cannot connect to 127.0.0.1:\(port)")
        }
    }

    deinit { close(fd) }

    /// Sends `bytes`; false when the peer has closed the connection.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    /// Reads until the peer closes the connection (true) or `seconds` pass with it open (false).
    func waitForClose(seconds: Int = 10) async -> Bool {
        await Self.offThePool { self.blockingWaitForClose(seconds: seconds) }
    }

    private func blockingWaitForClose(seconds: Int) -> Bool {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count == 0 { return true }
            if count < 0 { return errno == ECONNRESET }
        }
    }

    /// Closes the sending side (a half-close): the peer reads end of stream, replies still come.
    func finishSending() { shutdown(fd, Int32(SHUT_WR)) }

    /// Sends `text` as UTF-8.
    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Reads one HTTP reply (head, then a Content-Length body); nil if the peer closed or
    /// `seconds` passed first.
    func readReply(seconds: Int = 10) async -> RawReply? {
        await Self.offThePool { self.blockingReadReply(seconds: seconds) }
    }

    private func blockingReadReply(seconds: Int) -> RawReply? {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 65536)
        func fill() -> Bool {
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { return false }
            pending += buffer[..<count]
            return true
        }
        let separator = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        while true {
            if pending.count >= 4, let end = (0...(pending.count - 4)).first(where: { Array(pending[$0..<($0 + 4)]) == separator }) {
                headEnd = end
                break
            }
            guard fill() else { return nil }
        }
        guard let headEnd else { return nil }
        let head = String(decoding: pending[..<headEnd], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = headers["content-length"].flatMap { Int($0) } ?? 0
        let bodyStart = headEnd + 4
        while pending.count < bodyStart + length {
            guard fill() else { return nil }
        }
        let reply = RawReply(status: statusLine.count > 1 ? Int(statusLine[1]) ?? 0 : 0, headers: headers,
                             body: String(decoding: pending[bodyStart..<(bodyStart + length)], as: UTF8.self))
        pending.removeFirst(bodyStart + length)
        return reply
    }

    /// Runs a blocking read on a thread of its own. On the concurrency pool (one thread a core, two
    /// here) a read waiting seconds for a server would stall every other test of the run.
    private static func offThePool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: body()) }.start()
        }
    }

    /// A ZMTP 3.0 greeting with the NULL mechanism, as a DEALER sends it.
    static let zmtpGreeting = zmtpGreeting(mechanism: "NULL")

    /// A ZMTP 3.0 client greeting announcing `mechanism`.
    static func zmtpGreeting(mechanism: String) -> [UInt8] {
        [0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 3, 0] + Array(mechanism.utf8)
            + [UInt8](repeating: 0, count: 20 - mechanism.utf8.count) + [0] + [UInt8](repeating: 0, count: 31)
    }

    /// Everything the peer sends until it closes the connection; nil if it stays open `seconds`.
    func readUntilClose(seconds: Int = 10) async -> [UInt8]? {
        await Self.offThePool { self.blockingReadUntilClose(seconds: seconds) }
    }

    private func blockingReadUntilClose(seconds: Int) -> [UInt8]? {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received = pending
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count == 0 || (count < 0 && errno == ECONNRESET) { return received }
            if count < 0 { return nil }
            received += buffer[..<count]
        }
    }
}
