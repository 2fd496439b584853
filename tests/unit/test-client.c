/* SPDX-License-Identifier: MIT */
/*
 * test-client.c - the client through its API, on a real loop, against a
 * small server in the same loop (a conn in APP mode behind fcgi_io_listen)
 * that answers, echoes, stays silent, sends garbage or closes, as each
 * test asks.  Also argument errors and an allocation-failure sweep.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "driven.h"
#include "failmem.h"

enum smode {
	S_HELLO,	/* a CGI answer, a line of STDERR, END_REQUEST */
	S_ECHO,		/* STDIN, then DATA, back as the body */
	S_SILENT,	/* never answers */
	S_GARBAGE,	/* bytes that are not FastCGI */
	S_CLOSE_MID,	/* part of an answer, then close */
	S_REVERSE,	/* answer reverse_n requests at once, last first */
	S_ABORT_ANSWER, /* END_REQUEST appStatus 99 to ABORT_REQUEST */
	S_NO_STDOUT,	/* END_REQUEST, STDERR only */
	S_BAD_CGI,	/* a Status that is no status */
	S_FOREIGN,	/* the whole answer under the next request id */
	S_TWICE,	/* a good answer, then a second END_REQUEST */
	S_STAY,		/* a good answer, and the connection stays open */
	S_BAD_VALUES	/* GET_VALUES_RESULT pairs overrun the record */
};

struct srv;

struct sreq {
	int used;
	uint16_t id;
	uint16_t role;
	int keep;
	int ready;
	struct fcgi_buf in, data;
};

struct sc {
	struct srv *s;
	struct sc *next;
	uv_stream_t *st;
	struct fcgi_conn *conn;
	struct sreq req[16];
	unsigned writes;
	int close_after;
	int closed;
	uint8_t rbuf[65536];
};

struct srv {
	uv_loop_t *loop;
	uv_stream_t *lst;
	char dir[64];
	char path[128];
	char text[160]; /* "unix:PATH" */
	enum smode mode;
	int values_mpx;	   /* GET_VALUES says FCGI_MPXS_CONNS=1 */
	int values_silent; /* GET_VALUES gets no answer */
	unsigned reverse_n;
	unsigned accepted, begins, aborts, gets;
	struct sc *conns;
};

/* ---- the server ------------------------------------------------------ */

static void sc_written(uv_write_t *w, int status)
{
	struct sc *sc = w->data;

	(void)status;
	free(w);
	sc->writes--;
	if (sc->close_after && sc->writes == 0 && !sc->closed) {
		sc->closed = 1;
		fcgi_io_close(sc->st, NULL, NULL);
	}
}

static void sc_flush(struct sc *sc)
{
	const uint8_t *p;
	uv_write_t *w;
	uv_buf_t b;
	size_t n;

	while (!sc->closed && (n = fcgi_conn_send(sc->conn, &p)) > 0) {
		w = malloc(sizeof(*w) + n);
		assert_non_null(w);
		memcpy(w + 1, p, n);
		fcgi_conn_sent(sc->conn, n);
		w->data = sc;
		b = uv_buf_init((char *)(w + 1), (unsigned)n);
		sc->writes++;
		assert_int_equal(uv_write(w, sc->st, &b, 1, sc_written), 0);
	}
	if (sc->close_after && sc->writes == 0 && !sc->closed) {
		sc->closed = 1;
		fcgi_io_close(sc->st, NULL, NULL);
	}
}

static struct sreq *sreq(struct sc *sc, uint16_t id)
{
	size_t i;

	for (i = 0; i < 16; i++)
		if (sc->req[i].used && sc->req[i].id == id)
			return &sc->req[i];
	for (i = 0; i < 16; i++) {
		if (!sc->req[i].used) {
			memset(&sc->req[i], 0, sizeof(sc->req[i]));
			sc->req[i].used = 1;
			sc->req[i].id = id;
			fcgi_buf_init(&sc->req[i].in, NULL, 0);
			fcgi_buf_init(&sc->req[i].data, NULL, 0);
			return &sc->req[i];
		}
	}
	fail();
	return NULL;
}

static void sreq_end(struct sc *sc, struct sreq *r, uint32_t app)
{
	assert_int_equal(fcgi_conn_end(sc->conn, r->id, app, 0), 0);
	if (!r->keep)
		sc->close_after = 1;
	fcgi_buf_fini(&r->in);
	fcgi_buf_fini(&r->data);
	r->used = 0;
}

static void out(struct sc *sc, uint16_t id, uint8_t type, const char *s)
{
	assert_int_equal(fcgi_conn_stream(sc->conn, id, type, s, strlen(s)), 0);
}

/* Queue one record as raw bytes: what the conn would refuse to send. */
static void raw_record(struct sc *sc, uint8_t type, uint16_t id,
		       const void *content, size_t len)
{
	struct fcgi_buf b;

	fcgi_buf_init(&b, NULL, 0);
	assert_int_equal(fcgi_record_encode(&b, type, id, content, len), 0);
	assert_int_equal(fcgi_conn_send_raw(sc->conn, b.data, b.len), 0);
	fcgi_buf_fini(&b);
}

