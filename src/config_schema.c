/* config_schema: the keys of the configuration file (see config_schema.h).
 * To add a key: a member in config.h, a row in the table of its mapping (with
 * its reload rule), its default in cfg_schema_defaults, and a free in
 * config_free when it owns memory. */
#include "tlserve/config_schema.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tlserve/util.h"

#define CFG_DAY_MS (UINT64_C(24) * 60 * 60 * 1000)

/* Enumerations are stored through memcpy from an int (cfg_set_enum). */
_Static_assert(sizeof(enum config_log_level) == sizeof(int), "enum size");
_Static_assert(sizeof(enum config_access_format) == sizeof(int), "enum size");
_Static_assert(sizeof(enum config_mode) == sizeof(int), "enum size");
_Static_assert(sizeof(enum config_verify) == sizeof(int), "enum size");
_Static_assert(sizeof(enum config_proxy) == sizeof(int), "enum size");
_Static_assert(sizeof(enum config_dotfiles) == sizeof(int), "enum size");

/* ------------------------------------------------------------------ tls: */

void
cfg_tls_free(struct config_tls *t)
{
	free(t->certificate);
	free(t->key);
	free(t->ciphers);
	free(t->ciphersuites);
	free(t->ticket_key_file);
	free(t->client_ca);
	free(t->client_crl);
}

/* Deep-copy src into dst, so a listener can override keys one by one. */
static void
cfg_tls_copy(struct cfg_ctx *c, struct config_tls *dst, const struct config_tls *src)
{
	*dst = *src;
	dst->certificate = cfg_strdup_opt(c, src->certificate);
	dst->key = cfg_strdup_opt(c, src->key);
	dst->ciphers = cfg_strdup_opt(c, src->ciphers);
	dst->ciphersuites = cfg_strdup_opt(c, src->ciphersuites);
	dst->ticket_key_file = cfg_strdup_opt(c, src->ticket_key_file);
	dst->client_ca = cfg_strdup_opt(c, src->client_ca);
	dst->client_crl = cfg_strdup_opt(c, src->client_crl);
}

/* min_version: "1.2" or "1.3" (a YAML float reads the same). */
static void
cfg_min_version(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base)
{
	struct config_tls *t = base;
	char q[64];

	if (cfg_scalar(c, node, f->name, "\"1.2\" or \"1.3\"", false) <= 0)
		return;
	if (cfg_eq(c, node, "1.2"))
		t->min_version = 12;
	else if (cfg_eq(c, node, "1.3"))
		t->min_version = 13;
	else if (cfg_eq(c, node, "1.0") || cfg_eq(c, node, "1.1") || cfg_eq(c, node, "1"))
		cfg_err(c, node,
			"\"%s%s\": TLS 1.0 and 1.1 are never offered; use \"1.2\" or \"1.3\"",
			c->prefix, f->name);
	else
		cfg_err(c, node, "\"%s%s\" must be \"1.2\" or \"1.3\", not \"%s\"", c->prefix,
			f->name, cfg_qnode(c, node, q, sizeof(q)));
}

static const char *const cfg_verify_names[] = { "off", "optional", "require", NULL };

