/* Unit tests for src/acme_msg.c. Real documents first: the examples of RFC
 * 8555 and RFC 8737, documents pebble 2.4 sent to a small client (captured
 * byte for byte), and Let's Encrypt's shapes (extra members it adds, an
 * https termsOfService, validation records). Then one named case per
 * rejection rule, each with the reason the caller will log, and the limits at
 * their boundaries. Every document is parsed from a buffer that ends at a
 * PROT_NONE page (json_loadb gets no NUL), every failure must leave the struct
 * zeroed and a printable reason, and every proper prefix of a real document
 * must fail that way. Run under valgrind for leaks on the failure paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guard.h"
#include "tlserve/acme_msg.h"

enum kind { PROBLEM, DIRECTORY, ORDER, AUTHZ };

/* One struct of each kind: a test looks at the one it parsed. */
struct parsed {
	struct acme_problem p;
	struct acme_directory d;
	struct acme_order o;
	struct acme_authz a;
};

static bool
all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		if (b[i] != 0)
			return false;
	}
	return true;
}

static void
free_parsed(struct parsed *r)
{
	acme_problem_free(&r->p);
	acme_directory_free(&r->d);
	acme_order_free(&r->o);
	acme_authz_free(&r->a);
}

/* Parse doc[0..len) as kind from a guarded buffer. Every struct starts
 * zeroed except the one parsed, which starts as garbage (the parser must set
 * it whole). On failure: the struct is zeroed and err holds a one-line,
 * printable reason. */
static int
parse_n(enum kind k, const char *doc, size_t len, struct parsed *r, char *err, size_t errlen)
{
	struct guard g;
	const char *in;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	guard_init(&g, len);
	in = guard_put(&g, doc, len);
	memset(err, 0, errlen);
	switch (k) {
	case PROBLEM:
		memset(&r->p, 0x5a, sizeof(r->p));
		rc = acme_problem_parse(in, len, &r->p, err, errlen);
		if (rc != 0)
			assert_true(all_zero(&r->p, sizeof(r->p)));
		break;
	case DIRECTORY:
		memset(&r->d, 0x5a, sizeof(r->d));
		rc = acme_directory_parse(in, len, &r->d, err, errlen);
		if (rc != 0)
			assert_true(all_zero(&r->d, sizeof(r->d)));
		break;
	case ORDER:
		memset(&r->o, 0x5a, sizeof(r->o));
		rc = acme_order_parse(in, len, &r->o, err, errlen);
		if (rc != 0)
			assert_true(all_zero(&r->o, sizeof(r->o)));
		break;
	case AUTHZ:
		memset(&r->a, 0x5a, sizeof(r->a));
		rc = acme_authz_parse(in, len, &r->a, err, errlen);
		if (rc != 0)
			assert_true(all_zero(&r->a, sizeof(r->a)));
		break;
	}
	guard_free(&g);
	assert_true(rc == 0 || rc == -1);
	if (rc != 0 && errlen > 0) {
		assert_true(err[0] != '\0');
		for (const char *p = err; *p != '\0'; p++)
			assert_true(*p >= 0x20 && *p < 0x7f);
	}
	return rc;
}

static int
parse(enum kind k, const char *doc, struct parsed *r, char *err, size_t errlen)
{
	return parse_n(k, doc, strlen(doc), r, err, errlen);
}

/* Parse a document that must be accepted. */
static void
must_parse(enum kind k, const char *doc, struct parsed *r)
{
	char err[256];

	if (parse(k, doc, r, err, sizeof(err)) != 0)
		fail_msg("refused: %s", err);
}

/* The document with every ' turned into ", so that short JSON reads well here. */
static char *
unq(const char *s)
{
	char *t = strdup(s);

	assert_non_null(t);
	for (char *p = t; *p != '\0'; p++) {
		if (*p == '\'')
			*p = '"';
	}
	return t;
}

/* Every proper prefix of a document (less its trailing white space) is
 * incomplete JSON: refused, zeroed. */
static void
prefixes_refused(enum kind k, const char *doc)
{
	size_t n = strlen(doc);
	struct parsed r;
	char err[256];

	while (n > 0 && (doc[n - 1] == '\n' || doc[n - 1] == ' '))
		n--;
	for (size_t i = 0; i < n; i++)
		assert_int_equal(parse_n(k, doc, i, &r, err, sizeof(err)), -1);
}

/* ------------------------------------------------- real documents: RFCs */

/* RFC 8555 7.1.1 */
static const char rfc8555_directory[] =
	"{\n"
	"  \"newNonce\": \"https://example.com/acme/new-nonce\",\n"
	"  \"newAccount\": \"https://example.com/acme/new-account\",\n"
	"  \"newOrder\": \"https://example.com/acme/new-order\",\n"
	"  \"newAuthz\": \"https://example.com/acme/new-authz\",\n"
	"  \"revokeCert\": \"https://example.com/acme/revoke-cert\",\n"
	"  \"keyChange\": \"https://example.com/acme/key-change\",\n"
	"  \"meta\": {\n"
	"    \"termsOfService\": \"https://example.com/acme/terms/2017-5-30\",\n"
	"    \"website\": \"https://www.example.com/\",\n"
	"    \"caaIdentities\": [\"example.com\"],\n"
	"    \"externalAccountRequired\": false\n"
	"  }\n"
	"}\n";

/* RFC 8555 7.1.3 */
static const char rfc8555_order[] =
	"{\n"
	"  \"status\": \"valid\",\n"
	"  \"expires\": \"2016-01-20T14:09:07.99Z\",\n"
	"\n"
	"  \"identifiers\": [\n"
	"    { \"type\": \"dns\", \"value\": \"www.example.org\" },\n"
	"    { \"type\": \"dns\", \"value\": \"example.org\" }\n"
	"  ],\n"
	"\n"
	"  \"notBefore\": \"2016-01-01T00:00:00Z\",\n"
	"  \"notAfter\": \"2016-01-08T00:00:00Z\",\n"
	"\n"
	"  \"authorizations\": [\n"
	"    \"https://example.com/acme/authz/PAniVnsZcis\",\n"
	"    \"https://example.com/acme/authz/r4HqLzrSrpI\"\n"
	"  ],\n"
	"\n"
	"  \"finalize\": \"https://example.com/acme/order/TOlocE8rfgo/finalize\",\n"
	"\n"
	"  \"certificate\": \"https://example.com/acme/cert/mAt3xBGaobw\"\n"
	"}\n";

/* RFC 8555 7.1.4 */
static const char rfc8555_authz[] =
	"{\n"
	"  \"status\": \"valid\",\n"
	"  \"expires\": \"2015-03-01T14:09:07.99Z\",\n"
	"\n"
	"  \"identifier\": {\n"
	"    \"type\": \"dns\",\n"
	"    \"value\": \"www.example.org\"\n"
	"  },\n"
	"\n"
	"  \"challenges\": [\n"
	"    {\n"
	"      \"url\": \"https://example.com/acme/chall/prV_B7yEyA4\",\n"
	"      \"type\": \"http-01\",\n"
	"      \"status\": \"valid\",\n"
	"      \"token\": \"DGyRejmCefe7v4NfDGDKfA\",\n"
	"      \"validated\": \"2014-12-01T12:05:58.16Z\"\n"
	"    }\n"
	"  ],\n"
	"\n"
	"  \"wildcard\": false\n"
	"}\n";

/* RFC 8555 7.5: the pending authorization as printed. Its challenges have
 * no "status", which section 8 makes required: refused (see the test). */
static const char rfc8555_authz_7_5[] =
	"{\n"
	"  \"status\": \"pending\",\n"
	"  \"expires\": \"2016-01-02T14:09:30Z\",\n"
	"\n"
	"  \"identifier\": {\n"
	"    \"type\": \"dns\",\n"
	"    \"value\": \"www.example.org\"\n"
	"  },\n"
	"\n"
	"  \"challenges\": [\n"
	"    {\n"
	"      \"type\": \"http-01\",\n"
	"      \"url\": \"https://example.com/acme/chall/prV_B7yEyA4\",\n"
	"      \"token\": \"DGyRejmCefe7v4NfDGDKfA\"\n"
	"    },\n"
	"    {\n"
	"      \"type\": \"dns-01\",\n"
	"      \"url\": \"https://example.com/acme/chall/Rg5dV14Gh1Q\",\n"
	"      \"token\": \"DGyRejmCefe7v4NfDGDKfA\"\n"
	"    }\n"
	"  ],\n"
	"\n"
	"  \"wildcard\": false\n"
	"}\n";

/* An authorization around the challenges of RFC 8555 8.3 and RFC 8737 3. */
static const char rfc_challenges_authz[] =
	"{\n"
	"  \"status\": \"pending\",\n"
	"  \"identifier\": {\"type\": \"dns\", \"value\": \"WWW.Example.ORG\"},\n"
	"  \"challenges\": [\n"
	"    {\n"
	"      \"type\": \"http-01\",\n"
	"      \"url\": \"https://example.com/acme/chall/prV_B7yEyA4\",\n"
	"      \"status\": \"pending\",\n"
	"      \"token\": \"LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0\"\n"
	"    },\n"
	"    {\n"
	"      \"type\": \"tls-alpn-01\",\n"
	"      \"url\": \"https://example.com/acme/authz/1234/1\",\n"
	"      \"status\": \"pending\",\n"
	"      \"token\": \"evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA\"\n"
	"    }\n"
	"  ]\n"
	"}\n";

/* RFC 8555 6.7.1 */
static const char rfc8555_problem_subproblems[] =
	"{\n"
	"    \"type\": \"urn:ietf:params:acme:error:malformed\",\n"
	"    \"detail\": \"Some of the identifiers requested were rejected\",\n"
	"    \"subproblems\": [\n"
	"        {\n"
	"            \"type\": \"urn:ietf:params:acme:error:malformed\",\n"
	"            \"detail\": \"Invalid underscore in DNS name \\\"_example.org\\\"\",\n"
	"            \"identifier\": {\n"
	"                \"type\": \"dns\",\n"
	"                \"value\": \"_example.org\"\n"
	"            }\n"
	"        },\n"
	"        {\n"
	"            \"type\": \"urn:ietf:params:acme:error:rejectedIdentifier\",\n"
	"            \"detail\": \"This CA will not issue for \\\"example.net\\\"\",\n"
	"            \"identifier\": {\n"
	"                \"type\": \"dns\",\n"
	"                \"value\": \"example.net\"\n"
	"            }\n"
	"        }\n"
	"    ]\n"
	"}\n";

