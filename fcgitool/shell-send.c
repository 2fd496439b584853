/* SPDX-License-Identifier: MIT */
/*
 * shell-send.c - fcgitool shell: sending the request through the client
 * library, shown as fcgitool request -i shows it (request-out.c) with
 * the END_REQUEST fields and timings after it; again, repeat, watch and
 * get-values.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shell.h"
#include "util.h"

enum xmode {
	X_SHOW,	  /* as request -i, then a summary line */
	X_VALUES, /* GET_VALUES, as request --get-values */
	X_LINE,	  /* one line per request (repeat) */
	X_VIEW	  /* collected, for comparing (watch) */
};

/* One exchange. */
struct xchg {
	struct shell *sh;
	enum xmode mode;
	const struct request_opts *o;
	struct request_ctx ctx;
	struct request_out *ro;
	const struct fcgi_client_req_cb *out_cb;
	struct fcgi_client_req_cb cb;
	int done;
	int bg;	     /* sent in the background (send -b) */
	int last_nl; /* what was printed ends a line */
	int status;
	int error;
	double total_ms;
	struct fcgi_buf view; /* X_LINE: the line; X_VIEW: the answer */
};

/* ---- the client and its trace ------------------------------------------ */

static void label(char *out, size_t n, unsigned conn)
{
	snprintf(out, n, "c%u", conn);
}

static void tr_record(void *arg, unsigned conn, double ts, enum fcgi_dir dir,
		      const struct fcgi_record *rec)
{
	struct shell *sh = arg;
	char l[16];

	if (!sh->trace_on)
		return;
	label(l, sizeof(l), conn);
	sh_line_hide(sh);
	fcgi_render_record(sh->render, l, ts - sh->trace_t0, dir, rec);
	sh_line_show(sh, 0);
}

static void tr_violation(void *arg, unsigned conn, double ts,
			 const struct fcgi_violation *v)
{
	struct shell *sh = arg;
	char l[16];

	if (!sh->trace_on)
		return;
	label(l, sizeof(l), conn);
	sh_line_hide(sh);
	fcgi_render_violation(sh->render, l, ts - sh->trace_t0, v);
	sh_line_show(sh, 0);
}

/* Connections come and go as the notes say: for the prompt. */
static void follow(struct shell *sh, unsigned conn, const char *what)
{
	char l[16];
	size_t i;

	if (strcmp(what, "connected") == 0) {
		if (sh->nopen < sizeof(sh->open) / sizeof(sh->open[0]))
			sh->open[sh->nopen++] = conn;
	} else if (strcmp(what, "close") == 0 || strcmp(what, "eof") == 0) {
		label(l, sizeof(l), conn);
		fcgi_render_forget(sh->render, l);
		for (i = 0; i < sh->nopen; i++) {
			if (sh->open[i] != conn)
				continue;
			sh->open[i] = sh->open[--sh->nopen];
			sh_line_refresh(sh);
			break;
		}
	}
}

static void tr_note(void *arg, unsigned conn, double ts, const char *what,
		    const char *detail)
{
	struct shell *sh = arg;
	char l[16];

	follow(sh, conn, what);
	if (!sh->trace_on)
		return;
	label(l, sizeof(l), conn);
	sh_line_hide(sh);
	fcgi_render_note(sh->render, l, ts - sh->trace_t0, what, detail);
	sh_line_show(sh, 0);
}

/* A client for the request's connection settings; 0 or -1. */
static int client_for(struct shell *sh, const struct sh_req *rq)
{
	struct fcgi_client_opts co;
	int rc;

	if (sh->client != NULL &&
	    (sh->client_keep != rq->keep_conn ||
	     sh->client_connect_ms != rq->connect_timeout_ms ||
	     sh->client_idle_ms != rq->idle_timeout_ms))
		sh_client_close(sh);
	if (sh->client != NULL)
		return 0;
	sh->trace.on_record = tr_record;
	sh->trace.on_violation = tr_violation;
	sh->trace.on_note = tr_note;
	sh->trace.arg = sh;
	fcgi_client_opts_default(&co);
	co.keep_conn = rq->keep_conn;
	co.connect_timeout_ms = rq->connect_timeout_ms;
	co.idle_timeout_ms = rq->idle_timeout_ms;
	/* An interruption should not keep the user waiting. */
	co.abort_grace_ms = 200;
	co.trace = &sh->trace;
	rc = fcgi_client_new(&sh->client, &sh->loop, &sh->addr, &co);
	if (rc != 0) {
		sh_err(sh, "cannot make a client for '%s': %s", sh->addr_text,
		       fcgi_strerror(rc));
		sh->client = NULL;
		return -1;
	}
	sh->client_keep = rq->keep_conn;
	sh->client_connect_ms = rq->connect_timeout_ms;
	sh->client_idle_ms = rq->idle_timeout_ms;
	return 0;
}

