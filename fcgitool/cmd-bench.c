/* SPDX-License-Identifier: MIT */
/* cmd-bench.c - fcgitool bench: options and their checks. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "request.h"
#include "util.h"

#define MAX_CONNS 100000
#define MAX_THREADS 256
#define MAX_MPX 1024
#define MAX_THRESHOLDS 32

static const char usage_text[] =
	"usage: fcgitool bench [-h] [--json] [--keep-conn] "
	"[--no-default-params]\n"
	"       [-c connections] [-d seconds] [-H header] [-n count] "
	"[-p name=value]\n"
	"       [-t threads] [-X method] [--data data] [--data-file file]\n"
	"       [--fail-if condition] [--mpx count] [--plot file] "
	"[--plot-with file]\n"
	"       [--rate requests] [--role role] [--root dir] "
	"[--timeout seconds]\n"
	"       [--warmup seconds] address [uri]\n";

enum {
	OPT_DATA = 256,
	OPT_DATA_FILE,
	OPT_FAIL_IF,
	OPT_JSON,
	OPT_KEEP_CONN,
	OPT_MPX,
	OPT_NO_DEFAULT_PARAMS,
	OPT_PLOT,
	OPT_PLOT_WITH,
	OPT_RATE,
	OPT_ROLE,
	OPT_ROOT,
	OPT_TIMEOUT,
	OPT_WARMUP
};

static const struct option longopts[] = {
	{ "connections", required_argument, NULL, 'c' },
	{ "data", required_argument, NULL, OPT_DATA },
	{ "data-file", required_argument, NULL, OPT_DATA_FILE },
	{ "duration", required_argument, NULL, 'd' },
	{ "fail-if", required_argument, NULL, OPT_FAIL_IF },
	{ "header", required_argument, NULL, 'H' },
	{ "help", no_argument, NULL, 'h' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "keep-conn", no_argument, NULL, OPT_KEEP_CONN },
	{ "mpx", required_argument, NULL, OPT_MPX },
	{ "no-default-params", no_argument, NULL, OPT_NO_DEFAULT_PARAMS },
	{ "param", required_argument, NULL, 'p' },
	{ "plot", required_argument, NULL, OPT_PLOT },
	{ "plot-with", required_argument, NULL, OPT_PLOT_WITH },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "request", required_argument, NULL, 'X' },
	{ "requests", required_argument, NULL, 'n' },
	{ "role", required_argument, NULL, OPT_ROLE },
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "threads", required_argument, NULL, 't' },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "warmup", required_argument, NULL, OPT_WARMUP },
	{ NULL, 0, NULL, 0 },
};

static int usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fcgitool bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

struct bench_cli {
	struct request_opts ro;	      /* what builds the params */
	struct request_param *params; /* -p */
	size_t nparams;
	const char **headers;
	size_t nheaders;
	const char *data, *data_file, *plot;
	char **with;
	size_t nwith;
	struct bench_threshold th[MAX_THRESHOLDS];
	size_t nth;
	bool json;
};

static void *grow(void *p, size_t n, size_t size)
{
	void *q = realloc(p, n * size);

	if (q == NULL)
		die(EXIT_IO, "out of memory");
	return q;
}

static int add_param(struct bench_cli *b, char *arg)
{
	char *eq = strchr(arg, '=');
	struct request_param *pa;

	b->params = grow(b->params, b->nparams + 1, sizeof(*b->params));
	pa = &b->params[b->nparams++];
	memset(pa, 0, sizeof(*pa));
	pa->name = arg;
	if (eq == NULL) {
		pa->name_len = strlen(arg);
		pa->del = 1;
		return 0;
	}
	pa->name_len = (size_t)(eq - arg);
	pa->value = eq + 1;
	pa->value_len = strlen(eq + 1);
	if (pa->name_len == 0)
		return usage_error("-p '%s': empty name", arg);
	return 0;
}

/* A positive number of seconds (fractions allowed) as milliseconds. */
static int seconds_opt(const char *opt, const char *arg, uint64_t *ms)
{
	if (parse_seconds_ms(arg, ms) != 0)
		return usage_error("bad %s '%s': not a number of seconds", opt,
				   arg);
	return 0;
}

static int count_opt(const char *opt, const char *arg, unsigned long min,
		     unsigned long max, unsigned long *v)
{
	if (parse_ulong(arg, min, max, v) != 0)
		return usage_error("bad %s '%s': not a number from %lu to %lu",
				   opt, arg, min, max);
	return 0;
}

