/* SPDX-License-Identifier: MIT */
/*
 * io.c - libuv glue shared by the client, the server, the runners and the
 * proxy: the one timer code, connecting, listening (unix and TCP, or a
 * socket inherited on fd 0), accepting and closing streams.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driven.h"

/* ---- timers ------------------------------------------------------------ */

static void timer_fired(uv_timer_t *h)
{
	struct fcgi_timer *t = h->data;

	t->armed = false;
	if (t->cb != NULL)
		t->cb(t);
}

int fcgi_timer_init(uv_loop_t *loop, struct fcgi_timer *t,
		    void (*cb)(struct fcgi_timer *t), void *data)
{
	int rc;

	memset(t, 0, sizeof(*t));
	rc = uv_timer_init(loop, &t->handle);
	if (rc != 0)
		return rc;
	t->handle.data = t;
	t->cb = cb;
	t->data = data;
	return 0;
}

void fcgi_timer_arm(struct fcgi_timer *t, uint64_t ms)
{
	if (ms == 0) {
		fcgi_timer_stop(t);
		return;
	}
	uv_timer_start(&t->handle, timer_fired, ms, 0);
	t->armed = true;
}

void fcgi_timer_stop(struct fcgi_timer *t)
{
	uv_timer_stop(&t->handle);
	t->armed = false;
}

static void timer_closed(uv_handle_t *h)
{
	struct fcgi_timer *t = h->data;

	if (t->closed != NULL)
		t->closed(t);
}

void fcgi_timer_close(struct fcgi_timer *t,
		      void (*closed)(struct fcgi_timer *t))
{
	fcgi_timer_stop(t);
	t->closed = closed;
	uv_close((uv_handle_t *)&t->handle, timer_closed);
}

uint64_t fcgi_now_ms(uv_loop_t *loop)
{
	return uv_now(loop);
}

/* ---- streams ------------------------------------------------------------ */

/* Every stream handed out here lives in one of these, so that close can
 * find its callback without touching the caller's handle->data. */
struct io_stream {
	union {
		uv_tcp_t tcp;
		uv_pipe_t pipe;
		uv_stream_t stream;
		uv_handle_t handle;
	} h;
	void (*close_cb)(void *arg);
	void *close_arg;
	bool closing;
};

static struct io_stream *io_of(uv_stream_t *s)
{
	return (struct io_stream *)(void *)s;
}

static struct io_stream *io_new(void)
{
	return calloc(1, sizeof(struct io_stream));
}

static void io_freed(uv_handle_t *h)
{
	struct io_stream *io = io_of((uv_stream_t *)h);
	void (*cb)(void *) = io->close_cb;
	void *arg = io->close_arg;

	free(io);
	if (cb != NULL)
		cb(arg);
}

void fcgi_io_close(uv_stream_t *s, void (*cb)(void *arg), void *arg)
{
	struct io_stream *io;

	if (s == NULL)
		return;
	io = io_of(s);
	if (io->closing)
		return;
	io->closing = true;
	io->close_cb = cb;
	io->close_arg = arg;
	uv_close(&io->h.handle, io_freed);
}

/* Resolve a TCP address (blocking); the first result of the wanted
 * family.  0 or a negative libuv code. */
