/* http: the HTTP/1.x request-head parser (RFC 9112 sections 2-5) and header helpers.
 * Pure: no I/O, no allocation, no globals besides const tables. Every span handed
 * back points into the caller's buffer; nothing here ever writes to that buffer.
 *
 * What one request head looks like, and where the parser's pointers go:
 *
 *   [CRLF]* method SP target SP HTTP/d.d CRLF  ( name ":" OWS value OWS CRLF )*  CRLF
 *   ^buf    ^method   ^target   ^version         ^name        ^value
 *                                            returned: the offset just past the head ^
 *
 * CRLF may be a bare LF throughout (RFC 9112 2.2 allows a recipient to accept it,
 * as nginx and picohttpparser do); a bare CR is always an error.
 *
 * Cost: one pass over the head, one table lookup per byte. When the caller
 * says which prefix it already offered (last_len), only the new bytes are
 * looked at until they can end (or break) the head, so a head trickling in
 * byte by byte costs O(n), not O(n^2).
 */
#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <string.h>

#include "tlserve/http.h"
#include "tlserve/util.h"


/* Internal result of the step functions: 0 done (pointer advanced), NEED when the
 * bytes run out before the element is complete, or an HTTP status (400, 505). */
#define NEED -2

/* Byte classes, one table lookup per byte on the hot path. */
#define C_TCHAR 1  /* token (RFC 9110 5.6.2): methods and field names */
#define C_VCHAR 2  /* visible ASCII 0x21-0x7e: the request-target */
#define C_FIELD 4  /* field-value byte (RFC 9110 5.5): HTAB, SP, VCHAR, obs-text */

static const unsigned char cls[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0,  /* 0x00 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 0x10 */
	4, 7, 6, 7, 7, 7, 7, 7, 6, 6, 7, 7, 6, 7, 7, 6,  /* 0x20  !"#$%&'()*+,-./ */
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 6, 6, 6, 6, 6,  /* 0x30 0-9:;<=>? */
	6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,  /* 0x40 @A-O */
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 6, 6, 7, 7,  /* 0x50 P-Z[\]^_ */
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,  /* 0x60 `a-o */
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 7, 6, 7, 0,  /* 0x70 p-z{|}~ DEL */
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,  /* 0x80 obs-text ... */
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,  /* 0xf0 */
};

#define IS(c, k) (cls[(unsigned char)(c)] & (k))

/* Consume one line ending at *pp: CRLF or bare LF. Returns 0, NEED, or 400 for a
 * CR not followed by LF or any other byte (RFC 9112 2.2: a bare CR is invalid). */
static int
eol(const char **pp, const char *end)
{
	const char *p = *pp;

	if (p == end)
		return NEED;
	if (*p == '\r') {
		if (++p == end)
			return NEED;
		if (*p != '\n')
			return 400;
	} else if (*p != '\n') {
		return 400;
	}
	*pp = p + 1;
	return 0;
}

/* Skip the empty lines a client may send before the request line (RFC 9112 2.2
 * says a server SHOULD ignore at least one). Returns 0, NEED or 400 (bare CR). */
static int
skip_empty_lines(const char **pp, const char *end)
{
	int r;

	while (*pp < end && (**pp == '\r' || **pp == '\n')) {
		if ((r = eol(pp, end)) != 0)
			return r;
	}
	return *pp == end ? NEED : 0;
}

/* Scan a run of bytes of class k, non-empty, ended by the byte stop; sets *s
 * to the run and moves past stop. Returns 0, NEED, or 400 for an empty run or
 * any other terminator (a second SP, HTAB, a CTL, a missing colon, ...). */
static int
span_until(const char **pp, const char *end, int k, char stop, struct http_span *s)
{
	const char *p = *pp;

	while (p < end && IS(*p, k))
		p++;
	if (p == end)
		return NEED;
	if (*p != stop || p == *pp)
		return 400;
	s->p = *pp;
	s->n = (size_t)(p - *pp);
	*pp = p + 1;
	return 0;
}

/* HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive (RFC 9112 2.3), then the
 * line end. Checked byte by byte so a prefix is NEED, never 400. Returns 0 with
 * *minor set, NEED, 400 when malformed, or 505 for a well-formed version other
 * than 1.0/1.1 (RFC 9110 15.6.6), decided only once the line is complete. */
