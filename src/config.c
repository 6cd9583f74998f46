/* config: the YAML configuration as a typed, validated, immutable struct.
 *
 * Loading is two passes. libyaml's event parser builds a small tree of nodes
 * (one flat array, children linked by index, scalar text in one buffer) that
 * remembers where each node stood; aliases are refused there, so no document
 * can blow up when expanded. The tree is then walked against tables of known
 * keys (struct cfg_field), which report every error found with its position
 * instead of stopping at the first. Nothing here logs or touches globals;
 * only config_load_file and config_check_files do file-system I/O. */
#include "tlserve/config.h"
#include "tlserve/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#define CFG_MAX_BYTES   (1024 * 1024)  /* a configuration is hand-written: 1 MiB is plenty */
#define CFG_MAX_ERRORS  100            /* past this the rest is noise; the list says so */
#define CFG_MAX_DEPTH   32             /* the schema needs 6 levels; more is a mistake */
#define CFG_MAX_FIELDS  32
#define CFG_NONE        SIZE_MAX
#define CFG_DAY_MS      (UINT64_C(24) * 60 * 60 * 1000)
#define CFG_NELEM(a)    (sizeof(a) / sizeof((a)[0]))

/* Enumerations are stored through memcpy from an int (cfg_set_enum). */
_Static_assert(sizeof(enum config_log_level) == sizeof(int), "enum size");
_Static_assert(sizeof(enum config_access_format) == sizeof(int), "enum size");
_Static_assert(sizeof(enum config_mode) == sizeof(int), "enum size");
_Static_assert(sizeof(enum config_verify) == sizeof(int), "enum size");
_Static_assert(sizeof(enum config_proxy) == sizeof(int), "enum size");
_Static_assert(sizeof(enum config_dotfiles) == sizeof(int), "enum size");

/* ---------------------------------------------------------------- errors */

/* Append one error to errs. Past CFG_MAX_ERRORS - 1 errors a last, position-less
 * "too many errors" entry is added and everything after it dropped. An error that
 * cannot be stored for lack of memory is dropped too: there is nothing better to do. */
__attribute__((format(printf, 4, 0))) static void
cfg_verror(struct config_errors *errs, int line, int col, const char *fmt, va_list ap)
{
	struct config_error *e;

	if (errs->n >= CFG_MAX_ERRORS)
		return;
	if (errs->n == errs->cap) {
		size_t cap = errs->cap ? errs->cap * 2 : 8;
		struct config_error *v = realloc(errs->v, cap * sizeof(*v));

		if (v == NULL)
			return;
		errs->v = v;
		errs->cap = cap;
	}
	e = &errs->v[errs->n++];
	if (errs->n == CFG_MAX_ERRORS) {
		e->line = e->col = 0;
		snprintf(e->msg, sizeof(e->msg), "too many errors; the rest are not shown");
		return;
	}
	e->line = line < 0 ? 0 : line;
	e->col = col < 0 ? 0 : col;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
}

void
config_error_add(struct config_errors *errs, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_verror(errs, line, col, fmt, ap);
	va_end(ap);
}

void
config_errors_free(struct config_errors *errs)
{
	if (errs == NULL)
		return;
	free(errs->v);
	errs->v = NULL;
	errs->n = errs->cap = 0;
}

/* Whether errs[from..n) already holds this exact error: the same global tls:
 * value inherited by many listeners must be reported once. */
static bool
cfg_error_known(const struct config_errors *errs, size_t from, int line, int col, const char *msg)
{
	for (size_t i = from; i < errs->n; i++) {
		const struct config_error *e = &errs->v[i];

		if (e->line == line && e->col == col && strcmp(e->msg, msg) == 0)
			return true;
	}
	return false;
}

/* Position-less errors (line 0) sort last. */
static long long
cfg_error_key(const struct config_error *e)
{
	if (e->line == 0)
		return LLONG_MAX;
	return (long long)e->line * ((long long)INT_MAX + 1) + e->col;
}

/* Stable insertion sort of errs[from..n) by position, so the user reads them in
 * file order whichever pass found them. At most CFG_MAX_ERRORS entries: O(n^2) is fine. */
static void
cfg_errors_sort(struct config_errors *errs, size_t from)
{
	for (size_t i = from + 1; i < errs->n; i++) {
		struct config_error e = errs->v[i];
		size_t j = i;

		while (j > from && cfg_error_key(&errs->v[j - 1]) > cfg_error_key(&e)) {
			errs->v[j] = errs->v[j - 1];
			j--;
		}
		errs->v[j] = e;
	}
}

/* ------------------------------------------------------------ YAML → tree */

enum cfg_kind { CFG_SCALAR, CFG_SEQ, CFG_MAP, CFG_BAD };

/* A mapping's children are key, value, key, value, ... in document order. */
struct cfg_node {
	enum cfg_kind kind;
	bool plain;                /* an untagged plain scalar: only these can mean null */
	int line, col;             /* 1-based */
	size_t off, len;           /* scalar text: tree->text + off, NUL-terminated */
	size_t first, last, next;  /* children and next sibling, CFG_NONE when absent */
	size_t nkids;
};

struct cfg_tree {
	struct cfg_node *v;
	size_t n, cap;
	char *text;
	size_t tlen, tcap;
	size_t root;
	size_t stack[CFG_MAX_DEPTH];
	size_t depth;
	int ndocs;
	bool bad;                  /* a non-fatal error (an alias) was reported */
};

/* libyaml marks are 0-based size_t; ours are 1-based int. */
static int
cfg_line(size_t v)
{
	return v >= (size_t)INT_MAX - 1 ? INT_MAX : (int)v + 1;
}

/* Append n bytes and a NUL to the tree's text. Returns the offset, or CFG_NONE
 * when out of memory. */
static size_t
cfg_tree_text(struct cfg_tree *t, const char *s, size_t n)
{
	size_t off = t->tlen;

	if (n >= SIZE_MAX / 2 - t->tlen)
		return CFG_NONE;
	if (t->tlen + n + 1 > t->tcap) {
		size_t cap = t->tcap ? t->tcap : 256;
		char *p;

		while (cap < t->tlen + n + 1)
			cap *= 2;
		p = realloc(t->text, cap);
		if (p == NULL)
			return CFG_NONE;
		t->text = p;
		t->tcap = cap;
	}
	if (n > 0)
		memcpy(t->text + off, s, n);
	t->text[off + n] = '\0';
	t->tlen += n + 1;
	return off;
}

/* Add a node of this kind at mark m and link it under the open collection (or
 * as the root). Returns its index, or CFG_NONE when out of memory. */
static size_t
cfg_tree_add(struct cfg_tree *t, enum cfg_kind kind, const yaml_mark_t *m)
{
	struct cfg_node *n;
	size_t idx = t->n;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct cfg_node *v = reallocarray(t->v, cap, sizeof(*v));

		if (v == NULL)
			return CFG_NONE;
		t->v = v;
		t->cap = cap;
	}
	n = &t->v[t->n++];
	*n = (struct cfg_node){ .kind = kind, .line = cfg_line(m->line), .col = cfg_line(m->column),
				.first = CFG_NONE, .last = CFG_NONE, .next = CFG_NONE };
	if (t->depth == 0) {
		t->root = idx;
	} else {
		struct cfg_node *p = &t->v[t->stack[t->depth - 1]];

		if (p->first == CFG_NONE)
			p->first = idx;
		else
			t->v[p->last].next = idx;
		p->last = idx;
		p->nkids++;
	}
	return idx;
}

/* Add a scalar event's node. Returns 0, or -1 when out of memory. */
static int
cfg_tree_scalar(struct cfg_tree *t, const yaml_event_t *ev)
{
	size_t idx = cfg_tree_add(t, CFG_SCALAR, &ev->start_mark);
	size_t off;

	if (idx == CFG_NONE)
		return -1;
	off = cfg_tree_text(t, (const char *)ev->data.scalar.value, ev->data.scalar.length);
	if (off == CFG_NONE)
		return -1;
	t->v[idx].off = off;
	t->v[idx].len = ev->data.scalar.length;
	t->v[idx].plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
			  ev->data.scalar.tag == NULL;
	return 0;
}

/* Open a sequence or mapping. Returns 0, or -1 after reporting too deep a
 * nesting or running out of memory. */
static int
cfg_tree_open(struct cfg_tree *t, enum cfg_kind kind, const yaml_event_t *ev,
	      struct config_errors *errs)
{
	size_t idx;

	if (t->depth == CFG_MAX_DEPTH) {
		config_error_add(errs, cfg_line(ev->start_mark.line),
				 cfg_line(ev->start_mark.column), "nesting deeper than %d levels",
				 CFG_MAX_DEPTH);
		return -1;
	}
	idx = cfg_tree_add(t, kind, &ev->start_mark);
	if (idx == CFG_NONE) {
		config_error_add(errs, 0, 0, "out of memory");
		return -1;
	}
	t->stack[t->depth++] = idx;
	return 0;
}

