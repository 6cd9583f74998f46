/* log: the error log (levels, one write(2) per line so threads never
 * interleave) and the per-worker buffered access log (common, combined, json).
 * The sinks are owned by main and by each worker; there is no global logger. */
#ifndef TLSERVE_LOG_H
#define TLSERVE_LOG_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "tlserve/config.h"
#include "tlserve/http.h"

struct log_error {
	int fd;                       /* written with write(2); -1 = discard */
	enum config_log_level level;
};

/* Write "TIME [level] message\n" when level is enabled. */
void log_msg(const struct log_error *, enum config_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static inline int
log_enabled(const struct log_error *l, enum config_log_level level)
{
	return level <= l->level;
}

/* Dates rendered once a second and shared by the response and the logs. */
struct log_clock {
	time_t sec;
	char http[32];      /* "Thu, 26 Nov 2026 00:50:54 GMT" (RFC 9110 IMF-fixdate) */
	char clf[32];       /* "26/Nov/2026:00:50:54 +0000" */
	char iso[32];       /* "2026-11-26T00:50:54Z" */
};

/* Refresh the strings when the second changed. */
void log_clock_update(struct log_clock *, time_t now);

/* Format t as an IMF-fixdate into buf (at least 30 bytes). */
void log_http_date(time_t t, char *buf, size_t len);

struct log_access_entry {
	const char *client;                 /* address text */
	struct http_span request_line;      /* as received; escaped on output */
	int status;
	uint64_t bytes;                     /* body bytes sent */
	struct http_span referer, user_agent; /* p == NULL when absent */
	const char *tls_version;
	const char *peer_subject;           /* NULL when no client certificate */
	uint64_t duration_us;
};

#define LOG_ACCESS_BUF 65536
struct log_access {
	int fd;                             /* -1 = off */
	enum config_access_format format;
	size_t len;
	uint64_t oldest_ms;                 /* when the first unflushed line was added */
	char buf[LOG_ACCESS_BUF];
};

/* Append one line; flushes first when the buffer could not hold it. */
void log_access(struct log_access *, const struct log_clock *, const struct log_access_entry *,
                uint64_t now_ms);
/* Write out what is buffered. */
void log_access_flush(struct log_access *);

/* Escape src for a quoted log field: '"', '\\', control bytes and DEL as \xHH;
 * json also escapes invalid UTF-8 bytes as \u00HH. Returns bytes written
 * (output truncated to fit dstlen). */
size_t log_escape(char *dst, size_t dstlen, const char *src, size_t n, int json);

#endif
