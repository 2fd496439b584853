/* SPDX-License-Identifier: MIT */
/* cmd-serve.c - fcgitool serve: a FastCGI server with scripted answers. */
#include <sys/resource.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fcgi-uv.h"
#include "serve.h"
#include "util.h"

static const char usage_text[] =
	"usage: fcgitool serve [-h] [--exec] [--json] [--no-mpx] "
	"[--raw-stdin]\n"
	"       [--trace] [--duration seconds] [--first-byte-timeout seconds]\n"
	"       [--fn library] [--idle-timeout seconds] [--isolate how]\n"
	"       [--max-conns n] [--max-reqs n] [--mock file] [--mode mode]\n"
	"       [--read-timeout seconds] [--record file] [--requests n]\n"
	"       [--root dir] [--seed n] [--severity level] [--timeout "
	"seconds]\n"
	"       [--timeout-status code] [--workers n] [address ...]\n";

enum {
	O_EXEC = 256,
	O_DURATION,
	O_FIRST,
	O_FN,
	O_IDLE,
	O_ISOLATE,
	O_JSON,
	O_MAXCONNS,
	O_MAXREQS,
	O_MOCK,
	O_MODE,
	O_NOMPX,
	O_RAWSTDIN,
	O_READ,
	O_RECORD,
	O_REQUESTS,
	O_ROOT,
	O_SEED,
	O_SEVERITY,
	O_TIMEOUT,
	O_TSTATUS,
	O_TRACE,
	O_WORKERS
};

static const struct option longopts[] = {
	{ "duration", required_argument, NULL, O_DURATION },
	{ "exec", no_argument, NULL, O_EXEC },
	{ "first-byte-timeout", required_argument, NULL, O_FIRST },
	{ "fn", required_argument, NULL, O_FN },
	{ "help", no_argument, NULL, 'h' },
	{ "idle-timeout", required_argument, NULL, O_IDLE },
	{ "isolate", required_argument, NULL, O_ISOLATE },
	{ "json", no_argument, NULL, O_JSON },
	{ "max-conns", required_argument, NULL, O_MAXCONNS },
	{ "max-reqs", required_argument, NULL, O_MAXREQS },
	{ "mock", required_argument, NULL, O_MOCK },
	{ "mode", required_argument, NULL, O_MODE },
	{ "no-mpx", no_argument, NULL, O_NOMPX },
	{ "raw-stdin", no_argument, NULL, O_RAWSTDIN },
	{ "read-timeout", required_argument, NULL, O_READ },
	{ "record", required_argument, NULL, O_RECORD },
	{ "requests", required_argument, NULL, O_REQUESTS },
	{ "root", required_argument, NULL, O_ROOT },
	{ "seed", required_argument, NULL, O_SEED },
	{ "severity", required_argument, NULL, O_SEVERITY },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "timeout-status", required_argument, NULL, O_TSTATUS },
	{ "trace", no_argument, NULL, O_TRACE },
	{ "workers", required_argument, NULL, O_WORKERS },
	{ NULL, 0, NULL, 0 },
};

static int usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	warn("%s", msg);
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

/* The options of serve --mock: 0, or the exit status of a usage error. */
static int mock_opt(struct serve_opts *o, int c, const char *arg)
{
	unsigned long v;

	switch (c) {
	case O_DURATION:
		if (parse_seconds_ms(arg, &o->duration_ms) ||
		    o->duration_ms == 0)
			return usage_error("bad --duration '%s': not a number "
					   "of seconds above 0",
					   arg);
		return 0;
	case O_MOCK:
		o->mock = arg;
		return 0;
	case O_RECORD:
		o->record = arg;
		return 0;
	case O_REQUESTS:
		if (parse_ulong(arg, 1, ULONG_MAX, &v))
			return usage_error("bad --requests '%s': not a number "
					   "above 0",
					   arg);
		o->requests = v;
		return 0;
	default:
		if (parse_ulong(arg, 0, ULONG_MAX, &v))
			return usage_error("bad --seed '%s': not a number",
					   arg);
		o->seed = v;
		o->seed_given = true;
		return 0;
	}
}

