/* libFuzzer harness for acme_msg.c. The input is
 *
 *   SEL DOCUMENT...
 *
 * SEL & 3 picks the parser (0 problem, 1 directory, 2 order, 3 authz); SEL &
 * 4 gives a 256-byte error buffer, else one of 1 + SEL / 8 bytes (1..32), to
 * drive the truncation of reasons. The document and the error buffer are
 * each exactly their size, so AddressSanitizer sees any byte past them.
 * Asserts properties, not just "no crash":
 *   refused   -1, the struct all zero, the reason NUL-terminated inside the
 *             buffer, printable ASCII, starting with the document's name.
 *   accepted  every URL passes acme_url_ok, every token acme_token_ok and
 *             http-01 / tls-alpn-01 have one; an order has 1..100
 *             authorizations and a valid one a certificate; an authz has a
 *             lower-case DNS name, at most 16 challenges, and
 *             acme_authz_challenge finds the first of each type; problem
 *             text is at most 1024 bytes with no control character; a
 *             status is 0 or 100..599; acme_status_name names each status.
 *   round trip  the struct written back as JSON (jansson) parses to the
 *             same struct: the parser's cleaning (lower-casing, cutting,
 *             '?' for controls, dropping challenges past 16) is idempotent.
 * Every struct is freed, and the _free leaves it zeroed (LeakSanitizer
 * catches the rest). */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlserve/acme_msg.h"

#define CHECK(x) ((x) ? (void)0 : abort())
#define DOC_MAX (64 * 1024)
#define TEXT_MAX 1024

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const doc_names[] = { "problem: ", "directory: ", "order: ", "authz: " };

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

static bool
url_ok(const char *s)
{
	return s != NULL && acme_url_ok(s, strlen(s));
}

/* Equal strings, both possibly NULL. */
static bool
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void
check_status(enum acme_status st)
{
	const char *n = acme_status_name(st);

	CHECK(st >= ACME_STATUS_UNKNOWN && st <= ACME_STATUS_REVOKED);
	CHECK(n != NULL);
	CHECK((strcmp(n, "unknown") == 0) == (st == ACME_STATUS_UNKNOWN));
}

/* Problem text: short enough for a log line and without C0, DEL or C1. */
static void
check_text(const char *s)
{
	size_t n;

	if (s == NULL)
		return;
	n = strlen(s);
	CHECK(n <= TEXT_MAX);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		CHECK(c >= 0x20 && c != 0x7f);
		if (c == 0xc2 && i + 1 < n)
			CHECK((unsigned char)s[i + 1] > 0x9f);
		if (i + 1 == n)  /* not cut inside a character */
			CHECK(c < 0x80 || (c & 0xc0) == 0x80);
	}
}

static void
check_problem(const struct acme_problem *p)
{
	check_text(p->type);
	check_text(p->detail);
	CHECK(p->status == 0 || (p->status >= 100 && p->status <= 599));
}

/* The definition, independent of the parser's loop. */
static bool
dns_name_ok(const char *s)
{
	size_t n = strlen(s), start = 0;

	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.') {
			if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
			      s[i] == '-'))
				return false;
			continue;
		}
		if (i == start || i - start > 63 || s[start] == '-' || s[i - 1] == '-')
			return false;
		start = i + 1;
	}
	return true;
}

static void
check_directory(const struct acme_directory *d)
{
	CHECK(url_ok(d->new_nonce) && url_ok(d->new_account) && url_ok(d->new_order));
	CHECK(d->terms_of_service == NULL || url_ok(d->terms_of_service));
}

static void
check_order(const struct acme_order *o)
{
	check_status(o->status);
	CHECK(o->nauthorizations >= 1 && o->nauthorizations <= 100);
	CHECK(o->authorizations != NULL);
	for (size_t i = 0; i < o->nauthorizations; i++)
		CHECK(url_ok(o->authorizations[i]));
	CHECK(url_ok(o->finalize));
	CHECK(o->certificate == NULL || url_ok(o->certificate));
	CHECK(o->status != ACME_STATUS_VALID || o->certificate != NULL);
	check_problem(&o->error);
}

