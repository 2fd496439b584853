/* SPDX-License-Identifier: MIT */
/*
 * decode.c - how fast the record and name-value decoders go, next to
 * memcpy of the same bytes (the ceiling any decoder that looks at every
 * byte is held to).
 *
 * The input is an in-memory mix shaped like real traffic, repeated to
 * about 64 MiB: BEGIN_REQUEST, one PARAMS record of ~600 bytes with 20
 * pairs, the empty PARAMS, a few KB of STDIN and its end, STDOUT records
 * of 8 KB and 64 KB and the end of STDOUT, END_REQUEST.  Measured: the
 * record decoder fed the whole buffer at once, in 16 KiB reads and one
 * byte at a time, and the name-value decoder over PARAMS bodies.  Each figure is the
 * best of a few runs.  Usage: decode [MiB]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fcgi.h"

#define RUNS 3
#define WHOLE_PASSES 100

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void need(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "decode: %s\n", what);
		exit(1);
	}
}

/* The PARAMS body of a typical PHP request: 20 pairs, ~600 bytes. */
static void build_params(struct fcgi_buf *p)
{
	static const char *const kv[][2] = {
		{ "GATEWAY_INTERFACE", "CGI/1.1" },
		{ "SERVER_SOFTWARE", "nginx/1.22.1" },
		{ "QUERY_STRING", "page=2&sort=date&filter=open" },
		{ "REQUEST_METHOD", "POST" },
		{ "CONTENT_TYPE", "application/x-www-form-urlencoded" },
		{ "CONTENT_LENGTH", "3000" },
		{ "SCRIPT_FILENAME", "/srv/www/app/public/index.php" },
		{ "SCRIPT_NAME", "/index.php" },
		{ "REQUEST_URI", "/items/list?page=2&sort=date&filter=open" },
		{ "DOCUMENT_URI", "/index.php" },
		{ "DOCUMENT_ROOT", "/srv/www/app/public" },
		{ "SERVER_PROTOCOL", "HTTP/1.1" },
		{ "REMOTE_ADDR", "192.0.2.44" },
		{ "REMOTE_PORT", "51234" },
		{ "SERVER_ADDR", "192.0.2.1" },
		{ "SERVER_PORT", "443" },
		{ "SERVER_NAME", "www.example.test" },
		{ "HTTPS", "on" },
		{ "HTTP_USER_AGENT",
		  "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 "
		  "Firefox/120.0" },
		{ "HTTP_ACCEPT",
		  "text/html,application/xhtml+xml,application/xml;q=0.9,"
		  "*/*;q=0.8" },
	};
	size_t i;

	for (i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
		need(fcgi_nv_encode(p, kv[i][0], strlen(kv[i][0]), kv[i][1],
				    strlen(kv[i][1])) == 0,
		     "out of memory");
}

/* Append one request/response exchange to b; *nrec counts records. */
static void build_mix(struct fcgi_buf *b, const struct fcgi_buf *params,
		      const uint8_t *fill, uint64_t *nrec)
{
	struct fcgi_begin_body bb = { FCGI_RESPONDER, 0 };
	struct fcgi_end_body eb = { 0, FCGI_REQUEST_COMPLETE };
	uint8_t body[8];
	int rc = 0;

	fcgi_begin_body_encode(body, &bb);
	rc |= fcgi_record_encode(b, FCGI_BEGIN_REQUEST, 1, body, 8);
	rc |= fcgi_record_encode(b, FCGI_PARAMS, 1, params->data, params->len);
	rc |= fcgi_record_encode(b, FCGI_PARAMS, 1, NULL, 0);
	rc |= fcgi_record_encode(b, FCGI_STDIN, 1, fill, 3000);
	rc |= fcgi_record_encode(b, FCGI_STDIN, 1, NULL, 0);
	rc |= fcgi_record_encode(b, FCGI_STDOUT, 1, fill, 8192);
	rc |= fcgi_record_encode(b, FCGI_STDOUT, 1, fill, FCGI_CHUNK_MAX);
	rc |= fcgi_record_encode(b, FCGI_STDOUT, 1, NULL, 0);
	fcgi_end_body_encode(body, &eb);
	rc |= fcgi_record_encode(b, FCGI_END_REQUEST, 1, body, 8);
	need(rc == 0, "out of memory");
	*nrec += 9;
}

/* Decode in[0..len) in pieces of chunk bytes (0: all at once); returns
 * the records seen, plus a checksum so nothing is optimised away. */
static uint64_t decode(const uint8_t *in, size_t len, size_t chunk,
		       uint64_t *sum)
{
	struct fcgi_decoder d;
	struct fcgi_record rec;
	size_t pos = 0, end, used;
	uint64_t n = 0;
	int rc;

	fcgi_decoder_init(&d, NULL);
	while (pos < len) {
		end = chunk == 0 || chunk > len - pos ? len : pos + chunk;
		while (pos < end) {
			rc = fcgi_decoder_feed(&d, in + pos, end - pos, &used,
					       &rec);
			need(rc >= 0, "decoder failed");
			pos += used;
			if (rc == 0)
				break;
			n++;
			*sum += rec.h.content_length;
			if (rec.h.content_length > 0)
				*sum += rec.content[rec.h.content_length - 1];
		}
	}
	need(fcgi_decoder_finish(&d) == 0, "stream did not end cleanly");
	fcgi_decoder_fini(&d);
	return n;
}

struct figure {
	double secs;
	uint64_t records;
	size_t bytes;
};

static void report(const char *what, const struct figure *f,
		   const struct figure *ceiling, const char *unit)
{
	double mbs = (double)f->bytes / f->secs / 1e6;
	double cmbs = (double)ceiling->bytes / ceiling->secs / 1e6;

	printf("%-26s %12.0f %s/s %10.1f MB/s %8.3fx memcpy\n", what,
	       (double)f->records / f->secs, unit, mbs, mbs / cmbs);
}

/* Best time of RUNS copies of in[0..len). */
static struct figure time_memcpy(const uint8_t *in, size_t len, uint8_t *dst)
{
	struct figure f = { 1e30, 0, len };
	double t;
	int i;

	for (i = 0; i < RUNS; i++) {
		t = now();
		memcpy(dst, in, len);
		t = now() - t;
		if (t < f.secs)
			f.secs = t;
		need(dst[len / 2] == in[len / 2], "memcpy");
	}
	return f;
}

int main(int argc, char **argv)
{
	struct fcgi_buf params, stream, bodies;
	struct fcgi_params out;
	struct figure copy, whole, reads, bytes, nv, nvcopy;
	uint64_t nrec = 0, sum = 0, pairs = 0, nparams = 0;
	size_t mib = 64, pos;
	uint8_t *fill, *dst;
	double t;
	int i, pass;

	if (argc > 1)
		mib = strtoul(argv[1], NULL, 10);
	if (mib == 0 || mib > 4096) {
		fprintf(stderr, "usage: decode [MiB (1..4096)]\n");
		return 2;
	}
	fill = malloc(FCGI_CHUNK_MAX);
	need(fill != NULL, "out of memory");
	for (pos = 0; pos < FCGI_CHUNK_MAX; pos++)
		fill[pos] = (uint8_t)(pos * 131 + 7);
	fcgi_buf_init(&params, NULL, 0);
	build_params(&params);
	fcgi_buf_init(&stream, NULL, 0);
	while (stream.len < mib << 20)
		build_mix(&stream, &params, fill, &nrec);
	dst = malloc(stream.len);
	need(dst != NULL, "out of memory");
	printf("input: %zu bytes, %llu records, PARAMS body %zu bytes\n",
	       stream.len, (unsigned long long)nrec, params.len);

	copy = time_memcpy(stream.data, stream.len, dst);
	copy.records = nrec;
	whole = copy;
	whole.secs = 1e30;
	/* One pass reads only the headers and takes well under a
	 * millisecond, too short to time alone: time WHOLE_PASSES. */
	for (i = 0; i < RUNS; i++) {
		t = now();
		for (pass = 0; pass < WHOLE_PASSES; pass++)
			need(decode(stream.data, stream.len, 0, &sum) == nrec,
			     "count");
		t = (now() - t) / WHOLE_PASSES;
		if (t < whole.secs)
			whole.secs = t;
	}
	/* Socket-sized reads: records that straddle two reads are
	 * gathered in the decoder (copied), the rest are views. */
	reads = whole;
	reads.secs = 1e30;
	for (i = 0; i < RUNS; i++) {
		t = now();
		need(decode(stream.data, stream.len, 16384, &sum) == nrec,
		     "count");
		t = now() - t;
		if (t < reads.secs)
			reads.secs = t;
	}
	bytes = whole;
	t = now();
	need(decode(stream.data, stream.len, 1, &sum) == nrec, "count");
	bytes.secs = now() - t;

	/* The name-value decoder over PARAMS bodies back to back, a
	 * quarter of the stream's size, so that the copy is long enough to
	 * time. */
	fcgi_buf_init(&bodies, NULL, 0);
	while (bodies.len < mib << 18)
		need(fcgi_buf_append(&bodies, params.data, params.len) == 0,
		     "out of memory");
	nvcopy = time_memcpy(bodies.data, bodies.len, dst);
	nv.bytes = bodies.len;
	nv.secs = 1e30;
	fcgi_params_init(&out, NULL);
	for (i = 0; i < RUNS; i++) {
		pairs = 0;
		nparams = 0;
		t = now();
		for (pos = 0; pos < bodies.len; pos += params.len) {
			fcgi_params_clear(&out);
			need(fcgi_nv_decode_all(bodies.data + pos, params.len,
						&out, 0, 0) == 0,
			     "nv decode");
			pairs += fcgi_params_count(&out);
			nparams++;
		}
		t = now() - t;
		if (t < nv.secs)
			nv.secs = t;
	}
	nv.records = pairs;
	nvcopy.records = pairs;

	report("memcpy (stream)", &copy, &copy, "records");
	report("decoder, whole buffer", &whole, &copy, "records");
	report("decoder, 16 KiB per feed", &reads, &copy, "records");
	report("decoder, 1 byte per feed", &bytes, &copy, "records");
	report("memcpy (PARAMS bodies)", &nvcopy, &nvcopy, "pairs  ");
	report("nv decoder into params", &nv, &nvcopy, "pairs  ");
	printf("(a record whole in the input is handed out as a view, so "
	       "the whole-buffer\n decoder reads headers only; %llu PARAMS "
	       "bodies per nv run; checksum %llu)\n",
	       (unsigned long long)nparams, (unsigned long long)(sum & 0xffff));
	fcgi_params_fini(&out);
	fcgi_buf_fini(&bodies);
	fcgi_buf_fini(&stream);
	fcgi_buf_fini(&params);
	free(dst);
	free(fill);
	return 0;
}
