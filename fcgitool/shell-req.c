/* SPDX-License-Identifier: MIT */
/*
 * shell-req.c - fcgitool shell: the request being built, made ready to
 * send with fcgitool request's own param code (request-params.c), and
 * written back as shell commands (save) or as a request command line
 * (show-cmd).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "shell.h"
#include "util.h"

static void *xmalloc(size_t n)
{
	void *p = malloc(n != 0 ? n : 1);

	if (p == NULL)
		die(EXIT_IO, "out of memory");
	return p;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n != 0 ? n : 1);
	if (p == NULL)
		die(EXIT_IO, "out of memory");
	return p;
}

void sh_req_init(struct sh_req *r)
{
	memset(r, 0, sizeof(*r));
	r->uri = xstrdup("/");
	r->role = FCGI_RESPONDER;
}

void sh_req_fini(struct sh_req *r)
{
	size_t i;

	free(r->uri);
	free(r->method);
	for (i = 0; i < r->nheaders; i++)
		free(r->headers[i]);
	free(r->headers);
	for (i = 0; i < r->nparams; i++)
		free(r->params[i].name);
	free(r->params);
	free(r->body);
	free(r->body_file);
	free(r->data_file);
	free(r->root);
	memset(r, 0, sizeof(*r));
}

static char *dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* One param entry: name and value in one block, both NUL-terminated. */
static void param_fill(struct request_param *p, const char *name, size_t nlen,
		       const char *value, size_t vlen, int del)
{
	p->name = xmalloc(nlen + vlen + 2);
	memcpy(p->name, name, nlen);
	p->name[nlen] = '\0';
	p->name_len = nlen;
	p->del = del;
	p->value = NULL;
	p->value_len = 0;
	if (!del) {
		p->value = p->name + nlen + 1;
		memcpy(p->value, value, vlen);
		p->value[vlen] = '\0';
		p->value_len = vlen;
	}
}

int sh_req_copy(struct sh_req *dst, const struct sh_req *src)
{
	size_t i;

	*dst = *src;
	dst->uri = xstrdup(src->uri);
	dst->method = dup_or_null(src->method);
	dst->body_file = dup_or_null(src->body_file);
	dst->data_file = dup_or_null(src->data_file);
	dst->root = dup_or_null(src->root);
	dst->body = NULL;
	if (src->body_kind == SH_BODY_TEXT)
		dst->body = memcpy(xmalloc(src->body_len), src->body,
				   src->body_len);
	dst->headers = xmalloc(src->nheaders * sizeof(*dst->headers));
	for (i = 0; i < src->nheaders; i++)
		dst->headers[i] = xstrdup(src->headers[i]);
	dst->params = xmalloc(src->nparams * sizeof(*dst->params));
	for (i = 0; i < src->nparams; i++)
		param_fill(&dst->params[i], src->params[i].name,
			   src->params[i].name_len, src->params[i].value,
			   src->params[i].value_len, src->params[i].del);
	return 0;
}

void sh_req_from_opts(struct sh_req *r, const struct request_opts *o)
{
	size_t i;

	sh_req_init(r);
	if (o->uri != NULL) {
		free(r->uri);
		r->uri = xstrdup(o->uri);
	}
	r->method = dup_or_null(o->method);
	for (i = 0; i < o->nheaders; i++)
		sh_req_header(r, o->headers[i]);
	for (i = 0; i < o->nparams; i++)
		sh_req_set(r, o->params[i].name, o->params[i].name_len,
			   o->params[i].value, o->params[i].value_len,
			   o->params[i].del);
	if (o->data != NULL && o->data[0] == '@')
		sh_req_body_file(r, o->data + 1);
	else if (o->data != NULL)
		sh_req_body_text(r, o->data, strlen(o->data));
	r->data_file = dup_or_null(o->data_file);
	r->root = dup_or_null(o->root);
	r->role = o->role != 0 ? o->role : FCGI_RESPONDER;
	r->keep_conn = o->keep_conn;
	r->env = o->env;
	r->no_default_params = o->no_default_params;
	r->max_time_ms = o->max_time_ms;
	r->connect_timeout_ms = o->connect_timeout_ms;
	r->idle_timeout_ms = o->idle_timeout_ms;
}

