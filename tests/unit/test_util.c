/* Unit tests for util: durations, sizes and case-insensitive comparison.
 * Table-driven; each row is its own named cmocka test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tlserve/util.h"

enum util_test_kind { UT_DURATION, UT_SIZE };

struct util_num_case {
	const char *name;
	enum util_test_kind kind;
	const char *in;
	size_t len;         /* 0: strlen(in) */
	int rc;
	uint64_t want;
};

static const struct util_num_case util_num_cases[] = {
	{ "duration_ms", UT_DURATION, "250ms", 0, 0, 250 },
	{ "duration_s", UT_DURATION, "10s", 0, 0, 10000 },
	{ "duration_m", UT_DURATION, "5m", 0, 0, 300000 },
	{ "duration_h", UT_DURATION, "2h", 0, 0, 7200000 },
	{ "duration_d", UT_DURATION, "30d", 0, 0, 2592000000ULL },
	{ "duration_dd_bad", UT_DURATION, "1dd", 0, -1, 0 },
	{ "duration_days_overflow", UT_DURATION, "213503982335d", 0, -1, 0 },
	{ "duration_bare_is_seconds", UT_DURATION, "60", 0, 0, 60000 },
	{ "duration_zero", UT_DURATION, "0", 0, 0, 0 },
	{ "duration_zero_ms", UT_DURATION, "0ms", 0, 0, 0 },
	{ "duration_leading_zeros", UT_DURATION, "007s", 0, 0, 7000 },
	{ "duration_max_ms", UT_DURATION, "18446744073709551615ms", 0, 0, UINT64_MAX },
	{ "duration_digits_overflow", UT_DURATION, "18446744073709551616ms", 0, -1, 0 },
	{ "duration_unit_overflow", UT_DURATION, "18446744073709551615s", 0, -1, 0 },
	{ "duration_hours_overflow", UT_DURATION, "5124095576031h", 0, -1, 0 },
	{ "duration_hours_max", UT_DURATION, "5124095576030h", 0, 0,
	  UINT64_C(5124095576030) * 3600000 },
	{ "duration_empty", UT_DURATION, "", 0, -1, 0 },
	{ "duration_unit_only", UT_DURATION, "ms", 0, -1, 0 },
	{ "duration_bad_suffix", UT_DURATION, "10x", 0, -1, 0 },
	{ "duration_suffix_tail", UT_DURATION, "10msx", 0, -1, 0 },
	{ "duration_two_numbers", UT_DURATION, "10ms5", 0, -1, 0 },
	{ "duration_upper_case_unit", UT_DURATION, "10S", 0, -1, 0 },
	{ "duration_space", UT_DURATION, "10 s", 0, -1, 0 },
	{ "duration_leading_space", UT_DURATION, " 10s", 0, -1, 0 },
	{ "duration_negative", UT_DURATION, "-1s", 0, -1, 0 },
	{ "duration_plus", UT_DURATION, "+1s", 0, -1, 0 },
	{ "duration_fraction", UT_DURATION, "1.5s", 0, -1, 0 },
	{ "duration_respects_len", UT_DURATION, "10sGARBAGE", 3, 0, 10000 },
	{ "duration_len_cuts_unit", UT_DURATION, "10ms", 3, 0, 600000 },
	{ "duration_embedded_nul", UT_DURATION, "10\0s", 4, -1, 0 },
	{ "size_bare", UT_SIZE, "512", 0, 0, 512 },
	{ "size_k", UT_SIZE, "16k", 0, 0, 16384 },
	{ "size_K", UT_SIZE, "16K", 0, 0, 16384 },
	{ "size_m", UT_SIZE, "1m", 0, 0, 1048576 },
	{ "size_M", UT_SIZE, "1M", 0, 0, 1048576 },
	{ "size_g", UT_SIZE, "2g", 0, 0, UINT64_C(2) << 30 },
	{ "size_G", UT_SIZE, "1G", 0, 0, UINT64_C(1) << 30 },
	{ "size_zero", UT_SIZE, "0", 0, 0, 0 },
	{ "size_zero_k", UT_SIZE, "0k", 0, 0, 0 },
	{ "size_max", UT_SIZE, "18446744073709551615", 0, 0, UINT64_MAX },
	{ "size_digits_overflow", UT_SIZE, "18446744073709551616", 0, -1, 0 },
	{ "size_suffix_overflow", UT_SIZE, "17179869184g", 0, -1, 0 },
	{ "size_suffix_max", UT_SIZE, "17179869183g", 0, 0, (UINT64_C(17179869183)) << 30 },
	{ "size_empty", UT_SIZE, "", 0, -1, 0 },
	{ "size_suffix_only", UT_SIZE, "k", 0, -1, 0 },
	{ "size_kb", UT_SIZE, "1kb", 0, -1, 0 },
	{ "size_terabytes_unsupported", UT_SIZE, "1t", 0, -1, 0 },
	{ "size_negative", UT_SIZE, "-1", 0, -1, 0 },
	{ "size_fraction", UT_SIZE, "1.5k", 0, -1, 0 },
	{ "size_space", UT_SIZE, "16 k", 0, -1, 0 },
	{ "size_respects_len", UT_SIZE, "16kB", 3, 0, 16384 },
};

