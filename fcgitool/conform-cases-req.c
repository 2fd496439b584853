/* SPDX-License-Identifier: MIT */
/*
 * conform-cases-req.c - cases for FastCGI 1.0 sections 5 and 6:
 * BEGIN_REQUEST (roles, flags, KEEP_CONN, malformed bodies and ids),
 * STDIN and CONTENT_LENGTH, ABORT_REQUEST in each phase, END_REQUEST, and
 * the Responder, Authorizer and Filter roles.
 */
#include <stdlib.h>
#include <string.h>

#include "conform-cases.h"

/* ---- KEEP_CONN ------------------------------------------------------------ */

static void b_keep_0(struct cf_script *s)
{
	sb_request(s, 1, 0, NULL, 0);
	sb_wait_end(s, 1);
	sb_step(s, OP_WAIT_CLOSE, 0, (uint32_t)s->ctx->timeout_ms);
}

/* Request 1 answered, and the server closed after it (or not). */
static void j_keep(struct cf_verdict *v, const struct cf_case *k,
		   const struct cf_script *s, const struct cf_outcome *o,
		   bool want_close)
{
	const struct cf_conn_out *co = &o->conn[0];
	char got[240];

	if (cf_classify(s, o, 0, 1, -1, got, sizeof(got)) != A_OK) {
		cf_verdict_set(v, cf_level_grade(k->level), "%s", got);
		return;
	}
	if (want_close && co->closed == CL_OPEN)
		cf_verdict_set(v, cf_level_grade(k->level),
			       "answered, but the connection was still open "
			       "%g s after END_REQUEST",
			       (double)s->ctx->timeout_ms / 1000.0);
	else if (!want_close && co->closed != CL_OPEN)
		cf_verdict_set(v, cf_level_grade(k->level),
			       "answered, but the application %s the "
			       "connection",
			       co->closed == CL_RESET ? "reset" : "closed");
	else
		cf_verdict_set(v, CF_PASS, "answered, and the connection %s",
			       want_close ? "closed" : "kept");
}

static void j_keep_0(struct cf_verdict *v, const struct cf_case *k,
		     const struct cf_script *s, const struct cf_outcome *o)
{
	j_keep(v, k, s, o, true);
}

static void b_keep_1(struct cf_script *s)
{
	sb_request(s, 1, FCGI_KEEP_CONN, NULL, 0);
	sb_wait_end(s, 1);
	sb_quiet(s);
}

static void j_keep_1(struct cf_verdict *v, const struct cf_case *k,
		     const struct cf_script *s, const struct cf_outcome *o)
{
	j_keep(v, k, s, o, false);
}

static void b_keep_reuse(struct cf_script *s)
{
	sb_request(s, 1, FCGI_KEEP_CONN, NULL, 0);
	sb_wait_end(s, 1);
	sb_request(s, 2, 0, NULL, 0);
	b_finish(s, 2);
}

/* Requests first..last on conn 0 all answered. */
static void all_answered(struct cf_verdict *v, const struct cf_case *k,
			 const struct cf_script *s, const struct cf_outcome *o,
			 uint16_t first, uint16_t last)
{
	char got[240];
	unsigned a;
	uint16_t id;

	for (id = first; id <= last; id++) {
		a = cf_classify(s, o, 0, id, -1, got, sizeof(got));
		if (!(a & k->pass)) {
			cf_verdict_set(v,
				       (a & k->warn) ? CF_WARN
						     : cf_level_grade(k->level),
				       "request %u: %s", (unsigned)id, got);
			return;
		}
	}
	cf_verdict_set(v, CF_PASS, "all %u requests answered",
		       (unsigned)(last - first + 1));
}

static void j_two(struct cf_verdict *v, const struct cf_case *k,
		  const struct cf_script *s, const struct cf_outcome *o)
{
	all_answered(v, k, s, o, 1, 2);
}

static void b_keep_ten(struct cf_script *s)
{
	uint16_t id;

	for (id = 1; id <= 10; id++) {
		sb_request(s, id, FCGI_KEEP_CONN, NULL, 0);
		sb_wait_end(s, id);
	}
}

static void j_ten(struct cf_verdict *v, const struct cf_case *k,
		  const struct cf_script *s, const struct cf_outcome *o)
{
	all_answered(v, k, s, o, 1, 10);
}

/* KEEP_CONN, then a request without it: the server closes after it. */
static void b_keep_last(struct cf_script *s)
{
	sb_request(s, 1, FCGI_KEEP_CONN, NULL, 0);
	sb_wait_end(s, 1);
	sb_request(s, 2, 0, NULL, 0);
	sb_wait_end(s, 2);
	sb_step(s, OP_WAIT_CLOSE, 0, (uint32_t)s->ctx->timeout_ms);
}

static void j_keep_last(struct cf_verdict *v, const struct cf_case *k,
			const struct cf_script *s, const struct cf_outcome *o)
{
	all_answered(v, k, s, o, 1, 2);
	if (v->grade == CF_PASS && o->conn[0].closed == CL_OPEN)
		cf_verdict_set(v, cf_level_grade(k->level),
			       "both answered, but the connection stayed open "
			       "after the request without KEEP_CONN");
	else if (v->grade == CF_PASS && o->conn[0].close_step >= 0 &&
		 cf_outcome_req(o, 0, 2) == NULL)
		cf_verdict_set(v, cf_level_grade(k->level),
			       "closed after the first request");
}

static void flags_req(struct cf_script *s, uint8_t flags)
{
	sb_request(s, 1, flags, NULL, 0);
	sb_wait_end(s, 1);
	if (flags & FCGI_KEEP_CONN)
		sb_quiet(s);
	else
		sb_step(s, OP_WAIT_CLOSE, 0, (uint32_t)s->ctx->timeout_ms);
}

static void b_flags_fe(struct cf_script *s)
{
	flags_req(s, 0xfe);
}

static void b_flags_ff(struct cf_script *s)
{
	flags_req(s, 0xff);
}

