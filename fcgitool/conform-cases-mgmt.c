/* SPDX-License-Identifier: MIT */
/*
 * conform-cases-mgmt.c - cases for FastCGI 1.0 section 4, Management
 * Record Types: GET_VALUES with known, unknown, repeated and many names,
 * malformed queries and queries with a request id; UNKNOWN_TYPE for
 * management types the application does not know.
 */
#include <stdio.h>
#include <string.h>

#include "conform-cases.h"

static const char *const known[] = { "FCGI_MAX_CONNS", "FCGI_MAX_REQS",
				     "FCGI_MPXS_CONNS" };

/* A GET_VALUES record asking for names (empty values), on request id,
 * padded with pad bytes (-1: to 8). */
static void gv_rec(struct cf_script *s, const char *const *names, size_t n,
		   uint16_t id, int pad)
{
	struct fcgi_buf b;
	size_t i;

	fcgi_buf_init(&b, NULL, 0);
	for (i = 0; i < n; i++)
		if (fcgi_nv_encode(&b, names[i], strlen(names[i]), "", 0) != 0)
			s->err = FCGI_ENOMEM;
	if (b.len > FCGI_MAX_CONTENT)
		s->err = FCGI_ELIMIT;
	sb_rec_pad(s, FCGI_GET_VALUES, id, b.data, b.len,
		   pad < 0 ? fcgi_padding_for(b.len, 8) : (uint8_t)pad);
	fcgi_buf_fini(&b);
}

/* Wait for the result; only briefly when the target did not answer the
 * GET_VALUES of the discovery at all. */
static void gv_wait(struct cf_script *s)
{
	sb_step(s, OP_WAIT_MGMT, 0,
		s->ctx->values_answered ? 0 : (uint32_t)s->ctx->quiet_ms);
}

static void b_gv_known(struct cf_script *s)
{
	gv_rec(s, known, 3, 0, -1);
	gv_wait(s);
}

static void b_gv_unknown(struct cf_script *s)
{
	static const char *const n[] = { "X_CONFORM_UNKNOWN" };

	gv_rec(s, n, 1, 0, -1);
	gv_wait(s);
}

static void b_gv_mixed(struct cf_script *s)
{
	static const char *const n[] = { "X_CONFORM_UNKNOWN",
					 "FCGI_MPXS_CONNS" };

	gv_rec(s, n, 2, 0, -1);
	gv_wait(s);
}

static void b_gv_repeated(struct cf_script *s)
{
	static const char *const n[] = { "FCGI_MPXS_CONNS", "FCGI_MPXS_CONNS",
					 "FCGI_MAX_REQS" };

	gv_rec(s, n, 3, 0, -1);
	gv_wait(s);
}

static void b_gv_many(struct cf_script *s)
{
	static char store[1000][24];
	static const char *names[1000];
	size_t i;

	for (i = 0; i < 1000; i++) {
		snprintf(store[i], sizeof(store[i]), "X_CONFORM_%04zu", i);
		names[i] = store[i];
	}
	gv_rec(s, names, 1000, 0, -1);
	gv_wait(s);
}

static void b_gv_empty(struct cf_script *s)
{
	gv_rec(s, NULL, 0, 0, -1);
	gv_wait(s);
}

static void b_gv_with_value(struct cf_script *s)
{
	struct fcgi_buf b;

	fcgi_buf_init(&b, NULL, 0);
	if (fcgi_nv_encode(&b, "FCGI_MPXS_CONNS", 15, "1", 1) != 0)
		s->err = FCGI_ENOMEM;
	sb_rec(s, FCGI_GET_VALUES, 0, b.data, b.len);
	gv_wait(s);
	fcgi_buf_fini(&b);
}

static void b_gv_nonzero_id(struct cf_script *s)
{
	gv_rec(s, known, 3, 1, -1);
	sb_quiet(s);
}

static void b_gv_padded(struct cf_script *s)
{
	gv_rec(s, known, 3, 0, 255);
	gv_wait(s);
}

static void b_gv_long_name(struct cf_script *s)
{
	static char name[201];
	const char *n[] = { name };

	memset(name, 'U', 200);
	memcpy(name, "X_", 2);
	name[200] = '\0';
	gv_rec(s, n, 1, 0, -1);
	gv_wait(s);
}

