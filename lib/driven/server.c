/* SPDX-License-Identifier: MIT */
/*
 * server.c - the application side on libuv, after FastCGI.jl's server:
 * listeners, one APP-mode struct fcgi_conn per connection, requests handed
 * to a runner, the one deadline, flow control and graceful shutdown.  All
 * FastCGI parsing is the conn's; this file only reacts to its events.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"

/* Where a connection is in its life. */
enum conn_state {
	CS_OPEN,      /* reading and answering */
	CS_CLOSING,   /* no more reading; the close follows the queue */
	CS_LINGERING, /* shut down after the queue: reading only to drop */
	CS_DEAD	      /* closed: no more I/O */
};

/* Where the server is in its life. */
enum srv_state {
	SRV_SERVING,  /* accepting and serving */
	SRV_DRAINING, /* stopping: open requests may finish */
	SRV_ABORTING  /* stopping: what is left is aborted */
};

/* What a connection's timer is armed for. */
enum conn_timer {
	CT_UNSET, /* not armed yet */
	CT_NONE,  /* requests open, output moving: no deadline */
	CT_FIRST, /* nothing received yet (first_byte_timeout_ms) */
	CT_IDLE,  /* no request open (idle_timeout_ms) */
	CT_STALL, /* output queued and not moving (idle_timeout_ms) */
	CT_LINGER /* answered and shut down: dropping what arrives */
};

/* After the last answer, how long to keep reading (and dropping) what the
 * peer still sends before closing: a close with unread bytes would reset
 * the connection and could cost the peer the answer. */
#define LINGER_MS 2000

/* Connections past max_conns still get accepted, to be told OVERLOADED;
 * this many at most, beyond which they are closed at once. */
#define OVERFLOW_MAX 64
#define FLUSH_SOON_MAX (64 * 1024) /* output held for the end of a turn */

struct sconn;

struct sreq {
	struct fcgi_server *srv;
	struct sconn *c;	/* NULL once the request is off the wire */
	TAILQ_ENTRY(sreq) link; /* c's requests */
	uint16_t id;
	uint16_t role;
	uint8_t flags;
	struct fcgi_run *run; /* from start to destroy */
	bool running;	      /* started, on_done not yet */
	bool input_done;      /* the empty STDIN record arrived */
	bool aborted;	      /* stopped: answer when the runner is done */
	bool stdin_held;      /* this request's body holds reading paused */
	bool bad_params;      /* PARAMS broke the limits or ended mid-pair */
	bool freeing;	      /* its timer is being closed */
	bool has_cl;	      /* CONTENT_LENGTH is a number: cl */
	bool stdin_closed;    /* the run has the end of its body */
	bool over_noted;      /* STDIN past CONTENT_LENGTH was noted */
	bool answered; /* its run's raw bytes answered it (on_answered) */
	uint64_t cl;
	uint64_t stdin_given; /* body bytes handed to the run */
	uint64_t begin_ms;
	struct fcgi_timer timer;
	char label[32];
};

struct sconn {
	struct fcgi_server *srv;
	TAILQ_ENTRY(sconn) link; /* the server's connections */
	uv_stream_t *stream;
	struct fcgi_conn *conn;
	TAILQ_HEAD(, sreq) reqs;
	unsigned nreqs;
	enum conn_state state;
	size_t wq;	  /* bytes handed to libuv, not yet written */
	bool reading;	  /* uv_read_start in effect */
	bool out_paused;  /* runners paused: the peer is not reading */
	unsigned in_hold; /* requests whose runner has a full stdin queue */
	bool close_after; /* a request without KEEP_CONN was answered */
	bool overflow;	  /* past max_conns: everything gets OVERLOADED */
	uv_shutdown_t shut;
	unsigned pending; /* handles whose close is pending */
	struct fcgi_timer timer;
	enum conn_timer tmode;
	bool got_bytes;	     /* a byte arrived */
	uint64_t idle_since; /* when the last request ended, or accept */
	/* Output queued by a runner, to be written at the end of this turn
	 * of the loop with whatever else it queues by then. */
	bool due;
	struct sconn *due_next, *due_prev;
	char label[24];
};

struct listener {
	struct fcgi_server *srv;
	uv_stream_t *stream;
	char name[160];
	char unlink_path[sizeof(((struct fcgi_addr *)0)->path)];
};

struct fcgi_server {
	uv_loop_t *loop;
	struct fcgi_server_opts o;
	struct fcgi_runner *runner;
	struct listener *ls;
	size_t nls;
	TAILQ_HEAD(, sconn) conns;
	unsigned nconns, noverflow;
	unsigned nlinger; /* of nconns: answered, waiting for the peer's end */
	unsigned nreqs, nruns;
	uint64_t accepted, completed, timeouts, overloaded;
	uint64_t conn_seq;
	uint64_t t0;
	enum srv_state state;
	uv_signal_t sig[2];
	bool sig_open;
	struct fcgi_timer stop_timer;
	bool stop_timer_open;
	unsigned pending;  /* server-level handles whose close is pending */
	unsigned nobj;	   /* requests and connections not yet freed */
	struct sconn *due; /* connections with output due */
	uv_check_t due_check;
	uv_idle_t due_idle;
	bool due_open;
	uint8_t readbuf[65536];
};

static void conn_close(struct sconn *c, const char *why);
static void conn_close_flushed(struct sconn *c, const char *why);
static void conn_reset(struct sconn *c, const char *why);
static void conn_finish(struct sconn *c);
static void conn_flush(struct sconn *c);
static void conn_check_close(struct sconn *c);
static void check_finished(struct fcgi_server *s);

static const struct fcgi_run_cbs run_cbs;

/* ---- small helpers ---- */

