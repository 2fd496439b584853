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
	unsigned workers;	     /* --workers, or 0 */
	const char *root;	     /* --root, or NULL */
	enum fcgi_severity severity; /* --severity, or 0 */
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

#endif
