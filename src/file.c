/* file: containment beneath the document root. */
#include "tlserve/file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
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

/* See file.h. */
int
file_probe_openat2(int rootfd)
{
	int probe = file_openat2(rootfd, ".", O_PATH | O_CLOEXEC);

	if (probe < 0)
		return errno ? errno : EINVAL;
	close(probe);
	return 0;
}

int
file_root_open(const char *root, bool *use_openat2, char *err, size_t errlen)
{
	int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "cannot open root %s: %s", root, strerror(errno));
		return -1;
	}
	/* Any failure of the probe means the walk serves: ENOSYS (no openat2),
	 * EPERM (a seccomp filter such as systemd's RestrictSUIDSGID=, which
	 * cannot inspect open_how and so refuses openat2 whole), or anything
	 * else. The walk is stricter (it refuses every symlink), never looser. */
	*use_openat2 = file_probe_openat2(fd) == 0;
	return fd;
}

/* See file.h. */
const char *
file_root_mode(const struct site *site, char *buf, size_t len)
{
	int e;

	if (site->use_openat2)
		return "openat2";
	e = file_probe_openat2(site->rootfd);
	snprintf(buf, len, "a component walk (openat2: %s)", e ? strerror(e) : "not used");
	return buf;
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
	case ENXIO:    /* a socket, or a device with nothing behind it */
	case ENODEV:   /* a device without a driver */
	case EWOULDBLOCK:
	case ETXTBSY:
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

/* Serve the first index file of a directory (hit->rel ends in '/' or is ""). */
static int
file_index(const struct site *site, struct file_hit *hit)
{
	size_t dlen = hit->rellen;

	for (size_t i = 0; i < site->cfg->nindex; i++) {
		const char *name = site->cfg->index[i];
		size_t nlen = strlen(name);
		int fd, status;

		if (dlen + nlen + 1 > sizeof(hit->rel))
			return 414;
		memcpy(hit->rel + dlen, name, nlen + 1);
		status = file_open_stat(site, hit->rel, &fd, &hit->st);
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
		hit->rellen = dlen + nlen;
		return 200;
	}
	hit->rel[dlen] = '\0';
	return site->cfg->listing ? FILE_LIST_DIR : 403;
}

int
file_resolve(const struct site *site, const char *norm, size_t len, struct file_hit *hit)
{
	int fd, status;

	hit->cached = NULL;
	if (len >= sizeof(hit->rel))
		return 414;
	memcpy(hit->rel, norm + 1, len);  /* with the NUL */
	hit->rellen = len - 1;
	status = file_open_stat(site, hit->rel, &fd, &hit->st);
	if (status != 0)
		return status;
	if (S_ISDIR(hit->st.st_mode)) {
		close(fd);
		if (hit->rellen > 0 && hit->rel[hit->rellen - 1] != '/')
			return 301;
		return file_index(site, hit);
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

int
file_open_sidecar(const struct site *site, const struct file_hit *base, const char *suffix,
                  struct file_hit *out)
{
	size_t slen = strlen(suffix);
	int fd;

	if (base->rellen + slen + 1 > sizeof(out->rel))
		return -1;
	memcpy(out->rel, base->rel, base->rellen);
	memcpy(out->rel + base->rellen, suffix, slen + 1);
	out->rellen = base->rellen + slen;
	if (file_open_stat(site, out->rel, &fd, &out->st) != 0)
		return -1;
	if (!S_ISREG(out->st.st_mode) || out->st.st_mtim.tv_sec < base->st.st_mtim.tv_sec ||
	    (out->st.st_mtim.tv_sec == base->st.st_mtim.tv_sec &&
	     out->st.st_mtim.tv_nsec < base->st.st_mtim.tv_nsec)) {
		close(fd);
		return -1;
	}
	out->fd = fd;
	out->cached = NULL;
	out->name = base->name;
	out->namelen = base->namelen;
	return 0;
}

/* See file.h. The answer only compares: what is served is still the
 * descriptor that was opened beneath root. */
bool
file_hit_current(const struct site *site, const struct file_hit *hit)
{
	struct stat st;

	if (fstatat(site->rootfd, hit->rellen ? hit->rel : ".", &st, 0) != 0)
		return false;
	return st.st_ino == hit->st.st_ino && st.st_dev == hit->st.st_dev;
}

/* Lower-case hex of v without leading zeros; returns the end. */
static char *
file_hex(char *p, unsigned long long v)
{
	char tmp[16];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

size_t
file_etag(const struct stat *st, char *buf, size_t len)
{
	char tmp[80], *p = tmp;

	*p++ = '"';
	p = file_hex(p, (unsigned long long)st->st_ino);
	*p++ = '-';
	p = file_hex(p, (unsigned long long)st->st_size);
	*p++ = '-';
	p = file_hex(p, (unsigned long long)st->st_mtim.tv_sec);
	*p++ = '.';
	p = file_hex(p, (unsigned long long)st->st_mtim.tv_nsec);
	*p++ = '"';
	if ((size_t)(p - tmp) >= len)
		return 0;
	memcpy(buf, tmp, (size_t)(p - tmp));
	buf[p - tmp] = '\0';
	return (size_t)(p - tmp);
}

/* Directory listings. Not on a hot path: built in memory, bounded. */
#define FILE_LIST_MAX 10000

struct file_entry {
	char *name;
	bool dir;
	long long size;
	time_t mtime;
};

struct file_buf {
	char *p;
	size_t n, cap;
	bool oom;
};

static void
file_buf_put(struct file_buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 4096) + n;
		char *p = realloc(b->p, cap);

		if (p == NULL) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

static void
file_buf_str(struct file_buf *b, const char *s)
{
	file_buf_put(b, s, strlen(s));
}

/* HTML text/attribute escaping of s[0..n). */
static void
file_buf_html(struct file_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '&': file_buf_str(b, "&amp;"); break;
		case '<': file_buf_str(b, "&lt;"); break;
		case '>': file_buf_str(b, "&gt;"); break;
		case '"': file_buf_str(b, "&quot;"); break;
		case '\'': file_buf_str(b, "&#39;"); break;
		default: file_buf_put(b, s + i, 1);
		}
	}
}

/* Percent-encode a name for an href: everything but unreserved bytes
 * (RFC 3986 2.3), so '?', '#', '%', ':' and spaces in names stay names. */
static void
file_buf_url(struct file_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		char esc[3] = {'%', hex[ch >> 4], hex[ch & 15]};

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || ch == '.' || ch == '_' || ch == '~')
			file_buf_put(b, s, 1);
		else
			file_buf_put(b, esc, 3);
	}
}

