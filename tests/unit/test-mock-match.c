/* SPDX-License-Identifier: MIT */
/* test-mock-match.c - every match kind of a mock script, the wait for the
 * body, and the explanation of a miss. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plan.h"

/* The match tree of a one-route script whose match is json. */
static struct fcgi_mock_plan *plan_of(const char *json)
{
	char text[2048];
	struct fcgi_mock_plan *p = NULL;
	struct mock_error e;

	snprintf(text, sizeof(text),
		 "{\"routes\": [{\"match\": %s, \"respond\": {}}]}", json);
	if (fcgi_mock_plan_parse(&p, text, strlen(text), NULL, &e) != 0)
		fail_msg("%u:%u: %s", e.line, e.col, e.msg);
	return p;
}

struct rq {
	struct fcgi_params params;
	struct mock_req r;
};

/* A request with "NAME=value" params (NULL-terminated), role, flags
 * and body (NULL: not complete yet). */
static void rq_init(struct rq *q, const char *const *params, uint16_t role,
		    uint8_t flags, const char *body)
{
	memset(q, 0, sizeof(*q));
	fcgi_params_init(&q->params, NULL);
	for (size_t i = 0; params != NULL && params[i] != NULL; i++) {
		const char *eq = strchr(params[i], '=');

		assert_int_equal(fcgi_params_add(&q->params, params[i],
						 (size_t)(eq - params[i]),
						 eq + 1, strlen(eq + 1)),
				 0);
	}
	q->r.role = role;
	q->r.flags = flags;
	q->r.params = &q->params;
	if (body != NULL) {
		q->r.body = (const uint8_t *)body;
		q->r.body_len = strlen(body);
		q->r.body_total = q->r.body_len;
		q->r.body_done = true;
	}
}

static enum mock_verdict verdict(const char *json, const char *const *params,
				 uint16_t role, uint8_t flags, const char *body)
{
	struct fcgi_mock_plan *p = plan_of(json);
	struct rq q;
	enum mock_verdict v;

	rq_init(&q, params, role, flags, body);
	v = mock_match(p->routes[0].match, &q.r);
	fcgi_params_fini(&q.params);
	fcgi_mock_plan_free(p);
	return v;
}

#define YES(json, params, body) \
	assert_int_equal(verdict(json, params, 1, 0, body), MOCK_YES)
#define NO(json, params, body) \
	assert_int_equal(verdict(json, params, 1, 0, body), MOCK_NO)

static void test_mock_match_params(void **state)
{
	static const char *const p[] = { "SCRIPT_NAME=/hello",
					 "QUERY_STRING=name=x&y=1",
					 "EMPTY=", NULL };

	(void)state;
	YES("{\"params\": {\"SCRIPT_NAME\": \"/hello\"}}", p, "");
	NO("{\"params\": {\"SCRIPT_NAME\": \"/hell\"}}", p, "");
	NO("{\"params\": {\"SCRIPT_NAME\": \"/hello/\"}}", p, "");
	YES("{\"params\": {\"SCRIPT_NAME\": {\"exact\": \"/hello\"}}}", p, "");
	YES("{\"params\": {\"SCRIPT_NAME\": {\"exactB64\": \"L2hlbGxv\"}}}", p,
	    "");
	YES("{\"params\": {\"SCRIPT_NAME\": {\"prefix\": \"/he\"}}}", p, "");
	YES("{\"params\": {\"SCRIPT_NAME\": {\"prefix\": \"\"}}}", p, "");
	NO("{\"params\": {\"SCRIPT_NAME\": {\"prefix\": \"/hex\"}}}", p, "");
	YES("{\"params\": {\"QUERY_STRING\": {\"glob\": \"*name=?&*\"}}}", p,
	    "");
	NO("{\"params\": {\"QUERY_STRING\": {\"glob\": \"name\"}}}", p, "");
	YES("{\"params\": {\"QUERY_STRING\": {\"regex\": \"y=[0-9]+$\"}}}", p,
	    "");
	NO("{\"params\": {\"QUERY_STRING\": {\"regex\": \"^y\"}}}", p, "");
	YES("{\"params\": {\"NOPE\": {\"absent\": true}}}", p, "");
	NO("{\"params\": {\"EMPTY\": {\"absent\": true}}}", p, "");
	YES("{\"params\": {\"EMPTY\": {\"present\": true}}}", p, "");
	YES("{\"params\": {\"EMPTY\": {\"absent\": false}}}", p, "");
	NO("{\"params\": {\"NOPE\": {\"present\": true}}}", p, "");
	NO("{\"params\": {\"NOPE\": \"\"}}", p, "");
	YES("{\"params\": {\"EMPTY\": \"\"}}", p, "");
	/* Several tests on one param: all of them. */
	YES("{\"params\": {\"SCRIPT_NAME\": {\"prefix\": \"/h\", \"glob\": "
	    "\"*o\"}}}",
	    p, "");
	NO("{\"params\": {\"SCRIPT_NAME\": {\"prefix\": \"/h\", \"glob\": "
	   "\"*x\"}}}",
	   p, "");
	YES("{}", p, "");
}

