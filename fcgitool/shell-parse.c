/* SPDX-License-Identifier: MIT */
/*
 * shell-parse.c - fcgitool shell's command-line syntax: words with quotes
 * and C escapes, hex bytes, and quoting back, both for the shell's own
 * syntax (save, history) and for a POSIX shell (show-cmd).  No I/O, no
 * readline: tests/fuzz/fuzz-shell-words.c drives it.
 */
#include <stdlib.h>
#include <string.h>

#include "shell-parse.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void set_err(char *err, size_t errlen, const char *msg)
{
	size_t n = strlen(msg);

	if (errlen == 0)
		return;
	if (n >= errlen)
		n = errlen - 1;
	memcpy(err, msg, n);
	err[n] = '\0';
}

/*
 * The escape at s[0] == '\\' (s[0..n) available) into *out; returns the
 * bytes it took, or 0 for a bad one.  \n \r \t \0 \xHH are C escapes;
 * a backslash before any other character stands for that character.
 */
static size_t unescape1(const char *s, size_t n, char *out)
{
	int hi, lo;

	if (n < 2)
		return 0;
	switch (s[1]) {
	case 'n':
		*out = '\n';
		return 2;
	case 'r':
		*out = '\r';
		return 2;
	case 't':
		*out = '\t';
		return 2;
	case '0':
		*out = '\0';
		return 2;
	case 'x':
		if (n < 4 || (hi = hexval((unsigned char)s[2])) < 0 ||
		    (lo = hexval((unsigned char)s[3])) < 0)
			return 0;
		*out = (char)(hi << 4 | lo);
		return 4;
	default:
		*out = s[1];
		return 2;
	}
}

static int push_word(struct sh_words *w, char *start, size_t len, int lit)
{
	struct sh_word *nv;
	size_t cap;

	if (w->n == w->cap) {
		cap = w->cap != 0 ? w->cap * 2 : 8;
		nv = realloc(w->v, cap * sizeof(*nv));
		if (nv == NULL)
			return -1;
		w->v = nv;
		w->cap = cap;
	}
	w->v[w->n].s = start;
	w->v[w->n].len = len;
	w->v[w->n].lit = lit;
	w->n++;
	return 0;
}

int sh_split(const char *line, size_t len, struct sh_words *w, char *err,
	     size_t errlen)
{
	size_t i = 0, k, o = 0, start;
	int lit, quote;
	char c;

	memset(w, 0, sizeof(*w));
	/* Each word is no longer than its text, plus a NUL. */
	w->store = malloc(len + len / 2 + 2);
	if (w->store == NULL) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	while (i < len && is_blank(line[i]))
		i++;
	if (i < len && line[i] == '#')
		return 0;
	for (;;) {
		while (i < len && is_blank(line[i]))
			i++;
		if (i == len)
			return 0;
		start = o;
		lit = line[i] == '\'' || line[i] == '"' || line[i] == '\\';
		quote = 0;
		while (i < len && (quote != 0 || !is_blank(line[i]))) {
			c = line[i];
			if (quote == '\'') {
				if (c == '\'')
					quote = 0;
				else
					w->store[o++] = c;
				i++;
			} else if (c == '\\') {
				k = unescape1(line + i, len - i, &w->store[o]);
				if (k == 0) {
					set_err(err, errlen,
						i + 1 == len
							? "a backslash ends "
							  "the "
							  "line"
							: "bad escape: \\x "
							  "needs "
							  "two hex digits");
					goto fail;
				}
				o++;
				i += k;
			} else if (quote == '"') {
				if (c == '"')
					quote = 0;
				else
					w->store[o++] = c;
				i++;
			} else if (c == '\'' || c == '"') {
				quote = c;
				i++;
			} else {
				w->store[o++] = c;
				i++;
			}
		}
		if (quote != 0) {
			set_err(err, errlen,
				quote == '"' ? "unterminated \" quote"
					     : "unterminated ' quote");
			goto fail;
		}
		w->store[o++] = '\0';
		if (push_word(w, w->store + start, o - start - 1, lit) != 0) {
			set_err(err, errlen, "out of memory");
			goto fail;
		}
	}
fail:
	sh_words_free(w);
	return -1;
}

