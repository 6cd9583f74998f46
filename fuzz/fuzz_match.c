/* libFuzzer harness for match.c. The input is NUL-separated fields:
 *
 *   PATTERN \0 PATH \0 HOST \0 SITE \0 SITE ...
 *
 * a glob, a path (or any subject), a Host value, then up to 8 sites, each a
 * comma-separated list of names (an empty field is a site with no names, as
 * the default site is). Each field is copied to a buffer of its exact size so
 * that AddressSanitizer catches a read one byte past it. Asserts properties,
 * not just "no crash":
 *   glob   the same answer as a dynamic-programming reference (up to 64 bytes
 *          each); a pattern without '*' matches only itself; the pattern with
 *          its stars removed always matches; "**" matches everything, "*"
 *          exactly what has no '/'.
 *   rule   without '/', the glob on the last segment; with '/', on the whole
 *          path; a pattern match_path_rule_check accepts matches some path.
 *   key    no longer than the value or cap; lower-case; "[...]" or no ':' and
 *          no trailing dot; a key of a key is itself; a ":port" added changes
 *          nothing; cap one short gives 0, output untouched.
 *   name   a wildcard match is one non-empty label before ".suffix"; an exact
 *          one is equality.
 *   site   -1 or a site with names, one of which matches; the first site with
 *          an exact name if any, else the first with a wildcard, else -1. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlserve/config.h"
#include "tlserve/match.h"

#define CHECK(x) ((x) ? (void)0 : abort())
#define MAX 4096
#define REF 64
#define SITES 8
#define NAMES 8

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A copy of b[0..n) in a buffer of exactly n bytes (n + 1 with a NUL). */
static char *
dup_exact(const char *b, size_t n, int nul)
{
	char *p = malloc(n + (size_t)nul + 1);  /* + 1: malloc(0) may return NULL */

	CHECK(p != NULL);
	memcpy(p, b, n);
	if (nul)
		p[n] = '\0';
	return p;
}

