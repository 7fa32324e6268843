import ClipperRPC
import Logging

/// One TCP connection to the frontend, from connecting to its end: the ZMTP 3.0 handshake as a
/// DEALER (NULL, or PLAIN with the secret), registration, then batches answered one at a time
/// and heartbeats while idle.
///
/// Its `serve` always ends by throwing: a `ConnectionEnd` saying why, or `CancellationError`
/// when the runner is stopped. Nothing of a connection outlives it: the runner makes a new one,
/// with a new socket and decoder, for every attempt.
final class FrontendConnection<M: Model> {
    private enum Phase {
        /// Our greeting is sent; the frontend's is awaited.
        case greeting
        /// PLAIN: HELLO (our credentials) is sent; WELCOME is awaited.
        case welcome
        /// READY (NULL) or INITIATE (PLAIN) is sent; the frontend's READY is awaited.
        case ready
        /// Heartbeats, registration and batches.
        case serving
    }

    private let model: M
    private let configuration: ContainerConfiguration
    private let logger: Logger
    private let waiter: SocketWaiter
    private let password: [UInt8]?
    private var socket: ContainerSocket?
    private var decoder: ZMTPDecoder
    private var phase = Phase.greeting
    private var lastReceived = ContinuousClock.now
    /// Last time anything was sent or received: a heartbeat goes out after `heartbeatInterval` of quiet.
    private var lastTraffic = ContinuousClock.now
    /// The container sent its NewContainer message on this connection.
    private var introduced = false
    /// The frontend sent something after the container introduced itself: it accepted the
    /// registration, so the runner's run of failed attempts is over.
    private(set) var served = false

    init(model: M, configuration: ContainerConfiguration, logger: Logger, waiter: SocketWaiter) {
        self.model = model
        self.configuration = configuration
        self.logger = logger
        self.waiter = waiter
        password = configuration.password
        decoder = ZMTPDecoder(mechanism: password == nil ? .null : .plain)
    }

    private var address: String { configuration.address }

    /// Connects and serves until the connection ends; see the type's comment.
    func serve() async throws -> Never {
        do {
            socket = try await ContainerSocket.connect(host: configuration.host, port: configuration.port,
                                                       timeout: configuration.activityTimeout, waiter: waiter)
        } catch let error as SocketError {
            throw ConnectionEnd.warning("cannot connect to \(address): \(error)")
        }
        lastReceived = .now
        lastTraffic = lastReceived
        do {
            try await send(bytes: ZMTP.greeting(mechanism: password == nil ? .null : .plain, asServer: false))
            while true {
                while let event = try decoder.next() {
                    try await handle(event)
                }
                try await receive()
            }
        } catch let error as SocketError {
            throw ConnectionEnd.warning("connection to \(address) failed: \(error)")
        } catch ZMTPDecoder.DecodingError.unsupportedMechanism(let offered) {
            throw password == nil
                ? ConnectionEnd.error("the frontend at \(address) requires a secret (its greeting offers \(offered)): give this container the frontend's rpc_secret")
                : ConnectionEnd.error("the frontend at \(address) does not authenticate containers (its greeting offers \(offered)), but this container has a secret: give it none, or set rpc_secret on the frontend")
        } catch let error as ZMTPDecoder.DecodingError {
            throw ConnectionEnd.error("the frontend at \(address) broke the ZMTP protocol (\(error)); is \(address) Cutter's RPC port?")
        }
    }

    /// Reads the next bytes into the decoder, or sends a heartbeat when it is due, or ends the
    /// connection when the frontend has been silent too long or closed it.
    private func receive() async throws {
        let silenceLimit = lastReceived + configuration.activityTimeout
        let deadline = phase == .serving ? min(silenceLimit, lastTraffic + configuration.heartbeatInterval) : silenceLimit
        switch try await socket!.receive(until: deadline) {
        case .bytes(let bytes):
            decoder.feed(bytes)
            // Stamped before the events are handled, and again after each batch (`answer`), so
            // that time spent in `predict` is not mistaken for a silent frontend.
            lastReceived = .now
            lastTraffic = lastReceived
        case .timedOut where ContinuousClock.now >= silenceLimit:
            throw phase == .serving
                ? ConnectionEnd.warning("nothing received from the frontend at \(address) for \(configuration.activityTimeout)")
                : ConnectionEnd.warning("no ZMTP handshake with the frontend at \(address) within \(configuration.activityTimeout)")
        case .timedOut:
            try await send(ContainerMessage.heartbeat)
        case .closed:
            throw closedEnd
        }
    }

    /// What a closed connection means depends on how far it got.
    private var closedEnd: ConnectionEnd {
        switch phase {
        case .greeting, .welcome, .ready:
            let hint = password == nil
                ? "if the frontend has an rpc_secret, give this container the secret"
                : "if the frontend has no rpc_secret, give this container none"
            return .warning("the frontend at \(address) closed the connection during the ZMTP handshake; \(hint)")
        case .serving where introduced && !served:
            // Before it ever answered: most likely a refused registration, which repeats.
            return .error("the frontend at \(address) closed the connection right after this container introduced itself as "
                          + "\(configuration.modelName):\(configuration.modelVersion); if this repeats, see the frontend's "
                          + "log (its rpc_model_pattern may not allow this name)")
        case .serving:
            return .warning("lost the connection to the frontend at \(address)")
        }
    }

