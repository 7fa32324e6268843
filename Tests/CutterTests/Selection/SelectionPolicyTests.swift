import Foundation
import Testing
@testable import Cutter

struct Exp3PolicyTests {
    let policy = Exp3Policy(learningRate: 0.1, exploration: 0.05)

    @Test func updateDividesTheLossByTheDrawProbability() {
        // Equal weights: p = 0.5 each; loss 1 on "a" adds -0.1 * 1 / 0.5 = -0.2 to its log-weight.
        let increments = policy.update(losses: [(model: "a", probability: 0.5, loss: 1)])
        #expect(abs(increments["a"]! - -0.2) < 1e-12)
        var state = SelectionState()
        state.apply(increments, models: ["a", "b"])
        let weights = state.weights(of: ["a", "b"])
        // w_a = e^-0.2 / (e^-0.2 + 1) = 0.450166
        #expect(abs(weights[0] - 0.450166) < 1e-6)
        // p_a = 0.95 * 0.450166 + 0.05 / 2 = 0.452658
        #expect(abs(policy.probabilities(state, models: ["a", "b"])[0] - 0.452658) < 1e-6)
        #expect(state.feedbackCount == 1)
    }

    @Test func aZeroLossChangesNothing() {
        #expect(policy.update(losses: [(model: "a", probability: 0.3, loss: 0)]) == ["a": 0])
    }

    @Test func drawsFollowTheProbabilities() {
        let state = SelectionState(logWeights: ["a": 0, "b": log(1.0 / 3.0)], feedbackCount: 0)
        // w = (0.75, 0.25); p_a = 0.95 * 0.75 + 0.025 = 0.7375
        var random = SplitMix64(seed: 7)
        let draws = (0..<20_000).map { _ in policy.select(state, models: ["a", "b"], random: &random)[0] }
        let share = Double(draws.filter { $0 == "a" }.count) / 20_000
        #expect(abs(share - 0.7375) < 0.015)
    }

    @Test func learnsTheBetterModelOnASimulatedStream() {
        var state = SelectionState()
        var random = SplitMix64(seed: 42)
        for k in 0..<300 {
            let (model, probability) = policy.feedbackModels(state, models: ["good", "noisy"], random: &random)[0]
            let loss: Double = model == "good" ? 0 : (k % 10 < 3 ? 0 : 1)
            state.apply(policy.update(losses: [(model: model, probability: probability, loss: loss)]), models: ["good", "noisy"])
        }
        #expect(policy.probabilities(state, models: ["good", "noisy"])[0] > 0.9)
    }

    @Test func aModelLinkedLaterStartsAtTheMeanWeight() {
        let state = SelectionState(logWeights: ["a": -2, "b": 0], feedbackCount: 5)
        let weights = state.weights(of: ["a", "b", "c"])
        #expect(abs(weights[2] / weights[0] - exp(1)) < 1e-9)
    }
}

struct Exp4PolicyTests {
    let policy = Exp4Policy(learningRate: 0.1)

    @Test func updateScoresEveryModel() {
        let increments = policy.update(losses: [(model: "a", probability: 1, loss: 1), (model: "b", probability: 1, loss: 0.5)])
        #expect(increments == ["a": -0.1, "b": -0.05])
        var state = SelectionState()
        state.apply(increments, models: ["a", "b"])
        // w_a = e^-0.1 / (e^-0.1 + e^-0.05) = 0.487503
        #expect(abs(state.weights(of: ["a", "b"])[0] - 0.487503) < 1e-6)
    }

    @Test func combineIsAWeightedVoteWithAgreementAsConfidence() {
        // Weights 0.5, 0.3, 0.2 (log-weights of 5, 3, 2).
        let state = SelectionState(logWeights: ["a": log(5), "b": log(3), "c": log(2)], feedbackCount: 0)
        let both = policy.combine(state, asked: ["a", "b", "c"], outputs: [Array("cat".utf8), Array("dog".utf8), Array("dog".utf8)])
        #expect(both.output == Array("cat".utf8) && abs(both.confidence - 0.5) < 1e-9 && both.models == ["a"])
        let agree = policy.combine(state, asked: ["a", "b", "c"], outputs: [Array("1".utf8), Array("1.0".utf8), Array("2".utf8)])
        #expect(abs(agree.confidence - 0.8) < 1e-9 && agree.models == ["a", "b"])
    }

