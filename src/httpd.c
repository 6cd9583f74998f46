/* httpd: the files handler. Reads a request head, decides the response
 * (status, headers, body source), and streams it: headers and the first body
 * bytes leave in one TLS record, the rest in full records from pread. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "tlserve/challenge.h"
#include "tlserve/conn.h"
#include "tlserve/encoding.h"
#include "tlserve/fcache.h"
#include "tlserve/h2.h"
#include "tlserve/match.h"
#include "tlserve/file.h"
#include "tlserve/mime.h"
#include "tlserve/path.h"
#include "tlserve/range.h"
#include "tlserve/site.h"
#include "tlserve/tls.h"
#include "tlserve/util.h"

#define HTTPD_ALLOW "GET, HEAD"  /* SPEC.md: what 405 announces */

/* A parsed request and the index of the headers the server acts on. */
struct httpd_req {
	const struct http_request *r;
	struct http_index ix;
};

/* A response head being written. HTTP/1.1: the bytes of the head in the
 * write buffer. HTTP/2 (f != NULL): the fields, names in lower case, their
 * text in p, for nghttp2 to encode. The same calls write both. */
struct httpd_out {
	char *p;
	size_t n, cap;
	struct http_header *f;   /* h2 fields (into hf); NULL for HTTP/1.1 */
	size_t nf, fcap;
	const char *name;        /* the field being written (h2): its name, */
	size_t name_len, val_at; /* and where its value starts in p */
	struct http_header hf[HTTPD_MAX_FIELDS];
};

static void
out_mem(struct httpd_out *o, const char *s, size_t n)
{
	if (o->n + n > o->cap)
		n = o->cap - o->n;  /* cannot happen with the sizes used; never overflow */
	memmove(o->p + o->n, s, n);  /* s may lie further on in the same buffer */
	o->n += n;
}

static void
out_str(struct httpd_out *o, const char *s)
{
	out_mem(o, s, strlen(s));
}

static void
out_u64(struct httpd_out *o, unsigned long long v)
{
	char tmp[24];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	out_mem(o, tmp + i, sizeof(tmp) - i);
}

/* A field name in both spellings: HTTP/1.1's, then (after the NUL) the
 * lower case HTTP/2 requires (RFC 9113 8.2.1). */
#define FIELD(h1, h2) h1 "\0" h2

/* Begin a header field named FIELD(...); its value follows (out_str,
 * out_u64, ...) until out_end_field. */
static void
out_begin_field(struct httpd_out *o, const char *name)
{
	size_t n = strlen(name);

	if (o->f == NULL) {
		out_mem(o, name, n);
		out_mem(o, ": ", 2);
		return;
	}
	o->name = name + n + 1;
	o->name_len = n;
	o->val_at = o->n;
}

static void
out_end_field(struct httpd_out *o)
{
	if (o->f == NULL) {
		out_mem(o, "\r\n", 2);
		return;
	}
	if (o->nf == o->fcap)
		return;  /* cannot happen: fcap is above the most fields a response has */
	o->f[o->nf++] = (struct http_header){{o->name, o->name_len}, {o->p + o->val_at, o->n - o->val_at}};
}

static inline __attribute__((always_inline)) void
out_field(struct httpd_out *o, const char *name, const char *value, size_t len)
{
	out_begin_field(o, name);
	out_mem(o, value, len);
	out_end_field(o);
}

/* Always inlined: the lengths of the literal names and values fold away. */
static inline __attribute__((always_inline)) void
out_field_str(struct httpd_out *o, const char *name, const char *value)
{
	out_field(o, name, value, strlen(value));
}

static const char *
httpd_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 308: return "Permanent Redirect";
	case 421: return "Misdirected Request";
	case 408: return "Request Timeout";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 416: return "Range Not Satisfiable";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

/* A site's headers: HTTP/1.1 copies the lines rendered at load; HTTP/2
 * points nghttp2 at the configuration's lower-case names and values, which
 * live as long as the generation the connection holds. */
static void
out_site_headers(struct httpd_out *o, const struct site *s)
{
	const struct config_site *cs;

	if (s == NULL || s->cfg->nheaders == 0)
		return;
	if (o->f == NULL) {
		out_mem(o, s->h1_headers, s->h1_headers_len);
		return;
	}
	cs = s->cfg;
	for (size_t i = 0; i < cs->nheaders && o->nf < o->fcap; i++)
		o->f[o->nf++] = (struct http_header){{cs->headers[i].lname, strlen(cs->headers[i].lname)},
		                                     {cs->headers[i].value, strlen(cs->headers[i].value)}};
}

/* Status line (HTTP/1.1; h2 sends :status) and the headers every response
 * carries: the server's, then the site's. */
static void
httpd_head_start(struct conn *c, struct xfer *x, struct httpd_out *o, int status)
{
	if (o->f == NULL) {
		out_str(o, "HTTP/1.1 ");
		out_u64(o, (unsigned)status);
		out_str(o, " ");
		out_str(o, httpd_reason(status));
		out_str(o, "\r\n");
	}
	out_field_str(o, FIELD("Server", "server"), "tlserve");
	out_field_str(o, FIELD("Date", "date"), c->w->clock.http);
	out_site_headers(o, x->site);
}

/* The first cache: rule of site s matching the path served ("/" + rel). */
static __attribute__((noinline)) const char *
httpd_cache_rule(const struct site *s, const char *rel, size_t rellen)
{
	char path[PATH_MAX + 1];

	if (rellen >= PATH_MAX)
		return NULL;
	path[0] = '/';
	memcpy(path + 1, rel, rellen);
	return site_cache_control(s, path, rellen + 1);
}

/* Cache-Control from the site's cache: rules; dflt when none matches.
 * A site without rules (the common case) costs one test. */
static inline void
httpd_cache_control(struct httpd_out *o, const struct xfer *x, const char *rel, size_t rellen,
                    const char *dflt)
{
	const char *cc = NULL;

	if (x->site != NULL && x->site->cfg->ncache > 0)
		cc = httpd_cache_rule(x->site, rel, rellen);
	if (cc == NULL)
		cc = dflt;
	if (cc != NULL)
		out_field_str(o, FIELD("Cache-Control", "cache-control"), cc);
}

/* Connection header and the blank line (HTTP/1.1: HTTP/2 has neither).
 * Decides keep-alive for good. */
static void
httpd_head_end(struct conn *c, struct httpd_out *o, int minor)
{
	if (o->f != NULL)
		return;
	if (c->close_after || !c->keepalive || c->w->draining) {
		c->keepalive = false;
		out_str(o, "Connection: close\r\n");
	} else if (minor == 0) {
		out_str(o, "Connection: keep-alive\r\n");
	}
	out_str(o, "\r\n");
}

