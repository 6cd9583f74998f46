/* metrics: the server's counters and their Prometheus text exposition.
 * Each worker has its own set per listener, written only by that worker
 * (a plain load and store: no locked instruction, nothing shared between
 * workers on the request path) and read by a scrape on any thread, which
 * sums the workers. Counters live in the workers, not in a configuration
 * generation: a reload keeps them. */
#ifndef TLSERVE_METRICS_H
#define TLSERVE_METRICS_H
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct server;
struct gen;

/* Why a handshake failed (tlserve_tls_handshake_failures_total{reason}). */
enum metrics_hs_fail {
	METRICS_HS_TIMEOUT,       /* handshake_timeout (or the PROXY header's) */
	METRICS_HS_PROTOCOL,      /* a TLS error, or the peer left */
	METRICS_HS_CERTIFICATE,   /* the client certificate did not verify */
	METRICS_HS_PLAINTEXT,     /* plain HTTP sent to the TLS port */
	METRICS_HS_PROXY_HEADER,  /* no valid PROXY protocol header */
	METRICS_HS_NREASONS
};

/* Request duration buckets (seconds): 0.5 ms to 10 s. */
#define METRICS_NBUCKETS 14
extern const uint64_t metrics_bucket_us[METRICS_NBUCKETS];

#define METRICS_STATUS_MIN 100
#define METRICS_STATUS_MAX 599

/* One listener's counters in one worker. */
typedef _Atomic uint64_t metrics_counter;
struct metrics_listener {
	metrics_counter accepted, closed, refused;
	metrics_counter handshakes[2][2];           /* [TLS 1.3][resumed] */
	metrics_counter hs_failures[METRICS_HS_NREASONS];
	metrics_counter requests[METRICS_STATUS_MAX - METRICS_STATUS_MIN + 1];
	metrics_counter response_bytes;
	metrics_counter duration_us_sum;
	metrics_counter duration[METRICS_NBUCKETS + 1];  /* per bucket; the last: over 10 s */
	metrics_counter echo_bytes;
};

/* Add n to a counter only the calling worker writes: no read-modify-write
 * instruction is needed, and a reader on another thread sees whole values. */
static inline void
metrics_add(metrics_counter *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
	                      memory_order_relaxed);
}

/* A finished HTTP request: its status, body bytes and duration. */
void metrics_request(struct metrics_listener *m, int status, uint64_t bytes, uint64_t duration_us);

/* What the main thread counts. */
struct metrics_server {
	metrics_counter reloads_ok, reloads_failed;
	_Atomic int64_t last_reload_ok;  /* unix seconds: start-up, then each good reload */
	int64_t start_time;              /* unix seconds */
};

/* The exposition of everything, summed over the workers, for generation g
 * (listener names and certificates): a malloc'd text, its length in *len;
 * NULL when out of memory. */
char *metrics_render(const struct server *srv, const struct gen *g, size_t *len);

#endif
