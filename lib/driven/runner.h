/* SPDX-License-Identifier: MIT */
/*
 * runner.h - what the runs of lib/driven share (runner.c, run_canned.c):
 *  - the one TERM-then-KILL grace period (struct fcgi_stop);
 *  - process runs: the request's stdin, stdout and stderr are pipes to a
 *    process, either a child forked for the request (fcgi_proc_spawn(),
 *    run ops "child": run_func.c under --isolate request, run_child.c) or
 *    a pool worker lent for it (fcgi_proc_pooled(), run ops "pool":
 *    run_pool.c).  A host table says how the process is had and let go;
 *    everything else, pipes, output, backpressure, aborts and the end, is
 *    one code for both;
 *  - canned runs, which answer without a process (run_canned.c).
 */
#ifndef FCGI_RUNNER_H
#define FCGI_RUNNER_H

#include <sys/types.h>

#include "driven.h"

/* The file descriptor on which a function child reports its return value
 * (4 bytes, native order) before it exits. */
#define FCGI_RUN_STATUS_FD 3

/* ---- the one TERM-then-KILL ---- */

/* Send sig to process pid and to the process group it leads (a child
 * that has not called setsid() yet is reached by its pid). */
void fcgi_signal_group(pid_t pid, int sig);

/*
 * Stopping a process: SIGTERM to it and its group now, SIGKILL when the
 * grace period ends, unless fcgi_stop_cancel() said first that it is gone.
 * The caller must cancel before it reaps the process (or hears that it
 * was reaped), so that no signal reaches a process that reused the id.
 * The timer is made only when a stop begins.
 */
struct fcgi_stop {
	struct fcgi_timer timer;
	uv_loop_t *loop;
	pid_t pid;
	uint64_t grace_ms;
	bool timer_open; /* made and not yet closed */
	void (*closed)(struct fcgi_stop *s);
	void *data; /* the owner's */
};

void fcgi_stop_init(struct fcgi_stop *s, uv_loop_t *loop, uint64_t grace_ms,
		    void *data);
/* SIGTERM now; SIGKILL after the grace period. */
void fcgi_stop_begin(struct fcgi_stop *s, pid_t pid);
/* The process is gone (or about to be reaped): no SIGKILL. */
void fcgi_stop_cancel(struct fcgi_stop *s);
/* Let go of the timer.  true: closed(s) runs from the loop once libuv
 * has let go; false: there was none, and closed does not run. */
bool fcgi_stop_close(struct fcgi_stop *s, void (*closed)(struct fcgi_stop *s));

/* ---- process runs ---- */

/*
 * How a process run's process is had and let go; ticket is the host's
 * (given at creation), never used after release or cancel.
 *  release  the process is done with the request: a child is reaped, a
 *           worker handed back (kill: it may still be running or be in
 *           an unknown state, so it is killed, with its group, and never
 *           reused).
 *  cancel   abort() while no process had the request yet (a queued
 *           pool request); may be NULL when a run never waits.
 *  condemn  abort() while a process runs it: SIGTERM went to it, so it
 *           must never take another request.  May be NULL.
 */
struct fcgi_proc_host {
	void (*release)(void *ticket, bool kill);
	void (*cancel)(void *ticket);
	void (*condemn)(void *ticket);
};

/*
 * Fork a child for one request.  In the child, after its standard streams
 * are the request's pipes, every other descriptor is closed (status_pipe:
 * except FCGI_RUN_STATUS_FD), signals are back to their defaults and the
 * child leads a session of its own, child(child_arg) runs; it must not
 * return (it calls _exit).  what names the run in messages ("function
 * 'hello'", "script '/srv/x.cgi'"; copied).  The run's ops are the
 * "child" table.  0, FCGI_ENOMEM, FCGI_EINVAL (another loop has children
 * running), FCGI_ELIMIT (pipe or fork failed: out of processes or
 * descriptors).
 */
int fcgi_proc_spawn(struct fcgi_run **out, const struct fcgi_run_info *info,
		    const struct fcgi_mem *mem, const char *what,
		    bool status_pipe, void (*child)(void *arg),
		    void *child_arg);

/*
 * A run whose pipes are made here and whose process comes later from a
 * host (a pool), with ops as its table.  child_fds gets the process's
 * ends (the caller passes them on and closes them; -1 when the pipes
 * could not be opened, in which case the run ends by itself from the loop
 * with appStatus 126).  0, FCGI_ENOMEM, FCGI_ELIMIT (out of
 * descriptors).
 */
int fcgi_proc_pooled(struct fcgi_run **out, const struct fcgi_run_info *info,
		     const struct fcgi_mem *mem, const char *what,
		     const struct fcgi_run_ops *ops,
		     const struct fcgi_proc_host *host, void *ticket,
		     int child_fds[3]);