void sh_req_set(struct sh_req *r, const char *name, size_t nlen,
		const char *value, size_t vlen, int del)
{
	size_t i, o = 0;

	/* Only the last word on a name counts: drop the earlier ones. */
	for (i = 0; i < r->nparams; i++) {
		if (r->params[i].name_len == nlen &&
		    memcmp(r->params[i].name, name, nlen) == 0) {
			free(r->params[i].name);
			continue;
		}
		r->params[o++] = r->params[i];
	}
	r->nparams = o;
	r->params = xrealloc(r->params, (o + 1) * sizeof(*r->params));
	param_fill(&r->params[o], name, nlen, value, vlen, del);
	r->nparams++;
}

void sh_req_header(struct sh_req *r, const char *h)
{
	const char *colon = strchr(h, ':'), *v;
	size_t n = (size_t)(colon - h), i, o = 0;

	for (i = 0; i < r->nheaders; i++) {
		if (strncasecmp(r->headers[i], h, n) == 0 &&
		    r->headers[i][n] == ':') {
			free(r->headers[i]);
			continue;
		}
		r->headers[o++] = r->headers[i];
	}
	r->nheaders = o;
	v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	if (*v == '\0')
		return;
	r->headers = xrealloc(r->headers, (o + 1) * sizeof(*r->headers));
	r->headers[r->nheaders++] = xstrdup(h);
}

void sh_req_body_text(struct sh_req *r, const void *p, size_t len)
{
	free(r->body);
	free(r->body_file);
	r->body_file = NULL;
	r->body = memcpy(xmalloc(len), p, len);
	r->body_len = len;
	r->body_kind = SH_BODY_TEXT;
}

void sh_req_body_file(struct sh_req *r, const char *path)
{
	free(r->body);
	free(r->body_file);
	r->body = NULL;
	r->body_len = 0;
	r->body_file = xstrdup(path);
	r->body_kind = SH_BODY_FILE;
}

int sh_req_build(const struct sh_req *r, const char *address,
		 struct sh_built *b)
{
	struct request_opts *o = &b->o;
	char *arg;
	size_t i;
	int rc;

	memset(b, 0, sizeof(*b));
	b->in.fd = b->data.fd = -1;
	fcgi_params_init(&b->params, NULL);
	b->headers = xmalloc(r->nheaders * sizeof(*b->headers));
	for (i = 0; i < r->nheaders; i++)
		b->headers[i] = r->headers[i];
	o->address = address;
	o->uri = r->uri;
	o->method = r->method;
	o->root = r->root;
	o->headers = b->headers;
	o->nheaders = r->nheaders;
	o->params = r->params;
	o->nparams = r->nparams;
	o->include = 1;
	o->keep_conn = r->keep_conn;
	o->env = r->env;
	o->no_default_params = r->no_default_params;
	o->role = r->role;
	o->role_set = 1;
	o->count = 1;
	o->mpx = 1;
	o->max_time_ms = r->max_time_ms;
	o->connect_timeout_ms = r->connect_timeout_ms;
	o->idle_timeout_ms = r->idle_timeout_ms;
	if (r->body_kind == SH_BODY_TEXT) {
		b->in.present = 1;
		b->in.body.kind = FCGI_BODY_MEM;
		b->in.body.data = r->body;
		b->in.body.len = r->body_len;
		b->in.size = (int64_t)r->body_len;
	} else if (r->body_kind == SH_BODY_FILE) {
		arg = xmalloc(strlen(r->body_file) + 2);
		arg[0] = '@';
		memcpy(arg + 1, r->body_file, strlen(r->body_file) + 1);
		rc = request_body_open(arg, "-d", 1, &b->in);
		free(arg);
		if (rc != 0)
			return rc;
	}
	if (r->data_file != NULL) {
		if (r->role != FCGI_FILTER) {
			warn("a DATA stream needs the filter role");
			return EXIT_USAGE;
		}
		rc = request_body_open(r->data_file, "--data-file", 1,
				       &b->data);
		if (rc != 0)
			return rc;
	}
	return request_params(o, &b->in, &b->data, &b->params);
}

