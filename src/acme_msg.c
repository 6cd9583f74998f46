/* acme_msg: the RFC 8555 JSON documents tlserve reads from an ACME server,
 * parsed with jansson into plain structs. Pure: no I/O, no logging, no
 * globals (jansson keeps its own hash seed). Every string handed back is a
 * copy owned by the struct; the jansson tree is dropped before returning.
 *
 * Each parser follows one shape:
 *
 *   bytes ─► load (<= DOC_MAX, JSON_REJECT_DUPLICATES, a JSON object) ─► tree
 *   tree  ─► one getter per member the struct holds: absent / wrong type /
 *            invalid value give -1 with "DOC: MEMBER ..." in err
 *   -1    ─► the _free of the struct: everything copied so far released,
 *            the struct zeroed
 *
 * Members the struct does not hold are never looked at, so new fields a CA
 * adds (Let's Encrypt even publishes a random one in its directory) cost
 * nothing. Reasons are made only of this file's text and jansson's message
 * about the syntax; both are cleaned of control bytes since callers log them.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlserve/acme_msg.h"

#define DOC_MAX (64 * 1024)  /* a larger answer is not an ACME document */
#define TEXT_MAX 1024        /* problem type and detail: they end up in one log line */
#define AUTHZ_MAX 100        /* authorizations in an order: above any CA's name limit */
#define CHALL_MAX 16         /* challenges kept per authorization */
#define CHALL_TYPE_MAX 64
#define DNS_NAME_MAX 253     /* RFC 1035 2.3.4, without the trailing dot */
#define DNS_LABEL_MAX 63

/* The caller's error buffer (may be NULL or empty: then nothing is written). */
struct why {
	char *buf;
	size_t len;
};

static const char *const status_names[] = {
	[ACME_STATUS_UNKNOWN] = "unknown",         [ACME_STATUS_PENDING] = "pending",
	[ACME_STATUS_READY] = "ready",             [ACME_STATUS_PROCESSING] = "processing",
	[ACME_STATUS_VALID] = "valid",             [ACME_STATUS_INVALID] = "invalid",
	[ACME_STATUS_DEACTIVATED] = "deactivated", [ACME_STATUS_EXPIRED] = "expired",
	[ACME_STATUS_REVOKED] = "revoked",
};

#define NSTATUS (sizeof(status_names) / sizeof(status_names[0]))

const char *
acme_status_name(enum acme_status s)
{
	if ((size_t)s >= NSTATUS)
		return "unknown";
	return status_names[s];
}

/* "WHERE: what" into w; any byte outside printable ASCII becomes '?', since
 * jansson quotes the offending input in its messages. Returns -1. */
static int __attribute__((format(printf, 3, 4)))
fail(struct why *w, const char *where, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	if (w->buf == NULL || w->len == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(w->buf, w->len, "%s: %s", where, what);
	for (unsigned char *p = (unsigned char *)w->buf; *p != '\0'; p++) {
		if (*p < 0x20 || *p >= 0x7f)
			*p = '?';
	}
	return -1;
}

bool
acme_url_ok(const char *s, size_t n)
{
	static const char scheme[] = "https://";
	const size_t k = sizeof(scheme) - 1;

	if (s == NULL || n <= k || n > ACME_URL_MAX || memcmp(s, scheme, k) != 0)
		return false;
	/* "https:///x", "https://?": no host to connect to */
	if (s[k] == '/' || s[k] == '?' || s[k] == '#')
		return false;
	for (size_t i = k; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f)
			return false;
	}
	return true;
}

/* RFC 8555 8.1: "base64url" alphabet (RFC 4648 section 5), no padding. The
 * token becomes a path segment (/.well-known/acme-challenge/TOKEN) and part
 * of the key authorization: this alphabet has no '/', '.', '%' or space. */
