/* Unit tests for src/proxy.c: named, table-driven cases in the picotest style.
 * Every input sits at the end of a page followed by a PROT_NONE page, so an
 * over-read crashes. For a complete header: every shorter prefix must give -2,
 * every longer input (trailing bytes) the same length, and the answer must not
 * change when only the detected version is allowed. For an invalid input:
 * every prefix gives -2 or -1, and once -1 always -1. *out is checked to be
 * untouched whenever the answer is not a success. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "guard.h"
#include "tlserve/proxy.h"

#define ALL 0                      /* expected return: the whole input is one header */
#define BOTH (PROXY_V1 | PROXY_V2)
#define NONE 4u                    /* an allowed mask without either version */
#define IN(lit) .in = (lit), .len = sizeof(lit) - 1

struct pcase {
	const char *name;
	const char *in;
	size_t len;
	int ret;                /* ALL, a header length, -2 or -1 */
	unsigned allowed;       /* 0: BOTH */
	int version, local;
	int af;                 /* when !local */
	const char *src, *dst;
	int sport, dport;
	const char *auth;       /* the AUTHORITY expected, NULL when none */
	size_t auth_len;
};

/* v1 (proxy-protocol.txt 2.1) */
#define OK1(nm, in, f, s, d, sp, dp) \
	{ .name = (nm), IN(in), .ret = ALL, .version = 1, .af = (f), .src = (s), .dst = (d), \
	  .sport = (sp), .dport = (dp) }
#define LOCAL1(nm, in) { .name = (nm), IN(in), .ret = ALL, .version = 1, .local = 1 }
/* A complete header hdr followed by bytes that are not part of it. */
#define TAIL1(nm, hdr, tail, f, s, d, sp, dp) \
	{ .name = (nm), IN(hdr tail), .ret = sizeof(hdr) - 1, .version = 1, .af = (f), \
	  .src = (s), .dst = (d), .sport = (sp), .dport = (dp) }

/* v2 (2.2) */
#define OK2(nm, in, f, s, d, sp, dp) \
	{ .name = (nm), IN(in), .ret = ALL, .version = 2, .af = (f), .src = (s), .dst = (d), \
	  .sport = (sp), .dport = (dp) }
#define OK2A(nm, in, f, s, d, sp, dp, a) \
	{ .name = (nm), IN(in), .ret = ALL, .version = 2, .af = (f), .src = (s), .dst = (d), \
	  .sport = (sp), .dport = (dp), .auth = (a), .auth_len = sizeof(a) - 1 }
#define LOCAL2(nm, in) { .name = (nm), IN(in), .ret = ALL, .version = 2, .local = 1 }
#define LOCAL2A(nm, in, a) \
	{ .name = (nm), IN(in), .ret = ALL, .version = 2, .local = 1, .auth = (a), \
	  .auth_len = sizeof(a) - 1 }
#define TAIL2(nm, hdr, tail, f, s, d, sp, dp) \
	{ .name = (nm), IN(hdr tail), .ret = sizeof(hdr) - 1, .version = 2, .af = (f), \
	  .src = (s), .dst = (d), .sport = (sp), .dport = (dp) }

#define MORE(nm, in) { .name = (nm), IN(in), .ret = -2 }
#define ERR(nm, in) { .name = (nm), IN(in), .ret = -1 }
#define ONLY(nm, in, mask, r) { .name = (nm), IN(in), .ret = (r), .allowed = (mask) }

/* Sample v1 lines. */
#define T4 "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n"
#define T6 "PROXY TCP6 2001:db8::1 2001:db8::2 1111 2222\r\n"
#define FFFF8 "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
#define MAPPED_LONG "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"
#define X10 "xxxxxxxxxx"
#define X90 X10 X10 X10 X10 X10 X10 X10 X10 X10

