/* SPDX-License-Identifier: MIT */
/*
 * conform-cases-rec.c - cases for FastCGI 1.0 section 3.3, Records: the
 * version byte, padding, content lengths, reserved bytes, record types,
 * request ids and multiplexing.
 */
#include <stdlib.h>
#include <string.h>

#include "conform-cases.h"

/* ---- version ------------------------------------------------------------ */

static void version_req(struct cf_script *s, uint8_t version)
{
	struct rq q;

	rq_init(&q);
	q.version = version;
	q.no_echo = true;
	rq_build(s, &q);
	b_finish(s, 1);
}

static void b_version_0(struct cf_script *s)
{
	version_req(s, 0);
}

static void b_version_2(struct cf_script *s)
{
	version_req(s, 2);
}

static void b_version_255(struct cf_script *s)
{
	version_req(s, 255);
}

static void b_version_mid(struct cf_script *s)
{
	struct rq q;

	rq_init(&q);
	q.no_echo = true;
	rq_begin(s, &q);
	q.version = 2;
	rq_params(s, &q);
	rq_stdin(s, &q);
	b_finish(s, 1);
}

/* ---- padding -------------------------------------------------------------- */

static void padded(struct cf_script *s, int pad, const uint8_t *bytes,
		   size_t nbytes)
{
	static const char body[] = "padding must be skipped";
	struct rq q;

	rq_init(&q);
	q.pad = pad;
	q.padbytes = bytes;
	q.npadbytes = nbytes;
	q.body = body;
	q.n = sizeof(body) - 1;
	rq_build(s, &q);
	b_finish(s, 1);
}

static void b_pad_0(struct cf_script *s)
{
	padded(s, 0, NULL, 0);
}

static void b_pad_1(struct cf_script *s)
{
	padded(s, 1, NULL, 0);
}

static void b_pad_7(struct cf_script *s)
{
	padded(s, 7, NULL, 0);
}

static void b_pad_8(struct cf_script *s)
{
	padded(s, 8, NULL, 0);
}

static void b_pad_255(struct cf_script *s)
{
	padded(s, 255, NULL, 0);
}

static void b_pad_ff(struct cf_script *s)
{
	static const uint8_t ff[] = { 0xff };

	padded(s, 8, ff, sizeof(ff));
}

/* Padding that reads as the header of a BEGIN_REQUEST for request 2. */
static void b_pad_header(struct cf_script *s)
{
	static const uint8_t hdr[] = {
		1, FCGI_BEGIN_REQUEST, 0, 2, 0, 8, 0, 0
	};

	padded(s, 8, hdr, sizeof(hdr));
}

/* Padding on the empty records that end PARAMS and STDIN only. */
static void empty_padded(struct cf_script *s, bool params, bool stdin_)
{
	static const char body[] = "padding must be skipped";
	struct rq q;

	rq_init(&q);
	q.body = body;
	q.n = sizeof(body) - 1;
	rq_begin(s, &q);
	q.pad_empty = params ? 8 : -1;
	rq_params(s, &q);
	q.pad_empty = stdin_ ? 8 : -1;
	rq_stdin(s, &q);
	b_finish(s, 1);
}

static void b_pad_empty_params(struct cf_script *s)
{
	empty_padded(s, true, false);
}

static void b_pad_empty_stdin(struct cf_script *s)
{
	empty_padded(s, false, true);
}

static void b_reserved(struct cf_script *s)
{
	struct rq q;

	rq_init(&q);
	q.reserved = 0xff;
	rq_build(s, &q);
	b_finish(s, 1);
}

/* ---- content lengths -------------------------------------------------------- */

