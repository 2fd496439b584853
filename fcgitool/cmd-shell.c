/* SPDX-License-Identifier: MIT */
/*
 * cmd-shell.c - fcgitool shell: options, the shell's state and its loop:
 * read a line, run it, until the end of input or quit.  Everything waits
 * on one libuv loop, so that ^C can abort what is in flight.
 */
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shell.h"
#include "util.h"

static const char usage_text[] =
	"usage: fcgitool shell [-v] [--redact name] address\n";

enum { OPT_REDACT = 256 };

static const struct option longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "redact", required_argument, NULL, OPT_REDACT },
	{ "verbose", no_argument, NULL, 'v' },
	{ NULL, 0, NULL, 0 },
};

void sh_err(struct shell *sh, const char *fmt, ...)
{
	va_list ap;

	fflush(sh->out);
	fprintf(stderr, "fcgitool %s: ", util_cmd);
	if (sh->where != NULL)
		fprintf(stderr, "%s:%lu: ", sh->where, sh->lineno);
	else if (!sh->interactive && sh->lineno > 0)
		fprintf(stderr, "line %lu: ", sh->lineno);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void on_timer(uv_timer_t *t)
{
	struct shell *sh = t->data;

	sh->timer_fired = 1;
}

/* Not interactive, ^C is watched only while something is waited for:
 * at any other time it ends the shell the default way. */
static int watch_sigint(struct shell *sh);
static void unwatch_sigint(struct shell *sh, int started);

int sh_wait(struct shell *sh, const int *flag, uint64_t ms)
{
	int started = watch_sigint(sh);

	sh->timer_fired = 0;
	if (ms != 0)
		uv_timer_start(&sh->timer, on_timer, ms, 0);
	while ((flag == NULL || !*flag) && !sh->interrupted && !sh->timer_fired)
		uv_run(&sh->loop, UV_RUN_ONCE);
	uv_timer_stop(&sh->timer);
	unwatch_sigint(sh, started);
	if (flag != NULL && *flag)
		return 1;
	return sh->interrupted ? -1 : 0;
}

void sh_wait_flag(struct shell *sh, const int *flag)
{
	int started = watch_sigint(sh);

	while (!*flag)
		uv_run(&sh->loop, UV_RUN_ONCE);
	unwatch_sigint(sh, started);
}

static void on_sigint(uv_signal_t *h, int signum)
{
	struct shell *sh = h->data;

	(void)signum;
	if (!sh->busy) {
		sh_line_interrupt(sh);
		return;
	}
	/* The terminal echoed ^C: what follows starts a line. */
	if (sh->interactive && !sh->interrupted) {
		fputc('\n', sh->out);
		fflush(sh->out);
	}
	sh->interrupted = 1;
	sh_client_interrupt(sh);
}

static int watch_sigint(struct shell *sh)
{
	if (sh->interactive || uv_is_active((uv_handle_t *)&sh->sigint))
		return 0;
	uv_signal_start(&sh->sigint, on_sigint, SIGINT);
	return 1;
}

static void unwatch_sigint(struct shell *sh, int started)
{
	if (started)
		uv_signal_stop(&sh->sigint);
}

int sh_set_address(struct shell *sh, const char *text)
{
	struct fcgi_addr a;
	char err[256];

	if (strlen(text) >= sizeof(sh->address)) {
		sh_err(sh, "bad address: too long");
		return -1;
	}
	if (fcgi_addr_parse(&a, text, err, sizeof(err)) != 0) {
		sh_err(sh, "bad address: %s", err);
		return -1;
	}
	sh_client_close(sh);
	sh_raw_close(sh, 1);
	sh->addr = a;
	memcpy(sh->address, text, strlen(text) + 1);
	fcgi_addr_format(&a, sh->addr_text, sizeof(sh->addr_text));
	return 0;
}

void sh_prompt(const struct shell *sh, char *out, size_t n)
{
	int raw = sh_raw_is_open(sh);

	snprintf(out, n, "%s%s> ", sh->addr_text,
		 sh->nopen > 0 && raw ? " [open, raw]"
		 : sh->nopen > 0      ? " [open]"
		 : raw		      ? " [raw]"
				      : "");
}

int sh_is_secret(const struct shell *sh, const char *name, size_t len)
{
	size_t i;

	for (i = 0; sh->redact[i] != NULL; i++)
		if (strlen(sh->redact[i]) == len &&
		    memcmp(sh->redact[i], name, len) == 0)
			return 1;
	return 0;
}

static int setup(struct shell *sh, const char *address,
		 const char *const *redact, size_t nredact)
{
	const char *const *def = fcgi_render_redact_default();
	struct fcgi_render_opts ro;
	size_t i, n = 0;

	while (def[n] != NULL)
		n++;
	sh->redact = calloc(n + nredact + 1, sizeof(*sh->redact));
	if (sh->redact == NULL)
		die(EXIT_IO, "out of memory");
	for (i = 0; i < n; i++)
		sh->redact[sh->nredact++] = def[i];
	for (i = 0; i < nredact; i++)
		sh->redact[sh->nredact++] = redact[i];
	fcgi_render_opts_default(&ro);
	ro.color = sh->color;
	ro.redact = sh->redact;
	sh->render = render_open(sh->out, &ro);
	if (sh->render == NULL)
		die(EXIT_IO, "out of memory");
	fcgi_buf_init(&sh->journal, NULL, 0);
	fcgi_buf_init(&sh->jstate, NULL, 0);
	if (uv_loop_init(&sh->loop) != 0)
		die(EXIT_IO, "cannot make an event loop");
	uv_signal_init(&sh->loop, &sh->sigint);
	sh->sigint.data = sh;
	uv_timer_init(&sh->loop, &sh->timer);
	sh->timer.data = sh;
	return sh_set_address(sh, address);
}

static void teardown(struct shell *sh)
{
	sh_client_close(sh);
	sh_bg_reap(sh);
	sh_raw_close(sh, 1);
	uv_close((uv_handle_t *)&sh->sigint, NULL);
	uv_close((uv_handle_t *)&sh->timer, NULL);
	uv_run(&sh->loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&sh->loop) != 0)
		warn("the event loop still had handles open");
	sh_raw_free(sh);
	fcgi_render_free(sh->render);
	free(sh->redact);
	fcgi_buf_fini(&sh->journal);
	fcgi_buf_fini(&sh->jstate);
	sh_req_fini(&sh->req);
	if (sh->have_last)
		sh_req_fini(&sh->last);
}

