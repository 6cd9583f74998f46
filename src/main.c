/* main: command line, configuration check (-t), start-up (bind, drop
 * privileges, start workers) and the signal loop. Start-up errors may exit
 * here; once the workers run, main only waits for signals. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tlserve/acme.h"
#include "tlserve/alog.h"
#include "tlserve/challenge.h"
#include "tlserve/config.h"
#include "tlserve/file.h"
#include "tlserve/listener.h"
#include "tlserve/log.h"
#include "tlserve/site.h"
#include "tlserve/tls.h"
#include "tlserve/worker.h"

#define EXIT_CONFIG 1
#define EXIT_USAGE 2
#define EXIT_STARTUP 3
#define DEFAULT_CONFIG "/etc/tlserve/tlserve.yaml"

struct options {
	const char *config;
	bool check;
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: tlserve [-c FILE] [-t] [-V] [-h]\n"
	           "  -c FILE  configuration file (default " DEFAULT_CONFIG ")\n"
	           "  -t       check the configuration and exit\n"
	           "  -V       print the version and the OpenSSL version\n"
	           "  -h       print this help\n");
}

/* Returns -1 to go on, or an exit code. */
static int
parse_options(int argc, char **argv, struct options *o)
{
	int ch;

	o->config = DEFAULT_CONFIG;
	o->check = false;
	opterr = 0;
	while ((ch = getopt(argc, argv, ":c:tVh")) != -1) {
		switch (ch) {
		case 'c':
			o->config = optarg;
			break;
		case 't':
			o->check = true;
			break;
		case 'V':
			printf("tlserve %s\n%s (built with %s)\n", TLSERVE_VERSION, tls_library_version(),
			       tls_build_version());
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			fprintf(stderr, "tlserve: option -%c needs an argument\n", optopt);
			usage(stderr);
			return EXIT_USAGE;
		default:
			fprintf(stderr, "tlserve: unknown option -%c\n", optopt);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tlserve: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	return -1;
}

/* The same error found once per listener (a global tls: key shared by all)
 * is worth reading once. */
static bool
error_repeated(const struct config_errors *errs, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (errs->v[j].line == errs->v[i].line && errs->v[j].col == errs->v[i].col &&
		    strcmp(errs->v[j].msg, errs->v[i].msg) == 0)
			return true;
	return false;
}

/* Errors and warnings as FILE:LINE:COL: [warning: ]message, merged in file
 * order (position-less ones last, errors before warnings at one position). */
static void
print_errors(const char *file, const struct config_errors *errs)
{
	size_t i = 0, j = 0;

	while (i < errs->n || j < errs->nw) {
		const struct config_error *e = i < errs->n ? &errs->v[i] : NULL;
		const struct config_error *w = j < errs->nw ? &errs->w[j] : NULL;
		bool warn = e == NULL || (w != NULL && w->line != 0 &&
		                          (e->line == 0 || w->line < e->line ||
		                           (w->line == e->line && w->col < e->col)));
		const struct config_error *x = warn ? w : e;

		if (warn)
			j++;
		else if (error_repeated(errs, i++))
			continue;
		if (x->line > 0)
			fprintf(stderr, "%s:%d:%d: %s%s\n", file, x->line, x->col,
			        warn ? "warning: " : "", x->msg);
		else
			fprintf(stderr, "%s: %s%s\n", file, warn ? "warning: " : "", x->msg);
	}
}

/* The certificate ACME keeps for l's acme: names, when storage has a good
 * one, joins the listener's SNI certificates; and the listener answers
 * TLS-ALPN-01 validations from alpn01. A stored certificate that cannot be
 * loaded is a warning: the ACME thread orders another. */
static void
gen_add_acme(struct gen *g, struct endpoint *ep, struct tls_challenges *alpn01,
             struct config_errors *errs)
{
	const struct config_listener *l = ep->cfg;
	struct config_errors tlserrs = {0};
	struct acme_cert_info info;
	char crt[4096], key[4096], err[256];
	int r;

	if (l->nacme == 0 || !g->cfg->acme.on)
		return;
	if (alpn01 != NULL)
		tls_server_set_challenges(ep->tls, alpn01);
	r = acme_stored(g->cfg, l, &info, err, sizeof(err));
	if ((r != 1 && r != 2) || acme_paths(g->cfg, l, crt, key, sizeof(crt)) != 0)
		return;
	if (tls_server_add_names(ep->tls, l, l->acme, l->nacme, crt, key, &tlserrs) != 0)
		config_warning_add(errs, l->acme_pos.line, l->acme_pos.col,
		                   "listener \"%s\": the stored ACME certificate %s cannot be used%s%s",
		                   l->name, crt, tlserrs.n ? ": " : "", tlserrs.n ? tlserrs.v[0].msg : "");
	config_errors_free(&tlserrs);
}

/* Build a generation from a loaded configuration (cfg, handed over):
 * TLS contexts (keys checked against certificates), ACME's stored
 * certificates and, to serve, the root descriptors. prev (may be NULL)
 * hands its in-memory ticket keys on, so a reload does not void the
 * sessions clients hold. Returns the generation (one reference) or NULL
 * with errs filled. */
static struct gen *
gen_assemble(struct config *cfg, const struct gen *prev, bool open_roots,
             struct tls_challenges *alpn01, struct config_errors *errs)
{
	struct gen *g = calloc(1, sizeof(*g));

	if (g == NULL) {
		config_error_add(errs, 0, 0, "out of memory");
		config_free(cfg);
		return NULL;
	}
	atomic_init(&g->refs, 1);
	g->cfg = cfg;
	g->eps = calloc(g->cfg->nlisteners, sizeof(*g->eps));
	if (g->eps == NULL) {
		config_error_add(errs, 0, 0, "out of memory");
		goto fail;
	}
	g->neps = g->cfg->nlisteners;
	for (size_t i = 0; i < g->neps; i++) {
		const struct config_listener *l = &g->cfg->listeners[i];
		struct endpoint *ep = &g->eps[i];

		ep->gen = g;
		ep->cfg = l;
		ep->index = i;
		if (config_listener_plain(l))
			continue;  /* plain HTTP */
		if (tls_server_new(l,
		                   l->mode != CONFIG_MODE_FILES ? TLS_ALPN_NONE
		                   : l->http2                   ? TLS_ALPN_H2
		                                                : TLS_ALPN_HTTP1,
		                   &ep->tls, errs) != 0)
			continue;
		if (prev && i < prev->neps && strcmp(prev->eps[i].cfg->name, l->name) == 0 &&
		    prev->eps[i].tls != NULL)
			tls_server_inherit_tickets(ep->tls, prev->eps[i].tls);
		gen_add_acme(g, ep, alpn01, errs);
		site_open_all(ep, open_roots, errs);
	}
	if (errs->n == 0)
		return g;
fail:
	gen_unref(g);
	return NULL;
}

/* Build a generation from the file at path: the configuration, its file
 * checks, then gen_assemble. */
static struct gen *
gen_build(const char *path, const struct gen *prev, bool open_roots,
          struct tls_challenges *alpn01, struct config_errors *errs)
{
	struct config *cfg = NULL;

	if (config_load_file(path, &cfg, errs) != 0)
		return NULL;
	if (config_check_files(cfg, errs) != 0) {
		config_free(cfg);
		return NULL;
	}
	return gen_assemble(cfg, prev, open_roots, alpn01, errs);
}

/* Certificates that expire within 14 days are worth a warning at start and
 * at every reload; -t prints them all. */
/* -t: what each site serves, and where a redirect listener sends. */
static void
gen_describe_sites(const struct gen *g, const struct endpoint *ep, const char *file, FILE *out)
{
	const struct config_listener *l = ep->cfg;

	if (l->mode == CONFIG_MODE_METRICS) {
		fprintf(out, "%s: listener %s: metrics at /metrics\n", file, l->name);
		return;
	}
	if (l->mode == CONFIG_MODE_REDIRECT) {
		const struct config_listener *f = NULL;
		const char *first = NULL;
		unsigned port = l->to_port;

		for (size_t i = 0; i < g->cfg->nlisteners && f == NULL; i++) {
			if (g->cfg->listeners[i].mode == CONFIG_MODE_FILES)
				f = &g->cfg->listeners[i];
		}
		if (port == 0 && f != NULL && strspn(f->port, "0123456789") == strlen(f->port))
			port = (unsigned)atoi(f->port);
		first = f ? f->name : NULL;
		if (port != 0)
			fprintf(out, "%s: listener %s: redirect to https port %u\n", file, l->name, port);
		else if (first != NULL)
			fprintf(out, "%s: listener %s: redirect to https on the port of listener %s\n",
			        file, l->name, first);
		else
			fprintf(out, "%s: listener %s: redirect to https port 443\n", file, l->name);
		return;
	}
	for (size_t i = 0; i < l->nsites; i++) {
		const struct config_site *s = &l->sites[i];

		fprintf(out, "%s: listener %s: site ", file, l->name);
		if (s->nnames == 0)
			fputs("default", out);
		for (size_t j = 0; j < s->nnames; j++)
			fprintf(out, "%s%s", j ? ", " : "", s->names[j]);
		fprintf(out, ": root %s", s->root);
		if (s->certificate != NULL)
			fprintf(out, ", certificate %s", s->certificate);
		fputc('\n', out);
	}
}

/* Certificates that expire within 14 days are worth a warning at start and
 * at every reload; -t prints them all, and the sites. */
static void
gen_describe(const struct gen *g, const char *file, FILE *out, const struct log_error *elog)
{
	char desc[4096], prefix[160];

	for (size_t i = 0; i < g->neps; i++) {
		long days;

		if (g->eps[i].tls == NULL)
			continue;
		snprintf(prefix, sizeof(prefix), "%s: listener %s: ", file, g->eps[i].cfg->name);
		days = tls_server_describe(g->eps[i].tls, prefix, desc, sizeof(desc));
		if (out)
			fputs(desc, out);
		if (days < 14 && elog)
			log_msg(elog, CONFIG_LOG_WARN, "listener %s: a certificate expires in %ld days%s",
			        g->eps[i].cfg->name, days, days < 0 ? " (already expired)" : "");
	}
	for (size_t i = 0; i < g->neps && out != NULL; i++)
		gen_describe_sites(g, &g->eps[i], file, out);
	if (out != NULL)
		acme_describe(g->cfg, file, out);
}

static int
open_log_file(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

/* Error and access log descriptors. Returns 0 or -1 (message printed). */
static int
logs_open(const struct config *cfg, struct server *srv, int *access_fd)
{
	srv->elog.level = cfg->log.level;
	srv->elog.fd = STDERR_FILENO;
	if (cfg->log.error && (srv->elog.fd = open_log_file(cfg->log.error)) < 0) {
		fprintf(stderr, "tlserve: cannot open error log %s: %s\n", cfg->log.error,
		        strerror(errno));
		return -1;
	}
	*access_fd = -1;
	if (cfg->log.access == NULL)
		return 0;
	if (strcmp(cfg->log.access, "-") == 0) {
		*access_fd = STDOUT_FILENO;
		return 0;
	}
	if ((*access_fd = open_log_file(cfg->log.access)) < 0) {
		fprintf(stderr, "tlserve: cannot open access log %s: %s\n", cfg->log.access,
		        strerror(errno));
		return -1;
	}
	return 0;
}

/* SIGUSR1: reopen the log files in place (dup2 onto the same descriptor
 * numbers), so workers never see a descriptor change. */
static void
logs_reopen(const struct config *cfg, const struct server *srv, int access_fd)
{
	const char *paths[2] = {cfg->log.error, cfg->log.access};
	int fds[2] = {srv->elog.fd, access_fd};

	for (int i = 0; i < 2; i++) {
		int fd;

		if (paths[i] == NULL || strcmp(paths[i], "-") == 0 || fds[i] < 0)
			continue;
		fd = open_log_file(paths[i]);
		if (fd < 0 || dup3(fd, fds[i], O_CLOEXEC) < 0)
			log_msg(&srv->elog, CONFIG_LOG_ERROR, "cannot reopen %s: %s", paths[i],
			        strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	log_msg(&srv->elog, CONFIG_LOG_INFO, "log files reopened");
}

/* Resolve every listener's addresses and claim their ports (port 0 takes a
 * free one, shared by all of that listener's addresses). */
/* The probe sockets held while ports are chosen (listeners times addresses;
 * past this many, the earlier ones are let go). */
#define ADDRS_HELD_MAX 512

static int
addrs_release(int *held, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		close(held[i]);
	*n = 0;
	return 0;
}

static int
addrs_resolve(struct server *srv, const struct config *cfg)
{
	int held[ADDRS_HELD_MAX];
	size_t nheld = 0;
	char err[256];

	srv->nlisteners = cfg->nlisteners;
	srv->addrs = calloc(cfg->nlisteners, sizeof(*srv->addrs));
	srv->naddrs = calloc(cfg->nlisteners, sizeof(*srv->naddrs));
	if (srv->addrs == NULL || srv->naddrs == NULL)
		return -1;
	for (size_t i = 0; i < cfg->nlisteners; i++) {
		const struct config_listener *l = &cfg->listeners[i];
		unsigned port = 0;

		if (listener_resolve(l->host, l->port, &srv->addrs[i], &srv->naddrs[i], err,
		                     sizeof(err)) != 0 ||
		    srv->naddrs[i] == 0) {
			log_msg(&srv->elog, CONFIG_LOG_ERROR, "listener %s: %s", l->name,
			        srv->addrs[i] ? "no address to bind" : err);
			addrs_release(held, &nheld);
			return -1;
		}
		for (size_t j = 0; j < srv->naddrs[i]; j++) {
			if (port != 0 && srv->addrs[i][j].port == 0)
				listener_set_port(&srv->addrs[i][j], port);
			if (nheld == ADDRS_HELD_MAX && addrs_release(held, &nheld) != 0)
				return -1;
			if (listener_probe(&srv->addrs[i][j], &held[nheld], err, sizeof(err)) != 0) {
				log_msg(&srv->elog, CONFIG_LOG_ERROR, "listener %s: %s", l->name, err);
				addrs_release(held, &nheld);
				return -1;
			}
			nheld++;
			port = srv->addrs[i][j].port;
		}
	}
	addrs_release(held, &nheld);
	return 0;
}

static void
addrs_free(struct server *srv)
{
	for (size_t i = 0; srv->addrs && i < srv->nlisteners; i++)
		free(srv->addrs[i]);
	free(srv->addrs);
	free(srv->naddrs);
}

/* user: switch to that user and its groups once the sockets are bound and
 * the keys read. */
static int
drop_privileges(const struct config *cfg, const struct server *srv)
{
	struct passwd *pw;

	if (cfg->user == NULL)
		return 0;
	if (geteuid() != 0) {
		log_msg(&srv->elog, CONFIG_LOG_WARN, "user %s: not running as root, not switching",
		        cfg->user);
		return 0;
	}
	pw = getpwnam(cfg->user);
	if (pw == NULL) {
		log_msg(&srv->elog, CONFIG_LOG_ERROR, "user %s: no such user", cfg->user);
		return -1;
	}
	/* ACME's storage is written by the user the server becomes */
	if (cfg->acme.on && mkdir(cfg->acme.storage, 0700) == 0 &&
	    chown(cfg->acme.storage, pw->pw_uid, pw->pw_gid) != 0)
		log_msg(&srv->elog, CONFIG_LOG_WARN, "acme storage %s: cannot give it to user %s: %s",
		        cfg->acme.storage, cfg->user, strerror(errno));
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0) {
		log_msg(&srv->elog, CONFIG_LOG_ERROR, "cannot switch to user %s: %s", cfg->user,
		        strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		log_msg(&srv->elog, CONFIG_LOG_ERROR, "user %s: privileges could not be dropped",
		        cfg->user);
		return -1;
	}
	log_msg(&srv->elog, CONFIG_LOG_INFO, "running as user %s", cfg->user);
	return 0;
}

/* Room for max_connections descriptors plus listeners and files in flight:
 * raise the soft limit towards twice max_connections; below one descriptor
 * per connection the limit could not be kept, which is a start-up error. */
static int
raise_nofile(const struct config *cfg, const struct server *srv)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)cfg->limits.max_connections * 2 + 64;
	rlim_t floor = (rlim_t)cfg->limits.max_connections + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return 0;
	rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < floor) {
		log_msg(&srv->elog, CONFIG_LOG_ERROR,
		        "open file limit %llu is below what max_connections %u needs (%llu): raise "
		        "the hard limit (ulimit -Hn, LimitNOFILE=) or lower max_connections",
		        (unsigned long long)rl.rlim_cur, cfg->limits.max_connections,
		        (unsigned long long)floor);
		return -1;
	}
	return 0;
}

static void
log_listening(const struct server *srv, const struct gen *g, size_t nworkers)
{
	for (size_t i = 0; i < srv->nlisteners; i++) {
		const struct endpoint *s = &g->eps[i];
		static const char *const modes[] = {"files", "echo", "redirect", "metrics"};

		for (size_t j = 0; j < srv->naddrs[i]; j++)
			log_msg(&srv->elog, CONFIG_LOG_INFO, "listening name=%s address=%s port=%u mode=%s",
			        s->cfg->name, srv->addrs[i][j].text, srv->addrs[i][j].port,
			        modes[s->cfg->mode]);
		if (s->cfg->mode == CONFIG_MODE_FILES) {
			char why[128];

			log_msg(&srv->elog, CONFIG_LOG_INFO, "%s: bodies sent with %s", s->cfg->name,
			        tls_server_ktls(s->tls)    ? "kernel TLS sendfile"
			        : tls_server_seals(s->tls) ? "pread + TLS 1.3 records sealed by tlserve"
			                                   : "pread + SSL_write");
			/* a sandbox (seccomp, systemd's RestrictSUIDSGID=) may refuse
			 * openat2: say which way files are opened beneath root */
			log_msg(&srv->elog, CONFIG_LOG_INFO, "%s: paths resolved beneath root with %s",
			        s->cfg->name, file_root_mode(&s->sites[0], why, sizeof(why)));
		}
	}
	log_msg(&srv->elog, CONFIG_LOG_INFO, "tlserve %s started with %zu worker%s", TLSERVE_VERSION,
	        nworkers, nworkers == 1 ? "" : "s");
}

/* What a reload cannot change without a restart is what start-up set up:
 * the sockets, the threads, the buffers sized at start-up, the user and the
 * log files. Compared with the boot configuration, not the previous reload,
 * so a change still not applied is warned about at every reload. Logs the
 * warnings of the new build (built, then freed here) and of the comparison.
 * Returns 0 when next can be swapped in. */
static int
reload_compatible(const struct server *srv, const char *path, struct config_errors *built,
                  const struct config *next)
{
	struct config_errors diff = {0};
	int rc;

	for (size_t i = 0; i < built->nw; i++)
		if (built->w[i].line > 0)
			log_msg(&srv->elog, CONFIG_LOG_WARN, "%s:%d:%d: %s", path, built->w[i].line,
			        built->w[i].col, built->w[i].msg);
		else
			log_msg(&srv->elog, CONFIG_LOG_WARN, "%s: %s", path, built->w[i].msg);
	config_errors_free(built);
	rc = config_reload_diff(srv->boot->cfg, next, &diff);
	for (size_t i = 0; i < diff.n; i++)
		log_msg(&srv->elog, CONFIG_LOG_ERROR, "%s", diff.v[i].msg);
	for (size_t i = 0; i < diff.nw; i++)
		log_msg(&srv->elog, CONFIG_LOG_WARN, "%s", diff.w[i].msg);
	config_errors_free(&diff);
	return rc;
}

/* SIGHUP: build a new generation off to the side; swap it in only when all
 * of it is good, else keep serving with the old one. */
static void
reload(struct server *srv, const char *path)
{
	struct config_errors errs = {0};
	struct gen *old = atomic_load(&srv->gen);
	struct gen *g = gen_build(path, old, true, srv->alpn01, &errs);

	if (g == NULL) {
		for (size_t i = 0; i < errs.n; i++)
			if (!error_repeated(&errs, i) && errs.v[i].line > 0)
				log_msg(&srv->elog, CONFIG_LOG_ERROR, "%s:%d:%d: %s", path,
				        errs.v[i].line, errs.v[i].col, errs.v[i].msg);
			else if (!error_repeated(&errs, i))
				log_msg(&srv->elog, CONFIG_LOG_ERROR, "%s: %s", path, errs.v[i].msg);
		log_msg(&srv->elog, CONFIG_LOG_ERROR,
		        "reload failed: still serving the previous configuration");
		config_errors_free(&errs);
		metrics_add(&srv->m.reloads_failed, 1);
		return;
	}
	if (reload_compatible(srv, path, &errs, g->cfg) != 0) {
		log_msg(&srv->elog, CONFIG_LOG_ERROR,
		        "reload refused: still serving the previous configuration");
		gen_unref(g);
		metrics_add(&srv->m.reloads_failed, 1);
		return;
	}
	gen_describe(g, path, NULL, &srv->elog);
	server_publish_gen(srv, g);
	metrics_add(&srv->m.reloads_ok, 1);
	atomic_store_explicit(&srv->m.last_reload_ok, (int64_t)time(NULL), memory_order_relaxed);
	log_msg(&srv->elog, CONFIG_LOG_INFO, "configuration reloaded from %s", path);
	if (srv->acme != NULL)
		acme_configure(srv->acme, g);  /* new names are ordered, all are checked */
}

/* The ACME thread stored a certificate: a generation from the current
 * configuration (not the file, which may hold edits not meant to apply
 * yet) with what storage holds now, swapped in as a reload swaps. */
static void
acme_install(struct server *srv)
{
	struct config_errors errs = {0};
	struct gen *cur = atomic_load(&srv->gen), *g;

	config_ref(cur->cfg);
	g = gen_assemble(cur->cfg, cur, true, srv->alpn01, &errs);
	if (g == NULL) {
		for (size_t i = 0; i < errs.n; i++)
			if (!error_repeated(&errs, i))
				log_msg(&srv->elog, CONFIG_LOG_ERROR, "acme: %s", errs.v[i].msg);
	} else {
		for (size_t i = 0; i < errs.nw; i++)
			log_msg(&srv->elog, CONFIG_LOG_WARN, "acme: %s", errs.w[i].msg);
		server_publish_gen(srv, g);
	}
	config_errors_free(&errs);
	if (srv->acme != NULL)
		acme_rebuilt(srv->acme, g != NULL);
}

/* On the ACME thread: ask main (its signal loop) for acme_install. */
static void
acme_ask_install(void *arg)
{
	(void)arg;
	kill(getpid(), SIGUSR2);
}

/* Ticket keys made in memory are replaced on a schedule. */
static void
rotate_tickets(struct server *srv)
{
	struct gen *g = atomic_load(&srv->gen);

	for (size_t i = 0; i < g->neps; i++)
		if (g->eps[i].tls != NULL)
			tls_server_rotate_tickets(g->eps[i].tls);
}

/* Wait for signals until asked to stop. */
static void
signal_loop(struct server *srv, struct worker *workers, size_t n, const sigset_t *set,
            const char *path, int access_fd)
{
	for (;;) {
		struct timespec tick = {.tv_sec = 60};
		int sig = sigtimedwait(set, NULL, &tick);

		rotate_tickets(srv);  /* each key's age is checked; signals cannot starve it */
		if (sig < 0)
			continue;
		if (sig == SIGTERM || sig == SIGINT) {
			log_msg(&srv->elog, CONFIG_LOG_INFO, "%s: stopping (shutdown_timeout %llums)",
			        strsignal(sig),
			        (unsigned long long)atomic_load(&srv->gen)->cfg->limits.shutdown_timeout_ms);
			return;
		}
		if (sig == SIGUSR1) {
			logs_reopen(srv->boot->cfg, srv, access_fd);
		} else if (sig == SIGHUP || sig == SIGUSR2) {
			if (sig == SIGHUP)
				reload(srv, path);
			else
				acme_install(srv);
			for (size_t i = 0; i < n; i++)
				worker_wake(&workers[i]);  /* so idle workers switch at once */
		}
	}
}

static size_t
worker_count(const struct config *cfg)
{
	long n = cfg->workers ? (long)cfg->workers : sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (size_t)n : 1;
}

/* The signals main waits for are blocked from the start, before the
 * configuration is read: one that arrives during start-up (a SIGHUP from a
 * deploy script, a SIGTERM from a quick stop) waits for the signal loop
 * instead of killing the process with the default action. Threads started
 * later inherit the mask, so only sigtimedwait in main takes them. */
static void
block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGUSR2);  /* the ACME thread's "a certificate is stored" */
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Bind, start the workers, serve until a stop signal, then drain. */
static int
serve(struct server *srv, const char *path, int access_fd, const sigset_t *set)
{
	const struct config *cfg = atomic_load(&srv->gen)->cfg;
	size_t n = worker_count(cfg), started = 0, inited = 0;
	struct worker *workers = calloc(n, sizeof(*workers));
	struct alog alog = {0};
	char err[256];
	int rc = EXIT_STARTUP;

	if (workers == NULL || addrs_resolve(srv, cfg) != 0)
		goto out;
	srv->workers = workers;  /* a scrape reads every worker's counters */
	srv->nworkers = n;
	srv->m.start_time = (int64_t)time(NULL);
	atomic_store(&srv->m.last_reload_ok, srv->m.start_time);
	if (raise_nofile(cfg, srv) != 0)
		goto out;
	for (; inited < n; inited++) {
		if (worker_init(&workers[inited], (int)inited, srv, err, sizeof(err)) != 0) {
			log_msg(&srv->elog, CONFIG_LOG_ERROR, "%s", err);
			inited++;
			goto out;
		}
		alog_add(&alog, workers[inited].alog, access_fd, cfg->log.access_format);
	}
	if (drop_privileges(cfg, srv) != 0)
		goto out;
	log_listening(srv, atomic_load(&srv->gen), n);
	gen_describe(atomic_load(&srv->gen), path, NULL, &srv->elog);
	if (alog_start(&alog, &srv->elog) != 0) {
		log_msg(&srv->elog, CONFIG_LOG_ERROR, "access log writer: %s", strerror(errno));
		goto out;
	}
	for (; started < n; started++)
		if (worker_start(&workers[started]) != 0)
			goto out;
	srv->acme = acme_new(&srv->elog, srv->http01, srv->alpn01, acme_ask_install, NULL);
	if (srv->acme == NULL)
		goto out;
	acme_configure(srv->acme, atomic_load(&srv->gen));
	signal_loop(srv, workers, n, set, path, access_fd);
	rc = 0;
out:
	acme_free(srv->acme);  /* before the workers: a rebuild it waits for will not come */
	srv->acme = NULL;
	atomic_store(&srv->stopping, 1);
	for (size_t i = 0; i < started; i++)
		worker_wake(&workers[i]);
	for (size_t i = 0; i < started; i++)
		worker_join(&workers[i]);
	alog_stop(&alog, atomic_load(&srv->gen)->cfg->limits.shutdown_timeout_ms);
	for (size_t i = 0; i < inited; i++)
		worker_fini(&workers[i]);
	free(workers);
	srv->workers = NULL;
	srv->nworkers = 0;
	addrs_free(srv);
	if (rc == 0)
		log_msg(&srv->elog, CONFIG_LOG_INFO, "stopped");
	return rc;
}

int
main(int argc, char **argv)
{
	struct config_errors errs = {0};
	struct server srv = {.elog = {.fd = STDERR_FILENO, .level = CONFIG_LOG_INFO}};
	struct gen *g;
	struct options o;
	sigset_t sigs;
	int rc = parse_options(argc, argv, &o), access_fd = -1;

	if (rc >= 0)
		return rc;
	if (!o.check)
		block_signals(&sigs);
	tls_init();
	if (!o.check && (acme_global_init() != 0 || (srv.http01 = challenges_new()) == NULL ||
	                 (srv.alpn01 = tls_challenges_new()) == NULL)) {
		fprintf(stderr, "tlserve: out of memory\n");
		rc = EXIT_STARTUP;
		goto out;
	}
	g = gen_build(o.config, NULL, !o.check, srv.alpn01, &errs);
	if (g == NULL) {
		print_errors(o.config, &errs);
		config_errors_free(&errs);
		rc = EXIT_CONFIG;
		goto out;
	}
	if (o.check) {
		/* what start-up would otherwise fail on with EXIT_STARTUP */
		rc = config_check_startup(g->cfg, &errs) == 0 ? 0 : EXIT_CONFIG;
		print_errors(o.config, &errs);
		config_errors_free(&errs);
		if (rc == 0) {
			gen_describe(g, o.config, stdout, NULL);
			printf("%s: ok\n", o.config);
		}
		gen_unref(g);
		tls_fini();
		return rc;
	}
	atomic_init(&srv.gen, g);
	pthread_mutex_init(&srv.gen_lock, NULL);
	/* the log files are the start-up configuration's until a restart */
	gen_ref(g);
	srv.boot = g;
	rc = logs_open(g->cfg, &srv, &access_fd) == 0 ? 0 : EXIT_STARTUP;
	/* what the build found worth a word (a key readable by others, say) */
	for (size_t i = 0; rc == 0 && i < errs.nw; i++)
		if (errs.w[i].line > 0)
			log_msg(&srv.elog, CONFIG_LOG_WARN, "%s:%d:%d: %s", o.config, errs.w[i].line,
			        errs.w[i].col, errs.w[i].msg);
		else
			log_msg(&srv.elog, CONFIG_LOG_WARN, "%s: %s", o.config, errs.w[i].msg);
	config_errors_free(&errs);
	if (rc == 0)
		rc = serve(&srv, o.config, access_fd, &sigs);
	gen_unref(atomic_load(&srv.gen));
	gen_unref(srv.boot);
	if (access_fd > STDERR_FILENO)
		close(access_fd);
	if (srv.elog.fd > STDERR_FILENO)
		close(srv.elog.fd);
	pthread_mutex_destroy(&srv.gen_lock);
out:
	challenges_free(srv.http01);
	tls_challenges_free(srv.alpn01);
	if (!o.check)
		acme_global_fini();
	tls_fini();
	return rc;
}
