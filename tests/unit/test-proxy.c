/* SPDX-License-Identifier: MIT */
/*
 * test-proxy.c - the proxy engine through its API, on a real loop: the
 * bytes of each direction, their SHA-256 against the FIPS 180-4 test
 * vectors, the tap, the end of each direction, and argument errors.
 * The peers are plain non-blocking sockets pumped between loop turns.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fcgi-uv.h"

struct side {
	int fd;
	const uint8_t *out;
	size_t out_len, off;
	int shut;
	uint8_t *in;
	size_t in_len, in_cap;
	int eof;
};

struct seen {
	int conn_ends;
	struct fcgi_proxy_conn_info ci;
	char reason[200];
	int taps[8]; /* by kind */
	size_t tap_bytes[2];
	int requests;
	int stopped;
};

struct env {
	char dir[64];
	char px[128], app[128];
	int app_listen;
	uv_loop_t loop;
	struct fcgi_proxy *proxy;
	struct seen seen;
};

static void on_conn_end(void *arg, const struct fcgi_proxy_conn_info *ci)
{
	struct seen *s = arg;

	s->conn_ends++;
	s->ci = *ci;
	snprintf(s->reason, sizeof(s->reason), "%s", ci->reason);
	s->ci.reason = s->reason;
	s->ci.label = NULL;
	s->ci.peer = NULL;
}

static void on_request(void *arg, const struct fcgi_proxy_request_info *ri)
{
	struct seen *s = arg;

	(void)ri;
	s->requests++;
}

static void on_tap(void *arg, const struct fcgi_proxy_tap *t)
{
	struct seen *s = arg;

	s->taps[t->kind]++;
	if (t->kind == FCGI_TAP_DATA)
		s->tap_bytes[t->dir] += t->len;
	/* The slot is the tap's: use it and clean it up. */
	if (t->kind == FCGI_TAP_OPEN) {
		assert_null(*t->user);
		*t->user = malloc(1);
	} else if (t->kind == FCGI_TAP_CLOSE) {
		assert_non_null(*t->user);
		free(*t->user);
		*t->user = NULL;
	}
}

static void on_stopped(void *arg)
{
	((struct seen *)arg)->stopped = 1;
}

static void nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static int unix_socket(const char *path, int listening)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (listening) {
		assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)),
				 0);
		assert_int_equal(listen(fd, 8), 0);
	} else {
		assert_int_equal(
			connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	}
	nonblock(fd);
	return fd;
}

