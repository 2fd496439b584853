/* SPDX-License-Identifier: MIT */
/* test-mock-script.c - mock scripts to plans, and bad scripts refused
 * with the line, column and path of the value at fault. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plan.h"

static struct fcgi_mock_plan *parse_ok(const char *text)
{
	struct fcgi_mock_plan *p = NULL;
	struct mock_error e;

	if (fcgi_mock_plan_parse(&p, text, strlen(text), NULL, &e) != 0)
		fail_msg("%u:%u: %s", e.line, e.col, e.msg);
	assert_non_null(p);
	return p;
}

/* A bad script: refused at line:col with a message containing msg. */
struct bad {
	const char *text;
	unsigned line, col;
	const char *msg;
};

static const struct bad bad_cases[] = {
	{ "", 1, 1, "an empty script" },
	{ "{\"routes\": [}", 1, 13, "bad JSON" },
	{ "{\n  \"routes\": [],\n  \"x\": 1\n}", 3, 3,
	  "unknown key 'x' in a script" },
	{ "{\"routes\": []} x", 1, 16, "text after the script's end" },
	{ "[]", 1, 1, "a script must be an object" },
	{ "{}", 1, 1, "a script needs 'routes'" },
	{ "{\"routes\": {}}", 1, 12, "routes: not an array of routes" },
	{ "{\"routes\": [{}]}", 1, 13,
	  "routes[0]: a route needs 'respond' or 'responses'" },
	{ "{\"routes\": [\n {\"respond\": {\"status\": 99}}]}", 2, 25,
	  "routes[0].respond.status: not a whole number from 100 to 999" },
	{ "{\"routes\": [{\"respond\": {\"status\": 200.5}}]}", 1, 36,
	  "not a whole number" },
	{ "{\"routes\": [{\"respond\": {\"status\": \"200\"}}]}", 1, 36,
	  "not a number" },
	{ "{\"routes\": [{\"respond\": {\"bdy\": \"x\"}}]}", 1, 26,
	  "routes[0].respond: unknown key 'bdy' in a response" },
	{ "{\"routes\": [{\"respond\": {}, \"respond\": {}}]}", 1, 29,
	  "duplicate key 'respond'" },
	{ "{\"routes\": [{\"match\": {\"params\": {\"A\": {\"regex\": \"(\"}}},"
	  " \"respond\": {}}]}",
	  1, 50, "routes[0].match.params.A.regex: bad regex" },
	{ "{\"routes\": [{\"match\": {\"params\": {\"A\": {}}}, \"respond\": "
	  "{}}]}",
	  1, 40, "an empty param matcher" },
	{ "{\"routes\": [{\"match\": {\"role\": \"BOSS\"}, \"respond\": {}}]}",
	  1, 32, "not RESPONDER, AUTHORIZER or FILTER" },
	{ "{\"routes\": [{\"match\": {\"body\": {\"length\": {\"min\": 5, "
	  "\"max\": 2}}}, \"respond\": {}}]}",
	  1, 43, "min is above max" },
	{ "{\"routes\": [{\"match\": {\"any\": []}, \"respond\": {}}]}", 1, 31,
	  "an empty 'any' never holds" },
	{ "{\"routes\": [{\"respond\": {\"body\": \"${NAME\"}}]}", 1, 34,
	  "'${' without '}'" },
	{ "{\"routes\": [{\"respond\": {\"body\": \"${A-B}\"}}]}", 1, 34,
	  "bad name in '${...}'" },
	{ "{\"routes\": [{\"respond\": {\"body\": \"a\\u0000b\"}}]}", 1, 34,
	  "a NUL byte" },
	{ "{\"routes\": [{\"respond\": {\"bodyB64\": \"abc\"}}]}", 1, 37,
	  "not base64" },
	{ "{\"routes\": [{\"respond\": {\"body\": \"x\", \"bodySize\": 3}}]}",
	  1, 25, "one of 'body', 'bodyB64' and 'bodySize' only" },
	{ "{\"routes\": [{\"respond\": {\"body\": \"@x.txt\"}}]}", 1, 34,
	  "cannot read 'x.txt': no files here" },
	{ "{\"routes\": [{\"respond\": {\"headers\": {\"Bad Name\": \"v\"}}}]}",
	  1, 38, "bad header name 'Bad Name'" },
	{ "{\"routes\": [{\"respond\": {\"headers\": {\"X\": \"a\\r\\nb\"}}}]}",
	  1, 43, "a header value with a line break" },
	{ "{\"routes\": [{\"respond\": {\"steps\": [\"dance\"]}}]}", 1, 36,
	  "routes[0].respond.steps[0]: unknown step 'dance'" },
	{ "{\"routes\": [{\"respond\": {\"steps\": [{\"delay\": 1, \"close\": "
	  "true}]}}]}",
	  1, 49, "a step does one thing: 'delay' and 'close'" },
	{ "{\"routes\": [{\"respond\": {\"steps\": [{\"probability\": 1}]}}]}",
	  1, 36, "a step without an action" },
	{ "{\"routes\": [{\"respond\": {\"steps\": [{\"delay\": 1, "
	  "\"probability\": 2}]}}]}",
	  1, 64, "not a number from 0 to 1" },
	{ "{\"routes\": [{\"respond\": {\"steps\": [\"recordSize\"]}}]}", 1, 36,
	  "step 'recordSize' needs a value" },
	{ "{\"routes\": [{\"respond\": {\"steps\": [{\"recordSize\": 0}]}}]}",
	  1, 51, "not a whole number from 1 to 65535" },
	{ "{\"routes\": [{\"respond\": {\"steps\": [{\"delay\": {\"uniform\": "
	  "[5, 1]}}]}}]}",
	  1, 58, "min is above max" },
	{ "{\"routes\": [{\"respond\": {\"steps\": [{\"drip\": {\"bytes\": 1}}"
	  "]}}]}",
	  1, 45, "a drip needs 'everyMs'" },
	{ "{\"routes\": [{\"respond\": {\"steps\": [{\"closeMidRecord\": "
	  "{\"announce\": 4, \"send\": 4}}]}}]}",
	  1, 55, "'send' must be below 'announce'" },
	{ "{\"routes\": [{\"respond\": {\"steps\": [{\"onAbort\": \"later\"}]"
	  "}}]}",
	  1, 48, "not \"stop\", \"ignore\" or {\"lateMs\": N}" },
	{ "{\"routes\": [{\"respond\": {\"steps\": [{\"close\": false}]}}]}", 1,
	  46, "only true turns a step on" },
	{ "{\"routes\": [{\"respond\": {\"fn\": \"hello\", \"status\": 200}}]}",
	  1, 41,
	  "'fn' answers the request itself: 'status' cannot go with it" },
	{ "{\"routes\": [{\"respond\": {}, \"then\": \"loop\"}]}", 1, 37,
	  "not \"repeat\" or \"cycle\"" },
	{ "{\"routes\": [{\"respond\": {}, \"whenState\": \"A\"}]}", 1, 42,
	  "'whenState' needs a 'scenario'" },
	{ "{\"routes\": [{\"respond\": {}, \"expect\": {\"atLeast\": 3, "
	  "\"atMost\": 1}}]}",
	  1, 39, "'atLeast' is above 'atMost'" },
	{ "{\"routes\": [{\"respond\": {}, \"expect\": {\"exactly\": 1, "
	  "\"never\": true}}]}",
	  1, 39, "'exactly' goes alone" },
	{ "{\"routes\": [{\"name\": \"a\", \"respond\": {}},\n"
	  "  {\"name\": \"a\", \"respond\": {}}]}",
	  2, 12, "a second route called 'a'" },
	{ "{\"routes\": [{\"name\": \"#1\", \"respond\": {}}]}", 1, 22,
	  "a name may not start with '#'" },
	{ "{\"routes\": [], \"expectOrder\": [\"nope\"]}", 1, 32,
	  "expectOrder[0]: no route is called 'nope'" },
	{ "{\"routes\": [], \"getValues\": {}}", 1, 29,
	  "needs one of 'values', 'malformed', 'contentB64' and 'ignore'" },
	{ "{\"routes\": [], \"seed\": -1}", 1, 24, "seed: not a whole number" },
	{ "{\"routes\": [], \"default\": {\"setState\": \"x\"}}", 1, 27,
	  "default: 'setState' needs a route's 'scenario'" },
	{ "\xEF\xBB\xBF{\"routes\": [], \"zz\": 1}", 1, 19,
	  "unknown key 'zz'" },
};

