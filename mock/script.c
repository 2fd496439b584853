/* SPDX-License-Identifier: MIT */
/*
 * script.c - a mock script (fcgitool-mock(5)) from JSON text to a struct
 * fcgi_mock_plan, checked whole: every problem is reported with the line
 * and column of the value at fault and its path in the script.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "jsonpos.h"
#include "plan.h"

struct ctx {
	const char *text;
	size_t len;
	struct jpos map;
	struct mock_error *err;
	const struct mock_files *files;
	struct fcgi_mock_plan *plan;
	char path[256];
	size_t plen;
	bool failed;
};

/* ---- errors and paths ---- */

static int fail_at(struct ctx *c, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Record the first problem (at byte off) and return -1. */
static int fail_at(struct ctx *c, size_t off, const char *fmt, ...)
{
	char what[400];
	va_list ap;

	if (c->failed)
		return -1;
	c->failed = true;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	c->err->off = off;
	jpos_line_col(c->text, c->len, off, &c->err->line, &c->err->col);
	if (c->plen > 0)
		snprintf(c->err->msg, sizeof(c->err->msg), "%s: %s", c->path,
			 what);
	else
		snprintf(c->err->msg, sizeof(c->err->msg), "%s", what);
	return -1;
}

#define fail(c, node, ...) \
	fail_at((c), jpos_value(&(c)->map, (node)), __VA_ARGS__)

/* Paths: push returns the old length for pop. */
static size_t push_key(struct ctx *c, const char *key)
{
	size_t old = c->plen;
	int n;

	n = snprintf(c->path + c->plen, sizeof(c->path) - c->plen, "%s%s",
		     c->plen > 0 ? "." : "", key);
	if (n > 0)
		c->plen += (size_t)n < sizeof(c->path) - c->plen
				   ? (size_t)n
				   : sizeof(c->path) - c->plen - 1;
	return old;
}

static size_t push_index(struct ctx *c, size_t i)
{
	size_t old = c->plen;
	int n;

	n = snprintf(c->path + c->plen, sizeof(c->path) - c->plen, "[%zu]", i);
	if (n > 0)
		c->plen += (size_t)n < sizeof(c->path) - c->plen
				   ? (size_t)n
				   : sizeof(c->path) - c->plen - 1;
	return old;
}

static void pop(struct ctx *c, size_t old)
{
	c->plen = old;
	c->path[old] = '\0';
}

/* ---- memory ---- */

static void bytes_free(struct mock_bytes *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
}

/* Copy s[0..n) with a NUL after it.  0 or -1. */
static int bytes_set(struct mock_bytes *b, const void *s, size_t n)
{
	b->data = malloc(n + 1);
	if (b->data == NULL)
		return -1;
	if (n > 0)
		memcpy(b->data, s, n);
	b->data[n] = 0;
	b->len = n;
	return 0;
}

static char *dup_str(struct ctx *c, const cJSON *node, const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		fail(c, node, "out of memory");
	return d;
}

/* Grow an array of elements of size sz by one zeroed element; NULL when
 * memory runs out. */
static void *grow(void *arrp, size_t *n, size_t sz)
{
	void **arr = arrp;
	uint8_t *p = reallocarray(*arr, *n + 1, sz);

	if (p == NULL)
		return NULL;
	memset(p + *n * sz, 0, sz);
	*arr = p;
	return p + (*n)++ * sz;
}

/* ---- values ---- */

/* Check that obj is an object whose keys are all in allowed (NULL
 * terminated) and none twice; "comment" is allowed everywhere. */
static int keys(struct ctx *c, const cJSON *obj, const char *what,
		const char *const *allowed)
{
	const cJSON *k, *j;
	size_t i;

	if (!cJSON_IsObject(obj))
		return fail(c, obj, "%s must be an object", what);
	for (k = obj->child; k != NULL; k = k->next) {
		for (j = obj->child; j != k; j = j->next)
			if (strcmp(j->string, k->string) == 0)
				return fail_at(c, jpos_key(&c->map, k),
					       "duplicate key '%s'", k->string);
		if (strcmp(k->string, "comment") == 0)
			continue;
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(allowed[i], k->string) == 0)
				break;
		if (allowed[i] == NULL)
			return fail_at(c, jpos_key(&c->map, k),
				       "unknown key '%s' in %s", k->string,
				       what);
	}
	return 0;
}

static const cJSON *get(const cJSON *obj, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

static int as_uint(struct ctx *c, const cJSON *node, uint64_t min, uint64_t max,
		   uint64_t *v)
{
	double d;

	if (!cJSON_IsNumber(node))
		return fail(c, node, "not a number");
	d = node->valuedouble;
	if (!(d >= (double)min && d <= (double)max) || d != floor(d))
		return fail(c, node, "not a whole number from %llu to %llu",
			    (unsigned long long)min, (unsigned long long)max);
	*v = (uint64_t)d;
	return 0;
}

static int as_int(struct ctx *c, const cJSON *node, int64_t min, int64_t max,
		  int64_t *v)
{
	double d;

	if (!cJSON_IsNumber(node))
		return fail(c, node, "not a number");
	d = node->valuedouble;
	if (!(d >= (double)min && d <= (double)max) || d != floor(d))
		return fail(c, node, "not a whole number from %lld to %lld",
			    (long long)min, (long long)max);
	*v = (int64_t)d;
	return 0;
}

static int as_double(struct ctx *c, const cJSON *node, double min, double max,
		     double *v)
{
	if (!cJSON_IsNumber(node))
		return fail(c, node, "not a number");
	if (!(node->valuedouble >= min && node->valuedouble <= max))
		return fail(c, node, "not a number from %g to %g", min, max);
	*v = node->valuedouble;
	return 0;
}

static int as_bool(struct ctx *c, const cJSON *node, bool *v)
{
	if (!cJSON_IsBool(node))
		return fail(c, node, "not true or false");
	*v = cJSON_IsTrue(node);
	return 0;
}

/* A string without "\u0000" (cJSON would cut it there). */
static int as_str(struct ctx *c, const cJSON *node, const char **s)
{
	if (!cJSON_IsString(node))
		return fail(c, node, "not a string");
	if (jpos_has_nul(&c->map, node))
		return fail(c, node,
			    "a NUL byte (\\u0000) cannot be written in a "
			    "string; use the key's B64 form");
	*s = node->valuestring;
	return 0;
}

static int as_name(struct ctx *c, const cJSON *node, const char **s)
{
	if (as_str(c, node, s) != 0)
		return -1;
	if ((*s)[0] == '\0')
		return fail(c, node, "an empty name");
	return 0;
}

/* RFC 4648 base64, padding required, no white space. */
static int b64_decode(const char *s, struct mock_bytes *out)
{
	size_t len = strlen(s), i, o = 0;
	uint32_t acc = 0;
	unsigned bits = 0, pad = 0;
	const char *p;
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
				    "qrstuvwxyz0123456789+/";

	if (len % 4 != 0)
		return -1;
	out->data = malloc(len / 4 * 3 + 1);
	if (out->data == NULL)
		return -2;
	for (i = 0; i < len; i++) {
		if (s[i] == '=') {
			if (i + 2 < len || pad > 1)
				goto bad;
			pad++;
			continue;
		}
		if (pad > 0 || s[i] == '\0' ||
		    (p = strchr(alpha, s[i])) == NULL)
			goto bad;
		acc = acc << 6 | (uint32_t)(p - alpha);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out->data[o++] = (uint8_t)(acc >> bits);
		}
	}
	out->data[o] = 0;
	out->len = o;
	return 0;
bad:
	bytes_free(out);
	return -1;
}

static int as_b64(struct ctx *c, const cJSON *node, struct mock_bytes *out)
{
	const char *s;
	int rc;

	if (as_str(c, node, &s) != 0)
		return -1;
	rc = b64_decode(s, out);
	if (rc == -2)
		return fail(c, node, "out of memory");
	if (rc != 0)
		return fail(c, node, "not base64 (RFC 4648, with padding)");
	return 0;
}

/* ---- templates ---- */

static bool name_byte(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	       (ch >= '0' && ch <= '9') || ch == '_';
}

