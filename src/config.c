/* config: the YAML configuration as a typed, validated, immutable struct.
 *
 * Loading is two passes. config_tree turns libyaml's events into a small tree
 * of positioned nodes, refusing aliases and tags there. config_schema then
 * walks the tree against its tables of known keys with the config_field
 * engine, which reports every error found with its position instead of
 * stopping at the first. config_check does the file-system and start-up checks,
 * config_reload the comparison a reload needs. Nothing here logs or touches
 * globals; only config_load_file reads a file. */
#include "tlserve/config.h"
#include "tlserve/config_field.h"
#include "tlserve/config_schema.h"
#include "tlserve/config_tree.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CFG_MAX_BYTES (1024 * 1024)  /* a configuration is hand-written: 1 MiB is plenty */

int
config_load_string(const char *buf, size_t len, const char *filename, const char *basedir,
		   struct config **out, struct config_errors *errs)
{
	struct cfg_tree t = { 0 };
	struct cfg_ctx c = { .t = &t, .errs = errs, .errs0 = config_errors_mark(errs),
			     .basedir = basedir, .listeners = CFG_NONE };
	int rc = -1;

	if (len > CFG_MAX_BYTES) {
		config_error_add(errs, 0, 0, "larger than %d bytes (1 MiB)", CFG_MAX_BYTES);
		return -1;
	}
	c.cfg = calloc(1, sizeof(*c.cfg));
	if (c.cfg == NULL) {
		config_error_add(errs, 0, 0, "out of memory");
		return -1;
	}
	cfg_schema_defaults(&c, filename);
	if (cfg_tree_build(&t, buf, len, errs) < 0)
		goto out;
	c.failed = t.bad;
	cfg_schema_read(&c, t.root);
	if (c.oom)
		cfg_err(&c, CFG_NONE, "out of memory");
	if (!c.failed) {
		*out = c.cfg;
		c.cfg = NULL;
		rc = 0;
	}
out:
	config_errors_sort(errs, c.errs0);
	cfg_tls_free(&c.tls);
	config_free(c.cfg);
	cfg_tree_free(&t);
	return rc;
}

/* Read path into *buf and *len (caller frees *buf), refusing anything but a
 * regular file of at most CFG_MAX_BYTES. Returns 0, or -1 after reporting. */
static int
cfg_read_file(const char *path, char **buf, size_t *len, struct config_errors *errs)
{
	struct stat st;
	char *p = NULL;
	size_t n = 0;
	int fd, rc = -1;

	/* O_NONBLOCK: opening a FIFO for reading would wait for a writer (and
	 * hold -t or a SIGHUP reload forever); the fstat below refuses it. It
	 * changes nothing for a regular file. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		config_error_add(errs, 0, 0, "cannot open: %s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		config_error_add(errs, 0, 0, "not a regular file (a %s)",
				 S_ISDIR(st.st_mode)    ? "directory"
				 : S_ISFIFO(st.st_mode) ? "FIFO"
				 : S_ISSOCK(st.st_mode) ? "socket"
							: "device");
		goto out;
	}
	if (st.st_size > CFG_MAX_BYTES) {
		config_error_add(errs, 0, 0, "larger than %d bytes (1 MiB): %lld bytes",
				 CFG_MAX_BYTES, (long long)st.st_size);
		goto out;
	}
	/* Room for one byte over the limit: st_size is only a hint, the file may
	 * grow while it is read. */
	p = malloc(CFG_MAX_BYTES + 1);
	if (p == NULL) {
		config_error_add(errs, 0, 0, "out of memory");
		goto out;
	}
	while (n <= CFG_MAX_BYTES) {
		ssize_t r = read(fd, p + n, CFG_MAX_BYTES + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			config_error_add(errs, 0, 0, "cannot read: %s", strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > CFG_MAX_BYTES) {
		config_error_add(errs, 0, 0, "larger than %d bytes (1 MiB)", CFG_MAX_BYTES);
		goto out;
	}
	*buf = p;
	*len = n;
	p = NULL;
	rc = 0;
out:
	free(p);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* The directory of path, made absolute when possible so that a later chdir
 * (or a reload) still finds relative files. Returns a new string or NULL. */
static char *
cfg_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir, *abs;

	if (slash == NULL)
		dir = strdup(".");
	else
		dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
	if (dir == NULL)
		return NULL;
	abs = realpath(dir, NULL);
	if (abs == NULL)
		return dir;
	free(dir);
	return abs;
}

int
config_load_file(const char *path, struct config **out, struct config_errors *errs)
{
	char *buf = NULL, *dir = NULL;
	size_t len = 0;
	int rc = -1;

	if (cfg_read_file(path, &buf, &len, errs) < 0)
		return -1;
	dir = cfg_dirname(path);
	if (dir == NULL)
		config_error_add(errs, 0, 0, "out of memory");
	else
		rc = config_load_string(buf, len, path, dir, out, errs);
	free(dir);
	free(buf);
	return rc;
}
