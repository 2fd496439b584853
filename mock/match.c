/* SPDX-License-Identifier: MIT */
/*
 * match.c - a request against a route's match tree: whether it holds
 * (or whether only the body, not yet complete, can tell), and for a
 * request no route took, what differed from a route.
 */
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

/* regexec() on bytes that may hold NUL: glibc's REG_STARTEND takes the
 * length (elsewhere the text ends at its first NUL).  The bytes are
 * copied and NUL-terminated all the same, because sanitizers' regexec
 * wrappers read the string up to its NUL. */
static bool regex_holds(const regex_t *re, const uint8_t *p, size_t n)
{
	char buf[256], *tmp = buf;
	regmatch_t m;
	int flags = 0;
	bool ok;

	if (n >= sizeof(buf)) {
		tmp = malloc(n + 1);
		if (tmp == NULL)
			return false;
	}
	if (n > 0)
		memcpy(tmp, p, n);
	tmp[n] = '\0';
	m.rm_so = 0;
	m.rm_eo = (regoff_t)n;
#ifdef REG_STARTEND
	flags = REG_STARTEND;
#endif
	ok = regexec(re, tmp, 1, &m, flags) == 0;
	if (tmp != buf)
		free(tmp);
	return ok;
}

/* fnmatch() wants a C string: a value holding NUL never matches. */
static bool glob_match(const char *pat, const uint8_t *p, size_t n)
{
	char buf[256], *tmp = buf;
	bool ok;

	if (n > 0 && memchr(p, 0, n) != NULL)
		return false;
	if (n >= sizeof(buf)) {
		tmp = malloc(n + 1);
		if (tmp == NULL)
			return false;
	}
	if (n > 0)
		memcpy(tmp, p, n);
	tmp[n] = '\0';
	ok = fnmatch(pat, tmp, 0) == 0;
	if (tmp != buf)
		free(tmp);
	return ok;
}

static bool param_holds(const struct mock_cond *c, const struct mock_req *r,
			struct fcgi_nv *nv, bool *present)
{
	*present = r->params != NULL &&
		   fcgi_params_get(r->params, c->name.data, c->name.len, nv);
	switch (c->cmp) {
	case MOCK_CMP_ABSENT:
		return !*present;
	case MOCK_CMP_PRESENT:
		return *present;
	default:
		break;
	}
	if (!*present)
		return false;
	switch (c->cmp) {
	case MOCK_CMP_EXACT:
		return nv->value_len == c->value.len &&
		       (c->value.len == 0 ||
			memcmp(nv->value, c->value.data, c->value.len) == 0);
	case MOCK_CMP_PREFIX:
		return nv->value_len >= c->value.len &&
		       (c->value.len == 0 ||
			memcmp(nv->value, c->value.data, c->value.len) == 0);
	case MOCK_CMP_GLOB:
		return glob_match((const char *)c->value.data, nv->value,
				  nv->value_len);
	case MOCK_CMP_REGEX:
		return regex_holds(c->re, nv->value, nv->value_len);
	default:
		return false;
	}
}

static bool body_holds(const struct mock_cond *c, const struct mock_req *r)
{
	switch (c->cmp) {
	case MOCK_CMP_EXACT:
		/* Only a body kept whole can be compared. */
		return r->body_total == c->value.len &&
		       r->body_len == r->body_total &&
		       (c->value.len == 0 ||
			memcmp(r->body, c->value.data, c->value.len) == 0);
	case MOCK_CMP_CONTAINS:
		return c->value.len == 0 ||
		       (r->body_len > 0 &&
			memmem(r->body, r->body_len, c->value.data,
			       c->value.len) != NULL);
	case MOCK_CMP_REGEX:
		return regex_holds(c->re, r->body, r->body_len);
	case MOCK_CMP_LENGTH:
		return r->body_total >= c->min && r->body_total <= c->max;
	default:
		return false;
	}
}

enum mock_verdict mock_match(const struct mock_cond *c,
			     const struct mock_req *r)
{
	enum mock_verdict v, acc;
	struct fcgi_nv nv;
	bool present;

	if (c == NULL)
		return MOCK_YES;
	switch (c->kind) {
	case MOCK_C_ALL:
		acc = MOCK_YES;
		for (size_t i = 0; i < c->nkids; i++) {
			v = mock_match(&c->kids[i], r);
			if (v == MOCK_NO)
				return MOCK_NO;
			if (v == MOCK_NEED_BODY)
				acc = MOCK_NEED_BODY;
		}
		return acc;
	case MOCK_C_ANY:
		acc = MOCK_NO;
		for (size_t i = 0; i < c->nkids; i++) {
			v = mock_match(&c->kids[i], r);
			if (v == MOCK_YES)
				return MOCK_YES;
			if (v == MOCK_NEED_BODY)
				acc = MOCK_NEED_BODY;
		}
		return acc;
	case MOCK_C_NOT:
		v = c->nkids > 0 ? mock_match(&c->kids[0], r) : MOCK_YES;
		return v == MOCK_NEED_BODY ? v
		       : v == MOCK_YES	   ? MOCK_NO
					   : MOCK_YES;
	case MOCK_C_PARAM:
		return param_holds(c, r, &nv, &present) ? MOCK_YES : MOCK_NO;
	case MOCK_C_ROLE:
		return r->role == c->role ? MOCK_YES : MOCK_NO;
	case MOCK_C_KEEP:
		return ((r->flags & FCGI_KEEP_CONN) != 0) == c->keep ? MOCK_YES
								     : MOCK_NO;
	case MOCK_C_BODY:
		if (!r->body_done)
			return MOCK_NEED_BODY;
		return body_holds(c, r) ? MOCK_YES : MOCK_NO;
	}
	return MOCK_NO;
}

