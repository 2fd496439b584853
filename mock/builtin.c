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
 * out (NUL-terminated, cut at n - 1 bytes).  1 if the key is there (a key
 * without '=' has the value ""), 0 if not.
 */
static int query_get(const struct fcgi_params *p, const char *key, char *out,
		     size_t n)
{
	struct fcgi_nv qs;
	const uint8_t *s, *end, *amp, *eq;
	size_t klen = strlen(key), o;
	int hi, lo;

	if (!fcgi_params_gets(p, "QUERY_STRING", &qs))
		return 0;
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
			return 1;
		}
		s = amp + 1;
	}
	return 0;
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

/* ---- JSON strings of arbitrary bytes ---- */

/*
 * Length of the UTF-8 sequence at p[0..n): 1..4 when valid, 0 when the
 * bytes are not one, -1 when valid so far but cut off by the end.
 */
static int utf8_len(const uint8_t *p, size_t n)
{
	uint8_t b = p[0], lo = 0x80, hi = 0xbf;
	int need;

	if (b < 0x80)
		return 1;
	if (b >= 0xc2 && b <= 0xdf)
		need = 1;
	else if (b >= 0xe0 && b <= 0xef) {
		need = 2;
		if (b == 0xe0)
			lo = 0xa0;
		else if (b == 0xed)
			hi = 0x9f;
	} else if (b >= 0xf0 && b <= 0xf4) {
		need = 3;
		if (b == 0xf0)
			lo = 0x90;
		else if (b == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	for (int i = 1; i <= need; i++) {
		if ((size_t)i >= n)
			return -1;
		if (p[i] < lo || p[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xbf;
	}
	return need + 1;
}

/* Write p[0..n) as a JSON string.  Valid UTF-8 passes through; other
 * bytes become \u00XX. */
static void json_string(FILE *out, const uint8_t *p, size_t n)
{
	size_t i = 0;
	int len;

	fputc('"', out);
	while (i < n) {
		uint8_t b = p[i];

		if (b == '"' || b == '\\') {
			fputc('\\', out);
			fputc(b, out);
			i++;
			continue;
		}
		if (b < 0x20 || b == 0x7f) {
			if (b == '\n')
				fputs("\\n", out);
			else if (b == '\r')
				fputs("\\r", out);
			else if (b == '\t')
				fputs("\\t", out);
			else
				fprintf(out, "\\u%04x", b);
			i++;
			continue;
		}
		len = utf8_len(p + i, n - i);
		if (len <= 0) {
			fprintf(out, "\\u%04x", b);
			i++;
			continue;
		}
		fwrite(p + i, 1, (size_t)len, out);
		i += (size_t)len;
	}
	fputc('"', out);
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

static int b_echo(const struct fcgi_params *p, FILE *in, FILE *out, FILE *err)
{
	uint8_t *body;
	size_t len;
	struct fcgi_nv nv;
	char ctype[256], raw[8];

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
	fputs("Content-Type: application/json\r\n\r\n{\"method\":", out);
	if (fcgi_params_gets(p, "REQUEST_METHOD", &nv))
		json_string(out, nv.value, nv.value_len);
	else
		fputs("null", out);
	fputs(",\"params\":{", out);
	for (size_t i = 0; i < fcgi_params_count(p); i++) {
		fcgi_params_at(p, i, &nv);
		if (i > 0)
			fputc(',', out);
		json_string(out, nv.name, nv.name_len);
		fputc(':', out);
		json_string(out, nv.value, nv.value_len);
	}
	fputs("},\"body\":", out);
	json_string(out, body, len);
	fputs("}\n", out);
	free(body);
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
	unsigned long long sig;

	(void)in;
	if (query_num(p, "sig", SIGSEGV, 64, &sig, out, err) != 0)
		return 2;
	fflush(out);
	fflush(err);
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
