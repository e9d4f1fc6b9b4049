// The complete desired state of the proxy: for every service port, where to listen and
// where to send. An immutable value that the engine applies and that a reload compares
// with the running one; nothing here refers to a socket.

/// A service port's identity: namespace, service name and port name (`default/web:http`),
/// as kube-proxy keys everything.
public struct ServicePortName: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let service: ObjectKey
    public let port: String

    public init(service: ObjectKey, port: String) {
        self.service = service
        self.port = port
    }

    public var description: String { port.isEmpty ? "\(service)" : "\(service):\(port)" }

    public static func < (lhs: ServicePortName, rhs: ServicePortName) -> Bool {
        (lhs.service, lhs.port) < (rhs.service, rhs.port)
    }
}

/// An address and port to accept connections on, and why.
public struct ListenAddress: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable {
        case clusterIP
        case nodePort
        /// One of the service's `externalIPs`.
        case externalIP
        /// `loadBalancerIP` or a `status.loadBalancer.ingress[].ip`.
        case loadBalancer
        /// `--ingress-http-bind-address`: HTTP for the Ingresses of our class.
        case ingressHTTP
        /// `--ingress-https-bind-address`: HTTPS for the Ingresses of our class.
        case ingressHTTPS
        /// `--dns-bind-address`: the cluster DNS, over UDP and TCP.
        case dns
    }

    public let ip: IPAddress
    public let port: Int
    public let kind: Kind
    /// TCP, or UDP for a Service's UDP port: the same address and number may serve both.
    public let transport: TransportProtocol

    public init(ip: IPAddress, port: Int, kind: Kind, transport: TransportProtocol = .tcp) {
        self.ip = ip
        self.port = port
        self.kind = kind
        self.transport = transport
    }

    /// `10.0.0.1:80`, or `10.0.0.1:53/UDP` for UDP.
    public var description: String { ip.withPort(port) + (transport == .tcp ? "" : "/\(transport.rawValue)") }
}

/// An IP address and a port, printed as `10.0.0.1:80` or `[fd00::1]:80`.
public struct IPPort: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let ip: IPAddress
    public let port: Int

    public init(ip: IPAddress, port: Int) {
        self.ip = ip
        self.port = port
    }

    public var description: String { ip.withPort(port) }

    public static func < (lhs: IPPort, rhs: IPPort) -> Bool { (lhs.ip, lhs.port) < (rhs.ip, rhs.port) }

    /// Two words rather than the four of its parts: the Ingress's endpoint connections are
    /// pooled by endpoint, looked up twice a request. The port and family go into the bits
    /// of the low half that an IPv4 address leaves clear (values that differ only where
    /// they meet share a hash, and are still told apart by ==).
    public func hash(into hasher: inout Hasher) {
        hasher.combine(ip.high)
        hasher.combine(ip.low ^ UInt64(truncatingIfNeeded: port) << 48 ^ (ip.family == .ipv6 ? 1 << 63 : 0))
    }
}

/// A backend: where connections for a service port go.
public typealias Endpoint = IPPort

/// Which client a service port keeps sending to the same endpoint.
public enum SessionAffinity: Hashable, Sendable, CustomStringConvertible {
    case none
    /// The same client IP goes to the same endpoint until it has been idle this long.
    case clientIP(timeoutSeconds: Int)

    public var description: String {
        switch self {
        case .none: "None"
        case .clientIP(let timeout): "ClientIP (\(timeout)s)"
        }
    }
}

/// `externalTrafficPolicy` / `internalTrafficPolicy`.
public enum TrafficPolicy: String, Hashable, Sendable {
    case cluster = "Cluster"
    case local = "Local"
}

