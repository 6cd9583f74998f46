/* h2: HTTP/2 connections (RFC 9113) on nghttp2.
 *
 * Reading: TLS records are fed to nghttp2_session_mem_recv; a request is
 * answered as soon as its header block is complete (the files handler runs
 * synchronously, so a stream never holds work in the background and a reset
 * frees it at once). Writing: nghttp2_session_send serialises frames into
 * the connection's write buffer; DATA payloads are read from the body source
 * straight into it (NGHTTP2_DATA_FLAG_NO_COPY), and the buffer goes to TLS
 * when full or when nothing more is ready. Each step flushes before it
 * reads, so a peer that does not read stops being read.
 *
 * Floods (the 2019 set, rapid reset, CONTINUATION, MadeYouReset) are
 * bounded by token buckets per connection; over one: GOAWAY
 * ENHANCE_YOUR_CALM and close. */
#include "tlserve/h2.h"

#include <errno.h>
#include <nghttp2/nghttp2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tlserve/log.h"
#include "tlserve/tls.h"

/* Per-connection budgets: a burst, then so many per second. */
enum h2_budget { H2_B_RESET, H2_B_PING, H2_B_SETTINGS, H2_B_EMPTY, H2_B_SRV_RESET, H2_B_COUNT };

static const struct {
	const char *what;
	uint32_t burst, per_s;
} h2_budgets[H2_B_COUNT] = {
	[H2_B_RESET] = {"RST_STREAM", 100, 10},
	[H2_B_PING] = {"PING", 50, 5},
	[H2_B_SETTINGS] = {"SETTINGS", 20, 2},
	[H2_B_EMPTY] = {"empty frame", 100, 10},
	[H2_B_SRV_RESET] = {"stream error", 100, 10},
};

/* What a stream keeps for the access log: the request line, referer and
 * user agent, each as long as the log would print it. */
#define H2_LOG_BYTES (LOG_MAX_REQUEST + 2 * LOG_MAX_HEADER + LOG_MAX_SITE)
#define H2_SMALL_BODY 256
/* An idle connection's GOAWAY gets this long to reach the client before
 * the close (a stream it leaves half open does not hold the connection). */
#define H2_GOAWAY_GRACE_MS 2000

struct h2_stream {
	struct xfer x;
	struct h2 *h;
	int32_t id;
	bool answered;               /* a response was submitted */
	bool sending;                /* and its last frame has not left yet */
	size_t late;                 /* request body bytes that came after the response */
	bool req_done;               /* the client's side ended (END_STREAM) */
	bool deferred;               /* its DATA waits for a larger window */
	size_t promised;             /* bytes a DATA frame took that are not yet written */
	struct h2_stream *prev, *next;
	char small[H2_SMALL_BODY];
	char log[H2_LOG_BYTES];
};

struct h2 {
	nghttp2_session *s;
	struct conn *c;
	struct h2_stream *streams;   /* streams with an object, newest first */
	size_t nbusy;                /* streams whose response is still being sent */
	/* the header block under way (one at a time: RFC 9113 6.10) */
	int32_t hb_id;               /* its stream, 0 when none */
	char *hb_buf;                /* its fields' text (a large request buffer) */
	size_t hb_len, hb_size, hb_wire, hb_cap;
	unsigned hb_count;
	bool hb_over;                /* over max_request_head or max_headers: 431 */
	uint64_t hb_start_ms;
	struct http_header *fields;  /* capacity max_headers + 1 */
	size_t fcap;
	struct http_span method, path, authority;
	char *head;                  /* response heads of this dispatch (a write buffer) */
	uint64_t milli[H2_B_COUNT];  /* budget tokens, in thousandths */
	uint64_t budget_ms[H2_B_COUNT];
	uint64_t open_ms, idle_ms;
	uint64_t close_by_ms;        /* after an idle GOAWAY: the close is due (0: none) */
	bool preface;                /* the client's first SETTINGS arrived */
	bool calm;                   /* a budget ran out: GOAWAY ENHANCE_YOUR_CALM */
	bool goaway;                 /* a graceful GOAWAY was submitted */
	bool failed;                 /* the session cannot go on: send what is queued, close */
	bool wdata;                  /* the write buffer holds DATA (a response progresses) */
	bool logged;                 /* why the session ends was logged */
};

size_t
h2_stream_size(void)
{
	return sizeof(struct h2_stream);
}

static const struct config_limits *
h2_limits(const struct h2 *h)
{
	return &conn_config(h->c)->limits;
}

/* The header list a request may have: max_request_head, and never more
 * than the buffer that holds it. */
static size_t
h2_head_limit(const struct h2 *h)
{
	size_t lim = h2_limits(h)->max_request_head;

	return lim < h->c->w->rpool.size ? lim : h->c->w->rpool.size;
}

