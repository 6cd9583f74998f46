/* conn: the connection state machine (quark's shape, nginx's TLS rules).
 * Descriptors are registered edge-triggered for both directions once, so a
 * state change costs no epoll_ctl: a step runs until TLS says "would block",
 * and the next edge resumes it. */
#include "tlserve/conn.h"
#include "tlserve/match.h"
#include "tlserve/site.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <linux/tcp.h>  /* struct tcp_info with tcpi_bytes_acked */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tlserve/fcache.h"
#include "tlserve/h2.h"
#include "tlserve/proxy.h"
#include "tlserve/tls.h"

/* Steps one connection may run per wake-up before it yields to the others. */
#define CONN_BUDGET 16
/* How long a closed connection's leftover input is drained before close(),
 * so that its unread bytes do not make the kernel reset what we sent. */
#define CONN_LINGER_MS 2000
/* A connection opened just before a stop may carry a request already on its
 * way (a load balancer forwards as soon as it connects): it gets this long
 * to send it, and its answer, before it is closed. */
#define CONN_DRAIN_GRACE_MS 1000

static const struct config_limits *
conn_limits(const struct conn *c)
{
	return &conn_config(c)->limits;
}

/* A connection's one timer. Every open connection has its place in the
 * heap reserved (conn_open), so arming cannot fail; should it all the same,
 * the connection is closed at the end of its step rather than left without
 * a deadline. */
static void
conn_set_deadline(struct conn *c, uint64_t deadline)
{
	if (loop_timer_set(&c->w->loop, &c->timer, deadline) != 0)
		c->timer_failed = true;
}

void
conn_set_timer(struct conn *c, uint64_t ms_from_now)
{
	conn_set_deadline(c, c->w->loop.now_ms + ms_from_now);
}

/* min_send_rate is judged over windows of this length */
#define CONN_RATE_WINDOW_MS 10000

/* Bytes the peer has acknowledged on this connection (TCP_INFO), or 0. */
static uint64_t
conn_acked(const struct conn *c)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
		return 0;
	return ti.tcpi_bytes_acked;
}

void
conn_send_begin(struct conn *c)
{
	c->progress_ms = c->w->loop.now_ms;
	c->rate_mark_ms = 0;
	if (conn_limits(c)->min_send_rate) {
		c->rate_mark_ms = c->w->loop.now_ms;
		c->rate_mark_bytes = c->acked = conn_acked(c);
	}
	conn_send_progress(c);
}

/* While a write is blocked, what the peer acknowledges is sampled this
 * many times per idle_timeout (see conn_send_check). */
#define CONN_ACK_SAMPLES 4

/* Arm the send timer: idle_timeout after the last progress, the next
 * acknowledgement sample while blocked, or the end of the min_send_rate
 * window, whichever comes first. */
static void
conn_send_arm(struct conn *c)
{
	const struct config_limits *lim = conn_limits(c);
	uint64_t deadline = c->progress_ms + lim->idle_timeout_ms;

	if (c->ack_mark_ms && c->ack_mark_ms + lim->idle_timeout_ms / CONN_ACK_SAMPLES < deadline)
		deadline = c->ack_mark_ms + lim->idle_timeout_ms / CONN_ACK_SAMPLES;
	if (c->rate_mark_ms && c->rate_mark_ms + CONN_RATE_WINDOW_MS < deadline)
		deadline = c->rate_mark_ms + CONN_RATE_WINDOW_MS;
	conn_set_deadline(c, deadline);
}

/* A write found the socket full. What the peer acknowledged so far is the
 * mark later samples are compared with: acknowledgements of bytes that were
 * already on their way do not count as the peer reading. */
static void
conn_send_blocked(struct conn *c)
{
	if (c->ack_mark_ms != 0)
		return;  /* still the same stall */
	c->acked = conn_acked(c);
	c->ack_mark_ms = c->w->loop.now_ms;
	conn_send_arm(c);
}

void
conn_send_progress(struct conn *c)
{
	c->progress_ms = c->w->loop.now_ms;
	c->ack_mark_ms = 0;  /* the stall, if any, is over */
	conn_send_arm(c);
}

