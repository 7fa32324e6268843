import Foundation

extension ManagementAPI {
    /// Answers one management request exactly once: with Clipper's plain-text success message, a
    /// JSON value, or an error. (The exchange ignores any later answer.)
    final class Reply {
        private let exchange: HTTPExchange

        init(exchange: HTTPExchange) { self.exchange = exchange }

        /// 200 with Clipper's plain-text message.
        func text(_ message: String) {
            exchange.respond(status: 200, contentType: "text/plain", text: message)
        }

        /// 200 with `value` as JSON, keys sorted. A value JSON cannot carry (a NaN or infinite
        /// number read from Redis) is a 500, not a malformed body.
        func json<T: Encodable>(_ value: T) {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let data: Data
            do {
                data = try encoder.encode(value)
            } catch let EncodingError.invalidValue(invalid, context) {
                let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
                return fail(APIError(status: 500, error: "Internal error",
                                     cause: "The reply holds \(invalid) at '\(path)', which JSON cannot represent."))
            } catch {
                return fail(APIError(status: 500, error: "Internal error", cause: "The reply could not be encoded as JSON: \(error)."))
            }
            exchange.respond(status: 200, contentType: "application/json", body: Array(data))
        }

        /// The error's status with its JSON body.
        func fail(_ error: APIError) {
            exchange.respond(error)
        }
    }
}
