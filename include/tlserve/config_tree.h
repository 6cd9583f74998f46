/* config_tree: libyaml's event stream as a small tree of positioned nodes, the
 * first pass of config_load_string. One flat array of nodes, children linked by
 * index, scalar text in one buffer. Aliases and tags are refused here (reported
 * with their position, the node kept as CFG_BAD), so no document can blow up
 * when expanded and no value means something other than it reads. Pure: no I/O,
 * no globals. Private to the config modules. */
#ifndef TLSERVE_CONFIG_TREE_H
#define TLSERVE_CONFIG_TREE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlserve/config_errors.h"

#define CFG_NONE      SIZE_MAX
#define CFG_MAX_DEPTH 32  /* the schema needs 6 levels; more is a mistake */

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
	size_t root;               /* CFG_NONE for an empty document */
	size_t stack[CFG_MAX_DEPTH];
	size_t depth;
	int ndocs;
	bool bad;                  /* a non-fatal error (an alias, a tag) was reported */
};

/* Build the tree of buf[0..len) into t (zeroed by the caller). Returns 0 (check
 * t->bad), or -1 after reporting an error that ended the parse. Either way the
 * caller frees t with cfg_tree_free. */
int cfg_tree_build(struct cfg_tree *t, const char *buf, size_t len, struct config_errors *errs);

void cfg_tree_free(struct cfg_tree *t);

#endif
