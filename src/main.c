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
#include <unistd.h>

#include "tlserve/config.h"
#include "tlserve/file.h"
#include "tlserve/listener.h"
#include "tlserve/log.h"
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
			printf("tlserve %s\n%s\n", TLSERVE_VERSION, tls_library_version());
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

static void
print_errors(const char *file, const struct config_errors *errs)
{
	for (size_t i = 0; i < errs->n; i++) {
		if (errs->v[i].line > 0)
			fprintf(stderr, "%s:%d:%d: %s\n", file, errs->v[i].line, errs->v[i].col,
			        errs->v[i].msg);
		else
			fprintf(stderr, "%s: %s\n", file, errs->v[i].msg);
	}
}

/* Build the sites of a configuration: TLS contexts (and key checks). */
static int
sites_build(const struct config *cfg, struct site **out, struct config_errors *errs)
{
	struct site *sites = calloc(cfg->nlisteners, sizeof(*sites));

	if (sites == NULL)
		return -1;
	for (size_t i = 0; i < cfg->nlisteners; i++) {
		const struct config_listener *l = &cfg->listeners[i];

		sites[i].cfg = l;
		sites[i].rootfd = -1;
		if (tls_server_new(l, l->mode == CONFIG_MODE_FILES, &sites[i].tls, errs) != 0)
			sites[i].tls = NULL;
	}
	*out = sites;
	return errs->n == 0 ? 0 : -1;
}

static void
sites_free(struct site *sites, size_t n)
{
	for (size_t i = 0; sites && i < n; i++) {
		tls_server_unref(sites[i].tls);
		if (sites[i].rootfd >= 0)
			close(sites[i].rootfd);
		free(sites[i].addrs);
	}
	free(sites);
}

/* -t: the configuration, its files and its certificates, nothing bound. */
static int
check_config(const char *file, const struct config *cfg, struct site *sites)
{
	char desc[4096], prefix[128];

	for (size_t i = 0; i < cfg->nlisteners; i++) {
		snprintf(prefix, sizeof(prefix), "%s: listener %s: ", file, cfg->listeners[i].name);
		tls_server_describe(sites[i].tls, prefix, desc, sizeof(desc));
		fputs(desc, stdout);
	}
	printf("%s: ok\n", file);
	return 0;
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
static int
sites_resolve(struct server *srv)
{
	char err[256];

	for (size_t i = 0; i < srv->nsites; i++) {
		struct site *s = &srv->sites[i];
		const struct config_listener *l = s->cfg;
		unsigned port = 0;

		if (listener_resolve(l->host, l->port, &s->addrs, &s->naddrs, err, sizeof(err)) != 0 ||
		    s->naddrs == 0) {
			log_msg(&srv->elog, CONFIG_LOG_ERROR, "listener %s: %s", l->name,
			        s->naddrs == 0 ? "no address to bind" : err);
			return -1;
		}
		for (size_t j = 0; j < s->naddrs; j++) {
			if (port != 0 && s->addrs[j].port == 0)
				listener_set_port(&s->addrs[j], port);
			if (listener_probe(&s->addrs[j], err, sizeof(err)) != 0) {
				log_msg(&srv->elog, CONFIG_LOG_ERROR, "listener %s: %s", l->name, err);
				return -1;
			}
			port = s->addrs[j].port;
		}
		if (l->mode == CONFIG_MODE_FILES) {
			s->rootfd = file_root_open(l->root, &s->use_openat2, err, sizeof(err));
			if (s->rootfd < 0) {
				log_msg(&srv->elog, CONFIG_LOG_ERROR, "listener %s: %s", l->name, err);
				return -1;
			}
		}
	}
	return 0;
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

/* Room for max_connections descriptors plus listeners and files in flight. */
static void
raise_nofile(const struct config *cfg, const struct server *srv)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)cfg->limits.max_connections * 2 + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
	/* a socket each is the floor; a file each while responses stream is the ideal */
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want / 2 + 64)
		log_msg(&srv->elog, CONFIG_LOG_WARN,
		        "open file limit %llu is below what max_connections %u needs (%llu)",
		        (unsigned long long)rl.rlim_cur, cfg->limits.max_connections,
		        (unsigned long long)want);
}

