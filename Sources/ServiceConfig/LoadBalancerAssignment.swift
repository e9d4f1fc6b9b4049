// Which address each LoadBalancer Service of our class is served on when no cloud writes
// one (issue 17), after the two controllers users know:
//
// - Node mode, k3s ServiceLB's way (no pool configured): a Service without an address of
//   its own is served at its `port` on the node's addresses. An address, port and
//   transport serves one Service: the oldest (`metadata.creationTimestamp`, then
//   namespace/name) gets it, a younger one that wants any of the same sockets waits,
//   pending, until the port frees up on a later reload. Sockets that other listeners
//   already hold (NodePorts, external IPs, written load-balancer IPs, the Ingress
//   controller's and the cluster DNS's addresses, a wildcard one holding its port on every
//   address of its family) are taken for good: a specific address bound beside a wildcard
//   one with SO_REUSEPORT would quietly take that address's connections from it.
// - Pool mode, MetalLB layer 2's way: a Service gets one address from a pool (the one its
//   annotation `svcproxy.io/load-balancer-pool` names, else the first with room). A
//   `spec.loadBalancerIP` (or a status address) inside a pool is honoured; otherwise the
//   address it had in the previous plan is kept (a reload moves nothing), else one is
//   derived from its name by a stable hash (a restart gives the same, as ClusterIPs in
//   Allocation.swift), probing onward on a collision. Requested addresses are placed
//   first, remembered ones next, derived ones last, oldest first in each round, so that a
//   full pool leaves the youngest Services pending and a deletion frees an address for them.
//
// Services of another `spec.loadBalancerClass`, and ours that carry addresses outside the
// pools, are not assigned anything: they are served on their written addresses as before.
import Foundation

/// What became of one LoadBalancer Service of our class.
public struct LoadBalancerState: Hashable, Sendable {
    public let service: ObjectKey
    /// The pool its address comes from; nil in node mode.
    public let pool: String?
    /// The addresses it is served on; empty while pending.
    public let addresses: [IPAddress]
    /// Why it has no address yet; nil once served.
    public let pendingReason: String?

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
    /// The pool addresses of the previous plan, which a reload keeps.
    let previous: [ObjectKey: IPAddress]
    /// The ClusterIPs (a Service's family) and NodePorts (sockets taken) of this plan.
    let allocations: Allocations
    private(set) var result = LoadBalancerAssignments()
    /// The pool addresses given out, for the next plan's `previous`.
    private(set) var allocated: [ObjectKey: IPAddress] = [:]
    private(set) var notes: [String] = []
    /// The node's own listeners (Ingress controller, cluster DNS) and who holds each.
    var reserved: [(address: BindAddress, transport: TransportProtocol, holder: String)] = []

    init(settings: NodeSettings, previous: Allocations?, allocations: Allocations) {
        self.settings = settings
        self.previous = previous?.loadBalancerIPs ?? [:]
        self.allocations = allocations
    }

    /// Assigns addresses to the LoadBalancer Services of our class among `services`.
    mutating func assign(_ services: [Service]) {
        let ours = services.filter(\.isOurLoadBalancer).sorted {
            CreationTime.isOlder((CreationTime.date($0.creationTimestamp), $0.key), (CreationTime.date($1.creationTimestamp), $1.key))
        }
        if settings.loadBalancerIPPools.isEmpty {
            assignNodeAddresses(ours.filter { PlanBuilder.loadBalancerIPs(of: $0).isEmpty }, all: services)
        } else {
            assignPools(ours)
        }
    }

    private mutating func pending(_ service: Service, pool: String?, _ reason: String) {
        result.set(LoadBalancerState(service: service.key, pool: pool, addresses: [], pendingReason: reason))
        notes.append("\(service.label): LoadBalancer pending: \(reason)")
    }

    // MARK: Node mode

