/* Unit tests for fcache.c: hits, expiry, one check per loop pass, small
 * files kept in memory, files written in place or deleted, and descriptors
 * that stay open while a response still uses them. */
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
	fcache_put(&f->fc, &site_a, "/a.txt", 6, 1000, 1, &hit);
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
	fcache_put(&f->fc, &site_a, "/a.txt", 6, 1000, 1, &hit);
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
	fcache_put(&f->fc, &site_a, "/a.txt", 6, 1000, 1, &hit);
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

/* One check per pass of the event loop: the entry remembers the pass and
 * the stat of its last check, which the next use in that pass is given. */
static void
checks_are_shared_within_a_pass(void **state)
{
	struct fixture *f = *state;
	struct file_hit hit, again;
	struct fcache_entry *e;
	FILE *w;

	open_hit(f, &hit, "hello");
	fcache_put(&f->fc, &site_a, "/a.txt", 6, 1000, 7, &hit);
	assert_non_null(hit.cached);
	assert_true(hit.cached->checked_pass == 7);  /* opened in pass 7: checked then */
	file_hit_close(&hit);
	w = fopen(f->path, "a");
	assert_non_null(w);
	fputs("!!", w);
	fclose(w);
	e = fcache_get(&f->fc, &site_a, "/a.txt", 6, 1100, &again);
	assert_non_null(e);
	assert_true(e->checked_pass == 7);
	assert_true(check_current(f, &again));  /* pass 8 checks */
	fcache_checked(e, &again, 8);
	file_hit_close(&again);
	e = fcache_get(&f->fc, &site_a, "/a.txt", 6, 1200, &again);
	assert_non_null(e);
	assert_true(e->checked_pass == 8);
	assert_int_equal(again.st.st_size, 7);  /* the stat of pass 8's check */
	file_hit_close(&again);
}

/* "hello" at /a.txt, put in the cache and kept in memory: its bytes; *later
 * is a time at which the file counts as settled. */
static const char *
put_kept(struct fixture *f, struct file_hit *hit, time_t *later)
{
	const char *body;

	open_hit(f, hit, "hello");
	fcache_put(&f->fc, &site_a, "/a.txt", 6, 1000, 1, hit);
	*later = hit->st.st_ctim.tv_sec + 10;
	body = fcache_body(hit->cached, *later);
	assert_non_null(body);
	return body;
}

/* A small settled file is kept in memory: read once, then the same bytes
 * for every use while its size and times stay what they were. */
static void
settled_small_files_are_kept(void **state)
{
	struct fixture *f = *state;
	struct file_hit hit, again;
	const char *body, *same;
	time_t later;

	open_hit(f, &hit, "hello");
	fcache_put(&f->fc, &site_a, "/a.txt", 6, 1000, 1, &hit);
	later = hit.st.st_ctim.tv_sec + 10;
	/* changed within the last FCACHE_SETTLED_S seconds: not kept */
	assert_null(fcache_body(hit.cached, hit.st.st_ctim.tv_sec + 1));
	body = fcache_body(hit.cached, later);
	assert_non_null(body);
	assert_memory_equal(body, "hello", 5);
	assert_int_equal(f->fc.body_bytes, 5);
	file_hit_close(&hit);
	assert_non_null(fcache_get(&f->fc, &site_a, "/a.txt", 6, 1100, &again));
	same = fcache_body(again.cached, later);
	assert_ptr_equal(same, body);  /* no second read */
	file_hit_close(&again);
}

/* Written in place with the same size: the next check's stat has a later
 * ctime, so the kept bytes are not served; the new ones are read. */
static void
kept_bodies_follow_the_file(void **state)
{
	struct fixture *f = *state;
	struct file_hit hit, again;
	struct fcache_entry *e;
	const char *body;
	time_t later;
	FILE *w;

	put_kept(f, &hit, &later);
	file_hit_close(&hit);
	usleep(20 * 1000);  /* more than a coarse timestamp tick */
	w = fopen(f->path, "r+");
	assert_non_null(w);
	fputs("HELLO", w);
	fclose(w);
	e = fcache_get(&f->fc, &site_a, "/a.txt", 6, 1100, &again);
	assert_non_null(e);
	assert_true(check_current(f, &again));
	fcache_checked(e, &again, 2);
	body = fcache_body(e, later + 10);
	assert_non_null(body);
	assert_memory_equal(body, "HELLO", 5);
	assert_int_equal(f->fc.body_bytes, 5);  /* the old bytes were given back */
	file_hit_close(&again);
}

/* A newer version while a response still sends the kept bytes: those stay
 * (the response holds a reference) and the new request reads the file. */
