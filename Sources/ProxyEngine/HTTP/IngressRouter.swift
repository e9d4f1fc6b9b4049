// Where the Ingress proxy sends each request: the plan's routing table (IngressPlan) with,
// for every path, its counters and its backend's endpoints and round-robin position. One
// router per plan, shared by every worker; a reload that changes the Ingresses swaps in a
// new one, which the next request uses (a keep-alive connection follows the new rules).
import LinuxIO
import ServiceConfig
import Synchronization
import TLS

/// What the HTTPS listeners serve with: the plan's certificates loaded into OpenSSL, and
/// how long a handshake may take.
final class IngressTLSContext: Sendable {
    let server: TLSServerContext
    let handshakeTimeout: UInt64

    init(server: TLSServerContext, handshakeTimeout: UInt64) {
        self.server = server
        self.handshakeTimeout = handshakeTimeout
    }
}

/// An endpoint with its socket address prepared once.
struct HTTPEndpointTarget: Sendable {
    let endpoint: Endpoint
    let address: SocketAddress
}

/// A backend's endpoints and its per-request round-robin position, shared by every path
/// that names it, across workers.
final class IngressBackendRoute: Sendable {
    let servicePort: ServicePortName
    let targets: [HTTPEndpointTarget]
    private let next = Atomic<Int>(0)

    init(_ backend: IngressBackend) {
        servicePort = backend.servicePort
        targets = backend.endpoints.compactMap { endpoint in
            SocketAddress(ip: endpoint.ip.description, port: UInt16(endpoint.port)).map { HTTPEndpointTarget(endpoint: endpoint, address: $0) }
        }
    }

    /// The index of the endpoint the next request takes; nil without endpoints.
    func pick() -> Int? {
        guard !targets.isEmpty else { return nil }
        return next.wrappingAdd(1, ordering: .relaxed).oldValue % targets.count
    }
}

/// A matched path: its counters and its backend.
final class IngressRouteEntry: Sendable {
    let statistics: IngressRouteStatistics
    let backend: IngressBackendRoute

    init(statistics: IngressRouteStatistics, backend: IngressBackendRoute) {
        self.statistics = statistics
        self.backend = backend
    }
}

final class IngressRouter: Sendable {
    let plan: IngressPlan
    /// --ingress-client-header-timeout and --ingress-upstream-timeout, in nanoseconds.
    let headerTimeout: UInt64
    let upstreamTimeout: UInt64
    /// The counters of requests that matched no rule (404).
    let unmatched: IngressRouteStatistics
    /// Every endpoint some backend names: pooled connections to others are closed.
    let endpoints: Set<Endpoint>
    /// The node-wide connection count and `--max-connections`: a client connection of the
    /// Ingress counts as one, as a relayed connection does.
    let budget: ConnectionBudget
    let nodeLimit: Int?
    /// HTTPS, when the plan has TLS.
    let tls: IngressTLSContext?
    /// Shaped as `plan.virtualHosts[host].paths[path]`.
    private let entries: [[IngressRouteEntry]]
    private let defaultEntry: IngressRouteEntry?

    init(plan: IngressPlan, statistics: StatisticsRegistry, budget: ConnectionBudget, nodeLimit: Int?, tls: IngressTLSContext? = nil) {
        self.plan = plan
        self.tls = tls
        self.budget = budget
        self.nodeLimit = nodeLimit
        headerTimeout = plan.settings.clientHeaderTimeout.nanoseconds
        upstreamTimeout = plan.settings.upstreamTimeout.nanoseconds
        var backends: [IngressBackend: IngressBackendRoute] = [:]
        func route(for backend: IngressBackend) -> IngressBackendRoute {
            if let made = backends[backend] { return made }
            let made = IngressBackendRoute(backend)
            backends[backend] = made
            return made
        }
        entries = plan.virtualHosts.map { virtualHost in
            virtualHost.paths.map { path in
                let key = IngressRouteKey(namespace: path.ingress.namespace, ingress: path.ingress.name, host: virtualHost.host.description,
                                          path: path.path, service: path.backend.servicePort.service.name)
                return IngressRouteEntry(statistics: statistics.ingressStatistics(for: key), backend: route(for: path.backend))
            }
        }
        if let backend = plan.defaultBackend, let ingress = plan.defaultBackendIngress {
            let key = IngressRouteKey(namespace: ingress.namespace, ingress: ingress.name, host: "", path: "",
                                      service: backend.servicePort.service.name)
            defaultEntry = IngressRouteEntry(statistics: statistics.ingressStatistics(for: key), backend: route(for: backend))
        } else {
            defaultEntry = nil
        }
        unmatched = statistics.ingressStatistics(for: .unmatched)
        endpoints = Set(plan.backends.flatMap(\.endpoints))
    }

    /// Every path's counters key, so that a reload can drop the others.
    var statisticsKeys: Set<IngressRouteKey> {
        Set(entries.joined().map(\.statistics.key) + [defaultEntry?.statistics.key, unmatched.key].compactMap { $0 })
    }

    /// The entry for a request, or nil: no rule and no default backend (404).
    func decide(host: Substring, path: Substring) -> IngressRouteEntry? {
        switch plan.locate(host: host, path: path) {
        case .path(let host, let path): entries[host][path]
        case .defaultBackend: defaultEntry
        case .none: nil
        }
    }
}
