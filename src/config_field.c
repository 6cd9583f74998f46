/* config_field: the field-table engine (see config_field.h). */
#include "tlserve/config_field.h"

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlserve/util.h"

/* Report an error at node's position (0:0 for CFG_NONE) and mark the load failed. */
void
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
	config_diag_vadd(c->errs, CONFIG_SEV_ERROR, line, col, fmt, ap);
	va_end(ap);
}

/* Write s[0..n) into out (cap bytes) fit for a message between double quotes:
 * control bytes, quotes and backslashes escaped, long text cut with "...".
 * Returns out. */
const char *
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
const char *
cfg_qnode(const struct cfg_ctx *c, size_t node, char *out, size_t cap)
{
	const struct cfg_node *n = cfg_node(c, node);

	return cfg_quote(out, cap, cfg_text(c, n), n->len);
}

/* Append to the key path; returns the old length for cfg_pop. */
size_t
cfg_push(struct cfg_ctx *c, const char *fmt, ...)
{
	size_t old = strlen(c->prefix);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->prefix + old, sizeof(c->prefix) - old, fmt, ap);
	va_end(ap);
	return old;
}

void
cfg_pop(struct cfg_ctx *c, size_t old)
{
	c->prefix[old] = '\0';
}

/* strndup that records running out of memory in the context. Returns the copy
 * (caller owns) or NULL. */
char *
cfg_strndup(struct cfg_ctx *c, const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (p == NULL)
		c->oom = true;
	return p;
}

char *
cfg_strdup_opt(struct cfg_ctx *c, const char *s)
{
	return s == NULL ? NULL : cfg_strndup(c, s, strlen(s));
}

/* Resolve path p[0..n) against basedir unless it is absolute. Returns a new
 * string (caller owns) or NULL when out of memory. */
char *
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

const char *
cfg_kind_name(enum cfg_kind k)
{
	return k == CFG_MAP ? "mapping" : k == CFG_SEQ ? "sequence" : "scalar";
}

/* YAML's null: an untagged plain scalar that is empty, "~" or null. */
bool
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

bool
cfg_eq(const struct cfg_ctx *c, size_t node, const char *lit)
{
	const struct cfg_node *n = cfg_node(c, node);

	return util_strieq(cfg_text(c, n), n->len, lit);
}

/* Check that the value of key is a scalar described by what. Returns 1 for a
 * value, 0 for null when nullable, -1 after reporting (or for an alias, already
 * reported). */
int
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
char *
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
int
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
		[CFG_T_DURATION] = "a duration such as 250ms, 10s, 5m, 12h or 30d",
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
int
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
void
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
	case CFG_T_MAP: {
		size_t old = cfg_push(c, "%s.", f->name);

		cfg_map(c, node, f->sub, f->nsub, dst);
		cfg_pop(c, old);
		break;
	}
	case CFG_T_FN:
		f->fn(c, f, node, base);
		break;
	case CFG_T_NONE:
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
uint32_t
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


void
cfg_required(struct cfg_ctx *c, size_t node, uint32_t seen, const struct cfg_field *fields,
	     size_t nf, const char *const *names)
{
	for (size_t i = 0; names[i] != NULL; i++) {
		if (!cfg_has(seen, fields, nf, names[i]))
			cfg_err(c, node, "\"%s%s\" is required", c->prefix, names[i]);
	}
}

size_t
cfg_map_value(const struct cfg_ctx *c, size_t node, const char *name)
{
	const struct cfg_node *n = cfg_node(c, node);

	if (n->kind != CFG_MAP)
		return CFG_NONE;
	for (size_t k = n->first, v; k != CFG_NONE; k = cfg_node(c, v)->next) {
		const struct cfg_node *kn = cfg_node(c, k);

		v = kn->next;
		if (v == CFG_NONE)
			break;
		if (kn->kind == CFG_SCALAR && kn->len == strlen(name) &&
		    memcmp(cfg_text(c, kn), name, kn->len) == 0)
			return v;
	}
	return CFG_NONE;
}

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
void
cfg_dups(struct cfg_ctx *c, struct cfg_dup *d, size_t n, const char *what, bool with_col)
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
		cfg_quote(q, sizeof(q), d[i].s, strlen(d[i].s));
		if (with_col)
			cfg_err(c, d[i].node, "duplicate %s \"%s\" (first at line %d, column %d)",
				what, q, cfg_node(c, d[j].node)->line, cfg_node(c, d[j].node)->col);
		else
			cfg_err(c, d[i].node, "duplicate %s \"%s\" (first at line %d)", what, q,
				cfg_node(c, d[j].node)->line);
	}
}

