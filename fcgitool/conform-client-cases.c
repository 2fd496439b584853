/* SPDX-License-Identifier: MIT */
/*
 * conform-client-cases.c - the cases of fcgitool conform --client: the
 * answers conform gives a web server on purpose, and how the web server's
 * reaction is judged; and the observations made on every request it
 * sends.
 */
#include <stdio.h>
#include <string.h>

#include "conform-cases.h"
#include "conform-client.h"

const char cl_body[] = "conform says hello\n";

const char *const cl_required_params[] = {
	"GATEWAY_INTERFACE", "QUERY_STRING", "REMOTE_ADDR", "REQUEST_METHOD",
	"SCRIPT_NAME",	     "SERVER_NAME",  "SERVER_PORT", "SERVER_PROTOCOL",
	"SERVER_SOFTWARE",   NULL,
};

#define HEAD_OK                                                                \
	"Status: 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 19\r\n" \
	"\r\n"

/* ---- answers --------------------------------------------------------- */

static void end_rec(struct cf_script *s, uint16_t id, uint32_t app, uint8_t ps,
		    int pad)
{
	struct fcgi_end_body eb = { app, ps };
	uint8_t b[8];

	fcgi_end_body_encode(b, &eb);
	if (pad < 0)
		sb_rec(s, FCGI_END_REQUEST, id, b, sizeof(b));
	else
		sb_rec_pad(s, FCGI_END_REQUEST, id, b, sizeof(b), (uint8_t)pad);
}

/* The normal answer: header, body, the empty STDOUT, END_REQUEST. */
static void normal(struct cf_script *s, uint16_t id, int pad)
{
	static const char out[] = HEAD_OK "conform says hello\n";

	if (pad < 0)
		sb_rec(s, FCGI_STDOUT, id, out, sizeof(out) - 1);
	else
		sb_rec_pad(s, FCGI_STDOUT, id, out, sizeof(out) - 1,
			   (uint8_t)pad);
	if (pad < 0)
		sb_rec(s, FCGI_STDOUT, id, NULL, 0);
	else
		sb_rec_pad(s, FCGI_STDOUT, id, NULL, 0, (uint8_t)pad);
	end_rec(s, id, 0, FCGI_REQUEST_COMPLETE, pad);
	sb_send(s);
}

static void a_normal(struct cf_script *s, uint16_t id, uint8_t flags)
{
	(void)flags;
	normal(s, id, -1);
}

static void a_pad_255(struct cf_script *s, uint16_t id, uint8_t flags)
{
	(void)flags;
	normal(s, id, 255);
}

static void a_unpadded(struct cf_script *s, uint16_t id, uint8_t flags)
{
	(void)flags;
	normal(s, id, 0);
}

static void a_stdout_bytes(struct cf_script *s, uint16_t id, uint8_t flags)
{
	static const char out[] = HEAD_OK "conform says hello\n";
	size_t i;

	(void)flags;
	for (i = 0; i + 1 < sizeof(out); i++)
		sb_rec(s, FCGI_STDOUT, id, out + i, 1);
	sb_rec(s, FCGI_STDOUT, id, NULL, 0);
	end_rec(s, id, 0, FCGI_REQUEST_COMPLETE, -1);
	sb_send(s);
}

/* Each record in a write of its own, 50 ms apart. */
static void a_slow(struct cf_script *s, uint16_t id, uint8_t flags)
{
	static const char out[] = HEAD_OK "conform says hello\n";
	size_t i;

	(void)flags;
	for (i = 0; i + 1 < sizeof(out); i += 10) {
		sb_rec(s, FCGI_STDOUT, id, out + i,
		       sizeof(out) - 1 - i < 10 ? sizeof(out) - 1 - i : 10);
		sb_pause(s, 50);
	}
	sb_rec(s, FCGI_STDOUT, id, NULL, 0);
	end_rec(s, id, 0, FCGI_REQUEST_COMPLETE, -1);
	sb_send(s);
}

static void a_reserved(struct cf_script *s, uint16_t id, uint8_t flags)
{
	static const char out[] = HEAD_OK "conform says hello\n";
	struct fcgi_end_body eb = { 0, FCGI_REQUEST_COMPLETE };
	uint8_t b[8];

	(void)flags;
	sb_hdr(s, 1, FCGI_STDOUT, id, sizeof(out) - 1, 0, 0xff);
	sb_raw(s, out, sizeof(out) - 1);
	sb_hdr(s, 1, FCGI_STDOUT, id, 0, 0, 0xff);
	fcgi_end_body_encode(b, &eb);
	sb_hdr(s, 1, FCGI_END_REQUEST, id, 8, 0, 0xff);
	sb_raw(s, b, 8);
	sb_send(s);
}

