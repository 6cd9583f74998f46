/* Unit tests for fcache.c: hits, expiry, files written in place or deleted,
 * and descriptors that stay open while a response still uses them. */
#include <errno.h>
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
#include "tlserve/worker.h"

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

/* file_hit_current for a hit of f->path ("a.txt" beneath f->dir). */
static bool
check_current(struct fixture *f, struct file_hit *hit)
{
	struct site site;
	char err[128];
	bool ok = false, cur;

	memset(&site, 0, sizeof(site));
	site.rootfd = file_root_open(f->dir, &ok, err, sizeof(err));
	assert_true(site.rootfd >= 0);
	strcpy(hit->rel, "a.txt");
	hit->rellen = 5;
	cur = file_hit_current(&site, hit);
	close(site.rootfd);
	return cur;
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
	/* the caller's check of the path refreshes the stat */
	assert_true(check_current(f, &again));
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
	/* the entry is still there; the path names nothing any more */
	assert_non_null(fcache_get(&f->fc, &site_a, "/a.txt", 6, 1100, &again));
	assert_false(check_current(f, &again));
	file_hit_close(&again);
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

/* A file renamed over the cached path (a deploy) while an old release keeps
 * the replaced file linked: the cache's descriptor still fstat's fine, so
 * only the path tells: file_hit_current. */
static void
renamed_over_is_not_current(void **state)
{
	struct fixture *f = *state;
	char keep[128], tmp[128];
	struct site site = {0};
	struct file_hit hit;
	bool ok = false;

	open_hit(f, &hit, "one\n");
	snprintf(keep, sizeof(keep), "%s/keep", f->dir);
	snprintf(tmp, sizeof(tmp), "%s/.tmp", f->dir);
	site.rootfd = file_root_open(f->dir, &ok, hit.rel, sizeof(hit.rel));
	assert_true(site.rootfd >= 0);
	strcpy(hit.rel, "a.txt");
	hit.rellen = 5;
	assert_true(file_hit_current(&site, &hit));
	assert_int_equal(link(f->path, keep), 0);
	fclose(fopen(tmp, "w"));
	assert_int_equal(rename(tmp, f->path), 0);
	assert_false(file_hit_current(&site, &hit));
	close(hit.fd);
	unlink(keep);
	close(site.rootfd);
}

/* The openat2 probe and the mode reported for a site: this kernel has
 * openat2; a site that falls back names the walk and the probe's error. */
static void
root_mode(void **state)
{
	struct fixture *f = *state;
	char err[128], buf[128];
	struct site site = {0};
	bool use = false;

	site.rootfd = file_root_open(f->dir, &use, err, sizeof(err));
	assert_true(site.rootfd >= 0);
	assert_true(use);
	assert_int_equal(file_probe_openat2(site.rootfd), 0);
	site.use_openat2 = true;
	assert_string_equal(file_root_mode(&site, buf, sizeof(buf)), "openat2");
	site.use_openat2 = false;
	assert_string_equal(file_root_mode(&site, buf, sizeof(buf)), "a component walk (openat2: not used)");
	assert_int_equal(file_probe_openat2(-1), EBADF);
	close(site.rootfd);
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
		cmocka_unit_test_setup_teardown(renamed_over_is_not_current, setup, teardown),
		cmocka_unit_test_setup_teardown(root_mode, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
