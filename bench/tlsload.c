/* tlsload: the handshake load generator and idle-connection holder of
 * bench/run.sh. One thread, one epoll loop, non-blocking sockets.
 *
 *   tlsload full   HOST PORT SECONDS CONCURRENCY PATH
 *   tlsload resume HOST PORT SECONDS CONCURRENCY PATH
 *   tlsload idle   HOST PORT COUNT   CONCURRENCY HOLD_SECONDS
 *   tlsload ka     HOST PORT COUNT   PATH
 *   tlsload hs     HOST PORT COUNT   PATH
 *   tlsload rs     HOST PORT COUNT   PATH
 *
 * full:   CONCURRENCY connections at a time; each connects, does a TLS
 *         handshake offering no session (so it cannot be resumed), sends
 *         "GET PATH" with "Connection: close", reads the whole response
 *         (Content-Length bytes of body) and the server's close, and is
 *         replaced by a new one. Runs for SECONDS.
 * resume: the same, but every connection offers a session ticket: one
 *         received and not used yet (see pool below) or, when there is none,
 *         a copy of the newest. Unmeasured full handshakes first collect
 *         CONCURRENCY tickets.
 * idle:   opens COUNT connections (CONCURRENCY handshakes in flight), each
 *         completing a TLS handshake and then sending nothing; prints
 *         "established=N", then waits for SIGUSR1 or HOLD_SECONDS, counts
 *         the connections the server has not closed, prints "alive=N" and
 *         exits.
 *
 * ka:     serial (bench/run.sh --count): one connection, one full handshake,
 *         then COUNT keep-alive requests "GET PATH", each sent when the
 *         previous response (Content-Length bytes of body) has been read;
 *         then close_notify and close.
 * hs:     serial: COUNT connections one after the other; each makes a full
 *         handshake (no session offered), sends "GET PATH" with
 *         "Connection: close" and reads the response and the server's close.
 * rs:     serial: as hs, but every connection offers a ticket as resume does
 *         (the first has none, so it is a full handshake): COUNT - 1
 *         resumed handshakes, each with the ticket the one before received
 *         (or, from a server that sends none on a resumed connection, a
 *         copy of the newest, counted in reoffered=).
 * The serial modes use blocking sockets (a 120 s timeout per call, the
 * server may run under valgrind), offer ALPN "http/1.1" only, and print
 *   TLSLOAD mode=M ok=N full=F resumed=R tls13=T errors=E bytes=B seconds=S
 *           cipher=SUITE group=GROUP alpn=PROTO sigalg=SIG cert=KEY
 * (bytes: response bodies; sigalg: the server's CertificateVerify
 * signature; cert: its certificate's key type and curve).
 *
 * Every completed connection is checked with SSL_session_reused() and
 * SSL_version(), so the summary line says how many handshakes were full,
 * how many resumed and how many were TLS 1.3: that is how the benchmark
 * proves that row 1 measures full handshakes and row 2 resumed ones.
 *
 * Output (one line, stdout):
 *   TLSLOAD mode=M ok=N full=F resumed=R tls13=T errors=E reoffered=O tickets=K
 *           seconds=S rate=X cipher=SUITE group=GROUP
 * (ok: complete 200 responses; full/resumed/tls13: handshakes, which include
 * those of the at most CONCURRENCY connections cut off at the end; tickets:
 * the NewSessionTicket messages received on the ok connections, which read
 * to the server's close, so tickets/ok is what the server sends per
 * connection.)
 * The client does not verify the certificate chain (as wrk and h2load do
 * not); TLS 1.3 still makes it check the CertificateVerify signature. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

enum mode { MODE_FULL, MODE_RESUME, MODE_IDLE, MODE_KA, MODE_HS, MODE_RS };
enum state { ST_FREE, ST_CONNECTING, ST_HANDSHAKE, ST_WRITING, ST_READING, ST_IDLE };

struct conn {
	int fd;
	enum state state;
	SSL *ssl;
	size_t sent;
	char head[1024];      /* the response head, until "\r\n\r\n" */
	size_t headlen;
	long long body_left;  /* -1 until the head is parsed */
	double last;          /* time of the last progress */
	int tickets;          /* NewSessionTicket messages received */
};

