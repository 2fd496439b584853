/* SPDX-License-Identifier: MIT */
/*
 * run_pool.c - pre-forked workers for the function runner (serve --fn,
 * --isolate pool), after php-fpm's static pool: a crash or a hang still
 * costs only its own request, but a request no longer costs a fork.
 *
 * Each worker is forked from the server once the libraries are loaded,
 * leads a session of its own and talks to the server over a
 * SOCK_SEQPACKET socketpair.  Per request the server makes the pipes as
 * for a forked child (runner.c) and sends an idle worker one message:
 * the function to call (the worker is a fork of this process image, so
 * the pointer is valid there), the params in the library's nv encoding
 * (inline, or in a memfd when large), and the worker's ends of the pipes
 * as SCM_RIGHTS.  The worker makes them its 0, 1 and 2, calls the
 * function, closes them and answers with the 4-byte return value.
 * Requests that find no idle worker wait in a queue, which the server's
 * max_reqs bounds.  A worker that dies fails only the request it held
 * and is replaced; a timed-out or aborted request has its worker's
 * process group killed, and the worker replaced.
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/queue.h>
#include <sys/socket.h>
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

#define POOL_MAGIC 0x46435752u /* "FCWR" */
#define POOL_INLINE_MAX 32768  /* params beyond this go in a memfd */
#define POOL_HDR_LEN (16 + sizeof(fcgi_responder_fn))
#define POOL_CTL_FD 3
#define POOL_NULL_FD 4

struct worker;

struct job {
	struct fcgi_pool *pool;
	struct fcgi_run *run;
	struct worker *w; /* NULL while queued */
	fcgi_responder_fn fn;
	struct fcgi_buf params;
	int fds[3]; /* the worker's pipe ends, until sent */
	bool queued;
	TAILQ_ENTRY(job) link; /* the queue */
};

struct worker {
	struct fcgi_pool *pool;
	pid_t pid;
	int fd; /* our end of the control socket */
	uv_poll_t poll;
	struct job *job; /* NULL: idle (unless dying) */
	bool dying;	 /* killed or gone: never reused */
	TAILQ_ENTRY(worker) link;
};

TAILQ_HEAD(job_list, job);
TAILQ_HEAD(worker_list, worker);

struct fcgi_pool {
	uv_loop_t *loop;
	const struct fcgi_mem *mem;
	unsigned want; /* workers to keep */
	unsigned live; /* workers not dying */
	struct worker_list workers;
	struct job_list queue;
	uv_signal_t sig;
	unsigned handles; /* open uv handles */
	bool closing;
	char why[256]; /* why the last fork failed */
};

static void job_cancel(void *ticket);
static void on_sig_closed(uv_handle_t *h);
static void job_release(void *ticket, bool kill_worker);
static void job_condemn(void *ticket);

static const struct fcgi_proc_host pool_host = {
	.release = job_release,
	.cancel = job_cancel,
	.condemn = job_condemn,
};

/* A pooled run is a process run whose process is a worker. */
static const struct fcgi_run_ops pool_run_ops = {
	.name = "pool",
	.write_stdin = fcgi_proc_write_stdin,
	.close_stdin = fcgi_proc_close_stdin,
	.pause = fcgi_proc_pause,
	.abort = fcgi_proc_abort,
	.destroy = fcgi_proc_destroy,
};

/* ---- in the worker ---- */

