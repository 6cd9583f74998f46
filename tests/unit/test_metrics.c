/* Unit tests for metrics.c: metrics_request and metrics_render without
 * sockets. A server with three workers, each with its own counters per
 * listener, and a generation loaded with config_load_string (a files, an
 * echo, a redirect and a metrics listener, and an echo listener whose name
 * holds a double quote and a backslash); the TLS listeners get real
 * contexts from tests/certs (CERTS overrides the directory) plus one
 * certificate made here whose subject needs escaping. The tests read the
 * exposition back: sums over the workers, which listeners each family
 * covers, histogram buckets at their edges, label escaping, and the text
 * format itself (one HELP and TYPE per family before its samples, unique
 * series, no NaN or negative value, valid UTF-8). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tlserve/config.h"
#include "tlserve/metrics.h"
#include "tlserve/tls.h"
#include "tlserve/worker.h"

#define NWORKERS 3

/* The listeners of the standard configuration, in its order. */
enum { L_WEB, L_ECHO, L_PLAIN, L_METRICS, L_ODD, NL };
static const char *const lname[NL] = {"web", "echo", "plain", "metrics", "q\"b\\s"};
/* The same names as label values. */
static const char *const llabel[NL] = {"web", "echo", "plain", "metrics", "q\\\"b\\\\s"};
static const bool is_tls[NL] = {true, true, false, false, true};
static const bool is_http[NL] = {true, false, true, true, false};
static const bool is_echo[NL] = {false, true, false, false, true};

/* The made certificate: its subject and notAfter. */
#define ODD_CN "a\"b\\c,d"
#define ODD_NOT_AFTER 2000000000LL
/* ODD_CN in RFC 2253 form (\ before " \ and ,), then as a label value. */
#define ODD_SUBJECT_LABEL "CN=a\\\\\\\"b\\\\\\\\c\\\\,d"

static const char *const le_text[METRICS_NBUCKETS] = {
	"0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
	"0.1",    "0.25",  "0.5",    "1",     "2.5",  "5",     "10"};

static const char *const families[][2] = {
	{"tlserve_connections_accepted_total", "counter"},
	{"tlserve_connections_active", "gauge"},
	{"tlserve_connections_refused_total", "counter"},
	{"tlserve_tls_handshakes_total", "counter"},
	{"tlserve_tls_handshake_failures_total", "counter"},
	{"tlserve_http_requests_total", "counter"},
	{"tlserve_http_response_bytes_total", "counter"},
	{"tlserve_http_request_duration_seconds", "histogram"},
	{"tlserve_echo_bytes_total", "counter"},
	{"tlserve_certificate_expiry_timestamp_seconds", "gauge"},
	{"tlserve_config_reloads_total", "counter"},
	{"tlserve_config_last_reload_success_timestamp_seconds", "gauge"},
	{"tlserve_build_info", "gauge"},
	{"process_cpu_seconds_total", "counter"},
	{"process_resident_memory_bytes", "gauge"},
	{"process_open_fds", "gauge"},
	{"process_max_fds", "gauge"},
	{"process_start_time_seconds", "gauge"},
};
#define NFAMILIES (sizeof(families) / sizeof(families[0]))

static char certdir[64];  /* the made certificate's directory */

static const char *
certs_dir(void)
{
	const char *d = getenv("CERTS");

	return d && *d ? d : "tests/certs";
}

/* ------------------------------------------------------------ the world */

struct world {
	struct server srv;
	struct worker workers[NWORKERS];
	struct gen *gen;
	char *text;      /* the last rendering */
	size_t len;
};

/* A self-signed certificate (P-256) with a subject that needs escaping,
 * written as odd.crt and odd.key under certdir. */
static int
make_odd_cert(void)
{
	char path[128];
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n;
	FILE *f;
	int ok = 0;

	if (k == NULL || x == NULL)
		goto out;
	n = X509_get_subject_name(x);
	if (X509_set_version(x, 2) != 1 || ASN1_INTEGER_set(X509_get_serialNumber(x), 1) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)ODD_NOT_AFTER) == NULL ||
	    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)ODD_CN, -1, -1,
	                               0) != 1 ||
	    X509_set_issuer_name(x, n) != 1 || X509_set_pubkey(x, k) != 1 ||
	    X509_sign(x, k, EVP_sha256()) == 0)
		goto out;
	snprintf(path, sizeof(path), "%s/odd.crt", certdir);
	f = fopen(path, "w");
	if (f == NULL)
		goto out;
	ok = PEM_write_X509(f, x);
	fclose(f);
	snprintf(path, sizeof(path), "%s/odd.key", certdir);
	f = fopen(path, "w");
	if (f == NULL) {
		ok = 0;
		goto out;
	}
	ok = ok && PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	fclose(f);
out:
	X509_free(x);
	EVP_PKEY_free(k);
	return ok ? 0 : -1;
}

/* The standard configuration: every mode, sni: entries and a site with its
 * own certificate, and a listener name that needs escaping. */
static char *
std_yaml(void)
{
	const char *c = certs_dir();
	char *y = NULL;

	if (asprintf(&y,
	             "tls: {certificate: %s/server.crt, key: %s/server.key}\n"
	             "listeners:\n"
	             "  - name: web\n"
	             "    host: 127.0.0.1\n"
	             "    port: 0\n"
	             "    mode: files\n"
	             "    root: /nonexistent\n"
	             "    sites:\n"
	             "      - {names: [two.test], certificate: %s/server2.crt, key: %s/server2.key}\n"
	             "  - name: echo\n"
	             "    host: 127.0.0.1\n"
	             "    port: 0\n"
	             "    mode: echo\n"
	             "    sni:\n"
	             "      - {names: [example.test], certificate: %s/example.crt, key: %s/example.key}\n"
	             "  - {name: plain, host: 127.0.0.1, port: 0, mode: redirect}\n"
	             "  - {name: metrics, host: 127.0.0.1, port: 0, mode: metrics}\n"
	             "  - name: 'q\"b\\s'\n"
	             "    host: 127.0.0.1\n"
	             "    port: 0\n"
	             "    mode: echo\n"
	             "    sni:\n"
	             "      - {names: [odd.test], certificate: %s/odd.crt, key: %s/odd.key}\n",
	             c, c, c, c, c, c, certdir, certdir) < 0)
		return NULL;
	return y;
}