static void b_begin_reserved(struct cf_script *s)
{
	static const uint8_t body[8] = { 0,    FCGI_RESPONDER, 0,    0xff,
					 0xff, 0xff,	       0xff, 0xff };
	struct rq q;

	rq_init(&q);
	sb_rec(s, FCGI_BEGIN_REQUEST, 1, body, sizeof(body));
	rq_params(s, &q);
	rq_stdin(s, &q);
	b_finish(s, 1);
}

/* ---- roles ---------------------------------------------------------------- */

static void role_req(struct cf_script *s, uint16_t role, uint8_t flags)
{
	struct rq q;

	rq_init(&q);
	q.role = role;
	q.flags = flags;
	q.no_echo = true;
	rq_build(s, &q);
}

static void b_role_authorizer(struct cf_script *s)
{
	role_req(s, FCGI_AUTHORIZER, 0);
	b_finish(s, 1);
}

static void b_role_filter(struct cf_script *s)
{
	static const char data[] = "filter me";
	struct fcgi_params p;
	struct rq q;

	if (cf_params_for(s->ctx, &p, 0) != 0 ||
	    fcgi_params_set(&p, "FCGI_DATA_LENGTH", 16, "9", 1) != 0 ||
	    fcgi_params_set(&p, "FCGI_DATA_LAST_MOD", 18, "0", 1) != 0)
		s->err = FCGI_ENOMEM;
	rq_init(&q);
	q.role = FCGI_FILTER;
	q.params = &p;
	q.with_data = true;
	q.data = data;
	q.ndata = 9;
	q.no_echo = true;
	rq_build(s, &q);
	b_finish(s, 1);
	fcgi_params_fini(&p);
}

static void b_role_0(struct cf_script *s)
{
	role_req(s, 0, 0);
	b_finish(s, 1);
}

static void b_role_4(struct cf_script *s)
{
	role_req(s, 4, 0);
	b_finish(s, 1);
}

static void b_role_65535(struct cf_script *s)
{
	role_req(s, 65535, 0);
	b_finish(s, 1);
}

/* BEGIN_REQUEST with role 7 alone: the refusal need not wait for the
 * params. */
static void b_role_alone(struct cf_script *s)
{
	sb_begin(s, 1, 7, 0);
	sb_wait_end(s, 1);
}

/* Role 9 with KEEP_CONN, refused; then a request on the same
 * connection. */
static void b_role_keep(struct cf_script *s)
{
	role_req(s, 9, FCGI_KEEP_CONN);
	sb_wait_end(s, 1);
	sb_request(s, 2, 0, NULL, 0);
	b_finish(s, 2);
}

static void j_role_keep(struct cf_verdict *v, const struct cf_case *k,
			const struct cf_script *s, const struct cf_outcome *o)
{
	char got[240];
	unsigned a = cf_classify(s, o, 0, 1, -1, got, sizeof(got));

	if (a != A_UNKNOWN_ROLE) {
		cf_verdict_set(
			v, (a & k->warn) ? CF_WARN : cf_level_grade(k->level),
			"role 9: %s", got);
		return;
	}
	if (cf_classify(s, o, 0, 2, -1, got, sizeof(got)) == A_OK)
		cf_verdict_set(v, CF_PASS,
			       "UNKNOWN_ROLE, and the next request "
			       "answered");
	else
		cf_verdict_set(v, cf_level_grade(k->level),
			       "UNKNOWN_ROLE, but the next request: %s", got);
}

/* Authorizer params as the spec has them: no CONTENT_LENGTH, PATH_INFO,
 * PATH_TRANSLATED or SCRIPT_NAME, and no STDIN at all. */
static void b_authorizer_no_stdin(struct cf_script *s)
{
	struct fcgi_params p;
	struct rq q;

	if (cf_params_for(s->ctx, &p, 0) != 0)
		s->err = FCGI_ENOMEM;
	fcgi_params_del(&p, "CONTENT_LENGTH", 14);
	fcgi_params_del(&p, "PATH_INFO", 9);
	fcgi_params_del(&p, "PATH_TRANSLATED", 15);
	fcgi_params_del(&p, "SCRIPT_NAME", 11);
	rq_init(&q);
	q.role = FCGI_AUTHORIZER;
	q.params = &p;
	q.no_stdin = true;
	q.no_echo = true;
	rq_build(s, &q);
	b_finish(s, 1);
	fcgi_params_fini(&p);
}

static void b_filter_no_data(struct cf_script *s)
{
	struct fcgi_params p;
	struct rq q;

	if (cf_params_for(s->ctx, &p, 0) != 0 ||
	    fcgi_params_set(&p, "FCGI_DATA_LENGTH", 16, "0", 1) != 0)
		s->err = FCGI_ENOMEM;
	rq_init(&q);
	q.role = FCGI_FILTER;
	q.params = &p;
	q.no_echo = true;
	rq_build(s, &q);
	sb_step(s, OP_WAIT_END, 1, (uint32_t)s->ctx->quiet_ms);
	fcgi_params_fini(&p);
}

/* ---- malformed BEGIN_REQUEST ------------------------------------------- */

static void begin_len(struct cf_script *s, size_t n)
{
	uint8_t body[16];
	struct rq q;

	memset(body, 0, sizeof(body));
	body[1] = FCGI_RESPONDER;
	rq_init(&q);
	q.no_echo = true;
	sb_rec(s, FCGI_BEGIN_REQUEST, 1, body, n);
	rq_params(s, &q);
	rq_stdin(s, &q);
	b_finish(s, 1);
}

static void b_begin_7(struct cf_script *s)
{
	begin_len(s, 7);
}

static void b_begin_16(struct cf_script *s)
{
	begin_len(s, 16);
}

static void b_begin_0(struct cf_script *s)
{
	begin_len(s, 0);
}

/* A whole request on the management id 0. */
static void b_id_0(struct cf_script *s)
{
	struct rq q;

	rq_init(&q);
	q.id = 0;
	q.no_echo = true;
	rq_build(s, &q);
	sb_step(s, OP_WAIT_CLOSE, 0, (uint32_t)s->ctx->quiet_ms);
}

