// The kinds svcproxy lists and watches, each with the path of its collection across all
// namespaces (or the cluster, for cluster-scoped kinds), as the API conventions name them.

public struct APIResource: Hashable, Sendable, CustomStringConvertible {
    public let kind: String
    public let apiVersion: String
    /// `/api/v1/services`, `/apis/discovery.k8s.io/v1/endpointslices`.
    public let collectionPath: String
    public let namespaced: Bool

    public var description: String { collectionPath }

    public static let services = APIResource(kind: "Service", apiVersion: "v1", collectionPath: "/api/v1/services", namespaced: true)
    public static let endpointSlices = APIResource(kind: "EndpointSlice", apiVersion: "discovery.k8s.io/v1",
                                                   collectionPath: "/apis/discovery.k8s.io/v1/endpointslices", namespaced: true)

    /// What the API source watches, in the order a first sync lists them (Services before
    /// their EndpointSlices).
    public static let watched: [APIResource] = [.services, .endpointSlices]
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
