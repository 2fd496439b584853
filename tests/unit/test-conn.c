/* SPDX-License-Identifier: MIT */
/* test-conn.c - the conversation state machine (lib/conn.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "internal.h"
#include "failmem.h"
#include "guard.h"
#include "../fuzz/conn-log.h"

/* ---- scripts: bytes per direction, with expected violations ---------- */

#define MAX_STEPS 64
#define MAX_EXP 8

struct step {
	enum fcgi_dir dir;
	int eof;
	struct fcgi_buf bytes;
};

struct expect {
	enum fcgi_vcode code;
	enum fcgi_dir dir;
	uint64_t offset, record;
	uint16_t id;
};

struct script {
	enum fcgi_conn_mode mode;
	struct fcgi_conn_opts opts;
	struct step steps[MAX_STEPS];
	int n;
	uint64_t off[2], recs[2];
	struct expect exp[MAX_EXP];
	int nexp;
};

static void s_init(struct script *s, enum fcgi_conn_mode mode)
{
	memset(s, 0, sizeof(*s));
	s->mode = mode;
	fcgi_conn_opts_default(&s->opts);
}

static void s_free(struct script *s)
{
	int i;

	for (i = 0; i < s->n; i++)
		fcgi_buf_fini(&s->steps[i].bytes);
}

static struct fcgi_buf *s_buf(struct script *s, enum fcgi_dir dir)
{
	struct step *st;

	if (s->n > 0 && s->steps[s->n - 1].dir == dir &&
	    !s->steps[s->n - 1].eof)
		return &s->steps[s->n - 1].bytes;
	assert_true(s->n < MAX_STEPS);
	st = &s->steps[s->n++];
	st->dir = dir;
	st->eof = 0;
	fcgi_buf_init(&st->bytes, NULL, 0);
	return &st->bytes;
}

/* A record with explicit padding. */
static void s_recp(struct script *s, enum fcgi_dir dir, uint8_t type,
		   uint16_t id, const void *content, size_t len, uint8_t pad)
{
	assert_int_equal(fcgi_record_encode_padded(s_buf(s, dir), type, id,
						   content, len, pad),
			 0);
	s->off[dir] += 8 + len + pad;
	s->recs[dir]++;
}

/* A record padded to 8. */
static void s_rec(struct script *s, enum fcgi_dir dir, uint8_t type,
		  uint16_t id, const void *content, size_t len)
{
	s_recp(s, dir, type, id, content, len, fcgi_padding_for(len, 8));
}

static void s_raw(struct script *s, enum fcgi_dir dir, const void *p,
		  size_t len)
{
	assert_int_equal(fcgi_buf_append(s_buf(s, dir), p, len), 0);
	s->off[dir] += len;
}

static void s_eof(struct script *s, enum fcgi_dir dir)
{
	struct step *st;

	assert_true(s->n < MAX_STEPS);
	st = &s->steps[s->n++];
	st->dir = dir;
	st->eof = 1;
	fcgi_buf_init(&st->bytes, NULL, 0);
}

/* Expect a violation on the next record of dir. */
static void s_expect(struct script *s, enum fcgi_vcode code, enum fcgi_dir dir,
		     uint16_t id)
{
	assert_true(s->nexp < MAX_EXP);
	s->exp[s->nexp].code = code;
	s->exp[s->nexp].dir = dir;
	s->exp[s->nexp].offset = s->off[dir];
	s->exp[s->nexp].record = s->recs[dir] + 1;
	s->exp[s->nexp].id = id;
	s->nexp++;
}

static void s_begin(struct script *s, uint16_t id, uint16_t role, uint8_t flags)
{
	struct fcgi_begin_body b = { role, flags };
	uint8_t body[8];

	fcgi_begin_body_encode(body, &b);
	s_rec(s, FCGI_DIR_TO_APP, FCGI_BEGIN_REQUEST, id, body, 8);
}

static void s_end(struct script *s, uint16_t id, uint32_t app, uint8_t ps)
{
	struct fcgi_end_body b = { app, ps };
	uint8_t body[8];

	fcgi_end_body_encode(body, &b);
	s_rec(s, FCGI_DIR_TO_WEB, FCGI_END_REQUEST, id, body, 8);
}

/* One record of pairs (name, value, ..., NULL) of type; no end record.
 * id is unsigned, not uint16_t: va_start needs an unpromoted type. */