static enum mode mode;
static struct sockaddr_storage addr;
static socklen_t addrlen;
static SSL_CTX *ctx;
/* resume: tickets received and not yet used, newest on top. Each is offered
 * once, as RFC 8446 section C.4 asks of clients (OpenSSL's client marks a TLS
 * 1.3 session used once as no longer resumable). Only when none is left is
 * a copy of the newest ticket offered again, counted as "reoffered": a high
 * count means the server sends no fresh ticket on resumed connections, so
 * that a real client would make every other handshake a full one. */
#define POOL_MAX 8192
static SSL_SESSION *pool[POOL_MAX];
static int npool;
static SSL_SESSION *latest;  /* a pristine copy of the newest ticket */
static char request[512];
static size_t request_len;
static int ep;
static long n_ok, n_full, n_resumed, n_tls13, n_errors, n_reoffered, n_tickets;
static char cipher[64] = "-", group[32] = "-";  /* of the last handshake */
static char alpn[32] = "none", sigalg[48] = "-", certkey[48] = "-";
static int priming;  /* prime(): full handshakes that only collect tickets */
static volatile sig_atomic_t got_usr1;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
on_usr1(int sig)
{
	(void)sig;
	got_usr1 = 1;
}

/* OpenSSL hands us every new session (TLS 1.3: each NewSessionTicket); count
 * it on its connection, keep it in the pool, and a copy as the newest.
 * Returning 1 keeps the reference. */
static int
new_session(SSL *ssl, SSL_SESSION *sess)
{
	struct conn *c = SSL_get_app_data(ssl);
	SSL_SESSION *copy;

	if (c != NULL)
		c->tickets++;
	if ((mode != MODE_RESUME && mode != MODE_RS) || npool == POOL_MAX)
		return 0;
	pool[npool++] = sess;
	if ((copy = SSL_SESSION_dup(sess)) != NULL) {
		if (latest)
			SSL_SESSION_free(latest);
		latest = copy;
	}
	return 1;
}

/* Offer a ticket on ssl: an unused one if any, else a copy of the newest. */
static void
offer_ticket(SSL *ssl)
{
	SSL_SESSION *s = NULL;

	if (npool > 0) {
		s = pool[--npool];
	} else if (latest) {
		s = SSL_SESSION_dup(latest);
		n_reoffered++;
	}
	if (s) {
		SSL_set_session(ssl, s);
		SSL_SESSION_free(s);
	}
}

static int
resolve(const char *host, const char *port)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;

	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	memcpy(&addr, res->ai_addr, res->ai_addrlen);
	addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static void
conn_close(struct conn *c)
{
	if (c->ssl)
		SSL_free(c->ssl);
	if (c->fd >= 0)
		close(c->fd);  /* also removes it from the epoll set */
	c->ssl = NULL;
	c->fd = -1;
	c->state = ST_FREE;
}

static int
conn_watch(struct conn *c, uint32_t events, int op)
{
	struct epoll_event ev = {.events = events, .data.ptr = c};

	return epoll_ctl(ep, op, c->fd, &ev);
}

/* Start a new connection in slot c. Returns 0 or -1. */
static int
conn_start(struct conn *c)
{
	int one = 1;

	memset(c, 0, sizeof(*c));
	c->fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->state = ST_CONNECTING;
	c->body_left = -1;
	c->last = now();
	if (connect(c->fd, (struct sockaddr *)&addr, addrlen) != 0 && errno != EINPROGRESS) {
		conn_close(c);
		return -1;
	}
	c->ssl = SSL_new(ctx);
	SSL_set_fd(c->ssl, c->fd);
	SSL_set_app_data(c->ssl, c);
	SSL_set_tlsext_host_name(c->ssl, "localhost");
	if (mode == MODE_RESUME && !priming)
		offer_ticket(c->ssl);
	return conn_watch(c, EPOLLOUT, EPOLL_CTL_ADD);
}

/* Map an SSL result to the epoll interest; -1 on a real error. */
static int
want(struct conn *c, int r)
{
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		return conn_watch(c, EPOLLIN, EPOLL_CTL_MOD);
	case SSL_ERROR_WANT_WRITE:
		return conn_watch(c, EPOLLOUT, EPOLL_CTL_MOD);
	default:
		return -1;
	}
}

