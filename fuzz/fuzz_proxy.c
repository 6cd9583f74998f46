/* libFuzzer harness for proxy_parse. Asserts properties, not just "no crash":
 * the answer is -1, -2 or a length within the input and PROXY_MAX_HEADER; a
 * success has its authority view inside the header and, unless local, one
 * family (AF_INET or AF_INET6, with its sockaddr length) for src and dst;
 * shorter prefixes give -2 (all of them for v1, whose inet_pton completions
 * decide; a sample for v2), each in an exact-size copy so ASan sees an
 * over-read; a -2 input's half is -2 too; and allowing both versions gives the
 * same answer as allowing only the one the first byte names. */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlserve/proxy.h"

#define CHECK(x) ((x) ? (void)0 : abort())
#define BOTH (PROXY_V1 | PROXY_V2)

/* Parse an exact-size heap copy of b[0..len). */
static int
parse(const uint8_t *b, size_t len, unsigned allowed)
{
	struct proxy_result r;
	uint8_t *copy = malloc(len ? len : 1);
	int n;

	CHECK(copy != NULL);
	memcpy(copy, b, len);
	n = proxy_parse(copy, len, allowed, &r);
	free(copy);
	return n;
}

static int
addr_ok(const struct proxy_result *r)
{
	int af = r->src.ss_family;
	socklen_t want = af == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);

	return (af == AF_INET || af == AF_INET6) && r->dst.ss_family == af &&
	       r->srclen == want && r->dstlen == want;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_result r;
	int n = proxy_parse(data, size, BOTH, &r), v1 = size > 0 && data[0] == 'P';
	size_t max = size < PROXY_MAX_HEADER ? size : PROXY_MAX_HEADER;

	CHECK(n == -1 || n == -2 || (n > 0 && (size_t)n <= max));
	CHECK(size == 0 || parse(data, size, v1 ? PROXY_V1 : PROXY_V2) == n);
	if (n == -2)
		CHECK(parse(data, size / 2, BOTH) == -2);
	if (n <= 0)
		return 0;
	CHECK(r.version == (v1 ? 1 : 2) && (r.local == 0 || r.local == 1));
	CHECK(r.local || addr_ok(&r));
	if (r.authority == NULL)
		CHECK(r.authority_len == 0);
	else
		CHECK(!v1 && r.authority >= data && r.authority_len <= (size_t)n &&
		      (size_t)(r.authority - data) <= (size_t)n - r.authority_len);
	for (size_t k = 0, step = v1 ? 1 : (size_t)n / 16 + 1; k < (size_t)n; k += step)
		CHECK(parse(data, k, BOTH) == -2);
	CHECK(parse(data, (size_t)n - 1, BOTH) == -2 && parse(data, (size_t)n, BOTH) == n);
	return 0;
}
