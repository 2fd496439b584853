/* SPDX-License-Identifier: MIT */
/*
 * test-runner.c - the runs, each kind driven through its ops table on a
 * real loop with no server: a function on a pool worker, a function in a
 * child forked for it, a CGI script, canned answers; the body and its
 * backpressure, aborts, the one TERM-then-KILL grace period; and the one
 * timeout answer, byte for byte, alone and through a conn.
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "runner.h"

/* ---- responders ---- */

/* The body back, after a header; appStatus 7. */
static int t_echo(const struct fcgi_params *p, FILE *in, FILE *out, FILE *err)
{
	char buf[4096];
	size_t n;

	(void)p;
	fputs("Content-Type: text/plain\r\n\r\n", out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	fputs("note\n", err);
	return 7;
}

/* Sleeps 300 ms before it reads: its body backs up. */
static int t_late_count(const struct fcgi_params *p, FILE *in, FILE *out,
			FILE *err)
{
	struct timespec ts = { 0, 300 * 1000 * 1000 };
	size_t total = 0, n;
	char buf[4096];

	(void)p;
	(void)err;
	nanosleep(&ts, NULL);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		total += n;
	fprintf(out, "Content-Type: text/plain\r\n\r\n%zu", total);
	return 0;
}

static int t_sleep(const struct fcgi_params *p, FILE *in, FILE *out, FILE *err)
{
	struct timespec ts = { 20, 0 };

	(void)p;
	(void)in;
	(void)err;
	fputs("Content-Type: text/plain\r\n\r\nstarted\n", out);
	fflush(out);
	nanosleep(&ts, NULL);
	return 0;
}

static int t_deaf(const struct fcgi_params *p, FILE *in, FILE *out, FILE *err)
{
	struct timespec ts = { 20, 0 };

	(void)p;
	(void)in;
	(void)out;
	(void)err;
	signal(SIGTERM, SIG_IGN);
	for (int i = 0; i < 10; i++)
		nanosleep(&ts, NULL);
	return 0;
}

static const struct fcgi_fn_entry table[] = {
	{ "echo", t_echo },   { "late_count", t_late_count },
	{ "sleep", t_sleep }, { "deaf", t_deaf },
	{ NULL, NULL },
};

/* ---- one run on a loop, without a server ---- */

struct rec {
	uv_loop_t *loop;
	struct fcgi_run *run;
	struct fcgi_buf out, err;
	bool in_op; /* inside one of the run's ops: no callback allowed */
	bool done;
	int drained;
	uint32_t app;
	uint8_t pstatus;
	uint64_t done_ms;
};

static void cb_stdout(void *arg, const uint8_t *d, size_t n)
{
	struct rec *r = arg;

	assert_false(r->in_op);
	assert_false(r->done);
	assert_int_equal(fcgi_buf_append(&r->out, d, n), 0);
}

static void cb_stderr(void *arg, const uint8_t *d, size_t n)
{
	struct rec *r = arg;

	assert_false(r->in_op);
	assert_false(r->done);
	assert_int_equal(fcgi_buf_append(&r->err, d, n), 0);
}

static void cb_drained(void *arg)
{
	struct rec *r = arg;

	assert_false(r->in_op);
	r->drained++;
}

static void cb_raw(void *arg, const uint8_t *d, size_t n)
{
	(void)arg;
	(void)d;
	(void)n;
	fail_msg("no run of ours sends raw bytes");
}

static void cb_close(void *arg, enum fcgi_close how)
{
	(void)arg;
	(void)how;
	fail_msg("no run of ours closes the connection");
}

static void cb_done(void *arg, uint32_t app, uint8_t pstatus)
{
	struct rec *r = arg;

	assert_false(r->in_op);
	assert_false(r->done);
	r->done = true;
	r->app = app;
	r->pstatus = pstatus;
	r->done_ms = uv_now(r->loop);
}

static const struct fcgi_run_cbs cbs = {
	.on_stdout = cb_stdout,
	.on_stderr = cb_stderr,
	.on_stdin_drained = cb_drained,
	.on_raw = cb_raw,
	.on_close_conn = cb_close,
	.on_done = cb_done,
};

static void rec_init(struct rec *r, uv_loop_t *loop)
{
	memset(r, 0, sizeof(*r));
	r->loop = loop;
	fcgi_buf_init(&r->out, NULL, 0);
	fcgi_buf_init(&r->err, NULL, 0);
}

static void rec_free(struct rec *r)
{
	if (r->run != NULL)
		r->run->ops->destroy(r->run);
	r->run = NULL;
	fcgi_buf_fini(&r->out);
	fcgi_buf_fini(&r->err);
}

static bool out_has(const struct fcgi_buf *b, const char *s)
{
	return b->len > 0 && memmem(b->data, b->len, s, strlen(s)) != NULL;
}

/* Start SCRIPT_FILENAME script on runner; the run is in r->run. */
static int start(struct fcgi_runner *runner, struct rec *r, const char *script,
		 uint64_t grace_ms)
{
	struct fcgi_params p;
	struct fcgi_run_info info;
	int rc;

	fcgi_params_init(&p, NULL);
	assert_int_equal(fcgi_params_add(&p, "SCRIPT_FILENAME", 15, script,
					 strlen(script)),
			 0);
	memset(&info, 0, sizeof(info));
	info.loop = r->loop;
	info.request_id = 1;
	info.role = FCGI_RESPONDER;
	info.params = &p;
	info.cb = &cbs;
	info.arg = r;
	info.kill_grace_ms = grace_ms;
	info.label = "t#1";
	r->in_op = true;
	rc = runner->ops->start(runner->self, &info, &r->run);
	r->in_op = false;
	fcgi_params_fini(&p);
	return rc;
}

static void op_write(struct rec *r, const char *s, ssize_t *pending)
{
	r->in_op = true;
	*pending =
		r->run->ops->write_stdin(r->run, (const uint8_t *)s, strlen(s));
	r->in_op = false;
}

static void op_close_stdin(struct rec *r)
{
	r->in_op = true;
	r->run->ops->close_stdin(r->run);
	r->in_op = false;
}

static void op_abort(struct rec *r)
{
	r->in_op = true;
	r->run->ops->abort(r->run);
	r->in_op = false;
}

static void on_guard(uv_timer_t *t)
{
	*(bool *)t->data = true;
}

static void on_guard_closed(uv_handle_t *h)
{
	(void)h;
}

/* Run the loop until *flag, for at most ms. */
static void run_until(uv_loop_t *loop, const bool *flag, uint64_t ms)
{
	uv_timer_t guard;
	bool expired = false;

	uv_timer_init(loop, &guard);
	guard.data = &expired;
	uv_timer_start(&guard, on_guard, ms, 0);
	while (!*flag && !expired)
		uv_run(loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&guard, on_guard_closed);
	uv_run(loop, UV_RUN_NOWAIT);
	if (!*flag)
		fail_msg("nothing happened within %llu ms",
			 (unsigned long long)ms);
}

/* Let time pass on the loop. */
static void run_for(uv_loop_t *loop, uint64_t ms)
{
	uv_timer_t guard;
	bool expired = false;

	uv_timer_init(loop, &guard);
	guard.data = &expired;
	uv_timer_start(&guard, on_guard, ms, 0);
	while (!expired)
		uv_run(loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&guard, on_guard_closed);
	uv_run(loop, UV_RUN_NOWAIT);
}

/* Run the loop until r's output holds s, for at most 10 s. */
static void wait_output(struct rec *r, const char *s)
{
	for (int i = 0; i < 200 && !out_has(&r->out, s); i++)
		run_for(r->loop, 50);
	if (!out_has(&r->out, s))
		fail_msg("no '%s' in the output", s);
}

/* Free the runner and check that the loop holds nothing any more. */
static void loop_done(uv_loop_t *loop, struct fcgi_runner *runner)
{
	fcgi_runner_free(runner);
	uv_run(loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(loop), 0);
}

static struct fcgi_runner *func_runner(enum fcgi_isolate how)
{
	struct fcgi_runner *r;

	assert_int_equal(fcgi_func_runner_new(&r, NULL), 0);
	assert_int_equal(fcgi_func_runner_add_table(r, "t", table), 0);
	assert_int_equal(fcgi_func_runner_set_isolation(r, how, 1), 0);
	return r;
}

/* ---- each kind, once through ---- */

/* The function runner's two kinds: the body in, output and appStatus
 * out, through the kind's own table. */
static void test_runner_function_kinds(void **state)
{
	static const char *const kinds[] = { "pool", "child" };
	uv_loop_t loop;
	struct fcgi_runner *runner;
	struct rec r;
	ssize_t pending;

	(void)state;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(uv_loop_init(&loop), 0);
		runner = func_runner(i == 0 ? FCGI_ISOLATE_POOL
					    : FCGI_ISOLATE_REQUEST);
		rec_init(&r, &loop);
		assert_int_equal(start(runner, &r, "/www/echo", 0), 0);
		assert_string_equal(r.run->ops->name, kinds[i]);
		op_write(&r, "hello ", &pending);
		assert_true(pending >= 0);
		op_write(&r, "world", &pending);
		op_close_stdin(&r);
		run_until(&loop, &r.done, 10000);
		assert_int_equal(r.app, 7);
		assert_int_equal(r.pstatus, FCGI_REQUEST_COMPLETE);
		assert_true(out_has(&r.out, "\r\n\r\nhello world"));
		assert_int_equal(r.err.len, 5);
		assert_memory_equal(r.err.data, "note\n", 5);
		rec_free(&r);
		loop_done(&loop, runner);
	}
}

