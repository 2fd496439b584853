/* SPDX-License-Identifier: MIT */
/*
 * test-server.c - the server and its runners in process: a server and a
 * WEB-mode client on one loop, talking over a unix socket; the answers
 * to hello, appStatus, crashes, the timeout, refusals and GET_VALUES; and
 * an allocation-failure sweep over a whole exchange.
 */
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

#include "failmem.h"
#include "runner.h"

/* ---- responders ---- */

static int t_hello(const struct fcgi_params *p, FILE *in, FILE *out, FILE *err)
{
	(void)p;
	(void)in;
	(void)err;
	fputs("Content-Type: text/plain\r\n\r\nhi\n", out);
	return 0;
}

static int t_exit(const struct fcgi_params *p, FILE *in, FILE *out, FILE *err)
{
	(void)p;
	(void)in;
	fputs("Status: 503 Service Unavailable\r\n\r\n", out);
	fputs("err\n", err);
	return 3;
}

static int t_sleep(const struct fcgi_params *p, FILE *in, FILE *out, FILE *err)
{
	struct timespec ts = { 5, 0 };

	(void)p;
	(void)in;
	(void)out;
	(void)err;
	nanosleep(&ts, NULL);
	return 0;
}

static int t_crash(const struct fcgi_params *p, FILE *in, FILE *out, FILE *err)
{
	(void)p;
	(void)in;
	(void)out;
	(void)err;
	raise(SIGSEGV);
	return 0;
}

static const struct fcgi_fn_entry table[] = {
	{ "hello", t_hello }, { "exit", t_exit }, { "sleep", t_sleep },
	{ "crash", t_crash }, { NULL, NULL },
};

/* ---- a client on the same loop ---- */

#define MAXREQ 3

struct answer {
	int done;
	uint32_t app;
	uint8_t pstatus;
	struct fcgi_buf out, err;
};

struct harness {
	uv_loop_t loop;
	struct fcgi_server *srv;
	struct fcgi_runner *runner;
	struct fcgi_addr addr;
	uv_stream_t *s;
	struct fcgi_conn *conn;
	const char *script[MAXREQ + 1]; /* by request id; NULL: none */
	int values;			/* ask GET_VALUES first */
	struct fcgi_params got_values;
	int nvalues;
	struct answer a[MAXREQ + 1];
	int violations[FCGI_V_COUNT];
	int closed_by_server;
	int finished;
	uv_timer_t guard;
	char dir[64];
};

static void h_flush(struct harness *h);

static void on_written(uv_write_t *w, int status)
{
	(void)status;
	free(w);
}

static void h_flush(struct harness *h)
{
	const uint8_t *p;
	size_t n = fcgi_conn_send(h->conn, &p);
	uv_write_t *w;
	uv_buf_t b;

	if (n == 0 || h->s == NULL)
		return;
	w = malloc(sizeof(*w) + n);
	assert_non_null(w);
	memcpy(w + 1, p, n);
	b = uv_buf_init((char *)(w + 1), (unsigned)n);
	assert_int_equal(uv_write(w, h->s, &b, 1, on_written), 0);
	fcgi_conn_sent(h->conn, n);
}

static void on_guard_closed(uv_handle_t *g)
{
	(void)g;
}

static void h_finish(struct harness *h)
{
	if (h->finished)
		return;
	h->finished = 1;
	if (h->s != NULL)
		fcgi_io_close(h->s, NULL, NULL);
	h->s = NULL;
	uv_close((uv_handle_t *)&h->guard, on_guard_closed);
	fcgi_server_stop(h->srv);
}

static int all_done(const struct harness *h)
{
	for (int id = 1; id <= MAXREQ; id++)
		if (h->script[id] != NULL && !h->a[id].done)
			return 0;
	return !h->values || h->nvalues > 0;
}

