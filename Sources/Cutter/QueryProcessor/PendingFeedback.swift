/// One feedback call waiting for the outputs of the models it scores: complete when every model
/// answered or at the deadline with those that did, exactly once, and never while the models are
/// still being asked.
final class PendingFeedback<Clock: Scheduler> {
    /// A scored model: its loss against the label and the probability it had of being chosen.
    typealias Loss = (model: String, probability: Double, loss: Double)

    private var losses: [Loss] = []
    private var missing: [String] = []
    private var remaining: Int
    private var isFanningOut = true
    private let clock: Clock
    private var timer: Clock.Timer?
    private var completion: ((_ losses: [Loss], _ missing: [String]) -> Void)?

    /// Waits for `models` answers; `completion` gets the losses of those that answered and the
    /// names of those that did not.
    init(models: Int, clock: Clock, completion: @escaping (_ losses: [Loss], _ missing: [String]) -> Void) {
        remaining = models
        self.clock = clock
        self.completion = completion
    }

    /// A model answered; its output scored `loss`.
    func scored(_ loss: Loss) {
        guard completion != nil else { return }
        losses.append(loss)
        countDown()
    }

    /// A model gave no output.
    func missed(_ model: String) {
        guard completion != nil else { return }
        missing.append(model)
        countDown()
    }

    /// Every model was asked: completes now if all answered, else at `deadline` at the latest.
    func fannedOut(deadline: UInt64) {
        isFanningOut = false
        if remaining == 0 { return complete() }
        timer = clock.schedule(at: deadline) { [self] in complete() }
    }

    private func countDown() {
        remaining -= 1
        if remaining == 0 && !isFanningOut { complete() }
    }

    private func complete() {
        guard let completion else { return }
        self.completion = nil
        timer?.cancel()
        timer = nil
        completion(losses, missing)
    }
}
