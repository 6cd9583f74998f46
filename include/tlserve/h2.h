/* h2: HTTP/2 on a files connection (RFC 9113), framing, HPACK and flow
 * control by nghttp2. Each stream's request becomes the same request value
 * HTTP/1.1 parses and is answered by the same files handler (httpd.c); the
 * body streams from its source in DATA frames written straight into the
 * connection's write buffer. Every known flood has a per-connection budget:
 * over it, GOAWAY ENHANCE_YOUR_CALM and close. */
#ifndef TLSERVE_H2_H
#define TLSERVE_H2_H
#include <stdbool.h>
#include <stddef.h>

#include "tlserve/conn.h"
#include "tlserve/http.h"

#define H2_MAX_STREAMS 128   /* SETTINGS_MAX_CONCURRENT_STREAMS */
#define H2_MIN_DATA 1024     /* no DATA frame smaller, unless it ends the body */

/* Free the blocks a worker kept for nghttp2 (after its last session). */
void h2_mem_fini(struct worker_blocks *);

/* Bytes of a stream object (the worker's pool of them). */
size_t h2_stream_size(void);

/* The handshake chose "h2": make the session and queue our SETTINGS. The
 * client's preface is due within handshake_timeout. 0, or -1 (close). */
int h2_open(struct conn *);
/* With the connection: every stream still open ends (and is logged). */
void h2_free(struct conn *);
/* The READING/WRITING step of an HTTP/2 connection: flush, then read. */
enum conn_next h2_step(struct conn *);
/* The connection's timer fired while it waits for the peer (READING). */
void h2_on_timeout(struct conn *);
/* Graceful stop or reload: GOAWAY, finish the streams in flight, close.
 * The GOAWAY leaves in the connection's next step (conn_schedule). */
void h2_drain(struct conn *);

/* The session without sockets (h2_step's parts; the fuzz harness drives
 * them): feed bytes read from the peer; serialise what is ready into the
 * connection's write buffer (returns c->wlen; the caller empties it); is
 * the session over (a flood, an error, or GOAWAY with nothing left)? */
void h2_feed(struct conn *, const void *in, size_t n);
size_t h2_produce(struct conn *);
bool h2_done(const struct conn *);

/* For the files handler. */
/* Where a response head may be built during this stream's dispatch. */
char *h2_head_buffer(struct h2_stream *, size_t *cap);
/* Keep a short body (at most 256 bytes) with the stream; returns it. */
const char *h2_stream_keep(struct h2_stream *, const char *body, size_t n);
/* Send the response whose status is x->status and fields f (names: string
 * constants in lower case); with body, x's source follows in DATA frames.
 * 0 or -1. */
int h2_submit(struct conn *, struct xfer *x, const struct http_header *f, size_t nf, bool body);

#endif
