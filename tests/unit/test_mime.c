/* Unit tests for src/mime.c: the built-in table (every entry must be found,
 * which also proves the binary search's sort order), case folding, what counts
 * as an extension, and configured overrides. Names end at a guard page. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "guard.h"
#include "tlserve/config.h"
#include "tlserve/mime.h"

#define OCTET "application/octet-stream"
#define UTF8 "; charset=utf-8"

struct mcase {
	const char *name;  /* the file name given to mime_type */
	const char *want;
};

/* Every extension the table holds, with its type. */
static const struct mcase table[] = {
	{ "a.html", "text/html" UTF8 },
	{ "a.htm", "text/html" UTF8 },
	{ "a.css", "text/css" UTF8 },
	{ "a.js", "text/javascript" UTF8 },
	{ "a.mjs", "text/javascript" UTF8 },
	{ "a.json", "application/json" UTF8 },
	{ "a.map", "application/json" UTF8 },
	{ "a.jsonld", "application/ld+json" UTF8 },
	{ "a.wasm", "application/wasm" },
	{ "a.svg", "image/svg+xml" UTF8 },
	{ "a.png", "image/png" },
	{ "a.apng", "image/apng" },
	{ "a.jpg", "image/jpeg" },
	{ "a.jpeg", "image/jpeg" },
	{ "a.gif", "image/gif" },
	{ "a.webp", "image/webp" },
	{ "a.avif", "image/avif" },
	{ "a.jxl", "image/jxl" },
	{ "a.ico", "image/x-icon" },
	{ "a.bmp", "image/bmp" },
	{ "a.tif", "image/tiff" },
	{ "a.tiff", "image/tiff" },
	{ "a.woff", "font/woff" },
	{ "a.woff2", "font/woff2" },
	{ "a.ttf", "font/ttf" },
	{ "a.otf", "font/otf" },
	{ "a.eot", "application/vnd.ms-fontobject" },
	{ "a.txt", "text/plain" UTF8 },
	{ "a.text", "text/plain" UTF8 },
	{ "a.log", "text/plain" UTF8 },
	{ "a.md", "text/markdown" UTF8 },
	{ "a.csv", "text/csv" UTF8 },
	{ "a.xml", "application/xml" UTF8 },
	{ "a.xhtml", "application/xhtml+xml" UTF8 },
	{ "a.rss", "application/rss+xml" UTF8 },
	{ "a.atom", "application/atom+xml" UTF8 },
	{ "a.pdf", "application/pdf" },
	{ "a.mp4", "video/mp4" },
	{ "a.m4v", "video/mp4" },
	{ "a.webm", "video/webm" },
	{ "a.ogv", "video/ogg" },
	{ "a.mov", "video/quicktime" },
	{ "a.mkv", "video/x-matroska" },
	{ "a.mp3", "audio/mpeg" },
	{ "a.m4a", "audio/mp4" },
	{ "a.ogg", "audio/ogg" },
	{ "a.oga", "audio/ogg" },
	{ "a.opus", "audio/ogg" },
	{ "a.wav", "audio/wav" },
	{ "a.flac", "audio/flac" },
	{ "a.aac", "audio/aac" },
	{ "a.zip", "application/zip" },
	{ "a.gz", "application/gzip" },
	{ "a.tgz", "application/gzip" },
	{ "a.tar", "application/x-tar" },
	{ "a.bz2", "application/x-bzip2" },
	{ "a.xz", "application/x-xz" },
	{ "a.zst", "application/zstd" },
	{ "a.7z", "application/x-7z-compressed" },
	{ "a.rar", "application/vnd.rar" },
	{ "a.jar", "application/java-archive" },
	{ "a.apk", "application/vnd.android.package-archive" },
	{ "a.deb", "application/vnd.debian.binary-package" },
	{ "a.iso", "application/x-iso9660-image" },
	{ "a.dmg", "application/x-apple-diskimage" },
	{ "a.exe", "application/vnd.microsoft.portable-executable" },
	{ "a.msi", "application/x-msi" },
	{ "a.bin", OCTET },
	{ "a.epub", "application/epub+zip" },
	{ "a.doc", "application/msword" },
	{ "a.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document" },
	{ "a.xls", "application/vnd.ms-excel" },
	{ "a.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
	{ "a.ppt", "application/vnd.ms-powerpoint" },
	{ "a.pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation" },
	{ "a.rtf", "application/rtf" },
	{ "a.ics", "text/calendar" UTF8 },
	{ "a.vtt", "text/vtt" UTF8 },
	{ "a.webmanifest", "application/manifest+json" UTF8 },
	{ "a.yaml", "application/yaml" UTF8 },
	{ "a.yml", "application/yaml" UTF8 },
	{ "a.toml", "application/toml" UTF8 },
	{ "a.sh", "text/plain" UTF8 },
	{ "a.py", "text/plain" UTF8 },
	{ "a.c", "text/plain" UTF8 },
	{ "a.h", "text/plain" UTF8 },
};

/* What counts as the extension, and case folding. */
static const struct mcase names[] = {
	{ "index.HTML", "text/html" UTF8 },
	{ "INDEX.HtMl", "text/html" UTF8 },
	{ "/www/docs/app.JS", "text/javascript" UTF8 },
	{ "archive.tar.gz", "application/gzip" },
	{ "/a.dir/file", OCTET },
	{ "/a.html/", OCTET },
	{ "noext", OCTET },
	{ "", OCTET },
	{ ".", OCTET },
	{ "..", OCTET },
	{ ".bashrc", OCTET },
	{ ".html", OCTET },
	{ "/x/.html", OCTET },
	{ "/x/.hidden.txt", "text/plain" UTF8 },
	{ "..html", "text/html" UTF8 },
	{ "file.", OCTET },
	{ "file.unknown", OCTET },
	{ "file.htmlx", OCTET },
	{ "file.htm", "text/html" UTF8 },
	{ "file.ht", OCTET },
	{ "file.webmanifestx", OCTET },
	{ "file.webmanifes", OCTET },
	{ "file.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", OCTET },
	{ "file.0", OCTET },
	{ "file.~", OCTET },
	{ "a", OCTET },
	{ "/", OCTET },
};

static void
check(const struct mcase *v, size_t n, const struct config_mime *over, size_t nover)
{
	struct guard g;

	guard_init(&g, 64);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(v[i].name);
		const char *at = guard_put(&g, v[i].name, len);

		if (strcmp(mime_type(at, len, over, nover), v[i].want) != 0)
			fail_msg("%s: got %s, want %s", v[i].name, mime_type(at, len, over, nover),
			         v[i].want);
	}
	guard_free(&g);
}

