/* loop: epoll descriptor and a binary min-heap of lazy timers. */
#include "tlserve/loop.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

int
loop_init(struct loop *l)
{
	l->heap = NULL;
	l->n = l->cap = 0;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return -1;
	loop_update_time(l);
	return 0;
}

void
loop_fini(struct loop *l)
{
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
	free(l->heap);
	l->heap = NULL;
	l->n = l->cap = 0;
}

void
loop_update_time(struct loop *l)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	l->now_us = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	l->now_ms = l->now_us / 1000;
}

static void
loop_heap_place(struct loop *l, size_t i, struct loop_timer *t)
{
	l->heap[i] = t;
	t->idx = i;
}

/* Move the entry at i towards the root while it is earlier than its parent. */
static void
loop_sift_up(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (l->heap[parent]->key <= t->key)
			break;
		loop_heap_place(l, i, l->heap[parent]);
		i = parent;
	}
	loop_heap_place(l, i, t);
}

/* Move the entry at i towards the leaves while a child is earlier. */
static void
loop_sift_down(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= l->n)
			break;
		if (c + 1 < l->n && l->heap[c + 1]->key < l->heap[c]->key)
			c++;
		if (l->heap[c]->key >= t->key)
			break;
		loop_heap_place(l, i, l->heap[c]);
		i = c;
	}
	loop_heap_place(l, i, t);
}

int
loop_timer_reserve(struct loop *l, size_t n)
{
	size_t cap = l->cap ? l->cap : 256;
	struct loop_timer **h;

	if (n <= l->cap)
		return 0;
	while (cap < n)
		cap *= 2;
	h = realloc(l->heap, cap * sizeof(*h));
	if (h == NULL)
		return -1;
	l->heap = h;
	l->cap = cap;
	return 0;
}

int
loop_timer_set(struct loop *l, struct loop_timer *t, uint64_t deadline)
{
	t->deadline = deadline;
	if (t->idx != LOOP_TIMER_IDLE) {
		if (deadline >= t->key)
			return 0;  /* lazy: re-queued when the old key comes due */
		t->key = deadline;
		loop_sift_up(l, t->idx);
		return 0;
	}
	if (l->n == l->cap && loop_timer_reserve(l, l->n + 1) != 0)
		return -1;
	t->key = deadline;
	loop_heap_place(l, l->n++, t);
	loop_sift_up(l, t->idx);
	return 0;
}

void
loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	size_t i = t->idx;

	if (i == LOOP_TIMER_IDLE)
		return;
	t->idx = LOOP_TIMER_IDLE;
	if (--l->n == i)
		return;
	loop_heap_place(l, i, l->heap[l->n]);
	if (i > 0 && l->heap[(i - 1) / 2]->key > l->heap[i]->key)
		loop_sift_up(l, i);
	else
		loop_sift_down(l, i);
}

struct loop_timer *
loop_timer_expired(struct loop *l)
{
	while (l->n > 0 && l->heap[0]->key <= l->now_ms) {
		struct loop_timer *t = l->heap[0];

		if (t->deadline > l->now_ms) {
			t->key = t->deadline;  /* moved later since queued */
			loop_sift_down(l, 0);
			continue;
		}
		loop_timer_cancel(l, t);
		return t;
	}
	return NULL;
}

int
loop_timer_wait_ms(const struct loop *l, int cap_ms)
{
	uint64_t key;

	if (l->n == 0)
		return cap_ms;
	key = l->heap[0]->key;
	if (key <= l->now_ms)
		return 0;
	return key - l->now_ms < (uint64_t)cap_ms ? (int)(key - l->now_ms) : cap_ms;
}
