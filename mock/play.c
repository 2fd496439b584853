/* SPDX-License-Identifier: MIT */
/*
 * play.c - a response turned into the steps the mock runner plays: the
 * CGI header block, the body and STDERR as framed streams, END_REQUEST
 * and every fault of fcgitool-mock(5) at the place the script puts it.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "play.h"

/* What the steps so far have set up, and what is on the wire. */
struct builder {
	struct mock_play *out;
	struct mock_response *r;
	const struct mock_req *req;
	struct mock_rng *rng;
	uint16_t id;
	uint8_t version;
	uint32_t record_size;
	int padding; /* -1: align to 8 */
	bool no_headers;
	uint64_t big_headers;
	bool lie;
	int64_t lie_delta;
	bool stdout_ended; /* the last STDOUT record was the empty one */
	bool stderr_used, stderr_ended;
	bool stopped; /* a close, reset or hang: nothing can follow */
	int err;
};

/* ---- templates ---- */

int mock_tmpl_expand(const struct mock_tmpl *t, const struct mock_req *req,
		     struct fcgi_buf *out)
{
	struct fcgi_nv nv;
	int rc = 0;

	for (size_t i = 0; i < t->n && rc == 0; i++) {
		const struct mock_piece *p = &t->p[i];

		switch (p->kind) {
		case MOCK_PIECE_TEXT:
			rc = fcgi_buf_append(out, p->text.data, p->text.len);
			break;
		case MOCK_PIECE_PARAM:
			if (req->params != NULL &&
			    fcgi_params_get(req->params, p->text.data,
					    p->text.len, &nv))
				rc = fcgi_buf_append(out, nv.value,
						     nv.value_len);
			break;
		case MOCK_PIECE_BODY:
			rc = fcgi_buf_append(out, req->body, req->body_len);
			break;
		}
	}
	return rc;
}

bool mock_response_uses_body(const struct mock_response *r)
{
	if (r->body.kind == MOCK_BODY_TEXT && r->body.text.uses_body)
		return true;
	if (r->err.uses_body)
		return true;
	for (size_t i = 0; i < r->nheaders; i++)
		if (r->headers[i].value.uses_body)
			return true;
	for (size_t i = 0; i < r->nsteps; i++)
		if (r->steps[i].text.uses_body)
			return true;
	return false;
}

/* ---- steps ---- */

static struct fcgi_mock_step *add(struct builder *b, enum fcgi_mock_op op)
{
	struct mock_play *p = b->out;
	struct fcgi_mock_step *s;
	size_t cap;

	if (b->err != 0)
		return NULL;
	if (p->n == p->cap) {
		cap = p->cap ? p->cap * 2 : 16;
		s = reallocarray(p->steps, cap, sizeof(*s));
		if (s == NULL) {
			b->err = FCGI_ENOMEM;
			return NULL;
		}
		p->steps = s;
		p->cap = cap;
	}
	s = &p->steps[p->n++];
	memset(s, 0, sizeof(*s));
	s->op = op;
	return s;
}

/* A step that owns buf's bytes (buf is emptied). */
static struct fcgi_mock_step *add_bytes(struct builder *b, enum fcgi_mock_op op,
					struct fcgi_buf *buf)
{
	struct fcgi_mock_step *s = add(b, op);

	if (s == NULL)
		return NULL;
	s->data = buf->data;
	s->len = buf->len;
	buf->data = NULL;
	buf->len = buf->cap = 0;
	return s;
}

/* Stream bytes in buf (taken), then gen generated ones, as records of
 * type framed as the steps so far say. */
static void stream(struct builder *b, uint8_t type, struct fcgi_buf *buf,
		   uint64_t gen)
{
	struct fcgi_mock_step *s = add_bytes(b, FCGI_MOCK_STREAM, buf);

	if (s == NULL)
		return;
	s->gen = gen;
	s->type = type;
	s->version = b->version;
	s->request_id = b->id;
	s->record_size = b->record_size;
	s->padding = b->padding;
	if (type == FCGI_STDOUT)
		b->stdout_ended = s->len == 0 && gen == 0;
	else {
		b->stderr_used = true;
		b->stderr_ended = s->len == 0 && gen == 0;
	}
}

/* One record, crafted: the current version, padding as set (or given),
 * as a WRITE step. */