    private func handle(_ event: ZMTPDecoder.Event) async throws {
        switch (event, phase) {
        case (.greeting, .greeting):
            if let password {
                try await send(bytes: ZMTP.helloCommand(username: Array("cutter".utf8), password: password))
                phase = .welcome
            } else {
                try await send(bytes: ZMTP.readyCommand(socketType: "DEALER"))
                phase = .ready
            }
        case (.command("WELCOME", _), .welcome):
            try await send(bytes: ZMTP.initiateCommand(socketType: "DEALER"))
            phase = .ready
        case (.command("READY", _), .ready):
            phase = .serving
            // Say hello: the frontend answers by asking for the container's metadata.
            try await send(ContainerMessage.heartbeat)
        case (.command("ERROR", let data), _):
            let reason = ZMTP.parseErrorReason(data) ?? "no reason given"
            throw phase == .welcome
                ? ConnectionEnd.error("the frontend at \(address) refused this container's credentials (\(reason)): check the secret against the frontend's rpc_secret")
                : ConnectionEnd.error("the frontend at \(address) refused this container (\(reason))")
        case (.command("PING", let data), _):
            // PING carries a 2-byte TTL, then the context to echo.
            try await send(bytes: ZMTP.pongCommand(context: Array(data.dropFirst(2))))
        case (.command, _):
            break
        case (.message(let frames), .serving):
            try await handle(frames)
        case (.message, _), (.greeting, _):
            throw ConnectionEnd.error("the frontend at \(address) sent a message before the ZMTP handshake was done")
        }
    }

    private func handle(_ frames: [[UInt8]]) async throws {
        if introduced { served = true }
        let message: FrontendMessage.Decoded
        do {
            message = try FrontendMessage.Decoded(frames: frames)
        } catch {
            logger.error("malformed message from the frontend at \(address): \(error)")
            // Answered with zero outputs, the batch fails at once instead of at its deadline.
            if let messageID = error.messageID {
                try await send(ContainerMessage.predictionResponse(messageID: messageID, outputs: []))
            }
            return
        }
        switch message {
        case .heartbeatReply(requestsMetadata: false):
            break
        case .heartbeatReply(requestsMetadata: true):
            // First contact, or a frontend that forgot the container (e.g. it restarted).
            try await send(ContainerMessage.newContainer(modelName: configuration.modelName, modelVersion: configuration.modelVersion,
                                                         inputType: M.Input.inputType, rpcVersion: ContainerMessage.rpcVersion))
            introduced = true
            logger.info("connected to \(address) as \(configuration.modelName):\(configuration.modelVersion)")
        case .feedbackRequest(let messageID):
            logger.info("ignoring feedback request \(messageID) (feedback is not supported)")
        case .predictionRequest(let messageID, let inputType, let inputs):
            let outputs = try await predict(inputType: inputType, inputs: inputs)
            try await send(ContainerMessage.predictionResponse(messageID: messageID, outputs: outputs.map { Array($0.utf8) }))
            lastReceived = .now
            lastTraffic = lastReceived
        }
    }

    /// The model's outputs for one batch, or none when the batch fails (zero outputs tell the
    /// frontend so, as the Python SDK and Clipper's containers do).
    private func predict(inputType: InputType, inputs: [[UInt8]]) async throws -> [String] {
        let batch = inputs.count == 1 ? "a batch of 1 input" : "a batch of \(inputs.count) inputs"
        guard inputType == M.Input.inputType else {
            logger.error("\(batch) has input type \(inputType.canonicalName) but this container accepts \(M.Input.inputType.canonicalName)")
            return []
        }
        let decoded: [M.Input]
        do {
            decoded = try inputs.map { payload throws(ModelInputError) in try M.Input(rpcPayload: payload) }
        } catch {
            logger.error("cannot decode \(batch): \(error)")
            return []
        }
        let outputs: [String]
        do {
            outputs = try await model.predict(decoded)
        } catch {
            // A model that stops because the runner is stopping is not a failed batch.
            if Task.isCancelled { throw CancellationError() }
            logger.error("\(M.self).predict failed on \(batch): \(error)")
            return []
        }
        guard outputs.count == inputs.count else {
            logger.error("\(M.self).predict returned \(outputs.count) outputs for \(batch)")
            return []
        }
        return outputs
    }

    private func send(_ message: ContainerMessage) async throws {
        var bytes: [UInt8] = []
        ZMTP.appendMessage(message.frames, to: &bytes)
        try await send(bytes: bytes)
    }

    private func send(bytes: [UInt8]) async throws {
        try await socket!.send(bytes, timeout: configuration.activityTimeout)
        lastTraffic = .now
    }
}
