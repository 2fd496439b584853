/* SPDX-License-Identifier: MIT */
/*
 * proxy.c - forward FastCGI connections byte for byte between a web server
 * and an app, with an observer conn decoding both directions on the side.
 *
 * Every read buffer becomes the write request that forwards it, so bytes
 * are never copied on the way through; the observer sees each buffer
 * before it is written, which lets --strict hold back the bytes of a
 * record that breaks the rules.  Forwarding never waits for decoding.
 */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include "driven.h"

#define DEFAULT_MAX_PENDING (256 * 1024)
#define DEFAULT_READ_SIZE (64 * 1024)
#define DEFAULT_BACKLOG 511
#define POOL_MAX 64	  /* idle read buffers kept for reuse */
#define CUT_GRACE_MS 2000 /* a cut connection's queued bytes may drain */
#define TEXT_MAX 256	  /* escaped method or script kept per request */
#define NOTE_MAX 512

/* ---- state ------------------------------------------------------------- */

struct pconn;

/* A read buffer, which becomes the write request forwarding it. */
struct rbuf {
	uv_write_t req;
	struct rbuf *next;	 /* in the pool */
	STAILQ_ENTRY(rbuf) link; /* in its flow's queue of write requests */
	struct pconn *pc;
	enum fcgi_dir dir;
	bool from_input; /* bytes read, not an answer of the proxy's own */
	size_t off; /* bytes written at once, before the request was queued */
	size_t len; /* off plus the bytes the write request carries */
	size_t cap;
	struct fcgi_sha256 snap; /* mirror: the flow's sha_r before these */
	uint8_t data[];
};

/* One direction: read from its sender, written to its receiver. */
struct flow {
	uint64_t read, written, injected;
	struct fcgi_sha256 sha_r, sha_w;
	/* Checksums: while what was written is what was read, in order,
	 * sha_w is not kept (one hash serves both); the first byte read and
	 * not written, or written and not read, ends that (mirror_end()). */
	bool mirror;
	STAILQ_HEAD(, rbuf) queued; /* write requests, in libuv's order */
	size_t pending; /* bytes in write requests not yet completed */
	int reading;	/* uv_read_start() is in force */
	int paused;	/* reading stopped for backpressure */
	int eof;	/* the sender is done (or was made done) */
	int done;	/* nothing more will pass this way */
	int decoding;	/* the observer still takes this direction */
	enum fcgi_proxy_end end;
	uint64_t rec_end; /* stream offset just past the last whole record */
	/* --strict: bytes read but not yet judged (a record not yet whole),
	 * and the stream offset of the first of them. */
	struct fcgi_buf hold;
	uint64_t hold_off;
	uv_shutdown_t sreq;
};

/* One request, from BEGIN_REQUEST to END_REQUEST. */
struct preq {
	struct preq *next;
	uint16_t id;
	char method[TEXT_MAX];
	char script[TEXT_MAX];
	struct fcgi_cgi cgi;
	int cgi_on;
	uint64_t in, out, err, err_lines;
	uint8_t err_last;
	int stdout_started, stdout_ended;
	int stderr_started, stderr_ended;
	uint64_t t_begin, t_first; /* uv_hrtime(); t_first 0: none */
};

struct pconn {
	struct pconn *prev, *next;
	struct fcgi_proxy *p;
	uint64_t id;
	char label[24];
	char peer[96];
	uv_stream_t *down; /* the web server */
	uv_stream_t *up;   /* the app; NULL until connected, after closing */
	int down_open, up_open;
	struct flow f[2]; /* by enum fcgi_dir */
	struct fcgi_conn *obs;
	struct fcgi_timer timer;
	int timer_open;
	struct preq *reqs;
	unsigned nreqs;
	uint64_t requests;
	size_t violations;
	int refs; /* handles, timer and connect attempt not yet let go */
	int closing, cutting, injecting;
	int begun; /* a BEGIN_REQUEST went by in the buffer being fed */
	void *tap_user;
	uint64_t t_open;
	char reason[200];
	/* --strict: the first violation that ends the connection, and the
	 * stream offset in its direction where forwarding stops. */
	int cut_set;
	enum fcgi_dir cut_dir;
	uint64_t cut_off;
	char cut_why[200];
};

struct fcgi_proxy {
	uv_loop_t *loop;
	struct fcgi_proxy_opts o;
	struct fcgi_conn_opts copts;
	uv_stream_t *listener;
	int listener_closing;
	struct pconn *conns;
	struct rbuf *pool;
	unsigned pooled;
	uint64_t t0;
	uint64_t t_input; /* uv_hrtime() of the read being handled, or 0 */
	uint64_t next_id;
	struct fcgi_proxy_stats st;
	int stopping, done_called;
	void (*done)(void *arg);
	void *done_arg;
	char addr[160];
	char upstream[160];
};

static void close_all(struct pconn *pc, const char *reason);
static void cut_connection(struct pconn *pc, const char *reason);
static void forward(struct pconn *pc, enum fcgi_dir dir, struct rbuf *rb,
		    size_t len);
static void update_timer(struct pconn *pc);
static void on_handle_closed(void *arg);

static const char *const sender_name[2] = { "the web server", "the app" };

static double secs(const struct fcgi_proxy *p, uint64_t ns)
{
	return (double)(ns - p->t0) / 1e9;
}

/* The clock, read once per buffer read: every record and event a read
 * brings arrived at that moment (and the log of a request with a
 * dozen records costs one clock read, not a dozen). */
static uint64_t clock_ns(const struct fcgi_proxy *p)
{
	return p->t_input != 0 ? p->t_input : uv_hrtime();
}

static double now(const struct fcgi_proxy *p)
{
	return secs(p, clock_ns(p));
}

/* Render a note for pc (or the proxy when pc is NULL); fmt builds the
 * detail. */
