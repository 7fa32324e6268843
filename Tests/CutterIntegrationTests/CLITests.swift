import Cutter
import Foundation
import Testing

/// The `cutter` command line as an operator meets it.
@Suite(.enabled(if: TestEnvironment.isReady, TestEnvironment.notReady))
struct CLITests {
    /// Runs `cutter arguments...`; its exit status and what it printed.
    static func cutter(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestEnvironment.cutterBinary)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    @Test(arguments: [["version"], ["--version"]])
    func versionPrintsTheVersionAndTheSwiftThatBuiltIt(_ arguments: [String]) throws {
        let (status, output) = try Self.cutter(arguments)
        #expect(status == 0)
        #expect(output.hasPrefix("cutter \(CutterVersion.current) (Swift "), "\(output)")
    }

    @Test func adminCommandsDriveTheManagementAPIWithItsToken() async throws {
        let cluster = try await TestCluster(settings: ["management_token=cli-token"])
        defer { cluster.stop() }
        let target = ["--address", "127.0.0.1:\(cluster.managementPort)", "--token", "cli-token"]
        for command in [["add-app", "demo", "--slo-micros", "50000"], ["add-model", "sum", "1"], ["link", "demo", "sum"]] {
            let (status, output) = try Self.cutter(["admin"] + command + target)
            #expect(status == 0, "\(command): \(output)")
            #expect(output.hasPrefix("Successfully"), "\(command): \(output)")
        }
        let table = try Self.cutter(["admin", "apps"] + target)
        #expect(table.output.split(separator: "\n").count == 2, "\(table.output)")
        #expect(table.output.contains("demo") && table.output.contains("50000") && table.output.contains("sum"), "\(table.output)")
        let json = try Self.cutter(["admin", "models", "--json"] + target)
        let models = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [[String: Any]]
        #expect(models?.first?["model_name"] as? String == "sum")
        // Refusals are the API's own, with a non-zero exit.
        let conflict = try Self.cutter(["admin", "add-app", "demo"] + target)
        #expect(conflict.status == 1 && conflict.output.contains("409"), "\(conflict.output)")
        let unauthorized = try Self.cutter(["admin", "apps", "--address", "127.0.0.1:\(cluster.managementPort)"])
        #expect(unauthorized.status == 1 && unauthorized.output.contains("401"), "\(unauthorized.output)")
    }
}
