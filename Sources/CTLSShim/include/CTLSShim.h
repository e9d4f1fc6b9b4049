// What the TLS module needs from OpenSSL 3 that Swift cannot call: macros over SSL_ctrl and
// BIO_ctrl, 64-bit option bits, the OSSL_PARAM array a ticket key's HMAC takes, the ALPN
// choice (a callback returning a pointer into the client's list), and the ClientHello's
// server name.
#ifndef SVCPROXY_CTLSSHIM_H
#define SVCPROXY_CTLSSHIM_H

#include <openssl/ssl.h>
#include <stdint.h>

/// SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION (kernel TLS stays off: shim.c says why).
uint64_t svcproxy_tls_server_options(void);

/// SSL_CTX_set_min_proto_version and SSL_CTX_set_max_proto_version (0: no limit).
int svcproxy_tls_ctx_set_versions(SSL_CTX *ctx, int minimum, int maximum);

/// Partial writes from a moving buffer, record buffers released while idle, and read-ahead.
void svcproxy_tls_ctx_set_io_modes(SSL_CTX *ctx);

/// SSL_CTX_set1_groups_list.
int svcproxy_tls_ctx_set_groups(SSL_CTX *ctx, const char *groups);

/// SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF).
void svcproxy_tls_ctx_disable_session_cache(SSL_CTX *ctx);

/// The server name a ClientHello asks for, read from its raw server_name extension inside a
/// client-hello callback (before OpenSSL has parsed the extensions): its length, copied
/// into `out` (NUL-terminated), or 0 when there is none or it does not fit.
size_t svcproxy_tls_client_hello_server_name(SSL *ssl, char *out, size_t capacity);

/// An ALPN select callback that picks "http/1.1" when the client offers it, and otherwise
/// carries on without ALPN (SSL_TLSEXT_ERR_NOACK) rather than failing the handshake.
void svcproxy_tls_ctx_select_http11(SSL_CTX *ctx);

/// Whether the session tickets' cipher (AES-256-CBC, fetched once for the process) is there:
/// 1 or 0. Without it every ticket would fail its handshake, so contexts are not built.
int svcproxy_tls_ticket_cipher_available(void);

/// Sets up a session ticket's cipher (AES-256-CBC) and HMAC (SHA-256) for
/// SSL_CTX_set_tlsext_ticket_key_evp_cb, the HMAC fed `binding` first so that the ticket's
/// MAC covers it: with `encrypt`, `iv` (16 bytes) is filled with random bytes first.
/// Returns 1 on success, -1 on failure.
int svcproxy_tls_ticket_crypto(EVP_CIPHER_CTX *cipher, EVP_MAC_CTX *mac, const unsigned char *aesKey,
                               const unsigned char *hmacKey, const unsigned char *binding, size_t bindingLength,
                               unsigned char *iv, int encrypt);

/// BIO_get_ktls_send / BIO_get_ktls_recv on the connection's socket BIOs.
int svcproxy_tls_ktls_send(SSL *ssl);
int svcproxy_tls_ktls_receive(SSL *ssl);

/// ERR_GET_REASON and ERR_GET_LIB (static inline in err.h).
int svcproxy_tls_error_reason(unsigned long code);
int svcproxy_tls_error_library(unsigned long code);

/// SSL_set_tlsext_host_name, for the tests' clients.
int svcproxy_tls_set_host_name(SSL *ssl, const char *name);

#endif
