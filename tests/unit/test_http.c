/* Unit tests for src/http.c: named, table-driven cases in the picotest style.
 * Every input sits at the end of a page followed by a PROT_NONE page, so an
 * over-read crashes; every complete head is also tried at each shorter length
 * (must be -2), from scratch and fed incrementally with last_len. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guard.h"
#include "tlserve/http.h"

#define ALL 0         /* expected return: the whole input is one head */
#define IN(lit) .in = (lit), .len = sizeof(lit) - 1
#define NHDR 64

struct hcase {
	const char *name;
	const char *in;
	size_t len;
	int ret;             /* ALL, a byte count, -2 or -1 */
	int status;          /* when ret is -1 */
	const char *method, *target;
	int minor;
	size_t nhdr;
	const char *h[8];    /* the first headers expected: name, value, name, value, ... */
	size_t max_head;     /* 0: 8192 */
	size_t max_headers;  /* 0: 100 */
	size_t cap;          /* capacity of hdr; 0: NHDR */
};

/* A complete head: the whole input, its request line and first headers. */
#define OK(nm, in, m, t, mi, nh, ...) \
	{ .name = (nm), IN(in), .ret = ALL, .method = (m), .target = (t), .minor = (mi), \
	  .nhdr = (nh), .h = { __VA_ARGS__ } }
#define MORE(nm, in) { .name = (nm), IN(in), .ret = -2 }
#define ERR(nm, in, st) { .name = (nm), IN(in), .ret = -1, .status = (st) }
/* The same with limits: max_head, max_headers, capacity of hdr (0: default). */
#define OK_LIM(nm, in, mh, mx, hc, m, t, mi, nh, ...) \
	{ .name = (nm), IN(in), .ret = ALL, .method = (m), .target = (t), .minor = (mi), \
	  .nhdr = (nh), .h = { __VA_ARGS__ }, .max_head = (mh), .max_headers = (mx), .cap = (hc) }
#define ERR_LIM(nm, in, st, mh, mx, hc) \
	{ .name = (nm), IN(in), .ret = -1, .status = (st), .max_head = (mh), .max_headers = (mx), \
	  .cap = (hc) }

#define RL "GET / HTTP/1.1\r\n"  /* the shortest useful request line, 16 bytes */

