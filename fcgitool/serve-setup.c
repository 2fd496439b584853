/* SPDX-License-Identifier: MIT */
/*
 * serve-setup.c - fcgitool serve: its runner and its listeners, and the
 * pre-forked workers of --isolate worker.
 */
#include <sys/socket.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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
	/* Under --isolate worker the workers are the processes; each calls
	 * its functions inline. */
	fcgi_func_runner_set_isolation(*r, o->isolate,
				       o->prefork ? 0 : o->workers);
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

/* ---- --isolate worker ---- */

#define MAX_LISTEN 64

struct prefork_ctx {
	struct serve_opts *o;
	struct fcgi_runner *runner;
	int fds[MAX_LISTEN];
	char unlink_path[MAX_LISTEN][sizeof(((struct fcgi_addr *)0)->path)];
	size_t nfds;
};

/* Open the socket for the workers to share.  0 or an exit status. */
static int open_listener(struct prefork_ctx *x, const struct fcgi_addr *a,
			 const char *text, const char *what)
{
	char err[512], name[200];
	int backlog;

	if (x->nfds == MAX_LISTEN) {
		warn("more than %d addresses", MAX_LISTEN);
		return EXIT_USAGE;
	}
	backlog = x->o->srv.max_conns > (unsigned)x->o->srv.backlog
			  ? (int)x->o->srv.max_conns
			  : x->o->srv.backlog;
	if (fcgi_io_listen_socket(a, backlog, x->o->srv.unix_mode,
				  &x->fds[x->nfds], err, sizeof(err)) != 0) {
		warn("'%s': %s", text, err);
		return EXIT_IO;
	}
	warn("listening on %s (%s)",
	     fcgi_io_fd_sockname(x->fds[x->nfds], name, sizeof(name)), what);
	if (a->family == AF_UNIX)
		snprintf(x->unlink_path[x->nfds],
			 sizeof(x->unlink_path[x->nfds]), "%s", a->path);
	x->nfds++;
	return 0;
}

static void sup_log(void *arg, const char *msg)
{
	(void)arg;
	warn("%s", msg);
}

static uint64_t next_conn(void *arg)
{
	return fcgi_watch_next_conn(arg);
}

/* One worker: a server of its own on the inherited sockets. */
static int serve_worker(void *arg, struct fcgi_watch *watch)
{
	struct prefork_ctx *x = arg;
	struct fcgi_server_opts so = x->o->srv;
	struct fcgi_server *srv;
	uv_loop_t loop;
	char err[512];

	if (fcgi_func_runner_set_watch(x->runner, watch) != 0)
		return EXIT_IO;
	so.next_conn = next_conn;
	so.next_conn_arg = watch;
	if (uv_loop_init(&loop) != 0 || fcgi_server_new(&srv, &loop, &so) != 0)
		return EXIT_IO;
	fcgi_server_set_runner(srv, x->runner);
	for (size_t i = 0; i < x->nfds; i++) {
		if (fcgi_server_listen_fd(srv, x->fds[i], err, sizeof(err)) !=
		    0) {
			warn("worker: cannot listen: %s", err);
			return EXIT_IO;
		}
	}
	fcgi_server_process(srv);
	fcgi_server_free(srv);
	fcgi_runner_free(x->runner);
	uv_run(&loop, UV_RUN_NOWAIT);
	uv_loop_close(&loop);
	return 0;
}

int serve_prefork(struct serve_opts *o, struct fcgi_runner *r, int argc,
		  char **argv, const char *what)
{
	struct prefork_ctx x;
	struct fcgi_prefork_opts po;
	struct fcgi_addr a;
	char err[512];
	const char *text;
	int rc = 0;

	memset(&x, 0, sizeof(x));
	x.o = o;
	x.runner = r;
	if (argc == 0 && fcgi_io_fd_is_listener(0)) {
		x.fds[x.nfds++] = 0;
		warn("listening on file descriptor 0 (%s)", what);
	}
	for (int i = 0; rc == 0 && (i < argc || (i == 0 && x.nfds == 0)); i++) {
		text = argc > 0 ? argv[i] : DEFAULT_ADDR;
		if (fcgi_addr_parse(&a, text, err, sizeof(err)) != 0) {
			warn("bad address '%s': %s", text, err);
			rc = EXIT_USAGE;
			break;
		}
		rc = open_listener(&x, &a, text, what);
	}
	if (rc == 0) {
		memset(&po, 0, sizeof(po));
		po.workers =
			o->workers != 0 ? o->workers : fcgi_default_workers();
		/* Deadlines are checked at a tenth of the timeout, between
		 * 5 and 50 ms. */
		po.watch_ms = o->srv.timeout_ms / 10;
		if (po.watch_ms < 5)
			po.watch_ms = 5;
		if (po.watch_ms > 50)
			po.watch_ms = 50;
		po.stop_ms = o->srv.shutdown_ms;
		po.worker = serve_worker;
		po.arg = &x;
		po.log = sup_log;
		if (fcgi_prefork_run(&po) != 0) {
			warn("cannot start the workers");
			rc = EXIT_IO;
		}
	}
	for (size_t i = 0; i < x.nfds; i++) {
		if (x.fds[i] != 0)
			close(x.fds[i]);
		if (x.unlink_path[i][0] != '\0')
			unlink(x.unlink_path[i]);
	}
	return rc;
}
