/* SPDX-License-Identifier: MIT */
/* test-record.c - record header, bodies, encoder and incremental decoder. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "failmem.h"
#include "guard.h"
#include "internal.h"

/* ---- helpers --------------------------------------------------------- */

/* A small deterministic generator for chunk sizes (xorshift64). */
static uint64_t rnd_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* How to cut the input: 0 whole, 1 one byte at a time, else a seed for
 * random chunk sizes of 1..max_chunk. */
struct cut {
	uint64_t seed;
	size_t max_chunk;
	int guarded; /* place every chunk against a guard page */
};

/* Append a record's fields and content to log, in a fixed layout, so two
 * decodes can be compared with memcmp. */
static void log_record(struct fcgi_buf *log, const struct fcgi_record *r)
{
	uint8_t hdr[FCGI_HEADER_LEN];

	fcgi_header_encode(hdr, &r->h);
	assert_int_equal(fcgi_buf_append(log, hdr, sizeof(hdr)), 0);
	assert_int_equal(fcgi_buf_append(log, &r->offset, sizeof(r->offset)),
			 0);
	assert_int_equal(fcgi_buf_append(log, &r->number, sizeof(r->number)),
			 0);
	assert_int_equal(fcgi_buf_append(log, r->content, r->h.content_length),
			 0);
}

/* Feed one chunk until it is used up; logs records.  Returns the feed's
 * last negative code or 0. */
static int feed_chunk(struct fcgi_decoder *d, const uint8_t *p, size_t n,
		      struct fcgi_buf *log)
{
	struct fcgi_record rec;
	size_t used;
	int rc;

	for (;;) {
		rc = fcgi_decoder_feed(d, p, n, &used, &rec);
		if (rc < 0)
			return rc;
		assert_true(used <= n);
		if (rc == 1)
			log_record(log, &rec);
		p += used;
		n -= used;
		if (rc == 0) {
			assert_int_equal(n, 0);
			return 0;
		}
		if (n == 0)
			return 0;
	}
}

/* Decode in[0..len) cut as told; log gets the records, then the end
 * result and the error text. */
static void decode_cut(const uint8_t *in, size_t len, const struct cut *cut,
		       struct fcgi_buf *log)
{
	struct fcgi_decoder d;
	struct guard g;
	uint64_t s = cut->seed;
	size_t pos = 0, n;
	char msg[128];
	int rc = 0;

	fcgi_decoder_init(&d, NULL);
	while (pos < len && rc == 0) {
		if (cut->seed == 0)
			n = len - pos;
		else if (cut->seed == 1)
			n = 1;
		else
			n = 1 + (size_t)(rnd_next(&s) % cut->max_chunk);
		if (n > len - pos)
			n = len - pos;
		if (cut->guarded) {
			assert_non_null(guard_place(&g, in + pos, n));
			rc = feed_chunk(&d, g.data, n, log);
			guard_release(&g);
		} else {
			rc = feed_chunk(&d, in + pos, n, log);
		}
		pos += n;
	}
	if (rc == 0)
		rc = fcgi_decoder_finish(&d);
	fcgi_decoder_error(&d, msg, sizeof(msg));
	assert_int_equal(fcgi_buf_append(log, &rc, sizeof(rc)), 0);
	assert_int_equal(fcgi_buf_append(log, msg, strlen(msg)), 0);
	fcgi_decoder_fini(&d);
}

/* Decode in whole, byte by byte and in random chunks (some of them
 * guarded) and check that every way gives the same log as whole. */
static void check_split_invariance(const uint8_t *in, size_t len)
{
	static const struct cut cuts[] = {
		{ 1, 1, 0 },	  { 1, 1, 1 },	   { 0x9e3779b9, 3, 0 },
		{ 12345, 17, 0 }, { 777, 700, 1 }, { 0xdeadbeef, 9000, 0 },
		{ 42, 70000, 0 },
	};
	struct cut whole = { 0, 0, 1 };
	struct fcgi_buf ref, got;
	size_t i;

	fcgi_buf_init(&ref, NULL, 0);
	decode_cut(in, len, &whole, &ref);
	for (i = 0; i < FCGI_ARRAY_LEN(cuts); i++) {
		fcgi_buf_init(&got, NULL, 0);
		decode_cut(in, len, &cuts[i], &got);
		assert_int_equal(got.len, ref.len);
		assert_memory_equal(got.data, ref.data, ref.len);
		fcgi_buf_fini(&got);
	}
	fcgi_buf_fini(&ref);
}