static void s_pairs(struct script *s, enum fcgi_dir dir, uint8_t type,
		    unsigned id, ...)
{
	struct fcgi_buf b;
	const char *n, *v;
	va_list ap;

	fcgi_buf_init(&b, NULL, 0);
	va_start(ap, id);
	while ((n = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		assert_int_equal(fcgi_nv_encode(&b, n, strlen(n), v, strlen(v)),
				 0);
	}
	va_end(ap);
	s_rec(s, dir, type, (uint16_t)id, b.data, b.len);
	fcgi_buf_fini(&b);
}

/* A stream record with text content in its natural direction. */
static void s_stream(struct script *s, uint8_t type, uint16_t id,
		     const char *text)
{
	enum fcgi_dir dir = type == FCGI_STDOUT || type == FCGI_STDERR
				    ? FCGI_DIR_TO_WEB
				    : FCGI_DIR_TO_APP;

	s_rec(s, dir, type, id, text, strlen(text));
}

/* ---- harness: runs a conn and keeps what it reports ------------------ */

#define MAX_EV 4096

struct evrec {
	enum fcgi_event_type type;
	enum fcgi_dir dir;
	uint16_t id;
	size_t len;
	uint64_t offset, record;
	uint16_t role;
	uint8_t flags;
	uint32_t app;
	uint8_t ps, ut;
};

struct harness {
	struct clog log; /* first: the clog callbacks get &h->log */
	struct fcgi_conn *c;
	struct fcgi_violation v[64];
	size_t nv;
	struct evrec ev[MAX_EV];
	size_t nev;
	size_t nrec[2];	     /* on_record calls per direction */
	uint64_t rec_end[2]; /* end offset of the last record per direction */
	struct fcgi_params params; /* copy of the last PARAMS set */
	struct fcgi_buf data[FCGI_EV_STDERR + 1]; /* stream bytes by type */
	int (*hook)(struct harness *h, const struct fcgi_event *ev);
	int guarded; /* each chunk ends against a PROT_NONE page */
};

static void h_on_record(void *arg, enum fcgi_dir dir,
			const struct fcgi_record *rec)
{
	struct harness *h = arg;

	h->nrec[dir]++;
	h->rec_end[dir] =
		rec->offset + 8 + rec->h.content_length + rec->h.padding_length;
	clog_on_record(&h->log, dir, rec);
}

static int h_on_event(void *arg, const struct fcgi_event *ev)
{
	struct harness *h = arg;
	struct evrec *e;
	struct fcgi_nv nv;
	size_t i;
	int stop;

	stop = clog_on_event(&h->log, ev);
	if (h->nev < MAX_EV) {
		e = &h->ev[h->nev];
		e->type = ev->type;
		e->dir = ev->dir;
		e->id = ev->request_id;
		e->len = ev->len;
		e->offset = ev->offset;
		e->record = ev->record;
		e->role = ev->role;
		e->flags = ev->flags;
		e->app = ev->app_status;
		e->ps = ev->protocol_status;
		e->ut = ev->unknown_type;
	}
	h->nev++;
	if (ev->type == FCGI_EV_PARAMS) {
		fcgi_params_clear(&h->params);
		for (i = 0; i < fcgi_params_count(ev->params); i++) {
			fcgi_params_at(ev->params, i, &nv);
			assert_int_equal(fcgi_params_add(&h->params, nv.name,
							 nv.name_len, nv.value,
							 nv.value_len),
					 0);
		}
	}
	if (ev->type >= FCGI_EV_STDIN && ev->type <= FCGI_EV_STDERR)
		assert_int_equal(
			fcgi_buf_append(&h->data[ev->type], ev->data, ev->len),
			0);
	if (h->hook != NULL)
		return h->hook(h, ev);
	return stop;
}

static void h_on_violation(void *arg, const struct fcgi_violation *v)
{
	struct harness *h = arg;

	clog_on_violation(&h->log, v);
	/* Every report is one line naming the facts. */
	assert_true(v->message[0] != '\0');
	assert_null(strchr(v->message, '\n'));
	assert_int_equal(v->severity, fcgi_vcode_severity(v->code));
	if (h->nv < 64)
		h->v[h->nv] = *v;
	h->nv++;
}

static const struct fcgi_callbacks h_callbacks = { h_on_record, h_on_event,
						   h_on_violation };

static void h_init(struct harness *h)
{
	int i;

	memset(h, 0, sizeof(*h));
	clog_init(&h->log);
	fcgi_params_init(&h->params, NULL);
	for (i = 0; i <= FCGI_EV_STDERR; i++)
		fcgi_buf_init(&h->data[i], NULL, 0);
}

static void h_free(struct harness *h)
{
	int i;

	fcgi_conn_free(h->c);
	h->c = NULL;
	clog_fini(&h->log);
	fcgi_params_fini(&h->params);
	for (i = 0; i <= FCGI_EV_STDERR; i++)
		fcgi_buf_fini(&h->data[i]);
}

static struct fcgi_conn *h_conn(struct harness *h, enum fcgi_conn_mode mode,
				const struct fcgi_conn_opts *opts)
{
	assert_int_equal(fcgi_conn_new(&h->c, mode, opts, &h_callbacks, h), 0);
	return h->c;
}

/* The log as a NUL-terminated string (valid until the next log entry). */
static const char *h_text(struct harness *h)
{
	if (fcgi_buf_append_u8(&h->log.buf, 0) != 0)
		return "";
	h->log.buf.len--;
	return (const char *)h->log.buf.data;
}

static int h_has(struct harness *h, const char *line)
{
	return strstr(h_text(h), line) != NULL;
}

enum split { SPLIT_WHOLE, SPLIT_BYTES, SPLIT_RANDOM };

/* Size of the next chunk under a split mode. */
static size_t chunk(enum split how, unsigned long long *seed, size_t left)
{
	size_t n;

	switch (how) {
	case SPLIT_WHOLE:
		return left;
	case SPLIT_BYTES:
		return 1;
	default:
		n = (clog_rand(seed) % 4 == 0)
			    ? 1 + (size_t)(clog_rand(seed) % 70000)
			    : 1 + (size_t)(clog_rand(seed) % 23);
		return n < left ? n : left;
	}
}

/*
 * Run script s on a fresh conn in h.  Steps toward us are received;
 * steps in our own sending direction (APP/WEB mode) are queued with
 * fcgi_conn_send_raw.  Either is cut into chunks as how says.
 */
static void h_run(struct harness *h, const struct script *s, enum split how,
		  unsigned long long seed)
{
	int dead[2] = { 0, 0 };
	const struct step *st;
	const uint8_t *in;
	struct guard g;
	size_t pos, n;
	ssize_t r;
	int i, own;

	h_conn(h, s->mode, &s->opts);
	for (i = 0; i < s->n; i++) {
		st = &s->steps[i];
		own = s->mode != FCGI_MODE_OBSERVER &&
		      st->dir == (s->mode == FCGI_MODE_APP ? FCGI_DIR_TO_WEB
							   : FCGI_DIR_TO_APP);
		if (st->eof) {
			assert_int_equal(fcgi_conn_eof(h->c, st->dir), 0);
			continue;
		}
		for (pos = 0; pos < st->bytes.len && !dead[st->dir]; pos += n) {
			n = chunk(how, &seed, st->bytes.len - pos);
			in = st->bytes.data + pos;
			if (h->guarded) {
				/* Unmapped after the call: the conn may keep
				 * no pointer into its input either. */
				in = guard_place(&g, in, n);
				assert_non_null(in);
			}
			if (own)
				r = fcgi_conn_send_raw(h->c, in, n) == 0
					    ? (ssize_t)n
					    : -100;
			else
				r = fcgi_conn_recv(h->c, st->dir, in, n);
			if (h->guarded)
				guard_release(&g);
			if (r == FCGI_EPROTO) {
				dead[st->dir] = 1;
				break;
			}
			assert_int_equal(r, (ssize_t)n);
		}
	}
}

/* The violations in h are exactly those s expects. */
static void check_vios(struct harness *h, const struct script *s,
		       const char *name)
{
	int i;

	if (h->nv != (size_t)s->nexp) {
		print_error("%s: %zu violations, expected %d\n%s", name, h->nv,
			    s->nexp, h_text(h));
		fail();
	}
	for (i = 0; i < s->nexp; i++) {
		const struct fcgi_violation *v = &h->v[i];
		const struct expect *e = &s->exp[i];

		if (v->code != e->code || v->dir != e->dir ||
		    v->offset != e->offset || v->record != e->record ||
		    v->request_id != e->id) {
			print_error(
				"%s: violation %d is %s %s off=%llu "
				"n=%llu id=%u, expected %s %s off=%llu "
				"n=%llu id=%u\n",
				name, i, fcgi_vcode_name(v->code),
				fcgi_dir_name(v->dir),
				(unsigned long long)v->offset,
				(unsigned long long)v->record,
				(unsigned)v->request_id,
				fcgi_vcode_name(e->code), fcgi_dir_name(e->dir),
				(unsigned long long)e->offset,
				(unsigned long long)e->record, (unsigned)e->id);
			fail();
		}
	}
}

/* ---- violation cases -------------------------------------------------- */

static const uint8_t begin_resp[8] = { 0, 1, 0, 0, 0, 0, 0, 0 };

/* A plain request up to the end of its to-app streams. */
static void s_request(struct script *s, uint16_t id)
{
	s_begin(s, id, FCGI_RESPONDER, 0);
	s_pairs(s, FCGI_DIR_TO_APP, FCGI_PARAMS, id, "SCRIPT_NAME", "/x", NULL);
	s_rec(s, FCGI_DIR_TO_APP, FCGI_PARAMS, id, NULL, 0);
	s_rec(s, FCGI_DIR_TO_APP, FCGI_STDIN, id, NULL, 0);
}

static void build_bad_version(struct script *s)
{
	static const uint8_t bad[8] = { 2, 1, 0, 1, 0, 8, 0, 0 };

	s_begin(s, 1, FCGI_RESPONDER, 0);
	s_expect(s, FCGI_V_BAD_VERSION, FCGI_DIR_TO_APP, 0);
	s_raw(s, FCGI_DIR_TO_APP, bad, sizeof(bad));
	s_raw(s, FCGI_DIR_TO_APP, begin_resp, sizeof(begin_resp));
}

static void build_unknown_type(struct script *s)
{
	s_begin(s, 1, FCGI_RESPONDER, 0);
	s_expect(s, FCGI_V_UNKNOWN_TYPE, FCGI_DIR_TO_APP, 1);
	s_rec(s, FCGI_DIR_TO_APP, 42, 1, "xy", 2);
	s_expect(s, FCGI_V_UNKNOWN_TYPE, FCGI_DIR_TO_WEB, 0);
	s_rec(s, FCGI_DIR_TO_WEB, 0, 0, NULL, 0);
}

static void build_unknown_type_app(struct script *s)
{
	s->mode = FCGI_MODE_APP;
	s_expect(s, FCGI_V_UNKNOWN_TYPE, FCGI_DIR_TO_APP, 0);
	s_rec(s, FCGI_DIR_TO_APP, 99, 0, "abc", 3);
}

static void build_wrong_direction(struct script *s)
{
	s_begin(s, 1, FCGI_RESPONDER, 0);
	s_expect(s, FCGI_V_WRONG_DIRECTION, FCGI_DIR_TO_APP, 1);
	s_rec(s, FCGI_DIR_TO_APP, FCGI_STDOUT, 1, "x", 1);
	s_expect(s, FCGI_V_WRONG_DIRECTION, FCGI_DIR_TO_WEB, 1);
	s_rec(s, FCGI_DIR_TO_WEB, FCGI_BEGIN_REQUEST, 1, begin_resp, 8);
	s_expect(s, FCGI_V_WRONG_DIRECTION, FCGI_DIR_TO_APP, 0);
	s_pairs(s, FCGI_DIR_TO_APP, FCGI_GET_VALUES_RESULT, 0, "A", "1", NULL);
}

static void build_mgmt_nonzero_id(struct script *s)
{
	s_expect(s, FCGI_V_MGMT_NONZERO_ID, FCGI_DIR_TO_APP, 3);
	s_pairs(s, FCGI_DIR_TO_APP, FCGI_GET_VALUES, 3, "FCGI_MAX_CONNS", "",
		NULL);
	s_expect(s, FCGI_V_MGMT_NONZERO_ID, FCGI_DIR_TO_WEB, 4);
	s_pairs(s, FCGI_DIR_TO_WEB, FCGI_GET_VALUES_RESULT, 4, "FCGI_MAX_CONNS",
		"10", NULL);
}

static void build_app_null_id(struct script *s)
{
	s_request(s, 1);
	s_expect(s, FCGI_V_APP_NULL_ID, FCGI_DIR_TO_APP, 0);
	s_stream(s, FCGI_STDIN, 0, "x");
	s_expect(s, FCGI_V_APP_NULL_ID, FCGI_DIR_TO_WEB, 0);
	s_stream(s, FCGI_STDOUT, 0, "y");
}

static void build_bad_body_length(struct script *s)
{
	static const uint8_t two[2] = { 50, 0 };

	s_expect(s, FCGI_V_BAD_BODY_LENGTH, FCGI_DIR_TO_APP, 1);
	s_rec(s, FCGI_DIR_TO_APP, FCGI_BEGIN_REQUEST, 1, begin_resp, 5);
	s_rec(s, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, NULL, 0);
	s_rec(s, FCGI_DIR_TO_APP, FCGI_STDIN, 1, NULL, 0);
	s_stream(s, FCGI_STDOUT, 1, "");
	s_expect(s, FCGI_V_BAD_BODY_LENGTH, FCGI_DIR_TO_WEB, 1);
	s_rec(s, FCGI_DIR_TO_WEB, FCGI_END_REQUEST, 1, "\0\0\0\0\0\0\0\0\0", 9);
	s_expect(s, FCGI_V_UNKNOWN_TYPE, FCGI_DIR_TO_APP, 0);
	s_rec(s, FCGI_DIR_TO_APP, 50, 0, NULL, 0);
	s_expect(s, FCGI_V_BAD_BODY_LENGTH, FCGI_DIR_TO_WEB, 0);
	s_rec(s, FCGI_DIR_TO_WEB, FCGI_UNKNOWN_TYPE, 0, two, 2);
}

static void build_unknown_role(struct script *s)
{
	s_expect(s, FCGI_V_UNKNOWN_ROLE, FCGI_DIR_TO_APP, 1);
	s_begin(s, 1, 9, 0);
	/* The usual answer, and the web server's records crossing it. */
	s_end(s, 1, 0, FCGI_UNKNOWN_ROLE);
	s_pairs(s, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, "A", "b", NULL);
	s_rec(s, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, NULL, 0);
	s_rec(s, FCGI_DIR_TO_APP, FCGI_STDIN, 1, NULL, 0);
}

static void build_duplicate_begin(struct script *s)
{
	s_begin(s, 1, FCGI_RESPONDER, 0);
	s_expect(s, FCGI_V_DUPLICATE_BEGIN, FCGI_DIR_TO_APP, 1);
	s_begin(s, 1, FCGI_RESPONDER, 0);
}

static void build_no_begin(struct script *s)
{
	s_expect(s, FCGI_V_NO_BEGIN, FCGI_DIR_TO_APP, 5);
	s_pairs(s, FCGI_DIR_TO_APP, FCGI_PARAMS, 5, "A", "b", NULL);
	s_expect(s, FCGI_V_NO_BEGIN, FCGI_DIR_TO_APP, 5);
	s_rec(s, FCGI_DIR_TO_APP, FCGI_ABORT_REQUEST, 5, NULL, 0);
	s_expect(s, FCGI_V_NO_BEGIN, FCGI_DIR_TO_WEB, 2);
	s_stream(s, FCGI_STDOUT, 2, "x");
	s_expect(s, FCGI_V_NO_BEGIN, FCGI_DIR_TO_WEB, 2);
	s_end(s, 2, 0, 0);
}

static void build_stream_after_end(struct script *s)
{
	s_request(s, 1);
	s_expect(s, FCGI_V_STREAM_AFTER_END, FCGI_DIR_TO_APP, 1);
	s_stream(s, FCGI_STDIN, 1, "late");
	s_expect(s, FCGI_V_STREAM_AFTER_END, FCGI_DIR_TO_APP, 1);
	s_pairs(s, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, "A", "b", NULL);
	s_stream(s, FCGI_STDOUT, 1, "");
	s_expect(s, FCGI_V_STREAM_AFTER_END, FCGI_DIR_TO_WEB, 1);
	s_stream(s, FCGI_STDOUT, 1, "x");
}

static void build_out_of_order(struct script *s)
{
	s_begin(s, 1, FCGI_FILTER, 0);
	s_expect(s, FCGI_V_OUT_OF_ORDER, FCGI_DIR_TO_APP, 1);
	s_stream(s, FCGI_STDIN, 1, "a");
	s_stream(s, FCGI_STDIN, 1, "b"); /* reported once per stream */
	s_rec(s, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, NULL, 0);
	s_expect(s, FCGI_V_OUT_OF_ORDER, FCGI_DIR_TO_APP, 1);
	s_stream(s, FCGI_DATA, 1, "d");
	s_stream(s, FCGI_STDIN, 1, "");
	s_stream(s, FCGI_DATA, 1, "");
}

static void build_nv_truncated(struct script *s)
{
	static const uint8_t cut[5] = { 5, 5, 'a', 'b', 'c' };

	s_begin(s, 1, FCGI_RESPONDER, 0);
	s_rec(s, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, cut, sizeof(cut));
	s_expect(s, FCGI_V_NV_TRUNCATED, FCGI_DIR_TO_APP, 1);
	s_rec(s, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, NULL, 0);
	s_expect(s, FCGI_V_NV_TRUNCATED, FCGI_DIR_TO_APP, 0);
	s_rec(s, FCGI_DIR_TO_APP, FCGI_GET_VALUES, 0, cut, sizeof(cut));
}

static void build_nv_limit(struct script *s)
{
	s->opts.limits.params_max_pairs = 2;
	s->opts.limits.values_max_bytes = 16;
	s_begin(s, 1, FCGI_RESPONDER, 0);
	s_expect(s, FCGI_V_NV_LIMIT, FCGI_DIR_TO_APP, 1);
	s_pairs(s, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, "A", "1", "B", "2", "C",
		"3", NULL);
	s_pairs(s, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, "D", "4", NULL);
	s_rec(s, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, NULL, 0);
	s_expect(s, FCGI_V_NV_LIMIT, FCGI_DIR_TO_APP, 0);
	s_pairs(s, FCGI_DIR_TO_APP, FCGI_GET_VALUES, 0, "FCGI_MAX_CONNS", "",
		"FCGI_MAX_REQS", "", NULL);
}

static void build_end_open_streams(struct script *s)
{
	s_request(s, 1);
	s_stream(s, FCGI_STDOUT, 1, "hi");
	s_expect(s, FCGI_V_END_OPEN_STREAMS, FCGI_DIR_TO_WEB, 1);
	s_end(s, 1, 0, FCGI_REQUEST_COMPLETE);
	s_request(s, 2);
	s_stream(s, FCGI_STDOUT, 2, "");
	s_stream(s, FCGI_STDERR, 2, "oops");
	s_expect(s, FCGI_V_END_OPEN_STREAMS, FCGI_DIR_TO_WEB, 2);
	s_end(s, 2, 1, FCGI_REQUEST_COMPLETE);
	/* No STDOUT at all with REQUEST_COMPLETE is open too... */
	s_request(s, 3);
	s_expect(s, FCGI_V_END_OPEN_STREAMS, FCGI_DIR_TO_WEB, 3);
	s_end(s, 3, 0, FCGI_REQUEST_COMPLETE);
	/* ...but a refusal needs no STDOUT. */
	s_request(s, 4);
	s_end(s, 4, 0, FCGI_OVERLOADED);
}

static void build_record_too_large(struct script *s)
{
	uint8_t *big = calloc(1, 65535);
	struct fcgi_buf b;

	assert_non_null(big);
	fcgi_buf_init(&b, NULL, 0);
	/* One pair of 1 + 4 + 1 + 65524 = 65530 bytes. */
	assert_int_equal(fcgi_nv_encode(&b, "X", 1, big, 65524), 0);
	assert_int_equal(b.len, 65530);
	s_begin(s, 1, FCGI_RESPONDER, 0);
	s_expect(s, FCGI_V_RECORD_TOO_LARGE, FCGI_DIR_TO_APP, 1);
	s_recp(s, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, b.data, b.len, 6);
	s_rec(s, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, NULL, 0);
	/* STDIN may be that large: only BEGIN and PARAMS are judged. */
	s_recp(s, FCGI_DIR_TO_APP, FCGI_STDIN, 1, big, 65535, 1);
	fcgi_buf_fini(&b);
	free(big);
}

static void build_nv_split(struct script *s)
{
	static const uint8_t p1[] = { 1, 1, 'A', 'a', 3, 2, 'B' };
	static const uint8_t p2[] = { 'B', 'B', 'b', 'b' };

	s_begin(s, 1, FCGI_RESPONDER, 0);
	s_rec(s, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, p1, sizeof(p1));
	s_expect(s, FCGI_V_NV_SPLIT, FCGI_DIR_TO_APP, 1);
	s_rec(s, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, p2, sizeof(p2));
	s_rec(s, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, NULL, 0);
}

static void build_unaligned(struct script *s)
{
	static const uint8_t pair[3] = { 1, 0, 'A' };

	s_begin(s, 1, FCGI_RESPONDER, 0);
	s_expect(s, FCGI_V_UNALIGNED, FCGI_DIR_TO_APP, 1);
	s_recp(s, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, pair, 3, 0);
	/* 8 + 3 + 5 is aligned; so is 8 + 3 + 13. */
	s_recp(s, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, pair, 3, 13);
	s_expect(s, FCGI_V_UNALIGNED, FCGI_DIR_TO_APP, 1);
	s_recp(s, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, NULL, 0, 1);
}

static void build_trunc_header(struct script *s)
{
	static const uint8_t part[3] = { 1, 6, 0 };

	s_request(s, 1);
	s_expect(s, FCGI_V_TRUNC_HEADER, FCGI_DIR_TO_WEB, 0);
	s_raw(s, FCGI_DIR_TO_WEB, part, sizeof(part));
	s_expect(s, FCGI_V_EOF_MID_REQUEST, FCGI_DIR_TO_WEB, 1);
	s_eof(s, FCGI_DIR_TO_WEB);
	s_eof(s, FCGI_DIR_TO_APP);
}

static void build_trunc_content(struct script *s)
{
	static const uint8_t part[12] = { 1, 5, 0,   7,	  0,   10,
					  6, 0, 'a', 'b', 'c', 'd' };

	s_begin(s, 7, FCGI_RESPONDER, 0);
	s_expect(s, FCGI_V_TRUNC_CONTENT, FCGI_DIR_TO_APP, 7);
	s_raw(s, FCGI_DIR_TO_APP, part, sizeof(part));
	s_eof(s, FCGI_DIR_TO_APP);
}

static void build_trunc_padding(struct script *s)
{
	static const uint8_t part[13] = {
		1, 4, 1, 2, 0, 2, 6, 0, 1, 0, 0, 0, 0
	};

	s_begin(s, 258, FCGI_RESPONDER, 0);
	s_expect(s, FCGI_V_TRUNC_PADDING, FCGI_DIR_TO_APP, 258);
	s_raw(s, FCGI_DIR_TO_APP, part, sizeof(part));
	s_eof(s, FCGI_DIR_TO_APP);
}

static void build_after_end_request(struct script *s)
{
	s_request(s, 1);
	s_stream(s, FCGI_STDOUT, 1, "");
	s_end(s, 1, 0, 0);
	s_expect(s, FCGI_V_AFTER_END_REQUEST, FCGI_DIR_TO_WEB, 1);
	s_stream(s, FCGI_STDOUT, 1, "x");
	s_expect(s, FCGI_V_AFTER_END_REQUEST, FCGI_DIR_TO_WEB, 1);
	s_end(s, 1, 0, 0);
}

static void build_closed_keep_conn(struct script *s)
{
	s_begin(s, 1, FCGI_RESPONDER, FCGI_KEEP_CONN);
	s_rec(s, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, NULL, 0);
	s_rec(s, FCGI_DIR_TO_APP, FCGI_STDIN, 1, NULL, 0);
	s_stream(s, FCGI_STDOUT, 1, "");
	s_end(s, 1, 0, 0);
	s_expect(s, FCGI_V_CLOSED_KEEP_CONN, FCGI_DIR_TO_WEB, 0);
	s_eof(s, FCGI_DIR_TO_WEB);
}

static void build_eof_mid_request(struct script *s)
{
	s_request(s, 3);
	s_request(s, 1);
	s_stream(s, FCGI_STDOUT, 1, "x");
	s_expect(s, FCGI_V_EOF_MID_REQUEST, FCGI_DIR_TO_WEB, 1);
	s_expect(s, FCGI_V_EOF_MID_REQUEST, FCGI_DIR_TO_WEB, 3);
	s_eof(s, FCGI_DIR_TO_WEB);
	s_eof(s, FCGI_DIR_TO_APP);
}

/* The web server closing mid-request aborts (nginx's timeout): no
 * violation, and none when the app closes after it. */
static void build_web_aborts_by_closing(struct script *s)
{
	s_request(s, 1);
	s_begin(s, 2, FCGI_RESPONDER, FCGI_KEEP_CONN);
	s_stream(s, FCGI_STDOUT, 1, "x");
	s_eof(s, FCGI_DIR_TO_APP);
	s_eof(s, FCGI_DIR_TO_WEB);
}

static void build_content_length(struct script *s)
{
	s_begin(s, 1, FCGI_RESPONDER, 0);
	s_pairs(s, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, "CONTENT_LENGTH", "10",
		NULL);
	s_rec(s, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, NULL, 0);
	s_stream(s, FCGI_STDIN, 1, "hello");
	s_expect(s, FCGI_V_CONTENT_LENGTH, FCGI_DIR_TO_APP, 1);
	s_stream(s, FCGI_STDIN, 1, "");
	/* An empty CONTENT_LENGTH (nginx for GET) is not a number. */
	s_begin(s, 2, FCGI_RESPONDER, 0);
	s_pairs(s, FCGI_DIR_TO_APP, FCGI_PARAMS, 2, "CONTENT_LENGTH", "", NULL);
	s_rec(s, FCGI_DIR_TO_APP, FCGI_PARAMS, 2, NULL, 0);
	s_stream(s, FCGI_STDIN, 2, "abc");
	s_stream(s, FCGI_STDIN, 2, "");
	/* A body that goes on after the app answered is still measured. */
	s_begin(s, 3, FCGI_RESPONDER, 0);
	s_pairs(s, FCGI_DIR_TO_APP, FCGI_PARAMS, 3, "CONTENT_LENGTH", "5",
		NULL);
	s_rec(s, FCGI_DIR_TO_APP, FCGI_PARAMS, 3, NULL, 0);
	s_stream(s, FCGI_STDIN, 3, "hello");
	s_stream(s, FCGI_STDOUT, 3, "");
	s_end(s, 3, 0, FCGI_REQUEST_COMPLETE);
	s_stream(s, FCGI_STDIN, 3, "EXTRA");
	s_expect(s, FCGI_V_CONTENT_LENGTH, FCGI_DIR_TO_APP, 3);
	s_stream(s, FCGI_STDIN, 3, "");
	s_stream(s, FCGI_STDIN, 3, "late");
}

/* RFC 3875, 4.1.2: CONTENT_LENGTH is empty or a decimal number.  One
 * that is not is reported when PARAMS end, and its body not measured. */
static void build_content_length_not_number(struct script *s)
{
	s_begin(s, 1, FCGI_RESPONDER, 0);
	s_pairs(s, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, "CONTENT_LENGTH", "5x",
		NULL);
	s_expect(s, FCGI_V_CONTENT_LENGTH, FCGI_DIR_TO_APP, 1);
	s_rec(s, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, NULL, 0);
	s_stream(s, FCGI_STDIN, 1, "hello");
	s_stream(s, FCGI_STDIN, 1, "");
	/* Twenty digits are more than any body. */
	s_begin(s, 2, FCGI_RESPONDER, 0);
	s_pairs(s, FCGI_DIR_TO_APP, FCGI_PARAMS, 2, "CONTENT_LENGTH",
		"12345678901234567890", NULL);
	s_expect(s, FCGI_V_CONTENT_LENGTH, FCGI_DIR_TO_APP, 2);
	s_rec(s, FCGI_DIR_TO_APP, FCGI_PARAMS, 2, NULL, 0);
	s_stream(s, FCGI_STDIN, 2, "");
}

/* FastCGI 1.0, 5.4: ABORT_REQUEST has no body. */
static void build_abort_body(struct script *s)
{
	s_request(s, 1);
	s_expect(s, FCGI_V_BAD_BODY_LENGTH, FCGI_DIR_TO_APP, 1);
	s_rec(s, FCGI_DIR_TO_APP, FCGI_ABORT_REQUEST, 1, "x", 1);
	s_stream(s, FCGI_STDOUT, 1, "");
	s_end(s, 1, 0, FCGI_REQUEST_COMPLETE);
}

/* To an app, an application record with id 0 is a connection error:
 * nothing after it is decoded. */
static void build_app_null_id_app(struct script *s)
{
	s->mode = FCGI_MODE_APP;
	s_request(s, 1);
	s_expect(s, FCGI_V_APP_NULL_ID, FCGI_DIR_TO_APP, 0);
	s_stream(s, FCGI_STDIN, 0, "x");
	s_rec(s, FCGI_DIR_TO_APP, FCGI_BEGIN_REQUEST, 2, begin_resp, 5);
	s_request(s, 3);
}

/* So is a BEGIN_REQUEST whose body is not 8 bytes. */
static void build_bad_body_length_app(struct script *s)
{
	s->mode = FCGI_MODE_APP;
	s_expect(s, FCGI_V_BAD_BODY_LENGTH, FCGI_DIR_TO_APP, 1);
	s_rec(s, FCGI_DIR_TO_APP, FCGI_BEGIN_REQUEST, 1, "\0\1\0\0\0\0\0\0\0",
	      9);
	s_stream(s, FCGI_STDIN, 0, "x");
	s_request(s, 2);
}

/* A GET_VALUES with a request id is reported, and an app's conn goes on. */
static void build_mgmt_nonzero_id_app(struct script *s)
{
	s->mode = FCGI_MODE_APP;
	s_expect(s, FCGI_V_MGMT_NONZERO_ID, FCGI_DIR_TO_APP, 3);
	s_pairs(s, FCGI_DIR_TO_APP, FCGI_GET_VALUES, 3, "FCGI_MAX_CONNS", "",
		NULL);
	s_pairs(s, FCGI_DIR_TO_APP, FCGI_GET_VALUES, 0, "FCGI_MAX_CONNS", "",
		NULL);
	s_request(s, 1);
}

/* A second BEGIN_REQUEST for an active id is reported alone; once the app
 * has ended the request (refusing the new one), what the web server still
 * sends for that id is a race, dropped quietly. */
static void build_duplicate_begin_app(struct script *s)
{
	s->mode = FCGI_MODE_APP;
	s_request(s, 1);
	s_expect(s, FCGI_V_DUPLICATE_BEGIN, FCGI_DIR_TO_APP, 1);
	s_begin(s, 1, FCGI_RESPONDER, 0);
	s_end(s, 1, 0, FCGI_CANT_MPX_CONN);
	s_pairs(s, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, "A", "b", NULL);
	s_rec(s, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, NULL, 0);
	s_stream(s, FCGI_STDIN, 1, "body");
	s_stream(s, FCGI_STDIN, 1, "");
	s_request(s, 2);
}

static void build_bad_pstatus(struct script *s)
{
	s_request(s, 1);
	s_stream(s, FCGI_STDOUT, 1, "");
	s_expect(s, FCGI_V_BAD_PSTATUS, FCGI_DIR_TO_WEB, 1);
	s_end(s, 1, 0, 7);
}

static void build_values_not_empty(struct script *s)
{
	s_expect(s, FCGI_V_VALUES_NOT_EMPTY, FCGI_DIR_TO_APP, 0);
	s_pairs(s, FCGI_DIR_TO_APP, FCGI_GET_VALUES, 0, "FCGI_MPXS_CONNS", "",
		"FCGI_MAX_CONNS", "5", NULL);
}

static void build_too_many_requests(struct script *s)
{
	s->opts.limits.max_requests = 2;
	s_begin(s, 1, FCGI_RESPONDER, 0);
	s_begin(s, 2, FCGI_RESPONDER, 0);
	s_expect(s, FCGI_V_TOO_MANY_REQUESTS, FCGI_DIR_TO_APP, 3);
	s_begin(s, 3, FCGI_RESPONDER, 0);
	s_expect(s, FCGI_V_NO_BEGIN, FCGI_DIR_TO_APP, 3);
	s_rec(s, FCGI_DIR_TO_APP, FCGI_PARAMS, 3, NULL, 0);
	/* Once one ends, another id fits. */
	s_end(s, 1, 0, FCGI_OVERLOADED);
	s_begin(s, 3, FCGI_RESPONDER, 0);
}

static void build_unexpected(struct script *s)
{
	static const uint8_t u[8] = { 77, 0, 0, 0, 0, 0, 0, 0 };

	s_expect(s, FCGI_V_UNEXPECTED, FCGI_DIR_TO_WEB, 0);
	s_pairs(s, FCGI_DIR_TO_WEB, FCGI_GET_VALUES_RESULT, 0,
		"FCGI_MPXS_CONNS", "0", NULL);
	s_expect(s, FCGI_V_UNEXPECTED, FCGI_DIR_TO_WEB, 0);
	s_rec(s, FCGI_DIR_TO_WEB, FCGI_UNKNOWN_TYPE, 0, u, 8);
	/* Asked for, they are fine (type 77 itself is undefined). */
	s_pairs(s, FCGI_DIR_TO_APP, FCGI_GET_VALUES, 0, "FCGI_MPXS_CONNS", "",
		NULL);
	s_expect(s, FCGI_V_UNKNOWN_TYPE, FCGI_DIR_TO_APP, 0);
	s_rec(s, FCGI_DIR_TO_APP, 77, 0, NULL, 0);
	s_pairs(s, FCGI_DIR_TO_WEB, FCGI_GET_VALUES_RESULT, 0,
		"FCGI_MPXS_CONNS", "0", NULL);
	s_rec(s, FCGI_DIR_TO_WEB, FCGI_UNKNOWN_TYPE, 0, u, 8);
}

/* ---- clean scripts (no violation expected) ---------------------------- */

/* The app ends a request early while the web server is still sending
 * it: a race, accepted quietly. */
static void build_race_after_end(struct script *s)
{
	s_begin(s, 1, FCGI_RESPONDER, 0);
	s_pairs(s, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, "A", "1", NULL);
	s_end(s, 1, 0, FCGI_OVERLOADED);
	s_pairs(s, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, "B", "2", NULL);
	s_rec(s, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, NULL, 0);
	s_stream(s, FCGI_STDIN, 1, "body");
	s_rec(s, FCGI_DIR_TO_APP, FCGI_ABORT_REQUEST, 1, NULL, 0);
	s_stream(s, FCGI_STDIN, 1, "");
	/* The id is reused. */
	s_request(s, 1);
	s_stream(s, FCGI_STDOUT, 1, "Status: 200\r\n\r\nok");
	s_stream(s, FCGI_STDOUT, 1, "");
	s_end(s, 1, 0, 0);
	s_eof(s, FCGI_DIR_TO_APP);
	s_eof(s, FCGI_DIR_TO_WEB);
}

/* Three requests multiplexed, records interleaved, ended out of order. */
static void build_multiplex(struct script *s)
{
	uint16_t id;

	for (id = 1; id <= 3; id++)
		s_begin(s, id, FCGI_RESPONDER, FCGI_KEEP_CONN);
	for (id = 3; id >= 1; id--)
		s_pairs(s, FCGI_DIR_TO_APP, FCGI_PARAMS, id, "ID",
			id == 1	  ? "one"
			: id == 2 ? "two"
				  : "three",
			NULL);
	for (id = 1; id <= 3; id++)
		s_rec(s, FCGI_DIR_TO_APP, FCGI_PARAMS, id, NULL, 0);
	s_stream(s, FCGI_STDIN, 2, "two-body");
	s_stream(s, FCGI_STDOUT, 3, "three-out");
	s_stream(s, FCGI_STDIN, 1, "");
	s_stream(s, FCGI_STDIN, 2, "");
	s_stream(s, FCGI_STDIN, 3, "");
	s_stream(s, FCGI_STDOUT, 2, "two-out");
	s_stream(s, FCGI_STDERR, 1, "one-err");
	s_stream(s, FCGI_STDOUT, 2, "");
	s_end(s, 2, 0, 0);
	s_stream(s, FCGI_STDOUT, 3, "");
	s_stream(s, FCGI_STDOUT, 1, "");
	s_stream(s, FCGI_STDERR, 1, "");
	s_end(s, 3, 3, 0);
	s_end(s, 1, 1, 0);
	s_eof(s, FCGI_DIR_TO_APP);
	s_eof(s, FCGI_DIR_TO_WEB);
}

/* KEEP_CONN: two requests on one id, the web server closes first. */
static void build_keep_conn(struct script *s)
{
	int i;

	for (i = 0; i < 2; i++) {
		s_begin(s, 1, FCGI_RESPONDER, FCGI_KEEP_CONN);
		s_rec(s, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, NULL, 0);
		s_rec(s, FCGI_DIR_TO_APP, FCGI_STDIN, 1, NULL, 0);
		s_stream(s, FCGI_STDOUT, 1, "x");
		s_stream(s, FCGI_STDOUT, 1, "");
		s_end(s, 1, 0, 0);
	}
	s_eof(s, FCGI_DIR_TO_APP);
	s_eof(s, FCGI_DIR_TO_WEB);
}

struct vcase {
	const char *name;
	void (*build)(struct script *s);
};

static const struct vcase vcases[] = {
	{ "bad_version", build_bad_version },
	{ "unknown_type", build_unknown_type },
	{ "unknown_type_app", build_unknown_type_app },
	{ "wrong_direction", build_wrong_direction },
	{ "mgmt_nonzero_id", build_mgmt_nonzero_id },
	{ "app_null_id", build_app_null_id },
	{ "bad_body_length", build_bad_body_length },
	{ "unknown_role", build_unknown_role },
	{ "duplicate_begin", build_duplicate_begin },
	{ "no_begin", build_no_begin },
	{ "stream_after_end", build_stream_after_end },
	{ "out_of_order", build_out_of_order },
	{ "nv_truncated", build_nv_truncated },
	{ "nv_limit", build_nv_limit },
	{ "end_open_streams", build_end_open_streams },
	{ "record_too_large", build_record_too_large },
	{ "nv_split", build_nv_split },
	{ "unaligned", build_unaligned },
	{ "trunc_header", build_trunc_header },
	{ "trunc_content", build_trunc_content },
	{ "trunc_padding", build_trunc_padding },
	{ "after_end_request", build_after_end_request },
	{ "closed_keep_conn", build_closed_keep_conn },
	{ "eof_mid_request", build_eof_mid_request },
	{ "content_length", build_content_length },
	{ "content_length_not_number", build_content_length_not_number },
	{ "abort_body", build_abort_body },
	{ "app_null_id_app", build_app_null_id_app },
	{ "bad_body_length_app", build_bad_body_length_app },
	{ "mgmt_nonzero_id_app", build_mgmt_nonzero_id_app },
	{ "duplicate_begin_app", build_duplicate_begin_app },
	{ "bad_pstatus", build_bad_pstatus },
	{ "values_not_empty", build_values_not_empty },
	{ "too_many_requests", build_too_many_requests },
	{ "unexpected", build_unexpected },
	{ "race_after_end", build_race_after_end },
	{ "multiplex", build_multiplex },
	{ "keep_conn", build_keep_conn },
	{ "web_aborts_by_closing", build_web_aborts_by_closing },
};

/*
 * Each case: the violations are exactly the expected ones (code, dir,
 * offset, record, id), and the whole log (records, events, violations)
 * is the same whether the bytes come whole, one at a time, or in random
 * chunks, also with each chunk against a guard page.
 */
static void test_conn_violation_case(void **state)
{
	const struct vcase *vc = *state;
	struct harness whole, h;
	struct script s;
	unsigned long long seed;
	int k;

	s_init(&s, FCGI_MODE_OBSERVER);
	vc->build(&s);
	h_init(&whole);
	h_run(&whole, &s, SPLIT_WHOLE, 0);
	check_vios(&whole, &s, vc->name);
	for (k = 0; k < 8; k++) {
		seed = 0x9e3779b97f4a7c15ull * (unsigned long long)(k + 1);
		h_init(&h);
		h.guarded = k >= 6;
		h_run(&h, &s,
		      k == 0   ? SPLIT_BYTES
		      : k == 6 ? SPLIT_WHOLE
			       : SPLIT_RANDOM,
		      seed);
		check_vios(&h, &s, vc->name);
		assert_false(h.log.oom);
		assert_int_equal(h.log.buf.len, whole.log.buf.len);
		assert_memory_equal(h.log.buf.data, whole.log.buf.data,
				    whole.log.buf.len);
		h_free(&h);
	}
	h_free(&whole);
	s_free(&s);
}

/* Every violation code is reached by some case above. */
static void test_conn_every_code_covered(void **state)
{
	int seen[FCGI_V_COUNT] = { 0 };
	struct script s;
	size_t i;
	int j;

	(void)state;
	for (i = 0; i < FCGI_ARRAY_LEN(vcases); i++) {
		s_init(&s, FCGI_MODE_OBSERVER);
		vcases[i].build(&s);
		for (j = 0; j < s.nexp; j++)
			seen[s.exp[j].code] = 1;
		s_free(&s);
	}
	for (j = 1; j < FCGI_V_COUNT; j++) {
		if (!seen[j])
			print_error("no case reaches %s\n",
				    fcgi_vcode_name((enum fcgi_vcode)j));
		assert_true(seen[j]);
	}
}

/* Spot checks of what the cases report, beyond code and position. */
static void test_conn_violation_details(void **state)
{
	struct harness h;
	struct script s;

	(void)state;
	s_init(&s, FCGI_MODE_OBSERVER);
	build_bad_body_length(&s);
	h_init(&h);
	h_run(&h, &s, SPLIT_WHOLE, 0);
	assert_string_equal(h.v[0].message,
			    "BEGIN_REQUEST body is 5 bytes, expected 8");
	assert_int_equal(h.v[0].severity, FCGI_SEV_SPEC);
	/* What the short body held is used: the role was there. */
	assert_true(h_has(&h, "E BEGIN to-app id=1 off=0 n=1 role=1 flags=0"));
	h_free(&h);
	s_free(&s);

	s_init(&s, FCGI_MODE_OBSERVER);
	build_bad_version(&s);
	h_init(&h);
	h_run(&h, &s, SPLIT_WHOLE, 0);
	assert_non_null(strstr(h.v[0].message, "bad version 2"));
	/* Later input in that direction is refused at once. */
	assert_int_equal(fcgi_conn_recv(h.c, FCGI_DIR_TO_APP, begin_resp, 8),
			 FCGI_EPROTO);
	assert_int_equal(fcgi_conn_violation_count(h.c), 1);
	h_free(&h);
	s_free(&s);

	s_init(&s, FCGI_MODE_OBSERVER);
	build_content_length(&s);
	h_init(&h);
	h_run(&h, &s, SPLIT_WHOLE, 0);
	assert_string_equal(h.v[0].message,
			    "STDIN of request 1 is 5 bytes, CONTENT_LENGTH "
			    "says 10");
	assert_int_equal(h.v[0].severity, FCGI_SEV_INTEROP);
	h_free(&h);
	s_free(&s);

	s_init(&s, FCGI_MODE_OBSERVER);
	build_too_many_requests(&s);
	h_init(&h);
	h_run(&h, &s, SPLIT_WHOLE, 0);
	/* The refused BEGIN makes no event; the later one does. */
	assert_false(h_has(&h, "E BEGIN to-app id=3 off=32 "));
	assert_true(h_has(&h, "E BEGIN to-app id=3 off=56 n=5"));
	assert_int_equal(fcgi_conn_active(h.c), 2);
	h_free(&h);
	s_free(&s);

	s_init(&s, FCGI_MODE_OBSERVER);
	build_nv_limit(&s);
	h_init(&h);
	h_run(&h, &s, SPLIT_WHOLE, 0);
	/* The pairs within the limit still arrive. */
	assert_true(h_has(&h, "E PARAMS to-app id=1 off=56 n=4 n=2 A=1 B=2"));
	h_free(&h);
	s_free(&s);
}

/* The race after an early END_REQUEST: no events for the dropped
 * records, every record still seen by on_record. */
static void test_conn_race_quiet(void **state)
{
	struct harness h;
	struct script s;
	size_t i, params = 0, stdin_ev = 0;

	(void)state;
	s_init(&s, FCGI_MODE_OBSERVER);
	build_race_after_end(&s);
	h_init(&h);
	h_run(&h, &s, SPLIT_WHOLE, 0);
	assert_int_equal(h.nv, 0);
	for (i = 0; i < h.nev; i++) {
		params += h.ev[i].type == FCGI_EV_PARAMS;
		stdin_ev += h.ev[i].type == FCGI_EV_STDIN;
	}
	/* Only the second request's PARAMS and empty STDIN. */
	assert_int_equal(params, 1);
	assert_int_equal(stdin_ev, 1);
	assert_int_equal(h.nrec[FCGI_DIR_TO_APP], s.recs[FCGI_DIR_TO_APP]);
	assert_int_equal(h.nrec[FCGI_DIR_TO_WEB], s.recs[FCGI_DIR_TO_WEB]);
	h_free(&h);
	s_free(&s);
}

/* ---- full exchanges ---------------------------------------------------- */

/* The event types of h in order, space separated, into out. */
static const char *ev_seq(const struct harness *h, char *out, size_t n)
{
	size_t i, o = 0;

	out[0] = '\0';
	for (i = 0; i < h->nev && i < MAX_EV; i++)
		o += (size_t)snprintf(out + o, n - o, "%s%s", i ? " " : "",
				      clog_evname(h->ev[i].type));
	return out;
}

/* Decode a queue into records, appended as text lines to out. */
static void decode_queue(const uint8_t *p, size_t len, struct fcgi_buf *out)
{
	struct fcgi_decoder d;
	struct fcgi_record rec;
	size_t used, pos = 0;
	char line[128];
	int rc, n;

	fcgi_decoder_init(&d, NULL);
	while (pos < len) {
		rc = fcgi_decoder_feed(&d, p + pos, len - pos, &used, &rec);
		pos += used;
		if (rc != 1)
			break;
		n = snprintf(line, sizeof(line), "%s %u %u %u;",
			     fcgi_type_name(rec.h.type),
			     (unsigned)rec.h.request_id,
			     (unsigned)rec.h.content_length,
			     (unsigned)rec.h.padding_length);
		assert_int_equal(fcgi_buf_append(out, line, (size_t)n), 0);
	}
	assert_int_equal(fcgi_decoder_finish(&d), 0);
	fcgi_decoder_fini(&d);
	assert_int_equal(fcgi_buf_append_u8(out, 0), 0);
}

/* The queue of c as record summaries; the queue is drained. */
static void queue_text(struct fcgi_conn *c, struct fcgi_buf *out)
{
	const uint8_t *p;
	size_t n = fcgi_conn_send(c, &p);

	fcgi_buf_reset(out);
	decode_queue(p, n, out);
	fcgi_conn_sent(c, n);
	assert_int_equal(fcgi_conn_send(c, &p), 0);
}

/* What an app's conn makes of connection errors: FCGI_EPROTO, the
 * direction stopped; an observer decodes the same bytes and goes on.  A
 * GET_VALUES with a request id gives an app no event to answer. */
static void test_conn_app_connection_errors(void **state)
{
	struct harness h;
	struct script s;
	char seq[256];
	ssize_t n;

	(void)state;
	for (int mode = 0; mode < 2; mode++) {
		s_init(&s, mode == 0 ? FCGI_MODE_APP : FCGI_MODE_OBSERVER);
		s_begin(&s, 1, FCGI_RESPONDER, 0);
		s_stream(&s, FCGI_STDIN, 0, "x");
		h_init(&h);
		h_conn(&h, s.mode, &s.opts);
		n = fcgi_conn_recv(h.c, FCGI_DIR_TO_APP, s.steps[0].bytes.data,
				   s.steps[0].bytes.len);
		if (mode == 0) {
			assert_int_equal(n, FCGI_EPROTO);
			assert_int_equal(fcgi_conn_last_consumed(h.c), 32);
			assert_int_equal(fcgi_conn_recv(h.c, FCGI_DIR_TO_APP,
							s.steps[0].bytes.data,
							8),
					 FCGI_EPROTO);
		} else {
			assert_int_equal(n, (ssize_t)s.steps[0].bytes.len);
		}
		assert_true(h_has(&h, "STDIN record has request id 0, which is "
				      "reserved for management records"));
		assert_int_equal(h.nv, 1);
		h_free(&h);
		s_free(&s);
	}

	s_init(&s, FCGI_MODE_APP);
	s_pairs(&s, FCGI_DIR_TO_APP, FCGI_GET_VALUES, 3, "FCGI_MAX_CONNS", "",
		NULL);
	s_pairs(&s, FCGI_DIR_TO_APP, FCGI_GET_VALUES, 0, "FCGI_MAX_REQS", "",
		NULL);
	h_init(&h);
	h_run(&h, &s, SPLIT_WHOLE, 0);
	assert_int_equal(h.nv, 1);
	assert_true(
		h_has(&h, "GET_VALUES record has request id 3, expected 0"));
	assert_string_equal(ev_seq(&h, seq, sizeof(seq)), "GET_VALUES");
	h_free(&h);
	s_free(&s);
}

static void test_conn_app_responder(void **state)
{
	struct fcgi_buf q;
	struct harness h;
	struct script s;
	struct fcgi_nv nv;
	char seq[256];

	(void)state;
	s_init(&s, FCGI_MODE_APP);
	s_begin(&s, 1, FCGI_RESPONDER, 0);
	s_pairs(&s, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, "REQUEST_METHOD", "POST",
		"CONTENT_LENGTH", "5", NULL);
	s_rec(&s, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, NULL, 0);
	s_stream(&s, FCGI_STDIN, 1, "hello");
	s_stream(&s, FCGI_STDIN, 1, "");
	h_init(&h);
	h_run(&h, &s, SPLIT_WHOLE, 0);
	assert_int_equal(h.nv, 0);
	assert_string_equal(ev_seq(&h, seq, sizeof(seq)),
			    "BEGIN PARAMS STDIN STDIN");
	assert_int_equal(h.ev[0].role, FCGI_RESPONDER);
	assert_int_equal(fcgi_params_count(&h.params), 2);
	assert_true(fcgi_params_gets(&h.params, "REQUEST_METHOD", &nv));
	assert_memory_equal(nv.value, "POST", 4);
	assert_int_equal(h.ev[2].len, 5);
	assert_int_equal(h.ev[3].len, 0);
	assert_int_equal(h.ev[2].offset, 72);
	assert_int_equal(h.ev[2].record, 4);
	assert_memory_equal(h.data[FCGI_EV_STDIN].data, "hello", 5);
	assert_true(fcgi_conn_is_active(h.c, 1));

	/* The answer: STDOUT, STDERR, then end() closes both. */
	assert_int_equal(fcgi_conn_stream(h.c, 1, FCGI_STDOUT,
					  "Status: 200\r\n\r\nhi", 17),
			 0);
	assert_int_equal(fcgi_conn_stream(h.c, 1, FCGI_STDERR, "warn", 4), 0);
	assert_int_equal(fcgi_conn_end(h.c, 1, 0, FCGI_REQUEST_COMPLETE), 0);
	fcgi_buf_init(&q, NULL, 0);
	queue_text(h.c, &q);
	assert_string_equal((char *)q.data,
			    "STDOUT 1 17 7;STDERR 1 4 4;STDOUT 1 0 0;"
			    "STDERR 1 0 0;END_REQUEST 1 8 0;");
	assert_false(fcgi_conn_is_active(h.c, 1));
	assert_int_equal(fcgi_conn_active(h.c), 0);
	/* Our own records reached on_record too, as to-web. */
	assert_int_equal(h.nrec[FCGI_DIR_TO_WEB], 5);
	assert_int_equal(fcgi_conn_offset(h.c, FCGI_DIR_TO_WEB), 80);
	/* The request is over: more output does not fit. */
	assert_int_equal(fcgi_conn_stream(h.c, 1, FCGI_STDOUT, "x", 1),
			 FCGI_ESTATE);
	assert_int_equal(fcgi_conn_end(h.c, 1, 0, 0), FCGI_ESTATE);
	assert_int_equal(fcgi_conn_eof(h.c, FCGI_DIR_TO_APP), 0);
	assert_int_equal(h.ev[h.nev - 1].type, FCGI_EV_CLOSE);
	assert_int_equal(h.nv, 0);
	fcgi_buf_fini(&q);
	h_free(&h);
	s_free(&s);
}

static void test_conn_web_responder(void **state)
{
	struct fcgi_params p;
	struct fcgi_buf q;
	struct harness h;
	struct script s;
	char seq[256];

	(void)state;
	h_init(&h);
	h_conn(&h, FCGI_MODE_WEB, NULL);
	fcgi_params_init(&p, NULL);
	assert_int_equal(
		fcgi_params_add(&p, "SCRIPT_FILENAME", 15, "/srv/a.php", 10),
		0);
	assert_int_equal(fcgi_conn_begin(h.c, 1, FCGI_RESPONDER, 0), 0);
	assert_int_equal(fcgi_conn_params(h.c, 1, &p), 0);
	assert_int_equal(fcgi_conn_stream(h.c, 1, FCGI_STDIN, "abc", 3), 0);
	assert_int_equal(fcgi_conn_stream(h.c, 1, FCGI_STDIN, NULL, 0), 0);
	fcgi_buf_init(&q, NULL, 0);
	queue_text(h.c, &q);
	assert_string_equal((char *)q.data,
			    "BEGIN_REQUEST 1 8 0;PARAMS 1 27 5;PARAMS 1 0 0;"
			    "STDIN 1 3 5;STDIN 1 0 0;");
	assert_true(fcgi_conn_is_active(h.c, 1));
	assert_int_equal(fcgi_conn_keep(h.c), 0);
	assert_int_equal(h.nev, 0); /* own records make no events */

	s_init(&s, FCGI_MODE_WEB);
	s_stream(&s, FCGI_STDOUT, 1, "Content-type: text/plain\r\n\r\nok");
	s_stream(&s, FCGI_STDERR, 1, "note");
	s_stream(&s, FCGI_STDERR, 1, "");
	s_stream(&s, FCGI_STDOUT, 1, "");
	s_end(&s, 1, 0, FCGI_REQUEST_COMPLETE);
	fcgi_conn_free(h.c);
	h.c = NULL;
	/* Run again with the same sends through the script runner, so
	 * that the received part can be split too. */
	h_free(&h);
	h_init(&h);
	h_conn(&h, FCGI_MODE_WEB, NULL);
	assert_int_equal(fcgi_conn_begin(h.c, 1, FCGI_RESPONDER, 0), 0);
	assert_int_equal(fcgi_conn_params(h.c, 1, &p), 0);
	assert_int_equal(fcgi_conn_stream(h.c, 1, FCGI_STDIN, NULL, 0), 0);
	assert_int_equal(fcgi_conn_recv(h.c, FCGI_DIR_TO_WEB,
					s.steps[0].bytes.data,
					s.steps[0].bytes.len),
			 (ssize_t)s.steps[0].bytes.len);
	assert_int_equal(h.nv, 0);
	assert_string_equal(ev_seq(&h, seq, sizeof(seq)),
			    "STDOUT STDERR STDERR STDOUT END");
	assert_int_equal(h.ev[4].app, 0);
	assert_int_equal(h.ev[4].ps, FCGI_REQUEST_COMPLETE);
	assert_int_equal(h.ev[4].id, 1);
	assert_false(fcgi_conn_is_active(h.c, 1));
	/* Received in WEB mode: to-app input is refused. */
	assert_int_equal(fcgi_conn_recv(h.c, FCGI_DIR_TO_APP, begin_resp, 8),
			 FCGI_EINVAL);
	assert_int_equal(fcgi_conn_eof(h.c, FCGI_DIR_TO_WEB), 0);
	assert_int_equal(h.nv, 0);
	fcgi_params_fini(&p);
	fcgi_buf_fini(&q);
	h_free(&h);
	s_free(&s);
}

static void test_conn_observer_responder(void **state)
{
	struct harness h;
	struct script s;
	char seq[256];

	(void)state;
	s_init(&s, FCGI_MODE_OBSERVER);
	s_request(&s, 1);
	s_stream(&s, FCGI_STDOUT, 1, "Status: 404\r\n\r\n");
	s_stream(&s, FCGI_STDERR, 1, "Primary script unknown");
	s_stream(&s, FCGI_STDERR, 1, "");
	s_stream(&s, FCGI_STDOUT, 1, "");
	s_end(&s, 1, 0, 0);
	s_eof(&s, FCGI_DIR_TO_APP);
	s_eof(&s, FCGI_DIR_TO_WEB);
	h_init(&h);
	h_run(&h, &s, SPLIT_WHOLE, 0);
	assert_int_equal(h.nv, 0);
	assert_string_equal(ev_seq(&h, seq, sizeof(seq)),
			    "BEGIN PARAMS STDIN STDOUT STDERR STDERR STDOUT "
			    "END CLOSE CLOSE");
	assert_int_equal(h.ev[3].dir, FCGI_DIR_TO_WEB);
	assert_int_equal(h.ev[3].offset, 0);
	assert_int_equal(h.ev[7].offset, 72);
	assert_int_equal(h.ev[7].record, 5);
	assert_int_equal(h.ev[8].dir, FCGI_DIR_TO_APP);
	assert_int_equal(h.ev[8].offset, s.off[FCGI_DIR_TO_APP]);
	/* Observers send nothing. */
	assert_int_equal(fcgi_conn_begin(h.c, 2, 1, 0), FCGI_ESTATE);
	assert_int_equal(fcgi_conn_stream(h.c, 1, FCGI_STDOUT, "x", 1),
			 FCGI_ESTATE);
	assert_int_equal(fcgi_conn_send_raw(h.c, "x", 1), FCGI_ESTATE);
	assert_int_equal(fcgi_conn_get_values(h.c, NULL), FCGI_ESTATE);
	assert_int_equal(fcgi_conn_values_result(h.c, NULL), FCGI_ESTATE);
	/* Both ends seen: the directions are closed. */
	assert_int_equal(fcgi_conn_recv(h.c, FCGI_DIR_TO_APP, begin_resp, 8),
			 FCGI_ESTATE);
	assert_int_equal(fcgi_conn_eof(h.c, FCGI_DIR_TO_APP), FCGI_ESTATE);
	h_free(&h);
	s_free(&s);
}

static void test_conn_multiplexed(void **state)
{
	struct harness h;
	struct script s;
	size_t i;
	int ends = 0;

	(void)state;
	s_init(&s, FCGI_MODE_OBSERVER);
	build_multiplex(&s);
	h_init(&h);
	h_run(&h, &s, SPLIT_WHOLE, 0);
	assert_int_equal(h.nv, 0);
	assert_true(h_has(&h, "E PARAMS to-app id=3 off=120 n=9 n=1 ID=three"));
	assert_true(h_has(&h, "E PARAMS to-app id=1 off=104 n=7 n=1 ID=one"));
	for (i = 0; i < h.nev; i++) {
		if (h.ev[i].type != FCGI_EV_END)
			continue;
		/* Ended in the order 2, 3, 1 with appStatus 0, 3, 1. */
		assert_int_equal(h.ev[i].id, ends == 0 ? 2 : ends == 1 ? 3 : 1);
		assert_int_equal(h.ev[i].app, ends == 0	  ? 0
					      : ends == 1 ? 3
							  : 1);
		ends++;
	}
	assert_int_equal(ends, 3);
	assert_int_equal(fcgi_conn_active(h.c), 0);
	assert_int_equal(fcgi_conn_keep(h.c), 1);
	h_free(&h);
	s_free(&s);
}

static void test_conn_keep_conn(void **state)
{
	struct harness h;
	struct script s;
	char seq[256];

	(void)state;
	s_init(&s, FCGI_MODE_OBSERVER);
	build_keep_conn(&s);
	h_init(&h);
	h_run(&h, &s, SPLIT_WHOLE, 0);
	assert_int_equal(h.nv, 0);
	assert_string_equal(ev_seq(&h, seq, sizeof(seq)),
			    "BEGIN PARAMS STDIN STDOUT STDOUT END BEGIN PARAMS "
			    "STDIN STDOUT STDOUT END CLOSE CLOSE");
	assert_int_equal(fcgi_conn_keep(h.c), 1);
	h_free(&h);

	/* A request still open at the app's close is the worse finding:
	 * no closed-keep-conn then. */
	s_free(&s);
	s_init(&s, FCGI_MODE_OBSERVER);
	s_begin(&s, 1, FCGI_RESPONDER, FCGI_KEEP_CONN);
	s_expect(&s, FCGI_V_EOF_MID_REQUEST, FCGI_DIR_TO_WEB, 1);
	s_eof(&s, FCGI_DIR_TO_WEB);
	h_init(&h);
	h_run(&h, &s, SPLIT_WHOLE, 0);
	check_vios(&h, &s, "keep_conn_open");
	h_free(&h);
	s_free(&s);

	/* In WEB mode our own close comes first: no finding. */
	h_init(&h);
	h_conn(&h, FCGI_MODE_WEB, NULL);
	assert_int_equal(
		fcgi_conn_begin(h.c, 1, FCGI_RESPONDER, FCGI_KEEP_CONN), 0);
	assert_int_equal(fcgi_conn_keep(h.c), 1);
	s_init(&s, FCGI_MODE_WEB);
	s_stream(&s, FCGI_STDOUT, 1, "");
	s_end(&s, 1, 0, 0);
	assert_int_equal(fcgi_conn_recv(h.c, FCGI_DIR_TO_WEB,
					s.steps[0].bytes.data,
					s.steps[0].bytes.len),
			 (ssize_t)s.steps[0].bytes.len);
	assert_int_equal(fcgi_conn_eof(h.c, FCGI_DIR_TO_APP), 0);
	assert_int_equal(fcgi_conn_eof(h.c, FCGI_DIR_TO_WEB), 0);
	assert_int_equal(h.nv, 0);
	h_free(&h);
	s_free(&s);
}

static void test_conn_management(void **state)
{
	struct fcgi_params p;
	struct fcgi_buf q;
	struct harness h;
	struct script s;
	struct fcgi_conn_opts o;
	uint8_t body[8];

	(void)state;
	/* APP: GET_VALUES becomes an event; we answer. */
	s_init(&s, FCGI_MODE_APP);
	s_pairs(&s, FCGI_DIR_TO_APP, FCGI_GET_VALUES, 0, "FCGI_MAX_CONNS", "",
		"FCGI_MPXS_CONNS", "", NULL);
	s_rec(&s, FCGI_DIR_TO_APP, 99, 0, "zz", 2);
	h_init(&h);
	h_run(&h, &s, SPLIT_WHOLE, 0);
	assert_true(h_has(&h, "E GET_VALUES to-app id=0 off=0 n=1 n=2 "
			      "FCGI_MAX_CONNS= FCGI_MPXS_CONNS=\n"));
	assert_true(h_has(&h, "E UNKNOWN_RECORD to-app id=0 off=48 n=2 "
			      "type=99 len=2"));
	fcgi_params_init(&p, NULL);
	assert_int_equal(fcgi_params_add(&p, "FCGI_MPXS_CONNS", 15, "0", 1), 0);
	assert_int_equal(fcgi_conn_values_result(h.c, &p), 0);
	fcgi_buf_init(&q, NULL, 0);
	/* The UNKNOWN_TYPE answer went out by itself, before ours. */
	queue_text(h.c, &q);
	assert_string_equal((char *)q.data,
			    "UNKNOWN_TYPE 0 8 0;GET_VALUES_RESULT 0 18 6;");
	assert_int_equal(h.nv, 1); /* the undefined type */
	/* WEB-only and wrong-mode calls. */
	assert_int_equal(fcgi_conn_get_values(h.c, &p), FCGI_ESTATE);
	assert_int_equal(fcgi_conn_abort(h.c, 1), FCGI_ESTATE);
	h_free(&h);

	/* Without auto_unknown_type nothing is queued. */
	fcgi_conn_opts_default(&o);
	o.auto_unknown_type = 0;
	h_init(&h);
	h_conn(&h, FCGI_MODE_APP, &o);
	assert_int_equal(fcgi_conn_recv(h.c, FCGI_DIR_TO_APP,
					s.steps[0].bytes.data,
					s.steps[0].bytes.len),
			 (ssize_t)s.steps[0].bytes.len);
	queue_text(h.c, &q);
	assert_string_equal((char *)q.data, "");
	h_free(&h);
	s_free(&s);

	/* WEB: we ask, the answer is an event and no violation. */
	h_init(&h);
	h_conn(&h, FCGI_MODE_WEB, NULL);
	assert_int_equal(fcgi_conn_get_values(h.c, &p), 0);
	queue_text(h.c, &q);
	/* Values are left out of the question. */
	assert_string_equal((char *)q.data, "GET_VALUES 0 17 7;");
	s_init(&s, FCGI_MODE_WEB);
	s_pairs(&s, FCGI_DIR_TO_WEB, FCGI_GET_VALUES_RESULT, 0,
		"FCGI_MPXS_CONNS", "0", NULL);
	fcgi_unknown_body_encode(body, 200);
	assert_int_equal(fcgi_conn_send_raw(h.c, "\1\310\0\0\0\0\0\0", 8), 0);
	s_rec(&s, FCGI_DIR_TO_WEB, FCGI_UNKNOWN_TYPE, 0, body, 8);
	assert_int_equal(fcgi_conn_recv(h.c, FCGI_DIR_TO_WEB,
					s.steps[0].bytes.data,
					s.steps[0].bytes.len),
			 (ssize_t)s.steps[0].bytes.len);
	assert_int_equal(h.nv, 0);
	assert_true(h_has(&h, "E GET_VALUES_RESULT to-web id=0 off=0 n=1 n=1 "
			      "FCGI_MPXS_CONNS=0"));
	assert_true(h_has(&h, "E UNKNOWN_TYPE to-web id=0 off=32 n=2 "
			      "type=200"));
	assert_int_equal(fcgi_conn_values_result(h.c, &p), FCGI_ESTATE);
	h_free(&h);
	s_free(&s);
	fcgi_params_fini(&p);
	fcgi_buf_fini(&q);
}

/* ---- the sending side ----------------------------------------------- */

/* Check the framing of queued bytes; returns the records of type. */
static size_t check_framing(const uint8_t *p, size_t len, uint8_t type,
			    int pairs_whole, const struct fcgi_params *want)
{
	struct fcgi_decoder d;
	struct fcgi_record rec;
	struct fcgi_params got;
	size_t used, pos = 0, n = 0, prev = 0;
	struct fcgi_nv a, b;
	size_t i, next_pair = 0;
	int rc;

	fcgi_decoder_init(&d, NULL);
	fcgi_params_init(&got, NULL);
	while (pos < len) {
		rc = fcgi_decoder_feed(&d, p + pos, len - pos, &used, &rec);
		pos += used;
		assert_int_equal(rc, 1);
		assert_int_equal(
			(8 + rec.h.content_length + rec.h.padding_length) % 8,
			0);
		assert_true(rec.h.content_length + rec.h.padding_length <=
			    65535);
		assert_true(rec.h.content_length <= FCGI_CHUNK_MAX);
		if (rec.h.type != type)
			continue;
		n++;
		if (want != NULL && rec.h.content_length > 0) {
			size_t before = fcgi_params_count(&got);

			if (pairs_whole) {
				/* Cut only between pairs: each record
				 * decodes on its own... */
				assert_int_equal(
					fcgi_nv_decode_all(rec.content,
							   rec.h.content_length,
							   &got, 0, 0),
					0);
				/* ...and the previous one was cut only
				 * because this pair did not fit. */
				if (prev > 0) {
					fcgi_params_at(want, next_pair, &a);
					assert_true(
						prev + fcgi_nv_size(
							       a.name_len,
							       a.value_len) >
						FCGI_CHUNK_MAX);
				}
				next_pair += fcgi_params_count(&got) - before;
			}
			prev = rec.h.content_length;
		}
	}
	if (want != NULL && pairs_whole) {
		assert_int_equal(fcgi_params_count(&got),
				 fcgi_params_count(want));
		for (i = 0; i < fcgi_params_count(want); i++) {
			fcgi_params_at(want, i, &a);
			fcgi_params_at(&got, i, &b);
			assert_int_equal(a.name_len, b.name_len);
			assert_int_equal(a.value_len, b.value_len);
			assert_memory_equal(a.name, b.name, a.name_len);
			if (a.value_len > 0)
				assert_memory_equal(a.value, b.value,
						    a.value_len);
		}
	}
	assert_int_equal(fcgi_decoder_finish(&d), 0);
	fcgi_params_fini(&got);
	fcgi_decoder_fini(&d);
	return n;
}

static void test_conn_params_framing(void **state)
{
	struct fcgi_params p;
	struct harness h, obs;
	const uint8_t *out;
	char name[32], *value;
	size_t i, n, total = 0;

	(void)state;
	value = malloc(100000);
	assert_non_null(value);
	memset(value, 'v', 100000);
	fcgi_params_init(&p, NULL);
	for (i = 0; total < 200 * 1024; i++) {
		n = (size_t)snprintf(name, sizeof(name), "HTTP_X_%zu", i);
		assert_int_equal(
			fcgi_params_add(&p, name, n, value, (i * 37) % 300), 0);
		total += fcgi_nv_size(n, (i * 37) % 300);
	}
	h_init(&h);
	h_conn(&h, FCGI_MODE_WEB, NULL);
	assert_int_equal(fcgi_conn_begin(h.c, 1, FCGI_RESPONDER, 0), 0);
	assert_int_equal(fcgi_conn_params(h.c, 1, &p), 0);
	n = fcgi_conn_send(h.c, &out);
	/* 200 KiB of pairs need four records, plus the empty one. */
	assert_int_equal(check_framing(out, n, FCGI_PARAMS, 1, &p), 5);
	/* An observer of these bytes finds nothing to say. */
	h_init(&obs);
	h_conn(&obs, FCGI_MODE_OBSERVER, NULL);
	assert_int_equal(fcgi_conn_recv(obs.c, FCGI_DIR_TO_APP, out, n),
			 (ssize_t)n);
	assert_int_equal(obs.nv, 0);
	assert_int_equal(fcgi_params_count(&obs.params), fcgi_params_count(&p));
	h_free(&obs);
	/* Params once only. */
	assert_int_equal(fcgi_conn_params(h.c, 1, &p), FCGI_ESTATE);
	h_free(&h);

	/* One pair larger than a record is cut where it must be; the small
	 * pairs around it stay whole. */
	fcgi_params_clear(&p);
	assert_int_equal(fcgi_params_add(&p, "A", 1, "a", 1), 0);
	assert_int_equal(fcgi_params_add(&p, "BIG", 3, value, 100000), 0);
	assert_int_equal(fcgi_params_add(&p, "C", 1, "c", 1), 0);
	h_init(&h);
	h_conn(&h, FCGI_MODE_WEB, NULL);
	assert_int_equal(fcgi_conn_begin(h.c, 1, FCGI_RESPONDER, 0), 0);
	assert_int_equal(fcgi_conn_params(h.c, 1, &p), 0);
	n = fcgi_conn_send(h.c, &out);
	/* [A] [BIG 65528] [rest of BIG + C] [] */
	assert_int_equal(check_framing(out, n, FCGI_PARAMS, 0, NULL), 4);
	h_init(&obs);
	h_conn(&obs, FCGI_MODE_OBSERVER, NULL);
	assert_int_equal(fcgi_conn_recv(obs.c, FCGI_DIR_TO_APP, out, n),
			 (ssize_t)n);
	assert_int_equal(obs.nv, 1);
	assert_int_equal(obs.v[0].code, FCGI_V_NV_SPLIT);
	assert_int_equal(fcgi_params_count(&obs.params), 3);
	h_free(&obs);
	h_free(&h);

	/* No params at all: just the empty record. */
	h_init(&h);
	h_conn(&h, FCGI_MODE_WEB, NULL);
	assert_int_equal(fcgi_conn_begin(h.c, 1, FCGI_RESPONDER, 0), 0);
	assert_int_equal(fcgi_conn_params(h.c, 1, NULL), 0);
	n = fcgi_conn_send(h.c, &out);
	assert_int_equal(check_framing(out, n, FCGI_PARAMS, 0, NULL), 1);
	h_free(&h);
	fcgi_params_fini(&p);
	free(value);
}

static void test_conn_stream_framing(void **state)
{
	static const char want[] = "BEGIN_REQUEST 1 8 0;PARAMS 1 0 0;"
				   "STDIN 1 65528 0;STDIN 1 65528 0;"
				   "STDIN 1 65528 0;STDIN 1 8216 0;"
				   "STDIN 1 0 0;";
	struct fcgi_buf q;
	struct harness h;
	const uint8_t *out;
	uint8_t *body;
	size_t n;

	(void)state;
	body = malloc(200 * 1024);
	assert_non_null(body);
	memset(body, 'b', 200 * 1024);
	h_init(&h);
	h_conn(&h, FCGI_MODE_WEB, NULL);
	assert_int_equal(fcgi_conn_begin(h.c, 1, FCGI_RESPONDER, 0), 0);
	/* STDIN waits for the params. */
	assert_int_equal(fcgi_conn_stream(h.c, 1, FCGI_STDIN, body, 1),
			 FCGI_ESTATE);
	assert_int_equal(fcgi_conn_params(h.c, 1, NULL), 0);
	assert_int_equal(fcgi_conn_stream(h.c, 1, FCGI_STDIN, body, 200 * 1024),
			 0);
	assert_int_equal(fcgi_conn_stream(h.c, 1, FCGI_STDIN, NULL, 0), 0);
	n = fcgi_conn_send(h.c, &out);
	check_framing(out, n, FCGI_STDIN, 0, NULL);
	fcgi_buf_init(&q, NULL, 0);
	queue_text(h.c, &q);
	assert_string_equal((char *)q.data, want);
	/* After the end: no more STDIN; DATA may follow. */
	assert_int_equal(fcgi_conn_stream(h.c, 1, FCGI_STDIN, "x", 1),
			 FCGI_ESTATE);
	assert_int_equal(fcgi_conn_stream(h.c, 1, FCGI_DATA, "x", 1), 0);
	/* Wrong side, wrong type, wrong id. */
	assert_int_equal(fcgi_conn_stream(h.c, 1, FCGI_STDOUT, "x", 1),
			 FCGI_ESTATE);
	assert_int_equal(fcgi_conn_stream(h.c, 1, FCGI_BEGIN_REQUEST, "x", 1),
			 FCGI_EINVAL);
	assert_int_equal(fcgi_conn_stream(h.c, 2, FCGI_DATA, "x", 1),
			 FCGI_ESTATE);
	assert_int_equal(fcgi_conn_stream(h.c, 1, FCGI_DATA, NULL, 1),
			 FCGI_EINVAL);
	assert_int_equal(fcgi_conn_end(h.c, 1, 0, 0), FCGI_ESTATE);
	assert_int_equal(fcgi_conn_begin(h.c, 1, 1, 0), FCGI_ESTATE);
	assert_int_equal(fcgi_conn_begin(h.c, 0, 1, 0), FCGI_EINVAL);
	assert_int_equal(fcgi_conn_abort(h.c, 1), 0);
	assert_int_equal(fcgi_conn_abort(h.c, 1), FCGI_ESTATE);
	assert_int_equal(fcgi_conn_abort(h.c, 9), FCGI_ESTATE);
	queue_text(h.c, &q);
	assert_string_equal((char *)q.data, "DATA 1 1 7;ABORT_REQUEST 1 0 0;");
	fcgi_buf_fini(&q);
	h_free(&h);

	/* APP side: 200 KiB of STDOUT the same way. */
	h_init(&h);
	h_conn(&h, FCGI_MODE_APP, NULL);
	assert_int_equal(fcgi_conn_stream(h.c, 1, FCGI_STDOUT, "x", 1),
			 FCGI_ESTATE);
	assert_int_equal(fcgi_conn_recv(h.c, FCGI_DIR_TO_APP,
					(const uint8_t *)"\1\1\0\1\0\10\0\0"
							 "\0\1\0\0\0\0\0\0",
					16),
			 16);
	assert_int_equal(
		fcgi_conn_stream(h.c, 1, FCGI_STDOUT, body, 200 * 1024), 0);
	assert_int_equal(fcgi_conn_stream(h.c, 1, FCGI_STDIN, "x", 1),
			 FCGI_ESTATE);
	assert_int_equal(fcgi_conn_end(h.c, 1, 0, 0), 0);
	n = fcgi_conn_send(h.c, &out);
	assert_int_equal(check_framing(out, n, FCGI_STDOUT, 0, NULL), 5);
	h_free(&h);
	free(body);
}

/* The queue hands out what was queued, in order, however it is drained,
 * and its sent prefix is reclaimed. */
static void test_conn_queue(void **state)
{
	struct harness h;
	struct fcgi_buf all;
	const uint8_t *out;
	uint8_t *body;
	size_t n, i;
	unsigned long long seed = 7;

	(void)state;
	body = malloc(300000);
	assert_non_null(body);
	for (i = 0; i < 300000; i++)
		body[i] = (uint8_t)(i * 7 + (i >> 9));
	h_init(&h);
	h_conn(&h, FCGI_MODE_WEB, NULL);
	fcgi_buf_init(&all, NULL, 0);
	assert_int_equal(fcgi_conn_send(h.c, &out), 0);
	assert_non_null(out);
	assert_int_equal(fcgi_conn_begin(h.c, 1, FCGI_RESPONDER, 0), 0);
	assert_int_equal(fcgi_conn_params(h.c, 1, NULL), 0);
	for (i = 0; i < 30; i++) {
		assert_int_equal(fcgi_conn_stream(h.c, 1, FCGI_STDIN,
						  body + i * 10000, 10000),
				 0);
		/* Drain a random part. */
		n = fcgi_conn_send(h.c, &out);
		n = (size_t)(clog_rand(&seed) % (n + 1));
		assert_int_equal(fcgi_buf_append(&all, out, n), 0);
		fcgi_conn_sent(h.c, n);
	}
	assert_int_equal(fcgi_conn_stream(h.c, 1, FCGI_STDIN, NULL, 0), 0);
	n = fcgi_conn_send(h.c, &out);
	assert_int_equal(fcgi_buf_append(&all, out, n), 0);
	fcgi_conn_sent(h.c, n + 100); /* more than there is: clamped */
	assert_int_equal(fcgi_conn_send(h.c, &out), 0);
	/* An observer recovers the body exactly. */
	fcgi_conn_free(h.c);
	h.c = NULL;
	h_conn(&h, FCGI_MODE_OBSERVER, NULL);
	assert_int_equal(
		fcgi_conn_recv(h.c, FCGI_DIR_TO_APP, all.data, all.len),
		(ssize_t)all.len);
	assert_int_equal(h.nv, 0);
	assert_int_equal(h.data[FCGI_EV_STDIN].len, 300000);
	assert_memory_equal(h.data[FCGI_EV_STDIN].data, body, 300000);
	fcgi_buf_fini(&all);
	h_free(&h);
	free(body);
}

/* Raw bytes are tracked like any queued record. */
static void test_conn_send_raw(void **state)
{
	struct fcgi_buf b;
	struct harness h;
	const uint8_t *out;

	(void)state;
	fcgi_buf_init(&b, NULL, 0);
	assert_int_equal(
		fcgi_record_encode(&b, FCGI_BEGIN_REQUEST, 7, begin_resp, 8),
		0);
	h_init(&h);
	h_conn(&h, FCGI_MODE_WEB, NULL);
	/* In two pieces, the first ending inside the header. */
	assert_int_equal(fcgi_conn_send_raw(h.c, b.data, 5), 0);
	assert_false(fcgi_conn_is_active(h.c, 7));
	assert_int_equal(fcgi_conn_send_raw(h.c, b.data + 5, b.len - 5), 0);
	assert_true(fcgi_conn_is_active(h.c, 7));
	assert_int_equal(fcgi_conn_params(h.c, 7, NULL), 0);
	assert_int_equal(fcgi_conn_send_raw(h.c, NULL, 1), FCGI_EINVAL);
	assert_int_equal(fcgi_conn_send_raw(h.c, NULL, 0), 0);
	/* Bytes that are not FastCGI end the tracking, not the queue. */
	assert_int_equal(fcgi_conn_send_raw(h.c, "GET / HTTP/1.0\r\n", 16), 0);
	assert_int_equal(fcgi_conn_begin(h.c, 8, 1, 0), 0);
	assert_int_equal(fcgi_conn_send(h.c, &out), 16 + 8 + 16 + 16);
	assert_memory_equal(out + 24, "GET / HTTP/1.0\r\n", 16);
	assert_false(fcgi_conn_is_active(h.c, 8));
	assert_int_equal(fcgi_conn_eof(h.c, (enum fcgi_dir)5), FCGI_EINVAL);
	h_free(&h);
	fcgi_buf_fini(&b);
}

/* A callback that stops: the record is consumed whole, and feeding the
 * rest carries on as if nothing happened. */
static void test_conn_cancel(void **state)
{
	struct harness h, whole;
	struct script s;
	const struct step *st;
	size_t pos;
	ssize_t r;
	int stops = 0;

	(void)state;
	s_init(&s, FCGI_MODE_APP);
	s_begin(&s, 1, FCGI_RESPONDER, 0);
	s_pairs(&s, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, "A", "b", NULL);
	s_rec(&s, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, NULL, 0);
	s_stream(&s, FCGI_STDIN, 1, "more");
	s_stream(&s, FCGI_STDIN, 1, "");
	h_init(&whole);
	h_run(&whole, &s, SPLIT_WHOLE, 0);

	h_init(&h);
	h_conn(&h, FCGI_MODE_APP, NULL);
	st = &s.steps[0];
	for (pos = 0; pos < st->bytes.len;) {
		h.log.stop_at = h.log.events + 1; /* stop at every event */
		r = fcgi_conn_recv(h.c, FCGI_DIR_TO_APP, st->bytes.data + pos,
				   st->bytes.len - pos);
		if (r == FCGI_ECANCELED) {
			stops++;
			/* Stopped right after the causing record. */
			assert_int_equal(pos + fcgi_conn_last_consumed(h.c),
					 h.rec_end[FCGI_DIR_TO_APP]);
			assert_int_equal(
				h.ev[h.nev - 1].offset + 8,
				h.rec_end[FCGI_DIR_TO_APP] -
					((h.ev[h.nev - 1].len + 7) &
					 ~(size_t)7) -
					(h.ev[h.nev - 1].type == FCGI_EV_BEGIN
						 ? 8
						 : 0));
			pos += fcgi_conn_last_consumed(h.c);
			continue;
		}
		assert_int_equal(r, (ssize_t)(st->bytes.len - pos));
		assert_int_equal(fcgi_conn_last_consumed(h.c), (size_t)r);
		pos += (size_t)r;
	}
	assert_int_equal(stops, 4);
	h.log.stop_at = 0;
	assert_int_equal(h.log.buf.len, whole.log.buf.len);
	assert_memory_equal(h.log.buf.data, whole.log.buf.data,
			    whole.log.buf.len);
	/* Stopping at CLOSE is reported too. */
	h.log.stop_at = h.log.events + 1;
	assert_int_equal(fcgi_conn_eof(h.c, FCGI_DIR_TO_APP), FCGI_ECANCELED);
	h_free(&h);
	h_free(&whole);
	s_free(&s);
}

/* recv and eof refuse to run from inside a callback. */
static int hook_reenter(struct harness *h, const struct fcgi_event *ev)
{
	if (ev->type == FCGI_EV_BEGIN) {
		assert_int_equal(
			fcgi_conn_recv(h->c, FCGI_DIR_TO_APP, begin_resp, 8),
			FCGI_ESTATE);
		assert_int_equal(fcgi_conn_eof(h->c, FCGI_DIR_TO_APP),
				 FCGI_ESTATE);
	}
	/* A server answering from inside the callback: allowed. */
	if (ev->type == FCGI_EV_PARAMS) {
		assert_int_equal(fcgi_conn_stream(h->c, ev->request_id,
						  FCGI_STDOUT, "early", 5),
				 0);
		assert_int_equal(fcgi_conn_end(h->c, ev->request_id, 0, 0), 0);
	}
	return 0;
}

static void test_conn_callbacks_reenter(void **state)
{
	struct fcgi_buf q;
	struct harness h;
	struct script s;

	(void)state;
	s_init(&s, FCGI_MODE_APP);
	s_begin(&s, 1, FCGI_RESPONDER, 0);
	s_rec(&s, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, NULL, 0);
	s_stream(&s, FCGI_STDIN, 1, "late");
	s_stream(&s, FCGI_STDIN, 1, "");
	h_init(&h);
	h.hook = hook_reenter;
	h_run(&h, &s, SPLIT_WHOLE, 0);
	/* The request ended inside the PARAMS callback; the empty STDIN
	 * after it is the web server's side of the race: quiet. */
	assert_int_equal(h.nv, 0);
	assert_int_equal(h.nev, 2);
	fcgi_buf_init(&q, NULL, 0);
	queue_text(h.c, &q);
	assert_string_equal((char *)q.data,
			    "STDOUT 1 5 3;STDOUT 1 0 0;END_REQUEST 1 8 0;");
	fcgi_buf_fini(&q);
	h_free(&h);
	s_free(&s);
}

/* ---- golden vectors: real nginx <-> PHP-FPM traffic ---------------------- */

/* Read tests/fixtures/golden/<name>, found from the binary's place in
 * build/<variant>/tests/unit/ or from the working directory. */
static uint8_t *golden(const char *name, size_t *len)
{
	char exe[4096], path[4600];
	const char *dir = "tests/fixtures/golden";
	uint8_t *data = NULL;
	ssize_t n;
	FILE *f;
	int i, up;
	long sz;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	for (i = 0; i < 2; i++) {
		if (i == 0 && n > 0) {
			exe[n] = '\0';
			for (up = 0; up < 5; up++) {
				char *slash = strrchr(exe, '/');

				if (slash != NULL)
					*slash = '\0';
			}
			snprintf(path, sizeof(path), "%s/%s/%s", exe, dir,
				 name);
		} else {
			snprintf(path, sizeof(path), "%s/%s", dir, name);
		}
		f = fopen(path, "rb");
		if (f == NULL)
			continue;
		assert_int_equal(fseek(f, 0, SEEK_END), 0);
		sz = ftell(f);
		assert_true(sz > 0);
		rewind(f);
		data = malloc((size_t)sz);
		assert_non_null(data);
		assert_int_equal(fread(data, 1, (size_t)sz, f), (size_t)sz);
		fclose(f);
		*len = (size_t)sz;
		return data;
	}
	print_error("cannot find %s\n", name);
	fail();
	return NULL;
}

struct gold {
	uint8_t *app, *web, *body;
	size_t app_len, web_len, body_len;
};

static void gold_load(struct gold *g, const char *which)
{
	char name[128];

	snprintf(name, sizeof(name), "nginx-phpfpm-%s.to-app.bin", which);
	g->app = golden(name, &g->app_len);
	snprintf(name, sizeof(name), "nginx-phpfpm-%s.to-web.bin", which);
	g->web = golden(name, &g->web_len);
	snprintf(name, sizeof(name), "nginx-phpfpm-%s.http-body", which);
	g->body = golden(name, &g->body_len);
}

static void gold_free(struct gold *g)
{
	free(g->app);
	free(g->web);
	free(g->body);
}

/* What nginx sent: BEGIN RESPONDER, PARAMS, STDIN (body) and its end. */
static void check_gold_app(const struct harness *h, const char *method,
			   size_t body)
{
	struct fcgi_nv nv;
	size_t i, n = 0;

	assert_int_equal(h->ev[0].type, FCGI_EV_BEGIN);
	assert_int_equal(h->ev[0].role, FCGI_RESPONDER);
	assert_int_equal(h->ev[0].flags, 0);
	assert_int_equal(h->ev[0].id, 1);
	assert_int_equal(h->ev[1].type, FCGI_EV_PARAMS);
	assert_true(fcgi_params_gets(&h->params, "SCRIPT_FILENAME", &nv));
	assert_true(nv.value_len > 1 && nv.value[0] == '/');
	assert_true(fcgi_params_gets(&h->params, "REQUEST_METHOD", &nv));
	assert_int_equal(nv.value_len, strlen(method));
	assert_memory_equal(nv.value, method, nv.value_len);
	for (i = 2; i < h->nev && h->ev[i].type == FCGI_EV_STDIN; i++)
		n++;
	assert_true(n >= 1);
	assert_int_equal(h->ev[i - 1].len, 0); /* the empty STDIN */
	assert_int_equal(h->data[FCGI_EV_STDIN].len, body);
}

/* What PHP-FPM answered: STDOUT with the CGI response, END 0 COMPLETE,
 * and its one finding, the unended STDOUT stream (a note). */
static void check_gold_web(const struct harness *h, const struct gold *g)
{
	const struct fcgi_buf *out = &h->data[FCGI_EV_STDOUT];
	const struct evrec *end = NULL;
	size_t i, spec = 0, interop = 0, eos = 0;

	for (i = 0; i < h->nev; i++)
		if (h->ev[i].type == FCGI_EV_END)
			end = &h->ev[i];
	assert_non_null(end);
	assert_int_equal(end->app, 0);
	assert_int_equal(end->ps, FCGI_REQUEST_COMPLETE);
	assert_int_equal(end->id, 1);
	assert_true(out->len > 18);
	assert_true(memcmp(out->data, "X-Powered-By: PHP/", 18) == 0 ||
		    memcmp(out->data, "Content-type", 12) == 0);
	/* The HTTP body curl got is the tail of the CGI response. */
	assert_true(out->len >= g->body_len);
	assert_memory_equal(out->data + out->len - g->body_len, g->body,
			    g->body_len);
	for (i = 0; i < h->nv; i++) {
		spec += h->v[i].severity == FCGI_SEV_SPEC;
		interop += h->v[i].severity == FCGI_SEV_INTEROP;
		eos += h->v[i].code == FCGI_V_END_OPEN_STREAMS;
	}
	assert_int_equal(spec, 0);
	assert_int_equal(interop, 0);
	assert_int_equal(eos, 1);
}

static void golden_one(const char *which, const char *method, size_t body,
		       const char *want_seq)
{
	struct harness h, h2;
	struct gold g;
	char seq[512];
	size_t i;

	gold_load(&g, which);

	/* OBSERVER: nginx's side, then PHP-FPM's. */
	h_init(&h);
	h_conn(&h, FCGI_MODE_OBSERVER, NULL);
	assert_int_equal(fcgi_conn_recv(h.c, FCGI_DIR_TO_APP, g.app, g.app_len),
			 (ssize_t)g.app_len);
	assert_int_equal(fcgi_conn_recv(h.c, FCGI_DIR_TO_WEB, g.web, g.web_len),
			 (ssize_t)g.web_len);
	assert_int_equal(fcgi_conn_eof(h.c, FCGI_DIR_TO_APP), 0);
	assert_int_equal(fcgi_conn_eof(h.c, FCGI_DIR_TO_WEB), 0);
	check_gold_app(&h, method, body);
	check_gold_web(&h, &g);
	ev_seq(&h, seq, sizeof(seq));
	assert_string_equal(seq, want_seq);
	assert_int_equal(h.nv, 1);
	assert_int_equal(h.v[0].dir, FCGI_DIR_TO_WEB);
	assert_int_equal(h.v[0].request_id, 1);
	assert_int_equal(h.v[0].record, 2);

	/* Fed one byte at a time, interleaved: the same log. */
	h_init(&h2);
	h_conn(&h2, FCGI_MODE_OBSERVER, NULL);
	for (i = 0; i < g.app_len; i++)
		assert_int_equal(
			fcgi_conn_recv(h2.c, FCGI_DIR_TO_APP, g.app + i, 1), 1);
	for (i = 0; i < g.web_len; i++)
		assert_int_equal(
			fcgi_conn_recv(h2.c, FCGI_DIR_TO_WEB, g.web + i, 1), 1);
	assert_int_equal(fcgi_conn_eof(h2.c, FCGI_DIR_TO_APP), 0);
	assert_int_equal(fcgi_conn_eof(h2.c, FCGI_DIR_TO_WEB), 0);
	assert_int_equal(h2.log.buf.len, h.log.buf.len);
	assert_memory_equal(h2.log.buf.data, h.log.buf.data, h.log.buf.len);
	h_free(&h2);
	h_free(&h);

	/* APP mode: what nginx sent, as PHP-FPM saw it. */
	h_init(&h);
	h_conn(&h, FCGI_MODE_APP, NULL);
	assert_int_equal(fcgi_conn_recv(h.c, FCGI_DIR_TO_APP, g.app, g.app_len),
			 (ssize_t)g.app_len);
	check_gold_app(&h, method, body);
	assert_int_equal(h.nv, 0);
	assert_true(fcgi_conn_is_active(h.c, 1));
	h_free(&h);

	/* WEB mode: what PHP-FPM answered, as nginx saw it. */
	h_init(&h);
	h_conn(&h, FCGI_MODE_WEB, NULL);
	assert_int_equal(fcgi_conn_begin(h.c, 1, FCGI_RESPONDER, 0), 0);
	assert_int_equal(fcgi_conn_recv(h.c, FCGI_DIR_TO_WEB, g.web, g.web_len),
			 (ssize_t)g.web_len);
	assert_int_equal(fcgi_conn_eof(h.c, FCGI_DIR_TO_WEB), 0);
	check_gold_web(&h, &g);
	assert_string_equal(ev_seq(&h, seq, sizeof(seq)), "STDOUT END CLOSE");
	h_free(&h);
	gold_free(&g);
}

static void test_conn_golden_get(void **state)
{
	(void)state;
	/* nginx sends no body for GET: only the empty STDIN. */
	golden_one("get", "GET", 0,
		   "BEGIN PARAMS STDIN STDOUT END CLOSE CLOSE");
}

static void test_conn_golden_post(void **state)
{
	(void)state;
	/* The 3000-byte body came in two STDIN records. */
	golden_one("post", "POST", 3000,
		   "BEGIN PARAMS STDIN STDIN STDIN STDOUT END CLOSE CLOSE");
}

/* ---- memory ------------------------------------------------------------- */

/* 50 MB of STDOUT through an observer costs no more than one record. */
static void test_conn_memory_bound(void **state)
{
	struct fcgi_conn_opts o;
	struct failmem fm;
	struct harness h;
	struct script s;
	uint8_t *rec;
	const size_t reclen = 8 + FCGI_CHUNK_MAX, nrec = 800;
	size_t pos = 0, total = reclen * nrec, n, at;
	unsigned long long seed = 42;
	size_t i, outs = 0;

	(void)state;
	rec = malloc(reclen);
	assert_non_null(rec);
	{
		struct fcgi_buf b;

		fcgi_buf_init(&b, NULL, 0);
		memset(rec, 'o', reclen);
		assert_int_equal(fcgi_record_encode(&b, FCGI_STDOUT, 1, rec,
						    FCGI_CHUNK_MAX),
				 0);
		assert_int_equal(b.len, reclen);
		memcpy(rec, b.data, reclen);
		fcgi_buf_fini(&b);
	}
	failmem_init(&fm, -1);
	fcgi_conn_opts_default(&o);
	o.mem = &fm.mem;
	s_init(&s, FCGI_MODE_OBSERVER);
	s_request(&s, 1);
	h_init(&h);
	assert_int_equal(
		fcgi_conn_new(&h.c, FCGI_MODE_OBSERVER, &o, &h_callbacks, &h),
		0);
	assert_int_equal(fcgi_conn_recv(h.c, FCGI_DIR_TO_APP,
					s.steps[0].bytes.data,
					s.steps[0].bytes.len),
			 (ssize_t)s.steps[0].bytes.len);
	/* Stream data is not kept by the harness here. */
	while (pos < total) {
		at = pos % reclen;
		n = 1 + (size_t)(clog_rand(&seed) % 20000);
		if (n > reclen - at)
			n = reclen - at;
		assert_int_equal(
			fcgi_conn_recv(h.c, FCGI_DIR_TO_WEB, rec + at, n),
			(ssize_t)n);
		pos += n;
		if (h.data[FCGI_EV_STDOUT].len > (1u << 20))
			fcgi_buf_reset(&h.data[FCGI_EV_STDOUT]);
	}
	for (i = 0; i < h.nev && i < MAX_EV; i++)
		outs += h.ev[i].type == FCGI_EV_STDOUT;
	assert_int_equal(outs, nrec);
	assert_int_equal(h.nv, 0);
	assert_int_equal(fcgi_conn_offset(h.c, FCGI_DIR_TO_WEB), total);
	print_message("peak conn memory for %zu bytes of STDOUT: %zu bytes\n",
		      total, fm.peak_bytes);
	assert_true(fm.peak_bytes < 200 * 1024);
	h_free(&h);
	assert_int_equal(fm.live, 0);
	s_free(&s);
	free(rec);
}

/* One full exchange in every mode with allocator mem; 0 or FCGI_ENOMEM. */
static int sweep_run(void *arg, const struct fcgi_mem *mem)
{
	const struct gold *g = arg;
	struct fcgi_conn_opts o;
	struct fcgi_params p;
	struct fcgi_conn *c;
	struct clog log;
	struct fcgi_callbacks cb;
	static uint8_t big[70000];
	char name[16];
	int rc = 0, i;
	ssize_t r;

	fcgi_conn_opts_default(&o);
	o.mem = mem;
	clog_init(&log);
	clog_callbacks(&cb);
	fcgi_params_init(&p, NULL);
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "P%d", i);
		if (fcgi_params_add(&p, name, strlen(name), big, 2000) != 0)
			rc = -100;
	}

	/* OBSERVER: the golden POST, both ways, plus a split pair. */
	r = fcgi_conn_new(&c, FCGI_MODE_OBSERVER, &o, &cb, &log);
	if (r != 0) {
		rc = (int)r;
		goto out;
	}
	r = fcgi_conn_recv(c, FCGI_DIR_TO_APP, g->app, g->app_len);
	if (r >= 0)
		r = fcgi_conn_recv(c, FCGI_DIR_TO_WEB, g->web, g->web_len);
	if (r >= 0)
		r = fcgi_conn_eof(c, FCGI_DIR_TO_APP);
	if (r >= 0)
		r = fcgi_conn_eof(c, FCGI_DIR_TO_WEB);
	fcgi_conn_free(c);
	if (r < 0) {
		rc = (int)r;
		goto out;
	}

	/* APP: receive, answer with a big STDOUT, a GET_VALUES answer. */
	r = fcgi_conn_new(&c, FCGI_MODE_APP, &o, &cb, &log);
	if (r != 0) {
		rc = (int)r;
		goto out;
	}
	r = fcgi_conn_recv(c, FCGI_DIR_TO_APP, g->app, g->app_len);
	if (r >= 0)
		r = fcgi_conn_stream(c, 1, FCGI_STDOUT, big, sizeof(big));
	if (r >= 0)
		r = fcgi_conn_stream(c, 1, FCGI_STDERR, "e", 1);
	if (r >= 0)
		r = fcgi_conn_end(c, 1, 0, 0);
	if (r >= 0)
		r = fcgi_conn_values_result(c, &p);
	if (r == FCGI_ELIMIT) /* 40 * 2000 bytes do not fit one record */
		r = 0;
	fcgi_conn_free(c);
	if (r < 0) {
		rc = (int)r;
		goto out;
	}

	/* WEB: send a request with params over one record, receive. */
	r = fcgi_conn_new(&c, FCGI_MODE_WEB, &o, &cb, &log);
	if (r != 0) {
		rc = (int)r;
		goto out;
	}
	r = fcgi_conn_begin(c, 1, FCGI_RESPONDER, FCGI_KEEP_CONN);
	if (r >= 0)
		r = fcgi_conn_params(c, 1, &p);
	if (r >= 0)
		r = fcgi_conn_stream(c, 1, FCGI_STDIN, big, sizeof(big));
	if (r >= 0)
		r = fcgi_conn_get_values(c, &p);
	if (r == FCGI_ELIMIT)
		r = 0;
	if (r >= 0)
		r = fcgi_conn_send_raw(c, "\1\11\0\0\0\0\0", 7);
	if (r >= 0)
		r = fcgi_conn_recv(c, FCGI_DIR_TO_WEB, g->web, g->web_len);
	if (r >= 0)
		r = fcgi_conn_eof(c, FCGI_DIR_TO_WEB);
	fcgi_conn_free(c);
	if (r < 0)
		rc = (int)r;