static void a_version_2(struct cf_script *s, uint16_t id, uint8_t flags)
{
	static const char out[] = HEAD_OK "conform says hello\n";
	struct fcgi_end_body eb = { 0, FCGI_REQUEST_COMPLETE };
	uint8_t b[8];

	(void)flags;
	sb_hdr(s, 2, FCGI_STDOUT, id, sizeof(out) - 1, 0, 0);
	sb_raw(s, out, sizeof(out) - 1);
	sb_hdr(s, 2, FCGI_STDOUT, id, 0, 0, 0);
	fcgi_end_body_encode(b, &eb);
	sb_hdr(s, 2, FCGI_END_REQUEST, id, 8, 0, 0);
	sb_raw(s, b, 8);
	sb_send(s);
}

static void a_wrong_id(struct cf_script *s, uint16_t id, uint8_t flags)
{
	(void)flags;
	normal(s, (uint16_t)(id + 1), -1);
	sb_step(s, OP_CLOSE, 0, 0);
}

static void a_app_type_12(struct cf_script *s, uint16_t id, uint8_t flags)
{
	(void)flags;
	sb_rec(s, 12, id, "??", 2);
	normal(s, id, -1);
}

static void a_unknown_type(struct cf_script *s, uint16_t id, uint8_t flags)
{
	uint8_t b[8];

	(void)flags;
	fcgi_unknown_body_encode(b, 42);
	sb_rec(s, FCGI_UNKNOWN_TYPE, 0, b, sizeof(b));
	normal(s, id, -1);
}

/* The header and half the body, then the close (or a reset). */
static void cut(struct cf_script *s, uint16_t id, enum cf_op how)
{
	static const char out[] = HEAD_OK "conform";

	sb_rec(s, FCGI_STDOUT, id, out, sizeof(out) - 1);
	sb_pause(s, 50);
	sb_step(s, how, 0, 0);
}

static void a_close_before_end(struct cf_script *s, uint16_t id, uint8_t flags)
{
	(void)flags;
	cut(s, id, OP_CLOSE);
}

static void a_reset(struct cf_script *s, uint16_t id, uint8_t flags)
{
	(void)flags;
	cut(s, id, OP_RESET);
}

static void a_no_stdout_end(struct cf_script *s, uint16_t id, uint8_t flags)
{
	static const char out[] = HEAD_OK "conform says hello\n";

	(void)flags;
	sb_rec(s, FCGI_STDOUT, id, out, sizeof(out) - 1);
	end_rec(s, id, 0, FCGI_REQUEST_COMPLETE, -1);
	sb_send(s);
}

static void a_end_twice(struct cf_script *s, uint16_t id, uint8_t flags)
{
	(void)flags;
	normal(s, id, -1);
	end_rec(s, id, 0, FCGI_REQUEST_COMPLETE, -1);
	sb_send(s);
}

static void a_after_end(struct cf_script *s, uint16_t id, uint8_t flags)
{
	(void)flags;
	normal(s, id, -1);
	sb_rec(s, FCGI_STDOUT, id, "late", 4);
	sb_send(s);
}

static void refuse(struct cf_script *s, uint16_t id, uint8_t ps)
{
	end_rec(s, id, 0, ps, -1);
	sb_send(s);
}

static void a_cant_mpx(struct cf_script *s, uint16_t id, uint8_t flags)
{
	(void)flags;
	refuse(s, id, FCGI_CANT_MPX_CONN);
}

static void a_overloaded(struct cf_script *s, uint16_t id, uint8_t flags)
{
	(void)flags;
	refuse(s, id, FCGI_OVERLOADED);
}

static void a_unknown_role(struct cf_script *s, uint16_t id, uint8_t flags)
{
	(void)flags;
	refuse(s, id, FCGI_UNKNOWN_ROLE);
}

static void a_app_status(struct cf_script *s, uint16_t id, uint8_t flags)
{
	static const char out[] = HEAD_OK "conform says hello\n";

	(void)flags;
	sb_rec(s, FCGI_STDOUT, id, out, sizeof(out) - 1);
	sb_rec(s, FCGI_STDOUT, id, NULL, 0);
	end_rec(s, id, 3, FCGI_REQUEST_COMPLETE, -1);
	sb_send(s);
}