/* Sample v2 pieces. The literals are split so no \x escape swallows a digit. */
#define SIG "\r\n\r\n\0\r\nQUIT\n"
/* 192.0.2.1:56324 -> 198.51.100.2:443 */
#define A4 "\xc0\x00\x02\x01" "\xc6\x33\x64\x02" "\xdc\x04" "\x01\xbb"
/* [2001:db8::1]:1111 -> [2001:db8::2]:2222 */
#define IP6(last) "\x20\x01\x0d\xb8" "\0\0\0\0" "\0\0\0\0" "\0\0\0" last
#define A6 IP6("\x01") IP6("\x02") "\x04\x57" "\x08\xae"
#define V2T4 SIG "\x21\x11" "\x00\x0c" A4
#define V2T6 SIG "\x21\x21" "\x00\x24" A6
#define TLV_ALPN "\x01\x00\x02" "h2"                    /* 5 bytes */
#define TLV_AUTH "\x02\x00\x0c" "example.test"          /* 15 */
#define TLV_CRC "\x03\x00\x04" "\x12\x34\x56\x78"       /* 7 */
#define TLV_NOOP "\x04\x00\x03" "\0\0\0"                /* 6 */
#define TLV_CUSTOM "\xe0\x00\x01" "x"                   /* 4 */
/* SSL (2.2.6): client SSL, verified, sub-TLVs VERSION "TLSv1.3" and CN "user". */
#define TLV_SSL "\x20\x00\x16" "\x01" "\0\0\0\0" "\x21\x00\x07" "TLSv1.3" "\x22\x00\x04" "user"
#define HELLO "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" /* a ClientHello's start */

