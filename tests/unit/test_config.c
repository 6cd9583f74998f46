/* Unit tests for config: defaults, every key, every kind of error with its
 * position, path resolution, file loading and file checks.
 * Error cases are a table; each row is its own named cmocka test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tlserve/config.h"

#define TC_BASE "/etc/tlserve"
#define TC_MIN  "listeners:\n  - port: 8443\n"
#define TC_L    "listeners:\n  - port: 1\n"
#define TC_X4(s) s s s s
#define TC_X8(s) TC_X4(s) TC_X4(s)

/* Load yaml (len 0: strlen) against TC_BASE. */
static int
tc_load_n(const char *yaml, size_t len, struct config **cfg, struct config_errors *errs)
{
	return config_load_string(yaml, len ? len : strlen(yaml), "t.yaml", TC_BASE, cfg, errs);
}

static int
tc_load(const char *yaml, struct config **cfg, struct config_errors *errs)
{
	return tc_load_n(yaml, 0, cfg, errs);
}

/* Load yaml that must be valid; fails the test with the first error otherwise. */
static struct config *
tc_ok(const char *yaml)
{
	struct config_errors errs = { 0 };
	struct config *cfg = NULL;
	int rc = tc_load(yaml, &cfg, &errs);

	if (rc != 0)
		fail_msg("unexpected error %d:%d: %s", errs.v[0].line, errs.v[0].col,
			 errs.v[0].msg);
	assert_int_equal(errs.n, 0);
	assert_non_null(cfg);
	config_errors_free(&errs);
	return cfg;
}

/* Print the errors, to make a failing assertion readable. */
static void
tc_dump(const struct config_errors *errs)
{
	for (size_t i = 0; i < errs->n; i++)
		print_message("  %d:%d: %s\n", errs->v[i].line, errs->v[i].col, errs->v[i].msg);
}

/* Whether errs holds an error at line:col containing text. */
static bool
tc_has(const struct config_errors *errs, int line, int col, const char *text)
{
	for (size_t i = 0; i < errs->n; i++) {
		if (errs->v[i].line == line && errs->v[i].col == col &&
		    strstr(errs->v[i].msg, text))
			return true;
	}
	return false;
}

/* ------------------------------------------------------------ error table */

struct tc_err {
	const char *name;
	const char *yaml;
	size_t len;            /* 0: strlen(yaml) */
	int line, col;         /* where the error must be reported */
	const char *text;      /* a substring of its message */
	const char *absent;    /* a substring no error may contain (or NULL) */
};

