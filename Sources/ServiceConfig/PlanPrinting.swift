// The plan as `svcproxy check --print-plan` shows it: per service port (TCP or UDP, with
// its flows' timeout and its Local traffic policies), each address it listens on (and why,
// and whether a Local policy governs it; UDP ones end in `/UDP`) and each endpoint, in the
// order round-robin walks them, marked when it is on this node or serving only because it
// is terminating (where NetworkPolicies apply, with its pod and who its ingress admits); a
// Service's health-check NodePort after its ports; then where each pod that egress
// policies isolate may connect; then the Ingress routing table (IngressPrinting.swift) and
// its TLS part (IngressTLSPrinting.swift), then where the cluster DNS answers (its
// records: `check --print-zone`).

extension ProxyPlan {
    public var printed: String {
        var text = ""
        let checks = Dictionary(healthChecks.map { ($0.service, $0) }, uniquingKeysWith: { first, _ in first })
        for (index, port) in servicePorts.enumerated() {
            var traits = [port.protocol.rawValue]
            if port.sessionAffinity != .none { traits.append("session affinity \(port.sessionAffinity)") }
            if port.externalTrafficPolicy == .local { traits.append("externalTrafficPolicy Local") }
            if port.internalTrafficPolicy == .local { traits.append("internalTrafficPolicy Local") }
            let isUDP = port.protocol == .udp
            if let limit = port.maxConnections { traits.append("at most \(limit) \(isUDP ? "flows" : "connections")") }
            if let idle = port.idleTimeout { traits.append("idle timeout \(idle.goStyle)") }
            if let timeout = port.udpTimeout { traits.append("flows idle out after \(timeout.goStyle)") }
            text += "\(port.name) (\(traits.joined(separator: ", ")))\n"
            for address in port.listenAddresses {
                text += "  listen   \(address) (\(address.kind.label)\(port.isLocalOnly(address.kind) ? ", Local" : ""))\n"
            }
            let refused = isUDP ? "datagrams are dropped" : "connections are refused"
            if port.endpoints.isEmpty { text += "  no ready endpoints: \(refused)\n" }
            let governed = port.listenAddresses.contains { port.isLocalOnly($0.kind) }
            if governed, !port.endpoints.isEmpty, port.localEndpoints.isEmpty {
                text += "  no endpoints on this node: under the Local policy \(refused)\n"
            }
            let local = Set(port.localEndpoints)
            let routed = Set(port.endpoints)
            let showPods = !port.ingress.isEmpty || !egress.isEmpty
            for endpoint in port.reachableEndpoints {
                let pod = showPods ? port.pods[endpoint].map { " (\($0))" } ?? "" : ""
                let marks = port.marks(of: endpoint, local: local, serving: port.servingTerminating, routed: routed)
                text += "  endpoint \(endpoint)\(pod)\(marks)\n"
                if let admission = port.ingress[endpoint] {
                    let peers = admission.peers.isEmpty ? "no one" : admission.peers.map(\.description).joined(separator: "; ")
                    text += "    ingress from \(peers) (\(admission.policies.map(\.description).joined(separator: ", ")))\n"
                }
            }
            let isLastOfService = index == servicePorts.count - 1 || servicePorts[index + 1].name.service != port.name.service
            if isLastOfService, let check = checks[port.name.service] { text += check.printed }
        }
        return text + egress.printed + printedLoadBalancers + (ingress?.printed ?? "") + (dns?.printed ?? "")
    }
}

extension EgressPlan {
    /// One line per isolated pod: "egress of x/a (10.0.0.1): to pods y/b on TCP 80 (x/allow-b)".
    var printed: String {
        pods.map { pod in
            let rules = pod.isolation.rules.isEmpty ? "nowhere" : pod.isolation.rules.map(\.description).joined(separator: "; ")
            let policies = pod.isolation.policies.map(\.description).joined(separator: ", ")
            return "egress of \(pod.key) (\(pod.ips.map(\.description).joined(separator: ", "))): \(rules) (\(policies))\n"
        }.joined()
    }
}

extension ServicePortPlan {
    /// " (local, serving and terminating)": what sets `endpoint` apart, if anything.
    /// `local`, `serving` and `routed` are the port's endpoint lists as sets, made once per port.
    func marks(of endpoint: Endpoint, local: Set<Endpoint>, serving: Set<Endpoint>, routed: Set<Endpoint>) -> String {
        var marks: [String] = []
        if local.contains(endpoint) { marks.append("local") }
        if serving.contains(endpoint) { marks.append("serving and terminating") }
        if !routed.contains(endpoint) { marks.append("Local policy only") }
        return marks.isEmpty ? "" : " (\(marks.joined(separator: ", ")))"
    }
}

extension HealthCheckPlan {
    /// Where the health-check NodePort answers and what it answers now.
    var printed: String {
        var text = "\(service) (health-check NodePort \(port))\n"
        for ip in addresses { text += "  listen   \(ip.withPort(port)) (health check)\n" }
        let count = "\(localEndpoints) local ready endpoint\(localEndpoints == 1 ? "" : "s")"
        return text + "  \(count): answers \(localEndpoints > 0 ? "200" : "503")\n"
    }
}

extension ListenAddress.Kind {
    /// The Kubernetes name of the address's role.
    public var label: String {
        switch self {
        case .clusterIP: "ClusterIP"
        case .nodePort: "NodePort"
        case .externalIP: "external IP"
        case .loadBalancer: "LoadBalancer"
        case .ingressHTTP: "Ingress HTTP"
        case .ingressHTTPS: "Ingress HTTPS"
        case .dns: "cluster DNS"
        }
    }
}

extension Duration {
    /// "90s" or "250ms", as the flags and annotations write durations.
    var goStyle: String {
        let (seconds, attoseconds) = components
        return attoseconds == 0 ? "\(seconds)s" : "\(seconds * 1000 + attoseconds / 1_000_000_000_000_000)ms"
    }
}

extension DNSPlan {
    /// Where the cluster DNS answers, for which zone, and where other names go.
    var printed: String {
        let services = names.services.count
        var text = "cluster DNS for \(clusterDomain) (\(services) service\(services == 1 ? "" : "s"), TTL \(ttl.goStyle), "
            + "UDP answers up to \(udpSize) bytes)\n"
        for address in listenAddresses { text += "  listen   \(address)\n" }
        text += upstreams.isEmpty ? "  other names are refused\n" : "  other names go to \(upstreams.map(\.description).joined(separator: ", "))\n"
        return text
    }
}
