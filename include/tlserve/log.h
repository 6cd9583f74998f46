/* log: the error log (levels, one write(2) per line so threads never
 * interleave) and the access log lines (common, combined, json) with the
 * per-worker ring they wait in for the writer thread (alog.h).
 * The sinks are owned by main and by each worker; there is no global logger. */
#ifndef TLSERVE_LOG_H
#define TLSERVE_LOG_H
#include <stdatomic.h>
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
	const char *site;                   /* the site's name or the Host; NULL when none */
};

/* Fields are clamped to these lengths before escaping. */
#define LOG_MAX_REQUEST 2048                /* request line */
#define LOG_MAX_HEADER 1024                 /* referer, user agent */
#define LOG_MAX_SUBJECT 1024                /* client certificate subject */
#define LOG_MAX_WORD 64                     /* client address, TLS version */
#define LOG_MAX_SITE 256                    /* site name or Host */
#define LOG_ESCAPE_MAX 6                    /* what one byte can become: \u00HH */
/* The longest line: every field at its clamp, every byte escaped at its
 * worst, plus the fixed text (keys, date, three numbers) well under 512. */
#define LOG_ACCESS_LINE_MAX                                                                  \
	(LOG_ESCAPE_MAX * (LOG_MAX_REQUEST + 2 * LOG_MAX_HEADER + LOG_MAX_SUBJECT +          \
	                   2 * LOG_MAX_WORD + LOG_MAX_SITE) +                                \
	 512)

/* Format one access line, '\n' included, into line; cap must be at least
 * LOG_ACCESS_LINE_MAX (else nothing is written). Returns its length. */
size_t log_access_format(char *line, size_t cap, enum config_access_format,
                         const struct log_clock *, const struct log_access_entry *);

/* A worker's access log: a single-producer single-consumer ring of whole
 * lines. The worker appends and never waits; the writer thread (alog.h)
 * takes lines out and does the write(2)s. A line that does not fit is
 * dropped and counted. head and tail count bytes ever appended and taken. */
#define LOG_ACCESS_RING (256 * 1024)        /* a power of two, several longest lines */
struct log_access {
	int fd;                             /* -1 = off; written only by the writer */
	enum config_access_format format;
	int wakefd;                         /* the writer's eventfd; -1 = none */
	struct log_access *next;            /* the writer's list */
	_Alignas(64) _Atomic size_t head;   /* the worker's */
	_Alignas(64) _Atomic size_t tail;   /* the writer's */
	atomic_ulong dropped;               /* lines lost to a full ring */
	char line[LOG_ACCESS_LINE_MAX];     /* where a line is formatted */
	char ring[LOG_ACCESS_RING];
};

/* Append one line (the worker); pokes the writer when the ring gets half full. */
void log_access(struct log_access *, const struct log_clock *, const struct log_access_entry *);
/* Take whole lines, at most cap bytes, out of the ring (the writer). Returns
 * the bytes copied to dst; 0 when empty. cap >= LOG_ACCESS_LINE_MAX always
 * makes progress. */
size_t log_access_take(struct log_access *, char *dst, size_t cap);

/* Escape src for a quoted log field: '"', '\\', control bytes and DEL as \xHH;
 * json also escapes invalid UTF-8 bytes as \u00HH. Returns bytes written
 * (output truncated to fit dstlen). */
size_t log_escape(char *dst, size_t dstlen, const char *src, size_t n, int json);

#endif