/* Param values are bytes: NUL inside never matches a glob, and a regex
 * sees the whole value. */
static void test_mock_match_nul_values(void **state)
{
	struct fcgi_mock_plan *g =
		plan_of("{\"params\": {\"V\": {\"glob\": \"a*\"}}}");
	struct fcgi_mock_plan *x =
		plan_of("{\"params\": {\"V\": {\"regex\": \"b$\"}}}");
	struct rq q;

	(void)state;
	rq_init(&q, NULL, 1, 0, "");
	assert_int_equal(fcgi_params_add(&q.params, "V", 1, "a\0b", 3), 0);
	assert_int_equal(mock_match(g->routes[0].match, &q.r), MOCK_NO);
	assert_int_equal(mock_match(x->routes[0].match, &q.r), MOCK_YES);
	fcgi_params_fini(&q.params);
	fcgi_mock_plan_free(g);
	fcgi_mock_plan_free(x);
}

static void test_mock_match_role_keep(void **state)
{
	(void)state;
	assert_int_equal(verdict("{\"role\": \"RESPONDER\"}", NULL, 1, 0, ""),
			 MOCK_YES);
	assert_int_equal(verdict("{\"role\": \"AUTHORIZER\"}", NULL, 1, 0, ""),
			 MOCK_NO);
	assert_int_equal(verdict("{\"role\": 2}", NULL, 2, 0, ""), MOCK_YES);
	assert_int_equal(verdict("{\"keepConn\": true}", NULL, 1, 1, ""),
			 MOCK_YES);
	assert_int_equal(verdict("{\"keepConn\": true}", NULL, 1, 0, ""),
			 MOCK_NO);
	assert_int_equal(verdict("{\"keepConn\": false}", NULL, 1, 0, ""),
			 MOCK_YES);
}

static void test_mock_match_body(void **state)
{
	(void)state;
	YES("{\"body\": {\"exact\": \"abc\"}}", NULL, "abc");
	NO("{\"body\": {\"exact\": \"abc\"}}", NULL, "abcd");
	YES("{\"body\": {\"exact\": \"\"}}", NULL, "");
	YES("{\"body\": {\"exactB64\": \"YWJj\"}}", NULL, "abc");
	YES("{\"body\": {\"contains\": \"bc\"}}", NULL, "abcd");
	NO("{\"body\": {\"contains\": \"cb\"}}", NULL, "abcd");
	YES("{\"body\": {\"containsB64\": \"Y2Q=\"}}", NULL, "abcd");
	YES("{\"body\": {\"regex\": \"^a.c\"}}", NULL, "abcd");
	NO("{\"body\": {\"regex\": \"^b\"}}", NULL, "abcd");
	YES("{\"body\": {\"length\": 4}}", NULL, "abcd");
	NO("{\"body\": {\"length\": 3}}", NULL, "abcd");
	YES("{\"body\": {\"length\": {\"min\": 2, \"max\": 4}}}", NULL, "abcd");
	NO("{\"body\": {\"length\": {\"min\": 5}}}", NULL, "abcd");
	YES("{\"body\": {\"length\": {\"max\": 0}}}", NULL, "");
	/* The body is not complete: only it can tell. */
	assert_int_equal(
		verdict("{\"body\": {\"length\": 0}}", NULL, 1, 0, NULL),
		MOCK_NEED_BODY);
	/* ...unless something else says no already. */
	assert_int_equal(verdict("{\"role\": 2, \"body\": {\"length\": 0}}",
				 NULL, 1, 0, NULL),
			 MOCK_NO);
}

/* A body kept only in part: exact cannot hold, length sees the total. */
static void test_mock_match_body_cut(void **state)
{
	struct fcgi_mock_plan *e = plan_of("{\"body\": {\"exact\": \"abcd\"}}");
	struct fcgi_mock_plan *l = plan_of("{\"body\": {\"length\": 4}}");
	struct rq q;

	(void)state;
	rq_init(&q, NULL, 1, 0, "ab");
	q.r.body_total = 4;
	assert_int_equal(mock_match(e->routes[0].match, &q.r), MOCK_NO);
	assert_int_equal(mock_match(l->routes[0].match, &q.r), MOCK_YES);
	fcgi_params_fini(&q.params);
	fcgi_mock_plan_free(e);
	fcgi_mock_plan_free(l);
}

