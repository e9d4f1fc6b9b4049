// The Ingress routing table as `svcproxy check --print-plan` shows it, after the service
// ports: the addresses HTTP is accepted on (each serves the same table), then each host in
// the order hosts are tried, its paths in the order they are tried, each with its service
// port and ready endpoints, and last the default backend; then HTTPS, when an Ingress of
// ours has `spec.tls` (IngressTLSPrinting.swift).

extension IngressPlan {
    public var printed: String {
        var text = "Ingress HTTP (client header timeout \(settings.clientHeaderTimeout.goStyle), "
            + "upstream timeout \(settings.upstreamTimeout.goStyle))\n"
        for address in listenAddresses {
            text += "  listen   \(address) (\(address.kind.label))\n"
        }
        for virtualHost in virtualHosts {
            text += "  host \(virtualHost.host)\(virtualHost.host == .any ? " (any host)" : "")\n"
            for path in virtualHost.paths {
                text += "    path \(path.path) (\(path.type.rawValue)) -> \(Self.describe(path.backend, from: path.ingress))\n"
                text += Self.endpointLines(path.backend, indent: "      ")
            }
        }
        if let defaultBackend, let defaultBackendIngress {
            text += "  default backend -> \(Self.describe(defaultBackend, from: defaultBackendIngress))\n"
            text += Self.endpointLines(defaultBackend, indent: "    ")
        } else {
            text += "  no default backend: requests that match no rule get 404\n"
        }
        return text + (tls?.printed ?? "")
    }

    /// `shop/web:http (web:80, Ingress shop/web)`.
    private static func describe(_ backend: IngressBackend, from ingress: ObjectKey) -> String {
        "\(backend.servicePort) (\(backend.written), Ingress \(ingress))"
    }

    private static func endpointLines(_ backend: IngressBackend, indent: String) -> String {
        guard !backend.endpoints.isEmpty else { return "\(indent)no ready endpoints: requests get 503\n" }
        return backend.endpoints.map { "\(indent)endpoint \($0)\n" }.joined()
    }
}
