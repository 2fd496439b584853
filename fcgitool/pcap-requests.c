/* SPDX-License-Identifier: MIT */
/*
 * pcap-requests.c - fcgitool pcap --requests and --errors: each request
 * stitched together from the events of its records, whatever packets
 * they came in, and printed once it ends (or its connection does).
 */
#include <stdlib.h>
#include <string.h>

#include "pcap.h"
#include "util.h"

#define CGI_HEADERS_MAX (64 * 1024)

void preq_open_conn(struct pv_ctx *x, struct cap_conn *c)
{
	struct pv_conn *pc = calloc(1, sizeof(*pc));

	c->user = pc;
	if (pc == NULL) {
		warn("out of memory; the requests of %s are not shown",
		     c->label);
		return;
	}
	TAILQ_INIT(&pc->reqs);
	pc->followed =
		x->view == VIEW_FOLLOW && strcmp(x->follow_conn, c->label) == 0;
}

static struct preq *find(struct pv_conn *pc, uint16_t id)
{
	struct preq *r;

	TAILQ_FOREACH(r, &pc->reqs, link)
	if (r->id == id)
		return r;
	return NULL;
}

static struct preq *req_new(struct pv_ctx *x, struct cap_conn *c,
			    struct pv_conn *pc, uint16_t id, uint16_t role)
{
	struct preq *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		warn("out of memory; a request of %s is not shown", c->label);
		return NULL;
	}
	r->pc = pc;
	r->id = id;
	r->seq = ++pc->nreq;
	r->packet = c->packet;
	r->start = c->ts;
	r->ttfb = -1;
	r->role = role;
	/* Role 0: the conn adopted it after a gap, its start unseen. */
	r->partial = role == 0;
	fcgi_cgi_init(&r->cgi, NULL, CGI_HEADERS_MAX);
	r->selected = pc->followed && pv_follow_match(x, c, id);
	TAILQ_INSERT_TAIL(&pc->reqs, r, link);
	return r;
}

static void add_finding(struct preq *r, const char *code, bool serious)
{
	if (serious)
		r->serious++;
	for (unsigned i = 0; i < r->nfindings; i++)
		if (strcmp(r->findings[i], code) == 0)
			return;
	if (r->nfindings < PCAP_FINDINGS_MAX)
		r->findings[r->nfindings++] = code;
	else
		r->more_findings++;
}

bool preq_failed(const struct preq *r)
{
	return r->status >= 500 ||
	       (r->ended && (r->app_status != 0 || r->pstatus != 0)) ||
	       r->serious > 0;
}

/* Bytes of a param, kept up to n - 1 (always NUL-terminated: the
 * length is strlen, so a NUL in a value cuts it short). */
static void keep(char *out, size_t n, const struct fcgi_params *p,
		 const char *const *names)
{
	struct fcgi_nv nv;
	size_t k;

	out[0] = '\0';
	for (; *names != NULL; names++) {
		if (!fcgi_params_gets(p, *names, &nv) || nv.value_len == 0)
			continue;
		k = nv.value_len < n - 1 ? nv.value_len : n - 1;
		memcpy(out, nv.value, k);
		out[k] = '\0';
		return;
	}
}

static void on_params(struct preq *r, const struct fcgi_params *p)
{
	static const char *const method[] = { "REQUEST_METHOD", NULL };
	static const char *const script[] = { "SCRIPT_FILENAME", "SCRIPT_NAME",
					      NULL };
	static const char *const uri[] = { "REQUEST_URI", "DOCUMENT_URI",
					   NULL };

	keep(r->method, sizeof(r->method), p, method);
	keep(r->script, sizeof(r->script), p, script);
	keep(r->uri, sizeof(r->uri), p, uri);
}