/* Begin a response: HTTP/1.1 takes the write buffer; HTTP/2 writes into
 * the buffer its stream lends for the head (nghttp2 copies the fields).
 * Resets the body source. */
static int
httpd_begin(struct conn *c, struct xfer *x, struct httpd_out *o, int status)
{
	if (x->h2 == NULL) {
		if (conn_take_wbuf(c) != 0)
			return -1;
		o->p = c->wbuf;
		o->cap = CONN_WBUF_SIZE;
		o->f = NULL;
		c->woff = 0;
	} else {
		o->p = h2_head_buffer(x->h2, &o->cap);
		o->f = o->hf;
		o->fcap = sizeof(o->hf) / sizeof(o->hf[0]);
	}
	o->n = o->nf = 0;
	x->status = status;
	x->file_off = x->file_end = 0;
	return 0;
}

/* The head (and a short body) is complete: send it. HTTP/1.1 switches the
 * connection to writing; HTTP/2 submits the response on its stream, the
 * body (x's source) following in DATA frames. */
static enum conn_next
httpd_commit(struct conn *c, struct xfer *x, struct httpd_out *o, bool body)
{
	if (x->h2 != NULL)
		return h2_submit(c, x, o->f, o->nf, body) == 0 ? CONN_CONTINUE : CONN_CLOSE;
	c->wlen = o->n;
	c->state = CONN_WRITING;
	conn_send_begin(c);
	return CONN_CONTINUE;
}

static const char *httpd_mime(struct conn *c, const struct file_hit *rep);

/* Open the normalised path norm[0..len) beneath the site's root, through
 * the open-file cache: file_resolve's status, *hit filled on 200. */
static inline __attribute__((always_inline)) int
httpd_open(struct conn *c, const struct site *site, const char *norm, size_t len,
           struct file_hit *hit)
{
	struct loop *l = &c->w->loop;
	struct fcache_entry *e;
	int status;

	hit->cached = NULL;
	e = fcache_get(&c->w->fcache, site, norm, len, l->now_ms, hit);
	if (e != NULL && e->checked_pass == l->pass)
		return 200;  /* checked in this pass already */
	if (e != NULL && file_hit_current(site, hit)) {
		fcache_checked(e, hit, l->pass);
		return 200;
	}
	if (e != NULL)
		file_hit_close(hit);  /* replaced since: resolve the path again */
	status = file_resolve(site, norm, len, hit);
	if (status == 200)
		fcache_put(&c->w->fcache, site, norm, len, l->now_ms, l->pass, hit);
	return status;
}

/* The site's page for an error status, when one is configured and can be
 * served (a regular file beneath its root): true with *page open. Else the
 * built-in page is sent, with the same status: an error page that fails
 * never gets an error page of its own. */
static bool
httpd_error_page(struct conn *c, const struct xfer *x, int status, struct file_hit *page)
{
	const char *path;

	/* 408 goes out in one best-effort write (httpd_timeout_408): built-in */
	if (status < 400 || status == 408 || x->site == NULL ||
	    (path = site_error_page(x->site, status)) == NULL)
		return false;
	return httpd_open(c, x->site, path, strlen(path), page) == 200;
}

/* A response without a file: an error page, a redirect, 204. The HTTP/1.1
 * connection closes after an error the request itself caused (SPEC.md). */
static enum conn_next
httpd_simple(struct conn *c, struct xfer *x, int status, int minor, bool head_only,
             const char *extra_name, const char *extra, size_t extra_len)
{
	struct httpd_out o;
	struct file_hit page;
	bool has_page = httpd_error_page(c, x, status, &page);
	char body[256];
	int blen = 0;

	if (httpd_begin(c, x, &o, status) != 0) {
		if (has_page)
			file_hit_close(&page);
		return CONN_CLOSE;
	}
	/* resource errors keep the connection; protocol errors end it */
	if (!http_status_keeps(status))
		c->close_after = x->h2 == NULL;
	if (status != 204 && status != 304 && !has_page)
		blen = snprintf(body, sizeof(body),
		                "<!DOCTYPE html>\n<html><head><title>%d %s</title></head>"
		                "<body><h1>%d %s</h1></body></html>\n",
		                status, httpd_reason(status), status, httpd_reason(status));
	httpd_head_start(c, x, &o, status);
	if (extra_name)
		out_field(&o, extra_name, extra, extra_len);
	if (status == 204)
		out_field_str(&o, FIELD("Allow", "allow"), "GET, HEAD, OPTIONS");
	else if (status == 405 || status == 501)
		out_field_str(&o, FIELD("Allow", "allow"), HTTPD_ALLOW);
	if (has_page) {
		out_field_str(&o, FIELD("Content-Type", "content-type"), httpd_mime(c, &page));
		out_begin_field(&o, FIELD("Content-Length", "content-length"));
		out_u64(&o, (unsigned long long)page.st.st_size);
		out_end_field(&o);
	} else if (blen > 0) {
		out_field_str(&o, FIELD("Content-Type", "content-type"), "text/html; charset=utf-8");
		out_begin_field(&o, FIELD("Content-Length", "content-length"));
		out_u64(&o, (unsigned)blen);
		out_end_field(&o);
	}
	httpd_head_end(c, &o, minor);
	x->hdr_len = o.n;
	if (has_page) {
		if (head_only || page.st.st_size == 0) {
			file_hit_close(&page);
			return httpd_commit(c, x, &o, false);
		}
		x->file_fd = page.fd;
		x->fce = page.cached;  /* the cache's descriptor: released, not closed */
		x->file_off = 0;
		x->file_end = page.st.st_size;
		return httpd_commit(c, x, &o, true);
	}
	if (head_only || blen <= 0)
		return httpd_commit(c, x, &o, false);
	if (x->h2 != NULL) {
		x->small = h2_stream_keep(x->h2, body, (size_t)blen);
		x->file_end = blen;
	} else {
		out_mem(&o, body, (size_t)blen);
	}
	return httpd_commit(c, x, &o, true);
}

/* The Location of the 301 to the slash form of a directory: the normalised
 * path, re-escaped where needed, a '/', and the query (RFC 9110 15.4.2).
 * Returns its length, or 0 when it does not fit in cap bytes. */
static size_t
httpd_location(char *loc, size_t cap, const char *norm, size_t len, const char *q, size_t qlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)norm[i];
		bool esc = ch <= 0x20 || ch >= 0x7f || ch == '%' || ch == '?' || ch == '#' || ch == '"';

		if (n + 3 > cap)
			return 0;
		if (esc) {
			loc[n++] = '%';
			loc[n++] = hex[ch >> 4];
			loc[n++] = hex[ch & 15];
		} else {
			loc[n++] = (char)ch;
		}
	}
	if (qlen > 0 && memchr(q, '#', qlen) != NULL)
		qlen = 0;  /* a fragment has no place in a request-target */
	if (n + 1 + qlen > cap)
		return 0;
	loc[n++] = '/';
	memcpy(loc + n, q, qlen);
	return n + qlen;
}

