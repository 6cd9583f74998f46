/* fcache: a per-worker cache of open files. A path served again within
 * FCACHE_VALID_MS is not resolved, opened and closed again: the descriptor
 * is reused, shared by the connections that stream it. An entry older than
 * that is opened afresh; within it, the caller checks with one fstatat that
 * the path still names the cached file and takes its stat from there
 * (file_hit_current), so a file written in place, deleted or replaced by a
 * rename is seen on the next request. Single-threaded: each worker has its
 * own. */
#ifndef TLSERVE_FCACHE_H
#define TLSERVE_FCACHE_H
#include <stddef.h>
#include <stdint.h>

#include "tlserve/file.h"

#define FCACHE_VALID_MS 1000
#define FCACHE_SLOTS 256
#define FCACHE_KEY_MAX 192

struct fcache_entry {
	const void *site;            /* NULL = free slot */
	char key[FCACHE_KEY_MAX];    /* the normalised request path */
	char rel[FCACHE_KEY_MAX];    /* the file served, relative to root */
	size_t keylen, rellen;
	int fd;
	struct stat st;
	uint64_t opened_ms;
	signed char sidecar;         /* a .br or .gz sidecar exists: 1, 0, -1 not yet known */
	/* The response text that depends only on the file, made once: the
	 * validators for the version described by val_* (0 etaglen: none yet),
	 * and the MIME type of its name (NULL: not yet; the cache is flushed on
	 * reload, so the types table it came from outlives it). */
	ino_t val_ino;
	off_t val_size;
	struct timespec val_mtim;
	unsigned char etaglen;
	char etag[63];
	char lastmod[32];
	const char *mime;
	unsigned refs;               /* responses streaming from fd */
	int stale;                   /* evicted while in use: close at refs 0 */
};

struct fcache {
	struct fcache_entry *slots;  /* FCACHE_SLOTS, direct-mapped by hash */
};

int  fcache_init(struct fcache *);   /* 0 or -1 */
void fcache_fini(struct fcache *);   /* closes every descriptor */

/* A fresh entry for (site, norm): fills *hit (hit->fd belongs to the cache,
 * hit->cached is set) and takes a reference. NULL on a miss. */
struct fcache_entry *fcache_get(struct fcache *, const void *site, const char *norm, size_t len,
                                uint64_t now, struct file_hit *hit);
/* Hand a freshly opened regular file to the cache: on success the cache owns
 * hit->fd, hit->cached is set and a reference is taken; otherwise hit is
 * unchanged and the caller still owns the descriptor. */
void fcache_put(struct fcache *, const void *site, const char *norm, size_t len, uint64_t now,
                struct file_hit *hit);
/* Drop a reference (the response is over). */
void fcache_release(struct fcache_entry *);
/* After a reload: forget everything (entries in use close when released). */
void fcache_flush(struct fcache *);

/* Close the descriptor of a hit, or release its cache entry. */
void file_hit_close(struct file_hit *);

#endif