static void on_stdout(struct preq *r, double ts, const uint8_t *d, size_t n)
{
	ssize_t used;

	if (n == 0)
		return;
	/* A capture that had the answer before the question gives 0. */
	if (r->ttfb < 0)
		r->ttfb = ts > r->start ? ts - r->start : 0;
	r->out += n;
	if (r->cgi.done || r->cgi.err != 0)
		return;
	used = fcgi_cgi_feed(&r->cgi, d, n);
	if (used >= 0 && r->cgi.done) {
		r->status = r->cgi.status;
		r->body_known = true;
		r->body_from = r->out - n + (uint64_t)used;
	}
}

static void on_stderr(struct preq *r, const uint8_t *d, size_t n)
{
	size_t i, k = strlen(r->err_first);

	for (i = 0; i < n; i++) {
		if (d[i] == '\n') {
			r->err_lines++;
			r->err_first_done = true;
			continue;
		}
		if (!r->err_first_done && d[i] != '\r' &&
		    k + 1 < sizeof(r->err_first) && d[i] != '\0')
			r->err_first[k++] = (char)d[i];
	}
	r->err_first[k] = '\0';
	if (n > 0)
		r->err_mid_line = d[n - 1] != '\n';
	r->err += n;
}

/*
 * A request's text line, built in memory and written with one fwrite:
 * printf per field was most of --requests' time.  The longest line (every
 * field escaped at 4 bytes a byte, eight findings) is well within it; a
 * line that would not fit is cut, never overrun.
 */
struct line {
	size_t n;
	char b[8192];
};

static void l_put(struct line *l, const char *s, size_t n)
{
	if (n > sizeof(l->b) - l->n)
		n = sizeof(l->b) - l->n;
	memcpy(l->b + l->n, s, n);
	l->n += n;
}

static void l_puts(struct line *l, const char *s)
{
	l_put(l, s, strlen(s));
}

/* The decimal digits of v, as printf's %llu (and %d with neg). */
static void l_dec(struct line *l, uint64_t v, bool neg)
{
	char tmp[24], *p = tmp + sizeof(tmp);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	if (neg)
		*--p = '-';
	l_put(l, p, (size_t)(tmp + sizeof(tmp) - p));
}

/* v as printf's "%.*f" with places digits. */
static void l_fixed(struct line *l, double v, unsigned places)
{
	char tmp[512];

	l_put(l, tmp, fcgi_fmt_fixed(tmp, sizeof(tmp), v, places));
}

/* " key=value" with the value escaped. */
static void put_escaped(struct line *l, const char *key, const char *v)
{
	char esc[4 * 512 + 1];

	l_put(l, " ", 1);
	if (key[0] != '\0') {
		l_puts(l, key);
		l_put(l, "=", 1);
	}
	l_put(l, esc,
	      fcgi_escape(esc, sizeof(esc), (const uint8_t *)v, strlen(v)));
}