/* The peer floods (what): GOAWAY ENHANCE_YOUR_CALM, once, logged. */
static void
h2_calm(struct h2 *h, const char *what)
{
	if (h->calm)
		return;
	h->calm = h->logged = true;
	log_msg(&h->c->w->srv->elog, CONFIG_LOG_INFO, "%s %s: HTTP/2 %s flood; closed",
	        h->c->ep->cfg->name, h->c->client, what);
	nghttp2_session_terminate_session(h->s, NGHTTP2_ENHANCE_YOUR_CALM);
}

/* Take one token of budget b; false when there is none left: the peer is
 * flooding, GOAWAY ENHANCE_YOUR_CALM is queued and reading stops. */
static bool
h2_spend(struct h2 *h, enum h2_budget b)
{
	uint64_t now = h->c->w->loop.now_ms, cap = (uint64_t)h2_budgets[b].burst * 1000;

	h->milli[b] += (now - h->budget_ms[b]) * h2_budgets[b].per_s;
	if (h->milli[b] > cap)
		h->milli[b] = cap;
	h->budget_ms[b] = now;
	if (h->milli[b] >= 1000) {
		h->milli[b] -= 1000;
		return true;
	}
	h2_calm(h, h2_budgets[b].what);
	return false;
}

/* ------------------------------------------------------------ streams */

static struct h2_stream *
h2_stream_new(struct h2 *h, int32_t id)
{
	struct h2_stream *st = worker_buf_get(&h->c->w->h2pool);

	if (st == NULL)
		return NULL;
	memset(st, 0, offsetof(struct h2_stream, small));
	st->x.file_fd = -1;
	st->x.h2 = st;
	st->h = h;
	st->id = id;
	st->next = h->streams;
	if (h->streams)
		h->streams->prev = st;
	h->streams = st;
	return st;
}

/* The stream is over, its response complete or not: log it, release its
 * body source, give the object back. */
static void
h2_stream_end(struct h2 *h, struct h2_stream *st)
{
	struct conn *c = h->c;

	xfer_end(c, &st->x);
	if (st->sending)
		h->nbusy--;
	if (st->answered)
		c->requests++;
	if (st->prev)
		st->prev->next = st->next;
	else
		h->streams = st->next;
	if (st->next)
		st->next->prev = st->prev;
	worker_buf_put(&c->w->h2pool, st);
}

char *
h2_head_buffer(struct h2_stream *st, size_t *cap)
{
	*cap = CONN_WBUF_SIZE;
	return st->h->head;
}

const char *
h2_stream_keep(struct h2_stream *st, const char *body, size_t n)
{
	memcpy(st->small, body, n < sizeof(st->small) ? n : sizeof(st->small));
	return st->small;
}

/* Bytes of st's body not yet promised to a DATA frame. */
static size_t
h2_body_left(const struct h2_stream *st)
{
	return (size_t)(st->x.file_end - st->x.file_off) - st->promised;
}

