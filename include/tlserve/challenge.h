/* challenge: the HTTP-01 answers (RFC 8555 8.3) the ACME thread publishes
 * while a CA validates, read by the workers of redirect listeners for
 * GET /.well-known/acme-challenge/TOKEN. Locked: one writer, many readers,
 * a handful of entries. */
#ifndef TLSERVE_CHALLENGE_H
#define TLSERVE_CHALLENGE_H
#include <stddef.h>

#define CHALLENGE_PREFIX "/.well-known/acme-challenge/"
#define CHALLENGE_MAX 100          /* entries: a certificate's names at most */
#define CHALLENGE_TOKEN_MAX 256
#define CHALLENGE_KEYAUTH_MAX 320  /* token "." 43-character thumbprint */

struct challenges;

struct challenges *challenges_new(void);
void challenges_free(struct challenges *);
/* Publish keyauth as the answer for token (replacing an older one). 0, or
 * -1 when either is too long or the table is full. */
int  challenges_put(struct challenges *, const char *token, const char *keyauth);
void challenges_remove(struct challenges *, const char *token);
/* The answer for token[0..n) copied into out[len]: its length, or -1 when
 * no validation waits for that token. */
int  challenges_get(struct challenges *, const char *token, size_t n, char *out, size_t len);

#endif
