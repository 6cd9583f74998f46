/* config_field: the field-table engine of the configuration loader. A mapping
 * of known keys is a table of struct cfg_field (name, type, where the value
 * goes, range, and whether a reload can apply a change); cfg_map reads a tree
 * node against such a table, reporting every error with its position, and
 * cfg_diff compares two loaded structs field by field for a reload. Adding a
 * key is one row in a table of config_schema.c. Pure: no I/O, no globals.
 * Private to the config modules. */
#ifndef TLSERVE_CONFIG_FIELD_H
#define TLSERVE_CONFIG_FIELD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlserve/config.h"
#include "tlserve/config_tree.h"

#define CFG_MAX_FIELDS 32
#define CFG_NELEM(a)   (sizeof(a) / sizeof((a)[0]))

/* The state of one load: the tree, the struct being filled, where errors go. */
struct cfg_ctx {
	const struct cfg_tree *t;
	struct config *cfg;
	struct config_errors *errs;
	struct config_errors_mark errs0;  /* the lists when loading began */
	const char *basedir;
	struct config_tls tls;     /* the top-level tls: block, copied into every listener */
	size_t listeners;          /* node of listeners:, read after everything else */
	size_t sites;              /* node of the listener's sites:, read after its other keys */
	char prefix[128];          /* path of the mapping being read, e.g. "listeners[0].tls." */
	bool failed;
	bool oom;
};

struct cfg_field;
typedef void cfg_fn(struct cfg_ctx *, const struct cfg_field *, size_t node, void *base);

enum cfg_type { CFG_T_NONE, CFG_T_U32, CFG_T_DURATION, CFG_T_SIZE, CFG_T_BOOL, CFG_T_STR,
		CFG_T_PATH, CFG_T_ENUM, CFG_T_MAP, CFG_T_FN };

/* What a reload does with a changed value (see config_reload_diff). */
enum cfg_reload {
	CFG_RELOAD,        /* applied by the reload (the default) */
	CFG_RESTART,       /* kept until a restart; the reload warns */
	CFG_RESTART_GROW,  /* a smaller value applies; a larger one waits for a restart */
	CFG_REFUSE,        /* the reload is refused: restart to apply */
};

/* One known key of a mapping: how to read it and where in the target struct
 * (base) to store it. */
struct cfg_field {
	const char *name;
	enum cfg_type type;
	size_t off;                /* of the value (CFG_T_MAP: of the nested struct) within base */
	bool has_pos;
	size_t pos_off;            /* of its struct config_pos within base */
	bool nullable;             /* null stores NULL (strings and paths) */
	bool auto_zero;            /* u32: "auto" stores 0 */
	bool off_alias;            /* enum: YAML 1.1 false/no also mean the first value */
	uint64_t min, max;         /* u32, duration, size; max 0 = unbounded */
	const char *range;         /* the allowed range, for messages */
	const char *const *names;  /* enum values, NULL-terminated */
	cfg_fn *fn;                /* CFG_T_FN: reads the value itself */
	const struct cfg_field *sub;  /* CFG_T_MAP: the nested mapping's fields */
	size_t nsub;
	/* For the reload diff: */
	enum cfg_reload reload;
	enum cfg_type value;       /* CFG_T_FN: the type stored at off (CFG_T_NONE: nothing to compare) */
	const char *null_text;     /* how NULL reads in a message (default "null") */
	const char *dash_text;     /* how "-" reads in a message (log.access: "stdout") */
};

static inline const struct cfg_node *
cfg_node(const struct cfg_ctx *c, size_t idx)
{
	return &c->t->v[idx];
}

static inline const char *
cfg_text(const struct cfg_ctx *c, const struct cfg_node *n)
{
	return c->t->text + n->off;
}

