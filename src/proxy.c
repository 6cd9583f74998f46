/* proxy: the PROXY protocol header parser (HAProxy's proxy-protocol.txt, v1
 * text in section 2.1, v2 binary in section 2.2). Pure: no I/O, no allocation,
 * no globals besides const tables. The only view handed back (the v2
 * AUTHORITY) points into the caller's buffer, which is never written.
 *
 * The two forms, and how the first byte tells them apart (section 2.2):
 *
 *   v1:  "PROXY" SP ("TCP4" | "TCP6") SP src SP dst SP sport SP dport CRLF
 *        "PROXY" SP "UNKNOWN" [SP <anything but CR, LF>] CRLF   (<= 107 bytes)
 *   v2:  sig[12] ver_cmd fam len[2] | address block | TLV* |
 *        ^0x0D                      ^16              16 + len ^ = returned
 *
 * -2 is returned only while the bytes so far can still begin a valid header:
 * each v1 field is checked as it arrives (an address by asking inet_pton
 * whether some short completion of it is valid), and v2 fields and TLV
 * headers are checked as soon as they are present. Section 2.1 asks to abort
 * "as soon as possible"; a TLS ClientHello (0x16) fails on its first byte.
 *
 * Cost: v1 is one pass over at most 107 bytes plus at most a dozen inet_pton
 * calls on the field still arriving; v2 is O(number of TLVs).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "tlserve/proxy.h"

#define V1_MAX 107  /* 2.1: the worst-case line, CRLF included */
#define V1_TCP 11   /* offset of the source address: "PROXY TCP4 " */
#define V2_HDR 16   /* 2.2: sig[12], ver_cmd, fam, len[2] */
#define V2_LOCAL 0x0
#define V2_PROXY 0x1
#define PP2_TYPE_AUTHORITY 0x02

static const uint8_t v2_sig[12] = { 0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
	                            0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A };

/* The four fields of a v1 TCP line and what each may contain. */
enum v1_kind { V1_ADDR4, V1_ADDR6, V1_PORT };

/* The shortest text of each kind ("0.0.0.0", "::", "0"): how far a line
 * still has to go, to tell whether it can end within V1_MAX. */
static const size_t v1_min_len[] = { 7, 2, 1 };

/* The longest text of each kind: INET_ADDRSTRLEN and INET6_ADDRSTRLEN less
 * the NUL, and "65535". */
static const size_t v1_max_len[] = { 15, 45, 5 };

/* Fill one sockaddr from a raw address (4 or 16 bytes, network order) and a
 * port already in network order. Built on the stack and copied, so that
 * sockaddr_storage is never accessed through another struct type. */
static void
set_sockaddr(struct sockaddr_storage *ss, socklen_t *sslen, int af, const uint8_t *ip,
             uint16_t port_net)
{
	memset(ss, 0, sizeof(*ss));
	if (af == AF_INET) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = port_net };

		memcpy(&sin.sin_addr, ip, 4);
		memcpy(ss, &sin, sizeof(sin));
		*sslen = sizeof(sin);
	} else {
		struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = port_net };

		memcpy(&sin6.sin6_addr, ip, 16);
		memcpy(ss, &sin6, sizeof(sin6));
		*sslen = sizeof(sin6);
	}
}

/* 1 when lit[0..strlen) is at b[off..n), 0 when b[off..n) is a strict prefix
 * of it (more bytes are needed), -1 when they differ. */
static int
match_lit(const uint8_t *b, size_t n, size_t off, const char *lit)
{
	size_t want = strlen(lit), have = n - off < want ? n - off : want;

	if (memcmp(b + off, lit, have) != 0)
		return -1;
	return have == want;
}

/* The answer for a v1 line that is fine so far but unfinished, when the
 * shortest way to finish it ends at byte end: 2.1 says a line without CRLF in
 * its first 107 bytes is invalid. */
static int
v1_more(size_t end)
{
	return end <= V1_MAX ? -2 : -1;
}

/* 1 when c may appear in a field of this kind: decimal dotted quads, hex
 * groups and colons (and dots for an embedded IPv4) for IPv6, decimal ports. */
