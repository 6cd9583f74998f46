/* mime: Content-Type by file-name extension. Pure: no I/O, no allocation, no
 * globals besides the const table below. Called once per response, so the
 * lookup is a binary search over a sorted table of fixed-size keys: ~7
 * comparisons, no hashing, no pointers to chase for the keys. */
#include <string.h>

#include "tlserve/config.h"
#include "tlserve/mime.h"
#include "tlserve/util.h"

/* Textual types name their charset so browsers never have to sniff it
 * (RFC 9110 8.3.2); everything served is expected to be UTF-8. */
#define TEXT(t) t "; charset=utf-8"
#define DEFAULT_TYPE "application/octet-stream"

struct mime_entry {
	char ext[12];      /* lower case, NUL-padded; "webmanifest" is the longest */
	const char *type;
};

/* Sorted by ext (strcmp order): test_mime checks every entry is found. JavaScript is
 * text/javascript (RFC 9239); source files are text/plain so browsers show them
 * rather than run or download them. */
static const struct mime_entry table[] = {
	{ "7z", "application/x-7z-compressed" },
	{ "aac", "audio/aac" },
	{ "apk", "application/vnd.android.package-archive" },
	{ "apng", "image/apng" },
	{ "atom", TEXT("application/atom+xml") },
	{ "avif", "image/avif" },
	{ "bin", "application/octet-stream" },
	{ "bmp", "image/bmp" },
	{ "bz2", "application/x-bzip2" },
	{ "c", TEXT("text/plain") },
	{ "css", TEXT("text/css") },
	{ "csv", TEXT("text/csv") },
	{ "deb", "application/vnd.debian.binary-package" },
	{ "dmg", "application/x-apple-diskimage" },
	{ "doc", "application/msword" },
	{ "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document" },
	{ "eot", "application/vnd.ms-fontobject" },
	{ "epub", "application/epub+zip" },
	{ "exe", "application/vnd.microsoft.portable-executable" },
	{ "flac", "audio/flac" },
	{ "gif", "image/gif" },
	{ "gz", "application/gzip" },
	{ "h", TEXT("text/plain") },
	{ "htm", TEXT("text/html") },
	{ "html", TEXT("text/html") },
	{ "ico", "image/x-icon" },
	{ "ics", TEXT("text/calendar") },
	{ "iso", "application/x-iso9660-image" },
	{ "jar", "application/java-archive" },
	{ "jpeg", "image/jpeg" },
	{ "jpg", "image/jpeg" },
	{ "js", TEXT("text/javascript") },
	{ "json", TEXT("application/json") },
	{ "jsonld", TEXT("application/ld+json") },
	{ "jxl", "image/jxl" },
	{ "log", TEXT("text/plain") },
	{ "m4a", "audio/mp4" },
	{ "m4v", "video/mp4" },
	{ "map", TEXT("application/json") },
	{ "md", TEXT("text/markdown") },
	{ "mjs", TEXT("text/javascript") },
	{ "mkv", "video/x-matroska" },
	{ "mov", "video/quicktime" },
	{ "mp3", "audio/mpeg" },
	{ "mp4", "video/mp4" },
	{ "msi", "application/x-msi" },
	{ "oga", "audio/ogg" },
	{ "ogg", "audio/ogg" },
	{ "ogv", "video/ogg" },
	{ "opus", "audio/ogg" },
	{ "otf", "font/otf" },
	{ "pdf", "application/pdf" },
	{ "png", "image/png" },
	{ "ppt", "application/vnd.ms-powerpoint" },
	{ "pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation" },
	{ "py", TEXT("text/plain") },
	{ "rar", "application/vnd.rar" },
	{ "rss", TEXT("application/rss+xml") },
	{ "rtf", "application/rtf" },
	{ "sh", TEXT("text/plain") },
	{ "svg", TEXT("image/svg+xml") },
	{ "tar", "application/x-tar" },
	{ "text", TEXT("text/plain") },
	{ "tgz", "application/gzip" },
	{ "tif", "image/tiff" },
	{ "tiff", "image/tiff" },
	{ "toml", TEXT("application/toml") },
	{ "ttf", "font/ttf" },
	{ "txt", TEXT("text/plain") },
	{ "vtt", TEXT("text/vtt") },
	{ "wasm", "application/wasm" },
	{ "wav", "audio/wav" },
	{ "webm", "video/webm" },
	{ "webmanifest", TEXT("application/manifest+json") },
	{ "webp", "image/webp" },
	{ "woff", "font/woff" },
	{ "woff2", "font/woff2" },
	{ "xhtml", TEXT("application/xhtml+xml") },
	{ "xls", "application/vnd.ms-excel" },
	{ "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
	{ "xml", TEXT("application/xml") },
	{ "xz", "application/x-xz" },
	{ "yaml", TEXT("application/yaml") },
	{ "yml", TEXT("application/yaml") },
	{ "zip", "application/zip" },
	{ "zst", "application/zstd" },
};

#define NTABLE (sizeof(table) / sizeof(table[0]))

/* The extension of the last segment of name[0..len): the bytes after its last
 * '.', unless that dot starts the segment (".bashrc" has none). Returns 1 with
 * *ext, *n set (n > 0), else 0. O(length of the last segment). */
static int
extension(const char *name, size_t len, const char **ext, size_t *n)
{
	for (size_t i = len; i > 0; i--) {
		if (name[i - 1] == '/')
			return 0;
		if (name[i - 1] != '.')
			continue;
		if (i == 1 || name[i - 2] == '/' || i == len)
			return 0;
		*ext = name + i;
		*n = len - i;
		return 1;
	}
	return 0;
}


/* 1 when ext[0..n), lower-cased, equals the NUL-terminated lower-case s. */
static int
ext_eq(const char *ext, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\0' || util_lower(ext[i]) != s[i])
			return 0;
	}
	return s[i] == '\0';
}

/* The built-in type for the lower-case NUL-terminated key, or NULL. O(log n). */
static const char *
builtin(const char *key)
{
	size_t lo = 0, hi = NTABLE;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(key, table[mid].ext);

		if (c == 0)
			return table[mid].type;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* See mime.h. Overrides are few (from the configuration) and scanned linearly
 * before the table, so one can replace a built-in type. */
const char *
mime_type(const char *name, size_t len, const struct config_mime *over, size_t nover)
{
	char key[sizeof(table[0].ext)];
	const char *ext, *type;
	size_t n;

	if (!extension(name, len, &ext, &n))
		return DEFAULT_TYPE;
	for (size_t i = 0; i < nover; i++) {
		if (over[i].ext != NULL && ext_eq(ext, n, over[i].ext))
			return over[i].type;
	}
	if (n >= sizeof(key))
		return DEFAULT_TYPE;
	for (size_t i = 0; i < n; i++) {
		if ((key[i] = util_lower(ext[i])) == '\0')
			return DEFAULT_TYPE;  /* strcmp would stop there and match a prefix */
	}
	key[n] = '\0';
	type = builtin(key);
	return type != NULL ? type : DEFAULT_TYPE;
}
