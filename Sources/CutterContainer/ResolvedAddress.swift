import Glibc

/// One socket address a host name resolved to, as the bytes of its sockaddr.
struct ResolvedAddress: Sendable {
    let family: Int32
    let bytes: [UInt8]

    /// Resolves `host` (a name or a numeric address) for a TCP connection to `port`; blocking.
    static func resolving(host: String, port: UInt16) -> Result<[ResolvedAddress], SocketError> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0 else {
            return .failure(SocketError("cannot resolve \(host): \(String(cString: gai_strerror(status)))"))
        }
        defer { freeaddrinfo(list) }
        var addresses: [ResolvedAddress] = []
        var entry = list
        while let current = entry {
            if let address = current.pointee.ai_addr {
                let bytes = UnsafeRawBufferPointer(start: address, count: Int(current.pointee.ai_addrlen))
                addresses.append(ResolvedAddress(family: current.pointee.ai_family, bytes: Array(bytes)))
            }
            entry = current.pointee.ai_next
        }
        return .success(addresses)
    }
}
