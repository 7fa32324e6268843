/// get_state.
extension ManagementAPI {
    /// The selection state of (app, uid): for the bandit policies the normalized weight of each
    /// linked model and the feedback count; for Clipper's policy the stored JSON, if any.
    func getState(_ body: [UInt8], _ reply: Reply) throws(APIError) {
        let request = try ManagementRequest.decode(ManagementRequest.StateQuery.self, from: body)
        let uid = request.uid ?? 0
        let key = ClipperSchema.stateKey(app: request.appName, uid: uid)
        run([(DB.applications.rawValue, ["HGETALL", request.appName]), (DB.appModelLinks.rawValue, ["SMEMBERS", request.appName]),
             (DB.state.rawValue, ["TYPE", key])], reply) { [self] replies in
            guard let app = ApplicationRecord(name: request.appName, fields: replies[0].hash) else {
                return reply.fail(.notFound("No application with name '\(request.appName)' exists."))
            }
            readState(of: app, uid: uid, key: key, models: replies[1].strings.sorted(), isHash: replies[2].string == "hash", reply)
        }
    }

    /// Reads the state stored under `key`: a bandit's hash (also when the app's policy is
    /// Clipper's but the state is a hash), else Clipper's JSON text.
    private func readState(of app: ApplicationRecord, uid: Int, key: String, models: [String], isHash: Bool, _ reply: Reply) {
        run([(DB.state.rawValue, isHash ? ["HGETALL", key] : ["GET", key])], reply) { state in
            let learned: SelectionStateDescription.Learned
            if isHash || app.policy != SelectionPolicyKind.defaultOutput {
                let selection = SelectionState(hash: state[0].hash)
                learned = .bandit(feedbackCount: selection.feedbackCount,
                                  weights: Dictionary(uniqueKeysWithValues: zip(models, selection.weights(of: models))))
            } else {
                learned = .stored(state[0].string.flatMap { SelectionStateDescription.StoredJSON(text: $0) })
            }
            reply.json(SelectionStateDescription(appName: app.name, uid: uid, policy: app.policyName, learned: learned))
        }
    }
}
