/* SPDX-License-Identifier: MIT */
/*
 * request-json.c - fcgitool request --json: one document for the whole
 * exchange.  Byte strings that are valid UTF-8 without NUL are JSON
 * strings; any other goes under the same key with "_base64" appended.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "request.h"
#include "util.h"

static cJSON *must(cJSON *j)
{
	if (j == NULL)
		die(EXIT_IO, "out of memory");
	return j;
}

/* Valid UTF-8 (RFC 3629) with no NUL byte. */
static int is_text(const uint8_t *p, size_t n)
{
	size_t i = 0, k, need;
	uint32_t cp;

	while (i < n) {
		if (p[i] == 0)
			return 0;
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0) {
			need = 1;
			cp = p[i] & 0x1fu;
		} else if ((p[i] & 0xf0) == 0xe0) {
			need = 2;
			cp = p[i] & 0x0fu;
		} else if ((p[i] & 0xf8) == 0xf0) {
			need = 3;
			cp = p[i] & 0x07u;
		} else {
			return 0;
		}
		if (n - i <= need)
			return 0;
		for (k = 1; k <= need; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + k] & 0x3fu);
		}
		if ((need == 1 && cp < 0x80) || (need == 2 && cp < 0x800) ||
		    (need == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += need + 1;
	}
	return 1;
}

static char *base64(const uint8_t *p, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqr"
				  "stuvwxyz0123456789+/";
	char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;
	size_t i;
	uint32_t v;

	if (out == NULL)
		die(EXIT_IO, "out of memory");
	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*o++ = tab[v >> 18];
		*o++ = tab[(v >> 12) & 63];
		*o++ = tab[(v >> 6) & 63];
		*o++ = tab[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)p[i] << 16;
		*o++ = tab[v >> 18];
		*o++ = tab[(v >> 12) & 63];
		*o++ = '=';
		*o++ = '=';
	} else if (n - i == 2) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		*o++ = tab[v >> 18];
		*o++ = tab[(v >> 12) & 63];
		*o++ = tab[(v >> 6) & 63];
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

/* obj.key = the bytes, as text or as key_base64. */
static void add_bytes(cJSON *obj, const char *key, const uint8_t *p, size_t n)
{
	char *s, k[64];

	if (is_text(p, n)) {
		s = malloc(n + 1);
		if (s == NULL)
			die(EXIT_IO, "out of memory");
		if (n != 0)
			memcpy(s, p, n);
		s[n] = '\0';
		must(cJSON_AddStringToObject(obj, key, s));
	} else {
		s = base64(p, n);
		snprintf(k, sizeof(k), "%s_base64", key);
		must(cJSON_AddStringToObject(obj, k, s));
	}
	free(s);
}

static cJSON *pairs(const struct fcgi_params *p)
{
	cJSON *a = must(cJSON_CreateArray()), *e;
	struct fcgi_nv nv;
	size_t i;

	for (i = 0; p != NULL && i < fcgi_params_count(p); i++) {
		fcgi_params_at(p, i, &nv);
		e = must(cJSON_CreateObject());
		add_bytes(e, "name", nv.name, nv.name_len);
		add_bytes(e, "value", nv.value, nv.value_len);
		cJSON_AddItemToArray(a, e);
	}
	return a;
}