static void answer(struct sc *sc, struct sreq *r)
{
	static const uint8_t end0[8], end1[8] = { 0, 0, 0, 1 };
	static const char ok[] = "Content-Type: a/b\r\n\r\nok";
	struct srv *s = sc->s;
	char body[32];
	unsigned ready = 0;
	int i;

	switch (s->mode) {
	case S_NO_STDOUT:
		/* Raw: the conn would end the STDOUT stream with the
		 * request. */
		out(sc, r->id, FCGI_STDERR, "oops\n");
		raw_record(sc, FCGI_STDERR, r->id, NULL, 0);
		raw_record(sc, FCGI_END_REQUEST, r->id, end1, 8);
		sc->close_after = 1;
		break;
	case S_BAD_CGI:
		out(sc, r->id, FCGI_STDOUT, "Status: 2OO\r\n\r\nx");
		sreq_end(sc, r, 0);
		break;
	case S_FOREIGN:
		raw_record(sc, FCGI_STDOUT, (uint16_t)(r->id + 1), ok,
			   strlen(ok));
		raw_record(sc, FCGI_END_REQUEST, (uint16_t)(r->id + 1), end0,
			   8);
		break;
	case S_TWICE:
	case S_STAY:
		out(sc, r->id, FCGI_STDOUT, ok);
		if (s->mode == S_STAY) {
			assert_int_equal(fcgi_conn_end(sc->conn, r->id, 0, 0),
					 0);
			r->used = 0;
			fcgi_buf_fini(&r->in);
			fcgi_buf_fini(&r->data);
			break;
		}
		sreq_end(sc, r, 0);
		raw_record(sc, FCGI_END_REQUEST, r->id, end0, 8);
		break;
	case S_HELLO:
		out(sc, r->id, FCGI_STDOUT,
		    "Status: 200 OK\r\nContent-Type: text/plain\r\n\r\nhel");
		out(sc, r->id, FCGI_STDOUT, "lo");
		out(sc, r->id, FCGI_STDERR, "warn\n");
		sreq_end(sc, r, 0);
		break;
	case S_ECHO:
		out(sc, r->id, FCGI_STDOUT, "Content-Type: x/y\r\n\r\n");
		assert_int_equal(fcgi_conn_stream(sc->conn, r->id, FCGI_STDOUT,
						  r->in.data, r->in.len),
				 0);
		assert_int_equal(fcgi_conn_stream(sc->conn, r->id, FCGI_STDOUT,
						  r->data.data, r->data.len),
				 0);
		sreq_end(sc, r, 0);
		break;
	case S_GARBAGE:
		assert_int_equal(
			fcgi_conn_send_raw(sc->conn, "HTTP/1.1 200 OK\r\n", 17),
			0);
		break;
	case S_CLOSE_MID:
		out(sc, r->id, FCGI_STDOUT, "Content-Type: x/y\r\n\r\npart");
		sc->close_after = 1;
		break;
	case S_REVERSE:
		for (i = 0; i < 16; i++)
			ready += sc->req[i].used && sc->req[i].ready;
		if (ready < s->reverse_n)
			break;
		for (i = 15; i >= 0; i--) {
			if (!sc->req[i].used || !sc->req[i].ready)
				continue;
			snprintf(body, sizeof(body), "\r\nid %u",
				 (unsigned)sc->req[i].id);
			out(sc, sc->req[i].id, FCGI_STDOUT, body);
			sreq_end(sc, &sc->req[i], 0);
		}
		break;
	default:
		break;
	}
}

static int s_event(void *arg, const struct fcgi_event *ev)
{
	struct sc *sc = arg;
	struct srv *s = sc->s;
	struct fcgi_params v;
	struct sreq *r;

	switch (ev->type) {
	case FCGI_EV_BEGIN:
		s->begins++;
		r = sreq(sc, ev->request_id);
		r->keep = (ev->flags & FCGI_KEEP_CONN) != 0;
		r->role = ev->role;
		break;
	case FCGI_EV_STDIN:
	case FCGI_EV_DATA:
		r = sreq(sc, ev->request_id);
		if (ev->len > 0) {
			assert_int_equal(
				fcgi_buf_append(ev->type == FCGI_EV_STDIN
							? &r->in
							: &r->data,
						ev->data, ev->len),
				0);
			break;
		}
		/* A Filter's request is complete at the end of DATA. */
		if (ev->type == FCGI_EV_STDIN && r->role == FCGI_FILTER)
			break;
		r->ready = 1;
		answer(sc, r);
		break;
	case FCGI_EV_ABORT:
		s->aborts++;
		if (s->mode == S_ABORT_ANSWER)
			sreq_end(sc, sreq(sc, ev->request_id), 99);
		break;
	case FCGI_EV_GET_VALUES:
		s->gets++;
		if (s->values_silent)
			break;
		if (s->mode == S_BAD_VALUES) {
			/* "AB" then a pair declaring 2^31-1 name bytes. */
			raw_record(sc, FCGI_GET_VALUES_RESULT, 0,
				   "\x01\x01"
				   "AB\xff\xff\xff\xff\x01xyz",
				   11);
			break;
		}
		fcgi_params_init(&v, NULL);
		fcgi_params_add(&v, "FCGI_MPXS_CONNS", 15,
				s->values_mpx ? "1" : "0", 1);
		fcgi_params_add(&v, "FCGI_MAX_REQS", 13, "8", 1);
		assert_int_equal(fcgi_conn_values_result(sc->conn, &v), 0);
		fcgi_params_fini(&v);
		break;
	default:
		break;
	}
	return 0;
}

static void sc_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct sc *sc = h->data;

	(void)hint;
	b->base = (char *)sc->rbuf;
	b->len = sizeof(sc->rbuf);
}

static void sc_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
	struct sc *sc = st->data;

	if (sc->closed)
		return;
	if (n > 0) {
		(void)fcgi_conn_recv(sc->conn, FCGI_DIR_TO_APP,
				     (const uint8_t *)b->base, (size_t)n);
		sc_flush(sc);
		return;
	}
	if (n < 0 && !sc->closed) {
		sc->closed = 1;
		fcgi_io_close(sc->st, NULL, NULL);
	}
}

static void on_accept(uv_stream_t *lst, int status)
{
	struct srv *s = lst->data;
	struct fcgi_callbacks cb;
	struct sc *sc;

	assert_int_equal(status, 0);
	sc = calloc(1, sizeof(*sc));
	assert_non_null(sc);
	sc->s = s;
	assert_int_equal(fcgi_io_accept(&sc->st, lst), 0);
	assert_non_null(sc->st);
	sc->st->data = sc;
	memset(&cb, 0, sizeof(cb));
	cb.on_event = s_event;
	(void)fcgi_conn_new(&sc->conn, FCGI_MODE_APP, NULL, &cb, sc);
	assert_non_null(sc->conn);
	sc->next = s->conns;
	s->conns = sc;
	s->accepted++;
	assert_int_equal(uv_read_start(sc->st, sc_alloc, sc_read), 0);
}

