/* guard: test buffers that end exactly at a PROT_NONE page, so a parser that
 * reads (or writes) one byte past what it was given crashes at once instead of
 * passing by luck. Test-only; header-only so each test_*.c stays one file.
 *
 *   | data pages (RW)                    | guard page (PROT_NONE) |
 *                          ^p ... p+len-1 ^ first byte that faults
 */
#ifndef TLSERVE_TEST_GUARD_H
#define TLSERVE_TEST_GUARD_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct guard {
	char *base;   /* the mapping */
	size_t size;  /* data pages + the guard page */
	size_t room;  /* bytes of data pages: the largest len guard_put accepts */
};

/* Map room for at least cap bytes followed by a guard page. Aborts on failure
 * (a test cannot go on without it). Release with guard_free. */
static inline void
guard_init(struct guard *g, size_t cap)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t data = (cap + pg - 1) / pg * pg;

	if (data == 0)
		data = pg;
	g->size = data + pg;
	g->room = data;
	g->base = mmap(NULL, g->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->base == MAP_FAILED || mprotect(g->base + data, pg, PROT_NONE) != 0) {
		perror("guard_init");
		abort();
	}
}

/* Copy src[0..len) so that its last byte is the last byte before the guard
 * page; returns where it starts (valid until the next guard_put or guard_free). */
static inline char *
guard_put(struct guard *g, const void *src, size_t len)
{
	char *p;

	if (len > g->room)
		abort();
	p = g->base + g->room - len;
	if (len > 0)
		memcpy(p, src, len);
	return p;
}

/* A writable buffer of exactly len bytes ending at the guard page, for outputs. */
static inline char *
guard_out(struct guard *g, size_t len)
{
	if (len > g->room)
		abort();
	memset(g->base, 0xa5, g->room);
	return g->base + g->room - len;
}

static inline void
guard_free(struct guard *g)
{
	munmap(g->base, g->size);
	g->base = NULL;
}

#endif
