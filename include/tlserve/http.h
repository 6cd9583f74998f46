/* http: the HTTP/1.x request-head parser and header helpers.
 * Pure: no I/O, no allocation, no globals. Spans point into the caller's buffer
 * and stay valid as long as it does. */
#ifndef TLSERVE_HTTP_H
#define TLSERVE_HTTP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
	HTTP_H_IF_MATCH,
	HTTP_H_IF_UNMODIFIED_SINCE,
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

/* The next field line after h with the same name (case-insensitive), or
 * NULL: with ix->h[id] as the start, walks every line of a header, which
 * together form one list (RFC 9110 5.3). h points into req->hdr. O(nhdr). */
const struct http_header *http_next_header(const struct http_request *req,
                                           const struct http_header *h);

/* http_has_token over every line of the header that starts at first
 * (NULL: 0). */
int http_lines_have_token(const struct http_request *req, const struct http_header *first,
                          const char *token);

/* Is v a valid Host value (RFC 9112 3.2, RFC 3986 3.2.2): uri-host [":" port],
 * uri-host an IPv6 literal in brackets, or a reg-name (unreserved, sub-delims,
 * pct-encoded; an IPv4 address is one), port at most 65535? An empty value is
 * valid (RFC 9112 3.2). Userinfo ("@"), spaces, '/', '\', CTLs are not. */
bool http_host_valid(struct http_span v);

/* Content-Length over every line from first (RFC 9110 8.6, RFC 9112 6.3):
 * each line a list of 1*DIGIT, all equal ("5, 5" is 5). Returns 0 when
 * first is NULL, 1 with *len, -1 malformed ("-1", "+5", "", "5, 6", a value
 * past 2^63 - 1): the framing is unknown, so 400 and close. */
int http_content_length(const struct http_request *req, const struct http_header *first,
                        uint64_t *len);

/* Transfer-Encoding over every line from first (RFC 9112 6.1): 0 absent,
 * 1 a body in chunks (chunked once, and last), -1 malformed (no coding,
 * chunked not last or twice: 400), -2 a coding this server does not know
 * (501). Known: chunked, gzip, x-gzip, deflate, compress, x-compress. */
int http_transfer_coding(const struct http_request *req, const struct http_header *first);

/* What the server answers a parsed head with, before any file is looked at:
 * a pure function of the head, so a fuzzer can hold it to its promise. */
struct http_verdict {
	int status;        /* 0: serve (GET or HEAD, no body); else the answer */
	int head_status;   /* the Host and framing checks alone: 0, 400 or 501 */
	bool head_only;    /* HEAD */
	bool has_body;     /* the request announces a body (never read) */
	bool keepalive;    /* the connection may serve another request after this one */
	size_t consumed;   /* bytes of the input this request used: its head */
};

/* Decide for the request parsed from head_len bytes (http_parse_request's
 * return) with its headers indexed in ix. In order: Host (a 1.1 request has
 * exactly one, none has two, a present one is valid: else 400); the framing
 * (RFC 9112 6: Transfer-Encoding in HTTP/1.0, with Content-Length, or
 * malformed: 400; an unknown coding: 501; a malformed Content-Length: 400);
 * the method (GET and HEAD: 0; OPTIONS: 204; POST, PUT, DELETE, PATCH,
 * CONNECT, TRACE: 405; any other: 501); then a GET, HEAD or OPTIONS with a
 * body: 413 (no body is ever read or skipped). keepalive holds only when the
 * client allows it (Connection, version), the status keeps the connection
 * (http_status_keeps) and there is no body, so a kept connection always
 * resumes right after the head: consumed == head_len. */
void http_decide(const struct http_request *req, const struct http_index *ix, size_t head_len,
                 struct http_verdict *v);

/* Does a response with this status leave the connection open for the next
 * request? Success, redirects, 304 and the errors about the resource (403,
 * 404, 412, 416) or the connection's site (421) do; errors about the
 * request itself do not. */
bool http_status_keeps(int status);

/* Does the client allow another request on the connection (RFC 9112 9.3):
 * HTTP/1.1 unless a Connection line lists "close"; HTTP/1.0 only when one
 * lists "keep-alive". */
bool http_wants_keepalive(const struct http_request *req, const struct http_index *ix);

#endif
