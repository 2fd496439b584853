/* SPDX-License-Identifier: MIT */
/*
 * proxypeer.c - a raw byte peer for the proxy tests, and a generator of
 * FastCGI streams (made with the library's encoders).
 *
 *   proxypeer connect ADDR [options]   be the web server side
 *   proxypeer listen ADDR [options]    be the app side (-n connections)
 *     -i FILE   bytes to send (default none)
 *     -o FILE   where the received bytes go ("-" for stdout)
 *     -c N      send in writes of at most N bytes
 *     -a        send only after the peer's end of input (listen)
 *     -s MS     send only MS after connecting
 *     -H        hold: after sending, do not shut down the write side
 *     -R        reset (SO_LINGER 0) as soon as everything is sent
 *     -d MS     wait MS after sending before the reset (-R)
 *     -w MS     wait MS before reading anything (a slow reader)
 *     -n N      connections to serve one after another (listen; 1)
 *     -r FILE   create FILE once listening (listen)
 *     -t S      give up after S seconds (10): exit 3
 *   It prints "eof" or "reset" (how the peer ended) and the bytes
 *   received on stdout, unless -o - is given; exit 0, or 3 on errors.
 *
 *   proxypeer request [-k] [-I ID] [-b N] [-p NAME=VALUE ...]
 *   proxypeer response [-I ID] [-s STATUS] [-b N] [-e TEXT] [-x]
 *     write one request (BEGIN_REQUEST, PARAMS, STDIN of N bytes) or one
 *     response (STDOUT with a CGI header and N body bytes, optional
 *     STDERR, END_REQUEST; -x leaves END_REQUEST out) to stdout.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fcgi-uv.h"

struct peer {
	const char *in_path, *out_path, *ready_path;
	size_t chunk;
	int after, hold, reset, wait_ms, conns, timeout_s, delay_ms, send_ms;
	uint8_t *in;
	size_t in_len;
};

/* "proxypeer: <what> '<arg>': <errno text>", exit 3. */
static void die(const char *what, const char *arg)
{
	fprintf(stderr, "proxypeer: %s '%s': %s\n", what, arg, strerror(errno));
	exit(3);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	uint8_t *b = NULL, *nb;
	size_t cap = 0, n = 0;
	ssize_t r;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		die("cannot open", path);
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			nb = realloc(b, cap);
			if (nb == NULL)
				die("out of memory at", path);
			b = nb;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0)
			die("cannot read", path);
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	*len = n;
	return b;
}

/* A socket address from "unix:/p", "/p", "host:port". */
static socklen_t sockaddr_of(const char *text, struct sockaddr_storage *ss)
{
	struct fcgi_addr a;
	char err[256];

	memset(ss, 0, sizeof(*ss));
	if (fcgi_addr_parse(&a, text, err, sizeof(err)) != 0) {
		fprintf(stderr, "proxypeer: %s\n", err);
		exit(2);
	}
	if (a.family == AF_UNIX) {
		struct sockaddr_un *u = (struct sockaddr_un *)ss;

		u->sun_family = AF_UNIX;
		memcpy(u->sun_path, a.path, strlen(a.path) + 1);
		return sizeof(*u);
	}
	if (a.family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(a.port);
		inet_pton(AF_INET6, a.host, &s6->sin6_addr);
		return sizeof(*s6);
	}
	{
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(a.port);
		if (inet_pton(AF_INET, a.host, &s4->sin_addr) != 1) {
			fprintf(stderr, "proxypeer: '%s': numeric hosts only\n",
				a.host);
			exit(2);
		}
		return sizeof(*s4);
	}
}