static const struct tc_err tc_errs[] = {
	{ "unknown_key_hint", "listners: []\n", 0, 1, 1,
	  "unknown key \"listners\", did you mean \"listeners\"?", NULL },
	{ "unknown_nested_key_hint", "log:\n  levle: info\n" TC_MIN, 0, 2, 3,
	  "unknown key \"log.levle\", did you mean \"log.level\"?", NULL },
	{ "unknown_key_prefix_hint", "listen: []\n", 0, 1, 1, "did you mean \"listeners\"?", NULL },
	{ "unknown_key_case_hint", "Workers: 2\n" TC_MIN, 0, 1, 1, "did you mean \"workers\"?",
	  NULL },
	{ "unknown_key_no_hint", "zzzzzzzz: 1\n" TC_MIN, 0, 1, 1, "unknown key \"zzzzzzzz\"",
	  "did you mean" },
	{ "unknown_listener_key_hint", "listeners:\n  - port: 1\n    lisitng: true\n", 0, 3, 5,
	  "unknown key \"listeners[0].lisitng\", did you mean \"listeners[0].listing\"?", NULL },
	{ "unknown_key_escaped", "\"a\\x01b\": 1\n" TC_MIN, 0, 1, 1, "unknown key \"a\\x01b\"",
	  NULL },
	{ "duplicate_key", "workers: 1\nworkers: 2\n" TC_MIN, 0, 2, 1,
	  "duplicate key \"workers\" (first at line 1)", NULL },
	{ "duplicate_nested_key", "limits:\n  max_headers: 1\n  max_headers: 2\n" TC_MIN, 0, 3, 3,
	  "duplicate key \"limits.max_headers\"", NULL },
	{ "non_scalar_key", "? [a]\n: b\n" TC_MIN, 0, 1, 3, "a key must be a plain string", NULL },
	{ "top_level_sequence", "- a\n- b\n", 0, 1, 1, "the configuration must be a mapping",
	  NULL },
	{ "top_level_scalar", "hello\n", 0, 1, 1, "must be a mapping of keys, not a scalar", NULL },
	{ "workers_zero", "workers: 0\n" TC_MIN, 0, 1, 10, "\"workers\" is out of range", NULL },
	{ "workers_too_many", "workers: 1025\n" TC_MIN, 0, 1, 10, "allowed: 1..1024 or auto",
	  NULL },
	{ "workers_huge", "workers: 99999999999999999999999\n" TC_MIN, 0, 1, 10, "out of range",
	  NULL },
	{ "workers_word", "workers: many\n" TC_MIN, 0, 1, 10,
	  "must be an integer or \"auto\", not \"many\"", NULL },
	{ "workers_negative", "workers: -1\n" TC_MIN, 0, 1, 10, "must be an integer", NULL },
	{ "workers_mapping", "workers: {a: 1}\n" TC_MIN, 0, 1, 10,
	  "\"workers\" must be an integer, not a mapping", NULL },
	{ "workers_sequence", "workers: [1]\n" TC_MIN, 0, 1, 10, "not a sequence", NULL },
	{ "workers_null", "workers:\n" TC_MIN, 0, 1, 9, "\"workers\" needs a value", NULL },
	{ "user_empty", "user: \"\"\n" TC_MIN, 0, 1, 7, "\"user\" must not be empty", NULL },
	{ "user_mapping", "user: {a: b}\n" TC_MIN, 0, 1, 7, "must be a string, not a mapping",
	  NULL },
	{ "user_nul_byte", "user: \"a\\0b\"\n" TC_MIN, 0, 1, 7, "contains a control character",
	  NULL },
	{ "log_not_mapping", "log: debug\n" TC_MIN, 0, 1, 6,
	  "\"log\" must be a mapping, not a scalar", NULL },
	{ "log_level_bad", "log:\n  level: verbose\n" TC_MIN, 0, 2, 10,
	  "\"log.level\" must be one of error, warn, info, debug, not \"verbose\"", NULL },
	{ "log_error_empty", "log:\n  error: ''\n" TC_MIN, 0, 2, 10, "must not be empty", NULL },
	{ "log_access_true", "log:\n  access: true\n" TC_MIN, 0, 2, 11,
	  "\"log.access\" must be stdout, off or a file name, not \"true\"", NULL },
	{ "log_access_sequence", "log:\n  access: [a]\n" TC_MIN, 0, 2, 11, "not a sequence", NULL },
	{ "log_format_bad", "log:\n  access_format: apache\n" TC_MIN, 0, 2, 18,
	  "one of common, combined, json", NULL },
	{ "max_connections_zero", "limits:\n  max_connections: 0\n" TC_MIN, 0, 2, 20,
	  "allowed: 1..10000000", NULL },
	{ "max_connections_over", "limits:\n  max_connections: 10000001\n" TC_MIN, 0, 2, 20,
	  "out of range", NULL },
	{ "max_connections_suffix", "limits:\n  max_connections: 10k\n" TC_MIN, 0, 2, 20,
	  "must be an integer, not \"10k\"", NULL },
	{ "timeout_zero", "limits:\n  idle_timeout: 0\n" TC_MIN, 0, 2, 17,
	  "\"limits.idle_timeout\" is out of range: \"0\" (allowed: more than 0, at most 24h)",
	  NULL },
	{ "timeout_zero_ms", "limits:\n  handshake_timeout: 0ms\n" TC_MIN, 0, 2, 22, "out of range",
	  NULL },
	{ "timeout_over_a_day", "limits:\n  shutdown_timeout: 25h\n" TC_MIN, 0, 2, 21,
	  "out of range", NULL },
	{ "timeout_a_day_and_a_ms", "limits:\n  header_timeout: 86400001ms\n" TC_MIN, 0, 2, 19,
	  "out of range", NULL },
	{ "timeout_overflow", "limits:\n  idle_timeout: 99999999999999999999s\n" TC_MIN, 0, 2, 17,
	  "must be a duration", NULL },
	{ "timeout_bad_suffix", "limits:\n  idle_timeout: 10x\n" TC_MIN, 0, 2, 17,
	  "must be a duration such as 250ms, 10s, 5m, 12h or 30d, not \"10x\"", NULL },
	{ "timeout_fraction", "limits:\n  idle_timeout: 1.5s\n" TC_MIN, 0, 2, 17,
	  "must be a duration", NULL },
	{ "timeout_quoted_empty", "limits:\n  idle_timeout: ''\n" TC_MIN, 0, 2, 17,
	  "must be a duration such as 250ms, 10s, 5m, 12h or 30d, not \"\"", NULL },
	{ "timeout_null", "limits:\n  idle_timeout: ~\n" TC_MIN, 0, 2, 17, "needs a value", NULL },
	{ "head_too_small", "limits:\n  max_request_head: 1023\n" TC_MIN, 0, 2, 21,
	  "allowed: 1k..1m", NULL },
	{ "head_too_big", "limits:\n  max_request_head: 1025k\n" TC_MIN, 0, 2, 21, "out of range",
	  NULL },
	{ "head_bad_suffix", "limits:\n  max_request_head: 16q\n" TC_MIN, 0, 2, 21,
	  "must be a size such as 512, 16k or 1m", NULL },
	{ "head_overflow", "limits:\n  max_request_head: 99999999999999999999g\n" TC_MIN, 0, 2, 21,
	  "must be a size", NULL },
	{ "max_headers_zero", "limits:\n  max_headers: 0\n" TC_MIN, 0, 2, 16, "allowed: 1..10000",
	  NULL },
	{ "max_headers_over", "limits:\n  max_headers: 10001\n" TC_MIN, 0, 2, 16, "out of range",
	  NULL },
	{ "min_send_rate_negative", "limits:\n  min_send_rate: -1\n" TC_MIN, 0, 2, 18,
	  "must be a size", NULL },
	{ "tls_not_mapping", "tls: [a]\n" TC_MIN, 0, 1, 6,
	  "\"tls\" must be a mapping, not a sequence", NULL },
	{ "tls_certificate_null", "tls:\n  certificate: null\n" TC_MIN, 0, 2, 16,
	  "\"tls.certificate\" needs a value", NULL },
	{ "tls_1_1", "tls:\n  min_version: 1.1\n" TC_MIN, 0, 2, 16,
	  "TLS 1.0 and 1.1 are never offered", NULL },
	{ "tls_1_0_string", "tls:\n  min_version: \"1.0\"\n" TC_MIN, 0, 2, 16, "never offered",
	  NULL },
	{ "tls_1_4", "tls:\n  min_version: 1.4\n" TC_MIN, 0, 2, 16,
	  "must be \"1.2\" or \"1.3\", not \"1.4\"", NULL },
	{ "tls_tickets_bad", "tls:\n  session_tickets: sometimes\n" TC_MIN, 0, 2, 20,
	  "\"tls.session_tickets\" must be true or false, not \"sometimes\"", NULL },
	{ "tls_verify_bad", "tls:\n  verify_client: maybe\n" TC_MIN, 0, 2, 18,
	  "must be one of off, optional, require", NULL },
	{ "tls_verify_require_no_ca", "tls:\n  verify_client: require\n" TC_MIN, 0, 2, 18,
	  "\"verify_client: require\" needs a \"client_ca\"", NULL },
	{ "tls_verify_optional_no_ca", "tls:\n  verify_client: optional\n" TC_MIN, 0, 2, 18,
	  "\"verify_client: optional\" needs a \"client_ca\"", NULL },
	{ "listener_tls_verify_no_ca",
	  "listeners:\n  - port: 1\n    tls:\n      verify_client: require\n", 0, 4, 22,
	  "needs a \"client_ca\"", NULL },
	{ "listener_tls_unknown_key", "listeners:\n  - port: 1\n    tls:\n      cert: a\n", 0, 4, 7,
	  "unknown key \"listeners[0].tls.cert\"", NULL },
	{ "no_listeners_key", "workers: 2\n", 0, 0, 0, "no listeners", NULL },
	{ "no_listeners_empty", "listeners: []\n", 0, 1, 12, "no listeners", NULL },
	{ "no_listeners_null", "listeners:\n", 0, 1, 11, "no listeners", NULL },
	{ "listeners_mapping", "listeners: {port: 1}\n", 0, 1, 12, "must be a sequence", NULL },
	{ "listener_scalar", "listeners: [8443]\n", 0, 1, 13,
	  "\"listeners[0]\" must be a mapping, not a scalar", NULL },
	{ "port_missing", "listeners:\n  - name: x\n", 0, 2, 5, "\"listeners[0].port\" is required",
	  NULL },
	{ "port_out_of_range", "listeners:\n  - port: 65536\n", 0, 2, 11, "allowed: 0..65535",
	  NULL },
	{ "port_negative", "listeners:\n  - port: -1\n", 0, 2, 11,
	  "must be a port number 0..65535 or a service name, not \"-1\"", NULL },
	{ "port_bad_service", "listeners:\n  - port: \"ht tp\"\n", 0, 2, 11, "or a service name",
	  NULL },
	{ "port_null", "listeners:\n  - port:\n", 0, 2, 10, "needs a value", NULL },
	{ "port_sequence", "listeners:\n  - port: [1]\n", 0, 2, 11, "not a sequence", NULL },
	{ "name_empty", "listeners:\n  - port: 1\n    name: ''\n", 0, 3, 11, "must not be empty",
	  NULL },
	{ "host_empty", "listeners:\n  - port: 1\n    host: \"\"\n", 0, 3, 11, "must not be empty",
	  NULL },
	{ "mode_bad", "listeners:\n  - port: 1\n    mode: http\n", 0, 3, 11,
	  "\"listeners[0].mode\" must be one of files, echo, redirect, metrics, not \"http\"", NULL },
	{ "dotfiles_bad", "listeners:\n  - port: 1\n    dotfiles: hide\n", 0, 3, 15,
	  "one of deny, allow", NULL },
	{ "proxy_bad", "listeners:\n  - port: 1\n    proxy_protocol: v3\n", 0, 3, 21,
	  "one of off, v1, v2, any", NULL },
	{ "proxy_true_is_not_a_version", "listeners:\n  - port: 1\n    proxy_protocol: true\n", 0,
	  3, 21, "not \"true\"", NULL },
	{ "listing_bad", "listeners:\n  - port: 1\n    listing: perhaps\n", 0, 3, 14,
	  "must be true or false", NULL },
	{ "root_empty", "listeners:\n  - port: 1\n    root: ''\n", 0, 3, 11, "must not be empty",
	  NULL },
	{ "root_control_char", "listeners:\n  - port: 1\n    root: \"a\\tb\"\n", 0, 3, 11,
	  "contains a control character", NULL },
	{ "index_slash", "listeners:\n  - port: 1\n    index: [a.html, b/c.html]\n", 0, 3, 21,
	  "\"b/c.html\" must not contain '/'", NULL },
	{ "index_dotdot", "listeners:\n  - port: 1\n    index: ..\n", 0, 3, 12,
	  "is not a file name", NULL },
	{ "index_mapping", "listeners:\n  - port: 1\n    index: {a: b}\n", 0, 3, 12,
	  "must be a name or a list of names, not a mapping", NULL },
	{ "index_nested_list", "listeners:\n  - port: 1\n    index: [[a]]\n", 0, 3, 13,
	  "entries must be names, not a sequence", NULL },
	{ "index_null_entry", "listeners:\n  - port: 1\n    index: [a, ~]\n", 0, 3, 16,
	  "entries must be names, not a null", NULL },
	{ "sni_not_sequence", "listeners:\n  - port: 1\n    sni: {names: a}\n", 0, 3, 10,
	  "must be a sequence of {names, certificate, key}", NULL },
	{ "sni_entry_scalar", "listeners:\n  - port: 1\n    sni: [a.test]\n", 0, 3, 11,
	  "\"listeners[0].sni[0]\" must be a mapping", NULL },
	{ "sni_missing_certificate",
	  "listeners:\n  - port: 1\n    sni:\n      - names: [a.test]\n        key: a.key\n", 0, 4,
	  9, "\"listeners[0].sni[0].certificate\" is required", NULL },
	{ "sni_missing_names",
	  "listeners:\n  - port: 1\n    sni:\n      - {certificate: a, key: b}\n", 0, 4, 9,
	  "\"listeners[0].sni[0].names\" is required", NULL },
	{ "sni_empty_names",
	  "listeners:\n  - port: 1\n    sni:\n      - {names: [], certificate: a, key: b}\n", 0, 4,
	  17, "needs at least one name", NULL },
	{ "sni_wildcard_middle",
	  "listeners:\n  - port: 1\n    sni:\n      - {names: [a.*.test], certificate: a, key: "
	  "b}\n",
	  0, 4, 18, "wildcard must be the whole leftmost label", NULL },
	{ "sni_wildcard_partial",
	  "listeners:\n  - port: 1\n    sni:\n      - {names: \"w*.test\", certificate: a, key: "
	  "b}\n",
	  0, 4, 17, "\"w*.test\" is not a host name", NULL },
	{ "sni_wildcard_alone",
	  "listeners:\n  - port: 1\n    sni:\n      - {names: \"*\", certificate: a, key: b}\n", 0,
	  4, 17, "is not a host name", NULL },
	{ "sni_wildcard_twice",
	  "listeners:\n  - port: 1\n    sni:\n      - {names: \"*.*.test\", certificate: a, key: "
	  "b}\n",
	  0, 4, 17, "is not a host name", NULL },
	{ "sni_empty_label",
	  "listeners:\n  - port: 1\n    sni:\n      - {names: a..test, certificate: a, key: b}\n",
	  0, 4, 17, "empty or over-long label", NULL },
	{ "sni_bad_char",
	  "listeners:\n  - port: 1\n    sni:\n      - {names: \"a b.test\", certificate: a, key: "
	  "b}\n",
	  0, 4, 17, "is not a host name", NULL },
	{ "duplicate_listener_name", "listeners:\n  - {name: a, port: 1}\n  - {name: a, port: 2}\n",
	  0, 3, 5, "duplicate listener name \"a\" (first at line 2)", NULL },
	{ "duplicate_default_listener_name",
	  "listeners:\n  - {port: 1}\n  - {name: listener-0, port: 2}\n", 0, 3, 5,
	  "duplicate listener name \"listener-0\"", NULL },
	{ "mime_not_mapping", "mime: [a]\n" TC_MIN, 0, 1, 7, "must be a mapping of extension: type",
	  NULL },
	{ "mime_bad_type", "mime:\n  html: texthtml\n" TC_MIN, 0, 2, 9,
	  "\"mime.html\": \"texthtml\" is not a media type", NULL },
	{ "mime_header_injection", "mime:\n  html: \"text/html\\r\\nX-Evil: 1\"\n" TC_MIN, 0, 2, 9,
	  "contains a control character", NULL },
	{ "mime_bad_extension", "mime:\n  a/b: text/plain\n" TC_MIN, 0, 2, 3,
	  "\"a/b\" is not a file extension", NULL },
	{ "mime_dotted_extension", "mime:\n  tar.gz: application/gzip\n" TC_MIN, 0, 2, 3,
	  "\"tar.gz\" is not a file extension (the text after the last dot)", NULL },
	{ "mime_empty_extension", "mime:\n  \".\": text/plain\n" TC_MIN, 0, 2, 3,
	  "is not a file extension", NULL },
	{ "mime_duplicate_after_normalising", "mime:\n  .html: a/b\n  HTML: c/d\n" TC_MIN, 0, 3, 3,
	  "duplicate MIME extension \"html\" (first at line 2)", NULL },
	{ "mime_null_type", "mime:\n  html:\n" TC_MIN, 0, 2, 8, "\"mime.html\" needs a value",
	  NULL },
	{ "alias_rejected", "a: &x 1\nworkers: *x\n" TC_MIN, 0, 2, 10, "aliases", NULL },
	{ "alias_only_document", "- *j", 0, 1, 3, "aliases", NULL }, /* fuzz: ac3c1659 */
	{ "alias_as_key", "*x : 1\n", 0, 1, 1, "aliases", NULL },
	{ "merge_key_rejected", "base: &b {port: 1}\nlisteners:\n  - <<: *b\n", 0, 3, 9, "aliases",
	  NULL },
	{ "syntax_unclosed_flow", "listeners: [\n", 0, 2, 1, "YAML syntax error", NULL },
	{ "syntax_bad_indent", "listeners:\n  - port: 1\n   mode: echo\n", 0, 3, 4,
	  "YAML syntax error", NULL },
	{ "syntax_unclosed_quote", "listeners:\n  - port: \"8443\n", 0, 3, 1, "YAML syntax error",
	  NULL },
	{ "tab_indentation", "listeners:\n\t- port: 1\n", 0, 2, 1,
	  "found character that cannot start any token", NULL },
	{ "tab_in_flow_ok_but_bad_key", "{listeners: [{port: 1}],\tbogus: 1}", 0, 1, 26,
	  "unknown key \"bogus\"", NULL },
	{ "two_documents", "---\n" TC_MIN "---\n" TC_MIN, 0, 4, 1, "only one YAML document", NULL },
	{ "nul_byte", "workers: 1\n\0" TC_MIN, 12 + sizeof(TC_MIN) - 1, 2, 1, "invalid input",
	  NULL },
	{ "invalid_utf8", "workers: \xff\n" TC_MIN, 0, 1, 10, "invalid input", NULL },
	{ "tag_binary_port", "listeners:\n  - port: !!binary MTIz\n", 0, 2, 11,
	  "YAML tags are not supported (\"tag:yaml.org,2002:binary\")", "must be" },
	{ "tag_str", "workers: !!str 2\n" TC_MIN, 0, 1, 10, "YAML tags are not supported", NULL },
	{ "tag_local", "user: !foo bar\n" TC_MIN, 0, 1, 7, "YAML tags are not supported", NULL },
	{ "tag_non_specific", "workers: ! 2\n" TC_MIN, 0, 1, 10, "YAML tags are not supported",
	  NULL },
	{ "tag_on_mapping", "log: !!map {level: info}\n" TC_MIN, 0, 1, 6,
	  "YAML tags are not supported", NULL },
	{ "tag_on_sequence", "listeners: !!seq [{port: 1}]\n", 0, 1, 12,
	  "YAML tags are not supported", NULL },
	{ "tag_on_key", "!!str workers: 2\n" TC_MIN, 0, 1, 1, "YAML tags are not supported",
	  NULL },
	{ "sni_duplicate_other_case",
	  "listeners:\n  - port: 1\n    sni:\n      - {names: [A.test], certificate: a, key: b}\n"
	  "      - {names: [b.test, a.TEST], certificate: c, key: d}\n",
	  0, 5, 26, "duplicate SNI name \"a.test\" (first at line 4, column 18)", NULL },
	{ "sni_duplicate_same_entry",
	  "listeners:\n  - port: 1\n    sni:\n      - {names: [\"*.x.test\", \"*.X.Test\"], "
	  "certificate: a, key: b}\n",
	  0, 4, 30, "duplicate SNI name \"*.x.test\" (first at line 4, column 18)", NULL },
	{ "sni_duplicate_scalar_names",
	  "listeners:\n  - port: 1\n    sni:\n      - {names: a.test, certificate: a, key: b}\n"
	  "      - {names: A.TEST, certificate: c, key: d}\n",
	  0, 5, 17, "duplicate SNI name \"a.test\" (first at line 4, column 17)", NULL },
	{ "too_deep",
	  "a: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
	  0, 1, 35, "nesting deeper than 32 levels", NULL }, /* the top mapping is level 1 */
	/* ------------------------------------------------ sites: headers */
	{ "headers_content_length", TC_L "    headers:\n      Content-Length: 5\n", 0, 4, 7,
	  "\"listeners[0].headers\": \"Content-Length\" cannot be set: the server writes it",
	  NULL },
	{ "headers_server_lower_case",
	  TC_L "    headers:\n      X-A: 1\n      server: tlserve\n", 0, 5, 7,
	  "\"listeners[0].headers\": \"server\" cannot be set", NULL },
	{ "headers_connection_upper_case", TC_L "    headers: {CONNECTION: close}\n", 0, 3, 15,
	  "\"CONNECTION\" cannot be set", NULL },
	{ "headers_cache_control", TC_L "    headers:\n      cache-Control: no-store\n", 0, 4, 7,
	  "\"listeners[0].headers\": \"cache-Control\" is set per path by \"cache:\"", NULL },
	{ "headers_keep_alive", TC_L "    headers:\n      KEEP-ALIVE: timeout=5\n", 0, 4, 7,
	  "\"KEEP-ALIVE\" cannot be set", NULL },
	{ "headers_site_transfer_encoding",
	  TC_L "    sites:\n      - names: [a.test]\n        headers:\n"
	       "          Transfer-Encoding: chunked\n",
	  0, 6, 11, "\"listeners[0].sites[0].headers\": \"Transfer-Encoding\" cannot be set",
	  NULL },
	{ "headers_name_space", TC_L "    headers:\n      \"X Bad\": 1\n", 0, 4, 7,
	  "\"listeners[0].headers\": \"X Bad\" is not a header name", NULL },
	{ "headers_name_colon", TC_L "    headers:\n      \"X:Y\": 1\n", 0, 4, 7,
	  "is not a header name", NULL },
	{ "headers_name_nul", TC_L "    headers:\n      \"X\\0Y\": 1\n", 0, 4, 7,
	  "is not a header name", NULL },
	{ "headers_name_empty", TC_L "    headers:\n      \"\": 1\n", 0, 4, 7,
	  "is not a header name", NULL },
	{ "headers_name_not_scalar", TC_L "    headers:\n      ? [a]\n      : b\n", 0, 4, 9,
	  "\"listeners[0].headers\": a header name must be a plain string", NULL },
	{ "headers_value_control", TC_L "    headers:\n      X-A: \"a\\x01b\"\n", 0, 4, 12,
	  "contains a control character", NULL },
	{ "headers_value_crlf", TC_L "    headers:\n      X-A: \"a\\r\\nX-Evil: 1\"\n", 0, 4, 12,
	  "contains a control character", NULL },
	{ "headers_value_nul", TC_L "    headers:\n      X-A: \"a\\0b\"\n", 0, 4, 12,
	  "contains a control character", NULL },
	{ "headers_value_del", TC_L "    headers:\n      X-A: \"a\\x7fb\"\n", 0, 4, 12,
	  "contains a control character", NULL },
	{ "headers_value_null", TC_L "    headers:\n      X-A:\n", 0, 4, 11, "needs a value",
	  NULL },
	{ "headers_value_mapping", TC_L "    headers:\n      X-A: {a: b}\n", 0, 4, 12,
	  "not a mapping", NULL },
	{ "headers_duplicate_other_case",
	  TC_L "    headers:\n      X-Frame-Options: DENY\n      x-frame-options: SAMEORIGIN\n", 0,
	  5, 7, "duplicate header \"x-frame-options\" (first at line 4)", NULL },
	{ "headers_too_many", TC_L "    headers: {" TC_X8(TC_X8("X-A: 1, ")) "X-B: 1}\n", 0, 3, 14,
	  "\"listeners[0].headers\": too many headers: 65 (at most 64)", NULL },
	{ "headers_not_mapping", TC_L "    headers: [X-A]\n", 0, 3, 14,
	  "\"listeners[0].headers\" must be a mapping of Name: value, not a sequence", NULL },
	{ "headers_scalar", TC_L "    headers: X-A\n", 0, 3, 14, "not a scalar", NULL },
	/* ------------------------------------------------ sites: cache */
	{ "cache_not_sequence", TC_L "    cache: {match: a, control: b}\n", 0, 3, 12,
	  "\"listeners[0].cache\" must be a sequence of {match, control}, not a mapping", NULL },
	{ "cache_scalar", TC_L "    cache: '*.css'\n", 0, 3, 12, "not a scalar", NULL },
	{ "cache_entry_scalar", TC_L "    cache: ['*.css']\n", 0, 3, 13,
	  "\"listeners[0].cache[0]\" must be a mapping with match and control, not a scalar",
	  NULL },
	{ "cache_missing_control", TC_L "    cache:\n      - match: \"*.css\"\n", 0, 4, 9,
	  "\"listeners[0].cache[0].control\" is required", NULL },
	{ "cache_missing_match",
	  TC_L "    cache:\n      - {match: a, control: b}\n      - control: no-cache\n", 0, 5, 9,
	  "\"listeners[0].cache[1].match\" is required", NULL },
	{ "cache_unknown_key", TC_L "    cache:\n      - {match: a, control: b, ttl: 1}\n", 0, 4,
	  32, "unknown key \"listeners[0].cache[0].ttl\"", NULL },
	{ "cache_glob_relative_dir",
	  TC_L "    cache:\n      - {match: \"sub/*.css\", control: x}\n", 0, 4, 17,
	  "\"listeners[0].cache[0].match\": \"sub/*.css\" can never match a path: it has '/' but "
	  "does not start with '/'",
	  NULL },
	{ "cache_glob_double_slash", TC_L "    cache:\n      - {match: \"/a//b\", control: x}\n", 0,
	  4, 17, "\"/a//b\" can never match a path: it has \"//\"", NULL },
	{ "cache_glob_dotdot", TC_L "    cache:\n      - {match: \"/a/../b\", control: x}\n", 0, 4,
	  17, "\"/a/../b\" can never match a path: it has a \".\" or \"..\" segment", NULL },
	{ "cache_glob_dot_last", TC_L "    cache:\n      - {match: \"/a/.\", control: x}\n", 0, 4,
	  17, "can never match a path", NULL },
	{ "cache_glob_empty", TC_L "    cache:\n      - {match: \"\", control: x}\n", 0, 4, 17,
	  "\"listeners[0].cache[0].match\" must not be empty", NULL },
	{ "cache_glob_null", TC_L "    cache:\n      - {match: ~, control: x}\n", 0, 4, 17,
	  "\"listeners[0].cache[0].match\" needs a value", NULL },
	{ "cache_control_crlf",
	  TC_L "    cache:\n      - {match: a, control: \"no-cache\\r\\nX: 1\"}\n", 0, 4, 29,
	  "\"listeners[0].cache[0].control\" contains a control character", NULL },
	{ "cache_site_glob",
	  TC_L "    sites:\n      - names: a.test\n        cache: [{match: \"\", control: x}]\n", 0,
	  5, 25, "\"listeners[0].sites[0].cache[0].match\" must not be empty",
	  NULL },
	{ "cache_too_many", TC_L "    cache: [" TC_X8(TC_X8(TC_X4("a, "))) "a]\n", 0, 3, 12,
	  "\"listeners[0].cache\": too many rules: 257 (at most 256)", NULL },
	/* ------------------------------------------------ sites: error_pages */
	{ "error_page_status_200", TC_L "    error_pages:\n      200: /ok.html\n", 0, 4, 7,
	  "\"listeners[0].error_pages\": \"200\" is not an error status (400..599)", NULL },
	{ "error_page_status_word", TC_L "    error_pages:\n      abc: /x.html\n", 0, 4, 7,
	  "\"abc\" is not an error status (400..599)", NULL },
	{ "error_page_status_600", TC_L "    error_pages:\n      600: /x.html\n", 0, 4, 7,
	  "\"600\" is not an error status (400..599)", NULL },
	{ "error_page_status_399", TC_L "    error_pages:\n      399: /x.html\n", 0, 4, 7,
	  "\"399\" is not an error status", NULL },
	{ "error_page_status_negative", TC_L "    error_pages:\n      -404: /x.html\n", 0, 4, 7,
	  "\"-404\" is not an error status", NULL },
	{ "error_page_path_dotdot", TC_L "    error_pages:\n      404: ../x.html\n", 0, 4, 12,
	  "\"listeners[0].error_pages.404\": \"../x.html\" must be a path under the root, starting "
	  "with '/'",
	  NULL },
	{ "error_page_path_relative", TC_L "    error_pages:\n      404: x.html\n", 0, 4, 12,
	  "\"x.html\" must be a path under the root, starting with '/'", NULL },
	{ "error_page_path_leaves_root", TC_L "    error_pages:\n      404: /a/../x\n", 0, 4, 12,
	  "\"listeners[0].error_pages.404\": \"/a/../x\" leaves the root (\"..\")", NULL },
	{ "error_page_path_directory", TC_L "    error_pages:\n      500: /dir/\n", 0, 4, 12,
	  "\"listeners[0].error_pages.500\": \"/dir/\" names a directory (ends in '/')", NULL },
	{ "error_page_path_double_slash", TC_L "    error_pages:\n      500: /a//x.html\n", 0, 4,
	  12, "is not a normalised path (\"//\")", NULL },
	{ "error_page_path_dot", TC_L "    error_pages:\n      500: /./x.html\n", 0, 4, 12,
	  "is not a normalised path (\".\")", NULL },
	{ "error_page_path_null", TC_L "    error_pages:\n      404:\n", 0, 4, 11,
	  "\"listeners[0].error_pages.404\" needs a value", NULL },
	{ "error_page_duplicate_status",
	  TC_L "    error_pages:\n      404: /a.html\n      404: /b.html\n", 0, 5, 7,
	  "duplicate error page status 404 (first at line 4)", NULL },
	{ "error_page_duplicate_leading_zero",
	  TC_L "    error_pages:\n      404: /a.html\n      0404: /b.html\n", 0, 5, 7,
	  "duplicate error page status 404 (first at line 4)", NULL },
	{ "error_pages_not_mapping", TC_L "    error_pages: [/404.html]\n", 0, 3, 18,
	  "\"listeners[0].error_pages\" must be a mapping of status: path, not a sequence", NULL },
	/* ------------------------------------------------ sites: fallback */
	{ "fallback_dotdot", TC_L "    fallback: ../index.html\n", 0, 3, 15,
	  "\"listeners[0].fallback\": \"../index.html\" must be a path under the root, starting "
	  "with '/'",
	  NULL },
	{ "fallback_leaves_root", TC_L "    fallback: /app/../../index.html\n", 0, 3, 15,
	  "leaves the root", NULL },
	{ "fallback_relative_site",
	  TC_L "    sites:\n      - names: a.test\n        fallback: index.html\n", 0, 5, 19,
	  "\"listeners[0].sites[0].fallback\": \"index.html\" must be a path under the root",
	  NULL },
	{ "fallback_mapping", TC_L "    fallback: {a: b}\n", 0, 3, 15, "not a mapping", NULL },
	/* ------------------------------------------------ sites: entries, names */
	{ "sites_not_sequence", TC_L "    sites: {names: [a.test]}\n", 0, 3, 12,
	  "\"listeners[0].sites\" must be a sequence of {names, root, ...}, not a mapping", NULL },
	{ "sites_entry_scalar", TC_L "    sites: [a.test]\n", 0, 3, 13,
	  "\"listeners[0].sites[0]\" must be a mapping with names and root, not a scalar", NULL },
	{ "sites_too_many", TC_L "    sites: [" TC_X4(TC_X8(TC_X8(TC_X4("{}, ")))) "{}]\n", 0, 3,
	  12, "\"listeners[0].sites\": too many sites: 1025 (at most 1024)", NULL },
	{ "site_without_names", TC_L "    sites:\n      - root: /srv/a\n", 0, 4, 9,
	  "\"listeners[0].sites[0].names\" is required", NULL },
	{ "site_empty_names", TC_L "    sites:\n      - names: []\n", 0, 4, 16,
	  "\"listeners[0].sites[0].names\" needs at least one name", NULL },
	{ "site_unknown_key",
	  TC_L "    sites:\n      - names: [a.test]\n        roots: /srv/a\n", 0, 5, 9,
	  "unknown key \"listeners[0].sites[0].roots\", did you mean "
	  "\"listeners[0].sites[0].root\"?",
	  NULL },
	{ "site_listener_only_key",
	  TC_L "    sites:\n      - names: [a.test]\n        http2: false\n", 0, 5, 9,
	  "unknown key \"listeners[0].sites[0].http2\"", NULL },
	{ "site_name_partial_wildcard", TC_L "    sites:\n      - names: [\"a*.x\"]\n", 0, 4, 17,
	  "\"a*.x\" is not a host name", NULL },
	{ "site_name_star_alone", TC_L "    sites:\n      - names: [\"*\"]\n", 0, 4, 17,
	  "\"*\" is not a host name", NULL },
	{ "site_name_trailing_dot", TC_L "    sites:\n      - names: [a.example.]\n", 0, 4, 17,
	  "\"a.example.\" is not a host name", NULL },
	{ "site_name_port", TC_L "    sites:\n      - names: [\"a.example:443\"]\n", 0, 4, 17,
	  "\"a.example:443\" is not a host name", NULL },
	{ "site_name_ipv6", TC_L "    sites:\n      - names: [\"[::1]\"]\n", 0, 4, 17,
	  "is not a host name", NULL },
	{ "site_name_duplicate_across_sites",
	  TC_L "    sites:\n      - names: [a.test]\n      - names: [b.test, A.Test]\n", 0, 5, 25,
	  "duplicate site name \"a.test\" (first at line 4, column 17)", NULL },
	{ "site_name_duplicate_wildcard_scalar",
	  TC_L "    sites:\n      - names: \"*.a.test\"\n"
	       "      - {names: \"*.A.TEST\", root: /b}\n",
	  0, 5, 17, "duplicate site name \"*.a.test\" (first at line 4, column 16)", NULL },
	{ "site_name_duplicate_same_site", TC_L "    sites:\n      - names: [a.test, a.test]\n", 0,
	  4, 25, "duplicate site name \"a.test\" (first at line 4, column 17)", NULL },
	{ "site_name_duplicate_after_bad_site",
	  TC_L "    sites:\n      - x\n      - names: [a.test]\n      - names: [a.test]\n", 0, 6,
	  17, "duplicate site name \"a.test\" (first at line 5, column 17)", NULL },
	{ "site_too_many_names",
	  TC_L "    sites:\n      - names: [" TC_X4(TC_X8(TC_X8(TC_X4("a.test, ")))) "b.test]\n", 0,
	  4, 7, "\"listeners[0].sites\": too many names: 1025 (at most 1024 per listener)", NULL },
	{ "site_certificate_without_key",
	  TC_L "    sites:\n      - names: [a.test]\n        certificate: a.crt\n", 0, 4, 9,
	  "a site's certificate needs its key, and a key its certificate", NULL },
	{ "site_key_without_certificate",
	  TC_L "    sites:\n      - names: [a.test]\n        key: a.key\n", 0, 4, 9,
	  "a site's certificate needs its key, and a key its certificate", NULL },
	{ "site_certificate_name_also_sni",
	  TC_L "    sni:\n      - {names: [a.test, b.test], certificate: s.crt, key: s.key}\n"
	       "    sites:\n      - names: [c.test, B.test]\n        certificate: b.crt\n"
	       "        key: b.key\n",
	  0, 6, 9,
	  "site name \"b.test\" has a certificate and is also an sni: name (line 4): one name, one "
	  "certificate",
	  NULL },
	/* ------------------------------------------------ keys per mode */
	{ "echo_sites", "listeners:\n  - port: 1\n    mode: echo\n    sites: [{names: [a.test]}]\n",
	  0, 4, 12,
	  "\"listeners[0].sites\" applies to files listeners only (this one is mode: echo)", NULL },
	{ "echo_headers", "listeners:\n  - port: 1\n    mode: echo\n    headers: {X-A: 1}\n", 0, 4,
	  14, "\"listeners[0].headers\" applies to files listeners only (this one is mode: echo)",
	  NULL },
	{ "echo_cache",
	  "listeners:\n  - port: 1\n    mode: echo\n    cache: [{match: a, control: b}]\n", 0, 4,
	  12, "\"listeners[0].cache\" applies to files listeners only (this one is mode: echo)",
	  NULL },
	{ "echo_error_pages",
	  "listeners:\n  - port: 1\n    mode: echo\n    error_pages: {404: /404.html}\n", 0, 4, 18,
	  "\"listeners[0].error_pages\" applies to files listeners only (this one is mode: echo)",
	  NULL },
	{ "echo_fallback",
	  "listeners:\n  - port: 1\n    mode: echo\n    fallback: /index.html\n", 0, 4, 15,
	  "\"listeners[0].fallback\" applies to files listeners only (this one is mode: echo)",
	  NULL },
	{ "redirect_sites",
	  "listeners:\n  - port: 1\n    sites: [{names: [a.test]}]\n    mode: redirect\n", 0, 3,
	  12,
	  "\"listeners[0].sites\" applies to files listeners only (this one is mode: redirect)",
	  NULL },
	{ "redirect_headers",
	  "listeners:\n  - port: 1\n    headers: {X-A: 1}\n    mode: redirect\n", 0, 3, 14,
	  "\"listeners[0].headers\" applies to files listeners only (this one is mode: redirect)",
	  NULL },
	{ "redirect_cache",
	  "listeners:\n  - port: 1\n    mode: redirect\n    cache: [{match: a, control: b}]\n", 0,
	  4, 12,
	  "\"listeners[0].cache\" applies to files listeners only (this one is mode: redirect)",
	  NULL },
	{ "redirect_error_pages",
	  "listeners:\n  - port: 1\n    mode: redirect\n    error_pages: {404: /404.html}\n", 0, 4,
	  18,
	  "\"listeners[0].error_pages\" applies to files listeners only (this one is mode: "
	  "redirect)",
	  NULL },
	{ "redirect_fallback",
	  "listeners:\n  - port: 1\n    mode: redirect\n    fallback: /index.html\n", 0, 4, 15,
	  "\"listeners[0].fallback\" applies to files listeners only (this one is mode: redirect)",
	  NULL },
	{ "to_port_files", TC_L "    to_port: 8443\n", 0, 3, 14,
	  "\"listeners[0].to_port\" applies to redirect listeners only", NULL },
	{ "to_port_echo", TC_L "    mode: echo\n    to_port: 8443\n", 0, 4, 14,
	  "\"listeners[0].to_port\" applies to redirect listeners only", NULL },
	{ "to_port_zero", TC_L "    mode: redirect\n    to_port: 0\n", 0, 4, 14,
	  "\"listeners[0].to_port\" must be a port number 1..65535 or null, not \"0\"", NULL },
	{ "to_port_70000", TC_L "    mode: redirect\n    to_port: 70000\n", 0, 4, 14,
	  "\"listeners[0].to_port\" must be a port number 1..65535 or null, not \"70000\"", NULL },
	{ "to_port_65536", TC_L "    mode: redirect\n    to_port: 65536\n", 0, 4, 14,
	  "not \"65536\"", NULL },
	{ "to_port_word", TC_L "    mode: redirect\n    to_port: \"abc\"\n", 0, 4, 14,
	  "\"listeners[0].to_port\" must be a port number 1..65535 or null, not \"abc\"", NULL },
	{ "to_port_negative", TC_L "    mode: redirect\n    to_port: -1\n", 0, 4, 14,
	  "not \"-1\"", NULL },
	{ "to_port_sequence", TC_L "    mode: redirect\n    to_port: [1]\n", 0, 4, 14,
	  "\"listeners[0].to_port\" must be a port number 1..65535, not a sequence", NULL },
	/* acme: */
#define TC_ACME "acme:\n  directory: https://ca.test/dir\n"
	{ "acme_directory_http", "acme:\n  directory: http://ca.test/dir\n" TC_MIN, 0, 2, 14,
	  "\"acme.directory\" must be an https:// URL", NULL },
	{ "acme_directory_missing", "acme:\n  email: a@b.test\n" TC_MIN, 0, 2, 3,
	  "\"acme.directory\"", NULL },
	{ "acme_not_mapping", "acme: [x]\n" TC_MIN, 0, 1, 7, "\"acme\" must be a mapping", NULL },
	{ "acme_challenge_dns", TC_ACME "  challenge: dns-01\n" TC_MIN, 0, 3, 14, "dns-01", NULL },
	{ "acme_renew_before_word", TC_ACME "  renew_before: soon\n" TC_MIN, 0, 3, 17,
	  "must be a duration such as", NULL },
	{ "acme_renew_before_short", TC_ACME "  renew_before: 10m\n" TC_MIN, 0, 3, 17, "1h or more",
	  NULL },
	{ "acme_email_bad", TC_ACME "  email: \"not an address\"\n" TC_MIN, 0, 3, 10,
	  "\"acme.email\" is not an e-mail address", NULL },
	{ "acme_unknown_key", TC_ACME "  diretory: x\n" TC_MIN, 0, 3, 3,
	  "did you mean \"acme.directory\"?", NULL },
	{ "acme_names_without_block", TC_L "    acme: [a.test]\n", 0, 3, 11,
	  "needs the top-level \"acme\" block", NULL },
	{ "acme_wildcard", TC_ACME TC_L "    acme: [\"*.a.test\"]\n", 0, 5, 12,
	  "is a wildcard: a wildcard certificate needs the dns-01 challenge", NULL },
	{ "acme_hyphen_first", TC_ACME TC_L "    acme: [ok.test, \"-a.test\"]\n", 0, 5, 21,
	  "a label starts or ends with '-'", NULL },
	{ "acme_hyphen_last", TC_ACME TC_L "    acme: [\"a-.test\"]\n", 0, 5, 12,
	  "a label starts or ends with '-'", NULL },
	{ "acme_ip", TC_ACME TC_L "    acme: [192.0.2.1]\n", 0, 5, 12, "is an IP address", NULL },
	{ "acme_bad_name", TC_ACME TC_L "    acme: [\"a b.test\"]\n", 0, 5, 12,
	  "is not a host name", NULL },
	{ "acme_name_twice", TC_ACME TC_L "    acme: [a.test, A.TEST]\n", 0, 5, 20,
	  "acme name \"a.test\"", NULL },
	{ "acme_name_two_listeners",
	  TC_ACME TC_L "    acme: [a.test]\n  - port: 2\n    acme: [b.test, a.test]\n", 0, 7, 20,
	  "acme name \"a.test\"", NULL },
	{ "acme_on_echo", TC_ACME TC_L "    mode: echo\n    acme: [a.test]\n", 0, 6, 11,
	  "\"listeners[0].acme\" applies to files listeners only", NULL },
	{ "acme_on_redirect", TC_ACME TC_L "    mode: redirect\n    acme: [a.test]\n", 0, 6, 11,
	  "applies to files listeners only", NULL },
	{ "acme_http01_without_redirect", TC_ACME "  challenge: http-01\n" TC_L "    acme: [a.test]\n",
	  0, 3, 14, "is answered by a listener with mode: redirect", NULL },
	{ "acme_and_sni", TC_ACME TC_L "    acme: [a.test]\n    sni:\n      - names: a.test\n"
	  "        certificate: c.crt\n        key: c.key\n", 0, 5, 11,
	  "acme name \"a.test\" also has a certificate", NULL },
};

