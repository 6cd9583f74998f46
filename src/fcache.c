/* fcache: per-worker open-file cache (see fcache.h). */
#include "tlserve/fcache.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
fcache_init(struct fcache *fc)
{
	fc->slots = calloc(FCACHE_SLOTS, sizeof(*fc->slots));
	return fc->slots ? 0 : -1;
}

static void
fcache_drop_body(struct fcache *fc, struct fcache_entry *e)
{
	if (e->body == NULL)
		return;
	free(e->body);
	e->body = NULL;
	fc->body_bytes -= (size_t)e->body_size;
}

/* Close an entry's descriptor now, or when its last user is done. */
static void
fcache_evict(struct fcache *fc, struct fcache_entry *e)
{
	if (e->site == NULL)
		return;
	if (e->refs > 0) {
		e->stale = 1;  /* the slot stays taken until released */
		return;
	}
	fcache_drop_body(fc, e);
	close(e->fd);
	e->site = NULL;
	e->stale = 0;
}

void
fcache_flush(struct fcache *fc)
{
	for (size_t i = 0; fc->slots && i < FCACHE_SLOTS; i++)
		fcache_evict(fc, &fc->slots[i]);
}

void
fcache_sweep(struct fcache *fc, uint64_t now)
{
	if (fc->slots == NULL || now - fc->swept_ms < FCACHE_VALID_MS)
		return;
	fc->swept_ms = now;
	for (size_t i = 0; i < FCACHE_SLOTS; i++) {
		struct fcache_entry *e = &fc->slots[i];

		if (e->site != NULL && !e->stale && now - e->opened_ms >= FCACHE_VALID_MS)
			fcache_evict(fc, e);
	}
}

void
fcache_fini(struct fcache *fc)
{
	for (size_t i = 0; fc->slots && i < FCACHE_SLOTS; i++) {
		fc->slots[i].refs = 0;
		fcache_evict(fc, &fc->slots[i]);
	}
	free(fc->slots);
	fc->slots = NULL;
}

/* FNV-1a over the site pointer and the path: O(len). */
static size_t
fcache_slot(const void *site, const char *key, size_t len)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)(uintptr_t)site;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)key[i]) * 1099511628211ull;
	return (size_t)(h % FCACHE_SLOTS);
}

static void
fcache_fill(const struct fcache_entry *e, struct file_hit *hit)
{
	hit->fd = e->fd;
	hit->st = e->st;
	memcpy(hit->rel, e->rel, e->rellen + 1);
	hit->rellen = e->rellen;
	hit->name = hit->rel;  /* the extension is what the MIME lookup needs */
	hit->namelen = hit->rellen;
	hit->cached = (struct fcache_entry *)e;
}

struct fcache_entry *
fcache_get(struct fcache *fc, const void *site, const char *norm, size_t len, uint64_t now,
           struct file_hit *hit)
{
	struct fcache_entry *e;

	if (fc->slots == NULL || len >= FCACHE_KEY_MAX)
		return NULL;
	e = &fc->slots[fcache_slot(site, norm, len)];
	if (e->site != site || e->stale || e->keylen != len || memcmp(e->key, norm, len) != 0)
		return NULL;
	/* the caller checks that the path still names this file and takes its
	 * stat from there (file_hit_current): one system call per pass */
	if (now - e->opened_ms >= FCACHE_VALID_MS) {
		fcache_evict(fc, e);  /* too old: the caller opens the path afresh */
		return NULL;
	}
	e->refs++;
	fcache_fill(e, hit);
	return e;
}

void
fcache_put(struct fcache *fc, const void *site, const char *norm, size_t len, uint64_t now,
           uint64_t pass, struct file_hit *hit)
{
	struct fcache_entry *e;

	if (fc->slots == NULL || len >= FCACHE_KEY_MAX || hit->rellen >= FCACHE_KEY_MAX)
		return;
	e = &fc->slots[fcache_slot(site, norm, len)];
	fcache_evict(fc, e);
	if (e->site != NULL)
		return;  /* the slot's file is still being sent: do not cache this one */
	e->site = site;
	memcpy(e->key, norm, len);
	e->keylen = len;
	memcpy(e->rel, hit->rel, hit->rellen + 1);
	e->rellen = hit->rellen;
	e->fd = hit->fd;
	e->st = hit->st;
	e->opened_ms = now;
	e->checked_pass = pass;
	e->sidecar = -1;
	e->etaglen = 0;
	e->mime = NULL;
	e->body = NULL;
	e->fc = fc;
	e->refs = 1;
	e->stale = 0;
	hit->cached = e;
}

void
fcache_checked(struct fcache_entry *e, const struct file_hit *hit, uint64_t pass)
{
	e->st = hit->st;
	e->checked_pass = pass;
}

static bool
fcache_same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

const char *
fcache_body(struct fcache_entry *e, time_t now)
{
	struct fcache *fc = e->fc;
	const struct stat *st = &e->st;
	char *buf;

	if (e->body != NULL) {
		if (e->body_size == st->st_size && fcache_same_time(&e->body_mtim, &st->st_mtim) &&
		    fcache_same_time(&e->body_ctim, &st->st_ctim))
			return e->body;
		if (e->refs > 1)
			return NULL;  /* another response still sends the old bytes */
		fcache_drop_body(fc, e);
	}
	/* Settled: a write from now on gives the file a time later than these,
	 * even with timestamps as coarse as the kernel's tick. */
	if (st->st_size <= 0 || st->st_size > FCACHE_BODY_MAX ||
	    fc->body_bytes + (size_t)st->st_size > FCACHE_BODY_BUDGET ||
	    st->st_mtim.tv_sec > now - FCACHE_SETTLED_S || st->st_ctim.tv_sec > now - FCACHE_SETTLED_S)
		return NULL;
	buf = malloc((size_t)st->st_size);
	if (buf == NULL)
		return NULL;
	if (pread(e->fd, buf, (size_t)st->st_size, 0) != st->st_size) {
		free(buf);  /* shorter than its stat said: changing under us */
		return NULL;
	}
	e->body = buf;
	e->body_size = st->st_size;
	e->body_mtim = st->st_mtim;
	e->body_ctim = st->st_ctim;
	fc->body_bytes += (size_t)st->st_size;
	return buf;
}

void
fcache_release(struct fcache_entry *e)
{
	if (e->refs > 0)
		e->refs--;
	if (e->refs == 0 && e->stale)
		fcache_evict(e->fc, e);
}

void
file_hit_close(struct file_hit *hit)
{
	if (hit->cached)
		fcache_release(hit->cached);
	else if (hit->fd >= 0)
		close(hit->fd);
	hit->cached = NULL;
	hit->fd = -1;
}
