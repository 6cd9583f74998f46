/* Unit tests for src/site.c: the sites of an endpoint built from a
 * configuration loaded with config_load_string, and the per-request lookups
 * (site_for_host, site_cache_control, site_error_page, site_dot_denied) and
 * rendered headers. Hosts and paths end at a PROT_NONE page (guard.h), so a
 * lookup that reads past the length it was given crashes. The roots are
 * opened for real in a temporary directory by one test; the others build the
 * sites without opening them, as -t does. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "guard.h"
#include "tlserve/config.h"
#include "tlserve/site.h"
#include "tlserve/worker.h"

/* An endpoint for the first listener of a configuration. */
struct ts_world {
	struct config *cfg;
	struct endpoint ep;
	struct guard g;
};

/* Load yaml (it must be valid) and build the first listener's sites. */
static void
ts_build(struct ts_world *w, const char *yaml, bool open_roots)
{
	struct config_errors errs = { 0 };

	memset(w, 0, sizeof(*w));
	if (config_load_string(yaml, strlen(yaml), "t.yaml", "/etc/tlserve", &w->cfg, &errs) != 0)
		fail_msg("config %d:%d: %s", errs.v[0].line, errs.v[0].col, errs.v[0].msg);
	w->ep.cfg = &w->cfg->listeners[0];
	if (site_open_all(&w->ep, open_roots, &errs) != 0)
		fail_msg("site_open_all: %s", errs.n ? errs.v[0].msg : "?");
	assert_int_equal(errs.n, 0);
	config_errors_free(&errs);
	guard_init(&w->g, 4096);
}

static void
ts_free(struct ts_world *w)
{
	site_close_all(&w->ep);
	assert_null(w->ep.sites);
	assert_int_equal(w->ep.nsites, 0);
	config_free(w->cfg);
	guard_free(&w->g);
}

/* The index of the site host (a C string, or NULL) selects. */
static long
ts_site(struct ts_world *w, const char *host)
{
	const struct site *s;

	if (host == NULL)
		s = site_for_host(&w->ep, NULL, 0);
	else
		s = site_for_host(&w->ep, guard_put(&w->g, host, strlen(host)), strlen(host));
	assert_non_null(s);
	assert_true(s >= w->ep.sites && s < w->ep.sites + w->ep.nsites);
	return s - w->ep.sites;
}

static const char *
ts_cache(struct ts_world *w, size_t site, const char *path)
{
	return site_cache_control(&w->ep.sites[site], guard_put(&w->g, path, strlen(path)),
				  strlen(path));
}

static bool
ts_dot(struct ts_world *w, size_t site, const char *path)
{
	return site_dot_denied(&w->ep.sites[site], guard_put(&w->g, path, strlen(path)),
			       strlen(path));
}

/* A listener with a default site and five named ones. */
static const char ts_yaml[] =
	"listeners:\n"
	"  - port: 1\n"
	"    headers:\n"
	"      Strict-Transport-Security: \"max-age=63072000\"\n"
	"      X-Content-Type-Options: nosniff\n"
	"    cache:\n"
	"      - {match: \"*.css\", control: \"public, max-age=31536000, immutable\"}\n"
	"      - {match: \"/sub/*\", control: no-cache}\n"
	"      - {match: \"/assets/**\", control: max-age=60}\n"
	"      - {match: \"*.html\", control: no-store}\n"
	"    error_pages: {404: /404.html, 503: /busy.html}\n"
	"    sites:\n"
	"      - names: [a.example, \"*.a.example\"]\n"              /* 1 */
	"      - names: [b.a.example]\n"                             /* 2: exact beats wildcard */
	"        headers: {X-Site: b, X-Pct: \"100% %s %n\"}\n"
	"      - names: [\"*.example\"]\n"                           /* 3 */
	"        cache: [{match: \"**\", control: all}]\n"
	"        dotfiles: allow\n"
	"      - names: [C.Example, xn--bcher-kva.example, localhost]\n"  /* 4 */
	"        headers: {}\n"
	"        cache: []\n"
	"        error_pages: {}\n"
	"      - names: [\"*.d.example\", d.example]\n";              /* 5 */

/* ----------------------------------------------------------- site_for_host */

struct hcase {
	const char *host;
	long site;
};