static int piece(struct mock_tmpl *t, enum mock_piece_kind kind, const char *s,
		 size_t n)
{
	struct mock_piece *p;

	/* Adjacent text joins the text before it. */
	if (kind == MOCK_PIECE_TEXT && t->n > 0 &&
	    t->p[t->n - 1].kind == MOCK_PIECE_TEXT) {
		struct mock_bytes *b = &t->p[t->n - 1].text;
		uint8_t *d = realloc(b->data, b->len + n + 1);

		if (d == NULL)
			return -1;
		memcpy(d + b->len, s, n);
		b->data = d;
		b->len += n;
		d[b->len] = 0;
		return 0;
	}
	p = grow(&t->p, &t->n, sizeof(*t->p));
	if (p == NULL)
		return -1;
	p->kind = kind;
	if (kind == MOCK_PIECE_BODY)
		t->uses_body = true;
	return bytes_set(&p->text, s, n);
}

int mock_tmpl_parse(struct mock_tmpl *t, const char *s, size_t len, char *err,
		    size_t errlen)
{
	size_t i = 0, start, j;

	memset(t, 0, sizeof(*t));
	while (i < len) {
		start = i;
		while (i < len && s[i] != '$')
			i++;
		if (i > start &&
		    piece(t, MOCK_PIECE_TEXT, s + start, i - start) != 0)
			goto nomem;
		if (i >= len)
			break;
		if (i + 1 < len && s[i + 1] == '$') {
			if (piece(t, MOCK_PIECE_TEXT, "$", 1) != 0)
				goto nomem;
			i += 2;
			continue;
		}
		if (i + 1 >= len || s[i + 1] != '{') {
			if (piece(t, MOCK_PIECE_TEXT, "$", 1) != 0)
				goto nomem;
			i++;
			continue;
		}
		for (j = i + 2; j < len && name_byte(s[j]); j++)
			;
		if (j >= len || s[j] != '}') {
			snprintf(err, errlen,
				 j >= len ? "'${' without '}' at byte %zu"
					  : "bad name in '${...}' at byte %zu",
				 i);
			mock_tmpl_free(t);
			return -1;
		}
		if (j == i + 2) {
			snprintf(err, errlen, "empty name in '${}' at byte %zu",
				 i);
			mock_tmpl_free(t);
			return -1;
		}
		if (j - i - 2 == 4 && memcmp(s + i + 2, "body", 4) == 0) {
			if (piece(t, MOCK_PIECE_BODY, "", 0) != 0)
				goto nomem;
		} else if (piece(t, MOCK_PIECE_PARAM, s + i + 2, j - i - 2) !=
			   0) {
			goto nomem;
		}
		i = j + 1;
	}
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	mock_tmpl_free(t);
	return -1;
}

void mock_tmpl_free(struct mock_tmpl *t)
{
	for (size_t i = 0; i < t->n; i++)
		bytes_free(&t->p[i].text);
	free(t->p);
	memset(t, 0, sizeof(*t));
}

static int as_tmpl(struct ctx *c, const cJSON *node, struct mock_tmpl *t)
{
	char why[128];
	const char *s;

	if (as_str(c, node, &s) != 0)
		return -1;
	if (mock_tmpl_parse(t, s, strlen(s), why, sizeof(why)) != 0)
		return fail(c, node, "%s", why);
	return 0;
}

/* A template of fixed bytes (from base64). */
static int tmpl_bytes(struct mock_tmpl *t, struct mock_bytes *b)
{
	memset(t, 0, sizeof(*t));
	t->p = calloc(1, sizeof(*t->p));
	if (t->p == NULL)
		return -1;
	t->n = 1;
	t->p[0].kind = MOCK_PIECE_TEXT;
	t->p[0].text = *b;
	memset(b, 0, sizeof(*b));
	return 0;
}

/* ---- match trees ---- */

static void cond_free(struct mock_cond *m)
{
	for (size_t i = 0; i < m->nkids; i++)
		cond_free(&m->kids[i]);
	free(m->kids);
	bytes_free(&m->name);
	bytes_free(&m->value);
	if (m->re != NULL) {
		regfree(m->re);
		free(m->re);
	}
	memset(m, 0, sizeof(*m));
}

static struct mock_cond *kid(struct ctx *c, struct mock_cond *m,
			     const cJSON *node, enum mock_cond_kind kind)
{
	struct mock_cond *k = grow(&m->kids, &m->nkids, sizeof(*m->kids));

	if (k == NULL) {
		fail(c, node, "out of memory");
		return NULL;
	}
	k->kind = kind;
	k->pos = jpos_value(&c->map, node);
	return k;
}

static int set_regex(struct ctx *c, const cJSON *node, struct mock_cond *k,
		     const char *pat)
{
	char why[200];
	int rc;

	if (strlen(pat) > MOCK_PATTERN_MAX)
		return fail(c, node, "a pattern longer than %u bytes",
			    MOCK_PATTERN_MAX);
	k->re = malloc(sizeof(*k->re));
	if (k->re == NULL)
		return fail(c, node, "out of memory");
	rc = regcomp(k->re, pat, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		regerror(rc, k->re, why, sizeof(why));
		free(k->re);
		k->re = NULL;
		return fail(c, node, "bad regex: %s", why);
	}
	if (bytes_set(&k->value, pat, strlen(pat)) != 0)
		return fail(c, node, "out of memory");
	return 0;
}

static int param_matcher(struct ctx *c, struct mock_cond *all,
			 const cJSON *name_node, const cJSON *spec)
{
	static const char *const allowed[] = { "exact",	  "exactB64", "prefix",
					       "glob",	  "regex",    "absent",
					       "present", NULL };
	const char *s;
	const cJSON *k;
	struct mock_cond *m;
	bool b = false;

	if (cJSON_IsString(spec)) {
		m = kid(c, all, spec, MOCK_C_PARAM);
		if (m == NULL || as_str(c, spec, &s) != 0)
			return -1;
		m->cmp = MOCK_CMP_EXACT;
		if (bytes_set(&m->name, name_node->string,
			      strlen(name_node->string)) != 0 ||
		    bytes_set(&m->value, s, strlen(s)) != 0)
			return fail(c, spec, "out of memory");
		return 0;
	}
	if (keys(c, spec, "a param matcher", allowed) != 0)
		return -1;
	if (spec->child == NULL)
		return fail(c, spec, "an empty param matcher");
	for (k = spec->child; k != NULL; k = k->next) {
		size_t old = push_key(c, k->string);

		if (strcmp(k->string, "comment") == 0) {
			pop(c, old);
			continue;
		}
		m = kid(c, all, k, MOCK_C_PARAM);
		if (m == NULL)
			return -1;
		if (bytes_set(&m->name, name_node->string,
			      strlen(name_node->string)) != 0)
			return fail(c, k, "out of memory");
		if (strcmp(k->string, "exact") == 0 ||
		    strcmp(k->string, "prefix") == 0 ||
		    strcmp(k->string, "glob") == 0) {
			if (as_str(c, k, &s) != 0)
				return -1;
			m->cmp = k->string[0] == 'e'   ? MOCK_CMP_EXACT
				 : k->string[0] == 'p' ? MOCK_CMP_PREFIX
						       : MOCK_CMP_GLOB;
			if (m->cmp == MOCK_CMP_GLOB &&
			    strlen(s) > MOCK_PATTERN_MAX)
				return fail(c, k,
					    "a pattern longer than %u bytes",
					    MOCK_PATTERN_MAX);
			if (bytes_set(&m->value, s, strlen(s)) != 0)
				return fail(c, k, "out of memory");
		} else if (strcmp(k->string, "exactB64") == 0) {
			m->cmp = MOCK_CMP_EXACT;
			if (as_b64(c, k, &m->value) != 0)
				return -1;
		} else if (strcmp(k->string, "regex") == 0) {
			m->cmp = MOCK_CMP_REGEX;
			if (as_str(c, k, &s) != 0 || set_regex(c, k, m, s) != 0)
				return -1;
		} else {
			if (as_bool(c, k, &b) != 0)
				return -1;
			m->cmp = (strcmp(k->string, "absent") == 0) == b
					 ? MOCK_CMP_ABSENT
					 : MOCK_CMP_PRESENT;
		}
		pop(c, old);
	}
	return 0;
}

