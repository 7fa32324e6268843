import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP reply as a test sees it.
struct HTTPReply {
    let status: Int
    let body: String
    var headers: [String: String] = [:]

    /// The body parsed as JSON.
    var json: Any? { try? JSONSerialization.jsonObject(with: Data(body.utf8), options: [.fragmentsAllowed]) }
    var object: [String: Any] { json as? [String: Any] ?? [:] }
}

enum HTTP {
    private static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 30
        configuration.httpMaximumConnectionsPerHost = 64
        return URLSession(configuration: configuration)
    }()

    static func request(_ method: String, port: UInt16, _ path: String, body: String? = nil, bytes: Data? = nil,
                        headers: [String: String] = [:]) async throws -> HTTPReply {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let data = bytes ?? body.map({ Data($0.utf8) }) {
            request.httpBody = data
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await session.data(for: request)
        let http = response as! HTTPURLResponse
        var headers: [String: String] = [:]
        for case let (name as String, value as String) in http.allHeaderFields { headers[name.lowercased()] = value }
        return HTTPReply(status: http.statusCode, body: String(decoding: data, as: UTF8.self), headers: headers)
    }

    static func post(port: UInt16, _ path: String, _ body: String) async throws -> HTTPReply {
        try await request("POST", port: port, path, body: body)
    }

    static func get(port: UInt16, _ path: String) async throws -> HTTPReply {
        try await request("GET", port: port, path)
    }
}
