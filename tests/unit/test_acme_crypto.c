/* Unit tests for src/acme_crypto.c. What the module makes is checked the way
 * an ACME server would check it, with OpenSSL and jansson directly and with
 * a base64url of the test's own (OpenSSL's base64 with the alphabet swapped),
 * never with the module's own helpers: JWS signatures verify over
 * "protected.payload", the JWK and thumbprint match fixed values computed
 * elsewhere (Python's cryptography), CSRs and the RFC 8737 certificate parse
 * and say what they must. Every failure must leave the OpenSSL error queue
 * empty. Outputs written into caller buffers end at a PROT_NONE page. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "guard.h"
#include "tlserve/acme_crypto.h"

/* ------------------------------------------------------------ helpers */

/* A SEC1 P-256 key and its JWK and thumbprint, from Python's cryptography. */
static const char sec1_pem[] =
	"-----BEGIN EC PRIVATE KEY-----\n"
	"MHcCAQEEII6bEJ5xkJi/mASLHDxRYr+M7KEKqOLJPm9yqOj3erYIoAoGCCqGSM49\n"
	"AwEHoUQDQgAEiLdVNxIke4xFIrD1l3qKcwfByGN7WLtAM6fyEQBevZQ0mX/eERMt\n"
	"K3O8sR7L2AxhC8UMjRlUBWkHMnLXYCX7tg==\n"
	"-----END EC PRIVATE KEY-----\n";
static const char sec1_jwk[] =
	"{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"iLdVNxIke4xFIrD1l3qKcwfByGN7WLtAM6fyEQBevZQ\","
	"\"y\":\"NJl_3hETLStzvLEey9gMYQvFDI0ZVAVpBzJy12Al-7Y\"}";
static const char sec1_thumb[] = "SmXWYo6oDxO2KQPXTX_34aAQnkunnqLH2FogRGAKQUE";

/* A PKCS#8 P-256 key whose x and y both start with a zero byte: the JWK
 * must still carry 32 bytes of each. */
static const char zero_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgAAAAAAAAAAAAAAAA\n"
	"AAAAAAAAAAAAAAAAAAAAAF2PaoKhRANCAAQAq0K7P3IxLbpYh3xQjSYEjrrXq902\n"
	"Li/feP0u8Tx9ogCJrJ+7BvgNaOHrHPpUy+HOuMwHusR7HpjwdFv5elbV\n"
	"-----END PRIVATE KEY-----\n";
static const char zero_jwk[] =
	"{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"AKtCuz9yMS26WId8UI0mBI6616vdNi4v33j9LvE8faI\","
	"\"y\":\"AImsn7sG-A1o4esc-lTL4c64zAe6xHsemPB0W_l6VtU\"}";
static const char zero_thumb[] = "F9aa_VjawoLrwXL_MiHL0WVqCmnm9jdkcbCZFzeuzl0";

static void
assert_queue_empty(void)
{
	assert_int_equal(ERR_peek_error(), 0);
}

/* base64url without padding, made from OpenSSL's standard base64. */
static char *
ref_b64url(const unsigned char *in, size_t n)
{
	char *s = malloc(4 * (n / 3 + 1) + 1);
	size_t i;
	int len;

	assert_non_null(s);
	len = EVP_EncodeBlock((unsigned char *)s, in, (int)n);
	assert_true(len >= 0);
	while (len > 0 && s[len - 1] == '=')
		len--;
	s[len] = '\0';
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '+')
			s[i] = '-';
		else if (s[i] == '/')
			s[i] = '_';
	}
	return s;
}

/* Decode unpadded base64url strictly (url alphabet only, no '='); the
 * result is malloc'd with a NUL after it. */
static unsigned char *
ref_unb64url(const char *s, size_t *n)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t len = strlen(s), i, o = 0;
	unsigned char *out = malloc(len * 3 / 4 + 2);
	uint32_t acc = 0;
	int bits = 0;
	const char *p;

	assert_non_null(out);
	assert_true(len % 4 != 1);
	for (i = 0; i < len; i++) {
		p = strchr(a, s[i]);
		assert_true(p != NULL && s[i] != '\0');
		acc = acc << 6 | (uint32_t)(p - a);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	assert_int_equal(acc & ((1u << bits) - 1), 0);  /* canonical: unused bits zero */
	out[o] = '\0';
	*n = o;
	return out;
}

/* The OpenSSL key behind an acme_key, through its PEM. */
static EVP_PKEY *
pkey_of(const struct acme_key *k)
{
	EVP_PKEY *pkey;
	size_t len;
	char *pem;
	BIO *bio;

	assert_int_equal(acme_key_to_pem(k, &pem, &len), 0);
	assert_int_equal(strlen(pem), len);
	bio = BIO_new_mem_buf(pem, (int)len);
	assert_non_null(bio);
	pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	assert_non_null(pkey);
	BIO_free(bio);
	acme_wipe(pem, len);
	free(pem);
	return pkey;
}

static struct acme_key *
key_from(const char *pem)
{
	struct acme_key *k = NULL;
	char err[256] = "";

	if (acme_key_from_pem(pem, strlen(pem), &k, err, sizeof(err)) != 0)
		fail_msg("acme_key_from_pem: %s", err);
	return k;
}

/* A NUL-terminated copy of a memory BIO's contents (which have no NUL). */
static char *
bio_string(BIO *bio)
{
	char *data, *s;
	long n = BIO_get_mem_data(bio, &data);

	assert_true(n >= 0);
	s = malloc((size_t)n + 1);
	assert_non_null(s);
	memcpy(s, data, (size_t)n);
	s[n] = '\0';
	return s;
}

