// What a reload changes, as a value: which listen addresses open, close and stay, which
// service ports get a new route (and which keep theirs, with its round-robin position),
// which node addresses come and go, and which statistics are dropped. The engine only
// carries it out, so the reload invariants ("a kept listener is never closed", "an
// unchanged route is kept") are stated and tested here on plain values.

/// A socket's identity: the same IP, port and transport is the same listener, whichever
/// service port and kind of address it serves.
public struct SocketKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let ip: IPAddress
    public let port: Int
    public let transport: TransportProtocol

    public init(ip: IPAddress, port: Int, transport: TransportProtocol = .tcp) {
        self.ip = ip
        self.port = port
        self.transport = transport
    }

    public var description: String { ip.withPort(port) + (transport == .tcp ? "" : "/\(transport.rawValue)") }

    public static func < (lhs: SocketKey, rhs: SocketKey) -> Bool {
        (lhs.ip, lhs.port, lhs.transport.rawValue) < (rhs.ip, rhs.port, rhs.transport.rawValue)
    }
}

extension ListenAddress {
    public var socketKey: SocketKey { SocketKey(ip: ip, port: port, transport: transport) }
}

/// What a listening socket serves: a service port's TCP relay, or HTTP for the Ingresses.
public enum ListenerTarget: Hashable, Sendable, CustomStringConvertible {
    case servicePort(ServicePortName)
    case ingress
    case ingressTLS
    case dns

    public var description: String {
        switch self {
        case .servicePort(let name): "\(name)"
        case .ingress: "Ingress"
        case .ingressTLS: "Ingress HTTPS"
        case .dns: "cluster DNS"
        }
    }
}

public struct PlanDiff: Sendable, Equatable {
    /// One listen address of the new plan and what it serves (the first service port of
    /// the plan's order that claims it, else the Ingresses).
    public struct Listener: Sendable, Equatable {
        public let address: ListenAddress
        public let target: ListenerTarget
    }

    /// To bind, in the new plan's order.
    public let opened: [Listener]
    /// To keep open: the same socket, perhaps now serving another service port.
    public let kept: [Listener]
    /// To close.
    public let closed: [SocketKey]
    /// Service ports whose route must be made anew: new ones, and those whose endpoints,
    /// affinity, policy, limits or timeouts changed (or the node's connection settings).
    public let newRoutes: Set<ServicePortName>
    /// Service ports whose route stays as it is, round-robin position and all.
    public let keptRoutes: Set<ServicePortName>
    /// Service ports gone from the plan: their statistics and shared state go too.
    public let removedServicePorts: Set<ServicePortName>
    /// Endpoints gone from service ports that stay: their counters go.
    public let removedEndpoints: [ServicePortName: Set<Endpoint>]
    /// Service addresses (ClusterIPs and external IPs, which svcproxy may add to the node)
    /// wanted now and not before, and no longer wanted.
    public let addedServiceAddresses: Set<IPAddress>
    public let removedServiceAddresses: Set<IPAddress>
    /// Whether the Ingress routing table or its settings changed (its addresses aside).
    public let ingressChanged: Bool
    /// Whether the cluster DNS's zone, settings or addresses changed (its addresses are the
    /// zone's nameserver glue).
    public let dnsChanged: Bool
    /// Whether the pods' egress isolation changed: the workers take the new one.
    public let egressChanged: Bool
    /// Whether this diff looked only at some Services (PlanDiff+Services.swift): listeners
    /// and routes it does not name are kept as they are, not closed.
    public let isPartial: Bool

