// The node settings of LoadBalancer Services without a cloud (issue 17). With no pool, a
// LoadBalancer Service of our class that has no address of its own is served on the
// node's addresses (`--load-balancer-addresses`, k3s ServiceLB's way); with pools
// (`--load-balancer-ip-pool`, or named ones in the ProxyConfiguration's
// `loadBalancerIPPools`) it gets an address of its own from one (MetalLB layer 2's way).
// LoadBalancerAssignment.swift decides who gets what.

/// A named block of addresses LoadBalancer Services are given addresses from.
public struct LoadBalancerPool: Hashable, Sendable, CustomStringConvertible {
    /// What the annotation `svcproxy.io/load-balancer-pool` names; `default` for the flag's.
    public let name: String
    public let cidrs: [CIDR]

    public init(name: String, cidrs: [CIDR]) {
        self.name = name
        self.cidrs = cidrs
    }

    public var description: String { "\(name) (\(cidrs.map(\.description).joined(separator: ", ")))" }

    /// Whether `ip` lies in one of the pool's blocks.
    public func contains(_ ip: IPAddress) -> Bool { cidrs.contains { $0.contains(ip) } }
}

extension NodeSettings {
    /// The name of the pool `--load-balancer-ip-pool` gives.
    public static let defaultLoadBalancerPoolName = "default"

    /// The node addresses that serve LoadBalancer Services in node mode: those inside
    /// `--load-balancer-addresses`, else the ones NodePorts use, but never the addresses
    /// svcproxy places on the node itself: those in a ClusterIP range or a pool, and those
    /// carrying its mark (ClusterIPs, external IPs, pool addresses of an earlier run).
    /// Serving a Service's port there would take another Service's ClusterIP socket.
    /// (External IPs are left out by the caller, which knows the Services.)
    public var selectedLoadBalancerAddresses: [IPAddress] {
        let candidates = nodeAddresses.filter { !($0.family == .ipv6 && $0.isLinkLocal) }
        let selected = loadBalancerAddresses.map { cidrs in
            Array(Set(candidates.filter { ip in cidrs.contains { $0.contains(ip) } })).sorted()
        } ?? selectedNodePortAddresses
        return selected.filter { !isSvcproxyAddress($0) }
    }

    /// Whether `ip` is an address svcproxy places on the node (see above).
    func isSvcproxyAddress(_ ip: IPAddress) -> Bool {
        serviceClusterIPRanges.contains { $0.contains(ip) } || loadBalancerIPPools.contains { $0.contains(ip) }
            || markedAddresses.serviceAddresses.contains(ip) || markedAddresses.loadBalancerAddresses.contains(ip)
    }

    /// The pool of `ip`, if it lies in one.
    func loadBalancerPool(containing ip: IPAddress) -> LoadBalancerPool? {
        loadBalancerIPPools.first { $0.contains(ip) }
    }
}

extension Service {
    /// The class whose LoadBalancer Services svcproxy gives addresses to; a Service
    /// without a class is ours too, as the cloud provider's would be.
    public static let loadBalancerClass = "svcproxy.io/lb"
    /// Names the pool a Service's address comes from.
    public static let loadBalancerPoolAnnotation = "svcproxy.io/load-balancer-pool"

    /// A LoadBalancer Service that svcproxy gives an address to when it has none.
    var isOurLoadBalancer: Bool {
        type == .loadBalancer && isProxied && (loadBalancerClass == nil || loadBalancerClass == Self.loadBalancerClass)
    }
}

extension SettingsSyntax {
    /// `--load-balancer-ip-pool CIDR[,CIDR]`: one pool, named `default`.
    public static func loadBalancerPool(_ text: String) -> Result<[LoadBalancerPool], SettingsSyntaxError> {
        cidrList(text).flatMap { cidrs in
            cidrs.isEmpty
                ? .failure(SettingsSyntaxError("'\(text)' must hold at least one CIDR (e.g. 192.168.1.240/28)"))
                : .success([LoadBalancerPool(name: NodeSettings.defaultLoadBalancerPoolName, cidrs: cidrs)])
        }
    }

    /// A pool's name: a DNS label, as the annotation's value must be.
    public static func loadBalancerPoolName(_ text: String) -> Result<String, SettingsSyntaxError> {
        let problems = NameFormat.dns1123Label(text)
        return problems.isEmpty
            ? .success(text)
            : .failure(SettingsSyntaxError("'\(text)' is not a pool name: " + problems.joined(separator: "; ")))
    }
}