#define CFG_TLS(m) offsetof(struct config_tls, m)
#define CFG_TLS_PATH(n, nullok) { .name = #n, .type = CFG_T_PATH, .off = CFG_TLS(n), \
		.has_pos = true, .pos_off = CFG_TLS(n##_pos), .nullable = nullok }
static const struct cfg_field cfg_tls_fields[] = {
	CFG_TLS_PATH(certificate, false),
	CFG_TLS_PATH(key, false),
	{ .name = "min_version", .type = CFG_T_FN, .fn = cfg_min_version },
	{ .name = "ciphers", .type = CFG_T_STR, .off = CFG_TLS(ciphers), .nullable = true },
	{ .name = "ciphersuites",
	  .type = CFG_T_STR,
	  .off = CFG_TLS(ciphersuites),
	  .nullable = true },
	{ .name = "session_tickets", .type = CFG_T_BOOL, .off = CFG_TLS(session_tickets) },
	CFG_TLS_PATH(ticket_key_file, true),
	CFG_TLS_PATH(client_ca, true),
	CFG_TLS_PATH(client_crl, true),
	{ .name = "verify_client",
	  .type = CFG_T_ENUM,
	  .off = CFG_TLS(verify_client),
	  .has_pos = true,
	  .pos_off = CFG_TLS(verify_client_pos),
	  .off_alias = true,
	  .names = cfg_verify_names },
};

/* Read a tls: mapping over t (which holds the defaults or the inherited values). */
static void
cfg_tls_read(struct cfg_ctx *c, size_t node, struct config_tls *t)
{
	size_t old = cfg_push(c, "tls.");

	cfg_map(c, node, cfg_tls_fields, CFG_NELEM(cfg_tls_fields), t);
	cfg_pop(c, old);
}

/* The top-level tls: block (base is the struct config). */
static void
cfg_top_tls(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base)
{
	(void)f;
	(void)base;
	cfg_tls_read(c, node, &c->tls);
}

/* A listener's own tls: block (base is the listener, its tls already inherited). */
static void
cfg_listener_tls(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base)
{
	(void)f;
	cfg_tls_read(c, node, &((struct config_listener *)base)->tls);
}

/* Client verification needs a CA to verify against. Checked on the merged
 * settings; an error inherited by many listeners is reported once. */
static void
cfg_tls_check(struct cfg_ctx *c, const struct config_tls *t)
{
	char msg[sizeof(((struct config_error *)0)->msg)];

	if (t->verify_client == CONFIG_VERIFY_OFF || t->client_ca != NULL)
		return;
	snprintf(msg, sizeof(msg), "\"verify_client: %s\" needs a \"client_ca\" to verify against",
		 cfg_verify_names[t->verify_client]);
	c->failed = true;
	config_diag_once(c->errs, CONFIG_SEV_ERROR, c->errs0, t->verify_client_pos.line,
			 t->verify_client_pos.col, msg);
}

/* ------------------------------------------------------- log: and limits: */

/* log.error: stderr (or null) stores NULL, anything else is a file. */
static void
cfg_log_error(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base)
{
	struct config_log *lg = base;
	char *s = NULL;
	int r = cfg_scalar(c, node, f->name, "stderr or a file name", true);

	if (r < 0)
		return;
	if (r > 0 && !cfg_eq(c, node, "stderr")) {
		s = cfg_string(c, node, f->name, true);
		if (s == NULL)
			return;
	}
	free(lg->error);
	lg->error = s;
}

/* log.access: stdout stores "-", off (or null, false) NULL, anything else is a file. */
static void
cfg_log_access(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base)
{
	struct config_log *lg = base;
	char *s = NULL;
	char q[64];
	int r = cfg_scalar(c, node, f->name, "stdout, off or a file name", true);

	if (r < 0)
		return;
	if (r > 0 && cfg_bool(c, node) == 1) {
		cfg_err(c, node, "\"%s%s\" must be stdout, off or a file name, not \"%s\"",
			c->prefix, f->name, cfg_qnode(c, node, q, sizeof(q)));
		return;
	}
	if (r > 0 && cfg_bool(c, node) != 0) {
		if (cfg_eq(c, node, "stdout") || cfg_eq(c, node, "-"))
			s = cfg_strndup(c, "-", 1);
		else
			s = cfg_string(c, node, f->name, true);
		if (s == NULL)
			return;
	}
	free(lg->access);
	lg->access = s;
}

static const char *const cfg_level_names[] = { "error", "warn", "info", "debug", NULL };
static const char *const cfg_format_names[] = { "common", "combined", "json", NULL };

/* The log files are opened once at start-up, before privileges are dropped:
 * a reload cannot reopen them elsewhere. */
#define CFG_LOG(m) offsetof(struct config_log, m)
static const struct cfg_field cfg_log_fields[] = {
	{ .name = "level", .type = CFG_T_ENUM, .off = CFG_LOG(level), .names = cfg_level_names,
	  .reload = CFG_RESTART },
	{ .name = "error", .type = CFG_T_FN, .fn = cfg_log_error, .off = CFG_LOG(error),
	  .has_pos = true, .pos_off = CFG_LOG(error_pos), .reload = CFG_RESTART,
	  .value = CFG_T_PATH, .null_text = "stderr" },
	{ .name = "access", .type = CFG_T_FN, .fn = cfg_log_access, .off = CFG_LOG(access),
	  .has_pos = true, .pos_off = CFG_LOG(access_pos), .reload = CFG_RESTART,
	  .value = CFG_T_PATH, .null_text = "off", .dash_text = "stdout" },
	{ .name = "access_format", .type = CFG_T_ENUM, .off = CFG_LOG(access_format),
	  .names = cfg_format_names, .reload = CFG_RESTART },
};

#define CFG_LIM(m) offsetof(struct config_limits, m)
#define CFG_TIMEOUT(n) { .name = #n, .type = CFG_T_DURATION, .off = CFG_LIM(n##_ms), .min = 1, \
		.max = CFG_DAY_MS, .range = "more than 0, at most 24h" }
/* Buffers and the open-file limit are sized at start-up: they can shrink on
 * a reload, not grow. */
