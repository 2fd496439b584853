/* SPDX-License-Identifier: MIT */
/* cmd-conform.c - fcgitool conform: options, the target's profile. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conform-client.h"
#include "conform-suite.h"
#include "util.h"

static const char usage_text[] =
	"usage: fcgitool conform [-h] [--client] [--echo] [--list] [--strict]\n"
	"       [-p name=value] [--baseline file] [--format format]\n"
	"       [--http address] [--idle-wait seconds] [--only ids]\n"
	"       [--profile name] [--quiet-wait seconds] [--script path]\n"
	"       [--seed n] [--skip ids] [--splits modes] [--timeout seconds]\n"
	"       [address]\n";

enum {
	O_BASELINE = 256,
	O_CLIENT,
	O_ECHO,
	O_FORMAT,
	O_HTTP,
	O_IDLE,
	O_LIST,
	O_ONLY,
	O_PROFILE,
	O_QUIET,
	O_SCRIPT,
	O_SEED,
	O_SKIP,
	O_SPLITS,
	O_STRICT,
	O_TIMEOUT
};

static const struct option longopts[] = {
	{ "baseline", required_argument, NULL, O_BASELINE },
	{ "client", no_argument, NULL, O_CLIENT },
	{ "echo", no_argument, NULL, O_ECHO },
	{ "format", required_argument, NULL, O_FORMAT },
	{ "help", no_argument, NULL, 'h' },
	{ "http", required_argument, NULL, O_HTTP },
	{ "idle-wait", required_argument, NULL, O_IDLE },
	{ "list", no_argument, NULL, O_LIST },
	{ "only", required_argument, NULL, O_ONLY },
	{ "param", required_argument, NULL, 'p' },
	{ "profile", required_argument, NULL, O_PROFILE },
	{ "quiet-wait", required_argument, NULL, O_QUIET },
	{ "script", required_argument, NULL, O_SCRIPT },
	{ "seed", required_argument, NULL, O_SEED },
	{ "skip", required_argument, NULL, O_SKIP },
	{ "splits", required_argument, NULL, O_SPLITS },
	{ "strict", no_argument, NULL, O_STRICT },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ NULL, 0, NULL, 0 },
};

/* How the target is addressed: the script its params name. */
struct profile {
	const char *name;
	const char *script; /* SCRIPT_FILENAME; NULL: --script is needed */
	const char *query;  /* QUERY_STRING */
	bool echo;	    /* the default script echoes the body */
};

static const struct profile profiles[] = {
	{ "generic", "/conform", "", false },
	{ "php-fpm", NULL, "", false },
	{ "fcgiwrap", NULL, "", false },
	{ "libfcgi", "/conform", "", false },
	{ "fcgitool", "/echo", "raw", true },
	{ NULL, NULL, NULL, false },
};

struct conform_opts {
	struct cf_suite_opts so;
	struct cf_pattern_list only, skip;
	struct cf_baseline baseline;
	const struct profile *profile;
	const char *script, *baseline_file, *http;
	const char **params;
	size_t nparams;
	enum cf_format fmt;
	bool client, echo, list, format_set;
	uint64_t timeout_ms, quiet_ms, idle_ms;
};

static int usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	warn("%s", msg);
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

static int parse_format(struct conform_opts *o, const char *s)
{
	static const struct {
		const char *name;
		enum cf_format fmt;
	} t[] = { { "text", CF_FMT_TEXT },	   { "tap", CF_FMT_TAP },
		  { "junit", CF_FMT_JUNIT },	   { "json", CF_FMT_JSON },
		  { "baseline", CF_FMT_BASELINE }, { "man", CF_FMT_MAN } };
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (strcmp(s, t[i].name) == 0) {
			o->fmt = t[i].fmt;
			o->format_set = true;
			return 0;
		}
	}
	return usage_error("bad --format '%s': not text, tap, junit, json, "
			   "baseline or man",
			   s);
}