static int resolve(const struct fcgi_addr *a, bool passive,
		   struct sockaddr_storage *ss)
{
	struct addrinfo hints, *res = NULL;
	char port[8];
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = a->family == AF_UNSPEC ? AF_UNSPEC : a->family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = passive ? AI_PASSIVE : 0;
	if (a->family != AF_UNSPEC)
		hints.ai_flags |= AI_NUMERICHOST;
	snprintf(port, sizeof(port), "%u", (unsigned)a->port);
	rc = getaddrinfo(a->host, port, &hints, &res);
	if (rc != 0 || res == NULL)
		return UV_EAI_NONAME;
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

struct connect_req {
	uv_connect_t req;
	fcgi_connect_cb cb;
	void *arg;
	struct io_stream *io;
};

static void connected(uv_connect_t *req, int status)
{
	struct connect_req *cr = req->data;
	uv_stream_t *s = &cr->io->h.stream;

	if (status != 0) {
		fcgi_io_close(s, NULL, NULL);
		s = NULL;
	} else if (s->type == UV_TCP) {
		uv_tcp_nodelay(&cr->io->h.tcp, 1);
	}
	cr->cb(s, status, cr->arg);
	free(cr);
}

int fcgi_io_connect(uv_loop_t *loop, const struct fcgi_addr *a,
		    fcgi_connect_cb cb, void *arg)
{
	struct connect_req *cr;
	struct sockaddr_storage ss;
	int rc;

	cr = calloc(1, sizeof(*cr));
	if (cr == NULL)
		return UV_ENOMEM;
	cr->io = io_new();
	if (cr->io == NULL) {
		free(cr);
		return UV_ENOMEM;
	}
	cr->cb = cb;
	cr->arg = arg;
	cr->req.data = cr;
	if (a->family == AF_UNIX) {
		rc = uv_pipe_init(loop, &cr->io->h.pipe, 0);
		if (rc != 0)
			goto out_free;
		/* uv_pipe_connect reports failures through the callback. */
		uv_pipe_connect(&cr->req, &cr->io->h.pipe, a->path, connected);
		return 0;
	}
	rc = resolve(a, false, &ss);
	if (rc != 0)
		goto out_free;
	rc = uv_tcp_init(loop, &cr->io->h.tcp);
	if (rc != 0)
		goto out_free;
	rc = uv_tcp_connect(&cr->req, &cr->io->h.tcp,
			    (const struct sockaddr *)&ss, connected);
	if (rc != 0) {
		fcgi_io_close(&cr->io->h.stream, NULL, NULL);
		free(cr);
		return rc;
	}
	return 0;
out_free:
	free(cr->io);
	free(cr);
	return rc;
}

int fcgi_io_connect_now(uv_loop_t *loop, const struct fcgi_addr *a,
			uv_stream_t **out)
{
	struct sockaddr_un sun;
	struct io_stream *io;
	size_t n;
	int fd, rc;

	*out = NULL;
	if (a->family != AF_UNIX)
		return UV_EAFNOSUPPORT;
	n = strlen(a->path);
	if (n >= sizeof(sun.sun_path))
		return UV_ENAMETOOLONG;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, a->path, n);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	do
		rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	while (rc != 0 && errno == EINTR);
	if (rc != 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	io = io_new();
	if (io == NULL) {
		close(fd);
		return UV_ENOMEM;
	}
	rc = uv_pipe_init(loop, &io->h.pipe, 0);
	if (rc != 0) {
		free(io);
		close(fd);
		return rc;
	}
	rc = uv_pipe_open(&io->h.pipe, fd);
	if (rc != 0) {
		close(fd);
		fcgi_io_close(&io->h.stream, NULL, NULL);
		return rc;
	}
	*out = &io->h.stream;
	return 0;
}

static void format_sa(const struct sockaddr_storage *ss, char *out, size_t n);

static void errtext(char *err, size_t errlen, const char *what, int rc)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s", what, uv_strerror(rc));
}

/*
 * A unix socket file that exists: remove it when nobody accepts on it (a
 * stale socket left by a crashed server); refuse when somebody does, or
 * when it is not a socket.  0 or a negative libuv code.
 */
