/* Unit tests for log.c: the hand-rolled HTTP date against the C library,
 * and the escaping that keeps a request from forging log lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "tlserve/log.h"

static void
expect_date(time_t t)
{
	char got[40], want[40];
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(want, sizeof(want), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	log_http_date(t, got, sizeof(got));
	assert_string_equal(got, want);
}

static void
http_date_known_values(void **state)
{
	char buf[40];

	(void)state;
	log_http_date(784111777, buf, sizeof(buf));  /* RFC 9110's example */
	assert_string_equal(buf, "Sun, 06 Nov 1994 08:49:37 GMT");
	log_http_date(0, buf, sizeof(buf));
	assert_string_equal(buf, "Thu, 01 Jan 1970 00:00:00 GMT");
	log_http_date(951782400, buf, sizeof(buf));  /* 2000-02-29, a leap day */
	assert_string_equal(buf, "Tue, 29 Feb 2000 00:00:00 GMT");
	log_http_date(253402300799, buf, sizeof(buf));
	assert_string_equal(buf, "Fri, 31 Dec 9999 23:59:59 GMT");
}

static void
http_date_matches_strftime(void **state)
{
	uint64_t x = 88172645463325252ull;

	(void)state;
	/* 20000 pseudo-random instants between 1970 and 9999, plus day edges */
	for (int i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		expect_date((time_t)(x % 253402300800ull));
		expect_date((time_t)(i * 86400ll * 37));
		expect_date((time_t)(i * 86400ll * 37 - 1 + (i == 0)));
	}
}

static void
http_date_out_of_range_is_epoch(void **state)
{
	char buf[40];

	(void)state;
	log_http_date(-1, buf, sizeof(buf));
	assert_string_equal(buf, "Thu, 01 Jan 1970 00:00:00 GMT");
	log_http_date(253402300800, buf, sizeof(buf));
	assert_string_equal(buf, "Thu, 01 Jan 1970 00:00:00 GMT");
}

static void
escape_clf_quotes_and_controls(void **state)
{
	char out[64];
	size_t n = log_escape(out, sizeof(out), "a\"b\\c\n\x01\x7f\xc3\xa9", 10, 0);

	(void)state;
	out[n] = '\0';
	assert_string_equal(out, "a\\\"b\\\\c\\x0a\\x01\\x7f\xc3\xa9");
}

static void
escape_json_keeps_utf8_escapes_invalid(void **state)
{
	char out[64];
	size_t n = log_escape(out, sizeof(out), "\xc3\xa9\xff\xc0\xaf\"", 6, 1);

	(void)state;
	out[n] = '\0';
	assert_string_equal(out, "\xc3\xa9\\u00ff\\u00c0\\u00af\\u0022");
}

static void
escape_never_overflows(void **state)
{
	char out[8];
	size_t n = log_escape(out, sizeof(out), "\n\n\n\n\n\n", 6, 0);

	(void)state;
	assert_true(n <= sizeof(out));
	assert_int_equal(n % 4, 0);  /* only whole escapes */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(http_date_known_values),
		cmocka_unit_test(http_date_matches_strftime),
		cmocka_unit_test(http_date_out_of_range_is_epoch),
		cmocka_unit_test(escape_clf_quotes_and_controls),
		cmocka_unit_test(escape_json_keeps_utf8_escapes_invalid),
		cmocka_unit_test(escape_never_overflows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
