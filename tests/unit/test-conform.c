/* SPDX-License-Identifier: MIT */
/*
 * test-conform.c - the pure half of fcgitool conform: the case table, the
 * scripts the cases build, the outcome an answer makes, the
 * classification and judges, patterns and baselines.  No sockets: the
 * answers are bytes fed to the outcome as a peer would send them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conform-client.h"
#include "conform.h"
#include "guard.h"

/* A context like the default profile's: SCRIPT_FILENAME /conform. */
static void ctx_setup(struct cf_ctx *ctx, bool echo)
{
	static const char *const kv[][2] = {
		{ "QUERY_STRING", "" },
		{ "REQUEST_METHOD", "GET" },
		{ "CONTENT_TYPE", "" },
		{ "CONTENT_LENGTH", "" },
		{ "SCRIPT_NAME", "/conform" },
		{ "SCRIPT_FILENAME", "/conform" },
		{ "SERVER_PROTOCOL", "HTTP/1.1" },
	};
	size_t i;

	cf_ctx_init(ctx);
	ctx->echo = echo;
	for (i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
		assert_int_equal(fcgi_params_add(&ctx->base, kv[i][0],
						 strlen(kv[i][0]), kv[i][1],
						 strlen(kv[i][1])),
				 0);
}

/* ---- answers built by hand ---------------------------------------------- */

static void rec(struct fcgi_buf *b, uint8_t type, uint16_t id, const void *p,
		size_t n)
{
	assert_int_equal(fcgi_record_encode(b, type, id, p, n), 0);
}

static void end(struct fcgi_buf *b, uint16_t id, uint32_t app, uint8_t ps)
{
	struct fcgi_end_body eb = { app, ps };
	uint8_t body[8];

	fcgi_end_body_encode(body, &eb);
	rec(b, FCGI_END_REQUEST, id, body, sizeof(body));
}

/* STDOUT text, its end, END_REQUEST COMPLETE. */
static void answer(struct fcgi_buf *b, uint16_t id, const char *out)
{
	rec(b, FCGI_STDOUT, id, out, strlen(out));
	rec(b, FCGI_STDOUT, id, NULL, 0);
	end(b, id, 0, FCGI_REQUEST_COMPLETE);
}

/* Play script s: what it sends to-app, then answer[0..n) to-web in
 * pieces of chunk bytes (0: whole), then the close when closed. */
static void play(struct cf_outcome *o, const struct cf_script *s,
		 const struct fcgi_buf *ans, size_t chunk, enum cf_close closed)
{
	size_t i, k;

	assert_int_equal(cf_outcome_init(o), 0);
	assert_int_equal(cf_outcome_open(o, 0), 0);
	for (i = 0; i < s->nsteps; i++)
		if (s->step[i].op == OP_SEND && s->step[i].conn == 0)
			cf_outcome_sent(o, 0, s->bytes.data + s->step[i].off,
					s->step[i].len);
	o->step = (int)s->nsteps;
	for (i = 0; i < ans->len; i += k) {
		k = chunk == 0 || chunk > ans->len - i ? ans->len - i : chunk;
		cf_outcome_recv(o, 0, ans->data + i, k);
	}
	if (closed != CL_OPEN)
		cf_outcome_closed(o, 0, closed);
}

static unsigned classify(const struct cf_script *s, const struct fcgi_buf *ans,
			 size_t chunk, enum cf_close closed, char *got,
			 size_t n)
{
	struct cf_outcome o;
	unsigned a;

	play(&o, s, ans, chunk, closed);
	a = cf_classify(s, &o, 0, 1, -1, got, n);
	cf_outcome_fini(&o);
	return a;
}

/* ---- the table ---------------------------------------------------------- */

static void test_table_ids(void **state)
{
	const struct cf_case *all;
	char sec[16];
	size_t n, i, j;
	const char *p;

	(void)state;
	all = cf_cases(&n);
	assert_true(n >= 100);
	for (i = 0; i < n; i++) {
		assert_non_null(all[i].build);
		assert_non_null(all[i].desc);
		assert_non_null(all[i].why);
		assert_non_null(all[i].quote);
		assert_int_equal(strncmp(all[i].id, "fcgi-", 5), 0);
		cf_case_section(&all[i], sec, sizeof(sec));
		assert_string_not_equal(cf_section_title(sec), "");
		for (p = all[i].id; *p != '\0'; p++)
			assert_non_null(strchr("abcdefghijklmnopqrstuvwxyz"
					       "0123456789-.",
					       *p));
		assert_ptr_equal(cf_case_find(all[i].id), &all[i]);
		for (j = 0; j < i; j++)
			assert_string_not_equal(all[i].id, all[j].id);
		/* The catalogue runs in section order. */
		if (i > 0) {
			char prev[16];

			cf_case_section(&all[i - 1], prev, sizeof(prev));
			assert_true(strcmp(prev, sec) <= 0);
		}
	}
	assert_null(cf_case_find("fcgi-9.9-nothing"));
}

/* Every case builds, within its limits, and its steps and bytes are
 * consistent; its bytes can be described. */
static void test_table_builds(void **state)
{
	const struct cf_case *all;
	struct cf_script s;
	struct fcgi_buf d;
	struct cf_ctx ctx;
	size_t n, i, j, sent;

	(void)state;
	ctx_setup(&ctx, true);
	ctx.mpxs = 1;
	ctx.max_reqs = 4;
	all = cf_cases(&n);
	for (i = 0; i < n; i++) {
		cf_script_init(&s, &ctx);
		all[i].build(&s);
		if (s.err != 0)
			fail_msg("%s: %s", all[i].id, fcgi_strerror(s.err));
		assert_true(s.nsteps > 0);
		sent = 0;
		for (j = 0; j < s.nsteps; j++) {
			if (s.step[j].op != OP_SEND)
				continue;
			assert_int_equal(s.step[j].off, sent);
			sent += s.step[j].len;
		}
		/* Every byte built belongs to a step. */
		assert_int_equal(sent, s.bytes.len);
		fcgi_buf_init(&d, NULL, 0);
		assert_int_equal(cf_describe_script(&s, &d), 0);
		assert_true(d.len > 0);
		fcgi_buf_fini(&d);
		cf_script_fini(&s);
	}
	cf_ctx_fini(&ctx);
}

/* The --client cases: ids apart from the application cases, answers that
 * build, and a judge each. */
static void test_client_table(void **state)
{
	const struct cl_case *web;
	struct cf_script s;
	char sec[16];
	size_t n, i, j, faults = 0;

	(void)state;
	web = cl_cases(&n);
	assert_true(n >= 30);
	for (i = 0; i < n; i++) {
		assert_int_equal(strncmp(web[i].k.id, "web-", 4), 0);
		assert_null(cf_case_find(web[i].k.id));
		assert_ptr_equal(cl_case_find(web[i].k.id), &web[i]);
		assert_non_null(web[i].judge);
		assert_non_null(web[i].k.accepts);
		cf_case_section(&web[i].k, sec, sizeof(sec));
		assert_string_not_equal(cf_section_title(sec), "");
		for (j = 0; j < i; j++)
			assert_string_not_equal(web[i].k.id, web[j].k.id);
		if (web[i].answer == NULL)
			continue;
		faults++;
		cf_script_init(&s, NULL);
		web[i].answer(&s, 7, FCGI_KEEP_CONN);
		assert_int_equal(s.err, 0);
		assert_true(s.mark == s.bytes.len);
		cf_script_fini(&s);
	}
	assert_true(faults >= 20);
}

/* A web server that passes a broken answer on as a success fails; one
 * that reports an error passes. */
static void test_client_judges(void **state)
{
	const struct cl_case *k = cl_case_find("web-5.5-close-before-end");
	struct cl_stats st;
	struct cl_obs o;
	struct cf_verdict v;

	(void)state;
	memset(&st, 0, sizeof(st));
	memset(&o, 0, sizeof(o));
	o.requests = 1;
	o.http.sent = o.http.answered = o.http.complete = o.http.body_ok = true;
	o.http.status = 200;
	memset(&v, 0, sizeof(v));
	k->judge(&v, k, &o, &st);
	assert_int_equal(v.grade, CF_FAIL);
	o.http.complete = false;
	memset(&v, 0, sizeof(v));
	k->judge(&v, k, &o, &st);
	assert_int_equal(v.grade, CF_PASS);
	o.closed_by_us = true;
	memset(&v, 0, sizeof(v));
	k->judge(&v, k, &o, &st);
	assert_string_equal(v.got, "HTTP 200, cut short; conform closed the "
				   "connection");
	/* An observation: a violation seen once fails a MUST. */
	k = cl_case_find("web-3.3-version");
	st.requests = 3;
	st.viol[FCGI_V_BAD_VERSION] = 1;
	snprintf(st.first_msg[FCGI_V_BAD_VERSION], sizeof(st.first_msg[0]),
		 "bad version 2");
	memset(&v, 0, sizeof(v));
	k->judge(&v, k, &o, &st);
	assert_int_equal(v.grade, CF_FAIL);
	assert_string_equal(v.got, "1 time(s), first: bad version 2");
}

static void test_describe(void **state)
{
	struct cf_script s;
	struct fcgi_buf d;
	struct cf_ctx ctx;
	uint8_t body[3] = { 'a', 'b', 'c' };
	size_t i;

	(void)state;
	ctx_setup(&ctx, false);
	cf_script_init(&s, &ctx);
	sb_begin(&s, 1, FCGI_RESPONDER, FCGI_KEEP_CONN);
	for (i = 0; i < 3; i++)
		sb_rec(&s, FCGI_STDIN, 1, body + i, 1);
	sb_hdr(&s, 2, FCGI_PARAMS, 1, 0, 3, 0);
	sb_raw(&s, "\0\0\0", 3);
	sb_wait_end(&s, 1);
	fcgi_buf_init(&d, NULL, 0);
	assert_int_equal(cf_describe_script(&s, &d), 0);
	assert_int_equal(fcgi_buf_append_u8(&d, 0), 0);
	assert_string_equal((const char *)d.data,
			    "  BEGIN_REQUEST id 1 RESPONDER flags 0x01 "
			    "(KEEP_CONN)\n"
			    "  STDIN id 1, 1 byte (x3)\n"
			    "  PARAMS id 1, 0 bytes, version 2, padding 3\n"
			    "  wait for END_REQUEST 1\n");
	fcgi_buf_fini(&d);
	cf_script_fini(&s);
	cf_ctx_fini(&ctx);
}

/* ---- classification ----------------------------------------------------- */

static void test_classify_kinds(void **state)
{
	struct fcgi_buf ans;
	struct cf_script s;
	struct cf_ctx ctx;
	char got[300];

	(void)state;
	ctx_setup(&ctx, true);
	cf_script_init(&s, &ctx);
	sb_request(&s, 1, 0, "hello", 5);
	sb_wait_end(&s, 1);
	fcgi_buf_init(&ans, NULL, 0);

	answer(&ans, 1, "Content-Type: text/plain\r\n\r\nhello");
	assert_int_equal(classify(&s, &ans, 0, CL_EOF, got, sizeof(got)), A_OK);
	assert_string_equal(got, "END_REQUEST REQUEST_COMPLETE, status 200, "
				 "appStatus 0");

	fcgi_buf_reset(&ans);
	answer(&ans, 1, "Status: 404\r\n\r\nhello");
	assert_int_equal(classify(&s, &ans, 0, CL_EOF, got, sizeof(got)),
			 A_STATUS);
	assert_string_equal(got, "END_REQUEST REQUEST_COMPLETE with status "
				 "404 (the normal request gets 200)");

	fcgi_buf_reset(&ans);
	answer(&ans, 1, "Status: 200\r\n\r\nhell");
	assert_int_equal(classify(&s, &ans, 0, CL_EOF, got, sizeof(got)),
			 A_BODY);

	fcgi_buf_reset(&ans);
	answer(&ans, 1, "no header block");
	assert_int_equal(classify(&s, &ans, 0, CL_EOF, got, sizeof(got)),
			 A_NOCGI);

	fcgi_buf_reset(&ans);
	end(&ans, 1, 0, FCGI_CANT_MPX_CONN);
	assert_int_equal(classify(&s, &ans, 0, CL_OPEN, got, sizeof(got)),
			 A_CANT_MPX);
	assert_string_equal(got, "END_REQUEST CANT_MPX_CONN");

	fcgi_buf_reset(&ans);
	end(&ans, 1, 0, 9);
	assert_int_equal(classify(&s, &ans, 0, CL_OPEN, got, sizeof(got)),
			 A_BAD_PSTATUS);

	fcgi_buf_reset(&ans);
	rec(&ans, FCGI_STDOUT, 1, "Status: 200\r\n", 13);
	assert_int_equal(classify(&s, &ans, 0, CL_RESET, got, sizeof(got)),
			 A_CLOSED);
	assert_string_equal(got, "the connection reset by the server without "
				 "END_REQUEST (after some STDOUT)");
	assert_int_equal(classify(&s, &ans, 0, CL_OPEN, got, sizeof(got)),
			 A_SILENT);

	fcgi_buf_fini(&ans);
	cf_script_fini(&s);
	cf_ctx_fini(&ctx);
}

/* The answer's records may be cut anywhere: the outcome is the same. */
static void test_classify_split_invariant(void **state)
{
	static const size_t chunks[] = { 0, 1, 3, 7, 64 };
	struct fcgi_buf ans;
	struct cf_script s;
	struct cf_outcome o;
	struct cf_ctx ctx;
	char got[300], first[300];
	const struct cf_req *r;
	size_t i;

	(void)state;
	ctx_setup(&ctx, true);
	cf_script_init(&s, &ctx);
	sb_request(&s, 1, FCGI_KEEP_CONN, "x", 1);
	sb_send(&s);
	fcgi_buf_init(&ans, NULL, 0);
	rec(&ans, FCGI_STDERR, 1, "oops", 4);
	rec(&ans, FCGI_STDOUT, 1, "Status: 201 Made\r\n", 18);
	rec(&ans, FCGI_STDOUT, 1, "\r\nx", 3);
	rec(&ans, FCGI_STDERR, 1, NULL, 0);
	rec(&ans, FCGI_STDOUT, 1, NULL, 0);
	end(&ans, 1, 7, FCGI_REQUEST_COMPLETE);
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		play(&o, &s, &ans, chunks[i], CL_OPEN);
		cf_classify(&s, &o, 0, 1, -1, got, sizeof(got));
		if (i == 0)
			memcpy(first, got, sizeof(first));
		assert_string_equal(got, first);
		r = cf_outcome_req(&o, 0, 1);
		assert_non_null(r);
		assert_int_equal(r->out_records, 3);
		assert_int_equal(r->err_records, 2);
		assert_int_equal(r->app_status, 7);
		assert_int_equal(r->end_len, 8);
		assert_true(r->out_ended && r->err_ended);
		assert_int_equal(cf_answer_status(r), 201);
		assert_int_equal(o.conn[0].nviol, 0);
		cf_outcome_fini(&o);
	}
	fcgi_buf_fini(&ans);
	cf_script_fini(&s);
	cf_ctx_fini(&ctx);
}

