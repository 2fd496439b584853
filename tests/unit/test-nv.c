/* SPDX-License-Identifier: MIT */
/* test-nv.c - name-value pair encoder and incremental decoder. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "failmem.h"
#include "guard.h"
#include "internal.h"

#define NV_MAX 0x7fffffffu

/* ---- helpers --------------------------------------------------------- */

static uint64_t rnd_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Assert that two params hold the same pairs in the same order. */
static void assert_params_equal(const struct fcgi_params *a,
				const struct fcgi_params *b)
{
	struct fcgi_nv x, y;
	size_t i;

	assert_int_equal(fcgi_params_count(a), fcgi_params_count(b));
	for (i = 0; i < fcgi_params_count(a); i++) {
		fcgi_params_at(a, i, &x);
		fcgi_params_at(b, i, &y);
		assert_int_equal(x.name_len, y.name_len);
		assert_int_equal(x.value_len, y.value_len);
		assert_memory_equal(x.name, y.name, x.name_len);
		assert_memory_equal(x.value, y.value, x.value_len);
	}
}

/* Feed in[0..len) in chunks (0: whole, 1: bytes, else a seed for sizes
 * 1..max), each chunk against a guard page when guarded.  Returns the
 * first error, or finish's result; *split gets the decoder's flag. */
static int decode_cut(const uint8_t *in, size_t len, uint64_t seed, size_t max,
		      int guarded, struct fcgi_params *out, int *split)
{
	struct fcgi_nv_decoder d;
	struct guard g;
	size_t pos = 0, n;
	int rc = 0;

	fcgi_nv_decoder_init(&d, NULL, 0, 0);
	while (pos < len && rc == 0) {
		n = seed == 0 ? len - pos
			      : (seed == 1 ? 1 : 1 + rnd_next(&seed) % max);
		if (n > len - pos)
			n = len - pos;
		if (guarded) {
			assert_non_null(guard_place(&g, in + pos, n));
			rc = fcgi_nv_decoder_feed(&d, g.data, n, out);
			guard_release(&g);
		} else {
			rc = fcgi_nv_decoder_feed(&d, in + pos, n, out);
		}
		pos += n;
	}
	if (rc == 0)
		rc = fcgi_nv_decoder_finish(&d);
	if (split != NULL)
		*split = d.split;
	fcgi_nv_decoder_fini(&d);
	return rc;
}

/* A stream with lengths at the 1-byte/4-byte edges and NUL bytes. */
static void build_stream(struct fcgi_buf *b, uint8_t **keep)
{
	static const size_t lens[] = { 0, 1, 127, 128, 300, 65535 };
	uint8_t *data = malloc(65536 + 8);
	size_t i, j;

	assert_non_null(data);
	for (i = 0; i < 65536 + 8; i++)
		data[i] = (uint8_t)(i * 31 + 1);
	data[5] = 0;
	for (i = 0; i < FCGI_ARRAY_LEN(lens); i++)
		for (j = 0; j < FCGI_ARRAY_LEN(lens); j++)
			assert_int_equal(fcgi_nv_encode(b, data + i, lens[i],
							data + j, lens[j]),
					 0);
	assert_int_equal(fcgi_nv_encode(b, "HTTP_HOST", 9, "a\0b", 3), 0);
	*keep = data;
}

/* ---- encoder ------------------------------------------------------------- */

