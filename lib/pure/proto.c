/* SPDX-License-Identifier: MIT */
/* proto.c - FastCGI 1.0 constants as names, and the violation catalogue. */
#include <strings.h>

#include "internal.h"

const char *fcgi_tok_name(const struct fcgi_tok *t, unsigned value)
{
	for (; t->name != NULL; t++)
		if (t->value == value)
			return t->name;
	return NULL;
}

int fcgi_tok_lookup(const struct fcgi_tok *t, const char *name)
{
	if (name == NULL)
		return -1;
	if (strncasecmp(name, "FCGI_", 5) == 0)
		name += 5;
	for (; t->name != NULL; t++)
		if (strcasecmp(t->name, name) == 0)
			return (int)t->value;
	return -1;
}

/* FastCGI 1.0, 8: record types. */
static const struct fcgi_tok types[] = {
	{ FCGI_BEGIN_REQUEST, "BEGIN_REQUEST" },
	{ FCGI_ABORT_REQUEST, "ABORT_REQUEST" },
	{ FCGI_END_REQUEST, "END_REQUEST" },
	{ FCGI_PARAMS, "PARAMS" },
	{ FCGI_STDIN, "STDIN" },
	{ FCGI_STDOUT, "STDOUT" },
	{ FCGI_STDERR, "STDERR" },
	{ FCGI_DATA, "DATA" },
	{ FCGI_GET_VALUES, "GET_VALUES" },
	{ FCGI_GET_VALUES_RESULT, "GET_VALUES_RESULT" },
	{ FCGI_UNKNOWN_TYPE, "UNKNOWN_TYPE" },
	{ 0, NULL },
};

/* FastCGI 1.0, 5.1: roles. */
static const struct fcgi_tok roles[] = {
	{ FCGI_RESPONDER, "RESPONDER" },
	{ FCGI_AUTHORIZER, "AUTHORIZER" },
	{ FCGI_FILTER, "FILTER" },
	{ 0, NULL },
};

/* FastCGI 1.0, 5.5: protocol status. */
static const struct fcgi_tok pstatus[] = {
	{ FCGI_REQUEST_COMPLETE, "REQUEST_COMPLETE" },
	{ FCGI_CANT_MPX_CONN, "CANT_MPX_CONN" },
	{ FCGI_OVERLOADED, "OVERLOADED" },
	{ FCGI_UNKNOWN_ROLE, "UNKNOWN_ROLE" },
	{ 0, NULL },
};

const char *fcgi_type_name(unsigned type)
{
	return fcgi_tok_name(types, type);
}

const char *fcgi_role_name(unsigned role)
{
	return fcgi_tok_name(roles, role);
}

const char *fcgi_pstatus_name(unsigned ps)
{
	return fcgi_tok_name(pstatus, ps);
}

int fcgi_type_lookup(const char *name)
{
	return fcgi_tok_lookup(types, name);
}

int fcgi_role_lookup(const char *name)
{
	return fcgi_tok_lookup(roles, name);
}

int fcgi_pstatus_lookup(const char *name)
{
	return fcgi_tok_lookup(pstatus, name);
}

int fcgi_type_is_management(unsigned type)
{
	return type == FCGI_GET_VALUES || type == FCGI_GET_VALUES_RESULT ||
	       type == FCGI_UNKNOWN_TYPE;
}

struct vcode_info {
	const char *name;
	enum fcgi_severity sev;
};