/* A server's address (in a new directory), parsed into a. */
static void srv_prepare(struct srv *s, enum smode mode, struct fcgi_addr *a)
{
	char err[128];

	memset(s, 0, sizeof(*s));
	s->mode = mode;
	snprintf(s->dir, sizeof(s->dir), "/tmp/fcgitool-client.XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->path, sizeof(s->path), "%s/s.sock", s->dir);
	snprintf(s->text, sizeof(s->text), "unix:%s", s->path);
	assert_int_equal(fcgi_addr_parse(a, s->text, err, sizeof(err)), 0);
}

static void srv_listen(struct srv *s, uv_loop_t *loop)
{
	struct fcgi_addr a;
	char err[128];

	s->loop = loop;
	assert_int_equal(fcgi_addr_parse(&a, s->text, err, sizeof(err)), 0);
	assert_int_equal(fcgi_io_listen(loop, &a, 16, 0600, on_accept, s,
					&s->lst, err, sizeof(err)),
			 0);
}

/* Close everything the server holds (before the client is freed: its
 * loop runs until every handle is closed). */
static void srv_stop(struct srv *s)
{
	struct sc *sc, *next;
	int i;

	fcgi_io_close(s->lst, NULL, NULL);
	for (sc = s->conns; sc != NULL; sc = next) {
		next = sc->next;
		if (!sc->closed)
			fcgi_io_close(sc->st, NULL, NULL);
		sc->closed = 1;
	}
	/* Let the closes and writes finish, then free. */
	uv_run(s->loop, UV_RUN_NOWAIT);
	uv_run(s->loop, UV_RUN_NOWAIT);
	for (sc = s->conns; sc != NULL; sc = next) {
		next = sc->next;
		for (i = 0; i < 16; i++) {
			fcgi_buf_fini(&sc->req[i].in);
			fcgi_buf_fini(&sc->req[i].data);
		}
		fcgi_conn_free(sc->conn);
		free(sc);
	}
	s->conns = NULL;
	unlink(s->path);
	rmdir(s->dir);
}

/* ---- helpers ----------------------------------------------------------- */

struct fix {
	struct srv s;
	struct fcgi_client *c;
	struct fcgi_addr a;
	int done_calls;
	int last_done_error;
};

static struct fcgi_client *client(struct fix *f, enum smode mode,
				  struct fcgi_client_opts *o)
{
	struct fcgi_client_opts d;

	if (o == NULL) {
		fcgi_client_opts_default(&d);
		d.abort_grace_ms = 50;
		o = &d;
	}
	/* The server listens on the client's own loop. */
	srv_prepare(&f->s, mode, &f->a);
	assert_int_equal(fcgi_client_new(&f->c, NULL, &f->a, o), 0);
	srv_listen(&f->s, fcgi_client_loop(f->c));
	return f->c;
}

static void finish(struct fix *f)
{
	srv_stop(&f->s);
	fcgi_client_free(f->c);
}

static void on_done(struct fcgi_client_req *r,
		    const struct fcgi_client_result *res, void *arg)
{
	struct fix *f = arg;

	(void)r;
	f->done_calls++;
	f->last_done_error = res->error;
}

static const struct fcgi_client_req_cb done_cb = { .on_done = on_done };

static struct fcgi_client_req *req(struct fix *f,
				   struct fcgi_client_req_opts *o)
{
	struct fcgi_client_req_opts d;
	struct fcgi_client_req *r;

	if (o == NULL) {
		fcgi_client_req_opts_default(&d);
		o = &d;
	}
	o->collect = 1;
	if (o->cb == NULL) {
		o->cb = &done_cb;
		o->arg = f;
	}
	assert_int_equal(fcgi_client_req_new(&r, f->c, o), 0);
	return r;
}

static void assert_bytes(const struct fcgi_buf *b, const void *p, size_t n)
{
	assert_int_equal(b->len, n);
	if (n > 0)
		assert_memory_equal(b->data, p, n);
}

static int has_violation(const struct fcgi_client_result *res,
			 enum fcgi_vcode code)
{
	size_t i;

	for (i = 0; i < res->n_violations; i++)
		if (res->violations[i].code == code)
			return 1;
	return 0;
}

/* ---- tests --------------------------------------------------------------- */

static void test_client_run_hello(void **state)
{
	struct fix f;
	struct fcgi_client_req *r;
	const struct fcgi_client_result *res;
	struct fcgi_nv nv;

	(void)state;
	memset(&f, 0, sizeof(f));
	client(&f, S_HELLO, NULL);
	r = req(&f, NULL);
	assert_int_equal(fcgi_client_run(r), 0);
	assert_true(fcgi_client_req_is_done(r));
	assert_int_equal(f.done_calls, 1);
	res = fcgi_client_req_result(r);
	assert_int_equal(res->error, 0);
	assert_string_equal(res->error_msg, "");
	assert_true(res->ended);
	assert_int_equal(res->app_status, 0);
	assert_int_equal(res->protocol_status, FCGI_REQUEST_COMPLETE);
	assert_int_equal(res->request_id, 1);
	assert_int_equal(res->conn, 1);
	assert_false(res->reused);
	assert_false(res->aborted);
	assert_true(res->headers_done);
	assert_int_equal(res->status, 200);
	assert_string_equal(res->reason, "OK");
	assert_int_equal(fcgi_params_gets(res->headers, "Content-Type", &nv),
			 1);
	assert_int_equal(nv.value_len, 10);
	assert_memory_equal(nv.value, "text/plain", 10);
	assert_bytes(&res->body, "hello", 5);
	assert_bytes(&res->err, "warn\n", 5);
	assert_int_equal(res->body_bytes, 5);
	assert_int_equal(res->stdout_bytes, 49);
	assert_int_equal(res->stderr_bytes, 5);
	assert_int_equal(res->n_violations, 0);
	assert_true(res->t.connect_ms >= 0);
	assert_true(res->t.first_byte_ms >= 0);
	assert_true(res->t.total_ms >= res->t.first_byte_ms);
	assert_int_equal(f.s.begins, 1);
	fcgi_client_req_free(r);
	finish(&f);
}

static void test_client_bodies(void **state)
{
	struct fix f;
	struct fcgi_client_req_opts o;
	struct fcgi_client_req *r;
	const struct fcgi_client_result *res;
	char path[] = "/tmp/fcgitool-body.XXXXXX";
	uint8_t *big, *both;
	size_t n = 300000, i;
	int fd, p[2];

	(void)state;
	big = malloc(n);
	both = malloc(2 * n);
	assert_non_null(big);
	assert_non_null(both);
	for (i = 0; i < n; i++)
		big[i] = (uint8_t)(i * 7 + i / 251);
	memset(&f, 0, sizeof(f));
	client(&f, S_ECHO, NULL);

	/* From memory. */
	fcgi_client_req_opts_default(&o);
	o.in.kind = FCGI_BODY_MEM;
	o.in.data = big;
	o.in.len = n;
	r = req(&f, &o);
	assert_int_equal(fcgi_client_run(r), 0);
	res = fcgi_client_req_result(r);
	assert_bytes(&res->body, big, n);
	assert_int_equal(res->stdin_bytes, n);
	fcgi_client_req_free(r);

	/* From a file, twice at once from the same descriptor. */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, big, n), (ssize_t)n);
	fcgi_client_req_opts_default(&o);
	o.in.kind = FCGI_BODY_FD;
	o.in.fd = fd;
	o.in.offset = 1000;
	r = req(&f, &o);
	assert_int_equal(fcgi_client_run(r), 0);
	res = fcgi_client_req_result(r);
	assert_bytes(&res->body, big + 1000, n - 1000);
	fcgi_client_req_free(r);

	/* A Filter: STDIN from the file, DATA from memory. */
	fcgi_client_req_opts_default(&o);
	o.role = FCGI_FILTER;
	o.in.kind = FCGI_BODY_FD;
	o.in.fd = fd;
	o.data.kind = FCGI_BODY_MEM;
	o.data.data = big;
	o.data.len = n;
	r = req(&f, &o);
	assert_int_equal(fcgi_client_run(r), 0);
	res = fcgi_client_req_result(r);
	memcpy(both, big, n);
	memcpy(both + n, big, n);
	assert_bytes(&res->body, both, 2 * n);
	assert_int_equal(res->data_bytes, n);
	fcgi_client_req_free(r);
	close(fd);

	/* From a pipe, read as it comes; the descriptor stays open. */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], big, 60000), 60000);
	close(p[1]);
	fcgi_client_req_opts_default(&o);
	o.in.kind = FCGI_BODY_FD;
	o.in.fd = p[0];
	r = req(&f, &o);
	assert_int_equal(fcgi_client_run(r), 0);
	res = fcgi_client_req_result(r);
	assert_bytes(&res->body, big, 60000);
	fcgi_client_req_free(r);
	assert_true(fcntl(p[0], F_GETFD) != -1);
	close(p[0]);
	finish(&f);
	free(big);
	free(both);
}