static void test_nv_encode_lengths(void **state)
{
	static const uint8_t w0[] = { 0, 0 };
	static const uint8_t w127[] = { 127, 1 };
	static const uint8_t w128[] = { 0x80, 0, 0, 128, 2 };
	static const uint8_t w65535[] = { 1, 0x80, 0, 0xff, 0xff };
	static uint8_t data[65535];
	struct fcgi_buf b;

	(void)state;
	fcgi_buf_init(&b, NULL, 0);
	assert_int_equal(fcgi_nv_encode(&b, NULL, 0, NULL, 0), 0);
	assert_int_equal(b.len, 2);
	assert_memory_equal(b.data, w0, 2);
	fcgi_buf_reset(&b);
	assert_int_equal(fcgi_nv_encode(&b, data, 127, "x", 1), 0);
	assert_int_equal(b.len, 2 + 128);
	assert_memory_equal(b.data, w127, 2);
	fcgi_buf_reset(&b);
	assert_int_equal(fcgi_nv_encode(&b, data, 128, "xy", 2), 0);
	assert_int_equal(b.len, 5 + 130);
	assert_memory_equal(b.data, w128, 5);
	fcgi_buf_reset(&b);
	assert_int_equal(fcgi_nv_encode(&b, "n", 1, data, 65535), 0);
	assert_int_equal(b.len, 5 + 65536);
	assert_memory_equal(b.data, w65535, 5);

	assert_int_equal(fcgi_nv_size(0, 0), 2);
	assert_int_equal(fcgi_nv_size(127, 127), 2 + 254);
	assert_int_equal(fcgi_nv_size(128, 127), 5 + 255);
	assert_int_equal(fcgi_nv_size(65535, 128), 8 + 65535 + 128);
	assert_int_equal(fcgi_nv_size(NV_MAX, NV_MAX), 8 + 2 * (size_t)NV_MAX);
	assert_int_equal(fcgi_nv_size(SIZE_MAX, 1), SIZE_MAX);
	fcgi_buf_fini(&b);
}

/*
 * 2^31-1, the largest length (FastCGI 1.0, 3.4).  Copying 2 GiB in a unit
 * test is out of the question, so the encoder is shown to accept the
 * length (it asks the buffer for exactly the pair's size, refused by a
 * limit before a byte is copied) and to reject 2^31; the bytes of the
 * 4-byte form are checked with a length that uses all four bytes.
 */
static void test_nv_encode_max_length(void **state)
{
	static const uint8_t want[] = { 0x81, 0x02, 0x03, 0x04, 0 };
	const size_t len = 0x01020304;
	struct fcgi_buf b;
	uint8_t *data;

	(void)state;
	fcgi_buf_init(&b, NULL, 4096);
	assert_int_equal(fcgi_nv_encode(&b, &b, NV_MAX, "", 0), FCGI_ELIMIT);
	assert_int_equal(fcgi_nv_encode(&b, "", 0, &b, NV_MAX), FCGI_ELIMIT);
	assert_int_equal(fcgi_nv_encode(&b, &b, (size_t)NV_MAX + 1, "", 0),
			 FCGI_EINVAL);
	assert_int_equal(fcgi_nv_encode(&b, "", 0, &b, (size_t)NV_MAX + 1),
			 FCGI_EINVAL);
	assert_int_equal(fcgi_nv_encode(&b, "a", 1, NULL, 1), FCGI_EINVAL);
	assert_int_equal(b.len, 0);
	fcgi_buf_fini(&b);

	data = calloc(1, len);
	assert_non_null(data);
	fcgi_buf_init(&b, NULL, 0);
	assert_int_equal(fcgi_nv_encode(&b, data, len, NULL, 0), 0);
	assert_int_equal(b.len, 5 + len);
	assert_memory_equal(b.data, want, 5);
	free(data);
	fcgi_buf_fini(&b);
}

/* ---- decoder ------------------------------------------------------------- */

static void test_nv_roundtrip(void **state)
{
	struct fcgi_buf b;
	struct fcgi_params p;
	struct fcgi_nv nv;
	uint8_t *data;

	(void)state;
	fcgi_buf_init(&b, NULL, 0);
	build_stream(&b, &data);
	fcgi_params_init(&p, NULL);
	assert_int_equal(fcgi_nv_decode_all(b.data, b.len, &p, 0, 0), 0);
	assert_int_equal(fcgi_params_count(&p), 37);
	fcgi_params_at(&p, 35, &nv);
	assert_int_equal(nv.name_len, 65535);
	assert_int_equal(nv.value_len, 65535);
	assert_memory_equal(nv.name, data + 5, 65535);
	fcgi_params_at(&p, 7, &nv); /* lens[1], lens[1] */
	assert_int_equal(nv.name_len, 1);
	assert_int_equal(nv.value_len, 1);
	assert_true(fcgi_params_gets(&p, "HTTP_HOST", &nv));
	assert_int_equal(nv.value_len, 3);
	assert_memory_equal(nv.value, "a\0b", 3);
	/* Encoding the decoded params gives the stream back. */
	{
		struct fcgi_buf again;
		fcgi_buf_init(&again, NULL, 0);
		assert_int_equal(fcgi_params_encode(&p, &again), 0);
		assert_int_equal(again.len, b.len);
		assert_memory_equal(again.data, b.data, b.len);
		fcgi_buf_fini(&again);
	}
	fcgi_params_fini(&p);
	fcgi_buf_fini(&b);
	free(data);
}

