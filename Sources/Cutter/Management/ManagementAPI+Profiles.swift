/// get_latency_profiles: Cutter's own endpoint (Clipper has none).
extension ManagementAPI {
    /// This frontend's latency profile of every connected replica (each frontend learns its own,
    /// from the batches it sends), optionally of one model: `{"model_name": "sum"}`.
    func getLatencyProfiles(_ body: [UInt8], _ reply: Reply) throws(APIError) {
        let request = try ManagementRequest.decode(ManagementRequest.ProfileQuery.self, from: body)
        let profiles = profiles().filter { snapshot in
            request.modelName.map { snapshot.modelKey.hasPrefix($0 + ":") } ?? true
        }
        reply.json(profiles.map(LatencyProfileDescription.init))
    }
}