static const struct cfg_field cfg_limits_fields[] = {
	{ .name = "max_connections", .type = CFG_T_U32, .off = CFG_LIM(max_connections), .min = 1,
	  .max = 10000000, .range = "1..10000000", .reload = CFG_RESTART_GROW },
	CFG_TIMEOUT(handshake_timeout),
	CFG_TIMEOUT(header_timeout),
	CFG_TIMEOUT(idle_timeout),
	CFG_TIMEOUT(shutdown_timeout),
	{ .name = "min_send_rate", .type = CFG_T_SIZE, .off = CFG_LIM(min_send_rate) },
	{ .name = "max_request_head", .type = CFG_T_SIZE, .off = CFG_LIM(max_request_head),
	  .min = 1024, .max = 1024 * 1024, .range = "1k..1m", .reload = CFG_RESTART_GROW },
	{ .name = "max_headers", .type = CFG_T_U32, .off = CFG_LIM(max_headers), .min = 1,
	  .max = 10000, .range = "1..10000", .reload = CFG_RESTART_GROW },
};

/* ------------------------------------------------------------ listeners: */

/* An SNI name (already lower-case): a host name, or "*." and a host name, the
 * wildcard being a whole leftmost label as certificates allow (RFC 6125 6.4.3).
 * Returns NULL or why not. */
const char *
cfg_sni_name_ok(const char *s)
{
	size_t n = strlen(s), label = 0;

	if (n > 2 && s[0] == '*' && s[1] == '.')
		s += 2, n -= 2;
	if (n == 0 || n > 253)
		return "is not a host name";
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (label == 0 || label > 63)
				return "is not a host name (empty or over-long label)";
			label = 0;
		} else if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
			   s[i] == '-' || s[i] == '_') {
			label++;
		} else {
			return s[i] == '*' ? "is not a host name (a wildcard must be the whole "
					     "leftmost label, "
					     "as in \"*.example.test\")"
					   : "is not a host name";
		}
	}
	return NULL;
}

/* A service name for getaddrinfo: letters, digits and "-_.+", with a letter. */
static bool
cfg_service_ok(const char *s, size_t n)
{
	bool letter = false;

	if (n == 0 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'))
			letter = true;
		else if (!(ch >= '0' && ch <= '9') && !strchr("-_.+", ch))
			return false;
	}
	return letter;
}

/* port: a number 0..65535 (stored in canonical decimal) or a service name. */
static void
cfg_port(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base)
{
	struct config_listener *l = base;
	const struct cfg_node *n = cfg_node(c, node);
	char q[64], num[8];
	char *p;
	uint64_t v;

	if (cfg_scalar(c, node, f->name, "a port number or a service name", false) <= 0)
		return;
	if (cfg_parse_uint(cfg_text(c, n), n->len, &v) == 0) {
		if (v > 65535) {
			cfg_err(c, node, "\"%s%s\" is out of range: \"%s\" (allowed: 0..65535)",
				c->prefix, f->name, cfg_qnode(c, node, q, sizeof(q)));
			return;
		}
		snprintf(num, sizeof(num), "%u", (unsigned)v);
		p = cfg_strndup(c, num, strlen(num));
	} else if (cfg_service_ok(cfg_text(c, n), n->len)) {
		p = cfg_strndup(c, cfg_text(c, n), n->len);
	} else {
		cfg_err(c, node,
			"\"%s%s\" must be a port number 0..65535 or a service name, not \"%s\"",
			c->prefix, f->name, cfg_qnode(c, node, q, sizeof(q)));
		return;
	}
	if (p == NULL)
		return;
	free(l->port);
	l->port = p;
}

void
cfg_host_names(struct cfg_ctx *c, const char *key, size_t node, char ***names, size_t *nnames)
{
	char **v;
	size_t n;

	if (cfg_strlist(c, node, key, true, cfg_sni_name_ok, &v, &n) < 0)
		return;
	if (n == 0) {
		cfg_err(c, node, "\"%s%s\" needs at least one name", c->prefix, key);
		free(v);
		return;
	}
	cfg_strv_free(*names, *nnames);
	*names = v;
	*nnames = n;
}

/* sni[].names: at least one host name or wildcard, lower-cased. */
static void
cfg_sni_names(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base)
{
	struct config_sni *s = base;

	cfg_host_names(c, f->name, node, &s->names, &s->nnames);
}

#define CFG_SNI(m) offsetof(struct config_sni, m)
static const struct cfg_field cfg_sni_fields[] = {
	{ .name = "names", .type = CFG_T_FN, .fn = cfg_sni_names },
	{ .name = "certificate", .type = CFG_T_PATH, .off = CFG_SNI(certificate), .has_pos = true,
	  .pos_off = CFG_SNI(certificate_pos) },
	{ .name = "key", .type = CFG_T_PATH, .off = CFG_SNI(key), .has_pos = true,
	  .pos_off = CFG_SNI(key_pos) },
};

