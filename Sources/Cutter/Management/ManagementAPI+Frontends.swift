/// get_all_frontends: the frontend registry (DB 4), oldest first.
extension ManagementAPI {
    func getAllFrontends(_ body: [UInt8], _ reply: Reply) throws(APIError) {
        run([(DB.resources.rawValue, ["KEYS", "frontend:*"])], reply) { [self] replies in
            let keys = replies[0].strings.sorted()
            run(keys.map { (db: DB.resources.rawValue, arguments: ["HGETALL", $0]) }, reply) { records in
                let frontends = records.compactMap { FrontendDescription(fields: $0.hash) }
                    .sorted { ($0.startedAt, $0.id) < ($1.startedAt, $1.id) }
                reply.json(frontends)
            }
        }
    }
}
