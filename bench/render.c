/* SPDX-License-Identifier: MIT */
/*
 * render.c - how fast the text renderer describes records, next to
 * fwrite of the very bytes it produces (the ceiling for any printer that
 * has to write them).
 *
 * One request is four records as a proxy log shows them: BEGIN_REQUEST,
 * PARAMS with 20 pairs, 64 bytes of STDOUT, END_REQUEST, each with the
 * connection label "c1" and a time stamp that grows by a few
 * microseconds per record.  They are rendered as text to /dev/null.
 * Each figure is the best of a few runs.  Usage: render [records]
 * (default 1000000)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fcgi-uv.h"

#define RUNS 3
#define NPAIRS 20

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void need(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "render: %s\n", what);
		exit(1);
	}
}

static size_t put_pair(uint8_t *p, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);

	/* Both below 128 bytes: one-byte lengths (FastCGI 1.0, 3.4). */
	p[0] = (uint8_t)nl;
	p[1] = (uint8_t)vl;
	memcpy(p + 2, name, nl);
	memcpy(p + 2 + nl, value, vl);
	return 2 + nl + vl;
}

static struct fcgi_record mkrec(uint8_t type, const uint8_t *content,
				size_t len, uint64_t number)
{
	struct fcgi_record rec;

	memset(&rec, 0, sizeof(rec));
	rec.h.version = 1;
	rec.h.type = type;
	rec.h.request_id = 1;
	rec.h.content_length = (uint16_t)len;
	rec.content = content;
	rec.number = number;
	return rec;
}

/* Render n records (whole requests of four) to f; returns seconds. */
static double render(FILE *f, const struct fcgi_record recs[4], size_t n)
{
	static const enum fcgi_dir dirs[4] = { FCGI_DIR_TO_APP, FCGI_DIR_TO_APP,
					       FCGI_DIR_TO_WEB,
					       FCGI_DIR_TO_WEB };
	struct fcgi_render_opts o;
	struct fcgi_render *r;
	struct fcgi_sink sink;
	double t0, ts = 1.0;

	fcgi_render_opts_default(&o);
	fcgi_sink_file(&sink, f);
	need(fcgi_render_new(&r, &sink, &o) == 0, "out of memory");
	t0 = now();
	for (size_t i = 0; i < n; i++) {
		fcgi_render_record(r, "c1", ts, dirs[i % 4], &recs[i % 4]);
		ts += 0.0000137;
	}
	need(fflush(f) == 0, "write failed");
	t0 = now() - t0;
	fcgi_render_free(r);
	return t0;
}

int main(int argc, char **argv)
{
	static const uint8_t begin[8] = { 0, 1, 1, 0, 0, 0, 0, 0 };
	static const uint8_t end[8] = { 0, 0, 0, 0, 0, 0, 0, 0 };
	uint8_t params[2048], out[64];
	struct fcgi_record recs[4];
	size_t n = 1000000, plen = 0, one_len = 0;
	char name[32], value[64], *one = NULL;
	double best = 1e300, best_w = 1e300, t;
	FILE *devnull, *mem;

	if (argc > 1)
		n = strtoul(argv[1], NULL, 10);
	need(n >= 4 && n <= 100000000, "records: 4 to 100000000");
	n -= n % 4;
	for (int i = 0; i < NPAIRS; i++) {
		snprintf(name, sizeof(name), "HTTP_X_HEADER_%02d", i);
		snprintf(value, sizeof(value), "value-%d/some/path?q=%d", i,
			 i * 7);
		plen += put_pair(params + plen, name, value);
	}
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)("Status: 200\r\nContent-Type: text/html"
				   "\r\n\r\n<p>hello, world</p>\n"[i % 58]);
	recs[0] = mkrec(FCGI_BEGIN_REQUEST, begin, sizeof(begin), 1);
	recs[1] = mkrec(FCGI_PARAMS, params, plen, 2);
	recs[2] = mkrec(FCGI_STDOUT, out, sizeof(out), 1);
	recs[3] = mkrec(FCGI_END_REQUEST, end, sizeof(end), 2);
	devnull = fopen("/dev/null", "w");
	need(devnull != NULL, "/dev/null: cannot open");
	/* The bytes of the run, for the fwrite ceiling. */
	mem = open_memstream(&one, &one_len);
	need(mem != NULL, "out of memory");
	render(mem, recs, n);
	need(fclose(mem) == 0, "out of memory");
	for (int run = 0; run < RUNS; run++) {
		t = render(devnull, recs, n);
		best = t < best ? t : best;
		t = now();
		/* In 4 KiB pieces, as stdio would hand them on. */
		for (size_t o = 0; o < one_len; o += 4096)
			fwrite(one + o, 1,
			       one_len - o < 4096 ? one_len - o : 4096,
			       devnull);
		need(fflush(devnull) == 0, "write failed");
		t = now() - t;
		best_w = t < best_w ? t : best_w;
	}
	printf("text render: %zu records, %.1f MiB of text\n", n,
	       (double)one_len / 1048576.0);
	printf("  fcgi_render_record  %10.0f records/s  %7.1f MiB/s\n",
	       (double)n / best, (double)one_len / 1048576.0 / best);
	printf("  fwrite (ceiling)    %10.0f records/s  %7.1f MiB/s\n",
	       (double)n / best_w, (double)one_len / 1048576.0 / best_w);
	printf("  renderer / fwrite   %10.3f\n", best_w / best);
	fclose(devnull);
	free(one);
	return 0;
}
