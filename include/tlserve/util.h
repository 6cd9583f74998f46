/* util: small pure helpers shared by the config loader and the runtime.
 * Pure: no I/O, no allocation, no globals. */
#ifndef TLSERVE_UTIL_H
#define TLSERVE_UTIL_H
#include <stddef.h>
#include <stdint.h>

/* Parse a duration: digits followed by one unit "ms", "s", "m", "h" or "d"
 * (a bare number means seconds). Writes milliseconds to *ms on success.
 * Returns 0, or -1 on a malformed or overflowing value. */
int util_parse_duration(const char *s, size_t len, uint64_t *ms);

/* Parse a size: digits with an optional suffix k/K, m/M, g/G (powers of 1024).
 * Returns 0 with *bytes set, or -1 on a malformed or overflowing value. */
int util_parse_size(const char *s, size_t len, uint64_t *bytes);

/* Case-insensitive comparison of a length-delimited buffer with a NUL-terminated
 * ASCII string. Returns 1 when equal. */
int util_strieq(const char *p, size_t n, const char *lit);

/* Character classes shared by the header parsers; ASCII only, so no
 * locale ever changes an answer. OWS is SP or HTAB (RFC 9110 5.6.3). */
static inline int
util_is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static inline int
util_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* ASCII lower case only: protocol tokens are ASCII, and a locale must never
 * fold a byte ('|0x20' alone would also confuse '^' with '~'). */
static inline char
util_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
}

/* tchar (RFC 9110 5.6.2): ALPHA, DIGIT and !#$%&'*+-.^_`|~; one table for
 * every token parser (methods, field names, codings, parameters). */
extern const unsigned char util_tchar_table[256];

static inline int
util_is_tchar(char c)
{
	return util_tchar_table[(unsigned char)c];
}

/* A read position in a header value v[0..n): p never passes end. The
 * header parsers (range.c, encoding.c) walk values with it. */
struct util_cur {
	const char *p, *end;
};

/* Advance over OWS. */
static inline void
util_cur_skip_ows(struct util_cur *c)
{
	while (c->p < c->end && util_is_ows(*c->p))
		c->p++;
}

/* Consume the byte ch if it is next; returns 1 when it was, else 0. */
static inline int
util_cur_take(struct util_cur *c, char ch)
{
	if (c->p == c->end || *c->p != ch)
		return 0;
	c->p++;
	return 1;
}

#endif
