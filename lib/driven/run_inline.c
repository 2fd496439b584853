/* SPDX-License-Identifier: MIT */
/*
 * run_inline.c - the inline run: a responder function called in the
 * process that runs the loop, from the loop (FCGI_ISOLATE_INLINE: serve
 * --isolate none, and the workers of serve --isolate worker).  No process
 * is made and no pipe: the body is gathered in memory, the function reads
 * it from a memory stream and writes into memory streams, and its output
 * goes to the server when it returns, with its end, in one go.
 *
 * Runs are called from a check handle (right after the poll phase that
 * brought their last body bytes, so an answer goes out in the same turn
 * of the loop) and an idle handle (so that a run made ready outside the
 * poll phase does not wait for the next event).  While a function runs
 * the loop does not: that is what inline means.
 */
#include <sys/queue.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <string.h>

#include "runner.h"

enum inline_state {
	INLINE_BODY,  /* gathering the body */
	INLINE_READY, /* queued: the function runs on the loop's next check */
	INLINE_DONE   /* on_done was called */
};

struct inline_run {
	struct fcgi_run run; /* first: the ops */
	struct fcgi_inline *host;
	const struct fcgi_run_cbs *cb;
	void *arg;
	fcgi_responder_fn fn;
	struct fcgi_params params; /* a copy: start()'s are borrowed */
	struct fcgi_buf body, out, err;
	size_t out_dropped; /* output past FCGI_INLINE_OUT_MAX */
	enum inline_state state;
	bool aborted, queued, body_over;
	uint16_t request_id;
	int conn_fd;
	uint64_t deadline_mono; /* fcgi_mono_ms() time; 0: none */
	unsigned timeout_status;
	char what[128];
	char label[32];
	TAILQ_ENTRY(inline_run) link;
};

TAILQ_HEAD(inline_list, inline_run);

struct fcgi_inline {
	uv_loop_t *loop;
	const struct fcgi_mem *mem;
	uv_check_t check;
	uv_idle_t idle;
	struct inline_list ready;
	unsigned handles; /* open uv handles */
	bool closing;
	struct fcgi_watch *watch; /* --isolate worker: the supervisor's slot */
	/* The function's streams, made once and lent to each call: cur is
	 * the run they read from and write to, pos how far in its body. */
	FILE *in, *out, *err;
	struct inline_run *cur;
	size_t pos;
	char outbuf[8192], errbuf[1024];
};

static struct inline_run *inline_of(struct fcgi_run *run)
{
	return (struct inline_run *)run;
}

/* ---- the function's streams ---- */

static ssize_t mem_write(struct inline_run *r, struct fcgi_buf *b,
			 const char *data, size_t len)
{
	size_t room = FCGI_INLINE_OUT_MAX - (r->out.len + r->err.len);

	if (len > room) {
		r->out_dropped += len - room;
		len = room;
	}
	if (len > 0 && fcgi_buf_append(b, data, len) != 0) {
		r->out_dropped += len;
		errno = ENOMEM;
		return -1;
	}
	return (ssize_t)len;
}

static ssize_t out_write(void *cookie, const char *data, size_t len)
{
	struct fcgi_inline *h = cookie;

	if (h->cur == NULL) {
		errno = EBADF;
		return -1;
	}
	return mem_write(h->cur, &h->cur->out, data, len);
}

static ssize_t err_write(void *cookie, const char *data, size_t len)
{
	struct fcgi_inline *h = cookie;

	if (h->cur == NULL) {
		errno = EBADF;
		return -1;
	}
	return mem_write(h->cur, &h->cur->err, data, len);
}

static ssize_t in_read(void *cookie, char *buf, size_t len)
{
	struct fcgi_inline *h = cookie;
	const struct fcgi_buf *b;
	size_t n;

	if (h->cur == NULL)
		return 0;
	b = &h->cur->body;
	n = b->len - h->pos < len ? b->len - h->pos : len;
	if (n > 0)
		memcpy(buf, b->data + h->pos, n);
	h->pos += n;
	return (ssize_t)n;
}

/* The streams, once per host: a FILE costs allocations and a dozen
 * initialisations, more than a small request's answer. */
static bool streams_open(struct fcgi_inline *h)
{
	cookie_io_functions_t rio = { .read = in_read };
	cookie_io_functions_t oio = { .write = out_write };
	cookie_io_functions_t eio = { .write = err_write };

	if (h->in == NULL)
		h->in = fopencookie(h, "r", rio);
	if (h->out == NULL && (h->out = fopencookie(h, "w", oio)) != NULL)
		setvbuf(h->out, h->outbuf, _IOFBF, sizeof(h->outbuf));
	if (h->err == NULL && (h->err = fopencookie(h, "w", eio)) != NULL)
		setvbuf(h->err, h->errbuf, _IOFBF, sizeof(h->errbuf));
	return h->in != NULL && h->out != NULL && h->err != NULL;
}

/* Lend the streams to r: nothing of the last call is left in them. */
static void streams_lend(struct fcgi_inline *h, struct inline_run *r)
{
	h->cur = r;
	h->pos = 0;
	__fpurge(h->in);
	clearerr(h->in);
	clearerr(h->out);
	clearerr(h->err);
}