static const struct hcase host_cases[] = {
	{ "a.example", 1 },
	{ "A.EXAMPLE", 1 },             /* case-insensitive */
	{ "a.example:8443", 1 },        /* port removed */
	{ "a.example:", 1 },
	{ "a.example.", 1 },            /* one trailing dot removed */
	{ "a.example.:443", 1 },
	{ "a.example..", 0 },           /* not two */
	{ "x.a.example", 1 },           /* wildcard: one label */
	{ "X.A.Example:1", 1 },
	{ "b.a.example", 2 },           /* an exact name before any wildcard */
	{ "B.A.EXAMPLE.", 2 },
	{ "y.x.a.example", 0 },         /* "*" is exactly one label */
	{ "q.example", 3 },
	{ "a.b.example", 0 },
	{ "example", 0 },
	{ ".example", 0 },
	{ "c.example", 4 },             /* names are lower-cased by the loader */
	{ "XN--BCHER-KVA.EXAMPLE", 4 },
	{ "localhost:8443", 4 },
	{ "d.example", 5 },             /* exact names before wildcards whatever the order */
	{ "x.d.example", 5 },
	{ "[::1]:8443", 0 },            /* IPv6 literal: no site has it */
	{ "[::1]", 0 },
	{ "[a.example]", 0 },
	{ "127.0.0.1:443", 0 },
	{ "unknown.test", 0 },
	{ "a.example.test", 0 },
	{ "aa.example.x", 0 },
	{ "", 0 },
	{ ":443", 0 },
	{ ".", 0 },
};

static void
test_site_for_host(void **state)
{
	struct ts_world w;

	(void)state;
	ts_build(&w, ts_yaml, false);
	assert_int_equal(w.ep.nsites, 6);
	for (size_t i = 0; i < sizeof(host_cases) / sizeof(host_cases[0]); i++) {
		long got = ts_site(&w, host_cases[i].host);

		if (got != host_cases[i].site)
			fail_msg("host \"%s\": site %ld, want %ld", host_cases[i].host, got,
				 host_cases[i].site);
	}
	assert_int_equal(ts_site(&w, NULL), 0);  /* no Host: the default site */
	ts_free(&w);
}

/* The lookup reads host[0..n) only, and refuses a name too long to be one. */
static void
test_site_for_host_bounds(void **state)
{
	struct ts_world w;
	char long_host[400];
	const char *p;

	(void)state;
	ts_build(&w, ts_yaml, false);
	p = guard_put(&w.g, "a.exampleZZZ", 12);
	assert_ptr_equal(site_for_host(&w.ep, p, 9), &w.ep.sites[1]);
	assert_ptr_equal(site_for_host(&w.ep, p, 0), &w.ep.sites[0]);
	memset(long_host, 'a', sizeof(long_host));
	memcpy(long_host + sizeof(long_host) - 10, ".a.example", 10);
	p = guard_put(&w.g, long_host, sizeof(long_host));
	assert_ptr_equal(site_for_host(&w.ep, p, sizeof(long_host)), &w.ep.sites[0]);
	ts_free(&w);
}

/* Each site's name is its first name; the default site has none. */
static void
test_site_names(void **state)
{
	struct ts_world w;

	(void)state;
	ts_build(&w, ts_yaml, false);
	assert_null(w.ep.sites[0].name);
	assert_string_equal(w.ep.sites[1].name, "a.example");
	assert_string_equal(w.ep.sites[2].name, "b.a.example");
	assert_string_equal(w.ep.sites[3].name, "*.example");
	assert_string_equal(w.ep.sites[4].name, "c.example");
	for (size_t i = 0; i < w.ep.nsites; i++) {
		assert_ptr_equal(w.ep.sites[i].cfg, &w.cfg->listeners[0].sites[i]);
		assert_int_equal(w.ep.sites[i].rootfd, -1);  /* not opened */
	}
	ts_free(&w);
}

/* A listener without sites: every Host is the default site. */
static void
test_site_default_only(void **state)
{
	struct ts_world w;

	(void)state;
	ts_build(&w, "listeners: [{port: 1}]\n", false);
	assert_int_equal(w.ep.nsites, 1);
	assert_int_equal(ts_site(&w, "a.example"), 0);
	assert_int_equal(ts_site(&w, "[::1]:1"), 0);
	assert_int_equal(ts_site(&w, NULL), 0);
	assert_null(w.ep.sites[0].h1_headers);
	assert_int_equal(w.ep.sites[0].h1_headers_len, 0);
	assert_null(ts_cache(&w, 0, "/a.css"));
	assert_null(site_error_page(&w.ep.sites[0], 404));
	ts_free(&w);
}

