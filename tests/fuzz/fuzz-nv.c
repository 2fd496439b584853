/* SPDX-License-Identifier: MIT */
/*
 * fuzz-nv.c - libFuzzer target for the name-value decoder and params.
 *
 * Input: one byte choosing limits, one choosing the chunking, then a
 * name-value stream.  The stream is decoded in one go and in chunks with
 * the same limits; both must end the same way with the same pairs.  A
 * stream that decoded is encoded again and must decode to the same
 * pairs, no longer than the input.  Params lookups and deletion are
 * checked against the decoded list.  Any mismatch aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static void check_same(const struct fcgi_params *a, const struct fcgi_params *b)
{
	struct fcgi_nv x, y;
	size_t i;

	check(fcgi_params_count(a) == fcgi_params_count(b));
	for (i = 0; i < fcgi_params_count(a); i++) {
		fcgi_params_at(a, i, &x);
		fcgi_params_at(b, i, &y);
		check(x.name_len == y.name_len && x.value_len == y.value_len);
		check(memcmp(x.name, y.name, x.name_len) == 0);
		check(memcmp(x.value, y.value, x.value_len) == 0);
	}
}

/* get() finds the first pair of each name; del() removes exactly the
 * pairs of that name and keeps the rest in order. */
static void check_lookup(const struct fcgi_params *p)
{
	struct fcgi_params q;
	struct fcgi_nv nv, got, other;
	size_t i, j, same;

	if (fcgi_params_count(p) == 0)
		return;
	fcgi_params_at(p, 0, &nv);
	check(fcgi_params_get(p, nv.name, nv.name_len, &got) == 1);
	check(got.value_len == nv.value_len &&
	      memcmp(got.value, nv.value, nv.value_len) == 0);
	fcgi_params_init(&q, NULL);
	same = 0;
	for (i = 0; i < fcgi_params_count(p); i++) {
		fcgi_params_at(p, i, &other);
		check(fcgi_params_add(&q, other.name, other.name_len,
				      other.value, other.value_len) == 0);
		if (other.name_len == nv.name_len &&
		    memcmp(other.name, nv.name, nv.name_len) == 0)
			same++;
	}
	check(fcgi_params_del(&q, nv.name, nv.name_len) == same);
	check(fcgi_params_count(&q) == fcgi_params_count(p) - same);
	check(fcgi_params_get(&q, nv.name, nv.name_len, &got) == 0);
	for (i = 0, j = 0; i < fcgi_params_count(p); i++) {
		fcgi_params_at(p, i, &other);
		if (other.name_len == nv.name_len &&
		    memcmp(other.name, nv.name, nv.name_len) == 0)
			continue;
		fcgi_params_at(&q, j++, &got);
		check(got.name_len == other.name_len &&
		      got.value_len == other.value_len);
		check(memcmp(got.value, other.value, got.value_len) == 0);
	}
	fcgi_params_fini(&q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fcgi_params a, b, c;
	struct fcgi_nv_decoder d;
	struct fcgi_buf enc;
	size_t max_bytes, max_pairs, pos, n;
	uint32_t seed;
	int ra, rb;

	if (size < 2)
		return 0;
	/* Small limits often, so that ELIMIT is reached. */
	max_bytes = data[0] & 1 ? (size_t)(data[0] >> 1) * 8 : 0;
	max_pairs = data[0] & 2 ? (size_t)(data[0] >> 4) : 0;
	seed = data[1];
	data += 2;
	size -= 2;

	fcgi_params_init(&a, NULL);
	ra = fcgi_nv_decode_all(data, size, &a, max_bytes, max_pairs);
	check(ra == 0 || ra == FCGI_EPROTO || ra == FCGI_ELIMIT);

	fcgi_params_init(&b, NULL);
	fcgi_nv_decoder_init(&d, NULL, max_bytes, max_pairs);
	rb = 0;
	for (pos = 0; pos < size && rb == 0; pos += n) {
		seed = seed * 1103515245u + 12345u;
		n = 1 + (seed >> 8) % 16;
		if (n > size - pos)
			n = size - pos;
		rb = fcgi_nv_decoder_feed(&d, data + pos, n, &b);
	}
	if (rb == 0)
		rb = fcgi_nv_decoder_finish(&d);
	else
		check(fcgi_nv_decoder_finish(&d) == rb);
	fcgi_nv_decoder_fini(&d);
	check(ra == rb);
	check_same(&a, &b);
	if (max_pairs != 0)
		check(fcgi_params_count(&a) <= max_pairs);

	if (ra == 0) {
		fcgi_buf_init(&enc, NULL, 0);
		check(fcgi_params_encode(&a, &enc) == 0);
		check(enc.len <= size);
		fcgi_params_init(&c, NULL);
		check(fcgi_nv_decode_all(enc.data, enc.len, &c, 0, 0) == 0);
		check_same(&a, &c);
		fcgi_params_fini(&c);
		fcgi_buf_fini(&enc);
		if (max_bytes != 0)
			check(size <= max_bytes);
	}
	check_lookup(&a);
	fcgi_params_fini(&a);
	fcgi_params_fini(&b);
	return 0;
}
