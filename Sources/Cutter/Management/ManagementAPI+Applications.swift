import ClipperRPC
import Logging

/// add_app, delete_app, get_all_applications, get_application.
extension ManagementAPI {
    func addApp(_ body: [UInt8], _ reply: Reply) throws(APIError) {
        let application = try validatedApplication(ManagementRequest.decode(ManagementRequest.AddApp.self, from: body))
        storeApplication(application, reply)
    }

    /// add_app's checks, in Clipper's order, and the record they give.
    private func validatedApplication(_ request: ManagementRequest.AddApp) throws(APIError) -> ApplicationRecord {
        try validateName(request.name, "application name")
        let inputType = try parseInputType(request.inputType)
        guard request.latencySLOMicros > 0, request.latencySLOMicros <= Int(Int32.max) else {
            throw .badRequest("latency_slo_micros must be a positive 32-bit integer (microseconds); got \(request.latencySLOMicros).")
        }
        let policyName = request.policy ?? SelectionPolicyKind.defaultOutput.rawValue
        guard let policy = SelectionPolicyKind(rawValue: policyName) else {
            throw .badRequest("Unknown selection policy '\(policyName)'. Use one of: \(SelectionPolicyKind.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        let lossName = request.feedbackLoss ?? FeedbackLoss.zeroOne.rawValue
        guard let loss = FeedbackLoss(rawValue: lossName) else {
            throw .badRequest("Unknown feedback_loss '\(lossName)'. Use one of: \(FeedbackLoss.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        let threshold = request.confidenceThreshold ?? 0
        guard threshold >= 0 && threshold <= 1 else { throw .badRequest("confidence_threshold must be between 0 and 1; got \(threshold).") }
        return ApplicationRecord(name: request.name, inputType: inputType, defaultOutput: request.defaultOutput,
                                 latencySLOMicros: request.latencySLOMicros, policy: policy,
                                 feedbackLoss: loss, confidenceThreshold: threshold)
    }

    /// Writes a new application unless one of that name exists (checked and written in one
    /// atomic step: of two concurrent add_app calls one gets 409), then answers once this
    /// process's mirror holds it.
    private func storeApplication(_ application: ApplicationRecord, _ reply: Reply) {
        let create = RedisScripts.createHashArguments(key: application.name, fields: application.fields)
        run([(DB.applications.rawValue, create)], reply) { [self] replies in
            guard replies[0] == .integer(1) else { return reply.fail(.conflict("application '\(application.name)' already exists")) }
            logger.info("application added", metadata: ["app": "\(application.name)"])
            registry.reload(database: .applications, key: application.name) {
                reply.text("Successfully added application with name '\(application.name)'")
            }
        }
    }

    func deleteApp(_ body: [UInt8], _ reply: Reply) throws(APIError) {
        let name = try ManagementRequest.decode(ManagementRequest.AppName.self, from: body).name
        run([(DB.applications.rawValue, ["EXISTS", name])], reply) { [self] replies in
            guard replies[0] == .integer(1) else { return reply.fail(.notFound("Application '\(name)' does not exist")) }
            // Unlike Clipper, the app's links and selection states go too: a new app of the same
            // name starts clean.
            run([(DB.state.rawValue, ["KEYS", ClipperSchema.globEscaped(name) + ":*"])], reply) { [self] states in
                removeApplication(name, stateKeys: states[0].strings, reply)
            }
        }
    }

    /// Deletes an application with its links and selection states, then answers once this
    /// process's mirror has forgotten it.
    private func removeApplication(_ name: String, stateKeys: [String], _ reply: Reply) {
        var commands: RedisCommands = [(db: DB.applications.rawValue, arguments: ["DEL", name]),
                                       (db: DB.appModelLinks.rawValue, arguments: ["DEL", name])]
        if !stateKeys.isEmpty { commands.append((db: DB.state.rawValue, arguments: ["DEL"] + stateKeys)) }
        run(commands, reply) { [self] _ in
            logger.info("application deleted", metadata: ["app": "\(name)"])
            registry.reload(database: .appModelLinks, key: name)
            registry.reload(database: .applications, key: name) {
                reply.text("Successfully deleted application with name '\(name)'")
            }
        }
    }

    func getAllApplications(_ body: [UInt8], _ reply: Reply) throws(APIError) {
        let verbose = try ManagementRequest.decode(ManagementRequest.Verbose.self, from: body).verbose
        run([(DB.applications.rawValue, ["KEYS", "*"])], reply) { [self] replies in
            let names = replies[0].strings.sorted()
            guard verbose else { return reply.json(names) }
            readApplications(names, reply) { reply.json($0.compactMap { $0 }) }
        }
    }

    func getApplication(_ body: [UInt8], _ reply: Reply) throws(APIError) {
        let name = try ManagementRequest.decode(ManagementRequest.AppName.self, from: body).name
        readApplications([name], reply) { reply.json(ObjectOrEmpty($0[0])) }
    }

    /// Reads applications with their linked models, in the order of `names` (nil for a missing
    /// or unreadable one).
    private func readApplications(_ names: [String], _ reply: Reply, _ next: @escaping ([ApplicationDescription?]) -> Void) {
        let commands = names.flatMap { [(db: DB.applications.rawValue, arguments: ["HGETALL", $0]),
                                        (db: DB.appModelLinks.rawValue, arguments: ["SMEMBERS", $0])] }
        run(commands, reply) { replies in
            next(names.enumerated().map { index, name in
                ApplicationRecord(name: name, fields: replies[2 * index].hash)
                    .map { ApplicationDescription($0, linkedModels: replies[2 * index + 1].strings) }
            })
        }
    }
}