static int
version_eol(const char **pp, const char *end, int *minor)
{
	static const char pat[] = "HTTP/9.9";  /* '9' stands for any digit */
	const char *p = *pp;
	int r;

	for (size_t i = 0; i < sizeof(pat) - 1; i++, p++) {
		if (p == end)
			return NEED;
		if (pat[i] == '9' ? (unsigned char)(*p - '0') > 9 : *p != pat[i])
			return 400;
	}
	if ((r = eol(&p, end)) != 0)
		return r;
	if ((*pp)[5] != '1' || (*pp)[7] > '1')
		return 505;
	*minor = (*pp)[7] - '0';
	*pp = p;
	return 0;
}

/* request-line = method SP request-target SP HTTP-version CRLF (RFC 9112 3).
 * Exactly one SP between the parts: the lenient whitespace RFC 9112 3 permits
 * is what request smuggling feeds on. Returns 0, NEED, 400 or 505. */
static int
request_line(const char **pp, const char *end, struct http_request *out)
{
	int r;

	if ((r = span_until(pp, end, C_TCHAR, ' ', &out->method)) != 0)
		return r;
	if ((r = span_until(pp, end, C_VCHAR, ' ', &out->target)) != 0)
		return r;
	return version_eol(pp, end, &out->minor);
}

/* field-line = field-name ":" OWS field-value OWS (RFC 9112 5). No whitespace
 * before the colon (RFC 9112 5.1 requires a 400); a line that starts with SP or
 * HTAB is obs-fold (RFC 9112 5.2), rejected here as an empty name. Value bytes
 * are those of RFC 9110 5.5; CR, LF and NUL inside a value are errors (5.5).
 * Returns 0, NEED or 400. */
static int
field_line(const char **pp, const char *end, struct http_header *h)
{
	const char *p, *v, *e;
	int r;

	if ((r = span_until(pp, end, C_TCHAR, ':', &h->name)) != 0)
		return r;
	p = *pp;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	v = p;
	while (p < end && IS(*p, C_FIELD))
		p++;
	e = p;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if ((r = eol(&p, end)) != 0)
		return r;
	h->value.p = v;
	h->value.n = (size_t)(e - v);
	*pp = p;
	return 0;
}

/* The header fields up to and including the empty line that ends the head.
 * Returns 0 with *n set, NEED, 400, or 431 on more than maxh fields. */
static int
fields(const char **pp, const char *end, struct http_header *hdr, size_t maxh, size_t *n)
{
	size_t i = 0;
	int r;

	for (;;) {
		if (*pp == end)
			return NEED;
		if (**pp == '\r' || **pp == '\n')
			break;
		if (i == maxh)
			return 431;
		if ((r = field_line(pp, end, &hdr[i])) != 0)
			return r;
		i++;
	}
	if ((r = eol(pp, end)) != 0)
		return r;
	*n = i;
	return 0;
}

/* Fast path for a caller that appends: 1 when buf[from..len) may end the head
 * or holds a byte that can never appear in one (a CTL, a bare CR), so a full
 * parse is due; 0 when the head is surely still incomplete. The end of a head
 * is always "\n\n" or "\n\r\n"; O(len - from). */
static int
may_end(const char *buf, size_t from, size_t len)
{
	const char *p = buf + from, *end = buf + len;

	for (; p < end; p++) {
		if (IS(*p, C_FIELD))
			continue;
		if (*p == '\n') {
			if (p + 1 < end && p[1] == '\n')
				return 1;
			if (p + 2 < end && p[1] == '\r' && p[2] == '\n')
				return 1;
		} else if (*p != '\r' || (p + 1 < end && p[1] != '\n')) {
			return 1;
		}
	}
	return 0;
}

/* Returns -1 with req->status set. */
static int
fail(struct http_request *req, int status)
{
	req->status = status;
	return -1;
}

/* See http.h. Only the first min(len, max_head) bytes are ever read; when the
 * head does not end within them and len has reached max_head, no more bytes can
 * help, so the answer is 414 (still in the request line) or 431 (in the fields).
 * On -2 and -1, req->nhdr keeps its capacity so the caller may simply retry. */
