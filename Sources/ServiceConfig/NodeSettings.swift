// What the node itself contributes to a plan: its addresses and the settings that
// kube-proxy and the API server take as flags. They come from three layers, each
// overriding the one before: the defaults, a `ProxyConfiguration` document in the
// configuration, and the command line (with kube-proxy's flag names).

public struct NodeSettings: Sendable, Equatable {
    /// `--nodeport-addresses`: which node addresses serve NodePorts. Empty means all.
    public var nodePortAddresses: [CIDR] = []
    /// `--service-node-port-range`.
    public var nodePortRange: ClosedRange<Int> = 30000...32767
    /// `--service-cluster-ip-range`: at most one block per IP family; the first is the
    /// family a single-stack service gets.
    public var serviceClusterIPRanges: [CIDR] = NodeSettings.defaultClusterIPRanges
    /// Every address the node has (read by the caller; this module makes no system calls).
    public var nodeAddresses: [IPAddress] = []
    /// `--hostname-override`: this node's name, which endpoints' `nodeName` is compared
    /// with for the traffic policies. The caller fills in the host's name (gethostname);
    /// empty: no endpoint is on this node.
    public var nodeName = ""
    /// Event-loop threads; nil means one per CPU.
    public var workers: Int?
    /// How long a connection to an endpoint may take before the next one is tried.
    public var connectTimeout: Duration?
    /// How long a relayed connection may stay silent before it is closed.
    public var idleTimeout: Duration?
    public var maxConnections: Int?
    /// How long a half-closed connection may stay silent; zero turns the limit off.
    public var halfCloseTimeout: Duration = NodeSettings.defaultHalfCloseTimeout
    /// `--metrics-bind-address`.
    public var metricsBindAddress: BindAddress?
    /// `--healthz-bind-address`.
    public var healthzBindAddress: BindAddress?
    /// `--ingress-class`: the class of the Ingresses svcproxy serves (IngressNodeSettings.swift).
    public var ingressClass = NodeSettings.defaultIngressClass
    /// `--ingress-http-bind-address`: where HTTP for those Ingresses is accepted.
    public var ingressHTTPBindAddresses = NodeSettings.defaultIngressHTTPBindAddresses
    /// `--ingress-client-header-timeout`.
    public var ingressClientHeaderTimeout = NodeSettings.defaultIngressTimeout
    /// `--ingress-upstream-timeout`.
    public var ingressUpstreamTimeout = NodeSettings.defaultIngressTimeout
    /// `--ingress-https-bind-address`: where HTTPS is accepted, while an Ingress of ours has `spec.tls`.
    public var ingressHTTPSBindAddresses = NodeSettings.defaultIngressHTTPSBindAddresses
    /// `--default-ssl-certificate`: the `kubernetes.io/tls` Secret served when no other fits;
    /// nil: a self-signed certificate made at start.
    public var defaultSSLCertificate: ObjectKey?
    /// `--ingress-tls-handshake-timeout`.
    public var ingressTLSHandshakeTimeout = NodeSettings.defaultIngressTLSHandshakeTimeout
    /// `--udp-timeout`: how long a UDP flow may stay silent both ways (UDPSettings.swift).
    public var udpTimeout = NodeSettings.defaultUDPTimeout
    /// `--udp-max-flows`: most UDP flows open at once over the node; nil: the engine's default.
    public var udpMaxFlows: Int?
    /// `--dns-bind-address`: where the cluster DNS answers, over UDP and TCP (DNSNodeSettings.swift).
    public var dnsBindAddresses: [BindAddress] = []
    /// `--cluster-domain`: the zone the cluster DNS serves.
    public var clusterDomain = NodeSettings.defaultClusterDomain
    /// `--dns-ttl`.
    public var dnsTTL = NodeSettings.defaultDNSTTL
    /// `--dns-udp-size`.
    public var dnsUDPSize = NodeSettings.defaultDNSUDPSize
    /// `--dns-upstream`.
    public var dnsUpstreams = DNSUpstreams.resolvConf
    /// The nameservers of `--dns-resolv-conf` (read by the caller, as `nodeAddresses`).
    public var resolvConfNameservers: [IPAddress] = []
    /// Plan the DNS zone even where no `--dns-bind-address` serves it (`check --print-zone`).
    public var plansDNSZoneWithoutAddresses = false
    /// `--load-balancer-addresses`: the node addresses LoadBalancer Services are served on
    /// when there is no pool (LoadBalancerSettings.swift); nil: those NodePorts use.
    public var loadBalancerAddresses: [CIDR]?
    /// `--load-balancer-ip-pool`: where LoadBalancer Services get addresses of their own; none: node mode.
    public var loadBalancerIPPools: [LoadBalancerPool] = []
    /// The addresses on the node that svcproxy placed itself (read by the caller).
    public var markedAddresses = MarkedNodeAddresses()