static void j_id_0(struct cf_verdict *v, const struct cf_case *k,
		   const struct cf_script *s, const struct cf_outcome *o)
{
	const struct cf_conn_out *co = &o->conn[0];

	(void)s;
	if (co->mgmt_records > co->unknown)
		cf_verdict_set(v, CF_FAIL,
			       "answered with %u record(s) on request id 0",
			       co->mgmt_records - co->unknown);
	else if (co->unknown > 0)
		cf_verdict_set(v, CF_PASS,
			       "UNKNOWN_TYPE: taken for management records of "
			       "unknown types");
	else if (co->closed != CL_OPEN)
		cf_verdict_set(v, CF_PASS, "the connection %s",
			       co->closed == CL_RESET ? "reset" : "closed");
	else
		cf_verdict_set(v, (k->warn & A_SILENT) ? CF_WARN : CF_PASS,
			       "ignored, the connection left open");
}

/* BEGIN_REQUEST for request 1 again while it reads its params. */
static void b_duplicate(struct cf_script *s)
{
	struct fcgi_params p;
	struct fcgi_buf enc;
	struct fcgi_nv nv;
	size_t first = 0;
	struct rq q;

	fcgi_buf_init(&enc, NULL, 0);
	if (cf_params_for(s->ctx, &p, 0) != 0 ||
	    fcgi_params_encode(&p, &enc) != 0)
		s->err = FCGI_ENOMEM;
	if (fcgi_params_count(&p) > 1) {
		fcgi_params_at(&p, 0, &nv);
		first = fcgi_nv_size(nv.name_len, nv.value_len);
	}
	rq_init(&q);
	rq_begin(s, &q);
	sb_rec(s, FCGI_PARAMS, 1, enc.data, first);
	rq_begin(s, &q);
	sb_rec(s, FCGI_PARAMS, 1, enc.data + first, enc.len - first);
	sb_rec(s, FCGI_PARAMS, 1, NULL, 0);
	rq_stdin(s, &q);
	b_finish(s, 1);
	fcgi_buf_fini(&enc);
	fcgi_params_fini(&p);
}

/* ---- STDIN --------------------------------------------------------------- */

static void body_req(struct cf_script *s, const uint8_t *body, size_t n)
{
	struct rq q;

	rq_init(&q);
	q.body = body;
	q.n = n;
	rq_build(s, &q);
	b_finish(s, 1);
}

static void b_body_small(struct cf_script *s)
{
	body_req(s, (const uint8_t *)"hello", 5);
}

static void patterned(struct cf_script *s, size_t n)
{
	uint8_t *b = malloc(n);
	size_t i;

	if (b == NULL) {
		s->err = FCGI_ENOMEM;
		return;
	}
	for (i = 0; i < n; i++)
		b[i] = (uint8_t)((i * 31) ^ (i >> 8));
	body_req(s, b, n);
	free(b);
}

static void b_body_64k(struct cf_script *s)
{
	patterned(s, 65536);
}

static void b_body_1m(struct cf_script *s)
{
	patterned(s, 1024 * 1024);
}

static void b_body_binary(struct cf_script *s)
{
	uint8_t b[1024];
	size_t i;

	for (i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)i;
	body_req(s, b, sizeof(b));
}

/* A body of n bytes under CONTENT_LENGTH cl (a string), echo of the
 * first echo bytes. */
static void cl_req(struct cf_script *s, const char *cl, const uint8_t *body,
		   size_t n, size_t echo)
{
	struct fcgi_params p;
	struct rq q;

	if (cf_params_for(s->ctx, &p, n) != 0)
		s->err = FCGI_ENOMEM;
	if (cl == NULL)
		fcgi_params_del(&p, "CONTENT_LENGTH", 14);
	else if (fcgi_params_set(&p, "CONTENT_LENGTH", 14, cl, strlen(cl)) != 0)
		s->err = FCGI_ENOMEM;
	rq_init(&q);
	q.params = &p;
	q.body = body;
	q.n = n;
	q.echo_len = echo;
	q.no_echo = echo == 0;
	rq_build(s, &q);
	b_finish(s, 1);
	fcgi_params_fini(&p);
}

static void b_body_shorter(struct cf_script *s)
{
	cl_req(s, "100", (const uint8_t *)"only ten b", 10, 0);
}

/* 53 bytes under CONTENT_LENGTH 5: the first five and the last five
 * differ, so an echo shows which were read. */
static void b_body_longer(struct cf_script *s)
{
	static const char body[] =
		"FIRST and then fifty more bytes that must not "
		"be read";

	cl_req(s, "5", (const uint8_t *)body, sizeof(body) - 1, 5);
}

static void b_no_cl(struct cf_script *s)
{
	cl_req(s, NULL, (const uint8_t *)"no length!", 10, 0);
}

static void b_cl_bad(struct cf_script *s)
{
	cl_req(s, "abc", (const uint8_t *)"abc", 3, 0);
}

static void b_cl_negative(struct cf_script *s)
{
	cl_req(s, "-1", (const uint8_t *)"x", 1, 0);
}

static void b_cl_huge(struct cf_script *s)
{
	cl_req(s, "99999999999999999999", (const uint8_t *)"short", 5, 0);
}

/* A 4 KiB body in 8 records, 50 ms apart. */
static void b_body_slow(struct cf_script *s)
{
	uint8_t body[4096];
	struct rq q;
	size_t i;

	for (i = 0; i < sizeof(body); i++)
		body[i] = (uint8_t)('A' + i % 26);
	rq_init(&q);
	q.body = body;
	q.n = sizeof(body);
	q.no_stdin = true;
	rq_build(s, &q);
	for (i = 0; i < 8; i++) {
		sb_rec(s, FCGI_STDIN, 1, body + i * 512, 512);
		sb_pause(s, 50);
	}
	sb_rec(s, FCGI_STDIN, 1, NULL, 0);
	sb_expect_echo(s, 1, body, sizeof(body));
	b_finish(s, 1);
}

/* A STDIN record after the empty one. */
static void b_stdin_after_end(struct cf_script *s)
{
	struct rq q;

	rq_init(&q);
	q.body = "body";
	q.n = 4;
	rq_build(s, &q);
	sb_rec(s, FCGI_STDIN, 1, "late", 4);
	b_finish(s, 1);
}

