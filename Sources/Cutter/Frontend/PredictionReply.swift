/// Renders predictions as Clipper's reply JSON: `{"query_id":0,"output":6.0,"default":false}`,
/// or `{"batch_predictions":[...]}` for `input_batch`; with `"default_explanation"` on a default
/// and `"confidence"` for the policies that report one.
enum PredictionReply {
    /// The reply body. Written as bytes: building it as a String and copying it out cost a
    /// measurable share of a cache hit (perf, cached-query benchmark).
    static func body(_ predictions: [Prediction], isBatch: Bool, defaultOutput: String) -> [UInt8] {
        var body: [UInt8] = []
        body.reserveCapacity(64 + 96 * predictions.count)
        if isBatch { body += #"{"batch_predictions":["#.utf8 }
        for (index, prediction) in predictions.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            body += #"{"query_id":"#.utf8
            body += String(prediction.queryID).utf8
            body += #","output":"#.utf8
            if let output = prediction.output {
                JSONText.appendOutputValue(output, to: &body)
                body += #","default":false"#.utf8
            } else {
                JSONText.appendOutputValue(Array(defaultOutput.utf8), to: &body)
                body += #","default":true,"default_explanation":"#.utf8
                body += JSONText.quote((prediction.defaultReason ?? .timeout).explanation).utf8
            }
            if let confidence = prediction.confidence {
                body += #","confidence":"#.utf8
                body += JSONText.rounded(confidence).utf8
            }
            body.append(UInt8(ascii: "}"))
        }
        if isBatch { body += "]}".utf8 }
        return body
    }

    /// The `X-Cutter-Models` header value: which models' outputs were answered, for clients that
    /// want to see selection at work.
    static func answeringModels(_ predictions: [Prediction]) -> String {
        Set(predictions.flatMap(\.models)).sorted().joined(separator: ",")
    }
}
