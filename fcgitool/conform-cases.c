/* SPDX-License-Identifier: MIT */
/*
 * conform-cases.c - the case table assembled from the case files, the
 * request builder they share, and the judges more than one file uses.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "conform-cases.h"

/* ---- building ----------------------------------------------------------- */

void rq_init(struct rq *q)
{
	memset(q, 0, sizeof(*q));
	q->id = 1;
	q->role = FCGI_RESPONDER;
	q->pad = -1;
	q->pad_empty = -1;
	q->version = FCGI_VERSION_1;
	q->echo_len = SIZE_MAX;
}

void rq_rec(struct cf_script *s, const struct rq *q, uint8_t type, uint16_t id,
	    const void *p, size_t n)
{
	int want = n > 0 ? q->pad : q->pad_empty;
	uint8_t pad = want < 0 ? fcgi_padding_for(n, 8) : (uint8_t)want;
	uint8_t zero[256];
	size_t i;

	sb_hdr(s, q->version, type, id, (uint16_t)n, pad, q->reserved);
	sb_raw(s, p, n);
	if (q->padbytes == NULL || q->npadbytes == 0) {
		memset(zero, 0, sizeof(zero));
		sb_raw(s, zero, pad);
		return;
	}
	for (i = 0; i < pad; i++)
		zero[i] = q->padbytes[i % q->npadbytes];
	sb_raw(s, zero, pad);
}

void rq_begin(struct cf_script *s, const struct rq *q)
{
	struct fcgi_begin_body bb;
	uint8_t b[8];

	bb.role = q->role;
	bb.flags = q->flags;
	fcgi_begin_body_encode(b, &bb);
	rq_rec(s, q, FCGI_BEGIN_REQUEST, q->id, b, sizeof(b));
}

/* Records of one stream, at most chunk bytes each, without the empty
 * record. */
static void rq_chunks(struct cf_script *s, const struct rq *q, uint8_t type,
		      const uint8_t *p, size_t n, size_t chunk)
{
	size_t k;

	if (chunk == 0 || chunk > FCGI_CHUNK_MAX)
		chunk = FCGI_CHUNK_MAX;
	while (n > 0) {
		k = n < chunk ? n : chunk;
		rq_rec(s, q, type, q->id, p, k);
		p += k;
		n -= k;
	}
}

void rq_params(struct cf_script *s, const struct rq *q)
{
	struct fcgi_params own;
	const struct fcgi_params *p = q->params;
	struct fcgi_buf enc, one;
	struct fcgi_nv nv;
	size_t i;

	fcgi_params_init(&own, NULL);
	if (p == NULL) {
		if (cf_params_for(s->ctx, &own, q->n) != 0 && s->err == 0)
			s->err = FCGI_ENOMEM;
		p = &own;
	}
	fcgi_buf_init(&enc, NULL, 0);
	fcgi_buf_init(&one, NULL, 0);
	/* Cut between pairs, as every web server does. */
	for (i = 0; i < fcgi_params_count(p); i++) {
		fcgi_params_at(p, i, &nv);
		fcgi_buf_reset(&one);
		if (fcgi_nv_encode(&one, nv.name, nv.name_len, nv.value,
				   nv.value_len) != 0 &&
		    s->err == 0)
			s->err = FCGI_ENOMEM;
		if (enc.len > 0 && enc.len + one.len > FCGI_CHUNK_MAX) {
			rq_chunks(s, q, FCGI_PARAMS, enc.data, enc.len, 0);
			fcgi_buf_reset(&enc);
		}
		if (fcgi_buf_append(&enc, one.data, one.len) != 0 &&
		    s->err == 0)
			s->err = FCGI_ENOMEM;
	}
	rq_chunks(s, q, FCGI_PARAMS, enc.data, enc.len, 0);
	if (!q->no_params_end)
		rq_rec(s, q, FCGI_PARAMS, q->id, NULL, 0);
	fcgi_buf_fini(&enc);
	fcgi_buf_fini(&one);
	fcgi_params_fini(&own);
}

