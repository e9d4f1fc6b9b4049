// The kinds svcproxy lists and watches, each with the path of its collection across all
// namespaces (or the cluster, for cluster-scoped kinds), as the API conventions name them.

public struct APIResource: Hashable, Sendable, CustomStringConvertible {
    public let kind: String
    public let apiVersion: String
    /// `/api/v1/services`, `/apis/discovery.k8s.io/v1/endpointslices`.
    public let collectionPath: String
    public let namespaced: Bool
    /// A field selector the server filters by (`type=kubernetes.io/tls`), or nil.
    public var fieldSelector: String?

    public var description: String { collectionPath }

    /// The API group as RBAC rules name it: "" for the core group (`/api/v1/...`),
    /// `discovery.k8s.io` for `/apis/discovery.k8s.io/v1/...`.
    public var apiGroup: String {
        let parts = collectionPath.split(separator: "/")
        return parts.first == "apis" && parts.count > 1 ? String(parts[1]) : ""
    }

    /// The resource as RBAC rules name it: the collection's last segment (`endpointslices`).
    public var resourceName: String { collectionPath.split(separator: "/").last.map(String.init) ?? "" }

    /// `discovery.k8s.io endpointslices`, `"" (core) services`: what a ClusterRole rule must name.
    public var ruleName: String { (apiGroup.isEmpty ? "\"\" (core)" : apiGroup) + " " + resourceName }

    public static let services = APIResource(kind: "Service", apiVersion: "v1", collectionPath: "/api/v1/services", namespaced: true)
    public static let endpointSlices = APIResource(kind: "EndpointSlice", apiVersion: "discovery.k8s.io/v1",
                                                   collectionPath: "/apis/discovery.k8s.io/v1/endpointslices", namespaced: true)
    public static let networkPolicies = APIResource(kind: "NetworkPolicy", apiVersion: "networking.k8s.io/v1",
                                                    collectionPath: "/apis/networking.k8s.io/v1/networkpolicies", namespaced: true)
    /// Their labels are what NetworkPolicies' namespaceSelectors match.
    public static let namespaces = APIResource(kind: "Namespace", apiVersion: "v1", collectionPath: "/api/v1/namespaces", namespaced: false)
    public static let ingresses = APIResource(kind: "Ingress", apiVersion: "networking.k8s.io/v1",
                                              collectionPath: "/apis/networking.k8s.io/v1/ingresses", namespaced: true)
    public static let ingressClasses = APIResource(kind: "IngressClass", apiVersion: "networking.k8s.io/v1",
                                                   collectionPath: "/apis/networking.k8s.io/v1/ingressclasses", namespaced: false)
    /// Only TLS Secrets (the certificates Ingresses name): the server filters the others out.
    public static let tlsSecrets = APIResource(kind: "Secret", apiVersion: "v1", collectionPath: "/api/v1/secrets", namespaced: true,
                                               fieldSelector: "type=kubernetes.io/tls")

    /// Pods, for NetworkPolicy only (their labels, addresses and named ports), and watched only
    /// while the configuration holds a NetworkPolicy (APIWatchSet). Pods that finished are
    /// filtered out by the server: they are never a policy's peer, and an endpoint is never
    /// one. Not `spec.nodeName`: a Service's endpoints are pods on every node, and a policy
    /// admits by the labels of the endpoint's pod and the addresses of the peers it selects,
    /// wherever they run.
    public static let pods = APIResource(kind: "Pod", apiVersion: "v1", collectionPath: "/api/v1/pods", namespaced: true,
                                         fieldSelector: "status.phase!=Succeeded,status.phase!=Failed")

    /// What the API source always watches, in the order a first sync lists them (Services
    /// before their EndpointSlices). Pods join them while NetworkPolicies exist (APIWatchSet).
    public static let watched: [APIResource] = [.services, .endpointSlices, .networkPolicies, .namespaces, .ingresses,
                                                .ingressClasses, .tlsSecrets]
}

/// One object's place in the API: its kind, namespace (empty when cluster-scoped) and name.
public struct APIObjectName: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let kind: String
    public let namespace: String
    public let name: String

    public init(kind: String, namespace: String, name: String) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
    }

    public var description: String { namespace.isEmpty ? "\(kind) \"\(name)\"" : "\(kind) \"\(namespace)/\(name)\"" }

    public static func < (lhs: APIObjectName, rhs: APIObjectName) -> Bool {
        (lhs.kind, lhs.namespace, lhs.name) < (rhs.kind, rhs.namespace, rhs.name)
    }
}
