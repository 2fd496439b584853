/* SPDX-License-Identifier: MIT */
/*
 * conform-cases-conn.c - cases for FastCGI 1.0 sections 3.2, Accepting
 * Transport Connections, and 3.5, Closing Transport Connections: idle,
 * slow and concurrent clients, and web servers that close in every phase
 * of a request.  After each, the probe checks that the target still
 * answers.
 */
#include <stdlib.h>
#include <string.h>

#include "conform-cases.h"

/* ---- idle and slow clients ---------------------------------------------- */

static void b_idle_connect(struct cf_script *s)
{
	sb_step(s, OP_IDLE, 0, 0);
}

static void b_idle_begin(struct cf_script *s)
{
	struct rq q;

	rq_init(&q);
	rq_begin(s, &q);
	sb_step(s, OP_IDLE, 0, 0);
}

static void b_idle_params(struct cf_script *s)
{
	struct rq q;

	rq_init(&q);
	q.no_params_end = true;
	q.no_stdin = true;
	rq_build(s, &q);
	sb_step(s, OP_IDLE, 0, 0);
}

static void b_idle_kept(struct cf_script *s)
{
	sb_request(s, 1, FCGI_KEEP_CONN, NULL, 0);
	sb_wait_end(s, 1);
	sb_step(s, OP_IDLE, 0, 0);
}

/* Information: did the target close an idle connection? */
static void j_idle(struct cf_verdict *v, const struct cf_case *k,
		   const struct cf_script *s, const struct cf_outcome *o)
{
	const struct cf_conn_out *co = &o->conn[0];
	const struct cf_req *r = cf_outcome_req(o, 0, 1);
	double secs = (double)s->ctx->idle_ms / 1000.0;
	const char *ended = "";

	(void)k;
	/* A request cut short may be ended (a read timeout, say). */
	if (!sent_request(s, 0, 1) && r != NULL && r->ends > 0)
		ended = ", after ending the request with END_REQUEST";
	if (co->closed != CL_OPEN)
		cf_verdict_set(v, CF_INFO,
			       "the target closed the idle connection within "
			       "%g s%s",
			       secs, ended);
	else
		cf_verdict_set(v, CF_INFO,
			       "the idle connection was still open after %g "
			       "s%s",
			       secs, ended);
}

static void j_idle_kept(struct cf_verdict *v, const struct cf_case *k,
			const struct cf_script *s, const struct cf_outcome *o)
{
	char got[240];

	if (cf_classify(s, o, 0, 1, -1, got, sizeof(got)) != A_OK) {
		cf_verdict_set(v, CF_FAIL, "the request: %s", got);
		return;
	}
	j_idle(v, k, s, o);
}

/* A normal request, one record per write, 50 ms apart: each pair in a
 * record of its own, so that only the timing is unusual. */
static void b_slow_records(struct cf_script *s)
{
	struct fcgi_params p;
	struct fcgi_buf one;
	struct fcgi_nv nv;
	size_t i;

	fcgi_buf_init(&one, NULL, 0);
	if (cf_params_for(s->ctx, &p, 0) != 0)
		s->err = FCGI_ENOMEM;
	sb_begin(s, 1, FCGI_RESPONDER, 0);
	sb_pause(s, 50);
	for (i = 0; i < fcgi_params_count(&p); i += 4) {
		fcgi_buf_reset(&one);
		for (size_t j = i; j < i + 4 && j < fcgi_params_count(&p);
		     j++) {
			fcgi_params_at(&p, j, &nv);
			if (fcgi_nv_encode(&one, nv.name, nv.name_len, nv.value,
					   nv.value_len) != 0)
				s->err = FCGI_ENOMEM;
		}
		sb_rec(s, FCGI_PARAMS, 1, one.data, one.len);
		sb_pause(s, 50);
	}
	sb_rec(s, FCGI_PARAMS, 1, NULL, 0);
	sb_pause(s, 50);
	sb_rec(s, FCGI_STDIN, 1, NULL, 0);
	sb_expect_echo(s, 1, NULL, 0);
	b_finish(s, 1);
	fcgi_buf_fini(&one);
	fcgi_params_fini(&p);
}

