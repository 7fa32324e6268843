import Foundation
import Testing
@testable import Cutter

/// Combining a query's outputs on a manual clock: once, never during the fan-out, at the deadline
/// at the latest, with the models that made it.
struct PendingPredictionTests {
    final class Answers {
        var calls: [[Prediction]] = []
    }

    let clock = ManualScheduler()
    let answers = Answers()

    func pending(_ policy: SelectionPolicyKind, asked: [[String]], state: SelectionState = SelectionState(),
                 threshold: Double = 0) -> PendingPrediction<ManualScheduler> {
        let app = ApplicationRecord(name: "app", inputType: .doubles, defaultOutput: "-1", latencySLOMicros: 100_000,
                                    policy: policy, confidenceThreshold: threshold)
        return PendingPrediction(app: app, policy: policy, state: state, firstQueryID: 7, asked: asked, arrival: clock.now,
                                 clock: clock, metrics: ServingMetrics()) { [answers] result in
            if case .success(let predictions) = result { answers.calls.append(predictions) }
        }
    }

    @Test func answersOnceWhenEveryOutputIsInButNotDuringTheFanOut() {
        let query = pending(.defaultOutput, asked: [["m"], ["m"]])
        query.set(0, model: 0, .success(Array("1".utf8)))
        query.set(1, model: 0, .success(Array("2".utf8)))
        #expect(answers.calls.isEmpty, "cache hits during the fan-out must not answer from inside it")
        query.fannedOut(deadline: clock.now + ms(100))
        #expect(answers.calls.count == 1)
        #expect(answers.calls[0].map(\.queryID) == [7, 8])
        #expect(answers.calls[0].map(\.output) == [Array("1".utf8), Array("2".utf8)])
        #expect(answers.calls[0].allSatisfy { $0.confidence == nil }, "Clipper's policy reports no confidence")
        #expect(clock.armedTimers == 0)
    }

    @Test func answersWhenTheLastOutputArrivesAndCancelsItsTimer() {
        let query = pending(.defaultOutput, asked: [["m"]])
        query.fannedOut(deadline: clock.now + ms(100))
        #expect(clock.armedTimers == 1)
        clock.advance(by: ms(30))
        query.set(0, model: 0, .success(Array("5".utf8)))
        #expect(answers.calls.count == 1 && answers.calls[0][0].output == Array("5".utf8))
        #expect(clock.armedTimers == 0)
        clock.advance(by: ms(100))
        #expect(answers.calls.count == 1, "the deadline does not answer a second time")
    }

    @Test func theDeadlineAnswersWithTheDefaultAndLateOutputsAreIgnored() {
        let query = pending(.defaultOutput, asked: [["m"]])
        query.fannedOut(deadline: clock.now + ms(100))
        clock.advance(by: ms(99))
        #expect(answers.calls.isEmpty)
        clock.advance(by: ms(1))
        #expect(answers.calls.count == 1)
        #expect(answers.calls[0][0].output == nil)
        #expect(answers.calls[0][0].defaultReason == .timeout)
        query.set(0, model: 0, .success(Array("5".utf8)))
        #expect(answers.calls.count == 1)
    }

    @Test func stragglersAreLeftOutAndLowerExp4sConfidence() {
        // Weights 0.5, 0.3, 0.2: "b" and "c" agree, "a" is late.
        let state = SelectionState(logWeights: ["a": log(5), "b": log(3), "c": log(2)], feedbackCount: 0)
        let query = pending(.exp4, asked: [["a", "b", "c"]], state: state)
        query.fannedOut(deadline: clock.now + ms(100))
        query.set(0, model: 1, .success(Array("7".utf8)))
        query.set(0, model: 2, .success(Array("7.0".utf8)))
        clock.advance(by: ms(100))
        let answer = answers.calls[0][0]
        #expect(answer.output == Array("7".utf8))
        #expect(abs((answer.confidence ?? 0) - 0.5) < 1e-9)
        #expect(answer.models == ["b", "c"])
    }

    @Test func anAnswerBelowTheThresholdIsTheDefault() {
        let state = SelectionState(logWeights: ["a": 0, "b": 0], feedbackCount: 0)
        let query = pending(.exp4, asked: [["a", "b"]], state: state, threshold: 0.75)
        query.set(0, model: 0, .success(Array("1".utf8)))
        query.set(0, model: 1, .success(Array("2".utf8)))
        query.fannedOut(deadline: clock.now + ms(100))
        let answer = answers.calls[0][0]
        #expect(answer.output == nil && answer.confidence == 0.5)
        #expect(answer.defaultReason?.explanation == "Confidence 0.5 is below the application's threshold 0.75")
    }

    @Test func explanationsSayWhyThereIsNoOutput() {
        let noModels = pending(.defaultOutput, asked: [[]])
        noModels.fannedOut(deadline: clock.now + ms(100))
        #expect(answers.calls.last?[0].defaultReason == .noModel)

        let noReplica = pending(.defaultOutput, asked: [["m"]])
        noReplica.set(0, model: 0, .failure(.noReplica))
        noReplica.fannedOut(deadline: clock.now + ms(100))
        #expect(answers.calls.last?[0].defaultReason == .noModel)

        let failed = pending(.defaultOutput, asked: [["m"]])
        failed.set(0, model: 0, .failure(.modelFailed("boom")))
        failed.fannedOut(deadline: clock.now + ms(100))
        #expect(answers.calls.last?[0].defaultReason?.explanation == "The model failed on this input: boom")

        let shed = pending(.exp4, asked: [["a", "b"]])
        shed.set(0, model: 0, .failure(.shed))
        shed.set(0, model: 1, .failure(.noReplica))
        shed.fannedOut(deadline: clock.now + ms(100))
        #expect(answers.calls.last?[0].defaultReason == .shed, "shed when no model could take it in time")

        let late = pending(.exp4, asked: [["a", "b"]])
        late.set(0, model: 0, .failure(.shed))
        late.fannedOut(deadline: clock.now + ms(100))
        clock.advance(by: ms(100))
        #expect(answers.calls.last?[0].defaultReason == .timeout, "a model that took the query and was late is a timeout")
    }
}

struct PendingFeedbackTests {
    final class Outcome {
        var losses: [String] = []
        var missing: [String] = []
        var calls = 0
    }

    let clock = ManualScheduler()

    @Test func completesWhenEveryModelAnsweredOrAtTheDeadline() {
        let outcome = Outcome()
        let pending = PendingFeedback(models: 3, clock: clock) { losses, missing in
            outcome.calls += 1
            outcome.losses = losses.map(\.model)
            outcome.missing = missing
        }
        pending.scored((model: "a", probability: 1, loss: 0))
        pending.missed("b")
        pending.fannedOut(deadline: clock.now + ms(1000))
        #expect(outcome.calls == 0, "c has not answered")
        clock.advance(by: ms(1000))
        #expect(outcome.calls == 1 && outcome.losses == ["a"] && outcome.missing == ["b"])
        pending.scored((model: "c", probability: 1, loss: 1))
        #expect(outcome.calls == 1 && outcome.losses == ["a"], "a late answer changes nothing")
    }

    @Test func answersInTheFanOutWaitForItsEnd() {
        let outcome = Outcome()
        let pending = PendingFeedback(models: 1, clock: clock) { losses, _ in
            outcome.calls += 1
            outcome.losses = losses.map(\.model)
        }
        pending.scored((model: "a", probability: 1, loss: 0))
        #expect(outcome.calls == 0)
        pending.fannedOut(deadline: clock.now + ms(1000))
        #expect(outcome.calls == 1 && clock.armedTimers == 0)
    }
}
