/* config: the YAML configuration as a typed, validated, immutable struct.
 * config_load_string is pure (no file I/O, no globals); config_load_file reads
 * the file and calls it. config_check_files does the file-system checks every
 * load needs (files readable, private keys not open to others, roots are
 * directories), config_check_startup what -t adds (user, log files, addresses);
 * certificate/key matching is done by tls_server_new. config_reload_diff says
 * what a reload cannot apply. This module never logs: errors and warnings go
 * to a struct config_errors (config_errors.h). */
#ifndef TLSERVE_CONFIG_H
#define TLSERVE_CONFIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlserve/config_errors.h"

enum config_log_level { CONFIG_LOG_ERROR, CONFIG_LOG_WARN, CONFIG_LOG_INFO, CONFIG_LOG_DEBUG };
enum config_access_format { CONFIG_ACCESS_COMMON, CONFIG_ACCESS_COMBINED, CONFIG_ACCESS_JSON };
enum config_mode { CONFIG_MODE_FILES, CONFIG_MODE_ECHO, CONFIG_MODE_REDIRECT, CONFIG_MODE_METRICS };
enum config_verify { CONFIG_VERIFY_OFF, CONFIG_VERIFY_OPTIONAL, CONFIG_VERIFY_REQUIRE };
enum config_proxy { CONFIG_PROXY_OFF, CONFIG_PROXY_V1, CONFIG_PROXY_V2, CONFIG_PROXY_ANY };
enum config_dotfiles { CONFIG_DOTFILES_DENY, CONFIG_DOTFILES_ALLOW };

/* Where a value stood in the file, for FILE:LINE:COLUMN messages (1-based; 0 = default). */
struct config_pos {
	int line, col;
};

struct config_sni {
	char **names;   /* exact names or "*.suffix" wildcards, lower-cased */
	size_t nnames;
	char *certificate, *key;           /* resolved paths */
	struct config_pos pos, certificate_pos, key_pos;
};

struct config_tls {
	char *certificate, *key;           /* resolved paths (relative to the config's directory) */
	int min_version;                   /* 12 or 13 */
	char *ciphers;                     /* NULL = built-in ECDHE+AEAD list */
	char *ciphersuites;                /* NULL = OpenSSL's */
	bool session_tickets;
	char *ticket_key_file;             /* NULL = none */
	char *client_ca;                   /* NULL = none */
	char *client_crl;                  /* NULL = none */
	enum config_verify verify_client;
	struct config_pos certificate_pos, key_pos, ticket_key_file_pos, client_ca_pos,
		client_crl_pos, verify_client_pos;
};

struct config_mime {
	char *ext;   /* lower-case, without the dot */
	char *type;  /* the full Content-Type value */
};

/* The most bytes a site's headers: take as HTTP/1.1 lines ("Name: value"
 * and CRLF each): a response head must fit its buffer beside them. */
#define CONFIG_SITE_HEADERS_MAX 8192

/* A response header a site adds (headers:). */
struct config_header {
	char *name;                        /* as written, for HTTP/1.1 */
	char *lname;                       /* lower-cased, for HTTP/2 */
	char *value;
};

/* A cache: rule: Cache-Control for the paths served that match. */
struct config_cache {
	char *match;
	char *control;
};

/* An error_pages: entry: the file sent with an error status. */
struct config_error_page {
	int status;                        /* 400..599 */
	char *path;                        /* under the site's root, starts with '/' */
};

/* A site: what a files listener serves for some Host names. A listener's
 * own keys make its default site (no names); each sites: entry starts as a
 * copy of it and replaces the keys it sets. */
struct config_site {
	char **names;                      /* exact or "*.suffix", lower-cased; none: default */
	size_t nnames;
	char *root;                        /* resolved path */
	char **index;                      /* default {"index.html"} */
	size_t nindex;
	bool listing;
	enum config_dotfiles dotfiles;
	struct config_header *headers;
	size_t nheaders;
	struct config_cache *cache;
	size_t ncache;
	struct config_error_page *error_pages;
	size_t nerror_pages;
	char *fallback;                    /* NULL = none; else under root, starts with '/' */
	char *certificate, *key;           /* resolved paths, or NULL: the listener's */
	struct config_pos pos, root_pos, certificate_pos, key_pos;
};

/* The acme: block: where certificates for the listeners' acme: names come
 * from (RFC 8555), and where they are kept. */
enum config_acme_challenge { CONFIG_ACME_TLS_ALPN_01, CONFIG_ACME_HTTP_01 };

