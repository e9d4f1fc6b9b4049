// The plan as `svcproxy check --print-plan` shows it: per service port (TCP or UDP, with
// its flows' timeout), each address it listens on (and why; UDP ones end in `/UDP`) and
// each ready endpoint, in the order round-robin walks them (where NetworkPolicies apply,
// with its pod and who its ingress admits); then where each pod that egress policies
// isolate may connect; then the Ingress routing table (IngressPrinting.swift) and its TLS
// part (IngressTLSPrinting.swift), then where the cluster DNS answers (its records:
// `check --print-zone`).

extension ProxyPlan {
    public var printed: String {
        var text = ""
        for port in servicePorts {
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
                text += "  listen   \(address) (\(address.kind.label))\n"
            }
            if port.endpoints.isEmpty {
                text += isUDP ? "  no ready endpoints: datagrams are dropped\n" : "  no ready endpoints: connections are refused\n"
            }
            let showPods = !port.ingress.isEmpty || !egress.isEmpty
            for endpoint in port.endpoints {
                text += "  endpoint \(endpoint)" + (showPods ? port.pods[endpoint].map { " (\($0))" } ?? "" : "") + "\n"
                if let admission = port.ingress[endpoint] {
                    let peers = admission.peers.isEmpty ? "no one" : admission.peers.map(\.description).joined(separator: "; ")
                    text += "    ingress from \(peers) (\(admission.policies.map(\.description).joined(separator: ", ")))\n"
                }
            }
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