/* RFC 8555 7.3.3 */
static const char rfc8555_problem_user_action[] =
	"{\n"
	"  \"type\": \"urn:ietf:params:acme:error:userActionRequired\",\n"
	"  \"detail\": \"Terms of service have changed\",\n"
	"  \"instance\": \"https://example.com/acme/agreement/?token=W8Ih3PswD-8\"\n"
	"}\n";

/* ------------------------------------- real documents: pebble 2.4.0 */

/* Sent by Debian's pebble 2.4.0 (with pebble-challtestsrv as its DNS) to a
 * small client: the directory, three problems (a bad nonce, an identifier
 * with '_', finalizing a valid order), orders pending / invalid (tls-alpn-01
 * answered by nobody) / valid, authorizations pending / invalid / wildcard /
 * valid. Byte for byte, pebble's indentation included. */
static const char pebble_directory[] =
	"{\n"
	"   \"keyChange\": \"https://127.0.0.1:24100/rollover-account-key\",\n"
	"   \"meta\": {\n"
	"      \"externalAccountRequired\": false,\n"
	"      \"termsOfService\": \"data:text/plain,Do%20what%20thou%20wilt\"\n"
	"   },\n"
	"   \"newAccount\": \"https://127.0.0.1:24100/sign-me-up\",\n"
	"   \"newNonce\": \"https://127.0.0.1:24100/nonce-plz\",\n"
	"   \"newOrder\": \"https://127.0.0.1:24100/order-plz\",\n"
	"   \"revokeCert\": \"https://127.0.0.1:24100/revoke-cert\"\n"
	"}";

static const char pebble_bad_nonce[] =
	"{\n"
	"   \"type\": \"urn:ietf:params:acme:error:badNonce\",\n"
	"   \"detail\": \"JWS has an invalid anti-replay nonce: AAAAbad\",\n"
	"   \"status\": 400\n"
	"}";

static const char pebble_malformed[] =
	"{\n"
	"   \"type\": \"urn:ietf:params:acme:error:malformed\",\n"
	"   \"detail\": \"Order included DNS identifier with a value containing an illegal character: '_'\",\n"
	"   \"status\": 400\n"
	"}";

static const char pebble_order_not_ready[] =
	"{\n"
	"   \"type\": \"urn:ietf:params:acme:error:orderNotReady\",\n"
	"   \"detail\": \"Order's status (\\\"valid\\\") was not ready\",\n"
	"   \"status\": 403\n"
	"}";

static const char pebble_order_pending[] =
	"{\n"
	"   \"status\": \"pending\",\n"
	"   \"expires\": \"2026-12-06T01:11:53Z\",\n"
	"   \"identifiers\": [\n"
	"      {\n"
	"         \"type\": \"dns\",\n"
	"         \"value\": \"www.ok.example.test\"\n"
	"      },\n"
	"      {\n"
	"         \"type\": \"dns\",\n"
	"         \"value\": \"ok.example.test\"\n"
	"      }\n"
	"   ],\n"
	"   \"finalize\": \"https://127.0.0.1:24100/finalize-order/2dGQn30K1RM9ZUi0uqVMGAsVGoUQIJpOG6Kx1bvsLag\",\n"
	"   \"authorizations\": [\n"
	"      \"https://127.0.0.1:24100/authZ/MLvqkbD19JNMlsg3U0t_mMjRMPpegu7ODsREx-7H86I\",\n"
	"      \"https://127.0.0.1:24100/authZ/BgXEx2AZCqnfjEeo4GgkrJmjfxuVxLTi57nNZfUWbGk\"\n"
	"   ]\n"
	"}";

static const char pebble_order_invalid[] =
	"{\n"
	"   \"status\": \"invalid\",\n"
	"   \"error\": {\n"
	"      \"type\": \"urn:ietf:params:acme:error:unauthorized\",\n"
	"      \"detail\": \"Failed to connect to 127.0.0.1:24103 for the tls-alpn-01 challenge\",\n"
	"      \"status\": 403\n"
	"   },\n"
	"   \"expires\": \"2026-12-06T01:11:52Z\",\n"
	"   \"identifiers\": [\n"
	"      {\n"
	"         \"type\": \"dns\",\n"
	"         \"value\": \"fail.example.test\"\n"
	"      }\n"
	"   ],\n"
	"   \"finalize\": \"https://127.0.0.1:24100/finalize-order/GnYcblX0oiDfDaAVWmM-6fLnAlqSAxqBxsMDci-L1Vo\",\n"
	"   \"authorizations\": [\n"
	"      \"https://127.0.0.1:24100/authZ/A69hNlqxRWhY4IbR_EA8kIfSiN4xv_UzcA7gQA2SwJs\"\n"
	"   ]\n"
	"}";

static const char pebble_order_valid[] =
	"{\n"
	"   \"status\": \"valid\",\n"
	"   \"expires\": \"2026-12-06T01:11:53Z\",\n"
	"   \"identifiers\": [\n"
	"      {\n"
	"         \"type\": \"dns\",\n"
	"         \"value\": \"ok.example.test\"\n"
	"      },\n"
	"      {\n"
	"         \"type\": \"dns\",\n"
	"         \"value\": \"www.ok.example.test\"\n"
	"      }\n"
	"   ],\n"
	"   \"finalize\": \"https://127.0.0.1:24100/finalize-order/2dGQn30K1RM9ZUi0uqVMGAsVGoUQIJpOG6Kx1bvsLag\",\n"
	"   \"authorizations\": [\n"
	"      \"https://127.0.0.1:24100/authZ/BgXEx2AZCqnfjEeo4GgkrJmjfxuVxLTi57nNZfUWbGk\",\n"
	"      \"https://127.0.0.1:24100/authZ/MLvqkbD19JNMlsg3U0t_mMjRMPpegu7ODsREx-7H86I\"\n"
	"   ],\n"
	"   \"certificate\": \"https://127.0.0.1:24100/certZ/0505b8e0cc86909d\"\n"
	"}";

static const char pebble_authz_pending[] =
	"{\n"
	"   \"status\": \"pending\",\n"
	"   \"identifier\": {\n"
	"      \"type\": \"dns\",\n"
	"      \"value\": \"fail.example.test\"\n"
	"   },\n"
	"   \"challenges\": [\n"
	"      {\n"
	"         \"type\": \"dns-01\",\n"
	"         \"url\": \"https://127.0.0.1:24100/chalZ/WW9ZW4MtpEXSeqecic4DlLNmNYl8edV0ImDE2uGzWu0\",\n"
	"         \"token\": \"vH_q1MXGOW1JxZH4vMMLvptfi641vV894zLIYdbzibI\",\n"
	"         \"status\": \"pending\"\n"
	"      },\n"
	"      {\n"
	"         \"type\": \"tls-alpn-01\",\n"
	"         \"url\": \"https://127.0.0.1:24100/chalZ/eboXKLo2mqkEOgxWrhyGeHaJxJuV8BUB71gLjUIEqxo\",\n"
	"         \"token\": \"U79UxTIjiYBg_4zjtXtbQTiC8X9sNxzN-JNoTp_DVvI\",\n"
	"         \"status\": \"pending\"\n"
	"      },\n"
	"      {\n"
	"         \"type\": \"http-01\",\n"
	"         \"url\": \"https://127.0.0.1:24100/chalZ/74IhPx3D2eLRPa1uZFlz2lvSvBOUSdMT-EAH0jdoRqk\",\n"
	"         \"token\": \"x0CrK0oAokyUNqi2eY-Ph_0wKoHG7nbW1SC9bvuhaqU\",\n"
	"         \"status\": \"pending\"\n"
	"      }\n"
	"   ],\n"
	"   \"expires\": \"2026-12-05T02:11:52Z\"\n"
	"}";

static const char pebble_authz_invalid[] =
	"{\n"
	"   \"status\": \"invalid\",\n"
	"   \"identifier\": {\n"
	"      \"type\": \"dns\",\n"
	"      \"value\": \"fail.example.test\"\n"
	"   },\n"
	"   \"challenges\": [\n"
	"      {\n"
	"         \"type\": \"tls-alpn-01\",\n"
	"         \"url\": \"https://127.0.0.1:24100/chalZ/eboXKLo2mqkEOgxWrhyGeHaJxJuV8BUB71gLjUIEqxo\",\n"
	"         \"token\": \"U79UxTIjiYBg_4zjtXtbQTiC8X9sNxzN-JNoTp_DVvI\",\n"
	"         \"status\": \"invalid\",\n"
	"         \"validated\": \"2026-12-05T01:11:52Z\",\n"
	"         \"error\": {\n"
	"            \"type\": \"urn:ietf:params:acme:error:unauthorized\",\n"
	"            \"detail\": \"Failed to connect to 127.0.0.1:24103 for the tls-alpn-01 challenge\",\n"
	"            \"status\": 403\n"
	"         }\n"
	"      }\n"
	"   ],\n"
	"   \"expires\": \"2026-12-05T02:11:52Z\"\n"
	"}";

static const char pebble_authz_wildcard[] =
	"{\n"
	"   \"status\": \"pending\",\n"
	"   \"identifier\": {\n"
	"      \"type\": \"dns\",\n"
	"      \"value\": \"wild.example.test\"\n"
	"   },\n"
	"   \"challenges\": [\n"
	"      {\n"
	"         \"type\": \"dns-01\",\n"
	"         \"url\": \"https://127.0.0.1:24100/chalZ/htxw3hte2Tu89UpoRis40k9T2aaURRfsLPS--ZvSr9A\",\n"
	"         \"token\": \"AFs-CurU6Si_q9ZVYzJiSNo9w3GPAscaDcn0jnIYIdw\",\n"
	"         \"status\": \"pending\"\n"
	"      }\n"
	"   ],\n"
	"   \"expires\": \"2026-12-05T02:11:53Z\",\n"
	"   \"wildcard\": true\n"
	"}";

