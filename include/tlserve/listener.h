/* listener: getaddrinfo over a listener's host and port, and a listening
 * socket per resolved address. Binds every address getaddrinfo returns, not
 * only the first. Never logs: errors go to the caller's buffer. */
#ifndef TLSERVE_LISTENER_H
#define TLSERVE_LISTENER_H
#include <stddef.h>
#include <sys/socket.h>

struct listener_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[64];     /* numeric address, IPv6 without brackets */
	unsigned port;     /* the real port once bound */
};

/* Resolve host (NULL = every local address, IPv6 and IPv4) and port (number or
 * service name) to the distinct stream addresses to bind. On success returns 0
 * with *out (free()) and *n >= 1; on failure -1 with a message in err. */
int listener_resolve(const char *host, const char *port, struct listener_addr **out, size_t *n,
                     char *err, size_t errlen);

/* Socket, SO_REUSEADDR + SO_REUSEPORT (so each worker has its own socket on
 * the same address), IPV6_V6ONLY, TCP_DEFER_ACCEPT, bind, listen. When the
 * address asks for port 0 the kernel's choice is written back to a->port and
 * a->ss. Returns the non-blocking, close-on-exec descriptor, or -1 with err. */
int listener_bind(struct listener_addr *a, int backlog, char *err, size_t errlen);

/* Bind a plain socket (no SO_REUSEPORT): fails with "address in use" when
 * another process already serves the address, which SO_REUSEPORT alone
 * would silently share. Chooses the port when a->port is 0. Returns 0 with
 * the bound socket in *held, which the caller closes once every listener's
 * port is chosen (closed at once, its port could be chosen again for
 * another listener's port 0, and the two would then share it), or -1 with
 * err. */
int listener_probe(struct listener_addr *a, int *held, char *err, size_t errlen);

/* Set the port of an address (after a port-0 bind chose one for a sibling). */
void listener_set_port(struct listener_addr *a, unsigned port);

#endif
