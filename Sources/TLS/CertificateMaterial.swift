// A Secret's `tls.crt` and `tls.key` read into OpenSSL objects and checked the way a user
// needs them checked: which of the two is wrong and why, in words. The server context and
// `TLSCertificates.check` both start here, so what `svcproxy check` accepts is what the
// daemon serves.
import COpenSSL

/// A parsed certificate chain (leaf first) and the private key that matches the leaf.
final class CertificateMaterial: @unchecked Sendable {
    let leaf: X509Certificate
    /// The certificates after the leaf, in the order given.
    let intermediates: [X509Certificate]
    let key: PrivateKey

    private init(leaf: X509Certificate, intermediates: [X509Certificate], key: PrivateKey) {
        self.leaf = leaf
        self.intermediates = intermediates
        self.key = key
    }

    /// Parses and checks `certificatePEM` and `privateKeyPEM`. Material comes back unless a
    /// finding is an error; warnings (an expired leaf, a host its names do not cover) come
    /// with it.
    /// - Parameters:
    ///   - hosts: the `spec.tls` hosts that name this certificate, which its names should cover.
    ///   - now: seconds since the epoch, for the validity dates.
    static func read(certificatePEM: [UInt8], privateKeyPEM: [UInt8], hosts: [String] = [],
                     now: Double) -> (material: CertificateMaterial?, findings: [MaterialFinding]) {
        OpenSSLErrors.clear()
        let certificates: [X509Certificate]
        switch readCertificates(certificatePEM) {
        case .success(let read): certificates = read
        case .failure(let finding): return (nil, [finding])
        }
        guard let leaf = certificates.first else { return (nil, [.error(.certificate, "no PEM certificate found")]) }
        let key: PrivateKey
        switch readPrivateKey(privateKeyPEM) {
        case .success(let read): key = read
        case .failure(let finding): return (nil, [finding])
        }
        if let finding = unusable(key) ?? mismatch(key, certificates) { return (nil, [finding]) }
        let material = CertificateMaterial(leaf: leaf, intermediates: Array(certificates.dropFirst()), key: key)
        return (material, validity(of: leaf, now: now) + coverage(of: leaf, hosts: hosts))
    }
}

extension CertificateMaterial {
    /// Makes this the certificate, chain and key that `context` presents (a server's, or
    /// the API client's client certificate).
    func install(in context: OpaquePointer) throws(TLSError) {
        // SSL_CTX_use_cert_and_key takes its own references to the chain's certificates, so
        // the stack itself is freed here without them.
        guard let chain = OPENSSL_sk_new_null() else { throw TLSError("out of memory") }
        defer { OPENSSL_sk_free(chain) }
        for certificate in intermediates {
            guard OPENSSL_sk_push(chain, UnsafeRawPointer(certificate.pointer)) > 0 else {
                throw TLSError("out of memory")
            }
        }
        guard SSL_CTX_use_cert_and_key(context, leaf.pointer, key.pointer, chain, 1) == 1 else {
            throw TLSError(OpenSSLErrors.take(), fallback: "the certificate and key were refused")
        }
    }
}

/// A finding as an `Error`, so that the readers can return `Result`.
extension MaterialFinding: Error {}

/// Every PEM certificate in `bytes`; reading stops at the first block that is not one.
/// (Also the CA bundle of the API client, TLSClientContext.)
func readCertificates(_ bytes: [UInt8]) -> Result<[X509Certificate], MaterialFinding> {
    let result = withMemoryBIO(bytes) { bio -> Result<[X509Certificate], MaterialFinding> in
        var certificates: [X509Certificate] = []
        while let pointer = PEM_read_bio_X509(bio, nil, nil, nil) {
            certificates.append(X509Certificate(taking: pointer))
        }
        // The loop always ends in an error: "no start line" after the last block is the
        // normal end; anything else means a block that could not be read.
        let errors = OpenSSLErrors.take()
        let normalEnd = errors.allSatisfy { $0.library == ERR_LIB_PEM && $0.reason == PEM_R_NO_START_LINE }
        if normalEnd && !certificates.isEmpty { return .success(certificates) }
        if normalEnd { return .failure(.error(.certificate, "no PEM certificate found")) }
        let number = certificates.count + 1
        return .failure(.error(.certificate, "certificate \(number) cannot be read: \(OpenSSLErrors.reasons(errors))"))
    }
    return result ?? .failure(.error(.certificate, "no PEM certificate found"))
}

