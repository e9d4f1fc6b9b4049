// The bodies behind CTLSShim.h: each is the one macro or call sequence its comment names.
#include "CTLSShim.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <string.h>

uint64_t svcproxy_tls_server_options(void) {
    // No SSL_OP_ENABLE_KTLS: with kernel TLS sending, OpenSSL 3.0 retries a partial write
    // from the caller's old buffer address whatever SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER says
    // (openssl/openssl#21202), and never re-keys the kernel after a TLS 1.3 KeyUpdate
    // (openssl/openssl#16307). Debian 12's 3.0 has neither fix.
    return SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION;
}

int svcproxy_tls_ctx_set_versions(SSL_CTX *ctx, int minimum, int maximum) {
    return SSL_CTX_set_min_proto_version(ctx, minimum) == 1 && SSL_CTX_set_max_proto_version(ctx, maximum) == 1;
}

void svcproxy_tls_ctx_set_io_modes(SSL_CTX *ctx) {
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
    // One read(2) per batch of records rather than two per record (header, then body).
    SSL_CTX_set_read_ahead(ctx, 1);
}

int svcproxy_tls_ctx_set_groups(SSL_CTX *ctx, const char *groups) { return (int)SSL_CTX_set1_groups_list(ctx, groups); }

void svcproxy_tls_ctx_disable_session_cache(SSL_CTX *ctx) { SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF); }

size_t svcproxy_tls_client_hello_server_name(SSL *ssl, char *out, size_t capacity) {
    const unsigned char *data = NULL;
    size_t length = 0;
    if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &data, &length) != 1 || length < 5) return 0;
    // ServerNameList: a 2-byte length, then entries of type (1 byte), length (2), name.
    size_t list = ((size_t)data[0] << 8) | data[1];
    if (list + 2 > length || data[2] != TLSEXT_NAMETYPE_host_name) return 0;
    size_t name = ((size_t)data[3] << 8) | data[4];
    if (name == 0 || name + 5 > length || name >= capacity) return 0;
    memcpy(out, data + 5, name);
    out[name] = 0;
    return name;
}

static const unsigned char http11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

static int select_http11(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
                         unsigned int inlen, void *arg) {
    (void)ssl;
    (void)arg;
    unsigned char *chosen = NULL;
    unsigned char length = 0;
    // SSL_select_next_proto points `chosen` into one of the two lists; OPENSSL_NPN_NEGOTIATED
    // means the client's list holds ours. Anything else: no ALPN rather than an alert, since
    // a client that asks only for h2 may still speak HTTP/1.1.
    if (SSL_select_next_proto(&chosen, &length, http11, sizeof http11, in, inlen) != OPENSSL_NPN_NEGOTIATED) {
        return SSL_TLSEXT_ERR_NOACK;
    }
    *out = chosen;
    *outlen = length;
    return SSL_TLSEXT_ERR_OK;
}

void svcproxy_tls_ctx_select_http11(SSL_CTX *ctx) { SSL_CTX_set_alpn_select_cb(ctx, select_http11, NULL); }

// Fetched once: an implicit fetch (EVP_aes_256_cbc() handed to EVP_EncryptInit_ex) looks
// the cipher up by name on every ticket, which costs more than sealing the ticket.
static EVP_CIPHER *ticket_cipher;
static pthread_once_t ticket_cipher_fetched = PTHREAD_ONCE_INIT;
static void fetch_ticket_cipher(void) { ticket_cipher = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL); }

int svcproxy_tls_ticket_cipher_available(void) {
    pthread_once(&ticket_cipher_fetched, fetch_ticket_cipher);
    return ticket_cipher != NULL;
}

int svcproxy_tls_ticket_crypto(EVP_CIPHER_CTX *cipher, EVP_MAC_CTX *mac, const unsigned char *aesKey,
                               const unsigned char *hmacKey, const unsigned char *binding, size_t bindingLength,
                               unsigned char *iv, int encrypt) {
    pthread_once(&ticket_cipher_fetched, fetch_ticket_cipher);
    if (ticket_cipher == NULL) return -1;
    if (encrypt && RAND_bytes(iv, 16) != 1) return -1;
    // The MAC's digest can only be named: the HMAC looks it up on every init, as OpenSSL's
    // own ticket code does.
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
        OSSL_PARAM_construct_end(),
    };
    int ok = encrypt ? EVP_EncryptInit_ex(cipher, ticket_cipher, NULL, aesKey, iv)
                     : EVP_DecryptInit_ex(cipher, ticket_cipher, NULL, aesKey, iv);
    if (ok != 1 || EVP_MAC_init(mac, hmacKey, 32, params) != 1) return -1;
    // OpenSSL goes on to MAC the ticket itself, so the MAC covers binding || ticket.
    if (bindingLength > 0 && EVP_MAC_update(mac, binding, bindingLength) != 1) return -1;
    return 1;
}

int svcproxy_tls_ktls_send(SSL *ssl) { return BIO_get_ktls_send(SSL_get_wbio(ssl)) ? 1 : 0; }

int svcproxy_tls_ktls_receive(SSL *ssl) { return BIO_get_ktls_recv(SSL_get_rbio(ssl)) ? 1 : 0; }

int svcproxy_tls_error_reason(unsigned long code) { return ERR_GET_REASON(code); }

int svcproxy_tls_error_library(unsigned long code) { return ERR_GET_LIB(code); }

int svcproxy_tls_set_host_name(SSL *ssl, const char *name) { return (int)SSL_set_tlsext_host_name(ssl, name); }
