// What the node itself contributes to a plan: its addresses and the settings that
// kube-proxy and the API server take as flags.

public struct NodeSettings: Sendable, Equatable {
    /// `--nodeport-addresses`: which node addresses serve NodePorts. Empty means all.
    public var nodePortAddresses: [CIDR] = []
    /// `--service-node-port-range`.
    public var nodePortRange: ClosedRange<Int> = 30000...32767
    /// Every address the node has (read by the caller; this module makes no system calls).
    public var nodeAddresses: [IPAddress] = []

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
}
