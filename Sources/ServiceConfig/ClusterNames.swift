// What the cluster DNS answers for (the Kubernetes DNS-Based Service Discovery
// specification): every Service of the configuration by name — proxied ones by their
// ClusterIPs, headless ones by their endpoints, ExternalName ones by their external name —
// with their named ports. A value built from the objects on every load, so that a reload
// swaps the whole zone at once; nothing here knows the wire format.

public struct ClusterNames: Hashable, Sendable {
    /// A port as SRV records publish it: `_<name>._<protocol>.`; unnamed ports get none.
    public struct Port: Hashable, Sendable {
        public let name: String
        public let `protocol`: TransportProtocol
        public let number: Int

        public init(name: String, protocol: TransportProtocol, number: Int) {
            self.name = name
            self.protocol = `protocol`
            self.number = number
        }
    }

    /// An address of a headless Service: a ready endpoint (or any, with
    /// `publishNotReadyAddresses`), with the hostname its Endpoints/EndpointSlice or Pod
    /// (`spec.hostname` with `spec.subdomain` naming the Service) gives it.
    public struct HeadlessEndpoint: Hashable, Sendable {
        public let ip: IPAddress
        /// A DNS label, or nil: then the zone names the address by its dashed form
        /// (`10-1-0-3`), as CoreDNS does.
        public let hostname: String?
        /// The endpoint's own port numbers, by the Service's port names (SRV targets them).
        public let ports: [Port]

        public init(ip: IPAddress, hostname: String?, ports: [Port]) {
            self.ip = ip
            self.hostname = hostname
            self.ports = ports
        }
    }

    public enum Target: Hashable, Sendable {
        /// A proxied Service: its ClusterIPs, one per family at most, primary first.
        case clusterIPs([IPAddress])
        /// `clusterIP: None`: its endpoints' addresses, in a stable order.
        case headless([HeadlessEndpoint])
        /// `type: ExternalName`: a CNAME to this name (no trailing dot).
        case externalName(String)
    }

    public struct Service: Hashable, Sendable {
        public let namespace: String
        public let name: String
        public let target: Target
        /// The Service's ports (`port`, not `targetPort`), named or not, in spec order.
        public let ports: [Port]

        public init(namespace: String, name: String, target: Target, ports: [Port]) {
            self.namespace = namespace
            self.name = name
            self.target = target
            self.ports = ports
        }
    }

    /// Sorted by namespace, then name.
    public let services: [Service]

    public init(services: [Service]) {
        self.services = services.sorted { ($0.namespace, $0.name) < ($1.namespace, $1.name) }
    }
}
