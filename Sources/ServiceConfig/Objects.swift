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
    public var fields: [String: SourceLocation] = [:]

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
}

public struct Service: Hashable, Sendable {
    public var key: ObjectKey
    public var source: ObjectSource
    public var type: ServiceType = .clusterIP
    /// Empty when the user left it to allocation; "None" for a headless service.
    public var clusterIP: String = ""
    public var ports: [ServicePort] = []

    /// `Service "default/web"`, as errors name it.
    public var label: String { "Service \"\(key)\"" }
}

public struct EndpointPort: Hashable, Sendable {
    public var name: String = ""
    public var port: Int = 0
    public var `protocol`: TransportProtocol = .tcp
}

public struct EndpointSubset: Hashable, Sendable {
    /// Ready addresses; `notReadyAddresses` are read but never served.
    public var addresses: [IPAddress] = []
    public var notReadyAddresses: [IPAddress] = []
    public var ports: [EndpointPort] = []
}

public struct Endpoints: Hashable, Sendable {
    public var key: ObjectKey
    public var source: ObjectSource
    public var subsets: [EndpointSubset] = []

    public var label: String { "Endpoints \"\(key)\"" }
}

/// Everything a load produced, in file order.
public struct ConfigObjects: Sendable {
    public var services: [Service] = []
    public var endpoints: [Endpoints] = []
    /// One line per object of a kind svcproxy does not serve ("Skipped Deployment ...").
    public var skipped: [String] = []

    public init() {}
}