/* FastCGI 1.0, 3.4 does not ask for the shortest form: a 4-byte length
 * below 128 is read as written. */
static void test_nv_long_form_small(void **state)
{
	static const uint8_t in[] = { 0x80, 0, 0,   3,	 0x80, 0,
				      0,    0, 'a', 'b', 'c' };
	struct fcgi_params p;
	struct fcgi_nv nv;

	(void)state;
	fcgi_params_init(&p, NULL);
	assert_int_equal(fcgi_nv_decode_all(in, sizeof(in), &p, 0, 0), 0);
	assert_int_equal(fcgi_params_count(&p), 1);
	fcgi_params_at(&p, 0, &nv);
	assert_int_equal(nv.name_len, 3);
	assert_int_equal(nv.value_len, 0);
	fcgi_params_fini(&p);
}

static void test_nv_split_invariance(void **state)
{
	static const uint64_t seeds[] = { 1, 7, 99, 12345, 0xfeedface };
	static const size_t maxes[] = { 1, 3, 5, 200, 70000 };
	struct fcgi_buf b;
	struct fcgi_params ref, got;
	uint8_t *data;
	size_t i;
	int split;

	(void)state;
	fcgi_buf_init(&b, NULL, 0);
	build_stream(&b, &data);
	fcgi_params_init(&ref, NULL);
	assert_int_equal(decode_cut(b.data, b.len, 0, 0, 0, &ref, &split), 0);
	assert_int_equal(split, 0);
	for (i = 0; i < FCGI_ARRAY_LEN(seeds); i++) {
		fcgi_params_init(&got, NULL);
		assert_int_equal(decode_cut(b.data, b.len, seeds[i], maxes[i],
					    0, &got, &split),
				 0);
		assert_int_equal(split, 1);
		assert_params_equal(&ref, &got);
		fcgi_params_fini(&got);
	}
	fcgi_params_fini(&ref);
	fcgi_buf_fini(&b);
	free(data);
}

/* A split inside a 4-byte length, and the split flag. */
static void test_nv_split_in_length(void **state)
{
	static const uint8_t in[] = { 0x80, 0, 0, 130, 2, 'v', 'w' };
	uint8_t buf[sizeof(in) + 130];
	struct fcgi_nv_decoder d;
	struct fcgi_params p;
	struct fcgi_nv nv;
	size_t k;

	(void)state;
	memcpy(buf, in, 5);
	memset(buf + 5, 'n', 130);
	memcpy(buf + 135, "vw", 2);
	for (k = 0; k <= sizeof(buf); k++) {
		fcgi_params_init(&p, NULL);
		fcgi_nv_decoder_init(&d, NULL, 0, 0);
		assert_int_equal(fcgi_nv_decoder_feed(&d, buf, k, &p), 0);
		assert_int_equal(d.split, 0);
		assert_int_equal(fcgi_nv_decoder_finish(&d),
				 k == 0 || k == sizeof(buf) ? 0 : FCGI_EPROTO);
		assert_int_equal(
			fcgi_nv_decoder_feed(&d, buf + k, sizeof(buf) - k, &p),
			0);
		/* Only a pair cut in two counts as split. */
		assert_int_equal(d.split, k > 0 && k < sizeof(buf));
		assert_int_equal(fcgi_nv_decoder_finish(&d), 0);
		assert_int_equal(fcgi_params_count(&p), 1);
		fcgi_params_at(&p, 0, &nv);
		assert_int_equal(nv.name_len, 130);
		assert_int_equal(nv.value_len, 2);
		assert_memory_equal(nv.value, "vw", 2);
		fcgi_nv_decoder_fini(&d);
		fcgi_params_fini(&p);
	}
}

