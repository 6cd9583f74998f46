/* Unit tests for src/path.c: named, table-driven. The input ends at a PROT_NONE
 * page and so does the output buffer (exactly outcap bytes), so any over-read of
 * the target or over-write of the result crashes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "guard.h"
#include "tlserve/path.h"

#define IN(lit) .in = (lit), .len = sizeof(lit) - 1
#define NOQ SIZE_MAX  /* expected *query: no '?', so inlen */

struct pcase {
	const char *name;
	const char *in;
	size_t len;
	const char *want;  /* the result, or NULL for -1 */
	int status;        /* when want is NULL */
	size_t query;      /* expected *query on success */
	size_t outcap;
};

#define OK(n, i, w, q) { n, IN(i), w, 0, q, 1024 }
#define BAD(n, i) { n, IN(i), NULL, 400, 0, 1024 }

static const struct pcase cases[] = {
	/* plain and collapsed */
	OK("root", "/", "/", NOQ),
	OK("file", "/index.html", "/index.html", NOQ),
	OK("trailing_slash", "/a/b/", "/a/b/", NOQ),
	OK("double_slashes", "//a///b", "/a/b", NOQ),
	OK("only_slashes", "////", "/", NOQ),
	OK("dot", "/a/./b", "/a/b", NOQ),
	OK("dot_end", "/a/.", "/a/", NOQ),
	OK("root_dot", "/.", "/", NOQ),
	OK("dot_slash", "/./", "/", NOQ),
	OK("dotdot_end", "/a/b/..", "/a/", NOQ),
	OK("dotdot_slash", "/a/b/../", "/a/", NOQ),
	OK("dotdot_middle", "/a/b/../c", "/a/c", NOQ),
	OK("dotdot_twice", "/a/b/../../c", "/c", NOQ),
	OK("dotdot_to_root", "/a/..", "/", NOQ),
	OK("dotdot_after_dslash", "/a//../b", "/b", NOQ),
	OK("three_dots", "/...", "/...", NOQ),
	OK("dotdot_prefix_name", "/..a/b..", "/..a/b..", NOQ),
	OK("dot_name", "/.hidden", "/.hidden", NOQ),
	OK("plus_kept", "/a+b", "/a+b", NOQ),
	OK("space_decoded", "/a%20b", "/a b", NOQ),
	OK("percent_literal", "/100%25", "/100%", NOQ),

	/* decoded once, then normalised */
	OK("enc_dotdot", "/a/%2e%2e/b", "/b", NOQ),
	OK("enc_dotdot_mixed_case", "/a/%2E%2e/b", "/b", NOQ),
	OK("enc_half_dotdot", "/a/.%2e/b", "/b", NOQ),
	OK("enc_half_dotdot2", "/a/%2e./b", "/b", NOQ),
	OK("enc_dot", "/a/%2e/b", "/a/b", NOQ),
	OK("enc_dot_end", "/a/b/%2e", "/a/b/", NOQ),
	OK("enc_slash", "/a%2fb", "/a/b", NOQ),
	OK("enc_slash_upper", "/a%2Fb", "/a/b", NOQ),
	OK("enc_slash_dotdot", "/a%2F..%2Fb", "/b", NOQ),
	OK("enc_slash_collapsed", "/a%2f%2f%2fb", "/a/b", NOQ),
	OK("double_enc_dotdot_literal", "/%252e%252e/x", "/%2e%2e/x", NOQ),
	OK("double_enc_slash_literal", "/a%252fb", "/a%2fb", NOQ),
	OK("double_enc_all_literal", "/%252e%252e%252f", "/%2e%2e%2f", NOQ),
	OK("double_enc_backslash_literal", "/%255c", "/%5c", NOQ),
	OK("enc_query_literal", "/a%3fb", "/a?b", NOQ),
	OK("enc_fragment_literal", "/a%23b", "/a#b", NOQ),

	/* query and fragment */
	OK("query", "/a?q=1", "/a", 2),
	OK("query_traversal_ignored", "/a?q=../../%00", "/a", 2),
	OK("query_empty", "/a/?", "/a/", 3),
	OK("fragment", "/a#frag", "/a", NOQ),
	OK("fragment_then_query", "/a#f?q", "/a", NOQ),
	OK("query_then_fragment", "/a?q#f", "/a", 2),
	OK("query_only", "/?x", "/", 1),

	/* UTF-8 passes through as bytes */
	OK("utf8_encoded", "/caf%c3%a9", "/caf\xc3\xa9", NOQ),
	OK("utf8_raw", "/caf\xc3\xa9", "/caf\xc3\xa9", NOQ),
	OK("utf8_3byte", "/%e2%82%ac", "/\xe2\x82\xac", NOQ),
	OK("utf8_4byte", "/%f0%9f%98%80", "/\xf0\x9f\x98\x80", NOQ),
	OK("utf8_max", "/%f4%8f%bf%bf", "/\xf4\x8f\xbf\xbf", NOQ),
	OK("utf8_before_surrogates", "/%ed%9f%bf", "/\xed\x9f\xbf", NOQ),
	OK("utf8_after_surrogates", "/%ee%80%80", "/\xee\x80\x80", NOQ),
	OK("utf8_smallest_2byte", "/%c2%80x", "/\xc2\x80x", NOQ),
	OK("utf8_smallest_3byte", "/%e0%a0%80", "/\xe0\xa0\x80", NOQ),
	OK("utf8_smallest_4byte", "/%f0%90%80%80", "/\xf0\x90\x80\x80", NOQ),

	/* absolute-form */
	OK("absolute", "http://h/x", "/x", NOQ),
	OK("absolute_https_upper", "HTTPS://h/x?y", "/x", 11),
	OK("absolute_mixed_case", "hTtP://h:8443/a/../b", "/b", NOQ),
	OK("absolute_no_path", "http://h", "/", NOQ),
	OK("absolute_query_no_path", "http://h?x", "/", 8),
	OK("absolute_fragment_no_path", "http://h#x", "/", NOQ),
	OK("absolute_userinfo", "http://u@h:1/a", "/a", NOQ),

	/* 400: form */
	BAD("empty", ""),
	BAD("relative", "a/b"),
	BAD("asterisk", "*"),
	BAD("authority_form", "example.test:443"),
	BAD("scheme_ftp", "ftp://h/x"),
	BAD("scheme_httpx", "httpx://h/x"),
	BAD("scheme_one_slash", "http:/x"),
	BAD("scheme_no_slash", "http:x"),
	BAD("scheme_only", "http://"),
	BAD("empty_authority", "http:///etc/passwd"),
	BAD("empty_authority_query", "https://?x"),
	BAD("authority_backslash", "http://h\\x/a"),
	BAD("authority_ctl", "http://h\x01/a"),
	BAD("query_first", "?x"),

	/* 400: climbing above the root, however spelt */
	BAD("dotdot", "/.."),
	BAD("dotdot_slash", "/../"),
	BAD("dotdot_etc_passwd", "/../etc/passwd"),
	BAD("dotdot_deep", "/a/../../etc/passwd"),
	BAD("dotdot_after_dot", "/./.."),
	BAD("dotdot_after_dslash", "//.."),
	BAD("enc_dotdot_root", "/%2e%2e"),
	BAD("enc_dotdot_root_slash", "/%2e%2e/"),
	BAD("enc_dotdot_upper", "/%2E%2E/etc/passwd"),
	BAD("enc_half_dotdot", "/.%2e/"),
	BAD("enc_half_dotdot2", "/%2e./"),
	BAD("enc_slash_dotdot", "/%2f.."),
	BAD("dotdot_enc_slash", "/..%2f"),
	BAD("dotdot_enc_slash_deep", "/a/..%2f..%2fetc"),
	BAD("enc_all", "/%2e%2e%2f%2e%2e%2fetc%2fpasswd"),
	BAD("enc_slash_only", "%2f..%2f"),
	BAD("absolute_dotdot", "http://h/../x"),
	BAD("absolute_enc_dotdot", "https://h/%2e%2e/x"),

	/* 400: backslash */
	BAD("backslash", "/a\\b"),
	BAD("backslash_dotdot", "/..\\"),
	BAD("backslash_enc", "/%5c"),
	BAD("backslash_enc_upper", "/%5C..%5C"),
	BAD("backslash_enc_traversal", "/..%5c..%5cwindows"),

	/* 400: NUL, control bytes */
	BAD("nul", "/a%00.html"),
	BAD("nul_end", "/a%00"),
	BAD("nul_raw", "/a\0b"),
	BAD("lf", "/a%0a"),
	BAD("crlf", "/a%0d%0ab"),
	BAD("del", "/a%7f"),
	BAD("unit_sep", "/a%1f"),
	BAD("raw_ctl", "/a\x01"),
	BAD("raw_tab", "/a\tb"),
	BAD("raw_del", "/a\x7f"),
	BAD("raw_cr", "/a\r"),

	/* 400: invalid escapes */
	BAD("esc_zz", "/%zz"),
	BAD("esc_short", "/%4"),
	BAD("esc_trailing", "/%"),
	BAD("esc_double_percent", "/%%"),
	BAD("esc_g0", "/%g0"),
	BAD("esc_0g", "/%0g"),
	BAD("esc_short_end", "/a%2"),
	BAD("esc_before_query", "/a%2?x"),
	BAD("esc_sign", "/%-1"),
	BAD("esc_space", "/% 1"),

	/* 400: not UTF-8 (overlong, surrogates, too large, truncated, stray) */
	BAD("overlong_dot", "/%c0%ae"),
	BAD("overlong_dotdot", "/%c0%ae%c0%ae/"),
	BAD("overlong_dotdot_traversal", "/%c0%ae%c0%ae%c0%afetc%c0%afpasswd"),
	BAD("overlong_slash", "/%c0%af"),
	BAD("overlong_backslash", "/%c1%9c"),
	BAD("overlong_nul", "/%c0%80"),
	BAD("overlong_3byte_dot", "/%e0%80%ae"),
	BAD("overlong_3byte_slash", "/%e0%80%af"),
	BAD("overlong_4byte_dot", "/%f0%80%80%ae"),
	BAD("overlong_raw", "/\xc0\xae\xc0\xae"),
	BAD("surrogate_low", "/%ed%a0%80"),
	BAD("surrogate_high", "/%ed%bf%bf"),
	BAD("above_max", "/%f4%90%80%80"),
	BAD("f5", "/%f5%80%80%80"),
	BAD("ff", "/%ff"),
	BAD("fe", "/%fe"),
	BAD("truncated_2", "/%c3"),
	BAD("truncated_2_slash", "/%c3/"),
	BAD("truncated_3", "/%e2%82"),
	BAD("truncated_4", "/%f0%9f%98"),
	BAD("truncated_before_query", "/%c3?%a9"),
	BAD("lone_continuation", "/%80"),
	BAD("lone_continuation_bf", "/a%bf"),
	BAD("latin1", "/caf%e9"),
	BAD("continuation_is_slash", "/%c3%2f"),
	BAD("continuation_is_ascii", "/%e2a%82"),

	/* 414: the result does not fit */
	{ "outcap_exact", IN("/abc"), "/abc", 0, NOQ, 5 },
	{ "outcap_one_short", IN("/abc"), NULL, 414, 0, 4 },
	{ "outcap_root_2", IN("/"), "/", 0, NOQ, 2 },
	{ "outcap_1", IN("/"), NULL, 414, 0, 1 },
	{ "outcap_0", IN("/"), NULL, 414, 0, 0 },
	{ "outcap_collapsed_fits", IN("//a//"), "/a/", 0, NOQ, 4 },
	{ "outcap_decoded_fits", IN("/%41%42"), "/AB", 0, NOQ, 4 },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static void
run_case(void **state)
{
	const struct pcase *c = *state;
	size_t cap = c->outcap, q = 12345;
	struct guard gi, go;
	int status = 0, r;
	const char *in;
	char *out;

	guard_init(&gi, c->len);
	guard_init(&go, cap);
	in = guard_put(&gi, c->in, c->len);
	out = guard_out(&go, cap);
	r = path_normalize(in, c->len, out, cap, &q, &status);
	if (c->want == NULL) {
		assert_int_equal(r, -1);
		assert_int_equal(status, c->status);
		assert_int_equal(q, 12345);  /* out-params untouched on failure */
	} else {
		assert_int_equal(r, (int)strlen(c->want));
		assert_memory_equal(out, c->want, (size_t)r + 1);
		assert_int_equal(q, c->query == NOQ ? c->len : c->query);
		/* idempotent, when nothing decoded could be re-read as syntax */
		if (strpbrk(out, "%?#") == NULL) {
			char again[1024];

			assert_int_equal(path_normalize(out, (size_t)r, again, sizeof(again), NULL,
			                                &status), r);
			assert_string_equal(again, out);
		}
	}
	guard_free(&go);
	guard_free(&gi);
}

/* A ".." that pops a segment longer than the rest of the path. */
static void
long_segment_popped(void **state)
{
	char in[3000], out[3000];
	int status = 0;

	(void)state;
	in[0] = '/';
	memset(in + 1, 'x', 2000);
	memcpy(in + 2001, "/../y", 5);
	assert_int_equal(path_normalize(in, 2006, out, sizeof(out), NULL, &status), 2);
	assert_string_equal(out, "/y");
	/* outcap > inlen never gives 414 */
	assert_int_equal(path_normalize(in, 2006, out, 2007, NULL, &status), 2);
	assert_int_equal(path_normalize(in, 2001, out, 2002, NULL, &status), 2001);
	assert_int_equal(path_normalize(in, 2001, out, 2001, NULL, &status), -1);
	assert_int_equal(status, 414);
}

static void
dotfile(void **state)
{
	(void)state;
	assert_true(path_has_dotfile("/.git/config", 12));
	assert_true(path_has_dotfile("/a/.env", 7));
	assert_true(path_has_dotfile("/a/.b/c", 7));
	assert_true(path_has_dotfile("/.", 2));
	assert_true(path_has_dotfile(".x", 2));
	assert_false(path_has_dotfile("/", 1));
	assert_false(path_has_dotfile("/a.b/c.d", 8));
	assert_false(path_has_dotfile("/index.html", 11));
	assert_false(path_has_dotfile("/a/b./", 6));
	assert_false(path_has_dotfile("", 0));
	/* only len bytes count */
	assert_false(path_has_dotfile("/a/.env", 3));
}

static void
dotfile_at_guard(void **state)
{
	struct guard g;

	(void)state;
	guard_init(&g, 8);
	assert_true(path_has_dotfile(guard_put(&g, "/a/.", 4), 4));
	assert_false(path_has_dotfile(guard_put(&g, "/a/b", 4), 4));
	guard_free(&g);
}

int
main(void)
{
	struct CMUnitTest norm[NCASES];
	const struct CMUnitTest other[] = {
		cmocka_unit_test(long_segment_popped),
		cmocka_unit_test(dotfile),
		cmocka_unit_test(dotfile_at_guard),
	};
	int fails;

	for (size_t i = 0; i < NCASES; i++)
		norm[i] = (struct CMUnitTest){ cases[i].name, run_case, NULL, NULL,
		                               (void *)&cases[i] };
	fails = cmocka_run_group_tests_name("path_normalize", norm, NULL, NULL);
	return fails + cmocka_run_group_tests_name("path", other, NULL, NULL);
}
