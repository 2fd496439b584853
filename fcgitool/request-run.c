/* SPDX-License-Identifier: MIT */
/*
 * request-run.c - fcgitool request: one client, COUNT requests with at
 * most MPX in flight, an interrupt that aborts them, and the clean-up.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"
#include "util.h"

struct run {
	const struct request_opts *o;
	struct fcgi_client *c;
	struct request_out *ro;
	struct fcgi_client_req_opts ropts;
	struct fcgi_client_req_cb cb;
	struct request_ctx *ctx;
	size_t n, next, inflight, window;
	uint64_t t0, deadline_ms;
	bool stop;
	uv_signal_t sigint;
};

static void submit(struct run *run);

static void on_done(struct fcgi_client_req *r,
		    const struct fcgi_client_result *res, void *arg)
{
	struct request_ctx *ctx = arg;
	struct run *run = ctx->run;

	(void)r;
	run->inflight--;
	/* The stall check repaired a lost wake-up: not the server's doing,
	 * and it cost a second, so say so (issue 14). */
	if (res->stalls != 0 && !run->o->silent)
		warn("'%s': the client stalled %u time%s with bytes to send "
		     "and resumed: a bug in fcgitool, please report it",
		     run->o->uri != NULL ? run->o->uri : run->o->address,
		     res->stalls, res->stalls == 1 ? "" : "s");
	/* After a timeout, an interruption or a failed connect the rest is
	 * not sent. */
	if (res->error == FCGI_ETIMEDOUT || res->error == FCGI_ECANCELED ||
	    res->error == FCGI_ECONNECT)
		run->stop = true;
	request_out_done(run->ro, ctx);
	submit(run);
}

/* Process requests until the window is full (or the run must stop). */
static void submit(struct run *run)
{
	struct request_ctx *ctx;
	uint64_t elapsed;
	int rc;

	while (!run->stop && run->next < run->n &&
	       run->inflight < run->window) {
		ctx = &run->ctx[run->next];
		run->ropts.timeout_ms = 0;
		if (run->deadline_ms != 0) {
			/* -m bounds the whole run, as curl's does. */
			elapsed = (uv_hrtime() - run->t0) / 1000000u;
			if (elapsed >= run->deadline_ms) {
				run->stop = true;
				return;
			}
			run->ropts.timeout_ms = run->deadline_ms - elapsed;
		}
		run->ropts.arg = ctx;
		rc = fcgi_client_req_new(&ctx->req, run->c, &run->ropts);
		if (rc != 0)
			die(EXIT_IO, "cannot make request %zu: %s",
			    run->next + 1, fcgi_strerror(rc));
		rc = fcgi_client_process(ctx->req);
		if (rc != 0)
			die(EXIT_IO, "cannot send request %zu: %s",
			    run->next + 1, fcgi_strerror(rc));
		ctx->sent = true;
		run->next++;
		run->inflight++;
	}
}

static void on_sigint(uv_signal_t *h, int signum)
{
	struct run *run = h->data;

	(void)signum;
	/* Abort what is open; a second ^C kills the default way. */
	run->stop = true;
	fcgi_client_abort_all(run->c, FCGI_ECANCELED);
	uv_signal_stop(h);
}

/* The -o file or stdout; NULL after printing why. */
static FILE *open_output(const char *path)
{
	FILE *f;

	if (path == NULL || strcmp(path, "-") == 0)
		return stdout;
	f = fopen(path, "wb");
	if (f == NULL)
		warn("cannot open '%s': %s", path, strerror(errno));
	return f;
}

/* Whether a -p sets name. */
static bool param_given(const struct request_opts *o, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < o->nparams; i++)
		if (!o->params[i].del && o->params[i].name_len == n &&
		    memcmp(o->params[i].name, name, n) == 0)
			return true;
	return false;
}

static void client_opts(const struct request_opts *o, struct run *run,
			struct fcgi_client_opts *co)
{
	fcgi_client_opts_default(co);
	co->connect_timeout_ms = o->connect_timeout_ms;
	co->idle_timeout_ms = o->idle_timeout_ms;
	/* -m is the user's budget: do not wait long past it. */
	co->abort_grace_ms = 100;
	co->keep_conn = o->keep_conn || o->count > 1;
	/* Read on after END_REQUEST until the server closes, so that a
	 * second END_REQUEST or more records count against it; -m still
	 * bounds the wait. */
	co->linger_ms = 1000;
	if (o->mpx > 1) {
		co->mpx = FCGI_CLIENT_MPX_ASK;
		co->max_mpx = (unsigned)o->mpx;
	}
	co->trace = request_out_trace(run->ro);
}

