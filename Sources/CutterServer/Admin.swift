import ArgumentParser
import Cutter
import Foundation

/// `cutter admin ...`: the management API from the command line, for operators who would
/// otherwise reach for curl. Talks to a running frontend (`--address`, default 127.0.0.1:1338),
/// with its management token when it has one.
struct Admin: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage applications, models and links of a running Cutter.",
        subcommands: [AddApp.self, DeleteApp.self, AddModel.self, SetVersion.self, Link.self, Unlink.self,
                      Apps.self, Models.self, Containers.self, Frontends.self, State.self])
}

/// Options every admin command takes.
struct AdminOptions: ParsableArguments {
    @Option(help: "Management API HOST:PORT (default: CUTTER_ADMIN_ADDRESS or 127.0.0.1:1338).") var address: String?
    @Option(help: "Management token (default: CUTTER_MANAGEMENT_TOKEN).") var token: String?
    @Option(help: "File whose first line is the management token.") var tokenFile: String?
    @Flag(help: "Print the API's JSON instead of a table.") var json = false

    func client() throws -> AdminClient {
        let environment = ProcessInfo.processInfo.environment
        var token = token ?? environment["CUTTER_MANAGEMENT_TOKEN"]
        if let tokenFile {
            guard let line = CutterConfiguration.firstLine(ofFile: tokenFile), !line.isEmpty else {
                throw ValidationError("cannot read a token from the first line of \(tokenFile)")
            }
            token = line
        }
        return AdminClient(address: address ?? environment["CUTTER_ADMIN_ADDRESS"] ?? "127.0.0.1:1338", token: token)
    }

    /// Prints a reply: Clipper's plain-text messages as they are, JSON as JSON or as a table.
    func print(_ data: Data, columns: [String] = []) {
        guard let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
            return Swift.print(String(decoding: data, as: UTF8.self))
        }
        if json || columns.isEmpty {
            let pretty = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .fragmentsAllowed])) ?? data
            return Swift.print(String(decoding: pretty, as: UTF8.self))
        }
        let rows = (object as? [[String: Any]] ?? []).map { row in columns.map { Self.cell(row[$0]) } }
        Swift.print(Self.table(header: columns, rows: rows))
    }

    static func cell(_ value: Any?) -> String {
        switch value {
        case nil, is NSNull: ""
        case let list as [Any]: list.map { cell($0) }.joined(separator: ",")
        case let flag as Bool: flag ? "true" : "false"
        case let value?: "\(value)"
        }
    }

    /// Left-aligned columns, two spaces apart.
    static func table(header: [String], rows: [[String]]) -> String {
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        return ([header] + rows).map { row in
            zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }
}

/// Runs an admin call, printing the API's error and exiting 1 when it fails.
func runAdmin(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let failure as AdminClient.Failure {
        FileHandle.standardError.write(Data("error: \(failure)\n".utf8))
        throw ExitCode.failure
    }
}
