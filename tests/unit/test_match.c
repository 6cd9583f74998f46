/* Unit tests for src/match.c: named, table-driven. Patterns, paths and Host
 * values end at a PROT_NONE page and match_host_key writes into a buffer of
 * exactly cap bytes that ends at one, so any over-read or over-write crashes.
 * match_glob is also checked against a small dynamic-programming reference on
 * every pattern and path over a tiny alphabet, and timed on the patterns that
 * make backtracking matchers blow up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "guard.h"
#include "tlserve/config.h"
#include "tlserve/match.h"

/* ------------------------------------------------------------ match_glob */

struct gcase {
	const char *name, *pat, *s;
	bool want;
};

static const struct gcase glob_cases[] = {
	{ "empty_empty", "", "", true },
	{ "empty_pat", "", "a", false },
	{ "empty_path", "a", "", false },
	{ "literal", "index.html", "index.html", true },
	{ "literal_prefix", "index.htm", "index.html", false },
	{ "literal_longer", "index.html", "index.htm", false },
	{ "literal_case", "INDEX.html", "index.html", false },
	{ "star_empty", "*", "", true },
	{ "star_any", "*", "abc", true },
	{ "star_no_slash", "*", "a/b", false },
	{ "star_ext", "*.css", "site.css", true },
	{ "star_ext_empty_name", "*.css", ".css", true },
	{ "star_ext_other", "*.css", "site.js", false },
	{ "star_ext_suffix", "*.css", "site.css.map", false },
	{ "star_middle", "a*c", "abbbc", true },
	{ "star_middle_empty", "a*c", "ac", true },
	{ "star_two", "*.min.*", "app.min.js", true },
	{ "star_backtrack", "*ab", "aaab", true },
	{ "star_backtrack_fail", "*ab", "aaba", false },
	{ "star_segment", "/sub/*", "/sub/a.html", true },
	{ "star_segment_deeper", "/sub/*", "/sub/x/a.html", false },
	{ "star_segment_dir", "/sub/*", "/sub/", true },
	{ "star_both_segments", "/*/*.js", "/js/app.js", true },
	{ "star_both_segments_deep", "/*/*.js", "/a/b/app.js", false },
	{ "star_slash_aligned", "a*/b", "ax/b", true },
	{ "star_slash_no_cross", "a*/b", "ax/c/b", false },
	{ "dstar_all", "**", "/a/b/c", true },
	{ "dstar_empty", "**", "", true },
	{ "tstar_is_dstar", "***", "/a/b", true },
	{ "dstar_ext", "/**.js", "/a/b/c.js", true },
	{ "dstar_ext_fail", "/**.js", "/a/b/c.jsx", false },
	{ "dstar_prefix", "/static/**", "/static/a/b.png", true },
	{ "dstar_prefix_other", "/static/**", "/stat/a", false },
	{ "dstar_slash_literal", "/**/x", "/x", false },
	{ "dstar_slash_one_dir", "/**/x", "/a/x", true },
	{ "dstar_then_star", "/**/*.css", "/a/b/c.css", true },
	{ "dstar_then_star_same_seg", "/**/*.css", "/a/b/c.css/d", false },
	{ "dstar_middle", "/a/**/z", "/a/b/c/z", true },
	{ "dstar_middle_fail", "/a/**/z", "/a/b/c/y", false },
	{ "dstar_two", "/**/m/**.gz", "/x/m/y/z.gz", true },
	{ "dstar_two_order", "/**/m/**.gz", "/x/y/z.gz/m/", false },
	{ "dstar_chunk_retry_seg", "**a*b", "xa/ab", true },
	{ "dstar_chunk_star_stops", "**a*", "xa/y", false },
	{ "dstar_chunk_skip_seg", "**a/b*c", "xa/bz/a/bc", true },
	{ "dstar_chunk_slash_start", "**/b*c", "a/bx/b/bc", true },
	{ "dstar_chunk_late", "**c*a*b", "ca/cab", true },
	{ "star_then_dstar", "*/**", "a/b/c", true },
	{ "star_then_dstar_no_slash", "*/**", "abc", false },
	{ "literal_star_none", "a", "*", false },
	{ "star_matches_star", "*", "*", true },
	{ "dot_segment_literal", "/.well-known/*", "/.well-known/x", true },
	{ "utf8", "*\xc3\xa9", "caf\xc3\xa9", true },
};

#define NGLOB (sizeof(glob_cases) / sizeof(glob_cases[0]))

