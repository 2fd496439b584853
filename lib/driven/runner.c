/* SPDX-License-Identifier: MIT */
/*
 * runner.c - what the runners share: a request run in a forked child
 * (pipes for 0/1/2, a session of its own, reaped by pid) and a canned
 * answer that needs no child.
 *
 * Why a child per request, for C functions too: a responder that crashes
 * takes only its child with it, one that never returns is stopped by the
 * same process-group kill as a CGI program, one that leaks cannot make
 * the server grow, and a responder may block on its FILE * streams (the
 * natural way to write one) without stalling the event loop.  The
 * function runner's default is a pool of such children, forked ahead and
 * reused (run_pool.c, RUN_POOL below); a fork per request remains for
 * --isolate request and for CGI programs.  bench/serve.sh measures both.
 *
 * A child is reaped only once its stdout and stderr have reached EOF (or
 * a grace period after its exit has passed), so its process group id
 * cannot be reused by another process while we may still signal it.
 */
#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"

/* RUN_POOL: the pipes of RUN_CHILD, but the process is a pool worker
 * lent for the request (run_pool.c); "reaped" then means that the run
 * has given its worker back. */
enum run_kind { RUN_CHILD = 1, RUN_CANNED = 2, RUN_POOL = 3 };

struct fcgi_run {
	int kind;
	const struct fcgi_mem *mem;
	uv_loop_t *loop;
	const struct fcgi_run_cbs *cb;
	void *arg;
	char what[160];
	uint64_t grace_ms;

	/* RUN_CHILD */
	pid_t pid;
	uv_pipe_t in, out, err;
	int in_open, out_open, err_open; /* not yet being closed */
	unsigned handles;		 /* handles whose close is pending */
	int status_fd;
	int exited; /* seen with WNOWAIT; not reaped yet */
	int reaped;
	int wstatus;
	int stdin_eof; /* close_stdin was called */
	size_t in_pending;
	uint64_t out_bytes;
	int paused;
	int progress; /* bytes read since the grace timer was armed */
	int aborted;
	int done;
	struct fcgi_timer timer; /* kill grace, post-exit grace, deferral */
	int timer_open;
	struct fcgi_run *next, *prev; /* the reaper's list */

	/* RUN_POOL */
	const struct fcgi_run_host *host;
	void *ticket;	 /* the host's, until release or cancel */
	int attached;	 /* a worker (pid) is running the request */
	int have_status; /* the worker reported the function's value */
	int32_t status;

	/* RUN_CANNED */
	struct fcgi_buf canned_out;
	char canned_err[1024];
	uint32_t app_status;
};

/* One SIGCHLD watcher for all children (of one loop at a time). */
struct reaper {
	uv_signal_t sig;
	uv_loop_t *loop;
	struct fcgi_run *head;
	unsigned n;
	int in_cb;
};

static struct reaper *reaper;

/* Runs read into this; every byte is passed on before the next read. */
static char readbuf[65536];

static void run_maybe_finish(struct fcgi_run *r);
static void pool_detach(struct fcgi_run *r, int kill_worker);
static void pool_on_timer(struct fcgi_run *r);
static void pool_abort(struct fcgi_run *r);
static void reaper_scan(struct fcgi_run *r);
static void close_pipe(uv_pipe_t *p, int *open);

void fcgi_runner_free(struct fcgi_runner *r)
{
	if (r == NULL)
		return;
	if (r->ops != NULL && r->ops->release != NULL)
		r->ops->release(r->self);
	fcgi_mem_free(r->mem, r);
}

/* ---- HTTP bits for answers we make ourselves ---- */

int fcgi_cgi_error_response(struct fcgi_buf *out, unsigned status,
			    const char *body)
{
	char head[160];
	int n;

	n = snprintf(head, sizeof(head),
		     "Status: %u %s\r\nContent-Type: text/plain\r\n\r\n",
		     status, fcgi_http_reason(status));
	if (n < 0 || (size_t)n >= sizeof(head))
		return FCGI_EINVAL;
	if (fcgi_buf_append(out, head, (size_t)n) != 0 ||
	    fcgi_buf_append(out, body, strlen(body)) != 0)
		return FCGI_ENOMEM;
	return 0;
}