static void a_stderr(struct cf_script *s, uint16_t id, uint8_t flags)
{
	static const char err[] = "conform: a line on STDERR\n";

	(void)flags;
	sb_rec(s, FCGI_STDERR, id, err, sizeof(err) - 1);
	sb_rec(s, FCGI_STDERR, id, NULL, 0);
	normal(s, id, -1);
}

static void a_no_stdout(struct cf_script *s, uint16_t id, uint8_t flags)
{
	(void)flags;
	end_rec(s, id, 0, FCGI_REQUEST_COMPLETE, -1);
	sb_send(s);
}

static void out_then_end(struct cf_script *s, uint16_t id, const char *out,
			 size_t n)
{
	size_t k;

	while (n > 0) {
		k = n < FCGI_CHUNK_MAX ? n : FCGI_CHUNK_MAX;
		sb_rec(s, FCGI_STDOUT, id, out, k);
		out += k;
		n -= k;
	}
	sb_rec(s, FCGI_STDOUT, id, NULL, 0);
	end_rec(s, id, 0, FCGI_REQUEST_COMPLETE, -1);
	sb_send(s);
}

static void a_no_header_end(struct cf_script *s, uint16_t id, uint8_t flags)
{
	static const char out[] = "Content-Type: text/plain\r\nhello";

	(void)flags;
	out_then_end(s, id, out, sizeof(out) - 1);
}

static void a_status_404(struct cf_script *s, uint16_t id, uint8_t flags)
{
	static const char out[] = "Status: 404 Not Found\r\nContent-Type: "
				  "text/plain\r\n\r\nnot here\n";

	(void)flags;
	out_then_end(s, id, out, sizeof(out) - 1);
}

static void a_location(struct cf_script *s, uint16_t id, uint8_t flags)
{
	static const char out[] = "Location: http://conform.invalid/else\r\n"
				  "\r\n";

	(void)flags;
	out_then_end(s, id, out, sizeof(out) - 1);
}

static void a_huge_headers(struct cf_script *s, uint16_t id, uint8_t flags)
{
	static char out[80 * 1024];
	size_t o = 0;
	int i;

	(void)flags;
	for (i = 0; o + 120 < sizeof(out) - 64; i++)
		o += (size_t)snprintf(out + o, sizeof(out) - o,
				      "X-Conform-%04d: %090d\r\n", i, 0);
	o += (size_t)snprintf(out + o, sizeof(out) - o, "\r\nbody\n");
	out_then_end(s, id, out, o);
}

/* Nothing at all: the web server's timeout decides. */
static void a_silence(struct cf_script *s, uint16_t id, uint8_t flags)
{
	(void)s;
	(void)id;
	(void)flags;
}

/* ---- judging a fault case ---------------------------------------------- */

/* "HTTP 502, complete", "no HTTP answer" ... into out. */
static const char *http_text(const struct cl_obs *o, char *out, size_t n)
{
	const struct cl_http *h = &o->http;

	if (!h->sent)
		snprintf(out, n, "no HTTP request (it was not sent)");
	else if (!h->answered)
		snprintf(out, n, "no HTTP answer%s",
			 h->timed_out ? " by the deadline" : "");
	else
		snprintf(out, n, "HTTP %d%s", h->status,
			 !h->complete ? ", cut short"
			 : h->body_ok ? " with the body conform sent"
				      : "");
	return out;
}

/* What happened to the FastCGI connection after the answer. */
static const char *conn_text(const struct cl_obs *o)
{
	if (o->requests == 0)
		return "the web server sent no FastCGI request";
	if (o->reused)
		return "the web server reused the connection";
	if (o->closed_by_web)
		return "the web server closed the connection";
	if (o->closed_by_us)
		return "conform closed the connection";
	return "the connection stayed open";
}

/* The answer must reach the HTTP client whole. */
static void j_delivered(struct cf_verdict *v, const struct cl_case *c,
			const struct cl_obs *o, const struct cl_stats *st)
{
	char h[120];

	(void)st;
	http_text(o, h, sizeof(h));
	if (o->http.answered && o->http.status == 200 && o->http.complete &&
	    o->http.body_ok)
		cf_verdict_set(v, CF_PASS, "%s; %s", h, conn_text(o));
	else
		cf_verdict_set(v, cf_level_grade(c->k.level), "%s; %s", h,
			       conn_text(o));
}