/* Process pid has taken the request (its signals now reach that pid and
 * its group). */
void fcgi_proc_attach(struct fcgi_run *run, pid_t pid);
/* The process says it is done with the request, with this status. */
void fcgi_proc_reported(struct fcgi_run *run, int32_t status);
/* The process died (and was reaped by the host, with wstatus) before
 * it was let go. */
void fcgi_proc_died(struct fcgi_run *run, int wstatus);
/* No process can be had for a waiting run: it ends with "Status: 503",
 * why (one line) on STDERR and appStatus 126. */
void fcgi_proc_lost(struct fcgi_run *run, const char *why);

/* The operations of every process run (struct fcgi_run_ops). */
ssize_t fcgi_proc_write_stdin(struct fcgi_run *run, const uint8_t *data,
			      size_t len);
void fcgi_proc_close_stdin(struct fcgi_run *run);
void fcgi_proc_pause(struct fcgi_run *run, bool paused);
void fcgi_proc_abort(struct fcgi_run *run);
void fcgi_proc_destroy(struct fcgi_run *run);

/* ---- canned runs (run_canned.c) ---- */

/*
 * A run that answers without a process: a CGI response with this status
 * (its body "N Reason\n") and stderr_line on STDERR (copied; may be NULL
 * or ""), then on_done with app_status, all from the loop's next turn.
 * Its ops are the "canned" table.  0, FCGI_ENOMEM, FCGI_EINVAL (status
 * outside 100..999).
 */
int fcgi_run_canned(struct fcgi_run **out, const struct fcgi_run_info *info,
		    const struct fcgi_mem *mem, unsigned http_status,
		    const char *stderr_line, uint32_t app_status);

/* ---- inline runs (run_inline.c) ---- */

/* What calls responder functions inline on one loop. */
struct fcgi_inline;
/* watch: the worker's slot when supervised (fcgi_prefork_run()), or
 * NULL.  0, FCGI_ENOMEM. */
int fcgi_inline_new(struct fcgi_inline **out, uv_loop_t *loop,
		    const struct fcgi_mem *mem, struct fcgi_watch *watch);
uv_loop_t *fcgi_inline_loop(const struct fcgi_inline *h);
/* A run that calls fn once the body is in; its ops are the "inline"
 * table.  0, FCGI_ENOMEM, FCGI_EINVAL (another loop, or being freed). */
int fcgi_inline_start(struct fcgi_inline *h, const struct fcgi_run_info *info,
		      const char *what, fcgi_responder_fn fn,
		      struct fcgi_run **out);
/* Only when no run of h is left; the memory goes once the loop has
 * closed its handles.  NULL is ignored. */
void fcgi_inline_free(struct fcgi_inline *h);

/* ---- the supervisor's watch (prefork.c) ---- */

/* What a worker's slot says while a function runs. */
struct fcgi_watch_req {
	int conn_fd;
	uint16_t request_id;
	bool wire_clean; /* the connection's stream is at a record boundary */
	uint64_t deadline_ms; /* fcgi_mono_ms() time; 0: none */
	unsigned timeout_status;
	const char *what;  /* "function 'hello'" */
	const char *label; /* "c3#1" */
};

/* A function begins or ends in this worker; w NULL: nothing. */
void fcgi_watch_begin(struct fcgi_watch *w, const struct fcgi_watch_req *q);
void fcgi_watch_end(struct fcgi_watch *w);
/* CLOCK_MONOTONIC in milliseconds. */
uint64_t fcgi_mono_ms(void);
/* src (NULL: "") cut to fit n bytes with its NUL; n > 0. */
void fcgi_copy_text(char *dst, size_t n, const char *src);

/* ---- the pool (run_pool.c) ---- */

/* A pool of pre-forked function workers on loop; workers are forked when
 * the first request comes, and replaced as they die.  0, FCGI_ENOMEM. */
struct fcgi_pool;
int fcgi_pool_new(struct fcgi_pool **out, uv_loop_t *loop,
		  const struct fcgi_mem *mem, unsigned workers);
uv_loop_t *fcgi_pool_loop(const struct fcgi_pool *p);
/* Run fn for the request info describes on a worker, queued until one
 * is idle; the run's ops are the "pool" table.  0 and *out, FCGI_ENOMEM,
 * FCGI_ELIMIT (no worker could be forked at all, or out of descriptors),
 * FCGI_EINVAL (the pool is being freed). */
int fcgi_pool_submit(struct fcgi_pool *p, const struct fcgi_run_info *info,
		     const char *what, fcgi_responder_fn fn,
		     struct fcgi_run **out);
/* Kill and reap every worker; the memory goes on the loop's next turn.
 * Only when no run of the pool is left.  NULL is ignored. */
void fcgi_pool_free(struct fcgi_pool *p);

#endif
