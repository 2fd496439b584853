/* SPDX-License-Identifier: MIT */
/* util.c - messages, number parsing and file reading for the CLI. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

const char *util_cmd = NULL;

static void vmsg(const char *fmt, va_list ap)
{
	if (util_cmd != NULL)
		fprintf(stderr, "fcgitool %s: ", util_cmd);
	else
		fputs("fcgitool: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

int error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	return -1;
}

void die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	exit(status);
}

/*
 * The option getopt_long() stopped at, as the user wrote it, into buf:
 * "-d" for a short option (optopt), "--name" for a long one (without any
 * "=value").  A short option in the middle of a cluster leaves optind on
 * that cluster; at a cluster's end, and after a long option, optind has
 * moved past the word.
 */
static const char *culprit(char **argv, char *buf, size_t n)
{
	const char *prev = optind > 0 ? argv[optind - 1] : NULL;
	const char *cur = argv[optind];
	int is_short = optopt > 0 && optopt < 128 && optopt != '-';
	size_t len;

	if (is_short && cur != NULL && cur[0] == '-' && cur[1] != '-' &&
	    strchr(cur + 1, optopt) != NULL)
		prev = cur;
	else if (prev != NULL && strncmp(prev, "--", 2) == 0 && prev[2] != '\0')
		is_short = 0;
	if (is_short) {
		snprintf(buf, n, "-%c", optopt);
		return buf;
	}
	if (prev == NULL)
		return "?";
	len = strcspn(prev, "=");
	snprintf(buf, n, "%.*s", len > 64 ? 64 : (int)len, prev);
	return buf;
}

int usage_getopt(int c, char **argv, const struct option *longopts,
		 const char *usage)
{
	char opt[80];
	const char *name = culprit(argv, opt, sizeof(opt));
	const struct option *lo;

	if (c == ':') {
		warn("option '%s' needs an argument", name);
	} else {
		for (lo = longopts; lo != NULL && lo->name != NULL; lo++)
			if (strncmp(name, "--", 2) == 0 &&
			    strcmp(name + 2, lo->name) == 0 &&
			    lo->has_arg == no_argument)
				break;
		if (lo != NULL && lo->name != NULL)
			warn("option '%s' takes no argument", name);
		else
			warn("unknown option '%s'", name);
	}
	fputs(usage, stderr);
	return EXIT_USAGE;
}

int parse_ulong(const char *s, unsigned long min, unsigned long max,
		unsigned long *out)
{
	char *end;
	unsigned long v;

	if (s == NULL || *s == '\0' || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int parse_seconds_ms(const char *s, uint64_t *ms)
{
	char *end;
	double v;

	if (s == NULL || *s == '\0' || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !(v >= 0) || v > 1e9)
		return -1;
	*ms = (uint64_t)(v * 1000.0 + 0.5);
	return 0;
}

int read_file(const char *path, uint8_t **data, size_t *len)
{
	int fd, saved;
	uint8_t *buf = NULL, *nb;
	size_t cap = 0, n = 0;
	ssize_t r;

	fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap);
			if (nb == NULL) {
				errno = ENOMEM;
				goto fail;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	*data = buf;
	*len = n;
	return 0;
fail:
	saved = errno;
	free(buf);
	if (fd != STDIN_FILENO)
		close(fd);
	errno = saved;
	return -1;
}

int parse_severity(const char *s, enum fcgi_severity *out)
{
	static const enum fcgi_severity all[] = { FCGI_SEV_SPEC,
						  FCGI_SEV_INTEROP,
						  FCGI_SEV_NOTE };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(s, fcgi_severity_name(all[i])) == 0) {
			*out = all[i];
			return 0;
		}
	}
	return -1;
}

int want_color(FILE *f)
{
	const char *nc = getenv("NO_COLOR");
	int fd;

	if (nc != NULL && nc[0] != '\0')
		return 0;
	if (f == NULL)
		return 0;
	fd = fileno(f);
	return fd >= 0 && isatty(fd) == 1;
}

struct fcgi_render *render_open(FILE *f, const struct fcgi_render_opts *opts)
{
	struct fcgi_render *r;
	struct fcgi_sink sink;

	fcgi_sink_file(&sink, f);
	return fcgi_render_new(&r, &sink, opts) == 0 ? r : NULL;
}