/* Decode whole and return the end message; rc gets the end result. */
static void decode_msg(const uint8_t *in, size_t len, int *rc, char *msg,
		       size_t n)
{
	struct fcgi_decoder d;
	struct fcgi_record rec;
	size_t used;
	int r;

	fcgi_decoder_init(&d, NULL);
	do {
		r = fcgi_decoder_feed(&d, in, len, &used, &rec);
		in += used;
		len -= used;
	} while (r == 1);
	if (r == 0)
		r = fcgi_decoder_finish(&d);
	*rc = r;
	fcgi_decoder_error(&d, msg, n);
	fcgi_decoder_fini(&d);
}

/* One record of each type with a body fitting its kind, plus two of types
 * the spec does not define. */
static void build_mix(struct fcgi_buf *b)
{
	static const uint8_t nv[] = { 4, 3, 'H', 'O', 'S', 'T', 'a', '.', 'b' };
	struct fcgi_begin_body bb = { FCGI_RESPONDER, FCGI_KEEP_CONN };
	struct fcgi_end_body eb = { 0x01020304, FCGI_OVERLOADED };
	uint8_t body[8], big[3000];
	size_t i;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + 3);
	fcgi_begin_body_encode(body, &bb);
	assert_int_equal(fcgi_record_encode(b, FCGI_BEGIN_REQUEST, 1, body, 8),
			 0);
	assert_int_equal(fcgi_record_encode(b, FCGI_ABORT_REQUEST, 1, NULL, 0),
			 0);
	assert_int_equal(fcgi_record_encode(b, FCGI_PARAMS, 1, nv, sizeof(nv)),
			 0);
	assert_int_equal(fcgi_record_encode(b, FCGI_PARAMS, 1, NULL, 0), 0);
	assert_int_equal(fcgi_record_encode(b, FCGI_STDIN, 1, big, 2999), 0);
	assert_int_equal(fcgi_record_encode(b, FCGI_STDIN, 1, NULL, 0), 0);
	assert_int_equal(fcgi_record_encode(b, FCGI_DATA, 1, big, 5), 0);
	assert_int_equal(fcgi_record_encode(b, FCGI_STDOUT, 1, big, 3000), 0);
	assert_int_equal(
		fcgi_record_encode_padded(b, FCGI_STDERR, 1, big, 1, 255), 0);
	fcgi_end_body_encode(body, &eb);
	assert_int_equal(fcgi_record_encode(b, FCGI_END_REQUEST, 1, body, 8),
			 0);
	assert_int_equal(fcgi_record_encode(b, FCGI_GET_VALUES, 0, nv, 9), 0);
	assert_int_equal(
		fcgi_record_encode(b, FCGI_GET_VALUES_RESULT, 0, nv, 9), 0);
	fcgi_unknown_body_encode(body, 42);
	assert_int_equal(fcgi_record_encode(b, FCGI_UNKNOWN_TYPE, 0, body, 8),
			 0);
	assert_int_equal(fcgi_record_encode(b, 42, 0, big, 17), 0);
	assert_int_equal(fcgi_record_encode(b, 0, 65535, big, 8), 0);
}

/* ---- header, padding, encoder ---------------------------------------- */

static void test_record_header_roundtrip(void **state)
{
	struct fcgi_header h = { 1, 11, 0xabcd, 0xfffe, 255, 7 }, g;
	uint8_t out[8];
	static const uint8_t want[8] = {
		1, 11, 0xab, 0xcd, 0xff, 0xfe, 0xff, 7
	};
	size_t n;

	(void)state;
	fcgi_header_encode(out, &h);
	assert_memory_equal(out, want, 8);
	assert_int_equal(fcgi_header_decode(&g, out, 8), 0);
	assert_memory_equal(&g, &h, sizeof(h));
	for (n = 0; n < 8; n++)
		assert_int_equal(fcgi_header_decode(&g, out, n), FCGI_EPARTIAL);
}