/* Does pat match s? By definition, one table entry per pair of suffixes. */
static bool
ref_glob(const char *pat, size_t plen, const char *s, size_t n)
{
	static bool m[REF + 2][REF + 2];

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

static void
check_glob(const char *pat, size_t pl, const char *s, size_t n)
{
	static char lit[MAX];
	bool m = match_glob(pat, pl, s, n), slash = memchr(s, '/', n) != NULL;
	size_t ln = 0;

	if (pl <= REF && n <= REF)
		CHECK(m == ref_glob(pat, pl, s, n));
	if (memchr(pat, '*', pl) == NULL)
		CHECK(m == (pl == n && memcmp(pat, s, n) == 0));
	for (size_t i = 0; i < pl; i++) {
		if (pat[i] != '*')
			lit[ln++] = pat[i];
	}
	CHECK(match_glob(pat, pl, lit, ln));
	CHECK(match_glob("**", 2, s, n));
	CHECK(match_glob("*", 1, s, n) == !slash);
}

static void
check_rule(const char *pat, size_t pl, const char *path, size_t n)
{
	static char lit[MAX + 1];
	const char *why;
	char *z;
	size_t b = n, ln = 0;

	while (b > 0 && path[b - 1] != '/')
		b--;
	if (memchr(pat, '/', pl) == NULL)
		CHECK(match_path_rule(pat, pl, path, n) == match_glob(pat, pl, path + b, n - b));
	else
		CHECK(match_path_rule(pat, pl, path, n) == match_glob(pat, pl, path, n));
	z = dup_exact(pat, pl, 1);
	why = match_path_rule_check(z);
	if (why == NULL) {
		/* accepted: not empty, and some path matches (stars taken as "") */
		CHECK(pl > 0);
		if (memchr(pat, '/', pl) == NULL)
			lit[ln++] = '/';
		for (size_t i = 0; i < pl; i++) {
			if (pat[i] != '*')
				lit[ln++] = pat[i];
		}
		CHECK(match_path_rule(pat, pl, lit, ln));
	}
	free(z);
}

static void
check_key(const char *host, size_t n)
{
	static char out[MAX], again[MAX], port[MAX + 5];
	size_t k = match_host_key(host, n, out, sizeof(out));

	CHECK(k <= n);
	if (n == 0 || host[0] == ':')
		CHECK(k == 0);
	if (k == 0)
		return;
	for (size_t i = 0; i < k; i++)
		CHECK(!(out[i] >= 'A' && out[i] <= 'Z'));
	if (out[0] == '[') {
		CHECK(k >= 3 && out[k - 1] == ']' && memchr(out, ']', k - 1) == NULL);
	} else {
		CHECK(memchr(out, ':', k) == NULL && out[k - 1] != '.');
	}
	CHECK(match_host_key(out, k, again, sizeof(again)) == k && memcmp(again, out, k) == 0);
	memcpy(port, out, k);
	memcpy(port + k, ":8443", 5);
	CHECK(match_host_key(port, k + 5, again, k) == k && memcmp(again, out, k) == 0);
	memset(again, 0x5a, k);
	CHECK(match_host_key(host, n, again, k - 1) == 0 && again[0] == 0x5a);
}

static void
check_name(const char *name, const char *host, size_t n)
{
	size_t len = strlen(name);
	bool m = match_host_name(name, host, n);

	if (len >= 2 && name[0] == '*' && name[1] == '.') {
		if (m)
			CHECK(n > len - 1 && memcmp(host + n - (len - 1), name + 1, len - 1) == 0 &&
			      memchr(host, '.', n - (len - 1)) == NULL);
		CHECK(!match_host_name(name, name + 2, len - 2));
	} else {
		CHECK(m == (len == n && memcmp(name, host, n) == 0));
	}
}

/* The answer match_site must give, from the rule itself. */
static int
ref_site(const struct config_site *s, size_t ns, const char *host, size_t n)
{
	for (int wild = 0; wild < 2; wild++) {
		for (size_t i = 0; i < ns; i++) {
			for (size_t j = 0; j < s[i].nnames; j++) {
				const char *nm = s[i].names[j];
				bool w = nm[0] == '*' && nm[1] == '.';

				if (w == (wild == 1) && match_host_name(nm, host, n))
					return (int)i;
			}
		}
	}
	return -1;
}

static void
check_site(const struct config_site *s, size_t ns, const char *host, size_t n)
{
	int r = match_site(s, ns, host, n);
	bool some = false;

	CHECK(r == ref_site(s, ns, host, n));
	if (r < 0)
		return;
	CHECK((size_t)r < ns && s[r].nnames > 0);
	for (size_t j = 0; j < s[r].nnames; j++)
		some = some || match_host_name(s[r].names[j], host, n);
	CHECK(some);
}

/* Split field f[0..n) at ',' into site names (each an exact-size string). */
static void
make_site(struct config_site *st, char **names, const char *f, size_t n)
{
	size_t a = 0;

	memset(st, 0, sizeof(*st));
	st->names = names;
	if (n == 0)
		return;
	for (size_t i = 0; i <= n && st->nnames < NAMES; i++) {
		if (i < n && f[i] != ',')
			continue;
		names[st->nnames++] = dup_exact(f + a, i - a, 1);
		a = i + 1;
	}
}

/* The next NUL-separated field of data[*off..size), or NULL at the end. */
static const char *
field(const uint8_t *data, size_t size, size_t *off, size_t *len)
{
	const char *f = (const char *)data + *off;
	const char *z;

	if (*off > size)
		return NULL;
	z = memchr(f, '\0', size - *off);
	*len = z != NULL ? (size_t)(z - f) : size - *off;
	*off += *len + 1;
	return f;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char key[MAX];
	struct config_site sites[SITES];
	char *names[SITES][NAMES];
	const char *f[3] = { "", "", "" };
	size_t len[3] = { 0, 0, 0 }, off = 0, ns = 0, fl, k;
	char *pat, *path, *host;
	const char *sf;

	if (size > MAX)
		return 0;
	for (int i = 0; i < 3 && (f[i] = field(data, size, &off, &len[i])) != NULL; i++)
		;
	for (int i = 0; i < 3; i++)
		f[i] = f[i] != NULL ? f[i] : "";
	while (ns < SITES && (sf = field(data, size, &off, &fl)) != NULL) {
		make_site(&sites[ns], names[ns], sf, fl);
		ns++;
	}
	pat = dup_exact(f[0], len[0], 0);
	path = dup_exact(f[1], len[1], 0);
	host = dup_exact(f[2], len[2], 0);
	check_glob(pat, len[0], path, len[1]);
	check_rule(pat, len[0], path, len[1]);
	check_key(host, len[2]);
	k = match_host_key(host, len[2], key, sizeof(key));
	for (size_t i = 0; i < ns; i++) {
		for (size_t j = 0; j < sites[i].nnames; j++)
			check_name(sites[i].names[j], k ? key : host, k ? k : len[2]);
	}
	check_site(sites, ns, k ? key : host, k ? k : len[2]);
	for (size_t i = 0; i < ns; i++) {
		for (size_t j = 0; j < sites[i].nnames; j++)
			free(sites[i].names[j]);
	}
	free(host);
	free(path);
	free(pat);
	return 0;
}
