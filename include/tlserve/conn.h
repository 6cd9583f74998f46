/* conn: one client connection as an explicit state machine.
 *   [PROXY ->] HANDSHAKE -> READING <-> WRITING -> SHUTDOWN -> LINGER -> CLOSED
 * conn_on_event is the loop's only way in; each state's step returns what
 * happens next, and only conn_io_next maps TLS_WANT_*, EOF and errors. */
#ifndef TLSERVE_CONN_H
#define TLSERVE_CONN_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "tlserve/http.h"
#include "tlserve/loop.h"
#include "tlserve/tls.h"
#include "tlserve/worker.h"

enum conn_state {
	CONN_PROXY,      /* reading the PROXY protocol header (proxy_protocol: v1|v2|any) */
	CONN_HANDSHAKE,
	CONN_READING,
	CONN_WRITING,
	CONN_SHUTDOWN,   /* sending close_notify */
	CONN_LINGER,     /* our side closed; draining what the peer still sends */
	CONN_CLOSED
};

enum conn_next {
	CONN_AGAIN_IN,   /* wait until readable */
	CONN_AGAIN_OUT,  /* wait until writable */
	CONN_CONTINUE,   /* run the (new) state now */
	CONN_CLOSE       /* close without further I/O */
};

/* Sizes of the pooled buffers. Writes of WBUF_SIZE leave OpenSSL to cut full
 * 16 KiB records; the first record carries the headers and body bytes. */
#define CONN_WBUF_SIZE (64 * 1024)
#define CONN_ECHO_BUF (16 * 1024)
#define CONN_SMALL_BUF 4096

/* The most header fields a response has: the server's own and a site's
 * headers: (at most 64). */
#define HTTPD_MAX_FIELDS (16 + 64)

/* One request and its response: an HTTP/1.x connection has one, each
 * HTTP/2 stream its own. The files handler fills it; the connection (h1)
 * or the stream (h2) sends it. */
struct xfer {
	int status;                  /* 0: none in flight */
	int file_fd;                 /* body source, -1 when none */
	struct fcache_entry *fce;    /* the open-file cache entry that owns file_fd, or NULL */
	char *mem;                   /* or a body in memory (listings), malloc'd */
	const char *small;           /* or a body in memory: a short one kept by the stream
	                              * (h2 error pages), or owned (a metrics page) */
	char *owned;                 /* malloc'd memory small points into, or NULL */
	off_t file_off, file_end;    /* the byte span of the body still to send */
	size_t hdr_len;              /* header bytes at the start of the response (h1) */
	uint64_t sent;               /* bytes of the response written so far */
	uint64_t start_us;           /* loop time (microseconds) at its head */
	struct http_span req_line, referer, user_agent;
	struct http_span host;       /* the Host (or :authority) sent, for the log */
	const struct site *site;     /* the site answering (files), or NULL */
	struct h2_stream *h2;        /* the HTTP/2 stream, NULL for HTTP/1.x */
};

struct h2;
struct h2_stream;

struct conn {
	enum worker_ev_kind kind;    /* WORKER_EV_CONN, for the epoll tag */
	enum conn_state state;
	int fd;                      /* the connected socket */
	struct worker *w;
	struct endpoint *ep;         /* its listener, in the generation the connection holds a reference on */
	const struct site *sni_site; /* the site the TLS server name chose; NULL without one */
	struct tls_conn *tls;
	struct loop_timer timer;
	struct conn *prev, *next;    /* worker's active list, or free list via next */
	struct conn *ready_next;
	bool in_ready;
	bool pollout;                /* EPOLLOUT is registered (after a blocked write) */
	struct conn *warm_prev, *warm_next;  /* worker's warm list (see conn_idle) */
	bool warm;
	uint64_t warm_since;

	/* input */
	char *rbuf;                  /* pooled while bytes are buffered */
	size_t rcap;                 /* its size: the small or the large pool's */
	size_t rlen, rlast;          /* bytes held; parser's last_len */
	uint64_t head_deadline;      /* header_timeout for the head under way; 0 = none */

	/* output */
	char *wbuf;                  /* pooled while a response is under way */
	size_t wlen, woff;

	/* the request in flight (for the response and the access log) */
	struct xfer x;               /* HTTP/1.x and echo */
	struct h2 *h2;               /* the HTTP/2 session, or NULL */
	size_t head_len;             /* bytes of rbuf the request head used */
	bool keepalive;
	bool close_after;            /* close when the response is out */
	bool counted;                /* holds a slot in server.conns */
	uint32_t requests;           /* responses completed on this connection */
	bool no_ktls;                /* kernel TLS was not set up on this connection */
	uint64_t progress_ms;        /* when the peer last took bytes (write or ack) */
	uint64_t acked;              /* TCP bytes the peer had acknowledged at the last sample */
	uint64_t ack_mark_ms;        /* while a write is blocked: when acked was sampled; else 0 */
	bool timer_failed;           /* the timer could not be armed: close after this step */
	uint64_t rate_mark_ms;       /* min_send_rate window start (0 = off) */
	uint64_t rate_mark_bytes;    /* acknowledged bytes at the window start */
	char client[64];
};

