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

    public init(listenAddresses: [ListenAddress], certificates: [IngressCertificate], defaultCertificate: IngressCertificate? = nil,
                redirectHosts: [IngressHostMatch] = [], redirectPort: Int = 443, handshakeTimeout: Duration = .seconds(10)) {
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
