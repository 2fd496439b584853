/* SPDX-License-Identifier: MIT */
/*
 * runner.c - what the runs share: runners made of ops, the one
 * TERM-then-KILL grace period, and the process run: a request whose
 * stdin, stdout and stderr are pipes to a process, a child forked for it
 * (pipes for 0/1/2, a session of its own, reaped by pid) or a pool worker
 * lent for it (run_pool.c).
 *
 * Why a process per request, for C functions too: a responder that
 * crashes takes only its process with it, one that never returns is
 * stopped by the same process-group kill as a CGI program, one that
 * leaks cannot make the server grow, and a responder may block on its
 * FILE * streams (the natural way to write one) without stalling the
 * event loop.  The function runner's default is a pool of such processes,
 * forked ahead and reused (run_pool.c); a fork per request remains for
 * --isolate request and for CGI programs.  bench/serve.sh measures both.
 *
 * A child is reaped only once its stdout and stderr have reached EOF (or
 * a grace period after its exit has passed), so its process group id
 * cannot be reused by another process while we may still signal it.
 */
#include <sys/queue.h>
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

/* ---- runners ---- */

int fcgi_runner_new(struct fcgi_runner **out, const struct fcgi_runner_ops *ops,
		    void *self, const struct fcgi_mem *mem)
{
	struct fcgi_runner *r;

	if (out == NULL || ops == NULL || ops->start == NULL)
		return FCGI_EINVAL;
	r = fcgi_mem_malloc(mem, sizeof(*r));
	if (r == NULL)
		return FCGI_ENOMEM;
	r->ops = ops;
	r->self = self;
	r->mem = mem;
	*out = r;
	return 0;
}

void fcgi_runner_free(struct fcgi_runner *r)
{
	if (r == NULL)
		return;
	if (r->ops != NULL && r->ops->release != NULL)
		r->ops->release(r->self);
	fcgi_mem_free(r->mem, r);
}

/* ---- the one TERM-then-KILL ---- */

void fcgi_signal_group(pid_t pid, int sig)
{
	if (pid <= 0)
		return;
	kill(-pid, sig);
	kill(pid, sig);
}

void fcgi_stop_init(struct fcgi_stop *s, uv_loop_t *loop, uint64_t grace_ms,
		    void *data)
{
	memset(s, 0, sizeof(*s));
	s->loop = loop;
	s->grace_ms = grace_ms != 0 ? grace_ms : 1000;
	s->data = data;
}

/* The grace period is over and the process is still there. */
static void on_stop_timer(struct fcgi_timer *t)
{
	struct fcgi_stop *s = t->data;

	fcgi_signal_group(s->pid, SIGKILL);
}

void fcgi_stop_begin(struct fcgi_stop *s, pid_t pid)
{
	s->pid = pid;
	fcgi_signal_group(pid, SIGTERM);
	if (!s->timer_open) {
		if (fcgi_timer_init(s->loop, &s->timer, on_stop_timer, s) !=
		    0) {
			/* No grace without a timer. */
			fcgi_signal_group(pid, SIGKILL);
			return;
		}
		s->timer_open = true;
	}
	fcgi_timer_arm(&s->timer, s->grace_ms);
}

void fcgi_stop_cancel(struct fcgi_stop *s)
{
	if (s->timer_open)
		fcgi_timer_stop(&s->timer);
	s->pid = 0;
}

static void on_stop_closed(struct fcgi_timer *t)
{
	struct fcgi_stop *s = t->data;

	s->closed(s);
}

bool fcgi_stop_close(struct fcgi_stop *s, void (*closed)(struct fcgi_stop *s))
{
	if (!s->timer_open)
		return false;
	s->timer_open = false;
	s->pid = 0;
	s->closed = closed;
	fcgi_timer_close(&s->timer, on_stop_closed);
	return true;
}

/* ---- process runs ---- */

/* Where a process run's process is. */
enum proc_state {
	PROC_WAITING, /* no process has the request yet (a pool queue) */
	PROC_RUNNING, /* a process runs it */
	PROC_EXITED,  /* that process is done with it (exited, or the
			 worker reported) but is not let go yet */
	PROC_RELEASED /* reaped, handed back, or gone */
};

