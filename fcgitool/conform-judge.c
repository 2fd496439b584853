/* SPDX-License-Identifier: MIT */
/*
 * conform-judge.c - what came back from a target (one OBSERVER conn per
 * connection: our bytes to-app, the answer to-web), how an answer is
 * classified, and the checks every case gets.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "conform.h"

const char *cf_grade_name(enum cf_grade g)
{
	switch (g) {
	case CF_PASS:
		return "pass";
	case CF_INFO:
		return "info";
	case CF_SKIP:
		return "skip";
	case CF_WARN:
		return "warn";
	default:
		return "fail";
	}
}

const char *cf_level_name(enum cf_level l)
{
	switch (l) {
	case CF_MUST:
		return "MUST";
	case CF_SHOULD:
		return "SHOULD";
	case CF_MAY:
		return "MAY";
	default:
		return "interop";
	}
}

enum cf_grade cf_level_grade(enum cf_level l)
{
	switch (l) {
	case CF_MUST:
		return CF_FAIL;
	case CF_MAY:
		return CF_INFO;
	default:
		return CF_WARN;
	}
}

static const struct {
	unsigned bit;
	const char *text;
} kind_names[] = {
	{ A_OK, "answered" },
	{ A_STATUS, "answered with another status" },
	{ A_BODY, "answered without echoing the body" },
	{ A_NOCGI, "REQUEST_COMPLETE without a CGI response" },
	{ A_CANT_MPX, "END_REQUEST CANT_MPX_CONN" },
	{ A_OVERLOADED, "END_REQUEST OVERLOADED" },
	{ A_UNKNOWN_ROLE, "END_REQUEST UNKNOWN_ROLE" },
	{ A_BAD_PSTATUS, "END_REQUEST with an undefined protocolStatus" },
	{ A_CLOSED, "close" },
	{ A_SILENT, "no answer" },
};

const char *cf_kinds_text(unsigned set, char *out, size_t n)
{
	size_t i, o = 0, k = 0, total = 0;
	int w;

	for (i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
		if (set & kind_names[i].bit)
			total++;
	if (n > 0)
		out[0] = '\0';
	if ((set & A_ANY_END) == A_ANY_END && (set & A_CLOSED)) {
		snprintf(out, n, "%s", "any END_REQUEST or close");
		return out;
	}
	for (i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++) {
		if (!(set & kind_names[i].bit))
			continue;
		k++;
		w = snprintf(out + o, n - o, "%s%s",
			     k == 1	  ? ""
			     : k == total ? " or "
					  : ", ",
			     kind_names[i].text);
		if (w < 0 || (size_t)w >= n - o)
			break;
		o += (size_t)w;
	}
	if (total == 0)
		snprintf(out, n, "%s", "nothing");
	return out;
}

/* ---- outcome ---------------------------------------------------------- */

static void on_violation(void *arg, const struct fcgi_violation *v)
{
	struct cf_conn_out *co = arg;
	struct cf_viol *d;

	if (v->dir != FCGI_DIR_TO_WEB || co->nviol == CF_MAX_VIOL)
		return;
	d = &co->viol[co->nviol++];
	d->code = v->code;
	d->severity = v->severity;
	snprintf(d->message, sizeof(d->message), "%s", v->message);
}

/* The BEGIN_REQUESTs we sent for (c, id), or 0. */
static unsigned begins_of(const struct cf_outcome *o, uint8_t c, uint16_t id)
{
	size_t i;

	for (i = 0; i < o->nbegun; i++)
		if (o->begun[i].conn == c && o->begun[i].id == id)
			return o->begun[i].begins;
	return 0;
}

static void note_begin(struct cf_outcome *o, uint8_t c, uint16_t id)
{
	size_t i;

	for (i = 0; i < o->nbegun; i++) {
		if (o->begun[i].conn == c && o->begun[i].id == id) {
			o->begun[i].begins++;
			return;
		}
	}
	if (o->nbegun == CF_MAX_REQS)
		return;
	o->begun[o->nbegun].conn = c;
	o->begun[o->nbegun].id = id;
	o->begun[o->nbegun].begins = 1;
	o->nbegun++;
}

/* The entry of the latest request (c, id), made when missing. */
static struct cf_req *req_get(struct cf_outcome *o, uint8_t c, uint16_t id)
{
	unsigned b = begins_of(o, c, id), gen = b > 0 ? b - 1 : 0;
	struct cf_req *r;
	size_t i;

