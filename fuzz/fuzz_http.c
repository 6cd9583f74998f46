/* libFuzzer harness for http_parse_request. Asserts properties, not just "no
 * crash": spans inside the head, consumed <= len and <= max_head, a status from
 * the documented set, nhdr untouched on failure, every shorter prefix -2 (each
 * in an exact-size copy, so ASan sees an over-read), and the same answer when
 * fed in two pieces with last_len. Run twice: roomy limits, and a max_head one
 * byte short of the input with few headers, to reach 414/431. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlserve/http.h"

#define CHECK(x) ((x) ? (void)0 : abort())
#define IN(s, b, l) ((s).p >= (b) && (s).n <= (l) && (size_t)((s).p - (b)) <= (l) - (s).n)
#define OWS(c) ((c) == ' ' || (c) == '\t')

/* Parse an exact-size heap copy of b[0..len), so ASan flags reading past len. */
static int
parse(const char *b, size_t len, size_t last, const struct http_limits *l, size_t cap)
{
	struct http_header hdr[64];
	struct http_request r = { .hdr = hdr, .nhdr = cap };
	char *copy = malloc(len ? len : 1);
	int n;

	CHECK(copy != NULL);
	memcpy(copy, b, len);
	n = http_parse_request(copy, len, last, l, &r);
	free(copy);
	return n;
}

/* One parse of the whole input, and the properties its answer must have. */
static void
run(const char *b, size_t size, const struct http_limits *lim, size_t cap)
{
	struct http_header hdr[64];
	struct http_request r = { .hdr = hdr, .nhdr = cap };
	int n = http_parse_request(b, size, 0, lim, &r);

	CHECK(n == -1 || n == -2 || (n > 0 && (size_t)n <= size && (size_t)n <= lim->max_head));
	if (n < 0)
		CHECK(r.nhdr == cap);
	if (n == -1)
		CHECK(r.status == 400 || r.status == 414 || r.status == 431 || r.status == 505);
	if (n <= 0)
		return;
	CHECK(r.minor == 0 || r.minor == 1);
	CHECK(r.nhdr <= cap && r.nhdr <= lim->max_headers);
	CHECK(IN(r.method, b, (size_t)n) && r.method.n > 0);
	CHECK(IN(r.target, b, (size_t)n) && r.target.n > 0);
	for (size_t i = 0; i < r.nhdr; i++) {
		struct http_span v = r.hdr[i].value;

		CHECK(IN(r.hdr[i].name, b, (size_t)n) && r.hdr[i].name.n > 0);
		CHECK(IN(v, b, (size_t)n));
		CHECK(v.n == 0 || (!OWS(v.p[0]) && !OWS(v.p[v.n - 1])));
		CHECK(memchr(v.p, '\r', v.n) == NULL && memchr(v.p, '\n', v.n) == NULL);
	}
	for (size_t k = 0, step = n <= 256 ? 1 : (size_t)n / 16; k < (size_t)n; k += step)
		CHECK(parse(b, k, 0, lim, cap) == -2);
	CHECK(parse(b, (size_t)n / 2, 0, lim, cap) == -2);
	CHECK(parse(b, size, (size_t)n / 2, lim, cap) == n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_limits roomy = { 16384, 100 }, tight = { size > 1 ? size - 1 : 1, 4 };

	run((const char *)data, size, &roomy, 32);
	run((const char *)data, size, &tight, 64);
	return 0;
}
