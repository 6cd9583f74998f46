/* log: error log lines and the buffered access log. */
#include "tlserve/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static const char *const log_level_names[] = {"error", "warn", "info", "debug"};

/* Write all of buf, retrying on EINTR and short writes. Best effort. */
static void
log_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

void
log_msg(const struct log_error *l, enum config_log_level level, const char *fmt, ...)
{
	char line[2048];
	struct timeval tv;
	struct tm tm;
	size_t n;
	va_list ap;
	int r;

	if (l == NULL || l->fd < 0 || level > l->level)
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t)snprintf(line + n, sizeof(line) - n, ".%03ldZ [%s] ", (long)tv.tv_usec / 1000,
	                      log_level_names[level]);
	va_start(ap, fmt);
	r = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (r > 0)
		n += (size_t)r < sizeof(line) - n - 1 ? (size_t)r : sizeof(line) - n - 2;
	line[n++] = '\n';
	log_write_all(l->fd, line, n);
}

/* civil_from_days (H. Hinnant's public-domain algorithm): the proleptic
 * Gregorian date of a day count since 1970-01-01. O(1), no tables, no
 * locale, no time zone: Last-Modified is formatted per response, and
 * gmtime_r + strftime cost ten times as much. */
static void
log_civil(int64_t days, int *y, unsigned *m, unsigned *d)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yoe + era * 400) + (*m <= 2);
}