static char *
pkey_pem(EVP_PKEY *pkey)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *s;

	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL), 1);
	s = bio_string(bio);
	BIO_free(bio);
	return s;
}

static char *
cert_pem(X509 *x)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *s;

	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_X509(bio, x), 1);
	s = bio_string(bio);
	BIO_free(bio);
	return s;
}

static X509 *
cert_read(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *x;

	assert_non_null(bio);
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	assert_non_null(x);
	BIO_free(bio);
	return x;
}

/* The dNSName SANs of an extension list, in order, as one "a,b,c" string;
 * any other kind of SAN fails the test. */
static void
san_string(const STACK_OF(X509_EXTENSION) *exts, char *buf, size_t len)
{
	GENERAL_NAMES *gens = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	const GENERAL_NAME *gn;
	size_t o = 0;
	int i, n;

	assert_non_null(gens);
	buf[0] = '\0';
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		gn = sk_GENERAL_NAME_value(gens, i);
		assert_int_equal(gn->type, GEN_DNS);
		n = snprintf(buf + o, len - o, "%s%.*s", i > 0 ? "," : "",
		             ASN1_STRING_length(gn->d.dNSName),
		             (const char *)ASN1_STRING_get0_data(gn->d.dNSName));
		assert_true(n > 0 && (size_t)n < len - o);
		o += (size_t)n;
	}
	GENERAL_NAMES_free(gens);
}

/* The subject's CN, or "" when there is none. */
static void
cn_string(const X509_NAME *xn, char *buf, size_t len)
{
	int n = X509_NAME_get_text_by_NID(xn, NID_commonName, buf, (int)len);

	if (n < 0)
		buf[0] = '\0';
	assert_int_equal(X509_NAME_entry_count(xn), n < 0 ? 0 : 1);
}

/* ------------------------------------------------------------ base64url, SHA-256, wipe */

static void
test_b64url_rfc4648(void **state)
{
	/* RFC 4648 10, without the padding. */
	static const struct { const char *in, *out; } v[] = {
		{ "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" }, { "foobar", "Zm9vYmFy" },
	};
	struct guard g;
	size_t i, n;
	char *out;

	(void)state;
	guard_init(&g, 64);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		n = strlen(v[i].out);
		out = guard_out(&g, n + 1);
		assert_int_equal(acme_b64url((const unsigned char *)v[i].in, strlen(v[i].in), out,
		                             n + 1), (int)n);
		assert_string_equal(out, v[i].out);
	}
	guard_free(&g);
}

static void
test_b64url_url_alphabet(void **state)
{
	/* Standard base64 "+/8=", "//8=" and "-_" territory: 62 and 63. */
	static const unsigned char a[] = { 0xfb, 0xff }, b[] = { 0xff, 0xff, 0xfe };
	unsigned char all[256];
	char out[400], *ref;
	size_t i;

	(void)state;
	assert_int_equal(acme_b64url(a, sizeof(a), out, sizeof(out)), 3);
	assert_string_equal(out, "-_8");
	assert_int_equal(acme_b64url(b, sizeof(b), out, sizeof(out)), 4);
	assert_string_equal(out, "___-");
	for (i = 0; i < sizeof(all); i++)
		all[i] = (unsigned char)i;
	for (i = 0; i <= sizeof(all); i++) {
		ref = ref_b64url(all, i);
		assert_int_equal(acme_b64url(all, i, out, sizeof(out)), (int)strlen(ref));
		assert_string_equal(out, ref);
		free(ref);
	}
}

static void
test_b64url_small_buffer(void **state)
{
	static const unsigned char in[] = "foobar!";
	struct guard g;
	size_t n, need;
	char *out;

	(void)state;
	guard_init(&g, 64);
	for (n = 0; n <= 7; n++) {
		need = (4 * n + 2) / 3 + 1;
		out = guard_out(&g, need - 1);
		assert_int_equal(acme_b64url(in, n, out, need - 1), -1);
		out = guard_out(&g, need);
		assert_int_equal(acme_b64url(in, n, out, need), (int)need - 1);
	}
	assert_int_equal(acme_b64url(in, 3, NULL, 0), -1);
	guard_free(&g);
}

static void
test_sha256_vectors(void **state)
{
	/* FIPS 180-2 B.1 and the empty string. */
	static const unsigned char abc[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
		0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
	};
	static const unsigned char empty[32] = {
		0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
		0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
	};
	unsigned char md[32];

	(void)state;
	acme_sha256("abc", 3, md);
	assert_memory_equal(md, abc, 32);
	acme_sha256("", 0, md);
	assert_memory_equal(md, empty, 32);
}

static void
test_wipe(void **state)
{
	static const unsigned char zero[16];
	unsigned char buf[16];

	(void)state;
	memset(buf, 0x5a, sizeof(buf));
	acme_wipe(buf, sizeof(buf));
	assert_memory_equal(buf, zero, sizeof(buf));
	acme_wipe(NULL, 0);
}

/* ------------------------------------------------------------ keys */

