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

#include "internal.h"

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

/* The ops every runner of ours shares (see struct fcgi_runner_ops). */
ssize_t fcgi_run_write_stdin(void *run, const uint8_t *data, size_t len);
void fcgi_run_close_stdin(void *run);
void fcgi_run_pause(void *run, int paused);
void fcgi_run_abort(void *run);
void fcgi_run_destroy(void *run);

/* The reason phrase of an HTTP status ("Request Timeout"), or a generic
 * one for its class. */
const char *fcgi_http_reason(unsigned status);

/* Append "Status: N Reason\r\nContent-Type: text/plain\r\n\r\nbody" to
 * out.  0, FCGI_ENOMEM, FCGI_ELIMIT. */
int fcgi_cgi_error_response(struct fcgi_buf *out, unsigned status,
			    const char *body);

#endif