static void
builtin_table(void **state)
{
	(void)state;
	check(table, sizeof(table) / sizeof(table[0]), NULL, 0);
}

static void
extension_rules(void **state)
{
	(void)state;
	check(names, sizeof(names) / sizeof(names[0]), NULL, 0);
}

/* Every text/ type, and the textual application types, name the charset. */
static void
text_types_have_charset(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const char *t = table[i].want;
		int text = strncmp(t, "text/", 5) == 0 || strstr(t, "/json") != NULL ||
		           strstr(t, "+json") != NULL || strstr(t, "/xml") != NULL ||
		           strstr(t, "+xml") != NULL || strstr(t, "/yaml") != NULL ||
		           strstr(t, "/toml") != NULL;

		assert_int_equal(text, strstr(t, UTF8) != NULL);
	}
}

static void
overrides(void **state)
{
	static char md[] = "md", mdtype[] = "text/plain; charset=utf-8";
	static char foo[] = "foo", footype[] = "application/x-foo";
	static char longext[] = "webmanifestplus", longtype[] = "application/x-long";
	const struct config_mime over[] = {
		{ md, mdtype },
		{ foo, footype },
		{ longext, longtype },
	};
	const struct mcase v[] = {
		{ "README.md", "text/plain; charset=utf-8" },
		{ "README.MD", "text/plain; charset=utf-8" },
		{ "x.foo", "application/x-foo" },
		{ "x.FOO", "application/x-foo" },
		{ "x.fo", OCTET },
		{ "x.fooo", OCTET },
		{ "x.WebManifestPlus", "application/x-long" },
		{ "x.html", "text/html" UTF8 },
		{ "foo", OCTET },
		{ ".foo", OCTET },
	};

	(void)state;
	check(v, sizeof(v) / sizeof(v[0]), over, 3);
	/* verbatim: the override's own pointer comes back */
	assert_ptr_equal(mime_type("x.foo", 5, over, 3), footype);
}

/* Only len bytes are the name: a longer buffer must not change the answer. */
static void
length_bounded(void **state)
{
	(void)state;
	assert_string_equal(mime_type("a.html.gz", 6, NULL, 0), "text/html" UTF8);
	assert_string_equal(mime_type("a.htmlx", 6, NULL, 0), "text/html" UTF8);
	assert_string_equal(mime_type("a.c\0zz", 6, NULL, 0), OCTET);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(builtin_table),
		cmocka_unit_test(extension_rules),
		cmocka_unit_test(text_types_have_charset),
		cmocka_unit_test(overrides),
		cmocka_unit_test(length_bounded),
	};

	return cmocka_run_group_tests_name("mime", tests, NULL, NULL);
}