    private mutating func assignNodeAddresses(_ wanting: [Service], all services: [Service]) {
        let addresses = settings.selectedLoadBalancerAddresses
        var owners = Self.sockets(heldBy: services, settings: settings, allocations: allocations)
        for service in wanting {
            guard !addresses.isEmpty else {
                pending(service, pool: nil, "no node address lies in --load-balancer-addresses")
                continue
            }
            let sockets = service.ports.filter { $0.protocol != .sctp }.flatMap { port in
                addresses.map { SocketKey(ip: $0, port: port.port, transport: port.protocol) }
            }
            if let taken = sockets.first(where: { owners[$0] != nil && owners[$0] != service.key }), let owner = owners[taken] {
                pending(service, pool: nil, "\(taken) is taken by \(owner)")
                continue
            }
            if let socket = sockets.first(where: { holder(of: $0) != nil }), let holder = holder(of: socket) {
                pending(service, pool: nil, "\(socket) is taken by \(holder)")
                continue
            }
            for socket in sockets { owners[socket] = service.key }
            result.set(LoadBalancerState(service: service.key, pool: nil, addresses: addresses, pendingReason: nil))
        }
    }

    /// Which of the node's own listeners holds `socket`, if one does.
    private func holder(of socket: SocketKey) -> String? {
        reserved.first { entry in
            entry.transport == socket.transport && Int(entry.address.port) == socket.port
                && (entry.address.ip == socket.ip || (entry.address.ip.isUnspecified && entry.address.ip.family == socket.ip.family))
        }?.holder
    }

    /// The node's own listeners that this configuration opens: the Ingress controller's
    /// while an Ingress of our class is served (HTTPS while one has `spec.tls`), the
    /// cluster DNS's over UDP and TCP.
    static func nodeListeners(objects: ConfigObjects, settings: NodeSettings)
        -> [(address: BindAddress, transport: TransportProtocol, holder: String)] {
        let served = IngressSelection(objects: objects, className: settings.ingressClass).served
        var result: [(address: BindAddress, transport: TransportProtocol, holder: String)] = []
        if !served.isEmpty {
            result += settings.ingressHTTPBindAddresses.map { ($0, .tcp, "the Ingress controller (--ingress-http-bind-address)") }
        }
        if served.contains(where: { !$0.tls.isEmpty }) {
            result += settings.ingressHTTPSBindAddresses.map { ($0, .tcp, "the Ingress controller (--ingress-https-bind-address)") }
        }
        for address in settings.dnsBindAddresses {
            result += [(address, .udp, "the cluster DNS (--dns-bind-address)"), (address, .tcp, "the cluster DNS (--dns-bind-address)")]
        }
        return result
    }

    /// The sockets other listeners of the plan hold on any address: NodePorts on the node
    /// addresses, external IPs and written load-balancer IPs at their ports.
    static func sockets(heldBy services: [Service], settings: NodeSettings, allocations: Allocations) -> [SocketKey: ObjectKey] {
        var owners: [SocketKey: ObjectKey] = [:]
        let nodeAddresses = settings.selectedNodePortAddresses
        for service in services where service.isProxied {
            let written = service.externalIPs.compactMap(IPAddress.init)
                + (service.type == .loadBalancer ? PlanBuilder.loadBalancerIPs(of: service) : [])
            for port in service.ports where port.protocol != .sctp {
                for ip in written { owners[SocketKey(ip: ip, port: port.port, transport: port.protocol)] = service.key }
                guard let nodePort = allocations.nodePorts[ServicePortName(service: service.key, port: port.name)] else { continue }
                for ip in nodeAddresses { owners[SocketKey(ip: ip, port: nodePort, transport: port.protocol)] = service.key }
            }
        }
        return owners
    }

    // MARK: Pool mode

    /// The pools `service` may take an address from: the one its annotation names, else
    /// all in order; nil when the annotation names none.
    private func pools(for service: Service) -> [LoadBalancerPool]? {
        guard let name = service.annotations[Service.loadBalancerPoolAnnotation] else { return settings.loadBalancerIPPools }
        return settings.loadBalancerIPPools.first { $0.name == name }.map { [$0] }
    }

