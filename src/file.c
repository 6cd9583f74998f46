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
file_hit_current(const struct site *site, struct file_hit *hit)
{
	struct stat st;

	if (fstatat(site->rootfd, hit->rellen ? hit->rel : ".", &st, 0) != 0 ||
	    st.st_ino != hit->st.st_ino || st.st_dev != hit->st.st_dev)
		return false;
	hit->st = st;  /* the same inode: its size and times as they are now */
	return true;
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

/* Directory listings. Not on a hot path. What one costs is bounded whatever
 * the directory holds: at most FILE_LIST_MAX entries are read (names are at
 * most NAME_MAX bytes), kept in one block, and the page is rendered from
 * them piece by piece into the caller's buffer as it drains, never whole. */
#define FILE_LIST_MAX 10000

struct file_entry {
	size_t name;        /* offset of the NUL-terminated name in the block */
	bool dir;
	long long size;
	time_t mtime;
};

/* One allocation: this header, the entries, the URL and the names. */
struct file_listing {
	size_t n;           /* entries */
	bool truncated;     /* the directory had more than FILE_LIST_MAX */
	size_t ulen;
	size_t piece, off;  /* read position: piece (0 head, 1..n rows, n+1 tail), bytes into it */
	size_t size;        /* bytes of the whole page */
	const char *url;    /* into the block */
	const char *names;  /* into the block */
	struct file_entry e[];
};

/* Rendering sink: bytes [skip, skip + cap) of what is emitted land in out;
 * total counts everything emitted. */
struct file_emit {
	char *out;
	size_t cap, n, skip, total;
};

static void
file_emit(struct file_emit *e, const char *s, size_t len)
{
	e->total += len;
	if (e->skip >= len) {
		e->skip -= len;
		return;
	}
	s += e->skip;
	len -= e->skip;
	e->skip = 0;
	if (len > e->cap - e->n)
		len = e->cap - e->n;
	if (len > 0)
		memcpy(e->out + e->n, s, len);
	e->n += len;
}

static void
file_emit_str(struct file_emit *e, const char *s)
{
	file_emit(e, s, strlen(s));
}

/* HTML text/attribute escaping of s[0..n). */
static void
file_emit_html(struct file_emit *e, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '&': file_emit_str(e, "&amp;"); break;
		case '<': file_emit_str(e, "&lt;"); break;
		case '>': file_emit_str(e, "&gt;"); break;
		case '"': file_emit_str(e, "&quot;"); break;
		case '\'': file_emit_str(e, "&#39;"); break;
		default: file_emit(e, s + i, 1);
		}
	}
}

/* Percent-encode a name for an href: everything but unreserved bytes
 * (RFC 3986 2.3), so '?', '#', '%', ':' and spaces in names stay names. */
static void
file_emit_url(struct file_emit *e, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		char esc[3] = {'%', hex[ch >> 4], hex[ch & 15]};

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || ch == '.' || ch == '_' || ch == '~')
			file_emit(e, s, 1);
		else
			file_emit(e, esc, 3);
	}
}

/* Directories first, then by name (byte order). qsort_r's context is the
 * name area. */
