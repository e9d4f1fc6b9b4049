// The limits and timeouts a plan gives every connection: node-wide values from the
// flags or the ProxyConfiguration, and per service from annotations. Parsed and checked
// here; the engine enforces them.

/// Node-wide limits and timeouts of a plan.
public struct ConnectionSettings: Hashable, Sendable {
    /// How long to wait for one endpoint's connect before trying the next; nil keeps
    /// kube-proxy's ladder (250 ms, 500 ms, 1 s, 2 s).
    public var connectTimeout: Duration?
    /// Most connections open at once over the whole node.
    public var maxConnections: Int?
    /// How long a connection that one side has finished may stay silent before it is
    /// closed, so that a peer that never finishes cannot hold it forever.
    public var halfCloseTimeout: Duration?
    /// Most UDP flows open at once over the whole node (`--udp-max-flows`); nil: the
    /// engine's default from the descriptor limit (a flow holds one socket).
    public var maxUDPFlows: Int?
    /// The node's own addresses, loopback ones included: a client from one of them is on
    /// this node, and kube-proxy sends such traffic (src-type LOCAL) by the Cluster policy
    /// even where `externalTrafficPolicy: Local` restricts clients from elsewhere.
    public var nodeAddresses: Set<IPAddress>

    public init(connectTimeout: Duration? = nil, maxConnections: Int? = nil,
                halfCloseTimeout: Duration? = NodeSettings.defaultHalfCloseTimeout, maxUDPFlows: Int? = nil,
                nodeAddresses: Set<IPAddress> = []) {
        self.nodeAddresses = nodeAddresses
        self.connectTimeout = connectTimeout
        self.maxConnections = maxConnections
        self.halfCloseTimeout = halfCloseTimeout
        self.maxUDPFlows = maxUDPFlows
    }
}

extension Service {
    /// Most connections open at once to one port of the service.
    public static let maxConnectionsAnnotation = "svcproxy.io/max-connections"
    /// How long a connection to the service may stay silent; "0s" turns the node's off.
    public static let idleTimeoutAnnotation = "svcproxy.io/idle-timeout"

    /// The service's own connection limit, if its annotation sets a valid one.
    var maxConnectionsLimit: Int? {
        annotations[Self.maxConnectionsAnnotation].flatMap { Int($0.trimmingSpaces) }.flatMap { $0 > 0 ? $0 : nil }
    }

    /// The idle timeout for the service's connections: its annotation, else the node's;
    /// zero means none.
    func idleTimeout(nodeDefault: Duration?) -> Duration? {
        guard let text = annotations[Self.idleTimeoutAnnotation], case .success(let value) = SettingsSyntax.duration(text) else {
            return nodeDefault
        }
        return value == .zero ? nil : value
    }
}

extension Validation {
    /// The values of svcproxy's own annotations.
    static func validateAnnotations(_ service: Service, into errors: inout ObjectErrors) {
        if let text = service.annotations[Service.maxConnectionsAnnotation] {
            let path = "metadata.annotations[\(Service.maxConnectionsAnnotation)]"
            if let value = Int(text.trimmingSpaces), value >= 1, value <= 1 << 24 {} else {
                errors.add(path, .invalid(value: "\"\(text)\"", detail: "must be an integer between 1 and \(1 << 24), inclusive"))
            }
        }
        if let text = service.annotations[Service.idleTimeoutAnnotation], case .failure(let error) = SettingsSyntax.duration(text) {
            errors.add("metadata.annotations[\(Service.idleTimeoutAnnotation)]", .invalid(value: "\"\(text)\"", detail: error.description))
        }
        validateUDPAnnotations(service, into: &errors)
    }
}