/* One row of tc_errs: the load fails, *out is untouched, and the error is
 * reported at its position with its text. */
static void
tc_test_err(void **state)
{
	const struct tc_err *tc = *state;
	struct config_errors errs = { 0 };
	struct config *cfg = (struct config *)state;  /* a sentinel the loader must not touch */
	int rc = tc_load_n(tc->yaml, tc->len, &cfg, &errs);

	assert_int_equal(rc, -1);
	assert_ptr_equal(cfg, (struct config *)state);
	if (!tc_has(&errs, tc->line, tc->col, tc->text)) {
		tc_dump(&errs);
		fail_msg("no error at %d:%d containing \"%s\"", tc->line, tc->col, tc->text);
	}
	for (size_t i = 0; tc->absent && i < errs.n; i++)
		assert_null(strstr(errs.v[i].msg, tc->absent));
	for (size_t i = 0; i < errs.n; i++)
		assert_null(strstr(errs.v[i].msg, "t.yaml"));  /* main adds the file name */
	config_errors_free(&errs);
}

/* ------------------------------------------------------------ valid input */

static const char tc_spec_yaml[] =
	"workers: auto              # worker threads; auto = online CPUs\n"
	"user: null\n"
	"log:\n"
	"  level: info              # error | warn | info | debug\n"
	"  error: stderr            # stderr | FILE\n"
	"  access: stdout           # stdout | off | FILE\n"
	"  access_format: combined  # common | combined | json\n"
	"limits:\n"
	"  max_connections: 10000\n"
	"  handshake_timeout: 10s\n"
	"  header_timeout: 10s\n"
	"  idle_timeout: 60s\n"
	"  shutdown_timeout: 30s\n"
	"  min_send_rate: 0\n"
	"  max_request_head: 16k\n"
	"  max_headers: 100\n"
	"tls:\n"
	"  certificate: certs/server.crt\n"
	"  key: certs/server.key\n"
	"  min_version: \"1.2\"\n"
	"  ciphers: null\n"
	"  ciphersuites: null\n"
	"  session_tickets: true\n"
	"  ticket_key_file: null\n"
	"  client_ca: null\n"
	"  verify_client: off\n"
	"listeners:\n"
	"  - name: https\n"
	"    host: null\n"
	"    port: 8443\n"
	"    mode: files\n"
	"    root: www\n"
	"    index: [index.html]\n"
	"    listing: false\n"
	"    dotfiles: deny\n"
	"    proxy_protocol: off\n"
	"    sni:\n"
	"      - names: [example.test, \"*.example.test\"]\n"
	"        certificate: certs/example.crt\n"
	"        key: certs/example.key\n"
	"  - name: echo\n"
	"    port: 8444\n"
	"    mode: echo\n";