static void
run_glob(void **state)
{
	const struct gcase *c = *state;
	size_t pl = strlen(c->pat), n = strlen(c->s);
	struct guard gp, gs;
	const char *p, *s;

	guard_init(&gp, pl);
	guard_init(&gs, n);
	p = guard_put(&gp, c->pat, pl);
	s = guard_put(&gs, c->s, n);
	assert_int_equal(match_glob(p, pl, s, n), c->want);
	guard_free(&gs);
	guard_free(&gp);
}

/* Does pat[pi..) match s[si..)? The definition, one table entry per suffix
 * pair: O(plen * n^2), fine for a few bytes. */
#define REF_MAX 12
static bool
ref_glob(const char *pat, size_t plen, const char *s, size_t n)
{
	bool m[REF_MAX + 2][REF_MAX + 2];

	for (size_t pi = plen + 1; pi-- > 0;) {
		for (size_t si = n + 1; si-- > 0;) {
			size_t r = 0;
			bool v = false;

			while (pi + r < plen && pat[pi + r] == '*')
				r++;
			if (pi == plen) {
				v = si == n;
			} else if (r >= 2) {
				for (size_t k = si; k <= n && !v; k++)
					v = m[pi + r][k];
			} else if (r == 1) {
				for (size_t k = si; k <= n && !v; k++) {
					v = m[pi + 1][k];
					if (k < n && s[k] == '/')
						break;
				}
			} else {
				v = si < n && pat[pi] == s[si] && m[pi + 1][si + 1];
			}
			m[pi][si] = v;
		}
	}
	return m[0][0];
}

/* Write the k-th string over alphabet a (base len(a), length len) into out. */
static void
nth_string(unsigned long k, const char *a, size_t len, char *out)
{
	size_t base = strlen(a);

	for (size_t i = 0; i < len; i++) {
		out[i] = a[k % base];
		k /= base;
	}
}

/* Every pattern over {a,/,*} up to 6 bytes against every path over {a,b,/}
 * up to 5 bytes: 1093 patterns x 364 paths. */
static void
glob_exhaustive(void **state)
{
	char pat[8], s[8];
	unsigned long np = 1, ns, disagree = 0, checked = 0;

	(void)state;
	for (size_t pl = 0; pl <= 6; pl++, np *= 3) {
		for (unsigned long i = 0; i < np; i++) {
			nth_string(i, "a/*", pl, pat);
			ns = 1;
			for (size_t n = 0; n <= 5; n++, ns *= 3) {
				for (unsigned long j = 0; j < ns; j++) {
					nth_string(j, "ab/", n, s);
					if (match_glob(pat, pl, s, n) != ref_glob(pat, pl, s, n)) {
						if (disagree++ == 0)
							print_error("disagree: \"%.*s\" \"%.*s\"\n",
							            (int)pl, pat, (int)n, s);
					}
					checked++;
				}
			}
		}
	}
	assert_int_equal(checked, 1093ul * 364ul);
	assert_int_equal(disagree, 0);
}

/* Random longer pairs (a fixed LCG: the same every run) over {a,b,/,*}. */
static void
glob_random(void **state)
{
	uint32_t x = 14;
	char pat[REF_MAX], s[REF_MAX];
	unsigned long disagree = 0;

	(void)state;
	for (int t = 0; t < 200000; t++) {
		size_t pl, n;

		x = x * 1103515245u + 12345u;
		pl = (x >> 16) % (REF_MAX + 1);
		x = x * 1103515245u + 12345u;
		n = (x >> 16) % (REF_MAX + 1);
		for (size_t i = 0; i < pl; i++) {
			x = x * 1103515245u + 12345u;
			pat[i] = "ab/**"[(x >> 16) % 5];
		}
		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			s[i] = "aab/"[(x >> 16) % 4];
		}
		if (match_glob(pat, pl, s, n) != ref_glob(pat, pl, s, n) && disagree++ == 0)
			print_error("disagree: \"%.*s\" \"%.*s\"\n", (int)pl, pat, (int)n, s);
	}
	assert_int_equal(disagree, 0);
}

/* Patterns that take exponential time with naive backtracking: each must
 * answer in well under a second (O(plen * n) is ~10^7 steps here). */
