/* SPDX-License-Identifier: MIT */
/*
 * builtin.c - the built-in responders of serve --fn builtin: answers a
 * web server or client under test can ask for by name, with arguments in
 * QUERY_STRING.  Each runs in a process of its own, a pool worker or a
 * child (see lib/run_pool.c and lib/runner.c), so crash and hang may do
 * exactly what they say.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "builtin.h"

/* ---- arguments ---- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * The value of key in QUERY_STRING, percent-decoded ('+' is a space) into
 * out (NUL-terminated, cut at n - 1 bytes).  Whether the key is there (a
 * key without '=' has the value "").
 */
static bool query_get(const struct fcgi_params *p, const char *key, char *out,
		      size_t n)
{
	struct fcgi_nv qs;
	const uint8_t *s, *end, *amp, *eq;
	size_t klen = strlen(key), o;
	int hi, lo;

	if (!fcgi_params_gets(p, "QUERY_STRING", &qs))
		return false;
	s = qs.value;
	end = qs.value + qs.value_len;
	while (s < end) {
		amp = memchr(s, '&', (size_t)(end - s));
		if (amp == NULL)
			amp = end;
		eq = memchr(s, '=', (size_t)(amp - s));
		if (eq == NULL)
			eq = amp;
		if ((size_t)(eq - s) == klen && memcmp(s, key, klen) == 0) {
			o = 0;
			for (s = eq < amp ? eq + 1 : amp; s < amp && o + 1 < n;
			     s++) {
				if (*s == '+') {
					out[o++] = ' ';
				} else if (*s == '%' && amp - s >= 3 &&
					   (hi = hexval(s[1])) >= 0 &&
					   (lo = hexval(s[2])) >= 0) {
					out[o++] = (char)(hi << 4 | lo);
					s += 2;
				} else {
					out[o++] = (char)*s;
				}
			}
			if (n > 0)
				out[o] = '\0';
			return true;
		}
		s = amp + 1;
	}
	return false;
}

/*
 * A number argument: def when absent; 0 and *v set, or -1 after writing
 * a 400 answer naming the bad argument.
 */
static int query_num(const struct fcgi_params *p, const char *key,
		     unsigned long long def, unsigned long long max,
		     unsigned long long *v, FILE *out, FILE *err)
{
	char buf[64], *end;

	*v = def;
	if (!query_get(p, key, buf, sizeof(buf)))
		return 0;
	errno = 0;
	*v = strtoull(buf, &end, 10);
	if (buf[0] >= '0' && buf[0] <= '9' && *end == '\0' && errno == 0 &&
	    *v <= max)
		return 0;
	fprintf(out,
		"Status: 400 Bad Request\r\n"
		"Content-Type: text/plain\r\n\r\n"
		"bad %s: '%s' is not a number from 0 to %llu\n",
		key, buf, max);
	fprintf(err, "fcgitool: builtin: bad %s '%s'\n", key, buf);
	return -1;
}

static void sleep_ms(unsigned long long ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static const char *param(const struct fcgi_params *p, const char *name,
			 char *buf, size_t n)
{
	struct fcgi_nv nv;
	size_t len;

	if (!fcgi_params_gets(p, name, &nv) || n == 0) {
		if (n > 0)
			buf[0] = '\0';
		return buf;
	}
	len = nv.value_len < n - 1 ? nv.value_len : n - 1;
	memcpy(buf, nv.value, len);
	buf[len] = '\0';
	return buf;
}

/* ---- the responders ---- */

static int b_hello(const struct fcgi_params *p, FILE *in, FILE *out, FILE *err)
{
	char name[128];

	(void)in;
	(void)err;
	if (!query_get(p, "name", name, sizeof(name)) || name[0] == '\0')
		snprintf(name, sizeof(name), "world");
	fprintf(out, "Content-Type: text/plain\r\n\r\nHello, %s!\n", name);
	return 0;
}

/*
 * The whole body, read before anything is written: nginx stops sending a
 * request body once the response has begun (it drops its buffered copy),
 * so a responder that streams its answer while reading loses the rest of
 * a large body.  PHP reads the body first for the same reason.  NULL when
 * memory runs out.
 */
static uint8_t *read_body(FILE *in, size_t *len)
{
	uint8_t *buf = NULL, *nb;
	size_t cap = 0, n = 0, got;

	for (;;) {
		if (cap - n < 65536) {
			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap);
			if (nb == NULL) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, in);
		if (got == 0)
			break;
		n += got;
	}
	*len = n;
	return buf;
}

