import CLibevent
import Glibc

/// One HTTP request and its reply. Every exchange is answered exactly once: later replies (a
/// model answer arriving after the SLO default went out) are ignored.
final class HTTPExchange {
    /// HTTP methods Cutter routes on.
    enum Method: Sendable { case get, post, put, delete, head, options, other }

    private let request: OpaquePointer
    /// The server, told when the reply leaves (it counts requests in flight for a draining shutdown).
    private let server: HTTPServer
    let method: Method
    /// The decoded path, without query string.
    let path: String
    /// The request body.
    let body: [UInt8]
    /// Whether the body was larger than the server's limit (it is then empty).
    let bodyTooLarge: Bool
    /// Whether a reply has been sent.
    private(set) var isAnswered = false
    /// When the request arrived (monotonic nanoseconds): every deadline starts here.
    let arrival: UInt64

    init(request: OpaquePointer, server: HTTPServer, maxBodyBytes: Int, arrival: UInt64) {
        self.request = request
        self.server = server
        self.arrival = arrival
        switch evhttp_request_get_command(request) {
        case EVHTTP_REQ_GET: method = .get
        case EVHTTP_REQ_POST: method = .post
        case EVHTTP_REQ_PUT: method = .put
        case EVHTTP_REQ_DELETE: method = .delete
        case EVHTTP_REQ_HEAD: method = .head
        case EVHTTP_REQ_OPTIONS: method = .options
        default: method = .other
        }
        // The path is taken from the raw URI and decoded only when it holds an escape: most
        // requests have none, and decoding costs an allocation per request.
        let rawURI = evhttp_request_get_uri(request).map { String(cString: $0) } ?? "/"
        let rawPath = rawURI.utf8.firstIndex(of: UInt8(ascii: "?")).map { String(rawURI[..<$0]) } ?? rawURI
        if rawPath.utf8.contains(UInt8(ascii: "%")), let decoded = evhttp_uridecode(rawPath, 0, nil) {
            path = String(cString: decoded)
            free(decoded)
        } else {
            path = rawPath
        }
        let input = evhttp_request_get_input_buffer(request)
        let length = evbuffer_get_length(input)
        if length > maxBodyBytes {
            body = []
            bodyTooLarge = true
        } else {
            var bytes = [UInt8](repeating: 0, count: length)
            if length > 0 { _ = bytes.withUnsafeMutableBytes { evbuffer_remove(input, $0.baseAddress, length) } }
            body = bytes
            bodyTooLarge = false
        }
    }

    /// Sends the reply; ignored if one was already sent.
    func respond(status: Int, contentType: String = "application/json", body: some Collection<UInt8>,
                        headers extraHeaders: [(String, String)] = []) {
        guard !isAnswered else { return }
        isAnswered = true
        server.exchangeAnswered()
        let headers = evhttp_request_get_output_headers(request)
        evhttp_add_header(headers, "Content-Type", contentType)
        for (name, value) in extraHeaders { evhttp_add_header(headers, name, value) }
        let output = evhttp_request_get_output_buffer(request)
        if method != .head {
            _ = body.withContiguousStorageIfAvailable { evbuffer_add(output, $0.baseAddress, $0.count) }
                ?? Array(body).withUnsafeBytes { evbuffer_add(output, $0.baseAddress, $0.count) }
        }
        evhttp_send_reply(request, Int32(status), Self.reason(for: status), nil)
    }

    /// Sends a UTF-8 text reply.
    func respond(status: Int, contentType: String = "application/json", text: String, headers: [(String, String)] = []) {
        respond(status: status, contentType: contentType, body: Array(text.utf8), headers: headers)
    }

    /// Answers with `error`'s status and JSON body.
    func respond(_ error: APIError) {
        respond(status: error.status, body: error.json)
    }

    static func reason(for status: Int) -> String {
        switch status {
        case 200: "OK"
        case 400: "Bad Request"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 409: "Conflict"
        case 413: "Payload Too Large"
        case 500: "Internal Server Error"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }
}
