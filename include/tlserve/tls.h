/* tls: the only module that sees OpenSSL. A libtls-shaped API: a server
 * context per listener (certificates, SNI, ALPN, policy), a connection per
 * accepted descriptor, and non-blocking handshake/read/write/close whose
 * "would block" results say which readiness to wait for.
 * Never logs: errors go to a config_errors list or to the caller's buffer. */
#ifndef TLSERVE_TLS_H
#define TLSERVE_TLS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct config_listener;
struct config_errors;
struct tls_server;
struct tls_conn;

#define TLS_WANT_POLLIN  -2  /* wait for the descriptor to be readable, then repeat the call */
#define TLS_WANT_POLLOUT -3  /* wait for it to be writable, then repeat the call */

/* One-time library setup; call before any thread starts. */
void tls_init(void);
/* At exit, after the last tls_server is gone. */
void tls_fini(void);

/* "OpenSSL 3.0.x ..." as the library reports it at run time, and the
 * version of the headers tlserve was built with. */
const char *tls_library_version(void);
const char *tls_build_version(void);

/* Build the server context of a listener: certificate chain and key (checked
 * to match), SNI certificates, policy (TLS 1.2+ only, ECDHE + AEAD, no
 * renegotiation or compression), ALPN (h2 first when asked, then
 * "http/1.1", "http/1.0"), client verification. Errors are appended to errs
 * at the position of the offending key; returns 0 and sets *out (refcount
 * 1), or -1. */
enum tls_alpn { TLS_ALPN_NONE, TLS_ALPN_HTTP1, TLS_ALPN_H2 };
int tls_server_new(const struct config_listener *l, enum tls_alpn alpn, struct tls_server **out,
                   struct config_errors *errs);
/* Add a certificate (chain and key files) for those of names it covers, as
 * an sni: entry would: the certificates ACME obtained. Only before the
 * server is in use. 0, or -1 with errs filled. */
int tls_server_add_names(struct tls_server *, const struct config_listener *l,
                         char *const *names, size_t nnames, const char *cert, const char *key,
                         struct config_errors *errs);

/* TLS-ALPN-01 (RFC 8737): the validation certificates the ACME thread puts
 * up while a CA checks a name, shared by the listeners' handshakes (locked).
 * A ClientHello offering only acme-tls/1 gets the name's certificate, or a
 * refusal; never a listener's certificate, never content. */
struct tls_challenges;
struct tls_challenges *tls_challenges_new(void);
void tls_challenges_free(struct tls_challenges *);
/* PEM certificate and key (acme_alpn_cert) for name; replaces an older one. 0 or -1. */
int  tls_challenges_put(struct tls_challenges *, const char *name, const char *cert_pem,
                        const char *key_pem);
void tls_challenges_remove(struct tls_challenges *, const char *name);
/* Answer validation handshakes from t (before the server is in use). */
void tls_server_set_challenges(struct tls_server *, struct tls_challenges *t);

void tls_server_ref(struct tls_server *);
void tls_server_unref(struct tls_server *);

/* Session tickets: keep the in-memory keys of the generation a reload
 * replaces (no-op when either uses ticket_key_file). */
void tls_server_inherit_tickets(struct tls_server *, const struct tls_server *prev);
/* Make a new in-memory ticket encryption key when the current one is an hour
 * old, keeping the previous ones for decryption. Safe while handshakes run. */
void tls_server_rotate_tickets(struct tls_server *);

/* 1 when bodies can go out with tls_sendfile (kernel TLS offered), else 0. */
int tls_server_ktls(const struct tls_server *);
/* Without kernel TLS: its connections' TLS 1.3 records are sealed by
 * tlserve (tls_conn_seals), not copied through OpenSSL's record buffer. */
bool tls_server_seals(const struct tls_server *);

/* Write "subject; SANs; notAfter" of each certificate of the server into buf
 * as lines prefixed by prefix. For -t. Returns days until the first expiry. */
long tls_server_describe(const struct tls_server *, const char *prefix, char *buf, size_t len);

/* Certificate i of the server (0: the listener's, then one per SNI entry):
 * its subject (RFC 2253) into subject[len] and its notAfter as unix
 * seconds. 1, 0 when that slot has none, -1 past the last. */
int tls_server_cert(const struct tls_server *, size_t i, char *subject, size_t len,
                    int64_t *not_after);

/* A new connection on the connected socket fd (not taken over: the caller
 * closes it after tls_conn_free). No I/O happens yet. 0 or -1. */
int tls_accept(struct tls_server *, int fd, struct tls_conn **out);

/* A plain (unencrypted) connection on fd, for plain HTTP listeners: the
 * same calls, no TLS (handshake and close do nothing, the version and
 * server name are NULL, there is no kernel TLS). 0 or -1. */
int tls_accept_plain(int fd, struct tls_conn **out);

/* What epoll reported for the socket. A read that came back short means the
 * queue was empty then, and with edge-triggered epoll any later arrival is
 * reported: until it is, tls_read answers TLS_WANT_POLLIN without a system
 * call (never once the peer has shut its side: that edge may be gone). */
void tls_conn_event(struct tls_conn *, bool readable, bool hup);
/* true while the last read found the receive queue empty and epoll has
 * reported nothing since (so a read now would only say EAGAIN). */
