/// An error answered to an HTTP client as `{"error": ..., "cause": ...}` with its status.
struct APIError: Error, Equatable, Sendable {
    let status: Int
    let error: String
    let cause: String

    init(status: Int, error: String, cause: String) {
        self.status = status
        self.error = error
        self.cause = cause
    }

    static func badRequest(_ cause: String) -> APIError { APIError(status: 400, error: "Bad request", cause: cause) }
    static func notFound(_ cause: String) -> APIError { APIError(status: 404, error: "Not found", cause: cause) }
    static func conflict(_ cause: String) -> APIError { APIError(status: 409, error: "Conflict", cause: cause) }
    static func redisUnavailable(_ cause: String) -> APIError {
        APIError(status: 503, error: "Config store unavailable", cause: "\(cause). Check that Redis is running and reachable.")
    }
    static let bodyTooLarge = APIError(status: 413, error: "Request too large", cause: "The request body exceeds the configured max_body_bytes.")

    /// The JSON body `{"error": ..., "cause": ...}`.
    var json: [UInt8] {
        Array(#"{"error":\#(JSONText.quote(error)),"cause":\#(JSONText.quote(cause))}"#.utf8)
    }
}
