/* acme: the ACME client thread (see acme.h). The protocol (RFC 8555 7):
 * directory, nonce, account (created once, its key kept), order,
 * authorizations and their challenges, finalize with a CSR for a fresh P-256
 * key, certificate download. JSON is read by acme_msg.c, signed by
 * acme_crypto.c; HTTPS is libcurl's. */
#include "tlserve/acme.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "tlserve/acme_crypto.h"
#include "tlserve/acme_msg.h"
#include "tlserve/challenge.h"
#include "tlserve/config.h"
#include "tlserve/log.h"
#include "tlserve/tls.h"
#include "tlserve/worker.h"

#define ACME_BODY_MAX (256 * 1024)   /* a chain is a few KiB, an order with 100 names ~20 KiB */
#define ACME_NONCE_MAX 255
#define ACME_BAD_NONCE_TRIES 8       /* RFC 8555 6.5: retry a badNonce with the fresh nonce */
#define ACME_POLL_MAX 60             /* polls of an authorization or order */
#define ACME_POLL_SECS_MAX 10        /* the longest wait between polls a CA can ask */
#define ACME_CHECK_SECS (12 * 3600)  /* look at every certificate at least this often */
#define ACME_NET_BACKOFF 2           /* CA unreachable: 2 s, doubling ... */
#define ACME_NET_BACKOFF_MAX 600     /* ... up to 10 min */
#define ACME_BACKOFF 60              /* the CA refused, or storage failed: 1 min, doubling ... */
#define ACME_BACKOFF_MAX (6 * 3600)  /* ... up to 6 h */
#define ACME_RENEW_DEFAULT (30 * 86400)
#define ACME_REORDER_MIN 3600        /* a certificate due as soon as issued: once an hour at most */

/* ------------------------------------------------------------ storage */

/* A message into out[len], cut when longer. */
static void acme_say(char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
acme_say(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, len, fmt, ap);
	va_end(ap);
}

/* The directory URL as a file name: without https://, [A-Za-z0-9.-] kept. */
static int
acme_dir_id(const char *url, char *out, size_t len)
{
	size_t n = 0;

	if (strncmp(url, "https://", 8) == 0)
		url += 8;
	for (; *url && n + 1 < len; url++, n++) {
		char ch = *url;

		out[n] = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		                 (ch >= '0' && ch <= '9') || ch == '.' || ch == '-'
		             ? ch
		             : '_';
	}
	out[n] = '\0';
	return *url == '\0' && n > 0 && n < 200 ? 0 : -1;
}

/* STORAGE/DIR into out. */
static int
acme_dir_path(const struct config_acme *a, char *out, size_t len)
{
	char id[256];

	if (a->directory == NULL || acme_dir_id(a->directory, id, sizeof(id)) != 0)
		return -1;
	return (size_t)snprintf(out, len, "%s/%s", a->storage, id) < len ? 0 : -1;
}

int
acme_paths(const struct config *cfg, const struct config_listener *l, char *crt, char *key,
           size_t len)
{
	char dir[PATH_MAX];

	if (l->nacme == 0 || acme_dir_path(&cfg->acme, dir, sizeof(dir)) != 0)
		return -1;
	if ((size_t)snprintf(crt, len, "%s/%s.crt", dir, l->acme[0]) >= len ||
	    (size_t)snprintf(key, len, "%s/%s.key", dir, l->acme[0]) >= len)
		return -1;
	return 0;
}

/* The whole of a (small) file into a malloc'd, NUL-terminated buffer. */
static char *
acme_read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf = NULL;
	ssize_t n;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size < ACME_BODY_MAX &&
	    (buf = malloc((size_t)st.st_size + 1)) != NULL) {
		n = read(fd, buf, (size_t)st.st_size);
		if (n != st.st_size) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
			*len = (size_t)n;
		}
	}
	close(fd);
	return buf;
}

int
acme_stored(const struct config *cfg, const struct config_listener *l,
            struct acme_cert_info *info, char *err, size_t errlen)
{
	char crt[PATH_MAX], key[PATH_MAX];
	char *c = NULL, *k = NULL;
	size_t clen = 0, klen = 0;
	int r = -1, e;

	if (acme_paths(cfg, l, crt, key, sizeof(crt)) != 0) {
		acme_say(err, errlen, "storage path too long");
		return -1;
	}
	c = acme_read_file(crt, &clen);
	e = errno;
	k = acme_read_file(key, &klen);
	if (c == NULL && e == ENOENT && (k != NULL || errno == ENOENT)) {
		r = 0;
	} else if (c == NULL || k == NULL) {
		acme_say(err, errlen, "cannot read %s: %s", c == NULL ? crt : key, strerror(errno));
	} else if (acme_cert_info(c, clen, k, klen, (const char *const *)l->acme, l->nacme, info,
	                          err, errlen) != 0) {
		;
	} else if (info->not_after <= (int64_t)time(NULL)) {
		acme_say(err, errlen, "%s has expired", crt);
	} else if (!info->names_match) {
		acme_say(err, errlen, "%s names other names", crt);
		r = 2;
	} else {
		r = 1;
	}
	if (k != NULL)
		acme_wipe(k, klen);
	free(k);
	free(c);
	return r;
}