/* Notes of kind "stall" seen by a trace. */
static void count_stalls(void *arg, unsigned conn, double ts, const char *what,
			 const char *detail)
{
	unsigned *n = arg;

	(void)conn;
	(void)ts;
	(void)detail;
	if (strcmp(what, "stall") == 0)
		(*n)++;
}

/* Send n bytes from memory or from a file and check that they come back
 * with no stall; the request gives up after 30 s rather than hang. */
static void big_echo(struct fix *f, const uint8_t *data, size_t n, int fd)
{
	struct fcgi_client_req_opts o;
	struct fcgi_client_req *r;
	const struct fcgi_client_result *res;

	fcgi_client_req_opts_default(&o);
	if (fd >= 0) {
		o.in.kind = FCGI_BODY_FD;
		o.in.fd = fd;
	} else {
		o.in.kind = FCGI_BODY_MEM;
		o.in.data = data;
		o.in.len = n;
	}
	o.timeout_ms = 30000;
	r = req(f, &o);
	assert_int_equal(fcgi_client_run(r), 0);
	res = fcgi_client_req_result(r);
	assert_int_equal(res->stdin_bytes, n);
	assert_bytes(&res->body, data, n);
	assert_int_equal(res->stalls, 0);
	fcgi_client_req_free(r);
}

/*
 * Issue 14: 8 MiB bodies over TCP, where the socket often takes the whole
 * queue at once.  A body stopped at the high-water mark was then never
 * resumed: the request hung (or, with the stall check, stalled).
 */
static void test_client_big_bodies_tcp(void **state)
{
	struct fcgi_client_opts o;
	struct fcgi_client_trace tr;
	struct fix f;
	uv_loop_t loop;
	char name[160], err[128], path[] = "/tmp/fcgitool-big.XXXXXX";
	size_t n = 8u << 20, i;
	unsigned stalls = 0;
	uint8_t *big;
	int fd, round;

	(void)state;
	big = malloc(n);
	assert_non_null(big);
	for (i = 0; i < n; i++)
		big[i] = (uint8_t)(i * 13 + i / 4093);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, big, n), (ssize_t)n);
	memset(&f, 0, sizeof(f));
	memset(&tr, 0, sizeof(tr));
	tr.on_note = count_stalls;
	tr.arg = &stalls;
	assert_int_equal(uv_loop_init(&loop), 0);
	srv_prepare(&f.s, S_ECHO, &f.a);
	snprintf(f.s.text, sizeof(f.s.text), "127.0.0.1:0");
	srv_listen(&f.s, &loop);
	assert_non_null(fcgi_io_sockname(f.s.lst, name, sizeof(name)));
	assert_int_equal(fcgi_addr_parse(&f.a, name, err, sizeof(err)), 0);
	fcgi_client_opts_default(&o);
	o.stall_check_ms = 50;
	o.trace = &tr;
	assert_int_equal(fcgi_client_new(&f.c, &loop, &f.a, &o), 0);
	for (round = 0; round < 3; round++) {
		big_echo(&f, big, n, -1);
		big_echo(&f, big, n, fd);
	}
	assert_int_equal(stalls, 0);
	fcgi_client_free(f.c);
	srv_stop(&f.s);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	close(fd);
	free(big);
}