/* The server and generation as main builds them (TLS contexts for the
 * files and echo listeners when tls is set, none otherwise), with
 * NWORKERS workers whose counters are all zero. */
static struct world *
world_new(const char *yaml, bool tls)
{
	struct world *wd = calloc(1, sizeof(*wd));
	struct config *cfg = NULL;
	struct config_errors errs = {0};
	struct gen *g;

	assert_non_null(wd);
	if (config_load_string(yaml, strlen(yaml), "t.yaml", ".", &cfg, &errs) != 0) {
		for (size_t i = 0; i < errs.n; i++)
			print_message("config: %s\n", errs.v[i].msg);
		config_errors_free(&errs);
		fail();
	}
	g = calloc(1, sizeof(*g));
	assert_non_null(g);
	atomic_init(&g->refs, 1);
	g->cfg = cfg;
	g->neps = cfg->nlisteners;
	g->eps = calloc(g->neps, sizeof(*g->eps));
	assert_non_null(g->eps);
	for (size_t i = 0; i < g->neps; i++) {
		const struct config_listener *l = &cfg->listeners[i];

		g->eps[i].gen = g;
		g->eps[i].cfg = l;
		g->eps[i].index = i;
		if (!tls || l->mode == CONFIG_MODE_REDIRECT || l->mode == CONFIG_MODE_METRICS)
			continue;
		if (tls_server_new(l, l->mode == CONFIG_MODE_FILES ? TLS_ALPN_H2 : TLS_ALPN_NONE,
		                   &g->eps[i].tls, &errs) != 0) {
			for (size_t k = 0; k < errs.n; k++)
				print_message("tls: %s\n", errs.v[k].msg);
			fail();
		}
	}
	config_errors_free(&errs);
	wd->gen = g;
	atomic_init(&wd->srv.gen, g);
	wd->srv.boot = g;
	wd->srv.nlisteners = cfg->nlisteners;
	wd->srv.workers = wd->workers;
	wd->srv.nworkers = NWORKERS;
	wd->srv.m.start_time = 1600000000;
	atomic_init(&wd->srv.m.last_reload_ok, 1600000000);
	for (int w = 0; w < NWORKERS; w++) {
		wd->workers[w].id = w;
		wd->workers[w].srv = &wd->srv;
		wd->workers[w].metrics = calloc(cfg->nlisteners, sizeof(struct metrics_listener));
		assert_non_null(wd->workers[w].metrics);
	}
	return wd;
}

static struct world *
world_std(bool tls)
{
	char *y = std_yaml();
	struct world *wd;

	assert_non_null(y);
	wd = world_new(y, tls);
	free(y);
	assert_int_equal(wd->srv.nlisteners, NL);
	return wd;
}

static void
world_free(struct world *wd)
{
	for (int w = 0; w < NWORKERS; w++)
		free(wd->workers[w].metrics);
	gen_unref(wd->gen);
	free(wd->text);
	free(wd);
}

static struct metrics_listener *
M(struct world *wd, int w, int li)
{
	return &wd->workers[w].metrics[li];
}

/* ------------------------------------------------------ reading it back */

static bool check_format(const char *t, size_t len);
static bool checker_quiet;  /* check_format says nothing of what it refuses */

/* Render into wd->text and check the format: a failure names the line. */
static const char *
render(struct world *wd)
{
	free(wd->text);
	wd->text = metrics_render(&wd->srv, wd->gen, &wd->len);
	assert_non_null(wd->text);
	assert_true(wd->len > 0);
	assert_true(check_format(wd->text, wd->len));
	return wd->text;
}

/* How many lines of the rendering start with prefix. */
static size_t
count_prefix(const struct world *wd, const char *prefix)
{
	size_t n = 0, pl = strlen(prefix);
	const char *p = wd->text, *end = wd->text + wd->len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (nl == NULL)
			nl = end;
		if ((size_t)(nl - p) >= pl && memcmp(p, prefix, pl) == 0)
			n++;
		p = nl + 1;
	}
	return n;
}

/* The value text of the one sample "series VALUE" (series is the name and
 * its labels as rendered); NULL when there is none. Fails when there are
 * several. */
static const char *
value_text(const struct world *wd, const char *series, char *out, size_t cap)
{
	size_t sl = strlen(series), found = 0;
	const char *p = wd->text, *end = wd->text + wd->len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (nl == NULL)
			nl = end;
		if ((size_t)(nl - p) > sl && memcmp(p, series, sl) == 0 && p[sl] == ' ') {
			size_t vl = (size_t)(nl - p) - sl - 1;

			assert_true(vl < cap);
			memcpy(out, p + sl + 1, vl);
			out[vl] = '\0';
			found++;
		}
		p = nl + 1;
	}
	if (found > 1)
		fail_msg("%zu samples of %s", found, series);
	return found ? out : NULL;
}

static uint64_t __attribute__((format(printf, 2, 3)))
u64_of(const struct world *wd, const char *fmt, ...)
{
	char series[1024], v[64], *e;
	va_list ap;
	unsigned long long x;

	va_start(ap, fmt);
	vsnprintf(series, sizeof(series), fmt, ap);
	va_end(ap);
	if (value_text(wd, series, v, sizeof(v)) == NULL)
		fail_msg("no sample %s", series);
	x = strtoull(v, &e, 10);
	if (*e != '\0' || e == v)
		fail_msg("%s: \"%s\" is not an integer", series, v);
	return x;
}

