/* test_tls: the TLS module over a real loopback TCP connection, with an
 * OpenSSL client on the other end, for what only a blocked socket shows:
 * a close_notify that could not be sent at once still leaves.
 *
 * A blocked socket on demand: the server writes while the client reads
 * nothing, then the server's SO_SNDBUF is lowered below what is queued:
 * every send(2) now says EAGAIN. Raising it again lets them through, as a
 * client that starts reading would. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tlserve/config.h"
#include "tlserve/tls.h"

struct pair {
	struct config *cfg;
	struct tls_server *srv;
	struct tls_conn *tc;   /* server side */
	int sfd;
	SSL_CTX *cctx;
	SSL *cssl;             /* client side */
	int cfd;
	struct tls_batch batch;
	bool has_batch;        /* batch given to the connection before the handshake */
};

static const char *
certs_dir(void)
{
	const char *d = getenv("CERTS");

	return d && *d ? d : "tests/certs";
}

static void
set_sndbuf(int fd, int size)
{
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size)), 0);
}

/* A connected pair of stream sockets, both non-blocking. AF_UNIX, not TCP:
 * what a TCP socket queues can grow by appending to its last unsent
 * segment whatever its send buffer says, so a small send may still go
 * through; a Unix socket charges every send to its send buffer. */
static void
sock_pair(int *server, int *client)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
	*server = sv[0];
	*client = sv[1];
}

/* Both handshakes, interleaved; bounded in steps. */
static void
handshake(struct pair *p)
{
	int sdone = 0, cdone = 0;

	for (int i = 0; i < 2000 && !(sdone && cdone); i++) {
		if (!cdone) {
			int r = SSL_connect(p->cssl);

			if (r == 1)
				cdone = 1;
			else
				assert_true(SSL_get_error(p->cssl, r) == SSL_ERROR_WANT_READ ||
				            SSL_get_error(p->cssl, r) == SSL_ERROR_WANT_WRITE);
		}
		if (!sdone) {
			tls_conn_event(p->tc, true, false);
			int r = tls_handshake(p->tc);

			if (r == 0)
				sdone = 1;
			else
				assert_true(r == TLS_WANT_POLLIN || r == TLS_WANT_POLLOUT);
		}
		poll(NULL, 0, 1);
	}
	assert_true(sdone && cdone);
}

/* A connection and its client; with_batch: the connection has a batch
 * from the start, as every served one has (its TLS 1.3 records are then
 * sealed by tlserve). max_version and suite (may be NULL) restrict the
 * client. */
static int
pair_open(void **state, bool with_batch, int max_version, const char *suite)
{
	char yaml[1024];
	struct config_errors errs = {0};
	struct pair *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	snprintf(yaml, sizeof(yaml),
	         "tls: {certificate: %s/server.crt, key: %s/server.key}\n"
	         "listeners:\n  - {name: t, host: 127.0.0.1, port: 0, mode: echo}\n",
	         certs_dir(), certs_dir());
	if (config_load_string(yaml, strlen(yaml), "test", ".", &p->cfg, &errs) != 0 ||
	    tls_server_new(&p->cfg->listeners[0], TLS_ALPN_NONE, &p->srv, &errs) != 0) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "setup: %s\n", errs.v[i].msg);
		config_errors_free(&errs);
		return -1;
	}
	sock_pair(&p->sfd, &p->cfd);
	assert_int_equal(tls_accept(p->srv, p->sfd, &p->tc), 0);
	if (with_batch) {
		assert_int_equal(tls_batch_init(&p->batch), 0);
		p->has_batch = true;
		tls_conn_set_batch(p->tc, &p->batch);
	}
	p->cctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(p->cctx);
	SSL_CTX_set_min_proto_version(p->cctx, max_version == TLS1_2_VERSION ? TLS1_2_VERSION
	                                                                      : TLS1_3_VERSION);
	SSL_CTX_set_max_proto_version(p->cctx, max_version);
	if (suite != NULL)
		assert_int_equal(SSL_CTX_set_ciphersuites(p->cctx, suite), 1);
	p->cssl = SSL_new(p->cctx);
	assert_non_null(p->cssl);
	SSL_set_fd(p->cssl, p->cfd);
	SSL_set_tlsext_host_name(p->cssl, "localhost");
	handshake(p);
	*state = p;
	return 0;
}

static int
setup(void **state)
{
	return pair_open(state, false, TLS1_3_VERSION, NULL);
}

static int
setup_sealed(void **state)
{
	return pair_open(state, true, TLS1_3_VERSION, NULL);
}