int request_run(const struct request_opts *o)
{
	struct run run;
	struct fcgi_addr addr;
	struct fcgi_client_opts co;
	struct fcgi_params params, names;
	struct request_body in, data;
	char err[256], addr_text[300];
	FILE *out = NULL;
	size_t i;
	bool spool;
	int rc;

	memset(&run, 0, sizeof(run));
	memset(&in, 0, sizeof(in));
	memset(&data, 0, sizeof(data));
	in.fd = data.fd = -1;
	fcgi_params_init(&params, NULL);
	fcgi_params_init(&names, NULL);
	if (fcgi_addr_parse(&addr, o->address, err, sizeof(err)) != 0) {
		warn("bad address: %s", err);
		return EXIT_USAGE;
	}
	fcgi_addr_format(&addr, addr_text, sizeof(addr_text));
	/* A pipe is copied aside to learn CONTENT_LENGTH, unless the
	 * caller gave it and it is read once. */
	spool = !(o->count == 1 &&
		  (param_given(o, "CONTENT_LENGTH") || o->no_default_params));
	rc = 0;
	if (o->data != NULL)
		rc = request_body_open(o->data, "-d", spool, &in);
	if (rc == 0 && o->data_file != NULL)
		rc = request_body_open(
			o->data_file, "--data-file",
			o->count > 1 || !param_given(o, "FCGI_DATA_LENGTH"),
			&data);
	if (rc != 0)
		goto out;
	if (o->get_values) {
		for (i = 0; i < (size_t)o->nnames; i++)
			fcgi_params_add(&names, o->names[i],
					strlen(o->names[i]), "", 0);
		if (o->nnames == 0) {
			fcgi_params_add(&names, "FCGI_MAX_CONNS", 14, "", 0);
			fcgi_params_add(&names, "FCGI_MAX_REQS", 13, "", 0);
			fcgi_params_add(&names, "FCGI_MPXS_CONNS", 15, "", 0);
		}
	} else {
		request_params(o, &in, &data, &params);
	}
	out = open_output(o->output);
	if (out == NULL) {
		rc = EXIT_USAGE;
		goto out;
	}
	run.o = o;
	run.ro = request_out_new(o, out, addr_text);
	client_opts(o, &run, &co);
	rc = fcgi_client_new(&run.c, NULL, &addr, &co);
	if (rc != 0) {
		warn("cannot make a client for '%s': %s", addr_text,
		     fcgi_strerror(rc));
		rc = EXIT_IO;
		goto out;
	}
	run.n = o->get_values ? 1 : o->count;
	run.window = o->mpx;
	run.ctx = calloc(run.n, sizeof(*run.ctx));
	if (run.ctx == NULL)
		die(EXIT_IO, "out of memory");
	for (i = 0; i < run.n; i++) {
		run.ctx[i].ro = run.ro;
		run.ctx[i].run = &run;
		run.ctx[i].index = i;
	}
	request_out_set(run.ro, run.c, run.ctx, run.n);
	fcgi_client_req_opts_default(&run.ropts);
	run.ropts.role = o->role;
	run.ropts.params = &params;
	if (in.present)
		run.ropts.in = in.body;
	if (data.present)
		run.ropts.data = data.body;
	if (o->get_values)
		run.ropts.get_values = &names;
	run.ropts.abort_after_ms = o->abort_after_ms;
	run.ropts.collect = request_out_collects(run.ro);
	run.cb = *request_out_cb();
	run.cb.on_done = on_done;
	run.ropts.cb = &run.cb;
	run.t0 = uv_hrtime();
	run.deadline_ms = o->max_time_ms;
	/* Servers that do not know GET_VALUES often say nothing at all. */
	if (o->get_values && run.deadline_ms == 0)
		run.deadline_ms = 5000;
	uv_signal_init(fcgi_client_loop(run.c), &run.sigint);
	run.sigint.data = &run;
	uv_signal_start(&run.sigint, on_sigint, SIGINT);
	submit(&run);
	fcgi_client_wait_all(run.c);
	uv_signal_stop(&run.sigint);
	uv_close((uv_handle_t *)&run.sigint, NULL);
	rc = request_out_finish(run.ro, run.c, &params);
	for (i = 0; i < run.n; i++)
		fcgi_client_req_free(run.ctx[i].req);
	fcgi_client_free(run.c);
	free(run.ctx);
out:
	request_out_free(run.ro);
	if (out != NULL && out != stdout && fclose(out) != 0 && rc == 0) {
		warn("cannot write '%s': %s", o->output, strerror(errno));
		rc = EXIT_IO;
	}
	request_body_close(&in);
	request_body_close(&data);
	fcgi_params_fini(&params);
	fcgi_params_fini(&names);
	return rc;
}
