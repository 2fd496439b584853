/* SPDX-License-Identifier: MIT */
/*
 * client.c - the web server's half on libuv: connections, requests,
 * bodies streamed as the socket drains, timeouts and multiplexing.  Every
 * byte from the server is decoded by a struct fcgi_conn in FCGI_MODE_WEB;
 * this file only drives it (DESIGN.md rule 1).
 */
#include <sys/queue.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cursor.h"
#include "driven.h"

/* Output queued in a conn (plus a write in flight) above which no more
 * body bytes are read: enough for a few full records. */
#define CLIENT_HIGH_WATER (4 * (size_t)FCGI_CHUNK_MAX)
#define CLIENT_READ_SIZE 65536

enum req_state {
	RS_NEW = 0, /* built, not processed */
	RS_QUEUED,  /* waiting for a connection */
	RS_ACTIVE,  /* on a connection */
	RS_ENDED,   /* finished; on_done not yet delivered */
	RS_DONE
};

enum cc_state { CC_CONNECTING = 0, CC_READY, CC_CLOSING };

/* What the server said to the MPX probe (FCGI_CLIENT_MPX_ASK). */
enum mpx_answer { MPX_UNASKED = 0, MPX_UNKNOWN, MPX_NO, MPX_YES };

struct cconn;

/* One STDIN or DATA body being sent. */
struct body_src {
	struct fcgi_client_body b;
	uint8_t type; /* FCGI_STDIN or FCGI_DATA */
	bool stream;  /* read as a stream (pipe, socket, terminal) */
	int64_t pos;  /* next file offset, or bytes of memory sent */
	bool ended;   /* its empty record is queued (or it was dropped) */
	bool reading; /* a file read or stream reading in progress */
	uv_fs_t fsreq;
	uv_pipe_t *pipe;
	uint8_t *buf;
};

struct fcgi_client_req {
	struct fcgi_client *c;
	/* On c->queue while RS_QUEUED, on c->done while RS_ENDED. */
	TAILQ_ENTRY(fcgi_client_req) link;
	LIST_ENTRY(fcgi_client_req) all_link; /* c->all, while c lives */
	enum req_state state;
	bool internal; /* the client's own MPX probe */
	bool released; /* fcgi_client_req_free() was called */
	bool is_values;
	unsigned refs; /* loop handles and reads not yet let go */
	uint16_t role;
	struct fcgi_params params;
	struct fcgi_params names;
	struct body_src in, data;
	uint64_t timeout_ms, abort_after_ms;
	bool collect;
	const struct fcgi_client_req_cb *cb;
	void *arg;
	struct cconn *cc;
	uint16_t id;
	bool stdout_seen; /* a STDOUT record came, even an empty one */
	bool lingering;	  /* END_REQUEST came; reading on until the close */
	char values_fault[200]; /* why GET_VALUES_RESULT is malformed */
	bool abort_pending;	/* fcgi_client_abort() asked; done by kick() */
	int abort_error;
	struct fcgi_timer t_total; /* total deadline, then abort grace */
	struct fcgi_timer t_abort; /* abort_after_ms */
	bool timers_on;
	bool grace; /* t_total now waits for END_REQUEST after an abort */
	uint64_t t0_ns, t_begin_ns;
	bool got_byte;
	struct fcgi_cgi cgi;
	struct fcgi_params values;
	struct fcgi_violation *viol;
	struct fcgi_client_result res;
};

struct cconn {
	struct fcgi_client *c;
	LIST_ENTRY(cconn) link; /* c->conns, while listed */
	unsigned num;
	enum cc_state state;
	uv_stream_t *s;
	struct fcgi_conn *conn;
	struct fcgi_client_req **reqs; /* by request id, 1..cap */
	unsigned cap;
	unsigned nactive;
	struct fcgi_client_req *values_req;
	unsigned used; /* requests begun on it */
	bool broken;   /* takes no new requests */
	bool dying;    /* cc_fail() is ending its requests */
	bool probing;  /* the MPX probe is out on it */
	struct fcgi_timer t_connect, t_idle, t_linger;
	bool timers_on;
	struct fcgi_client_req *lingering; /* see req_ended() */
	uint8_t last_type;		   /* of the last record received */
	uint16_t foreign_id; /* the first answer for an id never begun */
	uv_write_t wreq;
	struct fcgi_buf wbuf;
	bool writing;
	unsigned refs;
	bool listed; /* on c->conns */
	uint64_t t_start_ns;
	double connect_ms;
	uint8_t rbuf[CLIENT_READ_SIZE];
};

struct fcgi_client {
	uv_loop_t *loop;
	uv_loop_t own;
	bool owns_loop;
	struct fcgi_addr addr;
	char addr_text[300];
	struct fcgi_client_opts o;
	struct fcgi_client_trace trace;
	bool has_trace;
	const struct fcgi_mem *mem;
	uv_idle_t kick;
	/* The stall check: every stall_check_ms while a request is open,
	 * whether a connection with bytes to send has anything under way
	 * that will send them (see watch_cb). */
	struct fcgi_timer t_watch;
	unsigned lose_wakeups; /* tests: fcgi_client_lose_wakeups() */
	LIST_HEAD(, cconn) conns;
	unsigned nconns;
	unsigned conn_seq;
	TAILQ_HEAD(, fcgi_client_req) queue; /* waiting for a connection */
	TAILQ_HEAD(, fcgi_client_req) done;  /* on_done not yet delivered */
	LIST_HEAD(, fcgi_client_req) all;    /* every request not freed */
	unsigned open_reqs;
	enum mpx_answer mpx;
	unsigned mpx_max;
	struct fcgi_violation *viol;
	size_t nviol, viol_dropped;
	uint64_t t0_ns;
	bool freeing;
	unsigned refs;
	bool released;
};

