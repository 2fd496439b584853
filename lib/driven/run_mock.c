/* SPDX-License-Identifier: MIT */
/*
 * run_mock.c - the scripted runner behind serve --mock: for each request it
 * asks a responder (mock/) for a play, plain data, and plays it step by
 * step on the loop: records framed as the steps say, crafted bytes, delays
 * and paces on one timer, closes and resets, or the request handed to the
 * function or process runner.  Everything goes out through on_raw, so the
 * wire carries exactly what the steps say.
 */
#include <stdio.h>
#include <string.h>

#include "driven.h"

#define BODY_MAX_DEFAULT (16u << 20)

enum mstate {
	M_DECIDING = 1, /* no play yet: the body will decide */
	M_WAIT_BODY,	/* a play that starts once the body is complete */
	M_PLAYING,
	M_HANGING,   /* nothing more to send: waiting for the end */
	M_DELEGATED, /* another runner has the request */
	M_ENDING,    /* on_done is due on the timer */
	M_DONE
};

struct mock_runner {
	struct fcgi_mock_responder resp;
	struct fcgi_mock_runner_opts o;
};

struct mrun {
	struct fcgi_run run; /* first: the server sees this */
	struct mock_runner *mr;
	uv_loop_t *loop;
	const struct fcgi_run_cbs *cb;
	void *arg;
	uint64_t kill_grace_ms;
	enum mstate st;
	struct fcgi_mock_req req;
	char label[32];
	struct fcgi_params params;
	struct fcgi_buf body;
	struct fcgi_sha256 sha;
	const struct fcgi_mock_play *play;
	size_t step;
	/* The bytes of the current step being written: a record framed
	 * from a STREAM step (in rec), or a WRITE step's data. */
	const uint8_t *cur;
	size_t cur_len, cur_off;
	uint64_t src_off; /* STREAM: source bytes framed so far */
	bool src_done;	  /* STREAM: its last record is framed */
	struct fcgi_buf rec;
	/* The pace of writes. */
	uint64_t pace_n, pace_ms, pace_rate, rate_us;
	enum fcgi_mock_abort on_abort;
	uint64_t abort_ms;
	bool paused, aborted, answered;
	uint32_t app_status;
	uint8_t protocol_status;
	struct fcgi_timer timer;
	/* DELEGATE */
	struct fcgi_runner *sub;
	struct fcgi_run *subrun;
	struct fcgi_params subparams;
	const char *fail_why; /* a request that could not be handed over */
};

static void pump(struct mrun *r);
static const struct fcgi_run_ops mock_run_ops;
static void write_failure(struct mrun *r);

static const struct fcgi_mem *mem_of(const struct mrun *r)
{
	return r->mr->o.mem;
}

/* The run is over: the responder hears of it, then the server. */
static void finish(struct mrun *r)
{
	if (r->st == M_DONE)
		return;
	r->st = M_DONE;
	fcgi_timer_stop(&r->timer);
	r->req.end_ms = fcgi_now_ms(r->loop);
	r->req.answered = r->answered;
	r->mr->resp.end(r->mr->resp.arg, &r->req);
	/* The server may destroy r from inside on_done. */
	r->cb->on_done(r->arg, r->app_status, r->protocol_status);
}

/* Call on_done from the loop, ms from now (at least a turn later). */
static void end_in(struct mrun *r, uint64_t ms)
{
	if (r->st == M_DONE || r->st == M_ENDING)
		return;
	r->st = M_ENDING;
	fcgi_timer_arm(&r->timer, ms > 0 ? ms : 1);
}

static void on_timer(struct fcgi_timer *t)
{
	struct mrun *r = t->data;

	if (r->st == M_ENDING) {
		if (r->fail_why != NULL && !r->aborted)
			write_failure(r);
		finish(r);
	} else if (r->st == M_PLAYING)
		pump(r);
}

/* Continue playing on the next loop turn, unless a delay or a pace has
 * the timer already. */
