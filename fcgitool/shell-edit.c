/* SPDX-License-Identifier: MIT */
/*
 * shell-edit.c - fcgitool shell: the commands that build the request
 * (set, unset, header, method, uri, body, data, role, keep-conn,
 * defaults, env, root, timeout, preset, reset) and show it (show,
 * params, show-cmd).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shell.h"
#include "util.h"

/* Bytes for a message: escaped, cut to fit. */
static const char *shown(char *out, size_t n, const void *p, size_t len)
{
	fcgi_escape(out, n, p, len);
	return out;
}

/* on or off into *v; 0 or -1 after saying why. */
static int onoff(struct shell *sh, const struct sh_words *w, int *v)
{
	if (sh_nargs(sh, w, 1, 1) != 0)
		return -1;
	if (strcmp(w->v[1].s, "on") == 0)
		*v = 1;
	else if (strcmp(w->v[1].s, "off") == 0)
		*v = 0;
	else {
		sh_err(sh, "%s: expected on or off, not '%s'", w->v[0].s,
		       w->v[1].s);
		return -1;
	}
	return 0;
}

/* ---- the request: set, unset, header, ... ------------------------------- */

int sh_cmd_set(struct shell *sh, const struct sh_words *w)
{
	if (sh_nargs(sh, w, 2, 2) != 0)
		return -1;
	if (w->v[1].len == 0) {
		sh_err(sh, "set: empty name");
		return -1;
	}
	sh_req_set(&sh->req, w->v[1].s, w->v[1].len, w->v[2].s, w->v[2].len, 0);
	return 0;
}

int sh_cmd_unset(struct shell *sh, const struct sh_words *w)
{
	if (sh_nargs(sh, w, 1, 1) != 0)
		return -1;
	if (w->v[1].len == 0) {
		sh_err(sh, "unset: empty name");
		return -1;
	}
	sh_req_set(&sh->req, w->v[1].s, w->v[1].len, NULL, 0, 1);
	return 0;
}

/* The words from i on, joined by single spaces (malloc'd). */
char *sh_join(const struct sh_words *w, size_t i)
{
	struct fcgi_buf b;
	size_t k;

	fcgi_buf_init(&b, NULL, 0);
	for (k = i; k < w->n; k++) {
		if (k > i)
			sh_bput(&b, " ", 1);
		sh_bput(&b, w->v[k].s, w->v[k].len);
	}
	sh_bput(&b, "", 1);
	return (char *)b.data;
}

int sh_cmd_header(struct shell *sh, const struct sh_words *w)
{
	char *h;
	size_t i;

	if (sh_nargs(sh, w, 1, SIZE_MAX) != 0)
		return -1;
	for (i = 1; i < w->n; i++)
		if (sh_text(sh, w, i) != 0)
			return -1;
	h = sh_join(w, 1);
	if (strchr(h, ':') == NULL || h[0] == ':') {
		sh_err(sh, "header: expected 'Name: value', not '%s'", h);
		free(h);
		return -1;
	}
	sh_req_header(&sh->req, h);
	free(h);
	return 0;
}

int sh_cmd_method(struct shell *sh, const struct sh_words *w)
{
	if (sh_nargs(sh, w, 0, 1) != 0)
		return -1;
	free(sh->req.method);
	sh->req.method = NULL;
	if (w->n == 1)
		return 0;
	if (w->v[1].len == 0 || sh_text(sh, w, 1) != 0) {
		if (w->v[1].len == 0)
			sh_err(sh, "method: empty");
		return -1;
	}
	sh->req.method = strdup(w->v[1].s);
	if (sh->req.method == NULL)
		die(EXIT_IO, "out of memory");
	return 0;
}

static int set_uri(struct shell *sh, const char *uri)
{
	char *u = strdup(uri);

	if (u == NULL)
		die(EXIT_IO, "out of memory");
	free(sh->req.uri);
	sh->req.uri = u;
	return 0;
}

int sh_cmd_uri(struct shell *sh, const struct sh_words *w)
{
	if (sh_nargs(sh, w, 1, 1) != 0 || sh_text(sh, w, 1) != 0)
		return -1;
	if (w->v[1].s[0] != '/') {
		sh_err(sh, "uri: '%s' must begin with '/'", w->v[1].s);
		return -1;
	}
	return set_uri(sh, w->v[1].s);
}