    public static let defaultHalfCloseTimeout: Duration = .seconds(300)

    /// The node-wide part of a plan's connection limits.
    public var connectionSettings: ConnectionSettings {
        ConnectionSettings(connectTimeout: connectTimeout.flatMap { $0 == .zero ? nil : $0 }, maxConnections: maxConnections,
                           halfCloseTimeout: halfCloseTimeout == .zero ? nil : halfCloseTimeout, maxUDPFlows: udpMaxFlows,
                           nodeAddresses: Set(nodeAddresses))
    }

    public static let defaultClusterIPRanges = [CIDR("10.96.0.0/12")].compactMap { $0 }

    public init(nodeAddresses: [IPAddress] = []) {
        self.nodeAddresses = nodeAddresses
    }

    /// The node addresses that serve NodePorts, sorted. IPv6 link-local addresses are
    /// left out: they need a zone, and kube-proxy does not serve them either.
    public var selectedNodePortAddresses: [IPAddress] {
        let candidates = nodeAddresses.filter { !($0.family == .ipv6 && $0.isLinkLocal) }
        let selected = nodePortAddresses.isEmpty
            ? candidates
            : candidates.filter { ip in nodePortAddresses.contains { $0.contains(ip) } }
        return Array(Set(selected)).sorted()
    }

    /// The ClusterIP range of `family`, if the node has one.
    public func clusterIPRange(for family: IPAddress.Family) -> CIDR? {
        serviceClusterIPRanges.first { $0.address.family == family }
    }

    /// These settings with every value `overrides` sets replacing ours.
    public func applying(_ overrides: NodeSettingsOverrides) -> NodeSettings {
        var settings = self
        if let value = overrides.nodeName { settings.nodeName = value }
        if let value = overrides.nodePortAddresses { settings.nodePortAddresses = value }
        if let value = overrides.nodePortRange { settings.nodePortRange = value }
        if let value = overrides.serviceClusterIPRanges { settings.serviceClusterIPRanges = value }
        if let value = overrides.workers { settings.workers = value }
        if let value = overrides.connectTimeout { settings.connectTimeout = value }
        if let value = overrides.idleTimeout { settings.idleTimeout = value == .zero ? nil : value }
        if let value = overrides.maxConnections { settings.maxConnections = value }
        if let value = overrides.halfCloseTimeout { settings.halfCloseTimeout = value }
        if let value = overrides.metricsBindAddress { settings.metricsBindAddress = value }
        if let value = overrides.healthzBindAddress { settings.healthzBindAddress = value }
        if let value = overrides.ingressClass { settings.ingressClass = value }
        if let value = overrides.ingressHTTPBindAddresses { settings.ingressHTTPBindAddresses = value }
        if let value = overrides.ingressClientHeaderTimeout { settings.ingressClientHeaderTimeout = value }
        if let value = overrides.ingressUpstreamTimeout { settings.ingressUpstreamTimeout = value }
        if let value = overrides.ingressHTTPSBindAddresses { settings.ingressHTTPSBindAddresses = value }
        if let value = overrides.defaultSSLCertificate { settings.defaultSSLCertificate = value }
        if let value = overrides.ingressTLSHandshakeTimeout { settings.ingressTLSHandshakeTimeout = value }
        if let value = overrides.udpTimeout { settings.udpTimeout = value }
        if let value = overrides.udpMaxFlows { settings.udpMaxFlows = value }
        if let value = overrides.dnsBindAddresses { settings.dnsBindAddresses = value }
        if let value = overrides.clusterDomain { settings.clusterDomain = value }
        if let value = overrides.dnsTTL { settings.dnsTTL = value }
        if let value = overrides.dnsUDPSize { settings.dnsUDPSize = value }
        if let value = overrides.dnsUpstreams { settings.dnsUpstreams = value }
        if let value = overrides.loadBalancerAddresses { settings.loadBalancerAddresses = value }
        if let value = overrides.loadBalancerIPPools { settings.loadBalancerIPPools = value }
        return settings
    }
}