	for (i = 0; i < o->nreq; i++)
		if (o->req[i].conn == c && o->req[i].id == id &&
		    o->req[i].gen == gen)
			return &o->req[i];
	if (o->nreq == CF_MAX_REQS)
		return NULL;
	r = &o->req[o->nreq++];
	memset(r, 0, sizeof(*r));
	fcgi_buf_init(&r->out, NULL, CF_OUT_MAX);
	r->conn = c;
	r->id = id;
	r->gen = gen;
	r->first_step = o->step;
	r->end_step = -1;
	return r;
}

static void on_mgmt_record(struct cf_conn_out *co,
			   const struct fcgi_record *rec)
{
	if (co->mgmt_records++ == 0)
		co->first_mgmt_step = co->o->step;
	if (rec->h.type == FCGI_GET_VALUES_RESULT) {
		co->values++;
	} else if (rec->h.type == FCGI_UNKNOWN_TYPE) {
		if (co->unknown < sizeof(co->unknown_type))
			co->unknown_type[co->unknown] =
				rec->h.content_length > 0 ? rec->content[0] : 0;
		co->unknown++;
	}
}

static void on_record(void *arg, enum fcgi_dir dir,
		      const struct fcgi_record *rec)
{
	struct cf_conn_out *co = arg;
	struct cf_outcome *o = co->o;
	struct fcgi_end_body eb;
	uint8_t b[8];
	struct cf_req *r;
	size_t n;

	if (dir != FCGI_DIR_TO_WEB) {
		if (rec->h.type == FCGI_BEGIN_REQUEST &&
		    rec->h.request_id != FCGI_NULL_REQUEST_ID)
			note_begin(o, co->index, rec->h.request_id);
		return;
	}
	if (rec->h.request_id == FCGI_NULL_REQUEST_ID) {
		on_mgmt_record(co, rec);
		return;
	}
	r = req_get(o, co->index, rec->h.request_id);
	if (r == NULL)
		return;
	if (r->ends > 0 && rec->h.type != FCGI_END_REQUEST)
		r->after_end++;
	switch (rec->h.type) {
	case FCGI_STDOUT:
		r->out_records++;
		r->out_bytes += rec->h.content_length;
		if (rec->h.content_length == 0)
			r->out_ended = true;
		n = rec->h.content_length;
		if (n > r->out.max - r->out.len)
			n = r->out.max - r->out.len;
		if (n > 0 && fcgi_buf_append(&r->out, rec->content, n) != 0)
			o->err = FCGI_ENOMEM;
		break;
	case FCGI_STDERR:
		r->err_records++;
		r->err_bytes += rec->h.content_length;
		if (rec->h.content_length == 0)
			r->err_ended = true;
		break;
	case FCGI_END_REQUEST:
		if (r->ends++ > 0) {
			r->after_end++;
			break;
		}
		memset(b, 0, sizeof(b));
		memcpy(b, rec->content,
		       rec->h.content_length < 8 ? rec->h.content_length : 8);
		(void)fcgi_end_body_decode(&eb, b, sizeof(b));
		r->app_status = eb.app_status;
		r->pstatus = eb.protocol_status;
		r->end_len = rec->h.content_length;
		r->end_step = o->step;
		break;
	default:
		break;
	}
}

static int on_event(void *arg, const struct fcgi_event *ev)
{
	struct cf_conn_out *co = arg;
	struct fcgi_nv nv;
	size_t i;

	if (ev->dir != FCGI_DIR_TO_WEB ||
	    ev->type != FCGI_EV_GET_VALUES_RESULT || ev->params == NULL)
		return 0;
	for (i = 0; i < fcgi_params_count(ev->params); i++) {
		fcgi_params_at(ev->params, i, &nv);
		if (fcgi_params_add(&co->vals, nv.name, nv.name_len, nv.value,
				    nv.value_len) != 0)
			co->o->err = FCGI_ENOMEM;
	}
	return 0;
}

int cf_outcome_init(struct cf_outcome *o)
{
	size_t i;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < CF_MAX_CONNS; i++) {
		o->conn[i].o = o;
		o->conn[i].index = (uint8_t)i;
		o->conn[i].close_step = -1;
		o->conn[i].write_fail_step = -1;
		o->conn[i].first_mgmt_step = -1;
		fcgi_params_init(&o->conn[i].vals, NULL);
	}
	return 0;
}

