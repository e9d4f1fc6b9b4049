// What one plan's LoadBalancer assignment hands to the next (a reload), so that an
// address or a node port stays with the Service that has it (LoadBalancerAssignment.swift):
// the pool address of each Service, and which Services node mode served. A Service that
// was served wins a tie in age over one that was not (a new Service without a
// `creationTimestamp` does not take a port from the one being served).

public struct LoadBalancerAllocations: Sendable, Equatable {
    /// The pool address of each Service that got one (pool mode).
    public var poolAddresses: [ObjectKey: IPAddress] = [:]
    /// The Services served on the node's addresses (node mode).
    public var servedOnNode: Set<ObjectKey> = []

    public init() {}
}

/// The node addresses svcproxy placed itself, known by the mark it puts on them
/// (IFA_PROTO, ClusterIPAddresses.swift), read by the caller: they are never node
/// addresses to serve a LoadBalancer on, and a pool address of ours on the node is not
/// someone else's.
public struct MarkedNodeAddresses: Sendable, Equatable {
    /// ClusterIPs and external IPs (`--cluster-ip-interface`, mark 83).
    public var serviceAddresses: Set<IPAddress> = []
    /// Load-balancer pool addresses (`--load-balancer-interface`, mark 76).
    public var loadBalancerAddresses: Set<IPAddress> = []

    public init(serviceAddresses: Set<IPAddress> = [], loadBalancerAddresses: Set<IPAddress> = []) {
        self.serviceAddresses = serviceAddresses
        self.loadBalancerAddresses = loadBalancerAddresses
    }
}