static void print_text(struct pv_ctx *x, const struct cap_conn *c,
		       const struct preq *r)
{
	const char *ps = fcgi_pstatus_name(r->pstatus);
	struct line l;

	l.n = 0;
	l_fixed(&l, r->end, 6);
	l_put(&l, " ", 1);
	l_puts(&l, c->label);
	l_puts(&l, " request id=");
	l_dec(&l, r->id, false);
	put_escaped(&l, "", r->method[0] ? r->method : "-");
	put_escaped(&l, "", r->script[0] ? r->script : "-");
	if (r->uri[0])
		put_escaped(&l, "uri", r->uri);
	if (r->status != 0) {
		l_puts(&l, " status=");
		l_dec(&l,
		      r->status < 0 ? (uint64_t)0 - (uint64_t)r->status
				    : (uint64_t)r->status,
		      r->status < 0);
	} else {
		l_puts(&l, " status=-");
	}
	l_puts(&l, " stdin=");
	l_dec(&l, r->in, false);
	l_puts(&l, " stdout=");
	l_dec(&l, r->out, false);
	l_puts(&l, " stderr=");
	l_dec(&l, r->err, false);
	l_puts(&l, " stderr-lines=");
	l_dec(&l, r->err_lines + (r->err_mid_line ? 1 : 0), false);
	if (r->ended) {
		l_puts(&l, " app-status=");
		l_dec(&l, r->app_status, false);
		if (ps != NULL) {
			l_put(&l, " ", 1);
			l_puts(&l, ps);
		} else {
			l_puts(&l, " protocol-status=");
			l_dec(&l, r->pstatus, false);
		}
	} else {
		l_puts(&l, " unfinished");
	}
	if (r->ttfb >= 0) {
		l_puts(&l, " ttfb=");
		l_fixed(&l, r->ttfb * 1e3, 3);
		l_puts(&l, "ms");
	} else {
		l_puts(&l, " ttfb=-");
	}
	l_puts(&l, " total=");
	l_fixed(&l, (r->end - r->start) * 1e3, 3);
	l_puts(&l, "ms");
	if (r->partial)
		l_puts(&l, " partial");
	if (r->aborted)
		l_puts(&l, " aborted");
	for (unsigned i = 0; i < r->nfindings; i++) {
		l_puts(&l, i == 0 ? " findings=" : ",");
		l_puts(&l, r->findings[i]);
	}
	if (r->more_findings > 0) {
		l_puts(&l, ",+");
		l_dec(&l, r->more_findings, false);
	}
	if (r->err_first[0])
		put_escaped(&l, "stderr", r->err_first);
	l_put(&l, "\n", 1);
	fwrite(l.b, 1, l.n, x->out);
}

/* "key":"text" with the text escaped as in the text format, as proxy
 * writes its requests' method and script. */
static void json_escaped(struct fcgi_json *j, const char *key, const char *v)
{
	char esc[4 * 512 + 1];

	fcgi_escape(esc, sizeof(esc), (const uint8_t *)v, strlen(v));
	fcgi_json_str(j, key, esc);
}

static void print_json(struct pv_ctx *x, const struct cap_conn *c,
		       const struct preq *r)
{
	const char *ps = fcgi_pstatus_name(r->pstatus);
	double end = r->end;
	struct fcgi_json *j;

	j = fcgi_render_obj_begin(x->render, c->label, end, "request");
	fcgi_json_uint(j, "id", r->id);
	fcgi_json_uint(j, "seq", r->seq);
	fcgi_json_uint(j, "packet", r->packet);
	fcgi_json_double(j, "start", pv_us(r->start));
	json_escaped(j, "method", r->method);
	json_escaped(j, "script", r->script);
	json_escaped(j, "uri", r->uri);
	if (r->status != 0)
		fcgi_json_int(j, "status", r->status);
	else
		fcgi_json_null(j, "status");
	fcgi_json_uint(j, "stdinBytes", r->in);
	fcgi_json_uint(j, "stdoutBytes", r->out);
	fcgi_json_uint(j, "stderrBytes", r->err);
	fcgi_json_uint(j, "stderrLines",
		       r->err_lines + (r->err_mid_line ? 1 : 0));
	if (r->err_first[0])
		json_escaped(j, "stderr", r->err_first);
	fcgi_json_bool(j, "ended", r->ended);
	if (r->ended) {
		fcgi_json_uint(j, "appStatus", r->app_status);
		if (ps != NULL)
			fcgi_json_str(j, "protocolStatus", ps);
		fcgi_json_uint(j, "protocolStatusCode", r->pstatus);
	}
	fcgi_json_bool(j, "partial", r->partial);
	fcgi_json_bool(j, "aborted", r->aborted);
	if (r->ttfb >= 0)
		fcgi_json_double(j, "ttfbMs", pv_ms(r->ttfb));
	else
		fcgi_json_null(j, "ttfbMs");
	fcgi_json_double(j, "totalMs", pv_ms(end - r->start));
	fcgi_json_arr_open(j, "findings");
	for (unsigned i = 0; i < r->nfindings; i++)
		fcgi_json_str(j, NULL, r->findings[i]);
	fcgi_json_arr_close(j);
	fcgi_render_obj_end(x->render);
}