/* The send timer fired. Our writes can sit in the kernel's buffers for a
 * long time while a slow client reads, so progress is what the peer
 * acknowledges, not what we wrote: a slow but steady reader keeps its
 * connection; one that stalls for idle_timeout, or takes less than
 * min_send_rate over a window, loses it. While blocked, acknowledgements
 * are sampled every idle_timeout / CONN_ACK_SAMPLES; bytes acknowledged
 * between two samples count as progress at the earlier one, so a peer that
 * stopped reading is cut idle_timeout after it stopped (to one sample),
 * not idle_timeout after the acknowledgements of what was in flight.
 * Returns true when re-armed. */
static bool
conn_send_check(struct conn *c)
{
	const struct config_limits *lim = conn_limits(c);
	uint64_t now = c->w->loop.now_ms, acked = conn_acked(c);

	/* HTTP/2 that is not blocked sends nothing because the client keeps its
	 * windows shut: what it acknowledges then (PING answers) is no progress */
	if (acked > c->acked && (c->ack_mark_ms != 0 || c->h2 == NULL)) {
		c->acked = acked;
		if (c->ack_mark_ms > c->progress_ms)
			c->progress_ms = c->ack_mark_ms;
		else if (c->ack_mark_ms == 0)
			c->progress_ms = now;
	}
	if (c->ack_mark_ms != 0)
		c->ack_mark_ms = now;
	if (c->rate_mark_ms && now - c->rate_mark_ms >= CONN_RATE_WINDOW_MS) {
		if ((acked - c->rate_mark_bytes) * 1000 / (now - c->rate_mark_ms) < lim->min_send_rate) {
			log_msg(&c->w->srv->elog, CONFIG_LOG_INFO,
			        "%s %s: reading slower than min_send_rate (%llu bytes/s); closed",
			        c->ep->cfg->name, c->client, (unsigned long long)lim->min_send_rate);
			return false;
		}
		c->rate_mark_ms = now;
		c->rate_mark_bytes = acked;
	}
	if (now - c->progress_ms >= lim->idle_timeout_ms)
		return false;
	conn_send_arm(c);
	return true;
}

ssize_t
conn_write(struct conn *c, const void *buf, size_t len, int flags)
{
	ssize_t n = tls_write(c->tls, buf, len, flags & ~CONN_WRITE_QUIET);

	if (n > 0 && !(flags & CONN_WRITE_QUIET))
		conn_send_progress(c);
	return n;
}

ssize_t
conn_sendfile(struct conn *c, int fd, off_t off, size_t len)
{
	ssize_t n = tls_sendfile(c->tls, fd, off, len);

	if (n > 0)
		conn_send_progress(c);
	return n;
}

/* Request heads start in a small buffer (most fit in a few hundred bytes,
 * and a slowloris client then holds 4 KiB, not max_request_head); echo
 * sessions and long heads use the large one. */
int
conn_take_rbuf(struct conn *c, bool large)
{
	struct worker_pool *pool = large ? &c->w->rpool : &c->w->spool;

	if (c->rbuf != NULL)
		return 0;
	c->rbuf = worker_buf_get(pool);
	c->rcap = c->rbuf ? pool->size : 0;
	return c->rbuf ? 0 : -1;
}

int
conn_grow_rbuf(struct conn *c)
{
	char *big;

	if (c->rcap >= c->w->rpool.size)
		return -1;
	big = worker_buf_get(&c->w->rpool);
	if (big == NULL)
		return -1;
	memcpy(big, c->rbuf, c->rlen);
	worker_buf_put(&c->w->spool, c->rbuf);
	c->rbuf = big;
	c->rcap = c->w->rpool.size;
	return 0;
}

void
conn_release_rbuf(struct conn *c)
{
	if (c->rbuf != NULL)
		worker_buf_put(c->rcap == c->w->spool.size ? &c->w->spool : &c->w->rpool, c->rbuf);
	c->rbuf = NULL;
	c->rcap = 0;
	c->rlen = c->rlast = 0;
}

