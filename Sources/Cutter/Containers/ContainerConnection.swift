import ClipperRPC

/// One model container connected over TCP: ZMTP framing, Clipper RPC v3 decoding, and the
/// container's identity once it introduced itself. One TCP connection is one ROUTER peer.
final class ContainerConnection {
    /// What the container serves, known after its NewContainer message.
    struct Identity: Equatable, Sendable {
        let modelName: String
        let modelVersion: String
        let inputType: InputType
        var modelKey: String { ClipperSchema.modelKey(name: modelName, version: modelVersion) }
    }

    /// Frontend-wide connection number (Clipper's `zmq_connection_id`).
    let connectionID: Int
    private(set) var identity: Identity?
    /// Replica number within its model version, assigned at registration.
    var replicaID = -1
    /// When the container last sent anything (monotonic ns).
    private(set) var lastSeen: UInt64
    var peer: String { tcp.peer }

    private let tcp: TCPConnection
    /// Until it registers, a peer may send only small frames: the NewContainer message is a few
    /// hundred bytes, and an unknown peer must not make the server hold large buffers.
    static var unregisteredMessageLimit: Int { 64 << 10 }
    /// A registered container's largest message (a batch of outputs).
    static var registeredMessageLimit: Int { 64 << 20 }
    private var decoder: ZMTPDecoder
    /// When the connection was accepted (monotonic ns), for the handshake's time limit.
    let acceptedAt: UInt64
    private unowned let pool: ContainerPool
    private let clock: EventLoop
    /// The password a PLAIN peer must present; nil admits NULL peers (Clipper's containers).
    private let secret: [UInt8]?
    /// Where the ZMTP handshake is: messages are served only once it is done.
    private var handshake = Handshake.greeting

    private enum Handshake {
        case greeting
        /// PLAIN: waiting for the client's HELLO (its credentials), then its INITIATE (metadata).
        case hello, initiate
        case done
    }

    init(tcp: TCPConnection, connectionID: Int, pool: ContainerPool, clock: EventLoop, secret: String?) {
        self.tcp = tcp
        self.connectionID = connectionID
        self.pool = pool
        self.clock = clock
        self.secret = secret.map { Array($0.utf8) }
        let mechanism: ZMTP.Mechanism = secret == nil ? .null : .plain
        decoder = ZMTPDecoder(maxMessageSize: Self.unregisteredMessageLimit, mechanism: mechanism)
        lastSeen = clock.now
        acceptedAt = lastSeen
        tcp.onRead = { [unowned self] bytes in received(bytes) }
        tcp.onClose = { [unowned self] in pool.connectionClosed(self) }
        tcp.write(ZMTP.greeting(mechanism: mechanism, asServer: secret != nil))
    }

    /// Whether the TCP connection is open.
    var isOpen: Bool { tcp.isOpen }

    /// Sends one multipart message.
    func send(_ frames: [[UInt8]]) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(frames.reduce(frames.count * 9) { $0 + $1.count })
        ZMTP.appendMessage(frames, to: &bytes)
        tcp.write(bytes)
    }

    /// Closes the connection; the pool hears of it once.
    func close() { tcp.close() }

    /// Closes the connection once what was written (an ERROR command) is sent.
    func closeWhenWritten() { tcp.closeWhenWritten() }

    private func received(_ bytes: [UInt8]) {
        lastSeen = clock.now
        decoder.feed(bytes)
        do {
            while let event = try decoder.next() {
                switch event {
                case .greeting where secret == nil:
                    tcp.write(ZMTP.readyCommand(socketType: "ROUTER"))
                    handshake = .done
                case .greeting:
                    handshake = .hello
                case .command("HELLO", let data) where handshake == .hello:
                    authenticate(data)
                case .command("INITIATE", _) where handshake == .initiate:
                    tcp.write(ZMTP.readyCommand(socketType: "ROUTER"))
                    handshake = .done
                case .command("PING", let data):
                    // PING carries a 2-byte TTL, then the context to echo.
                    tcp.write(ZMTP.pongCommand(context: Array(data.dropFirst(2))))
                case .command:
                    break
                case .message(let frames):
                    guard handshake == .done else {
                        return pool.protocolError(self, "a message before the ZMTP handshake was done")
                    }
                    try handle(ContainerMessage(frames: frames))
                }
                guard tcp.isOpen else { return }
            }
        } catch ZMTPDecoder.DecodingError.unsupportedMechanism(let mechanism) where secret != nil {
            pool.refused(self, "it offered ZMTP mechanism \(mechanism) without credentials; rpc_secret is set, so containers must use PLAIN with the secret (the Python SDK's --secret)")
        } catch {
            pool.protocolError(self, "\(error)")
        }
    }

    /// PLAIN: checks the HELLO's password against the secret (any user name), in constant time.
    private func authenticate(_ data: [UInt8]) {
        guard let secret, let hello = ZMTP.parseHello(data), ConstantTime.equals(hello.password, secret) else {
            tcp.write(ZMTP.errorCommand(reason: "invalid credentials"))
            return pool.refused(self, "wrong secret: its PLAIN password does not match rpc_secret")
        }
        tcp.write(ZMTP.welcomeCommand)
        handshake = .initiate
    }

    private func handle(_ message: ContainerMessage) throws(ContainerMessage.DecodingError) {
        switch message {
        case .heartbeat:
            send(FrontendMessage.heartbeatReply(requestMetadata: identity == nil))
        case .newContainer(let name, let version, let inputType, let rpcVersion):
            guard identity == nil else { return }
            guard rpcVersion == ContainerMessage.rpcVersion else {
                throw ContainerMessage.DecodingError("container speaks RPC version \(rpcVersion); Cutter speaks 3")
            }
            guard ClipperSchema.isValidName(name), ClipperSchema.isValidName(version) else {
                throw ContainerMessage.DecodingError("container announced an invalid model name or version")
            }
            guard pool.admits(modelName: name) else {
                return pool.refused(self, "it registered as model '\(name)', which rpc_model_pattern does not allow")
            }
            identity = Identity(modelName: name, modelVersion: version, inputType: inputType)
            decoder.maxMessageSize = Self.registeredMessageLimit
            pool.registered(self)
        case .predictionResponse(let messageID, let outputs):
            guard identity != nil else { return }
            pool.responded(self, messageID: messageID, outputs: outputs)
        }
    }
}
