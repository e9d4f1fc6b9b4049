// What a route knows beyond its endpoints: session affinity, NetworkPolicy admission,
// limits and timeouts, compiled from the plan when the route is made, plus the state a
// service port keeps across reloads (affinity pins, open-connection count). And the one
// place that decides, at accept, which endpoints a connection may try and in what order.
import LinuxIO
import ServiceConfig
import Synchronization

/// What a service port keeps across reloads, whichever route serves it.
final class ServicePortShared: Sendable {
    let affinity = AffinityTable()
    /// Open connections, counted while the service has a limit.
    let open = Atomic<Int>(0)
}

/// The plan's inputs a route was made from, beyond its endpoints: a reload that changes
/// any of them makes a new route.
struct RouteSource: Hashable, Sendable {
    let affinity: SessionAffinity
    let ingress: [Endpoint: IngressAdmission]
    let maxConnections: Int?
    let idleTimeout: Duration?
    let connections: ConnectionSettings
}

/// A class, so that reading it per connection costs one reference, not a copy of each field.
final class RouteRules: Sendable {
    let source: RouteSource
    /// Nanoseconds; nil without ClientIP affinity.
    let affinityTimeout: UInt64?
    /// Per endpoint (in the route's order); nil when no endpoint is isolated.
    let admissions: [CompiledAdmission]?
    /// Endpoint → index, for finding an affinity pin.
    let endpointIndex: [Endpoint: Int]
    let nodeLimit: Int?
    let serviceLimit: Int?
    let budget: ConnectionBudget
    /// Nanoseconds; nil keeps the connect ladder.
    let connectTimeout: UInt64?
    /// Nanoseconds; zero means none.
    let idleTimeout: UInt64
    let halfCloseTimeout: UInt64

    init(source: RouteSource, endpoints: [EndpointTarget], budget: ConnectionBudget) {
        self.source = source
        if case .clientIP(let seconds) = source.affinity {
            affinityTimeout = UInt64(max(1, seconds)) * 1_000_000_000
        } else {
            affinityTimeout = nil
        }
        admissions = source.ingress.isEmpty ? nil : endpoints.map { target in
            source.ingress[target.endpoint].map(CompiledAdmission.init) ?? .open
        }
        var index: [Endpoint: Int] = [:]
        if affinityTimeout != nil { for (i, target) in endpoints.enumerated() { index[target.endpoint] = i } }
        endpointIndex = index
        nodeLimit = source.connections.maxConnections
        serviceLimit = source.maxConnections
        self.budget = budget
        connectTimeout = source.connections.connectTimeout.map(Self.nanoseconds)
        idleTimeout = source.idleTimeout.map(Self.nanoseconds) ?? 0
        halfCloseTimeout = source.connections.halfCloseTimeout.map(Self.nanoseconds) ?? 0
    }

    static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
    }

    /// Whether choosing an endpoint needs the client's address.
    var needsClient: Bool { affinityTimeout != nil || admissions != nil }
}

extension ServicePortRoute {
    /// The route for `plan`: `current` when nothing it was made from changed (keeping its
    /// round-robin position, as kube-proxy's balancer did), else a new one that keeps the
    /// service port's shared state.
    static func reusing(_ current: ServicePortRoute?, for plan: ServicePortPlan, connections: ConnectionSettings,
                        budget: ConnectionBudget, statistics: @autoclosure () -> ServicePortStatistics) -> ServicePortRoute {
        let source = RouteSource(affinity: plan.sessionAffinity, ingress: plan.ingress, maxConnections: plan.maxConnections,
                                 idleTimeout: plan.idleTimeout, connections: connections)
        if let current, current.plannedEndpoints == plan.endpoints, current.rules.source == source { return current }
        return ServicePortRoute(plan: plan, statistics: statistics(), source: source, budget: budget,
                                shared: current?.shared ?? ServicePortShared())
    }

    /// `eligible` (endpoint indices, in order) rotated to start at the next round-robin turn.
    func roundRobin(_ eligible: [Int]) -> [Int] {
        guard !eligible.isEmpty else { return [] }
        let position = Int(nextTicket() % UInt(eligible.count))
        return Array(eligible[position...] + eligible[..<position])
    }

    /// The endpoint for connect attempt `attempt` of a connection whose endpoints to try
    /// are `candidates` (nil: every endpoint in round-robin order from `start`).
    func endpoint(start: Int, attempt: Int, candidates: [Int]?) -> EndpointTarget {
        guard let candidates, !candidates.isEmpty else { return endpoint(start: start, attempt: attempt) }
        return endpoints[candidates[attempt % candidates.count]]
    }
}

/// Where an accepted connection may go.
struct EndpointChoice {
    let start: Int
    /// The endpoints to try, in order; nil: all of them from `start`.
    let candidates: [Int]?
    let client: IPBits?
    let tokens: LimitTokens
}

extension Worker {
    /// Chooses the endpoints an accepted connection may try, or refuses it (reset and
    /// logged): no endpoint, a limit reached, or no endpoint that admits the client.
    func chooseEndpoint(route: ServicePortRoute, peer: SocketAddress?, client socket: borrowing FileDescriptor) -> EndpointChoice? {
        guard !route.endpoints.isEmpty else {
            route.statistics.perWorker[index].refusedNoEndpoints.bump()
            logLimited(.notice, event: "no-endpoints", subject: "\(route.name)",
                       "No ready endpoint for \(route.name): refusing connections",
                       metadata: ["service": "\(route.name)", "client": "\(peer.map { "\($0)" } ?? "unknown")"])
            try? socket.setResetOnClose()
            return nil
        }
        let rules = route.rules
        var tokens: LimitTokens = []
        if rules.nodeLimit != nil || rules.serviceLimit != nil {
            guard let taken = acquireLimits(route) else {
                try? socket.setResetOnClose()
                return nil
            }
            tokens = taken
        }
        guard rules.needsClient else {
            guard let start = route.nextStartIndex() else { return nil }
            return EndpointChoice(start: start, candidates: nil, client: nil, tokens: tokens)
        }
        let client = peer.map(IPBits.init)
        var eligible = Array(route.endpoints.indices)
        if let admissions = rules.admissions {
            eligible = admittedEndpoints(of: route, admissions: admissions, client: client)
            if eligible.isEmpty {
                logPolicyDenial(route: route, admissions: admissions, client: client)
                releaseLimits(tokens, route: route)
                try? socket.setResetOnClose()
                return nil
            }
        }
        let candidates: [Int]
        if let timeout = rules.affinityTimeout, let client {
            candidates = affinityCandidates(route: route, timeout: timeout, client: client, eligible: eligible)
        } else {
            candidates = route.roundRobin(eligible)
        }
        guard let first = candidates.first else {
            releaseLimits(tokens, route: route)
            try? socket.setResetOnClose()
            return nil
        }
        return EndpointChoice(start: first, candidates: candidates, client: rules.affinityTimeout == nil ? nil : client, tokens: tokens)
    }

    /// Gives a connection what its choice decided beyond the first endpoint.
    func adopt(_ choice: EndpointChoice, into connection: Connection) {
        connection.candidates = choice.candidates
        connection.affinityClient = choice.client
        connection.limitTokens = choice.tokens
        connection.idleLimit = connection.route.rules.idleTimeout
    }
}