static void
test_key_pem_round_trip(void **state)
{
	struct acme_key *k, *k2 = NULL;
	char jwk[200], jwk2[200], err[128];
	EVP_PKEY *a, *b;
	size_t len;
	char *pem;

	(void)state;
	assert_int_equal(acme_key_generate(&k), 0);
	assert_int_equal(acme_key_to_pem(k, &pem, &len), 0);
	assert_int_equal(strlen(pem), len);
	assert_non_null(strstr(pem, "-----BEGIN PRIVATE KEY-----\n"));  /* PKCS#8 */
	assert_int_equal(acme_key_from_pem(pem, len, &k2, err, sizeof(err)), 0);
	assert_int_equal(acme_key_jwk(k, jwk, sizeof(jwk)), acme_key_jwk(k2, jwk2, sizeof(jwk2)));
	assert_string_equal(jwk, jwk2);
	a = pkey_of(k);
	b = pkey_of(k2);
	assert_int_equal(EVP_PKEY_eq(a, b), 1);  /* the private half too: same PKCS#8 */
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	acme_wipe(pem, len);
	free(pem);
	acme_key_free(k);
	acme_key_free(k2);
	assert_queue_empty();
}

static void
test_key_two_generated_differ(void **state)
{
	struct acme_key *a, *b;
	char ja[200], jb[200];

	(void)state;
	assert_int_equal(acme_key_generate(&a), 0);
	assert_int_equal(acme_key_generate(&b), 0);
	assert_true(acme_key_jwk(a, ja, sizeof(ja)) > 0);
	assert_true(acme_key_jwk(b, jb, sizeof(jb)) > 0);
	assert_string_not_equal(ja, jb);
	acme_key_free(a);
	acme_key_free(b);
}

/* A key of another kind, as PEM, must be refused with a reason and an empty
 * error queue. */
static void
refused(const char *pem, const char *why)
{
	struct acme_key *k = (struct acme_key *)(uintptr_t)1;
	char err[256] = "";

	assert_int_equal(acme_key_from_pem(pem, strlen(pem), &k, err, sizeof(err)), -1);
	assert_ptr_equal(k, (struct acme_key *)(uintptr_t)1);  /* untouched */
	assert_non_null(strstr(err, why));
	assert_queue_empty();
}

static void
test_key_refuses_p384(void **state)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	char *pem;

	(void)state;
	assert_non_null(pkey);
	pem = pkey_pem(pkey);
	refused(pem, "P-256");
	free(pem);
	EVP_PKEY_free(pkey);
}

static void
test_key_refuses_rsa(void **state)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	char *pem;

	(void)state;
	assert_non_null(pkey);
	pem = pkey_pem(pkey);
	refused(pem, "P-256");
	free(pem);
	EVP_PKEY_free(pkey);
}

static void
test_key_refuses_ed25519(void **state)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	char *pem;

	(void)state;
	assert_non_null(pkey);
	pem = pkey_pem(pkey);
	refused(pem, "P-256");
	free(pem);
	EVP_PKEY_free(pkey);
}

static void
test_key_refuses_encrypted(void **state)
{
	/* Refused at once; a prompt on the terminal would hang the test. */
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem;

	(void)state;
	assert_non_null(pkey);
	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_PrivateKey(bio, pkey, EVP_aes_128_cbc(),
	                                          (const unsigned char *)"secret", 6, NULL, NULL), 1);
	pem = bio_string(bio);
	assert_non_null(strstr(pem, "ENCRYPTED"));
	refused(pem, "unencrypted");
	free(pem);
	BIO_free(bio);
	EVP_PKEY_free(pkey);
}

static void
test_key_refuses_garbage(void **state)
{
	struct acme_key *k = NULL;
	char err[256] = "";

	(void)state;
	refused("", "private key");
	refused("hello", "private key");
	refused("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "private key");
	/* A certificate is not a key. */
	refused("-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n", "private key");
	/* Only len bytes count: the first half of a valid key is no key. */
	assert_int_equal(acme_key_from_pem(sec1_pem, sizeof(sec1_pem) / 2, &k, err, sizeof(err)), -1);
	assert_null(k);
	assert_queue_empty();
}

/* ------------------------------------------------------------ JWK, thumbprint */

static void
test_jwk_fixed_vectors(void **state)
{
	static const struct { const char *pem, *jwk, *thumb; } v[] = {
		{ sec1_pem, sec1_jwk, sec1_thumb },
		{ zero_pem, zero_jwk, zero_thumb },
	};
	struct acme_key *k;
	char jwk[200], tp[44];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		k = key_from(v[i].pem);
		assert_int_equal(acme_key_jwk(k, jwk, sizeof(jwk)), (int)strlen(v[i].jwk));
		assert_string_equal(jwk, v[i].jwk);
		memset(tp, 'x', sizeof(tp));
		assert_int_equal(acme_key_thumbprint(k, tp), 0);
		assert_string_equal(tp, v[i].thumb);
		acme_key_free(k);
	}
}

/* A generated key's JWK: exactly crv, kty, x, y in that order, no white
 * space, and x and y are the key's own coordinates, 32 bytes each. */
static void
test_jwk_generated(void **state)
{
	static const char head[] = "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"";
	char jwk[200], want[200], *x64, *y64;
	unsigned char x[32], y[32];
	BIGNUM *bx = NULL, *by = NULL;
	struct acme_key *k;
	EVP_PKEY *pkey;
	int n;

	(void)state;
	assert_int_equal(acme_key_generate(&k), 0);
	n = acme_key_jwk(k, jwk, sizeof(jwk));
	assert_int_equal(n, 126);
	assert_int_equal(strlen(jwk), 126);
	assert_memory_equal(jwk, head, strlen(head));
	pkey = pkey_of(k);
	assert_int_equal(EVP_PKEY_get_bn_param(pkey, "qx", &bx), 1);
	assert_int_equal(EVP_PKEY_get_bn_param(pkey, "qy", &by), 1);
	assert_int_equal(BN_bn2binpad(bx, x, 32), 32);
	assert_int_equal(BN_bn2binpad(by, y, 32), 32);
	x64 = ref_b64url(x, 32);
	y64 = ref_b64url(y, 32);
	snprintf(want, sizeof(want), "%s%s\",\"y\":\"%s\"}", head, x64, y64);
	assert_string_equal(jwk, want);
	free(x64);
	free(y64);
	BN_free(bx);
	BN_free(by);
	EVP_PKEY_free(pkey);
	acme_key_free(k);
}

