/* SPDX-License-Identifier: MIT */
/*
 * capture.c - frames from pcap and pcapng files, standard input, gzip
 * pipes and live interfaces, through libpcap.  The only file of
 * libcapture that does I/O.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "capture.h"

#define SNAPLEN 262144
#define LIVE_BUFFER (32u << 20) /* lo at full speed loses less */
#define LIVE_TIMEOUT_MS 100
#define READ_BUFFER (256u * 1024)
#define GZIP_MAGIC0 0x1f
#define PCAPNG_MAGIC0 0x0a
#define PCAP_FILE_HDR 24 /* classic pcap: file header, then per record */
#define PCAP_REC_HDR 16

struct cap_source {
	pcap_t *p;
	FILE *f;	/* the stream libpcap reads (closed by pcap_close) */
	pid_t gzip_pid; /* gzip -dc, or 0 */
	pid_t pump_pid; /* copies standard input into gzip, or 0 */
	bool live;
	bool seekable;
	bool classic;  /* classic pcap: offsets can be counted */
	bool filtered; /* prog is applied here, not by libpcap */
	char *iobuf;   /* the stdio buffer of f, freed after it */
	struct bpf_program prog;
	uint64_t size;	  /* of the file, when known */
	uint64_t counted; /* classic pcap: bytes of the records read */
	uint64_t packets;
	bool at_end;		       /* the end of the input was reached */
	volatile sig_atomic_t stopped; /* cap_source_break */
	const char *name;
	char err[PCAP_ERRBUF_SIZE + 256];
};

static struct cap_source *source_new(const char *name)
{
	struct cap_source *s = calloc(1, sizeof(*s));

	if (s != NULL)
		s->name = name;
	return s;
}

/*
 * libpcap reads a header and a frame at a time through stdio: a large
 * buffer makes that a read(2) per READ_BUFFER bytes, as cat does, rather
 * than per 4 KiB.  glibc takes the size only with a buffer of our own;
 * standard input keeps a static one, as it outlives the source.
 */
static void big_buffer(struct cap_source *s, FILE *f)
{
	static char stdin_buf[READ_BUFFER];
	char *b = f == stdin ? stdin_buf : malloc(READ_BUFFER);

	if (b == NULL || setvbuf(f, b, _IOFBF, READ_BUFFER) != 0) {
		if (b != stdin_buf)
			free(b);
		return;
	}
	if (b != stdin_buf) {
		free(s->iobuf);
		s->iobuf = b;
	}
}

/* Start "gzip -dc" reading from fd in (closed here) and return its
 * output as a stream, or NULL with err set. */
static FILE *gzip_pipe(struct cap_source *s, int in, char *err, size_t n)
{
	int out[2], devnull;
	FILE *f;
	pid_t pid;

	if (pipe(out) != 0) {
		snprintf(err, n, "'%s': cannot make a pipe for gzip: %s",
			 s->name, strerror(errno));
		close(in);
		return NULL;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, n, "'%s': cannot start gzip: %s", s->name,
			 strerror(errno));
		close(in);
		close(out[0]);
		close(out[1]);
		return NULL;
	}
	if (pid == 0) {
		devnull = open("/dev/null", O_WRONLY);
		if (dup2(in, 0) < 0 || dup2(out[1], 1) < 0 ||
		    (devnull >= 0 && dup2(devnull, 2) < 0))
			_exit(126);
		close(out[0]);
		/* An ignored SIGPIPE would survive exec and turn our early
		 * stop into a gzip error. */
		signal(SIGPIPE, SIG_DFL);
		execlp("gzip", "gzip", "-dc", (char *)NULL);
		_exit(127);
	}
	close(in);
	close(out[1]);
	s->gzip_pid = pid;
	f = fdopen(out[0], "rb");
	if (f != NULL)
		big_buffer(s, f);
	if (f == NULL) {
		snprintf(err, n, "'%s': %s", s->name, strerror(errno));
		close(out[0]);
	}
	return f;
}

/* Standard input, already read into its stdio buffer, goes to gzip
 * through a pipe filled by a child that copies it. */
static FILE *gzip_stdin(struct cap_source *s, char *err, size_t n)
{
	char buf[65536];
	int fds[2];
	size_t got;
	pid_t pid;

	if (pipe(fds) != 0) {
		snprintf(err, n, "'-': cannot make a pipe for gzip: %s",
			 strerror(errno));
		return NULL;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, n, "'-': cannot start gzip: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return NULL;
	}
	if (pid == 0) {
		close(fds[0]);
		signal(SIGINT, SIG_IGN);
		while ((got = fread(buf, 1, sizeof(buf), stdin)) > 0)
			if (write(fds[1], buf, got) != (ssize_t)got)
				_exit(1);
		_exit(0);
	}
	close(fds[1]);
	s->pump_pid = pid;
	return gzip_pipe(s, fds[0], err, n);
}