void cf_outcome_fini(struct cf_outcome *o)
{
	size_t i;

	for (i = 0; i < CF_MAX_CONNS; i++) {
		fcgi_conn_free(o->conn[i].obs);
		o->conn[i].obs = NULL;
		fcgi_params_fini(&o->conn[i].vals);
	}
	for (i = 0; i < o->nreq; i++)
		fcgi_buf_fini(&o->req[i].out);
	o->nreq = 0;
}

int cf_outcome_open(struct cf_outcome *o, uint8_t c)
{
	static const struct fcgi_callbacks cb = {
		.on_record = on_record,
		.on_event = on_event,
		.on_violation = on_violation,
	};
	struct cf_conn_out *co = &o->conn[c];

	if (co->obs != NULL)
		return 0;
	if (fcgi_conn_new(&co->obs, FCGI_MODE_OBSERVER, NULL, &cb, co) != 0)
		return FCGI_ENOMEM;
	co->opened = true;
	return 0;
}

static void feed(struct cf_outcome *o, uint8_t c, enum fcgi_dir dir,
		 const uint8_t *p, size_t n)
{
	struct cf_conn_out *co = &o->conn[c];
	ssize_t rc;

	if (co->obs == NULL || n == 0)
		return;
	if (dir == FCGI_DIR_TO_APP ? co->toapp_stopped : co->toweb_stopped)
		return;
	rc = fcgi_conn_recv(co->obs, dir, p, n);
	if (rc == FCGI_EPROTO) {
		if (dir == FCGI_DIR_TO_APP)
			co->toapp_stopped = true;
		else
			co->toweb_stopped = true;
	} else if (rc == FCGI_ENOMEM) {
		o->err = FCGI_ENOMEM;
	}
}

void cf_outcome_sent(struct cf_outcome *o, uint8_t c, const uint8_t *p,
		     size_t n)
{
	feed(o, c, FCGI_DIR_TO_APP, p, n);
}

void cf_outcome_recv(struct cf_outcome *o, uint8_t c, const uint8_t *p,
		     size_t n)
{
	o->conn[c].bytes_in += n;
	feed(o, c, FCGI_DIR_TO_WEB, p, n);
}

void cf_outcome_closed(struct cf_outcome *o, uint8_t c, enum cf_close how)
{
	struct cf_conn_out *co = &o->conn[c];

	if (co->closed != CL_OPEN)
		return;
	co->closed = how;
	co->close_step = o->step;
	if (co->obs != NULL)
		(void)fcgi_conn_eof(co->obs, FCGI_DIR_TO_WEB);
}

void cf_outcome_we_closed(struct cf_outcome *o, uint8_t c)
{
	struct cf_conn_out *co = &o->conn[c];

	if (co->we_closed)
		return;
	co->we_closed = true;
	/* End of the to-app direction is how a web server aborts: the
	 * app's close that follows is not judged. */
	if (co->obs != NULL)
		(void)fcgi_conn_eof(co->obs, FCGI_DIR_TO_APP);
}

const struct cf_req *cf_outcome_req_gen(const struct cf_outcome *o, uint8_t c,
					uint16_t id, unsigned gen)
{
	size_t i;

	for (i = 0; i < o->nreq; i++)
		if (o->req[i].conn == c && o->req[i].id == id &&
		    o->req[i].gen == gen)
			return &o->req[i];
	return NULL;
}

const struct cf_req *cf_outcome_req(const struct cf_outcome *o, uint8_t c,
				    uint16_t id)
{
	unsigned b = begins_of(o, c, id);

	return cf_outcome_req_gen(o, c, id, b > 0 ? b - 1 : 0);
}

bool cf_outcome_has_end(const struct cf_outcome *o, uint8_t c, uint16_t id)
{
	const struct cf_req *r = cf_outcome_req(o, c, id);

	return r != NULL && r->ends > 0;
}

bool cf_outcome_has_mgmt(const struct cf_outcome *o, uint8_t c)
{
	return o->conn[c].mgmt_records > 0;
}

/* ---- classification --------------------------------------------------- */

