/* Unit tests for h2.c: an HTTP/2 session with the files handler behind it,
 * driven in process without sockets or TLS. Client frames are built here
 * (requests HPACK-encoded with nghttp2's deflater); what the server
 * produces is parsed and its header blocks decoded with nghttp2's inflater,
 * and the tests assert what a client would see: the server's SETTINGS,
 * responses and their bodies, and GOAWAY ENHANCE_YOUR_CALM for floods. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <nghttp2/nghttp2.h>

#include "tlserve/config.h"
#include "tlserve/conn.h"
#include "tlserve/fcache.h"
#include "tlserve/file.h"
#include "tlserve/h2.h"
#include "tlserve/log.h"
#include "tlserve/site.h"
#include "tlserve/worker.h"

#define MAX_HEAD 8192     /* limits.max_request_head of the test listener */
#define BIG_SIZE (100 * 1024)

static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
static const char a_txt[] = "hello, world\n";

/* ------------------------------------------------------------ the world */

static struct server srv;
static struct worker w;
static struct gen *gen;
static struct endpoint *ep;  /* gen->eps: gen_unref frees it */
static char root[64];
static char big[BIG_SIZE];

static void
put_file(const char *rel, const void *data, size_t n)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	close(fd);
}

static void
remove_file(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	unlink(path);
}

/* The worker and generation as main and worker_init make them, with no
 * listening socket and no TLS; the error log goes to a memory file. */