void sh_words_free(struct sh_words *w)
{
	free(w->v);
	free(w->store);
	memset(w, 0, sizeof(*w));
}

int sh_unhex(const char *s, size_t len, struct fcgi_buf *out)
{
	size_t i;
	int hi = -1, v;

	for (i = 0; i < len; i++) {
		if (is_blank(s[i]) || s[i] == ':')
			continue;
		v = hexval((unsigned char)s[i]);
		if (v < 0)
			return -1;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (fcgi_buf_append_u8(out, (uint8_t)(hi << 4 | v)) != 0)
			return -2;
		hi = -1;
	}
	return hi < 0 ? 0 : -1;
}

/* Characters a word may hold without quotes. */
static int plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("_./:=%+,^@-~", c) != NULL);
}

int sh_quote(struct fcgi_buf *out, const void *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = s;
	int rc = 0;
	size_t i;

	for (i = 0; i < len && plain(p[i]); i++)
		;
	/* A bare '@' names a file and a bare '-' an option. */
	if (i == len && len != 0 && p[0] != '@' && p[0] != '-')
		return fcgi_buf_append(out, s, len);
	rc |= fcgi_buf_append_u8(out, '"');
	for (i = 0; i < len; i++) {
		switch (p[i]) {
		case '"':
		case '\\':
			rc |= fcgi_buf_append_u8(out, '\\');
			rc |= fcgi_buf_append_u8(out, p[i]);
			break;
		case '\n':
			rc |= fcgi_buf_append(out, "\\n", 2);
			break;
		case '\r':
			rc |= fcgi_buf_append(out, "\\r", 2);
			break;
		case '\t':
			rc |= fcgi_buf_append(out, "\\t", 2);
			break;
		default:
			if (p[i] < 0x20 || p[i] >= 0x7f) {
				rc |= fcgi_buf_append(out, "\\x", 2);
				rc |= fcgi_buf_append_u8(
					out, (uint8_t)hex[p[i] >> 4]);
				rc |= fcgi_buf_append_u8(
					out, (uint8_t)hex[p[i] & 15]);
			} else {
				rc |= fcgi_buf_append_u8(out, p[i]);
			}
		}
	}
	rc |= fcgi_buf_append_u8(out, '"');
	return rc != 0 ? FCGI_ENOMEM : 0;
}

int sh_quote_posix(struct fcgi_buf *out, const void *s, size_t len)
{
	const unsigned char *p = s;
	int rc = 0;
	size_t i;

	for (i = 0; i < len && plain(p[i]) && p[i] != '~' && p[i] != '^'; i++)
		;
	if (i == len && len != 0)
		return fcgi_buf_append(out, s, len);
	rc |= fcgi_buf_append_u8(out, '\'');
	for (i = 0; i < len; i++) {
		if (p[i] == '\'')
			rc |= fcgi_buf_append(out, "'\\''", 4);
		else
			rc |= fcgi_buf_append_u8(out, p[i]);
	}
	rc |= fcgi_buf_append_u8(out, '\'');
	return rc != 0 ? FCGI_ENOMEM : 0;
}

int sh_cescape(struct fcgi_buf *out, const void *s, size_t len, int eq)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = s;
	int rc = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] == '\\') {
			rc |= fcgi_buf_append(out, "\\\\", 2);
		} else if (p[i] == '\n') {
			rc |= fcgi_buf_append(out, "\\n", 2);
		} else if (p[i] == '\r') {
			rc |= fcgi_buf_append(out, "\\r", 2);
		} else if (p[i] == '\t') {
			rc |= fcgi_buf_append(out, "\\t", 2);
		} else if (p[i] < 0x20 || p[i] >= 0x7f || (eq && p[i] == '=')) {
			rc |= fcgi_buf_append(out, "\\x", 2);
			rc |= fcgi_buf_append_u8(out, (uint8_t)hex[p[i] >> 4]);
			rc |= fcgi_buf_append_u8(out, (uint8_t)hex[p[i] & 15]);
		} else {
			rc |= fcgi_buf_append_u8(out, p[i]);
		}
	}
	return rc != 0 ? FCGI_ENOMEM : 0;
}

int sh_printable(const void *s, size_t len)
{
	const unsigned char *p = s;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return 0;
	return 1;
}
