/* hostile: a misbehaving client for tlserve's robustness tests. One process,
 * one poll loop over non-blocking sockets, bounded by -t SECONDS; it only
 * ever connects to the HOST it is given (the tests give 127.0.0.1 or ::1).
 *
 *   hostile [options] slowloris N        N TLS connections that finish the handshake, then
 *                                        send a request head a byte every -i ms (1000), never
 *                                        ending it
 *   hostile [options] silent N           N TCP connections that send nothing
 *   hostile [options] silent-tls N       N connections that finish the handshake, then
 *                                        send nothing
 *   hostile [options] slowread N RATE PATH
 *                                        N connections that GET PATH, then read RATE bytes/s
 *                                        each (SO_RCVBUF -b, default 4096, set before connect)
 *   hostile [options] noread PATH        GET PATH and never read; in the last 2 s of the run
 *                                        (at most half of it) drain, to tell whether the
 *                                        server had cut the response
 *   hostile [options] flood BYTES        after the handshake send BYTES random bytes (to an echo
 *                                        service) and never read: the server's writes block;
 *                                        close_ms_min says when the server cut the connection
 *   hostile [options] garbage [PATH]     five connections, one after the other: plain HTTP;
 *                                        4 KiB of random bytes; the first 50 bytes of a real
 *                                        ClientHello; a GET of PATH (default /) reset with
 *                                        SO_LINGER 0 after a few KB of body; random bytes
 *                                        after a finished handshake. Each waits up to -w
 *                                        seconds for the server to close it (the partial
 *                                        ClientHello 1 s)
 *   hostile [options] latency N PATH     N GETs one after the other, each on a new connection
 *                                        with a full handshake; p50/p99/max in ms
 *
 * Options: -h HOST (127.0.0.1) -p PORT (required) -c CAFILE (verify the server
 * against it; no verification without) -n SERVERNAME (localhost) -t SECONDS
 * (run time, 10) -w SECONDS (connect + handshake, a latency request, a garbage
 * wait; 10) -i MS (slowloris drip interval, 1000) -b BYTES (SO_RCVBUF; default
 * 4096 for slowread and noread, the system's otherwise) -s ADDRESS (bind this
 * source address, e.g. 127.0.0.2, so the server's log lines can be told apart)
 * -r (slowloris, silent, silent-tls: reconnect a connection the server closed)
 * -v (a line per connection event on stderr).
 *
 * Output: for the holding modes a line "hostile: ready mode=M established=E
 * failed=F" once every connection has finished (or failed) its set-up, then at
 * the end (time up, SIGTERM/SIGINT, or every connection over) one summary line
 * "hostile: mode=M conns=N established=E open=O closed=C failed=F ..." with
 * mode-specific fields; slowread also prints one "hostile: conn=I ..." line per
 * connection first. "closed" counts connections the server ended, "failed"
 * those that could not connect or finish the handshake (and, for latency,
 * requests that did not get a complete 200).
 *
 * Exit status: 0, or 1 when any connection failed, 2 on a usage error. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define MAX_CONNS 20000
#define MAX_PENDING 128          /* connections in connect/handshake at once */
#define READ_TICK_MS 100         /* slowread pacing */
#define RESET_AFTER 4096         /* garbage: body bytes read before the reset */
#define HELLO_PREFIX 50          /* garbage: bytes of the ClientHello sent */
#define HELLO_WAIT_S 1           /* garbage: seconds the partial ClientHello is held */

enum mode { M_SLOWLORIS, M_SILENT, M_SILENT_TLS, M_SLOWREAD, M_NOREAD, M_GARBAGE, M_LATENCY, M_FLOOD };
static const char *const mode_names[] = {"slowloris", "silent", "silent-tls", "slowread",
                                         "noread",    "garbage", "latency",  "flood"};

enum state { S_IDLE, S_CONNECT, S_HANDSHAKE, S_RUN, S_DONE };
enum garbage { G_PLAIN, G_RANDOM, G_HELLO, G_RESET, G_JUNK, G_COUNT };
static const char *const garbage_names[] = {"plain", "random", "hello", "reset", "junk"};

struct conn {
	int fd;
	SSL *ssl;
	enum state state;
	int idx;
	unsigned gen;            /* bumped by every (re)connect */
	short events;            /* what poll waits for */
	uint64_t t0_us;          /* connect started */
	uint64_t next_ms;        /* a timed step (drip, read pacing); 0 = none */
	uint64_t deadline_ms;    /* the current phase must end by then; 0 = none */
	unsigned char *out;      /* bytes to send (malloc'd) */
	size_t outlen, outoff;
	int out_raw;             /* send them on the socket, not through TLS */
	uint64_t dripped;        /* slowloris: head bytes sent */
	uint64_t credit;         /* slowread: bytes * 1000 that may be read */
	uint64_t last_ms;        /* slowread: last refill */
	uint64_t rx, body;       /* bytes read: all, and after the response head */
	long long clen;          /* Content-Length, -1 unknown */
	int status;              /* response status, 0 none yet */
	char head[2048];
	size_t headlen;
	int head_done, established, complete, peer_closed, close_notify, failed, draining, reset;
	uint64_t close_ms;       /* when the server closed it, ms after connect */
};

