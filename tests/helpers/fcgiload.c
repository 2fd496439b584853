/* SPDX-License-Identifier: MIT */
/*
 * fcgiload.c - a FastCGI load and check client for tests and benchmarks.
 *
 *   fcgiload [-EgkRqvW] [-a app] [-b bytes] [-c conns] [-d seconds]
 *            [-e text] [-m mpx] [-n requests] [-p name=value] [-P pstatus]
 *            [-t seconds] [-T ms] address script[?query]
 *
 * Opens -c connections at once and runs -n requests in total over them,
 * -m at a time on each connection (request ids 1..m, multiplexed), with
 * KEEP_CONN and connection reuse under -k, or a new connection for each
 * request otherwise.  Every answer is decoded by the library's struct
 * fcgi_conn in WEB mode (no parsing here) and checked: protocolStatus
 * (-P, default REQUEST_COMPLETE), appStatus (-a, default 0), text that
 * STDOUT must contain (-e), STDOUT's body equal to the request body (-E),
 * and no protocol violation by the server.
 *
 *   -b bytes   send a body of this many bytes (POST, CONTENT_LENGTH)
 *   -d seconds stop starting requests after this long (benchmarks)
 *   -g         first ask GET_VALUES and print the answer
 *   -R         never read: send the requests, then sit for -t seconds
 *   -T ms      send each request a byte at a time, ms apart
 *   -v         print the first answer: status line, STDOUT, STDERR
 *   -W         violations by the server are counted, not failures
 *              (PHP-FPM never ends its STDOUT stream, for one)
 *   -t seconds give up after this long (default 30): exit 3
 *
 * The last line on stdout is "requests=N ok=N failed=N seconds=S rps=R".
 * Exit 0 when every request passed, 1 when one failed, 3 on a time limit
 * or when the server could not be reached.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fcgi-uv.h"

#define MAX_MPX 1000
#define OUT_CAP (64u << 20)

struct lreq {
	int active;
	struct fcgi_buf out, err;
};

struct lconn {
	uv_stream_t *s;
	struct fcgi_conn *conn;
	struct lreq req[MAX_MPX + 1];
	unsigned inflight;
	int dead;
	int eof;
	size_t trickle_pos;
	struct fcgi_buf trickle;
	uv_timer_t ttimer;
};

static struct {
	struct fcgi_addr addr;
	const char *script, *query, *expect;
	struct fcgi_params extra;
	unsigned conns, mpx;
	unsigned long total, started, ok, failed;
	uint32_t app;
	int pstatus;
	int keep, echo, values, noread, verbose, quiet, lenient;
	unsigned long violations, answered;
	uint64_t body_len, duration_ms, limit_ms, trickle_ms;
	uint8_t *body;
	uv_loop_t *loop;
	uint64_t t0;
	unsigned open;
	int printed;
	int unreachable;
} g;

static void conn_open(void);
static void conn_start(struct lconn *c);

static void fail(struct lconn *c, unsigned id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct lconn *c, unsigned id, const char *fmt, ...)
{
	va_list ap;

	(void)c;
	g.failed++;
	if (g.quiet || g.failed > 5)
		return;
	fprintf(stderr, "fcgiload: request %u: ", id);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int may_start(void)
{
	if (g.started >= g.total)
		return 0;
	if (g.duration_ms != 0 && uv_now(g.loop) - g.t0 >= g.duration_ms)
		return 0;
	return 1;
}

static void on_written(uv_write_t *w, int status)
{
	(void)status;
	free(w);
}

static void flush(struct lconn *c)
{
	const uint8_t *p;
	size_t n;
	uv_write_t *w;
	uv_buf_t b;

	if (c->dead)
		return;
	n = fcgi_conn_send(c->conn, &p);
	if (n == 0)
		return;
	if (g.trickle_ms != 0) {
		fcgi_buf_append(&c->trickle, p, n);
		fcgi_conn_sent(c->conn, n);
		return;
	}
	w = malloc(sizeof(*w) + n);
	if (w == NULL)
		abort();
	memcpy(w + 1, p, n);
	b = uv_buf_init((char *)(w + 1), (unsigned)n);
	uv_write(w, c->s, &b, 1, on_written);
	fcgi_conn_sent(c->conn, n);
}

static void on_trickle(uv_timer_t *t)
{
	struct lconn *c = t->data;
	uv_write_t *w;
	uv_buf_t b;

	if (c->dead || c->trickle_pos >= c->trickle.len)
		return;
	w = malloc(sizeof(*w) + 1);
	if (w == NULL)
		abort();
	memcpy(w + 1, c->trickle.data + c->trickle_pos++, 1);
	b = uv_buf_init((char *)(w + 1), 1);
	uv_write(w, c->s, &b, 1, on_written);
	uv_timer_start(&c->ttimer, on_trickle, g.trickle_ms, 0);
}

static void req_send(struct lconn *c, unsigned id)
{
	struct fcgi_params p;
	char num[32];

	fcgi_params_init(&p, NULL);
	fcgi_params_add(&p, "SCRIPT_FILENAME", 15, g.script, strlen(g.script));
	fcgi_params_add(&p, "SCRIPT_NAME", 11, g.script, strlen(g.script));
	fcgi_params_add(&p, "QUERY_STRING", 12, g.query, strlen(g.query));
	fcgi_params_add(&p, "REQUEST_METHOD", 14, g.body_len ? "POST" : "GET",
			g.body_len ? 4 : 3);
	if (g.body_len) {
		snprintf(num, sizeof(num), "%llu",
			 (unsigned long long)g.body_len);
		fcgi_params_add(&p, "CONTENT_LENGTH", 14, num, strlen(num));
		fcgi_params_add(&p, "CONTENT_TYPE", 12,
				"application/octet-stream", 24);
	}
	for (size_t i = 0; i < fcgi_params_count(&g.extra); i++) {
		struct fcgi_nv nv;

		fcgi_params_at(&g.extra, i, &nv);
		fcgi_params_set(&p, nv.name, nv.name_len, nv.value,
				nv.value_len);
	}
	c->req[id].active = 1;
	fcgi_buf_reset(&c->req[id].out);
	fcgi_buf_reset(&c->req[id].err);
	c->inflight++;
	g.started++;
	if (fcgi_conn_begin(c->conn, (uint16_t)id, FCGI_RESPONDER,
			    g.keep ? FCGI_KEEP_CONN : 0) != 0 ||
	    fcgi_conn_params(c->conn, (uint16_t)id, &p) != 0)
		fail(c, id, "cannot queue the request");
	if (g.body_len)
		fcgi_conn_stream(c->conn, (uint16_t)id, FCGI_STDIN, g.body,
				 (size_t)g.body_len);
	fcgi_conn_stream(c->conn, (uint16_t)id, FCGI_STDIN, NULL, 0);
	fcgi_params_fini(&p);
}

/* The body of a CGI response: after the first empty line. */
static const uint8_t *cgi_body(const struct fcgi_buf *b, size_t *len)
{
	for (size_t i = 0; i + 1 < b->len; i++) {
		if (b->data[i] == '\n' && b->data[i + 1] == '\n') {
			*len = b->len - i - 2;
			return b->data + i + 2;
		}
		if (i + 3 < b->len && memcmp(b->data + i, "\r\n\r\n", 4) == 0) {
			*len = b->len - i - 4;
			return b->data + i + 4;
		}
	}
	*len = 0;
	return NULL;
}