/* A pair with both lengths zero, split after its first byte. */
static void test_nv_empty_pair_split(void **state)
{
	static const uint8_t in[] = { 0, 0 };
	struct fcgi_nv_decoder d;
	struct fcgi_params p;

	(void)state;
	fcgi_params_init(&p, NULL);
	fcgi_nv_decoder_init(&d, NULL, 0, 0);
	assert_int_equal(fcgi_nv_decoder_feed(&d, in, 1, &p), 0);
	assert_int_equal(fcgi_params_count(&p), 0);
	assert_int_equal(fcgi_nv_decoder_feed(&d, in + 1, 1, &p), 0);
	assert_int_equal(fcgi_params_count(&p), 1);
	assert_int_equal(d.split, 1);
	assert_int_equal(fcgi_nv_decoder_finish(&d), 0);
	assert_int_equal(fcgi_nv_decoder_feed(&d, NULL, 0, &p), 0);
	fcgi_nv_decoder_fini(&d);
	fcgi_params_fini(&p);
}

/* Every place a stream can end early is a protocol error at finish. */
static void test_nv_truncated(void **state)
{
	struct fcgi_buf b;
	struct fcgi_params p;
	size_t k;
	int rc;

	(void)state;
	fcgi_buf_init(&b, NULL, 0);
	assert_int_equal(fcgi_nv_encode(&b, "A", 1, "B", 1), 0);
	assert_int_equal(fcgi_nv_encode(&b, "NAME", 4, NULL, 0), 0);
	{
		static uint8_t v[200];
		assert_int_equal(fcgi_nv_encode(&b, v, 150, v, 200), 0);
	}
	for (k = 0; k <= b.len; k++) {
		fcgi_params_init(&p, NULL);
		rc = fcgi_nv_decode_all(b.data, k, &p, 0, 0);
		if (k == 0 || k == 4 || k == 10 || k == b.len)
			assert_int_equal(rc, 0);
		else
			assert_int_equal(rc, FCGI_EPROTO);
		fcgi_params_fini(&p);
	}
	fcgi_buf_fini(&b);
}

/*
 * Limits are judged on the declared lengths, before a byte of the pair is
 * stored: a peer that declares 2^31-1 bytes is refused after five bytes
 * and costs no memory, and one that is allowed to send that much costs
 * only what it actually sent.
 */
static void test_nv_limits_declared(void **state)
{
	static const uint8_t huge[] = { 0xff, 0xff, 0xff, 0xff, 0x00 };
	static uint8_t more[100];
	struct fcgi_nv_decoder d;
	struct fcgi_params p;
	struct failmem f;
	size_t k;

	(void)state;
	for (k = 1; k <= sizeof(huge); k++) {
		failmem_init(&f, -1);
		fcgi_params_init(&p, &f.mem);
		fcgi_nv_decoder_init(&d, &f.mem, 1024 * 1024, 0);
		assert_int_equal(fcgi_nv_decoder_feed(&d, huge, k, &p),
				 k == sizeof(huge) ? FCGI_ELIMIT : 0);
		assert_int_equal(f.calls, 0);
		fcgi_nv_decoder_fini(&d);
		fcgi_params_fini(&p);
	}
	/* Whole in one feed, too. */
	failmem_init(&f, -1);
	fcgi_params_init(&p, &f.mem);
	fcgi_nv_decoder_init(&d, &f.mem, 1024 * 1024, 0);
	assert_int_equal(fcgi_nv_decoder_feed(&d, huge, sizeof(huge), &p),
			 FCGI_ELIMIT);
	assert_int_equal(f.calls, 0);
	/* The decoder stays stopped. */
	assert_int_equal(fcgi_nv_decoder_feed(&d, more, 10, &p), FCGI_ELIMIT);
	assert_int_equal(fcgi_nv_decoder_finish(&d), FCGI_ELIMIT);
	fcgi_nv_decoder_fini(&d);
	fcgi_params_fini(&p);

	/* Allowed: exactly the pair's size, or no limit. */
	for (k = 0; k < 2; k++) {
		failmem_init(&f, -1);
		fcgi_params_init(&p, &f.mem);
		fcgi_nv_decoder_init(&d, &f.mem,
				     k == 0 ? 5 + (size_t)NV_MAX : 0, 0);
		assert_int_equal(
			fcgi_nv_decoder_feed(&d, huge, sizeof(huge), &p), 0);
		assert_int_equal(d.name_len, NV_MAX);
		assert_int_equal(d.value_len, 0);
		assert_int_equal(
			fcgi_nv_decoder_feed(&d, more, sizeof(more), &p), 0);
		assert_int_equal(d.have, sizeof(more));
		assert_true(f.peak_bytes < 4096);
		assert_int_equal(fcgi_nv_decoder_finish(&d), FCGI_EPROTO);
		fcgi_nv_decoder_fini(&d);
		fcgi_params_fini(&p);
		assert_int_equal(f.live, 0);
	}
	/* One byte under the pair's size is refused. */
	fcgi_params_init(&p, NULL);
	fcgi_nv_decoder_init(&d, NULL, 5 + (size_t)NV_MAX - 1, 0);
	assert_int_equal(fcgi_nv_decoder_feed(&d, huge, sizeof(huge), &p),
			 FCGI_ELIMIT);
	fcgi_nv_decoder_fini(&d);
	fcgi_params_fini(&p);
}