static const char pebble_authz_valid[] =
	"{\n"
	"   \"status\": \"valid\",\n"
	"   \"identifier\": {\n"
	"      \"type\": \"dns\",\n"
	"      \"value\": \"ok.example.test\"\n"
	"   },\n"
	"   \"challenges\": [\n"
	"      {\n"
	"         \"type\": \"http-01\",\n"
	"         \"url\": \"https://127.0.0.1:24100/chalZ/8phOVqeAnR3bFu61u9xsCRupZvA1oVb59Z0rJ75gb34\",\n"
	"         \"token\": \"v0m0xDWVDtRalYrK30ELR1L46rOKyjCd13tPkZXTpRk\",\n"
	"         \"status\": \"valid\",\n"
	"         \"validated\": \"2026-12-05T01:11:53Z\"\n"
	"      }\n"
	"   ],\n"
	"   \"expires\": \"2026-12-05T02:11:53Z\"\n"
	"}";

/* ------------------------------- Let's Encrypt's shapes (boulder, 2025) */

/* The directory: a random member, ARI, profiles, an https termsOfService. */
static const char le_directory[] =
	"{\n"
	"  \"Ve3Sy3eZpGE\": \"https://community.letsencrypt.org/t/adding-random-entries-to-the-directory/33417\",\n"
	"  \"keyChange\": \"https://acme-staging-v02.api.letsencrypt.org/acme/key-change\",\n"
	"  \"meta\": {\n"
	"    \"caaIdentities\": [\n"
	"      \"letsencrypt.org\"\n"
	"    ],\n"
	"    \"profiles\": {\n"
	"      \"classic\": \"https://letsencrypt.org/docs/profiles#classic\",\n"
	"      \"shortlived\": \"https://letsencrypt.org/docs/profiles#shortlived\",\n"
	"      \"tlsserver\": \"https://letsencrypt.org/docs/profiles#tlsserver\"\n"
	"    },\n"
	"    \"termsOfService\": \"https://letsencrypt.org/documents/LE-SA-v1.5-February-24-2025.pdf\",\n"
	"    \"website\": \"https://letsencrypt.org/docs/staging-environment/\"\n"
	"  },\n"
	"  \"newAccount\": \"https://acme-staging-v02.api.letsencrypt.org/acme/new-acct\",\n"
	"  \"newNonce\": \"https://acme-staging-v02.api.letsencrypt.org/acme/new-nonce\",\n"
	"  \"newOrder\": \"https://acme-staging-v02.api.letsencrypt.org/acme/new-order\",\n"
	"  \"renewalInfo\": \"https://acme-staging-v02.api.letsencrypt.org/acme/renewal-info\",\n"
	"  \"revokeCert\": \"https://acme-staging-v02.api.letsencrypt.org/acme/revoke-cert\"\n"
	"}";

static const char le_order_pending[] =
	"{\n"
	"  \"status\": \"pending\",\n"
	"  \"expires\": \"2025-06-12T10:21:33Z\",\n"
	"  \"identifiers\": [\n"
	"    {\n"
	"      \"type\": \"dns\",\n"
	"      \"value\": \"example.com\"\n"
	"    }\n"
	"  ],\n"
	"  \"profile\": \"classic\",\n"
	"  \"authorizations\": [\n"
	"    \"https://acme-staging-v02.api.letsencrypt.org/acme/authz/12345678/987654321\"\n"
	"  ],\n"
	"  \"finalize\": \"https://acme-staging-v02.api.letsencrypt.org/acme/finalize/12345678/11223344\"\n"
	"}";

static const char le_authz_valid[] =
	"{\n"
	"  \"identifier\": {\n"
	"    \"type\": \"dns\",\n"
	"    \"value\": \"example.com\"\n"
	"  },\n"
	"  \"status\": \"valid\",\n"
	"  \"expires\": \"2025-07-05T10:21:40Z\",\n"
	"  \"challenges\": [\n"
	"    {\n"
	"      \"type\": \"tls-alpn-01\",\n"
	"      \"url\": \"https://acme-staging-v02.api.letsencrypt.org/acme/chall/12345678/987654321/aBcDeF\",\n"
	"      \"status\": \"valid\",\n"
	"      \"validated\": \"2025-06-05T10:21:38Z\",\n"
	"      \"token\": \"Yw8aWkBKQ1lS2jG3X5dF0mxP-tqaEqu7xK2Jc9ZvHJg\",\n"
	"      \"validationRecord\": [\n"
	"        {\n"
	"          \"hostname\": \"example.com\",\n"
	"          \"port\": \"443\",\n"
	"          \"addressesResolved\": [\"93.184.215.14\", \"2606:2800:21f:cb07:6820:80da:af6b:8b2c\"],\n"
	"          \"addressUsed\": \"2606:2800:21f:cb07:6820:80da:af6b:8b2c\"\n"
	"        }\n"
	"      ]\n"
	"    }\n"
	"  ]\n"
	"}";

static const char le_rate_limited[] =
	"{\n"
	"  \"type\": \"urn:ietf:params:acme:error:rateLimited\",\n"
	"  \"detail\": \"too many certificates (5) already issued for this exact set of identifiers "
	"in the last 168h0m0s, retry after 2025-06-06 10:21:33 UTC: see "
	"https://letsencrypt.org/docs/rate-limits/#new-certificates-per-exact-set-of-identifiers\",\n"
	"  \"status\": 429\n"
	"}";

/* -------------------------------------------------------- accepted ones */

static void
rfc8555_directory_fields(void **state)
{
	struct parsed r;

	(void)state;
	must_parse(DIRECTORY, rfc8555_directory, &r);
	assert_string_equal(r.d.new_nonce, "https://example.com/acme/new-nonce");
	assert_string_equal(r.d.new_account, "https://example.com/acme/new-account");
	assert_string_equal(r.d.new_order, "https://example.com/acme/new-order");
	assert_string_equal(r.d.terms_of_service, "https://example.com/acme/terms/2017-5-30");
	assert_false(r.d.eab_required);
	free_parsed(&r);
	prefixes_refused(DIRECTORY, rfc8555_directory);
}

static void
rfc8555_order_fields(void **state)
{
	struct parsed r;

	(void)state;
	must_parse(ORDER, rfc8555_order, &r);
	assert_int_equal(r.o.status, ACME_STATUS_VALID);
	assert_int_equal(r.o.nauthorizations, 2);
	assert_string_equal(r.o.authorizations[0], "https://example.com/acme/authz/PAniVnsZcis");
	assert_string_equal(r.o.authorizations[1], "https://example.com/acme/authz/r4HqLzrSrpI");
	assert_string_equal(r.o.finalize, "https://example.com/acme/order/TOlocE8rfgo/finalize");
	assert_string_equal(r.o.certificate, "https://example.com/acme/cert/mAt3xBGaobw");
	assert_true(all_zero(&r.o.error, sizeof(r.o.error)));
	free_parsed(&r);
	prefixes_refused(ORDER, rfc8555_order);
}

static void
rfc8555_authz_fields(void **state)
{
	struct parsed r;

	(void)state;
	must_parse(AUTHZ, rfc8555_authz, &r);
	assert_int_equal(r.a.status, ACME_STATUS_VALID);
	assert_string_equal(r.a.identifier, "www.example.org");
	assert_false(r.a.wildcard);
	assert_int_equal(r.a.nchallenges, 1);
	assert_string_equal(r.a.challenges[0].type, "http-01");
	assert_string_equal(r.a.challenges[0].url, "https://example.com/acme/chall/prV_B7yEyA4");
	assert_string_equal(r.a.challenges[0].token, "DGyRejmCefe7v4NfDGDKfA");
	assert_int_equal(r.a.challenges[0].status, ACME_STATUS_VALID);
	assert_ptr_equal(acme_authz_challenge(&r.a, "http-01"), &r.a.challenges[0]);
	assert_null(acme_authz_challenge(&r.a, "tls-alpn-01"));
	free_parsed(&r);
	prefixes_refused(AUTHZ, rfc8555_authz);
}

/* Section 8 says a challenge's status is required, and so does acme_msg.h;
 * the example in 7.5 leaves it out. Real CAs (boulder, pebble) send it. */
static void
rfc8555_authz_7_5_without_status(void **state)
{
	struct parsed r;
	char err[256];

	(void)state;
	assert_int_equal(parse(AUTHZ, rfc8555_authz_7_5, &r, err, sizeof(err)), -1);
	assert_string_equal(err, "authz: challenges[0]: status is missing");
}

static void
rfc_http01_and_tls_alpn01(void **state)
{
	const struct acme_challenge *h, *t;
	struct parsed r;

	(void)state;
	must_parse(AUTHZ, rfc_challenges_authz, &r);
	assert_string_equal(r.a.identifier, "www.example.org");  /* lower-cased */
	assert_int_equal(r.a.status, ACME_STATUS_PENDING);
	h = acme_authz_challenge(&r.a, "http-01");
	t = acme_authz_challenge(&r.a, "tls-alpn-01");
	assert_non_null(h);
	assert_non_null(t);
	assert_string_equal(h->token, "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0");
	assert_string_equal(t->token, "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA");
	assert_string_equal(t->url, "https://example.com/acme/authz/1234/1");
	assert_int_equal(t->status, ACME_STATUS_PENDING);
	assert_null(acme_authz_challenge(&r.a, "dns-01"));
	assert_null(acme_authz_challenge(&r.a, "http-0"));
	assert_null(acme_authz_challenge(&r.a, NULL));
	assert_null(acme_authz_challenge(NULL, "http-01"));
	free_parsed(&r);
}

static void
rfc8555_problems(void **state)
{
	struct parsed r;

	(void)state;
	must_parse(PROBLEM, rfc8555_problem_subproblems, &r);
	assert_string_equal(r.p.type, "urn:ietf:params:acme:error:malformed");
	assert_string_equal(r.p.detail, "Some of the identifiers requested were rejected");
	assert_int_equal(r.p.status, 0);
	free_parsed(&r);
	must_parse(PROBLEM, rfc8555_problem_user_action, &r);
	assert_string_equal(r.p.type, "urn:ietf:params:acme:error:userActionRequired");
	assert_string_equal(r.p.detail, "Terms of service have changed");
	assert_int_equal(r.p.status, 0);
	free_parsed(&r);
	prefixes_refused(PROBLEM, rfc8555_problem_subproblems);
}

