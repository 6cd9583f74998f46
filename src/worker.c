/* worker: the per-thread event loop. Accepts on its own SO_REUSEPORT sockets,
 * drives connections, fires timers, and drains on stop. The connection path
 * takes no lock: only taking a new configuration generation after a reload
 * does (server_take_gen). */
#include "tlserve/worker.h"
#include "tlserve/site.h"
#include "tlserve/h2.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tlserve/conn.h"
#include "tlserve/tls.h"

#define WORKER_EVENTS 256
#define WORKER_ACCEPT_TRIES 8         /* accept4 calls per event when peers abort (ECONNABORTED) */
#define WORKER_CONN_CHUNK 256         /* connection slots allocated at a time */
#define WORKER_BACKLOG 4096

void *
worker_buf_get(struct worker_pool *p)
{
	void *b = p->free;

	if (b != NULL) {
		memcpy(&p->free, b, sizeof(void *));
		return b;
	}
	b = malloc(p->size);
	if (b != NULL)
		p->count++;
	return b;
}

void
worker_buf_put(struct worker_pool *p, void *b)
{
	memcpy(b, &p->free, sizeof(void *));
	p->free = b;
}

static void
worker_pool_free(struct worker_pool *p)
{
	while (p->free) {
		void *b = p->free;

		memcpy(&p->free, b, sizeof(void *));
		free(b);
	}
}

/* Open this worker's socket on every bound address of every listener. The
 * addresses were resolved and probed by main, so ports are concrete. */
static int
worker_listen_all(struct worker *w, char *err, size_t errlen)
{
	struct server *srv = w->srv;
	size_t total = 0, k = 0;

	for (size_t i = 0; i < srv->nlisteners; i++)
		total += srv->naddrs[i];
	w->listens = calloc(total ? total : 1, sizeof(*w->listens));
	if (w->listens == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < srv->nlisteners; i++) {
		for (size_t j = 0; j < srv->naddrs[i]; j++) {
			struct worker_listen *l = &w->listens[k];
			struct epoll_event ev = {.events = EPOLLIN, .data.ptr = l};

			l->kind = WORKER_EV_LISTEN;
			l->listener = i;
			l->fd = listener_bind(&srv->addrs[i][j], WORKER_BACKLOG, err, errlen);
			if (l->fd < 0)
				return -1;
			w->nlistens = ++k;
			if (epoll_ctl(w->loop.epfd, EPOLL_CTL_ADD, l->fd, &ev) != 0) {
				snprintf(err, errlen, "epoll_ctl: %s", strerror(errno));
				return -1;
			}
		}
	}
	return 0;
}

void
gen_ref(struct gen *g)
{
	atomic_fetch_add_explicit(&g->refs, 1, memory_order_relaxed);
}