/* The stall check repairs a lost wake-up (made on purpose here). */
static void test_client_stall_repaired(void **state)
{
	struct fcgi_client_opts o;
	struct fcgi_client_trace tr;
	struct fcgi_client_req_opts ro;
	struct fcgi_client_req *r;
	const struct fcgi_client_result *res;
	struct fix f;
	size_t n = 2u << 20, i;
	unsigned stalls = 0;
	uint8_t *big;

	(void)state;
	big = malloc(n);
	assert_non_null(big);
	for (i = 0; i < n; i++)
		big[i] = (uint8_t)(i * 5 + i / 1021);
	memset(&f, 0, sizeof(f));
	memset(&tr, 0, sizeof(tr));
	tr.on_note = count_stalls;
	tr.arg = &stalls;
	fcgi_client_opts_default(&o);
	o.stall_check_ms = 20;
	o.trace = &tr;
	client(&f, S_ECHO, &o);
	fcgi_client_lose_wakeups(f.c, 3);
	fcgi_client_req_opts_default(&ro);
	ro.in.kind = FCGI_BODY_MEM;
	ro.in.data = big;
	ro.in.len = n;
	ro.timeout_ms = 30000;
	r = req(&f, &ro);
	assert_int_equal(fcgi_client_run(r), 0);
	res = fcgi_client_req_result(r);
	assert_bytes(&res->body, big, n);
	assert_true(res->stalls >= 1);
	assert_int_equal(res->stalls, stalls);
	fcgi_client_req_free(r);
	finish(&f);
	free(big);
}

/* One request to a server in mode; its result stays with the caller. */
static struct fcgi_client_req *contract_one(struct fix *f, enum smode mode,
					    uint64_t linger_ms)
{
	struct fcgi_client_opts o;
	struct fcgi_client_req *r;

	memset(f, 0, sizeof(*f));
	fcgi_client_opts_default(&o);
	o.linger_ms = linger_ms;
	o.abort_grace_ms = 50;
	client(f, mode, &o);
	r = req(f, NULL);
	(void)fcgi_client_run(r);
	return r;
}

/* Answers that break the Responder's contract fail with FCGI_EPROTO and
 * say why (issue 14, items 8 to 11). */
static void test_client_contract(void **state)
{
	const struct fcgi_client_result *res;
	struct fcgi_client_req_opts o;
	struct fcgi_client_req *r;
	struct fcgi_params names;
	struct fix f;

	(void)state;
	r = contract_one(&f, S_NO_STDOUT, 0);
	res = fcgi_client_req_result(r);
	assert_int_equal(res->error, FCGI_EPROTO);
	assert_string_equal(res->error_msg, "no CGI response: END_REQUEST "
					    "came with no STDOUT, only STDERR");
	assert_int_equal(res->cgi_error, FCGI_CGI_EMPTY);
	assert_true(res->ended);
	assert_bytes(&res->err, "oops\n", 5);
	fcgi_client_req_free(r);
	finish(&f);

	r = contract_one(&f, S_BAD_CGI, 0);
	res = fcgi_client_req_result(r);
	assert_int_equal(res->error, FCGI_EPROTO);
	assert_int_equal(res->cgi_error, FCGI_CGI_BAD_STATUS);
	assert_int_equal(res->cgi_error_line, 1);
	assert_int_equal(res->cgi_error_offset, 0);
	assert_string_equal(res->error_msg,
			    "bad CGI response: invalid Status \"2OO\" in "
			    "header line 1: not a 3-digit code from 100 to "
			    "599 and a reason (offset 0)");
	assert_bytes(&res->body, "Status: 2OO\r\n\r\nx", 16);
	fcgi_client_req_free(r);
	finish(&f);

	r = contract_one(&f, S_FOREIGN, 0);
	res = fcgi_client_req_result(r);
	assert_int_equal(res->error, FCGI_EPROTO);
	assert_string_equal(res->error_msg,
			    "the server answered request id 2, not 1");
	assert_true(has_violation(res, FCGI_V_NO_BEGIN));
	fcgi_client_req_free(r);
	finish(&f);

	/* GET_VALUES_RESULT whose second pair overruns the record. */
	memset(&f, 0, sizeof(f));
	client(&f, S_BAD_VALUES, NULL);
	fcgi_params_init(&names, NULL);
	fcgi_params_add(&names, "AB", 2, "", 0);
	fcgi_client_req_opts_default(&o);
	o.get_values = &names;
	r = req(&f, &o);
	fcgi_params_fini(&names);
	assert_int_equal(fcgi_client_run(r), FCGI_EPROTO);
	assert_string_equal(fcgi_client_req_result(r)->error_msg,
			    "bad GET_VALUES_RESULT: pair 2 declares a "
			    "2147483647-byte name and a 1-byte value, 2 bytes "
			    "left in the record");
	fcgi_client_req_free(r);
	finish(&f);
}

/* Reading on after END_REQUEST until the server closes (linger_ms). */
static void test_client_linger(void **state)
{
	const struct fcgi_client_result *res;
	struct fcgi_client_req *r;
	struct fix f;

	(void)state;
	/* A second END_REQUEST counts against the request... */
	r = contract_one(&f, S_TWICE, 1000);
	res = fcgi_client_req_result(r);
	assert_int_equal(res->error, 0);
	assert_true(has_violation(res, FCGI_V_AFTER_END_REQUEST));
	assert_bytes(&res->body, "ok", 2);
	fcgi_client_req_free(r);
	finish(&f);
	/* ... but not without linger_ms: the connection is closed at once
	 * and it is not read. */
	r = contract_one(&f, S_TWICE, 0);
	assert_false(has_violation(fcgi_client_req_result(r),
				   FCGI_V_AFTER_END_REQUEST));
	fcgi_client_req_free(r);
	finish(&f);

	/* A server that keeps the connection: done after linger_ms, well. */
	r = contract_one(&f, S_STAY, 60);
	res = fcgi_client_req_result(r);
	assert_int_equal(res->error, 0);
	assert_true(res->ended);
	assert_true(res->t.total_ms >= 55);
	assert_bytes(&res->body, "ok", 2);
	fcgi_client_req_free(r);
	finish(&f);
}