    private mutating func assignPools(_ services: [Service]) {
        var taken: [IPAddress: ObjectKey] = [:]
        var wanting: [(Service, [LoadBalancerPool])] = []
        // Requested addresses first, oldest first: a younger Service asking for the same waits.
        for service in services {
            guard let pools = pools(for: service) else {
                let name = service.annotations[Service.loadBalancerPoolAnnotation] ?? ""
                pending(service, pool: name, "there is no pool named \"\(name)\" (annotation \(Service.loadBalancerPoolAnnotation))")
                continue
            }
            let written = PlanBuilder.loadBalancerIPs(of: service)
            guard !written.isEmpty else {
                wanting.append((service, pools))
                continue
            }
            guard let ip = written.first(where: { ip in pools.contains { $0.contains(ip) } }), let pool = pools.first(where: { $0.contains(ip) })
            else {
                notes.append("\(service.label): its load-balancer addresses lie in no pool of its own; served there, not added to the interface")
                continue
            }
            if let owner = taken[ip] {
                pending(service, pool: pool.name, "\(ip) is taken by \(owner)")
                continue
            }
            take(ip, pool: pool, for: service, taken: &taken)
        }
        // Remembered addresses next, all of them, so that no new Service takes one.
        var deriving: [(Service, [LoadBalancerPool])] = []
        for (service, pools) in wanting {
            if let ip = previous[service.key], taken[ip] == nil, let pool = pools.first(where: { $0.contains(ip) }) {
                take(ip, pool: pool, for: service, taken: &taken)
            } else {
                deriving.append((service, pools))
            }
        }
        for (service, pools) in deriving {
            let family = allocations.clusterIPs[service.key]?.first?.family
            guard let (ip, pool) = pools.lazy.compactMap({ pool in Self.derive(for: service.key, in: pool, family: family, taken: taken).map { ($0, pool) } }).first
            else {
                let names = pools.map(\.name).joined(separator: ", ")
                pending(service, pool: pools.count == 1 ? pools.first?.name : nil, "no free address in pool\(pools.count == 1 ? "" : "s") \(names)")
                continue
            }
            take(ip, pool: pool, for: service, taken: &taken)
            notes.append("\(service.label): allocated load-balancer address \(ip) from pool \(pool.name)")
        }
    }

    private mutating func take(_ ip: IPAddress, pool: LoadBalancerPool, for service: Service, taken: inout [IPAddress: ObjectKey]) {
        taken[ip] = service.key
        allocated[service.key] = ip
        result.set(LoadBalancerState(service: service.key, pool: pool.name, addresses: [ip], pendingReason: nil))
    }

    /// The addresses of `cidr` a Service may get: an IPv4 block of more than two leaves out
    /// its network and broadcast addresses, an IPv6 block of more than two its
    /// subnet-router anycast address (RFC 4291 2.6.1); a /31, /32, /127 or /128 gives all.
    static func usable(_ cidr: CIDR) -> (first: UInt64, count: UInt64) {
        let count = cidr.addressCount
        guard count > 2 else { return (0, count) }
        return cidr.address.family == .ipv4 ? (1, count - 2) : (1, count - 1)
    }

    /// A free address of `pool`, in `family`'s blocks when it has any, from a stable hash of
    /// the Service's name, probing onward over the pool's blocks taken as one range.
    static func derive(for key: ObjectKey, in pool: LoadBalancerPool, family: IPAddress.Family?, taken: [IPAddress: ObjectKey]) -> IPAddress? {
        let ofFamily = pool.cidrs.filter { $0.address.family == family }
        let blocks = (ofFamily.isEmpty ? pool.cidrs : ofFamily).map { ($0, usable($0)) }
        let total = blocks.reduce(UInt64(0)) { $0 &+ $1.1.count }
        guard total > 0 else { return nil }
        let start = Allocator.stableHash("\(key)|\(pool.name)") % total
        for step in 0...UInt64(taken.count) where step < total {
            var index = (start + step) % total
            for (cidr, range) in blocks {
                guard index >= range.count else {
                    let candidate = cidr.address(at: range.first + index)
                    if taken[candidate] == nil { return candidate }
                    break
                }
                index -= range.count
            }
        }
        return nil
    }
}
