/* Unit tests for src/encoding.c: named, table-driven Accept-Encoding cases.
 * Every input sits at the end of a page followed by a PROT_NONE page, so an
 * over-read crashes; every shorter prefix is parsed too (no crash, bits only
 * from gzip|br, prefer_br only with br). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guard.h"
#include "tlserve/encoding.h"

#define IN(lit) .in = (lit), .len = sizeof(lit) - 1
#define G ENCODING_GZIP
#define B ENCODING_BR
#define GB (ENCODING_GZIP | ENCODING_BR)

struct acase {
	const char *name;
	const char *in;
	size_t len;
	unsigned bits;
	int prefer_br;
};

#define A(nm, in, bits, pb) { (nm), IN(in), (bits), (pb) }

static const struct acase cases[] = {
	/* single codings */
	A("gzip", "gzip", G, 0),
	A("br", "br", B, 1),
	A("gzip_upper", "GZIP", G, 0),
	A("br_mixed_case", "Br", B, 1),
	A("x_gzip", "x-gzip", G, 0),
	A("x_gzip_upper", "X-GZIP", G, 0),
	A("identity", "identity", 0, 0),
	A("deflate", "deflate", 0, 0),
	A("compress_gzip", "compress, gzip", G, 0),
	A("browser", "gzip, deflate, br, zstd", GB, 1),

	/* weights (RFC 9110 12.4.2) */
	A("br_08_gzip", "br;q=0.8, gzip", GB, 0),
	A("gzip_08_br", "gzip;q=0.8, br", GB, 1),
	A("gzip_br_tie", "gzip, br", GB, 1),
	A("explicit_tie", "br;q=1, gzip;q=1", GB, 1),
	A("thousandths", "br;q=0.001, gzip;q=0.002", GB, 0),
	A("gzip_q0", "gzip;q=0", 0, 0),
	A("gzip_q0_0", "gzip;q=0.0", 0, 0),
	A("gzip_q0_000", "gzip;q=0.000", 0, 0),
	A("gzip_q0_dot", "gzip;q=0.", 0, 0),
	A("gzip_q0_001", "gzip;q=0.001", G, 0),
	A("gzip_q1_dot", "gzip;q=1.", G, 0),
	A("gzip_upper_q", "gzip;Q=0", 0, 0),
	A("gzip_br_q0", "gzip, br;q=0", G, 0),
	A("ows_everywhere", " gzip ; q=1.000 ", G, 0),
	A("ows_tabs", "\tgzip\t,\tbr\t", GB, 1),
	A("ows_after_semicolon", "gzip; q=0.5", G, 0),
	A("last_q_in_element_wins", "br;q=0.8;q=0", 0, 0),
	A("other_params_ignored", "gzip;q=0.5;level=9", G, 0),
	A("quoted_param_with_comma", "gzip;foo=\"a,b\", br", GB, 1),
	A("quoted_param_escape", "gzip;foo=\"a\\\"b\", br;q=0.5", GB, 0),
	A("empty_elements", ", ,gzip,, ,", G, 0),

	/* "*" (RFC 9110 12.5.3) */
	A("star", "*", GB, 1),
	A("star_q0", "*;q=0", 0, 0),
	A("star_half_gzip", "*;q=0.5, gzip", GB, 0),
	A("star_gzip_q0", "*, gzip;q=0", B, 1),
	A("star_q0_gzip", "*;q=0, gzip", G, 0),
	A("star_q0_br", "br, *;q=0", B, 1),
	A("star_br_tie", "*;q=0.5, br;q=0.5", GB, 1),
	A("star_br_lower", "*;q=1, br;q=0.9", GB, 0),
	A("identity_star_q0", "identity, *;q=0", 0, 0),
	A("deflate_star", "deflate, gzip;q=1.0, *;q=0.5", GB, 0),

	/* a coding listed twice keeps its lowest weight */
	A("gzip_then_x_gzip_q0", "gzip, x-gzip;q=0", 0, 0),
	A("gzip_q0_then_gzip", "gzip;q=0, gzip", 0, 0),
	A("br_twice", "br;q=0.9, br;q=0.2, gzip;q=0.5", GB, 0),

	/* malformed elements are skipped, the rest still counts */
	A("q_2", "gzip;q=2", 0, 0),
	A("q_abc", "gzip;q=abc", 0, 0),
	A("q_four_decimals", "gzip;q=0.0001", 0, 0),
	A("q_1_001", "gzip;q=1.001", 0, 0),
	A("q_1_5", "gzip;q=1.5", 0, 0),
	A("q_leading_dot", "gzip;q=.5", 0, 0),
	A("q_empty", "gzip;q=", 0, 0),
	A("q_two_dots", "gzip;q=0.5.5", 0, 0),
	A("q_negative", "gzip;q=-1", 0, 0),
	A("q_quoted", "gzip;q=\"0.5\"", 0, 0),
	A("q_sp_around_equals", "gzip;q = 0.5", 0, 0),
	A("q_bad_then_br", "gzip;q=2, br", B, 1),
	A("br_then_q_bad", "br, gzip;q=abc", B, 1),
	A("no_semicolon", "gzip q=0.5", 0, 0),
	A("empty_param", "gzip;;q=1", 0, 0),
	A("param_no_name", "gzip;=1", 0, 0),
	A("param_no_value", "gzip;foo", 0, 0),
	A("unterminated_quote", "gzip;foo=\"a,b", 0, 0),
	A("unterminated_quote_then_br", "gzip;foo=\"a, br", B, 1),
	A("weight_without_name", ";q=1, br", B, 1),
	A("nul", "gzip\0", 0, 0),
	A("ctl_in_quote", "gzip;a=\"\x01\"", 0, 0),
	A("obs_text_name", "gzip\xff, br", B, 1),

	/* names must match whole */
	A("gzipx", "gzipx", 0, 0),
	A("gzi", "gzi", 0, 0),
	A("x_br", "x-br", 0, 0),
	A("brotli", "brotli", 0, 0),

	/* empty: no coding wanted (RFC 9110 12.5.3) */
	A("empty", "", 0, 0),
	A("only_commas", ", ,", 0, 0),
	A("only_ows", " \t ", 0, 0),
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* The whole input at a guard page, then every shorter prefix. */
static void
run_case(void **state)
{
	const struct acase *c = *state;
	struct guard g;
	int pb = 7;

	guard_init(&g, c->len);
	assert_int_equal(encoding_accepted(guard_put(&g, c->in, c->len), c->len, &pb), c->bits);
	assert_int_equal(pb, c->prefer_br);
	assert_int_equal(encoding_accepted(guard_put(&g, c->in, c->len), c->len, NULL), c->bits);
	for (size_t k = 0; k < c->len; k++) {
		unsigned bits = encoding_accepted(guard_put(&g, c->in, k), k, &pb);

		assert_int_equal(bits & ~(unsigned)GB, 0);
		assert_true(pb == 0 || (pb == 1 && (bits & B)));
	}
	guard_free(&g);
}