static void test_client_keep_conn(void **state)
{
	struct fix f;
	struct fcgi_client_opts o;
	struct fcgi_client_req *r;
	int i;

	(void)state;
	memset(&f, 0, sizeof(f));
	fcgi_client_opts_default(&o);
	o.keep_conn = 1;
	client(&f, S_HELLO, &o);
	for (i = 0; i < 3; i++) {
		r = req(&f, NULL);
		assert_int_equal(fcgi_client_run(r), 0);
		assert_int_equal(fcgi_client_req_result(r)->conn, 1);
		assert_int_equal(fcgi_client_req_result(r)->reused, i > 0);
		assert_int_equal(fcgi_client_req_result(r)->request_id, 1);
		fcgi_client_req_free(r);
	}
	assert_int_equal(f.s.accepted, 1);
	finish(&f);

	/* Without KEEP_CONN a connection per request. */
	memset(&f, 0, sizeof(f));
	client(&f, S_HELLO, NULL);
	for (i = 0; i < 2; i++) {
		r = req(&f, NULL);
		assert_int_equal(fcgi_client_run(r), 0);
		assert_int_equal(fcgi_client_req_result(r)->conn, i + 1);
		assert_false(fcgi_client_req_result(r)->reused);
		fcgi_client_req_free(r);
	}
	assert_int_equal(f.s.accepted, 2);
	finish(&f);
}

/* Three requests at once; the server answers when all are in. */
static void mpx_three(enum fcgi_client_mpx mode, int values_mpx,
		      int values_silent, enum smode smode, unsigned gets)
{
	struct fix f;
	struct fcgi_client_opts o;
	struct fcgi_client_req *r[3];
	const struct fcgi_client_result *res;
	char want[16];
	int i;

	memset(&f, 0, sizeof(f));
	fcgi_client_opts_default(&o);
	o.keep_conn = 1;
	o.mpx = mode;
	o.probe_timeout_ms = 100;
	o.timeout_ms = 3000;
	client(&f, smode, &o);
	f.s.values_mpx = values_mpx;
	f.s.values_silent = values_silent;
	f.s.reverse_n = 3;
	for (i = 0; i < 3; i++) {
		r[i] = req(&f, NULL);
		assert_int_equal(fcgi_client_process(r[i]), 0);
	}
	assert_int_equal(fcgi_client_wait_all(f.c), 0);
	for (i = 0; i < 3; i++) {
		res = fcgi_client_req_result(r[i]);
		assert_int_equal(res->error, 0);
		assert_int_equal(res->conn, 1);
		if (smode == S_REVERSE) {
			snprintf(want, sizeof(want), "id %u",
				 (unsigned)res->request_id);
			assert_bytes(&res->body, want, strlen(want));
		}
		fcgi_client_req_free(r[i]);
	}
	assert_int_equal(f.done_calls, 3);
	assert_int_equal(f.s.accepted, 1);
	assert_int_equal(f.s.gets, gets);
	finish(&f);
}

static void test_client_mpx(void **state)
{
	(void)state;
	mpx_three(FCGI_CLIENT_MPX_ON, 0, 0, S_REVERSE, 0);
	mpx_three(FCGI_CLIENT_MPX_ASK, 1, 0, S_REVERSE, 1);
	/* The server says no, or nothing: one at a time. */
	mpx_three(FCGI_CLIENT_MPX_ASK, 0, 0, S_HELLO, 1);
	mpx_three(FCGI_CLIENT_MPX_ASK, 0, 1, S_HELLO, 1);
}

static void test_client_get_values(void **state)
{
	struct fix f;
	struct fcgi_client_req_opts o;
	struct fcgi_client_req *r;
	const struct fcgi_client_result *res;
	struct fcgi_params names;
	struct fcgi_nv nv;

	(void)state;
	memset(&f, 0, sizeof(f));
	client(&f, S_HELLO, NULL);
	f.s.values_mpx = 1;
	fcgi_params_init(&names, NULL);
	fcgi_params_add(&names, "FCGI_MPXS_CONNS", 15, "", 0);
	fcgi_client_req_opts_default(&o);
	o.get_values = &names;
	r = req(&f, &o);
	fcgi_params_fini(&names);
	assert_int_equal(fcgi_client_run(r), 0);
	res = fcgi_client_req_result(r);
	assert_int_equal(res->request_id, 0);
	assert_false(res->values_unknown);
	assert_int_equal(fcgi_params_gets(res->values, "FCGI_MPXS_CONNS", &nv),
			 1);
	assert_memory_equal(nv.value, "1", 1);
	assert_int_equal(f.s.gets, 1);
	assert_int_equal(f.s.begins, 0);
	fcgi_client_req_free(r);
	finish(&f);
}

static void test_client_timeouts(void **state)
{
	struct fix f;
	struct fcgi_client_opts o;
	struct fcgi_client_req_opts ro;
	struct fcgi_client_req *r;
	const struct fcgi_client_result *res;

	(void)state;
	/* Total: ABORT_REQUEST, then the connection is given up. */
	memset(&f, 0, sizeof(f));
	fcgi_client_opts_default(&o);
	o.abort_grace_ms = 50;
	client(&f, S_SILENT, &o);
	fcgi_client_req_opts_default(&ro);
	ro.timeout_ms = 100;
	r = req(&f, &ro);
	assert_int_equal(fcgi_client_run(r), FCGI_ETIMEDOUT);
	res = fcgi_client_req_result(r);
	assert_string_equal(res->error_msg, "timed out after 100 ms");
	assert_true(res->aborted);
	assert_false(res->ended);
	assert_int_equal(f.s.aborts, 1);
	fcgi_client_req_free(r);
	finish(&f);

	/* Idle. */
	memset(&f, 0, sizeof(f));
	fcgi_client_opts_default(&o);
	o.abort_grace_ms = 50;
	o.idle_timeout_ms = 80;
	client(&f, S_SILENT, &o);
	r = req(&f, NULL);
	assert_int_equal(fcgi_client_run(r), FCGI_ETIMEDOUT);
	assert_string_equal(fcgi_client_req_result(r)->error_msg,
			    "no data from the server for 80 ms");
	fcgi_client_req_free(r);
	finish(&f);

	/* --abort-after: the server's END_REQUEST is the answer. */
	memset(&f, 0, sizeof(f));
	client(&f, S_ABORT_ANSWER, NULL);
	fcgi_client_req_opts_default(&ro);
	ro.abort_after_ms = 30;
	r = req(&f, &ro);
	assert_int_equal(fcgi_client_run(r), 0);
	res = fcgi_client_req_result(r);
	assert_true(res->aborted);
	assert_true(res->ended);
	assert_int_equal(res->app_status, 99);
	fcgi_client_req_free(r);
	finish(&f);
}