out:
	fcgi_params_fini(&p);
	clog_fini(&log);
	return rc;
}

static void test_conn_alloc_failure_sweep(void **state)
{
	struct gold g;
	char why[256] = "";
	long hits;

	(void)state;
	gold_load(&g, "post");
	/* Without failures the run succeeds... */
	assert_int_equal(sweep_run(&g, NULL), 0);
	/* ...and each refused allocation is FCGI_ENOMEM, without leaks. */
	hits = failmem_sweep(sweep_run, &g, 20000, why, sizeof(why));
	if (hits < 0)
		print_error("%s\n", why);
	assert_true(hits > 10);
	print_message("allocation failures injected: %ld\n", hits);
	gold_free(&g);
}

/* ---- queries and odd calls ---------------------------------------------- */

static void test_conn_misc(void **state)
{
	struct fcgi_conn_opts o;
	struct fcgi_conn *c;

	(void)state;
	fcgi_conn_opts_default(&o);
	assert_int_equal(o.auto_unknown_type, 1);
	assert_int_equal(o.limits.max_requests, 1024);
	c = (struct fcgi_conn *)&o;
	assert_int_equal(
		fcgi_conn_new(&c, (enum fcgi_conn_mode)7, NULL, NULL, NULL),
		FCGI_EINVAL);
	assert_null(c);
	assert_int_equal(fcgi_conn_new(NULL, FCGI_MODE_APP, NULL, NULL, NULL),
			 FCGI_EINVAL);
	assert_int_equal(fcgi_conn_new(&c, FCGI_MODE_APP, NULL, NULL, NULL), 0);
	assert_int_equal(fcgi_conn_mode(c), FCGI_MODE_APP);
	assert_int_equal(fcgi_conn_active(c), 0);
	assert_false(fcgi_conn_keep(c));
	assert_int_equal(fcgi_conn_recv(c, FCGI_DIR_TO_WEB, begin_resp, 8),
			 FCGI_EINVAL);
	assert_int_equal(fcgi_conn_recv(c, FCGI_DIR_TO_APP, NULL, 1),
			 FCGI_EINVAL);
	assert_int_equal(fcgi_conn_recv(c, FCGI_DIR_TO_APP, NULL, 0), 0);
	/* No callbacks at all is fine. */
	assert_int_equal(fcgi_conn_recv(c, FCGI_DIR_TO_APP,
					(const uint8_t *)"\1\1\0\1\0\10\0\0"
							 "\0\1\1\0\0\0\0\0",
					16),
			 16);
	assert_true(fcgi_conn_keep(c));
	assert_int_equal(fcgi_conn_begin(c, 2, 1, 0), FCGI_ESTATE);
	assert_int_equal(fcgi_conn_offset(c, FCGI_DIR_TO_APP), 16);
	assert_int_equal(fcgi_conn_offset(c, (enum fcgi_dir)3), 0);
	/* Our own side closing is just noted. */
	assert_int_equal(fcgi_conn_eof(c, FCGI_DIR_TO_WEB), 0);
	assert_int_equal(fcgi_conn_eof(c, FCGI_DIR_TO_WEB), FCGI_ESTATE);
	assert_int_equal(fcgi_conn_eof(c, FCGI_DIR_TO_APP), 0);
	assert_int_equal(fcgi_conn_violation_count(c), 0);
	fcgi_conn_free(c);
	fcgi_conn_free(NULL);
}