/// The first PEM private key in `bytes`. A passphrase is never asked for: the callback
/// gives none, where OpenSSL's default would prompt on the terminal.
private func readPrivateKey(_ bytes: [UInt8]) -> Result<PrivateKey, MaterialFinding> {
    let result = withMemoryBIO(bytes) { bio -> Result<PrivateKey, MaterialFinding> in
        if let pointer = PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in 0 }, nil) {
            OpenSSLErrors.clear()
            return .success(PrivateKey(taking: pointer))
        }
        let errors = OpenSSLErrors.take()
        // OpenSSL 3's decoders report text that is no PEM at all as "unsupported", so the
        // labels are looked for here.
        if !contains(bytes, "-----BEGIN ") { return .failure(.error(.privateKey, "no PEM private key found")) }
        if contains(bytes, "ENCRYPTED") {
            return .failure(.error(.privateKey, "the private key is encrypted; it must be stored without a passphrase"))
        }
        if errors.contains(where: { $0.library == ERR_LIB_PEM && $0.reason == PEM_R_NO_START_LINE }) {
            return .failure(.error(.privateKey, "no PEM private key found"))
        }
        return .failure(.error(.privateKey, "the private key cannot be read: \(OpenSSLErrors.reasons(errors))"))
    }
    return result ?? .failure(.error(.privateKey, "no PEM private key found"))
}

/// Why `key` cannot serve, or nil when it can.
private func unusable(_ key: PrivateKey) -> MaterialFinding? {
    switch key.kind {
    case .rsa(let bits) where bits < 2048:
        return .error(.privateKey, "the RSA key has \(bits) bits; at least 2048 are needed")
    case .rsa, .ecdsa, .ed25519:
        return nil
    case .unsupported(let name):
        return .error(.privateKey, "the private key is of type \(name); use RSA, ECDSA or Ed25519")
    }
}

/// Why `key` does not go with the leaf, naming the common mistake of a chain in the wrong
/// order when the key matches a later certificate.
private func mismatch(_ key: PrivateKey, _ certificates: [X509Certificate]) -> MaterialFinding? {
    func matches(_ certificate: X509Certificate) -> Bool {
        guard let publicKey = X509_get0_pubkey(certificate.pointer) else { return false }
        return EVP_PKEY_eq(publicKey, key.pointer) == 1
    }
    defer { OpenSSLErrors.clear() }
    guard let leaf = certificates.first, !matches(leaf) else { return nil }
    if let index = certificates.indices.dropFirst().first(where: { matches(certificates[$0]) }) {
        return .error(.privateKey, "the private key matches certificate \(index + 1) of tls.crt, not the first; "
            + "the server's own certificate must come first")
    }
    return .error(.privateKey, "the private key does not match the certificate's public key")
}

/// Warnings for a leaf outside its validity dates (clients refuse it, but it is still the
/// Secret the user chose, so it is served rather than replaced by the default).
private func validity(of leaf: X509Certificate, now: Double) -> [MaterialFinding] {
    guard let notBefore = leaf.notBefore, let notAfter = leaf.notAfter else {
        return [.error(.certificate, "the certificate's validity dates cannot be read")]
    }
    let (from, to) = (iso8601(notBefore), iso8601(notAfter))
    if now > notAfter { return [.warning(.certificate, "the certificate expired on \(to) (valid from \(from))")] }
    if now < notBefore {
        return [.warning(.certificate, "the certificate is not valid until \(from) (valid to \(to))")]
    }
    return []
}

/// Warnings for `spec.tls` hosts the leaf's names do not cover: SNI picks certificates by
/// their own names, so such a host gets another certificate or the default.
private func coverage(of leaf: X509Certificate, hosts: [String]) -> [MaterialFinding] {
    let names = leaf.names
    return hosts.filter { host in !names.contains { certificateName($0, covers: host) } }.map { host in
        .warning(.certificate, "the certificate does not name host \"\(host)\" that spec.tls lists for it "
            + "(it names \(names.isEmpty ? "nothing" : names.joined(separator: ", ")))")
    }
}

/// Whether `word` occurs in `bytes` (the PEM labels of an encrypted key).
private func contains(_ bytes: [UInt8], _ word: String) -> Bool {
    let pattern = Array(word.utf8)
    guard bytes.count >= pattern.count else { return false }
    return (0...(bytes.count - pattern.count)).contains { start in
        bytes[start..<(start + pattern.count)].elementsEqual(pattern)
    }
}