static void test_mock_match_logic(void **state)
{
	static const char *const p[] = { "A=1", "B=2", NULL };

	(void)state;
	YES("{\"any\": [{\"params\": {\"A\": \"9\"}}, {\"params\": {\"B\": "
	    "\"2\"}}]}",
	    p, "");
	NO("{\"any\": [{\"params\": {\"A\": \"9\"}}, {\"params\": {\"B\": "
	   "\"9\"}}]}",
	   p, "");
	YES("{\"all\": [{\"params\": {\"A\": \"1\"}}, {\"params\": {\"B\": "
	    "\"2\"}}]}",
	    p, "");
	NO("{\"all\": [{\"params\": {\"A\": \"1\"}}, {\"params\": {\"B\": "
	   "\"9\"}}]}",
	   p, "");
	YES("{\"all\": []}", p, "");
	YES("{\"not\": {\"params\": {\"A\": \"9\"}}}", p, "");
	NO("{\"not\": {\"params\": {\"A\": \"1\"}}}", p, "");
	NO("{\"not\": {}}", p, "");
	YES("{\"not\": {\"not\": {\"params\": {\"A\": \"1\"}}}}", p, "");
	/* any: a later YES wins over an earlier need-body. */
	assert_int_equal(verdict("{\"any\": [{\"body\": {\"length\": 1}}, "
				 "{\"params\": {\"A\": \"1\"}}]}",
				 p, 1, 0, NULL),
			 MOCK_YES);
	assert_int_equal(verdict("{\"not\": {\"body\": {\"length\": 1}}}", p, 1,
				 0, NULL),
			 MOCK_NEED_BODY);
}

static void test_mock_match_explain(void **state)
{
	static const char *const p[] = { "SCRIPT_NAME=/hellp", "Q=abc", "X=1",
					 NULL };
	struct fcgi_mock_plan *pl = plan_of(
		"{\"params\": {\"SCRIPT_NAME\": \"/hello\", \"Q\": "
		"{\"prefix\": "
		"\"ab\", \"glob\": \"z*\", \"regex\": \"^q\"}, \"M\": \"v\", "
		"\"X\": {\"absent\": true}, \"N\": {\"present\": true}},"
		" \"role\": \"AUTHORIZER\", \"keepConn\": true,"
		" \"body\": {\"exact\": \"hi\", \"contains\": \"zz\", "
		"\"regex\": \"^q\", \"length\": {\"min\": 9, \"max\": 10}},"
		" \"any\": [{\"role\": 3}], \"not\": {}}");
	struct mock_explain e;
	char text[2048];
	struct rq q;

	(void)state;
	rq_init(&q, p, 1, 0, "abc");
	memset(&e, 0, sizeof(e));
	e.text = text;
	e.n = sizeof(text);
	mock_explain(pl->routes[0].match, &q.r, &e);
	assert_int_equal(e.total, 15);
	assert_int_equal(e.held, 1); /* the prefix */
	assert_string_equal(
		text, "param SCRIPT_NAME is '/hellp', not '/hello'; "
		      "param Q is 'abc', which does not match glob 'z*'; "
		      "param Q is 'abc', which does not match regex '^q'; "
		      "param M is absent, not 'v'; "
		      "param X is '1', wanted absent; "
		      "param N is absent; "
		      "role is RESPONDER, not AUTHORIZER; "
		      "keepConn is false, wanted true; "
		      "body (3 bytes) is not 'hi' (2 bytes); "
		      "body does not contain 'zz'; "
		      "body does not match regex '^q'; "
		      "body length 3 is not in 9..10; "
		      "none of 'any' holds; "
		      "'not' does not hold: what it excludes matches");
	/* A short buffer is cut, never overrun. */
	memset(&e, 0, sizeof(e));
	e.text = text;
	e.n = 20;
	mock_explain(pl->routes[0].match, &q.r, &e);
	assert_int_equal(strlen(text), 19);
	fcgi_params_fini(&q.params);
	fcgi_mock_plan_free(pl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mock_match_params),
		cmocka_unit_test(test_mock_match_nul_values),
		cmocka_unit_test(test_mock_match_role_keep),
		cmocka_unit_test(test_mock_match_body),
		cmocka_unit_test(test_mock_match_body_cut),
		cmocka_unit_test(test_mock_match_logic),
		cmocka_unit_test(test_mock_match_explain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
