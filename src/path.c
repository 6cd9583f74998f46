/* path: request-target to a clean path, lexically. Pure: no I/O, no allocation,
 * no globals besides const tables. It never looks at the file system: what the
 * result names beneath the root is file.c's business (openat2 RESOLVE_BENEATH),
 * so this module only promises a canonical string, and refuses what no file
 * name should contain.
 *
 * One pass, left to right, O(inlen) (a ".." steps back over bytes it then
 * discards, so each output byte is revisited at most once):
 *
 *   "https://host/a/%2e%2e/b%2Fc/./d/?q#f"
 *            |   ^p                  ^end: the query and fragment are cut
 *            |                             before decoding: an encoded %3f stays literal
 *            authority: dropped, never used
 *
 *   decode one byte ("%2e" -> '.') -> UTF-8 check -> '/' ends a segment:
 *
 *   out: "/a/.."  --'/'-->  "/"    the segment just written was "..": pop "a/"
 *            ^seg
 *
 * Decoding happens exactly once, before "." and ".." are looked for: "%2e%2e"
 * is "..", "%2f" is a separator, and "%252e" is the harmless name "%2e".
 */
#include <limits.h>
#include <string.h>

#include "tlserve/path.h"

/* The output being built: out[0..o) so far, the current segment from seg. */
struct norm {
	char *out;
	size_t o, cap, seg;
};

/* Value of a hex digit, or -1. */
static inline int
hexval(unsigned char c)
{
	if ((unsigned)c - '0' < 10u)
		return c - '0';
	c |= 0x20;
	if ((unsigned)c - 'a' < 6u)
		return c - 'a' + 10;
	return -1;
}

/* Length of a leading "http://" or "https://" (scheme case-insensitive, RFC 9110
 * 4.2.3), or 0. */
static size_t
scheme_len(const char *in, size_t inlen)
{
	size_t i;

	if (inlen < 7)
		return 0;
	for (i = 0; i < 4; i++) {
		if ((in[i] | 0x20) != "http"[i])
			return 0;
	}
	if ((in[i] | 0x20) == 's')
		i++;
	if (inlen - i < 3 || memcmp(in + i, "://", 3) != 0)
		return 0;
	return i + 3;
}

/* Where the path of the request-target starts. Origin-form "/..." is itself;
 * absolute-form "http://authority/..." (RFC 9112 3.2.2) skips the scheme and the
 * authority, which must not be empty (RFC 9110 4.2.1) nor hold a CTL, SP or
 * backslash. "*" (asterisk-form) and authority-form name no file. Returns the
 * offset of the path (which may be empty, or start with '?' or '#' as in
 * "http://h?q"), or -1. */
static ptrdiff_t
path_start(const char *in, size_t inlen)
{
	size_t i, n;

	if (inlen > 0 && in[0] == '/')
		return 0;
	if ((n = scheme_len(in, inlen)) == 0)
		return -1;
	for (i = n; i < inlen && in[i] != '/' && in[i] != '?' && in[i] != '#'; i++) {
		if ((unsigned char)in[i] <= 0x20 || in[i] == 0x7f || in[i] == '\\')
			return -1;
	}
	return i == n ? -1 : (ptrdiff_t)i;
}

/* One more byte of the decoded path, checked as UTF-8 (RFC 3629 section 4, which
 * excludes overlong forms, surrogates and code points above U+10FFFF: "%c0%ae" is
 * not a '.'). *need counts continuation bytes still due, [*lo, *hi] is the range
 * of the next one. Returns 0, or -1 for a byte that cannot come next. */
static int
utf8_step(unsigned c, unsigned *need, unsigned *lo, unsigned *hi)
{
	if (*need > 0) {
		if (c < *lo || c > *hi)
			return -1;
		(*need)--;
		*lo = 0x80;
		*hi = 0xbf;
		return 0;
	}
	if (c < 0x80)
		return 0;
	if (c < 0xc2 || c > 0xf4)
		return -1;  /* a lone continuation, C0/C1 (always overlong), past U+10FFFF */
	*need = c < 0xe0 ? 1 : c < 0xf0 ? 2 : 3;
	*lo = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;  /* overlong 3- and 4-byte forms */
	*hi = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;  /* surrogates; > U+10FFFF */
	return 0;
}

