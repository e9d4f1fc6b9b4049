// Where a service port's connections go: its endpoints and the round-robin position.
// One route object is shared by every worker, so the rotation is exact across workers: a
// single atomic counter per service port (kube-proxy's balancer kept one index per
// service port for the same reason). A reload that changes the service port (PlanDiff)
// swaps in a new route; connections hold the route they started with.
import LinuxIO
import ServiceConfig
import Synchronization

/// An endpoint with its socket address prepared once, not per connection, its counters
/// (one set per worker), and the pod it is with that pod's names for its port, which a
/// client's egress rules match.
struct EndpointTarget: Sendable {
    let endpoint: Endpoint
    let address: SocketAddress
    let counters: [EndpointCounters]
    let pod: ObjectKey?
    let portNames: [String]

    init(endpoint: Endpoint, address: SocketAddress, counters: [EndpointCounters], pod: EndpointPod? = nil) {
        self.endpoint = endpoint
        self.address = address
        self.counters = counters
        self.pod = pod?.key
        portNames = pod?.portNames ?? []
    }
}

final class ServicePortRoute: Sendable {
    let name: ServicePortName
    /// A UDP service port: its listeners take datagrams (UDPHandler), not connections.
    let isUDP: Bool
    /// TCP or UDP, for matching policy ports.
    let transport: TransportProtocol
    /// Every endpoint a connection may reach (ServicePortPlan.reachableEndpoints): first
    /// those of the Cluster traffic policy, then local ones only a Local policy reaches.
    let endpoints: [EndpointTarget]
    /// How many of `endpoints`, from the first, a connection under a Cluster policy may reach.
    let clusterCount: Int
    /// The endpoints still serving, whom new traffic goes to or not: UDP flows to these
    /// outlive a reload (ServicePortPlan.serving).
    let serving: Set<Endpoint>
    let statistics: ServicePortStatistics
    /// Affinity, admission, limits and timeouts (RouteRules.swift).
    let rules: RouteRules
    /// Kept across reloads for this service port.
    let shared: ServicePortShared
    private let next = Atomic<Int>(0)

    init(plan: ServicePortPlan, connections: ConnectionSettings, statistics: ServicePortStatistics,
         budget: ConnectionBudget, shared: ServicePortShared) {
        name = plan.name
        isUDP = plan.protocol == .udp
        transport = plan.protocol
        self.statistics = statistics
        let targets = { (endpoints: [Endpoint]) in
            endpoints.compactMap { endpoint in
                SocketAddress(ip: endpoint.ip.description, port: UInt16(endpoint.port)).map {
                    EndpointTarget(endpoint: endpoint, address: $0, counters: statistics.counters(for: endpoint),
                                   pod: plan.pods[endpoint])
                }
            }
        }
        let cluster = targets(plan.endpoints)
        endpoints = cluster + targets(Array(plan.reachableEndpoints.dropFirst(plan.endpoints.count)))
        clusterCount = cluster.count
        serving = plan.serving.union(endpoints.map(\.endpoint))
        rules = RouteRules(plan: plan, connections: connections, endpoints: endpoints, budget: budget)
        self.shared = shared
    }

    /// The next round-robin turn, as a count.
    func nextTicket() -> UInt {
        UInt(bitPattern: next.wrappingAdd(1, ordering: .relaxed).oldValue)
    }

    /// The index of the endpoint the next connection under a Cluster policy starts at, or
    /// nil with no endpoints.
    func nextStartIndex() -> Int? {
        guard clusterCount > 0 else { return nil }
        return Int(nextTicket() % UInt(clusterCount))
    }

    /// `eligible` (endpoint indices, in order) rotated to start at the next round-robin turn.
    func roundRobin(_ eligible: [Int]) -> [Int] {
        guard !eligible.isEmpty else { return [] }
        let position = Int(nextTicket() % UInt(eligible.count))
        return Array(eligible[position...] + eligible[..<position])
    }

    /// The endpoint for connect attempt `attempt` (0-based) of a connection that started
    /// at `start`, or whose endpoints to try are `candidates` (nil: every endpoint in
    /// round-robin order from `start`, those of the Cluster policy): each retry moves to
    /// the next endpoint without disturbing the rotation.
    func endpoint(start: Int, attempt: Int, candidates: [Int]? = nil) -> EndpointTarget {
        guard let candidates, !candidates.isEmpty else { return endpoints[(start + attempt) % clusterCount] }
        return endpoints[candidates[attempt % candidates.count]]
    }
}
