/* SPDX-License-Identifier: MIT */
/*
 * shell-cmds.c - fcgitool shell: the command table, the commands that
 * build the request, scripts (source, save, show-cmd), help, and what the
 * history keeps of a line.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "shell.h"
#include "util.h"

#define SOURCE_DEPTH 8

const char *const sh_param_names[] = {
	/* nginx's fastcgi_params and fastcgi.conf */
	"QUERY_STRING", "REQUEST_METHOD", "CONTENT_TYPE", "CONTENT_LENGTH",
	"SCRIPT_NAME", "SCRIPT_FILENAME", "REQUEST_URI", "DOCUMENT_URI",
	"DOCUMENT_ROOT", "SERVER_PROTOCOL", "REQUEST_SCHEME", "HTTPS",
	"GATEWAY_INTERFACE", "SERVER_SOFTWARE", "REMOTE_ADDR", "REMOTE_PORT",
	"REMOTE_USER", "SERVER_ADDR", "SERVER_PORT", "SERVER_NAME",
	"REDIRECT_STATUS",
	/* CGI/1.1 (RFC 3875) beside them */
	"PATH_INFO", "PATH_TRANSLATED", "AUTH_TYPE", "REMOTE_HOST",
	"REMOTE_IDENT",
	/* PHP-FPM reads these */
	"PHP_VALUE", "PHP_ADMIN_VALUE", "ORIG_PATH_INFO", "ORIG_SCRIPT_NAME",
	/* the FILTER role (FastCGI 1.0, 6.4) */
	"FCGI_DATA_LENGTH", "FCGI_DATA_LAST_MOD",
	/* HTTP_* of common request headers (RFC 3875, 4.1.18) */
	"HTTP_ACCEPT", "HTTP_ACCEPT_ENCODING", "HTTP_ACCEPT_LANGUAGE",
	"HTTP_AUTHORIZATION", "HTTP_CACHE_CONTROL", "HTTP_CONNECTION",
	"HTTP_COOKIE", "HTTP_HOST", "HTTP_IF_MODIFIED_SINCE",
	"HTTP_IF_NONE_MATCH", "HTTP_ORIGIN", "HTTP_RANGE", "HTTP_REFERER",
	"HTTP_UPGRADE", "HTTP_USER_AGENT", "HTTP_X_FORWARDED_FOR",
	"HTTP_X_FORWARDED_PROTO", "HTTP_X_REAL_IP", "HTTP_X_REQUESTED_WITH",
	NULL
};

const char *const sh_header_names[] = { "Accept:",
					"Accept-Encoding:",
					"Accept-Language:",
					"Authorization:",
					"Cache-Control:",
					"Connection:",
					"Content-Type:",
					"Cookie:",
					"Host:",
					"If-Modified-Since:",
					"If-None-Match:",
					"Origin:",
					"Range:",
					"Referer:",
					"Upgrade:",
					"User-Agent:",
					"X-Forwarded-For:",
					"X-Forwarded-Proto:",
					"X-Real-IP:",
					"X-Requested-With:",
					NULL };

/* ---- helpers ------------------------------------------------------------ */

static void *xmalloc(size_t n)
{
	void *p = malloc(n != 0 ? n : 1);

	if (p == NULL)
		die(EXIT_IO, "out of memory");
	return p;
}

static void bput(struct fcgi_buf *b, const void *p, size_t n)
{
	if (fcgi_buf_append(b, p, n) != 0)
		die(EXIT_IO, "out of memory");
}

static void bputs(struct fcgi_buf *b, const char *s)
{
	bput(b, s, strlen(s));
}

/* Bytes for a message: escaped, cut to fit. */
static const char *shown(char *out, size_t n, const void *p, size_t len)
{
	fcgi_escape(out, n, p, len);
	return out;
}

static int nargs(struct shell *sh, const struct sh_words *w, size_t min,
		 size_t max)
{
	const struct sh_cmd *c = sh_cmd_find(w->v[0].s);

	if (w->n - 1 >= min && w->n - 1 <= max)
		return 0;
	sh_err(sh, "%s: %s; usage: %s %s", w->v[0].s,
	       w->n - 1 < min ? "missing argument" : "too many arguments",
	       c->name, c->args);
	return -1;
}