/* The request is over (or its connection is): show it, count it, and
 * forget it. */
static void req_done(struct pv_ctx *x, struct cap_conn *c, struct preq *r)
{
	struct pv_conn *pc = r->pc;

	if (!r->ended)
		r->end = c->ts > r->start ? c->ts : r->start;
	switch (x->view) {
	case VIEW_ERRORS:
	case VIEW_REQUESTS:
		if (x->view == VIEW_ERRORS && !preq_failed(r))
			break;
		x->listed++;
		if (x->json)
			print_json(x, c, r);
		else
			print_text(x, c, r);
		break;
	case VIEW_STATS:
		pv_stats_request(x, c, r);
		break;
	case VIEW_FOLLOW:
		if (r->selected)
			pv_follow_end(x, c, r);
		break;
	default:
		break;
	}
	TAILQ_REMOVE(&pc->reqs, r, link);
	fcgi_cgi_fini(&r->cgi);
	free(r);
}

void preq_event(struct pv_ctx *x, struct cap_conn *c,
		const struct fcgi_event *ev)
{
	struct pv_conn *pc = c->user;
	struct preq *r;

	if (pc == NULL || ev->type == FCGI_EV_CLOSE ||
	    ev->request_id == FCGI_NULL_REQUEST_ID)
		return;
	r = find(pc, ev->request_id);
	if (ev->type == FCGI_EV_BEGIN) {
		if (r != NULL) {
			/* A new request where one was open: the end of
			 * the old one was lost in a gap. */
			add_finding(r, "gap", true);
			req_done(x, c, r);
		}
		r = req_new(x, c, pc, ev->request_id, ev->role);
		if (r != NULL)
			r->flags = ev->flags;
		return;
	}
	if (r == NULL)
		r = req_new(x, c, pc, ev->request_id, 0);
	if (r == NULL)
		return;
	switch (ev->type) {
	case FCGI_EV_PARAMS:
		on_params(r, ev->params);
		if (r->selected)
			pv_follow_params(x, c, r, ev->params);
		return;
	case FCGI_EV_STDIN:
		r->in += ev->len;
		break;
	case FCGI_EV_STDOUT:
		on_stdout(r, c->ts, ev->data, ev->len);
		break;
	case FCGI_EV_STDERR:
		on_stderr(r, ev->data, ev->len);
		break;
	case FCGI_EV_DATA:
		break;
	case FCGI_EV_ABORT:
		r->aborted = true;
		return;
	case FCGI_EV_END:
		r->ended = true;
		r->end = c->ts > r->start ? c->ts : r->start;
		r->app_status = ev->app_status;
		r->pstatus = ev->protocol_status;
		req_done(x, c, r);
		return;
	default:
		return;
	}
	if (r->selected)
		pv_follow_data(x, c, r, ev->type, ev->data, ev->len);
}

void preq_finding(struct pv_ctx *x, struct cap_conn *c, uint16_t id,
		  const char *code, bool serious)
{
	struct pv_conn *pc = c->user;
	struct preq *r;

	(void)x;
	if (pc == NULL)
		return;
	if (id != FCGI_NULL_REQUEST_ID) {
		r = find(pc, id);
		if (r != NULL)
			add_finding(r, code, serious);
		return;
	}
	/* About the connection: every request open on it. */
	TAILQ_FOREACH(r, &pc->reqs, link)
	add_finding(r, code, serious);
}

void preq_close_conn(struct pv_ctx *x, struct cap_conn *c, const char *why)
{
	struct pv_conn *pc = c->user;
	struct preq *r;

	if (pc == NULL)
		return;
	while ((r = TAILQ_FIRST(&pc->reqs)) != NULL) {
		if (strcmp(why, "idle") == 0 || strcmp(why, "evicted") == 0)
			add_finding(r, "evicted", true);
		req_done(x, c, r);
	}
	free(pc);
	c->user = NULL;
}
