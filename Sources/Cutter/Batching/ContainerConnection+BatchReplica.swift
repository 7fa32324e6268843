import ClipperRPC

/// A container takes batches as Clipper RPC prediction requests, the batch id as message id.
extension ContainerConnection: BatchReplica {
    func send(batch id: UInt32, inputType: InputType, inputs: [[UInt8]]) {
        send(FrontendMessage.predictionRequest(messageID: id, type: inputType, inputs: inputs))
    }
}
