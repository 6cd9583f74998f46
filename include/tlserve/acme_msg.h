/* acme_msg: the JSON documents of RFC 8555 that tlserve reads from an ACME
 * server (directory, order, authorization, problem), parsed with jansson into
 * plain structs. Pure: no I/O, no logging, no global state. Everything a
 * document holds that tlserve later sends somewhere or serves is validated
 * here: URLs are https:// and printable, tokens are base64url (RFC 8555
 * 8.1), identifiers are DNS names. A document that does not fit gives -1
 * with a one-line reason in err; the struct is then left empty (safe to free).
 * Strings in the structs are owned by them: free with the matching _free. */
#ifndef TLSERVE_ACME_MSG_H
#define TLSERVE_ACME_MSG_H
#include <stdbool.h>
#include <stddef.h>

#define ACME_URL_MAX   2048  /* longer URLs are refused */
#define ACME_TOKEN_MAX 256   /* longer tokens are refused */

/* Object status (RFC 8555 7.1.6). */
enum acme_status {
	ACME_STATUS_UNKNOWN,     /* absent or not one of these */
	ACME_STATUS_PENDING,
	ACME_STATUS_READY,
	ACME_STATUS_PROCESSING,
	ACME_STATUS_VALID,
	ACME_STATUS_INVALID,
	ACME_STATUS_DEACTIVATED,
	ACME_STATUS_EXPIRED,
	ACME_STATUS_REVOKED,
};
const char *acme_status_name(enum acme_status);  /* "pending", ..., "unknown" */

/* RFC 7807 problem document (RFC 8555 6.7). type and detail may be NULL. */
struct acme_problem {
	char *type;      /* "urn:ietf:params:acme:error:badNonce" */
	char *detail;
	int status;      /* the "status" member, 0 when absent */
};

/* 7.1.1. new_nonce, new_account, new_order required; the rest may be NULL. */
struct acme_directory {
	char *new_nonce, *new_account, *new_order;
	char *terms_of_service;          /* meta.termsOfService */
	bool eab_required;               /* meta.externalAccountRequired */
};

/* 7.1.3. finalize required; authorizations at least one (at most 100);
 * certificate present once valid; error when the CA gave one. */
struct acme_order {
	enum acme_status status;
	char **authorizations;
	size_t nauthorizations;
	char *finalize;
	char *certificate;
	struct acme_problem error;       /* all NULL/0 when absent */
};

/* 7.1.4 and 8. type, url and status required; token may be NULL for types
 * tlserve does not answer, but is required (and checked) for "http-01" and
 * "tls-alpn-01". */
struct acme_challenge {
	char *type;
	char *url;
	char *token;
	enum acme_status status;
	struct acme_problem error;
};

/* 7.1.4. identifier must be of type "dns" (value lower-cased, a valid DNS
 * name); at most 16 challenges are kept. */
struct acme_authz {
	enum acme_status status;
	char *identifier;
	bool wildcard;
	struct acme_challenge *challenges;
	size_t nchallenges;
};

/* Each: 0, or -1 with a reason in err[errlen] (e.g. "order: finalize is not an https URL"). */
int acme_problem_parse(const char *json, size_t len, struct acme_problem *out, char *err,
                       size_t errlen);
int acme_directory_parse(const char *json, size_t len, struct acme_directory *out, char *err,
                         size_t errlen);
int acme_order_parse(const char *json, size_t len, struct acme_order *out, char *err,
                     size_t errlen);
int acme_authz_parse(const char *json, size_t len, struct acme_authz *out, char *err,
                     size_t errlen);

void acme_problem_free(struct acme_problem *);
void acme_directory_free(struct acme_directory *);
void acme_order_free(struct acme_order *);
void acme_authz_free(struct acme_authz *);

/* The challenge of that type ("http-01"), or NULL. */
const struct acme_challenge *acme_authz_challenge(const struct acme_authz *, const char *type);

/* Is s[0..n) a valid https URL as this module accepts them (https://,
 * printable ASCII without space, at most ACME_URL_MAX)? And a token? */
bool acme_url_ok(const char *s, size_t n);
bool acme_token_ok(const char *s, size_t n);

#endif
