// The options `run` and `check` share: where the configuration is and the node settings
// that shape the plan. Names follow kube-proxy's flags.
import ArgumentParser
import Foundation
import Logging
import ServiceConfig

struct ConfigOptions: ParsableArguments {
    @Option(name: .customLong("config"), help: ArgumentHelp(
        "A YAML file, or a directory of *.yaml and *.yml files. Repeatable.", valueName: "path"))
    var paths: [String] = []

    @Option(name: .customLong("nodeport-addresses"), help: ArgumentHelp(
        "Comma-separated CIDRs: NodePorts are served on the node addresses inside them (default: every address of the node).",
        valueName: "cidrs"))
    var nodePortAddresses: String?

    func validate() throws {
        if paths.isEmpty { throw ValidationError("Missing expected argument '--config <path>'") }
        _ = try parsedNodePortAddresses()
    }

    func parsedNodePortAddresses() throws -> [CIDR] {
        guard let nodePortAddresses else { return [] }
        return try nodePortAddresses.split(separator: ",").map { text in
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard let cidr = CIDR(trimmed) else {
                throw ValidationError("--nodeport-addresses: '\(trimmed)' is not a CIDR (e.g. 127.0.0.0/8 or fd00::/64)")
            }
            return cidr
        }
    }
}

struct LoggingOptions: ParsableArguments {
    @Option(help: ArgumentHelp("trace, debug, info, notice, warning, error or critical.", valueName: "level"))
    var logLevel: Logger.Level = .info
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