/* One row of util_num_cases: rc and, on success, the value; on failure the
 * out-parameter must stay untouched. */
static void
util_test_num(void **state)
{
	const struct util_num_case *tc = *state;
	size_t len = tc->len ? tc->len : strlen(tc->in);
	uint64_t v = 0xdeadbeef;
	int rc;

	if (tc->kind == UT_DURATION)
		rc = util_parse_duration(tc->in, len, &v);
	else
		rc = util_parse_size(tc->in, len, &v);
	assert_int_equal(rc, tc->rc);
	if (rc == 0)
		assert_true(v == tc->want);
	else
		assert_true(v == 0xdeadbeef);
}

struct util_ieq_case {
	const char *name;
	const char *p;
	size_t n;
	const char *lit;
	int want;
};

static const struct util_ieq_case util_ieq_cases[] = {
	{ "strieq_equal", "abc", 3, "abc", 1 },
	{ "strieq_case", "AbC", 3, "aBc", 1 },
	{ "strieq_prefix_of_buffer", "abcdef", 3, "abc", 1 },
	{ "strieq_buffer_shorter", "ab", 2, "abc", 0 },
	{ "strieq_buffer_longer", "abc", 3, "ab", 0 },
	{ "strieq_empty", "", 0, "", 1 },
	{ "strieq_empty_vs_text", "", 0, "a", 0 },
	{ "strieq_not_bit_trick", "[", 1, "{", 0 },
	{ "strieq_at_vs_backquote", "@", 1, "`", 0 },
	{ "strieq_nul_in_buffer", "a\0", 2, "a", 0 },
	{ "strieq_non_ascii_exact", "\xc3\xa9", 2, "\xc3\xa9", 1 },
	{ "strieq_non_ascii_no_fold", "\xc3\x89", 2, "\xc3\xa9", 0 },
};

static void
util_test_ieq(void **state)
{
	const struct util_ieq_case *tc = *state;

	assert_int_equal(util_strieq(tc->p, tc->n, tc->lit), tc->want);
}

static void
util_test_null_input(void **state)
{
	uint64_t v = 7;

	(void)state;
	assert_int_equal(util_parse_duration(NULL, 0, &v), -1);
	assert_int_equal(util_parse_size(NULL, 0, &v), -1);
	assert_true(v == 7);
	assert_int_equal(util_strieq(NULL, 0, ""), 1);
}

/* tchar (RFC 9110 5.6.2) against its definition, byte by byte, and the ASCII
 * case folding every parser shares. */
static void
util_test_tchar_lower(void **state)
{
	static const char punct[] = "!#$%&'*+-.^_`|~";

	(void)state;
	for (int c = 0; c < 256; c++) {
		int want = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		           (c != 0 && strchr(punct, c) != NULL);
		char lo = util_lower((char)c);

		if (util_is_tchar((char)c) != want)
			fail_msg("tchar 0x%02x: %d", c, util_is_tchar((char)c));
		if (c >= 'A' && c <= 'Z')
			assert_int_equal(lo, c + 32);
		else
			assert_int_equal((unsigned char)lo, c);
	}
}

int
main(void)
{
	size_t nnum = sizeof(util_num_cases) / sizeof(util_num_cases[0]);
	size_t nieq = sizeof(util_ieq_cases) / sizeof(util_ieq_cases[0]);
	struct CMUnitTest *t = calloc(nnum + nieq + 2, sizeof(*t));
	size_t n = 0;
	int fails;

	if (t == NULL)
		return 1;
	for (size_t i = 0; i < nnum; i++)
		t[n++] = (struct CMUnitTest){ util_num_cases[i].name, util_test_num, NULL, NULL,
					      (void *)&util_num_cases[i] };
	for (size_t i = 0; i < nieq; i++)
		t[n++] = (struct CMUnitTest){ util_ieq_cases[i].name, util_test_ieq, NULL, NULL,
					      (void *)&util_ieq_cases[i] };
	t[n++] = (struct CMUnitTest){ "null_input", util_test_null_input, NULL, NULL, NULL };
	t[n++] = (struct CMUnitTest){ "tchar_lower", util_test_tchar_lower, NULL, NULL, NULL };
	fails = _cmocka_run_group_tests("util", t, n, NULL, NULL);
	free(t);
	return fails;
}
