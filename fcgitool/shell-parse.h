/* SPDX-License-Identifier: MIT */
/* shell-parse.h - fcgitool shell's word syntax (pure: no I/O). */
#ifndef FCGITOOL_SHELL_PARSE_H
#define FCGITOOL_SHELL_PARSE_H

#include <stddef.h>

#include "fcgi.h"

/* One word: its bytes (NUL-terminated, but it may hold NUL itself). */
struct sh_word {
	char *s;
	size_t len;
	int lit; /* began with a quote or a backslash: never an option or
		  * an @file */
};

struct sh_words {
	struct sh_word *v;
	size_t n, cap;
	char *store;
};

/*
 * Split line[0..len) into words: blanks separate them; '...' keeps
 * everything literally; "..." and bare text take backslash escapes (\n
 * \r \t \0 \xHH, and a backslash before any other character stands for
 * it).  A line whose first non-blank character is '#' has no words.
 * 0 (free w with sh_words_free), or -1 with a reason in err.
 */
int sh_split(const char *line, size_t len, struct sh_words *w, char *err,
	     size_t errlen);
void sh_words_free(struct sh_words *w);

/* Hex digits into bytes; blanks and ':' between them are skipped.
 * 0, -1 (not hex, or an odd number of digits), -2 (out of memory). */
int sh_unhex(const char *s, size_t len, struct fcgi_buf *out);

/* Append s as one word that sh_split() reads back as the same bytes,
 * never as an option or an @file.  0 or FCGI_ENOMEM. */
int sh_quote(struct fcgi_buf *out, const void *s, size_t len);
/* Append s quoted for a POSIX shell.  0 or FCGI_ENOMEM. */
int sh_quote_posix(struct fcgi_buf *out, const void *s, size_t len);
/* Append s with the C escapes fcgitool request -P reads (\\ \n \r \t
 * \xHH); eq: '=' as \x3d too (a name).  0 or FCGI_ENOMEM. */
int sh_cescape(struct fcgi_buf *out, const void *s, size_t len, int eq);
/* 1 if s has no control character (so it can go in a -p or -H). */
int sh_printable(const void *s, size_t len);

#endif
