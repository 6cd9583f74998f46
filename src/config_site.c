/* config_site: the keys of a site (config.h, struct config_site), read for a
 * files listener's default site and for each sites: entry, the checks that
 * span the sites of a listener, and the SNI entries that sites with their
 * own certificate become. Pure: no I/O, no globals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlserve/config_schema.h"
#include "tlserve/match.h"
#include "tlserve/util.h"

#define CFG_MAX_HEADERS 64      /* per site: every response carries them */
#define CFG_MAX_CACHE 256       /* per site: matched in order per response */
#define CFG_MAX_SITES 1024      /* per listener: the Host lookup is a scan */

/* ---------------------------------------------------------------- names */

/* index: a file name or a list of them; an empty list (or null) means none. */
static const char *
cfg_index_ok(const char *s)
{
	if (strchr(s, '/') != NULL)
		return "must not contain '/'";
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return "is not a file name";
	return NULL;
}

static void
cfg_site_index(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base)
{
	struct config_site *s = base;
	char **v;
	size_t n;

	if (cfg_strlist(c, node, f->name, false, cfg_index_ok, &v, &n) < 0)
		return;
	cfg_strv_free(s->index, s->nindex);
	s->index = v;
	s->nindex = n;
}

/* names: at least one host name or "*." wildcard, lower-cased. */
static void
cfg_site_names(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base)
{
	struct config_site *s = base;

	cfg_host_names(c, f->name, node, &s->names, &s->nnames);
}

/* -------------------------------------------------------------- headers */

/* Headers a site cannot set: the message framing and the connection's
 * (RFC 9110 7.6.1; HTTP/2 forbids the connection-specific ones outright,
 * RFC 9113 8.2.2), the two every response has, and those the server
 * computes per response, which a fixed value would contradict. */
static const char *const cfg_header_refused[] = {
	"content-length", "transfer-encoding", "connection", "date", "server",
	"keep-alive", "upgrade", "proxy-connection", "te", "trailer",
	"content-type", "content-encoding", "content-range", "etag", "last-modified",
	"accept-ranges", "location", "vary", "allow", NULL,
};

static bool
cfg_tchar(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch != 0 && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/* Why header name lname (lower-cased) cannot be set, or NULL. */
static const char *
cfg_header_name_why(const char *name, const char *lname)
{
	if (*name == '\0')
		return "is not a header name";
	for (const char *p = name; *p; p++) {
		if (!cfg_tchar((unsigned char)*p))
			return "is not a header name (RFC 9110 5.1: letters, digits and !#$%&'*+-.^_`|~)";
	}
	if (strcmp(lname, "cache-control") == 0)
		return "is set per path by \"cache:\"";
	for (size_t i = 0; cfg_header_refused[i] != NULL; i++) {
		if (strcmp(lname, cfg_header_refused[i]) == 0)
			return "cannot be set: the server writes it";
	}
	return NULL;
}

/* A field value (RFC 9110 5.5): visible characters, spaces and tabs, not
 * empty and without surrounding whitespace; never CR, LF or NUL, which
 * would end the header (response splitting). */
static bool
cfg_header_value_ok(struct cfg_ctx *c, size_t node, const char *key)
{
	const struct cfg_node *n = cfg_node(c, node);
	const unsigned char *p = (const unsigned char *)cfg_text(c, n);

	if (n->len == 0 || p[0] == ' ' || p[0] == '\t' || p[n->len - 1] == ' ' ||
	    p[n->len - 1] == '\t') {
		cfg_err(c, node, "\"%s%s\" must not be empty or start or end with a space", c->prefix,
			key);
		return false;
	}
	for (size_t i = 0; i < n->len; i++) {
		if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f) {
			cfg_err(c, node, "\"%s%s\" contains a control character (CR, LF and NUL "
				"would end the header)", c->prefix, key);
			return false;
		}
	}
	return true;
}