/* Options and run state. */
static const char *opt_host = "127.0.0.1", *opt_port, *opt_ca, *opt_name = "localhost",
                  *opt_src, *opt_path = "/";
static long opt_seconds = 10, opt_wait = 10, opt_drip_ms = 1000, opt_rcvbuf = -1, opt_rate;
static long opt_flood;  /* flood: bytes to send */
static int opt_reconnect, opt_verbose;
static enum mode mode;
static int nconns;

static struct addrinfo *dst, *src;
static SSL_CTX *ctx;
static struct conn *conns;
static unsigned char hello[512];
static size_t hello_len;
static volatile sig_atomic_t stopping;
static uint64_t now_ms_cached, run_end_ms;
static int n_settled, n_started, ready_printed, n_pending, seq_next, reopened;
static unsigned char *settled_once;  /* per connection: counted towards the ready line */
static int g_closed, g_close_notify, g_408;  /* over every connection, reconnected ones too */
static uint64_t g_cmin, g_cmax;
static uint64_t *lat_us;
static int n_lat;
static char garbage_result[G_COUNT][24];

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static void
vlog(const struct conn *c, const char *what)
{
	if (opt_verbose)
		fprintf(stderr, "hostile: conn %d: %s (%.1f ms)\n", c->idx, what,
		        (double)(now_us() - c->t0_us) / 1000.0);
}

static int
is_seq(void)
{
	return mode == M_LATENCY || mode == M_GARBAGE;
}

static int
uses_tls(const struct conn *c)
{
	if (mode == M_SILENT)
		return 0;
	if (mode == M_GARBAGE)
		return c->idx == G_RESET || c->idx == G_JUNK;
	return 1;
}

/* ------------------------------------------------------------ responses */

static void
parse_head(struct conn *c)
{
	const char *p;

	c->head[c->headlen] = '\0';
	if (strncmp(c->head, "HTTP/1.", 7) == 0 && c->headlen > 12)
		c->status = atoi(c->head + 9);
	for (p = c->head; (p = strstr(p, "\r\n")) != NULL; p += 2) {
		if (strncasecmp(p + 2, "content-length:", 15) == 0) {
			c->clen = strtoll(p + 17, NULL, 10);
			break;
		}
	}
}

static void
resp_feed(struct conn *c, const unsigned char *p, size_t n)
{
	c->rx += n;
	while (!c->head_done && n > 0) {
		if (c->headlen < sizeof(c->head) - 1)
			c->head[c->headlen++] = (char)*p;
		else
			c->head_done = 1;  /* not HTTP: the rest counts as body */
		p++;
		n--;
		if (c->headlen >= 4 && memcmp(c->head + c->headlen - 4, "\r\n\r\n", 4) == 0) {
			c->head_done = 1;
			parse_head(c);
		}
	}
	c->body += n;
	if (c->head_done && c->clen >= 0 && c->body >= (uint64_t)c->clen)
		c->complete = 1;
}

/* ------------------------------------------------------------ connections */

static void
set_out(struct conn *c, const void *p, size_t n, int raw)
{
	free(c->out);
	c->out = malloc(n ? n : 1);
	if (c->out == NULL) {
		fprintf(stderr, "hostile: out of memory\n");
		exit(1);
	}
	memcpy(c->out, p, n);
	c->outlen = n;
	c->outoff = 0;
	c->out_raw = raw;
}

static void
set_request(struct conn *c, const char *path)
{
	char req[1024];
	int n = snprintf(req, sizeof(req),
	                 "GET %s HTTP/1.1\r\nHost: localhost\r\nUser-Agent: hostile\r\n"
	                 "Connection: close\r\n\r\n",
	                 path);

	set_out(c, req, n > 0 && (size_t)n < sizeof(req) ? (size_t)n : 0, 0);
}

static void
conn_release(struct conn *c, int rst)
{
	if (c->ssl != NULL) {
		if (!rst && !c->peer_closed && c->established)
			(void)SSL_shutdown(c->ssl);  /* one try: close_notify if it fits */
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd >= 0) {
		if (rst) {
			struct linger lg = {.l_onoff = 1, .l_linger = 0};

			setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		}
		close(c->fd);
		c->fd = -1;
	}
	free(c->out);
	c->out = NULL;
	c->outlen = c->outoff = 0;
	if (c->state == S_CONNECT || c->state == S_HANDSHAKE)
		n_pending--;
	c->state = S_DONE;
}