/* pebble publishes a data: URL as its terms: dropped, not an error. */
static void
pebble_directory_fields(void **state)
{
	struct parsed r;

	(void)state;
	must_parse(DIRECTORY, pebble_directory, &r);
	assert_string_equal(r.d.new_nonce, "https://127.0.0.1:24100/nonce-plz");
	assert_string_equal(r.d.new_account, "https://127.0.0.1:24100/sign-me-up");
	assert_string_equal(r.d.new_order, "https://127.0.0.1:24100/order-plz");
	assert_null(r.d.terms_of_service);
	assert_false(r.d.eab_required);
	free_parsed(&r);
	prefixes_refused(DIRECTORY, pebble_directory);
}

static void
pebble_problems(void **state)
{
	struct parsed r;

	(void)state;
	must_parse(PROBLEM, pebble_bad_nonce, &r);
	assert_string_equal(r.p.type, "urn:ietf:params:acme:error:badNonce");
	assert_string_equal(r.p.detail, "JWS has an invalid anti-replay nonce: AAAAbad");
	assert_int_equal(r.p.status, 400);
	free_parsed(&r);
	must_parse(PROBLEM, pebble_malformed, &r);
	assert_string_equal(r.p.type, "urn:ietf:params:acme:error:malformed");
	assert_string_equal(r.p.detail, "Order included DNS identifier with a value containing an "
	                                "illegal character: '_'");
	assert_int_equal(r.p.status, 400);
	free_parsed(&r);
	must_parse(PROBLEM, pebble_order_not_ready, &r);
	assert_string_equal(r.p.type, "urn:ietf:params:acme:error:orderNotReady");
	assert_string_equal(r.p.detail, "Order's status (\"valid\") was not ready");
	assert_int_equal(r.p.status, 403);
	free_parsed(&r);
	prefixes_refused(PROBLEM, pebble_bad_nonce);
}

static void
pebble_orders(void **state)
{
	struct parsed r;

	(void)state;
	must_parse(ORDER, pebble_order_pending, &r);
	assert_int_equal(r.o.status, ACME_STATUS_PENDING);
	assert_int_equal(r.o.nauthorizations, 2);
	assert_string_equal(r.o.authorizations[1],
	                    "https://127.0.0.1:24100/authZ/BgXEx2AZCqnfjEeo4GgkrJmjfxuVxLTi57nNZfUWbGk");
	assert_string_equal(r.o.finalize, "https://127.0.0.1:24100/finalize-order/"
	                                  "2dGQn30K1RM9ZUi0uqVMGAsVGoUQIJpOG6Kx1bvsLag");
	assert_null(r.o.certificate);
	free_parsed(&r);

	must_parse(ORDER, pebble_order_invalid, &r);
	assert_int_equal(r.o.status, ACME_STATUS_INVALID);
	assert_int_equal(r.o.nauthorizations, 1);
	assert_string_equal(r.o.error.type, "urn:ietf:params:acme:error:unauthorized");
	assert_string_equal(r.o.error.detail,
	                    "Failed to connect to 127.0.0.1:24103 for the tls-alpn-01 challenge");
	assert_int_equal(r.o.error.status, 403);
	free_parsed(&r);

	must_parse(ORDER, pebble_order_valid, &r);
	assert_int_equal(r.o.status, ACME_STATUS_VALID);
	assert_string_equal(r.o.certificate, "https://127.0.0.1:24100/certZ/0505b8e0cc86909d");
	free_parsed(&r);
	prefixes_refused(ORDER, pebble_order_invalid);
}

static void
pebble_authz_three_challenges(void **state)
{
	const struct acme_challenge *c;
	struct parsed r;

	(void)state;
	must_parse(AUTHZ, pebble_authz_pending, &r);
	assert_int_equal(r.a.status, ACME_STATUS_PENDING);
	assert_string_equal(r.a.identifier, "fail.example.test");
	assert_false(r.a.wildcard);
	assert_int_equal(r.a.nchallenges, 3);
	assert_string_equal(r.a.challenges[0].type, "dns-01");
	c = acme_authz_challenge(&r.a, "tls-alpn-01");
	assert_ptr_equal(c, &r.a.challenges[1]);
	assert_string_equal(c->token, "U79UxTIjiYBg_4zjtXtbQTiC8X9sNxzN-JNoTp_DVvI");
	assert_string_equal(c->url, "https://127.0.0.1:24100/chalZ/"
	                            "eboXKLo2mqkEOgxWrhyGeHaJxJuV8BUB71gLjUIEqxo");
	c = acme_authz_challenge(&r.a, "http-01");
	assert_ptr_equal(c, &r.a.challenges[2]);
	assert_string_equal(c->token, "x0CrK0oAokyUNqi2eY-Ph_0wKoHG7nbW1SC9bvuhaqU");
	assert_int_equal(c->status, ACME_STATUS_PENDING);
	assert_true(all_zero(&c->error, sizeof(c->error)));
	free_parsed(&r);
	prefixes_refused(AUTHZ, pebble_authz_pending);
}

static void
pebble_authz_failed_challenge(void **state)
{
	const struct acme_challenge *c;
	struct parsed r;

	(void)state;
	must_parse(AUTHZ, pebble_authz_invalid, &r);
	assert_int_equal(r.a.status, ACME_STATUS_INVALID);
	assert_int_equal(r.a.nchallenges, 1);
	c = acme_authz_challenge(&r.a, "tls-alpn-01");
	assert_non_null(c);
	assert_int_equal(c->status, ACME_STATUS_INVALID);
	assert_string_equal(c->error.type, "urn:ietf:params:acme:error:unauthorized");
	assert_string_equal(c->error.detail,
	                    "Failed to connect to 127.0.0.1:24103 for the tls-alpn-01 challenge");
	assert_int_equal(c->error.status, 403);
	free_parsed(&r);
	prefixes_refused(AUTHZ, pebble_authz_invalid);
}

/* A wildcard authorization names the base domain (RFC 8555 7.1.4) and pebble
 * offers only dns-01 for it: nothing tlserve can answer. */
static void
pebble_authz_wildcard_dns_only(void **state)
{
	struct parsed r;

	(void)state;
	must_parse(AUTHZ, pebble_authz_wildcard, &r);
	assert_true(r.a.wildcard);
	assert_string_equal(r.a.identifier, "wild.example.test");
	assert_int_equal(r.a.nchallenges, 1);
	assert_string_equal(r.a.challenges[0].token, "AFs-CurU6Si_q9ZVYzJiSNo9w3GPAscaDcn0jnIYIdw");
	assert_null(acme_authz_challenge(&r.a, "http-01"));
	assert_null(acme_authz_challenge(&r.a, "tls-alpn-01"));
	free_parsed(&r);

	must_parse(AUTHZ, pebble_authz_valid, &r);
	assert_int_equal(r.a.status, ACME_STATUS_VALID);
	assert_string_equal(r.a.identifier, "ok.example.test");
	assert_int_equal(r.a.challenges[0].status, ACME_STATUS_VALID);
	free_parsed(&r);
}

static void
letsencrypt_shapes(void **state)
{
	struct parsed r;

	(void)state;
	must_parse(DIRECTORY, le_directory, &r);
	assert_string_equal(r.d.new_account,
	                    "https://acme-staging-v02.api.letsencrypt.org/acme/new-acct");
	assert_string_equal(r.d.terms_of_service,
	                    "https://letsencrypt.org/documents/LE-SA-v1.5-February-24-2025.pdf");
	assert_false(r.d.eab_required);
	free_parsed(&r);

	must_parse(ORDER, le_order_pending, &r);
	assert_int_equal(r.o.status, ACME_STATUS_PENDING);
	assert_int_equal(r.o.nauthorizations, 1);
	assert_string_equal(r.o.finalize, "https://acme-staging-v02.api.letsencrypt.org/acme/"
	                                  "finalize/12345678/11223344");
	free_parsed(&r);

	must_parse(AUTHZ, le_authz_valid, &r);
	assert_int_equal(r.a.status, ACME_STATUS_VALID);
	assert_string_equal(r.a.challenges[0].token, "Yw8aWkBKQ1lS2jG3X5dF0mxP-tqaEqu7xK2Jc9ZvHJg");
	free_parsed(&r);

	must_parse(PROBLEM, le_rate_limited, &r);
	assert_string_equal(r.p.type, "urn:ietf:params:acme:error:rateLimited");
	assert_int_equal(r.p.status, 429);
	assert_non_null(strstr(r.p.detail, "retry after 2025-06-06 10:21:33 UTC"));
	free_parsed(&r);
}

/* ------------------------------------------------ small accepted cases */

#define U "'https://ca.test/a'"
#define CH(type, tok) "{'type':'" type "','url':" U ",'status':'pending','token':'" tok "'}"
#define ORD(x) "{'status':'pending','authorizations':[" U "],'finalize':" U x "}"
#define AZ(id, x) "{'status':'pending','identifier':{'type':'dns','value':'" id "'}," \
	"'challenges':[" CH("http-01", "tok") "]" x "}"

struct okcase {
	const char *name;
	enum kind kind;
	const char *doc;  /* ' stands for " */
};

/* Documents that must be accepted; what each one's test checks is in run_ok. */
static const struct okcase ok_cases[] = {
	{ "problem_empty", PROBLEM, "{}" },
	{ "problem_status_only", PROBLEM, "{'status':500}" },
	{ "problem_status_100", PROBLEM, "{'status':100}" },
	{ "problem_status_599", PROBLEM, "{'status':599}" },
	{ "directory_minimal", DIRECTORY, "{'newNonce':" U ",'newAccount':" U ",'newOrder':" U "}" },
	{ "directory_eab_required", DIRECTORY, "{'newNonce':" U ",'newAccount':" U ",'newOrder':" U
	                                       ",'meta':{'externalAccountRequired':true}}" },
	{ "directory_url_query", DIRECTORY, "{'newNonce':'https://h:1/n?a=b&c=%20#f','newAccount':"
	                                    U ",'newOrder':" U "}" },
	{ "order_unknown_status", ORDER, "{'status':'sleeping','authorizations':[" U
	                                 "],'finalize':" U "}" },
	{ "order_no_status", ORDER, "{'authorizations':[" U "],'finalize':" U "}" },
	{ "order_ignores_identifiers", ORDER, ORD(",'identifiers':7") },
	{ "authz_no_wildcard", AUTHZ, AZ("a.test", "") },
	{ "authz_wildcard_false", AUTHZ, AZ("a.test", ",'wildcard':false") },
	{ "authz_no_challenges", AUTHZ, "{'status':'valid','identifier':{'type':'dns','value':'a.test'},"
	                                "'challenges':[]}" },
	{ "authz_dns01_no_token", AUTHZ, "{'identifier':{'type':'dns','value':'a.test'},'challenges':"
	                                 "[{'type':'dns-01','url':" U ",'status':'pending'}]}" },
	{ "authz_unknown_type", AUTHZ, "{'identifier':{'type':'dns','value':'a.test'},'challenges':"
	                               "[{'type':'x-new-01','url':" U ",'status':'pending'}]}" },
	{ "authz_single_label", AUTHZ, AZ("localhost", "") },
	{ "authz_idn_a_label", AUTHZ, AZ("xn--bcher-kva.example", "") },
	{ "authz_digits_hyphens", AUTHZ, AZ("1-2.a--b.c0", "") },
	{ "authz_upper_lowered", AUTHZ, AZ("MiXeD.Example.TEST", "") },
	{ "whitespace_around", ORDER, " \r\n\t" ORD("") " \n" },
};

