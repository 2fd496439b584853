/* SPDX-License-Identifier: MIT */
/*
 * cmd-proxy.c - fcgitool proxy: options and wiring around the library's
 * proxy (lib/proxy.c), which forwards and decodes.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proxy.h"
#include "pcapng.h"
#include "util.h"

#define MAX_REDACT 64
/* The log is written in writes of LOG_BUF bytes, and what is buffered
 * reaches the file at most LOG_FLUSH_MS after it was logged (and at
 * exit), never once per record or per loop round. */
#define LOG_BUF (256 * 1024)
#define LOG_FLUSH_MS 100

static char log_buf[LOG_BUF];

static const char usage_text[] =
	"usage: fcgitool proxy [-hv] [--json] [--no-redact] [--quiet] "
	"[--strict]\n"
	"       [--summary] [--body-limit n] [--log file] [--only type,...]\n"
	"       [--pcap file] [--redact name] [--severity level]\n"
	"       [--timeout-status code] [--upstream-timeout seconds]\n"
	"       --listen address --upstream address\n";

enum {
	OPT_BODY_LIMIT = 256,
	OPT_JSON,
	OPT_LISTEN,
	OPT_LOG,
	OPT_NO_REDACT,
	OPT_ONLY,
	OPT_PCAP,
	OPT_QUIET,
	OPT_REDACT,
	OPT_SEVERITY,
	OPT_STRICT,
	OPT_SUMMARY,
	OPT_TIMEOUT_STATUS,
	OPT_UPSTREAM,
	OPT_UPSTREAM_TIMEOUT
};

static const struct option longopts[] = {
	{ "body-limit", required_argument, NULL, OPT_BODY_LIMIT },
	{ "help", no_argument, NULL, 'h' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "no-redact", no_argument, NULL, OPT_NO_REDACT },
	{ "only", required_argument, NULL, OPT_ONLY },
	{ "pcap", required_argument, NULL, OPT_PCAP },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "redact", required_argument, NULL, OPT_REDACT },
	{ "severity", required_argument, NULL, OPT_SEVERITY },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "summary", no_argument, NULL, OPT_SUMMARY },
	{ "timeout-status", required_argument, NULL, OPT_TIMEOUT_STATUS },
	{ "upstream", required_argument, NULL, OPT_UPSTREAM },
	{ "upstream-timeout", required_argument, NULL, OPT_UPSTREAM_TIMEOUT },
	{ "verbose", no_argument, NULL, 'v' },
	{ NULL, 0, NULL, 0 },
};

struct proxy_args {
	struct fcgi_proxy_opts po;
	struct fcgi_render_opts ro;
	const char *listen, *upstream, *log_path, *pcap_path;
	const char *redact[MAX_REDACT + 1];
	size_t nredact;
	bool no_redact, json, quiet, summary, verbose, severity_set;
};

struct proxy_run {
	uv_loop_t loop;
	uv_signal_t sig[2];
	uv_prepare_t flush;
	uv_timer_t flush_timer;
	bool flush_each_round; /* the log is a terminal: a person watches */
	struct fcgi_proxy *proxy;
	struct proxy_out out;
};

/* The message, then the usage, on stderr; returns EXIT_USAGE. */
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

/* "--only PARAMS,STDOUT": a bit per record type. */
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

static int parse_addr(const char *opt, const char *text, struct fcgi_addr *a)
{
	char err[256];

	if (fcgi_addr_parse(a, text, err, sizeof(err)) != 0) {
		warn("%s: %s", opt, err);
		return -1;
	}
	return 0;
}

/* Parse argv into a: EXIT_OK to go on, -1 when -h was answered, else
 * the exit status. */