static void conn_start(struct conn *c);

/* Settled: the set-up is over, one way or the other. */
static void
settle(struct conn *c)
{
	if (settled_once[c->idx])
		return;
	settled_once[c->idx] = 1;
	if (++n_settled == nconns && !is_seq() && !ready_printed) {
		int est = 0, failed = 0;

		for (int i = 0; i < nconns; i++) {
			est += conns[i].established;
			failed += conns[i].failed;
		}
		printf("hostile: ready mode=%s established=%d failed=%d\n", mode_names[mode], est,
		       failed);
		fflush(stdout);
		ready_printed = 1;
	}
}

static void
conn_fail(struct conn *c, const char *why)
{
	char buf[160];
	unsigned long e = ERR_peek_last_error();

	if (opt_verbose) {
		if (e != 0)
			snprintf(buf, sizeof(buf), "failed: %s (%s)", why, ERR_reason_error_string(e));
		else
			snprintf(buf, sizeof(buf), "failed: %s", why);
		vlog(c, buf);
	}
	ERR_clear_error();
	c->failed = 1;
	if (!c->established)
		settle(c);
	conn_release(c, 0);
}

static void record_end(struct conn *c);

/* The server ended the connection. */
static void
conn_peer_closed(struct conn *c)
{
	c->peer_closed = 1;
	c->close_ms = (now_us() - c->t0_us) / 1000;
	g_closed++;
	g_close_notify += c->close_notify;
	g_408 += c->status == 408;
	g_cmin = g_cmin == 0 || c->close_ms < g_cmin ? c->close_ms : g_cmin;
	g_cmax = c->close_ms > g_cmax ? c->close_ms : g_cmax;
	vlog(c, c->close_notify ? "closed by the server (close_notify)" : "closed by the server");
	ERR_clear_error();
	record_end(c);
	conn_release(c, 0);
	if (opt_reconnect && !stopping && now_ms_cached + 1000 < run_end_ms &&
	    (mode == M_SLOWLORIS || mode == M_SILENT || mode == M_SILENT_TLS)) {
		conn_start(c);
		reopened++;
	}
}

/* We end it: done, or given up waiting. */
static void
conn_self_close(struct conn *c, int rst)
{
	record_end(c);
	conn_release(c, rst);
}

static void
record_end(struct conn *c)
{
	if (mode == M_LATENCY) {
		if (c->complete && c->status == 200 && n_lat < nconns)
			lat_us[n_lat++] = now_us() - c->t0_us;
		else if (!c->failed) {
			c->failed = 1;
			if (opt_verbose)
				fprintf(stderr, "hostile: request %d failed: status %d, %llu body bytes\n",
				        c->idx, c->status, (unsigned long long)c->body);
		}
	} else if (mode == M_GARBAGE) {
		char *r = garbage_result[c->idx];

		if (c->idx == G_PLAIN && c->status > 0)
			snprintf(r, sizeof(garbage_result[0]), "%d", c->status);
		else if (c->idx == G_RESET)
			snprintf(r, sizeof(garbage_result[0]), "%s", c->reset ? "reset" : "short");
		else
			snprintf(r, sizeof(garbage_result[0]), "%s", c->peer_closed ? "closed" : "open");
	}
}

static void
conn_start(struct conn *c)
{
	int idx = c->idx;
	unsigned gen = c->gen + 1;

	memset(c, 0, sizeof(*c));
	c->idx = idx;
	c->gen = gen;
	c->fd = -1;
	c->clen = -1;
	c->t0_us = now_us();
	c->deadline_ms = now_ms_cached + (uint64_t)opt_wait * 1000;
	n_started++;
	c->fd = socket(dst->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		c->state = S_DONE;
		conn_fail(c, strerror(errno));
		return;
	}
	c->state = S_CONNECT;
	n_pending++;
	if (opt_rcvbuf > 0) {
		int v = (int)opt_rcvbuf;

		setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	}
	if (src != NULL && bind(c->fd, src->ai_addr, src->ai_addrlen) != 0) {
		conn_fail(c, strerror(errno));
		return;
	}
	if (connect(c->fd, dst->ai_addr, dst->ai_addrlen) != 0 && errno != EINPROGRESS) {
		conn_fail(c, strerror(errno));
		return;
	}
	c->events = POLLOUT;
}

/* Map an OpenSSL result to what poll should wait for: 0 when it would block
 * (events set), -1 on a close or error (close_notify noted). */
static int
ssl_want(struct conn *c, int r)
{
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		c->events |= POLLIN;
		return 0;
	case SSL_ERROR_WANT_WRITE:
		c->events |= POLLOUT;
		return 0;
	case SSL_ERROR_ZERO_RETURN:
		c->close_notify = 1;
		return -1;
	default:
		return -1;
	}
}

