import ClipperRPC
@testable import Cutter

/// A replica that records the batches it was sent; the test answers them.
final class FakeReplica: BatchReplica {
    struct SentBatch: Equatable {
        let id: UInt32
        let inputs: [[UInt8]]
    }

    let name: String
    private(set) var batches: [SentBatch] = []
    /// How many of `batches`, from the first, the test has taken to answer.
    private var taken = 0

    init(_ name: String) { self.name = name }

    func send(batch id: UInt32, inputType: InputType, inputs: [[UInt8]]) {
        batches.append(SentBatch(id: id, inputs: inputs))
    }

    /// The oldest batch sent and not yet taken to answer.
    func takeUnanswered() -> SentBatch? {
        guard taken < batches.count else { return nil }
        taken += 1
        return batches[taken - 1]
    }

    /// The inputs of every batch sent, as the first byte of each input.
    var sentInputs: [[UInt8]] { batches.map { $0.inputs.map { $0[0] } } }
}
