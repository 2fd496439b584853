/* SPDX-License-Identifier: MIT */
/*
 * request-params.c - the params a web server would send (after nginx's
 * fastcgi_params), and the request bodies fcgitool request sends.
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

#include "request.h"
#include "util.h"

extern char **environ;

static int set(struct fcgi_params *p, const char *name, const char *value)
{
	if (fcgi_params_set(p, name, strlen(name), value, strlen(value)) != 0)
		die(EXIT_IO, "out of memory");
	return 0;
}

int request_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode s[0..n) into out (NUL-terminated, at most n + 1 bytes);
 * a '%' without two hex digits stays as it is.  Returns the length,
 * which may be less than strlen(out) would say when %00 was decoded. */
static size_t decode(const char *s, size_t n, char *out)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		hi = lo = -1;
		if (s[i] == '%' && n - i > 2) {
			hi = request_hexval((unsigned char)s[i + 1]);
			lo = request_hexval((unsigned char)s[i + 2]);
		}
		if (hi >= 0 && lo >= 0) {
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return o;
}

static void setn(struct fcgi_params *p, const char *name, const char *value,
		 size_t len)
{
	if (fcgi_params_set(p, name, strlen(name), value, len) != 0)
		die(EXIT_IO, "out of memory");
}

/* The value of a -H header named name (case-insensitive), or NULL. */
static const char *header(const struct request_opts *o, const char *name)
{
	size_t i, n = strlen(name);
	const char *v;

	for (i = o->nheaders; i > 0; i--) {
		if (strncasecmp(o->headers[i - 1], name, n) == 0 &&
		    o->headers[i - 1][n] == ':') {
			v = o->headers[i - 1] + n + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			return v;
		}
	}
	return NULL;
}

static void defaults(const struct request_opts *o,
		     const struct request_body *in,
		     const struct request_body *data, struct fcgi_params *p)
{
	char cwd[PATH_MAX], num[32], *path, *file;
	const char *uri = o->uri, *q, *root, *ctype;
	size_t plen, rlen, dlen;

	q = strchr(uri, '?');
	plen = q != NULL ? (size_t)(q - uri) : strlen(uri);
	path = malloc(plen + 1);
	if (path == NULL)
		die(EXIT_IO, "out of memory");
	dlen = decode(uri, plen, path);
	root = o->root;
	if (root == NULL)
		root = getcwd(cwd, sizeof(cwd)) != NULL ? cwd : "/";
	rlen = strlen(root);
	while (rlen > 1 && root[rlen - 1] == '/')
		rlen--;
	if (rlen == 1 && root[0] == '/')
		rlen = 0;
	file = malloc(rlen + dlen + 1);
	if (file == NULL)
		die(EXIT_IO, "out of memory");
	memcpy(file, root, rlen);
	memcpy(file + rlen, path, dlen);
	file[rlen + dlen] = '\0';

	set(p, "QUERY_STRING", q != NULL ? q + 1 : "");
	set(p, "REQUEST_METHOD",
	    o->method != NULL ? o->method
	    : in->present     ? "POST"
			      : "GET");
	ctype = header(o, "Content-Type");
	if (ctype == NULL)
		ctype = in->present ? "application/x-www-form-urlencoded" : "";
	set(p, "CONTENT_TYPE", ctype);
	if (in->present && in->size >= 0)
		snprintf(num, sizeof(num), "%lld", (long long)in->size);
	else
		num[0] = '\0';
	set(p, "CONTENT_LENGTH", num);
	setn(p, "SCRIPT_NAME", path, dlen);
	set(p, "REQUEST_URI", uri);
	setn(p, "DOCUMENT_URI", path, dlen);
	setn(p, "DOCUMENT_ROOT", root, rlen == 0 ? 1 : rlen);
	set(p, "SERVER_PROTOCOL", "HTTP/1.1");
	set(p, "REQUEST_SCHEME", "http");
	set(p, "GATEWAY_INTERFACE", "CGI/1.1");
	set(p, "SERVER_SOFTWARE", "fcgitool");
	set(p, "REMOTE_ADDR", "127.0.0.1");
	set(p, "REMOTE_PORT", "0");
	set(p, "SERVER_ADDR", "127.0.0.1");
	set(p, "SERVER_PORT", "80");
	set(p, "SERVER_NAME", "localhost");
	/* PHP built with --enable-force-cgi-redirect wants it. */
	set(p, "REDIRECT_STATUS", "200");
	setn(p, "SCRIPT_FILENAME", file, rlen + dlen);
	set(p, "HTTP_HOST", "localhost");
	if (data->present) {
		snprintf(num, sizeof(num), "%lld", (long long)data->size);
		set(p, "FCGI_DATA_LENGTH", num);
		snprintf(num, sizeof(num), "%lld", (long long)data->mtime);
		set(p, "FCGI_DATA_LAST_MOD", num);
	}
	free(path);
	free(file);
}