/* ---- the reaper ---- */

static void reaper_closed(uv_handle_t *h)
{
	fcgi_mem_free(NULL, h->data);
}

static void reaper_release(void)
{
	if (reaper == NULL || reaper->n > 0 || reaper->in_cb)
		return;
	uv_signal_stop(&reaper->sig);
	reaper->sig.data = reaper;
	uv_close((uv_handle_t *)&reaper->sig, reaper_closed);
	reaper = NULL;
}

static void reaper_unlink(struct fcgi_run *r)
{
	if (r->prev != NULL)
		r->prev->next = r->next;
	else if (reaper != NULL && reaper->head == r)
		reaper->head = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	r->next = r->prev = NULL;
	if (reaper != NULL)
		reaper->n--;
}

/* Reap r, whose process has exited; its group goes with it. */
static void run_reap(struct fcgi_run *r)
{
	pid_t p;

	if (r->reaped)
		return;
	/* While the zombie is unreaped its group id cannot be reused, so
	 * this reaches only what is left of the child's own group. */
	if (r->aborted)
		kill(-r->pid, SIGKILL);
	do
		p = waitpid(r->pid, &r->wstatus, 0);
	while (p < 0 && errno == EINTR);
	if (p < 0)
		r->wstatus = 0;
	r->reaped = 1;
	fcgi_timer_stop(&r->timer);
	reaper_unlink(r);
	reaper_release();
}

static void on_sigchld(uv_signal_t *h, int signum)
{
	struct reaper *rp = h->data;
	struct fcgi_run *r, *next;

	(void)signum;
	rp->in_cb = 1;
	for (r = rp->head; r != NULL; r = next) {
		next = r->next;
		if (!r->exited)
			reaper_scan(r);
	}
	/* Finishing may free runs; walk a stable snapshot by restarting
	 * after each one that finishes. */
again:
	for (r = rp->head; r != NULL; r = r->next) {
		if (r->exited && !r->reaped &&
		    (r->aborted || (!r->out_open && !r->err_open))) {
			run_reap(r);
			if (r->aborted) {
				close_pipe(&r->in, &r->in_open);
				close_pipe(&r->out, &r->out_open);
				close_pipe(&r->err, &r->err_open);
			}
			run_maybe_finish(r);
			goto again;
		}
	}
	rp->in_cb = 0;
	if (reaper == rp)
		reaper_release();
}

static int reaper_add(struct fcgi_run *r)
{
	if (reaper != NULL && reaper->loop != r->loop)
		return FCGI_EINVAL;
	if (reaper == NULL) {
		reaper = fcgi_mem_malloc(NULL, sizeof(*reaper));
		if (reaper == NULL)
			return FCGI_ENOMEM;
		memset(reaper, 0, sizeof(*reaper));
		reaper->loop = r->loop;
		if (uv_signal_init(r->loop, &reaper->sig) != 0) {
			fcgi_mem_free(NULL, reaper);
			reaper = NULL;
			return FCGI_ENOMEM;
		}
		reaper->sig.data = reaper;
		if (uv_signal_start(&reaper->sig, on_sigchld, SIGCHLD) != 0) {
			uv_close((uv_handle_t *)&reaper->sig, reaper_closed);
			reaper = NULL;
			return FCGI_ENOMEM;
		}
	}
	r->next = reaper->head;
	r->prev = NULL;
	if (reaper->head != NULL)
		reaper->head->prev = r;
	reaper->head = r;
	reaper->n++;
	return 0;
}

