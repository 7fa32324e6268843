import Foundation
import Testing

extension TestEnvironment {
    /// The Swift container SDK's example, built next to `cutter` (every product of the package
    /// lands in one folder).
    static var swiftSumBinary: String {
        URL(fileURLWithPath: cutterBinary).deletingLastPathComponent().appendingPathComponent("cutter-swift-sum").path
    }

    /// Whether the Swift SDK's suite can run: what the other suites need, and the example.
    static var isReadyForSwiftSDK: Bool { isReady && FileManager.default.isExecutableFile(atPath: swiftSumBinary) }

    static let notReadyForSwiftSDK: Comment = "needs the built cutter and cutter-swift-sum (swift build), redis-server and .venv: run ./scripts/setup.sh"
}