static void note(struct fcgi_proxy *p, struct pconn *pc, const char *what,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void note(struct fcgi_proxy *p, struct pconn *pc, const char *what,
		 const char *fmt, ...)
{
	char detail[NOTE_MAX];
	va_list ap;

	if (p->o.render == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	fcgi_render_note(p->o.render, pc != NULL ? pc->label : NULL, now(p),
			 what, detail);
}

static void tap(struct pconn *pc, enum fcgi_proxy_tap_kind kind,
		enum fcgi_dir dir, const uint8_t *data, size_t len)
{
	struct fcgi_proxy_tap t;

	if (pc->p->o.on_tap == NULL)
		return;
	t.kind = kind;
	t.conn = pc->id;
	t.label = pc->label;
	t.peer = pc->peer;
	t.dir = dir;
	t.data = data;
	t.len = len;
	t.user = &pc->tap_user;
	pc->p->o.on_tap(pc->p->o.arg, &t);
}

static void set_reason(struct pconn *pc, const char *reason)
{
	if (reason != NULL && pc->reason[0] == '\0')
		snprintf(pc->reason, sizeof(pc->reason), "%s", reason);
}

/* ---- buffers ----------------------------------------------------------- */

/* A buffer of cap bytes (read_size ones come from the pool), or NULL. */
static struct rbuf *rbuf_get(struct fcgi_proxy *p, size_t cap)
{
	struct rbuf *rb;

	if (cap == p->o.read_size && p->pool != NULL) {
		rb = p->pool;
		p->pool = rb->next;
		p->pooled--;
		return rb;
	}
	rb = malloc(sizeof(*rb) + cap);
	if (rb == NULL)
		return NULL;
	rb->cap = cap;
	rb->from_input = false;
	return rb;
}

static void rbuf_put(struct fcgi_proxy *p, struct rbuf *rb)
{
	rb->from_input = false;
	if (rb->cap == p->o.read_size && p->pooled < POOL_MAX) {
		rb->next = p->pool;
		p->pool = rb;
		p->pooled++;
		return;
	}
	free(rb);
}

static struct rbuf *rbuf_of(char *base)
{
	return (struct rbuf *)(void *)(base - offsetof(struct rbuf, data));
}

/* ---- requests ---------------------------------------------------------- */

static struct preq *req_find(struct pconn *pc, uint16_t id)
{
	struct preq *r;

	for (r = pc->reqs; r != NULL; r = r->next)
		if (r->id == id)
			return r;
	return NULL;
}

/* Report r through on_request, then unlink and free it. */
static void req_emit(struct pconn *pc, struct preq *r, int ended,
		     uint32_t app_status, uint8_t pstatus, int timed_out)
{
	struct fcgi_proxy *p = pc->p;
	struct fcgi_proxy_request_info ri;
	struct preq **pp;
	uint64_t t = clock_ns(p);

	if (p->o.on_request != NULL) {
		memset(&ri, 0, sizeof(ri));
		ri.conn = pc->id;
		ri.label = pc->label;
		ri.id = r->id;
		ri.method = r->method;
		ri.script = r->script;
		ri.status = r->cgi.done ? r->cgi.status : 0;
		ri.stdin_bytes = r->in;
		ri.stdout_bytes = r->out;
		ri.stderr_bytes = r->err;
		ri.stderr_lines = r->err_lines +
				  (r->err > 0 && r->err_last != '\n' ? 1 : 0);
		ri.ended = ended;
		ri.app_status = app_status;
		ri.protocol_status = pstatus;
		ri.timed_out = timed_out;
		ri.start = secs(p, r->t_begin);
		ri.ttfb = r->t_first != 0
				  ? (double)(r->t_first - r->t_begin) / 1e9
				  : -1.0;
		ri.total = (double)(t - r->t_begin) / 1e9;
		p->o.on_request(p->o.arg, &ri);
	}
	for (pp = &pc->reqs; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
	pc->nreqs--;
	fcgi_cgi_fini(&r->cgi);
	free(r);
}

static void req_begin(struct pconn *pc, uint16_t id)
{
	struct preq *r = req_find(pc, id);

	/* A second BEGIN_REQUEST for an open id (a violation the observer
	 * reports): the first request ends here, unfinished. */
	if (r != NULL)
		req_emit(pc, r, 0, 0, 0, 0);
	if (pc->nreqs >= pc->p->o.limits.max_requests)
		return; /* the observer reports too-many-requests */
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return; /* the summary of this request is lost, no more */
	r->id = id;
	r->t_begin = clock_ns(pc->p);
	fcgi_cgi_init(&r->cgi, NULL, pc->p->o.limits.headers_max_bytes);
	/* Only on_request reports the status, method, script and lines. */
	r->cgi_on = pc->p->o.on_request != NULL;
	r->next = pc->reqs;
	pc->reqs = r;
	pc->nreqs++;
}

/* The first of the params named, escaped into out; "" when none is. */
static void req_param(const struct fcgi_params *ps, const char *const *names,
		      char *out, size_t n)
{
	struct fcgi_nv nv;

	out[0] = '\0';
	for (; *names != NULL; names++) {
		if (fcgi_params_gets(ps, *names, &nv) && nv.value_len > 0) {
			fcgi_escape(out, n, nv.value, nv.value_len);
			return;
		}
	}
}

static void req_params(struct preq *r, const struct fcgi_params *ps)
{
	static const char *const method[] = { "REQUEST_METHOD", NULL };
	static const char *const script[] = { "SCRIPT_FILENAME", "SCRIPT_NAME",
					      "REQUEST_URI", NULL };

	if (ps == NULL)
		return;
	req_param(ps, method, r->method, sizeof(r->method));
	req_param(ps, script, r->script, sizeof(r->script));
}

static void req_stdout(struct pconn *pc, struct preq *r, const uint8_t *d,
		       size_t len)
{
	ssize_t used;

	if (len == 0) {
		r->stdout_ended = 1;
		return;
	}
	if (!r->stdout_started) {
		r->stdout_started = 1;
		r->t_first = clock_ns(pc->p);
	}
	r->out += len;
	if (r->cgi_on && !r->cgi.done) {
		used = fcgi_cgi_feed(&r->cgi, d, len);
		if (used < 0)
			r->cgi_on = 0; /* not a CGI response: no status */
	}
	(void)pc;
}

static void req_stderr(struct pconn *pc, struct preq *r, const uint8_t *d,
		       size_t len)
{
	if (len == 0) {
		r->stderr_ended = 1;
		return;
	}
	r->stderr_started = 1;
	r->err += len;
	r->err_last = d[len - 1];
	if (pc->p->o.on_request == NULL)
		return; /* nobody asked for the lines */
	for (size_t i = 0; i < len; i++)
		if (d[i] == '\n')
			r->err_lines++;
}

/* ---- observer callbacks ------------------------------------------------ */

static void obs_record(void *arg, enum fcgi_dir dir,
		       const struct fcgi_record *rec)
{
	struct pconn *pc = arg;
	struct fcgi_proxy *p = pc->p;

	pc->f[dir].rec_end = rec->offset + FCGI_HEADER_LEN +
			     rec->h.content_length + rec->h.padding_length;
	if (p->o.log == FCGI_PROXY_LOG_RECORDS && p->o.render != NULL)
		fcgi_render_record(p->o.render, pc->label, now(p), dir, rec);
}

static int obs_event(void *arg, const struct fcgi_event *ev)
{
	struct pconn *pc = arg;
	struct preq *r;

	if (ev->type == FCGI_EV_BEGIN) {
		pc->requests++;
		pc->begun = 1;
		pc->p->st.requests++;
		req_begin(pc, ev->request_id);
		return 0;
	}
	r = req_find(pc, ev->request_id);
	if (r == NULL)
		return 0;
	switch (ev->type) {
	case FCGI_EV_PARAMS:
		if (pc->p->o.on_request != NULL)
			req_params(r, ev->params);
		break;
	case FCGI_EV_STDIN:
		r->in += ev->len;
		break;
	case FCGI_EV_STDOUT:
		req_stdout(pc, r, ev->data, ev->len);
		break;
	case FCGI_EV_STDERR:
		req_stderr(pc, r, ev->data, ev->len);
		break;
	case FCGI_EV_END:
		req_emit(pc, r, 1, ev->app_status, ev->protocol_status,
			 pc->injecting);
		break;
	default:
		break;
	}
	return 0;
}

static void obs_violation(void *arg, const struct fcgi_violation *v)
{
	struct pconn *pc = arg;
	struct fcgi_proxy *p = pc->p;

	pc->violations++;
	p->st.violations++;
	if (p->o.render != NULL)
		fcgi_render_violation(p->o.render, pc->label, now(p), v);
	if (!p->o.strict || pc->cut_set || pc->injecting || pc->closing ||
	    v->severity == FCGI_SEV_NOTE)
		return;
	pc->cut_set = 1;
	pc->cut_dir = v->dir;
	pc->cut_off = v->offset;
	snprintf(pc->cut_why, sizeof(pc->cut_why),
		 "strict: %s (%s) %s offset=%llu id=%u",
		 fcgi_vcode_name(v->code), fcgi_severity_name(v->severity),
		 fcgi_dir_name(v->dir), (unsigned long long)v->offset,
		 (unsigned)v->request_id);
}

/* Give the observer one buffer of direction dir.  A direction that
 * cannot be decoded any more is left alone from then on. */
static void feed(struct pconn *pc, enum fcgi_dir dir, const uint8_t *d,
		 size_t len)
{
	struct flow *f = &pc->f[dir];
	ssize_t rc;

	rc = fcgi_conn_recv(pc->obs, dir, d, len);
	if (rc >= 0)
		return;
	f->decoding = 0;
	note(pc->p, pc, "decoder",
	     "no longer decoding %s (%s); its bytes are still forwarded",
	     fcgi_dir_name(dir), fcgi_strerror((int)rc));
}

/* The observer learns that dir ended. */
static void feed_eof(struct pconn *pc, enum fcgi_dir dir)
{
	if (!pc->f[dir].decoding)
		return;
	pc->f[dir].decoding = 0;
	fcgi_conn_eof(pc->obs, dir);
}

/* ---- forwarding -------------------------------------------------------- */

static uv_stream_t *src_of(struct pconn *pc, enum fcgi_dir dir)
{
	return dir == FCGI_DIR_TO_APP ? pc->down : pc->up;
}

static uv_stream_t *dst_of(struct pconn *pc, enum fcgi_dir dir)
{
	return dir == FCGI_DIR_TO_APP ? pc->up : pc->down;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct pconn *pc = h->data;
	struct rbuf *rb = rbuf_get(pc->p, pc->p->o.read_size);

	(void)suggested;
	if (rb == NULL) {
		*buf = uv_buf_init(NULL, 0); /* the read gets UV_ENOBUFS */
		return;
	}
	*buf = uv_buf_init((char *)rb->data, (unsigned)pc->p->o.read_size);
}

static void read_stop(struct pconn *pc, enum fcgi_dir dir)
{
	struct flow *f = &pc->f[dir];

	if (f->reading) {
		uv_read_stop(src_of(pc, dir));
		f->reading = 0;
	}
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static void read_start(struct pconn *pc, enum fcgi_dir dir)
{
	struct flow *f = &pc->f[dir];
	uv_stream_t *src = src_of(pc, dir);

	if (f->reading || f->eof || f->done || f->paused || pc->cutting ||
	    pc->closing || src == NULL)
		return;
	if (uv_read_start(src, on_alloc, on_read) == 0)
		f->reading = 1;
}

static void maybe_close(struct pconn *pc)
{
	if (pc->closing)
		return;
	if (pc->cutting) {
		if (pc->f[0].pending == 0 && pc->f[1].pending == 0)
			close_all(pc, NULL);
		return;
	}
	if (pc->f[0].done && pc->f[1].done)
		close_all(pc, "closed");
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	struct pconn *pc = req->data;

	(void)status; /* a peer that is gone is no reason to stop */
	pc->f[req == &pc->f[0].sreq ? 0 : 1].done = 1;
	maybe_close(pc);
}

/* dir's sender is done: pass the end on as shutdown(SHUT_WR), which
 * libuv sends after the bytes still queued.  With nothing queued it is
 * ours to send at once (libuv would start and stop watching for POLLOUT
 * around it), and when the other direction is over too, the close that
 * follows at once ends the stream by itself. */
static void pass_eof(struct pconn *pc, enum fcgi_dir dir)
{
	struct flow *f = &pc->f[dir];
	uv_stream_t *dst = dst_of(pc, dir);
	uv_os_fd_t fd;

	f->sreq.data = pc;
	if (!f->done && dst != NULL && f->pending == 0) {
		if (!pc->f[!dir].done &&
		    uv_fileno((uv_handle_t *)dst, &fd) == 0)
			shutdown(fd, SHUT_WR); /* a peer gone is no reason */
		f->done = 1;
		maybe_close(pc);
		return;
	}
	if (f->done || dst == NULL ||
	    uv_shutdown(&f->sreq, dst, on_shutdown) != 0) {
		f->done = 1;
		maybe_close(pc);
	}
}

/* Writing toward dir's receiver failed: it is gone.  Nothing more passes
 * this way; the other direction goes on until it ends too. */
static void receiver_gone(struct pconn *pc, enum fcgi_dir dir, int status)
{
	struct flow *f = &pc->f[dir];

	if (f->done)
		return;
	if (pc->p->o.log == FCGI_PROXY_LOG_RECORDS)
		note(pc->p, pc, "write", "cannot forward %s to %s: %s",
		     fcgi_dir_name(dir), sender_name[!dir],
		     uv_strerror(status));
	read_stop(pc, dir);
	f->done = 1;
	if (f->end == FCGI_PROXY_OPEN)
		f->end = FCGI_PROXY_CUT;
	maybe_close(pc);
}

/*
 * The written stream of dir stops being the read stream: from here on
 * sha_w is kept by itself, starting from the hash of what was written so
 * far, which is a prefix of what was read.  That prefix ends in the
 * first queued write request (its snapshot of sha_r plus the off bytes
 * written at once), or, with none queued, in cur (the read buffer about
 * to be dropped, off bytes of it written), or else it is all that was
 * read.
 */
static void mirror_end(struct pconn *pc, enum fcgi_dir dir,
		       const struct rbuf *cur)
{
	struct flow *f = &pc->f[dir];
	const struct rbuf *q = STAILQ_FIRST(&f->queued);

	if (!f->mirror)
		return;
	f->mirror = false;
	if (q == NULL)
		q = cur;
	if (q == NULL) {
		f->sha_w = f->sha_r;
		return;
	}
	f->sha_w = q->snap;
	fcgi_sha256_update(&f->sha_w, q->data, q->off);
}

/* n bytes from d reached dir's receiver. */
static void wrote(struct pconn *pc, enum fcgi_dir dir, const uint8_t *d,
		  size_t n)
{
	struct fcgi_proxy *p = pc->p;
	struct flow *f = &pc->f[dir];

	f->written += n;
	p->st.bytes[dir] += n;
	if (p->o.checksums && !f->mirror)
		fcgi_sha256_update(&f->sha_w, d, n);
}

static void on_written(uv_write_t *req, int status)
{
	struct rbuf *rb = (struct rbuf *)(void *)req;
	struct pconn *pc = rb->pc;
	struct fcgi_proxy *p = pc->p;
	enum fcgi_dir dir = rb->dir;
	struct flow *f = &pc->f[dir];

	/* libuv completes (and cancels) a stream's writes in order. */
	assert(STAILQ_FIRST(&f->queued) == rb);
	if (status != 0)
		mirror_end(pc, dir, NULL);
	STAILQ_REMOVE_HEAD(&f->queued, link);
	f->pending -= rb->len - rb->off;
	if (status == 0)
		wrote(pc, dir, rb->data + rb->off, rb->len - rb->off);
	rbuf_put(p, rb);
	if (status != 0 && status != UV_ECANCELED) {
		receiver_gone(pc, dir, status);
		return;
	}
	if (f->paused && f->pending <= p->o.max_pending / 2) {
		f->paused = 0;
		read_start(pc, dir);
		update_timer(pc);
	}
	maybe_close(pc);
}

/*
 * Send len bytes of rb toward dir's receiver; takes rb.  When nothing is
 * queued, what the socket takes at once is done with; the rest, and any
 * error, go through a write request as before.  Most small answers thus cost one write(2)
 * and no callback, pending entry or epoll_ctl(2) for POLLOUT.
 */
static void forward(struct pconn *pc, enum fcgi_dir dir, struct rbuf *rb,
		    size_t len)
{
	struct fcgi_proxy *p = pc->p;
	struct flow *f = &pc->f[dir];
	uv_stream_t *dst = dst_of(pc, dir);
	uv_buf_t b;
	int rc;

	rb->off = 0;
	if (!rb->from_input)
		mirror_end(pc, dir, NULL); /* an answer of our own */
	if (dst == NULL || f->done || pc->closing || len == 0) {
		if (len > 0)
			mirror_end(pc, dir, rb);
		rbuf_put(p, rb);
		return;
	}
	rb->pc = pc;
	rb->dir = dir;
	rb->len = len;
	b = uv_buf_init((char *)rb->data, (unsigned)len);
	/* Only when no write request of ours is outstanding: libuv may have
	 * sent one whose callback (which counts and hashes it) has not run. */
	rc = f->pending == 0 ? uv_try_write(dst, &b, 1) : UV_EAGAIN;
	if (rc > 0) {
		rb->off = (size_t)rc;
		wrote(pc, dir, rb->data, rb->off);
		if (rb->off == len) {
			rbuf_put(p, rb);
			return;
		}
		b = uv_buf_init((char *)rb->data + rb->off,
				(unsigned)(len - rb->off));
	}
	rc = uv_write(&rb->req, dst, &b, 1, on_written);
	if (rc != 0) {
		mirror_end(pc, dir, rb);
		rbuf_put(p, rb);
		receiver_gone(pc, dir, rc);
		return;
	}
	STAILQ_INSERT_TAIL(&f->queued, rb, link);
	f->pending += len - rb->off;
	if (f->pending > p->o.max_pending) {
		read_stop(pc, dir);
		f->paused = 1;
	}
}

/*
 * --strict: keep rb's bytes with those held before, and forward only the
 * records the observer has judged (up to the end of the last whole one),
 * stopping at the offending record once there is one.  Takes rb.  Bytes
 * that can no longer be judged (decoding stopped without a violation,
 * which only running out of memory does) all go.
 */
static void forward_judged(struct pconn *pc, enum fcgi_dir dir, struct rbuf *rb,
			   size_t n)
{
	struct fcgi_proxy *p = pc->p;
	struct flow *f = &pc->f[dir];
	uint64_t limit = f->decoding ? f->rec_end : f->read;
	size_t len;

	if (fcgi_buf_append(&f->hold, rb->data, n) != 0) {
		rbuf_put(p, rb);
		note(p, pc, "memory", "out of memory; closing");
		cut_connection(pc, "out of memory");
		return;
	}
	rbuf_put(p, rb);
	if (pc->cut_set && pc->cut_dir != dir)
		limit = f->hold_off;
	else if (pc->cut_set && pc->cut_off < limit)
		limit = pc->cut_off;
	if (limit <= f->hold_off)
		return;
	len = (size_t)(limit - f->hold_off);
	rb = rbuf_get(p, len);
	if (rb == NULL) {
		note(p, pc, "memory", "out of memory; closing");
		cut_connection(pc, "out of memory");
		return;
	}
	memcpy(rb->data, f->hold.data, len);
	fcgi_buf_consume(&f->hold, len);
	f->hold_off += len;
	tap(pc, FCGI_TAP_DATA, dir, rb->data, len);
	forward(pc, dir, rb, len);
}

/* n bytes arrived from dir's sender in rb (taken). */
static void on_input(struct pconn *pc, enum fcgi_dir dir, struct rbuf *rb,
		     size_t n)
{
	struct fcgi_proxy *p = pc->p;
	struct flow *f = &pc->f[dir];

	f->read += n;
	rb->from_input = true;
	if (p->o.checksums) {
		if (f->mirror)
			rb->snap = f->sha_r;
		fcgi_sha256_update(&f->sha_r, rb->data, n);
	}
	if (f->decoding)
		feed(pc, dir, rb->data, n);
	if (p->o.strict) {
		forward_judged(pc, dir, rb, n);
	} else {
		tap(pc, FCGI_TAP_DATA, dir, rb->data, n);
		forward(pc, dir, rb, n);
	}
	if (pc->cut_set) {
		cut_connection(pc, pc->cut_why);
		return;
	}
	/* Silence is counted from the upstream's last byte or the last
	 * BEGIN_REQUEST, whichever came later. */
	if (dir == FCGI_DIR_TO_WEB || pc->begun)
		update_timer(pc);
	pc->begun = 0;
}

static void on_eof(struct pconn *pc, enum fcgi_dir dir)
{
	struct flow *f = &pc->f[dir];

	read_stop(pc, dir);
	f->eof = 1;
	if (f->end == FCGI_PROXY_OPEN)
		f->end = FCGI_PROXY_EOF;
	tap(pc, FCGI_TAP_FIN, dir, NULL, 0);
	if (pc->p->o.log == FCGI_PROXY_LOG_RECORDS)
		note(pc->p, pc, "eof", "%s closed its half", sender_name[dir]);
	feed_eof(pc, dir);
	if (pc->cut_set) {
		cut_connection(pc, pc->cut_why);
		return;
	}
	update_timer(pc);
	pass_eof(pc, dir);
}

/* A reset (or a failed read) from dir's sender: the receiver gets a
 * reset too, by closing with SO_LINGER 0. */
static void on_reset(struct pconn *pc, enum fcgi_dir dir, int status)
{
	struct flow *f = &pc->f[dir];
	uv_stream_t *dst = dst_of(pc, dir);
	struct linger lg = { 1, 0 };
	uv_os_fd_t fd;
	char why[160];

	read_stop(pc, dir);
	f->eof = 1;
	f->end = FCGI_PROXY_RESET;
	tap(pc, FCGI_TAP_RESET, dir, NULL, 0);
	if (status == UV_ECONNRESET)
		snprintf(why, sizeof(why), "reset by %s", sender_name[dir]);
	else
		snprintf(why, sizeof(why), "reading from %s failed: %s",
			 sender_name[dir], uv_strerror(status));
	note(pc->p, pc, "reset", "%s; resetting the connection to %s", why,
	     sender_name[!dir]);
	if (dst != NULL && uv_fileno((uv_handle_t *)dst, &fd) == 0)
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	feed_eof(pc, dir);
	close_all(pc, why);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct pconn *pc = s->data;
	struct fcgi_proxy *p = pc->p;
	enum fcgi_dir dir = s == pc->down ? FCGI_DIR_TO_APP : FCGI_DIR_TO_WEB;
	struct rbuf *rb = buf->base != NULL ? rbuf_of(buf->base) : NULL;

	if (nread > 0 && rb != NULL) {
		p->t_input = uv_hrtime();
		on_input(pc, dir, rb, (size_t)nread);
		p->t_input = 0;
		return;
	}
	if (rb != NULL)
		rbuf_put(p, rb);
	if (nread == 0 || pc->closing)
		return;
	if (nread == UV_EOF) {
		on_eof(pc, dir);
	} else if (nread == UV_ENOBUFS) {
		note(p, pc, "memory", "out of memory; closing");
		close_all(pc, "out of memory");
	} else {
		on_reset(pc, dir, (int)nread);
	}
}

/* ---- the upstream timeout ---------------------------------------------- */

static unsigned open_requests(const struct pconn *pc)
{
	return pc->nreqs;
}

/* The upstream has been silent for upstream_timeout_ms since the last
 * BEGIN_REQUEST or the last byte it sent, with requests open: re-armed on
 * both, stopped when no request is open.  Paused reading is our own
 * doing, not the upstream's silence. */
static void update_timer(struct pconn *pc)
{
	struct fcgi_proxy *p = pc->p;

	if (p->o.upstream_timeout_ms == 0 || pc->cutting || pc->closing ||
	    !pc->timer_open)
		return;
	if (open_requests(pc) > 0 && pc->up != NULL &&
	    !pc->f[FCGI_DIR_TO_WEB].eof && !pc->f[FCGI_DIR_TO_WEB].paused)
		fcgi_timer_arm(&pc->timer, p->o.upstream_timeout_ms);
	else
		fcgi_timer_stop(&pc->timer);
}

/* Append the end of request r, as the server's deadline does (DESIGN
 * rule 3): the one timeout answer, shaped by what of r's streams went
 * by. */
static int answer_request(struct fcgi_proxy *p, struct preq *r,
			  struct fcgi_buf *b)
{
	struct fcgi_timeout_answer a;
	char body[256];

	snprintf(body, sizeof(body),
		 "fcgitool proxy: the upstream was silent for %.3f s\n",
		 (double)p->o.upstream_timeout_ms / 1000.0);
	memset(&a, 0, sizeof(a));
	a.request_id = r->id;
	a.status = p->o.timeout_status;
	a.body = body;
	a.stdout_started = r->stdout_started;
	a.stdout_ended = r->stdout_ended;
	a.stderr_started = r->stderr_started;
	a.stderr_ended = r->stderr_ended;
	return fcgi_timeout_answer(b, &a);
}

static void on_timer(struct fcgi_timer *t)
{
	struct pconn *pc = t->data;
	struct fcgi_proxy *p = pc->p;
	struct flow *fw = &pc->f[FCGI_DIR_TO_WEB];
	struct flow *fa = &pc->f[FCGI_DIR_TO_APP];
	struct fcgi_buf b;
	struct rbuf *rb;
	struct preq *r;
	unsigned first = 0, n = 0;
	int rc = 0;

	if (pc->closing)
		return;
	if (pc->cutting) {
		close_all(pc, NULL); /* the grace period is over */
		return;
	}
	if (open_requests(pc) == 0 || pc->up == NULL)
		return;
	/* Records of our own can only follow a whole record. */
	if (!fw->decoding || fw->rec_end != fw->read) {
		note(p, pc, "timeout",
		     "the upstream was silent for %.3f s in the middle of a "
		     "record; closing both sides",
		     (double)p->o.upstream_timeout_ms / 1000.0);
		fa->end = fw->end = FCGI_PROXY_CUT;
		close_all(pc, "upstream timeout inside a record");
		return;
	}
	fcgi_buf_init(&b, NULL, 0);
	for (r = pc->reqs; r != NULL && rc == 0; r = r->next) {
		rc = answer_request(p, r, &b);
		first = n++ == 0 ? r->id : first;
	}
	rb = rc == 0 ? rbuf_get(p, b.len) : NULL;
	if (rb == NULL) {
		fcgi_buf_fini(&b);
		note(p, pc, "timeout", "out of memory; closing both sides");
		close_all(pc, "out of memory");
		return;
	}
	memcpy(rb->data, b.data, b.len);
	rb->len = b.len;
	fcgi_buf_fini(&b);
	note(p, pc, "timeout",
	     "the upstream was silent for %.3f s with %u request%s open "
	     "(id %u): answering %u and closing the upstream connection",
	     (double)p->o.upstream_timeout_ms / 1000.0, n, n == 1 ? "" : "s",
	     first, p->o.timeout_status);
	p->st.timeouts += n;
	/* The observer sees the answer as what the web server receives, so
	 * the log shows it and each request ends as timed out. */
	pc->injecting = 1;
	fcgi_conn_recv(pc->obs, FCGI_DIR_TO_WEB, rb->data, rb->len);
	pc->injecting = 0;
	fw->decoding = 0;
	fw->injected += rb->len;
	tap(pc, FCGI_TAP_DATA, FCGI_DIR_TO_WEB, rb->data, rb->len);
	forward(pc, FCGI_DIR_TO_WEB, rb, rb->len);

	/* The upstream side goes; the web server gets the end after the
	 * answer, and nothing more of its own is forwarded. */
	read_stop(pc, FCGI_DIR_TO_WEB);
	if (pc->up_open) {
		pc->up_open = 0;
		fcgi_io_close(pc->up, on_handle_closed, pc);
	}
	pc->up = NULL;
	fw->eof = 1;
	fw->end = FCGI_PROXY_CUT;
	tap(pc, FCGI_TAP_FIN, FCGI_DIR_TO_WEB, NULL, 0);
	read_stop(pc, FCGI_DIR_TO_APP);
	fa->done = 1;
	if (fa->end == FCGI_PROXY_OPEN)
		fa->end = FCGI_PROXY_CUT;
	set_reason(pc, "upstream timeout");
	pass_eof(pc, FCGI_DIR_TO_WEB);
}

/* ---- connection life --------------------------------------------------- */

static void proxy_check_done(struct fcgi_proxy *p)
{
	if (!p->stopping || p->done_called || p->listener_closing ||
	    p->conns != NULL)
		return;
	p->done_called = 1;
	if (p->done != NULL)
		p->done(p->done_arg);
}

/* Everything of pc is closed: report it and free it. */
static void finish(struct pconn *pc)
{
	struct fcgi_proxy *p = pc->p;
	struct fcgi_proxy_conn_info ci;
	unsigned d;

	feed_eof(pc, FCGI_DIR_TO_APP);
	feed_eof(pc, FCGI_DIR_TO_WEB);
	while (pc->reqs != NULL)
		req_emit(pc, pc->reqs, 0, 0, 0, 0);
	tap(pc, FCGI_TAP_CLOSE, FCGI_DIR_TO_APP, NULL, 0);
	if (p->o.on_conn_end != NULL) {
		memset(&ci, 0, sizeof(ci));
		ci.conn = pc->id;
		ci.label = pc->label;
		ci.peer = pc->peer;
		ci.opened = secs(p, pc->t_open);
		ci.closed = now(p);
		for (d = 0; d < 2; d++) {
			ci.dir[d].read = pc->f[d].read;
			ci.dir[d].written = pc->f[d].written;
			ci.dir[d].injected = pc->f[d].injected;
			ci.dir[d].end = pc->f[d].end;
			if (p->o.checksums) {
				/* Still mirrored: all that was read was
				 * written (a write cancelled at close ended
				 * the mirror). */
				if (pc->f[d].mirror)
					pc->f[d].sha_w = pc->f[d].sha_r;
				fcgi_sha256_final(&pc->f[d].sha_r,
						  ci.dir[d].sha256_read);
				fcgi_sha256_final(&pc->f[d].sha_w,
						  ci.dir[d].sha256_written);
			}
		}
		ci.requests = pc->requests;
		ci.violations = pc->violations;
		ci.reason = pc->reason[0] != '\0' ? pc->reason : "closed";
		p->o.on_conn_end(p->o.arg, &ci);
	}
	if (pc->prev != NULL)
		pc->prev->next = pc->next;
	else
		p->conns = pc->next;
	if (pc->next != NULL)
		pc->next->prev = pc->prev;
	p->st.open--;
	fcgi_buf_fini(&pc->f[0].hold);
	fcgi_buf_fini(&pc->f[1].hold);
	fcgi_conn_free(pc->obs);
	free(pc);
	proxy_check_done(p);
}

static void unref(struct pconn *pc)
{
	if (--pc->refs == 0)
		finish(pc);
}

static void on_handle_closed(void *arg)
{
	unref(arg);
}

static void on_timer_closed(struct fcgi_timer *t)
{
	unref(t->data);
}

/* Close both sockets at once (queued writes are dropped) and the timer;
 * finish() follows when libuv has let go of all of them. */
static void close_all(struct pconn *pc, const char *reason)
{
	unsigned d;

	if (pc->closing)
		return;
	set_reason(pc, reason);
	pc->closing = 1;
	for (d = 0; d < 2; d++) {
		read_stop(pc, (enum fcgi_dir)d);
		if (pc->f[d].end == FCGI_PROXY_OPEN)
			pc->f[d].end = FCGI_PROXY_CUT;
	}
	if (pc->down_open) {
		pc->down_open = 0;
		fcgi_io_close(pc->down, on_handle_closed, pc);
	}
	if (pc->up_open) {
		pc->up_open = 0;
		fcgi_io_close(pc->up, on_handle_closed, pc);
	}
	if (pc->timer_open) {
		pc->timer_open = 0;
		fcgi_timer_close(&pc->timer, on_timer_closed);
	}
}

/* Stop reading both sides, let what is queued drain (for at most
 * CUT_GRACE_MS), then close. */
static void cut_connection(struct pconn *pc, const char *reason)
{
	unsigned d;

	if (pc->cutting || pc->closing)
		return;
	set_reason(pc, reason);
	note(pc->p, pc, "close", "closing the connection: %s", reason);
	pc->cutting = 1;
	for (d = 0; d < 2; d++) {
		read_stop(pc, (enum fcgi_dir)d);
		if (pc->f[d].end == FCGI_PROXY_OPEN)
			pc->f[d].end = FCGI_PROXY_CUT;
	}
	if (pc->timer_open)
		fcgi_timer_arm(&pc->timer, CUT_GRACE_MS);
	maybe_close(pc);
}

static void on_upstream(uv_stream_t *s, int status, void *arg)
{
	struct pconn *pc = arg;
	struct fcgi_proxy *p = pc->p;
	char why[300];

	if (pc->closing) {
		if (s != NULL)
			fcgi_io_close(s, NULL, NULL);
		unref(pc);
		return;
	}
	if (status != 0 || s == NULL) {
		snprintf(why, sizeof(why), "cannot connect to '%s': %s",
			 p->upstream, uv_strerror(status));
		note(p, pc, "upstream", "%s; closing the connection", why);
		close_all(pc, why);
		unref(pc);
		return;
	}
	pc->up = s;
	pc->up_open = 1;
	pc->refs++;
	s->data = pc;
	if (p->o.log == FCGI_PROXY_LOG_RECORDS)
		note(p, pc, "upstream", "connected to %s", p->upstream);
	read_start(pc, FCGI_DIR_TO_APP);
	read_start(pc, FCGI_DIR_TO_WEB);
	unref(pc);
}

static struct pconn *pconn_new(struct fcgi_proxy *p, uv_stream_t *s)
{
	struct fcgi_callbacks cb = { obs_record, obs_event, obs_violation };
	struct pconn *pc;
	unsigned d;

	pc = calloc(1, sizeof(*pc));
	if (pc == NULL)
		return NULL;
	(void)fcgi_conn_new(&pc->obs, FCGI_MODE_OBSERVER, &p->copts, &cb, pc);
	if (pc->obs == NULL) {
		free(pc);
		return NULL;
	}
	if (fcgi_timer_init(p->loop, &pc->timer, on_timer, pc) != 0) {
		fcgi_conn_free(pc->obs);
		free(pc);
		return NULL;
	}
	pc->timer_open = 1;
	pc->p = p;
	pc->id = ++p->next_id;
	snprintf(pc->label, sizeof(pc->label), "c%llu",
		 (unsigned long long)pc->id);
	fcgi_io_peername(s, pc->peer, sizeof(pc->peer));
	pc->down = s;
	pc->down_open = 1;
	s->data = pc;
	pc->refs = 2; /* down and the timer */
	pc->t_open = uv_hrtime();
	for (d = 0; d < 2; d++) {
		pc->f[d].decoding = 1;
		fcgi_buf_init(&pc->f[d].hold, NULL, 0);
		fcgi_sha256_init(&pc->f[d].sha_r);
		fcgi_sha256_init(&pc->f[d].sha_w);
		/* --strict forwards copies of what it held: hash both. */
		pc->f[d].mirror = p->o.checksums && !p->o.strict;
		STAILQ_INIT(&pc->f[d].queued);
	}
	pc->next = p->conns;
	if (p->conns != NULL)
		p->conns->prev = pc;
	p->conns = pc;
	p->st.accepted++;
	p->st.open++;
	return pc;
}

static void on_accept(uv_stream_t *server, int status)
{
	struct fcgi_proxy *p = server->data;
	struct pconn *pc;
	uv_stream_t *s, *up;
	int rc;

	if (status < 0) {
		note(p, NULL, "accept", "%s", uv_strerror(status));
		return;
	}
	rc = fcgi_io_accept(&s, server);
	if (rc != 0) {
		note(p, NULL, "accept", "cannot accept a connection: %s",
		     fcgi_strerror(rc));
		return;
	}
	if (p->stopping) {
		fcgi_io_close(s, NULL, NULL);
		return;
	}
	pc = pconn_new(p, s);
	if (pc == NULL) {
		note(p, NULL, "accept", "out of memory; connection closed");
		fcgi_io_close(s, NULL, NULL);
		return;
	}
	tap(pc, FCGI_TAP_OPEN, FCGI_DIR_TO_APP, NULL, 0);
	if (p->o.log == FCGI_PROXY_LOG_RECORDS)
		note(p, pc, "accept", "from %s", pc->peer);
	pc->refs++; /* the connect attempt */
	/* A unix socket connects within connect(2): no round of the loop
	 * (nor the epoll_ctl(2)s and getsockopt(2) of libuv's wait for
	 * POLLOUT) is spent on it. */
	rc = fcgi_io_connect_now(p->loop, &p->o.upstream, &up);
	if (rc != UV_EAFNOSUPPORT) {
		on_upstream(up, rc, pc);
		return;
	}
	rc = fcgi_io_connect(p->loop, &p->o.upstream, on_upstream, pc);
	if (rc != 0)
		on_upstream(NULL, rc, pc);
}

/* ---- public API -------------------------------------------------------- */

void fcgi_proxy_opts_default(struct fcgi_proxy_opts *o)
{
	memset(o, 0, sizeof(*o));
	fcgi_limits_default(&o->limits);
	o->log = FCGI_PROXY_LOG_RECORDS;
	o->timeout_status = 504;
	o->max_pending = DEFAULT_MAX_PENDING;
	o->read_size = DEFAULT_READ_SIZE;
	o->backlog = DEFAULT_BACKLOG;
	o->unix_mode = 0600;
}

int fcgi_proxy_new(struct fcgi_proxy **out, uv_loop_t *loop,
		   const struct fcgi_proxy_opts *opts, char *err, size_t errlen)
{
	struct fcgi_proxy *p;
	int rc;

	if (out == NULL || loop == NULL || opts == NULL ||
	    opts->max_pending == 0 || opts->read_size == 0 ||
	    opts->read_size > UINT32_MAX)
		return FCGI_EINVAL;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return FCGI_ENOMEM;
	p->loop = loop;
	p->o = *opts;
	fcgi_conn_opts_default(&p->copts);
	p->copts.limits = opts->limits;
	p->t0 = uv_hrtime();
	fcgi_addr_format(&p->o.upstream, p->upstream, sizeof(p->upstream));
	rc = fcgi_io_listen(loop, &p->o.listen, p->o.backlog, p->o.unix_mode,
			    on_accept, p, &p->listener, err, errlen);
	if (rc != 0) {
		free(p);
		return FCGI_EADDR;
	}
	fcgi_io_sockname(p->listener, p->addr, sizeof(p->addr));
	note(p, NULL, "listen", "%s, upstream %s", p->addr, p->upstream);
	*out = p;
	return 0;
}

static void on_listener_closed(void *arg)
{
	struct fcgi_proxy *p = arg;

	p->listener_closing = 0;
	proxy_check_done(p);
}

void fcgi_proxy_stop(struct fcgi_proxy *p, void (*done)(void *arg), void *arg)
{
	struct pconn *pc;

	if (p == NULL || p->stopping)
		return;
	p->stopping = 1;
	p->done = done;
	p->done_arg = arg;
	if (p->listener != NULL) {
		p->listener_closing = 1;
		fcgi_io_close(p->listener, on_listener_closed, p);
		p->listener = NULL;
		/* The socket file goes with the listener. */
		if (p->o.listen.family == AF_UNIX)
			unlink(p->o.listen.path);
	}
	for (pc = p->conns; pc != NULL; pc = pc->next)
		close_all(pc, "proxy stopped");
	proxy_check_done(p);
}

void fcgi_proxy_stats(const struct fcgi_proxy *p, struct fcgi_proxy_stats *st)
{
	*st = p->st;
}

void fcgi_proxy_free(struct fcgi_proxy *p)
{
	struct rbuf *rb;

	if (p == NULL)
		return;
	while ((rb = p->pool) != NULL) {
		p->pool = rb->next;
		free(rb);
	}
	free(p);
}
