/* config_reload: what a reload can apply, driven by the reload rule of each
 * row of the schema's tables (config_schema.c), so a new key needs no code
 * here. Pure: no I/O, no globals. */
#include "tlserve/config.h"
#include "tlserve/config_field.h"
#include "tlserve/config_schema.h"

#include <stdio.h>

struct cfg_reload_ctx {
	struct config_errors *out;
	const char *listener;      /* the listener being compared, or NULL */
	bool refused;
};

/* One changed field: a refusal (error) or a change deferred to a restart (warning). */
static void
cfg_reload_report(void *arg, const struct cfg_field *f, const char *name, const char *was,
		  const char *now)
{
	struct cfg_reload_ctx *r = arg;

	if (f->reload == CFG_REFUSE) {
		r->refused = true;
		config_error_add(r->out, 0, 0,
				 "reload: listener %s: \"%s\" changed (%s -> %s); restart to apply",
				 r->listener, name, was, now);
	} else {
		config_warning_add(r->out, 0, 0,
				   "reload: \"%s\" changed (%s -> %s); takes effect after a restart",
				   name, was, now);
	}
}

int
config_reload_diff(const struct config *boot, const struct config *next,
		   struct config_errors *out)
{
	struct cfg_reload_ctx r = { .out = out };
	char prefix[40];

	if (boot->nlisteners != next->nlisteners) {
		config_error_add(out, 0, 0,
				 "reload: the number of listeners changed (%zu -> %zu); restart to "
				 "apply",
				 boot->nlisteners, next->nlisteners);
		return -1;
	}
	for (size_t i = 0; i < boot->nlisteners; i++) {
		snprintf(prefix, sizeof(prefix), "listeners[%zu].", i);
		r.listener = boot->listeners[i].name;
		cfg_diff(&boot->listeners[i], &next->listeners[i], cfg_schema_listener,
			 cfg_schema_nlistener, prefix, cfg_reload_report, &r);
	}
	r.listener = NULL;
	if (!r.refused)
		cfg_diff(boot, next, cfg_schema_top, cfg_schema_ntop, "", cfg_reload_report, &r);
	return r.refused ? -1 : 0;
}