/* Params whose encoding is exactly 65535 bytes, the largest record. */
static int params_65535(const struct cf_ctx *ctx, struct fcgi_params *p)
{
	struct fcgi_buf enc;
	size_t have, need;
	uint8_t *fill;
	int rc;

	rc = cf_params_for(ctx, p, 0);
	if (rc != 0)
		return rc;
	fcgi_buf_init(&enc, NULL, 0);
	rc = fcgi_params_encode(p, &enc);
	have = enc.len;
	fcgi_buf_fini(&enc);
	/* X_CONFORM_FILL: 1 + 4 length bytes, 14 name bytes. */
	if (rc != 0 || have + 19 + 128 > FCGI_MAX_CONTENT)
		return rc != 0 ? rc : FCGI_ELIMIT;
	need = FCGI_MAX_CONTENT - have - 19;
	fill = malloc(need);
	if (fill == NULL)
		return FCGI_ENOMEM;
	memset(fill, 'f', need);
	rc = fcgi_params_add(p, "X_CONFORM_FILL", 14, fill, need);
	free(fill);
	return rc;
}

static void max_params(struct cf_script *s, uint8_t pad)
{
	struct fcgi_params p;
	struct fcgi_buf enc;
	struct rq q;

	rq_init(&q);
	fcgi_buf_init(&enc, NULL, 0);
	if (params_65535(s->ctx, &p) != 0 ||
	    fcgi_params_encode(&p, &enc) != 0 || enc.len != FCGI_MAX_CONTENT)
		s->err = FCGI_ELIMIT;
	rq_begin(s, &q);
	sb_rec_pad(s, FCGI_PARAMS, 1, enc.data, enc.len, pad);
	sb_rec(s, FCGI_PARAMS, 1, NULL, 0);
	rq_stdin(s, &q);
	b_finish(s, 1);
	fcgi_buf_fini(&enc);
	fcgi_params_fini(&p);
}

static void b_content_max(struct cf_script *s)
{
	max_params(s, 0);
}

static void b_content_max_padded(struct cf_script *s)
{
	max_params(s, 1);
}

static void max_stdin(struct cf_script *s, uint8_t pad)
{
	uint8_t *body = malloc(FCGI_MAX_CONTENT);
	struct rq q;
	size_t i;

	if (body == NULL) {
		s->err = FCGI_ENOMEM;
		return;
	}
	for (i = 0; i < FCGI_MAX_CONTENT; i++)
		body[i] = (uint8_t)(i * 7 + i / 251);
	rq_init(&q);
	q.body = body;
	q.n = FCGI_MAX_CONTENT;
	q.no_stdin = true;
	rq_build(s, &q);
	sb_rec_pad(s, FCGI_STDIN, 1, body, FCGI_MAX_CONTENT, pad);
	sb_rec(s, FCGI_STDIN, 1, NULL, 0);
	sb_expect_echo(s, 1, body, FCGI_MAX_CONTENT);
	b_finish(s, 1);
	free(body);
}

static void b_stdin_max(struct cf_script *s)
{
	max_stdin(s, 0);
}

static void b_stdin_max_padded(struct cf_script *s)
{
	max_stdin(s, 255);
}

/* Padding on the BEGIN_REQUEST alone; the body shows whether the
 * records after it were read from the right place. */
static void b_pad_begin(struct cf_script *s)
{
	static const char body[] = "padding must be skipped";
	struct rq q;

	rq_init(&q);
	q.body = body;
	q.n = sizeof(body) - 1;
	q.pad = 8;
	rq_begin(s, &q);
	q.pad = -1;
	rq_params(s, &q);
	rq_stdin(s, &q);
	b_finish(s, 1);
}

static void b_stdin_bytes(struct cf_script *s)
{
	uint8_t body[200];
	struct rq q;
	size_t i;

	for (i = 0; i < sizeof(body); i++)
		body[i] = (uint8_t)('a' + i % 26);
	rq_init(&q);
	q.body = body;
	q.n = sizeof(body);
	q.chunk = 1;
	rq_build(s, &q);
	b_finish(s, 1);
}

