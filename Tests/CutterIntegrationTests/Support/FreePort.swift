import Foundation
import Glibc
import Synchronization

/// Ports handed out so far: each test gets ports nobody else in this run got.
private let nextPort = Mutex<UInt16>(UInt16(20_000 + Int(getpid()) % 5_000))

/// A TCP port on 127.0.0.1 that is free now and that no other caller in this test run gets.
/// Taken below the kernel's ephemeral range (32768 and up on Linux): the kernel's own picks for
/// port 0 and for outgoing connections may reuse a port another test is about to bind, so two
/// tests running in parallel (or a client socket) could collide.
func freePort() -> UInt16 {
    while true {
        let port = nextPort.withLock { port -> UInt16 in
            defer { port = port >= 31_000 ? 20_000 : port + 1 }
            return port
        }
        if isFree(port) { return port }
    }
}

private func isFree(_ port: UInt16) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = port.bigEndian
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}
