/* SPDX-License-Identifier: MIT */
/*
 * pingpong.c - the wire's limit for one request per round trip: a client
 * process sends a message of -s bytes on each of -c connections and an
 * echo process sends it back, over and over, for -d seconds; both run an
 * epoll loop, as a FastCGI load client and server would.  The round
 * trips per second are what a server answering one request per round
 * trip on that many connections could reach at best.  `make bench`
 * compares fcgitool serve against it (bench/goals.sh).
 *
 *   pingpong [-c conns] [-d seconds] [-s bytes] [-t]
 *
 * Unix socket pairs, or loopback TCP connections with -t.  The last line
 * on stdout is "roundtrips=N seconds=S rps=R".
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 1024
#define MAX_SIZE 65536

struct end {
	int fd;
	size_t got; /* bytes of the current message read */
};

static void die(const char *what)
{
	fprintf(stderr, "pingpong: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The whole message.  Only one is in flight per connection, so the
 * socket buffer has room for it; a larger one than the buffer spins. */
static void send_all(int fd, const char *buf, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, buf, n);
		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w < 0)
			die("write");
		buf += w;
		n -= (size_t)w;
	}
}

/* Read what is there of the current message; 1 when it is whole, 0 when
 * not yet, -1 at the end of the stream. */
static int take(struct end *e, char *buf, size_t size)
{
	ssize_t r;

	for (;;) {
		r = read(e->fd, buf + e->got, size - e->got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return 0;
		if (r < 0 && errno != ECONNRESET)
			die("read");
		if (r <= 0)
			return -1; /* a reset: the other side is done too */
		e->got += (size_t)r;
		if (e->got == size) {
			e->got = 0;
			return 1;
		}
	}
}

/* Echo every message back until the client closes. */
static void echo(struct end *ends, int n, size_t size)
{
	struct epoll_event ev, evs[64];
	char buf[MAX_SIZE];
	int ep, i, k, open = n, rc;

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll_create1");
	for (i = 0; i < n; i++) {
		ev.events = EPOLLIN;
		ev.data.ptr = &ends[i];
		if (epoll_ctl(ep, EPOLL_CTL_ADD, ends[i].fd, &ev) != 0)
			die("epoll_ctl");
	}
	while (open > 0) {
		k = epoll_wait(ep, evs, 64, -1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			die("epoll_wait");
		for (i = 0; i < k; i++) {
			struct end *e = evs[i].data.ptr;

			rc = take(e, buf, size);
			if (rc > 0) {
				send_all(e->fd, buf, size);
			} else if (rc < 0) {
				epoll_ctl(ep, EPOLL_CTL_DEL, e->fd, NULL);
				close(e->fd);
				open--;
			}
		}
	}
	exit(0);
}

/* Ping on every connection for secs seconds; the round trips done. */
static unsigned long ping(struct end *ends, int n, size_t size, double secs,
			  double *took)
{
	struct epoll_event ev, evs[64];
	char buf[MAX_SIZE];
	unsigned long trips = 0;
	double t0, t1 = 0;
	int ep, i, k, rc;

	memset(buf, 'p', size);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll_create1");
	for (i = 0; i < n; i++) {
		ev.events = EPOLLIN;
		ev.data.ptr = &ends[i];
		if (epoll_ctl(ep, EPOLL_CTL_ADD, ends[i].fd, &ev) != 0)
			die("epoll_ctl");
	}
	t0 = now_s();
	for (i = 0; i < n; i++)
		send_all(ends[i].fd, buf, size);
	for (;;) {
		k = epoll_wait(ep, evs, 64, -1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			die("epoll_wait");
		t1 = now_s();
		if (t1 - t0 >= secs)
			break;
		for (i = 0; i < k; i++) {
			struct end *e = evs[i].data.ptr;

			rc = take(e, buf, size);
			if (rc < 0) {
				errno = EPIPE;
				die("the echo side closed");
			}
			if (rc > 0) {
				trips++;
				send_all(e->fd, buf, size);
			}
		}
	}
	*took = t1 - t0;
	return trips;
}

/* n loopback TCP connections: client ends in c[], server ends in s[]. */
static void tcp_pairs(struct end *c, struct end *s, int n)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int lfd, i, one = 1;

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		die("socket");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    listen(lfd, n) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &len) != 0)
		die("listen");
	for (i = 0; i < n; i++) {
		c[i].fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c[i].fd < 0 ||
		    connect(c[i].fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
			die("connect");
		s[i].fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (s[i].fd < 0)
			die("accept");
		setsockopt(c[i].fd, IPPROTO_TCP, TCP_NODELAY, &one,
			   sizeof(one));
		setsockopt(s[i].fd, IPPROTO_TCP, TCP_NODELAY, &one,
			   sizeof(one));
	}
	close(lfd);
}

int main(int argc, char **argv)
{
	static struct end c[MAX_CONNS], s[MAX_CONNS];
	int n = 16, tcp = 0, i, opt, sv[2], status;
	size_t size = 100;
	double secs = 3, took = 0;
	unsigned long trips;
	pid_t pid;

	while ((opt = getopt(argc, argv, "c:d:s:t")) != -1) {
		switch (opt) {
		case 'c':
			n = (int)strtol(optarg, NULL, 10);
			break;
		case 'd':
			secs = strtod(optarg, NULL);
			break;
		case 's':
			size = (size_t)strtoul(optarg, NULL, 10);
			break;
		case 't':
			tcp = 1;
			break;
		default:
			fprintf(stderr, "usage: pingpong [-c conns] "
					"[-d seconds] [-s bytes] [-t]\n");
			return 2;
		}
	}
	if (n < 1 || n > MAX_CONNS || size < 1 || size > MAX_SIZE ||
	    !(secs > 0)) {
		fprintf(stderr, "pingpong: -c 1..%d, -s 1..%d, -d > 0\n",
			MAX_CONNS, MAX_SIZE);
		return 2;
	}
	if (tcp) {
		tcp_pairs(c, s, n);
	} else {
		for (i = 0; i < n; i++) {
			if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				       sv) != 0)
				die("socketpair");
			c[i].fd = sv[0];
			s[i].fd = sv[1];
		}
	}
	for (i = 0; i < n; i++) {
		if (fcntl(c[i].fd, F_SETFL, O_NONBLOCK) != 0 ||
		    fcntl(s[i].fd, F_SETFL, O_NONBLOCK) != 0)
			die("fcntl");
	}
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		for (i = 0; i < n; i++)
			close(c[i].fd);
		echo(s, n, size);
	}
	for (i = 0; i < n; i++)
		close(s[i].fd);
	trips = ping(c, n, size, secs, &took);
	for (i = 0; i < n; i++)
		close(c[i].fd);
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid");
	printf("roundtrips=%lu seconds=%.3f rps=%.1f\n", trips, took,
	       took > 0 ? (double)trips / took : 0.0);
	return 0;
}
