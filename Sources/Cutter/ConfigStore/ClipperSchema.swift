public import ClipperRPC

/// Clipper's Redis schema: database numbers, key formats and hash fields, exactly as Clipper's
/// frontends write them, so that Clipper's tools and Redis admin scripts keep working.
public enum ClipperSchema {
    /// Clipper's databases (constants.hpp).
    public enum Database: Int, Sendable {
        case state = 1
        case models = 2
        case containers = 3
        case resources = 4
        case applications = 5
        case metadata = 6
        case appModelLinks = 7
    }

    /// The selection policy Clipper records for every application.
    public static let defaultPolicy = "DefaultOutputSelectionPolicy"

    /// DB2 key of a model version: `name:version`.
    public static func modelKey(name: String, version: String) -> String { "\(name):\(version)" }

    /// DB3 key of a container: `name,version,replica` (commas, as Clipper writes it).
    public static func containerKey(modelName: String, modelVersion: String, replicaID: Int) -> String {
        "\(modelName),\(modelVersion),\(replicaID)"
    }

    /// DB4 key of Cutter's replica-id counter for a model version (`name:version`).
    public static func replicaCounterKey(modelKey: String) -> String { "replica_counter:\(modelKey)" }

    /// DB6 key holding a model's current version.
    public static func currentVersionKey(model: String) -> String { "CURRENT_MODEL_VERSION:\(model)" }

    /// Prefix of the DB6 current-version keys.
    public static let currentVersionPrefix = "CURRENT_MODEL_VERSION:"

    /// DB1 key of selection state: `app:uid:model_hash` (Clipper always uses hash 0).
    public static func stateKey(app: String, uid: Int) -> String { "\(app):\(uid):0" }

    /// `name` with Redis glob characters escaped, for KEYS patterns.
    public static func globEscaped(_ name: String) -> String {
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
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 255 && !name.unicodeScalars.contains {
            $0 == "," || $0 == ":" || $0 == "/" || $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F
        }
    }
}

/// An application (DB5 hash).
public struct ApplicationRecord: Equatable, Sendable {
    public var name: String
    public var inputType: InputType
    public var defaultOutput: String
    public var latencySLOMicros: Int
    public var policy: String
    /// How feedback labels score model outputs (Cutter's field; Clipper ignores it).
    public var feedbackLoss: FeedbackLoss
    /// Answers less confident than this get the default output (Cutter's field; 0 = off).
    public var confidenceThreshold: Double

    public init(name: String, inputType: InputType, defaultOutput: String, latencySLOMicros: Int,
                policy: String = ClipperSchema.defaultPolicy, feedbackLoss: FeedbackLoss = .zeroOne, confidenceThreshold: Double = 0) {
        self.name = name
        self.inputType = inputType
        self.defaultOutput = defaultOutput
        self.latencySLOMicros = latencySLOMicros
        self.policy = policy
        self.feedbackLoss = feedbackLoss
        self.confidenceThreshold = confidenceThreshold
    }

    /// Reads the hash fields; nil when a required field is missing or invalid.
    public init?(name: String, fields: [String: String]) {
        guard let typeName = fields["input_type"], let inputType = InputType(spelling: typeName),
              let slo = fields["latency_slo_micros"].flatMap({ Int($0) }), slo > 0, slo <= Int(Int32.max) else { return nil }
        self.init(name: name, inputType: inputType, defaultOutput: fields["default_output"] ?? "",
                  latencySLOMicros: slo, policy: fields["policy"] ?? ClipperSchema.defaultPolicy,
                  feedbackLoss: fields["feedback_loss"].flatMap(FeedbackLoss.init(rawValue:)) ?? .zeroOne,
                  confidenceThreshold: fields["confidence_threshold"].flatMap(Double.init) ?? 0)
    }

