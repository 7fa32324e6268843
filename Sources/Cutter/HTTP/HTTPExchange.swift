/// One HTTP request and its reply. Every exchange is answered exactly once: later replies (a
/// model answer arriving after the SLO default went out) are ignored.
///
/// Exchanges are pooled by their connection and reused only when nothing else holds them, so a
/// late reply can never reach another request.
final class HTTPExchange {
    /// The request; its connection fills it.
    var request = HTTPRequest()
    /// When the request arrived (monotonic nanoseconds): every deadline starts here.
    private(set) var arrival: UInt64 = 0
    /// Whether a reply has been sent.
    private(set) var isAnswered = false
    /// The connection the reply goes to; nil once it closed (the reply is then dropped).
    var connection: HTTPConnection?
    /// The reply's bytes, head and body, as they go on the wire.
    let reply = OutputBuffer()
    /// Whether the connection closes once the reply is written.
    private(set) var closesConnection = false

    var method: HTTPMethod { request.method }
    /// The decoded path, without query string.
    var path: String { request.path }
    /// The request body.
    var body: [UInt8] { request.body }
    /// The query string, if the target has one.
    var query: String? { request.query }

    /// The value of the header named `lowercaseName`, if the request has it.
    func header(_ lowercaseName: StaticString) -> String? { request.header(lowercaseName) }

    /// Readies a pooled exchange for the request just moved into `request`.
    func begin(on connection: HTTPConnection, arrival: UInt64) {
        self.connection = connection
        self.arrival = arrival
        isAnswered = false
        closesConnection = !request.keepAlive
        reply.removeAll()
    }

    /// Sends the reply; ignored if one was already sent.
    func respond(status: Int, contentType: String = "application/json", body: some Collection<UInt8>,
                 headers: [(String, String)] = []) {
        guard startReply(status: status, contentType: contentType, contentLength: body.count, headers: headers) else { return }
        if request.method != .head { reply.append(body) }
        connection?.replyReady(self)
    }

    /// Sends a UTF-8 text reply.
    func respond(status: Int, contentType: String = "application/json", text: String, headers: [(String, String)] = []) {
        guard startReply(status: status, contentType: contentType, contentLength: text.utf8.count, headers: headers) else { return }
        if request.method != .head { reply.append(text) }
        connection?.replyReady(self)
    }

    /// Answers with `error`'s status and JSON body.
    func respond(_ error: APIError) {
        respond(status: error.status, body: error.json)
    }

    /// Answers with `error` and closes the connection after it: the request could not be read
    /// whole, so nothing after it on the connection can be trusted.
    func respondAndClose(_ error: APIError) {
        closesConnection = true
        respond(error)
    }

    /// Marks the exchange answered and writes the reply's head; false if it was answered before.
    private func startReply(status: Int, contentType: String, contentLength: Int, headers: [(String, String)]) -> Bool {
        guard !isAnswered else { return false }
        isAnswered = true
        guard let connection else { return false }
        reply.removeAll()
        reply.append("HTTP/1.1 ")
        reply.append(decimal: status)
        reply.append(" ")
        reply.append(Self.reason(for: status))
        reply.append("\r\n")
        connection.startReply(status: status, into: reply)
        reply.append("Content-Type: ")
        reply.append(contentType)
        reply.append("\r\nContent-Length: ")
        reply.append(decimal: contentLength)
        reply.append("\r\n")
        for (name, value) in headers {
            reply.append(name)
            reply.append(": ")
            reply.append(value)
            reply.append("\r\n")
        }
        if closesConnection {
            reply.append("Connection: close\r\n")
        } else if request.minorVersion == 0 {
            reply.append("Connection: keep-alive\r\n")
        }
        reply.append("\r\n")
        return true
    }

    static func reason(for status: Int) -> StaticString {
        switch status {
        case 200: "OK"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 413: "Content Too Large"
        case 417: "Expectation Failed"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 503: "Service Unavailable"
        case 505: "HTTP Version Not Supported"
        default: "Status"
        }
    }
}
