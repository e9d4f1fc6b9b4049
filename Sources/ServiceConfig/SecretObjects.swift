// Secret (v1) as a plain value, kept as written: a Secret holds key material, so its values
// are decoded only for the Secrets an Ingress of ours or `--default-ssl-certificate` names
// (SecretContents.swift), and neither a Secret nor a value prints or reflects its bytes.

/// One key of a Secret's `data` (base64) or `stringData` (text), not yet decoded.
struct SecretValue: Hashable, Sendable {
    enum Encoding: Hashable, Sendable {
        /// `data`: base64, as the API's `[]byte` fields are written.
        case base64
        /// `stringData`: the text itself, which the API server merges into `data`.
        case text
    }

    let written: String
    let encoding: Encoding
    /// `data[tls.crt]` or `stringData[tls.crt]`: where errors about it point.
    let path: String
    let location: SourceLocation
}

extension SecretValue: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    var description: String { "\(path) (not shown)" }
    var debugDescription: String { description }
    var customMirror: Mirror { Mirror(self, children: ["path": path, "location": location]) }
}

public struct Secret: Hashable, Sendable {
    /// The one type svcproxy reads; Secrets of other types are skipped.
    public static let tlsType = "kubernetes.io/tls"
    /// The API server's default type.
    public static let opaqueType = "Opaque"
    /// The certificate chain's key in a `kubernetes.io/tls` Secret (Kubernetes' TLSCertKey).
    public static let certificateKey = "tls.crt"
    /// The private key's key (Kubernetes' TLSPrivateKeyKey).
    public static let privateKeyKey = "tls.key"

    public var key: ObjectKey
    public var source: ObjectSource
    /// As written; `Opaque` when left out, as the API server defaults it.
    public var type: String = Secret.opaqueType
    public var immutable: Bool?
    /// `data` and `stringData` by key, `stringData` winning where both have one, as the API
    /// server merges them.
    var values: [String: SecretValue] = [:]

    public init(key: ObjectKey, source: ObjectSource) {
        self.key = key
        self.source = source
    }

    /// `Secret "shop/web-tls"`, as errors name it.
    public var label: String { "Secret \"\(key)\"" }

    public var isTLS: Bool { type == Self.tlsType }

    /// The keys of `data` and `stringData`, sorted; never their values.
    public var dataKeys: [String] { values.keys.sorted() }
}

extension Secret: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "\(label) of type \(type)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["key": key, "type": type, "dataKeys": dataKeys, "location": source.location])
    }
}