static void test_record_padding_for(void **state)
{
	(void)state;
	assert_int_equal(fcgi_padding_for(0, 8), 0);
	assert_int_equal(fcgi_padding_for(1, 8), 7);
	assert_int_equal(fcgi_padding_for(7, 8), 1);
	assert_int_equal(fcgi_padding_for(8, 8), 0);
	assert_int_equal(fcgi_padding_for(65535, 8), 1);
	assert_int_equal(fcgi_padding_for(FCGI_CHUNK_MAX, 8), 0);
	assert_int_equal(fcgi_padding_for(5, 0), 0);
	assert_int_equal(fcgi_padding_for(5, 1), 0);
	assert_int_equal(fcgi_padding_for(5, 2), 1);
	assert_int_equal(fcgi_padding_for(0, 256), 248);
	assert_int_equal(fcgi_padding_for(248, 256), 0);
	assert_int_equal(fcgi_padding_for(249, 256), 255);
	assert_int_equal(fcgi_padding_for(5, 512), 0);
}

static void test_record_encode_bytes(void **state)
{
	static const uint8_t want[16] = { 1,   6,   0x01, 0x02, 0, 3, 5, 0,
					  'a', 'b', 'c',  0,	0, 0, 0, 0 };
	static const uint8_t big[65536];
	struct fcgi_buf b;

	(void)state;
	fcgi_buf_init(&b, NULL, 0);
	assert_int_equal(fcgi_record_encode(&b, FCGI_STDOUT, 0x0102, "abc", 3),
			 0);
	assert_int_equal(b.len, 16);
	assert_memory_equal(b.data, want, 16);
	/* FastCGI 1.0, 3.3: contentLength is 16 bits. */
	assert_int_equal(fcgi_record_encode(&b, FCGI_STDOUT, 1, big, 65536),
			 FCGI_EINVAL);
	assert_int_equal(fcgi_record_encode(&b, FCGI_STDOUT, 1, NULL, 1),
			 FCGI_EINVAL);
	assert_int_equal(b.len, 16);
	assert_int_equal(
		fcgi_record_encode_padded(&b, FCGI_STDIN, 1, big, 65535, 255),
		0);
	assert_int_equal(b.len, 16 + 8 + 65535 + 255);
	fcgi_buf_reset(&b);
	/* A full buffer appends nothing. */
	b.max = 20;
	assert_int_equal(fcgi_record_encode(&b, FCGI_STDOUT, 1, "abcdefghi", 9),
			 FCGI_ELIMIT);
	assert_int_equal(b.len, 0);
	fcgi_buf_fini(&b);
}

static void test_record_bodies(void **state)
{
	struct fcgi_begin_body bb = { 0xfffe, 0xff }, bg;
	struct fcgi_end_body eb = { 0xfedcba98, 3 }, eg;
	static const uint8_t wb[8] = { 0xff, 0xfe, 0xff, 0, 0, 0, 0, 0 };
	static const uint8_t we[8] = { 0xfe, 0xdc, 0xba, 0x98, 3, 0, 0, 0 };
	static const uint8_t wu[8] = { 200, 0, 0, 0, 0, 0, 0, 0 };
	uint8_t out[9], t;
	size_t n;

	(void)state;
	fcgi_begin_body_encode(out, &bb);
	assert_memory_equal(out, wb, 8);
	assert_int_equal(fcgi_begin_body_decode(&bg, out, 8), 0);
	assert_int_equal(bg.role, bb.role);
	assert_int_equal(bg.flags, bb.flags);
	fcgi_end_body_encode(out, &eb);
	assert_memory_equal(out, we, 8);
	assert_int_equal(fcgi_end_body_decode(&eg, out, 8), 0);
	assert_int_equal(eg.app_status, eb.app_status);
	assert_int_equal(eg.protocol_status, eb.protocol_status);
	fcgi_unknown_body_encode(out, 200);
	assert_memory_equal(out, wu, 8);
	assert_int_equal(fcgi_unknown_body_decode(&t, out, 8), 0);
	assert_int_equal(t, 200);
	/* FastCGI 1.0, 5.1, 5.5, 4.2: every one of these bodies is 8 bytes. */
	for (n = 0; n <= 9; n++) {
		if (n == 8)
			continue;
		assert_int_equal(fcgi_begin_body_decode(&bg, out, n),
				 FCGI_EPROTO);
		assert_int_equal(fcgi_end_body_decode(&eg, out, n),
				 FCGI_EPROTO);
		assert_int_equal(fcgi_unknown_body_decode(&t, out, n),
				 FCGI_EPROTO);
	}
}