static void
check_authz(const struct acme_authz *a)
{
	check_status(a->status);
	CHECK(a->identifier != NULL && dns_name_ok(a->identifier));
	CHECK(a->nchallenges <= 16);
	CHECK((a->nchallenges == 0) == (a->challenges == NULL));
	for (size_t i = 0; i < a->nchallenges; i++) {
		const struct acme_challenge *c = &a->challenges[i], *f;
		size_t tn;

		CHECK(c->type != NULL);
		tn = strlen(c->type);
		CHECK(tn >= 1 && tn <= 64);
		for (size_t k = 0; k < tn; k++)
			CHECK(c->type[k] > 0x20 && c->type[k] < 0x7f);
		CHECK(url_ok(c->url));
		CHECK(c->token == NULL || acme_token_ok(c->token, strlen(c->token)));
		if (strcmp(c->type, "http-01") == 0 || strcmp(c->type, "tls-alpn-01") == 0)
			CHECK(c->token != NULL);
		check_status(c->status);
		check_problem(&c->error);
		f = acme_authz_challenge(a, c->type);
		CHECK(f != NULL && f <= c && strcmp(f->type, c->type) == 0);
		for (const struct acme_challenge *e = a->challenges; e < f; e++)
			CHECK(strcmp(e->type, c->type) != 0);
	}
}

/* ------------------------------------------------ writing back as JSON */

static void
set_str(json_t *o, const char *key, const char *s)
{
	if (s != NULL)
		CHECK(json_object_set_new(o, key, json_string(s)) == 0);
}

static void
set_status(json_t *o, enum acme_status st)
{
	if (st != ACME_STATUS_UNKNOWN)
		set_str(o, "status", acme_status_name(st));
}

static json_t *
problem_json(const struct acme_problem *p)
{
	json_t *o = json_object();

	CHECK(o != NULL);
	set_str(o, "type", p->type);
	set_str(o, "detail", p->detail);
	if (p->status != 0)
		CHECK(json_object_set_new(o, "status", json_integer(p->status)) == 0);
	return o;
}

static void
set_error(json_t *o, const struct acme_problem *p)
{
	if (p->type != NULL || p->detail != NULL || p->status != 0)
		CHECK(json_object_set_new(o, "error", problem_json(p)) == 0);
}

static json_t *
directory_json(const struct acme_directory *d)
{
	json_t *o = json_object(), *meta = json_object();

	CHECK(o != NULL && meta != NULL);
	set_str(o, "newNonce", d->new_nonce);
	set_str(o, "newAccount", d->new_account);
	set_str(o, "newOrder", d->new_order);
	set_str(meta, "termsOfService", d->terms_of_service);
	CHECK(json_object_set_new(meta, "externalAccountRequired", json_boolean(d->eab_required)) ==
	      0);
	CHECK(json_object_set_new(o, "meta", meta) == 0);
	return o;
}

static json_t *
order_json(const struct acme_order *ord)
{
	json_t *o = json_object(), *a = json_array();

	CHECK(o != NULL && a != NULL);
	set_status(o, ord->status);
	for (size_t i = 0; i < ord->nauthorizations; i++)
		CHECK(json_array_append_new(a, json_string(ord->authorizations[i])) == 0);
	CHECK(json_object_set_new(o, "authorizations", a) == 0);
	set_str(o, "finalize", ord->finalize);
	set_str(o, "certificate", ord->certificate);
	set_error(o, &ord->error);
	return o;
}

static json_t *
authz_json(const struct acme_authz *az)
{
	json_t *o = json_object(), *a = json_array();

	CHECK(o != NULL && a != NULL);
	set_status(o, az->status);
	CHECK(json_object_set_new(o, "identifier",
	                          json_pack("{s:s, s:s}", "type", "dns", "value", az->identifier)) ==
	      0);
	CHECK(json_object_set_new(o, "wildcard", json_boolean(az->wildcard)) == 0);
	for (size_t i = 0; i < az->nchallenges; i++) {
		const struct acme_challenge *c = &az->challenges[i];
		json_t *ch = json_object();

		CHECK(ch != NULL);
		set_str(ch, "type", c->type);
		set_str(ch, "url", c->url);
		/* required: an unknown status was some string; "unknown" maps back */
		set_str(ch, "status", acme_status_name(c->status));
		set_str(ch, "token", c->token);
		set_error(ch, &c->error);
		CHECK(json_array_append_new(a, ch) == 0);
	}
	CHECK(json_object_set_new(o, "challenges", a) == 0);
	return o;
}

static bool
same_problem(const struct acme_problem *a, const struct acme_problem *b)
{
	return same(a->type, b->type) && same(a->detail, b->detail) && a->status == b->status;
}

static bool
same_directory(const struct acme_directory *a, const struct acme_directory *b)
{
	return same(a->new_nonce, b->new_nonce) && same(a->new_account, b->new_account) &&
	       same(a->new_order, b->new_order) &&
	       same(a->terms_of_service, b->terms_of_service) && a->eab_required == b->eab_required;
}