static int
teardown(void **state)
{
	struct pair *p = *state;

	tls_conn_free(p->tc);
	if (p->has_batch)
		tls_batch_fini(&p->batch);
	tls_server_unref(p->srv);
	config_free(p->cfg);
	SSL_free(p->cssl);
	SSL_CTX_free(p->cctx);
	close(p->sfd);
	close(p->cfd);
	free(p);
	return 0;
}

/* The server writes n bytes in full (its send buffer made large enough
 * first), then its socket is made to refuse every send. */
static void
fill_and_block(struct pair *p, size_t n)
{
	static char data[16384];
	size_t done = 0;

	set_sndbuf(p->sfd, 4 << 20);
	memset(data, 'd', sizeof(data));
	for (int i = 0; i < 1000 && done < n; i++) {
		ssize_t w = tls_write(p->tc, data, sizeof(data), 0);

		assert_true(w > 0);
		done += (size_t)w;
	}
	assert_true(done >= n);
	set_sndbuf(p->sfd, 1);  /* the kernel's minimum: far below what is queued */
}

/* The client reads everything that comes, until the server's close (or
 * until nothing more arrives for a while). Returns the SSL error code that
 * ended it: SSL_ERROR_ZERO_RETURN for a close_notify. */
static int
client_drain(struct pair *p, size_t *got)
{
	char buf[16384];
	int quiet = 0;

	*got = 0;
	for (int i = 0; i < 20000 && quiet < 200; i++) {
		int r = SSL_read(p->cssl, buf, sizeof(buf));
		if (r > 0) {
			*got += (size_t)r;
			quiet = 0;
			continue;
		}
		int e = SSL_get_error(p->cssl, r);

		if (e != SSL_ERROR_WANT_READ)
			return e;
		quiet++;
		poll(NULL, 0, 1);
	}
	return SSL_ERROR_WANT_READ;
}

/* tls_close on a full socket says "try again", and the retry, once the
 * socket takes bytes, really sends the close_notify (SSL_shutdown marks it
 * sent before it leaves). */
static void
test_close_notify_after_blocked_send(void **state)
{
	struct pair *p = *state;
	size_t got;
	int r;

	fill_and_block(p, 64 * 1024);
	r = tls_close(p->tc);
	assert_int_equal(r, TLS_WANT_POLLOUT);
	set_sndbuf(p->sfd, 4 << 20);  /* the client reads again */
	for (int i = 0; i < 100 && (r = tls_close(p->tc)) != 0; i++)
		assert_int_equal(r, TLS_WANT_POLLOUT);
	assert_int_equal(r, 0);
	assert_int_equal(shutdown(p->sfd, SHUT_WR), 0);
	assert_int_equal(client_drain(p, &got), SSL_ERROR_ZERO_RETURN);
	assert_true(got >= 64 * 1024);
	/* and asking again sends nothing more */
	assert_int_equal(tls_close(p->tc), 0);
}

/* Read what the client can now (non-blocking) into buf at *got; returns
 * the SSL error that stopped it (WANT_READ: nothing more for now). */
static int
client_read_some(struct pair *p, unsigned char *buf, size_t cap, size_t *got)
{
	for (;;) {
		int r = SSL_read(p->cssl, buf + *got, (int)(cap - *got > 16384 ? 16384 : cap - *got));

		if (r <= 0)
			return SSL_get_error(p->cssl, r);
		*got += (size_t)r;
		if (*got == cap)
			return SSL_ERROR_NONE;
	}
}

/* With a batch, the records of one tls_write leave together; the part the
 * socket does not take waits with the connection and goes first: a later
 * write says "try again" until it has gone, tls_close sends it before the
 * close_notify, and the client gets every byte, in order, then the close. */