/* --isolate: how the functions are kept apart.  0, or the exit status
 * of a usage error. */
static int parse_isolate(struct serve_opts *o, const char *how)
{
	o->prefork = false;
	if (strcmp(how, "pool") == 0) {
		o->isolate = FCGI_ISOLATE_POOL;
	} else if (strcmp(how, "request") == 0) {
		o->isolate = FCGI_ISOLATE_REQUEST;
	} else if (strcmp(how, "none") == 0) {
		o->isolate = FCGI_ISOLATE_INLINE;
	} else if (strcmp(how, "worker") == 0) {
		/* Workers that call the functions inline (prefork.c). */
		o->isolate = FCGI_ISOLATE_INLINE;
		o->prefork = true;
	} else {
		return usage_error("bad --isolate '%s': not 'pool', 'worker', "
				   "'request' or 'none'",
				   how);
	}
	o->isolate_set = true;
	return 0;
}

static int check_combinations(const struct serve_opts *o);

/* 0, or the exit status of a usage error. */
static int parse_opts(struct serve_opts *o, int argc, char **argv)
{
	unsigned long v;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			exit(EXIT_OK);
		case O_EXEC:
			o->exec = true;
			break;
		case O_FIRST:
			if (parse_seconds_ms(optarg,
					     &o->srv.first_byte_timeout_ms))
				return usage_error("bad --first-byte-timeout "
						   "'%s': not a number of "
						   "seconds",
						   optarg);
			break;
		case O_FN:
			o->fns[o->nfns++] = optarg;
			break;
		case O_IDLE:
			if (parse_seconds_ms(optarg, &o->srv.idle_timeout_ms))
				return usage_error("bad --idle-timeout '%s': "
						   "not a number of seconds",
						   optarg);
			break;
		case O_ISOLATE:
			if (parse_isolate(o, optarg) != 0)
				return EXIT_USAGE;
			break;
		case O_JSON:
			o->json = o->trace = true;
			break;
		case O_MAXCONNS:
			if (parse_ulong(optarg, 1, 1000000, &v))
				return usage_error("bad --max-conns '%s': not "
						   "a number from 1 to 1000000",
						   optarg);
			o->srv.max_conns = (unsigned)v;
			o->max_conns_set = true;
			break;
		case O_MAXREQS:
			if (parse_ulong(optarg, 1, 65535, &v))
				return usage_error("bad --max-reqs '%s': not a "
						   "number from 1 to 65535",
						   optarg);
			o->srv.max_reqs = (unsigned)v;
			o->max_reqs_set = true;
			break;
		case O_MODE:
			errno = 0;
			v = strtoul(optarg, NULL, 8);
			if (optarg[0] < '0' || optarg[0] > '7' ||
			    strspn(optarg, "01234567") != strlen(optarg) ||
			    v > 0777 || errno != 0)
				return usage_error("bad --mode '%s': not an "
						   "octal mode from 0 to 0777",
						   optarg);
			o->srv.unix_mode = (unsigned)v;
			break;
		case O_NOMPX:
			o->srv.mpx = false;
			break;
		case O_RAWSTDIN:
			o->srv.raw_stdin = true;
			break;
		case O_READ:
			if (parse_seconds_ms(optarg, &o->srv.read_timeout_ms))
				return usage_error("bad --read-timeout '%s': "
						   "not a number of seconds",
						   optarg);
			break;
		case O_ROOT:
			o->root = optarg;
			break;
		case O_SEVERITY:
			if (parse_severity(optarg, &o->severity) != 0)
				return usage_error("bad --severity '%s': not "
						   "spec, interop or note",
						   optarg);
			break;
		case O_TIMEOUT:
			if (parse_seconds_ms(optarg, &o->srv.timeout_ms))
				return usage_error("bad --timeout '%s': not a "
						   "number of seconds",
						   optarg);
			break;
		case O_TSTATUS:
			if (parse_ulong(optarg, 100, 599, &v))
				return usage_error(
					"bad --timeout-status '%s': "
					"not a status from 100 to 599",
					optarg);
			o->srv.timeout_status = (unsigned)v;
			break;
		case O_TRACE:
			o->trace = true;
			break;
		case O_WORKERS:
			if (parse_ulong(optarg, 1, FCGI_WORKERS_MAX, &v))
				return usage_error("bad --workers '%s': not a "
						   "number from 1 to %d",
						   optarg, FCGI_WORKERS_MAX);
			o->workers = (unsigned)v;
			break;
		case O_DURATION:
		case O_MOCK:
		case O_RECORD:
		case O_REQUESTS:
		case O_SEED:
			if (mock_opt(o, c, optarg) != 0)
				return EXIT_USAGE;
			break;
		default:
			return usage_getopt(c, argv, longopts, usage_text);
		}
	}
	return check_combinations(o);
}

