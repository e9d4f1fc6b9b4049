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

    @Option(name: .customLong("hostname-override"), help: ArgumentHelp(
        "This node's name: endpoints whose nodeName is this are local to it, for externalTrafficPolicy and "
            + "internalTrafficPolicy Local (default: the host's name).", valueName: "name"))
    var hostnameOverride: String?

    @Option(name: .customLong("nodeport-addresses"), help: ArgumentHelp(
        "Comma-separated CIDRs: NodePorts are served on the node addresses inside them (default: every address of the node).",
        valueName: "cidrs"))
    var nodePortAddresses: String?

    @Option(name: .customLong("service-node-port-range"), help: ArgumentHelp(
        "The range NodePorts are written in and allocated from (default: 30000-32767).", valueName: "low-high"))
    var nodePortRange: String?

    @Option(name: .customLong("service-cluster-ip-range"), help: ArgumentHelp(
        "The CIDR ClusterIPs are written in and allocated from, or two (one per IP family) separated by a comma "
            + "(default: 10.96.0.0/12).", valueName: "cidrs"))
    var clusterIPRange: String?

    @Option(name: .customLong("metrics-bind-address"), help: ArgumentHelp(
        "Where the metrics endpoint listens, as IP:PORT.", valueName: "address"))
    var metricsBindAddress: String?

    @Option(name: .customLong("healthz-bind-address"), help: ArgumentHelp(
        "Where the health endpoint listens, as IP:PORT.", valueName: "address"))
    var healthzBindAddress: String?

    @Option(name: .customLong("connect-timeout"), help: ArgumentHelp(
        "How long one connect to an endpoint may take before the next is tried, e.g. 1s "
            + "(default: kube-proxy's 250ms, 500ms, 1s, 2s).", valueName: "duration"))
    var connectTimeout: String?

    @Option(name: .customLong("idle-timeout"), help: ArgumentHelp(
        "How long a connection may stay silent before it is closed, e.g. 15m; 0s means never (the default). "
            + "A service's annotation svcproxy.io/idle-timeout overrides it.", valueName: "duration"))
    var idleTimeout: String?

    @Option(name: .customLong("half-close-timeout"), help: ArgumentHelp(
        "How long a connection one side has finished may stay silent before it is closed (default: 5m; 0s: never).",
        valueName: "duration"))
    var halfCloseTimeout: String?

    @Option(name: .customLong("max-connections"), help: ArgumentHelp(
        "Most connections open at once over the node; more are refused. A service's annotation "
            + "svcproxy.io/max-connections limits its own.", valueName: "n"))
    var maxConnections: Int?

    @Option(name: .customLong("udp-timeout"), help: ArgumentHelp(
        "How long a UDP flow may stay silent both ways before it ends (default: 30s, as conntrack's; more than 0s). "
            + "A service's annotation svcproxy.io/udp-timeout overrides it.", valueName: "duration"))
    var udpTimeout: String?

    @Option(name: .customLong("udp-max-flows"), help: ArgumentHelp(
        "Most UDP flows open at once over the node (default: derived from the descriptor limit).", valueName: "n"))
    var udpMaxFlows: Int?

    @Option(name: .customLong("ingress-class"), help: ArgumentHelp(
        "The Ingress class served: Ingresses whose IngressClass names controller svcproxy.io/ingress-controller, "
            + "or whose class is this name when no IngressClass has it (default: svcproxy).", valueName: "name"))
    var ingressClass: String?

    @Option(name: .customLong("ingress-http-bind-address"), help: ArgumentHelp(
        "Where HTTP for the Ingresses is accepted, as IP:PORT. Repeatable (default: 0.0.0.0:80 and [::]:80).",
        valueName: "address"))
    var ingressHTTPBindAddresses: [String] = []

    @Option(name: .customLong("ingress-client-header-timeout"), help: ArgumentHelp(
        "How long an Ingress client may take to send a request head; 408 after (default: 60s).", valueName: "duration"))
    var ingressClientHeaderTimeout: String?

    @Option(name: .customLong("ingress-upstream-timeout"), help: ArgumentHelp(
        "How long an endpoint may take to answer an Ingress request, and the longest silence while one is in flight; "
            + "504 after (default: 60s).", valueName: "duration"))
    var ingressUpstreamTimeout: String?

    @Option(name: .customLong("ingress-https-bind-address"), help: ArgumentHelp(
        "Where HTTPS for the Ingresses is accepted while one of them has spec.tls, as IP:PORT. Repeatable "
            + "(default: 0.0.0.0:443 and [::]:443).", valueName: "address"))
    var ingressHTTPSBindAddresses: [String] = []

    @Option(name: .customLong("default-ssl-certificate"), help: ArgumentHelp(
        "The kubernetes.io/tls Secret served to clients that name no host with a certificate of its own "
            + "(default: a self-signed certificate made at start).", valueName: "namespace/name"))
    var defaultSSLCertificate: String?

    @Option(name: .customLong("ingress-tls-handshake-timeout"), help: ArgumentHelp(
        "How long an Ingress client may take to complete the TLS handshake (default: 10s).", valueName: "duration"))
    var ingressTLSHandshakeTimeout: String?

    @Option(name: .customLong("dns-bind-address"), help: ArgumentHelp(
        "Where the cluster DNS answers, over UDP and TCP, as IP:PORT. Repeatable (default: none, no DNS).",
        valueName: "address"))
    var dnsBindAddresses: [String] = []

    @Option(name: .customLong("cluster-domain"), help: ArgumentHelp(
        "The zone the cluster DNS serves (default: cluster.local).", valueName: "domain"))
    var clusterDomain: String?

    @Option(name: .customLong("dns-ttl"), help: ArgumentHelp(
        "The TTL of the cluster DNS's records and of its negative answers (default: 5s).", valueName: "duration"))
    var dnsTTL: String?

    @Option(name: .customLong("dns-udp-size"), help: ArgumentHelp(
        "The largest DNS answer sent over UDP, in bytes, 512 to 4096 (default: 1232); a larger one is truncated "
            + "and served whole over TCP.", valueName: "bytes"))
    var dnsUDPSize: Int?

    @Option(name: .customLong("dns-upstream"), help: ArgumentHelp(
        "A nameserver for names outside the zone, as IP or IP:PORT; repeatable, tried in order; 'none' refuses them "
            + "(default: the nameservers of --dns-resolv-conf).", valueName: "address"))
    var dnsUpstreams: [String] = []

    @Option(name: .customLong("dns-resolv-conf"), help: ArgumentHelp(
        "Where the default upstream nameservers are read (default: /etc/resolv.conf).", valueName: "path"))
    var dnsResolvConf = "/etc/resolv.conf"

    @Option(name: .customLong("load-balancer-addresses"), help: ArgumentHelp(
        "Comma-separated CIDRs: without a pool, LoadBalancer Services are served at their port on the node addresses "
            + "inside them (default: those of --nodeport-addresses).", valueName: "cidrs"))
    var loadBalancerAddresses: String?

    @Option(name: .customLong("load-balancer-ip-pool"), help: ArgumentHelp(
        "Comma-separated CIDRs: each LoadBalancer Service gets an address of its own from them (pool 'default'), "
            + "added to --load-balancer-interface and announced there.", valueName: "cidrs"))
    var loadBalancerIPPool: String?

    func validate() throws {
        _ = try overrides()
    }

    /// `check` reads files only; `run` may have the API server instead (APISourceOptions).
    func requirePaths() throws {
        if paths.isEmpty { throw ValidationError("Missing expected argument '--config <path>'") }
    }

    /// The node settings given on the command line; they override a ProxyConfiguration.
    func overrides() throws -> NodeSettingsOverrides {
        var overrides = NodeSettingsOverrides()
        overrides.nodeName = try hostnameOverride.map { try parse("--hostname-override", $0, SettingsSyntax.nodeName) }
        overrides.nodePortAddresses = try nodePortAddresses.map { try parse("--nodeport-addresses", $0, SettingsSyntax.cidrList) }
        overrides.nodePortRange = try nodePortRange.map { try parse("--service-node-port-range", $0, SettingsSyntax.portRange) }
        overrides.serviceClusterIPRanges = try clusterIPRange.map {
            try parse("--service-cluster-ip-range", $0, SettingsSyntax.clusterIPRanges)
        }
        overrides.metricsBindAddress = try metricsBindAddress.map { try parse("--metrics-bind-address", $0, SettingsSyntax.bindAddress) }
        overrides.healthzBindAddress = try healthzBindAddress.map { try parse("--healthz-bind-address", $0, SettingsSyntax.bindAddress) }
        overrides.connectTimeout = try connectTimeout.map { try parse("--connect-timeout", $0, SettingsSyntax.duration) }
        overrides.idleTimeout = try idleTimeout.map { try parse("--idle-timeout", $0, SettingsSyntax.duration) }
        overrides.halfCloseTimeout = try halfCloseTimeout.map { try parse("--half-close-timeout", $0, SettingsSyntax.duration) }
        overrides.ingressClass = try ingressClass.map { try parse("--ingress-class", $0, SettingsSyntax.ingressClassName) }
        if !ingressHTTPBindAddresses.isEmpty {
            overrides.ingressHTTPBindAddresses = try ingressHTTPBindAddresses.map {
                try parse("--ingress-http-bind-address", $0, SettingsSyntax.ingressBindAddress)
            }
        }
        overrides.ingressClientHeaderTimeout = try ingressClientHeaderTimeout.map {
            try parse("--ingress-client-header-timeout", $0, SettingsSyntax.timeout)
        }
        overrides.ingressUpstreamTimeout = try ingressUpstreamTimeout.map { try parse("--ingress-upstream-timeout", $0, SettingsSyntax.timeout) }
        if !ingressHTTPSBindAddresses.isEmpty {
            overrides.ingressHTTPSBindAddresses = try ingressHTTPSBindAddresses.map {
                try parse("--ingress-https-bind-address", $0, SettingsSyntax.ingressBindAddress)
            }
        }
        overrides.defaultSSLCertificate = try defaultSSLCertificate.map {
            try parse("--default-ssl-certificate", $0, SettingsSyntax.secretReference)
        }
        overrides.ingressTLSHandshakeTimeout = try ingressTLSHandshakeTimeout.map {
            try parse("--ingress-tls-handshake-timeout", $0, SettingsSyntax.timeout)
        }
        overrides.udpTimeout = try udpTimeout.map { try parse("--udp-timeout", $0, SettingsSyntax.udpTimeout) }
        overrides.udpMaxFlows = try udpMaxFlows.map { try parse("--udp-max-flows", $0, SettingsSyntax.udpMaxFlows) }
        if !dnsBindAddresses.isEmpty {
            overrides.dnsBindAddresses = try dnsBindAddresses.map { try parse("--dns-bind-address", $0, SettingsSyntax.dnsBindAddress) }
        }
        overrides.clusterDomain = try clusterDomain.map { try parse("--cluster-domain", $0, SettingsSyntax.clusterDomain) }
        overrides.dnsTTL = try dnsTTL.map { try parse("--dns-ttl", $0, SettingsSyntax.dnsTTL) }
        overrides.dnsUDPSize = try dnsUDPSize.map { try parse("--dns-udp-size", $0, SettingsSyntax.dnsUDPSize) }
        if !dnsUpstreams.isEmpty { overrides.dnsUpstreams = try parse("--dns-upstream", dnsUpstreams, SettingsSyntax.dnsUpstreams) }
        overrides.loadBalancerAddresses = try loadBalancerAddresses.map {
            try parse("--load-balancer-addresses", $0, SettingsSyntax.cidrList)
        }
        overrides.loadBalancerIPPools = try loadBalancerIPPool.map { try parse("--load-balancer-ip-pool", $0, SettingsSyntax.loadBalancerPool) }
        if let maxConnections {
            guard (1...(1 << 24)).contains(maxConnections) else { throw ValidationError("--max-connections must be between 1 and \(1 << 24)") }
            overrides.maxConnections = maxConnections
        }
        return overrides
    }

    private func parse<Written, T>(_ flag: String, _ written: Written, _ parser: (Written) -> Result<T, SettingsSyntaxError>) throws -> T {
        switch parser(written) {
        case .success(let value): return value
        case .failure(let error): throw ValidationError("\(flag): \(error)")
        }
    }
}

struct LoggingOptions: ParsableArguments {
    @Option(help: ArgumentHelp("trace, debug, info, notice, warning, error or critical.", valueName: "level"))
    var logLevel: Logger.Level = .info
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