static ssize_t
h2_read_body(nghttp2_session *s, int32_t id, uint8_t *buf, size_t length, uint32_t *flags,
             nghttp2_data_source *src, void *user)
{
	struct h2_stream *st = src->ptr;
	size_t left = h2_body_left(st), n = length < left ? length : left;

	(void)s;
	(void)id;
	(void)buf;
	(void)user;
	/* A window opened a few bytes at a time gets no DATA frame until it
	 * holds H2_MIN_DATA (or the rest): no tiny frames on demand (data
	 * dribble). A window held shut is a stalled send (idle_timeout). */
	if (n < left && n < H2_MIN_DATA) {
		st->deferred = true;
		return NGHTTP2_ERR_DEFERRED;
	}
	st->promised += n;
	*flags |= NGHTTP2_DATA_FLAG_NO_COPY;
	if (n == left)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

int
h2_submit(struct conn *c, struct xfer *x, const struct http_header *f, size_t nf, bool body)
{
	struct h2_stream *st = x->h2;
	nghttp2_nv nv[1 + HTTPD_MAX_FIELDS];
	char status[4] = {(char)('0' + x->status / 100 % 10), (char)('0' + x->status / 10 % 10),
	                  (char)('0' + x->status % 10), '\0'};
	nghttp2_data_provider dp = {.source.ptr = st, .read_callback = h2_read_body};
	size_t n = 0;

	/* the names are the files handler's string constants, already in lower
	 * case: nghttp2 need not copy them (the values live on the stack) */
	nv[n++] = (nghttp2_nv){(uint8_t *)":status", (uint8_t *)status, 7, 3,
	                       NGHTTP2_NV_FLAG_NO_COPY_NAME};
	for (size_t i = 0; i < nf && n < sizeof(nv) / sizeof(nv[0]); i++)
		nv[n++] = (nghttp2_nv){(uint8_t *)f[i].name.p, (uint8_t *)f[i].value.p, f[i].name.n,
		                       f[i].value.n, NGHTTP2_NV_FLAG_NO_COPY_NAME};
	x->hdr_len = 0;  /* the access log counts body bytes; x->sent counts only DATA */
	if (nghttp2_submit_response(c->h2->s, st->id, nv, n, body ? &dp : NULL) != 0)
		return -1;
	st->answered = st->sending = true;
	c->h2->nbusy++;
	return 0;
}

/* ------------------------------------------------------------ requests */

/* Keep what the access log prints of the request: "METHOD PATH HTTP/2.0",
 * referer, user agent, host. */
static void
h2_note_request(struct h2_stream *st, const struct http_request *req, const struct http_index *ix)
{
	static const char version[] = " HTTP/2.0";
	const struct http_header *src[3] = {ix->h[HTTP_H_REFERER], ix->h[HTTP_H_USER_AGENT],
	                                    ix->h[HTTP_H_HOST]};
	struct http_span *dst[3] = {&st->x.referer, &st->x.user_agent, &st->x.host};
	const size_t max[3] = {LOG_MAX_HEADER, LOG_MAX_HEADER, LOG_MAX_SITE};
	struct http_span parts[4] = {req->method, {" ", 1}, req->target, {version, sizeof(version) - 1}};
	size_t at = 0;

	/* the log clamps the request line to LOG_MAX_REQUEST: keep no more */
	for (int i = 0; i < 4; i++) {
		size_t len = parts[i].n < LOG_MAX_REQUEST - at ? parts[i].n : LOG_MAX_REQUEST - at;

		if (len > 0)
			memcpy(st->log + at, parts[i].p, len);
		at += len;
	}
	st->x.req_line = (struct http_span){st->log, at};
	for (int i = 0; i < 3; i++) {
		size_t len;

		if (src[i] == NULL)
			continue;
		len = src[i]->value.n < max[i] ? src[i]->value.n : max[i];
		memcpy(st->log + at, src[i]->value.p, len);
		*dst[i] = (struct http_span){st->log + at, len};
		at += len;
	}
}

/* The header block of st is complete: answer the request. */
static int
h2_request(struct h2 *h, struct h2_stream *st, bool end_stream)
{
	struct conn *c = h->c;
	struct http_request req = {.method = h->method, .target = h->path, .minor = 1,
	                           .hdr = h->fields, .nhdr = 0};
	struct http_index ix;
	int rv;

	/* the fields' text and the response head both live only during this call */
	h->head = worker_buf_get(&c->w->wpool);
	if (h->head == NULL)
		return -1;
	req.nhdr = h->hb_count;
	http_index_headers(&req, &ix);
	/* :authority stands in for Host (RFC 9113 8.3.1) unless Host came too */
	if (h->authority.p != NULL && ix.h[HTTP_H_HOST] == NULL && req.nhdr < h->fcap) {
		h->fields[req.nhdr] = (struct http_header){{"host", 4}, h->authority};
		ix.h[HTTP_H_HOST] = &h->fields[req.nhdr++];
		ix.count[HTTP_H_HOST] = 1;
	}
	h2_note_request(st, &req, &ix);
	st->req_done = end_stream;
	rv = httpd_serve_h2(c, &st->x, &req, &ix, h->hb_over ? 431 : 0);
	worker_buf_put(&c->w->wpool, h->head);
	h->head = NULL;
	return rv;
}

/* Forget what the header block under way collected (its buffer stays). */
static void
h2_block_reset(struct h2 *h)
{
	h->hb_len = h->hb_size = 0;
	h->hb_count = 0;
	h->hb_over = false;
	h->method = h->path = h->authority = (struct http_span){NULL, 0};
}

static void
h2_block_done(struct h2 *h)
{
	if (h->hb_buf != NULL)
		worker_buf_put(&h->c->w->rpool, h->hb_buf);
	h->hb_buf = NULL;
	h->hb_id = 0;
	h->hb_wire = 0;
	h2_block_reset(h);
}

static int
h2_on_begin_headers(nghttp2_session *s, const nghttp2_frame *f, void *user)
{
	struct h2 *h = user;
	struct h2_stream *st;

	if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;  /* trailers: their fields are ignored */
	if (h->fields == NULL) {
		h->fcap = h2_limits(h)->max_headers + 1;
		h->fields = calloc(h->fcap, sizeof(*h->fields));
	}
	if (h->hb_buf == NULL)
		h->hb_buf = worker_buf_get(&h->c->w->rpool);
	h2_block_reset(h);
	st = h->fields && h->hb_buf ? h2_stream_new(h, f->hd.stream_id) : NULL;
	if (st == NULL)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  /* out of memory: reset the stream */
	nghttp2_session_set_stream_user_data(s, f->hd.stream_id, st);
	h->hb_id = f->hd.stream_id;
	h->hb_cap = h->c->w->rpool.size;
	h->hb_start_ms = h->c->w->loop.now_ms;
	return 0;
}

static struct http_span
h2_keep(struct h2 *h, const uint8_t *p, size_t n)
{
	struct http_span sp = {h->hb_buf + h->hb_len, n};

	memcpy(h->hb_buf + h->hb_len, p, n);
	h->hb_len += n;
	return sp;
}

/* One decoded field of the block under way. Its size counts as RFC 9113
 * 6.5.2 counts it (name + value + 32); over max_request_head or
 * max_headers the request gets 431, and the rest is only decoded. */
static int
h2_on_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t namelen,
             const uint8_t *value, size_t valuelen, uint8_t flags, void *user)
{
	struct h2 *h = user;

	(void)s;
	(void)flags;
	if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST ||
	    f->hd.stream_id != h->hb_id)
		return 0;
	h->hb_size += namelen + valuelen + 32;
	if (h->hb_size > h2_head_limit(h) || h->hb_len + namelen + valuelen > h->hb_cap)
		h->hb_over = true;
	if (h->hb_over)
		return 0;
	if (namelen > 0 && name[0] == ':') {
		struct http_span v = h2_keep(h, value, valuelen);

		if (namelen == 7 && memcmp(name, ":method", 7) == 0)
			h->method = v;
		else if (namelen == 5 && memcmp(name, ":path", 5) == 0)
			h->path = v;
		else if (namelen == 10 && memcmp(name, ":authority", 10) == 0)
			h->authority = v;
		return 0;
	}
	if (h->hb_count + 1 >= h->fcap) {  /* fcap is max_headers + 1 (room for host) */
		h->hb_over = true;
		return 0;
	}
	h->fields[h->hb_count].name = h2_keep(h, name, namelen);
	h->fields[h->hb_count].value = h2_keep(h, value, valuelen);
	h->hb_count++;
	return 0;
}