bool tls_conn_drained(const struct tls_conn *);

int     tls_handshake(struct tls_conn *);                  /* 0 | TLS_WANT_* | -1 */
ssize_t tls_read(struct tls_conn *, void *buf, size_t len); /* >0 | 0 peer closed | TLS_WANT_* | -1 */
/* >0 (may be partial) | TLS_WANT_* | -1. With TLS_WRITE_HOLD the last
 * record too may wait in the socket for what the caller sends next (the
 * close_notify of tls_close, say): one TCP push for both.
 * With a batch (tls_conn_set_batch) the records of one call leave with one
 * send(2), up to the batch's size per call; what the socket did not take
 * waits with the connection (tls_out_pending) and goes before anything
 * else: the next tls_write or tls_close sends it first, tls_flush alone.
 * Records tlserve seals (tls_conn_seals) wait so even one at a time, as
 * may OpenSSL's own messages (a session ticket, a KeyUpdate). */
#define TLS_WRITE_HOLD 1
ssize_t tls_write(struct tls_conn *, const void *buf, size_t len, int flags);

/* The most plaintext in one TLS record. */
#define TLS_RECORD_SIZE 16384

/* A worker's scratch for tls_write's records (TLS_BATCH_SIZE bytes). When
 * the socket takes a batch only in part, the connection keeps that buffer
 * for the rest (no copy) and the worker fills another: buffers given back
 * are kept for reuse, a few at most. */
struct tls_batch {
	unsigned char *buf;
	void *spare;                 /* buffers for reuse, a list through their first bytes */
	unsigned nspare;
};
int  tls_batch_init(struct tls_batch *);   /* 0 or -1 */
void tls_batch_fini(struct tls_batch *);   /* after every connection using it is freed */
/* Plaintext a caller gives one tls_write to leave in one send(2), and the
 * batch that holds it encrypted: 16 KiB records (and a shorter last one),
 * each with at most 64 bytes of header and tag. More plaintext in one call
 * leaves in further calls. */
#define TLS_BATCH_PLAIN (256 * 1024)
#define TLS_BATCH_SIZE (TLS_BATCH_PLAIN + (TLS_BATCH_PLAIN / 16384 + 1) * 64)
void tls_conn_set_batch(struct tls_conn *, struct tls_batch *);
/* tls_write batches on this connection: a call with nothing waiting and
 * more than TLS_RECORD_SIZE, at most TLS_BATCH_PLAIN bytes takes them all
 * in full-size records; in shorter ones (a client's max_fragment_length)
 * it takes what fits and the caller writes the rest later. */
bool tls_conn_batches(const struct tls_conn *);
/* tls_write's TLS 1.3 records are sealed by tlserve, not OpenSSL: from the
 * caller's buffer straight into the batch (see tls_seal.h). False under
 * TLS 1.2, before the handshake is done, without a batch, and after a
 * KeyUpdate of ours. */
bool tls_conn_seals(const struct tls_conn *);
/* Send what a tls_write left: 0 when nothing waits (any more),
 * TLS_WANT_POLLOUT, or -1. */
int  tls_flush(struct tls_conn *);
bool tls_out_pending(const struct tls_conn *);
/* Kernel TLS only: send len bytes of fd from off. -1 with errno ENOTSUP when
 * kernel TLS is not active on this connection (use pread + tls_write). */
ssize_t tls_sendfile(struct tls_conn *, int fd, off_t off, size_t len);
/* Send close_notify: 0 when sent, TLS_WANT_* to repeat, -1 on error. The
 * record may wait in the socket for the caller's shutdown(SHUT_WR) or
 * close(), which send it with the FIN. */
int     tls_close(struct tls_conn *);
/* The connection waits for the peer with nothing buffered: give the record
 * buffers back (an idle connection then holds only the TLS state). */
void    tls_idle(struct tls_conn *);
/* Bytes already decrypted and buffered inside the TLS layer. */
size_t  tls_pending(const struct tls_conn *);
void    tls_conn_free(struct tls_conn *);

/* Details for logs; strings owned by the connection, valid until tls_conn_free. */
const char *tls_conn_version(const struct tls_conn *);     /* "TLSv1.3" */
bool tls_conn_h2(const struct tls_conn *);                 /* ALPN chose "h2" */
bool tls_conn_acme(const struct tls_conn *);               /* ALPN chose "acme-tls/1": close */
bool tls_conn_resumed(const struct tls_conn *);            /* a session was resumed */
bool tls_conn_verify_failed(const struct tls_conn *);      /* the client certificate did not verify */
/* The first byte the peer sent (user-space path), or -1 (none yet, or
 * kernel TLS's socket BIO). */
int tls_conn_first_byte(const struct tls_conn *);
/* epoll reported the peer's FIN (or a hang-up) on the socket. */
bool tls_conn_peer_closed(const struct tls_conn *);
const char *tls_conn_servername(const struct tls_conn *);  /* NULL when none sent */
/* The verified client certificate's subject (RFC 2253) and serial number,
 * "CN=x,O=y; serial=0A1B", into buf; 0, or -1 if there is none. */
int tls_conn_peer_subject(const struct tls_conn *, char *buf, size_t len);
/* The reason of the last failure on this thread's TLS calls, into buf. */
const char *tls_conn_error(struct tls_conn *, char *buf, size_t len);

#endif
