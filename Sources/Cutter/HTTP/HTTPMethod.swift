/// The request methods Cutter serves. Any other well-formed method is answered 501 by the
/// HTTP layer, before a handler sees it.
enum HTTPMethod: Sendable {
    case get, post, put, delete, head, options

    /// The method named by `token` (case-sensitive, as RFC 9110 says), or nil.
    init?(_ token: UnsafeRawBufferPointer) {
        switch token.count {
        case 3 where token.elementsEqual("GET".utf8): self = .get
        case 3 where token.elementsEqual("PUT".utf8): self = .put
        case 4 where token.elementsEqual("POST".utf8): self = .post
        case 4 where token.elementsEqual("HEAD".utf8): self = .head
        case 6 where token.elementsEqual("DELETE".utf8): self = .delete
        case 7 where token.elementsEqual("OPTIONS".utf8): self = .options
        default: return nil
        }
    }
}