int
http_parse_request(const char *buf, size_t len, size_t last_len,
                   const struct http_limits *lim, struct http_request *req)
{
	size_t max = lim->max_head < INT_MAX ? lim->max_head : INT_MAX;
	size_t maxh = lim->max_headers < req->nhdr ? lim->max_headers : req->nhdr;
	size_t cap = len < max ? len : max;
	const char *p = buf, *end = buf + cap;
	struct http_request r;  /* request-line results, copied out only on success */
	size_t n = 0;
	int rc;

	if (last_len > 0 && last_len < len && len < max &&
	    !may_end(buf, last_len > 3 ? last_len - 3 : 0, len))
		return -2;

	if ((rc = skip_empty_lines(&p, end)) == 0)
		rc = request_line(&p, end, &r);
	if (rc == NEED)
		return len < max ? -2 : fail(req, 414);
	if (rc != 0)
		return fail(req, rc);

	rc = fields(&p, end, req->hdr, maxh, &n);
	if (rc == NEED)
		return len < max ? -2 : fail(req, 431);
	if (rc != 0)
		return fail(req, rc);

	req->method = r.method;
	req->target = r.target;
	req->minor = r.minor;
	req->nhdr = n;
	return (int)(p - buf);
}

/* 1 when the span equals the NUL-terminated name, ignoring ASCII case. */
static int
name_eq(struct http_span s, const char *name)
{
	return util_strieq(s.p, s.n, name);
}

/* See http.h. O(nhdr); the result points into req->hdr. */
const struct http_header *
http_find_header(const struct http_request *req, const char *name)
{
	for (size_t i = 0; i < req->nhdr; i++) {
		if (name_eq(req->hdr[i].name, name))
			return &req->hdr[i];
	}
	return NULL;
}

/* The id of a header name we act on, or HTTP_H_COUNT. Dispatch on the
 * length first, so most names cost one comparison at most. */
static enum http_hdr_id
http_header_id(struct http_span n)
{
	static const struct {
		const char *name;
		enum http_hdr_id id;
	} known[] = {
		{"host", HTTP_H_HOST},
		{"connection", HTTP_H_CONNECTION},
		{"content-length", HTTP_H_CONTENT_LENGTH},
		{"transfer-encoding", HTTP_H_TRANSFER_ENCODING},
		{"accept-encoding", HTTP_H_ACCEPT_ENCODING},
		{"if-none-match", HTTP_H_IF_NONE_MATCH},
		{"if-modified-since", HTTP_H_IF_MODIFIED_SINCE},
		{"if-match", HTTP_H_IF_MATCH},
		{"if-unmodified-since", HTTP_H_IF_UNMODIFIED_SINCE},
		{"if-range", HTTP_H_IF_RANGE},
		{"range", HTTP_H_RANGE},
		{"referer", HTTP_H_REFERER},
		{"user-agent", HTTP_H_USER_AGENT},
	};
	static const unsigned char len[] = {4, 10, 14, 17, 15, 13, 17, 8, 19, 8, 5, 7, 10};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (n.n == len[i] && name_eq(n, known[i].name))
			return known[i].id;
	return HTTP_H_COUNT;
}

/* See http.h. */
void
http_index_headers(const struct http_request *req, struct http_index *ix)
{
	memset(ix, 0, sizeof(*ix));
	for (size_t i = 0; i < req->nhdr; i++) {
		enum http_hdr_id id = http_header_id(req->hdr[i].name);

		if (id == HTTP_H_COUNT)
			continue;
		if (ix->count[id]++ == 0)
			ix->h[id] = &req->hdr[i];
	}
}

/* See http.h. O(nhdr). */
size_t
http_count_header(const struct http_request *req, const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < req->nhdr; i++)
		n += (size_t)name_eq(req->hdr[i].name, name);
	return n;
}

/* See http.h. #list elements (RFC 9110 5.6.1) are split on ',' and trimmed of
 * OWS; empty elements are skipped. O(value.n). */
int
http_has_token(struct http_span value, const char *token)
{
	const char *p = value.p, *end;

	if (value.n == 0)
		return 0;  /* also spares NULL + 0, which C leaves undefined */
	for (end = p + value.n; p < end;) {
		const char *s, *e;

		while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
		s = p;
		while (p < end && *p != ',')
			p++;
		e = p;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e > s && name_eq((struct http_span){ s, (size_t)(e - s) }, token))
			return 1;
	}
	return 0;
}


/* Two field names equal ignoring ASCII case. */
static int
span_ieq(struct http_span a, struct http_span b)
{
	if (a.n != b.n)
		return 0;
	for (size_t i = 0; i < a.n; i++)
		if (util_lower(a.p[i]) != util_lower(b.p[i]))
			return 0;
	return 1;
}

/* See http.h. */
const struct http_header *
http_next_header(const struct http_request *req, const struct http_header *h)
{
	for (size_t i = (size_t)(h - req->hdr) + 1; i < req->nhdr; i++)
		if (span_ieq(req->hdr[i].name, h->name))
			return &req->hdr[i];
	return NULL;
}

