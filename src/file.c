/* file: containment beneath the document root. */
#include "tlserve/file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tlserve/worker.h"

#define FILE_OPEN_FLAGS (O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)

static int
file_openat2(int dirfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (unsigned long long)flags,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};

	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

int
file_root_open(const char *root, bool *use_openat2, char *err, size_t errlen)
{
	int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int probe;

	if (fd < 0) {
		snprintf(err, errlen, "cannot open root %s: %s", root, strerror(errno));
		return -1;
	}
	probe = file_openat2(fd, ".", O_PATH | O_CLOEXEC);
	*use_openat2 = probe >= 0 || errno != ENOSYS;
	if (probe >= 0)
		close(probe);
	return fd;
}

/* Without openat2: walk one component at a time refusing every symlink.
 * The path is already normalised, so there is no ".." to climb with. */
static int
file_walk(int rootfd, const char *rel)
{
	char comp[NAME_MAX + 1];
	int dir = rootfd, fd = -1;

	for (;;) {
		const char *slash = strchr(rel, '/');
		size_t n = slash ? (size_t)(slash - rel) : strlen(rel);
		bool last = slash == NULL || slash[1] == '\0';

		if (n > NAME_MAX) {
			errno = ENAMETOOLONG;
			break;
		}
		memcpy(comp, rel, n);
		comp[n] = '\0';
		fd = openat(dir, comp, last ? FILE_OPEN_FLAGS | O_NOFOLLOW
		                            : O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dir != rootfd)
			close(dir);
		if (fd < 0 || last)
			return fd;
		dir = fd;
		rel = slash + 1;
	}
	if (dir != rootfd)
		close(dir);
	return -1;
}

static int
file_open_beneath(const struct site *site, const char *rel)
{
	if (*rel == '\0')
		rel = ".";
	if (site->use_openat2)
		return file_openat2(site->rootfd, rel, FILE_OPEN_FLAGS);
	return file_walk(site->rootfd, rel);
}

static int
file_errno_status(int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
	case EXDEV:    /* would escape root */
	case ELOOP:    /* symlink refused or looping */
		return 404;
	case EACCES:
	case EPERM:
		return 403;
	case ENAMETOOLONG:
		return 414;
	default:
		return 500;
	}
}

/* Open rel and stat it. Returns 0 with fd and st, or an HTTP status. */
static int
file_open_stat(const struct site *site, const char *rel, int *fd, struct stat *st)
{
	*fd = file_open_beneath(site, rel);
	if (*fd < 0)
		return file_errno_status(errno);
	if (fstat(*fd, st) != 0) {
		close(*fd);
		return 500;
	}
	return 0;
}

/* Serve the first index file of a directory (rel ends in '/' or is ""). */
static int
file_index(const struct site *site, const char *rel, size_t rlen, struct file_hit *hit)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < site->cfg->nindex; i++) {
		const char *name = site->cfg->index[i];
		size_t nlen = strlen(name);
		int fd, status;

		if (rlen + nlen + 1 > sizeof(path))
			return 414;
		memcpy(path, rel, rlen);
		memcpy(path + rlen, name, nlen + 1);
		status = file_open_stat(site, path, &fd, &hit->st);
		if (status == 404)
			continue;
		if (status != 0)
			return status;
		if (!S_ISREG(hit->st.st_mode)) {
			close(fd);
			continue;
		}
		hit->fd = fd;
		hit->name = name;
		hit->namelen = nlen;
		return 200;
	}
	return 403;  /* directory listings are off */
}

int
file_resolve(const struct site *site, const char *norm, size_t len, struct file_hit *hit)
{
	const char *rel = norm + 1;
	size_t rlen = len - 1;
	int fd, status;

	if (rlen >= PATH_MAX)
		return 414;
	status = file_open_stat(site, rel, &fd, &hit->st);
	if (status != 0)
		return status;
	if (S_ISDIR(hit->st.st_mode)) {
		close(fd);
		if (rlen > 0 && rel[rlen - 1] != '/')
			return 301;
		return file_index(site, rel, rlen, hit);
	}
	if (!S_ISREG(hit->st.st_mode)) {
		close(fd);
		return 403;
	}
	hit->fd = fd;
	hit->name = norm;
	hit->namelen = len;
	return 200;
}

size_t
file_etag(const struct stat *st, char *buf, size_t len)
{
	int n = snprintf(buf, len, "\"%llx-%llx-%llx.%lx\"", (unsigned long long)st->st_ino,
	                 (unsigned long long)st->st_size, (unsigned long long)st->st_mtim.tv_sec,
	                 (unsigned long)st->st_mtim.tv_nsec);

	return n > 0 && (size_t)n < len ? (size_t)n : 0;
}