void
gen_unref(struct gen *g)
{
	if (g == NULL || atomic_fetch_sub_explicit(&g->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (size_t i = 0; i < g->neps; i++) {
		if (g->eps[i].tls != NULL)
			tls_server_unref(g->eps[i].tls);
		site_close_all(&g->eps[i]);
	}
	free(g->eps);
	config_free(g->cfg);
	free(g);
}

void
server_publish_gen(struct server *srv, struct gen *g)
{
	struct gen *old;

	pthread_mutex_lock(&srv->gen_lock);
	old = atomic_load_explicit(&srv->gen, memory_order_relaxed);
	atomic_store_explicit(&srv->gen, g, memory_order_release);
	pthread_mutex_unlock(&srv->gen_lock);
	gen_unref(old);  /* after the unlock: no one can load it any more */
}

struct gen *
server_take_gen(struct server *srv, const struct gen *have)
{
	struct gen *g;

	/* no lock to compare: have is referenced by the caller, so no other
	 * generation can sit at its address */
	if (atomic_load_explicit(&srv->gen, memory_order_acquire) == have)
		return NULL;
	pthread_mutex_lock(&srv->gen_lock);
	g = atomic_load_explicit(&srv->gen, memory_order_acquire);
	gen_ref(g);
	pthread_mutex_unlock(&srv->gen_lock);
	return g;
}

/* Follow a reload: new connections get the newest generation. */
static void
worker_follow_gen(struct worker *w)
{
	struct gen *g = server_take_gen(w->srv, w->gen);

	if (g == NULL)
		return;
	gen_unref(w->gen);
	w->gen = g;
	fcache_flush(&w->fcache);  /* new roots: nothing opened under the old ones is reused */
	/* HTTP/2 connections would reuse the old configuration for good: a
	 * GOAWAY sends their clients to a new connection once their streams
	 * in flight are done */
	for (struct conn *c = w->active, *next; c != NULL; c = next) {
		next = c->next;
		if (c->h2 != NULL && c->ep->gen != g)
			h2_drain(c);
	}
}

int
worker_init(struct worker *w, int id, struct server *srv, char *err, size_t errlen)
{
	struct gen *g = atomic_load(&srv->gen);
	const struct config *cfg = g->cfg;
	struct epoll_event ev = {.events = EPOLLIN};

	memset(w, 0, sizeof(*w));
	w->wake_kind = WORKER_EV_WAKE;
	w->id = id;
	w->srv = srv;
	gen_ref(g);
	w->gen = g;
	w->wakefd = -1;
	w->loop.epfd = -1;
	w->rpool.size = cfg->limits.max_request_head > CONN_ECHO_BUF ? cfg->limits.max_request_head
	                                                             : CONN_ECHO_BUF;
	w->wpool.size = CONN_WBUF_SIZE;
	w->h2pool.size = h2_stream_size();
	w->spool.size = CONN_SMALL_BUF < w->rpool.size ? CONN_SMALL_BUF : w->rpool.size;
	if (loop_init(&w->loop) != 0) {
		snprintf(err, errlen, "epoll: %s", strerror(errno));
		return -1;
	}
	w->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ev.data.ptr = &w->wake_kind;
	if (w->wakefd < 0 || epoll_ctl(w->loop.epfd, EPOLL_CTL_ADD, w->wakefd, &ev) != 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		return -1;
	}
	if (fcache_init(&w->fcache) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	w->body = malloc(TLS_BATCH_PLAIN);
	if (tls_batch_init(&w->tls_batch) != 0 || w->body == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	w->nhdrs = cfg->limits.max_headers;
	w->hdrs = calloc(w->nhdrs, sizeof(*w->hdrs));
	w->alog = calloc(1, sizeof(*w->alog));
	w->metrics = calloc(srv->nlisteners ? srv->nlisteners : 1, sizeof(*w->metrics));
	if (w->hdrs == NULL || w->alog == NULL || w->metrics == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	w->alog->fd = -1;
	log_clock_update(&w->clock, time(NULL));
	return worker_listen_all(w, err, errlen);
}

/* Slots come in chunks that live as long as the worker: a connection never
 * costs an allocation of its own once the worker has warmed up. */
struct worker_chunk {
	struct worker_chunk *next;
	struct conn slots[WORKER_CONN_CHUNK];
};

/* A free connection slot, allocating a chunk when none is left. */
static struct conn *
worker_slot(struct worker *w)
{
	struct conn *c;

	if (w->free_conns == NULL) {
		struct worker_chunk *ch = calloc(1, sizeof(*ch));

		if (ch == NULL)
			return NULL;
		ch->next = w->chunks;
		w->chunks = ch;
		for (size_t i = WORKER_CONN_CHUNK; i-- > 0;) {
			ch->slots[i].next = w->free_conns;
			w->free_conns = &ch->slots[i];
		}
	}
	c = w->free_conns;
	w->free_conns = c->next;
	return c;
}

struct conn *
worker_slot_get(struct worker *w)
{
	return worker_slot(w);
}

void
worker_slot_put(struct worker *w, struct conn *c)
{
	c->next = w->free_conns;
	w->free_conns = c;
}

/* Listening sockets stop being polled for a moment when the process is out
 * of descriptors, instead of spinning on a readable socket accept() refuses. */
static void
worker_accept_pause(struct worker *w, bool pause)
{
	for (size_t i = 0; i < w->nlistens; i++) {
		struct epoll_event ev = {.events = pause ? 0 : EPOLLIN, .data.ptr = &w->listens[i]};

		if (w->listens[i].fd >= 0)
			epoll_ctl(w->loop.epfd, EPOLL_CTL_MOD, w->listens[i].fd, &ev);
	}
	w->accept_paused_until = pause ? w->loop.now_ms + 100 : 0;
}

/* One connection per readiness event: the listening socket is polled
 * level-triggered, so epoll reports it again at once while more wait, and
 * the accept4 that would only say EAGAIN is never made (one system call
 * less per connection when they come one at a time; in a burst, the
 * events of the others are served in between). */
static bool
worker_accept(struct worker *w, struct worker_listen *l)
{
	for (int i = 0; i < WORKER_ACCEPT_TRIES; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = accept4(l->fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				log_msg(&w->srv->elog, CONFIG_LOG_WARN,
				        "accept on %s: %s; pausing accepts for 100ms",
				        w->gen->eps[l->listener].cfg->name, strerror(errno));
				worker_accept_pause(w, true);
			}
			return false;
		}
		conn_open(w, &w->gen->eps[l->listener], fd, (struct sockaddr *)&ss, len);
		return true;
	}
	return false;
}

/* Stop accepting and let connections finish (SIGTERM / SIGINT). Listening
 * sockets close at once, so the kernel sends new connections to no one. */
static void
worker_begin_drain(struct worker *w)
{
	struct conn *c, *next;

	if (w->draining)
		return;
	w->draining = true;
	w->drain_deadline = w->loop.now_ms + w->gen->cfg->limits.shutdown_timeout_ms;
	for (size_t i = 0; i < w->nlistens; i++) {
		if (w->listens[i].fd < 0)
			continue;
		/* take what the kernel already queued: closing the socket would reset it */
		for (int k = 0; k < 1024 && worker_accept(w, &w->listens[i]); k++)
			;
		close(w->listens[i].fd);
		w->listens[i].fd = -1;
	}
	for (c = w->active; c; c = next) {
		next = c->next;
		conn_drain(c);
	}
}

static void
worker_dispatch(struct worker *w, struct epoll_event *ev)
{
	enum worker_ev_kind *kind = ev->data.ptr;

	switch (*kind) {
	case WORKER_EV_LISTEN:
		if (!w->draining)
			worker_accept(w, (struct worker_listen *)kind);
		break;
	case WORKER_EV_WAKE: {
		uint64_t v;

		/* main wakes us after a reload and to stop */
		if (read(w->wakefd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			break;
		worker_follow_gen(w);
		if (atomic_load(&w->srv->stopping))
			worker_begin_drain(w);
		break;
	}
	case WORKER_EV_CONN:
		conn_on_event((struct conn *)kind, ev->events);
		break;
	}
}

/* Connections that used up their turn with work left run again, each once. */
static void
worker_run_ready(struct worker *w)
{
	struct conn *list = w->ready;

	w->ready = NULL;
	while (list) {
		struct conn *c = list;

		list = c->ready_next;
		c->ready_next = NULL;
		c->in_ready = false;
		conn_on_event(c, 0);
	}
}

void
worker_unready(struct worker *w, struct conn *c)
{
	struct conn **pp = &w->ready;

	while (*pp && *pp != c)
		pp = &(*pp)->ready_next;
	if (*pp)
		*pp = c->ready_next;
	c->ready_next = NULL;
	c->in_ready = false;
}

static void
worker_run_timers(struct worker *w)
{
	struct loop_timer *t;

	while ((t = loop_timer_expired(&w->loop)) != NULL) {
		struct conn *c = (struct conn *)((char *)t - offsetof(struct conn, timer));

		conn_on_timeout(c);
	}
	if (w->draining && w->loop.now_ms >= w->drain_deadline) {
		while (w->active)
			conn_abort(w->active);
	}
}

/* How long epoll_wait may sleep: until the next timer, or at once when
 * connections are waiting for another turn. */
static int
worker_wait_ms(struct worker *w)
{
	int ms = loop_timer_wait_ms(&w->loop, 1000);

	if (w->ready)
		return 0;
	if (w->warm_head) {
		uint64_t due = w->warm_head->warm_since + CONN_WARM_MS;
		int left = due > w->loop.now_ms ? (int)(due - w->loop.now_ms) : 0;

		ms = left < ms ? left : ms;
	}
	if (w->accept_paused_until)
		ms = ms > 100 ? 100 : ms;
	if (w->draining) {
		uint64_t left = w->drain_deadline > w->loop.now_ms ? w->drain_deadline - w->loop.now_ms
		                                                   : 0;
		ms = left < (uint64_t)ms ? (int)left : ms;
	}
	return ms;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event evs[WORKER_EVENTS];

	while (!(w->draining && w->active == NULL)) {
		int n = epoll_wait(w->loop.epfd, evs, WORKER_EVENTS, worker_wait_ms(w));

		if (n < 0 && errno != EINTR) {
			log_msg(&w->srv->elog, CONFIG_LOG_ERROR, "epoll_wait: %s", strerror(errno));
			break;
		}
		loop_update_time(&w->loop);
		w->loop.pass++;
		log_clock_update(&w->clock, time(NULL));
		worker_follow_gen(w);
		for (int i = 0; i < n; i++)
			worker_dispatch(w, &evs[i]);
		worker_run_ready(w);
		worker_run_timers(w);
		fcache_sweep(&w->fcache, w->loop.now_ms);
		conn_cool(w);
		if (w->accept_paused_until && w->loop.now_ms >= w->accept_paused_until && !w->draining)
			worker_accept_pause(w, false);
	}
	return NULL;
}

int
worker_start(struct worker *w)
{
	return pthread_create(&w->thread, NULL, worker_main, w) == 0 ? 0 : -1;
}

void
worker_wake(struct worker *w)
{
	uint64_t one = 1;

	if (write(w->wakefd, &one, sizeof(one)) < 0) {
		/* the counter is already non-zero: the worker will wake anyway */
	}
}

void
worker_join(struct worker *w)
{
	pthread_join(w->thread, NULL);
}

void
worker_fini(struct worker *w)
{
	while (w->active)
		conn_abort(w->active);
	for (size_t i = 0; i < w->nlistens; i++)
		if (w->listens[i].fd >= 0)
			close(w->listens[i].fd);
	free(w->listens);
	while (w->chunks) {
		struct worker_chunk *ch = w->chunks;

		w->chunks = ch->next;
		free(ch);
	}
	worker_pool_free(&w->rpool);
	worker_pool_free(&w->spool);
	fcache_fini(&w->fcache);
	tls_batch_fini(&w->tls_batch);
	free(w->body);
	worker_pool_free(&w->wpool);
	worker_pool_free(&w->h2pool);
	h2_mem_fini(&w->h2mem);
	free(w->hdrs);
	free(w->alog);
	free(w->metrics);
	gen_unref(w->gen);
	w->gen = NULL;
	if (w->wakefd >= 0)
		close(w->wakefd);
	loop_fini(&w->loop);
}