bool
acme_token_ok(const char *s, size_t n)
{
	if (s == NULL || n == 0 || n > ACME_TOKEN_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	return true;
}

/* A lower-case DNS name: labels of 1..63 [a-z0-9-] not starting or ending
 * with '-', at most 253 bytes, no trailing dot (RFC 1123 2.1). Wildcard
 * authorizations carry the base name (RFC 8555 7.1.4), so no '*' either. */
static bool
dns_name_ok(const char *s, size_t n)
{
	size_t label = 0;

	if (n == 0 || n > DNS_NAME_MAX)
		return false;
	for (size_t i = 0; i <= n; i++) {
		char c = i < n ? s[i] : '.';

		if (c == '.') {
			if (label == 0 || label > DNS_LABEL_MAX || s[i - 1] == '-')
				return false;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		           (c == '-' && label > 0)) {
			label++;
		} else {
			return false;
		}
	}
	return true;
}

/* Challenge types are registry names ("http-01", "dns-account-01"): short
 * and printable, since an unknown one may be logged. */
static bool
chall_type_ok(const char *s, size_t n)
{
	if (n == 0 || n > CHALL_TYPE_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	}
	return true;
}

/* A copy of s[0..n) (jansson strings hold no NUL: JSON_ALLOW_NUL is not set). */
static int
copy(struct why *w, const char *where, const char *s, size_t n, char **out)
{
	*out = strndup(s, n);
	if (*out == NULL)
		return fail(w, where, "out of memory");
	return 0;
}

/* Text for a log line: at most TEXT_MAX bytes, cut on a character boundary
 * (jansson has checked the UTF-8), each C0 or C1 control character or DEL
 * replaced by one '?'. O(n). */
static int
copy_text(struct why *w, const char *where, const char *s, size_t n, char **out)
{
	size_t cut = n, k = 0;
	char *t;

	if (cut > TEXT_MAX) {
		cut = TEXT_MAX;
		while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
			cut--;
	}
	t = malloc(cut + 1);
	if (t == NULL)
		return fail(w, where, "out of memory");
	for (size_t i = 0; i < cut; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == 0xc2 && i + 1 < cut && (unsigned char)s[i + 1] <= 0x9f) {
			t[k++] = '?';  /* U+0080..U+009F */
			i++;
		} else {
			t[k++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
		}
	}
	t[k] = '\0';
	*out = t;
	return 0;
}

/* The string member key of o, borrowed from the tree: NULL when absent (an
 * error when required). */
static int
get_string(struct why *w, const char *where, json_t *o, const char *key, bool required,
           const char **s, size_t *n)
{
	json_t *v = json_object_get(o, key);

	*s = NULL;
	*n = 0;
	if (v == NULL) {
		if (required)
			return fail(w, where, "%s is missing", key);
		return 0;
	}
	if (!json_is_string(v))
		return fail(w, where, "%s is not a string", key);
	*s = json_string_value(v);
	*n = json_string_length(v);
	return 0;
}

/* A URL member, copied; *out stays NULL when absent and not required. */
static int
get_url(struct why *w, const char *where, json_t *o, const char *key, bool required,
        char **out)
{
	const char *s;
	size_t n;

	if (get_string(w, where, o, key, required, &s, &n) != 0)
		return -1;
	if (s == NULL)
		return 0;
	if (!acme_url_ok(s, n))
		return fail(w, where, "%s is not an https URL", key);
	return copy(w, where, s, n, out);
}

/* The "status" member (7.1.6); a string this module does not know is
 * ACME_STATUS_UNKNOWN, as is an absent one when not required. */
static int
get_status(struct why *w, const char *where, json_t *o, bool required, enum acme_status *st)
{
	const char *s;
	size_t n;

	*st = ACME_STATUS_UNKNOWN;
	if (get_string(w, where, o, "status", required, &s, &n) != 0)
		return -1;
	for (size_t i = 1; s != NULL && i < NSTATUS; i++) {
		if (strcmp(s, status_names[i]) == 0)
			*st = (enum acme_status)i;
	}
	return 0;
}

/* An optional boolean member; false when absent. */
static int
get_bool(struct why *w, const char *where, json_t *o, const char *key, bool *out)
{
	json_t *v = json_object_get(o, key);

	*out = false;
	if (v == NULL)
		return 0;
	if (!json_is_boolean(v))
		return fail(w, where, "%s is not a boolean", key);
	*out = json_is_true(v);
	return 0;
}

/* The document as a JSON object, or -1. DOC_MAX is checked before jansson
 * sees a byte; jansson itself bounds the nesting depth (2048). */
static int
load(struct why *w, const char *where, const char *json, size_t len, json_t **root)
{
	json_error_t je;

	*root = NULL;
	if (len > DOC_MAX)
		return fail(w, where, "document larger than %d bytes", DOC_MAX);
	if (json == NULL && len > 0)
		return fail(w, where, "no document");
	*root = json_loadb(json != NULL ? json : "", len, JSON_REJECT_DUPLICATES, &je);
	if (*root == NULL)
		return fail(w, where, "bad JSON at line %d column %d: %s", je.line, je.column,
		            je.text);
	if (!json_is_object(*root)) {
		json_decref(*root);
		*root = NULL;
		return fail(w, where, "not a JSON object");
	}
	return 0;
}

/* RFC 7807 / RFC 8555 6.7: every member optional. status, when present, is
 * the HTTP status the problem came with. */
static int
problem_from(struct why *w, const char *where, json_t *o, struct acme_problem *p)
{
	json_t *v;
	const char *s;
	size_t n;

	if (!json_is_object(o))
		return fail(w, where, "not an object");
	if (get_string(w, where, o, "type", false, &s, &n) != 0 ||
	    (s != NULL && copy_text(w, where, s, n, &p->type) != 0))
		return -1;
	if (get_string(w, where, o, "detail", false, &s, &n) != 0 ||
	    (s != NULL && copy_text(w, where, s, n, &p->detail) != 0))
		return -1;
	v = json_object_get(o, "status");
	if (v != NULL) {
		if (!json_is_integer(v))
			return fail(w, where, "status is not an integer");
		if (json_integer_value(v) < 100 || json_integer_value(v) > 599)
			return fail(w, where, "status is not an HTTP status");
		p->status = (int)json_integer_value(v);
	}
	return 0;
}

/* An optional "error" member (orders 7.1.3, challenges 8). */
static int
error_from(struct why *w, const char *where, json_t *o, struct acme_problem *p)
{
	char at[96];
	json_t *v = json_object_get(o, "error");

	if (v == NULL)
		return 0;
	snprintf(at, sizeof(at), "%s: error", where);
	return problem_from(w, at, v, p);
}

int
acme_problem_parse(const char *json, size_t len, struct acme_problem *out, char *err,
                   size_t errlen)
{
	struct why w = { err, errlen };
	json_t *root;
	int rc;

	memset(out, 0, sizeof(*out));
	if (load(&w, "problem", json, len, &root) != 0)
		return -1;
	rc = problem_from(&w, "problem", root, out);
	json_decref(root);
	if (rc != 0)
		acme_problem_free(out);
	return rc;
}

/* 7.1.1. A termsOfService that is not an https URL is dropped, not an
 * error: pebble publishes a data: URL there, and tlserve only agrees to it. */
int
acme_directory_parse(const char *json, size_t len, struct acme_directory *out, char *err,
                     size_t errlen)
{
	static const char *const where = "directory";
	struct why w = { err, errlen };
	json_t *root, *meta;
	const char *s;
	size_t n;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (load(&w, where, json, len, &root) != 0)
		return -1;
	if (get_url(&w, where, root, "newNonce", true, &out->new_nonce) != 0 ||
	    get_url(&w, where, root, "newAccount", true, &out->new_account) != 0 ||
	    get_url(&w, where, root, "newOrder", true, &out->new_order) != 0)
		goto out;
	meta = json_object_get(root, "meta");
	if (meta != NULL) {
		if (!json_is_object(meta)) {
			fail(&w, where, "meta is not an object");
			goto out;
		}
		if (get_string(&w, "directory: meta", meta, "termsOfService", false, &s, &n) != 0 ||
		    (s != NULL && acme_url_ok(s, n) &&
		     copy(&w, where, s, n, &out->terms_of_service) != 0) ||
		    get_bool(&w, "directory: meta", meta, "externalAccountRequired",
		             &out->eab_required) != 0)
			goto out;
	}
	rc = 0;
out:
	json_decref(root);
	if (rc != 0)
		acme_directory_free(out);
	return rc;
}

/* 7.1.3 "authorizations": 1..AUTHZ_MAX https URLs. */
static int
authorizations_from(struct why *w, const char *where, json_t *o, struct acme_order *ord)
{
	json_t *a = json_object_get(o, "authorizations");
	size_t n;

	if (a == NULL)
		return fail(w, where, "authorizations is missing");
	if (!json_is_array(a))
		return fail(w, where, "authorizations is not an array");
	n = json_array_size(a);
	if (n == 0)
		return fail(w, where, "authorizations is empty");
	if (n > AUTHZ_MAX)
		return fail(w, where, "more than %d authorizations", AUTHZ_MAX);
	ord->authorizations = calloc(n, sizeof(*ord->authorizations));
	if (ord->authorizations == NULL)
		return fail(w, where, "out of memory");
	ord->nauthorizations = n;
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(a, i);

		if (!json_is_string(v))
			return fail(w, where, "authorizations[%zu] is not a string", i);
		if (!acme_url_ok(json_string_value(v), json_string_length(v)))
			return fail(w, where, "authorizations[%zu] is not an https URL", i);
		if (copy(w, where, json_string_value(v), json_string_length(v),
		         &ord->authorizations[i]) != 0)
			return -1;
	}
	return 0;
}

