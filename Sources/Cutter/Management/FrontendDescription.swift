/// One frontend of the registry, as get_all_frontends lists it.
struct FrontendDescription: Encodable {
    let id: String
    let rpcAddress: String
    let queryAddress: String
    let startedAt: Int

    enum CodingKeys: String, CodingKey {
        case id, rpcAddress = "rpc_address", queryAddress = "query_address", startedAt = "started_at"
    }

    /// From a registry hash; nil when a field is missing (a record being written or expiring).
    init?(fields: [String: String]) {
        guard let id = fields["id"], let rpcAddress = fields["rpc_address"], let startedAt = fields["started_at"].flatMap(Int.init) else {
            return nil
        }
        self.id = id
        self.rpcAddress = rpcAddress
        queryAddress = fields["query_address"] ?? ""
        self.startedAt = startedAt
    }
}
