// The plan as `svcproxy check --print-plan` shows it: per service port, each address it
// listens on (and why) and each ready endpoint, in the order round-robin walks them.

extension ProxyPlan {
    public var printed: String {
        var text = ""
        for port in servicePorts {
            var traits = [port.protocol.rawValue]
            if port.sessionAffinity != .none { traits.append("session affinity \(port.sessionAffinity)") }
            if port.externalTrafficPolicy == .local { traits.append("externalTrafficPolicy Local") }
            if port.internalTrafficPolicy == .local { traits.append("internalTrafficPolicy Local") }
            text += "\(port.name) (\(traits.joined(separator: ", ")))\n"
            for address in port.listenAddresses {
                text += "  listen   \(address) (\(address.kind.label))\n"
            }
            if port.endpoints.isEmpty { text += "  no ready endpoints: connections are refused\n" }
            for endpoint in port.endpoints {
                text += "  endpoint \(endpoint)\n"
            }
        }
        return text
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
        }
    }
}
