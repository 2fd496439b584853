/* SPDX-License-Identifier: MIT */
/*
 * cmd-pcap.c - fcgitool pcap: FastCGI out of a capture file or a live
 * interface.  Options and the read loop; libcapture (pcap/) finds and
 * decodes the connections, pcap-*.c show them.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pcap.h"
#include "util.h"

#define MAX_REDACT 64
#define FILTER_MAX 4096
#define PROGRESS_EVERY 8192 /* packets between looks at the clock */

static const char usage_text[] =
	"usage: fcgitool pcap [-hv] [--errors] [--json] [--no-redact] "
	"[--quiet]\n"
	"       [--requests] [--stats] [-c count] [--body-limit n]\n"
	"       [--extract dir] [--follow conn[:id]] [--idle seconds]\n"
	"       [--only type,...] [--port port] [--redact name]\n"
	"       [--severity level] file | -i interface [filter ...]\n";

enum {
	OPT_BODY_LIMIT = 256,
	OPT_ERRORS,
	OPT_EXTRACT,
	OPT_FOLLOW,
	OPT_IDLE,
	OPT_JSON,
	OPT_NO_REDACT,
	OPT_ONLY,
	OPT_PORT,
	OPT_QUIET,
	OPT_REDACT,
	OPT_REQUESTS,
	OPT_SEVERITY,
	OPT_STATS
};

static const struct option longopts[] = {
	{ "body-limit", required_argument, NULL, OPT_BODY_LIMIT },
	{ "count", required_argument, NULL, 'c' },
	{ "errors", no_argument, NULL, OPT_ERRORS },
	{ "extract", required_argument, NULL, OPT_EXTRACT },
	{ "follow", required_argument, NULL, OPT_FOLLOW },
	{ "help", no_argument, NULL, 'h' },
	{ "idle", required_argument, NULL, OPT_IDLE },
	{ "interface", required_argument, NULL, 'i' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "no-redact", no_argument, NULL, OPT_NO_REDACT },
	{ "only", required_argument, NULL, OPT_ONLY },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "redact", required_argument, NULL, OPT_REDACT },
	{ "requests", no_argument, NULL, OPT_REQUESTS },
	{ "severity", required_argument, NULL, OPT_SEVERITY },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "verbose", no_argument, NULL, 'v' },
	{ NULL, 0, NULL, 0 },
};

struct pv_args {
	struct cap_session_opts so;
	struct fcgi_render_opts ro;
	const char *file, *iface;
	char filter[FILTER_MAX];
	const char *redact[MAX_REDACT + 1];
	size_t nredact;
	unsigned long count; /* 0: all */
	int no_redact, views;
	bool verbose, severity_set;
};

static char out_buffer[256 * 1024];

/* The source being read, for the signal handler. */
static struct cap_source *volatile running;

static void on_signal(int sig)
{
	(void)sig;
	cap_source_break(running);
}

static int usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	warn("%s", msg);
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

