/* libFuzzer harness for the HTTP/2 session (h2.c on nghttp2, with the files
 * handler of httpd.c behind it), without sockets or TLS: the input is what a
 * client sends after the connection preface. It is fed in a few reads split
 * at points derived from the input (the clock moving on between them, so the
 * flood budgets refill), everything the server serialises is drained after
 * each read as h2_step would send it, and the session is freed at the end.
 * One input in eight finds the worker draining (graceful stop): the
 * session opens with GOAWAY NO_ERROR.
 *
 * Asserted on the bytes the server produces (parsed here independently of
 * h2.c, HPACK decoded with nghttp2's inflater):
 *   - they are whole HTTP/2 frames: 9-byte headers whose lengths add up
 *     exactly whenever nothing more is ready; the first is SETTINGS;
 *   - each frame is one a server sends, no longer than 16384 bytes (the
 *     size every peer accepts), on the right kind of stream, with the
 *     length its type requires; nothing follows a GOAWAY with an error;
 *   - a response's header block decodes, starts with a 3-digit :status and
 *     carries no connection-specific field; its DATA never exceeds the
 *     content-length it announced, matches it when END_STREAM ends the
 *     DATA, and nothing follows END_STREAM on that stream; a DATA frame
 *     that does not end its stream holds at least H2_MIN_DATA bytes;
 *   - after h2_free every pooled buffer (stream objects, request, write
 *     and head buffers) is back in its pool and every open-file cache
 *     entry is released (ASan/LSan see the rest).
 * A failed property aborts (libFuzzer reports it with the input). */
#include <fcntl.h>
#include <nghttp2/nghttp2.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tlserve/config.h"
#include "tlserve/conn.h"
#include "tlserve/fcache.h"
#include "tlserve/file.h"
#include "tlserve/h2.h"
#include "tlserve/log.h"
#include "tlserve/site.h"
#include "tlserve/worker.h"

#define CHECK(x) ((x) ? (void)0 : fail(__LINE__, #x))

static void
fail(int line, const char *what)
{
	fprintf(stderr, "fuzz_h2.c:%d: property failed: %s\n", line, what);
	abort();
}

/* FUZZ_H2_TRACE=1 in the environment: print each frame the server sends
 * and each response field (to read what an input does). */
static bool trace;

static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/* ------------------------------------------------------------ the world */

static struct server srv;
static struct worker w;
static struct gen *gen;
static struct endpoint *ep;  /* gen->eps: gen_unref frees it */
static char root[64];

/* What make_root created, removed at exit (deepest first). */
static const char *made[16];
static size_t nmade;

static void
remove_root(void)
{
	char path[256];

	while (nmade > 0) {
		snprintf(path, sizeof(path), "%s/%s", root, made[--nmade]);
		if (unlink(path) != 0)
			rmdir(path);
	}
	rmdir(root);
}

static void
put_file(const char *rel, const void *data, size_t n)
{
	char path[256];
	int fd;

	made[nmade++] = rel;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, data, n) != (ssize_t)n)
		fail(__LINE__, "cannot write the document root");
	close(fd);
}

/* A document root with what the handler distinguishes: an index, small and
 * large files, a precompressed sidecar, a directory with an index and one
 * without (a listing), a dotfile. */
static void
make_root(void)
{
	static char big[100 * 1024];
	static const char gz[] = "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\x03\x00\x00\x00\x00\x00"
	                         "\x00\x00\x00\x00";
	char path[256];

	snprintf(root, sizeof(root), "/tmp/fuzz-h2-XXXXXX");
	if (mkdtemp(root) == NULL)
		fail(__LINE__, "mkdtemp");
	atexit(remove_root);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	put_file("index.html", "<!DOCTYPE html><title>t</title>\n", 32);
	put_file("a.txt", "hello, world\n", 13);
	put_file("big.bin", big, sizeof(big));
	put_file("style.css", "body { color: black }\n", 22);
	put_file("style.css.gz", gz, sizeof(gz) - 1);
	put_file("empty.txt", "", 0);
	put_file(".secret", "no\n", 3);
	snprintf(path, sizeof(path), "%s/sub", root);
	mkdir(path, 0755);
	made[nmade++] = "sub";
	put_file("sub/index.html", "<p>sub</p>\n", 11);
	snprintf(path, sizeof(path), "%s/list", root);
	mkdir(path, 0755);
	made[nmade++] = "list";
	put_file("list/one.txt", "1\n", 2);
	put_file("list/two.html", "<p>2</p>\n", 9);
	put_file("list/.hidden", "h\n", 2);
}