#define NOK (sizeof(ok_cases) / sizeof(ok_cases[0]))

static void
run_ok(void **state)
{
	const struct okcase *c = *state;
	char *doc = unq(c->doc);
	struct parsed r;

	must_parse(c->kind, doc, &r);
	if (strcmp(c->name, "problem_empty") == 0)
		assert_true(all_zero(&r.p, sizeof(r.p)));
	if (strcmp(c->name, "problem_status_only") == 0)
		assert_true(r.p.type == NULL && r.p.detail == NULL && r.p.status == 500);
	if (strcmp(c->name, "problem_status_100") == 0)
		assert_int_equal(r.p.status, 100);
	if (strcmp(c->name, "problem_status_599") == 0)
		assert_int_equal(r.p.status, 599);
	if (strcmp(c->name, "directory_minimal") == 0)
		assert_true(r.d.terms_of_service == NULL && !r.d.eab_required);
	if (strcmp(c->name, "directory_eab_required") == 0)
		assert_true(r.d.eab_required);
	if (strcmp(c->name, "directory_url_query") == 0)
		assert_string_equal(r.d.new_nonce, "https://h:1/n?a=b&c=%20#f");
	if (strncmp(c->name, "order_", 6) == 0 && strcmp(c->name, "order_ignores_identifiers") != 0)
		assert_int_equal(r.o.status, ACME_STATUS_UNKNOWN);
	if (strcmp(c->name, "authz_no_challenges") == 0)
		assert_true(r.a.nchallenges == 0 && r.a.challenges == NULL);
	if (strcmp(c->name, "authz_dns01_no_token") == 0 || strcmp(c->name, "authz_unknown_type") == 0)
		assert_true(r.a.nchallenges == 1 && r.a.challenges[0].token == NULL &&
		            r.a.status == ACME_STATUS_UNKNOWN);
	if (strcmp(c->name, "authz_upper_lowered") == 0)
		assert_string_equal(r.a.identifier, "mixed.example.test");
	if (strcmp(c->name, "authz_no_wildcard") == 0 || strcmp(c->name, "authz_wildcard_false") == 0)
		assert_false(r.a.wildcard);
	free_parsed(&r);
	free(doc);
}

/* ------------------------------------------------------------ rejected */

struct rcase {
	const char *name;
	enum kind kind;
	const char *doc;     /* ' stands for " */
	const char *reason;  /* exact, or a prefix when it ends with '*' */
};

#define DIRU ",'newAccount':" U ",'newOrder':" U
#define ID(v) "'identifier':{'type':'dns','value':'" v "'}"
#define CHS(x) "{" ID("a.test") ",'challenges':[" x "]}"

