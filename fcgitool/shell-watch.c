/* SPDX-License-Identifier: MIT */
/*
 * shell-watch.c - fcgitool shell: watch, the request sent every few
 * seconds with only what changed in the answer shown, as - and + lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shell.h"
#include "util.h"

struct lines {
	const char **p;
	size_t *len;
	size_t n;
};

static void split_lines(struct lines *l, const struct fcgi_buf *b)
{
	const char *s = (const char *)b->data, *e = s + b->len, *nl;

	l->n = 0;
	l->p = NULL;
	l->len = NULL;
	while (s < e) {
		nl = memchr(s, '\n', (size_t)(e - s));
		l->p = realloc(l->p, (l->n + 1) * sizeof(*l->p));
		l->len = realloc(l->len, (l->n + 1) * sizeof(*l->len));
		if (l->p == NULL || l->len == NULL)
			die(EXIT_IO, "out of memory");
		l->p[l->n] = s;
		l->len[l->n] = (size_t)((nl != NULL ? nl : e) - s);
		l->n++;
		s = nl != NULL ? nl + 1 : e;
	}
}

static int same(const struct lines *a, size_t i, const struct lines *b,
		size_t j)
{
	return a->len[i] == b->len[j] &&
	       memcmp(a->p[i], b->p[j], a->len[i]) == 0;
}

static void put_line(struct shell *sh, char mark, const char *p, size_t n)
{
	char *esc = malloc(n * 4 + 1);

	if (esc == NULL)
		die(EXIT_IO, "out of memory");
	/* The server's bytes, escaped so the terminal stays sane. */
	fcgi_escape(esc, n * 4 + 1, (const uint8_t *)p, n);
	if (sh->color)
		fprintf(sh->out, "%s%c %s\033[0m\n",
			mark == '+' ? "\033[32m" : "\033[31m", mark, esc);
	else
		fprintf(sh->out, "%c %s\n", mark, esc);
	free(esc);
}

/* Print what changed from a to b, as - and + lines (a longest common
 * subsequence; past 2000 lines, everything is shown as changed). */
static size_t diff(struct shell *sh, const struct lines *a,
		   const struct lines *b)
{
	uint32_t *t;
	size_t i, j, n = a->n, m = b->n, changed = 0;

	if (n > 2000 || m > 2000) {
		for (i = 0; i < n; i++)
			put_line(sh, '-', a->p[i], a->len[i]);
		for (j = 0; j < m; j++)
			put_line(sh, '+', b->p[j], b->len[j]);
		return n + m;
	}
	t = calloc((n + 1) * (m + 1), sizeof(*t));
	if (t == NULL)
		die(EXIT_IO, "out of memory");
	for (i = n; i-- > 0;)
		for (j = m; j-- > 0;)
			t[i * (m + 1) + j] =
				same(a, i, b, j)
					? t[(i + 1) * (m + 1) + j + 1] + 1
				: t[(i + 1) * (m + 1) + j] >
						t[i * (m + 1) + j + 1]
					? t[(i + 1) * (m + 1) + j]
					: t[i * (m + 1) + j + 1];
	i = j = 0;
	while (i < n || j < m) {
		if (i < n && j < m && same(a, i, b, j)) {
			i++;
			j++;
		} else if (j < m &&
			   (i == n || t[i * (m + 1) + j + 1] >=
					      t[(i + 1) * (m + 1) + j])) {
			put_line(sh, '+', b->p[j], b->len[j]);
			j++;
			changed++;
		} else {
			put_line(sh, '-', a->p[i], a->len[i]);
			i++;
			changed++;
		}
	}
	free(t);
	return changed;
}

static void stamp(char *out, size_t n)
{
	struct tm tm;
	time_t now = time(NULL);

	if (localtime_r(&now, &tm) == NULL ||
	    strftime(out, n, "%H:%M:%S", &tm) == 0)
		snprintf(out, n, "?");
}

int sh_cmd_watch(struct shell *sh, const struct sh_words *w)
{
	struct fcgi_buf prev;
	struct sh_built b;
	struct lines la, lb;
	struct fcgi_buf view;
	uint64_t ms;
	unsigned long count = 0, round = 0;
	char when[16], line[64];
	int rc;

	if (sh_bg_busy(sh, "watch") != 0)
		return -1;
	if (w->n < 2 || w->n > 3) {
		sh_err(sh, "watch: %s; usage: watch SECONDS [COUNT]",
		       w->n < 2 ? "missing argument" : "too many arguments");
		return -1;
	}
	if (parse_seconds_ms(w->v[1].s, &ms) != 0 || ms == 0) {
		sh_err(sh, "watch: bad interval '%s': expected seconds",
		       w->v[1].s);
		return -1;
	}
	if (w->n == 3 && parse_ulong(w->v[2].s, 1, 1000000000, &count) != 0) {
		sh_err(sh, "watch: bad count '%s'", w->v[2].s);
		return -1;
	}
	rc = sh_req_build(&sh->req, sh->address, &b);
	if (rc != 0) {
		sh_built_free(&b);
		return -1;
	}
	if (b.in.present && b.in.size < 0) {
		sh_err(sh, "watch: a body from a pipe can be sent only once");
		sh_built_free(&b);
		return -1;
	}
	fcgi_buf_init(&prev, NULL, 0);
	while (!sh->interrupted && (count == 0 || round < count)) {
		if (round > 0 && sh_wait(sh, NULL, ms) < 0)
			break;
		rc = sh_send_view(sh, &b, &view);
		if (rc < 0)
			break;
		sh->status = rc;
		round++;
		stamp(when, sizeof(when));
		if (round == 1) {
			fprintf(sh->out, "-- %s round 1\n", when);
			split_lines(&lb, &view);
			for (size_t i = 0; i < lb.n; i++)
				put_line(sh, ' ', lb.p[i], lb.len[i]);
			free(lb.p);
			free(lb.len);
		} else if (view.len != prev.len ||
			   memcmp(view.data, prev.data, prev.len) != 0) {
			fprintf(sh->out, "-- %s round %lu: changed\n", when,
				round);
			split_lines(&la, &prev);
			split_lines(&lb, &view);
			diff(sh, &la, &lb);
			free(la.p);
			free(la.len);
			free(lb.p);
			free(lb.len);
		}
		fflush(sh->out);
		fcgi_buf_fini(&prev);
		prev = view;
	}
	fcgi_buf_fini(&prev);
	sh_built_free(&b);
	if (round > 0) {
		snprintf(line, sizeof(line), "watch %s %lu", w->v[1].s, round);
		sh_journal(sh, NULL, &sh->req);
		sh_journal_str(sh, line);
		fprintf(sh->out, "-- %lu rounds\n", round);
	}
	return 0;
}