static int
group_setup(void **state)
{
	char yaml[1024], path[256];
	struct config *cfg = NULL;
	struct config_errors errs = {0};
	int n;

	(void)state;
	snprintf(root, sizeof(root), "/tmp/test-h2-XXXXXX");
	if (mkdtemp(root) == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	put_file("a.txt", a_txt, sizeof(a_txt) - 1);
	put_file("index.html", "<p>index</p>\n", 13);
	put_file("big.bin", big, sizeof(big));
	put_file(".secret", "no\n", 3);
	snprintf(path, sizeof(path), "%s/sub", root);
	mkdir(path, 0755);
	put_file("sub/index.html", "<p>sub</p>\n", 11);

	n = snprintf(yaml, sizeof(yaml),
	             "log: {level: info}\n"
	             "limits: {max_request_head: %d, max_headers: 100}\n"
	             "tls: {certificate: /nonexistent/server.crt, key: /nonexistent/server.key}\n"
	             "listeners:\n"
	             "  - name: h2test\n"
	             "    port: 0\n"
	             "    mode: files\n"
	             "    root: %s\n",
	             MAX_HEAD, root);
	if (config_load_string(yaml, (size_t)n, "test.yaml", "/", &cfg, &errs) != 0) {
		print_message("config: %s\n", errs.n ? errs.v[0].msg : "?");
		config_errors_free(&errs);
		return -1;
	}
	config_errors_free(&errs);
	gen = calloc(1, sizeof(*gen));
	if (gen == NULL)
		return -1;
	atomic_init(&gen->refs, 1);
	gen->cfg = cfg;
	ep = calloc(1, sizeof(*ep));
	if (ep == NULL)
		return -1;
	gen->eps = ep;
	gen->neps = 1;
	ep->gen = gen;
	ep->cfg = &cfg->listeners[0];
	if (site_open_all(ep, true, &errs) != 0)
		return -1;
	config_errors_free(&errs);

	srv.elog.fd = memfd_create("elog", MFD_CLOEXEC);
	srv.elog.level = CONFIG_LOG_INFO;
	atomic_init(&srv.gen, gen);
	srv.boot = gen;

	w.wake_kind = WORKER_EV_WAKE;
	w.srv = &srv;
	w.gen = gen;
	w.wakefd = -1;
	w.rpool.size = cfg->limits.max_request_head > CONN_ECHO_BUF ? cfg->limits.max_request_head
	                                                            : CONN_ECHO_BUF;
	w.wpool.size = CONN_WBUF_SIZE;
	w.h2pool.size = h2_stream_size();
	w.spool.size = CONN_SMALL_BUF < w.rpool.size ? CONN_SMALL_BUF : w.rpool.size;
	if (srv.elog.fd < 0 || loop_init(&w.loop) != 0 || loop_timer_reserve(&w.loop, 4) != 0 ||
	    fcache_init(&w.fcache) != 0)
		return -1;
	w.nhdrs = cfg->limits.max_headers;
	w.hdrs = calloc(w.nhdrs, sizeof(*w.hdrs));
	w.alog = calloc(1, sizeof(*w.alog));
	w.metrics = calloc(1, sizeof(*w.metrics));
	if (w.hdrs == NULL || w.alog == NULL || w.metrics == NULL)
		return -1;
	w.alog->fd = -1;
	log_clock_update(&w.clock, time(NULL));
	loop_update_time(&w.loop);
	return 0;
}

static void
pool_free(struct worker_pool *p)
{
	while (p->free) {
		void *b = p->free;

		memcpy(&p->free, b, sizeof(void *));
		free(b);
	}
}

static int
group_teardown(void **state)
{
	char path[256];

	(void)state;
	fcache_fini(&w.fcache);
	pool_free(&w.spool);
	pool_free(&w.rpool);
	pool_free(&w.wpool);
	pool_free(&w.h2pool);
	free(w.hdrs);
	free(w.alog);
	free(w.metrics);
	loop_fini(&w.loop);
	close(srv.elog.fd);
	gen_unref(gen);  /* closes the root, frees the configuration */
	remove_file("a.txt");
	remove_file("index.html");
	remove_file("big.bin");
	remove_file(".secret");
	remove_file("sub/index.html");
	snprintf(path, sizeof(path), "%s/sub", root);
	rmdir(path);
	rmdir(root);
	return 0;
}

/* Buffers a pool handed out and did not get back. */
static size_t
pool_out(const struct worker_pool *p)
{
	size_t n = 0;

	for (void *b = p->free; b != NULL; memcpy(&b, b, sizeof(void *)))
		n++;
	return p->count - n;
}

/* What the error log holds, from the start (NUL-terminated, static). */
static const char *
elog_text(void)
{
	static char text[8192];
	ssize_t n = pread(srv.elog.fd, text, sizeof(text) - 1, 0);

	text[n > 0 ? n : 0] = '\0';
	return text;
}

/* ------------------------------------------------------------ a session */

struct session {
	struct conn *c;
	uint8_t *out;         /* everything the server produced */
	size_t outn, outcap;
	/* the client's side */
	uint8_t *in;          /* frames built, not yet fed */
	size_t inn, incap;
	nghttp2_hd_deflater *def;
	size_t pools_out;     /* pooled buffers out before the session opened */
};

static void
in_bytes(struct session *s, const void *p, size_t n)
{
	if (s->inn + n > s->incap) {
		s->incap = (s->inn + n) * 2;
		s->in = realloc(s->in, s->incap);
		assert_non_null(s->in);
	}
	memcpy(s->in + s->inn, p, n);
	s->inn += n;
}

static void
frame_hd(struct session *s, uint32_t len, uint8_t type, uint8_t flags, uint32_t sid)
{
	uint8_t h[9] = {(uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len, type, flags,
	                (uint8_t)(sid >> 24), (uint8_t)(sid >> 16), (uint8_t)(sid >> 8), (uint8_t)sid};

	in_bytes(s, h, 9);
}

static void
in_u32(struct session *s, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

	in_bytes(s, b, 4);
}

static void
c_settings(struct session *s, uint16_t id, uint32_t value)
{
	uint8_t e[2] = {(uint8_t)(id >> 8), (uint8_t)id};

	frame_hd(s, 6, NGHTTP2_SETTINGS, 0, 0);
	in_bytes(s, e, 2);
	in_u32(s, value);
}

static void
c_settings_empty(struct session *s)
{
	frame_hd(s, 0, NGHTTP2_SETTINGS, 0, 0);
}

static void
c_ping(struct session *s, uint32_t n)
{
	frame_hd(s, 8, NGHTTP2_PING, 0, 0);
	in_u32(s, 0);
	in_u32(s, n);
}

static void
c_rst(struct session *s, uint32_t sid, uint32_t code)
{
	frame_hd(s, 4, NGHTTP2_RST_STREAM, 0, sid);
	in_u32(s, code);
}

static void
c_window_update(struct session *s, uint32_t sid, uint32_t inc)
{
	frame_hd(s, 4, NGHTTP2_WINDOW_UPDATE, 0, sid);
	in_u32(s, inc);
}

static void
c_data(struct session *s, uint32_t sid, const char *p, size_t n, bool end)
{
	frame_hd(s, (uint32_t)n, NGHTTP2_DATA, end ? NGHTTP2_FLAG_END_STREAM : 0, sid);
	in_bytes(s, p, n);
}

/* A request's HEADERS: method and path, then extra name/value pairs (NULL
 * ends them). One frame: the tests' header blocks stay under 16 KiB. */
static void
c_request(struct session *s, uint32_t sid, bool end_stream, const char *method, const char *path,
          ...)
{
	nghttp2_nv nv[16];
	size_t n = 0;
	uint8_t block[16384];
	ssize_t len;
	va_list ap;
	const char *name;

#define NV(k, v) (nghttp2_nv){(uint8_t *)(k), (uint8_t *)(v), strlen(k), strlen(v), 0}
	nv[n++] = NV(":method", method);
	nv[n++] = NV(":scheme", "https");
	nv[n++] = NV(":authority", "localhost");
	nv[n++] = NV(":path", path);
	va_start(ap, path);
	while ((name = va_arg(ap, const char *)) != NULL && n < 16) {
		const char *value = va_arg(ap, const char *);

		nv[n++] = NV(name, value);
	}
	va_end(ap);
#undef NV
	len = nghttp2_hd_deflate_hd(s->def, block, sizeof(block), nv, n);
	assert_true(len > 0);
	frame_hd(s, (uint32_t)len, NGHTTP2_HEADERS,
	         NGHTTP2_FLAG_END_HEADERS | (end_stream ? NGHTTP2_FLAG_END_STREAM : 0), sid);
	in_bytes(s, block, (size_t)len);
}

/* Serialise and keep what the server has ready, as h2_flush would send it
 * to a peer that reads everything. */
static void
drain(struct session *s)
{
	struct conn *c = s->c;

	for (int i = 0; i < 10000; i++) {
		size_t n;

		c->woff = c->wlen = 0;
		n = h2_produce(c);
		if (n == 0) {
			conn_release_wbuf(c);
			return;
		}
		if (s->outn + n > s->outcap) {
			s->outcap = (s->outn + n) * 2;
			s->out = realloc(s->out, s->outcap);
			assert_non_null(s->out);
		}
		memcpy(s->out + s->outn, c->wbuf, n);
		s->outn += n;
	}
	fail_msg("the session never stops producing");
}

/* Feed what was built, as reads of at most 16 KiB (h2_step's), draining
 * after each; stops when the session is over, as h2_step does. */
static void
flush(struct session *s)
{
	size_t at = 0;

	while (at < s->inn && !h2_done(s->c)) {
		size_t k = s->inn - at < 16384 ? s->inn - at : 16384;

		h2_feed(s->c, s->in + at, k);
		drain(s);
		at += k;
	}
	s->inn = 0;
}

static void
session_open(struct session *s)
{
	struct conn *c = calloc(1, sizeof(*c));

	memset(s, 0, sizeof(*s));
	assert_non_null(c);
	assert_int_equal(nghttp2_hd_deflate_new(&s->def, 4096), 0);
	c->kind = WORKER_EV_CONN;
	c->state = CONN_READING;
	c->fd = -1;
	c->w = &w;
	c->ep = ep;
	c->x.file_fd = -1;
	loop_timer_init(&c->timer);
	snprintf(c->client, sizeof(c->client), "192.0.2.7");
	gen_ref(gen);
	s->c = c;
	s->pools_out = pool_out(&w.rpool) + pool_out(&w.wpool) + pool_out(&w.h2pool);
	assert_int_equal(h2_open(c), 0);
	drain(s);
	in_bytes(s, preface, sizeof(preface) - 1);
}

/* Close as conn_close does; every pooled buffer the session took must be
 * back. */
static void
session_close(struct session *s)
{
	loop_timer_cancel(&w.loop, &s->c->timer);
	conn_release_wbuf(s->c);
	h2_free(s->c);
	gen_unref(gen);
	free(s->c);
	/* compared with the start, so that a test that failed half way (and
	 * never closed its session) does not fail the ones after it */
	assert_int_equal(pool_out(&w.rpool) + pool_out(&w.wpool) + pool_out(&w.h2pool),
	                 s->pools_out);
	fcache_flush(&w.fcache);
	nghttp2_hd_deflate_del(s->def);
	free(s->in);
	free(s->out);
}

/* ------------------------------------------------------------ the output */

#define MAX_RESP 512

struct resp {
	uint32_t sid;
	int status;                  /* 0: no response head */
	long long content_length;    /* -1: none */
	bool end_stream;
	uint32_t rst;                /* RST_STREAM error + 1, 0: none */
	char *body;                  /* DATA bytes */
	size_t bodyn;
	size_t data_frames;
};

struct output {
	bool settings_seen;
	long long max_streams;       /* the first SETTINGS' MAX_CONCURRENT_STREAMS, -1 none */
	long long header_list;       /* its MAX_HEADER_LIST_SIZE, -1 none */
	size_t goaways;
	uint32_t goaway_error;
	size_t ping_acks;
	size_t rsts;
	struct resp r[MAX_RESP];
	size_t nr;
};

static struct resp *
out_resp(struct output *o, uint32_t sid)
{
	for (size_t i = 0; i < o->nr; i++)
		if (o->r[i].sid == sid)
			return &o->r[i];
	assert_true(o->nr < MAX_RESP);
	o->r[o->nr] = (struct resp){.sid = sid, .content_length = -1};
	return &o->r[o->nr++];
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
decode_block(nghttp2_hd_inflater *inf, const uint8_t *p, size_t n, struct resp *r)
{
	for (;;) {
		nghttp2_nv nv;
		int flags = 0;
		ssize_t k = nghttp2_hd_inflate_hd2(inf, &nv, &flags, p, n, 1);

		assert_true(k >= 0);
		p += k;
		n -= (size_t)k;
		if (flags & NGHTTP2_HD_INFLATE_EMIT) {
			if (nv.namelen == 7 && memcmp(nv.name, ":status", 7) == 0)
				r->status = atoi((const char *)nv.value);
			else if (nv.namelen == 14 && memcmp(nv.name, "content-length", 14) == 0)
				r->content_length = atoll((const char *)nv.value);
			/* HTTP/2 has no connection-specific fields (RFC 9113 8.2.2) */
			assert_false(nv.namelen == 10 && memcmp(nv.name, "connection", 10) == 0);
			assert_false(nv.namelen == 10 && memcmp(nv.name, "keep-alive", 10) == 0);
		}
		if (flags & NGHTTP2_HD_INFLATE_FINAL) {
			nghttp2_hd_inflate_end_headers(inf);
			return;
		}
		if (n == 0 && !(flags & NGHTTP2_HD_INFLATE_EMIT))
			break;
	}
	fail_msg("a header block that does not end");
}

/* Parse everything the server sent: whole frames, header blocks decoded in
 * order (the HPACK table is the connection's). */
static void
parse(const struct session *s, struct output *o)
{
	nghttp2_hd_inflater *inf;
	uint8_t *block = NULL;
	size_t blockn = 0, at = 0;
	uint32_t block_sid = 0;
	bool block_end = false;

	memset(o, 0, sizeof(*o));
	o->max_streams = o->header_list = -1;
	assert_int_equal(nghttp2_hd_inflate_new(&inf), 0);
	while (at < s->outn) {
		const uint8_t *h = s->out + at, *p = h + 9;
		uint32_t len, sid;
		uint8_t type, flags;
		struct resp *r;

		assert_true(s->outn - at >= 9);
		len = (uint32_t)h[0] << 16 | (uint32_t)h[1] << 8 | h[2];
		type = h[3];
		flags = h[4];
		sid = be32(h + 5) & 0x7fffffffu;
		assert_true(s->outn - at - 9 >= len);
		at += 9 + len;
		switch (type) {
		case NGHTTP2_SETTINGS:
			if (flags & NGHTTP2_FLAG_ACK || o->settings_seen)
				break;
			o->settings_seen = true;
			for (size_t i = 0; i + 6 <= len; i += 6) {
				uint16_t id = (uint16_t)(p[i] << 8 | p[i + 1]);

				if (id == NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS)
					o->max_streams = be32(p + i + 2);
				if (id == NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE)
					o->header_list = be32(p + i + 2);
			}
			break;
		case NGHTTP2_HEADERS:
		case NGHTTP2_CONTINUATION:
			if (type == NGHTTP2_HEADERS) {
				block_sid = sid;
				block_end = flags & NGHTTP2_FLAG_END_STREAM;
				blockn = 0;
			}
			block = realloc(block, blockn + len + 1);
			assert_non_null(block);
			memcpy(block + blockn, p, len);
			blockn += len;
			if (flags & NGHTTP2_FLAG_END_HEADERS) {
				r = out_resp(o, block_sid);
				decode_block(inf, block, blockn, r);
				r->end_stream |= block_end;
			}
			break;
		case NGHTTP2_DATA:
			r = out_resp(o, sid);
			r->body = realloc(r->body, r->bodyn + len + 1);
			assert_non_null(r->body);
			memcpy(r->body + r->bodyn, p, len);
			r->bodyn += len;
			r->data_frames++;
			r->end_stream |= flags & NGHTTP2_FLAG_END_STREAM;
			break;
		case NGHTTP2_RST_STREAM:
			o->rsts++;
			out_resp(o, sid)->rst = be32(p) + 1;
			break;
		case NGHTTP2_GOAWAY:
			o->goaways++;
			o->goaway_error = be32(p + 4);
			break;
		case NGHTTP2_PING:
			if (flags & NGHTTP2_FLAG_ACK)
				o->ping_acks++;
			break;
		default:
			break;
		}
	}
	free(block);
	nghttp2_hd_inflate_del(inf);
}

static void
output_free(struct output *o)
{
	for (size_t i = 0; i < o->nr; i++)
		free(o->r[i].body);
}

/* The response on sid, which must exist. */
static struct resp *
resp(struct output *o, uint32_t sid)
{
	for (size_t i = 0; i < o->nr; i++)
		if (o->r[i].sid == sid)
			return &o->r[i];
	fail_msg("no response on stream %u", sid);
	return NULL;
}

/* ------------------------------------------------------------ tests */

static void
get_serves_the_file(void **state)
{
	struct session s;
	struct output o;
	struct resp *r;

	(void)state;
	session_open(&s);
	c_settings_empty(&s);
	c_request(&s, 1, true, "GET", "/a.txt", "user-agent", "test", NULL);
	flush(&s);
	parse(&s, &o);

	assert_true(o.settings_seen);
	assert_int_equal(o.max_streams, 128);
	assert_int_equal(o.header_list, MAX_HEAD);
	r = resp(&o, 1);
	assert_int_equal(r->status, 200);
	assert_int_equal(r->content_length, sizeof(a_txt) - 1);
	assert_int_equal(r->bodyn, sizeof(a_txt) - 1);
	assert_memory_equal(r->body, a_txt, sizeof(a_txt) - 1);
	assert_true(r->end_stream);
	assert_int_equal(r->rst, 0);
	assert_int_equal(o.goaways, 0);
	assert_false(h2_done(s.c));
	output_free(&o);
	session_close(&s);
}

/* A body larger than the initial window: all of it once the client opens
 * the windows, in DATA frames of at most 16 KiB. */
static void
get_large_file_with_open_windows(void **state)
{
	struct session s;
	struct output o;
	struct resp *r;

	(void)state;
	session_open(&s);
	c_settings(&s, NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20);
	c_window_update(&s, 0, 1 << 20);
	c_request(&s, 1, true, "GET", "/big.bin", NULL);
	flush(&s);
	parse(&s, &o);

	r = resp(&o, 1);
	assert_int_equal(r->status, 200);
	assert_int_equal(r->content_length, BIG_SIZE);
	assert_int_equal(r->bodyn, BIG_SIZE);
	assert_memory_equal(r->body, big, BIG_SIZE);
	assert_true(r->end_stream);
	assert_true(r->data_frames >= BIG_SIZE / 16384);
	output_free(&o);
	session_close(&s);
}

/* The default window (65535) holds the rest back until WINDOW_UPDATE. */
static void
window_update_releases_the_rest(void **state)
{
	struct session s;
	struct output o;

	(void)state;
	session_open(&s);
	c_settings_empty(&s);
	c_request(&s, 1, true, "GET", "/big.bin", NULL);
	flush(&s);
	parse(&s, &o);
	assert_int_equal(resp(&o, 1)->bodyn, 65535);
	assert_false(resp(&o, 1)->end_stream);
	output_free(&o);

	c_window_update(&s, 0, BIG_SIZE);
	c_window_update(&s, 1, BIG_SIZE);
	flush(&s);
	parse(&s, &o);
	assert_int_equal(resp(&o, 1)->bodyn, BIG_SIZE);
	assert_memory_equal(resp(&o, 1)->body, big, BIG_SIZE);
	assert_true(resp(&o, 1)->end_stream);
	output_free(&o);
	session_close(&s);
}

static void
range_gets_206(void **state)
{
	struct session s;
	struct output o;
	struct resp *r;

	(void)state;
	session_open(&s);
	c_settings_empty(&s);
	c_request(&s, 1, true, "GET", "/big.bin", "range", "bytes=100-199", NULL);
	c_request(&s, 3, true, "GET", "/big.bin", "range", "bytes=999999-", NULL);
	flush(&s);
	parse(&s, &o);
	r = resp(&o, 1);
	assert_int_equal(r->status, 206);
	assert_int_equal(r->content_length, 100);
	assert_int_equal(r->bodyn, 100);
	assert_memory_equal(r->body, big + 100, 100);
	assert_int_equal(resp(&o, 3)->status, 416);
	output_free(&o);
	session_close(&s);
}

static void
conditional_gets_304(void **state)
{
	struct session s;
	struct output o;

	(void)state;
	session_open(&s);
	c_settings_empty(&s);
	c_request(&s, 1, true, "GET", "/a.txt", "if-modified-since", "Fri, 01 Jan 2100 00:00:00 GMT",
	          NULL);
	c_request(&s, 3, true, "GET", "/a.txt", "if-match", "\"nope\"", NULL);
	flush(&s);
	parse(&s, &o);
	assert_int_equal(resp(&o, 1)->status, 304);
	assert_int_equal(resp(&o, 1)->bodyn, 0);
	assert_true(resp(&o, 1)->end_stream);
	assert_int_equal(resp(&o, 3)->status, 412);
	output_free(&o);
	session_close(&s);
}

static void
head_dotfile_and_directory(void **state)
{
	struct session s;
	struct output o;

	(void)state;
	session_open(&s);
	c_settings_empty(&s);
	c_request(&s, 1, true, "HEAD", "/a.txt", NULL);
	c_request(&s, 3, true, "GET", "/.secret", NULL);
	c_request(&s, 5, true, "GET", "/sub", NULL);
	c_request(&s, 7, true, "OPTIONS", "/a.txt", NULL);
	c_request(&s, 9, true, "BREW", "/a.txt", NULL);
	flush(&s);
	parse(&s, &o);
	assert_int_equal(resp(&o, 1)->status, 200);
	assert_int_equal(resp(&o, 1)->content_length, sizeof(a_txt) - 1);
	assert_int_equal(resp(&o, 1)->bodyn, 0);
	assert_true(resp(&o, 1)->end_stream);
	assert_int_equal(resp(&o, 3)->status, 404);
	assert_int_equal(resp(&o, 5)->status, 301);
	assert_int_equal(resp(&o, 7)->status, 204);
	assert_int_equal(resp(&o, 9)->status, 501);
	output_free(&o);
	session_close(&s);
}

static void
post_gets_405(void **state)
{
	struct session s;
	struct output o;

	(void)state;
	session_open(&s);
	c_settings_empty(&s);
	c_request(&s, 1, true, "POST", "/a.txt", NULL);
	c_request(&s, 3, false, "POST", "/a.txt", NULL);
	c_data(&s, 3, "a=1", 3, true);
	flush(&s);
	parse(&s, &o);
	assert_int_equal(resp(&o, 1)->status, 405);
	assert_int_equal(resp(&o, 3)->status, 405);
	assert_true(resp(&o, 1)->end_stream);
	assert_int_equal(o.goaways, 0);
	output_free(&o);
	session_close(&s);
}

/* A GET with a content-length above 0 announces a body, which it may not
 * have: 413, as over HTTP/1.1. HEADERS that only leave the stream open
 * (DATA may follow, often one empty frame ending it) are served: whatever
 * DATA come are discarded. */
static void
get_with_body_gets_413(void **state)
{
	struct session s;
	struct output o;

	(void)state;
	session_open(&s);
	c_settings_empty(&s);
	c_request(&s, 1, false, "GET", "/a.txt", "content-length", "5", NULL);
	c_request(&s, 3, false, "GET", "/a.txt", NULL);
	flush(&s);
	parse(&s, &o);
	assert_int_equal(resp(&o, 1)->status, 413);
	assert_true(resp(&o, 1)->end_stream);
	/* the stream is not reset with an error (a NO_ERROR reset may stop the
	 * body: RFC 9113 8.1) */
	assert_true(resp(&o, 1)->rst == 0 || resp(&o, 1)->rst == NGHTTP2_NO_ERROR + 1);
	assert_int_equal(resp(&o, 3)->status, 200);
	assert_true(resp(&o, 3)->end_stream);
	assert_int_equal(o.goaways, 0);
	output_free(&o);
	session_close(&s);
}

/* A header list over max_request_head gets 431 on its stream; the
 * connection goes on. */
static void
large_header_list_gets_431(void **state)
{
	static char cookie[MAX_HEAD + 100], fits[MAX_HEAD / 2];
	struct session s;
	struct output o;

	(void)state;
	memset(cookie, 'c', sizeof(cookie) - 1);
	memset(fits, 'f', sizeof(fits) - 1);
	session_open(&s);
	c_settings_empty(&s);
	c_request(&s, 1, true, "GET", "/a.txt", "cookie", cookie, NULL);
	c_request(&s, 3, true, "GET", "/a.txt", "cookie", fits, NULL);
	flush(&s);
	parse(&s, &o);
	assert_int_equal(resp(&o, 1)->status, 431);
	assert_int_equal(resp(&o, 3)->status, 200);
	assert_int_equal(o.goaways, 0);
	output_free(&o);
	session_close(&s);
}

static void
ping_flood_gets_goaway(void **state)
{
	struct session s;
	struct output o;

	(void)state;
	session_open(&s);
	c_settings_empty(&s);
	for (uint32_t i = 0; i < 200; i++)
		c_ping(&s, i);
	flush(&s);
	parse(&s, &o);
	assert_int_equal(o.goaways, 1);
	assert_int_equal(o.goaway_error, NGHTTP2_ENHANCE_YOUR_CALM);
	assert_true(o.ping_acks <= 50);
	assert_true(h2_done(s.c));
	assert_non_null(strstr(elog_text(), "h2test 192.0.2.7: HTTP/2 PING flood; closed"));
	output_free(&o);
	session_close(&s);
}

/* A few PINGs are answered. */
static void
pings_are_answered(void **state)
{
	struct session s;
	struct output o;

	(void)state;
	session_open(&s);
	c_settings_empty(&s);
	for (uint32_t i = 0; i < 10; i++)
		c_ping(&s, i);
	flush(&s);
	parse(&s, &o);
	assert_int_equal(o.ping_acks, 10);
	assert_int_equal(o.goaways, 0);
	assert_false(h2_done(s.c));
	output_free(&o);
	session_close(&s);
}

/* n requests, each reset by the client at once (rapid reset). */
static void
open_and_reset(struct session *s, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		c_request(s, 1 + 2 * i, true, "GET", "/big.bin", NULL);
		c_rst(s, 1 + 2 * i, NGHTTP2_CANCEL);
	}
}

static void
hundred_resets_are_allowed(void **state)
{
	struct session s;
	struct output o;

	(void)state;
	session_open(&s);
	c_settings_empty(&s);
	open_and_reset(&s, 100);
	c_request(&s, 201, true, "GET", "/a.txt", NULL);
	flush(&s);
	parse(&s, &o);
	assert_int_equal(o.goaways, 0);
	assert_false(h2_done(s.c));
	assert_int_equal(resp(&o, 201)->status, 200);
	assert_int_equal(resp(&o, 201)->bodyn, sizeof(a_txt) - 1);
	output_free(&o);
	session_close(&s);
}

static void
reset_flood_gets_goaway(void **state)
{
	struct session s;
	struct output o;

	(void)state;
	session_open(&s);
	c_settings_empty(&s);
	open_and_reset(&s, 300);
	flush(&s);
	parse(&s, &o);
	assert_int_equal(o.goaways, 1);
	assert_int_equal(o.goaway_error, NGHTTP2_ENHANCE_YOUR_CALM);
	assert_true(h2_done(s.c));
	assert_non_null(strstr(elog_text(), "h2test 192.0.2.7: HTTP/2 RST_STREAM flood; closed"));
	output_free(&o);
	session_close(&s);
}

/* The budget refills: 100 resets, a second later 10 more are allowed. */
static void
reset_budget_refills(void **state)
{
	struct session s;
	struct output o;

	(void)state;
	session_open(&s);
	c_settings_empty(&s);
	open_and_reset(&s, 100);
	flush(&s);
	w.loop.now_ms += 1000;
	for (uint32_t i = 100; i < 110; i++) {
		c_request(&s, 1 + 2 * i, true, "GET", "/big.bin", NULL);
		c_rst(&s, 1 + 2 * i, NGHTTP2_CANCEL);
	}
	flush(&s);
	parse(&s, &o);
	assert_int_equal(o.goaways, 0);
	assert_false(h2_done(s.c));
	output_free(&o);
	session_close(&s);
}

/* A protocol error (a frame on stream 2, which a client cannot open) ends
 * the connection with GOAWAY PROTOCOL_ERROR. */
static void
protocol_error_gets_goaway(void **state)
{
	struct session s;
	struct output o;

	(void)state;
	session_open(&s);
	c_settings_empty(&s);
	c_request(&s, 2, true, "GET", "/a.txt", NULL);
	flush(&s);
	parse(&s, &o);
	assert_int_equal(o.goaways, 1);
	assert_int_equal(o.goaway_error, NGHTTP2_PROTOCOL_ERROR);
	assert_true(h2_done(s.c));
	output_free(&o);
	session_close(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(get_serves_the_file),
		cmocka_unit_test(get_large_file_with_open_windows),
		cmocka_unit_test(window_update_releases_the_rest),
		cmocka_unit_test(range_gets_206),
		cmocka_unit_test(conditional_gets_304),
		cmocka_unit_test(head_dotfile_and_directory),
		cmocka_unit_test(post_gets_405),
		cmocka_unit_test(get_with_body_gets_413),
		cmocka_unit_test(large_header_list_gets_431),
		cmocka_unit_test(ping_flood_gets_goaway),
		cmocka_unit_test(pings_are_answered),
		cmocka_unit_test(hundred_resets_are_allowed),
		cmocka_unit_test(reset_flood_gets_goaway),
		cmocka_unit_test(reset_budget_refills),
		cmocka_unit_test(protocol_error_gets_goaway),
	};

	return cmocka_run_group_tests_name("h2", tests, group_setup, group_teardown);
}
