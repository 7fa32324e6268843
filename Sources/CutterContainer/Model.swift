/// A model served to Cutter by a `ContainerRunner`: it predicts a batch of inputs at a time.
///
/// The model knows nothing of its name, version or frontend: those are the runner's
/// `ContainerConfiguration`, so one model type can be served under several names.
/// It is `Sendable` because the runner calls it from the task that runs it, on any thread: a
/// struct of constants (weights loaded before the runner starts), or an actor if it keeps state.
public protocol Model: Sendable {
    /// One input: `[Double]`, `[Float]`, `[Int32]`, `[UInt8]` (bytes) or `String`, or a type of the
    /// model's own that conforms to `ModelInput`. Its `inputType` is what the container registers
    /// with, so it must match the input type of the model version in Cutter (add_model).
    associatedtype Input: ModelInput

    /// Returns one output per input, in the inputs' order. Cutter answers an output that is valid
    /// JSON as JSON (`"6.0"` becomes `6.0`), any other text as a string.
    ///
    /// Throwing, or returning another number of outputs, fails the whole batch: the container
    /// answers it with zero outputs and Cutter answers its queries with the application's default
    /// output at once. The runner calls `predict` one batch at a time, in the task that runs it;
    /// when that task is cancelled, a `predict` in progress sees the cancellation.
    func predict(_ inputs: [Input]) async throws -> [String]
}