/* Feed one record of type to dir of h's conn. */
static void g_rec(struct harness *h, enum fcgi_dir dir, uint8_t type,
		  uint16_t id, const void *content, size_t len)
{
	struct fcgi_buf b;

	fcgi_buf_init(&b, NULL, 0);
	assert_int_equal(fcgi_record_encode(&b, type, id, content, len), 0);
	assert_int_equal(fcgi_conn_recv(h->c, dir, b.data, b.len),
			 (ssize_t)b.len);
	fcgi_buf_fini(&b);
}

static void g_end(struct harness *h, uint16_t id)
{
	struct fcgi_end_body b = { 0, 0 };
	uint8_t body[8];

	fcgi_end_body_encode(body, &b);
	g_rec(h, FCGI_DIR_TO_WEB, FCGI_END_REQUEST, id, body, 8);
}

/* fcgi_conn_gap: a stream joined in the middle, lost records and a
 * partial record are taken without findings the loss would cause. */
static void test_conn_gap(void **state)
{
	struct harness h;
	char seq[256];
	uint8_t rb[8] = { 0, 1, 1, 0, 0, 0, 0, 0 };

	(void)state;
	h_init(&h);
	h_conn(&h, FCGI_MODE_OBSERVER, NULL);
	/* Joined in the middle of a request: its answer is adopted. */
	assert_int_equal(fcgi_conn_gap(h.c, FCGI_DIR_TO_APP, 0), 0);
	assert_int_equal(fcgi_conn_gap(h.c, FCGI_DIR_TO_WEB, 100), 0);
	assert_int_equal(fcgi_conn_offset(h.c, FCGI_DIR_TO_WEB), 100);
	g_rec(&h, FCGI_DIR_TO_WEB, FCGI_STDOUT, 1, "hi", 2);
	g_rec(&h, FCGI_DIR_TO_WEB, FCGI_STDOUT, 1, NULL, 0);
	g_end(&h, 1);
	assert_int_equal(h.nv, 0);
	assert_string_equal(ev_seq(&h, seq, sizeof(seq)),
			    "BEGIN STDOUT STDOUT END");
	assert_int_equal(h.ev[0].role, 0);
	assert_int_equal(h.ev[0].offset, 100);
	assert_int_equal(fcgi_conn_active(h.c), 0);
	/* A whole request after it is judged as usual. */
	g_rec(&h, FCGI_DIR_TO_APP, FCGI_BEGIN_REQUEST, 1, rb, 8);
	g_rec(&h, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, "\1\1AB", 4);
	/* A PARAMS record cut by a gap: the part is dropped. */
	assert_int_equal(fcgi_conn_recv(h.c, FCGI_DIR_TO_APP,
					(const uint8_t *)"\1\4\0\1\0\4\4", 7),
			 7);
	assert_int_equal(fcgi_conn_gap(h.c, FCGI_DIR_TO_APP, 20), 0);
	assert_int_equal(fcgi_conn_offset(h.c, FCGI_DIR_TO_APP),
			 16 + 16 + 7 + 20);
	g_rec(&h, FCGI_DIR_TO_APP, FCGI_STDIN, 1, "x", 1);
	g_rec(&h, FCGI_DIR_TO_APP, FCGI_STDIN, 1, NULL, 0);
	/* Its STDOUT end and END_REQUEST are lost, then a new request
	 * under the same id, and one whose BEGIN_REQUEST is lost. */
	g_rec(&h, FCGI_DIR_TO_WEB, FCGI_STDOUT, 1, "a", 1);
	assert_int_equal(fcgi_conn_gap(h.c, FCGI_DIR_TO_WEB, 40), 0);
	g_rec(&h, FCGI_DIR_TO_APP, FCGI_BEGIN_REQUEST, 1, rb, 8);
	g_rec(&h, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, NULL, 0);
	g_rec(&h, FCGI_DIR_TO_APP, FCGI_STDIN, 1, NULL, 0);
	g_rec(&h, FCGI_DIR_TO_WEB, FCGI_STDOUT, 1, NULL, 0);
	g_end(&h, 1);
	g_rec(&h, FCGI_DIR_TO_APP, FCGI_STDIN, 2, NULL, 0);
	assert_int_equal(h.nv, 0);
	assert_string_equal(ev_seq(&h, seq, sizeof(seq)),
			    "BEGIN STDOUT STDOUT END BEGIN STDIN STDIN STDOUT "
			    "BEGIN PARAMS STDIN STDOUT END BEGIN STDIN");
	assert_int_equal(h.ev[4].role, 1);
	assert_int_equal(h.ev[8].role, 1);
	assert_int_equal(h.ev[9].type, FCGI_EV_PARAMS);
	assert_int_equal(fcgi_params_count(&h.params), 0);
	assert_int_equal(h.ev[13].role, 0);
	assert_int_equal(h.ev[13].id, 2);
	assert_int_equal(fcgi_conn_active(h.c), 1);
	/* Open requests at the end are not blamed: a gap may have taken
	 * their ends. */
	assert_int_equal(fcgi_conn_eof(h.c, FCGI_DIR_TO_WEB), 0);
	assert_int_equal(h.nv, 0);
	assert_int_equal(fcgi_conn_gap(h.c, FCGI_DIR_TO_WEB, 1), FCGI_ESTATE);
	assert_int_equal(fcgi_conn_gap(h.c, (enum fcgi_dir)2, 1), FCGI_EINVAL);
	h_free(&h);

	/* A bad version stops a direction; a gap starts it again. */
	h_init(&h);
	h_conn(&h, FCGI_MODE_OBSERVER, NULL);
	assert_int_equal(fcgi_conn_recv(h.c, FCGI_DIR_TO_WEB,
					(const uint8_t *)"\7\6", 2),
			 FCGI_EPROTO);
	assert_int_equal(h.nv, 1);
	assert_int_equal(h.v[0].code, FCGI_V_BAD_VERSION);
	assert_int_equal(fcgi_conn_gap(h.c, FCGI_DIR_TO_WEB, 1), 0);
	g_end(&h, 3);
	assert_int_equal(h.nv, 1);
	assert_string_equal(ev_seq(&h, seq, sizeof(seq)), "BEGIN END");
	assert_int_equal(h.ev[1].offset, 2);
	h_free(&h);

	/* Only observers have gaps. */
	h_init(&h);
	h_conn(&h, FCGI_MODE_APP, NULL);
	assert_int_equal(fcgi_conn_gap(h.c, FCGI_DIR_TO_APP, 0), FCGI_EINVAL);
	h_free(&h);
}