static int body_matcher(struct ctx *c, struct mock_cond *all, const cJSON *spec)
{
	static const char *const allowed[] = { "exact",	   "exactB64",
					       "contains", "containsB64",
					       "regex",	   "length",
					       NULL };
	static const char *const lkeys[] = { "min", "max", NULL };
	const cJSON *k, *v;
	struct mock_cond *m;
	const char *s;

	if (keys(c, spec, "a body matcher", allowed) != 0)
		return -1;
	if (spec->child == NULL)
		return fail(c, spec, "an empty body matcher");
	for (k = spec->child; k != NULL; k = k->next) {
		size_t old = push_key(c, k->string);

		if (strcmp(k->string, "comment") == 0) {
			pop(c, old);
			continue;
		}
		m = kid(c, all, k, MOCK_C_BODY);
		if (m == NULL)
			return -1;
		if (strcmp(k->string, "exact") == 0 ||
		    strcmp(k->string, "contains") == 0) {
			m->cmp = k->string[0] == 'e' ? MOCK_CMP_EXACT
						     : MOCK_CMP_CONTAINS;
			if (as_str(c, k, &s) != 0 ||
			    bytes_set(&m->value, s, strlen(s)) != 0)
				return c->failed ? -1
						 : fail(c, k, "out of memory");
		} else if (strcmp(k->string, "exactB64") == 0 ||
			   strcmp(k->string, "containsB64") == 0) {
			m->cmp = k->string[0] == 'e' ? MOCK_CMP_EXACT
						     : MOCK_CMP_CONTAINS;
			if (as_b64(c, k, &m->value) != 0)
				return -1;
		} else if (strcmp(k->string, "regex") == 0) {
			m->cmp = MOCK_CMP_REGEX;
			if (as_str(c, k, &s) != 0 || set_regex(c, k, m, s) != 0)
				return -1;
		} else {
			m->cmp = MOCK_CMP_LENGTH;
			m->min = 0;
			m->max = UINT64_MAX;
			if (cJSON_IsNumber(k)) {
				if (as_uint(c, k, 0, UINT64_C(1) << 53,
					    &m->min) != 0)
					return -1;
				m->max = m->min;
			} else {
				if (keys(c, k, "a length range", lkeys) != 0)
					return -1;
				if ((v = get(k, "min")) != NULL &&
				    as_uint(c, v, 0, UINT64_C(1) << 53,
					    &m->min) != 0)
					return -1;
				if ((v = get(k, "max")) != NULL &&
				    as_uint(c, v, 0, UINT64_C(1) << 53,
					    &m->max) != 0)
					return -1;
				if (m->min > m->max)
					return fail(c, k, "min is above max");
			}
		}
		pop(c, old);
	}
	return 0;
}

static int match_obj(struct ctx *c, const cJSON *node, struct mock_cond *m);

static int match_list(struct ctx *c, const cJSON *arr, struct mock_cond *m)
{
	const cJSON *e;
	size_t i = 0;

	if (!cJSON_IsArray(arr))
		return fail(c, arr, "not an array of matches");
	cJSON_ArrayForEach(e, arr)
	{
		size_t old = push_index(c, i++);
		struct mock_cond *k = kid(c, m, e, MOCK_C_ALL);

		if (k == NULL || match_obj(c, e, k) != 0)
			return -1;
		pop(c, old);
	}
	return 0;
}

/* A match object: every key is one more condition, all of which must
 * hold (m becomes an ALL node). */
static int match_obj(struct ctx *c, const cJSON *node, struct mock_cond *m)
{
	static const char *const allowed[] = { "params", "role", "keepConn",
					       "body",	 "all",	 "any",
					       "not",	 NULL };
	const cJSON *v, *p;
	struct mock_cond *k;
	uint64_t u;
	size_t old;
	int r;

	m->kind = MOCK_C_ALL;
	m->pos = jpos_value(&c->map, node);
	if (keys(c, node, "a match", allowed) != 0)
		return -1;
	if ((v = get(node, "params")) != NULL) {
		old = push_key(c, "params");
		if (!cJSON_IsObject(v))
			return fail(c, v, "not an object of param matchers");
		for (p = v->child; p != NULL; p = p->next) {
			size_t o2 = push_key(c, p->string);

			for (const cJSON *q = v->child; q != p; q = q->next)
				if (strcmp(q->string, p->string) == 0)
					return fail_at(c, jpos_key(&c->map, p),
						       "duplicate key '%s'",
						       p->string);
			if (p->string[0] == '\0')
				return fail_at(c, jpos_key(&c->map, p),
					       "an empty param name");
			if (jpos_key_has_nul(&c->map, p))
				return fail_at(c, jpos_key(&c->map, p),
					       "a NUL byte (\\u0000) in a "
					       "param name");
			if (param_matcher(c, m, p, p) != 0)
				return -1;
			pop(c, o2);
		}
		pop(c, old);
	}
	if ((v = get(node, "role")) != NULL) {
		old = push_key(c, "role");
		k = kid(c, m, v, MOCK_C_ROLE);
		if (k == NULL)
			return -1;
		if (cJSON_IsString(v)) {
			r = fcgi_role_lookup(v->valuestring);
			if (r < 0)
				return fail(c, v,
					    "not RESPONDER, AUTHORIZER or "
					    "FILTER");
			k->role = (unsigned)r;
		} else {
			if (as_uint(c, v, 0, 65535, &u) != 0)
				return -1;
			k->role = (unsigned)u;
		}
		pop(c, old);
	}
	if ((v = get(node, "keepConn")) != NULL) {
		old = push_key(c, "keepConn");
		k = kid(c, m, v, MOCK_C_KEEP);
		if (k == NULL || as_bool(c, v, &k->keep) != 0)
			return -1;
		pop(c, old);
	}
	if ((v = get(node, "body")) != NULL) {
		old = push_key(c, "body");
		if (body_matcher(c, m, v) != 0)
			return -1;
		pop(c, old);
	}
	if ((v = get(node, "all")) != NULL) {
		old = push_key(c, "all");
		k = kid(c, m, v, MOCK_C_ALL);
		if (k == NULL || match_list(c, v, k) != 0)
			return -1;
		pop(c, old);
	}
	if ((v = get(node, "any")) != NULL) {
		old = push_key(c, "any");
		k = kid(c, m, v, MOCK_C_ANY);
		if (k == NULL || match_list(c, v, k) != 0)
			return -1;
		if (k->nkids == 0)
			return fail(c, v, "an empty 'any' never holds");
		pop(c, old);
	}
	if ((v = get(node, "not")) != NULL) {
		old = push_key(c, "not");
		k = kid(c, m, v, MOCK_C_NOT);
		if (k == NULL)
			return -1;
		k = kid(c, k, v, MOCK_C_ALL);
		if (k == NULL || match_obj(c, v, k) != 0)
			return -1;
		pop(c, old);
	}
	return 0;
}

static struct mock_cond *new_match(struct ctx *c, const cJSON *node)
{
	struct mock_cond *m = calloc(1, sizeof(*m));

	if (m == NULL) {
		fail(c, node, "out of memory");
		return NULL;
	}
	if (match_obj(c, node, m) != 0) {
		cond_free(m);
		free(m);
		return NULL;
	}
	return m;
}

/* ---- steps ---- */

enum arg {
	A_NONE,	   /* string form or true */
	A_UINT,	   /* a whole number in [lo, hi] into n */
	A_SPECIAL, /* parsed by its own code */
};

struct step_def {
	const char *name;
	enum mock_step_kind kind;
	enum arg arg;
	uint64_t lo, hi;
};

