/* SPDX-License-Identifier: MIT */
/*
 * prefork.c - pre-forked workers that own their connections, after
 * php-fpm and libfcgi (serve --isolate worker), and the supervisor that
 * watches them.
 *
 * Each worker is a fork of the caller that accepts on the listening
 * sockets it inherited, runs a server on a loop of its own and calls the
 * responder functions in its own process (run_inline.c): a request costs
 * no process hop, no pipe and no descriptor passing, only the reads and
 * writes of its connection.  The price is that while a function runs,
 * its worker does nothing else; and a worker that must go takes its
 * connections with it.
 *
 * The supervisor (the caller's process) uses no loop.  Each worker has a
 * slot in memory shared with it (struct fcgi_watch): while a function
 * runs, the slot says which connection (the worker's descriptor), which
 * request, by when it must be done, and whether the connection's stream
 * is at a record boundary.  The supervisor answers the two cases the
 * worker cannot answer itself:
 *  - a function past its deadline: the worker is stopped (SIGSTOP, which
 *    a function cannot block), the connection taken over with
 *    pidfd_getfd(2), the worker and its process group killed, and the
 *    timeout answer (fcgi_timeout_answer(), DESIGN rule 3) written;
 *  - a function that crashes: the worker's handler of the fatal signals
 *    marks the slot and stops the worker, and the supervisor answers as
 *    the process runs do ("Status: 500", a STDERR line, appStatus 128 +
 *    the signal), likewise a function that calls exit() (appStatus: its
 *    status).
 * Then the connection is closed (the worker that knew its state is gone)
 * and a new worker forked.  What the worker's other connections had in
 * flight is lost: their peers see the connection end.
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runner.h"

#define WATCH_MS_DEFAULT 50
#define STOP_WAIT_MS 1000      /* for a SIGSTOP to take */
#define ANSWER_WAIT_MS 1000    /* for the answer to be written */
#define RESPAWN_BURST 16       /* deaths within a second before slowing */
#define ALT_STACK (256 * 1024) /* the fatal-signal handler's stack */
#define STOP_SLACK_MS 2000     /* past the workers' own stop, SIGKILL */

/* One worker's slot, shared with it.  The worker writes the request's
 * fields, then makes seq odd; at the end it makes seq even again. */
struct fcgi_watch {
	uint32_t seq;
	int32_t conn_fd;
	uint32_t request_id;
	uint32_t timeout_status;
	int32_t crash_sig; /* set by the fatal-signal handler */
	int32_t exit_status;
	uint8_t wire_clean;
	uint8_t exited; /* the function called exit() */
	uint8_t pad[2];
	uint64_t deadline_ms; /* CLOCK_MONOTONIC; 0: none */
	char what[96];
	char label[32];
	uint64_t *conn_seq; /* shared by all workers */
};

struct shared {
	uint64_t conn_seq;
	struct fcgi_watch slot[];
};

struct wk {
	pid_t pid; /* 0: none */
	int pidfd;
	uint64_t started_ms;
};

struct sup {
	const struct fcgi_prefork_opts *o;
	struct shared *sh;
	size_t shlen;
	struct wk *w;
	unsigned n;
	int sfd; /* the signalfd */
	bool stopping;
	unsigned signals; /* SIGTERM and SIGINT received */
	uint64_t kill_at; /* when stopping: workers left are killed */
	unsigned deaths;  /* in the current second */
	uint64_t deaths_at;
	bool pidfd_warned;
};

/* ---- in the worker ---- */

static struct fcgi_watch *my_slot;
static void *alt_stack; /* the fatal-signal handler's stack */

void fcgi_copy_text(char *dst, size_t n, const char *src)
{
	size_t len = src != NULL ? strnlen(src, n - 1) : 0;

	memcpy(dst, src != NULL ? src : "", len);
	dst[len] = '\0';
}

uint64_t fcgi_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void fcgi_watch_begin(struct fcgi_watch *w, const struct fcgi_watch_req *q)
{
	uint32_t s;

	if (w == NULL)
		return;
	s = __atomic_load_n(&w->seq, __ATOMIC_RELAXED);
	w->conn_fd = q->conn_fd;
	w->request_id = q->request_id;
	w->timeout_status = q->timeout_status;
	w->wire_clean = q->wire_clean;
	w->deadline_ms = q->deadline_ms;
	w->crash_sig = 0;
	w->exited = 0;
	fcgi_copy_text(w->what, sizeof(w->what), q->what);
	fcgi_copy_text(w->label, sizeof(w->label), q->label);
	__atomic_store_n(&w->seq, (s | 1u) == s ? s + 2 : s + 1,
			 __ATOMIC_RELEASE);
}