/* Options that do not go together.  0, or the exit status of a usage
 * error. */
static int check_combinations(const struct serve_opts *o)
{
	if (o->exec && o->nfns > 0)
		return usage_error("--exec and --fn cannot be combined");
	if (o->mock != NULL && o->exec)
		return usage_error("--exec and --mock cannot be combined");
	if (o->mock == NULL && (o->record != NULL || o->requests > 0 ||
				o->duration_ms > 0 || o->seed_given))
		return usage_error("--duration, --record, --requests and "
				   "--seed need --mock");
	if (o->root != NULL && !o->exec && o->mock == NULL)
		return usage_error("--root needs --exec");
	if (o->exec && o->isolate_set)
		return usage_error("--exec and --isolate cannot be combined");
	if (o->exec && o->workers > 0)
		return usage_error("--exec and --workers cannot be combined");
	if (o->workers > 0 && o->isolate != FCGI_ISOLATE_POOL && !o->prefork)
		return usage_error("--workers needs --isolate pool or worker");
	/* A mock's journal and its --requests count are one process's. */
	if (o->mock != NULL && o->prefork)
		return usage_error("--mock and --isolate worker cannot be "
				   "combined");
	return 0;
}

static void log_line(void *arg, const char *msg)
{
	(void)arg;
	warn("%s", msg);
}

/* Descriptors kept aside for listeners, the loop, workers and logs. */
#define FD_RESERVE 64

/*
 * What FCGI_MAX_CONNS and FCGI_MAX_REQS promise must fit in the
 * descriptors the server may open: a connection is one, a request of the
 * pool holds three pipes (six ends until a worker takes it), one of
 * --isolate request a pipe more (of which the child's ends go at the
 * fork), an inline one none.  When the limit (raised to its hard
 * maximum) is lower than the defaults need, the defaults come down to
 * what fits, and serve says so; limits given by hand only get a warning.
 */
static void fit_limits(struct serve_opts *o, rlim_t nofile, bool conns_set,
		       bool reqs_set)
{
	unsigned per_req = o->exec				? 4
			   : o->isolate == FCGI_ISOLATE_POOL	? 6
			   : o->isolate == FCGI_ISOLATE_REQUEST ? 4
								: 0;
	uint64_t avail, need;

	avail = nofile > FD_RESERVE + (rlim_t)o->workers
			? (uint64_t)(nofile - FD_RESERVE - o->workers)
			: 1;
	need = (uint64_t)o->srv.max_conns + (uint64_t)per_req * o->srv.max_reqs;
	if (need <= avail)
		return;
	if (conns_set || reqs_set) {
		warn("--max-conns %u and --max-reqs %u need about %llu file "
		     "descriptors, and the limit is %llu",
		     o->srv.max_conns, o->srv.max_reqs,
		     (unsigned long long)need + FD_RESERVE,
		     (unsigned long long)nofile);
		return;
	}
	/* Half for connections, the rest for the requests' pipes. */
	if (o->srv.max_conns > avail / 2 + 1)
		o->srv.max_conns = (unsigned)(avail / 2 + 1);
	if (per_req > 0 &&
	    o->srv.max_reqs > (avail - o->srv.max_conns) / per_req)
		o->srv.max_reqs =
			(unsigned)((avail - o->srv.max_conns) / per_req);
	if (o->srv.max_reqs == 0)
		o->srv.max_reqs = 1;
	warn("%llu file descriptors allowed (ulimit -n): advertising "
	     "FCGI_MAX_CONNS=%u and FCGI_MAX_REQS=%u",
	     (unsigned long long)nofile, o->srv.max_conns, o->srv.max_reqs);
}