/* See http.h. */
int
http_lines_have_token(const struct http_request *req, const struct http_header *first,
                      const char *token)
{
	for (const struct http_header *h = first; h != NULL; h = http_next_header(req, h))
		if (http_has_token(h->value, token))
			return 1;
	return 0;
}

/* reg-name bytes (RFC 3986 3.2.2): unreserved / sub-delims; '%' starts a
 * pct-encoded triple, checked by the caller. */
static int
host_char(char c)
{
	/* ALPHA, DIGIT and "-._~!$&'()*+,;=" as a bit set over ASCII: one
	 * shift per byte, as this runs on every request */
	static const uint64_t lo = UINT64_C(0x2bff7fd200000000), hi = UINT64_C(0x47fffffe87fffffe);
	unsigned char u = (unsigned char)c;

	return u < 64 ? (int)(lo >> u & 1) : u < 128 ? (int)(hi >> (u - 64) & 1) : 0;
}

static int
hex_digit(char c)
{
	return util_is_digit(c) || (util_lower(c) >= 'a' && util_lower(c) <= 'f');
}

/* IP-literal = "[" IPv6address "]" (IPvFuture is not accepted). Returns the
 * byte after ']', or NULL. */
static const char *
host_ipv6(const char *p, const char *end)
{
	const char *close = memchr(p, ']', (size_t)(end - p));
	char buf[INET6_ADDRSTRLEN];
	struct in6_addr a;
	size_t n;

	if (close == NULL || (n = (size_t)(close - p - 1)) == 0 || n >= sizeof(buf))
		return NULL;
	memcpy(buf, p + 1, n);
	buf[n] = '\0';
	return inet_pton(AF_INET6, buf, &a) == 1 ? close + 1 : NULL;
}

/* See http.h. O(v.n). */
bool
http_host_valid(struct http_span v)
{
	const char *p = v.p, *end = v.p + v.n;
	unsigned long port = 0;

	if (v.n == 0)
		return true;
	if (*p == '[') {
		if ((p = host_ipv6(p, end)) == NULL)
			return false;
	} else {
		while (p < end) {
			if (host_char(*p)) {
				p++;
				continue;
			}
			if (*p != '%')
				break;
			if (end - p < 3 || !hex_digit(p[1]) || !hex_digit(p[2]))
				return false;
			p += 3;
		}
		if (p == v.p)
			return false;  /* ":80" names no host */
	}
	if (p == end)
		return true;
	if (*p++ != ':')
		return false;
	/* port = *DIGIT (RFC 3986 3.2.3); at most 65535 for TCP */
	for (int digits = 0; p < end; p++, digits++) {
		if (!util_is_digit(*p) || digits == 5)
			return false;
		port = port * 10 + (unsigned long)(*p - '0');
	}
	return port <= 65535;
}