/* Every frame's header, before its payload: the budgets. */
static int
h2_on_begin_frame(nghttp2_session *s, const nghttp2_frame_hd *hd, void *user)
{
	struct h2 *h = user;
	bool ok = true;

	(void)s;
	switch (hd->type) {
	case NGHTTP2_DATA:
		if (hd->length == 0 && !(hd->flags & NGHTTP2_FLAG_END_STREAM))
			ok = h2_spend(h, H2_B_EMPTY);
		break;
	case NGHTTP2_HEADERS:
	case NGHTTP2_CONTINUATION:
		if (hd->length == 0 && !(hd->flags & NGHTTP2_FLAG_END_HEADERS))
			ok = h2_spend(h, H2_B_EMPTY);
		/* a header block that never ends (CONTINUATION flood) */
		h->hb_wire = (hd->type == NGHTTP2_HEADERS ? 0 : h->hb_wire) + hd->length;
		if (ok && h->hb_wire > 2 * h2_head_limit(h) + 16384) {
			h2_calm(h, "CONTINUATION");
			ok = false;
		}
		break;
	case NGHTTP2_PRIORITY:
		ok = h2_spend(h, H2_B_EMPTY);
		break;
	case NGHTTP2_RST_STREAM:
		ok = h2_spend(h, H2_B_RESET);
		break;
	case NGHTTP2_PING:
		if (!(hd->flags & NGHTTP2_FLAG_ACK))
			ok = h2_spend(h, H2_B_PING);
		break;
	case NGHTTP2_SETTINGS:
		if (!(hd->flags & NGHTTP2_FLAG_ACK) && h->preface)
			ok = h2_spend(h, H2_B_SETTINGS);
		break;
	case NGHTTP2_GOAWAY:
	case NGHTTP2_WINDOW_UPDATE:
	case NGHTTP2_PUSH_PROMISE:
		break;
	default:
		ok = h2_spend(h, H2_B_EMPTY);  /* extension frames are ignored, and counted */
		break;
	}
	return ok ? 0 : NGHTTP2_ERR_CALLBACK_FAILURE;
}

/* A window grew: the streams that waited for it may send again. */
static void
h2_resume(struct h2 *h)
{
	for (struct h2_stream *st = h->streams; st; st = st->next) {
		if (st->deferred) {
			st->deferred = false;
			nghttp2_session_resume_data(h->s, st->id);
		}
	}
}

