/* acme_crypto: the OpenSSL side of ACME (RFC 8555): P-256 account and
 * certificate keys, the JWK and its thumbprint (RFC 7638), ES256 JWS in the
 * flattened JSON form (RFC 7515 7.2.2), CSRs, the TLS-ALPN-01 certificate
 * (RFC 8737) and what a stored certificate says. Only this file and tls.c
 * include OpenSSL.
 *
 * Every function leaves the OpenSSL error queue empty when it returns, on
 * failure too: what a failed parse pushed there must not show up in the
 * next, unrelated report (tls.c reads the queue after its own calls).
 * Buffers that hold a private key in PEM form are secure-memory BIOs, which
 * OpenSSL wipes before it frees or grows them. */
#include "tlserve/acme_crypto.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define ACME_COORD 32                       /* bytes of a P-256 coordinate */
#define ACME_COORD_B64 44                   /* its base64url, with the NUL */
#define ACME_JWK_MAX 128                    /* the JWK is 126 bytes and a NUL */
#define ACME_ID_OID "1.3.6.1.5.5.7.1.31"    /* id-pe-acmeIdentifier (RFC 8737 6.1) */
#define ACME_CN_MAX 64                      /* ub-common-name (RFC 5280 A.1) */
#define B64_IN_MAX ((size_t)(INT_MAX - 4) / 4 * 3)  /* the output length fits an int */

struct acme_key {
	EVP_PKEY *pkey;
	char jwk[ACME_JWK_MAX];  /* made once: it never changes with the key */
	size_t jwklen;
};

static const char b64url_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The reason of the last OpenSSL error, if any, after what; then an empty
 * queue. */
static void
set_err(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	const char *why = e != 0 ? ERR_reason_error_string(e) : NULL;

	if (err != NULL && errlen > 0) {
		if (why != NULL)
			snprintf(err, errlen, "%s (%s)", what, why);
		else
			snprintf(err, errlen, "%s", what);
	}
	ERR_clear_error();
}

/* An encrypted PEM key is refused at once: without this callback OpenSSL
 * would ask for a passphrase on the terminal. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

int
acme_b64url(const unsigned char *in, size_t n, char *out, size_t outlen)
{
	size_t need, i, o = 0;
	uint32_t v;

	if (n > B64_IN_MAX)
		return -1;
	need = n / 3 * 4 + (n % 3 != 0 ? n % 3 + 1 : 0);  /* (4 * n + 2) / 3 */
	if (out == NULL || outlen < need + 1)
		return -1;
	for (i = 0; i + 3 <= n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64url_alphabet[v >> 18 & 63];
		out[o++] = b64url_alphabet[v >> 12 & 63];
		out[o++] = b64url_alphabet[v >> 6 & 63];
		out[o++] = b64url_alphabet[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)in[i] << 16;
		out[o++] = b64url_alphabet[v >> 18 & 63];
		out[o++] = b64url_alphabet[v >> 12 & 63];
	} else if (n - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64url_alphabet[v >> 18 & 63];
		out[o++] = b64url_alphabet[v >> 12 & 63];
		out[o++] = b64url_alphabet[v >> 6 & 63];
	}
	out[o] = '\0';
	return (int)o;
}

