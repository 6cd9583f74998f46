/* http: the HTTP/1.x request-head parser and header helpers.
 * Pure: no I/O, no allocation, no globals. Spans point into the caller's buffer
 * and stay valid as long as it does. */
#ifndef TLSERVE_HTTP_H
#define TLSERVE_HTTP_H
#include <stddef.h>

struct http_span {
	const char *p;
	size_t n;
};

struct http_header {
	struct http_span name, value;  /* value without leading/trailing OWS */
};

struct http_limits {
	size_t max_head;     /* request line + headers + the final CRLF; over it: 414 or 431 */
	size_t max_headers;  /* over it: 431 */
};

struct http_request {
	struct http_span method, target;
	int minor;                 /* 0 or 1 for HTTP/1.0 and HTTP/1.1 */
	struct http_header *hdr;   /* caller's array */
	size_t nhdr;               /* in: capacity of hdr, out: count */
	int status;                /* on -1: 400, 414, 431 or 505 */
};

/* Parse the request head in buf[0..len). last_len is the length at the previous
 * call (0 the first time), so a caller that appends bytes need not rescan.
 * Returns the number of bytes of the head (>0) when complete, -2 when more bytes
 * are needed, -1 when invalid with req->status set:
 *   400 malformed (bad token, bare CR, missing colon, whitespace before colon, ...),
 *   414 request line longer than max_head,
 *   431 head longer than max_head or more than max_headers (or nhdr) header lines,
 *   505 a version other than HTTP/1.0 or HTTP/1.1 (a well-formed "HTTP/d.d").
 * Leading empty lines (CRLF) before the request line are skipped (RFC 9112 2.2).
 * Obsolete line folding is rejected with 400. */
int http_parse_request(const char *buf, size_t len, size_t last_len,
                       const struct http_limits *lim, struct http_request *req);

/* The headers the server acts on, found in one pass (http_index_headers). */
enum http_hdr_id {
	HTTP_H_HOST,
	HTTP_H_CONNECTION,
	HTTP_H_CONTENT_LENGTH,
	HTTP_H_TRANSFER_ENCODING,
	HTTP_H_ACCEPT_ENCODING,
	HTTP_H_IF_NONE_MATCH,
	HTTP_H_IF_MODIFIED_SINCE,
	HTTP_H_IF_RANGE,
	HTTP_H_RANGE,
	HTTP_H_REFERER,
	HTTP_H_USER_AGENT,
	HTTP_H_COUNT
};

struct http_index {
	const struct http_header *h[HTTP_H_COUNT]; /* the first of each, or NULL */
	unsigned count[HTTP_H_COUNT];              /* how many times each appeared */
};

/* Index req's headers by name (case-insensitive) in one pass: O(nhdr),
 * instead of a scan of all headers per lookup. */
void http_index_headers(const struct http_request *req, struct http_index *ix);

/* The first header named name (case-insensitive), or NULL. */
const struct http_header *http_find_header(const struct http_request *req, const char *name);

/* Number of headers named name (case-insensitive); for duplicate Host/Content-Length checks. */
size_t http_count_header(const struct http_request *req, const char *name);

/* 1 when the comma-separated list in value contains token (case-insensitive,
 * OWS around elements ignored), e.g. Connection: keep-alive, close. */
int http_has_token(struct http_span value, const char *token);

#endif