static void req_done(struct lconn *c, unsigned id, const struct fcgi_event *ev)
{
	struct lreq *r = &c->req[id];
	const uint8_t *body;
	size_t blen;
	unsigned long before = g.failed;

	r->active = 0;
	c->inflight--;
	g.answered++;
	if (g.verbose && !g.printed) {
		g.printed = 1;
		printf("END_REQUEST appStatus=%u protocolStatus=%s\n",
		       ev->app_status, fcgi_pstatus_name(ev->protocol_status));
		printf("--- stdout (%zu bytes)\n", r->out.len);
		if (r->out.len > 0)
			fwrite(r->out.data, 1, r->out.len, stdout);
		printf("--- stderr (%zu bytes)\n", r->err.len);
		if (r->err.len > 0)
			fwrite(r->err.data, 1, r->err.len, stdout);
		printf("---\n");
	}
	if (ev->protocol_status != g.pstatus)
		fail(c, id, "protocolStatus %s, expected %s",
		     fcgi_pstatus_name(ev->protocol_status),
		     fcgi_pstatus_name((unsigned)g.pstatus));
	else if (ev->app_status != g.app)
		fail(c, id, "appStatus %u, expected %u", ev->app_status, g.app);
	else if (g.expect != NULL &&
		 (r->out.len == 0 || memmem(r->out.data, r->out.len, g.expect,
					    strlen(g.expect)) == NULL))
		fail(c, id, "STDOUT lacks '%s'", g.expect);
	else if (g.echo && ((body = cgi_body(&r->out, &blen)) == NULL ||
			    blen != g.body_len ||
			    (blen && memcmp(body, g.body, blen) != 0)))
		fail(c, id,
		     "STDOUT body differs from the request body "
		     "(%zu bytes, sent %llu)",
		     blen, (unsigned long long)g.body_len);
	if (g.failed == before)
		g.ok++;
	if (g.keep && may_start()) {
		req_send(c, id);
		flush(c);
	}
}

