/* match: the pure matchers behind sites and cache rules: path globs, host
 * names and the choice of a site by Host or TLS server name. No allocation,
 * no I/O, no globals: safe on the request path and under a fuzzer. */
#ifndef TLSERVE_MATCH_H
#define TLSERVE_MATCH_H
#include <stdbool.h>
#include <stddef.h>

struct config_site;

/* Does the glob pat[0..plen) match s[0..n) whole? "*" matches any run of
 * characters other than '/', "**" any run including '/'; every other
 * character matches itself (case-sensitive). Bounded time: no
 * backtracking blow-up whatever the pattern (O(plen * n) at worst). */
bool match_glob(const char *pat, size_t plen, const char *s, size_t n);

/* A cache: rule's match against the path served (starts with '/'): a
 * pattern without '/' is matched against the path's last segment (the
 * file name, "" for a directory path ending in '/'), one with '/' against
 * the whole path. */
bool match_path_rule(const char *pat, size_t plen, const char *path, size_t n);

/* Why a cache: pattern (NUL-terminated) can never match a path served, or
 * NULL when it can: empty; with '/' but not starting with '/'; "//"; a
 * "." or ".." segment; a NUL or control character. */
const char *match_path_rule_check(const char *pat);

/* The host part of a Host header value or :authority host[:port] (also
 * "[v6]:port", kept with its brackets), lower-cased (ASCII), without one
 * trailing dot, into out (cap bytes, no NUL added; untouched when 0 is
 * returned). Returns its length, or 0 when there is no host name ("",
 * ":80", ".", "a..", "[]", "[::1" or "[::1]x") or it does not fit. The value
 * has been validated as an RFC 3986 authority already; this only takes it
 * apart, so a 0 for a non-empty value means an invalid Host. */
size_t match_host_key(const char *host, size_t n, char *out, size_t cap);

/* Does the site name (lower-case: "a.example" or "*.a.example", where "*"
 * is exactly one whole non-empty label) match host[0..n) (a match_host_key)?
 * Bytes are compared as they are: both sides are lower-cased already. Only a
 * leading "*." makes a wildcard; any other name must equal host. */
bool match_host_name(const char *name, const char *host, size_t n);

/* The site for host[0..n) (a match_host_key) among sites[0..nsites):
 * an exact name of any site before any wildcard; the first site in order
 * among equals. Sites with no names (the default) are never matched.
 * Returns the index, or -1 when none matches. */
int match_site(const struct config_site *sites, size_t nsites, const char *host, size_t n);

#endif
