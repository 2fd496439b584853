/* SPDX-License-Identifier: MIT */
/*
 * bench-run.c - fcgitool bench's load: -t threads, each with a loop of
 * its own and its share of the -c connections, every answer decoded by a
 * struct fcgi_conn in WEB mode (the one decoder) and timed into the
 * library's histograms.
 *
 * Closed loop by default: a connection sends its next request as soon as
 * one of its --mpx slots is free.  With --rate, each connection sends on
 * a schedule of its own (rate / connections) and a request's latency is
 * measured from the time the schedule meant to send it, so that a stall
 * of the server shows in the percentiles instead of silently slowing the
 * load down (coordinated omission, as wrk2 corrects it); the latency from
 * the actual send is kept beside it (BL_TOTAL_RAW).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "bench.h"
#include "util.h"

#define TICK_MS 20
#define RETRY_MS 10
#define LINE_MAX_KEEP 128

enum slot_state { SLOT_FREE = 0, SLOT_SENT };
enum bconn_state { BC_IDLE = 0, BC_CONNECTING, BC_OPEN, BC_CLOSING };

struct slot {
	enum slot_state state;
	uint64_t t_intended, t_sent, t_first;
	bool violated;
	bool hdr_done, saw_location;
	int status;
	size_t llen;
	char line[LINE_MAX_KEEP];
};

/*
 * The request as bytes, encoded once for id 1 by the library's own
 * encoders (a WEB conn), with the offset of each record so that another
 * id is a copy with the ids patched: a request then costs one queued
 * copy instead of encoding its params and records each time.
 */
struct tmpl {
	uint8_t *bytes;
	size_t len;
	size_t *recs; /* offsets of the record headers */
	size_t nrecs, cap;
};

struct bthread;

struct bconn {
	struct bthread *t;
	enum bconn_state state;
	uv_stream_t *s;
	struct fcgi_conn *conn;
	struct slot *slots; /* 1..mpx */
	unsigned inflight;
	unsigned served;    /* requests begun on this connection */
	uint64_t t_connect; /* connect() started */
	uint64_t next_due;  /* --rate: intended time of the next request */
	uint64_t interval;  /* --rate: ns between its requests */
	uv_timer_t timer;   /* --rate schedule and connect retries */
	bool writing;
	uv_write_t wreq;
	struct fcgi_buf wbuf;
	char rbuf[65536];
};

struct bthread {
	const struct bench_opts *o;
	const struct tmpl *req;
	uint8_t *scratch; /* a copy of req->bytes for ids other than 1 */
	pthread_t tid;
	uv_loop_t loop;
	uv_timer_t tick;
	struct bconn *conns;
	unsigned nconns;
	uint64_t quota;	     /* requests this thread may start */
	uint64_t started;    /* requests begun (or failed to connect) */
	uint64_t connecting; /* connects under way, each for a request */
	uint64_t t0, t_measure, t_stop, t_last;
	uint64_t t_read; /* uv_hrtime() of the read being decoded */
	bool stopping;
	struct bench_result res;
	uint64_t done; /* ended requests, read by the progress line */
	int rc;
};

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

static const char *const err_names[BE_COUNT] = {
	"connect",	  "reset",     "timeout", "protocol",
	"protocolStatus", "appStatus", "http4xx", "http5xx",
};

const char *bench_err_name(enum bench_err e)
{
	return (unsigned)e < BE_COUNT ? err_names[e] : "?";
}

const char *bench_lat_name(enum bench_lat l)
{
	static const char *const n[BL_COUNT] = { "total", "totalUncorrected",
						 "firstByte", "connect" };

	return (unsigned)l < BL_COUNT ? n[l] : "?";
}

static void bc_start(struct bconn *bc);
static void bc_close(struct bconn *bc);
static void bc_fill(struct bconn *bc);

static bool measuring(const struct bthread *t, uint64_t now)
{
	return now >= t->t_measure;
}

