// Which clients each endpoint admits, worked out once per plan from the NetworkPolicies,
// Pods and Namespaces of the configuration. An endpoint whose pod no ingress policy selects
// admits everyone (and has no entry); a selected one admits exactly the peers that some
// rule of some selecting policy allows on the endpoint's port and protocol: a rule without
// `ports` allows every protocol, a port entry only its own (TCP when it names none, as the
// API server defaults it). Pod and namespace selectors are resolved here to the pods' IP
// addresses, so that the engine only compares the client's address with address blocks and sets.

/// A client a policy lets in, in the form the engine checks per connection.
public enum IngressPeer: Hashable, Sendable, CustomStringConvertible {
    /// A rule with no `from`: any client.
    case anyone
    /// An `ipBlock`: inside `cidr` and outside every `except`.
    case block(CIDR, except: [CIDR])
    /// The IP addresses of the pods that pod and namespace selectors chose, sorted.
    case addresses([IPAddress])

    public func admits(_ ip: IPAddress) -> Bool {
        switch self {
        case .anyone: true
        case .block(let cidr, let holes): cidr.contains(ip) && !holes.contains { $0.contains(ip) }
        case .addresses(let addresses): addresses.contains(ip)
        }
    }

    public var description: String {
        switch self {
        case .anyone: "anyone"
        case .block(let cidr, let holes): holes.isEmpty ? "\(cidr)" : "\(cidr) except \(holes.map(\.description).joined(separator: ", "))"
        case .addresses(let addresses): "pods " + addresses.map(\.description).joined(separator: ", ")
        }
    }
}

/// Who may connect to one isolated endpoint.
public struct IngressAdmission: Hashable, Sendable {
    /// The ingress policies selecting the endpoint's pod, sorted: the ones to name on a denial.
    public let policies: [ObjectKey]
    /// Everyone any rule of those policies lets in on this port; empty denies everyone.
    public let peers: [IngressPeer]

    public init(policies: [ObjectKey], peers: [IngressPeer]) {
        self.policies = policies
        self.peers = peers
    }

    public func admits(_ ip: IPAddress) -> Bool { peers.contains { $0.admits(ip) } }
}

/// Resolves endpoints to their pods and those pods to the policies that isolate them.
struct IngressResolver {
    private let policiesByNamespace: [String: [NetworkPolicy]]
    private let podsByIP: [IPAddress: Pod]
    private let podsByNamespace: [String: [Pod]]
    private let namespaceLabels: [String: [String: String]]

    init(objects: ConfigObjects) {
        policiesByNamespace = Dictionary(grouping: objects.networkPolicies.filter(\.affectsIngress), by: \.key.namespace)
        let live = objects.pods.filter { !$0.terminated }
        var byIP: [IPAddress: Pod] = [:]
        for pod in live { for ip in pod.ips where byIP[ip] == nil { byIP[ip] = pod } }
        podsByIP = byIP
        podsByNamespace = Dictionary(grouping: live, by: \.key.namespace)
        var labels: [String: [String: String]] = [:]
        for pod in live { labels[pod.key.namespace] = [Namespace.nameLabel: pod.key.namespace] }
        for policy in objects.networkPolicies { labels[policy.key.namespace] = labels[policy.key.namespace] ?? [Namespace.nameLabel: policy.key.namespace] }
        for namespace in objects.namespaces { labels[namespace.name] = namespace.labels }
        namespaceLabels = labels
    }

    /// Nothing to check at all: no policy isolates any pod.
    var isEmpty: Bool { policiesByNamespace.isEmpty }

    /// The admission of every isolated endpoint among `endpoints`, reached over `transport`.
    func admissions(for endpoints: [Endpoint], transport: TransportProtocol) -> [Endpoint: IngressAdmission] {
        guard !isEmpty else { return [:] }
        var result: [Endpoint: IngressAdmission] = [:]
        for endpoint in endpoints {
            if let admission = admission(for: endpoint, transport: transport) { result[endpoint] = admission }
        }
        return result
    }

    /// Nil when no ingress policy selects the endpoint's pod (or it is no known pod).
    func admission(for endpoint: Endpoint, transport: TransportProtocol) -> IngressAdmission? {
        guard let pod = podsByIP[endpoint.ip] else { return nil }
        let selecting = (policiesByNamespace[pod.key.namespace] ?? []).filter { $0.podSelector.matches(pod.labels) }
        guard !selecting.isEmpty else { return nil }
        var peers: [IngressPeer] = []
        var addresses: Set<IPAddress> = []
        for policy in selecting {
            for rule in policy.ingress
            where rule.ports.isEmpty || rule.ports.contains(where: { Self.port($0, matches: endpoint.port, transport, of: pod) }) {
                if rule.from.isEmpty { return IngressAdmission(policies: selecting.map(\.key).sorted(), peers: [.anyone]) }
                for peer in rule.from {
                    if let block = peer.ipBlock {
                        guard let cidr = CIDR(block.cidr) else { continue }
                        let entry = IngressPeer.block(cidr, except: block.except.compactMap(CIDR.init))
                        if !peers.contains(entry) { peers.append(entry) }
                    } else {
                        addresses.formUnion(podAddresses(selectedBy: peer, policyNamespace: policy.key.namespace))
                    }
                }
            }
        }
        if !addresses.isEmpty { peers.append(.addresses(addresses.sorted())) }
        return IngressAdmission(policies: selecting.map(\.key).sorted(), peers: peers)
    }

    /// Whether a rule's port entry covers `number` over `transport` on `pod`. The entry's
    /// protocol must be the transport's (TCP when it names none); a named port is looked up
    /// among the pod's container ports of that protocol, as the network plugins do.
    static func port(_ entry: NetworkPolicyPort, matches number: Int, _ transport: TransportProtocol, of pod: Pod) -> Bool {
        guard (entry.protocol ?? TransportProtocol.tcp.rawValue) == transport.rawValue else { return false }
        switch entry.port {
        case nil: return true
        case .int(let first)?: return entry.endPort.map { (first...max(first, $0)).contains(number) } ?? (first == number)
        case .string(let name)?: return pod.ports.contains { $0.name == name && $0.protocol == transport && $0.containerPort == number }
        }
    }

    /// The IPs of the pods a selector peer chooses: `podSelector` alone picks in the
    /// policy's namespace, `namespaceSelector` alone picks every pod of the namespaces it
    /// matches, and both pick the matching pods of the matching namespaces.
    private func podAddresses(selectedBy peer: NetworkPolicyPeer, policyNamespace: String) -> [IPAddress] {
        let namespaces: [String]
        if let selector = peer.namespaceSelector {
            namespaces = namespaceLabels.filter { selector.matches($0.value) }.map(\.key)
        } else {
            namespaces = [policyNamespace]
        }
        return namespaces.flatMap { namespace in
            (podsByNamespace[namespace] ?? []).filter { peer.podSelector?.matches($0.labels) ?? true }.flatMap(\.ips)
        }
    }
}
