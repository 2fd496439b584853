/* SPDX-License-Identifier: MIT */
/* main.c - the command table and dispatch. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cap-version.h"
#include "fcgi-uv.h"
#include "shell-version.h"
#include "util.h"

#ifndef FCGITOOL_VERSION
#define FCGITOOL_VERSION "0.1.0"
#endif

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

/* Keep in the order of fcgitool(1)'s command list. */
static const struct cmd commands[] = {
	/* COMMANDS */
	{ "request", cmd_request, "send a request to a FastCGI server" },
	{ "serve", cmd_serve,
	  "run a FastCGI server with functions or CGI programs" },
	{ "proxy", cmd_proxy,
	  "forward and decode traffic between a web server and an app" },
	{ "pcap", cmd_pcap, "show the FastCGI traffic in a packet capture" },
	{ "bench", cmd_bench, "load a FastCGI server and measure its latency" },
	{ "conform", cmd_conform,
	  "check a FastCGI application against the protocol, case by case" },
	{ "shell", cmd_shell, "build and send requests interactively" },
	{ "help", cmd_help, "show the manual page of a command" },
	{ NULL, NULL, NULL },
};

static const char usage_text[] =
	"usage: fcgitool [-hV] command [argument ...]\n";

static void usage(FILE *f)
{
	const struct cmd *c;

	fputs(usage_text, f);
	fputs("\ncommands:\n", f);
	for (c = commands; c->name != NULL; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fputs("\nSee fcgitool(1) and fcgitool help COMMAND.\n", f);
}

/*
 * fcgitool's version, then each library's: the one it runs with, and the
 * one whose headers it was compiled against where the library's headers
 * say (libpcap's do not).  The first line alone is "fcgitool X.Y.Z", for
 * scripts.
 */
static void version(FILE *f)
{
	fprintf(f, "fcgitool %s\n", FCGITOOL_VERSION);
	fprintf(f, "libuv %s (built with %d.%d.%d)\n", uv_version_string(),
		UV_VERSION_MAJOR, UV_VERSION_MINOR, UV_VERSION_PATCH);
	fprintf(f, "libpcap %s\n", cap_lib_version());
	fprintf(f, "readline %s (built with %s)\n", shell_rl_version(),
		shell_rl_built());
	fprintf(f, "cJSON %s (built with %d.%d.%d)\n", cJSON_Version(),
		CJSON_VERSION_MAJOR, CJSON_VERSION_MINOR, CJSON_VERSION_PATCH);
}

/*
 * The page of a command in the source tree, when this binary runs from
 * one (fcgitool/fcgitool or build/VARIANT/fcgitool/fcgitool), so that
 * help works before make install.  1 and path filled, or 0.
 */
static int tree_page(const char *page, char *path, size_t n)
{
	static const char *const up[] = { "/../man/", "/../../../man/" };
	char exe[PATH_MAX];
	ssize_t len;
	char *slash;
	size_t i;

	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len <= 0)
		return 0;
	exe[len] = '\0';
	slash = strrchr(exe, '/');
	if (slash == NULL)
		return 0;
	*slash = '\0';
	for (i = 0; i < sizeof(up) / sizeof(up[0]); i++) {
		if (snprintf(path, n, "%s%s%s.1", exe, up[i], page) >= (int)n)
			continue;
		if (access(path, R_OK) == 0)
			return 1;
	}
	return 0;
}

int cmd_help(int argc, char **argv)
{
	char page[64], path[PATH_MAX + 64];
	const struct cmd *c;

	if (argc < 2) {
		usage(stdout);
		return EXIT_OK;
	}
	for (c = commands; c->name != NULL; c++)
		if (strcmp(c->name, argv[1]) == 0)
			break;
	if (c->name == NULL || strcmp(c->name, "help") == 0) {
		warn("'%s' is not a fcgitool command", argv[1]);
		return EXIT_USAGE;
	}
	snprintf(page, sizeof(page), "fcgitool-%s", c->name);
	if (tree_page(page, path, sizeof(path))) {
		execlp("man", "man", "-l", path, (char *)NULL);
		execlp("mandoc", "mandoc", "-a", path, (char *)NULL);
	} else {
		execlp("man", "man", page, (char *)NULL);
	}
	warn("cannot run man: %s", strerror(errno));
	return EXIT_IO;
}

int main(int argc, char **argv)
{
	const struct cmd *c;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		version(stdout);
		return EXIT_OK;
	}
	for (c = commands; c->name != NULL; c++) {
		if (strcmp(c->name, argv[1]) == 0) {
			util_cmd = c->name;
			return c->fn(argc - 1, argv + 1);
		}
	}
	fprintf(stderr, "fcgitool: '%s' is not a fcgitool command\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
