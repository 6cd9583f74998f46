/* tls: OpenSSL behind a small libtls-shaped API. With tls_seal.c (and
 * ACME's acme_crypto.c), the only files that include OpenSSL headers.
 * Policy (SPEC.md): TLS 1.2 and 1.3 only, ECDHE + AEAD suites only, no
 * compression, no renegotiation, server preference. */
#include "tlserve/tls.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tlserve/config.h"
#include "tlserve/tls_seal.h"
#include "tlserve/util.h"

/* TLS 1.2 suites: forward secret (ECDHE) and AEAD only, ECDSA before RSA. */
#define TLS_DEFAULT_CIPHERS                                                                        \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                               \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                               \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define TLS_DEFAULT_GROUPS "X25519:P-256:P-384"
/* TLS 1.3 suites, AES-128-GCM first: as strong as the web needs, a cheaper
 * key schedule (SHA-256) and faster bulk encryption than AES-256 */
#define TLS_DEFAULT_SUITES "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384"

struct tls_sni_entry {
	const char *name;  /* borrowed from the configuration; "*.x" for wildcards */
	SSL_CTX *ctx;
};

/* Session ticket keys (RFC 5077 layout, nginx's 80-byte key file format:
 * 16 bytes name, 32 bytes HMAC-SHA256 secret, 32 bytes AES-256 key). */
#define TLS_TICKET_KEYS 4            /* in-memory keys kept for decryption */
#define TLS_TICKET_ROTATE_SECS 3600  /* a new in-memory encryption key every hour */
#define TLS_SESSION_TIMEOUT 7200     /* sessions (and ticket lifetimes) last 2 hours */
#define TLS_TICKET_FILE_MAX 64       /* keys read from ticket_key_file */

struct tls_ticket_key {
	unsigned char name[16];
	unsigned char hmac[32];
	unsigned char aes[32];
};

struct tls_tickets {
	pthread_rwlock_t lock;           /* handshakes read, rotation writes */
	struct tls_ticket_key *keys;     /* keys[0] encrypts, all decrypt */
	size_t n;
	bool from_file;
	time_t made;                     /* when keys[0] was made (in-memory keys) */
};

/* The TLS-ALPN-01 answers (RFC 8737) the ACME thread publishes while a CA
 * validates: one self-signed certificate per name, shared by every
 * listener's handshakes. */
#define TLS_CHALLENGES_MAX 100
struct tls_challenge {
	char name[254];
	SSL_CTX *ctx;
};

struct tls_challenges {
	pthread_mutex_t lock;
	struct tls_challenge v[TLS_CHALLENGES_MAX];
	size_t n;
};

struct tls_server {
	atomic_int refs;
	struct tls_tickets tickets;
	SSL_CTX *ctx;                 /* the listener's default certificate */
	bool no_cert;                 /* ctx has none: a name nothing matches is refused */
	struct tls_challenges *chal;  /* TLS-ALPN-01 answers, or NULL */
	struct tls_sni_entry *sni;
	size_t nsni;
	SSL_CTX **sni_ctx;            /* one per config_sni entry, then ACME's */
	size_t nsni_ctx;
	int ktls;
	enum tls_alpn alpn;
};

/* The socket under a connection as tlserve's own BIO sees it. */
struct tls_sock {
	int fd;
	bool drained;  /* the last read(2) found the receive queue empty */
	bool hup;      /* the peer shut its side, or the socket failed */
	bool more;     /* more records follow at once: send with MSG_MORE */
	bool hold;     /* the caller sends more right after this write (TLS_WRITE_HOLD) */
	bool corked;   /* bytes wait in the socket for a push (sent with MSG_MORE) */
	short first;   /* the first byte the peer sent, or -1 before any */
	/* tls_write's records are collected in the worker's batch and leave
	 * with one send(2); what the socket did not take waits in pend, and
	 * goes before any other byte (tls_flush) */
	struct tls_batch *batch;  /* the worker's, or NULL: one send per record */
	size_t blen;              /* bytes collected in batch during a tls_write */
	bool batching;            /* inside tls_write: records go to the batch */
	unsigned char *pend;      /* a batch buffer whose end a send left */
	size_t pend_off, pend_len;
	bool pend_copy;           /* pend is a small copy of that end (malloc) */
	/* TLS 1.3 records sealed here, not by OpenSSL (tls_sock_seal_start) */
	struct tls_seal *seal;
	unsigned char rtype;      /* the next record's content type */
	bool release;             /* SSL_MODE_RELEASE_BUFFERS is on for the KeyUpdate record */
	bool failed;              /* a send failed: nothing more is written */
	SSL *ssl;                 /* the connection, for that mode */
};

/* One connection: the SSL object and what tlserve tracks beside it. */
struct tls_conn {
	SSL *ssl;
	struct tls_sock sock;   /* the BIO's state; unused under OpenSSL's socket BIO */
	bool own_bio;           /* sock is the BIO under ssl (user-space path) */
	bool notify_out;        /* our close_notify has left OpenSSL for the socket */
	bool read_wants_write;  /* the last SSL_read stopped on a blocked write */
};

/* ALPN wire format: a length byte, then the name. Ours, in preference order:
 * h2 (unless a listener turned it off), HTTP/1.1, and HTTP/1.0 for the
 * clients that announce it (curl --http1.0). */
static const unsigned char tls_alpn_h2[] = "\x02h2\x08http/1.1\x08http/1.0";
static const unsigned char tls_alpn_http11[] = "\x08http/1.1\x08http/1.0";
/* RFC 8737 4: the protocol of an ACME validation handshake */
static const unsigned char tls_alpn_acme[] = "\x0a" "acme-tls/1";

/* The socket BIO of tlserve's user-space path. Beside what OpenSSL's own
 * does, it notes a short read (the receive queue was empty: the next read
 * can wait for epoll's word) and sends with MSG_MORE while tls_write has
 * further records at hand, so a 64 KiB write leaves as one TCP push, not
 * four. Kernel TLS needs OpenSSL's socket BIO, and keeps it. */
static int
tls_sock_read(BIO *b, char *buf, size_t len, size_t *got)
{
	struct tls_sock *s = BIO_get_data(b);
	ssize_t n;

	BIO_clear_retry_flags(b);
	if (s->drained && !s->hup) {
		/* empty until epoll says otherwise (tls_sock_event): the read
		 * after the server's handshake flight, say, is not made at all */
		BIO_set_retry_read(b);
		*got = 0;
		return -1;
	}
	n = read(s->fd, buf, len);
	s->drained = n < (ssize_t)len;
	if (n > 0) {
		if (s->first < 0)
			s->first = (unsigned char)buf[0];
		*got = (size_t)n;
		return 1;
	}
	*got = 0;
	if (n == 0)
		BIO_set_flags(b, BIO_FLAGS_IN_EOF);
	else if (errno == EAGAIN || errno == EINTR)
		BIO_set_retry_read(b);
	return n == 0 ? 0 : -1;
}

static int tls_batch_send(struct tls_sock *, bool more);
static void tls_sock_release_mode(struct tls_sock *, bool on);
static int tls_sock_write_sealed(BIO *, struct tls_sock *, const char *, size_t, size_t *);

static int
tls_sock_write(BIO *b, const char *buf, size_t len, size_t *put)
{
	struct tls_sock *s = BIO_get_data(b);
	ssize_t n;

	BIO_clear_retry_flags(b);
	if (s->failed) {
		*put = 0;
		return -1;
	}
	if (s->release && s->rtype != SSL3_RT_HANDSHAKE)
		tls_sock_release_mode(s, false);  /* the KeyUpdate record is out */
	if (s->seal != NULL)
		return tls_sock_write_sealed(b, s, buf, len, put);
	if (s->batching || s->pend_len > 0) {
		/* into the batch; or, with ciphertext still waiting, "retry":
		 * OpenSSL keeps the record until that has gone (the order of
		 * the stream) */
		if (!s->batching || s->blen + len > TLS_BATCH_SIZE) {
			BIO_set_retry_write(b);
			*put = 0;
			return -1;
		}
		memcpy(s->batch->buf + s->blen, buf, len);
		s->blen += len;
		*put = len;
		return 1;
	}
	n = send(s->fd, buf, len, MSG_NOSIGNAL | (s->more ? MSG_MORE : 0));
	if (n >= 0) {
		s->corked = s->more;  /* a send without MSG_MORE pushes all that waits */
		*put = (size_t)n;
		return 1;
	}
	*put = 0;
	if (errno == EAGAIN || errno == EINTR)
		BIO_set_retry_write(b);
	return -1;
}