static void b_gv_twice(struct cf_script *s)
{
	gv_rec(s, known, 3, 0, -1);
	gv_rec(s, known + 2, 1, 0, -1);
	gv_wait(s);
	sb_quiet(s);
}

/* A pair whose name length (15) overruns the record. */
static void b_gv_malformed(struct cf_script *s)
{
	static const uint8_t bad[] = { 15, 0, 'F', 'C' };

	sb_rec(s, FCGI_GET_VALUES, 0, bad, sizeof(bad));
	gv_wait(s);
}

/* GET_VALUES between two PARAMS records of a request. */
static void b_gv_mid_request(struct cf_script *s)
{
	struct fcgi_params p;
	struct fcgi_buf enc;
	size_t half;
	struct rq q;

	fcgi_buf_init(&enc, NULL, 0);
	if (cf_params_for(s->ctx, &p, 0) != 0 ||
	    fcgi_params_encode(&p, &enc) != 0)
		s->err = FCGI_ENOMEM;
	rq_init(&q);
	rq_begin(s, &q);
	/* Cut at a pair boundary: after the first pair. */
	half = fcgi_params_count(&p) > 0 ? enc.len : 0;
	if (fcgi_params_count(&p) > 1) {
		struct fcgi_nv nv;

		fcgi_params_at(&p, 0, &nv);
		half = fcgi_nv_size(nv.name_len, nv.value_len);
	}
	sb_rec(s, FCGI_PARAMS, 1, enc.data, half);
	gv_rec(s, known + 2, 1, 0, -1);
	sb_rec(s, FCGI_PARAMS, 1, enc.data + half, enc.len - half);
	sb_rec(s, FCGI_PARAMS, 1, NULL, 0);
	rq_stdin(s, &q);
	b_finish(s, 1);
	fcgi_buf_fini(&enc);
	fcgi_params_fini(&p);
}

static void b_gv_then_request(struct cf_script *s)
{
	gv_rec(s, known, 3, 0, -1);
	gv_wait(s);
	sb_request(s, 1, 0, NULL, 0);
	b_finish(s, 1);
}

/* ---- judging GET_VALUES_RESULT ---------------------------------------- */

/* The first name in the result that was not asked for, or NULL. */
static const char *unasked(const struct cf_conn_out *co, const char *const *ok,
			   size_t nok, char *out, size_t n)
{
	struct fcgi_nv nv;
	size_t i, j;

	for (i = 0; i < fcgi_params_count(&co->vals); i++) {
		fcgi_params_at(&co->vals, i, &nv);
		for (j = 0; j < nok; j++)
			if (strlen(ok[j]) == nv.name_len &&
			    memcmp(ok[j], nv.name, nv.name_len) == 0)
				break;
		if (j == nok) {
			fcgi_escape(out, n, nv.name,
				    nv.name_len > 40 ? 40 : nv.name_len);
			return out;
		}
	}
	return NULL;
}

/* "FCGI_MPXS_CONNS=0, FCGI_MAX_REQS=5" or "no values". */
static const char *values_text(const struct cf_conn_out *co, char *out,
			       size_t n)
{
	char name[64], value[64];
	struct fcgi_nv nv;
	size_t i, o = 0;
	int w;

	snprintf(out, n, "no values");
	for (i = 0; i < fcgi_params_count(&co->vals) && i < 4; i++) {
		fcgi_params_at(&co->vals, i, &nv);
		fcgi_escape(name, sizeof(name), nv.name,
			    nv.name_len > 15 ? 15 : nv.name_len);
		fcgi_escape(value, sizeof(value), nv.value,
			    nv.value_len > 12 ? 12 : nv.value_len);
		w = snprintf(out + o, n - o, "%s%s=%s", i > 0 ? ", " : "", name,
			     value);
		if (w < 0 || (size_t)w >= n - o)
			break;
		o += (size_t)w;
	}
	return out;
}