/* A CGI script: its output, STDERR and exit status. */
static void test_runner_exec(void **state)
{
	static const char script[] = "#!/bin/sh\n"
				     "printf 'Content-Type: text/plain\\r\\n"
				     "\\r\\n'\n"
				     "cat\n"
				     "echo \"role $FCGI_ROLE\" >&2\n"
				     "exit 5\n";
	char dir[64], path[128], err[256];
	struct fcgi_runner *runner;
	uv_loop_t loop;
	struct rec r;
	ssize_t pending;
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/fcgi-test-runner.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/x.cgi", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(script, f);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(
		fcgi_exec_runner_new(&runner, dir, NULL, err, sizeof(err)), 0);

	rec_init(&r, &loop);
	assert_int_equal(start(runner, &r, "x.cgi", 0), 0);
	assert_string_equal(r.run->ops->name, "child");
	op_write(&r, "body", &pending);
	op_close_stdin(&r);
	run_until(&loop, &r.done, 10000);
	assert_int_equal(r.app, 5);
	assert_true(out_has(&r.out, "\r\n\r\nbody"));
	assert_true(out_has(&r.err, "role RESPONDER\n"));
	rec_free(&r);

	/* A missing script is a canned answer. */
	rec_init(&r, &loop);
	assert_int_equal(start(runner, &r, "nosuch.cgi", 0), 0);
	assert_string_equal(r.run->ops->name, "canned");
	run_until(&loop, &r.done, 5000);
	assert_int_equal(r.app, 127);
	assert_true(out_has(&r.out, "Status: 404 Not Found\r\n"));
	assert_true(out_has(&r.err, "not found"));
	rec_free(&r);

	loop_done(&loop, runner);
	unlink(path);
	rmdir(dir);
}

