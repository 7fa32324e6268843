import Foundation

/// The management API's token check. A call is admitted with `Authorization: Bearer TOKEN`, or
/// with HTTP Basic auth whose password is TOKEN (any user name): clipper_admin then works with
/// `user:TOKEN@host:1338` as its admin address, since python-requests sends a URL's credentials as
/// Basic auth. Tokens are compared in constant time.
struct ManagementToken {
    private let token: [UInt8]

    init(_ token: String) { self.token = Array(token.utf8) }

    /// Whether a request with this `Authorization` header value may call the API.
    func admits(authorization: String?) -> Bool {
        guard let authorization, let space = authorization.firstIndex(of: " ") else { return false }
        let scheme = authorization[..<space].lowercased()
        let credentials = authorization[space...].trimmingCharacters(in: .whitespaces)
        switch scheme {
        case "bearer":
            return ConstantTime.equals(Array(credentials.utf8), token)
        case "basic":
            guard let decoded = Data(base64Encoded: credentials), let colon = decoded.firstIndex(of: UInt8(ascii: ":")) else { return false }
            return ConstantTime.equals(Array(decoded[(colon + 1)...]), token)
        default:
            return false
        }
    }

    /// The 401 every refused call gets.
    static let refusal = APIError(status: 401, error: "Unauthorized",
                                  cause: "The management API needs its token (management_token): send Authorization: Bearer TOKEN, or use TOKEN as the Basic auth password (clipper_admin: user:TOKEN@host:port as the admin address).")
    /// The challenge sent with a refusal (RFC 9110 §11.6.1).
    static let challenge = ("WWW-Authenticate", #"Bearer realm="cutter", Basic realm="cutter""#)
}