static const struct rcase reject_cases[] = {
	/* the document itself */
	{ "empty", ORDER, "", "order: bad JSON at line 1 column 0: *" },
	{ "syntax", ORDER, "{'status':}", "order: bad JSON at line 1 column 11: *" },
	{ "trailing_garbage", PROBLEM, "{} x", "problem: bad JSON at *" },
	{ "two_objects", PROBLEM, "{}{}", "problem: bad JSON at *" },
	{ "array", ORDER, "[]", "order: not a JSON object" },
	{ "scalar", DIRECTORY, "'https://ca.test/'", "directory: bad JSON at *" },
	{ "duplicate_key", ORDER, "{'finalize':" U ",'finalize':" U "}",
	  "order: bad JSON at line 1 column 42: duplicate object key near '\"finalize\"'" },
	{ "duplicate_key_nested", AUTHZ,
	  "{'identifier':{'type':'dns','type':'dns','value':'a.test'},'challenges':[]}",
	  "authz: bad JSON at *" },
	{ "duplicate_key_ignored_member", PROBLEM, "{'x':{'a':1,'a':2}}", "problem: bad JSON at *" },
	{ "escaped_nul", PROBLEM, "{'detail':'a\\u0000b'}", "problem: bad JSON at *" },
	{ "lone_surrogate", PROBLEM, "{'detail':'\\ud800'}", "problem: bad JSON at *" },
	{ "bad_utf8", PROBLEM, "{'detail':'\xc3\x28'}", "problem: bad JSON at *" },
	{ "overlong_utf8", PROBLEM, "{'detail':'\xc0\xaf'}", "problem: bad JSON at *" },
	{ "huge_integer", PROBLEM, "{'status':99999999999999999999}", "problem: bad JSON at *" },
	/* problem */
	{ "problem_type_number", PROBLEM, "{'type':1}", "problem: type is not a string" },
	{ "problem_type_null", PROBLEM, "{'type':null}", "problem: type is not a string" },
	{ "problem_detail_array", PROBLEM, "{'detail':['x']}", "problem: detail is not a string" },
	{ "problem_status_string", PROBLEM, "{'status':'400'}", "problem: status is not an integer" },
	{ "problem_status_real", PROBLEM, "{'status':400.0}", "problem: status is not an integer" },
	{ "problem_status_bool", PROBLEM, "{'status':true}", "problem: status is not an integer" },
	{ "problem_status_zero", PROBLEM, "{'status':0}", "problem: status is not an HTTP status" },
	{ "problem_status_99", PROBLEM, "{'status':99}", "problem: status is not an HTTP status" },
	{ "problem_status_600", PROBLEM, "{'status':600}", "problem: status is not an HTTP status" },
	{ "problem_status_negative", PROBLEM, "{'status':-400}",
	  "problem: status is not an HTTP status" },
	{ "problem_status_wraps_int", PROBLEM, "{'status':4294967696}",
	  "problem: status is not an HTTP status" },
	/* directory */
	{ "directory_no_new_nonce", DIRECTORY, "{'newAccount':" U ",'newOrder':" U "}",
	  "directory: newNonce is missing" },
	{ "directory_no_new_account", DIRECTORY, "{'newNonce':" U ",'newOrder':" U "}",
	  "directory: newAccount is missing" },
	{ "directory_no_new_order", DIRECTORY, "{'newNonce':" U ",'newAccount':" U "}",
	  "directory: newOrder is missing" },
	{ "directory_new_account_object", DIRECTORY, "{'newNonce':" U ",'newAccount':{},'newOrder':"
	  U "}", "directory: newAccount is not a string" },
	{ "directory_new_order_http", DIRECTORY, "{'newNonce':" U ",'newAccount':" U
	  ",'newOrder':'http://ca.test/a'}", "directory: newOrder is not an https URL" },
	{ "directory_meta_array", DIRECTORY, "{'newNonce':" U DIRU ",'meta':[]}",
	  "directory: meta is not an object" },
	{ "directory_tos_number", DIRECTORY, "{'newNonce':" U DIRU ",'meta':{'termsOfService':1}}",
	  "directory: meta: termsOfService is not a string" },
	{ "directory_eab_string", DIRECTORY, "{'newNonce':" U DIRU
	  ",'meta':{'externalAccountRequired':'true'}}",
	  "directory: meta: externalAccountRequired is not a boolean" },
	/* URLs (each rule once, in the directory's newNonce) */
	{ "url_scheme_only", DIRECTORY, "{'newNonce':'https://'" DIRU "}",
	  "directory: newNonce is not an https URL" },
	{ "url_no_host", DIRECTORY, "{'newNonce':'https:///nonce'" DIRU "}",
	  "directory: newNonce is not an https URL" },
	{ "url_query_no_host", DIRECTORY, "{'newNonce':'https://?x'" DIRU "}",
	  "directory: newNonce is not an https URL" },
	{ "url_upper_scheme", DIRECTORY, "{'newNonce':'HTTPS://ca.test/'" DIRU "}",
	  "directory: newNonce is not an https URL" },
	{ "url_relative", DIRECTORY, "{'newNonce':'/acme/new-nonce'" DIRU "}",
	  "directory: newNonce is not an https URL" },
	{ "url_space", DIRECTORY, "{'newNonce':'https://ca.test/a b'" DIRU "}",
	  "directory: newNonce is not an https URL" },
	{ "url_newline", DIRECTORY, "{'newNonce':'https://ca.test/a\\nb'" DIRU "}",
	  "directory: newNonce is not an https URL" },
	{ "url_tab", DIRECTORY, "{'newNonce':'https://ca.test/\\t'" DIRU "}",
	  "directory: newNonce is not an https URL" },
	{ "url_del", DIRECTORY, "{'newNonce':'https://ca.test/\\u007f'" DIRU "}",
	  "directory: newNonce is not an https URL" },
	{ "url_non_ascii", DIRECTORY, "{'newNonce':'https://ca.test/\xc3\xa9'" DIRU "}",
	  "directory: newNonce is not an https URL" },
	{ "url_empty", DIRECTORY, "{'newNonce':''" DIRU "}",
	  "directory: newNonce is not an https URL" },
	/* order */
	{ "order_status_number", ORDER, "{'status':1,'authorizations':[" U "],'finalize':" U "}",
	  "order: status is not a string" },
	{ "order_no_authorizations", ORDER, "{'finalize':" U "}",
	  "order: authorizations is missing" },
	{ "order_authorizations_string", ORDER, "{'authorizations':" U ",'finalize':" U "}",
	  "order: authorizations is not an array" },
	{ "order_authorizations_empty", ORDER, "{'authorizations':[],'finalize':" U "}",
	  "order: authorizations is empty" },
	{ "order_authorization_number", ORDER, "{'authorizations':[" U ",7],'finalize':" U "}",
	  "order: authorizations[1] is not a string" },
	{ "order_authorization_http", ORDER,
	  "{'authorizations':['http://ca.test/a'],'finalize':" U "}",
	  "order: authorizations[0] is not an https URL" },
	{ "order_no_finalize", ORDER, "{'authorizations':[" U "]}", "order: finalize is missing" },
	{ "order_finalize_ftp", ORDER, "{'authorizations':[" U "],'finalize':'ftp://ca.test/f'}",
	  "order: finalize is not an https URL" },
	{ "order_certificate_http", ORDER, ORD(",'certificate':'http://ca.test/c'"),
	  "order: certificate is not an https URL" },
	{ "order_certificate_false", ORDER, ORD(",'certificate':false"),
	  "order: certificate is not a string" },
	{ "order_valid_no_certificate", ORDER, "{'status':'valid','authorizations':[" U
	  "],'finalize':" U "}", "order: valid without a certificate URL" },
	{ "order_error_string", ORDER, ORD(",'error':'boom'"), "order: error: not an object" },
	{ "order_error_bad_status", ORDER, ORD(",'error':{'type':'x','status':'403'}"),
	  "order: error: status is not an integer" },
	/* authz */
	{ "authz_status_array", AUTHZ, "{'status':[]," ID("a.test") ",'challenges':[]}",
	  "authz: status is not a string" },
	{ "authz_no_identifier", AUTHZ, "{'challenges':[]}", "authz: identifier is missing" },
	{ "authz_identifier_string", AUTHZ, "{'identifier':'a.test','challenges':[]}",
	  "authz: identifier is not an object" },
	{ "authz_identifier_no_type", AUTHZ, "{'identifier':{'value':'a.test'},'challenges':[]}",
	  "authz: identifier: type is missing" },
	{ "authz_identifier_ip", AUTHZ,
	  "{'identifier':{'type':'ip','value':'192.0.2.1'},'challenges':[]}",
	  "authz: identifier: type is not dns" },
	{ "authz_identifier_type_upper", AUTHZ,
	  "{'identifier':{'type':'DNS','value':'a.test'},'challenges':[]}",
	  "authz: identifier: type is not dns" },
	{ "authz_identifier_no_value", AUTHZ, "{'identifier':{'type':'dns'},'challenges':[]}",
	  "authz: identifier: value is missing" },
	{ "authz_identifier_value_number", AUTHZ,
	  "{'identifier':{'type':'dns','value':1},'challenges':[]}",
	  "authz: identifier: value is not a string" },
	{ "dns_empty", AUTHZ, AZ("", ""), "authz: identifier: value is not a DNS name" },
	{ "dns_trailing_dot", AUTHZ, AZ("a.test.", ""), "authz: identifier: value is not a DNS name" },
	{ "dns_leading_dot", AUTHZ, AZ(".a.test", ""), "authz: identifier: value is not a DNS name" },
	{ "dns_empty_label", AUTHZ, AZ("a..test", ""), "authz: identifier: value is not a DNS name" },
	{ "dns_leading_hyphen", AUTHZ, AZ("-a.test", ""),
	  "authz: identifier: value is not a DNS name" },
	{ "dns_trailing_hyphen", AUTHZ, AZ("a-.test", ""),
	  "authz: identifier: value is not a DNS name" },
	{ "dns_last_label_hyphen", AUTHZ, AZ("a.test-", ""),
	  "authz: identifier: value is not a DNS name" },
	{ "dns_underscore", AUTHZ, AZ("_acme.a.test", ""),
	  "authz: identifier: value is not a DNS name" },
	{ "dns_wildcard_label", AUTHZ, AZ("*.a.test", ""),
	  "authz: identifier: value is not a DNS name" },
	{ "dns_space", AUTHZ, AZ("a test", ""), "authz: identifier: value is not a DNS name" },
	{ "dns_slash", AUTHZ, AZ("a.test/x", ""), "authz: identifier: value is not a DNS name" },
	{ "dns_u_label", AUTHZ, AZ("b\xc3\xbc" "cher.example", ""),
	  "authz: identifier: value is not a DNS name" },
	{ "dns_ip_literal", AUTHZ, AZ("[::1]", ""), "authz: identifier: value is not a DNS name" },
	{ "authz_wildcard_string", AUTHZ, AZ("a.test", ",'wildcard':'true'"),
	  "authz: wildcard is not a boolean" },
	{ "authz_wildcard_number", AUTHZ, AZ("a.test", ",'wildcard':1"),
	  "authz: wildcard is not a boolean" },
	{ "authz_no_challenges", AUTHZ, "{" ID("a.test") "}", "authz: challenges is missing" },
	{ "authz_challenges_object", AUTHZ, "{" ID("a.test") ",'challenges':{}}",
	  "authz: challenges is not an array" },
	{ "challenge_not_object", AUTHZ, CHS("'http-01'"), "authz: challenges[0]: not an object" },
	{ "challenge_no_type", AUTHZ, CHS("{'url':" U ",'status':'pending','token':'t'}"),
	  "authz: challenges[0]: type is missing" },
	{ "challenge_type_number", AUTHZ, CHS("{'type':1,'url':" U ",'status':'pending'}"),
	  "authz: challenges[0]: type is not a string" },
	{ "challenge_type_empty", AUTHZ, CHS("{'type':'','url':" U ",'status':'pending'}"),
	  "authz: challenges[0]: type is not a challenge type" },
	{ "challenge_type_space", AUTHZ, CHS("{'type':'http 01','url':" U ",'status':'pending'}"),
	  "authz: challenges[0]: type is not a challenge type" },
	{ "challenge_type_newline", AUTHZ, CHS("{'type':'x\\n','url':" U ",'status':'pending'}"),
	  "authz: challenges[0]: type is not a challenge type" },
	{ "challenge_type_65", AUTHZ,
	  CHS("{'type':'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa','url':" U
	      ",'status':'pending'}"),
	  "authz: challenges[0]: type is not a challenge type" },
	{ "challenge_no_url", AUTHZ, CHS("{'type':'http-01','status':'pending','token':'t'}"),
	  "authz: challenges[0]: url is missing" },
	{ "challenge_url_http", AUTHZ,
	  CHS("{'type':'http-01','url':'http://ca.test/c','status':'pending','token':'t'}"),
	  "authz: challenges[0]: url is not an https URL" },
	{ "challenge_no_status", AUTHZ, CHS("{'type':'http-01','url':" U ",'token':'t'}"),
	  "authz: challenges[0]: status is missing" },
	{ "challenge_status_null", AUTHZ,
	  CHS("{'type':'http-01','url':" U ",'status':null,'token':'t'}"),
	  "authz: challenges[0]: status is not a string" },
	{ "http01_no_token", AUTHZ, CHS("{'type':'http-01','url':" U ",'status':'pending'}"),
	  "authz: challenges[0]: token is missing" },
	{ "tls_alpn01_no_token", AUTHZ,
	  CHS(CH("dns-01", "t") ",{'type':'tls-alpn-01','url':" U ",'status':'pending'}"),
	  "authz: challenges[1]: token is missing" },
	{ "token_number", AUTHZ, CHS("{'type':'http-01','url':" U ",'status':'pending','token':1}"),
	  "authz: challenges[0]: token is not a string" },
	{ "token_empty", AUTHZ, CHS(CH("http-01", "")),
	  "authz: challenges[0]: token is not base64url of 1 to 256 characters" },
	{ "token_padding", AUTHZ, CHS(CH("http-01", "abc=")),
	  "authz: challenges[0]: token is not base64url of 1 to 256 characters" },
	{ "token_plus", AUTHZ, CHS(CH("tls-alpn-01", "a+b")),
	  "authz: challenges[0]: token is not base64url of 1 to 256 characters" },
	{ "token_slash", AUTHZ, CHS(CH("http-01", "../../etc/passwd")),
	  "authz: challenges[0]: token is not base64url of 1 to 256 characters" },
	{ "token_dot", AUTHZ, CHS(CH("http-01", "a.b")),
	  "authz: challenges[0]: token is not base64url of 1 to 256 characters" },
	{ "token_percent", AUTHZ, CHS(CH("http-01", "%2e%2e")),
	  "authz: challenges[0]: token is not base64url of 1 to 256 characters" },
	{ "token_bad_on_dns01", AUTHZ, CHS(CH("dns-01", "a b")),
	  "authz: challenges[0]: token is not base64url of 1 to 256 characters" },
	{ "challenge_error_detail_number", AUTHZ,
	  CHS(CH("dns-01", "t") ",{'type':'http-01','url':" U
	      ",'status':'invalid','token':'t','error':{'detail':5}}"),
	  "authz: challenges[1]: error: detail is not a string" },
	{ "challenge_error_array", AUTHZ,
	  CHS("{'type':'http-01','url':" U ",'status':'invalid','token':'t','error':[]}"),
	  "authz: challenges[0]: error: not an object" },
	/* a later challenge fails after earlier ones were copied (leaks: valgrind) */
	{ "challenge_late_failure", AUTHZ,
	  CHS(CH("http-01", "a") "," CH("dns-01", "b") "," CH("tls-alpn-01", "c") ",{}"),
	  "authz: challenges[3]: type is missing" },
	{ "order_late_failure", ORDER,
	  "{'status':'valid','authorizations':[" U "," U "],'finalize':" U
	  ",'error':{'type':'t','detail':'d','status':'x'}}",
	  "order: error: status is not an integer" },
};

#define NREJECT (sizeof(reject_cases) / sizeof(reject_cases[0]))

static void
check_reason(const char *err, const char *want)
{
	size_t n = strlen(want);

	if (n > 0 && want[n - 1] == '*') {
		if (strncmp(err, want, n - 1) != 0)
			fail_msg("reason \"%s\" does not start with \"%.*s\"", err, (int)(n - 1), want);
	} else {
		assert_string_equal(err, want);
	}
}

static void
run_reject(void **state)
{
	const struct rcase *c = *state;
	char *doc = unq(c->doc);
	struct parsed r;
	char err[256];

	assert_int_equal(parse(c->kind, doc, &r, err, sizeof(err)), -1);
	check_reason(err, c->reason);
	free(doc);
}