/* The first byte of f, left in place; EOF for none. */
static int peek(FILE *f)
{
	int c = getc(f);

	if (c != EOF)
		ungetc(c, f);
	return c;
}

/* Compile filter (if any) and set it; 0, or -1 with err set. */
static int apply_filter(struct cap_source *s, const char *filter, char *err,
			size_t n)
{
	struct bpf_program prog;
	int rc;

	if (filter == NULL || filter[0] == '\0')
		return 0;
	if (pcap_compile(s->p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		snprintf(err, n, "bad filter '%s': %s", filter,
			 pcap_geterr(s->p));
		return -1;
	}
	/* A file's frames are filtered here rather than by libpcap, so
	 * that they keep their numbers in the file (as Wireshark shows
	 * them). */
	if (!s->live) {
		s->prog = prog;
		s->filtered = true;
		return 0;
	}
	rc = pcap_setfilter(s->p, &prog);
	pcap_freecode(&prog);
	if (rc != 0) {
		snprintf(err, n, "cannot set filter '%s': %s", filter,
			 pcap_geterr(s->p));
		return -1;
	}
	return 0;
}

struct cap_source *cap_source_file(const char *path, const char *filter,
				   char *err, size_t n)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct cap_source *s;
	struct stat st;
	bool is_stdin = strcmp(path, "-") == 0;
	FILE *f;
	int c, fd;

	s = source_new(path);
	if (s == NULL) {
		snprintf(err, n, "'%s': %s", path, strerror(ENOMEM));
		return NULL;
	}
	f = is_stdin ? stdin : fopen(path, "rb");
	if (f == NULL) {
		snprintf(err, n, "cannot open '%s': %s", path, strerror(errno));
		goto out_free;
	}
	s->f = f; /* closed by cap_source_close (but stdin) */
	big_buffer(s, f);
	c = peek(f);
	if (c == EOF) {
		snprintf(err, n, "'%s': empty file, not a capture", path);
		goto out_free;
	}
	if (c == GZIP_MAGIC0) {
		if (is_stdin) {
			f = gzip_stdin(s, err, n);
		} else {
			/* Afresh: stdio has read ahead on f's descriptor. */
			fd = open(path, O_RDONLY | O_CLOEXEC);
			fclose(f);
			f = fd < 0 ? NULL : gzip_pipe(s, fd, err, n);
			if (fd < 0)
				snprintf(err, n, "'%s': %s", path,
					 strerror(errno));
		}
		s->f = f;
		if (f == NULL)
			goto out_free;
		c = peek(f);
	} else if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode)) {
		s->size = (uint64_t)st.st_size;
		s->seekable = true;
	}
	s->classic = c != PCAPNG_MAGIC0;
	s->p = pcap_fopen_offline_with_tstamp_precision(
		f, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (s->p == NULL) {
		if (s->gzip_pid != 0 && c == EOF)
			snprintf(err, n, "'%s': gzip could not decompress it",
				 path);
		else
			snprintf(err, n, "'%s': %s", path, ebuf);
		goto out_free;
	}
	s->counted = PCAP_FILE_HDR;
	if (apply_filter(s, filter, err, n) != 0) {
		(void)cap_source_close(s, NULL, 0);
		return NULL;
	}
	return s;
out_free:
	(void)cap_source_close(s, NULL, 0);
	return NULL;
}