static void streams_return(struct fcgi_inline *h)
{
	fflush(h->out);
	fflush(h->err);
	__fpurge(h->out);
	__fpurge(h->err);
	h->cur = NULL;
}

/* Call the function, then hand its output and its end to the server.
 * The run may be freed from within on_done. */
static void inline_call(struct inline_run *r)
{
	struct fcgi_inline *h = r->host;
	const struct fcgi_run_cbs *cb = r->cb;
	void *arg = r->arg;
	struct fcgi_watch_req wq;
	uint32_t status = 1;
	char line[160];
	int n;

	if (r->fn == NULL) {
		/* The body did not fit: answered without the function. */
		n = snprintf(line, sizeof(line),
			     "fcgitool: %s: the body is over %u MiB, which "
			     "inline runs hold in memory; not called\n",
			     r->what, FCGI_INLINE_BODY_MAX >> 20);
		if (n > 0 && (size_t)n < sizeof(line))
			fcgi_buf_append(&r->err, line, (size_t)n);
		r->state = INLINE_DONE;
		cb->on_stdout(arg, r->out.data, r->out.len);
		cb->on_stderr(arg, r->err.data, r->err.len);
		cb->on_done(arg, 1, FCGI_REQUEST_COMPLETE);
		return;
	}
	/* What the connection owes is written first, so that a supervisor
	 * that answers for this call finds the stream at a record boundary.
	 * That write may fail and close the connection: the run is then
	 * aborted, queued again, and ends as aborted runs do. */
	wq.wire_clean = cb->out_idle != NULL && cb->out_idle(arg);
	if (r->aborted)
		return;
	if (streams_open(h)) {
		streams_lend(h, r);
		wq.conn_fd = r->conn_fd;
		wq.request_id = r->request_id;
		wq.deadline_ms = r->deadline_mono;
		wq.timeout_status = r->timeout_status;
		wq.what = r->what;
		wq.label = r->label;
		fcgi_watch_begin(h->watch, &wq);
		status = (uint32_t)r->fn(&r->params, h->in, h->out, h->err);
		streams_return(h);
		fcgi_watch_end(h->watch);
	} else {
		n = snprintf(line, sizeof(line),
			     "fcgitool: %s: cannot open its streams\n",
			     r->what);
		if (n > 0 && (size_t)n < sizeof(line))
			fcgi_buf_append(&r->err, line, (size_t)n);
		status = 127;
	}
	if (r->out_dropped > 0) {
		n = snprintf(line, sizeof(line),
			     "fcgitool: %s: %zu bytes of output past %u MiB "
			     "dropped (--isolate none and worker hold it in "
			     "memory)\n",
			     r->what, r->out_dropped,
			     FCGI_INLINE_OUT_MAX >> 20);
		if (n > 0 && (size_t)n < sizeof(line))
			fcgi_buf_append(&r->err, line, (size_t)n);
	}
	r->state = INLINE_DONE;
	if (r->out.len > 0)
		cb->on_stdout(arg, r->out.data, r->out.len);
	if (r->err.len > 0)
		cb->on_stderr(arg, r->err.data, r->err.len);
	cb->on_done(arg, status, FCGI_REQUEST_COMPLETE);
}

/* ---- the queue of runs ready to be called ---- */

static void host_stop(struct fcgi_inline *h)
{
	uv_check_stop(&h->check);
	uv_idle_stop(&h->idle);
}

static void host_run(struct fcgi_inline *h)
{
	struct inline_run *r;

	/* A run queued while these run waits for the next turn, so that
	 * the loop's I/O is not starved by a run that queues another. */
	struct inline_list batch = TAILQ_HEAD_INITIALIZER(batch);

	TAILQ_CONCAT(&batch, &h->ready, link);
	while ((r = TAILQ_FIRST(&batch)) != NULL) {
		TAILQ_REMOVE(&batch, r, link);
		r->queued = false;
		if (r->aborted) {
			r->state = INLINE_DONE;
			r->cb->on_done(r->arg, 128u + SIGTERM,
				       FCGI_REQUEST_COMPLETE);
		} else {
			inline_call(r);
		}
	}
	if (TAILQ_EMPTY(&h->ready))
		host_stop(h);
}

static void on_check(uv_check_t *c)
{
	host_run(c->data);
}

static void on_idle(uv_idle_t *i)
{
	host_run(i->data);
}

static void enqueue(struct inline_run *r)
{
	struct fcgi_inline *h = r->host;

	if (r->queued || r->state == INLINE_DONE)
		return;
	r->state = INLINE_READY;
	r->queued = true;
	TAILQ_INSERT_TAIL(&h->ready, r, link);
	uv_check_start(&h->check, on_check);
	uv_idle_start(&h->idle, on_idle);
}

/* ---- the run's operations ---- */

static ssize_t inline_write_stdin(struct fcgi_run *run, const uint8_t *data,
				  size_t len)
{
	struct inline_run *r = inline_of(run);

	if (r->state != INLINE_BODY || r->aborted)
		return 0;
	if (len > FCGI_INLINE_BODY_MAX - r->body.len) {
		r->body_over = true;
		return 0; /* dropped; the function is not called */
	}
	if (fcgi_buf_append(&r->body, data, len) != 0)
		return FCGI_ENOMEM;
	return 0;
}