/* Consume one parser event. Sets *done at the end of the stream. Returns 0, or
 * -1 after reporting an error that ends the parse. */
static int
cfg_tree_event(struct cfg_tree *t, const yaml_event_t *ev, struct config_errors *errs, bool *done)
{
	int line = cfg_line(ev->start_mark.line), col = cfg_line(ev->start_mark.column);

	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		*done = true;
		return 0;
	case YAML_DOCUMENT_START_EVENT:
		if (t->ndocs++ == 0)
			return 0;
		config_error_add(errs, line, col, "only one YAML document is allowed");
		return -1;
	case YAML_SCALAR_EVENT:
		if (cfg_tree_scalar(t, ev) == 0)
			return 0;
		config_error_add(errs, 0, 0, "out of memory");
		return -1;
	case YAML_SEQUENCE_START_EVENT:
		return cfg_tree_open(t, CFG_SEQ, ev, errs);
	case YAML_MAPPING_START_EVENT:
		return cfg_tree_open(t, CFG_MAP, ev, errs);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (t->depth > 0)
			t->depth--;
		return 0;
	case YAML_ALIAS_EVENT:
		/* Refused rather than expanded: expansion is how "billion laughs" works. */
		config_error_add(errs, line, col,
				 "YAML aliases (*name) are not supported; write the value out");
		t->bad = true;
		if (cfg_tree_add(t, CFG_BAD, &ev->start_mark) != CFG_NONE)
			return 0;
		config_error_add(errs, 0, 0, "out of memory");
		return -1;
	default:
		return 0;
	}
}

/* Report libyaml's error with its position. Reader errors (bad encoding,
 * control characters) carry a byte offset instead of a mark. */
static void
cfg_yaml_error(const yaml_parser_t *p, const char *buf, size_t len, struct config_errors *errs)
{
	int line = cfg_line(p->problem_mark.line), col = cfg_line(p->problem_mark.column);
	const char *problem = p->problem ? p->problem : "unknown error";

	if (p->error == YAML_MEMORY_ERROR) {
		config_error_add(errs, 0, 0, "out of memory");
		return;
	}
	if (p->error == YAML_READER_ERROR) {
		size_t l = 0, bol = 0;

		for (size_t i = 0; i < p->problem_offset && i < len; i++) {
			if (buf[i] == '\n') {
				l++;
				bol = i + 1;
			}
		}
		/* problem_value is the offending byte or character, -1 when there is none. */
		if (p->problem_value >= 0)
			config_error_add(errs, cfg_line(l), cfg_line(p->problem_offset - bol),
					 "invalid input: %s (0x%02X)", problem,
					 (unsigned)p->problem_value);
		else
			config_error_add(errs, cfg_line(l), cfg_line(p->problem_offset - bol),
					 "invalid input: %s", problem);
		return;
	}
	if (p->context != NULL)
		config_error_add(errs, line, col, "YAML syntax error: %s (%s at line %d)", problem,
				 p->context, cfg_line(p->context_mark.line));
	else
		config_error_add(errs, line, col, "YAML syntax error: %s", problem);
}

/* Build the tree of buf[0..len). Returns 0, or -1 after reporting why not. */
static int
cfg_tree_build(struct cfg_tree *t, const char *buf, size_t len, struct config_errors *errs)
{
	yaml_parser_t p;
	yaml_event_t ev;
	bool done = false;
	int rc = -1;

	t->root = CFG_NONE;
	/* Offset 0 holds "", the text of every node that is not a scalar. */
	if (cfg_tree_text(t, "", 0) == CFG_NONE || !yaml_parser_initialize(&p)) {
		config_error_add(errs, 0, 0, "out of memory");
		return -1;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)(buf ? buf : ""), len);
	while (!done) {
		int r;

		if (!yaml_parser_parse(&p, &ev)) {
			cfg_yaml_error(&p, buf, len, errs);
			goto out;
		}
		r = cfg_tree_event(t, &ev, errs, &done);
		yaml_event_delete(&ev);
		if (r < 0)
			goto out;
	}
	rc = 0;
out:
	yaml_parser_delete(&p);
	return rc;
}

static void
cfg_tree_free(struct cfg_tree *t)
{
	free(t->v);
	free(t->text);
}

/* ------------------------------------------------------------ the walker */

struct cfg_ctx {
	const struct cfg_tree *t;
	struct config *cfg;
	struct config_errors *errs;
	size_t errs0;              /* errs->n when loading began */
	const char *basedir;
	struct config_tls tls;     /* the top-level tls: block, copied into every listener */
	size_t listeners;          /* node of listeners:, read after everything else */
	char prefix[128];          /* path of the mapping being read, e.g. "listeners[0].tls." */
	bool failed;
	bool oom;
};

struct cfg_field;
typedef void cfg_fn(struct cfg_ctx *, const struct cfg_field *, size_t node, void *base);

enum cfg_type { CFG_T_U32, CFG_T_DURATION, CFG_T_SIZE, CFG_T_BOOL, CFG_T_STR, CFG_T_PATH,
		CFG_T_ENUM, CFG_T_FN };

/* One known key of a mapping: how to read it and where in the target struct
 * (base) to store it. */
struct cfg_field {
	const char *name;
	enum cfg_type type;
	size_t off;                /* of the value within base */
	bool has_pos;
	size_t pos_off;            /* of its struct config_pos within base */
	bool nullable;             /* null stores NULL (strings and paths) */
	bool auto_zero;            /* u32: "auto" stores 0 */
	bool off_alias;            /* enum: YAML 1.1 false/no also mean the first value */
	uint64_t min, max;         /* u32, duration, size; max 0 = unbounded */
	const char *range;         /* the allowed range, for messages */
	const char *const *names;  /* enum values, NULL-terminated */
	cfg_fn *fn;
};

static const struct cfg_node *
cfg_node(const struct cfg_ctx *c, size_t idx)
{
	return &c->t->v[idx];
}

static const char *
cfg_text(const struct cfg_ctx *c, const struct cfg_node *n)
{
	return c->t->text + n->off;
}

/* Report an error at node's position (0:0 for CFG_NONE) and mark the load failed. */
__attribute__((format(printf, 3, 4))) static void
cfg_err(struct cfg_ctx *c, size_t node, const char *fmt, ...)
{
	int line = 0, col = 0;
	va_list ap;

	if (node != CFG_NONE) {
		line = cfg_node(c, node)->line;
		col = cfg_node(c, node)->col;
	}
	c->failed = true;
	va_start(ap, fmt);
	cfg_verror(c->errs, line, col, fmt, ap);
	va_end(ap);
}

/* Write s[0..n) into out (cap bytes) fit for a message between double quotes:
 * control bytes, quotes and backslashes escaped, long text cut with "...".
 * Returns out. */
static const char *
cfg_quote(char *out, size_t cap, const char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (o + 8 > cap) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (ch < 0x20 || ch == 0x7f || ch == '"' || ch == '\\')
			o += (size_t)snprintf(out + o, cap - o,
					      ch == '"' || ch == '\\' ? "\\%c" : "\\x%02x", ch);
		else
			out[o++] = (char)ch;
	}
	out[o] = '\0';
	return out;
}

/* The quoted text of a scalar node, in out. */
static const char *
cfg_qnode(const struct cfg_ctx *c, size_t node, char *out, size_t cap)
{
	const struct cfg_node *n = cfg_node(c, node);

	return cfg_quote(out, cap, cfg_text(c, n), n->len);
}

/* Append to the key path; returns the old length for cfg_pop. */
__attribute__((format(printf, 2, 3))) static size_t
cfg_push(struct cfg_ctx *c, const char *fmt, ...)
{
	size_t old = strlen(c->prefix);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->prefix + old, sizeof(c->prefix) - old, fmt, ap);
	va_end(ap);
	return old;
}

static void
cfg_pop(struct cfg_ctx *c, size_t old)
{
	c->prefix[old] = '\0';
}

/* strndup that records running out of memory in the context. Returns the copy
 * (caller owns) or NULL. */
static char *
cfg_strndup(struct cfg_ctx *c, const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (p == NULL)
		c->oom = true;
	return p;
}

/* Resolve path p[0..n) against basedir unless it is absolute. Returns a new
 * string (caller owns) or NULL when out of memory. */
static char *
cfg_path(struct cfg_ctx *c, const char *p, size_t n)
{
	const char *dir = c->basedir;
	size_t dl;
	char *s;

	if ((n > 0 && p[0] == '/') || dir == NULL || dir[0] == '\0')
		return cfg_strndup(c, p, n);
	dl = strlen(dir);
	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	s = malloc(dl + 1 + n + 1);
	if (s == NULL) {
		c->oom = true;
		return NULL;
	}
	memcpy(s, dir, dl);
	if (dir[dl - 1] != '/')
		s[dl++] = '/';
	memcpy(s + dl, p, n);
	s[dl + n] = '\0';
	return s;
}

