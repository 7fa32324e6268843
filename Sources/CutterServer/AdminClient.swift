import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Calls a running frontend's management API for `cutter admin`: one POST per command, with the
/// management token when one is given. Foundation's URLSession, so no HTTP dependency.
struct AdminClient {
    let address: String
    let token: String?

    /// Thrown with the message to print: the API's own error (status, error, cause), or why the
    /// frontend could not be reached.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// POSTs `body` to `/admin/<endpoint>` and returns the reply's body; non-2xx replies throw.
    func call(_ endpoint: String, _ body: [String: Any]) throws -> Data {
        guard let url = URL(string: "http://\(address)/admin/\(endpoint)") else {
            throw Failure(description: "'\(address)' is not HOST:PORT")
        }
        var request = URLRequest(url: url, timeoutInterval: 30)
        request.httpMethod = "POST"
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outcome: Result<(Data, Int), any Error> = .failure(Failure(description: "no reply"))
        let refuser = ChallengeRefuser()
        let session = URLSession(configuration: .ephemeral, delegate: refuser, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        session.dataTask(with: request) { data, response, error in
            if let error {
                outcome = .failure(error)
            } else {
                outcome = .success((data ?? Data(), (response as? HTTPURLResponse)?.statusCode ?? 0))
            }
            done.signal()
        }.resume()
        done.wait()
        let (data, status): (Data, Int)
        do {
            (data, status) = try outcome.get()
        } catch {
            if refuser.wasChallenged.withLock({ $0 }) {
                throw Failure(description: "401 Unauthorized: this management API needs its token. Pass --token, --token-file or CUTTER_MANAGEMENT_TOKEN.")
            }
            throw Failure(description: "cannot reach the management API at \(address): \(error.localizedDescription). Is `cutter serve` running? Pass its address with --address or CUTTER_ADMIN_ADDRESS.")
        }
        guard (200..<300).contains(status) else {
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            let message = object.map { "\($0["error"] ?? "error"): \($0["cause"] ?? "")" } ?? String(decoding: data, as: UTF8.self)
            throw Failure(description: "\(status) \(message)")
        }
        return data
    }
}

/// Declines a 401's authentication challenge and remembers it: without a delegate, Foundation on
/// Linux waits on the challenge forever; declined, the task ends cancelled, which the caller then
/// reports as the 401 it was.
private final class ChallengeRefuser: NSObject, URLSessionTaskDelegate, Sendable {
    let wasChallenged = Mutex(false)

    func urlSession(_ session: URLSession, task: URLSessionTask, didReceive challenge: URLAuthenticationChallenge,
                    completionHandler: @escaping @Sendable (URLSession.AuthChallengeDisposition, URLCredential?) -> Void) {
        wasChallenged.withLock { $0 = true }
        completionHandler(.cancelAuthenticationChallenge, nil)
    }
}
