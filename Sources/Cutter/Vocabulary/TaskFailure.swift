/// Why a model gave no output for one input.
enum TaskFailure: Error, Equatable, Sendable {
    /// The deadline passed before a container answered.
    case deadlineExpired
    /// The container answered the batch with a wrong number of outputs (the SDK's way to say
    /// the model raised).
    case modelFailed(String)
    /// No container of the model is connected.
    case noReplica
    /// By the model's latency profile it could not have answered before the deadline, given the
    /// work queued ahead: answered at once instead of sent (shed for load).
    case shed
    /// Every replica of the model overran its latency profile by far and has not answered since.
    case unresponsive
}
