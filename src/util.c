/* util: small pure helpers shared by the config loader and the runtime.
 * Pure: no I/O, no allocation, no globals. */
#include "tlserve/util.h"

/* Parse the leading decimal digits of s[0..len) into *v. Sets *used to the
 * number of digits consumed. Returns 0, or -1 when there is no digit or the
 * value does not fit in 64 bits. Signs and spaces are not digits. */
static int
util_parse_digits(const char *s, size_t len, uint64_t *v, size_t *used)
{
	uint64_t acc = 0;
	size_t i;

	for (i = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (acc > (UINT64_MAX - d) / 10)
			return -1;
		acc = acc * 10 + d;
	}
	if (i == 0)
		return -1;
	*v = acc;
	*used = i;
	return 0;
}

/* Multiply v by mult into *out. Returns 0, or -1 on overflow. */
static int
util_mul(uint64_t v, uint64_t mult, uint64_t *out)
{
	if (mult != 0 && v > UINT64_MAX / mult)
		return -1;
	*out = v * mult;
	return 0;
}

/* Units are lower case only: "10M" could as well mean months or megabytes, so
 * it is refused rather than guessed. */
int
util_parse_duration(const char *s, size_t len, uint64_t *ms)
{
	uint64_t v, mult;
	size_t used, rest;

	if (s == NULL || util_parse_digits(s, len, &v, &used) < 0)
		return -1;
	rest = len - used;
	s += used;
	if (rest == 0 || (rest == 1 && s[0] == 's'))
		mult = 1000;
	else if (rest == 2 && s[0] == 'm' && s[1] == 's')
		mult = 1;
	else if (rest == 1 && s[0] == 'm')
		mult = 60 * 1000;
	else if (rest == 1 && s[0] == 'h')
		mult = 60 * 60 * 1000;
	else if (rest == 1 && s[0] == 'd')
		mult = 24 * 60 * 60 * 1000;
	else
		return -1;
	return util_mul(v, mult, ms);
}

int
util_parse_size(const char *s, size_t len, uint64_t *bytes)
{
	uint64_t v, mult;
	size_t used, rest;

	if (s == NULL || util_parse_digits(s, len, &v, &used) < 0)
		return -1;
	rest = len - used;
	s += used;
	if (rest == 0)
		mult = 1;
	else if (rest > 1)
		return -1;
	else if (s[0] == 'k' || s[0] == 'K')
		mult = UINT64_C(1) << 10;
	else if (s[0] == 'm' || s[0] == 'M')
		mult = UINT64_C(1) << 20;
	else if (s[0] == 'g' || s[0] == 'G')
		mult = UINT64_C(1) << 30;
	else
		return -1;
	return util_mul(v, mult, bytes);
}

/* ASCII only on purpose: locale-dependent tolower() has no place in protocol
 * or configuration keywords. */
int
util_strieq(const char *p, size_t n, const char *lit)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (lit[i] == '\0' || util_lower(p[i]) != util_lower(lit[i]))
			return 0;
	}
	return lit[n] == '\0';
}

/* See util.h. Rows of 16 bytes; 1 marks a tchar. */
const unsigned char util_tchar_table[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 0x00 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 0x10 */
	0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 0,  /* 0x20  !"#$%&'()*+,-./ */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,  /* 0x30 0-9:;<=>? */
	0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,  /* 0x40 @A-O */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1,  /* 0x50 P-Z[\]^_ */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,  /* 0x60 `a-o */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0,  /* 0x70 p-z{|}~ DEL */
};
