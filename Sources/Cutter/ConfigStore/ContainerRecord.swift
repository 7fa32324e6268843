import ClipperRPC

/// A connected container (DB3 hash).
struct ContainerRecord: Equatable, Sendable {
    var modelName: String
    var modelVersion: String
    var replicaID: Int
    var connectionID: Int
    var inputType: InputType

    init(modelName: String, modelVersion: String, replicaID: Int, connectionID: Int, inputType: InputType) {
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.replicaID = replicaID
        self.connectionID = connectionID
        self.inputType = inputType
    }

    init?(fields: [String: String]) {
        guard let name = fields["model_name"], let version = fields["model_version"],
              let replica = fields["model_replica_id"].flatMap({ Int($0) }),
              let typeName = fields["input_type"], let inputType = InputType(spelling: typeName) else { return nil }
        self.init(modelName: name, modelVersion: version, replicaID: replica,
                  connectionID: fields["zmq_connection_id"].flatMap { Int($0) } ?? 0, inputType: inputType)
    }

    var key: String { ClipperSchema.containerKey(modelName: modelName, modelVersion: modelVersion, replicaID: replicaID) }

    var fields: [(String, String)] {
        [("model_id", ClipperSchema.modelKey(name: modelName, version: modelVersion)), ("model_name", modelName),
         ("model_version", modelVersion), ("model_replica_id", String(replicaID)),
         ("zmq_connection_id", String(connectionID)), ("batch_size", "1"), ("input_type", inputType.canonicalName)]
    }
}