static const char *
cfg_kind_name(enum cfg_kind k)
{
	return k == CFG_MAP ? "mapping" : k == CFG_SEQ ? "sequence" : "scalar";
}

/* YAML's null: an untagged plain scalar that is empty, "~" or null. */
static bool
cfg_is_null(const struct cfg_ctx *c, size_t node)
{
	const struct cfg_node *n = cfg_node(c, node);
	const char *s;

	if (n->kind != CFG_SCALAR || !n->plain)
		return false;
	s = cfg_text(c, n);
	return n->len == 0 || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	       strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

static bool
cfg_eq(const struct cfg_ctx *c, size_t node, const char *lit)
{
	const struct cfg_node *n = cfg_node(c, node);

	return util_strieq(cfg_text(c, n), n->len, lit);
}

/* Check that the value of key is a scalar described by what. Returns 1 for a
 * value, 0 for null when nullable, -1 after reporting (or for an alias, already
 * reported). */
static int
cfg_scalar(struct cfg_ctx *c, size_t node, const char *key, const char *what, bool nullable)
{
	const struct cfg_node *n = cfg_node(c, node);

	if (n->kind == CFG_BAD)
		return -1;
	if (n->kind != CFG_SCALAR) {
		cfg_err(c, node, "\"%s%s\" must be %s, not a %s", c->prefix, key, what,
			cfg_kind_name(n->kind));
		return -1;
	}
	if (!cfg_is_null(c, node))
		return 1;
	if (nullable)
		return 0;
	cfg_err(c, node, "\"%s%s\" needs a value: %s", c->prefix, key, what);
	return -1;
}

/* Copy a scalar as a string (or a path resolved against basedir). Returns the
 * copy (caller owns), or NULL after reporting an empty value or one with a
 * control character, or when out of memory. */
static char *
cfg_string(struct cfg_ctx *c, size_t node, const char *key, bool path)
{
	const struct cfg_node *n = cfg_node(c, node);
	const char *s = cfg_text(c, n);

	if (n->len == 0) {
		cfg_err(c, node, "\"%s%s\" must not be empty", c->prefix, key);
		return NULL;
	}
	for (size_t i = 0; i < n->len; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			cfg_err(c, node, "\"%s%s\" contains a control character", c->prefix, key);
			return NULL;
		}
	}
	return path ? cfg_path(c, s, n->len) : cfg_strndup(c, s, n->len);
}

/* Parse an unsigned decimal integer; a value too big for 64 bits becomes
 * UINT64_MAX so that it fails the range check. Returns 0, or -1 when s is not
 * all digits. */
static int
cfg_parse_uint(const char *s, size_t len, uint64_t *v)
{
	uint64_t acc = 0;

	if (len == 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (acc <= (UINT64_MAX - 9) / 10)
			acc = acc * 10 + (uint64_t)(s[i] - '0');
		else
			acc = UINT64_MAX;
	}
	*v = acc;
	return 0;
}

/* Store a scalar as a number of field f's type (u32, duration or size) at dst,
 * after checking f's range. Reports what is wrong. */
static void
cfg_set_number(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *dst)
{
	static const char *const what[] = { [CFG_T_U32] = "an integer",
		[CFG_T_DURATION] = "a duration such as 250ms, 10s or 5m",
		[CFG_T_SIZE] = "a size such as 512, 16k or 1m" };
	const struct cfg_node *n = cfg_node(c, node);
	const char *s = cfg_text(c, n);
	char q[64];
	uint64_t v = 0;
	int r;

	if (cfg_scalar(c, node, f->name, what[f->type], false) <= 0)
		return;
	if (f->auto_zero && cfg_eq(c, node, "auto"))
		r = 0;
	else if (f->type == CFG_T_U32)
		r = cfg_parse_uint(s, n->len, &v);
	else if (f->type == CFG_T_DURATION)
		r = util_parse_duration(s, n->len, &v);
	else
		r = util_parse_size(s, n->len, &v);
	if (r < 0) {
		cfg_err(c, node, "\"%s%s\" must be %s%s, not \"%s\"", c->prefix, f->name,
			what[f->type], f->auto_zero ? " or \"auto\"" : "",
			cfg_qnode(c, node, q, sizeof(q)));
		return;
	}
	if (!(f->auto_zero && cfg_eq(c, node, "auto")) &&
	    (v < f->min || (f->max != 0 && v > f->max))) {
		cfg_err(c, node, "\"%s%s\" is out of range: \"%s\" (allowed: %s)", c->prefix,
			f->name, cfg_qnode(c, node, q, sizeof(q)), f->range);
		return;
	}
	if (f->type == CFG_T_U32) {
		uint32_t v32 = (uint32_t)v;

		memcpy(dst, &v32, sizeof(v32));
	} else {
		memcpy(dst, &v, sizeof(v));
	}
}

/* Read a YAML 1.1 boolean. Returns 1 or 0, or -1 when s is not one. */
static int
cfg_bool(const struct cfg_ctx *c, size_t node)
{
	if (cfg_eq(c, node, "true") || cfg_eq(c, node, "yes") || cfg_eq(c, node, "on"))
		return 1;
	if (cfg_eq(c, node, "false") || cfg_eq(c, node, "no") || cfg_eq(c, node, "off"))
		return 0;
	return -1;
}

/* Store a boolean at dst (a bool), or report what is wrong. */
static void
cfg_set_bool(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *dst)
{
	char q[64];
	bool b;
	int r;

	if (cfg_scalar(c, node, f->name, "true or false", false) <= 0)
		return;
	r = cfg_bool(c, node);
	if (r < 0) {
		cfg_err(c, node, "\"%s%s\" must be true or false, not \"%s\"", c->prefix, f->name,
			cfg_qnode(c, node, q, sizeof(q)));
		return;
	}
	b = r == 1;
	memcpy(dst, &b, sizeof(b));
}

/* Store a string or a resolved path at dst (a char *, whose old value is
 * freed), NULL for null when f allows it, or report what is wrong. */
static void
cfg_set_string(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *dst)
{
	bool path = f->type == CFG_T_PATH;
	char *s = NULL;
	int r;

	r = cfg_scalar(c, node, f->name, path ? "a file name" : "a string", f->nullable);
	if (r < 0)
		return;
	if (r > 0) {
		s = cfg_string(c, node, f->name, path);
		if (s == NULL)
			return;
	}
	free(*(char **)dst);
	*(char **)dst = s;
}

/* Write the allowed values of an enumeration, comma-separated, into out. */
static const char *
cfg_enum_list(const char *const *names, char *out, size_t cap)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; names[i] != NULL && o < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? ", " : "", names[i]);
	return out;
}

/* Store the index of the matching value (case-insensitive) at dst (an enum),
 * or report the allowed values. */
static void
cfg_set_enum(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *dst)
{
	char list[96], what[112], q[64];
	int v = -1;

	snprintf(what, sizeof(what), "one of %s", cfg_enum_list(f->names, list, sizeof(list)));
	if (cfg_scalar(c, node, f->name, what, false) <= 0)
		return;
	for (int i = 0; f->names[i] != NULL && v < 0; i++) {
		if (cfg_eq(c, node, f->names[i]))
			v = i;
	}
	if (v < 0 && f->off_alias && cfg_bool(c, node) == 0)
		v = 0;
	if (v < 0) {
		cfg_err(c, node, "\"%s%s\" must be %s, not \"%s\"", c->prefix, f->name, what,
			cfg_qnode(c, node, q, sizeof(q)));
		return;
	}
	memcpy(dst, &v, sizeof(v));
}

/* Store node's value into base as field f says. */
static void
cfg_field_set(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base)
{
	char *dst = (char *)base + f->off;

	if (f->has_pos) {
		struct config_pos pos = { cfg_node(c, node)->line, cfg_node(c, node)->col };

		memcpy((char *)base + f->pos_off, &pos, sizeof(pos));
	}
	switch (f->type) {
	case CFG_T_U32:
	case CFG_T_DURATION:
	case CFG_T_SIZE:
		cfg_set_number(c, f, node, dst);
		break;
	case CFG_T_BOOL:
		cfg_set_bool(c, f, node, dst);
		break;
	case CFG_T_STR:
	case CFG_T_PATH:
		cfg_set_string(c, f, node, dst);
		break;
	case CFG_T_ENUM:
		cfg_set_enum(c, f, node, dst);
		break;
	case CFG_T_FN:
		f->fn(c, f, node, base);
		break;
	}
}

/* Levenshtein distance between a[0..an) and b, or INT_MAX when a is too long to
 * be a misspelling. O(an * |b|) with two rows. */
