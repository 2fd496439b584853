/* SPDX-License-Identifier: MIT */
/* test-sha256.c - SHA-256 against the FIPS 180-4 examples, fed whole and
 * in every split. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fcgi.h"

static void hex(char *out, const uint8_t d[32])
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void check(const char *msg, const char *want)
{
	size_t len = strlen(msg);
	struct fcgi_sha256 s;
	uint8_t d[32];
	char got[65];

	for (size_t cut = 0; cut <= len; cut++) {
		fcgi_sha256_init(&s);
		fcgi_sha256_update(&s, (const uint8_t *)msg, cut);
		fcgi_sha256_update(&s, (const uint8_t *)msg + cut, len - cut);
		fcgi_sha256_final(&s, d);
		hex(got, d);
		assert_string_equal(got, want);
	}
}

static void test_sha256_vectors(void **state)
{
	(void)state;
	check("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b78"
		  "52b855");
	check("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff6"
		     "1f20015ad");
	check("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db"
	      "06c1");
	check("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklm"
	      "noijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
	      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afe"
	      "e9d1");
}

static void test_sha256_million(void **state)
{
	uint8_t chunk[1000], d[32];
	struct fcgi_sha256 s;
	char got[65];

	(void)state;
	memset(chunk, 'a', sizeof(chunk));
	fcgi_sha256_init(&s);
	for (int i = 0; i < 1000; i++)
		fcgi_sha256_update(&s, chunk, sizeof(chunk));
	fcgi_sha256_final(&s, d);
	hex(got, d);
	assert_string_equal(got, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a4"
				 "97200e046d39ccc7112cd0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_vectors),
		cmocka_unit_test(test_sha256_million),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