/* Canned: from the loop's next turn, never from start(); after an abort
 * nothing but on_done. */
static void test_runner_canned(void **state)
{
	static const char want[] = "Status: 404 Not Found\r\n"
				   "Content-Type: text/plain\r\n\r\n"
				   "404 Not Found\n";
	struct fcgi_runner *runner;
	uv_loop_t loop;
	struct rec r;
	ssize_t pending;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	runner = func_runner(FCGI_ISOLATE_POOL);
	rec_init(&r, &loop);
	assert_int_equal(start(runner, &r, "/www/nosuch", 0), 0);
	assert_string_equal(r.run->ops->name, "canned");
	assert_false(r.done);
	/* The body is taken and dropped. */
	op_write(&r, "ignored", &pending);
	assert_int_equal(pending, 0);
	op_close_stdin(&r);
	run_until(&loop, &r.done, 5000);
	assert_int_equal(r.app, 127);
	assert_int_equal(r.out.len, strlen(want));
	assert_memory_equal(r.out.data, want, r.out.len);
	assert_true(out_has(&r.err, "fcgitool: no function 'nosuch'\n"));
	rec_free(&r);

	rec_init(&r, &loop);
	assert_int_equal(start(runner, &r, "/www/t:nosuch", 0), 0);
	op_abort(&r);
	run_until(&loop, &r.done, 5000);
	assert_int_equal(r.out.len, 0);
	assert_int_equal(r.err.len, 0);
	assert_int_equal(r.app, 127);
	rec_free(&r);
	loop_done(&loop, runner);
}

