/* site: the sites of a files listener at run time: each one's root
 * descriptor and rendered headers, made once per configuration generation,
 * and the per-request lookups (which site a Host names, which Cache-Control
 * and error page apply, whether a dot name is served). The lookups allocate
 * nothing. */
#ifndef TLSERVE_SITE_H
#define TLSERVE_SITE_H
#include <stdbool.h>
#include <stddef.h>

#include "tlserve/worker.h"

struct config_errors;

/* Build ep->sites from ep->cfg->sites: roots opened (when open_roots: -t
 * only checks) and headers rendered. Errors are appended to errs at the
 * offending root; returns 0 or -1. site_close_all undoes it (also after
 * a failure). */
int  site_open_all(struct endpoint *ep, bool open_roots, struct config_errors *errs);
void site_close_all(struct endpoint *ep);

/* The site of a request whose Host (or :authority, or TLS server name) is
 * host[0..n): the one whose names match, else the default site. */
const struct site *site_for_host(const struct endpoint *ep, const char *host, size_t n);

/* The Cache-Control value of the first cache: rule matching the path served
 * path[0..n) (starts with '/'), or NULL. */
const char *site_cache_control(const struct site *s, const char *path, size_t n);

/* The error page configured for status, or NULL. */
const char *site_error_page(const struct site *s, int status);

/* Is the normalised path norm[0..len) refused by dotfiles: deny? A segment
 * starting with '.' is, except a first segment ".well-known" (RFC 8615). */
bool site_dot_denied(const struct site *s, const char *norm, size_t len);

#endif