/* 301 to the slash form of a directory. The Location is built in the write
 * buffer's tail, never cut: when it cannot fit beside the headers, 414. */
static enum conn_next
httpd_redirect_dir(struct conn *c, struct xfer *x, const struct httpd_req *req, const char *norm,
                   size_t len, size_t query_off, bool head_only)
{
	/* room left for the rest of the 301: status line, headers, body */
	const size_t reserve = 1024 + CONFIG_SITE_HEADERS_MAX;
	size_t qlen = req->r->target.n - query_off, n, cap = CONN_WBUF_SIZE;
	const char *q = req->r->target.p + query_off;
	char *loc;

	if (x->h2 != NULL) {
		loc = h2_head_buffer(x->h2, &cap);
	} else {
		if (conn_take_wbuf(c) != 0)
			return CONN_CLOSE;
		loc = c->wbuf;
	}
	/* the tail of the head buffer holds the Location while the head is
	 * written before it; out_mem copies it down (memmove-safe: it only
	 * ever moves towards the start, and the head stays shorter) */
	loc += reserve;
	n = httpd_location(loc, cap - 2 * reserve, norm, len, q, qlen);
	if (n == 0)
		return httpd_simple(c, x, 414, req->r->minor, head_only, NULL, NULL, 0);
	return httpd_simple(c, x, 301, req->r->minor, head_only, FIELD("Location", "location"), loc, n);
}

/* The validators of a file: its entity tag and Last-Modified date. */
struct httpd_val {
	char etag[64];
	size_t etaglen;
	char lastmod[32];
};

/* Make rep's validators, or take them from its cache entry when that
 * describes the same version of the file (made once per version, not per
 * request). */
static void
httpd_val_make(const struct file_hit *rep, struct httpd_val *v)
{
	struct fcache_entry *e = rep->cached;
	const struct stat *st = &rep->st;

	if (e != NULL && e->etaglen > 0 && e->val_ino == st->st_ino && e->val_size == st->st_size &&
	    e->val_mtim.tv_sec == st->st_mtim.tv_sec && e->val_mtim.tv_nsec == st->st_mtim.tv_nsec) {
		memcpy(v->etag, e->etag, e->etaglen);
		v->etaglen = e->etaglen;
		memcpy(v->lastmod, e->lastmod, sizeof(v->lastmod));
		return;
	}
	v->etaglen = file_etag(st, v->etag, sizeof(v->etag));
	log_http_date(st->st_mtim.tv_sec, v->lastmod, sizeof(v->lastmod));
	if (e != NULL && v->etaglen > 0 && v->etaglen <= sizeof(e->etag)) {
		memcpy(e->etag, v->etag, v->etaglen);
		e->etaglen = (unsigned char)v->etaglen;
		memcpy(e->lastmod, v->lastmod, sizeof(e->lastmod));
		e->val_ino = st->st_ino;
		e->val_size = st->st_size;
		e->val_mtim = st->st_mtim;
	}
}

/* The validators, and Vary when the answer depends on Accept-Encoding: all
 * a 304 carries (RFC 9110 15.4.5), and part of every file response. */
static void
httpd_validators(struct httpd_out *o, const struct httpd_val *v, bool vary)
{
	if (vary)
		out_field_str(o, FIELD("Vary", "vary"), "Accept-Encoding");
	out_field_str(o, FIELD("Last-Modified", "last-modified"), v->lastmod);
	out_field(o, FIELD("ETag", "etag"), v->etag, v->etaglen);
}

/* The MIME type of the file served, remembered by its cache entry. */
static const char *
httpd_mime(struct conn *c, const struct file_hit *rep)
{
	const struct config *cfg = conn_config(c);
	struct fcache_entry *e = rep->cached;
	const char *type;

	if (e != NULL && e->mime != NULL)
		return e->mime;
	type = mime_type(rep->name, rep->namelen, cfg->mime, cfg->nmime);
	if (e != NULL)
		e->mime = type;
	return type;
}

/* The representation headers of a file response (RFC 9110 8). */
static void
httpd_rep_headers(struct httpd_out *o, const char *mime, const struct httpd_val *v,
                  const char *encoding, bool vary)
{
	out_field_str(o, FIELD("Content-Type", "content-type"), mime);
	if (encoding)
		out_field_str(o, FIELD("Content-Encoding", "content-encoding"), encoding);
	httpd_validators(o, v, vary);
	out_field_str(o, FIELD("Accept-Ranges", "accept-ranges"), "bytes");
}

/* Does the file have a sidecar that some Accept-Encoding would choose? Then
 * every response for it, identity included, varies (RFC 9110 12.5.5). The
 * open-file cache remembers the answer while its entry lives. */
static bool
httpd_has_sidecar(const struct site *site, const struct file_hit *hit)
{
	static const char *const suffix[2] = {".br", ".gz"};
	struct fcache_entry *e = hit->cached;
	struct file_hit alt;
	bool found = false;

	if (e != NULL && e->sidecar >= 0)
		return e->sidecar == 1;
	for (int i = 0; i < 2 && !found; i++) {
		if (file_open_sidecar(site, hit, suffix[i], &alt) == 0) {
			close(alt.fd);
			found = true;
		}
	}
	if (e != NULL)
		e->sidecar = found;
	return found;
}

/* Choose a precompressed sidecar the client accepts (br before gzip unless
 * the client ranks gzip higher). Every Accept-Encoding line counts: they
 * form one list (RFC 9110 5.3). On success the sidecar replaces *hit.
 * Sets *vary when the answer depends on Accept-Encoding. */
static const char *
httpd_pick_encoding(const struct site *site, const struct httpd_req *req, struct file_hit *hit,
                    bool *vary)
{
	static const struct { unsigned bit; const char *suffix, *name; } codings[2] = {
		{ENCODING_BR, ".br", "br"}, {ENCODING_GZIP, ".gz", "gzip"}};
	struct encoding_acc acc;
	struct file_hit alt;
	unsigned ok;
	int prefer_br = 1;

	encoding_init(&acc);
	for (const struct http_header *h = req->ix.h[HTTP_H_ACCEPT_ENCODING]; h != NULL;
	     h = http_next_header(req->r, h))
		encoding_add(&acc, h->value.p, h->value.n);
	ok = req->ix.h[HTTP_H_ACCEPT_ENCODING] ? encoding_result(&acc, &prefer_br) : 0;
	for (int k = 0; k < 2 && ok != 0; k++) {
		int i = prefer_br ? k : 1 - k;

		if (!(ok & codings[i].bit) || file_open_sidecar(site, hit, codings[i].suffix, &alt) != 0)
			continue;
		file_hit_close(hit);
		hit->fd = alt.fd;
		hit->st = alt.st;
		*vary = true;
		return codings[i].name;
	}
	*vary = httpd_has_sidecar(site, hit);
	return NULL;
}