/* Many ids come and go; the table and the ended list stay bounded and
 * consistent. */
static void test_conn_many_ids(void **state)
{
	struct harness h;
	struct script s;
	unsigned id;

	(void)state;
	s_init(&s, FCGI_MODE_OBSERVER);
	for (id = 1; id <= 600; id++)
		s_begin(&s, (uint16_t)id, FCGI_RESPONDER, 0);
	for (id = 1; id <= 600; id += 2)
		s_end(&s, (uint16_t)id, 0, FCGI_OVERLOADED);
	for (id = 2; id <= 600; id += 2)
		s_end(&s, (uint16_t)id, 0, FCGI_OVERLOADED);
	/* Late records: id 600 was ended recently (race: quiet), id 1 was
	 * forgotten long ago (no-begin). */
	s_rec(&s, FCGI_DIR_TO_APP, FCGI_PARAMS, 600, NULL, 0);
	s_expect(&s, FCGI_V_NO_BEGIN, FCGI_DIR_TO_APP, 1);
	s_rec(&s, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, NULL, 0);
	s_expect(&s, FCGI_V_AFTER_END_REQUEST, FCGI_DIR_TO_WEB, 598);
	s_stream(&s, FCGI_STDOUT, 598, "x");
	for (id = 65535; id > 65000; id--)
		s_begin(&s, (uint16_t)id, FCGI_RESPONDER, 0);
	h_init(&h);
	h_run(&h, &s, SPLIT_WHOLE, 0);
	check_vios(&h, &s, "many_ids");
	assert_int_equal(fcgi_conn_active(h.c), 535);
	for (id = 65535; id > 65000; id--)
		assert_true(fcgi_conn_is_active(h.c, (uint16_t)id));
	assert_false(fcgi_conn_is_active(h.c, 1));
	h_free(&h);
	s_free(&s);
}

