/* config_errors: the list of diagnostics a configuration load, a file check,
 * a TLS setup or a reload diff hands back, each with its position in the file
 * and a severity. Errors (v, n) fail what produced them; warnings (w, nw) are
 * only shown. Keeping them apart means "n == 0" keeps meaning "nothing wrong"
 * for every caller. Pure bookkeeping: no I/O, no globals. */
#ifndef TLSERVE_CONFIG_ERRORS_H
#define TLSERVE_CONFIG_ERRORS_H
#include <stdarg.h>
#include <stddef.h>

enum config_severity { CONFIG_SEV_ERROR, CONFIG_SEV_WARNING };

struct config_error {
	int line, col;  /* 0 when the message is not tied to a position */
	enum config_severity sev;
	char msg[240];
};

struct config_errors {
	struct config_error *v;   /* errors, in file order once a pass ends */
	size_t n, cap;
	struct config_error *w;   /* warnings */
	size_t nw, wcap;
};

/* Where each list ended, so that a pass can sort and de-duplicate only what it added. */
struct config_errors_mark {
	size_t n, nw;
};

/* Append one error (printf-style). Past 99 entries a last, position-less
 * "too many errors" entry is added and the rest dropped; an entry that cannot
 * be stored for lack of memory is dropped (nothing better can be done). */
void config_error_add(struct config_errors *, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The same for a warning: shown, but never fails a load or a check. */
void config_warning_add(struct config_errors *, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

void config_diag_vadd(struct config_errors *, enum config_severity, int line, int col,
		      const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

/* Add msg unless the list of that severity already holds it at line:col since
 * mark: a global tls: value inherited by many listeners is reported once. */
void config_diag_once(struct config_errors *, enum config_severity, struct config_errors_mark,
		      int line, int col, const char *msg);

struct config_errors_mark config_errors_mark(const struct config_errors *);

/* Stable sort of what was added since mark, by position (position-less last). */
void config_errors_sort(struct config_errors *, struct config_errors_mark);

/* Frees both lists; idempotent; NULL is fine. */
void config_errors_free(struct config_errors *);

#endif