void fcgi_watch_end(struct fcgi_watch *w)
{
	uint32_t s;

	if (w == NULL)
		return;
	s = __atomic_load_n(&w->seq, __ATOMIC_RELAXED);
	if (s & 1u)
		__atomic_store_n(&w->seq, s + 1, __ATOMIC_RELEASE);
}

uint64_t fcgi_watch_next_conn(struct fcgi_watch *w)
{
	return __atomic_add_fetch(w->conn_seq, 1, __ATOMIC_RELAXED);
}

static bool slot_busy(const struct fcgi_watch *w)
{
	return (__atomic_load_n(&w->seq, __ATOMIC_ACQUIRE) & 1u) != 0;
}

/* A fatal signal: inside a function, stop and let the supervisor answer
 * its request; anywhere else, die of it as usual. */
static void on_fatal(int sig)
{
	struct fcgi_watch *w = my_slot;
	int saved = errno;

	if (w != NULL && slot_busy(w) && w->crash_sig == 0) {
		w->crash_sig = sig;
		kill(getpid(), SIGSTOP);
	}
	signal(sig, SIG_DFL);
	errno = saved;
	raise(sig);
}

/* exit() inside a function: likewise, with its status. */
static void on_exit_called(int status, void *arg)
{
	struct fcgi_watch *w = my_slot;

	(void)arg;
	if (w != NULL && slot_busy(w) && w->crash_sig == 0) {
		w->exit_status = status;
		w->exited = 1;
		kill(getpid(), SIGSTOP);
	}
}

static void worker_setup(struct fcgi_watch *w)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL,
				     SIGABRT, SIGSYS, SIGTRAP };
	struct sigaction sa;
	stack_t ss;
	sigset_t none;

	my_slot = w;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* A stack of its own, for a function that overflows its stack. */
	ss.ss_size = ALT_STACK;
	ss.ss_sp = alt_stack = malloc(ss.ss_size);
	ss.ss_flags = 0;
	if (ss.ss_sp != NULL)
		sigaltstack(&ss, NULL);
	sa.sa_handler = on_fatal;
	sa.sa_flags = SA_ONSTACK | SA_NODEFER;
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		sigaction(fatal[i], &sa, NULL);
	on_exit(on_exit_called, NULL);
	/* A session of its own, so that a terminal's signals reach only the
	 * supervisor, which passes them on.  Without the supervisor nobody
	 * answers for a function that crashes or hangs, and a worker inside
	 * one would not hear SIGTERM (libuv takes it to the blocked loop):
	 * the supervisor's death kills it. */
	setsid();
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

/* The worker is done: no function runs any more. */
static void worker_teardown(void)
{
	stack_t ss;

	my_slot = NULL;
	memset(&ss, 0, sizeof(ss));
	ss.ss_flags = SS_DISABLE;
	if (alt_stack != NULL && sigaltstack(&ss, NULL) == 0) {
		free(alt_stack);
		alt_stack = NULL;
	}
}

/* ---- in the supervisor ---- */

