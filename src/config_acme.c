/* config_acme: the top-level acme: block and the listeners' acme: names.
 * A name is ordered from the CA only by a challenge tlserve itself answers
 * (tls-alpn-01 on the files listener, http-01 on a redirect listener), so
 * wildcards (dns-01 only) and IP addresses are refused here, not at the CA.
 * Pure: no I/O, no globals. */
#include "tlserve/config.h"
#include "tlserve/config_field.h"
#include "tlserve/config_schema.h"

#include <stdlib.h>
#include <string.h>

#define CFG_ACME_MAX_NAMES 100  /* a CA's limit of names per certificate (Let's Encrypt's) */

static const char *const cfg_challenge_names[] = { "tls-alpn-01", "http-01", NULL };

#define CFG_A(m) offsetof(struct config_acme, m)
static const struct cfg_field cfg_acme_fields[] = {
	{ .name = "directory", .type = CFG_T_STR, .off = CFG_A(directory), .has_pos = true,
	  .pos_off = CFG_A(directory_pos) },
	{ .name = "ca_file", .type = CFG_T_PATH, .off = CFG_A(ca_file), .nullable = true,
	  .has_pos = true, .pos_off = CFG_A(ca_file_pos), .null_text = "the system's CA store" },
	{ .name = "email", .type = CFG_T_STR, .off = CFG_A(email), .nullable = true },
	{ .name = "storage", .type = CFG_T_PATH, .off = CFG_A(storage), .has_pos = true,
	  .pos_off = CFG_A(storage_pos) },
	{ .name = "challenge", .type = CFG_T_ENUM, .off = CFG_A(challenge),
	  .names = cfg_challenge_names, .has_pos = true, .pos_off = CFG_A(challenge_pos) },
	{ .name = "renew_before", .type = CFG_T_DURATION, .off = CFG_A(renew_before_ms),
	  .min = 60 * 60 * 1000, .range = "1h or more" },
};

/* An e-mail address for the account's contact: one '@' with text on both
 * sides, no space or control, nothing that would break out of "mailto:". */
static bool
cfg_email_ok(const char *s)
{
	const char *at = strchr(s, '@');

	if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return false;
	for (const char *p = s; *p; p++) {
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || strchr("\",<>?#", *p) != NULL)
			return false;
	}
	return true;
}

/* The top-level acme: block. */
void
cfg_acme(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base)
{
	struct config_acme *a = &((struct config *)base)->acme;
	const struct cfg_node *n = cfg_node(c, node);
	static const char *const required[] = { "directory", NULL };
	size_t old;
	uint32_t seen;

	if (n->kind == CFG_BAD || cfg_is_null(c, node))
		return;
	if (n->kind != CFG_MAP) {
		cfg_err(c, node, "\"%s\" must be a mapping (directory, storage, ...), not a %s",
			f->name, cfg_kind_name(n->kind));
		return;
	}
	a->on = true;
	a->pos = (struct config_pos){ n->line, n->col };
	old = cfg_push(c, "%s.", f->name);
	seen = cfg_map(c, node, cfg_acme_fields, CFG_NELEM(cfg_acme_fields), a);
	cfg_required(c, node, seen, cfg_acme_fields, CFG_NELEM(cfg_acme_fields), required);
	if (a->directory != NULL && strncmp(a->directory, "https://", 8) != 0)
		cfg_err(c, cfg_map_value(c, node, "directory"),
			"\"%sdirectory\" must be an https:// URL (the account key signs what it "
			"sends there), not \"%s\"", c->prefix, a->directory);
	else if (a->directory != NULL &&
		 (strlen(a->directory) < 9 || strcspn(a->directory, " \t\"<>\\^`{|}") !=
						      strlen(a->directory)))
		cfg_err(c, cfg_map_value(c, node, "directory"), "\"%sdirectory\" is not a URL",
			c->prefix);
	if (a->email != NULL && !cfg_email_ok(a->email))
		cfg_err(c, cfg_map_value(c, node, "email"),
			"\"%semail\" is not an e-mail address: \"%s\"", c->prefix, a->email);
	cfg_pop(c, old);
}

/* An acme: name: a host name (no wildcard, no IP address). */
static const char *
cfg_acme_name_ok(const char *s)
{
	const char *why = cfg_sni_name_ok(s);

	if (why != NULL)
		return why;
	if (s[0] == '*')
		return "is a wildcard: a wildcard certificate needs the dns-01 challenge, which "
		       "tlserve does not answer";
	if (strchr(s, '_') != NULL)
		return "is not a host name a CA accepts ('_')";
	if (strspn(s, "0123456789.") == strlen(s))
		return "is an IP address, not a host name";
	/* RFC 1123 2.1: a label neither starts nor ends with '-' (a CA refuses it) */
	for (const char *p = s; *p; p++) {
		if (*p == '-' && (p == s || p[-1] == '.' || p[1] == '.' || p[1] == '\0'))
			return "is not a host name (a label starts or ends with '-')";
	}
	return NULL;
}