static void record(struct builder *b, uint8_t type, uint16_t id,
		   const void *content, size_t len, int padding)
{
	struct fcgi_buf buf;
	uint8_t pad;
	int rc;

	if (padding < 0)
		pad = fcgi_padding_for(len, 8);
	else
		pad = (uint8_t)padding;
	fcgi_buf_init(&buf, NULL, 0);
	rc = fcgi_record_encode_padded(&buf, type, id, content, len, pad);
	if (rc != 0) {
		b->err = rc;
		fcgi_buf_fini(&buf);
		return;
	}
	buf.data[0] = b->version;
	(void)add_bytes(b, FCGI_MOCK_WRITE, &buf);
	fcgi_buf_fini(&buf);
}

static void end_request(struct builder *b, uint32_t app, uint8_t ps)
{
	struct fcgi_end_body e;
	uint8_t body[8];

	e.app_status = app;
	e.protocol_status = ps;
	fcgi_end_body_encode(body, &e);
	record(b, FCGI_END_REQUEST, b->id, body, sizeof(body), b->padding);
}

static uint64_t body_length(struct builder *b, struct fcgi_buf *text)
{
	const struct mock_body *bd = &b->r->body;

	switch (bd->kind) {
	case MOCK_BODY_TEXT:
		return text->len;
	case MOCK_BODY_BYTES:
		return bd->bytes.len;
	case MOCK_BODY_GEN:
		return bd->gen;
	default:
		return 0;
	}
}

static void expand(struct builder *b, const struct mock_tmpl *t,
		   struct fcgi_buf *out)
{
	int rc = mock_tmpl_expand(t, b->req, out);

	if (rc != 0 && b->err == 0)
		b->err = rc;
}

static void appendf(struct builder *b, struct fcgi_buf *out, const char *fmt,
		    ...) __attribute__((format(printf, 3, 4)));

static void appendf(struct builder *b, struct fcgi_buf *out, const char *fmt,
		    ...)
{
	char line[160];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0 &&
	    fcgi_buf_append(out, line,
			    (size_t)n < sizeof(line) ? (size_t)n
						     : sizeof(line) - 1) != 0 &&
	    b->err == 0)
		b->err = FCGI_ENOMEM;
}

/* The CGI header block (RFC 3875, 6.2). */
static void headers(struct builder *b)
{
	const struct mock_response *r = b->r;
	struct fcgi_buf hb, body;
	bool has_ct = false;
	uint64_t blen;

	if (b->no_headers)
		return;
	fcgi_buf_init(&hb, NULL, 0);
	fcgi_buf_init(&body, NULL, 0);
	if (r->body.kind == MOCK_BODY_TEXT)
		expand(b, &r->body.text, &body);
	blen = body_length(b, &body);
	appendf(b, &hb, "Status: %u %s\r\n", r->status,
		fcgi_http_reason(r->status));
	for (size_t i = 0; i < r->nheaders; i++) {
		const struct mock_header *h = &r->headers[i];

		if (strcasecmp((const char *)h->name.data, "Content-Type") == 0)
			has_ct = true;
		if (fcgi_buf_append(&hb, h->name.data, h->name.len) != 0 ||
		    fcgi_buf_append(&hb, ": ", 2) != 0)
			b->err = FCGI_ENOMEM;
		expand(b, &h->value, &hb);
		appendf(b, &hb, "\r\n");
	}
	if (!has_ct && blen > 0)
		appendf(b, &hb, "Content-Type: text/plain\r\n");
	if (b->lie)
		appendf(b, &hb, "Content-Length: %lld\r\n",
			(long long)blen + (long long)b->lie_delta);
	if (b->big_headers > 0) {
		appendf(b, &hb, "X-Fill: ");
		for (uint64_t i = 0; i < b->big_headers && b->err == 0; i++)
			if (fcgi_buf_append_u8(&hb, 'x') != 0)
				b->err = FCGI_ENOMEM;
		appendf(b, &hb, "\r\n");
	}
	appendf(b, &hb, "\r\n");
	fcgi_buf_fini(&body);
	stream(b, FCGI_STDOUT, &hb, 0);
	fcgi_buf_fini(&hb);
}