/* Send what is queued. 0 when sent or blocked, -1 when the connection is gone. */
static int
conn_flush(struct conn *c)
{
	while (c->outoff < c->outlen) {
		size_t left = c->outlen - c->outoff;

		if (c->out_raw || c->ssl == NULL) {
			ssize_t n = send(c->fd, c->out + c->outoff, left, MSG_NOSIGNAL | MSG_DONTWAIT);

			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR) {
					c->events |= POLLOUT;
					return 0;
				}
				return -1;
			}
			c->outoff += (size_t)n;
		} else {
			int n = SSL_write(c->ssl, c->out + c->outoff, left > INT_MAX ? INT_MAX : (int)left);

			if (n <= 0)
				return ssl_want(c, n);
			c->outoff += (size_t)n;
		}
	}
	return 0;
}

/* Read up to max bytes into the response parser. >0 read, 0 would block
 * (events set), -1 closed by the server or failed. */
static int
conn_read(struct conn *c, size_t max)
{
	unsigned char buf[16384];
	size_t want = max < sizeof(buf) ? max : sizeof(buf);

	if (want == 0)
		return 0;
	if (c->ssl == NULL) {
		ssize_t n = recv(c->fd, buf, want, MSG_DONTWAIT);

		if (n > 0) {
			resp_feed(c, buf, (size_t)n);
			return (int)n;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			c->events |= POLLIN;
			return 0;
		}
		return -1;
	}
	int n = SSL_read(c->ssl, buf, (int)want);

	if (n > 0) {
		resp_feed(c, buf, (size_t)n);
		return n;
	}
	return ssl_want(c, n);
}

/* Read everything there is (bounded per step). -1 when the connection ended. */
static int
conn_read_all(struct conn *c)
{
	for (int i = 0; i < 256; i++) {
		int n = conn_read(c, SIZE_MAX);

		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		if (c->complete && (mode == M_LATENCY || mode == M_SLOWREAD || mode == M_NOREAD))
			return 0;
		if (mode == M_GARBAGE && c->idx == G_RESET && c->body >= RESET_AFTER)
			return 0;
	}
	c->events |= POLLIN;  /* more to read: poll says so at once */
	return 0;
}

/* The next byte of a request head that never ends. */
static unsigned char
loris_byte(uint64_t i)
{
	static const char start[] = "GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ";

	return i < sizeof(start) - 1 ? (unsigned char)start[i] : (unsigned char)'a' + (i % 26);
}

static void
random_bytes(unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t r = getrandom(p, n, 0);

		if (r <= 0)
			break;
		p += r;
		n -= (size_t)r;
	}
}

static void
on_established(struct conn *c)
{
	static const char plain[] = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
	unsigned char rnd[4096];

	c->established = 1;
	n_pending--;
	c->state = S_RUN;
	c->deadline_ms = 0;
	vlog(c, "established");
	settle(c);
	switch (mode) {
	case M_SLOWLORIS:
		c->next_ms = now_ms_cached;
		break;
	case M_SILENT:
	case M_SILENT_TLS:
		break;
	case M_SLOWREAD:
	case M_NOREAD:
		set_request(c, opt_path);
		c->last_ms = now_ms_cached;
		break;
	case M_FLOOD:
		free(c->out);
		c->out = malloc((size_t)opt_flood);
		if (c->out == NULL) {
			conn_fail(c, "out of memory");
			return;
		}
		random_bytes(c->out, (size_t)opt_flood);
		c->outlen = (size_t)opt_flood;
		c->outoff = 0;
		c->out_raw = 0;
		break;
	case M_LATENCY:
		set_request(c, opt_path);
		c->deadline_ms = c->t0_us / 1000 + (uint64_t)opt_wait * 1000;
		break;
	case M_GARBAGE:
		c->deadline_ms = now_ms_cached + (uint64_t)opt_wait * 1000;
		switch ((enum garbage)c->idx) {
		case G_PLAIN:
			set_out(c, plain, sizeof(plain) - 1, 1);
			break;
		case G_RANDOM:
			random_bytes(rnd, sizeof(rnd));
			rnd[0] = 0x17;  /* never mistaken for a ClientHello or for plain HTTP */
			/* One time in 256 the random version reads as 3.x; the random
			 * length must then end within what is sent, or the server
			 * rightly waits out its handshake_timeout for the rest of the
			 * record and the close this checks comes too late. */
			rnd[3] &= 0x07;
			set_out(c, rnd, sizeof(rnd), 1);
			break;
		case G_HELLO:
			/* the server may hold it until its handshake_timeout: a second
			 * shows it copes, waiting longer shows nothing more */
			set_out(c, hello, hello_len < HELLO_PREFIX ? hello_len : HELLO_PREFIX, 1);
			if (opt_wait > HELLO_WAIT_S)
				c->deadline_ms = now_ms_cached + HELLO_WAIT_S * 1000;
			break;
		case G_RESET:
			set_request(c, opt_path);
			break;
		case G_JUNK:
			random_bytes(rnd, 64);
			set_out(c, rnd, 64, 1);  /* raw, beside the TLS session */
			break;
		case G_COUNT:
			break;
		}
		break;
	}
}