/* Has r's process exited?  Sets r->exited without reaping. */
static void reaper_scan(struct fcgi_run *r)
{
	siginfo_t si;
	int rc;

	memset(&si, 0, sizeof(si));
	do
		rc = waitid(P_PID, (id_t)r->pid, &si,
			    WEXITED | WNOHANG | WNOWAIT);
	while (rc < 0 && errno == EINTR);
	if (rc < 0 || si.si_pid == r->pid) {
		r->exited = 1;
		/* Give a straggler holding the pipes a grace period. */
		if (!r->aborted && (r->out_open || r->err_open)) {
			r->progress = 0;
			fcgi_timer_arm(&r->timer, r->grace_ms);
		}
	}
}

/* ---- closing and finishing ---- */

static void on_handle_closed(uv_handle_t *h)
{
	struct fcgi_run *r = h->data;

	r->handles--;
	run_maybe_finish(r);
}

static void close_pipe(uv_pipe_t *p, int *open)
{
	if (!*open)
		return;
	*open = 0;
	uv_close((uv_handle_t *)p, on_handle_closed);
}

static void on_timer_closed(struct fcgi_timer *t)
{
	struct fcgi_run *r = t->data;

	r->handles--;
	run_maybe_finish(r);
}

/* The status a child's end gives, plus what we say about a crash. */
static uint32_t child_status(struct fcgi_run *r)
{
	int32_t v;
	ssize_t n = -1;
	char msg[256];
	int sig, len;
	struct fcgi_buf resp;

	if (r->have_status)
		return (uint32_t)r->status;
	if (r->status_fd >= 0) {
		n = read(r->status_fd, &v, sizeof(v));
		close(r->status_fd);
		r->status_fd = -1;
		if (n == (ssize_t)sizeof(v))
			return (uint32_t)v;
	}
	if (WIFEXITED(r->wstatus))
		return (uint32_t)WEXITSTATUS(r->wstatus);
	if (!WIFSIGNALED(r->wstatus))
		return 0;
	sig = WTERMSIG(r->wstatus);
	if (!r->aborted) {
		len = snprintf(msg, sizeof(msg),
			       "fcgitool: %s killed by signal %d (%s)\n",
			       r->what, sig, strsignal(sig));
		if (len > 0 && (size_t)len < sizeof(msg))
			r->cb->on_stderr(r->arg, (const uint8_t *)msg,
					 (size_t)len);
		if (r->out_bytes == 0) {
			fcgi_buf_init(&resp, r->mem, 0);
			if (fcgi_cgi_error_response(
				    &resp, 500, "the responder crashed\n") == 0)
				r->cb->on_stdout(r->arg, resp.data, resp.len);
			fcgi_buf_free(&resp);
		}
	}
	return 128u + (uint32_t)sig;
}

/* Once everything is closed, report the end; the run may be freed from
 * within on_done, so nothing touches r after it. */
static void run_maybe_finish(struct fcgi_run *r)
{
	uint32_t status;

	if (r->done)
		return;
	if (r->kind != RUN_CANNED) {
		if (!r->reaped || r->in_open || r->out_open || r->err_open)
			return;
	}
	if (r->timer_open) {
		r->timer_open = 0;
		fcgi_timer_close(&r->timer, on_timer_closed);
		return;
	}
	if (r->handles > 0)
		return;
	r->done = 1;
	status = r->kind != RUN_CANNED ? child_status(r) : r->app_status;
	r->cb->on_done(r->arg, status, FCGI_REQUEST_COMPLETE);
}

/* ---- reading the child's output ---- */

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	(void)h;
	(void)hint;
	b->base = readbuf;
	b->len = sizeof(readbuf);
}

static void after_eof(struct fcgi_run *r)
{
	if (r->kind == RUN_POOL) {
		if (r->exited && !r->reaped && !r->out_open && !r->err_open) {
			pool_detach(r, 0);
			run_maybe_finish(r);
		}
		return;
	}
	if (r->exited && !r->reaped && !r->out_open && !r->err_open) {
		run_reap(r);
		run_maybe_finish(r);
	}
}

static void on_out_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct fcgi_run *r = s->data;

	if (n > 0) {
		r->progress = 1;
		r->out_bytes += (uint64_t)n;
		if (!r->aborted)
			r->cb->on_stdout(r->arg, (const uint8_t *)b->base,
					 (size_t)n);
		return;
	}
	if (n == 0)
		return;
	close_pipe(&r->out, &r->out_open);
	after_eof(r);
}

