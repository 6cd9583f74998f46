/* acme_crypto: what ACME needs of OpenSSL, kept behind this seam (tls.c and
 * this module are the only ones that include OpenSSL): P-256 keys (made,
 * stored as PEM, read back), the account key's JWK and its RFC 7638
 * thumbprint, JWS signatures (ES256, RFC 7515 flattened JSON as RFC 8555
 * 6.2 asks), key authorizations (8.1), CSRs, the TLS-ALPN-01 certificate
 * (RFC 8737) and what a stored certificate says (names, validity). No I/O
 * besides the key file read; never logs. */
#ifndef TLSERVE_ACME_CRYPTO_H
#define TLSERVE_ACME_CRYPTO_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct acme_key;   /* an EC P-256 key pair */

int  acme_key_generate(struct acme_key **out);                 /* 0 or -1 */
/* Read a PEM private key (PKCS#8 or SEC1) from memory; only P-256 is
 * accepted. 0, or -1 with a reason in err. */
int  acme_key_from_pem(const char *pem, size_t len, struct acme_key **out, char *err,
                       size_t errlen);
/* The key as PKCS#8 PEM in a malloc'd string (*len without the NUL); the
 * caller wipes (acme_wipe) and frees it. 0 or -1. */
int  acme_key_to_pem(const struct acme_key *, char **pem, size_t *len);
void acme_key_free(struct acme_key *);

/* The public JWK, members in lexicographic order with no white space:
 * {"crv":"P-256","kty":"EC","x":"...","y":"..."} (x, y: 32 bytes each,
 * base64url). Returns its length, or -1 when it does not fit in len. */
int  acme_key_jwk(const struct acme_key *, char *buf, size_t len);
/* base64url(SHA-256(JWK)): 43 characters and a NUL into out[44]. 0 or -1. */
int  acme_key_thumbprint(const struct acme_key *, char out[44]);

/* The flattened JWS JSON of a request (RFC 8555 6.2): protected header
 * {"alg":"ES256", "jwk":JWK when kid is NULL, else "kid":kid, "nonce",
 * "url"}; payload base64url(payload) — payload NULL for a POST-as-GET, whose
 * payload is the empty string; signature base64url(R || S), 64 bytes.
 * Returns a malloc'd NUL-terminated string, or NULL. */
char *acme_jws(const struct acme_key *, const char *kid, const char *nonce, const char *url,
               const char *payload);

/* Key authorization (RFC 8555 8.1): "TOKEN.THUMBPRINT" into out. The length
 * (excluding NUL), or -1 when it does not fit. */
int  acme_key_authorization(const struct acme_key *account, const char *token, char *out,
                            size_t len);
/* SHA-256 of s[0..n). */
void acme_sha256(const void *s, size_t n, unsigned char out[32]);

/* base64url without padding (RFC 7515 2): the length written (and a NUL),
 * or -1 when out is too small (needs (4 * n + 2) / 3 + 1 bytes). */
int  acme_b64url(const unsigned char *in, size_t n, char *out, size_t outlen);

/* A CSR (PKCS#10, DER, signed with key, SHA-256) whose subject is CN=names[0]
 * and whose subjectAltName lists every name as a dNSName, as base64url in a
 * malloc'd string for the finalize request's "csr". NULL on error. */
char *acme_csr(const struct acme_key *key, const char *const *names, size_t nnames);

/* The TLS-ALPN-01 certificate for name (RFC 8737 3): self-signed with a new
 * P-256 key, subjectAltName dNSName name only, and the critical
 * id-pe-acmeIdentifier extension (1.3.6.1.5.5.7.1.31) holding the DER
 * OCTET STRING of digest (SHA-256 of the key authorization). Certificate and
 * key as PEM in malloc'd strings (the caller wipes the key). 0 or -1. */
int  acme_alpn_cert(const char *name, const unsigned char digest[32], char **cert_pem,
                    char **key_pem);

/* What a PEM certificate chain (leaf first) says of its leaf: validity as
 * unix seconds, and whether its dNSName SANs are exactly the set names
 * (order and case ignored). When key_pem is not NULL, also checks that the
 * key matches the leaf. 0, or -1 with a reason in err (not a certificate,
 * key does not match, ...). */
struct acme_cert_info {
	int64_t not_before, not_after;
	bool names_match;
};
int  acme_cert_info(const char *chain_pem, size_t len, const char *key_pem, size_t key_len,
                    const char *const *names, size_t nnames, struct acme_cert_info *out,
                    char *err, size_t errlen);

/* Overwrite n bytes at p with zeros in a way the compiler keeps. */
void acme_wipe(void *p, size_t n);

#endif
