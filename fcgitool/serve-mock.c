/* SPDX-License-Identifier: MIT */
/*
 * serve-mock.c - fcgitool serve --mock: the script (checked whole, and
 * again at each SIGHUP), the function and process runners its routes may
 * name, the journal (--record), the ends (--requests, --duration) and the
 * verdict at exit.
 */
#include <sys/stat.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builtin.h"
#include "mock.h"
#include "serve.h"
#include "util.h"

struct serve_mock {
	const struct serve_opts *o;
	struct mock *m;
	struct fcgi_runner *fn, *exec;
	struct fcgi_server *srv;
	uv_loop_t *loop;
	FILE *jf;
	struct fcgi_render *journal;
	struct fcgi_render *trace;
	char dir[PATH_MAX];
	uv_signal_t hup;
	uv_timer_t duration, stop;
	bool handles;
};

/* @file in a script: relative to the script's directory. */
static int read_body_file(void *arg, const char *dir, const char *path,
			  struct mock_bytes *out, char *err, size_t errlen)
{
	char full[PATH_MAX];
	uint8_t *data;
	size_t len;
	struct stat st;

	(void)arg;
	if (path[0] == '/')
		snprintf(full, sizeof(full), "%s", path);
	else
		snprintf(full, sizeof(full), "%s/%s", dir, path);
	if (stat(full, &st) == 0 && S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_size > MOCK_FILE_MAX) {
		snprintf(err, errlen, "larger than %u bytes", MOCK_FILE_MAX);
		return -1;
	}
	if (stat(full, &st) == 0 && !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "not a regular file");
		return -1;
	}
	if (read_file(full, &data, &len) != 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	/* read_file() leaves room for nothing after the data. */
	out->data = realloc(data, len + 1);
	if (out->data == NULL) {
		free(data);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	out->data[len] = 0;
	out->len = len;
	return 0;
}

/* Read and check the script: the plan, or NULL after saying what is wrong
 * and where ("FILE:LINE:COLUMN: path: what"). */
static struct fcgi_mock_plan *load(struct serve_mock *sm, const char *why)
{
	struct mock_files files = { read_body_file, NULL, sm->dir };
	struct fcgi_mock_plan *p = NULL;
	struct mock_error e;
	uint8_t *text;
	size_t len;

	if (read_file(sm->o->mock, &text, &len) != 0) {
		warn("cannot read '%s': %s%s", sm->o->mock, strerror(errno),
		     why);
		return NULL;
	}
	if (fcgi_mock_plan_parse(&p, (const char *)text, len, &files, &e) != 0)
		warn("%s:%u:%u: %s%s", sm->o->mock, e.line, e.col, e.msg, why);
	free(text);
	return p;
}

static void on_hup(uv_signal_t *h, int signum)
{
	struct serve_mock *sm = h->data;
	struct fcgi_mock_plan *p;

	(void)signum;
	p = load(sm, " (keeping the script in use)");
	if (p == NULL)
		return;
	mock_set_plan(sm->m, p);
	warn("reloaded '%s'", sm->o->mock);
	if (sm->trace != NULL)
		fcgi_render_note(sm->trace, NULL, -1, "mock",
				 "script reloaded");
}

static void on_stop_timer(uv_timer_t *t)
{
	struct serve_mock *sm = t->data;

	if (sm->srv != NULL)
		fcgi_server_stop(sm->srv);
}

/* --requests N: stop once N requests have ended (on the next turn: this
 * runs inside the runner's callbacks). */
static void on_end(void *arg, uint64_t n)
{
	struct serve_mock *sm = arg;

	if (sm->o->requests > 0 && n == sm->o->requests && sm->handles)
		uv_timer_start(&sm->stop, on_stop_timer, 0, 0);
}

/* The runners fn and exec routes hand requests to. */
static int sub_runners(struct serve_mock *sm)
{
	const struct serve_opts *o = sm->o;
	const char *root = o->root != NULL ? o->root : ".";
	char err[512];
	int rc;

	if (fcgi_func_runner_new(&sm->fn, NULL) != 0) {
		warn("out of memory");
		return EXIT_IO;
	}
	fcgi_func_runner_set_isolation(sm->fn, o->isolate, o->workers);
	if (o->nfns == 0)
		fcgi_func_runner_add_table(sm->fn, "builtin", mock_builtins);
	for (size_t i = 0; i < o->nfns; i++) {
		if (strcmp(o->fns[i], "builtin") == 0)
			rc = fcgi_func_runner_add_table(sm->fn, "builtin",
							mock_builtins);
		else
			rc = fcgi_func_runner_add_lib(sm->fn, o->fns[i], err,
						      sizeof(err));
		if (rc != 0) {
			warn("cannot load '%s': %s", o->fns[i], err);
			return EXIT_IO;
		}
	}
	if (fcgi_exec_runner_new(&sm->exec, root, NULL, err, sizeof(err)) !=
	    0) {
		warn("bad --root '%s': %s", root, err);
		return EXIT_USAGE;
	}
	return 0;
}

int serve_mock_new(struct serve_mock **out, struct fcgi_runner **runner,
		   const struct serve_opts *o, uv_loop_t *loop,
		   struct fcgi_render *trace, char *what, size_t n)
{
	struct fcgi_mock_runner_opts ro;
	struct fcgi_render_opts rop;
	struct serve_mock *sm;
	struct fcgi_mock_plan *p;
	struct mock_opts mo;
	char tmp[PATH_MAX], note[PATH_MAX + 100];
	int rc;

	*out = NULL;
	sm = calloc(1, sizeof(*sm));
	if (sm == NULL) {
		warn("out of memory");
		return EXIT_IO;
	}
	*out = sm;
	sm->o = o;
	sm->loop = loop;
	sm->trace = trace;
	snprintf(tmp, sizeof(tmp), "%s", o->mock);
	snprintf(sm->dir, sizeof(sm->dir), "%s", dirname(tmp));
	p = load(sm, "");
	if (p == NULL)
		return EXIT_USAGE;
	rc = sub_runners(sm);
	if (rc != 0) {
		fcgi_mock_plan_free(p);
		return rc;
	}
	if (o->record != NULL) {
		sm->jf = strcmp(o->record, "-") == 0 ? stdout
						     : fopen(o->record, "w");
		if (sm->jf == NULL) {
			warn("cannot write '%s': %s", o->record,
			     strerror(errno));
			fcgi_mock_plan_free(p);
			return EXIT_IO;
		}
		setvbuf(sm->jf, NULL, _IOLBF, 0);
		fcgi_render_opts_default(&rop);
		rop.json = 1;
		sm->journal = render_open(sm->jf, &rop);
	}
	memset(&mo, 0, sizeof(mo));
	mo.journal = sm->journal;
	mo.trace = trace;
	mo.seed = o->seed_given ? o->seed : uv_hrtime() ^ (uint64_t)getpid();
	mo.seed_given = o->seed_given;
	mo.t0_ms = fcgi_now_ms(loop);
	mo.on_end = on_end;
	mo.arg = sm;
	if (mock_new(&sm->m, p, &mo) != 0) {
		warn("out of memory");
		return EXIT_IO;
	}
	memset(&ro, 0, sizeof(ro));
	ro.fn = sm->fn;
	ro.exec = sm->exec;
	if (fcgi_mock_runner_new(runner, mock_responder(sm->m), &ro) != 0) {
		warn("out of memory");
		return EXIT_IO;
	}
	snprintf(what, n, "mock script %s", o->mock);
	if (trace != NULL) {
		snprintf(note, sizeof(note), "script %s: %zu routes, seed %llu",
			 o->mock, mock_plan(sm->m)->nroutes,
			 (unsigned long long)mock_seed(sm->m));
		fcgi_render_note(trace, NULL, 0, "mock", note);
	}
	return 0;
}

void serve_mock_start(struct serve_mock *sm, struct fcgi_server *srv)
{
	sm->srv = srv;
	uv_signal_init(sm->loop, &sm->hup);
	sm->hup.data = sm;
	uv_signal_start(&sm->hup, on_hup, SIGHUP);
	uv_timer_init(sm->loop, &sm->duration);
	uv_timer_init(sm->loop, &sm->stop);
	sm->duration.data = sm->stop.data = sm;
	/* None of these keeps the loop alive: the server's handles do. */
	uv_unref((uv_handle_t *)&sm->hup);
	uv_unref((uv_handle_t *)&sm->duration);
	uv_unref((uv_handle_t *)&sm->stop);
	sm->handles = true;
	if (sm->o->duration_ms > 0)
		uv_timer_start(&sm->duration, on_stop_timer, sm->o->duration_ms,
			       0);
}

static void say(void *arg, const char *line)
{
	(void)arg;
	warn("%s", line);
}

int serve_mock_finish(struct serve_mock *sm, struct fcgi_render *json)
{
	int rc = 0;

	if (sm == NULL)
		return 0;
	if (sm->handles) {
		uv_close((uv_handle_t *)&sm->hup, NULL);
		uv_close((uv_handle_t *)&sm->duration, NULL);
		uv_close((uv_handle_t *)&sm->stop, NULL);
		uv_run(sm->loop, UV_RUN_NOWAIT);
		sm->handles = false;
	}
	if (sm->m != NULL && mock_verdict(sm->m, say, NULL, json) > 0)
		rc = EXIT_PEER;
	return rc;
}

void serve_mock_free(struct serve_mock *sm)
{
	if (sm == NULL)
		return;
	/* The function pool's workers go with their runner; the loop then
	 * closes what watched them. */
	fcgi_runner_free(sm->fn);
	fcgi_runner_free(sm->exec);
	uv_run(sm->loop, UV_RUN_NOWAIT);
	mock_free(sm->m);
	fcgi_render_free(sm->journal);
	if (sm->jf != NULL && sm->jf != stdout)
		fclose(sm->jf);
	free(sm);
}