/* The first 48 bytes one at a time, 10 ms apart, then the rest. */
static void b_drip(struct cf_script *s)
{
	size_t i, end;

	sb_request(s, 1, 0, NULL, 0);
	end = s->bytes.len;
	s->bytes.len = s->mark;
	for (i = 0; i < 48 && s->mark < end; i++) {
		s->bytes.len = s->mark + 1;
		sb_pause(s, 10);
	}
	s->bytes.len = end;
	b_finish(s, 1);
}

/* A 256 KiB body echoed to a client that does not read for 500 ms. */
static void b_slow_reader(struct cf_script *s)
{
	const size_t n = 256 * 1024;
	uint8_t *body = malloc(n);
	size_t i;

	if (body == NULL) {
		s->err = FCGI_ENOMEM;
		return;
	}
	for (i = 0; i < n; i++)
		body[i] = (uint8_t)(i % 241);
	sb_request(s, 1, 0, body, n);
	sb_step(s, OP_SLEEP, 0, 300);
	b_finish(s, 1);
	free(body);
}

#define NCONC 4

/* NCONC connections send a whole request each before any is read. */
static void b_concurrent(struct cf_script *s)
{
	uint8_t c;

	for (c = 0; c < NCONC; c++) {
		sb_conn(s, c);
		sb_request(s, 1, 0, NULL, 0);
		sb_send(s);
	}
	/* As a web server does, close each once it is answered: libfcgi
	 * waits for that close before it accepts the next connection. */
	for (c = 0; c < NCONC; c++) {
		sb_conn(s, c);
		sb_wait_end(s, 1);
		sb_step(s, OP_CLOSE, 0, 0);
	}
}

static void j_concurrent(struct cf_verdict *v, const struct cf_case *k,
			 const struct cf_script *s, const struct cf_outcome *o)
{
	char got[240];
	unsigned a;
	uint8_t c;

	for (c = 0; c < NCONC; c++) {
		a = cf_classify(s, o, c, 1, -1, got, sizeof(got));
		if (!(a & k->pass)) {
			cf_verdict_set(v,
				       (a & k->warn) ? CF_WARN
						     : cf_level_grade(k->level),
				       "connection %u: %s", (unsigned)c + 1,
				       got);
			return;
		}
	}
	cf_verdict_set(v, CF_PASS, "all %d connections answered", NCONC);
}

/* ---- closing mid-request -------------------------------------------------- */

#define NCLOSE 6

enum phase {
	PH_BEGIN,
	PH_MID_HEADER,
	PH_MID_PARAMS,
	PH_AFTER_PARAMS,
	PH_MID_STDIN,
	PH_WHOLE
};

/* NCLOSE connections each stop at phase ph and close (or reset). */
static void close_in(struct cf_script *s, enum phase ph, enum cf_op how)
{
	static const uint8_t some[1000];
	struct fcgi_params p;
	struct fcgi_buf enc;
	struct rq q;
	uint8_t c;

	fcgi_buf_init(&enc, NULL, 0);
	if (cf_params_for(s->ctx, &p, 100000) != 0 ||
	    fcgi_params_encode(&p, &enc) != 0)
		s->err = FCGI_ENOMEM;
	rq_init(&q);
	q.params = &p;
	q.n = ph == PH_WHOLE ? 0 : 100000;
	for (c = 0; c < NCLOSE; c++) {
		sb_conn(s, c);
		rq_begin(s, &q);
		switch (ph) {
		case PH_BEGIN:
			break;
		case PH_MID_HEADER:
			sb_hdr(s, 1, FCGI_PARAMS, 1, (uint16_t)enc.len, 0, 0);
			s->bytes.len -= 4;
			break;
		case PH_MID_PARAMS:
			sb_hdr(s, 1, FCGI_PARAMS, 1, (uint16_t)enc.len, 0, 0);
			sb_raw(s, enc.data, enc.len / 2);
			break;
		case PH_AFTER_PARAMS:
			rq_params(s, &q);
			break;
		case PH_MID_STDIN:
			rq_params(s, &q);
			sb_rec(s, FCGI_STDIN, 1, some, sizeof(some));
			break;
		case PH_WHOLE:
			q.params = NULL;
			rq_params(s, &q);
			sb_rec(s, FCGI_STDIN, 1, NULL, 0);
			q.params = &p;
			break;
		}
		sb_step(s, how, 0, 0);
	}
	fcgi_buf_fini(&enc);
	fcgi_params_fini(&p);
}

