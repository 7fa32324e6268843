import Foundation
public import Logging

/// One `cutter serve` process: the embedded Redis if needed, the config store connections, the
/// query frontend, the management API and the container RPC listener, all on one `EventLoop`.
public final class ServingProcess {
    private let configuration: CutterConfiguration
    private let logger: Logger
    private let loop = EventLoop()
    private var embeddedRedis: EmbeddedRedis?
    private var commandConnection: RedisConnection!
    private var subscriber: RedisConnection!
    private var registry: ConfigRegistry!
    private var frontend: QueryFrontend!
    private var management: ManagementAPI!
    private var servers: [HTTPServer] = []
    private var rpcListener: TCPListener?
    private var pool: ContainerPool!
    private var executor: TaskExecutor<EventLoop>!
    private var keyspaceWatcher: KeyspaceWatcher!
    /// This frontend's record in the frontend registry, which containers read to join it.
    private var registration: FrontendRegistration?
    /// The metrics `GET /metrics` renders.
    let metrics = ServingMetrics()

    public init(configuration: CutterConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Starts everything, runs until SIGINT or SIGTERM, then shuts down cleanly.
    public func run() throws {
        signal(SIGPIPE, SIG_IGN)
        // A parent may have spawned us with signals blocked (Foundation's Process does); SIGINT and
        // SIGTERM must reach the loop for a clean shutdown.
        var none = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, nil)
        if configuration.redis == nil {
            let redis = try EmbeddedRedis(binary: configuration.redisServerBinary, configFile: configuration.redisConfigFile,
                                          dataDirectory: configuration.redisDataDirectory, port: configuration.embeddedRedisPort,
                                          logger: logger)
            try redis.start()
            redis.supervise(on: loop)
            embeddedRedis = redis
        }
        defer { embeddedRedis?.stop() }
        try startServing()
        loop.onSignal(SIGINT) { [self] in shutdown("SIGINT") }
        loop.onSignal(SIGTERM) { [self] in shutdown("SIGTERM") }
        logger.info("cutter serving", metadata: [
            "query": "\(configuration.queryHost):\(servers[0].port)",
            "management": "\(configuration.managementHost):\(servers[1].port)",
            "rpc": "\(configuration.rpcHost):\(rpcListener?.port ?? 0)",
            "redis": "\(configuration.effectiveRedis.host):\(configuration.effectiveRedis.port)\(embeddedRedis == nil ? "" : " (embedded)")",
        ])
        warnAboutOpenPorts()
        loop.run()
        commandConnection.close()
        subscriber.close()
    }

    /// Every start repeats what is exposed without authentication, so it is not missed.
    private func warnAboutOpenPorts() {
        let loopback: Set<String> = ["127.0.0.1", "localhost", "::1"]
        if configuration.managementToken == nil && !loopback.contains(configuration.managementHost) {
            logger.warning("the management API listens on a non-loopback address without a token: anyone who reaches it can change every application. Set management_token (or management_token_file).",
                           metadata: ["management": "\(configuration.managementHost):\(servers[1].port)"])
        }
        if configuration.rpcSecret == nil && !loopback.contains(configuration.rpcHost) {
            logger.notice("containers connect without a secret: any peer that reaches the RPC port can register as a replica. Set rpc_secret on a shared network.",
                          metadata: ["rpc": "\(configuration.rpcHost):\(rpcListener?.port ?? 0)"])
        }
    }