static void test_nv_limits(void **state)
{
	struct fcgi_nv_decoder d;
	struct fcgi_buf b;
	struct fcgi_params p;
	size_t k;

	(void)state;
	fcgi_buf_init(&b, NULL, 0);
	assert_int_equal(fcgi_nv_encode(&b, "A", 1, "B", 1), 0);     /* 4 */
	assert_int_equal(fcgi_nv_encode(&b, "CC", 2, "DD", 2), 0);   /* 6 */
	assert_int_equal(fcgi_nv_encode(&b, "EEE", 3, "FFF", 3), 0); /* 8 */
	/* Bytes: exactly 18 fits, 17 does not. */
	fcgi_params_init(&p, NULL);
	assert_int_equal(fcgi_nv_decode_all(b.data, b.len, &p, 18, 0), 0);
	fcgi_params_fini(&p);
	fcgi_params_init(&p, NULL);
	assert_int_equal(fcgi_nv_decode_all(b.data, b.len, &p, 17, 0),
			 FCGI_ELIMIT);
	/* The pairs before the limit were kept. */
	assert_int_equal(fcgi_params_count(&p), 2);
	fcgi_params_fini(&p);
	/* Byte by byte, the third pair is refused as soon as its lengths
	 * are known, before its data. */
	fcgi_params_init(&p, NULL);
	fcgi_nv_decoder_init(&d, NULL, 17, 0);
	for (k = 0; k < 11; k++)
		assert_int_equal(fcgi_nv_decoder_feed(&d, b.data + k, 1, &p),
				 0);
	assert_int_equal(fcgi_nv_decoder_feed(&d, b.data + 11, 1, &p),
			 FCGI_ELIMIT);
	fcgi_nv_decoder_fini(&d);
	fcgi_params_fini(&p);
	/* Pairs. */
	fcgi_params_init(&p, NULL);
	assert_int_equal(fcgi_nv_decode_all(b.data, b.len, &p, 0, 3), 0);
	fcgi_params_fini(&p);
	fcgi_params_init(&p, NULL);
	assert_int_equal(fcgi_nv_decode_all(b.data, b.len, &p, 0, 2),
			 FCGI_ELIMIT);
	assert_int_equal(fcgi_params_count(&p), 2);
	fcgi_params_fini(&p);
	/* The params' own limits count too. */
	fcgi_params_init(&p, NULL);
	p.max_pairs = 1;
	assert_int_equal(fcgi_nv_decode_all(b.data, b.len, &p, 0, 0),
			 FCGI_ELIMIT);
	fcgi_params_fini(&p);
	fcgi_buf_fini(&b);
}

/* ---- guard pages ------------------------------------------------------- */

static void test_nv_guard(void **state)
{
	struct fcgi_buf b;
	struct fcgi_params p;
	struct guard g;
	size_t k;
	int rc, split;

	(void)state;
	fcgi_buf_init(&b, NULL, 0);
	assert_int_equal(fcgi_nv_encode(&b, "SCRIPT_NAME", 11, "/x", 2), 0);
	{
		static uint8_t v[300];
		memset(v, 'v', sizeof(v));
		assert_int_equal(fcgi_nv_encode(&b, v, 200, v, 300), 0);
	}
	assert_int_equal(fcgi_nv_encode(&b, "", 0, "", 0), 0);
	for (k = 0; k <= b.len; k++) {
		fcgi_params_init(&p, NULL);
		assert_non_null(guard_place(&g, b.data, k));
		rc = fcgi_nv_decode_all(g.data, k, &p, 0, 0);
		assert_true(rc == 0 || rc == FCGI_EPROTO);
		guard_release(&g);
		fcgi_params_fini(&p);
	}
	fcgi_params_init(&p, NULL);
	assert_int_equal(decode_cut(b.data, b.len, 1, 1, 1, &p, &split), 0);
	assert_int_equal(fcgi_params_count(&p), 3);
	fcgi_params_fini(&p);
	fcgi_params_init(&p, NULL);
	assert_int_equal(decode_cut(b.data, b.len, 31, 40, 1, &p, &split), 0);
	assert_int_equal(fcgi_params_count(&p), 3);
	fcgi_params_fini(&p);
	fcgi_buf_fini(&b);
}

