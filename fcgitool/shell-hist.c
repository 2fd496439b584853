/* SPDX-License-Identifier: MIT */
/*
 * shell-hist.c - fcgitool shell: a line as the journal and the history
 * keep it, the history with the values of secret params masked or the
 * line left out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "shell.h"
#include "util.h"

/* HTTP_NAME for a header name: upper case, '-' as '_' (RFC 3875,
 * 4.1.18); into out (n >= len + 6). */
static void header_param(char *out, const char *name, size_t len)
{
	size_t i;

	memcpy(out, "HTTP_", 5);
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		else if (c == '-')
			c = '_';
		out[5 + i] = c;
	}
	out[5 + len] = '\0';
}

/* Whether a "Name: value" header becomes a secret param. */
int sh_secret_header(const struct shell *sh, const char *h, size_t len)
{
	const char *colon = memchr(h, ':', len);
	char name[300];
	size_t n;

	if (colon == NULL)
		return 0;
	n = (size_t)(colon - h);
	if (n + 6 > sizeof(name))
		return 0;
	header_param(name, h, n);
	return sh_is_secret(sh, name, n + 5);
}

/* raw -n NAME=VALUE with a secret NAME. */
static int secret_pair(const struct shell *sh, const struct sh_word *x)
{
	const char *eq = memchr(x->s, '=', x->len);

	return eq != NULL && sh_is_secret(sh, x->s, (size_t)(eq - x->s));
}

/* Append w as a line that sh_split() reads back with the same meaning;
 * with mask, raw -n pairs of secret params show *** as their value. */
void sh_words_line(struct fcgi_buf *b, const struct sh_words *w,
		   const struct shell *mask)
{
	const struct sh_word *x;
	size_t i;
	char *eq;

	for (i = 0; i < w->n; i++) {
		x = &w->v[i];
		if (i > 0)
			sh_bput(b, " ", 1);
		if (mask != NULL && i >= 1 && secret_pair(mask, x)) {
			/* raw -n NAME=VALUE */
			eq = memchr(x->s, '=', x->len);
			if (sh_quote(b, x->s, (size_t)(eq - x->s)) != 0)
				die(EXIT_IO, "out of memory");
			sh_bputs(b, "=***");
			continue;
		}
		if (!x->lit && x->len > 1 && x->s[0] == '@') {
			sh_bput(b, "@", 1);
			if (sh_quote(b, x->s + 1, x->len - 1) != 0)
				die(EXIT_IO, "out of memory");
		} else if (!x->lit && x->len > 1 && x->s[0] == '-' &&
			   sh_printable(x->s, x->len) &&
			   strpbrk(x->s, " \"'\\#") == NULL) {
			sh_bput(b, x->s, x->len);
		} else if (sh_quote(b, x->s, x->len) != 0) {
			die(EXIT_IO, "out of memory");
		}
	}
	sh_bput(b, "\n", 1);
}

/* ---- history -------------------------------------------------------------- */

/* Whether s[0..len) holds needle, in any case. */
static int has_casestr(const char *s, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; n <= len && i <= len - n; i++)
		if (strncasecmp(s + i, needle, n) == 0 &&
		    memchr(s + i, '\0', n) == NULL)
			return 1;
	return 0;
}

/* Whether s[0..len) names a secret, in any case, as a param
 * (HTTP_COOKIE) or as a header (Cookie). */
static int mentions_secret(const struct shell *sh, const char *s, size_t len)
{
	char h[300];
	size_t i, k, n;

	for (i = 0; sh->redact[i] != NULL; i++) {
		n = strlen(sh->redact[i]);
		if (has_casestr(s, len, sh->redact[i]))
			return 1;
		if (n > 5 && n < sizeof(h) &&
		    strncmp(sh->redact[i], "HTTP_", 5) == 0) {
			for (k = 5; k <= n; k++)
				h[k - 5] = sh->redact[i][k] == '_'
						   ? '-'
						   : sh->redact[i][k];
			if (has_casestr(s, len, h))
				return 1;
		}
	}
	return 0;
}

static char *finish(struct fcgi_buf *b)
{
	b->data[b->len - 1] = '\0';
	return (char *)b->data;
}

char *sh_history_line(const struct shell *sh, const char *line)
{
	struct sh_words w;
	struct fcgi_buf b;
	const char *cmd;
	char err[64], *h, *out = NULL;
	size_t i;
	int secret;

	if (sh_split(line, strlen(line), &w, err, sizeof(err)) != 0)
		return mentions_secret(sh, line, strlen(line)) ? NULL
							       : strdup(line);
	secret = mentions_secret(sh, line, strlen(line));
	for (i = 0; i < w.n; i++)
		secret |= mentions_secret(sh, w.v[i].s, w.v[i].len);
	if (!secret) {
		sh_words_free(&w);
		return strdup(line);
	}
	fcgi_buf_init(&b, NULL, 0);
	cmd = w.v[0].s;
	if (strcmp(cmd, "unset") == 0 || strcmp(cmd, "get-values") == 0) {
		/* Names only, no value to hide. */
		out = strdup(line);
	} else if (strcmp(cmd, "set") == 0 && w.n == 3 &&
		   sh_is_secret(sh, w.v[1].s, w.v[1].len) &&
		   !mentions_secret(sh, w.v[2].s, w.v[2].len)) {
		sh_bputs(&b, "set ");
		if (sh_quote(&b, w.v[1].s, w.v[1].len) != 0)
			die(EXIT_IO, "out of memory");
		sh_bputs(&b, " ***\n");
		out = finish(&b);
	} else if (strcmp(cmd, "header") == 0 && w.n >= 2) {
		h = sh_join(&w, 1);
		if (strchr(h, ':') != NULL &&
		    sh_secret_header(sh, h, strlen(h)) &&
		    !mentions_secret(sh, strchr(h, ':'),
				     strlen(strchr(h, ':')))) {
			sh_bputs(&b, "header ");
			if (sh_quote(&b, h, (size_t)(strchr(h, ':') - h + 1)) !=
			    0)
				die(EXIT_IO, "out of memory");
			sh_bputs(&b, " ***\n");
			out = finish(&b);
		}
		free(h);
	} else if (strcmp(cmd, "raw") == 0) {
		/* Pairs with a secret name are masked; anything else that
		 * names a secret keeps the line out. */
		for (i = 1; i < w.n; i++)
			if (!secret_pair(sh, &w.v[i]) &&
			    mentions_secret(sh, w.v[i].s, w.v[i].len))
				break;
		if (i == w.n) {
			sh_words_line(&b, &w, sh);
			out = finish(&b);
		}
	}
	sh_words_free(&w);
	if (out == NULL)
		fcgi_buf_fini(&b);
	return out;
}
