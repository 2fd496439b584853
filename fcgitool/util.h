/* SPDX-License-Identifier: MIT */
/* util.h - helpers shared by the subcommands (never by lib/). */
#ifndef FCGITOOL_UTIL_H
#define FCGITOOL_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fcgi-uv.h"

/* Exit statuses (fcgitool(1), EXIT STATUS). */
enum {
	EXIT_OK = 0,
	EXIT_PEER = 1, /* the peer answered, but not as hoped */
	EXIT_USAGE = 2,
	EXIT_IO = 3,   /* connection, I/O or timeout */
	EXIT_PROTO = 4 /* the peer broke the protocol */
};

/* The running subcommand's name, for messages ("request"). */
extern const char *util_cmd;

/* "fcgitool <cmd>: <message>\n" on stderr.  error() returns -1. */
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void die(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/*
 * A getopt_long() error (c is ':' or '?'; the optstring starts with ':'
 * and opterr is 0) said the one way every command says it, then the usage
 * on stderr: "fcgitool CMD: option '-d' needs an argument", "unknown
 * option '--frob'", "option '--json' takes no argument".  Returns
 * EXIT_USAGE.
 */
struct option;
int usage_getopt(int c, char **argv, const struct option *longopts,
		 const char *usage);

/* Parse numbers strictly (whole string, in range); 0 or -1. */
int parse_ulong(const char *s, unsigned long min, unsigned long max,
		unsigned long *out);
/* Seconds with an optional fraction ("2", "0.5") into milliseconds. */
int parse_seconds_ms(const char *s, uint64_t *ms);
/* A severity by name, "spec", "interop" or "note" (--severity); 0 or
 * -1. */
int parse_severity(const char *s, enum fcgi_severity *out);
/* Read a whole file ("-" is stdin) into a malloc'd buffer. */
int read_file(const char *path, uint8_t **data, size_t *len);

/* 1 if output to f should be coloured: a terminal, and no non-empty
 * NO_COLOR in the environment (https://no-color.org). */
int want_color(FILE *f);
/* A renderer writing to f (borrowed) with opts; NULL when memory runs
 * out. */
struct fcgi_render *render_open(FILE *f, const struct fcgi_render_opts *opts);

/* The subcommands. */
int cmd_help(int argc, char **argv);
int cmd_request(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_proxy(int argc, char **argv);
int cmd_pcap(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_conform(int argc, char **argv);
int cmd_shell(int argc, char **argv);

#endif
