import ArgumentParser
import CutterContainer
import Dispatch
import Glibc
import Logging

/// `cutter-swift-sum`: the Swift container SDK's example, a model that sums doubles.
@main
struct SumContainerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cutter-swift-sum",
        abstract: "Serve a model summing doubles to a Cutter frontend (the Swift container SDK's example).")

    @Option(help: "Model name to register as.") var name = "sum"
    @Option(name: .customLong("version"), help: "Model version to register as.") var modelVersion = "1"
    @Option(help: "Frontend address.") var host = "127.0.0.1"
    @Option(help: "Frontend container RPC port.") var port: UInt16 = 7000
    @Option(help: "The frontend's rpc_secret (default: CUTTER_RPC_SECRET; a flag shows in the process list, the variable does not).")
    var secret: String?

    func run() async throws {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        let configuration = ContainerConfiguration(modelName: name, modelVersion: modelVersion, host: host, port: port,
                                                   secret: secret ?? getenv("CUTTER_RPC_SECRET").map { String(cString: $0) })
        let runner = ContainerRunner(model: SumModel(), configuration: configuration, logger: Logger(label: "cutter-swift-sum"))
        let serving = Task { try await runner.run() }
        let signals = ([SIGINT, SIGTERM] as [Int32]).map { number in
            // Handled by the source, not by the default action that would end the process at once.
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                // The first signal stops the runner cleanly; a second one leaves at once, in case
                // a model ignores cancellation.
                if serving.isCancelled { Glibc.exit(0) }
                serving.cancel()
            }
            source.resume()
            return source
        }
        defer { signals.forEach { $0.cancel() } }
        do {
            try await serving.value
        } catch {
            throw ValidationError("\(error)")
        }
    }
}