static long long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void do_reset(int fd)
{
	struct linger lg = { 1, 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

/*
 * Exchange bytes on fd: send p->in (at once, or after the peer's end with
 * -a), read until the peer's end.  Returns 0 for a clean end, 1 for a
 * reset by the peer, 2 when we reset (fd is closed), 3 for other
 * failures; *got gets the bytes received.
 */
static int exchange(struct peer *p, int fd, FILE *out, unsigned long long *got)
{
	long long deadline = ms_now() + (long long)p->timeout_s * 1000;
	long long read_at = ms_now() + p->wait_ms;
	long long send_at = ms_now() + p->send_ms;
	size_t sent = 0, n;
	int peer_done = 0, shut = 0, how = 0;
	uint8_t buf[65536];
	struct pollfd pfd;
	ssize_t r;

	*got = 0;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	for (;;) {
		long long t = ms_now();
		int can_send = (!p->after || peer_done) && sent < p->in_len &&
			       t >= send_at;
		int wait;

		if (sent == p->in_len && !shut && t >= send_at &&
		    (!p->after || peer_done)) {
			if (p->reset) {
				struct timespec d = {
					p->delay_ms / 1000,
					(long)(p->delay_ms % 1000) * 1000000
				};

				nanosleep(&d, NULL);
				do_reset(fd);
				return 2; /* we reset: nothing more to read */
			}
			if (!p->hold)
				shutdown(fd, SHUT_WR);
			shut = 1;
		}
		if (peer_done && sent == p->in_len && (shut || p->hold))
			return how;
		if (t >= deadline) {
			fprintf(stderr, "proxypeer: timed out\n");
			return 3;
		}
		pfd.fd = fd;
		pfd.events = (can_send ? POLLOUT : 0) |
			     (!peer_done && t >= read_at ? POLLIN : 0);
		wait = (int)(deadline - t);
		if (!peer_done && t < read_at && read_at - t < wait)
			wait = (int)(read_at - t);
		if (t < send_at && send_at - t < wait)
			wait = (int)(send_at - t);
		if (poll(&pfd, 1, wait) < 0 && errno != EINTR)
			return 3;
		if (pfd.revents & POLLOUT) {
			n = p->in_len - sent;
			if (p->chunk > 0 && n > p->chunk)
				n = p->chunk;
			r = write(fd, p->in + sent, n);
			if (r > 0)
				sent += (size_t)r;
			else if (r < 0 && errno != EAGAIN && errno != EINTR)
				return errno == ECONNRESET || errno == EPIPE
					       ? 1
					       : 3;
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR) && !peer_done &&
		    ms_now() >= read_at) {
			r = read(fd, buf, sizeof(buf));
			if (r > 0) {
				if (out != NULL)
					fwrite(buf, 1, (size_t)r, out);
				*got += (unsigned long long)r;
			} else if (r == 0) {
				peer_done = 1;
			} else if (errno == ECONNRESET) {
				peer_done = 1;
				how = 1;
			} else if (errno != EAGAIN && errno != EINTR) {
				return 3;
			}
		}
	}
}

static int report(struct peer *p, int how, unsigned long long got)
{
	if (p->out_path == NULL || strcmp(p->out_path, "-") != 0)
		printf("%s %llu\n", how == 1 ? "reset" : "eof", got);
	return how == 3 ? 3 : 0;
}

static FILE *open_out(struct peer *p, int i)
{
	char path[4096];
	FILE *f;

	if (p->out_path == NULL)
		return NULL;
	if (strcmp(p->out_path, "-") == 0)
		return stdout;
	if (i == 0)
		snprintf(path, sizeof(path), "%s", p->out_path);
	else
		snprintf(path, sizeof(path), "%s.%d", p->out_path, i);
	f = fopen(path, "wb");
	if (f == NULL)
		die("cannot open", path);
	return f;
}

static int run_connect(struct peer *p, const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_of(addr, &ss);
	unsigned long long got;
	FILE *out;
	int fd, how;

	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) != 0)
		die("cannot connect to", addr);
	out = open_out(p, 0);
	how = exchange(p, fd, out, &got);
	if (out != NULL && out != stdout)
		fclose(out);
	if (how == 2) {
		printf("sent-reset %llu\n", got);
		return 0;
	}
	close(fd);
	return report(p, how, got);
}

static int run_listen(struct peer *p, const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_of(addr, &ss);
	unsigned long long got;
	int lfd, fd, how, i, rc = 0, on = 1;
	FILE *out;

	if (ss.ss_family == AF_UNIX)
		unlink(((struct sockaddr_un *)&ss)->sun_path);
	lfd = socket(ss.ss_family, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&ss, len) != 0 ||
	    listen(lfd, 16) != 0)
		die("cannot listen on", addr);
	if (p->ready_path != NULL) {
		FILE *rf = fopen(p->ready_path, "w");

		if (rf == NULL)
			die("cannot create", p->ready_path);
		fclose(rf);
	}
	for (i = 0; i < p->conns; i++) {
		fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			die("cannot accept on", addr);
		out = open_out(p, i);
		how = exchange(p, fd, out, &got);
		if (out != NULL && out != stdout)
			fclose(out);
		if (how == 2) {
			printf("sent-reset %llu\n", got);
			fflush(stdout);
			continue;
		}
		close(fd);
		if (report(p, how, got) != 0)
			rc = 3;
		fflush(stdout);
	}
	close(lfd);
	if (ss.ss_family == AF_UNIX)
		unlink(((struct sockaddr_un *)&ss)->sun_path);
	return rc;
}