/* ------------------------------------------------------ url and token */

struct vcase {
	const char *name, *s;
	bool want;
};

static const struct vcase url_cases[] = {
	{ "plain", "https://ca.test/dir", true },
	{ "host_only", "https://h", true },
	{ "port_ip", "https://127.0.0.1:14000/dir", true },
	{ "ipv6", "https://[::1]:14000/dir", true },
	{ "query_fragment", "https://h/a?b=c#d", true },
	{ "percent", "https://h/%7e", true },
	{ "tilde_last_printable", "https://h/~", true },
	{ "http", "http://h/", false },
	{ "upper", "Https://h/", false },
	{ "no_slashes", "https:h", false },
	{ "scheme_only", "https://", false },
	{ "empty_host_path", "https:///x", false },
	{ "empty_host_query", "https://?q", false },
	{ "empty_host_fragment", "https://#f", false },
	{ "space", "https://h/a b", false },
	{ "leading_space", " https://h/", false },
	{ "cr", "https://h/\r", false },
	{ "del", "https://h/\x7f", false },
	{ "high", "https://h/\x80", false },
	{ "empty", "", false },
};

#define NURL (sizeof(url_cases) / sizeof(url_cases[0]))

static const struct vcase token_cases[] = {
	{ "rfc8555", "DGyRejmCefe7v4NfDGDKfA", true },
	{ "all_classes", "AZaz09-_", true },
	{ "one", "x", true },
	{ "hyphen_only", "-", true },
	{ "empty", "", false },
	{ "pad", "AA==", false },
	{ "plus", "a+b", false },
	{ "slash", "a/b", false },
	{ "dot", ".", false },
	{ "dotdot", "..", false },
	{ "space", "a b", false },
	{ "percent", "%41", false },
	{ "newline", "a\n", false },
	{ "utf8", "\xc3\xa9", false },
};

#define NTOKEN (sizeof(token_cases) / sizeof(token_cases[0]))

/* The string is not NUL-terminated: it ends at the guard page. */
static void
run_url(void **state)
{
	const struct vcase *c = *state;
	size_t n = strlen(c->s);
	struct guard g;

	guard_init(&g, n);
	assert_int_equal(acme_url_ok(guard_put(&g, c->s, n), n), c->want);
	guard_free(&g);
}

static void
run_token(void **state)
{
	const struct vcase *c = *state;
	size_t n = strlen(c->s);
	struct guard g;

	guard_init(&g, n);
	assert_int_equal(acme_token_ok(guard_put(&g, c->s, n), n), c->want);
	guard_free(&g);
}

/* A NULL pointer is never valid, and only n bytes are looked at. */
static void
url_token_lengths(void **state)
{
	char url[ACME_URL_MAX + 2], tok[ACME_TOKEN_MAX + 2];

	(void)state;
	assert_false(acme_url_ok(NULL, 10));
	assert_false(acme_token_ok(NULL, 1));
	memcpy(url, "https://h/", 10);
	memset(url + 10, 'a', sizeof(url) - 10);
	assert_true(acme_url_ok(url, ACME_URL_MAX));
	assert_false(acme_url_ok(url, ACME_URL_MAX + 1));
	assert_true(acme_url_ok("https://h/ bad", 10));  /* the part after n is not read */
	memset(tok, 'A', sizeof(tok));
	assert_true(acme_token_ok(tok, ACME_TOKEN_MAX));
	assert_false(acme_token_ok(tok, ACME_TOKEN_MAX + 1));
	assert_false(acme_token_ok(tok, 0));
	assert_true(acme_token_ok("ab=", 2));
}

/* ------------------------------------------------------------- limits */

/* A growing buffer for generated documents. */
struct buf {
	char *p;
	size_t n, cap;
};

static void __attribute__((format(printf, 2, 3)))
put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	assert_true(k >= 0);
	if (b->n + (size_t)k + 1 > b->cap) {
		b->cap = (b->n + (size_t)k + 1) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
	va_end(ap);
	b->n += (size_t)k;
}

static void
put_rep(struct buf *b, char c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put(b, "%c", c);
}

/* 64 KiB is accepted, one byte more refused before parsing, for each parser. */
static void
document_size_limit(void **state)
{
	static const struct {
		enum kind kind;
		const char *doc, *reason;
	} docs[] = {
		{ PROBLEM, "{\"status\":400}", "problem: document larger than 65536 bytes" },
		{ DIRECTORY, "{\"newNonce\":\"https://a\",\"newAccount\":\"https://b\","
		             "\"newOrder\":\"https://c\"}",
		  "directory: document larger than 65536 bytes" },
		{ ORDER, "{\"authorizations\":[\"https://a\"],\"finalize\":\"https://b\"}",
		  "order: document larger than 65536 bytes" },
		{ AUTHZ, "{\"identifier\":{\"type\":\"dns\",\"value\":\"a\"},\"challenges\":[]}",
		  "authz: document larger than 65536 bytes" },
	};
	struct parsed r;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		struct buf b = { 0 };

		put(&b, "%s", docs[i].doc);
		put_rep(&b, ' ', 65536 - b.n);
		assert_int_equal(b.n, 65536);
		assert_int_equal(parse_n(docs[i].kind, b.p, b.n, &r, err, sizeof(err)), 0);
		free_parsed(&r);
		put(&b, " ");
		assert_int_equal(parse_n(docs[i].kind, b.p, b.n, &r, err, sizeof(err)), -1);
		assert_string_equal(err, docs[i].reason);
		free(b.p);
	}
}

/* jansson stops at 2048 levels, so deep nesting in an ignored member cannot
 * exhaust the stack. */
static void
deep_nesting_refused(void **state)
{
	struct buf b = { 0 };
	struct parsed r;
	char err[256];

	(void)state;
	put(&b, "{\"x\":");
	put_rep(&b, '[', 3000);
	put_rep(&b, ']', 3000);
	put(&b, "}");
	assert_int_equal(parse_n(PROBLEM, b.p, b.n, &r, err, sizeof(err)), -1);
	check_reason(err, "problem: bad JSON at *");
	free(b.p);
}

/* URL length: ACME_URL_MAX in the finalize member is fine, one more is not. */
static void
url_max_in_order(void **state)
{
	struct parsed r;
	char err[256];

	(void)state;
	for (size_t len = ACME_URL_MAX; len <= ACME_URL_MAX + 1; len++) {
		struct buf b = { 0 };

		put(&b, "{\"authorizations\":[\"https://a\"],\"finalize\":\"https://h/");
		put_rep(&b, 'f', len - 10);
		put(&b, "\"}");
		if (len == ACME_URL_MAX) {
			assert_int_equal(parse_n(ORDER, b.p, b.n, &r, err, sizeof(err)), 0);
			assert_int_equal(strlen(r.o.finalize), ACME_URL_MAX);
			free_parsed(&r);
		} else {
			assert_int_equal(parse_n(ORDER, b.p, b.n, &r, err, sizeof(err)), -1);
			assert_string_equal(err, "order: finalize is not an https URL");
		}
		free(b.p);
	}
}

static void
token_max_in_authz(void **state)
{
	struct parsed r;
	char err[256];

	(void)state;
	for (size_t len = ACME_TOKEN_MAX; len <= ACME_TOKEN_MAX + 1; len++) {
		struct buf b = { 0 };

		put(&b, "{\"identifier\":{\"type\":\"dns\",\"value\":\"a\"},\"challenges\":["
		        "{\"type\":\"tls-alpn-01\",\"url\":\"https://c\",\"status\":\"pending\","
		        "\"token\":\"");
		put_rep(&b, 'T', len);
		put(&b, "\"}]}");
		if (len == ACME_TOKEN_MAX) {
			assert_int_equal(parse_n(AUTHZ, b.p, b.n, &r, err, sizeof(err)), 0);
			assert_int_equal(strlen(r.a.challenges[0].token), ACME_TOKEN_MAX);
			free_parsed(&r);
		} else {
			assert_int_equal(parse_n(AUTHZ, b.p, b.n, &r, err, sizeof(err)), -1);
			assert_string_equal(
				err, "authz: challenges[0]: token is not base64url of 1 to 256 characters");
		}
		free(b.p);
	}
}

/* An authz for name; rc expected. */
static void
authz_name(const char *name, int want)
{
	struct buf b = { 0 };
	struct parsed r;
	char err[256];

	put(&b, "{\"identifier\":{\"type\":\"dns\",\"value\":\"%s\"},\"challenges\":[]}", name);
	assert_int_equal(parse_n(AUTHZ, b.p, b.n, &r, err, sizeof(err)), want);
	if (want == 0)
		assert_string_equal(r.a.identifier, name);
	else
		assert_string_equal(err, "authz: identifier: value is not a DNS name");
	free_parsed(&r);
	free(b.p);
}

/* Labels up to 63 bytes, names up to 253. */
static void
dns_name_limits(void **state)
{
	char name[300];

	(void)state;
	memset(name, 'a', 63);
	name[63] = '\0';
	authz_name(name, 0);
	memset(name, 'a', 64);
	name[64] = '\0';
	authz_name(name, -1);
	/* labels of 63, 63, 63 and 61 bytes: 253 in all; one more 'b' is 254 */
	for (size_t i = 0; i < 253; i++)
		name[i] = i % 64 == 63 ? '.' : 'b';
	name[253] = '\0';
	authz_name(name, 0);
	name[253] = 'b';
	name[254] = '\0';
	authz_name(name, -1);
}

static void
order_authorization_count(void **state)
{
	struct parsed r;
	char err[256];

	(void)state;
	for (size_t n = 100; n <= 101; n++) {
		struct buf b = { 0 };

		put(&b, "{\"authorizations\":[");
		for (size_t i = 0; i < n; i++)
			put(&b, "%s\"https://ca.test/authz/%zu\"", i ? "," : "", i);
		put(&b, "],\"finalize\":\"https://ca.test/f\"}");
		if (n == 100) {
			assert_int_equal(parse_n(ORDER, b.p, b.n, &r, err, sizeof(err)), 0);
			assert_int_equal(r.o.nauthorizations, 100);
			assert_string_equal(r.o.authorizations[99], "https://ca.test/authz/99");
			free_parsed(&r);
		} else {
			assert_int_equal(parse_n(ORDER, b.p, b.n, &r, err, sizeof(err)), -1);
			assert_string_equal(err, "order: more than 100 authorizations");
		}
		free(b.p);
	}
}