int
conn_take_wbuf(struct conn *c)
{
	if (c->wbuf == NULL)
		c->wbuf = worker_buf_get(&c->w->wpool);
	return c->wbuf ? 0 : -1;
}

static void
conn_warm_unlink(struct conn *c)
{
	struct worker *w = c->w;

	if (!c->warm)
		return;
	if (c->warm_prev)
		c->warm_prev->warm_next = c->warm_next;
	else
		w->warm_head = c->warm_next;
	if (c->warm_next)
		c->warm_next->warm_prev = c->warm_prev;
	else
		w->warm_tail = c->warm_prev;
	c->warm_prev = c->warm_next = NULL;
	c->warm = false;
}

void
conn_idle(struct conn *c)
{
	struct worker *w = c->w;

	conn_release_rbuf(c);
	if (c->requests == 0 && c->x.sent == 0) {
		tls_idle(c->tls);  /* fresh from the handshake: nothing says more comes soon */
		return;
	}
	conn_warm_unlink(c);
	c->warm = true;
	c->warm_since = w->loop.now_ms;
	c->warm_prev = w->warm_tail;
	if (w->warm_tail)
		w->warm_tail->warm_next = c;
	else
		w->warm_head = c;
	w->warm_tail = c;
}

void
conn_cool(struct worker *w)
{
	struct conn *c;

	while ((c = w->warm_head) != NULL && w->loop.now_ms - c->warm_since >= CONN_WARM_MS) {
		conn_warm_unlink(c);
		if (c->state == CONN_READING && c->rbuf == NULL)
			tls_idle(c->tls);  /* still idle (a busy one joins again when idle) */
	}
}

void
conn_release_wbuf(struct conn *c)
{
	if (c->wbuf != NULL)
		worker_buf_put(&c->w->wpool, c->wbuf);
	c->wbuf = NULL;
	c->wlen = c->woff = 0;
}

static void
conn_format_client(struct conn *c, const struct sockaddr *sa)
{
	if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6) {
		snprintf(c->client, sizeof(c->client), "-");
		return;
	}
	const void *addr = sa->sa_family == AF_INET6
	                           ? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
	                           : (const void *)&((const struct sockaddr_in *)sa)->sin_addr;

	if (inet_ntop(sa->sa_family, addr, c->client, sizeof(c->client)) == NULL)
		snprintf(c->client, sizeof(c->client), "-");
	/* IPv4-mapped IPv6 addresses are logged as IPv4 */
	if (strncmp(c->client, "::ffff:", 7) == 0 && strchr(c->client + 7, '.'))
		memmove(c->client, c->client + 7, strlen(c->client + 7) + 1);
}

/* Admit a connection under the server-wide max_connections. */
static int
conn_admit(struct worker *w, struct endpoint *ep, int fd)
{
	struct server *srv = w->srv;
	unsigned prev = atomic_fetch_add_explicit(&srv->conns, 1, memory_order_relaxed);

	if (prev < ep->gen->cfg->limits.max_connections)
		return 0;
	atomic_fetch_sub_explicit(&srv->conns, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&srv->rejected, 1, memory_order_relaxed);
	metrics_add(&w->metrics[ep->index].refused, 1);
	if (w->loop.now_ms - w->last_reject_log >= 1000) {
		w->last_reject_log = w->loop.now_ms;
		log_msg(&srv->elog, CONFIG_LOG_WARN,
		        "max_connections (%u) reached on %s: new connections closed (%lu so far)",
		        ep->gen->cfg->limits.max_connections, ep->cfg->name,
		        (unsigned long)atomic_load(&srv->rejected));
	}
	close(fd);
	return -1;
}

