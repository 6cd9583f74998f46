/* tls_seal: TLS 1.3 record protection for tls.c's socket BIO; see
 * tlserve/tls_seal.h. The AEAD is OpenSSL's; what is here is the record
 * framing around it (RFC 8446 5.2): the header as additional data, the
 * content type after the plaintext, and the per-record nonce. */
#include "tlserve/tls_seal.h"

#include <stdlib.h>
#include <string.h>

#include <linux/tls.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#define TLS_SEAL_TAG 16
#define TLS_SEAL_NONCE 12

struct tls_seal {
	EVP_CIPHER_CTX *ctx;          /* keyed once; each record sets its nonce */
	unsigned char iv[TLS_SEAL_NONCE];
	uint64_t seq;                 /* the next record's sequence number */
};

void
tls_seal_ciphers_load(struct tls_seal_ciphers *c)
{
	c->aes128gcm = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
	c->aes256gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	c->chacha20poly1305 = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
}

void
tls_seal_ciphers_free(struct tls_seal_ciphers *c)
{
	EVP_CIPHER_free(c->aes128gcm);
	EVP_CIPHER_free(c->aes256gcm);
	EVP_CIPHER_free(c->chacha20poly1305);
	memset(c, 0, sizeof(*c));
}

static uint64_t
tls_seal_be64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* The cipher, key and 12-byte IV behind a kernel TLS crypto_info; the IV
 * of AES-GCM comes split in a 4-byte salt and 8 bytes. -1 when it is not
 * TLS 1.3 or not a suite we seal. */
static int
tls_seal_params(const void *info, const struct tls_seal_ciphers *c, const EVP_CIPHER **cipher,
                const unsigned char **key, size_t *keylen, unsigned char *iv, uint64_t *seq)
{
	const struct tls_crypto_info *ci = info;

	if (ci->version != TLS_1_3_VERSION)
		return -1;
	switch (ci->cipher_type) {
	case TLS_CIPHER_AES_GCM_128: {
		const struct tls12_crypto_info_aes_gcm_128 *g = info;

		*cipher = c->aes128gcm;
		*key = g->key;
		*keylen = sizeof(g->key);
		memcpy(iv, g->salt, sizeof(g->salt));
		memcpy(iv + sizeof(g->salt), g->iv, sizeof(g->iv));
		*seq = tls_seal_be64(g->rec_seq);
		break;
	}
	case TLS_CIPHER_AES_GCM_256: {
		const struct tls12_crypto_info_aes_gcm_256 *g = info;

		*cipher = c->aes256gcm;
		*key = g->key;
		*keylen = sizeof(g->key);
		memcpy(iv, g->salt, sizeof(g->salt));
		memcpy(iv + sizeof(g->salt), g->iv, sizeof(g->iv));
		*seq = tls_seal_be64(g->rec_seq);
		break;
	}
#ifdef TLS_CIPHER_CHACHA20_POLY1305
	case TLS_CIPHER_CHACHA20_POLY1305: {
		const struct tls12_crypto_info_chacha20_poly1305 *g = info;

		*cipher = c->chacha20poly1305;
		*key = g->key;
		*keylen = sizeof(g->key);
		memcpy(iv, g->iv, sizeof(g->iv));
		*seq = tls_seal_be64(g->rec_seq);
		break;
	}
#endif
	default:
		return -1;
	}
	return *cipher != NULL ? 0 : -1;
}

struct tls_seal *
tls_seal_new(const void *info, const struct tls_seal_ciphers *c)
{
	const EVP_CIPHER *cipher = NULL;
	const unsigned char *key = NULL;
	size_t keylen = 0;
	struct tls_seal *t;

	if (info == NULL || c == NULL)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	if (tls_seal_params(info, c, &cipher, &key, &keylen, t->iv, &t->seq) != 0 ||
	    (size_t)EVP_CIPHER_get_key_length(cipher) != keylen ||
	    EVP_CIPHER_get_iv_length(cipher) != TLS_SEAL_NONCE)
		goto fail;
	t->ctx = EVP_CIPHER_CTX_new();
	if (t->ctx == NULL || EVP_EncryptInit_ex(t->ctx, cipher, NULL, key, NULL) != 1)
		goto fail;
	return t;
fail:
	tls_seal_free(t);
	return NULL;
}

ssize_t
tls_seal_record(struct tls_seal *t, unsigned char type, const void *in, size_t len,
                unsigned char *out)
{
	unsigned char nonce[TLS_SEAL_NONCE];
	size_t body = len + 1 + TLS_SEAL_TAG;  /* the record's length field */
	int a = 0, n = 0, m = 0, f = 0;

	/* a sequence number is never used twice under one key (5.3) */
	if (len > TLS_SEAL_PLAIN_MAX || t->seq == UINT64_MAX)
		return -1;
	memcpy(nonce, t->iv, sizeof(nonce));
	for (int i = 0; i < 8; i++)
		nonce[TLS_SEAL_NONCE - 1 - i] ^= (unsigned char)(t->seq >> (8 * i));
	t->seq++;
	out[0] = SSL3_RT_APPLICATION_DATA;  /* opaque_type */
	out[1] = 0x03;                      /* legacy_record_version 0x0303 */
	out[2] = 0x03;
	out[3] = (unsigned char)(body >> 8);
	out[4] = (unsigned char)body;
	if (EVP_EncryptInit_ex(t->ctx, NULL, NULL, NULL, nonce) != 1 ||
	    EVP_EncryptUpdate(t->ctx, NULL, &a, out, 5) != 1 ||
	    (len > 0 && EVP_EncryptUpdate(t->ctx, out + 5, &n, in, (int)len) != 1) ||
	    EVP_EncryptUpdate(t->ctx, out + 5 + len, &m, &type, 1) != 1 ||
	    EVP_EncryptFinal_ex(t->ctx, out + 5 + len + 1, &f) != 1 ||
	    (size_t)n + (size_t)m + (size_t)f != len + 1 ||
	    EVP_CIPHER_CTX_ctrl(t->ctx, EVP_CTRL_AEAD_GET_TAG, TLS_SEAL_TAG, out + 5 + len + 1) != 1)
		return -1;
	return (ssize_t)(5 + body);
}

void
tls_seal_free(struct tls_seal *t)
{
	if (t == NULL)
		return;
	EVP_CIPHER_CTX_free(t->ctx);  /* clears the key schedule */
	OPENSSL_cleanse(t, sizeof(*t));
	free(t);
}
