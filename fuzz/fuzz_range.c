/* libFuzzer harness for range.c. The first byte picks the parser (its value
 * mod 4, so '0'..'3' in the corpus: 0 range_parse, 1 range_etag_match, 2
 * range_parse_http_date, 3 all three) and the rest is the header value.
 * Asserts properties, not just "no crash":
 *   Range  an answer from the enum; *out written only for RANGE_ONE, then
 *          first <= last < size; IGNORE (syntax) the same for every size;
 *          size 0 only IGNORE or UNSATISFIABLE; ASCII case changes nothing;
 *          for sizes up to 64 the same answer as a naive reference that
 *          marks requested bytes in a bit mask (checks clipping and merging).
 *   ETag   -1/0/1; malformed for one comparison iff for the other; a strong
 *          match is a weak one; a valid list plus our tag matches strongly.
 *   Date   *t only on success; a length of one of the three forms; the time
 *          in years 0..9999; re-formatted as IMF-fixdate and as asctime
 *          (a tiny formatter below) it parses back to the same time. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlserve/range.h"

#define CHECK(x) ((x) ? (void)0 : abort())
#define MAX 4096
#define TAG "\"a-b-c\""

static int
in_enum(enum range_result r)
{
	return r == RANGE_IGNORE || r == RANGE_ONE || r == RANGE_MANY || r == RANGE_UNSATISFIABLE;
}

/* range_parse against one size; returns its answer, *s as written. */
static enum range_result
one_size(const char *v, size_t n, uint64_t size, struct range_span *s)
{
	const struct range_span poison = { 0x5a5a, 0xa5a5 };
	enum range_result r;

	*s = poison;
	r = range_parse(v, n, size, s);
	CHECK(in_enum(r));
	if (r == RANGE_ONE)
		CHECK(s->first <= s->last && s->last < size);
	else
		CHECK(s->first == poison.first && s->last == poison.last);
	if (size == 0)
		CHECK(r == RANGE_IGNORE || r == RANGE_UNSATISFIABLE);
	return r;
}

/* 1*DIGIT in s[0..n) up to INT64_MAX; returns 0 with *v, or -1. */
static int
ref_num(const char *s, size_t n, uint64_t *v)
{
	uint64_t x = 0;

	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (x > INT64_MAX / 10)  /* then x * 10 + 9 cannot wrap */
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
		if (x > INT64_MAX)
			return -1;
	}
	*v = x;
	return 0;
}

/* Bytes of [0, size) that one trimmed element e[0..n) asks for, as a mask
 * (size <= 64); returns 0, or -1 when the element is invalid. */
static int
ref_spec(const char *e, size_t n, uint64_t size, uint64_t *mask)
{
	const char *dash = memchr(e, '-', n);
	uint64_t a, b = UINT64_MAX;
	size_t k = dash ? (size_t)(dash - e) : n;

	if (dash == NULL)
		return -1;
	if (k == 0) {
		if (ref_num(e + 1, n - 1, &b) < 0)
			return -1;
		a = b >= size ? 0 : size - b;
		b = b == 0 ? 0 : size;  /* "-0" asks for nothing */
		for (uint64_t i = a; i < b; i++)
			*mask |= 1ull << i;
		return 0;
	}
	if (ref_num(e, k, &a) < 0 || (k + 1 < n && ref_num(e + k + 1, n - k - 1, &b) < 0))
		return -1;
	if (b < a)
		return -1;
	for (uint64_t i = a; i < size && i <= b; i++)
		*mask |= 1ull << i;
	return 0;
}

/* An independent, simpler range_parse for size <= 64: split on ',', trim OWS,
 * mark the bytes asked for, and read the answer off the mask. */
static enum range_result
reference(const char *v, size_t n, uint64_t size, struct range_span *s)
{
	uint64_t mask = 0, low;
	size_t i = 6, elems = 0;

	if (n < 6)
		return RANGE_IGNORE;
	for (size_t k = 0; k < 6; k++) {
		if (v[k] != "bytes="[k] && v[k] != "BYTES="[k])
			return RANGE_IGNORE;
	}
	while (i <= n) {
		const char *comma = memchr(v + i, ',', n - i);
		size_t end = comma ? (size_t)(comma - v) : n, a = i, b = end;

		while (a < b && (v[a] == ' ' || v[a] == '\t'))
			a++;
		while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t'))
			b--;
		if (a < b && (++elems > 100 || ref_spec(v + a, b - a, size, &mask) < 0))
			return RANGE_IGNORE;
		i = end + 1;
	}
	if (elems == 0)
		return RANGE_IGNORE;
	if (mask == 0)
		return RANGE_UNSATISFIABLE;
	s->first = (uint64_t)__builtin_ctzll(mask);
	low = mask >> s->first;
	if ((low & (low + 1)) != 0)
		return RANGE_MANY;
	s->last = 63 - (uint64_t)__builtin_clzll(mask);
	return RANGE_ONE;
}