/* No result: the grade of the level, naming what came instead. */
static bool no_result(struct cf_verdict *v, const struct cf_case *k,
		      const struct cf_outcome *o)
{
	const struct cf_conn_out *co = &o->conn[0];

	if (co->values > 0)
		return false;
	if (co->closed != CL_OPEN)
		cf_verdict_set(v, cf_level_grade(k->level),
			       "the connection %s without GET_VALUES_RESULT",
			       co->closed == CL_RESET ? "reset" : "closed");
	else
		cf_verdict_set(v, cf_level_grade(k->level),
			       "no GET_VALUES_RESULT");
	return true;
}

/* A result that names only what was asked (allowed: ok[0..nok)). */
static void judge_result(struct cf_verdict *v, const struct cf_case *k,
			 const struct cf_outcome *o, const char *const *ok,
			 size_t nok)
{
	const struct cf_conn_out *co = &o->conn[0];
	char name[200], text[200];

	if (no_result(v, k, o))
		return;
	if (unasked(co, ok, nok, name, sizeof(name)) != NULL) {
		cf_verdict_set(v, CF_WARN,
			       "GET_VALUES_RESULT names %s, which was not "
			       "asked for",
			       name);
		return;
	}
	cf_verdict_set(v, CF_PASS, "GET_VALUES_RESULT: %s",
		       values_text(co, text, sizeof(text)));
}

static void j_gv_known(struct cf_verdict *v, const struct cf_case *k,
		       const struct cf_script *s, const struct cf_outcome *o)
{
	(void)s;
	judge_result(v, k, o, known, 3);
}

static void j_gv_mpxs_only(struct cf_verdict *v, const struct cf_case *k,
			   const struct cf_script *s,
			   const struct cf_outcome *o)
{
	(void)s;
	judge_result(v, k, o, known + 2, 1);
}

static void j_gv_none(struct cf_verdict *v, const struct cf_case *k,
		      const struct cf_script *s, const struct cf_outcome *o)
{
	(void)s;
	judge_result(v, k, o, NULL, 0);
}

static void j_gv_repeated(struct cf_verdict *v, const struct cf_case *k,
			  const struct cf_script *s, const struct cf_outcome *o)
{
	(void)s;
	judge_result(v, k, o, known + 1, 2);
}

/* Information about one of the standard values. */
static void value_info(struct cf_verdict *v, const struct cf_outcome *o,
		       const char *name, bool flag)
{
	const struct cf_conn_out *co = &o->conn[0];
	char value[64];
	struct fcgi_nv nv;
	size_t i;
	bool digits;

	if (co->values == 0) {
		cf_verdict_set(v, CF_INFO, "no GET_VALUES_RESULT, so no %s",
			       name);
		return;
	}
	if (!fcgi_params_gets(&co->vals, name, &nv)) {
		cf_verdict_set(v, CF_INFO, "%s not given", name);
		return;
	}
	fcgi_escape(value, sizeof(value), nv.value,
		    nv.value_len > 15 ? 15 : nv.value_len);
	digits = nv.value_len > 0 && nv.value_len <= 10;
	for (i = 0; i < nv.value_len; i++)
		if (nv.value[i] < '0' || nv.value[i] > '9')
			digits = false;
	if (!digits || (flag && (nv.value_len != 1 || nv.value[0] > '1')))
		cf_verdict_set(v, CF_WARN, "%s=\"%s\" is not %s", name, value,
			       flag ? "\"0\" or \"1\"" : "a decimal number");
	else
		cf_verdict_set(v, CF_INFO, "%s=%s", name, value);
}

static void j_max_conns(struct cf_verdict *v, const struct cf_case *k,
			const struct cf_script *s, const struct cf_outcome *o)
{
	(void)k;
	(void)s;
	value_info(v, o, "FCGI_MAX_CONNS", false);
}

static void j_max_reqs(struct cf_verdict *v, const struct cf_case *k,
		       const struct cf_script *s, const struct cf_outcome *o)
{
	(void)k;
	(void)s;
	value_info(v, o, "FCGI_MAX_REQS", false);
}

static void j_mpxs(struct cf_verdict *v, const struct cf_case *k,
		   const struct cf_script *s, const struct cf_outcome *o)
{
	(void)k;
	(void)s;
	value_info(v, o, "FCGI_MPXS_CONNS", true);
}

