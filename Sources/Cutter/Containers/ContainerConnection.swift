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
    private var decoder = ZMTPDecoder(maxMessageSize: unregisteredMessageLimit)
    /// When the connection was accepted (monotonic ns), for the handshake's time limit.
    let acceptedAt: UInt64
    private unowned let pool: ContainerPool
    private let clock: EventLoop

    init(tcp: TCPConnection, connectionID: Int, pool: ContainerPool, clock: EventLoop) {
        self.tcp = tcp
        self.connectionID = connectionID
        self.pool = pool
        self.clock = clock
        lastSeen = clock.now
        acceptedAt = lastSeen
        tcp.onRead = { [unowned self] bytes in received(bytes) }
        tcp.onClose = { [unowned self] in pool.connectionClosed(self) }
        tcp.write(ZMTP.greeting)
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

    private func received(_ bytes: [UInt8]) {
        lastSeen = clock.now
        decoder.feed(bytes)
        do {
            while let event = try decoder.next() {
                switch event {
                case .greeting:
                    tcp.write(ZMTP.readyCommand(socketType: "ROUTER"))
                case .command(let name, let data):
                    if name == "PING" {
                        // PING carries a 2-byte TTL, then the context to echo.
                        tcp.write(ZMTP.pongCommand(context: Array(data.dropFirst(2))))
                    }
                case .message(let frames):
                    try handle(ContainerMessage(frames: frames))
                }
                guard tcp.isOpen else { return }
            }
        } catch {
            pool.protocolError(self, "\(error)")
        }
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
            identity = Identity(modelName: name, modelVersion: version, inputType: inputType)
            decoder.maxMessageSize = Self.registeredMessageLimit
            pool.registered(self)
        case .predictionResponse(let messageID, let outputs):
            guard identity != nil else { return }
            pool.responded(self, messageID: messageID, outputs: outputs)
        }
    }
}