static int clear_stale(const char *path, char *err, size_t errlen)
{
	struct stat st;
	struct sockaddr_un sun;
	int fd, rc;

	if (lstat(path, &st) != 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		if (err != NULL)
			snprintf(err, errlen, "'%s' exists and is not a socket",
				 path);
		return UV_EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return uv_translate_sys_error(errno);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (rc == 0) {
		errtext(err, errlen, "somebody is listening there",
			UV_EADDRINUSE);
		return UV_EADDRINUSE;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		rc = uv_translate_sys_error(errno);
		errtext(err, errlen, "cannot remove stale socket", rc);
		return rc;
	}
	return 0;
}

int fcgi_io_listen(uv_loop_t *loop, const struct fcgi_addr *a, int backlog,
		   unsigned unix_mode, uv_connection_cb cb, void *data,
		   uv_stream_t **out, char *err, size_t errlen)
{
	struct io_stream *io;
	struct sockaddr_storage ss;
	mode_t old;
	int rc;

	io = io_new();
	if (io == NULL) {
		errtext(err, errlen, "cannot listen", UV_ENOMEM);
		return UV_ENOMEM;
	}
	if (a->family == AF_UNIX) {
		rc = clear_stale(a->path, err, errlen);
		if (rc != 0) {
			free(io);
			return rc;
		}
		rc = uv_pipe_init(loop, &io->h.pipe, 0);
		if (rc != 0) {
			free(io);
			errtext(err, errlen, "cannot listen", rc);
			return rc;
		}
		/* Create the socket file with no access for others, then
		 * open it up to the mode asked for. */
		old = umask(0177);
		rc = uv_pipe_bind(&io->h.pipe, a->path);
		umask(old);
		if (rc == 0 &&
		    chmod(a->path, (mode_t)(unix_mode ? unix_mode : 0600)) != 0)
			rc = uv_translate_sys_error(errno);
	} else {
		rc = resolve(a, true, &ss);
		if (rc != 0) {
			free(io);
			errtext(err, errlen, "cannot resolve host", rc);
			return rc;
		}
		rc = uv_tcp_init(loop, &io->h.tcp);
		if (rc != 0) {
			free(io);
			errtext(err, errlen, "cannot listen", rc);
			return rc;
		}
		rc = uv_tcp_bind(&io->h.tcp, (const struct sockaddr *)&ss,
				 ss.ss_family == AF_INET6 ? UV_TCP_IPV6ONLY
							  : 0);
	}
	if (rc == 0)
		rc = uv_listen(&io->h.stream, backlog > 0 ? backlog : 128, cb);
	if (rc != 0) {
		errtext(err, errlen, "cannot listen", rc);
		fcgi_io_close(&io->h.stream, NULL, NULL);
		return rc;
	}
	io->h.stream.data = data;
	*out = &io->h.stream;
	return 0;
}

int fcgi_io_listen_socket(const struct fcgi_addr *a, int backlog,
			  unsigned unix_mode, int *out, char *err,
			  size_t errlen)
{
	struct sockaddr_storage ss;
	struct sockaddr_un sun;
	socklen_t len;
	mode_t old;
	int fd, rc, on = 1;

	if (a->family == AF_UNIX) {
		if (strlen(a->path) >= sizeof(sun.sun_path)) {
			errtext(err, errlen, "cannot listen", UV_ENAMETOOLONG);
			return UV_ENAMETOOLONG;
		}
		rc = clear_stale(a->path, err, errlen);
		if (rc != 0)
			return rc;
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		memcpy(sun.sun_path, a->path, strlen(a->path));
		memcpy(&ss, &sun, sizeof(sun));
		len = sizeof(sun);
	} else {
		rc = resolve(a, 1, &ss);
		if (rc != 0) {
			errtext(err, errlen, "cannot resolve host", rc);
			return rc;
		}
		len = ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					       : sizeof(struct sockaddr_in);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = uv_translate_sys_error(errno);
		errtext(err, errlen, "cannot listen", rc);
		return rc;
	}
	if (ss.ss_family != AF_UNIX) {
		/* As libuv does: reuse a port in TIME_WAIT; v6 only. */
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (ss.ss_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
				   sizeof(on));
	}
	/* A unix socket file is made with no access for others, then
	 * opened up to the mode asked for. */
	old = umask(0177);
	rc = bind(fd, (struct sockaddr *)&ss, len);
	umask(old);
	if (rc == 0 && ss.ss_family == AF_UNIX &&
	    chmod(a->path, (mode_t)(unix_mode ? unix_mode : 0600)) != 0)
		rc = -1;
	if (rc == 0)
		rc = listen(fd, backlog > 0 ? backlog : 128);
	if (rc != 0) {
		rc = uv_translate_sys_error(errno);
		errtext(err, errlen, "cannot listen", rc);
		close(fd);
		return rc;
	}
	*out = fd;
	return 0;
}

const char *fcgi_io_fd_sockname(int fd, char *out, size_t n)
{
	struct sockaddr_storage ss;
	const struct sockaddr_un *sun = (const void *)&ss;
	socklen_t len = sizeof(ss);

	if (n == 0)
		return out;
	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		snprintf(out, n, "?");
	else if (ss.ss_family == AF_UNIX)
		snprintf(out, n, "unix:%.*s", (int)sizeof(sun->sun_path),
			 sun->sun_path[0] != '\0' ? sun->sun_path
						  : "(unnamed)");
	else
		format_sa(&ss, out, n);
	return out;
}

bool fcgi_io_fd_is_listener(int fd)
{
	int on = 0;
	socklen_t len = sizeof(on);

	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) != 0)
		return false;
	return on != 0;
}