/* A broken answer must not reach the HTTP client as a good one. */
static void j_refused(struct cf_verdict *v, const struct cl_case *c,
		      const struct cl_obs *o, const struct cl_stats *st)
{
	char h[120];

	(void)st;
	http_text(o, h, sizeof(h));
	if (o->http.answered && o->http.status < 300 && o->http.complete &&
	    o->requests <= 1)
		cf_verdict_set(v, cf_level_grade(c->k.level),
			       "%s: passed on as a success; %s", h,
			       conn_text(o));
	else if (o->requests > 1 && o->http.answered && o->http.status == 200 &&
		 o->http.body_ok)
		cf_verdict_set(v, CF_PASS,
			       "%s after %u FastCGI requests: "
			       "retried; %s",
			       h, o->requests, conn_text(o));
	else
		cf_verdict_set(v, CF_PASS, "%s; %s", h, conn_text(o));
}

/* As j_refused, and a connection whose framing is in doubt must not be
 * used again. */
static void j_refused_dropped(struct cf_verdict *v, const struct cl_case *c,
			      const struct cl_obs *o, const struct cl_stats *st)
{
	j_refused(v, c, o, st);
	if (v->grade == CF_PASS && o->reused)
		cf_verdict_set(v, CF_WARN,
			       "%s, but the web server used the connection "
			       "again",
			       v->got);
}

/* Delivered, and the connection not used again. */
static void j_delivered_dropped(struct cf_verdict *v, const struct cl_case *c,
				const struct cl_obs *o,
				const struct cl_stats *st)
{
	j_delivered(v, c, o, st);
	if (v->grade == CF_PASS && o->reused)
		cf_verdict_set(v, CF_WARN,
			       "the answer came through, but the web server "
			       "used the connection again after extra records");
}

static void j_status(struct cf_verdict *v, const struct cl_case *c,
		     const struct cl_obs *o, int want)
{
	char h[120];

	http_text(o, h, sizeof(h));
	if (o->http.answered && o->http.status == want)
		cf_verdict_set(v, CF_PASS, "%s", h);
	else
		cf_verdict_set(v, cf_level_grade(c->k.level), "%s", h);
}

static void j_404(struct cf_verdict *v, const struct cl_case *c,
		  const struct cl_obs *o, const struct cl_stats *st)
{
	(void)st;
	j_status(v, c, o, 404);
}

static void j_302(struct cf_verdict *v, const struct cl_case *c,
		  const struct cl_obs *o, const struct cl_stats *st)
{
	(void)st;
	j_status(v, c, o, 302);
}

/* Recorded, whatever it is. */
static void j_info(struct cf_verdict *v, const struct cl_case *c,
		   const struct cl_obs *o, const struct cl_stats *st)
{
	char h[120];

	(void)c;
	(void)st;
	cf_verdict_set(v, CF_INFO, "%s; %s", http_text(o, h, sizeof(h)),
		       conn_text(o));
}

/* A silent application must get the HTTP client an error in time. */
static void j_silence(struct cf_verdict *v, const struct cl_case *c,
		      const struct cl_obs *o, const struct cl_stats *st)
{
	char h[120];

	(void)st;
	http_text(o, h, sizeof(h));
	if (o->http.answered && o->http.status >= 500)
		cf_verdict_set(v, CF_PASS, "%s; %s", h, conn_text(o));
	else
		cf_verdict_set(v, cf_level_grade(c->k.level), "%s", h);
}

/* The HTTP client went away: ABORT_REQUEST or a close must follow. */
static void j_client_gone(struct cf_verdict *v, const struct cl_case *c,
			  const struct cl_obs *o, const struct cl_stats *st)
{
	(void)st;
	if (o->requests == 0)
		cf_verdict_set(v, CF_INFO,
			       "the web server sent no FastCGI request "
			       "before its client went away");
	else if (o->aborted)
		cf_verdict_set(v, CF_PASS, "ABORT_REQUEST");
	else if (o->closed_by_web)
		cf_verdict_set(v, CF_PASS,
			       "the web server closed the connection");
	else
		cf_verdict_set(v, cf_level_grade(c->k.level),
			       "neither ABORT_REQUEST nor a close: the "
			       "application would work on for nobody");
}

static void j_post(struct cf_verdict *v, const struct cl_case *c,
		   const struct cl_obs *o, const struct cl_stats *st)
{
	j_delivered(v, c, o, st);
}

/* ---- judging the observations ------------------------------------------- */

