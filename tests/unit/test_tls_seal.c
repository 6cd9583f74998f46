/* test_tls_seal: TLS 1.3 records sealed by tls_seal, opened here with
 * OpenSSL's AEAD the way a peer opens them (RFC 8446 5.2): header as
 * additional data, nonce = IV XOR sequence number, content type last. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <linux/tls.h>
#include <openssl/evp.h>

#include "tlserve/tls_seal.h"

static struct tls_seal_ciphers ciphers;

static const unsigned char key32[32] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
	0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78, 0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0,
};
static const unsigned char iv12[12] = {
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab,
};

/* What OpenSSL hands a kernel TLS socket, for each cipher. */
static struct tls12_crypto_info_aes_gcm_128 gcm128;
static struct tls12_crypto_info_aes_gcm_256 gcm256;
static struct tls12_crypto_info_chacha20_poly1305 chacha;

static void
set_seq(unsigned char *rec_seq, uint64_t seq)
{
	for (int i = 0; i < 8; i++)
		rec_seq[7 - i] = (unsigned char)(seq >> (8 * i));
}

/* AES-GCM's IV comes as a 4-byte salt and 8 bytes. */
static void
fill_gcm(struct tls_crypto_info *info, unsigned cipher_type, unsigned char *key, size_t keylen,
         unsigned char *salt, unsigned char *iv, unsigned char *rec_seq, uint64_t seq)
{
	info->version = TLS_1_3_VERSION;
	info->cipher_type = (unsigned short)cipher_type;
	memcpy(key, key32, keylen);
	memcpy(salt, iv12, 4);
	memcpy(iv, iv12 + 4, 8);
	set_seq(rec_seq, seq);
}

static void
make_infos(uint64_t seq)
{
	memset(&gcm128, 0, sizeof(gcm128));
	fill_gcm(&gcm128.info, TLS_CIPHER_AES_GCM_128, gcm128.key, sizeof(gcm128.key), gcm128.salt,
	         gcm128.iv, gcm128.rec_seq, seq);
	memset(&gcm256, 0, sizeof(gcm256));
	fill_gcm(&gcm256.info, TLS_CIPHER_AES_GCM_256, gcm256.key, sizeof(gcm256.key), gcm256.salt,
	         gcm256.iv, gcm256.rec_seq, seq);

	memset(&chacha, 0, sizeof(chacha));
	chacha.info.version = TLS_1_3_VERSION;
	chacha.info.cipher_type = TLS_CIPHER_CHACHA20_POLY1305;
	memcpy(chacha.key, key32, sizeof(chacha.key));
	memcpy(chacha.iv, iv12, sizeof(chacha.iv));
	set_seq(chacha.rec_seq, seq);
}

/* Open one record as a peer would, expecting sequence number seq. Returns
 * the plaintext length (content type stripped into *type), or -1 when the
 * record does not authenticate or is malformed. */
static long
open_record(const char *cipher_name, size_t keylen, const unsigned char *rec, size_t reclen,
            uint64_t seq, unsigned char *plain, unsigned char *type)
{
	EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, cipher_name, NULL);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	unsigned char nonce[12], tag[16];
	size_t body, ctlen;
	int n = 0, f = 0;
	long r = -1;

	assert_non_null(cipher);
	assert_non_null(ctx);
	assert_int_equal((size_t)EVP_CIPHER_get_key_length(cipher), keylen);
	if (reclen < 5 + 17 || rec[0] != 23 || rec[1] != 3 || rec[2] != 3)
		goto out;
	body = (size_t)rec[3] << 8 | rec[4];
	if (body + 5 != reclen)
		goto out;
	ctlen = body - 16;
	memcpy(nonce, iv12, sizeof(nonce));
	for (int i = 0; i < 8; i++)
		nonce[11 - i] ^= (unsigned char)(seq >> (8 * i));
	memcpy(tag, rec + 5 + ctlen, 16);
	if (EVP_DecryptInit_ex(ctx, cipher, NULL, key32, nonce) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &n, rec, 5) != 1 ||
	    EVP_DecryptUpdate(ctx, plain, &n, rec + 5, (int)ctlen) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, tag) != 1 ||
	    EVP_DecryptFinal_ex(ctx, plain + n, &f) != 1)
		goto out;
	assert_int_equal((size_t)(n + f), ctlen);
	*type = plain[ctlen - 1];
	r = (long)ctlen - 1;
out:
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_free(cipher);
	return r;
}

static unsigned char data[TLS_SEAL_PLAIN_MAX + 1];
static unsigned char rec[TLS_SEAL_PLAIN_MAX + 1 + TLS_SEAL_OVERHEAD];
static unsigned char plain[TLS_SEAL_PLAIN_MAX + 1 + TLS_SEAL_OVERHEAD];

static void
round_trip(const void *info, const char *cipher_name, size_t keylen)
{
	struct tls_seal *t = tls_seal_new(info, &ciphers);
	unsigned char type = 0;
	const size_t sizes[] = {1000, 1, TLS_SEAL_PLAIN_MAX, 0, 4097};
	ssize_t n;

	assert_non_null(t);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 31 + 7);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t len = sizes[k];

		n = tls_seal_record(t, 23, data + k, len, rec);
		assert_int_equal(n, (ssize_t)(len + TLS_SEAL_OVERHEAD));
		/* the k-th record opens with sequence number k, and only with it */
		assert_int_equal(open_record(cipher_name, keylen, rec, (size_t)n, k, plain, &type),
		                 (long)len);
		assert_int_equal(type, 23);
		assert_memory_equal(plain, data + k, len);
		assert_int_equal(open_record(cipher_name, keylen, rec, (size_t)n, k + 1, plain, &type), -1);
	}
	tls_seal_free(t);
}