/// Settings given explicitly, by a `ProxyConfiguration` document or by flags; nil means
/// "not given here".
public struct NodeSettingsOverrides: Sendable, Equatable {
    /// `--hostname-override` / `hostnameOverride`.
    public var nodeName: String?
    public var nodePortAddresses: [CIDR]?
    public var nodePortRange: ClosedRange<Int>?
    public var serviceClusterIPRanges: [CIDR]?
    public var workers: Int?
    public var connectTimeout: Duration?
    public var idleTimeout: Duration?
    public var maxConnections: Int?
    public var halfCloseTimeout: Duration?
    public var metricsBindAddress: BindAddress?
    public var healthzBindAddress: BindAddress?
    public var ingressClass: String?
    public var ingressHTTPBindAddresses: [BindAddress]?
    public var ingressClientHeaderTimeout: Duration?
    public var ingressUpstreamTimeout: Duration?
    public var ingressHTTPSBindAddresses: [BindAddress]?
    public var defaultSSLCertificate: ObjectKey?
    public var ingressTLSHandshakeTimeout: Duration?
    public var udpTimeout: Duration?
    public var udpMaxFlows: Int?
    public var dnsBindAddresses: [BindAddress]?
    public var clusterDomain: String?
    public var dnsTTL: Duration?
    public var dnsUDPSize: Int?
    public var dnsUpstreams: DNSUpstreams?
    public var loadBalancerAddresses: [CIDR]?
    public var loadBalancerIPPools: [LoadBalancerPool]?

    public init() {}
}

/// A `kind: ProxyConfiguration` document: node settings kept with the services.
public struct ProxyConfiguration: Sendable {
    public static let apiVersion = "svcproxy.io/v1alpha1"
    public var source: ObjectSource
    public var settings = NodeSettingsOverrides()
}

/// The text forms of node settings, shared by the document and the flags; each parser
/// returns the value or what is wrong with the text, in words. Durations are in
/// DurationSyntax.swift, bind addresses in BindAddress.swift.
public enum SettingsSyntax {
    /// A node name, as `--hostname-override` takes it: kube-proxy lowercases and trims it,
    /// and a node's name is a DNS subdomain.
    public static func nodeName(_ text: String) -> Result<String, SettingsSyntaxError> {
        let name = text.trimmingSpaces.lowercased()
        let problems = NameFormat.dns1123Subdomain(name)
        guard problems.isEmpty else {
            return .failure(SettingsSyntaxError("'\(text)' is not a node name: \(problems.joined(separator: ", "))"))
        }
        return .success(name)
    }

    /// "30000-32767" (or a single port), as `--service-node-port-range` takes it.
    public static func portRange(_ text: String) -> Result<ClosedRange<Int>, SettingsSyntaxError> {
        let parts = text.trimmingSpaces.split(separator: "-", omittingEmptySubsequences: false).map { Int($0.trimmingSpaces) }
        let bad = SettingsSyntaxError("'\(text)' is not a port range (e.g. 30000-32767)")
        guard parts.count == 1 || parts.count == 2, let low = parts.first ?? nil, let high = parts.last ?? nil else {
            return .failure(bad)
        }
        guard (1...65535).contains(low), (1...65535).contains(high), low <= high else {
            return .failure(SettingsSyntaxError("'\(text)' must be a range of ports between 1 and 65535, low-high"))
        }
        return .success(low...high)
    }

    /// Comma-separated CIDRs, as `--nodeport-addresses` takes them.
    public static func cidrList(_ text: String) -> Result<[CIDR], SettingsSyntaxError> {
        var result: [CIDR] = []
        for part in text.split(separator: ",") {
            let trimmed = part.trimmingSpaces
            guard let cidr = CIDR(trimmed) else {
                return .failure(SettingsSyntaxError("'\(trimmed)' is not a CIDR (e.g. 127.0.0.0/8 or fd00::/64)"))
            }
            result.append(cidr)
        }
        return .success(result)
    }

    /// One or two CIDRs, one per IP family, as `--service-cluster-ip-range` takes them.
    public static func clusterIPRanges(_ text: String) -> Result<[CIDR], SettingsSyntaxError> {
        cidrList(text).flatMap { ranges in
            if ranges.isEmpty || ranges.count > 2 {
                return .failure(SettingsSyntaxError("'\(text)' must be one CIDR, or two (one IPv4, one IPv6)"))
            }
            if ranges.count == 2, ranges[0].address.family == ranges[1].address.family {
                return .failure(SettingsSyntaxError("'\(text)' must hold at most one CIDR per IP family"))
            }
            if let tiny = ranges.first(where: { $0.addressCount < 4 }) {
                return .failure(SettingsSyntaxError("'\(tiny)' is too small to allocate service IPs from"))
            }
            return .success(ranges)
        }
    }
}

public struct SettingsSyntaxError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension StringProtocol {
    var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