/* Parse the response head once it is complete: 200 and Content-Length. */
static int
parse_head(struct conn *c, const char *buf, size_t n, size_t *used)
{
	size_t i;
	char *cl;

	for (i = 0; i < n && c->headlen < sizeof(c->head) - 1; i++) {
		c->head[c->headlen++] = buf[i];
		c->head[c->headlen] = '\0';
		if (c->headlen >= 4 && memcmp(c->head + c->headlen - 4, "\r\n\r\n", 4) == 0) {
			*used = i + 1;
			if (strncmp(c->head, "HTTP/1.1 200", 12) != 0)
				return -1;
			cl = strcasestr(c->head, "\r\ncontent-length:");
			if (cl == NULL)
				return -1;
			c->body_left = strtoll(cl + 17, NULL, 10);
			return 0;
		}
	}
	*used = i;
	return c->headlen >= sizeof(c->head) - 1 ? -1 : 0;
}

/* The handshake is done: count what it was. */
static void
handshake_done(struct conn *c)
{
	if (SSL_session_reused(c->ssl))
		n_resumed++;
	else
		n_full++;
	if (SSL_version(c->ssl) == TLS1_3_VERSION)
		n_tls13++;
	snprintf(cipher, sizeof(cipher), "%s", SSL_get_cipher_name(c->ssl));
	snprintf(group, sizeof(group), "%s", SSL_group_to_name(c->ssl, SSL_get_negotiated_group(c->ssl)));
}

/* Drive slot c as far as it goes. Returns 1 when the exchange is complete,
 * 0 to wait for the next event, -1 on error. */
static int
conn_step(struct conn *c)
{
	char buf[65536];
	int r, err;
	size_t used;

	c->last = now();
	for (;;) {
		switch (c->state) {
		case ST_CONNECTING:
			err = 0;
			getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &(socklen_t){sizeof(err)});
			if (err != 0)
				return -1;
			c->state = ST_HANDSHAKE;
			break;
		case ST_HANDSHAKE:
			ERR_clear_error();
			r = SSL_connect(c->ssl);
			if (r != 1)
				return want(c, r);
			handshake_done(c);
			if (mode == MODE_IDLE) {
				c->state = ST_IDLE;
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				return 1;
			}
			c->state = ST_WRITING;
			break;
		case ST_WRITING:
			ERR_clear_error();
			r = SSL_write(c->ssl, request + c->sent, (int)(request_len - c->sent));
			if (r <= 0)
				return want(c, r);
			c->sent += (size_t)r;
			if (c->sent == request_len)
				c->state = ST_READING;
			break;
		case ST_READING:
			ERR_clear_error();
			r = SSL_read(c->ssl, buf, sizeof(buf));
			if (r <= 0) {
				err = SSL_get_error(c->ssl, r);
				/* The server closes after "Connection: close": with
				 * close_notify, or a bare FIN (SYSCALL with no error). */
				if (err == SSL_ERROR_ZERO_RETURN ||
				    (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0))
					return c->body_left == 0 ? 1 : -1;
				return want(c, r);
			}
			used = 0;
			if (c->body_left < 0 && parse_head(c, buf, (size_t)r, &used) != 0)
				return -1;
			if (c->body_left >= 0) {
				c->body_left -= (long long)((size_t)r - used);
				if (c->body_left < 0)
					return -1;
			}
			break;
		default:
			return -1;
		}
	}
}

/* The serial modes (bench/run.sh --count): blocking I/O, one exchange at a
 * time. */

static void
serial_describe(SSL *ssl)
{
	const unsigned char *p;
	unsigned int plen;
	int md = NID_undef, pk = NID_undef;
	X509 *cert;
	EVP_PKEY *key;
	char grp[32] = "";

	SSL_get0_alpn_selected(ssl, &p, &plen);
	if (plen > 0 && plen < sizeof(alpn))
		snprintf(alpn, sizeof(alpn), "%.*s", (int)plen, (const char *)p);
	else
		snprintf(alpn, sizeof(alpn), "none");
	SSL_get_peer_signature_type_nid(ssl, &pk);
	SSL_get_peer_signature_nid(ssl, &md);
	if (SSL_session_reused(ssl))  /* a resumed handshake has no signature */
		snprintf(sigalg, sizeof(sigalg), "none-resumed");
	else
		snprintf(sigalg, sizeof(sigalg), "%s+%s",
		         pk == EVP_PKEY_EC ? "ECDSA" : pk != NID_undef ? OBJ_nid2sn(pk) : "?",
		         md != NID_undef ? OBJ_nid2sn(md) : "?");
	cert = SSL_get1_peer_certificate(ssl);
	key = cert ? X509_get0_pubkey(cert) : NULL;
	if (key) {
		size_t glen = 0;

		if (EVP_PKEY_get_group_name(key, grp, sizeof(grp), &glen) != 1)
			grp[0] = '\0';
		snprintf(certkey, sizeof(certkey), "%s%s%s", EVP_PKEY_get0_type_name(key),
		         grp[0] ? "-" : "", grp);
	}
	X509_free(cert);
}