/* Read one "Name: value" pair into h. */
static bool
cfg_header_entry(struct cfg_ctx *c, size_t k, size_t v, struct config_header *h)
{
	const struct cfg_node *kn = cfg_node(c, k);
	const char *why;
	char q[96], key[112];

	if (kn->kind == CFG_BAD || cfg_node(c, v)->kind == CFG_BAD)
		return false;
	if (kn->kind != CFG_SCALAR || cfg_is_null(c, k)) {
		cfg_err(c, k, "\"%sheaders\": a header name must be a plain string", c->prefix);
		return false;
	}
	cfg_qnode(c, k, q, sizeof(q));
	snprintf(key, sizeof(key), "headers.%s", q);
	if (cfg_scalar(c, v, key, "a header value", false) <= 0 || !cfg_header_value_ok(c, v, key))
		return false;
	h->name = cfg_strndup(c, cfg_text(c, kn), kn->len);
	h->lname = cfg_strndup(c, cfg_text(c, kn), kn->len);
	h->value = cfg_strndup(c, cfg_text(c, cfg_node(c, v)), cfg_node(c, v)->len);
	if (h->name == NULL || h->lname == NULL || h->value == NULL)
		return false;
	for (char *p = h->lname; *p; p++)
		*p = util_lower(*p);
	why = strlen(h->name) != kn->len ? "is not a header name" : cfg_header_name_why(h->name, h->lname);
	if (why != NULL) {
		cfg_err(c, k, "\"%sheaders\": \"%s\" %s", c->prefix, q, why);
		return false;
	}
	return true;
}

static void
cfg_headers_free(struct config_header *h, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(h[i].name);
		free(h[i].lname);
		free(h[i].value);
	}
	free(h);
}

/* headers: a mapping of Name: value, added to every response of the site. */
static void
cfg_site_headers(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base)
{
	struct config_site *s = base;
	const struct cfg_node *n = cfg_node(c, node);
	struct config_header *h = NULL;
	struct cfg_dup *d = NULL;
	size_t cnt = 0;
	bool bad = false;

	if (n->kind == CFG_BAD)
		return;
	if (!cfg_is_null(c, node) && n->kind != CFG_MAP) {
		cfg_err(c, node, "\"%s%s\" must be a mapping of Name: value, not a %s", c->prefix,
			f->name, cfg_kind_name(n->kind));
		return;
	}
	if (n->kind == CFG_MAP && n->nkids / 2 > CFG_MAX_HEADERS) {
		cfg_err(c, node, "\"%s%s\": too many headers: %zu (at most %d)", c->prefix, f->name,
			n->nkids / 2, CFG_MAX_HEADERS);
		return;
	}
	if (n->kind == CFG_MAP && n->nkids >= 2) {
		h = calloc(n->nkids / 2, sizeof(*h));
		d = calloc(n->nkids / 2, sizeof(*d));
		if (h == NULL || d == NULL) {
			c->oom = true;
			free(h);
			free(d);
			return;
		}
		for (size_t k = n->first, v; k != CFG_NONE && (v = cfg_node(c, k)->next) != CFG_NONE;
		     k = cfg_node(c, v)->next) {
			if (!cfg_header_entry(c, k, v, &h[cnt])) {
				bad = true;
				free(h[cnt].name);
				free(h[cnt].lname);
				free(h[cnt].value);
				h[cnt] = (struct config_header){ 0 };
				continue;
			}
			d[cnt] = (struct cfg_dup){ h[cnt].lname, cnt, k };
			cnt++;
		}
		cfg_dups(c, d, cnt, "header", false);
		free(d);
	}
	for (size_t i = 0, total = 0; i < cnt && !bad; i++) {
		total += strlen(h[i].name) + 2 + strlen(h[i].value) + 2;
		if (total > CONFIG_SITE_HEADERS_MAX) {
			cfg_err(c, node, "\"%s%s\": the headers take more than %d bytes", c->prefix,
				f->name, CONFIG_SITE_HEADERS_MAX);
			bad = true;
		}
	}
	if (bad) {
		cfg_headers_free(h, cnt);
		return;
	}
	cfg_headers_free(s->headers, s->nheaders);
	s->headers = h;
	s->nheaders = cnt;
}

