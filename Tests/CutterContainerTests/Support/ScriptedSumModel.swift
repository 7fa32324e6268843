import CutterContainer

/// Sums each input, except where the first input of a batch asks for a failure: -1 makes
/// `predict` throw, -2 makes it return one output too many.
struct ScriptedSumModel: Model {
    struct Failure: Error {}

    func predict(_ inputs: [[Double]]) async throws -> [String] {
        let sums = inputs.map { String($0.reduce(0, +)) }
        switch inputs.first?.first {
        case -1: throw Failure()
        case -2: return sums + ["extra"]
        default: return sums
        }
    }
}
