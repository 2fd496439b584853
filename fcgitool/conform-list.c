/* SPDX-License-Identifier: MIT */
/*
 * conform-list.c - choosing cases by id or prefix (--only, --skip), and
 * baseline files of known results.  A baseline is text from the user:
 * every line is checked, and a bad one is named by its number.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conform-client.h"
#include "conform.h"

int cf_patterns_add(struct cf_pattern_list *l, const char *text)
{
	const char *p = text, *e;
	char **ni;
	size_t n;

	while (*p != '\0') {
		e = strchr(p, ',');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		if (n > 0) {
			ni = realloc(l->item, (l->n + 1) * sizeof(*ni));
			if (ni == NULL)
				return -1;
			l->item = ni;
			l->item[l->n] = malloc(n + 1);
			if (l->item[l->n] == NULL)
				return -1;
			memcpy(l->item[l->n], p, n);
			l->item[l->n][n] = '\0';
			l->n++;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

void cf_patterns_free(struct cf_pattern_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->item[i]);
	free(l->item);
	l->item = NULL;
	l->n = 0;
}

/* 1 if id is pat or starts with pat and then '-' or '.'. */
static bool matches(const char *pat, const char *id)
{
	size_t n = strlen(pat);

	if (strncmp(pat, id, n) != 0)
		return false;
	return id[n] == '\0' || id[n] == '-' || id[n] == '.' ||
	       pat[n - 1] == '-' || pat[n - 1] == '.';
}

bool cf_patterns_match(const struct cf_pattern_list *l, const char *id)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (matches(l->item[i], id))
			return true;
	return false;
}

const char *cf_patterns_unknown(const struct cf_pattern_list *l)
{
	const struct cf_case *all;
	const struct cl_case *web;
	size_t n, nw, i, j;
	bool found;

	all = cf_cases(&n);
	web = cl_cases(&nw);
	for (i = 0; i < l->n; i++) {
		found = false;
		for (j = 0; j < n && !found; j++)
			found = matches(l->item[i], all[j].id);
		for (j = 0; j < nw && !found; j++)
			found = matches(l->item[i], web[j].k.id);
		if (!found)
			return l->item[i];
	}
	return NULL;
}

/* ---- baselines ----------------------------------------------------------- */

void cf_baseline_free(struct cf_baseline *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		free(b->e[i].id);
	free(b->e);
	b->e = NULL;
	b->n = 0;
}

const struct cf_baseline_entry *cf_baseline_find(const struct cf_baseline *b,
						 const char *id)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (strcmp(b->e[i].id, id) == 0)
			return &b->e[i];
	return NULL;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* The next word of line[*i..n) into out (at most m - 1 bytes): its
 * length, or 0 at the end; SIZE_MAX when it is too long. */
static size_t word(const char *line, size_t n, size_t *i, char *out, size_t m)
{
	size_t k = 0;

	while (*i < n && blank(line[*i]))
		(*i)++;
	while (*i < n && !blank(line[*i]) && line[*i] != '#') {
		if (k + 1 >= m)
			return SIZE_MAX;
		out[k++] = line[(*i)++];
	}
	out[k] = '\0';
	return k;
}

/* Parse one line (without its newline); 0 or -1 with err set. */
static int parse_line(struct cf_baseline *b, const char *line, size_t n,
		      char *err, size_t errlen)
{
	struct cf_baseline_entry *ne;
	char id[128], grade[16], extra[8];
	size_t i = 0, k;
	enum cf_grade g;

	k = word(line, n, &i, id, sizeof(id));
	if (k == 0)
		return 0; /* blank or comment */
	if (k == SIZE_MAX) {
		snprintf(err, errlen, "case id too long");
		return -1;
	}
	if (cf_case_find(id) == NULL && cl_case_find(id) == NULL) {
		snprintf(err, errlen, "'%s' is not a case id", id);
		return -1;
	}
	k = word(line, n, &i, grade, sizeof(grade));
	if (k == 0 || strcmp(grade, "fail") == 0) {
		g = CF_FAIL;
	} else if (strcmp(grade, "warn") == 0) {
		g = CF_WARN;
	} else {
		snprintf(err, errlen, "grade must be 'fail' or 'warn'");
		return -1;
	}
	if (word(line, n, &i, extra, sizeof(extra)) != 0) {
		snprintf(err, errlen,
			 "text after the grade (a comment needs "
			 "'#')");
		return -1;
	}
	if (cf_baseline_find(b, id) != NULL) {
		snprintf(err, errlen, "'%s' is listed twice", id);
		return -1;
	}
	ne = realloc(b->e, (b->n + 1) * sizeof(*ne));
	if (ne == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	b->e = ne;
	b->e[b->n].id = malloc(strlen(id) + 1);
	if (b->e[b->n].id == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(b->e[b->n].id, id, strlen(id) + 1);
	b->e[b->n].grade = g;
	b->n++;
	return 0;
}

int cf_baseline_parse(struct cf_baseline *b, const char *text, size_t len,
		      char *err, size_t errlen)
{
	char why[200];
	size_t pos = 0, line = 0, n;
	const char *nl;

	memset(b, 0, sizeof(*b));
	while (pos < len) {
		line++;
		nl = memchr(text + pos, '\n', len - pos);
		n = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;
		if (memchr(text + pos, '\0', n) != NULL) {
			snprintf(err, errlen, "line %zu: a NUL byte", line);
			cf_baseline_free(b);
			return -1;
		}
		if (parse_line(b, text + pos, n, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "line %zu: %s", line, why);
			cf_baseline_free(b);
			return -1;
		}
		pos += n + (nl != NULL ? 1 : 0);
	}
	return 0;
}