static void kick(struct mrun *r)
{
	if (r->st == M_PLAYING && !r->paused && !r->timer.armed)
		fcgi_timer_arm(&r->timer, 1);
}

/* ---- framing ---- */

/* Byte i of a STREAM step's source: its data, then the generated line. */
static void source(const struct fcgi_mock_step *s, uint64_t off, uint8_t *out,
		   size_t n)
{
	static const char line[] = FCGI_MOCK_GEN_LINE;
	size_t k = 0;

	if (off < s->len) {
		k = (size_t)(s->len - off) < n ? (size_t)(s->len - off) : n;
		memcpy(out, s->data + off, k);
	}
	for (; k < n; k++)
		out[k] = (uint8_t)line[(off + k - s->len) % 64];
}

/* Frame the next record of STREAM step s into r->rec.  0 or FCGI_ENOMEM. */
static int frame(struct mrun *r, const struct fcgi_mock_step *s)
{
	uint64_t total = s->len + s->gen, left = total - r->src_off;
	size_t clen = left < s->record_size ? (size_t)left : s->record_size;
	struct fcgi_header h;
	uint8_t pad;
	int rc;

	pad = s->padding < 0 ? fcgi_padding_for(clen, 8) : (uint8_t)s->padding;
	h.version = s->version;
	h.type = s->type;
	h.request_id = s->request_id;
	h.content_length = (uint16_t)clen;
	h.padding_length = pad;
	h.reserved = 0;
	fcgi_buf_reset(&r->rec);
	rc = fcgi_buf_reserve(&r->rec, FCGI_HEADER_LEN + clen + pad);
	if (rc != 0)
		return rc;
	fcgi_header_encode(r->rec.data, &h);
	source(s, r->src_off, r->rec.data + FCGI_HEADER_LEN, clen);
	memset(r->rec.data + FCGI_HEADER_LEN + clen, 0, pad);
	r->rec.len = FCGI_HEADER_LEN + clen + pad;
	r->src_off += clen;
	r->src_done = r->src_off == total;
	r->cur = r->rec.data;
	r->cur_len = r->rec.len;
	r->cur_off = 0;
	return 0;
}

/* Write up to n bytes of the current chunk. */
static void put(struct mrun *r, size_t n)
{
	if (n > r->cur_len - r->cur_off)
		n = r->cur_len - r->cur_off;
	r->cb->on_raw(r->arg, r->cur + r->cur_off, n);
	r->cur_off += n;
}

/* The rest of a record begun, so that what the server adds after an
 * abort starts on a record boundary. */
static void flush_partial(struct mrun *r)
{
	if (r->cur != NULL && r->cur_off > 0 && r->cur_off < r->cur_len)
		put(r, r->cur_len - r->cur_off);
}

/* ---- delegating ---- */

static void sub_stdout(void *arg, const uint8_t *d, size_t n)
{
	struct mrun *r = arg;

	r->cb->on_stdout(r->arg, d, n);
}

static void sub_stderr(void *arg, const uint8_t *d, size_t n)
{
	struct mrun *r = arg;

	r->cb->on_stderr(r->arg, d, n);
}

static void sub_drained(void *arg)
{
	struct mrun *r = arg;

	r->cb->on_stdin_drained(r->arg);
}

static void sub_raw(void *arg, const uint8_t *d, size_t n)
{
	struct mrun *r = arg;

	r->cb->on_raw(r->arg, d, n);
}

static void sub_close(void *arg, enum fcgi_close how)
{
	struct mrun *r = arg;

	r->cb->on_close_conn(r->arg, how);
}

static void sub_answered(void *arg)
{
	struct mrun *r = arg;

	r->answered = true;
	r->cb->on_answered(r->arg);
}

static void sub_done(void *arg, uint32_t app_status, uint8_t pstatus)
{
	struct mrun *r = arg;

	r->subrun->ops->destroy(r->subrun);
	r->subrun = NULL;
	r->app_status = app_status;
	r->protocol_status = pstatus;
	finish(r);
}

