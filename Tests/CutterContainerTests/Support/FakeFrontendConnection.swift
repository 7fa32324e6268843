import ClipperRPC
import Dispatch
import Glibc

/// One connection accepted by a `FakeFrontend`: the server's side of ZMTP and Clipper RPC,
/// spoken one step at a time by the test. Reads give up after 10 s, so a runner that does not
/// answer fails the test instead of hanging it.
final class FakeFrontendConnection: @unchecked Sendable {
    private let descriptor: Int32
    /// Touched only on `queue`.
    private var decoder: ZMTPDecoder
    private let queue = DispatchQueue(label: "fake-frontend-connection")

    init(descriptor: Int32, mechanism: ZMTP.Mechanism) {
        self.descriptor = descriptor
        decoder = ZMTPDecoder(mechanism: mechanism)
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    /// Closes the connection as a dying frontend would; the descriptor is released by deinit.
    func hangUp() { shutdown(descriptor, Int32(SHUT_RDWR)) }

    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    func send(frames: [[UInt8]]) {
        var bytes: [UInt8] = []
        ZMTP.appendMessage(frames, to: &bytes)
        send(bytes)
    }

    /// The next greeting, command or message from the runner; nil when it closed the connection.
    func next() async throws -> ZMTPDecoder.Event? {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try self.readEvent() }) }
        }
    }

    private func readEvent() throws -> ZMTPDecoder.Event? {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            if let event = try decoder.next() { return event }
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count == 0 { return nil }
            guard count > 0 else { throw FakeFrontendError("nothing from the runner: \(String(cString: strerror(errno)))") }
            decoder.feed(buffer[..<count])
        }
    }

    /// Reads and drops bytes until the runner closes the connection, without decoding them (they
    /// may not even be what this side's decoder expects).
    func waitForClose() async throws {
        let descriptor = self.descriptor
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            queue.async {
                var buffer = [UInt8](repeating: 0, count: 4096)
                while true {
                    let count = recv(descriptor, &buffer, buffer.count, 0)
                    if count == 0 { return continuation.resume() }
                    if count < 0 { return continuation.resume(throwing: FakeFrontendError("the runner did not close the connection")) }
                }
            }
        }
    }

    /// The next event, which must be a message from the runner.
    func nextMessage() async throws -> ContainerMessage {
        let event = try await next()
        guard case .message(let frames) = event else { throw FakeFrontendError("expected a message, got \(String(describing: event))") }
        return try ContainerMessage(frames: frames)
    }

    /// Plays the frontend's handshake: with `password`, ZMTP PLAIN as the server, checking the
    /// runner's credentials; else NULL. Returns the socket type the runner announced.
    @discardableResult
    func handshake(password: String? = nil) async throws -> String {
        send(ZMTP.greeting(mechanism: password == nil ? .null : .plain, asServer: password != nil))
        guard try await next() == .greeting else { throw FakeFrontendError("expected the runner's greeting") }
        var metadata: [UInt8]
        if let password {
            guard case .command("HELLO", let data)? = try await next() else { throw FakeFrontendError("expected HELLO") }
            let hello = ZMTP.parseHello(data)
            guard hello?.username == Array("cutter".utf8), hello?.password == Array(password.utf8) else {
                throw FakeFrontendError("wrong credentials: \(String(describing: hello))")
            }
            send(ZMTP.welcomeCommand)
            guard case .command("INITIATE", let data)? = try await next() else { throw FakeFrontendError("expected INITIATE") }
            metadata = data
        } else {
            guard case .command("READY", let data)? = try await next() else { throw FakeFrontendError("expected READY") }
            metadata = data
        }
        send(ZMTP.readyCommand(socketType: "ROUTER"))
        let socketType = ZMTP.parseProperties(metadata[...])?["Socket-Type"] ?? []
        return String(decoding: socketType, as: UTF8.self)
    }

    /// After the handshake: takes the runner's first heartbeat, asks for its metadata as Cutter
    /// does, and returns the NewContainer message it answers with.
    func register() async throws -> ContainerMessage {
        let hello = try await nextMessage()
        guard hello == .heartbeat else { throw FakeFrontendError("expected a heartbeat, got \(hello)") }
        send(frames: FrontendMessage.heartbeatReply(requestMetadata: true))
        // More heartbeats may have left before our reply arrived (a loaded machine).
        var answer = try await nextMessage()
        while answer == .heartbeat { answer = try await nextMessage() }
        return answer
    }

    /// Sends a batch of doubles and returns the runner's outputs for it, as text.
    func predict(messageID: UInt32, _ inputs: [[Double]]) async throws -> [String] {
        let payloads = inputs.map { input in input.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } } }
        send(frames: FrontendMessage.predictionRequest(messageID: messageID, type: .doubles, inputs: payloads))
        return try await response(to: messageID)
    }

    /// The runner's outputs for batch `messageID`, as text; heartbeats sent meanwhile are skipped.
    func response(to messageID: UInt32) async throws -> [String] {
        var answer = try await nextMessage()
        while answer == .heartbeat { answer = try await nextMessage() }
        guard case .predictionResponse(messageID, let outputs) = answer else { throw FakeFrontendError("expected the response to \(messageID), got \(answer)") }
        return outputs.map { String(decoding: $0, as: UTF8.self) }
    }
}