static int parse_args(int argc, char **argv, struct proxy_args *a)
{
	const char *const *dflt;
	unsigned long v;
	uint64_t ms;
	int c;

	fcgi_proxy_opts_default(&a->po);
	fcgi_render_opts_default(&a->ro);
	for (dflt = fcgi_render_redact_default(); *dflt != NULL; dflt++)
		a->redact[a->nredact++] = *dflt;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":hv", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			return -1;
		case 'v':
			a->verbose = true;
			break;
		case OPT_BODY_LIMIT:
			if (parse_ulong(optarg, 1, FCGI_MAX_CONTENT, &v) != 0)
				return usage_error("--body-limit: '%s' is not "
						   "a number from 1 to 65535",
						   optarg);
			a->ro.body_limit = v;
			break;
		case OPT_JSON:
			a->json = true;
			break;
		case OPT_LISTEN:
			a->listen = optarg;
			break;
		case OPT_LOG:
			a->log_path = optarg;
			break;
		case OPT_NO_REDACT:
			a->no_redact = true;
			break;
		case OPT_ONLY:
			if (parse_only(optarg, &a->ro.only_types) != 0) {
				fputs(usage_text, stderr);
				return EXIT_USAGE;
			}
			break;
		case OPT_PCAP:
			a->pcap_path = optarg;
			break;
		case OPT_QUIET:
			a->quiet = true;
			break;
		case OPT_REDACT:
			if (a->nredact == MAX_REDACT)
				return usage_error("--redact: more than %d "
						   "names",
						   MAX_REDACT);
			a->redact[a->nredact++] = optarg;
			break;
		case OPT_SEVERITY:
			if (parse_severity(optarg, &a->ro.show_severity) != 0)
				return usage_error("--severity: '%s' is not "
						   "spec, interop or note",
						   optarg);
			a->severity_set = true;
			break;
		case OPT_STRICT:
			a->po.strict = 1;
			break;
		case OPT_SUMMARY:
			a->summary = true;
			break;
		case OPT_TIMEOUT_STATUS:
			if (parse_ulong(optarg, 100, 599, &v) != 0)
				return usage_error("--timeout-status: '%s' is "
						   "not an HTTP status from "
						   "100 to 599",
						   optarg);
			a->po.timeout_status = (unsigned)v;
			break;
		case OPT_UPSTREAM:
			a->upstream = optarg;
			break;
		case OPT_UPSTREAM_TIMEOUT:
			if (parse_seconds_ms(optarg, &ms) != 0 || ms == 0)
				return usage_error("--upstream-timeout: '%s' "
						   "is not a positive number "
						   "of seconds",
						   optarg);
			a->po.upstream_timeout_ms = ms;
			break;
		default:
			return usage_getopt(c, argv, longopts, usage_text);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (a->listen == NULL)
		return usage_error("--listen is required");
	if (a->upstream == NULL)
		return usage_error("--upstream is required");
	if (a->quiet && a->summary)
		return usage_error("--quiet and --summary exclude each "
				   "other");
	if (parse_addr("--listen", a->listen, &a->po.listen) != 0 ||
	    parse_addr("--upstream", a->upstream, &a->po.upstream) != 0) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	/* Findings of severity note (PHP-FPM's end-open-streams on every
	 * request) only when asked for; --summary still counts them. */
	if (!a->severity_set)
		a->ro.show_severity =
			a->verbose ? FCGI_SEV_NOTE : FCGI_SEV_INTEROP;
	a->redact[a->no_redact ? 0 : a->nredact] = NULL;
	a->ro.redact = a->redact;
	a->ro.json = a->json;
	a->po.log = a->quiet || a->summary ? FCGI_PROXY_LOG_FINDINGS
					   : FCGI_PROXY_LOG_RECORDS;
	a->po.checksums = a->summary;
	return EXIT_OK;
}

static void on_stopped(void *arg)
{
	struct proxy_run *r = arg;

	uv_close((uv_handle_t *)&r->sig[0], NULL);
	uv_close((uv_handle_t *)&r->sig[1], NULL);
	uv_close((uv_handle_t *)&r->flush, NULL);
	uv_close((uv_handle_t *)&r->flush_timer, NULL);
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct proxy_run *r = s->data;

	(void)signum;
	fcgi_proxy_stop(r->proxy, on_stopped, r);
}

static void on_flush_timer(uv_timer_t *t)
{
	struct proxy_run *r = t->data;

	fflush(r->out.log);
}

/* Before each wait of the loop: a terminal gets what the last round of
 * callbacks logged at once; a file or pipe gets it when the buffer fills
 * (stdio writes it whole then) or, at the latest, when the flush timer
 * fires, so that the log costs one write(2) per LOG_BUF bytes under load
 * and stays at most LOG_FLUSH_MS behind when the proxy idles.  Arming a
 * libuv timer is no system call. */
static void on_prepare(uv_prepare_t *h)
{
	struct proxy_run *r = h->data;

	if (__fpending(r->out.log) == 0)
		return;
	if (r->flush_each_round)
		fflush(r->out.log);
	else if (!uv_is_active((uv_handle_t *)&r->flush_timer))
		uv_timer_start(&r->flush_timer, on_flush_timer, LOG_FLUSH_MS,
			       0);
}