/* ---- allocation failures ------------------------------------------------- */

struct sweep_in {
	const uint8_t *in;
	size_t len;
	size_t chunk;
};

static int sweep_decode(void *arg, const struct fcgi_mem *mem)
{
	const struct sweep_in *s = arg;
	struct fcgi_nv_decoder d;
	struct fcgi_params p;
	size_t pos = 0, n;
	int rc = 0;

	fcgi_params_init(&p, mem);
	fcgi_nv_decoder_init(&d, mem, 0, 0);
	while (pos < s->len && rc == 0) {
		n = s->chunk == 0 ? s->len - pos : s->chunk;
		if (n > s->len - pos)
			n = s->len - pos;
		rc = fcgi_nv_decoder_feed(&d, s->in + pos, n, &p);
		pos += n;
	}
	if (rc == 0)
		rc = fcgi_nv_decoder_finish(&d);
	fcgi_nv_decoder_fini(&d);
	fcgi_params_fini(&p);
	return rc;
}

static int sweep_decode_all(void *arg, const struct fcgi_mem *mem)
{
	const struct sweep_in *s = arg;
	struct fcgi_params p;
	int rc;

	fcgi_params_init(&p, mem);
	rc = fcgi_nv_decode_all(s->in, s->len, &p, 0, 0);
	fcgi_params_fini(&p);
	return rc;
}

static int sweep_encode(void *arg, const struct fcgi_mem *mem)
{
	struct fcgi_buf b;
	int rc;

	(void)arg;
	fcgi_buf_init(&b, mem, 0);
	rc = fcgi_nv_encode(&b, "QUERY_STRING", 12, "a=1", 3);
	fcgi_buf_fini(&b);
	return rc;
}

static void test_nv_alloc_failures(void **state)
{
	static const size_t chunks[] = { 0, 1, 3, 64 };
	struct fcgi_buf b;
	struct sweep_in s;
	char why[128] = "";
	size_t i;
	long hits;

	(void)state;
	fcgi_buf_init(&b, NULL, 0);
	for (i = 0; i < 40; i++)
		assert_int_equal(fcgi_nv_encode(&b, "HTTP_X_HEADER", 13,
						"some value or other", 19),
				 0);
	{
		static uint8_t v[500];
		assert_int_equal(fcgi_nv_encode(&b, v, 130, v, 500), 0);
	}
	s.in = b.data;
	s.len = b.len;
	for (i = 0; i < FCGI_ARRAY_LEN(chunks); i++) {
		s.chunk = chunks[i];
		hits = failmem_sweep(sweep_decode, &s, 1000, why, sizeof(why));
		assert_string_equal(why, "");
		assert_true(hits >= 2);
	}
	hits = failmem_sweep(sweep_decode_all, &s, 1000, why, sizeof(why));
	assert_string_equal(why, "");
	assert_true(hits >= 2);
	hits = failmem_sweep(sweep_encode, NULL, 100, why, sizeof(why));
	assert_string_equal(why, "");
	assert_int_equal(hits, 1);
	fcgi_buf_fini(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nv_encode_lengths),
		cmocka_unit_test(test_nv_encode_max_length),
		cmocka_unit_test(test_nv_roundtrip),
		cmocka_unit_test(test_nv_long_form_small),
		cmocka_unit_test(test_nv_split_invariance),
		cmocka_unit_test(test_nv_split_in_length),
		cmocka_unit_test(test_nv_empty_pair_split),
		cmocka_unit_test(test_nv_truncated),
		cmocka_unit_test(test_nv_limits_declared),
		cmocka_unit_test(test_nv_limits),
		cmocka_unit_test(test_nv_guard),
		cmocka_unit_test(test_nv_alloc_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