static void
test_batch_partial_send(void **state)
{
	struct pair *p = *state;
	struct tls_batch own, *batch = p->has_batch ? &p->batch : &own;
	const size_t n = TLS_BATCH_PLAIN;
	unsigned char *data = malloc(n + 4096), *seen = calloc(1, n + 4096 + 1);
	size_t got = 0;
	int r = -1;

	assert_non_null(data);
	assert_non_null(seen);
	for (size_t i = 0; i < n + 4096; i++)
		data[i] = (unsigned char)(i * 7 + i / 251);
	if (!p->has_batch) {  /* given after the handshake: OpenSSL seals, tls_write batches */
		assert_int_equal(tls_batch_init(&own), 0);
		tls_conn_set_batch(p->tc, &own);
	}
	assert_true(tls_conn_batches(p->tc));
	assert_int_equal(tls_conn_seals(p->tc), p->has_batch);
	set_sndbuf(p->sfd, 16384);  /* far less than the batch: the send is partial */
	assert_int_equal(tls_write(p->tc, data, n, 0), (ssize_t)n);  /* all taken ... */
	assert_true(tls_out_pending(p->tc));                          /* ... not all sent */
	/* nothing overtakes what waits: not a write, not the close_notify */
	assert_int_equal(tls_write(p->tc, data + n, 4096, 0), TLS_WANT_POLLOUT);
	assert_int_equal(tls_close(p->tc), TLS_WANT_POLLOUT);
	for (int i = 0; i < 10000 && (r = tls_flush(p->tc)) != 0; i++) {
		assert_int_equal(r, TLS_WANT_POLLOUT);
		assert_int_equal(client_read_some(p, seen, n + 4096, &got), SSL_ERROR_WANT_READ);
		poll(NULL, 0, 1);
	}
	assert_int_equal(r, 0);
	assert_false(tls_out_pending(p->tc));
	assert_int_equal(tls_write(p->tc, data + n, 4096, 0), 4096);  /* one record: sent as it is */
	for (int i = 0; i < 10000 && (r = tls_close(p->tc)) != 0; i++) {
		assert_int_equal(r, TLS_WANT_POLLOUT);
		client_read_some(p, seen, n + 4096, &got);
		poll(NULL, 0, 1);
	}
	assert_int_equal(r, 0);
	assert_int_equal(shutdown(p->sfd, SHUT_WR), 0);
	for (int i = 0; i < 10000 && (r = client_read_some(p, seen, n + 4096 + 1, &got)) ==
	                                 SSL_ERROR_WANT_READ; i++)
		poll(NULL, 0, 1);
	assert_int_equal(r, SSL_ERROR_ZERO_RETURN);
	assert_int_equal(got, n + 4096);
	assert_memory_equal(seen, data, n + 4096);
	assert_int_equal(batch->nspare, 1);  /* the buffer that waited is back for reuse */
	if (!p->has_batch) {
		tls_conn_set_batch(p->tc, NULL);
		tls_batch_fini(&own);
	}
	free(data);
	free(seen);
}

/* The server sends n bytes with tls_write (at most a batch per call) while
 * the client reads: the client gets exactly those bytes. */
static void
transfer(struct pair *p, size_t n)
{
	unsigned char *data = malloc(n), *seen = malloc(n + 1);
	size_t done = 0, got = 0;

	assert_non_null(data);
	assert_non_null(seen);
	for (size_t i = 0; i < n; i++)
		data[i] = (unsigned char)(i * 13 + i / 509 + n);
	for (int i = 0; i < 20000 && got < n; i++) {
		int e;

		if (done < n) {
			size_t chunk = n - done > TLS_BATCH_PLAIN ? TLS_BATCH_PLAIN : n - done;
			ssize_t w = tls_write(p->tc, data + done, chunk, 0);

			if (w > 0)
				done += (size_t)w;
			else
				assert_int_equal(w, TLS_WANT_POLLOUT);
		} else if (tls_out_pending(p->tc)) {
			int r = tls_flush(p->tc);

			assert_true(r == 0 || r == TLS_WANT_POLLOUT);
		}
		e = client_read_some(p, seen, n, &got);
		assert_true(e == SSL_ERROR_WANT_READ || e == SSL_ERROR_NONE);
		if (got < n)
			poll(NULL, 0, done < n ? 0 : 1);
	}
	assert_int_equal(got, n);
	assert_memory_equal(seen, data, n);
	free(data);
	free(seen);
}

/* The server reads exactly len bytes the client sent. */
static void
server_read(struct pair *p, char *buf, size_t len)
{
	size_t got = 0;

	for (int i = 0; i < 2000 && got < len; i++) {
		ssize_t r;

		tls_conn_event(p->tc, true, false);
		r = tls_read(p->tc, buf + got, len - got);
		if (r > 0)
			got += (size_t)r;
		else
			assert_int_equal(r, TLS_WANT_POLLIN);
		if (got < len)
			poll(NULL, 0, 1);
	}
	assert_int_equal(got, len);
}

/* Every TLS 1.3 suite: records sealed by tlserve, one at a time and in
 * batches, open at the client with every byte right. */
static void
test_sealed_suites(void **state)
{
	const char *suites[] = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
	                        "TLS_CHACHA20_POLY1305_SHA256"};

	(void)state;
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		void *st = NULL;
		struct pair *p;

		assert_int_equal(pair_open(&st, true, TLS1_3_VERSION, suites[i]), 0);
		p = st;
		assert_string_equal(SSL_CIPHER_get_name(SSL_get_current_cipher(p->cssl)), suites[i]);
		assert_true(tls_conn_seals(p->tc));
		transfer(p, 1);
		transfer(p, 100);
		transfer(p, 16384);
		transfer(p, 16385);
		transfer(p, 3 * TLS_BATCH_PLAIN + 12345);
		assert_true(tls_conn_seals(p->tc));
		teardown(&st);
	}
}