/* A reused id has one entry per request. */
static void test_outcome_generations(void **state)
{
	struct fcgi_buf ans;
	struct cf_script s;
	struct cf_outcome o;
	struct cf_ctx ctx;
	char got[300];

	(void)state;
	ctx_setup(&ctx, false);
	cf_script_init(&s, &ctx);
	sb_request(&s, 1, FCGI_KEEP_CONN, NULL, 0);
	sb_send(&s);
	fcgi_buf_init(&ans, NULL, 0);
	answer(&ans, 1, "Status: 200\r\n\r\n");
	play(&o, &s, &ans, 0, CL_OPEN);
	/* The second request with id 1, answered 404. */
	cf_script_fini(&s);
	cf_script_init(&s, &ctx);
	sb_request(&s, 1, 0, NULL, 0);
	cf_outcome_sent(&o, 0, s.bytes.data, s.bytes.len);
	fcgi_buf_reset(&ans);
	answer(&ans, 1, "Status: 404\r\n\r\n");
	cf_outcome_recv(&o, 0, ans.data, ans.len);
	assert_int_equal(cf_classify(&s, &o, 0, 1, 0, got, sizeof(got)), A_OK);
	assert_int_equal(cf_classify(&s, &o, 0, 1, 1, got, sizeof(got)),
			 A_STATUS);
	assert_int_equal(cf_classify(&s, &o, 0, 1, -1, got, sizeof(got)),
			 A_STATUS);
	assert_int_equal(cf_outcome_req_gen(&o, 0, 1, 0)->after_end, 0);
	assert_int_equal(o.conn[0].nviol, 0);
	cf_outcome_fini(&o);
	fcgi_buf_fini(&ans);
	cf_script_fini(&s);
	cf_ctx_fini(&ctx);
}