/* The values SPEC.md lists as defaults, for a listener that sets nothing. */
static void
tc_assert_default_listener(const struct config_listener *l)
{
	assert_null(l->host);
	assert_int_equal(l->mode, CONFIG_MODE_FILES);
	assert_string_equal(l->sites[0].root, TC_BASE "/www");
	assert_int_equal(l->sites[0].nindex, 1);
	assert_string_equal(l->sites[0].index[0], "index.html");
	assert_false(l->sites[0].listing);
	assert_int_equal(l->sites[0].dotfiles, CONFIG_DOTFILES_DENY);
	assert_int_equal(l->proxy_protocol, CONFIG_PROXY_OFF);
	assert_string_equal(l->tls.certificate, TC_BASE "/certs/server.crt");
	assert_string_equal(l->tls.key, TC_BASE "/certs/server.key");
	assert_int_equal(l->tls.min_version, 12);
	assert_null(l->tls.ciphers);
	assert_null(l->tls.ciphersuites);
	assert_true(l->tls.session_tickets);
	assert_null(l->tls.ticket_key_file);
	assert_null(l->tls.client_ca);
	assert_null(l->tls.client_crl);
	assert_int_equal(l->tls.verify_client, CONFIG_VERIFY_OFF);
	assert_int_equal(l->tls.certificate_pos.line, 0);
	assert_int_equal(l->nsni, 0);
}

static void
tc_assert_default_globals(const struct config *cfg)
{
	assert_int_equal(cfg->workers, 0);
	assert_null(cfg->user);
	assert_int_equal(cfg->log.level, CONFIG_LOG_INFO);
	assert_null(cfg->log.error);
	assert_string_equal(cfg->log.access, "-");
	assert_int_equal(cfg->log.access_format, CONFIG_ACCESS_COMBINED);
	assert_int_equal(cfg->limits.max_connections, 10000);
	assert_int_equal(cfg->limits.handshake_timeout_ms, 10000);
	assert_int_equal(cfg->limits.header_timeout_ms, 10000);
	assert_int_equal(cfg->limits.idle_timeout_ms, 60000);
	assert_int_equal(cfg->limits.shutdown_timeout_ms, 30000);
	assert_int_equal(cfg->limits.min_send_rate, 0);
	assert_int_equal(cfg->limits.max_request_head, 16384);
	assert_int_equal(cfg->limits.max_headers, 100);
	assert_int_equal(cfg->nmime, 0);
}

static void
test_defaults(void **state)
{
	struct config *cfg = tc_ok(TC_MIN);

	(void)state;
	assert_string_equal(cfg->path, "t.yaml");
	tc_assert_default_globals(cfg);
	assert_int_equal(cfg->nlisteners, 1);
	assert_string_equal(cfg->listeners[0].name, "listener-0");
	assert_string_equal(cfg->listeners[0].port, "8443");
	assert_int_equal(cfg->listeners[0].pos.line, 2);
	assert_int_equal(cfg->listeners[0].pos.col, 5);
	tc_assert_default_listener(&cfg->listeners[0]);
	config_free(cfg);
}

/* SPEC.md's example spells out every default: it must load to the same values. */
static void
test_spec_example(void **state)
{
	struct config *cfg = tc_ok(tc_spec_yaml);
	const struct config_listener *l = &cfg->listeners[0];

	(void)state;
	tc_assert_default_globals(cfg);
	assert_int_equal(cfg->nlisteners, 2);
	assert_string_equal(l->name, "https");
	assert_string_equal(l->port, "8443");
	assert_int_equal(l->nsni, 1);
	assert_int_equal(l->sni[0].nnames, 2);
	assert_string_equal(l->sni[0].names[0], "example.test");
	assert_string_equal(l->sni[0].names[1], "*.example.test");
	assert_string_equal(l->sni[0].certificate, TC_BASE "/certs/example.crt");
	assert_string_equal(l->sni[0].key, TC_BASE "/certs/example.key");
	assert_int_equal(l->sni[0].pos.line, 38);
	assert_int_equal(l->sni[0].certificate_pos.line, 39);
	assert_int_equal(l->sni[0].certificate_pos.col, 22);
	assert_int_equal(l->sites[0].root_pos.line, 32);
	assert_int_equal(l->tls.certificate_pos.line, 18);
	assert_int_equal(l->tls.certificate_pos.col, 16);
	assert_int_equal(l->tls.verify_client_pos.line, 26);
	l = &cfg->listeners[1];
	assert_string_equal(l->name, "echo");
	assert_string_equal(l->port, "8444");
	assert_int_equal(l->mode, CONFIG_MODE_ECHO);
	assert_int_equal(l->nsites, 0);  /* echo listeners have no document root */
	assert_string_equal(l->tls.certificate, TC_BASE "/certs/server.crt");
	config_free(cfg);
}

static void
test_top_keys(void **state)
{
	struct config *cfg = tc_ok("workers: 8\nuser: www-data\n" TC_MIN);

	(void)state;
	assert_int_equal(cfg->workers, 8);
	assert_string_equal(cfg->user, "www-data");
	config_free(cfg);
	cfg = tc_ok("workers: AUTO\nuser: ~\n" TC_MIN);
	assert_int_equal(cfg->workers, 0);
	assert_null(cfg->user);
	config_free(cfg);
	cfg = tc_ok("workers: 1024\nuser: \"null\"\n" TC_MIN);  /* quoted: a user named null */
	assert_int_equal(cfg->workers, 1024);
	assert_string_equal(cfg->user, "null");
	config_free(cfg);
	cfg = tc_ok("workers: \"1\"\n" TC_MIN);
	assert_int_equal(cfg->workers, 1);
	config_free(cfg);
}

static void
test_log_keys(void **state)
{
	static const struct {
		const char *yaml;
		enum config_log_level level;
		const char *error, *access;
		enum config_access_format format;
	} rows[] = {
		{ "log: {level: error, error: err.log, access: off, access_format: common}\n",
		  CONFIG_LOG_ERROR, TC_BASE "/err.log", NULL, CONFIG_ACCESS_COMMON },
		{ "log: {level: warn, error: /var/log/e, access: stdout, access_format: json}\n",
		  CONFIG_LOG_WARN, "/var/log/e", "-", CONFIG_ACCESS_JSON },
		{ "log: {level: DEBUG, error: null, access: logs/access.log}\n", CONFIG_LOG_DEBUG,
		  NULL, TC_BASE "/logs/access.log", CONFIG_ACCESS_COMBINED },
		{ "log: {access: ~}\n", CONFIG_LOG_INFO, NULL, NULL, CONFIG_ACCESS_COMBINED },
		{ "log: {access: false, error: stderr}\n", CONFIG_LOG_INFO, NULL, NULL,
		  CONFIG_ACCESS_COMBINED },
		{ "log: {access: \"-\"}\n", CONFIG_LOG_INFO, NULL, "-", CONFIG_ACCESS_COMBINED },
		{ "log:\n", CONFIG_LOG_INFO, NULL, "-", CONFIG_ACCESS_COMBINED },
	};
	char yaml[256];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct config *cfg;

		snprintf(yaml, sizeof(yaml), "%s%s", rows[i].yaml, TC_MIN);
		cfg = tc_ok(yaml);
		assert_int_equal(cfg->log.level, rows[i].level);
		assert_int_equal(cfg->log.access_format, rows[i].format);
		if (rows[i].error)
			assert_string_equal(cfg->log.error, rows[i].error);
		else
			assert_null(cfg->log.error);
		if (rows[i].access)
			assert_string_equal(cfg->log.access, rows[i].access);
		else
			assert_null(cfg->log.access);
		config_free(cfg);
	}
}

static void
test_limits_keys(void **state)
{
	struct config *cfg = tc_ok("limits:\n"
				   "  max_connections: 10000000\n"
				   "  handshake_timeout: 250ms\n"
				   "  header_timeout: 5m\n"
				   "  idle_timeout: 24h\n"
				   "  shutdown_timeout: 1ms\n"
				   "  min_send_rate: 16k\n"
				   "  max_request_head: 1m\n"
				   "  max_headers: 10000\n" TC_MIN);

	(void)state;
	assert_int_equal(cfg->limits.max_connections, 10000000);
	assert_int_equal(cfg->limits.handshake_timeout_ms, 250);
	assert_int_equal(cfg->limits.header_timeout_ms, 300000);
	assert_int_equal(cfg->limits.idle_timeout_ms, 86400000);
	assert_int_equal(cfg->limits.shutdown_timeout_ms, 1);
	assert_int_equal(cfg->limits.min_send_rate, 16384);
	assert_int_equal(cfg->limits.max_request_head, 1048576);
	assert_int_equal(cfg->limits.max_headers, 10000);
	config_free(cfg);
	cfg = tc_ok("limits:\n  max_connections: 1\n  idle_timeout: 60\n  max_request_head: 1k\n"
		    "  max_headers: 1\n  min_send_rate: 1g\n" TC_MIN);
	assert_int_equal(cfg->limits.max_connections, 1);
	assert_int_equal(cfg->limits.idle_timeout_ms, 60000);  /* a bare number is seconds */
	assert_int_equal(cfg->limits.max_request_head, 1024);
	assert_int_equal(cfg->limits.max_headers, 1);
	assert_int_equal(cfg->limits.min_send_rate, 1u << 30);
	config_free(cfg);
}

static void
test_tls_keys(void **state)
{
	struct config *cfg = tc_ok("tls:\n"
				   "  certificate: /pki/a.crt\n"
				   "  key: a.key\n"
				   "  min_version: 1.3\n"
				   "  ciphers: \"ECDHE+AESGCM:ECDHE+CHACHA20\"\n"
				   "  ciphersuites: TLS_AES_256_GCM_SHA384\n"
				   "  session_tickets: no\n"
				   "  ticket_key_file: tickets.key\n"
				   "  client_ca: ca.pem\n"
				   "  client_crl: ca.crl\n"
				   "  verify_client: require\n" TC_MIN);
	const struct config_tls *t = &cfg->listeners[0].tls;

	(void)state;
	assert_string_equal(t->certificate, "/pki/a.crt");
	assert_string_equal(t->key, TC_BASE "/a.key");
	assert_int_equal(t->min_version, 13);
	assert_string_equal(t->ciphers, "ECDHE+AESGCM:ECDHE+CHACHA20");
	assert_string_equal(t->ciphersuites, "TLS_AES_256_GCM_SHA384");
	assert_false(t->session_tickets);
	assert_string_equal(t->ticket_key_file, TC_BASE "/tickets.key");
	assert_string_equal(t->client_ca, TC_BASE "/ca.pem");
	assert_string_equal(t->client_crl, TC_BASE "/ca.crl");
	assert_int_equal(t->verify_client, CONFIG_VERIFY_REQUIRE);
	assert_int_equal(t->certificate_pos.line, 2);
	assert_int_equal(t->key_pos.line, 3);
	assert_int_equal(t->ticket_key_file_pos.line, 8);
	assert_int_equal(t->client_ca_pos.line, 9);
	assert_int_equal(t->client_crl_pos.line, 10);
	assert_int_equal(t->verify_client_pos.line, 11);
	assert_int_equal(t->verify_client_pos.col, 18);
	config_free(cfg);
	cfg = tc_ok(
		"tls: {min_version: \"1.2\", verify_client: false, session_tickets: On}\n" TC_MIN);
	assert_int_equal(cfg->listeners[0].tls.min_version, 12);
	assert_int_equal(cfg->listeners[0].tls.verify_client, CONFIG_VERIFY_OFF);
	assert_true(cfg->listeners[0].tls.session_tickets);
	config_free(cfg);
}

/* A listener's tls: replaces only the keys it names; the rest is inherited,
 * as deep copies (each listener owns its strings). */
static void
test_listener_tls_override(void **state)
{
	struct config *cfg = tc_ok("listeners:\n"
				   "  - name: a\n"
				   "    port: 1\n"
				   "    tls:\n"
				   "      key: own.key\n"
				   "      verify_client: off\n"
				   "      ciphers: null\n"
				   "  - name: b\n"
				   "    port: 2\n"
				   "tls:\n"
				   "  certificate: global.crt\n"
				   "  key: global.key\n"
				   "  ciphers: HIGH\n"
				   "  client_ca: ca.pem\n"
				   "  verify_client: optional\n"
				   "  min_version: 1.3\n");
	const struct config_tls *a = &cfg->listeners[0].tls, *b = &cfg->listeners[1].tls;

	(void)state;
	assert_string_equal(a->certificate, TC_BASE "/global.crt");
	assert_string_equal(a->key, TC_BASE "/own.key");
	assert_int_equal(a->key_pos.line, 5);
	assert_int_equal(a->certificate_pos.line, 11);
	assert_null(a->ciphers);
	assert_string_equal(a->client_ca, TC_BASE "/ca.pem");
	assert_int_equal(a->verify_client, CONFIG_VERIFY_OFF);
	assert_int_equal(a->min_version, 13);
	assert_string_equal(b->certificate, TC_BASE "/global.crt");
	assert_string_equal(b->key, TC_BASE "/global.key");
	assert_string_equal(b->ciphers, "HIGH");
	assert_int_equal(b->verify_client, CONFIG_VERIFY_OPTIONAL);
	assert_ptr_not_equal(a->certificate, b->certificate);
	config_free(cfg);
}

/* A listener that supplies the CA makes the global verify_client valid for it,
 * and the error is still reported (once) for a listener that does not. */
static void
test_verify_client_per_listener(void **state)
{
	struct config_errors errs = { 0 };
	struct config *cfg = NULL;
	const char *yaml = "tls: {verify_client: require}\n"
			   "listeners:\n"
			   "  - {port: 1, tls: {client_ca: ca.pem}}\n"
			   "  - {port: 2}\n"
			   "  - {port: 3}\n";

	(void)state;
	assert_int_equal(tc_load(yaml, &cfg, &errs), -1);
	assert_int_equal(errs.n, 1);
	assert_true(tc_has(&errs, 1, 22, "needs a \"client_ca\""));
	config_errors_free(&errs);
	cfg = tc_ok(
		"tls: {verify_client: require}\nlisteners:\n  - {port: 1, tls: {client_ca: c}}\n");
	assert_int_equal(cfg->listeners[0].tls.verify_client, CONFIG_VERIFY_REQUIRE);
	config_free(cfg);
}

