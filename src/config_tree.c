/* config_tree: libyaml events → a tree of positioned nodes (see config_tree.h). */
#include "tlserve/config_tree.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

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

/* The explicit tag of a node event ("!!binary", "!foo", "!"), or NULL. */
static const unsigned char *
cfg_event_tag(const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return ev->data.scalar.tag;
	case YAML_SEQUENCE_START_EVENT:
		return ev->data.sequence_start.tag;
	case YAML_MAPPING_START_EVENT:
		return ev->data.mapping_start.tag;
	default:
		return NULL;
	}
}

/* Refuse an explicit tag: a value is read by the key it sits under, and a tag
 * such as !!binary would make "MTIz" mean 123 to other YAML readers while it
 * means something else here. A tagged scalar becomes CFG_BAD so that no
 * second error is reported for it; a tagged collection is still read.
 * Returns 0, or -1 when out of memory. */
static int
cfg_tree_tagged(struct cfg_tree *t, const yaml_event_t *ev, struct config_errors *errs)
{
	const unsigned char *tag = cfg_event_tag(ev);
	char shown[44];
	size_t i;

	/* libyaml decodes %XX in tags: show printable ASCII only. */
	for (i = 0; tag[i] != '\0' && i < sizeof(shown) - 4; i++)
		shown[i] = tag[i] > 0x20 && tag[i] < 0x7f && tag[i] != '"' ? (char)tag[i] : '?';
	strcpy(shown + i, tag[i] != '\0' ? "..." : "");
	config_error_add(errs, cfg_line(ev->start_mark.line), cfg_line(ev->start_mark.column),
			 "YAML tags are not supported (\"%s\"); write the value plainly", shown);
	t->bad = true;
	if (ev->type != YAML_SCALAR_EVENT)
		return 0;
	if (cfg_tree_add(t, CFG_BAD, &ev->start_mark) != CFG_NONE)
		return 0;
	config_error_add(errs, 0, 0, "out of memory");
	return -1;
}

/* Consume one parser event. Sets *done at the end of the stream. Returns 0, or
 * -1 after reporting an error that ends the parse. */
static int
cfg_tree_event(struct cfg_tree *t, const yaml_event_t *ev, struct config_errors *errs, bool *done)
{
	int line = cfg_line(ev->start_mark.line), col = cfg_line(ev->start_mark.column);

	if (cfg_event_tag(ev) != NULL && cfg_tree_tagged(t, ev, errs) < 0)
		return -1;
	if (cfg_event_tag(ev) != NULL && ev->type == YAML_SCALAR_EVENT)
		return 0;
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
int
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

void
cfg_tree_free(struct cfg_tree *t)
{
	free(t->v);
	free(t->text);
}

