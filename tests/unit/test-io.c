/* SPDX-License-Identifier: MIT */
/* test-io.c - timers, listening and connecting on loopback and unix. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "fcgi-uv.h"

struct ctx {
	int fired;
	int closed;
	int accepted;
	int connected;
	int status;
	uv_stream_t *server;
	uv_stream_t *client;
	uv_stream_t *peer;
};

static void on_timer(struct fcgi_timer *t)
{
	struct ctx *c = t->data;

	c->fired++;
}

static void on_timer_closed(struct fcgi_timer *t)
{
	struct ctx *c = t->data;

	c->closed++;
}

static void test_timer(void **state)
{
	uv_loop_t loop;
	struct fcgi_timer t, never;
	struct ctx c;

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(fcgi_timer_init(&loop, &t, on_timer, &c), 0);
	assert_int_equal(fcgi_timer_init(&loop, &never, on_timer, &c), 0);
	fcgi_timer_arm(&t, 5);
	fcgi_timer_arm(&never, 10000);
	fcgi_timer_arm(&never, 0); /* disarmed: must not fire */
	assert_false(never.armed);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(c.fired, 1);
	assert_false(t.armed);
	fcgi_timer_close(&t, on_timer_closed);
	fcgi_timer_close(&never, on_timer_closed);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(c.closed, 2);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void on_conn(uv_stream_t *server, int status)
{
	struct ctx *c = server->data;

	assert_int_equal(status, 0);
	assert_int_equal(fcgi_io_accept(&c->peer, server), 0);
	assert_non_null(c->peer);
	c->accepted++;
	fcgi_io_close(c->peer, NULL, NULL);
	fcgi_io_close(c->server, NULL, NULL);
}

static void on_connected(uv_stream_t *s, int status, void *arg)
{
	struct ctx *c = arg;

	c->status = status;
	c->client = s;
	if (status == 0) {
		c->connected++;
		fcgi_io_close(s, NULL, NULL);
	} else {
		assert_null(s);
		fcgi_io_close(c->server, NULL, NULL);
	}
}

/* Listen on text, connect to it, and check both ends saw each other. */
static void round_trip(const char *text)
{
	uv_loop_t loop;
	struct fcgi_addr a;
	struct ctx c;
	char err[200] = "", name[64];

	memset(&c, 0, sizeof(c));
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(fcgi_addr_parse(&a, text, err, sizeof(err)), 0);
	assert_int_equal(fcgi_io_listen(&loop, &a, 16, 0, on_conn, &c,
					&c.server, err, sizeof(err)),
			 0);
	fcgi_io_sockname(c.server, name, sizeof(name));
	if (a.family != AF_UNIX) {
		/* Port 0: learn the real one from the socket. */
		char *colon = strrchr(name, ':');
		assert_non_null(colon);
		assert_int_equal(fcgi_addr_parse(&a, name, err, sizeof(err)),
				 0);
		assert_int_not_equal(a.port, 0);
	} else {
		struct stat st;
		char want[160];
		snprintf(want, sizeof(want), "unix:%s", a.path);
		assert_string_equal(name, want);
		assert_int_equal(stat(a.path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
	}
	assert_int_equal(fcgi_io_connect(&loop, &a, on_connected, &c), 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(c.connected, 1);
	assert_int_equal(c.accepted, 1);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_unix_and_tcp(void **state)
{
	char dir[] = "/tmp/fcgitool-io.XXXXXX", path[128];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "unix:%s/s.sock", dir);
	round_trip(path);
	round_trip(path); /* the first left a stale socket file behind */
	round_trip("127.0.0.1:0");
	round_trip("[::1]:0");
	unlink(path + 5);
	rmdir(dir);
}

static void test_refused(void **state)
{
	uv_loop_t loop;
	struct fcgi_addr a;
	struct ctx c;
	char err[200];

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(
		fcgi_addr_parse(&a, "/nonexistent/x.sock", err, sizeof(err)),
		0);
	/* No server: on_connected closes c.server, which is NULL here. */
	assert_int_equal(fcgi_io_connect(&loop, &a, on_connected, &c), 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(c.status, UV_ENOENT);
	assert_int_equal(c.connected, 0);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void on_conn_unused(uv_stream_t *server, int status)
{
	(void)server;
	(void)status;
	fail();
}

static void test_listen_errors(void **state)
{
	uv_loop_t loop;
	struct fcgi_addr a;
	uv_stream_t *s1 = NULL, *s2 = NULL;
	char dir[] = "/tmp/fcgitool-io.XXXXXX", path[128], err[200] = "";
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(uv_loop_init(&loop), 0);
	/* A regular file where the socket should go is left alone. */
	snprintf(path, sizeof(path), "%s/file", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(fcgi_addr_parse(&a, path, err, sizeof(err)), 0);
	assert_int_equal(fcgi_io_listen(&loop, &a, 16, 0, on_conn_unused, NULL,
					&s1, err, sizeof(err)),
			 UV_EEXIST);
	assert_non_null(strstr(err, "exists and is not a socket"));
	unlink(path);
	/* A live socket is not taken over. */
	snprintf(path, sizeof(path), "%s/live.sock", dir);
	assert_int_equal(fcgi_addr_parse(&a, path, err, sizeof(err)), 0);
	assert_int_equal(fcgi_io_listen(&loop, &a, 16, 0660, on_conn_unused,
					NULL, &s1, err, sizeof(err)),
			 0);
	assert_int_equal(fcgi_io_listen(&loop, &a, 16, 0, on_conn_unused, NULL,
					&s2, err, sizeof(err)),
			 UV_EADDRINUSE);
	assert_string_equal(err, "somebody is listening there: address "
				 "already in use");
	fcgi_io_close(s1, NULL, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	unlink(path);
	rmdir(dir);
}

static void test_listen_fd(void **state)
{
	uv_loop_t loop;
	uv_stream_t *s = NULL;
	struct sockaddr_un sun;
	char dir[] = "/tmp/fcgitool-io.XXXXXX", err[200] = "";
	int fd, plain;

	(void)state;
	assert_non_null(mkdtemp(dir));
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	plain = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/fd.sock", dir);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_true(fcgi_io_fd_is_listener(fd));
	assert_false(fcgi_io_fd_is_listener(plain));
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(fcgi_io_listen_fd(&loop, plain, 4, on_conn_unused,
					   NULL, &s, err, sizeof(err)),
			 UV_ENOTSOCK);
	{
		char want[64];
		snprintf(want, sizeof(want),
			 "file descriptor %d is not a listening socket", plain);
		assert_string_equal(err, want);
	}
	assert_int_equal(fcgi_io_listen_fd(&loop, fd, 4, on_conn_unused, NULL,
					   &s, err, sizeof(err)),
			 0);
	fcgi_io_close(s, NULL, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	close(plain);
	unlink(sun.sun_path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timer),
		cmocka_unit_test(test_unix_and_tcp),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_listen_errors),
		cmocka_unit_test(test_listen_fd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
