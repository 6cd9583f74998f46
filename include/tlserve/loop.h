/* loop: a thin epoll wrapper and a per-worker timer heap. Single-threaded:
 * each worker owns one. Timers are lazy: pushing a deadline later only
 * records it, and the heap entry is re-queued when it comes due, so a
 * keep-alive connection refreshing its timer costs no heap work. */
#ifndef TLSERVE_LOOP_H
#define TLSERVE_LOOP_H
#include <stddef.h>
#include <stdint.h>

struct loop_timer {
	uint64_t key;       /* position in the heap (ms) */
	uint64_t deadline;  /* the real deadline (ms); >= key while queued */
	size_t idx;         /* heap index, or LOOP_TIMER_IDLE */
};
#define LOOP_TIMER_IDLE ((size_t)-1)

struct loop {
	int epfd;
	struct loop_timer **heap;
	size_t n, cap;
	uint64_t now_ms;    /* CLOCK_MONOTONIC, refreshed by loop_update_time */
	uint64_t now_us;    /* the same instant in microseconds (request durations) */
	uint64_t pass;      /* the worker's epoll_wait returns so far: one pass is the
	                     * work done on what one of them reported */
};

int  loop_init(struct loop *);   /* 0 or -1 (errno) */
void loop_fini(struct loop *);
void loop_update_time(struct loop *);

static inline void
loop_timer_init(struct loop_timer *t)
{
	t->key = t->deadline = 0;
	t->idx = LOOP_TIMER_IDLE;
}

/* Arm (or move) the timer to fire at deadline (ms, loop clock). O(log n) when
 * the deadline moves earlier or the timer was idle, O(1) when later.
 * Returns 0, or -1 when the heap cannot grow. */
int  loop_timer_set(struct loop *, struct loop_timer *, uint64_t deadline);
/* Make room for n armed timers at once, so that arming up to n never
 * allocates (and never fails). 0, or -1 when out of memory. */
int  loop_timer_reserve(struct loop *, size_t n);
/* Remove the timer. O(log n). */
void loop_timer_cancel(struct loop *, struct loop_timer *);
/* Pop one timer whose deadline has passed, or NULL. */
struct loop_timer *loop_timer_expired(struct loop *);
/* Milliseconds until the earliest timer (capped at cap_ms), or cap_ms when none. */
int  loop_timer_wait_ms(const struct loop *, int cap_ms);

#endif