/* A request ended: count it (after the warm-up) and free its slot. */
static void slot_end(struct bconn *bc, struct slot *sl, int err, uint64_t now)
{
	struct bthread *t = bc->t;
	struct bench_result *r = &t->res;

	sl->state = SLOT_FREE;
	bc->inflight--;
	__atomic_add_fetch(&t->done, 1, __ATOMIC_RELAXED);
	if (!measuring(t, sl->t_sent))
		return;
	r->requests++;
	t->t_last = now;
	if (err >= 0) {
		r->errors[err]++;
		return;
	}
	r->ok++;
}

/* Record a failure of the whole connection for each open request. */
static void bc_fail_all(struct bconn *bc, enum bench_err err, const char *why)
{
	uint64_t now = uv_hrtime();

	for (unsigned i = 1; i <= bc->t->o->mpx; i++) {
		if (bc->slots[i].state != SLOT_SENT)
			continue;
		if (bc->t->res.first_error[0] == '\0')
			snprintf(bc->t->res.first_error,
				 sizeof(bc->t->res.first_error), "%s", why);
		slot_end(bc, &bc->slots[i], (int)err, now);
	}
}

/* ---- writing ------------------------------------------------------- */

static void bc_written(uv_write_t *w, int status)
{
	struct bconn *bc = w->data;

	bc->writing = false;
	fcgi_buf_reset(&bc->wbuf);
	if (bc->state != BC_OPEN)
		return;
	if (status < 0) {
		bc_fail_all(bc, BE_RESET, uv_strerror(status));
		bc_close(bc);
		return;
	}
	bc_fill(bc);
}

static void bc_flush(struct bconn *bc)
{
	const uint8_t *p;
	size_t n;
	uv_buf_t b;
	int w;

	if (bc->writing || bc->state != BC_OPEN)
		return;
	while ((n = fcgi_conn_send(bc->conn, &p)) > 0) {
		b = uv_buf_init((char *)(uintptr_t)p, (unsigned)n);
		w = uv_try_write(bc->s, &b, 1);
		if (w > 0) {
			bc->t->res.bytes_out += (uint64_t)w;
			fcgi_conn_sent(bc->conn, (size_t)w);
			continue;
		}
		if (w != UV_EAGAIN) {
			bc_fail_all(bc, BE_RESET, uv_strerror(w));
			bc_close(bc);
			return;
		}
		/* The socket is full: write a copy when it drains. */
		if (fcgi_buf_append(&bc->wbuf, p, n) != 0) {
			bc_fail_all(bc, BE_RESET, "out of memory");
			bc_close(bc);
			return;
		}
		bc->t->res.bytes_out += n;
		fcgi_conn_sent(bc->conn, n);
		b = uv_buf_init((char *)bc->wbuf.data, (unsigned)bc->wbuf.len);
		bc->wreq.data = bc;
		if (uv_write(&bc->wreq, bc->s, &b, 1, bc_written) != 0) {
			fcgi_buf_reset(&bc->wbuf);
			bc_fail_all(bc, BE_RESET, "write failed");
			bc_close(bc);
			return;
		}
		bc->writing = true;
		return;
	}
}

/* ---- one request ----------------------------------------------------- */

/* May this thread begin another request? */
static bool may_start(struct bthread *t)
{
	if (t->stopping || interrupted)
		return false;
	return t->started < t->quota;
}

/* Queue one request on slot id; intended is the time it was meant to
 * go (the schedule's, or now), and now the time it is sent.  The conn
 * decodes the queued bytes like any it sends, so the id becomes active
 * and the answer is judged as before. */
static bool bc_send(struct bconn *bc, unsigned id, uint64_t intended,
		    uint64_t now)
{
	const struct tmpl *q = bc->t->req;
	const uint8_t *bytes = q->bytes;
	struct slot *sl = &bc->slots[id];

	if (id != 1) {
		memcpy(bc->t->scratch, q->bytes, q->len);
		for (size_t i = 0; i < q->nrecs; i++) {
			bc->t->scratch[q->recs[i] + 2] = (uint8_t)(id >> 8);
			bc->t->scratch[q->recs[i] + 3] = (uint8_t)id;
		}
		bytes = bc->t->scratch;
	}
	if (fcgi_conn_send_raw(bc->conn, bytes, q->len) != 0)
		return false;
	memset(sl, 0, sizeof(*sl));
	sl->state = SLOT_SENT;
	sl->t_intended = intended;
	sl->t_sent = now;
	bc->inflight++;
	bc->served++;
	bc->t->started++;
	return true;
}

