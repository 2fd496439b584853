/* SPDX-License-Identifier: MIT */
/*
 * conform-script.c - building the bytes and steps of a conform case.
 * Records are encoded with the library's codec; crafted fields (a bad
 * version, odd padding, lengths that lie) are written byte by byte here.
 */
#include <stdio.h>
#include <string.h>

#include "conform.h"

void cf_ctx_init(struct cf_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	fcgi_params_init(&ctx->base, NULL);
	ctx->normal_status = 200;
	ctx->mpxs = -1;
	ctx->max_reqs = -1;
	ctx->max_conns = -1;
	ctx->timeout_ms = 2000;
	ctx->quiet_ms = 300;
	ctx->idle_ms = 1000;
}

void cf_ctx_fini(struct cf_ctx *ctx)
{
	fcgi_params_fini(&ctx->base);
}

void cf_script_init(struct cf_script *s, const struct cf_ctx *ctx)
{
	memset(s, 0, sizeof(*s));
	fcgi_buf_init(&s->bytes, NULL, 0);
	fcgi_buf_init(&s->expect, NULL, 0);
	s->main_id = 1;
	s->ctx = ctx;
}

void cf_script_fini(struct cf_script *s)
{
	fcgi_buf_fini(&s->bytes);
	fcgi_buf_fini(&s->expect);
}

static void fail(struct cf_script *s, int rc)
{
	if (rc != 0 && s->err == 0)
		s->err = rc;
}

void sb_raw(struct cf_script *s, const void *p, size_t n)
{
	if (n > 0)
		fail(s, fcgi_buf_append(&s->bytes, p, n));
}

void sb_hdr(struct cf_script *s, uint8_t version, uint8_t type, uint16_t id,
	    uint16_t clen, uint8_t plen, uint8_t reserved)
{
	struct fcgi_header h;
	uint8_t b[FCGI_HEADER_LEN];

	h.version = version;
	h.type = type;
	h.request_id = id;
	h.content_length = clen;
	h.padding_length = plen;
	h.reserved = reserved;
	fcgi_header_encode(b, &h);
	sb_raw(s, b, sizeof(b));
}

void sb_rec_pad(struct cf_script *s, uint8_t type, uint16_t id, const void *p,
		size_t n, uint8_t pad)
{
	if (n > FCGI_MAX_CONTENT) {
		fail(s, FCGI_EINVAL);
		return;
	}
	fail(s, fcgi_record_encode_padded(&s->bytes, type, id, p, n, pad));
}

void sb_rec(struct cf_script *s, uint8_t type, uint16_t id, const void *p,
	    size_t n)
{
	sb_rec_pad(s, type, id, p, n, fcgi_padding_for(n, 8));
}

void sb_begin(struct cf_script *s, uint16_t id, uint16_t role, uint8_t flags)
{
	struct fcgi_begin_body bb;
	uint8_t b[8];

	bb.role = role;
	bb.flags = flags;
	fcgi_begin_body_encode(b, &bb);
	sb_rec(s, FCGI_BEGIN_REQUEST, id, b, sizeof(b));
}

void sb_params(struct cf_script *s, uint16_t id, const struct fcgi_params *p)
{
	struct fcgi_buf enc, one;
	struct fcgi_nv nv;
	size_t i;

	fcgi_buf_init(&enc, NULL, 0);
	fcgi_buf_init(&one, NULL, 0);
	for (i = 0; i < fcgi_params_count(p); i++) {
		fcgi_params_at(p, i, &nv);
		fcgi_buf_reset(&one);
		fail(s, fcgi_nv_encode(&one, nv.name, nv.name_len, nv.value,
				       nv.value_len));
		/* Flush what is gathered when this pair would not fit. */
		if (enc.len > 0 && enc.len + one.len > FCGI_CHUNK_MAX) {
			sb_stream_chunks(s, FCGI_PARAMS, id, enc.data, enc.len);
			fcgi_buf_reset(&enc);
		}
		fail(s, fcgi_buf_append(&enc, one.data, one.len));
	}
	sb_stream(s, FCGI_PARAMS, id, enc.data, enc.len, 0);
	fcgi_buf_fini(&enc);
	fcgi_buf_fini(&one);
}