static int on_event(void *arg, const struct fcgi_event *ev)
{
	struct lconn *c = arg;
	unsigned id = ev->request_id;
	struct fcgi_buf *b;

	switch (ev->type) {
	case FCGI_EV_STDOUT:
	case FCGI_EV_STDERR:
		if (id == 0 || id > g.mpx || !c->req[id].active)
			break;
		b = ev->type == FCGI_EV_STDOUT ? &c->req[id].out
					       : &c->req[id].err;
		if (ev->len > 0 && b->len + ev->len <= OUT_CAP)
			fcgi_buf_append(b, ev->data, ev->len);
		break;
	case FCGI_EV_END:
		if (id >= 1 && id <= g.mpx && c->req[id].active)
			req_done(c, id, ev);
		break;
	case FCGI_EV_GET_VALUES_RESULT:
		for (size_t i = 0;
		     ev->params && i < fcgi_params_count(ev->params); i++) {
			struct fcgi_nv nv;

			fcgi_params_at(ev->params, i, &nv);
			printf("%.*s=%.*s\n", (int)nv.name_len,
			       (const char *)nv.name, (int)nv.value_len,
			       (const char *)nv.value);
		}
		g.values = 0;
		conn_start(c);
		break;
	default:
		break;
	}
	return 0;
}

static void on_violation(void *arg, const struct fcgi_violation *v)
{
	(void)arg;
	if (v->dir != FCGI_DIR_TO_WEB)
		return;
	g.violations++;
	if (g.lenient)
		return;
	g.failed++;
	if (!g.quiet)
		fprintf(stderr, "fcgiload: violation %s: %s\n",
			fcgi_vcode_name(v->code), v->message);
}

static void on_closed(void *arg)
{
	struct lconn *c = arg;

	fcgi_conn_free(c->conn);
	for (unsigned i = 0; i <= g.mpx; i++) {
		fcgi_buf_fini(&c->req[i].out);
		fcgi_buf_fini(&c->req[i].err);
	}
	fcgi_buf_fini(&c->trickle);
	free(c);
	g.open--;
	if (may_start() && !g.unreachable)
		conn_open();
	else if (g.open == 0)
		uv_stop(g.loop);
}

static void on_ttimer_closed(uv_handle_t *h)
{
	struct lconn *c = h->data;

	fcgi_io_close(c->s, on_closed, c);
}

static void conn_close(struct lconn *c)
{
	if (c->dead)
		return;
	c->dead = 1;
	for (unsigned i = 1; i <= g.mpx; i++)
		if (c->req[i].active)
			fail(c, i, "connection closed before END_REQUEST");
	uv_close((uv_handle_t *)&c->ttimer, on_ttimer_closed);
}