/* STDIN records before the PARAMS stream ends. */
static void b_stdin_early(struct cf_script *s)
{
	struct rq q;

	rq_init(&q);
	q.body = "early";
	q.n = 5;
	rq_begin(s, &q);
	sb_rec(s, FCGI_STDIN, 1, "early", 5);
	rq_params(s, &q);
	sb_rec(s, FCGI_STDIN, 1, NULL, 0);
	sb_expect_echo(s, 1, "early", 5);
	b_finish(s, 1);
}

/* All CONTENT_LENGTH bytes of STDIN, but never its empty record. */
static void b_stdin_unended(struct cf_script *s)
{
	struct rq q;

	rq_init(&q);
	q.body = "12345";
	q.n = 5;
	q.no_stdin_end = true;
	rq_build(s, &q);
	sb_step(s, OP_WAIT_END, 1, (uint32_t)s->ctx->quiet_ms);
}

static void b_data_to_responder(struct cf_script *s)
{
	struct rq q;

	rq_init(&q);
	q.with_data = true;
	q.data = "data";
	q.ndata = 4;
	rq_build(s, &q);
	b_finish(s, 1);
}

/* Part of the body, a pause, then the rest: does the answer start before
 * STDIN ends? */
static void b_early_answer(struct cf_script *s)
{
	uint8_t body[2000];
	struct rq q;

	memset(body, 'e', sizeof(body));
	rq_init(&q);
	q.body = body;
	q.n = sizeof(body);
	q.no_stdin = true;
	rq_build(s, &q);
	sb_rec(s, FCGI_STDIN, 1, body, 1000);
	sb_quiet(s);
	sb_rec(s, FCGI_STDIN, 1, body + 1000, 1000);
	sb_rec(s, FCGI_STDIN, 1, NULL, 0);
	sb_expect_echo(s, 1, body, sizeof(body));
	b_finish(s, 1);
}

static void j_early_answer(struct cf_verdict *v, const struct cf_case *k,
			   const struct cf_script *s,
			   const struct cf_outcome *o)
{
	const struct cf_req *r = cf_outcome_req(o, 0, 1);
	char got[240];

	(void)k;
	if (cf_classify(s, o, 0, 1, -1, got, sizeof(got)) != A_OK)
		cf_verdict_set(v, CF_FAIL, "%s", got);
	else if (r != NULL && r->first_step <= 2)
		cf_verdict_set(v, CF_INFO,
			       "the answer began before STDIN ended");
	else
		cf_verdict_set(v, CF_INFO,
			       "the answer waited for STDIN to "
			       "end");
}

/* ---- ABORT_REQUEST ---------------------------------------------------- */

enum phase { AB_BEGIN, AB_MID_PARAMS, AB_PARAMS, AB_MID_STDIN, AB_WHOLE };

static void abort_in(struct cf_script *s, enum phase ph, uint8_t flags)
{
	static const uint8_t some[1000];
	struct fcgi_nv nv;
	struct fcgi_params p;
	struct fcgi_buf enc;
	struct rq q;

	fcgi_buf_init(&enc, NULL, 0);
	if (cf_params_for(s->ctx, &p, 100000) != 0 ||
	    fcgi_params_encode(&p, &enc) != 0)
		s->err = FCGI_ENOMEM;
	rq_init(&q);
	q.flags = flags;
	q.no_echo = true;
	rq_begin(s, &q);
	switch (ph) {
	case AB_BEGIN:
		break;
	case AB_MID_PARAMS:
		/* One whole pair: the stream is open, no pair is cut. */
		if (fcgi_params_count(&p) > 0) {
			fcgi_params_at(&p, 0, &nv);
			sb_rec(s, FCGI_PARAMS, 1, enc.data,
			       fcgi_nv_size(nv.name_len, nv.value_len));
		}
		break;
	case AB_PARAMS:
		q.params = &p;
		rq_params(s, &q);
		break;
	case AB_MID_STDIN:
		q.params = &p;
		rq_params(s, &q);
		sb_rec(s, FCGI_STDIN, 1, some, sizeof(some));
		break;
	case AB_WHOLE:
		rq_params(s, &q);
		sb_rec(s, FCGI_STDIN, 1, NULL, 0);
		break;
	}
	sb_rec(s, FCGI_ABORT_REQUEST, 1, NULL, 0);
	sb_wait_end(s, 1);
	fcgi_buf_fini(&enc);
	fcgi_params_fini(&p);
}

static void b_abort_begin(struct cf_script *s)
{
	abort_in(s, AB_BEGIN, 0);
}

static void b_abort_mid_params(struct cf_script *s)
{
	abort_in(s, AB_MID_PARAMS, 0);
}

static void b_abort_params(struct cf_script *s)
{
	abort_in(s, AB_PARAMS, 0);
}

static void b_abort_mid_stdin(struct cf_script *s)
{
	abort_in(s, AB_MID_STDIN, 0);
}

static void b_abort_whole(struct cf_script *s)
{
	abort_in(s, AB_WHOLE, 0);
	sb_quiet(s);
}

static void b_abort_twice(struct cf_script *s)
{
	abort_in(s, AB_BEGIN, FCGI_KEEP_CONN);
	sb_rec(s, FCGI_ABORT_REQUEST, 1, NULL, 0);
	sb_quiet(s);
}

static void b_abort_keep(struct cf_script *s)
{
	abort_in(s, AB_MID_STDIN, FCGI_KEEP_CONN);
	sb_request(s, 2, 0, NULL, 0);
	b_finish(s, 2);
}

static void j_abort_keep(struct cf_verdict *v, const struct cf_case *k,
			 const struct cf_script *s, const struct cf_outcome *o)
{
	char got[240];
	unsigned a = cf_classify(s, o, 0, 1, -1, got, sizeof(got));

	if (!(a & A_ANY_END)) {
		cf_verdict_set(
			v, (a & k->warn) ? CF_WARN : cf_level_grade(k->level),
			"the aborted request: %s", got);
		return;
	}
	if (cf_classify(s, o, 0, 2, -1, got, sizeof(got)) == A_OK)
		cf_verdict_set(v, CF_PASS,
			       "the aborted request ended, and the "
			       "next answered");
	else
		cf_verdict_set(v, cf_level_grade(k->level),
			       "the aborted request ended, but the next: %s",
			       got);
}

