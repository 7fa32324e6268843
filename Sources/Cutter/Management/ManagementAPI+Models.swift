import ClipperRPC
import Logging

/// add_model, set_model_version, delete_versioned_model, get_all_models, get_model.
extension ManagementAPI {
    func addModel(_ body: [UInt8], _ reply: Reply) throws(APIError) {
        let model = try validatedModel(ManagementRequest.decode(ManagementRequest.AddModel.self, from: body))
        run([(DB.models.rawValue, ["EXISTS", model.key])], reply) { [self] replies in
            guard replies[0] == .integer(0) else {
                return reply.fail(.conflict("model with name '\(model.name)' and version '\(model.version)' already exists"))
            }
            checkLinkedInputTypes(model: model.name, inputType: model.inputType, reply) { [self] in
                storeModel(model, reply)
            }
        }
    }

    /// add_model's checks, in Clipper's order, and the record they give (with Clipper's defaults
    /// for the optional fields).
    private func validatedModel(_ request: ManagementRequest.AddModel) throws(APIError) -> ModelRecord {
        try validateName(request.modelName, "model name")
        try validateName(request.modelVersion, "model version")
        for label in request.labels ?? [] { try validateName(label, "label") }
        let inputType = try parseInputType(request.inputType)
        let batchSize = request.batchSize ?? -1
        guard batchSize > 0 || batchSize == -1 else {
            throw .badRequest("The batch size must be positive or -1 (adaptive); got \(batchSize).")
        }
        return ModelRecord(name: request.modelName, version: request.modelVersion, inputType: inputType,
                           labels: request.labels ?? [], containerName: request.containerName ?? "NO_CONTAINER",
                           modelDataPath: request.modelDataPath ?? "DEPRECATED", batchSize: batchSize)
    }

    /// Writes a new model version unless it exists (checked and written in one atomic step: of
    /// two concurrent add_model calls one gets 409), makes it current, then answers once this
    /// process's mirror holds both.
    private func storeModel(_ model: ModelRecord, _ reply: Reply) {
        let versionKey = ClipperSchema.currentVersionKey(model: model.name)
        run([(DB.models.rawValue, RedisScripts.createHashArguments(key: model.key, fields: model.fields))], reply) { [self] created in
            guard created[0] == .integer(1) else {
                return reply.fail(.conflict("model with name '\(model.name)' and version '\(model.version)' already exists"))
            }
            setCurrentVersion(model, key: versionKey, reply)
        }
    }

    private func setCurrentVersion(_ model: ModelRecord, key versionKey: String, _ reply: Reply) {
        run([(DB.metadata.rawValue, ["SET", versionKey, model.version])], reply) { [self] _ in
            logger.info("model added", metadata: ["model": "\(model.key)"])
            registry.reload(database: .models, key: model.key)
            registry.reload(database: .metadata, key: versionKey) {
                reply.text("Successfully added model with name '\(model.name)' and input type '\(model.inputType.canonicalName)'")
            }
        }
    }

    /// Calls `next` unless an app linked to `model` has another input type than `inputType`
    /// (then answers 400).
    private func checkLinkedInputTypes(model: String, inputType: InputType, _ reply: Reply, _ next: @escaping () -> Void) {
        run([(DB.appModelLinks.rawValue, ["KEYS", "*"])], reply) { [self] replies in
            let apps = replies[0].strings
            let commands = apps.flatMap { [(db: DB.appModelLinks.rawValue, arguments: ["SISMEMBER", $0, model]),
                                           (db: DB.applications.rawValue, arguments: ["HGET", $0, "input_type"])] }
            run(commands, reply) { replies in
                for (index, app) in apps.enumerated() where replies[2 * index] == .integer(1) {
                    if let linkedType = replies[2 * index + 1].string.flatMap(InputType.init(spelling:)), linkedType != inputType {
                        return reply.fail(.badRequest("Model with name '\(model)' is already linked to app '\(app)' using input type '\(linkedType.canonicalName)'. The input type you provided for a new version of the model, '\(inputType.canonicalName)', is not compatible."))
                    }
                }
                next()
            }
        }
    }

    func setModelVersion(_ body: [UInt8], _ reply: Reply) throws(APIError) {
        let request = try ManagementRequest.decode(ManagementRequest.ModelVersion.self, from: body)
        let key = ClipperSchema.modelKey(name: request.modelName, version: request.modelVersion)
        run([(DB.models.rawValue, ["HGETALL", key]),
             (DB.metadata.rawValue, ["EXISTS", ClipperSchema.currentVersionKey(model: request.modelName)])], reply) { [self] replies in
            guard let model = ModelRecord(fields: replies[0].hash), model.isValid else {
                return reply.fail(replies[1] == .integer(1)
                    ? .notFound("Cannot set non-existent version '\(request.modelVersion)' for model with name '\(request.modelName)'")
                    : .notFound("Cannot set version for nonexistent model '\(request.modelName)'"))
            }
            checkLinkedInputTypes(model: model.name, inputType: model.inputType, reply) { [self] in
                makeCurrent(model, reply)
            }
        }
    }

