/* SPDX-License-Identifier: MIT */
/* cmd-request.c - fcgitool request: options and their checks. */
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"
#include "shell.h"
#include "util.h"

static const char usage_text[] =
	"usage: fcgitool request [-fIisv] [--env] [--get-values] [--json] "
	"[--keep-conn]\n"
	"       [--no-default-params] [-d data] [-H header] [-m seconds] "
	"[-n count]\n"
	"       [-o file] [-P name[=value]] [-p name[=value]] [-X method]\n"
	"       [--abort-after ms] [--connect-timeout seconds] "
	"[--data-file file]\n"
	"       [--idle-timeout seconds] [--mpx count] [--role role] "
	"[--root dir]\n"
	"       [--severity level] address [uri | name ...]\n";

enum {
	OPT_ABORT_AFTER = 256,
	OPT_CONNECT_TIMEOUT,
	OPT_DATA_FILE,
	OPT_ENV,
	OPT_GET_VALUES,
	OPT_IDLE_TIMEOUT,
	OPT_JSON,
	OPT_KEEP_CONN,
	OPT_MPX,
	OPT_NO_DEFAULT_PARAMS,
	OPT_ROLE,
	OPT_ROOT,
	OPT_SEVERITY
};

static const struct option longopts[] = {
	{ "abort-after", required_argument, NULL, OPT_ABORT_AFTER },
	{ "connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT },
	{ "data", required_argument, NULL, 'd' },
	{ "data-file", required_argument, NULL, OPT_DATA_FILE },
	{ "env", no_argument, NULL, OPT_ENV },
	{ "fail", no_argument, NULL, 'f' },
	{ "get-values", no_argument, NULL, OPT_GET_VALUES },
	{ "header", required_argument, NULL, 'H' },
	{ "help", no_argument, NULL, 'h' },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
	{ "include", no_argument, NULL, 'i' },
	{ "interactive", no_argument, NULL, 'I' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "keep-conn", no_argument, NULL, OPT_KEEP_CONN },
	{ "max-time", required_argument, NULL, 'm' },
	{ "mpx", required_argument, NULL, OPT_MPX },
	{ "no-default-params", no_argument, NULL, OPT_NO_DEFAULT_PARAMS },
	{ "output", required_argument, NULL, 'o' },
	{ "param", required_argument, NULL, 'p' },
	{ "param-escaped", required_argument, NULL, 'P' },
	{ "request", required_argument, NULL, 'X' },
	{ "role", required_argument, NULL, OPT_ROLE },
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "severity", required_argument, NULL, OPT_SEVERITY },
	{ "silent", no_argument, NULL, 's' },
	{ "verbose", no_argument, NULL, 'v' },
	{ NULL, 0, NULL, 0 },
};

static int usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* Say what was wrong, then the usage; returns EXIT_USAGE. */
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fcgitool request: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

/* Append to a list of arguments kept in argv order. */
static int push(const char ***list, size_t *n, const char *s)
{
	const char **nl = realloc(*list, (*n + 1) * sizeof(**list));

	if (nl == NULL)
		die(EXIT_IO, "out of memory");
	nl[(*n)++] = s;
	*list = nl;
	return 0;
}

/* \\ \0 \n \r \t \xHH in s[0..n), decoded in place; the new length,
 * or -1 for a bad escape. */
static long unescape(char *s, size_t n)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] != '\\') {
			s[o++] = s[i];
			continue;
		}
		if (++i == n)
			return -1;
		switch (s[i]) {
		case '\\':
			s[o++] = '\\';
			break;
		case '0':
			s[o++] = '\0';
			break;
		case 'n':
			s[o++] = '\n';
			break;
		case 'r':
			s[o++] = '\r';
			break;
		case 't':
			s[o++] = '\t';
			break;
		case 'x':
			if (n - i < 3 ||
			    (hi = request_hexval((unsigned char)s[i + 1])) <
				    0 ||
			    (lo = request_hexval((unsigned char)s[i + 2])) < 0)
				return -1;
			s[o++] = (char)(hi << 4 | lo);
			i += 2;
			break;
		default:
			return -1;
		}
	}
	return (long)o;
}