static bool __attribute__((format(printf, 2, 3)))
has_series(const struct world *wd, const char *fmt, ...)
{
	char series[1024], v[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(series, sizeof(series), fmt, ap);
	va_end(ap);
	return value_text(wd, series, v, sizeof(v)) != NULL;
}

/* Two certificates with one subject on a listener (the listener's file
 * again in an sni: entry) give one sample, not two series with the same
 * labels. */
static void
test_certificate_subject_once(void **state)
{
	char yaml[2048];
	struct world *wd;
	const char *c = certs_dir();

	(void)state;
	snprintf(yaml, sizeof(yaml),
	         "tls: {certificate: %s/server.crt, key: %s/server.key}\n"
	         "listeners:\n"
	         "  - {name: web, port: 0, host: 127.0.0.1, root: /tmp,\n"
	         "     sni: [{names: [a.test], certificate: %s/server.crt, key: %s/server.key},\n"
	         "           {names: [b.test], certificate: %s/example.crt, key: %s/example.key}]}\n",
	         c, c, c, c, c, c);
	wd = world_new(yaml, true);
	render(wd);
	assert_int_equal(count_prefix(wd, "tlserve_certificate_expiry_timestamp_seconds{listener=\"web\",subject=\"CN=localhost,O=tlserve\"}"), 1);
	assert_int_equal(count_prefix(wd, "tlserve_certificate_expiry_timestamp_seconds{"), 2);
	world_free(wd);
}

/* --------------------------------------------------- the format checker */

static bool
valid_utf8(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t k;
		uint32_t c;

		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0)
			k = 1, c = s[i] & 0x1f;
		else if ((s[i] & 0xf0) == 0xe0)
			k = 2, c = s[i] & 0x0f;
		else if ((s[i] & 0xf8) == 0xf0)
			k = 3, c = s[i] & 0x07;
		else
			return false;
		if (i + k >= n)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			c = c << 6 | (s[i + j] & 0x3f);
		}
		if ((k == 1 && c < 0x80) || (k == 2 && c < 0x800) || (k == 3 && c < 0x10000) ||
		    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

static bool
is_name_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
	       (!first && c >= '0' && c <= '9');
}

/* Check the exposition line by line; print what is wrong and return false.
 * Families: each of the expected set, its HELP then its TYPE line, once,
 * before its samples, which follow together; a sample's name is the
 * family's (or a histogram's _bucket, _sum, _count); labels well formed
 * (only \\, \" and \n escapes), no series twice, values finite and not
 * negative, no timestamps. */
