/* SPDX-License-Identifier: MIT */
/* test-err.c - every FCGI_E* code has a description of its own. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

/* Every code of enum fcgi_error.  A code added to the enum must be added
 * here: test_err_past_the_last fails until it is. */
static const int codes[] = {
	FCGI_OK,     FCGI_EPARTIAL, FCGI_EPROTO,    FCGI_ENOMEM,  FCGI_ELIMIT,
	FCGI_EINVAL, FCGI_EIO,	    FCGI_ETIMEDOUT, FCGI_ECLOSED, FCGI_ECONNECT,
	FCGI_EADDR,  FCGI_ESTATE,   FCGI_ECANCELED,
};

static void test_err_every_code(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < FCGI_ARRAY_LEN(codes); i++) {
		const char *s = fcgi_strerror(codes[i]);

		assert_non_null(s);
		if (s[0] == '\0' || strcmp(s, "unknown error") == 0)
			fail_msg("code %d has no description", codes[i]);
		/* One line, lowercase start, no full stop: it ends up in
		 * "fcgitool CMD: what: why". */
		assert_null(strchr(s, '\n'));
		assert_true(s[strlen(s) - 1] != '.');
		if (s[0] >= 'A' && s[0] <= 'Z' && strncmp(s, "I/O", 3) != 0)
			fail_msg("code %d: '%s' starts uppercase", codes[i], s);
		for (k = 0; k < i; k++)
			if (strcmp(fcgi_strerror(codes[k]), s) == 0)
				fail_msg("codes %d and %d share '%s'", codes[k],
					 codes[i], s);
	}
}

/* The codes are 0, -1, -2, ... without a gap, and the next one down has
 * no description yet. */
static void test_err_past_the_last(void **state)
{
	size_t i;
	int last = 0;

	(void)state;
	for (i = 0; i < FCGI_ARRAY_LEN(codes); i++) {
		assert_int_equal(codes[i], -(int)i);
		last = codes[i];
	}
	assert_string_equal(fcgi_strerror(last - 1), "unknown error");
}

static void test_err_unknown(void **state)
{
	(void)state;
	assert_string_equal(fcgi_strerror(1), "unknown error");
	assert_string_equal(fcgi_strerror(-1000), "unknown error");
	assert_string_equal(fcgi_strerror(INT32_MIN), "unknown error");
	assert_string_equal(fcgi_strerror(INT32_MAX), "unknown error");
	assert_string_equal(fcgi_strerror(FCGI_OK), "success");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_every_code),
		cmocka_unit_test(test_err_past_the_last),
		cmocka_unit_test(test_err_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
