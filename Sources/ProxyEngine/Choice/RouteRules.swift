// What a route knows beyond its endpoints: session affinity, NetworkPolicy admission,
// the traffic policies, limits and timeouts, compiled from the plan when the route is made; and the state a
// service port keeps across reloads (affinity pins, open-connection count).
import LinuxIO
import ServiceConfig
import Synchronization

/// What a service port keeps across reloads, whichever route serves it.
final class ServicePortShared: Sendable {
    let affinity: AffinityTable
    /// Open connections, counted while the service has a limit.
    let open = Atomic<Int>(0)

    init(affinityCapacity: Int = AffinityTable.defaultCapacity) {
        affinity = AffinityTable(capacity: affinityCapacity)
    }
}

/// A class, so that reading it per connection costs one reference, not a copy of each field.
final class RouteRules: Sendable {
    /// Nanoseconds; nil without ClientIP affinity.
    let affinityTimeout: UInt64?
    /// Per endpoint (in the route's order); nil when no endpoint is isolated.
    let admissions: [CompiledAdmission]?
    /// Endpoint → index, for finding an affinity pin.
    let endpointIndex: [Endpoint: Int]
    /// The indices of the endpoints on this node, in the route's order: all a connection
    /// may reach where a Local traffic policy applies.
    let localEndpoints: [Int]
    /// `externalTrafficPolicy: Local` (NodePorts, external and load-balancer IPs) and
    /// `internalTrafficPolicy: Local` (ClusterIPs).
    let externalLocal: Bool
    let internalLocal: Bool
    /// The node's addresses, where `externalLocal`: clients from them are not restricted.
    let nodeAddresses: Set<IPAddress>
    let nodeLimit: Int?
    let serviceLimit: Int?
    let budget: ConnectionBudget
    /// Nanoseconds; nil keeps the connect ladder.
    let connectTimeout: UInt64?
    /// Nanoseconds; zero means none.
    let idleTimeout: UInt64
    let halfCloseTimeout: UInt64
    /// UDP: how long a flow may stay silent, in nanoseconds (30 s unless the plan says).
    let udpTimeout: UInt64

    init(plan: ServicePortPlan, connections: ConnectionSettings, endpoints: [EndpointTarget], budget: ConnectionBudget) {
        if case .clientIP(let seconds) = plan.sessionAffinity {
            affinityTimeout = UInt64(max(1, seconds)) * 1_000_000_000
        } else {
            affinityTimeout = nil
        }
        admissions = plan.ingress.isEmpty ? nil : endpoints.map { target in
            plan.ingress[target.endpoint].map(CompiledAdmission.init) ?? .open
        }
        var index: [Endpoint: Int] = [:]
        if affinityTimeout != nil { for (i, target) in endpoints.enumerated() { index[target.endpoint] = i } }
        endpointIndex = index
        let local = Set(plan.localEndpoints)
        localEndpoints = endpoints.indices.filter { local.contains(endpoints[$0].endpoint) }
        externalLocal = plan.externalTrafficPolicy == .local
        internalLocal = plan.internalTrafficPolicy == .local
        nodeAddresses = externalLocal ? connections.nodeAddresses : []
        // UDP flows have their own bound (--udp-max-flows), not the connection limit.
        nodeLimit = plan.protocol == .udp ? nil : connections.maxConnections
        serviceLimit = plan.maxConnections
        self.budget = budget
        connectTimeout = connections.connectTimeout?.nanoseconds
        idleTimeout = plan.idleTimeout?.nanoseconds ?? 0
        halfCloseTimeout = connections.halfCloseTimeout?.nanoseconds ?? 0
        udpTimeout = (plan.udpTimeout ?? .seconds(30)).nanoseconds
    }

    /// Whether choosing an endpoint needs the client's address.
    var needsClient: Bool { affinityTimeout != nil || admissions != nil }

    /// Whether a connection from `client` (nil: unknown, taken as off the node) that
    /// arrived on an address of `kind` may reach only the endpoints on this node. Asked
    /// per listener: a NodePort and a ClusterIP of one service port share the route but
    /// not the policy. The external policy binds only clients from off the node, as
    /// kube-proxy's: one from a node address reaches every endpoint. The internal policy
    /// binds every client, as kube-proxy's does.
    func isLocalOnly(_ kind: ListenAddress.Kind, client: SocketAddress? = nil) -> Bool {
        switch kind {
        case .clusterIP: internalLocal
        case .nodePort, .externalIP, .loadBalancer: externalLocal && !isOnThisNode(client)
        case .ingressHTTP, .ingressHTTPS, .dns: false
        }
    }

    private func isOnThisNode(_ client: SocketAddress?) -> Bool {
        guard let client else { return false }
        return nodeAddresses.contains(IPAddress(client))
    }
}
