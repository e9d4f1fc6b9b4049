// The sockets a LoadBalancer Service on the node's addresses may not take (node mode,
// LoadBalancerNodeMode.swift), because another listener of the same plan or the daemon
// itself holds them: every service port's ClusterIPs, NodePorts, external IPs and written
// load-balancer IPs, the Ingress controller's and the cluster DNS's addresses, and the
// admin endpoints (metrics, health). The plan fails on two service ports sharing a socket
// (PlanBuilder.claim), and the daemon's own listeners would fail to bind, so a Service
// that wants any of these is left pending instead. A wildcard address holds its port on
// every address of its family: a specific one bound beside it with SO_REUSEPORT would
// quietly take that address's connections from it.

extension LoadBalancerAssignment {
    /// The node's own listeners that this configuration opens: the Ingress controller's
    /// while an Ingress of our class is served (HTTPS while one has `spec.tls`), the
    /// cluster DNS's over UDP and TCP, and the metrics and health endpoints over TCP.
    static func nodeListeners(objects: ConfigObjects, settings: NodeSettings)
        -> [(address: BindAddress, transport: TransportProtocol, holder: String)] {
        let served = IngressSelection(objects: objects, className: settings.ingressClass).served
        var result: [(address: BindAddress, transport: TransportProtocol, holder: String)] = []
        if !served.isEmpty {
            result += settings.ingressHTTPBindAddresses.map { ($0, .tcp, "the Ingress controller (--ingress-http-bind-address)") }
        }
        if served.contains(where: { !$0.tls.isEmpty }) {
            result += settings.ingressHTTPSBindAddresses.map { ($0, .tcp, "the Ingress controller (--ingress-https-bind-address)") }
        }
        for address in settings.dnsBindAddresses {
            result += [(address, .udp, "the cluster DNS (--dns-bind-address)"), (address, .tcp, "the cluster DNS (--dns-bind-address)")]
        }
        result.append((settings.effectiveMetricsBindAddress, .tcp, "the metrics endpoint (--metrics-bind-address)"))
        result.append((settings.effectiveHealthzBindAddress, .tcp, "the health endpoint (--healthz-bind-address)"))
        return result
    }

    /// The sockets the service ports of the plan hold: ClusterIPs, external IPs and
    /// written load-balancer IPs at their ports, NodePorts on the node addresses.
    static func sockets(heldBy services: [Service], settings: NodeSettings, allocations: Allocations) -> [SocketKey: ObjectKey] {
        var owners: [SocketKey: ObjectKey] = [:]
        let nodeAddresses = settings.selectedNodePortAddresses
        for service in services where service.isProxied {
            let written = (allocations.clusterIPs[service.key] ?? []) + service.externalIPs.compactMap(IPAddress.init)
                + (service.type == .loadBalancer ? PlanBuilder.loadBalancerIPs(of: service) : [])
            for port in service.ports where port.protocol != .sctp {
                for ip in written { owners[SocketKey(ip: ip, port: port.port, transport: port.protocol)] = service.key }
                guard let nodePort = allocations.nodePorts[ServicePortName(service: service.key, port: port.name)] else { continue }
                for ip in nodeAddresses { owners[SocketKey(ip: ip, port: nodePort, transport: port.protocol)] = service.key }
            }
        }
        return owners
    }
}