/* 7.1.3. The identifiers are not kept: the caller knows what it ordered. A
 * valid order must say where its certificate is (7.4). */
int
acme_order_parse(const char *json, size_t len, struct acme_order *out, char *err,
                 size_t errlen)
{
	static const char *const where = "order";
	struct why w = { err, errlen };
	json_t *root;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (load(&w, where, json, len, &root) != 0)
		return -1;
	if (get_status(&w, where, root, false, &out->status) != 0 ||
	    authorizations_from(&w, where, root, out) != 0 ||
	    get_url(&w, where, root, "finalize", true, &out->finalize) != 0 ||
	    get_url(&w, where, root, "certificate", false, &out->certificate) != 0 ||
	    error_from(&w, where, root, &out->error) != 0)
		goto out;
	if (out->status == ACME_STATUS_VALID && out->certificate == NULL) {
		fail(&w, where, "valid without a certificate URL");
		goto out;
	}
	rc = 0;
out:
	json_decref(root);
	if (rc != 0)
		acme_order_free(out);
	return rc;
}

/* Section 8: type, url and status always; the token (8.3, RFC 8737 3) is
 * what tlserve serves or puts into a certificate, so it is required for the
 * two types tlserve answers and checked whenever present. */
static int
challenge_from(struct why *w, const char *where, json_t *o, struct acme_challenge *c)
{
	const char *s;
	size_t n;
	bool answered;

	if (!json_is_object(o))
		return fail(w, where, "not an object");
	if (get_string(w, where, o, "type", true, &s, &n) != 0)
		return -1;
	if (!chall_type_ok(s, n))
		return fail(w, where, "type is not a challenge type");
	if (copy(w, where, s, n, &c->type) != 0)
		return -1;
	answered = strcmp(c->type, "http-01") == 0 || strcmp(c->type, "tls-alpn-01") == 0;
	if (get_url(w, where, o, "url", true, &c->url) != 0 ||
	    get_status(w, where, o, true, &c->status) != 0 ||
	    get_string(w, where, o, "token", answered, &s, &n) != 0)
		return -1;
	if (s != NULL) {
		if (!acme_token_ok(s, n))
			return fail(w, where, "token is not base64url of 1 to %d characters",
			            ACME_TOKEN_MAX);
		if (copy(w, where, s, n, &c->token) != 0)
			return -1;
	}
	return error_from(w, where, o, &c->error);
}

