/* Unit tests for fcache.c: hits, expiry, files written in place or deleted,
 * and descriptors that stay open while a response still uses them. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tlserve/fcache.h"

static const int site_a = 1, site_b = 2;

struct fixture {
	char dir[64];
	char path[96];
	struct fcache fc;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/fcache-test-XXXXXX");
	if (f == NULL || mkdtemp(f->dir) == NULL || fcache_init(&f->fc) != 0)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/a.txt", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	fcache_fini(&f->fc);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* A hit as file_resolve would leave it for f->path, with an open descriptor. */
static void
open_hit(struct fixture *f, struct file_hit *hit, const char *content)
{
	FILE *w = fopen(f->path, "w");

	assert_non_null(w);
	fputs(content, w);
	fclose(w);
	memset(hit, 0, sizeof(*hit));
	hit->fd = open(f->path, O_RDONLY);
	assert_true(hit->fd >= 0);
	assert_int_equal(fstat(hit->fd, &hit->st), 0);
	strcpy(hit->rel, "a.txt");
	hit->rellen = 5;
}

static void
put_then_get_shares_the_descriptor(void **state)
{
	struct fixture *f = *state;
	struct file_hit hit, again;

	open_hit(f, &hit, "hello");
	fcache_put(&f->fc, &site_a, "/a.txt", 6, 1000, &hit);
	assert_non_null(hit.cached);
	assert_non_null(fcache_get(&f->fc, &site_a, "/a.txt", 6, 1500, &again));
	assert_int_equal(again.fd, hit.fd);
	assert_int_equal(again.st.st_size, 5);
	assert_string_equal(again.rel, "a.txt");
	/* another site, another path: misses */
	assert_null(fcache_get(&f->fc, &site_b, "/a.txt", 6, 1500, &again));
	assert_null(fcache_get(&f->fc, &site_a, "/b.txt", 6, 1500, &again));
	file_hit_close(&hit);
	fcache_release(hit.cached ? hit.cached : again.cached);
}

static void
entries_expire(void **state)
{
	struct fixture *f = *state;
	struct file_hit hit, again;

	open_hit(f, &hit, "hello");
	fcache_put(&f->fc, &site_a, "/a.txt", 6, 1000, &hit);
	file_hit_close(&hit);
	assert_null(fcache_get(&f->fc, &site_a, "/a.txt", 6, 1000 + FCACHE_VALID_MS, &again));
}

static void
writes_in_place_are_seen(void **state)
{
	struct fixture *f = *state;
	struct file_hit hit, again;
	FILE *w;

	open_hit(f, &hit, "hello");
	fcache_put(&f->fc, &site_a, "/a.txt", 6, 1000, &hit);
	file_hit_close(&hit);
	w = fopen(f->path, "a");
	assert_non_null(w);
	fputs(", world", w);
	fclose(w);
	assert_non_null(fcache_get(&f->fc, &site_a, "/a.txt", 6, 1100, &again));
	assert_int_equal(again.st.st_size, 12);
	file_hit_close(&again);
}

static void
deleted_files_are_not_served(void **state)
{
	struct fixture *f = *state;
	struct file_hit hit, again;

	open_hit(f, &hit, "hello");
	fcache_put(&f->fc, &site_a, "/a.txt", 6, 1000, &hit);
	file_hit_close(&hit);
	assert_int_equal(unlink(f->path), 0);
	assert_null(fcache_get(&f->fc, &site_a, "/a.txt", 6, 1100, &again));
}

static void
flush_keeps_descriptors_in_use_open(void **state)
{
	struct fixture *f = *state;
	struct file_hit hit;
	char c;

	open_hit(f, &hit, "hello");
	fcache_put(&f->fc, &site_a, "/a.txt", 6, 1000, &hit);
	fcache_flush(&f->fc);
	/* the response still streaming from it can read */
	assert_int_equal(pread(hit.fd, &c, 1, 0), 1);
	assert_int_equal(c, 'h');
	assert_null(fcache_get(&f->fc, &site_a, "/a.txt", 6, 1100, &hit));
	fcache_release(hit.cached);
}

static void
long_paths_are_not_cached(void **state)
{
	struct fixture *f = *state;
	struct file_hit hit;
	char key[FCACHE_KEY_MAX + 8];

	memset(key, 'k', sizeof(key));
	open_hit(f, &hit, "x");
	fcache_put(&f->fc, &site_a, key, sizeof(key), 1000, &hit);
	assert_null(hit.cached);
	file_hit_close(&hit);  /* the caller still owned it */
	assert_int_equal(hit.fd, -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(put_then_get_shares_the_descriptor, setup, teardown),
		cmocka_unit_test_setup_teardown(entries_expire, setup, teardown),
		cmocka_unit_test_setup_teardown(writes_in_place_are_seen, setup, teardown),
		cmocka_unit_test_setup_teardown(deleted_files_are_not_served, setup, teardown),
		cmocka_unit_test_setup_teardown(flush_keeps_descriptors_in_use_open, setup, teardown),
		cmocka_unit_test_setup_teardown(long_paths_are_not_cached, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