static void on_err_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct fcgi_run *r = s->data;

	if (n > 0) {
		r->progress = 1;
		if (!r->aborted)
			r->cb->on_stderr(r->arg, (const uint8_t *)b->base,
					 (size_t)n);
		return;
	}
	if (n == 0)
		return;
	close_pipe(&r->err, &r->err_open);
	after_eof(r);
}

/* The grace period ran out: the child ignored SIGTERM, or it exited and
 * something it left behind still holds the pipes. */
static void on_timer(struct fcgi_timer *t)
{
	struct fcgi_run *r = t->data;

	if (r->kind == RUN_CANNED) {
		if (!r->aborted) {
			if (r->canned_out.len > 0)
				r->cb->on_stdout(r->arg, r->canned_out.data,
						 r->canned_out.len);
			if (r->canned_err[0] != '\0')
				r->cb->on_stderr(r->arg,
						 (const uint8_t *)r->canned_err,
						 strlen(r->canned_err));
		}
		run_maybe_finish(r);
		return;
	}
	if (r->kind == RUN_POOL) {
		pool_on_timer(r);
		return;
	}
	if (r->reaped)
		return;
	if (!r->exited) {
		/* SIGTERM was not enough; SIGCHLD follows this. */
		kill(-r->pid, SIGKILL);
		kill(r->pid, SIGKILL);
		return;
	}
	/* Exited, but the pipes are still open.  Output still flowing, or
	 * held back by a slow client, is not a straggler. */
	if (!r->aborted && (r->paused || r->progress)) {
		r->progress = 0;
		fcgi_timer_arm(&r->timer, r->grace_ms);
		return;
	}
	r->aborted = 1;
	run_reap(r);
	close_pipe(&r->in, &r->in_open);
	close_pipe(&r->out, &r->out_open);
	close_pipe(&r->err, &r->err_open);
	run_maybe_finish(r);
}

/* ---- spawning ---- */

/* Move fd to a number above 9 (so that dup2 onto 0..3 cannot clobber
 * another pipe end); -1 on failure. */
static int child_lift(int fd)
{
	return fcntl(fd, F_DUPFD_CLOEXEC, 10);
}

static void child_setup(int in, int out, int err, int st)
{
	struct sigaction sa;
	sigset_t none;
	int sig;

	setsid();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	in = child_lift(in);
	out = child_lift(out);
	err = child_lift(err);
	if (st >= 0)
		st = child_lift(st);
	if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 ||
	    dup2(out, 1) < 0 || dup2(err, 2) < 0 ||
	    (st >= 0 && dup2(st, FCGI_RUN_STATUS_FD) < 0))
		_exit(127);
	/* Whatever the parent had buffered is the parent's to write. */
	__fpurge(stdout);
	__fpurge(stderr);
	__fpurge(stdin);
	if (close_range(st >= 0 ? FCGI_RUN_STATUS_FD + 1 : 3, ~0u, 0) != 0) {
		for (sig = st >= 0 ? FCGI_RUN_STATUS_FD + 1 : 3; sig < 65536;
		     sig++)
			close(sig);
	}
}

