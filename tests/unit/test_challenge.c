/* Unit tests for challenge: the HTTP-01 answers table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tlserve/challenge.h"

static void
test_put_get_remove(void **state)
{
	struct challenges *t = challenges_new();
	char out[CHALLENGE_KEYAUTH_MAX + 1];

	(void)state;
	assert_non_null(t);
	assert_int_equal(challenges_get(t, "tok", 3, out, sizeof(out)), -1);
	assert_int_equal(challenges_put(t, "tok", "tok.thumb"), 0);
	assert_int_equal(challenges_put(t, "other", "other.thumb"), 0);
	assert_int_equal(challenges_get(t, "tok", 3, out, sizeof(out)), 9);
	assert_string_equal(out, "tok.thumb");
	/* the length given is the token: a prefix or a longer text is another token */
	assert_int_equal(challenges_get(t, "to", 2, out, sizeof(out)), -1);
	assert_int_equal(challenges_get(t, "tokx", 4, out, sizeof(out)), -1);
	assert_int_equal(challenges_get(t, "tok?x=1", 3, out, sizeof(out)), 9);
	/* replacing keeps one entry */
	assert_int_equal(challenges_put(t, "tok", "tok.new"), 0);
	assert_int_equal(challenges_get(t, "tok", 3, out, sizeof(out)), 7);
	assert_string_equal(out, "tok.new");
	/* an answer that does not fit is not cut */
	assert_int_equal(challenges_get(t, "tok", 3, out, 7), -1);
	challenges_remove(t, "tok");
	assert_int_equal(challenges_get(t, "tok", 3, out, sizeof(out)), -1);
	assert_int_equal(challenges_get(t, "other", 5, out, sizeof(out)), 11);
	challenges_remove(t, "absent");
	assert_int_equal(challenges_get(t, "", 0, out, sizeof(out)), -1);
	challenges_free(t);
}

static void
test_limits(void **state)
{
	struct challenges *t = challenges_new();
	char tok[CHALLENGE_TOKEN_MAX + 2], ka[CHALLENGE_KEYAUTH_MAX + 2], out[CHALLENGE_KEYAUTH_MAX + 1];

	(void)state;
	memset(tok, 'a', sizeof(tok) - 1);
	tok[sizeof(tok) - 1] = '\0';
	assert_int_equal(challenges_put(t, tok, "x"), -1);  /* one over the token limit */
	tok[CHALLENGE_TOKEN_MAX] = '\0';
	assert_int_equal(challenges_put(t, tok, "x"), 0);
	assert_int_equal(challenges_get(t, tok, CHALLENGE_TOKEN_MAX, out, sizeof(out)), 1);
	memset(ka, 'k', sizeof(ka) - 1);
	ka[sizeof(ka) - 1] = '\0';
	assert_int_equal(challenges_put(t, "t", ka), -1);
	/* a full table refuses one more, and takes it once one is removed */
	for (int i = 1; i < CHALLENGE_MAX; i++) {
		char name[16];

		snprintf(name, sizeof(name), "t%d", i);
		assert_int_equal(challenges_put(t, name, "v"), 0);
	}
	assert_int_equal(challenges_put(t, "one-more", "v"), -1);
	challenges_remove(t, "t1");
	assert_int_equal(challenges_put(t, "one-more", "v"), 0);
	assert_int_equal(challenges_get(t, "one-more", 8, out, sizeof(out)), 1);
	challenges_free(t);
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get_remove),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests_name("challenge", tests, NULL, NULL);
}