struct cap_source *cap_source_live(const char *iface, const char *filter,
				   char *err, size_t n)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct cap_source *s;
	int rc;

	s = source_new(iface);
	if (s == NULL) {
		snprintf(err, n, "'%s': %s", iface, strerror(ENOMEM));
		return NULL;
	}
	s->live = true;
	ebuf[0] = '\0';
	s->p = pcap_create(iface, ebuf);
	if (s->p == NULL) {
		snprintf(err, n, "cannot capture on '%s': %s", iface, ebuf);
		goto out_free;
	}
	(void)pcap_set_snaplen(s->p, SNAPLEN);
	(void)pcap_set_promisc(s->p, 0);
	(void)pcap_set_timeout(s->p, LIVE_TIMEOUT_MS);
	(void)pcap_set_buffer_size(s->p, LIVE_BUFFER);
	/* Packets as they come, not a buffer at a time. */
	(void)pcap_set_immediate_mode(s->p, 1);
	(void)pcap_set_tstamp_precision(s->p, PCAP_TSTAMP_PRECISION_NANO);
	rc = pcap_activate(s->p);
	if (rc < 0) {
		snprintf(err, n, "cannot capture on '%s': %s%s%s", iface,
			 pcap_statustostr(rc),
			 rc == PCAP_ERROR || rc == PCAP_ERROR_NO_SUCH_DEVICE ||
					 rc == PCAP_ERROR_PERM_DENIED
				 ? ": "
				 : "",
			 rc == PCAP_ERROR || rc == PCAP_ERROR_NO_SUCH_DEVICE ||
					 rc == PCAP_ERROR_PERM_DENIED
				 ? pcap_geterr(s->p)
				 : "");
		goto out_free;
	}
	if (apply_filter(s, filter, err, n) != 0)
		goto out_free;
	return s;
out_free:
	(void)cap_source_close(s, NULL, 0);
	return NULL;
}

int cap_source_next(struct cap_source *s, struct cap_frame *fr)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	for (;;) {
		rc = pcap_next_ex(s->p, &h, &data);
		if (rc == 1) {
			s->packets++;
			s->counted += PCAP_REC_HDR + (uint64_t)h->caplen;
			if (s->filtered &&
			    pcap_offline_filter(&s->prog, h, data) == 0)
				continue;
			break;
		}
		if (rc == 0)
			continue; /* a live timeout: nothing came */
		s->at_end = true;
		if (rc == PCAP_ERROR_BREAK)
			return 0; /* the end, or a break */
		if (s->classic && !s->live)
			snprintf(s->err, sizeof(s->err),
				 "'%s': packet %llu at offset %llu: %s",
				 s->name, (unsigned long long)s->packets + 1,
				 (unsigned long long)s->counted,
				 pcap_geterr(s->p));
		else
			snprintf(s->err, sizeof(s->err),
				 "'%s': packet %llu: %s", s->name,
				 (unsigned long long)s->packets + 1,
				 pcap_geterr(s->p));
		return -1;
	}
	fr->number = s->packets;
	fr->data = data;
	fr->caplen = h->caplen;
	fr->wirelen = h->len;
	/* Nanosecond precision was asked for: tv_usec holds nanoseconds. */
	fr->ts = (double)h->ts.tv_sec + (double)h->ts.tv_usec * 1e-9;
	return 1;
}

void cap_source_break(struct cap_source *s)
{
	if (s != NULL && s->p != NULL) {
		s->stopped = true;
		pcap_breakloop(s->p);
	}
}

int cap_source_linktype(const struct cap_source *s)
{
	return pcap_datalink(s->p);
}

const char *cap_source_error(const struct cap_source *s)
{
	return s->err;
}

uint64_t cap_source_pos(const struct cap_source *s)
{
	off_t o;

	if (s->seekable && s->f != NULL) {
		o = ftello(s->f);
		if (o >= 0)
			return (uint64_t)o;
	}
	return s->classic && !s->live && s->gzip_pid == 0 ? s->counted : 0;
}

uint64_t cap_source_size(const struct cap_source *s)
{
	return s->size;
}

uint64_t cap_source_dropped(const struct cap_source *s)
{
	struct pcap_stat st;

	if (!s->live || pcap_stats(s->p, &st) != 0)
		return 0;
	return (uint64_t)st.ps_drop + st.ps_ifdrop;
}

/* Reap pid; its exit status, or -1. */
static int reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

int cap_source_close(struct cap_source *s, char *err, size_t n)
{
	int rc = 0, st;

	if (s == NULL)
		return 0;
	if (s->filtered)
		pcap_freecode(&s->prog);
	if (s->p != NULL)
		pcap_close(s->p); /* closes s->f too */
	else if (s->f != NULL && s->f != stdin)
		fclose(s->f);
	free(s->iobuf);
	if (s->pump_pid > 0) {
		kill(s->pump_pid, SIGTERM);
		(void)reap(s->pump_pid);
	}
	if (s->gzip_pid > 0) {
		st = reap(s->gzip_pid);
		/* 128 + SIGPIPE: we stopped reading early, not a failure. */
		if (st != 0 && st != 128 + SIGPIPE && s->at_end &&
		    !s->stopped) {
			rc = -1;
			if (err != NULL)
				snprintf(err, n,
					 "'%s': gzip failed (status %d): the "
					 "compressed data is corrupt or "
					 "truncated",
					 s->name, st);
		}
	}
	free(s);
	return rc;
}
