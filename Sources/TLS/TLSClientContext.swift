// The client side of TLS, for the API client: the server's certificate verified against a
// CA bundle (the kubeconfig's, the service account's, else the system's) and its name
// checked by OpenSSL itself (X509_VERIFY_PARAM_set1_host, or _set1_ip_asc for an address),
// SNI sent for a name, an optional client certificate and key, TLS 1.2 at least. With
// `insecureSkipVerify` (kubeconfig insecure-skip-tls-verify) nothing is verified.
import COpenSSL
import CTLSShim
import Foundation

public final class TLSClientContext: @unchecked Sendable {  // immutable after init; SSL_CTX is thread-safe to share
    private let context: OpaquePointer
    /// The name the server's certificate must carry, and the SNI when it is not an address.
    public let serverName: String

    /// - Parameters:
    ///   - certificateAuthorities: PEM certificates to trust; nil for the system's.
    ///   - clientCertificate: a PEM chain and its PEM key, to prove who we are.
    public init(serverName: String, certificateAuthorities: [UInt8]?, clientCertificate: (chain: [UInt8], key: [UInt8])?,
                insecureSkipVerify: Bool) throws(TLSError) {
        OpenSSLErrors.clear()
        guard let method = TLS_client_method(), let context = SSL_CTX_new(method) else {
            throw TLSError(OpenSSLErrors.take(), fallback: "SSL_CTX_new failed")
        }
        self.context = context
        self.serverName = serverName
        guard svcproxy_tls_ctx_set_versions(context, TLS1_2_VERSION, 0) == 1 else {
            throw TLSError(OpenSSLErrors.take(), fallback: "cannot require TLS 1.2")
        }
        SSL_CTX_set_verify(context, insecureSkipVerify ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, nil)
        if let certificateAuthorities {
            guard let store = SSL_CTX_get_cert_store(context) else { throw TLSError("no certificate store") }
            switch readCertificates(certificateAuthorities) {
            case .success(let certificates):
                for certificate in certificates where X509_STORE_add_cert(store, certificate.pointer) != 1 {
                    throw TLSError(OpenSSLErrors.take(), fallback: "a CA certificate could not be added")
                }
            case .failure(let finding):
                throw TLSError("the certificate authority: \(finding.message)")
            }
        } else if !insecureSkipVerify, SSL_CTX_set_default_verify_paths(context) != 1 {
            throw TLSError(OpenSSLErrors.take(), fallback: "the system's CA certificates could not be loaded")
        }
        if let clientCertificate {
            let (material, findings) = CertificateMaterial.read(certificatePEM: clientCertificate.chain, privateKeyPEM: clientCertificate.key,
                                                                now: Date().timeIntervalSince1970)
            guard let material else {
                throw TLSError("the client certificate: " + findings.map(\.message).joined(separator: "; "))
            }
            try material.install(in: context)
        }
    }

    deinit { SSL_CTX_free(context) }

    /// A connection over `socket` (connected, non-blocking) that verifies `serverName`.
    public func connection(socket: Int32) throws(TLSError) -> TLSConnection {
        let connection = try TLSConnection(context: self, defaultContext: context, socket: socket, connecting: true)
        guard let parameters = SSL_get0_param(connection.handle) else { throw TLSError("no verification parameters") }
        let isAddress = serverName.contains(":") || serverName.allSatisfy { $0.isNumber || $0 == "." }
        if isAddress {
            guard X509_VERIFY_PARAM_set1_ip_asc(parameters, serverName) == 1 else { throw TLSError("\(serverName) is not an address") }
        } else {
            guard X509_VERIFY_PARAM_set1_host(parameters, serverName, 0) == 1,
                  svcproxy_tls_set_host_name(connection.handle, serverName) == 1 else {
                throw TLSError(OpenSSLErrors.take(), fallback: "the server name \(serverName) could not be set")
            }
        }
        return connection
    }
}
