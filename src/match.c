/* match: path globs for cache: rules, Host keys and site names. Pure: no I/O,
 * no allocation, no globals, no recursion, so a request never pays more than
 * a bounded loop here and a fuzzer can drive every function directly.
 *
 * The glob has two wildcards: "*" (a run of bytes without '/') and "**" (any
 * run). match_glob is the classic two-pointer matcher with one back-up point
 * per kind of star, so it never backtracks further than the last '*' and the
 * last "**":
 *
 *   pattern  C0 ** C1 ** C2            Ci: literals and single '*'
 *   path     [C0][....][C1][...][C2]   each Ci placed as early as it can end
 *
 * Placing C1 so that it ends earliest is never wrong: the "**" after it can
 * swallow whatever a later placement would have skipped. Inside one Ci a '*'
 * cannot cross '/', so the k-th '/' of Ci always meets the k-th '/' of the
 * path after Ci's start; that fixes every segment of Ci but the one its start
 * lies in, and lets a failed start skip to the next segment (see glob_retry).
 */
#include <limits.h>
#include <string.h>

#include "tlserve/config.h"
#include "tlserve/match.h"

#define NONE SIZE_MAX

/* The number of '*' in the run that starts at pat[p]. */
static size_t
star_run(const char *pat, size_t plen, size_t p)
{
	size_t r = 0;

	while (p + r < plen && pat[p + r] == '*')
		r++;
	return r;
}

/* Where the path segment holding s[i] ends: the first '/' at or after i, or n. */
static size_t
segment_end(const char *s, size_t n, size_t i)
{
	while (i < n && s[i] != '/')
		i++;
	return i;
}

/* The back-up points of match_glob. */
struct glob_state {
	size_t p, i;    /* next pattern byte, next path byte */
	size_t sp, si;  /* after the last '*' of the current chunk, and where its run ends */
	size_t dp, di;  /* after the last "**", and where the chunk after it starts */
};

/* A mismatch at g->p, g->i: try the next placement. First the last '*' takes
 * one more byte (unless that byte is '/'); else the chunk after the last "**"
 * starts further on. Once that chunk has passed a '*' which then could not
 * grow, every start up to the end of the start's segment fails the same way
 * (same '/' alignment, the '*' starting no earlier), so the next start is the
 * following segment. Returns false when no placement is left. */
static bool
glob_retry(struct glob_state *g, const char *s, size_t n)
{
	if (g->sp != NONE && s[g->si] != '/') {
		g->i = ++g->si;
		g->p = g->sp;
		return true;
	}
	if (g->dp == NONE)
		return false;
	if (g->sp != NONE)
		g->di = segment_end(s, n, g->di);
	if (g->di >= n)
		return false;
	g->i = ++g->di;
	g->p = g->dp;
	g->sp = NONE;
	return true;
}

/* Each start of a chunk after "**" costs at most the chunk's length per path
 * byte it covers, and a start that got past a '*' is only retried from the
 * next segment: O(plen * n) in all, whatever the pattern. */
bool
match_glob(const char *pat, size_t plen, const char *s, size_t n)
{
	struct glob_state g = { 0, 0, NONE, 0, NONE, 0 };

	while (g.i < n) {
		if (g.p < plen && pat[g.p] == '*') {
			size_t r = star_run(pat, plen, g.p);

			g.p += r;
			if (r == 1) {
				g.sp = g.p;
				g.si = g.i;
				continue;
			}
			if (g.p == plen)
				return true;  /* a final "**" takes the rest */
			g.dp = g.p;
			g.di = g.i;
			g.sp = NONE;
			continue;
		}
		if (g.p < plen && pat[g.p] == s[g.i]) {
			g.p++;
			g.i++;
			continue;
		}
		if (!glob_retry(&g, s, n))
			return false;
	}
	/* The path is used up: only stars, matching nothing, may remain. */
	return g.p + star_run(pat, plen, g.p) == plen;
}

