/// Clipper's Redis schema: database numbers, key formats and hash fields, exactly as Clipper's
/// frontends write them, so that Clipper's tools and Redis admin scripts keep working.
enum ClipperSchema {
    /// Clipper's databases (constants.hpp).
    enum Database: Int, Sendable {
        case state = 1
        case models = 2
        case containers = 3
        case resources = 4
        case applications = 5
        case metadata = 6
        case appModelLinks = 7
    }

    /// DB2 key of a model version: `name:version`.
    static func modelKey(name: String, version: String) -> String { "\(name):\(version)" }

    /// DB3 key of a container: `name,version,replica` (commas, as Clipper writes it).
    static func containerKey(modelName: String, modelVersion: String, replicaID: Int) -> String {
        "\(modelName),\(modelVersion),\(replicaID)"
    }

    /// DB4 key of Cutter's replica-id counter for a model version (`name:version`).
    static func replicaCounterKey(modelKey: String) -> String { "replica_counter:\(modelKey)" }

    /// DB6 key holding a model's current version.
    static func currentVersionKey(model: String) -> String { "CURRENT_MODEL_VERSION:\(model)" }

    /// Prefix of the DB6 current-version keys.
    static let currentVersionPrefix = "CURRENT_MODEL_VERSION:"

    /// DB1 key of selection state: `app:uid:model_hash` (Clipper always uses hash 0).
    static func stateKey(app: String, uid: Int) -> String { "\(app):\(uid):0" }

    /// `name` with Redis glob characters escaped, for KEYS patterns.
    static func globEscaped(_ name: String) -> String {
        var escaped = ""
        for character in name {
            if "*?[]\\".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }

    /// Whether `name` can be an application, model, version or label: Clipper forbids `,` and `:`
    /// (its key separators); Cutter also forbids `/`, whitespace and control characters, which
    /// would break the REST paths, and the empty name.
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 255 && !name.unicodeScalars.contains {
            $0 == "," || $0 == ":" || $0 == "/" || $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F
        }
    }
}

extension Array where Element == (String, String) {
    /// `HSET key f1 v1 f2 v2 ...` arguments (HSET takes many pairs since Redis 4).
    func hsetArguments(key: String) -> [String] {
        ["HSET", key] + flatMap { [$0.0, $0.1] }
    }
}
