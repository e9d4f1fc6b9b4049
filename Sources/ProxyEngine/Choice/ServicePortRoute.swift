// Where a service port's connections go: its ready endpoints and the round-robin position.
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
    let endpoints: [EndpointTarget]
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
        endpoints = plan.endpoints.compactMap { endpoint in
            SocketAddress(ip: endpoint.ip.description, port: UInt16(endpoint.port)).map {
                EndpointTarget(endpoint: endpoint, address: $0, counters: statistics.counters(for: endpoint), pod: plan.pods[endpoint])
            }
        }
        rules = RouteRules(plan: plan, connections: connections, endpoints: endpoints, budget: budget)
        self.shared = shared
    }

    /// The next round-robin turn, as a count.
    func nextTicket() -> UInt {
        UInt(bitPattern: next.wrappingAdd(1, ordering: .relaxed).oldValue)
    }

    /// The index of the endpoint the next connection starts at, or nil with no endpoints.
    func nextStartIndex() -> Int? {
        guard !endpoints.isEmpty else { return nil }
        return Int(nextTicket() % UInt(endpoints.count))
    }

    /// `eligible` (endpoint indices, in order) rotated to start at the next round-robin turn.
    func roundRobin(_ eligible: [Int]) -> [Int] {
        guard !eligible.isEmpty else { return [] }
        let position = Int(nextTicket() % UInt(eligible.count))
        return Array(eligible[position...] + eligible[..<position])
    }

    /// The endpoint for connect attempt `attempt` (0-based) of a connection that started
    /// at `start`, or whose endpoints to try are `candidates` (nil: every endpoint in
    /// round-robin order from `start`): each retry moves to the next endpoint without
    /// disturbing the rotation.
    func endpoint(start: Int, attempt: Int, candidates: [Int]? = nil) -> EndpointTarget {
        guard let candidates, !candidates.isEmpty else { return endpoints[(start + attempt) % endpoints.count] }
        return endpoints[candidates[attempt % candidates.count]]
    }
}