/* Read sni entry i at node into s. Returns true when s was used (and must be
 * freed with the listener), false after reporting a non-mapping. */
static bool
cfg_sni_entry(struct cfg_ctx *c, size_t node, size_t i, struct config_sni *s)
{
	static const char *const required[] = { "names", "certificate", "key", NULL };
	const struct cfg_node *n = cfg_node(c, node);
	uint32_t seen;
	size_t old;

	if (n->kind == CFG_BAD)
		return false;
	if (n->kind != CFG_MAP) {
		cfg_err(c, node,
			"\"%ssni[%zu]\" must be a mapping with names, certificate and key, "
			"not a %s",
			c->prefix, i, cfg_kind_name(n->kind));
		return false;
	}
	s->pos = (struct config_pos){ n->line, n->col };
	old = cfg_push(c, "sni[%zu].", i);
	seen = cfg_map(c, node, cfg_sni_fields, CFG_NELEM(cfg_sni_fields), s);
	cfg_required(c, node, seen, cfg_sni_fields, CFG_NELEM(cfg_sni_fields), required);
	cfg_pop(c, old);
	return true;
}

size_t
cfg_names_nodes(struct cfg_ctx *c, size_t entry, const char *key, char *const *names,
		size_t nnames, struct cfg_dup *d, size_t n, size_t cap)
{
	size_t v = cfg_map_value(c, entry, key), name;

	if (v == CFG_NONE || nnames == 0)
		return n;
	name = cfg_node(c, v)->kind == CFG_SEQ ? cfg_node(c, v)->first : v;
	for (size_t j = 0; j < nnames && name != CFG_NONE && n < cap; j++) {
		d[n] = (struct cfg_dup){ names[j], n, name };
		n++;
		name = cfg_node(c, name)->next;
	}
	return n;
}

/* Report the names of a listener's sni: entries used twice, in one entry or
 * across entries (names are lower-cased already, so "A.test" and "a.TEST"
 * collide: DNS names are case-insensitive, RFC 4343), and more names than
 * CFG_MAX_SNI_NAMES. An entry whose names failed to read has none. */
static void
cfg_sni_dups(struct cfg_ctx *c, const struct cfg_field *f, size_t node,
	     const struct config_listener *l)
{
	struct cfg_dup *d;
	size_t total = 0, n = 0, e = 0;

	for (size_t i = 0; i < l->nsni; i++)
		total += l->sni[i].nnames;
	if (total > CFG_MAX_SNI_NAMES) {
		cfg_err(c, node, "\"%s%s\": too many names: %zu (at most %d per listener)",
			c->prefix, f->name, total, CFG_MAX_SNI_NAMES);
		return;
	}
	if (total < 2)
		return;
	d = calloc(total, sizeof(*d));
	if (d == NULL) {
		c->oom = true;
		return;
	}
	/* The entries that were read, in document order, with their names' nodes. */
	for (size_t k = cfg_node(c, node)->first; k != CFG_NONE && e < l->nsni;
	     k = cfg_node(c, k)->next) {
		const struct config_sni *s = &l->sni[e];

		if (cfg_node(c, k)->kind != CFG_MAP)
			continue;
		e++;
		n = cfg_names_nodes(c, k, "names", s->names, s->nnames, d, n, total);
	}
	cfg_dups(c, d, n, "SNI name", true);
	free(d);
}

/* sni: a sequence of {names, certificate, key}. */
static void
cfg_sni(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base)
{
	struct config_listener *l = base;
	const struct cfg_node *n = cfg_node(c, node);
	size_t i = 0;

	if (n->kind == CFG_BAD || cfg_is_null(c, node))
		return;
	if (n->kind != CFG_SEQ) {
		cfg_err(c, node,
			"\"%s%s\" must be a sequence of {names, certificate, key}, not a %s",
			c->prefix, f->name, cfg_kind_name(n->kind));
		return;
	}
	if (n->nkids == 0)
		return;
	l->sni = calloc(n->nkids, sizeof(*l->sni));
	if (l->sni == NULL) {
		c->oom = true;
		return;
	}
	for (size_t k = n->first; k != CFG_NONE; k = cfg_node(c, k)->next, i++) {
		if (cfg_sni_entry(c, k, i, &l->sni[l->nsni]))
			l->nsni++;
	}
	cfg_sni_dups(c, f, node, l);
}

static const char *const cfg_mode_names[] = { "files", "echo", "redirect", "metrics", NULL };
static const char *const cfg_proxy_names[] = { "off", "v1", "v2", "any", NULL };