static int parse_splits(struct conform_opts *o, const char *s)
{
	const char *p = s;
	size_t n;

	o->so.splits = 0;
	while (*p != '\0') {
		n = strcspn(p, ",");
		if (n == 5 && strncmp(p, "whole", 5) == 0)
			o->so.splits |= SPLIT_WHOLE;
		else if (n == 5 && strncmp(p, "bytes", 5) == 0)
			o->so.splits |= SPLIT_BYTES;
		else if (n == 6 && strncmp(p, "random", 6) == 0)
			o->so.splits |= SPLIT_RANDOM;
		else
			return usage_error("bad --splits '%s': a list of "
					   "whole, bytes and random",
					   s);
		p += n;
		if (*p == ',')
			p++;
	}
	if (o->so.splits == 0)
		return usage_error("bad --splits '%s': a list of whole, "
				   "bytes and random",
				   s);
	return 0;
}

static int seconds(const char *opt, const char *arg, uint64_t *ms)
{
	if (parse_seconds_ms(arg, ms) != 0 || *ms == 0 || *ms > 3600000)
		return usage_error("bad --%s '%s': not a number of seconds "
				   "from 0.001 to 3600",
				   opt, arg);
	return 0;
}

/* 0, or the exit status of a usage error. */
static int parse_opts(struct conform_opts *o, int argc, char **argv)
{
	unsigned long v;
	size_t i;
	int c, rc = 0;

	opterr = 0;
	while (rc == 0 &&
	       (c = getopt_long(argc, argv, ":hp:", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			exit(EXIT_OK);
		case 'p':
			if (strchr(optarg, '=') == NULL || optarg[0] == '=')
				return usage_error("bad -p '%s': not "
						   "name=value",
						   optarg);
			o->params[o->nparams++] = optarg;
			break;
		case O_BASELINE:
			o->baseline_file = optarg;
			break;
		case O_CLIENT:
			o->client = true;
			break;
		case O_ECHO:
			o->echo = true;
			break;
		case O_FORMAT:
			rc = parse_format(o, optarg);
			break;
		case O_HTTP:
			o->http = optarg;
			break;
		case O_IDLE:
			rc = seconds("idle-wait", optarg, &o->idle_ms);
			break;
		case O_LIST:
			o->list = true;
			break;
		case O_ONLY:
		case O_SKIP:
			if (cf_patterns_add(c == O_ONLY ? &o->only : &o->skip,
					    optarg) != 0)
				die(EXIT_IO, "out of memory");
			break;
		case O_PROFILE:
			for (i = 0; profiles[i].name != NULL; i++)
				if (strcmp(profiles[i].name, optarg) == 0)
					break;
			if (profiles[i].name == NULL)
				return usage_error(
					"bad --profile '%s': not generic, "
					"php-fpm, fcgiwrap, libfcgi or "
					"fcgitool",
					optarg);
			o->profile = &profiles[i];
			break;
		case O_QUIET:
			rc = seconds("quiet-wait", optarg, &o->quiet_ms);
			break;
		case O_SCRIPT:
			o->script = optarg;
			break;
		case O_SEED:
			if (parse_ulong(optarg, 0, 4294967295UL, &v) != 0)
				return usage_error("bad --seed '%s': not a "
						   "number",
						   optarg);
			o->so.run.seed = v;
			break;
		case O_SPLITS:
			rc = parse_splits(o, optarg);
			break;
		case O_STRICT:
			o->so.strict = true;
			break;
		case O_TIMEOUT:
			rc = seconds("timeout", optarg, &o->timeout_ms);
			break;
		default:
			return usage_getopt(c, argv, longopts, usage_text);
		}
	}
	return rc;
}

/* Set a C-string param in ctx->base; dies when memory runs out. */
static void setp(struct cf_ctx *ctx, const char *name, size_t nlen,
		 const char *value)
{
	if (fcgi_params_set(&ctx->base, name, nlen, value, strlen(value)) != 0)
		die(EXIT_IO, "out of memory");
}

#define SETP(ctx, name, value) setp((ctx), (name), sizeof(name) - 1, (value))

/*
 * The normal request's params, as nginx's fastcgi_params sends them for
 * the profile's script: SCRIPT_FILENAME the script, SCRIPT_NAME and the
 * URIs its last component, DOCUMENT_ROOT the rest; then -p.
 */
static int make_params(struct conform_opts *o, struct cf_ctx *ctx)
{
	const char *script = o->script != NULL ? o->script : o->profile->script;
	const char *slash, *q = o->profile->query, *eq;
	char path[1024], uri[1200], root[1024];
	size_t i;

	if (script == NULL)
		return usage_error("--profile %s needs --script: the path of "
				   "a script the target runs",
				   o->profile->name);
	slash = strrchr(script, '/');
	snprintf(root, sizeof(root), "%.*s",
		 slash != NULL && slash != script ? (int)(slash - script) : 1,
		 slash != NULL ? script : "/");
	snprintf(path, sizeof(path), "/%s", slash != NULL ? slash + 1 : script);
	snprintf(uri, sizeof(uri), "%s%s%s", path, q[0] != '\0' ? "?" : "", q);
	SETP(ctx, "QUERY_STRING", q);
	SETP(ctx, "REQUEST_METHOD", "GET");
	SETP(ctx, "CONTENT_TYPE", "");
	SETP(ctx, "CONTENT_LENGTH", "");
	SETP(ctx, "SCRIPT_NAME", path);
	SETP(ctx, "REQUEST_URI", uri);
	SETP(ctx, "DOCUMENT_URI", path);
	SETP(ctx, "DOCUMENT_ROOT", root);
	SETP(ctx, "SERVER_PROTOCOL", "HTTP/1.1");
	SETP(ctx, "REQUEST_SCHEME", "http");
	SETP(ctx, "GATEWAY_INTERFACE", "CGI/1.1");
	SETP(ctx, "SERVER_SOFTWARE", "fcgitool-conform");
	SETP(ctx, "REMOTE_ADDR", "127.0.0.1");
	SETP(ctx, "REMOTE_PORT", "40000");
	SETP(ctx, "SERVER_ADDR", "127.0.0.1");
	SETP(ctx, "SERVER_PORT", "80");
	SETP(ctx, "SERVER_NAME", "localhost");
	SETP(ctx, "REDIRECT_STATUS", "200");
	SETP(ctx, "SCRIPT_FILENAME", script);
	SETP(ctx, "HTTP_HOST", "localhost");
	for (i = 0; i < o->nparams; i++) {
		eq = strchr(o->params[i], '=');
		setp(ctx, o->params[i], (size_t)(eq - o->params[i]), eq + 1);
	}
	ctx->echo = o->echo || (o->script == NULL && o->profile->echo);
	return 0;
}

/* --client: conform is the application; 0, 1 or 3. */
static int run_client(struct conform_opts *o, const char *listen)
{
	struct cl_opts co;
	struct cf_out *out;
	unsigned counts[5];
	char err[300];

	memset(&co, 0, sizeof(co));
	co.listen = listen;
	co.http = o->http;
	co.prefix = "/conform/";
	co.timeout_ms = o->timeout_ms != 0 ? o->timeout_ms : 2000;
	co.quiet_ms = o->quiet_ms != 0 ? o->quiet_ms : 300;
	co.wait_ms = o->idle_ms != 0 ? o->idle_ms : 10000;
	co.strict = o->so.strict;
	co.baseline = o->so.baseline;
	co.only = &o->only;
	co.skip = &o->skip;
	out = cf_out_new(stdout, o->fmt);
	if (out == NULL)
		die(EXIT_IO, "out of memory");
	if (cl_run(&co, out, counts, err, sizeof(err)) != 0) {
		warn("%s", err);
		cf_out_free(out);
		return EXIT_IO;
	}
	cf_out_free(out);
	return counts[CF_FAIL] > 0 ? EXIT_PEER : EXIT_OK;
}

/* Read and check --baseline; 0 or an exit status. */
static int load_baseline(struct conform_opts *o)
{
	char err[300];
	uint8_t *text;
	size_t len;

	if (o->baseline_file == NULL)
		return 0;
	if (read_file(o->baseline_file, &text, &len) != 0) {
		warn("cannot read '%s': %s", o->baseline_file, strerror(errno));
		return EXIT_USAGE;
	}
	if (cf_baseline_parse(&o->baseline, (const char *)text, len, err,
			      sizeof(err)) != 0) {
		warn("'%s': %s", o->baseline_file, err);
		free(text);
		return EXIT_USAGE;
	}
	free(text);
	o->so.baseline = &o->baseline;
	return 0;
}

/* Check what the options ask for; 0 or an exit status. */
static int check_opts(struct conform_opts *o, int nargs)
{
	const char *bad;

	bad = cf_patterns_unknown(&o->only);
	if (bad == NULL)
		bad = cf_patterns_unknown(&o->skip);
	if (bad != NULL)
		return usage_error("'%s' names no case (see --list)", bad);
	if (o->list) {
		if (nargs > 0)
			return usage_error("--list takes no address");
		if (o->fmt != CF_FMT_TEXT && o->fmt != CF_FMT_JSON &&
		    o->fmt != CF_FMT_MAN)
			return usage_error("--list prints text, json or man");
		return 0;
	}
	if (o->fmt == CF_FMT_MAN)
		return usage_error("--format man needs --list");
	if (o->http != NULL && !o->client)
		return usage_error("--http needs --client");
	if (nargs != 1)
		return usage_error(nargs == 0 ? "no address given"
					      : "more than one address given");
	return load_baseline(o);
}

int cmd_conform(int argc, char **argv)
{
	struct conform_opts o;
	struct cf_ctx ctx;
	struct cf_out *out;
	unsigned counts[5];
	char err[400];
	int rc;

	memset(&o, 0, sizeof(o));
	o.profile = &profiles[0];
	o.so.splits = SPLIT_WHOLE | SPLIT_BYTES;
	o.so.run.connect_ms = 3000;
	o.so.run.byte_budget = 8192;
	o.so.run.seed = 1;
	o.so.run.probe = true;
	o.params = calloc((size_t)argc + 1, sizeof(*o.params));
	if (o.params == NULL)
		die(EXIT_IO, "out of memory");
	cf_ctx_init(&ctx);
	rc = parse_opts(&o, argc, argv);
	if (rc == 0)
		rc = check_opts(&o, argc - optind);
	if (rc == 0)
		rc = make_params(&o, &ctx);
	if (rc != 0)
		goto out;
	if (o.timeout_ms != 0)
		ctx.timeout_ms = o.timeout_ms;
	if (o.quiet_ms != 0)
		ctx.quiet_ms = o.quiet_ms;
	if (o.idle_ms != 0)
		ctx.idle_ms = o.idle_ms;
	signal(SIGPIPE, SIG_IGN);
	if (o.list) {
		if (cf_list(stdout, o.fmt, &ctx, o.client, &o.only, &o.skip) !=
		    0)
			die(EXIT_IO, "out of memory");
		rc = EXIT_OK;
		goto out;
	}
	if (o.client) {
		rc = run_client(&o, argv[optind]);
		goto out;
	}
	o.so.run.target = argv[optind];
	o.so.only = &o.only;
	o.so.skip = &o.skip;
	o.so.profile = o.profile->name;
	rc = cf_discover(&o.so.run, &ctx, err, sizeof(err));
	if (rc != 0) {
		warn("%s", err);
		rc = rc == -1 ? EXIT_IO : EXIT_PEER;
		goto out;
	}
	if (ctx.normal_status < 200 || ctx.normal_status > 299)
		warn("the normal request gets status %d; is --script right?",
		     ctx.normal_status);
	out = cf_out_new(stdout, o.fmt);
	if (out == NULL)
		die(EXIT_IO, "out of memory");
	cf_suite_run(&o.so, &ctx, out, counts);
	cf_out_free(out);
	rc = counts[CF_FAIL] > 0 ? EXIT_PEER : EXIT_OK;
out:
	cf_ctx_fini(&ctx);
	cf_patterns_free(&o.only);
	cf_patterns_free(&o.skip);
	cf_baseline_free(&o.baseline);
	free(o.params);
	return rc;
}