/* ---------------------------------------------------------------- cache */

static void
cfg_cache_free(struct config_cache *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(r[i].match);
		free(r[i].control);
	}
	free(r);
}

static void
cfg_cache_match(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base)
{
	struct config_cache *r = base;
	const char *why;
	char q[96];
	char *s;

	if (cfg_scalar(c, node, f->name, "a path pattern such as \"*.css\"", false) <= 0)
		return;
	s = cfg_string(c, node, f->name, false);
	if (s == NULL)
		return;
	why = match_path_rule_check(s);
	if (why != NULL) {
		cfg_err(c, node, "\"%s%s\": \"%s\" can never match a path: %s", c->prefix, f->name,
			cfg_qnode(c, node, q, sizeof(q)), why);
		free(s);
		return;
	}
	free(r->match);
	r->match = s;
}

#define CFG_CACHE(m) offsetof(struct config_cache, m)
static const struct cfg_field cfg_cache_fields[] = {
	{ .name = "match", .type = CFG_T_FN, .fn = cfg_cache_match },
	{ .name = "control", .type = CFG_T_STR, .off = CFG_CACHE(control) },
};

/* cache: a sequence of {match, control}; the first match wins. */
static void
cfg_site_cache(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base)
{
	static const char *const required[] = { "match", "control", NULL };
	struct config_site *s = base;
	const struct cfg_node *n = cfg_node(c, node);
	struct config_cache *r = NULL;
	size_t cnt = 0, i = 0;
	bool bad = false;

	if (n->kind == CFG_BAD)
		return;
	if (!cfg_is_null(c, node) && n->kind != CFG_SEQ) {
		cfg_err(c, node, "\"%s%s\" must be a sequence of {match, control}, not a %s",
			c->prefix, f->name, cfg_kind_name(n->kind));
		return;
	}
	if (n->kind == CFG_SEQ && n->nkids > CFG_MAX_CACHE) {
		cfg_err(c, node, "\"%s%s\": too many rules: %zu (at most %d)", c->prefix, f->name,
			n->nkids, CFG_MAX_CACHE);
		return;
	}
	if (n->kind == CFG_SEQ && n->nkids > 0) {
		r = calloc(n->nkids, sizeof(*r));
		if (r == NULL) {
			c->oom = true;
			return;
		}
	}
	for (size_t k = n->kind == CFG_SEQ ? n->first : CFG_NONE; k != CFG_NONE;
	     k = cfg_node(c, k)->next, i++) {
		const struct cfg_node *e = cfg_node(c, k);
		size_t old;
		uint32_t seen;

		if (e->kind != CFG_MAP) {
			if (e->kind != CFG_BAD)
				cfg_err(c, k, "\"%s%s[%zu]\" must be a mapping with match and control, not a %s",
					c->prefix, f->name, i, cfg_kind_name(e->kind));
			bad = true;
			continue;
		}
		old = cfg_push(c, "%s[%zu].", f->name, i);
		seen = cfg_map(c, k, cfg_cache_fields, CFG_NELEM(cfg_cache_fields), &r[cnt]);
		cfg_required(c, k, seen, cfg_cache_fields, CFG_NELEM(cfg_cache_fields), required);
		cfg_pop(c, old);
		cnt++;
		if (r[cnt - 1].match == NULL || r[cnt - 1].control == NULL)
			bad = true;
	}
	if (bad) {
		cfg_cache_free(r, cnt);
		return;
	}
	cfg_cache_free(s->cache, s->ncache);
	s->cache = r;
	s->ncache = cnt;
}

/* ------------------------------------------------- error_pages, fallback */

/* Why p is not a path under the root, or NULL: it must start with '/',
 * and be normalised (no empty, "." or ".." segment: ".." would leave the
 * root). dir_ok: it may end in '/' (a directory's index). */
