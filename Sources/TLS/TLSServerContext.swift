// Everything one Ingress plan serves over TLS, built once when the plan arrives and then
// only read: the contexts of its usable certificates, the SNI table that chooses among
// them, and the shared ticket keys. Workers make their connections from it concurrently
// (SSL_new on a shared SSL_CTX is thread-safe; nothing here changes after init).
import COpenSSL
import ServiceConfig

/// Everything a plan serves over TLS: one SSL_CTX per usable certificate, SNI selection,
/// ticket keys. Built once per plan (on the engine's thread), then shared read-only by all
/// workers.
public final class TLSServerContext: @unchecked Sendable {
    /// What was wrong with the plan's Secrets; an error means that Secret is left out.
    public let diagnostics: [TLSDiagnostic]
    /// The usable certificates in plan order, then the default (`isDefault`).
    public let served: [ServedCertificate]

    /// Kept alive for the SSL_CTXs' app data (see ContextCallbacks.swift).
    private let callbacks: CallbackState
    /// Owns the SSL_CTXs that `callbacks.selection` points at (one per Secret: the default
    /// certificate's Secret may be here twice, as itself and as an Ingress's).
    private let contexts: [ServerSSLContext]

    /// How many SSL_CTXs serve the plan's certificates.
    var contextCount: Int { Set(contexts.map(\.pointer)).count }

    /// Loads `plan.certificates` (unusable ones are left out, with diagnostics) and the
    /// default (`plan.defaultCertificate`, or `fallbackDefault`, the self-signed one, when the
    /// plan has none or it is unusable). SNI: exact name match among the certificates' SANs,
    /// then wildcard SANs (`*.foo.com` matches one label), else the default. TLS 1.2 and 1.3
    /// only; Mozilla "intermediate" suites for 1.2; ALPN "http/1.1" only; no renegotiation;
    /// no compression; partial writes; kernel TLS where the kernel has it.
    /// - Throws: when `fallbackDefault` is needed and unusable, or OpenSSL refuses a setting.
    public init(plan: IngressTLSPlan, fallbackDefault: (certificatePEM: [UInt8], privateKeyPEM: [UInt8]),
                ticketKeys: TLSTicketKeys) throws(TLSError) {
        let now = wallClockSeconds()
        var diagnostics: [TLSDiagnostic] = []
        var served: [ServedCertificate] = []
        var contexts: [ServerSSLContext] = []
        var candidates: [SNISelection.Candidate] = []

        func add(_ material: CertificateMaterial, _ context: ServerSSLContext, secret: ObjectKey?, hosts: [String],
                 isDefault: Bool) {
            let names = material.leaf.names
            served.append(ServedCertificate(
                secret: secret, names: names, notBefore: material.leaf.notBefore ?? 0,
                notAfter: material.leaf.notAfter ?? 0, keyType: material.key.typeName, isDefault: isDefault))
            contexts.append(context)
            candidates.append(.init(names: names, listedHosts: hosts, isDefault: isDefault, context: context.pointer))
        }

        var loadedBySecret: [ObjectKey: (material: CertificateMaterial, context: ServerSSLContext)] = [:]
        for certificate in plan.certificates {
            let loaded = TLSCertificates.load(certificate, now: now)
            diagnostics += loaded.diagnostics
            if let material = loaded.material, let context = loaded.context {
                add(material, context, secret: certificate.secret, hosts: certificate.hosts, isDefault: false)
                loadedBySecret[certificate.secret] = (material, context)
            }
        }
        if let certificate = plan.defaultCertificate {
            if let (material, context) = loadedBySecret[certificate.secret] {
                // The same Secret serves hosts too: one context for both, so that a client
                // naming one of them stays on the context every connection starts on (no
                // SSL_set_SSL_CTX in the SNI callback).
                add(material, context, secret: certificate.secret, hosts: certificate.hosts, isDefault: true)
            } else {
                // A Secret no Ingress lists, or an unusable one that `certificates` also
                // holds (its diagnostics are said once).
                let loaded = TLSCertificates.load(certificate, now: now)
                let alsoServed = plan.certificates.contains { $0.secret == certificate.secret }
                if !alsoServed { diagnostics += loaded.diagnostics }
                if let material = loaded.material, let context = loaded.context {
                    add(material, context, secret: certificate.secret, hosts: certificate.hosts, isDefault: true)
                }
            }
        }
        if !served.contains(where: \.isDefault) {
            let (material, findings) = CertificateMaterial.read(
                certificatePEM: fallbackDefault.certificatePEM, privateKeyPEM: fallbackDefault.privateKeyPEM, now: now)
            guard let material else {
                let words = findings.map { "\($0.field.rawValue): \($0.message)" }.joined(separator: "; ")
                throw TLSError("the default certificate is unusable: \(words)")
            }
            add(material, try ServerSSLContext(material: material), secret: nil, hosts: [], isDefault: true)
        }

        guard let defaultContext = candidates.first(where: \.isDefault)?.context else {
            throw TLSError("no default certificate")
        }
        let callbacks = CallbackState(
            selection: SNISelection(defaultContext: defaultContext, candidates: candidates), ticketKeys: ticketKeys,
            identities: Dictionary(contexts.map { ($0.pointer, $0.identity) }, uniquingKeysWith: { first, _ in first }))
        for context in Set(contexts.map(\.pointer)) {
            try callbacks.install(on: context, isDefault: context == defaultContext)
        }
        self.diagnostics = diagnostics
        self.served = served
        self.callbacks = callbacks
        self.contexts = contexts
    }

    /// A server-side TLS connection over an accepted, non-blocking socket. The caller keeps
    /// owning the descriptor (OpenSSL never closes it) and closes it after the connection.
    /// - Throws: when OpenSSL cannot allocate the connection.
    public func makeConnection(socket: Int32) throws(TLSError) -> TLSConnection {
        try TLSConnection(context: self, defaultContext: callbacks.selection.defaultContext, socket: socket)
    }
}