static int gen(int argc, char **argv, int request)
{
	struct fcgi_buf b;
	struct fcgi_buf pv;
	uint8_t body8[8];
	struct fcgi_begin_body bb;
	struct fcgi_end_body eb;
	unsigned long id = 1, bodylen = 0, status = 200;
	const char *errtext = NULL;
	int keep = 0, noend = 0, c;
	uint8_t *body;
	char hdr[128];
	size_t off, n;

	fcgi_buf_init(&b, NULL, 0);
	fcgi_buf_init(&pv, NULL, 0);
	while ((c = getopt(argc, argv, "kxI:b:p:s:e:")) != -1) {
		switch (c) {
		case 'k':
			keep = 1;
			break;
		case 'x':
			noend = 1;
			break;
		case 'I':
			id = strtoul(optarg, NULL, 10);
			break;
		case 'b':
			bodylen = strtoul(optarg, NULL, 10);
			break;
		case 's':
			status = strtoul(optarg, NULL, 10);
			break;
		case 'e':
			errtext = optarg;
			break;
		case 'p': {
			const char *eq = strchr(optarg, '=');

			if (eq == NULL)
				return 2;
			fcgi_nv_encode(&pv, optarg, (size_t)(eq - optarg),
				       eq + 1, strlen(eq + 1));
			break;
		}
		default:
			return 2;
		}
	}
	body = malloc(bodylen + 1);
	for (n = 0; n < bodylen; n++)
		body[n] = (uint8_t)('a' + n % 26);
	if (request) {
		bb.role = FCGI_RESPONDER;
		bb.flags = keep ? FCGI_KEEP_CONN : 0;
		fcgi_begin_body_encode(body8, &bb);
		fcgi_record_encode(&b, FCGI_BEGIN_REQUEST, (uint16_t)id, body8,
				   8);
		for (off = 0; off < pv.len; off += n) {
			n = pv.len - off > FCGI_CHUNK_MAX ? FCGI_CHUNK_MAX
							  : pv.len - off;
			fcgi_record_encode(&b, FCGI_PARAMS, (uint16_t)id,
					   pv.data + off, n);
		}
		fcgi_record_encode(&b, FCGI_PARAMS, (uint16_t)id, NULL, 0);
		for (off = 0; off < bodylen; off += n) {
			n = bodylen - off > FCGI_CHUNK_MAX ? FCGI_CHUNK_MAX
							   : bodylen - off;
			fcgi_record_encode(&b, FCGI_STDIN, (uint16_t)id,
					   body + off, n);
		}
		fcgi_record_encode(&b, FCGI_STDIN, (uint16_t)id, NULL, 0);
	} else {
		n = (size_t)snprintf(hdr, sizeof(hdr),
				     "Status: %lu\r\nContent-Type: "
				     "text/plain\r\n\r\n",
				     status);
		fcgi_record_encode(&b, FCGI_STDOUT, (uint16_t)id, hdr, n);
		for (off = 0; off < bodylen; off += n) {
			n = bodylen - off > FCGI_CHUNK_MAX ? FCGI_CHUNK_MAX
							   : bodylen - off;
			fcgi_record_encode(&b, FCGI_STDOUT, (uint16_t)id,
					   body + off, n);
		}
		if (errtext != NULL) {
			fcgi_record_encode(&b, FCGI_STDERR, (uint16_t)id,
					   errtext, strlen(errtext));
			fcgi_record_encode(&b, FCGI_STDERR, (uint16_t)id, NULL,
					   0);
		}
		fcgi_record_encode(&b, FCGI_STDOUT, (uint16_t)id, NULL, 0);
		if (!noend) {
			eb.app_status = 0;
			eb.protocol_status = FCGI_REQUEST_COMPLETE;
			fcgi_end_body_encode(body8, &eb);
			fcgi_record_encode(&b, FCGI_END_REQUEST, (uint16_t)id,
					   body8, 8);
		}
	}
	fwrite(b.data, 1, b.len, stdout);
	fcgi_buf_fini(&b);
	fcgi_buf_fini(&pv);
	free(body);
	return 0;
}

int main(int argc, char **argv)
{
	struct peer p;
	const char *mode, *addr;
	int c;

	memset(&p, 0, sizeof(p));
	p.conns = 1;
	p.timeout_s = 10;
	if (argc < 2) {
		fprintf(stderr, "usage: proxypeer connect|listen ADDR [opts] | "
				"request|response [opts]\n");
		return 2;
	}
	mode = argv[1];
	if (strcmp(mode, "request") == 0 || strcmp(mode, "response") == 0)
		return gen(argc - 1, argv + 1, mode[2] == 'q');
	if (argc < 3)
		return 2;
	addr = argv[2];
	optind = 3;
	while ((c = getopt(argc, argv, "i:o:c:aHRw:n:t:d:r:s:")) != -1) {
		switch (c) {
		case 'i':
			p.in_path = optarg;
			break;
		case 'o':
			p.out_path = optarg;
			break;
		case 'r':
			p.ready_path = optarg;
			break;
		case 's':
			p.send_ms = (int)strtol(optarg, NULL, 10);
			break;
		case 'c':
			p.chunk = strtoul(optarg, NULL, 10);
			break;
		case 'a':
			p.after = 1;
			break;
		case 'H':
			p.hold = 1;
			break;
		case 'R':
			p.reset = 1;
			break;
		case 'w':
			p.wait_ms = (int)strtol(optarg, NULL, 10);
			break;
		case 'd':
			p.delay_ms = (int)strtol(optarg, NULL, 10);
			break;
		case 'n':
			p.conns = (int)strtol(optarg, NULL, 10);
			break;
		case 't':
			p.timeout_s = (int)strtol(optarg, NULL, 10);
			break;
		default:
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	if (p.in_path != NULL)
		p.in = slurp(p.in_path, &p.in_len);
	if (strcmp(mode, "connect") == 0)
		c = run_connect(&p, addr);
	else if (strcmp(mode, "listen") == 0)
		c = run_listen(&p, addr);
	else
		c = 2;
	free(p.in);
	return c;
}
