/* libFuzzer harness for encoding_accepted. Asserts properties, not just "no
 * crash": only the gzip and br bits; prefer_br 0 or 1, and 1 only with br; the
 * same answer with prefer_br NULL, with ASCII case flipped (names and "q" are
 * case-insensitive, other parameters ignored), with ", " in front and with ","
 * behind (empty elements); and appending ",gzip;q=0" (",br;q=0") always
 * refuses gzip (br): a refusal is never lost, whatever came before. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlserve/encoding.h"

#define CHECK(x) ((x) ? (void)0 : abort())
#define MAX 4096
#define BOTH (ENCODING_GZIP | ENCODING_BR)

/* encoding_accepted with the invariants every answer has; *pb as written. */
static unsigned
accepted(const char *v, size_t n, int *pb)
{
	unsigned bits;

	*pb = 7;
	bits = encoding_accepted(v, n, pb);
	CHECK((bits & ~BOTH) == 0);
	CHECK(*pb == 0 || (*pb == 1 && (bits & ENCODING_BR)));
	CHECK(encoding_accepted(v, n, NULL) == bits);
	return bits;
}

/* pre + v[0..n) + post in buf; returns the length. */
static size_t
wrap(char *buf, const char *pre, const char *v, size_t n, const char *post)
{
	size_t a = strlen(pre), b = strlen(post);

	memcpy(buf, pre, a);
	memcpy(buf + a, v, n);
	memcpy(buf + a + n, post, b);
	return a + n + b;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[MAX + 16];
	const char *v = (const char *)data;
	unsigned bits;
	size_t len;
	int pb, pb2;

	bits = accepted(v, size, &pb);
	if (size > MAX)
		return 0;
	for (size_t k = 0; k < size; k++) {
		char c = v[k];

		buf[k] = (char)((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ? c ^ 0x20 : c);
	}
	CHECK(accepted(buf, size, &pb2) == bits && pb2 == pb);
	len = wrap(buf, ", ", v, size, "");
	CHECK(accepted(buf, len, &pb2) == bits && pb2 == pb);
	len = wrap(buf, "", v, size, ",");
	CHECK(accepted(buf, len, &pb2) == bits && pb2 == pb);
	len = wrap(buf, "", v, size, ",gzip;q=0");
	CHECK((accepted(buf, len, &pb2) & ENCODING_GZIP) == 0);
	len = wrap(buf, "", v, size, ",br;q=0");
	CHECK((accepted(buf, len, &pb2) & ENCODING_BR) == 0 && pb2 == 0);
	return 0;
}
