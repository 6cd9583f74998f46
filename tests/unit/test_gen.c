/* test_gen: configuration generations are published by main (a reload)
 * and taken by workers while they run. Two threads do that as fast as they
 * can: one publishes (each publication drops the server's reference to the
 * previous generation), the other takes the current one and drops its own.
 * A generation must never be referenced after its last reference is gone;
 * under AddressSanitizer (make asan) a use after free fails the test at
 * once, and without it the reference counts checked here would go wrong. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tlserve/worker.h"

#define PUBLICATIONS 1000000

struct race {
	struct server srv;
	atomic_int done;
	long taken;
};

static struct gen *
gen_new(void)
{
	struct gen *g = calloc(1, sizeof(*g));

	assert_non_null(g);
	atomic_init(&g->refs, 1);
	return g;
}

static void *
publisher(void *arg)
{
	struct race *r = arg;

	for (int i = 0; i < PUBLICATIONS; i++)
		server_publish_gen(&r->srv, gen_new());
	atomic_store(&r->done, 1);
	return NULL;
}

static void *
taker(void *arg)
{
	struct race *r = arg;
	struct gen *have = server_take_gen(&r->srv, NULL);

	while (!atomic_load(&r->done)) {
		struct gen *g = server_take_gen(&r->srv, have);

		if (g == NULL)
			continue;
		/* ours and the server's (or only ours, once replaced): never 0 */
		if (atomic_load(&g->refs) < 1)
			abort();
		gen_unref(have);
		have = g;
		r->taken++;
	}
	gen_unref(have);
	return NULL;
}

static void
test_publish_and_take_race(void **state)
{
	struct race *r = calloc(1, sizeof(*r));
	pthread_t a, b;

	(void)state;
	assert_non_null(r);
	pthread_mutex_init(&r->srv.gen_lock, NULL);
	atomic_init(&r->srv.gen, gen_new());
	assert_int_equal(pthread_create(&b, NULL, taker, r), 0);
	assert_int_equal(pthread_create(&a, NULL, publisher, r), 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	/* the last one published: only the server's reference is left */
	assert_int_equal(atomic_load(&atomic_load(&r->srv.gen)->refs), 1);
	assert_true(r->taken > 0);
	gen_unref(atomic_load(&r->srv.gen));
	pthread_mutex_destroy(&r->srv.gen_lock);
	free(r);
}

/* Taking the generation one already holds gives nothing (and no reference). */
static void
test_take_same_is_null(void **state)
{
	struct server srv;
	struct gen *g = gen_new(), *mine;

	(void)state;
	memset(&srv, 0, sizeof(srv));
	pthread_mutex_init(&srv.gen_lock, NULL);
	atomic_init(&srv.gen, g);
	mine = server_take_gen(&srv, NULL);
	assert_ptr_equal(mine, g);
	assert_int_equal(atomic_load(&g->refs), 2);
	assert_null(server_take_gen(&srv, mine));
	assert_int_equal(atomic_load(&g->refs), 2);
	server_publish_gen(&srv, gen_new());
	assert_int_equal(atomic_load(&g->refs), 1);  /* only mine is left */
	gen_unref(mine);
	gen_unref(atomic_load(&srv.gen));
	pthread_mutex_destroy(&srv.gen_lock);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_take_same_is_null),
		cmocka_unit_test(test_publish_and_take_race),
	};

	return cmocka_run_group_tests_name("gen", tests, NULL, NULL);
}