/* base64url of in[0..n) in a malloc'd string, or NULL. */
static char *
b64url_dup(const unsigned char *in, size_t n)
{
	size_t len;
	char *s;

	if (n > B64_IN_MAX)
		return NULL;
	len = n / 3 * 4 + 4;  /* enough for (4 * n + 2) / 3 and the NUL */
	if ((s = malloc(len)) == NULL)
		return NULL;
	if (acme_b64url(in, n, s, len) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

void
acme_sha256(const void *s, size_t n, unsigned char out[32])
{
	/* SHA-256 from the default provider cannot fail short of memory
	 * exhaustion; then a digest of zeros is what callers see (a challenge
	 * answered with it fails at the CA, which says so). */
	if (EVP_Q_digest(NULL, "SHA256", NULL, s, n, out, NULL) != 1) {
		memset(out, 0, 32);
		ERR_clear_error();
	}
}

void
acme_wipe(void *p, size_t n)
{
	if (p != NULL)
		OPENSSL_cleanse(p, n);
}

/* One coordinate of the public point as 32 bytes, base64url. */
static int
key_coord(EVP_PKEY *pkey, const char *param, char out[ACME_COORD_B64])
{
	unsigned char bin[ACME_COORD];
	BIGNUM *bn = NULL;
	int rc = -1;

	if (EVP_PKEY_get_bn_param(pkey, param, &bn) != 1)
		goto out;
	if (BN_bn2binpad(bn, bin, sizeof(bin)) != ACME_COORD)
		goto out;
	if (acme_b64url(bin, sizeof(bin), out, ACME_COORD_B64) != ACME_COORD_B64 - 1)
		goto out;
	rc = 0;
out:
	BN_free(bn);
	return rc;
}

/* Wrap pkey (taken over, freed on failure) once it is shown to be a P-256
 * key pair, with its JWK made. */
static int
key_wrap(EVP_PKEY *pkey, struct acme_key **out, char *err, size_t errlen)
{
	struct acme_key *k = NULL;
	char group[64];
	char x[ACME_COORD_B64], y[ACME_COORD_B64];
	int n;

	if (!EVP_PKEY_is_a(pkey, "EC") ||
	    EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
	                                   NULL) != 1 ||
	    strcmp(group, SN_X9_62_prime256v1) != 0) {
		ERR_clear_error();
		set_err(err, errlen, "the key is not an EC P-256 key");
		goto fail;
	}
	if (key_coord(pkey, OSSL_PKEY_PARAM_EC_PUB_X, x) != 0 ||
	    key_coord(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, y) != 0) {
		set_err(err, errlen, "cannot read the public key");
		goto fail;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		set_err(err, errlen, "out of memory");
		goto fail;
	}
	/* RFC 7638 3.2: the required members in lexicographic order, no white
	 * space; the thumbprint hashes exactly these bytes. */
	n = snprintf(k->jwk, sizeof(k->jwk), "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
	             x, y);
	if (n < 0 || (size_t)n >= sizeof(k->jwk)) {
		set_err(err, errlen, "cannot make the JWK");
		goto fail;
	}
	k->jwklen = (size_t)n;
	k->pkey = pkey;
	*out = k;
	ERR_clear_error();
	return 0;
fail:
	free(k);
	EVP_PKEY_free(pkey);
	return -1;
}

int
acme_key_generate(struct acme_key **out)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	if (pkey == NULL) {
		ERR_clear_error();
		return -1;
	}
	return key_wrap(pkey, out, NULL, 0);
}

int
acme_key_from_pem(const char *pem, size_t len, struct acme_key **out, char *err, size_t errlen)
{
	EVP_PKEY *pkey;
	BIO *bio;

	if (pem == NULL || len > INT_MAX) {
		set_err(err, errlen, "no PEM data");
		return -1;
	}
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	pkey = PEM_read_bio_PrivateKey_ex(bio, NULL, no_passphrase, NULL, NULL, NULL);
	BIO_free(bio);
	if (pkey == NULL) {
		set_err(err, errlen, "not an unencrypted PEM private key");
		return -1;
	}
	return key_wrap(pkey, out, err, errlen);
}

/* A malloc'd copy of what a memory BIO holds, NUL-terminated. */
static int
bio_dup(BIO *bio, char **out, size_t *outlen)
{
	char *data, *s;
	long n = BIO_get_mem_data(bio, &data);

	if (n <= 0 || (s = malloc((size_t)n + 1)) == NULL)
		return -1;
	memcpy(s, data, (size_t)n);
	s[n] = '\0';
	*out = s;
	if (outlen != NULL)
		*outlen = (size_t)n;
	return 0;
}

/* pkey as PKCS#8 PEM in a malloc'd string. */
static int
pkey_to_pem(EVP_PKEY *pkey, char **pem, size_t *len)
{
	BIO *bio;
	int rc = -1;

	if ((bio = BIO_new(BIO_s_secmem())) == NULL)
		goto out;
	if (PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) != 1)
		goto out;
	rc = bio_dup(bio, pem, len);
out:
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