/* ABORT_REQUEST for request 3, never begun, then a normal request. */
static void b_abort_inactive(struct cf_script *s)
{
	sb_rec(s, FCGI_ABORT_REQUEST, 3, NULL, 0);
	sb_request(s, 1, 0, NULL, 0);
	b_finish(s, 1);
}

static void b_abort_body(struct cf_script *s)
{
	struct rq q;

	rq_init(&q);
	q.no_echo = true;
	rq_begin(s, &q);
	sb_rec(s, FCGI_ABORT_REQUEST, 1, "reason!!", 8);
	sb_wait_end(s, 1);
}

/* ABORT_REQUEST on id 0 while request 1 runs: not request 1's abort. */
static void b_abort_id_0(struct cf_script *s)
{
	struct rq q;

	rq_init(&q);
	rq_begin(s, &q);
	rq_params(s, &q);
	sb_rec(s, FCGI_ABORT_REQUEST, 0, NULL, 0);
	rq_stdin(s, &q);
	b_finish(s, 1);
}

/* ---- END_REQUEST --------------------------------------------------------- */

static void j_end_body(struct cf_verdict *v, const struct cf_case *k,
		       const struct cf_script *s, const struct cf_outcome *o)
{
	const struct cf_req *r = cf_outcome_req(o, 0, 1);

	cf_judge_answer(v, k, s, o, 0, 1, A_ANY_END, 0);
	if (r == NULL || r->ends == 0)
		return;
	if (r->end_len != 8)
		cf_verdict_set(v, CF_FAIL, "END_REQUEST body of %u bytes",
			       (unsigned)r->end_len);
	else
		cf_verdict_set(v, CF_PASS, "END_REQUEST body of 8 bytes");
}

static void b_keep_normal(struct cf_script *s)
{
	sb_request(s, 1, FCGI_KEEP_CONN, NULL, 0);
	sb_wait_end(s, 1);
	sb_quiet(s);
}

static void j_one_end(struct cf_verdict *v, const struct cf_case *k,
		      const struct cf_script *s, const struct cf_outcome *o)
{
	const struct cf_req *r = cf_outcome_req(o, 0, 1);

	cf_judge_answer(v, k, s, o, 0, 1, A_OK, 0);
	if (r != NULL && (r->ends > 1 || r->after_end > 0))
		cf_verdict_set(v, CF_FAIL, "%u record(s) after END_REQUEST",
			       r->after_end);
}

static void j_app_status(struct cf_verdict *v, const struct cf_case *k,
			 const struct cf_script *s, const struct cf_outcome *o)
{
	const struct cf_req *r = cf_outcome_req(o, 0, 1);

	cf_judge_answer(v, k, s, o, 0, 1, A_OK, 0);
	if (v->grade == CF_PASS && r != NULL)
		cf_verdict_set(v, CF_INFO, "appStatus %lu",
			       (unsigned long)r->app_status);
}

static void j_stdout_ended(struct cf_verdict *v, const struct cf_case *k,
			   const struct cf_script *s,
			   const struct cf_outcome *o)
{
	const struct cf_req *r = cf_outcome_req(o, 0, 1);

	cf_judge_answer(v, k, s, o, 0, 1, A_OK, 0);
	if (r == NULL || r->ends == 0)
		return;
	if (r->out_records == 0)
		cf_verdict_set(v, CF_FAIL, "no STDOUT record at all");
	else if (!r->out_ended)
		cf_verdict_set(v, cf_level_grade(k->level),
			       "END_REQUEST without the empty STDOUT record "
			       "that ends the stream");
}

static void j_stderr_ended(struct cf_verdict *v, const struct cf_case *k,
			   const struct cf_script *s,
			   const struct cf_outcome *o)
{
	const struct cf_req *r = cf_outcome_req(o, 0, 1);

	cf_judge_answer(v, k, s, o, 0, 1, A_OK, 0);
	if (r == NULL || r->ends == 0 || v->grade != CF_PASS)
		return;
	if (r->err_records > 0 && !r->err_ended)
		cf_verdict_set(v, cf_level_grade(k->level),
			       "STDERR was used but not ended");
	else
		cf_verdict_set(v, CF_PASS, "%s",
			       r->err_records > 0 ? "STDERR used and ended"
						  : "no STDERR");
}

static void j_stdout_record(struct cf_verdict *v, const struct cf_case *k,
			    const struct cf_script *s,
			    const struct cf_outcome *o)
{
	const struct cf_req *r = cf_outcome_req(o, 0, 1);

	cf_judge_answer(v, k, s, o, 0, 1, A_COMPLETE, 0);
	if (r != NULL && r->ends > 0 && r->out_records == 0)
		cf_verdict_set(v, CF_FAIL,
			       "END_REQUEST without any STDOUT "
			       "record");
}

/* ---- role protocols --------------------------------------------------- */

/* The params half sent: nothing may come yet; then the rest. */
static void b_params_first(struct cf_script *s)
{
	struct fcgi_params p;
	struct fcgi_buf enc;
	struct fcgi_nv nv;
	size_t first = 0;
	struct rq q;

	fcgi_buf_init(&enc, NULL, 0);
	if (cf_params_for(s->ctx, &p, 0) != 0 ||
	    fcgi_params_encode(&p, &enc) != 0)
		s->err = FCGI_ENOMEM;
	if (fcgi_params_count(&p) > 1) {
		fcgi_params_at(&p, 0, &nv);
		first = fcgi_nv_size(nv.name_len, nv.value_len);
	}
	rq_init(&q);
	rq_begin(s, &q);
	sb_rec(s, FCGI_PARAMS, 1, enc.data, first);
	sb_quiet(s);
	s->arg = (unsigned)s->nsteps;
	sb_rec(s, FCGI_PARAMS, 1, enc.data + first, enc.len - first);
	sb_rec(s, FCGI_PARAMS, 1, NULL, 0);
	rq_stdin(s, &q);
	b_finish(s, 1);
	fcgi_buf_fini(&enc);
	fcgi_params_fini(&p);
}