/* ---- the body: backpressure ---- */

/* A function that does not read yet: write_stdin reports what it holds,
 * and on_stdin_drained comes once the function has taken it all. */
static void test_runner_stdin_backpressure(void **state)
{
	static char chunk[65536];
	uv_loop_t loop;
	struct fcgi_runner *runner;
	struct rec r;
	ssize_t pending = 0, most = 0;
	size_t sent = 0;
	char want[64];

	(void)state;
	memset(chunk, 'x', sizeof(chunk));
	chunk[sizeof(chunk) - 1] = '\0';
	for (int how = 0; how < 2; how++) {
		assert_int_equal(uv_loop_init(&loop), 0);
		runner = func_runner(how == 0 ? FCGI_ISOLATE_POOL
					      : FCGI_ISOLATE_REQUEST);
		rec_init(&r, &loop);
		sent = 0;
		most = 0;
		assert_int_equal(start(runner, &r, "/www/late_count", 0), 0);
		for (int i = 0; i < 16; i++) {
			op_write(&r, chunk, &pending);
			assert_true(pending >= 0);
			sent += sizeof(chunk) - 1;
			if (pending > most)
				most = pending;
		}
		/* A pipe holds 64 KiB: the rest waits in the run. */
		assert_true(most > 0);
		assert_int_equal(r.drained, 0);
		op_close_stdin(&r);
		run_until(&loop, &r.done, 10000);
		assert_true(r.drained >= 1);
		snprintf(want, sizeof(want), "\r\n\r\n%zu", sent);
		assert_true(out_has(&r.out, want));
		assert_int_equal(r.app, 0);
		rec_free(&r);
		loop_done(&loop, runner);
	}
}

/* ---- stopping ---- */

/* Abort: SIGTERM, no output after it, on_done with 128 + SIGTERM. */
static void test_runner_abort(void **state)
{
	uv_loop_t loop;
	struct fcgi_runner *runner;
	struct rec r;

	(void)state;
	for (int how = 0; how < 2; how++) {
		assert_int_equal(uv_loop_init(&loop), 0);
		runner = func_runner(how == 0 ? FCGI_ISOLATE_POOL
					      : FCGI_ISOLATE_REQUEST);
		rec_init(&r, &loop);
		assert_int_equal(start(runner, &r, "/www/sleep", 0), 0);
		op_close_stdin(&r);
		/* It has started once its first line is out. */
		wait_output(&r, "started");
		op_abort(&r);
		op_abort(&r); /* twice is once */
		run_until(&loop, &r.done, 5000);
		assert_int_equal(r.app, 128 + SIGTERM);
		assert_false(out_has(&r.out, "Status: 500"));
		rec_free(&r);
		loop_done(&loop, runner);
	}
}

/* A request still queued for a busy pool ends at once when aborted. */
static void test_runner_abort_queued(void **state)
{
	uv_loop_t loop;
	struct fcgi_runner *runner;
	struct rec busy, queued;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	runner = func_runner(FCGI_ISOLATE_POOL); /* one worker */
	rec_init(&busy, &loop);
	rec_init(&queued, &loop);
	assert_int_equal(start(runner, &busy, "/www/sleep", 0), 0);
	op_close_stdin(&busy);
	assert_int_equal(start(runner, &queued, "/www/echo", 0), 0);
	op_close_stdin(&queued);
	wait_output(&busy, "started");
	op_abort(&queued);
	run_until(&loop, &queued.done, 5000);
	assert_int_equal(queued.app, 128 + SIGTERM);
	assert_int_equal(queued.out.len, 0);
	assert_false(busy.done);
	op_abort(&busy);
	run_until(&loop, &busy.done, 5000);
	rec_free(&queued);
	rec_free(&busy);
	loop_done(&loop, runner);
}