int fcgi_io_listen_fd(uv_loop_t *loop, int fd, int backlog, uv_connection_cb cb,
		      void *data, uv_stream_t **out, char *err, size_t errlen)
{
	struct io_stream *io;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int rc;

	if (!fcgi_io_fd_is_listener(fd)) {
		if (err != NULL)
			snprintf(err, errlen,
				 "file descriptor %d is not a listening socket",
				 fd);
		return UV_ENOTSOCK;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
		rc = uv_translate_sys_error(errno);
		errtext(err, errlen, "getsockname", rc);
		return rc;
	}
	io = io_new();
	if (io == NULL)
		return UV_ENOMEM;
	if (ss.ss_family == AF_UNIX) {
		rc = uv_pipe_init(loop, &io->h.pipe, 0);
		if (rc == 0)
			rc = uv_pipe_open(&io->h.pipe, fd);
	} else {
		rc = uv_tcp_init(loop, &io->h.tcp);
		if (rc == 0)
			rc = uv_tcp_open(&io->h.tcp, fd);
	}
	if (rc == 0)
		rc = uv_listen(&io->h.stream, backlog > 0 ? backlog : 128, cb);
	if (rc != 0) {
		errtext(err, errlen, "cannot listen on inherited socket", rc);
		fcgi_io_close(&io->h.stream, NULL, NULL);
		return rc;
	}
	io->h.stream.data = data;
	*out = &io->h.stream;
	return 0;
}

int fcgi_io_accept(uv_stream_t **out, uv_stream_t *server)
{
	struct io_stream *io = io_new();
	int rc;

	*out = NULL;
	if (io == NULL)
		return FCGI_ENOMEM;
	if (server->type == UV_NAMED_PIPE)
		rc = uv_pipe_init(server->loop, &io->h.pipe, 0);
	else
		rc = uv_tcp_init(server->loop, &io->h.tcp);
	if (rc != 0) {
		free(io);
		return FCGI_EIO;
	}
	if (uv_accept(server, &io->h.stream) != 0) {
		fcgi_io_close(&io->h.stream, NULL, NULL);
		return FCGI_EIO;
	}
	if (server->type == UV_TCP)
		uv_tcp_nodelay(&io->h.tcp, 1);
	*out = &io->h.stream;
	return 0;
}

/* Format a TCP socket address as "host:port" or "[v6]:port". */
static void format_sa(const struct sockaddr_storage *ss, char *out, size_t n)
{
	char host[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;
		uv_ip6_name(s6, host, sizeof(host));
		snprintf(out, n, "[%s]:%u", host,
			 (unsigned)ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const void *)ss;
		uv_ip4_name(s4, host, sizeof(host));
		snprintf(out, n, "%s:%u", host, (unsigned)ntohs(s4->sin_port));
	}
}

const char *fcgi_io_peername(uv_stream_t *s, char *out, size_t n)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	if (n == 0)
		return out;
	if (s->type != UV_TCP ||
	    uv_tcp_getpeername((uv_tcp_t *)s, (struct sockaddr *)&ss, &len) !=
		    0)
		snprintf(out, n, "unix");
	else
		format_sa(&ss, out, n);
	return out;
}

const char *fcgi_io_sockname(uv_stream_t *s, char *out, size_t n)
{
	struct sockaddr_storage ss;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
	size_t plen = sizeof(path) - 1;
	int len = sizeof(ss);

	if (n == 0)
		return out;
	if (s->type == UV_NAMED_PIPE) {
		/* An abstract or unbound socket has no path to show. */
		if (uv_pipe_getsockname((uv_pipe_t *)s, path, &plen) != 0 ||
		    plen == 0 || path[0] == '\0')
			snprintf(out, n, "unix:(unnamed)");
		else
			snprintf(out, n, "unix:%.*s", (int)plen, path);
	} else if (s->type != UV_TCP ||
		   uv_tcp_getsockname((uv_tcp_t *)s, (struct sockaddr *)&ss,
				      &len) != 0) {
		snprintf(out, n, "?");
	} else {
		format_sa(&ss, out, n);
	}
	return out;
}

/* ---- a sink on stdio ------------------------------------------------- */

static void sink_file_write(void *ctx, const void *data, size_t len)
{
	fwrite(data, 1, len, ctx);
}

void fcgi_sink_file(struct fcgi_sink *s, FILE *f)
{
	s->write = sink_file_write;
	s->ctx = f;
}