static const char *
cfg_under_root_why(const char *p, bool dir_ok)
{
	size_t n = strlen(p);

	if (p[0] != '/')
		return "must be a path under the root, starting with '/'";
	for (size_t i = 1, seg = 1; i <= n; i++) {
		if (i < n && p[i] != '/')
			continue;
		if (i - seg == 2 && p[seg] == '.' && p[seg + 1] == '.')
			return "leaves the root (\"..\")";
		if (i - seg == 1 && p[seg] == '.')
			return "is not a normalised path (\".\")";
		if (i == seg && !(i == n && dir_ok))
			return i == n ? "names a directory (ends in '/')" : "is not a normalised path (\"//\")";
		seg = i + 1;
	}
	return NULL;
}

static char *
cfg_under_root(struct cfg_ctx *c, size_t node, const char *key, bool dir_ok)
{
	const char *why;
	char q[96];
	char *s;

	if (cfg_scalar(c, node, key, "a path under the root such as \"/404.html\"", false) <= 0)
		return NULL;
	s = cfg_string(c, node, key, false);
	if (s == NULL)
		return NULL;
	why = cfg_under_root_why(s, dir_ok);
	if (why != NULL) {
		cfg_err(c, node, "\"%s%s\": \"%s\" %s", c->prefix, key, cfg_qnode(c, node, q, sizeof(q)),
			why);
		free(s);
		return NULL;
	}
	return s;
}

static void
cfg_error_pages_free(struct config_error_page *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(e[i].path);
	free(e);
}

/* Read one "status: /path" pair into e. */
static bool
cfg_error_page_entry(struct cfg_ctx *c, size_t k, size_t v, struct config_error_page *e)
{
	const struct cfg_node *kn = cfg_node(c, k);
	uint64_t status;
	char q[64], key[32];

	if (kn->kind == CFG_BAD)
		return false;
	if (kn->kind != CFG_SCALAR || cfg_parse_uint(cfg_text(c, kn), kn->len, &status) != 0 ||
	    status < 400 || status > 599) {
		cfg_err(c, k, "\"%serror_pages\": \"%s\" is not an error status (400..599)", c->prefix,
			cfg_qnode(c, k, q, sizeof(q)));
		return false;
	}
	snprintf(key, sizeof(key), "error_pages.%u", (unsigned)status);
	e->status = (int)status;
	e->path = cfg_under_root(c, v, key, false);
	return e->path != NULL;
}

/* error_pages: a mapping of status: path under the root. */
static void
cfg_site_error_pages(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base)
{
	struct config_site *s = base;
	const struct cfg_node *n = cfg_node(c, node);
	struct config_error_page *e = NULL;
	struct cfg_dup *d = NULL;
	size_t cnt = 0;
	bool bad = false;

	if (n->kind == CFG_BAD)
		return;
	if (!cfg_is_null(c, node) && n->kind != CFG_MAP) {
		cfg_err(c, node, "\"%s%s\" must be a mapping of status: path, not a %s", c->prefix,
			f->name, cfg_kind_name(n->kind));
		return;
	}
	if (n->kind == CFG_MAP && n->nkids >= 2) {
		e = calloc(n->nkids / 2, sizeof(*e));
		d = calloc(n->nkids / 2, sizeof(*d));
		if (e == NULL || d == NULL) {
			c->oom = true;
			free(e);
			free(d);
			return;
		}
		for (size_t k = n->first, v; k != CFG_NONE && (v = cfg_node(c, k)->next) != CFG_NONE;
		     k = cfg_node(c, v)->next) {
			if (!cfg_error_page_entry(c, k, v, &e[cnt])) {
				bad = true;
				free(e[cnt].path);
				e[cnt] = (struct config_error_page){ 0 };
				continue;
			}
			d[cnt] = (struct cfg_dup){ cfg_text(c, cfg_node(c, k)), cnt, k };
			cnt++;
		}
		/* "404" and "0404" are one status: compare the numbers' text made canonical */
		for (size_t i = 0; i < cnt; i++) {
			for (size_t j = 0; j < i; j++) {
				if (e[i].status == e[j].status) {
					cfg_err(c, d[i].node, "duplicate error page status %d (first at line %d)",
						e[i].status, cfg_node(c, d[j].node)->line);
					break;
				}
			}
		}
		free(d);
	}
	if (bad) {
		cfg_error_pages_free(e, cnt);
		return;
	}
	cfg_error_pages_free(s->error_pages, s->nerror_pages);
	s->error_pages = e;
	s->nerror_pages = cnt;
}