/* A files listener's acme: names. */
void
cfg_listener_acme(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base)
{
	struct config_listener *l = base;
	const struct cfg_node *n = cfg_node(c, node);
	char **v;
	size_t k;

	if (n->kind == CFG_BAD || cfg_is_null(c, node))
		return;
	if (cfg_strlist(c, node, f->name, true, cfg_acme_name_ok, &v, &k) < 0)
		return;
	l->acme_pos = (struct config_pos){ n->line, n->col };
	if (k > CFG_ACME_MAX_NAMES) {
		cfg_err(c, node, "\"%s%s\": too many names: %zu (at most %d in one certificate)",
			c->prefix, f->name, k, CFG_ACME_MAX_NAMES);
		cfg_strv_free(v, k);
		return;
	}
	cfg_strv_free(l->acme, l->nacme);
	l->acme = v;
	l->nacme = k;
}

/* A name with a certificate of its own in sni: (or a site's) cannot also
 * get one from ACME: one name, one certificate. */
static void
cfg_acme_vs_sni(struct cfg_ctx *c, const struct config_listener *l, size_t lnode)
{
	size_t v = cfg_map_value(c, lnode, "acme");

	for (size_t i = 0; i < l->nacme; i++) {
		for (size_t s = 0; s < l->nsni; s++) {
			for (size_t j = 0; j < l->sni[s].nnames; j++) {
				if (strcmp(l->acme[i], l->sni[s].names[j]) != 0)
					continue;
				cfg_err(c, v,
					"acme name \"%s\" also has a certificate (line %d): one "
					"name, one certificate", l->acme[i], l->sni[s].pos.line);
			}
		}
	}
}

/* After every listener is read: acme: only on files listeners, only with an
 * acme: block, each name once across listeners; and a listener with acme:
 * names keeps a certificate only when one was set (the built-in default
 * certs/server.crt is not a fallback anyone chose). */
void
cfg_acme_finish(struct cfg_ctx *c, const size_t *lnodes)
{
	struct config *cfg = c->cfg;
	struct cfg_dup *d;
	size_t total = 0, n = 0;
	bool redirect = false;

	for (size_t i = 0; i < cfg->nlisteners; i++)
		redirect |= cfg->listeners[i].mode == CONFIG_MODE_REDIRECT;

	for (size_t i = 0; i < cfg->nlisteners; i++) {
		struct config_listener *l = &cfg->listeners[i];
		size_t v = cfg_map_value(c, lnodes[i], "acme");

		if (l->nacme == 0)
			continue;
		if (l->mode != CONFIG_MODE_FILES) {
			cfg_err(c, v, "\"listeners[%zu].acme\" applies to files listeners only", i);
			continue;
		}
		if (!cfg->acme.on)
			cfg_err(c, v,
				"\"listeners[%zu].acme\" needs the top-level \"acme\" block (its "
				"directory, storage and challenge)", i);
		cfg_acme_vs_sni(c, l, lnodes[i]);
		if (l->tls.certificate_pos.line == 0) {
			free(l->tls.certificate);
			free(l->tls.key);
			l->tls.certificate = NULL;
			l->tls.key = NULL;
		}
		total += l->nacme;
	}
	if (total > 0 && cfg->acme.on && cfg->acme.challenge == CONFIG_ACME_HTTP_01 && !redirect)
	{
		c->failed = true;
		config_error_add(c->errs, cfg->acme.challenge_pos.line, cfg->acme.challenge_pos.col,
				 "\"acme.challenge: http-01\" is answered by a listener with mode: "
				 "redirect (on port 80, where the CA connects), and there is none");
	}
	if (total < 2)
		return;
	d = calloc(total, sizeof(*d));
	if (d == NULL) {
		c->oom = true;
		return;
	}
	for (size_t i = 0; i < cfg->nlisteners; i++)
		n = cfg_names_nodes(c, lnodes[i], "acme", cfg->listeners[i].acme,
				    cfg->listeners[i].nacme, d, n, total);
	cfg_dups(c, d, n, "acme name", true);
	free(d);
}

void
cfg_acme_defaults(struct cfg_ctx *c)
{
	struct config_acme *a = &c->cfg->acme;

	a->storage = cfg_strdup_opt(c, "/var/lib/tlserve/acme");
	a->challenge = CONFIG_ACME_TLS_ALPN_01;
}

void
cfg_acme_free(struct config_acme *a)
{
	free(a->directory);
	free(a->ca_file);
	free(a->email);
	free(a->storage);
}
