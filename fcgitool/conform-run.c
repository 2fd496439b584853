/* SPDX-License-Identifier: MIT */
/*
 * conform-run.c - the driver: a small blocking client with poll(2) and
 * deadlines that writes a case's crafted bytes (whole, a byte at a time,
 * or in random pieces), reads what comes back into the outcome, and
 * opens, half-closes, closes and resets connections as the script says.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conform-cases.h"
#include "fcgi-uv.h"

const char *cf_split_name(unsigned split)
{
	switch (split) {
	case SPLIT_WHOLE:
		return "whole";
	case SPLIT_BYTES:
		return "bytes";
	default:
		return "random";
	}
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(uint64_t ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ---- connecting ---------------------------------------------------------- */

/* Wait for a non-blocking connect; 0 or an errno value. */
static int connect_wait(int fd, uint64_t deadline)
{
	struct pollfd pfd = { fd, POLLOUT, 0 };
	socklen_t len = sizeof(int);
	uint64_t now;
	int rc, soerr = 0;

	for (;;) {
		now = now_ms();
		if (now >= deadline)
			return ETIMEDOUT;
		rc = poll(&pfd, 1, (int)(deadline - now));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return errno;
		if (rc > 0)
			break;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
		return errno;
	return soerr;
}

int cf_connect(const char *target, uint64_t ms, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct sockaddr_un sun;
	struct fcgi_addr a;
	char port[8], why[160];
	int fd = -1, rc = 0, one = 1;
	uint64_t deadline = now_ms() + ms;

	if (fcgi_addr_parse(&a, target, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "'%s': %s", target, why);
		return -1;
	}
	if (a.family == AF_UNIX) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", a.path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    0);
		if (fd < 0)
			rc = errno;
		else if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0)
			rc = errno == EINPROGRESS || errno == EAGAIN
				     ? connect_wait(fd, deadline)
				     : errno;
	} else {
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = a.family;
		hints.ai_socktype = SOCK_STREAM;
		snprintf(port, sizeof(port), "%u", (unsigned)a.port);
		rc = getaddrinfo(a.host, port, &hints, &res);
		if (rc != 0) {
			snprintf(err, errlen, "cannot resolve '%s': %s", a.host,
				 gai_strerror(rc));
			return -1;
		}
		rc = ECONNREFUSED;
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			fd = socket(ai->ai_family,
				    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
				    0);
			if (fd < 0) {
				rc = errno;
				continue;
			}
			if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
				rc = 0;
			else
				rc = errno == EINPROGRESS
					     ? connect_wait(fd, deadline)
					     : errno;
			if (rc == 0)
				break;
			close(fd);
			fd = -1;
		}
		freeaddrinfo(res);
		if (fd >= 0)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
				   sizeof(one));
	}
	if (rc != 0) {
		if (fd >= 0)
			close(fd);
		snprintf(err, errlen, "cannot connect to '%s': %s", target,
			 strerror(rc));
		return -1;
	}
	return fd;
}

/* ---- one run ------------------------------------------------------------ */

struct run {
	const struct cf_run_opts *ro;
	const struct cf_script *s;
	const struct cf_ctx *ctx;
	struct cf_outcome *o;
	int fd[CF_MAX_CONNS];
	unsigned split;
	uint64_t rng;
};

static uint64_t rng_next(struct run *r)
{
	/* xorshift64: reproducible pieces for a given seed. */
	r->rng ^= r->rng << 13;
	r->rng ^= r->rng >> 7;
	r->rng ^= r->rng << 17;
	return r->rng;
}