static const struct fcgi_run_cbs sub_cbs = {
	.on_stdout = sub_stdout,
	.on_stderr = sub_stderr,
	.on_stdin_drained = sub_drained,
	.on_raw = sub_raw,
	.on_close_conn = sub_close,
	.on_answered = sub_answered,
	.on_done = sub_done,
};

/* No runner to hand the request to: say so the CGI way, from the loop
 * (this may run inside an op). */
static void cannot_delegate(struct mrun *r, const char *why)
{
	r->fail_why = why;
	r->app_status = 1;
	end_in(r, 0);
}

static void write_failure(struct mrun *r)
{
	static const char resp[] = "Status: 500 Internal Server Error\r\n"
				   "Content-Type: text/plain\r\n\r\n"
				   "500 Internal Server Error\n";
	char line[160];
	int n;

	r->cb->on_stdout(r->arg, (const uint8_t *)resp, sizeof(resp) - 1);
	n = snprintf(line, sizeof(line), "fcgitool: mock: %s\n", r->fail_why);
	if (n > 0)
		r->cb->on_stderr(r->arg, (const uint8_t *)line,
				 (size_t)n < sizeof(line) ? (size_t)n
							  : sizeof(line) - 1);
}

/* Hand the request to runner s->runner with SCRIPT_FILENAME s->name, and
 * give it the body so far. */
static void delegate(struct mrun *r, const struct fcgi_mock_step *s)
{
	struct fcgi_run_info info;
	struct fcgi_nv nv;
	ssize_t pending;
	int rc = 0;

	r->sub = s->runner == 0 ? r->mr->o.fn : r->mr->o.exec;
	if (r->sub == NULL) {
		cannot_delegate(r, s->runner == 0 ? "no function runner"
						  : "no --exec runner");
		return;
	}
	fcgi_params_init(&r->subparams, mem_of(r));
	for (size_t i = 0; i < fcgi_params_count(&r->params) && rc == 0; i++) {
		fcgi_params_at(&r->params, i, &nv);
		rc = fcgi_params_add(&r->subparams, nv.name, nv.name_len,
				     nv.value, nv.value_len);
	}
	if (rc == 0)
		rc = fcgi_params_set(&r->subparams, "SCRIPT_FILENAME", 15,
				     s->name, strlen(s->name));
	memset(&info, 0, sizeof(info));
	info.loop = r->loop;
	info.request_id = r->req.request_id;
	info.role = r->req.role;
	info.flags = r->req.flags;
	info.params = &r->subparams;
	info.cb = &sub_cbs;
	info.arg = r;
	info.kill_grace_ms = r->kill_grace_ms;
	info.label = r->label;
	if (rc == 0)
		rc = r->sub->ops->start(r->sub->self, &info, &r->subrun);
	if (rc != 0) {
		r->subrun = NULL;
		cannot_delegate(r, fcgi_strerror(rc));
		return;
	}
	r->st = M_DELEGATED;
	if (r->paused)
		r->subrun->ops->pause(r->subrun, true);
	if (r->body.len > 0) {
		pending = r->subrun->ops->write_stdin(r->subrun, r->body.data,
						      r->body.len);
		(void)pending;
	}
	if (r->req.body_done)
		r->subrun->ops->close_stdin(r->subrun);
	if (r->aborted)
		r->subrun->ops->abort(r->subrun);
}

/* ---- playing ---- */

/* Write what the pace allows of the current chunk.  Returns true when
 * the pump must wait for the timer. */
