import ClipperRPC

/// A decoded `POST /{app}/update` body (Clipper's feedback JSON).
struct FeedbackRequest: Equatable, Sendable {
    /// The selection context (Clipper's user id); 0 when absent.
    var uid: Int
    /// The input in its RPC wire layout.
    var input: [UInt8]
    /// The true label: a number or a string.
    var label: JSONValue

    static func decode(_ body: [UInt8], type: InputType) throws(APIError) -> FeedbackRequest {
        let value: JSONValue
        do {
            value = try JSONParser.parse(body)
        } catch {
            throw PredictRequest.jsonError("The body is not valid JSON: \(error).")
        }
        guard case .object(let object) = value else {
            throw PredictRequest.jsonError(#"The body must be a JSON object {"uid": 0, "input": ..., "label": ...}."#)
        }
        guard let input = object["input"] else { throw PredictRequest.jsonError("Feedback needs \"input\": the input the label is for.") }
        guard let label = object["label"] else { throw PredictRequest.jsonError("Feedback needs \"label\": the true output for the input.") }
        switch label {
        case .number, .string, .bool: break
        default: throw PredictRequest.jsonError("\"label\" must be a number or a string; found a \(label.typeName).")
        }
        return FeedbackRequest(uid: try PredictRequest.decodeUID(object["uid"]),
                        input: try PredictRequest.encode(input, type: type, field: "input"), label: label)
    }
}