static void kick(struct fcgi_client *c);
static void cc_pump(struct cconn *cc);
static void cc_flush(struct cconn *cc);
static void cc_close(struct cconn *cc);
static void cc_maybe_idle_close(struct cconn *cc);
static void req_finish(struct fcgi_client_req *r, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void req_maybe_free(struct fcgi_client_req *r);
static void client_maybe_free(struct fcgi_client *c);

/* ---- small helpers -------------------------------------------------- */

static double ms_since(uint64_t t0_ns)
{
	return (double)(uv_hrtime() - t0_ns) / 1e6;
}

static double client_ts(const struct fcgi_client *c)
{
	return (double)(uv_hrtime() - c->t0_ns) / 1e9;
}

static void note(struct fcgi_client *c, unsigned conn, const char *what,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void note(struct fcgi_client *c, unsigned conn, const char *what,
		 const char *fmt, ...)
{
	char detail[256];
	va_list ap;

	if (!c->has_trace || c->trace.on_note == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	c->trace.on_note(c->trace.arg, conn, client_ts(c), what, detail);
}

/* Append v to a bounded list, or count it as dropped. */
static void viol_add(struct fcgi_violation **list, size_t *n, size_t *dropped,
		     size_t max, const struct fcgi_mem *mem,
		     const struct fcgi_violation *v)
{
	if (*n < max && *list == NULL)
		*list = fcgi_mem_malloc(mem, max * sizeof(**list));
	if (*n >= max || *list == NULL) {
		(*dropped)++;
		return;
	}
	(*list)[*n] = *v;
	(*n)++;
}

/* ---- options --------------------------------------------------------- */

void fcgi_client_opts_default(struct fcgi_client_opts *o)
{
	memset(o, 0, sizeof(*o));
	fcgi_conn_opts_default(&o->conn);
	o->abort_grace_ms = 500;
	o->probe_timeout_ms = 1000;
	o->stall_check_ms = 1000;
	o->mpx = FCGI_CLIENT_MPX_OFF;
	o->max_mpx = 16;
	o->max_conns = 1;
	o->body_max = 64 * 1024 * 1024;
	o->stderr_max = 1024 * 1024;
	o->max_violations = 64;
}

void fcgi_client_req_opts_default(struct fcgi_client_req_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->role = FCGI_RESPONDER;
}

/* ---- the client ------------------------------------------------------- */

static void kick_closed(uv_handle_t *h)
{
	struct fcgi_client *c = h->data;

	c->refs--;
	client_maybe_free(c);
}

static void kick_cb(uv_idle_t *h);
static void watch_cb(struct fcgi_timer *t);

static void watch_closed(struct fcgi_timer *t)
{
	struct fcgi_client *c = t->data;

	c->refs--;
	client_maybe_free(c);
}

int fcgi_client_new(struct fcgi_client **out, uv_loop_t *loop,
		    const struct fcgi_addr *addr,
		    const struct fcgi_client_opts *opts)
{
	struct fcgi_client *c;
	const struct fcgi_mem *mem;

	if (out == NULL || addr == NULL)
		return FCGI_EINVAL;
	*out = NULL;
	if (addr->family != AF_UNIX && addr->family != AF_INET &&
	    addr->family != AF_INET6 && addr->family != AF_UNSPEC)
		return FCGI_EINVAL;
	mem = opts != NULL ? opts->conn.mem : NULL;
	c = fcgi_mem_malloc(mem, sizeof(*c));
	if (c == NULL)
		return FCGI_ENOMEM;
	memset(c, 0, sizeof(*c));
	if (opts != NULL)
		c->o = *opts;
	else
		fcgi_client_opts_default(&c->o);
	if (c->o.max_mpx == 0)
		c->o.max_mpx = 1;
	if (c->o.max_mpx > 65535)
		c->o.max_mpx = 65535;
	if (c->o.max_conns == 0)
		c->o.max_conns = 1;
	if (c->o.max_violations == 0)
		c->o.max_violations = 1;
	c->mem = mem;
	if (c->o.trace != NULL) {
		c->trace = *c->o.trace;
		c->has_trace = true;
	}
	c->o.trace = NULL;
	c->addr = *addr;
	fcgi_addr_format(addr, c->addr_text, sizeof(c->addr_text));
	if (loop == NULL) {
		if (uv_loop_init(&c->own) != 0) {
			fcgi_mem_free(mem, c);
			return FCGI_ENOMEM;
		}
		c->loop = &c->own;
		c->owns_loop = true;
	} else {
		c->loop = loop;
	}
	uv_idle_init(c->loop, &c->kick);
	c->kick.data = c;
	fcgi_timer_init(c->loop, &c->t_watch, watch_cb, c);
	/* It must not keep the loop alive: open requests do that. */
	uv_unref((uv_handle_t *)&c->t_watch.handle);
	c->refs = 2; /* the kick handle and the stall check */
	c->mpx = c->o.mpx == FCGI_CLIENT_MPX_ASK ? MPX_UNKNOWN : MPX_UNASKED;
	LIST_INIT(&c->conns);
	TAILQ_INIT(&c->queue);
	TAILQ_INIT(&c->done);
	LIST_INIT(&c->all);
	c->t0_ns = uv_hrtime();
	*out = c;
	return 0;
}

uv_loop_t *fcgi_client_loop(struct fcgi_client *c)
{
	return c->loop;
}

double fcgi_client_elapsed(const struct fcgi_client *c)
{
	return client_ts(c);
}

const struct fcgi_violation *fcgi_client_violations(const struct fcgi_client *c,
						    size_t *n)
{
	*n = c->nviol;
	return c->viol;
}

static void client_maybe_free(struct fcgi_client *c)
{
	if (!c->released || c->refs != 0 || c->owns_loop)
		return;
	fcgi_mem_free(c->mem, c->viol);
	fcgi_mem_free(c->mem, c);
}

static void req_close_handles(struct fcgi_client_req *r);

static void close_pending(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (uv_is_closing(h))
		return;
	if (h->type == UV_TCP || h->type == UV_NAMED_PIPE)
		fcgi_io_close((uv_stream_t *)h, NULL, NULL);
}

/* r is done: run its on_done (which may free it), or free it when the
 * caller already let it go. */
static void deliver(struct fcgi_client *c, struct fcgi_client_req *r)
{
	TAILQ_REMOVE(&c->done, r, link);
	r->state = RS_DONE;
	c->open_reqs--;
	if (r->released) {
		req_close_handles(r);
		req_maybe_free(r);
		return;
	}
	if (r->cb != NULL && r->cb->on_done != NULL)
		r->cb->on_done(r, &r->res, r->arg);
}

void fcgi_client_free(struct fcgi_client *c)
{
	struct fcgi_client_req *r;
	struct cconn *cc, *ccnext;

	if (c == NULL)
		return;
	c->freeing = true;
	/* End every open request; ABORT_REQUEST goes out where the socket
	 * takes it at once. */
	LIST_FOREACH(r, &c->all, all_link)
	{
		if (r->lingering) {
			req_finish(r, 0, NULL); /* its answer is whole */
		} else if (r->state == RS_QUEUED || r->state == RS_ACTIVE) {
			if (r->state == RS_ACTIVE && r->id != 0 &&
			    !r->res.aborted && r->cc != NULL &&
			    r->cc->state == CC_READY) {
				if (fcgi_conn_abort(r->cc->conn, r->id) == 0)
					r->res.aborted = true;
				cc_flush(r->cc);
			}
			req_finish(r, FCGI_ECANCELED, "the client was freed");
		}
	}
	/* Deliver on_done now: the loop may never run again. */
	while ((r = TAILQ_FIRST(&c->done)) != NULL)
		deliver(c, r);
	for (cc = LIST_FIRST(&c->conns); cc != NULL; cc = ccnext) {
		ccnext = LIST_NEXT(cc, link);
		cc_close(cc);
	}
	/* Requests the caller still holds keep their memory, not their
	 * handles: the loop may be closed below. */
	LIST_FOREACH(r, &c->all, all_link)
	{
		req_close_handles(r);
	}
	uv_idle_stop(&c->kick);
	uv_close((uv_handle_t *)&c->kick, kick_closed);
	fcgi_timer_close(&c->t_watch, watch_closed);
	c->released = true;
	if (c->owns_loop) {
		/* A connect still under way (a timed-out one) would hold the
		 * loop until the kernel gives up; close its stream, which
		 * cancels it.  Only io.c's pending streams are left open. */
		uv_walk(c->loop, close_pending, NULL);
		while (uv_run(c->loop, UV_RUN_DEFAULT) != 0)
			;
		uv_loop_close(c->loop);
		LIST_FOREACH(r, &c->all, all_link)
		{
			r->c = NULL;
		}
		fcgi_mem_free(c->mem, c->viol);
		fcgi_mem_free(c->mem, c);
		return;
	}
	LIST_FOREACH(r, &c->all, all_link)
	{
		r->c = NULL;
	}
	LIST_INIT(&c->all);
	client_maybe_free(c);
}

static void kick(struct fcgi_client *c)
{
	if (c->freeing)
		return;
	if (!uv_is_active((uv_handle_t *)&c->kick))
		uv_idle_start(&c->kick, kick_cb);
}

/* ---- requests --------------------------------------------------------- */

static int copy_params(struct fcgi_params *dst, const struct fcgi_params *src)
{
	struct fcgi_nv nv;
	size_t i;
	int rc;

	if (src == NULL)
		return 0;
	for (i = 0; i < fcgi_params_count(src); i++) {
		fcgi_params_at(src, i, &nv);
		rc = fcgi_params_add(dst, nv.name, nv.name_len, nv.value,
				     nv.value_len);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int body_init(struct body_src *s, const struct fcgi_client_body *b,
		     uint8_t type)
{
	memset(s, 0, sizeof(*s));
	s->b = *b;
	s->type = type;
	switch (b->kind) {
	case FCGI_BODY_NONE:
		break;
	case FCGI_BODY_MEM:
		if (b->data == NULL && b->len != 0)
			return FCGI_EINVAL;
		break;
	case FCGI_BODY_FD:
		if (b->fd < 0 || b->offset < 0)
			return FCGI_EINVAL;
		s->pos = b->offset;
		switch (uv_guess_handle(b->fd)) {
		case UV_NAMED_PIPE:
		case UV_TCP:
		case UV_TTY:
		case UV_UDP:
			s->stream = true;
			break;
		default:
			break;
		}
		break;
	default:
		return FCGI_EINVAL;
	}
	return 0;
}

int fcgi_client_req_new(struct fcgi_client_req **out, struct fcgi_client *c,
			const struct fcgi_client_req_opts *o)
{
	struct fcgi_client_req *r;
	struct fcgi_client_body none;
	int rc;

	if (out == NULL || c == NULL || o == NULL)
		return FCGI_EINVAL;
	*out = NULL;
	memset(&none, 0, sizeof(none));
	r = fcgi_mem_malloc(c->mem, sizeof(*r));
	if (r == NULL)
		return FCGI_ENOMEM;
	memset(r, 0, sizeof(*r));
	r->c = c;
	fcgi_params_init(&r->params, c->mem);
	fcgi_params_init(&r->names, c->mem);
	fcgi_params_init(&r->values, c->mem);
	fcgi_cgi_init(&r->cgi, c->mem, c->o.conn.limits.headers_max_bytes);
	fcgi_buf_init(&r->res.raw_headers, c->mem, 0);
	fcgi_buf_init(&r->res.body, c->mem, 0);
	fcgi_buf_init(&r->res.err, c->mem, 0);
	r->res.headers = &r->cgi.headers;
	r->res.values = &r->values;
	r->res.t.first_byte_ms = -1;
	r->role = o->role != 0 ? o->role : FCGI_RESPONDER;
	r->is_values = o->get_values != NULL;
	rc = 0;
	if (!r->is_values && fcgi_role_name(r->role) == NULL)
		rc = FCGI_EINVAL;
	if (rc == 0 && !r->is_values && o->data.kind != FCGI_BODY_NONE &&
	    r->role != FCGI_FILTER)
		rc = FCGI_EINVAL;
	if (rc == 0)
		rc = body_init(&r->in, r->is_values ? &none : &o->in,
			       FCGI_STDIN);
	if (rc == 0)
		rc = body_init(&r->data, r->is_values ? &none : &o->data,
			       FCGI_DATA);
	if (rc == 0 && r->is_values)
		rc = copy_params(&r->names, o->get_values);
	else if (rc == 0)
		rc = copy_params(&r->params, o->params);
	if (rc != 0) {
		fcgi_params_fini(&r->params);
		fcgi_params_fini(&r->names);
		fcgi_params_fini(&r->values);
		fcgi_cgi_fini(&r->cgi);
		fcgi_mem_free(c->mem, r);
		return rc;
	}
	r->timeout_ms = o->timeout_ms != 0 ? o->timeout_ms : c->o.timeout_ms;
	r->abort_after_ms = o->abort_after_ms;
	r->collect = o->collect;
	r->cb = o->cb;
	r->arg = o->arg;
	LIST_INSERT_HEAD(&c->all, r, all_link);
	*out = r;
	return 0;
}

static void req_free_now(struct fcgi_client_req *r)
{
	const struct fcgi_mem *mem = r->params.mem;

	if (r->c != NULL)
		LIST_REMOVE(r, all_link);
	fcgi_params_fini(&r->params);
	fcgi_params_fini(&r->names);
	fcgi_params_fini(&r->values);
	fcgi_cgi_fini(&r->cgi);
	fcgi_buf_fini(&r->res.raw_headers);
	fcgi_buf_fini(&r->res.body);
	fcgi_buf_fini(&r->res.err);
	fcgi_mem_free(mem, r->in.buf);
	fcgi_mem_free(mem, r->data.buf);
	fcgi_mem_free(mem, r->viol);
	fcgi_mem_free(mem, r);
}

/* Free r if nothing holds it any more. */
static void req_maybe_free(struct fcgi_client_req *r)
{
	if (!r->released || r->refs != 0)
		return;
	if (r->state != RS_DONE && r->state != RS_NEW)
		return;
	req_free_now(r);
}

static void req_timer_closed(struct fcgi_timer *t)
{
	struct fcgi_client_req *r = t->data;

	r->refs--;
	req_maybe_free(r);
}

static void body_pipe_closed(uv_handle_t *h)
{
	struct fcgi_client_req *r = h->data;

	fcgi_mem_free(r->params.mem, h);
	r->refs--;
	req_maybe_free(r);
}

static void body_stop(struct fcgi_client_req *r, struct body_src *s)
{
	(void)r; /* the pipe's data points at it */
	if (s->pipe != NULL) {
		uv_close((uv_handle_t *)s->pipe, body_pipe_closed);
		s->pipe = NULL;
		s->reading = false;
	}
	s->ended = true;
}

/* Close r's timers and body streams; the memory is freed later. */
static void req_close_handles(struct fcgi_client_req *r)
{
	if (r->timers_on) {
		r->timers_on = false;
		r->refs += 2;
		fcgi_timer_close(&r->t_total, req_timer_closed);
		fcgi_timer_close(&r->t_abort, req_timer_closed);
	}
	body_stop(r, &r->in);
	body_stop(r, &r->data);
}

void fcgi_client_req_free(struct fcgi_client_req *r)
{
	if (r == NULL)
		return;
	if (r->released)
		return;
	r->released = true;
	if (r->state == RS_QUEUED || r->state == RS_ACTIVE) {
		/* Finished (and freed) once the abort has run its course. */
		fcgi_client_abort(r, FCGI_ECANCELED);
		return;
	}
	if (r->state == RS_ENDED)
		return; /* freed when kick() delivers it */
	req_close_handles(r);
	req_maybe_free(r);
}

const struct fcgi_client_result *
fcgi_client_req_result(const struct fcgi_client_req *r)
{
	return &r->res;
}

bool fcgi_client_req_is_done(const struct fcgi_client_req *r)
{
	return r->state == RS_DONE;
}

static void req_total_cb(struct fcgi_timer *t);
static void req_abort_cb(struct fcgi_timer *t);

int fcgi_client_process(struct fcgi_client_req *r)
{
	struct fcgi_client *c = r->c;

	if (r->state != RS_NEW || c == NULL || c->freeing)
		return FCGI_ESTATE;
	r->t0_ns = uv_hrtime();
	if (r->timeout_ms != 0 || r->abort_after_ms != 0) {
		fcgi_timer_init(c->loop, &r->t_total, req_total_cb, r);
		fcgi_timer_init(c->loop, &r->t_abort, req_abort_cb, r);
		r->timers_on = true;
		if (r->timeout_ms != 0)
			fcgi_timer_arm(&r->t_total, r->timeout_ms);
		if (r->abort_after_ms != 0 && !r->is_values)
			fcgi_timer_arm(&r->t_abort, r->abort_after_ms);
	}
	r->state = RS_QUEUED;
	c->open_reqs++;
	TAILQ_INSERT_TAIL(&c->queue, r, link);
	kick(c);
	return 0;
}

int fcgi_client_wait(struct fcgi_client_req *r)
{
	struct fcgi_client *c = r->c;

	if (r->state == RS_NEW || c == NULL)
		return r->state == RS_DONE ? r->res.error : FCGI_ESTATE;
	while (r->state != RS_DONE) {
		if (uv_run(c->loop, UV_RUN_ONCE) == 0 && r->state != RS_DONE &&
		    !uv_loop_alive(c->loop)) {
			/* Nothing can move any more; not expected. */
			if (r->state != RS_ENDED)
				req_finish(r, FCGI_ESTATE,
					   "the loop stopped with the request "
					   "open");
			kick_cb(&c->kick);
		}
	}
	return r->res.error;
}

int fcgi_client_run(struct fcgi_client_req *r)
{
	int rc;

	rc = fcgi_client_process(r);
	if (rc != 0)
		return rc;
	return fcgi_client_wait(r);
}

int fcgi_client_wait_all(struct fcgi_client *c)
{
	while (c->open_reqs != 0)
		if (uv_run(c->loop, UV_RUN_ONCE) == 0 && c->open_reqs != 0 &&
		    !uv_loop_alive(c->loop))
			break;
	return 0;
}

int fcgi_client_abort(struct fcgi_client_req *r, int error)
{
	if (r->state != RS_QUEUED && r->state != RS_ACTIVE)
		return FCGI_ESTATE;
	r->abort_pending = true;
	if (error != 0 && r->abort_error == 0)
		r->abort_error = error;
	kick(r->c);
	return 0;
}

void fcgi_client_abort_all(struct fcgi_client *c, int error)
{
	struct fcgi_client_req *r;

	LIST_FOREACH(r, &c->all, all_link)
	{
		if (!r->internal)
			fcgi_client_abort(r, error);
	}
}

/* Record why r ended (the first reason wins). */
static void req_set_error(struct fcgi_client_req *r, int err, const char *fmt,
			  va_list ap)
{
	if (err == 0 || r->res.error != 0)
		return;
	r->res.error = err;
	vsnprintf(r->res.error_msg, sizeof(r->res.error_msg), fmt, ap);
}

static void req_error(struct fcgi_client_req *r, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void req_error(struct fcgi_client_req *r, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	req_set_error(r, err, fmt, ap);
	va_end(ap);
}

static void probe_done(struct fcgi_client_req *r);

/*
 * End r: take it off its connection, stop its clocks and reads, and queue
 * it for on_done (delivered by kick() outside any decoding).
 */
static void req_finish(struct fcgi_client_req *r, int err, const char *fmt, ...)
{
	struct fcgi_client *c = r->c;
	struct cconn *cc = r->cc;
	va_list ap;

	if (r->state != RS_QUEUED && r->state != RS_ACTIVE)
		return;
	if (err != 0) {
		va_start(ap, fmt);
		req_set_error(r, err, fmt, ap);
		va_end(ap);
	}
	if (r->state == RS_QUEUED)
		TAILQ_REMOVE(&c->queue, r, link);
	if (cc != NULL) {
		if (cc->lingering == r) {
			cc->lingering = NULL;
			if (cc->timers_on)
				fcgi_timer_stop(&cc->t_linger);
		}
		r->lingering = false;
		if (r->is_values) {
			if (cc->values_req == r)
				cc->values_req = NULL;
		} else if (r->id != 0 && r->id <= cc->cap &&
			   cc->reqs[r->id] == r) {
			cc->reqs[r->id] = NULL;
			cc->nactive--;
		}
		r->cc = NULL;
	}
	if (r->timers_on) {
		fcgi_timer_stop(&r->t_total);
		fcgi_timer_stop(&r->t_abort);
	}
	body_stop(r, &r->in);
	body_stop(r, &r->data);
	r->res.t.total_ms = ms_since(r->t0_ns);
	r->res.client_violations = c->nviol;
	r->state = RS_ENDED;
	if (r->internal) {
		if (cc != NULL)
			cc->probing = false;
		probe_done(r);
	}
	TAILQ_INSERT_TAIL(&c->done, r, link);
	kick(c);
	if (cc != NULL)
		cc_maybe_idle_close(cc);
}

/* Abort r now (the work behind fcgi_client_abort and the timers). */
static void req_abort_now(struct fcgi_client_req *r, int err)
{
	struct cconn *cc = r->cc;
	struct fcgi_client *c = r->c;

	if (r->state == RS_QUEUED) {
		req_finish(r, err != 0 ? err : FCGI_ECANCELED,
			   "aborted before it was sent");
		return;
	}
	if (r->state != RS_ACTIVE || cc == NULL)
		return;
	if (r->lingering) {
		/* END_REQUEST came: the answer is whole. */
		req_finish(r, 0, NULL);
		return;
	}
	if (r->is_values) {
		/* A GET_VALUES query has no ABORT_REQUEST. */
		req_finish(r, err != 0 ? err : FCGI_ECANCELED,
			   "aborted before GET_VALUES_RESULT came");
		return;
	}
	body_stop(r, &r->in);
	body_stop(r, &r->data);
	if (!r->res.aborted) {
		if (fcgi_conn_abort(cc->conn, r->id) == 0) {
			r->res.aborted = true;
			note(c, cc->num, "abort",
			     "ABORT_REQUEST for request %u", (unsigned)r->id);
		}
		cc_flush(cc);
	}
	if (err != 0 && !r->grace) {
		/* Wait a little for END_REQUEST, then give up on it and on
		 * the connection. */
		if (!r->timers_on) {
			fcgi_timer_init(c->loop, &r->t_total, req_total_cb, r);
			fcgi_timer_init(c->loop, &r->t_abort, req_abort_cb, r);
			r->timers_on = true;
		}
		r->grace = true;
		fcgi_timer_arm(&r->t_total, c->o.abort_grace_ms != 0
						    ? c->o.abort_grace_ms
						    : 1);
	}
}

static void req_total_cb(struct fcgi_timer *t)
{
	struct fcgi_client_req *r = t->data;
	struct cconn *cc = r->cc;

	if (r->lingering) {
		req_finish(r, 0, NULL);
		return;
	}
	if (r->grace) {
		/* No END_REQUEST after the abort: the server still holds the
		 * id, so the connection cannot be trusted with another. */
		if (cc != NULL) {
			cc->broken = true;
			note(r->c, cc->num, "timeout",
			     "no END_REQUEST %" PRIu64
			     " ms after ABORT_REQUEST",
			     r->c->o.abort_grace_ms);
		}
		req_finish(r, FCGI_ETIMEDOUT, "timed out");
		return;
	}
	req_error(r, FCGI_ETIMEDOUT, "timed out after %" PRIu64 " ms",
		  r->timeout_ms);
	if (cc != NULL && r->is_values)
		note(r->c, cc->num, "timeout", "GET_VALUES: %s",
		     r->res.error_msg);
	else if (cc != NULL)
		note(r->c, cc->num, "timeout", "request %u: %s",
		     (unsigned)r->id, r->res.error_msg);
	req_abort_now(r, FCGI_ETIMEDOUT);
}

static void req_abort_cb(struct fcgi_timer *t)
{
	struct fcgi_client_req *r = t->data;

	req_abort_now(r, 0);
}

/* ---- the MPX probe ------------------------------------------------------ */

static bool nv_is(const struct fcgi_nv *nv, const char *name)
{
	size_t n = strlen(name);

	return nv->name_len == n && memcmp(nv->name, name, n) == 0;
}

/* A decimal number in value bytes, or -1. */
static long nv_number(const struct fcgi_nv *nv)
{
	long v = 0;
	size_t i;

	if (nv->value_len == 0 || nv->value_len > 9)
		return -1;
	for (i = 0; i < nv->value_len; i++) {
		if (nv->value[i] < '0' || nv->value[i] > '9')
			return -1;
		v = v * 10 + (nv->value[i] - '0');
	}
	return v;
}

static void probe_done(struct fcgi_client_req *r)
{
	struct fcgi_client *c = r->c;
	struct fcgi_nv nv;
	size_t i;
	long v;
	unsigned max = c->o.max_mpx;

	c->mpx = MPX_NO;
	for (i = 0; i < fcgi_params_count(&r->values); i++) {
		fcgi_params_at(&r->values, i, &nv);
		v = nv_number(&nv);
		if (nv_is(&nv, "FCGI_MPXS_CONNS") && v == 1)
			c->mpx = MPX_YES;
		else if (nv_is(&nv, "FCGI_MAX_REQS") && v > 0 &&
			 (unsigned long)v < max)
			max = (unsigned)v;
	}
	c->mpx_max = c->mpx == MPX_YES ? max : 1;
	if (r->res.error != 0)
		note(c, r->res.conn, "mpx",
		     "no answer to GET_VALUES (%s): "
		     "one request at a time",
		     r->res.error_msg);
	else if (c->mpx == MPX_YES)
		note(c, r->res.conn, "mpx",
		     "the server multiplexes: up to %u "
		     "requests at once",
		     c->mpx_max);
	else
		note(c, r->res.conn, "mpx",
		     "the server does not multiplex: "
		     "one request at a time");
	r->released = true;
}

static void cc_assign(struct cconn *cc, struct fcgi_client_req *r);

static void start_probe(struct cconn *cc)
{
	struct fcgi_client *c = cc->c;
	struct fcgi_client_req_opts o;
	struct fcgi_client_req *r;
	struct fcgi_params names;

	fcgi_params_init(&names, c->mem);
	fcgi_client_req_opts_default(&o);
	o.get_values = &names;
	o.timeout_ms =
		c->o.probe_timeout_ms != 0 ? c->o.probe_timeout_ms : 1000;
	if (fcgi_params_add(&names, "FCGI_MPXS_CONNS", 15, "", 0) != 0 ||
	    fcgi_params_add(&names, "FCGI_MAX_REQS", 13, "", 0) != 0 ||
	    fcgi_client_req_new(&r, c, &o) != 0) {
		fcgi_params_fini(&names);
		c->mpx = MPX_NO;
		c->mpx_max = 1;
		return;
	}
	fcgi_params_fini(&names);
	r->internal = true;
	if (fcgi_client_process(r) != 0) {
		c->mpx = MPX_NO;
		return;
	}
	TAILQ_REMOVE(&c->queue, r, link);
	r->state = RS_ACTIVE;
	cc->probing = true;
	cc_assign(cc, r);
}

/* ---- connections --------------------------------------------------------- */

static unsigned cc_capacity(const struct cconn *cc)
{
	const struct fcgi_client *c = cc->c;

	if (!c->o.keep_conn)
		return 1;
	switch (c->o.mpx) {
	case FCGI_CLIENT_MPX_ON:
		return c->o.max_mpx;
	case FCGI_CLIENT_MPX_ASK:
		return c->mpx == MPX_YES ? c->mpx_max : 1;
	default:
		return 1;
	}
}

static void cc_maybe_free(struct cconn *cc)
{
	const struct fcgi_mem *mem = cc->c->mem;
	struct fcgi_client *c = cc->c;

	if (cc->refs != 0 || cc->state != CC_CLOSING)
		return;
	if (cc->conn != NULL)
		fcgi_conn_free(cc->conn);
	fcgi_buf_fini(&cc->wbuf);
	fcgi_mem_free(mem, cc->reqs);
	fcgi_mem_free(mem, cc);
	c->refs--;
	client_maybe_free(c);
}

static void cc_timer_closed(struct fcgi_timer *t)
{
	struct cconn *cc = t->data;

	cc->refs--;
	cc_maybe_free(cc);
}

static void cc_stream_closed(void *arg)
{
	struct cconn *cc = arg;

	cc->refs--;
	cc_maybe_free(cc);
}

static void cc_unlist(struct cconn *cc)
{
	struct fcgi_client *c = cc->c;

	if (!cc->listed)
		return;
	LIST_REMOVE(cc, link);
	cc->listed = false;
	c->nconns--;
}

/* Close cc's timers (once); cc is freed after they let go. */
static void cc_close_timers(struct cconn *cc)
{
	if (!cc->timers_on)
		return;
	cc->timers_on = false;
	cc->refs += 3;
	fcgi_timer_close(&cc->t_connect, cc_timer_closed);
	fcgi_timer_close(&cc->t_idle, cc_timer_closed);
	fcgi_timer_close(&cc->t_linger, cc_timer_closed);
}

/* Close the connection (its requests must have been finished). */
static void cc_close(struct cconn *cc)
{
	struct fcgi_client *c = cc->c;
	unsigned i;

	if (cc->state == CC_CLOSING)
		return;
	if (cc->state == CC_READY)
		note(c, cc->num, "close", "%s", c->addr_text);
	cc->state = CC_CLOSING;
	/* Anything still on it ends now. */
	for (i = 1; i <= cc->cap; i++)
		if (cc->reqs[i] != NULL)
			req_finish(cc->reqs[i], FCGI_ECLOSED,
				   "the connection was closed");
	if (cc->values_req != NULL)
		req_finish(cc->values_req, FCGI_ECLOSED,
			   "the connection was closed");
	cc_unlist(cc);
	cc_close_timers(cc);
	if (cc->s != NULL) {
		uv_read_stop(cc->s);
		cc->refs++;
		fcgi_io_close(cc->s, cc_stream_closed, cc);
		cc->s = NULL;
	}
	kick(c);
	cc_maybe_free(cc);
}

/* End every request on cc with err and close it. */
static void cc_fail(struct cconn *cc, int err, const char *msg)
{
	unsigned i;

	/* A lingering request has its whole answer: only bytes that are
	 * not FastCGI after it count against it. */
	if (cc->lingering != NULL && err != FCGI_EPROTO)
		req_finish(cc->lingering, 0, NULL);
	cc->dying = true;
	for (i = 1; i <= cc->cap; i++)
		if (cc->reqs[i] != NULL)
			req_finish(cc->reqs[i], err, "%s", msg);
	if (cc->values_req != NULL)
		req_finish(cc->values_req, err, "%s", msg);
	cc_close(cc);
}

/* Close an idle connection that will not be reused. */
static void cc_maybe_idle_close(struct cconn *cc)
{
	struct fcgi_client *c = cc->c;

	if (cc->state != CC_READY || cc->dying || cc->nactive != 0 ||
	    cc->values_req != NULL)
		return;
	if (cc->timers_on)
		fcgi_timer_stop(&cc->t_idle);
	if (cc->broken || c->freeing || (!c->o.keep_conn && cc->used != 0))
		cc_close(cc);
}

static void cc_arm_idle(struct cconn *cc)
{
	if (cc->timers_on && cc->c->o.idle_timeout_ms != 0 &&
	    (cc->nactive != 0 || cc->values_req != NULL))
		fcgi_timer_arm(&cc->t_idle, cc->c->o.idle_timeout_ms);
}

static struct fcgi_client_req *cc_req(struct cconn *cc, uint16_t id)
{
	if (id == 0 || id > cc->cap)
		return NULL;
	return cc->reqs[id];
}

/* The first answer byte for r: note the time. */
static void req_first_byte(struct fcgi_client_req *r)
{
	if (r->got_byte)
		return;
	r->got_byte = true;
	r->res.t.first_byte_ms = ms_since(r->t_begin_ns);
}

static void collect(struct fcgi_buf *b, size_t max, bool *truncated,
		    const uint8_t *data, size_t len)
{
	size_t room;

	room = b->len < max ? max - b->len : 0;
	if (len > room) {
		*truncated = true;
		len = room;
	}
	if (len != 0 && fcgi_buf_append(b, data, len) != 0)
		*truncated = true;
}

static void deliver_body(struct fcgi_client_req *r, const uint8_t *data,
			 size_t len)
{
	if (len == 0)
		return;
	r->res.body_bytes += len;
	if (r->collect)
		collect(&r->res.body, r->c->o.body_max, &r->res.body_truncated,
			data, len);
	if (r->cb != NULL && r->cb->on_body != NULL)
		r->cb->on_body(r, data, len, r->arg);
}

/* The STDOUT stream is no CGI response (rule e, why): the bytes held as
 * headers, and every STDOUT byte after them, become body. */
static void cgi_fail(struct fcgi_client_req *r, enum fcgi_cgi_error e,
		     const char *why)
{
	r->res.cgi_error = e;
	snprintf(r->res.cgi_error_msg, sizeof(r->res.cgi_error_msg), "%s", why);
	deliver_body(r, r->res.raw_headers.data, r->res.raw_headers.len);
}

/* The CGI reader stopped: say which rule STDOUT broke, and where. */
static void cgi_fail_reader(struct fcgi_client_req *r)
{
	char why[sizeof(r->res.cgi_error_msg)];

	fcgi_cgi_message(&r->cgi, why, sizeof(why));
	cgi_fail(r, r->cgi.error, why);
	if (r->cgi.error != FCGI_CGI_EMPTY) {
		r->res.cgi_error_line = r->cgi.error_line;
		r->res.cgi_error_offset = r->cgi.error_offset;
	}
}

static void on_stdout(struct fcgi_client_req *r, const uint8_t *data,
		      size_t len)
{
	ssize_t n;
	size_t used;

	r->stdout_seen = true;
	if (len == 0)
		return;
	r->res.stdout_bytes += len;
	if (r->res.headers_done || r->res.cgi_error != FCGI_CGI_OK) {
		deliver_body(r, data, len);
		return;
	}
	n = fcgi_cgi_feed(&r->cgi, data, len);
	if (n < 0) {
		cgi_fail_reader(r);
		deliver_body(r, data, len);
		return;
	}
	used = (size_t)n;
	if (fcgi_buf_append(&r->res.raw_headers, data, used) != 0) {
		cgi_fail(r, FCGI_CGI_NOMEM, "out of memory");
		deliver_body(r, data + used, len - used);
		return;
	}
	if (r->cgi.done) {
		r->res.headers_done = true;
		r->res.status = r->cgi.status;
		snprintf(r->res.reason, sizeof(r->res.reason), "%s",
			 r->cgi.reason);
		if (r->cb != NULL && r->cb->on_headers != NULL)
			r->cb->on_headers(r, &r->res, r->arg);
		deliver_body(r, data + used, len - used);
	}
}

/*
 * END_REQUEST came for r: was its STDOUT a CGI response (FastCGI 1.0,
 * 6.2; RFC 3875, 6.2)?  A missing or unfinished header block is not
 * judged after an ABORT_REQUEST or with a protocolStatus other than
 * REQUEST_COMPLETE: the server then owes no response.  Either way a
 * broken rule makes the request FCGI_EPROTO, unless a violation of
 * FastCGI itself already says what went wrong.
 */
static void cgi_judge(struct fcgi_client_req *r)
{
	struct fcgi_client_result *res = &r->res;
	size_t i;

	if (!res->headers_done && res->cgi_error == FCGI_CGI_OK &&
	    !res->aborted && res->protocol_status == FCGI_REQUEST_COMPLETE &&
	    fcgi_cgi_end(&r->cgi) != 0) {
		if (r->cgi.error != FCGI_CGI_EMPTY)
			cgi_fail_reader(r);
		else if (!r->stdout_seen)
			cgi_fail(r, FCGI_CGI_EMPTY,
				 res->stderr_bytes != 0
					 ? "END_REQUEST came with no STDOUT, "
					   "only STDERR"
					 : "END_REQUEST came with no STDOUT");
		else
			cgi_fail(r, FCGI_CGI_EMPTY,
				 "STDOUT was empty: only its end record came");
	}
	/* A violation of FastCGI itself came first, and is named first. */
	for (i = 0; i < res->n_violations; i++)
		if (res->violations[i].severity == FCGI_SEV_SPEC)
			return;
	switch (res->cgi_error) {
	case FCGI_CGI_OK:
		break;
	case FCGI_CGI_NOMEM:
		req_error(r, FCGI_ENOMEM, "out of memory");
		break;
	case FCGI_CGI_EMPTY:
		req_error(r, FCGI_EPROTO, "no CGI response: %s",
			  res->cgi_error_msg);
		break;
	default:
		req_error(r, FCGI_EPROTO, "bad CGI response: %s",
			  res->cgi_error_msg);
		break;
	}
}

/*
 * END_REQUEST came for r.  On a connection that is not kept the server
 * closes it next (FastCGI 1.0, 5.1): read on until it does, for at most
 * linger_ms, so that whatever it sends after END_REQUEST is judged with
 * r.  Otherwise r is done now.
 */
static void req_ended(struct fcgi_client_req *r)
{
	struct fcgi_client *c = r->c;
	struct cconn *cc = r->cc;

	if (c->o.keep_conn || c->o.linger_ms == 0 || cc == NULL ||
	    cc->state != CC_READY || cc->lingering != NULL) {
		req_finish(r, 0, NULL);
		return;
	}
	r->lingering = true;
	body_stop(r, &r->in);
	body_stop(r, &r->data);
	cc->lingering = r;
	fcgi_timer_arm(&cc->t_linger, c->o.linger_ms);
}

static void cc_linger_done(struct fcgi_timer *t)
{
	struct cconn *cc = t->data;

	if (cc->lingering == NULL)
		return;
	note(cc->c, cc->num, "linger",
	     "the server kept the connection %" PRIu64
	     " ms after END_REQUEST without KEEP_CONN; closing it",
	     cc->c->o.linger_ms);
	req_finish(cc->lingering, 0, NULL);
}

static void on_stderr(struct fcgi_client_req *r, const uint8_t *data,
		      size_t len)
{
	if (len == 0)
		return;
	r->res.stderr_bytes += len;
	if (r->collect)
		collect(&r->res.err, r->c->o.stderr_max, &r->res.err_truncated,
			data, len);
	if (r->cb != NULL && r->cb->on_stderr != NULL)
		r->cb->on_stderr(r, data, len, r->arg);
}

static int conn_event(void *arg, const struct fcgi_event *ev)
{
	struct cconn *cc = arg;
	struct fcgi_client_req *r;

	if (ev->dir != FCGI_DIR_TO_WEB)
		return 0;
	switch (ev->type) {
	case FCGI_EV_STDOUT:
	case FCGI_EV_STDERR:
		r = cc_req(cc, ev->request_id);
		if (r == NULL || r->lingering)
			return 0;
		req_first_byte(r);
		if (ev->type == FCGI_EV_STDOUT)
			on_stdout(r, ev->data, ev->len);
		else
			on_stderr(r, ev->data, ev->len);
		break;
	case FCGI_EV_END:
		r = cc_req(cc, ev->request_id);
		if (r == NULL || r->lingering)
			return 0;
		req_first_byte(r);
		r->res.ended = true;
		r->res.app_status = ev->app_status;
		r->res.protocol_status = ev->protocol_status;
		cgi_judge(r);
		req_ended(r);
		break;
	case FCGI_EV_GET_VALUES_RESULT:
		r = cc->values_req;
		if (r == NULL)
			return 0;
		req_first_byte(r);
		if (ev->params != NULL &&
		    copy_params(&r->values, ev->params) != 0) {
			req_finish(r, FCGI_ENOMEM, "out of memory");
			return 0;
		}
		if (r->values_fault[0] != '\0')
			req_finish(r, FCGI_EPROTO, "bad GET_VALUES_RESULT: %s",
				   r->values_fault);
		else
			req_finish(r, 0, NULL);
		break;
	case FCGI_EV_UNKNOWN_TYPE:
		r = cc->values_req;
		if (r == NULL || ev->unknown_type != FCGI_GET_VALUES)
			return 0;
		req_first_byte(r);
		r->res.values_unknown = true;
		req_finish(r, 0, NULL);
		break;
	default:
		break;
	}
	return 0;
}

/*
 * The first name-value pair of a GET_VALUES_RESULT body p[0..n) that
 * does not fit in the record (FastCGI 1.0, 3.4 and 4.1: the pairs fill
 * the record, whatever limit the reader applies), described into msg.
 * Returns whether there is one.
 */
static bool values_fault(const uint8_t *p, size_t n, char *msg, size_t size)
{
	struct fcgi_cursor c;
	uint32_t nlen, vlen;
	size_t i, left;

	cur_init(&c, p, n);
	for (i = 1; cur_left(&c) > 0; i++) {
		left = cur_left(&c);
		if (cur_nvlen(&c, &nlen) != 0 || cur_nvlen(&c, &vlen) != 0) {
			snprintf(msg, size,
				 "pair %zu: its lengths are cut off, %zu "
				 "byte%s left in the record",
				 i, left, left == 1 ? "" : "s");
			return true;
		}
		left = cur_left(&c);
		if (nlen > left || vlen > left - nlen) {
			snprintf(msg, size,
				 "pair %zu declares a %" PRIu32
				 "-byte name and a %" PRIu32
				 "-byte value, %zu byte%s left in the record",
				 i, nlen, vlen, left, left == 1 ? "" : "s");
			return true;
		}
		(void)cur_skip(&c, (size_t)nlen + vlen);
	}
	return false;
}

static void conn_record(void *arg, enum fcgi_dir dir,
			const struct fcgi_record *rec)
{
	struct cconn *cc = arg;
	struct fcgi_client *c = cc->c;
	struct fcgi_client_req *r = cc->values_req;

	if (c->has_trace && c->trace.on_record != NULL)
		c->trace.on_record(c->trace.arg, cc->num, client_ts(c), dir,
				   rec);
	if (dir != FCGI_DIR_TO_WEB)
		return;
	cc->last_type = rec->h.type;
	if (rec->h.type == FCGI_GET_VALUES_RESULT && r != NULL &&
	    r->values_fault[0] == '\0')
		(void)values_fault(rec->content, rec->h.content_length,
				   r->values_fault, sizeof(r->values_fault));
}

/*
 * The server sent a record for id, a request it was never asked: keep the
 * first such id to name in the error.  When it is an END_REQUEST on a
 * connection carrying one request, that request was answered under the
 * wrong id and will get no answer of its own: it fails now (nginx fails
 * at the first such record), and the connection is not used again.
 */
static void foreign_answer(struct cconn *cc, uint16_t id)
{
	struct fcgi_client_req *r = cc->cap == 1 ? cc->reqs[1] : NULL;

	if (cc->foreign_id == 0)
		cc->foreign_id = id;
	if (cc->last_type != FCGI_END_REQUEST || r == NULL || r->lingering)
		return;
	cc->broken = true;
	req_finish(r, FCGI_EPROTO, "the server answered request id %u, not %u",
		   (unsigned)id, (unsigned)r->id);
}

static void req_add_violation(struct fcgi_client_req *r,
			      const struct fcgi_violation *v)
{
	viol_add(&r->viol, &r->res.n_violations, &r->res.violations_dropped,
		 r->c->o.max_violations, r->c->mem, v);
	r->res.violations = r->viol;
}

static void conn_violation(void *arg, const struct fcgi_violation *v)
{
	struct cconn *cc = arg;
	struct fcgi_client *c = cc->c;
	struct fcgi_client_req *r;
	unsigned i;

	if (v->dir != FCGI_DIR_TO_WEB)
		return; /* about our own bytes: not the server's doing */
	if (c->has_trace && c->trace.on_violation != NULL)
		c->trace.on_violation(c->trace.arg, cc->num, client_ts(c), v);
	viol_add(&c->viol, &c->nviol, &c->viol_dropped, c->o.max_violations,
		 c->mem, v);
	r = cc_req(cc, v->request_id);
	if (r != NULL) {
		req_add_violation(r, v);
		return;
	}
	if (v->code == FCGI_V_NO_BEGIN && v->request_id != 0)
		foreign_answer(cc, v->request_id);
	/* Not one request's: every request open on the connection. */
	for (i = 1; i <= cc->cap; i++)
		if (cc->reqs[i] != NULL)
			req_add_violation(cc->reqs[i], v);
	if (cc->values_req != NULL)
		req_add_violation(cc->values_req, v);
}

/* The last violation's message, for an error text. */
static const char *last_violation(const struct cconn *cc)
{
	const struct fcgi_client *c = cc->c;

	if (c->nviol == 0)
		return "undecodable bytes";
	return c->viol[c->nviol - 1].message;
}

static void cc_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct cconn *cc = h->data;

	(void)hint;
	buf->base = (char *)cc->rbuf;
	buf->len = sizeof(cc->rbuf);
}

/* The server closed the connection with r open. */
static void eof_before_end(struct cconn *cc, struct fcgi_client_req *r)
{
	if (cc->foreign_id == 0)
		req_finish(r, FCGI_ECLOSED,
			   "the server closed the connection before "
			   "END_REQUEST");
	else if (cc->cap == 1)
		req_finish(r, FCGI_EPROTO,
			   "the server answered request id %u, not %u, and "
			   "closed the connection",
			   (unsigned)cc->foreign_id, (unsigned)r->id);
	else
		req_finish(r, FCGI_EPROTO,
			   "the server closed the connection before "
			   "END_REQUEST, after answering request id %u, which "
			   "was never begun",
			   (unsigned)cc->foreign_id);
}

static void cc_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct cconn *cc = s->data;
	struct fcgi_client *c = cc->c;
	char msg[512];
	ssize_t rc;
	unsigned i;

	if (cc->state != CC_READY)
		return;
	if (nread > 0) {
		cc_arm_idle(cc);
		rc = fcgi_conn_recv(cc->conn, FCGI_DIR_TO_WEB,
				    (const uint8_t *)buf->base, (size_t)nread);
		if (rc == FCGI_EPROTO) {
			snprintf(msg, sizeof(msg),
				 "the server sent bytes that are not FastCGI: "
				 "%s",
				 last_violation(cc));
			cc_fail(cc, FCGI_EPROTO, msg);
			return;
		}
		if (rc < 0) {
			cc_fail(cc, (int)rc, fcgi_strerror((int)rc));
			return;
		}
		if (cc->state == CC_READY) {
			cc_pump(cc);
			cc_maybe_idle_close(cc);
		}
		return;
	}
	if (nread == 0)
		return;
	if (nread == UV_EOF) {
		note(c, cc->num, "eof", "the server closed the connection");
		fcgi_conn_eof(cc->conn, FCGI_DIR_TO_WEB);
	}
	/* The close a lingering request waited for, or an error after its
	 * whole answer: it is done, and done well. */
	if (cc->lingering != NULL)
		req_finish(cc->lingering, 0, NULL);
	if (nread == UV_EOF) {
		for (i = 1; i <= cc->cap; i++)
			if (cc->reqs[i] != NULL)
				eof_before_end(cc, cc->reqs[i]);
		if (cc->values_req != NULL)
			req_finish(cc->values_req, FCGI_ECLOSED,
				   "the server closed the connection before "
				   "GET_VALUES_RESULT");
		cc_close(cc);
		return;
	}
	snprintf(msg, sizeof(msg), "reading from '%s': %s", c->addr_text,
		 uv_strerror((int)nread));
	cc_fail(cc, FCGI_EIO, msg);
}

/* Bytes waiting to be written on cc. */
static size_t cc_queued(struct cconn *cc)
{
	const uint8_t *p;

	return fcgi_conn_send(cc->conn, &p) + cc->wbuf.len;
}

static void cc_written(uv_write_t *w, int status)
{
	struct cconn *cc = w->data;
	char msg[512];

	cc->writing = false;
	cc->refs--;
	fcgi_buf_reset(&cc->wbuf);
	if (cc->state != CC_READY) {
		cc_maybe_free(cc);
		return;
	}
	if (status < 0) {
		snprintf(msg, sizeof(msg), "writing to '%s': %s",
			 cc->c->addr_text, uv_strerror(status));
		cc_fail(cc, FCGI_EIO, msg);
		return;
	}
	if (cc->c->lose_wakeups > 0) {
		cc->c->lose_wakeups--;
		return;
	}
	cc_pump(cc);
}

static void cc_sent(struct cconn *cc, size_t n)
{
	fcgi_conn_sent(cc->conn, n);
}

static void cc_flush(struct cconn *cc)
{
	const uint8_t *p;
	size_t n;
	int w;
	uv_buf_t b;
	char msg[512];

	if (cc->state != CC_READY || cc->writing)
		return;
	for (;;) {
		n = fcgi_conn_send(cc->conn, &p);
		if (n == 0)
			return;
		b = uv_buf_init((char *)(uintptr_t)p,
				n > UINT32_MAX ? UINT32_MAX : (unsigned)n);
		w = uv_try_write(cc->s, &b, 1);
		if (w > 0) {
			cc_sent(cc, (size_t)w);
			continue;
		}
		if (w != UV_EAGAIN && w != UV_ENOSYS) {
			snprintf(msg, sizeof(msg), "writing to '%s': %s",
				 cc->c->addr_text, uv_strerror(w));
			cc_fail(cc, FCGI_EIO, msg);
			return;
		}
		break;
	}
	/* The socket is full: copy the rest out of the conn (its pointer
	 * is only good until the next call on it) and write it later. */
	if (n > CLIENT_HIGH_WATER)
		n = CLIENT_HIGH_WATER;
	if (fcgi_buf_append(&cc->wbuf, p, n) != 0) {
		cc_fail(cc, FCGI_ENOMEM, "out of memory");
		return;
	}
	cc_sent(cc, n);
	b = uv_buf_init((char *)cc->wbuf.data, (unsigned)cc->wbuf.len);
	cc->wreq.data = cc;
	w = uv_write(&cc->wreq, cc->s, &b, 1, cc_written);
	if (w != 0) {
		fcgi_buf_reset(&cc->wbuf);
		snprintf(msg, sizeof(msg), "writing to '%s': %s",
			 cc->c->addr_text, uv_strerror(w));
		cc_fail(cc, FCGI_EIO, msg);
		return;
	}
	cc->writing = true;
	cc->refs++;
}

/* ---- request bodies ------------------------------------------------------- */

static void body_fail(struct fcgi_client_req *r, int uverr)
{
	req_error(r, FCGI_EIO, "reading the request body: %s",
		  uv_strerror(uverr));
	req_abort_now(r, FCGI_EIO);
}

/* Queue bytes of s; ends the stream when n is 0. */
static int body_put(struct fcgi_client_req *r, struct body_src *s,
		    const uint8_t *p, size_t n)
{
	int rc;

	rc = fcgi_conn_stream(r->cc->conn, r->id, s->type, p, n);
	if (rc != 0) {
		req_error(r, rc, "queueing %s: %s", fcgi_type_name(s->type),
			  fcgi_strerror(rc));
		req_abort_now(r, rc);
		return rc;
	}
	if (n == 0) {
		s->ended = true;
		return 0;
	}
	if (s->type == FCGI_STDIN)
		r->res.stdin_bytes += n;
	else
		r->res.data_bytes += n;
	return 0;
}

static void body_file_read(uv_fs_t *req)
{
	struct fcgi_client_req *r = req->data;
	struct body_src *s = req == &r->in.fsreq ? &r->in : &r->data;
	ssize_t n = req->result;
	struct cconn *cc = r->cc;

	uv_fs_req_cleanup(req);
	s->reading = false;
	r->refs--;
	if (r->state != RS_ACTIVE || s->ended || cc == NULL) {
		req_maybe_free(r);
		return;
	}
	if (n < 0) {
		body_fail(r, (int)n);
	} else {
		if (body_put(r, s, s->buf, (size_t)n) == 0)
			s->pos += n;
	}
	if (cc->state == CC_READY)
		cc_pump(cc);
}

static void body_pipe_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct fcgi_client_req *r = h->data;
	struct body_src *s = r->in.pipe == (uv_pipe_t *)h ? &r->in : &r->data;

	(void)hint;
	buf->base = (char *)s->buf;
	buf->len = FCGI_CHUNK_MAX;
}

static void body_pipe_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	struct fcgi_client_req *r = st->data;
	struct body_src *s = r->in.pipe == (uv_pipe_t *)st ? &r->in : &r->data;
	struct cconn *cc = r->cc;

	(void)buf;
	if (r->state != RS_ACTIVE || cc == NULL || n == 0)
		return;
	if (n == UV_EOF) {
		body_stop(r, s);
		s->ended = false;
		(void)body_put(r, s, NULL, 0);
	} else if (n < 0) {
		body_fail(r, (int)n);
	} else if (body_put(r, s, s->buf, (size_t)n) == 0 &&
		   cc_queued(cc) >= CLIENT_HIGH_WATER && s->pipe != NULL) {
		uv_read_stop((uv_stream_t *)s->pipe);
		s->reading = false;
	}
	if (cc->state == CC_READY)
		cc_pump(cc);
}

/* Start reading from a stream body: a dup of its fd, so that closing the
 * handle leaves the caller's descriptor open. */
static int body_pipe_start(struct fcgi_client_req *r, struct body_src *s)
{
	uv_pipe_t *p;
	int fd, rc;

	if (s->pipe == NULL) {
		p = fcgi_mem_malloc(r->params.mem, sizeof(*p));
		if (p == NULL)
			return UV_ENOMEM;
		fd = dup(s->b.fd);
		if (fd < 0) {
			rc = uv_translate_sys_error(errno);
			fcgi_mem_free(r->params.mem, p);
			return rc;
		}
		uv_pipe_init(r->c->loop, p, 0);
		p->data = r;
		r->refs++;
		rc = uv_pipe_open(p, fd);
		s->pipe = p;
		if (rc != 0) {
			close(fd);
			return rc;
		}
	}
	rc = uv_read_start((uv_stream_t *)s->pipe, body_pipe_alloc,
			   body_pipe_read);
	if (rc == 0)
		s->reading = true;
	return rc;
}

/*
 * Give s a chance to queue bytes.  Returns whether it queued something
 * synchronously (the caller may loop).
 */
static bool body_step(struct fcgi_client_req *r, struct body_src *s)
{
	size_t left, n;
	uv_buf_t b;
	int rc;

	if (s->ended || s->reading)
		return false;
	switch (s->b.kind) {
	case FCGI_BODY_NONE:
		return body_put(r, s, NULL, 0) == 0;
	case FCGI_BODY_MEM:
		left = s->b.len - (size_t)s->pos;
		n = left < FCGI_CHUNK_MAX ? left : FCGI_CHUNK_MAX;
		if (body_put(r, s, (const uint8_t *)s->b.data + s->pos, n) != 0)
			return false;
		s->pos += (int64_t)n;
		return true;
	case FCGI_BODY_FD:
		break;
	}
	if (s->buf == NULL) {
		s->buf = fcgi_mem_malloc(r->params.mem, FCGI_CHUNK_MAX);
		if (s->buf == NULL) {
			req_error(r, FCGI_ENOMEM, "out of memory");
			req_abort_now(r, FCGI_ENOMEM);
			return false;
		}
	}
	if (s->stream) {
		rc = body_pipe_start(r, s);
		if (rc != 0)
			body_fail(r, rc);
		return false;
	}
	s->fsreq.data = r;
	b = uv_buf_init((char *)s->buf, FCGI_CHUNK_MAX);
	rc = uv_fs_read(r->c->loop, &s->fsreq, s->b.fd, &b, 1, s->pos,
			body_file_read);
	if (rc != 0) {
		body_fail(r, rc);
		return false;
	}
	s->reading = true;
	r->refs++;
	return false;
}

/* The body stream r sends next, or NULL. */
static struct body_src *req_body(struct fcgi_client_req *r)
{
	if (r->is_values || r->res.aborted || r->state != RS_ACTIVE)
		return NULL;
	if (!r->in.ended)
		return &r->in;
	/* FastCGI 1.0, 6.4: a Filter's DATA follows its STDIN. */
	if (r->role == FCGI_FILTER && !r->data.ended)
		return &r->data;
	return NULL;
}

/*
 * Feed bodies while the connection's queue is short, then write.  The
 * write may drain the whole queue at once (uv_try_write), leaving no
 * write callback to come back here: then the bodies get another turn at
 * once, until one waits for a read, a write is pending, or none has more
 * to send.  Stopping after such a drain lost the wake-up that made
 * request hang with a large -d @FILE (the queue was exactly at the high
 * water mark when a write completed, so no body read was started, and
 * the flush that followed emptied it).
 */
static void cc_pump(struct cconn *cc)
{
	struct fcgi_client_req *r;
	struct body_src *s;
	unsigned i;
	bool again;

	do {
		again = false;
		for (i = 1; i <= cc->cap && cc->state == CC_READY; i++) {
			if (cc_queued(cc) >= CLIENT_HIGH_WATER) {
				/* Full before every body had its turn. */
				again = true;
				break;
			}
			r = cc->reqs[i];
			if (r == NULL || (s = req_body(r)) == NULL)
				continue;
			if (body_step(r, s))
				again = true;
		}
		cc_flush(cc);
	} while (again && cc->state == CC_READY && !cc->writing &&
		 cc_queued(cc) < CLIENT_HIGH_WATER);
}

/* Put r on cc: BEGIN_REQUEST and PARAMS (or GET_VALUES) are queued now. */
static void cc_assign(struct cconn *cc, struct fcgi_client_req *r)
{
	struct fcgi_client *c = cc->c;
	unsigned id;
	int rc;

	r->cc = cc;
	r->state = RS_ACTIVE;
	r->res.conn = cc->num;
	r->t_begin_ns = uv_hrtime();
	if (r->is_values) {
		cc->values_req = r;
		r->res.reused = cc->used != 0;
		r->res.t.connect_ms = cc->connect_ms;
		rc = fcgi_conn_get_values(cc->conn, &r->names);
		if (rc != 0) {
			req_finish(r, rc, "queueing GET_VALUES: %s",
				   fcgi_strerror(rc));
			return;
		}
		cc_arm_idle(cc);
		cc_flush(cc);
		return;
	}
	for (id = 1; id <= cc->cap; id++)
		if (cc->reqs[id] == NULL &&
		    !fcgi_conn_is_active(cc->conn, (uint16_t)id))
			break;
	if (id > cc->cap) {
		req_finish(r, FCGI_ESTATE, "no free request id");
		return;
	}
	r->id = (uint16_t)id;
	r->res.request_id = r->id;
	cc->reqs[id] = r;
	cc->nactive++;
	r->res.reused = cc->used != 0;
	r->res.t.connect_ms = r->res.reused ? 0 : cc->connect_ms;
	if (r->res.reused)
		note(c, cc->num, "reuse", "request %u on a kept connection",
		     id);
	cc->used++;
	rc = fcgi_conn_begin(cc->conn, r->id, r->role,
			     c->o.keep_conn ? FCGI_KEEP_CONN : 0);
	if (rc == 0)
		rc = fcgi_conn_params(cc->conn, r->id, &r->params);
	if (rc != 0) {
		req_finish(r, rc, "queueing the request: %s",
			   fcgi_strerror(rc));
		return;
	}
	cc_arm_idle(cc);
	if (c->o.stall_check_ms != 0 && !c->t_watch.armed)
		fcgi_timer_arm(&c->t_watch, c->o.stall_check_ms);
	cc_pump(cc);
}

static void cc_connect_timeout(struct fcgi_timer *t);
static void cc_idle_timeout(struct fcgi_timer *t);
static void cc_linger_done(struct fcgi_timer *t);

static void cc_connected(uv_stream_t *s, int status, void *arg)
{
	struct cconn *cc = arg;
	struct fcgi_client *c = cc->c;
	struct fcgi_client_req *r, *next;
	int rc;

	cc->refs--;
	if (cc->state != CC_CONNECTING) {
		/* Timed out or closed meanwhile. */
		if (s != NULL) {
			cc->refs++;
			fcgi_io_close(s, cc_stream_closed, cc);
		}
		cc_maybe_free(cc);
		return;
	}
	if (cc->timers_on)
		fcgi_timer_stop(&cc->t_connect);
	if (status != 0 || s == NULL) {
		note(c, cc->num, "connect", "failed: %s",
		     uv_strerror(status != 0 ? status : UV_EINVAL));
		/* The requests waiting for a connection fail with it, unless
		 * another one can take them. */
		cc->state = CC_CLOSING;
		cc_unlist(cc);
		for (r = TAILQ_FIRST(&c->queue); r != NULL && c->nconns == 0;
		     r = next) {
			next = TAILQ_NEXT(r, link);
			req_finish(
				r, FCGI_ECONNECT, "cannot connect to '%s': %s",
				c->addr_text,
				uv_strerror(status != 0 ? status : UV_EINVAL));
		}
		cc_close_timers(cc);
		kick(c);
		cc_maybe_free(cc);
		return;
	}
	cc->s = s;
	s->data = cc;
	cc->connect_ms = ms_since(cc->t_start_ns);
	cc->state = CC_READY;
	note(c, cc->num, "connected", "%s in %.3f ms", c->addr_text,
	     cc->connect_ms);
	rc = uv_read_start(s, cc_alloc, cc_read);
	if (rc != 0) {
		char msg[512];

		snprintf(msg, sizeof(msg), "reading from '%s': %s",
			 c->addr_text, uv_strerror(rc));
		cc_fail(cc, FCGI_EIO, msg);
		return;
	}
	if (c->o.mpx == FCGI_CLIENT_MPX_ASK && c->mpx == MPX_UNKNOWN &&
	    c->o.keep_conn)
		start_probe(cc);
	kick(c);
}

/* Open a new connection; 0 or a negative FCGI_E*. */
static int cc_open(struct fcgi_client *c)
{
	struct cconn *cc;
	unsigned cap = c->o.keep_conn && c->o.mpx != FCGI_CLIENT_MPX_OFF
			       ? c->o.max_mpx
			       : 1;
	struct fcgi_callbacks cb;
	int rc;

	cc = fcgi_mem_malloc(c->mem, sizeof(*cc));
	if (cc == NULL)
		return FCGI_ENOMEM;
	memset(cc, 0, sizeof(*cc));
	cc->c = c;
	cc->cap = cap;
	cc->reqs = fcgi_mem_malloc(c->mem, (cap + 1) * sizeof(*cc->reqs));
	memset(&cb, 0, sizeof(cb));
	cb.on_record = conn_record;
	cb.on_event = conn_event;
	cb.on_violation = conn_violation;
	(void)fcgi_conn_new(&cc->conn, FCGI_MODE_WEB, &c->o.conn, &cb, cc);
	if (cc->reqs == NULL || cc->conn == NULL) {
		if (cc->conn != NULL)
			fcgi_conn_free(cc->conn);
		fcgi_mem_free(c->mem, cc->reqs);
		fcgi_mem_free(c->mem, cc);
		return FCGI_ENOMEM;
	}
	memset(cc->reqs, 0, (cap + 1) * sizeof(*cc->reqs));
	fcgi_buf_init(&cc->wbuf, c->mem, 0);
	cc->num = ++c->conn_seq;
	cc->state = CC_CONNECTING;
	cc->t_start_ns = uv_hrtime();
	fcgi_timer_init(c->loop, &cc->t_connect, cc_connect_timeout, cc);
	fcgi_timer_init(c->loop, &cc->t_idle, cc_idle_timeout, cc);
	fcgi_timer_init(c->loop, &cc->t_linger, cc_linger_done, cc);
	cc->timers_on = true;
	c->refs++;
	LIST_INSERT_HEAD(&c->conns, cc, link);
	cc->listed = true;
	c->nconns++;
	note(c, cc->num, "connect", "%s", c->addr_text);
	cc->refs++;
	rc = fcgi_io_connect(c->loop, &c->addr, cc_connected, cc);
	if (rc != 0) {
		cc_connected(NULL, rc, cc); /* takes the reference back */
		return 0;
	}
	if (c->o.connect_timeout_ms != 0)
		fcgi_timer_arm(&cc->t_connect, c->o.connect_timeout_ms);
	return 0;
}

static void cc_connect_timeout(struct fcgi_timer *t)
{
	struct cconn *cc = t->data;
	struct fcgi_client *c = cc->c;
	struct fcgi_client_req *r, *next;

	if (cc->state != CC_CONNECTING)
		return;
	note(c, cc->num, "timeout", "connecting took over %" PRIu64 " ms",
	     c->o.connect_timeout_ms);
	cc->state = CC_CLOSING;
	cc_unlist(cc);
	for (r = TAILQ_FIRST(&c->queue); r != NULL && c->nconns == 0;
	     r = next) {
		next = TAILQ_NEXT(r, link);
		req_finish(r, FCGI_ETIMEDOUT,
			   "connecting to '%s' timed out after %" PRIu64 " ms",
			   c->addr_text, c->o.connect_timeout_ms);
	}
	/* The attempt itself ends in cc_connected(), which closes what it
	 * gets. */
	cc_close_timers(cc);
	kick(c);
}

static void cc_idle_timeout(struct fcgi_timer *t)
{
	struct cconn *cc = t->data;
	struct fcgi_client *c = cc->c;
	struct fcgi_client_req *r;
	unsigned i;

	if (cc->state != CC_READY)
		return;
	if (cc->lingering != NULL) {
		/* Its answer is whole: silence after it is no failure. */
		req_finish(cc->lingering, 0, NULL);
		return;
	}
	note(c, cc->num, "timeout", "no data for %" PRIu64 " ms",
	     c->o.idle_timeout_ms);
	if (cc->values_req != NULL)
		req_finish(cc->values_req, FCGI_ETIMEDOUT,
			   "no data from the server for %" PRIu64 " ms",
			   c->o.idle_timeout_ms);
	for (i = 1; i <= cc->cap; i++) {
		r = cc->reqs[i];
		if (r == NULL)
			continue;
		req_error(r, FCGI_ETIMEDOUT,
			  "no data from the server for %" PRIu64 " ms",
			  c->o.idle_timeout_ms);
		req_abort_now(r, FCGI_ETIMEDOUT);
	}
}

/* ---- the stall check --------------------------------------------------------- */

/*
 * Whether cc has bytes to send and nothing under way that would send
 * them: no write in flight and either bytes queued or a body that could
 * give more and is not being read.  Between two loop callbacks that is
 * never so unless a wake-up was lost, a bug of ours.
 */
static bool cc_stalled(struct cconn *cc)
{
	struct fcgi_client_req *r;
	struct body_src *s;
	const uint8_t *p;
	unsigned i;

	if (cc->state != CC_READY || cc->writing)
		return false;
	if (fcgi_conn_send(cc->conn, &p) > 0)
		return true;
	for (i = 1; i <= cc->cap; i++) {
		r = cc->reqs[i];
		if (r != NULL && (s = req_body(r)) != NULL && !s->reading)
			return true;
	}
	return false;
}

/* Whether some request on cc still has body bytes to send. */
static bool cc_sending(const struct cconn *cc)
{
	unsigned i;

	for (i = 1; i <= cc->cap; i++)
		if (cc->reqs[i] != NULL && req_body(cc->reqs[i]) != NULL)
			return true;
	return false;
}

/*
 * The safety net under every wake-up (issue 14): as curl's easy interface
 * never waits more than a second before running its transfers again, a
 * connection with bytes to send is looked at every stall_check_ms.  A
 * slow server is no stall (a write is then in flight), so nothing is
 * timed out here; a lost wake-up is reported as a note, counted in the
 * result, and repaired by pumping the connection again.
 */
static void watch_cb(struct fcgi_timer *t)
{
	struct fcgi_client *c = t->data;
	struct cconn *cc, *next;
	unsigned i;
	bool busy = false;

	for (cc = LIST_FIRST(&c->conns); cc != NULL; cc = next) {
		next = LIST_NEXT(cc, link);
		if (cc->state != CC_READY)
			continue;
		if (!uv_is_active((uv_handle_t *)&c->kick) && cc_stalled(cc)) {
			note(c, cc->num, "stall",
			     "nothing under way with %zu bytes queued and a "
			     "body to send: resuming (a bug in the client)",
			     cc_queued(cc));
			for (i = 1; i <= cc->cap; i++)
				if (cc->reqs[i] != NULL)
					cc->reqs[i]->res.stalls++;
			cc_pump(cc);
		}
		if (cc->state == CC_READY &&
		    (cc_sending(cc) || cc_queued(cc) > 0))
			busy = true;
	}
	if (busy)
		fcgi_timer_arm(t, c->o.stall_check_ms);
}

void fcgi_client_lose_wakeups(struct fcgi_client *c, unsigned n)
{
	c->lose_wakeups = n;
}

/* ---- dispatch ---------------------------------------------------------------- */

/* A connection that can take r now, or NULL. */
static struct cconn *find_conn(struct fcgi_client *c,
			       const struct fcgi_client_req *r)
{
	struct cconn *cc;

	LIST_FOREACH(cc, &c->conns, link)
	{
		if (cc->state != CC_READY || cc->broken)
			continue;
		if (r->is_values) {
			if (cc->values_req == NULL)
				return cc;
			continue;
		}
		if (c->mpx == MPX_UNKNOWN && c->o.keep_conn)
			return NULL; /* the probe decides first */
		if (!c->o.keep_conn && cc->used != 0)
			continue;
		if (cc->nactive < cc_capacity(cc) && cc->nactive < cc->cap)
			return cc;
	}
	return NULL;
}

static void dispatch(struct fcgi_client *c)
{
	struct fcgi_client_req *r, *next;
	struct cconn *cc;
	unsigned coming = 0;
	int rc;

	if (c->freeing)
		return;
	LIST_FOREACH(cc, &c->conns, link)
	{
		if (cc->state == CC_CONNECTING || cc->probing)
			coming++;
	}
	for (r = TAILQ_FIRST(&c->queue); r != NULL; r = next) {
		next = TAILQ_NEXT(r, link);
		cc = find_conn(c, r);
		if (cc != NULL) {
			TAILQ_REMOVE(&c->queue, r, link);
			cc_assign(cc, r);
			continue;
		}
		if (coming != 0) {
			coming--;
			continue;
		}
		if (c->nconns >= c->o.max_conns)
			break;
		/* One new connection per pass: the queue may change under
		 * cc_open() when connecting fails at once, and the next pass
		 * runs when it is connected. */
		rc = cc_open(c);
		if (rc != 0)
			req_finish(r, rc, "cannot connect to '%s': %s",
				   c->addr_text, fcgi_strerror(rc));
		break;
	}
}

static void kick_cb(uv_idle_t *h)
{
	struct fcgi_client *c = h->data;
	struct fcgi_client_req *r;
	struct cconn *cc, *ccnext;

	uv_idle_stop(h);
	/* Aborts asked for from callbacks or signal watchers. */
	LIST_FOREACH(r, &c->all, all_link)
	{
		if (r->abort_pending) {
			r->abort_pending = false;
			if (r->abort_error != 0)
				req_error(r, r->abort_error, "%s",
					  r->abort_error == FCGI_ECANCELED
						  ? "interrupted"
						  : fcgi_strerror(
							    r->abort_error));
			req_abort_now(r, r->abort_error);
		}
	}
	/* Finished requests: on_done outside any decoding. */
	while ((r = TAILQ_FIRST(&c->done)) != NULL)
		deliver(c, r);
	dispatch(c);
	for (cc = LIST_FIRST(&c->conns); cc != NULL; cc = ccnext) {
		ccnext = LIST_NEXT(cc, link);
		if (cc->state == CC_READY) {
			cc_pump(cc);
			cc_maybe_idle_close(cc);
		}
	}
}