static const struct step_def step_defs[] = {
	{ "response", MOCK_S_RESPONSE, A_NONE, 0, 0 },
	{ "headers", MOCK_S_HEADERS, A_NONE, 0, 0 },
	{ "body", MOCK_S_BODY, A_NONE, 0, 0 },
	{ "stderr", MOCK_S_STDERR, A_SPECIAL, 0, 0 },
	{ "end", MOCK_S_END, A_NONE, 0, 0 },
	{ "endRequest", MOCK_S_END_REQUEST, A_SPECIAL, 0, 0 },
	{ "stdout", MOCK_S_STDOUT_TEXT, A_SPECIAL, 0, 0 },
	{ "stdoutB64", MOCK_S_STDOUT_TEXT, A_SPECIAL, 0, 0 },
	{ "stderrB64", MOCK_S_STDERR_TEXT, A_SPECIAL, 0, 0 },
	{ "emptyStdout", MOCK_S_EMPTY_STDOUT, A_NONE, 0, 0 },
	{ "emptyStderr", MOCK_S_EMPTY_STDERR, A_NONE, 0, 0 },
	{ "delay", MOCK_S_DELAY, A_SPECIAL, 0, 0 },
	{ "drip", MOCK_S_DRIP, A_SPECIAL, 0, 0 },
	{ "bandwidth", MOCK_S_BANDWIDTH, A_UINT, 1, UINT64_C(1) << 40 },
	{ "splitWrites", MOCK_S_SPLIT, A_UINT, 1, UINT64_C(1) << 30 },
	{ "recordSize", MOCK_S_RECORD_SIZE, A_UINT, 1, FCGI_MAX_CONTENT },
	{ "padding", MOCK_S_PADDING, A_SPECIAL, 0, 0 },
	{ "requestId", MOCK_S_REQUEST_ID, A_UINT, 0, 65535 },
	{ "version", MOCK_S_VERSION, A_UINT, 0, 255 },
	{ "close", MOCK_S_CLOSE, A_NONE, 0, 0 },
	{ "closeMidRecord", MOCK_S_CLOSE_MID_RECORD, A_SPECIAL, 0, 0 },
	{ "reset", MOCK_S_RESET, A_NONE, 0, 0 },
	{ "closeWithoutReading", MOCK_S_CLOSE_NO_READ, A_NONE, 0, 0 },
	{ "neverAnswer", MOCK_S_NEVER_ANSWER, A_NONE, 0, 0 },
	{ "garbage", MOCK_S_GARBAGE, A_SPECIAL, 0, 0 },
	{ "garbageB64", MOCK_S_GARBAGE, A_SPECIAL, 0, 0 },
	{ "record", MOCK_S_RECORD, A_SPECIAL, 0, 0 },
	{ "unknownType", MOCK_S_UNKNOWN_TYPE, A_SPECIAL, 0, 0 },
	{ "duplicateEnd", MOCK_S_DUPLICATE_END, A_NONE, 0, 0 },
	{ "noHeaders", MOCK_S_NO_HEADERS, A_NONE, 0, 0 },
	{ "bigHeaders", MOCK_S_BIG_HEADERS, A_SPECIAL, 0, 0 },
	{ "contentLength", MOCK_S_CONTENT_LENGTH, A_SPECIAL, 0, 0 },
	{ "onAbort", MOCK_S_ON_ABORT, A_SPECIAL, 0, 0 },
	{ NULL, 0, A_NONE, 0, 0 },
};