static void sup_log(struct sup *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sup_log(struct sup *s, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (s->o->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->o->log(s->o->log_arg, msg);
}

static int pidfd_of(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int grab_fd(int pidfd, int fd)
{
	return (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
}

/* Fork worker i.  0, or -1 (errno). */
static int spawn(struct sup *s, unsigned i)
{
	struct fcgi_watch *slot = &s->sh->slot[i];
	pid_t pid, parent = getpid();
	int rc;

	memset(slot, 0, sizeof(*slot));
	slot->conn_seq = &s->sh->conn_seq;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* The supervisor's descriptors are not the worker's. */
		if (s->sfd >= 0)
			close(s->sfd);
		for (unsigned k = 0; k < s->n; k++)
			if (s->w[k].pidfd >= 0)
				close(s->w[k].pidfd);
		worker_setup(slot);
		if (getppid() != parent)
			_exit(0);
		rc = s->o->worker(s->o->arg, slot);
		worker_teardown();
		exit(rc);
	}
	s->w[i].pid = pid;
	s->w[i].pidfd = pidfd_of(pid);
	s->w[i].started_ms = fcgi_mono_ms();
	if (s->w[i].pidfd < 0 && !s->pidfd_warned) {
		s->pidfd_warned = true;
		sup_log(s,
			"pidfd_open: %s: functions past their deadline "
			"lose their connection unanswered",
			strerror(errno));
	}
	return 0;
}

static void forget(struct sup *s, unsigned i)
{
	if (s->w[i].pidfd >= 0)
		close(s->w[i].pidfd);
	s->w[i].pidfd = -1;
	s->w[i].pid = 0;
}

/* Write all of p to the non-blocking socket fd, waiting at most
 * ANSWER_WAIT_MS in all.  0 or -1. */
static int write_all(int fd, const uint8_t *p, size_t n)
{
	uint64_t until = fcgi_mono_ms() + ANSWER_WAIT_MS, now;
	struct pollfd pf = { .fd = fd, .events = POLLOUT };
	ssize_t w;

	while (n > 0) {
		w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		now = fcgi_mono_ms();
		if (now >= until || poll(&pf, 1, (int)(until - now)) <= 0)
			return -1;
	}
	return 0;
}

/* The answer for the request in slot w (a copy) that its worker can no
 * longer give. */
static int make_answer(struct fcgi_buf *b, const struct fcgi_watch *w,
		       bool timeout)
{
	struct fcgi_timeout_answer ta;
	struct fcgi_end_body e;
	struct fcgi_buf resp;
	uint8_t end[8];
	char line[256];
	int n, rc;

	if (timeout) {
		memset(&ta, 0, sizeof(ta));
		ta.request_id = (uint16_t)w->request_id;
		ta.status = w->timeout_status != 0 ? w->timeout_status : 408;
		return fcgi_timeout_answer(b, &ta);
	}
	/* As the process runs answer a crash (runner.c). */
	if (w->exited)
		n = snprintf(line, sizeof(line),
			     "fcgitool: %s called exit(%d) in a worker\n",
			     w->what, w->exit_status);
	else
		n = snprintf(line, sizeof(line),
			     "fcgitool: %s killed by signal %d (%s)\n", w->what,
			     w->crash_sig, strsignal(w->crash_sig));
	if (n < 0 || (size_t)n >= sizeof(line))
		return FCGI_EINVAL;
	rc = fcgi_record_encode(b, FCGI_STDERR, (uint16_t)w->request_id, line,
				(size_t)n);
	fcgi_buf_init(&resp, NULL, 0);
	if (rc == 0)
		rc = fcgi_cgi_error_response(
			&resp, 500,
			w->exited ? "the responder exited\n"
				  : "the responder crashed\n");
	if (rc == 0)
		rc = fcgi_record_encode(b, FCGI_STDOUT, (uint16_t)w->request_id,
					resp.data, resp.len);
	fcgi_buf_fini(&resp);
	if (rc == 0)
		rc = fcgi_record_encode(b, FCGI_STDOUT, (uint16_t)w->request_id,
					NULL, 0);
	if (rc == 0)
		rc = fcgi_record_encode(b, FCGI_STDERR, (uint16_t)w->request_id,
					NULL, 0);
	e.app_status = w->exited ? (uint32_t)w->exit_status
				 : 128u + (uint32_t)w->crash_sig;
	e.protocol_status = FCGI_REQUEST_COMPLETE;
	fcgi_end_body_encode(end, &e);
	if (rc == 0)
		rc = fcgi_record_encode(b, FCGI_END_REQUEST,
					(uint16_t)w->request_id, end,
					sizeof(end));
	return rc;
}

/* Answer on the connection taken over, then end it: FIN, and what the
 * peer still sends is dropped so that the close resets nothing. */
static void answer(int fd, const struct fcgi_buf *b)
{
	uint8_t junk[4096];

	if (write_all(fd, b->data, b->len) == 0) {
		shutdown(fd, SHUT_WR);
		while (recv(fd, junk, sizeof(junk), MSG_DONTWAIT) > 0)
			;
	}
	close(fd);
}

/* Wait until worker pid is stopped; true, or false when it is gone or
 * did not stop in time. */
static bool wait_stopped(pid_t pid)
{
	uint64_t until = fcgi_mono_ms() + STOP_WAIT_MS;
	siginfo_t si;

	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)pid, &si,
			   WSTOPPED | WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    si.si_pid == pid)
			return si.si_code == CLD_STOPPED ||
			       si.si_code == CLD_TRAPPED;
		if (fcgi_mono_ms() >= until)
			return false;
		poll(NULL, 0, 1);
	}
}