bool
match_path_rule(const char *pat, size_t plen, const char *path, size_t n)
{
	size_t b = n;

	if (memchr(pat, '/', plen) != NULL)
		return match_glob(pat, plen, path, n);
	while (b > 0 && path[b - 1] != '/')
		b--;
	return match_glob(pat, plen, path + b, n - b);
}

/* The paths served are normalised (path_normalize): they start with '/' and
 * hold no "//", "." or ".." segment, nor any control byte. A pattern that
 * needs one of those is a mistake to report, not a rule to keep. */
const char *
match_path_rule_check(const char *pat)
{
	const char *seg = pat;

	if (*pat == '\0')
		return "it is empty";
	for (const char *c = pat; *c != '\0'; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return "it has a control character";
	}
	if (strchr(pat, '/') != NULL && pat[0] != '/')
		return "it has '/' but does not start with '/' (without '/' it matches the file name)";
	if (strstr(pat, "//") != NULL)
		return "it has \"//\" (paths served are normalised)";
	for (const char *c = pat;; c++) {
		if (*c != '/' && *c != '\0')
			continue;
		if ((c - seg == 1 && seg[0] == '.') || (c - seg == 2 && seg[0] == '.' && seg[1] == '.'))
			return "it has a \".\" or \"..\" segment (paths served are normalised)";
		if (*c == '\0')
			return NULL;
		seg = c + 1;
	}
}

/* Host is "[v6 or vFuture]" or a reg-name/IPv4, then maybe ":port" (RFC 3986
 * 3.2.2). A reg-name cannot hold ':', so the first one starts the port. One
 * trailing dot is the DNS root (RFC 1034 3.1): "a.example." is "a.example".
 * What is left must be a name: not empty, not ending in another dot. */
size_t
match_host_key(const char *host, size_t n, char *out, size_t cap)
{
	const char *end;
	size_t len;

	if (n == 0)
		return 0;
	if (host[0] == '[') {
		end = memchr(host, ']', n);
		if (end == NULL)
			return 0;
		len = (size_t)(end - host) + 1;
		if (len == 2 || (len < n && host[len] != ':'))
			return 0;
	} else {
		end = memchr(host, ':', n);
		len = end != NULL ? (size_t)(end - host) : n;
		if (len > 0 && host[len - 1] == '.')
			len--;
		if (len == 0 || host[len - 1] == '.')
			return 0;
	}
	if (len > cap)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = host[i];

		out[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	return len;
}

/* "*.a.example": only "*." starts a wildcard; any other name is exact. */
static bool
is_wildcard(const char *name)
{
	return name[0] == '*' && name[1] == '.';
}

bool
match_host_name(const char *name, const char *host, size_t n)
{
	size_t len = strlen(name);

	if (is_wildcard(name)) {
		/* ".a.example" must end host, after one whole non-empty label. */
		const char *suffix = name + 1;
		size_t sl = len - 1;

		if (n <= sl || memcmp(host + n - sl, suffix, sl) != 0)
			return false;
		return memchr(host, '.', n - sl) == NULL;
	}
	return len == n && memcmp(name, host, n) == 0;
}

/* The first site with a name of the kind asked for (wildcard or exact) that
 * matches host, or -1. */
static int
site_pass(const struct config_site *sites, size_t nsites, const char *host, size_t n,
	  bool wildcard)
{
	for (size_t i = 0; i < nsites && i <= INT_MAX; i++) {
		for (size_t j = 0; j < sites[i].nnames; j++) {
			const char *name = sites[i].names[j];

			if (is_wildcard(name) == wildcard && match_host_name(name, host, n))
				return (int)i;
		}
	}
	return -1;
}

/* Two passes rather than one loop keeping the best: an exact name in a later
 * site must beat a wildcard in an earlier one. O(total name bytes). */
int
match_site(const struct config_site *sites, size_t nsites, const char *host, size_t n)
{
	int i = site_pass(sites, nsites, host, n, false);

	return i >= 0 ? i : site_pass(sites, nsites, host, n, true);
}