static const struct step_def *step_def(const char *name)
{
	for (const struct step_def *d = step_defs; d->name != NULL; d++)
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

const char *mock_step_name(enum mock_step_kind k)
{
	if (k == MOCK_S_STDERR_TEXT)
		return "stderr";
	for (const struct step_def *d = step_defs; d->name != NULL; d++)
		if (d->kind == k)
			return d->name;
	return "?";
}

static void step_free(struct mock_step *s)
{
	mock_tmpl_free(&s->text);
	bytes_free(&s->content);
}

static int pstatus_value(struct ctx *c, const cJSON *v, uint8_t *out)
{
	uint64_t u;
	int r;

	if (cJSON_IsString(v)) {
		r = fcgi_pstatus_lookup(v->valuestring);
		if (r < 0)
			return fail(c, v,
				    "not REQUEST_COMPLETE, CANT_MPX_CONN, "
				    "OVERLOADED or UNKNOWN_ROLE");
		*out = (uint8_t)r;
		return 0;
	}
	if (as_uint(c, v, 0, 255, &u) != 0)
		return -1;
	*out = (uint8_t)u;
	return 0;
}

static int delay_arg(struct ctx *c, const cJSON *v, struct mock_step *s)
{
	static const char *const dkeys[] = { "uniform", "logNormal", NULL };
	static const char *const lkeys[] = { "median", "sigma", NULL };
	const cJSON *u, *a, *b;
	double max = (double)MOCK_DELAY_MAX_MS;

	if (cJSON_IsNumber(v)) {
		s->dist = MOCK_DIST_FIXED;
		return as_double(c, v, 0, max, &s->a);
	}
	if (keys(c, v, "a delay", dkeys) != 0)
		return -1;
	if ((u = get(v, "uniform")) != NULL) {
		if (get(v, "logNormal") != NULL)
			return fail(c, v, "both 'uniform' and 'logNormal'");
		if (!cJSON_IsArray(u) || cJSON_GetArraySize(u) != 2)
			return fail(c, u, "not [min, max] in milliseconds");
		a = cJSON_GetArrayItem(u, 0);
		b = cJSON_GetArrayItem(u, 1);
		if (as_double(c, a, 0, max, &s->a) != 0 ||
		    as_double(c, b, 0, max, &s->b) != 0)
			return -1;
		if (s->a > s->b)
			return fail(c, u, "min is above max");
		s->dist = MOCK_DIST_UNIFORM;
		return 0;
	}
	if ((u = get(v, "logNormal")) != NULL) {
		if (keys(c, u, "a log-normal delay", lkeys) != 0)
			return -1;
		a = get(u, "median");
		b = get(u, "sigma");
		if (a == NULL || b == NULL)
			return fail(c, u, "needs 'median' and 'sigma'");
		if (as_double(c, a, 0, max, &s->a) != 0 ||
		    as_double(c, b, 0, 10, &s->b) != 0)
			return -1;
		s->dist = MOCK_DIST_LOGNORMAL;
		return 0;
	}
	return fail(c, v, "needs 'uniform' or 'logNormal'");
}

static int text_arg(struct ctx *c, const cJSON *v, const char *name,
		    struct mock_step *s)
{
	struct mock_bytes b = { NULL, 0 };

	if (strstr(name, "B64") == NULL)
		return as_tmpl(c, v, &s->text);
	if (as_b64(c, v, &b) != 0)
		return -1;
	if (tmpl_bytes(&s->text, &b) != 0) {
		bytes_free(&b);
		return fail(c, v, "out of memory");
	}
	return 0;
}

static int record_arg(struct ctx *c, const cJSON *v, struct mock_step *s)
{
	static const char *const rkeys[] = { "type",	"requestId",
					     "content", "contentB64",
					     "padding", NULL };
	const cJSON *k;
	const char *t;
	uint64_t u;

	if (keys(c, v, "a record", rkeys) != 0)
		return -1;
	if ((k = get(v, "type")) == NULL)
		return fail(c, v, "a record needs a 'type'");
	if (cJSON_IsString(k)) {
		int r = fcgi_type_lookup(k->valuestring);

		if (r < 0)
			return fail(c, k, "not a record type name");
		s->type = (uint8_t)r;
	} else {
		if (as_uint(c, k, 0, 255, &u) != 0)
			return -1;
		s->type = (uint8_t)u;
	}
	if ((k = get(v, "requestId")) != NULL) {
		if (as_uint(c, k, 0, 65535, &u) != 0)
			return -1;
		s->id = (uint16_t)u;
		s->has_id = true;
	}
	if ((k = get(v, "padding")) != NULL) {
		if (as_uint(c, k, 0, 255, &u) != 0)
			return -1;
		s->padding = (uint8_t)u;
		s->has_padding = true;
	}
	if (get(v, "content") != NULL && get(v, "contentB64") != NULL)
		return fail(c, v, "both 'content' and 'contentB64'");
	if ((k = get(v, "content")) != NULL) {
		if (as_str(c, k, &t) != 0)
			return -1;
		if (bytes_set(&s->content, t, strlen(t)) != 0)
			return fail(c, k, "out of memory");
	} else if ((k = get(v, "contentB64")) != NULL) {
		if (as_b64(c, k, &s->content) != 0)
			return -1;
	}
	if (s->content.len > FCGI_MAX_CONTENT)
		return fail(c, v, "content longer than 65535 bytes");
	return 0;
}

static int special_arg(struct ctx *c, const cJSON *v, const char *name,
		       struct mock_step *s)
{
	static const char *const ekeys[] = { "appStatus", "protocolStatus",
					     NULL };
	static const char *const dkeys[] = { "bytes", "everyMs", NULL };
	static const char *const mkeys[] = { "announce", "send", NULL };
	static const char *const akeys[] = { "lateMs", NULL };
	const cJSON *k;
	uint64_t u;
	const char *t;

	switch (s->kind) {
	case MOCK_S_STDERR:
		/* "stderr" alone is the response's part; with text, the
		 * text is written to STDERR here. */
		if (cJSON_IsTrue(v))
			return 0;
		s->kind = MOCK_S_STDERR_TEXT;
		return text_arg(c, v, name, s);
	case MOCK_S_STDOUT_TEXT:
	case MOCK_S_STDERR_TEXT:
		return text_arg(c, v, name, s);
	case MOCK_S_END_REQUEST:
		if (cJSON_IsTrue(v))
			return 0;
		if (keys(c, v, "an endRequest", ekeys) != 0)
			return -1;
		if ((k = get(v, "appStatus")) != NULL) {
			if (as_uint(c, k, 0, UINT32_MAX, &u) != 0)
				return -1;
			s->app_status = (uint32_t)u;
			s->has_app = true;
		}
		if ((k = get(v, "protocolStatus")) != NULL) {
			if (pstatus_value(c, k, &s->protocol_status) != 0)
				return -1;
			s->has_ps = true;
		}
		return 0;
	case MOCK_S_DELAY:
		return delay_arg(c, v, s);
	case MOCK_S_DRIP:
		if (keys(c, v, "a drip", dkeys) != 0)
			return -1;
		if ((k = get(v, "bytes")) == NULL)
			return fail(c, v, "a drip needs 'bytes'");
		if (as_uint(c, k, 1, UINT64_C(1) << 30, &s->n) != 0)
			return -1;
		if ((k = get(v, "everyMs")) == NULL)
			return fail(c, v, "a drip needs 'everyMs'");
		return as_uint(c, k, 0, MOCK_DELAY_MAX_MS, &s->ms);
	case MOCK_S_PADDING:
		if (cJSON_IsString(v) && strcmp(v->valuestring, "auto") == 0) {
			s->auto_pad = true;
			return 0;
		}
		if (!cJSON_IsNumber(v))
			return fail(c, v,
				    "not a number from 0 to 255 or "
				    "\"auto\"");
		return as_uint(c, v, 0, 255, &s->n);
	case MOCK_S_CLOSE_MID_RECORD:
		s->n = 100;
		s->ms = 10; /* here: the bytes of content sent */
		if (cJSON_IsTrue(v))
			return 0;
		if (keys(c, v, "a closeMidRecord", mkeys) != 0)
			return -1;
		if ((k = get(v, "announce")) != NULL &&
		    as_uint(c, k, 1, FCGI_MAX_CONTENT, &s->n) != 0)
			return -1;
		if ((k = get(v, "send")) != NULL &&
		    as_uint(c, k, 0, FCGI_MAX_CONTENT, &s->ms) != 0)
			return -1;
		if (s->ms >= s->n)
			return fail(c, v, "'send' must be below 'announce'");
		return 0;
	case MOCK_S_GARBAGE:
		if (strcmp(name, "garbageB64") == 0)
			return text_arg(c, v, name, s) == 0
				       ? (s->has_text = true, 0)
				       : -1;
		if (cJSON_IsNumber(v))
			return as_uint(c, v, 1, UINT64_C(1) << 24, &s->n);
		if (as_str(c, v, &t) != 0)
			return -1;
		s->has_text = true;
		return as_tmpl(c, v, &s->text);
	case MOCK_S_RECORD:
		return record_arg(c, v, s);
	case MOCK_S_UNKNOWN_TYPE:
		s->type = 12; /* the first type FastCGI 1.0 leaves free */
		if (cJSON_IsTrue(v))
			return 0;
		if (as_uint(c, v, 0, 255, &u) != 0)
			return -1;
		s->type = (uint8_t)u;
		return 0;
	case MOCK_S_BIG_HEADERS:
		s->n = 70000;
		if (cJSON_IsTrue(v))
			return 0;
		return as_uint(c, v, 1, UINT64_C(1) << 24, &s->n);
	case MOCK_S_CONTENT_LENGTH:
		return as_int(c, v, -(INT64_C(1) << 40), INT64_C(1) << 40,
			      &s->delta);
	case MOCK_S_ON_ABORT:
		if (cJSON_IsString(v)) {
			if (strcmp(v->valuestring, "stop") == 0)
				s->on_abort = MOCK_ABORT_STOP;
			else if (strcmp(v->valuestring, "ignore") == 0)
				s->on_abort = MOCK_ABORT_IGNORE;
			else
				return fail(c, v,
					    "not \"stop\", \"ignore\" or "
					    "{\"lateMs\": N}");
			return 0;
		}
		if (keys(c, v, "an onAbort", akeys) != 0)
			return -1;
		if ((k = get(v, "lateMs")) == NULL)
			return fail(c, v, "needs 'lateMs'");
		s->on_abort = MOCK_ABORT_LATE;
		return as_uint(c, k, 0, MOCK_DELAY_MAX_MS, &s->ms);
	default:
		return fail(c, v, "internal: no argument parser");
	}
}

static int step(struct ctx *c, const cJSON *node, struct mock_step *s)
{
	const struct step_def *d = NULL;
	const cJSON *k, *act = NULL;
	bool b = false;

	s->probability = 1;
	s->pos = jpos_value(&c->map, node);
	if (cJSON_IsString(node)) {
		d = step_def(node->valuestring);
		if (d == NULL)
			return fail(c, node, "unknown step '%s'",
				    node->valuestring);
		s->kind = d->kind;
		if (d->arg == A_NONE)
			return 0;
		if (d->kind == MOCK_S_STDERR || d->kind == MOCK_S_END_REQUEST ||
		    d->kind == MOCK_S_CLOSE_MID_RECORD ||
		    d->kind == MOCK_S_UNKNOWN_TYPE ||
		    d->kind == MOCK_S_BIG_HEADERS) {
			cJSON t;

			memset(&t, 0, sizeof(t));
			t.type = cJSON_True;
			return special_arg(c, &t, d->name, s);
		}
		return fail(c, node, "step '%s' needs a value: {\"%s\": ...}",
			    d->name, d->name);
	}
	if (!cJSON_IsObject(node))
		return fail(c, node, "a step is a string or an object");
	for (k = node->child; k != NULL; k = k->next) {
		for (const cJSON *j = node->child; j != k; j = j->next)
			if (strcmp(j->string, k->string) == 0)
				return fail_at(c, jpos_key(&c->map, k),
					       "duplicate key '%s'", k->string);
		if (strcmp(k->string, "probability") == 0) {
			if (as_double(c, k, 0, 1, &s->probability) != 0)
				return -1;
		} else if (strcmp(k->string, "firstN") == 0) {
			if (as_uint(c, k, 1, UINT64_C(1) << 53, &s->first_n) !=
			    0)
				return -1;
		} else if (strcmp(k->string, "comment") != 0) {
			if (act != NULL)
				return fail_at(c, jpos_key(&c->map, k),
					       "a step does one thing: '%s' "
					       "and '%s'",
					       act->string, k->string);
			if (step_def(k->string) == NULL)
				return fail_at(c, jpos_key(&c->map, k),
					       "unknown step '%s'", k->string);
			act = k;
		}
	}
	if (act == NULL)
		return fail(c, node, "a step without an action");
	d = step_def(act->string);
	s->kind = d->kind;
	switch (d->arg) {
	case A_NONE:
		if (as_bool(c, act, &b) != 0)
			return -1;
		if (!b)
			return fail(c, act, "only true turns a step on");
		return 0;
	case A_UINT:
		return as_uint(c, act, d->lo, d->hi, &s->n);
	default:
		return special_arg(c, act, d->name, s);
	}
}

static int steps(struct ctx *c, const cJSON *arr, struct mock_response *r)
{
	const cJSON *e;
	size_t i = 0;

	if (!cJSON_IsArray(arr))
		return fail(c, arr, "not an array of steps");
	cJSON_ArrayForEach(e, arr)
	{
		size_t old = push_index(c, i++);
		struct mock_step *s =
			grow(&r->steps, &r->nsteps, sizeof(*r->steps));

		if (s == NULL)
			return fail(c, e, "out of memory");
		if (step(c, e, s) != 0)
			return -1;
		if (s->kind == MOCK_S_CLOSE_NO_READ)
			r->early = true;
		pop(c, old);
	}
	return 0;
}

/* ---- responses ---- */

static void response_free(struct mock_response *r)
{
	for (size_t i = 0; i < r->nheaders; i++) {
		bytes_free(&r->headers[i].name);
		mock_tmpl_free(&r->headers[i].value);
	}
	free(r->headers);
	mock_tmpl_free(&r->body.text);
	bytes_free(&r->body.bytes);
	mock_tmpl_free(&r->err);
	for (size_t i = 0; i < r->nsteps; i++)
		step_free(&r->steps[i]);
	free(r->steps);
	free(r->set_state);
	free(r->target);
	memset(r, 0, sizeof(*r));
}

/* An HTTP header name: RFC 9110 token characters. */
static bool is_token(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!(name_byte(*s) || strchr("!#$%&'*+-.^`|~", *s) != NULL))
			return false;
	return true;
}