/* The worker and the generation as main and worker_init make them, with
 * no listening socket, no TLS context and the logs off. */
static void
setup(void)
{
	char yaml[1024];
	struct config *cfg = NULL;
	struct config_errors errs = {0};
	int n;

	make_root();
	n = snprintf(yaml, sizeof(yaml),
	             "log: {level: debug}\n"
	             "limits: {max_request_head: 16k, max_headers: 100}\n"
	             "tls: {certificate: /nonexistent/server.crt, key: /nonexistent/server.key}\n"
	             "listeners:\n"
	             "  - name: fuzz\n"
	             "    port: 0\n"
	             "    mode: files\n"
	             "    root: %s\n"
	             "    listing: true\n",
	             root);
	if (config_load_string(yaml, (size_t)n, "fuzz.yaml", "/", &cfg, &errs) != 0) {
		fprintf(stderr, "config: %s\n", errs.n ? errs.v[0].msg : "?");
		abort();
	}
	config_errors_free(&errs);
	gen = calloc(1, sizeof(*gen));
	if (gen == NULL)
		abort();
	atomic_init(&gen->refs, 1);
	gen->cfg = cfg;
	ep = calloc(1, sizeof(*ep));
	if (ep == NULL)
		abort();
	gen->eps = ep;
	gen->neps = 1;
	ep->gen = gen;
	ep->cfg = &cfg->listeners[0];
	ep->tls = NULL;
	if (site_open_all(ep, true, &errs) != 0) {
		fprintf(stderr, "root: %s\n", errs.n ? errs.v[0].msg : "?");
		abort();
	}
	config_errors_free(&errs);

	srv.elog.fd = -1;  /* every message is formatted up to the level check, none written */
	srv.elog.level = CONFIG_LOG_DEBUG;
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
	if (loop_init(&w.loop) != 0 || loop_timer_reserve(&w.loop, 4) != 0 ||
	    fcache_init(&w.fcache) != 0)
		abort();
	w.nhdrs = cfg->limits.max_headers;
	w.hdrs = calloc(w.nhdrs, sizeof(*w.hdrs));
	w.alog = calloc(1, sizeof(*w.alog));
	w.metrics = calloc(1, sizeof(*w.metrics));  /* listener 0's counters */
	if (w.hdrs == NULL || w.alog == NULL || w.metrics == NULL)
		abort();
	w.alog->fd = -1;  /* xfer_end then asks nothing of TLS */
	log_clock_update(&w.clock, time(NULL));
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	trace = getenv("FUZZ_H2_TRACE") != NULL;
	setup();
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

/* ------------------------------------------------------------ the output */

#define NSTREAMS 512

struct ostream {
	uint32_t id;          /* 0: free slot */
	bool headers;         /* a final response head was seen */
	bool ended;           /* END_STREAM was seen */
	bool has_len;
	uint64_t clen, data;
};

/* The server's byte stream, parsed as it is drained. */
struct out {
	uint8_t hd[9];
	size_t hdn;           /* header bytes held */
	size_t left;          /* payload bytes of the current frame still to come */
	uint32_t len, sid;
	uint8_t type, flags;
	uint8_t pay[16];      /* the start of the payload (GOAWAY, RST_STREAM, ...) */
	size_t payn;
	uint64_t frames;
	bool term;            /* a GOAWAY with an error went out */
	/* the header block under way (HEADERS + CONTINUATION) */
	uint8_t *hb;
	size_t hbn, hbcap;
	uint32_t hb_sid;
	bool hb_end_stream;
	nghttp2_hd_inflater *inf;
	struct ostream st[NSTREAMS];
};

static struct ostream *
out_stream(struct out *o, uint32_t id)
{
	size_t i = (id * 2654435761u) % NSTREAMS;

	for (size_t k = 0; k < NSTREAMS; k++, i = (i + 1) % NSTREAMS) {
		if (o->st[i].id == id)
			return &o->st[i];
		if (o->st[i].id == 0) {
			o->st[i].id = id;
			return &o->st[i];
		}
	}
	return NULL;  /* full: this stream goes unchecked */
}

static bool
name_is(const nghttp2_nv *nv, const char *s)
{
	return nv->namelen == strlen(s) && memcmp(nv->name, s, nv->namelen) == 0;
}

/* A complete header block the server sent on o->hb_sid. */
static void
out_header_block(struct out *o)
{
	struct ostream *st = out_stream(o, o->hb_sid);
	const uint8_t *p = o->hb;
	size_t n = o->hbn, fields = 0;
	int status = 0;
	bool has_len = false;
	uint64_t clen = 0;

	for (;;) {
		nghttp2_nv nv;
		int flags = 0;
		ssize_t r = nghttp2_hd_inflate_hd2(o->inf, &nv, &flags, p, n, 1);

		CHECK(r >= 0);  /* the server's HPACK is valid */
		p += r;
		n -= (size_t)r;
		if (flags & NGHTTP2_HD_INFLATE_EMIT) {
			if (trace)
				fprintf(stderr, "    %.*s: %.*s\n", (int)nv.namelen, nv.name,
				        (int)nv.valuelen, nv.value);
			if (fields++ == 0) {
				CHECK(name_is(&nv, ":status"));
				CHECK(nv.valuelen == 3);
				for (size_t i = 0; i < 3; i++)
					CHECK(nv.value[i] >= '0' && nv.value[i] <= '9');
				status = (nv.value[0] - '0') * 100 + (nv.value[1] - '0') * 10 +
				         (nv.value[2] - '0');
				CHECK(status >= 200 && status <= 599);
			} else {
				CHECK(nv.namelen > 0 && nv.name[0] != ':');
				CHECK(!name_is(&nv, "connection") && !name_is(&nv, "keep-alive") &&
				      !name_is(&nv, "transfer-encoding"));
				for (size_t i = 0; i < nv.namelen; i++)
					CHECK(!(nv.name[i] >= 'A' && nv.name[i] <= 'Z'));
				if (name_is(&nv, "content-length")) {
					CHECK(!has_len && nv.valuelen > 0 && nv.valuelen < 20);
					has_len = true;
					for (size_t i = 0; i < nv.valuelen; i++) {
						CHECK(nv.value[i] >= '0' && nv.value[i] <= '9');
						clen = clen * 10 + (uint64_t)(nv.value[i] - '0');
					}
				}
			}
		}
		if (flags & NGHTTP2_HD_INFLATE_FINAL) {
			nghttp2_hd_inflate_end_headers(o->inf);
			break;
		}
		if (n == 0 && !(flags & NGHTTP2_HD_INFLATE_EMIT))
			break;
	}
	CHECK(n == 0 && fields > 0);
	o->hbn = 0;
	if (st == NULL)
		return;
	CHECK(!st->ended && !st->headers);  /* one response per stream, no trailers */
	st->headers = true;
	st->has_len = has_len && status != 304 && status != 204;
	st->clen = clen;
	if (o->hb_end_stream)
		st->ended = true;
}

/* The frame whose header is in o->hd begins. */
static void
out_frame_begin(struct out *o)
{
	const uint8_t *h = o->hd;

	o->len = (uint32_t)h[0] << 16 | (uint32_t)h[1] << 8 | h[2];
	o->type = h[3];
	o->flags = h[4];
	o->sid = ((uint32_t)h[5] << 24 | (uint32_t)h[6] << 16 | (uint32_t)h[7] << 8 | h[8]) &
	         0x7fffffffu;
	o->left = o->len;
	o->payn = 0;
	if (trace)
		fprintf(stderr, "  frame type %u flags 0x%02x stream %u length %u\n", o->type,
		        o->flags, o->sid, o->len);
	CHECK(!o->term);  /* nothing after GOAWAY with an error */
	CHECK(o->len <= 16384);
	if (o->frames++ == 0)
		CHECK(o->type == NGHTTP2_SETTINGS && !(o->flags & NGHTTP2_FLAG_ACK));
	/* a header block is never interleaved with other frames (RFC 9113 6.10) */
	CHECK((o->hbn > 0 || o->hb_sid != 0) == (o->type == NGHTTP2_CONTINUATION));
	switch (o->type) {
	case NGHTTP2_DATA:
		CHECK(o->sid % 2 == 1);
		CHECK((o->flags & ~NGHTTP2_FLAG_END_STREAM) == 0);  /* never padded */
		CHECK(o->len >= H2_MIN_DATA || (o->flags & NGHTTP2_FLAG_END_STREAM));
		break;
	case NGHTTP2_HEADERS:
		CHECK(o->sid % 2 == 1);
		CHECK((o->flags & ~(NGHTTP2_FLAG_END_STREAM | NGHTTP2_FLAG_END_HEADERS)) == 0);
		o->hb_sid = o->sid;
		o->hb_end_stream = o->flags & NGHTTP2_FLAG_END_STREAM;
		break;
	case NGHTTP2_CONTINUATION:
		CHECK(o->sid == o->hb_sid);
		CHECK((o->flags & ~NGHTTP2_FLAG_END_HEADERS) == 0);
		break;
	case NGHTTP2_RST_STREAM:
		CHECK(o->sid % 2 == 1 && o->len == 4 && o->flags == 0);
		break;
	case NGHTTP2_SETTINGS:
		CHECK(o->sid == 0 && o->len % 6 == 0);
		CHECK(!(o->flags & NGHTTP2_FLAG_ACK) || o->len == 0);
		break;
	case NGHTTP2_PING:
		CHECK(o->sid == 0 && o->len == 8);
		CHECK(o->flags == NGHTTP2_FLAG_ACK);  /* a server only answers PINGs */
		break;
	case NGHTTP2_GOAWAY:
		CHECK(o->sid == 0 && o->len >= 8);
		break;
	case NGHTTP2_WINDOW_UPDATE:
		CHECK((o->sid == 0 || o->sid % 2 == 1) && o->len == 4);
		break;
	default:
		CHECK(!"a frame type a server does not send");
	}
}

/* The current frame is complete (o->pay holds its first bytes). */
static void
out_frame_end(struct out *o)
{
	struct ostream *st;

	switch (o->type) {
	case NGHTTP2_DATA:
		st = out_stream(o, o->sid);
		if (st == NULL)
			break;
		CHECK(st->headers && !st->ended);
		st->data += o->len;
		if (st->has_len)
			CHECK(st->data <= st->clen);
		if (o->flags & NGHTTP2_FLAG_END_STREAM) {
			st->ended = true;
			if (st->has_len)
				CHECK(st->data == st->clen);
		}
		break;
	case NGHTTP2_HEADERS:
	case NGHTTP2_CONTINUATION:
		if (o->flags & NGHTTP2_FLAG_END_HEADERS) {
			out_header_block(o);
			o->hb_sid = 0;
		}
		break;
	case NGHTTP2_RST_STREAM:
		if (trace)
			fprintf(stderr, "    RST_STREAM error 0x%x\n",
			        (uint32_t)o->pay[0] << 24 | (uint32_t)o->pay[1] << 16 |
			                (uint32_t)o->pay[2] << 8 | o->pay[3]);
		st = out_stream(o, o->sid);
		if (st != NULL)
			st->ended = true;  /* a reset after END_STREAM is allowed (RFC 9113 8.1) */
		break;
	case NGHTTP2_GOAWAY: {
		uint32_t code = (uint32_t)o->pay[4] << 24 | (uint32_t)o->pay[5] << 16 |
		                (uint32_t)o->pay[6] << 8 | o->pay[7];

		if (trace)
			fprintf(stderr, "    GOAWAY error 0x%x\n", code);
		if (code != NGHTTP2_NO_ERROR)
			o->term = true;
		break;
	}
	default:
		break;
	}
}

static void
out_bytes(struct out *o, const uint8_t *p, size_t n)
{
	while (n > 0) {
		size_t k;

		if (o->hdn < 9) {
			k = 9 - o->hdn < n ? 9 - o->hdn : n;
			memcpy(o->hd + o->hdn, p, k);
			o->hdn += k;
			p += k;
			n -= k;
			if (o->hdn == 9)
				out_frame_begin(o);
			else
				continue;
		} else {
			k = o->left < n ? o->left : n;
			if (o->payn < sizeof(o->pay)) {
				size_t c = sizeof(o->pay) - o->payn < k ? sizeof(o->pay) - o->payn : k;

				memcpy(o->pay + o->payn, p, c);
				o->payn += c;
			}
			if (o->type == NGHTTP2_HEADERS || o->type == NGHTTP2_CONTINUATION) {
				if (o->hbn + k > o->hbcap) {
					o->hbcap = (o->hbn + k) * 2;
					o->hb = realloc(o->hb, o->hbcap);
					if (o->hb == NULL)
						abort();
				}
				memcpy(o->hb + o->hbn, p, k);
				o->hbn += k;
			}
			o->left -= k;
			p += k;
			n -= k;
		}
		if (o->left == 0) {
			out_frame_end(o);
			o->hdn = 0;
		}
	}
}

/* ------------------------------------------------------------ the session */

/* Serialise and drain until nothing more is ready, as h2_flush would with
 * a peer that reads everything. Bounded: a session that never stops
 * producing is a bug. */
static void
drain(struct conn *c, struct out *o)
{
	for (int i = 0;; i++) {
		size_t n;

		CHECK(i < 100000);
		c->woff = c->wlen = 0;
		n = h2_produce(c);
		if (n == 0)
			break;
		CHECK(n <= CONN_WBUF_SIZE);
		out_bytes(o, (const uint8_t *)c->wbuf, n);
	}
	conn_release_wbuf(c);
	/* nothing more to send: the output ends on a frame boundary */
	CHECK(o->hdn == 0 && o->left == 0);
}

/* Feed n bytes as reads of at most 16 KiB (h2_step's read buffer), each
 * followed by the writes it makes ready. false once the session is over. */
static bool
feed(struct conn *c, struct out *o, const uint8_t *p, size_t n)
{
	do {
		size_t k = n < 16384 ? n : 16384;

		h2_feed(c, p, k);
		drain(c, o);
		if (h2_done(c))
			return false;
		p += k;
		n -= k;
	} while (n > 0);
	return true;
}

static uint64_t
fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3u;
	return h;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t steps_ms[4] = {0, 1, 150, 1500};
	struct conn *c = calloc(1, sizeof(*c));
	struct out *o = calloc(1, sizeof(*o));
	uint64_t h = fnv1a(data, size);
	size_t cuts[4], ncuts = h % 4, at = 0;
	bool open;

	if (c == NULL || o == NULL || nghttp2_hd_inflate_new(&o->inf) != 0)
		abort();
	/* reads end at input-derived points (sorted), the clock moving on by
	 * an input-derived step between them */
	for (size_t i = 0; i < ncuts; i++)
		cuts[i] = size ? (size_t)((h >> (8 + 12 * i)) % (size + 1)) : 0;
	for (size_t i = 1; i < ncuts; i++)
		for (size_t j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
			size_t t = cuts[j];

			cuts[j] = cuts[j - 1];
			cuts[j - 1] = t;
		}
	w.loop.now_ms = 1000000;
	/* one input in eight meets a server that is stopping: GOAWAY first,
	 * the streams it still accepts served */
	w.draining = ((h >> 4) & 7) == 0;

	c->kind = WORKER_EV_CONN;
	c->state = CONN_READING;
	c->fd = -1;
	c->w = &w;
	c->ep = ep;
	c->tls = NULL;
	c->x.file_fd = -1;
	loop_timer_init(&c->timer);
	snprintf(c->client, sizeof(c->client), "192.0.2.1");
	gen_ref(gen);

	CHECK(h2_open(c) == 0);
	drain(c, o);
	open = feed(c, o, (const uint8_t *)preface, sizeof(preface) - 1);
	for (size_t i = 0; open && i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : size;

		if (end > at)
			open = feed(c, o, data + at, end - at);
		at = end > at ? end : at;
		w.loop.now_ms += steps_ms[(h >> (56 + 2 * i)) & 3];
	}
	/* the close, as conn_close does it */
	loop_timer_cancel(&w.loop, &c->timer);
	conn_release_wbuf(c);
	h2_free(c);
	CHECK(c->h2 == NULL);
	gen_unref(gen);

	CHECK(pool_out(&w.spool) == 0);
	CHECK(pool_out(&w.rpool) == 0);
	CHECK(pool_out(&w.wpool) == 0);
	CHECK(pool_out(&w.h2pool) == 0);
	for (size_t i = 0; i < FCACHE_SLOTS; i++)
		CHECK(w.fcache.slots[i].site == NULL || w.fcache.slots[i].refs == 0);
	/* every input starts from a cold cache: runs do not depend on each other */
	fcache_flush(&w.fcache);

	nghttp2_hd_inflate_del(o->inf);
	free(o->hb);
	free(o);
	free(c);
	return 0;
}