int
conn_open(struct worker *w, struct endpoint *ep, int fd, const struct sockaddr *sa, socklen_t len)
{
	/* EPOLLOUT joins at the first write that blocks (conn_want_pollout):
	 * registered now, a writable new socket would wake us once for nothing */
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET};
	struct conn *c;

	(void)len;
	if (conn_admit(w, ep, fd) != 0)
		return -1;
	c = worker_slot_get(w);
	/* a place in the timer heap for every open connection: arming never fails */
	if (c == NULL || loop_timer_reserve(&w->loop, w->nactive + 1) != 0) {
		if (c != NULL)
			worker_slot_put(w, c);
		goto fail;
	}
	memset(c, 0, sizeof(*c));
	c->kind = WORKER_EV_CONN;
	c->state = ep->cfg->proxy_protocol == CONFIG_PROXY_OFF ? CONN_HANDSHAKE : CONN_PROXY;
	c->fd = fd;
	c->w = w;
	c->ep = ep;
	c->x.file_fd = -1;
	c->counted = true;
	loop_timer_init(&c->timer);
	conn_format_client(c, sa);
	if ((ep->tls != NULL ? tls_accept(ep->tls, fd, &c->tls) : tls_accept_plain(fd, &c->tls)) != 0) {
		worker_slot_put(w, c);
		goto fail;
	}
	tls_conn_set_batch(c->tls, &w->tls_batch);
	ev.data.ptr = c;
	if (epoll_ctl(w->loop.epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		tls_conn_free(c->tls);
		worker_slot_put(w, c);
		goto fail;
	}
	gen_ref(ep->gen);
	metrics_add(&w->metrics[ep->index].accepted, 1);
	c->next = w->active;
	if (w->active)
		w->active->prev = c;
	w->active = c;
	w->nactive++;
	conn_set_timer(c, conn_limits(c)->handshake_timeout_ms);
	/* TCP_DEFER_ACCEPT means the ClientHello is usually here already */
	conn_on_event(c, EPOLLIN);
	return 0;
fail:
	atomic_fetch_sub_explicit(&w->srv->conns, 1, memory_order_relaxed);
	close(fd);
	return -1;
}

/* Release everything and return the slot. */
static void
conn_close(struct conn *c)
{
	struct worker *w = c->w;

	if (c->state == CONN_CLOSED)
		return;
	conn_end_request(c);
	if (c->in_ready)
		worker_unready(w, c);
	conn_warm_unlink(c);
	loop_timer_cancel(&w->loop, &c->timer);
	conn_release_rbuf(c);
	conn_release_wbuf(c);
	if (c->h2)
		h2_free(c);
	if (c->tls)
		tls_conn_free(c->tls);
	close(c->fd);  /* also removes it from epoll */
	if (c->prev)
		c->prev->next = c->next;
	else
		w->active = c->next;
	if (c->next)
		c->next->prev = c->prev;
	w->nactive--;
	if (c->counted)
		atomic_fetch_sub_explicit(&w->srv->conns, 1, memory_order_relaxed);
	/* released: a scrape that reads it (acquire) then sees the accept */
	atomic_store_explicit(&w->metrics[c->ep->index].closed,
	                      atomic_load_explicit(&w->metrics[c->ep->index].closed,
	                                           memory_order_relaxed) + 1,
	                      memory_order_release);
	gen_unref(c->ep->gen);
	c->state = CONN_CLOSED;
	c->fd = -1;
	c->tls = NULL;
	worker_slot_put(w, c);
}

static void conn_log_handshake_failure(struct conn *);

enum conn_next
conn_io_next(struct conn *c, ssize_t r, enum conn_op op)
{
	static const char *const what[] = {
		[CONN_OP_HANDSHAKE] = "handshake", [CONN_OP_READ] = "read",
		[CONN_OP_WRITE] = "write", [CONN_OP_SHUTDOWN] = "shutdown"};
	char buf[160];

	if (r == TLS_WANT_POLLIN)
		return CONN_AGAIN_IN;
	if (r == TLS_WANT_POLLOUT)
		return CONN_AGAIN_OUT;
	if (r == 0 && op == CONN_OP_READ) {
		c->state = CONN_SHUTDOWN;  /* the peer closed: ours follows */
		return CONN_CONTINUE;
	}
	if (op == CONN_OP_HANDSHAKE) {
		conn_log_handshake_failure(c);
		return CONN_CLOSE;
	}
	if (log_enabled(&c->w->srv->elog, CONFIG_LOG_INFO))
		log_msg(&c->w->srv->elog, CONFIG_LOG_INFO, "%s %s: %s failed: %s", c->ep->cfg->name,
		        c->client, what[op], tls_conn_error(c->tls, buf, sizeof(buf)));
	return CONN_CLOSE;
}

