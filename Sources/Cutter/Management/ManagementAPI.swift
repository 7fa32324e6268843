public import ClipperRPC
import Foundation
public import Logging

/// Clipper's management REST API (`/admin/...`), path for path and field for field, so the
/// `clipper_admin` Python library drives Cutter unchanged.
///
/// Writes go to Redis in Clipper's schema; the reply is sent once Redis has acknowledged them and
/// this process's mirror was re-read. Validation reads Redis, not the mirror, so several frontends
/// sharing one Redis agree. Success bodies are Clipper's plain-text messages; errors are JSON.
public final class ManagementAPI {
    private let redis: RedisConnection
    private let registry: ConfigRegistry
    private let logger: Logger
    private typealias DB = ClipperSchema.Database

    public init(redis: RedisConnection, registry: ConfigRegistry, logger: Logger) {
        self.redis = redis
        self.registry = registry
        self.logger = logger
    }

    /// Routes one request.
    public func handle(_ exchange: HTTPExchange) {
        let path = exchange.path.hasSuffix("/") && exchange.path.count > 1 ? String(exchange.path.dropLast()) : exchange.path
        if path == "/admin/ping" { return exchange.respond(status: 200, contentType: "text/plain", text: "PONG") }
        guard let endpoint = endpoints[path] else {
            return exchange.respond(.notFound("No management endpoint \(exchange.path). Endpoints: /admin/ping, \(endpoints.keys.sorted().joined(separator: ", "))."))
        }
        guard exchange.method == .post else {
            return exchange.respond(APIError(status: 405, error: "Method not allowed", cause: "\(path) takes POST with a JSON body."))
        }
        guard !exchange.bodyTooLarge else { return exchange.respond(.bodyTooLarge) }
        let reply = Reply(exchange: exchange)
        do {
            try endpoint(self)(exchange.body, reply)
        } catch {
            reply.fail(error)
        }
    }