/* -p NAME[=VALUE] (as it is) or -P (with C escapes); 0 or EXIT_USAGE. */
static int param(struct request_opts *o, const char *arg, bool escaped)
{
	struct request_param *np, *p;
	const char *eq = strchr(arg, '=');
	size_t nlen = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
	long n;

	if (nlen == 0)
		return usage_error("bad param '%s': empty name", arg);
	np = realloc(o->params, (o->nparams + 1) * sizeof(*np));
	if (np == NULL)
		die(EXIT_IO, "out of memory");
	o->params = np;
	p = &np[o->nparams];
	memset(p, 0, sizeof(*p));
	p->name = strdup(arg);
	if (p->name == NULL)
		die(EXIT_IO, "out of memory");
	o->nparams++;
	p->name_len = nlen;
	p->del = eq == NULL;
	if (!p->del) {
		p->value = p->name + nlen + 1;
		p->value_len = strlen(p->value);
	}
	if (!escaped)
		return 0;
	n = unescape(p->name, p->name_len);
	if (n <= 0)
		return usage_error("bad param '%s': %s", arg,
				   n == 0 ? "empty name" : "bad escape");
	p->name_len = (size_t)n;
	if (!p->del) {
		n = unescape(p->value, p->value_len);
		if (n < 0)
			return usage_error("bad param '%s': bad escape", arg);
		p->value_len = (size_t)n;
	}
	return 0;
}

static int seconds(const char *flag, const char *arg, uint64_t *ms)
{
	if (parse_seconds_ms(arg, ms) == 0)
		return 0;
	fprintf(stderr,
		"fcgitool request: bad %s value '%s': expected "
		"seconds\n",
		flag, arg);
	fputs(usage_text, stderr);
	return -1;
}

/* Parse one option into o; 0, or an exit status. */
static int option(struct request_opts *o, int c, const char *arg,
		  const char *text)
{
	unsigned long v;
	int role;

	switch (c) {
	case 'd':
		o->data = arg;
		return 0;
	case 'f':
		o->fail = true;
		return 0;
	case 'H':
		if (strchr(arg, ':') == NULL || arg[0] == ':')
			return usage_error("bad header '%s': expected "
					   "'Name: value'",
					   arg);
		return push(&o->headers, &o->nheaders, arg);
	case 'i':
		o->include = true;
		return 0;
	case 'I':
		o->interactive = true;
		return 0;
	case 'm':
		return seconds("-m", arg, &o->max_time_ms) ? EXIT_USAGE : 0;
	case 'n':
		if (parse_ulong(arg, 1, 1000000, &o->count) != 0)
			return usage_error("bad -n value '%s': expected 1 to "
					   "1000000",
					   arg);
		return 0;
	case 'o':
		o->output = arg;
		return 0;
	case 'P':
	case 'p':
		return param(o, arg, c == 'P');
	case 's':
		o->silent = true;
		return 0;
	case 'v':
		o->verbose = true;
		return 0;
	case 'X':
		if (arg[0] == '\0')
			return usage_error("bad method '%s': empty", arg);
		o->method = arg;
		return 0;
	case OPT_ABORT_AFTER:
		if (parse_ulong(arg, 1, 86400000, &v) != 0)
			return usage_error("bad --abort-after value '%s': "
					   "expected milliseconds",
					   arg);
		o->abort_after_ms = v;
		return 0;
	case OPT_CONNECT_TIMEOUT:
		return seconds("--connect-timeout", arg, &o->connect_timeout_ms)
			       ? EXIT_USAGE
			       : 0;
	case OPT_DATA_FILE:
		o->data_file = arg;
		return 0;
	case OPT_ENV:
		o->env = true;
		return 0;
	case OPT_GET_VALUES:
		o->get_values = true;
		return 0;
	case OPT_IDLE_TIMEOUT:
		return seconds("--idle-timeout", arg, &o->idle_timeout_ms)
			       ? EXIT_USAGE
			       : 0;
	case OPT_JSON:
		o->json = true;
		return 0;
	case OPT_KEEP_CONN:
		o->keep_conn = true;
		return 0;
	case OPT_MPX:
		if (parse_ulong(arg, 1, 1024, &o->mpx) != 0)
			return usage_error("bad --mpx value '%s': expected 1 "
					   "to 1024",
					   arg);
		return 0;
	case OPT_NO_DEFAULT_PARAMS:
		o->no_default_params = true;
		return 0;
	case OPT_ROLE:
		role = fcgi_role_lookup(arg);
		if (role < 0)
			return usage_error("unknown role '%s': expected "
					   "responder, authorizer or filter",
					   arg);
		o->role = (uint16_t)role;
		o->role_set = true;
		return 0;
	case OPT_ROOT:
		o->root = arg;
		return 0;
	case OPT_SEVERITY:
		if (parse_severity(arg, &o->severity) != 0)
			return usage_error("bad --severity '%s': expected "
					   "spec, interop or note",
					   arg);
		return 0;
	default:
		return usage_error("unknown option '%s'", text);
	}
}

