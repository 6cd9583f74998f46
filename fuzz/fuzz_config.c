/* fuzz_config: config_load_string over arbitrary bytes.
 * Properties beyond "no crash, no leak": success means a usable configuration
 * (1..256 listeners, each with a name, a port and resolved paths, at most 1024
 * SNI names, none twice whatever its case) and no error reported; failure
 * leaves *out untouched and reports at least one error with a sane position
 * and a non-empty, terminated message. The loader itself never warns (warnings
 * come from the file checks) and so never fills the warning list. */
#include "tlserve/config.h"

#include <stdint.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

/* Every path the loader resolved must sit under the base directory or be absolute. */
static void
fuzz_check_path(const char *p, int nullable)
{
	if (p == NULL) {
		CHECK(nullable);
		return;
	}
	CHECK(p[0] == '/');
}

/* An SNI name is lower-case and appears once in the listener's entries.
 * O(names^2) per name is fine: at most 1024 names, and inputs stay small. */
static void
fuzz_check_sni_name(const struct config_listener *l, const char *name, size_t ei, size_t ni)
{
	size_t total = 0;

	for (const char *p = name; *p; p++)
		CHECK(!(*p >= 'A' && *p <= 'Z'));
	for (size_t i = 0; i < l->nsni; i++) {
		total += l->sni[i].nnames;
		for (size_t j = 0; j < l->sni[i].nnames; j++)
			CHECK((i == ei && j == ni) || strcmp(l->sni[i].names[j], name) != 0);
	}
	CHECK(total <= 1024);
}

/* No ".." segment: a page or fallback never leaves the site's root. */
static bool
fuzz_under_root(const char *p)
{
	size_t n = strlen(p);

	return strstr(p, "/../") == NULL && !(n >= 3 && strcmp(p + n - 3, "/..") == 0);
}

static void
fuzz_check_listener(const struct config_listener *l)
{
	CHECK(l->name != NULL && l->name[0] != '\0');
	CHECK(l->port != NULL && l->port[0] != '\0');
	CHECK(l->mode == CONFIG_MODE_FILES || l->mode == CONFIG_MODE_ECHO ||
	      l->mode == CONFIG_MODE_REDIRECT || l->mode == CONFIG_MODE_METRICS);
	/* a files listener has its default site, and only it has sites */
	CHECK((l->mode == CONFIG_MODE_FILES) == (l->nsites > 0));
	CHECK(l->mode == CONFIG_MODE_REDIRECT || l->to_port == 0);
	/* only a listener with acme: names may have no certificate (its
	 * names' come from the CA), and then it has no key either */
	fuzz_check_path(l->tls.certificate, l->nacme > 0);
	fuzz_check_path(l->tls.key, l->nacme > 0);
	CHECK((l->tls.certificate == NULL) == (l->tls.key == NULL));
	CHECK(l->nacme == 0 || l->mode == CONFIG_MODE_FILES);
	for (size_t i = 0; i < l->nacme; i++) {
		CHECK(l->acme[i][0] != '\0' && l->acme[i][0] != '*' &&
		      strspn(l->acme[i], "abcdefghijklmnopqrstuvwxyz0123456789.-") == strlen(l->acme[i]));
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(l->acme[i], l->acme[j]) != 0);
	}
	fuzz_check_path(l->tls.client_ca, l->tls.verify_client == CONFIG_VERIFY_OFF);
	CHECK(l->tls.min_version == 12 || l->tls.min_version == 13);
	for (size_t k = 0; k < l->nsites; k++) {
		const struct config_site *s = &l->sites[k];
		size_t bytes = 0;

		CHECK((k == 0) == (s->nnames == 0));
		fuzz_check_path(s->root, 0);
		CHECK((s->certificate == NULL) == (s->key == NULL));
		for (size_t i = 0; i < s->nindex; i++)
			CHECK(s->index[i] != NULL && strchr(s->index[i], '/') == NULL);
		CHECK(s->nheaders <= 64 && s->ncache <= 256);
		for (size_t i = 0; i < s->nheaders; i++) {
			bytes += strlen(s->headers[i].name) + strlen(s->headers[i].value) + 4;
			CHECK(strpbrk(s->headers[i].value, "\r\n") == NULL);
		}
		CHECK(bytes <= CONFIG_SITE_HEADERS_MAX);
		for (size_t i = 0; i < s->nerror_pages; i++)
			CHECK(s->error_pages[i].status >= 400 && s->error_pages[i].status <= 599 &&
			      s->error_pages[i].path[0] == '/' && fuzz_under_root(s->error_pages[i].path));
		CHECK(s->fallback == NULL || (s->fallback[0] == '/' && fuzz_under_root(s->fallback)));
	}
	for (size_t i = 0; i < l->nsni; i++) {
		CHECK(l->sni[i].nnames > 0);
		fuzz_check_path(l->sni[i].certificate, 0);
		fuzz_check_path(l->sni[i].key, 0);
		for (size_t j = 0; j < l->sni[i].nnames; j++)
			fuzz_check_sni_name(l, l->sni[i].names[j], i, j);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config sentinel_obj;  /* never written: only its address is used */
	struct config *sentinel = &sentinel_obj, *cfg = sentinel;
	struct config_errors errs = { 0 };
	int rc;

	rc = config_load_string((const char *)data, size, "fuzz.yaml", "/base", &cfg, &errs);
	if (rc == 0) {
		CHECK(cfg != sentinel && cfg != NULL && errs.n == 0);
		CHECK(cfg->nlisteners > 0 && cfg->nlisteners <= 256 && cfg->workers <= 1024);
		for (size_t i = 0; i < cfg->nlisteners; i++) {
			fuzz_check_listener(&cfg->listeners[i]);
			/* acme: names need the acme: block */
			CHECK(cfg->listeners[i].nacme == 0 || cfg->acme.on);
		}
		fuzz_check_path(cfg->acme.storage, 0);
		CHECK(!cfg->acme.on || strncmp(cfg->acme.directory, "https://", 8) == 0);
		for (size_t i = 0; i < cfg->nmime; i++)
			CHECK(cfg->mime[i].ext[0] != '\0' &&
			      strchr(cfg->mime[i].type, '/') != NULL);
		config_free(cfg);
	} else {
		CHECK(rc == -1 && cfg == sentinel && errs.n > 0);
		for (size_t i = 0; i < errs.n; i++) {
			CHECK(errs.v[i].line >= 0 && errs.v[i].col >= 0);
			CHECK(memchr(errs.v[i].msg, '\0', sizeof(errs.v[i].msg)) != NULL);
			CHECK(errs.v[i].msg[0] != '\0');
		}
	}
	/* the one warning a load gives: a metrics listener open beyond loopback */
	for (size_t i = 0; i < errs.nw; i++)
		CHECK(strstr(errs.w[i].msg, "(mode: metrics)") != NULL);
	config_errors_free(&errs);
	return 0;
}