    /// Makes `model` its model's current version, then answers once this process's mirror
    /// knows.
    private func makeCurrent(_ model: ModelRecord, _ reply: Reply) {
        let versionKey = ClipperSchema.currentVersionKey(model: model.name)
        run([(DB.metadata.rawValue, ["SET", versionKey, model.version])], reply) { [self] _ in
            registry.reload(database: .metadata, key: versionKey) {
                reply.text("Successfully set model with name '\(model.name)' to version '\(model.version)'")
            }
        }
    }

    func deleteVersionedModel(_ body: [UInt8], _ reply: Reply) throws(APIError) {
        let request = try ManagementRequest.decode(ManagementRequest.ModelVersion.self, from: body)
        let key = ClipperSchema.modelKey(name: request.modelName, version: request.modelVersion)
        run([(DB.models.rawValue, ["HGETALL", key])], reply) { [self] replies in
            guard let model = ModelRecord(fields: replies[0].hash) else {
                return reply.fail(.notFound("model with name '\(request.modelName)' and version '\(request.modelVersion)' does not exist"))
            }
            guard model.isValid else {
                return reply.fail(.conflict("model with name '\(model.name)' and version '\(model.version)' is already marked as 'invalid'"))
            }
            removeModelVersion(model, key: key, reply)
        }
    }

    /// Deletes a model version (stored under `key`), then answers once this process's mirror
    /// has forgotten it.
    private func removeModelVersion(_ model: ModelRecord, key: String, _ reply: Reply) {
        // HDEL valid is Clipper's deletion request (its frontends react to it); Cutter then removes
        // the record itself, so every Cutter frontend sees the version disappear. When it was the
        // current version the model is left with none, rather than a pointer to a deleted version
        // (which made linking fail with a misleading "incompatible input_type 'unknown'").
        // clipper_admin's stop_models deletes every version, the current one included, so this
        // cannot be refused.
        let versionKey = ClipperSchema.currentVersionKey(model: model.name)
        run([(DB.models.rawValue, ["HDEL", key, "valid"]), (DB.models.rawValue, ["DEL", key]),
             (DB.metadata.rawValue, ["EVAL", RedisScripts.deleteIfEqual, "1", versionKey, model.version])], reply) { [self] _ in
            logger.info("model version deleted", metadata: ["model": "\(key)"])
            registry.reload(database: .metadata, key: versionKey)
            registry.reload(database: .models, key: key) {
                reply.text("Successfully deleted model with name '\(model.name)' and version '\(model.version)'")
            }
        }
    }

    func getAllModels(_ body: [UInt8], _ reply: Reply) throws(APIError) {
        let verbose = try ManagementRequest.decode(ManagementRequest.Verbose.self, from: body).verbose
        run([(DB.models.rawValue, ["KEYS", "*"])], reply) { [self] replies in
            let keys = replies[0].strings.sorted()
            guard verbose else { return reply.json(keys) }
            readModels(keys, reply) { reply.json($0.compactMap { $0 }) }
        }
    }

    func getModel(_ body: [UInt8], _ reply: Reply) throws(APIError) {
        let request = try ManagementRequest.decode(ManagementRequest.ModelVersion.self, from: body)
        readModels([ClipperSchema.modelKey(name: request.modelName, version: request.modelVersion)], reply) {
            reply.json(ObjectOrEmpty($0[0]))
        }
    }

    /// Reads model versions with whether each is its model's current version, in the order of
    /// `keys` (nil for a missing or unreadable one).
    private func readModels(_ keys: [String], _ reply: Reply, _ next: @escaping ([ModelDescription?]) -> Void) {
        run(keys.map { (db: DB.models.rawValue, arguments: ["HGETALL", $0]) }, reply) { [self] replies in
            let models = replies.map { ModelRecord(fields: $0.hash) }
            let names = Array(Set(models.compactMap { $0?.name })).sorted()
            run(names.map { (db: DB.metadata.rawValue, arguments: ["GET", ClipperSchema.currentVersionKey(model: $0)]) }, reply) { versions in
                var currentVersions: [String: String] = [:]
                for (name, version) in zip(names, versions) { currentVersions[name] = version.string }
                next(models.map { model in
                    model.map { ModelDescription($0, isCurrentVersion: currentVersions[$0.name] == $0.version) }
                })
            }
        }
    }
}
