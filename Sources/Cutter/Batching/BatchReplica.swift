import ClipperRPC

/// How a batch reaches one replica of a model version: the seam between a `ModelQueue` and the
/// container RPC, so queue tests can use a fake replica. The replica's answer comes back
/// through `ModelQueue.completed(_:batch:outputs:)`, or its loss through `ModelQueue.remove(_:)`.
protocol BatchReplica: AnyObject {
    /// Sends batch `id`: `inputs` in `inputType`'s wire layout.
    func send(batch id: UInt32, inputType: InputType, inputs: [[UInt8]])
}