static bool
check_format(const char *t, size_t len)
{
	char fam[128] = "", type[16] = "";
	bool seen[NFAMILIES] = {false};
	char **series = NULL;
	size_t nseries = 0, lineno = 0, nbad = 0;
	bool ok = true;
	const char *p = t, *end = t + len;

#define BAD(...)                                                                     \
	do {                                                                             \
		if (!checker_quiet && nbad++ < 3) {                                          \
			print_message("line %zu: ", lineno);                                     \
			print_message(__VA_ARGS__);                                              \
			print_message(": %.*s\n", (int)(nl - p > 120 ? 120 : nl - p), p);         \
		}                                                                            \
		ok = false;                                                                  \
		goto next;                                                                   \
	} while (0)

	if (memchr(t, '\0', len) != NULL || t[len - 1] != '\n') {
		if (!checker_quiet)
			print_message("a NUL byte, or no newline at the end\n");
		return false;
	}
	if (!valid_utf8((const unsigned char *)t, len)) {
		if (!checker_quiet)
			print_message("not valid UTF-8\n");
		return false;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		char name[128];
		size_t n = 0;

		lineno++;
		if (strncmp(p, "# HELP ", 7) == 0) {
			const char *q = p + 7, *sp = memchr(q, ' ', (size_t)(nl - q));
			size_t f;
			int tl;

			if (sp == NULL || sp == q || (size_t)(sp - q) >= sizeof(fam))
				BAD("HELP without a name and text");
			memcpy(fam, q, (size_t)(sp - q));
			fam[sp - q] = '\0';
			for (f = 0; f < NFAMILIES && strcmp(families[f][0], fam) != 0; f++)
				;
			if (f == NFAMILIES)
				BAD("unknown family %s", fam);
			if (seen[f])
				BAD("second HELP for %s", fam);
			seen[f] = true;
			/* the TYPE line next */
			p = nl + 1;
			nl = memchr(p, '\n', (size_t)(end - p));
			lineno++;
			if (nl == NULL) {
				nl = end;
				BAD("no TYPE line after HELP %s", fam);
			}
			if (sscanf(p, "# TYPE %127s %15s", name, type) != 2 ||
			    strcmp(name, fam) != 0 || strcmp(type, families[f][1]) != 0)
				BAD("no \"# TYPE %s %s\" after its HELP", fam, families[f][1]);
			tl = snprintf(name, sizeof(name), "# TYPE %s %s", fam, type);
			if (nl - p != tl)
				BAD("trailing text on TYPE");
			goto next;
		}
		if (*p == '#')
			BAD("a comment that is not HELP (or a TYPE out of place)");
		/* a sample: name{labels} value */
		while (p + n < nl && is_name_char(p[n], n == 0))
			n++;
		if (n == 0 || n >= sizeof(name))
			BAD("no metric name");
		memcpy(name, p, n);
		name[n] = '\0';
		if (fam[0] == '\0')
			BAD("a sample before any HELP");
		if (strcmp(name, fam) != 0) {
			size_t fl = strlen(fam);

			if (strcmp(type, "histogram") != 0 || strncmp(name, fam, fl) != 0 ||
			    (strcmp(name + fl, "_bucket") != 0 && strcmp(name + fl, "_sum") != 0 &&
			     strcmp(name + fl, "_count") != 0))
				BAD("sample %s under family %s", name, fam);
		}
		{
			const char *q = p + n, *v;
			char *e, *key;
			double x;

			if (*q == '{') {
				q++;
				while (q < nl && *q != '}') {
					size_t kl = 0;

					while (q + kl < nl && is_name_char(q[kl], kl == 0))
						kl++;
					if (kl == 0 || q[kl] != '=' || q[kl + 1] != '"')
						BAD("bad label name");
					q += kl + 2;
					while (q < nl && *q != '"') {
						if (*q == '\\') {
							if (q + 1 >= nl || (q[1] != '\\' && q[1] != '"' && q[1] != 'n'))
								BAD("bad escape in a label value");
							q += 2;
						} else {
							q++;
						}
					}
					if (q >= nl)
						BAD("unterminated label value");
					q++;
					if (*q == ',')
						q++;
					else if (*q != '}')
						BAD("no , or } after a label");
				}
				if (q >= nl)
					BAD("unterminated labels");
				q++;
			}
			if (*q != ' ')
				BAD("no space before the value");
			v = q + 1;
			x = strtod(v, &e);
			if (e == v || e != nl)
				BAD("the value is not one number (or has a timestamp)");
			if (isnan(x) || isinf(x) || x < 0 || signbit(x))
				BAD("a NaN, infinite or negative value");
			key = strndup(p, (size_t)(q - p));
			assert_non_null(key);
			for (size_t i = 0; i < nseries; i++) {
				if (strcmp(series[i], key) == 0) {
					free(key);
					BAD("series twice");
				}
			}
			series = realloc(series, (nseries + 1) * sizeof(*series));
			assert_non_null(series);
			series[nseries++] = key;
		}
next:
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	for (size_t f = 0; f < NFAMILIES; f++) {
		if (!seen[f]) {
			print_message("family %s missing\n", families[f][0]);
			ok = false;
		}
	}
	for (size_t i = 0; i < nseries; i++)
		free(series[i]);
	free(series);
	return ok;
#undef BAD
}

/* The histogram of listener label l: buckets in le order, cumulative and
 * non-decreasing, +Inf == _count; cum[k] for each le, cum[14] for +Inf. */
static void
histogram(const struct world *wd, const char *l, uint64_t cum[METRICS_NBUCKETS + 1])
{
	static const char *const pfx = "tlserve_http_request_duration_seconds_bucket{listener=\"";
	const char *p = wd->text;
	char want[512];

	/* in le order, one after the other */
	snprintf(want, sizeof(want), "%s%s\",le=\"%s\"}", pfx, l, le_text[0]);
	p = strstr(p, want);
	assert_non_null(p);
	for (int k = 0; k <= METRICS_NBUCKETS; k++) {
		int n = snprintf(want, sizeof(want), "%s%s\",le=\"%s\"} ", pfx, l,
		                 k < METRICS_NBUCKETS ? le_text[k] : "+Inf");
		char *e;

		if (strncmp(p, want, (size_t)n) != 0)
			fail_msg("expected %s, got %.80s", want, p);
		cum[k] = strtoull(p + n, &e, 10);
		assert_int_equal(*e, '\n');
		if (k > 0)
			assert_true(cum[k] >= cum[k - 1]);
		p = e + 1;
	}
	assert_int_equal(u64_of(wd, "tlserve_http_request_duration_seconds_count{listener=\"%s\"}", l),
	                 cum[METRICS_NBUCKETS]);
	assert_int_equal(count_prefix(wd, want) , 1);
}

static double
hist_sum(const struct world *wd, const char *l)
{
	char series[512], v[64], *e;
	double x;

	snprintf(series, sizeof(series), "tlserve_http_request_duration_seconds_sum{listener=\"%s\"}", l);
	assert_non_null(value_text(wd, series, v, sizeof(v)));
	x = strtod(v, &e);
	assert_int_equal(*e, '\0');
	return x;
}

/* ----------------------------------------------------------------- tests */

/* Nothing counted yet: every family is there, connection counters zero,
 * no request sample, the histograms all zero. */
static void
test_empty(void **state)
{
	struct world *wd = world_std(true);
	uint64_t cum[METRICS_NBUCKETS + 1];

	(void)state;
	render(wd);
	for (int i = 0; i < NL; i++) {
		assert_int_equal(u64_of(wd, "tlserve_connections_accepted_total{listener=\"%s\"}", llabel[i]), 0);
		assert_int_equal(u64_of(wd, "tlserve_connections_active{listener=\"%s\"}", llabel[i]), 0);
		assert_int_equal(u64_of(wd, "tlserve_connections_refused_total{listener=\"%s\"}", llabel[i]), 0);
		if (is_http[i]) {
			histogram(wd, llabel[i], cum);
			for (int k = 0; k <= METRICS_NBUCKETS; k++)
				assert_int_equal(cum[k], 0);
			assert_true(hist_sum(wd, llabel[i]) == 0.0);
			assert_int_equal(u64_of(wd, "tlserve_http_response_bytes_total{listener=\"%s\"}", llabel[i]), 0);
		}
	}
	assert_int_equal(count_prefix(wd, "tlserve_http_requests_total{"), 0);
	assert_int_equal(count_prefix(wd, "tlserve_connections_accepted_total{"), NL);
	world_free(wd);
}

/* Every per-listener counter, set differently in each worker and listener,
 * is the sum over the workers, in the families its listener's mode has. */
static void
test_sums(void **state)
{
	static const char *const reasons[METRICS_HS_NREASONS] = {
		"timeout", "protocol", "certificate", "plaintext", "proxy_header"};
	struct world *wd = world_std(true);

	(void)state;
	for (int w = 0; w < NWORKERS; w++) {
		for (int i = 0; i < NL; i++) {
			struct metrics_listener *m = M(wd, w, i);
			uint64_t base = (uint64_t)(i + 1) * 1000;

			metrics_add(&m->accepted, base + 100 + (uint64_t)w);
			metrics_add(&m->closed, base + 50 + 2 * (uint64_t)w);
			metrics_add(&m->refused, base + 7 * (uint64_t)w);
			for (int v = 0; v < 2; v++)
				for (int r = 0; r < 2; r++)
					metrics_add(&m->handshakes[v][r], base + (uint64_t)(v * 100 + r * 10 + w));
			for (int r = 0; r < METRICS_HS_NREASONS; r++)
				metrics_add(&m->hs_failures[r], base + (uint64_t)(r * 10 + w));
			/* set whatever the mode: only echo listeners' may show */
			metrics_add(&m->echo_bytes, base * 10 + (uint64_t)w);
			metrics_add(&m->response_bytes, base * 20 + (uint64_t)w);
		}
	}
	render(wd);
	for (int i = 0; i < NL; i++) {
		const char *l = llabel[i];
		uint64_t base = (uint64_t)(i + 1) * 1000;

		assert_int_equal(u64_of(wd, "tlserve_connections_accepted_total{listener=\"%s\"}", l),
		                 3 * (base + 100) + 0 + 1 + 2);
		assert_int_equal(u64_of(wd, "tlserve_connections_active{listener=\"%s\"}", l),
		                 (3 * (base + 100) + 3) - (3 * (base + 50) + 6));
		assert_int_equal(u64_of(wd, "tlserve_connections_refused_total{listener=\"%s\"}", l),
		                 3 * base + 21);
		for (int v = 0; v < 2; v++) {
			for (int r = 0; r < 2; r++) {
#define fmt "tlserve_tls_handshakes_total{listener=\"%s\",version=\"%s\",resumed=\"%s\"}"
				const char *vs = v ? "TLSv1.3" : "TLSv1.2", *rs = r ? "true" : "false";

				if (is_tls[i])
					assert_int_equal(u64_of(wd, fmt, l, vs, rs),
					                 3 * (base + (uint64_t)(v * 100 + r * 10)) + 3);
				else
					assert_false(has_series(wd, fmt, l, vs, rs));
#undef fmt
			}
		}
		for (int r = 0; r < METRICS_HS_NREASONS; r++) {
#define fmt "tlserve_tls_handshake_failures_total{listener=\"%s\",reason=\"%s\"}"

			if (is_tls[i])
				assert_int_equal(u64_of(wd, fmt, l, reasons[r]), 3 * (base + (uint64_t)r * 10) + 3);
			else
				assert_false(has_series(wd, fmt, l, reasons[r]));
#undef fmt
		}
		if (is_echo[i])
			assert_int_equal(u64_of(wd, "tlserve_echo_bytes_total{listener=\"%s\"}", l),
			                 3 * base * 10 + 3);
		else
			assert_false(has_series(wd, "tlserve_echo_bytes_total{listener=\"%s\"}", l));
		if (is_http[i])
			assert_int_equal(u64_of(wd, "tlserve_http_response_bytes_total{listener=\"%s\"}", l),
			                 3 * base * 20 + 3);
		else
			assert_false(has_series(wd, "tlserve_http_response_bytes_total{listener=\"%s\"}", l));
	}
	/* exactly these samples, no others */
	assert_int_equal(count_prefix(wd, "tlserve_tls_handshakes_total{"), 3 * 4);
	assert_int_equal(count_prefix(wd, "tlserve_tls_handshake_failures_total{"), 3 * 5);
	assert_int_equal(count_prefix(wd, "tlserve_echo_bytes_total{"), 2);
	assert_int_equal(count_prefix(wd, "tlserve_http_response_bytes_total{"), 3);
	assert_int_equal(count_prefix(wd, "tlserve_http_request_duration_seconds_count{"), 3);
	assert_int_equal(count_prefix(wd, "tlserve_connections_active{"), NL);
	world_free(wd);
}

/* active is never negative, even read when closed is ahead. */
static void
test_active_not_negative(void **state)
{
	struct world *wd = world_std(false);

	(void)state;
	metrics_add(&M(wd, 0, L_WEB)->accepted, 5);
	metrics_add(&M(wd, 1, L_WEB)->closed, 4);   /* workers count their own */
	metrics_add(&M(wd, 2, L_ECHO)->closed, 1);  /* an impossible state */
	render(wd);
	assert_int_equal(u64_of(wd, "tlserve_connections_active{listener=\"web\"}"), 1);
	assert_int_equal(u64_of(wd, "tlserve_connections_active{listener=\"echo\"}"), 0);
	world_free(wd);
}

/* metrics_request: one sample per code seen per HTTP listener, summed over
 * the workers; 100 and 599 count, codes outside 100..599 do not (their
 * bytes and durations do). */
static void
test_requests(void **state)
{
	struct world *wd = world_std(true);
	static const int outside[] = {-1, 0, 99, 600, 1000, 99999};
	uint64_t cum[METRICS_NBUCKETS + 1];

	(void)state;
	metrics_request(M(wd, 0, L_WEB), 200, 100, 10);
	metrics_request(M(wd, 1, L_WEB), 200, 50, 10);
	metrics_request(M(wd, 2, L_WEB), 200, 1, 10);
	metrics_request(M(wd, 1, L_WEB), 404, 7, 10);
	metrics_request(M(wd, 0, L_WEB), 100, 0, 10);
	metrics_request(M(wd, 2, L_WEB), 599, 0, 10);
	for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++)
		metrics_request(M(wd, (int)i % NWORKERS, L_WEB), outside[i], 1000, 10);
	metrics_request(M(wd, 2, L_PLAIN), 308, 200, 10);
	metrics_request(M(wd, 0, L_PLAIN), 400, 30, 10);
	metrics_request(M(wd, 1, L_METRICS), 200, 3000, 10);
	render(wd);

	assert_int_equal(u64_of(wd, "tlserve_http_requests_total{listener=\"web\",code=\"200\"}"), 3);
	assert_int_equal(u64_of(wd, "tlserve_http_requests_total{listener=\"web\",code=\"404\"}"), 1);
	assert_int_equal(u64_of(wd, "tlserve_http_requests_total{listener=\"web\",code=\"100\"}"), 1);
	assert_int_equal(u64_of(wd, "tlserve_http_requests_total{listener=\"web\",code=\"599\"}"), 1);
	assert_int_equal(count_prefix(wd, "tlserve_http_requests_total{listener=\"web\","), 4);
	assert_int_equal(u64_of(wd, "tlserve_http_requests_total{listener=\"plain\",code=\"308\"}"), 1);
	assert_int_equal(u64_of(wd, "tlserve_http_requests_total{listener=\"plain\",code=\"400\"}"), 1);
	assert_int_equal(count_prefix(wd, "tlserve_http_requests_total{listener=\"plain\","), 2);
	assert_int_equal(u64_of(wd, "tlserve_http_requests_total{listener=\"metrics\",code=\"200\"}"), 1);
	assert_int_equal(count_prefix(wd, "tlserve_http_requests_total{"), 7);
	/* in code order within a listener */
	assert_true(strstr(wd->text, "{listener=\"web\",code=\"100\"}") <
	            strstr(wd->text, "{listener=\"web\",code=\"200\"}"));
	assert_true(strstr(wd->text, "{listener=\"web\",code=\"404\"}") <
	            strstr(wd->text, "{listener=\"web\",code=\"599\"}"));

	assert_int_equal(u64_of(wd, "tlserve_http_response_bytes_total{listener=\"web\"}"),
	                 100 + 50 + 1 + 7 + 6 * 1000);
	assert_int_equal(u64_of(wd, "tlserve_http_response_bytes_total{listener=\"plain\"}"), 230);
	assert_int_equal(u64_of(wd, "tlserve_http_response_bytes_total{listener=\"metrics\"}"), 3000);
	histogram(wd, "web", cum);
	assert_int_equal(cum[METRICS_NBUCKETS], 6 + 6);
	histogram(wd, "plain", cum);
	assert_int_equal(cum[METRICS_NBUCKETS], 2);
	histogram(wd, "metrics", cum);
	assert_int_equal(cum[METRICS_NBUCKETS], 1);
	world_free(wd);
}