/* May this thread open a connection for another request?  Each connect
 * under way stands for a request not yet begun, so that the end of a
 * -n run opens no connection that would carry nothing. */
static bool may_connect(struct bthread *t)
{
	if (t->stopping || interrupted)
		return false;
	return t->started + t->connecting < t->quota;
}

static void rate_due(uv_timer_t *h)
{
	bc_fill(h->data);
}

/* Start requests while slots are free and the run wants more. */
static void bc_fill(struct bconn *bc)
{
	const struct bench_opts *o = bc->t->o;
	struct bthread *t = bc->t;
	uint64_t now = 0;
	bool sent = false;

	if (bc->state != BC_OPEN)
		return;
	for (unsigned id = 1; id <= o->mpx; id++) {
		uint64_t intended;

		if (bc->slots[id].state != SLOT_FREE ||
		    fcgi_conn_is_active(bc->conn, (uint16_t)id))
			continue;
		/* Without --keep-conn a connection carries one request. */
		if (!o->keep_conn && bc->served > 0)
			break;
		if (!may_start(t))
			break;
		/* One clock read for the requests of one fill: they go out
		 * in the same write. */
		if (now == 0)
			now = uv_hrtime();
		intended = now;
		if (bc->interval != 0) {
			if (bc->next_due > now) {
				uv_timer_start(&bc->timer, rate_due,
					       (bc->next_due - now + 999999) /
						       1000000,
					       0);
				break;
			}
			intended = bc->next_due;
			bc->next_due += bc->interval;
		}
		if (!bc_send(bc, id, intended, now))
			break;
		sent = true;
	}
	if (sent)
		bc_flush(bc);
}

/* ---- decoding the answers -------------------------------------------- */

/* One complete header line of slot sl's CGI response (without its end). */
static void hdr_line(struct slot *sl)
{
	const char *l = sl->line;
	size_t n = sl->llen;

	if (n == 0) {
		sl->hdr_done = true;
		if (sl->status == 0)
			sl->status = sl->saw_location ? 302 : 200;
		return;
	}
	if (n >= 7 && strncasecmp(l, "status:", 7) == 0) {
		size_t i = 7;
		int v = 0, digits = 0;

		while (i < n && (l[i] == ' ' || l[i] == '\t'))
			i++;
		while (i < n && l[i] >= '0' && l[i] <= '9' && digits < 3) {
			v = v * 10 + (l[i++] - '0');
			digits++;
		}
		if (digits == 3)
			sl->status = v;
	} else if (n >= 9 && strncasecmp(l, "location:", 9) == 0) {
		sl->saw_location = true;
	}
}

/* STDOUT bytes: find the Status of the header block, cheaply (only the
 * first LINE_MAX_KEEP bytes of each line are looked at). */
static void hdr_feed(struct slot *sl, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len && !sl->hdr_done; i++) {
		if (p[i] == '\n') {
			if (sl->llen > 0 && sl->line[sl->llen - 1] == '\r')
				sl->llen--;
			hdr_line(sl);
			sl->llen = 0;
		} else if (sl->llen < LINE_MAX_KEEP) {
			sl->line[sl->llen++] = (char)p[i];
		}
	}
}