static void j_gv_nonzero(struct cf_verdict *v, const struct cf_case *k,
			 const struct cf_script *s, const struct cf_outcome *o)
{
	(void)s;
	if (o->conn[0].values > 0)
		cf_verdict_set(v, cf_level_grade(k->level),
			       "answered it with GET_VALUES_RESULT as if it "
			       "were a management record");
	else if (o->conn[0].closed != CL_OPEN)
		cf_verdict_set(v, CF_PASS, "closed the connection");
	else
		cf_verdict_set(v, CF_PASS, "no answer");
}

static void j_gv_twice(struct cf_verdict *v, const struct cf_case *k,
		       const struct cf_script *s, const struct cf_outcome *o)
{
	(void)s;
	if (no_result(v, k, o))
		return;
	if (o->conn[0].values < 2)
		cf_verdict_set(v, cf_level_grade(k->level),
			       "one GET_VALUES_RESULT for two GET_VALUES");
	else
		cf_verdict_set(v, CF_PASS, "two GET_VALUES_RESULT records");
}

static void j_gv_malformed(struct cf_verdict *v, const struct cf_case *k,
			   const struct cf_script *s,
			   const struct cf_outcome *o)
{
	const struct cf_conn_out *co = &o->conn[0];

	(void)k;
	(void)s;
	if (co->values > 0)
		cf_verdict_set(v, CF_PASS, "answered with GET_VALUES_RESULT");
	else if (co->closed != CL_OPEN)
		cf_verdict_set(v, CF_PASS, "closed the connection");
	else
		cf_verdict_set(v, CF_PASS, "ignored it");
}

/* A result and request 1 answered (k->pass/warn for the request). */
static void j_gv_and_request(struct cf_verdict *v, const struct cf_case *k,
			     const struct cf_script *s,
			     const struct cf_outcome *o)
{
	char text[200];

	if (no_result(v, k, o))
		return;
	cf_judge_answer(v, k, s, o, 0, 1, k->pass, k->warn);
	if (v->grade == CF_PASS)
		cf_verdict_set(v, CF_PASS,
			       "GET_VALUES_RESULT (%s), and the request "
			       "answered",
			       values_text(&o->conn[0], text, sizeof(text)));
}

/* ---- UNKNOWN_TYPE ----------------------------------------------------- */

static void unknown(struct cf_script *s, uint8_t type, size_t n)
{
	uint8_t body[100];

	memset(body, 'u', sizeof(body));
	sb_rec(s, type, 0, body, n);
	s->arg = type;
	sb_wait_mgmt(s);
}

static void b_type_12(struct cf_script *s)
{
	unknown(s, 12, 0);
}

static void b_type_255(struct cf_script *s)
{
	unknown(s, 255, 0);
}

static void b_type_0(struct cf_script *s)
{
	unknown(s, 0, 0);
}

static void b_type_body(struct cf_script *s)
{
	unknown(s, 20, 100);
}

static void b_type_then_request(struct cf_script *s)
{
	unknown(s, 12, 0);
	sb_request(s, 1, 0, NULL, 0);
	b_finish(s, 1);
}

static void b_type_mid_request(struct cf_script *s)
{
	struct rq q;

	rq_init(&q);
	rq_begin(s, &q);
	rq_params(s, &q);
	sb_rec(s, 12, 0, NULL, 0);
	s->arg = 12;
	rq_stdin(s, &q);
	b_finish(s, 1);
}

/* A known type that only applications send: the app does not
 * "understand" it as something to receive. */
static void b_type_result(struct cf_script *s)
{
	static const uint8_t pair[] = { 1, 1, 'X', '1' };

	sb_rec(s, FCGI_GET_VALUES_RESULT, 0, pair, sizeof(pair));
	s->arg = FCGI_GET_VALUES_RESULT;
	sb_step(s, OP_WAIT_MGMT, 0, (uint32_t)s->ctx->quiet_ms);
}

static void b_type_unknown_type(struct cf_script *s)
{
	uint8_t b[8];

	fcgi_unknown_body_encode(b, 42);
	sb_rec(s, FCGI_UNKNOWN_TYPE, 0, b, sizeof(b));
	s->arg = FCGI_UNKNOWN_TYPE;
	sb_step(s, OP_WAIT_MGMT, 0, (uint32_t)s->ctx->quiet_ms);
}