int
acme_key_to_pem(const struct acme_key *k, char **pem, size_t *len)
{
	if (k == NULL)
		return -1;
	return pkey_to_pem(k->pkey, pem, len);
}

void
acme_key_free(struct acme_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

int
acme_key_jwk(const struct acme_key *k, char *buf, size_t len)
{
	if (k == NULL || buf == NULL || len <= k->jwklen)
		return -1;
	memcpy(buf, k->jwk, k->jwklen + 1);
	return (int)k->jwklen;
}

int
acme_key_thumbprint(const struct acme_key *k, char out[44])
{
	unsigned char md[32];

	if (k == NULL)
		return -1;
	acme_sha256(k->jwk, k->jwklen, md);
	return acme_b64url(md, sizeof(md), out, 44) == 43 ? 0 : -1;
}

int
acme_key_authorization(const struct acme_key *account, const char *token, char *out, size_t len)
{
	char tp[44];
	int n;

	if (token == NULL || out == NULL || acme_key_thumbprint(account, tp) != 0)
		return -1;
	n = snprintf(out, len, "%s.%s", token, tp);
	if (n < 0 || (size_t)n >= len)
		return -1;
	return n;
}

/* The ES256 signature of in[0..n) as JWS wants it (RFC 7518 3.4): R and S
 * as 32-byte big-endian integers side by side, not OpenSSL's DER
 * ECDSA-Sig-Value. */
static int
es256_sign(EVP_PKEY *pkey, const char *in, size_t n, unsigned char sig[64])
{
	EVP_MD_CTX *md = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	const BIGNUM *r, *s;
	ECDSA_SIG *es = NULL;
	size_t derlen = 0;
	int rc = -1;

	if ((md = EVP_MD_CTX_new()) == NULL)
		goto out;
	if (EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, pkey, NULL) != 1)
		goto out;
	if (EVP_DigestSign(md, NULL, &derlen, (const unsigned char *)in, n) != 1)
		goto out;
	if ((der = malloc(derlen)) == NULL)
		goto out;
	if (EVP_DigestSign(md, der, &derlen, (const unsigned char *)in, n) != 1)
		goto out;
	p = der;
	if (derlen > LONG_MAX || (es = d2i_ECDSA_SIG(NULL, &p, (long)derlen)) == NULL)
		goto out;
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_bn2binpad(r, sig, 32) != 32 || BN_bn2binpad(s, sig + 32, 32) != 32)
		goto out;
	rc = 0;
out:
	ECDSA_SIG_free(es);
	free(der);
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return rc;
}

char *
acme_jws(const struct acme_key *k, const char *kid, const char *nonce, const char *url,
         const char *payload)
{
	json_t *hdr = NULL, *jwk = NULL, *jws = NULL;
	char *hdr_json = NULL, *hdr64 = NULL, *pl64 = NULL, *input = NULL, *out = NULL;
	char sig64[ACME_COORD_B64 * 2];
	unsigned char sig[64];
	size_t n;

	if (k == NULL || nonce == NULL || url == NULL)
		goto out;
	/* Built with jansson, not printf: nonce, url and kid come from the
	 * server and are escaped the way JSON wants. */
	if (kid == NULL) {
		if ((jwk = json_loadb(k->jwk, k->jwklen, 0, NULL)) == NULL)
			goto out;
		hdr = json_pack("{s:s, s:O, s:s, s:s}", "alg", "ES256", "jwk", jwk, "nonce", nonce,
		                "url", url);
	} else {
		hdr = json_pack("{s:s, s:s, s:s, s:s}", "alg", "ES256", "kid", kid, "nonce", nonce,
		                "url", url);
	}
	if (hdr == NULL || (hdr_json = json_dumps(hdr, JSON_COMPACT)) == NULL)
		goto out;
	if ((hdr64 = b64url_dup((const unsigned char *)hdr_json, strlen(hdr_json))) == NULL)
		goto out;
	/* POST-as-GET (RFC 8555 6.3): the payload is the empty string. */
	if (payload == NULL)
		payload = "";
	if ((pl64 = b64url_dup((const unsigned char *)payload, strlen(payload))) == NULL)
		goto out;
	n = strlen(hdr64) + 1 + strlen(pl64);
	if ((input = malloc(n + 1)) == NULL)
		goto out;
	snprintf(input, n + 1, "%s.%s", hdr64, pl64);
	if (es256_sign(k->pkey, input, n, sig) != 0)
		goto out;
	if (acme_b64url(sig, sizeof(sig), sig64, sizeof(sig64)) < 0)
		goto out;
	jws = json_pack("{s:s, s:s, s:s}", "protected", hdr64, "payload", pl64, "signature", sig64);
	if (jws == NULL)
		goto out;
	out = json_dumps(jws, JSON_COMPACT);
out:
	json_decref(jws);
	free(input);
	free(pl64);
	free(hdr64);
	free(hdr_json);
	json_decref(hdr);
	json_decref(jwk);
	return out;
}