/* 100 KiB of STDIN in records of 1, 7, 4093, 65535, ... bytes. */
static void b_stdin_odd(struct cf_script *s)
{
	static const size_t sizes[] = { 1, 7, 4093, 65535, 2, 8191 };
	const size_t n = 100 * 1024;
	uint8_t *body = malloc(n);
	size_t i, off = 0, k;
	struct rq q;

	if (body == NULL) {
		s->err = FCGI_ENOMEM;
		return;
	}
	for (i = 0; i < n; i++)
		body[i] = (uint8_t)(i % 253);
	rq_init(&q);
	q.body = body;
	q.n = n;
	q.no_stdin = true;
	rq_build(s, &q);
	for (i = 0; off < n; i++) {
		k = sizes[i % (sizeof(sizes) / sizeof(sizes[0]))];
		if (k > n - off)
			k = n - off;
		sb_rec(s, FCGI_STDIN, 1, body + off, k);
		off += k;
	}
	sb_rec(s, FCGI_STDIN, 1, NULL, 0);
	sb_expect_echo(s, 1, body, n);
	b_finish(s, 1);
	free(body);
}

/* ---- record types --------------------------------------------------------- */

/* A record of type t for request 1 between PARAMS and STDIN. */
static void stray(struct cf_script *s, uint8_t t, const void *p, size_t n)
{
	struct rq q;

	rq_init(&q);
	rq_begin(s, &q);
	rq_params(s, &q);
	sb_rec(s, t, 1, p, n);
	rq_stdin(s, &q);
	b_finish(s, 1);
}

static void b_app_type_12(struct cf_script *s)
{
	stray(s, 12, "??", 2);
}

static void b_stdout_to_app(struct cf_script *s)
{
	static const char out[] = "Status: 500\r\n\r\n";

	stray(s, FCGI_STDOUT, out, sizeof(out) - 1);
}

static void b_end_to_app(struct cf_script *s)
{
	uint8_t b[8];
	struct fcgi_end_body eb = { 0, FCGI_REQUEST_COMPLETE };

	fcgi_end_body_encode(b, &eb);
	stray(s, FCGI_END_REQUEST, b, sizeof(b));
}

/* ---- request ids ---------------------------------------------------------- */

/* Records for request 5, never begun, then a normal request. */
static void b_inactive(struct cf_script *s)
{
	static const char junk[] = "for nobody";
	struct fcgi_params p;

	if (cf_params_for(s->ctx, &p, 0) != 0)
		s->err = FCGI_ENOMEM;
	sb_params(s, 5, &p);
	sb_stream(s, FCGI_STDIN, 5, junk, sizeof(junk) - 1, 0);
	sb_request(s, 1, 0, NULL, 0);
	b_finish(s, 1);
	fcgi_params_fini(&p);
}

/* The first record is STDIN for request 1, which is not active yet. */
static void b_inactive_first(struct cf_script *s)
{
	static const char junk[] = "too early";

	sb_rec(s, FCGI_STDIN, 1, junk, sizeof(junk) - 1);
	sb_request(s, 1, 0, NULL, 0);
	b_finish(s, 1);
}

/* Request 1 is answered; a late STDIN record for it must be ignored;
 * request 2 follows on the same connection. */
static void b_stale(struct cf_script *s)
{
	static const char junk[] = "late";

	sb_request(s, 1, FCGI_KEEP_CONN, NULL, 0);
	sb_wait_end(s, 1);
	sb_rec(s, FCGI_STDIN, 1, junk, sizeof(junk) - 1);
	sb_request(s, 2, 0, NULL, 0);
	b_finish(s, 2);
	s->main_id = 2;
}

static void j_stale(struct cf_verdict *v, const struct cf_case *k,
		    const struct cf_script *s, const struct cf_outcome *o)
{
	const struct cf_req *r = cf_outcome_req(o, 0, 1);

	if (r != NULL && (r->ends > 1 || r->after_end > 0)) {
		cf_verdict_set(v, cf_level_grade(k->level),
			       "request 1 got %u record(s) after its "
			       "END_REQUEST",
			       r->after_end + (r->ends > 1 ? r->ends - 1 : 0));
		return;
	}
	cf_judge_answer(v, k, s, o, 0, 1, A_OK, 0);
	if (v->grade == CF_PASS)
		cf_judge_answer(v, k, s, o, 0, 2, k->pass, k->warn);
	else
		return;
	if (v->grade == CF_PASS)
		cf_verdict_set(v, CF_PASS,
			       "the late record was ignored and "
			       "request 2 answered");
}

