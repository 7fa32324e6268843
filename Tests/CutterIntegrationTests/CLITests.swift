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
}