/* One step of an established connection. */
static void
run_step(struct conn *c, short revents)
{
	int r = 0;

	c->events = 0;
	if (revents & (POLLERR | POLLHUP)) {
		/* reset, or both directions shut: take what is left, then it is over */
		if (mode != M_NOREAD || c->draining)
			(void)conn_read_all(c);
		conn_peer_closed(c);
		return;
	}
	if (mode == M_SLOWLORIS && c->next_ms != 0 && now_ms_cached >= c->next_ms &&
	    c->outoff == c->outlen) {
		unsigned char b = loris_byte(c->dripped++);

		set_out(c, &b, 1, 0);
		c->next_ms = now_ms_cached + (uint64_t)opt_drip_ms;
	}
	if (conn_flush(c) != 0) {
		/* the server may have answered before it closed: read what came */
		(void)conn_read_all(c);
		conn_peer_closed(c);
		return;
	}
	if (c->outoff < c->outlen && mode != M_SLOWLORIS && mode != M_GARBAGE)
		return;  /* the request first */
	switch (mode) {
	case M_SLOWLORIS:
	case M_SILENT:
	case M_SILENT_TLS:
	case M_LATENCY:
		r = conn_read_all(c);
		break;
	case M_SLOWREAD: {
		uint64_t cap = (uint64_t)(opt_rate > 1024 ? opt_rate : 1024) * 1000;

		c->credit += (uint64_t)opt_rate * (now_ms_cached - c->last_ms);
		c->last_ms = now_ms_cached;
		if (c->credit > cap)
			c->credit = cap;
		r = 0;
		while (c->credit >= 1000 && !c->complete) {
			uint64_t before = c->rx;

			r = conn_read(c, (size_t)(c->credit / 1000));
			if (r <= 0)
				break;
			c->credit -= (c->rx - before) * 1000;
		}
		if (r >= 0 && !c->complete && c->credit < 1000) {
			c->events = 0;  /* out of credit: the kernel buffer fills, the server waits */
			c->next_ms = now_ms_cached + READ_TICK_MS;
		} else {
			c->next_ms = now_ms_cached + READ_TICK_MS;
		}
		break;
	}
	case M_NOREAD:
		r = c->draining ? conn_read_all(c) : 0;
		break;
	case M_FLOOD:
		r = 0;  /* never read: only an error or hang-up ends it */
		break;
	case M_GARBAGE:
		r = conn_read_all(c);
		if (r == 0 && c->idx == G_RESET && (c->body >= RESET_AFTER || c->complete)) {
			c->reset = c->body > 0;
			vlog(c, "reset sent");
			conn_self_close(c, 1);
			return;
		}
		break;
	}
	if (r < 0) {
		if (c->complete && (mode == M_LATENCY || mode == M_SLOWREAD))
			conn_self_close(c, 0);  /* Connection: close, as asked */
		else
			conn_peer_closed(c);
		return;
	}
	if (c->complete && (mode == M_LATENCY || mode == M_SLOWREAD || mode == M_NOREAD)) {
		vlog(c, "response complete");
		conn_self_close(c, 0);
	}
}

static void
conn_step(struct conn *c, short revents)
{
	switch (c->state) {
	case S_CONNECT: {
		int err = 0;
		socklen_t len = sizeof(err);

		if (revents == 0)
			return;
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
			err = errno;
		if (err != 0) {
			conn_fail(c, strerror(err));
			return;
		}
		if (!uses_tls(c)) {
			on_established(c);
			run_step(c, 0);
			return;
		}
		c->ssl = SSL_new(ctx);
		if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
			conn_fail(c, "SSL_new");
			return;
		}
		SSL_set_tlsext_host_name(c->ssl, opt_name);
		if (opt_ca != NULL)
			SSL_set1_host(c->ssl, opt_name);
		c->state = S_HANDSHAKE;
	}
		/* fall through */
	case S_HANDSHAKE: {
		int r = SSL_connect(c->ssl);

		c->events = 0;
		if (r == 1) {
			on_established(c);
			run_step(c, 0);
		} else if (ssl_want(c, r) != 0) {
			conn_fail(c, "handshake");
		}
		return;
	}
	case S_RUN:
		run_step(c, revents);
		return;
	case S_IDLE:
	case S_DONE:
		return;
	}
}

static void
conn_deadline(struct conn *c)
{
	if (c->state == S_CONNECT || c->state == S_HANDSHAKE) {
		conn_fail(c, c->state == S_CONNECT ? "connect timed out" : "handshake timed out");
		return;
	}
	vlog(c, "gave up waiting");
	conn_self_close(c, 0);
}

