// The checks `svcproxy check` and the plan loader run on a Secret before anything serves
// it, and the self-signed default for a node without `--default-ssl-certificate`.
import ServiceConfig

public enum TLSCertificates {
    /// Checks one Secret's material: tls.crt holds one or more PEM certificates (leaf
    /// first), tls.key a PEM private key (RSA, ECDSA or Ed25519) that matches the leaf;
    /// warns on a leaf expired or not yet valid, with its dates (ISO 8601), and on a
    /// `spec.tls` host the certificate does not name.
    /// - Returns: errors (the Secret is unusable) and warnings (it is served anyway).
    public static func check(_ certificate: IngressCertificate) -> [TLSDiagnostic] {
        load(certificate, now: wallClockSeconds()).diagnostics
    }

    /// A self-signed certificate and key (ECDSA P-256, SAN and CN `commonName`, valid for
    /// 1 year from now) for the default certificate when none is configured.
    /// - Throws: when `commonName` is not a DNS name, or OpenSSL fails.
    public static func selfSigned(commonName: String) throws -> (certificatePEM: [UInt8], privateKeyPEM: [UInt8]) {
        let now = wallClockSeconds()
        return try SelfSignedCertificate.make(names: [commonName], notBefore: now, notAfter: now + 365 * 24 * 60 * 60)
    }

    /// Reads and checks `certificate`, then builds the context that would serve it, so that
    /// whatever OpenSSL itself refuses (a weak signature at the security level) is a
    /// diagnostic too.
    static func load(_ certificate: IngressCertificate, now: Double)
        -> (material: CertificateMaterial?, context: ServerSSLContext?, diagnostics: [TLSDiagnostic])
    {
        let (material, findings) = CertificateMaterial.read(
            certificatePEM: certificate.certificatePEM, privateKeyPEM: certificate.privateKeyPEM,
            hosts: certificate.hosts, now: now)
        var diagnostics = findings.map { TLSDiagnostic($0, of: certificate) }
        guard let material else { return (nil, nil, diagnostics) }
        do {
            return (material, try ServerSSLContext(material: material), diagnostics)
        } catch {
            let finding = MaterialFinding.error(
                .certificate, "OpenSSL refuses the certificate and key: \(error.reasons)")
            diagnostics.append(TLSDiagnostic(finding, of: certificate))
            return (nil, nil, diagnostics)
        }
    }
}