static bool
same_order(const struct acme_order *a, const struct acme_order *b)
{
	if (a->status != b->status || a->nauthorizations != b->nauthorizations ||
	    !same(a->finalize, b->finalize) || !same(a->certificate, b->certificate) ||
	    !same_problem(&a->error, &b->error))
		return false;
	for (size_t i = 0; i < a->nauthorizations; i++) {
		if (!same(a->authorizations[i], b->authorizations[i]))
			return false;
	}
	return true;
}

static bool
same_authz(const struct acme_authz *a, const struct acme_authz *b)
{
	if (a->status != b->status || !same(a->identifier, b->identifier) ||
	    a->wildcard != b->wildcard || a->nchallenges != b->nchallenges)
		return false;
	for (size_t i = 0; i < a->nchallenges; i++) {
		const struct acme_challenge *x = &a->challenges[i], *y = &b->challenges[i];

		if (!same(x->type, y->type) || !same(x->url, y->url) || !same(x->token, y->token) ||
		    x->status != y->status || !same_problem(&x->error, &y->error))
			return false;
	}
	return true;
}

/* The JSON text of j, consumed. */
static char *
dump(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	CHECK(s != NULL);
	json_decref(j);
	return s;
}

/* Parse, check, write back, parse again, compare, free. */
static void
run(int kind, const char *doc, size_t len, char *err, size_t errlen)
{
	struct acme_problem p, p2;
	struct acme_directory d, d2;
	struct acme_order o, o2;
	struct acme_authz a, a2;
	char again[256];
	char *s = NULL;
	int rc = -1;

	switch (kind) {
	case 0:
		rc = acme_problem_parse(doc, len, &p, err, errlen);
		if (rc != 0) {
			CHECK(all_zero(&p, sizeof(p)));
			break;
		}
		check_problem(&p);
		s = dump(problem_json(&p));
		CHECK(acme_problem_parse(s, strlen(s), &p2, again, sizeof(again)) == 0);
		CHECK(same_problem(&p, &p2));
		acme_problem_free(&p2);
		acme_problem_free(&p);
		CHECK(all_zero(&p, sizeof(p)));
		break;
	case 1:
		rc = acme_directory_parse(doc, len, &d, err, errlen);
		if (rc != 0) {
			CHECK(all_zero(&d, sizeof(d)));
			break;
		}
		check_directory(&d);
		s = dump(directory_json(&d));
		CHECK(acme_directory_parse(s, strlen(s), &d2, again, sizeof(again)) == 0);
		CHECK(same_directory(&d, &d2));
		acme_directory_free(&d2);
		acme_directory_free(&d);
		CHECK(all_zero(&d, sizeof(d)));
		break;
	case 2:
		rc = acme_order_parse(doc, len, &o, err, errlen);
		if (rc != 0) {
			CHECK(all_zero(&o, sizeof(o)));
			break;
		}
		check_order(&o);
		s = dump(order_json(&o));
		CHECK(acme_order_parse(s, strlen(s), &o2, again, sizeof(again)) == 0);
		CHECK(same_order(&o, &o2));
		acme_order_free(&o2);
		acme_order_free(&o);
		CHECK(all_zero(&o, sizeof(o)));
		break;
	default:
		rc = acme_authz_parse(doc, len, &a, err, errlen);
		if (rc != 0) {
			CHECK(all_zero(&a, sizeof(a)));
			break;
		}
		check_authz(&a);
		s = dump(authz_json(&a));
		CHECK(acme_authz_parse(s, strlen(s), &a2, again, sizeof(again)) == 0);
		CHECK(same_authz(&a, &a2));
		acme_authz_free(&a2);
		acme_authz_free(&a);
		CHECK(all_zero(&a, sizeof(a)));
		break;
	}
	free(s);
	CHECK(rc == 0 || rc == -1);
	if (len > DOC_MAX)
		CHECK(rc == -1);
	if (rc == 0)
		return;
	/* the reason: inside the buffer, printable, named after the document */
	CHECK(memchr(err, '\0', errlen) != NULL);
	for (size_t i = 0; err[i] != '\0'; i++)
		CHECK(err[i] >= 0x20 && err[i] < 0x7f);
	CHECK(errlen == 1 || err[0] != '\0');
	CHECK(strncmp(err, doc_names[kind], strnlen(doc_names[kind], errlen - 1)) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t errlen;
	char *doc, *err;

	if (size == 0)
		return 0;
	errlen = (data[0] & 4) != 0 ? 256 : 1 + (size_t)(data[0] >> 3);
	doc = malloc(size > 1 ? size - 1 : 1);  /* malloc(0) may return NULL */
	err = malloc(errlen);
	CHECK(doc != NULL && err != NULL);
	memcpy(doc, data + 1, size - 1);
	memset(err, 0x5a, errlen);
	run(data[0] & 3, doc, size - 1, err, errlen);
	free(err);
	free(doc);
	return 0;
}