static bool write_chunk(struct mrun *r)
{
	size_t n;
	uint64_t ms;

	if (r->pace_rate > 0) {
		/* 50 writes a second at most, each followed by the time its
		 * bytes take at the rate (microseconds carried over). */
		n = (size_t)(r->pace_rate / 50 > 0 ? r->pace_rate / 50 : 1);
		if (n > r->cur_len - r->cur_off)
			n = r->cur_len - r->cur_off;
		put(r, n);
		r->rate_us += (uint64_t)n * 1000000 / r->pace_rate;
		ms = r->rate_us / 1000;
		r->rate_us -= ms * 1000;
		if (ms > 0) {
			fcgi_timer_arm(&r->timer, ms);
			return true;
		}
		return false;
	}
	if (r->pace_n > 0) {
		put(r, r->pace_n < SIZE_MAX ? (size_t)r->pace_n : SIZE_MAX);
		if (r->pace_ms > 0) {
			fcgi_timer_arm(&r->timer, r->pace_ms);
			return true;
		}
		return false;
	}
	put(r, r->cur_len - r->cur_off);
	return false;
}

/* The current step is done: on to the next. */
static void next_step(struct mrun *r)
{
	r->step++;
	r->cur = NULL;
	r->cur_len = r->cur_off = 0;
	r->src_off = 0;
	r->src_done = false;
}

/* Run steps until one waits (a timer, a pause, a hang) or the play ends.
 * Called from the loop only. */
static void pump(struct mrun *r)
{
	const struct fcgi_mock_step *s;

	while (r->st == M_PLAYING && !r->paused) {
		if (r->step >= r->play->n) {
			/* Out of steps: an answered request is over; one
			 * that is not waits for its end, as a silent app. */
			if (r->answered || r->aborted)
				finish(r); /* r may be gone now */
			else
				r->st = M_HANGING;
			return;
		}
		s = &r->play->steps[r->step];
		switch (s->op) {
		case FCGI_MOCK_STREAM:
		case FCGI_MOCK_WRITE:
			if (r->cur == NULL || r->cur_off == r->cur_len) {
				if (s->op == FCGI_MOCK_WRITE &&
				    r->cur == NULL) {
					r->cur = s->data;
					r->cur_len = s->len;
					r->cur_off = 0;
				} else if (s->op == FCGI_MOCK_STREAM &&
					   !r->src_done) {
					if (frame(r, s) != 0) {
						r->cb->on_close_conn(
							r->arg,
							FCGI_CLOSE_FLUSH);
						end_in(r, 0);
						return;
					}
				} else {
					next_step(r);
					continue;
				}
			}
			if (write_chunk(r))
				return;
			break;
		case FCGI_MOCK_DELAY:
			next_step(r);
			if (s->ms > 0) {
				fcgi_timer_arm(&r->timer, s->ms);
				return;
			}
			break;
		case FCGI_MOCK_PACE:
			r->pace_n = s->n;
			r->pace_ms = s->ms;
			r->pace_rate = s->rate;
			r->rate_us = 0;
			next_step(r);
			break;
		case FCGI_MOCK_ANSWERED:
			r->answered = true;
			r->cb->on_answered(r->arg);
			next_step(r);
			break;
		case FCGI_MOCK_CLOSE:
		case FCGI_MOCK_RESET:
			next_step(r);
			/* The server aborts r from inside: end_in() then. */
			r->cb->on_close_conn(r->arg,
					     s->op == FCGI_MOCK_CLOSE
						     ? FCGI_CLOSE_FLUSH
						     : FCGI_CLOSE_RESET);
			end_in(r, 0);
			return;
		case FCGI_MOCK_HANG:
			next_step(r);
			if (r->aborted)
				end_in(r, 0);
			else
				r->st = M_HANGING;
			return;
		case FCGI_MOCK_ON_ABORT:
			r->on_abort = s->abort;
			r->abort_ms = s->ms;
			next_step(r);
			break;
		case FCGI_MOCK_DELEGATE:
			next_step(r);
			delegate(r, s);
			return;
		}
	}
}

/* The play is known; play it once the body allows.  A play that hands
 * the request over does so at once, so that the body streams to the
 * other runner rather than being kept here. */
static void got_play(struct mrun *r, const struct fcgi_mock_play *play)
{
	r->play = play;
	if (!play->early && !r->req.body_done) {
		r->st = M_WAIT_BODY;
		return;
	}
	r->st = M_PLAYING;
	if (play->n > 0 && play->steps[0].op == FCGI_MOCK_DELEGATE) {
		next_step(r);
		delegate(r, &play->steps[0]);
		return;
	}
	kick(r);
}