/* body edit: the body in a temporary file, $EDITOR on it, read back. */
static int body_edit(struct shell *sh)
{
	const char *editor = getenv("VISUAL"), *dir = getenv("TMPDIR");
	char path[PATH_MAX];
	struct fcgi_buf cmd;
	uint8_t *data;
	size_t len;
	int fd, st;

	if (editor == NULL || editor[0] == '\0')
		editor = getenv("EDITOR");
	if (editor == NULL || editor[0] == '\0')
		editor = "vi";
	if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	snprintf(path, sizeof(path), "%s/fcgitool-body.XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0) {
		sh_err(sh, "body: cannot make a temporary file in '%s': %s",
		       dir, strerror(errno));
		return -1;
	}
	/* What the body is now, from its file if it has one. */
	data = NULL;
	len = 0;
	if (sh->req.body_kind == SH_BODY_FILE &&
	    read_file(sh->req.body_file, &data, &len) != 0) {
		sh_err(sh, "body: cannot read '%s': %s", sh->req.body_file,
		       strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	if (sh->req.body_kind == SH_BODY_TEXT) {
		data = sh->req.body;
		len = sh->req.body_len;
	}
	st = len != 0 && write(fd, data, len) != (ssize_t)len;
	if (sh->req.body_kind == SH_BODY_FILE)
		free(data);
	close(fd);
	if (st) {
		sh_err(sh, "body: cannot write '%s': %s", path,
		       strerror(errno));
		unlink(path);
		return -1;
	}
	fcgi_buf_init(&cmd, NULL, 0);
	sh_bputs(&cmd, editor);
	sh_bputs(&cmd, " ");
	if (sh_quote_posix(&cmd, path, strlen(path)) != 0)
		die(EXIT_IO, "out of memory");
	sh_bput(&cmd, "", 1);
	fflush(sh->out);
	st = system((const char *)cmd.data);
	fcgi_buf_fini(&cmd);
	if (st != 0) {
		sh_err(sh,
		       "body: the editor '%s' failed; the body is as it was",
		       editor);
		unlink(path);
		return -1;
	}
	if (read_file(path, &data, &len) != 0) {
		sh_err(sh, "body: cannot read '%s': %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	unlink(path);
	sh_req_body_text(&sh->req, data, len);
	free(data);
	return 0;
}

int sh_cmd_body(struct shell *sh, const struct sh_words *w)
{
	const struct sh_word *a;
	char *t;

	if (w->n == 1) {
		free(sh->req.body);
		free(sh->req.body_file);
		sh->req.body = NULL;
		sh->req.body_file = NULL;
		sh->req.body_len = 0;
		sh->req.body_kind = SH_BODY_NONE;
		return 0;
	}
	a = &w->v[1];
	if (w->n == 2 && !a->lit && strcmp(a->s, "edit") == 0)
		return body_edit(sh);
	if (w->n == 2 && !a->lit && a->s[0] == '@') {
		if (a->len == 1 || sh_text(sh, w, 1) != 0) {
			if (a->len == 1)
				sh_err(sh, "body: '@' needs a file name");
			return -1;
		}
		if (strcmp(a->s, "@-") == 0) {
			sh_err(sh, "body: standard input holds the commands; "
				   "name a file");
			return -1;
		}
		sh_req_body_file(&sh->req, a->s + 1);
		return 0;
	}
	if (w->n == 2) {
		sh_req_body_text(&sh->req, a->s, a->len);
		return 0;
	}
	t = sh_join(w, 1);
	sh_req_body_text(&sh->req, t, strlen(t));
	free(t);
	return 0;
}

int sh_cmd_data(struct shell *sh, const struct sh_words *w)
{
	char *p;

	if (sh_nargs(sh, w, 0, 1) != 0)
		return -1;
	free(sh->req.data_file);
	sh->req.data_file = NULL;
	if (w->n == 1)
		return 0;
	if (w->v[1].lit || w->v[1].s[0] != '@' || w->v[1].len < 2 ||
	    sh_text(sh, w, 1) != 0) {
		sh_err(sh, "data: expected @file");
		return -1;
	}
	p = strdup(w->v[1].s + 1);
	if (p == NULL)
		die(EXIT_IO, "out of memory");
	sh->req.data_file = p;
	sh->req.role = FCGI_FILTER;
	return 0;
}

int sh_cmd_role(struct shell *sh, const struct sh_words *w)
{
	int role;

	if (sh_nargs(sh, w, 1, 1) != 0)
		return -1;
	role = fcgi_role_lookup(w->v[1].s);
	if (role < 0 || memchr(w->v[1].s, '\0', w->v[1].len) != NULL) {
		sh_err(sh,
		       "role: unknown role '%s': expected responder, "
		       "authorizer or filter",
		       w->v[1].s);
		return -1;
	}
	sh->req.role = (uint16_t)role;
	return 0;
}

int sh_cmd_keep_conn(struct shell *sh, const struct sh_words *w)
{
	return onoff(sh, w, &sh->req.keep_conn);
}

int sh_cmd_defaults(struct shell *sh, const struct sh_words *w)
{
	int on;

	if (onoff(sh, w, &on) != 0)
		return -1;
	sh->req.no_default_params = !on;
	return 0;
}

int sh_cmd_env(struct shell *sh, const struct sh_words *w)
{
	return onoff(sh, w, &sh->req.env);
}

int sh_cmd_root(struct shell *sh, const struct sh_words *w)
{
	char *p = NULL;

	if (sh_nargs(sh, w, 0, 1) != 0 || (w->n == 2 && sh_text(sh, w, 1) != 0))
		return -1;
	if (w->n == 2) {
		if (w->v[1].len == 0) {
			sh_err(sh, "root: empty");
			return -1;
		}
		p = strdup(w->v[1].s);
		if (p == NULL)
			die(EXIT_IO, "out of memory");
	}
	free(sh->req.root);
	sh->req.root = p;
	return 0;
}

int sh_cmd_timeout(struct shell *sh, const struct sh_words *w)
{
	uint64_t ms, *which = &sh->req.max_time_ms;
	const char *arg;

	if (sh_nargs(sh, w, 1, 2) != 0)
		return -1;
	arg = w->v[1].s;
	if (w->n == 3) {
		if (strcmp(w->v[1].s, "connect") == 0)
			which = &sh->req.connect_timeout_ms;
		else if (strcmp(w->v[1].s, "idle") == 0)
			which = &sh->req.idle_timeout_ms;
		else if (strcmp(w->v[1].s, "total") != 0) {
			sh_err(sh,
			       "timeout: expected total, connect or idle, "
			       "not '%s'",
			       w->v[1].s);
			return -1;
		}
		arg = w->v[2].s;
	}
	if (parse_seconds_ms(arg, &ms) != 0) {
		sh_err(sh, "timeout: bad value '%s': expected seconds", arg);
		return -1;
	}
	*which = ms;
	return 0;
}

int sh_cmd_reset(struct shell *sh, const struct sh_words *w)
{
	if (sh_nargs(sh, w, 0, 0) != 0)
		return -1;
	sh_req_fini(&sh->req);
	sh_req_init(&sh->req);
	return 0;
}

int sh_cmd_preset(struct shell *sh, const struct sh_words *w)
{
	const char *p;

	if (sh_nargs(sh, w, 1, 1) != 0)
		return -1;
	p = w->v[1].s;
	if (strcmp(p, "nginx") != 0 && strcmp(p, "php-fpm-status") != 0 &&
	    strcmp(p, "php-fpm-ping") != 0) {
		sh_err(sh,
		       "preset: unknown preset '%s': expected nginx, "
		       "php-fpm-status or php-fpm-ping",
		       p);
		return -1;
	}
	sh_req_fini(&sh->req);
	sh_req_init(&sh->req);
	/* PHP-FPM matches pm.status_path and ping.path against
	 * SCRIPT_NAME, and wants a SCRIPT_FILENAME that is not a file. */
	if (strcmp(p, "php-fpm-status") == 0) {
		set_uri(sh, "/status");
		sh_req_set(&sh->req, "SCRIPT_FILENAME", 15, "/status", 7, 0);
	} else if (strcmp(p, "php-fpm-ping") == 0) {
		set_uri(sh, "/ping");
		sh_req_set(&sh->req, "SCRIPT_FILENAME", 15, "/ping", 5, 0);
	}
	return 0;
}

/* ---- show and params ------------------------------------------------------ */

static void show_param(struct shell *sh, const struct fcgi_nv *nv)
{
	char *n = sh_xmalloc(nv->name_len * 4 + 1);
	char *v = sh_xmalloc(nv->value_len * 4 + 1);

	fcgi_escape(n, nv->name_len * 4 + 1, nv->name, nv->name_len);
	if (sh_is_secret(sh, (const char *)nv->name, nv->name_len))
		memcpy(v, "***", 4);
	else
		fcgi_escape(v, nv->value_len * 4 + 1, nv->value, nv->value_len);
	fprintf(sh->out, "  %s = %s\n", n, v);
	free(n);
	free(v);
}

static int show_params(struct shell *sh, int header)
{
	struct sh_built b;
	struct fcgi_nv nv;
	size_t i, n;
	int rc;

	rc = sh_req_build(&sh->req, sh->address, &b);
	if (rc == 0) {
		n = fcgi_params_count(&b.params);
		if (header)
			fprintf(sh->out, "params (%zu):\n", n);
		for (i = 0; i < n; i++) {
			fcgi_params_at(&b.params, i, &nv);
			show_param(sh, &nv);
		}
	}
	sh_built_free(&b);
	return rc == 0 ? 0 : -1;
}

int sh_cmd_params(struct shell *sh, const struct sh_words *w)
{
	if (sh_nargs(sh, w, 0, 0) != 0)
		return -1;
	return show_params(sh, 0);
}

static void show_ms(struct shell *sh, const char *what, uint64_t ms)
{
	if (ms != 0)
		fprintf(sh->out, "timeout  %s %llu.%03llu s\n", what,
			(unsigned long long)(ms / 1000),
			(unsigned long long)(ms % 1000));
}

int sh_cmd_show(struct shell *sh, const struct sh_words *w)
{
	const struct sh_req *r = &sh->req;
	char buf[300];
	size_t i;

	if (sh_nargs(sh, w, 0, 0) != 0)
		return -1;
	fprintf(sh->out, "target   %s (%s)\n", sh->addr_text,
		sh->nopen > 0 ? "a kept connection is open"
			      : "no connection open");
	fprintf(sh->out, "role     %s, keep-conn %s%s%s\n",
		fcgi_role_name(r->role), r->keep_conn ? "on" : "off",
		r->no_default_params ? ", no default params" : "",
		r->env ? ", environment added" : "");
	fprintf(sh->out, "method   %s\n",
		r->method != NULL	       ? r->method
		: r->body_kind != SH_BODY_NONE ? "POST (default with a body)"
					       : "GET (default)");
	fprintf(sh->out, "uri      %s\n", r->uri);
	if (r->root != NULL)
		fprintf(sh->out, "root     %s\n", r->root);
	for (i = 0; i < r->nheaders; i++) {
		if (sh_secret_header(sh, r->headers[i], strlen(r->headers[i])))
			fprintf(sh->out, "header   %.*s: ***\n",
				(int)(strchr(r->headers[i], ':') -
				      r->headers[i]),
				r->headers[i]);
		else
			fprintf(sh->out, "header   %s\n", r->headers[i]);
	}
	if (r->body_kind == SH_BODY_TEXT)
		fprintf(sh->out, "body     %zu bytes: \"%s\"%s\n", r->body_len,
			shown(buf, 200, r->body, r->body_len),
			strlen(buf) < 4 * r->body_len && r->body_len > 48
				? "..."
				: "");
	else if (r->body_kind == SH_BODY_FILE)
		fprintf(sh->out, "body     @%s\n", r->body_file);
	else
		fprintf(sh->out, "body     none\n");
	if (r->data_file != NULL)
		fprintf(sh->out, "data     @%s\n", r->data_file);
	show_ms(sh, "total", r->max_time_ms);
	show_ms(sh, "connect", r->connect_timeout_ms);
	show_ms(sh, "idle", r->idle_timeout_ms);
	return show_params(sh, 1);
}

int sh_cmd_show_cmd(struct shell *sh, const struct sh_words *w)
{
	struct fcgi_buf b;

	if (sh_nargs(sh, w, 0, 0) != 0)
		return -1;
	fcgi_buf_init(&b, NULL, 0);
	sh_req_cmdline(&sh->req, sh->address, &b);
	fprintf(sh->out, "%.*s\n", (int)b.len, (const char *)b.data);
	fcgi_buf_fini(&b);
	return 0;
}