static const struct hcase cases[] = {
	/* complete heads */
	OK("minimal", RL "\r\n", "GET", "/", 1, 0, NULL),
	OK("host", "GET /index.html HTTP/1.1\r\nHost: example.test\r\n\r\n", "GET",
	   "/index.html", 1, 1, "Host", "example.test"),
	OK("http10", "HEAD /a HTTP/1.0\r\n\r\n", "HEAD", "/a", 0, 0, NULL),
	OK("bare_lf", "GET / HTTP/1.1\nHost: a\nX: y\n\n", "GET", "/", 1, 2, "Host", "a", "X", "y"),
	OK("mixed_eol", RL "Host: a\n\r\n", "GET", "/", 1, 1, "Host", "a"),
	OK("leading_crlf", "\r\n\r\n" RL "\r\n", "GET", "/", 1, 0, NULL),
	OK("leading_lf", "\n\nGET / HTTP/1.1\n\n", "GET", "/", 1, 0, NULL),
	OK("ows_trimmed", RL "X-A: \t a b \t\r\n\r\n", "GET", "/", 1, 1, "X-A", "a b"),
	OK("no_ows", RL "X:v\r\n\r\n", "GET", "/", 1, 1, "X", "v"),
	OK("empty_value", RL "X-Empty:\r\n\r\n", "GET", "/", 1, 1, "X-Empty", ""),
	OK("ows_only_value", RL "X: \t \r\n\r\n", "GET", "/", 1, 1, "X", ""),
	OK("obs_text_value", RL "X: caf\xc3\xa9\xff\r\n\r\n", "GET", "/", 1, 1, "X",
	   "caf\xc3\xa9\xff"),
	OK("htab_inside_value", RL "X: a\tb\r\n\r\n", "GET", "/", 1, 1, "X", "a\tb"),
	OK("colon_in_value", RL "X: a:b: c\r\n\r\n", "GET", "/", 1, 1, "X", "a:b: c"),
	OK("absolute_form", "GET http://h:8443/x?y HTTP/1.1\r\n\r\n", "GET", "http://h:8443/x?y", 1,
	   0, NULL),
	OK("asterisk_form", "OPTIONS * HTTP/1.1\r\n\r\n", "OPTIONS", "*", 1, 0, NULL),
	OK("token_method", "M-SEARCH * HTTP/1.1\r\n\r\n", "M-SEARCH", "*", 1, 0, NULL),
	OK("every_tchar", "!#$%&'*+-.^_`|~09azAZ / HTTP/1.1\r\n!#$%&'*+-.^_`|~09azAZ: v\r\n\r\n",
	   "!#$%&'*+-.^_`|~09azAZ", "/", 1, 1, "!#$%&'*+-.^_`|~09azAZ", "v"),
	OK("every_vchar_target",
	   "GET /!\"#$%&'()*+,-./0123456789:;<=>?@AZ[\\]^_`az{|}~ HTTP/1.1\r\n\r\n", "GET",
	   "/!\"#$%&'()*+,-./0123456789:;<=>?@AZ[\\]^_`az{|}~", 1, 0, NULL),
	OK("duplicate_headers", RL "Host: a\r\nHost: b\r\n\r\n", "GET", "/", 1, 2, "Host", "a",
	   "Host", "b"),
	OK("browser",
	   "GET /style.css HTTP/1.1\r\nHost: example.test:8443\r\n"
	   "User-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n"
	   "Accept: text/css,*/*;q=0.1\r\nAccept-Encoding: gzip, deflate, br\r\n"
	   "Connection: keep-alive\r\nReferer: https://example.test:8443/\r\n"
	   "If-None-Match: \"5f-1a2b\"\r\n\r\n",
	   "GET", "/style.css", 1, 7, "Host", "example.test:8443", "User-Agent",
	   "Mozilla/5.0 (X11; Linux x86_64)"),
	{ .name = "pipelined",
	  IN("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n"), .ret = 28,
	  .method = "GET", .target = "/a", .minor = 1, .nhdr = 1, .h = { "Host", "x" } },
	{ .name = "pipelined_garbage_after", IN("GET /a HTTP/1.1\r\n\r\n\x01\x02 junk"), .ret = 19,
	  .method = "GET", .target = "/a", .minor = 1 },
	OK_LIM("headers_at_max_headers", RL "A: 1\r\nB: 2\r\nC: 3\r\n\r\n", 0, 3, 0, "GET", "/", 1,
	       3, "A", "1", "B", "2", "C", "3"),
	OK_LIM("headers_at_capacity", RL "A: 1\r\nB: 2\r\n\r\n", 0, 100, 2, "GET", "/", 1, 2, "A",
	       "1", "B", "2"),
	OK_LIM("head_exactly_max", RL "Host: a\r\n\r\n", 27, 0, 0, "GET", "/", 1, 1, "Host", "a"),
	OK_LIM("line_exactly_max", RL "\r\n", 18, 0, 0, "GET", "/", 1, 0, NULL),

	/* incomplete */
	MORE("empty", ""),
	MORE("one_byte", "G"),
	MORE("only_crlf", "\r\n\r\n"),
	MORE("cr_at_end", "GET / HTTP/1.1\r"),
	MORE("no_empty_line", RL "Host: a\r\n"),
	MORE("final_cr", RL "Host: a\r\n\r"),

	/* 400: request line */
	ERR("lower_case_version", "GET / http/1.1\r\n\r\n", 400),
	ERR("double_sp_before_target", "GET  / HTTP/1.1\r\n\r\n", 400),
	ERR("double_sp_before_version", "GET /  HTTP/1.1\r\n\r\n", 400),
	ERR("sp_before_eol", "GET / HTTP/1.1 \r\n\r\n", 400),
	ERR("htab_separator", "GET\t/ HTTP/1.1\r\n\r\n", 400),
	ERR("leading_sp", " GET / HTTP/1.1\r\n\r\n", 400),
	ERR("no_version", "GET /\r\n\r\n", 400),
	ERR("no_target", "GET HTTP/1.1\r\n\r\n", 400),
	ERR("bad_method_char", "GE(T / HTTP/1.1\r\n\r\n", 400),
	ERR("target_del", "GET /\x7f HTTP/1.1\r\n\r\n", 400),
	ERR("target_obs_text", "GET /caf\xc3\xa9 HTTP/1.1\r\n\r\n", 400),
	ERR("target_nul", "GET /a\0b HTTP/1.1\r\n\r\n", 400),
	ERR("target_ctl", "GET /a\x01 HTTP/1.1\r\n\r\n", 400),
	ERR("version_two_digit_minor", "GET / HTTP/1.10\r\n\r\n", 400),
	ERR("version_two_digit_major", "GET / HTTP/10.1\r\n\r\n", 400),
	ERR("version_no_dot", "GET / HTTP/11\r\n\r\n", 400),
	ERR("version_short", "GET / HTTP/1\r\n\r\n", 400),
	ERR("version_letter", "GET / HTTP/1.x\r\n\r\n", 400),
	ERR("version_https", "GET / HTTPS/1.1\r\n\r\n", 400),
	ERR("version_trailing", "GET / HTTP/1.1x\r\n\r\n", 400),
	ERR("bare_cr_request_line", "GET / HTTP/1.1\rHost: a\r\n\r\n", 400),
	ERR("bare_cr_leading", "\rGET / HTTP/1.1\r\n\r\n", 400),
	ERR("cr_cr_lf", "GET / HTTP/1.1\r\r\n\r\n", 400),

	/* 400: header fields */
	ERR("sp_before_colon", RL "Host : a\r\n\r\n", 400),
	ERR("htab_before_colon", RL "Host\t: a\r\n\r\n", 400),
	ERR("missing_colon", RL "Host\r\n\r\n", 400),
	ERR("empty_name", RL ": a\r\n\r\n", 400),
	ERR("obs_fold", RL "X: a\r\n b\r\n\r\n", 400),
	ERR("obs_fold_htab", RL "X: a\r\n\tb\r\n\r\n", 400),
	ERR("sp_before_first_header", RL " Host: a\r\n\r\n", 400),
	ERR("bad_name_char", RL "Ho(st: a\r\n\r\n", 400),
	ERR("name_obs_text", RL "H\xc3\xa9: a\r\n\r\n", 400),
	ERR("nul_in_value", RL "X: a\0b\r\n\r\n", 400),
	ERR("nul_in_name", RL "X\0: a\r\n\r\n", 400),
	ERR("ctl_in_value", RL "X: a\x01\r\n\r\n", 400),
	ERR("del_in_value", RL "X: a\x7f\r\n\r\n", 400),
	ERR("bare_cr_in_value", RL "X: a\rb\r\n\r\n", 400),
	ERR("bare_cr_ending_head", RL "X: a\r\n\rX", 400),
	ERR_LIM("error_before_limit_is_400", "GET /\x01" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 400, 16,
	        0, 0),

	/* 505: well-formed, unsupported */
	ERR("http20", "GET / HTTP/2.0\r\n\r\n", 505),
	ERR("http09", "GET / HTTP/0.9\r\n\r\n", 505),
	ERR("http12", "GET / HTTP/1.2\r\n\r\n", 505),
	ERR("http31", "GET / HTTP/3.1\r\n\r\n", 505),
	ERR("http99_lf", "GET / HTTP/9.9\n", 505),
	ERR("http20_malformed_eol_is_400", "GET / HTTP/2.0 \r\n", 400),

	/* limits */
	ERR_LIM("line_over_max_incomplete", "GET /aaaaaaaaaaaaaaaa", 414, 16, 0, 0),
	ERR_LIM("line_over_max_complete", "GET /aaaaaaaaaaaaaaaa HTTP/1.1\r\n\r\n", 414, 16, 0, 0),
	ERR_LIM("line_ends_one_past_max", RL "\r\n", 414, 15, 0, 0),
	ERR_LIM("line_len_equals_max", RL, 414, 15, 0, 0),
	ERR_LIM("leading_crlf_fill_max", "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n", 414, 16, 0, 0),
	ERR_LIM("head_one_past_max", RL "Host: a\r\n\r\n", 431, 26, 0, 0),
	ERR_LIM("headers_over_max_head", RL "X: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 431, 32, 0, 0),
	ERR_LIM("headers_over_max_headers", RL "A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", 431, 0, 3,
	        0),
	ERR_LIM("headers_over_capacity", RL "A: 1\r\nB: 2\r\nC: 3\r\n\r\n", 431, 0, 100, 2),
	ERR_LIM("headers_over_before_end", RL "A: 1\r\nB: 2\r\nC", 431, 0, 2, 0),
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static size_t
or_default(size_t v, size_t def)
{
	return v != 0 ? v : def;
}

/* 1 when the span lies inside [base, base + len). */
static int
inside(struct http_span s, const char *base, size_t len)
{
	return s.p >= base && s.n <= len && (size_t)(s.p - base) <= len - s.n;
}

static void
check_span(struct http_span s, const char *want, const char *base, size_t len)
{
	assert_true(inside(s, base, len));
	assert_int_equal(s.n, strlen(want));
	assert_memory_equal(s.p, want, s.n);
}

/* Parse c->in[0..len) placed at a guard page; last_len as given. */
static int
parse_at(struct guard *g, const struct hcase *c, size_t len, size_t last_len,
         struct http_request *req, const char **at)
{
	struct http_limits lim = { or_default(c->max_head, 8192), or_default(c->max_headers, 100) };

	*at = guard_put(g, c->in, len);
	req->nhdr = or_default(c->cap, NHDR);
	req->status = 0;
	return http_parse_request(*at, len, last_len, &lim, req);
}

static void
check_success(const struct hcase *c, const struct http_request *req, const char *at, int r)
{
	assert_int_equal(req->minor, c->minor);
	check_span(req->method, c->method, at, (size_t)r);
	check_span(req->target, c->target, at, (size_t)r);
	assert_int_equal(req->nhdr, c->nhdr);
	for (size_t i = 0; i < req->nhdr; i++) {
		assert_true(inside(req->hdr[i].name, at, (size_t)r));
		assert_true(inside(req->hdr[i].value, at, (size_t)r));
		if (2 * i < sizeof(c->h) / sizeof(c->h[0]) && c->h[2 * i] != NULL) {
			check_span(req->hdr[i].name, c->h[2 * i], at, (size_t)r);
			check_span(req->hdr[i].value, c->h[2 * i + 1], at, (size_t)r);
		}
	}
}

/* One table row: the whole input, then (for a complete head) every prefix from
 * scratch and byte by byte with last_len, then every longer length. */
static void
run_case(void **state)
{
	const struct hcase *c = *state;
	struct http_header hdr[NHDR];
	struct http_request req = { .hdr = hdr };
	int want = c->ret == ALL ? (int)c->len : c->ret;
	const char *at;
	struct guard g;
	int r;

	guard_init(&g, c->len);
	r = parse_at(&g, c, c->len, 0, &req, &at);
	assert_int_equal(r, want);
	if (r == -1)
		assert_int_equal(req.status, c->status);
	if (r == -2 || r == -1)
		assert_int_equal(req.nhdr, or_default(c->cap, NHDR));
	if (r > 0) {
		check_success(c, &req, at, r);
		for (size_t k = 0; k < (size_t)r; k++)
			assert_int_equal(parse_at(&g, c, k, 0, &req, &at), -2);
		for (size_t k = 1; k <= (size_t)r; k++) {
			int n = parse_at(&g, c, k, k - 1, &req, &at);

			assert_int_equal(n, k < (size_t)r ? -2 : r);
		}
		check_success(c, &req, at, r);
		for (size_t k = (size_t)r; k <= c->len; k++)
			assert_int_equal(parse_at(&g, c, k, 0, &req, &at), r);
	}
	guard_free(&g);
}

/* A request with a header value of n 'a's; the result at max_head. */
static int
big_value(size_t n, size_t max_head, struct http_request *req, struct guard *g)
{
	static const char pre[] = "GET / HTTP/1.1\r\nX-Big: ", post[] = "\r\n\r\n";
	size_t len = sizeof(pre) - 1 + n + sizeof(post) - 1;
	struct http_limits lim = { max_head, 100 };
	char *buf = malloc(len), *at;
	int r;

	assert_non_null(buf);
	memcpy(buf, pre, sizeof(pre) - 1);
	memset(buf + sizeof(pre) - 1, 'a', n);
	memcpy(buf + sizeof(pre) - 1 + n, post, sizeof(post) - 1);
	guard_init(g, len);
	at = guard_put(g, buf, len);
	r = http_parse_request(at, len, 0, &lim, req);
	if (r > 0) {
		assert_int_equal(r, (int)len);
		assert_int_equal(req->hdr[0].value.n, n);
		assert_true(req->hdr[0].value.p + n <= at + len);
	}
	free(buf);
	return r;
}

static void
huge_header_fits(void **state)
{
	struct http_header hdr[4];
	struct http_request req = { .hdr = hdr, .nhdr = 4 };
	struct guard g;

	(void)state;
	assert_int_equal(big_value(60000, 65536, &req, &g), 60027);
	guard_free(&g);
}

static void
huge_header_431(void **state)
{
	struct http_header hdr[4];
	struct http_request req = { .hdr = hdr, .nhdr = 4 };
	struct guard g;

	(void)state;
	assert_int_equal(big_value(70000, 65536, &req, &g), -1);
	assert_int_equal(req.status, 431);
	guard_free(&g);
}

/* A 100 kB request line against the default 16k limit: 414 without reading on. */
static void
huge_request_line_414(void **state)
{
	struct http_limits lim = { 16384, 100 };
	struct http_request req = { 0 };
	size_t len = 100000;
	struct guard g;
	char *at;

	(void)state;
	guard_init(&g, len);
	at = guard_put(&g, "", 0) - len;
	memcpy(at, "GET /", 5);
	memset(at + 5, 'a', len - 5);
	assert_int_equal(http_parse_request(at, len, 0, &lim, &req), -1);
	assert_int_equal(req.status, 414);
	assert_int_equal(http_parse_request(at, len, len - 1, &lim, &req), -1);
	assert_int_equal(req.status, 414);
	guard_free(&g);
}

/* n headers "H: v" against max_headers. */
static int
many_headers(size_t n, size_t max_headers, struct http_request *req)
{
	struct http_limits lim = { 65536, max_headers };
	char buf[8192];
	size_t len = 0;
	struct guard g;
	int r;

	memcpy(buf, "GET / HTTP/1.1\r\n", 16);
	len = 16;
	for (size_t i = 0; i < n; i++) {
		memcpy(buf + len, "H: v\r\n", 6);
		len += 6;
	}
	memcpy(buf + len, "\r\n", 2);
	len += 2;
	guard_init(&g, len);
	r = http_parse_request(guard_put(&g, buf, len), len, 0, &lim, req);
	guard_free(&g);
	return r;
}

static void
headers_100_ok_101_431(void **state)
{
	struct http_header hdr[128];
	struct http_request req = { .hdr = hdr, .nhdr = 128 };

	(void)state;
	assert_true(many_headers(100, 100, &req) > 0);
	assert_int_equal(req.nhdr, 100);
	req.nhdr = 128;
	assert_int_equal(many_headers(101, 100, &req), -1);
	assert_int_equal(req.status, 431);
	assert_int_equal(req.nhdr, 128);
}

static void
max_headers_zero(void **state)
{
	struct http_header hdr[4];
	struct http_request req = { .hdr = hdr, .nhdr = 4 };

	(void)state;
	assert_true(many_headers(0, 0, &req) > 0);
	assert_int_equal(req.nhdr, 0);
	req.nhdr = 4;
	assert_int_equal(many_headers(1, 0, &req), -1);
	assert_int_equal(req.status, 431);
	req.hdr = NULL;
	req.nhdr = 0;
	assert_true(many_headers(0, 100, &req) > 0);
}

/* Parse s[0..len) at a guard page, saying last bytes were offered before. */
static int
feed(struct guard *g, const char *s, size_t len, size_t last, struct http_request *req)
{
	struct http_limits lim = { 8192, 100 };

	return http_parse_request(guard_put(g, s, len), len, last, &lim, req);
}

/* Incremental feeding must still catch garbage before the head ends: the new
 * bytes hold a CTL or a bare CR, which forces a full parse. */
static void
incremental_sees_garbage(void **state)
{
	static const char ctl[] = RL "X: a\x01", cr[] = RL "X: a\rb";
	struct http_header hdr[4];
	struct http_request req = { .hdr = hdr, .nhdr = 4 };
	struct guard g;

	(void)state;
	guard_init(&g, 64);
	assert_int_equal(feed(&g, ctl, 16, 0, &req), -2);
	assert_int_equal(feed(&g, ctl, sizeof(ctl) - 1, 16, &req), -1);
	assert_int_equal(req.status, 400);
	assert_int_equal(feed(&g, cr, sizeof(cr) - 2, 16, &req), -2);
	assert_int_equal(feed(&g, cr, sizeof(cr) - 1, sizeof(cr) - 2, &req), -1);
	assert_int_equal(req.status, 400);
	/* a token error is only seen once the head can end (picohttpparser does the same) */
	assert_int_equal(feed(&g, RL "X : a", 21, 16, &req), -2);
	assert_int_equal(feed(&g, RL "X : a\r\n\r\n", 25, 21, &req), -1);
	assert_int_equal(req.status, 400);
	guard_free(&g);
}

/* Incremental feeding reaching the limit gives the same status as one call. */
static void
incremental_limit(void **state)
{
	static const char in[] = "GET / HTTP/1.1\r\nX: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	struct http_limits lim = { 32, 100 };
	struct http_header hdr[4];
	struct http_request req = { .hdr = hdr, .nhdr = 4 };
	struct guard g;
	int r = -2;

	(void)state;
	guard_init(&g, sizeof(in));
	for (size_t k = 1; k < sizeof(in) && r == -2; k++)
		r = http_parse_request(guard_put(&g, in, k), k, k - 1, &lim, &req);
	assert_int_equal(r, -1);
	assert_int_equal(req.status, 431);
	guard_free(&g);
}

static struct http_request
sample(struct http_header *hdr, size_t n)
{
	static const char *kv[] = { "Host", "a", "Connection", "keep-alive, Upgrade",
		                    "X-Dup", "1", "x-dup", "2", "HOST", "b" };
	for (size_t i = 0; i < n; i++) {
		hdr[i].name = (struct http_span){ kv[2 * i], strlen(kv[2 * i]) };
		hdr[i].value = (struct http_span){ kv[2 * i + 1], strlen(kv[2 * i + 1]) };
	}
	return (struct http_request){ .hdr = hdr, .nhdr = n };
}

static void
find_and_count(void **state)
{
	struct http_header hdr[5];
	struct http_request req = sample(hdr, 5);
	const struct http_header *h;

	(void)state;
	h = http_find_header(&req, "host");
	assert_ptr_equal(h, &hdr[0]);
	assert_ptr_equal(http_find_header(&req, "CONNECTION"), &hdr[1]);
	assert_ptr_equal(http_find_header(&req, "X-DUP"), &hdr[2]);
	assert_null(http_find_header(&req, "Hos"));
	assert_null(http_find_header(&req, "Hostx"));
	assert_null(http_find_header(&req, ""));
	assert_int_equal(http_count_header(&req, "Host"), 2);
	assert_int_equal(http_count_header(&req, "x-dup"), 2);
	assert_int_equal(http_count_header(&req, "Content-Length"), 0);
	req.nhdr = 0;
	assert_null(http_find_header(&req, "Host"));
}

/* '^' and '~' differ only in bit 0x20: a sloppy case fold would equate them. */
static void
find_no_false_fold(void **state)
{
	struct http_header hdr[1] = { { { "a^b", 3 }, { "v", 1 } } };
	struct http_request req = { .hdr = hdr, .nhdr = 1 };

	(void)state;
	assert_null(http_find_header(&req, "a~b"));
	assert_non_null(http_find_header(&req, "A^B"));
	assert_null(http_find_header(&req, "a@b"));
}

#define SPAN(lit) ((struct http_span){ (lit), sizeof(lit) - 1 })

static void
has_token(void **state)
{
	(void)state;
	assert_true(http_has_token(SPAN("close"), "close"));
	assert_true(http_has_token(SPAN("Close"), "close"));
	assert_true(http_has_token(SPAN("keep-alive, close"), "close"));
	assert_true(http_has_token(SPAN("keep-alive,close"), "close"));
	assert_true(http_has_token(SPAN(" \tclose\t ,x"), "close"));
	assert_true(http_has_token(SPAN(",,close,,"), "close"));
	assert_true(http_has_token(SPAN("a , b , KEEP-ALIVE"), "keep-alive"));
	assert_false(http_has_token(SPAN("closed"), "close"));
	assert_false(http_has_token(SPAN("clos"), "close"));
	assert_false(http_has_token(SPAN("x-close"), "close"));
	assert_false(http_has_token(SPAN("clo se"), "close"));
	assert_false(http_has_token(SPAN(""), "close"));
	assert_false(http_has_token(SPAN(" , , "), "close"));
	assert_false(http_has_token((struct http_span){ NULL, 0 }, "close"));
}

/* The last token of a value placed at the guard page must not over-read. */
static void
has_token_at_guard(void **state)
{
	struct guard g;
	const char *at;

	(void)state;
	guard_init(&g, 16);
	at = guard_put(&g, "a, close", 8);
	assert_true(http_has_token((struct http_span){ at, 8 }, "close"));
	at = guard_put(&g, "a, clos", 7);
	assert_false(http_has_token((struct http_span){ at, 7 }, "close"));
	guard_free(&g);
}

/* Parse a head (which must be complete) into *r with its index. */
static void
head_of(const char *text, struct http_request *r, struct http_header *hdr, size_t cap,
        struct http_index *ix, int *n)
{
	struct http_limits lim = { 8192, 64 };

	*r = (struct http_request){ .hdr = hdr, .nhdr = cap };
	*n = http_parse_request(text, strlen(text), 0, &lim, r);
	assert_true(*n > 0);
	http_index_headers(r, ix);
}

static void
host_validation(void **state)
{
	static const char *const good[] = {
		"", "localhost", "localhost:8443", "127.0.0.1", "127.0.0.1:1", "[::1]", "[::1]:8443",
		"[2001:db8::7]:443", "a-b_c~d.example", "xn--bcher-kva.example", "%41.example",
		"a!$&'()*+,;=b", "a:", "a:65535",
	};
	static const char *const bad[] = {
		"a b", "a/b", "a@b", "user@host:80", "a\\b", "a\tb", "a:b", "a:99999", "a:655350",
		"a:-1", "a:80:80", "[::1", "[::1]x", "[zz::1]:8443", "[]", "[v1.x]", ":80", "%4",
		"%zz.example", "a\"b", "a<b", "a#b", "a?b",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(http_host_valid((struct http_span){ good[i], strlen(good[i]) }));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (http_host_valid((struct http_span){ bad[i], strlen(bad[i]) }))
			fail_msg("Host \"%s\" accepted", bad[i]);
	}
	/* a CTL inside (the parser already refuses most; the check stands alone) */
	assert_false(http_host_valid((struct http_span){ "a\x01" "b", 3 }));
	assert_false(http_host_valid((struct http_span){ "a\0b", 3 }));
}

static void
content_length_values(void **state)
{
	static const struct { const char *head; int rc; uint64_t len; } tab[] = {
		{ "GET / HTTP/1.1\r\n\r\n", 0, 0 },
		{ "GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 1, 0 },
		{ "GET / HTTP/1.1\r\nContent-Length: 42\r\n\r\n", 1, 42 },
		{ "GET / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n", 1, 5 },
		{ "GET / HTTP/1.1\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n", 1, 5 },
		{ "GET / HTTP/1.1\r\nContent-Length: 007\r\n\r\n", 1, 7 },
		{ "GET / HTTP/1.1\r\nContent-Length: 9223372036854775806\r\n\r\n", 1, 9223372036854775806ull },
		{ "GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", -1, 0 },
		{ "GET / HTTP/1.1\r\nContent-Length: +5\r\n\r\n", -1, 0 },
		{ "GET / HTTP/1.1\r\nContent-Length: abc\r\n\r\n", -1, 0 },
		{ "GET / HTTP/1.1\r\nContent-Length: \r\n\r\n", -1, 0 },
		{ "GET / HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\n", -1, 0 },
		{ "GET / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", -1, 0 },
		{ "GET / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n", -1, 0 },
		{ "GET / HTTP/1.1\r\nContent-Length: 5,\r\n\r\n", -1, 0 },
		{ "GET / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n", -1, 0 },
		{ "GET / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", -1, 0 },
		{ "GET / HTTP/1.1\r\nContent-Length: 18446744073709551616\r\n\r\n", -1, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		struct http_header hdr[8];
		struct http_request r;
		struct http_index ix;
		uint64_t len = 12345;
		int n, rc;

		head_of(tab[i].head, &r, hdr, 8, &ix, &n);
		rc = http_content_length(&r, ix.h[HTTP_H_CONTENT_LENGTH], &len);
		if (rc != tab[i].rc || (rc == 1 && len != tab[i].len))
			fail_msg("case %zu: rc %d len %llu", i, rc, (unsigned long long)len);
	}
}

static void
transfer_codings(void **state)
{
	static const struct { const char *te; int rc; } tab[] = {
		{ "chunked", 1 }, { "Chunked", 1 }, { "gzip, chunked", 1 }, { "gzip,chunked", 1 },
		{ "x-gzip ; q=1, chunked", 1 }, { ", chunked", 1 },
		{ "", -1 }, { "chunked, gzip", -1 }, { "chunked, chunked", -1 }, { "gzip", -1 },
		{ "chu nked", -1 }, { "frobnicate", -2 }, { "frobnicate, chunked", -2 },
		{ "identity", -2 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		char head[128];
		struct http_header hdr[8];
		struct http_request r;
		struct http_index ix;
		int n, rc;

		snprintf(head, sizeof(head), "GET / HTTP/1.1\r\nTransfer-Encoding: %s\r\n\r\n", tab[i].te);
		head_of(head, &r, hdr, 8, &ix, &n);
		rc = http_transfer_coding(&r, ix.h[HTTP_H_TRANSFER_ENCODING]);
		if (rc != tab[i].rc)
			fail_msg("Transfer-Encoding: %s -> %d, want %d", tab[i].te, rc, tab[i].rc);
	}
	{
		/* the codings of every line form one list (RFC 9110 5.3) */
		struct http_header hdr[8];
		struct http_request r;
		struct http_index ix;
		int n;

		head_of("GET / HTTP/1.1\r\nTransfer-Encoding: gzip\r\nX: y\r\nTransfer-Encoding: chunked\r\n\r\n",
		        &r, hdr, 8, &ix, &n);
		assert_int_equal(http_transfer_coding(&r, ix.h[HTTP_H_TRANSFER_ENCODING]), 1);
		head_of("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n",
		        &r, hdr, 8, &ix, &n);
		assert_int_equal(http_transfer_coding(&r, ix.h[HTTP_H_TRANSFER_ENCODING]), -1);
		assert_int_equal(http_transfer_coding(&r, NULL), 0);
	}
}

static void
list_headers_over_lines(void **state)
{
	struct http_header hdr[8];
	struct http_request r;
	struct http_index ix;
	const struct http_header *h;
	int n;

	(void)state;
	head_of("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nX: close\r\n"
	        "CONNECTION: x, close\r\nIf-None-Match: \"a\"\r\nIf-None-Match: \"b\"\r\n\r\n",
	        &r, hdr, 8, &ix, &n);
	h = ix.h[HTTP_H_CONNECTION];
	assert_ptr_equal(h, &hdr[1]);
	assert_ptr_equal(http_next_header(&r, h), &hdr[3]);
	assert_null(http_next_header(&r, &hdr[3]));
	assert_true(http_lines_have_token(&r, h, "close"));
	assert_false(http_lines_have_token(&r, h, "upgrade"));
	assert_false(http_lines_have_token(&r, NULL, "close"));
	assert_false(http_wants_keepalive(&r, &ix));
	h = ix.h[HTTP_H_IF_NONE_MATCH];
	assert_ptr_equal(http_next_header(&r, h), &hdr[5]);
	head_of("GET / HTTP/1.0\r\nConnection: x\r\nConnection: Keep-Alive\r\n\r\n", &r, hdr, 8, &ix, &n);
	assert_true(http_wants_keepalive(&r, &ix));
	head_of("GET / HTTP/1.0\r\nConnection: x\r\n\r\n", &r, hdr, 8, &ix, &n);
	assert_false(http_wants_keepalive(&r, &ix));
	head_of("GET / HTTP/1.1\r\nHost: a\r\nIf-Match: \"a\"\r\nIf-Unmodified-Since: x\r\n\r\n",
	        &r, hdr, 8, &ix, &n);
	assert_ptr_equal(ix.h[HTTP_H_IF_MATCH], &hdr[1]);
	assert_ptr_equal(ix.h[HTTP_H_IF_UNMODIFIED_SINCE], &hdr[2]);
}

/* The decision for every method with a body, and the promise behind it: a
 * kept connection never has a body left unread. */
static void
decide(void **state)
{
	static const struct { const char *head; int status; bool keep; } tab[] = {
		{ "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, true },
		{ "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", 0, true },
		{ "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 204, true },
		{ "OPTIONS * HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", 204, true },
		{ "OPTIONS / HTTP/1.1\r\nHost: a\r\nContent-Length: 18\r\n\r\n", 413, false },
		{ "OPTIONS / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 413, false },
		{ "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n", 413, false },
		{ "HEAD / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 413, false },
		{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n", 405, false },
		{ "POST / HTTP/1.1\r\nHost: a\r\n\r\n", 405, false },
		{ "TRACE / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n", 405, false },
		{ "BREW / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n", 501, false },
		{ "get / HTTP/1.1\r\nHost: a\r\n\r\n", 501, false },
		{ "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400, false },
		{ "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: frob\r\n\r\n", 501, false },
		{ "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n", 400, false },
		{ "GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, false },
		{ "GET / HTTP/1.1\r\n\r\n", 400, false },
		{ "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400, false },
		{ "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400, false },
		{ "GET / HTTP/1.0\r\nHost: a@b\r\n\r\n", 400, false },
		{ "GET / HTTP/1.0\r\n\r\n", 0, false },
		{ "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 0, true },
		{ "GET / HTTP/1.1\r\nHost: a\r\nConnection: a\r\nConnection: close\r\n\r\n", 0, false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		struct http_header hdr[8];
		struct http_request r;
		struct http_index ix;
		struct http_verdict v;
		int n;

		head_of(tab[i].head, &r, hdr, 8, &ix, &n);
		http_decide(&r, &ix, (size_t)n, &v);
		if (v.status != tab[i].status || v.keepalive != tab[i].keep)
			fail_msg("case %zu: status %d keep %d", i, v.status, v.keepalive);
		assert_int_equal(v.consumed, (size_t)n);
		assert_false(v.keepalive && v.has_body);
	}
	assert_true(http_status_keeps(200) && http_status_keeps(304) && http_status_keeps(412));
	assert_false(http_status_keeps(400) || http_status_keeps(413) || http_status_keeps(414));
}

int
main(void)
{
	struct CMUnitTest parse[NCASES];
	const struct CMUnitTest other[] = {
		cmocka_unit_test(huge_header_fits),
		cmocka_unit_test(huge_header_431),
		cmocka_unit_test(huge_request_line_414),
		cmocka_unit_test(headers_100_ok_101_431),
		cmocka_unit_test(max_headers_zero),
		cmocka_unit_test(incremental_sees_garbage),
		cmocka_unit_test(incremental_limit),
		cmocka_unit_test(find_and_count),
		cmocka_unit_test(find_no_false_fold),
		cmocka_unit_test(has_token),
		cmocka_unit_test(has_token_at_guard),
		cmocka_unit_test(host_validation),
		cmocka_unit_test(content_length_values),
		cmocka_unit_test(transfer_codings),
		cmocka_unit_test(list_headers_over_lines),
		cmocka_unit_test(decide),
	};
	int fails;

	for (size_t i = 0; i < NCASES; i++)
		parse[i] = (struct CMUnitTest){ cases[i].name, run_case, NULL, NULL,
		                                (void *)&cases[i] };
	fails = cmocka_run_group_tests_name("http_parse_request", parse, NULL, NULL);
	return fails + cmocka_run_group_tests_name("http", other, NULL, NULL);
}
