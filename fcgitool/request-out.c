/* SPDX-License-Identifier: MIT */
/*
 * request-out.c - what fcgitool request prints: bodies and STDERR as they
 * come (or in order, when requests run at once), the -v trace through the
 * shared renderer, one message per failure, and the exit status.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"
#include "util.h"

struct request_out {
	const struct request_opts *o;
	FILE *out;
	const char *addr;
	struct fcgi_render *render;
	struct fcgi_client_trace trace;
	bool collect;
	struct request_ctx *ctx;
	size_t n, next_print;
	int status;
	bool midline;	 /* the app's STDERR left a line open */
	size_t viol_cut; /* client violations before the last answer */
	struct fcgi_client *c;
	char last_msg[512];
};

/* ---- tracing (-v) ---------------------------------------------------- */

/* The app's STDERR left a line open: end it before our own output. */
static void newline(struct request_out *ro)
{
	if (ro->midline)
		fputc('\n', stderr);
	ro->midline = false;
}

static void label(char *out, size_t n, unsigned conn)
{
	snprintf(out, n, "c%u", conn);
}

static void tr_record(void *arg, unsigned conn, double ts, enum fcgi_dir dir,
		      const struct fcgi_record *rec)
{
	struct request_out *ro = arg;
	char l[16];

	newline(ro);
	label(l, sizeof(l), conn);
	fcgi_render_record(ro->render, l, ts, dir, rec);
}

static void tr_violation(void *arg, unsigned conn, double ts,
			 const struct fcgi_violation *v)
{
	struct request_out *ro = arg;
	char l[16];

	newline(ro);
	label(l, sizeof(l), conn);
	fcgi_render_violation(ro->render, l, ts, v);
}

static void tr_note(void *arg, unsigned conn, double ts, const char *what,
		    const char *detail)
{
	struct request_out *ro = arg;
	char l[16];

	newline(ro);
	label(l, sizeof(l), conn);
	fcgi_render_note(ro->render, l, ts, what, detail);
}

struct request_out *request_out_new(const struct request_opts *o, FILE *out,
				    const char *addr_text)
{
	struct request_out *ro = calloc(1, sizeof(*ro));
	struct fcgi_render_opts ropts;

	if (ro == NULL)
		die(EXIT_IO, "out of memory");
	ro->o = o;
	ro->out = out;
	ro->addr = addr_text;
	/* Bodies of requests running at once are printed in order. */
	ro->collect = o->json || o->mpx > 1;
	/* -v: the whole trace; --severity alone: its violations only. */
	if (o->verbose || o->severity != 0) {
		fcgi_render_opts_default(&ropts);
		ropts.json = o->json;
		ropts.color = !o->json && want_color(stderr);
		ropts.show_severity = o->severity;
		ro->render = render_open(stderr, &ropts);
		if (ro->render == NULL)
			die(EXIT_IO, "out of memory");
		if (o->verbose) {
			ro->trace.on_record = tr_record;
			ro->trace.on_note = tr_note;
		}
		ro->trace.on_violation = tr_violation;
		ro->trace.arg = ro;
	}
	return ro;
}

void request_out_free(struct request_out *ro)
{
	if (ro == NULL)
		return;
	fcgi_render_free(ro->render);
	free(ro);
}

const struct fcgi_client_trace *request_out_trace(struct request_out *ro)
{
	return ro->render != NULL ? &ro->trace : NULL;
}

bool request_out_collects(const struct request_out *ro)
{
	return ro->collect;
}

void request_out_set(struct request_out *ro, struct fcgi_client *c,
		     struct request_ctx *ctx, size_t n)
{
	ro->c = c;
	ro->ctx = ctx;
	ro->n = n;
}

/* ---- streamed output ------------------------------------------------- */

static void put(FILE *f, const void *p, size_t n)
{
	if (n != 0)
		fwrite(p, 1, n, f);
}

static void on_headers(struct fcgi_client_req *r,
		       const struct fcgi_client_result *res, void *arg)
{
	struct request_ctx *ctx = arg;
	struct request_out *ro = ctx->ro;

	(void)r;
	if (ro->o->fail && res->status >= 400)
		ctx->suppressed = true;
	if (!ro->collect && ro->o->include && !ctx->suppressed)
		put(ro->out, res->raw_headers.data, res->raw_headers.len);
}

static void on_body(struct fcgi_client_req *r, const uint8_t *data, size_t len,
		    void *arg)
{
	struct request_ctx *ctx = arg;
	struct request_out *ro = ctx->ro;

	(void)r;
	if (!ro->collect && !ctx->suppressed)
		put(ro->out, data, len);
}

static void on_stderr(struct fcgi_client_req *r, const uint8_t *data,
		      size_t len, void *arg)
{
	struct request_ctx *ctx = arg;
	struct request_out *ro = ctx->ro;

	(void)r;
	if (!ro->collect && !ro->o->silent) {
		fflush(ro->out);
		put(stderr, data, len);
		ro->midline = data[len - 1] != '\n';
	}
}