/* ------------------------------------------------------------ set-up */

static int
capture_hello(void)
{
	SSL *s = SSL_new(ctx);
	BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
	int n;

	if (s == NULL || rb == NULL || wb == NULL) {
		SSL_free(s);
		BIO_free(rb);
		BIO_free(wb);
		return -1;
	}
	SSL_set_bio(s, rb, wb);
	SSL_set_tlsext_host_name(s, opt_name);
	(void)SSL_connect(s);  /* wants the ServerHello: the ClientHello is in wb */
	n = BIO_read(wb, hello, sizeof(hello));
	SSL_free(s);
	ERR_clear_error();
	if (n < HELLO_PREFIX || hello[0] != 0x16)
		return -1;
	hello_len = (size_t)n;
	return 0;
}

static void
usage(void)
{
	fprintf(stderr,
	        "usage: hostile [-h HOST] -p PORT [-c CAFILE] [-n NAME] [-t SECONDS] [-w SECONDS]\n"
	        "               [-i MS] [-b RCVBUF] [-s SRCADDR] [-r] [-v] MODE ARGS\n"
	        "modes: slowloris N | silent N | silent-tls N | slowread N RATE PATH |\n"
	        "       noread PATH | garbage [PATH] | latency N PATH | flood BYTES\n");
	exit(2);
}

static long
num_arg(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "hostile: bad number: %s\n", s);
		usage();
	}
	return v;
}

static void
parse_args(int argc, char **argv)
{
	int ch;
	const char *m;

	while ((ch = getopt(argc, argv, "h:p:c:n:t:w:i:b:s:rv")) != -1) {
		switch (ch) {
		case 'h': opt_host = optarg; break;
		case 'p': opt_port = optarg; break;
		case 'c': opt_ca = optarg; break;
		case 'n': opt_name = optarg; break;
		case 't': opt_seconds = num_arg(optarg, 1, 3600); break;
		case 'w': opt_wait = num_arg(optarg, 1, 3600); break;
		case 'i': opt_drip_ms = num_arg(optarg, 1, 3600000); break;
		case 'b': opt_rcvbuf = num_arg(optarg, 0, 1 << 30); break;
		case 's': opt_src = optarg; break;
		case 'r': opt_reconnect = 1; break;
		case 'v': opt_verbose = 1; break;
		default: usage();
		}
	}
	if (opt_port == NULL || optind >= argc)
		usage();
	m = argv[optind++];
	argc -= optind;
	argv += optind;
	if (strcmp(m, "slowloris") == 0 || strcmp(m, "silent") == 0 || strcmp(m, "silent-tls") == 0) {
		mode = m[0] == 's' && m[1] == 'l' ? M_SLOWLORIS : strchr(m, '-') ? M_SILENT_TLS : M_SILENT;
		if (argc != 1)
			usage();
		nconns = (int)num_arg(argv[0], 1, MAX_CONNS);
	} else if (strcmp(m, "slowread") == 0) {
		mode = M_SLOWREAD;
		if (argc != 3)
			usage();
		nconns = (int)num_arg(argv[0], 1, MAX_CONNS);
		opt_rate = num_arg(argv[1], 1, 1L << 30);
		opt_path = argv[2];
	} else if (strcmp(m, "noread") == 0) {
		mode = M_NOREAD;
		if (argc != 1)
			usage();
		nconns = 1;
		opt_path = argv[0];
	} else if (strcmp(m, "flood") == 0) {
		mode = M_FLOOD;
		if (argc != 1)
			usage();
		nconns = 1;
		opt_flood = num_arg(argv[0], 1, 1L << 30);
	} else if (strcmp(m, "garbage") == 0) {
		mode = M_GARBAGE;
		if (argc > 1)
			usage();
		nconns = G_COUNT;
		if (argc == 1)
			opt_path = argv[0];
	} else if (strcmp(m, "latency") == 0) {
		mode = M_LATENCY;
		if (argc != 2)
			usage();
		nconns = (int)num_arg(argv[0], 1, MAX_CONNS);
		opt_path = argv[1];
	} else {
		fprintf(stderr, "hostile: unknown mode %s\n", m);
		usage();
	}
	if (opt_path[0] != '/' || strlen(opt_path) > 512) {
		fprintf(stderr, "hostile: PATH must start with / (and be short)\n");
		usage();
	}
	if (opt_rcvbuf < 0)
		opt_rcvbuf = mode == M_SLOWREAD || mode == M_NOREAD || mode == M_FLOOD ? 4096 : 0;
}

/* Enough descriptors for every connection, within the hard limit. */
static void
raise_nofile(void)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)nconns + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < want)
		fprintf(stderr, "hostile: only %llu descriptors allowed (ulimit -Hn)\n",
		        (unsigned long long)rl.rlim_cur);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of the sorted latencies, in ms. */