static void
test_jwk_small_buffer(void **state)
{
	struct acme_key *k = key_from(sec1_pem);
	size_t n = strlen(sec1_jwk);
	struct guard g;
	char *out;

	(void)state;
	guard_init(&g, 256);
	out = guard_out(&g, n);
	assert_int_equal(acme_key_jwk(k, out, n), -1);
	out = guard_out(&g, n + 1);
	assert_int_equal(acme_key_jwk(k, out, n + 1), (int)n);
	assert_string_equal(out, sec1_jwk);
	guard_free(&g);
	acme_key_free(k);
}

/* The thumbprint of a generated key, recomputed: base64url(SHA-256(JWK)). */
static void
test_thumbprint_recomputed(void **state)
{
	unsigned char md[32];
	struct acme_key *k;
	char jwk[200], tp[44], *want;

	(void)state;
	assert_int_equal(acme_key_generate(&k), 0);
	assert_true(acme_key_jwk(k, jwk, sizeof(jwk)) > 0);
	assert_int_equal(EVP_Digest(jwk, strlen(jwk), md, NULL, EVP_sha256(), NULL), 1);
	want = ref_b64url(md, sizeof(md));
	assert_int_equal(acme_key_thumbprint(k, tp), 0);
	assert_int_equal(strlen(tp), 43);
	assert_string_equal(tp, want);
	free(want);
	acme_key_free(k);
}

static void
test_key_authorization(void **state)
{
	static const char token[] = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA";
	struct acme_key *k = key_from(sec1_pem);
	char want[200];
	struct guard g;
	size_t n;
	char *out;

	(void)state;
	n = (size_t)snprintf(want, sizeof(want), "%s.%s", token, sec1_thumb);
	guard_init(&g, 256);
	out = guard_out(&g, n + 1);
	assert_int_equal(acme_key_authorization(k, token, out, n + 1), (int)n);
	assert_string_equal(out, want);
	out = guard_out(&g, n);
	assert_int_equal(acme_key_authorization(k, token, out, n), -1);
	out = guard_out(&g, n + 1);
	assert_int_equal(acme_key_authorization(k, NULL, out, n + 1), -1);
	guard_free(&g);
	acme_key_free(k);
}

/* ------------------------------------------------------------ JWS */

/* Whether sig64 (base64url R || S) is pkey's ES256 signature over input. */
static bool
es256_verifies(EVP_PKEY *pkey, const char *input, const char *sig64)
{
	unsigned char *sig, *der = NULL;
	BIGNUM *r, *s;
	ECDSA_SIG *es;
	EVP_MD_CTX *md;
	size_t n;
	int derlen, ok;

	sig = ref_unb64url(sig64, &n);
	assert_int_equal(n, 64);
	r = BN_bin2bn(sig, 32, NULL);
	s = BN_bin2bn(sig + 32, 32, NULL);
	es = ECDSA_SIG_new();
	assert_true(r != NULL && s != NULL && es != NULL);
	assert_int_equal(ECDSA_SIG_set0(es, r, s), 1);
	derlen = i2d_ECDSA_SIG(es, &der);
	assert_true(derlen > 0);
	md = EVP_MD_CTX_new();
	assert_non_null(md);
	assert_int_equal(EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL, NULL, pkey, NULL), 1);
	ok = EVP_DigestVerify(md, der, (size_t)derlen, (const unsigned char *)input, strlen(input));
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	free(sig);
	ERR_clear_error();
	return ok == 1;
}

struct jws_parts {
	json_t *hdr;             /* the protected header, parsed */
	unsigned char *payload;  /* decoded, NUL after it */
	size_t npayload;
};

/* Parse a flattened JWS, check its signature with k's public key (and
 * that a changed byte of the signing input fails it), and hand back the
 * protected header and the payload. */
static void
jws_open(const struct acme_key *k, const char *jws, struct jws_parts *out)
{
	const char *p64, *pl64, *s64;
	unsigned char *hdr;
	char *input;
	EVP_PKEY *pkey = pkey_of(k);
	json_error_t je;
	json_t *root;
	size_t n;

	assert_non_null(jws);
	root = json_loads(jws, JSON_REJECT_DUPLICATES, &je);
	assert_non_null(root);
	assert_int_equal(json_object_size(root), 3);
	assert_int_equal(json_unpack(root, "{s:s, s:s, s:s}", "protected", &p64, "payload", &pl64,
	                             "signature", &s64), 0);
	assert_int_equal(asprintf(&input, "%s.%s", p64, pl64) > 0, 1);
	assert_true(es256_verifies(pkey, input, s64));
	input[0] ^= 1;
	assert_false(es256_verifies(pkey, input, s64));
	hdr = ref_unb64url(p64, &n);
	out->hdr = json_loads((const char *)hdr, JSON_REJECT_DUPLICATES, &je);
	assert_non_null(out->hdr);
	out->payload = ref_unb64url(pl64, &out->npayload);
	free(hdr);
	free(input);
	json_decref(root);
	EVP_PKEY_free(pkey);
}

