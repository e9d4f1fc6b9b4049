// The Kubernetes objects svcproxy reads, as plain values: only the fields it uses, each
// object remembering where it and each of its fields were written, so that validation
// (which runs after decoding) can point at the exact line.

/// Namespace and name: how Kubernetes joins objects (a Service to its Endpoints).
public struct ObjectKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let namespace: String
    public let name: String

    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }

    public var description: String { "\(namespace)/\(name)" }

    public static func < (lhs: ObjectKey, rhs: ObjectKey) -> Bool {
        (lhs.namespace, lhs.name) < (rhs.namespace, rhs.name)
    }
}

/// Where an object was written and where each of its fields was.
public struct ObjectSource: Hashable, Sendable {
    public let location: SourceLocation
    /// Field path (`spec.ports[1].nodePort`) → where that value was written.
    public var fields: FieldMarks

    public init(location: SourceLocation) {
        self.location = location
        fields = FieldMarks(file: location.file)
    }

    /// The location of `path`; for a field that was not written, the location of the
    /// nearest enclosing one that was (`spec.ports[0]` for a missing `spec.ports[0].name`).
    public func location(of path: String) -> SourceLocation {
        var path = Substring(path)
        while !path.isEmpty {
            if let found = fields[String(path)] { return found }
            guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { break }
            path = path[..<cut]
        }
        return location
    }
}

/// Where each field of one object was written, by its path's digest: a line and a column
/// per field read, in one array, rather than a table keyed by path texts that a load of a
/// large configuration spent a tenth of its time making. Looked up only for errors, and
/// objects have tens of fields: a search from the end (the last mark of a path wins).
public struct FieldMarks: Hashable, Sendable {
    private struct Mark: Hashable, Sendable {
        let digest: FieldPathDigest
        let line: Int32
        let column: Int32
    }

    private let file: String
    private var marks: [Mark] = []

    init(file: String) { self.file = file }

    public subscript(path: String) -> SourceLocation? {
        get { self[FieldPathDigest(path)] }
        set { if let newValue { mark(FieldPathDigest(path), line: newValue.line, column: newValue.column) } }
    }

    subscript(digest: FieldPathDigest) -> SourceLocation? {
        guard let found = marks.last(where: { $0.digest == digest }) else { return nil }
        return SourceLocation(file: file, line: Int(found.line), column: Int(found.column))
    }

    mutating func mark(_ digest: FieldPathDigest, line: Int, column: Int) {
        marks.append(Mark(digest: digest, line: Int32(clamping: line), column: Int32(clamping: column)))
    }
}

public enum TransportProtocol: String, Hashable, Sendable, CaseIterable {
    case tcp = "TCP"
    case udp = "UDP"
    case sctp = "SCTP"
}

public enum ServiceType: String, Hashable, Sendable, CaseIterable {
    case clusterIP = "ClusterIP"
    case nodePort = "NodePort"
    case loadBalancer = "LoadBalancer"
    case externalName = "ExternalName"
}

public struct ServicePort: Hashable, Sendable {
    public var name: String = ""
    public var `protocol`: TransportProtocol = .tcp
    public var port: Int = 0
    /// Defaults to `port`, as the API server defaults it.
    public var targetPort: IntOrString?
    public var nodePort: Int?
    public var appProtocol: String?

    /// The target port after defaulting: `port` when it was left out.
    public var resolvedTargetPort: IntOrString { targetPort ?? .int(port) }
}

/// A LoadBalancer's ingress point, from `status.loadBalancer.ingress[]`.
public struct LoadBalancerIngress: Hashable, Sendable {
    public var ip: String?
    public var hostname: String?
    /// "VIP" (the default) or "Proxy"; kube-proxy does not capture Proxy-mode addresses.
    public var ipMode: String?
}