static int header(struct ctx *c, struct mock_response *r, size_t at,
		  const char *name, const cJSON *value)
{
	struct mock_header *h;
	const char *v;

	if (!is_token(name))
		return fail_at(c, at, "bad header name '%s'", name);
	if (as_str(c, value, &v) != 0)
		return -1;
	if (strpbrk(v, "\r\n") != NULL)
		return fail(c, value,
			    "a header value with a line break; write raw "
			    "output with a {\"stdout\": ...} step");
	h = grow(&r->headers, &r->nheaders, sizeof(*r->headers));
	if (h == NULL || bytes_set(&h->name, name, strlen(name)) != 0)
		return fail(c, value, "out of memory");
	return as_tmpl(c, value, &h->value);
}

static int headers(struct ctx *c, const cJSON *v, struct mock_response *r)
{
	const cJSON *e;
	size_t i = 0;

	if (cJSON_IsObject(v)) {
		for (e = v->child; e != NULL; e = e->next) {
			size_t old = push_key(c, e->string);

			if (header(c, r, jpos_key(&c->map, e), e->string, e) !=
			    0)
				return -1;
			pop(c, old);
		}
		return 0;
	}
	if (!cJSON_IsArray(v))
		return fail(c, v,
			    "not an object of headers or an array of "
			    "[name, value] pairs");
	cJSON_ArrayForEach(e, v)
	{
		size_t old = push_index(c, i++);
		const cJSON *n = cJSON_GetArrayItem(e, 0);
		const char *s;

		if (!cJSON_IsArray(e) || cJSON_GetArraySize(e) != 2)
			return fail(c, e, "not a [name, value] pair");
		if (as_str(c, n, &s) != 0 ||
		    header(c, r, jpos_value(&c->map, n), s,
			   cJSON_GetArrayItem(e, 1)) != 0)
			return -1;
		pop(c, old);
	}
	return 0;
}

static int body_field(struct ctx *c, const cJSON *v, struct mock_response *r)
{
	char why[300];
	const char *s;

	if (as_str(c, v, &s) != 0)
		return -1;
	if (s[0] == '@' && s[1] != '@') {
		if (s[1] == '\0')
			return fail(c, v, "'@' without a file name");
		if (c->files == NULL || c->files->read == NULL)
			return fail(c, v, "cannot read '%s': no files here",
				    s + 1);
		if (c->files->read(c->files->arg, c->files->dir, s + 1,
				   &r->body.bytes, why, sizeof(why)) != 0)
			return fail(c, v, "cannot read '%s': %s", s + 1, why);
		r->body.kind = MOCK_BODY_BYTES;
		return 0;
	}
	/* "@@..." is the text "@...". */
	if (s[0] == '@')
		s++;
	r->body.kind = MOCK_BODY_TEXT;
	if (mock_tmpl_parse(&r->body.text, s, strlen(s), why, sizeof(why)) != 0)
		return fail(c, v, "%s", why);
	return 0;
}

static int response(struct ctx *c, const cJSON *node, struct mock_response *r)
{
	static const char *const allowed[] = {
		"status",   "headers", "body",	    "bodyB64",
		"bodySize", "stderr",  "appStatus", "protocolStatus",
		"steps",    "early",   "setState",  "fn",
		"exec",	    NULL
	};
	static const char *const only_with_fn[] = { "setState", "comment", "fn",
						    "exec", NULL };
	const cJSON *v;
	const char *s;
	uint64_t u;
	size_t old;
	int nbody = 0;

	r->status = 200;
	r->pos = jpos_value(&c->map, node);
	if (keys(c, node, "a response", allowed) != 0)
		return -1;
	if (get(node, "fn") != NULL || get(node, "exec") != NULL) {
		const char *key = get(node, "fn") != NULL ? "fn" : "exec";

		for (v = node->child; v != NULL; v = v->next) {
			size_t i;

			for (i = 0; only_with_fn[i] != NULL; i++)
				if (strcmp(only_with_fn[i], v->string) == 0)
					break;
			if (only_with_fn[i] == NULL)
				return fail_at(c, jpos_key(&c->map, v),
					       "'%s' answers the request "
					       "itself: '%s' cannot go with it",
					       key, v->string);
		}
		if (get(node, "fn") != NULL && get(node, "exec") != NULL)
			return fail(c, node, "both 'fn' and 'exec'");
		v = get(node, key);
		old = push_key(c, key);
		if (as_name(c, v, &s) != 0)
			return -1;
		r->target = dup_str(c, v, s);
		if (r->target == NULL)
			return -1;
		if (key[0] == 'f') {
			r->delegate = MOCK_DELEGATE_FN;
			c->plan->uses_fn = true;
		} else {
			r->delegate = MOCK_DELEGATE_EXEC;
			c->plan->uses_exec = true;
		}
		pop(c, old);
	}
	if ((v = get(node, "status")) != NULL) {
		old = push_key(c, "status");
		if (as_uint(c, v, 100, 999, &u) != 0)
			return -1;
		r->status = (unsigned)u;
		pop(c, old);
	}
	if ((v = get(node, "headers")) != NULL) {
		old = push_key(c, "headers");
		if (headers(c, v, r) != 0)
			return -1;
		pop(c, old);
	}
	if ((v = get(node, "body")) != NULL) {
		nbody++;
		old = push_key(c, "body");
		if (body_field(c, v, r) != 0)
			return -1;
		pop(c, old);
	}
	if ((v = get(node, "bodyB64")) != NULL) {
		nbody++;
		old = push_key(c, "bodyB64");
		if (as_b64(c, v, &r->body.bytes) != 0)
			return -1;
		r->body.kind = MOCK_BODY_BYTES;
		pop(c, old);
	}
	if ((v = get(node, "bodySize")) != NULL) {
		nbody++;
		old = push_key(c, "bodySize");
		if (as_uint(c, v, 0, MOCK_GEN_MAX, &r->body.gen) != 0)
			return -1;
		r->body.kind = MOCK_BODY_GEN;
		pop(c, old);
	}
	if (nbody > 1)
		return fail(c, node,
			    "one of 'body', 'bodyB64' and 'bodySize' only");
	if ((v = get(node, "stderr")) != NULL) {
		old = push_key(c, "stderr");
		if (as_tmpl(c, v, &r->err) != 0)
			return -1;
		pop(c, old);
	}
	if ((v = get(node, "appStatus")) != NULL) {
		old = push_key(c, "appStatus");
		if (as_uint(c, v, 0, UINT32_MAX, &u) != 0)
			return -1;
		r->app_status = (uint32_t)u;
		pop(c, old);
	}
	if ((v = get(node, "protocolStatus")) != NULL) {
		old = push_key(c, "protocolStatus");
		if (pstatus_value(c, v, &r->protocol_status) != 0)
			return -1;
		pop(c, old);
	}
	if ((v = get(node, "early")) != NULL) {
		old = push_key(c, "early");
		if (as_bool(c, v, &r->early) != 0)
			return -1;
		pop(c, old);
	}
	if ((v = get(node, "setState")) != NULL) {
		old = push_key(c, "setState");
		if (as_name(c, v, &s) != 0)
			return -1;
		r->set_state = dup_str(c, v, s);
		if (r->set_state == NULL)
			return -1;
		pop(c, old);
	}
	if ((v = get(node, "steps")) != NULL) {
		old = push_key(c, "steps");
		if (steps(c, v, r) != 0)
			return -1;
		pop(c, old);
	}
	return 0;
}

/* ---- routes ---- */