static int parse(struct bench_cli *b, struct bench_opts *o, int argc,
		 char **argv)
{
	unsigned long v;
	char err[160];
	int c, rc, role;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:c:d:H:hn:p:t:X:", longopts,
				NULL)) != -1) {
		rc = 0;
		switch (c) {
		case 'c':
			rc = count_opt("-c", optarg, 1, MAX_CONNS, &v);
			o->conns = (unsigned)v;
			break;
		case 'd':
			rc = seconds_opt("-d", optarg, &o->duration_ms);
			if (rc == 0 && o->duration_ms == 0)
				rc = usage_error("bad -d '%s': the duration "
						 "must be above 0",
						 optarg);
			break;
		case 'H':
			b->headers = grow(b->headers, b->nheaders + 1,
					  sizeof(*b->headers));
			b->headers[b->nheaders++] = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(EXIT_OK);
		case 'n':
			rc = count_opt("-n", optarg, 1, ULONG_MAX, &v);
			o->count = v;
			break;
		case 'p':
			rc = add_param(b, optarg);
			break;
		case 't':
			rc = count_opt("-t", optarg, 1, MAX_THREADS, &v);
			o->threads = (unsigned)v;
			break;
		case 'X':
			b->ro.method = optarg;
			break;
		case OPT_DATA:
			b->data = optarg;
			break;
		case OPT_DATA_FILE:
			b->data_file = optarg;
			break;
		case OPT_FAIL_IF:
			if (b->nth == MAX_THRESHOLDS)
				return usage_error(
					"--fail-if: at most %d conditions",
					MAX_THRESHOLDS);
			if (bench_threshold_parse(&b->th[b->nth], optarg, err,
						  sizeof(err)) != 0)
				return usage_error("bad --fail-if '%s': %s",
						   optarg, err);
			b->nth++;
			break;
		case OPT_JSON:
			b->json = true;
			break;
		case OPT_KEEP_CONN:
			o->keep_conn = true;
			break;
		case OPT_MPX:
			rc = count_opt("--mpx", optarg, 1, MAX_MPX, &v);
			o->mpx = (unsigned)v;
			break;
		case OPT_NO_DEFAULT_PARAMS:
			b->ro.no_default_params = 1;
			break;
		case OPT_PLOT:
			b->plot = optarg;
			break;
		case OPT_PLOT_WITH:
			b->with = grow(b->with, b->nwith + 1, sizeof(*b->with));
			b->with[b->nwith++] = optarg;
			break;
		case OPT_RATE: {
			char *end;

			errno = 0;
			o->rate = strtod(optarg, &end);
			if (*end != '\0' || end == optarg || errno != 0 ||
			    !(o->rate > 0) || !isfinite(o->rate))
				return usage_error("bad --rate '%s': not a "
						   "positive number of "
						   "requests per second",
						   optarg);
			break;
		}
		case OPT_ROLE:
			role = fcgi_role_lookup(optarg);
			if (role < 0)
				return usage_error(
					"unknown role '%s': expected "
					"responder, authorizer or "
					"filter",
					optarg);
			o->role = (uint16_t)role;
			break;
		case OPT_ROOT:
			b->ro.root = optarg;
			break;
		case OPT_TIMEOUT:
			rc = seconds_opt("--timeout", optarg, &o->timeout_ms);
			if (rc == 0 && o->timeout_ms == 0)
				rc = usage_error("bad --timeout '%s': must be "
						 "above 0",
						 optarg);
			break;
		case OPT_WARMUP:
			rc = seconds_opt("--warmup", optarg, &o->warmup_ms);
			break;
		default:
			return usage_getopt(c, argv, longopts, usage_text);
		}
		if (rc != 0)
			return rc;
	}
	if (optind >= argc)
		return usage_error("no address");
	if (argc - optind > 2)
		return usage_error("too many arguments: '%s'",
				   argv[optind + 2]);
	o->address = argv[optind];
	o->uri = optind + 1 < argc ? argv[optind + 1] : "/";
	if (o->uri[0] != '/')
		return usage_error("the uri '%s' must start with '/'", o->uri);
	if (fcgi_addr_parse(&o->addr, o->address, err, sizeof(err)) != 0)
		return usage_error("bad address '%s': %s", o->address, err);
	fcgi_addr_format(&o->addr, o->addr_text, sizeof(o->addr_text));
	if (o->count != 0 && o->duration_ms != 0)
		return usage_error("-n and -d exclude each other");
	if (o->count == 0 && o->duration_ms == 0)
		o->duration_ms = 10000;
	if (o->mpx > 1 && !o->keep_conn)
		return usage_error("--mpx needs --keep-conn (a new connection "
				   "per request carries one request)");
	if (o->threads > o->conns)
		return usage_error("-t %u: more threads than connections (%u)",
				   o->threads, o->conns);
	if (b->data != NULL && b->data_file != NULL)
		return usage_error("--data and --data-file exclude each other");
	if (o->role == FCGI_AUTHORIZER && (b->data || b->data_file))
		return usage_error("an Authorizer request has no body");
	return 0;
}