/* Worker i is stopped (or about to be) inside a function that will not
 * answer: take the connection, kill the worker, answer, fork another. */
static void rescue(struct sup *s, unsigned i, bool timeout, uint32_t seq)
{
	struct fcgi_watch copy, *w = &s->sh->slot[i];
	struct fcgi_buf b;
	pid_t pid = s->w[i].pid;
	int fd = -1, ws;

	if (timeout) {
		kill(pid, SIGSTOP);
		if (!wait_stopped(pid) ||
		    __atomic_load_n(&w->seq, __ATOMIC_ACQUIRE) != seq) {
			/* It ended after all, or could not be stopped. */
			if (__atomic_load_n(&w->seq, __ATOMIC_ACQUIRE) != seq) {
				kill(pid, SIGCONT);
				return;
			}
		}
	}
	memcpy(&copy, w, sizeof(copy));
	if (copy.wire_clean && s->w[i].pidfd >= 0)
		fd = grab_fd(s->w[i].pidfd, copy.conn_fd);
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	forget(s, i);
	if (fd >= 0) {
		fcgi_buf_init(&b, NULL, 0);
		if (make_answer(&b, &copy, timeout) == 0)
			answer(fd, &b);
		else
			close(fd);
		fcgi_buf_fini(&b);
	}
	if (timeout)
		sup_log(s,
			"%s: %s still running at its deadline: %s, worker %d "
			"killed",
			copy.label, copy.what,
			fd >= 0 ? "answered" : "its connection closed",
			(int)pid);
	else
		sup_log(s, "%s: %s %s: %s, worker %d replaced", copy.label,
			copy.what,
			copy.exited ? "called exit()" : "crashed in a worker",
			fd >= 0 ? "answered" : "its connection closed",
			(int)pid);
}

static int worker_index(const struct sup *s, pid_t pid)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->w[i].pid == pid)
			return (int)i;
	return -1;
}

/* SIGCHLD: workers that stopped in their crash handler are answered for,
 * workers that are gone are noted. */
static void reap(struct sup *s)
{
	struct fcgi_watch *w;
	pid_t pid;
	uint32_t seq;
	int ws, i;

	while ((pid = waitpid(-1, &ws, WNOHANG | WUNTRACED)) > 0) {
		i = worker_index(s, pid);
		if (i < 0)
			continue;
		w = &s->sh->slot[i];
		seq = __atomic_load_n(&w->seq, __ATOMIC_ACQUIRE);
		if (WIFSTOPPED(ws)) {
			if ((seq & 1u) && (w->crash_sig != 0 || w->exited))
				rescue(s, (unsigned)i, false, seq);
			else
				kill(pid, SIGCONT); /* not ours to keep */
			continue;
		}
		if (seq & 1u)
			sup_log(s,
				"%s: worker %d died inside %s: its connections "
				"are closed unanswered",
				w->label, (int)pid, w->what);
		else if (!(WIFEXITED(ws) && WEXITSTATUS(ws) == 0) &&
			 !(s->stopping && WIFSIGNALED(ws) &&
			   WTERMSIG(ws) == SIGKILL))
			sup_log(s, "worker %d %s %d", (int)pid,
				WIFSIGNALED(ws) ? "died of signal"
						: "exited with status",
				WIFSIGNALED(ws) ? WTERMSIG(ws)
						: WEXITSTATUS(ws));
		forget(s, (unsigned)i);
	}
}

/* Functions past their deadline. */
static void watch(struct sup *s)
{
	uint64_t now = fcgi_mono_ms(), d;
	struct fcgi_watch *w;
	uint32_t s1, s2;

	for (unsigned i = 0; i < s->n; i++) {
		if (s->w[i].pid == 0)
			continue;
		w = &s->sh->slot[i];
		s1 = __atomic_load_n(&w->seq, __ATOMIC_ACQUIRE);
		if (!(s1 & 1u))
			continue;
		d = w->deadline_ms;
		s2 = __atomic_load_n(&w->seq, __ATOMIC_ACQUIRE);
		if (s1 != s2 || d == 0 || now < d)
			continue;
		rescue(s, i, true, s1);
	}
}

/* Fork the workers that are missing; replacements at most RESPAWN_BURST
 * a second, so that workers that die at once do not make a fork storm.
 * Whether any worker runs. */
