/* SPDX-License-Identifier: MIT */
/*
 * conform-cases-nv.c - cases for FastCGI 1.0 sections 3.4, Name-Value
 * Pairs, and 5.2, the PARAMS stream: length encodings, pairs split across
 * records, odd bytes, sizes, and malformed pairs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conform-cases.h"

/* The normal params with one more pair (name, value of n bytes of c). */
static int with_pair(const struct cf_ctx *ctx, struct fcgi_params *p,
		     const char *name, size_t name_len, int c, size_t n)
{
	uint8_t *v = malloc(n > 0 ? n : 1);
	int rc;

	if (v == NULL)
		return FCGI_ENOMEM;
	memset(v, c, n);
	rc = cf_params_for(ctx, p, 0);
	if (rc == 0)
		rc = fcgi_params_add(p, name, name_len, v, n);
	free(v);
	return rc;
}

/* A normal request with params p. */
static void with_params(struct cf_script *s, const struct fcgi_params *p)
{
	struct rq q;

	rq_init(&q);
	q.params = p;
	rq_build(s, &q);
	b_finish(s, 1);
}

static void value_of(struct cf_script *s, size_t n)
{
	struct fcgi_params p;

	if (with_pair(s->ctx, &p, "X_CONFORM", 9, 'v', n) != 0)
		s->err = FCGI_ENOMEM;
	with_params(s, &p);
	fcgi_params_fini(&p);
}

static void b_value_127(struct cf_script *s)
{
	value_of(s, 127);
}

static void b_value_128(struct cf_script *s)
{
	value_of(s, 128);
}

static void b_value_60000(struct cf_script *s)
{
	value_of(s, 60000);
}

static void b_value_65536(struct cf_script *s)
{
	value_of(s, 65536);
}

static void b_value_1m(struct cf_script *s)
{
	value_of(s, 1024 * 1024);
}

static void b_name_128(struct cf_script *s)
{
	char name[128];
	struct fcgi_params p;

	memset(name, 'N', sizeof(name));
	memcpy(name, "X_", 2);
	if (with_pair(s->ctx, &p, name, sizeof(name), 'v', 5) != 0)
		s->err = FCGI_ENOMEM;
	with_params(s, &p);
	fcgi_params_fini(&p);
}

static void b_both_long(struct cf_script *s)
{
	char name[200];
	struct fcgi_params p;

	memset(name, 'N', sizeof(name));
	memcpy(name, "X_", 2);
	if (with_pair(s->ctx, &p, name, sizeof(name), 'v', 300) != 0)
		s->err = FCGI_ENOMEM;
	with_params(s, &p);
	fcgi_params_fini(&p);
}

/* Append one length in the four-byte form, whatever its size. */
static void long_len(struct fcgi_buf *b, size_t n, int *err)
{
	uint8_t l[4];

	l[0] = (uint8_t)(0x80 | ((n >> 24) & 0x7f));
	l[1] = (uint8_t)(n >> 16);
	l[2] = (uint8_t)(n >> 8);
	l[3] = (uint8_t)n;
	if (fcgi_buf_append(b, l, 4) != 0)
		*err = FCGI_ENOMEM;
}

/* Every pair with four-byte lengths, even the short ones. */
static void b_long_form(struct cf_script *s)
{
	struct fcgi_params p;
	struct fcgi_buf enc;
	struct fcgi_nv nv;
	struct rq q;
	size_t i;

	fcgi_buf_init(&enc, NULL, 0);
	if (cf_params_for(s->ctx, &p, 0) != 0)
		s->err = FCGI_ENOMEM;
	for (i = 0; i < fcgi_params_count(&p); i++) {
		fcgi_params_at(&p, i, &nv);
		long_len(&enc, nv.name_len, &s->err);
		long_len(&enc, nv.value_len, &s->err);
		if (fcgi_buf_append(&enc, nv.name, nv.name_len) != 0 ||
		    fcgi_buf_append(&enc, nv.value, nv.value_len) != 0)
			s->err = FCGI_ENOMEM;
	}
	rq_init(&q);
	rq_begin(s, &q);
	sb_stream(s, FCGI_PARAMS, 1, enc.data, enc.len, 0);
	rq_stdin(s, &q);
	b_finish(s, 1);
	fcgi_buf_fini(&enc);
	fcgi_params_fini(&p);
}