/*
 * The echo as one JSON object of kind "echo" (fcgitool-trace(5)), written
 * with the library's one JSON writer: the method, the params in order and
 * the body, each a string when it is UTF-8 and base64 otherwise.  0, or
 * FCGI_ENOMEM with nothing written.
 */
static int echo_json(const struct fcgi_params *p, const uint8_t *body,
		     size_t len, FILE *out)
{
	struct fcgi_buf b;
	struct fcgi_json j;
	struct fcgi_nv nv;
	int rc;

	fcgi_buf_init(&b, NULL, 0);
	fcgi_json_begin(&j, &b);
	fcgi_json_str(&j, "kind", "echo");
	if (fcgi_params_gets(p, "REQUEST_METHOD", &nv))
		fcgi_json_bytes(&j, "method", nv.value, nv.value_len);
	else
		fcgi_json_null(&j, "method");
	fcgi_json_params(&j, "params", p, NULL);
	fcgi_json_uint(&j, "bodyLength", len);
	fcgi_json_bytes(&j, "body", body, len);
	rc = fcgi_json_end(&j);
	if (rc == 0)
		rc = fcgi_buf_append(&b, "\n", 1);
	if (rc == 0) {
		fputs("Content-Type: application/json\r\n\r\n", out);
		fwrite(b.data, 1, b.len, out);
	}
	fcgi_buf_fini(&b);
	return rc < 0 ? FCGI_ENOMEM : 0;
}

static int b_echo(const struct fcgi_params *p, FILE *in, FILE *out, FILE *err)
{
	uint8_t *body;
	size_t len;
	char ctype[256], raw[8];
	int rc;

	body = read_body(in, &len);
	if (body == NULL) {
		fputs("Status: 413 Content Too Large\r\n"
		      "Content-Type: text/plain\r\n\r\n"
		      "413 Content Too Large\n",
		      out);
		fputs("fcgitool: builtin: echo: out of memory\n", err);
		return 1;
	}
	if (query_get(p, "raw", raw, sizeof(raw))) {
		param(p, "CONTENT_TYPE", ctype, sizeof(ctype));
		fprintf(out, "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n",
			ctype[0] != '\0' ? ctype : "application/octet-stream",
			len);
		fwrite(body, 1, len, out);
		free(body);
		return 0;
	}
	rc = echo_json(p, body, len, out);
	free(body);
	if (rc != 0) {
		fputs("Status: 500 Internal Server Error\r\n"
		      "Content-Type: text/plain\r\n\r\n"
		      "500 Internal Server Error\n",
		      out);
		fputs("fcgitool: builtin: echo: out of memory\n", err);
		return 1;
	}
	return 0;
}

static int b_env(const struct fcgi_params *p, FILE *in, FILE *out, FILE *err)
{
	struct fcgi_nv nv;
	char line[1024];

	(void)in;
	(void)err;
	fputs("Content-Type: text/plain\r\n\r\n", out);
	for (size_t i = 0; i < fcgi_params_count(p); i++) {
		fcgi_params_at(p, i, &nv);
		fcgi_escape(line, sizeof(line), nv.name, nv.name_len);
		fputs(line, out);
		fputc('=', out);
		fcgi_escape(line, sizeof(line), nv.value, nv.value_len);
		fputs(line, out);
		fputc('\n', out);
	}
	return 0;
}

static int b_status(const struct fcgi_params *p, FILE *in, FILE *out, FILE *err)
{
	unsigned long long code, ex;

	(void)in;
	if (query_num(p, "code", 200, 999, &code, out, err) != 0 ||
	    query_num(p, "exit", 0, 2147483647, &ex, out, err) != 0)
		return 2;
	if (code < 100) {
		fprintf(out,
			"Status: 400 Bad Request\r\n"
			"Content-Type: text/plain\r\n\r\n"
			"bad code: %llu is below 100\n",
			code);
		return 2;
	}
	fprintf(out,
		"Status: %llu %s\r\nContent-Type: text/plain\r\n\r\n%llu %s\n",
		code, fcgi_http_reason((unsigned)code), code,
		fcgi_http_reason((unsigned)code));
	return (int)ex;
}

static int b_sleep(const struct fcgi_params *p, FILE *in, FILE *out, FILE *err)
{
	unsigned long long ms;

	(void)in;
	if (query_num(p, "ms", 1000, 86400000ULL, &ms, out, err) != 0)
		return 2;
	sleep_ms(ms);
	fprintf(out, "Content-Type: text/plain\r\n\r\nslept %llu ms\n", ms);
	return 0;
}

