/* mime: Content-Type by file-name extension. Pure: no I/O, no allocation. */
#ifndef TLSERVE_MIME_H
#define TLSERVE_MIME_H
#include <stddef.h>

struct config_mime;

/* The Content-Type for the file name name[0..len): the configured overrides
 * first (exact lower-case extension match), then the built-in table
 * (case-insensitive); text types carry "; charset=utf-8". Unknown or no
 * extension: "application/octet-stream". The result is a static string or one
 * owned by the overrides. */
const char *mime_type(const char *name, size_t len, const struct config_mime *over, size_t nover);

#endif
