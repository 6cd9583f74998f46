/* config_check: what a configuration needs from the machine. config_check_files
 * runs at every load (the files it names); config_check_startup only for -t
 * (what start-up would otherwise fail on with exit 3). Reads metadata only:
 * nothing is created, opened for writing or bound. Never logs. */
#include "tlserve/config.h"
#include "tlserve/config_field.h"

#include <errno.h>
#include <libgen.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define CFG_MSG_MAX sizeof(((struct config_error *)0)->msg)

enum cfg_file_kind { CFG_FILE_PUBLIC, CFG_FILE_SECRET, CFG_FILE_TICKETS };

/* A private key or ticket key file open to others. Writable by others means
 * anyone can swap the server's identity: an error. Readable by group or
 * others leaks it: a warning (a group-readable key for a dedicated group is a
 * choice some make). Returns the severity, with the message in msg, or -1. */
static int
cfg_check_secret(const char *what, const char *q, const char *dflt, const struct stat *st,
		 char *msg)
{
	unsigned mode = (unsigned)st->st_mode & 07777;

	if (st->st_mode & S_IWOTH) {
		snprintf(msg, CFG_MSG_MAX, "%s%s \"%s\" is writable by others (mode %04o); chmod o-w",
			 dflt, what, q, mode);
		return CONFIG_SEV_ERROR;
	}
	if (st->st_mode & (S_IRGRP | S_IROTH | S_IWGRP)) {
		snprintf(msg, CFG_MSG_MAX,
			 "%s%s \"%s\" is %s by group or others (mode %04o); chmod 600 it", dflt,
			 what, q, st->st_mode & (S_IRGRP | S_IROTH) ? "readable" : "writable", mode);
		return CONFIG_SEV_WARNING;
	}
	return -1;
}

/* Check that path names a readable regular file; a secret also that it is not
 * open to others, a ticket key file also that it holds whole 80-byte keys.
 * Reports at pos; a default value has no position and is named as such, so
 * every listener inheriting it shares one report. Returns false after
 * reporting an error. */
static bool
cfg_check_file(struct config_errors *errs, struct config_errors_mark from, const char *what,
	       enum cfg_file_kind kind, const char *path, struct config_pos pos)
{
	char msg[CFG_MSG_MAX], q[96];
	const char *dflt = pos.line == 0 ? "default " : "";
	struct stat st;
	int sev = CONFIG_SEV_ERROR;