static double
pct_ms(double p)
{
	size_t k;

	if (n_lat == 0)
		return 0;
	k = (size_t)((p * n_lat + 99) / 100);  /* ceil(p/100 * n) */
	if (k < 1)
		k = 1;
	if (k > (size_t)n_lat)
		k = (size_t)n_lat;
	return (double)lat_us[k - 1] / 1000.0;
}

static void
report(void)
{
	int est = 0, open = 0, failed = 0, complete = 0, cut = 0;
	uint64_t bmin = UINT64_MAX, bmax = 0, btotal = 0;

	for (int i = 0; i < nconns; i++) {
		struct conn *c = &conns[i];

		if (c->state == S_IDLE)
			continue;
		est += c->established;
		failed += c->failed;
		open += c->established && c->state != S_DONE;
		complete += c->complete;
		cut += c->peer_closed && !c->complete && c->established;
		if (c->body < bmin)
			bmin = c->body;
		if (c->body > bmax)
			bmax = c->body;
		btotal += c->body;
	}
	if (bmin == UINT64_MAX)
		bmin = 0;
	if (mode == M_SLOWREAD) {
		for (int i = 0; i < nconns; i++) {
			struct conn *c = &conns[i];

			printf("hostile: conn=%d body=%llu state=%s close_ms=%llu\n", i,
			       (unsigned long long)c->body,
			       c->failed        ? "failed"
			       : c->complete    ? "complete"
			       : c->peer_closed ? "cut"
			       : c->state == S_IDLE ? "unstarted"
			                           : "open",
			       (unsigned long long)c->close_ms);
		}
	}
	printf("hostile: mode=%s conns=%d established=%d open=%d closed=%d failed=%d", mode_names[mode],
	       nconns, est, open, g_closed, failed);
	switch (mode) {
	case M_FLOOD:
		printf(" close_ms_min=%llu close_ms_max=%llu", (unsigned long long)g_cmin,
		       (unsigned long long)g_cmax);
		break;
	case M_SLOWLORIS:
	case M_SILENT:
	case M_SILENT_TLS:
		printf(" close_notify=%d status_408=%d close_ms_min=%llu close_ms_max=%llu reopened=%d",
		       g_close_notify, g_408, (unsigned long long)g_cmin, (unsigned long long)g_cmax,
		       reopened);
		break;
	case M_SLOWREAD:
	case M_NOREAD:
		printf(" complete=%d cut=%d body_min=%llu body_max=%llu body_total=%llu close_ms_min=%llu "
		       "close_ms_max=%llu",
		       complete, cut, (unsigned long long)bmin, (unsigned long long)bmax,
		       (unsigned long long)btotal, (unsigned long long)g_cmin, (unsigned long long)g_cmax);
		break;
	case M_LATENCY:
		qsort(lat_us, (size_t)n_lat, sizeof(*lat_us), cmp_u64);
		printf(" ok=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f", n_lat, pct_ms(50), pct_ms(99),
		       n_lat ? (double)lat_us[n_lat - 1] / 1000.0 : 0.0);
		break;
	case M_GARBAGE:
		for (int g = 0; g < G_COUNT; g++)
			printf(" %s=%s", garbage_names[g],
			       garbage_result[g][0] ? garbage_result[g] : "not-run");
		break;
	}
	printf("\n");
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
	struct sigaction sa = {.sa_handler = on_signal};
	struct pollfd *pfd;
	struct conn **map;
	unsigned *mapgen;
	uint64_t start_ms, end_ms, drain_ms = 0;
	int rc, failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	parse_args(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	raise_nofile();
	if ((rc = getaddrinfo(opt_host, opt_port, &hints, &dst)) != 0) {
		fprintf(stderr, "hostile: %s:%s: %s\n", opt_host, opt_port, gai_strerror(rc));
		return 2;
	}
	if (opt_src != NULL) {
		hints.ai_family = dst->ai_family;
		hints.ai_flags = AI_NUMERICHOST;
		if ((rc = getaddrinfo(opt_src, NULL, &hints, &src)) != 0) {
			fprintf(stderr, "hostile: source %s: %s\n", opt_src, gai_strerror(rc));
			freeaddrinfo(dst);
			return 2;
		}
	}
	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL)
		return 1;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);  /* every handshake is a full one */
	if (opt_ca != NULL) {
		if (SSL_CTX_load_verify_locations(ctx, opt_ca, NULL) != 1) {
			fprintf(stderr, "hostile: cannot load %s\n", opt_ca);
			return 2;
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	}
	if (mode == M_GARBAGE && capture_hello() != 0) {
		fprintf(stderr, "hostile: could not make a ClientHello\n");
		return 1;
	}
	conns = calloc((size_t)nconns, sizeof(*conns));
	pfd = calloc((size_t)nconns, sizeof(*pfd));
	map = calloc((size_t)nconns, sizeof(*map));
	mapgen = calloc((size_t)nconns, sizeof(*mapgen));
	lat_us = calloc((size_t)nconns, sizeof(*lat_us));
	settled_once = calloc((size_t)nconns, 1);
	if (conns == NULL || pfd == NULL || map == NULL || mapgen == NULL || lat_us == NULL ||
	    settled_once == NULL) {
		fprintf(stderr, "hostile: out of memory\n");
		return 1;
	}
	for (int i = 0; i < nconns; i++) {
		conns[i].idx = i;
		conns[i].fd = -1;
	}
	start_ms = now_us() / 1000;
	end_ms = start_ms + (uint64_t)opt_seconds * 1000;
	run_end_ms = end_ms;
	if (mode == M_NOREAD) {
		uint64_t d = (uint64_t)opt_seconds * 1000 / 2;

		drain_ms = end_ms - (d < 2000 ? d : 2000);
	}

	while (!stopping) {
		int k = 0, active = 0, n;
		uint64_t wake;

		now_ms_cached = now_us() / 1000;
		if (now_ms_cached >= end_ms)
			break;
		if (drain_ms != 0 && now_ms_cached >= drain_ms) {
			for (int i = 0; i < nconns; i++) {
				if (conns[i].state == S_RUN && !conns[i].draining) {
					conns[i].draining = 1;
					run_step(&conns[i], 0);
				}
			}
		}
		/* start connections: all at once (a bounded number in set-up), or one by one */
		if (is_seq()) {
			int busy = 0;

			for (int i = 0; i < nconns; i++)
				busy |= conns[i].state != S_IDLE && conns[i].state != S_DONE;
			if (!busy && seq_next < nconns)
				conn_start(&conns[seq_next++]);
		} else {
			while (seq_next < nconns && n_pending < MAX_PENDING)
				conn_start(&conns[seq_next++]);
		}
		/* deadlines and timed steps */
		for (int i = 0; i < nconns; i++) {
			struct conn *c = &conns[i];

			if (c->state == S_IDLE || c->state == S_DONE)
				continue;
			if (c->deadline_ms != 0 && now_ms_cached >= c->deadline_ms)
				conn_deadline(c);
			else if (c->next_ms != 0 && now_ms_cached >= c->next_ms && c->state == S_RUN)
				run_step(c, 0);
		}
		wake = end_ms;
		if (drain_ms != 0 && drain_ms > now_ms_cached && drain_ms < wake)
			wake = drain_ms;
		for (int i = 0; i < nconns; i++) {
			struct conn *c = &conns[i];

			if (c->state == S_IDLE || c->state == S_DONE)
				continue;
			active++;
			if (c->deadline_ms != 0 && c->deadline_ms < wake)
				wake = c->deadline_ms;
			if (c->next_ms != 0 && c->next_ms < wake)
				wake = c->next_ms;
			pfd[k].fd = c->fd;
			pfd[k].events = c->events;
			pfd[k].revents = 0;
			mapgen[k] = c->gen;
			map[k++] = c;
		}
		if (active == 0 && seq_next >= nconns)
			break;  /* every connection is over */
		if (active == 0)
			continue;  /* a sequential mode starts the next one */
		n = poll(pfd, (nfds_t)k, wake > now_ms_cached ? (int)(wake - now_ms_cached) : 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("hostile: poll");
			break;
		}
		now_ms_cached = now_us() / 1000;
		for (int i = 0; i < k && n > 0; i++) {
			if (pfd[i].revents == 0)
				continue;
			n--;
			/* not one closed (or closed and reconnected) since poll was set up */
			if (map[i]->state != S_DONE && map[i]->gen == mapgen[i])
				conn_step(map[i], pfd[i].revents);
		}
	}

	/* time is up: requests still unanswered failed; the rest is reported as it stands */
	now_ms_cached = now_us() / 1000;
	if (mode == M_LATENCY) {
		for (int i = 0; i < nconns; i++) {
			if (conns[i].state == S_IDLE || (conns[i].state != S_DONE && !conns[i].failed))
				conns[i].failed = 1;
		}
	}
	report();
	for (int i = 0; i < nconns; i++) {
		failed += conns[i].failed;
		if (conns[i].state != S_IDLE && conns[i].state != S_DONE)
			conn_release(&conns[i], 0);  /* with close_notify when it fits */
		free(conns[i].out);
	}
	free(conns);
	free(pfd);
	free(map);
	free(mapgen);
	free(lat_us);
	free(settled_once);
	SSL_CTX_free(ctx);
	freeaddrinfo(dst);
	if (src != NULL)
		freeaddrinfo(src);
	return failed > 0 ? 1 : 0;
}
