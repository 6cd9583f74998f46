/* metrics: see metrics.h. The exposition follows the Prometheus text format
 * 0.0.4: a HELP and a TYPE line per family, then its samples; label values
 * escaped (backslash, double quote, newline). */
#include "tlserve/metrics.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "tlserve/config.h"
#include "tlserve/tls.h"
#include "tlserve/worker.h"

const uint64_t metrics_bucket_us[METRICS_NBUCKETS] = {
	500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000,
};

void
metrics_request(struct metrics_listener *m, int status, uint64_t bytes, uint64_t duration_us)
{
	size_t b = 0;

	if (status >= METRICS_STATUS_MIN && status <= METRICS_STATUS_MAX)
		metrics_add(&m->requests[status - METRICS_STATUS_MIN], 1);
	metrics_add(&m->response_bytes, bytes);
	metrics_add(&m->duration_us_sum, duration_us);
	while (b < METRICS_NBUCKETS && duration_us > metrics_bucket_us[b])
		b++;
	metrics_add(&m->duration[b], 1);
}

/* ------------------------------------------------------------- output */

/* A growing text buffer; after an allocation failure it stays failed. */
struct mbuf {
	char *p;
	size_t n, cap;
	bool failed;
};

static void __attribute__((format(printf, 2, 3)))
mb_printf(struct mbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (int tries = 0; tries < 2 && !b->failed; tries++) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = true;
			return;
		}
		if ((size_t)n < b->cap - b->n) {
			b->n += (size_t)n;
			return;
		}
		size_t cap = (b->cap + (size_t)n + 1) * 2;
		char *p = realloc(b->p, cap);

		if (p == NULL) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
}

/* A label value's buffer, grown as needed: a name or subject is never cut. */
struct mlabel {
	char *p;
	size_t cap;
};

/* s escaped as the format asks (backslash, double quote, newline) into lb;
 * "" with b failed when out of memory. */
static const char *
mb_label(struct mbuf *b, struct mlabel *lb, const char *s)
{
	size_t need = 2 * strlen(s) + 1, o = 0;

	if (need > lb->cap) {
		char *p = realloc(lb->p, need);

		if (p == NULL) {
			b->failed = true;
			return "";
		}
		lb->p = p;
		lb->cap = need;
	}
	for (; *s; s++) {
		if (*s == '\\' || *s == '"') {
			lb->p[o++] = '\\';
			lb->p[o++] = *s;
		} else if (*s == '\n') {
			lb->p[o++] = '\\';
			lb->p[o++] = 'n';
		} else {
			lb->p[o++] = *s;
		}
	}
	lb->p[o] = '\0';
	return lb->p;
}

