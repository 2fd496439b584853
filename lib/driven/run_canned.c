/* SPDX-License-Identifier: MIT */
/*
 * run_canned.c - the canned run: an answer made without a process (no
 * such function, a script outside the root), given from the loop's next
 * turn, since a run never calls back from inside start().
 */
#include <string.h>

#include "runner.h"

enum canned_state {
	CANNED_PENDING, /* the answer waits for the loop's next turn */
	CANNED_CLOSING, /* answered; the timer is being closed */
	CANNED_DONE	/* on_done was called */
};

struct canned_run {
	struct fcgi_run run; /* first: the ops */
	const struct fcgi_mem *mem;
	const struct fcgi_run_cbs *cb;
	void *arg;
	struct fcgi_buf out, err;
	uint32_t app_status;
	struct fcgi_timer timer;
	enum canned_state state;
	bool aborted;
};

static struct canned_run *canned_of(struct fcgi_run *run)
{
	return (struct canned_run *)run;
}

static void on_canned_closed(struct fcgi_timer *t)
{
	struct canned_run *c = t->data;

	c->state = CANNED_DONE;
	c->cb->on_done(c->arg, c->app_status, FCGI_REQUEST_COMPLETE);
}

static void on_canned_timer(struct fcgi_timer *t)
{
	struct canned_run *c = t->data;

	if (!c->aborted) {
		c->cb->on_stdout(c->arg, c->out.data, c->out.len);
		if (c->err.len > 0)
			c->cb->on_stderr(c->arg, c->err.data, c->err.len);
	}
	c->state = CANNED_CLOSING;
	fcgi_timer_close(&c->timer, on_canned_closed);
}

/* The body is not wanted: it is dropped as it comes. */
static ssize_t canned_write_stdin(struct fcgi_run *run, const uint8_t *data,
				  size_t len)
{
	(void)run;
	(void)data;
	(void)len;
	return 0;
}

static void canned_close_stdin(struct fcgi_run *run)
{
	(void)run;
}

/* A few hundred bytes, given at once: nothing to pause. */
static void canned_pause(struct fcgi_run *run, bool paused)
{
	(void)run;
	(void)paused;
}

static void canned_abort(struct fcgi_run *run)
{
	canned_of(run)->aborted = true;
}

static void canned_destroy(struct fcgi_run *run)
{
	struct canned_run *c = canned_of(run);

	if (c == NULL)
		return;
	fcgi_buf_fini(&c->out);
	fcgi_buf_fini(&c->err);
	fcgi_mem_free(c->mem, c);
}

static const struct fcgi_run_ops canned_ops = {
	.name = "canned",
	.write_stdin = canned_write_stdin,
	.close_stdin = canned_close_stdin,
	.pause = canned_pause,
	.abort = canned_abort,
	.destroy = canned_destroy,
};

static void on_early_closed(struct fcgi_timer *t)
{
	canned_destroy(t->data);
}

int fcgi_run_canned(struct fcgi_run **out, const struct fcgi_run_info *info,
		    const struct fcgi_mem *mem, unsigned http_status,
		    const char *stderr_line, uint32_t app_status)
{
	struct canned_run *c;
	int rc;

	if (http_status < 100 || http_status > 999)
		return FCGI_EINVAL;
	c = fcgi_mem_malloc(mem, sizeof(*c));
	if (c == NULL)
		return FCGI_ENOMEM;
	memset(c, 0, sizeof(*c));
	c->run.ops = &canned_ops;
	c->mem = mem;
	c->cb = info->cb;
	c->arg = info->arg;
	c->app_status = app_status;
	fcgi_buf_init(&c->out, mem, 0);
	fcgi_buf_init(&c->err, mem, 0);
	if (fcgi_timer_init(info->loop, &c->timer, on_canned_timer, c) != 0) {
		canned_destroy(&c->run);
		return FCGI_ENOMEM;
	}
	rc = fcgi_cgi_error_response(&c->out, http_status, NULL);
	if (rc == 0 && stderr_line != NULL)
		rc = fcgi_buf_append(&c->err, stderr_line, strlen(stderr_line));
	if (rc != 0) {
		fcgi_timer_close(&c->timer, on_early_closed);
		return FCGI_ENOMEM;
	}
	fcgi_timer_arm(&c->timer, 1);
	*out = &c->run;
	return 0;
}
