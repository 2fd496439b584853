/* SPDX-License-Identifier: MIT */
/*
 * test-run-mock.c - the scripted runner in process: a server with a mock
 * runner whose plays the test writes by hand, and a client on the same
 * loop over a unix socket.  Framing, raw records and on_answered, the end
 * of a play without an answer, closes, the body and its digest, pauses
 * under a large answer, aborts, GET_VALUES and handing a request to the
 * function runner.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fcgi-uv.h"

/* ---- a responder that plays what the test says ---- */

struct script {
	const struct fcgi_mock_step *steps;
	size_t n;
	bool early;
	/* what end() saw */
	int ends;
	bool aborted, answered;
	uint64_t body_total;
	uint8_t sha[32];
	struct fcgi_mock_play play;
	int values; /* 1: answer GET_VALUES with raw bytes */
};

static int r_decide(void *arg, struct fcgi_mock_req *req, bool peek,
		    const struct fcgi_mock_play **play)
{
	struct script *s = arg;

	if (peek && !s->early)
		return FCGI_EPARTIAL;
	assert_true(peek || req->body_done);
	s->play.steps = s->steps;
	s->play.n = s->n;
	s->play.early = s->early;
	*play = &s->play;
	return 0;
}

static void r_end(void *arg, struct fcgi_mock_req *req)
{
	struct script *s = arg;

	s->ends++;
	s->aborted = req->aborted;
	s->answered = req->answered;
	s->body_total = req->body_total;
	memcpy(s->sha, req->body_sha256, 32);
}

static int r_values(void *arg, const struct fcgi_params *names,
		    struct fcgi_buf *out)
{
	struct script *s = arg;

	(void)names;
	if (!s->values)
		return 0;
	return fcgi_record_encode(out, FCGI_GET_VALUES_RESULT, 0,
				  "\x0f\x01"
				  "FCGI_MPXS_CONNS7",
				  18) == 0
		       ? 1
		       : -1;
}

/* ---- server and client on one loop ---- */

struct env {
	uv_loop_t loop;
	struct fcgi_server *srv;
	struct fcgi_runner *runner, *fn;
	struct fcgi_client *cli;
	struct fcgi_addr addr;
	char dir[64];
	struct script s;
};

static int hello(const struct fcgi_params *p, FILE *in, FILE *out, FILE *err)
{
	(void)p;
	(void)in;
	(void)err;
	fputs("Content-Type: text/plain\r\n\r\nhi\n", out);
	return 0;
}

/* The length of the body it reads. */
static int count(const struct fcgi_params *p, FILE *in, FILE *out, FILE *err)
{
	size_t n = 0;

	(void)p;
	(void)err;
	while (fgetc(in) != EOF)
		n++;
	fprintf(out, "Content-Type: text/plain\r\n\r\n%zu\n", n);
	return 0;
}

static const struct fcgi_fn_entry fns[] = { { "hello", hello },
					    { "count", count },
					    { NULL, NULL } };

static void env_up(struct env *e, uint64_t timeout_ms)
{
	struct fcgi_mock_responder resp = { r_decide, r_end, r_values, NULL };
	struct fcgi_mock_runner_opts ro;
	struct fcgi_server_opts so;
	struct fcgi_client_opts co;
	char path[128], err[256];

	resp.arg = &e->s;
	assert_int_equal(uv_loop_init(&e->loop), 0);
	snprintf(e->dir, sizeof(e->dir), "/tmp/test-run-mock.XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	snprintf(path, sizeof(path), "unix:%s/s.sock", e->dir);
	assert_int_equal(fcgi_addr_parse(&e->addr, path, err, sizeof(err)), 0);
	assert_int_equal(fcgi_func_runner_new(&e->fn, NULL), 0);
	assert_int_equal(
		fcgi_func_runner_set_isolation(e->fn, FCGI_ISOLATE_REQUEST, 0),
		0);
	assert_int_equal(fcgi_func_runner_add_table(e->fn, "t", fns), 0);
	memset(&ro, 0, sizeof(ro));
	ro.fn = e->fn;
	ro.body_max = 1000;
	assert_int_equal(fcgi_mock_runner_new(&e->runner, &resp, &ro), 0);
	fcgi_server_opts_default(&so);
	so.timeout_ms = timeout_ms;
	assert_int_equal(fcgi_server_new(&e->srv, &e->loop, &so), 0);
	fcgi_server_set_runner(e->srv, e->runner);
	assert_int_equal(fcgi_server_listen(e->srv, &e->addr, err, sizeof(err)),
			 0);
	fcgi_client_opts_default(&co);
	co.timeout_ms = 5000;
	assert_int_equal(fcgi_client_new(&e->cli, &e->loop, &e->addr, &co), 0);
}

static void env_down(struct env *e)
{
	char path[128];

	fcgi_client_free(e->cli);
	fcgi_server_stop(e->srv);
	uv_run(&e->loop, UV_RUN_DEFAULT);
	fcgi_server_free(e->srv);
	fcgi_runner_free(e->runner);
	fcgi_runner_free(e->fn);
	uv_run(&e->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&e->loop), 0);
	snprintf(path, sizeof(path), "%s/s.sock", e->dir);
	unlink(path);
	rmdir(e->dir);
}