static char rbuf[65536];

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	(void)h;
	(void)hint;
	b->base = rbuf;
	b->len = sizeof(rbuf);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct lconn *c = s->data;

	if (n > 0) {
		fcgi_conn_recv(c->conn, FCGI_DIR_TO_WEB,
			       (const uint8_t *)b->base, (size_t)n);
		if (!g.keep && c->inflight == 0)
			return; /* the server closes */
		if (c->inflight == 0 && !may_start())
			conn_close(c);
		return;
	}
	if (n < 0) {
		fcgi_conn_eof(c->conn, FCGI_DIR_TO_WEB);
		conn_close(c);
	}
}

static void conn_start(struct lconn *c)
{
	for (unsigned id = 1; id <= g.mpx && may_start(); id++)
		req_send(c, id);
	flush(c);
	if (g.trickle_ms != 0)
		uv_timer_start(&c->ttimer, on_trickle, g.trickle_ms, 0);
	if (c->inflight == 0)
		conn_close(c);
}

static void on_connect(uv_stream_t *s, int status, void *arg)
{
	struct lconn *c = arg;
	struct fcgi_params names;

	if (status != 0) {
		fprintf(stderr, "fcgiload: cannot connect: %s\n",
			uv_strerror(status));
		g.unreachable = 1;
		fcgi_conn_free(c->conn);
		free(c);
		g.open--;
		if (g.open == 0)
			uv_stop(g.loop);
		return;
	}
	c->s = s;
	s->data = c;
	uv_timer_init(g.loop, &c->ttimer);
	c->ttimer.data = c;
	if (!g.noread)
		uv_read_start(s, on_alloc, on_read);
	if (g.values) {
		fcgi_params_init(&names, NULL);
		fcgi_params_add(&names, "FCGI_MAX_CONNS", 14, "", 0);
		fcgi_params_add(&names, "FCGI_MAX_REQS", 13, "", 0);
		fcgi_params_add(&names, "FCGI_MPXS_CONNS", 15, "", 0);
		fcgi_conn_get_values(c->conn, &names);
		fcgi_params_fini(&names);
		flush(c);
		return;
	}
	conn_start(c);
}

static void conn_open(void)
{
	struct lconn *c = calloc(1, sizeof(*c));
	struct fcgi_callbacks cb;
	struct fcgi_conn_opts co;

	if (c == NULL)
		abort();
	memset(&cb, 0, sizeof(cb));
	cb.on_event = on_event;
	cb.on_violation = on_violation;
	fcgi_conn_opts_default(&co);
	co.limits.max_requests = 0;
	(void)fcgi_conn_new(&c->conn, FCGI_MODE_WEB, &co, &cb, c);
	fcgi_buf_init(&c->trickle, NULL, 0);
	for (unsigned i = 0; i <= g.mpx; i++) {
		fcgi_buf_init(&c->req[i].out, NULL, 0);
		fcgi_buf_init(&c->req[i].err, NULL, 0);
	}
	g.open++;
	if (c->conn == NULL ||
	    fcgi_io_connect(g.loop, &g.addr, on_connect, c) != 0) {
		fprintf(stderr, "fcgiload: cannot connect\n");
		exit(3);
	}
}

static void on_limit(uv_timer_t *t)
{
	(void)t;
	if (g.noread) {
		uv_stop(g.loop);
		return;
	}
	fprintf(stderr,
		"fcgiload: time limit reached with %lu of %lu "
		"requests answered\n",
		g.ok + g.failed, g.total);
	printf("requests=%lu ok=%lu failed=%lu timeout\n", g.started, g.ok,
	       g.failed);
	fflush(NULL);
	_exit(3); /* mid-flight: nothing to tidy */
}