static void
mb_family(struct mbuf *b, const char *name, const char *type, const char *help)
{
	mb_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* ----------------------------------------------------------- summing */

static uint64_t
mload(const metrics_counter *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

/* The sum over the workers of the counter at the same place in each
 * worker's set for listener li: off is its byte offset in the struct. */
static uint64_t
msum(const struct server *srv, size_t li, size_t off)
{
	uint64_t v = 0;

	for (size_t w = 0; w < srv->nworkers; w++)
		v += mload((const metrics_counter *)((const char *)&srv->workers[w].metrics[li] + off));
	return v;
}

#define MSUM(srv, li, field) msum(srv, li, offsetof(struct metrics_listener, field))

/* closed, read with acquire (conn_close stores it with release). */
static uint64_t
msum_closed(const struct server *srv, size_t li)
{
	uint64_t v = 0;

	for (size_t w = 0; w < srv->nworkers; w++)
		v += atomic_load_explicit(&srv->workers[w].metrics[li].closed, memory_order_acquire);
	return v;
}

/* ---------------------------------------------------------- families */

static void
render_connections(struct mbuf *b, const struct server *srv, const struct config *cfg)
{
	struct mlabel l = {0};

	mb_family(b, "tlserve_connections_accepted_total", "counter",
	          "Connections taken into service (not counting those refused).");
	for (size_t i = 0; i < srv->nlisteners; i++)
		mb_printf(b, "tlserve_connections_accepted_total{listener=\"%s\"} %llu\n",
		          mb_label(b, &l, cfg->listeners[i].name),
		          (unsigned long long)MSUM(srv, i, accepted));
	mb_family(b, "tlserve_connections_active", "gauge", "Connections open now.");
	for (size_t i = 0; i < srv->nlisteners; i++) {
		/* closed first, with acquire: a connection is counted accepted
		 * before closed, so the difference read this way is never negative */
		uint64_t closed = msum_closed(srv, i), accepted = MSUM(srv, i, accepted);

		mb_printf(b, "tlserve_connections_active{listener=\"%s\"} %llu\n",
		          mb_label(b, &l, cfg->listeners[i].name),
		          (unsigned long long)(accepted >= closed ? accepted - closed : 0));
	}
	mb_family(b, "tlserve_connections_refused_total", "counter",
	          "Connections closed at once because max_connections were open.");
	for (size_t i = 0; i < srv->nlisteners; i++)
		mb_printf(b, "tlserve_connections_refused_total{listener=\"%s\"} %llu\n",
		          mb_label(b, &l, cfg->listeners[i].name),
		          (unsigned long long)MSUM(srv, i, refused));
	free(l.p);
}

static void
render_tls(struct mbuf *b, const struct server *srv, const struct config *cfg)
{
	static const char *const reasons[METRICS_HS_NREASONS] = {
		"timeout", "protocol", "certificate", "plaintext", "proxy_header"};
	struct mlabel l = {0};

	mb_family(b, "tlserve_tls_handshakes_total", "counter", "TLS handshakes completed.");
	for (size_t i = 0; i < srv->nlisteners; i++) {
		if (config_listener_plain(&cfg->listeners[i]))
			continue;
		const char *ln = mb_label(b, &l, cfg->listeners[i].name);

		for (int v = 0; v < 2; v++) {
			for (int r = 0; r < 2; r++)
				mb_printf(b,
				          "tlserve_tls_handshakes_total{listener=\"%s\",version=\"%s\","
				          "resumed=\"%s\"} %llu\n",
				          ln, v ? "TLSv1.3" : "TLSv1.2", r ? "true" : "false",
				          (unsigned long long)MSUM(srv, i, handshakes[v][r]));
		}
	}
	mb_family(b, "tlserve_tls_handshake_failures_total", "counter",
	          "TLS handshakes (and PROXY headers before them) that failed, by reason.");
	for (size_t i = 0; i < srv->nlisteners; i++) {
		if (config_listener_plain(&cfg->listeners[i]))
			continue;
		const char *ln = mb_label(b, &l, cfg->listeners[i].name);

		for (int r = 0; r < METRICS_HS_NREASONS; r++)
			mb_printf(b, "tlserve_tls_handshake_failures_total{listener=\"%s\",reason=\"%s\"} %llu\n",
			          ln, reasons[r], (unsigned long long)MSUM(srv, i, hs_failures[r]));
	}
	free(l.p);
}

static bool
is_http(const struct config_listener *l)
{
	return l->mode != CONFIG_MODE_ECHO;
}

static void
render_histogram(struct mbuf *b, const struct server *srv, size_t li, const char *l)
{
	uint64_t cum = 0;

	for (int k = 0; k <= METRICS_NBUCKETS; k++) {
		cum += MSUM(srv, li, duration[k]);
		if (k < METRICS_NBUCKETS)
			mb_printf(b,
			          "tlserve_http_request_duration_seconds_bucket{listener=\"%s\",le=\"%g\"} "
			          "%llu\n",
			          l, (double)metrics_bucket_us[k] / 1e6, (unsigned long long)cum);
	}
	/* _count is the +Inf bucket read above: the two always agree */
	mb_printf(b, "tlserve_http_request_duration_seconds_bucket{listener=\"%s\",le=\"+Inf\"} %llu\n",
	          l, (unsigned long long)cum);
	mb_printf(b, "tlserve_http_request_duration_seconds_sum{listener=\"%s\"} %.6f\n", l,
	          (double)MSUM(srv, li, duration_us_sum) / 1e6);
	mb_printf(b, "tlserve_http_request_duration_seconds_count{listener=\"%s\"} %llu\n", l,
	          (unsigned long long)cum);
}

static void
render_http(struct mbuf *b, const struct server *srv, const struct config *cfg)
{
	struct mlabel l = {0};

	mb_family(b, "tlserve_http_requests_total", "counter", "HTTP requests answered, by status code.");
	for (size_t i = 0; i < srv->nlisteners; i++) {
		if (!is_http(&cfg->listeners[i]))
			continue;
		const char *ln = mb_label(b, &l, cfg->listeners[i].name);

		for (int s = METRICS_STATUS_MIN; s <= METRICS_STATUS_MAX; s++) {
			uint64_t v = MSUM(srv, i, requests[s - METRICS_STATUS_MIN]);

			if (v != 0)
				mb_printf(b, "tlserve_http_requests_total{listener=\"%s\",code=\"%d\"} %llu\n",
				          ln, s, (unsigned long long)v);
		}
	}
	mb_family(b, "tlserve_http_response_bytes_total", "counter",
	          "Bytes of HTTP response bodies sent.");
	for (size_t i = 0; i < srv->nlisteners; i++) {
		if (is_http(&cfg->listeners[i]))
			mb_printf(b, "tlserve_http_response_bytes_total{listener=\"%s\"} %llu\n",
			          mb_label(b, &l, cfg->listeners[i].name),
			          (unsigned long long)MSUM(srv, i, response_bytes));
	}
	mb_family(b, "tlserve_http_request_duration_seconds", "histogram",
	          "Time from a request's head to the last byte of its response handed to the kernel.");
	for (size_t i = 0; i < srv->nlisteners; i++) {
		if (is_http(&cfg->listeners[i]))
			render_histogram(b, srv, i, mb_label(b, &l, cfg->listeners[i].name));
	}
	free(l.p);
}

static void
render_echo(struct mbuf *b, const struct server *srv, const struct config *cfg)
{
	struct mlabel l = {0};

	mb_family(b, "tlserve_echo_bytes_total", "counter", "Bytes echoed back.");
	for (size_t i = 0; i < srv->nlisteners; i++) {
		if (cfg->listeners[i].mode == CONFIG_MODE_ECHO)
			mb_printf(b, "tlserve_echo_bytes_total{listener=\"%s\"} %llu\n",
			          mb_label(b, &l, cfg->listeners[i].name),
			          (unsigned long long)MSUM(srv, i, echo_bytes));
	}
	free(l.p);
}

/* One certificate of a listener, for the expiry samples. */
struct mcert {
	char subject[512];
	int64_t not_after;
};

static int
mcert_cmp(const void *a, const void *b)
{
	return strcmp(((const struct mcert *)a)->subject, ((const struct mcert *)b)->subject);
}

/* The certificates of a listener, one sample per subject: the labels are
 * {listener, subject}, so two certificates with one subject (the same file
 * in sni: and a site, or an old and a renewed one) give the earlier expiry,
 * the one an alert needs. */
static void
render_listener_certs(struct mbuf *b, const char *ln, const struct tls_server *tls,
                      struct mlabel *s)
{
	struct mcert *v = NULL, one;
	size_t n = 0, cap = 0;
	int r;

	for (size_t k = 0; (r = tls_server_cert(tls, k, one.subject, sizeof(one.subject),
	                                        &one.not_after)) >= 0; k++) {
		if (r != 1)
			continue;
		if (n == cap) {
			struct mcert *p = realloc(v, (cap = cap ? 2 * cap : 4) * sizeof(*v));

			if (p == NULL) {
				b->failed = true;
				break;
			}
			v = p;
		}
		v[n++] = one;
	}
	qsort(v, n, sizeof(*v), mcert_cmp);
	for (size_t i = 0; i < n; i++) {
		int64_t t = v[i].not_after;

		while (i + 1 < n && strcmp(v[i + 1].subject, v[i].subject) == 0) {
			i++;
			if (v[i].not_after < t)
				t = v[i].not_after;
		}
		mb_printf(b, "tlserve_certificate_expiry_timestamp_seconds{listener=\"%s\",subject=\"%s\"} %lld\n",
		          ln, mb_label(b, s, v[i].subject), (long long)t);
	}
	free(v);
}

static void
render_certificates(struct mbuf *b, const struct gen *g)
{
	struct mlabel l = {0}, s = {0};

	mb_family(b, "tlserve_certificate_expiry_timestamp_seconds", "gauge",
	          "When the certificates in use expire (notAfter), in unix seconds; the earliest of one subject.");
	for (size_t i = 0; i < g->neps; i++) {
		if (g->eps[i].tls != NULL)
			render_listener_certs(b, mb_label(b, &l, g->eps[i].cfg->name), g->eps[i].tls, &s);
	}
	free(l.p);
	free(s.p);
}

static void
render_server(struct mbuf *b, const struct server *srv)
{
	struct mlabel v = {0};

	mb_family(b, "tlserve_config_reloads_total", "counter", "Configuration reloads (SIGHUP), by result.");
	mb_printf(b, "tlserve_config_reloads_total{result=\"success\"} %llu\n",
	          (unsigned long long)mload(&srv->m.reloads_ok));
	mb_printf(b, "tlserve_config_reloads_total{result=\"failure\"} %llu\n",
	          (unsigned long long)mload(&srv->m.reloads_failed));
	mb_family(b, "tlserve_config_last_reload_success_timestamp_seconds", "gauge",
	          "When the configuration in use was loaded (start-up or the last good reload).");
	mb_printf(b, "tlserve_config_last_reload_success_timestamp_seconds %lld\n",
	          (long long)atomic_load_explicit(&srv->m.last_reload_ok, memory_order_relaxed));
	mb_family(b, "tlserve_build_info", "gauge", "The tlserve version and the OpenSSL in use.");
	mb_printf(b, "tlserve_build_info{version=\"%s\",", TLSERVE_VERSION);
	mb_printf(b, "openssl=\"%s\"} 1\n", mb_label(b, &v, tls_library_version()));
	free(v.p);
}

/* The standard process_* set, from /proc/self (Linux). */
static void
render_process(struct mbuf *b, const struct server *srv)
{
	char stat[1024], *p;
	unsigned long long ut = 0, st = 0, start = 0;
	long long rss = 0, btime = 0, started = srv->m.start_time;
	size_t fds = 0;
	struct rlimit rl;
	FILE *f = fopen("/proc/self/stat", "re");
	DIR *d;

	if (f != NULL) {
		/* after the command name (which may hold spaces) in parentheses:
		 * state ... utime (14th field) stime (15th) ... rss (24th) */
		if (fgets(stat, sizeof(stat), f) != NULL && (p = strrchr(stat, ')')) != NULL)
			sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d "
			              "%*d %*d %*d %llu %*u %lld",
			       &ut, &st, &start, &rss);
		fclose(f);
	}
	/* the start: boot time (btime) plus the process's start in ticks since boot */
	f = fopen("/proc/stat", "re");
	if (f != NULL) {
		while (fgets(stat, sizeof(stat), f) != NULL && sscanf(stat, "btime %lld", &btime) != 1)
			;
		fclose(f);
	}
	if (btime > 0 && start > 0)
		started = btime + (long long)(start / (unsigned long long)sysconf(_SC_CLK_TCK));
	d = opendir("/proc/self/fd");
	if (d != NULL) {
		for (struct dirent *e; (e = readdir(d)) != NULL;)
			fds += e->d_name[0] != '.';
		closedir(d);
		fds--;  /* the directory's own descriptor */
	}
	mb_family(b, "process_cpu_seconds_total", "counter", "User and system CPU time spent, in seconds.");
	mb_printf(b, "process_cpu_seconds_total %.2f\n", (double)(ut + st) / (double)sysconf(_SC_CLK_TCK));
	mb_family(b, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
	mb_printf(b, "process_resident_memory_bytes %lld\n", rss * (long long)sysconf(_SC_PAGESIZE));
	mb_family(b, "process_open_fds", "gauge", "Open file descriptors.");
	mb_printf(b, "process_open_fds %zu\n", fds);
	mb_family(b, "process_max_fds", "gauge", "The limit of open file descriptors.");
	mb_printf(b, "process_max_fds %lld\n",
	          getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? (long long)rl.rlim_cur : -1LL);
	mb_family(b, "process_start_time_seconds", "gauge", "Start time of the process, in unix seconds.");
	mb_printf(b, "process_start_time_seconds %lld\n", started);
}

char *
metrics_render(const struct server *srv, const struct gen *g, size_t *len)
{
	struct mbuf b = {.cap = 16384};

	b.p = malloc(b.cap);
	if (b.p == NULL)
		return NULL;
	render_connections(&b, srv, g->cfg);
	render_tls(&b, srv, g->cfg);
	render_http(&b, srv, g->cfg);
	render_echo(&b, srv, g->cfg);
	render_certificates(&b, g);
	render_server(&b, srv);
	render_process(&b, srv);
	if (b.failed) {
		free(b.p);
		return NULL;
	}
	*len = b.n;
	return b.p;
}