/* sites: is read after the listener's own keys, whatever the order. */
static void
cfg_note_sites(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base)
{
	(void)f;
	(void)base;
	c->sites = node;
}

/* to_port: null (the first files listener's port) or 1..65535. */
static void
cfg_to_port(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base)
{
	struct config_listener *l = base;
	const struct cfg_node *n = cfg_node(c, node);
	char q[64];
	uint64_t v;
	int r = cfg_scalar(c, node, f->name, "a port number 1..65535", true);

	if (r <= 0)
		return;
	if (cfg_parse_uint(cfg_text(c, n), n->len, &v) != 0 || v < 1 || v > 65535) {
		cfg_err(c, node, "\"%s%s\" must be a port number 1..65535 or null, not \"%s\"",
			c->prefix, f->name, cfg_qnode(c, node, q, sizeof(q)));
		return;
	}
	l->to_port = (uint16_t)v;
}

#define CFG_L(m) offsetof(struct config_listener, m)
/* The sockets are bound once, at start-up (and the privileges to bind them
 * dropped): a reload that moves a listener is refused. */
const struct cfg_field cfg_schema_listener[] = {
	{ .name = "name", .type = CFG_T_STR, .off = CFG_L(name), .reload = CFG_REFUSE },
	{ .name = "host", .type = CFG_T_STR, .off = CFG_L(host), .nullable = true,
	  .has_pos = true, .pos_off = CFG_L(host_pos), .reload = CFG_REFUSE,
	  .null_text = "every local address" },
	{ .name = "port", .type = CFG_T_FN, .fn = cfg_port, .off = CFG_L(port), .has_pos = true,
	  .pos_off = CFG_L(port_pos), .reload = CFG_REFUSE, .value = CFG_T_STR },
	{ .name = "mode", .type = CFG_T_ENUM, .off = CFG_L(mode), .names = cfg_mode_names,
	  .reload = CFG_REFUSE },
	{ .name = "root", .type = CFG_T_FN, .fn = cfg_listener_site_key },
	{ .name = "index", .type = CFG_T_FN, .fn = cfg_listener_site_key },
	{ .name = "listing", .type = CFG_T_FN, .fn = cfg_listener_site_key },
	{ .name = "http2", .type = CFG_T_BOOL, .off = CFG_L(http2) },
	{ .name = "dotfiles", .type = CFG_T_FN, .fn = cfg_listener_site_key },
	{ .name = "headers", .type = CFG_T_FN, .fn = cfg_listener_site_key },
	{ .name = "cache", .type = CFG_T_FN, .fn = cfg_listener_site_key },
	{ .name = "error_pages", .type = CFG_T_FN, .fn = cfg_listener_site_key },
	{ .name = "fallback", .type = CFG_T_FN, .fn = cfg_listener_site_key },
	{ .name = "sites", .type = CFG_T_FN, .fn = cfg_note_sites },
	{ .name = "to_port", .type = CFG_T_FN, .fn = cfg_to_port },
	{ .name = "proxy_protocol", .type = CFG_T_ENUM, .off = CFG_L(proxy_protocol),
	  .off_alias = true, .names = cfg_proxy_names },
	{ .name = "tls", .type = CFG_T_FN, .fn = cfg_listener_tls },
	{ .name = "sni", .type = CFG_T_FN, .fn = cfg_sni },
	{ .name = "acme", .type = CFG_T_FN, .fn = cfg_listener_acme },
};
const size_t cfg_schema_nlistener = CFG_NELEM(cfg_schema_listener);

/* Does host name only this machine: a loopback address (127.0.0.0/8, ::1)
 * or localhost? NULL (every address) does not. */
static bool
cfg_host_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (host == NULL)
		return false;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		       (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	/* a name: only localhost is known not to leave the machine */
	return strcasecmp(host, "localhost") == 0;
}

/* Keys only files listeners have, and only redirect listeners. */
static void
cfg_listener_mode_keys(struct cfg_ctx *c, size_t node, const struct config_listener *l)
{
	static const char *const files_only[] = { "sites", "headers", "cache", "error_pages",
		"fallback", NULL };
	size_t v;

	for (size_t i = 0; l->mode != CONFIG_MODE_FILES && files_only[i] != NULL; i++) {
		v = cfg_map_value(c, node, files_only[i]);
		if (v != CFG_NONE && !cfg_is_null(c, v))
			cfg_err(c, v, "\"%s%s\" applies to files listeners only (this one is mode: %s)",
				c->prefix, files_only[i], cfg_mode_names[l->mode]);
	}
	v = cfg_map_value(c, node, "to_port");
	if (l->mode != CONFIG_MODE_REDIRECT && v != CFG_NONE && !cfg_is_null(c, v))
		cfg_err(c, v, "\"%sto_port\" applies to redirect listeners only", c->prefix);
}

