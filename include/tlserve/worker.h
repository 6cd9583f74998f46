/* worker: one thread, one epoll loop, its own listening sockets (SO_REUSEPORT),
 * connection slots, buffer pool, timers and access-log buffer. Workers share
 * only the immutable server generation and a few atomic counters. */
#ifndef TLSERVE_WORKER_H
#define TLSERVE_WORKER_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlserve/config.h"
#include "tlserve/fcache.h"
#include "tlserve/tls.h"
#include "tlserve/http.h"
#include "tlserve/listener.h"
#include "tlserve/log.h"
#include "tlserve/loop.h"
#include "tlserve/metrics.h"

struct conn;
struct tls_server;
struct worker_chunk;

/* What an epoll registration points at. */
enum worker_ev_kind { WORKER_EV_LISTEN, WORKER_EV_WAKE, WORKER_EV_CONN };

struct gen;
struct acme;
struct challenges;
struct tls_challenges;

/* A site of a files listener as the runtime sees it: shared, read-only. */
struct site {
	const struct config_site *cfg;
	const char *name;            /* its first name; NULL for the default site */
	int rootfd;                  /* O_PATH descriptor of its root */
	bool use_openat2;            /* openat2(RESOLVE_BENEATH) works here */
	char *h1_headers;            /* its headers: as HTTP/1.1 lines, made once */
	size_t h1_headers_len;
};

/* A configured listener as the runtime sees it: shared, read-only. */
struct endpoint {
	struct gen *gen;             /* the generation it belongs to */
	const struct config_listener *cfg;
	struct tls_server *tls;      /* NULL for a redirect listener (plain HTTP) */
	struct site *sites;          /* files: [0] the default site, then cfg->sites' order */
	size_t nsites;
	size_t index;                /* in the configuration, and in the workers' metrics */
};

/* A configuration generation: the parsed file and what was built from it.
 * Immutable once published. SIGHUP builds a new one off to the side and
 * swaps it in; connections keep the one they started with (reference count:
 * main holds one, each worker one for its current generation, each
 * connection one), and the last reference frees it. */
struct gen {
	atomic_int refs;
	struct config *cfg;
	struct endpoint *eps;        /* one per listener, in the configuration's order */
	size_t neps;
};

void gen_ref(struct gen *);
void gen_unref(struct gen *);   /* frees at zero: TLS contexts, root descriptors, config */

/* Everything the workers share. Owned by main. */
struct server {
	_Atomic(struct gen *) gen;   /* the current generation (main's reference) */
	pthread_mutex_t gen_lock;    /* held to publish gen, and to load + reference it */
	struct gen *boot;            /* the start-up one: log paths, user, workers */
	struct listener_addr **addrs; /* per listener: bound addresses (ports resolved) */
	size_t *naddrs;
	size_t nlisteners;
	struct log_error elog;
	atomic_uint conns;           /* open connections across workers */
	atomic_ulong rejected;       /* refused over max_connections */
	atomic_int stopping;
	struct worker *workers;      /* for a scrape: each one's counters */
	size_t nworkers;
	struct metrics_server m;     /* what main counts */
	struct challenges *http01;   /* ACME's HTTP-01 answers (redirect listeners), or NULL */
	struct tls_challenges *alpn01; /* ACME's TLS-ALPN-01 certificates, or NULL */
	struct acme *acme;           /* the ACME client (main's) */
};

/* Make g (one reference, handed over) the current generation and drop
 * the server's reference to the previous one. Under gen_lock, so that a
 * worker never references a generation after its last reference is gone
 * (two reloads in a row would otherwise free one a worker just loaded). */
void server_publish_gen(struct server *, struct gen *g);
/* The current generation with a reference for the caller, or NULL when it
 * is still have (a generation the caller holds). */
struct gen *server_take_gen(struct server *, const struct gen *have);

struct worker_listen {
	enum worker_ev_kind kind;    /* WORKER_EV_LISTEN */
	int fd;
	size_t listener;             /* index into the generation's eps */
};

/* A pooled buffer; the free list threads through the first bytes. */
struct worker_pool {
	void *free;
	size_t size;
	size_t count;                /* buffers allocated and not freed */
};

/* Freed small blocks by size class, for reuse (bounded lists). */
#define WORKER_BLOCK_CLASSES 6   /* 64 bytes to 2 KiB */
struct worker_blocks {
	void *free[WORKER_BLOCK_CLASSES];
	unsigned count[WORKER_BLOCK_CLASSES];
};

struct worker {
	enum worker_ev_kind wake_kind;  /* WORKER_EV_WAKE: the epoll tag of wakefd */
	int id;
	pthread_t thread;
	struct server *srv;
	struct gen *gen;             /* the generation new connections get (one reference) */
	struct loop loop;
	int wakefd;                  /* eventfd: main asks the worker to stop */
	struct worker_listen *listens;
	size_t nlistens;
	struct conn *free_conns;     /* slot free list */
	struct worker_chunk *chunks; /* where the slots live */
	struct conn *active;         /* doubly linked list of open connections */
	size_t nactive;
	struct conn *ready;          /* connections that yielded with work left */
	struct conn *warm_head, *warm_tail; /* idle ones holding TLS buffers, oldest first */
	struct worker_pool spool;    /* small request buffers (CONN_SMALL_BUF) */
	struct worker_pool rpool;    /* large ones: max_request_head, at least the echo size */
	struct worker_pool wpool;    /* response buffers */
	struct worker_pool h2pool;   /* HTTP/2 stream objects */
	struct worker_blocks h2mem;  /* nghttp2's small allocations (h2.c) */
	struct fcache fcache;        /* open files recently served */
	struct tls_batch tls_batch;  /* a tls_write's records, sent together */
	char *body;                  /* TLS_BATCH_PLAIN bytes: a file body read for one tls_write */
	struct http_header *hdrs;    /* parser scratch */
	size_t nhdrs;                /* its capacity: max_headers at start-up */
	struct log_clock clock;
	struct log_access *alog;
	struct metrics_listener *metrics;  /* per listener; written only by this worker */
	bool draining;
	uint64_t drain_deadline;
	uint64_t last_reject_log;
	uint64_t accept_paused_until;
};

/* Set up a worker's loop, listening sockets and pools. Returns 0 or -1
 * with a message in err. */
int  worker_init(struct worker *, int id, struct server *, char *err, size_t errlen);
int  worker_start(struct worker *);   /* pthread_create; 0 or -1 */
void worker_wake(struct worker *);    /* async-signal-safe: ask it to drain and stop */
void worker_join(struct worker *);
void worker_fini(struct worker *);

/* Connection slots (owned by the worker, reused). */
struct conn *worker_slot_get(struct worker *);
void worker_slot_put(struct worker *, struct conn *);
/* Take a connection off the ready list (it is closing). */
void worker_unready(struct worker *, struct conn *);

void *worker_buf_get(struct worker_pool *);
void  worker_buf_put(struct worker_pool *, void *);

/* The current wall clock second and date strings, refreshed per loop turn. */
static inline const struct log_clock *
worker_clock(const struct worker *w)
{
	return &w->clock;
}

#endif