/* ---- judges ------------------------------------------------------------- */

/* Judge case id with answer ans (and a close when closed). */
static enum cf_grade judge(const char *id, const struct fcgi_buf *ans,
			   enum cf_close closed, struct cf_verdict *v)
{
	const struct cf_case *k = cf_case_find(id);
	struct cf_script s;
	struct cf_outcome o;
	struct cf_ctx ctx;

	assert_non_null(k);
	ctx_setup(&ctx, true);
	cf_script_init(&s, &ctx);
	k->build(&s);
	assert_int_equal(s.err, 0);
	play(&o, &s, ans, 0, closed);
	cf_judge(v, k, &s, &o);
	cf_outcome_fini(&o);
	cf_script_fini(&s);
	cf_ctx_fini(&ctx);
	return v->grade;
}

static void test_judge_grades(void **state)
{
	struct cf_verdict v;
	struct fcgi_buf ans;
	uint8_t unk[8];

	(void)state;
	fcgi_buf_init(&ans, NULL, 0);
	/* A MUST answered: pass; a close: fail. */
	answer(&ans, 1, "Status: 200\r\n\r\n");
	assert_int_equal(judge("fcgi-6.2-responder", &ans, CL_EOF, &v),
			 CF_PASS);
	fcgi_buf_reset(&ans);
	assert_int_equal(judge("fcgi-6.2-responder", &ans, CL_EOF, &v),
			 CF_FAIL);
	assert_string_equal(v.expected, "answered");
	/* A SHOULD broken: warn. */
	end(&ans, 1, 0, FCGI_REQUEST_COMPLETE);
	assert_int_equal(judge("fcgi-5.1-role-0", &ans, CL_EOF, &v), CF_WARN);
	fcgi_buf_reset(&ans);
	end(&ans, 1, 0, FCGI_UNKNOWN_ROLE);
	assert_int_equal(judge("fcgi-5.1-role-0", &ans, CL_EOF, &v), CF_PASS);
	/* UNKNOWN_TYPE for the right type, and for the wrong one. */
	fcgi_buf_reset(&ans);
	fcgi_unknown_body_encode(unk, 12);
	rec(&ans, FCGI_UNKNOWN_TYPE, 0, unk, sizeof(unk));
	assert_int_equal(judge("fcgi-4.2-type-12", &ans, CL_OPEN, &v), CF_PASS);
	assert_int_equal(judge("fcgi-4.2-type-255", &ans, CL_OPEN, &v),
			 CF_FAIL);
	assert_string_equal(v.got, "UNKNOWN_TYPE {12}, for the wrong type");
	/* The answer itself breaks the protocol: fail, whatever the case
	 * accepts. */
	fcgi_buf_reset(&ans);
	answer(&ans, 1, "Status: 200\r\n\r\n");
	rec(&ans, FCGI_STDOUT, 1, "late", 4);
	assert_int_equal(judge("fcgi-6.2-responder", &ans, CL_EOF, &v),
			 CF_FAIL);
	assert_non_null(strstr(v.got, "after-end-request"));
	fcgi_buf_fini(&ans);
}

