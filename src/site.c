/* site: see site.h. */
#include "tlserve/site.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tlserve/config.h"
#include "tlserve/file.h"
#include "tlserve/match.h"
#include "tlserve/path.h"

/* The headers of a site as HTTP/1.1 lines, rendered once: a response copies
 * them with one memcpy. */
static int
site_render_headers(struct site *s)
{
	const struct config_site *cs = s->cfg;
	size_t len = 0, o = 0;

	for (size_t i = 0; i < cs->nheaders; i++)
		len += strlen(cs->headers[i].name) + 2 + strlen(cs->headers[i].value) + 2;
	if (len == 0)
		return 0;
	s->h1_headers = malloc(len + 1);
	if (s->h1_headers == NULL)
		return -1;
	for (size_t i = 0; i < cs->nheaders; i++)
		o += (size_t)snprintf(s->h1_headers + o, len + 1 - o, "%s: %s\r\n", cs->headers[i].name,
		                      cs->headers[i].value);
	s->h1_headers_len = o;
	return 0;
}

int
site_open_all(struct endpoint *ep, bool open_roots, struct config_errors *errs)
{
	const struct config_listener *l = ep->cfg;
	char err[256];
	int rc = 0;

	if (l->nsites == 0)
		return 0;
	ep->sites = calloc(l->nsites, sizeof(*ep->sites));
	if (ep->sites == NULL) {
		config_error_add(errs, 0, 0, "out of memory");
		return -1;
	}
	ep->nsites = l->nsites;
	for (size_t i = 0; i < l->nsites; i++) {
		struct site *s = &ep->sites[i];
		const struct config_site *cs = &l->sites[i];

		s->cfg = cs;
		s->name = cs->nnames > 0 ? cs->names[0] : NULL;
		s->rootfd = -1;
		if (site_render_headers(s) != 0) {
			config_error_add(errs, 0, 0, "out of memory");
			rc = -1;
		}
		if (!open_roots)
			continue;
		s->rootfd = file_root_open(cs->root, &s->use_openat2, err, sizeof(err));
		if (s->rootfd < 0) {
			config_error_add(errs, cs->root_pos.line, cs->root_pos.col, "%s", err);
			rc = -1;
		}
	}
	return rc;
}

void
site_close_all(struct endpoint *ep)
{
	for (size_t i = 0; i < ep->nsites; i++) {
		if (ep->sites[i].rootfd >= 0)
			close(ep->sites[i].rootfd);
		free(ep->sites[i].h1_headers);
	}
	free(ep->sites);
	ep->sites = NULL;
	ep->nsites = 0;
}

const struct site *
site_for_host(const struct endpoint *ep, const char *host, size_t n)
{
	char key[256];
	size_t klen;
	int i;

	if (ep->nsites <= 1 || host == NULL)
		return ep->nsites ? &ep->sites[0] : NULL;
	klen = match_host_key(host, n, key, sizeof(key));
	i = klen ? match_site(ep->cfg->sites, ep->cfg->nsites, key, klen) : -1;
	return &ep->sites[i < 0 ? 0 : i];
}

const char *
site_cache_control(const struct site *s, const char *path, size_t n)
{
	const struct config_site *cs = s->cfg;

	for (size_t i = 0; i < cs->ncache; i++) {
		if (match_path_rule(cs->cache[i].match, strlen(cs->cache[i].match), path, n))
			return cs->cache[i].control;
	}
	return NULL;
}

const char *
site_error_page(const struct site *s, int status)
{
	const struct config_site *cs = s->cfg;

	for (size_t i = 0; i < cs->nerror_pages; i++) {
		if (cs->error_pages[i].status == status)
			return cs->error_pages[i].path;
	}
	return NULL;
}

bool
site_dot_denied(const struct site *s, const char *norm, size_t len)
{
	static const char wk[] = "/.well-known";
	const size_t wkn = sizeof(wk) - 1;

	if (s->cfg->dotfiles != CONFIG_DOTFILES_DENY || !path_has_dotfile(norm, len))
		return false;
	if (len >= wkn && memcmp(norm, wk, wkn) == 0 && (len == wkn || norm[wkn] == '/'))
		return path_has_dotfile(norm + wkn, len - wkn);
	return path_has_dotfile(norm, len);
}
