// What a Secret holds, judged in two steps. Every Secret gets Kubernetes' ValidateSecret
// (pkg/apis/core/validation) for what needs no decoding: its name, its keys, and for
// `kubernetes.io/tls` the two keys it must have. Only the Secrets in use (named by an
// Ingress of ours or by `--default-ssl-certificate`) are decoded: base64 read as the API
// server reads it, then each key checked to be PEM of the right kind, so that a mistake
// (a key encoded twice, a certificate where the key belongs) is an error at its line
// rather than a failed handshake. No message shows a value.

extension Validation {
    /// Kubernetes' ValidateConfigMapKey pattern, for the keys of `data`.
    private static let configKeyMessage = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' "
        + "(e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"

    static func validate(_ secret: Secret) -> [ConfigError] {
        var errors = ObjectErrors(label: secret.label, source: secret.source)
        if !secret.key.name.isEmpty {
            errors.invalid("metadata.name", "\"\(secret.key.name)\"", NameFormat.dns1123Subdomain(secret.key.name))
        }
        validateNamespace(secret.key, into: &errors)
        for (key, value) in secret.values.sorted(by: { $0.key < $1.key }) {
            errors.invalid(value.path, "\"\(key)\"", configKeyProblems(key))
        }
        if secret.isTLS {
            for key in [Secret.certificateKey, Secret.privateKeyKey] where secret.values[key] == nil {
                errors.add("data[\(key)]", .required(detail: ""))
            }
        }
        return errors.errors
    }

    /// IsConfigMapKey: what is wrong with a key of `data`.
    static func configKeyProblems(_ key: String) -> [String] {
        var problems: [String] = []
        if key.utf8.count > 253 { problems.append(NameFormat.maxLength(253)) }
        if key.isEmpty || !key.utf8.allSatisfy({ byte in
            byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
                || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }) {
            problems.append(configKeyMessage)
        }
        if key == "." {
            problems.append("must not be '.'")
        } else if key == ".." {
            problems.append("must not be '..'")
        } else if key.hasPrefix("..") {
            problems.append("must not start with '..'")
        }
        return problems
    }
}

/// The certificates of the `kubernetes.io/tls` Secrets in use, decoded once, and what was
/// wrong with the ones that could not be.
struct SecretContents {
    /// What messages show in place of a Secret's value (Kubernetes' own words for it, quoted
    /// as a string value is).
    static let redacted = "\"<secret contents redacted>\""
    /// Kubernetes' MaxSecretSize.
    static let maxSize = 1 << 20

    /// By Secret, with no hosts yet: the Ingresses that name it add them.
    private(set) var certificates: [ObjectKey: IngressCertificate] = [:]
    private(set) var errors: [ConfigError] = []

    /// Decodes the `kubernetes.io/tls` Secrets among `wanted` (the first of a name; a
    /// second is a uniqueness error already). Other Secrets are not touched.
    init(secrets: [Secret], wanted: Set<ObjectKey>) {
        var seen = Set<ObjectKey>()
        for secret in secrets where wanted.contains(secret.key) && seen.insert(secret.key).inserted && secret.isTLS {
            if let certificate = decode(secret) { certificates[secret.key] = certificate }
        }
    }

    private mutating func decode(_ secret: Secret) -> IngressCertificate? {
        var objectErrors = ObjectErrors(label: secret.label, source: secret.source)
        var decoded: [String: [UInt8]] = [:]
        var size = 0
        for (key, value) in secret.values.sorted(by: { $0.key < $1.key }) {
            switch value.encoding {
            case .text:
                decoded[key] = Array(value.written.utf8)
            case .base64:
                switch Base64Syntax.decode(value.written) {
                case .success(let bytes): decoded[key] = bytes
                case .failure(let error): objectErrors.add(value.path, .invalid(value: Self.redacted, detail: error.description))
                }
            }
            size += decoded[key]?.count ?? 0
        }
        if size > Self.maxSize { objectErrors.add("data", .tooLong(detail: "may not be more than \(Self.maxSize) bytes")) }
        guard let certificate = secret.values[Secret.certificateKey], let key = secret.values[Secret.privateKeyKey] else {
            errors += objectErrors.errors
            return nil  // Validation.validate(_: Secret) says which is missing
        }
        if let bytes = decoded[Secret.certificateKey], let problem = PEMShape.certificateProblem(bytes) {
            objectErrors.add(certificate.path, .invalid(value: Self.redacted, detail: problem))
        }
        if let bytes = decoded[Secret.privateKeyKey], let problem = PEMShape.privateKeyProblem(bytes) {
            objectErrors.add(key.path, .invalid(value: Self.redacted, detail: problem))
        }
        errors += objectErrors.errors
        guard objectErrors.errors.isEmpty, let chain = decoded[Secret.certificateKey], let privateKey = decoded[Secret.privateKeyKey] else {
            return nil
        }
        return IngressCertificate(secret: secret.key, hosts: [], certificatePEM: chain, privateKeyPEM: privateKey,
                                  location: secret.source.location, certificateLocation: certificate.location,
                                  privateKeyLocation: key.location)
    }
}

/// Whether decoded bytes look like what `tls.crt` and `tls.key` must hold: PEM blocks of the
/// right kind. Parsing them is the TLS module's work; this only catches the usual mistakes.
enum PEMShape {
    private static let beginCertificate = "-----BEGIN CERTIFICATE-----"
    /// `PRIVATE KEY` (PKCS #8), `RSA PRIVATE KEY` (PKCS #1), `EC PRIVATE KEY` (SEC 1).
    private static let privateKeyLabels = ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"]
    /// "-----BEGIN" in base64: what a PEM encoded twice starts with.
    private static let base64OfBegin = "LS0tLS1CRUdJTi"

    /// Nil when `bytes` hold a PEM certificate; else what is wrong, in words.
    static func certificateProblem(_ bytes: [UInt8]) -> String? {
        if contains(bytes, beginCertificate) { return nil }
        if contains(bytes, "PRIVATE KEY-----") { return "holds a private key, not a certificate: are tls.crt and tls.key swapped?" }
        return notPEM(bytes) ?? "must hold PEM certificates (\(beginCertificate)), leaf first"
    }

    /// Nil when `bytes` hold an unencrypted PEM private key; else what is wrong.
    static func privateKeyProblem(_ bytes: [UInt8]) -> String? {
        if privateKeyLabels.contains(where: { contains(bytes, "-----BEGIN \($0)-----") }) { return nil }
        if contains(bytes, "-----BEGIN ENCRYPTED PRIVATE KEY-----") {
            return "an encrypted private key cannot be used: there is no passphrase to decrypt it with"
        }
        if contains(bytes, beginCertificate) { return "holds a certificate, not a private key: are tls.crt and tls.key swapped?" }
        return notPEM(bytes) ?? "must hold a PEM private key (-----BEGIN PRIVATE KEY-----)"
    }

    private static func notPEM(_ bytes: [UInt8]) -> String? {
        if bytes.isEmpty { return "must not be empty" }
        if contains(bytes, base64OfBegin) { return "holds base64 text, not PEM: was it base64-encoded twice?" }
        return nil
    }

    private static func contains(_ bytes: [UInt8], _ text: String) -> Bool {
        bytes.firstRange(of: Array(text.utf8)) != nil
    }
}