/* Echo and redirect listeners have no sites. */
static void
test_site_no_sites(void **state)
{
	struct ts_world w;

	(void)state;
	ts_build(&w, "listeners: [{port: 1, mode: echo}]\n", true);
	assert_int_equal(w.ep.nsites, 0);
	assert_null(w.ep.sites);
	assert_null(site_for_host(&w.ep, "a", 1));
	ts_free(&w);
	ts_build(&w, "listeners: [{port: 1, mode: redirect}]\n", true);
	assert_int_equal(w.ep.nsites, 0);
	assert_null(site_for_host(&w.ep, NULL, 0));
	ts_free(&w);
}

/* ----------------------------------------------------- site_cache_control */

struct ccase {
	size_t site;
	const char *path, *want;  /* want NULL: no rule matches */
};

#define CC_IMM "public, max-age=31536000, immutable"

static const struct ccase cache_cases[] = {
	{ 0, "/style.css", CC_IMM },
	{ 0, "/deep/dir/x.css", CC_IMM },          /* no '/': the file name, in any directory */
	{ 0, "/.css", CC_IMM },
	{ 0, "/a.CSS", NULL },                     /* case-sensitive */
	{ 0, "/a.css/b", NULL },                   /* the last segment only */
	{ 0, "/a.css.map", NULL },
	{ 0, "/css", NULL },
	{ 0, "/sub/a.js", "no-cache" },            /* with '/': the whole path */
	{ 0, "/sub/", "no-cache" },                /* a listing of /sub/ */
	{ 0, "/sub", NULL },
	{ 0, "/sub/x/a.js", NULL },                /* "*" stays within a segment */
	{ 0, "/x/sub/a.js", NULL },
	{ 0, "/sub/a.css", CC_IMM },               /* first match wins */
	{ 0, "/sub/index.html", "no-cache" },      /* rule 2 before rule 4 */
	{ 0, "/index.html", "no-store" },
	{ 0, "/x/y/page.html", "no-store" },
	{ 0, "/assets/a/b/c.js", "max-age=60" },   /* "**" crosses '/' */
	{ 0, "/assets/", "max-age=60" },
	{ 0, "/assets/a.css", CC_IMM },
	{ 0, "/assets", NULL },
	{ 0, "/x.js", NULL },
	{ 0, "/", NULL },
	{ 1, "/style.css", CC_IMM },               /* inherited */
	{ 1, "/sub/a.js", "no-cache" },
	{ 2, "/assets/x", "max-age=60" },
	{ 3, "/x.js", "all" },                     /* its own rules replace the listener's */
	{ 3, "/a/b/c/d.css", "all" },
	{ 3, "/", "all" },
	{ 4, "/style.css", NULL },                 /* cache: [] means none */
	{ 4, "/sub/a.js", NULL },
};

static void
test_site_cache_control(void **state)
{
	struct ts_world w;

	(void)state;
	ts_build(&w, ts_yaml, false);
	for (size_t i = 0; i < sizeof(cache_cases) / sizeof(cache_cases[0]); i++) {
		const struct ccase *c = &cache_cases[i];
		const char *got = ts_cache(&w, c->site, c->path);

		if (c->want == NULL ? got != NULL : got == NULL || strcmp(got, c->want) != 0)
			fail_msg("site %zu \"%s\": \"%s\", want \"%s\"", c->site, c->path,
				 got ? got : "(none)", c->want ? c->want : "(none)");
	}
	/* path[0..n) only */
	assert_null(site_cache_control(&w.ep.sites[0], guard_put(&w.g, "/style.css", 10), 6));
	assert_string_equal(site_cache_control(&w.ep.sites[0], "/a.cssX", 6), CC_IMM);
	ts_free(&w);
}

