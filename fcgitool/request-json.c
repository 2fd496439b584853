/* SPDX-License-Identifier: MIT */
/*
 * request-json.c - fcgitool request --json: one line of kind "exchange"
 * for the whole run, written by the renderer with the one JSON writer, in
 * the schema of fcgitool-trace(5) (byte strings: "key" when UTF-8,
 * "keyB64" otherwise).
 */
#include <stdio.h>
#include <string.h>

#include "request.h"
#include "util.h"

static void violations(struct fcgi_json *j, const struct fcgi_violation *v,
		       size_t n)
{
	fcgi_json_arr_open(j, "violations");
	for (size_t i = 0; i < n; i++) {
		fcgi_json_obj_open(j, NULL);
		fcgi_json_violation(j, &v[i]);
		fcgi_json_obj_close(j);
	}
	fcgi_json_arr_close(j);
}

static const char *error_code(int err)
{
	switch (err) {
	case FCGI_ECONNECT:
		return "connect";
	case FCGI_ETIMEDOUT:
		return "timeout";
	case FCGI_EIO:
		return "io";
	case FCGI_ECLOSED:
		return "closed";
	case FCGI_EPROTO:
		return "protocol";
	case FCGI_ECANCELED:
		return "canceled";
	case FCGI_ENOMEM:
		return "no-memory";
	default:
		return "error";
	}
}

/* The answer of a request: its CGI response and streams. */
static void answer(struct fcgi_json *j, const struct fcgi_client_result *r)
{
	const char *ps = fcgi_pstatus_name(r->protocol_status);

	fcgi_json_bool(j, "ended", r->ended);
	fcgi_json_bool(j, "aborted", r->aborted);
	fcgi_json_uint(j, "appStatus", r->app_status);
	if (ps != NULL)
		fcgi_json_str(j, "protocolStatus", ps);
	fcgi_json_uint(j, "protocolStatusCode", r->protocol_status);
	fcgi_json_int(j, "status", r->status);
	fcgi_json_bytes(j, "reason", r->reason, strlen(r->reason));
	fcgi_json_params(j, "headers", r->headers, NULL);
	if (r->cgi_error)
		fcgi_json_str(j, "cgiError", r->cgi_error_msg);
	else
		fcgi_json_null(j, "cgiError");
	fcgi_json_bytes(j, "body", r->body.data, r->body.len);
	fcgi_json_uint(j, "bodyBytes", r->body_bytes);
	fcgi_json_bool(j, "bodyTruncated", r->body_truncated);
	fcgi_json_bytes(j, "stderr", r->err.data, r->err.len);
	fcgi_json_uint(j, "stderrBytes", r->stderr_bytes);
	fcgi_json_uint(j, "stdinBytes", r->stdin_bytes);
	fcgi_json_uint(j, "dataBytes", r->data_bytes);
}

static void one(struct fcgi_json *j, const struct request_opts *o,
		const struct request_ctx *ctx)
{
	const struct fcgi_client_result *r = fcgi_client_req_result(ctx->req);

	fcgi_json_obj_open(j, NULL);
	fcgi_json_uint(j, "index", ctx->index + 1);
	fcgi_json_uint(j, "conn", r->conn);
	fcgi_json_uint(j, "id", r->request_id);
	fcgi_json_bool(j, "reused", r->reused);
	if (r->error != 0) {
		fcgi_json_obj_open(j, "error");
		fcgi_json_str(j, "code", error_code(r->error));
		fcgi_json_str(j, "message", r->error_msg);
		fcgi_json_obj_close(j);
	} else {
		fcgi_json_null(j, "error");
	}
	if (o->get_values) {
		fcgi_json_params(j, "values", r->values, NULL);
		fcgi_json_bool(j, "valuesUnknown", r->values_unknown);
	} else {
		answer(j, r);
	}
	fcgi_json_obj_open(j, "timingMs");
	fcgi_json_double(j, "connect", r->t.connect_ms);
	fcgi_json_double(j, "firstByte", r->t.first_byte_ms);
	fcgi_json_double(j, "total", r->t.total_ms);
	fcgi_json_obj_close(j);
	violations(j, r->violations, r->n_violations);
	fcgi_json_uint(j, "violationsDropped", r->violations_dropped);
	fcgi_json_int(j, "exitStatus", ctx->status);
	fcgi_json_obj_close(j);
}

void request_json(FILE *f, const struct request_opts *o, const char *addr,
		  struct fcgi_client *c, const struct request_ctx *ctx,
		  size_t n, const struct fcgi_params *params, int status)
{
	struct fcgi_render_opts ropts;
	struct fcgi_render *render;
	const struct fcgi_violation *v;
	const char *role;
	struct fcgi_json *j;
	size_t nv;

	fcgi_render_opts_default(&ropts);
	ropts.json = true;
	render = render_open(f, &ropts);
	if (render == NULL)
		die(EXIT_IO, "out of memory");
	j = fcgi_render_obj_begin(render, NULL, -1, "exchange");
	fcgi_json_str(j, "address", addr);
	if (o->get_values) {
		fcgi_json_str(j, "type", "GET_VALUES");
	} else {
		fcgi_json_str(j, "uri", o->uri);
		role = fcgi_role_name(o->role);
		if (role != NULL)
			fcgi_json_str(j, "role", role);
		fcgi_json_uint(j, "roleCode", o->role);
		fcgi_json_params(j, "params", params, NULL);
	}
	fcgi_json_arr_open(j, "requests");
	for (size_t i = 0; i < n; i++)
		if (ctx[i].req != NULL && ctx[i].done)
			one(j, o, &ctx[i]);
	fcgi_json_arr_close(j);
	v = fcgi_client_violations(c, &nv);
	violations(j, v, nv);
	fcgi_json_int(j, "exitStatus", status);
	fcgi_render_obj_end(render);
	fcgi_render_free(render);
}