/* TLS 1.2 stays with OpenSSL's record layer, and works as before. */
static void
test_tls12_not_sealed(void **state)
{
	void *st = NULL;
	struct pair *p;

	(void)state;
	assert_int_equal(pair_open(&st, true, TLS1_2_VERSION, NULL), 0);
	p = st;
	assert_int_equal(SSL_version(p->cssl), TLS1_2_VERSION);
	assert_false(tls_conn_seals(p->tc));
	transfer(p, 100);
	transfer(p, TLS_BATCH_PLAIN + 999);
	teardown(&st);
}

/* A client's KeyUpdate that asks for ours: the server answers with its own
 * KeyUpdate, then changes its key; OpenSSL 3.0 does not pass the new key
 * on, so the connection goes back to OpenSSL's record layer, which has it.
 * Every byte after the change opens under the new key. */
static void
test_key_update_requested(void **state)
{
	struct pair *p = *state;
	char buf[8];

	assert_true(tls_conn_seals(p->tc));
	transfer(p, 100000);
	for (int round = 0; round < 2; round++) {
		assert_int_equal(SSL_key_update(p->cssl, SSL_KEY_UPDATE_REQUESTED), 1);
		assert_int_equal(SSL_write(p->cssl, "ping", 4), 4);
		server_read(p, buf, 4);
		assert_memory_equal(buf, "ping", 4);
		transfer(p, 100);
		transfer(p, 2 * TLS_BATCH_PLAIN + 77);
		assert_false(tls_conn_seals(p->tc));
	}
	assert_int_equal(SSL_write(p->cssl, "pong", 4), 4);
	server_read(p, buf, 4);
	assert_memory_equal(buf, "pong", 4);
}

/* A short record the socket does not take waits as a copy of its own size,
 * not in a batch buffer taken from the worker; it still goes first, and
 * the client gets every byte. */
static void
test_small_rest_copied(void **state)
{
	struct pair *p = *state;
	unsigned char small[1000], seen[64 * 1024 + 1000];
	size_t got = 0;
	int r = -1;

	memset(small, 's', sizeof(small));
	fill_and_block(p, 64 * 1024);
	assert_int_equal(tls_write(p->tc, small, sizeof(small), 0), (ssize_t)sizeof(small));
	assert_true(tls_out_pending(p->tc));
	assert_int_equal(tls_write(p->tc, small, sizeof(small), 0), TLS_WANT_POLLOUT);
	set_sndbuf(p->sfd, 4 << 20);
	for (int i = 0; i < 1000 && (r = tls_flush(p->tc)) != 0; i++) {
		assert_int_equal(r, TLS_WANT_POLLOUT);
		client_read_some(p, seen, sizeof(seen), &got);
		poll(NULL, 0, 1);
	}
	assert_int_equal(r, 0);
	assert_int_equal(p->batch.nspare, 0);  /* no batch buffer waited, none came back */
	for (int i = 0; i < 1000 && got < sizeof(seen); i++) {
		client_read_some(p, seen, sizeof(seen), &got);
		poll(NULL, 0, 1);
	}
	assert_int_equal(got, sizeof(seen));
	assert_memory_equal(seen + 64 * 1024, small, sizeof(small));
}

/* A KeyUpdate that does not ask for ours changes only the client's key:
 * sealing goes on. */
static void
test_key_update_not_requested(void **state)
{
	struct pair *p = *state;
	char buf[8];

	assert_true(tls_conn_seals(p->tc));
	assert_int_equal(SSL_key_update(p->cssl, SSL_KEY_UPDATE_NOT_REQUESTED), 1);
	assert_int_equal(SSL_write(p->cssl, "ping", 4), 4);
	server_read(p, buf, 4);
	assert_memory_equal(buf, "ping", 4);
	transfer(p, TLS_BATCH_PLAIN + 1);
	assert_true(tls_conn_seals(p->tc));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_close_notify_after_blocked_send, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_partial_send, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_partial_send, setup_sealed, teardown),
		cmocka_unit_test_setup_teardown(test_close_notify_after_blocked_send, setup_sealed,
		                                teardown),
		cmocka_unit_test(test_sealed_suites),
		cmocka_unit_test(test_tls12_not_sealed),
		cmocka_unit_test_setup_teardown(test_key_update_requested, setup_sealed, teardown),
		cmocka_unit_test_setup_teardown(test_key_update_not_requested, setup_sealed, teardown),
		cmocka_unit_test_setup_teardown(test_small_rest_copied, setup_sealed, teardown),
	};
	int rc;

	tls_init();
	rc = cmocka_run_group_tests_name("tls", tests, NULL, NULL);
	tls_fini();
	return rc;
}
