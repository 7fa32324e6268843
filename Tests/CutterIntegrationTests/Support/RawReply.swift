import Foundation

/// One HTTP reply read off a raw connection.
struct RawReply {
    let status: Int
    let headers: [String: String]
    let body: String

    /// The body as a JSON object.
    var object: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
}
