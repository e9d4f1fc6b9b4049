// The cluster DNS's part of a plan: where it answers, what (the ClusterNames of the
// configuration), in which zone, and where names outside it go. Nil in a plan while no
// `--dns-bind-address` is given.

public struct DNSPlan: Hashable, Sendable {
    /// UDP and TCP on each `--dns-bind-address`.
    public internal(set) var listenAddresses: [ListenAddress]
    public let names: ClusterNames
    /// The zone, without the final dot (`cluster.local`).
    public let clusterDomain: String
    public let ttl: Duration
    /// The largest answer sent over UDP.
    public let udpSize: Int
    /// Where names outside the zone go, in order of preference; empty: they are REFUSED.
    public let upstreams: [IPPort]

    public init(listenAddresses: [ListenAddress], names: ClusterNames, clusterDomain: String = NodeSettings.defaultClusterDomain,
                ttl: Duration = NodeSettings.defaultDNSTTL, udpSize: Int = NodeSettings.defaultDNSUDPSize, upstreams: [IPPort] = []) {
        self.listenAddresses = listenAddresses
        self.names = names
        self.clusterDomain = clusterDomain
        self.ttl = ttl
        self.udpSize = udpSize
        self.upstreams = upstreams
    }
}

extension NodeSettings {
    /// The DNS part of a plan from these settings, or nil when no address is given.
    func dnsPlan(names: @autoclosure () -> ClusterNames) -> DNSPlan? {
        let bound = PlanBuilder.uniqued(dnsBindAddresses)
        guard !bound.isEmpty || plansDNSZoneWithoutAddresses else { return nil }
        let listen = bound.flatMap { address in
            [TransportProtocol.udp, .tcp].map { ListenAddress(ip: address.ip, port: Int(address.port), kind: .dns, transport: $0) }
        }
        let ours = Set(bound.map { IPPort(ip: $0.ip, port: Int($0.port)) })
        let upstreams: [IPPort] = switch dnsUpstreams {
        case .none: []
        case .servers(let servers): servers
        case .resolvConf: resolvConfNameservers.map { IPPort(ip: $0, port: 53) }.filter { !ours.contains($0) }
        }
        return DNSPlan(listenAddresses: listen, names: names(), clusterDomain: clusterDomain, ttl: dnsTTL, udpSize: dnsUDPSize,
                       upstreams: PlanBuilder.uniqued(upstreams))
    }
}