/* A DNS name as an IA5String can hold it: printable ASCII, no space. The
 * configuration has already checked the names; this keeps junk out of a
 * DER structure. */
static bool
name_ok(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;

	if (name == NULL || *p == '\0')
		return false;
	for (; *p != '\0'; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return false;
	return true;
}

/* The subject CN=name. A name longer than a CN may be (64) leaves the
 * subject empty, as CAs do: the SAN is what counts (RFC 8555 7.4). */
static X509_NAME *
subject_cn(const char *name)
{
	X509_NAME *xn = X509_NAME_new();

	if (xn == NULL)
		return NULL;
	if (strlen(name) <= ACME_CN_MAX &&
	    X509_NAME_add_entry_by_txt(xn, "CN", MBSTRING_ASC, (const unsigned char *)name, -1, -1,
	                               0) != 1) {
		X509_NAME_free(xn);
		return NULL;
	}
	return xn;
}

/* The subjectAltName extension listing names as dNSNames, added to *exts. */
static int
san_add(STACK_OF(X509_EXTENSION) **exts, const char *const *names, size_t nnames)
{
	GENERAL_NAMES *gens;
	GENERAL_NAME *gn = NULL;
	ASN1_IA5STRING *ia5 = NULL;
	int rc = -1;
	size_t i;

	if ((gens = GENERAL_NAMES_new()) == NULL)
		return -1;
	for (i = 0; i < nnames; i++) {
		if ((gn = GENERAL_NAME_new()) == NULL || (ia5 = ASN1_IA5STRING_new()) == NULL)
			goto out;
		if (ASN1_STRING_set(ia5, names[i], -1) != 1)
			goto out;
		GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
		ia5 = NULL;
		if (sk_GENERAL_NAME_push(gens, gn) <= 0)
			goto out;
		gn = NULL;
	}
	if (X509V3_add1_i2d(exts, NID_subject_alt_name, gens, 0, X509V3_ADD_APPEND) != 1)
		goto out;
	rc = 0;
out:
	ASN1_IA5STRING_free(ia5);
	GENERAL_NAME_free(gn);
	GENERAL_NAMES_free(gens);
	return rc;
}

char *
acme_csr(const struct acme_key *key, const char *const *names, size_t nnames)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	X509_NAME *subject = NULL;
	X509_REQ *req = NULL;
	unsigned char *der = NULL;
	char *out = NULL;
	size_t i;
	int n;

	if (key == NULL || names == NULL || nnames == 0)
		goto out;
	for (i = 0; i < nnames; i++)
		if (!name_ok(names[i]))
			goto out;
	if ((req = X509_REQ_new_ex(NULL, NULL)) == NULL)
		goto out;
	if (X509_REQ_set_version(req, X509_REQ_VERSION_1) != 1)
		goto out;
	if ((subject = subject_cn(names[0])) == NULL || X509_REQ_set_subject_name(req, subject) != 1)
		goto out;
	/* The names go in an extensionRequest attribute (RFC 2986 5.4.2). */
	if (san_add(&exts, names, nnames) != 0 || X509_REQ_add_extensions(req, exts) != 1)
		goto out;
	if (X509_REQ_set_pubkey(req, key->pkey) != 1)
		goto out;
	if (X509_REQ_sign(req, key->pkey, EVP_sha256()) <= 0)
		goto out;
	if ((n = i2d_X509_REQ(req, &der)) <= 0)
		goto out;
	out = b64url_dup(der, (size_t)n);
out:
	OPENSSL_free(der);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_NAME_free(subject);
	X509_REQ_free(req);
	ERR_clear_error();
	return out;
}