void sb_params_cut(struct cf_script *s, uint16_t id,
		   const struct fcgi_params *p, const size_t *cuts,
		   size_t ncuts)
{
	struct fcgi_buf enc;
	size_t i, from = 0, to;

	fcgi_buf_init(&enc, NULL, 0);
	fail(s, fcgi_params_encode(p, &enc));
	for (i = 0; i <= ncuts; i++) {
		to = i < ncuts ? cuts[i] : enc.len;
		if (to > enc.len || to < from) {
			fail(s, FCGI_EINVAL);
			break;
		}
		sb_stream_chunks(s, FCGI_PARAMS, id, enc.data + from,
				 to - from);
		from = to;
	}
	sb_rec(s, FCGI_PARAMS, id, NULL, 0);
	fcgi_buf_fini(&enc);
}

void sb_stream_chunks(struct cf_script *s, uint8_t type, uint16_t id,
		      const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t k;

	while (n > 0) {
		k = n < FCGI_CHUNK_MAX ? n : FCGI_CHUNK_MAX;
		sb_rec(s, type, id, b, k);
		b += k;
		n -= k;
	}
}

void sb_stream(struct cf_script *s, uint8_t type, uint16_t id, const void *p,
	       size_t n, size_t chunk)
{
	const uint8_t *b = p;
	size_t k;

	if (chunk == 0 || chunk > FCGI_CHUNK_MAX)
		chunk = FCGI_CHUNK_MAX;
	while (n > 0) {
		k = n < chunk ? n : chunk;
		sb_rec(s, type, id, b, k);
		b += k;
		n -= k;
	}
	sb_rec(s, type, id, NULL, 0);
}

