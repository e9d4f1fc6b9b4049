// One SSL_CTX per certificate, all configured alike, because SNI switches a connection to
// the certificate's context after the ClientHello and OpenSSL then reads some settings
// (ALPN, the certificate) from the new context and others (versions, ciphers) from the first:
// only identical settings make the result independent of which context a setting came from.
import COpenSSL
import CTLSShim

/// Mozilla's "intermediate" TLS 1.2 suites (ECDHE with AES-GCM or ChaCha20-Poly1305, no
/// DHE). TLS 1.3 keeps OpenSSL's default suites, which are the same recommendation.
let intermediateCiphers = [
    "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
].joined(separator: ":")

/// An `SSL_CTX` serving one certificate chain and key, freed with `SSL_CTX_free` (the SSLs
/// made from it or switched to it hold their own references).
final class ServerSSLContext: @unchecked Sendable {
    let pointer: OpaquePointer
    /// The leaf certificate's SHA-256: what binds a session ticket to the certificate it was
    /// issued under (the ticket's MAC covers it).
    private(set) var identity: [UInt8] = []

    /// A server context for `material`, with the settings every context of ours shares.
    /// - Throws: OpenSSL's reason when it refuses a setting or the certificate and key
    ///   (for example a signature digest below the security level).
    init(material: CertificateMaterial) throws(TLSError) {
        OpenSSLErrors.clear()
        guard let method = TLS_server_method(), let context = SSL_CTX_new(method) else {
            throw TLSError(OpenSSLErrors.take(), fallback: "SSL_CTX_new failed")
        }
        pointer = context
        try configure()
        try use(material)
    }

    deinit { SSL_CTX_free(pointer) }

    private func configure() throws(TLSError) {
        // No renegotiation (a client-driven CPU sink, and nothing we serve needs it), no
        // compression (CRIME); kernel TLS where the kernel has it.
        SSL_CTX_set_options(pointer, svcproxy_tls_server_options())
        // The worker loops hand OpenSSL a window of their buffers; a partial write returns
        // what went out, and a retried write may come from a buffer that has moved. Idle
        // connections give their record buffers back; reads take what the socket has.
        svcproxy_tls_ctx_set_io_modes(pointer)
        // Resumption is by tickets only: a per-context session cache would be locked by
        // every worker and would not survive a reload, while the ticket keys do.
        svcproxy_tls_ctx_disable_session_cache(pointer)
        svcproxy_tls_ctx_select_http11(pointer)
        // One session ID context for all: a session resumes only under the one it was made
        // under, and the SNI callback moving a connection to another context must not
        // change it. What keeps a session to its certificate is the ticket's MAC, which
        // covers the certificate's digest (ContextCallbacks.swift).
        let sessionContext = Array("svcproxy".utf8)
        guard svcproxy_tls_ctx_set_versions(pointer, TLS1_2_VERSION, 0) == 1,
              SSL_CTX_set_cipher_list(pointer, intermediateCiphers) == 1,
              svcproxy_tls_ctx_set_groups(pointer, "X25519:P-256:P-384") == 1,
              SSL_CTX_set_session_id_context(pointer, sessionContext, UInt32(sessionContext.count)) == 1
        else {
            throw TLSError(OpenSSLErrors.take(), fallback: "the TLS settings were refused")
        }
    }

    private func use(_ material: CertificateMaterial) throws(TLSError) {
        try material.install(in: pointer)
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard X509_digest(material.leaf.pointer, EVP_sha256(), &digest, &length) == 1 else {
            throw TLSError(OpenSSLErrors.take(), fallback: "the certificate could not be digested")
        }
        identity = Array(digest.prefix(Int(length)))
    }
}
