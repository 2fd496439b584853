/* SPDX-License-Identifier: MIT */
/* bench.h - what fcgitool bench's files share (never lib/). */
#ifndef FCGITOOL_BENCH_H
#define FCGITOOL_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fcgi-uv.h"

/* How a request can fail; each is counted apart. */
enum bench_err {
	BE_CONNECT = 0, /* the connection could not be made */
	BE_RESET,	/* the server closed or reset with the request open */
	BE_TIMEOUT,	/* no END_REQUEST within --timeout */
	BE_PROTOCOL,	/* the server broke FastCGI (a conn finding) */
	BE_PSTATUS,	/* protocolStatus other than REQUEST_COMPLETE */
	BE_APPSTATUS,	/* appStatus other than 0 */
	BE_HTTP4XX,	/* a CGI Status of 400..499 */
	BE_HTTP5XX,	/* a CGI Status of 500..599 */
	BE_COUNT
};

/* The stable names of enum bench_err ("connect", "http5xx"). */
const char *bench_err_name(enum bench_err e);

/* What is measured, each a histogram of nanoseconds. */
enum bench_lat {
	BL_TOTAL = 0,  /* intended send to END_REQUEST (corrected) */
	BL_TOTAL_RAW,  /* actual send to END_REQUEST (uncorrected) */
	BL_FIRST_BYTE, /* actual send to the first STDOUT byte */
	BL_CONNECT,    /* connect() to connected, per connection */
	BL_COUNT
};

const char *bench_lat_name(enum bench_lat l);

struct bench_opts {
	const char *address;
	const char *uri;
	struct fcgi_addr addr;
	char addr_text[300];
	const struct fcgi_params *params; /* borrowed */
	const uint8_t *body;		  /* STDIN, borrowed */
	size_t body_len;
	uint16_t role;
	unsigned conns;	      /* -c */
	unsigned threads;     /* -t */
	unsigned mpx;	      /* --mpx: requests in flight per connection */
	bool keep_conn;	      /* --keep-conn */
	uint64_t count;	      /* -n: requests in all; 0: by duration */
	uint64_t duration_ms; /* -d */
	uint64_t warmup_ms;   /* --warmup */
	double rate;	      /* --rate: requests/s in all; 0: closed loop */
	uint64_t timeout_ms;  /* --timeout per request */
	bool progress;	      /* a live line on stderr */
};

/* The outcome of a run, all threads merged. */
struct bench_result {
	uint64_t requests; /* ended one way or another, after warm-up */
	uint64_t ok;	   /* END_REQUEST, complete, appStatus 0, no error */
	uint64_t errors[BE_COUNT];
	uint64_t status[6]; /* HTTP status classes 1xx..5xx; [0]: none */
	uint64_t connects;  /* connections made */
	uint64_t bytes_out, bytes_in;
	double seconds;	  /* measured time (warm-up excluded) */
	bool interrupted; /* SIGINT stopped it early */
	struct fcgi_hist lat[BL_COUNT];
	char first_error[512]; /* the first error's text, for the report */
};

/* bench-run.c: run the load; 0, or an exit status after printing why
 * (the address could not be reached at all: EXIT_IO). */
int bench_run(const struct bench_opts *o, struct bench_result *res);

/* bench-report.c */
/* The text report on f. */
void bench_report_text(FILE *f, const struct bench_opts *o,
		       const struct bench_result *res, bool color);
/* The --json line through the renderer (kind "bench"). */
int bench_report_json(FILE *f, const struct bench_opts *o,
		      const struct bench_result *res);
/* --plot: an SVG of the percentile distribution of total latency, with
 * the runs of earlier --json files overlaid.  0 or an exit status. */
int bench_plot(const char *path, const struct bench_opts *o,
	       const struct bench_result *res, char **with, size_t nwith);

/* --fail-if: one threshold, e.g. "p99>5ms", "errors>0", "rps<1000". */
struct bench_threshold {
	const char *text; /* as given */
	int metric;	  /* private */
	double pct;	  /* the percentile for a pNN metric */
	int op;		  /* private */
	double value;	  /* in the metric's unit: ns, count, /s, % */
};

/* Parse t->text; 0, or -1 with why in err. */
int bench_threshold_parse(struct bench_threshold *t, const char *text,
			  char *err, size_t errlen);
/* 1 if the result crosses the threshold (the run fails), with the
 * measured value in text form in got. */
int bench_threshold_check(const struct bench_threshold *t,
			  const struct bench_result *res, char *got, size_t n);

#endif