static const struct fcgi_client_req_cb out_cb = {
	.on_headers = on_headers,
	.on_body = on_body,
	.on_stderr = on_stderr,
	.on_done = NULL,
};

const struct fcgi_client_req_cb *request_out_cb(void)
{
	return &out_cb;
}

/* ---- status and messages ---------------------------------------------- */

static int first_spec(const struct fcgi_client_result *res)
{
	size_t i;

	for (i = 0; i < res->n_violations; i++)
		if (res->violations[i].severity == FCGI_SEV_SPEC)
			return (int)i;
	return -1;
}

/* DESIGN.md, Exit status: our own giving up (timeouts, I/O, connecting)
 * says 3 even when the server also misbehaved; otherwise a spec
 * violation says 4; then an unhappy answer says 1. */
int request_status(const struct request_opts *o,
		   const struct fcgi_client_result *res, bool is_values)
{
	switch (res->error) {
	case 0:
	case FCGI_ECLOSED:
	case FCGI_EPROTO:
		break;
	default:
		return EXIT_IO;
	}
	if (first_spec(res) >= 0 || res->error == FCGI_EPROTO)
		return EXIT_PROTO;
	if (res->error != 0)
		return EXIT_IO;
	if (is_values)
		return res->values_unknown ? EXIT_PEER : EXIT_OK;
	if (res->app_status != 0 ||
	    res->protocol_status != FCGI_REQUEST_COMPLETE || res->cgi_error)
		return EXIT_PEER;
	if (o->fail && res->status >= 400)
		return EXIT_PEER;
	return EXIT_OK;
}

