/* echo: every byte the client sends comes back unchanged and in order.
 * One buffer per connection: while the client does not read what we echo,
 * we do not read more from it, so memory stays bounded. */
#include <stddef.h>

#include "tlserve/conn.h"
#include "tlserve/tls.h"

enum conn_next
echo_read(struct conn *c)
{
	ssize_t n;

	if (conn_take_rbuf(c, true) != 0)
		return CONN_CLOSE;
	n = tls_read(c->tls, c->rbuf, CONN_ECHO_BUF);
	if (n > 0) {
		c->rlen = (size_t)n;
		c->woff = 0;
		c->state = CONN_WRITING;
		conn_send_progress(c);
		return CONN_CONTINUE;
	}
	if (n == TLS_WANT_POLLIN || n == TLS_WANT_POLLOUT) {
		conn_idle(c);  /* idle: the buffers go back */
	}
	return conn_io_next(c, n, CONN_OP_READ);
}

enum conn_next
echo_write(struct conn *c)
{
	ssize_t n = conn_write(c, c->rbuf + c->woff, c->rlen - c->woff, 0);

	if (n <= 0)
		return conn_io_next(c, n, CONN_OP_WRITE);
	c->woff += (size_t)n;
	c->x.sent += (uint64_t)n;
	metrics_add(&c->w->metrics[c->ep->index].echo_bytes, (uint64_t)n);
	if (c->woff < c->rlen)
		return CONN_CONTINUE;
	c->rlen = 0;
	c->woff = 0;
	c->state = c->w->draining ? CONN_SHUTDOWN : CONN_READING;
	return CONN_CONTINUE;
}