static unsigned long num(const char *s, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0) {
		fprintf(stderr, "fcgiload: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	uv_loop_t loop;
	uv_timer_t limit;
	char err[256], *q, *eq;
	double secs;
	int opt;

	/* The server may close while a body is still being sent. */
	signal(SIGPIPE, SIG_IGN);
	g.conns = 1;
	g.mpx = 1;
	g.total = 1;
	g.limit_ms = 30000;
	fcgi_params_init(&g.extra, NULL);
	while ((opt = getopt(argc, argv, "a:b:c:d:Ee:gkm:n:P:p:qRt:T:vW")) !=
	       -1) {
		switch (opt) {
		case 'a':
			g.app = (uint32_t)num(optarg, "app status");
			break;
		case 'b':
			g.body_len = num(optarg, "body size");
			break;
		case 'c':
			g.conns = (unsigned)num(optarg, "connections");
			break;
		case 'd':
			g.duration_ms = num(optarg, "duration") * 1000;
			break;
		case 'E':
			g.echo = 1;
			break;
		case 'e':
			g.expect = optarg;
			break;
		case 'g':
			g.values = 1;
			break;
		case 'k':
			g.keep = 1;
			break;
		case 'm':
			g.mpx = (unsigned)num(optarg, "mpx");
			break;
		case 'n':
			g.total = num(optarg, "requests");
			break;
		case 'P':
			g.pstatus = fcgi_pstatus_lookup(optarg);
			if (g.pstatus < 0) {
				fprintf(stderr, "fcgiload: bad status\n");
				return 2;
			}
			break;
		case 'p':
			eq = strchr(optarg, '=');
			if (eq == NULL)
				fcgi_params_add(&g.extra, optarg,
						strlen(optarg), "", 0);
			else
				fcgi_params_add(&g.extra, optarg,
						(size_t)(eq - optarg), eq + 1,
						strlen(eq + 1));
			break;
		case 'q':
			g.quiet = 1;
			break;
		case 'R':
			g.noread = 1;
			break;
		case 't':
			g.limit_ms = num(optarg, "time limit") * 1000;
			break;
		case 'T':
			g.trickle_ms = num(optarg, "trickle");
			break;
		case 'v':
			g.verbose = 1;
			break;
		case 'W':
			g.lenient = 1;
			break;
		default:
			return 2;
		}
	}
	if (argc - optind != 2 || g.mpx == 0 || g.mpx > MAX_MPX ||
	    g.conns == 0) {
		fprintf(stderr, "usage: fcgiload [options] address script\n");
		return 2;
	}
	if (fcgi_addr_parse(&g.addr, argv[optind], err, sizeof(err)) != 0) {
		fprintf(stderr, "fcgiload: bad address: %s\n", err);
		return 2;
	}
	g.script = argv[optind + 1];
	q = strchr(argv[optind + 1], '?');
	g.query = "";
	if (q != NULL) {
		*q = '\0';
		g.query = q + 1;
	}
	if (g.body_len) {
		g.body = malloc((size_t)g.body_len);
		if (g.body == NULL)
			return 3;
		for (uint64_t i = 0; i < g.body_len; i++)
			g.body[i] = (uint8_t)("0123456789abcdefghijklmnopqrstuv"
					      "wxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\n"
						      [i % 63]);
	}
	if (g.duration_ms != 0 && g.total == 1)
		g.total = (unsigned long)-1;
	uv_loop_init(&loop);
	g.loop = &loop;
	g.t0 = uv_now(&loop);
	uv_timer_init(&loop, &limit);
	uv_timer_start(&limit, on_limit, g.limit_ms, 0);
	if (!g.noread)
		uv_unref((uv_handle_t *)&limit);
	for (unsigned i = 0;
	     i < g.conns && (may_start() || (g.values && i == 0)); i++)
		conn_open();
	uv_run(&loop, UV_RUN_DEFAULT);
	if (g.noread) {
		printf("requests=%lu sent, not read\n", g.started);
		fflush(NULL);
		_exit(0);
	}
	uv_update_time(&loop);
	secs = (double)(uv_now(&loop) - g.t0) / 1000.0;
	printf("requests=%lu ok=%lu failed=%lu seconds=%.3f rps=%.1f "
	       "violations=%lu\n",
	       g.started, g.ok, g.failed, secs,
	       secs > 0 ? (double)g.answered / secs : 0.0, g.violations);
	uv_close((uv_handle_t *)&limit, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	fcgi_params_fini(&g.extra);
	free(g.body);
	if (g.unreachable)
		return 3;
	return g.failed == 0 && g.ok == g.started ? 0 : 1;
}
