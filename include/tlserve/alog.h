/* alog: the access-log writer. One thread, owned by main, takes whole lines
 * out of every worker's ring (log.h) and does the write(2)s, so a worker
 * never waits for the log's reader and no two threads write to the access
 * log: a line is never torn or interleaved, on a file or a pipe. Lines a
 * ring or the descriptor could not take are counted and reported in the
 * error log (warn, at most every 10 s) and when the writer stops. */
#ifndef TLSERVE_ALOG_H
#define TLSERVE_ALOG_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "tlserve/config.h"
#include "tlserve/log.h"

struct alog {
	int fd;                            /* the access log; dup3 onto it reopens it */
	int wakefd;                        /* eventfd: a ring is half full, or stop */
	const struct log_error *elog;      /* where drops are reported */
	struct log_access *rings, *first;  /* every worker's ring; where a pass starts */
	pthread_t thread;
	bool running;
	atomic_int stopping;
	uint64_t deadline_ms;              /* stop: give up on a reader that does not read */
	char *buf;                         /* whole lines taken, waiting for write(2) */
	unsigned long long written;        /* lines written */
	unsigned long long slow, slow_told;   /* lines lost to full rings; reported */
	unsigned long long slow_unread;    /* lines a stalled reader kept out at stop */
	unsigned long long failed, failed_told; /* lines lost to write errors; reported */
	int failed_errno;
	uint64_t next_tell_ms;             /* rate limit of the reports */
};

/* Attach a worker's ring and turn it on (fd >= 0) with format. Call for
 * every worker before alog_start; a zeroed struct alog is empty. */
void alog_add(struct alog *, struct log_access *, int fd, enum config_access_format);
/* Start the writer thread when a ring is on (else nothing, no thread).
 * Call before the workers start. 0 or -1 with errno. */
int alog_start(struct alog *, const struct log_error *);
/* After the workers stopped: write what the rings hold (giving up on a
 * reader that takes nothing for timeout_ms), report, stop the thread. Safe
 * when never started. */
void alog_stop(struct alog *, uint64_t timeout_ms);

#endif
