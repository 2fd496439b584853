/* SPDX-License-Identifier: MIT */
/*
 * fuzz-cgi.c - libFuzzer target for the CGI response reader.
 *
 * Input: one byte choosing the header limit and the chunking, then the
 * STDOUT stream.  Read whole, byte by byte and in chunks, the reader must
 * end the same way: same error or same status, reason, headers and body
 * offset, or the same rule broken at the same line and offset.  Any
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

struct outcome {
	int rc;
	size_t body_at;
	struct fcgi_cgi r;
};

/* chunk 0: whole; else pieces of 1..chunk bytes from seed. */
static void run(const uint8_t *in, size_t len, size_t max, unsigned chunk,
		uint32_t seed, struct outcome *o)
{
	size_t pos = 0, n;
	ssize_t rc = 0;

	fcgi_cgi_init(&o->r, NULL, max);
	o->body_at = SIZE_MAX;
	while (pos < len) {
		n = len - pos;
		if (chunk != 0) {
			seed = seed * 1103515245u + 12345u;
			if (n > 1 + (seed >> 8) % chunk)
				n = 1 + (seed >> 8) % chunk;
		}
		rc = fcgi_cgi_feed(&o->r, in + pos, n);
		if (rc < 0)
			break;
		check((size_t)rc <= n);
		if (o->r.done && o->body_at == SIZE_MAX)
			o->body_at = pos + (size_t)rc;
		else
			check((size_t)rc == (o->r.done ? 0 : n));
		pos += n;
	}
	o->rc = rc < 0 ? (int)rc : 0;
	if (o->rc != 0)
		check(fcgi_cgi_feed(&o->r, in, len) == o->rc);
	/* The end of STDOUT: an error unless the block was complete. */
	rc = fcgi_cgi_end(&o->r);
	check((rc == 0) == (o->r.done && o->rc == 0));
	if (rc != 0)
		o->rc = (int)rc;
	if (max != 0)
		check(o->r.header_bytes <= max);
}

static void same(const struct outcome *a, const struct outcome *b)
{
	struct fcgi_nv x, y;
	size_t i;

	char ma[256], mb[256];

	check(a->rc == b->rc && a->r.done == b->r.done);
	/* The rule broken and where do not depend on the cuts either. */
	check(a->r.error == b->r.error);
	check(a->r.error_line == b->r.error_line &&
	      a->r.error_offset == b->r.error_offset);
	fcgi_cgi_message(&a->r, ma, sizeof(ma));
	fcgi_cgi_message(&b->r, mb, sizeof(mb));
	check(strcmp(ma, mb) == 0);
	if (a->rc != 0)
		return;
	check(a->body_at == b->body_at && a->r.status == b->r.status);
	check(strcmp(a->r.reason, b->r.reason) == 0);
	check(a->r.status >= 100 && a->r.status <= 999);
	check(fcgi_params_count(&a->r.headers) ==
	      fcgi_params_count(&b->r.headers));
	for (i = 0; i < fcgi_params_count(&a->r.headers); i++) {
		fcgi_params_at(&a->r.headers, i, &x);
		fcgi_params_at(&b->r.headers, i, &y);
		check(x.name_len == y.name_len && x.value_len == y.value_len);
		check(x.name_len > 0 &&
		      memchr(x.name, ':', x.name_len) == NULL);
		check(memcmp(x.name, y.name, x.name_len) == 0);
		check(memcmp(x.value, y.value, x.value_len) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome a, b, c;
	size_t max;

	if (size < 1)
		return 0;
	max = data[0] & 1 ? (size_t)(data[0] >> 1) : 0;
	run(data + 1, size - 1, max, 0, 0, &a);
	run(data + 1, size - 1, max, 1, 0, &b);
	run(data + 1, size - 1, max, 1u + data[0] % 32, data[0], &c);
	same(&a, &b);
	same(&a, &c);
	fcgi_cgi_fini(&a.r);
	fcgi_cgi_fini(&b.r);
	fcgi_cgi_fini(&c.r);
	return 0;
}