static void j_params_first(struct cf_verdict *v, const struct cf_case *k,
			   const struct cf_script *s,
			   const struct cf_outcome *o)
{
	const struct cf_req *r = cf_outcome_req(o, 0, 1);

	if (r != NULL && r->first_step >= 0 &&
	    (unsigned)r->first_step < s->arg &&
	    r->out_records + r->err_records > 0) {
		cf_verdict_set(v, cf_level_grade(k->level),
			       "STDOUT or STDERR came before the params "
			       "ended");
		return;
	}
	cf_judge_answer(v, k, s, o, 0, 1, k->pass, k->warn);
}

/* ---- the table ------------------------------------------------------------ */

#define ABORT_CASE(name, desc, fn)                                             \
	{                                                                      \
		"fcgi-5.4-" name, CF_MUST, desc, Q_ABORT,                      \
			"A multiplexing web server aborts with "               \
			"ABORT_REQUEST; an "                                   \
			"application that ignores it keeps the web server "    \
			"waiting.",                                            \
			"an END_REQUEST for the request", A_ANY_END, A_CLOSED, \
			0, fn, NULL                                            \
	}

#define ROLE_CASE(name, desc, fn)                                       \
	{                                                               \
		"fcgi-5.1-" name, CF_SHOULD, desc, Q_UNKNOWN_ROLE,      \
			"A role the application does not play must be " \
			"refused with "                                 \
			"UNKNOWN_ROLE, not served as a Responder nor "  \
			"dropped.",                                     \
			NULL, A_UNKNOWN_ROLE, A_CLOSED, 0, fn, NULL     \
	}

#define BODY_CASE(name, desc, fn)                                              \
	{                                                                      \
		"fcgi-5.1-" name, CF_SHOULD, desc, Q_BEGIN_BODY,               \
			"The body is fixed at 8 bytes; with another length "   \
			"the framing of "                                      \
			"the request is in doubt and it must not be served.",  \
			"close or an END_REQUEST other than REQUEST_COMPLETE", \
			A_CLOSED | A_REFUSED, A_SILENT | A_COMPLETE, 0, fn,    \
			NULL                                                   \
	}

#define CL_CASE(name, desc, fn)                                              \
	{                                                                    \
		"fcgi-5.3-" name, CF_SHOULD, desc, Q_CL_COMPARE,             \
			"A body that does not match CONTENT_LENGTH must be " \
			"answered (or "                                      \
			"refused), not waited for.",                         \
			"any END_REQUEST or close", A_ANY_END | A_CLOSED, 0, \
			0, fn, NULL                                          \
	}