static void inline_close_stdin(struct fcgi_run *run)
{
	struct inline_run *r = inline_of(run);

	if (r->state != INLINE_BODY)
		return;
	if (r->body_over) {
		/* The body would not fit in memory: answered 413 without
		 * calling the function. */
		static const char resp[] = "Status: 413 Content Too Large\r\n"
					   "Content-Type: text/plain\r\n\r\n"
					   "413 Content Too Large\n";

		fcgi_buf_reset(&r->out);
		fcgi_buf_append(&r->out, resp, sizeof(resp) - 1);
		r->fn = NULL;
	}
	enqueue(r);
}

/* The output is given at once when the function returns: nothing to
 * pause. */
static void inline_pause(struct fcgi_run *run, bool paused)
{
	(void)run;
	(void)paused;
}

static void inline_abort(struct fcgi_run *run)
{
	struct inline_run *r = inline_of(run);

	if (r->state == INLINE_DONE)
		return;
	r->aborted = true;
	enqueue(r);
}

static void inline_destroy(struct fcgi_run *run)
{
	struct inline_run *r = inline_of(run);

	if (r == NULL)
		return;
	if (r->queued)
		TAILQ_REMOVE(&r->host->ready, r, link);
	fcgi_params_fini(&r->params);
	fcgi_buf_fini(&r->body);
	fcgi_buf_fini(&r->out);
	fcgi_buf_fini(&r->err);
	fcgi_mem_free(r->host->mem, r);
}

static const struct fcgi_run_ops inline_ops = {
	.name = "inline",
	.write_stdin = inline_write_stdin,
	.close_stdin = inline_close_stdin,
	.pause = inline_pause,
	.abort = inline_abort,
	.destroy = inline_destroy,
};

/* ---- the host ---- */

int fcgi_inline_new(struct fcgi_inline **out, uv_loop_t *loop,
		    const struct fcgi_mem *mem, struct fcgi_watch *watch)
{
	struct fcgi_inline *h;

	h = fcgi_mem_malloc(mem, sizeof(*h));
	if (h == NULL)
		return FCGI_ENOMEM;
	memset(h, 0, sizeof(*h));
	h->loop = loop;
	h->mem = mem;
	h->watch = watch;
	TAILQ_INIT(&h->ready);
	uv_check_init(loop, &h->check);
	uv_idle_init(loop, &h->idle);
	h->check.data = h;
	h->idle.data = h;
	h->handles = 2;
	*out = h;
	return 0;
}

uv_loop_t *fcgi_inline_loop(const struct fcgi_inline *h)
{
	return h->loop;
}

static void on_host_closed(uv_handle_t *hd)
{
	struct fcgi_inline *h = hd->data;

	if (--h->handles == 0)
		fcgi_mem_free(h->mem, h);
}

void fcgi_inline_free(struct fcgi_inline *h)
{
	if (h == NULL || h->closing)
		return;
	h->closing = true;
	if (h->in != NULL)
		fclose(h->in);
	if (h->out != NULL)
		fclose(h->out);
	if (h->err != NULL)
		fclose(h->err);
	uv_close((uv_handle_t *)&h->check, on_host_closed);
	uv_close((uv_handle_t *)&h->idle, on_host_closed);
}

int fcgi_inline_start(struct fcgi_inline *h, const struct fcgi_run_info *info,
		      const char *what, fcgi_responder_fn fn,
		      struct fcgi_run **out)
{
	struct inline_run *r;

	if (h->closing || info->loop != h->loop)
		return FCGI_EINVAL;
	r = fcgi_mem_malloc(h->mem, sizeof(*r));
	if (r == NULL)
		return FCGI_ENOMEM;
	memset(r, 0, sizeof(*r));
	r->run.ops = &inline_ops;
	r->host = h;
	r->cb = info->cb;
	r->arg = info->arg;
	r->fn = fn;
	r->request_id = info->request_id;
	r->state = INLINE_BODY;
	r->conn_fd = info->conn_fd;
	r->timeout_status = info->timeout_status;
	/* The deadline on the clock the supervisor reads. */
	if (info->deadline_ms != 0) {
		uint64_t now = uv_now(h->loop);

		r->deadline_mono =
			fcgi_mono_ms() +
			(info->deadline_ms > now ? info->deadline_ms - now : 0);
	}
	fcgi_copy_text(r->what, sizeof(r->what), what);
	fcgi_copy_text(r->label, sizeof(r->label), info->label);
	fcgi_params_init(&r->params, h->mem);
	fcgi_buf_init(&r->body, h->mem, 0);
	fcgi_buf_init(&r->out, h->mem, 0);
	fcgi_buf_init(&r->err, h->mem, 0);
	if (fcgi_params_copy(&r->params, info->params) != 0) {
		inline_destroy(&r->run);
		return FCGI_ENOMEM;
	}
	*out = &r->run;
	return 0;
}
