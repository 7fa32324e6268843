/// One replica's scheduling state as this frontend sees it, for the management API.
struct ReplicaProfileSnapshot: Equatable, Sendable {
    /// The model version, `name:version`.
    let modelKey: String
    let replicaID: Int
    /// Batches its profile learned from.
    let batches: Int
    /// Whether the profile is used (else AIMD sizes its batches).
    let isReady: Bool
    let isStalled: Bool
    let outstanding: Int
    /// The fitted line and the tracked margin above it (ns).
    let intercept: Double
    let slope: Double
    let margin: Double
    /// p99 (ns) by batch size.
    let p99: [(size: Int, nanoseconds: Double)]

    static func == (a: ReplicaProfileSnapshot, b: ReplicaProfileSnapshot) -> Bool {
        a.modelKey == b.modelKey && a.replicaID == b.replicaID && a.batches == b.batches
            && a.p99.map(\.nanoseconds) == b.p99.map(\.nanoseconds)
    }
}
