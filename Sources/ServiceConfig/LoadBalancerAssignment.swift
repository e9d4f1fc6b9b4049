// Which address each LoadBalancer Service of our class is served on when no cloud writes
// one (issue 17), after the two controllers users know:
//
// - Node mode, k3s ServiceLB's way (no pool configured; LoadBalancerNodeMode.swift): a
//   Service without an address of its own is served at its `port` on the node's
//   addresses of its IP families. An address, port and transport serves one Service: the
//   oldest gets it, a younger one that wants any of the same sockets waits, pending,
//   until the port frees up on a later reload. Sockets that other listeners hold are
//   taken for good (LoadBalancerTakenSockets.swift).
// - Pool mode, MetalLB layer 2's way (LoadBalancerPoolMode.swift): a Service gets one
//   address from a pool, kept across reloads; a requested one is honoured unless another
//   Service holds it.
//
// "Oldest" is `metadata.creationTimestamp`; where both lack one or they are equal, the
// Service that held its place in the previous plan comes first (a newcomer written by
// hand does not push out the one being served), then namespace/name.
//
// Services of another `spec.loadBalancerClass`, and ours that carry addresses outside the
// pools, are not assigned anything: they are served on their written addresses as before.
import Foundation

/// What became of one LoadBalancer Service of our class.
public struct LoadBalancerState: Hashable, Sendable {
    public let service: ObjectKey
    /// The pool its address comes from (while pending: the pools it waits on, joined by
    /// commas, which no pool name contains); nil in node mode.
    public let pool: String?
    /// The addresses it is served on; empty while pending.
    public let addresses: [IPAddress]
    /// Why it has no address yet; nil once served.
    public let pendingReason: String?

    public init(service: ObjectKey, pool: String?, addresses: [IPAddress], pendingReason: String?) {
        self.service = service
        self.pool = pool
        self.addresses = addresses
        self.pendingReason = pendingReason
    }

    public var isPending: Bool { pendingReason != nil }
}

/// The assignments of one plan, by Service.
public struct LoadBalancerAssignments: Hashable, Sendable {
    public private(set) var states: [ObjectKey: LoadBalancerState] = [:]

    public init() {}

    mutating func set(_ state: LoadBalancerState) { states[state.service] = state }

    /// The load-balancer addresses `service` listens on: its assignment when it has one,
    /// else what it wrote (PlanBuilder.loadBalancerIPs), as for any other class.
    func addresses(of service: Service) -> [IPAddress] {
        states[service.key]?.addresses ?? PlanBuilder.loadBalancerIPs(of: service)
    }
}

struct LoadBalancerAssignment {
    let settings: NodeSettings
    /// What the previous plan gave out, which a reload keeps.
    let previous: LoadBalancerAllocations
    /// The ClusterIPs (a Service's families, sockets taken) and NodePorts (sockets taken) of this plan.
    let allocations: Allocations
    var result = LoadBalancerAssignments()
    /// What this plan gave out, for the next plan's `previous`.
    var allocated = LoadBalancerAllocations()
    /// Informational lines; a pending Service is not one of them: `check` warns of it and
    /// the daemon logs it when its state changes (LoadBalancerReport), not at every reload.
    var notes: [String] = []
    /// The node's own listeners (Ingress controller, cluster DNS, admin endpoints) and who holds each.
    var reserved: [(address: BindAddress, transport: TransportProtocol, holder: String)] = []

    init(settings: NodeSettings, previous: Allocations?, allocations: Allocations) {
        self.settings = settings
        self.previous = previous?.loadBalancerIPs ?? LoadBalancerAllocations()
        self.allocations = allocations
    }

    /// Assigns addresses to the LoadBalancer Services of our class among `services`.
    mutating func assign(_ services: [Service]) {
        let ours = oldestFirst(services.filter { $0.isOurLoadBalancer })
        // Nothing to give out: the sockets every other Service holds (a table over the
        // whole configuration, rebuilt at each plan) are not needed.
        guard !ours.isEmpty else { return }
        if settings.loadBalancerIPPools.isEmpty {
            assignNodeAddresses(ours.filter { PlanBuilder.loadBalancerIPs(of: $0).isEmpty }, all: services)
        } else {
            assignPools(ours, all: services)
        }
    }

    /// `services` oldest first (see the top of this file). The times are read once: a
    /// date formatter per comparison would make a large configuration slow to sort.
    func oldestFirst(_ services: [Service]) -> [Service] {
        let held = previous.servedOnNode.union(previous.poolAddresses.keys)
        return services.map { (CreationTime.date($0.creationTimestamp), held.contains($0.key), $0) }
            .sorted { CreationTime.isOlder(($0.0, $0.1, $0.2.key), ($1.0, $1.1, $1.2.key)) }
            .map(\.2)
    }

    mutating func pending(_ service: Service, pool: String?, _ reason: String) {
        result.set(LoadBalancerState(service: service.key, pool: pool, addresses: [], pendingReason: reason))
    }
}