/* Indexed by enum fcgi_vcode; names are stable output. */
static const struct vcode_info vcodes[FCGI_V_COUNT] = {
	[FCGI_V_NONE] = { "none", FCGI_SEV_NOTE },
	[FCGI_V_BAD_VERSION] = { "bad-version", FCGI_SEV_SPEC },
	[FCGI_V_UNKNOWN_TYPE] = { "unknown-type", FCGI_SEV_SPEC },
	[FCGI_V_WRONG_DIRECTION] = { "wrong-direction", FCGI_SEV_SPEC },
	[FCGI_V_MGMT_NONZERO_ID] = { "mgmt-nonzero-id", FCGI_SEV_SPEC },
	[FCGI_V_APP_NULL_ID] = { "app-null-id", FCGI_SEV_SPEC },
	[FCGI_V_BAD_BODY_LENGTH] = { "bad-body-length", FCGI_SEV_SPEC },
	[FCGI_V_UNKNOWN_ROLE] = { "unknown-role", FCGI_SEV_INTEROP },
	[FCGI_V_DUPLICATE_BEGIN] = { "duplicate-begin", FCGI_SEV_SPEC },
	[FCGI_V_NO_BEGIN] = { "no-begin", FCGI_SEV_SPEC },
	[FCGI_V_STREAM_AFTER_END] = { "stream-after-end", FCGI_SEV_SPEC },
	[FCGI_V_OUT_OF_ORDER] = { "out-of-order", FCGI_SEV_SPEC },
	[FCGI_V_NV_TRUNCATED] = { "nv-truncated", FCGI_SEV_SPEC },
	[FCGI_V_NV_LIMIT] = { "nv-limit", FCGI_SEV_INTEROP },
	[FCGI_V_END_OPEN_STREAMS] = { "end-open-streams", FCGI_SEV_NOTE },
	[FCGI_V_RECORD_TOO_LARGE] = { "record-too-large", FCGI_SEV_INTEROP },
	[FCGI_V_NV_SPLIT] = { "nv-split", FCGI_SEV_INTEROP },
	[FCGI_V_UNALIGNED] = { "unaligned", FCGI_SEV_NOTE },
	[FCGI_V_TRUNC_HEADER] = { "truncated-header", FCGI_SEV_SPEC },
	[FCGI_V_TRUNC_CONTENT] = { "truncated-content", FCGI_SEV_SPEC },
	[FCGI_V_TRUNC_PADDING] = { "truncated-padding", FCGI_SEV_SPEC },
	[FCGI_V_AFTER_END_REQUEST] = { "after-end-request", FCGI_SEV_SPEC },
	[FCGI_V_CLOSED_KEEP_CONN] = { "closed-keep-conn", FCGI_SEV_SPEC },
	[FCGI_V_EOF_MID_REQUEST] = { "eof-mid-request", FCGI_SEV_SPEC },
	[FCGI_V_CONTENT_LENGTH] = { "content-length", FCGI_SEV_INTEROP },
	[FCGI_V_BAD_PSTATUS] = { "bad-protocol-status", FCGI_SEV_SPEC },
	[FCGI_V_VALUES_NOT_EMPTY] = { "values-not-empty", FCGI_SEV_NOTE },
	[FCGI_V_TOO_MANY_REQUESTS] = { "too-many-requests", FCGI_SEV_INTEROP },
	[FCGI_V_UNEXPECTED] = { "unexpected", FCGI_SEV_INTEROP },
};

const char *fcgi_vcode_name(enum fcgi_vcode code)
{
	if ((unsigned)code >= FCGI_V_COUNT)
		return "unknown";
	return vcodes[code].name;
}

enum fcgi_severity fcgi_vcode_severity(enum fcgi_vcode code)
{
	if ((unsigned)code >= FCGI_V_COUNT)
		return FCGI_SEV_SPEC;
	return vcodes[code].sev;
}

const char *fcgi_severity_name(enum fcgi_severity s)
{
	switch (s) {
	case FCGI_SEV_SPEC:
		return "spec";
	case FCGI_SEV_INTEROP:
		return "interop";
	case FCGI_SEV_NOTE:
		return "note";
	}
	return "unknown";
}

const char *fcgi_dir_name(enum fcgi_dir d)
{
	return d == FCGI_DIR_TO_APP ? "to-app" : "to-web";
}

void fcgi_limits_default(struct fcgi_limits *l)
{
	l->params_max_bytes = 1024 * 1024;
	l->params_max_pairs = 8192;
	l->values_max_bytes = 64 * 1024;
	l->headers_max_bytes = 64 * 1024;
	l->max_requests = 1024;
}

/* RFC 9110, 15: reason phrases for the answers fcgitool makes itself. */
static const struct fcgi_tok reasons[] = {
	{ 200, "OK" },
	{ 201, "Created" },
	{ 202, "Accepted" },
	{ 204, "No Content" },
	{ 301, "Moved Permanently" },
	{ 302, "Found" },
	{ 303, "See Other" },
	{ 304, "Not Modified" },
	{ 307, "Temporary Redirect" },
	{ 308, "Permanent Redirect" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 408, "Request Timeout" },
	{ 409, "Conflict" },
	{ 410, "Gone" },
	{ 413, "Content Too Large" },
	{ 414, "URI Too Long" },
	{ 415, "Unsupported Media Type" },
	{ 418, "I'm a teapot" },
	{ 422, "Unprocessable Content" },
	{ 429, "Too Many Requests" },
	{ 500, "Internal Server Error" },
	{ 501, "Not Implemented" },
	{ 502, "Bad Gateway" },
	{ 503, "Service Unavailable" },
	{ 504, "Gateway Timeout" },
	{ 0, NULL },
};

const char *fcgi_http_reason(unsigned status)
{
	const char *s = fcgi_tok_name(reasons, status);

	if (s != NULL)
		return s;
	switch (status / 100) {
	case 1:
		return "Informational";
	case 2:
		return "Success";
	case 3:
		return "Redirection";
	case 4:
		return "Client Error";
	default:
		return "Server Error";
	}
}