/* on or off into *v; 0 or -1 after saying why. */
static int onoff(struct shell *sh, const struct sh_words *w, int *v)
{
	if (nargs(sh, w, 1, 1) != 0)
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

/* A word that must be plain text (no NUL). */
static int text(struct shell *sh, const struct sh_words *w, size_t i)
{
	if (memchr(w->v[i].s, '\0', w->v[i].len) == NULL)
		return 0;
	sh_err(sh, "%s: a NUL byte cannot go there", w->v[0].s);
	return -1;
}

/* HTTP_NAME for a header name: upper case, '-' as '_' (RFC 3875,
 * 4.1.18); into out (n >= len + 6). */
static void header_param(char *out, const char *name, size_t len)
{
	size_t i;

	memcpy(out, "HTTP_", 5);
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		else if (c == '-')
			c = '_';
		out[5 + i] = c;
	}
	out[5 + len] = '\0';
}

/* Whether a "Name: value" header becomes a secret param. */
static int secret_header(const struct shell *sh, const char *h, size_t len)
{
	const char *colon = memchr(h, ':', len);
	char name[300];
	size_t n;

	if (colon == NULL)
		return 0;
	n = (size_t)(colon - h);
	if (n + 6 > sizeof(name))
		return 0;
	header_param(name, h, n);
	return sh_is_secret(sh, name, n + 5);
}

/* ---- the request: set, unset, header, ... ------------------------------- */

static int c_set(struct shell *sh, const struct sh_words *w)
{
	if (nargs(sh, w, 2, 2) != 0)
		return -1;
	if (w->v[1].len == 0) {
		sh_err(sh, "set: empty name");
		return -1;
	}
	sh_req_set(&sh->req, w->v[1].s, w->v[1].len, w->v[2].s, w->v[2].len, 0);
	return 0;
}

static int c_unset(struct shell *sh, const struct sh_words *w)
{
	if (nargs(sh, w, 1, 1) != 0)
		return -1;
	if (w->v[1].len == 0) {
		sh_err(sh, "unset: empty name");
		return -1;
	}
	sh_req_set(&sh->req, w->v[1].s, w->v[1].len, NULL, 0, 1);
	return 0;
}

/* The words from i on, joined by single spaces (malloc'd). */
static char *join(const struct sh_words *w, size_t i)
{
	struct fcgi_buf b;
	size_t k;

	fcgi_buf_init(&b, NULL, 0);
	for (k = i; k < w->n; k++) {
		if (k > i)
			bput(&b, " ", 1);
		bput(&b, w->v[k].s, w->v[k].len);
	}
	bput(&b, "", 1);
	return (char *)b.data;
}

static int c_header(struct shell *sh, const struct sh_words *w)
{
	char *h;
	size_t i;

	if (nargs(sh, w, 1, SIZE_MAX) != 0)
		return -1;
	for (i = 1; i < w->n; i++)
		if (text(sh, w, i) != 0)
			return -1;
	h = join(w, 1);
	if (strchr(h, ':') == NULL || h[0] == ':') {
		sh_err(sh, "header: expected 'Name: value', not '%s'", h);
		free(h);
		return -1;
	}
	sh_req_header(&sh->req, h);
	free(h);
	return 0;
}