/* Does any element of the entity-tag lists on every line of the header that
 * starts at first match (RFC 9110 13.1.1/13.1.2)? 1, 0, or -1 when no line
 * could be read (the header is then ignored). */
static int
httpd_etag_lines(const struct httpd_req *req, const struct http_header *first, const char *etag,
                 size_t etaglen, int weak)
{
	int r = -1;

	for (const struct http_header *h = first; h != NULL; h = http_next_header(req->r, h)) {
		int m = range_etag_match(h->value.p, h->value.n, etag, etaglen, weak);

		if (m == 1)
			return 1;
		if (m == 0)
			r = 0;
	}
	return r;
}

/* RFC 9110 13.2.2 steps 1-2: If-Match (strong comparison; "*" matches the
 * file, which exists), else If-Unmodified-Since. Returns true when the
 * precondition fails: 412. A date that cannot be read is ignored (13.1.4). */
static bool
httpd_precondition_failed(const struct httpd_req *req, const struct file_hit *rep,
                          const char *etag, size_t etaglen)
{
	const struct http_header *im = req->ix.h[HTTP_H_IF_MATCH];
	const struct http_header *ius = req->ix.h[HTTP_H_IF_UNMODIFIED_SINCE];
	time_t since;

	if (im != NULL)
		return httpd_etag_lines(req, im, etag, etaglen, 0) != 1;
	if (ius == NULL || req->ix.count[HTTP_H_IF_UNMODIFIED_SINCE] != 1 ||
	    range_parse_http_date(ius->value.p, ius->value.n, &since) != 0)
		return false;
	return rep->st.st_mtim.tv_sec > since;
}

/* RFC 9110 13.1.2/13.1.3 and 13.2.2: If-None-Match (weak comparison, every
 * line) wins over If-Modified-Since. Returns true when the answer is 304. */
static bool
httpd_not_modified(const struct httpd_req *req, const struct file_hit *rep, const char *etag,
                   size_t etaglen)
{
	const struct http_header *inm = req->ix.h[HTTP_H_IF_NONE_MATCH];
	const struct http_header *ims;
	time_t since;

	if (inm != NULL) {
		int m = httpd_etag_lines(req, inm, etag, etaglen, 1);

		if (m >= 0)
			return m == 1;
	}
	ims = req->ix.h[HTTP_H_IF_MODIFIED_SINCE];
	if (inm != NULL || ims == NULL ||
	    range_parse_http_date(ims->value.p, ims->value.n, &since) != 0)
		return false;
	return rep->st.st_mtim.tv_sec <= since;
}

/* If-Range (RFC 9110 13.1.5): the range applies only when the validator
 * still matches: an entity tag compared strongly, or a date equal to
 * Last-Modified. An entity tag starts with '"' or "W/" (8.8.3); anything
 * else is a date, "Wed, ..." included. */
static bool
httpd_if_range_ok(const struct httpd_req *req, const struct file_hit *rep, const char *etag,
                  size_t etaglen)
{
	const struct http_header *ir = req->ix.h[HTTP_H_IF_RANGE];
	const char *v;
	time_t t;

	if (ir == NULL)
		return true;
	v = ir->value.p;
	/* one validator only: a list is not an If-Range value */
	if (ir->value.n > 0 && (v[0] == '"' || (ir->value.n > 1 && v[0] == 'W' && v[1] == '/')))
		return memchr(v, ',', ir->value.n) == NULL &&
		       range_etag_match(v, ir->value.n, etag, etaglen, 0) == 1;
	return range_parse_http_date(v, ir->value.n, &t) == 0 && t == rep->st.st_mtim.tv_sec;
}

/* 304: the validators and Vary, no representation metadata and no body
 * (RFC 9110 15.4.5). */
static enum conn_next
httpd_304(struct conn *c, struct xfer *x, const struct httpd_req *req, struct file_hit *rep,
          const struct httpd_val *v, bool vary)
{
	struct httpd_out o;

	file_hit_close(rep);
	if (httpd_begin(c, x, &o, 304) != 0)
		return CONN_CLOSE;
	httpd_head_start(c, x, &o, 304);
	httpd_validators(&o, v, vary);
	httpd_cache_control(&o, x, rep->rel, rep->rellen, NULL);
	httpd_head_end(c, &o, req->r->minor);
	x->hdr_len = o.n;
	return httpd_commit(c, x, &o, false);
}

/* A file response: 200, 206, 304 or 416. Headers first; the body (unless
 * HEAD) streams from the descriptor in httpd_write. */
static enum conn_next
httpd_file(struct conn *c, struct xfer *x, const struct httpd_req *req, struct file_hit *hit,
           bool head_only)
{
	const struct http_header *rh = NULL;
	struct range_span span = {0, 0};
	enum range_result rr = RANGE_IGNORE;
	uint64_t size;
	struct httpd_val val;
	struct httpd_out o;
	bool vary;
	/* the type is the file's, also when a sidecar is sent */
	const char *mime = httpd_mime(c, hit);
	const char *encoding = httpd_pick_encoding(x->site, req, hit, &vary);
	const char *etag = val.etag;
	size_t etaglen;
	int status = 200;

	size = (uint64_t)hit->st.st_size;
	httpd_val_make(hit, &val);
	etaglen = val.etaglen;
	if (httpd_precondition_failed(req, hit, etag, etaglen)) {
		file_hit_close(hit);
		return httpd_simple(c, x, 412, req->r->minor, head_only, NULL, NULL, 0);
	}
	if (httpd_not_modified(req, hit, etag, etaglen))
		return httpd_304(c, x, req, hit, &val, vary);
	/* ranges are defined for GET only (RFC 9110 14.2) */
	if (!head_only && (rh = req->ix.h[HTTP_H_RANGE]) != NULL &&
	    httpd_if_range_ok(req, hit, etag, etaglen))
		rr = range_parse(rh->value.p, rh->value.n, size, &span);
	if (rr == RANGE_UNSATISFIABLE) {
		char cr[48];
		int n = snprintf(cr, sizeof(cr), "bytes */%llu", (unsigned long long)size);

		file_hit_close(hit);
		return httpd_simple(c, x, 416, req->r->minor, head_only, FIELD("Content-Range", "content-range"), cr, (size_t)n);
	}
	if (rr != RANGE_ONE) {
		span.first = 0;
		span.last = size ? size - 1 : 0;
	} else {
		status = 206;
	}
	if (httpd_begin(c, x, &o, status) != 0) {
		file_hit_close(hit);
		return CONN_CLOSE;
	}
	httpd_head_start(c, x, &o, status);
	httpd_rep_headers(&o, mime, &val, encoding, vary);
	httpd_cache_control(&o, x, hit->rel, hit->rellen, NULL);
	if (status == 206) {
		out_begin_field(&o, FIELD("Content-Range", "content-range"));
		out_str(&o, "bytes ");
		out_u64(&o, span.first);
		out_str(&o, "-");
		out_u64(&o, span.last);
		out_str(&o, "/");
		out_u64(&o, size);
		out_end_field(&o);
	}
	out_begin_field(&o, FIELD("Content-Length", "content-length"));
	out_u64(&o, size == 0 ? 0 : span.last - span.first + 1);
	out_end_field(&o);
	httpd_head_end(c, &o, req->r->minor);
	x->hdr_len = o.n;
	if (head_only || size == 0) {
		file_hit_close(hit);
		return httpd_commit(c, x, &o, false);
	}
	x->file_fd = hit->fd;
	x->fce = hit->cached;  /* the cache's descriptor: released, not closed */
	if (hit->cached != NULL)  /* a small settled file's bytes, when kept */
		x->small = fcache_body(hit->cached, worker_clock(c->w)->sec);
	x->file_off = (off_t)span.first;
	x->file_end = (off_t)span.last + 1;
	return httpd_commit(c, x, &o, true);
}