static int
h2_on_frame_recv(nghttp2_session *s, const nghttp2_frame *f, void *user)
{
	struct h2 *h = user;
	struct h2_stream *st;
	bool end = f->hd.flags & NGHTTP2_FLAG_END_STREAM;

	switch (f->hd.type) {
	case NGHTTP2_HEADERS:
		st = nghttp2_session_get_stream_user_data(s, f->hd.stream_id);
		if (f->headers.cat != NGHTTP2_HCAT_REQUEST || st == NULL || f->hd.stream_id != h->hb_id) {
			if (st != NULL && end)
				st->req_done = true;  /* trailers end the request body */
			break;
		}
		if (h->calm || h->failed) {
			h2_block_done(h);
			break;
		}
		if (h2_request(h, st, end) != 0)
			nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, f->hd.stream_id,
			                          NGHTTP2_INTERNAL_ERROR);
		h2_block_done(h);
		break;
	case NGHTTP2_DATA:
		st = nghttp2_session_get_stream_user_data(s, f->hd.stream_id);
		if (st != NULL && end)
			st->req_done = true;
		break;
	case NGHTTP2_SETTINGS:
		h->preface = true;
		if (!(f->hd.flags & NGHTTP2_FLAG_ACK))
			h2_resume(h);  /* a new initial window may open deferred streams */
		break;
	case NGHTTP2_WINDOW_UPDATE:
		h2_resume(h);
		break;
	default:
		break;
	}
	return 0;
}

/* A request body is never read (the answer is 413, 405, or a GET's that
 * does not need it), but a client sends it anyway, often in the record
 * after its HEADERS: a reset right
 * after the response would make clients report a failed request. Only a
 * body that goes on well after the response is stopped, without error
 * (RFC 9113 8.1). */
#define H2_LATE_BODY (64 * 1024)

static int
h2_on_data_chunk(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data,
                 size_t len, void *user)
{
	struct h2_stream *st = nghttp2_session_get_stream_user_data(s, id);

	(void)flags;
	(void)data;
	(void)user;
	if (st == NULL || !st->answered || st->sending || st->late > H2_LATE_BODY)
		return 0;
	st->late += len;
	if (st->late > H2_LATE_BODY)
		nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, id, NGHTTP2_NO_ERROR);
	return 0;
}

