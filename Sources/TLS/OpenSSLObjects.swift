// Owners for the OpenSSL objects the module keeps: each frees its pointer exactly once, so
// a certificate or key parsed for a check or a context cannot leak on any path. They are
// immutable after creation; OpenSSL's reference counts make sharing them across threads
// safe (an SSL_CTX takes its own references to what it is given).
import COpenSSL

/// An `X509*`, freed with `X509_free`.
final class X509Certificate: @unchecked Sendable {
    let pointer: OpaquePointer

    init(taking pointer: OpaquePointer) { self.pointer = pointer }

    deinit { X509_free(pointer) }
}

/// An `EVP_PKEY*`, freed with `EVP_PKEY_free`. Its bytes are never read out of OpenSSL
/// except by `SelfSignedCertificate`, which writes a new key as PEM.
final class PrivateKey: @unchecked Sendable {
    let pointer: OpaquePointer

    init(taking pointer: OpaquePointer) { self.pointer = pointer }

    deinit { EVP_PKEY_free(pointer) }
}

/// A read-only memory BIO over `bytes` for the length of `body` (OpenSSL does not copy).
func withMemoryBIO<Result>(_ bytes: [UInt8], _ body: (OpaquePointer) -> Result?) -> Result? {
    bytes.withUnsafeBytes { buffer -> Result? in
        guard let base = buffer.baseAddress, buffer.count > 0, buffer.count <= Int(Int32.max),
              let bio = BIO_new_mem_buf(base, Int32(buffer.count))
        else { return nil }
        defer { BIO_free(bio) }
        return body(bio)
    }
}

/// Everything written to a fresh memory BIO by `body`, or nil when `body` fails.
func bytesWritten(by body: (OpaquePointer) -> Bool) -> [UInt8]? {
    guard let method = BIO_s_mem(), let bio = BIO_new(method) else { return nil }
    defer { BIO_free(bio) }
    guard body(bio) else { return nil }
    let pending = Int(BIO_ctrl_pending(bio))
    guard pending > 0, pending <= Int(Int32.max) else { return nil }
    var bytes = [UInt8](repeating: 0, count: pending)
    let read = bytes.withUnsafeMutableBytes { BIO_read(bio, $0.baseAddress, Int32(pending)) }
    return read == pending ? bytes : nil
}
