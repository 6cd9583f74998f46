/* range: the parsers behind conditional and partial requests (RFC 9110
 * sections 13 and 14): Range, If-None-Match / If-Match style entity-tag
 * lists, If-Range, and HTTP dates. Pure: no I/O, no allocation, no globals. */
#ifndef TLSERVE_RANGE_H
#define TLSERVE_RANGE_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* One byte range, inclusive at both ends, already resolved against the size. */
struct range_span {
	uint64_t first, last;
};

enum range_result {
	RANGE_IGNORE = 0,         /* absent, not "bytes=", or syntactically invalid: serve 200 */
	RANGE_ONE = 1,            /* one satisfiable range in *out: serve 206 */
	RANGE_MANY = 2,           /* several ranges that stay apart after merging: serve 200 */
	RANGE_UNSATISFIABLE = -1  /* valid, but no range overlaps the representation: 416 */
};

/* Parse a Range header value v[0..n) for a representation of size bytes.
 * Accepts "bytes=a-b", "bytes=a-", "bytes=-n" and comma-separated lists of
 * them (OWS around elements, empty elements ignored per RFC 9110 5.6.1), the
 * unit case-insensitive. Ranges are clipped to the size ("a-b" with b past
 * the end ends at size-1; "-n" with n > size is the whole representation);
 * a range starting at or past the end is unsatisfiable and dropped; "-0" is
 * unsatisfiable. When several satisfiable ranges overlap or touch, they are
 * merged; if one span results, RANGE_ONE. More than 100 elements: RANGE_IGNORE
 * (defence against range amplification). a > b, non-digits, overflow beyond
 * 2^63: RANGE_IGNORE. An empty representation (size 0): any valid header is
 * RANGE_UNSATISFIABLE. */
enum range_result range_parse(const char *v, size_t n, uint64_t size, struct range_span *out);

/* Does the entity-tag list in v[0..n) (If-None-Match syntax: "*" or a
 * comma-separated list of  [W/]"opaque" ) match etag (a strong tag with its
 * quotes, e.g. "\"a-b-c\"")? weak = 1 uses the weak comparison (If-None-Match,
 * RFC 9110 8.8.3.2: W/ prefixes ignored), weak = 0 the strong one (If-Range:
 * a W/ tag never matches). Returns 1 match, 0 no match, -1 malformed list
 * (the caller then ignores the header). */
int range_etag_match(const char *v, size_t n, const char *etag, size_t etaglen, int weak);

/* Parse an HTTP date (RFC 9110 5.6.7): IMF-fixdate, and the obsolete RFC 850
 * and asctime forms. Returns 0 with *t (seconds since the epoch, UTC), or -1. */
int range_parse_http_date(const char *v, size_t n, time_t *t);

#endif
