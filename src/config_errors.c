/* config_errors: positioned diagnostics with a severity (see config_errors.h). */
#include "tlserve/config_errors.h"

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CFG_MAX_ERRORS 100  /* past this the rest is noise; the list says so */

/* The array, count and capacity of one severity's list. */
static void
cfg_list(struct config_errors *errs, enum config_severity sev, struct config_error ***v,
	 size_t **n, size_t **cap)
{
	if (sev == CONFIG_SEV_WARNING) {
		*v = &errs->w;
		*n = &errs->nw;
		*cap = &errs->wcap;
	} else {
		*v = &errs->v;
		*n = &errs->n;
		*cap = &errs->cap;
	}
}

void
config_diag_vadd(struct config_errors *errs, enum config_severity sev, int line, int col,
		 const char *fmt, va_list ap)
{
	struct config_error **v, *e;
	size_t *n, *cap;

	cfg_list(errs, sev, &v, &n, &cap);
	if (*n >= CFG_MAX_ERRORS)
		return;
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 8;
		struct config_error *nv = reallocarray(*v, c, sizeof(*nv));

		if (nv == NULL)
			return;
		*v = nv;
		*cap = c;
	}
	e = &(*v)[(*n)++];
	e->sev = sev;
	if (*n == CFG_MAX_ERRORS) {
		e->line = e->col = 0;
		snprintf(e->msg, sizeof(e->msg), "too many %s; the rest are not shown",
			 sev == CONFIG_SEV_WARNING ? "warnings" : "errors");
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
	config_diag_vadd(errs, CONFIG_SEV_ERROR, line, col, fmt, ap);
	va_end(ap);
}

void
config_warning_add(struct config_errors *errs, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	config_diag_vadd(errs, CONFIG_SEV_WARNING, line, col, fmt, ap);
	va_end(ap);
}

struct config_errors_mark
config_errors_mark(const struct config_errors *errs)
{
	return (struct config_errors_mark){ errs->n, errs->nw };
}

void
config_diag_once(struct config_errors *errs, enum config_severity sev,
		 struct config_errors_mark mark, int line, int col, const char *msg)
{
	const struct config_error *v = sev == CONFIG_SEV_WARNING ? errs->w : errs->v;
	size_t n = sev == CONFIG_SEV_WARNING ? errs->nw : errs->n;

	for (size_t i = sev == CONFIG_SEV_WARNING ? mark.nw : mark.n; i < n; i++) {
		if (v[i].line == line && v[i].col == col && strcmp(v[i].msg, msg) == 0)
			return;
	}
	if (sev == CONFIG_SEV_WARNING)
		config_warning_add(errs, line, col, "%s", msg);
	else
		config_error_add(errs, line, col, "%s", msg);
}

/* Position-less entries (line 0) sort last. */
static long long
cfg_error_key(const struct config_error *e)
{
	if (e->line == 0)
		return LLONG_MAX;
	return (long long)e->line * ((long long)INT_MAX + 1) + e->col;
}

/* Stable insertion sort of v[from..n): at most CFG_MAX_ERRORS entries, O(n^2) is fine. */
static void
cfg_sort(struct config_error *v, size_t from, size_t n)
{
	for (size_t i = from + 1; i < n; i++) {
		struct config_error e = v[i];
		size_t j = i;

		while (j > from && cfg_error_key(&v[j - 1]) > cfg_error_key(&e)) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = e;
	}
}

void
config_errors_sort(struct config_errors *errs, struct config_errors_mark mark)
{
	cfg_sort(errs->v, mark.n, errs->n);
	cfg_sort(errs->w, mark.nw, errs->nw);
}

void
config_errors_free(struct config_errors *errs)
{
	if (errs == NULL)
		return;
	free(errs->v);
	free(errs->w);
	*errs = (struct config_errors){ 0 };
}
