// NetworkPolicy (networking.k8s.io/v1) and Namespace (v1) as plain values, and how they
// are read from YAML. svcproxy enforces both sides of policies for the traffic it carries:
// ingress at the endpoint's pod, egress at the client's pod; a peer's `namespaceSelector`
// matches the Namespace objects of the configuration by their labels, as the API server's
// would.

/// A label selector: `matchLabels` and `matchExpressions`, all of which must hold.
/// An empty selector selects everything.
public struct LabelSelector: Hashable, Sendable {
    public struct Requirement: Hashable, Sendable {
        public var key: String = ""
        /// `In`, `NotIn`, `Exists` or `DoesNotExist`.
        public var `operator`: String = ""
        public var values: [String] = []
    }

    public var matchLabels: [String: String] = [:]
    public var matchExpressions: [Requirement] = []

    public init(matchLabels: [String: String] = [:], matchExpressions: [Requirement] = []) {
        self.matchLabels = matchLabels
        self.matchExpressions = matchExpressions
    }

    /// Whether `labels` satisfy every term (metav1.LabelSelectorAsSelector's meaning).
    public func matches(_ labels: [String: String]) -> Bool {
        for (key, value) in matchLabels where labels[key] != value { return false }
        for requirement in matchExpressions {
            let value = labels[requirement.key]
            switch requirement.operator {
            case "In": if let value, requirement.values.contains(value) { continue } else { return false }
            case "NotIn": if let value, requirement.values.contains(value) { return false }
            case "Exists": if value == nil { return false }
            case "DoesNotExist": if value != nil { return false }
            default: return false
            }
        }
        return true
    }
}

/// One entry of `ingress[].from` or `egress[].to`: an address block, or pods chosen by pod and/or namespace
/// labels (both given: the pods matching `podSelector` in the namespaces matching
/// `namespaceSelector`).
public struct NetworkPolicyPeer: Hashable, Sendable {
    public struct IPBlock: Hashable, Sendable {
        public var cidr: String = ""
        public var except: [String] = []
    }

    public var podSelector: LabelSelector?
    public var namespaceSelector: LabelSelector?
    public var ipBlock: IPBlock?
}

/// One entry of `ingress[].ports` or `egress[].ports`.
public struct NetworkPolicyPort: Hashable, Sendable {
    /// TCP when left out.
    public var `protocol`: String?
    /// A number or a named container port; nil means every port.
    public var port: IntOrString?
    /// With a numeric `port`: the last port of the range `port...endPort`.
    public var endPort: Int?

    public init(protocol: String? = nil, port: IntOrString? = nil, endPort: Int? = nil) {
        self.protocol = `protocol`
        self.port = port
        self.endPort = endPort
    }
}

public struct NetworkPolicyIngressRule: Hashable, Sendable {
    /// Empty: from anywhere.
    public var from: [NetworkPolicyPeer] = []
    /// Empty: to every port.
    public var ports: [NetworkPolicyPort] = []
}

/// One entry of `egress`: where the selected pods may connect.
public struct NetworkPolicyEgressRule: Hashable, Sendable {
    /// Empty: to anywhere.
    public var to: [NetworkPolicyPeer] = []
    /// Empty: to every port.
    public var ports: [NetworkPolicyPort] = []
}

public struct NetworkPolicy: Hashable, Sendable {
    public var key: ObjectKey
    public var source: ObjectSource
    public var podSelector = LabelSelector()
    /// As written; see `affectsIngress` and `affectsEgress` for the defaulting.
    public var policyTypes: [String]?
    public var ingress: [NetworkPolicyIngressRule] = []
    public var egress: [NetworkPolicyEgressRule] = []

    public var label: String { "NetworkPolicy \"\(key)\"" }

    /// Whether the policy isolates the pods it selects for ingress. The API server
    /// defaults `policyTypes` left out or empty to ["Ingress"], plus "Egress" when there
    /// are egress rules (SetDefaults_NetworkPolicy).
    public var affectsIngress: Bool { writtenTypes?.contains("Ingress") ?? true }