    /// The changes that take `old` (what is served; nil at start) to `new`.
    public init(from old: ProxyPlan?, to new: ProxyPlan) {
        let oldPorts = Dictionary((old?.servicePorts ?? []).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let oldSockets = old.map(Self.claims) ?? []
        var opened: [Listener] = []
        var kept: [Listener] = []
        var seen = Set<SocketKey>()
        for (address, target) in Self.listeners(of: new) where seen.insert(address.socketKey).inserted {
            let listener = Listener(address: address, target: target)
            if oldSockets.contains(address.socketKey) { kept.append(listener) } else { opened.append(listener) }
        }
        self.opened = opened
        self.kept = kept
        isPartial = false
        closed = oldSockets.filter { !seen.contains($0) }.sorted()
        ingressChanged = old?.ingress?.withoutAddresses != new.ingress?.withoutAddresses
        dnsChanged = old?.dns != new.dns
        egressChanged = old?.egress != new.egress

        var newRoutes = Set<ServicePortName>()
        var keptRoutes = Set<ServicePortName>()
        var removedEndpoints: [ServicePortName: Set<Endpoint>] = [:]
        let settingsChanged = old?.connections != new.connections
        for servicePort in new.servicePorts {
            guard let previous = oldPorts[servicePort.name] else {
                newRoutes.insert(servicePort.name)
                continue
            }
            if settingsChanged || !previous.routesLike(servicePort) {
                newRoutes.insert(servicePort.name)
            } else {
                keptRoutes.insert(servicePort.name)
            }
            let gone = Set(previous.reachableEndpoints).subtracting(servicePort.reachableEndpoints)
            if !gone.isEmpty { removedEndpoints[servicePort.name] = gone }
        }
        self.newRoutes = newRoutes
        self.keptRoutes = keptRoutes
        self.removedEndpoints = removedEndpoints
        removedServicePorts = Set(oldPorts.keys).subtracting(new.servicePorts.map(\.name))

        let before = old.map(Self.serviceAddresses) ?? []
        let after = Self.serviceAddresses(of: new)
        addedServiceAddresses = after.subtracting(before)
        removedServiceAddresses = before.subtracting(after)
    }

    /// Every listen address of a plan and what it serves, service ports first, in order.
    static func listeners(of plan: ProxyPlan) -> [(ListenAddress, ListenerTarget)] {
        plan.servicePorts.flatMap { servicePort in servicePort.listenAddresses.map { ($0, .servicePort(servicePort.name)) } }
            + (plan.ingress?.listenAddresses ?? []).map { ($0, .ingress) }
            + (plan.ingress?.tls?.listenAddresses ?? []).map { ($0, .ingressTLS) }
            + (plan.dns?.listenAddresses ?? []).map { ($0, .dns) }
    }

    /// Every socket a plan listens on.
    private static func claims(of plan: ProxyPlan) -> Set<SocketKey> {
        Set(listeners(of: plan).map(\.0.socketKey))
    }

    /// The ClusterIPs and external IPs a plan serves, less loopback and unspecified ones:
    /// the addresses `--cluster-ip-interface` adds to the node when they are not local.
    public static func serviceAddresses(of plan: ProxyPlan) -> Set<IPAddress> {
        Set(plan.servicePorts.flatMap(\.listenAddresses).filter { address in
            (address.kind == .clusterIP || address.kind == .externalIP) && !address.ip.isLoopback && !address.ip.isUnspecified
        }.map(\.ip))
    }
}

extension ServicePortPlan {
    /// Whether connections to `other` go where and as connections to this one do: all
    /// but the listen addresses, which do not change a route.
    func routesLike(_ other: ServicePortPlan) -> Bool {
        var mine = self, theirs = other
        mine.listenAddresses = []
        theirs.listenAddresses = []
        return mine == theirs  // every other field, including any added later
    }
}

extension ProxyPlan {
    /// This plan without the listen addresses in `failed`: what is really served when
    /// those could not be bound, so that the next reload tries them again.
    public func removingListenAddresses(_ failed: Set<SocketKey>) -> ProxyPlan {
        guard !failed.isEmpty else { return self }
        var ingress = ingress
        ingress?.listenAddresses.removeAll { failed.contains($0.socketKey) }
        ingress?.tls?.listenAddresses.removeAll { failed.contains($0.socketKey) }
        var dns = dns
        dns?.listenAddresses.removeAll { failed.contains($0.socketKey) }
        var plan = ProxyPlan(servicePorts: servicePorts.map { servicePort in
            var served = servicePort
            served.listenAddresses = servicePort.listenAddresses.filter { !failed.contains($0.socketKey) }
            return served
        }, connections: connections, ingress: ingress, dns: dns, healthChecks: healthChecks)
        plan.loadBalancers = loadBalancers
        plan.egress = egress
        return plan
    }
}

extension IngressPlan {
    /// This plan without where it listens: what decides whether the routing changed.
    var withoutAddresses: IngressPlan {
        var plan = self
        plan.listenAddresses = []
        plan.tls?.listenAddresses = []
        return plan
    }
}