/* Read exactly len bytes of fd from offset 0; 0 or -1. */
static int read_all(int fd, uint8_t *p, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = pread(fd, p + got, len - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

/* Take one request from the control socket, run it, report.  Returns
 * only to take the next one; exits when the server goes away. */
static void worker_one(uint8_t *buf, size_t buflen)
{
	union {
		char b[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct msghdr msg;
	struct iovec iov;
	struct cmsghdr *cm;
	int fds[4] = { -1, -1, -1, -1 };
	size_t nfds = 0, plen;
	uint32_t magic, len32, flags;
	fcgi_responder_fn fn;
	struct fcgi_params params;
	uint8_t *pbytes, *big = NULL;
	FILE *in, *out, *err;
	int32_t v;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = buf;
	iov.iov_len = buflen;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.b;
	msg.msg_controllen = sizeof(ctl.b);
	do
		n = recvmsg(POOL_CTL_FD, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		_exit(0); /* the server is gone */
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0;
		     (size_t)CMSG_LEN((i + 1) * sizeof(int)) <= cm->cmsg_len &&
		     nfds < 4;
		     i++)
			memcpy(&fds[nfds++], CMSG_DATA(cm) + i * sizeof(int),
			       sizeof(int));
	}
	if ((msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) != 0 ||
	    (size_t)n < POOL_HDR_LEN || nfds < 3)
		_exit(2);
	memcpy(&magic, buf, 4);
	memcpy(&len32, buf + 4, 4);
	memcpy(&flags, buf + 8, 4);
	memcpy(&fn, buf + 16, sizeof(fn));
	plen = len32;
	if (magic != POOL_MAGIC || fn == NULL)
		_exit(2);
	if (flags & 1) {
		big = malloc(plen + 1);
		if (nfds < 4 || big == NULL || read_all(fds[3], big, plen) != 0)
			_exit(2);
		close(fds[3]);
		pbytes = big;
	} else {
		if ((size_t)n - POOL_HDR_LEN != plen)
			_exit(2);
		pbytes = buf + POOL_HDR_LEN;
	}
	fcgi_params_init(&params, NULL);
	if (fcgi_nv_decode_all(pbytes, plen, &params, 0, 0) != 0)
		_exit(2);
	if (dup2(fds[0], 0) < 0 || dup2(fds[1], 1) < 0 || dup2(fds[2], 2) < 0)
		_exit(127);
	close(fds[0]);
	close(fds[1]);
	close(fds[2]);
	in = fdopen(0, "r");
	out = fdopen(1, "w");
	err = fdopen(2, "w");
	if (in == NULL || out == NULL || err == NULL)
		_exit(127);
	setvbuf(err, NULL, _IOLBF, 0);
	v = (int32_t)fn(&params, in, out, err);
	/* Everything written, printf() to stdout included, then EOF. */
	fflush(NULL);
	fclose(in);
	fclose(out);
	fclose(err);
	if (dup2(POOL_NULL_FD, 0) < 0 || dup2(POOL_NULL_FD, 1) < 0 ||
	    dup2(POOL_NULL_FD, 2) < 0)
		_exit(127);
	__fpurge(stdin);
	__fpurge(stdout);
	__fpurge(stderr);
	clearerr(stdin);
	clearerr(stdout);
	clearerr(stderr);
	fcgi_params_fini(&params);
	free(big);
	if (send(POOL_CTL_FD, &v, sizeof(v), MSG_NOSIGNAL) !=
	    (ssize_t)sizeof(v))
		_exit(1);
}

/* Move fd above 9; -1 on failure. */
static int lift(int fd)
{
	return fcntl(fd, F_DUPFD_CLOEXEC, 10);
}

static void worker_main(int ctl, pid_t parent)
{
	struct sigaction sa;
	sigset_t none;
	uint8_t *buf;
	size_t buflen = POOL_HDR_LEN + POOL_INLINE_MAX;
	int null, sig;

	setsid();
	/* A server that dies without a word takes its idle workers along
	 * (EOF on the socket) and its busy ones too. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
		_exit(0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	ctl = lift(ctl);
	null = null >= 0 ? lift(null) : -1;
	if (ctl < 0 || null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
	    dup2(null, 2) < 0 || dup2(ctl, POOL_CTL_FD) < 0 ||
	    dup2(null, POOL_NULL_FD) < 0)
		_exit(127);
	/* Not for a program a function may exec. */
	fcntl(POOL_CTL_FD, F_SETFD, FD_CLOEXEC);
	fcntl(POOL_NULL_FD, F_SETFD, FD_CLOEXEC);
	/* Whatever the parent had buffered is the parent's to write. */
	__fpurge(stdout);
	__fpurge(stderr);
	__fpurge(stdin);
	if (close_range(POOL_NULL_FD + 1, ~0u, 0) != 0) {
		for (sig = POOL_NULL_FD + 1; sig < 65536; sig++)
			close(sig);
	}
	buf = malloc(buflen);
	if (buf == NULL)
		_exit(127);
	for (;;)
		worker_one(buf, buflen);
}

/* ---- in the server: workers ---- */

static void pool_maybe_free(struct fcgi_pool *p)
{
	if (p->closing && p->handles == 0)
		fcgi_mem_free(p->mem, p);
}

static void on_worker_closed(uv_handle_t *h)
{
	struct worker *w = h->data;
	struct fcgi_pool *p = w->pool;

	close(w->fd);
	fcgi_mem_free(p->mem, w);
	p->handles--;
	pool_maybe_free(p);
}

/* Never give w another request. */
static void worker_condemn(struct worker *w)
{
	if (w->dying)
		return;
	w->dying = true;
	w->pool->live--;
	uv_poll_stop(&w->poll);
}

/* Kill w and its session; it is reaped (and replaced) on SIGCHLD. */
static void worker_kill(struct worker *w)
{
	worker_condemn(w);
	fcgi_signal_group(w->pid, SIGKILL);
}

static void on_ctl(uv_poll_t *h, int status, int events);

/* Fork one worker.  0, FCGI_ENOMEM, FCGI_ELIMIT (reason in p->why). */
static int worker_spawn(struct fcgi_pool *p)
{
	struct worker *w;
	sigset_t all, old;
	int sv[2], st;
	pid_t pid, self = getpid();

	w = fcgi_mem_malloc(p->mem, sizeof(*w));
	if (w == NULL)
		return FCGI_ENOMEM;
	memset(w, 0, sizeof(*w));
	w->pool = p;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		snprintf(p->why, sizeof(p->why), "socketpair: %s",
			 strerror(errno));
		fcgi_mem_free(p->mem, w);
		return FCGI_ELIMIT;
	}
	/* No signal handler may run in the child before it resets them. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		worker_main(sv[1], self);
		_exit(127);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(sv[1]);
	if (pid < 0) {
		snprintf(p->why, sizeof(p->why), "fork: %s", strerror(errno));
		close(sv[0]);
		fcgi_mem_free(p->mem, w);
		return FCGI_ELIMIT;
	}
	w->pid = pid;
	w->fd = sv[0];
	if (uv_poll_init(p->loop, &w->poll, sv[0]) != 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		close(sv[0]);
		fcgi_mem_free(p->mem, w);
		return FCGI_ENOMEM;
	}
	w->poll.data = w;
	p->handles++;
	uv_poll_start(&w->poll, UV_READABLE | UV_DISCONNECT, on_ctl);
	/* The pool alone must not keep the loop (and the server) alive. */
	uv_unref((uv_handle_t *)&w->poll);
	TAILQ_INSERT_HEAD(&p->workers, w, link);
	p->live++;
	return 0;
}

static void job_free(struct job *j)
{
	for (int i = 0; i < 3; i++)
		if (j->fds[i] >= 0)
			close(j->fds[i]);
	fcgi_buf_fini(&j->params);
	fcgi_mem_free(j->pool->mem, j);
}

static void job_unqueue(struct job *j)
{
	if (!j->queued)
		return;
	TAILQ_REMOVE(&j->pool->queue, j, link);
	j->queued = false;
}

/* Hand j to idle worker w.  0, or -1 when w cannot take it (w is then
 * killed and j stays the caller's). */
static int job_send(struct worker *w, struct job *j)
{
	union {
		char b[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	uint8_t hdr[POOL_HDR_LEN];
	struct msghdr msg;
	struct iovec iov[2];
	struct cmsghdr *cm;
	uint32_t magic = POOL_MAGIC, len32, flags = 0;
	int fds[4], nfds = 3, mfd = -1;
	size_t off = 0;
	ssize_t n;

	if (j->params.len > UINT32_MAX) {
		worker_kill(w);
		return -1;
	}
	len32 = (uint32_t)j->params.len;
	if (j->params.len > POOL_INLINE_MAX) {
		mfd = memfd_create("fcgitool-params", MFD_CLOEXEC);
		while (mfd >= 0 && off < j->params.len) {
			n = write(mfd, j->params.data + off,
				  j->params.len - off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				close(mfd);
				mfd = -1;
				break;
			}
			off += (size_t)n;
		}
		if (mfd < 0) {
			worker_kill(w);
			return -1;
		}
		flags = 1;
	}
	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr, &magic, 4);
	memcpy(hdr + 4, &len32, 4);
	memcpy(hdr + 8, &flags, 4);
	memcpy(hdr + 16, &j->fn, sizeof(j->fn));
	memcpy(fds, j->fds, sizeof(j->fds));
	if (mfd >= 0)
		fds[nfds++] = mfd;
	memset(&msg, 0, sizeof(msg));
	memset(&ctl, 0, sizeof(ctl));
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = j->params.data;
	iov[1].iov_len = flags ? 0 : j->params.len;
	msg.msg_iov = iov;
	msg.msg_iovlen = 2;
	msg.msg_control = ctl.b;
	msg.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, (size_t)nfds * sizeof(int));
	do
		n = sendmsg(w->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (mfd >= 0)
		close(mfd);
	if (n != (ssize_t)(sizeof(hdr) + iov[1].iov_len)) {
		worker_kill(w);
		return -1;
	}
	for (int i = 0; i < 3; i++) {
		close(j->fds[i]);
		j->fds[i] = -1;
	}
	fcgi_buf_fini(&j->params);
	j->w = w;
	w->job = j;
	fcgi_proc_attach(j->run, w->pid);
	return 0;
}

static struct worker *idle_worker(struct fcgi_pool *p)
{
	struct worker *w;

	TAILQ_FOREACH(w, &p->workers, link)
	if (!w->dying && w->job == NULL)
		return w;
	return NULL;
}

/* Start queued jobs on idle workers. */
static void pool_dispatch(struct fcgi_pool *p)
{
	struct worker *w;
	struct job *j;

	while ((j = TAILQ_FIRST(&p->queue)) != NULL &&
	       (w = idle_worker(p)) != NULL) {
		/* On failure j stays first in line; w is dying. */
		if (job_send(w, j) == 0)
			job_unqueue(j);
	}
}

/* Fork workers until there are p->want of them.  0, or the last error
 * when not one could be had. */
static int pool_fill(struct fcgi_pool *p)
{
	int rc = 0;

	while (!p->closing && p->live < p->want) {
		rc = worker_spawn(p);
		if (rc != 0)
			break;
	}
	return p->live > 0 ? 0 : rc;
}

/* After a worker went: replace it, then run what waits, or fail it
 * when no worker can be had at all. */
static void pool_refill(struct fcgi_pool *p)
{
	char line[320];
	struct job *j;

	if (p->closing)
		return;
	if (pool_fill(p) == 0) {
		pool_dispatch(p);
		return;
	}
	snprintf(line, sizeof(line), "fcgitool: cannot start a worker: %s\n",
		 p->why);
	while ((j = TAILQ_FIRST(&p->queue)) != NULL) {
		job_unqueue(j);
		fcgi_proc_lost(j->run, line);
		job_free(j);
	}
}

/* Control socket readable: return values, or the worker's end. */
static void on_ctl(uv_poll_t *h, int status, int events)
{
	struct worker *w = h->data;
	struct fcgi_pool *p = w->pool;
	int32_t v;
	ssize_t n;

	(void)events;
	for (;;) {
		if (w->dying)
			return;
		n = recv(w->fd, &v, sizeof(v), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    status == 0)
			return;
		if (n != (ssize_t)sizeof(v) || w->job == NULL) {
			/* Gone, or talking nonsense: SIGCHLD tells the
			 * rest. */
			worker_kill(w);
			return;
		}
		/* The run gives the worker back (job_release) now or when
		 * its pipes are done. */
		fcgi_proc_reported(w->job->run, v);
		if (p->closing)
			return;
	}
}

/* The first worker of p that has exited, reaped; NULL when none has.
 * While its zombie was unreaped its group id could not be reused, so
 * the SIGKILL reaches only what the worker left behind. */
static struct worker *reap_one(struct fcgi_pool *p, int *ws)
{
	struct worker *w;
	siginfo_t si;
	int rc;

	TAILQ_FOREACH(w, &p->workers, link)
	{
		memset(&si, 0, sizeof(si));
		do
			rc = waitid(P_PID, (id_t)w->pid, &si,
				    WEXITED | WNOHANG | WNOWAIT);
		while (rc < 0 && errno == EINTR);
		if (rc == 0 && si.si_pid != w->pid)
			continue;
		kill(-w->pid, SIGKILL);
		*ws = SIGKILL;
		while (waitpid(w->pid, ws, 0) < 0 && errno == EINTR)
			;
		TAILQ_REMOVE(&p->workers, w, link);
		return w;
	}
	return NULL;
}

/* SIGCHLD: reap the workers that died, tell their runs, replace them. */
static void on_sigchld(uv_signal_t *h, int signum)
{
	struct fcgi_pool *p = h->data;
	struct worker *w;
	struct fcgi_run *run;
	bool any = false;
	int ws;

	(void)signum;
	while ((w = reap_one(p, &ws)) != NULL) {
		worker_condemn(w);
		run = w->job != NULL ? w->job->run : NULL;
		if (w->job != NULL)
			job_free(w->job);
		w->job = NULL;
		uv_close((uv_handle_t *)&w->poll, on_worker_closed);
		any = true;
		if (run != NULL)
			fcgi_proc_died(run, ws);
	}
	if (any)
		pool_refill(p);
}

/* ---- the run's host ---- */

static void job_cancel(void *ticket)
{
	struct job *j = ticket;

	job_unqueue(j);
	job_free(j);
}

static void job_release(void *ticket, bool kill_worker)
{
	struct job *j = ticket;
	struct fcgi_pool *p = j->pool;
	struct worker *w = j->w;

	if (w != NULL) {
		w->job = NULL;
		if (kill_worker)
			worker_kill(w);
	}
	job_unqueue(j);
	job_free(j);
	if (!p->closing)
		pool_dispatch(p);
}

static void job_condemn(void *ticket)
{
	struct job *j = ticket;
	struct fcgi_pool *p = j->pool;

	if (j->w == NULL || j->w->dying)
		return;
	worker_condemn(j->w);
	/* Queued requests need not wait out its grace period.  (Failing
	 * them, if no worker can be had, is left to SIGCHLD: this runs
	 * inside another request's abort.) */
	if (!p->closing && pool_fill(p) == 0)
		pool_dispatch(p);
}

/* ---- the pool ---- */

int fcgi_pool_new(struct fcgi_pool **out, uv_loop_t *loop,
		  const struct fcgi_mem *mem, unsigned workers)
{
	struct fcgi_pool *p;

	p = fcgi_mem_malloc(mem, sizeof(*p));
	if (p == NULL)
		return FCGI_ENOMEM;
	memset(p, 0, sizeof(*p));
	p->loop = loop;
	p->mem = mem;
	p->want = workers > 0 ? workers : 1;
	TAILQ_INIT(&p->workers);
	TAILQ_INIT(&p->queue);
	if (uv_signal_init(loop, &p->sig) != 0) {
		fcgi_mem_free(mem, p);
		return FCGI_ENOMEM;
	}
	p->sig.data = p;
	p->handles = 1;
	if (uv_signal_start(&p->sig, on_sigchld, SIGCHLD) != 0) {
		/* Freed by the close callback, on the loop's next turn. */
		p->closing = true;
		uv_close((uv_handle_t *)&p->sig, on_sig_closed);
		return FCGI_ENOMEM;
	}
	uv_unref((uv_handle_t *)&p->sig);
	*out = p;
	return 0;
}

uv_loop_t *fcgi_pool_loop(const struct fcgi_pool *p)
{
	return p->loop;
}

int fcgi_pool_submit(struct fcgi_pool *p, const struct fcgi_run_info *info,
		     const char *what, fcgi_responder_fn fn,
		     struct fcgi_run **out)
{
	struct job *j;
	struct fcgi_run *r;
	int rc;

	if (p->closing)
		return FCGI_EINVAL;
	rc = pool_fill(p);
	if (rc != 0)
		return rc;
	j = fcgi_mem_malloc(p->mem, sizeof(*j));
	if (j == NULL)
		return FCGI_ENOMEM;
	memset(j, 0, sizeof(*j));
	j->pool = p;
	j->fn = fn;
	fcgi_buf_init(&j->params, p->mem, 0);
	j->fds[0] = j->fds[1] = j->fds[2] = -1;
	if (fcgi_params_encode(info->params, &j->params) != 0) {
		job_free(j);
		return FCGI_ENOMEM;
	}
	rc = fcgi_proc_pooled(&r, info, p->mem, what, &pool_run_ops, &pool_host,
			      j, j->fds);
	if (rc != 0) {
		job_free(j);
		return rc;
	}
	*out = r;
	if (j->fds[0] < 0) {
		/* The run ends by itself, without a worker. */
		job_free(j);
		return 0;
	}
	j->run = r;
	j->queued = true;
	TAILQ_INSERT_TAIL(&p->queue, j, link);
	pool_dispatch(p);
	return 0;
}

static void on_sig_closed(uv_handle_t *h)
{
	struct fcgi_pool *p = h->data;

	p->handles--;
	pool_maybe_free(p);
}

void fcgi_pool_free(struct fcgi_pool *p)
{
	struct worker *w;
	struct job *j;
	bool had_sig;
	int ws;

	if (p == NULL)
		return;
	had_sig = !p->closing;
	p->closing = true;
	while ((j = TAILQ_FIRST(&p->queue)) != NULL) {
		job_unqueue(j);
		job_free(j);
	}
	while ((w = TAILQ_FIRST(&p->workers)) != NULL) {
		TAILQ_REMOVE(&p->workers, w, link);
		if (w->job != NULL)
			job_free(w->job);
		w->job = NULL;
		fcgi_signal_group(w->pid, SIGKILL);
		while (waitpid(w->pid, &ws, 0) < 0 && errno == EINTR)
			;
		uv_close((uv_handle_t *)&w->poll, on_worker_closed);
	}
	if (had_sig) {
		uv_signal_stop(&p->sig);
		uv_close((uv_handle_t *)&p->sig, on_sig_closed);
	} else {
		pool_maybe_free(p);
	}
}