/* ---- decoder ----------------------------------------------------------- */

/* Every type 1..11 and two undefined ones survive encode then decode. */
static void test_record_roundtrip_types(void **state)
{
	struct fcgi_buf b;
	struct fcgi_decoder d;
	struct fcgi_record rec;
	uint8_t body[8], buf[40];
	unsigned type;
	size_t used, len;
	int rc;

	(void)state;
	for (type = 0; type <= 12; type++) {
		fcgi_buf_init(&b, NULL, 0);
		len = type % 3 == 0 ? 0 : (type % 3 == 1 ? 8 : 33);
		memset(buf, (int)type, sizeof(buf));
		if (type == FCGI_BEGIN_REQUEST) {
			struct fcgi_begin_body bb = { FCGI_FILTER, 0 };
			fcgi_begin_body_encode(body, &bb);
			memcpy(buf, body, 8);
		}
		assert_int_equal(fcgi_record_encode(&b, (uint8_t)type,
						    (uint16_t)(type * 257), buf,
						    len),
				 0);
		assert_int_equal(b.len % 8, 0);
		fcgi_decoder_init(&d, NULL);
		rc = fcgi_decoder_feed(&d, b.data, b.len, &used, &rec);
		assert_int_equal(rc, 1);
		assert_int_equal(used, b.len);
		assert_int_equal(rec.h.version, FCGI_VERSION_1);
		assert_int_equal(rec.h.type, type);
		assert_int_equal(rec.h.request_id, type * 257);
		assert_int_equal(rec.h.content_length, len);
		assert_int_equal(rec.h.padding_length,
				 fcgi_padding_for(len, 8));
		assert_int_equal(rec.offset, 0);
		assert_int_equal(rec.number, 1);
		assert_non_null(rec.content);
		assert_memory_equal(rec.content, buf, len);
		if (type == FCGI_BEGIN_REQUEST) {
			struct fcgi_begin_body g;
			assert_int_equal(
				fcgi_begin_body_decode(&g, rec.content,
						       rec.h.content_length),
				0);
			assert_int_equal(g.role, FCGI_FILTER);
		}
		assert_int_equal(fcgi_decoder_finish(&d), 0);
		fcgi_decoder_fini(&d);
		fcgi_buf_fini(&b);
	}
}

/* Offsets and numbers of a stream of several records, and the extremes of
 * contentLength and paddingLength. */
static void test_record_decoder_stream(void **state)
{
	static uint8_t big[65535];
	struct fcgi_buf b;
	struct fcgi_decoder d;
	struct fcgi_record rec;
	const uint8_t *p;
	size_t used, left, n = 0;
	uint64_t off = 0;
	int rc;

	(void)state;
	memset(big, 0x5a, sizeof(big));
	fcgi_buf_init(&b, NULL, 0);
	assert_int_equal(
		fcgi_record_encode_padded(&b, FCGI_STDOUT, 1, big, 65535, 255),
		0);
	assert_int_equal(
		fcgi_record_encode_padded(&b, FCGI_STDOUT, 2, NULL, 0, 255), 0);
	assert_int_equal(
		fcgi_record_encode_padded(&b, FCGI_STDOUT, 3, big, 3, 0), 0);
	assert_int_equal(fcgi_record_encode(&b, FCGI_STDOUT, 4, NULL, 0), 0);
	fcgi_decoder_init(&d, NULL);
	p = b.data;
	left = b.len;
	while ((rc = fcgi_decoder_feed(&d, p, left, &used, &rec)) == 1) {
		n++;
		assert_int_equal(rec.number, n);
		assert_int_equal(rec.offset, off);
		assert_int_equal(rec.h.request_id, n);
		/* Whole in the input: a view, not a copy. */
		assert_ptr_equal(rec.content, p + 8);
		off += 8 + rec.h.content_length + rec.h.padding_length;
		p += used;
		left -= used;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, 4);
	assert_int_equal(left, 0);
	assert_int_equal(d.offset, b.len);
	assert_int_equal(fcgi_decoder_finish(&d), 0);
	fcgi_decoder_fini(&d);
	fcgi_buf_fini(&b);
}

