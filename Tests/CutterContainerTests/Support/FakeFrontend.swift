import ClipperRPC
import Dispatch
import Glibc

/// The frontend's RPC port played by a test: a loopback listener whose connections the test
/// drives by hand. Its blocking socket calls run on a queue of its own, never on the concurrency
/// pool that the runner under test needs.
final class FakeFrontend: Sendable {
    let port: UInt16
    private let listener: Int32
    private let queue = DispatchQueue(label: "fake-frontend")

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(listener, pointer, length) == 0 && listen(listener, 8) == 0 && getsockname(listener, pointer, &length) == 0
            }
        }
        guard bound else {
            defer { close(listener) }
            throw FakeFrontendError("cannot listen on 127.0.0.1: \(String(cString: strerror(errno)))")
        }
        self.listener = listener
        port = UInt16(bigEndian: address.sin_port)
    }

    deinit { close(listener) }

    /// Accepts the runner's next connection, waiting at most `seconds`.
    func accept(mechanism: ZMTP.Mechanism = .null, seconds: Int32 = 10) async throws -> FakeFrontendConnection {
        let listener = self.listener
        let descriptor = await withCheckedContinuation { continuation in
            queue.async {
                var ready = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
                continuation.resume(returning: poll(&ready, 1, seconds * 1000) == 1 ? Glibc.accept(listener, nil, nil) : -1)
            }
        }
        guard descriptor >= 0 else { throw FakeFrontendError("no connection within \(seconds) s") }
        return FakeFrontendConnection(descriptor: descriptor, mechanism: mechanism)
    }
}
