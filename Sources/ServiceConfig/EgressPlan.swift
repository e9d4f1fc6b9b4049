// NetworkPolicy egress as the plan carries it: for each pod that egress policies isolate,
// where it may connect; and for each client address, the egress that binds a connection
// from it. A destination is an endpoint (the address a connection is relayed to, as
// network plugins see the destination after translation): `ipBlock` peers match its
// address, pod and namespace selectors its pod (resolved here to pod keys), `ports` its
// port, protocol and its pod's port names. Worked out over all objects on every plan
// (NetworkPolicyEgress.swift), like the DNS names; the engine holds it once per worker.

/// Where one rule lets a pod connect.
public struct EgressRule: Hashable, Sendable, CustomStringConvertible {
    public enum Peer: Hashable, Sendable, CustomStringConvertible {
        /// An `ipBlock`: an endpoint address inside `cidr` and outside every `except`.
        case block(CIDR, except: [CIDR])
        /// The pods that pod and namespace selectors chose, sorted.
        case pods([ObjectKey])

        public var description: String {
            switch self {
            case .block(let cidr, let holes): holes.isEmpty ? "\(cidr)" : "\(cidr) except \(holes.map(\.description).joined(separator: ", "))"
            case .pods(let keys): keys.isEmpty ? "no pod" : "pods " + keys.map(\.description).joined(separator: ", ")
            }
        }
    }

    /// Nil: anywhere (a rule without `to`).
    public let to: [Peer]?
    /// Nil: every port (a rule without `ports`).
    public let ports: [PolicyPortMatch]?

    public init(to: [Peer]?, ports: [PolicyPortMatch]?) {
        self.to = to
        self.ports = ports
    }

    /// "to pods x/a, 10.0.0.0/8 on TCP 80, UDP port dns".
    public var description: String {
        let peers = to.map { "to " + $0.map(\.description).joined(separator: ", ") } ?? "anywhere"
        return peers + (ports.map { " on " + $0.map(\.description).joined(separator: ", ") } ?? "")
    }
}

/// The egress policies that isolate a pod (or the pods at one address) and all their rules.
public struct EgressIsolation: Hashable, Sendable {
    /// Sorted: the ones to name on a denial.
    public let policies: [ObjectKey]
    /// The rules of every one of them; none allows nothing.
    public let rules: [EgressRule]

    public init(policies: [ObjectKey], rules: [EgressRule]) {
        self.policies = policies
        self.rules = rules
    }
}

public struct EgressPlan: Hashable, Sendable {
    /// A pod that egress policies isolate.
    public struct IsolatedPod: Hashable, Sendable {
        public let key: ObjectKey
        public let ips: [IPAddress]
        public let isolation: EgressIsolation
    }

    /// Sorted by key.
    public let pods: [IsolatedPod]
    /// The egress that binds a client at each address: its pod's, or the rules of all the
    /// pods that share the address when every one of them is isolated (a connection from
    /// it may be any of them). An address absent here is unrestricted.
    public let clients: [IPAddress: EgressIsolation]

    public init(pods: [IsolatedPod] = [], clients: [IPAddress: EgressIsolation] = [:]) {
        self.pods = pods
        self.clients = clients
    }

    public var isEmpty: Bool { pods.isEmpty }
}