    /// Answers one management request exactly once.
    final class Reply {
        let exchange: HTTPExchange
        init(exchange: HTTPExchange) { self.exchange = exchange }
        func text(_ message: String) { exchange.respond(status: 200, contentType: "text/plain", text: message) }
        func json(_ value: Any) {
            let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed])) ?? Data("null".utf8)
            exchange.respond(status: 200, body: Array(data))
        }
        func fail(_ error: APIError) { exchange.respond(error) }
    }

    private typealias Endpoint = (ManagementAPI) -> ([UInt8], Reply) throws(APIError) -> Void

    private let endpoints: [String: Endpoint] = [
        "/admin/add_app": { $0.addApp },
        "/admin/delete_app": { $0.deleteApp },
        "/admin/add_model": { $0.addModel },
        "/admin/set_model_version": { $0.setModelVersion },
        "/admin/delete_versioned_model": { $0.deleteVersionedModel },
        "/admin/add_model_links": { $0.addModelLinks },
        "/admin/delete_model_links": { $0.deleteModelLinks },
        "/admin/get_all_applications": { $0.getAllApplications },
        "/admin/get_application": { $0.getApplication },
        "/admin/get_linked_models": { $0.getLinkedModels },
        "/admin/get_all_models": { $0.getAllModels },
        "/admin/get_model": { $0.getModel },
        "/admin/get_all_containers": { $0.getAllContainers },
        "/admin/get_container": { $0.getContainer },
        "/admin/get_state": { $0.getState },
    ]

    /// Runs Redis commands; on any error reply answers 503 and does not call `next`.
    private func run(_ commands: [(db: Int, arguments: [String])], _ reply: Reply, _ next: @escaping ([RedisReply]) -> Void) {
        redis.pipeline(commands) { replies in
            if let error = replies.compactMap(\.errorMessage).first {
                return reply.fail(.redisUnavailable("Redis answered: \(error)"))
            }
            next(replies)
        }
    }

    private func validateName(_ name: String, _ what: String) throws(APIError) {
        guard ClipperSchema.isValidName(name) else {
            throw .badRequest("Invalid \(what) supplied: '\(name)'. Names must be non-empty and contain none of ',', ':', '/', whitespace.")
        }
    }

    private func parseInputType(_ spelling: String) throws(APIError) -> InputType {
        guard let type = InputType(spelling: spelling) else {
            throw .badRequest("Invalid input_type '\(spelling)'. Use one of: bytes, integers, floats, doubles, strings.")
        }
        return type
    }

    // MARK: applications

    private func addApp(_ body: [UInt8], _ reply: Reply) throws(APIError) {
        let request = try ManagementRequest.decode(ManagementRequest.AddApp.self, from: body)
        try validateName(request.name, "application name")
        let inputType = try parseInputType(request.input_type)
        guard request.latency_slo_micros > 0, request.latency_slo_micros <= Int(Int32.max) else {
            throw .badRequest("latency_slo_micros must be a positive 32-bit integer (microseconds); got \(request.latency_slo_micros).")
        }
        let policy = request.policy ?? ClipperSchema.defaultPolicy
        guard SelectionPolicyName.isKnown(policy) else {
            throw .badRequest("Unknown selection policy '\(policy)'. Use one of: \(SelectionPolicyName.all.joined(separator: ", ")).")
        }
        let lossName = request.feedback_loss ?? FeedbackLoss.zeroOne.rawValue
        guard let loss = FeedbackLoss(rawValue: lossName) else {
            throw .badRequest("Unknown feedback_loss '\(lossName)'. Use one of: \(FeedbackLoss.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        let threshold = request.confidence_threshold ?? 0
        guard threshold >= 0 && threshold <= 1 else { throw .badRequest("confidence_threshold must be between 0 and 1; got \(threshold).") }
        let record = ApplicationRecord(name: request.name, inputType: inputType, defaultOutput: request.default_output,
                                       latencySLOMicros: request.latency_slo_micros, policy: policy,
                                       feedbackLoss: loss, confidenceThreshold: threshold)
        run([(DB.applications.rawValue, ["EXISTS", record.name])], reply) { [self] replies in
            guard replies[0] == .integer(0) else { return reply.fail(.conflict("application '\(record.name)' already exists")) }
            run([(DB.applications.rawValue, record.fields.hsetArguments(key: record.name))], reply) { [self] _ in
                logger.info("application added", metadata: ["app": "\(record.name)"])
                registry.reload(database: .applications, key: record.name) {
                    reply.text("Successfully added application with name '\(record.name)'")
                }
            }
        }
    }

    private func deleteApp(_ body: [UInt8], _ reply: Reply) throws(APIError) {
        let name = try ManagementRequest.decode(ManagementRequest.AppName.self, from: body).name
        run([(DB.applications.rawValue, ["EXISTS", name])], reply) { [self] replies in
            guard replies[0] == .integer(1) else { return reply.fail(.notFound("Application '\(name)' does not exist")) }
            // Unlike Clipper, the app's links and selection states go too: a new app of the same
            // name starts clean.
            let statePattern = ClipperSchema.globEscaped(name) + ":*"
            run([(DB.state.rawValue, ["KEYS", statePattern])], reply) { [self] states in
                let stateKeys = states[0].strings
                run([(DB.applications.rawValue, ["DEL", name]), (DB.appModelLinks.rawValue, ["DEL", name])]
                    + (stateKeys.isEmpty ? [] : [(DB.state.rawValue, ["DEL"] + stateKeys)]), reply) { [self] _ in
                    logger.info("application deleted", metadata: ["app": "\(name)"])
                    registry.reload(database: .appModelLinks, key: name)
                    registry.reload(database: .applications, key: name) {
                        reply.text("Successfully deleted application with name '\(name)'")
                    }
                }
            }
        }
    }

    private func getAllApplications(_ body: [UInt8], _ reply: Reply) throws(APIError) {
        let verbose = try ManagementRequest.decode(ManagementRequest.Verbose.self, from: body).verbose
        run([(DB.applications.rawValue, ["KEYS", "*"])], reply) { [self] replies in
            let names = replies[0].strings.sorted()
            guard verbose else { return reply.json(names) }
            readApplications(names, reply) { reply.json($0.compactMap { $0 }) }
        }
    }

    private func getApplication(_ body: [UInt8], _ reply: Reply) throws(APIError) {
        let name = try ManagementRequest.decode(ManagementRequest.AppName.self, from: body).name
        readApplications([name], reply) { reply.json($0[0] ?? [String: Any]()) }
    }

    /// Reads applications with their links as Clipper's JSON objects (nil for a missing one).
    private func readApplications(_ names: [String], _ reply: Reply, _ next: @escaping ([[String: Any]?]) -> Void) {
        let commands = names.flatMap { [(db: DB.applications.rawValue, arguments: ["HGETALL", $0]),
                                        (db: DB.appModelLinks.rawValue, arguments: ["SMEMBERS", $0])] }
        run(commands, reply) { replies in
            next(names.enumerated().map { index, name in
                guard let app = ApplicationRecord(name: name, fields: replies[2 * index].hash) else { return nil }
                return ["name": app.name, "input_type": app.inputType.canonicalName, "default_output": app.defaultOutput,
                        "latency_slo_micros": app.latencySLOMicros, "policy": app.policy,
                        "feedback_loss": app.feedbackLoss.rawValue, "confidence_threshold": app.confidenceThreshold,
                        "linked_models": replies[2 * index + 1].strings.sorted()]
            })
        }
    }

    private func getLinkedModels(_ body: [UInt8], _ reply: Reply) throws(APIError) {
        let app = try ManagementRequest.decode(ManagementRequest.AppNameField.self, from: body).app_name
        run([(DB.applications.rawValue, ["EXISTS", app]), (DB.appModelLinks.rawValue, ["SMEMBERS", app])], reply) { replies in
            guard replies[0] == .integer(1) else { return reply.fail(.notFound("No application with name '\(app)' exists.")) }
            reply.json(replies[1].strings.sorted())
        }
    }

    /// The selection state of (app, uid): for the bandit policies the normalized weight of each
    /// linked model and the feedback count; for Clipper's policy the stored JSON, if any.
    private func getState(_ body: [UInt8], _ reply: Reply) throws(APIError) {
        let request = try ManagementRequest.decode(ManagementRequest.StateQuery.self, from: body)
        let uid = request.uid ?? 0
        let key = ClipperSchema.stateKey(app: request.app_name, uid: uid)
        run([(DB.applications.rawValue, ["HGETALL", request.app_name]), (DB.appModelLinks.rawValue, ["SMEMBERS", request.app_name]),
             (DB.state.rawValue, ["TYPE", key])], reply) { [self] replies in
            guard let app = ApplicationRecord(name: request.app_name, fields: replies[0].hash) else {
                return reply.fail(.notFound("No application with name '\(request.app_name)' exists."))
            }
            let models = replies[1].strings.sorted()
            let isHash = replies[2].string == "hash"
            run([(DB.state.rawValue, isHash ? ["HGETALL", key] : ["GET", key])], reply) { state in
                var result: [String: Any] = ["app_name": app.name, "uid": uid, "policy": app.policy]
                if isHash || app.policy != ClipperSchema.defaultPolicy {
                    let selection = SelectionState(hash: state[0].hash)
                    result["feedback_count"] = selection.feedbackCount
                    result["weights"] = Dictionary(uniqueKeysWithValues: zip(models, selection.weights(of: models)))
                } else {
                    result["state"] = state[0].string.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8), options: [.fragmentsAllowed]) } ?? NSNull()
                }
                reply.json(result)
            }
        }
    }

    // MARK: models

    private func addModel(_ body: [UInt8], _ reply: Reply) throws(APIError) {
        let request = try ManagementRequest.decode(ManagementRequest.AddModel.self, from: body)
        try validateName(request.model_name, "model name")
        try validateName(request.model_version, "model version")
        for label in request.labels ?? [] { try validateName(label, "label") }
        let inputType = try parseInputType(request.input_type)
        let batchSize = request.batch_size ?? -1
        guard batchSize > 0 || batchSize == -1 else {
            throw .badRequest("The batch size must be positive or -1 (adaptive); got \(batchSize).")
        }
        let model = ModelRecord(name: request.model_name, version: request.model_version, inputType: inputType,
                                labels: request.labels ?? [], containerName: request.container_name ?? "NO_CONTAINER",
                                modelDataPath: request.model_data_path ?? "DEPRECATED", batchSize: batchSize)
        run([(DB.models.rawValue, ["EXISTS", model.key])], reply) { [self] replies in
            guard replies[0] == .integer(0) else {
                return reply.fail(.conflict("model with name '\(model.name)' and version '\(model.version)' already exists"))
            }
            checkLinkedInputTypes(model: model.name, inputType: inputType, reply) { [self] in
                run([(DB.models.rawValue, model.fields.hsetArguments(key: model.key)),
                     (DB.metadata.rawValue, ["SET", ClipperSchema.currentVersionKey(model: model.name), model.version])], reply) { [self] _ in
                    logger.info("model added", metadata: ["model": "\(model.key)"])
                    registry.reload(database: .models, key: model.key)
                    registry.reload(database: .metadata, key: ClipperSchema.currentVersionKey(model: model.name)) {
                        reply.text("Successfully added model with name '\(model.name)' and input type '\(inputType.canonicalName)'")
                    }
                }
            }
        }
    }

    /// Fails when an app linked to `model` has another input type than `inputType`.
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

    private func setModelVersion(_ body: [UInt8], _ reply: Reply) throws(APIError) {
        let request = try ManagementRequest.decode(ManagementRequest.ModelVersion.self, from: body)
        let key = ClipperSchema.modelKey(name: request.model_name, version: request.model_version)
        run([(DB.models.rawValue, ["HGETALL", key]), (DB.metadata.rawValue, ["EXISTS", ClipperSchema.currentVersionKey(model: request.model_name)])], reply) { [self] replies in
            guard let model = ModelRecord(fields: replies[0].hash), model.isValid else {
                return reply.fail(replies[1] == .integer(1)
                    ? .notFound("Cannot set non-existent version '\(request.model_version)' for model with name '\(request.model_name)'")
                    : .notFound("Cannot set version for nonexistent model '\(request.model_name)'"))
            }
            checkLinkedInputTypes(model: model.name, inputType: model.inputType, reply) { [self] in
                let versionKey = ClipperSchema.currentVersionKey(model: model.name)
                run([(DB.metadata.rawValue, ["SET", versionKey, model.version])], reply) { [self] _ in
                    registry.reload(database: .metadata, key: versionKey) {
                        reply.text("Successfully set model with name '\(model.name)' to version '\(model.version)'")
                    }
                }
            }
        }
    }

    private func deleteVersionedModel(_ body: [UInt8], _ reply: Reply) throws(APIError) {
        let request = try ManagementRequest.decode(ManagementRequest.ModelVersion.self, from: body)
        let key = ClipperSchema.modelKey(name: request.model_name, version: request.model_version)
        run([(DB.models.rawValue, ["HGETALL", key])], reply) { [self] replies in
            guard let model = ModelRecord(fields: replies[0].hash) else {
                return reply.fail(.notFound("model with name '\(request.model_name)' and version '\(request.model_version)' does not exist"))
            }
            guard model.isValid else {
                return reply.fail(.conflict("model with name '\(model.name)' and version '\(model.version)' is already marked as 'invalid'"))
            }
            // HDEL valid is Clipper's deletion request (its frontends react to it); Cutter then removes
            // the record itself, so every Cutter frontend sees the version disappear.
            run([(DB.models.rawValue, ["HDEL", key, "valid"]), (DB.models.rawValue, ["DEL", key])], reply) { [self] _ in
                logger.info("model version deleted", metadata: ["model": "\(key)"])
                registry.reload(database: .models, key: key) {
                    reply.text("Successfully deleted model with name '\(model.name)' and version '\(model.version)'")
                }
            }
        }
    }

    private func getAllModels(_ body: [UInt8], _ reply: Reply) throws(APIError) {
        let verbose = try ManagementRequest.decode(ManagementRequest.Verbose.self, from: body).verbose
        run([(DB.models.rawValue, ["KEYS", "*"])], reply) { [self] replies in
            let keys = replies[0].strings.sorted()
            guard verbose else { return reply.json(keys) }
            readModels(keys, reply) { reply.json($0.compactMap { $0 }) }
        }
    }

    private func getModel(_ body: [UInt8], _ reply: Reply) throws(APIError) {
        let request = try ManagementRequest.decode(ManagementRequest.ModelVersion.self, from: body)
        readModels([ClipperSchema.modelKey(name: request.model_name, version: request.model_version)], reply) {
            reply.json($0[0] ?? [String: Any]())
        }
    }

    /// Reads model versions as Clipper's JSON objects (nil for a missing one).
    private func readModels(_ keys: [String], _ reply: Reply, _ next: @escaping ([[String: Any]?]) -> Void) {
        run(keys.map { (db: DB.models.rawValue, arguments: ["HGETALL", $0]) }, reply) { [self] replies in
            let models = replies.map { ModelRecord(fields: $0.hash) }
            let names = Array(Set(models.compactMap { $0?.name })).sorted()
            run(names.map { (db: DB.metadata.rawValue, arguments: ["GET", ClipperSchema.currentVersionKey(model: $0)]) }, reply) { versions in
                let current = Dictionary(uniqueKeysWithValues: zip(names, versions.map(\.string)))
                next(models.map { model in
                    guard let model else { return nil }
                    return ["model_name": model.name, "model_version": model.version, "input_type": model.inputType.canonicalName,
                            "labels": model.labels, "container_name": model.containerName, "model_data_path": model.modelDataPath,
                            "batch_size": model.batchSize, "is_current_version": current[model.name] == .some(model.version)]
                })
            }
        }
    }

    // MARK: links

    private func addModelLinks(_ body: [UInt8], _ reply: Reply) throws(APIError) {
        let request = try ManagementRequest.decode(ManagementRequest.Links.self, from: body)
        let app = request.app_name
        let names = request.model_names
        guard !names.isEmpty else {
            throw .badRequest("Please provide the name of the model that you want to link to the application '\(app)'")
        }
        let commands = [(db: DB.applications.rawValue, arguments: ["HGETALL", app]), (db: DB.appModelLinks.rawValue, arguments: ["SMEMBERS", app])]
            + names.map { (db: DB.metadata.rawValue, arguments: ["GET", ClipperSchema.currentVersionKey(model: $0)]) }
        run(commands, reply) { [self] replies in
            guard let application = ApplicationRecord(name: app, fields: replies[0].hash) else {
                return reply.fail(.notFound("No app with name '\(app)' exists."))
            }
            let existing = Set(replies[1].strings)
            var modelKeys: [String] = []
            for (name, version) in zip(names, replies.dropFirst(2)) {
                guard let version = version.string else { return reply.fail(.notFound("No model with name '\(name)' exists.")) }
                modelKeys.append(ClipperSchema.modelKey(name: name, version: version))
            }
            run(modelKeys.map { (db: DB.models.rawValue, arguments: ["HGET", $0, "input_type"]) }, reply) { [self] types in
                for (name, type) in zip(names, types) {
                    let modelType = type.string.flatMap(InputType.init(spelling:))
                    guard modelType == application.inputType else {
                        return reply.fail(.badRequest("Model with name '\(name)' has incompatible input_type '\(type.string ?? "unknown")'. Requested app to link to has input_type '\(application.inputType.canonicalName)'."))
                    }
                }
                // Clipper's single-model policy serves one model per app; the bandit policies combine several.
                if !SelectionPolicyName.allowsSeveralModels(application.policy) {
                    guard names.count == 1 else {
                        return reply.fail(.badRequest("Applications with policy \(application.policy) must be linked with at most one model. Attempted to add links to \(names.count) models."))
                    }
                    if let linked = existing.first {
                        return reply.fail(.conflict(linked == names[0]
                            ? "The model with name '\(linked)' is already linked to '\(app)'"
                            : "A model with name \(linked) is already linked to '\(app)'."))
                    }
                } else if let duplicate = names.first(where: existing.contains) {
                    return reply.fail(.conflict("The model with name '\(duplicate)' is already linked to '\(app)'"))
                }
                run([(DB.appModelLinks.rawValue, ["SADD", app] + names)], reply) { [self] _ in
                    logger.info("models linked", metadata: ["app": "\(app)", "models": "\(names)"])
                    registry.reload(database: .appModelLinks, key: app) {
                        reply.text(names.count == 1
                            ? "Successfully linked model with name '\(names[0])' to application '\(app)'"
                            : "Successfully linked models with names \(names.map { "'\($0)'" }.joined(separator: ", ")) to application '\(app)'")
                    }
                }
            }
        }
    }

    private func deleteModelLinks(_ body: [UInt8], _ reply: Reply) throws(APIError) {
        let request = try ManagementRequest.decode(ManagementRequest.Links.self, from: body)
        let app = request.app_name
        run([(DB.applications.rawValue, ["EXISTS", app]), (DB.appModelLinks.rawValue, ["SMEMBERS", app])], reply) { [self] replies in
            guard replies[0] == .integer(1) else { return reply.fail(.notFound("No app with name \(app) exists.")) }
            let existing = Set(replies[1].strings)
            if let missing = request.model_names.first(where: { !existing.contains($0) }) {
                return reply.fail(.notFound("Cannot remove nonexistent link between app \(app) and model \(missing)"))
            }
            guard !request.model_names.isEmpty else { return reply.text("Success!") }
            run([(DB.appModelLinks.rawValue, ["SREM", app] + request.model_names)], reply) { [self] _ in
                registry.reload(database: .appModelLinks, key: app) { reply.text("Success!") }
            }
        }
    }

    // MARK: containers

    private func getAllContainers(_ body: [UInt8], _ reply: Reply) throws(APIError) {
        let verbose = try ManagementRequest.decode(ManagementRequest.Verbose.self, from: body).verbose
        run([(DB.containers.rawValue, ["KEYS", "*"])], reply) { [self] replies in
            let keys = replies[0].strings.sorted()
            run(keys.map { (db: DB.containers.rawValue, arguments: ["HGETALL", $0]) }, reply) { records in
                let containers = records.compactMap { ContainerRecord(fields: $0.hash) }
                reply.json(verbose ? containers.map(Self.containerJSON)
                                   : containers.map { "\($0.modelName):\($0.modelVersion):\($0.replicaID)" })
            }
        }
    }

    private func getContainer(_ body: [UInt8], _ reply: Reply) throws(APIError) {
        let request = try ManagementRequest.decode(ManagementRequest.Container.self, from: body)
        let key = ClipperSchema.containerKey(modelName: request.model_name, modelVersion: request.model_version, replicaID: request.replica_id)
        run([(DB.containers.rawValue, ["HGETALL", key])], reply) { replies in
            reply.json(ContainerRecord(fields: replies[0].hash).map(Self.containerJSON) ?? [String: Any]())
        }
    }

    private static func containerJSON(_ container: ContainerRecord) -> [String: Any] {
        ["model_id": ClipperSchema.modelKey(name: container.modelName, version: container.modelVersion),
         "model_name": container.modelName, "model_version": container.modelVersion,
         "model_replica_id": container.replicaID, "input_type": container.inputType.canonicalName]
    }
}
