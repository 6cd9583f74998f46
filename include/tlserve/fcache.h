/* fcache: a per-worker cache of open files. A path served again within
 * FCACHE_VALID_MS is not resolved, opened and closed again: the descriptor
 * is reused, shared by the connections that stream it. An entry older than
 * that is opened afresh; within it, the caller checks with one fstatat that
 * the path still names the cached file and takes its stat from there
 * (file_hit_current), once per pass of the worker's event loop: a file
 * written in place, deleted or replaced by a rename is seen by every
 * request read after the worker next waits for events, and the many
 * requests one pass serves under load (HTTP/2 streams, pipelined or
 * concurrent keep-alive requests) share one check. A small file that has
 * not changed for FCACHE_SETTLED_S seconds is also kept in memory, so
 * that its requests make no system call of their own: the version kept is
 * the one its size and times name, and a write after it was read gives the
 * file a later time, which the next check sees (a file is kept only once
 * its times are older than any time a write could give it now, so two
 * versions cannot share one). Single-threaded: each worker has its own. */
#ifndef TLSERVE_FCACHE_H
#define TLSERVE_FCACHE_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "tlserve/file.h"

#define FCACHE_VALID_MS 1000
#define FCACHE_SLOTS 256
#define FCACHE_KEY_MAX 192
#define FCACHE_BODY_MAX (16 * 1024)       /* the largest file kept in memory */
#define FCACHE_BODY_BUDGET (1024 * 1024)  /* a worker's files in memory at most */
#define FCACHE_SETTLED_S 2                /* unchanged this long (seconds) before it is kept */

struct fcache;

struct fcache_entry {
	const void *site;            /* NULL = free slot */
	struct fcache *fc;           /* the cache it is in */
	char key[FCACHE_KEY_MAX];    /* the normalised request path */
	char rel[FCACHE_KEY_MAX];    /* the file served, relative to root */
	size_t keylen, rellen;
	int fd;
	struct stat st;
	uint64_t opened_ms;
	uint64_t checked_pass;       /* the loop pass whose check st is from */
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
	/* The file's bytes, for a small settled file (fcache_body), and the
	 * version they are: the size and times of the stat they were read by. */
	char *body;
	off_t body_size;
	struct timespec body_mtim, body_ctim;
	unsigned refs;               /* responses streaming from fd (or body) */
	int stale;                   /* evicted while in use: close at refs 0 */
};

struct fcache {
	struct fcache_entry *slots;  /* FCACHE_SLOTS, direct-mapped by hash */
	size_t body_bytes;           /* of the entries' bodies, at most FCACHE_BODY_BUDGET */
	uint64_t swept_ms;           /* the last fcache_sweep that looked */
};

int  fcache_init(struct fcache *);   /* 0 or -1 */
void fcache_fini(struct fcache *);   /* closes every descriptor */

/* A fresh entry for (site, norm): fills *hit (hit->fd belongs to the cache,
 * hit->cached is set) and takes a reference. NULL on a miss. Unless the
 * entry's checked_pass is this pass, the caller checks the path
 * (file_hit_current) and records it with fcache_checked. */
struct fcache_entry *fcache_get(struct fcache *, const void *site, const char *norm, size_t len,
                                uint64_t now, struct file_hit *hit);
/* Hand a freshly opened regular file to the cache: on success the cache owns
 * hit->fd, hit->cached is set and a reference is taken; otherwise hit is
 * unchanged and the caller still owns the descriptor. */
void fcache_put(struct fcache *, const void *site, const char *norm, size_t len, uint64_t now,
                uint64_t pass, struct file_hit *hit);
/* The path still names e's file, as hit->st says, in this pass. */
void fcache_checked(struct fcache_entry *e, const struct file_hit *hit, uint64_t pass);
/* The bytes of e's file as e->st describes it, kept in memory (read now
 * with one pread when not yet), or NULL when the file is not kept: larger
 * than FCACHE_BODY_MAX, changed within FCACHE_SETTLED_S of now (wall clock
 * seconds), the worker's budget spent, or unreadable. Valid while the
 * caller holds its reference. */
const char *fcache_body(struct fcache_entry *e, time_t now);
/* Drop a reference (the response is over). */
void fcache_release(struct fcache_entry *);
/* After a reload: forget everything (entries in use close when released). */
void fcache_flush(struct fcache *);
/* Called every loop pass; once per FCACHE_VALID_MS it closes the entries
 * too old to be used again (those in use when released), so a file that
 * is no longer asked for is not held open (a deleted file's space is freed
 * within two seconds of its last use) and its kept bytes go back to the
 * budget. */
void fcache_sweep(struct fcache *, uint64_t now);

/* Close the descriptor of a hit, or release its cache entry. */
void file_hit_close(struct file_hit *);

#endif