/* "a.test, b.test" into out. */
static const char *
acme_names_text(const struct config_listener *l, char *out, size_t len)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < l->nacme && n < len; i++)
		n += (size_t)snprintf(out + n, len - n, "%s%s", i ? ", " : "", l->acme[i]);
	return out;
}

static const char *
acme_time_text(int64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, len, "%lld", (long long)t);
	return out;
}

void
acme_describe(const struct config *cfg, const char *file, FILE *out)
{
	char names[1024], err[256], when[32];
	struct acme_cert_info info;

	for (size_t i = 0; i < cfg->nlisteners; i++) {
		const struct config_listener *l = &cfg->listeners[i];
		int r;

		if (l->nacme == 0)
			continue;
		acme_names_text(l, names, sizeof(names));
		r = acme_stored(cfg, l, &info, err, sizeof(err));
		if (r == 1)
			fprintf(out, "%s: acme: %s: stored certificate valid until %s (%lld days)\n", file,
			        names, acme_time_text(info.not_after, when, sizeof(when)),
			        (long long)((info.not_after - (int64_t)time(NULL)) / 86400));
		else if (r == 0)
			fprintf(out, "%s: acme: %s: no stored certificate\n", file, names);
		else if (r == 2)
			fprintf(out, "%s: acme: %s: the stored certificate names other names (valid until "
			        "%s): one for these is ordered at start\n", file, names,
			        acme_time_text(info.not_after, when, sizeof(when)));
		else
			fprintf(out, "%s: acme: %s: stored certificate unusable (%s)\n", file, names, err);
	}
}

/* Write data to dir/name through a temporary file and rename(2): a reader
 * sees the old file or the new one, never half of one. Mode 0600. */
