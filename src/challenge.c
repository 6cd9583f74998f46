/* challenge: the HTTP-01 answers, a small locked table (see challenge.h). */
#include "tlserve/challenge.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct challenge {
	char token[CHALLENGE_TOKEN_MAX + 1];
	char keyauth[CHALLENGE_KEYAUTH_MAX + 1];
};

struct challenges {
	pthread_mutex_t lock;
	struct challenge v[CHALLENGE_MAX];
	size_t n;
};

struct challenges *
challenges_new(void)
{
	struct challenges *t = calloc(1, sizeof(*t));

	if (t != NULL)
		pthread_mutex_init(&t->lock, NULL);
	return t;
}

void
challenges_free(struct challenges *t)
{
	if (t == NULL)
		return;
	pthread_mutex_destroy(&t->lock);
	free(t);
}

int
challenges_put(struct challenges *t, const char *token, const char *keyauth)
{
	size_t i;
	int r = -1;

	if (strlen(token) > CHALLENGE_TOKEN_MAX || strlen(keyauth) > CHALLENGE_KEYAUTH_MAX)
		return -1;
	pthread_mutex_lock(&t->lock);
	for (i = 0; i < t->n && strcmp(t->v[i].token, token) != 0; i++)
		;
	if (i < CHALLENGE_MAX) {
		snprintf(t->v[i].token, sizeof(t->v[i].token), "%s", token);
		snprintf(t->v[i].keyauth, sizeof(t->v[i].keyauth), "%s", keyauth);
		if (i == t->n)
			t->n++;
		r = 0;
	}
	pthread_mutex_unlock(&t->lock);
	return r;
}

void
challenges_remove(struct challenges *t, const char *token)
{
	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < t->n; i++) {
		if (strcmp(t->v[i].token, token) == 0) {
			t->v[i] = t->v[--t->n];
			break;
		}
	}
	pthread_mutex_unlock(&t->lock);
}

int
challenges_get(struct challenges *t, const char *token, size_t n, char *out, size_t len)
{
	int r = -1;

	if (n == 0 || n > CHALLENGE_TOKEN_MAX)
		return -1;
	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < t->n; i++) {
		size_t k = strlen(t->v[i].keyauth);

		if (strlen(t->v[i].token) == n && memcmp(t->v[i].token, token, n) == 0 && k < len) {
			memcpy(out, t->v[i].keyauth, k + 1);
			r = (int)k;
			break;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return r;
}
