// One TLS connection over a non-blocking socket: the Ingress's server side, driven by one
// worker's epoll loop, or the API client's side (TLSClientContext). Each call does what OpenSSL can do now and says what to wait for otherwise; OpenSSL
// reads and writes the socket itself (a socket BIO), which is what lets it hand the records
// to the kernel when kernel TLS is on.
import COpenSSL
import CTLSShim
import Glibc

/// One connection, used by one worker thread only. Every call is non-blocking.
public final class TLSConnection {
    private let ssl: OpaquePointer
    /// Retained so the SSL_CTXs and the callbacks' state outlive this connection's SSL.
    private let context: AnyObject
    /// After SSL_ERROR_SSL or SSL_ERROR_SYSCALL OpenSSL forbids SSL_shutdown.
    private var broken = false
    private var shutdownSent = false

    init(context: AnyObject, defaultContext: OpaquePointer, socket: Int32, connecting: Bool = false) throws(TLSError) {
        OpenSSLErrors.clear()
        guard let ssl = SSL_new(defaultContext) else {
            throw TLSError(OpenSSLErrors.take(), fallback: "SSL_new failed")
        }
        // SSL_set_fd makes a socket BIO with BIO_NOCLOSE: the descriptor stays the caller's.
        guard SSL_set_fd(ssl, socket) == 1 else {
            SSL_free(ssl)
            throw TLSError(OpenSSLErrors.take(), fallback: "SSL_set_fd failed")
        }
        if connecting { SSL_set_connect_state(ssl) } else { SSL_set_accept_state(ssl) }
        self.ssl = ssl
        self.context = context
    }

    deinit { SSL_free(ssl) }

    /// Runs the handshake as far as the socket allows. The client closing the connection
    /// before it completes is a failure.
    public func handshake() -> TLSStep<Void> {
        OpenSSLErrors.clear()
        let result = SSL_do_handshake(ssl)
        if result == 1 { return .done(()) }
        switch outcome(of: result) {
        case .wantRead: return .wantRead
        case .wantWrite: return .wantWrite
        case .closed: return .failed(TLSError("the client closed the connection during the TLS handshake"))
        case .failed(let error):
            // A certificate the client side refused: say why in X509's words.
            let verified = SSL_get_verify_result(ssl)
            if verified != X509_V_OK, let reason = X509_verify_cert_error_string(Int(verified)) {
                var why = String(cString: reason)
                if verified == X509_V_ERR_HOSTNAME_MISMATCH || verified == X509_V_ERR_IP_ADDRESS_MISMATCH {
                    why += peerCertificateNames.map { ": the certificate is for " + ($0.isEmpty ? "no name" : $0.joined(separator: ", ")) } ?? ""
                }
                return .failed(TLSError("\(error.message) (\(why))"))
            }
            return .failed(error)
        }
    }

    /// The names of the certificate the peer sent (`DNS:a.example`, `IP:10.0.0.1`), kept by
    /// OpenSSL even when verifying it failed; nil when it sent none.
    private var peerCertificateNames: [String]? {
        guard let chain = SSL_get_peer_cert_chain(ssl), OPENSSL_sk_num(chain) > 0,
              let leaf = OPENSSL_sk_value(chain, 0) else { return nil }
        let pointer = OpaquePointer(leaf)
        X509_up_ref(pointer)
        return X509Certificate(taking: pointer).alternativeNames
    }

    /// The SSL, for the client context to set the name it verifies and sends.
    var handle: OpaquePointer { ssl }

    /// Plaintext in, up to `count` (> 0) bytes; `.done(0)` means the peer closed
    /// (close_notify or EOF).
    public func read(into buffer: UnsafeMutableRawPointer, count: Int) -> TLSStep<Int> {
        precondition(count > 0, "a TLS read of 0 bytes could not be told from the peer closing")
        OpenSSLErrors.clear()
        var read = 0
        let result = SSL_read_ex(ssl, buffer, count, &read)
        if result == 1 { return .done(read) }
        switch outcome(of: result) {
        case .wantRead: return .wantRead
        case .wantWrite: return .wantWrite
        case .closed: return .done(0)
        case .failed(let error): return .failed(error)
        }
    }