/* Move what can move without blocking. */
static void pump(struct side *s)
{
	ssize_t r;

	if (s->fd < 0)
		return;
	while (s->off < s->out_len) {
		r = write(s->fd, s->out + s->off, s->out_len - s->off);
		if (r <= 0)
			break;
		s->off += (size_t)r;
	}
	if (s->off == s->out_len && !s->shut) {
		shutdown(s->fd, SHUT_WR);
		s->shut = 1;
	}
	while (!s->eof) {
		if (s->in_cap - s->in_len < 65536) {
			s->in_cap = s->in_cap * 2 + 65536;
			s->in = realloc(s->in, s->in_cap);
			assert_non_null(s->in);
		}
		r = read(s->fd, s->in + s->in_len, s->in_cap - s->in_len);
		if (r > 0)
			s->in_len += (size_t)r;
		else if (r == 0)
			s->eof = 1;
		else
			break;
	}
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct fcgi_proxy_opts o;
	char err[256];

	assert_non_null(e);
	snprintf(e->dir, sizeof(e->dir), "/tmp/test-proxy.XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	snprintf(e->px, sizeof(e->px), "%s/px.sock", e->dir);
	snprintf(e->app, sizeof(e->app), "%s/app.sock", e->dir);
	e->app_listen = unix_socket(e->app, 1);
	assert_int_equal(uv_loop_init(&e->loop), 0);
	fcgi_proxy_opts_default(&o);
	assert_int_equal(fcgi_addr_parse(&o.listen, e->px, err, sizeof(err)),
			 0);
	assert_int_equal(fcgi_addr_parse(&o.upstream, e->app, err, sizeof(err)),
			 0);
	o.checksums = 1;
	o.read_size = 4096; /* many reads, many hash updates */
	o.on_conn_end = on_conn_end;
	o.on_request = on_request;
	o.on_tap = on_tap;
	o.arg = &e->seen;
	assert_int_equal(
		fcgi_proxy_new(&e->proxy, &e->loop, &o, err, sizeof(err)), 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	int i;

	fcgi_proxy_stop(e->proxy, on_stopped, &e->seen);
	for (i = 0; i < 1000 && !e->seen.stopped; i++)
		uv_run(&e->loop, UV_RUN_NOWAIT);
	assert_true(e->seen.stopped);
	fcgi_proxy_free(e->proxy);
	assert_int_equal(uv_loop_close(&e->loop), 0);
	close(e->app_listen);
	unlink(e->app);
	/* The proxy removed its own socket. */
	assert_int_equal(access(e->px, F_OK), -1);
	rmdir(e->dir);
	free(e);
	return 0;
}

/*
 * Run web -> proxy -> app with these bytes each way until the proxy has
 * reported the connection's end (or 10 s pass).
 */
static void exchange(struct env *e, const uint8_t *up, size_t up_len,
		     const uint8_t *down, size_t down_len, struct side *web,
		     struct side *app)
{
	int i;

	memset(web, 0, sizeof(*web));
	memset(app, 0, sizeof(*app));
	web->fd = unix_socket(e->px, 0);
	web->out = up;
	web->out_len = up_len;
	app->fd = -1;
	app->out = down;
	app->out_len = down_len;
	for (i = 0; i < 10000 && e->seen.conn_ends == 0; i++) {
		uv_run(&e->loop, UV_RUN_NOWAIT);
		if (app->fd < 0) {
			app->fd = accept(e->app_listen, NULL, NULL);
			if (app->fd >= 0)
				nonblock(app->fd);
		}
		pump(web);
		pump(app);
		poll(NULL, 0, 1);
	}
	assert_int_equal(e->seen.conn_ends, 1);
	close(web->fd);
	close(app->fd);
}

static void hex(char out[65], const uint8_t d[32])
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* FIPS 180-4 examples (and the NIST one-million-'a' vector), carried
 * through the proxy one way each. */
static void test_proxy_sha256_vectors(void **state)
{
	struct env *e = *state;
	static const char two_blocks[] =
		"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	uint8_t *million = malloc(1000000);
	struct side web, app;
	char h[65];

	assert_non_null(million);
	memset(million, 'a', 1000000);
	exchange(e, (const uint8_t *)two_blocks, sizeof(two_blocks) - 1,
		 million, 1000000, &web, &app);
	hex(h, e->seen.ci.dir[FCGI_DIR_TO_APP].sha256_read);
	assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039"
			       "a33ce45964ff2167f6ecedd419db06c1");
	hex(h, e->seen.ci.dir[FCGI_DIR_TO_APP].sha256_written);
	assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039"
			       "a33ce45964ff2167f6ecedd419db06c1");
	hex(h, e->seen.ci.dir[FCGI_DIR_TO_WEB].sha256_read);
	assert_string_equal(h, "cdc76e5c9914fb9281a1c7e284d73e67"
			       "f1809a48a497200e046d39ccc7112cd0");
	hex(h, e->seen.ci.dir[FCGI_DIR_TO_WEB].sha256_written);
	assert_string_equal(h, "cdc76e5c9914fb9281a1c7e284d73e67"
			       "f1809a48a497200e046d39ccc7112cd0");
	assert_int_equal(app.in_len, sizeof(two_blocks) - 1);
	assert_memory_equal(app.in, two_blocks, app.in_len);
	assert_int_equal(web.in_len, 1000000);
	assert_memory_equal(web.in, million, 1000000);
	free(web.in);
	free(app.in);
	free(million);
}

/* "abc" and the empty string; both ends are passed on as EOF; the tap
 * sees every byte and every end. */