/* A name rule and a path rule for the same file: the first in order wins. */
static void
test_site_cache_order(void **state)
{
	struct ts_world w;

	(void)state;
	ts_build(&w,
		 "listeners:\n  - port: 1\n    cache:\n"
		 "      - {match: \"/app/main.js\", control: path}\n"
		 "      - {match: \"main.js\", control: name}\n"
		 "      - {match: \"/app/**\", control: tree}\n"
		 "      - {match: \"**\", control: rest}\n",
		 false);
	assert_string_equal(ts_cache(&w, 0, "/app/main.js"), "path");
	assert_string_equal(ts_cache(&w, 0, "/main.js"), "name");
	assert_string_equal(ts_cache(&w, 0, "/lib/main.js"), "name");
	assert_string_equal(ts_cache(&w, 0, "/app/x/main.js"), "name");
	assert_string_equal(ts_cache(&w, 0, "/app/x/y.js"), "tree");
	assert_string_equal(ts_cache(&w, 0, "/y.js"), "rest");
	assert_string_equal(ts_cache(&w, 0, "/"), "rest");
	ts_free(&w);
	ts_build(&w,
		 "listeners:\n  - port: 1\n    cache:\n"
		 "      - {match: \"main.js\", control: name}\n"
		 "      - {match: \"/app/main.js\", control: path}\n",
		 false);
	assert_string_equal(ts_cache(&w, 0, "/app/main.js"), "name");
	assert_null(ts_cache(&w, 0, "/app/other.js"));
	ts_free(&w);
}

/* -------------------------------------------------------- site_error_page */

static void
test_site_error_page(void **state)
{
	struct ts_world w;

	(void)state;
	ts_build(&w, ts_yaml, false);
	assert_string_equal(site_error_page(&w.ep.sites[0], 404), "/404.html");
	assert_string_equal(site_error_page(&w.ep.sites[0], 503), "/busy.html");
	assert_null(site_error_page(&w.ep.sites[0], 500));
	assert_null(site_error_page(&w.ep.sites[0], 421));
	assert_null(site_error_page(&w.ep.sites[0], 0));
	assert_null(site_error_page(&w.ep.sites[0], 200));
	assert_string_equal(site_error_page(&w.ep.sites[1], 404), "/404.html");  /* inherited */
	assert_string_equal(site_error_page(&w.ep.sites[3], 503), "/busy.html");
	assert_null(site_error_page(&w.ep.sites[4], 404));                       /* {}: none */
	ts_free(&w);
	ts_build(&w,
		 "listeners:\n  - port: 1\n    error_pages: {404: /404.html}\n"
		 "    sites: [{names: a.test, error_pages: {421: /421.html, 0599: /599.html}}]\n",
		 false);
	assert_string_equal(site_error_page(&w.ep.sites[1], 421), "/421.html");
	assert_string_equal(site_error_page(&w.ep.sites[1], 599), "/599.html");
	assert_null(site_error_page(&w.ep.sites[1], 404));  /* replaced, not merged */
	assert_string_equal(site_error_page(&w.ep.sites[0], 404), "/404.html");
	ts_free(&w);
}

/* -------------------------------------------------------- site_dot_denied */

struct dcase {
	const char *path;
	bool denied;
};

static const struct dcase dot_cases[] = {
	{ "/.well-known/security.txt", false },    /* RFC 8615 */
	{ "/.well-known/acme-challenge/tok", false },
	{ "/.well-known", false },
	{ "/.well-known/", false },
	{ "/.well-known/.x", true },               /* any other dot name stays hidden */
	{ "/.well-known/a/.b/c", true },
	{ "/.well-known/a.b", false },
	{ "/.well-knownx/a", true },               /* the whole first segment only */
	{ "/.well-known-x", true },
	{ "/.WELL-KNOWN/x", true },
	{ "/a/.well-known/x", true },              /* the FIRST segment only */
	{ "/.git/config", true },
	{ "/.htaccess", true },
	{ "/a/.b", true },
	{ "/a/.b/c", true },
	{ "/a/b", false },
	{ "/a.b/c.d", false },
	{ "/a/b.", false },
	{ "/", false },
	{ "/index.html", false },
};

