// Which clients each endpoint admits, worked out once per plan from the NetworkPolicies,
// Pods and Namespaces of the configuration. An endpoint is its pod (EndpointPods.swift),
// not its address: an endpoint whose pod no ingress policy selects admits everyone (and
// has no entry), even where a selected pod shares its address; a selected one admits
// exactly the peers that some rule of some selecting policy allows on the endpoint's port
// and protocol: a rule without `ports` allows every protocol, a port entry only its own
// (TCP when it names none, as the API server defaults it), a named port as the endpoint's
// own pod names it. A client is known only by its address, so pod and namespace selectors
// are resolved here to the addresses of the pods they choose (hostNetwork pods aside, whose
// traffic is the node's), and the engine compares the client's address with address
// blocks and sets. A client address that several pods share is each of them.

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
    /// The configuration holds NetworkPolicies: endpoints are resolved to their pods
    /// (without any, nothing is kept of them, and a plan costs what it did before).
    let isActive: Bool
    let pods: PodDirectory
    let peers: PolicyPeers

    init(objects: ConfigObjects) {
        policiesByNamespace = Dictionary(grouping: objects.networkPolicies.filter(\.affectsIngress), by: \.key.namespace)
        isActive = !objects.networkPolicies.isEmpty
        pods = PodDirectory(pods: isActive ? objects.pods : [])
        peers = PolicyPeers(objects: isActive ? objects : ConfigObjects())
    }

    /// The pods of `endpoints` (of service port `name`, over `transport`) and the
    /// admission of every isolated one, with a note for each endpoint whose pod its
    /// address alone chose among several; nothing while no NetworkPolicy exists.
    func identify(_ endpoints: [LocatedEndpoint], of name: ServicePortName,
                  transport: TransportProtocol) -> (pods: [Endpoint: EndpointPod], ingress: [Endpoint: IngressAdmission], notes: [String]) {
        guard isActive else { return ([:], [:], []) }
        var pods: [Endpoint: EndpointPod] = [:]
        var ingress: [Endpoint: IngressAdmission] = [:]
        var notes: [String] = []
        for located in endpoints {
            let endpoint = located.endpoint
            guard let resolved = self.pods.resolve(located.pod, at: endpoint, transport) else { continue }
            pods[endpoint] = EndpointPod(key: resolved.key, portNames: resolved.pod?.portNames(at: endpoint.port, transport) ?? [])
            if !resolved.sharedWith.isEmpty {
                notes.append("Endpoint \(endpoint) of \(name) is at an address of several pods and its source names none: "
                    + "taken as pod \(resolved.key), not \(resolved.sharedWith.map(\.description).joined(separator: ", ")) "
                    + "(a targetRef names the pod)")
            }
            if let pod = resolved.pod, let admission = admission(for: endpoint, of: pod, transport: transport) {
                ingress[endpoint] = admission
            }
        }
        return (pods, ingress, notes)
    }

    /// Whether a selector peer of ingress policy `key` may choose one of `pods` (as it is
    /// or was): then the policy's admissions may change with them.
    func admitsAnyOf(_ pods: [Pod], policy key: ObjectKey) -> Bool {
        guard let policy = policiesByNamespace[key.namespace]?.first(where: { $0.key == key }) else { return true }
        return policy.ingress.contains { rule in
            rule.from.contains { peer in pods.contains { peers.selects(peer, policyNamespace: key.namespace, $0) } }
        }
    }

    /// The ingress policies that select `pod`, sorted by key.
    func policies(selecting pod: Pod) -> [NetworkPolicy] {
        (policiesByNamespace[pod.key.namespace] ?? []).filter { $0.podSelector.matches(pod.labels) }.sorted { $0.key < $1.key }
    }

    /// Who may reach `endpoint` of `pod` over `transport`; nil when no ingress policy
    /// selects the pod.
    func admission(for endpoint: Endpoint, of pod: Pod, transport: TransportProtocol) -> IngressAdmission? {
        let selecting = policies(selecting: pod)
        guard !selecting.isEmpty else { return nil }
        let keys = selecting.map(\.key)
        let portNames = pod.portNames(at: endpoint.port, transport)
        var peers: [IngressPeer] = []
        var addresses: Set<IPAddress> = []
        for policy in selecting {
            for rule in policy.ingress
            where rule.ports.isEmpty || rule.ports.contains(where: { PolicyPortMatch($0).matches(endpoint.port, transport, portNames: portNames) }) {
                if rule.from.isEmpty { return IngressAdmission(policies: keys, peers: [.anyone]) }
                for peer in rule.from {
                    if let block = peer.ipBlock {
                        guard let cidr = CIDR(block.cidr) else { continue }
                        let entry = IngressPeer.block(cidr, except: block.except.compactMap(CIDR.init))
                        if !peers.contains(entry) { peers.append(entry) }
                    } else {
                        let chosen = self.peers.pods(selectedBy: peer, policyNamespace: policy.key.namespace)
                        addresses.formUnion(chosen.filter { !$0.hostNetwork }.flatMap(\.ips))
                    }
                }
            }
        }
        if !addresses.isEmpty { peers.append(.addresses(addresses.sorted())) }
        return IngressAdmission(policies: keys, peers: peers)
    }
}