    @Test func votesAreNumbersByValueElseBytes() {
        let state = SelectionState(logWeights: ["a": log(4), "b": log(3), "c": log(3)], feedbackCount: 0)
        // "16" and "1.6e1" are one number; "0x10" is not a number at all, so it is a vote of its own.
        let hex = policy.combine(state, asked: ["a", "b", "c"], outputs: [Array("0x10".utf8), Array("16".utf8), Array("1.6e1".utf8)])
        #expect(hex.output == Array("16".utf8) && hex.models == ["b", "c"])
        // Texts vote by their bytes: "cat" and "\"cat\"" differ.
        let texts = policy.combine(state, asked: ["a", "b", "c"], outputs: [Array("cat".utf8), Array(#""cat""#.utf8), Array(#""cat""#.utf8)])
        #expect(texts.output == Array(#""cat""#.utf8) && abs(texts.confidence - 0.6) < 1e-9)
    }

    @Test func stragglersLowerTheConfidence() {
        let state = SelectionState(logWeights: ["a": log(5), "b": log(3), "c": log(2)], feedbackCount: 0)
        let partial = policy.combine(state, asked: ["a", "b", "c"], outputs: [nil, Array("x".utf8), nil])
        #expect(partial.output == Array("x".utf8) && abs(partial.confidence - 0.3) < 1e-9)
        #expect(policy.combine(state, asked: ["a", "b"], outputs: [nil, nil]).output == nil)
    }
}

struct FeedbackLossTests {
    @Test func losses() {
        #expect(FeedbackLoss.zeroOne.loss(label: .string("cat"), output: Array("cat".utf8)) == 0)
        #expect(FeedbackLoss.zeroOne.loss(label: .string("cat"), output: Array(#""cat""#.utf8)) == 0)
        #expect(FeedbackLoss.zeroOne.loss(label: .string("cat"), output: Array("dog".utf8)) == 1)
        #expect(FeedbackLoss.zeroOne.loss(label: .number(1, isInteger: true), output: Array("1.0".utf8)) == 0)
        #expect(FeedbackLoss.zeroOne.loss(label: .number(1, isInteger: true), output: Array("2".utf8)) == 1)
        #expect(FeedbackLoss.absolute.loss(label: .number(1, isInteger: false), output: Array("1.25".utf8)) == 0.25)
        #expect(FeedbackLoss.absolute.loss(label: .number(1, isInteger: false), output: Array("9".utf8)) == 1)
        #expect(FeedbackLoss.squared.loss(label: .number(1, isInteger: false), output: Array("1.5".utf8)) == 0.25)
        #expect(FeedbackLoss.absolute.loss(label: .number(1, isInteger: false), output: Array("n/a".utf8)) == 1)
        // One number grammar: "0x10" is not 16, " 1" is not 1.
        #expect(FeedbackLoss.zeroOne.loss(label: .number(16, isInteger: true), output: Array("0x10".utf8)) == 1)
        #expect(FeedbackLoss.zeroOne.loss(label: .number(1, isInteger: true), output: Array(" 1".utf8)) == 1)
        #expect(FeedbackLoss.zeroOne.loss(label: .bool(true), output: Array("true".utf8)) == 0)
    }
}

struct SelectionPolicyKindTests {
    @Test func anApplicationRecordResolvesItsPolicyOnce() {
        let known = ApplicationRecord(name: "a", fields: ["input_type": "doubles", "latency_slo_micros": "1000", "policy": "Exp4Policy"])
        #expect(known?.policy == .exp4 && known?.policyName == "Exp4Policy")
        let clipper = ApplicationRecord(name: "a", fields: ["input_type": "doubles", "latency_slo_micros": "1000"])
        #expect(clipper?.policy == .defaultOutput)
        let unknown = ApplicationRecord(name: "a", fields: ["input_type": "doubles", "latency_slo_micros": "1000", "policy": "Exp9"])
        #expect(unknown != nil && unknown?.policy == nil && unknown?.policyName == "Exp9")
        #expect(unknown?.fields.first { $0.0 == "policy" }?.1 == "Exp9", "an unknown name is written back as it was")
    }

    @Test func onlyTheBanditsLearnAndCombine() {
        #expect(SelectionPolicyKind.allCases.filter(\.learnsFromFeedback) == [.exp3, .exp4])
        #expect(SelectionPolicyKind.allCases.filter(\.allowsSeveralModels) == [.exp3, .exp4])
        #expect(!SelectionPolicyKind.defaultOutput.reportsConfidence)
    }
}