static void test_judge_probe(void **state)
{
	const struct cf_case *k = cf_case_find("fcgi-3.5-close-after-begin");
	struct cf_verdict v;
	struct cf_script s;
	struct cf_outcome o;
	struct cf_ctx ctx;

	(void)state;
	ctx_setup(&ctx, false);
	cf_script_init(&s, &ctx);
	k->build(&s);
	cf_outcome_init(&o);
	o.probe_run = true;
	o.probe_ok = true;
	cf_judge(&v, k, &s, &o);
	assert_int_equal(v.grade, CF_PASS);
	o.probe_ok = false;
	snprintf(o.probe_got, sizeof(o.probe_got), "no END_REQUEST");
	cf_judge(&v, k, &s, &o);
	assert_int_equal(v.grade, CF_FAIL);
	assert_string_equal(v.got, "a normal request was answered afterwards; "
				   "and then a normal request on a new "
				   "connection got: no END_REQUEST");
	cf_outcome_fini(&o);
	cf_script_fini(&s);
	cf_ctx_fini(&ctx);
}

static void test_kinds_text(void **state)
{
	char t[200];

	(void)state;
	assert_string_equal(cf_kinds_text(A_OK, t, sizeof(t)), "answered");
	assert_string_equal(
		cf_kinds_text(A_CLOSED | A_UNKNOWN_ROLE, t, sizeof(t)),
		"END_REQUEST UNKNOWN_ROLE or close");
	assert_string_equal(cf_kinds_text(A_ANY_END | A_CLOSED, t, sizeof(t)),
			    "any END_REQUEST or close");
	assert_string_equal(cf_kinds_text(0, t, sizeof(t)), "nothing");
	assert_string_equal(cf_grade_name(CF_WARN), "warn");
	assert_string_equal(cf_level_name(CF_INTEROP), "interop");
	assert_int_equal(cf_level_grade(CF_MUST), CF_FAIL);
	assert_int_equal(cf_level_grade(CF_SHOULD), CF_WARN);
	assert_int_equal(cf_level_grade(CF_MAY), CF_INFO);
}