/* listing: true and no index file: an HTML listing. Its length is known
 * up front (Content-Length, so keep-alive holds); the page is rendered into
 * the write buffer as it drains (httpd_refill), so memory stays bounded by
 * the entry cap, never by the page. c->x.mem holds the listing block. */
static enum conn_next
httpd_listing(struct conn *c, struct xfer *x, const struct httpd_req *req,
              const struct file_hit *dir, const char *norm, size_t len, bool head_only)
{
	struct file_listing *l = NULL;
	struct httpd_out o;
	size_t blen;
	int status = file_list_open(x->site, dir->rel, norm, len,
	                            x->site->cfg->dotfiles == CONFIG_DOTFILES_ALLOW, &l);

	if (status != 200)
		return httpd_simple(c, x, status, req->r->minor, head_only, NULL, NULL, 0);
	blen = file_list_size(l);
	if (httpd_begin(c, x, &o, 200) != 0) {
		free(l);
		return CONN_CLOSE;
	}
	httpd_head_start(c, x, &o, 200);
	out_field_str(&o, FIELD("Content-Type", "content-type"), "text/html; charset=utf-8");
	httpd_cache_control(&o, x, dir->rel, dir->rellen, "no-cache");
	out_begin_field(&o, FIELD("Content-Length", "content-length"));
	out_u64(&o, blen);
	out_end_field(&o);
	httpd_head_end(c, &o, req->r->minor);
	x->hdr_len = o.n;
	if (head_only || blen == 0) {
		free(l);
		return httpd_commit(c, x, &o, false);
	}
	x->mem = (char *)l;  /* conn_end_request frees it */
	x->file_off = 0;
	x->file_end = (off_t)blen;
	return httpd_commit(c, x, &o, true);
}

/* Record the request line and the headers the access log wants. */
static void
httpd_note_request(struct conn *c, const struct httpd_req *req)
{
	const struct http_header *h;
	const char *end = req->r->target.p + req->r->target.n;
	const char *eol = memchr(end, '\n', (size_t)(c->rbuf + c->rlen - end));

	c->x.req_line.p = req->r->method.p;
	c->x.req_line.n = (size_t)((eol ? eol : end) - req->r->method.p);
	if (c->x.req_line.n > 0 && c->x.req_line.p[c->x.req_line.n - 1] == '\r')
		c->x.req_line.n--;
	h = req->ix.h[HTTP_H_REFERER];
	c->x.referer = h ? h->value : (struct http_span){NULL, 0};
	h = req->ix.h[HTTP_H_USER_AGENT];
	c->x.user_agent = h ? h->value : (struct http_span){NULL, 0};
	h = req->ix.h[HTTP_H_HOST];
	c->x.host = h ? h->value : (struct http_span){NULL, 0};
}

/* The port https:// URLs of a redirect listener name: to_port, else the
 * port the first files listener is bound to (also with port: 0); 0 for
 * 443, which a URL leaves out. */
static unsigned
httpd_https_port(const struct conn *c)
{
	const struct config *cfg = conn_config(c);
	const struct server *srv = c->w->srv;
	unsigned port = c->ep->cfg->to_port;

	for (size_t i = 0; port == 0 && i < cfg->nlisteners && i < srv->nlisteners; i++) {
		if (cfg->listeners[i].mode == CONFIG_MODE_FILES && srv->naddrs[i] > 0)
			port = srv->addrs[i][0].port;
	}
	return port == 443 ? 0 : port;
}

static enum conn_next httpd_body(struct conn *, struct xfer *, const struct httpd_req *,
                                 const struct http_verdict *, const char *type, char *body,
                                 size_t len);

/* ACME's HTTP-01 (RFC 8555 8.3): GET or HEAD of
 * /.well-known/acme-challenge/TOKEN while the CA validates one of this
 * server's names is answered with the key authorization. 1 when answered
 * (*next set), 0 for any other token: it is redirected like every other
 * path (an ACME client outside tlserve may answer on the https side). */
static int
httpd_http01(struct conn *c, struct xfer *x, const struct httpd_req *req,
             const struct http_verdict *v, const char *token, const char *end,
             enum conn_next *next)
{
	char answer[CHALLENGE_KEYAUTH_MAX + 1];
	int n = challenges_get(c->w->srv->http01, token, (size_t)(end - token), answer,
	                       sizeof(answer));

	if (n < 0)
		return 0;
	*next = httpd_body(c, x, req, v, "application/octet-stream", strndup(answer, (size_t)n),
	                   (size_t)n);
	return 1;
}

/* A redirect listener's answer to everything: 308 to the same host, path
 * and query over https (RFC 9110 15.4.9 keeps the method and body). The
 * target is the request's own Host, never another: a missing or invalid
 * one gets 400, so the listener is no open redirect. */