/* The counters say what is served and how much: a warning when they can
 * be read from beyond this machine. */
static void
cfg_metrics_warn(struct cfg_ctx *c, const struct config_listener *l)
{
	if (l->mode == CONFIG_MODE_METRICS && !cfg_host_is_loopback(l->host))
		config_warning_add(c->errs, l->pos.line, l->pos.col,
				   "listener \"%s\" (mode: metrics) binds %s%s: the metrics are open to "
				   "every client that can reach it (host: 127.0.0.1 keeps them local)",
				   l->name, l->host ? "" : "every address", l->host ? l->host : "");
}

/* Defaults that depend on the other keys: a name, and a root only for files
 * listeners (an echo or redirect listener's root is accepted but unused). */
static void
cfg_listener_finish(struct cfg_ctx *c, struct config_listener *l, size_t i)
{
	char name[32];

	if (l->name == NULL) {
		snprintf(name, sizeof(name), "listener-%zu", i);
		l->name = cfg_strndup(c, name, strlen(name));
	}
	if (l->mode != CONFIG_MODE_FILES) {
		for (size_t k = 0; k < l->nsites; k++)
			cfg_site_free(&l->sites[k]);
		free(l->sites);
		l->sites = NULL;
		l->nsites = 0;
	} else if (l->sites[0].root == NULL) {
		l->sites[0].root = cfg_path(c, "www", 3);
	}
}

/* The default site before the listener's keys: index.html, no listing,
 * dotfiles denied. */
static void
cfg_listener_default_site(struct cfg_ctx *c, struct config_listener *l)
{
	l->sites = calloc(1, sizeof(*l->sites));
	if (l->sites == NULL) {
		c->oom = true;
		return;
	}
	l->nsites = 1;
	l->sites[0].index = calloc(1, sizeof(*l->sites[0].index));
	if (l->sites[0].index == NULL) {
		c->oom = true;
		return;
	}
	l->sites[0].index[0] = cfg_strndup(c, "index.html", strlen("index.html"));
	l->sites[0].nindex = 1;
}

/* Read listener i at node into l: the defaults, the inherited tls:, then its
 * own keys. Returns true when l was used (and must be freed), false after
 * reporting a non-mapping. */
static bool
cfg_listener(struct cfg_ctx *c, size_t node, size_t i, struct config_listener *l)
{
	static const char *const required[] = { "port", NULL };
	const struct cfg_node *n = cfg_node(c, node);
	uint32_t seen;
	size_t old;

	if (n->kind == CFG_BAD)
		return false;
	if (n->kind != CFG_MAP) {
		cfg_err(c, node, "\"listeners[%zu]\" must be a mapping, not a %s", i,
			cfg_kind_name(n->kind));
		return false;
	}
	l->pos = (struct config_pos){ n->line, n->col };
	l->http2 = true;
	cfg_tls_copy(c, &l->tls, &c->tls);
	cfg_listener_default_site(c, l);
	if (c->oom)
		return true;
	l->sites[0].pos = l->pos;
	c->sites = CFG_NONE;
	old = cfg_push(c, "listeners[%zu].", i);
	seen = cfg_map(c, node, cfg_schema_listener, cfg_schema_nlistener, l);
	cfg_required(c, node, seen, cfg_schema_listener, cfg_schema_nlistener, required);
	cfg_listener_mode_keys(c, node, l);
	cfg_listener_finish(c, l, i);
	cfg_metrics_warn(c, l);
	if (c->sites != CFG_NONE && l->mode == CONFIG_MODE_FILES)
		cfg_sites_read(c, c->sites, l);
	cfg_pop(c, old);
	cfg_tls_check(c, &l->tls);
	return true;
}

/* Report listener names used twice. */
static void
cfg_listener_names(struct cfg_ctx *c, const size_t *nodes)
{
	struct config *cfg = c->cfg;
	struct cfg_dup *d = calloc(cfg->nlisteners ? cfg->nlisteners : 1, sizeof(*d));
	size_t n = 0;

	if (d == NULL) {
		c->oom = true;
		return;
	}
	for (size_t i = 0; i < cfg->nlisteners; i++) {
		if (cfg->listeners[i].name != NULL)
			d[n++] = (struct cfg_dup){ cfg->listeners[i].name, i, nodes[i] };
	}
	cfg_dups(c, d, n, "listener name", false);
	free(d);
}