/* The responder failed (out of memory): the server answers. */
static void decide_failed(struct mrun *r, int rc)
{
	(void)rc;
	r->app_status = 1;
	end_in(r, 0);
}

/* ---- the ops ---- */

static int mock_start(void *self, const struct fcgi_run_info *info,
		      struct fcgi_run **out)
{
	struct mock_runner *mr = self;
	const struct fcgi_mock_play *play = NULL;
	struct mrun *r;
	struct fcgi_nv nv;
	int rc = 0;

	r = fcgi_mem_malloc(mr->o.mem, sizeof(*r));
	if (r == NULL)
		return FCGI_ENOMEM;
	memset(r, 0, sizeof(*r));
	r->run.ops = &mock_run_ops;
	r->mr = mr;
	r->loop = info->loop;
	r->cb = info->cb;
	r->arg = info->arg;
	r->kill_grace_ms = info->kill_grace_ms;
	snprintf(r->label, sizeof(r->label), "%s",
		 info->label != NULL ? info->label : "");
	fcgi_params_init(&r->params, mr->o.mem);
	fcgi_buf_init(&r->body, mr->o.mem, 0);
	fcgi_buf_init(&r->rec, mr->o.mem, 0);
	fcgi_sha256_init(&r->sha);
	for (size_t i = 0; i < fcgi_params_count(info->params) && rc == 0;
	     i++) {
		fcgi_params_at(info->params, i, &nv);
		rc = fcgi_params_add(&r->params, nv.name, nv.name_len, nv.value,
				     nv.value_len);
	}
	if (rc == 0 && fcgi_timer_init(r->loop, &r->timer, on_timer, r) != 0)
		rc = FCGI_ENOMEM;
	if (rc != 0) {
		fcgi_params_fini(&r->params);
		fcgi_mem_free(mr->o.mem, r);
		return rc;
	}
	r->req.label = r->label;
	r->req.request_id = info->request_id;
	r->req.role = info->role;
	r->req.flags = info->flags;
	r->req.params = &r->params;
	r->req.start_ms = fcgi_now_ms(r->loop);
	r->st = M_DECIDING;
	rc = mr->resp.decide(mr->resp.arg, &r->req, true, &play);
	if (rc == 0)
		got_play(r, play);
	else if (rc != FCGI_EPARTIAL)
		decide_failed(r, rc);
	*out = &r->run;
	return 0;
}

static ssize_t mock_write_stdin(struct fcgi_run *run, const uint8_t *data,
				size_t len)
{
	struct mrun *r = (struct mrun *)run;
	size_t keep;

	fcgi_sha256_update(&r->sha, data, len);
	r->req.body_total += len;
	keep = r->mr->o.body_max - r->body.len;
	if (keep > len)
		keep = len;
	if (keep > 0 && fcgi_buf_append(&r->body, data, keep) == 0) {
		r->req.body = r->body.data;
		r->req.body_len = r->body.len;
	}
	if (r->st == M_DELEGATED && r->subrun != NULL)
		return r->subrun->ops->write_stdin(r->subrun, data, len);
	return 0;
}

static void mock_close_stdin(struct fcgi_run *run)
{
	struct mrun *r = (struct mrun *)run;
	const struct fcgi_mock_play *play = NULL;
	int rc;

	if (r->req.body_done)
		return;
	r->req.body_done = true;
	fcgi_sha256_final(&r->sha, r->req.body_sha256);
	switch (r->st) {
	case M_DELEGATED:
		if (r->subrun != NULL)
			r->subrun->ops->close_stdin(r->subrun);
		break;
	case M_WAIT_BODY:
		got_play(r, r->play);
		break;
	case M_DECIDING:
		if (r->aborted)
			break;
		rc = r->mr->resp.decide(r->mr->resp.arg, &r->req, false, &play);
		if (rc == 0)
			got_play(r, play);
		else
			decide_failed(r, rc);
		break;
	default:
		break;
	}
}

