/* SPDX-License-Identifier: MIT */
/* serve-setup.c - fcgitool serve: its runner and its listeners. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "fcgi-uv.h"
#include "builtin.h"
#include "serve.h"
#include "util.h"

#define DEFAULT_ADDR "127.0.0.1:9000"

int serve_make_runner(struct fcgi_runner **r, const struct serve_opts *o,
		      char *what, size_t n)
{
	char err[512];
	size_t used;
	int rc;

	if (o->exec) {
		rc = fcgi_exec_runner_new(r, o->root != NULL ? o->root : ".",
					  NULL, err, sizeof(err));
		if (rc != 0) {
			warn("bad --root '%s': %s",
			     o->root != NULL ? o->root : ".", err);
			return EXIT_USAGE;
		}
		snprintf(what, n, "CGI scripts under %s",
			 o->root != NULL ? o->root : "the current directory");
		return 0;
	}
	if (fcgi_func_runner_new(r, NULL) != 0) {
		warn("out of memory");
		return EXIT_IO;
	}
	fcgi_func_runner_set_isolation(*r, o->isolate, o->workers);
	if (o->nfns == 0) {
		fcgi_func_runner_add_table(*r, "builtin", mock_builtins);
		snprintf(what, n, "built-in functions");
		return 0;
	}
	used = (size_t)snprintf(what, n, "functions from ");
	for (size_t i = 0; i < o->nfns; i++) {
		if (strcmp(o->fns[i], "builtin") == 0)
			rc = fcgi_func_runner_add_table(*r, "builtin",
							mock_builtins);
		else
			rc = fcgi_func_runner_add_lib(*r, o->fns[i], err,
						      sizeof(err));
		if (rc != 0) {
			warn("cannot load '%s': %s", o->fns[i], err);
			return EXIT_IO;
		}
		if (used < n)
			used += (size_t)snprintf(what + used, n - used, "%s%s",
						 i > 0 ? ", " : "", o->fns[i]);
	}
	return 0;
}

int serve_listen(struct fcgi_server *s, int argc, char **argv, const char *what)
{
	struct fcgi_addr a;
	char err[512], name[200];
	const char *text;
	int i;

	if (argc == 0 && fcgi_io_fd_is_listener(0)) {
		if (fcgi_server_listen_fd(s, 0, err, sizeof(err)) != 0) {
			warn("cannot listen on file descriptor 0: %s", err);
			return EXIT_IO;
		}
	}
	for (i = 0; i < argc || (i == 0 && fcgi_server_listener_count(s) == 0);
	     i++) {
		text = argc > 0 ? argv[i] : DEFAULT_ADDR;
		if (fcgi_addr_parse(&a, text, err, sizeof(err)) != 0) {
			warn("bad address '%s': %s", text, err);
			return EXIT_USAGE;
		}
		if (fcgi_server_listen(s, &a, err, sizeof(err)) != 0) {
			warn("'%s': %s", text, err);
			return EXIT_IO;
		}
	}
	for (size_t k = 0; k < fcgi_server_listener_count(s); k++)
		warn("listening on %s (%s)",
		     fcgi_server_listener_name(s, k, name, sizeof(name)), what);
	return 0;
}