static int
v1_field_char(enum v1_kind k, uint8_t c)
{
	if (c >= '0' && c <= '9')
		return 1;
	if (k == V1_PORT)
		return 0;
	if (c == '.')
		return 1;
	return k == V1_ADDR6 && (c == ':' || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'));
}

/* An address field p[0..n) of family af, parsed by inet_pton into ip (16
 * bytes). Complete: returns 0 when valid. Partial: returns the length of the
 * shortest tail that makes it valid. -1 when there is none.
 *
 * The tails suffice: whatever follows a valid prefix, the same structure
 * filled with single zeros is no longer and is valid too. A prefix ending in
 * a group or octet ends there, or gets "::" / ".0"s; one ending in ':' gets
 * ":" or "0"; one ending in '.' gets "0"s; an empty one gets "::" or
 * "0.0.0.0". Anything that no tail repairs (a fifth octet, a group of five
 * digits, a second "::", a heading zero that 2.1 forbids) never will be. */
static int
v1_addr(int af, const uint8_t *p, size_t n, int partial, uint8_t *ip)
{
	static const char *const tails[] = {
		"", "0", ":", ".0", "::", ":0", "0::", "0.0", ".0.0", "0.0.0", ".0.0.0", "0.0.0.0",
	};
	char text[INET6_ADDRSTRLEN + 8];
	size_t ntails = partial ? sizeof(tails) / sizeof(tails[0]) : 1;

	if (n >= INET6_ADDRSTRLEN)
		return -1;
	memcpy(text, p, n);
	for (size_t i = 0; i < ntails; i++) {
		size_t tl = strlen(tails[i]);

		memcpy(text + n, tails[i], tl + 1);
		if (inet_pton(af, text, ip) == 1)
			return (int)tl;
	}
	return -1;
}

/* A port field p[0..n) of digits (2.1: decimal 0-65535, no heading zeroes).
 * Complete: returns 0 when valid, with the port in *port (host order).
 * Partial: returns 0, or 1 when still empty (a digit is needed). -1 when no
 * port starts with it: extra digits only make the value larger. */
static int
v1_port(const uint8_t *p, size_t n, int partial, uint16_t *port)
{
	uint32_t v = 0;

	if (n == 0)
		return partial ? 1 : -1;
	if (n > 5 || (p[0] == '0' && n > 1))
		return -1;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (uint32_t)(p[i] - '0');
	if (v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* One field p[0..n) of kind k, its bytes already of the right class; the
 * result goes to ip or port. Returns as v1_addr / v1_port. */
static int
v1_field(enum v1_kind k, const uint8_t *p, size_t n, int partial, uint8_t *ip, uint16_t *port)
{
	if (n > v1_max_len[k])
		return -1;
	if (k == V1_PORT)
		return v1_port(p, n, partial, port);
	return v1_addr(k == V1_ADDR4 ? AF_INET : AF_INET6, p, n, partial, ip);
}

/* The line ran out (at n bytes) inside field f, which starts at p and has
 * len bytes so far: -2 when that field can still be completed and the rest
 * of the line fit within V1_MAX, else -1. */
static int
v1_partial(const enum v1_kind *kinds, int f, const uint8_t *p, size_t len, size_t n)
{
	uint8_t ip[16];
	uint16_t port;
	int tail = v1_field(kinds[f], p, len, 1, ip, &port);
	size_t end;

	if (tail < 0)
		return -1;
	end = n + (size_t)tail + 1;  /* the field, then its SP or CR */
	for (int j = f + 1; j < 4; j++)
		end += v1_min_len[kinds[j]] + 1;
	return v1_more(end + 1);  /* LF */
}

/* "TCP4"/"TCP6" lines: b[V1_TCP..n) is src SP dst SP sport SP dport CRLF,
 * separated by exactly one space each (2.1). One pass: each field runs to the
 * first byte outside its class, which must be its separator. */
static int
v1_tcp(const uint8_t *b, size_t n, int af, struct proxy_result *r)
{
	enum v1_kind a = af == AF_INET ? V1_ADDR4 : V1_ADDR6;
	const enum v1_kind kinds[4] = { a, a, V1_PORT, V1_PORT };
	uint8_t ip[2][16];
	uint16_t port[2];
	size_t off = V1_TCP;

	for (int f = 0; f < 4; f++) {
		size_t e = off;

		while (e < n && v1_field_char(kinds[f], b[e]))
			e++;
		if (e == n)
			return v1_partial(kinds, f, b + off, e - off, n);
		if (b[e] != (f < 3 ? ' ' : '\r'))
			return -1;
		if (v1_field(kinds[f], b + off, e - off, 0, ip[f & 1], &port[f & 1]) < 0)
			return -1;
		off = e + 1;
	}
	if (off == n)
		return v1_more(n + 1);
	if (b[off] != '\n')
		return -1;  /* 2.1: a lone CR must not end the line */
	set_sockaddr(&r->src, &r->srclen, af, ip[0], htons(port[0]));
	set_sockaddr(&r->dst, &r->dstlen, af, ip[1], htons(port[1]));
	return (int)off + 1;
}

/* "UNKNOWN" lines (2.1): the receiver must ignore whatever comes before the
 * CRLF. We still ask that it be a separate field (SP or CRLF right after the
 * keyword) and hold no CR or LF, so that the line ends at its first CRLF. */
static int
v1_unknown(const uint8_t *b, size_t n)
{
	size_t i = 13;  /* just past "PROXY UNKNOWN" */

	if (i < n && b[i] == ' ')
		for (i++; i < n && b[i] != '\r' && b[i] != '\n'; i++)
			;
	if (i == n)
		return v1_more(n + 2);
	if (b[i] != '\r')
		return -1;
	if (i + 1 == n)
		return v1_more(n + 1);
	return b[i + 1] == '\n' ? (int)i + 2 : -1;
}

/* A v1 line at b[0..len) (2.1). Only the first V1_MAX bytes are looked at. */
static int
v1_parse(const uint8_t *b, size_t len, struct proxy_result *r)
{
	size_t n = len < V1_MAX ? len : V1_MAX;
	int m = match_lit(b, n, 0, "PROXY "), m4, m6, mu;

	if (m <= 0)
		return m == 0 ? -2 : -1;
	r->version = 1;
	m4 = match_lit(b, n, 6, "TCP4 ");
	m6 = match_lit(b, n, 6, "TCP6 ");
	mu = match_lit(b, n, 6, "UNKNOWN");
	if (m4 == 1)
		return v1_tcp(b, n, AF_INET, r);
	if (m6 == 1)
		return v1_tcp(b, n, AF_INET6, r);
	if (mu == 1) {
		r->local = 1;
		return v1_unknown(b, n);
	}
	return m4 == 0 || m6 == 0 || mu == 0 ? -2 : -1;
}

/* 2.2: the address block a PROXY command needs for the family byte: TCP or
 * UDP over IPv4 12, over IPv6 36, UNIX stream or datagram 216, UNSPEC 0.
 * -1 for every other value, which receivers "must reject as invalid". */
static int
v2_addr_len(uint8_t fam)
{
	switch (fam) {
	case 0x00:
		return 0;
	case 0x11:
	case 0x12:
		return 12;
	case 0x21:
	case 0x22:
		return 36;
	case 0x31:
	case 0x32:
		return 216;
	default:
		return -1;
	}
}

/* The fixed 16 bytes of a v2 header, checked byte by byte as they arrive.
 * Returns 0 with the command, the address block's size and len (the bytes
 * after these 16), -2 when more are needed, -1 when invalid. A LOCAL command
 * ignores the family byte (2.2: "discard the protocol block including the
 * family"), so its address block size is 0 and what follows is skipped. */
static int
v2_fixed(const uint8_t *b, size_t len, int *cmd, size_t *alen, size_t *total)
{
	int a = 0;

	if (memcmp(b, v2_sig, len < 12 ? len : 12) != 0)
		return -1;
	if (len < 13)
		return -2;
	if (b[12] >> 4 != 2 || (b[12] & 0xf) > V2_PROXY)
		return -1;  /* 2.2: version must be 2; other commands must be dropped */
	*cmd = b[12] & 0xf;
	if (len < 14)
		return -2;
	if (*cmd == V2_PROXY && (a = v2_addr_len(b[13])) < 0)
		return -1;
	if (len < 15)
		return -2;
	if ((size_t)b[14] << 8 > PROXY_MAX_HEADER - V2_HDR)
		return -1;
	if (len < 16)
		return -2;
	*total = (size_t)b[14] << 8 | b[15];
	*alen = (size_t)a;
	return *total > PROXY_MAX_HEADER - V2_HDR || *total < *alen ? -1 : 0;
}

/* The TLVs (2.2: type, 16-bit big-endian length, value) of a block of size
 * total at p, of which avail bytes are present. -1 when one would run past
 * the block, including a tail of 1 or 2 bytes too short for a TLV header;
 * that is known as soon as the TLV header is present. Records the first
 * AUTHORITY (2.2.2) and skips every other type, known or not (2.2 lets a
 * receiver ignore them; CRC32C, 2.2.3, is not verified). */
static int
v2_tlvs(const uint8_t *p, size_t avail, size_t total, struct proxy_result *r)
{
	size_t off = 0;

	while (off < total) {
		size_t vlen;

		if (total - off < 3)
			return -1;
		if (off + 3 > avail)
			return 0;  /* checked when the rest arrives */
		vlen = (size_t)p[off + 1] << 8 | p[off + 2];
		if (vlen > total - off - 3)
			return -1;
		if (p[off] == PP2_TYPE_AUTHORITY && r->authority == NULL) {
			r->authority = p + off + 3;
			r->authority_len = vlen;
		}
		off += 3 + vlen;
	}
	return 0;
}

/* The addresses of a complete PROXY command (2.2 "union proxy_addr"): TCP
 * over IPv4 or IPv6 gives src/dst; UNSPEC, UDP and UNIX keep the socket's
 * own addresses, as for LOCAL. Ports are copied in network order as sent. */
static void
v2_addresses(const uint8_t *b, struct proxy_result *r)
{
	const uint8_t *a = b + V2_HDR;
	uint16_t sport, dport;

	if (b[13] == 0x11) {
		memcpy(&sport, a + 8, 2);
		memcpy(&dport, a + 10, 2);
		set_sockaddr(&r->src, &r->srclen, AF_INET, a, sport);
		set_sockaddr(&r->dst, &r->dstlen, AF_INET, a + 4, dport);
	} else if (b[13] == 0x21) {
		memcpy(&sport, a + 32, 2);
		memcpy(&dport, a + 34, 2);
		set_sockaddr(&r->src, &r->srclen, AF_INET6, a, sport);
		set_sockaddr(&r->dst, &r->dstlen, AF_INET6, a + 16, dport);
	} else {
		r->local = 1;
	}
}

/* A v2 header at b[0..len) (2.2): the fixed part, then the TLVs after the
 * address block as far as they are present, then, once all 16 + len bytes
 * are in, the addresses. */
static int
v2_parse(const uint8_t *b, size_t len, struct proxy_result *r)
{
	size_t alen = 0, total = 0, start, end, avail;
	int cmd = V2_LOCAL, ret = v2_fixed(b, len, &cmd, &alen, &total);

	if (ret != 0)
		return ret;
	r->version = 2;
	start = V2_HDR + alen;
	end = V2_HDR + total;
	avail = len < end ? len : end;
	avail = avail > start ? avail - start : 0;
	if (cmd == V2_PROXY && v2_tlvs(b + start, avail, total - alen, r) < 0)
		return -1;
	if (len < end)
		return -2;
	if (cmd == V2_LOCAL)
		r->local = 1;
	else
		v2_addresses(b, r);
	return (int)end;
}

/* The public entry: the first byte picks the version ('P' or the v2
 * signature's CR, which no v1 line starts with); a version not in allowed
 * fails there. *out is written only on success. */
int
proxy_parse(const uint8_t *buf, size_t len, unsigned allowed, struct proxy_result *out)
{
	struct proxy_result r;
	int n;

	if ((allowed & (PROXY_V1 | PROXY_V2)) == 0)
		return -1;
	if (len == 0)
		return -2;
	memset(&r, 0, sizeof(r));
	if (buf[0] == 'P' && (allowed & PROXY_V1))
		n = v1_parse(buf, len, &r);
	else if (buf[0] == v2_sig[0] && (allowed & PROXY_V2))
		n = v2_parse(buf, len, &r);
	else
		return -1;
	if (n > 0)
		*out = r;
	return n;
}