static int b_big(const struct fcgi_params *p, FILE *in, FILE *out, FILE *err)
{
	static const char line[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
				   "HIJKLMNOPQRSTUVWXYZ-\n";
	unsigned long long n, left;
	size_t k;

	(void)in;
	if (query_num(p, "n", 1048576, 1ULL << 40, &n, out, err) != 0)
		return 2;
	fprintf(out, "Content-Type: text/plain\r\nContent-Length: %llu\r\n\r\n",
		n);
	/* Lines of 64 bytes, the last one cut at n. */
	for (left = n; left > 0; left -= k) {
		k = left < 64 ? (size_t)left : 64;
		if (fwrite(line, 1, k, out) != k)
			return 1;
	}
	return 0;
}

static int b_stderr(const struct fcgi_params *p, FILE *in, FILE *out, FILE *err)
{
	char msg[1024];
	unsigned long long n;

	(void)in;
	if (query_num(p, "n", 1, 100000, &n, out, err) != 0)
		return 2;
	if (!query_get(p, "msg", msg, sizeof(msg)))
		snprintf(msg, sizeof(msg), "a message on stderr");
	for (unsigned long long i = 0; i < n; i++)
		fprintf(err, "%s\n", msg);
	fprintf(out, "Content-Type: text/plain\r\n\r\n%llu lines on stderr\n",
		n);
	return 0;
}

static int b_slow(const struct fcgi_params *p, FILE *in, FILE *out, FILE *err)
{
	unsigned long long chunks, ms;

	(void)in;
	if (query_num(p, "chunks", 5, 100000, &chunks, out, err) != 0 ||
	    query_num(p, "ms", 200, 3600000, &ms, out, err) != 0)
		return 2;
	fputs("Content-Type: text/plain\r\n\r\n", out);
	fflush(out);
	for (unsigned long long i = 1; i <= chunks; i++) {
		if (i > 1)
			sleep_ms(ms);
		fprintf(out, "chunk %llu of %llu\n", i, chunks);
		fflush(out);
	}
	return 0;
}

static int b_crash(const struct fcgi_params *p, FILE *in, FILE *out, FILE *err)
{
	struct sigaction sa;
	unsigned long long sig, ex;
	char buf[4];

	(void)in;
	if (query_num(p, "sig", SIGSEGV, 64, &sig, out, err) != 0 ||
	    query_num(p, "exit", 0, 255, &ex, out, err) != 0)
		return 2;
	fflush(out);
	fflush(err);
	/* exit=N: end the process the way a function must not, by exit(). */
	if (query_get(p, "exit", buf, sizeof(buf)))
		exit((int)ex);
	/* An ignored signal (SIGPIPE is, in the server) would not kill; a
	 * handler is left alone, such as the one with which a worker of
	 * serve --isolate worker stops for its supervisor to answer. */
	if (sigaction((int)sig, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
		signal((int)sig, SIG_DFL);
	raise((int)sig);
	/* A signal that does not kill (SIGCHLD, SIGURG): crash anyway. */
	abort();
}

static int b_hang(const struct fcgi_params *p, FILE *in, FILE *out, FILE *err)
{
	char term[16];

	(void)in;
	(void)out;
	(void)err;
	/* term=ignore: only SIGKILL ends it, to see the grace period. */
	if (query_get(p, "term", term, sizeof(term)) &&
	    strcmp(term, "ignore") == 0)
		signal(SIGTERM, SIG_IGN);
	while (pause() < 0 || errno == 0)
		;
	return 1;
}

/* How many times this process has run counter: 1 on every request under
 * --isolate request, 1, 2, 3... on one worker of the pool.  With the pid,
 * so that a test can tell the workers apart. */
static int b_counter(const struct fcgi_params *p, FILE *in, FILE *out,
		     FILE *err)
{
	static unsigned long long calls;

	(void)p;
	(void)in;
	(void)err;
	calls++;
	fprintf(out, "Content-Type: text/plain\r\n\r\n%llu %ld\n", calls,
		(long)getpid());
	return 0;
}

const struct fcgi_fn_entry mock_builtins[] = {
	{ "hello", b_hello },	{ "echo", b_echo },	  { "env", b_env },
	{ "status", b_status }, { "sleep", b_sleep },	  { "big", b_big },
	{ "stderr", b_stderr }, { "slow", b_slow },	  { "crash", b_crash },
	{ "hang", b_hang },	{ "counter", b_counter }, { NULL, NULL },
};