static void
test_listener_keys(void **state)
{
	struct config *cfg =
		tc_ok("listeners:\n"
		      "  - name: main\n"
		      "    host: \"::1\"\n"
		      "    port: https\n"
		      "    mode: files\n"
		      "    root: /srv/www\n"
		      "    index: [index.htm, default.html]\n"
		      "    listing: yes\n"
		      "    dotfiles: allow\n"
		      "    proxy_protocol: v1\n"
		      "  - {port: \"08443\", mode: ECHO, root: ignored, proxy_protocol: any}\n"
		      "  - {port: 0, host: ~, index: default.htm, proxy_protocol: v2}\n"
		      "  - {port: 65535, index: [], proxy_protocol: false, listing: Off}\n"
		      "  - {port: 7, index: ~, root: ../site/}\n");
	const struct config_listener *l = cfg->listeners;

	(void)state;
	assert_int_equal(cfg->nlisteners, 5);
	assert_string_equal(l[0].name, "main");
	assert_string_equal(l[0].host, "::1");
	assert_string_equal(l[0].port, "https");
	assert_string_equal(l[0].sites[0].root, "/srv/www");
	assert_int_equal(l[0].sites[0].root_pos.line, 6);
	assert_int_equal(l[0].sites[0].nindex, 2);
	assert_string_equal(l[0].sites[0].index[1], "default.html");
	assert_true(l[0].sites[0].listing);
	assert_int_equal(l[0].sites[0].dotfiles, CONFIG_DOTFILES_ALLOW);
	assert_int_equal(l[0].proxy_protocol, CONFIG_PROXY_V1);
	assert_string_equal(l[1].name, "listener-1");
	assert_string_equal(l[1].port, "8443");  /* numbers are stored canonically */
	assert_int_equal(l[1].mode, CONFIG_MODE_ECHO);
	assert_int_equal(l[1].nsites, 0);
	assert_int_equal(l[1].proxy_protocol, CONFIG_PROXY_ANY);
	assert_string_equal(l[2].port, "0");
	assert_null(l[2].host);
	assert_int_equal(l[2].sites[0].nindex, 1);
	assert_string_equal(l[2].sites[0].index[0], "default.htm");
	assert_int_equal(l[2].proxy_protocol, CONFIG_PROXY_V2);
	assert_string_equal(l[3].port, "65535");
	assert_int_equal(l[3].sites[0].nindex, 0);
	assert_int_equal(l[3].proxy_protocol, CONFIG_PROXY_OFF);
	assert_false(l[3].sites[0].listing);
	assert_int_equal(l[4].sites[0].nindex, 0);
	assert_string_equal(l[4].sites[0].root, TC_BASE "/../site/");
	config_free(cfg);
}

static void
test_sni(void **state)
{
	struct config *cfg = tc_ok("listeners:\n"
				   "  - port: 1\n"
				   "    sni:\n"
				   "      - names: Example.TEST\n"
				   "        certificate: a.crt\n"
				   "        key: /k/a.key\n"
				   "      - names: [\"*.B.test\", c-1.test, x_y.test, \"*.t\"]\n"
				   "        certificate: b.crt\n"
				   "        key: b.key\n");
	const struct config_listener *l = &cfg->listeners[0];

	(void)state;
	assert_int_equal(l->nsni, 2);
	assert_int_equal(l->sni[0].nnames, 1);
	assert_string_equal(l->sni[0].names[0], "example.test");
	assert_string_equal(l->sni[0].certificate, TC_BASE "/a.crt");
	assert_string_equal(l->sni[0].key, "/k/a.key");
	assert_int_equal(l->sni[0].pos.line, 4);
	assert_int_equal(l->sni[0].key_pos.line, 6);
	assert_int_equal(l->sni[1].nnames, 4);
	assert_string_equal(l->sni[1].names[0], "*.b.test");
	assert_string_equal(l->sni[1].names[1], "c-1.test");
	assert_string_equal(l->sni[1].names[2], "x_y.test");
	assert_string_equal(l->sni[1].names[3], "*.t");
	config_free(cfg);
}

static void
test_mime(void **state)
{
	struct config *cfg = tc_ok("mime:\n"
				   "  .wasm: application/wasm\n"
				   "  MD: text/markdown; charset=utf-8\n"
				   "  gz: application/gzip\n" TC_MIN);

	(void)state;
	assert_int_equal(cfg->nmime, 3);
	assert_string_equal(cfg->mime[0].ext, "wasm");
	assert_string_equal(cfg->mime[0].type, "application/wasm");
	assert_string_equal(cfg->mime[1].ext, "md");
	assert_string_equal(cfg->mime[1].type, "text/markdown; charset=utf-8");
	assert_string_equal(cfg->mime[2].ext, "gz");
	config_free(cfg);
	cfg = tc_ok("mime: {}\n" TC_MIN);
	assert_int_equal(cfg->nmime, 0);
	config_free(cfg);
}

/* Relative paths join the base directory (with or without its trailing
 * slash); absolute ones and a missing base directory leave them as written. */
static void
test_relative_paths(void **state)
{
	static const struct {
		const char *base, *root, *want;
	} rows[] = {
		{ "/etc/tlserve", "www", "/etc/tlserve/www" },
		{ "/etc/tlserve/", "www", "/etc/tlserve/www" },
		{ "/", "www", "/www" },
		{ "/etc/tlserve", "/srv/www", "/srv/www" },
		{ "/etc/tlserve", "../www", "/etc/tlserve/../www" },
		{ "rel/dir", "www", "rel/dir/www" },
		{ "", "www", "www" },
		{ NULL, "www", "www" },
	};
	char yaml[128];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct config_errors errs = { 0 };
		struct config *cfg = NULL;

		snprintf(yaml, sizeof(yaml), "listeners: [{port: 1, root: \"%s\"}]\n",
			 rows[i].root);
		assert_int_equal(
			config_load_string(yaml, strlen(yaml), NULL, rows[i].base, &cfg, &errs), 0);
		assert_string_equal(cfg->listeners[0].sites[0].root, rows[i].want);
		assert_null(cfg->path);
		config_free(cfg);
	}
}

/* Several errors in one file are all reported, in file order, each where it is. */
static void
test_multiple_errors(void **state)
{
	static const struct {
		int line, col;
		const char *text;
	} want[] = {
		{ 1, 10, "\"workers\" is out of range" },
		{ 3, 10, "\"log.level\" must be one of" },
		{ 4, 3, "unknown key \"log.acess\", did you mean \"log.access\"?" },
		{ 6, 17, "\"limits.idle_timeout\" must be a duration" },
		{ 9, 11, "\"listeners[0].port\" is out of range" },
		{ 10, 11, "\"listeners[0].mode\" must be one of files, echo" },
		{ 11, 5, "\"listeners[1].port\" is required" },
		{ 11, 5, "duplicate listener name \"a\" (first at line 8)" },
		{ 12, 5, "unknown key \"listeners[1].prot\", did you mean \"listeners[1].port\"?" },
		{ 13, 1, "duplicate key \"workers\" (first at line 1)" },
	};
	const char *yaml = "workers: 0\n"
			   "log:\n"
			   "  level: verbose\n"
			   "  acess: x\n"
			   "limits:\n"
			   "  idle_timeout: 10x\n"
			   "listeners:\n"
			   "  - name: a\n"
			   "    port: 99999\n"
			   "    mode: http\n"
			   "  - name: a\n"
			   "    prot: 1\n"
			   "workers: 3\n";
	struct config_errors errs = { 0 };
	struct config *cfg = NULL;

	(void)state;
	assert_int_equal(tc_load(yaml, &cfg, &errs), -1);
	if (errs.n != sizeof(want) / sizeof(want[0]))
		tc_dump(&errs);
	assert_int_equal(errs.n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < errs.n; i++) {
		assert_int_equal(errs.v[i].line, want[i].line);
		assert_int_equal(errs.v[i].col, want[i].col);
		assert_non_null(strstr(errs.v[i].msg, want[i].text));
	}
	config_errors_free(&errs);
	assert_null(errs.v);
	assert_int_equal(errs.n, 0);
}

/* An empty document, or one of only comments, has no listeners. */
static void
test_empty_document(void **state)
{
	static const char *const docs[] = { "", "\n\n", "# only a comment\n", "---\n", "---\n...\n",
					    "~\n" };

	(void)state;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		struct config_errors errs = { 0 };
		struct config *cfg = NULL;

		assert_int_equal(
			config_load_string(docs[i], strlen(docs[i]), "t", "/", &cfg, &errs), -1);
		assert_null(cfg);
		assert_int_equal(errs.n, 1);
		assert_non_null(strstr(errs.v[0].msg, "no listeners"));
		config_errors_free(&errs);
	}
	{
		struct config_errors errs = { 0 };
		struct config *cfg = NULL;

		assert_int_equal(config_load_string(NULL, 0, NULL, NULL, &cfg, &errs), -1);
		assert_null(cfg);
		assert_int_equal(errs.n, 1);
		config_errors_free(&errs);
	}
}

/* Build a document of n mime lines and nl listeners, each with an sni entry. */
static char *
tc_big_doc(size_t n, size_t nl, size_t *len)
{
	size_t cap = 64 + n * 40 + nl * 120, o = 0;
	char *s = malloc(cap);

	assert_non_null(s);
	o += (size_t)snprintf(s + o, cap - o, "mime:\n");
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(s + o, cap - o, "  ext%zu: type/x%zu\n", i, i);
	o += (size_t)snprintf(s + o, cap - o, "listeners:\n");
	for (size_t i = 0; i < nl; i++)
		o += (size_t)snprintf(s + o, cap - o,
				      "  - {name: l%zu, port: %zu, sni: [{names: [h%zu.test], "
				      "certificate: c, key: k}]}\n", i, i % 65536, i);
	*len = o;
	return s;
}

/* A large valid document loads whole; one over 1 MiB is refused outright. */
static void
test_huge_document(void **state)
{
	struct config_errors errs = { 0 };
	struct config *cfg = NULL;
	size_t len;
	char *doc = tc_big_doc(24000, 256, &len);

	(void)state;
	assert_true(len > 512 * 1024 && len <= 1024 * 1024);
	assert_int_equal(tc_load_n(doc, len, &cfg, &errs), 0);
	assert_int_equal(cfg->nlisteners, 256);  /* the most allowed */
	assert_int_equal(cfg->nmime, 24000);
	assert_string_equal(cfg->listeners[255].name, "l255");
	assert_string_equal(cfg->listeners[255].sni[0].names[0], "h255.test");
	config_free(cfg);
	free(doc);
	doc = tc_big_doc(48000, 256, &len);
	assert_true(len > 1024 * 1024);
	cfg = NULL;
	assert_int_equal(tc_load_n(doc, len, &cfg, &errs), -1);
	assert_null(cfg);
	assert_int_equal(errs.n, 1);
	assert_non_null(strstr(errs.v[0].msg, "larger than"));
	config_errors_free(&errs);
	free(doc);
}

/* Every prefix of a valid document either loads or reports at least one
 * error, and never crashes or leaks; the whole document loads. */
static void
test_truncated_yaml(void **state)
{
	size_t len = strlen(tc_spec_yaml), nok = 0;

	(void)state;
	for (size_t n = 0; n <= len; n++) {
		struct config_errors errs = { 0 };
		struct config *cfg = NULL;
		int rc = config_load_string(tc_spec_yaml, n, "t", "/", &cfg, &errs);

		if (rc == 0) {
			assert_int_equal(errs.n, 0);
			assert_true(cfg->nlisteners >= 1);
			nok++;
			config_free(cfg);
		} else {
			assert_int_equal(rc, -1);
			assert_null(cfg);
			assert_true(errs.n > 0);
		}
		config_errors_free(&errs);
	}
	assert_true(nok > 0);
}

/* "Billion laughs": aliases are refused, so nothing is expanded and the
 * error list stays bounded. */
static void
test_alias_bomb(void **state)
{
	const char *yaml =
		"a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
		"b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
		"c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
		"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
		"e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
		"f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
		"g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
		"h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
		"i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
		"listeners: *i\n";
	struct config_errors errs = { 0 };
	struct config *cfg = NULL;

	(void)state;
	assert_int_equal(tc_load(yaml, &cfg, &errs), -1);
	assert_true(errs.n > 10 && errs.n <= 100);
	assert_true(tc_has(&errs, 2, 8, "aliases"));
	assert_true(tc_has(&errs, 10, 12, "aliases"));
	config_errors_free(&errs);
}

/* A flood of errors is cut at 100, the last entry saying so. */
static void
test_error_cap(void **state)
{
	struct config_errors errs = { 0 };
	struct config *cfg = NULL;
	char *doc = malloc(500 * 16 + sizeof(TC_MIN));
	size_t o = 0;

	(void)state;
	assert_non_null(doc);
	for (int i = 0; i < 500; i++)
		o += (size_t)sprintf(doc + o, "bogus%d: 1\n", i);
	strcpy(doc + o, TC_MIN);
	assert_int_equal(tc_load(doc, &cfg, &errs), -1);
	assert_int_equal(errs.n, 100);
	assert_true(tc_has(&errs, 1, 1, "unknown key \"bogus0\""));
	assert_true(tc_has(&errs, 0, 0, "too many errors"));
	assert_int_equal(errs.v[99].line, 0);  /* position-less errors sort last */
	config_errors_free(&errs);
	free(doc);
}