/* Durations at the bucket edges: an edge belongs to its own bucket (le is
 * "less or equal"), one microsecond more to the next; over 10 s only +Inf. */
static void
test_histogram_edges(void **state)
{
	struct world *wd = world_std(false);
	uint64_t cum[METRICS_NBUCKETS + 1];
	uint64_t sum = 0;

	(void)state;
	/* the le values the contract names */
	for (int k = 0; k < METRICS_NBUCKETS; k++) {
		char s[32];

		snprintf(s, sizeof(s), "%g", (double)metrics_bucket_us[k] / 1e6);
		assert_string_equal(s, le_text[k]);
	}
	/* web: the cases of the task */
	metrics_request(M(wd, 0, L_WEB), 200, 0, 0);
	metrics_request(M(wd, 1, L_WEB), 200, 0, 500);       /* le 0.0005 */
	metrics_request(M(wd, 2, L_WEB), 200, 0, 501);       /* le 0.001 */
	metrics_request(M(wd, 0, L_WEB), 200, 0, 10000000);  /* le 10 */
	metrics_request(M(wd, 1, L_WEB), 200, 0, 11000000);  /* +Inf only */
	render(wd);
	histogram(wd, "web", cum);
	assert_int_equal(cum[0], 2);
	for (int k = 1; k < 13; k++)
		assert_int_equal(cum[k], 3);
	assert_int_equal(cum[13], 4);
	assert_int_equal(cum[14], 5);
	assert_true(fabs(hist_sum(wd, "web") - 21.001001) < 1e-9);
	assert_non_null(strstr(wd->text,
	                       "tlserve_http_request_duration_seconds_sum{listener=\"web\"} 21.001001\n"));

	/* metrics: each edge exactly; plain: each edge + 1 us */
	for (int k = 0; k < METRICS_NBUCKETS; k++) {
		metrics_request(M(wd, k % NWORKERS, L_METRICS), 200, 0, metrics_bucket_us[k]);
		metrics_request(M(wd, (k + 1) % NWORKERS, L_PLAIN), 308, 0, metrics_bucket_us[k] + 1);
		sum += metrics_bucket_us[k];
	}
	render(wd);
	histogram(wd, "metrics", cum);
	for (int k = 0; k < METRICS_NBUCKETS; k++)
		assert_int_equal(cum[k], (uint64_t)k + 1);
	assert_int_equal(cum[METRICS_NBUCKETS], METRICS_NBUCKETS);
	assert_true(fabs(hist_sum(wd, "metrics") - (double)sum / 1e6) < 1e-9);
	histogram(wd, "plain", cum);
	for (int k = 0; k < METRICS_NBUCKETS; k++)
		assert_int_equal(cum[k], (uint64_t)k);
	assert_int_equal(cum[METRICS_NBUCKETS], METRICS_NBUCKETS);
	assert_true(fabs(hist_sum(wd, "plain") - (double)(sum + METRICS_NBUCKETS) / 1e6) < 1e-9);
	/* echo listeners have none */
	assert_int_equal(count_prefix(wd, "tlserve_http_request_duration_seconds_bucket{listener=\"echo\""), 0);
	world_free(wd);
}

