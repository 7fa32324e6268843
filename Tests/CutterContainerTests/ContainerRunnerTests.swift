import ClipperRPC
import Testing
@testable import CutterContainer

/// The runner against a frontend that the test plays over loopback TCP: handshakes, registration,
/// batches, failed batches, heartbeats, dead frontends and reconnection. Waits are on the runner's
/// own traffic, never on sleeps; short heartbeat and activity timings keep each test brief.
@Suite(.timeLimit(.minutes(1)))
struct ContainerRunnerTests {
    /// Serves `model` to `frontend` while `body` runs, then cancels the runner and waits until it
    /// has returned: every test also checks that a runner stops when its task is cancelled.
    private func withRunner<M: Model>(_ model: M, on frontend: FakeFrontend, logs: LogRecorder = LogRecorder(),
                                      configure: (inout ContainerConfiguration) -> Void = { _ in },
                                      _ body: () async throws -> Void) async throws {
        var configuration = ContainerConfiguration(modelName: "sum", modelVersion: "7", port: frontend.port)
        configure(&configuration)
        let runner = ContainerRunner(model: model, configuration: configuration, logger: logs.logger)
        let serving = Task { try await runner.run() }
        do {
            try await body()
        } catch {
            serving.cancel()
            _ = try? await serving.value
            throw error
        }
        serving.cancel()
        try await serving.value
        #expect(logs.contains("stopped"))
    }

    @Test func registersAsADealerAndAnswersBatchesInOrder() async throws {
        let frontend = try FakeFrontend()
        let logs = LogRecorder()
        try await withRunner(ScriptedSumModel(), on: frontend, logs: logs) {
            let connection = try await frontend.accept()
            #expect(try await connection.handshake() == "DEALER")
            #expect(try await connection.register() == .newContainer(modelName: "sum", modelVersion: "7", inputType: .doubles, rpcVersion: 3))
            #expect(try await connection.predict(messageID: 5, [[1, 2], [3], [0.5, -0.25]]) == ["3.0", "3.0", "0.25"])
            // Two batches in flight at once, as Cutter pipelines them: answered in order.
            for id: UInt32 in [6, 7] {
                let input = withUnsafeBytes(of: Double(id).bitPattern.littleEndian) { Array($0) }
                connection.send(frames: FrontendMessage.predictionRequest(messageID: id, type: .doubles, inputs: [input]))
            }
            #expect(try await connection.response(to: 6) == ["6.0"])
            #expect(try await connection.response(to: 7) == ["7.0"])
            // A frontend that forgot the container (it restarted) asks again: the runner introduces itself again.
            connection.send(frames: FrontendMessage.heartbeatReply(requestMetadata: true))
            #expect(try await connection.nextMessage() == .newContainer(modelName: "sum", modelVersion: "7", inputType: .doubles, rpcVersion: 3))
        }
        #expect(logs.contains("connected to 127.0.0.1:\(frontend.port) as sum:7"))
    }

