/* Unit tests for log.c: the hand-rolled HTTP date against the C library,
 * the escaping that keeps a request from forging log lines, access lines
 * that fit whatever a client sends, and the ring a worker logs into. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
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

#define LIT(s) s, sizeof(s) - 1

/* Every field at its longest, every byte one that needs the longest escape. */
static struct log_access_entry
max_entry(char *big, size_t n)
{
	static char subject[4096];

	for (size_t i = 0; i < n; i++)
		big[i] = (char)(i % 2 ? '"' : 0x01);
	for (size_t i = 0; i + 1 < sizeof(subject); i++)
		subject[i] = (char)(i % 3 ? '\\' : 0x7f);
	subject[sizeof(subject) - 1] = '\0';
	return (struct log_access_entry){
		.client = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
		.request_line = {big, n},
		.status = 599,
		.bytes = UINT64_MAX,
		.referer = {big, n},
		.user_agent = {big, n},
		.tls_version = "TLSv1.3",
		.peer_subject = subject,
		.duration_us = UINT64_MAX,
		.site = subject,
	};
}

/* Quotes outside escapes; a JSON line cut mid-field leaves an odd count. */
static size_t
bare_quotes(const char *s, size_t n)
{
	size_t q = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			q++;
	}
	return q;
}

static void
access_json_every_field_at_its_maximum_fits(void **state)
{
	static char big[65536], line[LOG_ACCESS_LINE_MAX];
	struct log_access_entry e = max_entry(big, sizeof(big));
	struct log_clock clk = {0};
	size_t n;

	(void)state;
	log_clock_update(&clk, 1700000000);
	n = log_access_format(line, sizeof(line), CONFIG_ACCESS_JSON, &clk, &e);
	assert_true(n <= sizeof(line));
	assert_true(n > 2);
	assert_int_equal(line[n - 1], '\n');
	assert_int_equal(line[n - 2], '}');
	assert_int_equal(bare_quotes(line, n) % 2, 0);
	assert_non_null(memmem(line, n, LIT("\"duration_us\":18446744073709551615}")));
	assert_non_null(memmem(line, n, LIT("\"client_subject\":\"\\u007f\\u005c")));
	assert_non_null(memmem(line, n, LIT("\"site\":\"\\u007f\\u005c")));
	assert_null(memchr(line, '\n', n - 1));  /* one line */
}

static void
access_combined_every_field_at_its_maximum_fits(void **state)
{
	static char big[65536], line[LOG_ACCESS_LINE_MAX];
	struct log_access_entry e = max_entry(big, sizeof(big));
	struct log_clock clk = {0};
	size_t n;

	(void)state;
	log_clock_update(&clk, 1700000000);
	n = log_access_format(line, sizeof(line), CONFIG_ACCESS_COMBINED, &clk, &e);
	assert_true(n <= sizeof(line));
	assert_true(n > 2);
	assert_int_equal(line[n - 1], '\n');
	assert_int_equal(line[n - 2], '"');
	assert_int_equal(bare_quotes(line, n), 10);  /* request, referer, agent, subject, site */
	assert_non_null(memmem(line, n, LIT(" TLSv1.3 \"\\x7f\\\\")));
	assert_null(memchr(line, '\n', n - 1));
}

/* A full ring drops whole lines and counts them; what is taken out is
 * whole lines, in order, and the ring takes lines again once drained. */
static void
access_ring_drops_whole_lines_and_counts_them(void **state)
{
	static struct log_access a;
	static char out[LOG_ACCESS_RING + LOG_ACCESS_LINE_MAX];
	char ua[1000];
	struct log_access_entry e = {.client = "127.0.0.1", .request_line = {"GET / HTTP/1.1", 14},
	                             .status = 200, .user_agent = {ua, sizeof(ua)}};
	struct log_clock clk = {0};
	size_t n = 0, k, lines = 0, tries = 2 * LOG_ACCESS_RING / sizeof(ua);

	(void)state;
	memset(ua, 'u', sizeof(ua));
	log_clock_update(&clk, 1700000000);
	a.fd = 1;  /* on; the ring never writes to it */
	a.wakefd = -1;
	a.format = CONFIG_ACCESS_COMBINED;
	for (size_t i = 0; i < tries; i++)
		log_access(&a, &clk, &e);
	assert_true(atomic_load(&a.dropped) > 0);
	/* take in small pieces: each piece ends a line */
	while ((k = log_access_take(&a, out + n, 4000)) > 0) {
		assert_int_equal(out[n + k - 1], '\n');
		n += k;
	}
	assert_true(n <= LOG_ACCESS_RING);
	for (size_t i = 0; i < n; i++)
		lines += out[i] == '\n';
	assert_int_equal(lines + atomic_load(&a.dropped), tries);
	assert_int_equal(n % (n / lines), 0);  /* every line the same length: none cut */
	log_access(&a, &clk, &e);
	assert_int_equal(log_access_take(&a, out, sizeof(out)), n / lines);
	assert_int_equal(log_access_take(&a, out, sizeof(out)), 0);
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
		cmocka_unit_test(access_json_every_field_at_its_maximum_fits),
		cmocka_unit_test(access_combined_every_field_at_its_maximum_fits),
		cmocka_unit_test(access_ring_drops_whole_lines_and_counts_them),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
