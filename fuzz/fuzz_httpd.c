/* libFuzzer harness for the handler's decision over a parsed head
 * (http_decide), after http_parse_request. Asserts the property that keeps
 * requests from being smuggled: a response that keeps the connection open
 * consumed exactly the request's bytes, i.e. the head, and the request
 * announced no body (checked here independently of http.c: no
 * Transfer-Encoding line, and every Content-Length line only zeros). Also:
 * the status is one of the documented set, and a status that closes never
 * keeps the connection. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlserve/http.h"

#define CHECK(x) ((x) ? (void)0 : abort())

/* ASCII case-insensitive equality of a span and a lower-case literal. */
static int
is(struct http_span s, const char *lit)
{
	size_t i;

	for (i = 0; i < s.n && lit[i]; i++) {
		char c = s.p[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if (c != lit[i])
			return 0;
	}
	return i == s.n && lit[i] == '\0';
}

/* Does the head announce a body (RFC 9112 6.3)? Any Transfer-Encoding line,
 * or a Content-Length line holding anything but zeros, commas and OWS. */
static int
announces_body(const struct http_request *r)
{
	for (size_t i = 0; i < r->nhdr; i++) {
		struct http_span v = r->hdr[i].value;

		if (is(r->hdr[i].name, "transfer-encoding"))
			return 1;
		if (!is(r->hdr[i].name, "content-length"))
			continue;
		if (v.n == 0)
			return 1;  /* malformed: unknown framing */
		for (size_t k = 0; k < v.n; k++)
			if (v.p[k] != '0' && v.p[k] != ',' && v.p[k] != ' ' && v.p[k] != '\t')
				return 1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_limits lim = {8192, 64};
	struct http_header hdr[64];
	struct http_request r = {.hdr = hdr, .nhdr = 64};
	struct http_index ix;
	struct http_verdict v;
	int n = http_parse_request((const char *)data, size, 0, &lim, &r);

	if (n <= 0)
		return 0;
	http_index_headers(&r, &ix);
	http_decide(&r, &ix, (size_t)n, &v);
	CHECK(v.status == 0 || v.status == 204 || v.status == 400 || v.status == 405 ||
	      v.status == 413 || v.status == 501);
	CHECK(v.consumed == (size_t)n);
	if (v.keepalive) {
		CHECK(!announces_body(&r));
		CHECK(!v.has_body);
		CHECK(v.status == 0 || v.status == 204);
	}
	if (announces_body(&r))
		CHECK(!v.keepalive);
	if (v.status == 400 || v.status == 405 || v.status == 413 || v.status == 501)
		CHECK(!v.keepalive);
	/* the method answer follows the method alone once the head is sound */
	if (v.status == 0)
		CHECK(r.method.n == 3 ? memcmp(r.method.p, "GET", 3) == 0
		                      : r.method.n == 4 && memcmp(r.method.p, "HEAD", 4) == 0);
	return 0;
}
