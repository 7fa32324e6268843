import Glibc

/// Names of socket endpoints, for log lines.
enum SocketAddress {
    /// "host:port" of the peer of `fd`, or "unknown".
    static func peer(of fd: Int32) -> String {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
        } == 0
        guard ok else { return "unknown" }
        var text = [CChar](repeating: 0, count: 32)
        guard inet_ntop(AF_INET, &address.sin_addr, &text, 32) != nil else { return "unknown" }
        let host = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return "\(host):\(UInt16(bigEndian: address.sin_port))"
    }
}