static int
cfg_distance(const char *a, size_t an, const char *b)
{
	int row[2][65];
	size_t bn = strlen(b);

	if (an > 64 || bn > 64)
		return INT_MAX;
	for (size_t j = 0; j <= bn; j++)
		row[0][j] = (int)j;
	for (size_t i = 1; i <= an; i++) {
		int *prev = row[(i - 1) & 1], *cur = row[i & 1];

		cur[0] = (int)i;
		for (size_t j = 1; j <= bn; j++) {
			int sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			int del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
	}
	return row[an & 1][bn];
}

/* The known key the unknown key k[0..n) most likely meant: the closest within
 * an edit distance of 2, else one that k (3 characters or more) begins. NULL
 * when nothing fits. */
static const char *
cfg_hint(const char *k, size_t n, const struct cfg_field *fields, size_t nf)
{
	const char *best = NULL;
	int bestd = 3;

	for (size_t i = 0; i < nf; i++) {
		int d = cfg_distance(k, n, fields[i].name);

		if (d < bestd) {
			best = fields[i].name;
			bestd = d;
		}
	}
	for (size_t i = 0; best == NULL && n >= 3 && i < nf; i++) {
		if (strncmp(fields[i].name, k, n) == 0 && memchr(k, '\0', n) == NULL)
			best = fields[i].name;
	}
	return best;
}

/* Report the unknown key at node key, with a hint when one fits. */
static void
cfg_unknown(struct cfg_ctx *c, size_t key, const struct cfg_field *fields, size_t nf)
{
	const struct cfg_node *n = cfg_node(c, key);
	const char *hint = cfg_hint(cfg_text(c, n), n->len, fields, nf);
	char q[64];

	cfg_qnode(c, key, q, sizeof(q));
	if (hint != NULL)
		cfg_err(c, key, "unknown key \"%s%s\", did you mean \"%s%s\"?", c->prefix, q,
			c->prefix, hint);
	else
		cfg_err(c, key, "unknown key \"%s%s\"", c->prefix, q);
}

/* Find the field named by key node k. Returns its index or -1. */
static int
cfg_field_find(const struct cfg_ctx *c, size_t k, const struct cfg_field *fields, size_t nf)
{
	const struct cfg_node *n = cfg_node(c, k);

	for (size_t i = 0; i < nf; i++) {
		if (strlen(fields[i].name) == n->len &&
		    memcmp(fields[i].name, cfg_text(c, n), n->len) == 0)
			return (int)i;
	}
	return -1;
}

/* Read mapping node into base with the given fields; the key path is
 * c->prefix. Null reads as an empty mapping. Reports unknown, duplicate and
 * non-scalar keys. Returns a bit mask of the fields present. */
static uint32_t
cfg_map(struct cfg_ctx *c, size_t node, const struct cfg_field *fields, size_t nf, void *base)
{
	const struct cfg_node *n = cfg_node(c, node);
	int first[CFG_MAX_FIELDS] = { 0 };
	uint32_t seen = 0;
	size_t plen = strlen(c->prefix);

	if (n->kind == CFG_BAD || cfg_is_null(c, node))
		return 0;
	if (n->kind != CFG_MAP) {
		if (plen == 0)
			cfg_err(c, node, "the configuration must be a mapping of keys, not a %s",
				cfg_kind_name(n->kind));
		else
			cfg_err(c, node, "\"%.*s\" must be a mapping, not a %s", (int)(plen - 1),
				c->prefix, cfg_kind_name(n->kind));
		return 0;
	}
	for (size_t k = n->first, v; k != CFG_NONE; k = cfg_node(c, v)->next) {
		int i;

		v = cfg_node(c, k)->next;
		if (v == CFG_NONE)
			break;
		if (cfg_node(c, k)->kind == CFG_BAD)
			continue;
		if (cfg_node(c, k)->kind != CFG_SCALAR) {
			cfg_err(c, k, "a key must be a plain string, not a %s",
				cfg_kind_name(cfg_node(c, k)->kind));
			continue;
		}
		i = cfg_field_find(c, k, fields, nf);
		if (i < 0) {
			cfg_unknown(c, k, fields, nf);
		} else if (seen & (UINT32_C(1) << i)) {
			cfg_err(c, k, "duplicate key \"%s%s\" (first at line %d)", c->prefix,
				fields[i].name, first[i]);
		} else {
			seen |= UINT32_C(1) << i;
			first[i] = cfg_node(c, k)->line;
			cfg_field_set(c, &fields[i], v, base);
		}
	}
	return seen;
}

/* Whether field name is in the mask cfg_map returned. */
static bool
cfg_has(uint32_t seen, const struct cfg_field *fields, size_t nf, const char *name)
{
	for (size_t i = 0; i < nf; i++) {
		if (strcmp(fields[i].name, name) == 0)
			return (seen & (UINT32_C(1) << i)) != 0;
	}
	return false;
}

/* ------------------------------------------------------- shared checks */

struct cfg_dup {
	const char *s;
	size_t order;              /* document order, so the first one is named */
	size_t node;               /* where to report */
};

static int
cfg_dup_cmp(const void *a, const void *b)
{
	const struct cfg_dup *x = a, *y = b;
	int r = strcmp(x->s, y->s);

	if (r != 0)
		return r;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Report every entry of d[0..n) whose string an earlier one already used.
 * Sorting makes it O(n log n): a fuzzer's 100000 listeners must not take n^2. */
static void
cfg_dups(struct cfg_ctx *c, struct cfg_dup *d, size_t n, const char *what)
{
	char q[64];
	size_t j = 0;

	if (n < 2)
		return;
	qsort(d, n, sizeof(*d), cfg_dup_cmp);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(d[i].s, d[j].s) != 0) {
			j = i;
			continue;
		}
		cfg_err(c, d[i].node, "duplicate %s \"%s\" (first at line %d)", what,
			cfg_quote(q, sizeof(q), d[i].s, strlen(d[i].s)),
			cfg_node(c, d[j].node)->line);
	}
}

static void
cfg_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

typedef const char *cfg_check_fn(const char *s);

/* Read one entry of a list of names into *dst: a non-empty string, lower-cased
 * when asked, that check accepts. Returns false after reporting. */