static int
file_entry_cmp(const void *a, const void *b, void *names)
{
	const struct file_entry *x = a, *y = b;

	if (x->dir != y->dir)
		return x->dir ? -1 : 1;
	return strcmp((const char *)names + x->name, (const char *)names + y->name);
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

/* The entries being read: two growing arrays, copied into the block after. */
struct file_scan {
	struct file_entry *v;
	size_t n, cap;
	char *names;
	size_t nlen, ncap;
	bool truncated;
};

static int
file_scan_add(struct file_scan *sc, const char *name, const struct stat *st)
{
	size_t len = strlen(name) + 1;

	if (sc->n == sc->cap) {
		size_t cap = sc->cap ? sc->cap * 2 : 64;
		struct file_entry *v = realloc(sc->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		sc->v = v;
		sc->cap = cap;
	}
	if (sc->nlen + len > sc->ncap) {
		size_t cap = (sc->ncap ? sc->ncap * 2 : 4096) + len;
		char *p = realloc(sc->names, cap);

		if (p == NULL)
			return -1;
		sc->names = p;
		sc->ncap = cap;
	}
	memcpy(sc->names + sc->nlen, name, len);
	sc->v[sc->n] = (struct file_entry){sc->nlen, S_ISDIR(st->st_mode), (long long)st->st_size,
	                                   st->st_mtim.tv_sec};
	sc->nlen += len;
	sc->n++;
	return 0;
}

/* Read the entries of the directory rel, open as fd (closed here): at most
 * FILE_LIST_MAX; sc->truncated when there were more. Returns 0 or -1. */
static int
file_read_dir(const struct site *site, const char *rel, int fd, bool allow_dot,
              struct file_scan *sc)
{
	DIR *d = fdopendir(fd);
	struct dirent *de;
	int rc = 0;

	if (d == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (de->d_name[0] == '.' && (!allow_dot || de->d_name[1] == '\0' ||
		                             strcmp(de->d_name, "..") == 0))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    (S_ISLNK(st.st_mode) && file_follow_link(site, rel, de->d_name, &st) != 0))
			continue;
		if (sc->n == FILE_LIST_MAX) {
			sc->truncated = true;
			break;
		}
		if ((rc = file_scan_add(sc, de->d_name, &st)) != 0)
			break;
	}
	closedir(d);
	return rc;
}

/* Piece i of the page into e (see struct file_listing). */
static void
file_list_piece(const struct file_listing *l, size_t i, struct file_emit *e)
{
	char line[96];
	struct tm tm;

	if (i == 0) {
		file_emit_str(e, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of ");
		file_emit_html(e, l->url, l->ulen);
		file_emit_str(e, "</title></head>\n<body><h1>Index of ");
		file_emit_html(e, l->url, l->ulen);
		file_emit_str(e, "</h1>\n<table>\n<tr><th>Name</th><th>Size</th><th>Modified (UTC)</th></tr>\n");
		if (l->ulen > 1)
			file_emit_str(e, "<tr><td><a href=\"../\">../</a></td><td>-</td><td></td></tr>\n");
	} else if (i <= l->n) {
		const struct file_entry *f = &l->e[i - 1];
		const char *name = l->names + f->name;

		file_emit_str(e, "<tr><td><a href=\"");
		file_emit_url(e, name);
		file_emit_str(e, f->dir ? "/\">" : "\">");
		file_emit_html(e, name, strlen(name));
		file_emit_str(e, f->dir ? "/</a></td><td>-</td>" : "</a></td>");
		if (!f->dir) {
			snprintf(line, sizeof(line), "<td>%lld</td>", f->size);
			file_emit_str(e, line);
		}
		gmtime_r(&f->mtime, &tm);
		strftime(line, sizeof(line), "<td>%Y-%m-%d %H:%M:%S</td></tr>\n", &tm);
		file_emit_str(e, line);
	} else {
		file_emit_str(e, "</table>\n");
		if (l->truncated) {
			snprintf(line, sizeof(line), "<p>listing truncated after %zu entries</p>\n", l->n);
			file_emit_str(e, line);
		}
		file_emit_str(e, "</body></html>\n");
	}
}

/* See file.h. */
int
file_list_open(const struct site *site, const char *rel, const char *url, size_t ulen,
               bool allow_dot, struct file_listing **out)
{
	struct file_scan sc = {0};
	struct file_listing *l = NULL;
	int fd = file_open_beneath(site, rel), status = 500;
	char *p;

	if (fd < 0)
		return file_errno_status(errno);
	if (file_read_dir(site, rel, fd, allow_dot, &sc) != 0)
		goto out;
	l = malloc(sizeof(*l) + sc.n * sizeof(sc.v[0]) + ulen + sc.nlen);
	if (l == NULL)
		goto out;
	*l = (struct file_listing){.n = sc.n, .truncated = sc.truncated, .ulen = ulen};
	if (sc.n > 0)
		memcpy(l->e, sc.v, sc.n * sizeof(sc.v[0]));
	p = (char *)&l->e[sc.n];
	memcpy(p, url, ulen);
	l->url = p;
	if (sc.nlen > 0)
		memcpy(p + ulen, sc.names, sc.nlen);
	l->names = p + ulen;
	qsort_r(l->e, l->n, sizeof(l->e[0]), file_entry_cmp, (void *)l->names);
	for (size_t i = 0; i < l->n + 2; i++) {
		struct file_emit e = {0};

		file_list_piece(l, i, &e);
		l->size += e.total;
	}
	*out = l;
	status = 200;
out:
	free(sc.v);
	free(sc.names);
	return status;
}

/* See file.h. O(cap) plus at most one piece re-rendered up to where the
 * last call stopped. */
size_t
file_list_read(struct file_listing *l, char *buf, size_t cap)
{
	size_t n = 0;

	while (n < cap && l->piece < l->n + 2) {
		struct file_emit e = {.out = buf + n, .cap = cap - n, .skip = l->off};

		file_list_piece(l, l->piece, &e);
		n += e.n;
		if (l->off + e.n == e.total) {
			l->piece++;
			l->off = 0;
		} else {
			l->off += e.n;
		}
	}
	return n;
}

/* See file.h. */
size_t
file_list_size(const struct file_listing *l)
{
	return l->size;
}