static void b_id_reuse(struct cf_script *s)
{
	sb_request(s, 1, FCGI_KEEP_CONN, NULL, 0);
	sb_wait_end(s, 1);
	sb_request(s, 1, 0, NULL, 0);
	b_finish(s, 1);
}

static void j_id_reuse(struct cf_verdict *v, const struct cf_case *k,
		       const struct cf_script *s, const struct cf_outcome *o)
{
	char got[240];
	unsigned a = cf_classify(s, o, 0, 1, 0, got, sizeof(got));

	if (!(a & k->pass)) {
		cf_verdict_set(v, cf_level_grade(k->level),
			       "the first request: %s", got);
		return;
	}
	a = cf_classify(s, o, 0, 1, 1, got, sizeof(got));
	if (a & k->pass)
		cf_verdict_set(v, CF_PASS, "both answered; the second: %s",
			       got);
	else
		cf_verdict_set(v, cf_level_grade(k->level),
			       "the second request with id 1: %s", got);
}

static void id_req(struct cf_script *s, uint16_t id)
{
	sb_request(s, id, 0, NULL, 0);
	b_finish(s, id);
	s->main_id = id;
}

static void b_id_2(struct cf_script *s)
{
	id_req(s, 2);
}

static void b_id_256(struct cf_script *s)
{
	id_req(s, 256);
}

static void b_id_65535(struct cf_script *s)
{
	id_req(s, 65535);
}

/* ---- multiplexing --------------------------------------------------------- */

/* Requests 1 and 2 on one connection, their records interleaved. */
static void b_mpx_two(struct cf_script *s)
{
	static const char b1[] = "first", b2[] = "second";
	struct fcgi_params p1, p2;

	if (cf_params_for(s->ctx, &p1, 5) != 0 ||
	    cf_params_for(s->ctx, &p2, 6) != 0)
		s->err = FCGI_ENOMEM;
	sb_begin(s, 1, FCGI_RESPONDER, FCGI_KEEP_CONN);
	sb_begin(s, 2, FCGI_RESPONDER, FCGI_KEEP_CONN);
	sb_params(s, 2, &p2);
	sb_params(s, 1, &p1);
	sb_stream(s, FCGI_STDIN, 2, b2, 6, 0);
	sb_stream(s, FCGI_STDIN, 1, b1, 5, 0);
	sb_expect_echo(s, 1, b1, 5);
	sb_expect_echo(s, 2, b2, 6);
	sb_wait_end(s, 1);
	sb_wait_end(s, 2);
	fcgi_params_fini(&p1);
	fcgi_params_fini(&p2);
}