static void
fuzz_range(const char *v, size_t n)
{
	static const uint64_t sizes[] = { 0, 1, 2, 10, 64, 65536, INT64_MAX, UINT64_MAX };
	static char flip[MAX];
	struct range_span s, t;
	enum range_result first = RANGE_IGNORE;

	for (size_t k = 0; k < n && k < MAX; k++) {
		char c = v[k];

		flip[k] = (char)((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ? c ^ 0x20 : c);
	}
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		enum range_result r = one_size(v, n, sizes[i], &s);

		if (i == 0)
			first = r;
		CHECK((r == RANGE_IGNORE) == (first == RANGE_IGNORE));
		if (sizes[i] <= 64) {
			CHECK(reference(v, n, sizes[i], &t) == r);
			CHECK(r != RANGE_ONE || (s.first == t.first && s.last == t.last));
		}
		if (n > MAX)
			continue;
		CHECK(one_size(flip, n, sizes[i], &t) == r);
		CHECK(r != RANGE_ONE || (s.first == t.first && s.last == t.last));
	}
}

static void
fuzz_etag(const char *v, size_t n)
{
	static const char *const tags[] = { TAG, ("W/" TAG), "\"\"", "\"x\"" };
	static char more[MAX + sizeof(TAG) + 1];
	int r;

	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		size_t tl = strlen(tags[i]);
		int s = range_etag_match(v, n, tags[i], tl, 0);
		int w = range_etag_match(v, n, tags[i], tl, 1);

		CHECK(s >= -1 && s <= 1 && w >= -1 && w <= 1);
		CHECK((s == -1) == (w == -1));
		CHECK(s != 1 || w == 1);
	}
	if (n > MAX || range_etag_match(v, n, TAG, sizeof(TAG) - 1, 1) < 0)
		return;
	/* A valid list plus ",TAG" stays valid and matches strongly, except "*"
	 * (which cannot start a list). "*" is the only valid list that matches a
	 * tag holding a CTL, which no opaque-tag can contain. */
	memcpy(more, v, n);
	more[n] = ',';
	memcpy(more + n + 1, TAG, sizeof(TAG) - 1);
	r = range_etag_match(more, n + sizeof(TAG), TAG, sizeof(TAG) - 1, 0);
	CHECK(r == 1 || (r == -1 && range_etag_match(v, n, "\"\x01\"", 3, 0) == 1));
}

/* Civil date of a day count since 1970-01-01 (Howard Hinnant's
 * civil_from_days, the inverse of src/range.c's days_from_civil, written
 * independently here so the round trip tests one against the other). */
static void
civil(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* Format t as IMF-fixdate (asc = 0) or asctime (asc = 1) into buf; returns
 * the length, or 0 when the year has more than four digits. */
static size_t
format_date(time_t t, int asc, char *buf, size_t cap)
{
	static const char wd[][4] = { "Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed" };
	static const char mn[][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
		                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	int64_t days = (int64_t)t / 86400, secs = (int64_t)t % 86400, y;
	int m, d, len;

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	civil(days, &y, &m, &d);
	if (y < 0 || y > 9999)
		return 0;
	if (asc)
		len = snprintf(buf, cap, "%s %s %2d %02d:%02d:%02d %04d", wd[(days % 7 + 7) % 7],
		               mn[m - 1], d, (int)(secs / 3600), (int)(secs / 60 % 60),
		               (int)(secs % 60), (int)y);
	else
		len = snprintf(buf, cap, "%s, %02d %s %04d %02d:%02d:%02d GMT",
		               wd[(days % 7 + 7) % 7], d, mn[m - 1], (int)y, (int)(secs / 3600),
		               (int)(secs / 60 % 60), (int)(secs % 60));
	CHECK(len > 0 && (size_t)len < cap);
	return (size_t)len;
}

static void
fuzz_date(const char *v, size_t n)
{
	const time_t poison = 0x5a5a5a5a;
	time_t t = poison, again;
	char buf[64];
	int r = range_parse_http_date(v, n, &t);

	CHECK(r == 0 || r == -1);
	if (r < 0) {
		CHECK(t == poison);
		return;
	}
	CHECK(n == 24 || n == 29 || (n >= 30 && n <= 33));
	/* 0000-01-01 00:00:00 .. 9999-12-31 23:59:60 */
	CHECK((int64_t)t >= -62167219200ll && (int64_t)t <= 253402300800ll);
	for (int asc = 0; asc <= 1; asc++) {
		size_t len = format_date(t, asc, buf, sizeof(buf));

		if (len == 0)
			continue;
		again = poison;
		CHECK(range_parse_http_date(buf, len, &again) == 0 && again == t);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *v = (const char *)data + 1;
	size_t n = size - 1;

	if (size == 0)
		return 0;
	switch (data[0] & 3) {
	case 0:
		fuzz_range(v, n);
		break;
	case 1:
		fuzz_etag(v, n);
		break;
	case 2:
		fuzz_date(v, n);
		break;
	default:
		fuzz_range(v, n);
		fuzz_etag(v, n);
		fuzz_date(v, n);
		break;
	}
	return 0;
}