static int
h2_on_frame_send(nghttp2_session *s, const nghttp2_frame *f, void *user)
{
	struct h2 *h = user;
	struct h2_stream *st;

	if (f->hd.type == NGHTTP2_RST_STREAM && f->rst_stream.error_code != NGHTTP2_NO_ERROR &&
	    f->rst_stream.error_code != NGHTTP2_REFUSED_STREAM) {
		/* each reset the peer provokes costs it budget (MadeYouReset); a
		 * stream refused over the limit never had work to leave behind */
		if (!h2_spend(h, H2_B_SRV_RESET))
			h->failed = true;
		return 0;
	}
	if (f->hd.type == NGHTTP2_GOAWAY && f->goaway.error_code != NGHTTP2_NO_ERROR && !h->logged) {
		/* nghttp2 ended the session for a protocol error of the peer */
		h->logged = true;
		log_msg(&h->c->w->srv->elog, CONFIG_LOG_INFO, "%s %s: HTTP/2 %s: %.*s; closed",
		        h->c->ep->cfg->name, h->c->client,
		        nghttp2_http2_strerror(f->goaway.error_code), (int)f->goaway.opaque_data_len,
		        (const char *)f->goaway.opaque_data);
		return 0;
	}
	if ((f->hd.type == NGHTTP2_DATA || f->hd.type == NGHTTP2_HEADERS) &&
	    (f->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
		/* the response is out: a stream whose request body is still on
		 * its way does not keep the connection busy */
		st = nghttp2_session_get_stream_user_data(s, f->hd.stream_id);
		if (st != NULL && st->sending) {
			st->sending = false;
			h->nbusy--;
		}
	}
	return 0;
}

static int
h2_on_stream_close(nghttp2_session *s, int32_t id, uint32_t error, void *user)
{
	struct h2 *h = user;
	struct h2_stream *st = nghttp2_session_get_stream_user_data(s, id);

	(void)error;
	if (id == h->hb_id)
		h2_block_done(h);
	if (st != NULL) {
		nghttp2_session_set_stream_user_data(s, id, NULL);
		h2_stream_end(h, st);
	}
	return 0;
}

/* Extension frames are read only to be counted (h2_on_begin_frame), then
 * dropped (RFC 9113 5.5). */
static int
h2_extension_chunk(nghttp2_session *s, const nghttp2_frame_hd *hd, const uint8_t *data,
                   size_t len, void *user)
{
	(void)s;
	(void)hd;
	(void)data;
	(void)len;
	(void)user;
	return 0;
}

static int
h2_unpack_extension(nghttp2_session *s, void **payload, const nghttp2_frame_hd *hd, void *user)
{
	(void)s;
	(void)payload;
	(void)hd;
	(void)user;
	return NGHTTP2_ERR_CANCEL;
}

/* ------------------------------------------------------------ output */

/* Frames other than DATA: copied into the write buffer. */
static ssize_t
h2_send(nghttp2_session *s, const uint8_t *data, size_t len, int flags, void *user)
{
	struct conn *c = ((struct h2 *)user)->c;
	size_t room;

	(void)s;
	(void)flags;
	if (conn_take_wbuf(c) != 0)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	room = CONN_WBUF_SIZE - c->wlen;
	if (room == 0)
		return NGHTTP2_ERR_WOULDBLOCK;
	if (len > room)
		len = room;
	memcpy(c->wbuf + c->wlen, data, len);
	c->wlen += len;
	return (ssize_t)len;
}

/* A DATA frame: its header, then the body read straight into the write
 * buffer (from the file with pread, the listing, or the stream's page). */
static int
h2_send_data(nghttp2_session *s, nghttp2_frame *f, const uint8_t *framehd, size_t len,
             nghttp2_data_source *src, void *user)
{
	struct conn *c = ((struct h2 *)user)->c;
	struct h2_stream *st = src->ptr;
	ssize_t n;

	(void)s;
	if (conn_take_wbuf(c) != 0)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	if (CONN_WBUF_SIZE - c->wlen < 9 + len + f->data.padlen)
		return NGHTTP2_ERR_WOULDBLOCK;
	memcpy(c->wbuf + c->wlen, framehd, 9);
	((struct h2 *)user)->wdata = true;
	n = xfer_read_body(c, &st->x, c->wbuf + c->wlen + 9, len);
	if (n != (ssize_t)len)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  /* the file shrank: reset the stream */
	c->wlen += 9 + len;
	st->promised -= len;
	st->x.sent += len;
	return 0;
}

/* ------------------------------------------------------------ memory */

/* nghttp2 allocates per stream and per frame: small blocks, freed soon
 * after. Freed ones wait by size class in the worker for the next, instead
 * of taking malloc's general path each time; each list is bounded, so a
 * burst leaves at most H2_MEM_KEEP blocks per class behind. A block starts
 * with its class (H2_MEM_BIG: from malloc, any size). */
#define H2_MEM_MIN 64
#define H2_MEM_KEEP 1024
#define H2_MEM_BIG 255
#define H2_MEM_HDR 16  /* keeps the block's payload 16-byte aligned */

static unsigned
h2_mem_class(size_t size)
{
	unsigned k = 0;

	while (k < WORKER_BLOCK_CLASSES && (size_t)H2_MEM_MIN << k < size)
		k++;
	return k < WORKER_BLOCK_CLASSES ? k : H2_MEM_BIG;
}

static void *
h2_malloc(size_t size, void *user)
{
	struct worker_blocks *b = user;
	unsigned k = h2_mem_class(size);
	unsigned char *p;

	if (k != H2_MEM_BIG && b->free[k] != NULL) {
		p = b->free[k];
		memcpy(&b->free[k], p + H2_MEM_HDR, sizeof(void *));
		b->count[k]--;
	} else {
		if (size > SIZE_MAX - H2_MEM_HDR)
			return NULL;
		p = malloc(H2_MEM_HDR + (k == H2_MEM_BIG ? size : (size_t)H2_MEM_MIN << k));
		if (p == NULL)
			return NULL;
	}
	p[0] = (unsigned char)k;
	return p + H2_MEM_HDR;
}

static void
h2_free_block(void *ptr, void *user)
{
	struct worker_blocks *b = user;
	unsigned char *p = ptr;
	unsigned k;

	if (p == NULL)
		return;
	p -= H2_MEM_HDR;
	k = p[0];
	if (k == H2_MEM_BIG || b->count[k] >= H2_MEM_KEEP) {
		free(p);
		return;
	}
	memcpy(p + H2_MEM_HDR, &b->free[k], sizeof(void *));
	b->free[k] = p;
	b->count[k]++;
}

static void *
h2_calloc(size_t n, size_t size, void *user)
{
	void *p;

	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	p = h2_malloc(n * size, user);
	if (p != NULL)
		memset(p, 0, n * size);
	return p;
}

static void *
h2_realloc(void *ptr, size_t size, void *user)
{
	unsigned char *old = ptr;
	size_t have;
	void *p;

	if (old == NULL)
		return h2_malloc(size, user);
	if (old[-H2_MEM_HDR] != H2_MEM_BIG) {
		have = (size_t)H2_MEM_MIN << old[-H2_MEM_HDR];
		if (size <= have)
			return ptr;
	} else {
		/* a big block: let malloc move it, keeping the header */
		unsigned char *q = realloc(old - H2_MEM_HDR, H2_MEM_HDR + size);

		return q != NULL ? q + H2_MEM_HDR : NULL;
	}
	p = h2_malloc(size, user);
	if (p == NULL)
		return NULL;
	memcpy(p, ptr, have);
	h2_free_block(ptr, user);
	return p;
}

void
h2_mem_fini(struct worker_blocks *b)
{
	for (unsigned k = 0; k < WORKER_BLOCK_CLASSES; k++) {
		while (b->free[k] != NULL) {
			unsigned char *p = b->free[k];

			memcpy(&b->free[k], p + H2_MEM_HDR, sizeof(void *));
			free(p);
		}
		b->count[k] = 0;
	}
}

/* ------------------------------------------------------------ the session */

static void h2_goaway(struct h2 *);

static nghttp2_session_callbacks *
h2_callbacks(void)
{
	nghttp2_session_callbacks *cb;

	if (nghttp2_session_callbacks_new(&cb) != 0)
		return NULL;
	nghttp2_session_callbacks_set_send_callback(cb, h2_send);
	nghttp2_session_callbacks_set_send_data_callback(cb, h2_send_data);
	nghttp2_session_callbacks_set_on_begin_frame_callback(cb, h2_on_begin_frame);
	nghttp2_session_callbacks_set_on_begin_headers_callback(cb, h2_on_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(cb, h2_on_header);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, h2_on_frame_recv);
	nghttp2_session_callbacks_set_on_frame_send_callback(cb, h2_on_frame_send);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, h2_on_data_chunk);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, h2_on_stream_close);
	nghttp2_session_callbacks_set_on_extension_chunk_recv_callback(cb, h2_extension_chunk);
	nghttp2_session_callbacks_set_unpack_extension_callback(cb, h2_unpack_extension);
	return cb;
}

