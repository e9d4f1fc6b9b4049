// NetworkPolicy egress at accept: the plan says where each isolated client address may
// connect (ServiceConfig's EgressPlan); here that is compiled once per plan into a table
// from client address to rules, which each worker's loop holds. A connection from an
// address in the table goes only to the endpoints some rule allows: an `ipBlock` by the
// endpoint's address, pod selectors by the endpoint's pod, `ports` by its port, protocol
// and its pod's port names. A client address not in the table is not restricted; the
// check per connection is one hash lookup, and only for a bound client a few compares per
// endpoint (RoutePolicy.swift).
import LinuxIO
import ServiceConfig

/// The egress rules that bind one client address, in the engine's form.
final class ClientEgress: Sendable {
    struct Rule: Sendable {
        /// A rule without `to`.
        let anywhere: Bool
        let blocks: [HoledBlock]
        let pods: Set<ObjectKey>
        /// Nil: every port.
        let ports: [PolicyPortMatch]?

        init(_ rule: EgressRule) {
            var blocks: [HoledBlock] = []
            var pods = Set<ObjectKey>()
            for peer in rule.to ?? [] {
                switch peer {
                case .block(let cidr, let holes): blocks.append(HoledBlock(cidr, except: holes))
                case .pods(let keys): pods.formUnion(keys)
                }
            }
            anywhere = rule.to == nil
            self.blocks = blocks
            self.pods = pods
            ports = rule.ports
        }

        func allows(_ target: EndpointTarget, _ transport: TransportProtocol) -> Bool {
            if let ports, !ports.contains(where: { $0.matches(target.endpoint.port, transport, portNames: target.portNames) }) {
                return false
            }
            if anywhere { return true }
            if let pod = target.pod, pods.contains(pod) { return true }
            return blocks.contains { $0.contains(target.endpoint.ip) }
        }
    }

    let rules: [Rule]
    /// "x/deny-egress, x/allow-dns", for log lines.
    let policies: String

    init(_ isolation: EgressIsolation) {
        rules = isolation.rules.map(Rule.init)
        policies = isolation.policies.map(\.description).joined(separator: ", ")
    }

    /// Whether some rule lets the client reach `target` over `transport`.
    func allows(_ target: EndpointTarget, _ transport: TransportProtocol) -> Bool {
        rules.contains { $0.allows(target, transport) }
    }
}

/// Every isolated client address of a plan and the rules that bind it.
final class CompiledEgress: Sendable {
    static let none = CompiledEgress(EgressPlan())

    private let clients: [IPAddress: ClientEgress]

    init(_ plan: EgressPlan) {
        // Addresses of pods selected by the same policies share one compiled value.
        var compiled: [EgressIsolation: ClientEgress] = [:]
        var clients: [IPAddress: ClientEgress] = [:]
        for (ip, isolation) in plan.clients {
            let egress = compiled[isolation] ?? ClientEgress(isolation)
            compiled[isolation] = egress
            clients[ip] = egress
        }
        self.clients = clients
    }

    var isEmpty: Bool { clients.isEmpty }

    /// The rules binding a connection from `peer`, or nil when none do.
    @inline(__always)
    func rules(for peer: SocketAddress?) -> ClientEgress? {
        guard !clients.isEmpty, let peer else { return nil }
        return clients[IPAddress(peer)]
    }
}