/* Judge requests first..last on conn 0 with the case's sets. */
static void judge_range(struct cf_verdict *v, const struct cf_case *k,
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

static void j_mpx_two(struct cf_verdict *v, const struct cf_case *k,
		      const struct cf_script *s, const struct cf_outcome *o)
{
	judge_range(v, k, s, o, 1, 2);
}

/* Three requests whose records take turns, one record each. */
static void b_mpx_interleaved(struct cf_script *s)
{
	static const char body[] = "0123456789abcdef";
	struct fcgi_params p;
	struct fcgi_buf enc;
	size_t off, k;
	uint16_t id;

	fcgi_buf_init(&enc, NULL, 0);
	if (cf_params_for(s->ctx, &p, 16) != 0 ||
	    fcgi_params_encode(&p, &enc) != 0)
		s->err = FCGI_ENOMEM;
	for (id = 1; id <= 3; id++)
		sb_begin(s, id, FCGI_RESPONDER, FCGI_KEEP_CONN);
	for (off = 0; off < enc.len; off += k) {
		k = enc.len - off < 64 ? enc.len - off : 64;
		for (id = 1; id <= 3; id++)
			sb_rec(s, FCGI_PARAMS, id, enc.data + off, k);
	}
	for (id = 1; id <= 3; id++)
		sb_rec(s, FCGI_PARAMS, id, NULL, 0);
	for (off = 0; off < 16; off += 4)
		for (id = 1; id <= 3; id++)
			sb_rec(s, FCGI_STDIN, id, body + off, 4);
	for (id = 1; id <= 3; id++) {
		sb_rec(s, FCGI_STDIN, id, NULL, 0);
		sb_expect_echo(s, id, body, 16);
	}
	for (id = 1; id <= 3; id++)
		sb_wait_end(s, id);
	fcgi_buf_fini(&enc);
	fcgi_params_fini(&p);
}

static void j_mpx_three(struct cf_verdict *v, const struct cf_case *k,
			const struct cf_script *s, const struct cf_outcome *o)
{
	judge_range(v, k, s, o, 1, 3);
}

/* Two requests; the first is aborted before its params end. */
static void b_mpx_abort(struct cf_script *s)
{
	struct rq q;

	rq_init(&q);
	q.flags = FCGI_KEEP_CONN;
	q.no_params_end = true;
	q.no_stdin = true;
	rq_build(s, &q);
	sb_request(s, 2, FCGI_KEEP_CONN, NULL, 0);
	sb_rec(s, FCGI_ABORT_REQUEST, 1, NULL, 0);
	sb_wait_end(s, 1);
	sb_wait_end(s, 2);
}

static void j_mpx_abort(struct cf_verdict *v, const struct cf_case *k,
			const struct cf_script *s, const struct cf_outcome *o)
{
	char got[240];

	if (!(cf_classify(s, o, 0, 1, -1, got, sizeof(got)) & A_ANY_END)) {
		cf_verdict_set(v, cf_level_grade(k->level),
			       "the aborted request: %s", got);
		return;
	}
	cf_judge_answer(v, k, s, o, 0, 2, A_OK, 0);
}

/* FCGI_MAX_REQS + 1 requests at once on one connection. */
static void b_mpx_max(struct cf_script *s)
{
	long n = s->ctx->max_reqs, i;
	struct rq q;

	if (n < 1 || n > 32)
		n = 1;
	rq_init(&q);
	q.flags = FCGI_KEEP_CONN;
	for (i = 1; i <= n + 1; i++) {
		q.id = (uint16_t)i;
		rq_build(s, &q);
	}
	for (i = 1; i <= n + 1; i++)
		sb_wait_end(s, (uint16_t)i);
}

static void j_mpx_max(struct cf_verdict *v, const struct cf_case *k,
		      const struct cf_script *s, const struct cf_outcome *o)
{
	long n = s->ctx->max_reqs;

	judge_range(v, k, s, o, 1, (uint16_t)(n < 1 || n > 32 ? 2 : n + 1));
}

/* Request 2 while request 1 is still reading its STDIN. */
static void b_cant_mpx(struct cf_script *s)
{
	static const char b1[] = "one";
	struct rq q;

	rq_init(&q);
	q.flags = FCGI_KEEP_CONN;
	q.body = b1;
	q.n = 3;
	q.no_stdin = true;
	rq_build(s, &q);
	sb_request(s, 2, FCGI_KEEP_CONN, NULL, 0);
	sb_wait_end(s, 2);
	sb_stream(s, FCGI_STDIN, 1, b1, 3, 0);
	sb_expect_echo(s, 1, b1, 3);
	sb_wait_end(s, 1);
	sb_wait_end(s, 2);
	s->main_id = 2;
}

static void j_cant_mpx(struct cf_verdict *v, const struct cf_case *k,
		       const struct cf_script *s, const struct cf_outcome *o)
{
	const struct cf_req *r2 = cf_outcome_req(o, 0, 2);
	char got[240];
	unsigned a;

	a = cf_classify(s, o, 0, 1, -1, got, sizeof(got));
	if (!(a & (A_OK | A_CLOSED))) {
		cf_verdict_set(v, cf_level_grade(k->level),
			       "the first request: %s", got);
		return;
	}
	a = cf_classify(s, o, 0, 2, -1, got, sizeof(got));
	if (a == A_CANT_MPX)
		cf_verdict_set(v, CF_PASS, "request 2: %s", got);
	else if (a == A_OK && r2 != NULL && r2->end_step > 0 &&
		 r2->end_step > cf_outcome_req(o, 0, 1)->end_step)
		cf_verdict_set(v, CF_WARN,
			       "request 2 waited for request 1 and was then "
			       "answered instead of CANT_MPX_CONN");
	else if (a & (A_OVERLOADED | A_OK))
		cf_verdict_set(v, CF_WARN, "request 2: %s", got);
	else
		cf_verdict_set(v, cf_level_grade(k->level), "request 2: %s",
			       got);
}

/* ---- the table ------------------------------------------------------------ */

#define VERSION_CASE(ver, fn)                                                 \
	{                                                                     \
		"fcgi-3.3-version-" #ver, CF_SHOULD,                          \
			"a request whose records carry version " #ver         \
			" is refused",                                        \
			Q_VERSION,                                            \
			"A peer that speaks another version, or that is not " \
			"FastCGI at all, "                                    \
			"must not be served as if it spoke version 1; "       \
			"closing is the only "                                \
			"safe answer.",                                       \
			"close", A_CLOSED, A_SILENT | A_ANY_END, 0, fn, NULL  \
	}

#define PAD_CASE(name, desc, fn)                                             \
	{                                                                    \
		"fcgi-3.3-padding-" name, CF_MUST, desc, Q_PADDING,          \
			"Senders may pad any record; a receiver that does "  \
			"not skip the "                                      \
			"padding reads it as the next header and loses the " \
			"stream.",                                           \
			NULL, A_OK, 0, 0, fn, NULL                           \
	}

const struct cf_case cf_cases_rec[] = {
	VERSION_CASE(0, b_version_0),
	VERSION_CASE(2, b_version_2),
	VERSION_CASE(255, b_version_255),
	{ "fcgi-3.3-version-mid-request", CF_SHOULD,
	  "a PARAMS record of version 2 inside a request is refused", Q_VERSION,
	  "A version byte gone wrong in the middle of a connection means the "
	  "framing is lost; the request must not be answered as if nothing "
	  "had happened.",
	  "close or an END_REQUEST other than REQUEST_COMPLETE",
	  A_CLOSED | A_REFUSED, A_SILENT | A_COMPLETE, 0, b_version_mid, NULL },
	PAD_CASE("0", "records without padding (not 8-byte aligned) are read",
		 b_pad_0),
	PAD_CASE("1", "one byte of padding on each non-empty record is skipped",
		 b_pad_1),
	PAD_CASE("7",
		 "seven bytes of padding on each non-empty record are "
		 "skipped",
		 b_pad_7),
	PAD_CASE("8", "eight bytes of padding beyond alignment are skipped",
		 b_pad_8),
	PAD_CASE("255",
		 "255 bytes of padding on each non-empty record are "
		 "skipped",
		 b_pad_255),
	{ "fcgi-3.3-padding-bytes", CF_MUST,
	  "padding of 0xff bytes instead of zeros is ignored", Q_PADDING_DATA,
	  "The spec does not say what padding holds; senders may leave "
	  "anything there.",
	  NULL, A_OK, 0, 0, b_pad_ff, NULL },
	{ "fcgi-3.3-padding-header", CF_MUST,
	  "padding that looks like a BEGIN_REQUEST header is ignored",
	  Q_PADDING_DATA,
	  "A receiver that looks into padding, or miscounts it, starts a "
	  "request that was never sent.",
	  "answered, and nothing for request 2", A_OK, 0, 0, b_pad_header,
	  j_ignored_then_answered },
	{ "fcgi-3.3-padding-empty-params", CF_MUST,
	  "8 bytes of padding on the empty record that ends PARAMS are skipped",
	  Q_PADDING,
	  "Web servers never pad an empty record, so readers that stop at the "
	  "empty record's header and leave its padding in the stream go "
	  "unnoticed until a sender does.",
	  NULL, A_OK, 0, 0, b_pad_empty_params, NULL },
	{ "fcgi-3.3-padding-empty-stdin", CF_MUST,
	  "8 bytes of padding on the empty record that ends STDIN are skipped",
	  Q_PADDING, "As above, for the end of STDIN.", NULL, A_OK, 0, 0,
	  b_pad_empty_stdin, NULL },
	{ "fcgi-3.3-padding-begin", CF_MUST,
	  "8 bytes of padding on the BEGIN_REQUEST alone are skipped",
	  Q_PADDING,
	  "Fixed-size records may be padded like any other; a reader that "
	  "takes the body as exactly 8 bytes and forgets the padding reads "
	  "the rest of the request from the wrong place.",
	  NULL, A_OK, 0, 0, b_pad_begin, NULL },
	{ "fcgi-3.3-reserved", CF_INTEROP,
	  "a header reserved byte of 0xff is ignored", Q_RECORD,
	  "The spec gives the reserved byte no meaning; a receiver that "
	  "insists on zero rejects senders that reuse it.",
	  NULL, A_OK, 0, 0, b_reserved, NULL },
	{ "fcgi-3.3-content-65535", CF_MUST,
	  "a PARAMS record of 65535 content bytes, the largest, is read",
	  Q_CONTENT,
	  "65535 is the largest contentLength; a buffer one byte short "
	  "breaks here.",
	  NULL, A_OK, 0, 0, b_content_max, NULL },
	{ "fcgi-3.3-content-65535-padded", CF_INTEROP,
	  "a PARAMS record of 65535 content bytes and 1 padding byte is read",
	  Q_PADDING,
	  "Legal, but contentLength + paddingLength is over 65535, which "
	  "PHP-FPM rejects; nginx and libfcgi never send it.",
	  NULL, A_OK, 0, 0, b_content_max_padded, NULL },
	{ "fcgi-3.3-stdin-65535", CF_MUST,
	  "a STDIN record of 65535 bytes is read whole", Q_CONTENT,
	  "The largest record of a stream that carries request bodies.", NULL,
	  A_OK, 0, 0, b_stdin_max, NULL },
	{ "fcgi-3.3-stdin-65535-padded", CF_MUST,
	  "a STDIN record of 65535 bytes and 255 padding bytes is read",
	  Q_PADDING, "The largest record there is: 8 + 65535 + 255 bytes.",
	  NULL, A_OK, 0, 0, b_stdin_max_padded, NULL },
	{ "fcgi-3.3-stdin-1-byte-records", CF_MUST,
	  "a body sent in 200 STDIN records of one byte each is read", Q_STREAM,
	  "How a stream is cut into records carries no meaning.", NULL, A_OK, 0,
	  0, b_stdin_bytes, NULL },
	{ "fcgi-3.3-stdin-odd-records", CF_MUST,
	  "a 100 KiB body in records of 1, 7, 4093 and 65535 bytes is read",
	  Q_STREAM,
	  "Bodies arrive in whatever pieces the web server read them in.", NULL,
	  A_OK, 0, 0, b_stdin_odd, NULL },
	{ "fcgi-3.3-app-type-12", CF_INTEROP,
	  "an application record of undefined type 12 inside a request is "
	  "ignored",
	  Q_UNKNOWN_TYPE,
	  "The spec only defines an answer to unknown management records; a "
	  "robust application skips an unknown record of a request and goes "
	  "on.",
	  NULL, A_OK, 0, 0, b_app_type_12, NULL },
	{ "fcgi-3.3-stdout-to-app", CF_INTEROP,
	  "a STDOUT record sent to the application is ignored", Q_RECORD,
	  "STDOUT flows from the application; one coming the other way is "
	  "an error of the web server that must not end up in the response.",
	  NULL, A_OK, 0, 0, b_stdout_to_app, NULL },
	{ "fcgi-3.3-end-to-app", CF_INTEROP,
	  "an END_REQUEST record sent to the application is ignored", Q_END,
	  "Only the application ends a request.", NULL, A_OK, 0, 0,
	  b_end_to_app, NULL },
	{ "fcgi-3.3-inactive-id", CF_MUST,
	  "PARAMS and STDIN for a request that was never begun are ignored",
	  Q_INACTIVE,
	  "An application that serves records of an inactive id answers "
	  "requests nobody made.",
	  "answered, and nothing for request 5", A_OK, A_CLOSED, 0, b_inactive,
	  j_ignored_then_answered },
	{ "fcgi-3.3-inactive-first", CF_MUST,
	  "a STDIN record before any BEGIN_REQUEST is ignored", Q_INACTIVE,
	  "The first record of a connection need not be BEGIN_REQUEST for "
	  "the records before it to be ignored.",
	  NULL, A_OK, A_CLOSED, 0, b_inactive_first, NULL },
	{ "fcgi-3.3-inactive-after-end", CF_MUST,
	  "a STDIN record for a request that has ended is ignored", Q_INACTIVE,
	  "Late records race with END_REQUEST on every busy connection.",
	  "nothing after request 1's END_REQUEST, and request 2 answered", A_OK,
	  A_CLOSED, 0, b_stale, j_stale },
	{ "fcgi-3.3-id-reuse", CF_MUST,
	  "request id 1 is used again after its END_REQUEST", Q_REUSE,
	  "Web servers always use id 1 on a kept connection.",
	  "both requests answered", A_OK, 0, 0, b_id_reuse, j_id_reuse },
	{ "fcgi-3.3-id-2", CF_MUST, "a request with id 2 is answered with id 2",
	  Q_ACTIVE, "Ids other than 1 are legal even without multiplexing.",
	  NULL, A_OK, 0, 0, b_id_2, NULL },
	{ "fcgi-3.3-id-256", CF_MUST,
	  "a request with id 256 is answered with id 256", Q_ACTIVE,
	  "The id is big-endian: 256 and 1 differ only in byte order.", NULL,
	  A_OK, 0, 0, b_id_256, NULL },
	{ "fcgi-3.3-id-65535", CF_MUST,
	  "a request with id 65535, the largest, is answered", Q_ACTIVE,
	  "The largest id; tables indexed by id must hold it.", NULL, A_OK, 0,
	  0, b_id_65535, NULL },
	{ "fcgi-3.3-mpx-two", CF_MAY,
	  "two requests whose records interleave are both answered", Q_MPX,
	  "An application that says FCGI_MPXS_CONNS=1 must keep concurrent "
	  "requests apart.",
	  "both answered", A_OK, 0, CF_NEEDS_MPX, b_mpx_two, j_mpx_two },
	{ "fcgi-3.3-mpx-interleaved", CF_MAY,
	  "three requests whose PARAMS and STDIN records take turns are "
	  "answered",
	  Q_MPX, "Streams of different requests interleave record by record.",
	  "all answered", A_OK, 0, CF_NEEDS_MPX, b_mpx_interleaved,
	  j_mpx_three },
	{ "fcgi-3.3-mpx-abort-one", CF_MUST,
	  "aborting one of two concurrent requests leaves the other whole",
	  Q_ABORT,
	  "ABORT_REQUEST exists because closing the connection would end "
	  "every request on it.",
	  "END_REQUEST for both, the second answered", A_OK, 0, CF_NEEDS_MPX,
	  b_mpx_abort, j_mpx_abort },
	{ "fcgi-3.3-mpx-max-reqs", CF_SHOULD,
	  "one request more than FCGI_MAX_REQS gets an END_REQUEST",
	  Q_OVERLOADED,
	  "Past its advertised limit an application refuses with OVERLOADED "
	  "rather than stalling.",
	  "END_REQUEST for every request (OVERLOADED for the extra one)",
	  A_OK | A_OVERLOADED, A_CLOSED, CF_NEEDS_MPX | CF_NEEDS_MAXREQS,
	  b_mpx_max, j_mpx_max },
	{ "fcgi-3.3-cant-mpx", CF_SHOULD,
	  "a second request while one is active gets CANT_MPX_CONN", Q_CANT_MPX,
	  "An application that does not multiplex must say so rather than "
	  "let the second request wait or mix it into the first.",
	  "END_REQUEST CANT_MPX_CONN for request 2, request 1 answered",
	  A_CANT_MPX, 0, CF_NEEDS_NO_MPX, b_cant_mpx, j_cant_mpx },
};

const size_t cf_ncases_rec = sizeof(cf_cases_rec) / sizeof(cf_cases_rec[0]);
