import ClipperRPC
import Logging

/// Clipper's management REST API (`/admin/...`), path for path and field for field, so the
/// `clipper_admin` Python library drives Cutter unchanged.
///
/// Writes go to Redis in Clipper's schema; the reply is sent once Redis has acknowledged them and
/// this process's mirror was re-read. Validation reads Redis, not the mirror, so several frontends
/// sharing one Redis agree. Success bodies are Clipper's plain-text messages; errors are JSON.
///
/// The endpoints live in extensions, one file per resource: applications, models, links,
/// containers and selection state. Everything runs on the event loop, step by step through Redis
/// callbacks.
final class ManagementAPI {
    let redis: RedisConnection
    let registry: ConfigRegistry
    let logger: Logger
    /// The serving path's latency profiles, read when asked for.
    let profiles: () -> [ReplicaProfileSnapshot]
    /// How long a Redis round trip may take before the call answers 503 (ns).
    let redisTimeout: UInt64
    /// When set, every call must present it.
    private let token: ManagementToken?
    typealias DB = ClipperSchema.Database
    /// Redis commands for one pipeline, each with its database.
    typealias RedisCommands = [(db: Int, arguments: [String])]

    init(redis: RedisConnection, registry: ConfigRegistry, logger: Logger, redisTimeout: UInt64, token: String?,
         profiles: @escaping () -> [ReplicaProfileSnapshot]) {
        self.redis = redis
        self.token = token.map(ManagementToken.init)
        self.redisTimeout = redisTimeout
        self.registry = registry
        self.logger = logger
        self.profiles = profiles
    }

    /// Routes one request.
    func handle(_ exchange: HTTPExchange) {
        if let token, !token.admits(authorization: exchange.header("authorization")) {
            let refusal = ManagementToken.refusal
            return exchange.respond(status: refusal.status, body: refusal.json, headers: [ManagementToken.challenge])
        }
        let path = exchange.path.hasSuffix("/") && exchange.path.count > 1 ? String(exchange.path.dropLast()) : exchange.path
        if path == "/admin/ping" { return exchange.respond(status: 200, contentType: "text/plain", text: "PONG") }
        guard let endpoint = endpoints[path] else {
            return exchange.respond(.notFound("No management endpoint \(exchange.path). Endpoints: /admin/ping, \(endpoints.keys.sorted().joined(separator: ", "))."))
        }
        guard exchange.method == .post else {
            return exchange.respond(APIError(status: 405, error: "Method not allowed", cause: "\(path) takes POST with a JSON body."))
        }
        let reply = Reply(exchange: exchange)
        do {
            try endpoint(self)(exchange.body, reply)
        } catch {
            // A body that does not decode, or fails validation before Redis is asked.
            reply.fail(error)
        }
    }

    /// One endpoint: decodes and validates the body (throwing the 400), then answers through
    /// `Reply`, usually after some Redis round trips.
    private typealias Endpoint = (ManagementAPI) -> ([UInt8], Reply) throws(APIError) -> Void

    private let endpoints: [String: Endpoint] = [
        "/admin/add_app": { $0.addApp },
        "/admin/get_all_frontends": { $0.getAllFrontends },
        "/admin/delete_app": { $0.deleteApp },
        "/admin/add_model": { $0.addModel },
        "/admin/set_model_version": { $0.setModelVersion },
        "/admin/delete_versioned_model": { $0.deleteVersionedModel },
        "/admin/add_model_links": { $0.addModelLinks },
        "/admin/delete_model_links": { $0.deleteModelLinks },
        "/admin/get_all_applications": { $0.getAllApplications },
        "/admin/get_application": { $0.getApplication },
        "/admin/get_linked_models": { $0.getLinkedModels },
        "/admin/get_all_models": { $0.getAllModels },
        "/admin/get_model": { $0.getModel },
        "/admin/get_all_containers": { $0.getAllContainers },
        "/admin/get_container": { $0.getContainer },
        "/admin/get_state": { $0.getState },
        "/admin/get_latency_profiles": { $0.getLatencyProfiles },
    ]

    // MARK: shared helpers

    /// Runs Redis commands; on any error reply answers 503 and does not call `next`.
    func run(_ commands: RedisCommands, _ reply: Reply, _ next: @escaping ([RedisReply]) -> Void) {
        redis.pipeline(commands, timeout: redisTimeout) { replies in
            if let error = replies.compactMap(\.errorMessage).first {
                return reply.fail(.redisUnavailable("Redis answered: \(error)"))
            }
            next(replies)
        }
    }

    /// Throws a 400 unless `name` can be an application, model, version or label (`what` says which).
    func validateName(_ name: String, _ what: String) throws(APIError) {
        guard ClipperSchema.isValidName(name) else {
            throw .badRequest("Invalid \(what) supplied: '\(name)'. Names must be non-empty and contain none of ',', ':', '/', whitespace.")
        }
    }

    /// The input type `spelling` names, in any spelling Clipper accepts; a 400 otherwise.
    func parseInputType(_ spelling: String) throws(APIError) -> InputType {
        guard let type = InputType(spelling: spelling) else {
            throw .badRequest("Invalid input_type '\(spelling)'. Use one of: bytes, integers, floats, doubles, strings.")
        }
        return type
    }
}