int cf_answer_status(const struct cf_req *r)
{
	struct fcgi_cgi cgi;
	ssize_t used;
	int st = -1;

	fcgi_cgi_init(&cgi, NULL, 64 * 1024);
	used = fcgi_cgi_feed(&cgi, r->out.data, r->out.len);
	if (used >= 0 && cgi.done)
		st = cgi.status;
	fcgi_cgi_fini(&cgi);
	return st;
}

/* The echo expected for (c, id), or NULL. */
static const struct cf_echo *echo_of(const struct cf_script *s, uint8_t c,
				     uint16_t id)
{
	size_t i;

	for (i = s->necho; i-- > 0;)
		if (s->echo[i].conn == c && s->echo[i].id == id)
			return &s->echo[i];
	return NULL;
}

/* A_OK, A_STATUS, A_BODY or A_NOCGI for a REQUEST_COMPLETE answer. */
static unsigned complete_kind(const struct cf_script *s, const struct cf_req *r,
			      char *got, size_t n)
{
	const struct cf_echo *e = echo_of(s, r->conn, r->id);
	const struct cf_ctx *ctx = s->ctx;
	struct fcgi_cgi cgi;
	const uint8_t *body;
	size_t blen;
	ssize_t used;
	unsigned kind;

	fcgi_cgi_init(&cgi, NULL, 64 * 1024);
	used = fcgi_cgi_feed(&cgi, r->out.data, r->out.len);
	if (used < 0 || !cgi.done) {
		snprintf(got, n,
			 "END_REQUEST REQUEST_COMPLETE, but %s (%llu bytes "
			 "of STDOUT)",
			 used < 0	     ? "STDOUT is not a CGI response"
			 : r->out_bytes == 0 ? "no STDOUT"
					     : "no end of the CGI header block",
			 (unsigned long long)r->out_bytes);
		fcgi_cgi_fini(&cgi);
		return A_NOCGI;
	}
	body = r->out.data + used;
	blen = r->out.len - (size_t)used;
	if (ctx != NULL && cgi.status != ctx->normal_status) {
		snprintf(got, n,
			 "END_REQUEST REQUEST_COMPLETE with status %d (the "
			 "normal request gets %d)",
			 cgi.status, ctx->normal_status);
		kind = A_STATUS;
	} else if (ctx != NULL && ctx->echo && e != NULL && e->len > 0 &&
		   (blen < e->len ||
		    memcmp(body + blen - e->len, s->expect.data + e->off,
			   e->len) != 0)) {
		snprintf(got, n,
			 "END_REQUEST REQUEST_COMPLETE, status %d, but the "
			 "body does not end with the %zu bytes sent (%zu "
			 "bytes came)",
			 cgi.status, e->len, blen);
		kind = A_BODY;
	} else {
		snprintf(got, n,
			 "END_REQUEST REQUEST_COMPLETE, status %d, appStatus "
			 "%lu",
			 cgi.status, (unsigned long)r->app_status);
		kind = A_OK;
	}
	fcgi_cgi_fini(&cgi);
	return kind;
}

unsigned cf_classify(const struct cf_script *s, const struct cf_outcome *o,
		     uint8_t c, uint16_t id, int gen, char *got, size_t n)
{
	const struct cf_req *r =
		gen < 0 ? cf_outcome_req(o, c, id)
			: cf_outcome_req_gen(o, c, id, (unsigned)gen);
	const struct cf_conn_out *co = &o->conn[c];
	const char *name;

	if (r != NULL && r->ends > 0) {
		switch (r->pstatus) {
		case FCGI_REQUEST_COMPLETE:
			return complete_kind(s, r, got, n);
		case FCGI_CANT_MPX_CONN:
		case FCGI_OVERLOADED:
		case FCGI_UNKNOWN_ROLE:
			name = fcgi_pstatus_name(r->pstatus);
			snprintf(got, n, "END_REQUEST %s", name);
			return r->pstatus == FCGI_CANT_MPX_CONN ? A_CANT_MPX
			       : r->pstatus == FCGI_OVERLOADED	? A_OVERLOADED
							       : A_UNKNOWN_ROLE;
		default:
			snprintf(got, n, "END_REQUEST with protocolStatus %u",
				 (unsigned)r->pstatus);
			return A_BAD_PSTATUS;
		}
	}
	if (co->closed != CL_OPEN) {
		snprintf(got, n,
			 "the connection %s by the server without "
			 "END_REQUEST%s",
			 co->closed == CL_RESET ? "reset" : "closed",
			 r != NULL && r->out_bytes > 0 ? " (after some STDOUT)"
						       : "");
		return A_CLOSED;
	}
	snprintf(got, n, "no END_REQUEST%s; the connection stayed open",
		 r != NULL && r->out_bytes > 0 ? " (some STDOUT came)" : "");
	return A_SILENT;
}

