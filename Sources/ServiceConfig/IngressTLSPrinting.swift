// The TLS part of the plan as `svcproxy check --print-plan` shows it, after the routing
// table: where HTTPS is accepted, each certificate's Secret with the hosts that name it,
// the default certificate, the hosts that fall back to it and why, and the hosts sent from
// HTTP to HTTPS. Secrets are named, never shown: no key byte is printed.

extension IngressTLSPlan {
    public var printed: String {
        var text = "Ingress HTTPS (TLS handshake timeout \(handshakeTimeout.goStyle))\n"
        for address in listenAddresses {
            text += "  listen   \(address) (\(address.kind.label))\n"
        }
        for certificate in certificates {
            text += "  certificate \(certificate) for " + Self.hostList(certificate.hosts) + "\n"
        }
        if let defaultCertificate {
            text += "  default certificate \(defaultCertificate) (--default-ssl-certificate)\n"
        } else {
            text += "  default certificate self-signed, made at start (no --default-ssl-certificate)\n"
        }
        for fallback in fallbacks {
            text += "  default certificate for " + Self.hostList(fallback.hosts) + " (Ingress \(fallback.ingress)): \(fallback.reason)\n"
        }
        if redirectHosts.isEmpty {
            text += "  no redirects from HTTP to HTTPS\n"
        } else {
            let port = redirectPort == 443 ? "" : ":\(redirectPort)"
            text += "  redirect to https://HOST\(port) (308): " + redirectHosts.map(\.description).joined(separator: ", ") + "\n"
        }
        return text
    }

    /// `a.example.com, *.example.com`, or what a `spec.tls` entry without hosts stands for.
    private static func hostList(_ hosts: [String]) -> String {
        hosts.isEmpty ? "the names in the certificate (no spec.tls hosts)" : hosts.joined(separator: ", ")
    }
}