/* Open the outputs; EXIT_OK or EXIT_IO. */
static int open_outputs(struct proxy_args *a, struct proxy_out *o)
{
	char err[512];

	o->log = stderr;
	if (a->log_path != NULL) {
		o->log = fopen(a->log_path, "a");
		if (o->log == NULL) {
			warn("--log: cannot open '%s': %s", a->log_path,
			     strerror(errno));
			return EXIT_IO;
		}
	}
	/* stderr is unbuffered (a line through it took dozens of
	 * write(2)s) and a file gets a buffer of one disk block: both get
	 * LOG_BUF bytes, flushed by on_prepare() and the flush timer.  The
	 * buffer is static because stderr outlives this function, and
	 * glibc ignores the size when it is asked to allocate one. */
	setvbuf(o->log, log_buf, _IOFBF, sizeof(log_buf));
	a->ro.color = !a->json && want_color(o->log);
	o->render = render_open(o->log, &a->ro);
	if (o->render == NULL) {
		warn("out of memory");
		return EXIT_IO;
	}
	o->json = a->json;
	o->summary = a->summary;
	o->quiet = a->quiet;
	o->pcap_path = a->pcap_path;
	if (a->pcap_path != NULL) {
		o->pcap = cap_pcapng_open(a->pcap_path, err, sizeof(err));
		if (o->pcap == NULL) {
			warn("--pcap: %s", err);
			return EXIT_IO;
		}
	}
	return EXIT_OK;
}

/* Close the outputs; EXIT_IO when one could not be written. */
static int close_outputs(struct proxy_out *o)
{
	int rc = EXIT_OK;

	if (o->pcap != NULL && cap_pcapng_close(o->pcap) != 0) {
		if (!o->pcap_failed)
			warn("--pcap: '%s': cannot write capture",
			     o->pcap_path);
		rc = EXIT_IO;
	} else if (o->pcap_failed) {
		rc = EXIT_IO;
	}
	o->pcap = NULL;
	fcgi_render_free(o->render);
	o->render = NULL;
	if (o->log != NULL && o->log != stderr && fclose(o->log) != 0) {
		warn("--log: cannot write: %s", strerror(errno));
		rc = EXIT_IO;
	}
	return rc;
}

int cmd_proxy(int argc, char **argv)
{
	struct proxy_args a;
	struct proxy_run r;
	char err[512];
	int rc, status;

	memset(&a, 0, sizeof(a));
	memset(&r, 0, sizeof(r));
	rc = parse_args(argc, argv, &a);
	if (rc < 0)
		return EXIT_OK; /* -h */
	if (rc != EXIT_OK)
		return rc;
	/* A peer may close while bytes are queued for it. */
	signal(SIGPIPE, SIG_IGN);
	status = open_outputs(&a, &r.out);
	if (status != EXIT_OK) {
		close_outputs(&r.out);
		return status;
	}
	a.po.render = r.out.render;
	/* Only --summary prints requests; without it the library need not
	 * work out their method, script, status and stderr lines. */
	a.po.on_request = a.summary ? proxy_out_request : NULL;
	a.po.on_conn_end = proxy_out_conn_end;
	a.po.on_tap = proxy_out_tap;
	a.po.arg = &r.out;
	uv_loop_init(&r.loop);
	rc = fcgi_proxy_new(&r.proxy, &r.loop, &a.po, err, sizeof(err));
	if (rc != 0) {
		if (rc == FCGI_EADDR)
			warn("'%s': %s", a.listen, err);
		else
			warn("cannot start: %s", fcgi_strerror(rc));
		uv_run(&r.loop, UV_RUN_DEFAULT);
		uv_loop_close(&r.loop);
		close_outputs(&r.out);
		return EXIT_IO;
	}
	fflush(r.out.log); /* the listen note: the proxy is ready */
	uv_signal_init(&r.loop, &r.sig[0]);
	uv_signal_init(&r.loop, &r.sig[1]);
	r.sig[0].data = r.sig[1].data = &r;
	uv_signal_start(&r.sig[0], on_signal, SIGINT);
	uv_signal_start(&r.sig[1], on_signal, SIGTERM);
	uv_prepare_init(&r.loop, &r.flush);
	r.flush.data = &r;
	uv_prepare_start(&r.flush, on_prepare);
	uv_timer_init(&r.loop, &r.flush_timer);
	r.flush_timer.data = &r;
	r.flush_each_round = isatty(fileno(r.out.log)) == 1;
	uv_run(&r.loop, UV_RUN_DEFAULT);
	fcgi_proxy_free(r.proxy);
	uv_loop_close(&r.loop);
	return close_outputs(&r.out);
}