static void
glob_no_blowup(void **state)
{
	static char pat[4096], s[4096];
	static const char *const unit[] = { "*a", "**a", "*a**a", "**/a*" };
	clock_t t0 = clock();

	(void)state;
	memset(s, 'a', sizeof(s));
	for (size_t u = 0; u < sizeof(unit) / sizeof(unit[0]); u++) {
		size_t ul = strlen(unit[u]), pl = 0;

		while (pl + ul + 1 <= 2000) {
			memcpy(pat + pl, unit[u], ul);
			pl += ul;
		}
		pat[pl++] = 'b';
		assert_false(match_glob(pat, pl, s, sizeof(s)));
		pat[pl - 1] = 'a';
		assert_int_equal(match_glob(pat, pl, s, sizeof(s)), u < 3);
	}
	/* a slash every other byte: each "**" start is tried per segment */
	for (size_t i = 1; i < sizeof(s); i += 2)
		s[i] = '/';
	memset(pat, 0, sizeof(pat));
	for (size_t i = 0; i + 3 <= 3000; i += 3)
		memcpy(pat + i, "**a", 3);
	assert_false(match_glob(pat, 3000, s, sizeof(s)));
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 5.0);
}

/* ------------------------------------------------------- match_path_rule */

struct rcase {
	const char *name, *pat, *path;
	bool want;
};

static const struct rcase rule_cases[] = {
	{ "name_in_root", "*.css", "/site.css", true },
	{ "name_deep", "*.css", "/a/b/site.css", true },
	{ "name_dir_part_ignored", "*.css", "/x.css/index.html", false },
	{ "name_exact", "index.html", "/sub/index.html", true },
	{ "name_exact_other", "index.html", "/sub/index.htm", false },
	{ "name_dstar_stays_in_name", "**.css", "/a/b.css", true },
	{ "name_listing_empty", "*", "/sub/", true },
	{ "name_listing_literal", "sub", "/sub/", false },
	{ "path_whole", "/sub/*", "/sub/a.html", true },
	{ "path_whole_anchored", "/sub/*", "/x/sub/a.html", false },
	{ "path_listing", "/sub/", "/sub/", true },
	{ "path_root_listing", "/", "/", true },
	{ "path_root_not_file", "/", "/a", false },
	{ "path_dstar", "/assets/**", "/assets/v1/app.js", true },
	{ "path_case", "/Sub/*", "/sub/a", false },
};

#define NRULE (sizeof(rule_cases) / sizeof(rule_cases[0]))

static void
run_rule(void **state)
{
	const struct rcase *c = *state;
	size_t pl = strlen(c->pat), n = strlen(c->path);
	struct guard gp, gs;
	const char *p, *s;

	guard_init(&gp, pl);
	guard_init(&gs, n);
	p = guard_put(&gp, c->pat, pl);
	s = guard_put(&gs, c->path, n);
	assert_int_equal(match_path_rule(p, pl, s, n), c->want);
	guard_free(&gs);
	guard_free(&gp);
}

/* ------------------------------------------------- match_path_rule_check */

struct kcase {
	const char *name, *pat;
	const char *why;  /* a word the reason holds, or NULL: accepted */
};

static const struct kcase check_cases[] = {
	{ "ok_name", "*.css", NULL },
	{ "ok_path", "/sub/*", NULL },
	{ "ok_root", "/", NULL },
	{ "ok_dir", "/sub/", NULL },
	{ "ok_dstar", "**", NULL },
	{ "ok_dot_name", ".htaccess", NULL },
	{ "ok_dots_in_name", "/a/..x/x..", NULL },
	{ "ok_well_known", "/.well-known/**", NULL },
	{ "ok_three_dots", "/...", NULL },
	{ "empty", "", "empty" },
	{ "relative", "sub/*", "start with '/'" },
	{ "relative_dstar", "**/x", "start with '/'" },
	{ "double_slash", "/a//b", "\"//\"" },
	{ "double_slash_end", "/a//", "\"//\"" },
	{ "dot_segment", "/a/./b", "segment" },
	{ "dotdot_segment", "/a/../b", "segment" },
	{ "dotdot_end", "/a/..", "segment" },
	{ "dot_end", "/.", "segment" },
	{ "dot_name", ".", "segment" },
	{ "dotdot_name", "..", "segment" },
	{ "control_tab", "a\tb", "control" },
	{ "control_del", "/a\x7f", "control" },
	{ "control_lf", "*.css\n", "control" },
};

#define NCHECK (sizeof(check_cases) / sizeof(check_cases[0]))