static void add_pair(struct cf_script *s, const void *name, size_t nl,
		     const void *value, size_t vl)
{
	struct fcgi_params p;

	if (cf_params_for(s->ctx, &p, 0) != 0 ||
	    fcgi_params_add(&p, name, nl, value, vl) != 0)
		s->err = FCGI_ENOMEM;
	with_params(s, &p);
	fcgi_params_fini(&p);
}

static void b_empty_value(struct cf_script *s)
{
	add_pair(s, "X_CONFORM_EMPTY", 15, "", 0);
}

static void b_empty_name(struct cf_script *s)
{
	add_pair(s, "", 0, "nameless", 8);
}

static void b_nul_value(struct cf_script *s)
{
	add_pair(s, "X_CONFORM_NUL", 13, "a\0b", 3);
}

static void b_nul_name(struct cf_script *s)
{
	add_pair(s, "X_NUL\0NAME", 10, "v", 1);
}

static void b_binary(struct cf_script *s)
{
	uint8_t v[160];
	size_t i;

	/* Every byte but NUL, high ones first. */
	for (i = 0; i < sizeof(v); i++)
		v[i] = (uint8_t)(0xff - i);
	add_pair(s, "X_CONFORM_BINARY", 16, v, sizeof(v));
}

static void b_duplicate(struct cf_script *s)
{
	struct fcgi_params p;

	if (cf_params_for(s->ctx, &p, 0) != 0 ||
	    fcgi_params_add(&p, "X_CONFORM_DUP", 13, "one", 3) != 0 ||
	    fcgi_params_add(&p, "X_CONFORM_DUP", 13, "two", 3) != 0)
		s->err = FCGI_ENOMEM;
	with_params(s, &p);
	fcgi_params_fini(&p);
}

static void b_many_pairs(struct cf_script *s)
{
	struct fcgi_params p;
	char name[32];
	int i;

	if (cf_params_for(s->ctx, &p, 0) != 0)
		s->err = FCGI_ENOMEM;
	for (i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "X_CONFORM_%04d", i);
		if (fcgi_params_add(&p, name, strlen(name), "value", 5) != 0)
			s->err = FCGI_ENOMEM;
	}
	with_params(s, &p);
	fcgi_params_fini(&p);
}

/* 100 KiB of params in pairs of 2000 bytes: several records, each cut
 * between pairs. */
static void b_params_100k(struct cf_script *s)
{
	struct fcgi_params p;
	char name[32], v[2000];
	int i;

	memset(v, 'w', sizeof(v));
	if (cf_params_for(s->ctx, &p, 0) != 0)
		s->err = FCGI_ENOMEM;
	for (i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "X_CONFORM_WIDE_%02d", i);
		if (fcgi_params_add(&p, name, strlen(name), v, sizeof(v)) != 0)
			s->err = FCGI_ENOMEM;
	}
	with_params(s, &p);
	fcgi_params_fini(&p);
}

static void b_reversed(struct cf_script *s)
{
	struct fcgi_params p, r;
	struct fcgi_nv nv;
	size_t i;

	fcgi_params_init(&r, NULL);
	if (cf_params_for(s->ctx, &p, 0) != 0)
		s->err = FCGI_ENOMEM;
	for (i = fcgi_params_count(&p); i-- > 0;) {
		fcgi_params_at(&p, i, &nv);
		if (fcgi_params_add(&r, nv.name, nv.name_len, nv.value,
				    nv.value_len) != 0)
			s->err = FCGI_ENOMEM;
	}
	with_params(s, &r);
	fcgi_params_fini(&p);
	fcgi_params_fini(&r);
}

