import CutterContainer

/// Sums each vector of doubles: [1, 2, 3] -> "6.0", the Python SDK's `sum` example.
struct SumModel: Model {
    func predict(_ inputs: [[Double]]) async throws -> [String] {
        inputs.map { String($0.reduce(0, +)) }
    }
}