/* Directories first, then by name (byte order). */
static int
file_entry_cmp(const void *a, const void *b)
{
	const struct file_entry *x = a, *y = b;

	if (x->dir != y->dir)
		return x->dir ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* A symlink is listed only when it resolves beneath root (what a request
 * for it would get), with its target's type and size. Returns 0 or -1. */
static int
file_follow_link(const struct site *site, const char *rel, const char *name, struct stat *st)
{
	char path[PATH_MAX];
	int fd, n = snprintf(path, sizeof(path), "%s%s", rel, name);

	if (n < 0 || (size_t)n >= sizeof(path))
		return -1;
	fd = file_open_beneath(site, path);
	if (fd < 0)
		return -1;
	n = fstat(fd, st);
	close(fd);
	return n;
}

/* Read the entries of the directory rel, open as fd. Returns the count or -1. */
static ssize_t
file_read_dir(const struct site *site, const char *rel, int fd, bool allow_dot,
              struct file_entry **out)
{
	DIR *d = fdopendir(fd);
	struct file_entry *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;

	if (d == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL && n < FILE_LIST_MAX) {
		struct stat st;

		if (de->d_name[0] == '.' && (!allow_dot || de->d_name[1] == '\0' ||
		                             strcmp(de->d_name, "..") == 0))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    (S_ISLNK(st.st_mode) && file_follow_link(site, rel, de->d_name, &st) != 0))
			continue;
		if (n == cap) {
			struct file_entry *nv = realloc(v, (cap = cap ? cap * 2 : 64) * sizeof(*v));

			if (nv == NULL)
				break;
			v = nv;
		}
		v[n].name = strdup(de->d_name);
		if (v[n].name == NULL)
			break;
		v[n].dir = S_ISDIR(st.st_mode);
		v[n].size = (long long)st.st_size;
		v[n].mtime = st.st_mtim.tv_sec;
		n++;
	}
	closedir(d);
	qsort(v, n, sizeof(*v), file_entry_cmp);
	*out = v;
	return (ssize_t)n;
}

static void
file_list_row(struct file_buf *b, const struct file_entry *e)
{
	char line[96];
	struct tm tm;

	file_buf_str(b, "<tr><td><a href=\"");
	file_buf_url(b, e->name);
	file_buf_str(b, e->dir ? "/\">" : "\">");
	file_buf_html(b, e->name, strlen(e->name));
	file_buf_str(b, e->dir ? "/</a></td><td>-</td>" : "</a></td>");
	if (!e->dir) {
		snprintf(line, sizeof(line), "<td>%lld</td>", e->size);
		file_buf_str(b, line);
	}
	gmtime_r(&e->mtime, &tm);
	strftime(line, sizeof(line), "<td>%Y-%m-%d %H:%M:%S</td></tr>\n", &tm);
	file_buf_str(b, line);
}

int
file_list_dir(const struct site *site, const char *rel, const char *url, size_t ulen,
              bool allow_dot, char **body, size_t *len)
{
	struct file_buf b = {0};
	struct file_entry *v = NULL;
	int fd = file_open_beneath(site, rel);
	ssize_t n;

	if (fd < 0)
		return file_errno_status(errno);
	n = file_read_dir(site, rel, fd, allow_dot, &v);
	if (n < 0)
		return 500;
	file_buf_str(&b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of ");
	file_buf_html(&b, url, ulen);
	file_buf_str(&b, "</title></head>\n<body><h1>Index of ");
	file_buf_html(&b, url, ulen);
	file_buf_str(&b, "</h1>\n<table>\n<tr><th>Name</th><th>Size</th><th>Modified (UTC)</th></tr>\n");
	if (ulen > 1)
		file_buf_str(&b, "<tr><td><a href=\"../\">../</a></td><td>-</td><td></td></tr>\n");
	for (ssize_t i = 0; i < n; i++) {
		file_list_row(&b, &v[i]);
		free(v[i].name);
	}
	free(v);
	file_buf_str(&b, "</table></body></html>\n");
	if (b.oom) {
		free(b.p);
		return 500;
	}
	*body = b.p;
	*len = b.n;
	return 200;
}