/* 7.1.4 "identifier": {"type": "dns", "value": NAME}, NAME lower-cased. */
static int
identifier_from(struct why *w, const char *where, json_t *o, struct acme_authz *a)
{
	static const char *const at = "authz: identifier";
	json_t *id = json_object_get(o, "identifier");
	const char *s;
	size_t n;

	if (id == NULL)
		return fail(w, where, "identifier is missing");
	if (!json_is_object(id))
		return fail(w, where, "identifier is not an object");
	if (get_string(w, at, id, "type", true, &s, &n) != 0)
		return -1;
	if (strcmp(s, "dns") != 0)
		return fail(w, at, "type is not dns");
	if (get_string(w, at, id, "value", true, &s, &n) != 0 ||
	    copy(w, at, s, n, &a->identifier) != 0)
		return -1;
	for (char *p = a->identifier; *p != '\0'; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	}
	if (!dns_name_ok(a->identifier, n))
		return fail(w, at, "value is not a DNS name");
	return 0;
}

/* 7.1.4 "challenges": the first CHALL_MAX are kept and checked, the rest
 * not looked at. An empty list is allowed (nothing to answer). */
static int
challenges_from(struct why *w, const char *where, json_t *o, struct acme_authz *a)
{
	json_t *arr = json_object_get(o, "challenges");
	char at[64];
	size_t n;

	if (arr == NULL)
		return fail(w, where, "challenges is missing");
	if (!json_is_array(arr))
		return fail(w, where, "challenges is not an array");
	n = json_array_size(arr);
	if (n > CHALL_MAX)
		n = CHALL_MAX;
	if (n == 0)
		return 0;
	a->challenges = calloc(n, sizeof(*a->challenges));
	if (a->challenges == NULL)
		return fail(w, where, "out of memory");
	a->nchallenges = n;
	for (size_t i = 0; i < n; i++) {
		snprintf(at, sizeof(at), "%s: challenges[%zu]", where, i);
		if (challenge_from(w, at, json_array_get(arr, i), &a->challenges[i]) != 0)
			return -1;
	}
	return 0;
}