/* Standard streams a parent left closed must not be handed out as
 * sockets or pipes; the web server's listening socket on fd 0 stays.
 * The descriptor limit goes up to its hard maximum, and what serve
 * advertises down to what fits in it. */
static void fix_std_fds(struct serve_opts *o, bool conns_set, bool reqs_set)
{
	struct rlimit rl;
	int fd;

	for (fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			die(EXIT_IO, "cannot open /dev/null: %s",
			    strerror(errno));
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max > 65536 ? 65536 : rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
			getrlimit(RLIMIT_NOFILE, &rl);
		}
		fit_limits(o, rl.rlim_cur, conns_set, reqs_set);
	}
	signal(SIGPIPE, SIG_IGN);
}

int cmd_serve(int argc, char **argv)
{
	struct serve_opts o;
	struct fcgi_render_opts ro;
	struct fcgi_render *render = NULL;
	struct fcgi_runner *runner = NULL;
	struct fcgi_server *srv = NULL;
	struct serve_mock *sm = NULL;
	uv_loop_t loop;
	char what[512];
	int rc;

	memset(&o, 0, sizeof(o));
	fcgi_server_opts_default(&o.srv);
	o.fns = calloc((size_t)argc + 1, sizeof(*o.fns));
	if (o.fns == NULL)
		die(EXIT_IO, "out of memory");
	rc = parse_opts(&o, argc, argv);
	if (rc != 0)
		goto out;
	if (getenv("FCGITOOL_TRACE") != NULL &&
	    strcmp(getenv("FCGITOOL_TRACE"), "1") == 0)
		o.trace = true;
	if (o.severity != 0 && !o.trace) {
		rc = usage_error("--severity needs --trace or --json");
		goto out;
	}
	fix_std_fds(&o, o.max_conns_set, o.max_reqs_set);
	if (o.mock == NULL)
		rc = serve_make_runner(&runner, &o, what, sizeof(what));
	if (rc != 0)
		goto out;
	if (o.trace) {
		setvbuf(stdout, NULL, _IOLBF, 0);
		fcgi_render_opts_default(&ro);
		ro.json = o.json;
		ro.color = !o.json && want_color(stdout);
		/* Notes (a "should" of the spec) only when asked for. */
		ro.show_severity =
			o.severity != 0 ? o.severity : FCGI_SEV_INTEROP;
		render = render_open(stdout, &ro);
		if (render == NULL)
			die(EXIT_IO, "out of memory");
	}
	o.srv.trace = render;
	o.srv.log = log_line;
	o.srv.handle_signals = true;
	if (o.prefork) {
		rc = serve_prefork(&o, runner, argc - optind, argv + optind,
				   what);
		goto out;
	}
	if (uv_loop_init(&loop) != 0 ||
	    fcgi_server_new(&srv, &loop, &o.srv) != 0)
		die(EXIT_IO, "cannot create the server");
	if (o.mock != NULL)
		rc = serve_mock_new(&sm, &runner, &o, &loop, render, what,
				    sizeof(what));
	fcgi_server_set_runner(srv, runner);
	if (rc == 0)
		rc = serve_listen(srv, argc - optind, argv + optind, what);
	if (rc == 0 && sm != NULL)
		serve_mock_start(sm, srv);
	if (rc == 0)
		fcgi_server_process(srv);
	fcgi_server_free(srv);
	if (rc == 0)
		rc = serve_mock_finish(sm, o.json ? render : NULL);
	/* The pool's workers go with the runner; the loop closes what it
	 * watched them with. */
	fcgi_runner_free(runner);
	runner = NULL;
	serve_mock_free(sm);
	uv_run(&loop, UV_RUN_NOWAIT);
	uv_loop_close(&loop);
out:
	fcgi_runner_free(runner);
	fcgi_render_free(render);
	free(o.fns);
	return rc;
}