static void body(struct builder *b)
{
	const struct mock_body *bd = &b->r->body;
	struct fcgi_buf buf;

	fcgi_buf_init(&buf, NULL, 0);
	switch (bd->kind) {
	case MOCK_BODY_TEXT:
		expand(b, &bd->text, &buf);
		break;
	case MOCK_BODY_BYTES:
		if (fcgi_buf_append(&buf, bd->bytes.data, bd->bytes.len) != 0)
			b->err = FCGI_ENOMEM;
		break;
	default:
		break;
	}
	if (buf.len > 0 || (bd->kind == MOCK_BODY_GEN && bd->gen > 0))
		stream(b, FCGI_STDOUT, &buf,
		       bd->kind == MOCK_BODY_GEN ? bd->gen : 0);
	fcgi_buf_fini(&buf);
}

static void text_stream(struct builder *b, uint8_t type,
			const struct mock_tmpl *t)
{
	struct fcgi_buf buf;

	fcgi_buf_init(&buf, NULL, 0);
	expand(b, t, &buf);
	if (buf.len > 0)
		stream(b, type, &buf, 0);
	fcgi_buf_fini(&buf);
}

/* FastCGI 1.0, 5.3: the streams end with an empty record each (STDERR
 * only if it was used), then END_REQUEST. */
static void end(struct builder *b, uint32_t app, uint8_t ps)
{
	struct fcgi_buf none;
	struct fcgi_mock_step *s;

	fcgi_buf_init(&none, NULL, 0);
	if (!b->stdout_ended)
		stream(b, FCGI_STDOUT, &none, 0);
	if (b->stderr_used && !b->stderr_ended)
		stream(b, FCGI_STDERR, &none, 0);
	end_request(b, app, ps);
	s = add(b, FCGI_MOCK_ANSWERED);
	(void)s;
}

static uint64_t draw_delay(struct builder *b, const struct mock_step *s)
{
	double ms;

	switch (s->dist) {
	case MOCK_DIST_UNIFORM:
		ms = s->a + (s->b - s->a) * mock_rng_unit(b->rng);
		break;
	case MOCK_DIST_LOGNORMAL:
		ms = s->a * exp(s->b * mock_rng_normal(b->rng));
		break;
	default:
		ms = s->a;
		break;
	}
	if (!(ms >= 0))
		ms = 0;
	if (ms > (double)MOCK_DELAY_MAX_MS)
		ms = (double)MOCK_DELAY_MAX_MS;
	return (uint64_t)llround(ms);
}

static void garbage(struct builder *b, const struct mock_step *s)
{
	struct fcgi_buf buf;
	uint64_t x = 0;

	fcgi_buf_init(&buf, NULL, 0);
	if (s->has_text) {
		expand(b, &s->text, &buf);
	} else if (fcgi_buf_reserve(&buf, (size_t)s->n) != 0) {
		b->err = FCGI_ENOMEM;
	} else {
		for (uint64_t i = 0; i < s->n; i++) {
			if (i % 8 == 0)
				x = mock_rng_u64(b->rng);
			buf.data[buf.len++] = (uint8_t)(x >> (i % 8 * 8));
		}
		/* Never a version byte that could pass for a record. */
		if (buf.len > 0 && buf.data[0] == FCGI_VERSION_1)
			buf.data[0] = 0xff;
	}
	if (buf.len > 0)
		(void)add_bytes(b, FCGI_MOCK_WRITE, &buf);
	fcgi_buf_fini(&buf);
}

/* Half a record: a STDOUT header that announces s->n content bytes, and
 * s->ms of them (from the generated line), then the close. */
static void close_mid_record(struct builder *b, const struct mock_step *s)
{
	struct fcgi_header h;
	struct fcgi_buf buf;
	uint8_t hdr[FCGI_HEADER_LEN];
	static const char line[] = FCGI_MOCK_GEN_LINE;

	h.version = b->version;
	h.type = FCGI_STDOUT;
	h.request_id = b->id;
	h.content_length = (uint16_t)s->n;
	h.padding_length = b->padding < 0 ? fcgi_padding_for(s->n, 8)
					  : (uint8_t)b->padding;
	h.reserved = 0;
	fcgi_header_encode(hdr, &h);
	fcgi_buf_init(&buf, NULL, 0);
	if (fcgi_buf_append(&buf, hdr, sizeof(hdr)) != 0)
		b->err = FCGI_ENOMEM;
	for (uint64_t i = 0; i < s->ms && b->err == 0; i++)
		if (fcgi_buf_append_u8(&buf, (uint8_t)line[i % 64]) != 0)
			b->err = FCGI_ENOMEM;
	(void)add_bytes(b, FCGI_MOCK_WRITE, &buf);
	fcgi_buf_fini(&buf);
	(void)add(b, FCGI_MOCK_CLOSE);
	b->stopped = true;
}

