import Foundation

/// An error answered to an HTTP client as `{"error": ..., "cause": ...}` with its status.
public struct APIError: Error, Equatable, Sendable {
    public let status: Int
    public let error: String
    public let cause: String

    public init(status: Int, error: String, cause: String) {
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

    /// The JSON body.
    public var json: [UInt8] {
        Array(#"{"error":\#(JSONText.quote(error)),"cause":\#(JSONText.quote(cause))}"#.utf8)
    }
}

extension HTTPExchange {
    /// Answers with `error`'s status and JSON body.
    public func respond(_ error: APIError) {
        respond(status: error.status, body: error.json)
    }
}
