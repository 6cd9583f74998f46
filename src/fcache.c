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

/* Close an entry's descriptor now, or when its last user is done. */
static void
fcache_evict(struct fcache_entry *e)
{
	if (e->site == NULL)
		return;
	if (e->refs > 0) {
		e->stale = 1;  /* the slot stays taken until released */
		return;
	}
	close(e->fd);
	e->site = NULL;
	e->stale = 0;
}

void
fcache_flush(struct fcache *fc)
{
	for (size_t i = 0; fc->slots && i < FCACHE_SLOTS; i++)
		fcache_evict(&fc->slots[i]);
}

void
fcache_fini(struct fcache *fc)
{
	for (size_t i = 0; fc->slots && i < FCACHE_SLOTS; i++) {
		fc->slots[i].refs = 0;
		fcache_evict(&fc->slots[i]);
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
	 * stat from there (file_hit_current): one system call per use */
	if (now - e->opened_ms >= FCACHE_VALID_MS) {
		fcache_evict(e);  /* too old: the caller opens the path afresh */
		return NULL;
	}
	e->refs++;
	fcache_fill(e, hit);
	return e;
}

void
fcache_put(struct fcache *fc, const void *site, const char *norm, size_t len, uint64_t now,
           struct file_hit *hit)
{
	struct fcache_entry *e;

	if (fc->slots == NULL || len >= FCACHE_KEY_MAX || hit->rellen >= FCACHE_KEY_MAX)
		return;
	e = &fc->slots[fcache_slot(site, norm, len)];
	fcache_evict(e);
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
	e->sidecar = -1;
	e->etaglen = 0;
	e->mime = NULL;
	e->refs = 1;
	e->stale = 0;
	hit->cached = e;
}

void
fcache_release(struct fcache_entry *e)
{
	if (e->refs > 0)
		e->refs--;
	if (e->refs == 0 && e->stale)
		fcache_evict(e);
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