void
cfg_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

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
		*p = util_lower(*p);
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
int
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


/* ------------------------------------------------------------ reload diff */

/* The type of what field f stores at its offset. */
static enum cfg_type
cfg_value_type(const struct cfg_field *f)
{
	return f->type == CFG_T_FN ? f->value : f->type;
}

/* A numeric field's value as 64 bits. */
static uint64_t
cfg_value_num(const struct cfg_field *f, const char *p)
{
	uint32_t v32;
	uint64_t v64;

	if (cfg_value_type(f) == CFG_T_U32) {
		memcpy(&v32, p, sizeof(v32));
		return v32;
	}
	memcpy(&v64, p, sizeof(v64));
	return v64;
}

/* Field f's value within base as text for a message, in out. */
static const char *
cfg_value_text(const struct cfg_field *f, const void *base, char *out, size_t cap)
{
	const char *p = (const char *)base + f->off;
	const char *str;
	char q[80];
	bool b;
	int e;

	switch (cfg_value_type(f)) {
	case CFG_T_U32:
	case CFG_T_SIZE:
		if (f->auto_zero && cfg_value_num(f, p) == 0)
			return "auto";
		snprintf(out, cap, "%" PRIu64, cfg_value_num(f, p));
		return out;
	case CFG_T_DURATION:
		snprintf(out, cap, "%" PRIu64 "ms", cfg_value_num(f, p));
		return out;
	case CFG_T_BOOL:
		memcpy(&b, p, sizeof(b));
		return b ? "true" : "false";
	case CFG_T_ENUM:
		memcpy(&e, p, sizeof(e));
		return e >= 0 && f->names ? f->names[e] : "?";
	case CFG_T_STR:
	case CFG_T_PATH:
		memcpy(&str, p, sizeof(str));
		if (str == NULL)
			return f->null_text ? f->null_text : "null";
		if (f->dash_text && strcmp(str, "-") == 0)
			return f->dash_text;
		snprintf(out, cap, "\"%s\"", cfg_quote(q, sizeof(q), str, strlen(str)));
		return out;
	default:
		return "?";
	}
}

/* Whether field f changed from a to b in a way its reload rule cares about. */
static bool
cfg_value_changed(const struct cfg_field *f, const void *a, const void *b)
{
	const char *pa = (const char *)a + f->off, *pb = (const char *)b + f->off;
	const char *sa, *sb;

	switch (cfg_value_type(f)) {
	case CFG_T_U32:
	case CFG_T_SIZE:
	case CFG_T_DURATION:
		if (f->reload == CFG_RESTART_GROW)
			return cfg_value_num(f, pb) > cfg_value_num(f, pa);
		return cfg_value_num(f, pb) != cfg_value_num(f, pa);
	case CFG_T_BOOL:
		return memcmp(pa, pb, sizeof(bool)) != 0;
	case CFG_T_ENUM:
		return memcmp(pa, pb, sizeof(int)) != 0;
	case CFG_T_STR:
	case CFG_T_PATH:
		memcpy(&sa, pa, sizeof(sa));
		memcpy(&sb, pb, sizeof(sb));
		return (sa == NULL) != (sb == NULL) || (sa != NULL && strcmp(sa, sb) != 0);
	default:
		return false;
	}
}

void
cfg_diff(const void *a, const void *b, const struct cfg_field *fields, size_t nf,
	 const char *prefix, cfg_diff_fn *fn, void *arg)
{
	char name[160], was[96], now[96];

	for (size_t i = 0; i < nf; i++) {
		const struct cfg_field *f = &fields[i];

		snprintf(name, sizeof(name), "%s%s", prefix, f->name);
		if (f->type == CFG_T_MAP) {
			snprintf(name, sizeof(name), "%s%s.", prefix, f->name);
			cfg_diff((const char *)a + f->off, (const char *)b + f->off, f->sub, f->nsub,
				 name, fn, arg);
			continue;
		}
		if (f->reload == CFG_RELOAD || !cfg_value_changed(f, a, b))
			continue;
		fn(arg, f, name, cfg_value_text(f, a, was, sizeof(was)),
		   cfg_value_text(f, b, now, sizeof(now)));
	}
}