public struct ServicePortPlan: Hashable, Sendable {
    public let name: ServicePortName
    public let `protocol`: TransportProtocol
    /// Settable only here, so that a plan diff can compare and copy a service port
    /// without its addresses.
    public internal(set) var listenAddresses: [ListenAddress]
    /// Where a Cluster traffic policy sends traffic: the ready endpoints, or where none
    /// is, the serving and terminating ones (EndpointCategories.swift). In a stable order;
    /// round-robin walks them in this order.
    public let endpoints: [Endpoint]
    /// Where a Local traffic policy sends traffic: the ready endpoints on this node
    /// (`nodeName` is `--hostname-override`), or where none is, the serving and
    /// terminating ones on it; in the same order. An endpoint whose source names no node
    /// is not local, as kube-proxy has it. Not always a part of `endpoints`: this node's
    /// terminating endpoints serve Local traffic while ready ones elsewhere take the rest.
    /// Without a Local policy, simply those of `endpoints` on this node.
    public let localEndpoints: [Endpoint]
    /// The endpoints above that are there only because no ready one was left: not ready,
    /// but serving while they terminate.
    public let servingTerminating: Set<Endpoint>
    /// Every endpoint still serving (ready, or terminating while serving), including those
    /// no policy sends new traffic to: a UDP flow to one of these outlives a reload, as
    /// kube-proxy keeps the conntrack entries of serving endpoints through a rolling
    /// update. Empty: the reachable endpoints (`reachableEndpoints`).
    public let serving: Set<Endpoint>
    public let sessionAffinity: SessionAffinity
    /// For traffic arriving on NodePorts, external IPs and load-balancer IPs.
    public let externalTrafficPolicy: TrafficPolicy
    /// For traffic arriving on ClusterIPs.
    public let internalTrafficPolicy: TrafficPolicy
    /// Who may reach each endpoint that a NetworkPolicy isolates; endpoints not listed
    /// admit everyone (NetworkPolicyAdmission.swift).
    public let ingress: [Endpoint: IngressAdmission]
    /// The pod behind each endpoint that is one (EndpointPods.swift): what the egress
    /// rules of a client pod match it by.
    public let pods: [Endpoint: EndpointPod]
    /// Most connections open at once (annotation `svcproxy.io/max-connections`); for a UDP
    /// port, most flows.
    public let maxConnections: Int?
    /// How long a connection may stay silent (annotation `svcproxy.io/idle-timeout`, else
    /// the node's idle timeout); nil: no limit. Nil for UDP, whose flows have `udpTimeout`.
    public let idleTimeout: Duration?
    /// UDP ports: how long a flow may stay silent both ways before it ends (annotation
    /// `svcproxy.io/udp-timeout`, else `--udp-timeout`, 30 s as conntrack's). Nil for TCP.
    public let udpTimeout: Duration?

    public init(name: ServicePortName, protocol: TransportProtocol, listenAddresses: [ListenAddress], endpoints: [Endpoint],
                localEndpoints: [Endpoint] = [], servingTerminating: Set<Endpoint> = [], serving: Set<Endpoint> = [],
                sessionAffinity: SessionAffinity = .none,
                externalTrafficPolicy: TrafficPolicy = .cluster,
                internalTrafficPolicy: TrafficPolicy = .cluster, ingress: [Endpoint: IngressAdmission] = [:],
                pods: [Endpoint: EndpointPod] = [:], maxConnections: Int? = nil, idleTimeout: Duration? = nil,
                udpTimeout: Duration? = nil) {
        self.udpTimeout = udpTimeout
        self.ingress = ingress
        self.pods = pods
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
        self.name = name
        self.protocol = `protocol`
        self.listenAddresses = listenAddresses
        self.endpoints = endpoints
        self.localEndpoints = localEndpoints
        self.servingTerminating = servingTerminating
        self.serving = serving
        self.sessionAffinity = sessionAffinity
        self.externalTrafficPolicy = externalTrafficPolicy
        self.internalTrafficPolicy = internalTrafficPolicy
    }
}

extension ServicePortPlan {
    /// Every endpoint some connection may reach: `endpoints`, then the local ones not
    /// among them. What a route holds and what a reload compares.
    public var reachableEndpoints: [Endpoint] {
        let cluster = Set(endpoints)
        return endpoints + localEndpoints.filter { !cluster.contains($0) }
    }