/* listeners: read last, once the top-level tls: is known whatever the key order. */
static void
cfg_listeners(struct cfg_ctx *c)
{
	size_t node = c->listeners, i = 0, *nodes;
	const struct cfg_node *n;

	if (node == CFG_NONE) {
		cfg_err(c, CFG_NONE,
			"no listeners: the configuration needs a \"listeners\" sequence");
		return;
	}
	n = cfg_node(c, node);
	if (n->kind == CFG_BAD)
		return;
	if (n->kind == CFG_MAP) {
		cfg_err(c, node,
			"\"listeners\" must be a sequence (\"- port: ...\"), not a mapping");
		return;
	}
	if (cfg_is_null(c, node) || n->kind != CFG_SEQ || n->nkids == 0) {
		cfg_err(c, node, "no listeners: \"listeners\" needs at least one entry");
		return;
	}
	if (n->nkids > CFG_MAX_LISTENERS) {
		cfg_err(c, node, "too many listeners: %zu (at most %d)", n->nkids,
			CFG_MAX_LISTENERS);
		return;
	}
	c->cfg->listeners = calloc(n->nkids, sizeof(*c->cfg->listeners));
	nodes = calloc(n->nkids, sizeof(*nodes));
	if (c->cfg->listeners == NULL || nodes == NULL) {
		c->oom = true;
		free(nodes);
		return;
	}
	for (size_t k = n->first; k != CFG_NONE; k = cfg_node(c, k)->next, i++) {
		nodes[c->cfg->nlisteners] = k;
		if (cfg_listener(c, k, i, &c->cfg->listeners[c->cfg->nlisteners]))
			c->cfg->nlisteners++;
	}
	cfg_listener_names(c, nodes);
	cfg_acme_finish(c, nodes);
	free(nodes);
}

/* listeners: at the top level only notes where the sequence is. */
static void
cfg_note_listeners(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base)
{
	(void)f;
	(void)base;
	c->listeners = node;
}

/* ----------------------------------------------------------------- mime: */

/* Read one "extension: type" pair into m. Returns true when both were stored,
 * false after reporting (m is then left empty). */
static bool
cfg_mime_entry(struct cfg_ctx *c, size_t k, size_t v, struct config_mime *m)
{
	const struct cfg_node *kn = cfg_node(c, k);
	const char *ext = cfg_text(c, kn);
	size_t len = kn->len;
	char q[64];

	if (kn->kind == CFG_BAD)
		return false;
	if (kn->kind != CFG_SCALAR) {
		cfg_err(c, k, "a key must be a plain string, not a %s", cfg_kind_name(kn->kind));
		return false;
	}
	if (len > 0 && ext[0] == '.')
		ext++, len--;
	/* mime_type() matches the text after the last dot, so "tar.gz" could never match. */
	if (len == 0 || strcspn(ext, "/. \t") != len || memchr(ext, '\0', len) != NULL) {
		cfg_err(c, k,
			"\"mime\": \"%s\" is not a file extension (the text after the last dot)",
			cfg_qnode(c, k, q, sizeof(q)));
		return false;
	}
	cfg_quote(q, sizeof(q), ext, len);
	if (cfg_scalar(c, v, q, "a media type such as text/plain", false) <= 0)
		return false;
	m->type = cfg_string(c, v, q, false);
	if (m->type != NULL && strchr(m->type, '/') == NULL) {
		cfg_err(c, v, "\"%s%s\": \"%s\" is not a media type such as text/plain", c->prefix,
			q, m->type);
		free(m->type);
		m->type = NULL;
	}
	if (m->type == NULL)
		return false;
	m->ext = cfg_strndup(c, ext, len);
	for (char *p = m->ext; p && *p; p++)
		*p = util_lower(*p);
	return true;
}

/* mime: a mapping of extension to media type, overriding the built-in table. */
static void
cfg_mime(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base)
{
	struct config *cfg = base;
	const struct cfg_node *n = cfg_node(c, node);
	struct cfg_dup *d;
	size_t old;

	if (n->kind == CFG_BAD || cfg_is_null(c, node))
		return;
	if (n->kind != CFG_MAP || n->nkids < 2) {
		if (n->kind != CFG_MAP)
			cfg_err(c, node, "\"%s\" must be a mapping of extension: type, not a %s",
				f->name, cfg_kind_name(n->kind));
		return;
	}
	cfg->mime = calloc(n->nkids / 2, sizeof(*cfg->mime));
	d = calloc(n->nkids / 2, sizeof(*d));
	if (cfg->mime == NULL || d == NULL) {
		c->oom = true;
		free(d);
		return;
	}
	old = cfg_push(c, "%s.", f->name);
	for (size_t k = n->first, v; k != CFG_NONE && (v = cfg_node(c, k)->next) != CFG_NONE;
	     k = cfg_node(c, v)->next) {
		struct config_mime *m = &cfg->mime[cfg->nmime];

		if (!cfg_mime_entry(c, k, v, m))
			continue;
		d[cfg->nmime] = (struct cfg_dup){ m->ext ? m->ext : "", cfg->nmime, k };
		cfg->nmime++;
	}
	cfg_pop(c, old);
	cfg_dups(c, d, cfg->nmime, "MIME extension", false);
	free(d);
}