    private func startServing() throws {
        let endpoint = embeddedRedis?.endpoint ?? configuration.effectiveRedis
        commandConnection = RedisConnection(loop: loop, endpoint: endpoint, name: "commands", logger: logger)
        subscriber = RedisConnection(loop: loop, endpoint: endpoint, name: "keyspace", logger: logger)
        registry = ConfigRegistry(redis: commandConnection, logger: logger)
        pool = ContainerPool(loop: loop, redis: commandConnection, timeoutSeconds: configuration.containerTimeoutSeconds,
                             handshakeTimeoutSeconds: configuration.rpcHandshakeTimeoutSeconds,
                             maxConnections: configuration.maxRPCConnections, secret: configuration.rpcSecret,
                             allowedModels: configuration.rpcModelPattern.map(ModelNamePattern.init), logger: logger)
        executor = TaskExecutor(clock: loop, maxBatchSize: configuration.maxBatchSize,
                                batchWaitMicros: configuration.batchWaitMicros,
                                profileLifetimeSeconds: configuration.latencyProfileLifetimeSeconds, metrics: metrics, logger: logger)
        pool.delegate = executor
        let predictor = Predictor(cache: PredictionCache(capacityBytes: configuration.cacheBytes), executor: executor, metrics: metrics)
        let redisTimeout = UInt64(configuration.redisCommandTimeoutSeconds * 1e9)
        let states = SelectionStateStore(redis: commandConnection, writeTimeout: redisTimeout, logger: logger)
        registry.observers.append { [registry, executor, metrics] change in
            switch change {
            case .application(let name) where registry?.applications[name] == nil:
                states.forget(app: name)
                metrics.forget(app: name)
            case .model(let name, let version):
                let key = ClipperSchema.modelKey(name: name, version: version)
                executor?.setBatchSizeCap(modelKey: key, registry?.models[key]?.batchSize)
                if registry?.models[key] == nil { metrics.forget(model: key) }
            default:
                break
            }
        }
        let random = configuration.randomSeed.map(SplitMix64.init(seed:)) ?? SplitMix64()
        let processor = QueryProcessor(clock: loop, registry: registry, states: states, predictor: predictor,
                                       metrics: metrics, logger: logger, random: random)
        frontend = QueryFrontend(registry: registry, redis: commandConnection, processor: processor, metrics: metrics)
        if configuration.accessLog { frontend.accessLog = Logger(label: "cutter.access") }
        management = ManagementAPI(redis: commandConnection, registry: registry, logger: logger, redisTimeout: redisTimeout,
                                   token: configuration.managementToken) { [executor] in
            executor?.profiles() ?? []
        }

        commandConnection.onConnect = { [self] in
            // Clipper's frontends need keyspace notifications; a managed Redis may refuse CONFIG,
            // in which case its operator must enable them. The embedded server has them from its
            // command line, and no CONFIG command.
            if embeddedRedis == nil {
                commandConnection.command(["CONFIG", "SET", "notify-keyspace-events", "AKE"]) { [logger] reply in
                    if let error = reply.errorMessage {
                        logger.warning("cannot enable keyspace notifications; set notify-keyspace-events AKE on the Redis server", metadata: ["error": "\(error)"])
                    }
                }
            }
            registry.loadAll { [self] ok in
                frontend.isLoaded = ok
                if ok { logger.info("config store loaded", metadata: ["applications": "\(registry.applications.count)", "models": "\(registry.models.count)"]) }
            }
        }
        // While the subscriber was away, writes went unheard: once it is back, the mirror is read
        // again and cached selection states are dropped (the command connection may never have
        // dropped, so its own reload would not happen).
        subscriber.onConnect = { [registry, logger] in
            registry?.loadAll { ok in
                if ok { logger.info("keyspace subscriber connected; config store re-read") }
            }
            states.forgetAll()
        }
        keyspaceWatcher = KeyspaceWatcher(connection: subscriber, databases: ConfigRegistry.mirroredDatabases + [.state]) { [registry] notification in
            if notification.database == .state {
                states.refresh(key: notification.key)
            } else {
                registry?.reload(database: notification.database, key: notification.key)
            }
        }
        commandConnection.connect()
        subscriber.connect()

        let limits = HTTPLimits(maxHeadBytes: configuration.maxHeaderBytes, maxBodyBytes: configuration.maxBodyBytes,
                                maxConnections: configuration.maxHTTPConnections,
                                headTimeoutNanoseconds: UInt64(configuration.httpHeaderTimeoutSeconds * 1e9),
                                idleTimeoutNanoseconds: UInt64(configuration.httpIdleTimeoutSeconds * 1e9))
        servers.append(try HTTPServer(loop: loop, name: "query", host: configuration.queryHost, port: configuration.queryPort,
                                      limits: limits, logger: logger) { [self] in frontend.handle($0) })
        servers.append(try HTTPServer(loop: loop, name: "management", host: configuration.managementHost, port: configuration.managementPort,
                                      limits: limits, logger: logger) { [self] in management.handle($0) })
        metrics.beforeRender = { [unowned self] in
            for server in servers { metrics.requestsInFlight(port: server.name, server.inFlight) }
        }
        if let metricsPort = configuration.metricsPort {
            let metricsFrontend = MetricsFrontend(metrics: metrics)
            frontend.servesMetrics = false
            servers.append(try HTTPServer(loop: loop, name: "metrics", host: configuration.metricsHost, port: metricsPort,
                                          limits: limits, logger: logger) { metricsFrontend.handle($0) })
        }
        for server in servers {
            let port = server.name
            server.onReply = { [metrics] status in metrics.reply(port: port, status: status) }
        }
        rpcListener = try TCPListener(loop: loop, host: configuration.rpcHost, port: configuration.rpcPort) { [pool, loop] fd in
            pool!.accept(TCPConnection(loop: loop, fd: fd))
        }
        // Where other machines reach this frontend: the configured address, else this host's first
        // non-loopback IPv4 address (Kubernetes sets the setting from the pod IP).
        let host = SocketAddress.firstNonLoopbackIPv4() ?? "127.0.0.1"
        let rpcAddress = configuration.rpcAdvertiseAddress ?? "\(host):\(rpcListener!.port)"
        let queryHost = configuration.queryHost == "0.0.0.0" ? host : configuration.queryHost
        registration = FrontendRegistration(redis: commandConnection, rpcAddress: rpcAddress,
                                            queryAddress: "\(queryHost):\(servers[0].port)", logger: logger)
        registration?.start(on: loop)
    }

    /// Drains, then stops: /readyz turns 503 at once (a load balancer stops sending), no new
    /// connections are accepted and new queries are refused, and the queries in flight are
    /// answered (each within its deadline; all within `shutdown_drain_seconds`). Then the container
    /// connections close, Redis takes the removal of their records (the PING answers after the
    /// DELs before it), and the loop stops; at most 2 s more if Redis is away.
    private func shutdown(_ reason: String) {
        guard !frontend.isDraining else { return }
        logger.info("shutting down: draining the queries in flight", metadata: ["signal": "\(reason)"])
        frontend.isDraining = true
        servers.forEach { $0.stopAccepting() }
        drain(until: loop.now + UInt64(configuration.shutdownDrainSeconds * 1e9))
    }

    private func drain(until deadline: UInt64) {
        let inFlight = servers.reduce(0) { $0 + $1.inFlight }
        guard inFlight > 0 && loop.now < deadline else {
            if inFlight > 0 { logger.warning("drain timeout: stopping with requests in flight", metadata: ["requests": "\(inFlight)"]) }
            return stop()
        }
        loop.schedule(after: 10_000_000) { [self] in drain(until: deadline) }
    }

    private func stop() {
        // The HTTP servers stay until the loop ends: freeing them frees requests whose replies
        // may still be on their way in this last stretch.
        rpcListener = nil
        registration?.remove()
        pool.closeAll()
        commandConnection.command(["PING"]) { [loop] _ in loop.stop() }
        loop.schedule(after: 2_000_000_000) { [loop] in loop.stop() }
    }
}