/* Each pair in a PARAMS record of its own. */
static void b_pair_per_record(struct cf_script *s)
{
	struct fcgi_params p;
	struct fcgi_buf one;
	struct fcgi_nv nv;
	struct rq q;
	size_t i;

	fcgi_buf_init(&one, NULL, 0);
	if (cf_params_for(s->ctx, &p, 0) != 0)
		s->err = FCGI_ENOMEM;
	rq_init(&q);
	rq_begin(s, &q);
	for (i = 0; i < fcgi_params_count(&p); i++) {
		fcgi_params_at(&p, i, &nv);
		fcgi_buf_reset(&one);
		if (fcgi_nv_encode(&one, nv.name, nv.name_len, nv.value,
				   nv.value_len) != 0)
			s->err = FCGI_ENOMEM;
		sb_rec(s, FCGI_PARAMS, 1, one.data, one.len);
	}
	sb_rec(s, FCGI_PARAMS, 1, NULL, 0);
	rq_stdin(s, &q);
	b_finish(s, 1);
	fcgi_buf_fini(&one);
	fcgi_params_fini(&p);
}

/* ---- pairs split across records ------------------------------------------- */

/* The params with X_CONFORM_LONG (a 200-byte value, so a four-byte
 * length) first, so that a misread pair spoils every pair after it;
 * SCRIPT_FILENAME decides the status. */
static void split_at(struct cf_script *s, const char *name, int where)
{
	struct fcgi_params p, base;
	struct fcgi_nv nv;
	size_t off = 0, nl = 0, vl = 0, cut, hl, i;
	char v[200];
	struct rq q;

	memset(v, 'L', sizeof(v));
	fcgi_params_init(&p, NULL);
	if (cf_params_for(s->ctx, &base, 0) != 0 ||
	    fcgi_params_add(&p, "X_CONFORM_LONG", 14, v, sizeof(v)) != 0)
		s->err = FCGI_ENOMEM;
	for (i = 0; i < fcgi_params_count(&base); i++) {
		fcgi_params_at(&base, i, &nv);
		if (fcgi_params_add(&p, nv.name, nv.name_len, nv.value,
				    nv.value_len) != 0)
			s->err = FCGI_ENOMEM;
	}
	if (!cf_pair_at(&p, name, &off, &nl, &vl) &&
	    !cf_pair_at(&p, "X_CONFORM_LONG", &off, &nl, &vl))
		s->err = FCGI_EINVAL;
	hl = (nl > 127 ? 4 : 1) + (vl > 127 ? 4 : 1);
	switch (where) {
	case 0: /* between the two lengths */
		cut = off + (nl > 127 ? 4 : 1);
		break;
	case 1: /* inside the name */
		cut = off + hl + nl / 2;
		break;
	case 2: /* inside the value */
		cut = off + hl + nl + vl / 2;
		break;
	default: /* inside the four-byte value length */
		cut = off + (nl > 127 ? 4 : 1) + 2;
		break;
	}
	rq_init(&q);
	rq_begin(s, &q);
	sb_params_cut(s, 1, &p, &cut, 1);
	rq_stdin(s, &q);
	b_finish(s, 1);
	fcgi_params_fini(&p);
	fcgi_params_fini(&base);
}

static void b_split_lengths(struct cf_script *s)
{
	split_at(s, "SCRIPT_FILENAME", 0);
}

static void b_split_name(struct cf_script *s)
{
	split_at(s, "SCRIPT_FILENAME", 1);
}

static void b_split_value(struct cf_script *s)
{
	split_at(s, "SCRIPT_FILENAME", 2);
}

static void b_split_length4(struct cf_script *s)
{
	split_at(s, "X_CONFORM_LONG", 3);
}

/* Every byte of the params in a record of its own. */
static void b_params_1_byte_records(struct cf_script *s)
{
	struct fcgi_params p;
	struct fcgi_buf enc;
	struct rq q;
	size_t i;

	fcgi_buf_init(&enc, NULL, 0);
	if (cf_params_for(s->ctx, &p, 0) != 0 ||
	    fcgi_params_encode(&p, &enc) != 0)
		s->err = FCGI_ENOMEM;
	rq_init(&q);
	rq_begin(s, &q);
	for (i = 0; i < enc.len; i++)
		sb_rec(s, FCGI_PARAMS, 1, enc.data + i, 1);
	sb_rec(s, FCGI_PARAMS, 1, NULL, 0);
	rq_stdin(s, &q);
	b_finish(s, 1);
	fcgi_buf_fini(&enc);
	fcgi_params_fini(&p);
}

