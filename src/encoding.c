/* encoding: Accept-Encoding negotiation (RFC 9110 12.5.3) between the two
 * precompressed forms file.c can send, FILE.gz and FILE.br. Pure: no I/O, no
 * allocation, no globals, no locale. One pass over v[0..n), O(n):
 *
 *   "br;q=0.8, x-gzip , *;q=0, identity;foo=\"a,b\""
 *    | |       |     ^OWS              ^a parameter we skip (quoted commas honoured)
 *    | |       ^x-gzip counts as gzip
 *    | ^a weight, kept in thousandths: 800
 *    ^a coding, case-insensitive
 *
 * Thousandths (0..1000) are exact, as a qvalue has at most three decimals
 * (RFC 9110 12.4.2); -1 means "not listed".
 */
#include <stddef.h>
#include <string.h>

#include "tlserve/encoding.h"
#include "tlserve/util.h"

#define Q_UNSET -1
#define Q_ONE 1000

/* The codings we track; everything else (identity, deflate, zstd, ...) is
 * parsed and dropped. */
enum coding { CODING_OTHER = -1, CODING_GZIP, CODING_BR, CODING_STAR };

/* A token; returns its length (0: none there). */
static size_t
token(struct util_cur *c)
{
	const char *start = c->p;

	while (c->p < c->end && util_is_tchar(*c->p))
		c->p++;
	return (size_t)(c->p - start);
}

/* quoted-string (RFC 9110 5.6.4): DQUOTE *( qdtext / quoted-pair ) DQUOTE,
 * qdtext being HTAB, SP, VCHAR except '"' and '\', and obs-text. Returns 0 and
 * moves past it, or -1 (unterminated, or a CTL inside). */
static int
quoted_string(struct util_cur *c)
{
	if (!util_cur_take(c, '"'))
		return -1;
	while (c->p < c->end) {
		unsigned char ch = (unsigned char)*c->p++;

		if (ch == '"')
			return 0;
		if (ch == '\\') {
			if (c->p == c->end)
				return -1;
			ch = (unsigned char)*c->p++;
		}
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return -1;
	}
	return -1;
}

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) (RFC 9110
 * 12.4.2). Returns 0 with *q in thousandths, or -1 ("2", "1.5", "0.0001",
 * ".5", "", "abc"). */
static int
qvalue(const char *s, size_t len, int *q)
{
	int whole, frac = 0;
	size_t i;

	if (len == 0 || (s[0] != '0' && s[0] != '1'))
		return -1;
	whole = s[0] - '0';
	if (len > 1 && (s[1] != '.' || len > 5))
		return -1;
	for (i = 2; i < 5; i++) {
		if (i < len && !util_is_digit(s[i]))
			return -1;
		frac = frac * 10 + (i < len ? s[i] - '0' : 0);
	}
	if (whole == 1 && frac != 0)
		return -1;
	*q = whole * Q_ONE + frac;
	return 0;
}

/* One parameter after ';': token "=" ( token / quoted-string ) (RFC 9110
 * 5.6.6). A "q" (case-insensitive, like every parameter name) sets *q. Returns
 * 0, or -1 when malformed. */
static int
parameter(struct util_cur *c, int *q)
{
	const char *pname = c->p, *val;
	size_t plen = token(c), vlen;

	if (plen == 0 || !util_cur_take(c, '='))
		return -1;
	if (c->p < c->end && *c->p == '"')
		return util_strieq(pname, plen, "q") ? -1 : quoted_string(c);
	val = c->p;
	vlen = token(c);
	if (vlen == 0)
		return -1;
	if (util_strieq(pname, plen, "q"))
		return qvalue(val, vlen, q);
	return 0;
}

/* One list element: codings *( OWS ";" OWS parameter ), then OWS, ending at
 * ',' or the end. Returns the coding with *q (1000 when no weight), or -2 when
 * malformed (the caller then skips to the next ','). */
static int
element(struct util_cur *c, int *q)
{
	const char *nm = c->p;
	size_t len = token(c);
	const char *mark;

	if (len == 0)
		return -2;
	*q = Q_ONE;
	for (;;) {
		mark = c->p;
		util_cur_skip_ows(c);
		if (!util_cur_take(c, ';')) {
			c->p = mark;
			break;
		}
		util_cur_skip_ows(c);
		if (parameter(c, q) < 0)
			return -2;
	}
	util_cur_skip_ows(c);
	if (c->p != c->end && *c->p != ',')
		return -2;
	if (util_strieq(nm, len, "gzip") || util_strieq(nm, len, "x-gzip"))
		return CODING_GZIP;  /* x-gzip: RFC 9110 8.4.1.3 */
	if (util_strieq(nm, len, "br"))
		return CODING_BR;
	if (util_strieq(nm, len, "*"))
		return CODING_STAR;
	return CODING_OTHER;
}

/* The weight that applies to a coding: its own when listed, else that of "*"
 * when listed, else 0 (RFC 9110 12.5.3). */
static int
effective(int own, int star)
{
	if (own != Q_UNSET)
		return own;
	return star != Q_UNSET ? star : 0;
}

/* Fill q[] (indexed by enum coding) from the whole list. A malformed element
 * is skipped up to the next ',' after its start. A coding listed twice
 * ("gzip, x-gzip;q=0") keeps its lowest weight: refusing is always safe, since
 * identity remains. O(n): the skip rereads each byte at most once. */
static void
weights(struct util_cur *c, int q[3])
{
	for (;;) {
		util_cur_skip_ows(c);
		if (c->p < c->end && *c->p != ',') {
			const char *start = c->p;
			int w, k = element(c, &w);

			if (k == -2) {
				/* from the start, ignoring quotes: an unterminated
				 * quote must not swallow the rest of the list */
				for (c->p = start; c->p < c->end && *c->p != ','; c->p++)
					;
			} else if (k >= 0 && (q[k] == Q_UNSET || w < q[k])) {
				q[k] = w;
			}
		}
		if (!util_cur_take(c, ','))
			return;
	}
}

/* See encoding.h. */
void
encoding_init(struct encoding_acc *acc)
{
	acc->q[0] = acc->q[1] = acc->q[2] = Q_UNSET;
}

/* See encoding.h. One field line's list joins those before it, as if they
 * had been one line separated by commas (RFC 9110 5.3). */
void
encoding_add(struct encoding_acc *acc, const char *v, size_t n)
{
	struct util_cur c;

	if (v == NULL)
		return;
	c = (struct util_cur){ v, v + n };  /* not before the check: NULL + 0 is UB */
	weights(&c, acc->q);
}

/* See encoding.h. *prefer_br (may be NULL) is 1 only when br is allowed and
 * its weight is at least gzip's, so ties ("*", "gzip, br") go to br, the
 * smaller encoding; with nothing allowed it is 0. */
unsigned
encoding_result(const struct encoding_acc *acc, int *prefer_br)
{
	int g = effective(acc->q[CODING_GZIP], acc->q[CODING_STAR]);
	int b = effective(acc->q[CODING_BR], acc->q[CODING_STAR]);

	if (prefer_br != NULL)
		*prefer_br = b > 0 && b >= g;
	return (g > 0 ? ENCODING_GZIP : 0u) | (b > 0 ? ENCODING_BR : 0u);
}

/* See encoding.h. */
unsigned
encoding_accepted(const char *v, size_t n, int *prefer_br)
{
	struct encoding_acc acc;

	encoding_init(&acc);
	encoding_add(&acc, v, n);
	return encoding_result(&acc, prefer_br);
}