static void no_viol(struct cf_verdict *v, const struct cl_case *c,
		    const struct cl_stats *st, enum fcgi_vcode code,
		    const char *ok)
{
	if (st->requests == 0)
		cf_verdict_set(v, CF_SKIP, "no request came");
	else if (st->viol[code] > 0)
		cf_verdict_set(v, cf_level_grade(c->k.level),
			       "%u time(s), first: %s", st->viol[code],
			       st->first_msg[code]);
	else
		cf_verdict_set(v, CF_PASS, "%s, in %u requests", ok,
			       st->requests);
}

static void o_version(struct cf_verdict *v, const struct cl_case *c,
		      const struct cl_obs *o, const struct cl_stats *st)
{
	(void)o;
	no_viol(v, c, st, FCGI_V_BAD_VERSION, "every record of version 1");
}

static void o_aligned(struct cf_verdict *v, const struct cl_case *c,
		      const struct cl_obs *o, const struct cl_stats *st)
{
	(void)o;
	no_viol(v, c, st, FCGI_V_UNALIGNED, "every record padded to 8");
}

static void o_record_size(struct cf_verdict *v, const struct cl_case *c,
			  const struct cl_obs *o, const struct cl_stats *st)
{
	(void)o;
	no_viol(v, c, st, FCGI_V_RECORD_TOO_LARGE,
		"contentLength + paddingLength within 65535");
}

static void o_split(struct cf_verdict *v, const struct cl_case *c,
		    const struct cl_obs *o, const struct cl_stats *st)
{
	(void)o;
	no_viol(v, c, st, FCGI_V_NV_SPLIT,
		"no name-value pair split across records");
}

static void o_begin_body(struct cf_verdict *v, const struct cl_case *c,
			 const struct cl_obs *o, const struct cl_stats *st)
{
	(void)o;
	no_viol(v, c, st, FCGI_V_BAD_BODY_LENGTH,
		"every BEGIN_REQUEST body of 8 bytes");
}

static void o_content_length(struct cf_verdict *v, const struct cl_case *c,
			     const struct cl_obs *o, const struct cl_stats *st)
{
	(void)o;
	no_viol(v, c, st, FCGI_V_CONTENT_LENGTH,
		"every STDIN as long as CONTENT_LENGTH");
}

static void o_ids(struct cf_verdict *v, const struct cl_case *c,
		  const struct cl_obs *o, const struct cl_stats *st)
{
	(void)o;
	if (st->viol[FCGI_V_APP_NULL_ID] + st->viol[FCGI_V_MGMT_NONZERO_ID] > 0)
		cf_verdict_set(v, cf_level_grade(c->k.level), "%s",
			       st->viol[FCGI_V_APP_NULL_ID] > 0
				       ? st->first_msg[FCGI_V_APP_NULL_ID]
				       : st->first_msg[FCGI_V_MGMT_NONZERO_ID]);
	else if (st->requests == 0)
		cf_verdict_set(v, CF_SKIP, "no request came");
	else
		cf_verdict_set(v, CF_PASS, "request ids from 1 to %u",
			       (unsigned)st->max_id);
}

/* Any other violation of FastCGI 1.0 in what the web server sent. */
static void o_spec(struct cf_verdict *v, const struct cl_case *c,
		   const struct cl_obs *o, const struct cl_stats *st)
{
	unsigned code;

	(void)o;
	for (code = 1; code < FCGI_V_COUNT; code++) {
		if (st->viol[code] == 0 || st->sev[code] != FCGI_SEV_SPEC ||
		    code == FCGI_V_EOF_MID_REQUEST)
			continue;
		cf_verdict_set(v, cf_level_grade(c->k.level), "%s: %s",
			       fcgi_vcode_name((enum fcgi_vcode)code),
			       st->first_msg[code]);
		return;
	}
	if (st->no_params_end + st->no_stdin_end > 0)
		cf_verdict_set(v, cf_level_grade(c->k.level),
			       "%u request(s) without the end of PARAMS or "
			       "STDIN before the answer was due",
			       st->no_params_end + st->no_stdin_end);
	else
		cf_verdict_set(v, CF_PASS, "no violation in %u requests",
			       st->requests);
}

static void o_params(struct cf_verdict *v, const struct cl_case *c,
		     const struct cl_obs *o, const struct cl_stats *st)
{
	(void)o;
	if (st->missing_param[0] != '\0')
		cf_verdict_set(v, cf_level_grade(c->k.level), "%s is not sent",
			       st->missing_param);
	else
		cf_verdict_set(v, CF_PASS,
			       "every required meta-variable "
			       "sent");
}

