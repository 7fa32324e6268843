import Foundation

/// Builds a `CutterConfiguration` from, in rising precedence: defaults, a config file,
/// `CUTTER_*` environment variables, and command-line settings.
public enum ConfigurationLoader {
    /// Parses the config file format: one `name value` per line, `#` starts a comment.
    static func parseFile(_ text: String, path: String) throws(CutterConfiguration.InvalidSetting) -> [String: String] {
        var settings: [String: String] = [:]
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { continue }
            let parts = trimmed.split(separator: " ", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else {
                throw .init(description: "\(path):\(number + 1): expected 'name value', found '\(trimmed)'")
            }
            settings[parts[0]] = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return settings
    }

    /// The settings present in `environment` as `CUTTER_<NAME>`.
    static func environmentSettings(_ environment: [String: String]) -> [String: String] {
        var settings: [String: String] = [:]
        for name in CutterConfiguration.names {
            if let value = environment["CUTTER_" + name.uppercased()] { settings[name] = value }
        }
        return settings
    }

    /// `settings` of the config file at `file`, with relative paths made relative to the file's
    /// folder: the file means the same wherever Cutter is started from.
    static func resolvingPaths(_ settings: [String: String], against file: String) -> [String: String] {
        let folder = URL(fileURLWithPath: file).deletingLastPathComponent()
        var resolved = settings
        for (name, value) in settings where CutterConfiguration.pathSettings.contains(name) && !value.isEmpty && !value.hasPrefix("/") {
            // A bare command name (redis_server redis-server) is looked up on PATH, not a path.
            if name == "redis_server" && !value.contains("/") { continue }
            resolved[name] = folder.appendingPathComponent(value).standardizedFileURL.path
        }
        return resolved
    }

    /// The config file read when none is named, if it exists (relative to the working directory).
    static let defaultFile = "config/cutter.conf"

    /// Loads the configuration from `file`, else `CUTTER_CONFIG`, else `defaultFile` if it exists.
    public static func load(file: String?, environment: [String: String], overrides: [String: String]) throws -> CutterConfiguration {
        var configuration = CutterConfiguration()
        let path = file ?? environment["CUTTER_CONFIG"] ?? (FileManager.default.fileExists(atPath: defaultFile) ? defaultFile : nil)
        if let path {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw CutterConfiguration.InvalidSetting(description: "cannot read config file \(path); pass an existing file to --config")
            }
            try configuration.apply(resolvingPaths(parseFile(text, path: path), against: path), source: path)
        }
        try configuration.apply(environmentSettings(environment), source: "environment")
        try configuration.apply(overrides, source: "command line")
        return configuration
    }
}