static const char conn_plain_http_reply[] =
	"HTTP/1.1 400 Bad Request\r\nServer: tlserve\r\nContent-Type: text/plain; charset=utf-8\r\n"
	"Content-Length: 49\r\nConnection: close\r\n\r\n"
	"This port speaks HTTPS: use https:// to reach it\n";

/* A first byte that is plainly not a TLS handshake record (0x16) is most
 * often HTTP sent to the TLS port: say so in the log, not "wrong version". */
static void
conn_log_handshake_failure(struct conn *c)
{
	char buf[160], peek[1];
	struct server *srv = c->w->srv;

	enum metrics_hs_fail why = tls_conn_verify_failed(c->tls) ? METRICS_HS_CERTIFICATE
	                                                          : METRICS_HS_PROTOCOL;
	int first = tls_conn_first_byte(c->tls);

	tls_conn_error(c->tls, buf, sizeof(buf));
	/* an HTTP method's first letter where a TLS record (0x16) belongs; the
	 * BIO kept it, since OpenSSL reads ahead and a peek finds nothing */
	if (strstr(buf, "http request") != NULL || strstr(buf, "https proxy request") != NULL ||
	    (first >= 'A' && first <= 'Z') ||
	    (first < 0 && recv(c->fd, peek, 1, MSG_PEEK | MSG_DONTWAIT) == 1 && peek[0] >= 'A' &&
	     peek[0] <= 'Z')) {
		why = METRICS_HS_PLAINTEXT;
		snprintf(buf, sizeof(buf), "plain HTTP sent to the TLS port");
		/* tell a browser or curl what went wrong, as nginx does (one try, no wait) */
		if (c->ep->cfg->mode == CONFIG_MODE_FILES)
			(void)!send(c->fd, conn_plain_http_reply, sizeof(conn_plain_http_reply) - 1,
			            MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	metrics_add(&c->w->metrics[c->ep->index].hs_failures[why], 1);
	if (log_enabled(&srv->elog, CONFIG_LOG_INFO))
		log_msg(&srv->elog, CONFIG_LOG_INFO, "%s %s: TLS handshake failed: %s",
		        c->ep->cfg->name, c->client, buf);
}

/* The PROXY header precedes the TLS handshake. It is peeked at, not read,
 * until complete, then exactly its bytes are consumed: what follows stays
 * in the socket for OpenSSL. Timed by handshake_timeout. */
/* The peer left (or the socket failed) before its PROXY header was in: a
 * handshake that failed, as it would without the header. */
static enum conn_next
conn_proxy_left(struct conn *c)
{
	if (c->ep->tls != NULL)
		metrics_add(&c->w->metrics[c->ep->index].hs_failures[METRICS_HS_PROTOCOL], 1);
	return CONN_CLOSE;
}

static enum conn_next
conn_do_proxy(struct conn *c)
{
	static const unsigned masks[] = {
		[CONFIG_PROXY_OFF] = 0, [CONFIG_PROXY_V1] = PROXY_V1, [CONFIG_PROXY_V2] = PROXY_V2,
		[CONFIG_PROXY_ANY] = PROXY_V1 | PROXY_V2};
	uint8_t buf[PROXY_MAX_HEADER];
	struct proxy_result pr;
	ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
	int r;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return CONN_AGAIN_IN;
	if (n <= 0)
		return conn_proxy_left(c);
	r = proxy_parse(buf, (size_t)n, masks[c->ep->cfg->proxy_protocol], &pr);
	if (r == -2 && (size_t)n < sizeof(buf))
		/* a peek sees the bytes again, never the FIN after them */
		return tls_conn_peer_closed(c->tls) ? conn_proxy_left(c) : CONN_AGAIN_IN;
	if (r <= 0) {
		if (c->ep->tls != NULL)
			metrics_add(&c->w->metrics[c->ep->index].hs_failures[METRICS_HS_PROXY_HEADER], 1);
		log_msg(&c->w->srv->elog, CONFIG_LOG_INFO,
		        "%s %s: no valid PROXY protocol header; connection refused", c->ep->cfg->name,
		        c->client);
		return CONN_CLOSE;
	}
	if (recv(c->fd, buf, (size_t)r, MSG_DONTWAIT) != r)
		return conn_proxy_left(c);
	if (!pr.local) {
		char was[sizeof(c->client)];

		memcpy(was, c->client, sizeof(was));
		conn_format_client(c, (const struct sockaddr *)&pr.src);
		log_msg(&c->w->srv->elog, CONFIG_LOG_DEBUG, "%s %s: PROXY v%d from %s",
		        c->ep->cfg->name, c->client, pr.version, was);
	}
	c->state = CONN_HANDSHAKE;
	return CONN_CONTINUE;
}

/* A TLS handshake done: by version and resumption. Plain listeners have none. */
static void
conn_count_handshake(struct conn *c)
{
	const char *v;

	if (c->ep->tls == NULL)
		return;
	v = tls_conn_version(c->tls);
	metrics_add(&c->w->metrics[c->ep->index]
	                     .handshakes[v != NULL && strcmp(v, "TLSv1.3") == 0][tls_conn_resumed(c->tls)],
	            1);
}

static enum conn_next
conn_do_handshake(struct conn *c)
{
	int r = tls_handshake(c->tls);

	if (r == 0) {
		/* a handshake is the longest step: timers set from here use a fresh clock */
		loop_update_time(&c->w->loop);
		conn_count_handshake(c);
		if (tls_conn_acme(c->tls)) {
			/* an ACME validation (RFC 8737): the certificate was the
			 * answer; nothing is served on this connection */
			c->state = CONN_SHUTDOWN;
			return CONN_CONTINUE;
		}
		if (c->ep->cfg->mode == CONFIG_MODE_ECHO) {
			/* an echo session is one access-log entry, written when it ends */
			c->x.status = 200;
			c->x.req_line = (struct http_span){"ECHO", 4};
			c->x.start_us = c->w->loop.now_us;
		}
		c->state = CONN_READING;
		conn_set_timer(c, c->w->draining ? CONN_DRAIN_GRACE_MS : conn_limits(c)->idle_timeout_ms);
		if (c->ep->nsites > 0) {
			/* the site the certificate was chosen for: a request for another gets 421 */
			const char *sni = tls_conn_servername(c->tls);

			c->sni_site = sni != NULL ? site_for_host(c->ep, sni, strlen(sni)) : NULL;
		}
		if (c->ep->cfg->mode == CONFIG_MODE_FILES && tls_conn_h2(c->tls) && h2_open(c) != 0)
			return CONN_CLOSE;
		return CONN_CONTINUE;
	}
	return conn_io_next(c, r, CONN_OP_HANDSHAKE);
}

/* close_notify, then half-close TCP and linger for the peer's remains. */
static enum conn_next
conn_do_shutdown(struct conn *c)
{
	int r = tls_close(c->tls);

	if (r != 0)
		return conn_io_next(c, r, CONN_OP_SHUTDOWN);
	shutdown(c->fd, SHUT_WR);
	conn_release_rbuf(c);
	conn_release_wbuf(c);
	c->state = CONN_LINGER;
	conn_set_timer(c, CONN_LINGER_MS);
	return CONN_CONTINUE;
}

static enum conn_next
conn_do_linger(struct conn *c)
{
	char sink[4096];

	if (tls_conn_drained(c->tls))
		return CONN_AGAIN_IN;  /* nothing came since the last read: see tls_conn_event */
	for (int i = 0; i < 64; i++) {
		ssize_t n = recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT);

		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return CONN_AGAIN_IN;
		return CONN_CLOSE;
	}
	return CONN_CLOSE;  /* a peer that keeps sending gets no more patience */
}

static enum conn_next
conn_step(struct conn *c)
{
	bool echo = c->ep->cfg->mode == CONFIG_MODE_ECHO;

	switch (c->state) {
	case CONN_PROXY:
		return conn_do_proxy(c);
	case CONN_HANDSHAKE:
		return conn_do_handshake(c);
	case CONN_READING:
		return c->h2 ? h2_step(c) : echo ? echo_read(c) : httpd_read(c);
	case CONN_WRITING:
		return c->h2 ? h2_step(c) : echo ? echo_write(c) : httpd_write(c);
	case CONN_SHUTDOWN:
		return conn_do_shutdown(c);
	case CONN_LINGER:
		return conn_do_linger(c);
	case CONN_CLOSED:
		break;
	}
	return CONN_CLOSE;
}

/* A write would block: from now on epoll also reports writability (one
 * epoll_ctl per connection at most; MOD reports it at once if the socket
 * became writable meanwhile). 0, or -1 when it cannot be done. */
static int
conn_want_pollout(struct conn *c)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = c};

	if (c->pollout)
		return 0;
	if (epoll_ctl(c->w->loop.epfd, EPOLL_CTL_MOD, c->fd, &ev) != 0)
		return -1;
	c->pollout = true;
	return 0;
}