static void o_role(struct cf_verdict *v, const struct cl_case *c,
		   const struct cl_obs *o, const struct cl_stats *st)
{
	(void)c;
	(void)o;
	cf_verdict_set(v, CF_INFO,
		       "Responder %u, Authorizer %u, Filter %u, other %u",
		       st->roles[1], st->roles[2], st->roles[3], st->roles[0]);
}

static void o_keep(struct cf_verdict *v, const struct cl_case *c,
		   const struct cl_obs *o, const struct cl_stats *st)
{
	(void)c;
	(void)o;
	cf_verdict_set(v, CF_INFO,
		       "KEEP_CONN on %u of %u requests; %u connections, "
		       "%u requests on a connection used before",
		       st->keep_set, st->requests, st->conns, st->reused);
}

static void o_values(struct cf_verdict *v, const struct cl_case *c,
		     const struct cl_obs *o, const struct cl_stats *st)
{
	(void)c;
	(void)o;
	cf_verdict_set(v, CF_INFO, "%u GET_VALUES record(s)", st->get_values);
}

static void o_mpx(struct cf_verdict *v, const struct cl_case *c,
		  const struct cl_obs *o, const struct cl_stats *st)
{
	(void)c;
	(void)o;
	cf_verdict_set(v, CF_INFO,
		       "at most %u request(s) at once on a connection",
		       st->mpx);
}

/* ---- the table ---------------------------------------------------------- */

#define FAULT(id, level, desc, quote, why, accepts, fn, flags, judge)          \
	{                                                                      \
		{ id, level, desc, quote, why, accepts, 0, 0, 0, NULL, NULL }, \
			fn, flags, judge                                       \
	}
#define OBSERVE(id, level, desc, quote, why, accepts, judge)                   \
	{                                                                      \
		{ id, level, desc, quote, why, accepts, 0, 0, 0, NULL, NULL }, \
			NULL, 0, judge                                         \
	}

#define Q_RFC3875                                                              \
	"RFC 3875, 4.1: the server MUST set GATEWAY_INTERFACE, QUERY_STRING, " \
	"REMOTE_ADDR, REQUEST_METHOD, SCRIPT_NAME, SERVER_NAME, SERVER_PORT, " \
	"SERVER_PROTOCOL and SERVER_SOFTWARE."