/* The body into memory (a benchmark sends it many times). */
static int load_body(struct bench_cli *b, uint8_t **body, size_t *len)
{
	const char *arg = b->data_file != NULL ? b->data_file : b->data;
	const char *path = b->data_file;

	*body = NULL;
	*len = 0;
	if (arg == NULL)
		return 0;
	if (b->data != NULL) {
		if (b->data[0] != '@') {
			*len = strlen(b->data);
			*body = (uint8_t *)strdup(b->data);
			if (*body == NULL)
				die(EXIT_IO, "out of memory");
			return 0;
		}
		path = b->data + 1;
	}
	if (read_file(path, body, len) != 0) {
		error("cannot read '%s': %s", path, strerror(errno));
		return EXIT_IO;
	}
	return 0;
}

int cmd_bench(int argc, char **argv)
{
	struct bench_cli b;
	struct bench_opts o;
	struct bench_result *res;
	struct request_body in;
	struct fcgi_params params;
	uint8_t *body;
	size_t body_len;
	int rc, status = EXIT_OK;

	memset(&b, 0, sizeof(b));
	memset(&o, 0, sizeof(o));
	o.conns = 4;
	o.threads = 1;
	o.mpx = 1;
	o.role = FCGI_RESPONDER;
	o.timeout_ms = 10000;
	rc = parse(&b, &o, argc, argv);
	if (rc != 0)
		return rc;
	rc = load_body(&b, &body, &body_len);
	if (rc != 0)
		return rc;
	/* The params nginx would send, as request builds them. */
	b.ro.address = o.address;
	b.ro.uri = o.uri;
	b.ro.params = b.params;
	b.ro.nparams = b.nparams;
	b.ro.headers = b.headers;
	b.ro.nheaders = b.nheaders;
	b.ro.role = o.role;
	memset(&in, 0, sizeof(in));
	in.fd = -1;
	if (b.data != NULL || b.data_file != NULL) {
		in.present = 1;
		in.size = (int64_t)body_len;
	}
	fcgi_params_init(&params, NULL);
	{
		struct request_body none;

		memset(&none, 0, sizeof(none));
		none.fd = -1;
		rc = request_params(&b.ro, &in, &none, &params);
	}
	if (rc != 0)
		goto out;
	o.params = &params;
	o.body = body;
	o.body_len = body_len;
	o.progress = !b.json && isatty(STDERR_FILENO) == 1;
	res = malloc(sizeof(*res));
	if (res == NULL)
		die(EXIT_IO, "out of memory");
	rc = bench_run(&o, res);
	if (rc == 0 && res->requests != 0 &&
	    res->errors[BE_CONNECT] == res->requests && res->connects == 0) {
		/* Nothing could even connect: that is no benchmark. */
		error("%s", res->first_error);
		rc = EXIT_IO;
	}
	if (rc == 0) {
		if (b.json)
			rc = bench_report_json(stdout, &o, res);
		else
			bench_report_text(stdout, &o, res, want_color(stdout));
		if (rc == 0 && b.plot != NULL)
			rc = bench_plot(b.plot, &o, res, b.with, b.nwith);
		for (size_t i = 0; rc == 0 && i < b.nth; i++) {
			char got[64];

			if (bench_threshold_check(&b.th[i], res, got,
						  sizeof(got))) {
				warn("--fail-if '%s': failed (measured %s)",
				     b.th[i].text, got);
				status = EXIT_PEER;
			}
		}
	}
	free(res);
	if (rc == 0)
		rc = status;
	if (fflush(stdout) != 0 && rc == 0) {
		error("cannot write the report: %s", strerror(errno));
		rc = EXIT_IO;
	}
out:
	fcgi_params_fini(&params);
	free(body);
	free(b.params);
	free(b.headers);
	free(b.with);
	return rc;
}