int
acme_authz_parse(const char *json, size_t len, struct acme_authz *out, char *err,
                 size_t errlen)
{
	static const char *const where = "authz";
	struct why w = { err, errlen };
	json_t *root;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (load(&w, where, json, len, &root) != 0)
		return -1;
	if (get_status(&w, where, root, false, &out->status) != 0 ||
	    identifier_from(&w, where, root, out) != 0 ||
	    get_bool(&w, where, root, "wildcard", &out->wildcard) != 0 ||
	    challenges_from(&w, where, root, out) != 0)
		goto out;
	rc = 0;
out:
	json_decref(root);
	if (rc != 0)
		acme_authz_free(out);
	return rc;
}

const struct acme_challenge *
acme_authz_challenge(const struct acme_authz *a, const char *type)
{
	if (a == NULL || type == NULL)
		return NULL;
	for (size_t i = 0; i < a->nchallenges; i++) {
		if (a->challenges[i].type != NULL && strcmp(a->challenges[i].type, type) == 0)
			return &a->challenges[i];
	}
	return NULL;
}

/* Each _free takes NULL, releases what a partial parse left, and zeroes the
 * struct so a second call is harmless. */
void
acme_problem_free(struct acme_problem *p)
{
	if (p == NULL)
		return;
	free(p->type);
	free(p->detail);
	memset(p, 0, sizeof(*p));
}

void
acme_directory_free(struct acme_directory *d)
{
	if (d == NULL)
		return;
	free(d->new_nonce);
	free(d->new_account);
	free(d->new_order);
	free(d->terms_of_service);
	memset(d, 0, sizeof(*d));
}

void
acme_order_free(struct acme_order *o)
{
	if (o == NULL)
		return;
	for (size_t i = 0; i < o->nauthorizations; i++)
		free(o->authorizations[i]);
	free(o->authorizations);
	free(o->finalize);
	free(o->certificate);
	acme_problem_free(&o->error);
	memset(o, 0, sizeof(*o));
}

void
acme_authz_free(struct acme_authz *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->nchallenges; i++) {
		free(a->challenges[i].type);
		free(a->challenges[i].url);
		free(a->challenges[i].token);
		acme_problem_free(&a->challenges[i].error);
	}
	free(a->challenges);
	free(a->identifier);
	memset(a, 0, sizeof(*a));
}