struct call {
	struct fcgi_client_req *r;
	int done;
};

static void on_done(struct fcgi_client_req *r,
		    const struct fcgi_client_result *res, void *arg)
{
	struct call *c = arg;

	(void)r;
	(void)res;
	c->done = 1;
}

static const struct fcgi_client_req_cb call_cb = { .on_done = on_done };

/* One request with body (len bytes, may be NULL) and the given abort;
 * runs the loop until it is done.  Free with fcgi_client_req_free. */
static const struct fcgi_client_result *ask(struct env *e, struct call *c,
					    const void *body, size_t len,
					    uint64_t abort_after, bool values)
{
	struct fcgi_client_req_opts o;
	struct fcgi_params p;

	memset(&o, 0, sizeof(o));
	fcgi_params_init(&p, NULL);
	fcgi_params_add(&p, "SCRIPT_NAME", 11, "/x", 2);
	o.params = &p;
	o.collect = 1;
	o.cb = &call_cb;
	o.arg = c;
	o.abort_after_ms = abort_after;
	if (values)
		o.get_values = &p;
	if (body != NULL) {
		o.in.kind = FCGI_BODY_MEM;
		o.in.data = body;
		o.in.len = len;
	}
	c->done = 0;
	assert_int_equal(fcgi_client_req_new(&c->r, e->cli, &o), 0);
	fcgi_params_fini(&p);
	assert_int_equal(fcgi_client_process(c->r), 0);
	for (int i = 0; i < 100000 && !c->done; i++)
		uv_run(&e->loop, UV_RUN_ONCE);
	assert_true(c->done);
	/* Let the runner's end come after the answer (a timer away). */
	for (int i = 0; i < 2000 && e->s.ends == 0; i++) {
		uv_run(&e->loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
	return fcgi_client_req_result(c->r);
}

static size_t spec_violations(const struct fcgi_client_result *res)
{
	size_t n = 0;

	for (size_t i = 0; i < res->n_violations; i++)
		n += res->violations[i].severity != FCGI_SEV_NOTE;
	return n;
}

static const uint8_t hdr[] = "Status: 201 Created\r\n\r\n";

static uint8_t end_rec[16];

/* END_REQUEST of request 1 with appStatus app, as a WRITE step's data. */
static const uint8_t *end_bytes(uint32_t app, uint8_t ps)
{
	struct fcgi_end_body b = { app, ps };

	end_rec[0] = 1;
	end_rec[1] = FCGI_END_REQUEST;
	end_rec[2] = 0;
	end_rec[3] = 1;
	end_rec[4] = 0;
	end_rec[5] = 8;
	end_rec[6] = 0;
	end_rec[7] = 0;
	fcgi_end_body_encode(end_rec + 8, &b);
	return end_rec;
}

#define STREAM(d, l, g, size, pad)                                           \
	{                                                                    \
		.op = FCGI_MOCK_STREAM, .data = (d), .len = (l), .gen = (g), \
		.type = FCGI_STDOUT, .version = 1, .request_id = 1,          \
		.record_size = (size), .padding = (pad)                      \
	}
#define WRITE(d, l)                                            \
	{                                                      \
		.op = FCGI_MOCK_WRITE, .data = (d), .len = (l) \
	}
#define OP(o)             \
	{                 \
		.op = (o) \
	}

static void test_run_mock_framing(void **state)
{
	struct fcgi_mock_step steps[] = {
		STREAM(hdr, sizeof(hdr) - 1, 0, 65528, -1),
		STREAM((const uint8_t *)"hello", 5, 70, 3, 0),
		STREAM(NULL, 0, 0, 65528, -1),
		WRITE(end_bytes(7, 0), 16),
		OP(FCGI_MOCK_ANSWERED),
	};
	const struct fcgi_client_result *res;
	struct env e;
	struct call c;

	(void)state;
	memset(&e, 0, sizeof(e));
	e.s.steps = steps;
	e.s.n = 5;
	env_up(&e, 0);
	res = ask(&e, &c, "abc", 3, 0, false);
	assert_int_equal(res->error, 0);
	assert_int_equal(res->status, 201);
	assert_int_equal(res->app_status, 7);
	assert_int_equal(res->body.len, 75);
	assert_memory_equal(res->body.data, "hello0123456789", 15);
	assert_memory_equal(res->body.data + 5 + 63, "\n0123456", 7);
	/* No second END_REQUEST from the server, no violation (but notes
	 * on the records left unaligned). */
	assert_int_equal(spec_violations(res), 0);
	assert_true(res->n_violations > 0);
	assert_int_equal(e.s.ends, 1);
	assert_true(e.s.answered);
	assert_false(e.s.aborted);
	assert_int_equal(e.s.body_total, 3);
	/* SHA-256("abc") */
	assert_int_equal(e.s.sha[0], 0xba);
	assert_int_equal(e.s.sha[31], 0xad);
	fcgi_client_req_free(c.r);
	env_down(&e);
}

/* A play that stops without an answer waits; the one timeout answers. */
static void test_run_mock_hang_timeout(void **state)
{
	struct fcgi_mock_step steps[] = {
		STREAM(hdr, 10, 0, 65528, -1), /* half a header block */
		OP(FCGI_MOCK_DELAY),
	};
	const struct fcgi_client_result *res;
	struct env e;
	struct call c;

	(void)state;
	steps[1].ms = 60000;
	memset(&e, 0, sizeof(e));
	e.s.steps = steps;
	e.s.n = 2;
	env_up(&e, 300);
	res = ask(&e, &c, NULL, 0, 0, false);
	/* Half a header block, then the streams' ends: the client names
	 * the broken CGI response (issue 14, item 9), and END_REQUEST
	 * carries the timeout's appStatus. */
	assert_int_equal(res->error, FCGI_EPROTO);
	assert_true(res->ended);
	assert_int_equal(res->app_status, 408);
	assert_int_equal(spec_violations(res), 0);
	assert_int_equal(e.s.ends, 1);
	assert_true(e.s.aborted);
	fcgi_client_req_free(c.r);
	env_down(&e);
}

/* An ABORT_REQUEST stops the play; the server ends the request. */
static void test_run_mock_abort(void **state)
{
	struct fcgi_mock_step steps[] = {
		OP(FCGI_MOCK_HANG),
	};
	const struct fcgi_client_result *res;
	struct env e;
	struct call c;

	(void)state;
	memset(&e, 0, sizeof(e));
	e.s.steps = steps;
	e.s.n = 1;
	env_up(&e, 0);
	res = ask(&e, &c, NULL, 0, 50, false);
	assert_int_equal(res->error, 0);
	assert_true(res->ended);
	assert_int_equal(res->app_status, 0);
	assert_true(e.s.aborted);
	fcgi_client_req_free(c.r);
	env_down(&e);
}

static void test_run_mock_close(void **state)
{
	struct fcgi_mock_step steps[] = {
		STREAM(hdr, sizeof(hdr) - 1, 0, 65528, -1),
		OP(FCGI_MOCK_CLOSE),
		STREAM(hdr, sizeof(hdr) - 1, 0, 65528, -1),
	};
	const struct fcgi_client_result *res;
	struct env e;
	struct call c;

	(void)state;
	memset(&e, 0, sizeof(e));
	e.s.steps = steps;
	e.s.n = 3;
	e.s.early = true;
	env_up(&e, 0);
	res = ask(&e, &c, NULL, 0, 0, false);
	assert_int_equal(res->error, FCGI_ECLOSED);
	assert_int_equal(res->status, 201);
	assert_int_equal(e.s.ends, 1);
	fcgi_client_req_free(c.r);
	env_down(&e);
}

/* 4 MiB generated, far past the server's output high-water mark: the
 * runner is paused and resumed, and every byte arrives in order. */
static void test_run_mock_big(void **state)
{
	struct fcgi_mock_step steps[] = {
		STREAM(hdr, sizeof(hdr) - 1, 4u << 20, 65528, -1),
		STREAM(NULL, 0, 0, 65528, -1),
		WRITE(end_bytes(0, 0), 16),
		OP(FCGI_MOCK_ANSWERED),
	};
	const struct fcgi_client_result *res;
	static const char line[] = FCGI_MOCK_GEN_LINE;
	struct env e;
	struct call c;

	(void)state;
	memset(&e, 0, sizeof(e));
	e.s.steps = steps;
	e.s.n = 4;
	env_up(&e, 0);
	res = ask(&e, &c, NULL, 0, 0, false);
	assert_int_equal(res->error, 0);
	assert_int_equal(res->body.len, 4u << 20);
	for (size_t i = 0; i < res->body.len; i += 4099)
		assert_int_equal(res->body.data[i], (uint8_t)line[i % 64]);
	assert_int_equal(spec_violations(res), 0);
	fcgi_client_req_free(c.r);
	env_down(&e);
}

/* The body is hashed whole but kept only up to body_max. */
static void test_run_mock_body(void **state)
{
	struct fcgi_mock_step steps[] = {
		STREAM(hdr, sizeof(hdr) - 1, 0, 65528, -1),
	};
	const struct fcgi_client_result *res;
	static uint8_t body[100000];
	struct fcgi_sha256 sha;
	uint8_t want[32];
	struct env e;
	struct call c;

	(void)state;
	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (uint8_t)(i * 7);
	fcgi_sha256_init(&sha);
	fcgi_sha256_update(&sha, body, sizeof(body));
	fcgi_sha256_final(&sha, want);
	memset(&e, 0, sizeof(e));
	e.s.steps = steps;
	e.s.n = 1;
	env_up(&e, 0);
	/* The play does not answer: it waits until the client aborts. */
	res = ask(&e, &c, body, sizeof(body), 300, false);
	assert_true(res->ended);
	assert_int_equal(e.s.body_total, sizeof(body));
	assert_memory_equal(e.s.sha, want, 32);
	fcgi_client_req_free(c.r);
	env_down(&e);
}

static void test_run_mock_values(void **state)
{
	struct fcgi_mock_step steps[] = { OP(FCGI_MOCK_HANG) };
	const struct fcgi_client_result *res;
	struct fcgi_nv nv;
	struct env e;
	struct call c;

	(void)state;
	memset(&e, 0, sizeof(e));
	e.s.steps = steps;
	e.s.n = 1;
	e.s.values = 1;
	env_up(&e, 0);
	res = ask(&e, &c, NULL, 0, 0, true);
	assert_int_equal(res->error, 0);
	assert_true(fcgi_params_gets(res->values, "FCGI_MPXS_CONNS", &nv));
	assert_int_equal(nv.value_len, 1);
	assert_int_equal(nv.value[0], '7');
	fcgi_client_req_free(c.r);
	env_down(&e);
}

static void test_run_mock_delegate(void **state)
{
	static uint8_t big[300000];
	struct fcgi_mock_step steps[] = {
		{ .op = FCGI_MOCK_DELEGATE, .runner = 0, .name = "t:hello" },
	};
	const struct fcgi_client_result *res;
	struct env e;
	struct call c;

	(void)state;
	memset(&e, 0, sizeof(e));
	e.s.steps = steps;
	e.s.n = 1;
	env_up(&e, 0);
	res = ask(&e, &c, "in", 2, 0, false);
	assert_int_equal(res->error, 0);
	assert_int_equal(res->body.len, 3);
	assert_memory_equal(res->body.data, "hi\n", 3);
	assert_int_equal(e.s.ends, 1);
	fcgi_client_req_free(c.r);
	env_down(&e);
	/* A body far larger than what the runner keeps reaches the
	 * function whole: an early play hands the request over at once. */
	steps[0].name = "t:count";
	memset(&e, 0, sizeof(e));
	e.s.steps = steps;
	e.s.n = 1;
	e.s.early = true;
	env_up(&e, 0);
	res = ask(&e, &c, big, sizeof(big), 0, false);
	assert_int_equal(res->error, 0);
	assert_int_equal(res->body.len, 7);
	assert_memory_equal(res->body.data, "300000\n", 7);
	assert_int_equal(e.s.body_total, 300000);
	fcgi_client_req_free(c.r);
	env_down(&e);
	/* No runner to hand to: a 500. */
	steps[0].runner = 1;
	memset(&e, 0, sizeof(e));
	e.s.steps = steps;
	e.s.n = 1;
	env_up(&e, 0);
	res = ask(&e, &c, NULL, 0, 0, false);
	assert_int_equal(res->status, 500);
	assert_int_equal(res->app_status, 1);
	fcgi_client_req_free(c.r);
	env_down(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_mock_framing),
		cmocka_unit_test(test_run_mock_hang_timeout),
		cmocka_unit_test(test_run_mock_abort),
		cmocka_unit_test(test_run_mock_close),
		cmocka_unit_test(test_run_mock_big),
		cmocka_unit_test(test_run_mock_body),
		cmocka_unit_test(test_run_mock_values),
		cmocka_unit_test(test_run_mock_delegate),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