static int h_event(void *arg, const struct fcgi_event *ev)
{
	struct harness *h = arg;
	struct answer *a;

	if (ev->type == FCGI_EV_GET_VALUES_RESULT) {
		for (size_t i = 0; i < fcgi_params_count(ev->params); i++) {
			struct fcgi_nv nv;

			fcgi_params_at(ev->params, i, &nv);
			fcgi_params_add(&h->got_values, nv.name, nv.name_len,
					nv.value, nv.value_len);
		}
		h->nvalues++;
	}
	if (ev->request_id == 0 || ev->request_id > MAXREQ)
		return 0;
	a = &h->a[ev->request_id];
	switch (ev->type) {
	case FCGI_EV_STDOUT:
		fcgi_buf_append(&a->out, ev->data, ev->len);
		break;
	case FCGI_EV_STDERR:
		fcgi_buf_append(&a->err, ev->data, ev->len);
		break;
	case FCGI_EV_END:
		a->done = 1;
		a->app = ev->app_status;
		a->pstatus = ev->protocol_status;
		break;
	default:
		break;
	}
	return 0;
}

static void h_violation(void *arg, const struct fcgi_violation *v)
{
	struct harness *h = arg;

	h->violations[v->code]++;
}

static char rbuf[65536];

static void h_alloc(uv_handle_t *x, size_t hint, uv_buf_t *b)
{
	(void)x;
	(void)hint;
	b->base = rbuf;
	b->len = sizeof(rbuf);
}

static void h_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct harness *h = s->data;

	if (n > 0) {
		fcgi_conn_recv(h->conn, FCGI_DIR_TO_WEB,
			       (const uint8_t *)b->base, (size_t)n);
		if (all_done(h))
			h_finish(h);
		return;
	}
	if (n < 0) {
		h->closed_by_server = 1;
		h_finish(h);
	}
}

static void h_connected(uv_stream_t *s, int status, void *arg)
{
	struct harness *h = arg;
	struct fcgi_params p, names;

	if (status != 0) {
		h->closed_by_server = 1;
		h_finish(h);
		return;
	}
	h->s = s;
	s->data = h;
	uv_read_start(s, h_alloc, h_read);
	if (h->values) {
		fcgi_params_init(&names, NULL);
		fcgi_params_add(&names, "FCGI_MAX_CONNS", 14, "", 0);
		fcgi_params_add(&names, "FCGI_MAX_REQS", 13, "", 0);
		fcgi_params_add(&names, "FCGI_MPXS_CONNS", 15, "", 0);
		fcgi_params_add(&names, "OTHER", 5, "", 0);
		assert_int_equal(fcgi_conn_get_values(h->conn, &names), 0);
		fcgi_params_fini(&names);
	}
	for (uint16_t id = 1; id <= MAXREQ; id++) {
		if (h->script[id] == NULL)
			continue;
		fcgi_params_init(&p, NULL);
		fcgi_params_add(&p, "SCRIPT_FILENAME", 15, h->script[id],
				strlen(h->script[id]));
		assert_int_equal(fcgi_conn_begin(h->conn, id, FCGI_RESPONDER,
						 FCGI_KEEP_CONN),
				 0);
		assert_int_equal(fcgi_conn_params(h->conn, id, &p), 0);
		assert_int_equal(
			fcgi_conn_stream(h->conn, id, FCGI_STDIN, NULL, 0), 0);
		fcgi_params_fini(&p);
	}
	h_flush(h);
}

static void on_guard(uv_timer_t *t)
{
	struct harness *h = t->data;

	fail_msg("the exchange did not finish in time");
	h_finish(h);
}

/* Set up h with a server (opts may be NULL) on a fresh unix socket, a
 * function runner over table, and the client's conn.  mem goes to the
 * server and the runner. */