static void
test_aes128gcm_round_trip(void **state)
{
	(void)state;
	make_infos(0);
	round_trip(&gcm128, "AES-128-GCM", 16);
}

static void
test_aes256gcm_round_trip(void **state)
{
	(void)state;
	make_infos(0);
	round_trip(&gcm256, "AES-256-GCM", 32);
}

static void
test_chacha20poly1305_round_trip(void **state)
{
	(void)state;
	make_infos(0);
	round_trip(&chacha, "ChaCha20-Poly1305", 32);
}

/* The sequence number OpenSSL passes is where sealing starts; the content
 * type given is the one the peer reads (an alert, a handshake message). */
static void
test_sequence_and_type(void **state)
{
	struct tls_seal *t;
	unsigned char type = 0;
	const unsigned char alert[2] = {1, 0};  /* warning, close_notify */
	ssize_t n;

	(void)state;
	make_infos(1000);
	t = tls_seal_new(&gcm128, &ciphers);
	assert_non_null(t);
	n = tls_seal_record(t, 21, alert, sizeof(alert), rec);
	assert_int_equal(n, 2 + TLS_SEAL_OVERHEAD);
	assert_int_equal(rec[0], 23);  /* the outer type is always application_data */
	assert_int_equal(open_record("AES-128-GCM", 16, rec, (size_t)n, 1000, plain, &type), 2);
	assert_int_equal(type, 21);
	assert_memory_equal(plain, alert, 2);
	/* a flipped ciphertext bit does not authenticate */
	n = tls_seal_record(t, 22, data, 100, rec);
	assert_int_equal(open_record("AES-128-GCM", 16, rec, (size_t)n, 1001, plain, &type), 100);
	assert_int_equal(type, 22);
	rec[5 + 50] ^= 0x01;
	assert_int_equal(open_record("AES-128-GCM", 16, rec, (size_t)n, 1001, plain, &type), -1);
	tls_seal_free(t);
}

/* A nonce is never used twice: the last sequence number is refused. */
static void
test_sequence_exhausted(void **state)
{
	struct tls_seal *t;
	unsigned char type = 0;
	ssize_t n;

	(void)state;
	make_infos(UINT64_MAX - 1);
	t = tls_seal_new(&chacha, &ciphers);
	assert_non_null(t);
	n = tls_seal_record(t, 23, data, 10, rec);
	assert_int_equal(n, 10 + TLS_SEAL_OVERHEAD);
	assert_int_equal(open_record("ChaCha20-Poly1305", 32, rec, (size_t)n, UINT64_MAX - 1, plain,
	                             &type), 10);
	assert_int_equal(tls_seal_record(t, 23, data, 10, rec), -1);
	assert_int_equal(tls_seal_record(t, 23, data, 10, rec), -1);
	tls_seal_free(t);
}

static void
test_too_long_refused(void **state)
{
	struct tls_seal *t;

	(void)state;
	make_infos(0);
	t = tls_seal_new(&gcm256, &ciphers);
	assert_non_null(t);
	assert_int_equal(tls_seal_record(t, 23, data, TLS_SEAL_PLAIN_MAX + 1, rec), -1);
	assert_int_equal(tls_seal_record(t, 23, data, TLS_SEAL_PLAIN_MAX, rec),
	                 TLS_SEAL_PLAIN_MAX + TLS_SEAL_OVERHEAD);
	tls_seal_free(t);
}

/* What is not TLS 1.3 with one of its AEAD suites stays with OpenSSL. */
static void
test_not_ours(void **state)
{
	struct tls12_crypto_info_aes_ccm_128 ccm;
	struct tls_seal_ciphers none = {0};

	(void)state;
	make_infos(0);
	gcm128.info.version = TLS_1_2_VERSION;
	assert_null(tls_seal_new(&gcm128, &ciphers));
	memset(&ccm, 0, sizeof(ccm));
	ccm.info.version = TLS_1_3_VERSION;
	ccm.info.cipher_type = TLS_CIPHER_AES_CCM_128;
	assert_null(tls_seal_new(&ccm, &ciphers));
	assert_null(tls_seal_new(&gcm256, &none));  /* a cipher that could not be fetched */
	assert_null(tls_seal_new(NULL, &ciphers));
	tls_seal_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aes128gcm_round_trip),
		cmocka_unit_test(test_aes256gcm_round_trip),
		cmocka_unit_test(test_chacha20poly1305_round_trip),
		cmocka_unit_test(test_sequence_and_type),
		cmocka_unit_test(test_sequence_exhausted),
		cmocka_unit_test(test_too_long_refused),
		cmocka_unit_test(test_not_ours),
	};
	int rc;

	tls_seal_ciphers_load(&ciphers);
	rc = cmocka_run_group_tests_name("tls_seal", tests, NULL, NULL);
	tls_seal_ciphers_free(&ciphers);
	return rc;
}
