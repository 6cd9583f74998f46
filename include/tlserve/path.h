/* path: lexical request-path handling. Pure: no I/O, no allocation, no globals.
 * Containment beneath the root is file.c's job (openat2 RESOLVE_BENEATH). */
#ifndef TLSERVE_PATH_H
#define TLSERVE_PATH_H
#include <stddef.h>

/* Take a request-target in origin-form ("/a/b?q") or absolute-form
 * ("https://host/a/b?q"; scheme and authority dropped, never used), drop the
 * query and fragment, percent-decode once, then collapse "//", "." and "..".
 * The result starts with '/', keeps a trailing '/' when the input had one
 * (after ".", ".." handling, "/a/b/.." gives "/a/"), and is NUL-terminated;
 * at most outcap bytes are written including the NUL.
 * Returns the length, or -1 with *status set:
 *   400: empty, not starting with '/', an invalid escape, a decoded NUL or
 *        control byte (< 0x20 or 0x7f), a backslash, bytes that are not valid
 *        UTF-8 (overlong forms included), or ".." climbing above "/";
 *   414: the result does not fit in outcap.
 * *query (when not NULL) is set to the offset of '?' in in, or inlen if none. */
int path_normalize(const char *in, size_t inlen, char *out, size_t outcap, size_t *query,
                   int *status);

/* 1 when any segment of the normalised path starts with '.', else 0. */
int path_has_dotfile(const char *norm, size_t len);

#endif