static void
jws_close(struct jws_parts *p)
{
	json_decref(p->hdr);
	free(p->payload);
}

static void
test_jws_with_jwk(void **state)
{
	static const char payload[] = "{\"termsOfServiceAgreed\":true,\"contact\":[\"mailto:a@b.c\"]}";
	struct acme_key *k;
	struct jws_parts p;
	const char *alg, *nonce, *url;
	char jwk[200], *s, *jws;
	json_t *jobj;

	(void)state;
	assert_int_equal(acme_key_generate(&k), 0);
	assert_true(acme_key_jwk(k, jwk, sizeof(jwk)) > 0);
	jws = acme_jws(k, NULL, "n0nce_-1", "https://ca.test/acme/new-acct", payload);
	jws_open(k, jws, &p);
	assert_int_equal(json_object_size(p.hdr), 4);
	assert_int_equal(json_unpack(p.hdr, "{s:s, s:o, s:s, s:s}", "alg", &alg, "jwk", &jobj,
	                             "nonce", &nonce, "url", &url), 0);
	assert_string_equal(alg, "ES256");
	assert_string_equal(nonce, "n0nce_-1");
	assert_string_equal(url, "https://ca.test/acme/new-acct");
	assert_null(json_object_get(p.hdr, "kid"));
	/* The header's JWK is the key's JWK, member for member. */
	s = json_dumps(jobj, JSON_COMPACT);
	assert_string_equal(s, jwk);
	free(s);
	assert_int_equal(p.npayload, strlen(payload));
	assert_string_equal((const char *)p.payload, payload);
	jws_close(&p);
	free(jws);
	acme_key_free(k);
}

static void
test_jws_with_kid(void **state)
{
	struct acme_key *k = key_from(zero_pem);
	struct jws_parts p;
	const char *alg, *kid, *nonce, *url;
	char *jws;

	(void)state;
	jws = acme_jws(k, "https://ca.test/acme/acct/1", "abc", "https://ca.test/acme/new-order",
	               "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"a.test\"}]}");
	jws_open(k, jws, &p);
	assert_int_equal(json_object_size(p.hdr), 4);
	assert_int_equal(json_unpack(p.hdr, "{s:s, s:s, s:s, s:s}", "alg", &alg, "kid", &kid,
	                             "nonce", &nonce, "url", &url), 0);
	assert_string_equal(alg, "ES256");
	assert_string_equal(kid, "https://ca.test/acme/acct/1");
	assert_string_equal(nonce, "abc");
	assert_string_equal(url, "https://ca.test/acme/new-order");
	assert_null(json_object_get(p.hdr, "jwk"));
	assert_string_equal((const char *)p.payload,
	                    "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"a.test\"}]}");
	jws_close(&p);
	free(jws);
	acme_key_free(k);
}

static void
test_jws_post_as_get(void **state)
{
	struct acme_key *k = key_from(sec1_pem);
	struct jws_parts p;
	json_t *root;
	char *jws;

	(void)state;
	jws = acme_jws(k, "https://ca.test/acct/1", "n", "https://ca.test/order/1", NULL);
	jws_open(k, jws, &p);
	assert_int_equal(p.npayload, 0);
	/* "payload":"" exactly, not absent or null (RFC 8555 6.3). */
	root = json_loads(jws, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(root, "payload")), "");
	json_decref(root);
	jws_close(&p);
	free(jws);
	acme_key_free(k);
}

/* Server-provided strings with quotes, backslashes, control characters
 * and non-ASCII come back unchanged after a JSON parse. */
static void
test_jws_escapes(void **state)
{
	static const char nonce[] = "a\"b\\c\n";
	static const char url[] = "https://ca.test/x?\"q\"=\xc3\xa9\t";
	static const char kid[] = "https://ca.test/acct/\"1\"\\";
	struct acme_key *k = key_from(sec1_pem);
	struct jws_parts p;
	char *jws;

	(void)state;
	jws = acme_jws(k, kid, nonce, url, "");
	jws_open(k, jws, &p);
	assert_string_equal(json_string_value(json_object_get(p.hdr, "nonce")), nonce);
	assert_string_equal(json_string_value(json_object_get(p.hdr, "url")), url);
	assert_string_equal(json_string_value(json_object_get(p.hdr, "kid")), kid);
	jws_close(&p);
	free(jws);
	acme_key_free(k);
}

static void
test_jws_refuses(void **state)
{
	struct acme_key *k = key_from(sec1_pem);

	(void)state;
	assert_null(acme_jws(k, NULL, NULL, "https://ca.test/", NULL));
	assert_null(acme_jws(k, NULL, "n", NULL, NULL));
	assert_null(acme_jws(NULL, NULL, "n", "https://ca.test/", NULL));
	/* Not UTF-8: JSON cannot carry it. */
	assert_null(acme_jws(k, NULL, "\xff", "https://ca.test/", NULL));
	acme_key_free(k);
	assert_queue_empty();
}

/* ------------------------------------------------------------ CSR */

static X509_REQ *
csr_parse(const char *b64)
{
	const unsigned char *p;
	unsigned char *der;
	X509_REQ *req;
	size_t n;

	assert_non_null(b64);
	der = ref_unb64url(b64, &n);
	p = der;
	req = d2i_X509_REQ(NULL, &p, (long)n);
	assert_non_null(req);
	assert_ptr_equal(p, der + n);  /* all of it, nothing after */
	free(der);
	return req;
}