/* "Name: value" as HTTP_NAME (RFC 3875, 4.1.18). */
static void http_header(struct fcgi_params *p, const char *h)
{
	const char *colon = strchr(h, ':'), *v;
	size_t n = (size_t)(colon - h), i;
	char *name;

	name = malloc(n + 6);
	if (name == NULL)
		die(EXIT_IO, "out of memory");
	memcpy(name, "HTTP_", 5);
	for (i = 0; i < n; i++) {
		char c = h[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		else if (c == '-')
			c = '_';
		name[5 + i] = c;
	}
	name[5 + n] = '\0';
	v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	set(p, name, v);
	free(name);
}

int request_params(const struct request_opts *o, const struct request_body *in,
		   const struct request_body *data, struct fcgi_params *p)
{
	const struct request_param *pa;
	const char *eq;
	char **e;
	size_t i;

	if (!o->no_default_params)
		defaults(o, in, data, p);
	if (o->env) {
		for (e = environ; *e != NULL; e++) {
			eq = strchr(*e, '=');
			if (eq == NULL || eq == *e)
				continue;
			if (fcgi_params_set(p, *e, (size_t)(eq - *e), eq + 1,
					    strlen(eq + 1)) != 0)
				die(EXIT_IO, "out of memory");
		}
	}
	for (i = 0; i < o->nheaders; i++)
		http_header(p, o->headers[i]);
	for (i = 0; i < o->nparams; i++) {
		pa = &o->params[i];
		if (pa->del)
			fcgi_params_del(p, pa->name, pa->name_len);
		else if (fcgi_params_set(p, pa->name, pa->name_len, pa->value,
					 pa->value_len) != 0)
			die(EXIT_IO, "out of memory");
	}
	return 0;
}

/* Copy fd into an unlinked temporary file; its descriptor or -1. */
static int spool(int fd, const char *what, int64_t *size)
{
	char path[PATH_MAX], buf[65536];
	const char *dir = getenv("TMPDIR");
	ssize_t n, w;
	int64_t total = 0;
	int t;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	snprintf(path, sizeof(path), "%s/fcgitool-body.XXXXXX", dir);
	t = mkstemp(path);
	if (t < 0) {
		warn("cannot spool %s: %s: %s", what, path, strerror(errno));
		return -1;
	}
	unlink(path);
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			warn("cannot read %s: %s", what, strerror(errno));
			close(t);
			return -1;
		}
		if (n == 0)
			break;
		for (w = 0; w < n;) {
			ssize_t k = write(t, buf + w, (size_t)(n - w));

			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0) {
				warn("cannot spool %s: %s", what,
				     strerror(errno));
				close(t);
				return -1;
			}
			w += k;
		}
		total += n;
	}
	*size = total;
	return t;
}

int request_body_open(const char *arg, const char *what, bool spool_pipe,
		      struct request_body *b)
{
	struct stat st;
	const char *path;
	off_t pos;
	int fd, t;

	memset(b, 0, sizeof(*b));
	b->fd = -1;
	b->present = true;
	b->mtime = 0;
	if (strcmp(what, "-d") == 0 && arg[0] != '@') {
		b->body.kind = FCGI_BODY_MEM;
		b->body.data = arg;
		b->body.len = strlen(arg);
		b->size = (int64_t)b->body.len;
		return 0;
	}
	path = strcmp(what, "-d") == 0 ? arg + 1 : arg;
	if (strcmp(path, "-") == 0) {
		fd = STDIN_FILENO;
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			warn("cannot open '%s': %s", path, strerror(errno));
			return EXIT_USAGE;
		}
		b->fd = fd;
	}
	if (fstat(fd, &st) != 0) {
		warn("cannot read '%s': %s", path, strerror(errno));
		return EXIT_USAGE;
	}
	b->body.kind = FCGI_BODY_FD;
	b->body.fd = fd;
	if (S_ISREG(st.st_mode)) {
		pos = lseek(fd, 0, SEEK_CUR);
		b->body.offset = pos > 0 ? (int64_t)pos : 0;
		b->size = (int64_t)st.st_size - b->body.offset;
		if (b->size < 0)
			b->size = 0;
		b->mtime = (int64_t)st.st_mtime;
		return 0;
	}
	if (S_ISDIR(st.st_mode)) {
		warn("cannot read '%s': %s", path, strerror(EISDIR));
		return EXIT_USAGE;
	}
	if (!spool_pipe) {
		b->size = -1;
		b->mtime = (int64_t)st.st_mtime;
		return 0;
	}
	t = spool(fd, strcmp(path, "-") == 0 ? "standard input" : path,
		  &b->size);
	if (t < 0)
		return EXIT_IO;
	if (b->fd >= 0)
		close(b->fd);
	b->fd = t;
	b->body.fd = t;
	b->body.offset = 0;
	b->mtime = (int64_t)st.st_mtime;
	return 0;
}

void request_body_close(struct request_body *b)
{
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
}
