// The TLS part of the Ingress plan: where HTTPS is accepted, which certificate serves which
// host (from the `kubernetes.io/tls` Secrets that our Ingresses' `spec.tls` name), and which
// hosts send plain HTTP on to HTTPS. Key material is carried as bytes for the TLS module to
// load; nothing here prints it.

/// A certificate chain and its private key from a `kubernetes.io/tls` Secret.
public struct IngressCertificate: Hashable, Sendable, CustomStringConvertible {
    public let secret: ObjectKey
    /// The `spec.tls[].hosts` that name this Secret, lowercase, wildcards as `*.foo.com`;
    /// the certificate's own names (SANs) decide what it is chosen for by SNI.
    public let hosts: [String]
    /// `tls.crt`: PEM certificates, leaf first.
    public let certificatePEM: [UInt8]
    /// `tls.key`: a PEM private key. Never printed, logged or compared in messages.
    public let privateKeyPEM: [UInt8]
    /// Where the Secret was written, and where its two keys were (for diagnostics).
    public let location: SourceLocation
    public let certificateLocation: SourceLocation
    public let privateKeyLocation: SourceLocation

    public init(secret: ObjectKey, hosts: [String], certificatePEM: [UInt8], privateKeyPEM: [UInt8],
                location: SourceLocation, certificateLocation: SourceLocation, privateKeyLocation: SourceLocation) {
        self.secret = secret
        self.hosts = hosts
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
        self.location = location
        self.certificateLocation = certificateLocation
        self.privateKeyLocation = privateKeyLocation
    }

    /// `Secret "ns/name"`: how messages name it (never with its contents).
    public var description: String { "Secret \"\(secret)\"" }
}

extension IngressCertificate: CustomDebugStringConvertible, CustomReflectable {
    public var debugDescription: String { description }
    /// `dump` and debuggers see where it came from, never the key bytes.
    public var customMirror: Mirror {
        Mirror(self, children: ["secret": secret, "hosts": hosts, "location": location])
    }
}

/// Hosts of a `spec.tls` entry that get the default certificate, and why.
public struct IngressTLSFallback: Hashable, Sendable, CustomStringConvertible {
    public enum Reason: Hashable, Sendable, CustomStringConvertible {
        /// The entry has no `secretName`.
        case noSecretName
        /// No Secret of that name in the Ingress's namespace.
        case secretMissing(ObjectKey)
        /// The Secret is of another type than `kubernetes.io/tls`.
        case notTLS(secret: ObjectKey, type: String)

        public var description: String {
            switch self {
            case .noSecretName: "no secretName"
            case .secretMissing(let key): "Secret \"\(key)\" does not exist"
            case .notTLS(let key, let type): "Secret \"\(key)\" is of type \(type), not \(Secret.tlsType)"
            }
        }
    }

    /// As the entry wrote them, lowercase; empty when it named none.
    public let hosts: [String]
    public let ingress: ObjectKey
    public let reason: Reason

    public init(hosts: [String], ingress: ObjectKey, reason: Reason) {
        self.hosts = hosts
        self.ingress = ingress
        self.reason = reason
    }

    /// `Secret "shop/x" does not exist: x.example.com gets the default certificate`.
    public var description: String {
        let who = switch hosts.count {
        case 0: "its hosts get"
        case 1: "\(hosts[0]) gets"
        default: hosts.joined(separator: ", ") + " get"
        }
        return "\(reason): \(who) the default certificate"
    }
}

public struct IngressTLSPlan: Hashable, Sendable {
    /// Where HTTPS is accepted (kind `.ingressHTTPS`). Settable only here, so that a plan
    /// diff can compare and copy the plan without its addresses.
    public internal(set) var listenAddresses: [ListenAddress]
    /// Every Secret our Ingresses' `spec.tls` name that exists and is of type
    /// `kubernetes.io/tls`, sorted by name.
    public let certificates: [IngressCertificate]
    /// `--default-ssl-certificate`: served without SNI, for unknown names, and for hosts
    /// whose Secret is missing or invalid. Nil: a self-signed certificate made at start.
    public let defaultCertificate: IngressCertificate?
    /// Hosts whose plain-HTTP requests are answered 308 to `https://` (the TLS hosts of
    /// Ingresses annotated `svcproxy.io/ssl-redirect: "true"`).
    public let redirectHosts: [IngressHostMatch]
    /// The port `https://` redirects name (omitted from the URL when 443).
    public let redirectPort: Int
    /// `--ingress-tls-handshake-timeout`.
    public let handshakeTimeout: Duration
    /// The `spec.tls` entries whose hosts get the default certificate, oldest Ingress first
    /// (a note says each when the plan is made; `check --print-plan` lists them).
    public let fallbacks: [IngressTLSFallback]

    public init(listenAddresses: [ListenAddress], certificates: [IngressCertificate], defaultCertificate: IngressCertificate? = nil,
                redirectHosts: [IngressHostMatch] = [], redirectPort: Int = 443, handshakeTimeout: Duration = .seconds(10),
                fallbacks: [IngressTLSFallback] = []) {
        self.fallbacks = fallbacks
        self.listenAddresses = listenAddresses
        self.certificates = certificates.sorted { $0.secret < $1.secret }
        self.defaultCertificate = defaultCertificate
        self.redirectHosts = redirectHosts.sorted()
        self.redirectPort = redirectPort
        self.handshakeTimeout = handshakeTimeout
    }

    /// Whether a plain-HTTP request for `host` (as in `Host`, any case, perhaps a port)
    /// is sent on to HTTPS.
    public func redirects(host: Substring) -> Bool {
        let name = IngressPlan.hostName(host)
        return redirectHosts.contains { $0.matches(name) }
    }
}