static int on_event(void *arg, const struct fcgi_event *ev)
{
	struct bconn *bc = arg;
	struct bthread *t = bc->t;
	struct slot *sl;
	uint64_t now;
	int err = -1;

	if (ev->request_id == 0 || ev->request_id > t->o->mpx)
		return 0;
	sl = &bc->slots[ev->request_id];
	if (sl->state != SLOT_SENT)
		return 0;
	switch (ev->type) {
	case FCGI_EV_STDOUT:
		if (ev->len == 0)
			break;
		if (sl->t_first == 0)
			sl->t_first = t->t_read;
		hdr_feed(sl, ev->data, ev->len);
		break;
	case FCGI_EV_END:
		now = t->t_read;
		if (ev->protocol_status != FCGI_REQUEST_COMPLETE)
			err = BE_PSTATUS;
		else if (sl->violated)
			err = BE_PROTOCOL;
		else if (ev->app_status != 0)
			err = BE_APPSTATUS;
		else if (sl->status >= 500 && sl->status <= 599)
			err = BE_HTTP5XX;
		else if (sl->status >= 400 && sl->status <= 499)
			err = BE_HTTP4XX;
		if (measuring(t, sl->t_sent)) {
			struct bench_result *r = &t->res;

			fcgi_hist_add(&r->lat[BL_TOTAL], now - sl->t_intended);
			fcgi_hist_add(&r->lat[BL_TOTAL_RAW], now - sl->t_sent);
			if (sl->t_first != 0)
				fcgi_hist_add(&r->lat[BL_FIRST_BYTE],
					      sl->t_first - sl->t_sent);
			if (sl->status >= 100 && sl->status <= 599)
				r->status[sl->status / 100]++;
			else
				r->status[0]++;
			if (err >= 0 && r->first_error[0] == '\0')
				snprintf(r->first_error, sizeof(r->first_error),
					 "request %u: %s (protocolStatus %u, "
					 "appStatus %u, Status %d)",
					 (unsigned)ev->request_id,
					 bench_err_name((enum bench_err)err),
					 (unsigned)ev->protocol_status,
					 (unsigned)ev->app_status, sl->status);
		}
		slot_end(bc, sl, err, now);
		break;
	default:
		break;
	}
	return 0;
}

static void on_violation(void *arg, const struct fcgi_violation *v)
{
	struct bconn *bc = arg;
	struct bthread *t = bc->t;

	/* Notes (PHP-FPM's missing empty STDOUT, for one) are no error. */
	if (v->severity == FCGI_SEV_NOTE)
		return;
	if (v->request_id != 0 && v->request_id <= t->o->mpx &&
	    bc->slots[v->request_id].state == SLOT_SENT) {
		bc->slots[v->request_id].violated = true;
	} else if (measuring(t, uv_hrtime())) {
		t->res.errors[BE_PROTOCOL]++;
	}
	if (t->res.first_error[0] == '\0')
		snprintf(t->res.first_error, sizeof(t->res.first_error),
			 "%s: %.160s", fcgi_vcode_name(v->code), v->message);
}

static const struct fcgi_callbacks conn_cb = {
	.on_event = on_event,
	.on_violation = on_violation,
};

/* ---- connections ----------------------------------------------------- */

static void bc_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct bconn *bc = h->data;

	(void)hint;
	buf->base = bc->rbuf;
	buf->len = sizeof(bc->rbuf);
}

static void bc_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct bconn *bc = s->data;
	ssize_t rc;

	if (n == 0)
		return;
	if (n < 0) {
		/* The server closed: what was open on it is lost; a kept
		 * connection closed while idle is simply made again. */
		bc_fail_all(bc, BE_RESET,
			    n == UV_EOF ? "the server closed the connection"
					: uv_strerror((int)n));
		bc_close(bc);
		return;
	}
	bc->t->res.bytes_in += (uint64_t)n;
	/* Every record of one read arrived at the same time. */
	bc->t->t_read = uv_hrtime();
	rc = fcgi_conn_recv(bc->conn, FCGI_DIR_TO_WEB,
			    (const uint8_t *)buf->base, (size_t)n);
	if (rc < 0) {
		bc_fail_all(bc, BE_PROTOCOL,
			    "the server's bytes are not FastCGI");
		bc_close(bc);
		return;
	}
	if (bc->state != BC_OPEN)
		return;
	if (!bc->t->o->keep_conn && bc->inflight == 0 && bc->served > 0) {
		bc_close(bc);
		return;
	}
	bc_fill(bc);
}

static void bc_closed(void *arg)
{
	struct bconn *bc = arg;
	struct bthread *t = bc->t;

	bc->state = BC_IDLE;
	if (may_connect(t))
		bc_start(bc);
}

static void bc_close(struct bconn *bc)
{
	if (bc->state != BC_OPEN)
		return;
	bc->state = BC_CLOSING;
	uv_timer_stop(&bc->timer);
	fcgi_conn_free(bc->conn);
	bc->conn = NULL;
	fcgi_io_close(bc->s, bc_closed, bc);
	bc->s = NULL;
}