static void
log_listening(const struct server *srv, size_t nworkers)
{
	for (size_t i = 0; i < srv->nsites; i++) {
		const struct site *s = &srv->sites[i];

		for (size_t j = 0; j < s->naddrs; j++)
			log_msg(&srv->elog, CONFIG_LOG_INFO, "listening name=%s address=%s port=%u mode=%s",
			        s->cfg->name, s->addrs[j].text, s->addrs[j].port,
			        s->cfg->mode == CONFIG_MODE_ECHO ? "echo" : "files");
		if (s->cfg->mode == CONFIG_MODE_FILES)
			log_msg(&srv->elog, CONFIG_LOG_INFO, "%s: bodies sent with %s", s->cfg->name,
			        tls_server_ktls(s->tls) ? "kernel TLS sendfile" : "pread + SSL_write");
	}
	log_msg(&srv->elog, CONFIG_LOG_INFO, "tlserve %s started with %zu worker%s", TLSERVE_VERSION,
	        nworkers, nworkers == 1 ? "" : "s");
}

/* Wait for signals until asked to stop. */
static void
signal_loop(struct server *srv, const sigset_t *set, int access_fd)
{
	for (;;) {
		int sig;

		if (sigwait(set, &sig) != 0)
			continue;
		if (sig == SIGTERM || sig == SIGINT) {
			log_msg(&srv->elog, CONFIG_LOG_INFO, "%s: stopping (shutdown_timeout %llums)",
			        strsignal(sig), (unsigned long long)srv->cfg->limits.shutdown_timeout_ms);
			return;
		}
		if (sig == SIGUSR1)
			logs_reopen(srv->cfg, srv, access_fd);
		else if (sig == SIGHUP)
			log_msg(&srv->elog, CONFIG_LOG_WARN,
			        "SIGHUP: configuration reload is not supported by this build; "
			        "restart to apply changes");
	}
}

static size_t
worker_count(const struct config *cfg)
{
	long n = cfg->workers ? (long)cfg->workers : sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (size_t)n : 1;
}

/* Bind, start the workers, serve until a stop signal, then drain. */
static int
serve(struct server *srv, int access_fd)
{
	size_t n = worker_count(srv->cfg), started = 0, inited = 0;
	struct worker *workers = calloc(n, sizeof(*workers));
	char err[256];
	sigset_t set;
	int rc = EXIT_STARTUP;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (workers == NULL || sites_resolve(srv) != 0)
		goto out;
	raise_nofile(srv->cfg, srv);
	for (; inited < n; inited++) {
		if (worker_init(&workers[inited], (int)inited, srv, err, sizeof(err)) != 0) {
			log_msg(&srv->elog, CONFIG_LOG_ERROR, "%s", err);
			inited++;
			goto out;
		}
		workers[inited].alog->fd = access_fd;
		workers[inited].alog->format = srv->cfg->log.access_format;
	}
	if (drop_privileges(srv->cfg, srv) != 0)
		goto out;
	log_listening(srv, n);
	for (; started < n; started++)
		if (worker_start(&workers[started]) != 0)
			goto out;
	signal_loop(srv, &set, access_fd);
	rc = 0;
out:
	atomic_store(&srv->stopping, 1);
	for (size_t i = 0; i < started; i++)
		worker_wake(&workers[i]);
	for (size_t i = 0; i < started; i++)
		worker_join(&workers[i]);
	for (size_t i = 0; i < inited; i++)
		worker_fini(&workers[i]);
	free(workers);
	if (rc == 0)
		log_msg(&srv->elog, CONFIG_LOG_INFO, "stopped");
	return rc;
}

int
main(int argc, char **argv)
{
	struct config_errors errs = {0};
	struct config *cfg = NULL;
	struct server srv = {.elog = {.fd = STDERR_FILENO, .level = CONFIG_LOG_INFO}};
	struct options o;
	int rc = parse_options(argc, argv, &o), access_fd = -1;

	if (rc >= 0)
		return rc;
	tls_init();
	rc = EXIT_CONFIG;
	if (config_load_file(o.config, &cfg, &errs) != 0 || config_check_files(cfg, &errs) != 0 ||
	    sites_build(cfg, &srv.sites, &errs) != 0) {
		print_errors(o.config, &errs);
		goto out;
	}
	srv.cfg = cfg;
	srv.nsites = cfg->nlisteners;
	if (o.check) {
		rc = check_config(o.config, cfg, srv.sites);
		goto out;
	}
	if (logs_open(cfg, &srv, &access_fd) != 0) {
		rc = EXIT_STARTUP;
		goto out;
	}
	rc = serve(&srv, access_fd);
out:
	sites_free(srv.sites, cfg ? cfg->nlisteners : 0);
	if (access_fd > STDERR_FILENO)
		close(access_fd);
	if (srv.elog.fd > STDERR_FILENO)
		close(srv.elog.fd);
	config_free(cfg);
	config_errors_free(&errs);
	return rc;
}