const struct cf_case cf_cases_req[] = {
	{ "fcgi-5.1-keep-conn-0", CF_MUST,
	  "without KEEP_CONN the application closes after END_REQUEST",
	  Q_KEEP_0,
	  "A web server without keepalive waits for the close; nginx "
	  "without fastcgi_keep_conn relies on it.",
	  "answered, then closed", A_OK, 0, 0, b_keep_0, j_keep_0 },
	{ "fcgi-5.1-keep-conn-1", CF_MUST,
	  "with KEEP_CONN the application keeps the connection open", Q_KEEP_1,
	  "nginx's keepalive pools reuse the connection; a close there "
	  "costs a failed request or a reconnect.",
	  "answered, and kept open", A_OK, 0, 0, b_keep_1, j_keep_1 },
	{ "fcgi-5.1-keep-conn-reuse", CF_MUST,
	  "a kept connection serves a second request", Q_KEEP_1,
	  "The point of KEEP_CONN.", "both answered", A_OK, 0, 0, b_keep_reuse,
	  j_two },
	{ "fcgi-5.1-keep-conn-ten", CF_MUST,
	  "a kept connection serves ten requests in turn", Q_KEEP_1,
	  "State left over from one request must not spoil the next.",
	  "all answered", A_OK, 0, 0, b_keep_ten, j_ten },
	{ "fcgi-5.1-keep-conn-last", CF_MUST,
	  "a request without KEEP_CONN after one with it ends the connection",
	  Q_KEEP_0, "Each request's flag decides for that request.",
	  "both answered, then closed", A_OK, 0, 0, b_keep_last, j_keep_last },
	{ "fcgi-5.1-flags-fe", CF_INTEROP,
	  "unknown flag bits (0xfe) are ignored: answered, then closed",
	  Q_FLAGS,
	  "Only KEEP_CONN is defined; other bits must not change the answer.",
	  "answered, then closed", A_OK, 0, 0, b_flags_fe, j_keep_0 },
	{ "fcgi-5.1-flags-ff", CF_INTEROP,
	  "flags 0xff keep the connection like KEEP_CONN", Q_FLAGS,
	  "As above, with KEEP_CONN among them.", "answered, and kept open",
	  A_OK, 0, 0, b_flags_ff, j_keep_1 },
	{ "fcgi-5.1-reserved", CF_INTEROP,
	  "reserved bytes of 0xff in the BEGIN_REQUEST body are ignored",
	  Q_BEGIN_BODY, "The reserved bytes carry no meaning in version 1.",
	  NULL, A_OK, 0, 0, b_begin_reserved, NULL },
	{ "fcgi-5.1-role-authorizer", CF_SHOULD,
	  "an Authorizer request is served or refused with UNKNOWN_ROLE",
	  Q_ROLE,
	  "lighttpd and Apache's mod_authnz_fcgi send Authorizer requests.",
	  "REQUEST_COMPLETE or UNKNOWN_ROLE", A_COMPLETE | A_UNKNOWN_ROLE,
	  A_CLOSED, 0, b_role_authorizer, NULL },
	{ "fcgi-5.1-role-filter", CF_SHOULD,
	  "a Filter request with a DATA stream is served or refused", Q_ROLE,
	  "The Filter role is rare; an application without it must say so.",
	  "REQUEST_COMPLETE or UNKNOWN_ROLE", A_COMPLETE | A_UNKNOWN_ROLE,
	  A_CLOSED, 0, b_role_filter, NULL },
	ROLE_CASE("role-0", "role 0 is refused with UNKNOWN_ROLE", b_role_0),
	ROLE_CASE("role-4", "role 4 is refused with UNKNOWN_ROLE", b_role_4),
	ROLE_CASE("role-65535", "role 65535 is refused with UNKNOWN_ROLE",
		  b_role_65535),
	{ "fcgi-5.1-role-alone", CF_SHOULD,
	  "a BEGIN_REQUEST with role 7 alone is refused without waiting for "
	  "params",
	  Q_UNKNOWN_ROLE,
	  "The role is known from the first record; waiting for the rest "
	  "only delays the refusal.",
	  NULL, A_UNKNOWN_ROLE, A_CLOSED | A_SILENT, 0, b_role_alone, NULL },
	{ "fcgi-5.1-role-keep", CF_SHOULD,
	  "after refusing role 9 on a kept connection, a request is served",
	  Q_UNKNOWN_ROLE, "A refusal ends the request, not the connection.",
	  "UNKNOWN_ROLE, then the next request answered", A_UNKNOWN_ROLE,
	  A_CLOSED, 0, b_role_keep, j_role_keep },
	BODY_CASE("begin-body-7", "a BEGIN_REQUEST body of 7 bytes is refused",
		  b_begin_7),
	BODY_CASE("begin-body-16",
		  "a BEGIN_REQUEST body of 16 bytes is refused", b_begin_16),
	BODY_CASE("begin-body-0", "an empty BEGIN_REQUEST body is refused",
		  b_begin_0),
	{ "fcgi-5.1-id-0", CF_SHOULD,
	  "a request on the management id 0 is not served", Q_IDS,
	  "Application records must have a nonzero id; serving id 0 mixes "
	  "requests with management records.",
	  "close or UNKNOWN_TYPE (ignoring it is a warning)", 0, A_SILENT,
	  CF_ANSWERS_OK, b_id_0, j_id_0 },
	{ "fcgi-5.1-duplicate-begin", CF_SHOULD,
	  "a second BEGIN_REQUEST for an active id is not served twice",
	  Q_ACTIVE,
	  "A second BEGIN_REQUEST for an active id is the web server's "
	  "error; the request must be answered once or the connection "
	  "closed.",
	  "one END_REQUEST, or close", A_ANY_END | A_CLOSED, 0, 0, b_duplicate,
	  NULL },
	{ "fcgi-5.3-body-small", CF_MUST, "a 5-byte body is read", Q_STDIN,
	  "A POST.", NULL, A_OK, 0, 0, b_body_small, NULL },
	{ "fcgi-5.3-body-64k", CF_MUST, "a 64 KiB body in two records is read",
	  Q_STDIN, "Just over one record.", NULL, A_OK, 0, 0, b_body_64k,
	  NULL },
	{ "fcgi-5.3-body-1mib", CF_MUST, "a 1 MiB body is read", Q_STDIN,
	  "Uploads are large; the application must keep reading while it "
	  "may be writing.",
	  NULL, A_OK, 0, 0, b_body_1m, NULL },
	{ "fcgi-5.3-body-binary", CF_MUST,
	  "a body of every byte value is read unchanged", Q_STDIN,
	  "STDIN carries \"arbitrary data\".", NULL, A_OK, 0, 0, b_body_binary,
	  NULL },
	CL_CASE("body-shorter",
		"STDIN shorter than CONTENT_LENGTH gets an answer",
		b_body_shorter),
	{ "fcgi-5.3-body-longer", CF_SHOULD,
	  "of STDIN longer than CONTENT_LENGTH, at most CONTENT_LENGTH bytes "
	  "are read",
	  Q_CL,
	  "An application that reads past CONTENT_LENGTH takes bytes the "
	  "web server never vouched for.",
	  "answered with the first CONTENT_LENGTH bytes, or refused",
	  A_OK | A_REFUSED | A_CLOSED, A_BODY, 0, b_body_longer, NULL },
	{ "fcgi-5.3-no-content-length", CF_INTEROP,
	  "a body without CONTENT_LENGTH gets an answer", Q_CL,
	  "HTTP/1.1 chunked uploads reach some web servers' FastCGI modules "
	  "without a length.",
	  "answered", A_COMPLETE, A_ANY_END | A_CLOSED, 0, b_no_cl, NULL },
	CL_CASE("content-length-bad", "CONTENT_LENGTH \"abc\" gets an answer",
		b_cl_bad),
	CL_CASE("content-length-negative",
		"CONTENT_LENGTH \"-1\" gets an answer", b_cl_negative),
	CL_CASE("content-length-huge",
		"CONTENT_LENGTH of 20 digits gets an answer", b_cl_huge),
	{ "fcgi-5.3-body-slow", CF_MUST,
	  "a body in eight records 50 ms apart is read", Q_STDIN,
	  "Uploads from slow clients arrive in pieces.", NULL, A_OK, 0, CF_ONCE,
	  b_body_slow, NULL },
	{ "fcgi-5.3-stdin-after-end", CF_INTEROP,
	  "a STDIN record after the stream's end is ignored", Q_STREAM_END,
	  "The empty record ends the stream; more must not reach the "
	  "application.",
	  NULL, A_OK, 0, 0, b_stdin_after_end, NULL },
	{ "fcgi-5.3-stdin-before-params-end", CF_MAY,
	  "STDIN that starts before PARAMS end", Q_SEQUENTIAL,
	  "Out of order; an application may take it, refuse it or close.",
	  "answered", A_OK, 0, 0, b_stdin_early, NULL },
	{ "fcgi-5.3-stdin-unended", CF_MAY,
	  "all CONTENT_LENGTH bytes of STDIN without the empty record", Q_CL,
	  "An application may answer once it has CONTENT_LENGTH bytes, "
	  "or wait for the end of the stream.",
	  "answered, or waiting", A_OK | A_SILENT, 0, 0, b_stdin_unended,
	  NULL },
	{ "fcgi-5.3-data-to-responder", CF_INTEROP,
	  "a DATA stream sent to a Responder is ignored", Q_FILTER,
	  "Only Filters read DATA; a Responder must not mix it into STDIN.",
	  NULL, A_OK, 0, 0, b_data_to_responder, NULL },
	{ "fcgi-5.3-early-answer", CF_MAY,
	  "does the answer start before STDIN ends", Q_WAIT_PARAMS,
	  "Allowed by the spec; recorded because web servers that stop "
	  "sending the body once output starts (nginx) depend on it.",
	  "answered; when it started is recorded", A_OK, 0, CF_ONCE,
	  b_early_answer, j_early_answer },
	ABORT_CASE("abort-after-begin",
		   "ABORT_REQUEST right after BEGIN_REQUEST", b_abort_begin),
	ABORT_CASE("abort-mid-params", "ABORT_REQUEST inside the params",
		   b_abort_mid_params),
	ABORT_CASE("abort-after-params",
		   "ABORT_REQUEST after the params, before STDIN",
		   b_abort_params),
	ABORT_CASE("abort-mid-stdin", "ABORT_REQUEST with STDIN half sent",
		   b_abort_mid_stdin),
	ABORT_CASE(
		"abort-after-stdin",
		"ABORT_REQUEST after the whole request (crossing the answer)",
		b_abort_whole),
	ABORT_CASE("abort-twice", "two ABORT_REQUESTs get one END_REQUEST",
		   b_abort_twice),
	{ "fcgi-5.4-abort-keep", CF_MUST,
	  "after an aborted request a kept connection serves the next", Q_ABORT,
	  "An abort ends a request, not the connection.",
	  "END_REQUEST for the aborted one, the next answered", A_OK, A_CLOSED,
	  0, b_abort_keep, j_abort_keep },
	{ "fcgi-5.4-abort-inactive", CF_MUST,
	  "ABORT_REQUEST for a request never begun is ignored", Q_INACTIVE,
	  "Aborts race with END_REQUEST; one for an ended id must do nothing.",
	  "answered, and nothing for request 3", A_OK, A_CLOSED, 0,
	  b_abort_inactive, j_ignored_then_answered },
	{ "fcgi-5.4-abort-with-body", CF_INTEROP,
	  "ABORT_REQUEST with 8 content bytes still aborts", Q_ABORT,
	  "The spec gives ABORT_REQUEST no body; extra bytes must not stop "
	  "it from working.",
	  "an END_REQUEST for the request", A_ANY_END, A_CLOSED, 0,
	  b_abort_body, NULL },
	{ "fcgi-5.4-abort-id-0", CF_SHOULD,
	  "ABORT_REQUEST on id 0 does not abort request 1", Q_IDS,
	  "Id 0 names no request; an UNKNOWN_TYPE {2} answer, taking it for "
	  "a management record, is fine, and so is closing the connection, "
	  "since an application record on the management id leaves its "
	  "framing in doubt.",
	  NULL, A_OK | A_CLOSED, 0, CF_ANSWERS_OK, b_abort_id_0, NULL },
	{ "fcgi-5.5-end-body", CF_MUST, "END_REQUEST has an 8-byte body",
	  Q_END_BODY, "Web servers read exactly 8 bytes.", NULL, A_ANY_END, 0,
	  0, b_normal, j_end_body },
	{ "fcgi-5.5-one-end", CF_MUST,
	  "one END_REQUEST and nothing after it for the request", Q_ACTIVE,
	  "After END_REQUEST the id is free; more records for it confuse "
	  "the next request.",
	  "exactly one END_REQUEST", A_OK, 0, 0, b_keep_normal, j_one_end },
	{ "fcgi-5.5-app-status", CF_MAY, "the appStatus of a normal request",
	  Q_RESPONDER_END, "Recorded: nginx ignores it, others log it.",
	  "answered; appStatus recorded", A_OK, 0, 0, b_normal, j_app_status },
	{ "fcgi-5.5-stdout-ended", CF_SHOULD,
	  "STDOUT is ended by an empty record before END_REQUEST", Q_STREAM_END,
	  "PHP-FPM leaves it out; web servers accept that, a strict reader "
	  "does not.",
	  "the empty STDOUT record before END_REQUEST", A_OK, 0, 0, b_normal,
	  j_stdout_ended },
	{ "fcgi-5.5-stderr-ended", CF_SHOULD,
	  "STDERR, when used, is ended before END_REQUEST", Q_STDERR,
	  "As for STDOUT.", "no STDERR, or STDERR ended", A_OK, 0, 0, b_normal,
	  j_stderr_ended },
	{ "fcgi-6.1-stdout-record", CF_MUST,
	  "an answer has at least one STDOUT record", Q_AT_LEAST_ONE,
	  "Even an empty response is a STDOUT stream.",
	  "a STDOUT record before END_REQUEST", A_COMPLETE, 0, 0, b_normal,
	  j_stdout_record },
	{ "fcgi-6.1-params-first", CF_MUST,
	  "nothing is written before the params have ended", Q_WAIT_PARAMS,
	  "The application cannot know the request before all its params "
	  "are in.",
	  "no output while params are open, then answered", A_OK, 0, 0,
	  b_params_first, j_params_first },
	{ "fcgi-6.2-responder", CF_MUST,
	  "a normal request is answered with a CGI response", Q_RESPONDER_END,
	  "Everything else rests on this.", NULL, A_OK, 0, 0, b_normal, NULL },
	{ "fcgi-6.3-authorizer-no-stdin", CF_INTEROP,
	  "an Authorizer request without STDIN or CONTENT_LENGTH", Q_AUTHORIZER,
	  "An Authorizer gets no body; an application that waits for STDIN "
	  "hangs the authorization.",
	  "REQUEST_COMPLETE or UNKNOWN_ROLE", A_COMPLETE | A_UNKNOWN_ROLE, 0, 0,
	  b_authorizer_no_stdin, NULL },
	{ "fcgi-6.4-filter-no-data", CF_MAY,
	  "a Filter request whose DATA stream never comes", Q_FILTER,
	  "A Filter may wait for DATA or answer without it.",
	  "answered, refused, or waiting", A_ANY_END | A_SILENT, 0, 0,
	  b_filter_no_data, NULL },
};

const size_t cf_ncases_req = sizeof(cf_cases_req) / sizeof(cf_cases_req[0]);