static void retry_due(uv_timer_t *h)
{
	struct bconn *bc = h->data;

	if (bc->state == BC_IDLE && may_connect(bc->t))
		bc_start(bc);
}

static void bc_connected(uv_stream_t *s, int status, void *arg)
{
	struct bconn *bc = arg;
	struct bthread *t = bc->t;
	uint64_t now = uv_hrtime();

	t->connecting--;
	if (status != 0) {
		/* A refused or failed connect costs the request it was for. */
		bc->state = BC_IDLE;
		t->started++;
		__atomic_add_fetch(&t->done, 1, __ATOMIC_RELAXED);
		if (measuring(t, now)) {
			t->res.requests++;
			t->res.errors[BE_CONNECT]++;
			t->t_last = now;
			if (t->res.first_error[0] == '\0')
				snprintf(t->res.first_error,
					 sizeof(t->res.first_error),
					 "cannot connect to '%s': %s",
					 t->o->addr_text, uv_strerror(status));
		}
		uv_timer_start(&bc->timer, retry_due, RETRY_MS, 0);
		return;
	}
	if (measuring(t, now)) {
		fcgi_hist_add(&t->res.lat[BL_CONNECT], now - bc->t_connect);
		t->res.connects++;
	}
	bc->s = s;
	s->data = bc;
	(void)fcgi_conn_new(&bc->conn, FCGI_MODE_WEB, NULL, &conn_cb, bc);
	if (bc->conn == NULL) {
		fcgi_io_close(s, NULL, NULL);
		bc->s = NULL;
		bc->state = BC_IDLE;
		t->rc = EXIT_IO;
		t->stopping = true;
		return;
	}
	bc->state = BC_OPEN;
	bc->served = 0;
	if (uv_read_start(s, bc_alloc, bc_read) != 0) {
		bc_close(bc);
		return;
	}
	bc_fill(bc);
}

static void bc_start(struct bconn *bc)
{
	struct bthread *t = bc->t;
	int rc;

	bc->state = BC_CONNECTING;
	bc->t_connect = uv_hrtime();
	t->connecting++;
	rc = fcgi_io_connect(&t->loop, &t->o->addr, bc_connected, bc);
	if (rc != 0)
		bc_connected(NULL, rc, bc);
}

/* ---- the thread ------------------------------------------------------ */

static bool thread_idle(const struct bthread *t)
{
	for (unsigned i = 0; i < t->nconns; i++)
		if (t->conns[i].inflight > 0 ||
		    t->conns[i].state == BC_CONNECTING)
			return false;
	return true;
}