/* One Content-Length element: 1*DIGIT, at most 2^63 - 1. */
static int
cl_value(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		uint64_t d = (uint64_t)(s[i] - '0');

		if (!util_is_digit(s[i]) || v > (UINT64_C(0x7fffffffffffffff) - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* See http.h. Each element of every line must equal the first. O(total). */
int
http_content_length(const struct http_request *req, const struct http_header *first,
                    uint64_t *len)
{
	uint64_t seen = 0, v;
	int any = 0;

	for (const struct http_header *h = first; h != NULL; h = http_next_header(req, h)) {
		struct util_cur c = {h->value.p, h->value.p + h->value.n};
		int elems = 0;

		for (;;) {
			const char *s;

			util_cur_skip_ows(&c);
			s = c.p;
			while (c.p < c.end && util_is_digit(*c.p))
				c.p++;
			if (cl_value(s, (size_t)(c.p - s), &v) != 0 || (any && v != seen))
				return -1;
			seen = v;
			any = elems = 1;
			util_cur_skip_ows(&c);
			if (c.p == c.end)
				break;
			if (!util_cur_take(&c, ','))
				return -1;
		}
		if (!elems)
			return -1;
	}
	if (!any)
		return 0;
	*len = seen;
	return 1;
}

/* The transfer codings RFC 9112 7 and the IANA registry define, besides
 * chunked; "trailers" is a TE value, not one of these. */
static int
known_coding(const char *s, size_t n)
{
	static const char *const known[] = {"gzip", "x-gzip", "deflate", "compress", "x-compress"};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (util_strieq(s, n, known[i]))
			return 1;
	return 0;
}

/* See http.h. transfer-coding = token *( OWS ";" OWS parameter ); the
 * parameters are skipped up to the next ','. O(total). */
int
http_transfer_coding(const struct http_request *req, const struct http_header *first)
{
	int n = 0, unknown = 0, chunked_at = -1;

	if (first == NULL)
		return 0;
	for (const struct http_header *h = first; h != NULL; h = http_next_header(req, h)) {
		struct util_cur c = {h->value.p, h->value.p + h->value.n};

		while (c.p < c.end) {
			const char *s;

			util_cur_skip_ows(&c);
			if (util_cur_take(&c, ','))
				continue;  /* empty element (RFC 9110 5.6.1) */
			s = c.p;
			while (c.p < c.end && util_is_tchar(*c.p))
				c.p++;
			if (c.p == s)
				return -1;
			if (util_strieq(s, (size_t)(c.p - s), "chunked")) {
				if (chunked_at >= 0)
					return -1;
				chunked_at = n;
			} else if (!known_coding(s, (size_t)(c.p - s))) {
				unknown = 1;
			}
			n++;
			util_cur_skip_ows(&c);
			if (c.p < c.end && *c.p != ',' && *c.p != ';')
				return -1;
			while (c.p < c.end && *c.p != ',')
				c.p++;
		}
	}
	if (n == 0 || (chunked_at >= 0 && chunked_at != n - 1))
		return -1;
	if (unknown)
		return -2;
	/* RFC 9112 6.1: a request whose final coding is not chunked has no
	 * determinable length: 400 */
	return chunked_at == n - 1 ? 1 : -1;
}

/* See http.h. */
bool
http_status_keeps(int status)
{
	return status < 400 || status == 403 || status == 404 || status == 412 || status == 416 ||
	       status == 421;
}

/* See http.h. */
bool
http_wants_keepalive(const struct http_request *req, const struct http_index *ix)
{
	const struct http_header *h = ix->h[HTTP_H_CONNECTION];

	if (req->minor == 0)
		return http_lines_have_token(req, h, "keep-alive");
	return !http_lines_have_token(req, h, "close");
}

static int
method_is(const struct http_request *req, const char *m)
{
	size_t n = strlen(m);

	/* methods are case-sensitive (RFC 9110 9.1) */
	return req->method.n == n && memcmp(req->method.p, m, n) == 0;
}

/* Host and framing: 0, or 400/501 (see http_decide). Sets *body. */
static int
check_head(const struct http_request *req, const struct http_index *ix, bool *body)
{
	const struct http_header *host = ix->h[HTTP_H_HOST];
	uint64_t len = 0;
	int te, cl;

	/* RFC 9112 3.2: a 1.1 request without exactly one Host is a 400 */
	if ((req->minor == 1 && ix->count[HTTP_H_HOST] != 1) || ix->count[HTTP_H_HOST] > 1)
		return 400;
	if (host != NULL && !http_host_valid(host->value))
		return 400;
	te = http_transfer_coding(req, ix->h[HTTP_H_TRANSFER_ENCODING]);
	cl = http_content_length(req, ix->h[HTTP_H_CONTENT_LENGTH], &len);
	*body = te != 0 || (cl == 1 && len > 0);
	/* RFC 9112 6.1: Transfer-Encoding in HTTP/1.0, or beside Content-Length,
	 * is faulty framing; 6.3: so is an invalid Content-Length */
	if (te != 0 && (req->minor == 0 || cl != 0))
		return 400;
	if (te == -1 || cl == -1)
		return 400;
	return te == -2 ? 501 : 0;
}

/* See http.h. */
void
http_decide(const struct http_request *req, const struct http_index *ix, size_t head_len,
            struct http_verdict *v)
{
	static const char *const other[] = {"POST", "PUT", "DELETE", "PATCH", "CONNECT", "TRACE"};
	bool body = false;
	int status = check_head(req, ix, &body);

	v->head_only = method_is(req, "HEAD");
	v->head_status = status;
	if (status == 0) {
		if (method_is(req, "GET") || v->head_only)
			status = 0;
		else if (method_is(req, "OPTIONS"))
			status = 204;
		else
			status = 501;
		for (size_t i = 0; i < sizeof(other) / sizeof(other[0]) && status == 501; i++)
			if (method_is(req, other[i]))
				status = 405;
		/* a body is never read: answering the request and then reading its
		 * body as the next request is how requests get smuggled */
		if (body && (status == 0 || status == 204))
			status = 413;
	}
	v->status = status;
	v->has_body = body;
	v->keepalive = !body && http_status_keeps(status) && http_wants_keepalive(req, ix);
	v->consumed = head_len;
}
