/* encoding: Accept-Encoding negotiation (RFC 9110 12.5.3). Pure: no I/O,
 * no allocation, no globals. */
#ifndef TLSERVE_ENCODING_H
#define TLSERVE_ENCODING_H
#include <stddef.h>

#define ENCODING_GZIP 1u
#define ENCODING_BR   2u

/* Which of gzip and br the Accept-Encoding value v[0..n) allows: a coding is
 * allowed when listed with q > 0, or not listed while "*" has q > 0.
 * "q=0" (also "q=0.0", "q=0.000") refuses. "x-gzip" counts as gzip. Names are
 * case-insensitive; parameters other than q are ignored; a malformed element
 * (bad q value such as "q=2", "q=abc", "q=0.0001") is skipped, not fatal.
 * Writes the preference order to *prefer_br: 1 when br's q is at least
 * gzip's. Returns the bit set (0 when v is NULL or nothing is allowed). */
unsigned encoding_accepted(const char *v, size_t n, int *prefer_br);

/* The same over a header sent on several field lines, which together are one
 * list (RFC 9110 5.3): init, add each line's value, then read the result
 * (what encoding_accepted returns for the lines joined with commas). */
struct encoding_acc {
	int q[3];  /* weights in thousandths of gzip, br and "*"; -1 when not listed */
};
void encoding_init(struct encoding_acc *acc);
void encoding_add(struct encoding_acc *acc, const char *v, size_t n);
unsigned encoding_result(const struct encoding_acc *acc, int *prefer_br);

#endif