/* 16 challenges kept; the 17th and later are not even looked at. */
static void
authz_keeps_16_challenges(void **state)
{
	struct buf b = { 0 };
	struct parsed r;
	char err[256];

	(void)state;
	put(&b, "{\"identifier\":{\"type\":\"dns\",\"value\":\"a\"},\"challenges\":[");
	for (size_t i = 0; i < 16; i++)
		put(&b, "{\"type\":\"x-%zu\",\"url\":\"https://c/%zu\",\"status\":\"pending\"},", i, i);
	put(&b, "{\"type\":\"http-01\",\"url\":\"https://c/h\",\"status\":\"pending\",\"token\":\"t\"},");
	put(&b, "\"not a challenge\"]}");
	assert_int_equal(parse_n(AUTHZ, b.p, b.n, &r, err, sizeof(err)), 0);
	assert_int_equal(r.a.nchallenges, 16);
	assert_string_equal(r.a.challenges[15].type, "x-15");
	assert_string_equal(r.a.challenges[15].url, "https://c/15");
	assert_null(acme_authz_challenge(&r.a, "http-01"));
	free_parsed(&r);
	free(b.p);
}

/* detail and type: at most 1024 bytes, cut between characters, controls
 * (C0, DEL, C1) each one '?', everything else (UTF-8) kept. */
static void
problem_text_for_logs(void **state)
{
	struct buf b = { 0 };
	struct parsed r;
	char err[256];

	(void)state;
	must_parse(PROBLEM,
	           "{\"type\":\"urn:x\\ny\",\"detail\":\"a\\nb\\rc\\td\\u001be\\u007ff\\u0085g"
	           "\\u2028h \\u00e9\"}",
	           &r);
	assert_string_equal(r.p.type, "urn:x?y");
	assert_string_equal(r.p.detail, "a?b?c?d?e?f?g\xe2\x80\xa8h \xc3\xa9");
	free_parsed(&r);

	/* 2000 bytes: cut to 1024 */
	put(&b, "{\"detail\":\"");
	put_rep(&b, 'd', 2000);
	put(&b, "\",\"type\":\"");
	put_rep(&b, 't', 1024);
	put(&b, "\"}");
	assert_int_equal(parse_n(PROBLEM, b.p, b.n, &r, err, sizeof(err)), 0);
	assert_int_equal(strlen(r.p.detail), 1024);
	assert_int_equal(strlen(r.p.type), 1024);
	free_parsed(&r);
	free(b.p);

	/* 1023 bytes, then a 2-byte character across the limit: cut before it */
	b = (struct buf){ 0 };
	put(&b, "{\"detail\":\"");
	put_rep(&b, 'd', 1023);
	put(&b, "\xc3\xa9xyz\"}");
	assert_int_equal(parse_n(PROBLEM, b.p, b.n, &r, err, sizeof(err)), 0);
	assert_int_equal(strlen(r.p.detail), 1023);
	free_parsed(&r);
	free(b.p);

	/* exactly 1024 with a 2-byte character at the end: kept whole */
	b = (struct buf){ 0 };
	put(&b, "{\"detail\":\"");
	put_rep(&b, 'd', 1022);
	put(&b, "\xc3\xa9\"}");
	assert_int_equal(parse_n(PROBLEM, b.p, b.n, &r, err, sizeof(err)), 0);
	assert_int_equal(strlen(r.p.detail), 1024);
	assert_memory_equal(r.p.detail + 1022, "\xc3\xa9", 2);
	free_parsed(&r);
	free(b.p);
}

/* ------------------------------------------------------- API contract */

static void
status_names(void **state)
{
	static const char *const want[] = { "unknown",  "pending",     "ready",
		                            "processing", "valid",   "invalid",
		                            "deactivated", "expired", "revoked" };
	char doc[128];
	struct parsed r;

	(void)state;
	for (int i = 0; i <= ACME_STATUS_REVOKED; i++) {
		assert_string_equal(acme_status_name((enum acme_status)i), want[i]);
		/* and the parser maps each name back */
		snprintf(doc, sizeof(doc), "{\"status\":\"%s\",\"authorizations\":[\"https://a\"],"
		                           "\"finalize\":\"https://f\",\"certificate\":\"https://c\"}",
		         want[i]);
		must_parse(ORDER, doc, &r);
		assert_int_equal(r.o.status, i);
		free_parsed(&r);
	}
	assert_string_equal(acme_status_name((enum acme_status)99), "unknown");
	assert_string_equal(acme_status_name((enum acme_status)-1), "unknown");
	must_parse(ORDER, "{\"status\":\"Valid\",\"authorizations\":[\"https://a\"],"
	                  "\"finalize\":\"https://f\"}", &r);
	assert_int_equal(r.o.status, ACME_STATUS_UNKNOWN);  /* case matters */
	free_parsed(&r);
}

/* err may be short (truncated, NUL-terminated) or absent. */
static void
error_buffer(void **state)
{
	static const char bad[] = "{\"a\": \x1b[2J}";
	struct acme_order o;
	char err[8], big[256];

	(void)state;
	memset(err, 'x', sizeof(err));
	assert_int_equal(acme_order_parse("[]", 2, &o, err, sizeof(err)), -1);
	assert_string_equal(err, "order: ");
	assert_int_equal(acme_order_parse("[]", 2, &o, NULL, 0), -1);
	assert_true(all_zero(&o, sizeof(o)));
	memset(err, 'x', sizeof(err));
	assert_int_equal(acme_order_parse("[]", 2, &o, err, 0), -1);
	assert_int_equal(err[0], 'x');
	/* jansson quotes input in its message: control bytes become '?' */
	assert_int_equal(acme_order_parse(bad, sizeof(bad) - 1, &o, big, sizeof(big)), -1);
	assert_non_null(strchr(big, '?'));
	for (size_t i = 0; big[i] != '\0'; i++)
		assert_true(big[i] >= 0x20 && big[i] < 0x7f);
}

/* The frees take NULL and zeroed structs, and zero what they free. */
static void
free_is_idempotent(void **state)
{
	struct parsed r;

	(void)state;
	acme_problem_free(NULL);
	acme_directory_free(NULL);
	acme_order_free(NULL);
	acme_authz_free(NULL);
	must_parse(AUTHZ, pebble_authz_pending, &r);
	acme_authz_free(&r.a);
	assert_true(all_zero(&r.a, sizeof(r.a)));
	acme_authz_free(&r.a);
	must_parse(ORDER, pebble_order_invalid, &r);
	acme_order_free(&r.o);
	assert_true(all_zero(&r.o, sizeof(r.o)));
	acme_order_free(&r.o);
	free_parsed(&r);
}

/* NUL bytes in the buffer are not the end of the document. */
static void
embedded_nul_refused(void **state)
{
	static const char doc[] = "{\"status\":400}\0garbage";
	struct parsed r;
	char err[256];

	(void)state;
	assert_int_equal(parse_n(PROBLEM, doc, sizeof(doc) - 1, &r, err, sizeof(err)), -1);
	check_reason(err, "problem: bad JSON at *");
	assert_int_equal(parse_n(PROBLEM, doc, 14, &r, err, sizeof(err)), 0);
	assert_int_equal(r.p.status, 400);
	free_parsed(&r);
}

/* ----------------------------------------------------------------- main */

#define GROUP(tests, cases, count, fn)                                                      \
	do {                                                                                \
		for (size_t i_ = 0; i_ < (count); i_++)                                     \
			(tests)[i_] = (struct CMUnitTest){ (cases)[i_].name, (fn), NULL, NULL, \
			                                   (void *)&(cases)[i_] };             \
	} while (0)

int
main(void)
{
	struct CMUnitTest ok[NOK], reject[NREJECT], url[NURL], token[NTOKEN];
	const struct CMUnitTest real[] = {
		cmocka_unit_test(rfc8555_directory_fields),
		cmocka_unit_test(rfc8555_order_fields),
		cmocka_unit_test(rfc8555_authz_fields),
		cmocka_unit_test(rfc8555_authz_7_5_without_status),
		cmocka_unit_test(rfc_http01_and_tls_alpn01),
		cmocka_unit_test(rfc8555_problems),
		cmocka_unit_test(pebble_directory_fields),
		cmocka_unit_test(pebble_problems),
		cmocka_unit_test(pebble_orders),
		cmocka_unit_test(pebble_authz_three_challenges),
		cmocka_unit_test(pebble_authz_failed_challenge),
		cmocka_unit_test(pebble_authz_wildcard_dns_only),
		cmocka_unit_test(letsencrypt_shapes),
	};
	const struct CMUnitTest other[] = {
		cmocka_unit_test(url_token_lengths),
		cmocka_unit_test(document_size_limit),
		cmocka_unit_test(deep_nesting_refused),
		cmocka_unit_test(url_max_in_order),
		cmocka_unit_test(token_max_in_authz),
		cmocka_unit_test(dns_name_limits),
		cmocka_unit_test(order_authorization_count),
		cmocka_unit_test(authz_keeps_16_challenges),
		cmocka_unit_test(problem_text_for_logs),
		cmocka_unit_test(status_names),
		cmocka_unit_test(error_buffer),
		cmocka_unit_test(free_is_idempotent),
		cmocka_unit_test(embedded_nul_refused),
	};
	int fails = 0;

	GROUP(ok, ok_cases, NOK, run_ok);
	GROUP(reject, reject_cases, NREJECT, run_reject);
	GROUP(url, url_cases, NURL, run_url);
	GROUP(token, token_cases, NTOKEN, run_token);
	fails += cmocka_run_group_tests_name("acme_msg real documents", real, NULL, NULL);
	fails += cmocka_run_group_tests_name("acme_msg accepted", ok, NULL, NULL);
	fails += cmocka_run_group_tests_name("acme_msg refused", reject, NULL, NULL);
	fails += cmocka_run_group_tests_name("acme_url_ok", url, NULL, NULL);
	fails += cmocka_run_group_tests_name("acme_token_ok", token, NULL, NULL);
	return fails + cmocka_run_group_tests_name("acme_msg", other, NULL, NULL);
}