/* An absent header (NULL) allows nothing: the caller sends identity. */
static void
null_value(void **state)
{
	int pb = 7;

	(void)state;
	assert_int_equal(encoding_accepted(NULL, 0, &pb), 0);
	assert_int_equal(pb, 0);
	pb = 7;
	assert_int_equal(encoding_accepted(NULL, 4, &pb), 0);
	assert_int_equal(pb, 0);
	assert_int_equal(encoding_accepted(NULL, 4, NULL), 0);
}

/* A long header of junk elements then "br": linear, and br still found. */
static void
long_list(void **state)
{
	static char buf[60000];
	size_t o = 0;
	struct guard g;
	int pb;

	(void)state;
	while (o + 20 < sizeof(buf)) {
		memcpy(buf + o, "x;q=2;a=\"b,c\" ,,", 16);
		o += 16;
	}
	memcpy(buf + o, "br", 2);
	o += 2;
	guard_init(&g, o);
	assert_int_equal(encoding_accepted(guard_put(&g, buf, o), o, &pb), B);
	assert_int_equal(pb, 1);
	guard_free(&g);
}

/* Several Accept-Encoding lines are one list (RFC 9110 5.3): the
 * accumulator gives what the lines joined with commas give. */
static void
several_lines(void **state)
{
	static const char *const lines[][2] = {
		{ "identity", "gzip" }, { "br;q=0", "gzip" }, { "gzip", "gzip;q=0" },
		{ "*;q=0", "br" }, { "", "" }, { "br;q=0.5", "gzip;q=0.9" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		char joined[64];
		struct encoding_acc acc;
		int pa = -1, pj = -1;
		unsigned a, j;

		snprintf(joined, sizeof(joined), "%s, %s", lines[i][0], lines[i][1]);
		encoding_init(&acc);
		encoding_add(&acc, lines[i][0], strlen(lines[i][0]));
		encoding_add(&acc, lines[i][1], strlen(lines[i][1]));
		a = encoding_result(&acc, &pa);
		j = encoding_accepted(joined, strlen(joined), &pj);
		if (a != j || pa != pj)
			fail_msg("lines %zu: %u/%d, joined %u/%d", i, a, pa, j, pj);
	}
	{
		struct encoding_acc acc;

		encoding_init(&acc);
		encoding_add(&acc, "identity", 8);
		encoding_add(&acc, "gzip", 4);
		assert_int_equal(encoding_result(&acc, NULL), ENCODING_GZIP);
	}
}

int
main(void)
{
	struct CMUnitTest t[NCASES];
	const struct CMUnitTest other[] = {
		cmocka_unit_test(null_value),
		cmocka_unit_test(several_lines),
		cmocka_unit_test(long_list),
	};
	int fails;

	for (size_t i = 0; i < NCASES; i++)
		t[i] = (struct CMUnitTest){ cases[i].name, run_case, NULL, NULL,
		                            (void *)&cases[i] };
	fails = cmocka_run_group_tests_name("encoding_accepted", t, NULL, NULL);
	return fails + cmocka_run_group_tests_name("encoding", other, NULL, NULL);
}
