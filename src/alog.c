/* alog: the access-log writer thread (see alog.h). */
#include "tlserve/alog.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ALOG_TICK_MS 100          /* a line waits about this long for its write */
#define ALOG_TELL_MS 10000        /* drops are reported at most this often */
#define ALOG_EMPTY_FIRST_US 100   /* first look again at a pipe a long line waits to be empty */
#define ALOG_BUF (128 * 1024)     /* one pass over the rings; >= LOG_ACCESS_LINE_MAX */

_Static_assert(ALOG_BUF >= LOG_ACCESS_LINE_MAX, "a pass must hold the longest line");

/* What the descriptor is decides how a write may block (see alog_write). */
enum alog_kind { ALOG_FILE, ALOG_PIPE, ALOG_SOCK, ALOG_OTHER };

static uint64_t
alog_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static unsigned long long
alog_lines(const char *p, size_t n)
{
	unsigned long long k = 0;
	const char *end = p + n;

	while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		k++;
		p++;
	}
	return k;
}

static const char *
alog_s(unsigned long long n)
{
	return n == 1 ? "" : "s";
}

/* Report drops since the last report: at once the first time, then at most
 * every ALOG_TELL_MS so a stalled reader does not flood the error log. */
static void
alog_tell(struct alog *a, bool final)
{
	unsigned long long slow = a->slow_unread, d;
	uint64_t now = alog_now_ms();
	bool told = false;

	for (const struct log_access *r = a->rings; r; r = r->next)
		slow += atomic_load_explicit(&r->dropped, memory_order_relaxed);
	a->slow = slow;
	if (!final && now < a->next_tell_ms)
		return;
	if (slow > a->slow_told) {
		d = slow - a->slow_told;
		log_msg(a->elog, CONFIG_LOG_WARN,
		        "access log: %llu line%s dropped (the reader is too slow); %llu in all", d,
		        alog_s(d), slow + a->failed);
		a->slow_told = slow;
		told = true;
	}
	if (a->failed > a->failed_told) {
		d = a->failed - a->failed_told;
		log_msg(a->elog, CONFIG_LOG_WARN, "access log: %llu line%s dropped (write: %s); %llu in all",
		        d, alog_s(d), strerror(a->failed_errno), slow + a->failed);
		a->failed_told = a->failed;
		told = true;
	}
	if (told)
		a->next_tell_ms = now + ALOG_TELL_MS;
}

/* Wait until the descriptor takes more. False when stopping and the reader
 * took nothing until the deadline: a stop never hangs on a stalled reader. */
static bool
alog_wait_writable(struct alog *a)
{
	struct pollfd p = {.fd = a->fd, .events = POLLOUT};

	for (;;) {
		int r = poll(&p, 1, ALOG_TICK_MS);

		if (r != 0 && !(r < 0 && errno == EINTR))
			return true;  /* writable, or an error the write will report */
		alog_tell(a, false);
		if (atomic_load(&a->stopping) && alog_now_ms() >= a->deadline_ms)
			return false;
	}
}

/* Bytes a pipe holds: FIONREAD counts a pipe's contents from either end.
 * -1 when that cannot be known. */
static int
alog_pipe_held(int fd)
{
	int held = 0;

	return ioctl(fd, FIONREAD, &held) == 0 && held >= 0 ? held : -1;
}

/* A line longer than PIPE_BUF is written only into an empty pipe. A pipe's
 * room is counted in pages, not bytes: each write that does not fit the
 * page before it takes a page of its own, so a pipe holding half its
 * capacity in bytes may have no page free, and a blocking write(2) of a
 * long line would hold the writer (and its drop reports) until the reader
 * reads. An empty pipe has every page free. No event says "empty", so the
 * pipe is looked at again after a pause that starts short and doubles up
 * to ALOG_TICK_MS: a reading reader takes the line before this one within
 * microseconds, and a whole tick per long line held a stop for seconds
 * (and dropped lines a busy reader would have taken), while a stalled
 * reader still costs one look per tick. Gives up as alog_wait_writable
 * does. */
static bool
alog_wait_empty(struct alog *a)
{
	long pause_us = ALOG_EMPTY_FIRST_US;

	for (;;) {
		int held = alog_pipe_held(a->fd);
		struct timespec ts;

		if (held <= 0)
			return true;  /* empty, or unknown: the write will tell */
		ts = (struct timespec){.tv_sec = 0, .tv_nsec = pause_us * 1000};
		nanosleep(&ts, NULL);
		pause_us = pause_us * 2 > ALOG_TICK_MS * 1000L ? ALOG_TICK_MS * 1000L : pause_us * 2;
		alog_tell(a, false);
		if (atomic_load(&a->stopping) && alog_now_ms() >= a->deadline_ms)
			return false;
	}
}

/* Wait until a write of *want bytes to the pipe cannot block. Up to
 * PIPE_BUF: a free page (POLLOUT). A longer line: an empty pipe when the
 * line fits it whole; a line longer than the pipe itself (one resized
 * small) goes in PIPE_BUF pieces, each after POLLOUT, and *want says so.
 * False when stopping and the reader took nothing until the deadline. */
static bool
alog_wait_pipe(struct alog *a, size_t *want)
{
	int cap;

	if (*want <= PIPE_BUF)
		return alog_wait_writable(a);
	cap = fcntl(a->fd, F_GETPIPE_SZ);
	if (cap > 0 && *want <= (size_t)cap)
		return alog_wait_empty(a);
	*want = PIPE_BUF;
	return alog_wait_writable(a);
}

/* The next piece to write: whole lines, at most max bytes unless one line
 * alone is longer. buf ends with a newline. */