static int h_init(struct harness *h, const struct fcgi_server_opts *opts,
		  const struct fcgi_mem *mem)
{
	struct fcgi_server_opts o;
	struct fcgi_callbacks cb;
	char err[256];
	int rc;

	memset(h, 0, sizeof(*h));
	for (int i = 0; i <= MAXREQ; i++) {
		fcgi_buf_init(&h->a[i].out, NULL, 0);
		fcgi_buf_init(&h->a[i].err, NULL, 0);
	}
	fcgi_params_init(&h->got_values, NULL);
	snprintf(h->dir, sizeof(h->dir), "/tmp/fcgi-test-server.XXXXXX");
	assert_non_null(mkdtemp(h->dir));
	assert_int_equal(uv_loop_init(&h->loop), 0);
	if (opts != NULL)
		o = *opts;
	else
		fcgi_server_opts_default(&o);
	o.mem = mem;
	rc = fcgi_func_runner_new(&h->runner, mem);
	if (rc != 0)
		return rc;
	rc = fcgi_func_runner_add_table(h->runner, "test", table);
	if (rc != 0)
		return rc;
	rc = fcgi_server_new(&h->srv, &h->loop, &o);
	if (rc != 0)
		return rc;
	fcgi_server_set_runner(h->srv, h->runner);
	snprintf(err, sizeof(err), "unix:%s/s.sock", h->dir);
	assert_int_equal(fcgi_addr_parse(&h->addr, err, err, sizeof(err)), 0);
	rc = fcgi_server_listen(h->srv, &h->addr, err, sizeof(err));
	if (rc != 0)
		return FCGI_ENOMEM; /* only memory can fail here */
	memset(&cb, 0, sizeof(cb));
	cb.on_event = h_event;
	cb.on_violation = h_violation;
	(void)fcgi_conn_new(&h->conn, FCGI_MODE_WEB, NULL, &cb, h);
	assert_non_null(h->conn);
	uv_timer_init(&h->loop, &h->guard);
	h->guard.data = h;
	uv_timer_start(&h->guard, on_guard, 20000, 0);
	return 0;
}

/* Run the exchange until the client is done and the server stopped. */
static void h_run(struct harness *h)
{
	assert_int_equal(fcgi_io_connect(&h->loop, &h->addr, h_connected, h),
			 0);
	assert_int_equal(fcgi_server_process(h->srv), 0);
}

static void h_free(struct harness *h)
{
	char path[128];

	fcgi_server_free(h->srv);
	fcgi_runner_free(h->runner);
	fcgi_conn_free(h->conn);
	if (!h->finished && h->conn != NULL)
		uv_close((uv_handle_t *)&h->guard, on_guard_closed);
	uv_run(&h->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&h->loop), 0);
	for (int i = 0; i <= MAXREQ; i++) {
		fcgi_buf_fini(&h->a[i].out);
		fcgi_buf_fini(&h->a[i].err);
	}
	fcgi_params_fini(&h->got_values);
	snprintf(path, sizeof(path), "%s/s.sock", h->dir);
	unlink(path);
	rmdir(h->dir);
}

static int out_has(const struct answer *a, const char *s)
{
	return a->out.len > 0 &&
	       memmem(a->out.data, a->out.len, s, strlen(s)) != NULL;
}

/* ---- tests ---- */

static void test_server_http_reason(void **state)
{
	struct fcgi_buf b;
	const char *want = "Status: 408 Request Timeout\r\n"
			   "Content-Type: text/plain\r\n\r\nbody\n";

	(void)state;
	assert_string_equal(fcgi_http_reason(408), "Request Timeout");
	assert_string_equal(fcgi_http_reason(504), "Gateway Timeout");
	assert_string_equal(fcgi_http_reason(299), "Success");
	assert_string_equal(fcgi_http_reason(599), "Server Error");
	fcgi_buf_init(&b, NULL, 0);
	assert_int_equal(fcgi_cgi_error_response(&b, 408, "body\n"), 0);
	assert_int_equal(b.len, strlen(want));
	assert_memory_equal(b.data, want, b.len);
	fcgi_buf_fini(&b);
}

