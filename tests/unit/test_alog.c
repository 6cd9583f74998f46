/* Unit tests for alog.c, the access-log writer thread: on a pipe whose
 * reader stalls it never blocks in write(2), so it keeps reporting the
 * lines it drops, and what reaches the reader is whole lines. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tlserve/alog.h"
#include "tlserve/log.h"

/* Bytes the error log (a pipe, read non-blocking) holds so far, appended to
 * buf. */
static void
drain_into(int fd, char *buf, size_t cap, size_t *len)
{
	ssize_t n;

	while (*len + 1 < cap && (n = read(fd, buf + *len, cap - 1 - *len)) > 0)
		*len += (size_t)n;
	buf[*len] = '\0';
}

/* Leave every slot of a pipe in use with half its room free: each write is
 * too big to merge into the page before it, so FIONREAD says half the
 * capacity is left while a write of more than PIPE_BUF cannot place a byte. */
static void
fill_slots(int fd)
{
	static char half[2049];
	int cap = fcntl(fd, F_GETPIPE_SZ);

	assert_true(cap > 0);
	memset(half, 'h', sizeof(half));
	half[sizeof(half) - 1] = '\n';
	for (int i = 0; i < cap / 4096; i++)
		assert_int_equal(write(fd, half, sizeof(half)), (ssize_t)sizeof(half));
}

static void
stalled_pipe_long_line_keeps_reporting(void **state)
{
	int logp[2], errp[2];
	struct log_access *ring = calloc(1, sizeof(*ring));
	struct log_error elog;
	struct alog a = {0};
	struct log_clock clk;
	char ua[LOG_MAX_HEADER], ref[LOG_MAX_HEADER], req[LOG_MAX_REQUEST];
	static char errs[1 << 16], sink[1 << 16];
	size_t errlen = 0;
	bool told = false;

	(void)state;
	assert_non_null(ring);
	assert_int_equal(pipe2(logp, O_CLOEXEC), 0);
	assert_int_equal(pipe2(errp, O_CLOEXEC | O_NONBLOCK), 0);
	fill_slots(logp[1]);
	elog = (struct log_error){.fd = errp[1], .level = CONFIG_LOG_INFO};
	log_clock_update(&clk, time(NULL));
	memset(ua, 'u', sizeof(ua));
	memset(ref, 'r', sizeof(ref));
	memcpy(req, "GET /", 5);
	memset(req + 5, 'q', sizeof(req) - 5);
	struct log_access_entry e = {
	        .client = "127.0.0.1",
	        .request_line = {req, sizeof(req)},
	        .status = 200,
	        .referer = {ref, sizeof(ref)},
	        .user_agent = {ua, sizeof(ua)},
	        .tls_version = "TLSv1.3",
	};
	alog_add(&a, ring, logp[1], CONFIG_ACCESS_COMBINED);
	assert_int_equal(alog_start(&a, &elog), 0);
	/* Lines of about 4.6 KiB, longer than PIPE_BUF, until the ring is full
	 * and drops: the writer must say so while the reader still reads nothing. */
	for (int i = 0; i < 200; i++)
		log_access(ring, &clk, &e);
	assert_true(atomic_load(&ring->dropped) > 0);
	for (int i = 0; i < 300 && !told; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};

		nanosleep(&ts, NULL);
		drain_into(errp[0], errs, sizeof(errs), &errlen);
		told = strstr(errs, "dropped (the reader is too slow)") != NULL;
	}
	/* The reader wakes up: read everything, so the writer finishes. */
	int fl = fcntl(logp[0], F_GETFL);
	assert_int_equal(fcntl(logp[0], F_SETFL, fl | O_NONBLOCK), 0);
	for (int i = 0; i < 500; i++) {
		struct timespec ts = {0, 2 * 1000 * 1000};

		while (read(logp[0], sink, sizeof(sink)) > 0) {
		}
		nanosleep(&ts, NULL);
	}
	alog_stop(&a, 2000);
	drain_into(errp[0], errs, sizeof(errs), &errlen);
	assert_true(told);
	assert_non_null(strstr(errs, "lines written"));
	close(logp[0]);
	close(logp[1]);
	close(errp[0]);
	close(errp[1]);
	free(ring);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(stalled_pipe_long_line_keeps_reporting),
	};

	return cmocka_run_group_tests_name("alog", tests, NULL, NULL);
}
