/* SPDX-License-Identifier: MIT */
/* serve.h - shared by cmd-serve.c and serve-setup.c. */
#ifndef FCGITOOL_SERVE_H
#define FCGITOOL_SERVE_H

#include <stdbool.h>

#include "fcgi-uv.h"

struct serve_opts {
	struct fcgi_server_opts srv;
	const char **fns; /* --fn values, in order */
	size_t nfns;
	bool exec, trace, json;
	enum fcgi_isolate isolate; /* --isolate */
	bool isolate_set;
	bool prefork; /* --isolate worker */
	bool max_conns_set, max_reqs_set;
	unsigned workers;	     /* --workers, or 0 */
	const char *root;	     /* --root, or NULL */
	enum fcgi_severity severity; /* --severity, or 0 */
	/* serve --mock (serve-mock.c) */
	const char *mock;     /* --mock: the script, or NULL */
	const char *record;   /* --record: the journal, or NULL */
	uint64_t requests;    /* --requests: stop after this many, or 0 */
	uint64_t duration_ms; /* --duration: stop after this long, or 0 */
	uint64_t seed;	      /* --seed, if seed_given */
	bool seed_given;
};

/* Build the runner the options ask for (the built-ins when none) and
 * describe it in what ("built-in functions").  0 or an exit status, after
 * saying why. */
int serve_make_runner(struct fcgi_runner **r, const struct serve_opts *o,
		      char *what, size_t n);

/* Listen on each address (fd 0 when it is a listening socket and none
 * is given, else 127.0.0.1:9000) and say where on stderr.  0 or an exit
 * status, after saying why. */
int serve_listen(struct fcgi_server *s, int argc, char **argv,
		 const char *what);

/* serve --mock: load and check the script (saying what is wrong and
 * where), make the runners its routes may name and the mock runner
 * (*runner), open the journal.  0 or an exit status; *out is to be given
 * to serve_mock_free() either way. */
struct serve_mock;
int serve_mock_new(struct serve_mock **out, struct fcgi_runner **runner,
		   const struct serve_opts *o, uv_loop_t *loop,
		   struct fcgi_render *trace, char *what, size_t n);
/* Watch SIGHUP (reload) and --duration, and stop srv after --requests. */
void serve_mock_start(struct serve_mock *sm, struct fcgi_server *srv);
/* After the server stopped: the verdict on stderr (and as objects on
 * json, may be NULL); 1 if anything expected did not happen, else 0.
 * NULL sm: 0. */
int serve_mock_finish(struct serve_mock *sm, struct fcgi_render *json);
/* After the server and the mock runner are freed.  NULL is ignored. */
void serve_mock_free(struct serve_mock *sm);

/* --isolate worker: open the listening sockets, say where, and run the
 * pre-forked workers (each a server with the runner r, calling its
 * functions inline) until SIGTERM or SIGINT.  0 or an exit status, after
 * saying why. */
int serve_prefork(struct serve_opts *o, struct fcgi_runner *r, int argc,
		  char **argv, const char *what);

#endif
