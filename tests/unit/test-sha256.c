/* SPDX-License-Identifier: MIT */
/* test-sha256.c - SHA-256 against the FIPS 180-4 examples, fed whole and
 * in every split, in both implementations (the CPU's SHA extensions where
 * it has them, and portable C), and the two agreeing on every length
 * around the block boundaries and on random data in random pieces. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

/* The same with the portable code, whatever the CPU has. */
static void test_sha256_vectors_portable(void **state)
{
	fcgi_sha256_force_portable(true);
	assert_false(fcgi_sha256_accelerated());
	test_sha256_vectors(state);
	fcgi_sha256_force_portable(false);
}

static void digest(const uint8_t *p, size_t len, size_t piece, uint8_t out[32])
{
	struct fcgi_sha256 s;
	size_t n;

	fcgi_sha256_init(&s);
	while (len > 0) {
		n = piece < len ? piece : len;
		fcgi_sha256_update(&s, p, n);
		p += n;
		len -= n;
	}
	fcgi_sha256_final(&s, out);
}

/* Every length from 0 to 300 and some long ones, whole and in random
 * pieces: the two implementations agree. */
static void test_sha256_implementations_agree(void **state)
{
	uint8_t *buf, a[32], b[32];
	size_t len, piece;
	unsigned seed = 15;

	(void)state;
	if (!fcgi_sha256_accelerated())
		print_message("no SHA extensions here: portable code only\n");
	buf = malloc(70000);
	assert_non_null(buf);
	for (size_t i = 0; i < 70000; i++)
		buf[i] = (uint8_t)rand_r(&seed);
	for (len = 0; len < 70000; len = len < 300 ? len + 1 : len * 3 + 7) {
		piece = (size_t)rand_r(&seed) % 200 + 1;
		fcgi_sha256_force_portable(true);
		digest(buf, len, SIZE_MAX, a);
		fcgi_sha256_force_portable(false);
		digest(buf, len, piece, b);
		assert_memory_equal(a, b, 32);
	}
	free(buf);
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
		cmocka_unit_test(test_sha256_vectors_portable),
		cmocka_unit_test(test_sha256_implementations_agree),
		cmocka_unit_test(test_sha256_million),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