static int c_method(struct shell *sh, const struct sh_words *w)
{
	if (nargs(sh, w, 0, 1) != 0)
		return -1;
	free(sh->req.method);
	sh->req.method = NULL;
	if (w->n == 1)
		return 0;
	if (w->v[1].len == 0 || text(sh, w, 1) != 0) {
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

static int c_uri(struct shell *sh, const struct sh_words *w)
{
	if (nargs(sh, w, 1, 1) != 0 || text(sh, w, 1) != 0)
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
	bputs(&cmd, editor);
	bputs(&cmd, " ");
	if (sh_quote_posix(&cmd, path, strlen(path)) != 0)
		die(EXIT_IO, "out of memory");
	bput(&cmd, "", 1);
	fflush(sh->out);
	st = system((const char *)cmd.data);
	fcgi_buf_free(&cmd);
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

static int c_body(struct shell *sh, const struct sh_words *w)
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
		if (a->len == 1 || text(sh, w, 1) != 0) {
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
	t = join(w, 1);
	sh_req_body_text(&sh->req, t, strlen(t));
	free(t);
	return 0;
}

static int c_data(struct shell *sh, const struct sh_words *w)
{
	char *p;

	if (nargs(sh, w, 0, 1) != 0)
		return -1;
	free(sh->req.data_file);
	sh->req.data_file = NULL;
	if (w->n == 1)
		return 0;
	if (w->v[1].lit || w->v[1].s[0] != '@' || w->v[1].len < 2 ||
	    text(sh, w, 1) != 0) {
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

static int c_role(struct shell *sh, const struct sh_words *w)
{
	int role;

	if (nargs(sh, w, 1, 1) != 0)
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

static int c_keep_conn(struct shell *sh, const struct sh_words *w)
{
	return onoff(sh, w, &sh->req.keep_conn);
}

static int c_defaults(struct shell *sh, const struct sh_words *w)
{
	int on;

	if (onoff(sh, w, &on) != 0)
		return -1;
	sh->req.no_default_params = !on;
	return 0;
}

static int c_env(struct shell *sh, const struct sh_words *w)
{
	return onoff(sh, w, &sh->req.env);
}

static int c_root(struct shell *sh, const struct sh_words *w)
{
	char *p = NULL;

	if (nargs(sh, w, 0, 1) != 0 || (w->n == 2 && text(sh, w, 1) != 0))
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

static int c_timeout(struct shell *sh, const struct sh_words *w)
{
	uint64_t ms, *which = &sh->req.max_time_ms;
	const char *arg;

	if (nargs(sh, w, 1, 2) != 0)
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

static int c_reset(struct shell *sh, const struct sh_words *w)
{
	if (nargs(sh, w, 0, 0) != 0)
		return -1;
	sh_req_free(&sh->req);
	sh_req_init(&sh->req);
	return 0;
}

static int c_preset(struct shell *sh, const struct sh_words *w)
{
	const char *p;

	if (nargs(sh, w, 1, 1) != 0)
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
	sh_req_free(&sh->req);
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
	char *n = xmalloc(nv->name_len * 4 + 1);
	char *v = xmalloc(nv->value_len * 4 + 1);

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

static int c_params(struct shell *sh, const struct sh_words *w)
{
	if (nargs(sh, w, 0, 0) != 0)
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

static int c_show(struct shell *sh, const struct sh_words *w)
{
	const struct sh_req *r = &sh->req;
	char buf[300];
	size_t i;

	if (nargs(sh, w, 0, 0) != 0)
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
		if (secret_header(sh, r->headers[i], strlen(r->headers[i])))
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

static int c_show_cmd(struct shell *sh, const struct sh_words *w)
{
	struct fcgi_buf b;

	if (nargs(sh, w, 0, 0) != 0)
		return -1;
	fcgi_buf_init(&b, NULL, 0);
	sh_req_cmdline(&sh->req, sh->address, &b);
	fprintf(sh->out, "%.*s\n", (int)b.len, (const char *)b.data);
	fcgi_buf_free(&b);
	return 0;
}

/* ---- scripts ---------------------------------------------------------- */

static int secret_pair(const struct shell *sh, const struct sh_word *x);

/* Append w as a line that sh_split() reads back with the same meaning;
 * with mask, raw -n pairs of secret params show *** as their value. */
static void words_line(struct fcgi_buf *b, const struct sh_words *w,
		       const struct shell *mask)
{
	const struct sh_word *x;
	size_t i;
	char *eq;

	for (i = 0; i < w->n; i++) {
		x = &w->v[i];
		if (i > 0)
			bput(b, " ", 1);
		if (mask != NULL && i >= 1 && secret_pair(mask, x)) {
			/* raw -n NAME=VALUE */
			eq = memchr(x->s, '=', x->len);
			if (sh_quote(b, x->s, (size_t)(eq - x->s)) != 0)
				die(EXIT_IO, "out of memory");
			bputs(b, "=***");
			continue;
		}
		if (!x->lit && x->len > 1 && x->s[0] == '@') {
			bput(b, "@", 1);
			if (sh_quote(b, x->s + 1, x->len - 1) != 0)
				die(EXIT_IO, "out of memory");
		} else if (!x->lit && x->len > 1 && x->s[0] == '-' &&
			   sh_printable(x->s, x->len) &&
			   strpbrk(x->s, " \"'\\#") == NULL) {
			bput(b, x->s, x->len);
		} else if (sh_quote(b, x->s, x->len) != 0) {
			die(EXIT_IO, "out of memory");
		}
	}
	bput(b, "\n", 1);
}

void sh_journal(struct shell *sh, const struct sh_words *w,
		const struct sh_req *state)
{
	struct fcgi_buf s;

	if (state != NULL) {
		fcgi_buf_init(&s, NULL, 0);
		sh_req_script(state, &s);
		if (s.len != sh->jstate.len ||
		    memcmp(s.data, sh->jstate.data, s.len) != 0) {
			bput(&sh->journal, s.data, s.len);
			fcgi_buf_reset(&sh->jstate);
			bput(&sh->jstate, s.data, s.len);
		}
		fcgi_buf_free(&s);
	}
	if (w != NULL)
		words_line(&sh->journal, w, NULL);
}

void sh_journal_str(struct shell *sh, const char *line)
{
	bput(&sh->journal, line, strlen(line));
	bput(&sh->journal, "\n", 1);
}

static int c_save(struct shell *sh, const struct sh_words *w)
{
	struct fcgi_buf tail;
	FILE *f;
	int fd;

	if (nargs(sh, w, 1, 1) != 0 || text(sh, w, 1) != 0)
		return -1;
	/* It may hold secrets: only the user reads it. */
	fd = open(w->v[1].s, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		sh_err(sh, "save: cannot write '%s': %s", w->v[1].s,
		       strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fprintf(f, "# fcgitool shell session; replay with: "
		   "fcgitool shell ADDRESS < FILE\n");
	fwrite(sh->journal.data, 1, sh->journal.len, f);
	/* The request being built, when it differs from the last sent. */
	fcgi_buf_init(&tail, NULL, 0);
	sh_req_script(&sh->req, &tail);
	if (tail.len != sh->jstate.len ||
	    memcmp(tail.data, sh->jstate.data, tail.len) != 0)
		fwrite(tail.data, 1, tail.len, f);
	fcgi_buf_free(&tail);
	if (fclose(f) != 0) {
		sh_err(sh, "save: cannot write '%s': %s", w->v[1].s,
		       strerror(errno));
		return -1;
	}
	return 0;
}

int sh_run_file(struct shell *sh, FILE *f, const char *name)
{
	const char *where = sh->where;
	unsigned long lineno = sh->lineno;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;

	sh->where = name;
	sh->lineno = 0;
	while (!sh->quit && (n = getline(&line, &cap, f)) >= 0) {
		sh->lineno++;
		if (memchr(line, '\0', (size_t)n) != NULL) {
			sh_err(sh, "a NUL byte in the line");
			rc = -1;
			break;
		}
		rc = sh_exec(sh, line);
		fflush(sh->out);
		if (rc != 0 || sh->interrupted)
			break;
	}
	free(line);
	sh->where = where;
	sh->lineno = lineno;
	return rc;
}

static int c_source(struct shell *sh, const struct sh_words *w)
{
	FILE *f;
	int rc;

	if (nargs(sh, w, 1, 1) != 0 || text(sh, w, 1) != 0)
		return -1;
	if (sh->depth >= SOURCE_DEPTH) {
		sh_err(sh, "source: '%s': nested more than %d deep", w->v[1].s,
		       SOURCE_DEPTH);
		return -1;
	}
	f = fopen(w->v[1].s, "r");
	if (f == NULL) {
		sh_err(sh, "source: cannot read '%s': %s", w->v[1].s,
		       strerror(errno));
		return -1;
	}
	sh->depth++;
	rc = sh_run_file(sh, f, w->v[1].s);
	sh->depth--;
	fclose(f);
	return rc;
}

/* ---- connections ------------------------------------------------------ */

static int c_connect(struct shell *sh, const struct sh_words *w)
{
	if (nargs(sh, w, 0, 1) != 0)
		return -1;
	if (w->n == 2 &&
	    (text(sh, w, 1) != 0 || sh_set_address(sh, w->v[1].s) != 0))
		return -1;
	if (w->n == 1)
		sh_raw_close(sh, 1);
	sh_journal(sh, w, NULL);
	/* A failure is said and sets the status; the script goes on. */
	sh_raw_open(sh);
	return 0;
}

static int c_close(struct shell *sh, const struct sh_words *w)
{
	if (nargs(sh, w, 0, 0) != 0)
		return -1;
	if (sh->nopen == 0 && !sh_raw_is_open(sh))
		fprintf(sh->out, "no connection is open\n");
	sh_client_close(sh);
	sh_raw_close(sh, 0);
	sh_journal(sh, w, NULL);
	return 0;
}

/* ---- help, quit -------------------------------------------------------- */

static int c_help(struct shell *sh, const struct sh_words *w)
{
	const struct sh_cmd *c;

	if (nargs(sh, w, 0, 1) != 0)
		return -1;
	if (w->n == 2) {
		c = sh_cmd_find(w->v[1].s);
		if (c == NULL) {
			sh_err(sh, "help: unknown command '%s'", w->v[1].s);
			return -1;
		}
		fprintf(sh->out, "%s %s\n    %s\n", c->name, c->args,
			c->summary);
		return 0;
	}
	for (c = sh_cmds; c->name != NULL; c++)
		fprintf(sh->out, "  %-10s %-28s %s\n", c->name, c->args,
			c->summary);
	fprintf(sh->out, "See fcgitool-shell(1).\n");
	return 0;
}

static int c_quit(struct shell *sh, const struct sh_words *w)
{
	if (nargs(sh, w, 0, 0) != 0)
		return -1;
	sh->quit = 1;
	return 0;
}

/* ---- the table ------------------------------------------------------------ */

#define C(n, a, s, f, o, c1, c2, c3)                             \
	{                                                        \
		n, a, s, f, o,                                   \
		{                                                \
			SH_COMP_##c1, SH_COMP_##c2, SH_COMP_##c3 \
		}                                                \
	}

const struct sh_cmd sh_cmds[] = {
	C("show", "", "the request being built and the params it sends", c_show,
	  "", NONE, NONE, NONE),
	C("params", "", "the params the request sends", c_params, "", NONE,
	  NONE, NONE),
	C("set", "NAME VALUE", "send param NAME with VALUE", c_set, "", PARAM,
	  NONE, NONE),
	C("unset", "NAME", "do not send param NAME", c_unset, "", PARAM, NONE,
	  NONE),
	C("header", "NAME: VALUE",
	  "send an HTTP header as HTTP_NAME; 'NAME:' alone removes it",
	  c_header, "", HEADER, NONE, NONE),
	C("method", "[METHOD]",
	  "REQUEST_METHOD (default GET, POST with a body)", c_method, "",
	  METHOD, NONE, NONE),
	C("uri", "URI", "the URI, and the params made from it", c_uri, "", NONE,
	  NONE, NONE),
	C("body", "[TEXT | @FILE | edit]",
	  "the request body (STDIN); nothing: none", c_body, "", BODY, NONE,
	  NONE),
	C("data", "[@FILE]", "the DATA stream of the filter role", c_data, "",
	  FILE, NONE, NONE),
	C("role", "ROLE", "responder, authorizer or filter", c_role, "", ROLE,
	  NONE, NONE),
	C("keep-conn", "on|off", "keep the connection between requests",
	  c_keep_conn, "", ONOFF, NONE, NONE),
	C("defaults", "on|off", "send the default (nginx) params", c_defaults,
	  "", ONOFF, NONE, NONE),
	C("env", "on|off", "send the environment as params", c_env, "", ONOFF,
	  NONE, NONE),
	C("root", "[DIR]", "the document root of SCRIPT_FILENAME", c_root, "",
	  FILE, NONE, NONE),
	C("timeout", "[total|connect|idle] SECONDS",
	  "give up after this long (0: never)", c_timeout, "", TIMEOUT, NONE,
	  NONE),
	C("preset", "nginx|php-fpm-status|php-fpm-ping",
	  "start again from a ready-made request", c_preset, "", PRESET, NONE,
	  NONE),
	C("reset", "", "start again from the default request", c_reset, "",
	  NONE, NONE, NONE),
	C("send", "[-v]", "send the request and show the answer", sh_cmd_send,
	  "", NONE, NONE, NONE),
	C("again", "[-v]", "send the last request sent again", sh_cmd_again, "",
	  NONE, NONE, NONE),
	C("repeat", "[-v] N", "send the request N times, a line each",
	  sh_cmd_repeat, "", NONE, NONE, NONE),
	C("watch", "SECONDS [COUNT]",
	  "send every SECONDS until ^C, showing what changed", sh_cmd_watch, "",
	  NONE, NONE, NONE),
	C("get-values", "[NAME ...]", "ask the server's FCGI_* values",
	  sh_cmd_get_values, "", VALUES, VALUES, VALUES),
	C("abort", "[ID]", "abort a request open on the raw connection",
	  sh_cmd_abort, "", NONE, NONE, NONE),
	C("connect", "[ADDRESS]",
	  "change the target and open the raw connection", c_connect, "", NONE,
	  NONE, NONE),
	C("close", "", "close every connection", c_close, "", NONE, NONE, NONE),
	C("raw", "[-nx] [-L LEN] [-P PAD] [-R RES] [-V VER] TYPE ID [CONTENT]",
	  "write one record, as crafted as you like", sh_cmd_raw, "LPRV", TYPE,
	  NONE, PARAM_EQ),
	C("bytes", "[-x] CONTENT", "write bytes as they are", sh_cmd_bytes, "",
	  NONE, NONE, NONE),
	C("split", "N [MS] | off", "write what follows N bytes at a time",
	  sh_cmd_split, "", NONE, NONE, NONE),
	C("read", "[SECONDS]",
	  "show what the server sends on the raw "
	  "connection",
	  sh_cmd_read, "", NONE, NONE, NONE),
	C("save", "FILE", "write the session as a script", c_save, "", FILE,
	  NONE, NONE),
	C("source", "FILE", "run the commands of a file", c_source, "", FILE,
	  NONE, NONE),
	C("show-cmd", "", "the fcgitool request command that sends it",
	  c_show_cmd, "", NONE, NONE, NONE),
	C("help", "[COMMAND]", "the commands, or one", c_help, "", CMD, NONE,
	  NONE),
	C("quit", "", "leave the shell", c_quit, "", NONE, NONE, NONE),
	{ NULL, NULL, NULL, NULL, NULL, { SH_COMP_NONE } },
};

const struct sh_cmd *sh_cmd_find(const char *name)
{
	const struct sh_cmd *c;

	if (strcmp(name, "exit") == 0)
		name = "quit";
	for (c = sh_cmds; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

int sh_exec(struct shell *sh, const char *line)
{
	const struct sh_cmd *c;
	struct sh_words w;
	char err[128], name[64];
	int rc;

	if (sh_split(line, strlen(line), &w, err, sizeof(err)) != 0) {
		sh_err(sh, "%s", err);
		return -1;
	}
	if (w.n == 0) {
		sh_words_free(&w);
		return 0;
	}
	c = w.v[0].lit ? NULL : sh_cmd_find(w.v[0].s);
	if (c == NULL) {
		sh_err(sh, "unknown command '%s' (try help)",
		       shown(name, sizeof(name), w.v[0].s, w.v[0].len));
		sh_words_free(&w);
		return -1;
	}
	sh->busy = 1;
	sh->interrupted = 0;
	rc = c->fn(sh, &w);
	sh->busy = 0;
	sh_words_free(&w);
	return rc;
}

/* ---- history -------------------------------------------------------------- */

/* Whether s[0..len) holds needle, in any case. */
static int has_casestr(const char *s, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; n <= len && i <= len - n; i++)
		if (strncasecmp(s + i, needle, n) == 0 &&
		    memchr(s + i, '\0', n) == NULL)
			return 1;
	return 0;
}

/* Whether s[0..len) names a secret, in any case, as a param
 * (HTTP_COOKIE) or as a header (Cookie). */
static int mentions_secret(const struct shell *sh, const char *s, size_t len)
{
	char h[300];
	size_t i, k, n;

	for (i = 0; sh->redact[i] != NULL; i++) {
		n = strlen(sh->redact[i]);
		if (has_casestr(s, len, sh->redact[i]))
			return 1;
		if (n > 5 && n < sizeof(h) &&
		    strncmp(sh->redact[i], "HTTP_", 5) == 0) {
			for (k = 5; k <= n; k++)
				h[k - 5] = sh->redact[i][k] == '_'
						   ? '-'
						   : sh->redact[i][k];
			if (has_casestr(s, len, h))
				return 1;
		}
	}
	return 0;
}

/* raw -n NAME=VALUE with a secret NAME. */
static int secret_pair(const struct shell *sh, const struct sh_word *x)
{
	const char *eq = memchr(x->s, '=', x->len);

	return eq != NULL && sh_is_secret(sh, x->s, (size_t)(eq - x->s));
}

static char *finish(struct fcgi_buf *b)
{
	b->data[b->len - 1] = '\0';
	return (char *)b->data;
}

char *sh_history_line(const struct shell *sh, const char *line)
{
	struct sh_words w;
	struct fcgi_buf b;
	const char *cmd;
	char err[64], *h, *out = NULL;
	size_t i;
	int secret;

	if (sh_split(line, strlen(line), &w, err, sizeof(err)) != 0)
		return mentions_secret(sh, line, strlen(line)) ? NULL
							       : strdup(line);
	secret = mentions_secret(sh, line, strlen(line));
	for (i = 0; i < w.n; i++)
		secret |= mentions_secret(sh, w.v[i].s, w.v[i].len);
	if (!secret) {
		sh_words_free(&w);
		return strdup(line);
	}
	fcgi_buf_init(&b, NULL, 0);
	cmd = w.v[0].s;
	if (strcmp(cmd, "unset") == 0 || strcmp(cmd, "get-values") == 0) {
		/* Names only, no value to hide. */
		out = strdup(line);
	} else if (strcmp(cmd, "set") == 0 && w.n == 3 &&
		   sh_is_secret(sh, w.v[1].s, w.v[1].len) &&
		   !mentions_secret(sh, w.v[2].s, w.v[2].len)) {
		bputs(&b, "set ");
		if (sh_quote(&b, w.v[1].s, w.v[1].len) != 0)
			die(EXIT_IO, "out of memory");
		bputs(&b, " ***\n");
		out = finish(&b);
	} else if (strcmp(cmd, "header") == 0 && w.n >= 2) {
		h = join(&w, 1);
		if (strchr(h, ':') != NULL && secret_header(sh, h, strlen(h)) &&
		    !mentions_secret(sh, strchr(h, ':'),
				     strlen(strchr(h, ':')))) {
			bputs(&b, "header ");
			if (sh_quote(&b, h, (size_t)(strchr(h, ':') - h + 1)) !=
			    0)
				die(EXIT_IO, "out of memory");
			bputs(&b, " ***\n");
			out = finish(&b);
		}
		free(h);
	} else if (strcmp(cmd, "raw") == 0) {
		/* Pairs with a secret name are masked; anything else that
		 * names a secret keeps the line out. */
		for (i = 1; i < w.n; i++)
			if (!secret_pair(sh, &w.v[i]) &&
			    mentions_secret(sh, w.v[i].s, w.v[i].len))
				break;
		if (i == w.n) {
			words_line(&b, &w, sh);
			out = finish(&b);
		}
	}
	sh_words_free(&w);
	if (out == NULL)
		fcgi_buf_free(&b);
	return out;
}