static const struct pcase cases[] = {
	/* v1: complete lines */
	OK1("v1_tcp4", T4, AF_INET, "192.168.0.1", "192.168.0.11", 56324, 443),
	OK1("v1_tcp4_extremes", "PROXY TCP4 255.255.255.255 0.0.0.0 65535 0\r\n", AF_INET,
	    "255.255.255.255", "0.0.0.0", 65535, 0),
	OK1("v1_tcp4_short", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n", AF_INET, "1.2.3.4", "5.6.7.8",
	    1, 2),
	OK1("v1_tcp6", T6, AF_INET6, "2001:db8::1", "2001:db8::2", 1111, 2222),
	OK1("v1_tcp6_longest_104", "PROXY TCP6 " FFFF8 " " FFFF8 " 65535 65535\r\n", AF_INET6,
	    FFFF8, FFFF8, 65535, 65535),
	OK1("v1_tcp6_upper_case", "PROXY TCP6 2001:DB8::A ::ABCD 80 443\r\n", AF_INET6,
	    "2001:db8::a", "::abcd", 80, 443),
	OK1("v1_tcp6_unspecified", "PROXY TCP6 :: ::1 0 1\r\n", AF_INET6, "::", "::1", 0, 1),
	OK1("v1_tcp6_v4_mapped", "PROXY TCP6 ::ffff:192.0.2.1 ::1 1 2\r\n", AF_INET6,
	    "::ffff:192.0.2.1", "::1", 1, 2),
	OK1("v1_tcp6_group_zeros", "PROXY TCP6 0001:0db8:0:0:0:0:0:0001 ::2 1 2\r\n", AF_INET6,
	    "1:db8::1", "::2", 1, 2),
	LOCAL1("v1_unknown_short", "PROXY UNKNOWN\r\n"),
	LOCAL1("v1_unknown_worst_case_107", "PROXY UNKNOWN " FFFF8 " " FFFF8 " 65535 65535\r\n"),
	LOCAL1("v1_unknown_107", "PROXY UNKNOWN " X90 "x\r\n"),
	LOCAL1("v1_unknown_ignores_rest", "PROXY UNKNOWN not \x01 an \xff" " address\r\n"),
	LOCAL1("v1_unknown_sp_only", "PROXY UNKNOWN \r\n"),
	TAIL1("v1_then_clienthello", T4, HELLO, AF_INET, "192.168.0.1", "192.168.0.11", 56324,
	      443),
	TAIL1("v1_then_http", "PROXY TCP4 10.0.0.1 10.0.0.2 1000 8443\r\n",
	      "GET / HTTP/1.1\r\n\r\n", AF_INET, "10.0.0.1", "10.0.0.2", 1000, 8443),
	TAIL1("v1_then_v1", T6, T6, AF_INET6, "2001:db8::1", "2001:db8::2", 1111, 2222),
	{ .name = "v1_unknown_then_crlf", IN("PROXY UNKNOWN\r\n\r\n"), .ret = 15, .version = 1,
	  .local = 1 },

	/* v1: valid so far */
	MORE("empty", ""),
	MORE("v1_p", "P"),
	MORE("v1_proxy", "PROXY"),
	MORE("v1_proxy_sp", "PROXY "),
	MORE("v1_tcp", "PROXY TCP"),
	MORE("v1_u", "PROXY U"),
	MORE("v1_unknown_no_crlf", "PROXY UNKNOWN"),
	MORE("v1_unknown_cr", "PROXY UNKNOWN \r"),
	MORE("v1_src_partial", "PROXY TCP4 192.168."),
	MORE("v1_src_v4_mapped_partial", "PROXY TCP6 ::ffff:1.2."),
	MORE("v1_src_group", "PROXY TCP6 fe80"),
	MORE("v1_port_zero_so_far", "PROXY TCP4 1.2.3.4 5.6.7.8 0"),
	MORE("v1_before_lf", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r"),

	/* v1: invalid */
	ERR("bad_signature", "GET / HTTP/1.1\r\n\r\n"),
	ERR("tls_record", HELLO),
	ERR("tls_first_byte", "\x16"),
	ERR("ssh_banner", "SSH-2.0-OpenSSH_9.2\r\n"),
	ERR("v1_lowercase", "proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n"),
	ERR("v1_lowercase_p", "p"),
	ERR("v1_proxyx", "PROXYX"),
	ERR("v1_no_sp", "PROXYTCP4 1.2.3.4 5.6.7.8 1 2\r\n"),
	ERR("v1_tcp4_lowercase", "PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n"),
	ERR("v1_double_sp_after_proxy", "PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n"),
	ERR("v1_double_sp_after_proto", "PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n"),
	ERR("v1_double_sp_between_addrs", "PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n"),
	ERR("v1_double_sp_between_ports", "PROXY TCP4 1.2.3.4 5.6.7.8 1  2\r\n"),
	ERR("v1_sp_before_crlf", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n"),
	ERR("v1_htab", "PROXY TCP4\t1.2.3.4 5.6.7.8 1 2\r\n"),
	ERR("v1_tcp5", "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n"),
	ERR("v1_udp4", "PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n"),
	ERR("v1_octet_256", "PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n"),
	ERR("v1_three_octets", "PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n"),
	ERR("v1_five_octets", "PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n"),
	ERR("v1_octet_leading_zero", "PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n"),
	ERR("v1_empty_octet", "PROXY TCP4 1..3.4 5.6.7.8 1 2\r\n"),
	ERR("v1_port_65536", "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n"),
	ERR("v1_port_99999", "PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n"),
	ERR("v1_port_six_digits", "PROXY TCP4 1.2.3.4 5.6.7.8 000001 2\r\n"),
	ERR("v1_port_leading_zero", "PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n"),
	ERR("v1_port_00", "PROXY TCP4 1.2.3.4 5.6.7.8 1 00\r\n"),
	ERR("v1_port_negative", "PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n"),
	ERR("v1_port_plus", "PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n"),
	ERR("v1_port_hex", "PROXY TCP4 1.2.3.4 5.6.7.8 0x1 2\r\n"),
	ERR("v1_tcp4_with_ipv6", "PROXY TCP4 ::1 ::1 1 2\r\n"),
	ERR("v1_tcp6_with_ipv4", "PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n"),
	ERR("v1_mixed_families", "PROXY TCP4 1.2.3.4 ::1 1 2\r\n"),
	ERR("v1_missing_port", "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n"),
	ERR("v1_extra_field", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n"),
	ERR("v1_bare_lf", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"),
	ERR("v1_bare_cr", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX"),
	ERR("v1_crcr_lf", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n"),
	ERR("v1_nul_in_addr", "PROXY TCP4 1.2.3\0.4 5.6.7.8 1 2\r\n"),
	ERR("v1_tcp6_nine_groups", "PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n"),
	ERR("v1_tcp6_two_double_colons", "PROXY TCP6 1::2::3 ::1 1 2\r\n"),
	ERR("v1_tcp6_zero_width_dc", "PROXY TCP6 1:2:3:4::5:6:7:8 ::1 1 2\r\n"),
	ERR("v1_tcp6_five_hex", "PROXY TCP6 12345:: ::1 1 2\r\n"),
	ERR("v1_tcp6_zone", "PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n"),
	ERR("v1_tcp6_brackets", "PROXY TCP6 [::1] ::1 1 2\r\n"),
	ERR("v1_unknown_glued", "PROXY UNKNOWNX\r\n"),
	ERR("v1_unknown_bare_lf", "PROXY UNKNOWN\n"),
	ERR("v1_unknown_lf_inside", "PROXY UNKNOWN a\nb\r\n"),
	ERR("v1_unknown_cr_inside", "PROXY UNKNOWN a\rb\r\n"),
	ERR("v1_unknown_lowercase", "PROXY unknown\r\n"),
	ERR("v1_unknown_108", "PROXY UNKNOWN " X90 "xx\r\n"),
	ERR("v1_no_crlf_in_107", "PROXY UNKNOWN " X90 "xxx"),
	ERR("v1_cr_at_byte_107", "PROXY UNKNOWN " X90 "xx\r"),
	ERR("v1_tcp6_mapped_108", "PROXY TCP6 " MAPPED_LONG " " MAPPED_LONG " 1 1\r\n"),
	/* invalid before the line is complete (2.1: abort as soon as possible) */
	ERR("v1_partial_octet_256", "PROXY TCP4 256"),
	ERR("v1_partial_octet_zero_digit", "PROXY TCP4 1.2.00"),
	ERR("v1_partial_port_65536", "PROXY TCP4 1.2.3.4 5.6.7.8 65536"),
	ERR("v1_partial_port_01", "PROXY TCP4 1.2.3.4 5.6.7.8 01"),
	ERR("v1_partial_tcp6_ninth_group", "PROXY TCP6 ::1:2:3:4:5:6:7:"),
	ERR("v1_partial_tcp6_second_dc", "PROXY TCP6 1::2::"),
	ERR("v1_partial_tcp6_v4_first", "PROXY TCP6 1.2"),
	ERR("v1_partial_cannot_fit_107", "PROXY TCP6 " MAPPED_LONG " " MAPPED_LONG),

	/* v2: complete headers */
	OK2("v2_tcp4", V2T4, AF_INET, "192.0.2.1", "198.51.100.2", 56324, 443),
	OK2("v2_tcp6", V2T6, AF_INET6, "2001:db8::1", "2001:db8::2", 1111, 2222),
	OK2A("v2_tcp4_tlvs",
	     SIG "\x21\x11" "\x00\x31" A4 TLV_ALPN TLV_AUTH TLV_NOOP TLV_CRC TLV_CUSTOM, AF_INET,
	     "192.0.2.1", "198.51.100.2", 56324, 443, "example.test"),
	OK2A("v2_tcp6_ssl_tlv", SIG "\x21\x21" "\x00\x4c" A6 TLV_SSL TLV_AUTH, AF_INET6,
	     "2001:db8::1", "2001:db8::2", 1111, 2222, "example.test"),
	OK2A("v2_first_authority_wins",
	     SIG "\x21\x11" "\x00\x14" A4 "\x02\x00\x01" "a" "\x02\x00\x01" "b", AF_INET,
	     "192.0.2.1", "198.51.100.2", 56324, 443, "a"),
	OK2A("v2_empty_authority", SIG "\x21\x11" "\x00\x0f" A4 "\x02\x00\x00", AF_INET,
	     "192.0.2.1", "198.51.100.2", 56324, 443, ""),
	OK2A("v2_authority_with_nul", SIG "\x21\x11" "\x00\x10" A4 "\x02\x00\x01" "\0", AF_INET,
	     "192.0.2.1", "198.51.100.2", 56324, 443, "\0"),
	OK2("v2_empty_noop", SIG "\x21\x11" "\x00\x0f" A4 "\x04\x00\x00", AF_INET, "192.0.2.1",
	    "198.51.100.2", 56324, 443),
	OK2("v2_unknown_type_ff", SIG "\x21\x11" "\x00\x10" A4 "\xff\x00\x01" "\xff", AF_INET,
	    "192.0.2.1", "198.51.100.2", 56324, 443),
	OK2("v2_ports_zero_and_max",
	    SIG "\x21\x11" "\x00\x0c" "\x7f\0\0\x01" "\x0a\0\0\x01" "\0\0" "\xff\xff", AF_INET,
	    "127.0.0.1", "10.0.0.1", 0, 65535),
	LOCAL2("v2_local", SIG "\x20\x00" "\x00\x00"),
	LOCAL2("v2_local_with_addresses", SIG "\x20\x11" "\x00\x0c" A4),
	LOCAL2("v2_local_family_ignored", SIG "\x20\x41" "\x00\x00"),
	LOCAL2("v2_local_payload_ignored", SIG "\x20\x00" "\x00\x02" "\xff\xff"),
	LOCAL2("v2_proxy_unspec", SIG "\x21\x00" "\x00\x00"),
	LOCAL2A("v2_proxy_unspec_tlv", SIG "\x21\x00" "\x00\x0f" TLV_AUTH, "example.test"),
	LOCAL2("v2_udp4", SIG "\x21\x12" "\x00\x0c" A4),
	LOCAL2("v2_udp6", SIG "\x21\x22" "\x00\x24" A6),
	LOCAL2A("v2_udp4_tlv", SIG "\x21\x12" "\x00\x1b" A4 TLV_AUTH, "example.test"),
	TAIL2("v2_then_clienthello", V2T4, HELLO, AF_INET, "192.0.2.1", "198.51.100.2", 56324,
	      443),
	TAIL2("v2_then_v2", V2T6, V2T6, AF_INET6, "2001:db8::1", "2001:db8::2", 1111, 2222),
	TAIL2("v2_then_v1", V2T4, T4, AF_INET, "192.0.2.1", "198.51.100.2", 56324, 443),

	/* v2: valid so far */
	MORE("v2_cr", "\r"),
	MORE("v2_crlf", "\r\n"),
	MORE("v2_sig_5", "\r\n\r\n\0"),
	MORE("v2_sig", SIG),
	MORE("v2_ver_cmd", SIG "\x21"),
	MORE("v2_fam", SIG "\x21\x11"),
	MORE("v2_len_hi", SIG "\x21\x11" "\x00"),
	MORE("v2_fixed_part", SIG "\x21\x11" "\x00\x0c"),
	MORE("v2_addresses_partial", SIG "\x21\x11" "\x00\x0c" "\xc0\x00\x02"),
	MORE("v2_tlv_header_partial", SIG "\x21\x11" "\x00\x10" A4 "\x02\x00"),

	/* v2: invalid */
	ERR("v2_bad_sig_last_byte", "\r\n\r\n\0\r\nQUIT\r"),
	ERR("v2_bad_sig_nul", "\r\n\r\n\x01"),
	ERR("v2_bad_sig_quit", "\r\n\r\n\0\r\nquit\n"),
	ERR("v2_version_0", SIG "\x01\x11" "\x00\x0c" A4),
	ERR("v2_version_1", SIG "\x11\x11" "\x00\x0c" A4),
	ERR("v2_version_3", SIG "\x31\x11" "\x00\x0c" A4),
	ERR("v2_version_f", SIG "\xf1"),
	ERR("v2_command_2", SIG "\x22\x11" "\x00\x0c" A4),
	ERR("v2_command_f", SIG "\x2f"),
	ERR("v2_fam_41", SIG "\x21\x41" "\x00\x00"),
	ERR("v2_fam_13", SIG "\x21\x13" "\x00\x0c" A4),
	ERR("v2_fam_10", SIG "\x21\x10" "\x00\x0c" A4),
	ERR("v2_fam_01", SIG "\x21\x01" "\x00\x00"),
	ERR("v2_fam_33", SIG "\x21\x33"),
	ERR("v2_fam_ff", SIG "\x21\xff"),
	ERR("v2_len_short_tcp4", SIG "\x21\x11" "\x00\x0b" "\xc0\x00\x02\x01" "\xc6\x33\x64\x02"
	                         "\xdc\x04" "\x01"),
	ERR("v2_len_short_tcp6", SIG "\x21\x21" "\x00\x23"),
	ERR("v2_len_short_unix", SIG "\x21\x31" "\x00\xd7"),
	ERR("v2_len_zero_tcp4", SIG "\x21\x11" "\x00\x00"),
	ERR("v2_len_over_limit", SIG "\x21\x11" "\x03\xf1"),
	ERR("v2_len_ffff", SIG "\x21\x11" "\xff\xff"),
	ERR("v2_len_high_byte_over", SIG "\x21\x11" "\x04"),
	ERR("v2_local_len_over_limit", SIG "\x20\x00" "\x03\xf1"),
	ERR("v2_tlv_overrun", SIG "\x21\x11" "\x00\x10" A4 "\x02\x00\x02" "a"),
	ERR("v2_tlv_overrun_by_ffff", SIG "\x21\x11" "\x00\x10" A4 "\x02\xff\xff" "a"),
	ERR("v2_tlv_tail_1", SIG "\x21\x11" "\x00\x0d" A4 "\x04"),
	ERR("v2_tlv_tail_2", SIG "\x21\x11" "\x00\x0e" A4 "\x04\x00"),
	ERR("v2_tlv_second_overruns", SIG "\x21\x11" "\x00\x14" A4 TLV_ALPN "\x04\x00\x01"),
	ERR("v2_tlv_overrun_seen_early", SIG "\x21\x11" "\x00\x20" A4 "\x02\x00\x40"),

	/* the allowed mask */
	{ .name = "v1_only_v1_allowed", IN(T4), .ret = ALL, .allowed = PROXY_V1, .version = 1,
	  .af = AF_INET, .src = "192.168.0.1", .dst = "192.168.0.11", .sport = 56324,
	  .dport = 443 },
	{ .name = "v2_only_v2_allowed", IN(V2T4), .ret = ALL, .allowed = PROXY_V2, .version = 2,
	  .af = AF_INET, .src = "192.0.2.1", .dst = "198.51.100.2", .sport = 56324, .dport = 443 },
	ONLY("v1_when_only_v2", T4, PROXY_V2, -1),
	ONLY("v2_when_only_v1", V2T4, PROXY_V1, -1),
	ONLY("v1_prefix_when_only_v2", "P", PROXY_V2, -1),
	ONLY("v2_prefix_when_only_v1", "\r", PROXY_V1, -1),
	ONLY("v1_when_none", T4, NONE, -1),
	ONLY("v2_when_none", V2T4, NONE, -1),
	ONLY("empty_when_none", "", NONE, -1),
	ONLY("empty_when_only_v1", "", PROXY_V1, -2),
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static unsigned
mask_of(const struct pcase *c)
{
	return c->allowed != 0 ? c->allowed : BOTH;
}

/* Parse in[0..len) placed at a guard page. */
static int
parse_at(struct guard *g, const void *in, size_t len, unsigned allowed, struct proxy_result *r,
         const uint8_t **at)
{
	*at = (const uint8_t *)guard_put(g, in, len);
	return proxy_parse(*at, len, allowed, r);
}

/* ss holds af address text ip and port (host order), with the right length. */
static void
check_addr(const struct sockaddr_storage *ss, socklen_t sslen, int af, const char *ip, int port)
{
	char text[INET6_ADDRSTRLEN];

	assert_int_equal(ss->ss_family, af);
	if (af == AF_INET) {
		struct sockaddr_in sin;

		memcpy(&sin, ss, sizeof(sin));
		assert_int_equal(sslen, sizeof(sin));
		assert_non_null(inet_ntop(AF_INET, &sin.sin_addr, text, sizeof(text)));
		assert_int_equal(ntohs(sin.sin_port), port);
	} else {
		struct sockaddr_in6 sin6;

		memcpy(&sin6, ss, sizeof(sin6));
		assert_int_equal(sslen, sizeof(sin6));
		assert_non_null(inet_ntop(AF_INET6, &sin6.sin6_addr, text, sizeof(text)));
		assert_int_equal(ntohs(sin6.sin6_port), port);
	}
	assert_string_equal(text, ip);
}

static void
check_success(const struct pcase *c, const struct proxy_result *r, const uint8_t *at, int n)
{
	assert_int_equal(r->version, c->version);
	assert_int_equal(r->local, c->local);
	if (!c->local) {
		check_addr(&r->src, r->srclen, c->af, c->src, c->sport);
		check_addr(&r->dst, r->dstlen, c->af, c->dst, c->dport);
	}
	if (c->auth == NULL) {
		assert_null(r->authority);
		assert_int_equal(r->authority_len, 0);
		return;
	}
	assert_non_null(r->authority);
	assert_true(r->authority >= at && r->authority + r->authority_len <= at + n);
	assert_int_equal(r->authority_len, c->auth_len);
	assert_memory_equal(r->authority, c->auth, c->auth_len);
}

/* Parse, and check that a non-success left *out alone. */
static int
parse_keep(struct guard *g, const struct pcase *c, size_t len, unsigned allowed)
{
	struct proxy_result r, before;
	const uint8_t *at;
	int n;

	memset(&before, 0x5a, sizeof(before));
	r = before;
	n = parse_at(g, c->in, len, allowed, &r, &at);
	if (n <= 0)
		assert_memory_equal(&r, &before, sizeof(r));
	return n;
}

/* A complete header: the shorter prefixes, the longer inputs, and each mask. */
static void
check_lengths(struct guard *g, const struct pcase *c, int n, int version)
{
	unsigned mask = mask_of(c), self = version == 1 ? PROXY_V1 : PROXY_V2;

	for (size_t k = 0; k < (size_t)n; k++)
		assert_int_equal(parse_keep(g, c, k, mask), -2);
	for (size_t k = (size_t)n; k <= c->len; k++)
		assert_int_equal(parse_keep(g, c, k, mask), n);
	assert_int_equal(parse_keep(g, c, c->len, self), n);
	assert_int_equal(parse_keep(g, c, c->len, BOTH), n);
	assert_int_equal(parse_keep(g, c, c->len, BOTH & ~self), -1);
}

/* One table row. */
static void
run_case(void **state)
{
	const struct pcase *c = *state;
	int want = c->ret == ALL ? (int)c->len : c->ret;
	struct proxy_result r;
	const uint8_t *at;
	struct guard g;
	int n, prev = -2;

	guard_init(&g, c->len);
	n = parse_at(&g, c->in, c->len, mask_of(c), &r, &at);
	assert_int_equal(n, want);
	if (n > 0) {
		check_success(c, &r, at, n);
		check_lengths(&g, c, n, r.version);
	} else {
		for (size_t k = 0; k <= c->len; k++) {
			int m = parse_keep(&g, c, k, mask_of(c));

			assert_true(m == -2 || m == -1);
			assert_true(prev == -2 || m == -1);  /* -1 is final */
			prev = m;
		}
	}
	guard_free(&g);
}

/* A v2 header: ver_cmd, fam, then body[0..n) as the address block and TLVs. */
static size_t
v2_build(uint8_t *b, uint8_t ver_cmd, uint8_t fam, const uint8_t *body, size_t n)
{
	memcpy(b, SIG, 12);
	b[12] = ver_cmd;
	b[13] = fam;
	b[14] = (uint8_t)(n >> 8);
	b[15] = (uint8_t)n;
	memcpy(b + 16, body, n);
	return 16 + n;
}

/* Parse b[0..len) copied to the end of g's page; views stay valid until the
 * next call. */
static int
parse_guarded(struct guard *g, const uint8_t *b, size_t len, unsigned allowed,
              struct proxy_result *r)
{
	return proxy_parse((const uint8_t *)guard_put(g, b, len), len, allowed, r);
}

/* AF_UNIX (0x31, 0x32): 216 bytes of paths, then TLVs; local, authority kept. */
static void
v2_unix(void **state)
{
	struct guard g;
	uint8_t body[216 + 15], b[16 + sizeof(body)];
	struct proxy_result r;
	size_t len;

	(void)state;
	guard_init(&g, 2 * PROXY_MAX_HEADER);
	memset(body, 0, sizeof(body));
	memcpy(body, "/run/lb.sock", 12);
	memcpy(body + 108, "/run/tlserve.sock", 17);
	memcpy(body + 216, TLV_AUTH, 15);
	for (uint8_t fam = 0x31; fam <= 0x32; fam++) {
		len = v2_build(b, 0x21, fam, body, 216);
		assert_int_equal(parse_guarded(&g, b, len, BOTH, &r), 232);
		assert_int_equal(r.local, 1);
		assert_null(r.authority);
		len = v2_build(b, 0x21, fam, body, sizeof(body));
		assert_int_equal(parse_guarded(&g, b, len, BOTH, &r), 247);
		assert_int_equal(r.local, 1);
		assert_int_equal(r.authority_len, 12);
		assert_memory_equal(r.authority, "example.test", 12);
		for (size_t k = 0; k < len; k++)
			assert_int_equal(parse_guarded(&g, b, k, BOTH, &r), -2);
		len = v2_build(b, 0x21, fam, body, 215);
		assert_int_equal(parse_guarded(&g, b, len, BOTH, &r), -1);
	}
	guard_free(&g);
}

/* PROXY_MAX_HEADER exactly (a NOOP pads the TLVs) is accepted; one more is not. */
static void
v2_max_header(void **state)
{
	struct guard g;
	uint8_t body[PROXY_MAX_HEADER], b[16 + sizeof(body)];
	size_t n = PROXY_MAX_HEADER - 16, pad = n - 12 - 15 - 3;
	struct proxy_result r;
	size_t len;

	(void)state;
	guard_init(&g, 2 * PROXY_MAX_HEADER);
	memset(body, 0, sizeof(body));
	memcpy(body, A4, 12);
	memcpy(body + 12, TLV_AUTH, 15);
	body[27] = 0x04;
	body[28] = (uint8_t)(pad >> 8);
	body[29] = (uint8_t)pad;
	len = v2_build(b, 0x21, 0x11, body, n);
	assert_int_equal(parse_guarded(&g, b, len, BOTH, &r), PROXY_MAX_HEADER);
	assert_int_equal(r.authority_len, 12);
	len = v2_build(b, 0x21, 0x11, body, n + 1);
	assert_int_equal(parse_guarded(&g, b, 16, BOTH, &r), -1);
	assert_int_equal(parse_guarded(&g, b, len, BOTH, &r), -1);
	guard_free(&g);
}

/* Many empty TLVs: each is 3 bytes, all walked. */
static void
v2_many_tlvs(void **state)
{
	struct guard g;
	uint8_t body[12 + 3 * 300], b[16 + sizeof(body)];
	struct proxy_result r;
	size_t len;

	(void)state;
	guard_init(&g, 2 * PROXY_MAX_HEADER);
	memset(body, 0, sizeof(body));
	memcpy(body, A4, 12);
	for (size_t i = 0; i < 300; i++)
		body[12 + 3 * i] = (uint8_t)(0xe0 + i % 16);
	len = v2_build(b, 0x21, 0x11, body, sizeof(body));
	assert_int_equal(parse_guarded(&g, b, len, BOTH, &r), (int)len);
	assert_null(r.authority);
	body[12 + 3 * 299 + 2] = 1;  /* the last one now claims a byte past the end */
	len = v2_build(b, 0x21, 0x11, body, sizeof(body));
	assert_int_equal(parse_guarded(&g, b, len, BOTH, &r), -1);
	guard_free(&g);
}

/* Each port 0-65535 as text round-trips; 65536-65539 do not. */
static void
v1_every_port(void **state)
{
	struct guard g;
	struct proxy_result r;
	char line[64];

	(void)state;
	guard_init(&g, 2 * PROXY_MAX_HEADER);
	for (unsigned p = 0; p <= 65539; p++) {
		int len = snprintf(line, sizeof(line), "PROXY TCP4 1.2.3.4 5.6.7.8 %u %u\r\n", p,
		                   65535 - p % 65536);
		struct sockaddr_in sin;
		int n = parse_guarded(&g, (const uint8_t *)line, (size_t)len, PROXY_V1, &r);

		if (p > 65535) {
			assert_int_equal(n, -1);
			continue;
		}
		assert_int_equal(n, len);
		memcpy(&sin, &r.src, sizeof(sin));
		assert_int_equal(ntohs(sin.sin_port), p);
		memcpy(&sin, &r.dst, sizeof(sin));
		assert_int_equal(ntohs(sin.sin_port), 65535 - p);
	}
	guard_free(&g);
}

int
main(void)
{
	struct CMUnitTest parse[NCASES];
	const struct CMUnitTest other[] = {
		cmocka_unit_test(v2_unix),
		cmocka_unit_test(v2_max_header),
		cmocka_unit_test(v2_many_tlvs),
		cmocka_unit_test(v1_every_port),
	};
	int fails;

	for (size_t i = 0; i < NCASES; i++)
		parse[i] = (struct CMUnitTest){ cases[i].name, run_case, NULL, NULL,
		                                (void *)&cases[i] };
	fails = cmocka_run_group_tests_name("proxy_parse", parse, NULL, NULL);
	return fails + cmocka_run_group_tests_name("proxy", other, NULL, NULL);
}
