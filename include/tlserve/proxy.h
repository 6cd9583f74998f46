/* proxy: the PROXY protocol header (HAProxy's proxy-protocol.txt, v1 text
 * and v2 binary) that a load balancer sends before the TLS handshake.
 * Pure: no I/O, no allocation, no globals. */
#ifndef TLSERVE_PROXY_H
#define TLSERVE_PROXY_H
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define PROXY_V1 1u
#define PROXY_V2 2u

/* The longest header accepted: v1 is at most 107 bytes; v2 is 16 + length,
 * and we refuse v2 headers (with TLVs) larger than this. */
#define PROXY_MAX_HEADER 1024

struct proxy_result {
	int version;                  /* 1 or 2 */
	int local;                    /* 1: v2 LOCAL command or v1 "UNKNOWN": keep the socket's addresses */
	struct sockaddr_storage src;  /* the client; valid when !local (AF_INET or AF_INET6) */
	struct sockaddr_storage dst;
	socklen_t srclen, dstlen;
	/* v2 TLVs of interest (views into the input, n = 0 when absent) */
	const uint8_t *authority;     /* PP2_TYPE_AUTHORITY (0x02): the SNI the balancer saw */
	size_t authority_len;
};

/* Parse a PROXY header at the start of buf[0..len); allowed is a mask of
 * PROXY_V1 | PROXY_V2. Returns the header's length (> 0) with *out filled,
 * -2 when more bytes are needed (only while the bytes so far are a valid
 * prefix of an allowed header), or -1 when it is not a valid allowed header:
 * wrong signature, v1 line without CRLF within 107 bytes, bad addresses or
 * ports (v1: decimal 0-65535 without leading zeros beyond "0", IPv4
 * dotted-quad / IPv6 text matching the TCP4/TCP6 family), v2 version not 2,
 * command not LOCAL/PROXY, a PROXY command whose family byte is not one of
 * 0x00 0x11 0x12 0x21 0x22 0x31 0x32 or whose address block is shorter than
 * that family needs, length over PROXY_MAX_HEADER - 16, malformed TLVs (a TLV
 * running past the end). Unknown TLV types are skipped. v2 UNSPEC, AF_UNIX and
 * UDP are treated as "local". A LOCAL command's family, addresses and TLVs are
 * ignored (proxy-protocol.txt 2.2), so it never sets authority.
 * The authority view stays valid as long as buf does. */
int proxy_parse(const uint8_t *buf, size_t len, unsigned allowed, struct proxy_result *out);

#endif