static bool
cfg_strlist_item(struct cfg_ctx *c, size_t node, const char *key, bool lower, cfg_check_fn *check,
		 char **dst)
{
	const struct cfg_node *n = cfg_node(c, node);
	const char *why;
	char q[64];
	char *s;

	if (n->kind == CFG_BAD)
		return false;
	if (n->kind != CFG_SCALAR || cfg_is_null(c, node)) {
		cfg_err(c, node, "\"%s%s\" entries must be names, not a %s", c->prefix, key,
			n->kind == CFG_SCALAR ? "null" : cfg_kind_name(n->kind));
		return false;
	}
	s = cfg_string(c, node, key, false);
	if (s == NULL)
		return false;
	for (char *p = s; lower && *p; p++)
		*p = (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : *p;
	why = check(s);
	if (why != NULL) {
		cfg_err(c, node, "\"%s%s\": \"%s\" %s", c->prefix, key,
			cfg_qnode(c, node, q, sizeof(q)), why);
		free(s);
		return false;
	}
	*dst = s;
	return true;
}

/* Read a name or a sequence of names into *out and *nout (caller owns; null reads
 * as an empty list). Returns 0, or -1 after reporting every bad entry. */
static int
cfg_strlist(struct cfg_ctx *c, size_t node, const char *key, bool lower, cfg_check_fn *check,
	    char ***out, size_t *nout)
{
	const struct cfg_node *n = cfg_node(c, node);
	size_t cnt, i = 0;
	bool bad = false;
	char **v;

	if (n->kind == CFG_BAD)
		return -1;
	if (n->kind == CFG_MAP) {
		cfg_err(c, node, "\"%s%s\" must be a name or a list of names, not a mapping",
			c->prefix, key);
		return -1;
	}
	cnt = n->kind == CFG_SEQ ? n->nkids : !cfg_is_null(c, node);
	v = calloc(cnt ? cnt : 1, sizeof(*v));
	if (v == NULL) {
		c->oom = true;
		return -1;
	}
	if (n->kind == CFG_SCALAR && cnt == 1)
		bad = !cfg_strlist_item(c, node, key, lower, check, &v[i++]);
	for (size_t k = n->kind == CFG_SEQ ? n->first : CFG_NONE; k != CFG_NONE;
	     k = cfg_node(c, k)->next) {
		if (cfg_strlist_item(c, k, key, lower, check, &v[i]))
			i++;
		else
			bad = true;
	}
	if (bad) {
		cfg_strv_free(v, i);
		return -1;
	}
	*out = v;
	*nout = i;
	return 0;
}

/* ------------------------------------------------------------------ tls: */

static void
cfg_tls_free(struct config_tls *t)
{
	free(t->certificate);
	free(t->key);
	free(t->ciphers);
	free(t->ciphersuites);
	free(t->ticket_key_file);
	free(t->client_ca);
	free(t->client_crl);
}

static char *
cfg_strdup_opt(struct cfg_ctx *c, const char *s)
{
	return s == NULL ? NULL : cfg_strndup(c, s, strlen(s));
}

/* Deep-copy src into dst, so a listener can override keys one by one. */
static void
cfg_tls_copy(struct cfg_ctx *c, struct config_tls *dst, const struct config_tls *src)
{
	*dst = *src;
	dst->certificate = cfg_strdup_opt(c, src->certificate);
	dst->key = cfg_strdup_opt(c, src->key);
	dst->ciphers = cfg_strdup_opt(c, src->ciphers);
	dst->ciphersuites = cfg_strdup_opt(c, src->ciphersuites);
	dst->ticket_key_file = cfg_strdup_opt(c, src->ticket_key_file);
	dst->client_ca = cfg_strdup_opt(c, src->client_ca);
	dst->client_crl = cfg_strdup_opt(c, src->client_crl);
}

/* min_version: "1.2" or "1.3" (a YAML float reads the same). */
static void
cfg_min_version(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base)
{
	struct config_tls *t = base;
	char q[64];

	if (cfg_scalar(c, node, f->name, "\"1.2\" or \"1.3\"", false) <= 0)
		return;
	if (cfg_eq(c, node, "1.2"))
		t->min_version = 12;
	else if (cfg_eq(c, node, "1.3"))
		t->min_version = 13;
	else if (cfg_eq(c, node, "1.0") || cfg_eq(c, node, "1.1") || cfg_eq(c, node, "1"))
		cfg_err(c, node,
			"\"%s%s\": TLS 1.0 and 1.1 are never offered; use \"1.2\" or \"1.3\"",
			c->prefix, f->name);
	else
		cfg_err(c, node, "\"%s%s\" must be \"1.2\" or \"1.3\", not \"%s\"", c->prefix,
			f->name, cfg_qnode(c, node, q, sizeof(q)));
}

static const char *const cfg_verify_names[] = { "off", "optional", "require", NULL };

#define CFG_TLS(m) offsetof(struct config_tls, m)
#define CFG_TLS_PATH(n, nullok) { .name = #n, .type = CFG_T_PATH, .off = CFG_TLS(n), \
		.has_pos = true, .pos_off = CFG_TLS(n##_pos), .nullable = nullok }
static const struct cfg_field cfg_tls_fields[] = {
	CFG_TLS_PATH(certificate, false),
	CFG_TLS_PATH(key, false),
	{ .name = "min_version", .type = CFG_T_FN, .fn = cfg_min_version },
	{ .name = "ciphers", .type = CFG_T_STR, .off = CFG_TLS(ciphers), .nullable = true },
	{ .name = "ciphersuites",
	  .type = CFG_T_STR,
	  .off = CFG_TLS(ciphersuites),
	  .nullable = true },
	{ .name = "session_tickets", .type = CFG_T_BOOL, .off = CFG_TLS(session_tickets) },
	CFG_TLS_PATH(ticket_key_file, true),
	CFG_TLS_PATH(client_ca, true),
	CFG_TLS_PATH(client_crl, true),
	{ .name = "verify_client",
	  .type = CFG_T_ENUM,
	  .off = CFG_TLS(verify_client),
	  .has_pos = true,
	  .pos_off = CFG_TLS(verify_client_pos),
	  .off_alias = true,
	  .names = cfg_verify_names },
};

/* Read a tls: mapping over t (which holds the defaults or the inherited values). */
static void
cfg_tls_read(struct cfg_ctx *c, size_t node, struct config_tls *t)
{
	size_t old = cfg_push(c, "tls.");

	cfg_map(c, node, cfg_tls_fields, CFG_NELEM(cfg_tls_fields), t);
	cfg_pop(c, old);
}

/* The top-level tls: block (base is the struct config). */
static void
cfg_top_tls(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base)
{
	(void)f;
	(void)base;
	cfg_tls_read(c, node, &c->tls);
}

/* A listener's own tls: block (base is the listener, its tls already inherited). */
static void
cfg_listener_tls(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base)
{
	(void)f;
	cfg_tls_read(c, node, &((struct config_listener *)base)->tls);
}

/* Client verification needs a CA to verify against. Checked on the merged
 * settings; an error inherited by many listeners is reported once. */
static void
cfg_tls_check(struct cfg_ctx *c, const struct config_tls *t)
{
	char msg[sizeof(((struct config_error *)0)->msg)];

	if (t->verify_client == CONFIG_VERIFY_OFF || t->client_ca != NULL)
		return;
	snprintf(msg, sizeof(msg), "\"verify_client: %s\" needs a \"client_ca\" to verify against",
		 cfg_verify_names[t->verify_client]);
	c->failed = true;
	if (!cfg_error_known(c->errs, c->errs0, t->verify_client_pos.line,
			     t->verify_client_pos.col, msg))
		config_error_add(c->errs, t->verify_client_pos.line, t->verify_client_pos.col, "%s",
				 msg);
}

/* ------------------------------------------------------- log: and limits: */

/* log.error: stderr (or null) stores NULL, anything else is a file. */
static void
cfg_log_error(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base)
{
	struct config_log *lg = base;
	char *s = NULL;
	int r = cfg_scalar(c, node, f->name, "stderr or a file name", true);

	if (r < 0)
		return;
	if (r > 0 && !cfg_eq(c, node, "stderr")) {
		s = cfg_string(c, node, f->name, true);
		if (s == NULL)
			return;
	}
	free(lg->error);
	lg->error = s;
}

/* log.access: stdout stores "-", off (or null, false) NULL, anything else is a file. */
static void
cfg_log_access(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base)
{
	struct config_log *lg = base;
	char *s = NULL;
	char q[64];
	int r = cfg_scalar(c, node, f->name, "stdout, off or a file name", true);

	if (r < 0)
		return;
	if (r > 0 && cfg_bool(c, node) == 1) {
		cfg_err(c, node, "\"%s%s\" must be stdout, off or a file name, not \"%s\"",
			c->prefix, f->name, cfg_qnode(c, node, q, sizeof(q)));
		return;
	}
	if (r > 0 && cfg_bool(c, node) != 0) {
		if (cfg_eq(c, node, "stdout") || cfg_eq(c, node, "-"))
			s = cfg_strndup(c, "-", 1);
		else
			s = cfg_string(c, node, f->name, true);
		if (s == NULL)
			return;
	}
	free(lg->access);
	lg->access = s;
}

static const char *const cfg_level_names[] = { "error", "warn", "info", "debug", NULL };
static const char *const cfg_format_names[] = { "common", "combined", "json", NULL };

static const struct cfg_field cfg_log_fields[] = {
	{ .name = "level", .type = CFG_T_ENUM, .off = offsetof(struct config_log, level),
	  .names = cfg_level_names },
	{ .name = "error", .type = CFG_T_FN, .fn = cfg_log_error },
	{ .name = "access", .type = CFG_T_FN, .fn = cfg_log_access },
	{ .name = "access_format", .type = CFG_T_ENUM,
	  .off = offsetof(struct config_log, access_format), .names = cfg_format_names },
};

static void
cfg_log(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base)
{
	size_t old = cfg_push(c, "%s.", f->name);

	cfg_map(c, node, cfg_log_fields, CFG_NELEM(cfg_log_fields), &((struct config *)base)->log);
	cfg_pop(c, old);
}

#define CFG_LIM(m) offsetof(struct config_limits, m)
#define CFG_TIMEOUT(n) { .name = #n, .type = CFG_T_DURATION, .off = CFG_LIM(n##_ms), .min = 1, \
		.max = CFG_DAY_MS, .range = "more than 0, at most 24h" }
static const struct cfg_field cfg_limits_fields[] = {
	{ .name = "max_connections", .type = CFG_T_U32, .off = CFG_LIM(max_connections), .min = 1,
	  .max = 10000000, .range = "1..10000000" },
	CFG_TIMEOUT(handshake_timeout),
	CFG_TIMEOUT(header_timeout),
	CFG_TIMEOUT(idle_timeout),
	CFG_TIMEOUT(shutdown_timeout),
	{ .name = "min_send_rate", .type = CFG_T_SIZE, .off = CFG_LIM(min_send_rate) },
	{ .name = "max_request_head", .type = CFG_T_SIZE, .off = CFG_LIM(max_request_head),
	  .min = 1024, .max = 1024 * 1024, .range = "1k..1m" },
	{ .name = "max_headers", .type = CFG_T_U32, .off = CFG_LIM(max_headers), .min = 1,
	  .max = 10000, .range = "1..10000" },
};

static void
cfg_limits(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base)
{
	size_t old = cfg_push(c, "%s.", f->name);

	cfg_map(c, node, cfg_limits_fields, CFG_NELEM(cfg_limits_fields),
		&((struct config *)base)->limits);
	cfg_pop(c, old);
}

/* ------------------------------------------------------------ listeners: */

/* An index file name: one path component. Returns NULL or why not. */
static const char *
cfg_index_ok(const char *s)
{
	if (strchr(s, '/') != NULL)
		return "must not contain '/'";
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return "is not a file name";
	return NULL;
}

/* An SNI name (already lower-case): a host name, or "*." and a host name, the
 * wildcard being a whole leftmost label as certificates allow (RFC 6125 6.4.3).
 * Returns NULL or why not. */
static const char *
cfg_sni_name_ok(const char *s)
{
	size_t n = strlen(s), label = 0;

	if (n > 2 && s[0] == '*' && s[1] == '.')
		s += 2, n -= 2;
	if (n == 0 || n > 253)
		return "is not a host name";
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (label == 0 || label > 63)
				return "is not a host name (empty or over-long label)";
			label = 0;
		} else if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
			   s[i] == '-' || s[i] == '_') {
			label++;
		} else {
			return s[i] == '*' ? "is not a host name (a wildcard must be the whole "
					     "leftmost label, "
					     "as in \"*.example.test\")"
					   : "is not a host name";
		}
	}
	return NULL;
}

