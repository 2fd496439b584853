/* SPDX-License-Identifier: MIT */
/*
 * greet.c - an example responder library for fcgitool serve --fn.
 *
 *   cc -shared -fPIC $(pkg-config --cflags libuv) -Ilib \
 *       -o greet.so examples/greet.c
 *   fcgitool serve --fn ./greet.so /tmp/greet.sock
 *
 * SCRIPT_FILENAME names the function: /anything/greet calls greet().
 * Each call runs in a process of its own, a pool worker that serves one
 * request after another (static variables persist between requests) or,
 * under --isolate request, a child forked for it: in is the request body,
 * what goes to out is the CGI response, what goes to err reaches the web
 * server's error log, and the return value becomes appStatus.
 */
#include <stdio.h>
#include <string.h>

#include "fcgi-uv.h"

int greet(const struct fcgi_params *params, FILE *in, FILE *out, FILE *err);
int count(const struct fcgi_params *params, FILE *in, FILE *out, FILE *err);

/* Print a param's value (a byte string, not NUL-terminated) or a default. */
static void put_param(FILE *out, const struct fcgi_params *params,
		      const char *name, const char *def)
{
	struct fcgi_nv nv;

	if (fcgi_params_gets(params, name, &nv))
		fwrite(nv.value, 1, nv.value_len, out);
	else
		fputs(def, out);
}

/* A greeting for whoever QUERY_STRING names, with the request method. */
int greet(const struct fcgi_params *params, FILE *in, FILE *out, FILE *err)
{
	(void)in;
	fputs("Content-Type: text/plain\r\n\r\n", out);
	fputs("Greetings, ", out);
	put_param(out, params, "QUERY_STRING", "stranger");
	fputs(", from greet.so (", out);
	put_param(out, params, "REQUEST_METHOD", "no method");
	fputs(")\n", out);
	fputs("greet.so: greeted\n", err);
	return 0;
}

/*
 * Count the bytes of the body.  An empty body is a client error: a 400
 * response, and appStatus 1 so that a FastCGI client sees it too.
 */
int count(const struct fcgi_params *params, FILE *in, FILE *out, FILE *err)
{
	char buf[8192];
	size_t n, total = 0;

	(void)params;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		total += n;
	if (total == 0) {
		fputs("Status: 400 Bad Request\r\n"
		      "Content-Type: text/plain\r\n\r\n"
		      "count needs a request body\n",
		      out);
		fputs("greet.so: count: empty body\n", err);
		return 1;
	}
	fprintf(out, "Content-Type: text/plain\r\n\r\n%zu bytes\n", total);
	return 0;
}
