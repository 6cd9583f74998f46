/* file: open request paths beneath a site's root descriptor, so that nothing
 * outside root is ever opened, however the path is spelled and wherever
 * symlinks inside root point. Uses openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_MAGICLINKS); where the kernel lacks openat2, a component-wise
 * O_NOFOLLOW walk (symlinks then refused). Never logs. */
#ifndef TLSERVE_FILE_H
#define TLSERVE_FILE_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

struct site;

/* Open root as an O_PATH directory descriptor and probe openat2 on it:
 * *use_openat2 is false when the probe fails for any reason (ENOSYS on an
 * old kernel, EPERM under a seccomp filter such as systemd's
 * RestrictSUIDSGID=yes), and the component walk then serves.
 * Returns the descriptor, or -1 with a message in err. */
int file_root_open(const char *root, bool *use_openat2, char *err, size_t errlen);

/* openat2(RESOLVE_BENEATH) of "." beneath rootfd: 0 when it works, else the
 * errno it failed with. The probe file_root_open decides with. */
int file_probe_openat2(int rootfd);

/* How paths are resolved beneath a files site's root, for the start-up log:
 * "openat2", or "a component walk (openat2: <why>)" written in buf[len] and
 * returned, the reason being the probe's error again. */
const char *file_root_mode(const struct site *site, char *buf, size_t len);

#include <limits.h>

struct fcache_entry;

struct file_hit {
	int fd;             /* open regular file when status is 200 (file_hit_close) */
	struct fcache_entry *cached; /* the cache entry that owns fd, or NULL */
	struct stat st;
	const char *name;   /* the last path component served (for the MIME type) */
	size_t namelen;
	char rel[PATH_MAX]; /* the path served, relative to root ("" = root itself) */
	size_t rellen;
};

/* file_resolve's answer for a directory with no index file when the site
 * has listing: true (hit->rel holds the directory, ending in '/' or ""). */
#define FILE_LIST_DIR 1

/* Resolve the normalised path norm[0..len) (starts with '/') for a files
 * site: a regular file gives 200; a directory without a trailing '/' gives
 * 301; a directory with one serves the first index file that exists, else
 * FILE_LIST_DIR when the site lists directories, else 403. Missing gives 404, unreadable 403, too long 414, anything escaping
 * root 404. Returns the status; on 200 fills *hit. */
int file_resolve(const struct site *site, const char *norm, size_t len, struct file_hit *hit);

/* Open the precompressed sidecar rel + suffix (".gz", ".br") of a served
 * file. Returns 0 with *out filled when it is a regular file not older than
 * the file itself (a stale sidecar is ignored), else -1. */
int file_open_sidecar(const struct site *site, const struct file_hit *base, const char *suffix,
                      struct file_hit *out);

/* An HTML listing of the directory rel for the URL path url[0..ulen): names
 * HTML- and URL-escaped, sorted (directories first), with sizes and
 * modification times; dotfiles shown only when allow_dot. At most 10,000
 * entries; a directory with more gets a page that says the listing was
 * truncated. On 200 *out is one malloc'd block (free() releases it) from
 * which the page is read piece by piece; otherwise returns 403, 404 or 500. */
struct file_listing;
int file_list_open(const struct site *site, const char *rel, const char *url, size_t ulen,
                   bool allow_dot, struct file_listing **out);
/* The length of the whole page (known before any of it is read). */
size_t file_list_size(const struct file_listing *l);
/* The next bytes of the page, at most cap, into buf; 0 at its end. */
size_t file_list_read(struct file_listing *l, char *buf, size_t cap);

/* Does hit->rel still name the file hit->st describes (same device and
 * inode)? A file replaced by rename keeps its old inode open in a cache: the
 * path then names another; a deleted one names none. When it does,
 * hit->st is refreshed (a file written in place shows its new size and
 * times). One fstatat, no open: the descriptor itself was opened beneath
 * the root, and the path only decides whether it is still the one. */
bool file_hit_current(const struct site *site, struct file_hit *hit);

/* Strong validator from inode, size and modification time:
 * "\"ino-size-mtime\"" in hex. Returns its length. */
size_t file_etag(const struct stat *st, char *buf, size_t len);

#endif