struct proc_run {
	struct fcgi_run run; /* first: the kind's ops */
	const struct fcgi_proc_host *host;
	void *ticket; /* the host's, until release or cancel */
	const struct fcgi_mem *mem;
	uv_loop_t *loop;
	const struct fcgi_run_cbs *cb;
	void *arg;
	char what[160];
	uint64_t grace_ms;
	enum proc_state state;
	pid_t pid;
	int status_fd; /* a function child's report, or -1 */
	bool have_status;
	int32_t status; /* what the process reported */
	int wstatus;	/* how it ended, from waitpid */
	uv_pipe_t in, out, err;
	bool in_open, out_open, err_open; /* not yet being closed */
	unsigned handles;		  /* handles whose close is pending */
	bool stdin_eof;			  /* close_stdin was called */
	size_t in_pending;
	uint64_t out_bytes;
	bool paused;
	bool progress; /* bytes read since the linger timer was armed */
	bool aborted;
	bool done;
	/* After the process is done: a grace period for whatever it left
	 * holding the pipes. */
	struct fcgi_timer linger;
	bool linger_open;
	struct fcgi_stop stop;
	TAILQ_ENTRY(proc_run) reap_link; /* running children only */
};

TAILQ_HEAD(proc_list, proc_run);

static struct proc_run *proc_of(struct fcgi_run *run)
{
	return (struct proc_run *)run;
}

/* Runs read into this; every byte is passed on before the next read. */
static char readbuf[65536];

static void proc_maybe_finish(struct proc_run *r);

static void on_handle_closed(uv_handle_t *h)
{
	struct proc_run *r = h->data;

	r->handles--;
	proc_maybe_finish(r);
}

static void close_pipe(uv_pipe_t *p, bool *open)
{
	if (!*open)
		return;
	*open = false;
	uv_close((uv_handle_t *)p, on_handle_closed);
}

static void close_pipes(struct proc_run *r)
{
	close_pipe(&r->in, &r->in_open);
	close_pipe(&r->out, &r->out_open);
	close_pipe(&r->err, &r->err_open);
}

static bool output_open(const struct proc_run *r)
{
	return r->out_open || r->err_open;
}

/* Let go of the process, which is done with the request (or must be
 * killed: kill). */
static void proc_release(struct proc_run *r, bool kill)
{
	void *ticket = r->ticket;

	if (r->state == PROC_RELEASED)
		return;
	fcgi_stop_cancel(&r->stop);
	fcgi_timer_stop(&r->linger);
	r->state = PROC_RELEASED;
	r->ticket = NULL;
	if (ticket != NULL)
		r->host->release(ticket, kill);
}

/* Give what still holds the pipes after the process is done a grace
 * period (renewed while output flows). */
static void proc_linger(struct proc_run *r)
{
	r->progress = false;
	fcgi_timer_arm(&r->linger, r->grace_ms);
}

/* The process is done with the request. */
static void proc_exited(struct proc_run *r)
{
	if (r->state != PROC_RUNNING)
		return;
	r->state = PROC_EXITED;
	fcgi_stop_cancel(&r->stop);
	if (r->aborted) {
		/* A signal may be on its way: the process goes. */
		proc_release(r, true);
		close_pipes(r);
		proc_maybe_finish(r);
	} else if (!output_open(r)) {
		proc_release(r, false);
		proc_maybe_finish(r);
	} else {
		proc_linger(r);
	}
}

static void on_linger_closed(struct fcgi_timer *t)
{
	struct proc_run *r = t->data;

	r->handles--;
	proc_maybe_finish(r);
}

static void on_stop_closed_run(struct fcgi_stop *s)
{
	struct proc_run *r = s->data;

	r->handles--;
	proc_maybe_finish(r);
}

/* The status the end gives, plus what we say about a crash. */
static uint32_t proc_status(struct proc_run *r)
{
	int32_t v;
	ssize_t n;
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
			fcgi_buf_fini(&resp);
		}
	}
	return 128u + (uint32_t)sig;
}

/* Once the process is let go and its output read to the end, close the
 * rest and report the end.  The run may be freed from within on_done, so
 * nothing touches r after it. */