/* A service name for getaddrinfo: letters, digits and "-_.+", with a letter. */
static bool
cfg_service_ok(const char *s, size_t n)
{
	bool letter = false;

	if (n == 0 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'))
			letter = true;
		else if (!(ch >= '0' && ch <= '9') && !strchr("-_.+", ch))
			return false;
	}
	return letter;
}

/* port: a number 0..65535 (stored in canonical decimal) or a service name. */
static void
cfg_port(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base)
{
	struct config_listener *l = base;
	const struct cfg_node *n = cfg_node(c, node);
	char q[64], num[8];
	char *p;
	uint64_t v;

	if (cfg_scalar(c, node, f->name, "a port number or a service name", false) <= 0)
		return;
	if (cfg_parse_uint(cfg_text(c, n), n->len, &v) == 0) {
		if (v > 65535) {
			cfg_err(c, node, "\"%s%s\" is out of range: \"%s\" (allowed: 0..65535)",
				c->prefix, f->name, cfg_qnode(c, node, q, sizeof(q)));
			return;
		}
		snprintf(num, sizeof(num), "%u", (unsigned)v);
		p = cfg_strndup(c, num, strlen(num));
	} else if (cfg_service_ok(cfg_text(c, n), n->len)) {
		p = cfg_strndup(c, cfg_text(c, n), n->len);
	} else {
		cfg_err(c, node,
			"\"%s%s\" must be a port number 0..65535 or a service name, not \"%s\"",
			c->prefix, f->name, cfg_qnode(c, node, q, sizeof(q)));
		return;
	}
	if (p == NULL)
		return;
	free(l->port);
	l->port = p;
}

/* index: a file name or a list of them; an empty list (or null) means none. */
static void
cfg_index(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base)
{
	struct config_listener *l = base;
	char **v;
	size_t n;

	if (cfg_strlist(c, node, f->name, false, cfg_index_ok, &v, &n) < 0)
		return;
	cfg_strv_free(l->index, l->nindex);
	l->index = v;
	l->nindex = n;
}

/* sni[].names: at least one host name or wildcard, lower-cased. */
static void
cfg_sni_names(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base)
{
	struct config_sni *s = base;
	char **v;
	size_t n;

	if (cfg_strlist(c, node, f->name, true, cfg_sni_name_ok, &v, &n) < 0)
		return;
	if (n == 0) {
		cfg_err(c, node, "\"%s%s\" needs at least one name", c->prefix, f->name);
		free(v);
		return;
	}
	cfg_strv_free(s->names, s->nnames);
	s->names = v;
	s->nnames = n;
}

#define CFG_SNI(m) offsetof(struct config_sni, m)
static const struct cfg_field cfg_sni_fields[] = {
	{ .name = "names", .type = CFG_T_FN, .fn = cfg_sni_names },
	{ .name = "certificate", .type = CFG_T_PATH, .off = CFG_SNI(certificate), .has_pos = true,
	  .pos_off = CFG_SNI(certificate_pos) },
	{ .name = "key", .type = CFG_T_PATH, .off = CFG_SNI(key), .has_pos = true,
	  .pos_off = CFG_SNI(key_pos) },
};

/* Report each of the fields not in seen as missing from the mapping at node. */
static void
cfg_required(struct cfg_ctx *c, size_t node, uint32_t seen, const struct cfg_field *fields,
	     size_t nf, const char *const *names)
{
	for (size_t i = 0; names[i] != NULL; i++) {
		if (!cfg_has(seen, fields, nf, names[i]))
			cfg_err(c, node, "\"%s%s\" is required", c->prefix, names[i]);
	}
}

/* Read sni entry i at node into s. Returns true when s was used (and must be
 * freed with the listener), false after reporting a non-mapping. */
static bool
cfg_sni_entry(struct cfg_ctx *c, size_t node, size_t i, struct config_sni *s)
{
	static const char *const required[] = { "names", "certificate", "key", NULL };
	const struct cfg_node *n = cfg_node(c, node);
	uint32_t seen;
	size_t old;

	if (n->kind == CFG_BAD)
		return false;
	if (n->kind != CFG_MAP) {
		cfg_err(c, node,
			"\"%ssni[%zu]\" must be a mapping with names, certificate and key, "
			"not a %s",
			c->prefix, i, cfg_kind_name(n->kind));
		return false;
	}
	s->pos = (struct config_pos){ n->line, n->col };
	old = cfg_push(c, "sni[%zu].", i);
	seen = cfg_map(c, node, cfg_sni_fields, CFG_NELEM(cfg_sni_fields), s);
	cfg_required(c, node, seen, cfg_sni_fields, CFG_NELEM(cfg_sni_fields), required);
	cfg_pop(c, old);
	return true;
}

/* sni: a sequence of {names, certificate, key}. */
static void
cfg_sni(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base)
{
	struct config_listener *l = base;
	const struct cfg_node *n = cfg_node(c, node);
	size_t i = 0;

	if (n->kind == CFG_BAD || cfg_is_null(c, node))
		return;
	if (n->kind != CFG_SEQ) {
		cfg_err(c, node,
			"\"%s%s\" must be a sequence of {names, certificate, key}, not a %s",
			c->prefix, f->name, cfg_kind_name(n->kind));
		return;
	}
	if (n->nkids == 0)
		return;
	l->sni = calloc(n->nkids, sizeof(*l->sni));
	if (l->sni == NULL) {
		c->oom = true;
		return;
	}
	for (size_t k = n->first; k != CFG_NONE; k = cfg_node(c, k)->next, i++) {
		if (cfg_sni_entry(c, k, i, &l->sni[l->nsni]))
			l->nsni++;
	}
}

static const char *const cfg_mode_names[] = { "files", "echo", NULL };
static const char *const cfg_dotfiles_names[] = { "deny", "allow", NULL };
static const char *const cfg_proxy_names[] = { "off", "v1", "v2", "any", NULL };

#define CFG_L(m) offsetof(struct config_listener, m)
static const struct cfg_field cfg_listener_fields[] = {
	{ .name = "name", .type = CFG_T_STR, .off = CFG_L(name) },
	{ .name = "host", .type = CFG_T_STR, .off = CFG_L(host), .nullable = true },
	{ .name = "port", .type = CFG_T_FN, .fn = cfg_port },
	{ .name = "mode", .type = CFG_T_ENUM, .off = CFG_L(mode), .names = cfg_mode_names },
	{ .name = "root",
	  .type = CFG_T_PATH,
	  .off = CFG_L(root),
	  .has_pos = true,
	  .pos_off = CFG_L(root_pos) },
	{ .name = "index", .type = CFG_T_FN, .fn = cfg_index },
	{ .name = "listing", .type = CFG_T_BOOL, .off = CFG_L(listing) },
	{ .name = "dotfiles",
	  .type = CFG_T_ENUM,
	  .off = CFG_L(dotfiles),
	  .names = cfg_dotfiles_names },
	{ .name = "proxy_protocol",
	  .type = CFG_T_ENUM,
	  .off = CFG_L(proxy_protocol),
	  .off_alias = true,
	  .names = cfg_proxy_names },
	{ .name = "tls", .type = CFG_T_FN, .fn = cfg_listener_tls },
	{ .name = "sni", .type = CFG_T_FN, .fn = cfg_sni },
};

/* Defaults that depend on the other keys: a name, and a root only for files
 * listeners (an echo listener's root is accepted but unused). */
static void
cfg_listener_finish(struct cfg_ctx *c, struct config_listener *l, size_t i)
{
	char name[32];

	if (l->name == NULL) {
		snprintf(name, sizeof(name), "listener-%zu", i);
		l->name = cfg_strndup(c, name, strlen(name));
	}
	if (l->mode == CONFIG_MODE_ECHO) {
		free(l->root);
		l->root = NULL;
	} else if (l->root == NULL) {
		l->root = cfg_path(c, "www", 3);
	}
}

/* Read listener i at node into l: the defaults, the inherited tls:, then its
 * own keys. Returns true when l was used (and must be freed), false after
 * reporting a non-mapping. */