    /// Whether the policy isolates the pods it selects for egress, with the same defaulting.
    public var affectsEgress: Bool { writtenTypes?.contains("Egress") ?? !egress.isEmpty }

    /// `policyTypes` unless left out or empty, which the API server defaults alike.
    private var writtenTypes: [String]? { policyTypes?.isEmpty == false ? policyTypes : nil }
}

/// The labels of a namespace, for `namespaceSelector`.
public struct Namespace: Hashable, Sendable {
    /// The label the API server puts on every namespace, naming it.
    public static let nameLabel = "kubernetes.io/metadata.name"

    public var name: String
    public var source: ObjectSource
    public var labels: [String: String] = [:]

    public var label: String { "Namespace \"\(name)\"" }
}

extension ObjectDecoder {
    mutating func decodeNetworkPolicy() -> NetworkPolicy {
        let key = readKey(kind: "NetworkPolicy")
        var policy = NetworkPolicy(key: key, source: source)
        guard let spec = mark(root.field("spec")) else {
            policy.source = source
            return policy
        }
        // Left out, it decodes as the API server decodes it: empty, selecting every pod.
        if let selector = mark(spec.field("podSelector")) { policy.podSelector = decodeSelector(selector) }
        if let types = mark(spec.field("policyTypes")) { policy.policyTypes = types.elements().compactMap { mark($0)?.string() } }
        policy.ingress = (mark(spec.field("ingress"))?.elements() ?? []).map { rule in
            _ = mark(rule)
            var decoded = NetworkPolicyIngressRule()
            decoded.from = (mark(rule.field("from"))?.elements() ?? []).map { decodePeer($0) }
            decoded.ports = (mark(rule.field("ports"))?.elements() ?? []).map { decodePolicyPort($0) }
            return decoded
        }
        policy.egress = (mark(spec.field("egress"))?.elements() ?? []).map { rule in
            _ = mark(rule)
            var decoded = NetworkPolicyEgressRule()
            decoded.to = (mark(rule.field("to"))?.elements() ?? []).map { decodePeer($0) }
            decoded.ports = (mark(rule.field("ports"))?.elements() ?? []).map { decodePolicyPort($0) }
            return decoded
        }
        policy.source = source
        return policy
    }

    mutating func decodeNamespace() -> Namespace {
        let key = readKey(kind: "Namespace", namespaced: false)
        var namespace = Namespace(name: key.name, source: source)
        namespace.labels = readLabels()
        namespace.labels[Namespace.nameLabel] = key.name
        if key.name.isEmpty { root.report(missing: "metadata.name", .required(detail: "name or generateName is required")) }
        namespace.source = source
        return namespace
    }

    private mutating func decodeSelector(_ node: FieldNode) -> LabelSelector {
        var selector = LabelSelector()
        selector.matchLabels = mark(node.field("matchLabels"))?.stringMap() ?? [:]
        selector.matchExpressions = (mark(node.field("matchExpressions"))?.elements() ?? []).map { element in
            _ = mark(element)
            var requirement = LabelSelector.Requirement()
            requirement.key = mark(element.field("key"))?.string() ?? ""
            requirement.operator = mark(element.field("operator"))?.string() ?? ""
            requirement.values = markList(element.field("values"))
            return requirement
        }
        return selector
    }

    private mutating func decodePeer(_ node: FieldNode) -> NetworkPolicyPeer {
        _ = mark(node)
        var peer = NetworkPolicyPeer()
        peer.podSelector = mark(node.field("podSelector")).map { decodeSelector($0) }
        peer.namespaceSelector = mark(node.field("namespaceSelector")).map { decodeSelector($0) }
        if let block = mark(node.field("ipBlock")) {
            peer.ipBlock = .init(cidr: mark(block.field("cidr"))?.string() ?? "", except: markList(block.field("except")))
        }
        return peer
    }

    private mutating func decodePolicyPort(_ node: FieldNode) -> NetworkPolicyPort {
        _ = mark(node)
        var port = NetworkPolicyPort()
        port.protocol = mark(node.field("protocol"))?.string()
        port.port = mark(node.field("port"))?.intOrString()
        port.endPort = mark(node.field("endPort"))?.int()
        return port
    }
}
