import ClipperRPC

/// A model version (DB2 hash).
struct ModelRecord: Equatable, Sendable {
    var name: String
    var version: String
    var inputType: InputType
    var labels: [String]
    var containerName: String
    var modelDataPath: String
    /// Fixed maximum batch size, or -1 for adaptive batching.
    var batchSize: Int
    /// False once `valid` was removed: Clipper's request to delete the version.
    var isValid: Bool

    init(name: String, version: String, inputType: InputType, labels: [String], containerName: String,
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
    init?(fields: [String: String]) {
        guard let name = fields["model_name"], let version = fields["model_version"],
              let typeName = fields["input_type"], let inputType = InputType(spelling: typeName) else { return nil }
        let labels = (fields["labels"] ?? "").split(separator: ",").map(String.init)
        self.init(name: name, version: version, inputType: inputType, labels: labels,
                  containerName: fields["container_name"] ?? "", modelDataPath: fields["model_data_path"] ?? "",
                  batchSize: fields["batch_size"].flatMap { Int($0) } ?? -1, isValid: fields["valid"] != nil)
    }

    var key: String { ClipperSchema.modelKey(name: name, version: version) }

    /// The hash fields in Clipper's spelling (with `load`, which Clipper writes and never updates).
    var fields: [(String, String)] {
        var result = [("model_name", name), ("model_version", version), ("load", "0.000000"),
                      ("input_type", inputType.canonicalName), ("labels", labels.joined(separator: ",")),
                      ("container_name", containerName), ("model_data_path", modelDataPath),
                      ("batch_size", String(batchSize))]
        if isValid { result.append(("valid", "")) }
        return result
    }
}
