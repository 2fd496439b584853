/* SPDX-License-Identifier: MIT */
/*
 * conform-client.c - fcgitool conform --client: listen for a web
 * server's FastCGI connections, drive its HTTP side with one request per
 * case (GET PREFIX/CASE-ID), answer each FastCGI request as its case says,
 * and watch what the web server sends and does.  Every byte the web
 * server sends goes through an OBSERVER conn (its bytes to-app, ours
 * to-web), whose to-app events and violations are the observations.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "conform-client.h"
#include "conform-suite.h"
#include "fcgi-uv.h"

#define MAX_CONNS 64
#define MAX_REQS 8
#define HTTP_MAX (1u << 20)

struct creq {
	uint16_t id;
	int ci; /* case index, or -1 */
	uint8_t flags;
	bool params_done, stdin_done, answered, abort_due;
};

struct client;

struct cconn {
	int fd;
	int closing_case; /* the case whose answer closes it, or -1 */
	struct fcgi_conn *obs;
	struct creq req[MAX_REQS];
	size_t nreq;
	unsigned served; /* requests it carried */
	int last_case;
	bool values_due;
	struct client *cl;
};

struct client {
	const struct cl_opts *o;
	const struct cl_case *cases;
	size_t ncases;
	struct cl_obs *obs; /* one per case */
	struct cl_stats st;
	int lfd;
	struct cconn *conn[MAX_CONNS];
	size_t nconn;
	uint64_t last_activity;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(uint64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000),
			       (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ---- listening ------------------------------------------------------------ */

static int listen_on(const char *text, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct sockaddr_un *sun = (struct sockaddr_un *)&ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct fcgi_addr a;
	socklen_t len;
	struct stat sb;
	char why[160];
	int fd, one = 1;

	if (fcgi_addr_parse(&a, text, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "'%s': %s", text, why);
		return -1;
	}
	memset(&ss, 0, sizeof(ss));
	if (a.family == AF_UNIX) {
		sun->sun_family = AF_UNIX;
		snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", a.path);
		len = sizeof(*sun);
		/* A socket file left behind by an earlier run. */
		if (stat(a.path, &sb) == 0 && S_ISSOCK(sb.st_mode))
			unlink(a.path);
	} else if (a.family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(a.port);
		if (inet_pton(AF_INET, a.host, &sin->sin_addr) != 1) {
			snprintf(err, errlen, "'%s': not a numeric address",
				 text);
			return -1;
		}
		len = sizeof(*sin);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(a.port);
		if (inet_pton(AF_INET6, a.host, &sin6->sin6_addr) != 1) {
			snprintf(err, errlen, "'%s': not a numeric address",
				 text);
			return -1;
		}
		len = sizeof(*sin6);
	}
	fd = socket(a.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    (a.family != AF_UNIX && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR,
					       &one, sizeof(one)) != 0) ||
	    bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 64) != 0) {
		snprintf(err, errlen, "cannot listen on '%s': %s", text,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (a.family == AF_UNIX)
		chmod(a.path, 0666);
	return fd;
}

/* Remove the socket file of a unix listener. */
static void unlink_listen(const char *text)
{
	struct fcgi_addr a;
	char why[160];

	if (fcgi_addr_parse(&a, text, why, sizeof(why)) == 0 &&
	    a.family == AF_UNIX)
		unlink(a.path);
}

/* ---- what the web server sends -------------------------------------------- */

static struct creq *req_of(struct cconn *cc, uint16_t id)
{
	size_t i;

	for (i = 0; i < cc->nreq; i++)
		if (cc->req[i].id == id)
			return &cc->req[i];
	return NULL;
}

static void req_drop(struct cconn *cc, struct creq *r)
{
	size_t i = (size_t)(r - cc->req);

	memmove(&cc->req[i], &cc->req[i + 1],
		(cc->nreq - i - 1) * sizeof(cc->req[0]));
	cc->nreq--;
}

static void on_violation(void *arg, const struct fcgi_violation *v)
{
	struct cconn *cc = arg;
	struct cl_stats *st = &cc->cl->st;

	if (v->dir != FCGI_DIR_TO_APP || (unsigned)v->code >= FCGI_V_COUNT)
		return;
	if (st->viol[v->code]++ == 0)
		snprintf(st->first_msg[v->code], sizeof(st->first_msg[0]), "%s",
			 v->message);
	st->sev[v->code] = v->severity;
}

/* The case a request's URI names (PREFIX/CASE-ID), or -1. */
static int case_of(struct client *cl, const struct fcgi_params *p)
{
	static const char *const names[] = { "REQUEST_URI", "DOCUMENT_URI",
					     "SCRIPT_NAME" };
	const char *prefix = cl->o->prefix;
	size_t i, j, n, plen = strlen(prefix);
	struct fcgi_nv nv;
	char id[64];

	for (i = 0; i < 3; i++) {
		if (!fcgi_params_gets(p, names[i], &nv) ||
		    nv.value_len <= plen || memcmp(nv.value, prefix, plen) != 0)
			continue;
		/* The value is a byte string, not NUL-terminated. */
		for (n = 0;
		     plen + n < nv.value_len && nv.value[plen + n] != '?' &&
		     nv.value[plen + n] != '/';
		     n++)
			;
		if (n == 0 || n >= sizeof(id))
			continue;
		memcpy(id, nv.value + plen, n);
		id[n] = '\0';
		for (j = 0; j < cl->ncases; j++)
			if (strcmp(cl->cases[j].k.id, id) == 0)
				return (int)j;
	}
	return -1;
}

static void check_params(struct client *cl, const struct fcgi_params *p)
{
	struct fcgi_nv nv;
	size_t i;

	for (i = 0; cl_required_params[i] != NULL; i++)
		if (!fcgi_params_gets(p, cl_required_params[i], &nv) &&
		    cl->st.missing_param[0] == '\0')
			snprintf(cl->st.missing_param,
				 sizeof(cl->st.missing_param), "%s",
				 cl_required_params[i]);
}

static void on_begin(struct cconn *cc, const struct fcgi_event *ev)
{
	struct client *cl = cc->cl;
	struct cl_stats *st = &cl->st;
	struct creq *r;

	st->requests++;
	st->roles[ev->role >= 1 && ev->role <= 3 ? ev->role : 0]++;
	if (ev->flags & FCGI_KEEP_CONN)
		st->keep_set++;
	else
		st->keep_clear++;
	if (ev->request_id > st->max_id)
		st->max_id = ev->request_id;
	if (cc->served > 0) {
		st->reused++;
		if (cc->last_case >= 0)
			cl->obs[cc->last_case].reused = true;
	}
	cc->served++;
	if (cc->nreq == MAX_REQS || req_of(cc, ev->request_id) != NULL)
		return;
	r = &cc->req[cc->nreq++];
	memset(r, 0, sizeof(*r));
	r->id = ev->request_id;
	r->flags = ev->flags;
	r->ci = -1;
	if (cc->nreq > st->mpx)
		st->mpx = (unsigned)cc->nreq;
}

static int on_event(void *arg, const struct fcgi_event *ev)
{
	struct cconn *cc = arg;
	struct client *cl = cc->cl;
	struct creq *r;
	struct cl_obs *o;

	if (ev->dir != FCGI_DIR_TO_APP)
		return 0;
	cl->last_activity = now_ms();
	if (ev->type == FCGI_EV_BEGIN) {
		on_begin(cc, ev);
		return 0;
	}
	if (ev->type == FCGI_EV_GET_VALUES) {
		cl->st.get_values++;
		cc->values_due = true;
		return 0;
	}
	r = req_of(cc, ev->request_id);
	if (r == NULL)
		return 0;
	o = r->ci >= 0 ? &cl->obs[r->ci] : NULL;
	switch (ev->type) {
	case FCGI_EV_PARAMS:
		r->params_done = true;
		check_params(cl, ev->params);
		r->ci = case_of(cl, ev->params);
		if (r->ci >= 0) {
			o = &cl->obs[r->ci];
			if (o->requests++ == 0) {
				o->keep_conn = (r->flags & FCGI_KEEP_CONN) != 0;
				o->request_id = r->id;
			}
			cc->last_case = r->ci;
		}
		break;
	case FCGI_EV_STDIN:
		if (o != NULL)
			o->stdin_bytes += ev->len;
		if (ev->len == 0)
			r->stdin_done = true;
		break;
	case FCGI_EV_ABORT:
		cl->st.aborts++;
		if (o != NULL)
			o->aborted = true;
		r->abort_due = true;
		break;
	default:
		break;
	}
	return 0;
}

static void conn_close(struct client *cl, struct cconn *cc)
{
	if (cc->fd >= 0) {
		close(cc->fd);
		cc->fd = -1;
		if (cc->closing_case >= 0)
			cl->obs[cc->closing_case].closed_by_us = true;
	}
}

/* Write all of p on cc (blocking with a deadline), feeding the
 * observer; false when the web server is gone. */
static bool put(struct cconn *cc, const uint8_t *p, size_t n)
{
	uint64_t deadline = now_ms() + cc->cl->o->timeout_ms;
	struct pollfd pfd;
	ssize_t w;

	while (n > 0 && cc->fd >= 0) {
		w = send(cc->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0) {
			(void)fcgi_conn_recv(cc->obs, FCGI_DIR_TO_WEB, p,
					     (size_t)w);
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if ((w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) ||
		    now_ms() >= deadline) {
			conn_close(cc->cl, cc);
			return false;
		}
		pfd.fd = cc->fd;
		pfd.events = POLLOUT;
		(void)poll(&pfd, 1, 50);
	}
	return cc->fd >= 0;
}

/* Play an answer script on cc. */
static void play(struct cconn *cc, const struct cf_script *s)
{
	const struct cf_step *st;
	struct linger lg = { 1, 0 };
	size_t i;

	for (i = 0; i < s->nsteps && cc->fd >= 0; i++) {
		st = &s->step[i];
		switch (st->op) {
		case OP_SEND:
			(void)put(cc, s->bytes.data + st->off, st->len);
			break;
		case OP_PAUSE:
			sleep_ms(st->ms);
			break;
		case OP_RESET:
			setsockopt(cc->fd, SOL_SOCKET, SO_LINGER, &lg,
				   sizeof(lg));
			conn_close(cc->cl, cc);
			break;
		case OP_CLOSE:
			conn_close(cc->cl, cc);
			break;
		default:
			break;
		}
	}
}

static void answer_values(struct cconn *cc)
{
	struct cf_script s;
	struct fcgi_buf b;

	cf_script_init(&s, NULL);
	fcgi_buf_init(&b, NULL, 0);
	(void)fcgi_nv_encode(&b, "FCGI_MPXS_CONNS", 15, "0", 1);
	sb_rec(&s, FCGI_GET_VALUES_RESULT, 0, b.data, b.len);
	sb_send(&s);
	play(cc, &s);
	fcgi_buf_fini(&b);
	cf_script_fini(&s);
	cc->values_due = false;
}

/* Answer what is due on cc: GET_VALUES, aborts, complete requests. */
static void answer_due(struct client *cl, struct cconn *cc)
{
	const struct cl_case *k;
	struct cf_script s;
	struct creq *r;
	struct fcgi_end_body eb = { 0, FCGI_REQUEST_COMPLETE };
	uint8_t body[8];
	bool keep;
	size_t i;

	if (cc->values_due)
		answer_values(cc);
	for (i = 0; i < cc->nreq && cc->fd >= 0;) {
		r = &cc->req[i];
		keep = (r->flags & FCGI_KEEP_CONN) != 0;
		cf_script_init(&s, NULL);
		if (r->abort_due) {
			/* FastCGI 1.0, 5.4: an abort gets END_REQUEST. */
			fcgi_end_body_encode(body, &eb);
			sb_rec(&s, FCGI_END_REQUEST, r->id, body, 8);
			sb_send(&s);
		} else if (r->stdin_done && !r->answered) {
			k = r->ci >= 0 ? &cl->cases[r->ci] : NULL;
			r->answered = true;
			if (k == NULL || k->answer == NULL ||
			    cl->obs[r->ci].requests > 1) {
				/* Unknown URIs and retries: a good answer. */
				k = cl_case_find("web-6.2-normal");
			}
			k->answer(&s, r->id, r->flags);
			if (r->ci >= 0)
				cl->obs[r->ci].answered = s.nsteps > 0;
			if (s.nsteps == 0) {
				/* Held on purpose: stays until an abort. */
				cf_script_fini(&s);
				i++;
				continue;
			}
		} else {
			cf_script_fini(&s);
			i++;
			continue;
		}
		cc->closing_case = r->ci;
		play(cc, &s);
		cf_script_fini(&s);
		req_drop(cc, r);
		/* FastCGI 1.0, 5.1: without KEEP_CONN the application
		 * closes after the answer. */
		if (!keep)
			conn_close(cl, cc);
		cc->closing_case = -1;
	}
}

/* Read what the web server sent on cc. */
static void conn_read(struct client *cl, struct cconn *cc)
{
	uint8_t buf[65536];
	ssize_t n;

	n = recv(cc->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (cc->last_case >= 0)
			cl->obs[cc->last_case].closed_by_web = true;
		(void)fcgi_conn_eof(cc->obs, FCGI_DIR_TO_APP);
		cc->closing_case = -1;
		conn_close(cl, cc);
		return;
	}
	(void)fcgi_conn_recv(cc->obs, FCGI_DIR_TO_APP, buf, (size_t)n);
	answer_due(cl, cc);
}

static void conn_accept(struct client *cl)
{
	static const struct fcgi_callbacks cb = {
		.on_event = on_event,
		.on_violation = on_violation,
	};
	struct cconn *cc;
	int fd;

	fd = accept4(cl->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (cl->nconn == MAX_CONNS || (cc = calloc(1, sizeof(*cc))) == NULL) {
		close(fd);
		return;
	}
	cc->fd = fd;
	cc->cl = cl;
	cc->last_case = -1;
	cc->closing_case = -1;
	if (fcgi_conn_new(&cc->obs, FCGI_MODE_OBSERVER, NULL, &cb, cc) != 0) {
		close(fd);
		free(cc);
		return;
	}
	cl->conn[cl->nconn++] = cc;
	cl->st.conns++;
	cl->last_activity = now_ms();
}

/* Free the connections that are closed. */
static void reap(struct client *cl)
{
	size_t i = 0;

	while (i < cl->nconn) {
		if (cl->conn[i]->fd >= 0) {
			i++;
			continue;
		}
		fcgi_conn_free(cl->conn[i]->obs);
		free(cl->conn[i]);
		cl->conn[i] = cl->conn[--cl->nconn];
	}
}

/* One round of poll over the listener, the connections and fd (the HTTP
 * client, or -1); returns the revents of fd. */
static short pump(struct client *cl, int fd, uint64_t ms)
{
	struct pollfd pfd[MAX_CONNS + 2];
	struct cconn *cc[MAX_CONNS];
	size_t n = 0, i, nc;
	short got = 0;

	pfd[n].fd = cl->lfd;
	pfd[n++].events = POLLIN;
	nc = cl->nconn;
	for (i = 0; i < nc; i++) {
		cc[i] = cl->conn[i];
		pfd[n].fd = cc[i]->fd;
		pfd[n++].events = POLLIN;
	}
	if (fd >= 0) {
		pfd[n].fd = fd;
		pfd[n++].events = POLLIN;
	}
	for (i = 0; i < n; i++)
		pfd[i].revents = 0;
	if (poll(pfd, n, (int)ms) <= 0)
		return 0;
	for (i = 0; i < nc; i++)
		if (pfd[1 + i].revents != 0 && cc[i]->fd >= 0)
			conn_read(cl, cc[i]);
	if (pfd[0].revents & POLLIN)
		conn_accept(cl);
	if (fd >= 0)
		got = pfd[n - 1].revents;
	reap(cl);
	return got;
}

/* ---- the HTTP client ---------------------------------------------------- */

/* The value of header name in head[0..n), or NULL; *len its length. */
static const char *header(const char *head, size_t n, const char *name,
			  size_t *len)
{
	size_t k = strlen(name), i = 0, e;

	while (i < n) {
		e = i;
		while (e < n && head[e] != '\n')
			e++;
		if (e - i > k && strncasecmp(head + i, name, k) == 0 &&
		    head[i + k] == ':') {
			i += k + 1;
			while (i < e && head[i] == ' ')
				i++;
			*len = e - i;
			while (*len > 0 && (head[i + *len - 1] == '\r' ||
					    head[i + *len - 1] == ' '))
				(*len)--;
			return head + i;
		}
		i = e + 1;
	}
	return NULL;
}

/* Decode a chunked body in place; true when its last chunk came. */
static bool unchunk(char *b, size_t n, size_t *out)
{
	size_t i = 0, o = 0, len;
	char *end;

	for (;;) {
		if (i >= n)
			return false;
		len = strtoul(b + i, &end, 16);
		if (end == b + i)
			return false;
		while ((size_t)(end - b) < n && *end != '\n')
			end++;
		if ((size_t)(end - b) >= n)
			return false;
		i = (size_t)(end - b) + 1;
		if (len == 0) {
			*out = o;
			return true;
		}
		if (len > n - i)
			return false;
		memmove(b + o, b + i, len);
		o += len;
		i += len;
		if (i < n && b[i] == '\r')
			i++;
		if (i < n && b[i] == '\n')
			i++;
	}
}

static void http_parse(struct cl_http *h, char *buf, size_t n)
{
	const char *v, *sep;
	char *body;
	size_t vlen, blen, hlen;
	unsigned long cl;

	if (n < 12 || strncmp(buf, "HTTP/1.", 7) != 0)
		return;
	h->answered = true;
	h->status = (int)strtol(buf + 9, NULL, 10);
	sep = memmem(buf, n, "\r\n\r\n", 4);
	if (sep == NULL)
		return;
	hlen = (size_t)(sep - buf) + 4;
	body = buf + hlen;
	blen = n - hlen;
	v = header(buf, hlen, "Transfer-Encoding", &vlen);
	if (v != NULL && vlen == 7 && strncasecmp(v, "chunked", 7) == 0) {
		h->complete = unchunk(body, blen, &blen);
	} else {
		v = header(buf, hlen, "Content-Length", &vlen);
		cl = v != NULL ? strtoul(v, NULL, 10) : 0;
		h->complete = v == NULL || blen >= cl;
		if (v != NULL && blen > cl)
			blen = cl;
	}
	h->body_len = blen;
	h->body_ok = h->complete && blen == strlen(cl_body) &&
		     memcmp(body, cl_body, blen) == 0;
}

/* Send the HTTP request of case k; the socket, or -1. */
static int http_send(const struct cl_opts *o, const struct cl_case *k,
		     char *err, size_t errlen)
{
	char req[4096], body[1000];
	size_t n;
	int fd;

	fd = cf_connect(o->http, o->timeout_ms, err, errlen);
	if (fd < 0)
		return -1;
	if (k->flags & CL_POST) {
		memset(body, 'p', sizeof(body));
		n = (size_t)snprintf(
			req, sizeof(req),
			"POST %s%s HTTP/1.1\r\nHost: conform\r\n"
			"Content-Type: application/octet-stream\r\n"
			"Content-Length: %zu\r\nConnection: "
			"close\r\n\r\n",
			o->prefix, k->k.id, sizeof(body));
		memcpy(req + n, body, sizeof(body));
		n += sizeof(body);
	} else {
		n = (size_t)snprintf(req, sizeof(req),
				     "GET %s%s HTTP/1.1\r\nHost: conform\r\n"
				     "Connection: close\r\n\r\n",
				     o->prefix, k->k.id);
	}
	if (send(fd, req, n, MSG_NOSIGNAL) != (ssize_t)n) {
		snprintf(err, errlen, "cannot send to '%s': %s", o->http,
			 strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Run fault case ci through the web server. */
static int run_case(struct client *cl, size_t ci, char *err, size_t errlen)
{
	const struct cl_case *k = &cl->cases[ci];
	struct cl_obs *o = &cl->obs[ci];
	uint64_t start = now_ms(), deadline, done_at = 0, gone_at = 0, t;
	char *buf = malloc(HTTP_MAX);
	size_t have = 0;
	ssize_t r;
	short ev;
	int fd;

	if (buf == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	fd = http_send(cl->o, k, err, errlen);
	if (fd < 0) {
		free(buf);
		return -1;
	}
	o->http.sent = true;
	deadline = start +
		   ((k->flags & CL_SLOW) ? cl->o->wait_ms : cl->o->timeout_ms);
	if (k->flags & CL_CLIENT_GONE)
		gone_at = start + 300;
	for (;;) {
		t = now_ms();
		if (done_at != 0 && t >= done_at)
			break;
		if (t >= deadline) {
			o->http.timed_out = fd >= 0;
			break;
		}
		if (gone_at != 0 && t >= gone_at) {
			/* The HTTP client goes away. */
			close(fd);
			fd = -1;
			gone_at = 0;
			deadline = t + cl->o->timeout_ms;
		}
		if ((k->flags & CL_CLIENT_GONE) && fd < 0 &&
		    (o->aborted || o->closed_by_web) && done_at == 0)
			done_at = t + 50;
		ev = pump(cl, fd, 20);
		if (fd >= 0 && (ev & (POLLIN | POLLHUP | POLLERR))) {
			r = recv(fd, buf + have, HTTP_MAX - have, MSG_DONTWAIT);
			if (r > 0) {
				have += (size_t)r;
			} else if (r == 0 ||
				   (errno != EAGAIN && errno != EINTR)) {
				close(fd);
				fd = -1;
				/* Watch a while: does the web server close
				 * or keep its connection? */
				done_at = now_ms() + cl->o->quiet_ms;
			}
		}
	}
	if (fd >= 0)
		close(fd);
	http_parse(&o->http, buf, have);
	free(buf);
	return 0;
}

/* Without --http: serve whatever comes until wait_ms pass in silence. */
static void serve_idle(struct client *cl)
{
	cl->last_activity = now_ms();
	while (now_ms() - cl->last_activity < cl->o->wait_ms)
		(void)pump(cl, -1, 50);
}

static bool chosen(const struct cl_opts *o, const char *id)
{
	if (o->only != NULL && o->only->n > 0 &&
	    !cf_patterns_match(o->only, id))
		return false;
	return o->skip == NULL || !cf_patterns_match(o->skip, id);
}

int cl_run(const struct cl_opts *o, struct cf_out *out, unsigned counts[5],
	   char *err, size_t errlen)
{
	struct client cl;
	struct cf_result res;
	struct cf_verdict v;
	struct cf_ctx ctx;
	size_t i, n = 0;
	int rc = 0;

	memset(&cl, 0, sizeof(cl));
	memset(counts, 0, 5 * sizeof(counts[0]));
	cl.o = o;
	cl.cases = cl_cases(&cl.ncases);
	cl.obs = calloc(cl.ncases, sizeof(*cl.obs));
	if (cl.obs == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	cl.lfd = listen_on(o->listen, err, errlen);
	if (cl.lfd < 0) {
		free(cl.obs);
		return -1;
	}
	if (o->http == NULL) {
		fprintf(stderr, "fcgitool conform: listening on %s\n",
			o->listen);
		serve_idle(&cl);
	}
	for (i = 0; o->http != NULL && i < cl.ncases && rc == 0; i++)
		if (cl.cases[i].answer != NULL && chosen(o, cl.cases[i].k.id))
			rc = run_case(&cl, i, err, errlen);
	/* A last look: connections closed or kept after the last case. */
	for (i = 0; rc == 0 && i < 5; i++)
		(void)pump(&cl, -1, 20);
	if (rc == 0) {
		for (i = 0; i < cl.ncases; i++)
			if (chosen(o, cl.cases[i].k.id))
				n++;
		cf_ctx_init(&ctx);
		cf_out_begin(out, n, &ctx, o->listen, "client");
		cf_ctx_fini(&ctx);
		for (i = 0; i < cl.ncases; i++) {
			if (!chosen(o, cl.cases[i].k.id))
				continue;
			memset(&res, 0, sizeof(res));
			memset(&v, 0, sizeof(v));
			res.k = &cl.cases[i].k;
			snprintf(v.expected, sizeof(v.expected), "%s",
				 cl.cases[i].k.accepts);
			if (cl.cases[i].answer != NULL &&
			    cl.obs[i].requests == 0) {
				v.grade = CF_SKIP;
				snprintf(v.got, sizeof(v.got),
					 "no request for this case came");
			} else if (cl.cases[i].answer != NULL &&
				   o->http == NULL) {
				v.grade = CF_INFO;
				snprintf(v.got, sizeof(v.got),
					 "answered as the case says; what the "
					 "HTTP client saw is not known without "
					 "--http");
			} else {
				cl.cases[i].judge(&v, &cl.cases[i], &cl.obs[i],
						  &cl.st);
			}
			res.raw = v.grade;
			memcpy(res.expected, v.expected, sizeof(res.expected));
			memcpy(res.got, v.got, sizeof(res.got));
			cf_result_settle(&res, o->baseline, o->strict);
			counts[res.grade]++;
			cf_out_result(out, &res);
		}
		cf_out_end(out, counts);
	}
	for (i = 0; i < cl.nconn; i++)
		conn_close(&cl, cl.conn[i]);
	reap(&cl);
	close(cl.lfd);
	unlink_listen(o->listen);
	free(cl.obs);
	return rc;
}