/* Sealing records in the BIO. OpenSSL 3.0 and 3.1 hand a BIO that says it
 * can do kernel TLS the write key, IV and sequence number once the TLS 1.3
 * handshake has its application keys (these controls, public in bio.h's
 * comment, internal in name), and from then on give it each record's
 * plaintext straight from the caller's buffer, with its content type set
 * before any record that is not application data. Sealed here, the record
 * goes straight into the batch: no copy into OpenSSL's record buffer and
 * none out of it. Later OpenSSL versions pass the keys differently, and
 * TLS 1.2 is left to OpenSSL: both keep the copying path. */
#define TLS_BIO_CTRL_SET_KTLS 72
#define TLS_BIO_CTRL_SET_KTLS_TX_SEND_CTRL_MSG 74
#define TLS_BIO_CTRL_CLEAR_KTLS_TX_CTRL_MSG 75

/* Made once by tls_init, before any thread starts, and only read after:
 * the ciphers sealing uses, and whether this OpenSSL is one it works with. */
static struct tls_seal_ciphers tls_seal_ciphers;
static bool tls_seal_usable;
/* The session tickets' cipher, fetched once for the same reason as
 * sealing's (NULL if it could not be: EVP_aes_256_cbc() then). */
static EVP_CIPHER *tls_ticket_cipher;

static long
tls_sock_seal_start(struct tls_sock *s, long is_tx, const void *info)
{
	/* a batch to seal into: every served connection has its worker's */
	if (!is_tx || !tls_seal_usable || s->batch == NULL || s->seal != NULL || s->ssl == NULL)
		return 0;
	s->seal = tls_seal_new(info, &tls_seal_ciphers);
	s->rtype = SSL3_RT_APPLICATION_DATA;
	return s->seal != NULL;
}

/* After a KeyUpdate of ours (asked for by the client) our key changes, and
 * OpenSSL 3.0 does not pass the new one on; its own write context has it,
 * its sequence number back at 0. So the connection goes back to OpenSSL's
 * record layer: sealing stops. It must stop exactly there: stopped under
 * the old key, OpenSSL would reuse our nonces from 0. So the KeyUpdate is
 * known by OpenSSL's state (writing it), not by the record's first byte
 * alone (the second record of a long session ticket may begin with any).
 * OpenSSL's record buffer must not keep pointing at the message it wrote
 * last (in this mode it points at the data written, which OpenSSL frees
 * after a post-handshake message): SSL_MODE_RELEASE_BUFFERS, set while the
 * KeyUpdate record is written (tls_sock_ctrl), makes it drop the pointer
 * once the record is written, and allocate a buffer of its own next. The
 * record may reach us only later, when a buffering BIO above us is
 * flushed: the mode is set when OpenSSL names the record's type. */
static bool
tls_sock_writing_key_update(const struct tls_sock *s)
{
	return SSL_get_state(s->ssl) == TLS_ST_SW_KEY_UPDATE;
}

/* The KeyUpdate message itself: type 24, length 1, update_requested 0/1. */
static bool
tls_is_key_update(const unsigned char *m, size_t len)
{
	return len == 5 && m[0] == SSL3_MT_KEY_UPDATE && m[1] == 0 && m[2] == 0 && m[3] == 1 &&
	       m[4] <= 1;
}

static void
tls_sock_seal_stop(struct tls_sock *s)
{
	tls_seal_free(s->seal);
	s->seal = NULL;
}

/* The mode stays only for the KeyUpdate record's write; a read under it
 * would free the read buffer each time it runs empty. */
static void
tls_sock_release_mode(struct tls_sock *s, bool on)
{
	if (on)
		SSL_set_mode(s->ssl, SSL_MODE_RELEASE_BUFFERS);
	else
		SSL_clear_mode(s->ssl, SSL_MODE_RELEASE_BUFFERS);
	s->release = on;
}

/* One record's plaintext from OpenSSL: sealed into the batch, and sent at
 * once unless tls_write collects more. Once sealed it is never refused:
 * what the socket does not take waits in pend, like a batch. A record
 * refused before sealing ("retry") stays with OpenSSL, which in this mode
 * reads it again later from where it was: only OpenSSL's own messages and
 * alerts, whose memory stays, may be refused so. Application data never
 * is (tls_write sends what waits first and never starts a record the batch
 * cannot take): if it were, the connection fails rather than have a
 * caller's buffer read again after it may have changed. */
static int
tls_sock_write_sealed(BIO *b, struct tls_sock *s, const char *buf, size_t len, size_t *put)
{
	unsigned char type = s->rtype;
	bool key_update;
	ssize_t n;

	*put = 0;
	if (s->pend_len > 0 || s->blen + len + TLS_SEAL_OVERHEAD > TLS_BATCH_SIZE) {
		if (type != SSL3_RT_APPLICATION_DATA)
			BIO_set_retry_write(b);
		return -1;
	}
	key_update = type == SSL3_RT_HANDSHAKE && tls_sock_writing_key_update(s) &&
	             tls_is_key_update((const unsigned char *)buf, len);
	n = tls_seal_record(s->seal, type, buf, len, s->batch->buf + s->blen);
	if (n < 0) {
		s->failed = true;  /* a record lost: nothing after it would open */
		return -1;
	}
	s->blen += (size_t)n;
	s->rtype = SSL3_RT_APPLICATION_DATA;
	if (key_update)
		tls_sock_seal_stop(s);
	if (!s->batching && tls_batch_send(s, s->more) != 0)
		return -1;
	*put = len;
	return 1;
}

static long
tls_sock_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct tls_sock *s = BIO_get_data(b);

	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;
	case BIO_CTRL_EOF:
		return BIO_test_flags(b, BIO_FLAGS_IN_EOF) != 0;
	case BIO_CTRL_GET_KTLS_SEND:
		return s != NULL && s->seal != NULL;
	case TLS_BIO_CTRL_SET_KTLS:
		return s != NULL ? tls_sock_seal_start(s, num, ptr) : 0;
	case TLS_BIO_CTRL_SET_KTLS_TX_SEND_CTRL_MSG:
		if (s == NULL || s->seal == NULL || num <= 0 || num > 255)
			return 0;
		s->rtype = (unsigned char)num;
		if (num == SSL3_RT_HANDSHAKE && tls_sock_writing_key_update(s))
			tls_sock_release_mode(s, true);  /* see tls_sock_seal_stop */
		return 1;
	case TLS_BIO_CTRL_CLEAR_KTLS_TX_CTRL_MSG:
		if (s != NULL)
			s->rtype = SSL3_RT_APPLICATION_DATA;
		return 1;
	default:
		return 0;
	}
}

static int
tls_sock_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

/* The method of those BIOs: made once by tls_init, before any thread
 * starts, and only read after (a BIO type index is a process-wide, finite
 * resource: one per reload would run out). NULL if it could not be made:
 * connections then get OpenSSL's socket BIO. */
static BIO_METHOD *tls_sock_method;

static BIO_METHOD *
tls_sock_method_new(void)
{
	int index = BIO_get_new_index();
	BIO_METHOD *m;

	if (index < 0)
		return NULL;
	m = BIO_meth_new(index | BIO_TYPE_SOURCE_SINK, "tlserve socket");

	if (m != NULL &&
	    (!BIO_meth_set_read_ex(m, tls_sock_read) || !BIO_meth_set_write_ex(m, tls_sock_write) ||
	     !BIO_meth_set_ctrl(m, tls_sock_ctrl) || !BIO_meth_set_create(m, tls_sock_create))) {
		BIO_meth_free(m);
		m = NULL;
	}
	return m;
}

void
tls_init(void)
{
	unsigned long v = OpenSSL_version_num();

	OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_LOAD_CRYPTO_STRINGS, NULL);
	tls_sock_method = tls_sock_method_new();
	tls_seal_ciphers_load(&tls_seal_ciphers);
	tls_ticket_cipher = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
	/* 3.0.14 (the oldest this builds for) to 3.1.x: the record layer the
	 * sealing BIO is written for; 3.2 replaced it */
	tls_seal_usable = tls_sock_method != NULL && v >= 0x300000e0UL && v < 0x30200000UL;
}

void
tls_fini(void)
{
	BIO_meth_free(tls_sock_method);
	tls_sock_method = NULL;
	tls_seal_ciphers_free(&tls_seal_ciphers);
	EVP_CIPHER_free(tls_ticket_cipher);
	tls_ticket_cipher = NULL;
	tls_seal_usable = false;
}

const char *
tls_library_version(void)
{
	return OpenSSL_version(OPENSSL_VERSION);
}

const char *
tls_build_version(void)
{
	return OPENSSL_VERSION_TEXT;
}