static void test_client_connect_fails(void **state)
{
	struct fcgi_client *c;
	struct fcgi_client_req_opts o;
	struct fcgi_client_req *r;
	struct fcgi_addr a;
	char err[64];

	(void)state;
	assert_int_equal(fcgi_addr_parse(&a, "/nonexistent/dir/s.sock", err,
					 sizeof(err)),
			 0);
	assert_int_equal(fcgi_client_new(&c, NULL, &a, NULL), 0);
	fcgi_client_req_opts_default(&o);
	assert_int_equal(fcgi_client_req_new(&r, c, &o), 0);
	assert_int_equal(fcgi_client_run(r), FCGI_ECONNECT);
	assert_string_equal(fcgi_client_req_result(r)->error_msg,
			    "cannot connect to 'unix:/nonexistent/dir/s.sock':"
			    " no such file or directory");
	fcgi_client_req_free(r);
	fcgi_client_free(c);
}

static void test_client_bad_servers(void **state)
{
	struct fix f;
	struct fcgi_client_req *r;
	const struct fcgi_client_result *res;

	(void)state;
	memset(&f, 0, sizeof(f));
	client(&f, S_GARBAGE, NULL);
	r = req(&f, NULL);
	assert_int_equal(fcgi_client_run(r), FCGI_EPROTO);
	res = fcgi_client_req_result(r);
	assert_true(has_violation(res, FCGI_V_BAD_VERSION));
	assert_string_equal(res->error_msg,
			    "the server sent bytes that are not FastCGI: bad "
			    "version 72 at offset 0 (record 1); the rest of "
			    "this direction is not decoded");
	fcgi_client_req_free(r);
	finish(&f);

	memset(&f, 0, sizeof(f));
	client(&f, S_CLOSE_MID, NULL);
	r = req(&f, NULL);
	assert_int_equal(fcgi_client_run(r), FCGI_ECLOSED);
	res = fcgi_client_req_result(r);
	assert_bytes(&res->body, "part", 4);
	assert_true(has_violation(res, FCGI_V_EOF_MID_REQUEST));
	fcgi_client_req_free(r);
	finish(&f);
}

static void test_client_abort_and_free(void **state)
{
	struct fix f;
	struct fcgi_client_req *r;
	int i;

	(void)state;
	/* Aborted before the loop ran: never sent. */
	memset(&f, 0, sizeof(f));
	client(&f, S_SILENT, NULL);
	r = req(&f, NULL);
	assert_int_equal(fcgi_client_abort(r, 0), FCGI_ESTATE);
	assert_int_equal(fcgi_client_process(r), 0);
	assert_int_equal(fcgi_client_abort(r, FCGI_ECANCELED), 0);
	assert_int_equal(fcgi_client_wait(r), FCGI_ECANCELED);
	assert_int_equal(f.s.begins, 0);
	assert_int_equal(fcgi_client_abort(r, 0), FCGI_ESTATE);
	fcgi_client_req_free(r);

	/* Aborted while open: ABORT_REQUEST, then given up on. */
	r = req(&f, NULL);
	assert_int_equal(fcgi_client_process(r), 0);
	for (i = 0; i < 20 && f.s.begins == 0; i++)
		uv_run(fcgi_client_loop(f.c), UV_RUN_ONCE);
	assert_int_equal(fcgi_client_abort(r, FCGI_ECANCELED), 0);
	assert_int_equal(fcgi_client_wait(r), FCGI_ECANCELED);
	assert_string_equal(fcgi_client_req_result(r)->error_msg,
			    "interrupted");
	assert_true(fcgi_client_req_result(r)->aborted);
	fcgi_client_req_free(r);

	/* Freed while open: no on_done, nothing leaks. */
	f.done_calls = 0;
	r = req(&f, NULL);
	assert_int_equal(fcgi_client_process(r), 0);
	uv_run(fcgi_client_loop(f.c), UV_RUN_NOWAIT);
	fcgi_client_req_free(r);

	finish(&f);
}

/* The client freed with a request open: on_done says canceled.  On the
 * caller's loop, which the server shares. */