int
h2_open(struct conn *c)
{
	struct h2 *h = calloc(1, sizeof(*h));
	nghttp2_session_callbacks *cb = h2_callbacks();
	nghttp2_option *opt = NULL;
	nghttp2_mem mem = {&c->w->h2mem, h2_malloc, h2_free_block, h2_calloc, h2_realloc};
	uint64_t now = c->w->loop.now_ms;
	int rv = -1;

	if (h == NULL || cb == NULL || nghttp2_option_new(&opt) != 0)
		goto out;
	h->c = c;
	for (int b = 0; b < H2_B_COUNT; b++) {
		h->milli[b] = (uint64_t)h2_budgets[b].burst * 1000;
		h->budget_ms[b] = now;
	}
	/* extension frames reach on_begin_frame only when registered */
	for (int t = 10; t < 256; t++)
		nghttp2_option_set_user_recv_extension_type(opt, (uint8_t)t);
	if (nghttp2_session_server_new3(&h->s, cb, h, opt, &mem) != 0)
		goto out;
	nghttp2_settings_entry iv[] = {
		{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, H2_MAX_STREAMS},
		{NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, (uint32_t)h2_head_limit(h)},
	};
	if (nghttp2_submit_settings(h->s, NGHTTP2_FLAG_NONE, iv, sizeof(iv) / sizeof(iv[0])) != 0)
		goto out;
	h->open_ms = h->idle_ms = now;
	c->h2 = h;
	h = NULL;
	rv = 0;
	conn_set_timer(c, conn_config(c)->limits.handshake_timeout_ms);
	if (c->w->draining)
		h2_goaway(c->h2);
out:
	if (h != NULL) {
		if (h->s)
			nghttp2_session_del(h->s);
		free(h);
	}
	nghttp2_option_del(opt);
	nghttp2_session_callbacks_del(cb);
	return rv;
}

void
h2_free(struct conn *c)
{
	struct h2 *h = c->h2;

	if (h == NULL)
		return;
	while (h->streams != NULL)
		h2_stream_end(h, h->streams);
	h2_block_done(h);
	nghttp2_session_del(h->s);
	free(h->fields);
	free(h);
	c->h2 = NULL;
}

/* GOAWAY without error: the streams so far are served, no new one is. */
static void
h2_goaway(struct h2 *h)
{
	if (h->goaway || h->calm || h->failed)
		return;
	h->goaway = true;
	nghttp2_submit_goaway(h->s, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(h->s),
	                      NGHTTP2_NO_ERROR, NULL, 0);
}

void
h2_drain(struct conn *c)
{
	h2_goaway(c->h2);
	if (c->state == CONN_READING || c->state == CONN_WRITING)
		conn_schedule(c);
}

/* After a step: sending (a response under way, or bytes held) runs under
 * the send timer; otherwise the wait for the peer is timed: the preface by
 * handshake_timeout, a header block by header_timeout, an idle connection
 * by idle_timeout (frames other than requests do not keep it open). */
static void
h2_settle(struct conn *c)
{
	struct h2 *h = c->h2;
	const struct config_limits *lim = &conn_config(c)->limits;
	uint64_t deadline;

	if (h->nbusy > 0 || c->woff < c->wlen) {
		if (c->state != CONN_WRITING) {
			c->state = CONN_WRITING;
			conn_send_begin(c);
		}
		return;
	}
	if (c->state == CONN_WRITING) {
		c->state = CONN_READING;
		h->idle_ms = c->w->loop.now_ms;
	}
	if (!h->preface)
		deadline = h->open_ms + lim->handshake_timeout_ms;
	else if (h->hb_id != 0)
		deadline = h->hb_start_ms + lim->header_timeout_ms;
	else
		deadline = h->idle_ms + lim->idle_timeout_ms;
	if (h->close_by_ms != 0 && h->close_by_ms < deadline)
		deadline = h->close_by_ms;
	conn_set_timer(c, deadline > c->w->loop.now_ms ? deadline - c->w->loop.now_ms : 0);
}

