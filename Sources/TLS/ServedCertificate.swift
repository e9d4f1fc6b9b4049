// What a loaded certificate serves, as plain values for logs, `svcproxy check` and
// metrics: its Secret, its names, its validity and its key's kind.
import ServiceConfig

/// A certificate chain with its key, loaded and checked: what it was loaded from and what it
/// serves.
public struct ServedCertificate: Sendable {
    /// Nil for the self-signed default.
    public let secret: ObjectKey?
    /// Its SANs (DNS names, lowercase; wildcards as `*.foo.com`), else its CN.
    public let names: [String]
    /// Seconds since the epoch.
    public let notBefore: Double
    public let notAfter: Double
    /// `RSA-2048`, `ECDSA P-256`, `Ed25519`.
    public let keyType: String
    public let isDefault: Bool
}
