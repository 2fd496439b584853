/* SPDX-License-Identifier: MIT */
/*
 * shell-cmds.c - fcgitool shell: the command table and how a line is
 * run, the names completion offers, scripts (save, source), connect,
 * close, help and quit.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* ---- helpers the shell's files share -------------------------------- */

void *sh_xmalloc(size_t n)
{
	void *p = malloc(n != 0 ? n : 1);

	if (p == NULL)
		die(EXIT_IO, "out of memory");
	return p;
}

void sh_bput(struct fcgi_buf *b, const void *p, size_t n)
{
	if (fcgi_buf_append(b, p, n) != 0)
		die(EXIT_IO, "out of memory");
}

void sh_bputs(struct fcgi_buf *b, const char *s)
{
	sh_bput(b, s, strlen(s));
}

/* Bytes for a message: escaped, cut to fit. */
static const char *shown(char *out, size_t n, const void *p, size_t len)
{
	fcgi_escape(out, n, p, len);
	return out;
}

/* A word that must be plain text (no NUL). */
int sh_text(struct shell *sh, const struct sh_words *w, size_t i)
{
	if (memchr(w->v[i].s, '\0', w->v[i].len) == NULL)
		return 0;
	sh_err(sh, "%s: a NUL byte cannot go there", w->v[0].s);
	return -1;
}

int sh_nargs(struct shell *sh, const struct sh_words *w, size_t min, size_t max)
{
	const struct sh_cmd *c = sh_cmd_find(w->v[0].s);

	if (w->n - 1 >= min && w->n - 1 <= max)
		return 0;
	sh_err(sh, "%s: %s; usage: %s %s", w->v[0].s,
	       w->n - 1 < min ? "missing argument" : "too many arguments",
	       c->name, c->args);
	return -1;
}

/* ---- scripts ---------------------------------------------------------- */

void sh_journal(struct shell *sh, const struct sh_words *w,
		const struct sh_req *state)
{
	struct fcgi_buf s;

	if (state != NULL) {
		fcgi_buf_init(&s, NULL, 0);
		sh_req_script(state, &s);
		if (s.len != sh->jstate.len ||
		    memcmp(s.data, sh->jstate.data, s.len) != 0) {
			sh_bput(&sh->journal, s.data, s.len);
			fcgi_buf_reset(&sh->jstate);
			sh_bput(&sh->jstate, s.data, s.len);
		}
		fcgi_buf_fini(&s);
	}
	if (w != NULL)
		sh_words_line(&sh->journal, w, NULL);
}

void sh_journal_str(struct shell *sh, const char *line)
{
	sh_bput(&sh->journal, line, strlen(line));
	sh_bput(&sh->journal, "\n", 1);
}

static int c_save(struct shell *sh, const struct sh_words *w)
{
	struct fcgi_buf tail;
	FILE *f;
	int fd;

	if (sh_nargs(sh, w, 1, 1) != 0 || sh_text(sh, w, 1) != 0)
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
	fcgi_buf_fini(&tail);
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

	if (sh_nargs(sh, w, 1, 1) != 0 || sh_text(sh, w, 1) != 0)
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
	if (sh_nargs(sh, w, 0, 1) != 0)
		return -1;
	if (w->n == 2 &&
	    (sh_text(sh, w, 1) != 0 || sh_set_address(sh, w->v[1].s) != 0))
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
	if (sh_nargs(sh, w, 0, 0) != 0)
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

	if (sh_nargs(sh, w, 0, 1) != 0)
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
	if (sh_nargs(sh, w, 0, 0) != 0)
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
	C("show", "", "the request being built and the params it sends",
	  sh_cmd_show, "", NONE, NONE, NONE),
	C("params", "", "the params the request sends", sh_cmd_params, "", NONE,
	  NONE, NONE),
	C("set", "NAME VALUE", "send param NAME with VALUE", sh_cmd_set, "",
	  PARAM, NONE, NONE),
	C("unset", "NAME", "do not send param NAME", sh_cmd_unset, "", PARAM,
	  NONE, NONE),
	C("header", "NAME: VALUE",
	  "send an HTTP header as HTTP_NAME; 'NAME:' alone removes it",
	  sh_cmd_header, "", HEADER, NONE, NONE),
	C("method", "[METHOD]",
	  "REQUEST_METHOD (default GET, POST with a body)", sh_cmd_method, "",
	  METHOD, NONE, NONE),
	C("uri", "URI", "the URI, and the params made from it", sh_cmd_uri, "",
	  NONE, NONE, NONE),
	C("body", "[TEXT | @FILE | edit]",
	  "the request body (STDIN); nothing: none", sh_cmd_body, "", BODY,
	  NONE, NONE),
	C("data", "[@FILE]", "the DATA stream of the filter role", sh_cmd_data,
	  "", FILE, NONE, NONE),
	C("role", "ROLE", "responder, authorizer or filter", sh_cmd_role, "",
	  ROLE, NONE, NONE),
	C("keep-conn", "on|off", "keep the connection between requests",
	  sh_cmd_keep_conn, "", ONOFF, NONE, NONE),
	C("defaults", "on|off", "send the default (nginx) params",
	  sh_cmd_defaults, "", ONOFF, NONE, NONE),
	C("env", "on|off", "send the environment as params", sh_cmd_env, "",
	  ONOFF, NONE, NONE),
	C("root", "[DIR]", "the document root of SCRIPT_FILENAME", sh_cmd_root,
	  "", FILE, NONE, NONE),
	C("timeout", "[total|connect|idle] SECONDS",
	  "give up after this long (0: never)", sh_cmd_timeout, "", TIMEOUT,
	  NONE, NONE),
	C("preset", "nginx|php-fpm-status|php-fpm-ping",
	  "start again from a ready-made request", sh_cmd_preset, "", PRESET,
	  NONE, NONE),
	C("reset", "", "start again from the default request", sh_cmd_reset, "",
	  NONE, NONE, NONE),
	C("send", "[-bv]", "send the request and show the answer", sh_cmd_send,
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
	C("wait", "[SECONDS]", "wait for the request sent with send -b",
	  sh_cmd_wait, "", NONE, NONE, NONE),
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
	  sh_cmd_show_cmd, "", NONE, NONE, NONE),
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
	sh_bg_reap(sh);
	rc = c->fn(sh, &w);
	sh->busy = 0;
	sh_words_free(&w);
	return rc;
}