void rq_stdin(struct cf_script *s, const struct rq *q)
{
	size_t e;

	if (q->no_stdin)
		return;
	rq_chunks(s, q, FCGI_STDIN, q->body, q->n, q->chunk);
	if (!q->no_stdin_end)
		rq_rec(s, q, FCGI_STDIN, q->id, NULL, 0);
	if (q->with_data) {
		rq_chunks(s, q, FCGI_DATA, q->data, q->ndata, 0);
		rq_rec(s, q, FCGI_DATA, q->id, NULL, 0);
	}
	if (!q->no_echo) {
		e = q->echo_len < q->n ? q->echo_len : q->n;
		sb_expect_echo(s, q->id, q->body, e);
	}
}

void rq_build(struct cf_script *s, const struct rq *q)
{
	rq_begin(s, q);
	rq_params(s, q);
	rq_stdin(s, q);
}

void b_finish(struct cf_script *s, uint16_t id)
{
	sb_wait_end(s, id);
	sb_wait_close(s);
}

void b_normal(struct cf_script *s)
{
	sb_request(s, 1, 0, NULL, 0);
	b_finish(s, 1);
}

int cf_pair_at(const struct fcgi_params *p, const char *name, size_t *off,
	       size_t *name_len, size_t *value_len)
{
	size_t i, o = 0, n = strlen(name);
	struct fcgi_nv nv;

	for (i = 0; i < fcgi_params_count(p); i++) {
		fcgi_params_at(p, i, &nv);
		if (nv.name_len == n && memcmp(nv.name, name, n) == 0) {
			*off = o;
			*name_len = nv.name_len;
			*value_len = nv.value_len;
			return 1;
		}
		o += fcgi_nv_size(nv.name_len, nv.value_len);
	}
	return 0;
}

/* ---- shared judges -------------------------------------------------------- */

bool sent_request(const struct cf_script *s, uint8_t c, uint16_t id)
{
	size_t i;

	for (i = 0; i < s->necho; i++)
		if (s->echo[i].conn == c && s->echo[i].id == id)
			return true;
	return false;
}

void j_unknown_type(struct cf_verdict *v, const struct cf_case *k,
		    const struct cf_script *s, const struct cf_outcome *o)
{
	const struct cf_conn_out *co = &o->conn[0];
	unsigned want = s->arg;
	char got[240];

	if (co->unknown > 0 && co->unknown_type[0] == want) {
		cf_verdict_set(v, CF_PASS, "UNKNOWN_TYPE {%u}", want);
	} else if (co->unknown > 0) {
		cf_verdict_set(v, cf_level_grade(k->level),
			       "UNKNOWN_TYPE {%u}, for the wrong type",
			       (unsigned)co->unknown_type[0]);
	} else if (co->closed != CL_OPEN) {
		cf_verdict_set(v, cf_level_grade(k->level),
			       "the connection %s without UNKNOWN_TYPE",
			       co->closed == CL_RESET ? "reset" : "closed");
	} else {
		cf_verdict_set(v, cf_level_grade(k->level),
			       "no UNKNOWN_TYPE record%s",
			       co->mgmt_records > 0
				       ? " (another management record came)"
				       : "");
	}
	/* Cases that send a request beside the unknown record. */
	if (sent_request(s, 0, 1) &&
	    cf_classify(s, o, 0, 1, -1, got, sizeof(got)) != A_OK)
		cf_verdict_set(
			v, cf_level_grade(k->level),
			"UNKNOWN_TYPE came, but the request beside it: %s",
			got);
}

void j_survives(struct cf_verdict *v, const struct cf_case *k,
		const struct cf_script *s, const struct cf_outcome *o)
{
	(void)k;
	(void)s;
	if (o->probe_run)
		cf_verdict_set(v, CF_PASS,
			       "a normal request was answered afterwards");
	else
		cf_verdict_set(v, CF_PASS, "nothing to judge without a probe");
}

void j_ignored_then_answered(struct cf_verdict *v, const struct cf_case *k,
			     const struct cf_script *s,
			     const struct cf_outcome *o)
{
	const struct cf_req *r;
	uint16_t id;

	for (id = 2; id <= 9; id++) {
		r = cf_outcome_req(o, 0, id);
		if (r != NULL) {
			cf_verdict_set(
				v, cf_level_grade(k->level),
				"request %u, never begun, got %u "
				"record(s)%s",
				(unsigned)id,
				r->out_records + r->err_records + r->ends,
				r->ends > 0 ? " and an END_REQUEST" : "");
			return;
		}
	}
	cf_judge_answer(v, k, s, o, 0, 1, k->pass, k->warn);
}

