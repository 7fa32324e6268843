import ClipperRPC
import Logging

/// add_model_links, delete_model_links, get_linked_models.
extension ManagementAPI {
    func addModelLinks(_ body: [UInt8], _ reply: Reply) throws(APIError) {
        let request = try ManagementRequest.decode(ManagementRequest.Links.self, from: body)
        let app = request.appName
        let names = request.modelNames
        guard !names.isEmpty else {
            throw .badRequest("Please provide the name of the model that you want to link to the application '\(app)'")
        }
        let commands = [(db: DB.applications.rawValue, arguments: ["HGETALL", app]), (db: DB.appModelLinks.rawValue, arguments: ["SMEMBERS", app])]
            + names.map { (db: DB.metadata.rawValue, arguments: ["GET", ClipperSchema.currentVersionKey(model: $0)]) }
        run(commands, reply) { [self] replies in
            guard let application = ApplicationRecord(name: app, fields: replies[0].hash) else {
                return reply.fail(.notFound("No app with name '\(app)' exists."))
            }
            var modelKeys: [String] = []
            for (name, version) in zip(names, replies.dropFirst(2)) {
                guard let version = version.string else { return reply.fail(.notFound("No model with name '\(name)' exists.")) }
                modelKeys.append(ClipperSchema.modelKey(name: name, version: version))
            }
            link(names, currentVersions: modelKeys, to: application, alreadyLinked: Set(replies[1].strings), reply)
        }
    }

    /// Reads the input types of the models' current versions (stored under `currentVersions`),
    /// then links the models unless `linkError` objects.
    private func link(_ names: [String], currentVersions: [String], to application: ApplicationRecord,
                      alreadyLinked: Set<String>, _ reply: Reply) {
        run(currentVersions.map { (db: DB.models.rawValue, arguments: ["HGET", $0, "input_type"]) }, reply) { [self] types in
            if let error = Self.linkError(names, inputTypes: types.map(\.string), application: application, alreadyLinked: alreadyLinked) {
                return reply.fail(error)
            }
            storeLinks(names, app: application.name, reply)
        }
    }

    /// Why `names` cannot be linked to `application`, or nil: a model's current version has
    /// another input type (`inputTypes`, as stored), or the app's policy serves one model and
    /// has one, or a model is already linked.
    private static func linkError(_ names: [String], inputTypes: [String?], application: ApplicationRecord,
                                  alreadyLinked: Set<String>) -> APIError? {
        let app = application.name
        for (name, type) in zip(names, inputTypes) {
            guard type.flatMap(InputType.init(spelling:)) == application.inputType else {
                return .badRequest("Model with name '\(name)' has incompatible input_type '\(type ?? "unknown")'. Requested app to link to has input_type '\(application.inputType.canonicalName)'.")
            }
        }
        // Clipper's single-model policy serves one model per app; the bandit policies combine
        // several. A policy name Cutter does not know is not held to one model.
        if !(application.policy?.allowsSeveralModels ?? true) {
            guard names.count == 1 else {
                return .badRequest("Applications with policy \(application.policyName) must be linked with at most one model. Attempted to add links to \(names.count) models.")
            }
            if let linked = alreadyLinked.first {
                return .conflict(linked == names[0]
                    ? "The model with name '\(linked)' is already linked to '\(app)'"
                    : "A model with name \(linked) is already linked to '\(app)'.")
            }
        } else if let duplicate = names.first(where: alreadyLinked.contains) {
            return .conflict("The model with name '\(duplicate)' is already linked to '\(app)'")
        }
        return nil
    }

    /// Adds the links, then answers once this process's mirror holds them.
    private func storeLinks(_ names: [String], app: String, _ reply: Reply) {
        run([(DB.appModelLinks.rawValue, ["SADD", app] + names)], reply) { [self] _ in
            logger.info("models linked", metadata: ["app": "\(app)", "models": "\(names)"])
            registry.reload(database: .appModelLinks, key: app) {
                reply.text(names.count == 1
                    ? "Successfully linked model with name '\(names[0])' to application '\(app)'"
                    : "Successfully linked models with names \(names.map { "'\($0)'" }.joined(separator: ", ")) to application '\(app)'")
            }
        }
    }

    func deleteModelLinks(_ body: [UInt8], _ reply: Reply) throws(APIError) {
        let request = try ManagementRequest.decode(ManagementRequest.Links.self, from: body)
        let app = request.appName
        let names = request.modelNames
        run([(DB.applications.rawValue, ["EXISTS", app]), (DB.appModelLinks.rawValue, ["SMEMBERS", app])], reply) { [self] replies in
            guard replies[0] == .integer(1) else { return reply.fail(.notFound("No app with name \(app) exists.")) }
            let linked = Set(replies[1].strings)
            if let missing = names.first(where: { !linked.contains($0) }) {
                return reply.fail(.notFound("Cannot remove nonexistent link between app \(app) and model \(missing)"))
            }
            guard !names.isEmpty else { return reply.text("Success!") }
            removeLinks(names, app: app, reply)
        }
    }

    /// Removes the links, then answers once this process's mirror has forgotten them.
    private func removeLinks(_ names: [String], app: String, _ reply: Reply) {
        run([(DB.appModelLinks.rawValue, ["SREM", app] + names)], reply) { [self] _ in
            registry.reload(database: .appModelLinks, key: app) { reply.text("Success!") }
        }
    }

    func getLinkedModels(_ body: [UInt8], _ reply: Reply) throws(APIError) {
        let app = try ManagementRequest.decode(ManagementRequest.AppNameField.self, from: body).appName
        run([(DB.applications.rawValue, ["EXISTS", app]), (DB.appModelLinks.rawValue, ["SMEMBERS", app])], reply) { replies in
            guard replies[0] == .integer(1) else { return reply.fail(.notFound("No application with name '\(app)' exists.")) }
            reply.json(replies[1].strings.sorted())
        }
    }
}