/* Read what is there on conn c (without blocking); -1 once it closed. */
static int drain(struct run *r, uint8_t c)
{
	uint8_t buf[65536];
	ssize_t n;

	for (;;) {
		if (r->fd[c] < 0 || r->o->conn[c].closed != CL_OPEN)
			return -1;
		n = recv(r->fd[c], buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			cf_outcome_recv(r->o, c, buf, (size_t)n);
			continue;
		}
		if (n == 0) {
			cf_outcome_closed(r->o, c, CL_EOF);
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		cf_outcome_closed(r->o, c, CL_RESET);
		break;
	}
	/* As a web server does once the application closed: some (libfcgi)
	 * wait for our close before they accept the next connection. */
	close(r->fd[c]);
	r->fd[c] = -1;
	return -1;
}

enum until { U_NONE, U_END, U_MGMT, U_CLOSE };

static bool reached(const struct run *r, uint8_t c, enum until u, uint16_t id)
{
	switch (u) {
	case U_END:
		return cf_outcome_has_end(r->o, c, id);
	case U_MGMT:
		return cf_outcome_has_mgmt(r->o, c);
	default:
		return false;
	}
}

/* Read on conn c until the condition holds, the server closes, or the
 * deadline passes. */
static void read_until(struct run *r, uint8_t c, uint64_t ms, enum until u,
		       uint16_t id)
{
	uint64_t deadline = now_ms() + ms, now;
	struct pollfd pfd;
	int rc;

	for (;;) {
		if (drain(r, c) < 0 || reached(r, c, u, id))
			return;
		now = now_ms();
		if (now >= deadline)
			return;
		pfd.fd = r->fd[c];
		pfd.events = POLLIN;
		pfd.revents = 0;
		rc = poll(&pfd, 1, (int)(deadline - now));
		if (rc < 0 && errno != EINTR)
			return;
	}
}

/* Write p[0..n) on conn c as one piece, reading meanwhile so that a
 * server that answers early never blocks us both.  1 when written; 0
 * when try is set and the socket would block before any of it went out
 * (a peer that is not reading: one-byte writes then only fill its
 * buffer); -1 when the server stopped taking bytes. */
static int write_piece(struct run *r, uint8_t c, const uint8_t *p, size_t n,
		       bool try)
{
	uint64_t deadline = now_ms() + r->ctx->timeout_ms, now;
	struct cf_conn_out *co = &r->o->conn[c];
	struct pollfd pfd;
	ssize_t w;

	while (n > 0) {
		if (r->fd[c] < 0) {
			/* The server closed while we were sending. */
			co->write_failed = true;
			co->write_fail_step = r->o->step;
			co->unsent += n;
			return -1;
		}
		w = send(r->fd[c], p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0) {
			cf_outcome_sent(r->o, c, p, (size_t)w);
			p += w;
			n -= (size_t)w;
			try = false;
			deadline = now_ms() + r->ctx->timeout_ms;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			/* EPIPE, ECONNRESET: the server closed. */
			co->write_failed = true;
			co->write_fail_step = r->o->step;
			co->unsent += n;
			(void)drain(r, c);
			if (co->closed == CL_OPEN)
				cf_outcome_closed(r->o, c, CL_RESET);
			if (r->fd[c] >= 0) {
				close(r->fd[c]);
				r->fd[c] = -1;
			}
			return -1;
		}
		if (try)
			return 0;
		now = now_ms();
		if (now >= deadline) {
			/* The server stopped reading. */
			co->write_failed = true;
			co->write_fail_step = r->o->step;
			co->unsent += n;
			return -1;
		}
		pfd.fd = r->fd[c];
		pfd.events = POLLIN | POLLOUT;
		pfd.revents = 0;
		if (poll(&pfd, 1, (int)(deadline - now)) > 0 &&
		    (pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			(void)drain(r, c);
	}
	return 1;
}

/* Where a step's writes are in its records, assuming the step starts at
 * a record boundary (crafted steps that do not merely get odd pieces). */
struct track {
	uint8_t hdr[FCGI_HEADER_LEN];
	size_t have;	 /* header bytes written */
	size_t rec_left; /* content and padding bytes still to write */
};

static void advance(struct track *tr, const uint8_t *p, size_t k)
{
	struct fcgi_header h;
	size_t n;

	while (k > 0) {
		if (tr->rec_left > 0) {
			n = tr->rec_left < k ? tr->rec_left : k;
			tr->rec_left -= n;
			p += n;
			k -= n;
			continue;
		}
		tr->hdr[tr->have++] = *p++;
		k--;
		if (tr->have == FCGI_HEADER_LEN) {
			(void)fcgi_header_decode(&h, tr->hdr, FCGI_HEADER_LEN);
			tr->rec_left =
				(size_t)h.content_length + h.padding_length;
			tr->have = 0;
		}
	}
}

/*
 * The size of the next piece of a step: whole writes take it all; byte
 * writes take one byte while the step's budget lasts, then every header
 * byte still alone but content in pieces of up to 4 KiB that end at the
 * record's end; random writes take 1 to 97 bytes while the budget lasts,
 * then the rest.
 */
static size_t piece(struct run *r, const struct track *tr, size_t left,
		    size_t *budget)
{
	size_t k;

	if (r->split == SPLIT_WHOLE)
		return left;
	if (*budget > 0) {
		k = r->split == SPLIT_BYTES ? 1
					    : 1 + (size_t)(rng_next(r) % 97);
		k = k < left ? k : left;
		*budget = *budget > k ? *budget - k : 0;
		return k;
	}
	if (r->split == SPLIT_RANDOM)
		return left;
	if (tr->rec_left == 0)
		return 1;
	k = tr->rec_left < 4096 ? tr->rec_left : 4096;
	return k < left ? k : left;
}

/* A SEND step cut as the split mode says. */
static void send_step(struct run *r, const struct cf_step *st)
{
	const uint8_t *p = r->s->bytes.data + st->off;
	struct cf_conn_out *co = &r->o->conn[st->conn];
	size_t left = st->len, k, budget = r->ro->byte_budget;
	bool whole = r->split == SPLIT_WHOLE;
	struct track tr;
	int rc;

	memset(&tr, 0, sizeof(tr));
	if (r->fd[st->conn] < 0 || co->write_failed) {
		co->unsent += left;
		return;
	}
	while (left > 0) {
		k = whole ? left : piece(r, &tr, left, &budget);
		rc = write_piece(r, st->conn, p, k, k < left);
		if (rc < 0) {
			co->unsent += left - k;
			return;
		}
		if (rc == 0) {
			/* The peer is not reading: it will take the rest in
			 * one read whatever the pieces. */
			whole = true;
			continue;
		}
		advance(&tr, p, k);
		p += k;
		left -= k;
	}
}

static void close_conn(struct run *r, uint8_t c, bool reset)
{
	struct linger lg = { 1, 0 };

	if (r->fd[c] < 0)
		return;
	(void)drain(r, c);
	if (reset)
		setsockopt(r->fd[c], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(r->fd[c]);
	r->fd[c] = -1;
	cf_outcome_we_closed(r->o, c);
}

/* Open conn c; false when that failed (recorded as a close). */
static bool open_step(struct run *r, uint8_t c, char *err, size_t errlen)
{
	if (r->fd[c] >= 0)
		return true;
	if (cf_outcome_open(r->o, c) != 0) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	r->fd[c] = cf_connect(r->ro->target, r->ro->connect_ms, err, errlen);
	if (r->fd[c] < 0) {
		cf_outcome_closed(r->o, c, CL_RESET);
		return false;
	}
	return true;
}

static void step(struct run *r, const struct cf_step *st)
{
	const struct cf_ctx *ctx = r->ctx;
	uint8_t c = st->conn;
	char err[200];

	switch (st->op) {
	case OP_SEND:
		send_step(r, st);
		break;
	case OP_PAUSE:
		if (r->fd[c] >= 0)
			read_until(r, c, st->ms, U_NONE, 0);
		else
			sleep_ms(st->ms);
		break;
	case OP_SLEEP:
		sleep_ms(st->ms);
		break;
	case OP_WAIT_END:
		if (r->fd[c] >= 0)
			read_until(r, c, st->ms ? st->ms : ctx->timeout_ms,
				   U_END, st->id);
		break;
	case OP_WAIT_MGMT:
		if (r->fd[c] >= 0)
			read_until(r, c, st->ms ? st->ms : ctx->timeout_ms,
				   U_MGMT, 0);
		break;
	case OP_WAIT_CLOSE:
		if (r->fd[c] >= 0)
			read_until(r, c, st->ms ? st->ms : ctx->quiet_ms,
				   U_CLOSE, 0);
		break;
	case OP_QUIET:
		if (r->fd[c] >= 0)
			read_until(r, c, st->ms ? st->ms : ctx->quiet_ms,
				   U_NONE, 0);
		break;
	case OP_IDLE:
		if (r->fd[c] >= 0)
			read_until(r, c, st->ms ? st->ms : ctx->idle_ms,
				   U_CLOSE, 0);
		break;
	case OP_SHUT_WR:
		if (r->fd[c] >= 0) {
			shutdown(r->fd[c], SHUT_WR);
			cf_outcome_we_closed(r->o, c);
		}
		break;
	case OP_CLOSE:
	case OP_RESET:
		close_conn(r, c, st->op == OP_RESET);
		break;
	case OP_CONNECT:
		(void)open_step(r, c, err, sizeof(err));
		break;
	}
}

int cf_run_script(const struct cf_run_opts *ro, const struct cf_script *s,
		  unsigned split, uint64_t seed, struct cf_outcome *o,
		  char *err, size_t errlen)
{
	struct run r;
	size_t i;

	memset(&r, 0, sizeof(r));
	r.ro = ro;
	r.s = s;
	r.ctx = s->ctx;
	r.o = o;
	r.split = split;
	r.rng = seed != 0 ? seed : 0x9e3779b97f4a7c15ull;
	for (i = 0; i < CF_MAX_CONNS; i++)
		r.fd[i] = -1;
	if (!open_step(&r, 0, err, errlen))
		return -1;
	for (i = 0; i < s->nsteps; i++) {
		o->step = (int)i;
		step(&r, &s->step[i]);
	}
	o->step = (int)s->nsteps;
	for (i = 0; i < CF_MAX_CONNS; i++) {
		if (r.fd[i] >= 0) {
			(void)drain(&r, (uint8_t)i);
			close(r.fd[i]);
		}
	}
	return 0;
}

/* ---- probe and discovery ------------------------------------------------ */

bool cf_probe(const struct cf_run_opts *ro, const struct cf_ctx *ctx, char *got,
	      size_t n)
{
	struct cf_outcome o;
	struct cf_script s;
	char err[200];
	unsigned a;
	bool ok = false;

	cf_script_init(&s, ctx);
	b_normal(&s);
	cf_outcome_init(&o);
	if (s.err != 0) {
		snprintf(got, n, "%s", fcgi_strerror(s.err));
	} else if (cf_run_script(ro, &s, SPLIT_WHOLE, 0, &o, err,
				 sizeof(err)) != 0) {
		snprintf(got, n, "%s", err);
	} else {
		a = cf_classify(&s, &o, 0, 1, -1, got, n);
		ok = (a & A_COMPLETE) != 0;
	}
	cf_outcome_fini(&o);
	cf_script_fini(&s);
	return ok;
}

/* A number from a GET_VALUES_RESULT, or -1. */
static long value_num(const struct fcgi_params *p, const char *name)
{
	struct fcgi_nv nv;
	long v = 0;
	size_t i;

	if (!fcgi_params_gets(p, name, &nv) || nv.value_len == 0 ||
	    nv.value_len > 9)
		return -1;
	for (i = 0; i < nv.value_len; i++) {
		if (nv.value[i] < '0' || nv.value[i] > '9')
			return -1;
		v = v * 10 + (nv.value[i] - '0');
	}
	return v;
}

int cf_discover(const struct cf_run_opts *ro, struct cf_ctx *ctx, char *err,
		size_t errlen)
{
	static const char *const names[] = { "FCGI_MAX_CONNS", "FCGI_MAX_REQS",
					     "FCGI_MPXS_CONNS" };
	const struct cf_req *r;
	struct cf_outcome o;
	struct cf_script s;
	struct fcgi_buf b;
	char got[240];
	size_t i;
	int rc = 0;

	/* FastCGI 1.0, 4.1: what the application says about itself. */
	cf_script_init(&s, ctx);
	fcgi_buf_init(&b, NULL, 0);
	for (i = 0; i < 3; i++)
		if (fcgi_nv_encode(&b, names[i], strlen(names[i]), "", 0) != 0)
			s.err = FCGI_ENOMEM;
	sb_rec(&s, FCGI_GET_VALUES, 0, b.data, b.len);
	sb_wait_mgmt(&s);
	fcgi_buf_fini(&b);
	cf_outcome_init(&o);
	if (s.err != 0 ||
	    cf_run_script(ro, &s, SPLIT_WHOLE, 0, &o, err, errlen) != 0) {
		if (s.err != 0)
			snprintf(err, errlen, "%s", fcgi_strerror(s.err));
		rc = -1;
	} else if (o.conn[0].values > 0) {
		ctx->values_answered = true;
		ctx->max_conns = value_num(&o.conn[0].vals, "FCGI_MAX_CONNS");
		ctx->max_reqs = value_num(&o.conn[0].vals, "FCGI_MAX_REQS");
		ctx->mpxs = (int)value_num(&o.conn[0].vals, "FCGI_MPXS_CONNS");
		if (ctx->mpxs > 1)
			ctx->mpxs = -1;
	}
	cf_outcome_fini(&o);
	cf_script_fini(&s);
	if (rc != 0)
		return rc;

	/* The normal request, whose status every case compares with. */
	cf_script_init(&s, ctx);
	b_normal(&s);
	cf_outcome_init(&o);
	if (cf_run_script(ro, &s, SPLIT_WHOLE, 0, &o, err, errlen) != 0) {
		rc = -1;
	} else {
		r = cf_outcome_req(&o, 0, 1);
		ctx->normal_status = r != NULL ? cf_answer_status(r) : -1;
		if (r == NULL || r->ends == 0 ||
		    r->pstatus != FCGI_REQUEST_COMPLETE ||
		    ctx->normal_status < 0) {
			ctx->normal_status = 200;
			(void)cf_classify(&s, &o, 0, 1, -1, got, sizeof(got));
			snprintf(err, errlen,
				 "the target does not answer a normal "
				 "request: %s",
				 got);
			rc = -2;
		}
	}
	cf_outcome_fini(&o);
	cf_script_fini(&s);
	return rc;
}
