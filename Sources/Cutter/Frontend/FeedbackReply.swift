/// Renders a feedback outcome as the `/update` reply JSON.
enum FeedbackReply {
    static func body(_ outcome: FeedbackOutcome) -> String {
        switch outcome {
        case .ignored(let reason):
            return #"{"feedback_received":true,"updated":false,"reason":\#(JSONText.quote(reason))}"#
        case .applied(let losses, let weights, let feedbackCount):
            return #"{"feedback_received":true,"updated":true,"losses":\#(object(losses)),"weights":\#(object(weights)),"feedback_count":\#(feedbackCount)}"#
        }
    }

    private static func object(_ scores: [FeedbackOutcome.ScoredModel]) -> String {
        "{" + scores.map { "\(JSONText.quote($0.model)):\($0.value)" }.joined(separator: ",") + "}"
    }
}