    /// Whether connections arriving on an address of `kind` go only to the local
    /// endpoints: the external policy covers NodePorts, external and load-balancer IPs,
    /// the internal one ClusterIPs.
    public func isLocalOnly(_ kind: ListenAddress.Kind) -> Bool {
        switch kind {
        case .clusterIP: internalTrafficPolicy == .local
        case .nodePort, .externalIP, .loadBalancer: externalTrafficPolicy == .local
        case .ingressHTTP, .ingressHTTPS, .dns: false
        }
    }
}

/// A LoadBalancer Service with `externalTrafficPolicy: Local`: its `healthCheckNodePort`
/// answers whether this node has endpoints of it (kube-proxy's service health server).
public struct HealthCheckPlan: Hashable, Sendable {
    public let service: ObjectKey
    public let port: Int
    /// The node addresses of the Service's IP families, as its NodePorts have.
    public let addresses: [IPAddress]
    /// Ready endpoints on this node, counted by IP over all the Service's ports, as
    /// kube-proxy counts them (10.0.0.1:80 and 10.0.0.1:443 are one).
    public let localEndpoints: Int

    public init(service: ObjectKey, port: Int, addresses: [IPAddress], localEndpoints: Int) {
        self.service = service
        self.port = port
        self.addresses = addresses
        self.localEndpoints = localEndpoints
    }
}

public struct ProxyPlan: Hashable, Sendable {
    /// Sorted by name.
    public let servicePorts: [ServicePortPlan]
    /// The node-wide limits and timeouts for connections.
    public let connections: ConnectionSettings
    /// The Ingresses of our class, when the configuration holds any.
    public internal(set) var ingress: IngressPlan?
    /// The cluster DNS, when `--dns-bind-address` gives it somewhere to answer.
    public internal(set) var dns: DNSPlan?
    /// The LoadBalancer Services of our class, sorted, each with its addresses or why it
    /// waits (LoadBalancerAssignment.swift).
    public internal(set) var loadBalancers: [LoadBalancerState] = []
    /// The health-check NodePorts to serve, by Service.
    public let healthChecks: [HealthCheckPlan]
    /// Where the pods that egress policies isolate may connect (EgressPlan.swift).
    public internal(set) var egress = EgressPlan()

    public init(servicePorts: [ServicePortPlan], connections: ConnectionSettings = ConnectionSettings(), ingress: IngressPlan? = nil,
                dns: DNSPlan? = nil, healthChecks: [HealthCheckPlan] = []) {
        self.servicePorts = servicePorts.sorted { $0.name < $1.name }
        self.healthChecks = healthChecks.sorted { $0.service < $1.service }
        self.connections = connections
        self.ingress = ingress
        self.dns = dns
    }

    public var listenerCount: Int {
        servicePorts.reduce(0) { $0 + $1.listenAddresses.count } + (ingress?.listenAddresses.count ?? 0)
            + (ingress?.tls?.listenAddresses.count ?? 0) + (dns?.listenAddresses.count ?? 0)
    }
    public var endpointCount: Int { servicePorts.reduce(0) { $0 + $1.endpoints.count } }
    /// The plan is in name order, so a Service's ports are together.
    public var serviceCount: Int {
        var count = 0
        for index in servicePorts.indices where index == 0 || servicePorts[index].name.service != servicePorts[index - 1].name.service {
            count += 1
        }
        return count
    }

    /// "2 services, 3 endpoints, 4 listeners": the one-line summary for logs and STATUS=.
    public var summary: String {
        let (services, endpoints, listeners) = (serviceCount, endpointCount, listenerCount)
        return "\(services) service\(services == 1 ? "" : "s"), "
            + "\(endpoints) endpoint\(endpoints == 1 ? "" : "s"), "
            + "\(listeners) listener\(listeners == 1 ? "" : "s")"
    }
}
