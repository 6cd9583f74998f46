/* range: the parsers behind conditional and partial requests (RFC 9110
 * sections 13 and 14). Pure: no I/O, no allocation, no globals besides const
 * tables, no locale. Each parser reads exactly v[0..n) and never past it, with
 * a cursor that stops at end:
 *
 *   "bytes=0-99, ,-500"
 *    ^unit ^p   ^empty element (skipped); each range-spec -> one span, clipped
 *
 * Dates are turned into epoch seconds here (days_from_civil) rather than with
 * timegm(), which is not in C17 and reads the time zone environment.
 */
#include <stdint.h>
#include <string.h>

#include "tlserve/range.h"
#include "tlserve/util.h"

/* RFC 9110 14.2 and 17.15 let a server ignore a Range of many ranges (a
 * denial-of-service tool); 100 is far beyond what a client resuming a
 * download or a PDF viewer sends, and bounds the span array below. */
#define RANGE_MAX_ELEMENTS 100
#define SECS_PER_DAY 86400

/* 1*DIGIT as a byte position (RFC 9110 14.1.1). Leading zeros are allowed; a
 * value above INT64_MAX (what off_t holds) is refused. Returns 0 with *v, or
 * -1 (no digit, or overflow) leaving *v alone. */
static int
pos(struct util_cur *c, uint64_t *v)
{
	uint64_t x = 0;
	const char *start = c->p;

	while (c->p < c->end && util_is_digit(*c->p)) {
		unsigned d = (unsigned)(*c->p - '0');

		if (x > ((uint64_t)INT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
		c->p++;
	}
	if (c->p == start)
		return -1;
	*v = x;
	return 0;
}

/* One range-spec: int-range "a-b" / "a-", or suffix-range "-n" (RFC 9110
 * 14.1.1), resolved against size. Returns 1 with *s when satisfiable (a < size
 * for an int-range, n > 0 for a suffix), 0 when valid but unsatisfiable, -1
 * when invalid (including last < first, which the RFC calls invalid). */
static int
range_spec(struct util_cur *c, uint64_t size, struct range_span *s)
{
	uint64_t a, b;

	if (util_cur_take(c, '-')) {
		if (pos(c, &b) < 0)
			return -1;
		if (b == 0 || size == 0)
			return 0;
		s->first = b >= size ? 0 : size - b;
		s->last = size - 1;
		return 1;
	}
	if (pos(c, &a) < 0 || !util_cur_take(c, '-'))
		return -1;
	b = UINT64_MAX;
	if (c->p < c->end && util_is_digit(*c->p)) {
		if (pos(c, &b) < 0 || b < a)
			return -1;
	}
	if (a >= size)
		return 0;
	s->first = a;
	s->last = b < size - 1 ? b : size - 1;
	return 1;
}

/* Sort s[0..k) by first (insertion sort: k <= 100, so at most ~5000 moves),
 * then fold spans that overlap or touch (next.first <= cur.last + 1; last <
 * size <= UINT64_MAX, so last + 1 cannot wrap). Returns the number left. */
static size_t
merge(struct range_span *s, size_t k)
{
	size_t i, j, m;

	for (i = 1; i < k; i++) {
		struct range_span t = s[i];

		for (j = i; j > 0 && s[j - 1].first > t.first; j--)
			s[j] = s[j - 1];
		s[j] = t;
	}
	for (m = 0, i = 1; i < k; i++) {
		if (s[i].first <= s[m].last + 1) {
			if (s[i].last > s[m].last)
				s[m].last = s[i].last;
		} else {
			s[++m] = s[i];
		}
	}
	return k == 0 ? 0 : m + 1;
}

/* "bytes=" with the unit case-insensitive (RFC 9110 14.1: range units are
 * compared case-insensitively), and nothing between the unit and '='. Returns
 * 1 and moves past it, or 0. */
static int
bytes_unit(struct util_cur *c)
{
	static const char unit[] = "bytes=";
	size_t i, len = sizeof(unit) - 1;

	if ((size_t)(c->end - c->p) < len)
		return 0;
	for (i = 0; i < len; i++) {
		if (util_lower(c->p[i]) != unit[i])
			return 0;
	}
	c->p += len;
	return 1;
}

/* See range.h. range-set = 1#range-spec: elements separated by OWS "," OWS,
 * empty ones ignored (RFC 9110 5.6.1.2). The whole value is checked before
 * answering, so a bad element anywhere makes it RANGE_IGNORE. O(n) to parse,
 * plus the merge above. *out is written only for RANGE_ONE. */
enum range_result
range_parse(const char *v, size_t n, uint64_t size, struct range_span *out)
{
	struct range_span span[RANGE_MAX_ELEMENTS];
	struct util_cur c;
	size_t elems = 0, sat = 0;

	if (v == NULL)
		return RANGE_IGNORE;
	c = (struct util_cur){ v, v + n };
	if (!bytes_unit(&c))
		return RANGE_IGNORE;
	for (;;) {
		util_cur_skip_ows(&c);
		if (c.p < c.end && *c.p != ',') {
			int r;

			if (++elems > RANGE_MAX_ELEMENTS)
				return RANGE_IGNORE;
			if ((r = range_spec(&c, size, &span[sat])) < 0)
				return RANGE_IGNORE;
			sat += (size_t)r;
			util_cur_skip_ows(&c);
		}
		if (c.p == c.end)
			break;
		if (!util_cur_take(&c, ','))
			return RANGE_IGNORE;
	}
	if (elems == 0)
		return RANGE_IGNORE;
	if (sat == 0)
		return RANGE_UNSATISFIABLE;
	if (merge(span, sat) > 1)
		return RANGE_MANY;
	if (out != NULL)
		*out = span[0];
	return RANGE_ONE;
}

/* etagc = %x21 / %x23-7E / obs-text (RFC 9110 8.8.3): no SP, DQUOTE, CTL, DEL. */
static int
is_etagc(unsigned char ch)
{
	return ch == 0x21 || (ch >= 0x23 && ch <= 0x7e) || ch >= 0x80;
}

/* One entity-tag, [ "W/" ] DQUOTE *etagc DQUOTE, with "W/" case-sensitive
 * (%s"W/" in RFC 9110 8.8.3). Returns 0 with *op, *oplen (the opaque-tag with
 * its quotes, pointing into the input) and *weak, or -1. */
static int
entity_tag(struct util_cur *c, const char **op, size_t *oplen, int *weak)
{
	const char *start;

	*weak = 0;
	if (c->end - c->p >= 2 && c->p[0] == 'W' && c->p[1] == '/') {
		*weak = 1;
		c->p += 2;
	}
	start = c->p;
	if (!util_cur_take(c, '"'))
		return -1;
	while (c->p < c->end && is_etagc((unsigned char)*c->p))
		c->p++;
	if (!util_cur_take(c, '"'))
		return -1;
	*op = start;
	*oplen = (size_t)(c->p - start);
	return 0;
}

/* Is v[0..n) "*" alone, with OWS around it? */
static int
is_star(const char *v, size_t n)
{
	struct util_cur c = { v, v + n };

	util_cur_skip_ows(&c);
	if (!util_cur_take(&c, '*'))
		return 0;
	util_cur_skip_ows(&c);
	return c.p == c.end;
}

/* See range.h. The comparison (RFC 9110 8.8.3.2): strong needs both tags
 * strong and the opaque-tags equal octet by octet; weak compares the
 * opaque-tags only. Our own tag is strong, but a "W/" on it is honoured the
 * same way. The whole list is checked before answering, so garbage after a
 * matching tag still gives -1. An empty list (or only empty elements) is valid
 * (#entity-tag allows zero elements) and matches nothing. O(n + matches *
 * etaglen). */
int
range_etag_match(const char *v, size_t n, const char *etag, size_t etaglen, int weak)
{
	struct util_cur c;
	int ours_weak = 0, match = 0;

	if (v == NULL || etag == NULL)
		return -1;
	c = (struct util_cur){ v, v + n };
	if (is_star(v, n))
		return 1;
	if (etaglen >= 2 && etag[0] == 'W' && etag[1] == '/') {
		ours_weak = 1;
		etag += 2;
		etaglen -= 2;
	}
	for (;;) {
		util_cur_skip_ows(&c);
		if (c.p < c.end && *c.p != ',') {
			const char *op;
			size_t oplen;
			int w;

			if (entity_tag(&c, &op, &oplen, &w) < 0)
				return -1;
			if ((weak || (!w && !ours_weak)) && oplen == etaglen &&
			    memcmp(op, etag, etaglen) == 0)
				match = 1;
			util_cur_skip_ows(&c);
		}
		if (c.p == c.end)
			return match;
		if (!util_cur_take(&c, ','))
			return -1;
	}
}

/* Exactly k digits as a number; returns 0 with *v, or -1. k <= 4. */
static int
digits(struct util_cur *c, size_t k, int *v)
{
	int x = 0;

	if ((size_t)(c->end - c->p) < k)
		return -1;
	for (size_t i = 0; i < k; i++) {
		if (!util_is_digit(c->p[i]))
			return -1;
		x = x * 10 + (c->p[i] - '0');
	}
	c->p += k;
	*v = x;
	return 0;
}

/* The literal s (case-sensitive: HTTP-date is, RFC 9110 5.6.7). Returns 0 and
 * moves past it, or -1. */
static int
lit(struct util_cur *c, const char *s)
{
	size_t len = strlen(s);

	if ((size_t)(c->end - c->p) < len || memcmp(c->p, s, len) != 0)
		return -1;
	c->p += len;
	return 0;
}

static const char *const day_short[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
static const char *const day_long[] = { "Monday", "Tuesday", "Wednesday", "Thursday",
	                                "Friday", "Saturday", "Sunday" };
static const char *const month_name[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* One of the k names in tab; returns its index and moves past it, or -1. No
 * name in a table is a prefix of another, so the first hit is the only one. */
static int
name(struct util_cur *c, const char *const *tab, int k)
{
	for (int i = 0; i < k; i++) {
		if (lit(c, tab[i]) == 0)
			return i;
	}
	return -1;
}

/* The broken-down time the three formats share; checked by date_valid. */
struct date {
	int year, mon, day, hour, min, sec;  /* mon 1..12 */
};

/* month = 3 letters; returns 0 with d->mon (1..12), or -1. */
static int
month(struct util_cur *c, struct date *d)
{
	int m = name(c, month_name, 12);

	if (m < 0)
		return -1;
	d->mon = m + 1;
	return 0;
}

/* time-of-day = hour ":" minute ":" second, 2DIGIT each (RFC 9110 5.6.7).
 * Range checks are left to date_valid. Returns 0 or -1. */
static int
time_of_day(struct util_cur *c, struct date *d)
{
	if (digits(c, 2, &d->hour) < 0 || lit(c, ":") < 0 || digits(c, 2, &d->min) < 0 ||
	    lit(c, ":") < 0 || digits(c, 2, &d->sec) < 0)
		return -1;
	return 0;
}

/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT". Returns 0 or -1. */
static int
imf_fixdate(struct util_cur *c, struct date *d)
{
	if (name(c, day_short, 7) < 0 || lit(c, ", ") < 0 || digits(c, 2, &d->day) < 0 ||
	    lit(c, " ") < 0 || month(c, d) < 0 || lit(c, " ") < 0 || digits(c, 4, &d->year) < 0 ||
	    lit(c, " ") < 0 || time_of_day(c, d) < 0 || lit(c, " GMT") < 0)
		return -1;
	return 0;
}

/* rfc850-date: "Sunday, 06-Nov-94 08:49:37 GMT". The two-digit year is read as
 * 1970..2069: RFC 9110 5.6.7 asks for "more than 50 years in the future means
 * the past century", which needs a clock; a fixed window keeps this pure and
 * agrees with it until 2019+50. Returns 0 or -1. */
static int
rfc850_date(struct util_cur *c, struct date *d)
{
	if (name(c, day_long, 7) < 0 || lit(c, ", ") < 0 || digits(c, 2, &d->day) < 0 ||
	    lit(c, "-") < 0 || month(c, d) < 0 || lit(c, "-") < 0 || digits(c, 2, &d->year) < 0 ||
	    lit(c, " ") < 0 || time_of_day(c, d) < 0 || lit(c, " GMT") < 0)
		return -1;
	d->year += d->year < 70 ? 2000 : 1900;
	return 0;
}

/* asctime-date: "Sun Nov  6 08:49:37 1994"; the day is 2DIGIT or SP DIGIT.
 * Returns 0 or -1. */
static int
asctime_date(struct util_cur *c, struct date *d)
{
	if (name(c, day_short, 7) < 0 || lit(c, " ") < 0 || month(c, d) < 0 || lit(c, " ") < 0)
		return -1;
	if (lit(c, " ") == 0) {
		if (digits(c, 1, &d->day) < 0)
			return -1;
	} else if (digits(c, 2, &d->day) < 0) {
		return -1;
	}
	if (lit(c, " ") < 0 || time_of_day(c, d) < 0 || lit(c, " ") < 0 ||
	    digits(c, 4, &d->year) < 0)
		return -1;
	return 0;
}

static int
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Field ranges: day 1..days in that month (Gregorian leap years), hour 0..23,
 * minute 0..59, second 0..60 (60 for a leap second, RFC 9110 5.6.7). The
 * weekday is not checked against the date: RFC 9110 5.6.7 lets recipients be
 * lenient, and a wrong one changes nothing we compute. Returns 1 when valid. */
static int
date_valid(const struct date *d)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int dim = mdays[d->mon - 1] + (d->mon == 2 && is_leap(d->year));

	return d->day >= 1 && d->day <= dim && d->hour <= 23 && d->min <= 59 && d->sec <= 60;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil). Counting years from March puts the leap day last, so the
 * day of the year is a linear formula of the month, (153 * mp + 2) / 5; 400
 * Gregorian years ("eras") are exactly 146097 days, so whole eras are counted
 * by multiplication and only the year within the era (0..399) by the 4/100/400
 * rule. 719468 is the day number of 1970-01-01 counted from 0000-03-01.
 * Valid for any y representable in int; here 0..9999. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;                                     /* [0, 399] */
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;   /* [0, 365] */
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;             /* [0, 146096] */
	return era * 146097 + doe - 719468;
}

/* See range.h. The three formats are told apart by trying each in turn from
 * the start; each must consume the whole value (trailing bytes: -1). Years
 * 0000..9999 are accepted; one that time_t cannot hold gives -1. *t is
 * written only on success. */
int
range_parse_http_date(const char *v, size_t n, time_t *t)
{
	static int (*const form[])(struct util_cur *, struct date *) = { imf_fixdate, rfc850_date,
		                                                    asctime_date };
	struct date d;
	int64_t s;

	if (v == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(form) / sizeof(form[0]); i++) {
		struct util_cur c = { v, v + n };

		if (form[i](&c, &d) < 0 || c.p != c.end || !date_valid(&d))
			continue;
		s = days_from_civil(d.year, d.mon, d.day) * SECS_PER_DAY + d.hour * 3600 +
		    d.min * 60 + d.sec;
		if ((int64_t)(time_t)s != s)
			return -1;
		*t = (time_t)s;
		return 0;
	}
	return -1;
}