static bool
cfg_listener(struct cfg_ctx *c, size_t node, size_t i, struct config_listener *l)
{
	static const char *const required[] = { "port", NULL };
	const struct cfg_node *n = cfg_node(c, node);
	uint32_t seen;
	size_t old;

	if (n->kind == CFG_BAD)
		return false;
	if (n->kind != CFG_MAP) {
		cfg_err(c, node, "\"listeners[%zu]\" must be a mapping, not a %s", i,
			cfg_kind_name(n->kind));
		return false;
	}
	l->pos = (struct config_pos){ n->line, n->col };
	cfg_tls_copy(c, &l->tls, &c->tls);
	l->index = calloc(1, sizeof(*l->index));
	if (l->index != NULL) {
		l->index[0] = cfg_strndup(c, "index.html", strlen("index.html"));
		l->nindex = 1;
	} else {
		c->oom = true;
	}
	old = cfg_push(c, "listeners[%zu].", i);
	seen = cfg_map(c, node, cfg_listener_fields, CFG_NELEM(cfg_listener_fields), l);
	cfg_required(c, node, seen, cfg_listener_fields, CFG_NELEM(cfg_listener_fields), required);
	cfg_pop(c, old);
	cfg_listener_finish(c, l, i);
	cfg_tls_check(c, &l->tls);
	return true;
}

/* Report listener names used twice. */
static void
cfg_listener_names(struct cfg_ctx *c, const size_t *nodes)
{
	struct config *cfg = c->cfg;
	struct cfg_dup *d = calloc(cfg->nlisteners ? cfg->nlisteners : 1, sizeof(*d));
	size_t n = 0;

	if (d == NULL) {
		c->oom = true;
		return;
	}
	for (size_t i = 0; i < cfg->nlisteners; i++) {
		if (cfg->listeners[i].name != NULL)
			d[n++] = (struct cfg_dup){ cfg->listeners[i].name, i, nodes[i] };
	}
	cfg_dups(c, d, n, "listener name");
	free(d);
}

/* listeners: read last, once the top-level tls: is known whatever the key order. */
static void
cfg_listeners(struct cfg_ctx *c)
{
	size_t node = c->listeners, i = 0, *nodes;
	const struct cfg_node *n;

	if (node == CFG_NONE) {
		cfg_err(c, CFG_NONE,
			"no listeners: the configuration needs a \"listeners\" sequence");
		return;
	}
	n = cfg_node(c, node);
	if (n->kind == CFG_BAD)
		return;
	if (n->kind == CFG_MAP) {
		cfg_err(c, node,
			"\"listeners\" must be a sequence (\"- port: ...\"), not a mapping");
		return;
	}
	if (cfg_is_null(c, node) || n->kind != CFG_SEQ || n->nkids == 0) {
		cfg_err(c, node, "no listeners: \"listeners\" needs at least one entry");
		return;
	}
	c->cfg->listeners = calloc(n->nkids, sizeof(*c->cfg->listeners));
	nodes = calloc(n->nkids, sizeof(*nodes));
	if (c->cfg->listeners == NULL || nodes == NULL) {
		c->oom = true;
		free(nodes);
		return;
	}
	for (size_t k = n->first; k != CFG_NONE; k = cfg_node(c, k)->next, i++) {
		nodes[c->cfg->nlisteners] = k;
		if (cfg_listener(c, k, i, &c->cfg->listeners[c->cfg->nlisteners]))
			c->cfg->nlisteners++;
	}
	cfg_listener_names(c, nodes);
	free(nodes);
}

/* listeners: at the top level only notes where the sequence is. */
static void
cfg_note_listeners(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base)
{
	(void)f;
	(void)base;
	c->listeners = node;
}

/* ----------------------------------------------------------------- mime: */

/* Read one "extension: type" pair into m. Returns true when both were stored,
 * false after reporting (m is then left empty). */
static bool
cfg_mime_entry(struct cfg_ctx *c, size_t k, size_t v, struct config_mime *m)
{
	const struct cfg_node *kn = cfg_node(c, k);
	const char *ext = cfg_text(c, kn);
	size_t len = kn->len;
	char q[64];

	if (kn->kind == CFG_BAD)
		return false;
	if (kn->kind != CFG_SCALAR) {
		cfg_err(c, k, "a key must be a plain string, not a %s", cfg_kind_name(kn->kind));
		return false;
	}
	if (len > 0 && ext[0] == '.')
		ext++, len--;
	/* mime_type() matches the text after the last dot, so "tar.gz" could never match. */
	if (len == 0 || strcspn(ext, "/. \t") != len || memchr(ext, '\0', len) != NULL) {
		cfg_err(c, k,
			"\"mime\": \"%s\" is not a file extension (the text after the last dot)",
			cfg_qnode(c, k, q, sizeof(q)));
		return false;
	}
	cfg_quote(q, sizeof(q), ext, len);
	if (cfg_scalar(c, v, q, "a media type such as text/plain", false) <= 0)
		return false;
	m->type = cfg_string(c, v, q, false);
	if (m->type != NULL && strchr(m->type, '/') == NULL) {
		cfg_err(c, v, "\"%s%s\": \"%s\" is not a media type such as text/plain", c->prefix,
			q, m->type);
		free(m->type);
		m->type = NULL;
	}
	if (m->type == NULL)
		return false;
	m->ext = cfg_strndup(c, ext, len);
	for (char *p = m->ext; p && *p; p++)
		*p = (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : *p;
	return true;
}

/* mime: a mapping of extension to media type, overriding the built-in table. */
static void
cfg_mime(struct cfg_ctx *c, const struct cfg_field *f, size_t node, void *base)
{
	struct config *cfg = base;
	const struct cfg_node *n = cfg_node(c, node);
	struct cfg_dup *d;
	size_t old;

	if (n->kind == CFG_BAD || cfg_is_null(c, node))
		return;
	if (n->kind != CFG_MAP || n->nkids < 2) {
		if (n->kind != CFG_MAP)
			cfg_err(c, node, "\"%s\" must be a mapping of extension: type, not a %s",
				f->name, cfg_kind_name(n->kind));
		return;
	}
	cfg->mime = calloc(n->nkids / 2, sizeof(*cfg->mime));
	d = calloc(n->nkids / 2, sizeof(*d));
	if (cfg->mime == NULL || d == NULL) {
		c->oom = true;
		free(d);
		return;
	}
	old = cfg_push(c, "%s.", f->name);
	for (size_t k = n->first, v; k != CFG_NONE && (v = cfg_node(c, k)->next) != CFG_NONE;
	     k = cfg_node(c, v)->next) {
		struct config_mime *m = &cfg->mime[cfg->nmime];

		if (!cfg_mime_entry(c, k, v, m))
			continue;
		d[cfg->nmime] = (struct cfg_dup){ m->ext ? m->ext : "", cfg->nmime, k };
		cfg->nmime++;
	}
	cfg_pop(c, old);
	cfg_dups(c, d, cfg->nmime, "MIME extension");
	free(d);
}

/* ---------------------------------------------------------- top level */

static const struct cfg_field cfg_top_fields[] = {
	{ .name = "workers",
	  .type = CFG_T_U32,
	  .off = offsetof(struct config, workers),
	  .auto_zero = true,
	  .min = 1,
	  .max = 1024,
	  .range = "1..1024 or auto" },
	{ .name = "user",
	  .type = CFG_T_STR,
	  .off = offsetof(struct config, user),
	  .nullable = true },
	{ .name = "log", .type = CFG_T_FN, .fn = cfg_log },
	{ .name = "limits", .type = CFG_T_FN, .fn = cfg_limits },
	{ .name = "tls", .type = CFG_T_FN, .fn = cfg_top_tls },
	{ .name = "mime", .type = CFG_T_FN, .fn = cfg_mime },
	{ .name = "listeners", .type = CFG_T_FN, .fn = cfg_note_listeners },
};

/* Fill in what SPEC.md lists as defaults. Out of memory is noted in c->oom. */
static void
cfg_defaults(struct cfg_ctx *c, const char *filename)
{
	struct config *cfg = c->cfg;

	cfg->path = cfg_strdup_opt(c, filename);
	cfg->workers = 0;
	cfg->log.level = CONFIG_LOG_INFO;
	cfg->log.access = cfg_strndup(c, "-", 1);
	cfg->log.access_format = CONFIG_ACCESS_COMBINED;
	cfg->limits = (struct config_limits){
		.max_connections = 10000,
		.handshake_timeout_ms = 10 * 1000,
		.header_timeout_ms = 10 * 1000,
		.idle_timeout_ms = 60 * 1000,
		.shutdown_timeout_ms = 30 * 1000,
		.min_send_rate = 0,
		.max_request_head = 16 * 1024,
		.max_headers = 100,
	};
	c->tls.certificate = cfg_path(c, "certs/server.crt", strlen("certs/server.crt"));
	c->tls.key = cfg_path(c, "certs/server.key", strlen("certs/server.key"));
	c->tls.min_version = 12;
	c->tls.session_tickets = true;
	c->tls.verify_client = CONFIG_VERIFY_OFF;
}

static void
cfg_listener_free(struct config_listener *l)
{
	free(l->name);
	free(l->host);
	free(l->port);
	free(l->root);
	cfg_strv_free(l->index, l->nindex);
	cfg_tls_free(&l->tls);
	for (size_t i = 0; i < l->nsni; i++) {
		cfg_strv_free(l->sni[i].names, l->sni[i].nnames);
		free(l->sni[i].certificate);
		free(l->sni[i].key);
	}
	free(l->sni);
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < cfg->nlisteners; i++)
		cfg_listener_free(&cfg->listeners[i]);
	free(cfg->listeners);
	for (size_t i = 0; i < cfg->nmime; i++) {
		free(cfg->mime[i].ext);
		free(cfg->mime[i].type);
	}
	free(cfg->mime);
	free(cfg->log.error);
	free(cfg->log.access);
	free(cfg->user);
	free(cfg->path);
	free(cfg);
}