void sh_built_free(struct sh_built *b)
{
	request_body_close(&b->in);
	request_body_close(&b->data);
	fcgi_params_fini(&b->params);
	free(b->headers);
	b->headers = NULL;
}

/* ---- writing the request back ----------------------------------------- */

static void put(struct fcgi_buf *out, const char *s)
{
	if (fcgi_buf_append(out, s, strlen(s)) != 0)
		die(EXIT_IO, "out of memory");
}

static void quote(struct fcgi_buf *out, const void *s, size_t len)
{
	if (sh_quote(out, s, len) != 0)
		die(EXIT_IO, "out of memory");
}

static void pquote(struct fcgi_buf *out, const void *s, size_t len)
{
	if (sh_quote_posix(out, s, len) != 0)
		die(EXIT_IO, "out of memory");
}

/* Milliseconds as seconds, without needless zeros ("1.5"). */
static void seconds(char *out, size_t n, uint64_t ms)
{
	int len;

	len = snprintf(out, n, "%llu.%03llu", (unsigned long long)(ms / 1000),
		       (unsigned long long)(ms % 1000));
	while (len > 0 && out[len - 1] == '0')
		out[--len] = '\0';
	if (len > 0 && out[len - 1] == '.')
		out[--len] = '\0';
}

static const char *role_word(uint16_t role)
{
	switch (role) {
	case FCGI_AUTHORIZER:
		return "authorizer";
	case FCGI_FILTER:
		return "filter";
	default:
		return "responder";
	}
}

void sh_req_script(const struct sh_req *r, struct fcgi_buf *out)
{
	const struct request_param *p;
	char num[32];
	size_t i;

	put(out, "reset\n");
	if (r->role != FCGI_RESPONDER) {
		put(out, "role ");
		put(out, role_word(r->role));
		put(out, "\n");
	}
	if (r->keep_conn)
		put(out, "keep-conn on\n");
	if (r->no_default_params)
		put(out, "defaults off\n");
	if (r->env)
		put(out, "env on\n");
	if (r->root != NULL) {
		put(out, "root ");
		quote(out, r->root, strlen(r->root));
		put(out, "\n");
	}
	if (r->max_time_ms != 0) {
		seconds(num, sizeof(num), r->max_time_ms);
		put(out, "timeout total ");
		put(out, num);
		put(out, "\n");
	}
	if (r->connect_timeout_ms != 0) {
		seconds(num, sizeof(num), r->connect_timeout_ms);
		put(out, "timeout connect ");
		put(out, num);
		put(out, "\n");
	}
	if (r->idle_timeout_ms != 0) {
		seconds(num, sizeof(num), r->idle_timeout_ms);
		put(out, "timeout idle ");
		put(out, num);
		put(out, "\n");
	}
	if (r->method != NULL) {
		put(out, "method ");
		quote(out, r->method, strlen(r->method));
		put(out, "\n");
	}
	if (strcmp(r->uri, "/") != 0) {
		put(out, "uri ");
		quote(out, r->uri, strlen(r->uri));
		put(out, "\n");
	}
	for (i = 0; i < r->nheaders; i++) {
		put(out, "header ");
		quote(out, r->headers[i], strlen(r->headers[i]));
		put(out, "\n");
	}
	for (i = 0; i < r->nparams; i++) {
		p = &r->params[i];
		put(out, p->del ? "unset " : "set ");
		quote(out, p->name, p->name_len);
		if (!p->del) {
			put(out, " ");
			quote(out, p->value, p->value_len);
		}
		put(out, "\n");
	}
	if (r->body_kind == SH_BODY_TEXT) {
		put(out, "body ");
		quote(out, r->body, r->body_len);
		put(out, "\n");
	} else if (r->body_kind == SH_BODY_FILE) {
		put(out, "body @");
		quote(out, r->body_file, strlen(r->body_file));
		put(out, "\n");
	}
	if (r->data_file != NULL) {
		put(out, "data @");
		quote(out, r->data_file, strlen(r->data_file));
		put(out, "\n");
	}
}

/* A body that -d cannot carry (a NUL, a leading '@') goes through a
 * pipe: printf with octal escapes, which every POSIX printf reads. */