static void
run_check(void **state)
{
	const struct kcase *c = *state;
	size_t n = strlen(c->pat);
	struct guard g;
	const char *why;

	guard_init(&g, n + 1);
	why = match_path_rule_check(guard_put(&g, c->pat, n + 1));
	if (c->why == NULL) {
		assert_null(why);
	} else {
		assert_non_null(why);
		assert_non_null(strstr(why, c->why));
	}
	guard_free(&g);
}

/* -------------------------------------------------------- match_host_key */

struct hcase {
	const char *name, *in;
	const char *want;  /* "" for 0 */
	size_t cap;
};

static const struct hcase key_cases[] = {
	{ "name", "a.example", "a.example", 256 },
	{ "name_port", "a.example:8443", "a.example", 256 },
	{ "upper", "HOST.Example", "host.example", 256 },
	{ "trailing_dot", "HOST.EXAMPLE.", "host.example", 256 },
	{ "trailing_dot_port", "a.example.:443", "a.example", 256 },
	{ "empty_port", "a.example:", "a.example", 256 },
	{ "ipv4", "127.0.0.1:443", "127.0.0.1", 256 },
	{ "ipv6", "[::1]", "[::1]", 256 },
	{ "ipv6_port", "[::1]:8443", "[::1]", 256 },
	{ "ipv6_upper", "[FE80::A]:1", "[fe80::a]", 256 },
	{ "localhost", "localhost", "localhost", 256 },
	{ "one_char", "A", "a", 256 },
	{ "fits_exactly", "a.example", "a.example", 9 },
	{ "fits_exactly_dot", "a.example.", "a.example", 9 },
	{ "too_long", "a.example", "", 8 },
	{ "too_long_v6", "[::1]", "", 4 },
	{ "cap_zero", "a", "", 0 },
	{ "empty", "", "", 256 },
	{ "port_only", ":80", "", 256 },
	{ "dot_only", ".", "", 256 },
	{ "dot_port", ".:443", "", 256 },
	{ "two_dots", "a..", "", 256 },
	{ "v6_unclosed", "[::1", "", 256 },
	{ "v6_empty", "[]", "", 256 },
	{ "v6_junk", "[::1]x", "", 256 },
};

#define NKEY (sizeof(key_cases) / sizeof(key_cases[0]))

static void
run_key(void **state)
{
	const struct hcase *c = *state;
	size_t n = strlen(c->in), wl = strlen(c->want), r;
	struct guard gi, go;
	char *out;

	guard_init(&gi, n);
	guard_init(&go, c->cap);
	out = guard_out(&go, c->cap);
	r = match_host_key(guard_put(&gi, c->in, n), n, out, c->cap);
	assert_int_equal(r, wl);
	if (wl > 0)
		assert_memory_equal(out, c->want, wl);
	else if (c->cap > 0)
		assert_int_equal((unsigned char)out[0], 0xa5);  /* untouched */
	guard_free(&go);
	guard_free(&gi);
}

/* ------------------------------------------------------- match_host_name */

struct ncase {
	const char *name, *site, *host;
	bool want;
};

static const struct ncase name_cases[] = {
	{ "exact", "a.example", "a.example", true },
	{ "exact_other", "a.example", "b.example", false },
	{ "exact_prefix", "a.example", "a.exampl", false },
	{ "exact_longer", "a.example", "x.a.example", false },
	{ "wild_one_label", "*.a.example", "x.a.example", true },
	{ "wild_long_label", "*.a.example", "www-1.a.example", true },
	{ "wild_not_bare", "*.a.example", "a.example", false },
	{ "wild_not_two_labels", "*.a.example", "y.x.a.example", false },
	{ "wild_not_empty_label", "*.a.example", ".a.example", false },
	{ "wild_not_suffix_only", "*.a.example", "xa.example", false },
	{ "wild_other_domain", "*.a.example", "x.b.example", false },
	{ "wild_shorter_host", "*.a.example", "example", false },
	{ "star_alone_exact", "*", "*", true },
	{ "star_alone_not_wild", "*", "a", false },
	{ "star_inside_exact", "a*.example", "ab.example", false },
	{ "v6", "[::1]", "[::1]", true },
};

#define NNAME (sizeof(name_cases) / sizeof(name_cases[0]))

static void
run_name(void **state)
{
	const struct ncase *c = *state;
	size_t n = strlen(c->host);
	struct guard g;

	guard_init(&g, n);
	assert_int_equal(match_host_name(c->site, guard_put(&g, c->host, n), n), c->want);
	guard_free(&g);
}