    @Test func aFailedBatchIsAnsweredWithZeroOutputsAndTheConnectionServesOn() async throws {
        let frontend = try FakeFrontend()
        let logs = LogRecorder()
        try await withRunner(ScriptedSumModel(), on: frontend, logs: logs) {
            let connection = try await frontend.accept()
            try await connection.handshake()
            _ = try await connection.register()
            // The model throws; the model returns one output too many.
            #expect(try await connection.predict(messageID: 1, [[-1], [2]]) == [])
            #expect(try await connection.predict(messageID: 2, [[-2], [2]]) == [])
            // Inputs of another type than the model's; a payload that is not whole doubles.
            connection.send(frames: FrontendMessage.predictionRequest(messageID: 3, type: .floats, inputs: [[0, 0, 0, 0]]))
            #expect(try await connection.response(to: 3) == [])
            connection.send(frames: FrontendMessage.predictionRequest(messageID: 4, type: .doubles, inputs: [[1, 2, 3]]))
            #expect(try await connection.response(to: 4) == [])
            // A malformed request that has a message id.
            var malformed = FrontendMessage.predictionRequest(messageID: 5, type: .doubles, inputs: [[0, 0, 0, 0, 0, 0, 0, 0]])
            malformed.removeLast()
            connection.send(frames: malformed)
            #expect(try await connection.response(to: 5) == [])
            // Feedback is not answered; the next batch is.
            connection.send(frames: [[], [3, 0, 0, 0], [1, 0, 0, 0], [6, 0, 0, 0], [1, 0, 0, 0]])
            #expect(try await connection.predict(messageID: 7, [[2, 2]]) == ["4.0"])
        }
        #expect(logs.contains("ScriptedSumModel.predict failed on a batch of 2 inputs"))
        #expect(logs.contains("ScriptedSumModel.predict returned 3 outputs for a batch of 2 inputs"))
        #expect(logs.contains("has input type floats but this container accepts doubles"))
        #expect(logs.contains("cannot decode a batch of 1 input"))
        #expect(logs.contains("malformed message"))
        #expect(logs.contains("ignoring feedback request 6"))
    }

    @Test func authenticatesWithPlainWhenGivenASecret() async throws {
        let frontend = try FakeFrontend()
        try await withRunner(ScriptedSumModel(), on: frontend, configure: { $0.secret = "s3cret" }) {
            let connection = try await frontend.accept(mechanism: .plain)
            #expect(try await connection.handshake(password: "s3cret") == "DEALER")
            #expect(try await connection.register() == .newContainer(modelName: "sum", modelVersion: "7", inputType: .doubles, rpcVersion: 3))
            #expect(try await connection.predict(messageID: 1, [[40, 2]]) == ["42.0"])
        }
    }

    @Test func refusedCredentialsAreLoggedAndRetried() async throws {
        let frontend = try FakeFrontend()
        let logs = LogRecorder()
        try await withRunner(ScriptedSumModel(), on: frontend, logs: logs, configure: { $0.secret = "guess" }) {
            let refused = try await frontend.accept(mechanism: .plain)
            refused.send(ZMTP.greeting(mechanism: .plain, asServer: true))
            #expect(try await refused.next() == .greeting)
            guard case .command("HELLO", _)? = try await refused.next() else { throw FakeFrontendError("expected HELLO") }
            refused.send(ZMTP.errorCommand(reason: "invalid credentials"))
            refused.hangUp()
            // The runner tries again, on a new connection.
            let retry = try await frontend.accept(mechanism: .plain)
            #expect(try await retry.next() == .greeting)
        }
        #expect(logs.contains("error: the frontend at 127.0.0.1:\(frontend.port) refused this container's credentials (invalid credentials)"))
    }

    @Test(arguments: [nil, "s3cret"])
    func aMechanismMismatchIsExplained(secret: String?) async throws {
        let frontend = try FakeFrontend()
        let logs = LogRecorder()
        try await withRunner(ScriptedSumModel(), on: frontend, logs: logs, configure: { $0.secret = secret }) {
            // The frontend offers the other mechanism; the runner leaves, then tries again.
            let mismatched = try await frontend.accept(mechanism: secret == nil ? .plain : .null)
            mismatched.send(ZMTP.greeting(mechanism: secret == nil ? .plain : .null, asServer: secret == nil))
            try await mismatched.waitForClose()
            _ = try await frontend.accept()
        }
        #expect(logs.contains(secret == nil ? "requires a secret" : "does not authenticate containers"), "\(logs.messages)")
    }