/* Append the OpenSSL error queue's last reason to msg, and clear the queue. */
static void
tls_errors_add(struct config_errors *errs, struct config_pos pos, const char *what,
               const char *path)
{
	char reason[160] = "unknown error";
	unsigned long e, last = 0;

	while ((e = ERR_get_error()) != 0)
		last = e;
	if (last != 0)
		ERR_error_string_n(last, reason, sizeof(reason));
	config_error_add(errs, pos.line, pos.col, "%s %s: %s", what, path ? path : "", reason);
}

/* Refuse to prompt for a passphrase: an encrypted key is a configuration error. */
static int
tls_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* ALPN (RFC 7301): our first protocol the client offers (arg non-NULL:
 * h2 is among ours); a client offering only other protocols gets a
 * no_application_protocol alert instead of a connection that hangs. */
static int
tls_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                const unsigned char *in, unsigned int inlen, void *arg)
{
	const unsigned char *ours = arg ? tls_alpn_h2 : tls_alpn_http11;
	unsigned int ourlen = arg ? sizeof(tls_alpn_h2) - 1 : sizeof(tls_alpn_http11) - 1;
	unsigned char *sel = NULL;

	(void)ssl;
	if (SSL_select_next_proto(&sel, outlen, ours, ourlen, in, inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

/* Does the host name match an SNI pattern? Exact, or "*.suffix" covering
 * exactly one further leftmost label (RFC 6125 6.4.3). Case-insensitive. */
static int
tls_sni_match(const char *pattern, const char *host)
{
	if (pattern[0] == '*' && pattern[1] == '.') {
		const char *dot = strchr(host, '.');

		return dot != NULL && dot != host && util_strieq(dot, strlen(dot), pattern + 1);
	}
	return util_strieq(host, strlen(host), pattern);
}

/* The first host_name of the server_name extension (RFC 6066 3), lower-cased
 * into buf. Returns 0, or -1 when there is none or it is malformed. */
static int
tls_hello_servername(SSL *ssl, char *buf, size_t len)
{
	const unsigned char *p;
	size_t n, list, namelen;

	if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &p, &n) || n < 2)
		return -1;
	list = (size_t)p[0] << 8 | p[1];
	if (list + 2 != n || list < 3 || p[2] != TLSEXT_NAMETYPE_host_name)
		return -1;
	namelen = (size_t)p[3] << 8 | p[4];
	if (namelen == 0 || namelen + 3 > list || namelen >= len)
		return -1;
	for (size_t i = 0; i < namelen; i++) {
		unsigned char ch = p[5 + i];

		if (ch <= 0x20 || ch >= 0x7f)
			return -1;
		buf[i] = util_lower((char)ch);
	}
	if (namelen > 1 && buf[namelen - 1] == '.')
		namelen--;  /* the DNS root: "a.example." is "a.example", as for Host */
	buf[namelen] = '\0';
	return 0;
}

/* Does the ClientHello's ALPN list hold acme-tls/1 and nothing else, as an
 * ACME validation's does (RFC 8737 3)? */
static bool
tls_hello_acme_only(SSL *ssl)
{
	const unsigned char *p;
	size_t n;

	if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_application_layer_protocol_negotiation, &p,
	                               &n) ||
	    n < 2)
		return false;
	return ((size_t)p[0] << 8 | p[1]) == n - 2 && n - 2 == sizeof(tls_alpn_acme) - 1 &&
	       memcmp(p + 2, tls_alpn_acme, n - 2) == 0;
}

/* A validation handshake: the name's challenge certificate, or a refusal
 * when no validation of it runs. It never reaches content: the handshake
 * negotiates acme-tls/1, and the connection closes after it. */
static int
tls_challenge_select(struct tls_challenges *t, SSL *ssl, const char *host, int *alert)
{
	int r = SSL_CLIENT_HELLO_ERROR;

	*alert = SSL_AD_UNRECOGNIZED_NAME;
	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < t->n; i++) {
		if (strcmp(t->v[i].name, host) == 0) {
			SSL_set_SSL_CTX(ssl, t->v[i].ctx);  /* referenced by ssl from here */
			r = SSL_CLIENT_HELLO_SUCCESS;
			break;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return r;
}

/* Choose the certificate by the client's server name as soon as the
 * ClientHello arrives, before any session is looked up: the SNI context's
 * session id context then decides which sessions may resume, so a session
 * never crosses from one name (or client-certificate policy) to another.
 * Unknown names keep the listener's default certificate. */
static int
tls_client_hello(SSL *ssl, int *alert, void *arg)
{
	struct tls_server *srv = arg;
	char host[256];
	bool named = tls_hello_servername(ssl, host, sizeof(host)) == 0;

	if (named && srv->chal != NULL && tls_hello_acme_only(ssl))
		return tls_challenge_select(srv->chal, ssl, host, alert);
	/* an exact name before any wildcard, as sites are chosen by Host */
	for (int pass = 0; named && pass < 2; pass++) {
		for (size_t i = 0; i < srv->nsni; i++) {
			if ((srv->sni[i].name[0] == '*') == (pass == 1) &&
			    tls_sni_match(srv->sni[i].name, host)) {
				SSL_set_SSL_CTX(ssl, srv->sni[i].ctx);
				return SSL_CLIENT_HELLO_SUCCESS;
			}
		}
	}
	if (srv->no_cert && !named && srv->nsni > 0) {
		/* no server name (a client by IP address): the first name's
		 * certificate, as a listener's own would be */
		SSL_set_SSL_CTX(ssl, srv->sni[0].ctx);
		return SSL_CLIENT_HELLO_SUCCESS;
	}
	if (srv->no_cert) {
		/* an ACME name whose certificate has not come yet, or a name
		 * nobody configured, on a listener without a certificate */
		*alert = SSL_AD_UNRECOGNIZED_NAME;
		return SSL_CLIENT_HELLO_ERROR;
	}
	return SSL_CLIENT_HELLO_SUCCESS;
}

/* Protocol policy and options shared by every SSL_CTX of a listener. */
static int
tls_ctx_policy(SSL_CTX *ctx, const struct config_tls *t, struct config_errors *errs)
{
	SSL_CTX_set_min_proto_version(ctx, t->min_version == 13 ? TLS1_3_VERSION : TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
	                             SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_IGNORE_UNEXPECTED_EOF);
	/* With tickets the client carries the session: a server-side cache
	 * would only hold memory (and a lock) for sessions nobody resumes by
	 * ID. Without tickets the cache is what resumption has. */
	if (!t->session_tickets)
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	else
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	/* one TLS 1.3 ticket per full handshake (OpenSSL sends two): a client
	 * resumes one connection at a time, and each ticket costs an encryption */
	SSL_CTX_set_num_tickets(ctx, t->session_tickets ? 1 : 0);
	/* Record buffers are freed when a connection goes idle (tls_idle), not
	 * after every record as SSL_MODE_RELEASE_BUFFERS would: a response of
	 * many records then costs no allocation per record. */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	                          SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_default_passwd_cb(ctx, tls_no_passphrase);
	/* read whole socket buffers, not a record header and then its body:
	 * one read(2) per request instead of two */
	SSL_CTX_set_read_ahead(ctx, 1);
	if (SSL_CTX_set_cipher_list(ctx, t->ciphers ? t->ciphers : TLS_DEFAULT_CIPHERS) != 1) {
		tls_errors_add(errs, (struct config_pos){0, 0}, "tls.ciphers", t->ciphers);
		return -1;
	}
	if (SSL_CTX_set_ciphersuites(ctx, t->ciphersuites ? t->ciphersuites : TLS_DEFAULT_SUITES) != 1) {
		tls_errors_add(errs, (struct config_pos){0, 0}, "tls.ciphersuites", t->ciphersuites);
		return -1;
	}
	if (SSL_CTX_set1_groups_list(ctx, TLS_DEFAULT_GROUPS) != 1) {
		tls_errors_add(errs, (struct config_pos){0, 0}, "groups", TLS_DEFAULT_GROUPS);
		return -1;
	}
	return 0;
}

/* Client certificate verification from client_ca (and client_crl). */
static int
tls_ctx_verify(SSL_CTX *ctx, const struct config_tls *t, struct config_errors *errs)
{
	STACK_OF(X509_NAME) *names;
	int mode;

	if (t->verify_client == CONFIG_VERIFY_OFF || t->client_ca == NULL)
		return 0;
	if (SSL_CTX_load_verify_locations(ctx, t->client_ca, NULL) != 1) {
		tls_errors_add(errs, t->client_ca_pos, "cannot load client_ca", t->client_ca);
		return -1;
	}
	names = SSL_load_client_CA_file(t->client_ca);
	if (names == NULL) {
		tls_errors_add(errs, t->client_ca_pos, "no CA names in client_ca", t->client_ca);
		return -1;
	}
	SSL_CTX_set_client_CA_list(ctx, names);
	if (t->client_crl) {
		X509_STORE *store = SSL_CTX_get_cert_store(ctx);
		X509_LOOKUP *lu = X509_STORE_add_lookup(store, X509_LOOKUP_file());

		if (lu == NULL || X509_load_crl_file(lu, t->client_crl, X509_FILETYPE_PEM) <= 0) {
			tls_errors_add(errs, t->client_crl_pos, "cannot load client_crl", t->client_crl);
			return -1;
		}
		X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
	}
	mode = SSL_VERIFY_PEER;
	if (t->verify_client == CONFIG_VERIFY_REQUIRE)
		mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	SSL_CTX_set_verify(ctx, mode, NULL);
	return 0;
}

/* A session resumes only where it was made: its session id context is a
 * hash of the listener's name, the certificate (its contents, so instances
 * of a fleet that keep the same certificate at different paths still
 * resume each other's sessions) and the client-certificate policy (mode and
 * accepted CA names). OpenSSL refuses to resume a session (ID, ticket or
 * TLS 1.3 PSK) whose context differs, which rules out the cross-name and
 * cross-policy resumptions of nginx CVE-2014-3616 and CVE-2025-23419 by
 * construction. */
static int
tls_ctx_bind_sessions(SSL_CTX *ctx, const struct config_listener *l)
{
	unsigned char md[EVP_MAX_MD_SIZE], certmd[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, certlen = 0;
	STACK_OF(X509_NAME) *cas = SSL_CTX_get_client_CA_list(ctx);
	X509 *cert = SSL_CTX_get0_certificate(ctx);
	char policy[48];
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	int ok;

	snprintf(policy, sizeof(policy), "verify=%d crl=%d", (int)l->tls.verify_client,
	         l->tls.client_crl != NULL);
	/* a context without a certificate completes no handshake: its name
	 * and policy are enough */
	ok = h != NULL && (cert == NULL || X509_digest(cert, EVP_sha256(), certmd, &certlen)) &&
	     EVP_DigestInit_ex(h, EVP_sha256(), NULL) &&
	     EVP_DigestUpdate(h, l->name, strlen(l->name) + 1) &&
	     EVP_DigestUpdate(h, certmd, certlen) &&
	     EVP_DigestUpdate(h, policy, strlen(policy) + 1);
	for (int i = 0; ok && cas && i < sk_X509_NAME_num(cas); i++) {
		unsigned char *der = NULL;
		int n = i2d_X509_NAME(sk_X509_NAME_value(cas, i), &der);

		ok = n > 0 && EVP_DigestUpdate(h, der, (size_t)n);
		OPENSSL_free(der);
	}
	ok = ok && EVP_DigestFinal_ex(h, md, &mdlen);
	EVP_MD_CTX_free(h);
	if (!ok)
		return -1;
	if (mdlen > SSL_MAX_SID_CTX_LENGTH)
		mdlen = SSL_MAX_SID_CTX_LENGTH;
	return SSL_CTX_set_session_id_context(ctx, md, mdlen) == 1 ? 0 : -1;
}

/* One SSL_CTX with a certificate chain and its key, checked to match. */
static SSL_CTX *
tls_ctx_new(const struct config_listener *l, const char *cert, struct config_pos cert_pos,
            const char *key, struct config_pos key_pos, struct config_errors *errs)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	size_t before = errs->n;

	if (ctx == NULL) {
		tls_errors_add(errs, l->pos, "cannot create TLS context", NULL);
		return NULL;
	}
	if (tls_ctx_policy(ctx, &l->tls, errs) != 0)
		goto fail;
	if (cert == NULL)
		goto bind;  /* a listener whose certificates all come from ACME */
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		tls_errors_add(errs, cert_pos, "cannot load certificate", cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		tls_errors_add(errs, key_pos, "cannot load key", key);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		ERR_clear_error();
		config_error_add(errs, key_pos.line, key_pos.col,
		                 "key %s does not match certificate %s", key, cert);
		goto fail;
	}
bind:
	if (tls_ctx_verify(ctx, &l->tls, errs) != 0)
		goto fail;
	if (tls_ctx_bind_sessions(ctx, l) != 0) {
		tls_errors_add(errs, l->pos, "session context", NULL);
		goto fail;
	}
	SSL_CTX_set_timeout(ctx, TLS_SESSION_TIMEOUT);
	return ctx;
fail:
	(void)before;
	SSL_CTX_free(ctx);
	return NULL;
}

/* Kernel TLS is worth asking OpenSSL for only when the kernel offers the
 * "tls" upper-layer protocol; otherwise each handshake would pay for a
 * failing setsockopt. */
static int
tls_kernel_offers_ktls(void)
{
	char buf[256] = "";
	FILE *f = fopen("/proc/sys/net/ipv4/tcp_available_ulp", "re");
	int found = 0;

	if (f == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) != NULL) {
		for (char *tok = strtok(buf, " \n"); tok; tok = strtok(NULL, " \n"))
			found |= strcmp(tok, "tls") == 0;
	}
	fclose(f);
	return found;
}

