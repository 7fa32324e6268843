import ArgumentParser
import Foundation

// The `cutter admin` subcommands: one management API call each.

struct AddApp: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add-app", abstract: "Register an application.")
    @OptionGroup var options: AdminOptions
    @Argument(help: "Application name.") var name: String
    @Option(help: "Input type: doubles, floats, integers, strings or bytes.") var inputType = "doubles"
    @Option(help: "Output answered when no model answers in time.") var defaultOutput = "-1.0"
    @Option(help: "Latency objective in microseconds.") var sloMicros = 100_000
    @Option(help: "Selection policy (e.g. exp3, exp4; default: Clipper's single model).") var policy: String?

    func run() throws {
        try runAdmin {
            var body: [String: Any] = ["name": name, "input_type": inputType, "default_output": defaultOutput, "latency_slo_micros": sloMicros]
            if let policy { body["policy"] = policy }
            options.print(try options.client().call("add_app", body))
        }
    }
}

struct DeleteApp: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete-app", abstract: "Delete an application, its links and state.")
    @OptionGroup var options: AdminOptions
    @Argument(help: "Application name.") var name: String

    func run() throws {
        try runAdmin { options.print(try options.client().call("delete_app", ["name": name])) }
    }
}

struct AddModel: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add-model", abstract: "Register a model version (it becomes current).")
    @OptionGroup var options: AdminOptions
    @Argument(help: "Model name.") var name: String
    @Argument(help: "Model version.") var version: String
    @Option(help: "Input type: doubles, floats, integers, strings or bytes.") var inputType = "doubles"
    @Option(help: "Largest batch (-1: adaptive).") var batchSize = -1

    func run() throws {
        try runAdmin {
            options.print(try options.client().call("add_model", [
                "model_name": name, "model_version": version, "input_type": inputType, "labels": [String](),
                "container_name": "NO_CONTAINER", "model_data_path": "DEPRECATED", "batch_size": batchSize,
            ]))
        }
    }
}

struct SetVersion: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "set-version", abstract: "Make a registered version of a model current.")
    @OptionGroup var options: AdminOptions
    @Argument(help: "Model name.") var name: String
    @Argument(help: "Model version.") var version: String

    func run() throws {
        try runAdmin { options.print(try options.client().call("set_model_version", ["model_name": name, "model_version": version])) }
    }
}

struct Link: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Link models to an application.")
    @OptionGroup var options: AdminOptions
    @Argument(help: "Application name.") var app: String
    @Argument(help: "Model names.") var models: [String]

    func run() throws {
        try runAdmin { options.print(try options.client().call("add_model_links", ["app_name": app, "model_names": models])) }
    }
}

struct Unlink: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Unlink models from an application.")
    @OptionGroup var options: AdminOptions
    @Argument(help: "Application name.") var app: String
    @Argument(help: "Model names.") var models: [String]

    func run() throws {
        try runAdmin { options.print(try options.client().call("delete_model_links", ["app_name": app, "model_names": models])) }
    }
}

struct Apps: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List applications.")
    @OptionGroup var options: AdminOptions

    func run() throws {
        try runAdmin {
            options.print(try options.client().call("get_all_applications", ["verbose": true]),
                          columns: ["name", "input_type", "latency_slo_micros", "default_output", "policy", "linked_models"])
        }
    }
}

struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List model versions.")
    @OptionGroup var options: AdminOptions

    func run() throws {
        try runAdmin {
            options.print(try options.client().call("get_all_models", ["verbose": true]),
                          columns: ["model_name", "model_version", "input_type", "is_current_version", "batch_size"])
        }
    }
}

struct Containers: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List connected model containers.")
    @OptionGroup var options: AdminOptions

    func run() throws {
        try runAdmin {
            options.print(try options.client().call("get_all_containers", ["verbose": true]),
                          columns: ["model_name", "model_version", "model_replica_id", "input_type"])
        }
    }
}

struct State: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get-state", abstract: "Show an application's learned selection state.")
    @OptionGroup var options: AdminOptions
    @Argument(help: "Application name.") var app: String
    @Option(help: "User or context id.") var uid = 0

    func run() throws {
        try runAdmin { options.print(try options.client().call("get_state", ["app_name": app, "uid": uid])) }
    }
}

struct Frontends: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the frontends registered in the shared Redis.")
    @OptionGroup var options: AdminOptions

    func run() throws {
        try runAdmin {
            options.print(try options.client().call("get_all_frontends", [:]), columns: ["id", "rpc_address", "query_address", "started_at"])
        }
    }
}
