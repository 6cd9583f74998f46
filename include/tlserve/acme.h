/* acme: certificates from an ACME CA (RFC 8555). One thread in the main
 * process keeps a certificate for each files listener's acme: names: it
 * reads the stored one, orders a new one when there is none or it is due
 * (renew_before), answers the CA's challenge (TLS-ALPN-01 through the
 * listeners' handshakes, HTTP-01 through the redirect listeners), stores key
 * and chain atomically, and asks main for a new generation that serves
 * them, as a reload would. Blocking HTTPS (libcurl) happens only on this
 * thread, never on a worker. Failures are logged and retried with a
 * backoff that grows (capped) and is reset by a success. */
#ifndef TLSERVE_ACME_H
#define TLSERVE_ACME_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tlserve/acme_crypto.h"

struct acme;
struct challenges;
struct config;
struct config_listener;
struct gen;
struct log_error;
struct tls_challenges;

/* Where the certificate (leaf and chain) and key of l's acme: names are
 * kept: STORAGE/DIR/FIRST.crt and .key, DIR being the directory URL without
 * "https://", each character other than [A-Za-z0-9.-] made '_'. 0, or -1
 * when too long. */
int acme_paths(const struct config *cfg, const struct config_listener *l, char *crt, char *key,
               size_t len);

/* The stored certificate of l, when one names exactly l's acme: names,
 * matches its key and has not expired: 1, with its validity in *info; 2
 * when it is good but names other names (some of them, say, before a name
 * was added): it serves the names it has until a new one comes; 0 when
 * there is none; -1 when there is one that cannot serve (the reason in
 * err). */
int acme_stored(const struct config *cfg, const struct config_listener *l,
                struct acme_cert_info *info, char *err, size_t errlen);

/* -t: for each listener with acme: names, what storage holds for them. */
void acme_describe(const struct config *cfg, const char *file, FILE *out);

/* Once, before any thread starts (libcurl's global set-up), and at exit. */
int  acme_global_init(void);
void acme_global_fini(void);

/* The client (its thread starts when a generation first has acme: names).
 * rebuild(arg) is called on the ACME thread when storage holds a new
 * certificate: main then builds a generation from the current one's
 * configuration and reports with acme_rebuilt. */
struct acme *acme_new(struct log_error *elog, struct challenges *http01,
                      struct tls_challenges *alpn01, void (*rebuild)(void *), void *arg);
/* The generation now served (a reference is taken): at start and after
 * each reload. Every name set is checked at once. */
void acme_configure(struct acme *, struct gen *g);
/* main's answer to rebuild: the new generation is live (ok) or failed. */
void acme_rebuilt(struct acme *, bool ok);
/* Stop the thread (an HTTPS call in flight is aborted) and free. */
void acme_free(struct acme *);

#endif