static void
kept_bodies_in_use_are_not_replaced(void **state)
{
	struct fixture *f = *state;
	struct file_hit hit, again;
	struct fcache_entry *e;
	const char *old;
	time_t later;

	old = put_kept(f, &hit, &later);
	e = fcache_get(&f->fc, &site_a, "/a.txt", 6, 1100, &again);
	assert_non_null(e);
	again.st.st_ctim.tv_nsec ^= 1;  /* as a check after a write would find it */
	fcache_checked(e, &again, 2);
	assert_null(fcache_body(e, later));
	assert_memory_equal(old, "hello", 5);
	file_hit_close(&hit);
	file_hit_close(&again);
}

/* Only small files, and only up to the worker's budget. */
static void
kept_bodies_are_bounded(void **state)
{
	struct fixture *f = *state;
	struct file_hit hit;
	char *big = malloc(FCACHE_BODY_MAX + 2);

	assert_non_null(big);
	memset(big, 'b', FCACHE_BODY_MAX + 1);
	big[FCACHE_BODY_MAX + 1] = '\0';
	open_hit(f, &hit, big);
	fcache_put(&f->fc, &site_a, "/a.txt", 6, 1000, 1, &hit);
	assert_null(fcache_body(hit.cached, hit.st.st_ctim.tv_sec + 10));
	file_hit_close(&hit);
	free(big);
	open_hit(f, &hit, "hello");
	fcache_put(&f->fc, &site_a, "/b.txt", 6, 1000, 1, &hit);
	f->fc.body_bytes = FCACHE_BODY_BUDGET - 4;  /* as if others held the rest */
	assert_null(fcache_body(hit.cached, hit.st.st_ctim.tv_sec + 10));
	f->fc.body_bytes = 0;
	file_hit_close(&hit);
}

/* The sweep closes what is too old to be used again and gives its kept
 * bytes back; an entry in use stays open until released. */
static void
sweeps_close_old_entries(void **state)
{
	struct fixture *f = *state;
	struct file_hit hit, busy;
	time_t later;

	put_kept(f, &hit, &later);
	file_hit_close(&hit);
	memset(&busy, 0, sizeof(busy));
	busy.fd = open(f->path, O_RDONLY);  /* another path, the same file: in use */
	assert_true(busy.fd >= 0);
	assert_int_equal(fstat(busy.fd, &busy.st), 0);
	strcpy(busy.rel, "a.txt");
	busy.rellen = 5;
	fcache_put(&f->fc, &site_a, "/b.txt", 6, 1000, 1, &busy);
	assert_non_null(busy.cached);
	fcache_sweep(&f->fc, 1500);  /* within the second: nothing goes */
	assert_int_equal(f->fc.body_bytes, 5);
	fcache_sweep(&f->fc, 2000);  /* too soon after the last look: no scan */
	assert_int_equal(f->fc.body_bytes, 5);
	fcache_sweep(&f->fc, 2500);
	assert_int_equal(f->fc.body_bytes, 0);  /* the idle entry closed, its bytes back */
	assert_null(fcache_get(&f->fc, &site_a, "/a.txt", 6, 2500, &hit));
	assert_int_equal(fcntl(busy.fd, F_GETFD), 0);  /* the one in use is still open */
	fcache_release(busy.cached);  /* and closes when released */
	assert_int_equal(fcntl(busy.fd, F_GETFD), -1);
}

static void
deleted_files_are_not_served(void **state)
{
	struct fixture *f = *state;
	struct file_hit hit, again;

	open_hit(f, &hit, "hello");
	fcache_put(&f->fc, &site_a, "/a.txt", 6, 1000, 1, &hit);
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
	fcache_put(&f->fc, &site_a, "/a.txt", 6, 1000, 1, &hit);
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
	fcache_put(&f->fc, &site_a, key, sizeof(key), 1000, 1, &hit);
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
		cmocka_unit_test_setup_teardown(checks_are_shared_within_a_pass, setup, teardown),
		cmocka_unit_test_setup_teardown(settled_small_files_are_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(kept_bodies_follow_the_file, setup, teardown),
		cmocka_unit_test_setup_teardown(kept_bodies_in_use_are_not_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(kept_bodies_are_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(sweeps_close_old_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(writes_in_place_are_seen, setup, teardown),
		cmocka_unit_test_setup_teardown(deleted_files_are_not_served, setup, teardown),
		cmocka_unit_test_setup_teardown(flush_keeps_descriptors_in_use_open, setup, teardown),
		cmocka_unit_test_setup_teardown(long_paths_are_not_cached, setup, teardown),
		cmocka_unit_test_setup_teardown(renamed_over_is_not_current, setup, teardown),
		cmocka_unit_test_setup_teardown(root_mode, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
