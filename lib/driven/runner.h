/* SPDX-License-Identifier: MIT */
/*
 * runner.h - the plumbing shared by the runners (runner.c): a request run
 * in a child process (fork, pipes for 0/1/2, its own session, reaped by
 * pid), or a canned answer given without a child.  run_func.c and
 * run_child.c differ only in what their start() does; every other op of
 * theirs is one of the fcgi_run_* functions below.
 */
#ifndef FCGI_RUNNER_H
#define FCGI_RUNNER_H

#include <sys/types.h>

#include "driven.h"

/* The file descriptor on which a function child reports its return value
 * (4 bytes, native order) before it exits. */
#define FCGI_RUN_STATUS_FD 3

struct fcgi_run;

/*
 * Fork a child for one request.  In the child, after its standard streams
 * are the request's pipes, every other descriptor is closed (status_pipe:
 * except FCGI_RUN_STATUS_FD), signals are back to their defaults and the
 * child leads a session of its own, child(child_arg) runs; it must not
 * return (it calls _exit).  what names the run in messages ("function
 * 'hello'", "script '/srv/x.cgi'"; copied).  0, FCGI_ENOMEM, FCGI_ELIMIT
 * (pipe or fork failed: out of processes or descriptors).
 */
int fcgi_run_spawn(struct fcgi_run **out, const struct fcgi_run_info *info,
		   const struct fcgi_mem *mem, const char *what,
		   int status_pipe, void (*child)(void *arg), void *child_arg);

/*
 * A run that answers without a child: a CGI response with this status
 * (and a short text body) and stderr_line on STDERR, then on_done with
 * app_status, all from the loop's next turn.  0, FCGI_ENOMEM.
 */
int fcgi_run_canned(struct fcgi_run **out, const struct fcgi_run_info *info,
		    const struct fcgi_mem *mem, unsigned http_status,
		    const char *stderr_line, uint32_t app_status);

/*
 * Runs on pre-forked workers (run_pool.c).  The pool hands the run a
 * ticket of its own; the run calls the host back exactly once with it:
 * cancel when the run ends while still queued, release when it no longer
 * needs the worker it was attached to (kill_worker: kill and replace the
 * worker rather than reuse it).  Neither is called after the pool told
 * the run that its worker died.
 */
struct fcgi_run_host {
	void (*cancel)(void *ticket);
	void (*release)(void *ticket, int kill_worker);
	/* The worker is being stopped (SIGTERM, SIGKILL after the grace
	 * period) and stays r's until it dies: never reuse it, and start
	 * its replacement now. */
	void (*condemn)(void *ticket);
};

/*
 * A run whose stdin/stdout/stderr pipes are made here and whose process
 * is a pool worker: child_fds gets the worker's ends (the caller passes
 * them on and closes them; -1 when the run could not be set up, in which
 * case it ends by itself from the loop).  what as for fcgi_run_spawn.
 * 0, FCGI_ENOMEM, FCGI_ELIMIT (out of descriptors).
 */
int fcgi_run_pooled(struct fcgi_run **out, const struct fcgi_run_info *info,
		    const struct fcgi_mem *mem, const char *what,
		    const struct fcgi_run_host *host, void *ticket,
		    int child_fds[3]);
/* Worker pid has taken r (its signals now reach that process group). */
void fcgi_run_attach(struct fcgi_run *r, pid_t pid);
/* r's worker says the function returned status. */
void fcgi_run_reported(struct fcgi_run *r, int32_t status);
/* r's worker died (reaped, with wstatus) before it gave r back. */
void fcgi_run_worker_died(struct fcgi_run *r, int wstatus);
/* No worker can be had for queued r: it ends with "Status: 503", why
 * (one line) on STDERR and appStatus 126. */
void fcgi_run_lost(struct fcgi_run *r, const char *why);

/* A pool of pre-forked function workers on loop (run_pool.c); workers
 * are forked when the first request comes, and replaced as they die.
 * 0, FCGI_ENOMEM. */
struct fcgi_pool;
int fcgi_pool_new(struct fcgi_pool **out, uv_loop_t *loop,
		  const struct fcgi_mem *mem, unsigned workers);
uv_loop_t *fcgi_pool_loop(const struct fcgi_pool *p);
/* Run fn for the request info describes on a worker, queued until one
 * is idle.  0 and *out, FCGI_ENOMEM, FCGI_ELIMIT (no worker could be
 * forked at all, or out of descriptors). */
int fcgi_pool_submit(struct fcgi_pool *p, const struct fcgi_run_info *info,
		     const char *what, fcgi_responder_fn fn,
		     struct fcgi_run **out);
/* Kill and reap every worker; the memory goes on the loop's next turn.
 * Only when no run of the pool is left.  NULL is ignored. */
void fcgi_pool_free(struct fcgi_pool *p);

/* The ops every runner of ours shares (see struct fcgi_runner_ops). */
ssize_t fcgi_run_write_stdin(void *run, const uint8_t *data, size_t len);
void fcgi_run_close_stdin(void *run);
void fcgi_run_pause(void *run, int paused);
void fcgi_run_abort(void *run);
void fcgi_run_destroy(void *run);

/* Append "Status: N Reason\r\nContent-Type: text/plain\r\n\r\nbody" to
 * out.  0, FCGI_ENOMEM, FCGI_ELIMIT. */
int fcgi_cgi_error_response(struct fcgi_buf *out, unsigned status,
			    const char *body);

#endif