static enum conn_next
httpd_redirect_https(struct conn *c, struct xfer *x, const struct httpd_req *req,
                     const struct http_verdict *v)
{
	const struct http_header *h = req->ix.h[HTTP_H_HOST];
	const char *t = req->r->target.p, *end = t + req->r->target.n;
	char host[256];
	size_t hn = 0, n;
	unsigned port = httpd_https_port(c);
	int minor = req->r->minor;
	enum conn_next next;
	bool v6;
	char *loc;

	if (v->head_status != 0)
		return httpd_simple(c, x, v->head_status, minor, v->head_only, NULL, NULL, 0);
	/* every method is redirected: the verdict's 405 or 501 does not end
	 * the connection here, only a body (never read) does */
	c->keepalive = !v->has_body && http_wants_keepalive(req->r, &req->ix);
	if (h != NULL)
		hn = match_host_key(h->value.p, h->value.n, host, sizeof(host));
	/* absolute-form (RFC 9112 3.2.2): the path and query after the
	 * authority (the Host, validated, names the host) */
	if (end - t > 7 && strncasecmp(t, "http://", 7) == 0) {
		t += 7;
		while (t < end && *t != '/' && *t != '?')
			t++;
	}
	if (hn == 0 || (t < end && *t != '/' && *t != '?'))
		return httpd_simple(c, x, 400, minor, v->head_only, NULL, NULL, 0);
	if (c->w->srv->http01 != NULL && v->status == 0 &&
	    (size_t)(end - t) > sizeof(CHALLENGE_PREFIX) - 1 &&
	    memcmp(t, CHALLENGE_PREFIX, sizeof(CHALLENGE_PREFIX) - 1) == 0 &&
	    httpd_http01(c, x, req, v, t + sizeof(CHALLENGE_PREFIX) - 1, end, &next))
		return next;
	if ((size_t)(end - t) > CONN_WBUF_SIZE / 4)
		return httpd_simple(c, x, 414, minor, v->head_only, NULL, NULL, 0);
	if (conn_take_wbuf(c) != 0)
		return CONN_CLOSE;
	/* built in the write buffer's second half; httpd_simple writes the head
	 * before it and moves it down (see httpd_redirect_dir) */
	loc = c->wbuf + CONN_WBUF_SIZE / 2;
	v6 = host[0] != '[' && memchr(host, ':', hn) != NULL;  /* keep one pair of brackets */
	n = (size_t)snprintf(loc, 300, "https://%s%.*s%s", v6 ? "[" : "", (int)hn, host, v6 ? "]" : "");
	if (port != 0)
		n += (size_t)snprintf(loc + n, 16, ":%u", port);
	if (t == end || *t == '?')
		loc[n++] = '/';
	memcpy(loc + n, t, (size_t)(end - t));
	n += (size_t)(end - t);
	return httpd_simple(c, x, 308, minor, v->head_only, FIELD("Location", "location"), loc, n);
}

/* A metrics listener: GET (or HEAD) /metrics is the exposition of the
 * counters summed over the workers (the current generation's listener
 * names and certificates); any other path 404. */
static enum conn_next
httpd_metrics(struct conn *c, struct xfer *x, const struct httpd_req *req,
              const struct http_verdict *v)
{
	static const char path[] = "/metrics";
	const char *t = req->r->target.p;
	size_t n = req->r->target.n, plen = sizeof(path) - 1, len = 0;
	char *body;

	if (v->status != 0)
		return httpd_simple(c, x, v->status, req->r->minor, v->head_only, NULL, NULL, 0);
	if ((n > 7 && strncasecmp(t, "http://", 7) == 0) || (n > 8 && strncasecmp(t, "https://", 8) == 0)) {
		/* absolute-form (RFC 9112 3.2.2): the path after the authority */
		size_t skip = t[4] == ':' ? 7 : 8;
		const char *p = memchr(t + skip, '/', n - skip);

		n = p != NULL ? n - (size_t)(p - t) : 0;
		t = p != NULL ? p : t;
	}
	if (n < plen || memcmp(t, path, plen) != 0 || (n > plen && t[plen] != '?'))
		return httpd_simple(c, x, 404, req->r->minor, v->head_only, NULL, NULL, 0);
	body = metrics_render(c->w->srv, c->w->gen, &len);
	return httpd_body(c, x, req, v, "text/plain; version=0.0.4; charset=utf-8", body, len);
}

/* 200 with body[0..len) (malloc'd, taken over; NULL gives 500), not to be
 * cached. */
static enum conn_next
httpd_body(struct conn *c, struct xfer *x, const struct httpd_req *req,
           const struct http_verdict *v, const char *type, char *body, size_t len)
{
	struct httpd_out o;

	if (body == NULL)
		return httpd_simple(c, x, 500, req->r->minor, v->head_only, NULL, NULL, 0);
	if (httpd_begin(c, x, &o, 200) != 0) {
		free(body);
		return CONN_CLOSE;
	}
	httpd_head_start(c, x, &o, 200);
	out_field_str(&o, FIELD("Content-Type", "content-type"), type);
	out_field_str(&o, FIELD("Cache-Control", "cache-control"), "no-store");
	out_begin_field(&o, FIELD("Content-Length", "content-length"));
	out_u64(&o, len);
	out_end_field(&o);
	httpd_head_end(c, &o, req->r->minor);
	x->hdr_len = o.n;
	if (v->head_only || len == 0) {
		free(body);
		return httpd_commit(c, x, &o, false);
	}
	x->owned = body;  /* xfer_end frees it */
	x->small = body;
	x->file_off = 0;
	x->file_end = (off_t)len;
	return httpd_commit(c, x, &o, true);
}

/* Choose the request's site by its Host (the TLS server name's, or the
 * default, without one). Returns 421 when the TLS server name chose
 * another site: the certificate the client checked vouches for that one
 * only (RFC 9110 15.5.20); the answer then comes as that site. */
static int
httpd_pick_site(struct conn *c, struct xfer *x, const struct httpd_req *req)
{
	const struct http_header *h = req->ix.h[HTTP_H_HOST];

	if (c->ep->nsites == 1) {
		x->site = &c->ep->sites[0];  /* one site: nothing to choose, nothing to misdirect */
		return 0;
	}
	if (h != NULL)
		x->site = site_for_host(c->ep, h->value.p, h->value.n);
	else
		x->site = c->sni_site != NULL ? c->sni_site : &c->ep->sites[0];
	if (c->sni_site != NULL && x->site != c->sni_site) {
		x->site = c->sni_site;
		return 421;
	}
	return 0;
}

/* A path that is not found: the site's fallback (SPAs), served as a file
 * with every rule of one, when it exists. */
static bool
httpd_fallback(struct conn *c, struct xfer *x, struct file_hit *hit)
{
	const char *fb = x->site->cfg->fallback;

	return fb != NULL && httpd_open(c, x->site, fb, strlen(fb), hit) == 200;
}

/* Answer a request whose verdict (http_decide) is in v: the same for
 * HTTP/1.1 and HTTP/2 from here on. */