/* config_error_add formats, truncates long messages and clamps positions. */
static void
test_error_add(void **state)
{
	struct config_errors errs = { 0 };
	char longs[400];

	(void)state;
	memset(longs, 'x', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	config_error_add(&errs, 3, 4, "key %s does not match: %d", "a.key", 42);
	config_error_add(&errs, -1, -5, "%s", longs);
	assert_int_equal(errs.n, 2);
	assert_string_equal(errs.v[0].msg, "key a.key does not match: 42");
	assert_int_equal(errs.v[0].line, 3);
	assert_int_equal(errs.v[0].col, 4);
	assert_int_equal(strlen(errs.v[1].msg), sizeof(errs.v[1].msg) - 1);
	assert_int_equal(errs.v[1].line, 0);
	assert_int_equal(errs.v[1].col, 0);
	config_errors_free(&errs);
	config_errors_free(&errs);  /* idempotent */
	config_errors_free(NULL);
	config_free(NULL);
}

/* Errors already in the list are kept and not re-sorted. */
static void
test_errors_appended(void **state)
{
	struct config_errors errs = { 0 };
	struct config *cfg = NULL;

	(void)state;
	config_error_add(&errs, 99, 1, "earlier");
	assert_int_equal(tc_load("workers: 0\n" TC_MIN, &cfg, &errs), -1);
	assert_int_equal(errs.n, 2);
	assert_string_equal(errs.v[0].msg, "earlier");
	assert_int_equal(errs.v[1].line, 1);
	config_errors_free(&errs);
}


/* At most 256 listeners, and 1024 SNI names per listener: each is a clear error. */
static void
test_caps(void **state)
{
	struct config_errors errs = { 0 };
	struct config *cfg = NULL;
	size_t cap = 300 * 32 + 1100 * 24 + 256, o = 0;
	char *doc = malloc(cap);

	(void)state;
	assert_non_null(doc);
	o += (size_t)snprintf(doc + o, cap - o, "listeners:\n");
	for (int i = 0; i < 257; i++)
		o += (size_t)snprintf(doc + o, cap - o, "  - {port: %d, mode: echo}\n", i + 1);
	assert_int_equal(tc_load(doc, &cfg, &errs), -1);
	assert_true(tc_has(&errs, 2, 3, "too many listeners: 257 (at most 256)"));
	config_errors_free(&errs);
	o = (size_t)snprintf(doc, cap, "listeners:\n  - port: 1\n    sni:\n      - certificate: a\n"
				       "        key: b\n        names:\n");
	for (int i = 0; i < 1025; i++)
		o += (size_t)snprintf(doc + o, cap - o, "          - h%d.test\n", i);
	assert_int_equal(tc_load(doc, &cfg, &errs), -1);
	assert_true(tc_has(&errs, 4, 7, "\"listeners[0].sni\": too many names: 1025 (at most 1024"));
	config_errors_free(&errs);
	o -= strlen("          - h1024.test\n");  /* 1024 names load */
	doc[o] = '\0';
	assert_int_equal(tc_load(doc, &cfg, &errs), 0);
	assert_int_equal(cfg->listeners[0].sni[0].nnames, 1024);
	config_free(cfg);
	free(doc);
}

/* Warnings go to their own list: they never make n (the error count) non-zero,
 * and they sort by position like errors. */
static void
test_warnings(void **state)
{
	struct config_errors errs = { 0 };
	struct config_errors_mark m;

	(void)state;
	config_warning_add(&errs, 7, 2, "second %d", 2);
	config_warning_add(&errs, 3, 1, "first");
	config_warning_add(&errs, 0, 0, "no position");
	assert_int_equal(errs.n, 0);
	assert_int_equal(errs.nw, 3);
	config_errors_sort(&errs, (struct config_errors_mark){ 0, 0 });
	assert_string_equal(errs.w[0].msg, "first");
	assert_string_equal(errs.w[1].msg, "second 2");
	assert_string_equal(errs.w[2].msg, "no position");
	assert_int_equal(errs.w[0].sev, CONFIG_SEV_WARNING);
	m = config_errors_mark(&errs);
	config_diag_once(&errs, CONFIG_SEV_WARNING, m, 9, 9, "once");
	config_diag_once(&errs, CONFIG_SEV_WARNING, m, 9, 9, "once");
	config_diag_once(&errs, CONFIG_SEV_ERROR, m, 9, 9, "once");
	assert_int_equal(errs.nw, 4);
	assert_int_equal(errs.n, 1);
	assert_int_equal(errs.v[0].sev, CONFIG_SEV_ERROR);
	config_errors_free(&errs);
	assert_int_equal(errs.nw, 0);
	assert_null(errs.w);
}

/* Whether a list of the given severity holds a position-less message containing text. */
static bool
tc_has_sev(const struct config_errors *errs, enum config_severity sev, const char *text)
{
	const struct config_error *v = sev == CONFIG_SEV_WARNING ? errs->w : errs->v;
	size_t n = sev == CONFIG_SEV_WARNING ? errs->nw : errs->n;

	for (size_t i = 0; i < n; i++) {
		if (strstr(v[i].msg, text))
			return true;
	}
	return false;
}

#define TC_RELOAD_BASE                                                                   \
	"workers: 4\nlog: {level: info, access: off}\n"                                  \
	"limits: {max_connections: 100, max_headers: 50, idle_timeout: 10s}\n"
#define TC_RELOAD_LISTENERS                                                              \
	"listeners:\n  - {name: https, port: 8443, root: /srv/www}\n"                    \
	"  - {name: echo, port: 8444, mode: echo}\n"

/* The reload diff, driven by the schema's reload rules. */
static void
test_reload_diff(void **state)
{
	struct config *boot = tc_ok(TC_RELOAD_BASE TC_RELOAD_LISTENERS);
	struct config *same = tc_ok(TC_RELOAD_BASE TC_RELOAD_LISTENERS);
	/* reloadable: timeouts, roots, tls, fewer connections */
	struct config *soft = tc_ok("workers: 4\nlog: {level: info, access: off}\n"
				    "limits: {max_connections: 50, max_headers: 50, idle_timeout: 5s}\n"
				    "tls: {min_version: \"1.3\"}\n"
				    "listeners:\n  - {name: https, port: 8443, root: /srv/other}\n"
				    "  - {name: echo, port: 8444, mode: echo}\n");
	struct config *hard = tc_ok("workers: 2\nuser: www-data\n"
				    "log: {level: debug, access: stdout, error: /var/log/e.log}\n"
				    "limits: {max_connections: 200, max_headers: 60}\n"
				    TC_RELOAD_LISTENERS);
	struct config *moved = tc_ok(TC_RELOAD_BASE "listeners:\n  - {name: https, port: 9443}\n"
						    "  - {name: echo, port: 8444, mode: files}\n");
	struct config *fewer = tc_ok(TC_RELOAD_BASE "listeners:\n  - {name: https, port: 8443}\n");
	struct config_errors out = { 0 };

	(void)state;
	assert_int_equal(config_reload_diff(boot, same, &out), 0);
	assert_int_equal(out.n + out.nw, 0);
	assert_int_equal(config_reload_diff(boot, soft, &out), 0);
	assert_int_equal(out.n + out.nw, 0);

	assert_int_equal(config_reload_diff(boot, hard, &out), 0);
	assert_int_equal(out.n, 0);
	assert_true(tc_has_sev(&out, CONFIG_SEV_WARNING,
			       "reload: \"workers\" changed (4 -> 2); takes effect after a restart"));
	assert_true(tc_has_sev(&out, CONFIG_SEV_WARNING, "\"user\" changed (null -> \"www-data\")"));
	assert_true(tc_has_sev(&out, CONFIG_SEV_WARNING, "\"log.level\" changed (info -> debug)"));
	assert_true(tc_has_sev(&out, CONFIG_SEV_WARNING, "\"log.access\" changed (off -> stdout)"));
	assert_true(tc_has_sev(&out, CONFIG_SEV_WARNING,
			       "\"log.error\" changed (stderr -> \"/var/log/e.log\")"));
	assert_true(tc_has_sev(&out, CONFIG_SEV_WARNING,
			       "\"limits.max_connections\" changed (100 -> 200)"));
	assert_true(tc_has_sev(&out, CONFIG_SEV_WARNING, "\"limits.max_headers\" changed (50 -> 60)"));
	assert_int_equal(out.nw, 7);
	config_errors_free(&out);

	/* Against the boot configuration: a second reload of the same file still
	 * warns, since the change is still not applied. */
	assert_int_equal(config_reload_diff(boot, hard, &out), 0);
	assert_true(tc_has_sev(&out, CONFIG_SEV_WARNING, "\"workers\" changed (4 -> 2)"));
	config_errors_free(&out);
	/* ... and going back to the boot values is silent. */
	assert_int_equal(config_reload_diff(boot, same, &out), 0);
	assert_int_equal(out.n + out.nw, 0);

	assert_int_equal(config_reload_diff(boot, moved, &out), -1);
	assert_true(tc_has_sev(&out, CONFIG_SEV_ERROR,
			       "reload: listener https: \"listeners[0].port\" changed (\"8443\" -> "
			       "\"9443\"); restart to apply"));
	assert_true(tc_has_sev(&out, CONFIG_SEV_ERROR,
			       "listener echo: \"listeners[1].mode\" changed (echo -> files)"));
	config_errors_free(&out);
	assert_int_equal(config_reload_diff(boot, fewer, &out), -1);
	assert_true(tc_has_sev(&out, CONFIG_SEV_ERROR,
			       "reload: the number of listeners changed (2 -> 1); restart to apply"));
	config_errors_free(&out);
	config_free(boot);
	config_free(same);
	config_free(soft);
	config_free(hard);
	config_free(moved);
	config_free(fewer);
}

/* ------------------------------------------------------ file-system tests */

struct tc_dir {
	char path[64];
};

/* dir/name in buf (at least 256 bytes). Returns buf. */
static char *
tc_path(const struct tc_dir *d, const char *name, char *buf)
{
	snprintf(buf, 256, "%s/%s", d->path, name);
	return buf;
}

/* Write len bytes of data to dir/name (len 0: strlen). */
static void
tc_write(const struct tc_dir *d, const char *name, const char *data, size_t len)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", d->path, name);
	f = fopen(p, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len ? len : strlen(data), f), len ? len : strlen(data));
	assert_int_equal(fclose(f), 0);
}

static int
tc_dir_setup(void **state)
{
	struct tc_dir *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return -1;
	strcpy(d->path, "/tmp/tlserve-test-config-XXXXXX");
	if (mkdtemp(d->path) == NULL) {
		free(d);
		return -1;
	}
	*state = d;
	return 0;
}

static int
tc_dir_teardown(void **state)
{
	struct tc_dir *d = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
	if (system(cmd) != 0)
		return -1;
	free(d);
	return 0;
}

/* config_load_file resolves against the file's (absolute) directory and
 * reports unreadable, non-regular and oversized files without a position. */
static void
test_load_file(void **state)
{
	struct tc_dir *d = *state;
	struct config_errors errs = { 0 };
	struct config *cfg = NULL;
	char p[256], want[256];
	char *big;

	tc_write(d, "a.yaml", "listeners: [{port: 1}]\n", 0);
	snprintf(p, sizeof(p), "%s/a.yaml", d->path);
	assert_int_equal(config_load_file(p, &cfg, &errs), 0);
	snprintf(want, sizeof(want), "%s/www", d->path);
	assert_string_equal(cfg->listeners[0].sites[0].root, want);
	assert_string_equal(cfg->path, p);
	config_free(cfg);
	cfg = NULL;
	snprintf(p, sizeof(p), "%s/missing.yaml", d->path);
	assert_int_equal(config_load_file(p, &cfg, &errs), -1);
	assert_true(tc_has(&errs, 0, 0, "cannot open: No such file"));
	assert_int_equal(config_load_file(d->path, &cfg, &errs), -1);
	assert_true(tc_has(&errs, 0, 0, "not a regular file"));
	big = malloc(1024 * 1024 + 2);
	assert_non_null(big);
	memset(big, '#', 1024 * 1024 + 1);
	tc_write(d, "big.yaml", big, 1024 * 1024 + 1);
	free(big);
	snprintf(p, sizeof(p), "%s/big.yaml", d->path);
	assert_int_equal(config_load_file(p, &cfg, &errs), -1);
	assert_true(tc_has(&errs, 0, 0, "larger than"));
	assert_null(cfg);
	config_errors_free(&errs);
}

/* A relative config path gets an absolute base directory. */
static void
test_load_file_relative(void **state)
{
	struct tc_dir *d = *state;
	struct config_errors errs = { 0 };
	struct config *cfg = NULL;
	char cwd[512], want[256];

	tc_write(d, "r.yaml", "listeners: [{port: 1}]\n", 0);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(d->path), 0);
	assert_int_equal(config_load_file("r.yaml", &cfg, &errs), 0);
	assert_int_equal(chdir(cwd), 0);
	snprintf(want, sizeof(want), "%s/www", d->path);
	assert_string_equal(cfg->listeners[0].sites[0].root, want);
	config_free(cfg);
}

/* config_check_files reports each missing or unsuitable file once, at the
 * value's position (without one for a default). */
static void
test_check_files(void **state)
{
	struct tc_dir *d = *state;
	struct config_errors errs = { 0 };
	struct config *cfg = NULL;
	char key80[161], p[256];

	memset(key80, 'k', sizeof(key80));
	tc_write(d, "s.crt", "x", 0);
	tc_write(d, "s.key", "x", 0);
	tc_write(d, "ca.pem", "x", 0);
	tc_write(d, "t80.key", key80, 160);
	tc_write(d, "t81.key", key80, 81);
	tc_write(d, "notadir", "x", 0);
	assert_int_equal(mkdir(tc_path(d, "www", p), 0755), 0);
	tc_write(d, "ok.yaml", "tls: {certificate: s.crt, key: s.key, ticket_key_file: t80.key,\n"
			       "      client_ca: ca.pem, verify_client: optional}\n"
			       "listeners: [{port: 1}, {port: 2, mode: echo}]\n", 0);
	tc_write(d, "bad.yaml", "tls:\n  key: nokey.key\n  ticket_key_file: t81.key\n"
				"listeners:\n  - port: 1\n    root: notadir\n  - port: 2\n"
				"    sni: [{names: a.test, certificate: s.key, key: www}]\n", 0);
	assert_int_equal(config_load_file(tc_path(d, "ok.yaml", p), &cfg, &errs), 0);
	assert_int_equal(config_check_files(cfg, &errs), 0);
	assert_int_equal(errs.n, 0);
	config_free(cfg);
	cfg = NULL;
	assert_int_equal(config_load_file(tc_path(d, "bad.yaml", p), &cfg, &errs), 0);
	assert_int_equal(config_check_files(cfg, &errs), -1);
	assert_true(tc_has(&errs, 0, 0, "default certificate \""));  /* a default has no position */
	assert_true(tc_has(&errs, 0, 0, "/certs/server.crt\": No such file"));
	assert_true(tc_has(&errs, 2, 8, "key \""));
	assert_true(tc_has(&errs, 3, 20, "must hold whole 80-byte keys, not 81 bytes"));
	assert_true(tc_has(&errs, 6, 11, "is not a directory"));
	assert_true(tc_has(&errs, 8, 52, "is not a regular file"));
	assert_int_equal(errs.n, 5);  /* inherited errors are not repeated per listener */
	config_free(cfg);
	config_errors_free(&errs);
}


/* Private keys and ticket keys open to others: readable is a warning (the
 * load still succeeds), writable by others an error; certificates are public. */
static void
test_check_secret_modes(void **state)
{
	struct tc_dir *d = *state;
	struct config_errors errs = { 0 };
	struct config *cfg = NULL;
	char key80[80], p[256];

	memset(key80, 'k', sizeof(key80));
	tc_write(d, "s.crt", "x", 0);
	tc_write(d, "s.key", "x", 0);
	tc_write(d, "sni.key", "x", 0);
	tc_write(d, "t.key", key80, 80);
	assert_int_equal(mkdir(tc_path(d, "www", p), 0755), 0);
	assert_int_equal(chmod(tc_path(d, "s.crt", p), 0666), 0);
	assert_int_equal(chmod(tc_path(d, "s.key", p), 0600), 0);
	assert_int_equal(chmod(tc_path(d, "sni.key", p), 0640), 0);
	assert_int_equal(chmod(tc_path(d, "t.key", p), 0604), 0);
	tc_write(d, "m.yaml", "tls: {certificate: s.crt, key: s.key, ticket_key_file: t.key}\n"
			      "listeners:\n  - port: 1\n"
			      "    sni: [{names: a.test, certificate: s.crt, key: sni.key}]\n"
			      "  - {port: 2, mode: echo}\n", 0);
	assert_int_equal(config_load_file(tc_path(d, "m.yaml", p), &cfg, &errs), 0);
	assert_int_equal(config_check_files(cfg, &errs), 0);
	assert_int_equal(errs.n, 0);
	assert_int_equal(errs.nw, 2);  /* the inherited ticket key once, not per listener */
	assert_int_equal(errs.w[0].line, 1);
	assert_non_null(strstr(errs.w[0].msg, "t.key\" is readable by group or others (mode 0604)"));
	assert_int_equal(errs.w[1].line, 4);
	assert_non_null(strstr(errs.w[1].msg, "sni.key\" is readable by group or others (mode 0640)"));
	config_errors_free(&errs);
	assert_int_equal(chmod(tc_path(d, "s.key", p), 0602), 0);
	assert_int_equal(config_check_files(cfg, &errs), -1);
	assert_true(tc_has(&errs, 1, 32, "s.key\" is writable by others (mode 0602)"));
	config_free(cfg);
	config_errors_free(&errs);
}

/* What -t adds: the user, the log files (nothing created), host and port. */
static void
test_check_startup(void **state)
{
	struct tc_dir *d = *state;
	struct config_errors errs = { 0 };
	struct config *cfg = NULL;
	char yaml[1024], p[256];

	snprintf(yaml, sizeof(yaml),
		 "user: root\nlog: {error: %s/logs/e.log, access: %s/a.log}\n"
		 "listeners:\n  - {port: 0, host: 127.0.0.1}\n  - {port: https, host: \"::1\"}\n",
		 d->path, d->path);
	assert_int_equal(mkdir(tc_path(d, "logs", p), 0755), 0);
	assert_int_equal(tc_load(yaml, &cfg, &errs), 0);
	assert_int_equal(config_check_startup(cfg, &errs), 0);
	assert_int_equal(errs.n, 0);
	assert_int_equal(access(tc_path(d, "logs/e.log", p), F_OK), -1);  /* nothing created */
	assert_int_equal(access(tc_path(d, "a.log", p), F_OK), -1);
	config_free(cfg);
	cfg = NULL;

	snprintf(yaml, sizeof(yaml),
		 "user: no-such-user-tlserve\nlog: {error: %s/none/e.log, access: %s/logs}\n"
		 "listeners:\n  - {port: 0, host: no-such-host.invalid}\n"
		 "  - {port: no-such-service-tlserve, host: 127.0.0.1}\n",
		 d->path, d->path);
	assert_int_equal(tc_load(yaml, &cfg, &errs), 0);
	assert_int_equal(config_check_startup(cfg, &errs), -1);
	if (errs.n != 5)
		tc_dump(&errs);
	assert_int_equal(errs.n, 5);
	assert_true(tc_has(&errs, 1, 7, "user \"no-such-user-tlserve\": no such user"));
	assert_true(tc_has(&errs, 2, 14, "/none/e.log\": its directory does not exist"));
	assert_true(tc_has(&errs, 2, (int)strlen(d->path) + 35, "/logs\": is a directory"));
	assert_true(tc_has(&errs, 4, 21, "listener listener-0: host \"no-such-host.invalid\""));
	assert_true(tc_has(&errs, 5, 12, "port \"no-such-service-tlserve\": unknown service name"));
	config_free(cfg);
	config_errors_free(&errs);
}