/*
 * The request table against a model: random BEGIN and END records over
 * ids that collide in the hash and overflow the remembered ended ids.
 * Which ids are active, and which violation each odd record draws
 * (duplicate-begin, after-end-request for an id ended recently,
 * no-begin for one never seen or forgotten), must match the model: an
 * active set, and the ended ids in END order, of which the conn keeps
 * the last 128.
 */
static void test_conn_table_model(void **state)
{
	enum { NIDS = 65536, KEEP = 128 };
	static uint8_t active[NIDS];
	static uint16_t ended[NIDS];
	struct fcgi_conn_opts o;
	struct harness h;
	struct script s;
	unsigned long long seed = 12345;
	size_t nended = 0, i, j, nactive = 0, round;
	uint16_t id;
	enum fcgi_vcode want;

	(void)state;
	memset(active, 0, sizeof(active));
	fcgi_conn_opts_default(&o);
	o.limits.max_requests = 0; /* no limit */
	h_init(&h);
	h_conn(&h, FCGI_MODE_OBSERVER, &o);
	for (round = 0; round < 20000; round++) {
		/* Ids congruent modulo 1024 share their home slot in any
		 * table of up to 1024 slots; the others fill the gaps. */
		id = (uint16_t)(clog_rand(&seed) % 2 == 0
					? 1 + 1024 * (clog_rand(&seed) % 64)
					: 1 + clog_rand(&seed) % 300);
		s_init(&s, FCGI_MODE_OBSERVER);
		want = FCGI_V_NONE;
		if (clog_rand(&seed) % 2 == 0) {
			if (active[id])
				want = FCGI_V_DUPLICATE_BEGIN;
			s_begin(&s, id, FCGI_RESPONDER, 0);
			if (!active[id]) {
				for (i = 0; i < nended && ended[i] != id; i++)
					;
				if (i < nended) {
					memmove(ended + i, ended + i + 1,
						(nended - i - 1) *
							sizeof(*ended));
					nended--;
				}
				active[id] = 1;
				nactive++;
			}
		} else {
			if (!active[id]) {
				want = FCGI_V_NO_BEGIN;
				for (i = 0; i < nended; i++)
					if (ended[i] == id)
						want = FCGI_V_AFTER_END_REQUEST;
			}
			s_end(&s, id, 0, FCGI_OVERLOADED);
			if (active[id]) {
				active[id] = 0;
				nactive--;
				ended[nended++] = id;
				if (nended > KEEP) {
					memmove(ended, ended + 1,
						(nended - 1) * sizeof(*ended));
					nended--;
				}
			}
		}
		h.nv = 0;
		assert_int_equal(fcgi_conn_recv(h.c, s.steps[0].dir,
						s.steps[0].bytes.data,
						s.steps[0].bytes.len),
				 (ssize_t)s.steps[0].bytes.len);
		if (want == FCGI_V_NONE) {
			assert_int_equal(h.nv, 0);
		} else {
			assert_int_equal(h.nv, 1);
			assert_int_equal(h.v[0].code, want);
			assert_int_equal(h.v[0].request_id, id);
		}
		assert_int_equal(fcgi_conn_active(h.c), nactive);
		s_free(&s);
		if (round % 1000 == 999)
			for (j = 1; j < NIDS; j++)
				assert_int_equal(
					fcgi_conn_is_active(h.c, (uint16_t)j),
					active[j]);
		/* The log is not needed; keep it small. */
		fcgi_buf_reset(&h.log.buf);
	}
	h_free(&h);
}