static int
acme_write_atomic(const char *dir, const char *name, const char *data, size_t len, char *err,
                  size_t errlen)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	int fd = -1, dfd = -1, r = -1;
	size_t off = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name) >= sizeof(tmp) ||
	    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path)) {
		acme_say(err, errlen, "storage path too long");
		return -1;
	}
	fd = mkostemp(tmp, O_CLOEXEC);  /* 0600 */
	if (fd < 0) {
		acme_say(err, errlen, "cannot create a file in %s: %s", dir, strerror(errno));
		return -1;
	}
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	if (off != len || fsync(fd) != 0) {
		acme_say(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) != 0 || (fd = -1, rename(tmp, path) != 0)) {
		acme_say(err, errlen, "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);  /* the rename itself survives a crash */
		close(dfd);
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (r != 0)
		unlink(tmp);
	return r;
}

/* STORAGE and STORAGE/DIR, made 0700 when missing. */
static int
acme_make_dirs(const struct config_acme *a, char *dir, size_t len, char *err, size_t errlen)
{
	if (acme_dir_path(a, dir, len) != 0) {
		acme_say(err, errlen, "storage path too long");
		return -1;
	}
	if (mkdir(a->storage, 0700) != 0 && errno != EEXIST) {
		acme_say(err, errlen, "cannot create %s: %s", a->storage, strerror(errno));
		return -1;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		acme_say(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------- client */

struct acme_job {
	size_t listener;        /* index into the generation's listeners */
	char names[1024];       /* "a.test, b.test", for the log */
	int64_t next_at;        /* unix seconds */
	unsigned fails;         /* in a row: the backoff's exponent */
	bool told;              /* the stored certificate was reported */
};

struct acme {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool started;
	atomic_bool stop;
	struct gen *next;                /* from acme_configure, not yet taken */
	unsigned long rebuild_seq, rebuilt_seq;
	bool rebuilt_ok;
	struct log_error *elog;
	struct challenges *http01;
	struct tls_challenges *alpn01;
	void (*rebuild)(void *);
	void *arg;
	/* the thread's own */
	struct gen *gen;
	struct acme_job *jobs;
	size_t njobs;
};

/* One run of the protocol against the CA, for one set of names. */
struct acme_sess {
	struct acme *a;
	const struct config_acme *cfg;
	const struct config_listener *l;
	CURL *curl;
	struct acme_directory dir;
	struct acme_key *account;
	char kid[ACME_URL_MAX + 1];
	char nonce[ACME_NONCE_MAX + 1];
	char path[PATH_MAX];             /* STORAGE/DIR */
	char err[768];
	bool network;                    /* the failure was in reaching the CA */
	long retry_after;                /* seconds the CA asked for, 0 none */
	/* what this run published for the CA to see, taken down at the end */
	char *published[CHALLENGE_MAX];
	size_t npublished;
};

struct acme_resp {
	long status;
	char *body;
	size_t len;
	bool too_big;
	char nonce[ACME_NONCE_MAX + 1];
	char location[ACME_URL_MAX + 1];
	char type[128];
	long retry_after;
};

static void
acme_resp_free(struct acme_resp *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

static void
acme_fail(struct acme_sess *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
acme_fail(struct acme_sess *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
}

static size_t
acme_curl_body(char *p, size_t size, size_t n, void *arg)
{
	struct acme_resp *r = arg;
	size_t add = size * n;
	char *nb;

	if (r->len + add > ACME_BODY_MAX) {
		r->too_big = true;
		return 0;  /* aborts the transfer */
	}
	nb = realloc(r->body, r->len + add + 1);
	if (nb == NULL)
		return 0;
	memcpy(nb + r->len, p, add);
	r->body = nb;
	r->len += add;
	r->body[r->len] = '\0';
	return add;
}

/* The value of header line p[0..n) if its name is name, trimmed, into out. */
static bool
acme_header(const char *p, size_t n, const char *name, char *out, size_t len)
{
	size_t k = strlen(name);

	if (n <= k || strncasecmp(p, name, k) != 0 || p[k] != ':')
		return false;
	p += k + 1;
	n -= k + 1;
	while (n > 0 && (*p == ' ' || *p == '\t'))
		p++, n--;
	while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == '\n' || p[n - 1] == ' '))
		n--;
	if (n >= len)
		return true;  /* too long: left empty */
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

static size_t
acme_curl_header(char *p, size_t size, size_t n, void *arg)
{
	struct acme_resp *r = arg;
	size_t len = size * n;
	char v[64];

	if (acme_header(p, len, "Replay-Nonce", r->nonce, sizeof(r->nonce))) {
		if (!acme_token_ok(r->nonce, strlen(r->nonce)))
			r->nonce[0] = '\0';
	} else if (acme_header(p, len, "Location", r->location, sizeof(r->location))) {
		if (!acme_url_ok(r->location, strlen(r->location)))
			r->location[0] = '\0';
	} else if (acme_header(p, len, "Content-Type", r->type, sizeof(r->type))) {
		;
	} else if (acme_header(p, len, "Retry-After", v, sizeof(v))) {
		char *end;
		long secs = strtol(v, &end, 10);

		if (end != v && *end == '\0' && secs >= 0)
			r->retry_after = secs;
		else if ((secs = (long)curl_getdate(v, NULL)) > 0)  /* an HTTP-date */
			r->retry_after = secs > time(NULL) ? secs - (long)time(NULL) : 0;
	}
	return len;
}

/* Abort a transfer in flight when the server stops. */
static int
acme_curl_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	(void)a, (void)b, (void)c, (void)d;
	return atomic_load(&((struct acme *)arg)->stop) ? 1 : 0;
}

/* One HTTPS exchange: HEAD (body NULL, head true), GET (body NULL) or POST
 * of a JWS. 0 with the answer in r, or -1 (not reached: s->err, network). */
static int
acme_http(struct acme_sess *s, const char *url, const char *body, bool head, struct acme_resp *r)
{
	struct curl_slist *h = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLcode rc;

	memset(r, 0, sizeof(*r));
	curl_easy_reset(s->curl);
	curl_easy_setopt(s->curl, CURLOPT_URL, url);
	curl_easy_setopt(s->curl, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(s->curl, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(s->curl, CURLOPT_USERAGENT, "tlserve/" TLSERVE_VERSION " (ACME)");
	curl_easy_setopt(s->curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, acme_curl_body);
	curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(s->curl, CURLOPT_HEADERFUNCTION, acme_curl_header);
	curl_easy_setopt(s->curl, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(s->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(s->curl, CURLOPT_XFERINFOFUNCTION, acme_curl_progress);
	curl_easy_setopt(s->curl, CURLOPT_XFERINFODATA, s->a);
	if (s->cfg->ca_file != NULL)
		curl_easy_setopt(s->curl, CURLOPT_CAINFO, s->cfg->ca_file);
	if (head)
		curl_easy_setopt(s->curl, CURLOPT_NOBODY, 1L);
	if (body != NULL) {
		h = curl_slist_append(h, "Content-Type: application/jose+json");
		curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, body);
	}
	rc = curl_easy_perform(s->curl);
	curl_slist_free_all(h);
	if (rc != CURLE_OK) {
		s->network = !r->too_big;
		acme_fail(s, "%s %s: %s", body ? "POST" : head ? "HEAD" : "GET", url,
		          r->too_big ? "answer too long" : errbuf[0] ? errbuf : curl_easy_strerror(rc));
		acme_resp_free(r);
		return -1;
	}
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &r->status);
	if (r->nonce[0] != '\0')
		memcpy(s->nonce, r->nonce, sizeof(s->nonce));
	s->retry_after = r->retry_after;
	return 0;
}

/* An error answer: its problem document into s->err. Returns the type
 * (static "" when none) for the caller's decisions. */
static bool
acme_problem(struct acme_sess *s, const char *what, const struct acme_resp *r, const char *type)
{
	struct acme_problem p = {0};
	char err[128];
	bool is = false;

	if (r->body != NULL && acme_problem_parse(r->body, r->len, &p, err, sizeof(err)) == 0) {
		is = type != NULL && p.type != NULL && strcmp(p.type, type) == 0;
		acme_fail(s, "%s: the CA answered %ld: %s: %s", what, r->status,
		          p.type ? p.type : "(no type)", p.detail ? p.detail : "(no detail)");
	} else {
		acme_fail(s, "%s: the CA answered %ld", what, r->status);
	}
	acme_problem_free(&p);
	return is;
}

static int
acme_get_directory(struct acme_sess *s)
{
	struct acme_resp r;
	char err[160];
	int rc = -1;

	if (acme_http(s, s->cfg->directory, NULL, false, &r) != 0)
		return -1;
	if (r.status != 200)
		acme_problem(s, "directory", &r, NULL);
	else if (r.body == NULL || acme_directory_parse(r.body, r.len, &s->dir, err, sizeof(err)) != 0)
		acme_fail(s, "directory %s: %s", s->cfg->directory, r.body ? err : "empty");
	else
		rc = 0;
	acme_resp_free(&r);
	return rc;
}

static int
acme_new_nonce(struct acme_sess *s)
{
	struct acme_resp r;
	int rc;

	if (acme_http(s, s->dir.new_nonce, NULL, true, &r) != 0)
		return -1;
	rc = r.nonce[0] != '\0' ? 0 : -1;
	if (rc != 0)
		acme_fail(s, "newNonce: no Replay-Nonce in the answer (%ld)", r.status);
	acme_resp_free(&r);
	return rc;
}

/* POST a JWS of payload (NULL: POST-as-GET) to url, signed with the account
 * key (by jwk for newAccount, else by kid). badNonce is retried with the
 * nonce its answer carries (RFC 8555 6.5). 0 with a 2xx answer in r, or -1
 * with s->err. */
static int
acme_post(struct acme_sess *s, const char *what, const char *url, const char *payload,
          bool jwk, struct acme_resp *r)
{
	char names[1024];

	for (int tries = 0; tries < ACME_BAD_NONCE_TRIES; tries++) {
		char *jws;
		int rc;

		if (s->nonce[0] == '\0' && acme_new_nonce(s) != 0)
			return -1;
		jws = acme_jws(s->account, jwk ? NULL : s->kid, s->nonce, url, payload);
		s->nonce[0] = '\0';  /* each nonce once */
		if (jws == NULL) {
			acme_fail(s, "%s: cannot sign the request", what);
			return -1;
		}
		rc = acme_http(s, url, jws, false, r);
		free(jws);
		if (rc != 0)
			return -1;
		if (r->status >= 200 && r->status < 300)
			return 0;
		if (!acme_problem(s, what, r, "urn:ietf:params:acme:error:badNonce")) {
			acme_resp_free(r);
			return -1;
		}
		acme_resp_free(r);  /* badNonce: again, with the nonce it brought */
		log_msg(s->a->elog, CONFIG_LOG_INFO,
		        "acme: %s: %s: the CA refused the nonce (badNonce); again with a fresh one",
		        acme_names_text(s->l, names, sizeof(names)), what);
	}
	return -1;
}

/* The account key from storage, or a new one stored there. */
static int
acme_account_key(struct acme_sess *s)
{
	char path[PATH_MAX], err[160];
	size_t len = 0;
	char *pem;

	if ((size_t)snprintf(path, sizeof(path), "%s/account.key", s->path) >= sizeof(path)) {
		acme_fail(s, "storage path too long");
		return -1;
	}
	pem = acme_read_file(path, &len);
	if (pem != NULL) {
		int rc = acme_key_from_pem(pem, len, &s->account, err, sizeof(err));

		acme_wipe(pem, len);
		free(pem);
		if (rc != 0)
			acme_fail(s, "%s: %s", path, err);
		return rc;
	}
	if (errno != ENOENT) {
		acme_fail(s, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	if (acme_key_generate(&s->account) != 0 || acme_key_to_pem(s->account, &pem, &len) != 0) {
		acme_fail(s, "cannot make an account key");
		return -1;
	}
	if (acme_write_atomic(s->path, "account.key", pem, len, s->err, sizeof(s->err)) != 0) {
		acme_wipe(pem, len);
		free(pem);
		return -1;
	}
	acme_wipe(pem, len);
	free(pem);
	return 0;
}

/* newAccount (7.3): creates it the first time, finds it after; its URL is
 * the kid of every later request. */
static int
acme_account(struct acme_sess *s)
{
	json_t *req = json_pack("{s:b}", "termsOfServiceAgreed", 1);
	struct acme_resp r;
	char *payload = NULL;
	int rc = -1;

	if (req != NULL && s->cfg->email != NULL) {
		char contact[320];

		snprintf(contact, sizeof(contact), "mailto:%s", s->cfg->email);
		json_object_set_new(req, "contact", json_pack("[s]", contact));
	}
	payload = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (payload == NULL) {
		acme_fail(s, "newAccount: out of memory");
		return -1;
	}
	if (acme_post(s, "newAccount", s->dir.new_account, payload, true, &r) == 0) {
		if (r.location[0] == '\0') {
			acme_fail(s, "newAccount: no account URL in the answer");
		} else {
			memcpy(s->kid, r.location, sizeof(s->kid));
			rc = 0;
		}
		acme_resp_free(&r);
	}
	free(payload);
	return rc;
}

/* Sleep secs (bounded), or less when the server stops: -1 then. */
static int
acme_nap(struct acme *a, long secs)
{
	struct timespec until;

	if (secs < 1)
		secs = 1;
	if (secs > ACME_POLL_SECS_MAX)
		secs = ACME_POLL_SECS_MAX;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += secs;
	pthread_mutex_lock(&a->lock);
	while (!atomic_load(&a->stop) &&
	       pthread_cond_timedwait(&a->cond, &a->lock, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&a->lock);
	return atomic_load(&a->stop) ? -1 : 0;
}

/* Put up the answer to a challenge where the CA will look for it. */
static int
acme_publish(struct acme_sess *s, const char *name, const struct acme_challenge *ch)
{
	char keyauth[CHALLENGE_KEYAUTH_MAX + 1];
	unsigned char digest[32];
	char *cert = NULL, *key = NULL;
	const char *id = s->cfg->challenge == CONFIG_ACME_HTTP_01 ? ch->token : name;
	int rc;

	if (s->npublished == CHALLENGE_MAX ||
	    acme_key_authorization(s->account, ch->token, keyauth, sizeof(keyauth)) < 0) {
		acme_fail(s, "%s: cannot make the key authorization", name);
		return -1;
	}
	if (s->cfg->challenge == CONFIG_ACME_HTTP_01) {
		rc = s->a->http01 ? challenges_put(s->a->http01, ch->token, keyauth) : -1;
	} else {
		acme_sha256(keyauth, strlen(keyauth), digest);
		rc = acme_alpn_cert(name, digest, &cert, &key);
		if (rc == 0)
			rc = s->a->alpn01 ? tls_challenges_put(s->a->alpn01, name, cert, key) : -1;
		if (key != NULL)
			acme_wipe(key, strlen(key));
		free(key);
		free(cert);
	}
	if (rc != 0 || (s->published[s->npublished] = strdup(id)) == NULL) {
		acme_fail(s, "%s: cannot put up the %s answer", name, ch->type);
		return -1;
	}
	s->npublished++;
	return 0;
}

static void
acme_unpublish(struct acme_sess *s)
{
	for (size_t i = 0; i < s->npublished; i++) {
		if (s->cfg->challenge == CONFIG_ACME_HTTP_01 && s->a->http01 != NULL)
			challenges_remove(s->a->http01, s->published[i]);
		else if (s->a->alpn01 != NULL)
			tls_challenges_remove(s->a->alpn01, s->published[i]);
		free(s->published[i]);
	}
	s->npublished = 0;
}

/* POST-as-GET an authorization into z. */
static int
acme_get_authz(struct acme_sess *s, const char *url, struct acme_authz *z)
{
	struct acme_resp r;
	char err[160];
	int rc = -1;

	if (acme_post(s, "authorization", url, NULL, false, &r) != 0)
		return -1;
	if (r.body == NULL || acme_authz_parse(r.body, r.len, z, err, sizeof(err)) != 0)
		acme_fail(s, "authorization %s: %s", url, r.body ? err : "empty");
	else
		rc = 0;
	acme_resp_free(&r);
	return rc;
}

/* One authorization (7.5): done when valid; else answer its challenge of
 * our type and poll until the CA has decided. */
static int
acme_authorize(struct acme_sess *s, const char *url)
{
	const char *type = s->cfg->challenge == CONFIG_ACME_HTTP_01 ? "http-01" : "tls-alpn-01";
	struct acme_authz z = {0};
	const struct acme_challenge *ch;
	struct acme_resp r;
	int rc = -1;

	if (acme_get_authz(s, url, &z) != 0)
		return -1;
	if (z.status == ACME_STATUS_VALID) {
		acme_authz_free(&z);
		return 0;
	}
	ch = acme_authz_challenge(&z, type);
	if (z.status != ACME_STATUS_PENDING || ch == NULL) {
		acme_fail(s, "authorization of %s is %s%s", z.identifier, acme_status_name(z.status),
		          ch == NULL ? " and offers no challenge of the configured type" : "");
		goto out;
	}
	if (acme_publish(s, z.identifier, ch) != 0)
		goto out;
	if (acme_post(s, "challenge", ch->url, "{}", false, &r) != 0)
		goto out;
	acme_resp_free(&r);
	for (int i = 0; i < ACME_POLL_MAX; i++) {
		char name[256];

		if (acme_nap(s->a, s->retry_after > 0 ? s->retry_after : 1) != 0) {
			acme_fail(s, "stopped");
			goto out;
		}
		snprintf(name, sizeof(name), "%s", z.identifier);
		acme_authz_free(&z);
		if (acme_get_authz(s, url, &z) != 0)
			goto out;
		if (z.status == ACME_STATUS_VALID) {
			rc = 0;
			goto out;
		}
		if (z.status != ACME_STATUS_PENDING && z.status != ACME_STATUS_PROCESSING) {
			ch = acme_authz_challenge(&z, type);
			acme_fail(s, "validation of %s by %s failed: %s: %s", name, type,
			          ch && ch->error.type ? ch->error.type : acme_status_name(z.status),
			          ch && ch->error.detail ? ch->error.detail : "(no detail)");
			goto out;
		}
	}
	acme_fail(s, "validation of %s: the CA did not decide after %d polls", z.identifier,
	          ACME_POLL_MAX);
out:
	acme_authz_free(&z);
	return rc;
}

/* POST-as-GET the order at url into o. */
static int
acme_get_order(struct acme_sess *s, const char *url, struct acme_order *o)
{
	struct acme_resp r;
	char err[160];
	int rc = -1;

	if (acme_post(s, "order", url, NULL, false, &r) != 0)
		return -1;
	if (r.body == NULL || acme_order_parse(r.body, r.len, o, err, sizeof(err)) != 0)
		acme_fail(s, "order %s: %s", url, r.body ? err : "empty");
	else
		rc = 0;
	acme_resp_free(&r);
	return rc;
}

/* newOrder (7.4): its URL into url and the order into o. */
static int
acme_new_order(struct acme_sess *s, char *url, size_t len, struct acme_order *o)
{
	json_t *ids = json_array(), *req;
	struct acme_resp r;
	char *payload, err[160];
	int rc = -1;

	for (size_t i = 0; ids != NULL && i < s->l->nacme; i++)
		json_array_append_new(ids, json_pack("{s:s,s:s}", "type", "dns", "value", s->l->acme[i]));
	req = ids ? json_pack("{s:o}", "identifiers", ids) : NULL;
	payload = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (payload == NULL) {
		acme_fail(s, "newOrder: out of memory");
		return -1;
	}
	if (acme_post(s, "newOrder", s->dir.new_order, payload, false, &r) == 0) {
		if (r.location[0] == '\0' || strlen(r.location) >= len)
			acme_fail(s, "newOrder: no order URL in the answer");
		else if (r.body == NULL || acme_order_parse(r.body, r.len, o, err, sizeof(err)) != 0)
			acme_fail(s, "newOrder: %s", r.body ? err : "empty answer");
		else
			rc = 0;
		if (rc == 0)
			snprintf(url, len, "%s", r.location);
		acme_resp_free(&r);
	}
	free(payload);
	return rc;
}

/* finalize (7.4) with a CSR for key, then poll until the certificate is
 * issued; its URL into o->certificate. */
static int
acme_finalize(struct acme_sess *s, const char *order_url, struct acme_order *o,
              const struct acme_key *key)
{
	char *csr = acme_csr(key, (const char *const *)s->l->acme, s->l->nacme);
	json_t *req = csr ? json_pack("{s:s}", "csr", csr) : NULL;
	char *payload = req ? json_dumps(req, JSON_COMPACT) : NULL;
	struct acme_resp r;
	int rc = -1;

	json_decref(req);
	free(csr);
	if (payload == NULL) {
		acme_fail(s, "cannot make the CSR");
		return -1;
	}
	if (acme_post(s, "finalize", o->finalize, payload, false, &r) != 0)
		goto out;
	acme_resp_free(&r);
	for (int i = 0; i < ACME_POLL_MAX; i++) {
		acme_order_free(o);
		if (acme_get_order(s, order_url, o) != 0)
			goto out;
		if (o->status == ACME_STATUS_VALID && o->certificate != NULL) {
			rc = 0;
			goto out;
		}
		if (o->status != ACME_STATUS_PROCESSING && o->status != ACME_STATUS_READY) {
			acme_fail(s, "the order is %s: %s: %s", acme_status_name(o->status),
			          o->error.type ? o->error.type : "(no type)",
			          o->error.detail ? o->error.detail : "(no detail)");
			goto out;
		}
		if (acme_nap(s->a, s->retry_after > 0 ? s->retry_after : 1) != 0) {
			acme_fail(s, "stopped");
			goto out;
		}
	}
	acme_fail(s, "the CA did not issue the certificate after %d polls", ACME_POLL_MAX);
out:
	free(payload);
	return rc;
}

/* Download the chain, check it against the key and names, store both. */
static int
acme_download(struct acme_sess *s, const char *url, const struct acme_key *key,
              struct acme_cert_info *info)
{
	struct acme_resp r;
	char name[300], err[200], *pem = NULL;
	size_t len = 0;
	int rc = -1;

	if (acme_post(s, "certificate", url, NULL, false, &r) != 0)
		return -1;
	if (acme_key_to_pem(key, &pem, &len) != 0) {
		acme_fail(s, "cannot write the key");
	} else if (r.body == NULL || acme_cert_info(r.body, r.len, pem, len,
	                                            (const char *const *)s->l->acme, s->l->nacme,
	                                            info, err, sizeof(err)) != 0) {
		acme_fail(s, "the certificate from the CA is unusable: %s", r.body ? err : "empty");
	} else if (!info->names_match) {
		acme_fail(s, "the certificate from the CA names other names");
	} else {
		/* the key first: a certificate is never stored without its key */
		snprintf(name, sizeof(name), "%s.key", s->l->acme[0]);
		if (acme_write_atomic(s->path, name, pem, len, s->err, sizeof(s->err)) == 0) {
			snprintf(name, sizeof(name), "%s.crt", s->l->acme[0]);
			rc = acme_write_atomic(s->path, name, r.body, r.len, s->err, sizeof(s->err));
		}
	}
	if (pem != NULL)
		acme_wipe(pem, len);
	free(pem);
	acme_resp_free(&r);
	return rc;
}

/* Everything, from the directory to the stored certificate. */
static int
acme_obtain(struct acme_sess *s, struct acme_cert_info *info)
{
	struct acme_order o = {0};
	struct acme_key *key = NULL;
	char order_url[ACME_URL_MAX + 1];
	int rc = -1;

	if (acme_make_dirs(s->cfg, s->path, sizeof(s->path), s->err, sizeof(s->err)) != 0 ||
	    acme_account_key(s) != 0 || acme_get_directory(s) != 0 || acme_account(s) != 0 ||
	    acme_new_order(s, order_url, sizeof(order_url), &o) != 0)
		goto out;
	for (size_t i = 0; i < o.nauthorizations; i++) {
		if (acme_authorize(s, o.authorizations[i]) != 0)
			goto out;
	}
	if (acme_key_generate(&key) != 0) {
		acme_fail(s, "cannot make a key");
		goto out;
	}
	if (acme_finalize(s, order_url, &o, key) != 0)
		goto out;
	rc = acme_download(s, o.certificate, key, info);
out:
	acme_unpublish(s);
	acme_key_free(key);
	acme_order_free(&o);
	return rc;
}

/* When a certificate valid from not_before to not_after is due: renew_before
 * ahead of its end, by default 30 days or a third of its lifetime. */
static int64_t
acme_due(const struct config_acme *a, int64_t not_after, int64_t lifetime)
{
	int64_t before = (int64_t)(a->renew_before_ms / 1000);

	if (before == 0) {
		before = ACME_RENEW_DEFAULT;
		if (lifetime > 0 && lifetime / 3 < before)
			before = lifetime / 3;
	}
	return not_after - before;
}

/* Ask main for a generation with the new certificate; wait (bounded) for it. */
static bool
acme_install(struct acme *a)
{
	struct timespec until;
	unsigned long seq;
	bool ok = false;

	pthread_mutex_lock(&a->lock);
	seq = ++a->rebuild_seq;
	pthread_mutex_unlock(&a->lock);
	a->rebuild(a->arg);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 30;
	pthread_mutex_lock(&a->lock);
	while (!atomic_load(&a->stop) && a->rebuilt_seq < seq &&
	       pthread_cond_timedwait(&a->cond, &a->lock, &until) != ETIMEDOUT)
		;
	ok = a->rebuilt_seq >= seq && a->rebuilt_ok;
	pthread_mutex_unlock(&a->lock);
	return ok;
}

/* Check one name set, and order when its certificate is missing or due. */
static void
acme_job_run(struct acme *a, struct acme_job *j)
{
	const struct config *cfg = a->gen->cfg;
	struct acme_sess s = {.a = a, .cfg = &cfg->acme, .l = &cfg->listeners[j->listener]};
	int64_t now = (int64_t)time(NULL), due;
	char when[32], err[300];
	struct acme_cert_info info = {0};
	int r = acme_stored(cfg, s.l, &info, err, sizeof(err));
	long delay;

	if (r == 1) {
		due = acme_due(s.cfg, info.not_after, info.not_after - info.not_before);
		if (now < due) {
			if (!j->told)
				log_msg(a->elog, CONFIG_LOG_INFO,
				        "acme: %s: using the stored certificate, valid until %s", j->names,
				        acme_time_text(info.not_after, when, sizeof(when)));
			j->told = true;
			j->fails = 0;
			j->next_at = due < now + ACME_CHECK_SECS ? due : now + ACME_CHECK_SECS;
			return;
		}
		log_msg(a->elog, CONFIG_LOG_INFO, "acme: %s: renewing, valid until %s", j->names,
		        acme_time_text(info.not_after, when, sizeof(when)));
	} else if (r == 2) {
		log_msg(a->elog, CONFIG_LOG_INFO,
		        "acme: %s: the stored certificate names other names; it serves the names it "
		        "has until the new one comes", j->names);
	} else if (r < 0) {
		log_msg(a->elog, CONFIG_LOG_WARN, "acme: %s: the stored certificate cannot serve: %s",
		        j->names, err);
	}
	log_msg(a->elog, CONFIG_LOG_INFO, "acme: %s: ordering a certificate from %s (%s)", j->names,
	        s.cfg->directory, s.cfg->challenge == CONFIG_ACME_HTTP_01 ? "http-01" : "tls-alpn-01");
	s.curl = curl_easy_init();
	if (s.curl == NULL)
		acme_fail(&s, "cannot start an HTTPS client");
	if (s.curl != NULL && acme_obtain(&s, &info) == 0) {
		now = (int64_t)time(NULL);
		if (acme_install(a))
			log_msg(a->elog, CONFIG_LOG_INFO, "acme: %s: certificate installed, valid until %s",
			        j->names, acme_time_text(info.not_after, when, sizeof(when)));
		else
			log_msg(a->elog, CONFIG_LOG_ERROR,
			        "acme: %s: certificate stored, but no new configuration could serve it "
			        "(see above); it is served after the next reload", j->names);
		j->told = true;
		j->fails = 0;
		due = acme_due(s.cfg, info.not_after, info.not_after - info.not_before);
		j->next_at = due > now + ACME_REORDER_MIN ? due : now + ACME_REORDER_MIN;
		if (j->next_at > now + ACME_CHECK_SECS)
			j->next_at = now + ACME_CHECK_SECS;
	} else if (!atomic_load(&a->stop)) {
		unsigned shift = j->fails < 16 ? j->fails : 16;

		delay = s.network ? ACME_NET_BACKOFF << shift : ACME_BACKOFF << shift;
		if (delay > (s.network ? ACME_NET_BACKOFF_MAX : ACME_BACKOFF_MAX))
			delay = s.network ? ACME_NET_BACKOFF_MAX : ACME_BACKOFF_MAX;
		if (s.retry_after > delay && s.retry_after < 7 * 86400)
			delay = s.retry_after;  /* a rate limit's Retry-After */
		j->fails++;
		j->next_at = (int64_t)time(NULL) + delay + 1;  /* whole seconds: never early */
		log_msg(a->elog, CONFIG_LOG_ERROR, "acme: %s: %s; retrying in %ld s", j->names, s.err,
		        delay);
	}
	if (s.curl != NULL)
		curl_easy_cleanup(s.curl);
	acme_directory_free(&s.dir);
	acme_key_free(s.account);
}

/* The name sets of generation g, keeping what the old jobs knew of the
 * same sets (their backoff); every one is checked at once. */
static void
acme_jobs_reset(struct acme *a, struct gen *g)
{
	const struct config *cfg = g->cfg;
	struct acme_job *jobs = calloc(cfg->nlisteners ? cfg->nlisteners : 1, sizeof(*jobs));
	size_t n = 0;

	if (jobs == NULL) {
		log_msg(a->elog, CONFIG_LOG_ERROR, "acme: out of memory");
		return;
	}
	for (size_t i = 0; i < cfg->nlisteners; i++) {
		const struct config_listener *l = &cfg->listeners[i];
		struct acme_job *j = &jobs[n];

		if (l->nacme == 0 || !cfg->acme.on)
			continue;
		j->listener = i;
		acme_names_text(l, j->names, sizeof(j->names));
		for (size_t k = 0; k < a->njobs; k++) {
			if (strcmp(a->jobs[k].names, j->names) == 0)
				j->fails = a->jobs[k].fails;
		}
		j->next_at = 0;
		n++;
	}
	free(a->jobs);
	a->jobs = jobs;
	a->njobs = n;
	gen_unref(a->gen);
	a->gen = g;
}

static void *
acme_main(void *arg)
{
	struct acme *a = arg;

	for (;;) {
		struct gen *g = NULL;
		int64_t now = (int64_t)time(NULL), next = now + ACME_CHECK_SECS;
		struct timespec until = {0};

		pthread_mutex_lock(&a->lock);
		for (size_t i = 0; i < a->njobs; i++)
			if (a->jobs[i].next_at < next)
				next = a->jobs[i].next_at;
		until.tv_sec = (time_t)next;
		while (!atomic_load(&a->stop) && a->next == NULL && next > (int64_t)time(NULL) &&
		       pthread_cond_timedwait(&a->cond, &a->lock, &until) != ETIMEDOUT)
			;
		g = a->next;
		a->next = NULL;
		pthread_mutex_unlock(&a->lock);
		if (atomic_load(&a->stop)) {
			gen_unref(g);
			break;
		}
		if (g != NULL) {
			acme_jobs_reset(a, g);
			continue;
		}
		for (size_t i = 0; i < a->njobs && !atomic_load(&a->stop); i++) {
			if (a->jobs[i].next_at <= (int64_t)time(NULL))
				acme_job_run(a, &a->jobs[i]);
		}
	}
	return NULL;
}

int
acme_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void
acme_global_fini(void)
{
	curl_global_cleanup();
}

struct acme *
acme_new(struct log_error *elog, struct challenges *http01, struct tls_challenges *alpn01,
         void (*rebuild)(void *), void *arg)
{
	struct acme *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->cond, NULL);
	a->elog = elog;
	a->http01 = http01;
	a->alpn01 = alpn01;
	a->rebuild = rebuild;
	a->arg = arg;
	return a;
}

static bool
acme_gen_wants(const struct gen *g)
{
	for (size_t i = 0; g->cfg->acme.on && i < g->cfg->nlisteners; i++)
		if (g->cfg->listeners[i].nacme > 0)
			return true;
	return false;
}

void
acme_configure(struct acme *a, struct gen *g)
{
	struct gen *old;

	if (!a->started && !acme_gen_wants(g))
		return;  /* no thread until some listener has acme: names */
	gen_ref(g);
	pthread_mutex_lock(&a->lock);
	old = a->next;
	a->next = g;
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
	gen_unref(old);
	if (!a->started) {
		if (pthread_create(&a->thread, NULL, acme_main, a) == 0)
			a->started = true;
		else
			log_msg(a->elog, CONFIG_LOG_ERROR, "acme: cannot start its thread: %s",
			        strerror(errno));
	}
}

void
acme_rebuilt(struct acme *a, bool ok)
{
	pthread_mutex_lock(&a->lock);
	a->rebuilt_seq = a->rebuild_seq;
	a->rebuilt_ok = ok;
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
}

void
acme_free(struct acme *a)
{
	if (a == NULL)
		return;
	pthread_mutex_lock(&a->lock);
	atomic_store(&a->stop, true);
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
	if (a->started)
		pthread_join(a->thread, NULL);
	gen_unref(a->next);
	gen_unref(a->gen);
	free(a->jobs);
	pthread_cond_destroy(&a->cond);
	pthread_mutex_destroy(&a->lock);
	free(a);
}