static void mock_pause(struct fcgi_run *run, bool paused)
{
	struct mrun *r = (struct mrun *)run;

	r->paused = paused;
	if (r->st == M_DELEGATED && r->subrun != NULL)
		r->subrun->ops->pause(r->subrun, paused);
	else if (!r->paused)
		kick(r);
}

static void mock_abort(struct fcgi_run *run)
{
	struct mrun *r = (struct mrun *)run;

	if (r->aborted)
		return;
	r->aborted = true;
	/* An abort after the answer (a web server closing once it has
	 * END_REQUEST) aborts nothing the journal should mention. */
	r->req.aborted = !r->answered;
	switch (r->st) {
	case M_DELEGATED:
		if (r->subrun != NULL)
			r->subrun->ops->abort(r->subrun);
		return;
	case M_PLAYING:
		if (r->on_abort == FCGI_MOCK_ABORT_IGNORE)
			return; /* plays on; a hang then ends it */
		flush_partial(r);
		end_in(r,
		       r->on_abort == FCGI_MOCK_ABORT_LATE ? r->abort_ms : 0);
		return;
	case M_HANGING:
		end_in(r,
		       r->on_abort == FCGI_MOCK_ABORT_LATE ? r->abort_ms : 0);
		return;
	case M_DECIDING:
	case M_WAIT_BODY:
		end_in(r, 0);
		return;
	default:
		return;
	}
}

static void on_timer_closed(struct fcgi_timer *t)
{
	struct mrun *r = t->data;
	const struct fcgi_mem *mem = mem_of(r);

	fcgi_mem_free(mem, r);
}

static void mock_destroy(struct fcgi_run *run)
{
	struct mrun *r = (struct mrun *)run;

	fcgi_params_fini(&r->params);
	fcgi_params_fini(&r->subparams);
	fcgi_buf_fini(&r->body);
	fcgi_buf_fini(&r->rec);
	fcgi_timer_close(&r->timer, on_timer_closed);
}

static const struct fcgi_run_ops mock_run_ops = {
	.name = "mock",
	.write_stdin = mock_write_stdin,
	.close_stdin = mock_close_stdin,
	.pause = mock_pause,
	.abort = mock_abort,
	.destroy = mock_destroy,
};

static void mock_release(void *self)
{
	struct mock_runner *mr = self;

	fcgi_mem_free(mr->o.mem, mr);
}

static int mock_values(void *self, const struct fcgi_params *names,
		       struct fcgi_buf *raw)
{
	struct mock_runner *mr = self;

	if (mr->resp.values == NULL)
		return 0;
	return mr->resp.values(mr->resp.arg, names, raw);
}

static const struct fcgi_runner_ops mock_ops = {
	.name = "mock",
	.start = mock_start,
	.release = mock_release,
	.values = mock_values,
};

int fcgi_mock_runner_new(struct fcgi_runner **out,
			 const struct fcgi_mock_responder *resp,
			 const struct fcgi_mock_runner_opts *opts)
{
	struct fcgi_mock_runner_opts def;
	struct mock_runner *mr;
	int rc;

	if (out == NULL || resp == NULL || resp->decide == NULL ||
	    resp->end == NULL)
		return FCGI_EINVAL;
	if (opts == NULL) {
		memset(&def, 0, sizeof(def));
		opts = &def;
	}
	mr = fcgi_mem_malloc(opts->mem, sizeof(*mr));
	if (mr == NULL)
		return FCGI_ENOMEM;
	mr->resp = *resp;
	mr->o = *opts;
	if (mr->o.body_max == 0)
		mr->o.body_max = BODY_MAX_DEFAULT;
	rc = fcgi_runner_new(out, &mock_ops, mr, opts->mem);
	if (rc != 0)
		fcgi_mem_free(opts->mem, mr);
	return rc;
}