/* ---- patterns and baselines --------------------------------------------- */

static void test_patterns(void **state)
{
	struct cf_pattern_list l = { NULL, 0 };

	(void)state;
	assert_int_equal(cf_patterns_add(&l, "fcgi-5.4,,fcgi-3.3-id-2"), 0);
	assert_int_equal(l.n, 2);
	assert_true(cf_patterns_match(&l, "fcgi-5.4-abort-twice"));
	assert_true(cf_patterns_match(&l, "fcgi-3.3-id-2"));
	assert_false(cf_patterns_match(&l, "fcgi-3.3-id-256"));
	assert_false(cf_patterns_match(&l, "fcgi-5.41-x"));
	assert_null(cf_patterns_unknown(&l));
	assert_int_equal(cf_patterns_add(&l, "fcgi-3"), 0);
	assert_true(cf_patterns_match(&l, "fcgi-3.2-drip"));
	assert_int_equal(cf_patterns_add(&l, "fcgi-3.3-id"), 0);
	assert_null(cf_patterns_unknown(&l));
	assert_int_equal(cf_patterns_add(&l, "fcgi-3.3-i"), 0);
	assert_string_equal(cf_patterns_unknown(&l), "fcgi-3.3-i");
	cf_patterns_free(&l);
}

static int parse(const char *text, char *err, size_t n, struct cf_baseline *b)
{
	struct guard g;
	uint8_t *p = guard_place(&g, text, strlen(text));
	int rc;

	assert_non_null(p);
	rc = cf_baseline_parse(b, (const char *)p, strlen(text), err, n);
	guard_release(&g);
	return rc;
}

