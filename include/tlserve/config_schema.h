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

#endif
