/// One replica's latency profile as get_latency_profiles describes it (milliseconds).
struct LatencyProfileDescription: Encodable {
    let modelID: String
    let modelReplicaID: Int
    let batches: Int
    let ready: Bool
    let stalled: Bool
    let batchesInFlight: Int
    let interceptMs: Double
    let slopeMs: Double
    let marginMs: Double
    /// p99 by batch size ("1", "8", ...).
    let p99Ms: [String: Double]

    enum CodingKeys: String, CodingKey {
        case modelID = "model_id"
        case modelReplicaID = "model_replica_id"
        case batches
        case ready
        case stalled
        case batchesInFlight = "batches_in_flight"
        case interceptMs = "intercept_ms"
        case slopeMs = "slope_ms"
        case marginMs = "margin_ms"
        case p99Ms = "p99_ms"
    }

    init(_ snapshot: ReplicaProfileSnapshot) {
        modelID = snapshot.modelKey
        modelReplicaID = snapshot.replicaID
        batches = snapshot.batches
        ready = snapshot.isReady
        stalled = snapshot.isStalled
        batchesInFlight = snapshot.outstanding
        interceptMs = Self.milliseconds(snapshot.intercept)
        slopeMs = Self.milliseconds(snapshot.slope)
        marginMs = Self.milliseconds(snapshot.margin)
        p99Ms = Dictionary(uniqueKeysWithValues: snapshot.p99.map { (String($0.size), Self.milliseconds($0.nanoseconds)) })
    }

    /// Nanoseconds as milliseconds, to the microsecond.
    private static func milliseconds(_ nanoseconds: Double) -> Double { (nanoseconds / 1000).rounded() / 1000 }
}