static void test_baseline(void **state)
{
	static const struct {
		const char *text, *err;
	} bad[] = {
		{ "fcgi-9.9-x fail\n",
		  "line 1: 'fcgi-9.9-x' is not a case id" },
		{ "\n\nfcgi-3.3-id-2 pass", "line 3: grade must be 'fail' or "
					    "'warn'" },
		{ "fcgi-3.3-id-2 fail extra",
		  "line 1: text after the grade (a comment needs '#')" },
		{ "fcgi-3.3-id-2\r\nfcgi-3.3-id-2 warn",
		  "line 2: 'fcgi-3.3-id-2' is listed twice" },
		{ "fcgi-3.3-id-2\0", "line 1: a NUL byte" },
	};
	struct cf_baseline b;
	char err[200];
	size_t i;

	(void)state;
	assert_int_equal(parse("# known\n\nfcgi-3.3-id-2 warn # flaky\n"
			       "  fcgi-3.3-id-256\t\r\n"
			       "fcgi-6.2-responder fail",
			       err, sizeof(err), &b),
			 0);
	assert_int_equal(b.n, 3);
	assert_int_equal(cf_baseline_find(&b, "fcgi-3.3-id-2")->grade, CF_WARN);
	assert_int_equal(cf_baseline_find(&b, "fcgi-3.3-id-256")->grade,
			 CF_FAIL);
	assert_null(cf_baseline_find(&b, "fcgi-3.3-id-65535"));
	cf_baseline_free(&b);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct guard g;
		size_t len = strlen(bad[i].text) + (i == 4 ? 1 : 0);
		uint8_t *p = guard_place(&g, bad[i].text, len);

		assert_int_equal(cf_baseline_parse(&b, (const char *)p, len,
						   err, sizeof(err)),
				 -1);
		assert_string_equal(err, bad[i].err);
		assert_int_equal(b.n, 0);
		guard_release(&g);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_ids),
		cmocka_unit_test(test_table_builds),
		cmocka_unit_test(test_client_table),
		cmocka_unit_test(test_client_judges),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_classify_kinds),
		cmocka_unit_test(test_classify_split_invariant),
		cmocka_unit_test(test_outcome_generations),
		cmocka_unit_test(test_judge_grades),
		cmocka_unit_test(test_judge_probe),
		cmocka_unit_test(test_kinds_text),
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_baseline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