static void
csr_check(const struct acme_key *k, const char *const *names, size_t nnames, const char *want_san,
          const char *want_cn)
{
	STACK_OF(X509_EXTENSION) *exts;
	char *csr = acme_csr(k, names, nnames);
	char san[1024], cn[256];
	X509_REQ *req = csr_parse(csr);
	EVP_PKEY *pub = X509_REQ_get0_pubkey(req), *pkey = pkey_of(k);

	assert_int_equal(X509_REQ_get_version(req), X509_REQ_VERSION_1);
	assert_int_equal(X509_REQ_verify(req, pub), 1);
	assert_int_equal(EVP_PKEY_eq(pub, pkey), 1);
	assert_int_equal(X509_REQ_get_signature_nid(req), NID_ecdsa_with_SHA256);
	cn_string(X509_REQ_get_subject_name(req), cn, sizeof(cn));
	assert_string_equal(cn, want_cn);
	exts = X509_REQ_get_extensions(req);
	assert_int_equal(sk_X509_EXTENSION_num(exts), 1);
	san_string(exts, san, sizeof(san));
	assert_string_equal(san, want_san);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	EVP_PKEY_free(pkey);
	X509_REQ_free(req);
	free(csr);
}

static void
test_csr_names(void **state)
{
	static const char *const one[] = { "example.test" };
	static const char *const three[] = { "www.example.test", "example.test", "*.api.example.test" };
	struct acme_key *k;

	(void)state;
	assert_int_equal(acme_key_generate(&k), 0);
	csr_check(k, one, 1, "example.test", "example.test");
	csr_check(k, three, 3, "www.example.test,example.test,*.api.example.test",
	          "www.example.test");
	acme_key_free(k);
	assert_queue_empty();
}

static void
test_csr_long_first_name(void **state)
{
	/* 65 characters: too long for a CN (64), fine for a dNSName. */
	static const char *const names[] = {
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test", "b.test" };
	struct acme_key *k = key_from(zero_pem);
	char want[128];

	(void)state;
	assert_int_equal(strlen(names[0]), 65);
	snprintf(want, sizeof(want), "%s,b.test", names[0]);
	csr_check(k, names, 2, want, "");
	acme_key_free(k);
}

static void
test_csr_refuses(void **state)
{
	static const char *const empty[] = { "" };
	static const char *const space[] = { "a.test", "b test" };
	static const char *const high[] = { "caf\xc3\xa9.test" };
	static const char *const null[] = { "a.test", NULL };
	struct acme_key *k = key_from(sec1_pem);

	(void)state;
	assert_null(acme_csr(k, empty, 1));
	assert_null(acme_csr(k, space, 2));
	assert_null(acme_csr(k, high, 1));
	assert_null(acme_csr(k, null, 2));
	assert_null(acme_csr(k, space, 0));
	assert_null(acme_csr(NULL, space, 1));
	acme_key_free(k);
	assert_queue_empty();
}

/* ------------------------------------------------------------ TLS-ALPN-01 certificate */

static void
test_alpn_cert(void **state)
{
	static const char *const names[] = { "alpn.example.test" };
	unsigned char digest[32], want[34];
	char *cert = NULL, *key = NULL, *cert2 = NULL, *key2 = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	const ASN1_OCTET_STRING *val;
	struct acme_cert_info info;
	ASN1_OBJECT *oid;
	X509 *x, *x2;
	EVP_PKEY *pkey;
	X509_EXTENSION *ext;
	BIGNUM *serial;
	char san[256], cn[256], err[128];
	time_t now = time(NULL);
	BIO *bio;
	int i;

	(void)state;
	acme_sha256("token.thumbprint", 16, digest);
	assert_int_equal(acme_alpn_cert(names[0], digest, &cert, &key), 0);
	x = cert_read(cert);
	assert_int_equal(X509_get_version(x), X509_VERSION_3);
	/* Self-signed with the key handed back. */
	bio = BIO_new_mem_buf(key, -1);
	pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	assert_non_null(pkey);
	assert_true(EVP_PKEY_is_a(pkey, "EC"));
	assert_int_equal(X509_check_private_key(x, pkey), 1);
	assert_int_equal(X509_verify(x, pkey), 1);
	assert_int_equal(X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)), 0);
	cn_string(X509_get_subject_name(x), cn, sizeof(cn));
	assert_string_equal(cn, names[0]);
	/* Two extensions: the SAN with the one name, and the critical
	 * acmeIdentifier whose value is exactly OCTET STRING (32) digest. */
	assert_int_equal(X509_get_ext_count(x), 2);
	for (i = 0; i < 2; i++)
		assert_non_null(X509v3_add_ext(&exts, X509_get_ext(x, i), -1));
	san_string(exts, san, sizeof(san));
	assert_string_equal(san, names[0]);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	oid = OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1);
	assert_non_null(oid);
	i = X509_get_ext_by_OBJ(x, oid, -1);
	assert_true(i >= 0);
	assert_int_equal(X509_get_ext_by_OBJ(x, oid, i), -1);  /* only once */
	ext = X509_get_ext(x, i);
	assert_int_equal(X509_EXTENSION_get_critical(ext), 1);
	val = X509_EXTENSION_get_data(ext);
	want[0] = 0x04;
	want[1] = 0x20;
	memcpy(want + 2, digest, 32);
	assert_int_equal(ASN1_STRING_length(val), 34);
	assert_memory_equal(ASN1_STRING_get0_data(val), want, 34);
	ASN1_OBJECT_free(oid);
	/* Positive serial; validity about now - 1 day .. now + 7 days. */
	serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	assert_non_null(serial);
	assert_false(BN_is_negative(serial));
	assert_false(BN_is_zero(serial));
	assert_true(BN_num_bytes(serial) <= 20);
	BN_free(serial);
	assert_int_equal(acme_cert_info(cert, strlen(cert), key, strlen(key), names, 1, &info, err,
	                                sizeof(err)), 0);
	assert_true(info.names_match);
	assert_true(info.not_before >= now - 86400 - 5 && info.not_before <= now - 86400 + 5);
	assert_true(info.not_after >= now + 7 * 86400 - 5 && info.not_after <= now + 7 * 86400 + 5);
	/* Another certificate: another key and another serial. */
	assert_int_equal(acme_alpn_cert(names[0], digest, &cert2, &key2), 0);
	x2 = cert_read(cert2);
	assert_int_not_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(x), X509_get0_serialNumber(x2)),
	                     0);
	assert_int_not_equal(X509_check_private_key(x2, pkey), 1);
	ERR_clear_error();
	X509_free(x2);
	X509_free(x);
	EVP_PKEY_free(pkey);
	acme_wipe(key, strlen(key));
	acme_wipe(key2, strlen(key2));
	free(key);
	free(key2);
	free(cert);
	free(cert2);
	assert_queue_empty();
}