/* A listener name with a double quote and a backslash is escaped in every
 * family; a certificate subject with both (and RFC 2253's own backslash
 * escapes) too. Control characters (a newline) cannot reach a label: the
 * configuration refuses them in a name, and RFC 2253 output escapes them. */
static void
test_escaping(void **state)
{
	struct world *wd = world_std(true);

	(void)state;
	metrics_add(&M(wd, 1, L_ODD)->accepted, 3);
	metrics_add(&M(wd, 2, L_ODD)->echo_bytes, 9);
	render(wd);
	assert_string_equal(wd->gen->cfg->listeners[L_ODD].name, lname[L_ODD]);
	assert_int_equal(u64_of(wd, "tlserve_connections_accepted_total{listener=\"q\\\"b\\\\s\"}"), 3);
	assert_int_equal(u64_of(wd, "tlserve_echo_bytes_total{listener=\"q\\\"b\\\\s\"}"), 9);
	assert_int_equal(u64_of(wd,
	                        "tlserve_tls_handshakes_total{listener=\"q\\\"b\\\\s\",version=\"TLSv1.3\","
	                        "resumed=\"false\"}"),
	                 0);
	assert_int_equal(u64_of(wd,
	                        "tlserve_certificate_expiry_timestamp_seconds{listener=\"q\\\"b\\\\s\","
	                        "subject=\"" ODD_SUBJECT_LABEL "\"}"),
	                 ODD_NOT_AFTER);
	/* the raw name nowhere */
	assert_null(strstr(wd->text, "listener=\"q\"b"));
	world_free(wd);
}

/* notAfter of a certificate file, as unix seconds. */
static long long
not_after(const char *file)
{
	char path[256];
	FILE *f;
	X509 *x;
	struct tm tm;

	snprintf(path, sizeof(path), "%s/%s", certs_dir(), file);
	f = fopen(path, "r");
	assert_non_null(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	assert_int_equal(ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm), 1);
	X509_free(x);
	return (long long)timegm(&tm);
}