static void srv_log(struct fcgi_server *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void srv_log(struct fcgi_server *s, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (s->o.log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->o.log(s->o.log_arg, msg);
}

static double srv_ts(struct fcgi_server *s)
{
	return (double)(fcgi_now_ms(s->loop) - s->t0) / 1000.0;
}

static void note(struct fcgi_server *s, const char *label, const char *what,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void note(struct fcgi_server *s, const char *label, const char *what,
		 const char *fmt, ...)
{
	char detail[256];
	va_list ap;

	if (s->o.trace == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	fcgi_render_note(s->o.trace, label, srv_ts(s), what, detail);
}

/* A stream could not be queued whole (out of memory, a limit): what the
 * peer would get is no longer the truth, so the connection goes. */
static void conn_fail(struct sconn *c, const struct sreq *q, const char *what,
		      int rc)
{
	if (q != NULL)
		srv_log(c->srv, "%s: %s: %s", q->label, what,
			fcgi_strerror(rc));
	else
		srv_log(c->srv, "%s: %s: %s", c->label, what,
			fcgi_strerror(rc));
	conn_close(c, fcgi_strerror(rc));
}

void fcgi_server_opts_default(struct fcgi_server_opts *o)
{
	memset(o, 0, sizeof(*o));
	fcgi_limits_default(&o->limits);
	o->max_conns = 1024;
	o->max_reqs = 1024;
	o->mpx = true;
	o->roles = 1u << FCGI_RESPONDER | 1u << FCGI_AUTHORIZER;
	o->timeout_status = 408;
	o->read_timeout_ms = 30000;
	o->first_byte_timeout_ms = 5000;
	o->idle_timeout_ms = 60000;
	o->kill_grace_ms = 1000;
	o->shutdown_ms = 10000;
	o->out_high = 256 * 1024;
	o->out_low = 64 * 1024;
	o->stdin_high = 256 * 1024;
	o->backlog = 511;
	o->unix_mode = 0600;
}

/* ---- requests ---- */

static struct sreq *req_find(struct sconn *c, uint16_t id)
{
	struct sreq *q;

	TAILQ_FOREACH(q, &c->reqs, link)
	if (q->id == id)
		return q;
	return NULL;
}

static void on_req_timer_closed(struct fcgi_timer *t)
{
	struct sreq *q = t->data;
	struct fcgi_server *s = q->srv;

	fcgi_mem_free(s->o.mem, q);
	s->nobj--;
	check_finished(s);
}

/* Free q once it is off the wire and its runner is gone. */
static void req_maybe_free(struct sreq *q)
{
	if (q->c != NULL || q->running || q->run != NULL || q->freeing)
		return;
	q->freeing = true;
	fcgi_timer_close(&q->timer, on_req_timer_closed);
}

static void req_release_hold(struct sreq *q)
{
	struct sconn *c = q->c;

	if (!q->stdin_held)
		return;
	q->stdin_held = false;
	if (c != NULL && c->in_hold > 0)
		c->in_hold--;
}

static void conn_update_reading(struct sconn *c);
static void conn_update_timer(struct sconn *c, bool progress);

/* Take q off its connection's list: it is answered, or the connection is
 * going away.  The runner, if still alive, is no longer listened to. */
static void req_detach(struct sreq *q)
{
	struct sconn *c = q->c;

	if (c == NULL)
		return;
	req_release_hold(q);
	TAILQ_REMOVE(&c->reqs, q, link);
	c->nreqs--;
	q->srv->nreqs--;
	q->c = NULL;
	if (c->nreqs == 0)
		c->idle_since = fcgi_now_ms(q->srv->loop);
	fcgi_timer_stop(&q->timer);
	conn_update_timer(c, false);
}

/* q's END_REQUEST is queued: take q off the wire. */
static void req_answered(struct sreq *q)
{
	struct sconn *c = q->c;

	q->srv->completed++;
	if (!(q->flags & FCGI_KEEP_CONN))
		c->close_after = true;
	req_detach(q);
	conn_flush(c);
	conn_check_close(c);
}

/* Send END_REQUEST for q (its open streams end first) and take it off
 * the wire.  A run that sent its own END_REQUEST raw (on_raw) has ended
 * the request on the wire already: nothing more is sent for it. */
static void req_end(struct sreq *q, uint32_t app_status, uint8_t pstatus)
{
	struct sconn *c = q->c;
	int rc;

	if (c == NULL)
		return;
	if (!q->answered && fcgi_conn_is_active(c->conn, q->id)) {
		rc = fcgi_conn_end(c->conn, q->id, app_status, pstatus);
		if (rc != 0) {
			conn_fail(c, q, "cannot end the request", rc);
			return;
		}
	}
	req_answered(q);
}

/* The one deadline: the web server gets a complete answer now, and the
 * runner is stopped (DESIGN rule 3). */
static void req_timeout(struct sreq *q, const char *what)
{
	struct fcgi_server *s = q->srv;
	struct sconn *c = q->c;
	int rc;

	if (c == NULL)
		return;
	s->timeouts++;
	note(s, c->label, "timeout", "request %u: %s after %.3f s",
	     (unsigned)q->id, what,
	     (double)(fcgi_now_ms(s->loop) - q->begin_ms) / 1000.0);
	if (q->running && !q->aborted) {
		q->aborted = true;
		q->run->ops->abort(q->run);
	}
	if (!q->answered && fcgi_conn_is_active(c->conn, q->id)) {
		rc = fcgi_conn_timeout_answer(c->conn, q->id,
					      s->o.timeout_status, NULL);
		if (rc != 0) {
			conn_fail(c, q, "cannot answer the timeout", rc);
			return;
		}
	}
	req_answered(q);
	req_maybe_free(q);
}

static void on_req_timer(struct fcgi_timer *t)
{
	struct sreq *q = t->data;
	struct fcgi_server *s = q->srv;
	uint64_t now = fcgi_now_ms(s->loop);

	if (s->o.timeout_ms != 0 && now - q->begin_ms >= s->o.timeout_ms)
		req_timeout(q, "timed out");
	else
		req_timeout(q, q->running ? "request body incomplete"
					  : "params incomplete");
}

/* Arm q's timer for the nearer of its deadlines: --timeout from BEGIN,
 * and the read timeout until the body is complete. */
static void req_arm(struct sreq *q)
{
	struct fcgi_server *s = q->srv;
	uint64_t now = fcgi_now_ms(s->loop), d = UINT64_MAX, t;

	if (s->o.timeout_ms != 0)
		d = q->begin_ms + s->o.timeout_ms;
	if (!q->input_done && s->o.read_timeout_ms != 0) {
		t = q->begin_ms + s->o.read_timeout_ms;
		if (t < d)
			d = t;
	}
	if (d == UINT64_MAX)
		fcgi_timer_stop(&q->timer);
	else
		fcgi_timer_arm(&q->timer, d > now ? d - now : 1);
}

/* An answer with no request behind it (a refused BEGIN_REQUEST): only
 * END_REQUEST, no stream records, queued as bytes so the conn still
 * sees it. */
static void conn_refuse(struct sconn *c, uint16_t id, uint8_t flags,
			uint8_t pstatus)
{
	struct fcgi_end_body b;
	uint8_t body[8];
	struct fcgi_buf rec;
	int rc;

	b.app_status = 0;
	b.protocol_status = pstatus;
	fcgi_end_body_encode(body, &b);
	fcgi_buf_init(&rec, c->srv->o.mem, 0);
	rc = fcgi_record_encode(&rec, FCGI_END_REQUEST, id, body, 8);
	if (rc == 0)
		rc = fcgi_conn_send_raw(c->conn, rec.data, rec.len);
	fcgi_buf_fini(&rec);
	if (rc != 0) {
		conn_fail(c, NULL, "cannot refuse a request", rc);
		return;
	}
	if (pstatus == FCGI_OVERLOADED)
		c->srv->overloaded++;
	if (!(flags & FCGI_KEEP_CONN) || c->overflow)
		c->close_after = true;
}

/* "c3#1": the connection's label and the request id, made for every
 * request, so without printf. */
static void req_label(char *out, size_t n, const char *conn, uint16_t id)
{
	char digits[6];
	size_t len = strlen(conn), k = 0;

	do
		digits[k++] = (char)('0' + id % 10);
	while ((id /= 10) != 0);
	if (len + 1 + k + 1 > n)
		len = n - k - 2;
	memcpy(out, conn, len);
	out[len++] = '#';
	while (k > 0)
		out[len++] = digits[--k];
	out[len] = '\0';
}

static void on_begin(struct sconn *c, const struct fcgi_event *ev)
{
	struct fcgi_server *s = c->srv;
	struct sreq *q;

	/* The conn refuses a BEGIN_REQUEST for an id in use: a request of
	 * ours with this id was ended on the wire by its run's raw
	 * END_REQUEST, and its run no longer speaks for the id. */
	q = req_find(c, ev->request_id);
	if (q != NULL) {
		q->srv->completed++;
		req_detach(q);
		req_maybe_free(q);
	}
	if (ev->role > 31 || !(s->o.roles & 1u << ev->role)) {
		conn_refuse(c, ev->request_id, ev->flags, FCGI_UNKNOWN_ROLE);
		return;
	}
	if (c->overflow || s->state != SRV_SERVING ||
	    s->nreqs >= s->o.max_reqs) {
		conn_refuse(c, ev->request_id, ev->flags, FCGI_OVERLOADED);
		return;
	}
	if (!s->o.mpx && c->nreqs > 0) {
		conn_refuse(c, ev->request_id, ev->flags, FCGI_CANT_MPX_CONN);
		return;
	}
	q = fcgi_mem_malloc(s->o.mem, sizeof(*q));
	if (q == NULL) {
		conn_refuse(c, ev->request_id, ev->flags, FCGI_OVERLOADED);
		return;
	}
	memset(q, 0, sizeof(*q));
	if (fcgi_timer_init(s->loop, &q->timer, on_req_timer, q) != 0) {
		fcgi_mem_free(s->o.mem, q);
		conn_refuse(c, ev->request_id, ev->flags, FCGI_OVERLOADED);
		return;
	}
	s->nobj++;
	q->srv = s;
	q->c = c;
	q->id = ev->request_id;
	q->role = ev->role;
	q->flags = ev->flags;
	q->begin_ms = fcgi_now_ms(s->loop);
	req_label(q->label, sizeof(q->label), c->label, q->id);
	TAILQ_INSERT_HEAD(&c->reqs, q, link);
	c->nreqs++;
	s->nreqs++;
	req_arm(q);
	conn_update_timer(c, false);
}

/* Answer q ourselves, without a runner: a CGI response with this status,
 * a STDERR line, END_REQUEST with app_status. */
static void req_answer(struct sreq *q, unsigned status, const char *why,
		       uint32_t app_status)
{
	struct fcgi_buf resp;
	char line[256], body[96];
	int n, rc;

	fcgi_buf_init(&resp, q->srv->o.mem, 0);
	snprintf(body, sizeof(body), "%u %s\n", status,
		 fcgi_http_reason(status));
	rc = fcgi_cgi_error_response(&resp, status, body);
	if (rc == 0)
		rc = fcgi_conn_stream(q->c->conn, q->id, FCGI_STDOUT, resp.data,
				      resp.len);
	fcgi_buf_fini(&resp);
	n = snprintf(line, sizeof(line), "fcgitool: %s\n", why);
	if (rc == 0 && n > 0 && (size_t)n < sizeof(line))
		rc = fcgi_conn_stream(q->c->conn, q->id, FCGI_STDERR, line,
				      (size_t)n);
	if (rc != 0) {
		conn_fail(q->c, q, "cannot answer", rc);
		return;
	}
	req_end(q, app_status, FCGI_REQUEST_COMPLETE);
	req_maybe_free(q);
}

static void on_params(struct sconn *c, const struct fcgi_event *ev)
{
	struct fcgi_server *s = c->srv;
	struct sreq *q = req_find(c, ev->request_id);
	struct fcgi_run_info info;
	const struct fcgi_runner_ops *ops;
	struct fcgi_run *run;
	int rc;

	if (q == NULL || q->running || q->run != NULL)
		return;
	if (s->runner == NULL) {
		req_answer(q, 500, "the server has no runner", 1);
		return;
	}
	if (q->bad_params) {
		/* Running with a part of the params would answer a request
		 * nobody sent. */
		req_answer(q, 431, "the params exceed the server's limits", 1);
		return;
	}
	ops = s->runner->ops;
	memset(&info, 0, sizeof(info));
	info.loop = s->loop;
	info.request_id = q->id;
	info.role = q->role;
	info.flags = q->flags;
	info.params = ev->params;
	info.cb = &run_cbs;
	info.arg = q;
	info.kill_grace_ms = s->o.kill_grace_ms;
	info.label = q->label;
	info.conn_fd = -1;
	uv_fileno((uv_handle_t *)c->stream, &info.conn_fd);
	info.deadline_ms =
		s->o.timeout_ms != 0 ? q->begin_ms + s->o.timeout_ms : 0;
	info.timeout_status = s->o.timeout_status;
	rc = ops->start(s->runner->self, &info, &run);
	if (rc != 0) {
		/* Out of processes or descriptors: that is overload. */
		srv_log(s, "%s: cannot start the %s runner: %s", q->label,
			ops->name, fcgi_strerror(rc));
		q->run = NULL;
		req_end(q, 0, FCGI_OVERLOADED);
		s->overloaded++;
		req_maybe_free(q);
		return;
	}
	q->run = run;
	q->running = true;
	s->nruns++;
	if (c->out_paused)
		run->ops->pause(run, true);
	q->has_cl = !s->o.raw_stdin &&
		    fcgi_conn_content_length(c->conn, q->id, &q->cl);
	/* FastCGI 1.0, 6.3: an Authorizer gets no request body. */
	if (q->role == FCGI_AUTHORIZER) {
		run->ops->close_stdin(run);
		q->stdin_closed = true;
		q->input_done = true;
		req_arm(q);
	} else if (q->has_cl && q->cl == 0) {
		run->ops->close_stdin(run);
		q->stdin_closed = true;
	}
}

static void on_stdin(struct sconn *c, const struct fcgi_event *ev)
{
	struct fcgi_server *s = c->srv;
	struct sreq *q = req_find(c, ev->request_id);
	const struct fcgi_run_ops *ops;
	size_t len = ev->len;
	ssize_t pending;

	if (q == NULL || !q->running || q->input_done)
		return;
	ops = q->run->ops;
	if (len == 0) {
		if (!q->stdin_closed)
			ops->close_stdin(q->run);
		q->stdin_closed = true;
		q->input_done = true;
		req_arm(q);
		return;
	}
	/* RFC 3875, 4.2: the script reads no more than CONTENT_LENGTH
	 * bytes, and gets the end of its input after them. */
	if (q->has_cl && len > q->cl - q->stdin_given) {
		len = (size_t)(q->cl - q->stdin_given);
		if (!q->over_noted)
			note(s, c->label, "stdin",
			     "request %u: STDIN goes past CONTENT_LENGTH %llu; "
			     "the rest is dropped",
			     (unsigned)q->id, (unsigned long long)q->cl);
		q->over_noted = true;
	}
	if (len == 0 || q->stdin_closed)
		return;
	q->stdin_given += len;
	pending = ops->write_stdin(q->run, ev->data, len);
	if (q->has_cl && q->stdin_given == q->cl) {
		ops->close_stdin(q->run);
		q->stdin_closed = true;
	}
	if (pending < 0) {
		srv_log(s, "%s: request body dropped: %s", q->label,
			fcgi_strerror((int)pending));
		return;
	}
	/* Stop reading the connection while this runner is not taking
	 * its body: the queue cannot grow past about one read. */
	if ((size_t)pending > s->o.stdin_high && !q->stdin_held) {
		q->stdin_held = true;
		c->in_hold++;
		note(s, c->label, "flow",
		     "request %u: runner not taking its body; reading paused",
		     (unsigned)q->id);
		conn_update_reading(c);
	}
}

static void on_abort(struct sconn *c, const struct fcgi_event *ev)
{
	struct fcgi_server *s = c->srv;
	struct sreq *q = req_find(c, ev->request_id);

	if (q == NULL || q->aborted)
		return;
	note(s, c->label, "abort", "request %u", (unsigned)q->id);
	if (!q->running) {
		/* FastCGI 1.0, 5.4: answer at once. */
		req_end(q, 0, FCGI_REQUEST_COMPLETE);
		req_maybe_free(q);
		return;
	}
	q->aborted = true;
	req_release_hold(q);
	conn_update_reading(c);
	q->run->ops->abort(q->run);
}

/* A scripted runner may answer GET_VALUES itself (any bytes, or none):
 * 1 when it did. */
static int runner_values(struct sconn *c, const struct fcgi_params *names)
{
	struct fcgi_server *s = c->srv;
	struct fcgi_buf raw;
	int rc;

	if (s->runner == NULL || s->runner->ops->values == NULL)
		return 0;
	fcgi_buf_init(&raw, s->o.mem, 0);
	rc = s->runner->ops->values(s->runner->self, names, &raw);
	if (rc == 1 && raw.len > 0)
		rc = fcgi_conn_send_raw(c->conn, raw.data, raw.len) == 0 ? 1
									 : -1;
	fcgi_buf_fini(&raw);
	if (rc < 0)
		conn_fail(c, NULL, "cannot answer GET_VALUES", FCGI_ENOMEM);
	return rc != 0;
}

/* FastCGI 1.0, 4.1: answer the names we know with our real limits. */
static void on_get_values(struct sconn *c, const struct fcgi_event *ev)
{
	struct fcgi_server *s = c->srv;
	struct fcgi_params vals;
	struct fcgi_nv nv;
	char num[24];
	const char *v;
	int rc = 0;

	if (ev->params == NULL)
		return;
	if (runner_values(c, ev->params))
		return;
	fcgi_params_init(&vals, s->o.mem);
	for (size_t i = 0; i < fcgi_params_count(ev->params); i++) {
		fcgi_params_at(ev->params, i, &nv);
		v = NULL;
		if (nv.name_len == 14 &&
		    memcmp(nv.name, "FCGI_MAX_CONNS", 14) == 0) {
			snprintf(num, sizeof(num), "%u", s->o.max_conns);
			v = num;
		} else if (nv.name_len == 13 &&
			   memcmp(nv.name, "FCGI_MAX_REQS", 13) == 0) {
			snprintf(num, sizeof(num), "%u", s->o.max_reqs);
			v = num;
		} else if (nv.name_len == 15 &&
			   memcmp(nv.name, "FCGI_MPXS_CONNS", 15) == 0) {
			v = s->o.mpx ? "1" : "0";
		}
		if (v != NULL)
			rc = fcgi_params_set(&vals, nv.name, nv.name_len, v,
					     strlen(v));
		if (rc != 0)
			break;
	}
	if (rc == 0)
		rc = fcgi_conn_values_result(c->conn, &vals);
	fcgi_params_fini(&vals);
	if (rc != 0)
		conn_fail(c, NULL, "cannot answer GET_VALUES", rc);
}

static int on_event(void *arg, const struct fcgi_event *ev)
{
	struct sconn *c = arg;

	if (c->state == CS_DEAD)
		return 1;
	if (c->state == CS_LINGERING)
		return 0;
	switch (ev->type) {
	case FCGI_EV_BEGIN:
		on_begin(c, ev);
		break;
	case FCGI_EV_PARAMS:
		on_params(c, ev);
		break;
	case FCGI_EV_STDIN:
		on_stdin(c, ev);
		break;
	case FCGI_EV_ABORT:
		on_abort(c, ev);
		break;
	case FCGI_EV_GET_VALUES:
		on_get_values(c, ev);
		break;
	default:
		/* DATA (no Filter role here), unknown records (the conn
		 * answers UNKNOWN_TYPE itself), CLOSE. */
		break;
	}
	return c->state == CS_DEAD ? 1 : 0;
}

static void on_record(void *arg, enum fcgi_dir dir,
		      const struct fcgi_record *rec)
{
	struct sconn *c = arg;
	struct fcgi_server *s = c->srv;

	if (s->o.trace != NULL)
		fcgi_render_record(s->o.trace, c->label, srv_ts(s), dir, rec);
}

/*
 * A second BEGIN_REQUEST for q's id, which is active (FastCGI 1.0, 3.3:
 * an id is in use until END_REQUEST).  The web server has let go of q,
 * so whatever q still sent would be taken for the new request's answer:
 * q's run is stopped, and the id is freed with END_REQUEST
 * CANT_MPX_CONN, which the web server reads as the refusal of its new
 * request.  The conn drops the new request's records that follow.
 */
static void req_refuse_duplicate(struct sreq *q)
{
	struct sconn *c = q->c;
	int rc;

	note(q->srv, c->label, "refuse",
	     "request %u: BEGIN_REQUEST again while it runs; it is stopped "
	     "and the new one refused (CANT_MPX_CONN)",
	     (unsigned)q->id);
	if (q->running && !q->aborted) {
		q->aborted = true;
		q->run->ops->abort(q->run);
	}
	rc = fcgi_conn_end(c->conn, q->id, 0, FCGI_CANT_MPX_CONN);
	if (rc != 0) {
		conn_fail(c, q, "cannot refuse a request", rc);
		return;
	}
	if (!(q->flags & FCGI_KEEP_CONN))
		c->close_after = true;
	req_detach(q);
	req_maybe_free(q);
	conn_flush(c);
}

static void on_violation(void *arg, const struct fcgi_violation *v)
{
	struct sconn *c = arg;
	struct fcgi_server *s = c->srv;
	struct sreq *q;

	if (s->o.trace != NULL)
		fcgi_render_violation(s->o.trace, c->label, srv_ts(s), v);
	if (v->code == FCGI_V_MGMT_NONZERO_ID && c->state != CS_LINGERING)
		note(s, c->label, "values",
		     "request %u: not a management record; not answered",
		     (unsigned)v->request_id);
	if (c->state == CS_DEAD || (q = req_find(c, v->request_id)) == NULL)
		return;
	/* The conn keeps going with what fitted; the request must not. */
	if (v->code == FCGI_V_NV_LIMIT || v->code == FCGI_V_NV_TRUNCATED)
		q->bad_params = true;
	else if (v->code == FCGI_V_DUPLICATE_BEGIN)
		req_refuse_duplicate(q);
}

/* ---- what runners report ---- */

static void due_remove(struct sconn *c)
{
	struct fcgi_server *s = c->srv;

	if (!c->due)
		return;
	c->due = false;
	if (c->due_prev != NULL)
		c->due_prev->due_next = c->due_next;
	else
		s->due = c->due_next;
	if (c->due_next != NULL)
		c->due_next->due_prev = c->due_prev;
	c->due_next = c->due_prev = NULL;
}

static void flush_due(struct fcgi_server *s)
{
	while (s->due != NULL)
		conn_flush(s->due); /* takes it off the list */
	uv_check_stop(&s->due_check);
	uv_idle_stop(&s->due_idle);
}

static void on_due_check(uv_check_t *h)
{
	flush_due(h->data);
}

static void on_due_idle(uv_idle_t *h)
{
	flush_due(h->data);
}

/*
 * A runner queued output on c: write it at the end of this turn of the
 * loop (the check phase follows the poll phase that brought the output;
 * the idle handle keeps a turn that began elsewhere from waiting), so
 * that what a runner reports in one turn, and the END_REQUEST that often
 * follows, cost one write(2).
 */
static void conn_flush_soon(struct sconn *c)
{
	struct fcgi_server *s = c->srv;
	const uint8_t *p;

	if (c->state == CS_DEAD)
		return;
	/* Much output waits: write it now, so that backpressure (out_high)
	 * still takes effect within one read of a runner's output. */
	if (!s->due_open || fcgi_conn_send(c->conn, &p) >= FLUSH_SOON_MAX) {
		conn_flush(c);
		return;
	}
	if (c->due)
		return;
	c->due = true;
	c->due_prev = NULL;
	c->due_next = s->due;
	if (s->due != NULL)
		s->due->due_prev = c;
	s->due = c;
	uv_check_start(&s->due_check, on_due_check);
	uv_idle_start(&s->due_idle, on_due_idle);
}

static void run_stdout(void *arg, const uint8_t *data, size_t len)
{
	struct sreq *q = arg;
	int rc;

	if (q->c == NULL || q->aborted || len == 0)
		return;
	rc = fcgi_conn_stream(q->c->conn, q->id, FCGI_STDOUT, data, len);
	if (rc != 0) {
		conn_fail(q->c, q, "cannot queue output", rc);
		return;
	}
	conn_flush_soon(q->c);
}

static void run_stderr(void *arg, const uint8_t *data, size_t len)
{
	struct sreq *q = arg;
	int rc;

	if (q->c == NULL || q->aborted || len == 0)
		return;
	rc = fcgi_conn_stream(q->c->conn, q->id, FCGI_STDERR, data, len);
	if (rc != 0) {
		conn_fail(q->c, q, "cannot queue output", rc);
		return;
	}
	conn_flush_soon(q->c);
}

static void run_stdin_drained(void *arg)
{
	struct sreq *q = arg;
	struct sconn *c = q->c;

	if (c == NULL || !q->stdin_held)
		return;
	req_release_hold(q);
	conn_update_reading(c);
}

static void run_raw(void *arg, const uint8_t *bytes, size_t len)
{
	struct sreq *q = arg;
	int rc;

	if (q->c == NULL)
		return;
	rc = fcgi_conn_send_raw(q->c->conn, bytes, len);
	if (rc != 0) {
		conn_fail(q->c, q, "cannot queue bytes", rc);
		return;
	}
	conn_flush_soon(q->c);
}

static void run_close_conn(void *arg, enum fcgi_close how)
{
	struct sreq *q = arg;
	struct sconn *c = q->c;

	if (c == NULL)
		return;
	/* The run that asks is not aborted: it ends by itself. */
	q->aborted = true;
	if (how == FCGI_CLOSE_RESET)
		conn_reset(c, "reset by the runner");
	else
		conn_close_flushed(c, "closed by the runner");
}

static void run_answered(void *arg)
{
	struct sreq *q = arg;

	q->answered = true;
}

static void run_done(void *arg, uint32_t app_status, uint8_t pstatus)
{
	struct sreq *q = arg;
	struct fcgi_server *s = q->srv;
	struct fcgi_run *run = q->run;

	q->running = false;
	q->run = NULL;
	s->nruns--;
	run->ops->destroy(run);
	if (q->c != NULL)
		req_end(q, app_status, pstatus);
	req_maybe_free(q);
	check_finished(s);
}

/* Write what waits for the end of this turn now (a run about to block
 * the loop would hold it back), then say whether all of it is out. */
static bool run_out_idle(void *arg)
{
	const struct sreq *q = arg;

	if (q->c == NULL || q->c->state == CS_DEAD)
		return false;
	if (q->c->due)
		conn_flush(q->c); /* may close it, and abort the run */
	return q->c != NULL && q->c->state != CS_DEAD && q->c->wq == 0;
}

static const struct fcgi_run_cbs run_cbs = {
	.on_stdout = run_stdout,
	.on_stderr = run_stderr,
	.on_stdin_drained = run_stdin_drained,
	.on_raw = run_raw,
	.on_close_conn = run_close_conn,
	.on_answered = run_answered,
	.on_done = run_done,
	.out_idle = run_out_idle,
};

/* ---- connections ---- */

/* Every read is fed to its conn before the next: one buffer per server. */
static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct sconn *c = h->data;

	(void)hint;
	b->base = (char *)c->srv->readbuf;
	b->len = sizeof(c->srv->readbuf);
}

static void pause_runs(struct sconn *c, bool paused)
{
	struct sreq *q;

	TAILQ_FOREACH(q, &c->reqs, link)
	if (q->running)
		q->run->ops->pause(q->run, paused);
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b);

/* Read while there is room: not while the peer leaves our output
 * unread, not while a runner's body queue is full, not once closing. */
static void conn_update_reading(struct sconn *c)
{
	bool want = c->state == CS_LINGERING ||
		    (c->state == CS_OPEN && !c->out_paused && c->in_hold == 0);

	if (want == c->reading)
		return;
	if (want) {
		if (uv_read_start(c->stream, on_alloc, on_read) == 0)
			c->reading = true;
	} else {
		uv_read_stop(c->stream);
		c->reading = false;
	}
}

/*
 * One timer per connection: before the first byte, first_byte_timeout_ms
 * from accept (a peer that connects and says nothing); idle (no request
 * open), idle_timeout_ms counted from when the connection became idle, so
 * that a peer sending a byte at a time gains nothing; or stalled (output
 * queued), idle_timeout_ms from the last write that made progress.
 */
static void conn_update_timer(struct sconn *c, bool progress)
{
	const struct fcgi_server_opts *o = &c->srv->o;
	enum conn_timer mode;
	uint64_t now, ms;

	if (c->state >= CS_LINGERING)
		return;
	if (c->wq > 0)
		mode = o->idle_timeout_ms != 0 ? CT_STALL : CT_NONE;
	else if (c->nreqs > 0)
		mode = CT_NONE;
	else if (!c->got_bytes && o->first_byte_timeout_ms != 0)
		mode = CT_FIRST;
	else
		mode = o->idle_timeout_ms != 0 ? CT_IDLE : CT_NONE;
	if (mode == c->tmode && !(mode == CT_STALL && progress))
		return;
	c->tmode = mode;
	now = fcgi_now_ms(c->srv->loop);
	switch (mode) {
	case CT_FIRST:
		ms = o->first_byte_timeout_ms;
		break;
	case CT_IDLE:
		ms = c->idle_since + o->idle_timeout_ms > now
			     ? c->idle_since + o->idle_timeout_ms - now
			     : 1;
		break;
	case CT_STALL:
		ms = o->idle_timeout_ms;
		break;
	default:
		ms = 0;
		break;
	}
	if (ms == 0)
		fcgi_timer_stop(&c->timer);
	else
		fcgi_timer_arm(&c->timer, ms);
}

static void on_conn_timer(struct fcgi_timer *t)
{
	struct sconn *c = t->data;

	switch (c->tmode) {
	case CT_FIRST:
		conn_close(c, "nothing received within the first-byte "
			      "timeout");
		break;
	case CT_STALL:
		conn_close(c, "the peer stopped reading");
		break;
	case CT_IDLE:
		conn_close(c, "idle timeout");
		break;
	default:
		conn_close(c, NULL);
		break;
	}
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	struct sconn *c = req->data;

	if (status < 0 && c->state != CS_DEAD)
		conn_close(c, NULL);
}

/* All is answered and written: send FIN, then drop what still arrives
 * until the peer closes too, or LINGER_MS. */
static void conn_finish(struct sconn *c)
{
	if (c->state >= CS_LINGERING)
		return;
	c->state = CS_LINGERING;
	/* It holds no request any more: FCGI_MAX_CONNS counts the
	 * connections a peer may still use, and this one's peer has had
	 * its last answer (it may well have opened the next connection
	 * before we see this one's end). */
	if (!c->overflow)
		c->srv->nlinger++;
	c->shut.data = c;
	if (uv_shutdown(&c->shut, c->stream, on_shutdown) != 0) {
		conn_close(c, NULL);
		return;
	}
	c->tmode = CT_LINGER;
	fcgi_timer_arm(&c->timer, LINGER_MS);
	conn_update_reading(c);
}

struct wreq {
	uv_write_t req;
	struct sconn *c;
	size_t len;
	uint8_t data[];
};

static void on_written(uv_write_t *w, int status)
{
	struct wreq *wr = (struct wreq *)w;
	struct sconn *c = wr->c;
	struct fcgi_server *s = c->srv;

	c->wq -= wr->len;
	fcgi_mem_free(s->o.mem, wr);
	if (c->state == CS_DEAD)
		return;
	if (status < 0) {
		conn_close(c, uv_strerror(status));
		return;
	}
	if (c->out_paused && c->wq <= s->o.out_low) {
		c->out_paused = false;
		note(s, c->label, "flow", "output drained; resumed");
		pause_runs(c, 0);
		conn_update_reading(c);
	}
	conn_update_timer(c, true);
	if (c->state == CS_CLOSING && c->wq == 0)
		conn_finish(c);
}

/* Hand what the conn has queued to the socket: straight away if the
 * kernel takes it, else copied into a write request. */
static void conn_flush(struct sconn *c)
{
	struct fcgi_server *s = c->srv;
	const uint8_t *p;
	size_t n, done = 0;
	struct wreq *wr;
	uv_buf_t b;
	int rc;

	due_remove(c);
	if (c->state == CS_DEAD)
		return;
	n = fcgi_conn_send(c->conn, &p);
	if (n == 0)
		return;
	if (c->wq == 0) {
		b = uv_buf_init((char *)(uintptr_t)p,
				n > UINT32_MAX ? UINT32_MAX : (unsigned)n);
		rc = uv_try_write(c->stream, &b, 1);
		if (rc > 0)
			done = (size_t)rc;
		else if (rc != UV_EAGAIN) {
			fcgi_conn_sent(c->conn, n);
			conn_close(c, uv_strerror(rc));
			return;
		}
	}
	if (done < n) {
		wr = fcgi_mem_malloc(s->o.mem, sizeof(*wr) + (n - done));
		if (wr == NULL) {
			fcgi_conn_sent(c->conn, n);
			conn_close(c, fcgi_strerror(FCGI_ENOMEM));
			return;
		}
		wr->c = c;
		wr->len = n - done;
		memcpy(wr->data, p + done, n - done);
		b = uv_buf_init((char *)wr->data, (unsigned)(n - done));
		rc = uv_write(&wr->req, c->stream, &b, 1, on_written);
		if (rc != 0) {
			fcgi_mem_free(s->o.mem, wr);
			fcgi_conn_sent(c->conn, n);
			conn_close(c, uv_strerror(rc));
			return;
		}
		c->wq += n - done;
	}
	fcgi_conn_sent(c->conn, n);
	if (c->wq > s->o.out_high && !c->out_paused) {
		c->out_paused = true;
		note(s, c->label, "flow",
		     "%zu bytes unread by the peer; runners and reading paused",
		     c->wq);
		pause_runs(c, 1);
		conn_update_reading(c);
	}
	conn_update_timer(c, false);
}

/* After an END_REQUEST: without KEEP_CONN the connection ends once its
 * last request is answered (FastCGI 1.0, 5.1). */
static void conn_check_close(struct sconn *c)
{
	if (c->state != CS_OPEN || c->nreqs > 0 ||
	    !(c->close_after || c->srv->state != SRV_SERVING))
		return;
	c->state = CS_CLOSING;
	conn_update_reading(c);
	if (c->wq == 0)
		conn_finish(c);
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
	struct sconn *c = st->data;
	char why[80];
	ssize_t rc;

	if (c->state == CS_DEAD)
		return;
	if (c->state == CS_LINGERING) {
		/* Judged for the trace (a body past its CONTENT_LENGTH, a
		 * request on a closing connection), never answered. */
		if (n > 0)
			(void)fcgi_conn_recv(c->conn, FCGI_DIR_TO_APP,
					     (const uint8_t *)b->base,
					     (size_t)n);
		else if (n < 0)
			conn_close(c, NULL);
		return;
	}
	if (n > 0) {
		if (!c->got_bytes) {
			c->got_bytes = true;
			conn_update_timer(c, false);
		}
		rc = fcgi_conn_recv(c->conn, FCGI_DIR_TO_APP,
				    (const uint8_t *)b->base, (size_t)n);
		if (c->state == CS_DEAD)
			return;
		conn_flush(c);
		if (rc < 0 && rc != FCGI_ECANCELED) {
			/* A connection error (the last violation reported),
			 * or out of memory: the requests go; what is queued
			 * is sent, then the close. */
			if (rc == FCGI_EPROTO)
				snprintf(why, sizeof(why),
					 "connection error (%s)",
					 fcgi_vcode_name(fcgi_conn_stopped(
						 c->conn, FCGI_DIR_TO_APP)));
			else
				snprintf(why, sizeof(why), "%s",
					 fcgi_strerror((int)rc));
			conn_close_flushed(c, why);
			return;
		}
		conn_check_close(c);
		return;
	}
	if (n == 0)
		return;
	/* A web server closes to abort (nginx never sends ABORT_REQUEST):
	 * every open request is stopped. */
	if (n == UV_EOF)
		fcgi_conn_eof(c->conn, FCGI_DIR_TO_APP);
	conn_close(c, n == UV_EOF ? "closed by the peer" : uv_strerror((int)n));
}

static void conn_free_maybe(struct sconn *c)
{
	struct fcgi_server *s = c->srv;

	if (c->pending > 0)
		return;
	fcgi_conn_free(c->conn);
	fcgi_mem_free(s->o.mem, c);
	s->nobj--;
	check_finished(s);
}

static void on_conn_stream_closed(void *arg)
{
	struct sconn *c = arg;

	c->pending--;
	conn_free_maybe(c);
}

static void on_conn_timer_closed(struct fcgi_timer *t)
{
	struct sconn *c = t->data;

	c->pending--;
	conn_free_maybe(c);
}

/* Let go of every request of c: runs still going are aborted, and
 * nothing more is sent for any of them. */
static void conn_drop_reqs(struct sconn *c)
{
	struct sreq *q;

	while ((q = TAILQ_FIRST(&c->reqs)) != NULL) {
		if (q->running && !q->aborted) {
			q->aborted = true;
			q->run->ops->abort(q->run);
		}
		req_detach(q);
		req_maybe_free(q);
	}
}

/* Close now: requests still open are stopped, queued output dropped. */
static void conn_close(struct sconn *c, const char *why)
{
	struct fcgi_server *s = c->srv;
	bool lingered = c->state == CS_LINGERING;

	if (c->state == CS_DEAD)
		return;
	c->state = CS_DEAD;
	due_remove(c);
	note(s, c->label, "close", "%s", why != NULL ? why : "done");
	fcgi_render_forget(s->o.trace, c->label);
	conn_drop_reqs(c);
	TAILQ_REMOVE(&s->conns, c, link);
	if (c->overflow)
		s->noverflow--;
	else
		s->nconns--;
	if (lingered && !c->overflow)
		s->nlinger--;
	c->pending = 2;
	fcgi_timer_close(&c->timer, on_conn_timer_closed);
	fcgi_io_close(c->stream, on_conn_stream_closed, c);
}

/* Close after what is queued is written: requests are let go, reading
 * stops, and the socket is shut down (FIN) once the queue drains, then
 * closed as after a last answer. */
static void conn_close_flushed(struct sconn *c, const char *why)
{
	if (c->state >= CS_LINGERING)
		return;
	conn_flush(c); /* what a runner queued this turn goes first */
	if (c->state == CS_DEAD)
		return;
	note(c->srv, c->label, "close", "%s; after %zu queued bytes", why,
	     c->wq);
	conn_drop_reqs(c);
	c->state = CS_CLOSING;
	conn_update_reading(c);
	if (c->wq == 0)
		conn_finish(c);
}

/* Close at once with a reset (RST on TCP): queued output is dropped. */
static void conn_reset(struct sconn *c, const char *why)
{
	struct linger lg = { 1, 0 };
	uv_os_fd_t fd;

	if (c->state == CS_DEAD)
		return;
	if (uv_fileno((uv_handle_t *)c->stream, &fd) == 0)
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	conn_close(c, why);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct listener *l = server->data;
	struct fcgi_server *s = l->srv;
	struct fcgi_callbacks cb;
	struct fcgi_conn_opts co;
	uv_stream_t *st;
	struct sconn *c;
	char peer[80];

	if (status < 0) {
		srv_log(s, "%s: accept: %s", l->name, uv_strerror(status));
		return;
	}
	if (fcgi_io_accept(&st, server) != 0)
		return;
	if (s->state != SRV_SERVING ||
	    (s->nconns - s->nlinger >= s->o.max_conns &&
	     s->noverflow >= OVERFLOW_MAX)) {
		s->overloaded++;
		fcgi_io_close(st, NULL, NULL);
		return;
	}
	c = fcgi_mem_malloc(s->o.mem, sizeof(*c));
	if (c == NULL) {
		fcgi_io_close(st, NULL, NULL);
		return;
	}
	memset(c, 0, sizeof(*c));
	TAILQ_INIT(&c->reqs);
	c->srv = s;
	c->stream = st;
	st->data = c;
	snprintf(c->label, sizeof(c->label), "c%llu",
		 (unsigned long long)(s->o.next_conn != NULL
					      ? s->o.next_conn(
							s->o.next_conn_arg)
					      : ++s->conn_seq));
	memset(&cb, 0, sizeof(cb));
	cb.on_event = on_event;
	cb.on_record = on_record;
	cb.on_violation = on_violation;
	fcgi_conn_opts_default(&co);
	co.limits = s->o.limits;
	/* One more than we run, so the refusal is ours to send. */
	co.limits.max_requests = s->o.max_reqs + 1;
	co.mem = s->o.mem;
	(void)fcgi_conn_new(&c->conn, FCGI_MODE_APP, &co, &cb, c);
	if (c->conn == NULL ||
	    fcgi_timer_init(s->loop, &c->timer, on_conn_timer, c) != 0) {
		fcgi_conn_free(c->conn);
		fcgi_mem_free(s->o.mem, c);
		fcgi_io_close(st, NULL, NULL);
		return;
	}
	s->nobj++;
	c->tmode = CT_UNSET;
	c->idle_since = fcgi_now_ms(s->loop);
	c->overflow = s->nconns - s->nlinger >= s->o.max_conns;
	if (c->overflow)
		s->noverflow++;
	else
		s->nconns++;
	s->accepted++;
	TAILQ_INSERT_HEAD(&s->conns, c, link);
	note(s, c->label, "accept", "%s on %s%s",
	     fcgi_io_peername(st, peer, sizeof(peer)), l->name,
	     c->overflow ? " (over FCGI_MAX_CONNS: OVERLOADED)" : "");
	conn_update_reading(c);
	conn_update_timer(c, false);
}

/* ---- the server ---- */

int fcgi_server_new(struct fcgi_server **out, uv_loop_t *loop,
		    const struct fcgi_server_opts *opts)
{
	struct fcgi_server *s;
	struct fcgi_server_opts def;

	if (out == NULL || loop == NULL)
		return FCGI_EINVAL;
	if (opts == NULL) {
		fcgi_server_opts_default(&def);
		opts = &def;
	}
	if (opts->max_conns == 0 || opts->max_reqs == 0 ||
	    opts->max_reqs > 65535 || opts->timeout_status < 100 ||
	    opts->timeout_status > 999 || opts->out_low > opts->out_high)
		return FCGI_EINVAL;
	s = fcgi_mem_malloc(opts->mem, sizeof(*s));
	if (s == NULL)
		return FCGI_ENOMEM;
	memset(s, 0, sizeof(*s));
	TAILQ_INIT(&s->conns);
	s->loop = loop;
	s->o = *opts;
	s->t0 = fcgi_now_ms(loop);
	/* Neither can fail (libuv only fills them in). */
	uv_check_init(loop, &s->due_check);
	uv_idle_init(loop, &s->due_idle);
	s->due_check.data = s;
	s->due_idle.data = s;
	s->due_open = true;
	*out = s;
	return 0;
}

void fcgi_server_set_runner(struct fcgi_server *s, struct fcgi_runner *r)
{
	s->runner = r;
}

/* At least FCGI_MAX_CONNS: a peer that opens as many connections at
 * once as we advertise must not find them refused before we accept
 * them (the kernel caps it at net.core.somaxconn). */
static int listen_backlog(const struct fcgi_server *s)
{
	if (s->o.max_conns > (unsigned)s->o.backlog)
		return s->o.max_conns > INT_MAX ? INT_MAX : (int)s->o.max_conns;
	return s->o.backlog;
}

static struct listener *add_listener(struct fcgi_server *s)
{
	struct listener *ls;

	ls = fcgi_mem_realloc(s->o.mem, s->ls, (s->nls + 1) * sizeof(*ls));
	if (ls == NULL)
		return NULL;
	/* The streams point back at their entries: renew the pointers. */
	for (size_t i = 0; i < s->nls; i++)
		if (ls[i].stream != NULL)
			ls[i].stream->data = &ls[i];
	s->ls = ls;
	memset(&ls[s->nls], 0, sizeof(ls[s->nls]));
	ls[s->nls].srv = s;
	return &ls[s->nls];
}

/* A new listener entry, or NULL with the reason in err. */
static struct listener *new_listener(struct fcgi_server *s, char *err,
				     size_t errlen, int *rc)
{
	struct listener *l;

	if (s->state != SRV_SERVING) {
		snprintf(err, errlen, "the server is stopping");
		*rc = FCGI_EINVAL;
		return NULL;
	}
	l = add_listener(s);
	if (l == NULL) {
		snprintf(err, errlen, "%s", fcgi_strerror(FCGI_ENOMEM));
		*rc = FCGI_ENOMEM;
	}
	return l;
}

/* Record a listening stream in its entry. */
static void listener_ready(struct fcgi_server *s, struct listener *l,
			   uv_stream_t *st)
{
	l->stream = st;
	fcgi_io_sockname(st, l->name, sizeof(l->name));
	s->nls++;
}

int fcgi_server_listen(struct fcgi_server *s, const struct fcgi_addr *a,
		       char *err, size_t errlen)
{
	struct listener *l;
	uv_stream_t *st;
	int rc = 0;

	l = new_listener(s, err, errlen, &rc);
	if (l == NULL)
		return rc;
	if (fcgi_io_listen(s->loop, a, listen_backlog(s), s->o.unix_mode,
			   on_connection, l, &st, err, errlen) != 0)
		return FCGI_EADDR;
	if (a->family == AF_UNIX)
		snprintf(l->unlink_path, sizeof(l->unlink_path), "%s", a->path);
	listener_ready(s, l, st);
	return 0;
}

int fcgi_server_listen_fd(struct fcgi_server *s, int fd, char *err,
			  size_t errlen)
{
	struct listener *l;
	uv_stream_t *st;
	int rc = 0;

	l = new_listener(s, err, errlen, &rc);
	if (l == NULL)
		return rc;
	if (fcgi_io_listen_fd(s->loop, fd, listen_backlog(s), on_connection, l,
			      &st, err, errlen) != 0)
		return FCGI_EADDR;
	listener_ready(s, l, st);
	return 0;
}

size_t fcgi_server_listener_count(const struct fcgi_server *s)
{
	return s->nls;
}

const char *fcgi_server_listener_name(const struct fcgi_server *s, size_t i,
				      char *out, size_t n)
{
	snprintf(out, n, "%s", i < s->nls ? s->ls[i].name : "");
	return out;
}

static void on_srv_handle_closed(uv_handle_t *h)
{
	struct fcgi_server *s = h->data;

	s->pending--;
}

static void on_srv_stream_closed(void *arg)
{
	struct fcgi_server *s = arg;

	s->pending--;
}

static void on_stop_timer_closed(struct fcgi_timer *t)
{
	struct fcgi_server *s = t->data;

	s->pending--;
}

static void close_listeners(struct fcgi_server *s)
{
	for (size_t i = 0; i < s->nls; i++) {
		struct listener *l = &s->ls[i];

		if (l->stream == NULL)
			continue;
		s->pending++;
		fcgi_io_close(l->stream, on_srv_stream_closed, s);
		l->stream = NULL;
		if (l->unlink_path[0] != '\0')
			unlink(l->unlink_path);
	}
}

/* Once stopping and nothing is left, close our own handles; the loop
 * then runs dry and fcgi_server_process() returns. */
static void check_finished(struct fcgi_server *s)
{
	if (s->state == SRV_SERVING || !TAILQ_EMPTY(&s->conns) || s->nruns > 0)
		return;
	if (s->sig_open) {
		s->sig_open = false;
		for (int i = 0; i < 2; i++) {
			s->pending++;
			uv_close((uv_handle_t *)&s->sig[i],
				 on_srv_handle_closed);
		}
	}
	if (s->stop_timer_open) {
		s->stop_timer_open = false;
		s->pending++;
		fcgi_timer_close(&s->stop_timer, on_stop_timer_closed);
	}
	if (s->due_open) {
		s->due_open = false;
		s->pending += 2;
		uv_close((uv_handle_t *)&s->due_check, on_srv_handle_closed);
		uv_close((uv_handle_t *)&s->due_idle, on_srv_handle_closed);
	}
}

/* Past the grace period (or at a second signal): stop what is left. */
static void stop_abort(struct fcgi_server *s)
{
	struct sconn *c;

	s->state = SRV_ABORTING;
	note(s, NULL, "stop", "aborting %u open requests", s->nreqs);
	while ((c = TAILQ_FIRST(&s->conns)) != NULL)
		conn_close(c, "server stopping");
	check_finished(s);
}

static void on_stop_timer(struct fcgi_timer *t)
{
	stop_abort(t->data);
}

void fcgi_server_stop(struct fcgi_server *s)
{
	struct sconn *c, *next;

	if (s->state != SRV_SERVING) {
		if (s->state == SRV_DRAINING)
			stop_abort(s);
		return;
	}
	s->state = SRV_DRAINING;
	note(s, NULL, "stop", "%u open requests", s->nreqs);
	close_listeners(s);
	for (c = TAILQ_FIRST(&s->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, link);
		if (c->nreqs == 0)
			conn_close(c, "server stopping");
		else
			c->close_after = true;
	}
	if (!TAILQ_EMPTY(&s->conns) && s->o.shutdown_ms != 0 &&
	    fcgi_timer_init(s->loop, &s->stop_timer, on_stop_timer, s) == 0) {
		s->stop_timer_open = true;
		fcgi_timer_arm(&s->stop_timer, s->o.shutdown_ms);
	} else if (!TAILQ_EMPTY(&s->conns) && s->o.shutdown_ms == 0) {
		stop_abort(s);
		return;
	}
	check_finished(s);
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct fcgi_server *s = h->data;

	note(s, NULL, "signal", "%s", strsignal(signum));
	fcgi_server_stop(s);
}

int fcgi_server_process(struct fcgi_server *s)
{
	static const int sigs[2] = { SIGINT, SIGTERM };

	if (s->nls == 0)
		return FCGI_EINVAL;
	if (s->o.handle_signals && !s->sig_open && s->state == SRV_SERVING) {
		for (int i = 0; i < 2; i++) {
			uv_signal_init(s->loop, &s->sig[i]);
			s->sig[i].data = s;
			uv_signal_start(&s->sig[i], on_signal, sigs[i]);
		}
		s->sig_open = true;
	}
	uv_run(s->loop, UV_RUN_DEFAULT);
	return 0;
}

void fcgi_server_stats(const struct fcgi_server *s,
		       struct fcgi_server_stats *st)
{
	st->conns = s->nconns + s->noverflow;
	st->reqs = s->nreqs;
	st->runs = s->nruns;
	st->accepted = s->accepted;
	st->completed = s->completed;
	st->timeouts = s->timeouts;
	st->overloaded = s->overloaded;
}

void fcgi_server_free(struct fcgi_server *s)
{
	if (s == NULL)
		return;
	/* A server that never processed, or stopped: close what is left
	 * and let the loop run the close callbacks. */
	if (s->state == SRV_SERVING)
		s->state = SRV_ABORTING;
	close_listeners(s);
	while (!TAILQ_EMPTY(&s->conns))
		conn_close(TAILQ_FIRST(&s->conns), "server freed");
	check_finished(s);
	/* Close callbacks come on the next turn; dying runners within
	 * their kill grace. */
	for (int i = 0;
	     i < 100000 && (s->pending > 0 || s->nobj > 0 || s->nruns > 0); i++)
		uv_run(s->loop, UV_RUN_ONCE);
	/* And one more turn for streams libuv was still closing, such as
	 * those of a failed listen. */
	uv_run(s->loop, UV_RUN_NOWAIT);
	fcgi_mem_free(s->o.mem, s->ls);
	fcgi_mem_free(s->o.mem, s);
}