/* ---- verdicts --------------------------------------------------------- */

void cf_verdict_set(struct cf_verdict *v, enum cf_grade g, const char *fmt, ...)
{
	va_list ap;

	if (g < v->grade)
		return;
	if (g == v->grade && v->got[0] != '\0' && g != CF_PASS)
		return; /* keep the first reason of this grade */
	v->grade = g;
	va_start(ap, fmt);
	vsnprintf(v->got, sizeof(v->got), fmt, ap);
	va_end(ap);
}

void cf_judge_answer(struct cf_verdict *v, const struct cf_case *k,
		     const struct cf_script *s, const struct cf_outcome *o,
		     uint8_t c, uint16_t id, unsigned pass, unsigned warn)
{
	char got[240];
	unsigned kind = cf_classify(s, o, c, id, -1, got, sizeof(got));

	if (kind & pass)
		cf_verdict_set(v, CF_PASS, "%s", got);
	else if (kind & warn)
		cf_verdict_set(v, CF_WARN, "%s", got);
	else
		cf_verdict_set(v, cf_level_grade(k->level), "%s", got);
}

/* Violations that the answer classification already covers, or that
 * cannot be judged because our own bytes were not FastCGI. */
static bool ignored(const struct cf_case *k, const struct cf_conn_out *co,
		    const struct cf_viol *d)
{
	if (d->severity == FCGI_SEV_NOTE)
		return true;
	if (d->code == FCGI_V_UNEXPECTED && (k->flags & CF_ANSWERS_OK))
		return true;
	switch (d->code) {
	case FCGI_V_EOF_MID_REQUEST:
	case FCGI_V_CLOSED_KEEP_CONN:
		return true;
	case FCGI_V_NO_BEGIN:
	case FCGI_V_AFTER_END_REQUEST:
	case FCGI_V_UNEXPECTED:
		return co->toapp_stopped;
	default:
		return false;
	}
}

void cf_judge_common(struct cf_verdict *v, const struct cf_case *k,
		     const struct cf_script *s, const struct cf_outcome *o)
{
	char before[sizeof(v->got)];
	const struct cf_conn_out *co;
	const struct cf_viol *d;
	size_t i, j;

	(void)s;
	for (i = 0; i < CF_MAX_CONNS; i++) {
		co = &o->conn[i];
		for (j = 0; j < co->nviol; j++) {
			d = &co->viol[j];
			if (ignored(k, co, d))
				continue;
			memcpy(before, v->got, sizeof(before));
			cf_verdict_set(v,
				       d->severity == FCGI_SEV_SPEC ? CF_FAIL
								    : CF_WARN,
				       "%s; but the answer %s: %s: %s", before,
				       d->severity == FCGI_SEV_SPEC
					       ? "breaks FastCGI 1.0"
					       : "risks interop",
				       fcgi_vcode_name(d->code), d->message);
		}
	}
	if (o->probe_run && !o->probe_ok) {
		memcpy(before, v->got, sizeof(before));
		cf_verdict_set(v, CF_FAIL,
			       "%s; and then a normal request on a new "
			       "connection got: %s",
			       before, o->probe_got);
	}
}

void cf_judge(struct cf_verdict *v, const struct cf_case *k,
	      const struct cf_script *s, const struct cf_outcome *o)
{
	memset(v, 0, sizeof(*v));
	v->grade = CF_PASS;
	if (k->accepts != NULL)
		snprintf(v->expected, sizeof(v->expected), "%s", k->accepts);
	else
		cf_kinds_text(k->pass, v->expected, sizeof(v->expected));
	if (k->judge != NULL)
		k->judge(v, k, s, o);
	else
		cf_judge_answer(v, k, s, o, 0, s->main_id, k->pass, k->warn);
	cf_judge_common(v, k, s, o);
}