	if (path == NULL)
		return true;
	cfg_quote(q, sizeof(q), path, strlen(path));
	if (stat(path, &st) < 0)
		snprintf(msg, sizeof(msg), "%s%s \"%s\": %s", dflt, what, q, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		snprintf(msg, sizeof(msg), "%s%s \"%s\" is not a regular file", dflt, what, q);
	else if (access(path, R_OK) < 0)
		snprintf(msg, sizeof(msg), "%s%s \"%s\" is not readable: %s", dflt, what, q,
			 strerror(errno));
	else if (kind == CFG_FILE_TICKETS && (st.st_size == 0 || st.st_size % 80 != 0))
		snprintf(msg, sizeof(msg), "%s \"%s\" must hold whole 80-byte keys, not %lld bytes",
			 what, q, (long long)st.st_size);
	else if (kind == CFG_FILE_PUBLIC || (sev = cfg_check_secret(what, q, dflt, &st, msg)) < 0)
		return true;
	config_diag_once(errs, (enum config_severity)sev, from, pos.line, pos.col, msg);
	return sev != CONFIG_SEV_ERROR;
}

/* Check that a site's root is a searchable directory. Returns false
 * after reporting (a default root, like a default file, without a position). */
static bool
cfg_check_root(struct config_errors *errs, struct config_errors_mark from,
	       const struct config_site *s)
{
	char msg[CFG_MSG_MAX], q[96];
	const char *dflt = s->root_pos.line == 0 ? "default " : "";
	struct stat st;

	if (s->root == NULL)
		return true;
	cfg_quote(q, sizeof(q), s->root, strlen(s->root));
	if (stat(s->root, &st) < 0)
		snprintf(msg, sizeof(msg), "%sroot \"%s\": %s", dflt, q, strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		snprintf(msg, sizeof(msg), "%sroot \"%s\" is not a directory", dflt, q);
	else if (access(s->root, R_OK | X_OK) < 0)
		snprintf(msg, sizeof(msg), "%sroot \"%s\" is not readable: %s", dflt, q,
			 strerror(errno));
	else
		return true;
	config_diag_once(errs, CONFIG_SEV_ERROR, from, s->root_pos.line, s->root_pos.col, msg);
	return false;
}

/* An error page or fallback that is not (yet) a regular file under the
 * root: served as the built-in page meanwhile, so a warning. */
static void
cfg_check_page(struct config_errors *errs, struct config_errors_mark from,
	       const struct config_site *s, const char *what, const char *path)
{
	char msg[CFG_MSG_MAX], q[96], full[4096];
	struct stat st;
	int n = snprintf(full, sizeof(full), "%s%s", s->root, path);

	if (n < 0 || (size_t)n >= sizeof(full))
		return;
	if (path[strlen(path) - 1] == '/' || (stat(full, &st) == 0 && S_ISREG(st.st_mode)))
		return;
	cfg_quote(q, sizeof(q), full, strlen(full));
	snprintf(msg, sizeof(msg), "%s \"%s\" is not a file (yet): the built-in %s is sent", what, q,
		 strcmp(what, "fallback") == 0 ? "404" : "page");
	config_diag_once(errs, CONFIG_SEV_WARNING, from, s->pos.line, s->pos.col, msg);
}

static bool
cfg_check_site(struct config_errors *errs, struct config_errors_mark from,
	       const struct config_site *s)
{
	if (!cfg_check_root(errs, from, s))
		return false;
	for (size_t i = 0; i < s->nerror_pages; i++)
		cfg_check_page(errs, from, s, "error page", s->error_pages[i].path);
	if (s->fallback != NULL)
		cfg_check_page(errs, from, s, "fallback", s->fallback);
	return true;
}

/* The files of one listener's tls: and sni:. Returns false after reporting an error. */
static bool
cfg_check_listener(struct config_errors *errs, struct config_errors_mark from,
		   const struct config_listener *l)
{
	const struct config_tls *t = &l->tls;
	bool ok = true;

	for (size_t i = 0; i < l->nsites; i++)
		ok &= cfg_check_site(errs, from, &l->sites[i]);
	if (config_listener_plain(l))
		return ok;  /* plain HTTP: no certificate */
	ok &= cfg_check_file(errs, from, "certificate", CFG_FILE_PUBLIC, t->certificate,
			     t->certificate_pos);
	ok &= cfg_check_file(errs, from, "key", CFG_FILE_SECRET, t->key, t->key_pos);
	ok &= cfg_check_file(errs, from, "ticket_key_file", CFG_FILE_TICKETS, t->ticket_key_file,
			     t->ticket_key_file_pos);
	ok &= cfg_check_file(errs, from, "client_ca", CFG_FILE_PUBLIC, t->client_ca,
			     t->client_ca_pos);
	ok &= cfg_check_file(errs, from, "client_crl", CFG_FILE_PUBLIC, t->client_crl,
			     t->client_crl_pos);
	for (size_t i = 0; i < l->nsni; i++) {
		const struct config_sni *s = &l->sni[i];

		ok &= cfg_check_file(errs, from, "certificate", CFG_FILE_PUBLIC, s->certificate,
				     s->certificate_pos);
		ok &= cfg_check_file(errs, from, "key", CFG_FILE_SECRET, s->key, s->key_pos);
	}
	return ok;
}

int
config_check_files(const struct config *cfg, struct config_errors *errs)
{
	struct config_errors_mark from = config_errors_mark(errs);
	bool ok = true;

	for (size_t i = 0; i < cfg->nlisteners; i++)
		ok &= cfg_check_listener(errs, from, &cfg->listeners[i]);
	if (cfg->acme.on)
		ok &= cfg_check_file(errs, from, "ca_file", CFG_FILE_PUBLIC, cfg->acme.ca_file,
				     cfg->acme.ca_file_pos);
	config_errors_sort(errs, from);
	return ok ? 0 : -1;
}

/* ------------------------------------------------------------ start-up */

/* user: must name an account (start-up calls getpwnam after binding). */
static bool
cfg_check_user(const struct config *cfg, struct config_errors *errs)
{
	char q[96];

	if (cfg->user == NULL)
		return true;
	errno = 0;
	if (getpwnam(cfg->user) != NULL)
		return true;
	cfg_quote(q, sizeof(q), cfg->user, strlen(cfg->user));
	config_error_add(errs, cfg->user_pos.line, cfg->user_pos.col, "user \"%s\": %s", q,
			 errno != 0 ? strerror(errno) : "no such user");
	return false;
}

/* A log file start-up will open with O_WRONLY|O_APPEND|O_CREAT: an existing
 * one must be writable (and not a directory), else its directory must exist
 * and let us create it. Checked with access(2), so -t creates nothing. */
static bool
cfg_check_log(const char *what, const char *path, struct config_pos pos,
	      struct config_errors *errs)
{
	char q[96], *copy, *dir;
	const char *why = NULL;
	struct stat st;

	if (path == NULL || strcmp(path, "-") == 0)
		return true;
	cfg_quote(q, sizeof(q), path, strlen(path));
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			why = "is a directory";
		else if (access(path, W_OK) < 0)
			why = strerror(errno);
	} else if (errno != ENOENT) {
		why = strerror(errno);
	} else {
		copy = strdup(path);
		if (copy == NULL) {
			config_error_add(errs, pos.line, pos.col, "out of memory");
			return false;
		}
		dir = dirname(copy);
		if (stat(dir, &st) < 0)
			why = errno == ENOENT ? "its directory does not exist" : strerror(errno);
		else if (!S_ISDIR(st.st_mode))
			why = "its directory is not a directory";
		else if (access(dir, W_OK | X_OK) < 0)
			why = "cannot be created: its directory is not writable";
		free(copy);
	}
	if (why == NULL)
		return true;
	config_error_add(errs, pos.line, pos.col, "%s log \"%s\": %s", what, q, why);
	return false;
}

/* Whether a port is a number (then no service lookup is made). */
static bool
cfg_numeric(const char *s)
{
	return s[0] != '\0' && strspn(s, "0123456789") == strlen(s);
}

/* A listener's port (a service name: /etc/services via NSS) and host resolve as
 * start-up resolves them (listener_resolve: AI_PASSIVE, SOCK_STREAM). Numeric
 * forms are tried first with AI_NUMERICHOST/AI_NUMERICSERV, so they never
 * reach a resolver; a name is resolved once. Each failure is reported at its
 * own key. Nothing is bound. */
static bool
cfg_check_addr(const struct config_listener *l, struct config_errors *errs)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	char q[96];
	const char *port = l->port;
	bool ok = true;
	int r;