/* ------------------------------------------------------------ match_site */

static char *s0n[] = { NULL };
static char *s1n[] = { "*.a.example", "b.example" };
static char *s2n[] = { "x.a.example", "a.example" };
static char *s3n[] = { "*.b.example" };
static char *s4n[] = { "c.example", "*.a.example", "b.example" };
static const struct config_site sites[] = {
	{ .names = s0n, .nnames = 0 },  /* the default: names never looked at */
	{ .names = s1n, .nnames = 2 },
	{ .names = s2n, .nnames = 2 },
	{ .names = s3n, .nnames = 1 },
	{ .names = s4n, .nnames = 3 },
};
#define NSITES (sizeof(sites) / sizeof(sites[0]))

struct scase {
	const char *name, *host;
	int want;
	size_t nsites;
};

static const struct scase site_cases[] = {
	{ "exact_first_site", "b.example", 1, NSITES },
	{ "exact_beats_earlier_wildcard", "x.a.example", 2, NSITES },
	{ "wildcard_first_site", "y.a.example", 1, NSITES },
	{ "exact_bare_domain", "a.example", 2, NSITES },
	{ "wildcard_later_site", "q.b.example", 3, NSITES },
	{ "exact_last_site", "c.example", 4, NSITES },
	{ "none", "d.example", -1, NSITES },
	{ "none_two_labels", "z.y.a.example", -1, NSITES },
	{ "none_empty", "", -1, NSITES },
	{ "default_never", "*", -1, NSITES },
	{ "no_sites", "b.example", -1, 0 },
	{ "only_default", "b.example", -1, 1 },
	{ "prefix_of_sites", "x.a.example", 1, 2 },
};

#define NSITE (sizeof(site_cases) / sizeof(site_cases[0]))

static void
run_site(void **state)
{
	const struct scase *c = *state;
	size_t n = strlen(c->host);
	struct guard g;

	guard_init(&g, n);
	assert_int_equal(match_site(sites, c->nsites, guard_put(&g, c->host, n), n), c->want);
	guard_free(&g);
}

/* A Host value all the way to a site, as a request takes it. */
static void
host_to_site(void **state)
{
	static const char *const hosts[] = { "X.A.Example.:443", "[::1]:8443", "B.EXAMPLE", ":1" };
	static const int want[] = { 2, -1, 1, -1 };
	char key[64];

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		size_t k = match_host_key(hosts[i], strlen(hosts[i]), key, sizeof(key));

		assert_int_equal(k ? match_site(sites, NSITES, key, k) : -1, want[i]);
	}
}

/* ----------------------------------------------------------------- main */

#define GROUP(tests, cases, count, fn)                                                      \
	do {                                                                                \
		for (size_t i_ = 0; i_ < (count); i_++)                                     \
			(tests)[i_] = (struct CMUnitTest){ (cases)[i_].name, (fn), NULL, NULL, \
			                                   (void *)&(cases)[i_] };             \
	} while (0)

int
main(void)
{
	struct CMUnitTest glob[NGLOB], rule[NRULE], check[NCHECK], key[NKEY], name[NNAME],
		site[NSITE];
	const struct CMUnitTest other[] = {
		cmocka_unit_test(glob_exhaustive),
		cmocka_unit_test(glob_random),
		cmocka_unit_test(glob_no_blowup),
		cmocka_unit_test(host_to_site),
	};
	int fails = 0;

	GROUP(glob, glob_cases, NGLOB, run_glob);
	GROUP(rule, rule_cases, NRULE, run_rule);
	GROUP(check, check_cases, NCHECK, run_check);
	GROUP(key, key_cases, NKEY, run_key);
	GROUP(name, name_cases, NNAME, run_name);
	GROUP(site, site_cases, NSITE, run_site);
	fails += cmocka_run_group_tests_name("match_glob", glob, NULL, NULL);
	fails += cmocka_run_group_tests_name("match_path_rule", rule, NULL, NULL);
	fails += cmocka_run_group_tests_name("match_path_rule_check", check, NULL, NULL);
	fails += cmocka_run_group_tests_name("match_host_key", key, NULL, NULL);
	fails += cmocka_run_group_tests_name("match_host_name", name, NULL, NULL);
	fails += cmocka_run_group_tests_name("match_site", site, NULL, NULL);
	return fails + cmocka_run_group_tests_name("match", other, NULL, NULL);
}