static int scenario_index(struct ctx *c, const cJSON *v, const char *name)
{
	struct fcgi_mock_plan *p = c->plan;
	struct mock_scenario *s;

	for (size_t i = 0; i < p->nscen; i++)
		if (strcmp(p->scen[i].name, name) == 0)
			return (int)i;
	s = grow(&p->scen, &p->nscen, sizeof(*p->scen));
	if (s == NULL || (s->name = strdup(name)) == NULL ||
	    (s->state = strdup(MOCK_STATE_STARTED)) == NULL)
		return fail(c, v, "out of memory");
	return (int)(p->nscen - 1);
}

static int expect(struct ctx *c, const cJSON *v, struct mock_route *r)
{
	static const char *const allowed[] = { "exactly", "atLeast", "atMost",
					       "never", NULL };
	const cJSON *k;
	bool b = false;

	r->has_expect = true;
	r->expect_min = 0;
	r->expect_max = UINT64_MAX;
	if (cJSON_IsNumber(v)) {
		if (as_uint(c, v, 0, UINT64_C(1) << 53, &r->expect_min) != 0)
			return -1;
		r->expect_max = r->expect_min;
		return 0;
	}
	if (keys(c, v, "an expectation", allowed) != 0)
		return -1;
	if (v->child == NULL)
		return fail(c, v, "an empty expectation");
	if ((k = get(v, "exactly")) != NULL) {
		if (get(v, "atLeast") != NULL || get(v, "atMost") != NULL ||
		    get(v, "never") != NULL)
			return fail(c, v, "'exactly' goes alone");
		if (as_uint(c, k, 0, UINT64_C(1) << 53, &r->expect_min) != 0)
			return -1;
		r->expect_max = r->expect_min;
	}
	if ((k = get(v, "never")) != NULL) {
		if (get(v, "atLeast") != NULL || get(v, "atMost") != NULL)
			return fail(c, v, "'never' goes alone");
		if (as_bool(c, k, &b) != 0)
			return -1;
		if (!b)
			return fail(c, k, "only true means something here");
		r->expect_max = 0;
	}
	if ((k = get(v, "atLeast")) != NULL &&
	    as_uint(c, k, 0, UINT64_C(1) << 53, &r->expect_min) != 0)
		return -1;
	if ((k = get(v, "atMost")) != NULL &&
	    as_uint(c, k, 0, UINT64_C(1) << 53, &r->expect_max) != 0)
		return -1;
	if (r->expect_min > r->expect_max)
		return fail(c, v, "'atLeast' is above 'atMost'");
	return 0;
}

static void route_free(struct mock_route *r)
{
	free(r->name);
	if (r->match != NULL) {
		cond_free(r->match);
		free(r->match);
	}
	for (size_t i = 0; i < r->nresp; i++)
		response_free(&r->resp[i]);
	free(r->resp);
	free(r->when_state);
	free(r->set_state);
	memset(r, 0, sizeof(*r));
}

static int route(struct ctx *c, const cJSON *node, size_t idx,
		 struct mock_route *r)
{
	static const char *const allowed[] = {
		"name",	    "match",	 "respond",  "responses", "then",
		"scenario", "whenState", "setState", "expect",	  NULL
	};
	const cJSON *v, *e;
	const char *s;
	char num[32];
	size_t old, i;

	r->scenario = -1;
	r->pos = jpos_value(&c->map, node);
	if (keys(c, node, "a route", allowed) != 0)
		return -1;
	if ((v = get(node, "name")) != NULL) {
		old = push_key(c, "name");
		if (as_name(c, v, &s) != 0)
			return -1;
		if (s[0] == '#')
			return fail(c, v, "a name may not start with '#'");
		r->name = dup_str(c, v, s);
		r->named = true;
		pop(c, old);
	} else {
		snprintf(num, sizeof(num), "#%zu", idx + 1);
		r->name = dup_str(c, node, num);
	}
	if (r->name == NULL)
		return -1;
	if ((v = get(node, "match")) != NULL) {
		old = push_key(c, "match");
		r->match = new_match(c, v);
		if (r->match == NULL)
			return -1;
		pop(c, old);
	}
	if (get(node, "respond") != NULL && get(node, "responses") != NULL)
		return fail(c, node, "both 'respond' and 'responses'");
	if ((v = get(node, "respond")) != NULL) {
		old = push_key(c, "respond");
		r->resp = calloc(1, sizeof(*r->resp));
		if (r->resp == NULL)
			return fail(c, v, "out of memory");
		r->nresp = 1;
		if (response(c, v, r->resp) != 0)
			return -1;
		pop(c, old);
	} else if ((v = get(node, "responses")) != NULL) {
		old = push_key(c, "responses");
		if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0)
			return fail(c, v, "not a non-empty array of responses");
		i = 0;
		cJSON_ArrayForEach(e, v)
		{
			size_t o2 = push_index(c, i++);
			struct mock_response *rs =
				grow(&r->resp, &r->nresp, sizeof(*r->resp));

			if (rs == NULL)
				return fail(c, e, "out of memory");
			if (response(c, e, rs) != 0)
				return -1;
			pop(c, o2);
		}
		pop(c, old);
	} else {
		return fail(c, node, "a route needs 'respond' or 'responses'");
	}
	if ((v = get(node, "then")) != NULL) {
		old = push_key(c, "then");
		if (!cJSON_IsString(v) ||
		    (strcmp(v->valuestring, "repeat") != 0 &&
		     strcmp(v->valuestring, "cycle") != 0))
			return fail(c, v, "not \"repeat\" or \"cycle\"");
		r->cycle = v->valuestring[0] == 'c';
		pop(c, old);
	}
	if ((v = get(node, "scenario")) != NULL) {
		old = push_key(c, "scenario");
		if (as_name(c, v, &s) != 0)
			return -1;
		r->scenario = scenario_index(c, v, s);
		if (r->scenario < 0)
			return -1;
		pop(c, old);
	}
	for (i = 0; i < 2; i++) {
		const char *key = i == 0 ? "whenState" : "setState";
		char **dst = i == 0 ? &r->when_state : &r->set_state;

		if ((v = get(node, key)) == NULL)
			continue;
		old = push_key(c, key);
		if (r->scenario < 0)
			return fail(c, v, "'%s' needs a 'scenario'", key);
		if (as_name(c, v, &s) != 0)
			return -1;
		*dst = dup_str(c, v, s);
		if (*dst == NULL)
			return -1;
		pop(c, old);
	}
	for (i = 0; i < r->nresp; i++)
		if (r->resp[i].set_state != NULL && r->scenario < 0)
			return fail_at(c, r->resp[i].pos,
				       "responses[%zu]: 'setState' needs the "
				       "route's 'scenario'",
				       i);
	if ((v = get(node, "expect")) != NULL) {
		old = push_key(c, "expect");
		if (expect(c, v, r) != 0)
			return -1;
		pop(c, old);
	}
	return 0;
}

/* ---- the plan ---- */

static int order(struct ctx *c, const cJSON *arr)
{
	static const char *const allowed[] = { "route", "match", NULL };
	struct fcgi_mock_plan *p = c->plan;
	const cJSON *e, *v;
	size_t i = 0;

	if (!cJSON_IsArray(arr))
		return fail(c, arr, "not an array");
	cJSON_ArrayForEach(e, arr)
	{
		size_t old = push_index(c, i++);
		struct mock_order *o =
			grow(&p->order, &p->norder, sizeof(*p->order));

		if (o == NULL)
			return fail(c, e, "out of memory");
		o->pos = jpos_value(&c->map, e);
		o->route = -1;
		v = e;
		if (cJSON_IsObject(e)) {
			if (keys(c, e, "an expected request", allowed) != 0)
				return -1;
			if ((get(e, "route") != NULL) ==
			    (get(e, "match") != NULL))
				return fail(c, e,
					    "needs either 'route' or 'match'");
			if ((v = get(e, "match")) != NULL) {
				size_t o2 = push_key(c, "match");

				o->match = new_match(c, v);
				if (o->match == NULL)
					return -1;
				pop(c, o2);
				pop(c, old);
				continue;
			}
			v = get(e, "route");
		}
		if (!cJSON_IsString(v))
			return fail(c, v, "not a route name or an object");
		o->route = mock_plan_route(p, v->valuestring);
		if (o->route < 0)
			return fail(c, v, "no route is called '%s'",
				    v->valuestring);
		pop(c, old);
	}
	return 0;
}