/* ---- the table -------------------------------------------------------------- */

static const struct {
	const char *section, *title;
} sections[] = {
	{ "3.2", "Accepting Transport Connections" },
	{ "3.3", "Records" },
	{ "3.4", "Name-Value Pairs" },
	{ "3.5", "Closing Transport Connections" },
	{ "4.1", "FCGI_GET_VALUES, FCGI_GET_VALUES_RESULT" },
	{ "4.2", "FCGI_UNKNOWN_TYPE" },
	{ "5.1", "FCGI_BEGIN_REQUEST" },
	{ "5.2", "Name-Value Pair Stream: FCGI_PARAMS" },
	{ "5.3", "Byte Streams: FCGI_STDIN, FCGI_DATA, FCGI_STDOUT, "
		 "FCGI_STDERR" },
	{ "5.4", "FCGI_ABORT_REQUEST" },
	{ "5.5", "FCGI_END_REQUEST" },
	{ "6.1", "Role Protocols" },
	{ "6.2", "Responder" },
	{ "6.3", "Authorizer" },
	{ "6.4", "Filter" },
};

const char *cf_section_title(const char *section)
{
	size_t i;

	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		if (strcmp(sections[i].section, section) == 0)
			return sections[i].title;
	return "";
}

const char *cf_case_section(const struct cf_case *k, char *out, size_t n)
{
	const char *p = strchr(k->id, '-'), *e;

	if (n == 0)
		return out;
	out[0] = '\0';
	if (p == NULL)
		return out;
	p++;
	e = strchr(p, '-');
	if (e == NULL)
		e = p + strlen(p);
	snprintf(out, n, "%.*s", (int)(e - p), p);
	return out;
}

/* The case files in catalogue order. */
static const struct {
	const struct cf_case *cases;
	const size_t *n;
} parts[] = {
	{ cf_cases_conn, &cf_ncases_conn }, { cf_cases_rec, &cf_ncases_rec },
	{ cf_cases_nv, &cf_ncases_nv },	    { cf_cases_mgmt, &cf_ncases_mgmt },
	{ cf_cases_req, &cf_ncases_req },
};

#define MAX_CASES 400

const struct cf_case *cf_cases(size_t *n)
{
	static struct cf_case all[MAX_CASES];
	static size_t nall;
	size_t i, j;

	char a[16], b[16];
	struct cf_case t;

	if (nall == 0) {
		for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
			for (j = 0; j < *parts[i].n && nall < MAX_CASES; j++)
				all[nall++] = parts[i].cases[j];
		/* In section order, each file's order kept (insertion sort
		 * is stable). */
		for (i = 1; i < nall; i++) {
			t = all[i];
			cf_case_section(&t, a, sizeof(a));
			for (j = i; j > 0; j--) {
				cf_case_section(&all[j - 1], b, sizeof(b));
				if (strcmp(b, a) <= 0)
					break;
				all[j] = all[j - 1];
			}
			all[j] = t;
		}
	}
	*n = nall;
	return all;
}

const struct cf_case *cf_case_find(const char *id)
{
	const struct cf_case *all;
	size_t n, i;

	all = cf_cases(&n);
	for (i = 0; i < n; i++)
		if (strcmp(all[i].id, id) == 0)
			return &all[i];
	return NULL;
}

const char *cf_case_skip_reason(const struct cf_case *k,
				const struct cf_ctx *ctx)
{
	if ((k->flags & CF_NEEDS_MPX) && ctx->mpxs != 1)
		return ctx->mpxs == 0 ? "the target says FCGI_MPXS_CONNS=0"
				      : "the target did not say that it "
					"multiplexes (FCGI_MPXS_CONNS)";
	if ((k->flags & CF_NEEDS_NO_MPX) && ctx->mpxs == 1)
		return "the target multiplexes (FCGI_MPXS_CONNS=1)";
	if ((k->flags & CF_NEEDS_ECHO) && !ctx->echo)
		return "the target is not known to echo the body (--echo)";
	if ((k->flags & CF_NEEDS_MAXREQS) &&
	    (ctx->max_reqs < 1 || ctx->max_reqs > 32))
		return ctx->max_reqs < 1 ? "the target did not give "
					   "FCGI_MAX_REQS"
					 : "FCGI_MAX_REQS is over 32";
	return NULL;
}