static void test_client_free_open(void **state)
{
	struct fix f;
	struct fcgi_client_req *r;
	uv_loop_t loop;
	int i;

	(void)state;
	memset(&f, 0, sizeof(f));
	assert_int_equal(uv_loop_init(&loop), 0);
	srv_prepare(&f.s, S_SILENT, &f.a);
	srv_listen(&f.s, &loop);
	assert_int_equal(fcgi_client_new(&f.c, &loop, &f.a, NULL), 0);
	r = req(&f, NULL);
	assert_int_equal(fcgi_client_process(r), 0);
	for (i = 0; i < 20 && f.s.begins == 0; i++)
		uv_run(&loop, UV_RUN_ONCE);
	assert_int_equal(f.s.begins, 1);
	fcgi_client_free(f.c);
	assert_int_equal(f.done_calls, 1);
	assert_int_equal(f.last_done_error, FCGI_ECANCELED);
	assert_true(fcgi_client_req_is_done(r));
	assert_int_equal(fcgi_client_req_result(r)->error, FCGI_ECANCELED);
	assert_string_equal(fcgi_client_req_result(r)->error_msg,
			    "the client was freed");
	assert_int_equal(fcgi_client_wait(r), FCGI_ECANCELED);
	fcgi_client_req_free(r);
	uv_run(&loop, UV_RUN_NOWAIT);
	/* The server saw the ABORT_REQUEST that went out on the way. */
	assert_int_equal(f.s.aborts, 1);
	srv_stop(&f.s);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_client_external_loop(void **state)
{
	struct srv s;
	uv_loop_t loop;
	struct fcgi_client *c;
	struct fcgi_client_req_opts o;
	struct fcgi_client_req *r;
	struct fcgi_addr a;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	srv_prepare(&s, S_HELLO, &a);
	srv_listen(&s, &loop);
	assert_int_equal(fcgi_client_new(&c, &loop, &a, NULL), 0);
	assert_ptr_equal(fcgi_client_loop(c), &loop);
	fcgi_client_req_opts_default(&o);
	o.collect = 1;
	assert_int_equal(fcgi_client_req_new(&r, c, &o), 0);
	assert_int_equal(fcgi_client_run(r), 0);
	assert_bytes(&fcgi_client_req_result(r)->body, "hello", 5);
	fcgi_client_req_free(r);
	fcgi_client_free(c);
	srv_stop(&s);
	/* Everything lets go of the caller's loop. */
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_client_bad_arguments(void **state)
{
	struct fcgi_client *c;
	struct fcgi_client_req_opts o;
	struct fcgi_client_req *r;
	struct fcgi_addr a;
	char err[64];

	(void)state;
	assert_int_equal(fcgi_addr_parse(&a, "/tmp/x.sock", err, sizeof(err)),
			 0);
	assert_int_equal(fcgi_client_new(NULL, NULL, &a, NULL), FCGI_EINVAL);
	assert_int_equal(fcgi_client_new(&c, NULL, NULL, NULL), FCGI_EINVAL);
	a.family = 12345;
	assert_int_equal(fcgi_client_new(&c, NULL, &a, NULL), FCGI_EINVAL);
	assert_int_equal(fcgi_addr_parse(&a, "/tmp/x.sock", err, sizeof(err)),
			 0);
	assert_int_equal(fcgi_client_new(&c, NULL, &a, NULL), 0);
	fcgi_client_req_opts_default(&o);
	o.role = 9;
	assert_int_equal(fcgi_client_req_new(&r, c, &o), FCGI_EINVAL);
	fcgi_client_req_opts_default(&o);
	o.data.kind = FCGI_BODY_MEM;
	assert_int_equal(fcgi_client_req_new(&r, c, &o), FCGI_EINVAL);
	fcgi_client_req_opts_default(&o);
	o.in.kind = FCGI_BODY_FD;
	o.in.fd = -1;
	assert_int_equal(fcgi_client_req_new(&r, c, &o), FCGI_EINVAL);
	fcgi_client_req_opts_default(&o);
	o.in.kind = FCGI_BODY_MEM;
	o.in.len = 3;
	assert_int_equal(fcgi_client_req_new(&r, c, &o), FCGI_EINVAL);
	fcgi_client_req_opts_default(&o);
	assert_int_equal(fcgi_client_req_new(&r, c, &o), 0);
	assert_int_equal(fcgi_client_wait(r), FCGI_ESTATE);
	assert_false(fcgi_client_req_is_done(r));
	fcgi_client_req_free(r);
	fcgi_client_req_free(NULL);
	fcgi_client_free(c);
	fcgi_client_free(NULL);
}

/* One hello with every allocation of the client's failing in turn. */
static int sweep_one(void *arg, const struct fcgi_mem *mem)
{
	const struct failmem *fm = (const struct failmem *)(const void *)mem;
	const struct fcgi_client_result *res;
	struct fcgi_client_opts o;
	struct fcgi_client_req_opts ro;
	struct fcgi_client_req *r;
	struct fcgi_client *c;
	struct fcgi_addr a;
	struct srv s;
	int rc, perfect;

	(void)arg;
	fcgi_client_opts_default(&o);
	o.conn.mem = mem;
	o.keep_conn = 1;
	srv_prepare(&s, S_HELLO, &a);
	rc = fcgi_client_new(&c, NULL, &a, &o);
	if (rc != 0) {
		rmdir(s.dir);
		return rc;
	}
	srv_listen(&s, fcgi_client_loop(c));
	fcgi_client_req_opts_default(&ro);
	ro.collect = 1;
	rc = fcgi_client_req_new(&r, c, &ro);
	if (rc == 0) {
		rc = fcgi_client_run(r);
		res = fcgi_client_req_result(r);
		perfect = rc == 0 && res->body.len == 5 && res->err.len == 5 &&
			  res->status == 200 && !res->cgi_error;
		if (rc == 0 && !perfect)
			rc = fm->failed ? FCGI_ENOMEM : -1;
		fcgi_client_req_free(r);
	}
	srv_stop(&s);
	fcgi_client_free(c);
	/* A refused allocation with a fallback (a violation not kept, say)
	 * still counts as seen. */
	if (rc == 0 && fm->failed)
		rc = FCGI_ENOMEM;
	return rc;
}

static void test_client_enomem_sweep(void **state)
{
	char why[160];
	long hits;

	(void)state;
	why[0] = '\0';
	hits = failmem_sweep(sweep_one, NULL, 400, why, sizeof(why));
	if (hits < 0)
		fail_msg("%s", why);
	assert_true(hits > 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_client_run_hello),
		cmocka_unit_test(test_client_bodies),
		cmocka_unit_test(test_client_big_bodies_tcp),
		cmocka_unit_test(test_client_stall_repaired),
		cmocka_unit_test(test_client_contract),
		cmocka_unit_test(test_client_linger),
		cmocka_unit_test(test_client_keep_conn),
		cmocka_unit_test(test_client_mpx),
		cmocka_unit_test(test_client_get_values),
		cmocka_unit_test(test_client_timeouts),
		cmocka_unit_test(test_client_connect_fails),
		cmocka_unit_test(test_client_bad_servers),
		cmocka_unit_test(test_client_abort_and_free),
		cmocka_unit_test(test_client_free_open),
		cmocka_unit_test(test_client_external_loop),
		cmocka_unit_test(test_client_bad_arguments),
		cmocka_unit_test(test_client_enomem_sweep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