static int values(struct ctx *c, const cJSON *node)
{
	static const char *const allowed[] = { "values",      "malformed",
					       "contentB64",  "ignore",
					       "probability", "firstN",
					       NULL };
	struct mock_values *mv = &c->plan->values;
	const cJSON *v, *e;
	const char *s;
	int modes = 0;
	size_t i;
	bool b = false;

	mv->probability = 1;
	mv->pos = jpos_value(&c->map, node);
	if (keys(c, node, "getValues", allowed) != 0)
		return -1;
	if ((v = get(node, "values")) != NULL) {
		modes++;
		mv->mode = MOCK_VALUES_PAIRS;
		if (!cJSON_IsObject(v))
			return fail(c, v, "not an object of names and values");
		mv->n = (size_t)cJSON_GetArraySize(v);
		mv->names = calloc(mv->n + 1, sizeof(*mv->names));
		mv->values = calloc(mv->n + 1, sizeof(*mv->values));
		if (mv->names == NULL || mv->values == NULL)
			return fail(c, v, "out of memory");
		i = 0;
		for (e = v->child; e != NULL; e = e->next, i++) {
			size_t old = push_key(c, e->string);

			if (as_str(c, e, &s) != 0)
				return -1;
			if (bytes_set(&mv->names[i], e->string,
				      strlen(e->string)) != 0 ||
			    bytes_set(&mv->values[i], s, strlen(s)) != 0)
				return fail(c, e, "out of memory");
			pop(c, old);
		}
	}
	if ((v = get(node, "malformed")) != NULL) {
		modes++;
		if (as_bool(c, v, &b) != 0)
			return -1;
		if (!b)
			return fail(c, v, "only true means something here");
		mv->mode = MOCK_VALUES_MALFORMED;
	}
	if ((v = get(node, "contentB64")) != NULL) {
		modes++;
		mv->mode = MOCK_VALUES_RAW;
		if (as_b64(c, v, &mv->raw) != 0)
			return -1;
		if (mv->raw.len > FCGI_MAX_CONTENT)
			return fail(c, v, "content longer than 65535 bytes");
	}
	if ((v = get(node, "ignore")) != NULL) {
		modes++;
		if (as_bool(c, v, &b) != 0)
			return -1;
		if (!b)
			return fail(c, v, "only true means something here");
		mv->mode = MOCK_VALUES_IGNORE;
	}
	if (modes != 1)
		return fail(c, node,
			    "needs one of 'values', 'malformed', "
			    "'contentB64' and 'ignore'");
	if ((v = get(node, "probability")) != NULL &&
	    as_double(c, v, 0, 1, &mv->probability) != 0)
		return -1;
	if ((v = get(node, "firstN")) != NULL &&
	    as_uint(c, v, 1, UINT64_C(1) << 53, &mv->first_n) != 0)
		return -1;
	return 0;
}

/* The answer for requests no route takes, unless the script gives one. */
static int default_response(struct mock_response *r)
{
	static const char body[] = "404 Not Found\n";
	char why[64];

	memset(r, 0, sizeof(*r));
	r->status = 404;
	r->body.kind = MOCK_BODY_TEXT;
	return mock_tmpl_parse(&r->body.text, body, sizeof(body) - 1, why,
			       sizeof(why));
}

static int plan(struct ctx *c, const cJSON *root)
{
	static const char *const allowed[] = { "routes",      "default",
					       "expectOrder", "getValues",
					       "seed",	      NULL };
	struct fcgi_mock_plan *p = c->plan;
	const cJSON *v, *e;
	size_t old, i = 0;

	if (keys(c, root, "a script", allowed) != 0)
		return -1;
	if ((v = get(root, "routes")) == NULL)
		return fail(c, root, "a script needs 'routes'");
	old = push_key(c, "routes");
	if (!cJSON_IsArray(v))
		return fail(c, v, "not an array of routes");
	cJSON_ArrayForEach(e, v)
	{
		size_t o2 = push_index(c, i);
		struct mock_route *r =
			grow(&p->routes, &p->nroutes, sizeof(*p->routes));

		if (r == NULL)
			return fail(c, e, "out of memory");
		if (route(c, e, i, r) != 0)
			return -1;
		for (size_t k = 0; k + 1 < p->nroutes; k++)
			if (r->named && strcmp(p->routes[k].name, r->name) == 0)
				return fail(c, get(e, "name"),
					    "a second route called '%s'",
					    r->name);
		pop(c, o2);
		i++;
	}
	pop(c, old);
	if ((v = get(root, "default")) != NULL) {
		old = push_key(c, "default");
		if (response(c, v, &p->deflt) != 0)
			return -1;
		pop(c, old);
	} else if (default_response(&p->deflt) != 0) {
		return fail(c, root, "out of memory");
	}
	if (p->deflt.set_state != NULL)
		return fail_at(c, p->deflt.pos,
			       "default: 'setState' needs a route's "
			       "'scenario'");
	if ((v = get(root, "expectOrder")) != NULL) {
		old = push_key(c, "expectOrder");
		if (order(c, v) != 0)
			return -1;
		pop(c, old);
	}
	if ((v = get(root, "getValues")) != NULL) {
		old = push_key(c, "getValues");
		if (values(c, v) != 0)
			return -1;
		pop(c, old);
	}
	if ((v = get(root, "seed")) != NULL) {
		old = push_key(c, "seed");
		if (as_uint(c, v, 0, UINT64_C(1) << 53, &p->seed) != 0)
			return -1;
		p->has_seed = true;
		pop(c, old);
	}
	return 0;
}

int mock_plan_route(const struct fcgi_mock_plan *p, const char *name)
{
	for (size_t i = 0; i < p->nroutes; i++)
		if (strcmp(p->routes[i].name, name) == 0)
			return (int)i;
	return -1;
}

void fcgi_mock_plan_free(struct fcgi_mock_plan *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->nroutes; i++)
		route_free(&p->routes[i]);
	free(p->routes);
	response_free(&p->deflt);
	for (size_t i = 0; i < p->nscen; i++) {
		free(p->scen[i].name);
		free(p->scen[i].state);
	}
	free(p->scen);
	for (size_t i = 0; i < p->norder; i++)
		if (p->order[i].match != NULL) {
			cond_free(p->order[i].match);
			free(p->order[i].match);
		}
	free(p->order);
	for (size_t i = 0; i < p->values.n; i++) {
		bytes_free(&p->values.names[i]);
		bytes_free(&p->values.values[i]);
	}
	free(p->values.names);
	free(p->values.values);
	bytes_free(&p->values.raw);
	free(p);
}

int fcgi_mock_plan_parse(struct fcgi_mock_plan **out, const char *text,
			 size_t len, const struct mock_files *files,
			 struct mock_error *err)
{
	struct ctx c;
	const char *end = NULL;
	cJSON *root;
	size_t off;

	*out = NULL;
	memset(err, 0, sizeof(*err));
	memset(&c, 0, sizeof(c));
	c.text = text;
	c.len = len;
	c.err = err;
	c.files = files;
	if (len > MOCK_SCRIPT_MAX)
		return fail_at(&c, 0, "a script longer than %u bytes",
			       MOCK_SCRIPT_MAX);
	root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (root == NULL) {
		off = end != NULL && end >= text && end <= text + len
			      ? (size_t)(end - text)
			      : 0;
		return fail_at(&c, off,
			       len == 0 ? "an empty script" : "bad JSON");
	}
	if (jpos_build(&c.map, text, len, root) != 0) {
		cJSON_Delete(root);
		jpos_free(&c.map);
		return fail_at(&c, 0, "out of memory");
	}
	/* cJSON stops after the first value: the rest must be blank. */
	for (off = c.map.end; off < len; off++)
		if ((unsigned char)text[off] > 32) {
			cJSON_Delete(root);
			jpos_free(&c.map);
			return fail_at(&c, off, "text after the script's end");
		}
	c.plan = calloc(1, sizeof(*c.plan));
	if (c.plan == NULL)
		fail_at(&c, 0, "out of memory");
	else
		(void)plan(&c, root);
	cJSON_Delete(root);
	jpos_free(&c.map);
	if (c.failed) {
		fcgi_mock_plan_free(c.plan);
		return -1;
	}
	*out = c.plan;
	return 0;
}