static void close_fds(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

static struct fcgi_run *run_alloc(const struct fcgi_run_info *info,
				  const struct fcgi_mem *mem, int kind,
				  const char *what)
{
	struct fcgi_run *r;

	r = fcgi_mem_malloc(mem, sizeof(*r));
	if (r == NULL)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->mem = mem;
	r->loop = info->loop;
	r->cb = info->cb;
	r->arg = info->arg;
	r->grace_ms = info->kill_grace_ms != 0 ? info->kill_grace_ms : 1000;
	r->status_fd = -1;
	snprintf(r->what, sizeof(r->what), "%s", what);
	fcgi_buf_init(&r->canned_out, mem, 0);
	if (fcgi_timer_init(info->loop, &r->timer, on_timer, r) != 0) {
		fcgi_mem_free(mem, r);
		return NULL;
	}
	r->timer_open = 1;
	r->handles = 1;
	return r;
}

/* Free a run that never got going (its timer still needs closing). */
static void on_early_timer_closed(struct fcgi_timer *t)
{
	struct fcgi_run *r = t->data;

	fcgi_buf_free(&r->canned_out);
	fcgi_mem_free(r->mem, r);
}

static void run_discard(struct fcgi_run *r)
{
	fcgi_timer_close(&r->timer, on_early_timer_closed);
}

static int open_pipe(struct fcgi_run *r, uv_pipe_t *p, int fd)
{
	if (uv_pipe_init(r->loop, p, 0) != 0)
		return -1;
	p->data = r;
	r->handles++;
	if (uv_pipe_open(p, fd) != 0) {
		uv_close((uv_handle_t *)p, on_handle_closed);
		return -1;
	}
	return 0;
}

int fcgi_run_spawn(struct fcgi_run **out, const struct fcgi_run_info *info,
		   const struct fcgi_mem *mem, const char *what,
		   int status_pipe, void (*child)(void *arg), void *child_arg)
{
	struct fcgi_run *r;
	int fds[8] = { -1, -1, -1, -1, -1, -1, -1, -1 };
	sigset_t all, old;
	pid_t pid;
	int rc;

	r = run_alloc(info, mem, RUN_CHILD, what);
	if (r == NULL)
		return FCGI_ENOMEM;
	if (pipe2(fds, O_CLOEXEC) != 0 || pipe2(fds + 2, O_CLOEXEC) != 0 ||
	    pipe2(fds + 4, O_CLOEXEC) != 0 ||
	    (status_pipe && pipe2(fds + 6, O_CLOEXEC | O_NONBLOCK) != 0)) {
		close_fds(fds, 8);
		run_discard(r);
		return FCGI_ELIMIT;
	}
	rc = reaper_add(r);
	if (rc != 0) {
		close_fds(fds, 8);
		run_discard(r);
		return rc;
	}
	/* No signal handler may run in the child before it resets them. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0) {
		child_setup(fds[0], fds[3], fds[5], status_pipe ? fds[7] : -1);
		child(child_arg);
		_exit(127);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		reaper_unlink(r);
		reaper_release();
		close_fds(fds, 8);
		run_discard(r);
		return FCGI_ELIMIT;
	}
	r->pid = pid;
	/* The child's ends. */
	close(fds[0]);
	close(fds[3]);
	close(fds[5]);
	if (status_pipe)
		close(fds[7]);
	r->status_fd = status_pipe ? fds[6] : -1;
	/* From here on the run is live: failures end it through the usual
	 * path (abort, reap, close), never by freeing it here. */
	r->in_open = open_pipe(r, &r->in, fds[1]) == 0;
	r->out_open = open_pipe(r, &r->out, fds[2]) == 0;
	r->err_open = open_pipe(r, &r->err, fds[4]) == 0;
	if (!r->in_open || !r->out_open || !r->err_open) {
		if (!r->in_open)
			close(fds[1]);
		if (!r->out_open)
			close(fds[2]);
		if (!r->err_open)
			close(fds[4]);
		fcgi_run_abort(r);
	} else {
		uv_read_start((uv_stream_t *)&r->out, on_alloc, on_out_read);
		uv_read_start((uv_stream_t *)&r->err, on_alloc, on_err_read);
	}
	*out = r;
	return 0;
}

int fcgi_run_canned(struct fcgi_run **out, const struct fcgi_run_info *info,
		    const struct fcgi_mem *mem, unsigned http_status,
		    const char *stderr_line, uint32_t app_status)
{
	struct fcgi_run *r;
	char body[96];

	r = run_alloc(info, mem, RUN_CANNED, "answer");
	if (r == NULL)
		return FCGI_ENOMEM;
	snprintf(body, sizeof(body), "%u %s\n", http_status,
		 fcgi_http_reason(http_status));
	if (fcgi_cgi_error_response(&r->canned_out, http_status, body) != 0) {
		run_discard(r);
		return FCGI_ENOMEM;
	}
	snprintf(r->canned_err, sizeof(r->canned_err), "%s",
		 stderr_line != NULL ? stderr_line : "");
	r->app_status = app_status;
	/* From the loop's next turn: a runner never calls back from inside
	 * start(). */
	fcgi_timer_arm(&r->timer, 1);
	*out = r;
	return 0;
}

/* ---- runs on pool workers ---- */

int fcgi_run_pooled(struct fcgi_run **out, const struct fcgi_run_info *info,
		    const struct fcgi_mem *mem, const char *what,
		    const struct fcgi_run_host *host, void *ticket,
		    int child_fds[3])
{
	struct fcgi_run *r;
	int fds[6] = { -1, -1, -1, -1, -1, -1 };

	child_fds[0] = child_fds[1] = child_fds[2] = -1;
	r = run_alloc(info, mem, RUN_POOL, what);
	if (r == NULL)
		return FCGI_ENOMEM;
	if (pipe2(fds, O_CLOEXEC) != 0 || pipe2(fds + 2, O_CLOEXEC) != 0 ||
	    pipe2(fds + 4, O_CLOEXEC) != 0) {
		close_fds(fds, 6);
		run_discard(r);
		return FCGI_ELIMIT;
	}
	r->host = host;
	r->ticket = ticket;
	r->in_open = open_pipe(r, &r->in, fds[1]) == 0;
	r->out_open = open_pipe(r, &r->out, fds[2]) == 0;
	r->err_open = open_pipe(r, &r->err, fds[4]) == 0;
	if (!r->in_open || !r->out_open || !r->err_open) {
		/* Nothing can run it: it ends, empty, from the loop. */
		if (!r->in_open)
			close(fds[1]);
		if (!r->out_open)
			close(fds[2]);
		if (!r->err_open)
			close(fds[4]);
		close(fds[0]);
		close(fds[3]);
		close(fds[5]);
		r->aborted = r->exited = r->reaped = 1;
		r->have_status = 1;
		r->status = 126;
		r->ticket = NULL;
		close_pipe(&r->in, &r->in_open);
		close_pipe(&r->out, &r->out_open);
		close_pipe(&r->err, &r->err_open);
		fcgi_timer_arm(&r->timer, 1);
		*out = r;
		return 0;
	}
	uv_read_start((uv_stream_t *)&r->out, on_alloc, on_out_read);
	uv_read_start((uv_stream_t *)&r->err, on_alloc, on_err_read);
	child_fds[0] = fds[0];
	child_fds[1] = fds[3];
	child_fds[2] = fds[5];
	*out = r;
	return 0;
}

void fcgi_run_attach(struct fcgi_run *r, pid_t pid)
{
	r->pid = pid;
	r->attached = 1;
}

/* Give the worker back (kill_worker: it must not be reused); the run
 * then waits only for its pipes. */
static void pool_detach(struct fcgi_run *r, int kill_worker)
{
	if (r->reaped)
		return;
	if (r->attached && r->host != NULL && r->ticket != NULL)
		r->host->release(r->ticket, kill_worker);
	r->attached = 0;
	r->pid = 0;
	r->ticket = NULL;
	r->reaped = 1;
	fcgi_timer_stop(&r->timer);
}

static void pool_close_all(struct fcgi_run *r)
{
	close_pipe(&r->in, &r->in_open);
	close_pipe(&r->out, &r->out_open);
	close_pipe(&r->err, &r->err_open);
	run_maybe_finish(r);
}

void fcgi_run_reported(struct fcgi_run *r, int32_t status)
{
	if (r->kind != RUN_POOL || r->reaped || !r->attached)
		return;
	r->have_status = 1;
	r->status = status;
	r->exited = 1;
	if (r->aborted) {
		/* A signal may be on its way to it: never reuse it. */
		pool_detach(r, 1);
		pool_close_all(r);
		return;
	}
	if (!r->out_open && !r->err_open) {
		pool_detach(r, 0);
		run_maybe_finish(r);
		return;
	}
	/* The worker closed its ends before reporting; what still holds
	 * the pipes gets a grace period. */
	r->progress = 0;
	fcgi_timer_arm(&r->timer, r->grace_ms);
}

void fcgi_run_worker_died(struct fcgi_run *r, int wstatus)
{
	if (r->kind != RUN_POOL || r->reaped)
		return;
	if (!r->have_status)
		r->wstatus = wstatus;
	r->attached = 0;
	r->pid = 0;
	r->ticket = NULL; /* the pool is done with it */
	r->exited = 1;
	r->reaped = 1;
	fcgi_timer_stop(&r->timer);
	if (r->aborted || (!r->out_open && !r->err_open)) {
		pool_close_all(r);
		return;
	}
	r->progress = 0;
	fcgi_timer_arm(&r->timer, r->grace_ms);
}

void fcgi_run_lost(struct fcgi_run *r, const char *why)
{
	struct fcgi_buf resp;

	if (r->kind != RUN_POOL || r->reaped)
		return;
	r->ticket = NULL;
	r->attached = 0;
	r->exited = r->reaped = 1;
	r->have_status = 1;
	r->status = 126; /* the shell's "cannot execute" */
	if (!r->aborted) {
		r->cb->on_stderr(r->arg, (const uint8_t *)why, strlen(why));
		if (r->out_bytes == 0) {
			fcgi_buf_init(&resp, r->mem, 0);
			if (fcgi_cgi_error_response(
				    &resp, 503,
				    "no worker could be started\n") == 0)
				r->cb->on_stdout(r->arg, resp.data, resp.len);
			fcgi_buf_free(&resp);
		}
	}
	r->aborted = 1;
	pool_close_all(r);
}

static void pool_on_timer(struct fcgi_run *r)
{
	if (r->attached && !r->exited) {
		/* SIGTERM was not enough; the pool sees it die. */
		kill(-r->pid, SIGKILL);
		kill(r->pid, SIGKILL);
		return;
	}
	if (!r->exited)
		return;
	/* Output still flowing, or held back by a slow client, is not a
	 * straggler. */
	if (!r->aborted && (r->paused || r->progress)) {
		r->progress = 0;
		fcgi_timer_arm(&r->timer, r->grace_ms);
		return;
	}
	r->aborted = 1;
	pool_detach(r, 1);
	pool_close_all(r);
}

/* abort() for a pooled run; r->aborted is set and stdin closed. */
static void pool_abort(struct fcgi_run *r)
{
	if (!r->attached && !r->exited) {
		/* Still queued: no worker ever saw it. */
		if (r->host != NULL && r->ticket != NULL)
			r->host->cancel(r->ticket);
		r->ticket = NULL;
		r->exited = r->reaped = 1;
		r->have_status = 1;
		r->status = 128 + SIGTERM;
		pool_close_all(r);
		return;
	}
	if (r->attached && !r->exited) {
		/* The worker leads its own session: its group is the
		 * request's, as a forked child's is. */
		kill(-r->pid, SIGTERM);
		kill(r->pid, SIGTERM);
		fcgi_timer_arm(&r->timer, r->grace_ms);
		if (r->host != NULL && r->ticket != NULL)
			r->host->condemn(r->ticket);
		return;
	}
	pool_detach(r, 1);
	pool_close_all(r);
}

/* ---- the shared ops ---- */

struct stdin_write {
	uv_write_t req;
	struct fcgi_run *run;
	size_t len;
	uint8_t data[];
};

static void on_stdin_written(uv_write_t *w, int status)
{
	struct stdin_write *sw = (struct stdin_write *)w;
	struct fcgi_run *r = sw->run;

	r->in_pending -= sw->len;
	fcgi_mem_free(r->mem, sw);
	if (status < 0) /* the child stopped reading: drop the rest */
		close_pipe(&r->in, &r->in_open);
	if (r->in_pending != 0)
		return;
	if (r->stdin_eof)
		close_pipe(&r->in, &r->in_open);
	if (!r->done && !r->aborted)
		r->cb->on_stdin_drained(r->arg);
	run_maybe_finish(r);
}

ssize_t fcgi_run_write_stdin(void *run, const uint8_t *data, size_t len)
{
	struct fcgi_run *r = run;
	struct stdin_write *sw;
	uv_buf_t b;
	int n;

	if (r->kind == RUN_CANNED || !r->in_open || r->stdin_eof ||
	    r->aborted || len == 0)
		return (ssize_t)(r->kind != RUN_CANNED ? r->in_pending : 0);
	if (r->in_pending == 0) {
		b = uv_buf_init((char *)(uintptr_t)data,
				len > UINT32_MAX ? UINT32_MAX : (unsigned)len);
		n = uv_try_write((uv_stream_t *)&r->in, &b, 1);
		if (n > 0) {
			data += n;
			len -= (size_t)n;
		} else if (n != UV_EAGAIN) {
			close_pipe(&r->in, &r->in_open);
			return 0;
		}
		if (len == 0)
			return 0;
	}
	sw = fcgi_mem_malloc(r->mem, sizeof(*sw) + len);
	if (sw == NULL)
		return FCGI_ENOMEM;
	sw->run = r;
	sw->len = len;
	memcpy(sw->data, data, len);
	b = uv_buf_init((char *)sw->data, (unsigned)len);
	if (uv_write(&sw->req, (uv_stream_t *)&r->in, &b, 1,
		     on_stdin_written) != 0) {
		fcgi_mem_free(r->mem, sw);
		close_pipe(&r->in, &r->in_open);
		return 0;
	}
	r->in_pending += len;
	return (ssize_t)r->in_pending;
}

void fcgi_run_close_stdin(void *run)
{
	struct fcgi_run *r = run;

	if (r->kind == RUN_CANNED || r->stdin_eof)
		return;
	r->stdin_eof = 1;
	if (r->in_pending == 0)
		close_pipe(&r->in, &r->in_open);
}

void fcgi_run_pause(void *run, int paused)
{
	struct fcgi_run *r = run;

	if (r->kind == RUN_CANNED || r->aborted ||
	    (r->paused != 0) == (paused != 0))
		return;
	r->paused = paused != 0;
	if (r->paused) {
		if (r->out_open)
			uv_read_stop((uv_stream_t *)&r->out);
		if (r->err_open)
			uv_read_stop((uv_stream_t *)&r->err);
	} else {
		if (r->out_open)
			uv_read_start((uv_stream_t *)&r->out, on_alloc,
				      on_out_read);
		if (r->err_open)
			uv_read_start((uv_stream_t *)&r->err, on_alloc,
				      on_err_read);
	}
}

void fcgi_run_abort(void *run)
{
	struct fcgi_run *r = run;

	if (r->aborted || r->done)
		return;
	if (r->kind == RUN_CANNED) {
		r->aborted = 1;
		return;
	}
	/* Keep draining output (discarded) so the child cannot block on
	 * a full pipe instead of seeing our signal. */
	fcgi_run_pause(r, 0);
	r->aborted = 1;
	close_pipe(&r->in, &r->in_open);
	if (r->kind == RUN_POOL) {
		pool_abort(r);
		return;
	}
	if (!r->reaped) {
		/* The child may not have called setsid() yet: signal it by
		 * pid as well as by group. */
		kill(-r->pid, SIGTERM);
		kill(r->pid, SIGTERM);
		fcgi_timer_arm(&r->timer, r->grace_ms);
	}
	if (r->exited && !r->reaped) {
		run_reap(r);
		close_pipe(&r->out, &r->out_open);
		close_pipe(&r->err, &r->err_open);
	}
	run_maybe_finish(r);
}

void fcgi_run_destroy(void *run)
{
	struct fcgi_run *r = run;

	if (r == NULL)
		return;
	if (r->status_fd >= 0)
		close(r->status_fd);
	fcgi_buf_free(&r->canned_out);
	fcgi_mem_free(r->mem, r);
}