/* UNKNOWN_TYPE, or no answer at all; a close is a warning. */
static void j_type_either(struct cf_verdict *v, const struct cf_case *k,
			  const struct cf_script *s, const struct cf_outcome *o)
{
	const struct cf_conn_out *co = &o->conn[0];

	if (co->unknown > 0 && co->unknown_type[0] == s->arg)
		cf_verdict_set(v, CF_PASS, "UNKNOWN_TYPE {%u}", s->arg);
	else if (co->mgmt_records > 0)
		cf_verdict_set(v, cf_level_grade(k->level),
			       "an unrelated management record");
	else if (co->closed != CL_OPEN)
		cf_verdict_set(v, cf_level_grade(k->level), "the connection %s",
			       co->closed == CL_RESET ? "reset" : "closed");
	else
		cf_verdict_set(v, CF_PASS, "ignored it");
}

/* ---- the table ------------------------------------------------------------ */

#define GV_CASE(name, level, desc, quote, why, accepts, fn, judge)           \
	{                                                                    \
		"fcgi-4.1-" name, level, desc, quote, why, accepts, 0, 0, 0, \
			fn, judge                                            \
	}

#define TYPE_CASE(name, desc, fn)                                         \
	{                                                                 \
		"fcgi-4.2-" name, CF_MUST, desc, Q_UNKNOWN_TYPE,          \
			"New management types are the protocol's way to " \
			"grow; a peer that "                              \
			"closes instead of answering UNKNOWN_TYPE makes " \
			"every extension a "                              \
			"failure.",                                       \
			"UNKNOWN_TYPE {T}", 0, 0, 0, fn, j_unknown_type   \
	}