/* A response is on its way out: being written, or handed to TLS with its
 * end still waiting for the socket (what follows waits for it). */
static bool
conn_sending(const struct conn *c)
{
	return c->state == CONN_WRITING || (c->state == CONN_READING && tls_out_pending(c->tls));
}

/* Ciphertext a write left (a batch the socket did not take whole) goes
 * before anything else the connection does. */
static enum conn_next
conn_flush(struct conn *c)
{
	int r;

	if (!tls_out_pending(c->tls))
		return CONN_CONTINUE;
	r = tls_flush(c->tls);
	if (r == 0) {
		conn_send_progress(c);
		return CONN_CONTINUE;
	}
	return r == TLS_WANT_POLLOUT ? CONN_AGAIN_OUT : CONN_CLOSE;
}

void
conn_schedule(struct conn *c)
{
	if (c->in_ready || c->state == CONN_CLOSED)
		return;
	c->in_ready = true;
	c->ready_next = c->w->ready;
	c->w->ready = c;
}

void
conn_on_event(struct conn *c, uint32_t events)
{
	enum conn_next next = CONN_CONTINUE;

	/* a connection closed earlier in the same batch of events */
	if (c->state == CONN_CLOSED)
		return;
	tls_conn_event(c->tls, events & EPOLLIN, events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR));
	if (c->in_ready)
		return;
	for (int budget = CONN_BUDGET; next == CONN_CONTINUE; budget--) {
		if (budget == 0) {
			conn_schedule(c);  /* fairness: finish its work after the others' */
			return;
		}
		next = conn_flush(c);
		if (next == CONN_CONTINUE)
			next = conn_step(c);
	}
	/* a response handed to TLS, part of it still waiting for the socket:
	 * writability, not input, is what comes next */
	if (next == CONN_AGAIN_IN && tls_out_pending(c->tls))
		next = CONN_AGAIN_OUT;
	if (next == CONN_AGAIN_OUT && conn_sending(c))
		conn_send_blocked(c);
	if ((next == CONN_AGAIN_OUT && conn_want_pollout(c) != 0) || c->timer_failed)
		next = CONN_CLOSE;
	if (next == CONN_CLOSE)
		conn_close(c);
}

