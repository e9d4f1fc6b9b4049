// What is wrong with a Secret's certificate or key, pointed at the line where the value was
// written, in the shape of the configuration errors (`FILE:LINE:COL: Secret "ns/name"
// data[tls.key]: ...`). Messages are our words and OpenSSL's reason strings; neither ever
// holds a byte of the key.
import ServiceConfig

/// Something wrong with a Secret's material: a warning (expired) or an error (unusable: the
/// hosts it would serve get the default certificate).
public struct TLSDiagnostic: Sendable, CustomStringConvertible {
    public enum Severity: Sendable { case warning, error }
    public let severity: Severity
    public let secret: ObjectKey
    /// `tls.crt` or `tls.key`.
    public let key: String
    /// `IngressCertificate.certificateLocation` or `.privateKeyLocation`.
    public let location: SourceLocation
    /// Words only: "the private key does not match the certificate's public key".
    public let message: String

    /// `FILE:LINE:COL: Secret "ns/name" data[tls.key]: MESSAGE`.
    public var description: String { "\(location): Secret \"\(secret)\" data[\(key)]: \(message)" }

    init(_ finding: MaterialFinding, of certificate: IngressCertificate) {
        severity = finding.severity
        secret = certificate.secret
        key = finding.field.rawValue
        location = finding.field == .certificate ? certificate.certificateLocation : certificate.privateKeyLocation
        message = finding.message
    }
}

/// One finding about a certificate and key, before it is tied to a Secret.
struct MaterialFinding: Sendable, Equatable {
    /// Which of the Secret's two keys the finding is about.
    enum Field: String, Sendable { case certificate = "tls.crt", privateKey = "tls.key" }

    let severity: TLSDiagnostic.Severity
    let field: Field
    let message: String

    static func error(_ field: Field, _ message: String) -> MaterialFinding {
        MaterialFinding(severity: .error, field: field, message: message)
    }

    static func warning(_ field: Field, _ message: String) -> MaterialFinding {
        MaterialFinding(severity: .warning, field: field, message: message)
    }
}