static void
test_alpn_cert_refuses(void **state)
{
	unsigned char digest[32] = { 0 };
	char *cert = (char *)(uintptr_t)1, *key = (char *)(uintptr_t)1;

	(void)state;
	assert_int_equal(acme_alpn_cert("", digest, &cert, &key), -1);
	assert_int_equal(acme_alpn_cert("a b", digest, &cert, &key), -1);
	assert_int_equal(acme_alpn_cert(NULL, digest, &cert, &key), -1);
	assert_ptr_equal(cert, (char *)(uintptr_t)1);
	assert_ptr_equal(key, (char *)(uintptr_t)1);
	assert_queue_empty();
}

/* ------------------------------------------------------------ acme_cert_info */

/* A self-signed CA certificate with its own key, unrelated names. */
static X509 *
ca_make(EVP_PKEY **key)
{
	X509 *x = X509_new();
	X509_NAME *xn;

	*key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_true(x != NULL && *key != NULL);
	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 1), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	xn = X509_get_subject_name(x);
	assert_int_equal(X509_NAME_add_entry_by_txt(xn, "CN", MBSTRING_ASC,
	                                            (const unsigned char *)"Test CA", -1, -1, 0), 1);
	assert_int_equal(X509_set_issuer_name(x, xn), 1);
	assert_int_equal(X509_set_pubkey(x, *key), 1);
	assert_true(X509_sign(x, *key, EVP_sha256()) > 0);
	return x;
}

/* What a CA does with acme_csr's CSR: a leaf with the CSR's key and
 * extensions, given dates, signed by ca; then leaf + CA as a PEM chain. */
static char *
chain_make(const struct acme_key *k, const char *const *names, size_t nnames, time_t nb,
           time_t na)
{
	STACK_OF(X509_EXTENSION) *exts;
	char *csr = acme_csr(k, names, nnames), *leaf_pem, *ca_pem, *chain;
	X509_REQ *req = csr_parse(csr);
	EVP_PKEY *cakey;
	X509 *ca = ca_make(&cakey), *x = X509_new();
	int i;

	assert_non_null(x);
	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 2), 1);
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), nb));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), na));
	assert_int_equal(X509_set_subject_name(x, X509_REQ_get_subject_name(req)), 1);
	assert_int_equal(X509_set_issuer_name(x, X509_get_subject_name(ca)), 1);
	assert_int_equal(X509_set_pubkey(x, X509_REQ_get0_pubkey(req)), 1);
	exts = X509_REQ_get_extensions(req);
	for (i = 0; i < sk_X509_EXTENSION_num(exts); i++)
		assert_int_equal(X509_add_ext(x, sk_X509_EXTENSION_value(exts, i), -1), 1);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	assert_true(X509_sign(x, cakey, EVP_sha256()) > 0);
	leaf_pem = cert_pem(x);
	ca_pem = cert_pem(ca);
	assert_true(asprintf(&chain, "%s%s", leaf_pem, ca_pem) > 0);
	free(leaf_pem);
	free(ca_pem);
	X509_free(x);
	X509_free(ca);
	EVP_PKEY_free(cakey);
	X509_REQ_free(req);
	free(csr);
	return chain;
}

static bool
names_match(const char *chain, const char *const *names, size_t nnames)
{
	struct acme_cert_info info;
	char err[128] = "";

	if (acme_cert_info(chain, strlen(chain), NULL, 0, names, nnames, &info, err, sizeof(err)) != 0)
		fail_msg("acme_cert_info: %s", err);
	return info.names_match;
}

