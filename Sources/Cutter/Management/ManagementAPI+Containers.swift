/// get_all_containers, get_container.
extension ManagementAPI {
    func getAllContainers(_ body: [UInt8], _ reply: Reply) throws(APIError) {
        let verbose = try ManagementRequest.decode(ManagementRequest.Verbose.self, from: body).verbose
        run([(DB.containers.rawValue, ["KEYS", "*"])], reply) { [self] replies in
            let keys = replies[0].strings.sorted()
            run(keys.map { (db: DB.containers.rawValue, arguments: ["HGETALL", $0]) }, reply) { records in
                let containers = records.compactMap { ContainerRecord(fields: $0.hash) }
                if verbose {
                    reply.json(containers.map { ContainerDescription($0) })
                } else {
                    reply.json(containers.map { "\($0.modelName):\($0.modelVersion):\($0.replicaID)" })
                }
            }
        }
    }

    func getContainer(_ body: [UInt8], _ reply: Reply) throws(APIError) {
        let request = try ManagementRequest.decode(ManagementRequest.Container.self, from: body)
        let key = ClipperSchema.containerKey(modelName: request.modelName, modelVersion: request.modelVersion, replicaID: request.replicaID)
        run([(DB.containers.rawValue, ["HGETALL", key])], reply) { replies in
            reply.json(ObjectOrEmpty(ContainerRecord(fields: replies[0].hash).map { ContainerDescription($0) }))
        }
    }
}