static void b_close_begin(struct cf_script *s)
{
	close_in(s, PH_BEGIN, OP_CLOSE);
}

static void b_close_mid_header(struct cf_script *s)
{
	close_in(s, PH_MID_HEADER, OP_CLOSE);
}

static void b_close_mid_params(struct cf_script *s)
{
	close_in(s, PH_MID_PARAMS, OP_CLOSE);
}

static void b_close_after_params(struct cf_script *s)
{
	close_in(s, PH_AFTER_PARAMS, OP_CLOSE);
}

static void b_close_mid_stdin(struct cf_script *s)
{
	close_in(s, PH_MID_STDIN, OP_CLOSE);
}

static void b_close_whole(struct cf_script *s)
{
	close_in(s, PH_WHOLE, OP_CLOSE);
}

static void b_reset_mid_stdin(struct cf_script *s)
{
	close_in(s, PH_MID_STDIN, OP_RESET);
}

static void b_reset_whole(struct cf_script *s)
{
	close_in(s, PH_WHOLE, OP_RESET);
}

static void b_close_kept(struct cf_script *s)
{
	sb_request(s, 1, FCGI_KEEP_CONN, NULL, 0);
	sb_wait_end(s, 1);
	sb_step(s, OP_CLOSE, 0, 0);
}

static void j_close_kept(struct cf_verdict *v, const struct cf_case *k,
			 const struct cf_script *s, const struct cf_outcome *o)
{
	cf_judge_answer(v, k, s, o, 0, 1, A_OK, 0);
}

static void b_half_close(struct cf_script *s)
{
	sb_request(s, 1, 0, NULL, 0);
	sb_step(s, OP_SHUT_WR, 0, 0);
	b_finish(s, 1);
}

/* ---- the table ------------------------------------------------------------ */

#define IDLE_CASE(name, desc, why, fn, judge)                               \
	{                                                                   \
		"fcgi-3.2-idle-" name, CF_MAY, desc, Q_LIFETIME, why,       \
			"closed or kept open: recorded", 0, 0, CF_ONCE, fn, \
			judge                                               \
	}

#define CLOSE_CASE(name, desc, fn)                                             \
	{                                                                      \
		"fcgi-3.5-" name, CF_MUST, desc, Q_ABORT_CLOSE,                \
			"nginx aborts a request by closing the connection, "   \
			"in any phase; "                                       \
			"an application that does not notice keeps a worker "  \
			"busy for "                                            \
			"nothing, and enough of them stop it.",                \
			"a normal request still answered afterwards", 0, 0, 0, \
			fn, j_survives                                         \
	}

