// A certificate and key made on the spot: the default certificate when the user named
// none (clients see an untrusted certificate rather than a refused connection, as with
// ingress-nginx's "Kubernetes Ingress Controller Fake Certificate"), and test material
// with chosen dates.
import COpenSSL

enum SelfSignedCertificate {
    /// A self-signed ECDSA P-256 certificate whose CN is `names[0]` and whose SANs are
    /// `names`, valid from `notBefore` to `notAfter` (seconds since the epoch), as PEM.
    /// - Throws: `TLSError` when a name is not a DNS name or OpenSSL fails.
    static func make(names: [String], notBefore: Double, notAfter: Double) throws(TLSError)
        -> (certificatePEM: [UInt8], privateKeyPEM: [UInt8])
    {
        guard let commonName = names.first, names.allSatisfy(isDNSName) else {
            throw TLSError("a self-signed certificate needs DNS names, not \(names)")
        }
        OpenSSLErrors.clear()
        let key = try makeKey()
        guard let pointer = X509_new() else { throw TLSError(OpenSSLErrors.take(), fallback: "X509_new failed") }
        let certificate = X509Certificate(taking: pointer)
        var serial = SystemRandomNumberGenerator()
        guard X509_set_version(pointer, Int(X509_VERSION_3)) == 1,
              ASN1_INTEGER_set_uint64(X509_get_serialNumber(pointer), serial.next() >> 1) == 1,
              ASN1_TIME_set(X509_getm_notBefore(pointer), time_t(notBefore)) != nil,
              ASN1_TIME_set(X509_getm_notAfter(pointer), time_t(notAfter)) != nil,
              X509_set_pubkey(pointer, key.pointer) == 1,
              let subject = X509_get_subject_name(pointer),
              X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, commonName, -1, -1, 0) == 1,
              X509_set_issuer_name(pointer, subject) == 1,
              addAlternativeNames(names, to: pointer),
              X509_sign(pointer, key.pointer, EVP_sha256()) > 0,
              let certificatePEM = bytesWritten(by: { PEM_write_bio_X509($0, certificate.pointer) == 1 }),
              let privateKeyPEM = bytesWritten(by: { bio in
                  PEM_write_bio_PrivateKey(bio, key.pointer, nil, nil, 0, nil, nil) == 1
              })
        else {
            throw TLSError(OpenSSLErrors.take(), fallback: "the self-signed certificate could not be made")
        }
        return (certificatePEM, privateKeyPEM)
    }

    private static func makeKey() throws(TLSError) -> PrivateKey {
        guard let context = EVP_PKEY_CTX_new_from_name(nil, "EC", nil) else {
            throw TLSError(OpenSSLErrors.take(), fallback: "EC keys are not available")
        }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_CTX_set_group_name(context, "P-256") == 1,
              EVP_PKEY_generate(context, &key) == 1, let key
        else {
            throw TLSError(OpenSSLErrors.take(), fallback: "the P-256 key could not be made")
        }
        return PrivateKey(taking: key)
    }

    private static func addAlternativeNames(_ names: [String], to certificate: OpaquePointer) -> Bool {
        var context = X509V3_CTX()
        X509V3_set_ctx(&context, certificate, certificate, nil, nil, 0)
        let value = names.map { "DNS:\($0)" }.joined(separator: ",")
        guard let extensionValue = X509V3_EXT_conf_nid(nil, &context, NID_subject_alt_name, value) else { return false }
        defer { X509_EXTENSION_free(extensionValue) }
        return X509_add_ext(certificate, extensionValue, -1) == 1
    }

    /// Letters, digits, `-` and `.`, perhaps a leading `*.`: nothing that could change the
    /// meaning of the `DNS:a,DNS:b` list OpenSSL parses.
    private static func isDNSName(_ name: String) -> Bool {
        let body = name.hasPrefix("*.") ? name.dropFirst(2) : Substring(name)
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.".utf8)
        return !body.isEmpty && body.utf8.count <= 253 && body.utf8.allSatisfy(allowed.contains)
    }
}
