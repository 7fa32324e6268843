import Glibc

/// A failed socket operation, named with the system's reason ("connect: Connection refused").
struct SocketError: Error, Equatable, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }

    init(_ operation: String, errno code: Int32) {
        description = "\(operation): \(String(cString: strerror(code)))"
    }
}