void
conn_on_timeout(struct conn *c)
{
	struct server *srv = c->w->srv;

	/* a response handed to TLS whose end still waits for the socket is a
	 * send in progress, whatever the state says */
	switch (conn_sending(c) ? CONN_WRITING : c->state) {
	case CONN_PROXY:
	case CONN_HANDSHAKE:
		if (c->ep->tls != NULL)
			metrics_add(&c->w->metrics[c->ep->index].hs_failures[METRICS_HS_TIMEOUT], 1);
		log_msg(&srv->elog, CONFIG_LOG_INFO, "%s %s: %s timed out", c->ep->cfg->name,
		        c->client, c->state == CONN_PROXY ? "PROXY header" : "handshake");
		break;
	case CONN_READING:
		if (c->h2) {
			h2_on_timeout(c);
			return;
		}
		if (c->rlen > 0 && c->ep->cfg->mode != CONFIG_MODE_ECHO) {
			httpd_timeout_408(c);
			break;
		}
		/* an idle keep-alive or echo connection ends quietly, with close_notify */
		c->state = CONN_SHUTDOWN;
		conn_set_timer(c, CONN_LINGER_MS);
		conn_on_event(c, 0);
		return;
	case CONN_WRITING:
		if (conn_send_check(c))
			return;
		log_msg(&srv->elog, CONFIG_LOG_INFO, "%s %s: send timed out (client not reading)",
		        c->ep->cfg->name, c->client);
		break;
	default:
		break;
	}
	conn_close(c);
}

