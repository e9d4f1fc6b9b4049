// OpenSSL 3 (libssl-dev) as the TLS module sees it. Only what Swift can call directly is
// here; the macros and callbacks it cannot are in CTLSShim.
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