/* ---- explaining a miss ---- */

static void say(struct mock_explain *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(struct mock_explain *e, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (e->text == NULL || e->n == 0 || e->len + 1 >= e->n)
		return;
	if (e->len > 0) {
		n = snprintf(e->text + e->len, e->n - e->len, "; ");
		if (n > 0)
			e->len += (size_t)n < e->n - e->len ? (size_t)n
							    : e->n - e->len - 1;
	}
	va_start(ap, fmt);
	n = vsnprintf(e->text + e->len, e->n - e->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		e->len += (size_t)n < e->n - e->len ? (size_t)n
						    : e->n - e->len - 1;
}

/* Bytes as escaped text, the first 48 of them, for messages. */
static const char *show(char *out, size_t n, const uint8_t *p, size_t len)
{
	size_t k;

	k = fcgi_escape(out, n - 4, p, len > 48 ? 48 : len);
	if (len > 48)
		snprintf(out + k, n - k, "...");
	return out;
}

static const char *role_text(unsigned role, char *buf, size_t n)
{
	const char *name = fcgi_role_name(role);

	if (name != NULL)
		return name;
	snprintf(buf, n, "%u", role);
	return buf;
}

static void explain_leaf(const struct mock_cond *c, const struct mock_req *r,
			 struct mock_explain *e)
{
	char a[200], b[200], n[200], r1[16], r2[16];
	struct fcgi_nv nv;
	bool present;

	switch (c->kind) {
	case MOCK_C_PARAM:
		if (param_holds(c, r, &nv, &present))
			break;
		show(n, sizeof(n), c->name.data, c->name.len);
		if (c->cmp == MOCK_CMP_PRESENT || !present) {
			if (c->cmp == MOCK_CMP_EXACT ||
			    c->cmp == MOCK_CMP_PREFIX)
				say(e, "param %s is absent, not '%s'", n,
				    show(b, sizeof(b), c->value.data,
					 c->value.len));
			else
				say(e, "param %s is absent", n);
			return;
		}
		show(a, sizeof(a), nv.value, nv.value_len);
		show(b, sizeof(b), c->value.data, c->value.len);
		switch (c->cmp) {
		case MOCK_CMP_EXACT:
			say(e, "param %s is '%s', not '%s'", n, a, b);
			break;
		case MOCK_CMP_PREFIX:
			say(e,
			    "param %s is '%s', which does not start with "
			    "'%s'",
			    n, a, b);
			break;
		case MOCK_CMP_GLOB:
			say(e,
			    "param %s is '%s', which does not match glob "
			    "'%s'",
			    n, a, b);
			break;
		case MOCK_CMP_REGEX:
			say(e,
			    "param %s is '%s', which does not match regex "
			    "'%s'",
			    n, a, b);
			break;
		default:
			say(e, "param %s is '%s', wanted absent", n, a);
			break;
		}
		return;
	case MOCK_C_ROLE:
		if (r->role != c->role)
			say(e, "role is %s, not %s",
			    role_text(r->role, r1, sizeof(r1)),
			    role_text(c->role, r2, sizeof(r2)));
		else
			break;
		return;
	case MOCK_C_KEEP:
		if (((r->flags & FCGI_KEEP_CONN) != 0) != c->keep)
			say(e, "keepConn is %s, wanted %s",
			    c->keep ? "false" : "true",
			    c->keep ? "true" : "false");
		else
			break;
		return;
	case MOCK_C_BODY:
		if (r->body_done && body_holds(c, r))
			break;
		show(b, sizeof(b), c->value.data, c->value.len);
		switch (c->cmp) {
		case MOCK_CMP_EXACT:
			say(e, "body (%llu bytes) is not '%s' (%zu bytes)",
			    (unsigned long long)r->body_total, b, c->value.len);
			break;
		case MOCK_CMP_CONTAINS:
			say(e, "body does not contain '%s'", b);
			break;
		case MOCK_CMP_REGEX:
			say(e, "body does not match regex '%s'", b);
			break;
		default:
			if (c->max == UINT64_MAX)
				say(e, "body length %llu is below %llu",
				    (unsigned long long)r->body_total,
				    (unsigned long long)c->min);
			else
				say(e, "body length %llu is not in %llu..%llu",
				    (unsigned long long)r->body_total,
				    (unsigned long long)c->min,
				    (unsigned long long)c->max);
			break;
		}
		return;
	case MOCK_C_ANY:
		if (mock_match(c, r) == MOCK_YES)
			break;
		say(e, "none of 'any' holds");
		return;
	case MOCK_C_NOT:
		if (mock_match(c, r) == MOCK_YES)
			break;
		say(e, "'not' does not hold: what it excludes matches");
		return;
	default:
		return;
	}
	e->held++;
}

void mock_explain(const struct mock_cond *c, const struct mock_req *r,
		  struct mock_explain *e)
{
	if (e->text != NULL && e->n > 0 && e->len == 0)
		e->text[0] = '\0';
	if (c == NULL)
		return;
	if (c->kind == MOCK_C_ALL) {
		for (size_t i = 0; i < c->nkids; i++)
			mock_explain(&c->kids[i], r, e);
		return;
	}
	e->total++;
	explain_leaf(c, r, e);
}