    /// The hash fields in Clipper's spelling; Cutter's own fields only when not at their default,
    /// so a Clipper-style app reads back exactly as Clipper wrote it.
    public var fields: [(String, String)] {
        var result = [("input_type", inputType.canonicalName), ("policy", policy), ("default_output", defaultOutput),
                      ("latency_slo_micros", String(latencySLOMicros))]
        if feedbackLoss != .zeroOne { result.append(("feedback_loss", feedbackLoss.rawValue)) }
        if confidenceThreshold > 0 { result.append(("confidence_threshold", String(confidenceThreshold))) }
        return result
    }
}

/// A model version (DB2 hash).
public struct ModelRecord: Equatable, Sendable {
    public var name: String
    public var version: String
    public var inputType: InputType
    public var labels: [String]
    public var containerName: String
    public var modelDataPath: String
    /// Fixed maximum batch size, or -1 for adaptive batching.
    public var batchSize: Int
    /// False once `valid` was removed: Clipper's request to delete the version.
    public var isValid: Bool

    public init(name: String, version: String, inputType: InputType, labels: [String], containerName: String,
                modelDataPath: String, batchSize: Int, isValid: Bool = true) {
        self.name = name
        self.version = version
        self.inputType = inputType
        self.labels = labels
        self.containerName = containerName
        self.modelDataPath = modelDataPath
        self.batchSize = batchSize
        self.isValid = isValid
    }

    /// Reads the hash fields; nil when a required field is missing or invalid.
    public init?(fields: [String: String]) {
        guard let name = fields["model_name"], let version = fields["model_version"],
              let typeName = fields["input_type"], let inputType = InputType(spelling: typeName) else { return nil }
        let labels = (fields["labels"] ?? "").split(separator: ",").map(String.init)
        self.init(name: name, version: version, inputType: inputType, labels: labels,
                  containerName: fields["container_name"] ?? "", modelDataPath: fields["model_data_path"] ?? "",
                  batchSize: fields["batch_size"].flatMap { Int($0) } ?? -1, isValid: fields["valid"] != nil)
    }

    public var key: String { ClipperSchema.modelKey(name: name, version: version) }

    /// The hash fields in Clipper's spelling (with `load`, which Clipper writes and never updates).
    public var fields: [(String, String)] {
        var result = [("model_name", name), ("model_version", version), ("load", "0.000000"),
                      ("input_type", inputType.canonicalName), ("labels", labels.joined(separator: ",")),
                      ("container_name", containerName), ("model_data_path", modelDataPath),
                      ("batch_size", String(batchSize))]
        if isValid { result.append(("valid", "")) }
        return result
    }
}

/// A connected container (DB3 hash).
public struct ContainerRecord: Equatable, Sendable {
    public var modelName: String
    public var modelVersion: String
    public var replicaID: Int
    public var connectionID: Int
    public var inputType: InputType

    public init(modelName: String, modelVersion: String, replicaID: Int, connectionID: Int, inputType: InputType) {
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.replicaID = replicaID
        self.connectionID = connectionID
        self.inputType = inputType
    }

    public init?(fields: [String: String]) {
        guard let name = fields["model_name"], let version = fields["model_version"],
              let replica = fields["model_replica_id"].flatMap({ Int($0) }),
              let typeName = fields["input_type"], let inputType = InputType(spelling: typeName) else { return nil }
        self.init(modelName: name, modelVersion: version, replicaID: replica,
                  connectionID: fields["zmq_connection_id"].flatMap { Int($0) } ?? 0, inputType: inputType)
    }

    public var key: String { ClipperSchema.containerKey(modelName: modelName, modelVersion: modelVersion, replicaID: replicaID) }

    public var fields: [(String, String)] {
        [("model_id", ClipperSchema.modelKey(name: modelName, version: modelVersion)), ("model_name", modelName),
         ("model_version", modelVersion), ("model_replica_id", String(replicaID)),
         ("zmq_connection_id", String(connectionID)), ("batch_size", "1"), ("input_type", inputType.canonicalName)]
    }
}

extension Array where Element == (String, String) {
    /// `HSET key f1 v1 f2 v2 ...` arguments (HSET takes many pairs since Redis 4).
    func hsetArguments(key: String) -> [String] {
        ["HSET", key] + flatMap { [$0.0, $0.1] }
    }
}
