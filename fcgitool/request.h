/* SPDX-License-Identifier: MIT */
/* request.h - what fcgitool request's files share (never lib/). */
#ifndef FCGITOOL_REQUEST_H
#define FCGITOOL_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fcgi-uv.h"

/* One -p or -P: set name to value, or (del) remove name.  Bytes, not
 * strings: -P may put NUL in them. */
struct request_param {
	char *name;
	size_t name_len;
	char *value;
	size_t value_len;
	bool del;
};

struct request_opts {
	const char *address;
	const char *uri; /* "/" unless given */
	char **names;	 /* --get-values: the names after address */
	int nnames;
	const char *method;    /* -X; NULL: GET, or POST with -d */
	const char *data;      /* -d DATA, @file or @- */
	const char *data_file; /* --data-file */
	const char *root;      /* --root; NULL: the current directory */
	const char *output;    /* -o */
	const char **headers;  /* -H */
	size_t nheaders;
	struct request_param *params; /* -p and -P, in order */
	size_t nparams;
	bool include, silent, verbose, fail, json;
	bool interactive; /* -I: fcgitool shell with this request */
	bool keep_conn, env, no_default_params, get_values;
	uint16_t role;
	bool role_set;
	unsigned long count; /* -n */
	unsigned long mpx;   /* --mpx */
	uint64_t max_time_ms, connect_timeout_ms, idle_timeout_ms;
	uint64_t abort_after_ms;
	/* --severity: violations shown, this one or more serious; 0: every
	 * one with -v, none without. */
	enum fcgi_severity severity;
};

/* A request body ready to send: memory, or a descriptor of known size
 * (size -1: a pipe streamed as it comes). */
struct request_body {
	bool present;
	struct fcgi_client_body body;
	int64_t size;
	int64_t mtime;
	int fd;	      /* ours to close, or -1 */
	uint8_t *mem; /* ours to free */
};

/* request-params.c */
/* Build the params nginx's fastcgi_params would send, then apply --env,
 * -H and -p.  Returns 0, or EXIT_USAGE after printing why. */
int request_params(const struct request_opts *o, const struct request_body *in,
		   const struct request_body *data, struct fcgi_params *p);
/* Open the -d or --data-file argument.  spool_pipe: copy a pipe into an
 * unlinked temporary file to learn its size.  Returns 0, or an exit
 * status after printing why. */
int request_body_open(const char *arg, const char *what, bool spool_pipe,
		      struct request_body *b);
void request_body_close(struct request_body *b);
/* The value of a hex digit, or -1. */
int request_hexval(int c);

/* One request of the run and what the output side knows of it. */
struct request_ctx {
	struct request_out *ro;
	void *run;		     /* request-run.c's state */
	struct fcgi_client_req *req; /* NULL once freed */
	size_t index;		     /* 0-based */
	bool sent;		     /* processed */
	bool done;
	bool printed;
	bool suppressed; /* --fail and a status of 400 or more */
	int status;	 /* its exit status */
};

/* request-out.c: output, tracing, messages and the exit status. */
struct request_out;
struct request_out *request_out_new(const struct request_opts *o, FILE *out,
				    const char *addr_text);
void request_out_free(struct request_out *ro);
/* The trace callbacks for -v, or NULL without it. */
const struct fcgi_client_trace *request_out_trace(struct request_out *ro);
/* on_headers, on_body and on_stderr; arg is a struct request_ctx. */
const struct fcgi_client_req_cb *request_out_cb(void);
/* Whether requests collect their body and STDERR. */
bool request_out_collects(const struct request_out *ro);
/* The client and the run's requests, for printing in order. */
void request_out_set(struct request_out *ro, struct fcgi_client *c,
		     struct request_ctx *ctx, size_t n);
/* A request is done: messages, its status, output in order; the request
 * is freed here unless --json needs it later. */
void request_out_done(struct request_out *ro, struct request_ctx *ctx);
/* The exit status one request's result says (fcgitool-request(1), EXIT
 * STATUS); is_values: a GET_VALUES query. */
int request_status(const struct request_opts *o,
		   const struct fcgi_client_result *res, bool is_values);
/* After the run: the JSON document if asked; returns the exit status. */
int request_out_finish(struct request_out *ro, struct fcgi_client *c,
		       const struct fcgi_params *params);

/* request-json.c: the --json document. */
void request_json(FILE *f, const struct request_opts *o, const char *addr,
		  struct fcgi_client *c, const struct request_ctx *ctx,
		  size_t n, const struct fcgi_params *params, int status);

/* request-run.c */
int request_run(const struct request_opts *o);

#endif