void sh_client_close(struct shell *sh)
{
	if (sh->client == NULL)
		return;
	fcgi_client_free(sh->client);
	sh->client = NULL;
	if (sh->nopen != 0) {
		sh->nopen = 0;
		sh_line_refresh(sh);
	}
}

void sh_client_interrupt(struct shell *sh)
{
	if (sh->client != NULL)
		fcgi_client_abort_all(sh->client, FCGI_ECANCELED);
}

/* ---- what an exchange shows -------------------------------------------- */

static void bprintf(struct fcgi_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void bprintf(struct fcgi_buf *b, const char *fmt, ...)
{
	char tmp[600];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		sh_bput(b, tmp,
			(size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static const char *pstatus(uint8_t ps, char *buf, size_t n)
{
	const char *s = fcgi_pstatus_name(ps);

	if (s != NULL)
		return s;
	snprintf(buf, n, "%u", (unsigned)ps);
	return buf;
}

/* "END_REQUEST appStatus=0 protocolStatus=REQUEST_COMPLETE" or why
 * there was none. */
static void end_fields(struct fcgi_buf *b, const struct fcgi_client_result *r)
{
	char ps[16];

	if (r->ended)
		bprintf(b, "END_REQUEST appStatus=%lu protocolStatus=%s",
			(unsigned long)r->app_status,
			pstatus(r->protocol_status, ps, sizeof(ps)));
	else
		bprintf(b, "no END_REQUEST");
	if (r->error != 0)
		bprintf(b, ": %s", r->error_msg);
	if (r->aborted)
		bprintf(b, " (ABORT_REQUEST sent)");
}

static void timings(struct fcgi_buf *b, const struct fcgi_client_result *r)
{
	if (r->t.first_byte_ms >= 0)
		bprintf(b, "connect %.3f ms, first byte %.3f ms, total %.3f ms",
			r->t.connect_ms, r->t.first_byte_ms, r->t.total_ms);
	else
		bprintf(b, "connect %.3f ms, no answer, total %.3f ms",
			r->t.connect_ms, r->t.total_ms);
}

/* The line after an answer: the END_REQUEST fields and the timings. */
static void summary(struct xchg *x, const struct fcgi_client_result *r)
{
	struct shell *sh = x->sh;
	struct fcgi_buf b;

	fcgi_buf_init(&b, NULL, 0);
	if (!x->last_nl)
		sh_bput(&b, "\n", 1);
	if (sh->color)
		sh_bput(&b, "\033[2m", 4);
	sh_bput(&b, "-- ", 3);
	end_fields(&b, r);
	if (r->headers_done)
		bprintf(&b, "; status %d", r->status);
	bprintf(&b, "; %llu bytes; ", (unsigned long long)r->body_bytes);
	timings(&b, r);
	if (sh->color)
		sh_bput(&b, "\033[0m", 4);
	sh_bput(&b, "\n", 1);
	fwrite(b.data, 1, b.len, sh->out);
	fcgi_buf_fini(&b);
}

/* The collected answer as lines to compare (watch): the timings are
 * left out, they always change. */
static void view(struct fcgi_buf *v, const struct fcgi_client_result *r)
{
	const uint8_t *p, *e, *nl;

	if (r->raw_headers.len != 0)
		sh_bput(v, r->raw_headers.data, r->raw_headers.len);
	sh_bput(v, r->body.data, r->body.len);
	if (r->body.len != 0 && r->body.data[r->body.len - 1] != '\n')
		sh_bput(v, "\n", 1);
	p = r->err.data;
	e = p + r->err.len;
	while (p < e) {
		nl = memchr(p, '\n', (size_t)(e - p));
		bprintf(v, "STDERR: ");
		sh_bput(v, p, (size_t)((nl != NULL ? nl : e) - p));
		sh_bput(v, "\n", 1);
		p = nl != NULL ? nl + 1 : e;
	}
	sh_bput(v, "-- ", 3);
	end_fields(v, r);
	sh_bput(v, "\n", 1);
}

/* ---- the exchange -------------------------------------------------------- */

static void x_headers(struct fcgi_client_req *r,
		      const struct fcgi_client_result *res, void *arg)
{
	struct request_ctx *ctx = arg;
	struct xchg *x = ctx->run;

	sh_line_hide(x->sh);
	if (x->out_cb != NULL && x->out_cb->on_headers != NULL)
		x->out_cb->on_headers(r, res, arg);
	if (res->raw_headers.len != 0)
		x->last_nl = 1;
	sh_line_show(x->sh, !x->last_nl);
}

static void x_body(struct fcgi_client_req *r, const uint8_t *data, size_t len,
		   void *arg)
{
	struct request_ctx *ctx = arg;
	struct xchg *x = ctx->run;

	sh_line_hide(x->sh);
	if (x->out_cb != NULL && x->out_cb->on_body != NULL)
		x->out_cb->on_body(r, data, len, arg);
	if (len != 0)
		x->last_nl = data[len - 1] == '\n';
	sh_line_show(x->sh, !x->last_nl);
}

static void x_stderr(struct fcgi_client_req *r, const uint8_t *data, size_t len,
		     void *arg)
{
	struct request_ctx *ctx = arg;
	struct xchg *x = ctx->run;

	sh_line_hide(x->sh);
	if (x->out_cb != NULL && x->out_cb->on_stderr != NULL)
		x->out_cb->on_stderr(r, data, len, arg);
	sh_line_show(x->sh, len != 0 && data[len - 1] != '\n');
}

static void x_done(struct fcgi_client_req *r,
		   const struct fcgi_client_result *res, void *arg)
{
	struct request_ctx *ctx = arg;
	struct xchg *x = ctx->run;
	char ps[16];

	(void)r;
	x->error = res->error;
	x->total_ms = res->t.total_ms;
	sh_line_hide(x->sh);
	switch (x->mode) {
	case X_SHOW:
	case X_VALUES:
		if (x->mode == X_SHOW)
			summary(x, res);
		/* Messages, the status; the request is freed there. */
		request_out_done(x->ro, ctx);
		x->status = ctx->status;
		break;
	case X_LINE:
		x->status = request_status(x->o, res, 0);
		if (res->error != 0)
			bprintf(&x->view, "%s", res->error_msg);
		else
			bprintf(&x->view,
				"status %d, appStatus %lu, %s, %llu bytes",
				res->status, (unsigned long)res->app_status,
				pstatus(res->protocol_status, ps, sizeof(ps)),
				(unsigned long long)res->body_bytes);
		bprintf(&x->view, ", %.3f ms", res->t.total_ms);
		break;
	case X_VIEW:
		x->status = request_status(x->o, res, 0);
		view(&x->view, res);
		break;
	}
	if (x->mode == X_LINE || x->mode == X_VIEW) {
		fcgi_client_req_free(ctx->req);
		ctx->req = NULL;
	}
	x->done = 1;
	if (x->bg) {
		/* The rest of what exchange() does after its wait. */
		x->sh->status = x->status;
		x->sh->inflight = NULL;
		x->sh->trace_on = 0;
		fflush(x->sh->out);
	}
	sh_line_show(x->sh, 0);
}

/*
 * Send the built request b (or a GET_VALUES query for names) and wait
 * for its end; ^C aborts it.  Returns its exit status, with x->view
 * filled for X_LINE and X_VIEW, or -1 when it could not be sent.
 */
static int exchange(struct shell *sh, struct xchg *x, struct sh_built *b,
		    const struct sh_req *rq, int verbose,
		    const struct fcgi_params *names)
{
	struct fcgi_client_req_opts ropts;
	int rc;

	if (client_for(sh, rq) != 0)
		return -1;
	x->sh = sh;
	x->o = &b->o;
	x->last_nl = 1;
	fcgi_buf_init(&x->view, NULL, 0);
	memset(&x->ctx, 0, sizeof(x->ctx));
	x->ctx.run = x;
	if (x->mode == X_SHOW || x->mode == X_VALUES) {
		b->o.get_values = x->mode == X_VALUES;
		x->ro = request_out_new(&b->o, sh->out, sh->addr_text);
		x->ctx.ro = x->ro;
		request_out_set(x->ro, sh->client, &x->ctx, 1);
		x->out_cb = request_out_cb();
	}
	x->cb.on_headers = x_headers;
	x->cb.on_body = x_body;
	x->cb.on_stderr = x_stderr;
	x->cb.on_done = x_done;
	fcgi_client_req_opts_default(&ropts);
	ropts.role = rq->role;
	ropts.params = &b->params;
	if (b->in.present)
		ropts.in = b->in.body;
	if (b->data.present)
		ropts.data = b->data.body;
	ropts.get_values = names;
	ropts.timeout_ms = rq->max_time_ms;
	/* Servers that do not know GET_VALUES often say nothing at all. */
	if (names != NULL && ropts.timeout_ms == 0)
		ropts.timeout_ms = 5000;
	ropts.collect = x->mode == X_VIEW;
	ropts.cb = &x->cb;
	ropts.arg = &x->ctx;
	rc = fcgi_client_req_new(&x->ctx.req, sh->client, &ropts);
	if (rc == 0)
		rc = fcgi_client_process(x->ctx.req);
	if (rc != 0) {
		sh_err(sh, "cannot send the request: %s", fcgi_strerror(rc));
		fcgi_client_req_free(x->ctx.req);
		request_out_free(x->ro);
		x->ro = NULL;
		return -1;
	}
	sh->trace_on = verbose;
	sh->trace_t0 = fcgi_client_elapsed(sh->client);
	sh->inflight = x->ctx.req;
	if (x->bg)
		return 0;
	sh_wait_flag(sh, &x->done);
	sh->inflight = NULL;
	sh->trace_on = 0;
	request_out_free(x->ro);
	x->ro = NULL;
	fflush(sh->out);
	return x->status;
}

/* ---- the commands ---------------------------------------------------------- */

/* [-v] ([-b] when background is given) and then between min and max
 * operands; no request may be in flight in the background. the index of the first operand, or
 * -1 after saying why. */
static int flags(struct shell *sh, const struct sh_words *w, int *verbose,
		 int *background, size_t min, size_t max)
{
	const struct sh_cmd *c = sh_cmd_find(w->v[0].s);
	size_t i = 1;

	*verbose = sh->verbose;
	if (sh_bg_busy(sh, c->name) != 0)
		return -1;
	for (; i < w->n && !w->v[i].lit && w->v[i].s[0] == '-'; i++) {
		if (strcmp(w->v[i].s, "-v") == 0) {
			*verbose = 1;
			continue;
		}
		if (background != NULL && strcmp(w->v[i].s, "-b") == 0) {
			*background = 1;
			continue;
		}
		if (strcmp(w->v[i].s, "--") == 0) {
			i++;
			break;
		}
		sh_err(sh, "%s: unknown option '%s'; usage: %s %s", c->name,
		       w->v[i].s, c->name, c->args);
		return -1;
	}
	if (w->n - i < min || w->n - i > max) {
		sh_err(sh, "%s: %s; usage: %s %s", c->name,
		       w->n - i < min ? "missing argument"
				      : "too many arguments",
		       c->name, c->args);
		return -1;
	}
	return (int)i;
}

/* ---- in the background (send -b) ---------------------------------------- */

/* What a background request needs until it is done: its bodies are
 * borrowed by the client. */
struct sh_bg {
	struct xchg x;
	struct sh_built b;
};

void sh_bg_reap(struct shell *sh)
{
	struct sh_bg *bg = sh->bg;

	if (bg == NULL || !bg->x.done)
		return;
	request_out_free(bg->x.ro);
	fcgi_buf_fini(&bg->x.view);
	sh_built_free(&bg->b);
	free(bg);
	sh->bg = NULL;
}

int sh_bg_busy(struct shell *sh, const char *cmd)
{
	sh_bg_reap(sh);
	if (sh->bg == NULL)
		return 0;
	sh_err(sh,
	       "%s: a request is in flight in the background; wait or "
	       "abort first",
	       cmd);
	return -1;
}

int sh_bg_abort(struct shell *sh)
{
	struct sh_bg *bg = sh->bg;

	if (bg == NULL || bg->x.done) {
		sh_bg_reap(sh);
		return 0;
	}
	fcgi_client_abort(bg->x.ctx.req, FCGI_ECANCELED);
	sh_wait_flag(sh, &bg->x.done);
	sh_bg_reap(sh);
	return 1;
}

void sh_bg_finish(struct shell *sh, int abort)
{
	if (sh->bg == NULL)
		return;
	if (abort) {
		sh_bg_abort(sh);
		return;
	}
	/* ^C meanwhile aborts it (on_sigint); it ends all the same. */
	sh_wait_flag(sh, &sh->bg->x.done);
	sh_bg_reap(sh);
}

int sh_cmd_wait(struct shell *sh, const struct sh_words *w)
{
	uint64_t ms = 0;
	int rc;

	if (sh_nargs(sh, w, 0, 1) != 0)
		return -1;
	if (w->n == 2 && parse_seconds_ms(w->v[1].s, &ms) != 0) {
		sh_err(sh, "wait: bad time '%s': expected seconds", w->v[1].s);
		return -1;
	}
	sh_journal(sh, w, NULL);
	sh_bg_reap(sh);
	if (sh->bg == NULL) {
		sh_err(sh, "wait: nothing is in flight");
		return 0;
	}
	rc = sh_wait(sh, &sh->bg->x.done, ms);
	if (rc < 0)
		/* ^C aborted it: its end is near (abort_grace_ms). */
		sh_wait_flag(sh, &sh->bg->x.done);
	else if (rc == 0)
		fprintf(sh->out, "-- still in flight after %s s\n", w->v[1].s);
	sh_bg_reap(sh);
	return 0;
}

/* Send rq in the background: the answer prints as it comes. */
static int send_bg(struct shell *sh, const struct sh_req *rq, int verbose)
{
	struct sh_bg *bg = calloc(1, sizeof(*bg));
	int rc;

	if (bg == NULL)
		die(EXIT_IO, "out of memory");
	rc = sh_req_build(rq, sh->address, &bg->b);
	if (rc == 0) {
		bg->x.mode = X_SHOW;
		bg->x.bg = 1;
		rc = exchange(sh, &bg->x, &bg->b, rq, verbose, NULL);
	}
	if (rc != 0) {
		sh_built_free(&bg->b);
		free(bg);
		return -1;
	}
	sh->bg = bg;
	return 0;
}

/* Send rq as send does; remembers it for again. */
static int send_one(struct shell *sh, const struct sh_req *rq, int verbose,
		    int background)
{
	struct sh_built b;
	struct xchg x;
	int rc;

	rc = sh_req_build(rq, sh->address, &b);
	if (rc != 0) {
		sh_built_free(&b);
		return -1;
	}
	if (rq != &sh->last) {
		if (sh->have_last)
			sh_req_fini(&sh->last);
		sh_req_copy(&sh->last, rq);
		sh->have_last = 1;
	}
	if (background) {
		sh_built_free(&b);
		send_bg(sh, rq, verbose);
		return 0;
	}
	memset(&x, 0, sizeof(x));
	x.mode = X_SHOW;
	rc = exchange(sh, &x, &b, rq, verbose, NULL);
	fcgi_buf_fini(&x.view);
	sh_built_free(&b);
	if (rc < 0)
		return 0;
	sh->status = rc;
	return 0;
}

int sh_cmd_send(struct shell *sh, const struct sh_words *w)
{
	int verbose, background = 0;

	if (flags(sh, w, &verbose, &background, 0, 0) < 0)
		return -1;
	sh_journal(sh, w, &sh->req);
	return send_one(sh, &sh->req, verbose, background);
}

int sh_cmd_again(struct shell *sh, const struct sh_words *w)
{
	int verbose;

	if (flags(sh, w, &verbose, NULL, 0, 0) < 0)
		return -1;
	if (!sh->have_last) {
		sh_err(sh, "again: nothing was sent yet");
		return -1;
	}
	sh_journal(sh, w, &sh->last);
	return send_one(sh, &sh->last, verbose, 0);
}

int sh_cmd_repeat(struct shell *sh, const struct sh_words *w)
{
	struct sh_built b;
	struct xchg x;
	unsigned long n, i, ok = 0;
	double min = 0, max = 0, sum = 0;
	int verbose, k, rc, worst = 0;

	k = flags(sh, w, &verbose, NULL, 1, 1);
	if (k < 0)
		return -1;
	if (parse_ulong(w->v[k].s, 1, 1000000, &n) != 0) {
		sh_err(sh, "repeat: bad count '%s': expected 1 to 1000000",
		       w->v[k].s);
		return -1;
	}
	rc = sh_req_build(&sh->req, sh->address, &b);
	if (rc != 0) {
		sh_built_free(&b);
		return -1;
	}
	sh_journal(sh, w, &sh->req);
	if (sh->have_last)
		sh_req_fini(&sh->last);
	sh_req_copy(&sh->last, &sh->req);
	sh->have_last = 1;
	for (i = 0; i < n && !sh->interrupted; i++) {
		/* A body read from a pipe is read once. */
		if (i > 0 && b.in.present && b.in.size < 0)
			break;
		memset(&x, 0, sizeof(x));
		x.mode = X_LINE;
		rc = exchange(sh, &x, &b, &sh->req, verbose, NULL);
		if (rc < 0) {
			fcgi_buf_fini(&x.view);
			break;
		}
		fprintf(sh->out, "#%lu %.*s\n", i + 1, (int)x.view.len,
			(const char *)x.view.data);
		fcgi_buf_fini(&x.view);
		if (rc > worst)
			worst = rc;
		if (rc == EXIT_OK)
			ok++;
		if (i == 0 || x.total_ms < min)
			min = x.total_ms;
		if (i == 0 || x.total_ms > max)
			max = x.total_ms;
		sum += x.total_ms;
		/* As request -n: after these, the rest is not sent. */
		if (x.error == FCGI_ETIMEDOUT || x.error == FCGI_ECANCELED ||
		    x.error == FCGI_ECONNECT) {
			i++;
			break;
		}
	}
	if (i > 0) {
		fprintf(sh->out,
			"%lu requests, %lu ok; total min %.3f ms, avg %.3f "
			"ms, max %.3f ms\n",
			i, ok, min, sum / (double)i, max);
		sh->status = worst;
	}
	sh_built_free(&b);
	return 0;
}

/* ---- for watch ------------------------------------------------------------ */

int sh_send_view(struct shell *sh, struct sh_built *b, struct fcgi_buf *view)
{
	struct xchg x;
	int rc;

	memset(&x, 0, sizeof(x));
	x.mode = X_VIEW;
	rc = exchange(sh, &x, b, &sh->req, 0, NULL);
	if (rc < 0) {
		fcgi_buf_fini(&x.view);
		return -1;
	}
	*view = x.view;
	return rc;
}

int sh_cmd_get_values(struct shell *sh, const struct sh_words *w)
{
	struct fcgi_params names;
	struct sh_built b;
	struct xchg x;
	size_t i;
	int rc;

	if (sh_bg_busy(sh, "get-values") != 0)
		return -1;
	fcgi_params_init(&names, NULL);
	for (i = 1; i < w->n; i++)
		if (fcgi_params_add(&names, w->v[i].s, w->v[i].len, "", 0) != 0)
			die(EXIT_IO, "out of memory");
	if (w->n == 1) {
		fcgi_params_add(&names, "FCGI_MAX_CONNS", 14, "", 0);
		fcgi_params_add(&names, "FCGI_MAX_REQS", 13, "", 0);
		fcgi_params_add(&names, "FCGI_MPXS_CONNS", 15, "", 0);
	}
	/* No params are sent, but the request's settings (timeouts, the
	 * connection) apply. */
	memset(&b, 0, sizeof(b));
	b.in.fd = b.data.fd = -1;
	fcgi_params_init(&b.params, NULL);
	b.o.address = sh->address;
	b.o.uri = sh->req.uri;
	b.o.count = 1;
	b.o.mpx = 1;
	sh_journal(sh, w, NULL);
	memset(&x, 0, sizeof(x));
	x.mode = X_VALUES;
	rc = exchange(sh, &x, &b, &sh->req, sh->verbose, &names);
	fcgi_buf_fini(&x.view);
	sh_built_free(&b);
	fcgi_params_fini(&names);
	if (rc >= 0)
		sh->status = rc;
	return 0;
}