static enum conn_next
httpd_serve(struct conn *c, struct xfer *x, const struct httpd_req *req,
            const struct http_verdict *v)
{
	char norm[8192];  /* a longer path gets 414 */
	struct file_hit hit;
	size_t query = 0;
	int status, plen, minor = req->r->minor;

	if (c->ep->cfg->mode == CONFIG_MODE_REDIRECT)
		return httpd_redirect_https(c, x, req, v);
	if (c->ep->cfg->mode == CONFIG_MODE_METRICS)
		return httpd_metrics(c, x, req, v);
	status = httpd_pick_site(c, x, req);
	if (v->head_status == 0 && status != 0) {
		/* 421 answers whatever the method was; only a body ends the connection */
		if (x->h2 == NULL)
			c->keepalive = !v->has_body && http_wants_keepalive(req->r, &req->ix);
		return httpd_simple(c, x, status, minor, v->head_only, NULL, NULL, 0);
	}
	if (v->status != 0)
		return httpd_simple(c, x, v->status, minor, v->head_only, NULL, NULL, 0);
	plen = path_normalize(req->r->target.p, req->r->target.n, norm, sizeof(norm), &query, &status);
	if (plen < 0)
		return httpd_simple(c, x, status, minor, v->head_only, NULL, NULL, 0);
	/* the common path has no dot name: one scan, no call into site.c */
	if (x->site->cfg->dotfiles == CONFIG_DOTFILES_DENY && path_has_dotfile(norm, (size_t)plen) &&
	    site_dot_denied(x->site, norm, (size_t)plen))
		return httpd_simple(c, x, 404, minor, v->head_only, NULL, NULL, 0);
	status = httpd_open(c, x->site, norm, (size_t)plen, &hit);
	if (status == 404 && httpd_fallback(c, x, &hit))
		status = 200;
	if (status == 301)
		return httpd_redirect_dir(c, x, req, norm, (size_t)plen, query, v->head_only);
	if (status == FILE_LIST_DIR)
		return httpd_listing(c, x, req, &hit, norm, (size_t)plen, v->head_only);
	if (status != 200)
		return httpd_simple(c, x, status, minor, v->head_only, NULL, NULL, 0);
	return httpd_file(c, x, req, &hit, v->head_only);
}

/* A complete request head is in rbuf[0..head_len): answer it. What does not
 * depend on the file (Host, framing, method, keep-alive) is http_decide's. */
static enum conn_next
httpd_respond(struct conn *c, const struct http_request *parsed, size_t head_len)
{
	struct httpd_req rq = {.r = parsed};
	struct http_verdict v;

	http_index_headers(parsed, &rq.ix);
	http_decide(parsed, &rq.ix, head_len, &v);
	c->head_len = v.consumed;
	c->x.start_us = c->w->loop.now_us;
	c->keepalive = v.keepalive;
	httpd_note_request(c, &rq);
	return httpd_serve(c, &c->x, &rq, &v);
}

int
httpd_serve_h2(struct conn *c, struct xfer *x, const struct http_request *req,
               const struct http_index *ix, int status)
{
	struct httpd_req rq = {.r = req, .ix = *ix};
	struct http_verdict v;

	/* A body announced by content-length gets 413 here as in HTTP/1.1.
	 * One that only DATA frames carry (HEADERS without END_STREAM, RFC
	 * 9113 8.1) is not waited for: often it is one empty DATA frame that
	 * ends the stream. It is never read either way, and cannot be taken
	 * for another request, since h2 frames every stream on its own. */
	http_decide(req, &rq.ix, 0, &v);
	if (status != 0)
		v.status = v.head_status = status;  /* the header list was too large: 431 */
	x->start_us = c->w->loop.now_us;
	return httpd_serve(c, x, &rq, &v) == CONN_CLOSE ? -1 : 0;
}

/* A request head that could not be parsed: note what there is of its first
 * line for the log, answer with the parser's status, close after. */
static enum conn_next
httpd_reject(struct conn *c, int status)
{
	const char *eol = memchr(c->rbuf, '\n', c->rlen);

	c->x.start_us = c->w->loop.now_us;
	c->x.req_line.p = c->rbuf;
	c->x.req_line.n = eol ? (size_t)(eol - c->rbuf) : c->rlen;
	if (c->x.req_line.n > 0 && c->x.req_line.p[c->x.req_line.n - 1] == '\r')
		c->x.req_line.n--;
	c->x.referer = c->x.user_agent = c->x.host = (struct http_span){NULL, 0};
	c->x.site = c->ep->nsites == 0 ? NULL : c->sni_site != NULL ? c->sni_site : &c->ep->sites[0];
	if (c->ep->cfg->mode == CONFIG_MODE_REDIRECT && c->rlen > 0 && c->rbuf[0] == 0x16)
		log_msg(&c->w->srv->elog, CONFIG_LOG_INFO, "%s %s: TLS sent to the plain HTTP port",
		        c->ep->cfg->name, c->client);
	c->keepalive = false;
	c->head_len = c->rlen;
	return httpd_simple(c, &c->x, status, 1, false, NULL, NULL, 0);
}

enum conn_next
httpd_read(struct conn *c)
{
	const struct config_limits *lim = &conn_config(c)->limits;
	ssize_t n;

	if (c->rlen > 0 && c->rlen != c->rlast) {
		/* a reload may lower the limits; the buffers were sized at start-up */
		struct http_limits hl = {
			lim->max_request_head < c->w->rpool.size ? lim->max_request_head
			                                         : c->w->rpool.size,
			lim->max_headers < c->w->nhdrs ? lim->max_headers : c->w->nhdrs};
		struct http_request req = {.hdr = c->w->hdrs, .nhdr = hl.max_headers};
		int r = http_parse_request(c->rbuf, c->rlen, c->rlast, &hl, &req);

		if (r > 0)
			return httpd_respond(c, &req, (size_t)r);
		if (r == -1)
			return httpd_reject(c, req.status);
		c->rlast = c->rlen;
		if (c->rlen == c->rcap && conn_grow_rbuf(c) != 0)
			return CONN_CLOSE;
	}
	if (conn_take_rbuf(c, false) != 0)
		return CONN_CLOSE;
	n = tls_read(c->tls, c->rbuf + c->rlen, c->rcap - c->rlen);
	if (n > 0) {
		if (c->rlen == 0)
			conn_set_timer(c, lim->header_timeout_ms);
		c->rlen += (size_t)n;
		return CONN_CONTINUE;
	}
	if ((n == TLS_WANT_POLLIN || n == TLS_WANT_POLLOUT) && c->rlen == 0) {
		conn_idle(c);  /* idle keep-alive holds no buffer */
	}
	return conn_io_next(c, n, CONN_OP_READ);
}

/* The response is out: log it, then wait for the next request or close. */
static enum conn_next
httpd_finish(struct conn *c)
{
	const struct config_limits *lim = &conn_config(c)->limits;

	conn_end_request(c);
	conn_release_wbuf(c);
	c->requests++;
	if (c->close_after || !c->keepalive || c->w->draining) {
		c->state = CONN_SHUTDOWN;
		return CONN_CONTINUE;
	}
	c->rlen -= c->head_len;
	memmove(c->rbuf, c->rbuf + c->head_len, c->rlen);
	c->rlast = 0;
	c->head_len = 0;
	c->state = CONN_READING;
	if (c->rlen == 0) {
		conn_release_rbuf(c);
		conn_set_timer(c, lim->idle_timeout_ms);
	} else {
		conn_set_timer(c, lim->header_timeout_ms);  /* a pipelined head is under way */
	}
	return CONN_CONTINUE;
}