struct config_acme {
	bool on;                           /* the block is present */
	char *directory;                   /* the CA's directory URL (https) */
	char *ca_file;                     /* NULL = the system's CA store */
	char *email;                       /* NULL = no contact */
	char *storage;                     /* resolved path; default /var/lib/tlserve/acme */
	enum config_acme_challenge challenge;
	uint64_t renew_before_ms;          /* 0 = 30 days, or a third of the lifetime if shorter */
	struct config_pos pos, directory_pos, ca_file_pos, storage_pos, challenge_pos;
};

struct config_listener {
	char *name;
	char *host;                        /* NULL = every local address */
	char *port;                        /* number or service name, as written; "0" = any */
	enum config_mode mode;
	struct config_site *sites;         /* files: [0] the default site, then sites: in order */
	size_t nsites;
	bool http2;                        /* files: offer h2 by ALPN (default true) */
	enum config_proxy proxy_protocol;
	struct config_tls tls;             /* the global tls: merged with this listener's, key by key */
	struct config_sni *sni;            /* sni: entries, then one per site with a certificate */
	size_t nsni;
	uint16_t to_port;                  /* redirect: 0 = the first files listener's port */
	char **acme;                       /* files: names whose certificate comes from ACME */
	size_t nacme;
	struct config_pos pos, host_pos, port_pos, acme_pos;
};

struct config_limits {
	uint32_t max_connections;          /* default 10000 */
	uint64_t handshake_timeout_ms;     /* default 10s */
	uint64_t header_timeout_ms;        /* default 10s */
	uint64_t idle_timeout_ms;          /* default 60s */
	uint64_t shutdown_timeout_ms;      /* default 30s */
	uint64_t min_send_rate;            /* bytes/s, 0 = off */
	uint64_t max_request_head;         /* default 16k */
	uint32_t max_headers;              /* default 100 */
};

struct config_log {
	enum config_log_level level;       /* default info */
	char *error;                       /* NULL = stderr, else resolved path */
	char *access;                      /* NULL = off, "-" = stdout, else resolved path */
	enum config_access_format access_format; /* default combined */
	struct config_pos error_pos, access_pos;
};

struct config {
	_Atomic int extra_refs;            /* owners besides the first (config_ref) */
	char *path;                        /* the file it came from (for messages) */
	uint32_t workers;                  /* 0 = auto (online CPUs) */
	char *user;                        /* NULL = do not switch */
	struct config_pos user_pos;
	struct config_log log;
	struct config_limits limits;
	struct config_mime *mime;          /* overrides of the built-in MIME table */
	size_t nmime;
	struct config_listener *listeners;
	size_t nlisteners;
	struct config_acme acme;
};

/* Redirect and metrics listeners speak plain HTTP: no certificate, no TLS. */
static inline bool
config_listener_plain(const struct config_listener *l)
{
	return l->mode == CONFIG_MODE_REDIRECT || l->mode == CONFIG_MODE_METRICS;
}

/* Parse a YAML document held in buf[0..len). filename names it in messages;
 * relative paths are resolved against basedir. On success returns 0 and sets
 * *out (free with config_free). On error returns -1, leaves *out untouched and
 * appends every error found to errs (caller frees with config_errors_free). */
int config_load_string(const char *buf, size_t len, const char *filename, const char *basedir,
                       struct config **out, struct config_errors *errs);

/* Read path and config_load_string it (basedir = dirname(path)). */
int config_load_file(const char *path, struct config **out, struct config_errors *errs);

/* Another owner: config_free then frees it only when the last one calls
 * it. (A generation rebuilt for new ACME certificates shares the parsed
 * file with the one it replaces.) */
void config_ref(struct config *);

/* File-system checks, made at every load (start, -t, reload): certificate,
 * key, CA, CRL and ticket files readable regular files, roots searchable
 * directories; private keys and ticket key files readable by group or others
 * are warned about, writable by others refused. Appends errors and warnings;
 * returns 0 when no error was found. */
int config_check_files(const struct config *, struct config_errors *errs);

/* What start-up needs beyond the files, checked by -t so that a file -t passes
 * does not then fail to start: the user exists, each log file can be opened
 * for append (without creating it), each listener's host and port resolve
 * (getaddrinfo, AI_PASSIVE; numeric forms never reach a resolver). Nothing is
 * created or bound. Appends errors; returns 0 when none were found. */
int config_check_startup(const struct config *, struct config_errors *errs);

/* Compare the configuration a reload would swap in (next) with the one the
 * process started with (boot): the sockets, threads, user, log files and
 * start-up sizes are boot's until a restart, so comparing with the previous
 * reload would forget a change still not applied. Appends an error for each
 * change that refuses the reload (the listeners' number, name, host, port or
 * mode) and a warning naming each change that waits for a restart. Returns 0
 * when next can be swapped in, -1 when the reload must be refused. */
int config_reload_diff(const struct config *boot, const struct config *next,
		       struct config_errors *out);

void config_free(struct config *);

#endif