/* ------------------------------------------------------------------ sites */

/* Whether errs holds a warning at line:col containing text. */
static bool
tc_has_warning(const struct config_errors *errs, int line, int col, const char *text)
{
	for (size_t i = 0; i < errs->nw; i++) {
		if (errs->w[i].line == line && errs->w[i].col == col &&
		    strstr(errs->w[i].msg, text))
			return true;
	}
	return false;
}

static void
tc_assert_header(const struct config_header *h, const char *name, const char *lname,
		 const char *value)
{
	assert_string_equal(h->name, name);
	assert_string_equal(h->lname, lname);
	assert_string_equal(h->value, value);
}

/* The issue's example: the default site's keys, a site that sets only its
 * names and root (everything else is the listener's), a site that replaces
 * every key and has its own certificate, and redirect listeners. */
static const char tc_sites_yaml[] =
	"listeners:\n"
	"  - name: https\n"
	"    port: 443\n"
	"    mode: files\n"
	"    root: /srv/www\n"
	"    index: [index.html, index.htm]\n"
	"    listing: true\n"
	"    dotfiles: allow\n"
	"    headers:\n"
	"      Strict-Transport-Security: \"max-age=63072000\"\n"
	"      X-Content-Type-Options: nosniff\n"
	"    cache:\n"
	"      - match: \"*.css\"\n"
	"        control: \"public, max-age=31536000, immutable\"\n"
	"      - match: \"/sub/*\"\n"
	"        control: no-cache\n"
	"    error_pages:\n"
	"      404: /404.html\n"
	"      503: /busy.html\n"
	"    fallback: null\n"
	"    sites:\n"
	"      - names: [A.Example, \"*.A.example\"]\n"
	"        root: /srv/a\n"
	"      - names: B.EXAMPLE\n"
	"        root: b\n"
	"        index: main.html\n"
	"        listing: false\n"
	"        dotfiles: deny\n"
	"        headers:\n"
	"          X-Site: b\n"
	"        cache: [{match: \"**\", control: no-store}]\n"
	"        error_pages: {410: /gone.html}\n"
	"        fallback: /index.html\n"
	"        certificate: certs/b.crt\n"
	"        key: certs/b.key\n"
	"  - name: http\n"
	"    port: 80\n"
	"    mode: redirect\n"
	"    to_port: null\n"
	"  - name: http-8443\n"
	"    port: 8080\n"
	"    mode: redirect\n"
	"    to_port: 8443\n"
	"  - {name: http-default, port: 8081, mode: redirect}\n";

static void
test_sites_example(void **state)
{
	struct config *cfg = tc_ok(tc_sites_yaml);
	const struct config_listener *l = &cfg->listeners[0];
	const struct config_site *s;

	(void)state;
	assert_int_equal(cfg->nlisteners, 4);
	assert_int_equal(l->nsites, 3);

	s = &l->sites[0];  /* the default site: the listener's own keys */
	assert_int_equal(s->nnames, 0);
	assert_int_equal(s->pos.line, 2);  /* the listener's position */
	assert_int_equal(s->pos.col, 5);
	assert_string_equal(s->root, "/srv/www");
	assert_int_equal(s->root_pos.line, 5);
	assert_int_equal(s->root_pos.col, 11);
	assert_int_equal(s->nindex, 2);
	assert_string_equal(s->index[1], "index.htm");
	assert_true(s->listing);
	assert_int_equal(s->dotfiles, CONFIG_DOTFILES_ALLOW);
	assert_int_equal(s->nheaders, 2);
	tc_assert_header(&s->headers[0], "Strict-Transport-Security", "strict-transport-security",
			 "max-age=63072000");
	tc_assert_header(&s->headers[1], "X-Content-Type-Options", "x-content-type-options",
			 "nosniff");
	assert_int_equal(s->ncache, 2);
	assert_string_equal(s->cache[0].match, "*.css");
	assert_string_equal(s->cache[0].control, "public, max-age=31536000, immutable");
	assert_string_equal(s->cache[1].match, "/sub/*");
	assert_string_equal(s->cache[1].control, "no-cache");
	assert_int_equal(s->nerror_pages, 2);
	assert_int_equal(s->error_pages[0].status, 404);
	assert_string_equal(s->error_pages[0].path, "/404.html");
	assert_int_equal(s->error_pages[1].status, 503);
	assert_string_equal(s->error_pages[1].path, "/busy.html");
	assert_null(s->fallback);
	assert_null(s->certificate);
	assert_null(s->key);

	s = &l->sites[1];  /* names and root only: the rest is the listener's */
	assert_int_equal(s->pos.line, 22);
	assert_int_equal(s->pos.col, 9);
	assert_int_equal(s->nnames, 2);
	assert_string_equal(s->names[0], "a.example");  /* lower-cased */
	assert_string_equal(s->names[1], "*.a.example");
	assert_string_equal(s->root, "/srv/a");
	assert_int_equal(s->root_pos.line, 23);
	assert_int_equal(s->root_pos.col, 15);
	assert_int_equal(s->nindex, 2);
	assert_string_equal(s->index[0], "index.html");
	assert_string_equal(s->index[1], "index.htm");
	assert_ptr_not_equal(s->index, l->sites[0].index);  /* a copy: each site frees its own */
	assert_true(s->listing);
	assert_int_equal(s->dotfiles, CONFIG_DOTFILES_ALLOW);
	assert_int_equal(s->nheaders, 2);
	tc_assert_header(&s->headers[0], "Strict-Transport-Security", "strict-transport-security",
			 "max-age=63072000");
	tc_assert_header(&s->headers[1], "X-Content-Type-Options", "x-content-type-options",
			 "nosniff");
	assert_ptr_not_equal(s->headers, l->sites[0].headers);
	assert_ptr_not_equal(s->headers[0].value, l->sites[0].headers[0].value);
	assert_int_equal(s->ncache, 2);
	assert_string_equal(s->cache[0].match, "*.css");
	assert_string_equal(s->cache[1].control, "no-cache");
	assert_int_equal(s->nerror_pages, 2);
	assert_int_equal(s->error_pages[1].status, 503);
	assert_string_equal(s->error_pages[1].path, "/busy.html");
	assert_null(s->fallback);
	assert_null(s->certificate);
	assert_null(s->key);

	s = &l->sites[2];  /* every key set: each replaces the listener's whole value */
	assert_int_equal(s->pos.line, 24);
	assert_int_equal(s->pos.col, 9);
	assert_int_equal(s->nnames, 1);
	assert_string_equal(s->names[0], "b.example");
	assert_string_equal(s->root, TC_BASE "/b");
	assert_int_equal(s->nindex, 1);
	assert_string_equal(s->index[0], "main.html");
	assert_false(s->listing);
	assert_int_equal(s->dotfiles, CONFIG_DOTFILES_DENY);
	assert_int_equal(s->nheaders, 1);
	tc_assert_header(&s->headers[0], "X-Site", "x-site", "b");
	assert_int_equal(s->ncache, 1);
	assert_string_equal(s->cache[0].match, "**");
	assert_string_equal(s->cache[0].control, "no-store");
	assert_int_equal(s->nerror_pages, 1);
	assert_int_equal(s->error_pages[0].status, 410);
	assert_string_equal(s->error_pages[0].path, "/gone.html");
	assert_string_equal(s->fallback, "/index.html");
	assert_string_equal(s->certificate, TC_BASE "/certs/b.crt");
	assert_string_equal(s->key, TC_BASE "/certs/b.key");
	assert_int_equal(s->certificate_pos.line, 34);
	assert_int_equal(s->certificate_pos.col, 22);

	/* the site with a certificate is offered by SNI for its names */
	assert_int_equal(l->nsni, 1);
	assert_int_equal(l->sni[0].nnames, 1);
	assert_string_equal(l->sni[0].names[0], "b.example");
	assert_string_equal(l->sni[0].certificate, TC_BASE "/certs/b.crt");
	assert_string_equal(l->sni[0].key, TC_BASE "/certs/b.key");
	assert_int_equal(l->sni[0].pos.line, 24);
	assert_int_equal(l->sni[0].certificate_pos.line, 34);
	assert_int_equal(l->sni[0].key_pos.line, 35);

	for (size_t i = 1; i < 4; i++) {
		assert_int_equal(cfg->listeners[i].mode, CONFIG_MODE_REDIRECT);
		assert_int_equal(cfg->listeners[i].nsites, 0);
	}
	assert_int_equal(cfg->listeners[1].to_port, 0);     /* null: the files listener's port */
	assert_int_equal(cfg->listeners[2].to_port, 8443);
	assert_int_equal(cfg->listeners[3].to_port, 0);     /* left out: the same */
	assert_int_equal(cfg->listeners[0].to_port, 0);
	config_free(cfg);
}

/* A site inherits the listener's keys whatever their order in the file
 * (sites: first here); an empty or null value a site sets means none. */
static void
test_sites_inherit(void **state)
{
	struct config *cfg = tc_ok("listeners:\n"
				   "  - port: 1\n"
				   "    sites:\n"
				   "      - names: [a.test]\n"
				   "      - names: [b.test]\n"
				   "        headers: {}\n"
				   "        cache: []\n"
				   "        error_pages: null\n"
				   "        fallback: null\n"
				   "        index: []\n"
				   "        listing: true\n"
				   "    headers: {X-A: \"1\", x-b: \"two words\"}\n"
				   "    cache: [{match: \"*\", control: x}]\n"
				   "    error_pages: {500: /500.html}\n"
				   "    fallback: /app/index.html\n"
				   "    root: /srv/www\n"
				   "    index: [i.html]\n"
				   "    dotfiles: allow\n");
	const struct config_listener *l = &cfg->listeners[0];
	const struct config_site *a = &l->sites[1], *b = &l->sites[2];

	(void)state;
	assert_int_equal(l->nsites, 3);
	assert_string_equal(a->root, "/srv/www");
	assert_int_equal(a->root_pos.line, 16);  /* the listener's root, where it was written */
	assert_int_equal(a->nindex, 1);
	assert_string_equal(a->index[0], "i.html");
	assert_false(a->listing);
	assert_int_equal(a->dotfiles, CONFIG_DOTFILES_ALLOW);
	assert_int_equal(a->nheaders, 2);
	tc_assert_header(&a->headers[0], "X-A", "x-a", "1");
	tc_assert_header(&a->headers[1], "x-b", "x-b", "two words");
	assert_int_equal(a->ncache, 1);
	assert_string_equal(a->cache[0].match, "*");
	assert_int_equal(a->nerror_pages, 1);
	assert_int_equal(a->error_pages[0].status, 500);
	assert_string_equal(a->fallback, "/app/index.html");

	assert_string_equal(b->root, "/srv/www");
	assert_int_equal(b->nindex, 0);
	assert_true(b->listing);
	assert_int_equal(b->dotfiles, CONFIG_DOTFILES_ALLOW);
	assert_int_equal(b->nheaders, 0);
	assert_int_equal(b->ncache, 0);
	assert_int_equal(b->nerror_pages, 0);
	assert_null(b->fallback);
	assert_int_equal(l->nsni, 0);
	config_free(cfg);

	/* the default root is inherited too; a directory fallback is accepted */
	cfg = tc_ok("listeners: [{port: 1, sites: [{names: a.test, fallback: /app/}]}]\n");
	l = &cfg->listeners[0];
	assert_int_equal(l->nsites, 2);
	assert_string_equal(l->sites[1].root, TC_BASE "/www");
	assert_string_equal(l->sites[1].fallback, "/app/");
	assert_null(l->sites[0].fallback);
	config_free(cfg);

	/* no sites: just the default site; null and empty lists are fine */
	cfg = tc_ok("listeners: [{port: 1, sites: null, headers: null, cache: null,\n"
		    "             error_pages: null, fallback: null},\n"
		    "            {port: 2, sites: [], headers: {}, cache: [], error_pages: {}}]\n");
	for (size_t i = 0; i < 2; i++) {
		l = &cfg->listeners[i];
		assert_int_equal(l->nsites, 1);
		assert_int_equal(l->sites[0].nheaders, 0);
		assert_int_equal(l->sites[0].ncache, 0);
		assert_int_equal(l->sites[0].nerror_pages, 0);
		assert_null(l->sites[0].fallback);
	}
	config_free(cfg);
}

/* sni: entries come first, then one per site with a certificate, in order; a
 * site without one may share a name with an sni: entry. */
static void
test_sites_sni(void **state)
{
	struct config *cfg = tc_ok(
		"listeners:\n"
		"  - port: 1\n"
		"    sites:\n"
		"      - names: [c.test]\n"
		"        certificate: c.crt\n"
		"        key: /k/c.key\n"
		"      - names: [d.test]\n"
		"      - {names: [E.test, \"*.e.test\"], certificate: e.crt, key: e.key}\n"
		"    sni:\n"
		"      - {names: [a.test, d.test], certificate: a.crt, key: a.key}\n");
	const struct config_listener *l = &cfg->listeners[0];

	(void)state;
	assert_int_equal(l->nsites, 4);
	assert_int_equal(l->nsni, 3);
	assert_int_equal(l->sni[0].nnames, 2);
	assert_string_equal(l->sni[0].names[0], "a.test");
	assert_int_equal(l->sni[0].pos.line, 10);
	assert_int_equal(l->sni[1].nnames, 1);
	assert_string_equal(l->sni[1].names[0], "c.test");
	assert_string_equal(l->sni[1].certificate, TC_BASE "/c.crt");
	assert_string_equal(l->sni[1].key, "/k/c.key");
	assert_int_equal(l->sni[1].pos.line, 4);
	assert_int_equal(l->sni[1].pos.col, 9);
	assert_int_equal(l->sni[1].certificate_pos.line, 5);
	assert_int_equal(l->sni[1].certificate_pos.col, 22);
	assert_int_equal(l->sni[1].key_pos.line, 6);
	assert_int_equal(l->sni[1].key_pos.col, 14);
	assert_int_equal(l->sni[2].nnames, 2);
	assert_string_equal(l->sni[2].names[0], "e.test");
	assert_string_equal(l->sni[2].names[1], "*.e.test");
	assert_string_equal(l->sni[2].certificate, TC_BASE "/e.crt");
	assert_int_equal(l->sni[2].pos.line, 8);
	assert_int_equal(l->sni[2].pos.col, 9);
	assert_null(l->sites[2].certificate);
	assert_ptr_not_equal(l->sni[1].names, l->sites[1].names);  /* each frees its own */
	config_free(cfg);
}

/* Every header the server writes or computes is refused, in any case; other
 * names (any token) are accepted. */
