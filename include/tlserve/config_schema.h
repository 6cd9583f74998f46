/* config_schema: the keys of the configuration file, as tables of struct
 * cfg_field (config_field.h), the readers of the keys no table row can read
 * alone (port, index, sni, mime, listeners), the defaults SPEC.md lists, and
 * config_free. Each row also says whether a reload can apply a change to it.
 * Pure: no I/O, no globals. Private to the config modules. */
#ifndef TLSERVE_CONFIG_SCHEMA_H
#define TLSERVE_CONFIG_SCHEMA_H
#include <stddef.h>

#include "tlserve/config_field.h"

#define CFG_MAX_LISTENERS 256   /* each costs sockets per worker; more is a mistake */
#define CFG_MAX_SNI_NAMES 1024  /* per listener: the SNI lookup is a scan */

/* The top-level mapping and one entry of listeners:, for the reload diff. */
extern const struct cfg_field cfg_schema_top[];
extern const size_t cfg_schema_ntop;
extern const struct cfg_field cfg_schema_listener[];
extern const size_t cfg_schema_nlistener;

/* Fill c->cfg and c->tls with the defaults (filename kept for messages). */
void cfg_schema_defaults(struct cfg_ctx *c, const char *filename);

/* Read the tree's root mapping (CFG_NONE for an empty document) into c->cfg. */
void cfg_schema_read(struct cfg_ctx *c, size_t root);

void cfg_tls_free(struct config_tls *t);

/* An SNI or site name (lower-case): NULL, or why it is not one. */
const char *cfg_sni_name_ok(const char *s);
/* Read key's value at node, one name or a list of at least one (each an
 * SNI or site name, lower-cased), into *names and *nnames (replacing them). */
void cfg_host_names(struct cfg_ctx *c, const char *key, size_t node, char ***names,
                    size_t *nnames);

/* Append to d[n..cap) the names read from key ("names", "acme") of the
 * mapping entry, with the node of each, for cfg_dups' positions. Returns
 * the new count. */
size_t cfg_names_nodes(struct cfg_ctx *c, size_t entry, const char *key, char *const *names,
		       size_t nnames, struct cfg_dup *d, size_t n, size_t cap);

/* config_site.c: the keys of a site, for a sites: entry. */
extern const struct cfg_field cfg_schema_site[];
extern const size_t cfg_schema_nsite;
/* A listener's row for a key of its default site: reads it into sites[0]. */
void cfg_listener_site_key(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base);
/* Read sites: at node into l (sites[0] complete): each entry a copy of the
 * default site with its own keys; names checked across sites; sites with
 * a certificate appended to l->sni. */
void cfg_sites_read(struct cfg_ctx *c, size_t node, struct config_listener *l);
void cfg_site_free(struct config_site *s);

/* config_acme.c: the acme: block (top level), a files listener's acme:
 * names, the checks across listeners once all are read (lnodes: each
 * listener's node), the defaults, and freeing the block. */
void cfg_acme(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base);
void cfg_listener_acme(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base);
void cfg_acme_finish(struct cfg_ctx *c, const size_t *lnodes);
void cfg_acme_defaults(struct cfg_ctx *c);
void cfg_acme_free(struct config_acme *a);

#endif