/* fallback: null, or a path under the root served for paths not found. */
static void
cfg_site_fallback(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base)
{
	struct config_site *s = base;
	char *p;

	if (cfg_is_null(c, node) && cfg_node(c, node)->kind == CFG_SCALAR) {
		free(s->fallback);
		s->fallback = NULL;
		return;
	}
	p = cfg_under_root(c, node, f->name, true);
	if (p == NULL)
		return;
	free(s->fallback);
	s->fallback = p;
}

/* ----------------------------------------------------------- the table */

static const char *const cfg_dotfiles_names[] = { "deny", "allow", NULL };

#define CFG_S(m) offsetof(struct config_site, m)
const struct cfg_field cfg_schema_site[] = {
	{ .name = "names", .type = CFG_T_FN, .fn = cfg_site_names },
	{ .name = "root", .type = CFG_T_PATH, .off = CFG_S(root), .has_pos = true,
	  .pos_off = CFG_S(root_pos) },
	{ .name = "index", .type = CFG_T_FN, .fn = cfg_site_index },
	{ .name = "listing", .type = CFG_T_BOOL, .off = CFG_S(listing) },
	{ .name = "dotfiles", .type = CFG_T_ENUM, .off = CFG_S(dotfiles),
	  .names = cfg_dotfiles_names },
	{ .name = "headers", .type = CFG_T_FN, .fn = cfg_site_headers },
	{ .name = "cache", .type = CFG_T_FN, .fn = cfg_site_cache },
	{ .name = "error_pages", .type = CFG_T_FN, .fn = cfg_site_error_pages },
	{ .name = "fallback", .type = CFG_T_FN, .fn = cfg_site_fallback },
	{ .name = "certificate", .type = CFG_T_PATH, .off = CFG_S(certificate), .has_pos = true,
	  .pos_off = CFG_S(certificate_pos) },
	{ .name = "key", .type = CFG_T_PATH, .off = CFG_S(key), .has_pos = true,
	  .pos_off = CFG_S(key_pos) },
};
const size_t cfg_schema_nsite = CFG_NELEM(cfg_schema_site);

/* A listener's key that belongs to its default site (root, index, ...):
 * read with the site table's row of the same name into sites[0]. */
void
cfg_listener_site_key(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base)
{
	struct config_listener *l = base;

	for (size_t i = 0; i < cfg_schema_nsite; i++) {
		if (strcmp(cfg_schema_site[i].name, f->name) == 0 && l->nsites > 0) {
			cfg_field_set(c, &cfg_schema_site[i], node, &l->sites[0]);
			return;
		}
	}
}

/* ----------------------------------------------------- copy, free, read */

void
cfg_site_free(struct config_site *s)
{
	cfg_strv_free(s->names, s->nnames);
	free(s->root);
	cfg_strv_free(s->index, s->nindex);
	cfg_headers_free(s->headers, s->nheaders);
	cfg_cache_free(s->cache, s->ncache);
	cfg_error_pages_free(s->error_pages, s->nerror_pages);
	free(s->fallback);
	free(s->certificate);
	free(s->key);
}