const struct cf_case cf_cases_conn[] = {
	IDLE_CASE("connect",
		  "a connection that sends nothing: closed, or kept how long",
		  "A connection that never sends a byte holds a worker in "
		  "many servers; a first-byte deadline frees it.",
		  b_idle_connect, j_idle),
	IDLE_CASE("after-begin",
		  "a connection idle after BEGIN_REQUEST: closed, or kept",
		  "A web server that stalls mid-request; the application "
		  "decides how long to wait.",
		  b_idle_begin, j_idle),
	IDLE_CASE("mid-params",
		  "a connection idle inside PARAMS: closed, or kept",
		  "As above, with the params half sent.", b_idle_params,
		  j_idle),
	IDLE_CASE("kept",
		  "a kept connection idle after its request: closed, or kept",
		  "With KEEP_CONN the web server owns the connection; nginx's "
		  "keepalive pools keep it idle for long.",
		  b_idle_kept, j_idle_kept),
	{ "fcgi-3.2-concurrent", CF_SHOULD,
	  "four connections that send a request each at once are all answered",
	  Q_CONNS,
	  "An application that takes one connection at a time must still "
	  "answer the others in turn, not drop them.",
	  "each answered (or OVERLOADED)", A_OK | A_OVERLOADED, A_CLOSED,
	  CF_ONCE, b_concurrent, j_concurrent },
	{ "fcgi-3.2-slow-records", CF_MUST,
	  "a request sent one record per write, 50 ms apart, is answered",
	  Q_STREAM,
	  "Busy web servers forward records as their clients send them.", NULL,
	  A_OK, 0, CF_ONCE, b_slow_records, NULL },
	{ "fcgi-3.2-drip", CF_MUST,
	  "a request whose first 48 bytes come one at a time is answered",
	  Q_RECORD,
	  "A header that arrives a byte at a time must be gathered, not "
	  "misread.",
	  NULL, A_OK, 0, CF_ONCE, b_drip, NULL },
	{ "fcgi-3.2-slow-reader", CF_MUST,
	  "a 256 KiB answer to a client that reads only after 300 ms arrives "
	  "whole",
	  Q_STREAM,
	  "The application must wait for the socket, not drop output when "
	  "the web server is slow to read.",
	  NULL, A_OK, 0, 0, b_slow_reader, NULL },
	CLOSE_CASE("close-after-begin",
		   "six connections closed right after BEGIN_REQUEST",
		   b_close_begin),
	CLOSE_CASE("close-mid-header",
		   "six connections closed inside a record header",
		   b_close_mid_header),
	CLOSE_CASE("close-mid-params",
		   "six connections closed inside a PARAMS record",
		   b_close_mid_params),
	CLOSE_CASE("close-after-params",
		   "six connections closed after the params, before STDIN",
		   b_close_after_params),
	CLOSE_CASE("close-mid-stdin",
		   "six connections closed with STDIN half sent",
		   b_close_mid_stdin),
	CLOSE_CASE("close-before-answer",
		   "six connections closed after a whole request, before the "
		   "answer",
		   b_close_whole),
	CLOSE_CASE("reset-mid-stdin",
		   "six connections reset (RST) with STDIN half sent",
		   b_reset_mid_stdin),
	CLOSE_CASE("reset-before-answer",
		   "six connections reset (RST) after a whole request",
		   b_reset_whole),
	{ "fcgi-3.5-close-kept", CF_MUST,
	  "a kept connection closed by the web server after its request",
	  Q_LIFETIME,
	  "With KEEP_CONN the web server closes the connection when it "
	  "wants; the application must let go of it.",
	  "answered, and a normal request answered afterwards", A_OK, 0, 0,
	  b_close_kept, j_close_kept },
	{ "fcgi-3.5-half-close", CF_INTEROP,
	  "a request followed by a half-close (shutdown) is still answered",
	  Q_ABORT_CLOSE,
	  "Some clients shut down their sending side once the request is "
	  "out, and taking that for an abort loses their answers; but nginx "
	  "aborts by closing, and a server cannot tell a half-close from a "
	  "close until it writes, so stopping the request (and the work "
	  "behind it) is as sound an answer.",
	  "answered, or stopped as an abort", A_OK | A_CLOSED, 0, 0,
	  b_half_close, NULL },
};

const size_t cf_ncases_conn = sizeof(cf_cases_conn) / sizeof(cf_cases_conn[0]);