int shell_main(const char *address, const struct request_opts *o,
	       const char *const *redact, size_t nredact, int verbose)
{
	struct shell sh;
	char *line;
	int rc = 0;

	memset(&sh, 0, sizeof(sh));
	util_cmd = "shell";
	signal(SIGPIPE, SIG_IGN);
	sh.interactive = isatty(STDIN_FILENO) == 1;
	sh.out = stdout;
	sh.color = sh.interactive && want_color(stdout);
	sh.verbose = verbose;
	if (o != NULL)
		sh_req_from_opts(&sh.req, o);
	else
		sh_req_init(&sh.req);
	if (setup(&sh, address, redact, nredact) != 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (!sh.interactive) {
		/* A script: the first bad command ends it. */
		rc = sh_run_file(&sh, stdin, NULL);
		/* What send -b left in flight is waited for: its status
		 * counts. */
		sh_bg_finish(&sh, 0);
		rc = rc != 0 ? EXIT_USAGE : sh.status;
		goto out;
	}
	uv_signal_start(&sh.sigint, on_sigint, SIGINT);
	sh_line_open(&sh);
	while (!sh.quit && (line = sh_line_get(&sh)) != NULL) {
		sh_line_remember(&sh, line);
		sh_exec(&sh, line);
		free(line);
		fflush(sh.out);
	}
	sh_bg_finish(&sh, 1);
	sh_line_close(&sh);
	rc = sh.status;
out:
	teardown(&sh);
	fflush(stdout);
	if (ferror(stdout) && rc == EXIT_OK)
		rc = EXIT_IO;
	return rc;
}

int cmd_shell(int argc, char **argv)
{
	const char **redact = NULL, **nr;
	size_t nredact = 0;
	int c, verbose = 0, rc;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":hv", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			free(redact);
			return EXIT_OK;
		case 'v':
			verbose = 1;
			break;
		case OPT_REDACT:
			nr = realloc(redact, (nredact + 1) * sizeof(*redact));
			if (nr == NULL)
				die(EXIT_IO, "out of memory");
			redact = nr;
			redact[nredact++] = optarg;
			break;
		default:
			free(redact);
			return usage_getopt(c, argv, longopts, usage_text);
		}
	}
	if (argc - optind != 1) {
		if (argc - optind == 0)
			warn("missing address");
		else
			warn("unexpected argument '%s'", argv[optind + 1]);
		fputs(usage_text, stderr);
		free(redact);
		return EXIT_USAGE;
	}
	rc = shell_main(argv[optind], NULL, redact, nredact, verbose);
	free(redact);
	return rc;
}