void
conn_drain(struct conn *c)
{
	c->keepalive = false;
	if (c->h2) {
		h2_drain(c);
		return;
	}
	switch (c->state) {
	case CONN_PROXY:
	case CONN_HANDSHAKE:
		break;  /* finishes under handshake_timeout, then gets the grace below */
	case CONN_READING:
		if (c->ep->cfg->mode == CONFIG_MODE_ECHO || (c->rlen == 0 && c->requests > 0)) {
			/* an echo session, or keep-alive waiting between requests */
			c->state = CONN_SHUTDOWN;
			conn_set_timer(c, CONN_LINGER_MS);
			conn_on_event(c, 0);
		} else if (c->rlen == 0) {
			conn_set_timer(c, CONN_DRAIN_GRACE_MS);
		}
		break;
	default:
		break;  /* a response in flight finishes, then the connection closes */
	}
}

void
conn_abort(struct conn *c)
{
	conn_close(c);
}

void
conn_end_request(struct conn *c)
{
	xfer_end(c, &c->x);
}

/* The site for the access log: its first name, else the Host the client
 * sent (without port, lower-cased), else none. */
static const char *
xfer_site_name(const struct conn *c, const struct xfer *x, char *buf, size_t cap)
{
	size_t n;

	if (c->ep->cfg->mode == CONFIG_MODE_ECHO)
		return NULL;
	if (x->site != NULL && x->site->name != NULL)
		return x->site->name;
	if (x->host.p == NULL || (n = match_host_key(x->host.p, x->host.n, buf, cap - 1)) == 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

void
xfer_end(struct conn *c, struct xfer *x)
{
	struct worker *w = c->w;
	char subject[256], site[256];
	struct log_access_entry e;

	if (x->fce != NULL)
		fcache_release(x->fce);  /* the cache owns the descriptor */
	else if (x->file_fd >= 0)
		close(x->file_fd);
	x->fce = NULL;
	x->file_fd = -1;
	if (x->mem != NULL) {
		free(x->mem);
		x->mem = NULL;
	}
	if (x->owned != NULL) {
		free(x->owned);
		x->owned = NULL;
	}
	x->small = NULL;
	if (x->status == 0)
		return;
	/* the loop's clock is read once per pass; a large response can be
	 * handed to TLS whole within one (batches of records), so its end
	 * is read afresh: a clock_gettime (vDSO) per large response only */
	if (x->sent > CONN_WBUF_SIZE)
		loop_update_time(&w->loop);
	if (c->ep->cfg->mode != CONFIG_MODE_ECHO)
		metrics_request(&w->metrics[c->ep->index], x->status,
		                x->sent > x->hdr_len ? x->sent - x->hdr_len : 0, w->loop.now_us - x->start_us);
	if (w->alog->fd >= 0) {
		e = (struct log_access_entry){
			.client = c->client,
			.request_line = x->req_line,
			.status = x->status,
			.bytes = x->sent > x->hdr_len ? x->sent - x->hdr_len : 0,
			.referer = x->referer,
			.user_agent = x->user_agent,
			.tls_version = tls_conn_version(c->tls),
			.peer_subject = tls_conn_peer_subject(c->tls, subject, sizeof(subject)) == 0
			                        ? subject
			                        : NULL,
			.duration_us = w->loop.now_us - x->start_us,
			.site = xfer_site_name(c, x, site, sizeof(site)),
		};
		log_access(w->alog, &w->clock, &e);
	}
	x->status = 0;
	x->sent = 0;
	x->hdr_len = 0;
	x->site = NULL;
	x->host = (struct http_span){NULL, 0};
}