/* The grace period: a function that ignores SIGTERM gets SIGKILL
 * kill_grace_ms after the abort, in a worker and in a child. */
static void test_runner_grace_kill(void **state)
{
	uv_loop_t loop;
	struct fcgi_runner *runner;
	struct rec r;
	uint64_t t0;

	(void)state;
	for (int how = 0; how < 2; how++) {
		assert_int_equal(uv_loop_init(&loop), 0);
		runner = func_runner(how == 0 ? FCGI_ISOLATE_POOL
					      : FCGI_ISOLATE_REQUEST);
		rec_init(&r, &loop);
		assert_int_equal(start(runner, &r, "/www/deaf", 300), 0);
		op_close_stdin(&r);
		/* Give it time to ignore SIGTERM. */
		run_for(&loop, 300);
		uv_update_time(&loop);
		t0 = uv_now(&loop);
		op_abort(&r);
		run_until(&loop, &r.done, 5000);
		assert_int_equal(r.app, 128 + SIGKILL);
		assert_true(r.done_ms - t0 >= 290);
		rec_free(&r);
		loop_done(&loop, runner);
	}
}

static void deaf_child(void)
{
	struct timespec ts = { 20, 0 };

	signal(SIGTERM, SIG_IGN);
	for (int i = 0; i < 10; i++)
		nanosleep(&ts, NULL);
	_exit(0);
}

static void on_stop_closed(struct fcgi_stop *s)
{
	*(bool *)s->data = true;
}

/* The helper itself: SIGTERM at once, SIGKILL after the grace period,
 * nothing once cancelled. */
static void test_runner_stop_helper(void **state)
{
	struct fcgi_stop s;
	uv_loop_t loop;
	bool closed = false;
	pid_t pid;
	int ws = 0;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	for (int round = 0; round < 2; round++) {
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			setsid();
			deaf_child();
		}
		fcgi_stop_init(&s, &loop, 200, &closed);
		run_for(&loop, 200); /* it ignores SIGTERM by now */
		fcgi_stop_begin(&s, pid);
		if (round == 1) {
			fcgi_stop_cancel(&s);
			run_for(&loop, 400);
			/* Still there: no SIGKILL came. */
			assert_int_equal(waitpid(pid, &ws, WNOHANG), 0);
			kill(pid, SIGKILL);
		} else {
			run_for(&loop, 400);
		}
		assert_int_equal(waitpid(pid, &ws, 0), pid);
		assert_true(WIFSIGNALED(ws));
		assert_int_equal(WTERMSIG(ws), SIGKILL);
		closed = false;
		assert_true(fcgi_stop_close(&s, on_stop_closed));
		uv_run(&loop, UV_RUN_DEFAULT);
		assert_true(closed);
		assert_false(fcgi_stop_close(&s, on_stop_closed));
	}
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- runners made of ops ---- */

static int no_start(void *self, const struct fcgi_run_info *info,
		    struct fcgi_run **run)
{
	(void)self;
	(void)info;
	(void)run;
	return FCGI_ELIMIT;
}

static int released;

static void count_release(void *self)
{
	(void)self;
	released++;
}

static void test_runner_new(void **state)
{
	static const struct fcgi_runner_ops bad = { .name = "bad" };
	static const struct fcgi_runner_ops ok = {
		.name = "ok",
		.start = no_start,
		.release = count_release,
	};
	struct fcgi_runner *r = NULL;

	(void)state;
	assert_int_equal(fcgi_runner_new(&r, NULL, NULL, NULL), FCGI_EINVAL);
	assert_int_equal(fcgi_runner_new(&r, &bad, NULL, NULL), FCGI_EINVAL);
	assert_int_equal(fcgi_runner_new(&r, &ok, &released, NULL), 0);
	assert_ptr_equal(r->ops, &ok);
	assert_ptr_equal(r->self, &released);
	released = 0;
	fcgi_runner_free(r);
	assert_int_equal(released, 1);
	fcgi_runner_free(NULL);
}

