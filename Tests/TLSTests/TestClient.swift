// The other end of the tests' connections: an OpenSSL client in the same process, over a
// non-blocking socketpair, driven step by step with the server on the same thread. No
// threads and no sleeps: each pump alternates the two sides until both are done or neither
// can move.
import COpenSSL
import CTLSShim
import Glibc
import ServiceConfig
@testable import TLS

/// A connected pair of non-blocking stream sockets: [server, client].
final class SocketPair {
    let server: Int32
    let client: Int32

    init() throws {
        var descriptors: [Int32] = [-1, -1]
        let kind = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, kind, 0, &descriptors) == 0 else { throw TLSError(systemError: errno) }
        server = descriptors[0]
        client = descriptors[1]
    }

    /// Limits what the server side can have in flight, so big writes come out partial.
    func limitServerSendBuffer(_ bytes: Int32) {
        var size = bytes
        setsockopt(server, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(client, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit {
        close(server)
        close(client)
    }
}

/// Protocol versions a client offers.
struct Versions {
    let minimum: Int32
    let maximum: Int32
    static let tls12 = Versions(minimum: TLS1_2_VERSION, maximum: TLS1_2_VERSION)
    static let tls13 = Versions(minimum: TLS1_3_VERSION, maximum: TLS1_3_VERSION)
    static let tls11 = Versions(minimum: TLS1_1_VERSION, maximum: TLS1_1_VERSION)
}

/// An OpenSSL client connection (no certificate verification: the tests look at what was
/// served instead).
final class TestClient {
    let ssl: OpaquePointer
    private let context: OpaquePointer

    init(socket: Int32, serverName: String?, versions: Versions = .tls13, alpn: [String] = ["h2", "http/1.1"],
         session: OpaquePointer? = nil) throws {
        guard let method = TLS_client_method(), let context = SSL_CTX_new(method) else { throw TLSError("client SSL_CTX") }
        self.context = context
        if versions.minimum < TLS1_2_VERSION {
            // Debian's defaults forbid TLS 1.1 even to try; a test of refusing it must.
            SSL_CTX_set_security_level(context, 0)
            SSL_CTX_set_cipher_list(context, "DEFAULT:@SECLEVEL=0")
        }
        guard svcproxy_tls_ctx_set_versions(context, versions.minimum, versions.maximum) == 1,
              let ssl = SSL_new(context)
        else { throw TLSError("client settings") }
        self.ssl = ssl
        SSL_set_fd(ssl, socket)
        SSL_set_connect_state(ssl)
        if let serverName { svcproxy_tls_set_host_name(ssl, serverName) }
        if !alpn.isEmpty {
            let wire = alpn.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
            SSL_set_alpn_protos(ssl, wire, UInt32(wire.count))
        }
        if let session { SSL_set_session(ssl, session) }
    }

    deinit {
        SSL_free(ssl)
        SSL_CTX_free(context)
    }

    /// The names of the certificate the server sent.
    var servedNames: [String] {
        guard let pointer = SSL_get1_peer_certificate(ssl) else { return [] }
        return X509Certificate(taking: pointer).names
    }

    var resumed: Bool { SSL_session_reused(ssl) == 1 }

    /// The session to resume with (free with SSL_SESSION_free).
    func session() -> OpaquePointer? { SSL_get1_session(ssl) }

    var alpn: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    /// One step of the client's handshake, in the server's terms.
    func handshake() -> TLSStep<Void> {
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        return result == 1 ? .done(()) : step(result)
    }

    func read(into buffer: UnsafeMutableRawPointer, count: Int) -> TLSStep<Int> {
        ERR_clear_error()
        var read = 0
        let result = SSL_read_ex(ssl, buffer, count, &read)
        if result == 1 { return .done(read) }
        if SSL_get_error(ssl, result) == SSL_ERROR_ZERO_RETURN { return .done(0) }
        return step(result)
    }

    func write(from buffer: UnsafeRawPointer, count: Int) -> TLSStep<Int> {
        ERR_clear_error()
        var written = 0
        let result = SSL_write_ex(ssl, buffer, count, &written)
        return result == 1 ? .done(written) : step(result)
    }

    private func step<Value>(_ result: Int32) -> TLSStep<Value> {
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ: return .wantRead
        case SSL_ERROR_WANT_WRITE: return .wantWrite
        case let code:
            return .failed(TLSError(OpenSSLErrors.take(), fallback: "client SSL_get_error \(code)"))
        }
    }
}

/// How a pumped handshake ended on each side.
struct HandshakeResult {
    var server: TLSStep<Void> = .wantRead
    var client: TLSStep<Void> = .wantWrite
    var succeeded: Bool { if case .done = server, case .done = client { return true } else { return false } }
    var serverError: String? { if case .failed(let error) = server { return error.message } else { return nil } }
}

/// Alternates both handshakes until each has finished or failed, or neither can move.
func pumpHandshake(_ server: TLSConnection, _ client: TestClient) -> HandshakeResult {
    var result = HandshakeResult()
    func finished(_ step: TLSStep<Void>) -> Bool {
        switch step {
        case .done, .failed: return true
        case .wantRead, .wantWrite: return false
        }
    }
    for _ in 0..<100 {
        let before = (finished(result.server), finished(result.client))
        if !finished(result.client) { result.client = client.handshake() }
        if !finished(result.server) { result.server = server.handshake() }
        if finished(result.server) && finished(result.client) { break }
        // A side that failed leaves the other waiting for bytes that will never come.
        if before == (finished(result.server), finished(result.client)),
           finished(result.server) || finished(result.client) { break }
    }
    return result
}

/// A plan serving `certificates` (and `defaultCertificate`, if any).
func plan(_ certificates: [IngressCertificate], defaultCertificate: IngressCertificate? = nil) -> IngressTLSPlan {
    IngressTLSPlan(listenAddresses: [], certificates: certificates, defaultCertificate: defaultCertificate)
}

/// A self-signed default for `default.example.com`.
let fallbackDefault: (certificatePEM: [UInt8], privateKeyPEM: [UInt8]) = {
    do {
        return try TLSCertificates.selfSigned(commonName: "default.example.com")
    } catch {
        return ([], [])
    }
}()

/// A server connection and a test client over one socketpair, which lives as long as this
/// object: tests reach both ends through it, so the descriptors stay open while in use.
final class Link {
    let sockets: SocketPair
    let server: TLSConnection
    let client: TestClient
    private(set) var result = HandshakeResult()

    init(_ context: TLSServerContext, serverName: String?, versions: Versions = .tls13, alpn: [String] = ["h2", "http/1.1"],
         session: OpaquePointer? = nil, sendBuffer: Int32? = nil) throws {
        sockets = try SocketPair()
        if let sendBuffer { sockets.limitServerSendBuffer(sendBuffer) }
        server = try context.makeConnection(socket: sockets.server)
        client = try TestClient(socket: sockets.client, serverName: serverName, versions: versions, alpn: alpn, session: session)
    }

    /// Runs both handshakes; returns self for chaining.
    @discardableResult func handshake() -> Link {
        result = pumpHandshake(server, client)
        return self
    }
}