static void test_proxy_ends_and_tap(void **state)
{
	struct env *e = *state;
	struct side web, app;
	struct fcgi_proxy_stats st;
	char h[65];

	exchange(e, (const uint8_t *)"abc", 3, NULL, 0, &web, &app);
	hex(h, e->seen.ci.dir[FCGI_DIR_TO_APP].sha256_read);
	assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223"
			       "b00361a396177a9cb410ff61f20015ad");
	hex(h, e->seen.ci.dir[FCGI_DIR_TO_WEB].sha256_written);
	assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb924"
			       "27ae41e4649b934ca495991b7852b855");
	assert_int_equal(e->seen.ci.dir[FCGI_DIR_TO_APP].read, 3);
	assert_int_equal(e->seen.ci.dir[FCGI_DIR_TO_APP].written, 3);
	assert_int_equal(e->seen.ci.dir[FCGI_DIR_TO_APP].end, FCGI_PROXY_EOF);
	assert_int_equal(e->seen.ci.dir[FCGI_DIR_TO_WEB].end, FCGI_PROXY_EOF);
	assert_string_equal(e->seen.reason, "closed");
	assert_int_equal(e->seen.ci.conn, 1);
	assert_true(web.eof);
	assert_true(app.eof);
	assert_int_equal(e->seen.taps[FCGI_TAP_OPEN], 1);
	assert_int_equal(e->seen.taps[FCGI_TAP_FIN], 2);
	assert_int_equal(e->seen.taps[FCGI_TAP_RESET], 0);
	assert_int_equal(e->seen.taps[FCGI_TAP_CLOSE], 1);
	assert_int_equal(e->seen.tap_bytes[FCGI_DIR_TO_APP], 3);
	assert_int_equal(e->seen.tap_bytes[FCGI_DIR_TO_WEB], 0);
	/* "abc" is no FastCGI: one bad-version finding, no request. */
	assert_int_equal(e->seen.ci.violations, 1);
	assert_int_equal(e->seen.requests, 0);
	fcgi_proxy_stats(e->proxy, &st);
	assert_int_equal(st.accepted, 1);
	assert_int_equal(st.open, 0);
	assert_int_equal(st.bytes[FCGI_DIR_TO_APP], 3);
	free(web.in);
	free(app.in);
}

static void test_proxy_bad_arguments(void **state)
{
	struct fcgi_proxy_opts o;
	struct fcgi_proxy *p = NULL;
	uv_loop_t loop;
	char err[256] = "";
	char path[] = "/tmp/test-proxy-file.XXXXXX";
	int fd;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	fcgi_proxy_opts_default(&o);
	assert_int_equal(fcgi_proxy_new(NULL, &loop, &o, err, sizeof(err)),
			 FCGI_EINVAL);
	assert_int_equal(fcgi_proxy_new(&p, NULL, &o, err, sizeof(err)),
			 FCGI_EINVAL);
	assert_int_equal(fcgi_proxy_new(&p, &loop, NULL, err, sizeof(err)),
			 FCGI_EINVAL);
	o.max_pending = 0;
	assert_int_equal(fcgi_proxy_new(&p, &loop, &o, err, sizeof(err)),
			 FCGI_EINVAL);
	/* A listen path that is a plain file. */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	fcgi_proxy_opts_default(&o);
	assert_int_equal(fcgi_addr_parse(&o.listen, path, err, sizeof(err)), 0);
	assert_int_equal(
		fcgi_addr_parse(&o.upstream, "/nonexistent", err, sizeof(err)),
		0);
	assert_int_equal(fcgi_proxy_new(&p, &loop, &o, err, sizeof(err)),
			 FCGI_EADDR);
	assert_null(p);
	assert_non_null(strstr(err, "exists and is not a socket"));
	unlink(path);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	fcgi_proxy_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_proxy_sha256_vectors,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_proxy_ends_and_tap, setup,
						teardown),
		cmocka_unit_test(test_proxy_bad_arguments),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
