/* Unit tests for alog.c, the access-log writer thread: on a pipe whose
 * reader stalls it never blocks in write(2), so it keeps reporting the
 * lines it drops, and what reaches the reader is whole lines. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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

/* An access-log entry whose line is about 4.6 KiB, longer than PIPE_BUF. */
struct long_entry {
	char ua[LOG_MAX_HEADER], ref[LOG_MAX_HEADER], req[LOG_MAX_REQUEST];
	struct log_access_entry e;
};

static void
long_entry_init(struct long_entry *l)
{
	memset(l->ua, 'u', sizeof(l->ua));
	memset(l->ref, 'r', sizeof(l->ref));
	memcpy(l->req, "GET /", 5);
	memset(l->req + 5, 'q', sizeof(l->req) - 5);
	l->e = (struct log_access_entry){
	        .client = "127.0.0.1",
	        .request_line = {l->req, sizeof(l->req)},
	        .status = 200,
	        .referer = {l->ref, sizeof(l->ref)},
	        .user_agent = {l->ua, sizeof(l->ua)},
	        .tls_version = "TLSv1.3",
	};
}

/* A reader like cat(1): blocking reads until end of file, counting lines. */
struct reader {
	int fd;
	size_t lines;
};

static void *
reader_main(void *arg)
{
	struct reader *r = arg;
	static char buf[1 << 16];
	ssize_t n;

	while ((n = read(r->fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++)
			r->lines += buf[i] == '\n';
	return NULL;
}

/* A ring full of lines longer than PIPE_BUF and a reader that takes each
 * write at once: every line reaches it well inside a one-second stop.
 * Each such line waits for an empty pipe; looking again only once per
 * 100 ms tick made the ring's 62 lines take seconds, so a stop gave up on
 * a reader that was reading and called its lines dropped. */
static void
reading_pipe_long_lines_all_written_at_stop(void **state)
{
	int logp[2], errp[2];
	struct log_access *ring = calloc(1, sizeof(*ring));
	struct long_entry *l = calloc(1, sizeof(*l));
	struct log_error elog;
	struct alog a = {0};
	struct log_clock clk;
	struct reader rd;
	pthread_t t;
	static char errs[1 << 16];
	size_t errlen = 0, put = 0;
	char want[128];

	(void)state;
	assert_non_null(ring);
	assert_non_null(l);
	long_entry_init(l);
	assert_int_equal(pipe2(logp, O_CLOEXEC), 0);
	assert_int_equal(pipe2(errp, O_CLOEXEC | O_NONBLOCK), 0);
	rd = (struct reader){.fd = logp[0]};
	elog = (struct log_error){.fd = errp[1], .level = CONFIG_LOG_INFO};
	log_clock_update(&clk, time(NULL));
	alog_add(&a, ring, logp[1], CONFIG_ACCESS_COMBINED);
	/* Fill the ring before the writer starts: it holds them all at once. */
	while (atomic_load(&ring->dropped) == 0) {
		log_access(ring, &clk, &l->e);
		put++;
	}
	put--;  /* the last one was dropped */
	assert_true(put >= 40);
	assert_int_equal(pthread_create(&t, NULL, reader_main, &rd), 0);
	assert_int_equal(alog_start(&a, &elog), 0);
	alog_stop(&a, 1000);
	close(logp[1]);
	assert_int_equal(pthread_join(t, NULL), 0);
	drain_into(errp[0], errs, sizeof(errs), &errlen);
	assert_int_equal(rd.lines, put);
	assert_int_equal(a.written, put);
	snprintf(want, sizeof(want), "access log: %zu lines written, 1 dropped", put);
	assert_non_null(strstr(errs, want));
	close(logp[0]);
	close(errp[0]);
	close(errp[1]);
	free(l);
	free(ring);
}

static void
stalled_pipe_long_line_keeps_reporting(void **state)
{
	int logp[2], errp[2];
	struct log_access *ring = calloc(1, sizeof(*ring));
	struct log_error elog;
	struct alog a = {0};
	struct log_clock clk;
	struct long_entry *l = calloc(1, sizeof(*l));
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
	assert_non_null(l);
	long_entry_init(l);
	alog_add(&a, ring, logp[1], CONFIG_ACCESS_COMBINED);
	assert_int_equal(alog_start(&a, &elog), 0);
	/* Lines of about 4.6 KiB, longer than PIPE_BUF, until the ring is full
	 * and drops: the writer must say so while the reader still reads nothing. */
	for (int i = 0; i < 200; i++)
		log_access(ring, &clk, &l->e);
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
	free(l);
	free(ring);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(stalled_pipe_long_line_keeps_reporting),
	        cmocka_unit_test(reading_pipe_long_lines_all_written_at_stop),
	};

	return cmocka_run_group_tests_name("alog", tests, NULL, NULL);
}
