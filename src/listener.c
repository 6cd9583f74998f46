/* listener: resolve and bind listening sockets. */
#include "tlserve/listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Seconds the kernel may hold a connection that has sent nothing before
 * handing it to accept(): a silent client then costs no worker wake-up. */
#define LISTENER_DEFER_ACCEPT_SECS 5

void
listener_set_port(struct listener_addr *a, unsigned port)
{
	a->port = port;
	if (a->ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&a->ss)->sin6_port = htons((uint16_t)port);
	else
		((struct sockaddr_in *)&a->ss)->sin_port = htons((uint16_t)port);
}

static unsigned
listener_port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

/* 1 when addr is already in list[0..n). */
static int
listener_seen(const struct listener_addr *list, size_t n, const struct addrinfo *ai)
{
	for (size_t i = 0; i < n; i++)
		if (list[i].len == ai->ai_addrlen && memcmp(&list[i].ss, ai->ai_addr, ai->ai_addrlen) == 0)
			return 1;
	return 0;
}

int
listener_resolve(const char *host, const char *port, struct listener_addr **out, size_t *n,
                 char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
	                         .ai_flags = AI_PASSIVE};
	struct addrinfo *res = NULL, *ai;
	struct listener_addr *list = NULL;
	size_t count = 0, k = 0;
	int r;

	r = getaddrinfo(host, port, &hints, &res);
	if (r != 0) {
		snprintf(err, errlen, "cannot resolve %s port %s: %s", host ? host : "*", port,
		         gai_strerror(r));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next)
		count++;
	list = calloc(count, sizeof(*list));
	if (list == NULL) {
		snprintf(err, errlen, "out of memory");
		freeaddrinfo(res);
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    listener_seen(list, k, ai))
			continue;
		memcpy(&list[k].ss, ai->ai_addr, ai->ai_addrlen);
		list[k].len = ai->ai_addrlen;
		list[k].port = listener_port_of(&list[k].ss);
		getnameinfo(ai->ai_addr, ai->ai_addrlen, list[k].text, sizeof(list[k].text), NULL, 0,
		            NI_NUMERICHOST);
		k++;
	}
	freeaddrinfo(res);
	*out = list;
	*n = k;
	return 0;
}

static int
listener_setsockopt(int fd, int level, int opt, int val)
{
	return setsockopt(fd, level, opt, &val, sizeof(val));
}

int
listener_probe(struct listener_addr *a, int *held, char *err, size_t errlen)
{
	struct sockaddr_storage got;
	socklen_t glen = sizeof(got);
	int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	int r = -1;

	if (fd < 0) {
		snprintf(err, errlen, "socket for %s: %s", a->text, strerror(errno));
		return -1;
	}
	if (listener_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1) != 0 ||
	    (a->ss.ss_family == AF_INET6 && listener_setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1))) {
		snprintf(err, errlen, "setsockopt on %s: %s", a->text, strerror(errno));
		goto out;
	}
	if (bind(fd, (struct sockaddr *)&a->ss, a->len) != 0) {
		snprintf(err, errlen, "cannot bind %s port %u: %s", a->text, a->port, strerror(errno));
		goto out;
	}
	if (a->port == 0 && getsockname(fd, (struct sockaddr *)&got, &glen) == 0)
		listener_set_port(a, listener_port_of(&got));
	*held = fd;  /* the caller closes it once every port is chosen */
	return 0;
out:
	close(fd);
	return r;
}

int
listener_bind(struct listener_addr *a, int backlog, char *err, size_t errlen)
{
	struct sockaddr_storage got;
	socklen_t glen = sizeof(got);
	int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);

	if (fd < 0) {
		snprintf(err, errlen, "socket for %s: %s", a->text, strerror(errno));
		return -1;
	}
	if (listener_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1) != 0 ||
	    listener_setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, 1) != 0 ||
	    (a->ss.ss_family == AF_INET6 && listener_setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1)) ||
	    listener_setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, LISTENER_DEFER_ACCEPT_SECS) != 0 ||
	    /* responses are written whole, so Nagle would only hold back their
	     * tails; accepted sockets inherit it: no setsockopt per connection */
	    listener_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, 1) != 0) {
		snprintf(err, errlen, "setsockopt on %s: %s", a->text, strerror(errno));
		goto fail;
	}
	if (bind(fd, (struct sockaddr *)&a->ss, a->len) != 0) {
		snprintf(err, errlen, "cannot bind %s port %u: %s", a->text, a->port, strerror(errno));
		goto fail;
	}
	if (listen(fd, backlog) != 0) {
		snprintf(err, errlen, "cannot listen on %s port %u: %s", a->text, a->port,
		         strerror(errno));
		goto fail;
	}
	if (a->port == 0 && getsockname(fd, (struct sockaddr *)&got, &glen) == 0)
		listener_set_port(a, listener_port_of(&got));
	return fd;
fail:
	close(fd);
	return -1;
}