/* The configuration the connection started with (reloads do not change it). */
static inline const struct config *
conn_config(const struct conn *c)
{
	return c->ep->gen->cfg;
}

/* Take an accepted descriptor: the slot is initialised and the handshake
 * started. Returns 0, or -1 when the connection was refused and closed. */
int  conn_open(struct worker *, struct endpoint *, int fd, const struct sockaddr *, socklen_t);
void conn_on_event(struct conn *, uint32_t events);
void conn_on_timeout(struct conn *);
/* Run the connection's next step after the current batch of events (the
 * worker's ready list): for work started from outside its own events. */
void conn_schedule(struct conn *);
/* Begin a graceful stop: idle connections close now, busy ones after their response. */
void conn_drain(struct conn *);
/* Close at once (shutdown deadline). */
void conn_abort(struct conn *);

/* What a TLS result came from, for conn_io_next. */
enum conn_op { CONN_OP_HANDSHAKE, CONN_OP_READ, CONN_OP_WRITE, CONN_OP_SHUTDOWN };

/* Helpers shared by the handlers (echo.c, httpd.c). */
/* The one place that maps a TLS result (<= 0) to the next step: TLS_WANT_*
 * wait, a peer's close on a read shuts down, anything else closes (logged
 * at info, as the peer's business). A write that returned 0 is an error. */
enum conn_next conn_io_next(struct conn *, ssize_t r, enum conn_op op);
void conn_set_timer(struct conn *, uint64_t ms_from_now);
/* Sending: start the send timer (idle_timeout without progress, and the
 * min_send_rate windows); note progress after each write. */
void conn_send_begin(struct conn *);
void conn_send_progress(struct conn *);
/* The one way bytes leave a connection (HTTP/1.1 responses, HTTP/2 frames,
 * echo): through TLS, progress noted for the send timer. The bytes taken
 * (> 0), or a TLS result (<= 0) for conn_io_next. flags: tls_write's, and
 * CONN_WRITE_QUIET: these bytes are no progress of a response. */
#define CONN_WRITE_QUIET 0x100
ssize_t conn_write(struct conn *, const void *buf, size_t len, int flags);
/* The same for a file span with kernel TLS: -1 with ENOTSUP without it. */
ssize_t conn_sendfile(struct conn *, int fd, off_t off, size_t len);
void conn_release_rbuf(struct conn *);
void conn_release_wbuf(struct conn *);
/* Nothing to read and nothing to send: the request buffer goes back to the
 * pool. The TLS record buffers go too, at once for a connection that has
 * not served yet, else after CONN_WARM_MS idle (conn_cool), so the next
 * request of a busy keep-alive client costs no allocation. */
void conn_idle(struct conn *);
#define CONN_WARM_MS 50
/* Give back the record buffers of the connections idle for CONN_WARM_MS
 * (the worker's warm list is oldest first). */
void conn_cool(struct worker *);
int  conn_take_rbuf(struct conn *, bool large);
/* Move the buffered bytes to a large buffer; -1 when already large. */
int  conn_grow_rbuf(struct conn *);
int  conn_take_wbuf(struct conn *);

/* Handlers: the READING and WRITING steps of each mode. */
enum conn_next echo_read(struct conn *);
enum conn_next echo_write(struct conn *);
enum conn_next httpd_read(struct conn *);
enum conn_next httpd_write(struct conn *);
/* header_timeout expired with part of a head received: best-effort 408. */
void httpd_timeout_408(struct conn *);
/* The request (or echo session) in flight is over, finished or not: release
 * its body source and write its access-log entry. No-op when none is. */
void conn_end_request(struct conn *);
void xfer_end(struct conn *, struct xfer *);
/* Read the next len bytes of x's body (file, listing or short page) into
 * dst. len, or -1 (logged) when the source ended early. */
ssize_t xfer_read_body(struct conn *, struct xfer *, char *dst, size_t len);
/* Answer a request decoded from HTTP/2 (h2.c) as HTTP/1.1 requests are
 * answered, its headers indexed in ix; status: a verdict already reached
 * (431), or 0. 0, or -1: reset the stream. */
int httpd_serve_h2(struct conn *, struct xfer *, const struct http_request *,
                   const struct http_index *, int status);

#endif