static size_t
alog_chunk(const char *buf, size_t n, size_t max)
{
	const char *nl;

	if (n <= max)
		return n;
	nl = memrchr(buf, '\n', max);
	if (nl == NULL)
		nl = memchr(buf + max, '\n', n - max);
	return (size_t)(nl - buf) + 1;
}

static enum alog_kind
alog_kind(int fd)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return ALOG_OTHER;
	if (S_ISREG(st.st_mode))
		return ALOG_FILE;
	if (S_ISFIFO(st.st_mode))
		return ALOG_PIPE;
	return S_ISSOCK(st.st_mode) ? ALOG_SOCK : ALOG_OTHER;
}

/* Write whole lines. On a pipe, socket or terminal each write(2) is at most
 * PIPE_BUF bytes of whole lines, so even the error log sharing the
 * descriptor (stdout and stderr to one journal) lands between lines (POSIX
 * write atomicity on pipes). On a pipe, poll first: a write of at most
 * PIPE_BUF to a pipe that polls writable does not block. The fd is checked
 * each time: SIGUSR1 may have put another file behind it (dup3). */
static void
alog_write(struct alog *a, const char *buf, size_t len)
{
	enum alog_kind kind = alog_kind(a->fd);
	size_t off = 0;

	while (off < len) {
		size_t n = alog_chunk(buf + off, len - off, kind == ALOG_FILE ? len : PIPE_BUF);
		size_t done = 0;

		while (done < n) {
			size_t want = n - done;
			ssize_t w;

			if (kind == ALOG_PIPE && !alog_wait_pipe(a, &want)) {
				a->slow_unread += alog_lines(buf + off, len - off);
				return;
			}
			if (kind == ALOG_SOCK)
				w = send(a->fd, buf + off + done, want, MSG_DONTWAIT | MSG_NOSIGNAL);
			else
				w = write(a->fd, buf + off + done, want);
			if (w > 0) {
				done += (size_t)w;
				continue;
			}
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
				/* a socket, or a descriptor someone made non-blocking */
				if (!alog_wait_writable(a)) {
					a->slow_unread += alog_lines(buf + off, len - off);
					return;
				}
				continue;
			}
			/* ENOSPC, EIO, EPIPE: these lines are lost; the next may pass */
			a->failed += alog_lines(buf + off, len - off);
			a->failed_errno = w < 0 ? errno : EIO;
			return;
		}
		a->written += alog_lines(buf + off, n);
		off += n;
	}
}

/* One pass: whole lines from every ring into buf, starting at the ring
 * after the last pass's first, so a busy worker cannot starve the others. */
static size_t
alog_fill(struct alog *a)
{
	struct log_access *r = a->first;
	size_t len = 0;

	do {
		len += log_access_take(r, a->buf + len, ALOG_BUF - len);
		r = r->next ? r->next : a->rings;
	} while (r != a->first);
	a->first = r->next ? r->next : a->rings;
	return len;
}

static void *
alog_main(void *arg)
{
	struct alog *a = arg;

	for (;;) {
		/* read before the pass: at stop the workers are gone, so this pass
		 * empties every ring for good */
		bool stop = atomic_load(&a->stopping);
		struct pollfd p = {.fd = a->wakefd, .events = POLLIN};
		uint64_t v;
		size_t n;

		while ((n = alog_fill(a)) > 0)
			alog_write(a, a->buf, n);
		alog_tell(a, stop);
		if (stop)
			return NULL;
		if (poll(&p, 1, ALOG_TICK_MS) > 0 && read(a->wakefd, &v, sizeof(v)) < 0) {
			/* EAGAIN: another read took the count */
		}
	}
}

void
alog_add(struct alog *a, struct log_access *r, int fd, enum config_access_format format)
{
	r->fd = fd;
	r->format = format;
	r->wakefd = -1;
	r->next = a->rings;
	a->rings = r;
}

int
alog_start(struct alog *a, const struct log_error *elog)
{
	int err;

	if (a->rings == NULL || a->rings->fd < 0)
		return 0;  /* access log off: no thread */
	a->fd = a->rings->fd;
	a->elog = elog;
	a->first = a->rings;
	a->buf = malloc(ALOG_BUF);
	a->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (a->buf == NULL || a->wakefd < 0) {
		err = a->buf == NULL ? ENOMEM : errno;
		goto fail;
	}
	for (struct log_access *r = a->rings; r; r = r->next)
		r->wakefd = a->wakefd;
	err = pthread_create(&a->thread, NULL, alog_main, a);
	if (err != 0)
		goto fail;
	a->running = true;
	return 0;
fail:
	for (struct log_access *r = a->rings; r; r = r->next)
		r->wakefd = -1;
	if (a->wakefd >= 0)
		close(a->wakefd);
	free(a->buf);
	a->buf = NULL;
	errno = err;
	return -1;
}

void
alog_stop(struct alog *a, uint64_t timeout_ms)
{
	uint64_t one = 1;
	unsigned long long lost;

	if (!a->running)
		return;
	a->deadline_ms = alog_now_ms() + timeout_ms;
	atomic_store(&a->stopping, 1);
	if (write(a->wakefd, &one, sizeof(one)) < 0) {
		/* the counter is already non-zero: the writer wakes anyway */
	}
	pthread_join(a->thread, NULL);
	a->running = false;
	lost = a->slow + a->failed;
	log_msg(a->elog, lost ? CONFIG_LOG_WARN : CONFIG_LOG_INFO,
	        "access log: %llu line%s written, %llu dropped", a->written, alog_s(a->written), lost);
	for (struct log_access *r = a->rings; r; r = r->next)
		r->wakefd = -1;
	close(a->wakefd);
	free(a->buf);
	a->buf = NULL;
}