	if (port != NULL && !cfg_numeric(port)) {
		hints.ai_flags = AI_PASSIVE;
		r = getaddrinfo(NULL, port, &hints, &res);
		if (res != NULL)
			freeaddrinfo(res);
		res = NULL;
		if (r != 0) {
			cfg_quote(q, sizeof(q), port, strlen(port));
			config_error_add(errs, l->port_pos.line, l->port_pos.col,
					 "listener %s: port \"%s\": %s", l->name, q,
					 r == EAI_SERVICE || r == EAI_NONAME ? "unknown service name"
									     : gai_strerror(r));
			ok = false;
		}
		port = "0";  /* the host is checked alone */
		hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	}
	if (l->host == NULL)
		return ok;
	hints.ai_flags |= AI_NUMERICHOST;
	r = getaddrinfo(l->host, port ? port : "0", &hints, &res);
	if (r == EAI_NONAME) {
		hints.ai_flags &= ~AI_NUMERICHOST;
		r = getaddrinfo(l->host, port ? port : "0", &hints, &res);
	}
	if (res != NULL)
		freeaddrinfo(res);
	if (r == 0)
		return ok;
	cfg_quote(q, sizeof(q), l->host, strlen(l->host));
	config_error_add(errs, l->host_pos.line, l->host_pos.col, "listener %s: host \"%s\": %s",
			 l->name, q, r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
	return false;
}

/* acme.storage: a directory the server can write, or one it can create
 * (its parent exists and is writable). */
static bool
cfg_check_storage(const struct config_acme *a, struct config_errors *errs)
{
	char q[96], *copy, *dir;
	const char *why = NULL;
	struct stat st;

	cfg_quote(q, sizeof(q), a->storage, strlen(a->storage));
	if (stat(a->storage, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			why = "is not a directory";
		else if (access(a->storage, W_OK | X_OK) < 0)
			why = "is not writable";
	} else if (errno != ENOENT) {
		why = strerror(errno);
	} else {
		copy = strdup(a->storage);
		if (copy == NULL) {
			config_error_add(errs, a->storage_pos.line, a->storage_pos.col, "out of memory");
			return false;
		}
		dir = dirname(copy);
		if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
			why = "cannot be created: its parent directory does not exist";
		else if (access(dir, W_OK | X_OK) < 0)
			why = "cannot be created: its parent directory is not writable";
		free(copy);
	}
	if (why == NULL)
		return true;
	config_error_add(errs, a->storage_pos.line, a->storage_pos.col, "acme storage \"%s\" %s", q,
			 why);
	return false;
}

int
config_check_startup(const struct config *cfg, struct config_errors *errs)
{
	struct config_errors_mark from = config_errors_mark(errs);
	bool ok = true;

	ok &= cfg_check_user(cfg, errs);
	ok &= cfg_check_log("error", cfg->log.error, cfg->log.error_pos, errs);
	ok &= cfg_check_log("access", cfg->log.access, cfg->log.access_pos, errs);
	for (size_t i = 0; i < cfg->nlisteners; i++)
		ok &= cfg_check_addr(&cfg->listeners[i], errs);
	if (cfg->acme.on)
		ok &= cfg_check_storage(&cfg->acme, errs);
	config_errors_sort(errs, from);
	return ok ? 0 : -1;
}
