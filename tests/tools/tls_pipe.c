/* tls_pipe: a test client for echo services. Connects over TLS, sends standard
 * input while it reads the server's output to standard output (full duplex,
 * so a large stream never deadlocks), then closes its sending side — with
 * close_notify (default) or a bare TCP FIN (-f) — and keeps reading until the
 * server closes. Exit 0 only when the server ended with close_notify.
 *
 * With -P v1|v2 it first sends a PROXY protocol header naming the client
 * 203.0.113.7:4242 (a documentation address), as a load balancer would.
 *
 *   tls_pipe [-f] [-P v1|v2] [-n SERVERNAME] [-v 1.2|1.3] HOST PORT CAFILE < in > out */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

struct pipe_state {
	SSL *ssl;
	int fd;
	char out[16384];
	size_t outlen, outoff;
	int in_eof, sent_close, peer_closed;
};

static int
connect_to(const char *host, const char *port)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai;
	int fd = -1;

	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* Read the server's bytes to stdout. Returns -1 on error. */
static int
pump_in(struct pipe_state *s)
{
	char buf[16384];

	for (;;) {
		int n = SSL_read(s->ssl, buf, sizeof(buf));

		if (n > 0) {
			if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
				return -1;
			continue;
		}
		switch (SSL_get_error(s->ssl, n)) {
		case SSL_ERROR_WANT_READ:
		case SSL_ERROR_WANT_WRITE:
			return 0;
		case SSL_ERROR_ZERO_RETURN:
			s->peer_closed = 1;
			return 0;
		default:
			fprintf(stderr, "tls_pipe: read failed (no close_notify from the server)\n");
			ERR_print_errors_fp(stderr);
			return -1;
		}
	}
}

/* Send standard input. Returns -1 on error. */
static int
pump_out(struct pipe_state *s, int halfclose_tcp)
{
	while (!s->sent_close) {
		if (s->outoff == s->outlen && !s->in_eof) {
			ssize_t n = read(STDIN_FILENO, s->out, sizeof(s->out));

			if (n < 0)
				return -1;
			if (n == 0)
				s->in_eof = 1;
			s->outlen = (size_t)(n > 0 ? n : 0);
			s->outoff = 0;
		}
		if (s->outoff < s->outlen) {
			int n = SSL_write(s->ssl, s->out + s->outoff, (int)(s->outlen - s->outoff));

			if (n <= 0) {
				int e = SSL_get_error(s->ssl, n);

				return e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ ? 0 : -1;
			}
			s->outoff += (size_t)n;
			continue;
		}
		if (s->in_eof) {
			if (halfclose_tcp)
				shutdown(s->fd, SHUT_WR);
			else if (SSL_shutdown(s->ssl) < 0)
				return 0;  /* retry when writable */
			s->sent_close = 1;
		}
	}
	return 0;
}

/* A PROXY header for 203.0.113.7:4242 -> 192.0.2.1:443. Returns 0 or -1. */
static int
send_proxy_header(int fd, const char *version)
{
	static const unsigned char v2[] = {
		0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, /* signature */
		0x21, 0x11, 0x00, 0x0c,                                                 /* PROXY, TCP4, 12 */
		203, 0, 113, 7, 192, 0, 2, 1, 0x10, 0x92, 0x01, 0xbb};
	static const char v1[] = "PROXY TCP4 203.0.113.7 192.0.2.1 4242 443\r\n";
	const void *h = strcmp(version, "v2") == 0 ? (const void *)v2 : (const void *)v1;
	size_t n = strcmp(version, "v2") == 0 ? sizeof(v2) : sizeof(v1) - 1;

	return write(fd, h, n) == (ssize_t)n ? 0 : -1;
}

int
main(int argc, char **argv)
{
	struct pipe_state s = {0};
	const char *servername = "localhost", *version = NULL, *proxy = NULL;
	int halfclose_tcp = 0, ch, rc = 1;
	SSL_CTX *ctx;

	while ((ch = getopt(argc, argv, "fn:v:P:")) != -1) {
		if (ch == 'f')
			halfclose_tcp = 1;
		else if (ch == 'P')
			proxy = optarg;
		else if (ch == 'n')
			servername = optarg;
		else if (ch == 'v')
			version = optarg;
		else
			return 2;
	}
	if (argc - optind != 3) {
		fprintf(stderr, "usage: tls_pipe [-f] [-P v1|v2] [-n NAME] [-v 1.2|1.3] HOST PORT CAFILE\n");
		return 2;
	}
	ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_load_verify_locations(ctx, argv[optind + 2], NULL);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (version) {
		int v = strcmp(version, "1.3") == 0 ? TLS1_3_VERSION : TLS1_2_VERSION;

		SSL_CTX_set_min_proto_version(ctx, v);
		SSL_CTX_set_max_proto_version(ctx, v);
	}
	s.fd = connect_to(argv[optind], argv[optind + 1]);
	if (s.fd < 0) {
		fprintf(stderr, "tls_pipe: cannot connect\n");
		goto out;
	}
	if (proxy && send_proxy_header(s.fd, proxy) != 0) {
		fprintf(stderr, "tls_pipe: cannot send the PROXY header\n");
		goto out;
	}
	s.ssl = SSL_new(ctx);
	SSL_set_fd(s.ssl, s.fd);
	SSL_set_tlsext_host_name(s.ssl, servername);
	SSL_set1_host(s.ssl, servername);
	if (SSL_connect(s.ssl) != 1) {
		fprintf(stderr, "tls_pipe: handshake failed\n");
		ERR_print_errors_fp(stderr);
		goto out;
	}
	fcntl(s.fd, F_SETFL, fcntl(s.fd, F_GETFL) | O_NONBLOCK);
	while (!s.peer_closed) {
		struct pollfd p = {.fd = s.fd, .events = POLLIN};

		if (pump_out(&s, halfclose_tcp) != 0 || pump_in(&s) != 0)
			goto out;
		if (s.peer_closed)
			break;
		if (!s.sent_close)
			p.events |= POLLOUT;
		if (poll(&p, 1, 30000) <= 0) {
			fprintf(stderr, "tls_pipe: timed out\n");
			goto out;
		}
	}
	rc = s.sent_close ? 0 : 3;  /* the server closed before we were done: 3 */
out:
	fflush(stdout);
	if (s.ssl)
		SSL_free(s.ssl);
	if (s.fd >= 0)
		close(s.fd);
	SSL_CTX_free(ctx);
	return rc;
}