static void fault(struct builder *b, enum mock_step_kind k)
{
	if (b->out->nfaults < MOCK_PLAY_FAULTS)
		b->out->faults[b->out->nfaults++] = mock_step_name(k);
}

static void play_step(struct builder *b, const struct mock_step *s);

static void response_part(struct builder *b)
{
	const struct mock_response *r = b->r;

	if (r->err.n > 0)
		text_stream(b, FCGI_STDERR, &r->err);
	headers(b);
	body(b);
	end(b, r->app_status, r->protocol_status);
}

static void play_step(struct builder *b, const struct mock_step *s)
{
	const struct mock_response *r = b->r;
	struct fcgi_mock_step *o;
	struct fcgi_buf none;

	switch (s->kind) {
	case MOCK_S_RESPONSE:
		response_part(b);
		return;
	case MOCK_S_HEADERS:
		headers(b);
		return;
	case MOCK_S_BODY:
		body(b);
		return;
	case MOCK_S_STDERR:
		text_stream(b, FCGI_STDERR, &r->err);
		return;
	case MOCK_S_END:
		end(b, r->app_status, r->protocol_status);
		return;
	case MOCK_S_STDOUT_TEXT:
		text_stream(b, FCGI_STDOUT, &s->text);
		return;
	case MOCK_S_STDERR_TEXT:
		text_stream(b, FCGI_STDERR, &s->text);
		return;
	default:
		break;
	}
	/* Everything else is a fault or changes what follows. */
	fault(b, s->kind);
	fcgi_buf_init(&none, NULL, 0);
	switch (s->kind) {
	case MOCK_S_END_REQUEST:
		end_request(b, s->has_app ? s->app_status : r->app_status,
			    s->has_ps ? s->protocol_status
				      : r->protocol_status);
		(void)add(b, FCGI_MOCK_ANSWERED);
		break;
	case MOCK_S_EMPTY_STDOUT:
		stream(b, FCGI_STDOUT, &none, 0);
		break;
	case MOCK_S_EMPTY_STDERR:
		stream(b, FCGI_STDERR, &none, 0);
		break;
	case MOCK_S_DELAY:
		o = add(b, FCGI_MOCK_DELAY);
		if (o != NULL)
			o->ms = draw_delay(b, s);
		break;
	case MOCK_S_DRIP:
	case MOCK_S_SPLIT:
	case MOCK_S_BANDWIDTH:
		o = add(b, FCGI_MOCK_PACE);
		if (o == NULL)
			break;
		if (s->kind == MOCK_S_BANDWIDTH)
			o->rate = s->n;
		else
			o->n = s->n;
		if (s->kind == MOCK_S_DRIP)
			o->ms = s->ms;
		break;
	case MOCK_S_RECORD_SIZE:
		b->record_size = (uint32_t)s->n;
		break;
	case MOCK_S_PADDING:
		b->padding = s->auto_pad ? -1 : (int)s->n;
		break;
	case MOCK_S_REQUEST_ID:
		b->id = (uint16_t)s->n;
		break;
	case MOCK_S_VERSION:
		b->version = (uint8_t)s->n;
		break;
	case MOCK_S_CLOSE:
		(void)add(b, FCGI_MOCK_CLOSE);
		b->stopped = true;
		break;
	case MOCK_S_CLOSE_NO_READ:
		/* close(2) with bytes unread makes the kernel send RST; a
		 * graceful close would read and drop them first. */
	case MOCK_S_RESET:
		(void)add(b, FCGI_MOCK_RESET);
		b->stopped = true;
		break;
	case MOCK_S_NEVER_ANSWER:
		(void)add(b, FCGI_MOCK_HANG);
		b->stopped = true;
		break;
	case MOCK_S_CLOSE_MID_RECORD:
		close_mid_record(b, s);
		break;
	case MOCK_S_GARBAGE:
		garbage(b, s);
		break;
	case MOCK_S_RECORD:
		record(b, s->type, s->has_id ? s->id : b->id, s->content.data,
		       s->content.len,
		       s->has_padding ? s->padding : b->padding);
		break;
	case MOCK_S_UNKNOWN_TYPE:
		record(b, s->type, b->id, NULL, 0, b->padding);
		break;
	case MOCK_S_DUPLICATE_END:
		end_request(b, r->app_status, r->protocol_status);
		break;
	case MOCK_S_NO_HEADERS:
		b->no_headers = true;
		break;
	case MOCK_S_BIG_HEADERS:
		b->big_headers = s->n;
		break;
	case MOCK_S_CONTENT_LENGTH:
		b->lie = true;
		b->lie_delta = s->delta;
		break;
	case MOCK_S_ON_ABORT:
		o = add(b, FCGI_MOCK_ON_ABORT);
		if (o == NULL)
			break;
		o->abort = s->on_abort == MOCK_ABORT_IGNORE
				   ? FCGI_MOCK_ABORT_IGNORE
			   : s->on_abort == MOCK_ABORT_LATE
				   ? FCGI_MOCK_ABORT_LATE
				   : FCGI_MOCK_ABORT_STOP;
		o->ms = s->ms;
		break;
	default:
		break;
	}
}