size_t
h2_produce(struct conn *c)
{
	struct h2 *h = c->h2;

	/* an error here still leaves what was serialised (a GOAWAY) to send */
	if (nghttp2_session_want_write(h->s) && nghttp2_session_send(h->s) != 0)
		h->failed = true;
	return c->wlen;
}

void
h2_feed(struct conn *c, const void *in, size_t n)
{
	struct h2 *h = c->h2;
	ssize_t used = nghttp2_session_mem_recv(h->s, in, n);

	if (used < 0) {
		/* the session cannot go on: say why with a GOAWAY (unless one is
		 * queued already), send it, then close */
		if (used == NGHTTP2_ERR_FLOODED || used == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS) {
			h2_calm(h, used == NGHTTP2_ERR_FLOODED ? "acknowledgement" : "CONTINUATION");
		} else if (!h->calm) {
			nghttp2_session_terminate_session(h->s, NGHTTP2_PROTOCOL_ERROR);
			if (!h->logged)
				log_msg(&c->w->srv->elog, CONFIG_LOG_INFO, "%s %s: HTTP/2: %s; closed",
				        c->ep->cfg->name, c->client, nghttp2_strerror((int)used));
			h->logged = true;
		}
		h->failed = true;
	}
}

bool
h2_done(const struct conn *c)
{
	const struct h2 *h = c->h2;

	return h->calm || h->failed ||
	       (!nghttp2_session_want_read(h->s) && !nghttp2_session_want_write(h->s));
}

/* Send what is held, then what nghttp2 has ready. CONN_CONTINUE after a
 * write (the budget of the loop decides when others get their turn),
 * CONN_AGAIN_OUT when the socket is full, CONN_AGAIN_IN when nothing is
 * left to send. */
static enum conn_next
h2_flush(struct conn *c)
{
	ssize_t n;

	if (c->woff == c->wlen) {
		c->woff = c->wlen = 0;
		c->h2->wdata = false;
		if (h2_produce(c) == 0) {
			conn_release_wbuf(c);
			return CONN_AGAIN_IN;
		}
	}
	/* control frames alone (PING and SETTINGS acknowledgements) are no
	 * progress of a response: a window held shut stays a stalled send */
	n = conn_write(c, c->wbuf + c->woff, c->wlen - c->woff, c->h2->wdata ? 0 : CONN_WRITE_QUIET);
	if (n <= 0)
		return conn_io_next(c, n, CONN_OP_WRITE);
	c->woff += (size_t)n;
	return CONN_CONTINUE;
}

enum conn_next
h2_step(struct conn *c)
{
	struct h2 *h = c->h2;
	char in[16384];
	enum conn_next r = h2_flush(c);
	ssize_t n;

	if (r != CONN_AGAIN_IN) {
		if (r != CONN_CLOSE)
			h2_settle(c);
		return r;
	}
	/* nothing left to send */
	if (h2_done(c)) {
		c->state = CONN_SHUTDOWN;
		return CONN_CONTINUE;
	}
	n = tls_read(c->tls, in, sizeof(in));
	if (n > 0) {
		h2_feed(c, in, (size_t)n);
		h2_settle(c);
		return CONN_CONTINUE;
	}
	if (n == TLS_WANT_POLLIN || n == TLS_WANT_POLLOUT) {
		h2_settle(c);
		if (c->state == CONN_READING && h->nbusy == 0 && c->wbuf == NULL)
			conn_idle(c);
	}
	return conn_io_next(c, n, CONN_OP_READ);
}

void
h2_on_timeout(struct conn *c)
{
	struct h2 *h = c->h2;
	const char *what = !h->preface ? "preface" : h->hb_id != 0 ? "header block" : NULL;

	if (what != NULL) {
		log_msg(&c->w->srv->elog, CONFIG_LOG_INFO, "%s %s: HTTP/2 %s timed out",
		        c->ep->cfg->name, c->client, what);
		h->failed = true;
		nghttp2_session_terminate_session(h->s, NGHTTP2_NO_ERROR);
	} else if (h->goaway) {
		h->failed = true;  /* idle again after its GOAWAY (a stream left half open) */
	} else {
		h2_goaway(h);  /* idle: GOAWAY, then close once the client has seen it */
		h->close_by_ms = c->w->loop.now_ms + H2_GOAWAY_GRACE_MS;
	}
	conn_on_event(c, 0);
}