/* Report an error at node's position (0:0 for CFG_NONE) and mark the load failed. */
void cfg_err(struct cfg_ctx *c, size_t node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Write s[0..n) into out (cap bytes) fit for a message between double quotes:
 * control bytes, quotes and backslashes escaped, long text cut with "...".
 * Returns out. */
const char *cfg_quote(char *out, size_t cap, const char *s, size_t n);

/* The quoted text of a scalar node, in out. */
const char *cfg_qnode(const struct cfg_ctx *c, size_t node, char *out, size_t cap);

/* Append to the key path; returns the old length for cfg_pop. */
size_t cfg_push(struct cfg_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cfg_pop(struct cfg_ctx *c, size_t old);

/* strndup / strdup (NULL stays NULL) that record running out of memory in the
 * context, so that the load ends with "out of memory". Caller owns the copy. */
char *cfg_strndup(struct cfg_ctx *c, const char *s, size_t n);
char *cfg_strdup_opt(struct cfg_ctx *c, const char *s);

/* Resolve path p[0..n) against basedir unless it is absolute. Returns a new
 * string (caller owns) or NULL when out of memory (recorded). */
char *cfg_path(struct cfg_ctx *c, const char *p, size_t n);

const char *cfg_kind_name(enum cfg_kind k);

/* YAML's null: an untagged plain scalar that is empty, "~" or null. */
bool cfg_is_null(const struct cfg_ctx *c, size_t node);

/* Whether a scalar node's text is lit, ignoring ASCII case. */
bool cfg_eq(const struct cfg_ctx *c, size_t node, const char *lit);

/* Check that the value of key is a scalar described by what. Returns 1 for a
 * value, 0 for null when nullable, -1 after reporting (or for an alias or a
 * tagged value, already reported). */
int cfg_scalar(struct cfg_ctx *c, size_t node, const char *key, const char *what, bool nullable);

/* Copy a scalar as a string (or a path resolved against basedir). Returns the
 * copy (caller owns), or NULL after reporting an empty value or one with a
 * control character, or when out of memory (recorded). */
char *cfg_string(struct cfg_ctx *c, size_t node, const char *key, bool path);

/* Parse an unsigned decimal integer; too big for 64 bits reads as UINT64_MAX.
 * Returns 0, or -1 when s is not all digits. */
int cfg_parse_uint(const char *s, size_t len, uint64_t *v);

/* Read a YAML 1.1 boolean. Returns 1 or 0, or -1 when the node is not one. */
int cfg_bool(const struct cfg_ctx *c, size_t node);

/* Read mapping node into base with the given fields; the key path is
 * c->prefix. Null reads as an empty mapping. Reports unknown, duplicate and
 * non-scalar keys. Returns a bit mask of the fields present. */
uint32_t cfg_map(struct cfg_ctx *c, size_t node, const struct cfg_field *fields, size_t nf,
		 void *base);

/* Store node's value into base as field f says (what cfg_map does per key). */
void cfg_field_set(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base);
/* The value node of key name in mapping node (its first occurrence), or CFG_NONE. */
size_t cfg_map_value(const struct cfg_ctx *c, size_t node, const char *name);

/* Report each name[] not in the mask cfg_map returned as required. */
void cfg_required(struct cfg_ctx *c, size_t node, uint32_t seen, const struct cfg_field *fields,
		  size_t nf, const char *const *names);

struct cfg_dup {
	const char *s;
	size_t order;              /* document order, so the first one is named */
	size_t node;               /* where to report */
};

/* Report every entry of d[0..n) (reordered) whose string an earlier one
 * already used, naming the first one's line (and column when with_col).
 * O(n log n). */
void cfg_dups(struct cfg_ctx *c, struct cfg_dup *d, size_t n, const char *what, bool with_col);

void cfg_strv_free(char **v, size_t n);

typedef const char *cfg_check_fn(const char *s);

/* Read a name or a sequence of names into *out and *nout (caller owns; null reads
 * as an empty list), lower-cased when asked, each accepted by check. Returns 0,
 * or -1 after reporting every bad entry. */
int cfg_strlist(struct cfg_ctx *c, size_t node, const char *key, bool lower, cfg_check_fn *check,
		char ***out, size_t *nout);

/* Called by cfg_diff for each changed field a reload cannot simply apply:
 * name is its key path ("limits.max_headers"), was and now its values as text. */
typedef void cfg_diff_fn(void *arg, const struct cfg_field *f, const char *name, const char *was,
			 const char *now);

/* Compare a and b (two structs that fields describe) and call fn for every
 * field with reload != CFG_RELOAD whose value changed (for CFG_RESTART_GROW:
 * grew). Nested CFG_T_MAP fields are compared too, their names prefixed. */
void cfg_diff(const void *a, const void *b, const struct cfg_field *fields, size_t nf,
	      const char *prefix, cfg_diff_fn *fn, void *arg);

#endif
