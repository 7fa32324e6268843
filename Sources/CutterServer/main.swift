import ArgumentParser
import Cutter
import Foundation
import Logging

/// `cutter`: the Cutter prediction serving system.
struct CutterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cutter",
        abstract: "Cutter: low-latency online prediction serving, compatible with Clipper.",
        version: Version.text,
        subcommands: [Serve.self, Admin.self, Version.self],
        defaultSubcommand: Serve.self)
}

/// `cutter version` (also `cutter --version`): the version and the Swift that built it.
struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print Cutter's version and the Swift compiler that built it.")
    static var text: String { "cutter \(CutterVersion.current) (Swift \(CutterVersion.swift))" }

    func run() {
        print(Self.text)
    }
}

/// `cutter serve`: runs the frontend, management API and RPC listener on one event loop.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the frontend, the management API and the container RPC listener.")

    @Option(help: "Config file (default: config/cutter.conf if it exists; CUTTER_CONFIG also names one).") var config: String?
    @Option(help: "Existing Redis server HOST:PORT; without it an embedded redis-server is started.") var redis: String?
    @Option(help: "Password of the Redis server.") var redisPassword: String?
    @Option(help: "Query frontend port (default 1337).") var queryPort: UInt16?
    @Option(help: "Management API port (default 1338).") var managementPort: UInt16?
    @Option(help: "Management API address (default 127.0.0.1).") var managementHost: String?
    @Option(help: "Container RPC port (default 7000).") var rpcPort: UInt16?
    @Option(help: "Port of the embedded redis-server (default 6379).") var embeddedRedisPort: Int?
    @Option(help: "Data directory of the embedded redis-server.") var redisDataDir: String?
    @Option(help: "Log level (default info).") var logLevel: String?
    @Option(help: "Log format: text (default) or json, one object per line.") var logFormat: String?
    @Option(name: .customLong("set"), help: "Any setting as NAME=VALUE (repeatable), e.g. --set cache_bytes=0.") var settings: [String] = []

    func run() throws {
        var overrides: [String: String] = [:]
        for setting in settings {
            guard let equals = setting.firstIndex(of: "=") else { Self.exit(withError: ValidationError("--set takes NAME=VALUE, got '\(setting)'")) }
            overrides[String(setting[..<equals])] = String(setting[setting.index(after: equals)...])
        }
        let flags: [(String, String?)] = [
            ("redis", redis), ("redis_password", redisPassword), ("query_port", queryPort.map(String.init)),
            ("management_port", managementPort.map(String.init)), ("management_host", managementHost),
            ("rpc_port", rpcPort.map(String.init)), ("embedded_redis_port", embeddedRedisPort.map(String.init)),
            ("redis_data_dir", redisDataDir), ("log_level", logLevel), ("log_format", logFormat),
        ]
        for case let (name, value?) in flags { overrides[name] = value }
        let configuration: CutterConfiguration
        do {
            configuration = try ConfigurationLoader.load(file: config, environment: ProcessInfo.processInfo.environment, overrides: overrides)
        } catch {
            // Exits with the error and `serve`'s usage (a thrown error would show the top level's).
            Self.exit(withError: ValidationError("\(error)"))
        }
        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            if configuration.logFormat == "json" { return JSONLogHandler(label: label, logLevel: level) }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "cutter")
        do {
            try ServingProcess(configuration: configuration, logger: logger).run()
        } catch {
            logger.critical("\(error)")
            throw ExitCode.failure
        }
    }
}

CutterCommand.main()