static int
tls_server_add_sni(struct tls_server *srv, const struct config_listener *l,
                   struct config_errors *errs)
{
	size_t total = 0, k = 0;

	for (size_t i = 0; i < l->nsni; i++)
		total += l->sni[i].nnames;
	if (l->nsni == 0)
		return 0;
	srv->sni_ctx = calloc(l->nsni, sizeof(*srv->sni_ctx));
	srv->sni = calloc(total ? total : 1, sizeof(*srv->sni));
	if (srv->sni_ctx == NULL || srv->sni == NULL) {
		config_error_add(errs, l->pos.line, l->pos.col, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < l->nsni; i++) {
		const struct config_sni *s = &l->sni[i];
		SSL_CTX *ctx = tls_ctx_new(l, s->certificate, s->certificate_pos, s->key,
		                           s->key_pos, errs);

		if (ctx == NULL)
			return -1;
		srv->sni_ctx[srv->nsni_ctx++] = ctx;
		for (size_t j = 0; j < s->nnames; j++)
			srv->sni[k++] = (struct tls_sni_entry){s->names[j], ctx};
	}
	srv->nsni = k;
	return 0;
}

/* Read ticket_key_file: one or more 80-byte keys. Returns 0 or -1. */
static int
tls_tickets_load(struct tls_tickets *tk, const struct config_listener *l,
                 struct config_errors *errs)
{
	unsigned char buf[80 * TLS_TICKET_FILE_MAX + 1];
	FILE *f = fopen(l->tls.ticket_key_file, "rbe");
	size_t n;