static void
test_cert_info_dates_and_names(void **state)
{
	static const char *const issued[] = { "a.test", "www.a.test", "b.test" };
	static const char *const same[] = { "a.test", "www.a.test", "b.test" };
	static const char *const permuted[] = { "b.test", "a.test", "www.a.test" };
	static const char *const upper[] = { "A.TEST", "Www.A.Test", "b.test" };
	static const char *const dup[] = { "a.test", "b.test", "a.test", "www.a.test" };
	static const char *const fewer[] = { "a.test", "b.test" };
	static const char *const more[] = { "a.test", "www.a.test", "b.test", "c.test" };
	static const char *const other[] = { "a.test", "www.a.test", "c.test" };
	static const char *const prefix[] = { "a.tes", "www.a.test", "b.test" };
	static const char *const ca[] = { "Test CA" };
	struct acme_cert_info info;
	struct acme_key *k;
	char *chain, *key;
	char err[128] = "";
	size_t keylen;

	(void)state;
	assert_int_equal(acme_key_generate(&k), 0);
	/* 2023-11-14T22:13:20Z (UTCTime) .. 2052-05-22T03:46:40Z (GeneralizedTime) */
	chain = chain_make(k, issued, 3, 1700000000, 2600000000);
	assert_int_equal(acme_key_to_pem(k, &key, &keylen), 0);
	memset(&info, 0, sizeof(info));
	assert_int_equal(acme_cert_info(chain, strlen(chain), key, keylen, same, 3, &info, err,
	                                sizeof(err)), 0);
	assert_true(info.not_before == 1700000000);
	assert_true(info.not_after == 2600000000);
	assert_true(info.names_match);
	assert_true(names_match(chain, permuted, 3));
	assert_true(names_match(chain, upper, 3));
	assert_true(names_match(chain, dup, 4));
	assert_false(names_match(chain, fewer, 2));
	assert_false(names_match(chain, more, 4));
	assert_false(names_match(chain, other, 3));
	assert_false(names_match(chain, prefix, 3));
	assert_false(names_match(chain, ca, 1));     /* the second certificate does not count */
	assert_false(names_match(chain, issued, 0));
	acme_wipe(key, keylen);
	free(key);
	free(chain);
	acme_key_free(k);
	assert_queue_empty();
}

static void
test_cert_info_key_mismatch(void **state)
{
	static const char *const names[] = { "a.test" };
	struct acme_cert_info info = { .not_before = 1, .not_after = 2, .names_match = true };
	struct acme_key *k, *other;
	char *chain, *key;
	char err[128] = "";
	size_t keylen;

	(void)state;
	assert_int_equal(acme_key_generate(&k), 0);
	assert_int_equal(acme_key_generate(&other), 0);
	chain = chain_make(k, names, 1, 1700000000, 1800000000);
	assert_int_equal(acme_key_to_pem(other, &key, &keylen), 0);
	assert_int_equal(acme_cert_info(chain, strlen(chain), key, keylen, names, 1, &info, err,
	                                sizeof(err)), -1);
	assert_non_null(strstr(err, "does not match"));
	/* untouched on failure */
	assert_true(info.not_before == 1 && info.not_after == 2 && info.names_match);
	assert_queue_empty();
	/* A key that is not a key. */
	err[0] = '\0';
	assert_int_equal(acme_cert_info(chain, strlen(chain), "junk", 4, names, 1, &info, err,
	                                sizeof(err)), -1);
	assert_true(err[0] != '\0');
	assert_queue_empty();
	acme_wipe(key, keylen);
	free(key);
	free(chain);
	acme_key_free(k);
	acme_key_free(other);
}

static void
test_cert_info_not_a_cert(void **state)
{
	static const char *const names[] = { "a.test" };
	struct acme_cert_info info;
	char err[128] = "";

	(void)state;
	assert_int_equal(acme_cert_info("", 0, NULL, 0, names, 1, &info, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "certificate"));
	assert_queue_empty();
	err[0] = '\0';
	assert_int_equal(acme_cert_info(sec1_pem, strlen(sec1_pem), NULL, 0, names, 1, &info, err,
	                                sizeof(err)), -1);
	assert_non_null(strstr(err, "certificate"));
	assert_queue_empty();
	err[0] = '\0';
	assert_int_equal(acme_cert_info("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n",
	                                60, NULL, 0, names, 1, &info, err, sizeof(err)), -1);
	assert_true(err[0] != '\0');
	assert_queue_empty();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64url_rfc4648),
		cmocka_unit_test(test_b64url_url_alphabet),
		cmocka_unit_test(test_b64url_small_buffer),
		cmocka_unit_test(test_sha256_vectors),
		cmocka_unit_test(test_wipe),
		cmocka_unit_test(test_key_pem_round_trip),
		cmocka_unit_test(test_key_two_generated_differ),
		cmocka_unit_test(test_key_refuses_p384),
		cmocka_unit_test(test_key_refuses_rsa),
		cmocka_unit_test(test_key_refuses_ed25519),
		cmocka_unit_test(test_key_refuses_encrypted),
		cmocka_unit_test(test_key_refuses_garbage),
		cmocka_unit_test(test_jwk_fixed_vectors),
		cmocka_unit_test(test_jwk_generated),
		cmocka_unit_test(test_jwk_small_buffer),
		cmocka_unit_test(test_thumbprint_recomputed),
		cmocka_unit_test(test_key_authorization),
		cmocka_unit_test(test_jws_with_jwk),
		cmocka_unit_test(test_jws_with_kid),
		cmocka_unit_test(test_jws_post_as_get),
		cmocka_unit_test(test_jws_escapes),
		cmocka_unit_test(test_jws_refuses),
		cmocka_unit_test(test_csr_names),
		cmocka_unit_test(test_csr_long_first_name),
		cmocka_unit_test(test_csr_refuses),
		cmocka_unit_test(test_alpn_cert),
		cmocka_unit_test(test_alpn_cert_refuses),
		cmocka_unit_test(test_cert_info_dates_and_names),
		cmocka_unit_test(test_cert_info_key_mismatch),
		cmocka_unit_test(test_cert_info_not_a_cert),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