public struct Service: Hashable, Sendable {
    public var key: ObjectKey
    public var source: ObjectSource
    public var type: ServiceType = .clusterIP
    /// Empty when the user left it to allocation; "None" for a headless service.
    public var clusterIP: String = ""
    /// As written; the API server fills it from `clusterIP` (see `normalizedClusterIPs`).
    public var clusterIPs: [String] = []
    public var ipFamilies: [String] = []
    public var ipFamilyPolicy: String?
    public var ports: [ServicePort] = []
    /// Nil when absent: such a service has endpoints only from Endpoints or EndpointSlices.
    public var selector: [String: String]?
    public var externalIPs: [String] = []
    public var externalName: String = ""
    public var loadBalancerIP: String = ""
    public var loadBalancerSourceRanges: [String] = []
    public var loadBalancerClass: String?
    public var allocateLoadBalancerNodePorts: Bool?
    public var loadBalancerIngress: [LoadBalancerIngress] = []
    /// The API server's default is "None".
    public var sessionAffinity: String = "None"
    public var hasSessionAffinityConfig = false
    /// `sessionAffinityConfig.clientIP.timeoutSeconds`, defaulted to 10800 for ClientIP.
    public var affinityTimeoutSeconds: Int?
    /// Defaulted to "Cluster" for externally accessible services, as the API server does.
    public var externalTrafficPolicy: String?
    /// Defaulted to "Cluster" for every type but ExternalName.
    public var internalTrafficPolicy: String?
    public var healthCheckNodePort: Int?
    public var publishNotReadyAddresses = false
    public var trafficDistribution: String?
    /// `metadata.annotations`; svcproxy reads its own (ConnectionSettings.swift).
    public var annotations: [String: String] = [:]
    /// `metadata.creationTimestamp` as written (RFC 3339); the oldest Service wins a
    /// node address and port (LoadBalancerAssignment.swift).
    public var creationTimestamp: String?

    public init(key: ObjectKey, source: ObjectSource) {
        self.key = key
        self.source = source
    }

    /// `Service "default/web"`, as errors name it.
    public var label: String { "Service \"\(key)\"" }

    /// Headless: `clusterIP: None`; it gets no virtual IP and is not proxied.
    public var isHeadless: Bool { normalizedClusterIPs == ["None"] }

    /// `clusterIPs` with `clusterIP` folded in, as the API server normalizes them on create.
    public var normalizedClusterIPs: [String] {
        if clusterIPs.isEmpty, !clusterIP.isEmpty { return [clusterIP] }
        return clusterIPs
    }

    /// Reachable from outside the cluster (Kubernetes' apiservice.ExternallyAccessible).
    public var isExternallyAccessible: Bool {
        type == .loadBalancer || type == .nodePort || (type == .clusterIP && !externalIPs.isEmpty)
    }

    /// Whether this service's ports get NodePorts allocated when they omit one.
    public var allocatesNodePorts: Bool {
        type == .nodePort || (type == .loadBalancer && allocateLoadBalancerNodePorts != false)
    }

    /// Whether it has a health-check NodePort: a LoadBalancer with `externalTrafficPolicy:
    /// Local`, for the load balancer to ask which nodes have its endpoints.
    public var needsHealthCheckNodePort: Bool { type == .loadBalancer && externalTrafficPolicy == "Local" }

    /// Whether svcproxy serves it at all: ExternalName and headless services are DNS-only.
    public var isProxied: Bool { type != .externalName && !isHeadless }
}

/// Everything a load produced, in file order.
public struct ConfigObjects: Sendable {
    public var services: [Service] = []
    public var endpoints: [Endpoints] = []
    public var endpointSlices: [EndpointSlice] = []
    public var pods: [Pod] = []
    /// The `ProxyConfiguration` documents (more than one is an error).
    public var proxyConfigurations: [ProxyConfiguration] = []
    /// Enforced for ingress at the endpoints they select (NetworkPolicyAdmission.swift).
    public var networkPolicies: [NetworkPolicy] = []
    /// Their labels are what `namespaceSelector` matches.
    public var namespaces: [Namespace] = []
    /// Served when of our class (IngressSelection.swift), routed by IngressRouting.swift.
    public var ingresses: [Ingress] = []
    /// Which controller each class belongs to, and which class is the default.
    public var ingressClasses: [IngressClass] = []
    /// Of type `kubernetes.io/tls`, the certificates our Ingresses' `spec.tls` name; other
    /// types are kept only to say why they cannot serve (SecretObjects.swift).
    public var secrets: [Secret] = []
    /// One line per object of a kind svcproxy does not serve ("skipped Deployment ...").
    public var skipped: [String] = []

    public init() {}
}