/* -I: the options that say how to run or print requests have no
 * meaning in the shell; 0 or EXIT_USAGE. */
static int check_interactive(const struct request_opts *o)
{
	const char *bad = o->get_values	      ? "--get-values"
			  : o->json	      ? "--json"
			  : o->output != NULL ? "-o"
			  : o->count > 1      ? "-n"
			  : o->mpx > 1	      ? "--mpx"
			  : o->abort_after_ms ? "--abort-after"
			  : o->fail	      ? "-f"
			  : o->silent	      ? "-s"
					      : NULL;

	if (bad != NULL)
		return usage_error("%s cannot be combined with -I", bad);
	if (o->data != NULL && strcmp(o->data, "@-") == 0)
		return usage_error("-d @- cannot be combined with -I: standard "
				   "input holds the shell's commands");
	return 0;
}

/* Checks across options and the operands; 0 or EXIT_USAGE. */
static int check(struct request_opts *o, int argc, char **argv)
{
	if (argc < 1)
		return usage_error("missing address");
	o->address = argv[0];
	if (o->interactive && check_interactive(o) != 0)
		return EXIT_USAGE;
	if (o->get_values) {
		if (o->data != NULL || o->data_file != NULL)
			return usage_error("%s cannot be combined with "
					   "--get-values",
					   o->data != NULL ? "-d"
							   : "--data-file");
		o->names = argv + 1;
		o->nnames = argc - 1;
		return 0;
	}
	if (argc > 2)
		return usage_error("unexpected argument '%s'", argv[2]);
	o->uri = argc == 2 ? argv[1] : "/";
	if (o->uri[0] != '/')
		return usage_error("bad URI '%s': it must begin with '/'",
				   o->uri);
	if (o->data_file != NULL) {
		if (o->role_set && o->role != FCGI_FILTER)
			return usage_error("%s needs the filter role",
					   "--data-file");
		o->role = FCGI_FILTER;
	}
	if (o->mpx > 1 && o->count < o->mpx)
		o->count = o->mpx;
	return 0;
}

int cmd_request(int argc, char **argv)
{
	struct request_opts o;
	const char *trace;
	size_t i;
	int c, rc;

	memset(&o, 0, sizeof(o));
	o.role = FCGI_RESPONDER;
	o.count = 1;
	o.mpx = 1;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":d:fH:hIim:n:o:P:p:svX:", longopts,
				NULL)) != -1) {
		if (c == 'h') {
			fputs(usage_text, stdout);
			rc = EXIT_OK;
			goto out;
		}
		if (c == '?' || c == ':')
			rc = usage_getopt(c, argv, longopts, usage_text);
		else
			rc = option(&o, c, optarg, argv[optind - 1]);
		if (rc != 0)
			goto out;
	}
	rc = check(&o, argc - optind, argv + optind);
	if (rc != 0)
		goto out;
	trace = getenv("FCGITOOL_TRACE");
	if (trace != NULL && strcmp(trace, "1") == 0)
		o.verbose = true;
	signal(SIGPIPE, SIG_IGN);
	if (o.interactive)
		rc = shell_main(o.address, &o, NULL, 0, o.verbose);
	else
		rc = request_run(&o);
out:
	free(o.headers);
	for (i = 0; i < o.nparams; i++)
		free(o.params[i].name);
	free(o.params);
	return rc;
}