/* A random positive 127-bit serial number (RFC 5280 4.1.2.2: at most 20
 * octets, positive, unique). */
static int
serial_random(X509 *x)
{
	unsigned char b[16];
	BIGNUM *bn = NULL;
	int rc = -1;

	if (RAND_bytes(b, sizeof(b)) != 1)
		goto out;
	b[0] &= 0x7f;
	b[0] |= 0x40;  /* never zero, always 16 octets */
	if ((bn = BN_bin2bn(b, sizeof(b), NULL)) == NULL)
		goto out;
	if (BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		goto out;
	rc = 0;
out:
	BN_free(bn);
	return rc;
}

/* The critical id-pe-acmeIdentifier extension: its extnValue holds the DER
 * of Authorization ::= OCTET STRING (SIZE (32)), i.e. 04 20 and the digest
 * (RFC 8737 3). */
static int
acme_id_add(STACK_OF(X509_EXTENSION) **exts, const unsigned char digest[32])
{
	unsigned char der[2 + 32];
	ASN1_OBJECT *oid = NULL;
	ASN1_OCTET_STRING *val = NULL;
	X509_EXTENSION *ext = NULL;
	int rc = -1;

	der[0] = V_ASN1_OCTET_STRING;
	der[1] = 32;
	memcpy(der + 2, digest, 32);
	if ((oid = OBJ_txt2obj(ACME_ID_OID, 1)) == NULL)
		goto out;
	if ((val = ASN1_OCTET_STRING_new()) == NULL ||
	    ASN1_OCTET_STRING_set(val, der, sizeof(der)) != 1)
		goto out;
	if ((ext = X509_EXTENSION_create_by_OBJ(NULL, oid, 1, val)) == NULL)
		goto out;
	if (X509v3_add_ext(exts, ext, -1) == NULL)
		goto out;
	rc = 0;
out:
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(val);
	ASN1_OBJECT_free(oid);
	return rc;
}

int
acme_alpn_cert(const char *name, const unsigned char digest[32], char **cert_pem, char **key_pem)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	X509_NAME *subject = NULL;
	EVP_PKEY *pkey = NULL;
	X509 *x = NULL;
	BIO *bio = NULL;
	char *cert = NULL, *key = NULL;
	int i, rc = -1;

	if (!name_ok(name) || digest == NULL || cert_pem == NULL || key_pem == NULL)
		goto out;
	if ((pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL)
		goto out;
	if ((x = X509_new_ex(NULL, NULL)) == NULL || X509_set_version(x, X509_VERSION_3) != 1)
		goto out;
	if (serial_random(x) != 0)
		goto out;
	/* A day of slack for the validator's clock; a week is more than any
	 * validation takes. */
	if (X509_gmtime_adj(X509_getm_notBefore(x), -86400) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 7 * 86400) == NULL)
		goto out;
	if ((subject = subject_cn(name)) == NULL || X509_set_subject_name(x, subject) != 1 ||
	    X509_set_issuer_name(x, subject) != 1)
		goto out;
	if (san_add(&exts, &name, 1) != 0 || acme_id_add(&exts, digest) != 0)
		goto out;
	for (i = 0; i < sk_X509_EXTENSION_num(exts); i++)
		if (X509_add_ext(x, sk_X509_EXTENSION_value(exts, i), -1) != 1)
			goto out;
	if (X509_set_pubkey(x, pkey) != 1 || X509_sign(x, pkey, EVP_sha256()) <= 0)
		goto out;
	if ((bio = BIO_new(BIO_s_mem())) == NULL || PEM_write_bio_X509(bio, x) != 1 ||
	    bio_dup(bio, &cert, NULL) != 0)
		goto out;
	if (pkey_to_pem(pkey, &key, NULL) != 0)
		goto out;
	*cert_pem = cert;
	*key_pem = key;
	cert = NULL;
	rc = 0;
out:
	free(cert);
	BIO_free(bio);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_NAME_free(subject);
	X509_free(x);
	EVP_PKEY_free(pkey);
	ERR_clear_error();
	return rc;
}