static bool fill(struct sup *s, bool first)
{
	uint64_t now = fcgi_mono_ms();
	bool any = false;

	if (now - s->deaths_at >= 1000) {
		s->deaths_at = now;
		s->deaths = 0;
	}
	for (unsigned i = 0; i < s->n; i++) {
		if (s->w[i].pid != 0) {
			any = true;
			continue;
		}
		if (s->stopping || (!first && s->deaths >= RESPAWN_BURST))
			continue;
		if (!first)
			s->deaths++;
		if (spawn(s, i) == 0)
			any = true;
		else
			sup_log(s, "cannot fork a worker: %s", strerror(errno));
	}
	return any;
}

static bool any_alive(const struct sup *s)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->w[i].pid != 0)
			return true;
	return false;
}

/* SIGKILL to worker i and its process group; reap() collects it. */
static void kill_worker(struct sup *s, unsigned i, const char *why)
{
	pid_t pid = s->w[i].pid;

	sup_log(s, "worker %d %s: killed", (int)pid, why);
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
}

/*
 * SIGTERM or SIGINT, passed on to every worker: the first stops each as
 * a server stops (what it holds may finish within stop_ms); a second
 * aborts what is left, and kills the workers that are inside a function,
 * whose loops cannot hear it.  A worker still there STOP_SLACK_MS after
 * stop_ms is killed (stop_deadline()).
 */
static void stop_signal(struct sup *s, int sig)
{
	uint64_t grace = s->o->stop_ms != 0 ? s->o->stop_ms : 10000;

	if (!s->stopping) {
		s->stopping = true;
		s->kill_at = fcgi_mono_ms() + grace + STOP_SLACK_MS;
	}
	s->signals++;
	for (unsigned i = 0; i < s->n; i++) {
		if (s->w[i].pid == 0)
			continue;
		if (s->signals > 1 && slot_busy(&s->sh->slot[i]))
			kill_worker(s, i,
				    "inside a function at a second signal");
		else
			kill(s->w[i].pid, sig);
	}
}

static void stop_deadline(struct sup *s)
{
	if (!s->stopping || s->kill_at == 0 || fcgi_mono_ms() < s->kill_at)
		return;
	s->kill_at = 0;
	for (unsigned i = 0; i < s->n; i++)
		if (s->w[i].pid != 0)
			kill_worker(s, i, "still running after the stop");
}

/* Wait up to period ms for a signal, and act on what came. */
static void sup_wait(struct sup *s, uint64_t period)
{
	struct signalfd_siginfo si;
	struct pollfd pf = { .fd = s->sfd, .events = POLLIN };

	if (poll(&pf, 1, (int)period) <= 0)
		return;
	while (read(s->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		if (si.ssi_signo != SIGCHLD)
			stop_signal(s, (int)si.ssi_signo);
}

int fcgi_prefork_run(const struct fcgi_prefork_opts *o)
{
	sigset_t set, old;
	struct sup s;
	uint64_t period;
	int rc = 0;

	if (o == NULL || o->worker == NULL || o->workers == 0 ||
	    o->workers > FCGI_WORKERS_MAX)
		return FCGI_EINVAL;
	memset(&s, 0, sizeof(s));
	s.o = o;
	s.n = o->workers;
	period = o->watch_ms != 0 ? o->watch_ms : WATCH_MS_DEFAULT;
	s.shlen = sizeof(struct shared) + s.n * sizeof(struct fcgi_watch);
	s.sh = mmap(NULL, s.shlen, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s.sh == MAP_FAILED)
		return FCGI_ENOMEM;
	s.w = calloc(s.n, sizeof(*s.w));
	if (s.w == NULL) {
		munmap(s.sh, s.shlen);
		return FCGI_ENOMEM;
	}
	for (unsigned i = 0; i < s.n; i++)
		s.w[i].pidfd = -1;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, &old);
	s.sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s.sfd < 0 || !fill(&s, true)) {
		rc = FCGI_ELIMIT;
		s.stopping = true;
	}
	/* Until stopped, workers that die are replaced. */
	while (any_alive(&s) || !s.stopping) {
		sup_wait(&s, period);
		reap(&s);
		watch(&s);
		stop_deadline(&s);
		if (!s.stopping)
			fill(&s, false);
	}
	if (s.sfd >= 0)
		close(s.sfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	free(s.w);
	munmap(s.sh, s.shlen);
	return rc;
}