static int copy_params(struct fcgi_params *dst, const struct fcgi_params *src)
{
	struct fcgi_nv nv;
	size_t i;
	int rc;

	for (i = 0; i < fcgi_params_count(src); i++) {
		fcgi_params_at(src, i, &nv);
		rc = fcgi_params_add(dst, nv.name, nv.name_len, nv.value,
				     nv.value_len);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Set a param to a C string. */
static int setp(struct fcgi_params *p, const char *name, const char *value)
{
	return fcgi_params_set(p, name, strlen(name), value, strlen(value));
}

int cf_params_for(const struct cf_ctx *ctx, struct fcgi_params *p, size_t n)
{
	char len[32];
	int rc;

	fcgi_params_init(p, NULL);
	rc = copy_params(p, &ctx->base);
	if (rc == 0 && n > 0) {
		snprintf(len, sizeof(len), "%zu", n);
		rc = setp(p, "REQUEST_METHOD", "POST");
		if (rc == 0)
			rc = setp(p, "CONTENT_LENGTH", len);
		if (rc == 0)
			rc = setp(p, "CONTENT_TYPE",
				  "application/octet-stream");
	}
	return rc;
}

void sb_expect_echo(struct cf_script *s, uint16_t id, const void *body,
		    size_t n)
{
	struct cf_echo *e;

	if (s->necho == CF_MAX_ECHO) {
		fail(s, FCGI_ELIMIT);
		return;
	}
	e = &s->echo[s->necho++];
	e->conn = s->conn;
	e->id = id;
	e->off = s->expect.len;
	e->len = n;
	if (n > 0)
		fail(s, fcgi_buf_append(&s->expect, body, n));
}

void sb_request(struct cf_script *s, uint16_t id, uint8_t flags,
		const void *body, size_t n)
{
	struct fcgi_params p;

	fail(s, cf_params_for(s->ctx, &p, n));
	sb_begin(s, id, FCGI_RESPONDER, flags);
	sb_params(s, id, &p);
	sb_stream(s, FCGI_STDIN, id, body, n, 0);
	sb_expect_echo(s, id, body, n);
	fcgi_params_fini(&p);
}

static struct cf_step *new_step(struct cf_script *s, enum cf_op op)
{
	struct cf_step *st;

	if (s->nsteps == CF_MAX_STEPS) {
		fail(s, FCGI_ELIMIT);
		return NULL;
	}
	st = &s->step[s->nsteps++];
	memset(st, 0, sizeof(*st));
	st->op = op;
	st->conn = s->conn;
	return st;
}

void sb_send(struct cf_script *s)
{
	struct cf_step *st;

	if (s->bytes.len == s->mark)
		return;
	st = new_step(s, OP_SEND);
	if (st == NULL)
		return;
	st->off = s->mark;
	st->len = s->bytes.len - s->mark;
	s->mark = s->bytes.len;
}

void sb_step(struct cf_script *s, enum cf_op op, uint16_t id, uint32_t ms)
{
	struct cf_step *st;

	sb_send(s);
	st = new_step(s, op);
	if (st == NULL)
		return;
	st->id = id;
	st->ms = ms;
}

void sb_conn(struct cf_script *s, uint8_t c)
{
	sb_send(s);
	if (c >= CF_MAX_CONNS) {
		fail(s, FCGI_EINVAL);
		return;
	}
	s->conn = c;
	if (c != 0 && !(s->opened & (1u << c))) {
		s->opened |= 1u << c;
		sb_step(s, OP_CONNECT, 0, 0);
	}
}

/* ---- describing a script (the catalogue's "sends") ---------------------- */

struct walker {
	struct fcgi_header h; /* record being walked */
	uint8_t hdr[FCGI_HEADER_LEN];
	size_t have;	 /* header bytes gathered */
	size_t left;	 /* content + padding bytes still to skip */
	bool in_body;	 /* the header is complete */
	char last[256];	 /* the line last added, for "x N" */
	unsigned repeat; /* times it repeated */
};

static int put(struct fcgi_buf *out, const char *s)
{
	return fcgi_buf_append(out, s, strlen(s));
}

/* Emit w->last (with its repeat count) if any. */
static int flush_line(struct walker *w, struct fcgi_buf *out)
{
	char n[32];
	int rc = 0;

	if (w->last[0] == '\0')
		return 0;
	rc |= put(out, "  ");
	rc |= put(out, w->last);
	if (w->repeat > 1) {
		snprintf(n, sizeof(n), " (x%u)", w->repeat);
		rc |= put(out, n);
	}
	rc |= put(out, "\n");
	w->last[0] = '\0';
	w->repeat = 0;
	return rc != 0 ? FCGI_ENOMEM : 0;
}

static int add_line(struct walker *w, struct fcgi_buf *out, const char *line)
{
	int rc;

	if (strcmp(w->last, line) == 0) {
		w->repeat++;
		return 0;
	}
	rc = flush_line(w, out);
	snprintf(w->last, sizeof(w->last), "%s", line);
	w->repeat = 1;
	return rc;
}

/* One line for the record whose header is w->h; body is its content
 * when it is in the step (for BEGIN_REQUEST's role), or NULL. */
static void record_line(const struct walker *w, const uint8_t *body,
			size_t have, char *out, size_t n)
{
	const struct fcgi_header *h = &w->h;
	const char *name = fcgi_type_name(h->type);
	char type[32], extra[96], role[48];
	struct fcgi_begin_body bb;
	size_t o = 0;

	if (name != NULL)
		snprintf(type, sizeof(type), "%s", name);
	else
		snprintf(type, sizeof(type), "type %u", (unsigned)h->type);
	extra[0] = '\0';
	if (h->version != FCGI_VERSION_1)
		o += (size_t)snprintf(extra + o, sizeof(extra) - o,
				      ", version %u", (unsigned)h->version);
	if (h->padding_length != fcgi_padding_for(h->content_length, 8) &&
	    o < sizeof(extra))
		o += (size_t)snprintf(extra + o, sizeof(extra) - o,
				      ", padding %u",
				      (unsigned)h->padding_length);
	if (h->reserved != 0 && o < sizeof(extra))
		snprintf(extra + o, sizeof(extra) - o, ", reserved 0x%02x",
			 (unsigned)h->reserved);
	role[0] = '\0';
	if (h->type == FCGI_BEGIN_REQUEST && h->content_length == 8 &&
	    body != NULL && have >= 8 &&
	    fcgi_begin_body_decode(&bb, body, 8) == 0) {
		name = fcgi_role_name(bb.role);
		if (name != NULL)
			snprintf(role, sizeof(role), " %s", name);
		else
			snprintf(role, sizeof(role), " role %u",
				 (unsigned)bb.role);
		if (bb.flags != 0)
			snprintf(role + strlen(role),
				 sizeof(role) - strlen(role), " flags 0x%02x%s",
				 (unsigned)bb.flags,
				 bb.flags == FCGI_KEEP_CONN ? " (KEEP_CONN)"
							    : "");
		snprintf(out, n, "%s id %u%s%s", type, (unsigned)h->request_id,
			 role, extra);
		return;
	}
	snprintf(out, n, "%s id %u, %u byte%s%s", type, (unsigned)h->request_id,
		 (unsigned)h->content_length, h->content_length == 1 ? "" : "s",
		 extra);
}

/* Walk the bytes of one SEND step. */
static int walk(struct walker *w, const uint8_t *p, size_t n,
		struct fcgi_buf *out)
{
	char line[256];
	size_t k;
	int rc = 0;

	while (n > 0 && rc == 0) {
		if (!w->in_body) {
			k = FCGI_HEADER_LEN - w->have;
			if (k > n)
				k = n;
			memcpy(w->hdr + w->have, p, k);
			w->have += k;
			p += k;
			n -= k;
			if (w->have < FCGI_HEADER_LEN)
				break;
			(void)fcgi_header_decode(&w->h, w->hdr,
						 FCGI_HEADER_LEN);
			w->in_body = true;
			w->left = (size_t)w->h.content_length +
				  w->h.padding_length;
			record_line(w, p, n, line, sizeof(line));
			rc = add_line(w, out, line);
			if (w->left == 0) {
				w->in_body = false;
				w->have = 0;
			}
			continue;
		}
		k = w->left < n ? w->left : n;
		p += k;
		n -= k;
		w->left -= k;
		if (w->left == 0) {
			w->in_body = false;
			w->have = 0;
		}
	}
	return rc;
}

int cf_describe_script(const struct cf_script *s, struct fcgi_buf *out)
{
	struct walker w[CF_MAX_CONNS];
	const struct cf_step *st;
	const char *what;
	char line[256];
	size_t i;
	int rc = 0;
	uint8_t cur = 0;

	memset(w, 0, sizeof(w));
	for (i = 0; i < s->nsteps && rc == 0; i++) {
		st = &s->step[i];
		if (st->conn != cur) {
			rc |= flush_line(&w[cur], out);
			cur = st->conn;
			if (st->op != OP_CONNECT) {
				snprintf(
					line, sizeof(line),
					"on connection %u:", (unsigned)cur + 1);
				rc |= add_line(&w[cur], out, line);
			}
		}
		if (st->op == OP_SEND) {
			rc |= walk(&w[cur], s->bytes.data + st->off, st->len,
				   out);
			if (w[cur].have > 0 && !w[cur].in_body) {
				snprintf(line, sizeof(line),
					 "the first %zu bytes of a header",
					 w[cur].have);
				rc |= add_line(&w[cur], out, line);
			}
			continue;
		}
		switch (st->op) {
		case OP_PAUSE:
			snprintf(line, sizeof(line), "pause %u ms",
				 (unsigned)st->ms);
			break;
		case OP_SLEEP:
			snprintf(line, sizeof(line), "stop reading for %u ms",
				 (unsigned)st->ms);
			break;
		case OP_WAIT_END:
			snprintf(line, sizeof(line), "wait for END_REQUEST %u",
				 (unsigned)st->id);
			break;
		case OP_WAIT_MGMT:
			snprintf(line, sizeof(line),
				 "wait for a management record");
			break;
		case OP_WAIT_CLOSE:
			snprintf(line, sizeof(line), "wait for the close");
			break;
		case OP_QUIET:
			snprintf(line, sizeof(line), "watch for a while");
			break;
		case OP_IDLE:
			snprintf(line, sizeof(line), "stay idle");
			break;
		default:
			what = st->op == OP_SHUT_WR ? "half-close (shutdown)"
			       : st->op == OP_CLOSE ? "close"
			       : st->op == OP_RESET ? "reset (RST)"
						    : "open";
			snprintf(line, sizeof(line), "%s connection %u", what,
				 (unsigned)st->conn + 1);
			break;
		}
		rc |= add_line(&w[cur], out, line);
	}
	rc |= flush_line(&w[cur], out);
	return rc != 0 ? FCGI_ENOMEM : 0;
}