static void printf_pipe(struct fcgi_buf *out, const uint8_t *p, size_t len)
{
	char esc[8];
	size_t i;

	put(out, "printf '%b' '");
	for (i = 0; i < len; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\' &&
		    p[i] != '\'' && p[i] != '%') {
			if (fcgi_buf_append_u8(out, p[i]) != 0)
				die(EXIT_IO, "out of memory");
			continue;
		}
		snprintf(esc, sizeof(esc), "\\0%03o", p[i]);
		put(out, esc);
	}
	put(out, "' | ");
}

static void param_arg(struct fcgi_buf *out, const struct request_param *p)
{
	struct fcgi_buf t;

	fcgi_buf_init(&t, NULL, 0);
	if (sh_printable(p->name, p->name_len) &&
	    memchr(p->name, '=', p->name_len) == NULL &&
	    (p->del || sh_printable(p->value, p->value_len))) {
		put(out, " -p ");
		if (fcgi_buf_append(&t, p->name, p->name_len) != 0 ||
		    (!p->del &&
		     (fcgi_buf_append_u8(&t, '=') != 0 ||
		      fcgi_buf_append(&t, p->value, p->value_len) != 0)))
			die(EXIT_IO, "out of memory");
	} else {
		/* -P reads C escapes; '=' in the name is escaped too. */
		put(out, " -P ");
		if (sh_cescape(&t, p->name, p->name_len, 1) != 0 ||
		    (!p->del && (fcgi_buf_append_u8(&t, '=') != 0 ||
				 sh_cescape(&t, p->value, p->value_len, 0))))
			die(EXIT_IO, "out of memory");
	}
	pquote(out, t.data, t.len);
	fcgi_buf_fini(&t);
}

void sh_req_cmdline(const struct sh_req *r, const char *address,
		    struct fcgi_buf *out)
{
	char num[32];
	size_t i;
	int piped = r->body_kind == SH_BODY_TEXT &&
		    (memchr(r->body, '\0', r->body_len) != NULL ||
		     (r->body_len > 0 && r->body[0] == '@'));

	if (piped)
		printf_pipe(out, r->body, r->body_len);
	put(out, "fcgitool request");
	if (r->env)
		put(out, " --env");
	if (r->keep_conn)
		put(out, " --keep-conn");
	if (r->no_default_params)
		put(out, " --no-default-params");
	if (r->body_kind == SH_BODY_TEXT) {
		put(out, " -d ");
		if (piped)
			put(out, "@-");
		else
			pquote(out, r->body, r->body_len);
	} else if (r->body_kind == SH_BODY_FILE) {
		put(out, " -d ");
		if (fcgi_buf_append_u8(out, '@') != 0)
			die(EXIT_IO, "out of memory");
		pquote(out, r->body_file, strlen(r->body_file));
	}
	for (i = 0; i < r->nheaders; i++) {
		put(out, " -H ");
		pquote(out, r->headers[i], strlen(r->headers[i]));
	}
	if (r->max_time_ms != 0) {
		seconds(num, sizeof(num), r->max_time_ms);
		put(out, " -m ");
		put(out, num);
	}
	for (i = 0; i < r->nparams; i++)
		param_arg(out, &r->params[i]);
	if (r->method != NULL) {
		put(out, " -X ");
		pquote(out, r->method, strlen(r->method));
	}
	if (r->connect_timeout_ms != 0) {
		seconds(num, sizeof(num), r->connect_timeout_ms);
		put(out, " --connect-timeout ");
		put(out, num);
	}
	if (r->data_file != NULL) {
		put(out, " --data-file ");
		pquote(out, r->data_file, strlen(r->data_file));
	}
	if (r->idle_timeout_ms != 0) {
		seconds(num, sizeof(num), r->idle_timeout_ms);
		put(out, " --idle-timeout ");
		put(out, num);
	}
	if (r->role != FCGI_RESPONDER && r->data_file == NULL) {
		put(out, " --role ");
		put(out, role_word(r->role));
	}
	if (r->root != NULL) {
		put(out, " --root ");
		pquote(out, r->root, strlen(r->root));
	}
	put(out, " ");
	pquote(out, address, strlen(address));
	put(out, " ");
	pquote(out, r->uri, strlen(r->uri));
}
