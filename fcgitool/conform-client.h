/* SPDX-License-Identifier: MIT */
/*
 * conform-client.h - fcgitool conform --client: conform is the FastCGI
 * application, a web server (nginx in the tests) sends it requests, and
 * its side is judged: the records and params it sends, KEEP_CONN, what it
 * does when its client goes away, and how it reacts to answers that are
 * wrong on purpose (seen from its HTTP client and from the connection:
 * closed or reused).
 */
#ifndef FCGITOOL_CONFORM_CLIENT_H
#define FCGITOOL_CONFORM_CLIENT_H

#include "conform-out.h"
#include "conform.h"

/* What the web server's HTTP client saw for one case. */
struct cl_http {
	bool sent;	 /* the HTTP request went out */
	bool answered;	 /* a status line came */
	int status;	 /* its code */
	bool complete;	 /* the whole body came (length or chunks) */
	bool timed_out;	 /* nothing complete by the deadline */
	size_t body_len; /* body bytes (decoded) */
	bool body_ok;	 /* the body is the one conform sent */
};

/* What conform saw on the FastCGI side for one case. */
struct cl_obs {
	struct cl_http http;
	unsigned requests;   /* BEGIN_REQUESTs for this case */
	bool keep_conn;	     /* KEEP_CONN on the (first) request */
	bool aborted;	     /* ABORT_REQUEST for it */
	bool closed_by_web;  /* the web server closed its connection */
	bool closed_by_us;   /* conform closed it (the case, or no
			      * KEEP_CONN) */
	bool reused;	     /* its connection carried a later request */
	bool answered;	     /* conform sent its answer */
	uint64_t close_ms;   /* when the web server closed, after the answer */
	uint16_t request_id; /* of the (first) request */
	uint64_t stdin_bytes;
};

/* What all the web server's requests showed, for the observation cases. */
struct cl_stats {
	unsigned requests, conns, reused;
	unsigned viol[FCGI_V_COUNT]; /* to-app violations by code */
	enum fcgi_severity sev[FCGI_V_COUNT];
	char first_msg[FCGI_V_COUNT][160];
	unsigned roles[4]; /* [0]: not 1..3 */
	unsigned keep_set, keep_clear;
	unsigned ids_not_1;
	uint16_t max_id;
	unsigned get_values;
	unsigned mpx; /* most requests active at once on one connection */
	unsigned no_params_end, no_stdin_end;
	char missing_param[64]; /* first CGI meta-variable not sent */
	unsigned aborts;
};

struct cl_case;

/* The answer conform gives to request id (KEEP_CONN in flags) of case c,
 * as a script of OP_SEND, OP_PAUSE, OP_CLOSE and OP_RESET steps. */
typedef void (*cl_answer_fn)(struct cf_script *s, uint16_t id, uint8_t flags);

struct cl_case {
	struct cf_case k;    /* id, level, desc, quote, why, accepts */
	cl_answer_fn answer; /* NULL: the observation cases, judged from
			      * stats once every fault case ran */
	unsigned flags;
	void (*judge)(struct cf_verdict *v, const struct cl_case *c,
		      const struct cl_obs *o, const struct cl_stats *st);
};

enum {
	CL_POST = 1u << 0,	  /* the HTTP request has a body */
	CL_CLIENT_GONE = 1u << 1, /* the HTTP client closes before the
				   * answer */
	CL_SLOW = 1u << 2	  /* the web server's timeout decides */
};

/* The body conform's normal answer carries. */
extern const char cl_body[];

/* The table (conform-client-cases.c), in catalogue order. */
const struct cl_case *cl_cases(size_t *n);
const struct cl_case *cl_case_find(const char *id);

/* The CGI/1.1 meta-variables a web server must send (RFC 3875 4.1),
 * NULL-terminated. */
extern const char *const cl_required_params[];

struct cl_opts {
	const char *listen; /* where conform listens (FastCGI) */
	const char *http;   /* the web server's HTTP address, or NULL */
	const char *prefix; /* URI path before the case id: "/conform/" */
	uint64_t timeout_ms, quiet_ms, wait_ms;
	bool strict;
	const struct cf_baseline *baseline;
	const struct cf_pattern_list *only, *skip;
};

/* Listen, run the chosen cases, write results; counts[grade].  0, or -1
 * with err set when conform cannot listen or reach the web server (exit
 * 3). */
int cl_run(const struct cl_opts *o, struct cf_out *out, unsigned counts[5],
	   char *err, size_t errlen);

#endif