/* ---- the one timeout answer ---- */

static void check_bytes(const struct fcgi_buf *b, const uint8_t *want, size_t n)
{
	assert_int_equal(b->len, n);
	assert_memory_equal(b->data, want, n);
}

#define RESP_408                                                          \
	"Status: 408 Request Timeout\r\nContent-Type: text/plain\r\n\r\n" \
	"408 Request Timeout\n"

static void test_runner_timeout_answer_bytes(void **state)
{
	/* No output yet: a whole CGI response (77 bytes, padded by 3), the
	 * empty STDOUT, END_REQUEST appStatus 408 REQUEST_COMPLETE. */
	static const uint8_t before[] =
		"\x01\x06\x00\x01\x00\x4d\x03\x00" RESP_408 "\0\0\0"
		"\x01\x06\x00\x01\x00\x00\x00\x00"
		"\x01\x03\x00\x01\x00\x08\x00\x00"
		"\x00\x00\x01\x98\x00\x00\x00\x00";
	/* Output and STDERR began: only their ends and END_REQUEST. */
	static const uint8_t after[] = "\x01\x06\x00\x02\x00\x00\x00\x00"
				       "\x01\x07\x00\x02\x00\x00\x00\x00"
				       "\x01\x03\x00\x02\x00\x08\x00\x00"
				       "\x00\x00\x01\x98\x00\x00\x00\x00";
	/* Both ended: END_REQUEST alone, 504, request 258. */
	static const uint8_t ended[] = "\x01\x03\x01\x02\x00\x08\x00\x00"
				       "\x00\x00\x01\xf8\x00\x00\x00\x00";
	/* 504 with a body of its own (62 bytes, padded by 2). */
	static const uint8_t own[] =
		"\x01\x06\x00\x03\x00\x3e\x02\x00"
		"Status: 504 Gateway Timeout\r\nContent-Type: text/plain\r\n"
		"\r\nslow\n\0\0"
		"\x01\x06\x00\x03\x00\x00\x00\x00"
		"\x01\x03\x00\x03\x00\x08\x00\x00"
		"\x00\x00\x01\xf8\x00\x00\x00\x00";
	struct fcgi_timeout_answer a;
	struct fcgi_buf b;

	(void)state;
	fcgi_buf_init(&b, NULL, 0);
	memset(&a, 0, sizeof(a));
	a.request_id = 1;
	a.status = 408;
	assert_int_equal(fcgi_timeout_answer(&b, &a), 0);
	check_bytes(&b, before, sizeof(before) - 1);
	/* STDERR used but no STDOUT yet: the response, then both ends. */
	fcgi_buf_reset(&b);
	a.stderr_started = true;
	assert_int_equal(fcgi_timeout_answer(&b, &a), 0);
	assert_int_equal(b.len, sizeof(before) - 1 + 8);
	assert_memory_equal(b.data, before, 8 + 80 + 8);
	assert_memory_equal(b.data + 96, "\x01\x07\x00\x01\x00\x00\x00\x00", 8);

	fcgi_buf_reset(&b);
	a.request_id = 2;
	a.stdout_started = true;
	assert_int_equal(fcgi_timeout_answer(&b, &a), 0);
	check_bytes(&b, after, sizeof(after) - 1);

	fcgi_buf_reset(&b);
	a.request_id = 258;
	a.status = 504;
	a.stdout_ended = a.stderr_ended = true;
	assert_int_equal(fcgi_timeout_answer(&b, &a), 0);
	check_bytes(&b, ended, sizeof(ended) - 1);

	/* An empty STDOUT only: ended without a byte, no response now. */
	fcgi_buf_reset(&b);
	memset(&a, 0, sizeof(a));
	a.request_id = 258;
	a.status = 504;
	a.stdout_ended = true;
	assert_int_equal(fcgi_timeout_answer(&b, &a), 0);
	check_bytes(&b, ended, sizeof(ended) - 1);

	fcgi_buf_reset(&b);
	memset(&a, 0, sizeof(a));
	a.request_id = 3;
	a.status = 504;
	a.body = "slow\n";
	assert_int_equal(fcgi_timeout_answer(&b, &a), 0);
	check_bytes(&b, own, sizeof(own) - 1);

	/* Bad arguments, or no room: nothing appended. */
	fcgi_buf_reset(&b);
	a.request_id = 0;
	assert_int_equal(fcgi_timeout_answer(&b, &a), FCGI_EINVAL);
	a.request_id = 1;
	a.status = 99;
	assert_int_equal(fcgi_timeout_answer(&b, &a), FCGI_EINVAL);
	assert_int_equal(b.len, 0);
	fcgi_buf_fini(&b);
	fcgi_buf_init(&b, NULL, 90);
	a.status = 408;
	assert_int_equal(fcgi_timeout_answer(&b, &a), FCGI_ELIMIT);
	assert_int_equal(b.len, 0);
	fcgi_buf_fini(&b);

	/* The CGI error response alone. */
	fcgi_buf_init(&b, NULL, 0);
	assert_int_equal(fcgi_cgi_error_response(&b, 408, NULL), 0);
	check_bytes(&b, (const uint8_t *)RESP_408, strlen(RESP_408));
	assert_int_equal(fcgi_cgi_error_response(&b, 1000, NULL), FCGI_EINVAL);
	assert_int_equal(b.len, strlen(RESP_408));
	fcgi_buf_fini(&b);
}

