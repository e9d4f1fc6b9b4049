// The node settings of the cluster DNS: where it answers (`--dns-bind-address`, UDP and
// TCP on each; none means no DNS), the zone (`--cluster-domain`, kubelet's flag name),
// the records' TTL, the largest UDP answer, and where names outside the zone go
// (`--dns-upstream`, else the nameservers of resolv.conf). Defaults here; the
// ProxyConfiguration document and the flags override them as NodeSettings.swift says.

extension NodeSettings {
    /// kubelet's and CoreDNS's default zone.
    public static let defaultClusterDomain = "cluster.local"
    /// CoreDNS's kubernetes plugin answers with a TTL of 5 s.
    public static let defaultDNSTTL: Duration = .seconds(5)
    /// The DNS Flag Day 2020 size: answers up to it avoid IP fragmentation.
    public static let defaultDNSUDPSize = 1232
    /// CoreDNS's kubernetes plugin takes TTLs up to an hour.
    public static let maximumDNSTTL: Duration = .seconds(3600)
    public static let dnsUDPSizeRange = 512...4096
}

/// `--dns-upstream`: where names outside the zone are sent.
public enum DNSUpstreams: Hashable, Sendable, CustomStringConvertible {
    /// The nameservers of resolv.conf, less svcproxy's own DNS addresses.
    case resolvConf
    /// `none`: names outside the zone are REFUSED.
    case none
    case servers([IPPort])

    public var description: String {
        switch self {
        case .resolvConf: "the nameservers of resolv.conf"
        case .none: "none"
        case .servers(let servers): servers.map(\.description).joined(separator: ", ")
        }
    }
}

extension SettingsSyntax {
    /// A DNS listen address: a specific IP and port. A wildcard is refused: an answer sent
    /// from a wildcard UDP socket leaves from whichever address the route picks, which a
    /// resolver that queried another address drops as spoofed.
    public static func dnsBindAddress(_ text: String) -> Result<BindAddress, SettingsSyntaxError> {
        bindAddress(text).flatMap { address in
            guard !address.ip.isUnspecified else {
                return .failure(SettingsSyntaxError("'\(text)' is a wildcard: the DNS needs a specific address (e.g. 127.0.0.53:53), so that answers come from the address queried"))
            }
            guard address.port != 0 else { return .failure(SettingsSyntaxError("'\(text)' needs a port above 0 (53 is DNS's)")) }
            return .success(address)
        }
    }

    /// `--cluster-domain`: a DNS subdomain, written with or without the final dot.
    public static func clusterDomain(_ text: String) -> Result<String, SettingsSyntaxError> {
        let name = text.hasSuffix(".") ? String(text.dropLast()) : text
        let problems = NameFormat.dns1123Subdomain(name)
        guard problems.isEmpty else {
            return .failure(SettingsSyntaxError("'\(text)' is not a domain name: " + problems.joined(separator: "; ")))
        }
        return .success(name)
    }

    /// `--dns-ttl`: whole seconds up to an hour; 0 tells resolvers not to cache.
    public static func dnsTTL(_ text: String) -> Result<Duration, SettingsSyntaxError> {
        duration(text).flatMap { value in
            value >= .zero && value <= NodeSettings.maximumDNSTTL
                ? .success(value)
                : .failure(SettingsSyntaxError("'\(text)' must be between 0s and 1h"))
        }
    }

    /// `--dns-udp-size`: the largest UDP answer, in bytes.
    public static func dnsUDPSize(_ value: Int) -> Result<Int, SettingsSyntaxError> {
        NodeSettings.dnsUDPSizeRange.contains(value)
            ? .success(value)
            : .failure(SettingsSyntaxError("must be between \(NodeSettings.dnsUDPSizeRange.lowerBound) and \(NodeSettings.dnsUDPSizeRange.upperBound) bytes"))
    }

    /// One `--dns-upstream`: `IP`, `IP:PORT` or `[IPv6]:PORT` (port 53 when left out).
    public static func dnsUpstream(_ text: String) -> Result<IPPort, SettingsSyntaxError> {
        if let ip = IPAddress(text) { return .success(IPPort(ip: ip, port: 53)) }
        if text.hasPrefix("["), text.hasSuffix("]"), let ip = IPAddress(String(text.dropFirst().dropLast())) {
            return .success(IPPort(ip: ip, port: 53))
        }
        switch bindAddress(text) {
        case .success(let address) where address.port != 0 && !address.ip.isUnspecified:
            return .success(IPPort(ip: address.ip, port: Int(address.port)))
        default:
            return .failure(SettingsSyntaxError("'\(text)' is not a nameserver address (e.g. 127.0.0.1, 127.0.0.1:5353 or [::1]:53), nor 'none'"))
        }
    }

    /// Every `--dns-upstream` given: `none` alone, or nameserver addresses.
    public static func dnsUpstreams(_ texts: [String]) -> Result<DNSUpstreams, SettingsSyntaxError> {
        if texts == ["none"] { return .success(.none) }
        if texts.contains("none") {
            return .failure(SettingsSyntaxError("'none' cannot be given with nameservers: it means names outside the zone are refused"))
        }
        var servers: [IPPort] = []
        for text in texts {
            switch dnsUpstream(text) {
            case .success(let server): servers.append(server)
            case .failure(let error): return .failure(error)
            }
        }
        return .success(servers.isEmpty ? .resolvConf : .servers(servers))
    }
}