/* ---- malformed pairs ------------------------------------------------------ */

/* The normal params, then raw bytes inside the same stream. */
static void params_then(struct cf_script *s, const uint8_t *raw, size_t n)
{
	struct fcgi_params p;
	struct fcgi_buf enc;
	struct rq q;

	fcgi_buf_init(&enc, NULL, 0);
	if (cf_params_for(s->ctx, &p, 0) != 0 ||
	    fcgi_params_encode(&p, &enc) != 0 ||
	    fcgi_buf_append(&enc, raw, n) != 0)
		s->err = FCGI_ENOMEM;
	rq_init(&q);
	q.no_echo = true;
	rq_begin(s, &q);
	sb_stream(s, FCGI_PARAMS, 1, enc.data, enc.len, 0);
	rq_stdin(s, &q);
	b_finish(s, 1);
	fcgi_buf_fini(&enc);
	fcgi_params_fini(&p);
}

/* A pair whose value length (50) runs past the end of the stream. */
static void b_overrun(struct cf_script *s)
{
	static const uint8_t raw[] = { 4, 50, 'X', '_', 'O', 'V', 'a', 'b' };

	params_then(s, raw, sizeof(raw));
}

/* A pair that declares a name of 2^31 - 1 bytes. */
static void b_length_2g(struct cf_script *s)
{
	static const uint8_t raw[] = { 0xff, 0xff, 0xff, 0xff, 1, 'X', 'Y' };

	params_then(s, raw, sizeof(raw));
}

/* The stream ends three bytes into a four-byte length. */
static void b_trunc_length(struct cf_script *s)
{
	static const uint8_t raw[] = { 0x80, 0, 1 };

	params_then(s, raw, sizeof(raw));
}

static void b_no_params(struct cf_script *s)
{
	struct fcgi_params none;
	struct rq q;

	fcgi_params_init(&none, NULL);
	rq_init(&q);
	q.params = &none;
	q.no_echo = true;
	rq_build(s, &q);
	b_finish(s, 1);
}

/* A non-empty PARAMS record after the empty one. */
static void b_params_after_end(struct cf_script *s)
{
	struct fcgi_buf b;
	struct rq q;

	fcgi_buf_init(&b, NULL, 0);
	if (fcgi_nv_encode(&b, "SCRIPT_FILENAME", 15, "/nonexistent", 12) != 0)
		s->err = FCGI_ENOMEM;
	rq_init(&q);
	rq_begin(s, &q);
	rq_params(s, &q);
	sb_rec(s, FCGI_PARAMS, 1, b.data, b.len);
	rq_stdin(s, &q);
	b_finish(s, 1);
	fcgi_buf_fini(&b);
}

/* PARAMS never ended; STDIN follows. */
static void b_params_unended(struct cf_script *s)
{
	struct rq q;

	rq_init(&q);
	q.no_params_end = true;
	q.no_echo = true;
	rq_build(s, &q);
	sb_quiet(s);
}

/* ---- the table ------------------------------------------------------------ */