/* Bytes of the body still to be put in the write buffer. */
static bool
httpd_body_left(const struct conn *c)
{
	return (c->x.file_fd >= 0 || c->x.mem != NULL || c->x.small != NULL) &&
	       c->x.file_off < c->x.file_end;
}

ssize_t
xfer_read_body(struct conn *c, struct xfer *x, char *dst, size_t len)
{
	size_t got = 0;
	ssize_t n;

	if (len > (size_t)(x->file_end - x->file_off))
		len = (size_t)(x->file_end - x->file_off);
	while (got < len) {
		if (x->small != NULL) {
			memcpy(dst + got, x->small + x->file_off + got, len - got);
			n = (ssize_t)(len - got);
		} else if (x->mem != NULL) {
			n = (ssize_t)file_list_read((struct file_listing *)(void *)x->mem, dst + got,
			                            len - got);
		} else {
			n = pread(x->file_fd, dst + got, len - got, x->file_off + (off_t)got);
		}
		if (n <= 0) {
			/* a listing cannot end early: its page is as long as announced */
			log_msg(&c->w->srv->elog, CONFIG_LOG_ERROR, "%s: read failed at offset %lld: %s",
			        c->ep->cfg->name, (long long)(x->file_off + (off_t)got),
			        n < 0 ? strerror(errno) : "EOF");
			return -1;
		}
		got += (size_t)n;
	}
	x->file_off += (off_t)got;
	return (ssize_t)got;
}

/* Refill the write buffer from the file (or the in-memory body): full
 * buffers, so OpenSSL cuts full 16 KiB records. */
static int
httpd_refill(struct conn *c)
{
	ssize_t n = xfer_read_body(c, &c->x, c->wbuf + c->wlen, CONN_WBUF_SIZE - c->wlen);

	if (n <= 0)
		return -1;
	c->wlen += (size_t)n;
	return 0;
}

/* With kernel TLS the body after the headers goes out with sendfile: no copy
 * through user space. Returns a step, or -1 when this connection has no
 * kernel TLS (then the pread path serves, and is not asked again). */
static int
httpd_sendfile(struct conn *c)
{
	size_t want = (size_t)(c->x.file_end - c->x.file_off);
	ssize_t n;

	n = conn_sendfile(c, c->x.file_fd, c->x.file_off, want > (1u << 20) ? (1u << 20) : want);
	if (n < 0 && errno == ENOTSUP) {
		c->no_ktls = true;
		return -1;
	}
	if (n <= 0)
		return conn_io_next(c, n, CONN_OP_WRITE);
	c->x.file_off += n;
	c->x.sent += (uint64_t)n;
	return CONN_CONTINUE;
}

/* A file body after its first bytes, while more than a record is left:
 * read TLS_BATCH_PLAIN (256 KiB) at a time into the worker's buffer and
 * handed to TLS at once, which encrypts all of it and sends the records
 * with one send(2) (what the socket does not take waits with the
 * connection, see tls_write). Two system calls per 256 KiB, and a sending
 * connection holds no buffer of its own while the socket keeps up. */
static enum conn_next
httpd_write_file(struct conn *c)
{
	size_t want = (size_t)(c->x.file_end - c->x.file_off);
	ssize_t n, w;
	bool last;

	conn_release_wbuf(c);  /* the head has gone */
	if (want > TLS_BATCH_PLAIN)
		want = TLS_BATCH_PLAIN;
	n = xfer_read_body(c, &c->x, c->w->body, want);
	if (n <= 0)
		return CONN_CLOSE;
	last = !httpd_body_left(c);
	w = conn_write(c, c->w->body, (size_t)n,
	               last && (c->close_after || !c->keepalive || c->w->draining) ? TLS_WRITE_HOLD
	                                                                            : 0);
	if (w <= 0 || w > n)
		return CONN_CLOSE;  /* nothing taken: only a failed connection does that */
	if (w < n) {
		/* short records (the client's max_fragment_length) filled the
		 * batch first: the rest is read again on the next pass */
		c->x.file_off -= (off_t)(n - w);
		last = false;
	}
	c->x.sent += (uint64_t)w;
	return last ? httpd_finish(c) : CONN_CONTINUE;
}

enum conn_next
httpd_write(struct conn *c)
{
	ssize_t n;

	if (c->woff == c->wlen && c->x.file_fd >= 0 && c->x.file_off < c->x.file_end && !c->no_ktls &&
	    c->x.mem == NULL && c->x.small == NULL && tls_server_ktls(c->ep->tls)) {
		int r = httpd_sendfile(c);

		if (r >= 0)
			return (enum conn_next)r;
	}
	if (c->woff == c->wlen && httpd_body_left(c)) {
		if (c->x.file_fd >= 0 && c->x.small == NULL && c->x.mem == NULL &&
		    c->x.file_end - c->x.file_off > TLS_RECORD_SIZE && tls_conn_batches(c->tls))
			return httpd_write_file(c);
		if (conn_take_wbuf(c) != 0)
			return CONN_CLOSE;
		c->woff = c->wlen = 0;
		if (httpd_refill(c) != 0)
			return CONN_CLOSE;
	} else if (c->woff == 0 && c->x.sent == 0 && httpd_body_left(c) && c->wlen < CONN_WBUF_SIZE &&
	           (c->x.mem != NULL || c->x.small != NULL || c->no_ktls || !tls_server_ktls(c->ep->tls))) {
		/* headers and the first body bytes go out together */
		if (httpd_refill(c) != 0)
			return CONN_CLOSE;
	}
	if (c->woff == c->wlen)
		return httpd_finish(c);
	/* the last bytes of a response on a connection that closes after it
	 * wait for the close_notify and the FIN: one TCP push for the three */
	n = conn_write(c, c->wbuf + c->woff, c->wlen - c->woff,
	               !httpd_body_left(c) && (c->close_after || !c->keepalive || c->w->draining)
	                       ? TLS_WRITE_HOLD
	                       : 0);
	if (n <= 0)
		return conn_io_next(c, n, CONN_OP_WRITE);
	c->woff += (size_t)n;
	c->x.sent += (uint64_t)n;
	if (c->woff == c->wlen && !httpd_body_left(c))
		return httpd_finish(c);
	return CONN_CONTINUE;
}

void
httpd_timeout_408(struct conn *c)
{
	c->state = CONN_READING;
	httpd_reject(c, 408);
	if (c->wbuf != NULL && conn_write(c, c->wbuf, c->wlen, 0) > 0)
		c->x.sent = c->wlen;
	conn_end_request(c);
}