static void say(struct request_out *ro, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* One message, not repeated when the next request fails the same way. */
static void say(struct request_out *ro, const char *fmt, ...)
{
	char m[512];
	va_list ap;

	if (ro->o->silent)
		return;
	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	if (strcmp(m, ro->last_msg) == 0)
		return;
	memcpy(ro->last_msg, m, sizeof(m));
	fflush(ro->out);
	newline(ro);
	warn("%s", m);
}

static void messages(struct request_out *ro, const struct request_ctx *ctx,
		     const struct fcgi_client_result *res, bool is_values)
{
	const struct request_opts *o = ro->o;
	const struct fcgi_violation *v;
	const char *ps;
	char what[300];
	int i;

	if (is_values)
		snprintf(what, sizeof(what), "'%s'", ro->addr);
	else if (ro->n > 1)
		snprintf(what, sizeof(what), "'%s' (request %zu)", o->uri,
			 ctx->index + 1);
	else
		snprintf(what, sizeof(what), "'%s'", o->uri);
	if (res->error == FCGI_ECONNECT) {
		say(ro, "%s", res->error_msg);
		return;
	}
	if (res->error != 0) {
		say(ro, "%s: %s", what, res->error_msg);
		return;
	}
	i = first_spec(res);
	if (i >= 0) {
		v = &res->violations[i];
		say(ro, "%s: %s: %s (offset %llu, record %llu)", what,
		    fcgi_vcode_name(v->code), v->message,
		    (unsigned long long)v->offset,
		    (unsigned long long)v->record);
		return;
	}
	if (is_values) {
		if (res->values_unknown)
			say(ro, "%s: the server does not know GET_VALUES",
			    what);
		return;
	}
	if (res->protocol_status != FCGI_REQUEST_COMPLETE) {
		ps = fcgi_pstatus_name(res->protocol_status);
		if (ps != NULL)
			say(ro, "%s: the server answered %s", what, ps);
		else
			say(ro, "%s: the server answered protocolStatus %u",
			    what, (unsigned)res->protocol_status);
	} else if (res->app_status != 0) {
		say(ro, "%s: appStatus %lu", what,
		    (unsigned long)res->app_status);
	} else if (res->cgi_error) {
		say(ro, "%s: bad CGI response: %s", what, res->cgi_error_msg);
	} else if (o->fail && res->status >= 400) {
		say(ro, "%s: HTTP status %d%s%s", what, res->status,
		    res->reason[0] != '\0' ? " " : "", res->reason);
	}
}

/* -v: how it went, in the trace. */
static void done_note(struct request_out *ro,
		      const struct fcgi_client_result *res, bool is_values)
{
	char detail[400], l[16];
	double ts = fcgi_client_elapsed(ro->c);

	if (!ro->o->verbose)
		return;
	newline(ro);
	label(l, sizeof(l), res->conn);
	if (is_values)
		snprintf(detail, sizeof(detail), "GET_VALUES: %s",
			 res->error != 0 ? res->error_msg : "answered");
	else if (res->error != 0)
		snprintf(detail, sizeof(detail), "request %u: %s",
			 (unsigned)res->request_id, res->error_msg);
	else
		snprintf(detail, sizeof(detail),
			 "request %u: status %d, appStatus %lu, %s; connect "
			 "%.3f ms, first byte %.3f ms, total %.3f ms",
			 (unsigned)res->request_id, res->status,
			 (unsigned long)res->app_status,
			 fcgi_pstatus_name(res->protocol_status) != NULL
				 ? fcgi_pstatus_name(res->protocol_status)
				 : "?",
			 res->t.connect_ms, res->t.first_byte_ms,
			 res->t.total_ms);
	fcgi_render_note(ro->render, l, ts, "done", detail);
}

/* GET_VALUES answers as NAME=VALUE lines, escaped. */
static void print_values(struct request_out *ro,
			 const struct fcgi_client_result *res)
{
	struct fcgi_nv nv;
	size_t i;
	char *n, *v;

	for (i = 0; i < fcgi_params_count(res->values); i++) {
		fcgi_params_at(res->values, i, &nv);
		n = malloc(nv.name_len * 4 + 1);
		v = malloc(nv.value_len * 4 + 1);
		if (n == NULL || v == NULL)
			die(EXIT_IO, "out of memory");
		fcgi_escape(n, nv.name_len * 4 + 1, nv.name, nv.name_len);
		fcgi_escape(v, nv.value_len * 4 + 1, nv.value, nv.value_len);
		fprintf(ro->out, "%s=%s\n", n, v);
		free(n);
		free(v);
	}
}

/* Collected output of one request (requests that ran at once). */
static void print_collected(struct request_out *ro, struct request_ctx *ctx)
{
	const struct fcgi_client_result *res = fcgi_client_req_result(ctx->req);

	if (!ctx->suppressed) {
		if (ro->o->include)
			put(ro->out, res->raw_headers.data,
			    res->raw_headers.len);
		put(ro->out, res->body.data, res->body.len);
	}
	if (!ro->o->silent && res->err.len != 0) {
		fflush(ro->out);
		put(stderr, res->err.data, res->err.len);
		ro->midline = res->err.data[res->err.len - 1] != '\n';
	}
	if (res->body_truncated)
		say(ro, "'%s' (request %zu): body cut at %zu bytes", ro->o->uri,
		    ctx->index + 1, res->body.len);
}

static void release(struct request_out *ro, struct request_ctx *ctx)
{
	if (ro->o->json)
		return;
	fcgi_client_req_free(ctx->req);
	ctx->req = NULL;
}

void request_out_done(struct request_out *ro, struct request_ctx *ctx)
{
	const struct fcgi_client_result *res = fcgi_client_req_result(ctx->req);
	bool is_values = ro->o->get_values;

	ctx->done = true;
	if (res->client_violations > ro->viol_cut)
		ro->viol_cut = res->client_violations;
	ctx->status = request_status(ro->o, res, is_values);
	if (ctx->status > ro->status)
		ro->status = ctx->status;
	done_note(ro, res, is_values);
	if (is_values && !ro->o->json && res->error == 0)
		print_values(ro, res);
	messages(ro, ctx, res, is_values);
	if (!ro->collect) {
		ctx->printed = true;
		fflush(ro->out);
		release(ro, ctx);
		return;
	}
	if (ro->o->json)
		return;
	/* In order: everything done from the next one to print on. */
	while (ro->next_print < ro->n && ro->ctx[ro->next_print].done) {
		ctx = &ro->ctx[ro->next_print++];
		print_collected(ro, ctx);
		ctx->printed = true;
		release(ro, ctx);
	}
	fflush(ro->out);
}

int request_out_finish(struct request_out *ro, struct fcgi_client *c,
		       const struct fcgi_params *params)
{
	const struct fcgi_violation *v;
	size_t n, i;

	/* A spec violation outside every request (a kept connection the
	 * server closed between two requests) still says the server broke
	 * it.  What comes after the last answer (a kept connection closed
	 * as we finish) races with our own closing: it is traced but does
	 * not change the status. */
	v = fcgi_client_violations(c, &n);
	if (ro->viol_cut < n)
		n = ro->viol_cut;
	for (i = 0; i < n && ro->status < EXIT_PROTO; i++) {
		if (v[i].severity != FCGI_SEV_SPEC)
			continue;
		if (ro->status <= EXIT_PEER) {
			say(ro, "'%s': %s: %s (offset %llu, record %llu)",
			    ro->addr, fcgi_vcode_name(v[i].code), v[i].message,
			    (unsigned long long)v[i].offset,
			    (unsigned long long)v[i].record);
			ro->status = EXIT_PROTO;
		}
		break;
	}
	if (ro->o->json)
		request_json(ro->out, ro->o, ro->addr, c, ro->ctx, ro->n,
			     params, ro->status);
	fflush(ro->out);
	if (ferror(ro->out)) {
		warn("cannot write the output: %s",
		     ro->o->output != NULL ? ro->o->output : "standard output");
		if (ro->status == EXIT_OK)
			ro->status = EXIT_IO;
	}
	return ro->status;
}