int main(void)
{
	struct CMUnitTest *tests;
	size_t n = FCGI_ARRAY_LEN(vcases), i, k = 0;
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_conn_every_code_covered),
		cmocka_unit_test(test_conn_violation_details),
		cmocka_unit_test(test_conn_race_quiet),
		cmocka_unit_test(test_conn_app_connection_errors),
		cmocka_unit_test(test_conn_app_responder),
		cmocka_unit_test(test_conn_web_responder),
		cmocka_unit_test(test_conn_observer_responder),
		cmocka_unit_test(test_conn_multiplexed),
		cmocka_unit_test(test_conn_keep_conn),
		cmocka_unit_test(test_conn_management),
		cmocka_unit_test(test_conn_params_framing),
		cmocka_unit_test(test_conn_stream_framing),
		cmocka_unit_test(test_conn_queue),
		cmocka_unit_test(test_conn_send_raw),
		cmocka_unit_test(test_conn_cancel),
		cmocka_unit_test(test_conn_callbacks_reenter),
		cmocka_unit_test(test_conn_golden_get),
		cmocka_unit_test(test_conn_golden_post),
		cmocka_unit_test(test_conn_memory_bound),
		cmocka_unit_test(test_conn_alloc_failure_sweep),
		cmocka_unit_test(test_conn_misc),
		cmocka_unit_test(test_conn_gap),
		cmocka_unit_test(test_conn_many_ids),
		cmocka_unit_test(test_conn_table_model),
	};
	char(*names)[64];
	int rc;

	tests = calloc(n + FCGI_ARRAY_LEN(fixed), sizeof(*tests));
	names = calloc(n, sizeof(*names));
	if (tests == NULL || names == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "test_conn_case_%s",
			 vcases[i].name);
		tests[k].name = names[i];
		tests[k].test_func = test_conn_violation_case;
		tests[k].initial_state = (void *)(uintptr_t)&vcases[i];
		k++;
	}
	for (i = 0; i < FCGI_ARRAY_LEN(fixed); i++)
		tests[k++] = fixed[i];
	rc = _cmocka_run_group_tests("conn", tests, k, NULL, NULL);
	free(tests);
	free(names);
	return rc;
}