/* t as unix seconds. */
static int
asn1_time_unix(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;
	time_t s;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	if ((s = timegm(&tm)) == (time_t)-1)
		return -1;
	*out = (int64_t)s;
	return 0;
}

/* Whether the DNS name d[0..n) is one of names, case aside. */
static bool
name_in(const unsigned char *d, size_t n, const char *const *names, size_t nnames)
{
	size_t i;

	for (i = 0; i < nnames; i++)
		if (names[i] != NULL && strlen(names[i]) == n &&
		    strncasecmp((const char *)d, names[i], n) == 0)
			return true;
	return false;
}

/* Whether the dNSName SANs of x and names are the same set, case aside. */
static bool
names_equal(X509 *x, const char *const *names, size_t nnames)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	const GENERAL_NAME *gn;
	const unsigned char *d;
	bool ok = true, seen;
	size_t i;
	int j, n;

	/* Every SAN is a name... */
	for (j = 0; ok && j < sk_GENERAL_NAME_num(gens); j++) {
		gn = sk_GENERAL_NAME_value(gens, j);
		if (gn->type != GEN_DNS)
			continue;
		d = ASN1_STRING_get0_data(gn->d.dNSName);
		n = ASN1_STRING_length(gn->d.dNSName);
		/* strncasecmp stops at a NUL; an embedded one is no name. */
		if (n <= 0 || memchr(d, '\0', (size_t)n) != NULL ||
		    !name_in(d, (size_t)n, names, nnames))
			ok = false;
	}
	/* ...and every name is a SAN. */
	for (i = 0; ok && i < nnames; i++) {
		seen = false;
		for (j = 0; !seen && j < sk_GENERAL_NAME_num(gens); j++) {
			gn = sk_GENERAL_NAME_value(gens, j);
			if (gn->type != GEN_DNS)
				continue;
			d = ASN1_STRING_get0_data(gn->d.dNSName);
			n = ASN1_STRING_length(gn->d.dNSName);
			seen = n > 0 && name_in(d, (size_t)n, &names[i], 1);
		}
		ok = seen;
	}
	GENERAL_NAMES_free(gens);
	return ok;
}

int
acme_cert_info(const char *chain_pem, size_t len, const char *key_pem, size_t key_len,
               const char *const *names, size_t nnames, struct acme_cert_info *out, char *err,
               size_t errlen)
{
	struct acme_cert_info info;
	EVP_PKEY *pkey = NULL;
	X509 *x = NULL;
	BIO *bio = NULL;
	int rc = -1;

	if (chain_pem == NULL || len > INT_MAX || out == NULL || (names == NULL && nnames > 0)) {
		set_err(err, errlen, "no certificate");
		goto out;
	}
	if ((bio = BIO_new_mem_buf(chain_pem, (int)len)) == NULL) {
		set_err(err, errlen, "out of memory");
		goto out;
	}
	if ((x = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL)) == NULL) {
		set_err(err, errlen, "not a PEM certificate");
		goto out;
	}
	if (asn1_time_unix(X509_get0_notBefore(x), &info.not_before) != 0 ||
	    asn1_time_unix(X509_get0_notAfter(x), &info.not_after) != 0) {
		set_err(err, errlen, "unreadable validity dates");
		goto out;
	}
	info.names_match = names_equal(x, names, nnames);
	if (key_pem != NULL) {
		BIO_free(bio);
		bio = NULL;
		if (key_len > INT_MAX || (bio = BIO_new_mem_buf(key_pem, (int)key_len)) == NULL) {
			set_err(err, errlen, "no key");
			goto out;
		}
		pkey = PEM_read_bio_PrivateKey_ex(bio, NULL, no_passphrase, NULL, NULL, NULL);
		if (pkey == NULL) {
			set_err(err, errlen, "not an unencrypted PEM private key");
			goto out;
		}
		if (X509_check_private_key(x, pkey) != 1) {
			ERR_clear_error();
			set_err(err, errlen, "the key does not match the certificate");
			goto out;
		}
	}
	*out = info;
	rc = 0;
out:
	EVP_PKEY_free(pkey);
	X509_free(x);
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}