static void close_walk(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void tick(uv_timer_t *h)
{
	struct bthread *t = h->data;
	const struct bench_opts *o = t->o;
	uint64_t now = uv_hrtime();

	if (interrupted)
		t->stopping = true;
	if (o->duration_ms != 0 && now >= t->t_stop)
		t->stopping = true;
	/* Requests past their time: the connection is in doubt, so it is
	 * closed, and every request open on it counts as timed out. */
	for (unsigned i = 0; i < t->nconns; i++) {
		struct bconn *bc = &t->conns[i];

		if (bc->state != BC_OPEN || bc->inflight == 0)
			continue;
		for (unsigned id = 1; id <= o->mpx; id++) {
			struct slot *sl = &bc->slots[id];

			if (sl->state == SLOT_SENT &&
			    now - sl->t_sent >= o->timeout_ms * 1000000) {
				bc_fail_all(
					bc, BE_TIMEOUT,
					"no END_REQUEST within the timeout");
				bc_close(bc);
				break;
			}
		}
	}
	if ((t->stopping || t->started >= t->quota) && thread_idle(t)) {
		for (unsigned i = 0; i < t->nconns; i++)
			bc_close(&t->conns[i]);
		uv_timer_stop(&t->tick);
		/* Every handle is closed: uv_run returns. */
		t->stopping = true;
		uv_walk(&t->loop, close_walk, NULL);
	}
}

static void *thread_main(void *arg)
{
	struct bthread *t = arg;

	uv_run(&t->loop, UV_RUN_DEFAULT);
	return NULL;
}

static int thread_init(struct bthread *t, const struct bench_opts *o,
		       const struct tmpl *req, unsigned nconns, uint64_t quota,
		       uint64_t t0)
{
	uint64_t interval = 0;

	memset(t, 0, sizeof(*t));
	t->o = o;
	t->req = req;
	t->scratch = malloc(req->len);
	if (t->scratch == NULL)
		return -1;
	t->nconns = nconns;
	t->quota = quota;
	t->t0 = t0;
	t->t_measure = t0 + o->warmup_ms * 1000000;
	t->t_stop = t->t_measure + o->duration_ms * 1000000;
	for (unsigned i = 0; i < BL_COUNT; i++)
		fcgi_hist_init(&t->res.lat[i]);
	if (uv_loop_init(&t->loop) != 0)
		return -1;
	t->conns = calloc(nconns, sizeof(*t->conns));
	if (t->conns == NULL)
		return -1;
	if (o->rate > 0)
		interval = (uint64_t)(1e9 * (double)o->conns / o->rate);
	for (unsigned i = 0; i < nconns; i++) {
		struct bconn *bc = &t->conns[i];

		bc->t = t;
		bc->slots = calloc(o->mpx + 1, sizeof(*bc->slots));
		if (bc->slots == NULL)
			return -1;
		fcgi_buf_init(&bc->wbuf, NULL, 0);
		uv_timer_init(&t->loop, &bc->timer);
		bc->timer.data = bc;
		bc->interval = interval;
		/* Spread the connections' schedules over one interval. */
		bc->next_due = t0 + (interval / (nconns ? nconns : 1)) * i;
	}
	uv_timer_init(&t->loop, &t->tick);
	t->tick.data = t;
	uv_timer_start(&t->tick, tick, TICK_MS, TICK_MS);
	for (unsigned i = 0; i < nconns && may_connect(t); i++)
		bc_start(&t->conns[i]);
	return 0;
}

static void thread_free(struct bthread *t)
{
	if (t->conns != NULL) {
		for (unsigned i = 0; i < t->nconns; i++) {
			free(t->conns[i].slots);
			fcgi_buf_fini(&t->conns[i].wbuf);
		}
	}
	free(t->conns);
	free(t->scratch);
	uv_loop_close(&t->loop);
}

static void tmpl_record(void *arg, enum fcgi_dir dir,
			const struct fcgi_record *rec)
{
	struct tmpl *q = arg;
	size_t *n;

	(void)dir;
	if (q->nrecs == q->cap) {
		q->cap = q->cap ? 2 * q->cap : 16;
		n = reallocarray(q->recs, q->cap, sizeof(*n));
		if (n == NULL)
			die(EXIT_IO, "out of memory");
		q->recs = n;
	}
	q->recs[q->nrecs++] = (size_t)rec->offset;
}

/* Encode the request once, as id 1, and note where its records start. */
static void tmpl_build(const struct bench_opts *o, struct tmpl *q)
{
	static const struct fcgi_callbacks cb = { .on_record = tmpl_record };
	uint8_t flags = o->keep_conn ? FCGI_KEEP_CONN : 0;
	struct fcgi_conn *c;
	const uint8_t *p;
	size_t off = 0, n;
	int rc;

	memset(q, 0, sizeof(*q));
	if (fcgi_conn_new(&c, FCGI_MODE_WEB, NULL, &cb, q) != 0)
		die(EXIT_IO, "out of memory");
	rc = fcgi_conn_begin(c, 1, o->role, flags);
	if (rc == 0)
		rc = fcgi_conn_params(c, 1, o->params);
	while (rc == 0 && off < o->body_len) {
		n = o->body_len - off;
		if (n > FCGI_CHUNK_MAX)
			n = FCGI_CHUNK_MAX;
		rc = fcgi_conn_stream(c, 1, FCGI_STDIN, o->body + off, n);
		off += n;
	}
	if (rc == 0)
		rc = fcgi_conn_stream(c, 1, FCGI_STDIN, NULL, 0);
	if (rc != 0)
		die(EXIT_IO, "cannot encode the request: %s",
		    fcgi_strerror(rc));
	q->len = fcgi_conn_send(c, &p);
	q->bytes = malloc(q->len);
	if (q->bytes == NULL)
		die(EXIT_IO, "out of memory");
	memcpy(q->bytes, p, q->len);
	fcgi_conn_free(c);
}

static void merge(struct bench_result *dst, const struct bench_result *src)
{
	dst->requests += src->requests;
	dst->ok += src->ok;
	for (unsigned i = 0; i < BE_COUNT; i++)
		dst->errors[i] += src->errors[i];
	for (unsigned i = 0; i < 6; i++)
		dst->status[i] += src->status[i];
	dst->connects += src->connects;
	dst->bytes_out += src->bytes_out;
	dst->bytes_in += src->bytes_in;
	for (unsigned i = 0; i < BL_COUNT; i++)
		fcgi_hist_merge(&dst->lat[i], &src->lat[i]);
	if (dst->first_error[0] == '\0')
		memcpy(dst->first_error, src->first_error,
		       sizeof(dst->first_error));
}

static uint64_t total_done(const struct bthread *th, unsigned n)
{
	uint64_t d = 0;

	for (unsigned i = 0; i < n; i++)
		d += __atomic_load_n(&th[i].done, __ATOMIC_RELAXED);
	return d;
}

int bench_run(const struct bench_opts *o, struct bench_result *res)
{
	struct bthread *th;
	struct tmpl req;
	struct sigaction sa, old;
	uint64_t t0, t_end = 0, last_done = 0, last_t;
	unsigned n = o->threads;
	bool alive, *joined;
	int rc = 0;

	th = calloc(n, sizeof(*th));
	if (th == NULL)
		die(EXIT_IO, "out of memory");
	tmpl_build(o, &req);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old);
	interrupted = 0;
	t0 = uv_hrtime();
	for (unsigned i = 0; i < n; i++) {
		unsigned c = o->conns / n + (i < o->conns % n);
		uint64_t q = UINT64_MAX;

		if (o->count != 0)
			q = o->count / n + (i < o->count % n);
		if (thread_init(&th[i], o, &req, c, q, t0) != 0 ||
		    pthread_create(&th[i].tid, NULL, thread_main, &th[i]) != 0)
			die(EXIT_IO, "cannot start thread %u: out of resources",
			    i + 1);
	}
	/* The progress line, once a second while the threads run. */
	joined = calloc(n, sizeof(*joined));
	if (joined == NULL)
		die(EXIT_IO, "out of memory");
	last_t = t0;
	do {
		uint64_t now, d;

		usleep(100000);
		alive = false;
		for (unsigned i = 0; i < n; i++) {
			if (joined[i])
				continue;
			if (pthread_tryjoin_np(th[i].tid, NULL) == 0)
				joined[i] = true;
			else
				alive = true;
		}
		now = uv_hrtime();
		if (o->progress && alive && now - last_t >= 1000000000) {
			d = total_done(th, n);
			fprintf(stderr,
				"\r  %6.1f s  %10llu requests  %10.0f/s   ",
				(double)(now - t0) / 1e9, (unsigned long long)d,
				(double)(d - last_done) * 1e9 /
					(double)(now - last_t));
			last_done = d;
			last_t = now;
		}
	} while (alive);
	free(joined);
	if (o->progress)
		fputs("\r\033[K", stderr);
	sigaction(SIGINT, &old, NULL);
	memset(res, 0, sizeof(*res));
	for (unsigned i = 0; i < BL_COUNT; i++)
		fcgi_hist_init(&res->lat[i]);
	for (unsigned i = 0; i < n; i++) {
		merge(res, &th[i].res);
		if (th[i].t_last > t_end)
			t_end = th[i].t_last;
		if (th[i].rc != 0)
			rc = th[i].rc;
		thread_free(&th[i]);
	}
	free(th);
	free(req.bytes);
	free(req.recs);
	if (t_end == 0)
		t_end = uv_hrtime();
	res->seconds = (double)(t_end - (t0 + o->warmup_ms * 1000000)) / 1e9;
	if (res->seconds <= 0)
		res->seconds = 1e-9;
	res->interrupted = interrupted != 0;
	return rc;
}
