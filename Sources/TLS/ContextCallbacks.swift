// The C callbacks OpenSSL calls during a handshake (SNI and session tickets) and the state
// they read. A C function pointer cannot capture, so each SSL_CTX carries an unretained
// pointer to one CallbackState in its app data (ex_data index 0).
//
// Lifetime: the TLSServerContext owns the CallbackState and the SSL_CTXs; every
// TLSConnection retains its TLSServerContext, and OpenSSL calls these callbacks only inside
// that connection's SSL calls. So the pointer is valid whenever a callback runs. The state
// is immutable (the ticket keys lock themselves), so workers share it freely.
import COpenSSL
import CTLSShim

/// What the callbacks of one TLSServerContext read.
final class CallbackState: @unchecked Sendable {
    let selection: SNISelection
    let ticketKeys: TLSTicketKeys
    /// Each context's leaf certificate digest (immutable after init, hence shareable).
    let identities: [OpaquePointer: [UInt8]]

    init(selection: SNISelection, ticketKeys: TLSTicketKeys, identities: [OpaquePointer: [UInt8]]) {
        self.selection = selection
        self.ticketKeys = ticketKeys
        self.identities = identities
    }

    /// The identity of the certificate the connection is on (SNI moved it there before any
    /// ticket is opened: clientHelloCallback). A ticket's MAC covers it, so a session made
    /// with one host's certificate does not resume a connection to a host another
    /// certificate serves.
    func certificateIdentity(of ssl: OpaquePointer) -> [UInt8] {
        SSL_get_SSL_CTX(ssl).flatMap { identities[$0] } ?? []
    }

    /// Points `context` at this state and installs the callbacks. Every context gets the
    /// ticket callback, so that none falls back to OpenSSL's per-context random keys. Only
    /// the default context, where every connection starts, needs the SNI (client-hello)
    /// callback.
    func install(on context: OpaquePointer, isDefault: Bool) throws(TLSError) {
        OpenSSLErrors.clear()
        guard svcproxy_tls_ticket_cipher_available() == 1 else {
            throw TLSError(OpenSSLErrors.take(), fallback: "OpenSSL has no AES-256-CBC for session tickets")
        }
        let state = Unmanaged.passUnretained(self).toOpaque()
        guard SSL_CTX_set_ex_data(context, 0, state) == 1,
              SSL_CTX_set_tlsext_ticket_key_evp_cb(context, ticketKeyCallback) == 1
        else {
            throw TLSError(OpenSSLErrors.take(), fallback: "the TLS callbacks could not be installed")
        }
        if isDefault { SSL_CTX_set_client_hello_cb(context, clientHelloCallback, nil) }
    }

    /// The state of the context `ssl` is on (after SNI, the certificate's context: it points
    /// at the same state).
    static func of(_ ssl: OpaquePointer) -> CallbackState? {
        guard let context = SSL_get_SSL_CTX(ssl), let state = SSL_CTX_get_ex_data(context, 0) else { return nil }
        return Unmanaged<CallbackState>.fromOpaque(state).takeUnretainedValue()
    }
}

/// SSL_CTX_set_client_hello_cb: moves the connection onto the context of the certificate
/// that names the requested host, first thing, before OpenSSL parses the extensions (so a
/// session ticket is opened under the right certificate). No SNI, or a name no certificate
/// has: the default context stays, and the handshake goes on (no alert: the client decides).
private let clientHelloCallback: @convention(c) (OpaquePointer?, UnsafeMutablePointer<Int32>?, UnsafeMutableRawPointer?) -> Int32 = {
    ssl, _, _ in
    guard let ssl, let state = CallbackState.of(ssl) else { return 1 }
    var name = [CChar](repeating: 0, count: 256)
    let length = svcproxy_tls_client_hello_server_name(ssl, &name, name.count)
    guard length > 0 else { return 1 }
    let context = state.selection.context(for: String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self))
    if context != state.selection.defaultContext, SSL_set_SSL_CTX(ssl, context) == nil { return 0 }
    return 1  // SSL_CLIENT_HELLO_SUCCESS
}

/// SSL_CTX_set_tlsext_ticket_key_evp_cb. Sealing (`encrypt` 1): name the current key and
/// set up its cipher and HMAC; 1 issues the ticket. Opening: 0 for an unknown key (a full
/// handshake follows), 1 for the current key, 2 for the previous one (the client gets a
/// fresh ticket under the current key); -1 on failure.
private let ticketKeyCallback: @convention(c) (
    OpaquePointer?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt8>?, OpaquePointer?, OpaquePointer?, Int32
) -> Int32 = { ssl, name, iv, cipher, mac, encrypt in
    guard let ssl, let name, let iv, let cipher, let mac, let state = CallbackState.of(ssl) else { return -1 }
    if encrypt == 1 {
        let key = state.ticketKeys.sealingKey()
        for (index, byte) in key.name.prefix(16).enumerated() { name[index] = byte }
        return seal(key, for: state.certificateIdentity(of: ssl), cipher, mac, iv, encrypt: 1)
    }
    guard let (key, renew) = state.ticketKeys.openingKey(named: UnsafeBufferPointer(start: name, count: 16)) else {
        return 0
    }
    // Under another certificate the MAC covers another digest, the ticket does not verify,
    // and a full handshake follows.
    guard seal(key, for: state.certificateIdentity(of: ssl), cipher, mac, iv, encrypt: 0) == 1 else { return -1 }
    return renew ? 2 : 1
}

/// Sets up the ticket's cipher and MAC: the key's own AES and HMAC keys, the HMAC fed the
/// certificate's digest before the ticket, so a ticket sealed on one certificate's context
/// fails its MAC on another's.
private func seal(_ key: TLSTicketKeys.Key, for identity: [UInt8], _ cipher: OpaquePointer, _ mac: OpaquePointer,
                  _ iv: UnsafeMutablePointer<UInt8>, encrypt: Int32) -> Int32 {
    key.cipherKey.withUnsafeBufferPointer { cipherKey in
        key.macKey.withUnsafeBufferPointer { macKey in
            identity.withUnsafeBufferPointer { identity in
                svcproxy_tls_ticket_crypto(cipher, mac, cipherKey.baseAddress, macKey.baseAddress,
                                           identity.baseAddress, identity.count, iv, encrypt)
            }
        }
    }
}
