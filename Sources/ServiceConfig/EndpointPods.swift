// Which pod an endpoint is, and which pods a client address may be. NetworkPolicy decides
// per pod, not per address, because pods may share one: hostNetwork pods share the node's,
// and on one node pods are often all reached on 127.0.0.1, each at ports of its own. So an
// endpoint carries the pod its source names: the selector join takes the Pod itself, an
// EndpointSlice's or Endpoints' `targetRef` names it. Only an endpoint whose source names
// nothing is looked up by its address; where several pods have that address, the one
// declaring a container port at the endpoint's port is taken, else the first by namespace
// and name, with a note saying to name it with `targetRef`.
//
// A client is known by its address alone: it may be any live pod with that address, but
// never a hostNetwork pod, whose traffic cannot be told from the node's (the second of the
// behaviours the NetworkPolicy documentation allows for hostNetwork pods).

/// What an endpoint's source says of the pod behind it.
public enum PodReference: Hashable, Sendable {
    /// A Pod, by key: the selector join's, or a `targetRef` of kind Pod.
    case named(ObjectKey)
    /// A `targetRef` of another kind: the endpoint is no pod.
    case notAPod
    /// Nothing: the pod is looked up by the endpoint's address.
    case unnamed

    /// What a `targetRef` of an object in `namespace` says: a Pod when its kind is Pod or
    /// left out and it has a name (its namespace defaulting to the object's).
    init(kind: String?, namespace: String?, name: String?, in objectNamespace: String) {
        let kind = kind ?? ""
        guard kind == "Pod" || kind.isEmpty, let name, !name.isEmpty else {
            self = kind.isEmpty ? .unnamed : .notAPod
            return
        }
        self = .named(ObjectKey(namespace: namespace ?? objectNamespace, name: name))
    }
}

/// The pod behind an endpoint, as the plan keeps it for NetworkPolicy egress: whether a
/// rule's pod selectors choose it, and which names its port has.
public struct EndpointPod: Hashable, Sendable, CustomStringConvertible {
    public let key: ObjectKey
    /// The names of the pod's container ports at the endpoint's port and protocol.
    public let portNames: [String]

    public init(key: ObjectKey, portNames: [String] = []) {
        self.key = key
        self.portNames = portNames
    }

    public var description: String { "pod \(key)" }
}

/// An endpoint's pod as resolved: its key, the Pod when the configuration holds it, and
/// the other pods at its address when the address alone chose among several.
struct ResolvedPod {
    let key: ObjectKey
    let pod: Pod?
    let sharedWith: [ObjectKey]
}

/// The configuration's pods by key and by address.
struct PodDirectory {
    private let podsByKey: [ObjectKey: Pod]
    /// Live pods (not terminated) by address, sorted by key.
    private let livePodsByIP: [IPAddress: [Pod]]

    init(pods: [Pod]) {
        podsByKey = Dictionary(pods.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        var byIP: [IPAddress: [Pod]] = [:]
        for pod in pods.sorted(by: { $0.key < $1.key }) where !pod.terminated {
            for ip in pod.ips { byIP[ip, default: []].append(pod) }
        }
        livePodsByIP = byIP
    }

    /// The pod behind `endpoint` of a `transport` port, or nil when it is no known pod.
    func resolve(_ reference: PodReference, at endpoint: Endpoint, _ transport: TransportProtocol) -> ResolvedPod? {
        switch reference {
        case .named(let key):
            return ResolvedPod(key: key, pod: podsByKey[key], sharedWith: [])
        case .notAPod:
            return nil
        case .unnamed:
            guard let candidates = livePodsByIP[endpoint.ip], let first = candidates.first else { return nil }
            guard candidates.count > 1 else { return ResolvedPod(key: first.key, pod: first, sharedWith: []) }
            let serving = candidates.filter { pod in
                pod.ports.contains { $0.containerPort == endpoint.port && $0.protocol == transport }
            }
            if serving.count == 1, let pod = serving.first { return ResolvedPod(key: pod.key, pod: pod, sharedWith: []) }
            let chosen = serving.first ?? first
            return ResolvedPod(key: chosen.key, pod: chosen, sharedWith: candidates.map(\.key).filter { $0 != chosen.key })
        }
    }

    /// The pods a connection from `ip` may come from: the live pods with that address,
    /// hostNetwork pods aside.
    func clientPods(at ip: IPAddress) -> [Pod] {
        (livePodsByIP[ip] ?? []).filter { !$0.hostNetwork }
    }
}

/// The pods and namespaces that policy peers (`podSelector`, `namespaceSelector`) choose
/// from: live pods, and every namespace the configuration names (a Namespace object's
/// labels, else only the name label the API server puts on each).
struct PolicyPeers {
    private let podsByNamespace: [String: [Pod]]
    private let namespaceLabels: [String: [String: String]]

    init(objects: ConfigObjects) {
        let live = objects.pods.filter { !$0.terminated }
        podsByNamespace = Dictionary(grouping: live.sorted { $0.key < $1.key }, by: \.key.namespace)
        var labels: [String: [String: String]] = [:]
        for pod in live { labels[pod.key.namespace] = [Namespace.nameLabel: pod.key.namespace] }
        for policy in objects.networkPolicies { labels[policy.key.namespace] = labels[policy.key.namespace] ?? [Namespace.nameLabel: policy.key.namespace] }
        for namespace in objects.namespaces { labels[namespace.name] = namespace.labels }
        namespaceLabels = labels
    }

    /// The pods a selector peer of a policy in `policyNamespace` chooses: `podSelector`
    /// alone picks in the policy's namespace, `namespaceSelector` alone every pod of the
    /// namespaces it matches, and both the matching pods of the matching namespaces.
    func pods(selectedBy peer: NetworkPolicyPeer, policyNamespace: String) -> [Pod] {
        guard peer.ipBlock == nil else { return [] }
        let namespaces: [String]
        if let selector = peer.namespaceSelector {
            namespaces = namespaceLabels.filter { selector.matches($0.value) }.map(\.key).sorted()
        } else {
            namespaces = [policyNamespace]
        }
        return namespaces.flatMap { namespace in
            (podsByNamespace[namespace] ?? []).filter { peer.podSelector?.matches($0.labels) ?? true }
        }
    }

    /// Whether a selector peer of a policy in `policyNamespace` chooses `pod`, live or not
    /// (for finding what a changed pod may have been chosen by).
    func selects(_ peer: NetworkPolicyPeer, policyNamespace: String, _ pod: Pod) -> Bool {
        guard peer.ipBlock == nil, peer.podSelector?.matches(pod.labels) ?? true else { return false }
        guard let selector = peer.namespaceSelector else { return pod.key.namespace == policyNamespace }
        let labels = namespaceLabels[pod.key.namespace] ?? [Namespace.nameLabel: pod.key.namespace]
        return selector.matches(labels)
    }
}
