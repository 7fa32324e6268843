import ClipperRPC

/// A model version as get_model and get_all_models (verbose) describe it.
struct ModelDescription: Encodable {
    let modelName: String
    let modelVersion: String
    let inputType: String
    let labels: [String]
    let containerName: String
    let modelDataPath: String
    /// A fixed maximum batch size, or -1 for adaptive batching.
    let batchSize: Int
    let isCurrentVersion: Bool

    enum CodingKeys: String, CodingKey {
        case modelName = "model_name"
        case modelVersion = "model_version"
        case inputType = "input_type"
        case labels
        case containerName = "container_name"
        case modelDataPath = "model_data_path"
        case batchSize = "batch_size"
        case isCurrentVersion = "is_current_version"
    }

    init(_ model: ModelRecord, isCurrentVersion: Bool) {
        modelName = model.name
        modelVersion = model.version
        inputType = model.inputType.canonicalName
        labels = model.labels
        containerName = model.containerName
        modelDataPath = model.modelDataPath
        batchSize = model.batchSize
        self.isCurrentVersion = isCurrentVersion
    }
}
