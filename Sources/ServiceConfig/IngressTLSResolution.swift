// From our Ingresses' `spec.tls` to the TLS part of the plan. Each entry names a Secret of
// the Ingress's own namespace; one that exists and is `kubernetes.io/tls` becomes one
// certificate, whose hosts are every host that any of our Ingresses names with it. An entry
// whose Secret is missing, of another type, or not named at all leaves its hosts to the
// default certificate, as ingress-nginx does, and a note says so. The hosts of Ingresses
// annotated `svcproxy.io/ssl-redirect: "true"` are sent from HTTP to HTTPS.

struct IngressTLSResolution {
    private(set) var notes: [String] = []

    /// The TLS plan of `ingresses` (those of our class), or nil when none has `spec.tls`.
    /// `certificates` are the decoded Secrets in use (SecretContents.swift).
    mutating func plan(for ingresses: [Ingress], secrets: [Secret], certificates: [ObjectKey: IngressCertificate],
                       settings: NodeSettings) -> IngressTLSPlan? {
        guard ingresses.contains(where: { !$0.tls.isEmpty }) else { return nil }
        let secretsByKey = Dictionary(secrets.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        var hostsBySecret: [ObjectKey: Set<String>] = [:]
        var fallbacks: [IngressTLSFallback] = []
        var redirects = Set<IngressHostMatch>()
        for ingress in ingresses.sorted(by: Ingress.isOlder) {
            for (t, tls) in ingress.tls.enumerated() {
                let hosts = Self.uniqueLowercased(tls.hosts)
                if ingress.sslRedirect { redirects.formUnion(hosts.map(IngressHostMatch.init(written:))) }
                let key = ObjectKey(namespace: ingress.key.namespace, name: tls.secretName)
                if certificates[key] != nil {
                    hostsBySecret[key, default: []].formUnion(hosts)
                    continue
                }
                let reason: IngressTLSFallback.Reason = if tls.secretName.isEmpty {
                    .noSecretName
                } else if let secret = secretsByKey[key] {
                    .notTLS(secret: key, type: secret.type)
                } else {
                    .secretMissing(key)
                }
                let fallback = IngressTLSFallback(hosts: hosts, ingress: ingress.key, reason: reason)
                fallbacks.append(fallback)
                let field = tls.secretName.isEmpty ? "spec.tls[\(t)]" : "spec.tls[\(t)].secretName"
                notes.append("\(ingress.source.location(of: field)): \(ingress.label) \(field): \(fallback)")
            }
            if ingress.sslRedirect, ingress.tls.isEmpty {
                let annotation = ingress.annotations[Ingress.sslRedirectAnnotation] == nil
                    ? Ingress.nginxSSLRedirectAnnotation : Ingress.sslRedirectAnnotation
                let field = "annotations.\(annotation)"
                notes.append("\(ingress.source.location(of: field)): \(ingress.label) \(field): "
                             + "nothing is redirected: the Ingress has no spec.tls hosts")
            }
        }
        func certificate(_ key: ObjectKey) -> IngressCertificate? {
            certificates[key].map { $0.naming(hostsBySecret[key]?.sorted() ?? []) }
        }
        let listen = settings.ingressHTTPSListenAddresses
        return IngressTLSPlan(listenAddresses: listen, certificates: hostsBySecret.keys.compactMap(certificate),
                              defaultCertificate: settings.defaultSSLCertificate.flatMap(certificate),
                              redirectHosts: Array(redirects), redirectPort: listen.first?.port ?? 443,
                              handshakeTimeout: settings.ingressTLSHandshakeTimeout, fallbacks: fallbacks)
    }

    /// Hosts lowercased, each once, in the order written.
    private static func uniqueLowercased(_ hosts: [String]) -> [String] {
        PlanBuilder.uniqued(hosts.map { $0.lowercased() })
    }
}

extension IngressCertificate {
    /// The same certificate, for these hosts.
    func naming(_ hosts: [String]) -> IngressCertificate {
        IngressCertificate(secret: secret, hosts: hosts, certificatePEM: certificatePEM, privateKeyPEM: privateKeyPEM,
                           location: location, certificateLocation: certificateLocation, privateKeyLocation: privateKeyLocation)
    }
}