/* Whether the steps say how the answer goes; if not, the whole
 * response follows them. */
static bool steps_answer(const struct mock_response *r)
{
	for (size_t i = 0; i < r->nsteps; i++)
		switch (r->steps[i].kind) {
		case MOCK_S_RESPONSE:
		case MOCK_S_HEADERS:
		case MOCK_S_BODY:
		case MOCK_S_END:
		case MOCK_S_END_REQUEST:
		case MOCK_S_NEVER_ANSWER:
		case MOCK_S_CLOSE_NO_READ:
			return true;
		default:
			break;
		}
	return false;
}

/* Whether step s takes effect for this request: its first-N count and
 * its probability. */
static bool fires(struct builder *b, struct mock_step *s)
{
	s->seen++;
	if (s->first_n != 0 && s->seen > s->first_n)
		return false;
	if (s->probability < 1 && !(mock_rng_unit(b->rng) < s->probability))
		return false;
	return true;
}

int mock_play_build(struct mock_play *out, struct mock_response *r,
		    const struct mock_req *req, uint16_t request_id,
		    struct mock_rng *rng)
{
	struct builder b;
	struct fcgi_mock_step *o;

	memset(out, 0, sizeof(*out));
	memset(&b, 0, sizeof(b));
	b.out = out;
	b.r = r;
	b.req = req;
	b.rng = rng;
	b.id = request_id;
	b.version = FCGI_VERSION_1;
	b.record_size = FCGI_CHUNK_MAX;
	b.padding = -1;
	if (r->delegate != MOCK_DELEGATE_NONE) {
		o = add(&b, FCGI_MOCK_DELEGATE);
		if (o != NULL) {
			o->runner = r->delegate == MOCK_DELEGATE_FN ? 0 : 1;
			o->name = r->target;
		}
	} else if (r->nsteps == 0 && r->protocol_status != 0) {
		/* A refusal, as apps send it: END_REQUEST alone. */
		end_request(&b, r->app_status, r->protocol_status);
		(void)add(&b, FCGI_MOCK_ANSWERED);
	} else {
		for (size_t i = 0; i < r->nsteps && !b.stopped && b.err == 0;
		     i++)
			if (fires(&b, &r->steps[i]))
				play_step(&b, &r->steps[i]);
		if (!steps_answer(r) && !b.stopped)
			response_part(&b);
	}
	if (b.err != 0) {
		mock_play_free(out);
		return b.err;
	}
	out->play.steps = out->steps;
	out->play.n = out->n;
	out->play.early = r->early || r->delegate != MOCK_DELEGATE_NONE;
	return 0;
}

void mock_play_free(struct mock_play *p)
{
	for (size_t i = 0; i < p->n; i++)
		free((void *)(uintptr_t)p->steps[i].data);
	free(p->steps);
	memset(p, 0, sizeof(*p));
}