/* A blocking connection with a full handshake; NULL on failure. */
static SSL *
serial_connect(int *fdp)
{
	static const unsigned char protos[] = "\x08http/1.1";
	struct timeval tv = {.tv_sec = 120};
	int one = 1, fd;
	SSL *ssl;

	fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&addr, addrlen) != 0) {
		close(fd);
		return NULL;
	}
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	SSL_set_tlsext_host_name(ssl, "localhost");
	SSL_set_alpn_protos(ssl, protos, sizeof(protos) - 1);
	if (mode == MODE_RS)
		offer_ticket(ssl);
	ERR_clear_error();
	if (SSL_connect(ssl) != 1) {
		SSL_free(ssl);
		close(fd);
		return NULL;
	}
	if (SSL_session_reused(ssl))
		n_resumed++;
	else
		n_full++;
	if (SSL_version(ssl) == TLS1_3_VERSION)
		n_tls13++;
	snprintf(cipher, sizeof(cipher), "%s", SSL_get_cipher_name(ssl));
	snprintf(group, sizeof(group), "%s", SSL_group_to_name(ssl, SSL_get_negotiated_group(ssl)));
	serial_describe(ssl);
	*fdp = fd;
	return ssl;
}

/* Send the request and read one whole 200 response; with to_close, read on
 * to the server's close. Returns the body's length, or -1. */
static long long
serial_exchange(SSL *ssl, int to_close)
{
	static char buf[65536];
	struct conn c;
	long long body = 0;
	size_t used;
	int r, err;

	memset(&c, 0, sizeof(c));
	c.body_left = -1;
	ERR_clear_error();
	if (SSL_write(ssl, request, (int)request_len) != (int)request_len)
		return -1;
	for (;;) {
		if (c.body_left == 0 && !to_close)
			break;
		ERR_clear_error();
		r = SSL_read(ssl, buf, sizeof(buf));
		if (r <= 0) {
			err = SSL_get_error(ssl, r);
			if (to_close && (err == SSL_ERROR_ZERO_RETURN ||
			                 (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)))
				break;
			return -1;
		}
		used = 0;
		if (c.body_left < 0) {
			if (parse_head(&c, buf, (size_t)r, &used) != 0)
				return -1;
			if (c.body_left >= 0)
				body = c.body_left;
		}
		if (c.body_left >= 0) {
			c.body_left -= (long long)((size_t)r - used);
			if (c.body_left < 0)
				return -1;
		}
	}
	return c.body_left == 0 ? body : -1;
}

static int
run_serial(long count, const char *path)
{
	const char *name = mode == MODE_KA ? "ka" : mode == MODE_HS ? "hs" : "rs";
	int per_conn = mode != MODE_KA;  /* a connection per request */
	long long bytes = 0, b;
	double start = now();
	SSL *ssl = NULL;
	long i;
	int fd = -1;

	request_len = (size_t)snprintf(request, sizeof(request),
	                               "GET %s HTTP/1.1\r\nHost: localhost\r\n%sUser-Agent: tlsload\r\n\r\n",
	                               path, per_conn ? "Connection: close\r\n" : "");
	if (!per_conn && (ssl = serial_connect(&fd)) == NULL)
		n_errors++;
	for (i = 0; i < count && n_errors == 0; i++) {
		if (per_conn && (ssl = serial_connect(&fd)) == NULL) {
			n_errors++;
			break;
		}
		if ((b = serial_exchange(ssl, per_conn)) < 0) {
			n_errors++;
		} else {
			n_ok++;
			bytes += b;
		}
		if (per_conn) {
			SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
			SSL_free(ssl);
			close(fd);
			ssl = NULL;
		}
	}
	if (ssl) {
		SSL_shutdown(ssl);
		SSL_free(ssl);
		close(fd);
	}
	printf("TLSLOAD mode=%s ok=%ld full=%ld resumed=%ld tls13=%ld errors=%ld reoffered=%ld bytes=%lld "
	       "seconds=%.3f cipher=%s group=%s alpn=%s sigalg=%s cert=%s\n",
	       name, n_ok, n_full, n_resumed, n_tls13, n_errors, n_reoffered, bytes, now() - start, cipher,
	       group, alpn, sigalg, certkey);
	if (n_errors)
		fprintf(stderr, "tlsload: %s exchange %ld failed\n", name, i + 1);
	return n_errors ? 1 : 0;
}