static void test_mock_script_bad(void **state)
{
	struct fcgi_mock_plan *p;
	struct mock_error e;
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad *b = &bad_cases[i];

		p = (struct fcgi_mock_plan *)1;
		if (fcgi_mock_plan_parse(&p, b->text, strlen(b->text), NULL,
					 &e) == 0)
			fail_msg("case %zu was accepted: %s", i, b->text);
		assert_null(p);
		if (strstr(e.msg, b->msg) == NULL || e.line != b->line ||
		    e.col != b->col) {
			print_error("case %zu: got %u:%u: %s; want %u:%u: "
				    "%s\n",
				    i, e.line, e.col, e.msg, b->line, b->col,
				    b->msg);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static const char full[] =
	"{\n"
	"  \"seed\": 7,\n"
	"  \"routes\": [\n"
	"    {\"name\": \"hello\", \"comment\": \"a comment\",\n"
	"     \"match\": {\"params\": {\"SCRIPT_NAME\": \"/hello\",\n"
	"                 \"Q\": {\"prefix\": \"a\", \"glob\": \"a*\", "
	"\"regex\": \"^a\"},\n"
	"                 \"X\": {\"absent\": true}, \"Y\": {\"present\": "
	"true},\n"
	"                 \"Z\": {\"exactB64\": \"AAE=\"}},\n"
	"                \"role\": \"RESPONDER\", \"keepConn\": false,\n"
	"                \"body\": {\"contains\": \"x\", \"length\": {\"max\": "
	"9}},\n"
	"                \"any\": [{\"role\": 1}, {\"role\": 2}],\n"
	"                \"not\": {\"params\": {\"NO\": \"1\"}}},\n"
	"     \"respond\": {\"status\": 201, \"headers\": {\"X-A\": "
	"\"${Q}\"},\n"
	"                  \"body\": \"@@hi ${body} $$ $x\", \"stderr\": "
	"\"e\",\n"
	"                  \"appStatus\": 3, \"protocolStatus\": "
	"\"OVERLOADED\",\n"
	"                  \"steps\": [\"headers\", {\"delay\": "
	"{\"logNormal\": "
	"{\"median\": 5, \"sigma\": 0.5}}, \"firstN\": 2, \"probability\": "
	"0.5},\n"
	"                            {\"record\": {\"type\": \"STDOUT\", "
	"\"content\": \"c\", \"padding\": 3}}, \"end\"]},\n"
	"     \"expect\": {\"atLeast\": 1}},\n"
	"    {\"scenario\": \"s\", \"whenState\": \"Started\", \"setState\": "
	"\"B\",\n"
	"     \"responses\": [{\"status\": 500}, {\"fn\": \"echo\", "
	"\"setState\": \"C\"}], \"then\": \"cycle\", \"expect\": 2},\n"
	"    {\"respond\": {\"exec\": \"/x.cgi\"}, \"expect\": {\"never\": "
	"true}}\n"
	"  ],\n"
	"  \"default\": {\"status\": 410},\n"
	"  \"expectOrder\": [\"hello\", {\"route\": \"#2\"}, {\"match\": "
	"{}}],\n"
	"  \"getValues\": {\"values\": {\"FCGI_MPXS_CONNS\": \"0\"}, "
	"\"firstN\": 1}\n"
	"}\n";

static void test_mock_script_full(void **state)
{
	struct fcgi_mock_plan *p = parse_ok(full);
	const struct mock_route *r;
	const struct mock_cond *m;
	const struct mock_response *rs;

	(void)state;
	assert_true(p->has_seed);
	assert_int_equal(p->seed, 7);
	assert_int_equal(p->nroutes, 3);
	r = &p->routes[0];
	assert_string_equal(r->name, "hello");
	m = r->match;
	assert_int_equal(m->kind, MOCK_C_ALL);
	/* 1 + 3 + 1 + 1 + 1 params, role, keepConn, 2 body, any, not. */
	assert_int_equal(m->nkids, 13);
	assert_int_equal(m->kids[0].kind, MOCK_C_PARAM);
	assert_int_equal(m->kids[0].cmp, MOCK_CMP_EXACT);
	assert_string_equal((const char *)m->kids[0].value.data, "/hello");
	assert_int_equal(m->kids[1].cmp, MOCK_CMP_PREFIX);
	assert_int_equal(m->kids[2].cmp, MOCK_CMP_GLOB);
	assert_int_equal(m->kids[3].cmp, MOCK_CMP_REGEX);
	assert_non_null(m->kids[3].re);
	assert_int_equal(m->kids[4].cmp, MOCK_CMP_ABSENT);
	assert_int_equal(m->kids[5].cmp, MOCK_CMP_PRESENT);
	assert_int_equal(m->kids[6].value.len, 2);
	assert_int_equal(m->kids[6].value.data[1], 1);
	assert_int_equal(m->kids[7].kind, MOCK_C_ROLE);
	assert_int_equal(m->kids[7].role, FCGI_RESPONDER);
	assert_int_equal(m->kids[8].kind, MOCK_C_KEEP);
	assert_int_equal(m->kids[9].cmp, MOCK_CMP_CONTAINS);
	assert_int_equal(m->kids[10].cmp, MOCK_CMP_LENGTH);
	assert_int_equal(m->kids[10].max, 9);
	assert_int_equal(m->kids[11].kind, MOCK_C_ANY);
	assert_int_equal(m->kids[11].nkids, 2);
	assert_int_equal(m->kids[12].kind, MOCK_C_NOT);
	rs = &r->resp[0];
	assert_int_equal(rs->status, 201);
	assert_int_equal(rs->nheaders, 1);
	assert_int_equal(rs->headers[0].value.p[0].kind, MOCK_PIECE_PARAM);
	assert_int_equal(rs->body.kind, MOCK_BODY_TEXT);
	assert_true(rs->body.text.uses_body);
	/* "@hi " ${body} " $ $x" */
	assert_int_equal(rs->body.text.n, 3);
	assert_string_equal((const char *)rs->body.text.p[0].text.data, "@hi ");
	assert_string_equal((const char *)rs->body.text.p[2].text.data,
			    " $ $x");
	assert_int_equal(rs->app_status, 3);
	assert_int_equal(rs->protocol_status, FCGI_OVERLOADED);
	assert_int_equal(rs->nsteps, 4);
	assert_int_equal(rs->steps[1].kind, MOCK_S_DELAY);
	assert_int_equal(rs->steps[1].dist, MOCK_DIST_LOGNORMAL);
	assert_int_equal(rs->steps[1].first_n, 2);
	assert_true(rs->steps[1].probability == 0.5);
	assert_int_equal(rs->steps[2].kind, MOCK_S_RECORD);
	assert_int_equal(rs->steps[2].type, FCGI_STDOUT);
	assert_int_equal(rs->steps[2].padding, 3);
	assert_true(r->has_expect);
	assert_int_equal(r->expect_min, 1);
	assert_true(r->expect_max == UINT64_MAX);
	r = &p->routes[1];
	assert_string_equal(r->name, "#2");
	assert_int_equal(r->nresp, 2);
	assert_true(r->cycle);
	assert_int_equal(r->scenario, 0);
	assert_string_equal(p->scen[0].name, "s");
	assert_string_equal(p->scen[0].state, "Started");
	assert_string_equal(r->set_state, "B");
	assert_int_equal(r->resp[1].delegate, MOCK_DELEGATE_FN);
	assert_string_equal(r->resp[1].target, "echo");
	assert_int_equal(r->expect_min, 2);
	assert_int_equal(r->expect_max, 2);
	assert_int_equal(p->routes[2].resp[0].delegate, MOCK_DELEGATE_EXEC);
	assert_int_equal(p->routes[2].expect_max, 0);
	assert_true(p->uses_fn && p->uses_exec);
	assert_int_equal(p->deflt.status, 410);
	assert_int_equal(p->norder, 3);
	assert_int_equal(p->order[1].route, 1);
	assert_non_null(p->order[2].match);
	assert_int_equal(p->values.mode, MOCK_VALUES_PAIRS);
	assert_int_equal(p->values.n, 1);
	assert_int_equal(p->values.first_n, 1);
	assert_int_equal(mock_plan_route(p, "hello"), 0);
	assert_int_equal(mock_plan_route(p, "none"), -1);
	fcgi_mock_plan_free(p);
}

static void test_mock_script_default(void **state)
{
	struct fcgi_mock_plan *p = parse_ok("{\"routes\": []}");

	(void)state;
	assert_int_equal(p->deflt.status, 404);
	assert_int_equal(p->deflt.body.kind, MOCK_BODY_TEXT);
	assert_string_equal((const char *)p->deflt.body.text.p[0].text.data,
			    "404 Not Found\n");
	fcgi_mock_plan_free(p);
}

/* Every step name parses, in its string form where it has one. */
static void test_mock_script_every_step(void **state)
{
	static const char text[] =
		"{\"routes\": [{\"respond\": {\"steps\": ["
		"\"response\", \"headers\", \"body\", \"stderr\", \"end\","
		"\"endRequest\", {\"endRequest\": {\"appStatus\": 1, "
		"\"protocolStatus\": 3}}, {\"stdout\": \"a\"}, "
		"{\"stdoutB64\": \"YQ==\"}, {\"stderr\": \"b\"}, "
		"{\"stderrB64\": \"Yg==\"}, \"emptyStdout\", \"emptyStderr\", "
		"{\"delay\": 5}, {\"delay\": {\"uniform\": [1, 2]}}, "
		"{\"drip\": {\"bytes\": 1, \"everyMs\": 2}}, "
		"{\"bandwidth\": 100}, {\"splitWrites\": 3}, "
		"{\"recordSize\": 10}, {\"padding\": 0}, {\"padding\": "
		"\"auto\"}, "
		"{\"requestId\": 2}, {\"version\": 0}, \"close\", "
		"\"closeMidRecord\", \"reset\", \"closeWithoutReading\", "
		"\"neverAnswer\", {\"garbage\": 5}, {\"garbage\": \"x\"}, "
		"{\"garbageB64\": \"AA==\"}, {\"record\": {\"type\": 99}}, "
		"\"unknownType\", {\"unknownType\": 200}, \"duplicateEnd\", "
		"\"noHeaders\", \"bigHeaders\", {\"bigHeaders\": 100}, "
		"{\"contentLength\": -3}, {\"onAbort\": \"ignore\"}, "
		"{\"onAbort\": {\"lateMs\": 50}}]}}]}";
	static const enum mock_step_kind want[] = { MOCK_S_RESPONSE,
						    MOCK_S_HEADERS,
						    MOCK_S_BODY,
						    MOCK_S_STDERR,
						    MOCK_S_END,
						    MOCK_S_END_REQUEST,
						    MOCK_S_END_REQUEST,
						    MOCK_S_STDOUT_TEXT,
						    MOCK_S_STDOUT_TEXT,
						    MOCK_S_STDERR_TEXT,
						    MOCK_S_STDERR_TEXT,
						    MOCK_S_EMPTY_STDOUT,
						    MOCK_S_EMPTY_STDERR,
						    MOCK_S_DELAY,
						    MOCK_S_DELAY,
						    MOCK_S_DRIP,
						    MOCK_S_BANDWIDTH,
						    MOCK_S_SPLIT,
						    MOCK_S_RECORD_SIZE,
						    MOCK_S_PADDING,
						    MOCK_S_PADDING,
						    MOCK_S_REQUEST_ID,
						    MOCK_S_VERSION,
						    MOCK_S_CLOSE,
						    MOCK_S_CLOSE_MID_RECORD,
						    MOCK_S_RESET,
						    MOCK_S_CLOSE_NO_READ,
						    MOCK_S_NEVER_ANSWER,
						    MOCK_S_GARBAGE,
						    MOCK_S_GARBAGE,
						    MOCK_S_GARBAGE,
						    MOCK_S_RECORD,
						    MOCK_S_UNKNOWN_TYPE,
						    MOCK_S_UNKNOWN_TYPE,
						    MOCK_S_DUPLICATE_END,
						    MOCK_S_NO_HEADERS,
						    MOCK_S_BIG_HEADERS,
						    MOCK_S_BIG_HEADERS,
						    MOCK_S_CONTENT_LENGTH,
						    MOCK_S_ON_ABORT,
						    MOCK_S_ON_ABORT };
	struct fcgi_mock_plan *p = parse_ok(text);
	const struct mock_response *r = &p->routes[0].resp[0];

	(void)state;
	assert_int_equal(r->nsteps, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < r->nsteps; i++)
		if (r->steps[i].kind != want[i])
			fail_msg("step %zu is %d, not %d", i,
				 (int)r->steps[i].kind, (int)want[i]);
	assert_true(r->early); /* closeWithoutReading */
	assert_int_equal(r->steps[6].app_status, 1);
	assert_int_equal(r->steps[6].protocol_status, FCGI_UNKNOWN_ROLE);
	assert_int_equal(r->steps[24].n, 100);
	assert_int_equal(r->steps[24].ms, 10);
	assert_int_equal(r->steps[32].type, 12);
	assert_int_equal(r->steps[33].type, 200);
	assert_int_equal(r->steps[36].n, 70000);
	assert_int_equal(r->steps[38].delta, -3);
	assert_int_equal(r->steps[40].on_abort, MOCK_ABORT_LATE);
	assert_int_equal(r->steps[40].ms, 50);
	for (int k = MOCK_S_RESPONSE; k < MOCK_S_COUNT; k++)
		assert_string_not_equal(mock_step_name(k), "?");
	fcgi_mock_plan_free(p);
}

static int read_stub(void *arg, const char *dir, const char *path,
		     struct mock_bytes *out, char *err, size_t errlen)
{
	(void)arg;
	if (strcmp(dir, "/scripts") != 0 || strcmp(path, "page.html") != 0) {
		snprintf(err, errlen, "No such file or directory");
		return -1;
	}
	out->data = (uint8_t *)strdup("<p>");
	out->len = 3;
	return 0;
}

static void test_mock_script_files(void **state)
{
	static const char ok[] =
		"{\"routes\": [{\"respond\": {\"body\": \"@page.html\"}}]}";
	static const char bad[] =
		"{\"routes\": [{\"respond\": {\"body\": \"@gone.html\"}}]}";
	struct mock_files f = { read_stub, NULL, "/scripts" };
	struct fcgi_mock_plan *p;
	struct mock_error e;

	(void)state;
	assert_int_equal(fcgi_mock_plan_parse(&p, ok, strlen(ok), &f, &e), 0);
	assert_int_equal(p->routes[0].resp[0].body.kind, MOCK_BODY_BYTES);
	assert_int_equal(p->routes[0].resp[0].body.bytes.len, 3);
	fcgi_mock_plan_free(p);
	assert_int_equal(fcgi_mock_plan_parse(&p, bad, strlen(bad), &f, &e),
			 -1);
	assert_string_equal(e.msg, "routes[0].respond.body: cannot read "
				   "'gone.html': No such file or directory");
	assert_int_equal(e.col, 34);
}

static void test_mock_script_templates(void **state)
{
	struct mock_tmpl t;
	char err[100];

	(void)state;
	assert_int_equal(mock_tmpl_parse(&t, "", 0, err, sizeof(err)), 0);
	assert_int_equal(t.n, 0);
	mock_tmpl_free(&t);
	assert_int_equal(mock_tmpl_parse(&t, "$", 1, err, sizeof(err)), 0);
	assert_int_equal(t.n, 1);
	assert_string_equal((const char *)t.p[0].text.data, "$");
	mock_tmpl_free(&t);
	assert_int_equal(
		mock_tmpl_parse(&t, "${A}${body}${B_2}", 17, err, sizeof(err)),
		0);
	assert_int_equal(t.n, 3);
	assert_int_equal(t.p[0].kind, MOCK_PIECE_PARAM);
	assert_int_equal(t.p[1].kind, MOCK_PIECE_BODY);
	assert_string_equal((const char *)t.p[2].text.data, "B_2");
	assert_true(t.uses_body);
	mock_tmpl_free(&t);
	assert_int_equal(mock_tmpl_parse(&t, "x${}", 4, err, sizeof(err)), -1);
	assert_string_equal(err, "empty name in '${}' at byte 1");
	assert_int_equal(mock_tmpl_parse(&t, "${", 2, err, sizeof(err)), -1);
	assert_string_equal(err, "'${' without '}' at byte 0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mock_script_bad),
		cmocka_unit_test(test_mock_script_full),
		cmocka_unit_test(test_mock_script_default),
		cmocka_unit_test(test_mock_script_every_step),
		cmocka_unit_test(test_mock_script_files),
		cmocka_unit_test(test_mock_script_templates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