/* Append one byte, keeping room for the NUL. Returns 0 or 414. */
static inline int
put(struct norm *n, char c)
{
	if (n->o + 1 >= n->cap)
		return 414;
	n->out[n->o++] = c;
	return 0;
}

/* Close the segment out[seg..o): drop "" (from "//") and ".", pop the previous
 * segment for "..", else keep it, followed by '/' unless it is the last one.
 * Returns 0, 400 when ".." would climb above "/", or 414. */
static int
end_segment(struct norm *n, int last)
{
	const char *s = n->out + n->seg;
	size_t len = n->o - n->seg;
	int r = 0;

	if (len == 1 && s[0] == '.') {
		n->o = n->seg;
	} else if (len == 2 && s[0] == '.' && s[1] == '.') {
		if (n->seg == 1)
			return 400;
		n->o = n->seg - 1;  /* the '/' that ended the previous segment */
		while (n->out[n->o - 1] != '/')
			n->o--;
	} else if (len > 0 && !last) {
		r = put(n, '/');
	}
	n->seg = n->o;
	return r;
}

/* Decode in[0..len) once and normalise it into n. A decoded or raw byte below
 * 0x20, DEL or a backslash is refused (no Windows-style separator may reach a
 * file name). Returns 0, 400 or 414. */
static int
decode(const char *in, size_t len, struct norm *n)
{
	const char *p = in, *end = in + len;
	unsigned need = 0, lo = 0, hi = 0;
	int r;

	while (p < end) {
		unsigned c = (unsigned char)*p++;

		if (c == '%') {
			int h, l;

			if (end - p < 2 || (h = hexval((unsigned char)p[0])) < 0 ||
			    (l = hexval((unsigned char)p[1])) < 0)
				return 400;
			c = (unsigned)(h << 4 | l);
			p += 2;
		}
		if (c < 0x20 || c == 0x7f || c == '\\' || utf8_step(c, &need, &lo, &hi) != 0)
			return 400;
		r = c == '/' ? end_segment(n, 0) : put(n, (char)c);
		if (r != 0)
			return r;
	}
	if (need > 0)
		return 400;  /* a truncated UTF-8 sequence */
	return end_segment(n, 1);
}

/* See path.h. out[0..outcap) is scratch on failure. Errors are found in input
 * order, so a path that overflows outcap before its first bad byte gets 414.
 * The result never outgrows the input: outcap > inlen avoids 414 entirely
 * (the check is on every intermediate step, e.g. "/aaaa/.." needs room for
 * "/aaaa" before it collapses to "/"). */
int
path_normalize(const char *in, size_t inlen, char *out, size_t outcap, size_t *query,
               int *status)
{
	struct norm n = { out, 1, outcap, 1 };
	ptrdiff_t start = path_start(in, inlen);
	size_t e;
	int r;

	if (start < 0) {
		*status = 400;
		return -1;
	}
	for (e = (size_t)start; e < inlen && in[e] != '?' && in[e] != '#'; e++)
		;
	if (outcap < 2 || e - (size_t)start >= INT_MAX) {
		*status = 414;
		return -1;
	}
	out[0] = '/';
	if ((r = decode(in + start, e - (size_t)start, &n)) != 0) {
		*status = r;
		return -1;
	}
	out[n.o] = '\0';
	if (query != NULL)
		*query = e < inlen && in[e] == '?' ? e : inlen;
	return (int)n.o;
}

/* See path.h. O(len). */
int
path_has_dotfile(const char *norm, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (norm[i] == '.' && (i == 0 || norm[i - 1] == '/'))
			return 1;
	}
	return 0;
}