	if (f == NULL) {
		config_error_add(errs, l->tls.ticket_key_file_pos.line, l->tls.ticket_key_file_pos.col,
		                 "cannot open ticket_key_file %s: %s", l->tls.ticket_key_file,
		                 strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (n == 0 || n % 80 != 0 || n > 80 * TLS_TICKET_FILE_MAX) {
		config_error_add(errs, l->tls.ticket_key_file_pos.line, l->tls.ticket_key_file_pos.col,
		                 "ticket_key_file %s must hold 1 to %d keys of 80 bytes",
		                 l->tls.ticket_key_file, TLS_TICKET_FILE_MAX);
		OPENSSL_cleanse(buf, sizeof(buf));
		return -1;
	}
	tk->keys = calloc(n / 80, sizeof(*tk->keys));
	if (tk->keys == NULL) {
		OPENSSL_cleanse(buf, sizeof(buf));
		return -1;
	}
	for (size_t i = 0; i < n / 80; i++) {
		memcpy(tk->keys[i].name, buf + 80 * i, 16);
		memcpy(tk->keys[i].hmac, buf + 80 * i + 16, 32);
		memcpy(tk->keys[i].aes, buf + 80 * i + 48, 32);
	}
	tk->n = n / 80;
	tk->from_file = true;
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

/* Fill key with fresh random bytes. */
static int
tls_ticket_key_random(struct tls_ticket_key *key)
{
	return RAND_bytes((unsigned char *)key, (int)sizeof(*key)) == 1 ? 0 : -1;
}

/* Encrypt (enc = 1) with keys[0] or find the key a ticket names (enc = 0).
 * RFC 5077 4: AES-256-CBC + HMAC-SHA256. Returns 1 (use), 2 (decrypted
 * with an older key: issue a fresh ticket), 0 (unknown key: full
 * handshake), -1 (error). */
static int
tls_ticket_cb(SSL *ssl, unsigned char name[16], unsigned char *iv, EVP_CIPHER_CTX *cctx,
              EVP_MAC_CTX *hctx, int enc)
{
	struct tls_server *srv = SSL_get_app_data(ssl);
	struct tls_tickets *tk = &srv->tickets;
	const struct tls_ticket_key *key = NULL;
	OSSL_PARAM params[3];
	int r = 0;

	pthread_rwlock_rdlock(&tk->lock);
	if (enc) {
		key = tk->n ? &tk->keys[0] : NULL;
		if (key == NULL || RAND_bytes(iv, 16) != 1)
			goto out;
		memcpy(name, key->name, 16);
		r = 1;
	} else {
		for (size_t i = 0; i < tk->n && key == NULL; i++)
			if (memcmp(name, tk->keys[i].name, 16) == 0) {
				key = &tk->keys[i];
				/* 2 = issue a fresh ticket: for an older key, and always in
				 * TLS 1.3, where a client uses each ticket once (RFC 8446
				 * C.4) and would otherwise fall back to full handshakes */
				r = i == 0 && SSL_version(ssl) != TLS1_3_VERSION ? 1 : 2;
			}
		if (key == NULL)
			goto out;
	}
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, (void *)key->hmac, 32);
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[2] = OSSL_PARAM_construct_end();
	if (EVP_CipherInit_ex(cctx, tls_ticket_cipher ? tls_ticket_cipher : EVP_aes_256_cbc(), NULL,
	                      key->aes, iv, enc) != 1 ||
	    EVP_MAC_CTX_set_params(hctx, params) != 1)
		r = -1;
out:
	pthread_rwlock_unlock(&tk->lock);
	return r;
}

/* Ticket keys from ticket_key_file, else random ones rotated in memory. */
static int
tls_tickets_init(struct tls_server *srv, const struct config_listener *l,
                 struct config_errors *errs)
{
	struct tls_tickets *tk = &srv->tickets;

	if (l->tls.ticket_key_file) {
		if (tls_tickets_load(tk, l, errs) != 0)
			return -1;
	} else {
		tk->keys = calloc(TLS_TICKET_KEYS, sizeof(*tk->keys));
		if (tk->keys == NULL || tls_ticket_key_random(&tk->keys[0]) != 0)
			return -1;
		tk->n = 1;
		tk->made = time(NULL);
	}
	SSL_CTX_set_tlsext_ticket_key_evp_cb(srv->ctx, tls_ticket_cb);
	return 0;
}

void
tls_server_inherit_tickets(struct tls_server *srv, const struct tls_server *prev)
{
	struct tls_tickets *tk = &srv->tickets;
	const struct tls_tickets *old = &prev->tickets;

	if (tk->from_file || old->from_file || tk->keys == NULL || old->keys == NULL)
		return;
	/* prev is no longer rotated once replaced; its keys are stable here */
	memcpy(tk->keys, old->keys, old->n * sizeof(*tk->keys));
	tk->n = old->n;
	tk->made = old->made;
}

void
tls_server_rotate_tickets(struct tls_server *srv)
{
	struct tls_tickets *tk = &srv->tickets;
	struct tls_ticket_key fresh;
	time_t now = time(NULL);

	if (tk->from_file || tk->keys == NULL || now - tk->made < TLS_TICKET_ROTATE_SECS ||
	    tls_ticket_key_random(&fresh) != 0)
		return;
	pthread_rwlock_wrlock(&tk->lock);
	memmove(&tk->keys[1], &tk->keys[0],
	        (tk->n < TLS_TICKET_KEYS ? tk->n : TLS_TICKET_KEYS - 1) * sizeof(*tk->keys));
	tk->keys[0] = fresh;
	if (tk->n < TLS_TICKET_KEYS)
		tk->n++;
	tk->made = now;
	pthread_rwlock_unlock(&tk->lock);
	OPENSSL_cleanse(&fresh, sizeof(fresh));
}

/* Sealing is for TLS 1.3: a TLS 1.2 connection keeps OpenSSL's path as it
 * was, without the flush OpenSSL makes at its key change when kernel TLS
 * is asked for (the handshake's last two messages would leave with two
 * sends). The version is chosen when the server name is looked at; this
 * callback answers as if there were none (no acknowledgement), and SNI
 * itself is the client_hello callback's. */
static int
tls_seal_version_cb(SSL *ssl, int *alert, void *arg)
{
	(void)alert;
	(void)arg;
	if (SSL_version(ssl) != TLS1_3_VERSION)
		SSL_clear_options(ssl, SSL_OP_ENABLE_KTLS);
	return SSL_TLSEXT_ERR_NOACK;
}

/* What every context of a server has beyond its certificate: ALPN, and
 * kernel TLS when the kernel offers it. */
static void
tls_ctx_finish(const struct tls_server *srv, SSL_CTX *ctx)
{
	if (srv->alpn != TLS_ALPN_NONE)
		SSL_CTX_set_alpn_select_cb(ctx, tls_alpn_select,
		                           srv->alpn == TLS_ALPN_H2 ? (void *)tls_alpn_h2 : NULL);
	/* OpenSSL offers the keys to the BIO only with this option: the
	 * kernel's socket, or ours that seals records itself */
	if (srv->ktls || tls_server_seals(srv))
		SSL_CTX_set_options(ctx, SSL_OP_ENABLE_KTLS);
	if (tls_server_seals(srv))
		SSL_CTX_set_tlsext_servername_callback(ctx, tls_seal_version_cb);
}

int
tls_server_add_names(struct tls_server *srv, const struct config_listener *l,
                     char *const *names, size_t nnames, const char *cert, const char *key,
                     struct config_errors *errs)
{
	SSL_CTX **ctxs = realloc(srv->sni_ctx, (srv->nsni_ctx + 1) * sizeof(*ctxs));
	struct tls_sni_entry *sni;
	SSL_CTX *ctx;

	if (ctxs == NULL)
		return -1;
	srv->sni_ctx = ctxs;
	sni = realloc(srv->sni, (srv->nsni + nnames) * sizeof(*sni));
	if (sni == NULL)
		return -1;
	srv->sni = sni;
	ctx = tls_ctx_new(l, cert, (struct config_pos){0, 0}, key, (struct config_pos){0, 0}, errs);
	if (ctx == NULL)
		return -1;
	tls_ctx_finish(srv, ctx);
	srv->sni_ctx[srv->nsni_ctx++] = ctx;
	/* only the names the certificate covers: one stored before a name was
	 * added serves the others until its successor comes */
	for (size_t i = 0; i < nnames; i++)
		if (X509_check_host(SSL_CTX_get0_certificate(ctx), names[i], 0, 0, NULL) == 1)
			srv->sni[srv->nsni++] = (struct tls_sni_entry){names[i], ctx};
	return 0;
}

void
tls_server_set_challenges(struct tls_server *srv, struct tls_challenges *t)
{
	srv->chal = t;
}

/* The ALPN callback of a challenge context: acme-tls/1, which the
 * ClientHello offered alone. */
static int
tls_alpn_select_acme(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                     const unsigned char *in, unsigned int inlen, void *arg)
{
	unsigned char *sel = NULL;

	(void)ssl;
	(void)arg;
	if (SSL_select_next_proto(&sel, outlen, tls_alpn_acme, sizeof(tls_alpn_acme) - 1, in,
	                          inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

struct tls_challenges *
tls_challenges_new(void)
{
	struct tls_challenges *t = calloc(1, sizeof(*t));

	if (t != NULL)
		pthread_mutex_init(&t->lock, NULL);
	return t;
}

void
tls_challenges_free(struct tls_challenges *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++)
		SSL_CTX_free(t->v[i].ctx);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

/* A context holding the PEM certificate and key, for validation handshakes
 * only: TLS 1.2+, no sessions, ALPN acme-tls/1. */
static SSL_CTX *
tls_challenge_ctx(const char *cert_pem, const char *key_pem)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	BIO *cb = BIO_new_mem_buf(cert_pem, -1), *kb = BIO_new_mem_buf(key_pem, -1);
	X509 *x = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
	EVP_PKEY *k = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
	static const unsigned char sid[] = "tlserve acme-tls/1";
	bool ok = ctx != NULL && x != NULL && k != NULL;

	ok = ok && SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1 &&
	     SSL_CTX_use_certificate(ctx, x) == 1 && SSL_CTX_use_PrivateKey(ctx, k) == 1 &&
	     SSL_CTX_set_session_id_context(ctx, sid, sizeof(sid) - 1) == 1;
	if (ok) {
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
		SSL_CTX_set_num_tickets(ctx, 0);
		SSL_CTX_set_alpn_select_cb(ctx, tls_alpn_select_acme, NULL);
	}
	X509_free(x);
	EVP_PKEY_free(k);
	BIO_free(cb);
	BIO_free(kb);
	if (!ok) {
		ERR_clear_error();
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

int
tls_challenges_put(struct tls_challenges *t, const char *name, const char *cert_pem,
                   const char *key_pem)
{
	SSL_CTX *ctx, *old = NULL;
	size_t i;

	if (strlen(name) >= sizeof(t->v[0].name) || (ctx = tls_challenge_ctx(cert_pem, key_pem)) == NULL)
		return -1;
	pthread_mutex_lock(&t->lock);
	for (i = 0; i < t->n && strcmp(t->v[i].name, name) != 0; i++)
		;
	if (i == TLS_CHALLENGES_MAX) {
		pthread_mutex_unlock(&t->lock);
		SSL_CTX_free(ctx);
		return -1;
	}
	if (i == t->n)
		snprintf(t->v[t->n++].name, sizeof(t->v[0].name), "%s", name);
	else
		old = t->v[i].ctx;
	t->v[i].ctx = ctx;
	pthread_mutex_unlock(&t->lock);
	SSL_CTX_free(old);  /* handshakes that picked it hold their own reference */
	return 0;
}

void
tls_challenges_remove(struct tls_challenges *t, const char *name)
{
	SSL_CTX *old = NULL;

	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < t->n; i++) {
		if (strcmp(t->v[i].name, name) == 0) {
			old = t->v[i].ctx;
			t->v[i] = t->v[--t->n];
			break;
		}
	}
	pthread_mutex_unlock(&t->lock);
	SSL_CTX_free(old);
}

int
tls_server_new(const struct config_listener *l, enum tls_alpn alpn, struct tls_server **out,
               struct config_errors *errs)
{
	struct tls_server *srv = calloc(1, sizeof(*srv));
	size_t before = errs->n;

	if (srv == NULL) {
		config_error_add(errs, l->pos.line, l->pos.col, "out of memory");
		return -1;
	}
	atomic_init(&srv->refs, 1);
	pthread_rwlock_init(&srv->tickets.lock, NULL);
	srv->ctx = tls_ctx_new(l, l->tls.certificate, l->tls.certificate_pos, l->tls.key,
	                       l->tls.key_pos, errs);
	srv->no_cert = l->tls.certificate == NULL;
	srv->alpn = alpn;
	if (srv->ctx == NULL || tls_server_add_sni(srv, l, errs) != 0)
		goto fail;
	srv->ktls = tls_kernel_offers_ktls();
	for (size_t i = 0; i < 1 + srv->nsni_ctx; i++)
		tls_ctx_finish(srv, i == 0 ? srv->ctx : srv->sni_ctx[i - 1]);
	if (srv->nsni || srv->no_cert || l->nacme > 0)
		SSL_CTX_set_client_hello_cb(srv->ctx, tls_client_hello, srv);
	if (l->tls.session_tickets && tls_tickets_init(srv, l, errs) != 0)
		goto fail;
	*out = srv;
	return 0;
fail:
	if (errs->n == before)
		config_error_add(errs, l->pos.line, l->pos.col, "TLS setup failed");
	tls_server_unref(srv);
	return -1;
}

void
tls_server_ref(struct tls_server *srv)
{
	atomic_fetch_add_explicit(&srv->refs, 1, memory_order_relaxed);
}

void
tls_server_unref(struct tls_server *srv)
{
	if (srv == NULL || atomic_fetch_sub_explicit(&srv->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (size_t i = 0; i < srv->nsni_ctx; i++)
		SSL_CTX_free(srv->sni_ctx[i]);
	SSL_CTX_free(srv->ctx);
	free(srv->sni_ctx);
	free(srv->sni);
	if (srv->tickets.keys)
		OPENSSL_cleanse(srv->tickets.keys, srv->tickets.n * sizeof(*srv->tickets.keys));
	free(srv->tickets.keys);
	pthread_rwlock_destroy(&srv->tickets.lock);
	free(srv);
}

int
tls_server_ktls(const struct tls_server *srv)
{
	return srv != NULL && srv->ktls;  /* NULL: a plain listener */
}

bool
tls_server_seals(const struct tls_server *srv)
{
	return srv != NULL && !srv->ktls && tls_seal_usable;
}

/* Subject, SANs and expiry of one certificate as a line. Returns days left. */
static long
tls_describe_cert(X509 *x, const char *prefix, char *buf, size_t len)
{
	char subject[256] = "", sans[512] = "", expiry[64] = "";
	GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int days = 0, secs = 0;
	struct tm tm;
	size_t used = 0;

	X509_NAME_oneline(X509_get_subject_name(x), subject, sizeof(subject));
	for (int i = 0; names && i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);

		if (gn->type == GEN_DNS && used + 2 < sizeof(sans))
			used += (size_t)snprintf(sans + used, sizeof(sans) - used, "%s%s",
			                         used ? "," : "",
			                         (const char *)ASN1_STRING_get0_data(gn->d.dNSName));
	}
	GENERAL_NAMES_free(names);
	if (used > sizeof(sans))
		sans[sizeof(sans) - 1] = '\0';
	if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1)
		strftime(expiry, sizeof(expiry), "%Y-%m-%dT%H:%M:%SZ", &tm);
	ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(x));
	snprintf(buf, len, "%ssubject=%s san=%s expires=%s (%d days)\n", prefix, subject,
	         sans[0] ? sans : "-", expiry, days);
	return days;
}

long
tls_server_describe(const struct tls_server *srv, const char *prefix, char *buf, size_t len)
{
	long min_days = 100000;
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < 1 + srv->nsni_ctx && used < len; i++) {
		SSL_CTX *ctx = i == 0 ? srv->ctx : srv->sni_ctx[i - 1];
		X509 *x = SSL_CTX_get0_certificate(ctx);
		long d;

		if (x == NULL)
			continue;
		d = tls_describe_cert(x, prefix, buf + used, len - used);
		used += strlen(buf + used);
		if (d < min_days)
			min_days = d;
	}
	return min_days;
}

int
tls_server_cert(const struct tls_server *srv, size_t i, char *subject, size_t len,
                int64_t *not_after)
{
	SSL_CTX *ctx;
	X509 *x;
	BIO *mem;
	struct tm tm;
	int n;

	if (srv == NULL || i >= 1 + srv->nsni_ctx)
		return -1;
	ctx = i == 0 ? srv->ctx : srv->sni_ctx[i - 1];
	x = SSL_CTX_get0_certificate(ctx);
	if (x == NULL || ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) != 1 || len == 0)
		return 0;
	*not_after = (int64_t)timegm(&tm);
	mem = BIO_new(BIO_s_mem());
	if (mem == NULL)
		return 0;
	X509_NAME_print_ex(mem, X509_get_subject_name(x), 0, XN_FLAG_RFC2253);
	n = BIO_read(mem, subject, (int)(len - 1));
	subject[n > 0 ? n : 0] = '\0';
	BIO_free(mem);
	return 1;
}

/* Push what waits in the socket (sent with MSG_MORE): setting TCP_NODELAY,
 * even again, sends the pending segments at once. */
static void
tls_sock_push(struct tls_sock *s)
{
	int one = 1;

	if (s->corked && setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0)
		s->corked = false;
}

/* Our socket under the connection, or NULL under OpenSSL's socket BIO. */
static struct tls_sock *
tls_sock_of(struct tls_conn *c)
{
	return c->own_bio ? &c->sock : NULL;
}

int
tls_accept(struct tls_server *srv, int fd, struct tls_conn **out)
{
	struct tls_conn *c = calloc(1, sizeof(*c));
	BIO *bio;

	if (c == NULL)
		return -1;
	c->sock.fd = fd;
	c->sock.first = -1;
	c->ssl = SSL_new(srv->ctx);
	if (c->ssl == NULL)
		goto fail;
	if (srv->ktls || tls_sock_method == NULL) {
		if (SSL_set_fd(c->ssl, fd) != 1)
			goto fail;
	} else {
		bio = BIO_new(tls_sock_method);
		if (bio == NULL)
			goto fail;
		BIO_set_data(bio, &c->sock);
		SSL_set_bio(c->ssl, bio, bio);
		c->own_bio = true;
		c->sock.ssl = c->ssl;
	}
	SSL_set_accept_state(c->ssl);
	SSL_set_app_data(c->ssl, srv);  /* for the ticket key callback */
	*out = c;
	return 0;
fail:
	SSL_free(c->ssl);
	free(c);
	return -1;
}

int
tls_accept_plain(int fd, struct tls_conn **out)
{
	struct tls_conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return -1;
	c->sock.fd = fd;
	c->sock.first = -1;
	c->own_bio = true;  /* the drained/hup bookkeeping serves plain reads too */
	*out = c;
	return 0;
}

/* A plain connection's read and write: the socket calls, their results in
 * the TLS_WANT_* terms the callers use. */
static ssize_t
tls_plain_read(struct tls_conn *c, void *buf, size_t len)
{
	ssize_t n;

	if (c->sock.drained && !c->sock.hup)
		return TLS_WANT_POLLIN;
	n = recv(c->sock.fd, buf, len, 0);
	if (n > 0) {
		c->sock.drained = (size_t)n < len;
		return n;
	}
	if (n == 0)
		return 0;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
		c->sock.drained = true;
		return TLS_WANT_POLLIN;
	}
	return -1;
}

static ssize_t
tls_plain_write(struct tls_conn *c, const void *buf, size_t len, int flags)
{
	ssize_t n = send(c->sock.fd, buf, len,
	                 MSG_NOSIGNAL | ((flags & TLS_WRITE_HOLD) ? MSG_MORE : 0));

	if (n >= 0)
		return n;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return TLS_WANT_POLLOUT;
	return -1;
}

void
tls_conn_event(struct tls_conn *c, bool readable, bool hup)
{
	if (readable)
		c->sock.drained = false;
	if (hup)
		c->sock.hup = true;
}

bool
tls_conn_drained(const struct tls_conn *c)
{
	return c->own_bio && c->sock.drained && !c->sock.hup;
}

/* SSL_get_error needs an empty error queue before each call. Clearing it
 * walks all its slots; peeking first keeps the common, clean case cheap. */
static void
tls_clear_errors(void)
{
	if (ERR_peek_error() != 0)
		ERR_clear_error();
}

/* The one place that maps an OpenSSL result to TLS_WANT_*, 0 (the peer
 * closed) or -1 (error; errno is kept for system errors). */
static ssize_t
tls_result(SSL *ssl, int ret)
{
	switch (SSL_get_error(ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		return TLS_WANT_POLLIN;
	case SSL_ERROR_WANT_WRITE:
		return TLS_WANT_POLLOUT;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		if (errno == 0)
			errno = ECONNRESET;
		return -1;
	default:
		errno = EPROTO;
		return -1;
	}
}

int
tls_handshake(struct tls_conn *c)
{
	SSL *ssl = c->ssl;
	struct tls_sock *s = tls_sock_of(c);
	unsigned char fin[EVP_MAX_MD_SIZE];
	int r;

	if (ssl == NULL)
		return 0;  /* plain */
	tls_clear_errors();
	errno = 0;
	/* Once its Finished is out, a TLS 1.3 server writes only the session
	 * ticket, after the client's Finished. The client's request usually
	 * came with that: the ticket waits in the socket and leaves with the
	 * response (tls_read pushes it when no request follows). Before our
	 * Finished (a HelloRetryRequest's second flight, say), nothing waits. */
	if (s != NULL)
		s->more = SSL_version(ssl) == TLS1_3_VERSION && SSL_get_finished(ssl, fin, sizeof(fin)) > 0;
	r = SSL_do_handshake(ssl);
	if (s != NULL)
		s->more = false;
	if (r == 1)
		return 0;
	r = (int)tls_result(ssl, r);
	if (s != NULL && r == TLS_WANT_POLLIN)
		tls_sock_push(s);  /* the peer speaks next: what waits must go */
	return r == 0 ? -1 : r;
}

ssize_t
tls_read(struct tls_conn *c, void *buf, size_t len)
{
	SSL *ssl = c->ssl;
	struct tls_sock *s = tls_sock_of(c);
	size_t n = 0;
	ssize_t r;

	if (ssl == NULL)
		return tls_plain_read(c, buf, len);
	/* The shortcut (no read(2) while the queue is known empty) holds only
	 * when OpenSSL has nothing to send either: a read that stopped on a
	 * blocked write (a KeyUpdate answer, an alert) must be repeated for
	 * that write to go out once the socket is writable. */
	if (s != NULL && s->drained && !s->hup && !c->read_wants_write && !SSL_has_pending(ssl)) {
		r = TLS_WANT_POLLIN;  /* see tls_conn_event */
	} else {
		tls_clear_errors();
		errno = 0;
		if (SSL_read_ex(ssl, buf, len, &n) == 1) {
			c->read_wants_write = false;
			return (ssize_t)n;
		}
		r = tls_result(ssl, 0);
		c->read_wants_write = r == TLS_WANT_POLLOUT;
	}
	if (s != NULL && r == TLS_WANT_POLLIN)
		tls_sock_push(s);  /* nothing more to answer now: what waits goes */
	return r;
}

/* The most plaintext one record carries; a write of more is cut at these
 * boundaries, one record per SSL_write_ex (partial-write mode). */
#define TLS_RECORD_MAX TLS_RECORD_SIZE
/* Room a record takes beyond its plaintext, at most: header, explicit IV,
 * MAC or tag, padding (a TLS 1.2 CBC suite with SHA-384: 85 bytes). */
#define TLS_BATCH_RECORD_ROOM 128

#define TLS_BATCH_SPARE 4  /* buffers a worker keeps for reuse */

int
tls_batch_init(struct tls_batch *b)
{
	memset(b, 0, sizeof(*b));
	b->buf = malloc(TLS_BATCH_SIZE);
	return b->buf != NULL ? 0 : -1;
}

void
tls_batch_fini(struct tls_batch *b)
{
	while (b->spare != NULL) {
		void *next = *(void **)b->spare;

		free(b->spare);
		b->spare = next;
	}
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

/* A buffer back from a connection: kept for the next partial send (a
 * buffer of this size from malloc is fresh pages, and faults each time),
 * or freed beyond a few. */
static void
tls_batch_give(struct tls_batch *b, unsigned char *buf)
{
	if (b == NULL || b->nspare >= TLS_BATCH_SPARE) {
		free(buf);
		return;
	}
	*(void **)buf = b->spare;
	b->spare = buf;
	b->nspare++;
}

static unsigned char *
tls_batch_take(struct tls_batch *b)
{
	unsigned char *buf = b->spare;

	if (buf == NULL)
		return malloc(TLS_BATCH_SIZE);
	b->spare = *(void **)buf;
	b->nspare--;
	return buf;
}

/* A rest this small is copied out of the batch buffer rather than keeping
 * the whole buffer: a short response (a record tlserve sealed) to a client
 * that does not read holds its size, not a batch. */
#define TLS_PEND_COPY_MAX (TLS_RECORD_SIZE + 256)

/* Send the records tls_write collected, in one send(2) (MSG_MORE when the
 * caller holds the last one back). When the socket does not take them all,
 * the connection keeps the buffer for tls_flush (at most one batch waits
 * per connection) and the worker goes on with another. 0, or -1 when the
 * connection failed (it then fails every later write too). */
static int
tls_batch_send(struct tls_sock *s, bool more)
{
	struct tls_batch *b = s->batch;
	ssize_t n = send(s->fd, b->buf, s->blen, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
	unsigned char *fresh;

	if (n < 0 && errno != EAGAIN && errno != EINTR)
		goto fail;
	if (n < 0)
		n = 0;
	s->corked = more && (size_t)n == s->blen;
	if ((size_t)n < s->blen && s->blen - (size_t)n <= TLS_PEND_COPY_MAX) {
		s->pend = malloc(s->blen - (size_t)n);
		if (s->pend == NULL)
			goto fail;
		memcpy(s->pend, b->buf + n, s->blen - (size_t)n);
		s->pend_copy = true;
		s->pend_off = 0;
		s->pend_len = s->blen - (size_t)n;
	} else if ((size_t)n < s->blen) {
		fresh = tls_batch_take(b);
		if (fresh == NULL)
			goto fail;
		s->pend = b->buf;
		s->pend_off = (size_t)n;
		s->pend_len = s->blen;
		b->buf = fresh;
	}
	s->blen = 0;
	return 0;
fail:
	/* the worker's batch is empty for the next connection, and this one
	 * writes nothing more (a record after a lost one would be garbage) */
	s->blen = 0;
	s->failed = true;
	return -1;
}

static void
tls_pend_free(struct tls_sock *s)
{
	if (s->pend_copy)
		free(s->pend);
	else if (s->pend != NULL)
		tls_batch_give(s->batch, s->pend);
	s->pend = NULL;
	s->pend_copy = false;
	s->pend_off = s->pend_len = 0;
}

int
tls_flush(struct tls_conn *c)
{
	struct tls_sock *s = tls_sock_of(c);
	ssize_t n;

	if (s == NULL || s->pend_len == 0)
		return 0;
	n = send(s->fd, s->pend + s->pend_off, s->pend_len - s->pend_off, MSG_NOSIGNAL);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? TLS_WANT_POLLOUT : -1;
	s->pend_off += (size_t)n;
	if (s->pend_off < s->pend_len)
		return TLS_WANT_POLLOUT;
	tls_pend_free(s);
	return 0;
}

bool
tls_conn_batches(const struct tls_conn *c)
{
	return c->sock.batch != NULL;
}

bool
tls_conn_seals(const struct tls_conn *c)
{
	return c->sock.seal != NULL;
}

bool
tls_out_pending(const struct tls_conn *c)
{
	return c->sock.pend_len > 0;
}

void
tls_conn_set_batch(struct tls_conn *c, struct tls_batch *b)
{
	if (c->own_bio && c->ssl != NULL)
		c->sock.batch = b;
}

ssize_t
tls_write(struct tls_conn *c, const void *buf, size_t len, int flags)
{
	SSL *ssl = c->ssl;
	struct tls_sock *s = tls_sock_of(c);
	size_t done = 0, n = 0;
	ssize_t r;

	if (ssl == NULL)
		return tls_plain_write(c, buf, len, flags);
	if (s != NULL && s->pend_len > 0 && (r = tls_flush(c)) != 0)
		return r;  /* what waits goes first */
	tls_clear_errors();
	errno = 0;
	if (s != NULL) {
		s->hold = (flags & TLS_WRITE_HOLD) != 0;
		/* one record leaves with one send anyway: no copy into the batch */
		s->batching = s->batch != NULL && len > TLS_RECORD_MAX;
		s->blen = 0;
	}
	while (done < len) {
		size_t chunk = len - done > TLS_RECORD_MAX ? TLS_RECORD_MAX : len - done;

		/* no record the batch might not take is started: OpenSSL would
		 * keep it, and sealed it is read again later from the caller's
		 * buffer (tls_sock_write_sealed). Records shorter than asked for
		 * (a client's max_fragment_length) fill the batch before the
		 * plaintext ends: the call then takes less. */
		if (s != NULL && s->batching && s->blen + chunk + TLS_BATCH_RECORD_ROOM > TLS_BATCH_SIZE)
			break;
		if (s != NULL)  /* the last record of the batch pushes, unless held */
			s->more = done + chunk < len || s->hold;
		if (SSL_write_ex(ssl, (const char *)buf + done, chunk, &n) != 1)
			break;
		done += n;
	}
	if (s != NULL && s->batching) {
		s->batching = false;
		if (s->blen > 0 && tls_batch_send(s, s->hold) != 0) {
			s->more = s->hold = false;
			return -1;
		}
	}
	if (s != NULL)
		s->more = s->hold = false;
	if (done > 0)
		return (ssize_t)done;
	r = tls_result(ssl, 0);
	if (r == 0) {
		errno = EPIPE;
		return -1;
	}
	return r;
}

ssize_t
tls_sendfile(struct tls_conn *c, int fd, off_t off, size_t len)
{
	SSL *ssl = c->ssl;
	ossl_ssize_t n;

	/* our BIO's "kernel TLS" is the sealing one: no sendfile under it */
	if (ssl == NULL || c->own_bio || !BIO_get_ktls_send(SSL_get_wbio(ssl))) {
		errno = ENOTSUP;
		return -1;
	}
	tls_clear_errors();
	errno = 0;
	n = SSL_sendfile(ssl, fd, off, len, 0);
	if (n >= 0)
		return n;
	return tls_result(ssl, (int)n);
}

/* SSL_shutdown marks the close_notify sent (SSL_SENT_SHUTDOWN) before it
 * leaves: when the socket is full the alert waits inside OpenSSL and the
 * call says WANT_WRITE. Only a later call that returns 0 or 1 has handed it
 * to the socket, so that, not the flag, is what makes it "sent". */
int
tls_close(struct tls_conn *c)
{
	SSL *ssl = c->ssl;
	struct tls_sock *s = tls_sock_of(c);
	int r;

	if (ssl == NULL)
		return 0;
	/* what waits goes first: the response's end before the close_notify,
	 * or the close_notify itself (sealed by us, it waits like a batch) */
	if (s != NULL && s->pend_len > 0 && (r = tls_flush(c)) != 0)
		return r;
	if (c->notify_out)
		return 0;
	tls_clear_errors();
	errno = 0;
	if (s != NULL)
		s->more = true;  /* leaves with the caller's FIN */
	r = SSL_shutdown(ssl);
	if (s != NULL)
		s->more = false;
	if (r >= 0) {
		c->notify_out = true;  /* 0: ours sent, theirs not yet read; 1: both */
		return tls_flush(c);   /* 0 once it is in the socket */
	}
	r = (int)tls_result(ssl, r);
	if (r == TLS_WANT_POLLIN) {
		/* a shutdown that would read: ours is out (OpenSSL only reads
		 * once the alert was dispatched) */
		c->notify_out = true;
		return tls_flush(c);
	}
	return r == 0 ? 0 : r;
}

void
tls_idle(struct tls_conn *c)
{
	if (c->ssl != NULL)
		SSL_free_buffers(c->ssl);  /* refuses (harmlessly) while data is buffered */
}

size_t
tls_pending(const struct tls_conn *c)
{
	int n = c->ssl != NULL ? SSL_pending(c->ssl) : 0;

	return n > 0 ? (size_t)n : 0;
}

void
tls_conn_free(struct tls_conn *c)
{
	if (c == NULL)
		return;
	SSL_free(c->ssl);
	tls_seal_free(c->sock.seal);
	tls_pend_free(&c->sock);
	free(c);
}

bool
tls_conn_h2(const struct tls_conn *c)
{
	const unsigned char *p;
	unsigned int n;

	if (c->ssl == NULL)
		return false;
	SSL_get0_alpn_selected(c->ssl, &p, &n);
	return n == 2 && memcmp(p, "h2", 2) == 0;
}

bool
tls_conn_acme(const struct tls_conn *c)
{
	const unsigned char *p;
	unsigned int n;

	if (c->ssl == NULL)
		return false;
	SSL_get0_alpn_selected(c->ssl, &p, &n);
	return n == sizeof(tls_alpn_acme) - 2 && memcmp(p, tls_alpn_acme + 1, n) == 0;
}

bool
tls_conn_verify_failed(const struct tls_conn *c)
{
	unsigned long e = ERR_peek_last_error();

	if (c->ssl == NULL)
		return false;
	/* a certificate that did not verify, or none where one is required */
	return SSL_get_verify_result(c->ssl) != X509_V_OK ||
	       (ERR_GET_LIB(e) == ERR_LIB_SSL &&
	        ERR_GET_REASON(e) == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE);
}

bool
tls_conn_peer_closed(const struct tls_conn *c)
{
	return c->sock.hup;
}

int
tls_conn_first_byte(const struct tls_conn *c)
{
	return c->own_bio ? c->sock.first : -1;
}

bool
tls_conn_resumed(const struct tls_conn *c)
{
	return c->ssl != NULL && SSL_session_reused(c->ssl);
}

const char *
tls_conn_version(const struct tls_conn *c)
{
	return c->ssl != NULL ? SSL_get_version(c->ssl) : NULL;
}

const char *
tls_conn_servername(const struct tls_conn *c)
{
	return c->ssl != NULL ? SSL_get_servername(c->ssl, TLSEXT_NAMETYPE_host_name) : NULL;
}

int
tls_conn_peer_subject(const struct tls_conn *c, char *buf, size_t len)
{
	SSL *ssl = c->ssl;
	X509 *peer = ssl != NULL ? SSL_get0_peer_certificate(ssl) : NULL;
	BIO *mem;
	int n;

	if (peer == NULL || SSL_get_verify_result(ssl) != X509_V_OK || len == 0)
		return -1;
	mem = BIO_new(BIO_s_mem());
	if (mem == NULL)
		return -1;
	X509_NAME_print_ex(mem, X509_get_subject_name(peer), 0, XN_FLAG_RFC2253);
	BIO_puts(mem, "; serial=");
	i2a_ASN1_INTEGER(mem, X509_get0_serialNumber(peer));
	n = BIO_read(mem, buf, (int)(len - 1));
	buf[n > 0 ? n : 0] = '\0';
	BIO_free(mem);
	return n > 0 ? 0 : -1;
}

const char *
tls_conn_error(struct tls_conn *c, char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();
	long vr = c->ssl != NULL ? SSL_get_verify_result(c->ssl) : X509_V_OK;

	if (vr != X509_V_OK)
		snprintf(buf, len, "client certificate: %s", X509_verify_cert_error_string(vr));
	else if (e != 0)
		ERR_error_string_n(e, buf, len);
	else if (errno != 0)
		snprintf(buf, len, "%s", strerror(errno));
	else
		snprintf(buf, len, "connection closed by peer");
	ERR_clear_error();
	return buf;
}