/* "--only PARAMS,STDOUT": a bit per record type; 0 or -1. */
static int parse_only(char *list, unsigned *bits)
{
	char *p = list, *comma;
	int t;

	*bits = 0;
	for (;;) {
		comma = strchr(p, ',');
		if (comma != NULL)
			*comma = '\0';
		t = fcgi_type_lookup(p);
		if (t < 1) {
			warn("--only: '%s' is not a record type", p);
			return -1;
		}
		*bits |= 1u << t;
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}

/* The trailing arguments joined with spaces, as tcpdump does. */
static int join_filter(struct pv_args *a, int argc, char **argv, int from)
{
	size_t o = 0, n;

	for (int i = from; i < argc; i++) {
		n = strlen(argv[i]);
		if (o + n + 2 > sizeof(a->filter))
			return usage_error("the filter is longer than %d bytes",
					   FILTER_MAX - 2);
		if (o > 0)
			a->filter[o++] = ' ';
		memcpy(a->filter + o, argv[i], n);
		o += n;
	}
	a->filter[o] = '\0';
	return EXIT_OK;
}

/* One option; EXIT_OK, or an exit status after saying why. */
static int parse_opt(int c, struct pv_ctx *x, struct pv_args *a, char **argv)
{
	unsigned long v;
	uint64_t ms;

	switch (c) {
	case 'c':
		if (parse_ulong(optarg, 1, ~0UL, &a->count) != 0)
			return usage_error("-c: '%s' is not a positive number",
					   optarg);
		return EXIT_OK;
	case 'i':
		a->iface = optarg;
		return EXIT_OK;
	case 'v':
		a->verbose = true;
		return EXIT_OK;
	case OPT_BODY_LIMIT:
		if (parse_ulong(optarg, 1, FCGI_MAX_CONTENT, &v) != 0)
			return usage_error("--body-limit: '%s' is not a "
					   "number from 1 to 65535",
					   optarg);
		a->ro.body_limit = v;
		return EXIT_OK;
	case OPT_ERRORS:
		x->view = VIEW_ERRORS;
		a->views++;
		return EXIT_OK;
	case OPT_EXTRACT:
		x->extract = optarg;
		return EXIT_OK;
	case OPT_FOLLOW:
		if (pv_follow_parse(x, optarg) != 0)
			return usage_error("--follow: '%s' is not a "
					   "connection like c3 or c3:1",
					   optarg);
		x->view = VIEW_FOLLOW;
		a->views++;
		return EXIT_OK;
	case OPT_IDLE:
		if (parse_seconds_ms(optarg, &ms) != 0 || ms == 0)
			return usage_error("--idle: '%s' is not a positive "
					   "number of seconds",
					   optarg);
		a->so.reasm.idle = (double)ms / 1000;
		return EXIT_OK;
	case OPT_JSON:
		x->json = true;
		return EXIT_OK;
	case OPT_NO_REDACT:
		a->no_redact = 1;
		return EXIT_OK;
	case OPT_ONLY:
		if (parse_only(optarg, &a->ro.only_types) != 0) {
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		}
		return EXIT_OK;
	case OPT_PORT:
		if (parse_ulong(optarg, 1, 65535, &v) != 0)
			return usage_error("--port: '%s' is not a port from 1 "
					   "to 65535",
					   optarg);
		if (a->so.nports == CAP_PORTS_MAX)
			return usage_error("--port: more than %d ports",
					   CAP_PORTS_MAX);
		a->so.ports[a->so.nports++] = (uint16_t)v;
		return EXIT_OK;
	case OPT_QUIET:
		x->view = VIEW_FINDINGS;
		a->views++;
		return EXIT_OK;
	case OPT_REDACT:
		if (a->nredact == MAX_REDACT)
			return usage_error("--redact: more than %d names",
					   MAX_REDACT);
		a->redact[a->nredact++] = optarg;
		return EXIT_OK;
	case OPT_REQUESTS:
		x->view = VIEW_REQUESTS;
		a->views++;
		return EXIT_OK;
	case OPT_SEVERITY:
		if (parse_severity(optarg, &a->ro.show_severity) != 0)
			return usage_error("--severity: '%s' is not spec, "
					   "interop or note",
					   optarg);
		a->severity_set = true;
		return EXIT_OK;
	case OPT_STATS:
		x->view = VIEW_STATS;
		a->views++;
		return EXIT_OK;
	default:
		return usage_getopt(c, argv, longopts, usage_text);
	}
}

/* Parse argv: EXIT_OK to go on, -1 when -h was answered, else the exit
 * status. */
static int parse_args(int argc, char **argv, struct pv_ctx *x,
		      struct pv_args *a)
{
	const char *const *dflt;
	int c, rc;

	cap_session_opts_default(&a->so);
	fcgi_render_opts_default(&a->ro);
	for (dflt = fcgi_render_redact_default(); *dflt != NULL; dflt++)
		a->redact[a->nredact++] = *dflt;
	opterr = 0;
	optind = 1;
	/* "+": options end at the first operand, so that a filter such
	 * as "not port 22" is not taken for options. */
	while ((c = getopt_long(argc, argv, "+:c:hi:v", longopts, NULL)) !=
	       -1) {
		if (c == 'h') {
			fputs(usage_text, stdout);
			return -1;
		}
		rc = parse_opt(c, x, a, argv);
		if (rc != EXIT_OK)
			return rc;
	}
	if (a->views > 1)
		return usage_error("--errors, --follow, --quiet, --requests "
				   "and --stats exclude each other");
	if (x->extract != NULL && x->view != VIEW_FOLLOW)
		return usage_error("--extract needs --follow");
	if (a->iface == NULL) {
		if (optind >= argc)
			return usage_error("a capture file or -i interface "
					   "is required");
		a->file = argv[optind++];
	}
	rc = join_filter(a, argc, argv, optind);
	if (rc != EXIT_OK)
		return rc;
	/* Findings of severity note (PHP-FPM's end-open-streams on every
	 * request) only when asked for, as proxy does; --stats counts all. */
	if (!a->severity_set)
		a->ro.show_severity =
			a->verbose ? FCGI_SEV_NOTE : FCGI_SEV_INTEROP;
	x->show_severity = a->ro.show_severity;
	a->redact[a->no_redact ? 0 : a->nredact] = NULL;
	a->ro.redact = a->redact;
	a->ro.json = x->json;
	x->redact = a->redact;
	return EXIT_OK;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* "fcgitool pcap: 45% 120 MB, 1200000 packets, 35 connections" over
 * itself on a terminal. */
static void progress(struct cap_source *src, struct cap_session *s,
		     uint64_t packets)
{
	struct cap_session_stats st;
	uint64_t pos = cap_source_pos(src), size = cap_source_size(src);

	cap_session_stats(s, &st);
	fputs("\rfcgitool pcap: ", stderr);
	if (size > 0 && pos <= size)
		fprintf(stderr, "%llu%% ",
			(unsigned long long)(pos * 100 / size));
	if (pos > 0)
		fprintf(stderr, "%llu MB, ", (unsigned long long)(pos >> 20));
	fprintf(stderr, "%llu packets, %llu connections\033[K",
		(unsigned long long)packets, (unsigned long long)st.conns);
}

/* Read every frame into the session.  EXIT_OK or EXIT_IO. */
static int read_all(struct cap_source *src, struct cap_session *s,
		    const struct pv_args *a, bool show_progress)
{
	int linktype = cap_source_linktype(src);
	struct cap_frame fr;
	uint64_t n = 0;
	double last = show_progress ? now() : 0;
	int rc;

	while ((rc = cap_source_next(src, &fr)) == 1) {
		n++;
		if (cap_session_frame(s, linktype, fr.number, fr.ts, fr.data,
				      fr.caplen, fr.wirelen) == FCGI_ENOMEM)
			warn("packet %llu: out of memory",
			     (unsigned long long)fr.number);
		if (show_progress && n % PROGRESS_EVERY == 0 &&
		    now() - last >= 0.5) {
			last = now();
			progress(src, s, n);
		}
		/* Live, each packet's lines go out at once (as tcpdump
		 * -l), for a pipe or a file being watched. */
		if (a->iface != NULL)
			fflush(stdout);
		if (a->count > 0 && n >= a->count)
			break;
	}
	if (show_progress)
		fputs("\r\033[K", stderr);
	if (rc < 0) {
		warn("%s", cap_source_error(src));
		return EXIT_IO;
	}
	return EXIT_OK;
}

static struct cap_source *open_source(const struct pv_args *a)
{
	char err[1024];
	struct cap_source *src;

	if (a->iface != NULL)
		src = cap_source_live(a->iface, a->filter, err, sizeof(err));
	else
		src = cap_source_file(a->file, a->filter, err, sizeof(err));
	if (src == NULL)
		warn("%s", err);
	return src;
}

int cmd_pcap(int argc, char **argv)
{
	struct pv_args a;
	struct pv_ctx x;
	struct cap_session_stats ss;
	struct cap_source *src;
	struct cap_session *s;
	struct sigaction sa;
	char err[512];
	int rc, status, linktype;

	memset(&a, 0, sizeof(a));
	memset(&x, 0, sizeof(x));
	x.out = stdout;
	pv_stats_init(&x);
	rc = parse_args(argc, argv, &x, &a);
	if (rc < 0)
		return EXIT_OK; /* -h */
	if (rc != EXIT_OK)
		return rc;
	src = open_source(&a);
	if (src == NULL)
		return EXIT_IO;
	/* Lines go out a write(2) per OUT_BUFFER bytes, not per 4 KiB (on a
	 * terminal, stdio flushes each line anyway). */
	if (isatty(STDOUT_FILENO) != 1)
		(void)setvbuf(stdout, out_buffer, _IOFBF, sizeof(out_buffer));
	linktype = cap_source_linktype(src);
	if (!cap_linktype_ok(linktype)) {
		warn("'%s': link type %d is not supported (Ethernet, Linux "
		     "cooked, BSD loopback and raw IP are)",
		     a.iface != NULL ? a.iface : a.file, linktype);
		cap_source_close(src, NULL, 0);
		return EXIT_IO;
	}
	a.ro.color = !x.json && want_color(stdout);
	x.render = render_open(stdout, &a.ro);
	s = x.render != NULL ? cap_session_new(&a.so, &pv_callbacks, &x) : NULL;
	if (s == NULL) {
		warn("out of memory");
		fcgi_render_free(x.render);
		cap_source_close(src, NULL, 0);
		return EXIT_IO;
	}
	x.session = s;
	running = src;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	status = read_all(src, s, &a,
			  a.iface == NULL && isatty(STDERR_FILENO) == 1);
	cap_session_finish(s);
	if (x.view == VIEW_STATS) {
		cap_session_stats(s, &ss);
		pv_stats_print(&x, &ss);
	}
	if (a.iface != NULL && cap_source_dropped(src) > 0)
		warn("%llu packets dropped by the kernel",
		     (unsigned long long)cap_source_dropped(src));
	running = NULL;
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (cap_source_close(src, err, sizeof(err)) != 0) {
		warn("%s", err);
		status = EXIT_IO;
	}
	cap_session_free(s);
	fcgi_render_free(x.render);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		warn("cannot write the output: %s", strerror(errno));
		status = EXIT_IO;
	}
	if (x.extract_failed)
		status = EXIT_IO;
	if (status == EXIT_OK && x.view == VIEW_ERRORS && x.listed > 0)
		status = EXIT_PEER;
	return status;
}