/* One sample per certificate of each TLS listener: its own, its sni:
 * entries', its sites'; none for plain listeners. */
static void
test_certificates(void **state)
{
	struct world *wd = world_std(true);
#define fmt "tlserve_certificate_expiry_timestamp_seconds{listener=\"%s\",subject=\"%s\"}"

	(void)state;
	render(wd);
	assert_int_equal(u64_of(wd, fmt, "web", "CN=localhost,O=tlserve"), not_after("server.crt"));
	assert_int_equal(u64_of(wd, fmt, "web", "CN=localhost,O=tlserve-2"), not_after("server2.crt"));
	assert_int_equal(u64_of(wd, fmt, "echo", "CN=localhost,O=tlserve"), not_after("server.crt"));
	assert_int_equal(u64_of(wd, fmt, "echo", "CN=example.test,O=tlserve"), not_after("example.crt"));
	assert_int_equal(u64_of(wd, fmt, llabel[L_ODD], "CN=localhost,O=tlserve"), not_after("server.crt"));
	assert_int_equal(count_prefix(wd, "tlserve_certificate_expiry_timestamp_seconds{"), 6);
	assert_int_equal(count_prefix(wd, "tlserve_certificate_expiry_timestamp_seconds{listener=\"plain\""), 0);
	assert_int_equal(count_prefix(wd, "tlserve_certificate_expiry_timestamp_seconds{listener=\"metrics\""), 0);
	world_free(wd);
#undef fmt
}

/* Without TLS contexts there is no certificate sample; the TLS families
 * still cover the files and echo listeners (by mode). */
static void
test_no_tls_contexts(void **state)
{
	struct world *wd = world_std(false);

	(void)state;
	render(wd);
	assert_int_equal(count_prefix(wd, "# HELP tlserve_certificate_expiry_timestamp_seconds "), 1);
	assert_int_equal(count_prefix(wd, "tlserve_certificate_expiry_timestamp_seconds"), 0);
	assert_int_equal(count_prefix(wd, "tlserve_tls_handshakes_total{"), 3 * 4);
	assert_int_equal(count_prefix(wd, "tlserve_tls_handshake_failures_total{"), 3 * 5);
	world_free(wd);
}

/* The server's own families, build_info and the process_* set. */
static void
test_server_and_process(void **state)
{
	struct world *wd = world_std(false);
	char want[512], v[64], label[256];
	const char *o = tls_library_version();
	struct rlimit rl;
	size_t k = 0;
	double cpu;
	char *e;

	(void)state;
	metrics_add(&wd->srv.m.reloads_ok, 3);
	metrics_add(&wd->srv.m.reloads_failed, 2);
	atomic_store(&wd->srv.m.last_reload_ok, 1700000123);
	wd->srv.m.start_time = 1700000000;
	render(wd);
	assert_int_equal(u64_of(wd, "tlserve_config_reloads_total{result=\"success\"}"), 3);
	assert_int_equal(u64_of(wd, "tlserve_config_reloads_total{result=\"failure\"}"), 2);
	assert_int_equal(count_prefix(wd, "tlserve_config_reloads_total{"), 2);
	assert_int_equal(u64_of(wd, "tlserve_config_last_reload_success_timestamp_seconds"), 1700000123);
	/* from /proc: this test process started within the last hour, not at
	 * the fallback written above */
	{
		uint64_t t = u64_of(wd, "process_start_time_seconds");
		time_t now = time(NULL);

		assert_true(t <= (uint64_t)now + 1 && t + 3600 > (uint64_t)now);
	}

	/* tlserve_build_info{version="0.1.0",openssl="OpenSSL 3..."} 1 */
	for (; *o && k + 3 < sizeof(label); o++) {
		if (*o == '"' || *o == '\\')
			label[k++] = '\\';
		label[k++] = *o;
	}
	label[k] = '\0';
	assert_true(strncmp(tls_library_version(), "OpenSSL ", 8) == 0);
	snprintf(want, sizeof(want), "\ntlserve_build_info{version=\"%s\",openssl=\"%s\"} 1\n",
	         TLSERVE_VERSION, label);
	assert_non_null(strstr(wd->text, want));
	assert_int_equal(count_prefix(wd, "tlserve_build_info{"), 1);

	assert_non_null(value_text(wd, "process_cpu_seconds_total", v, sizeof(v)));
	cpu = strtod(v, &e);
	assert_int_equal(*e, '\0');
	assert_true(cpu >= 0 && cpu < 3600);
	assert_true(u64_of(wd, "process_resident_memory_bytes") > 1024 * 1024);
	assert_true(u64_of(wd, "process_open_fds") >= 3);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	assert_int_equal(u64_of(wd, "process_max_fds"), rl.rlim_cur);
	assert_true(u64_of(wd, "process_open_fds") <= rl.rlim_cur);
	world_free(wd);
}

/* process_open_fds follows the descriptors opened. */
static void
test_open_fds(void **state)
{
	struct world *wd = world_std(false);
	uint64_t before, after;
	int fds[5];

	(void)state;
	render(wd);
	before = u64_of(wd, "process_open_fds");
	for (int i = 0; i < 5; i++) {
		fds[i] = dup(0);
		assert_true(fds[i] >= 0);
	}
	render(wd);
	after = u64_of(wd, "process_open_fds");
	for (int i = 0; i < 5; i++)
		close(fds[i]);
	assert_int_equal(after, before + 5);
	world_free(wd);
}

/* The checker itself refuses what it should (so the other tests' passing
 * means something): each case is a valid text (every family, HELP and TYPE
 * lines only) with one bad line put after the echo family's TYPE line. */