const struct cf_case cf_cases_nv[] = {
	{ "fcgi-3.4-value-127", CF_MUST,
	  "a value of 127 bytes, the longest one-byte length, is read",
	  Q_NV_LEN, "The edge of the one-byte length form.", NULL, A_OK, 0, 0,
	  b_value_127, NULL },
	{ "fcgi-3.4-value-128", CF_MUST,
	  "a value of 128 bytes, the shortest four-byte length, is read",
	  Q_NV_LEN, "The edge of the four-byte length form.", NULL, A_OK, 0, 0,
	  b_value_128, NULL },
	{ "fcgi-3.4-name-128", CF_MUST,
	  "a name of 128 bytes (a four-byte name length) is read", Q_NV_BIT,
	  "Names, too, may need four length bytes.", NULL, A_OK, 0, 0,
	  b_name_128, NULL },
	{ "fcgi-3.4-both-long", CF_MUST,
	  "a pair with four-byte name and value lengths is read", Q_NV_BIT,
	  "The fourth of the pair layouts the spec defines.", NULL, A_OK, 0, 0,
	  b_both_long, NULL },
	{ "fcgi-3.4-long-form-short", CF_INTEROP,
	  "short lengths written in the four-byte form are read", Q_NV_BIT,
	  "The high bit alone says which form a length takes; \"can be "
	  "encoded in one byte\" does not forbid four.",
	  NULL, A_OK, 0, 0, b_long_form, NULL },
	{ "fcgi-3.4-empty-value", CF_MUST, "a pair with an empty value is read",
	  Q_NV_LEN, "Empty values are common: nginx sends CONTENT_LENGTH \"\".",
	  NULL, A_OK, 0, 0, b_empty_value, NULL },
	{ "fcgi-3.4-empty-name", CF_INTEROP,
	  "a pair with an empty name is read", Q_NV_LEN,
	  "Nothing forbids it; an application must not trip over it.", NULL,
	  A_OK, 0, 0, b_empty_name, NULL },
	{ "fcgi-3.4-nul-in-value", CF_INTEROP,
	  "a value with a NUL byte in it does not break the request", Q_NUL,
	  "Lengths, not terminators, delimit values; a C string cut at the "
	  "NUL is the usual reading, a crash is not.",
	  NULL, A_OK, 0, 0, b_nul_value, NULL },
	{ "fcgi-3.4-nul-in-name", CF_INTEROP,
	  "a name with a NUL byte in it does not break the request", Q_NUL,
	  "Like a NUL in a value.", NULL, A_OK, 0, 0, b_nul_name, NULL },
	{ "fcgi-3.4-binary-value", CF_MUST,
	  "a value of bytes 0x60 to 0xff, not UTF-8, is read", Q_NV_BINARY,
	  "Params are byte strings; HTTP headers carry Latin-1 and worse.",
	  NULL, A_OK, 0, 0, b_binary, NULL },
	{ "fcgi-3.4-value-60000", CF_MUST,
	  "a 60000-byte value in one record is read", Q_NV_BINARY,
	  "Large cookies and headers reach this size.", NULL, A_OK, 0, 0,
	  b_value_60000, NULL },
	{ "fcgi-3.4-value-65536", CF_MUST,
	  "a 65536-byte value, which cannot fit in one record, is read",
	  Q_STREAM,
	  "A pair larger than a record must be split across PARAMS records; "
	  "PHP-FPM parses each record alone and fails.",
	  NULL, A_OK, 0, 0, b_value_65536, NULL },
	{ "fcgi-3.4-value-1mib", CF_INTEROP,
	  "a 1 MiB value across 17 records is read or refused cleanly",
	  Q_NV_BINARY,
	  "Applications limit params; a clean refusal is fine, a crash or a "
	  "hang is not.",
	  "answered, or refused with a status or END_REQUEST",
	  A_OK | A_STATUS | A_REFUSED, A_ANY_END | A_CLOSED, 0, b_value_1m,
	  NULL },
	{ "fcgi-3.4-split-lengths", CF_MUST,
	  "a pair split between its name length and value length is read",
	  Q_STREAM,
	  "Stream records may end anywhere; web servers that stream params "
	  "cut them wherever their buffer ends.",
	  NULL, A_OK, 0, 0, b_split_lengths, NULL },
	{ "fcgi-3.4-split-name", CF_MUST,
	  "a pair split inside its name across two records is read", Q_STREAM,
	  "As above, a cut inside the name.", NULL, A_OK, 0, 0, b_split_name,
	  NULL },
	{ "fcgi-3.4-split-value", CF_MUST,
	  "a pair split inside its value across two records is read", Q_STREAM,
	  "As above, a cut inside the value.", NULL, A_OK, 0, 0, b_split_value,
	  NULL },
	{ "fcgi-3.4-split-length-bytes", CF_MUST,
	  "a pair split inside a four-byte length is read", Q_STREAM,
	  "The hardest cut: a decoder must keep a partial length between "
	  "records.",
	  NULL, A_OK, 0, 0, b_split_length4, NULL },
	{ "fcgi-3.4-1-byte-records", CF_MUST,
	  "params sent in PARAMS records of one byte each are read", Q_STREAM,
	  "Every pair straddles records.", NULL, A_OK, 0, 0,
	  b_params_1_byte_records, NULL },
	{ "fcgi-3.4-many-pairs", CF_MUST, "2000 params are read", Q_PARAMS,
	  "A request with many headers has many HTTP_* params.", NULL, A_OK, 0,
	  0, b_many_pairs, NULL },
	{ "fcgi-3.4-duplicate-name", CF_INTEROP,
	  "a name sent twice does not break the request", Q_PARAMS,
	  "The spec says nothing of duplicates; applications keep the first "
	  "or the last, and must not fail.",
	  NULL, A_OK, 0, 0, b_duplicate, NULL },
	{ "fcgi-3.4-overrun", CF_SHOULD,
	  "a pair whose value runs past the end of PARAMS gets an answer",
	  Q_ERRORS,
	  "A malformed stream is the sender's fault; the application may "
	  "refuse or close, but must not hang or crash.",
	  "any END_REQUEST or close", A_ANY_END | A_CLOSED, 0, 0, b_overrun,
	  NULL },
	{ "fcgi-3.4-length-2gib", CF_SHOULD,
	  "a pair that declares a 2 GiB name gets an answer", Q_NV_BINARY,
	  "\"Allocate the correct amount of storage immediately\" must not "
	  "mean trusting a length of 2^31 - 1.",
	  "any END_REQUEST or close", A_ANY_END | A_CLOSED, 0, 0, b_length_2g,
	  NULL },
	{ "fcgi-3.4-truncated-length", CF_SHOULD,
	  "PARAMS that end inside a four-byte length get an answer", Q_ERRORS,
	  "A decoder left waiting for the last length byte hangs the "
	  "request.",
	  "any END_REQUEST or close", A_ANY_END | A_CLOSED, 0, 0,
	  b_trunc_length, NULL },
	{ "fcgi-5.2-no-params", CF_SHOULD,
	  "a request with an empty PARAMS stream gets an answer", Q_PARAMS,
	  "Without params the application has no script to run; it must "
	  "still answer or close.",
	  "any END_REQUEST or close", A_ANY_END | A_CLOSED, 0, 0, b_no_params,
	  NULL },
	{ "fcgi-5.2-order", CF_MUST, "params in reverse order are read",
	  Q_PARAMS, "The pairs come \"in no specified order\".", NULL, A_OK, 0,
	  0, b_reversed, NULL },
	{ "fcgi-5.2-pair-per-record", CF_MUST,
	  "each pair in a PARAMS record of its own is read", Q_STREAM,
	  "Some web servers write one record per param.", NULL, A_OK, 0, 0,
	  b_pair_per_record, NULL },
	{ "fcgi-5.2-100k", CF_MUST,
	  "100 KiB of params in several records is read", Q_PARAMS,
	  "More params than one record holds, cut between pairs as web "
	  "servers do.",
	  NULL, A_OK, 0, 0, b_params_100k, NULL },
	{ "fcgi-5.2-after-end", CF_INTEROP,
	  "a PARAMS record after the stream's end is ignored", Q_STREAM_END,
	  "The empty record ends the stream; a late pair (here a different "
	  "SCRIPT_FILENAME) must not change the request.",
	  NULL, A_OK, 0, 0, b_params_after_end, NULL },
	{ "fcgi-5.2-unended", CF_MAY,
	  "STDIN after a PARAMS stream that never ended", Q_SEQUENTIAL,
	  "An application may wait for the end of PARAMS or take STDIN as "
	  "its end; either way it must survive.",
	  "no answer while PARAMS are open", A_SILENT | A_REFUSED | A_CLOSED, 0,
	  0, b_params_unended, NULL },
};

const size_t cf_ncases_nv = sizeof(cf_cases_nv) / sizeof(cf_cases_nv[0]);
