// `svcproxy check`: validate a configuration without serving it, for ExecStartPre=,
// ExecReload= and CI. Prints every error, or the plan's summary.
import ArgumentParser
import DNS
import Foundation
import Glibc
import ServiceConfig
import TLS

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate the configuration and exit: 0 if valid, 78 with every error if not."
    )

    @OptionGroup var config: ConfigOptions

    @Flag(name: .customLong("print-plan"), help: "Print each service port's listen addresses and resolved endpoints, then the Ingress routing table and its TLS part.")
    var printPlan = false

    @Flag(name: .customLong("print-zone"), help: "Print the cluster DNS's records in master-file format (the rest of the output as comments).")
    var printZone = false

    func validate() throws {
        try config.requirePaths()
    }

    func run() throws {
        let store = ObjectStore()
        let loaded = try config.loadPlan(nodeAddresses: NodeAddresses.current(), store: store, planningDNSZone: printZone)
        // With --print-zone, stdout is a zone file: everything else on it is a comment.
        let comment = printZone ? "; " : ""
        for note in loaded.notes { print(comment + note) }
        // The material of the Secrets the Ingresses serve, as OpenSSL reads it: a Secret
        // that cannot be used leaves its hosts on the default certificate (the daemon
        // serves on, as ingress-nginx does), so these are reported, not fatal.
        let tls = loaded.plan.ingress?.tls
        let certificates = (tls?.certificates ?? []) + (tls?.defaultCertificate.map { [$0] } ?? [])
        for diagnostic in certificates.flatMap(TLSCertificates.check) {
            StandardError.write("\(diagnostic)\n")
        }
        for state in loaded.plan.loadBalancers where state.isPending {
            StandardError.write("warning: LoadBalancer \(state.summary)\n")
        }
        if printPlan { print(loaded.plan.printed.split(separator: "\n").map { comment + $0 }.joined(separator: "\n")) }
        if printZone, let dns = loaded.plan.dns { print(DNSZone(plan: dns).printed(), terminator: "") }
        print(comment + "Configuration is valid: \(loaded.plan.summary)")
        // Done: the process ends here, without freeing the objects one by one, which for a
        // cluster-sized configuration takes a tenth of the check (bench/config-scale).
        withExtendedLifetime((store, loaded)) { Glibc.exit(0) }
    }
}

/// The exit status for an invalid configuration (sysexits' EX_CONFIG).
let exitConfigurationError = ExitCode(78)

extension ConfigOptions {
    /// Loads, validates and plans the configuration. `previous` is the running plan's
    /// allocations, which a reload keeps where they still fit.
    /// `store` holds what the last load read, reused where the files did not change.
    func plan(nodeAddresses: [IPAddress], previous: Allocations? = nil, store: ObjectStore = ObjectStore(),
              planningDNSZone: Bool = false) throws -> Result<LoadedPlan, ConfigErrors> {
        var settings = NodeSettings(nodeAddresses: nodeAddresses)
        settings.markedAddresses = NodeAddresses.marked()
        settings.nodeName = NodeAddresses.hostname()
        settings.plansDNSZoneWithoutAddresses = planningDNSZone
        // A missing resolv.conf only leaves the DNS without default upstreams.
        if let text = try? String(contentsOfFile: dnsResolvConf, encoding: .utf8) {
            settings.resolvConfNameservers = ResolvConf.nameservers(text)
        }
        return Configuration.plan(paths: paths, settings: settings, overrides: try overrides(), previous: previous, store: store)
    }

    /// Loads and plans the configuration, or prints every error to stderr and exits 78.
    func loadPlan(nodeAddresses: [IPAddress], previous: Allocations? = nil, store: ObjectStore = ObjectStore(),
                  planningDNSZone: Bool = false) throws -> LoadedPlan {
        switch try plan(nodeAddresses: nodeAddresses, previous: previous, store: store, planningDNSZone: planningDNSZone) {
        case .success(let loaded):
            return loaded
        case .failure(let errors):
            let count = errors.errors.count
            StandardError.write(errors.description + "\n")
            StandardError.write("svcproxy: \(count) error\(count == 1 ? "" : "s") in the configuration\n")
            throw exitConfigurationError
        }
    }
}
