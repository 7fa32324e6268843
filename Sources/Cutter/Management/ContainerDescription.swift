import ClipperRPC

/// A connected container (model replica) as get_container and get_all_containers (verbose)
/// describe it.
struct ContainerDescription: Encodable {
    /// `name:version`.
    let modelID: String
    let modelName: String
    let modelVersion: String
    let modelReplicaID: Int
    let inputType: String

    enum CodingKeys: String, CodingKey {
        case modelID = "model_id"
        case modelName = "model_name"
        case modelVersion = "model_version"
        case modelReplicaID = "model_replica_id"
        case inputType = "input_type"
    }

    init(_ container: ContainerRecord) {
        modelID = ClipperSchema.modelKey(name: container.modelName, version: container.modelVersion)
        modelName = container.modelName
        modelVersion = container.modelVersion
        modelReplicaID = container.replicaID
        inputType = container.inputType.canonicalName
    }
}