static cJSON *violations(const struct fcgi_violation *v, size_t n)
{
	cJSON *a = must(cJSON_CreateArray()), *e;
	size_t i;

	for (i = 0; i < n; i++) {
		e = must(cJSON_CreateObject());
		must(cJSON_AddStringToObject(e, "code",
					     fcgi_vcode_name(v[i].code)));
		must(cJSON_AddStringToObject(
			e, "severity", fcgi_severity_name(v[i].severity)));
		must(cJSON_AddStringToObject(e, "dir",
					     fcgi_dir_name(v[i].dir)));
		must(cJSON_AddNumberToObject(e, "offset", (double)v[i].offset));
		must(cJSON_AddNumberToObject(e, "record", (double)v[i].record));
		must(cJSON_AddNumberToObject(e, "request_id", v[i].request_id));
		must(cJSON_AddStringToObject(e, "message", v[i].message));
		cJSON_AddItemToArray(a, e);
	}
	return a;
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

static cJSON *one(const struct request_opts *o, const struct request_ctx *ctx)
{
	const struct fcgi_client_result *r = fcgi_client_req_result(ctx->req);
	cJSON *e = must(cJSON_CreateObject()), *x;
	const char *ps = fcgi_pstatus_name(r->protocol_status);

	must(cJSON_AddNumberToObject(e, "index", (double)ctx->index + 1));
	must(cJSON_AddNumberToObject(e, "conn", r->conn));
	must(cJSON_AddNumberToObject(e, "request_id", r->request_id));
	must(cJSON_AddBoolToObject(e, "reused", r->reused));
	if (r->error != 0) {
		x = must(cJSON_AddObjectToObject(e, "error"));
		must(cJSON_AddStringToObject(x, "code", error_code(r->error)));
		must(cJSON_AddStringToObject(x, "message", r->error_msg));
	} else {
		must(cJSON_AddNullToObject(e, "error"));
	}
	if (o->get_values) {
		cJSON_AddItemToObject(e, "values", pairs(r->values));
		must(cJSON_AddBoolToObject(e, "values_unknown",
					   r->values_unknown));
	} else {
		must(cJSON_AddBoolToObject(e, "ended", r->ended));
		must(cJSON_AddBoolToObject(e, "aborted", r->aborted));
		must(cJSON_AddNumberToObject(e, "app_status", r->app_status));
		if (ps != NULL)
			must(cJSON_AddStringToObject(e, "protocol_status", ps));
		else
			must(cJSON_AddNumberToObject(e, "protocol_status",
						     r->protocol_status));
		must(cJSON_AddNumberToObject(e, "status", r->status));
		must(cJSON_AddStringToObject(e, "reason", r->reason));
		cJSON_AddItemToObject(e, "headers", pairs(r->headers));
		if (r->cgi_error)
			must(cJSON_AddStringToObject(e, "cgi_error",
						     r->cgi_error_msg));
		else
			must(cJSON_AddNullToObject(e, "cgi_error"));
		add_bytes(e, "body", r->body.data, r->body.len);
		must(cJSON_AddNumberToObject(e, "body_bytes",
					     (double)r->body_bytes));
		must(cJSON_AddBoolToObject(e, "body_truncated",
					   r->body_truncated));
		add_bytes(e, "stderr", r->err.data, r->err.len);
		must(cJSON_AddNumberToObject(e, "stderr_bytes",
					     (double)r->stderr_bytes));
		must(cJSON_AddNumberToObject(e, "stdin_bytes",
					     (double)r->stdin_bytes));
		must(cJSON_AddNumberToObject(e, "data_bytes",
					     (double)r->data_bytes));
	}
	x = must(cJSON_AddObjectToObject(e, "timing_ms"));
	must(cJSON_AddNumberToObject(x, "connect", r->t.connect_ms));
	must(cJSON_AddNumberToObject(x, "first_byte", r->t.first_byte_ms));
	must(cJSON_AddNumberToObject(x, "total", r->t.total_ms));
	cJSON_AddItemToObject(e, "violations",
			      violations(r->violations, r->n_violations));
	must(cJSON_AddNumberToObject(e, "violations_dropped",
				     (double)r->violations_dropped));
	must(cJSON_AddNumberToObject(e, "exit_status", ctx->status));
	return e;
}

void request_json(FILE *f, const struct request_opts *o, const char *addr,
		  struct fcgi_client *c, const struct request_ctx *ctx,
		  size_t n, const struct fcgi_params *params, int status)
{
	cJSON *doc = must(cJSON_CreateObject()), *a;
	const struct fcgi_violation *v;
	size_t i, nv;
	char *text;

	must(cJSON_AddStringToObject(doc, "address", addr));
	if (o->get_values) {
		must(cJSON_AddStringToObject(doc, "type", "GET_VALUES"));
	} else {
		must(cJSON_AddStringToObject(doc, "uri", o->uri));
		must(cJSON_AddStringToObject(doc, "role",
					     fcgi_role_name(o->role)));
		cJSON_AddItemToObject(doc, "params", pairs(params));
	}
	a = must(cJSON_AddArrayToObject(doc, "requests"));
	for (i = 0; i < n; i++)
		if (ctx[i].req != NULL && ctx[i].done)
			cJSON_AddItemToArray(a, one(o, &ctx[i]));
	v = fcgi_client_violations(c, &nv);
	cJSON_AddItemToObject(doc, "violations", violations(v, nv));
	must(cJSON_AddNumberToObject(doc, "exit_status", status));
	text = cJSON_Print(doc);
	if (text == NULL)
		die(EXIT_IO, "out of memory");
	fputs(text, f);
	fputc('\n', f);
	cJSON_free(text);
	cJSON_Delete(doc);
}
