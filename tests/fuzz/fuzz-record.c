/* SPDX-License-Identifier: MIT */
/*
 * fuzz-record.c - libFuzzer target for the record decoder.
 *
 * The first input byte picks how the rest is cut into chunks; the rest is
 * the stream.  The stream is decoded whole, one byte at a time and in
 * the chosen chunks, and the three must yield the same records and end
 * the same way.  Each record is checked against the input bytes it came
 * from and re-encoded; fixed bodies go through their decoders.  Any
 * mismatch aborts.
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

/* Append what identifies a record to log. */
static void log_record(struct fcgi_buf *log, const struct fcgi_record *r)
{
	uint8_t hdr[FCGI_HEADER_LEN];

	fcgi_header_encode(hdr, &r->h);
	check(fcgi_buf_append(log, hdr, sizeof(hdr)) == 0);
	check(fcgi_buf_append(log, &r->offset, sizeof(r->offset)) == 0);
	check(fcgi_buf_append(log, &r->number, sizeof(r->number)) == 0);
	check(fcgi_buf_append(log, r->content, r->h.content_length) == 0);
}

/* The record must be exactly the input bytes at its offset, re-encode
 * to them (padding aside), and its body decoders must agree. */
static void check_record(const uint8_t *in, size_t len,
			 const struct fcgi_record *r, uint64_t want_off,
			 uint64_t want_num)
{
	size_t total = FCGI_HEADER_LEN + (size_t)r->h.content_length +
		       r->h.padding_length;
	uint8_t hdr[FCGI_HEADER_LEN], body[8], t;
	struct fcgi_begin_body bb;
	struct fcgi_end_body eb;
	struct fcgi_buf b;
	int rc, want;

	check(r->offset == want_off && r->number == want_num);
	check(r->offset <= len && total <= len - r->offset);
	check(r->h.version == FCGI_VERSION_1);
	fcgi_header_encode(hdr, &r->h);
	check(memcmp(hdr, in + r->offset, sizeof(hdr)) == 0);
	check(memcmp(r->content, in + r->offset + 8, r->h.content_length) == 0);

	fcgi_buf_init(&b, NULL, 0);
	check(fcgi_record_encode_padded(&b, r->h.type, r->h.request_id,
					r->content, r->h.content_length,
					r->h.padding_length) == 0);
	check(b.len == total);
	check(memcmp(b.data, hdr, 7) == 0 && b.data[7] == 0);
	check(memcmp(b.data + 8, r->content, r->h.content_length) == 0);
	fcgi_buf_fini(&b);

	want = r->h.content_length == 8 ? 0 : FCGI_EPROTO;
	rc = fcgi_begin_body_decode(&bb, r->content, r->h.content_length);
	check(rc == want);
	if (rc == 0) {
		fcgi_begin_body_encode(body, &bb);
		check(memcmp(body, r->content, 3) == 0);
	}
	rc = fcgi_end_body_decode(&eb, r->content, r->h.content_length);
	check(rc == want);
	if (rc == 0) {
		fcgi_end_body_encode(body, &eb);
		check(memcmp(body, r->content, 5) == 0);
	}
	rc = fcgi_unknown_body_decode(&t, r->content, r->h.content_length);
	check(rc == want && (rc != 0 || t == r->content[0]));
}

/* Decode in[0..len) in chunks: mode 0 whole, 1 bytes, else random sizes
 * from seed.  Logs records and the end; checks records when asked. */
static void decode(const uint8_t *in, size_t len, unsigned mode, uint32_t seed,
		   struct fcgi_buf *log, int verify)
{
	struct fcgi_decoder d;
	struct fcgi_record rec;
	size_t pos = 0, end, used;
	uint64_t next_off = 0, num = 0;
	char msg[160];
	int rc = 0;

	fcgi_decoder_init(&d, NULL);
	while (pos < len && rc >= 0) {
		if (mode == 0) {
			end = len;
		} else if (mode == 1) {
			end = pos + 1;
		} else {
			seed = seed * 1103515245u + 12345u;
			end = pos + 1 + (seed >> 8) % (mode * 64u);
			if (end > len)
				end = len;
		}
		while (pos < end) {
			rc = fcgi_decoder_feed(&d, in + pos, end - pos, &used,
					       &rec);
			check(used <= end - pos);
			pos += used;
			if (rc != 1)
				break;
			if (verify) {
				check_record(in, len, &rec, next_off, ++num);
				next_off += FCGI_HEADER_LEN +
					    (size_t)rec.h.content_length +
					    rec.h.padding_length;
			}
			log_record(log, &rec);
		}
		check(rc == 1 || rc == 0 || rc == FCGI_EPROTO);
		if (rc == 0)
			check(pos == end);
	}
	check(d.offset == pos);
	if (rc == FCGI_EPROTO) {
		/* Only a bad version stops a decoder mid-stream. */
		check(d.state == FCGI_DEC_BAD_VERSION);
		check(in[pos - 1] != FCGI_VERSION_1 && d.rec_offset == pos - 1);
		check(fcgi_decoder_feed(&d, in, len, &used, &rec) ==
		      FCGI_EPROTO);
		check(used == 0);
	} else {
		check(pos == len);
		rc = fcgi_decoder_finish(&d);
		check((rc == 0) == (d.state == FCGI_DEC_OK));
	}
	fcgi_decoder_error(&d, msg, sizeof(msg));
	check(msg[0] != '\0');
	check(fcgi_buf_append(log, &rc, sizeof(rc)) == 0);
	check(fcgi_buf_append(log, msg, strlen(msg)) == 0);
	fcgi_decoder_fini(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fcgi_buf a, b, c;
	unsigned mode;

	if (size < 1)
		return 0;
	mode = 2 + data[0] % 64;
	fcgi_buf_init(&a, NULL, 0);
	fcgi_buf_init(&b, NULL, 0);
	fcgi_buf_init(&c, NULL, 0);
	decode(data + 1, size - 1, 0, 0, &a, 1);
	decode(data + 1, size - 1, 1, 0, &b, 1);
	decode(data + 1, size - 1, mode, data[0], &c, 1);
	check(a.len == b.len && a.len == c.len);
	check(a.len == 0 || (memcmp(a.data, b.data, a.len) == 0 &&
			     memcmp(a.data, c.data, a.len) == 0));
	fcgi_buf_fini(&a);
	fcgi_buf_fini(&b);
	fcgi_buf_fini(&c);
	return 0;
}