static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Unmeasured connections, one at a time, until the pool holds at least
 * want tickets (each full handshake brings OpenSSL servers' two). */
static int
prime(int want_tickets)
{
	struct conn c;
	struct epoll_event ev;
	double start = now();

	priming = 1;
	while (npool < want_tickets && now() - start < 10) {
		int r = 0;

		if (conn_start(&c) != 0)
			return -1;
		while (r == 0 && now() - start < 10) {
			if (epoll_wait(ep, &ev, 1, 1000) == 1)
				r = conn_step(&c);
		}
		if (r == 1)
			SSL_set_shutdown(c.ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
		conn_close(&c);
		if (r != 1)
			return -1;
	}
	priming = 0;
	n_ok = n_full = n_resumed = n_tls13 = n_errors = n_reoffered = n_tickets = 0;
	return npool >= want_tickets ? 0 : -1;
}

static int
run_load(double seconds, int conc)
{
	struct conn *slots = calloc((size_t)conc, sizeof(*slots));
	struct epoll_event evs[256];
	double start, end, t, last_sweep;
	int i, n;

	if (slots == NULL)
		return 1;
	if (mode == MODE_RESUME && prime(conc) != 0) {
		fprintf(stderr, "tlsload: could not get a session ticket to resume\n");
		return 1;
	}
	for (i = 0; i < conc; i++)
		if (conn_start(&slots[i]) != 0)
			n_errors++;
	start = last_sweep = now();
	end = start + seconds;
	while ((t = now()) < end) {
		n = epoll_wait(ep, evs, 256, 100);
		for (i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			int r = conn_step(c);

			if (r == 0)
				continue;
			if (r == 1) {
				n_ok++;
				n_tickets += c->tickets;
				/* Done cleanly: without this, SSL_free() marks the
				 * connection's session (the newest ticket) not resumable. */
				SSL_set_shutdown(c->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
			} else {
				n_errors++;
			}
			conn_close(c);
			if (conn_start(c) != 0)
				n_errors++;
		}
		/* A connection without progress for 10 s is an error (O(conc) once a second). */
		if (t - last_sweep > 1) {
			last_sweep = t;
			for (i = 0; i < conc; i++) {
				if (slots[i].state != ST_FREE && t - slots[i].last > 10) {
					n_errors++;
					conn_close(&slots[i]);
					if (conn_start(&slots[i]) != 0)
						n_errors++;
				}
			}
		}
	}
	t = now() - start;
	printf("TLSLOAD mode=%s ok=%ld full=%ld resumed=%ld tls13=%ld errors=%ld reoffered=%ld "
	       "tickets=%ld seconds=%.3f rate=%.1f cipher=%s group=%s\n",
	       mode == MODE_FULL ? "full" : "resume", n_ok, n_full, n_resumed, n_tls13, n_errors,
	       n_reoffered, n_tickets, t, (double)n_ok / t, cipher, group);
	/* full/resumed count handshakes, including those of the connections
	 * still in flight at the end: at most CONCURRENCY more than ok. */
	for (i = 0; i < conc; i++)
		if (slots[i].state != ST_FREE)
			conn_close(&slots[i]);
	free(slots);
	return 0;
}

static int
run_idle(long count, int conc, double hold)
{
	struct conn *slots = calloc((size_t)count, sizeof(*slots));
	struct epoll_event evs[256];
	struct pollfd *pfd;
	long next = 0, inflight = 0, alive = 0, i;
	double start = now(), deadline, t;
	int n, k;

	if (slots == NULL)
		return 1;
	for (i = 0; i < count; i++)
		slots[i].fd = -1;
	while ((next < count || inflight > 0) && now() - start < 120) {
		while (inflight < conc && next < count) {
			if (conn_start(&slots[next]) == 0)
				inflight++;
			else
				n_errors++;
			next++;
		}
		n = epoll_wait(ep, evs, 256, 200);
		/* A handshake without progress for 10 s (a server that stopped
		 * accepting) is an error, so the run always ends. O(count) per pass. */
		t = now();
		for (i = 0; i < next; i++) {
			if ((slots[i].state == ST_CONNECTING || slots[i].state == ST_HANDSHAKE) &&
			    t - slots[i].last > 10) {
				conn_close(&slots[i]);
				n_errors++;
				inflight--;
			}
		}
		for (k = 0; k < n; k++) {
			struct conn *c = evs[k].data.ptr;
			int r = conn_step(c);

			if (r == 0)
				continue;
			inflight--;
			if (r == 1) {
				n_ok++;
			} else {
				n_errors++;
				conn_close(c);
			}
		}
	}
	printf("TLSLOAD mode=idle established=%ld full=%ld tls13=%ld errors=%ld seconds=%.3f cipher=%s "
	       "group=%s\n", n_ok, n_full, n_tls13, n_errors, now() - start, cipher, group);
	fflush(stdout);
	deadline = now() + hold;
	while (!got_usr1 && now() < deadline)
		usleep(50000);
	/* A connection the server closed (FIN or RST) shows POLLRDHUP/POLLHUP/POLLERR,
	 * even with its NewSessionTicket bytes still unread. */
	pfd = calloc((size_t)count, sizeof(*pfd));
	for (i = 0; pfd && i < count; i++) {
		pfd[i].fd = slots[i].state == ST_IDLE ? slots[i].fd : -1;
		pfd[i].events = POLLRDHUP;
	}
	if (pfd && poll(pfd, (nfds_t)count, 0) >= 0) {
		for (i = 0; i < count; i++)
			if (pfd[i].fd >= 0 && !(pfd[i].revents & (POLLRDHUP | POLLHUP | POLLERR)))
				alive++;
	}
	printf("TLSLOAD alive=%ld\n", alive);
	fflush(stdout);
	free(pfd);
	for (i = 0; i < count; i++)
		if (slots[i].fd >= 0)
			conn_close(&slots[i]);
	free(slots);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *usage = "usage: tlsload full|resume HOST PORT SECONDS CONCURRENCY PATH\n"
	                    "       tlsload idle HOST PORT COUNT CONCURRENCY HOLD_SECONDS\n"
	                    "       tlsload ka|hs|rs HOST PORT COUNT PATH\n";
	struct sigaction sa = {.sa_handler = on_usr1};

	if (argc < 2 ||
	    argc != ((strcmp(argv[1], "ka") == 0 || strcmp(argv[1], "hs") == 0 || strcmp(argv[1], "rs") == 0) ? 6 : 7)) {
		fputs(usage, stderr);
		return 2;
	}
	if (strcmp(argv[1], "full") == 0)
		mode = MODE_FULL;
	else if (strcmp(argv[1], "resume") == 0)
		mode = MODE_RESUME;
	else if (strcmp(argv[1], "idle") == 0)
		mode = MODE_IDLE;
	else if (strcmp(argv[1], "ka") == 0)
		mode = MODE_KA;
	else if (strcmp(argv[1], "hs") == 0)
		mode = MODE_HS;
	else if (strcmp(argv[1], "rs") == 0)
		mode = MODE_RS;
	else {
		fputs(usage, stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGUSR1, &sa, NULL);
	raise_nofile();
	if (resolve(argv[2], argv[3]) != 0) {
		fprintf(stderr, "tlsload: cannot resolve %s:%s\n", argv[2], argv[3]);
		return 1;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	/* Sessions only through new_session(): no internal client cache, and
	 * in full mode none is ever offered. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(ctx, new_session);
	if (mode == MODE_KA || mode == MODE_HS || mode == MODE_RS)
		return run_serial(atol(argv[4]), argv[5]);
	if (mode == MODE_IDLE)
		return run_idle(atol(argv[4]), atoi(argv[5]), atof(argv[6]));
	request_len = (size_t)snprintf(request, sizeof(request),
	                               "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
	                               "User-Agent: tlsload\r\n\r\n", argv[6]);
	return run_load(atof(argv[4]), atoi(argv[5]));
}