    /// Plaintext out; may take fewer bytes than offered (one record's worth at a time when
    /// the socket fills). After `.wantWrite` or `.wantRead`, call again with the same bytes
    /// first (the buffer may have moved; it may have grown, never shrunk).
    public func write(from buffer: UnsafeRawPointer, count: Int) -> TLSStep<Int> {
        precondition(count > 0, "a TLS write of 0 bytes does nothing")
        OpenSSLErrors.clear()
        var written = 0
        let result = SSL_write_ex(ssl, buffer, count, &written)
        if result == 1 { return .done(written) }
        switch outcome(of: result) {
        case .wantRead: return .wantRead
        case .wantWrite: return .wantWrite
        case .closed: return .failed(TLSError("the client has closed the TLS connection"))
        case .failed(let error): return .failed(error)
        }
    }

    /// Sends close_notify (once; best effort). It does not wait for the client's: HTTP has
    /// its own framing, so a truncation cannot pass for the end of a message, and waiting
    /// would keep the socket open for nothing.
    public func shutdown() -> TLSStep<Void> {
        if broken || shutdownSent { return .done(()) }
        OpenSSLErrors.clear()
        let result = SSL_shutdown(ssl)
        if result >= 0 {
            shutdownSent = true
            return .done(())
        }
        switch outcome(of: result) {
        case .wantRead: return .wantRead
        case .wantWrite: return .wantWrite
        case .closed, .failed:
            // Best effort: a client that is gone cannot be told; the caller closes anyway.
            shutdownSent = true
            return .done(())
        }
    }

    /// Decrypted bytes already inside OpenSSL, or a whole record read but not yet
    /// decrypted: readable without the socket becoming readable again.
    public var hasBufferedPlaintext: Bool { SSL_pending(ssl) > 0 || SSL_has_pending(ssl) == 1 }

    /// `TLSv1.2` or `TLSv1.3`.
    public var protocolVersion: String { String(cString: SSL_get_version(ssl)) }

    /// Whether the handshake resumed a session (from a ticket).
    public var resumed: Bool { SSL_session_reused(ssl) == 1 }

    /// The SNI as the client sent it.
    public var serverName: String? {
        SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name).map { String(cString: $0) }
    }

    /// The ALPN protocol agreed (`http/1.1`), nil when the client asked for none we speak.
    public var applicationProtocol: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    /// Whether the kernel encrypts (`send`) and decrypts (`receive`) the records, once the
    /// handshake is done.
    public var kernelTLS: (send: Bool, receive: Bool) {
        (svcproxy_tls_ktls_send(ssl) == 1, svcproxy_tls_ktls_receive(ssl) == 1)
    }

    /// How a call that did not complete ended, from SSL_get_error and errno.
    private enum Outcome {
        case wantRead, wantWrite, closed
        case failed(TLSError)
    }

    private func outcome(of result: Int32) -> Outcome {
        let number = errno
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ:
            return .wantRead
        case SSL_ERROR_WANT_WRITE:
            return .wantWrite
        case SSL_ERROR_ZERO_RETURN:
            // The client's close_notify: a clean end, after which our own may still be sent.
            return .closed
        case SSL_ERROR_SYSCALL:
            return systemOutcome(number)
        case SSL_ERROR_SSL:
            broken = true
            let errors = OpenSSLErrors.take()
            // OpenSSL 3 reports EOF without close_notify as this error; for HTTP, whose
            // messages carry their own length, it is the peer closing.
            let eof = errors.contains { $0.library == ERR_LIB_SSL && $0.reason == SSL_R_UNEXPECTED_EOF_WHILE_READING }
            if eof { return .closed }
            return .failed(TLSError(errors, fallback: "TLS protocol error"))
        case let code:
            broken = true
            return .failed(TLSError(OpenSSLErrors.take(), fallback: "unexpected SSL_get_error \(code)"))
        }
    }

    /// SSL_ERROR_SYSCALL: the socket call failed (or, with nothing queued and errno 0, the
    /// peer closed). EAGAIN is normally turned into WANT_READ/WRITE by the socket BIO;
    /// should it surface here, it is still just "wait".
    private func systemOutcome(_ number: Int32) -> Outcome {
        let errors = OpenSSLErrors.take()
        if errors.isEmpty && (number == EAGAIN || number == EWOULDBLOCK || number == EINTR) {
            return SSL_want(ssl) == SSL_WRITING ? .wantWrite : .wantRead
        }
        broken = true
        if !errors.isEmpty { return .failed(TLSError(errors, fallback: "TLS error")) }
        if number == 0 { return .closed }
        return .failed(TLSError(systemError: number))
    }
}