const struct cf_case cf_cases_mgmt[] = {
	GV_CASE("get-values", CF_MUST,
		"GET_VALUES for the three standard names gets a result", Q_GV,
		"Web servers such as HAProxy ask before they decide to "
		"multiplex or keep connections.",
		"GET_VALUES_RESULT naming only what was asked", b_gv_known,
		j_gv_known),
	GV_CASE("max-conns", CF_MAY, "the value of FCGI_MAX_CONNS", Q_MAX_CONNS,
		"Recorded for the operator.", "a decimal number, or left out",
		b_gv_known, j_max_conns),
	GV_CASE("max-reqs", CF_MAY, "the value of FCGI_MAX_REQS", Q_MAX_REQS,
		"Recorded for the operator.", "a decimal number, or left out",
		b_gv_known, j_max_reqs),
	GV_CASE("mpxs-conns", CF_MAY, "the value of FCGI_MPXS_CONNS", Q_MPXS,
		"Decides whether the multiplexing cases run.",
		"\"0\" or \"1\", or left out", b_gv_known, j_mpxs),
	GV_CASE("unknown-name", CF_MUST,
		"a name the application does not know is left out of the "
		"result",
		Q_GV, "The query is open-ended by design.",
		"GET_VALUES_RESULT without the name", b_gv_unknown, j_gv_none),
	GV_CASE("mixed-names", CF_MUST,
		"known and unknown names together: only known ones come back",
		Q_GV, "As above, with a known name beside it.",
		"GET_VALUES_RESULT without the unknown name", b_gv_mixed,
		j_gv_mpxs_only),
	GV_CASE("repeated-name", CF_SHOULD, "a name asked twice gets a result",
		Q_GV, "libfcgi 2.4.2 aborts on a repeated known name.",
		"GET_VALUES_RESULT", b_gv_repeated, j_gv_repeated),
	GV_CASE("many-names", CF_SHOULD,
		"a query of 1000 unknown names gets a result", Q_GV,
		"A long query must not overflow a fixed table.",
		"GET_VALUES_RESULT without them", b_gv_many, j_gv_none),
	GV_CASE("empty", CF_MUST, "a query with no names gets a result", Q_GV,
		"The smallest query: an empty record.",
		"an empty GET_VALUES_RESULT", b_gv_empty, j_gv_none),
	GV_CASE("with-value", CF_INTEROP,
		"a query whose name carries a value gets a result", Q_GV_QUERY,
		"Values in a query are meaningless; a lenient application "
		"answers anyway.",
		"GET_VALUES_RESULT", b_gv_with_value, j_gv_mpxs_only),
	GV_CASE("nonzero-id", CF_SHOULD,
		"GET_VALUES with request id 1 is not answered as a management "
		"record",
		Q_IDS,
		"A management type on an application id is malformed; "
		"answering it hides a broken web server.",
		"no GET_VALUES_RESULT", b_gv_nonzero_id, j_gv_nonzero),
	GV_CASE("padded", CF_MUST, "a GET_VALUES with 255 padding bytes",
		Q_PADDING, "Management records may be padded like any other.",
		"GET_VALUES_RESULT", b_gv_padded, j_gv_known),
	GV_CASE("long-name", CF_MUST,
		"an unknown 200-byte name (four-byte length) is left out", Q_GV,
		"Queries use the same pair encoding as params.",
		"GET_VALUES_RESULT without the name", b_gv_long_name,
		j_gv_none),
	GV_CASE("twice", CF_MUST, "two GET_VALUES in a row get two results",
		Q_GV_ANYTIME, "Queries may come at any time, also twice.",
		"two GET_VALUES_RESULT records", b_gv_twice, j_gv_twice),
	GV_CASE("malformed", CF_SHOULD,
		"a GET_VALUES whose pair overruns the record does no harm",
		Q_ERRORS,
		"A malformed query may be answered, ignored or end the "
		"connection; the application must go on serving.",
		"anything but a crash", b_gv_malformed, j_gv_malformed),
	{ "fcgi-4.1-mid-request", CF_MUST,
	  "GET_VALUES between the PARAMS records of a request", Q_GV_ANYTIME,
	  "A multiplexing web server may ask while requests run.",
	  "GET_VALUES_RESULT, and the request answered", A_OK, 0, 0,
	  b_gv_mid_request, j_gv_and_request },
	{ "fcgi-4.1-then-request", CF_MUST,
	  "after GET_VALUES the same connection serves a request", Q_GV_ANYTIME,
	  "Older PHP-FPM closed the connection after GET_VALUES.",
	  "GET_VALUES_RESULT, and the request answered", A_OK, A_CLOSED, 0,
	  b_gv_then_request, j_gv_and_request },
	TYPE_CASE("type-12", "management record type 12 gets UNKNOWN_TYPE",
		  b_type_12),
	TYPE_CASE("type-255", "management record type 255 gets UNKNOWN_TYPE",
		  b_type_255),
	TYPE_CASE("type-0", "management record type 0 gets UNKNOWN_TYPE",
		  b_type_0),
	TYPE_CASE("with-body",
		  "management record type 20 with 100 content bytes gets "
		  "UNKNOWN_TYPE",
		  b_type_body),
	{ "fcgi-4.2-then-request", CF_MUST,
	  "after UNKNOWN_TYPE the same connection serves a request",
	  Q_UNKNOWN_TYPE, "The unknown record must not end the connection.",
	  "UNKNOWN_TYPE {12}, and the request answered", A_OK, 0, 0,
	  b_type_then_request, j_unknown_type },
	{ "fcgi-4.2-mid-request", CF_MUST,
	  "an unknown management record between PARAMS and STDIN",
	  Q_UNKNOWN_TYPE,
	  "Management records may come between any two records.",
	  "UNKNOWN_TYPE {12}, and the request answered", A_OK, 0, 0,
	  b_type_mid_request, j_unknown_type },
	{ "fcgi-4.2-result-type", CF_INTEROP,
	  "a GET_VALUES_RESULT sent to the application", Q_UNKNOWN_TYPE,
	  "A type the application sends but never receives: UNKNOWN_TYPE or "
	  "silence are both fair, closing is not.",
	  "UNKNOWN_TYPE {10}, or nothing", 0, 0, CF_ANSWERS_OK, b_type_result,
	  j_type_either },
	{ "fcgi-4.2-unknown-type-type", CF_INTEROP,
	  "an UNKNOWN_TYPE record sent to the application", Q_UNKNOWN_TYPE,
	  "As above, for the UNKNOWN_TYPE type itself.",
	  "UNKNOWN_TYPE {11}, or nothing", 0, 0, CF_ANSWERS_OK,
	  b_type_unknown_type, j_type_either },
};

const size_t cf_ncases_mgmt = sizeof(cf_cases_mgmt) / sizeof(cf_cases_mgmt[0]);
