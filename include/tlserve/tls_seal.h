/* tls_seal: TLS 1.3 record protection (RFC 8446 5.2) for the records
 * OpenSSL hands its BIO as plaintext when that BIO takes on the kernel's
 * part of kernel TLS. Sealing a record straight from the caller's buffer
 * into the send batch saves the two copies of every byte the other path
 * makes (into OpenSSL's record buffer, then into the batch). Only tls.c
 * uses it; OpenSSL's types stay behind these two files. */
#ifndef TLSERVE_TLS_SEAL_H
#define TLSERVE_TLS_SEAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/types.h>

/* Header (5) + inner content type (1) + AEAD tag (16). */
#define TLS_SEAL_OVERHEAD 22
/* The most plaintext one record carries (RFC 8446 5.1). */
#define TLS_SEAL_PLAIN_MAX 16384

/* The AEAD ciphers of TLS 1.3's suites, fetched once (an implicit fetch per
 * connection costs a provider lookup); a NULL one is not sealed. */
struct tls_seal_ciphers {
	EVP_CIPHER *aes128gcm, *aes256gcm, *chacha20poly1305;
};
void tls_seal_ciphers_load(struct tls_seal_ciphers *);
void tls_seal_ciphers_free(struct tls_seal_ciphers *);

struct tls_seal;

/* A sealer from the key, IV and sequence number OpenSSL gives a kernel TLS
 * socket (Linux's struct tls12_crypto_info_*, behind info). NULL when it is
 * not TLS 1.3, the cipher is not one of ours, or memory ran out: OpenSSL
 * then keeps its own record layer. */
struct tls_seal *tls_seal_new(const void *info, const struct tls_seal_ciphers *);
/* One record of content type `type` holding len <= TLS_SEAL_PLAIN_MAX bytes
 * of in, written to out (len + TLS_SEAL_OVERHEAD bytes). Returns that size,
 * or -1 (the sequence number is then spent or exhausted: the connection
 * must end). */
ssize_t tls_seal_record(struct tls_seal *, unsigned char type, const void *in, size_t len,
                        unsigned char *out);
void tls_seal_free(struct tls_seal *);

#endif
