/* libFuzzer harness for path_normalize. Asserts properties, not just "no crash":
 * a result starts with '/', holds no "//", no "." or ".." segment, no NUL, CTL
 * or backslash, no byte that never occurs in UTF-8, is no longer than the input
 * and fits outcap; *query points at a '?'; normalising it again (with '%', '?'
 * and '#' re-encoded, since they were decoded once already) gives it back; and
 * a smaller outcap gives the same answer or 414, never anything else. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlserve/path.h"

#define CHECK(x) ((x) ? (void)0 : abort())
#define MAX 4096

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[MAX + 1], enc[3 * MAX], again[3 * MAX];
	const char *in = (const char *)data;
	size_t q = SIZE_MAX, e = 0;
	int st = 0, n, m;

	if (size > MAX)
		return 0;
	n = path_normalize(in, size, out, sizeof(out), &q, &st);
	if (n < 0) {
		CHECK(n == -1 && (st == 400 || st == 414) && q == SIZE_MAX);
		return 0;
	}
	CHECK((size_t)n <= size && out[0] == '/' && out[n] == '\0' && strlen(out) == (size_t)n);
	CHECK(!strstr(out, "//") && !strstr(out, "/./") && !strstr(out, "/../"));
	CHECK(strcmp(out + (n > 2 ? n - 2 : 0), "/.") && (n < 3 || strcmp(out + n - 3, "/..")));
	CHECK(q == size || (q < size && in[q] == '?'));
	for (int i = 0; i < n; i++) {
		unsigned char c = (unsigned char)out[i];

		CHECK(c >= 0x20 && c != 0x7f && c != '\\' && c != 0xc0 && c != 0xc1 && c < 0xf5);
		if (c == '%' || c == '?' || c == '#') {
			enc[e++] = '%';
			enc[e++] = "0123456789ABCDEF"[c >> 4];
			enc[e++] = "0123456789ABCDEF"[c & 15];
		} else {
			enc[e++] = (char)c;
		}
	}
	m = path_normalize(enc, e, again, sizeof(again), NULL, &st);
	CHECK(m == n && memcmp(again, out, (size_t)n + 1) == 0);
	CHECK(path_normalize(in, size, again, size + 1, NULL, &st) == n);
	m = path_normalize(in, size, again, (size_t)n + 1, NULL, &st);
	CHECK(m == n || (m == -1 && st == 414));
	CHECK(path_normalize(in, size, again, (size_t)n, NULL, &st) == -1 && st == 414);
	return 0;
}