static void
test_site_dot_denied(void **state)
{
	struct ts_world w;

	(void)state;
	ts_build(&w, ts_yaml, false);
	for (size_t i = 0; i < sizeof(dot_cases) / sizeof(dot_cases[0]); i++) {
		const struct dcase *c = &dot_cases[i];

		if (ts_dot(&w, 0, c->path) != c->denied)
			fail_msg("\"%s\": denied %d, want %d", c->path, !c->denied, c->denied);
		if (ts_dot(&w, 1, c->path) != c->denied)  /* inherited dotfiles: deny */
			fail_msg("site 1 \"%s\": denied %d, want %d", c->path, !c->denied,
				 c->denied);
		if (ts_dot(&w, 3, c->path))               /* dotfiles: allow */
			fail_msg("allow: \"%s\" denied", c->path);
	}
	/* norm[0..len) only */
	assert_false(site_dot_denied(&w.ep.sites[0], guard_put(&w.g, "/a/.b", 5), 2));
	assert_false(site_dot_denied(&w.ep.sites[0], guard_put(&w.g, "/.well-known/.x", 15), 13));
	assert_true(site_dot_denied(&w.ep.sites[0], guard_put(&w.g, "/.well-known", 12), 6));
	ts_free(&w);
	ts_build(&w, "listeners: [{port: 1, dotfiles: allow, sites: [{names: a.test, "
		     "dotfiles: deny}]}]\n", false);
	assert_false(ts_dot(&w, 0, "/.git/config"));
	assert_true(ts_dot(&w, 1, "/.git/config"));
	assert_false(ts_dot(&w, 1, "/.well-known/security.txt"));
	ts_free(&w);
}

/* ------------------------------------------------------------- h1_headers */

static void
test_site_h1_headers(void **state)
{
	static const char want0[] = "Strict-Transport-Security: max-age=63072000\r\n"
				    "X-Content-Type-Options: nosniff\r\n";
	static const char want2[] = "X-Site: b\r\nX-Pct: 100% %s %n\r\n";
	struct ts_world w;

	(void)state;
	ts_build(&w, ts_yaml, false);
	assert_int_equal(w.ep.sites[0].h1_headers_len, sizeof(want0) - 1);
	assert_memory_equal(w.ep.sites[0].h1_headers, want0, sizeof(want0) - 1);
	assert_int_equal(w.ep.sites[1].h1_headers_len, sizeof(want0) - 1);  /* inherited */
	assert_memory_equal(w.ep.sites[1].h1_headers, want0, sizeof(want0) - 1);
	assert_ptr_not_equal(w.ep.sites[1].h1_headers, w.ep.sites[0].h1_headers);
	assert_int_equal(w.ep.sites[2].h1_headers_len, sizeof(want2) - 1);  /* replaced */
	assert_memory_equal(w.ep.sites[2].h1_headers, want2, sizeof(want2) - 1);
	assert_null(w.ep.sites[4].h1_headers);                              /* headers: {} */
	assert_int_equal(w.ep.sites[4].h1_headers_len, 0);
	ts_free(&w);
}

/* 64 headers with long values: the rendered block is exact. */
static void
test_site_h1_headers_many(void **state)
{
	char *yaml = malloc(64 * 600 + 256), *want = malloc(64 * 600);
	char value[101];  /* 64 lines of about 113 bytes: under the 8192-byte cap */
	size_t o, wo = 0;
	struct ts_world w;

	(void)state;
	assert_non_null(yaml);
	assert_non_null(want);
	memset(value, 'v', 100);
	value[100] = '\0';
	o = (size_t)sprintf(yaml, "listeners:\n  - port: 1\n    headers:\n");
	for (int i = 0; i < 64; i++) {
		o += (size_t)sprintf(yaml + o, "      X-H%02d: \"%s %d\"\n", i, value, i);
		wo += (size_t)sprintf(want + wo, "X-H%02d: %s %d\r\n", i, value, i);
	}
	ts_build(&w, yaml, false);
	assert_int_equal(w.ep.sites[0].h1_headers_len, wo);
	assert_memory_equal(w.ep.sites[0].h1_headers, want, wo);
	ts_free(&w);
	free(yaml);
	free(want);
}

/* ------------------------------------------------------- roots, for real */

struct ts_dir {
	char path[64];
};

static int
ts_dir_setup(void **state)
{
	struct ts_dir *d = calloc(1, sizeof(*d));
	char p[128];

	if (d == NULL)
		return -1;
	strcpy(d->path, "/tmp/tlserve-test-site-XXXXXX");
	if (mkdtemp(d->path) == NULL) {
		free(d);
		return -1;
	}
	snprintf(p, sizeof(p), "%s/www", d->path);
	if (mkdir(p, 0755) != 0)
		return -1;
	snprintf(p, sizeof(p), "%s/a", d->path);
	if (mkdir(p, 0755) != 0)
		return -1;
	snprintf(p, sizeof(p), "%s/file", d->path);
	if (close(open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) != 0)
		return -1;
	*state = d;
	return 0;
}