static void
test_checker_rejects(void **state)
{
#define E "tlserve_echo_bytes_total"
	static const char *const bad[] = {
		E "{a=\"1\"} NaN\n",
		E "{a=\"1\"} -1\n",
		E "{a=\"1\"} +Inf\n",
		E "{a=\"1\"} 1 1700000000000\n",
		E "{a=\"1\"} 1\n" E "{a=\"1\"} 2\n",
		E "{a=\"a\\tb\"} 1\n",
		E "{a=\"a\"b\"} 1\n",
		E "{a=\"\xc3\"} 1\n",
		E "{a=\"1\"}\n",
		"y_total 1\n",
		"# HELP tlserve_build_info again\n# TYPE tlserve_build_info gauge\n",
		"# a comment\n",
	};
	static const char anchor[] = "# TYPE " E " counter\n";
#undef E
	char *good = NULL, *t = NULL;
	size_t glen = 0, head;
	const char *at;
	FILE *f;
	int n;

	(void)state;
	f = open_memstream(&good, &glen);
	assert_non_null(f);
	for (size_t i = 0; i < NFAMILIES; i++)
		fprintf(f, "# HELP %s h\n# TYPE %s %s\n", families[i][0], families[i][0], families[i][1]);
	fclose(f);
	assert_true(check_format(good, glen));
	at = strstr(good, anchor);
	assert_non_null(at);
	head = (size_t)(at - good) + strlen(anchor);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = asprintf(&t, "%.*s%s%s", (int)head, good, bad[i], good + head);
		assert_true(n > 0);
		checker_quiet = true;
		if (check_format(t, (size_t)n)) {
			checker_quiet = false;
			fail_msg("accepted: %s", bad[i]);
		}
		checker_quiet = false;
		free(t);
	}
	free(good);
}

/* Long listener names: a label holds the whole name, so two names that
 * differ only past their 250th byte are two series. */
static void
test_long_names(void **state)
{
	char a300[301], yaml[1024], want[1024];
	struct world *wd;

	(void)state;
	memset(a300, 'a', 300);
	a300[300] = '\0';
	snprintf(yaml, sizeof(yaml),
	         "listeners:\n"
	         "  - {name: %s1, host: 127.0.0.1, port: 0, mode: redirect}\n"
	         "  - {name: %s2, host: 127.0.0.1, port: 0, mode: metrics}\n",
	         a300, a300);
	wd = world_new(yaml, false);
	wd->text = metrics_render(&wd->srv, wd->gen, &wd->len);
	assert_non_null(wd->text);
	assert_true(check_format(wd->text, wd->len));
	snprintf(want, sizeof(want), "tlserve_connections_accepted_total{listener=\"%s1\"} 0\n", a300);
	assert_non_null(strstr(wd->text, want));
	snprintf(want, sizeof(want), "tlserve_connections_accepted_total{listener=\"%s2\"} 0\n", a300);
	assert_non_null(strstr(wd->text, want));
	world_free(wd);
}

/* A name is not cut in the middle of a UTF-8 character (the exposition
 * must be valid UTF-8): 252 bytes of "a" then "é". */
static void
test_long_name_utf8(void **state)
{
	char utf[256], yaml[1024], want[1024];
	struct world *wd;

	(void)state;
	memset(utf, 'a', 252);
	memcpy(utf + 252, "\xc3\xa9", 3);
	snprintf(yaml, sizeof(yaml),
	         "listeners:\n  - {name: %s, host: 127.0.0.1, port: 0, mode: redirect}\n", utf);
	wd = world_new(yaml, false);
	wd->text = metrics_render(&wd->srv, wd->gen, &wd->len);
	assert_non_null(wd->text);
	assert_true(check_format(wd->text, wd->len));
	snprintf(want, sizeof(want), "tlserve_connections_accepted_total{listener=\"%s\"} 0\n", utf);
	assert_non_null(strstr(wd->text, want));
	world_free(wd);
}

/* A listener named by default (listener-N) and one worker only. */
static void
test_default_name_one_worker(void **state)
{
	const char *yaml = "listeners:\n  - {host: 127.0.0.1, port: 0, mode: redirect}\n";
	struct world *wd = world_new(yaml, false);

	(void)state;
	wd->srv.nworkers = 1;
	metrics_add(&M(wd, 0, 0)->accepted, 4);
	metrics_add(&M(wd, 1, 0)->accepted, 100);  /* not a worker of the server */
	render(wd);
	assert_int_equal(u64_of(wd, "tlserve_connections_accepted_total{listener=\"listener-0\"}"), 4);
	assert_int_equal(count_prefix(wd, "tlserve_tls_handshakes_total{"), 0);
	assert_int_equal(count_prefix(wd, "tlserve_echo_bytes_total{"), 0);
	world_free(wd);
}

/* Big counters print whole (no float notation). */
static void
test_big_values(void **state)
{
	struct world *wd = world_std(false);

	(void)state;
	metrics_add(&M(wd, 0, L_WEB)->accepted, UINT64_C(1) << 62);
	metrics_add(&M(wd, 1, L_WEB)->accepted, UINT64_C(1) << 62);
	metrics_add(&M(wd, 0, L_ECHO)->echo_bytes, UINT64_C(123456789012345));
	render(wd);
	assert_int_equal(u64_of(wd, "tlserve_connections_accepted_total{listener=\"web\"}"), UINT64_C(1) << 63);
	assert_int_equal(u64_of(wd, "tlserve_echo_bytes_total{listener=\"echo\"}"), UINT64_C(123456789012345));
	world_free(wd);
}

static int
group_setup(void **state)
{
	(void)state;
	snprintf(certdir, sizeof(certdir), "/tmp/test-metrics-XXXXXX");
	if (mkdtemp(certdir) == NULL)
		return -1;
	return make_odd_cert();
}

static int
group_teardown(void **state)
{
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/odd.crt", certdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/odd.key", certdir);
	unlink(path);
	rmdir(certdir);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_sums),
		cmocka_unit_test(test_active_not_negative),
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_histogram_edges),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_certificates),
		cmocka_unit_test(test_certificate_subject_once),
		cmocka_unit_test(test_no_tls_contexts),
		cmocka_unit_test(test_server_and_process),
		cmocka_unit_test(test_open_fds),
		cmocka_unit_test(test_checker_rejects),
		cmocka_unit_test(test_long_names),
		cmocka_unit_test(test_long_name_utf8),
		cmocka_unit_test(test_default_name_one_worker),
		cmocka_unit_test(test_big_values),
	};
	int rc;

	tls_init();
	rc = cmocka_run_group_tests_name("metrics", tests, group_setup, group_teardown);
	tls_fini();
	return rc;
}