static char *
log_2digits(char *p, unsigned v)
{
	*p++ = (char)('0' + v / 10 % 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

void
log_http_date(time_t t, char *buf, size_t len)
{
	static const char wday[7][4] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
	static const char mon[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	int64_t days = (int64_t)t / 86400, secs = (int64_t)t % 86400;
	unsigned m, d;
	int y;
	char *p = buf;

	if (len < 30 || t < 0 || t > 253402300799) {  /* before 1970 or after 9999 */
		if (len > 0)
			snprintf(buf, len, "Thu, 01 Jan 1970 00:00:00 GMT");
		return;
	}
	log_civil(days, &y, &m, &d);
	memcpy(p, wday[days % 7], 3);
	p[3] = ',';
	p[4] = ' ';
	p = log_2digits(p + 5, d);
	*p++ = ' ';
	memcpy(p, mon[m - 1], 3);
	p[3] = ' ';
	p = log_2digits(p + 4, (unsigned)y / 100);
	p = log_2digits(p, (unsigned)y % 100);
	*p++ = ' ';
	p = log_2digits(p, (unsigned)(secs / 3600));
	*p++ = ':';
	p = log_2digits(p, (unsigned)(secs / 60 % 60));
	*p++ = ':';
	p = log_2digits(p, (unsigned)(secs % 60));
	memcpy(p, " GMT", 5);
}

void
log_clock_update(struct log_clock *c, time_t now)
{
	struct tm tm;

	if (c->sec == now)
		return;
	c->sec = now;
	gmtime_r(&now, &tm);
	strftime(c->http, sizeof(c->http), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	strftime(c->clf, sizeof(c->clf), "%d/%b/%Y:%H:%M:%S +0000", &tm);
	strftime(c->iso, sizeof(c->iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no
 * surrogates, at most U+10FFFF), or 0 when it is not one. */
static size_t
log_utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned lo = 0x80, hi = 0xbf;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

size_t
log_escape(char *dst, size_t dstlen, const char *src, size_t n, int json)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = s[i];
		size_t u;

		if (ch >= 0x80 && json && (u = log_utf8_len(s + i, n - i)) != 0) {
			if (o + u > dstlen)
				break;
			memcpy(dst + o, s + i, u);
			o += u;
			i += u - 1;
			continue;
		}
		if (ch >= 0x20 && ch != 0x7f && ch != '"' && ch != '\\' && (ch < 0x80 || !json)) {
			if (o + 1 > dstlen)
				break;
			dst[o++] = (char)ch;
			continue;
		}
		if (o + 6 > dstlen)
			break;
		if (json) {
			memcpy(dst + o, "\\u00", 4);
			o += 4;
		} else if (ch == '"' || ch == '\\') {
			dst[o++] = '\\';
			dst[o++] = (char)ch;
			continue;
		} else {
			dst[o++] = '\\';
			dst[o++] = 'x';
		}
		dst[o++] = hex[ch >> 4];
		dst[o++] = hex[ch & 15];
	}
	return o;
}

/* Append a quoted, escaped field or "-" when absent. */
static size_t
log_field(char *dst, size_t cap, struct http_span v, int json)
{
	size_t o = 0;

	if (cap < 3)
		return 0;
	if (v.p == NULL && !json) {
		dst[0] = '-';
		return 1;
	}
	dst[o++] = '"';
	o += log_escape(dst + o, cap - o - 1, v.p ? v.p : "", v.p ? v.n : 0, json);
	dst[o++] = '"';
	return o;
}

/* A string field, clamped to max bytes. */
static struct http_span
log_span(const char *s, size_t max)
{
	return (struct http_span){s, s ? strnlen(s, max) : 0};
}

/* Append an unquoted, escaped word (address, TLS version) or alt when absent. */
static size_t
log_word(char *dst, size_t cap, const char *s, const char *alt, int json)
{
	struct http_span w = log_span(s && *s ? s : alt, LOG_MAX_WORD);

	return log_escape(dst, cap, w.p, w.n, json);
}

/* One line in the common/combined format (plus TLS version and client subject). */
static size_t
log_format_clf(char *d, size_t cap, const struct log_clock *clk,
               const struct log_access_entry *e, int combined)
{
	struct http_span dash = {"-", 1};
	size_t o = log_word(d, cap, e->client, "-", 0);

	o += (size_t)snprintf(d + o, cap - o, " - - [%s] ", clk->clf);
	o += log_field(d + o, cap - o, e->request_line, 0);
	o += (size_t)snprintf(d + o, cap - o, " %d %llu", e->status, (unsigned long long)e->bytes);
	if (!combined)
		return o;
	d[o++] = ' ';
	o += log_field(d + o, cap - o, e->referer.p ? e->referer : dash, 0);
	d[o++] = ' ';
	o += log_field(d + o, cap - o, e->user_agent.p ? e->user_agent : dash, 0);
	d[o++] = ' ';
	o += log_word(d + o, cap - o, e->tls_version, "-", 0);
	d[o++] = ' ';
	o += log_field(d + o, cap - o,
	               e->peer_subject ? log_span(e->peer_subject, LOG_MAX_SUBJECT) : dash, 0);
	d[o++] = ' ';
	o += log_field(d + o, cap - o, e->site ? log_span(e->site, LOG_MAX_SITE) : dash, 0);
	return o;
}

static size_t
log_format_json(char *d, size_t cap, const struct log_clock *clk,
                const struct log_access_entry *e)
{
	size_t o = (size_t)snprintf(d, cap, "{\"time\":\"%s\",\"client\":\"", clk->iso);

	o += log_word(d + o, cap - o, e->client, "", 1);
	o += (size_t)snprintf(d + o, cap - o, "\",\"request\":");
	o += log_field(d + o, cap - o, e->request_line, 1);
	o += (size_t)snprintf(d + o, cap - o, ",\"status\":%d,\"bytes\":%llu,\"referer\":", e->status,
	                      (unsigned long long)e->bytes);
	o += log_field(d + o, cap - o, e->referer, 1);
	o += (size_t)snprintf(d + o, cap - o, ",\"user_agent\":");
	o += log_field(d + o, cap - o, e->user_agent, 1);
	o += (size_t)snprintf(d + o, cap - o, ",\"tls\":\"");
	o += log_word(d + o, cap - o, e->tls_version, "", 1);
	o += (size_t)snprintf(d + o, cap - o, "\",\"client_subject\":");
	o += log_field(d + o, cap - o, log_span(e->peer_subject, LOG_MAX_SUBJECT), 1);
	o += (size_t)snprintf(d + o, cap - o, ",\"site\":");
	o += log_field(d + o, cap - o, log_span(e->site, LOG_MAX_SITE), 1);
	o += (size_t)snprintf(d + o, cap - o, ",\"duration_us\":%llu}",
	                      (unsigned long long)e->duration_us);
	return o;
}

size_t
log_access_format(char *line, size_t cap, enum config_access_format format,
                  const struct log_clock *clk, const struct log_access_entry *e)
{
	/* Every field is clamped (log.h) and LOG_ACCESS_LINE_MAX holds each one
	 * escaped at its worst, so a line is never cut: a cut JSON line would not
	 * parse, and a log line never grows with what a client sends. */
	struct log_access_entry c = *e;
	size_t n;

	if (cap < LOG_ACCESS_LINE_MAX)
		return 0;
	c.request_line.n = c.request_line.n > LOG_MAX_REQUEST ? LOG_MAX_REQUEST : c.request_line.n;
	c.referer.n = c.referer.n > LOG_MAX_HEADER ? LOG_MAX_HEADER : c.referer.n;
	c.user_agent.n = c.user_agent.n > LOG_MAX_HEADER ? LOG_MAX_HEADER : c.user_agent.n;
	if (format == CONFIG_ACCESS_JSON)
		n = log_format_json(line, cap - 1, clk, &c);
	else
		n = log_format_clf(line, cap - 1, clk, &c, format == CONFIG_ACCESS_COMBINED);
	line[n++] = '\n';
	return n;
}

/* Copy n bytes into the ring at position pos, wrapping. */
static void
log_ring_put(struct log_access *a, size_t pos, const char *src, size_t n)
{
	size_t at = pos & (LOG_ACCESS_RING - 1), first = LOG_ACCESS_RING - at;

	if (first > n)
		first = n;
	memcpy(a->ring + at, src, first);
	memcpy(a->ring, src + first, n - first);
}

static void
log_ring_get(const struct log_access *a, size_t pos, char *dst, size_t n)
{
	size_t at = pos & (LOG_ACCESS_RING - 1), first = LOG_ACCESS_RING - at;

	if (first > n)
		first = n;
	memcpy(dst, a->ring + at, first);
	memcpy(dst + first, a->ring, n - first);
}

void
log_access(struct log_access *a, const struct log_clock *clk, const struct log_access_entry *e)
{
	size_t n, head, used;

	if (a->fd < 0)
		return;
	n = log_access_format(a->line, sizeof(a->line), a->format, clk, e);
	head = atomic_load_explicit(&a->head, memory_order_relaxed);
	used = head - atomic_load_explicit(&a->tail, memory_order_acquire);
	if (LOG_ACCESS_RING - used < n) {
		/* The writer cannot keep up: lose this line whole, never wait. */
		atomic_fetch_add_explicit(&a->dropped, 1, memory_order_relaxed);
		return;
	}
	log_ring_put(a, head, a->line, n);
	atomic_store_explicit(&a->head, head + n, memory_order_release);
	if (used < LOG_ACCESS_RING / 2 && used + n >= LOG_ACCESS_RING / 2 && a->wakefd >= 0) {
		uint64_t one = 1;

		if (write(a->wakefd, &one, sizeof(one)) < 0) {
			/* EAGAIN: the counter is full, the writer wakes anyway */
		}
	}
}

size_t
log_access_take(struct log_access *a, char *dst, size_t cap)
{
	size_t tail = atomic_load_explicit(&a->tail, memory_order_relaxed);
	size_t n = atomic_load_explicit(&a->head, memory_order_acquire) - tail;
	const char *nl;

	if (n == 0)
		return 0;
	if (n > cap) {
		/* only whole lines: cut after the last newline that fits */
		log_ring_get(a, tail, dst, cap);
		nl = memrchr(dst, '\n', cap);
		if (nl == NULL)
			return 0;
		n = (size_t)(nl - dst) + 1;
	} else {
		log_ring_get(a, tail, dst, n);
	}
	atomic_store_explicit(&a->tail, tail + n, memory_order_release);
	return n;
}