int
config_load_string(const char *buf, size_t len, const char *filename, const char *basedir,
		   struct config **out, struct config_errors *errs)
{
	struct cfg_tree t = { 0 };
	struct cfg_ctx c = { .t = &t, .errs = errs, .errs0 = errs->n, .basedir = basedir,
			     .listeners = CFG_NONE };
	int rc = -1;

	if (len > CFG_MAX_BYTES) {
		config_error_add(errs, 0, 0, "larger than %d bytes", CFG_MAX_BYTES);
		return -1;
	}
	c.cfg = calloc(1, sizeof(*c.cfg));
	if (c.cfg == NULL) {
		config_error_add(errs, 0, 0, "out of memory");
		return -1;
	}
	cfg_defaults(&c, filename);
	if (cfg_tree_build(&t, buf, len, errs) < 0)
		goto out;
	c.failed = t.bad;
	if (t.root != CFG_NONE)
		cfg_map(&c, t.root, cfg_top_fields, CFG_NELEM(cfg_top_fields), c.cfg);
	cfg_listeners(&c);
	if (c.oom)
		cfg_err(&c, CFG_NONE, "out of memory");
	if (!c.failed) {
		*out = c.cfg;
		c.cfg = NULL;
		rc = 0;
	}
out:
	cfg_errors_sort(errs, c.errs0);
	cfg_tls_free(&c.tls);
	config_free(c.cfg);
	cfg_tree_free(&t);
	return rc;
}

/* ------------------------------------------------------------- files */

/* Read path into *buf and *len (caller frees *buf), refusing anything but a
 * regular file of at most CFG_MAX_BYTES. Returns 0, or -1 after reporting. */
static int
cfg_read_file(const char *path, char **buf, size_t *len, struct config_errors *errs)
{
	struct stat st;
	char *p = NULL;
	size_t n = 0;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		config_error_add(errs, 0, 0, "cannot open: %s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > CFG_MAX_BYTES) {
		config_error_add(errs, 0, 0,
				 S_ISREG(st.st_mode) ? "larger than %d bytes"
						     : "not a regular file (limit %d bytes)",
				 CFG_MAX_BYTES);
		goto out;
	}
	/* Room for one byte over the limit: st_size is only a hint, the file may
	 * grow while it is read. */
	p = malloc(CFG_MAX_BYTES + 1);
	if (p == NULL) {
		config_error_add(errs, 0, 0, "out of memory");
		goto out;
	}
	while (n <= CFG_MAX_BYTES) {
		ssize_t r = read(fd, p + n, CFG_MAX_BYTES + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			config_error_add(errs, 0, 0, "cannot read: %s", strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > CFG_MAX_BYTES) {
		config_error_add(errs, 0, 0, "larger than %d bytes", CFG_MAX_BYTES);
		goto out;
	}
	*buf = p;
	*len = n;
	p = NULL;
	rc = 0;
out:
	free(p);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* The directory of path, made absolute when possible so that a later chdir
 * (or a reload) still finds relative files. Returns a new string or NULL. */
static char *
cfg_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir, *abs;

	if (slash == NULL)
		dir = strdup(".");
	else
		dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
	if (dir == NULL)
		return NULL;
	abs = realpath(dir, NULL);
	if (abs == NULL)
		return dir;
	free(dir);
	return abs;
}

int
config_load_file(const char *path, struct config **out, struct config_errors *errs)
{
	char *buf = NULL, *dir = NULL;
	size_t len = 0;
	int rc = -1;

	if (cfg_read_file(path, &buf, &len, errs) < 0)
		return -1;
	dir = cfg_dirname(path);
	if (dir == NULL)
		config_error_add(errs, 0, 0, "out of memory");
	else
		rc = config_load_string(buf, len, path, dir, out, errs);
	free(dir);
	free(buf);
	return rc;
}

/* Check that path names a readable regular file; for a ticket key file also
 * that it holds whole 80-byte keys. Reports at pos; a default value has no
 * position and is named as such, so every listener inheriting it shares one
 * report. Returns false after reporting. */
static bool
cfg_check_file(struct config_errors *errs, size_t from, const char *what, const char *path,
	       struct config_pos pos)
{
	char msg[sizeof(((struct config_error *)0)->msg)], q[96];
	const char *dflt = pos.line == 0 ? "default " : "";
	struct stat st;

	if (path == NULL)
		return true;
	cfg_quote(q, sizeof(q), path, strlen(path));
	if (stat(path, &st) < 0)
		snprintf(msg, sizeof(msg), "%s%s \"%s\": %s", dflt, what, q, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		snprintf(msg, sizeof(msg), "%s%s \"%s\" is not a regular file", dflt, what, q);
	else if (access(path, R_OK) < 0)
		snprintf(msg, sizeof(msg), "%s%s \"%s\" is not readable: %s", dflt, what, q,
			 strerror(errno));
	else if (strcmp(what, "ticket_key_file") == 0 && (st.st_size == 0 || st.st_size % 80 != 0))
		snprintf(msg, sizeof(msg), "%s \"%s\" must hold whole 80-byte keys, not %lld bytes",
			 what, q, (long long)st.st_size);
	else
		return true;
	if (!cfg_error_known(errs, from, pos.line, pos.col, msg))
		config_error_add(errs, pos.line, pos.col, "%s", msg);
	return false;
}

/* Check that a files listener's root is a searchable directory. Returns false
 * after reporting (a default root, like a default file, without a position). */
static bool
cfg_check_root(struct config_errors *errs, size_t from, const struct config_listener *l)
{
	char msg[sizeof(((struct config_error *)0)->msg)], q[96];
	const char *dflt = l->root_pos.line == 0 ? "default " : "";
	struct stat st;

	if (l->root == NULL)
		return true;
	cfg_quote(q, sizeof(q), l->root, strlen(l->root));
	if (stat(l->root, &st) < 0)
		snprintf(msg, sizeof(msg), "%sroot \"%s\": %s", dflt, q, strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		snprintf(msg, sizeof(msg), "%sroot \"%s\" is not a directory", dflt, q);
	else if (access(l->root, R_OK | X_OK) < 0)
		snprintf(msg, sizeof(msg), "%sroot \"%s\" is not readable: %s", dflt, q,
			 strerror(errno));
	else
		return true;
	if (!cfg_error_known(errs, from, l->root_pos.line, l->root_pos.col, msg))
		config_error_add(errs, l->root_pos.line, l->root_pos.col, "%s", msg);
	return false;
}

/* The files of one listener's tls: and sni:. Returns false after reporting. */
static bool
cfg_check_listener(struct config_errors *errs, size_t from, const struct config_listener *l)
{
	const struct config_tls *t = &l->tls;
	bool ok = true;

	ok &= cfg_check_file(errs, from, "certificate", t->certificate, t->certificate_pos);
	ok &= cfg_check_file(errs, from, "key", t->key, t->key_pos);
	ok &= cfg_check_file(errs, from, "ticket_key_file", t->ticket_key_file,
			     t->ticket_key_file_pos);
	ok &= cfg_check_file(errs, from, "client_ca", t->client_ca, t->client_ca_pos);
	ok &= cfg_check_file(errs, from, "client_crl", t->client_crl, t->client_crl_pos);
	for (size_t i = 0; i < l->nsni; i++) {
		const struct config_sni *s = &l->sni[i];

		ok &= cfg_check_file(errs, from, "certificate", s->certificate, s->certificate_pos);
		ok &= cfg_check_file(errs, from, "key", s->key, s->key_pos);
	}
	ok &= cfg_check_root(errs, from, l);
	return ok;
}

int
config_check_files(const struct config *cfg, struct config_errors *errs)
{
	size_t from = errs->n;
	bool ok = true;

	for (size_t i = 0; i < cfg->nlisteners; i++)
		ok &= cfg_check_listener(errs, from, &cfg->listeners[i]);
	cfg_errors_sort(errs, from);
	return ok ? 0 : -1;
}