static void proc_maybe_finish(struct proc_run *r)
{
	uint32_t status;

	if (r->done || r->state != PROC_RELEASED || output_open(r))
		return;
	/* Nobody reads the body any more. */
	close_pipe(&r->in, &r->in_open);
	if (r->linger_open) {
		r->linger_open = false;
		fcgi_timer_close(&r->linger, on_linger_closed);
		return;
	}
	if (fcgi_stop_close(&r->stop, on_stop_closed_run)) {
		r->handles++;
		return;
	}
	if (r->handles > 0)
		return;
	r->done = true;
	status = proc_status(r);
	r->cb->on_done(r->arg, status, FCGI_REQUEST_COMPLETE);
}

/* ---- reading the output ---- */

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	(void)h;
	(void)hint;
	b->base = readbuf;
	b->len = sizeof(readbuf);
}

static void after_eof(struct proc_run *r)
{
	if (r->state == PROC_EXITED && !output_open(r))
		proc_release(r, false);
	proc_maybe_finish(r);
}

static void on_out_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct proc_run *r = s->data;

	if (n > 0) {
		r->progress = true;
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
	struct proc_run *r = s->data;

	if (n > 0) {
		r->progress = true;
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

/* The process is done, and something it left behind still holds the
 * pipes.  Output still flowing, or held back by a slow client, is not a
 * straggler. */
static void on_linger(struct fcgi_timer *t)
{
	struct proc_run *r = t->data;

	if (!r->aborted && (r->paused || r->progress)) {
		proc_linger(r);
		return;
	}
	r->aborted = true;
	proc_release(r, true);
	close_pipes(r);
	proc_maybe_finish(r);
}

/* ---- the run's operations ---- */

struct stdin_write {
	uv_write_t req;
	struct proc_run *run;
	size_t len;
	uint8_t data[];
};

static void on_stdin_written(uv_write_t *w, int status)
{
	struct stdin_write *sw = (struct stdin_write *)w;
	struct proc_run *r = sw->run;

	r->in_pending -= sw->len;
	fcgi_mem_free(r->mem, sw);
	if (status < 0) /* the process stopped reading: drop the rest */
		close_pipe(&r->in, &r->in_open);
	if (r->in_pending != 0)
		return;
	if (r->stdin_eof)
		close_pipe(&r->in, &r->in_open);
	if (!r->done && !r->aborted)
		r->cb->on_stdin_drained(r->arg);
	proc_maybe_finish(r);
}

ssize_t fcgi_proc_write_stdin(struct fcgi_run *run, const uint8_t *data,
			      size_t len)
{
	struct proc_run *r = proc_of(run);
	struct stdin_write *sw;
	uv_buf_t b;
	int n;

	if (!r->in_open || r->stdin_eof || r->aborted || len == 0)
		return (ssize_t)r->in_pending;
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

void fcgi_proc_close_stdin(struct fcgi_run *run)
{
	struct proc_run *r = proc_of(run);

	if (r->stdin_eof)
		return;
	r->stdin_eof = true;
	if (r->in_pending == 0)
		close_pipe(&r->in, &r->in_open);
}

void fcgi_proc_pause(struct fcgi_run *run, bool paused)
{
	struct proc_run *r = proc_of(run);

	if (r->aborted || r->paused == paused)
		return;
	r->paused = paused;
	if (paused) {
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

void fcgi_proc_abort(struct fcgi_run *run)
{
	struct proc_run *r = proc_of(run);

	if (r->aborted || r->done)
		return;
	/* Keep draining output (discarded) so the process cannot block on
	 * a full pipe instead of seeing our signal. */
	fcgi_proc_pause(run, false);
	r->aborted = true;
	close_pipe(&r->in, &r->in_open);
	switch (r->state) {
	case PROC_WAITING:
		/* No process ever saw it. */
		if (r->ticket != NULL && r->host->cancel != NULL)
			r->host->cancel(r->ticket);
		r->ticket = NULL;
		r->state = PROC_RELEASED;
		r->have_status = true;
		r->status = 128 + SIGTERM;
		close_pipes(r);
		break;
	case PROC_RUNNING:
		/* The process leads its own session: its group is the
		 * request's. */
		fcgi_stop_begin(&r->stop, r->pid);
		if (r->ticket != NULL && r->host->condemn != NULL)
			r->host->condemn(r->ticket);
		break;
	case PROC_EXITED:
		proc_release(r, true);
		close_pipes(r);
		break;
	case PROC_RELEASED:
		close_pipes(r);
		break;
	}
	proc_maybe_finish(r);
}

void fcgi_proc_destroy(struct fcgi_run *run)
{
	struct proc_run *r = proc_of(run);

	if (r == NULL)
		return;
	if (r->status_fd >= 0)
		close(r->status_fd);
	fcgi_mem_free(r->mem, r);
}

static const struct fcgi_run_ops child_ops = {
	.name = "child",
	.write_stdin = fcgi_proc_write_stdin,
	.close_stdin = fcgi_proc_close_stdin,
	.pause = fcgi_proc_pause,
	.abort = fcgi_proc_abort,
	.destroy = fcgi_proc_destroy,
};

/* ---- making process runs ---- */

static struct proc_run *proc_alloc(const struct fcgi_run_info *info,
				   const struct fcgi_mem *mem,
				   const struct fcgi_run_ops *ops,
				   const char *what)
{
	struct proc_run *r;

	r = fcgi_mem_malloc(mem, sizeof(*r));
	if (r == NULL)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->run.ops = ops;
	r->mem = mem;
	r->loop = info->loop;
	r->cb = info->cb;
	r->arg = info->arg;
	r->grace_ms = info->kill_grace_ms != 0 ? info->kill_grace_ms : 1000;
	r->status_fd = -1;
	snprintf(r->what, sizeof(r->what), "%s", what);
	fcgi_stop_init(&r->stop, info->loop, r->grace_ms, r);
	if (fcgi_timer_init(info->loop, &r->linger, on_linger, r) != 0) {
		fcgi_mem_free(mem, r);
		return NULL;
	}
	r->linger_open = true;
	r->handles = 1;
	return r;
}

/* Free a run that never got going (its timer still needs closing). */
static void on_early_linger_closed(struct fcgi_timer *t)
{
	struct proc_run *r = t->data;

	fcgi_mem_free(r->mem, r);
}

static void proc_discard(struct proc_run *r)
{
	fcgi_timer_close(&r->linger, on_early_linger_closed);
}

static bool open_pipe(struct proc_run *r, uv_pipe_t *p, int fd)
{
	if (uv_pipe_init(r->loop, p, 0) != 0)
		return false;
	p->data = r;
	r->handles++;
	if (uv_pipe_open(p, fd) != 0) {
		uv_close((uv_handle_t *)p, on_handle_closed);
		return false;
	}
	return true;
}

static void close_fds(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

/* Open our ends (in_fd for writing the body, out_fd and err_fd for
 * reading) and start reading.  false when one could not be opened: the
 * ends that were not opened are closed. */
static bool open_pipes(struct proc_run *r, int in_fd, int out_fd, int err_fd)
{
	r->in_open = open_pipe(r, &r->in, in_fd);
	r->out_open = open_pipe(r, &r->out, out_fd);
	r->err_open = open_pipe(r, &r->err, err_fd);
	if (!r->in_open || !r->out_open || !r->err_open) {
		if (!r->in_open)
			close(in_fd);
		if (!r->out_open)
			close(out_fd);
		if (!r->err_open)
			close(err_fd);
		return false;
	}
	uv_read_start((uv_stream_t *)&r->out, on_alloc, on_out_read);
	uv_read_start((uv_stream_t *)&r->err, on_alloc, on_err_read);
	return true;
}

/* ---- children: the reaper ---- */

/* One SIGCHLD watcher for every running child (of one loop at a time). */
struct reaper {
	uv_signal_t sig;
	uv_loop_t *loop;
	struct proc_list running;
	bool in_cb;
};

static struct reaper *reaper;

static void reaper_closed(uv_handle_t *h)
{
	fcgi_mem_free(NULL, h->data);
}

static void reaper_release(void)
{
	if (reaper == NULL || !TAILQ_EMPTY(&reaper->running) || reaper->in_cb)
		return;
	uv_signal_stop(&reaper->sig);
	uv_close((uv_handle_t *)&reaper->sig, reaper_closed);
	reaper = NULL;
}

/* Has r's child exited?  It is not reaped here (WNOWAIT): its group id
 * stays ours until it is. */
static bool child_exited(const struct proc_run *r)
{
	siginfo_t si;
	int rc;

	memset(&si, 0, sizeof(si));
	do
		rc = waitid(P_PID, (id_t)r->pid, &si,
			    WEXITED | WNOHANG | WNOWAIT);
	while (rc < 0 && errno == EINTR);
	return rc < 0 || si.si_pid == r->pid;
}

static void on_sigchld(uv_signal_t *h, int signum)
{
	struct reaper *rp = h->data;
	struct proc_list exited;
	struct proc_run *r, *next;

	(void)signum;
	rp->in_cb = true;
	/* First find them all (no callback runs here), then tell each:
	 * telling may free runs and start new children. */
	TAILQ_INIT(&exited);
	for (r = TAILQ_FIRST(&rp->running); r != NULL; r = next) {
		next = TAILQ_NEXT(r, reap_link);
		if (child_exited(r)) {
			TAILQ_REMOVE(&rp->running, r, reap_link);
			TAILQ_INSERT_TAIL(&exited, r, reap_link);
		}
	}
	while ((r = TAILQ_FIRST(&exited)) != NULL) {
		TAILQ_REMOVE(&exited, r, reap_link);
		proc_exited(r);
	}
	rp->in_cb = false;
	if (reaper == rp)
		reaper_release();
}

static int reaper_add(struct proc_run *r)
{
	if (reaper != NULL && reaper->loop != r->loop)
		return FCGI_EINVAL;
	if (reaper == NULL) {
		reaper = fcgi_mem_malloc(NULL, sizeof(*reaper));
		if (reaper == NULL)
			return FCGI_ENOMEM;
		memset(reaper, 0, sizeof(*reaper));
		reaper->loop = r->loop;
		TAILQ_INIT(&reaper->running);
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
	TAILQ_INSERT_TAIL(&reaper->running, r, reap_link);
	return 0;
}

static void reaper_remove(struct proc_run *r)
{
	TAILQ_REMOVE(&reaper->running, r, reap_link);
	reaper_release();
}

/* The child host: release reaps (a child that is killed takes what is
 * left of its group along: while its zombie is unreaped, the group id
 * cannot have been reused). */
static void child_release(void *ticket, bool kill_it)
{
	struct proc_run *r = ticket;
	pid_t p;

	if (kill_it)
		kill(-r->pid, SIGKILL);
	do
		p = waitpid(r->pid, &r->wstatus, 0);
	while (p < 0 && errno == EINTR);
	if (p < 0)
		r->wstatus = 0;
}

static const struct fcgi_proc_host child_host = {
	.release = child_release,
};

/* ---- children: spawning ---- */

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

int fcgi_proc_spawn(struct fcgi_run **out, const struct fcgi_run_info *info,
		    const struct fcgi_mem *mem, const char *what,
		    bool status_pipe, void (*child)(void *arg), void *child_arg)
{
	struct proc_run *r;
	int fds[8] = { -1, -1, -1, -1, -1, -1, -1, -1 };
	sigset_t all, old;
	pid_t pid;
	int rc;

	r = proc_alloc(info, mem, &child_ops, what);
	if (r == NULL)
		return FCGI_ENOMEM;
	if (pipe2(fds, O_CLOEXEC) != 0 || pipe2(fds + 2, O_CLOEXEC) != 0 ||
	    pipe2(fds + 4, O_CLOEXEC) != 0 ||
	    (status_pipe && pipe2(fds + 6, O_CLOEXEC | O_NONBLOCK) != 0)) {
		close_fds(fds, 8);
		proc_discard(r);
		return FCGI_ELIMIT;
	}
	rc = reaper_add(r);
	if (rc != 0) {
		close_fds(fds, 8);
		proc_discard(r);
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
		reaper_remove(r);
		close_fds(fds, 8);
		proc_discard(r);
		return FCGI_ELIMIT;
	}
	r->pid = pid;
	r->state = PROC_RUNNING;
	r->host = &child_host;
	r->ticket = r;
	/* The child's ends. */
	close(fds[0]);
	close(fds[3]);
	close(fds[5]);
	if (status_pipe)
		close(fds[7]);
	r->status_fd = status_pipe ? fds[6] : -1;
	/* From here on the run is live: failures end it through the usual
	 * path (abort, reap, close), never by freeing it here. */
	if (!open_pipes(r, fds[1], fds[2], fds[4]))
		fcgi_proc_abort(&r->run);
	*out = &r->run;
	return 0;
}

/* ---- pooled runs: the host's process comes later ---- */

int fcgi_proc_pooled(struct fcgi_run **out, const struct fcgi_run_info *info,
		     const struct fcgi_mem *mem, const char *what,
		     const struct fcgi_run_ops *ops,
		     const struct fcgi_proc_host *host, void *ticket,
		     int child_fds[3])
{
	struct proc_run *r;
	int fds[6] = { -1, -1, -1, -1, -1, -1 };

	child_fds[0] = child_fds[1] = child_fds[2] = -1;
	r = proc_alloc(info, mem, ops, what);
	if (r == NULL)
		return FCGI_ENOMEM;
	r->host = host;
	r->state = PROC_WAITING;
	if (pipe2(fds, O_CLOEXEC) != 0 || pipe2(fds + 2, O_CLOEXEC) != 0 ||
	    pipe2(fds + 4, O_CLOEXEC) != 0) {
		close_fds(fds, 6);
		proc_discard(r);
		return FCGI_ELIMIT;
	}
	if (!open_pipes(r, fds[1], fds[2], fds[4])) {
		/* Nothing can run it: it ends, empty, from the loop (the
		 * close callbacks are the loop's). */
		close(fds[0]);
		close(fds[3]);
		close(fds[5]);
		r->aborted = true;
		r->state = PROC_RELEASED;
		r->have_status = true;
		r->status = 126;
		close_pipes(r);
		proc_maybe_finish(r);
		*out = &r->run;
		return 0;
	}
	r->ticket = ticket;
	child_fds[0] = fds[0];
	child_fds[1] = fds[3];
	child_fds[2] = fds[5];
	*out = &r->run;
	return 0;
}

void fcgi_proc_attach(struct fcgi_run *run, pid_t pid)
{
	struct proc_run *r = proc_of(run);

	if (r->state != PROC_WAITING)
		return;
	r->pid = pid;
	r->state = PROC_RUNNING;
}

void fcgi_proc_reported(struct fcgi_run *run, int32_t status)
{
	struct proc_run *r = proc_of(run);

	if (r->state != PROC_RUNNING)
		return;
	r->have_status = true;
	r->status = status;
	proc_exited(r);
}

void fcgi_proc_died(struct fcgi_run *run, int wstatus)
{
	struct proc_run *r = proc_of(run);

	if (r->state == PROC_RELEASED)
		return;
	if (!r->have_status)
		r->wstatus = wstatus;
	/* The host is done with it: nothing to hand back. */
	r->ticket = NULL;
	proc_release(r, false);
	if (r->aborted || !output_open(r)) {
		close_pipes(r);
		proc_maybe_finish(r);
		return;
	}
	proc_linger(r);
}

void fcgi_proc_lost(struct fcgi_run *run, const char *why)
{
	struct proc_run *r = proc_of(run);
	struct fcgi_buf resp;

	if (r->state != PROC_WAITING)
		return;
	r->ticket = NULL;
	r->state = PROC_RELEASED;
	r->have_status = true;
	r->status = 126; /* the shell's "cannot execute" */
	if (!r->aborted) {
		r->cb->on_stderr(r->arg, (const uint8_t *)why, strlen(why));
		if (r->out_bytes == 0) {
			fcgi_buf_init(&resp, r->mem, 0);
			if (fcgi_cgi_error_response(
				    &resp, 503,
				    "no worker could be started\n") == 0)
				r->cb->on_stdout(r->arg, resp.data, resp.len);
			fcgi_buf_fini(&resp);
		}
	}
	r->aborted = true;
	close_pipes(r);
	proc_maybe_finish(r);
}