static void
test_sites_header_names(void **state)
{
	static const char *const refused[] = {
		"Content-Length", "transfer-encoding", "CONNECTION", "Date", "Server",
		"Keep-Alive", "Upgrade", "Proxy-Connection", "TE", "Trailer", "Content-Type",
		"Content-Encoding", "Content-Range", "ETag", "Last-Modified", "Accept-Ranges",
		"Location", "Vary", "Allow", "Cache-Control", "cache-control",
	};
	static const char *const accepted[] = {
		"Strict-Transport-Security", "Content-Security-Policy", "X-Frame-Options", "Link",
		"Content-Disposition", "Referrer-Policy", "Access-Control-Allow-Origin",
		"X-!#$%&'*+-.^_`|~09az", "Age", "Expires", "Content-Language", "TEA", "Dates",
	};
	char yaml[256];

	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct config_errors errs = { 0 };
		struct config *cfg = NULL;

		snprintf(yaml, sizeof(yaml), TC_L "    headers:\n      \"%s\": x\n", refused[i]);
		assert_int_equal(tc_load(yaml, &cfg, &errs), -1);
		if (errs.n != 1 || errs.v[0].line != 4 || errs.v[0].col != 7 ||
		    (!strstr(errs.v[0].msg, "cannot be set") && !strstr(errs.v[0].msg, "cache:"))) {
			tc_dump(&errs);
			fail_msg("%s: not refused at 4:7", refused[i]);
		}
		config_errors_free(&errs);
	}
	for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
		struct config *cfg;

		snprintf(yaml, sizeof(yaml), TC_L "    headers:\n      \"%s\": \"v \\\"q\\\"\"\n",
			 accepted[i]);
		cfg = tc_ok(yaml);
		assert_int_equal(cfg->listeners[0].sites[0].nheaders, 1);
		assert_string_equal(cfg->listeners[0].sites[0].headers[0].name, accepted[i]);
		assert_string_equal(cfg->listeners[0].sites[0].headers[0].value, "v \"q\"");
		config_free(cfg);
	}
}

/* 64 headers and 256 cache rules are the most a site has. */
static void
test_sites_caps(void **state)
{
	char *yaml = malloc(16384);
	size_t o;
	struct config *cfg;

	(void)state;
	assert_non_null(yaml);
	o = (size_t)snprintf(yaml, 16384, TC_L "    headers:\n");
	for (int i = 0; i < 64; i++)
		o += (size_t)snprintf(yaml + o, 16384 - o, "      X-H%d: v%d\n", i, i);
	o += (size_t)snprintf(yaml + o, 16384 - o, "    cache:\n");
	for (int i = 0; i < 256; i++)
		o += (size_t)snprintf(yaml + o, 16384 - o,
				      "      - {match: \"*.e%d\", control: c}\n", i);
	assert_true(o < 16384);
	cfg = tc_ok(yaml);
	assert_int_equal(cfg->listeners[0].sites[0].nheaders, 64);
	assert_string_equal(cfg->listeners[0].sites[0].headers[63].name, "X-H63");
	assert_int_equal(cfg->listeners[0].sites[0].ncache, 256);
	assert_string_equal(cfg->listeners[0].sites[0].cache[255].match, "*.e255");
	config_free(cfg);
	free(yaml);
}

/* A header value may hold a horizontal tab (RFC 9110 5.5), not another
 * control character (the table tc_errs). */
static void
test_sites_header_value_tab(void **state)
{
	struct config *cfg = tc_ok(TC_L "    headers:\n      X-A: \"a\\tb\"\n");

	(void)state;
	assert_string_equal(cfg->listeners[0].sites[0].headers[0].value, "a\tb");
	config_free(cfg);
}

/* The keys a redirect or echo listener accepts and does not use; null is not
 * a value for the files-only keys nor for to_port. */
static void
test_sites_other_modes(void **state)
{
	struct config *cfg = tc_ok(
		"listeners:\n"
		"  - {name: http, port: 0, mode: redirect, root: /x, index: a.html,\n"
		"     listing: true, dotfiles: allow, http2: false, tls: {min_version: \"1.3\"},\n"
		"     sni: [{names: a.test, certificate: a, key: b}],\n"
		"     sites: null, headers: null, cache: null, error_pages: null, fallback: null}\n"
		"  - {name: echo, port: 1, mode: echo, to_port: null, sites: null}\n"
		"  - {name: files, port: 2, to_port: ~}\n");

	(void)state;
	assert_int_equal(cfg->listeners[0].mode, CONFIG_MODE_REDIRECT);
	assert_int_equal(cfg->listeners[0].nsites, 0);
	assert_null(cfg->listeners[0].sites);
	assert_int_equal(cfg->listeners[0].to_port, 0);
	assert_int_equal(cfg->listeners[1].nsites, 0);
	assert_int_equal(cfg->listeners[1].to_port, 0);
	assert_int_equal(cfg->listeners[2].nsites, 1);
	assert_int_equal(cfg->listeners[2].to_port, 0);
	config_free(cfg);
	cfg = tc_ok("listeners: [{port: 1, mode: redirect, to_port: 1},"
		    " {port: 2, mode: redirect, to_port: 65535}]\n");
	assert_int_equal(cfg->listeners[0].to_port, 1);
	assert_int_equal(cfg->listeners[1].to_port, 65535);
	config_free(cfg);
}

/* Every error of a listener's sites is reported in one load, in file order. */
static void
test_sites_many_errors(void **state)
{
	struct config_errors errs = { 0 };
	struct config *cfg = NULL;

	(void)state;
	assert_int_equal(tc_load(TC_L "    headers: {Server: x, \"a b\": y}\n"
				      "    cache: [{match: \"a/b\", control: x}]\n"
				      "    error_pages: {200: /a.html, 404: a.html}\n"
				      "    fallback: x\n"
				      "    sites:\n"
				      "      - names: [\"*\"]\n"
				      "      - names: [a.test]\n"
				      "        headers: {Date: x}\n"
				      "      - names: [a.test]\n"
				      "        certificate: c\n",
				 &cfg, &errs),
			 -1);
	assert_null(cfg);
	if (errs.n != 10)
		tc_dump(&errs);
	assert_true(tc_has(&errs, 3, 15, "\"Server\" cannot be set"));
	assert_true(tc_has(&errs, 3, 26, "\"a b\" is not a header name"));
	assert_true(tc_has(&errs, 4, 21, "\"a/b\" can never match a path"));
	assert_true(tc_has(&errs, 5, 19, "\"200\" is not an error status"));
	assert_true(tc_has(&errs, 5, 38, "\"a.html\" must be a path under the root"));
	assert_true(tc_has(&errs, 6, 15, "\"x\" must be a path under the root"));
	assert_true(tc_has(&errs, 8, 17, "\"*\" is not a host name"));
	assert_true(tc_has(&errs, 10, 19, "\"listeners[0].sites[1].headers\": \"Date\""));
	assert_true(tc_has(&errs, 11, 9, "a site's certificate needs its key"));
	assert_true(tc_has(&errs, 11, 17,
			   "duplicate site name \"a.test\" (first at line 9, column 17)"));
	assert_int_equal(errs.n, 10);
	for (size_t i = 1; i < errs.n; i++) {  /* sorted by position */
		const struct config_error *a = &errs.v[i - 1], *b = &errs.v[i];

		assert_true(a->line < b->line || (a->line == b->line && a->col <= b->col));
	}
	config_errors_free(&errs);
}

/* A reload applies sites and their keys, and a redirect listener's to_port:
 * nothing to refuse or warn about. */
static void
test_sites_reload(void **state)
{
	struct config *boot = tc_ok("listeners:\n  - {name: https, port: 8443}\n"
				    "  - {name: http, port: 8080, mode: redirect}\n");
	struct config *next = tc_ok(
		"listeners:\n"
		"  - name: https\n    port: 8443\n"
		"    headers: {X-A: b}\n    cache: [{match: \"*\", control: x}]\n"
		"    error_pages: {404: /404.html}\n    fallback: /index.html\n"
		"    sites: [{names: a.test, root: /srv/a, certificate: a, key: b}]\n"
		"  - {name: http, port: 8080, mode: redirect, to_port: 8443}\n");
	struct config_errors out = { 0 };

	(void)state;
	assert_int_equal(config_reload_diff(boot, next, &out), 0);
	assert_int_equal(out.n + out.nw, 0);
	assert_int_equal(config_reload_diff(next, boot, &out), 0);
	assert_int_equal(out.n + out.nw, 0);
	config_free(boot);
	config_free(next);
}

/* config_check_files: each site's root must be a directory (reported once
 * at the root's position, the listener's when inherited); an error page or
 * fallback that is not a file is a warning at the site. A redirect
 * listener needs no certificate. */
static void
test_check_files_sites(void **state)
{
	struct tc_dir *d = *state;
	struct config_errors errs = { 0 };
	struct config *cfg = NULL;
	char p[256];

	tc_write(d, "s.crt", "x", 0);
	tc_write(d, "s.key", "x", 0);
	assert_int_equal(chmod(tc_path(d, "s.key", p), 0600), 0);
	assert_int_equal(mkdir(tc_path(d, "www", p), 0755), 0);
	assert_int_equal(mkdir(tc_path(d, "a", p), 0755), 0);
	tc_write(d, "www/404.html", "x", 0);
	tc_write(d, "a/404.html", "x", 0);
	tc_write(d, "s.yaml", "tls: {certificate: s.crt, key: s.key}\n"       /* 1 */
			      "listeners:\n"                                   /* 2 */
			      "  - port: 1\n"                                  /* 3 */
			      "    root: www\n"                                /* 4 */
			      "    error_pages: {404: /404.html, 500: /500.html}\n"
			      "    fallback: /app/\n"                          /* 6 */
			      "    sites:\n"                                   /* 7 */
			      "      - names: [a.test]\n"                      /* 8 */
			      "        root: a\n"                              /* 9 */
			      "      - names: [b.test]\n"                      /* 10 */
			      "        root: b\n"                              /* 11 */
			      "      - names: [c.test]\n"                      /* 12 */
			      "        fallback: /spa.html\n"                  /* 13 */
			      "  - {port: 2, mode: redirect,\n"                /* 14 */
			      "     tls: {certificate: none.crt, key: none.key}}\n", 0);
	assert_int_equal(config_load_file(tc_path(d, "s.yaml", p), &cfg, &errs), 0);
	assert_int_equal(config_check_files(cfg, &errs), -1);
	if (errs.n != 1 || errs.nw != 4)
		tc_dump(&errs);
	assert_true(tc_has(&errs, 11, 15, "root \""));
	assert_true(tc_has(&errs, 11, 15, "/b\": No such file or directory"));
	assert_int_equal(errs.n, 1);  /* nothing about the redirect listener's files */
	/* the default site's, at the listener */
	assert_true(tc_has_warning(&errs, 3, 5, "error page \""));
	assert_true(tc_has_warning(&errs, 3, 5, "/www/500.html\" is not a file (yet)"));
	assert_true(tc_has_warning(&errs, 8, 9, "/a/500.html\" is not a file (yet)"));
	assert_true(tc_has_warning(&errs, 12, 9, "/www/500.html\" is not a file (yet)"));
	assert_true(tc_has_warning(&errs, 12, 9, "/www/spa.html\" is not a file (yet)"));
	assert_int_equal(errs.nw, 4);
	config_free(cfg);
	config_errors_free(&errs);
}

/* The acme: block and a listener's names: values, defaults, and the
 * built-in certificate dropped (not chosen) when a listener has acme:. */
static void
test_acme_keys(void **state)
{
	struct config *cfg;
	const struct config_listener *l;

	(void)state;
	cfg = tc_ok("acme:\n  directory: https://ca.test/dir\n  email: ops@a.test\n"
		    "  storage: acme\n  challenge: http-01\n  renew_before: 20d\n"
		    "  ca_file: ca.pem\n"
		    "listeners:\n  - port: 443\n    acme: [A.test, www.a.test]\n"
		    "  - port: 444\n    acme: b.test\n    tls:\n      certificate: b.crt\n"
		    "      key: b.key\n  - port: 445\n  - port: 80\n    mode: redirect\n");
	assert_true(cfg->acme.on);
	assert_string_equal(cfg->acme.directory, "https://ca.test/dir");
	assert_string_equal(cfg->acme.email, "ops@a.test");
	assert_string_equal(cfg->acme.storage, TC_BASE "/acme");
	assert_string_equal(cfg->acme.ca_file, TC_BASE "/ca.pem");
	assert_int_equal(cfg->acme.challenge, CONFIG_ACME_HTTP_01);
	assert_int_equal(cfg->acme.renew_before_ms, 20ULL * 86400 * 1000);
	l = &cfg->listeners[0];
	assert_int_equal(l->nacme, 2);
	assert_string_equal(l->acme[0], "a.test");
	assert_string_equal(l->acme[1], "www.a.test");
	assert_null(l->tls.certificate);  /* the built-in default is not a fallback */
	assert_null(l->tls.key);
	l = &cfg->listeners[1];
	assert_int_equal(l->nacme, 1);
	assert_string_equal(l->tls.certificate, TC_BASE "/b.crt");  /* chosen: kept */
	l = &cfg->listeners[2];
	assert_int_equal(l->nacme, 0);
	assert_string_equal(l->tls.certificate, TC_BASE "/certs/server.crt");
	config_free(cfg);

	cfg = tc_ok("acme:\n  directory: https://ca.test/dir\n" TC_MIN);
	assert_true(cfg->acme.on);
	assert_string_equal(cfg->acme.storage, "/var/lib/tlserve/acme");
	assert_int_equal(cfg->acme.challenge, CONFIG_ACME_TLS_ALPN_01);
	assert_int_equal(cfg->acme.renew_before_ms, 0);
	assert_null(cfg->acme.email);
	assert_null(cfg->acme.ca_file);
	config_free(cfg);

	cfg = tc_ok(TC_MIN);
	assert_false(cfg->acme.on);
	config_free(cfg);
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acme_keys),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_spec_example),
		cmocka_unit_test(test_top_keys),
		cmocka_unit_test(test_log_keys),
		cmocka_unit_test(test_limits_keys),
		cmocka_unit_test(test_tls_keys),
		cmocka_unit_test(test_listener_tls_override),
		cmocka_unit_test(test_verify_client_per_listener),
		cmocka_unit_test(test_listener_keys),
		cmocka_unit_test(test_sni),
		cmocka_unit_test(test_mime),
		cmocka_unit_test(test_relative_paths),
		cmocka_unit_test(test_multiple_errors),
		cmocka_unit_test(test_empty_document),
		cmocka_unit_test(test_huge_document),
		cmocka_unit_test(test_truncated_yaml),
		cmocka_unit_test(test_alias_bomb),
		cmocka_unit_test(test_error_cap),
		cmocka_unit_test(test_error_add),
		cmocka_unit_test(test_errors_appended),
		cmocka_unit_test_setup_teardown(test_load_file, tc_dir_setup, tc_dir_teardown),
		cmocka_unit_test_setup_teardown(test_load_file_relative, tc_dir_setup,
						tc_dir_teardown),
		cmocka_unit_test_setup_teardown(test_check_files, tc_dir_setup, tc_dir_teardown),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_reload_diff),
		cmocka_unit_test_setup_teardown(test_check_secret_modes, tc_dir_setup,
						tc_dir_teardown),
		cmocka_unit_test_setup_teardown(test_check_startup, tc_dir_setup, tc_dir_teardown),
		cmocka_unit_test(test_sites_example),
		cmocka_unit_test(test_sites_inherit),
		cmocka_unit_test(test_sites_sni),
		cmocka_unit_test(test_sites_header_names),
		cmocka_unit_test(test_sites_caps),
		cmocka_unit_test(test_sites_header_value_tab),
		cmocka_unit_test(test_sites_other_modes),
		cmocka_unit_test(test_sites_many_errors),
		cmocka_unit_test(test_sites_reload),
		cmocka_unit_test_setup_teardown(test_check_files_sites, tc_dir_setup,
						tc_dir_teardown),
	};
	size_t n = sizeof(tc_errs) / sizeof(tc_errs[0]);
	struct CMUnitTest *errt = calloc(n, sizeof(*errt));
	int fails;

	if (errt == NULL)
		return 1;
	for (size_t i = 0; i < n; i++)
		errt[i] = (struct CMUnitTest){ tc_errs[i].name, tc_test_err, NULL, NULL,
					       (void *)&tc_errs[i] };
	fails = cmocka_run_group_tests_name("config", tests, NULL, NULL);
	fails += _cmocka_run_group_tests("config_errors", errt, n, NULL, NULL);
	free(errt);
	return fails;
}