    @Test func answeredHeartbeatsKeepAQuietConnectionAlive() async throws {
        let frontend = try FakeFrontend()
        // The timeout is long against the heartbeat interval, so a test process stalled by a loaded
        // machine (seen: over 2 s in a cold CI run) does not look like a silent frontend; the
        // exchange outlasts the timeout.
        try await withRunner(ScriptedSumModel(), on: frontend, configure: {
            $0.heartbeatInterval = .milliseconds(50)
            $0.activityTimeout = .seconds(5)
        }) {
            let connection = try await frontend.accept()
            try await connection.handshake()
            _ = try await connection.register()
            let clock = ContinuousClock()
            let start = clock.now
            var heartbeats = 0
            while clock.now - start < .milliseconds(6000) {
                if try await connection.nextMessage() == .heartbeat { heartbeats += 1 }
                connection.send(frames: FrontendMessage.heartbeatReply(requestMetadata: false))
            }
            #expect(heartbeats > 0)
            #expect(try await connection.predict(messageID: 1, [[1]]) == ["1.0"])
        }
    }

    @Test func aSilentFrontendIsLeftForANewConnection() async throws {
        let frontend = try FakeFrontend()
        let logs = LogRecorder()
        try await withRunner(ScriptedSumModel(), on: frontend, logs: logs, configure: {
            $0.heartbeatInterval = .milliseconds(50)
            $0.activityTimeout = .seconds(3)
        }) {
            let silent = try await frontend.accept()
            try await silent.handshake()
            _ = try await silent.register()
            // Unanswered heartbeats, then the runner closes the connection (an end of stream, or a
            // reset when it closes with our bytes unread).
            var heartbeats = 0
            while let event = try? await silent.next(), case .message(let frames) = event {
                #expect(try ContainerMessage(frames: frames) == .heartbeat)
                heartbeats += 1
            }
            #expect(heartbeats >= 1)
            let next = try await frontend.accept()
            try await next.handshake()
            #expect(try await next.register() == .newContainer(modelName: "sum", modelVersion: "7", inputType: .doubles, rpcVersion: 3))
        }
        #expect(logs.contains("nothing received from the frontend at 127.0.0.1:\(frontend.port)"))
    }

    @Test func aLostConnectionIsReplacedAtOnce() async throws {
        let frontend = try FakeFrontend()
        let logs = LogRecorder()
        try await withRunner(ScriptedSumModel(), on: frontend, logs: logs) {
            let first = try await frontend.accept()
            try await first.handshake()
            _ = try await first.register()
            #expect(try await first.predict(messageID: 1, [[1]]) == ["1.0"])
            first.hangUp()
            let second = try await frontend.accept()
            try await second.handshake()
            _ = try await second.register()
            #expect(try await second.predict(messageID: 1, [[2]]) == ["2.0"])
        }
        #expect(logs.contains("lost the connection to the frontend at 127.0.0.1:\(frontend.port); reconnecting"))
    }

    @Test func reconnectionBacksOffExponentiallyUpToItsCap() {
        let configuration = ContainerConfiguration(modelName: "m", reconnectDelay: .milliseconds(100), maxReconnectDelay: .seconds(1))
        let runner = ContainerRunner(model: ScriptedSumModel(), configuration: configuration)
        #expect((1...6).map(runner.reconnectDelay(afterFailures:)) == [.milliseconds(100), .milliseconds(200), .milliseconds(400),
                                                                        .milliseconds(800), .seconds(1), .seconds(1)])
        #expect(runner.reconnectDelay(afterFailures: 1_000) == .seconds(1))
    }

    @Test func aConfigurationThatCannotWorkIsRefusedBeforeConnecting() async {
        let configurations = [
            ContainerConfiguration(modelName: "m", secret: String(repeating: "x", count: 256)),
            ContainerConfiguration(modelName: ""),
            ContainerConfiguration(modelName: "m", heartbeatInterval: .zero),
        ]
        for configuration in configurations {
            await #expect(throws: ContainerRunnerError.self) {
                try await ContainerRunner(model: ScriptedSumModel(), configuration: configuration).run()
            }
        }
        // An empty secret means none, as the frontend's empty rpc_secret does.
        #expect(ContainerConfiguration(modelName: "m", secret: "").password == nil)
    }
}