static char **
cfg_strv_copy(struct cfg_ctx *c, char *const *v, size_t n)
{
	char **out = calloc(n ? n : 1, sizeof(*out));

	if (out == NULL) {
		c->oom = true;
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = cfg_strdup_opt(c, v[i]);
	return out;
}

/* A site starts as a copy of the listener's default site (src): every key it
 * leaves out is the listener's. Names and certificate are its own. */
static void
cfg_site_inherit(struct cfg_ctx *c, struct config_site *dst, const struct config_site *src)
{
	*dst = (struct config_site){ 0 };
	dst->root = cfg_strdup_opt(c, src->root);
	dst->root_pos = src->root_pos;
	dst->index = cfg_strv_copy(c, src->index, src->nindex);
	dst->nindex = dst->index ? src->nindex : 0;
	dst->listing = src->listing;
	dst->dotfiles = src->dotfiles;
	dst->fallback = cfg_strdup_opt(c, src->fallback);
	if (src->nheaders > 0 && (dst->headers = calloc(src->nheaders, sizeof(*dst->headers))) != NULL) {
		for (size_t i = 0; i < src->nheaders; i++)
			dst->headers[i] = (struct config_header){ cfg_strdup_opt(c, src->headers[i].name),
				cfg_strdup_opt(c, src->headers[i].lname), cfg_strdup_opt(c, src->headers[i].value) };
		dst->nheaders = src->nheaders;
	}
	if (src->ncache > 0 && (dst->cache = calloc(src->ncache, sizeof(*dst->cache))) != NULL) {
		for (size_t i = 0; i < src->ncache; i++)
			dst->cache[i] = (struct config_cache){ cfg_strdup_opt(c, src->cache[i].match),
				cfg_strdup_opt(c, src->cache[i].control) };
		dst->ncache = src->ncache;
	}
	if (src->nerror_pages > 0 &&
	    (dst->error_pages = calloc(src->nerror_pages, sizeof(*dst->error_pages))) != NULL) {
		for (size_t i = 0; i < src->nerror_pages; i++)
			dst->error_pages[i] = (struct config_error_page){ src->error_pages[i].status,
				cfg_strdup_opt(c, src->error_pages[i].path) };
		dst->nerror_pages = src->nerror_pages;
	}
	if ((src->nheaders > 0 && dst->headers == NULL) || (src->ncache > 0 && dst->cache == NULL) ||
	    (src->nerror_pages > 0 && dst->error_pages == NULL))
		c->oom = true;
}

/* Read sites entry i at node into s (already inherited). */
static void
cfg_site_entry(struct cfg_ctx *c, size_t node, size_t i, struct config_site *s)
{
	static const char *const required[] = { "names", NULL };
	const struct cfg_node *n = cfg_node(c, node);
	size_t old;
	uint32_t seen;

	s->pos = (struct config_pos){ n->line, n->col };
	old = cfg_push(c, "sites[%zu].", i);
	seen = cfg_map(c, node, cfg_schema_site, cfg_schema_nsite, s);
	cfg_required(c, node, seen, cfg_schema_site, cfg_schema_nsite, required);
	if ((s->certificate == NULL) != (s->key == NULL))
		cfg_err(c, node, "\"%.*s\": a site's certificate needs its key, and a key its certificate",
			(int)strlen(c->prefix) - 1, c->prefix);
	cfg_pop(c, old);
}

/* The names of every site, for the duplicate check, with their nodes. */
static void
cfg_site_name_dups(struct cfg_ctx *c, size_t node, const struct config_listener *l)
{
	size_t total = 0, n = 0, e = 1;
	struct cfg_dup *d;

	for (size_t i = 1; i < l->nsites; i++)
		total += l->sites[i].nnames;
	if (total < 2)
		return;
	d = calloc(total, sizeof(*d));
	if (d == NULL) {
		c->oom = true;
		return;
	}
	for (size_t k = cfg_node(c, node)->first; k != CFG_NONE && e < l->nsites;
	     k = cfg_node(c, k)->next) {
		const struct config_site *s;

		if (cfg_node(c, k)->kind != CFG_MAP)
			continue;
		s = &l->sites[e++];
		n = cfg_names_nodes(c, k, "names", s->names, s->nnames, d, n, total);
	}
	cfg_dups(c, d, n, "site name", true);
	free(d);
}

/* A site with its own certificate becomes an SNI entry of its names. A name
 * also in an sni: entry would have two certificates: refused. */
static void
cfg_site_sni(struct cfg_ctx *c, struct config_listener *l, size_t nsni_own)
{
	size_t add = 0;
	struct config_sni *v;

	for (size_t i = 1; i < l->nsites; i++) {
		const struct config_site *s = &l->sites[i];

		if (s->certificate == NULL)
			continue;
		add++;
		for (size_t j = 0; j < s->nnames; j++) {
			for (size_t k = 0; k < nsni_own; k++) {
				for (size_t m = 0; m < l->sni[k].nnames; m++) {
					if (strcmp(s->names[j], l->sni[k].names[m]) != 0)
						continue;
					c->failed = true;
					config_error_add(c->errs, s->pos.line, s->pos.col,
							 "site name \"%s\" has a certificate and is also an "
							 "sni: name (line %d): one name, one certificate",
							 s->names[j], l->sni[k].pos.line);
				}
			}
		}
	}
	if (add == 0)
		return;
	v = realloc(l->sni, (l->nsni + add) * sizeof(*v));
	if (v == NULL) {
		c->oom = true;
		return;
	}
	l->sni = v;
	for (size_t i = 1; i < l->nsites; i++) {
		const struct config_site *s = &l->sites[i];
		struct config_sni *e = &l->sni[l->nsni];

		if (s->certificate == NULL)
			continue;
		*e = (struct config_sni){ .names = cfg_strv_copy(c, s->names, s->nnames),
			.certificate = cfg_strdup_opt(c, s->certificate),
			.key = cfg_strdup_opt(c, s->key), .pos = s->pos,
			.certificate_pos = s->certificate_pos, .key_pos = s->key_pos };
		e->nnames = e->names ? s->nnames : 0;
		l->nsni++;
	}
}

void
cfg_sites_read(struct cfg_ctx *c, size_t node, struct config_listener *l)
{
	const struct cfg_node *n = cfg_node(c, node);
	struct config_site *v;
	size_t i = 0, nsni_own = l->nsni, names = 0;

	if (n->kind == CFG_BAD || cfg_is_null(c, node))
		return;
	if (n->kind != CFG_SEQ) {
		cfg_err(c, node, "\"%ssites\" must be a sequence of {names, root, ...}, not a %s",
			c->prefix, cfg_kind_name(n->kind));
		return;
	}
	if (n->nkids > CFG_MAX_SITES) {
		cfg_err(c, node, "\"%ssites\": too many sites: %zu (at most %d)", c->prefix, n->nkids,
			CFG_MAX_SITES);
		return;
	}
	v = realloc(l->sites, (l->nsites + n->nkids) * sizeof(*v));
	if (v == NULL) {
		c->oom = true;
		return;
	}
	l->sites = v;
	for (size_t k = n->first; k != CFG_NONE; k = cfg_node(c, k)->next, i++) {
		const struct cfg_node *e = cfg_node(c, k);

		if (e->kind != CFG_MAP) {
			if (e->kind != CFG_BAD)
				cfg_err(c, k, "\"%ssites[%zu]\" must be a mapping with names and root, not a %s",
					c->prefix, i, cfg_kind_name(e->kind));
			continue;
		}
		cfg_site_inherit(c, &l->sites[l->nsites], &l->sites[0]);
		cfg_site_entry(c, k, i, &l->sites[l->nsites]);
		names += l->sites[l->nsites].nnames;
		l->nsites++;
	}
	if (names > CFG_MAX_SNI_NAMES) {
		cfg_err(c, node, "\"%ssites\": too many names: %zu (at most %d per listener)", c->prefix,
			names, CFG_MAX_SNI_NAMES);
		return;
	}
	cfg_site_name_dups(c, node, l);
	cfg_site_sni(c, l, nsni_own);
}