/* ---------------------------------------------------------- top level */

/* Threads are started and privileges dropped once, at start-up. */
#define CFG_TOP(m) offsetof(struct config, m)
const struct cfg_field cfg_schema_top[] = {
	{ .name = "workers", .type = CFG_T_U32, .off = CFG_TOP(workers), .auto_zero = true,
	  .min = 1, .max = 1024, .range = "1..1024 or auto", .reload = CFG_RESTART },
	{ .name = "user", .type = CFG_T_STR, .off = CFG_TOP(user), .nullable = true,
	  .has_pos = true, .pos_off = CFG_TOP(user_pos), .reload = CFG_RESTART },
	{ .name = "log", .type = CFG_T_MAP, .off = CFG_TOP(log), .sub = cfg_log_fields,
	  .nsub = CFG_NELEM(cfg_log_fields) },
	{ .name = "limits", .type = CFG_T_MAP, .off = CFG_TOP(limits), .sub = cfg_limits_fields,
	  .nsub = CFG_NELEM(cfg_limits_fields) },
	{ .name = "tls", .type = CFG_T_FN, .fn = cfg_top_tls },
	{ .name = "mime", .type = CFG_T_FN, .fn = cfg_mime },
	{ .name = "acme", .type = CFG_T_FN, .fn = cfg_acme },
	{ .name = "listeners", .type = CFG_T_FN, .fn = cfg_note_listeners },
};
const size_t cfg_schema_ntop = CFG_NELEM(cfg_schema_top);

/* Fill in what SPEC.md lists as defaults. Out of memory is noted in c->oom. */
void
cfg_schema_defaults(struct cfg_ctx *c, const char *filename)
{
	struct config *cfg = c->cfg;

	cfg->path = cfg_strdup_opt(c, filename);
	cfg->workers = 0;
	cfg->log.level = CONFIG_LOG_INFO;
	cfg->log.access = cfg_strndup(c, "-", 1);
	cfg->log.access_format = CONFIG_ACCESS_COMBINED;
	cfg->limits = (struct config_limits){
		.max_connections = 10000,
		.handshake_timeout_ms = 10 * 1000,
		.header_timeout_ms = 10 * 1000,
		.idle_timeout_ms = 60 * 1000,
		.shutdown_timeout_ms = 30 * 1000,
		.min_send_rate = 0,
		.max_request_head = 16 * 1024,
		.max_headers = 100,
	};
	c->tls.certificate = cfg_path(c, "certs/server.crt", strlen("certs/server.crt"));
	c->tls.key = cfg_path(c, "certs/server.key", strlen("certs/server.key"));
	c->tls.min_version = 12;
	c->tls.session_tickets = true;
	c->tls.verify_client = CONFIG_VERIFY_OFF;
	cfg_acme_defaults(c);
}

static void
cfg_listener_free(struct config_listener *l)
{
	free(l->name);
	free(l->host);
	free(l->port);
	for (size_t i = 0; i < l->nsites; i++)
		cfg_site_free(&l->sites[i]);
	free(l->sites);
	cfg_tls_free(&l->tls);
	for (size_t i = 0; i < l->nsni; i++) {
		cfg_strv_free(l->sni[i].names, l->sni[i].nnames);
		free(l->sni[i].certificate);
		free(l->sni[i].key);
	}
	free(l->sni);
	cfg_strv_free(l->acme, l->nacme);
}

void
config_ref(struct config *cfg)
{
	atomic_fetch_add_explicit(&cfg->extra_refs, 1, memory_order_relaxed);
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL || atomic_fetch_sub_explicit(&cfg->extra_refs, 1, memory_order_acq_rel) > 0)
		return;
	for (size_t i = 0; i < cfg->nlisteners; i++)
		cfg_listener_free(&cfg->listeners[i]);
	free(cfg->listeners);
	for (size_t i = 0; i < cfg->nmime; i++) {
		free(cfg->mime[i].ext);
		free(cfg->mime[i].type);
	}
	free(cfg->mime);
	cfg_acme_free(&cfg->acme);
	free(cfg->log.error);
	free(cfg->log.access);
	free(cfg->user);
	free(cfg->path);
	free(cfg);
}

void
cfg_schema_read(struct cfg_ctx *c, size_t root)
{
	if (root != CFG_NONE)
		cfg_map(c, root, cfg_schema_top, cfg_schema_ntop, c->cfg);
	cfg_listeners(c);
}