static const struct cl_case table[] = {
	OBSERVE("web-3.3-version", CF_MUST,
		"every record the web server sends is of version 1", Q_VERSION,
		"An application rejects other versions.",
		"version 1 throughout", o_version),
	OBSERVE("web-3.3-request-ids", CF_MUST,
		"application records have a nonzero id, management records "
		"id 0",
		Q_IDS, "The id decides which records are management records.",
		"nonzero ids for requests", o_ids),
	OBSERVE("web-3.3-aligned", CF_SHOULD,
		"records are padded to a multiple of 8", Q_PADDING,
		"The spec recommends it; nothing breaks without it.",
		"8-byte records", o_aligned),
	OBSERVE("web-3.3-record-size", CF_INTEROP,
		"BEGIN_REQUEST and PARAMS records keep content plus padding "
		"within 65535",
		Q_CONTENT, "PHP-FPM closes the connection otherwise.",
		"within 65535", o_record_size),
	OBSERVE("web-3.3-protocol", CF_MUST,
		"nothing else the web server sends breaks FastCGI 1.0",
		Q_STREAM_END,
		"Streams ended by their empty record, records in order, ids "
		"that are active.",
		"no violation", o_spec),
	OBSERVE("web-3.4-params-split", CF_INTEROP,
		"no name-value pair is split across PARAMS records", Q_STREAM,
		"Legal, but PHP-FPM parses each PARAMS record alone.",
		"whole pairs in each record", o_split),
	OBSERVE("web-4.1-get-values", CF_MAY,
		"whether the web server asks GET_VALUES", Q_GV_ANYTIME,
		"Recorded: only HAProxy does.", "recorded", o_values),
	OBSERVE("web-5.1-begin-body", CF_MUST,
		"every BEGIN_REQUEST body is 8 bytes", Q_BEGIN_BODY,
		"The body is fixed.", "8 bytes", o_begin_body),
	OBSERVE("web-5.1-role", CF_MAY, "the roles the web server asks for",
		Q_ROLE, "Recorded.", "recorded", o_role),
	OBSERVE("web-5.1-keep-conn", CF_MAY,
		"whether the web server sets KEEP_CONN and reuses connections",
		Q_KEEP_1, "Recorded: nginx needs fastcgi_keep_conn on.",
		"recorded", o_keep),
	OBSERVE("web-3.3-mpx", CF_MAY,
		"whether the web server multiplexes requests on a connection",
		Q_MPX, "Recorded: nginx never does.", "recorded", o_mpx),
	OBSERVE("web-6.2-cgi-params", CF_INTEROP,
		"the CGI/1.1 meta-variables RFC 3875 requires are sent",
		Q_RFC3875, "Applications read them without checking.",
		"all of them in every request", o_params),
	OBSERVE("web-6.2-content-length", CF_SHOULD,
		"STDIN is as long as CONTENT_LENGTH says", Q_CL,
		"The application reads CONTENT_LENGTH bytes.", "equal lengths",
		o_content_length),
	FAULT("web-6.2-normal", CF_MUST,
	      "a normal answer reaches the HTTP client whole", Q_RESPONDER_END,
	      "Everything else rests on this.", "HTTP 200 with the body",
	      a_normal, 0, j_delivered),
	FAULT("web-6.2-post", CF_MUST,
	      "a POST body reaches the application, and the answer the "
	      "client",
	      Q_RESPONDER,
	      "The request body goes over STDIN, ended by its empty record.",
	      "HTTP 200 with the body", a_normal, CL_POST, j_post),
	FAULT("web-3.3-padding-255", CF_MUST,
	      "an answer whose records carry 255 bytes of padding", Q_PADDING,
	      "Receivers must skip padding, on every record.",
	      "HTTP 200 with the body", a_pad_255, 0, j_delivered),
	FAULT("web-3.3-unpadded", CF_MUST,
	      "an answer whose records are not padded to 8", Q_PADDING,
	      "Padding is the sender's choice.", "HTTP 200 with the body",
	      a_unpadded, 0, j_delivered),
	FAULT("web-3.3-stdout-1-byte-records", CF_MUST,
	      "an answer whose STDOUT comes in records of one byte", Q_STREAM,
	      "Record boundaries carry no meaning, even inside the header "
	      "block.",
	      "HTTP 200 with the body", a_stdout_bytes, 0, j_delivered),
	FAULT("web-3.3-reserved", CF_INTEROP,
	      "an answer whose headers have a reserved byte of 0xff", Q_RECORD,
	      "The reserved byte has no meaning.", "HTTP 200 with the body",
	      a_reserved, 0, j_delivered),
	FAULT("web-3.3-version-2", CF_SHOULD,
	      "an answer in records of version 2 is not passed on", Q_VERSION,
	      "The web server cannot know what such records mean.",
	      "an error, not a success", a_version_2, 0, j_refused_dropped),
	FAULT("web-3.3-wrong-id", CF_MUST,
	      "an answer on another request id is not taken for this one",
	      Q_INACTIVE,
	      "Records of an inactive id must be ignored; taking them mixes "
	      "answers between requests.",
	      "an error, not a success", a_wrong_id, 0, j_refused_dropped),
	FAULT("web-3.3-app-type-12", CF_MAY,
	      "an answer with a record of undefined type 12", Q_RECORD,
	      "Recorded: the spec defines no reaction.", "recorded",
	      a_app_type_12, 0, j_info),
	FAULT("web-4.2-unknown-type-unasked", CF_MAY,
	      "an answer with an UNKNOWN_TYPE record nobody asked for",
	      Q_UNKNOWN_TYPE, "Recorded: the spec defines no reaction.",
	      "recorded", a_unknown_type, 0, j_info),
	FAULT("web-5.5-close-before-end", CF_MUST,
	      "a close in the middle of the answer is not passed on as a "
	      "success",
	      Q_END,
	      "Without END_REQUEST the answer is incomplete; nginx says "
	      "\"upstream prematurely closed connection\".",
	      "an error, or a response cut short", a_close_before_end, 0,
	      j_refused),
	FAULT("web-5.5-reset", CF_MUST,
	      "a reset in the middle of the answer is not passed on as a "
	      "success",
	      Q_END, "As above, with a TCP reset.",
	      "an error, or a response cut short", a_reset, 0, j_refused),
	FAULT("web-5.5-no-stdout-end", CF_INTEROP,
	      "an answer whose STDOUT is not ended before END_REQUEST",
	      Q_STREAM_END, "PHP-FPM answers like this; web servers accept it.",
	      "HTTP 200 with the body", a_no_stdout_end, 0, j_delivered),
	FAULT("web-5.5-end-twice", CF_SHOULD,
	      "a second END_REQUEST after the answer", Q_ACTIVE,
	      "The answer is whole; the extra record must not reach the next "
	      "request on the connection.",
	      "HTTP 200, the connection not used again", a_end_twice, 0,
	      j_delivered_dropped),
	FAULT("web-5.5-after-end", CF_SHOULD,
	      "a STDOUT record after END_REQUEST", Q_ACTIVE, "As above.",
	      "HTTP 200, the connection not used again", a_after_end, 0,
	      j_delivered_dropped),
	FAULT("web-5.5-cant-mpx", CF_SHOULD,
	      "END_REQUEST CANT_MPX_CONN is not passed on as a success",
	      Q_CANT_MPX,
	      "A refused request has no response; a web server retries or "
	      "reports an error.",
	      "an error, or a retry that succeeds", a_cant_mpx, 0, j_refused),
	FAULT("web-5.5-overloaded", CF_SHOULD,
	      "END_REQUEST OVERLOADED is not passed on as a success",
	      Q_OVERLOADED, "As above.", "an error, or a retry that succeeds",
	      a_overloaded, 0, j_refused),
	FAULT("web-5.5-unknown-role", CF_SHOULD,
	      "END_REQUEST UNKNOWN_ROLE is not passed on as a success",
	      Q_UNKNOWN_ROLE, "As above.", "an error, or a retry that succeeds",
	      a_unknown_role, 0, j_refused),
	FAULT("web-5.5-app-status", CF_MAY,
	      "a complete answer with appStatus 3", Q_RESPONDER_END,
	      "Recorded: nginx ignores appStatus.", "recorded", a_app_status, 0,
	      j_info),
	FAULT("web-6.1-stderr", CF_MUST,
	      "STDERR before the answer does not spoil it", Q_STDERR,
	      "STDERR is for the log, never for the HTTP client.",
	      "HTTP 200 with the body", a_stderr, 0, j_delivered),
	FAULT("web-6.1-no-stdout", CF_MUST,
	      "END_REQUEST without any STDOUT is not passed on as a success",
	      Q_AT_LEAST_ONE, "There is no response to pass on.", "an error",
	      a_no_stdout, 0, j_refused),
	FAULT("web-6.2-no-header-end", CF_MUST,
	      "STDOUT without the blank line that ends the headers is an "
	      "error",
	      Q_STATUS, "Without it there is no CGI response.", "an error",
	      a_no_header_end, 0, j_refused),
	FAULT("web-6.2-status-404", CF_MUST,
	      "Status: 404 becomes the HTTP status", Q_STATUS,
	      "The CGI Status header sets the response status.", "HTTP 404",
	      a_status_404, 0, j_404),
	FAULT("web-6.2-location", CF_MUST,
	      "an absolute Location header becomes a redirect", Q_STATUS,
	      "RFC 3875, 6.2.3: a client redirect.", "HTTP 302", a_location, 0,
	      j_302),
	FAULT("web-6.2-huge-headers", CF_MAY, "a header block of 80 KiB",
	      Q_STATUS,
	      "Recorded: web servers cap the header block (nginx: "
	      "fastcgi_buffer_size).",
	      "recorded", a_huge_headers, 0, j_info),
	FAULT("web-3.2-slow-answer", CF_MUST,
	      "an answer in ten writes 50 ms apart arrives whole", Q_STREAM,
	      "Applications write as they compute.", "HTTP 200 with the body",
	      a_slow, 0, j_delivered),
	FAULT("web-3.2-silence", CF_SHOULD,
	      "an application that never answers gets the client an error in "
	      "time",
	      Q_LIFETIME,
	      "A web server without a read timeout hangs its clients.",
	      "HTTP 5xx before conform gives up", a_silence, CL_SLOW,
	      j_silence),
	FAULT("web-5.4-client-gone", CF_SHOULD,
	      "when the HTTP client goes away, the request is aborted",
	      Q_ABORT_CLOSE,
	      "With ABORT_REQUEST, or by closing the connection; otherwise "
	      "the application works on for nobody.",
	      "ABORT_REQUEST or a close", a_silence, CL_CLIENT_GONE,
	      j_client_gone),
};

const struct cl_case *cl_cases(size_t *n)
{
	*n = sizeof(table) / sizeof(table[0]);
	return table;
}

const struct cl_case *cl_case_find(const char *id)
{
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].k.id, id) == 0)
			return &table[i];
	return NULL;
}