static int
ts_dir_teardown(void **state)
{
	struct ts_dir *d = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
	if (system(cmd) != 0)
		return -1;
	free(d);
	return 0;
}

static bool
ts_is_dir_fd(int fd)
{
	struct stat st;

	return fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Each site gets a descriptor of its own root (the listener's when it sets
 * none); a root that cannot be opened is reported at its position, and
 * site_close_all undoes a partial build. */
static void
test_site_open_roots(void **state)
{
	struct ts_dir *d = *state;
	struct config_errors errs = { 0 };
	struct config *cfg = NULL;
	struct endpoint ep = { 0 };
	char yaml[1024];

	snprintf(yaml, sizeof(yaml),
		 "listeners:\n  - port: 1\n    root: %s/www\n    sites:\n"
		 "      - {names: a.test, root: %s/a}\n      - {names: b.test}\n",
		 d->path, d->path);
	assert_int_equal(config_load_string(yaml, strlen(yaml), "t.yaml", "/", &cfg, &errs), 0);
	ep.cfg = &cfg->listeners[0];
	assert_int_equal(site_open_all(&ep, true, &errs), 0);
	assert_int_equal(errs.n, 0);
	assert_int_equal(ep.nsites, 3);
	for (size_t i = 0; i < 3; i++)
		assert_true(ts_is_dir_fd(ep.sites[i].rootfd));
	assert_int_not_equal(ep.sites[0].rootfd, ep.sites[1].rootfd);
	assert_int_not_equal(ep.sites[0].rootfd, ep.sites[2].rootfd);
	site_close_all(&ep);
	config_free(cfg);
	cfg = NULL;

	snprintf(yaml, sizeof(yaml),
		 "listeners:\n  - port: 1\n    root: %s/www\n    headers: {X-A: b}\n    sites:\n"
		 "      - names: a.test\n        root: %s/missing\n"
		 "      - names: b.test\n        root: %s/file\n"
		 "      - names: c.test\n",
		 d->path, d->path, d->path);
	assert_int_equal(config_load_string(yaml, strlen(yaml), "t.yaml", "/", &cfg, &errs), 0);
	ep = (struct endpoint){ .cfg = &cfg->listeners[0] };
	assert_int_equal(site_open_all(&ep, true, &errs), -1);
	for (size_t i = 0; errs.n != 2 && i < errs.n; i++)
		print_message("  %d:%d: %s\n", errs.v[i].line, errs.v[i].col, errs.v[i].msg);
	assert_int_equal(errs.n, 2);
	assert_int_equal(errs.v[0].line, 7);
	assert_int_equal(errs.v[0].col, 15);
	assert_int_equal(errs.v[1].line, 9);
	assert_int_equal(errs.v[1].col, 15);
	assert_int_equal(ep.nsites, 4);
	assert_true(ts_is_dir_fd(ep.sites[0].rootfd));
	assert_int_equal(ep.sites[1].rootfd, -1);
	assert_int_equal(ep.sites[2].rootfd, -1);
	assert_true(ts_is_dir_fd(ep.sites[3].rootfd));
	site_close_all(&ep);  /* after a failure too: valgrind sees no leak */
	config_free(cfg);
	config_errors_free(&errs);
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_site_for_host),
		cmocka_unit_test(test_site_for_host_bounds),
		cmocka_unit_test(test_site_names),
		cmocka_unit_test(test_site_default_only),
		cmocka_unit_test(test_site_no_sites),
		cmocka_unit_test(test_site_cache_control),
		cmocka_unit_test(test_site_cache_order),
		cmocka_unit_test(test_site_error_page),
		cmocka_unit_test(test_site_dot_denied),
		cmocka_unit_test(test_site_h1_headers),
		cmocka_unit_test(test_site_h1_headers_many),
		cmocka_unit_test_setup_teardown(test_site_open_roots, ts_dir_setup,
						ts_dir_teardown),
	};

	return cmocka_run_group_tests_name("site", tests, NULL, NULL);
}