static void test_record_split_invariance(void **state)
{
	struct fcgi_buf b;
	size_t cut;

	(void)state;
	fcgi_buf_init(&b, NULL, 0);
	build_mix(&b);
	check_split_invariance(b.data, b.len);
	/* Every truncation point too, so each error state is reached the
	 * same way whatever the chunks. */
	for (cut = 0; cut < 200; cut++)
		check_split_invariance(b.data, cut);
	check_split_invariance(b.data, b.len - 1);
	/* A bad version in the middle. */
	b.data[b.len - 16] = 2;
	check_split_invariance(b.data, b.len);
	fcgi_buf_fini(&b);
}

/* A record that arrives in pieces is copied once into the decoder and
 * never takes more than one record's worth of memory. */
static void test_record_decoder_memory_bound(void **state)
{
	static uint8_t big[65535];
	struct fcgi_buf b;
	struct fcgi_decoder d;
	struct fcgi_record rec;
	struct failmem f;
	size_t i, used, n = 0;
	int rc;

	(void)state;
	fcgi_buf_init(&b, NULL, 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(fcgi_record_encode_padded(&b, FCGI_STDIN, 1,
							   big, 65535, 255),
				 0);
	failmem_init(&f, -1);
	fcgi_decoder_init(&d, &f.mem);
	for (i = 0; i < b.len; i++) {
		rc = fcgi_decoder_feed(&d, b.data + i, 1, &used, &rec);
		assert_true(rc == 0 || rc == 1);
		assert_int_equal(used, 1);
		if (rc == 1) {
			n++;
			assert_int_equal(rec.h.content_length, 65535);
			assert_ptr_equal(rec.content, d.content.data);
		}
	}
	assert_int_equal(n, 3);
	assert_true(f.peak_bytes <= 8 + 65535 + 255);
	assert_int_equal(f.calls, 1);
	fcgi_decoder_fini(&d);
	assert_int_equal(f.live, 0);
	fcgi_buf_fini(&b);
}

static void test_record_error_bad_version(void **state)
{
	uint8_t in[24] = { 1, 5, 0, 1, 0, 0, 0, 0, 3, 5, 0, 1, 0, 0, 0, 0 };
	struct fcgi_decoder d;
	struct fcgi_record rec;
	size_t used;
	char msg[128];
	int rc;

	(void)state;
	decode_msg(in + 8, 8, &rc, msg, sizeof(msg));
	assert_int_equal(rc, FCGI_EPROTO);
	assert_string_equal(msg, "bad version 3 at offset 0 (record 1)");
	decode_msg(in, 16, &rc, msg, sizeof(msg));
	assert_int_equal(rc, FCGI_EPROTO);
	assert_string_equal(msg, "bad version 3 at offset 8 (record 2)");
	/* "GET / HTTP/1.1" sent to a FastCGI port. */
	decode_msg((const uint8_t *)"GE", 2, &rc, msg, sizeof(msg));
	assert_string_equal(msg, "bad version 71 at offset 0 (record 1)");

	/* The decoder stops for good and says where. */
	fcgi_decoder_init(&d, NULL);
	assert_int_equal(fcgi_decoder_feed(&d, in, 16, &used, &rec), 1);
	assert_int_equal(used, 8);
	assert_int_equal(fcgi_decoder_feed(&d, in + 8, 8, &used, &rec),
			 FCGI_EPROTO);
	assert_int_equal(used, 1);
	assert_int_equal(d.state, FCGI_DEC_BAD_VERSION);
	assert_int_equal(fcgi_decoder_feed(&d, in, 8, &used, &rec),
			 FCGI_EPROTO);
	assert_int_equal(used, 0);
	assert_int_equal(fcgi_decoder_finish(&d), FCGI_EPROTO);
	assert_int_equal(d.state, FCGI_DEC_BAD_VERSION);
	assert_string_equal(fcgi_decoder_error(&d, msg, sizeof(msg)),
			    "bad version 3 at offset 8 (record 2)");
	/* A short message buffer is cut, still terminated. */
	fcgi_decoder_error(&d, msg, 8);
	assert_string_equal(msg, "bad ver");
	fcgi_decoder_fini(&d);
}

static void test_record_error_truncated(void **state)
{
	static uint8_t big[2000];
	struct fcgi_begin_body bb = { FCGI_RESPONDER, 0 };
	uint8_t body[8];
	struct fcgi_buf b;
	char msg[128];
	int rc;

	(void)state;
	fcgi_buf_init(&b, NULL, 0);
	fcgi_begin_body_encode(body, &bb);
	assert_int_equal(fcgi_record_encode(&b, FCGI_BEGIN_REQUEST, 1, body, 8),
			 0);
	assert_int_equal(fcgi_record_encode(&b, FCGI_STDIN, 1, big, 2000), 0);
	/* 16 + 8 header bytes + 100 of 2000 content bytes. */
	decode_msg(b.data, 16 + 8 + 100, &rc, msg, sizeof(msg));
	assert_int_equal(rc, FCGI_EPROTO);
	assert_string_equal(
		msg,
		"truncated content: 100 of 2000 bytes at offset 16 (record 2)");
	decode_msg(b.data, 16 + 8, &rc, msg, sizeof(msg));
	assert_string_equal(
		msg,
		"truncated content: 0 of 2000 bytes at offset 16 (record 2)");
	decode_msg(b.data, 16 + 5, &rc, msg, sizeof(msg));
	assert_int_equal(rc, FCGI_EPROTO);
	assert_string_equal(
		msg, "truncated header: 5 of 8 bytes at offset 16 (record 2)");
	fcgi_buf_fini(&b);

	/* Records 1 and 2 end at 40; record 3 has 5 header bytes. */
	fcgi_buf_init(&b, NULL, 0);
	assert_int_equal(fcgi_record_encode(&b, FCGI_STDOUT, 1, big, 12), 0);
	assert_int_equal(
		fcgi_record_encode_padded(&b, FCGI_STDOUT, 1, big, 1, 7), 0);
	assert_int_equal(b.len, 40);
	assert_int_equal(fcgi_record_encode(&b, FCGI_STDOUT, 1, NULL, 0), 0);
	decode_msg(b.data, 45, &rc, msg, sizeof(msg));
	assert_string_equal(
		msg, "truncated header: 5 of 8 bytes at offset 40 (record 3)");
	decode_msg(b.data, 40, &rc, msg, sizeof(msg));
	assert_int_equal(rc, 0);
	assert_string_equal(msg, "no error");
	/* Record 2: 8 header, 1 content, 3 of 7 padding bytes. */
	decode_msg(b.data, 24 + 8 + 1 + 3, &rc, msg, sizeof(msg));
	assert_int_equal(rc, FCGI_EPROTO);
	assert_string_equal(
		msg, "truncated padding: 3 of 7 bytes at offset 24 (record 2)");
	decode_msg(b.data, 24 + 8 + 1, &rc, msg, sizeof(msg));
	assert_string_equal(
		msg, "truncated padding: 0 of 7 bytes at offset 24 (record 2)");
	decode_msg(b.data, 0, &rc, msg, sizeof(msg));
	assert_int_equal(rc, 0);
	assert_string_equal(msg, "no error");
	fcgi_buf_fini(&b);
}

/* finish is only a judgement at that moment: more input resumes. */
static void test_record_finish_then_more(void **state)
{
	uint8_t in[16];
	struct fcgi_buf b;
	struct fcgi_decoder d;
	struct fcgi_record rec;
	size_t used;

	(void)state;
	memset(in, 'x', sizeof(in));
	fcgi_buf_init(&b, NULL, 0);
	assert_int_equal(fcgi_record_encode(&b, FCGI_STDIN, 9, in, 16), 0);
	fcgi_decoder_init(&d, NULL);
	assert_int_equal(fcgi_decoder_feed(&d, b.data, 3, &used, &rec), 0);
	assert_int_equal(fcgi_decoder_finish(&d), FCGI_EPROTO);
	assert_int_equal(d.state, FCGI_DEC_TRUNC_HEADER);
	assert_int_equal(
		fcgi_decoder_feed(&d, b.data + 3, b.len - 3, &used, &rec), 1);
	assert_int_equal(d.state, FCGI_DEC_OK);
	assert_int_equal(rec.h.request_id, 9);
	assert_memory_equal(rec.content, in, 16);
	assert_int_equal(fcgi_decoder_finish(&d), 0);
	/* Empty and NULL input are fine. */
	assert_int_equal(fcgi_decoder_feed(&d, NULL, 0, &used, &rec), 0);
	assert_int_equal(used, 0);
	fcgi_decoder_fini(&d);
	fcgi_buf_fini(&b);
}

/* fcgi_decoder_skip: a partial record is dropped, the offset counts the
 * skipped bytes, and a stopped decoder decodes again. */
static void test_record_decoder_skip(void **state)
{
	uint8_t in[16];
	struct fcgi_buf b;
	struct fcgi_decoder d;
	struct fcgi_record rec;
	size_t used;

	(void)state;
	memset(in, 'y', sizeof(in));
	fcgi_buf_init(&b, NULL, 0);
	assert_int_equal(fcgi_record_encode(&b, FCGI_STDOUT, 2, in, 16), 0);
	fcgi_decoder_init(&d, NULL);
	/* Cut inside the content. */
	assert_int_equal(fcgi_decoder_feed(&d, b.data, 12, &used, &rec), 0);
	fcgi_decoder_skip(&d, 1000);
	assert_int_equal(d.offset, 1012);
	assert_int_equal(fcgi_decoder_finish(&d), 0);
	assert_int_equal(fcgi_decoder_feed(&d, b.data, b.len, &used, &rec), 1);
	assert_int_equal(rec.offset, 1012);
	assert_int_equal(rec.number, 1);
	assert_memory_equal(rec.content, in, 16);
	/* After a bad version. */
	assert_int_equal(
		fcgi_decoder_feed(&d, (const uint8_t *)"\3", 1, &used, &rec),
		FCGI_EPROTO);
	fcgi_decoder_skip(&d, 0);
	assert_int_equal(d.state, FCGI_DEC_OK);
	assert_int_equal(fcgi_decoder_feed(&d, b.data, b.len, &used, &rec), 1);
	assert_int_equal(rec.offset, 1012 + b.len + 1);
	assert_int_equal(rec.number, 2);
	fcgi_decoder_fini(&d);
	fcgi_buf_fini(&b);
}

/* ---- guard pages --------------------------------------------------------- */

static void test_record_guard(void **state)
{
	struct fcgi_buf b;
	struct guard g;
	struct fcgi_header h;
	struct fcgi_begin_body bb;
	struct fcgi_end_body eb;
	uint8_t t, *p;
	size_t n;

	(void)state;
	fcgi_buf_init(&b, NULL, 0);
	build_mix(&b);
	for (n = 0; n <= 8; n++) {
		assert_non_null(p = guard_place(&g, b.data, n));
		assert_int_equal(fcgi_header_decode(&h, p, n),
				 n == 8 ? 0 : FCGI_EPARTIAL);
		assert_int_equal(fcgi_begin_body_decode(&bb, p, n),
				 n == 8 ? 0 : FCGI_EPROTO);
		assert_int_equal(fcgi_end_body_decode(&eb, p, n),
				 n == 8 ? 0 : FCGI_EPROTO);
		assert_int_equal(fcgi_unknown_body_decode(&t, p, n),
				 n == 8 ? 0 : FCGI_EPROTO);
		guard_release(&g);
	}
	/* check_split_invariance places whole input and chunks against
	 * guard pages; here every prefix of the mix goes through it. */
	for (n = 0; n < 64; n++)
		check_split_invariance(b.data, n);
	fcgi_buf_fini(&b);
}

/* ---- allocation failures ------------------------------------------------- */

struct sweep_in {
	const uint8_t *in;
	size_t len;
	size_t chunk; /* 0: whole */
};

static int sweep_decode(void *arg, const struct fcgi_mem *mem)
{
	const struct sweep_in *s = arg;
	struct fcgi_decoder d;
	struct fcgi_record rec;
	size_t pos = 0, n, used;
	int rc = 0;

	fcgi_decoder_init(&d, mem);
	while (pos < s->len) {
		n = s->chunk == 0 ? s->len - pos : s->chunk;
		if (n > s->len - pos)
			n = s->len - pos;
		rc = fcgi_decoder_feed(&d, s->in + pos, n, &used, &rec);
		if (rc < 0)
			break;
		pos += used;
	}
	if (rc >= 0)
		rc = fcgi_decoder_finish(&d);
	fcgi_decoder_fini(&d);
	return rc;
}

static int sweep_encode(void *arg, const struct fcgi_mem *mem)
{
	struct fcgi_buf b;
	int rc;

	(void)arg;
	fcgi_buf_init(&b, mem, 0);
	rc = fcgi_record_encode(&b, FCGI_STDOUT, 1, "hello", 5);
	if (rc == 0)
		rc = fcgi_record_encode(&b, FCGI_STDOUT, 1, NULL, 0);
	fcgi_buf_fini(&b);
	return rc;
}

static void test_record_alloc_failures(void **state)
{
	struct fcgi_buf b;
	struct sweep_in s;
	char why[128] = "";
	size_t chunks[] = { 0, 1, 5, 1000 };
	size_t i;
	long hits;

	(void)state;
	fcgi_buf_init(&b, NULL, 0);
	build_mix(&b);
	s.in = b.data;
	s.len = b.len;
	for (i = 0; i < FCGI_ARRAY_LEN(chunks); i++) {
		s.chunk = chunks[i];
		hits = failmem_sweep(sweep_decode, &s, 100, why, sizeof(why));
		assert_string_equal(why, "");
		/* Whole records need no memory at all. */
		if (chunks[i] == 0)
			assert_int_equal(hits, 0);
		else
			assert_true(hits >= 1);
	}
	hits = failmem_sweep(sweep_encode, NULL, 100, why, sizeof(why));
	assert_string_equal(why, "");
	assert_true(hits >= 1);
	fcgi_buf_fini(&b);
}

/* After FCGI_ENOMEM the header stays gathered, and the same call again
 * with the rest of the input produces the record. */
static void test_record_enomem_retry(void **state)
{
	uint8_t in[100];
	struct fcgi_buf b;
	struct fcgi_decoder d;
	struct fcgi_record rec;
	struct failmem f;
	size_t used;

	(void)state;
	memset(in, 'q', sizeof(in));
	fcgi_buf_init(&b, NULL, 0);
	assert_int_equal(fcgi_record_encode(&b, FCGI_STDOUT, 1, in, 100), 0);
	failmem_init(&f, 0);
	fcgi_decoder_init(&d, &f.mem);
	assert_int_equal(fcgi_decoder_feed(&d, b.data, 10, &used, &rec),
			 FCGI_ENOMEM);
	assert_int_equal(used, 8);
	assert_int_equal(fcgi_decoder_feed(&d, b.data + 8, 2, &used, &rec), 0);
	assert_int_equal(used, 2);
	assert_int_equal(
		fcgi_decoder_feed(&d, b.data + 10, b.len - 10, &used, &rec), 1);
	assert_memory_equal(rec.content, in, 100);
	assert_int_equal(rec.offset, 0);
	fcgi_decoder_fini(&d);
	assert_int_equal(f.live, 0);
	fcgi_buf_fini(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_header_roundtrip),
		cmocka_unit_test(test_record_padding_for),
		cmocka_unit_test(test_record_encode_bytes),
		cmocka_unit_test(test_record_bodies),
		cmocka_unit_test(test_record_roundtrip_types),
		cmocka_unit_test(test_record_decoder_stream),
		cmocka_unit_test(test_record_split_invariance),
		cmocka_unit_test(test_record_decoder_memory_bound),
		cmocka_unit_test(test_record_error_bad_version),
		cmocka_unit_test(test_record_error_truncated),
		cmocka_unit_test(test_record_finish_then_more),
		cmocka_unit_test(test_record_decoder_skip),
		cmocka_unit_test(test_record_guard),
		cmocka_unit_test(test_record_alloc_failures),
		cmocka_unit_test(test_record_enomem_retry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