static void test_server_new_rejects(void **state)
{
	struct fcgi_server_opts o;
	struct fcgi_server *s = NULL;
	uv_loop_t loop;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	fcgi_server_opts_default(&o);
	assert_int_equal(o.max_conns, 1024);
	assert_int_equal(o.timeout_status, 408);
	assert_int_equal(o.mpx, 1);
	assert_int_equal(o.unix_mode, 0600);
	o.max_reqs = 0;
	assert_int_equal(fcgi_server_new(&s, &loop, &o), FCGI_EINVAL);
	fcgi_server_opts_default(&o);
	o.timeout_status = 99;
	assert_int_equal(fcgi_server_new(&s, &loop, &o), FCGI_EINVAL);
	fcgi_server_opts_default(&o);
	o.out_low = o.out_high + 1;
	assert_int_equal(fcgi_server_new(&s, &loop, &o), FCGI_EINVAL);
	assert_int_equal(fcgi_server_new(&s, &loop, NULL), 0);
	/* No listener: nothing to process. */
	assert_int_equal(fcgi_server_process(s), FCGI_EINVAL);
	fcgi_server_free(s);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_server_runner_errors(void **state)
{
	struct fcgi_runner *f, *e;
	char err[256];

	(void)state;
	assert_int_equal(fcgi_func_runner_new(&f, NULL), 0);
	err[0] = '\0';
	assert_int_equal(fcgi_func_runner_add_lib(f, "/nonexistent/x.so", err,
						  sizeof(err)),
			 FCGI_EIO);
	assert_non_null(strstr(err, "/nonexistent/x.so"));
	assert_int_equal(fcgi_func_runner_add_table(f, NULL, table),
			 FCGI_EINVAL);
	assert_int_equal(fcgi_exec_runner_new(&e, "/nonexistent", NULL, err,
					      sizeof(err)),
			 FCGI_EINVAL);
	assert_string_equal(err, "No such file or directory");
	assert_int_equal(fcgi_exec_runner_new(&e, "/etc/hostname", NULL, err,
					      sizeof(err)),
			 FCGI_EINVAL);
	assert_int_equal(
		fcgi_exec_runner_new(&e, "/tmp", NULL, err, sizeof(err)), 0);
	/* A table or a library only goes into a function runner. */
	assert_int_equal(fcgi_func_runner_add_table(e, "t", table),
			 FCGI_EINVAL);
	assert_int_equal(fcgi_func_runner_add_lib(e, "x.so", err, sizeof(err)),
			 FCGI_EINVAL);
	/* Isolation: a function runner's only, known modes, bounded. */
	assert_int_equal(
		fcgi_func_runner_set_isolation(e, FCGI_ISOLATE_POOL, 4),
		FCGI_EINVAL);
	assert_int_equal(
		fcgi_func_runner_set_isolation(f, (enum fcgi_isolate)7, 4),
		FCGI_EINVAL);
	assert_int_equal(fcgi_func_runner_set_isolation(f, FCGI_ISOLATE_POOL,
							FCGI_WORKERS_MAX + 1),
			 FCGI_EINVAL);
	assert_int_equal(fcgi_func_runner_set_isolation(f, FCGI_ISOLATE_POOL,
							FCGI_WORKERS_MAX),
			 0);
	assert_int_equal(
		fcgi_func_runner_set_isolation(f, FCGI_ISOLATE_REQUEST, 0), 0);
	assert_true(fcgi_default_workers() >= 4);
	assert_true(fcgi_default_workers() <= 64);
	fcgi_runner_free(e);
	fcgi_runner_free(f);
	fcgi_runner_free(NULL);
}

static void test_server_hello_and_values(void **state)
{
	struct harness h;
	struct fcgi_nv nv;
	struct fcgi_server_stats st;
	char name[160], want[160];

	(void)state;
	assert_int_equal(h_init(&h, NULL, NULL), 0);
	snprintf(want, sizeof(want), "unix:%s/s.sock", h.dir);
	assert_int_equal(fcgi_server_listener_count(h.srv), 1);
	assert_string_equal(
		fcgi_server_listener_name(h.srv, 0, name, sizeof(name)), want);
	h.values = 1;
	h.script[1] = "/srv/www/hello";
	h.script[2] = "/srv/www/test:exit";
	h_run(&h);
	assert_true(h.a[1].done);
	assert_int_equal(h.a[1].app, 0);
	assert_int_equal(h.a[1].pstatus, FCGI_REQUEST_COMPLETE);
	assert_true(out_has(&h.a[1], "\r\n\r\nhi\n"));
	assert_true(h.a[2].done);
	assert_int_equal(h.a[2].app, 3);
	assert_true(out_has(&h.a[2], "Status: 503"));
	assert_int_equal(h.a[2].err.len, 4);
	assert_memory_equal(h.a[2].err.data, "err\n", 4);
	/* The names we know, with the real limits; not the others. */
	assert_int_equal(fcgi_params_count(&h.got_values), 3);
	assert_true(fcgi_params_gets(&h.got_values, "FCGI_MAX_REQS", &nv));
	assert_memory_equal(nv.value, "1024", 4);
	assert_true(fcgi_params_gets(&h.got_values, "FCGI_MPXS_CONNS", &nv));
	assert_memory_equal(nv.value, "1", 1);
	fcgi_server_stats(h.srv, &st);
	assert_int_equal(st.completed, 2);
	assert_int_equal(st.conns, 0);
	assert_int_equal(st.runs, 0);
	h_free(&h);
}

static void test_server_crash_and_unknown(void **state)
{
	struct harness h;

	(void)state;
	assert_int_equal(h_init(&h, NULL, NULL), 0);
	h.script[1] = "/www/crash";
	h.script[2] = "/www/nosuch";
	h.script[3] = "/www/hello";
	h_run(&h);
	assert_int_equal(h.a[1].app, 128 + SIGSEGV);
	assert_true(out_has(&h.a[1], "Status: 500 Internal Server Error"));
	assert_non_null(h.a[1].err.data);
	assert_non_null(memmem(h.a[1].err.data, h.a[1].err.len,
			       "function 'crash' killed by signal 11", 36));
	assert_int_equal(h.a[2].app, 127);
	assert_true(out_has(&h.a[2], "Status: 404 Not Found"));
	assert_int_equal(h.a[3].app, 0);
	h_free(&h);
}

/* The same three requests in both isolation modes, the pool with one
 * worker: the crash costs only its request, and the worker is replaced
 * for the next one. */
static void test_server_crash_isolation(void **state)
{
	struct harness h;
	struct fcgi_server_stats st;

	(void)state;
	for (int how = 0; how < 2; how++) {
		assert_int_equal(h_init(&h, NULL, NULL), 0);
		assert_int_equal(fcgi_func_runner_set_isolation(
					 h.runner,
					 how == 0 ? FCGI_ISOLATE_POOL
						  : FCGI_ISOLATE_REQUEST,
					 1),
				 0);
		h.script[1] = "/www/crash";
		h.script[2] = "/www/hello";
		h.script[3] = "/www/test:exit";
		h_run(&h);
		assert_int_equal(h.a[1].app, 128 + SIGSEGV);
		assert_true(
			out_has(&h.a[1], "Status: 500 Internal Server Error"));
		assert_non_null(h.a[1].err.data);
		assert_non_null(memmem(h.a[1].err.data, h.a[1].err.len,
				       "function 'crash' killed by signal 11",
				       36));
		assert_int_equal(h.a[2].app, 0);
		assert_true(out_has(&h.a[2], "\r\n\r\nhi\n"));
		assert_int_equal(h.a[3].app, 3);
		assert_int_equal(h.a[3].err.len, 4);
		fcgi_server_stats(h.srv, &st);
		assert_int_equal(st.completed, 3);
		assert_int_equal(st.runs, 0);
		/* Once requests have run, the mode stays. */
		assert_int_equal(fcgi_func_runner_set_isolation(
					 h.runner, FCGI_ISOLATE_POOL, 2),
				 how == 0 ? FCGI_EINVAL : 0);
		h_free(&h);
	}
}

static void test_server_timeout(void **state)
{
	struct harness h;
	struct fcgi_server_opts o;
	struct fcgi_server_stats st;

	(void)state;
	fcgi_server_opts_default(&o);
	o.timeout_ms = 200;
	assert_int_equal(h_init(&h, &o, NULL), 0);
	h.script[1] = "/www/sleep";
	h_run(&h);
	assert_int_equal(h.a[1].app, 408);
	assert_int_equal(h.a[1].pstatus, FCGI_REQUEST_COMPLETE);
	assert_true(h.a[1].out.len > 29);
	assert_memory_equal(h.a[1].out.data, "Status: 408 Request Timeout\r\n",
			    29);
	fcgi_server_stats(h.srv, &st);
	assert_int_equal(st.timeouts, 1);
	h_free(&h);
}

static void test_server_refusals(void **state)
{
	struct harness h;
	struct fcgi_server_opts o;

	(void)state;
	fcgi_server_opts_default(&o);
	o.mpx = 0;
	assert_int_equal(h_init(&h, &o, NULL), 0);
	h.script[1] = "/www/hello";
	h.script[2] = "/www/hello";
	h_run(&h);
	assert_int_equal(h.a[1].pstatus, FCGI_REQUEST_COMPLETE);
	assert_int_equal(h.a[2].pstatus, FCGI_CANT_MPX_CONN);
	/* A refusal is END_REQUEST alone, no stream records. */
	assert_int_equal(h.a[2].out.len, 0);
	h_free(&h);

	fcgi_server_opts_default(&o);
	o.max_reqs = 1;
	assert_int_equal(h_init(&h, &o, NULL), 0);
	h.script[1] = "/www/hello";
	h.script[2] = "/www/hello";
	h_run(&h);
	assert_int_equal(h.a[1].pstatus, FCGI_REQUEST_COMPLETE);
	assert_int_equal(h.a[2].pstatus, FCGI_OVERLOADED);
	h_free(&h);
}

static void test_server_params_limit(void **state)
{
	struct harness h;
	struct fcgi_server_opts o;

	(void)state;
	fcgi_server_opts_default(&o);
	o.limits.params_max_bytes = 10; /* SCRIPT_FILENAME alone is more */
	assert_int_equal(h_init(&h, &o, NULL), 0);
	h.script[1] = "/www/hello";
	h_run(&h);
	/* Not run with what fitted: refused. */
	assert_int_equal(h.a[1].app, 1);
	assert_true(out_has(&h.a[1], "Status: 431"));
	assert_non_null(h.a[1].err.data);
	assert_non_null(
		memmem(h.a[1].err.data, h.a[1].err.len, "params exceed", 13));
	h_free(&h);
}

/* ---- a test-only runner: raw bytes and closes ---- */

/* What a scripted run does, by SCRIPT_FILENAME. */
enum act {
	ACT_RAW_END,	 /* output, then its own END_REQUEST, raw */
	ACT_RAW_FOREIGN, /* a raw STDOUT record for request 9, then done */
	ACT_CLOSE,	 /* output, then close (flush) */
	ACT_RESET	 /* output, then close (reset) */
};

struct srun {
	struct fcgi_run run;
	const struct fcgi_run_cbs *cb;
	void *arg;
	uint16_t id;
	enum act act;
	uv_timer_t timer;
	bool aborted;
};

static void srun_closed(uv_handle_t *h)
{
	struct srun *r = h->data;

	r->cb->on_done(r->arg, 0, FCGI_REQUEST_COMPLETE);
}

static void srun_go(uv_timer_t *t)
{
	static const char out[] = "Content-Type: text/plain\r\n\r\npartial";
	struct srun *r = t->data;
	struct fcgi_end_body e;
	struct fcgi_buf b;
	uint8_t end[8];

	r->cb->on_stdout(r->arg, (const uint8_t *)out, strlen(out));
	fcgi_buf_init(&b, NULL, 0);
	switch (r->act) {
	case ACT_RAW_END:
		e.app_status = 42;
		e.protocol_status = FCGI_REQUEST_COMPLETE;
		fcgi_end_body_encode(end, &e);
		assert_int_equal(
			fcgi_record_encode(&b, FCGI_STDOUT, r->id, NULL, 0), 0);
		assert_int_equal(
			fcgi_record_encode(&b, FCGI_END_REQUEST, r->id, end, 8),
			0);
		r->cb->on_raw(r->arg, b.data, b.len);
		break;
	case ACT_RAW_FOREIGN:
		assert_int_equal(fcgi_record_encode(&b, FCGI_STDOUT, 9, "x", 1),
				 0);
		r->cb->on_raw(r->arg, b.data, b.len);
		break;
	case ACT_CLOSE:
		r->cb->on_close_conn(r->arg, FCGI_CLOSE_FLUSH);
		break;
	case ACT_RESET:
		r->cb->on_close_conn(r->arg, FCGI_CLOSE_RESET);
		break;
	}
	fcgi_buf_fini(&b);
	uv_close((uv_handle_t *)&r->timer, srun_closed);
}

static ssize_t srun_write(struct fcgi_run *run, const uint8_t *d, size_t n)
{
	(void)run;
	(void)d;
	(void)n;
	return 0;
}

static void srun_close_stdin(struct fcgi_run *run)
{
	(void)run;
}

static void srun_pause(struct fcgi_run *run, bool paused)
{
	(void)run;
	(void)paused;
}

static void srun_abort(struct fcgi_run *run)
{
	((struct srun *)run)->aborted = true;
}

static void srun_destroy(struct fcgi_run *run)
{
	free(run);
}

static const struct fcgi_run_ops srun_ops = {
	.name = "scripted",
	.write_stdin = srun_write,
	.close_stdin = srun_close_stdin,
	.pause = srun_pause,
	.abort = srun_abort,
	.destroy = srun_destroy,
};

static int srun_start(void *self, const struct fcgi_run_info *info,
		      struct fcgi_run **out)
{
	static const char *const names[] = { "raw-end", "raw-foreign", "close",
					     "reset" };
	struct fcgi_nv nv;
	struct srun *r;

	(void)self;
	r = calloc(1, sizeof(*r));
	assert_non_null(r);
	r->run.ops = &srun_ops;
	r->cb = info->cb;
	r->arg = info->arg;
	r->id = info->request_id;
	assert_true(fcgi_params_gets(info->params, "SCRIPT_FILENAME", &nv));
	for (int i = 0; i < 4; i++)
		if (nv.value_len == strlen(names[i]) &&
		    memcmp(nv.value, names[i], nv.value_len) == 0)
			r->act = (enum act)i;
	uv_timer_init(info->loop, &r->timer);
	r->timer.data = r;
	uv_timer_start(&r->timer, srun_go, 10, 0);
	*out = &r->run;
	return 0;
}

static const struct fcgi_runner_ops scripted_ops = {
	.name = "scripted",
	.start = srun_start,
};

/* Swap h's runner for the scripted one. */
static void h_scripted(struct harness *h)
{
	fcgi_runner_free(h->runner);
	assert_int_equal(fcgi_runner_new(&h->runner, &scripted_ops, NULL, NULL),
			 0);
	fcgi_server_set_runner(h->srv, h->runner);
}

/* A run's raw END_REQUEST ends its request on the wire: the server sends
 * no second one, and serves the next request. */
static void test_server_raw_end(void **state)
{
	struct harness h;
	struct fcgi_server_stats st;

	(void)state;
	assert_int_equal(h_init(&h, NULL, NULL), 0);
	h_scripted(&h);
	h.script[1] = "raw-end";
	h.script[2] = "raw-foreign";
	h_run(&h);
	assert_true(h.a[1].done);
	assert_int_equal(h.a[1].app, 42);
	assert_true(out_has(&h.a[1], "\r\n\r\npartial"));
	/* The foreign record reached the client as sent, and the request
	 * it came with was ended by the server as usual. */
	assert_true(h.a[2].done);
	assert_int_equal(h.a[2].app, 0);
	assert_int_equal(h.violations[FCGI_V_NO_BEGIN], 1);
	assert_int_equal(h.violations[FCGI_V_AFTER_END_REQUEST], 0);
	assert_int_equal(h.violations[FCGI_V_STREAM_AFTER_END], 0);
	assert_false(h.closed_by_server);
	fcgi_server_stats(h.srv, &st);
	assert_int_equal(st.completed, 2);
	h_free(&h);
}

/* on_close_conn: what was queued arrives first (flush), then the end of
 * the connection, with no END_REQUEST. */
static void test_server_runner_closes(void **state)
{
	struct harness h;

	(void)state;
	for (int how = 0; how < 2; how++) {
		assert_int_equal(h_init(&h, NULL, NULL), 0);
		h_scripted(&h);
		h.script[1] = how == 0 ? "close" : "reset";
		h_run(&h);
		assert_true(h.closed_by_server);
		assert_false(h.a[1].done);
		if (how == 0)
			assert_true(out_has(&h.a[1], "\r\n\r\npartial"));
		h_free(&h);
	}
}

/* One whole exchange with mem failing somewhere: the client gets a whole
 * answer or a clean refusal or close, the loop ends, nothing leaks. */
static int sweep_exchange(void *arg, const struct fcgi_mem *mem)
{
	const struct failmem *f = (const struct failmem *)(const void *)mem;
	struct harness h;
	int rc, ok;

	(void)arg;
	rc = h_init(&h, NULL, mem);
	if (rc != 0) {
		if (h.srv == NULL && h.runner != NULL) {
			fcgi_runner_free(h.runner);
			h.runner = NULL;
		}
		/* What was made is freed by h_free when it exists. */
		if (h.srv != NULL || h.runner != NULL) {
			h.finished = 1;
			h_free(&h);
		} else {
			uv_loop_close(&h.loop);
			rmdir(h.dir);
			fcgi_params_fini(&h.got_values);
		}
		return rc;
	}
	h.script[1] = "/www/hello";
	h.script[2] = "/www/test:exit";
	h_run(&h);
	ok = h.a[1].done && h.a[1].pstatus == FCGI_REQUEST_COMPLETE &&
	     h.a[1].app == 0 && out_has(&h.a[1], "hi\n") && h.a[2].done &&
	     h.a[2].app == 3;
	if (!ok) {
		/* Only allowed when memory failed: then every answer that
		 * did come is whole, or a refusal. */
		assert_true(f->failed > 0);
		for (int id = 1; id <= 2; id++)
			if (h.a[id].done &&
			    h.a[id].pstatus == FCGI_REQUEST_COMPLETE &&
			    h.a[id].app == 0)
				assert_true(out_has(&h.a[id], "hi\n"));
	}
	h_free(&h);
	return f->failed > 0 ? FCGI_ENOMEM : 0;
}

static void test_server_alloc_sweep(void **state)
{
	char why[160] = "";
	long hits;

	(void)state;
	hits = failmem_sweep(sweep_exchange, NULL, 400, why, sizeof(why));
	if (hits < 0)
		fail_msg("%s", why);
	print_message("%ld allocation failures swept\n", hits);
	assert_true(hits > 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_server_http_reason),
		cmocka_unit_test(test_server_new_rejects),
		cmocka_unit_test(test_server_runner_errors),
		cmocka_unit_test(test_server_hello_and_values),
		cmocka_unit_test(test_server_crash_and_unknown),
		cmocka_unit_test(test_server_crash_isolation),
		cmocka_unit_test(test_server_timeout),
		cmocka_unit_test(test_server_refusals),
		cmocka_unit_test(test_server_params_limit),
		cmocka_unit_test(test_server_raw_end),
		cmocka_unit_test(test_server_runner_closes),
		cmocka_unit_test(test_server_alloc_sweep),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