/* Through an APP-mode conn: the answer follows what the conn queued, and
 * the id is free afterwards. */
static void test_runner_timeout_answer_conn(void **state)
{
	static const uint8_t begin[] = "\x01\x01\x00\x01\x00\x08\x00\x00"
				       "\x00\x01\x00\x00\x00\x00\x00\x00";
	static const uint8_t tail[] = "\x01\x06\x00\x01\x00\x00\x00\x00"
				      "\x01\x03\x00\x01\x00\x08\x00\x00"
				      "\x00\x00\x01\x98\x00\x00\x00\x00";
	struct fcgi_conn *c;
	const uint8_t *p;
	size_t n;

	(void)state;
	for (int started = 0; started < 2; started++) {
		assert_int_equal(
			fcgi_conn_new(&c, FCGI_MODE_APP, NULL, NULL, NULL), 0);
		assert_int_equal(fcgi_conn_timeout_answer(c, 1, 408, NULL),
				 FCGI_ESTATE);
		assert_int_equal(fcgi_conn_recv(c, FCGI_DIR_TO_APP, begin,
						sizeof(begin) - 1),
				 (ssize_t)sizeof(begin) - 1);
		if (started) {
			assert_int_equal(
				fcgi_conn_stream(c, 1, FCGI_STDOUT, "x", 1), 0);
			fcgi_conn_sent(c, fcgi_conn_send(c, &p));
		}
		assert_int_equal(fcgi_conn_timeout_answer(c, 1, 408, NULL), 0);
		assert_false(fcgi_conn_is_active(c, 1));
		n = fcgi_conn_send(c, &p);
		if (started) {
			assert_int_equal(n, sizeof(tail) - 1);
			assert_memory_equal(p, tail, n);
		} else {
			assert_int_equal(n, 8 + 80 + sizeof(tail) - 1);
			assert_memory_equal(p + 8, RESP_408, 77);
			assert_memory_equal(p + 88, tail, sizeof(tail) - 1);
		}
		assert_int_equal(fcgi_conn_timeout_answer(c, 1, 408, NULL),
				 FCGI_ESTATE);
		fcgi_conn_free(c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runner_function_kinds),
		cmocka_unit_test(test_runner_exec),
		cmocka_unit_test(test_runner_canned),
		cmocka_unit_test(test_runner_stdin_backpressure),
		cmocka_unit_test(test_runner_abort),
		cmocka_unit_test(test_runner_abort_queued),
		cmocka_unit_test(test_runner_grace_kill),
		cmocka_unit_test(test_runner_stop_helper),
		cmocka_unit_test(test_runner_new),
		cmocka_unit_test(test_runner_timeout_answer_bytes),
		cmocka_unit_test(test_runner_timeout_answer_conn),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
