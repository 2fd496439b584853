/* SPDX-License-Identifier: MIT */
/* test-mock.c - serve --mock's responder: routes in order, sequences,
 * scenarios, early answers, the journal, GET_VALUES and the verdict. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mock.h"

struct sinkbuf {
	char data[65536];
	size_t len;
};

static void sink_write(void *ctx, const void *data, size_t len)
{
	struct sinkbuf *b = ctx;

	if (len > sizeof(b->data) - 1 - b->len)
		len = sizeof(b->data) - 1 - b->len;
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

static struct sinkbuf jbuf, vbuf;
static char said[8192];

static void say(void *arg, const char *line)
{
	(void)arg;
	strncat(said, line, sizeof(said) - strlen(said) - 2);
	strncat(said, "\n", sizeof(said) - strlen(said) - 1);
}

struct env {
	struct mock *m;
	const struct fcgi_mock_responder *r;
	struct fcgi_render *journal, *json;
	unsigned ends;
};

static void on_end(void *arg, uint64_t n)
{
	struct env *e = arg;

	e->ends = (unsigned)n;
}

static void env_init(struct env *e, const char *script)
{
	struct fcgi_mock_plan *p;
	struct fcgi_render_opts ro;
	struct fcgi_sink js = { sink_write, &jbuf }, vs = { sink_write, &vbuf };
	struct mock_error err;
	struct mock_opts o;

	memset(e, 0, sizeof(*e));
	jbuf.len = vbuf.len = 0;
	jbuf.data[0] = vbuf.data[0] = said[0] = '\0';
	if (fcgi_mock_plan_parse(&p, script, strlen(script), NULL, &err) != 0)
		fail_msg("%u:%u: %s", err.line, err.col, err.msg);
	fcgi_render_opts_default(&ro);
	ro.json = 1;
	assert_int_equal(fcgi_render_new(&e->journal, &js, &ro), 0);
	assert_int_equal(fcgi_render_new(&e->json, &vs, &ro), 0);
	memset(&o, 0, sizeof(o));
	o.journal = e->journal;
	o.seed = 1;
	o.t0_ms = 1000;
	o.on_end = on_end;
	o.arg = e;
	assert_int_equal(mock_new(&e->m, p, &o), 0);
	e->r = mock_responder(e->m);
}

static void env_free(struct env *e)
{
	mock_free(e->m);
	fcgi_render_free(e->journal);
	fcgi_render_free(e->json);
}

struct rq {
	struct fcgi_params params;
	struct fcgi_mock_req q;
};

/* A request: params as "N=V" strings; body NULL: not complete. */
static void rq_init(struct rq *r, const char *const *params, const char *body)
{
	memset(r, 0, sizeof(*r));
	fcgi_params_init(&r->params, NULL);
	for (size_t i = 0; params != NULL && params[i] != NULL; i++) {
		const char *eq = strchr(params[i], '=');

		fcgi_params_add(&r->params, params[i], (size_t)(eq - params[i]),
				eq + 1, strlen(eq + 1));
	}
	r->q.label = "c1#1";
	r->q.request_id = 1;
	r->q.role = FCGI_RESPONDER;
	r->q.params = &r->params;
	r->q.start_ms = 1500;
	r->q.end_ms = 1750;
	if (body != NULL) {
		struct fcgi_sha256 s;

		r->q.body = (const uint8_t *)body;
		r->q.body_len = strlen(body);
		r->q.body_total = r->q.body_len;
		r->q.body_done = true;
		fcgi_sha256_init(&s);
		fcgi_sha256_update(&s, r->q.body, r->q.body_len);
		fcgi_sha256_final(&s, r->q.body_sha256);
	}
}

/* Decide (not a peek) and end one request; returns the first STREAM
 * step's bytes as text (the header block), or "" (copied into out). */
static const char *ask(struct env *e, const char *const *params,
		       const char *body, char *out, size_t n)
{
	const struct fcgi_mock_play *play;
	struct rq r;

	rq_init(&r, params, body);
	out[0] = '\0';
	assert_int_equal(e->r->decide(e->r->arg, &r.q, false, &play), 0);
	for (size_t i = 0; i < play->n; i++)
		if (play->steps[i].op == FCGI_MOCK_STREAM &&
		    play->steps[i].type == FCGI_STDOUT) {
			snprintf(out, n, "%.*s", (int)play->steps[i].len,
				 (const char *)play->steps[i].data);
			break;
		} else if (play->steps[i].op == FCGI_MOCK_DELEGATE) {
			snprintf(out, n, "delegate %s", play->steps[i].name);
			break;
		} else if (play->steps[i].op == FCGI_MOCK_CLOSE ||
			   play->steps[i].op == FCGI_MOCK_RESET) {
			snprintf(out, n, "close");
			break;
		}
	e->r->end(e->r->arg, &r.q);
	assert_null(r.q.user);
	fcgi_params_fini(&r.params);
	return out;
}

#define STATUS(e, params, body, want)                                   \
	do {                                                            \
		char got_[256];                                         \
		ask((e), (params), (body), got_, sizeof(got_));         \
		if (strncmp(got_, want, strlen(want)) != 0)             \
			fail_msg("got '%s', want '%s...'", got_, want); \
	} while (0)

static const char *const hello[] = { "SCRIPT_NAME=/hello", "REQUEST_METHOD=GET",
				     "REQUEST_URI=/hello?x=1", NULL };
static const char *const other[] = { "SCRIPT_NAME=/hellp",
				     "REQUEST_METHOD=POST",
				     "REQUEST_URI=/hellp", NULL };

static void test_mock_routes_in_order(void **state)
{
	struct env e;

	(void)state;
	env_init(&e, "{\"routes\": ["
		     "{\"match\": {\"params\": {\"SCRIPT_NAME\": \"/hello\"}}, "
		     "\"respond\": {\"status\": 201}},"
		     "{\"match\": {\"params\": {\"SCRIPT_NAME\": {\"prefix\": "
		     "\"/h\"}}}, \"respond\": {\"status\": 202}}]}");
	STATUS(&e, hello, "", "Status: 201");
	STATUS(&e, other, "", "Status: 202");
	STATUS(&e, NULL, "", "Status: 404");
	assert_int_equal(e.ends, 3);
	assert_int_equal(mock_requests(e.m), 3);
	env_free(&e);
}

static void test_mock_sequences(void **state)
{
	struct env e;

	(void)state;
	env_init(&e, "{\"routes\": [{\"responses\": [{\"status\": 500}, "
		     "{\"status\": 501}, {\"status\": 200}]}]}");
	STATUS(&e, NULL, "", "Status: 500");
	STATUS(&e, NULL, "", "Status: 501");
	STATUS(&e, NULL, "", "Status: 200");
	STATUS(&e, NULL, "", "Status: 200");
	env_free(&e);
	env_init(&e, "{\"routes\": [{\"responses\": [{\"status\": 500}, "
		     "{\"status\": 200}], \"then\": \"cycle\"}]}");
	STATUS(&e, NULL, "", "Status: 500");
	STATUS(&e, NULL, "", "Status: 200");
	STATUS(&e, NULL, "", "Status: 500");
	env_free(&e);
}

/* "Fail twice, then succeed", WireMock style. */
static void test_mock_scenarios(void **state)
{
	struct env e;

	(void)state;
	env_init(&e, "{\"routes\": ["
		     "{\"scenario\": \"retry\", \"whenState\": \"Started\", "
		     "\"setState\": \"once\", \"respond\": {\"status\": 503}},"
		     "{\"scenario\": \"retry\", \"whenState\": \"once\", "
		     "\"respond\": {\"status\": 502, \"setState\": \"ok\"}},"
		     "{\"scenario\": \"retry\", \"whenState\": \"ok\", "
		     "\"respond\": {\"status\": 200}}]}");
	STATUS(&e, NULL, "", "Status: 503");
	STATUS(&e, NULL, "", "Status: 502");
	STATUS(&e, NULL, "", "Status: 200");
	STATUS(&e, NULL, "", "Status: 200");
	assert_string_equal(mock_plan(e.m)->scen[0].state, "ok");
	env_free(&e);
}

/* A peek commits only to an early answer whose route the params decide. */
static void test_mock_peek(void **state)
{
	const struct fcgi_mock_play *play;
	struct env e;
	struct rq r;

	(void)state;
	env_init(&e, "{\"routes\": ["
		     "{\"match\": {\"params\": {\"A\": \"1\"}}, \"respond\": "
		     "{\"steps\": [\"closeWithoutReading\"]}},"
		     "{\"match\": {\"params\": {\"A\": \"2\"}}, \"respond\": "
		     "{\"early\": true, \"body\": \"${body}\"}},"
		     "{\"match\": {\"body\": {\"length\": 0}}, \"respond\": "
		     "{\"early\": true}},"
		     "{\"respond\": {\"status\": 204}}]}");
	/* Early and decided by the params: played at once. */
	rq_init(&r, (const char *const[]){ "A=1", NULL }, NULL);
	assert_int_equal(e.r->decide(e.r->arg, &r.q, true, &play), 0);
	assert_int_equal(play->steps[0].op, FCGI_MOCK_RESET);
	assert_true(play->early);
	e.r->end(e.r->arg, &r.q);
	fcgi_params_fini(&r.params);
	/* Early but it needs ${body}: wait. */
	rq_init(&r, (const char *const[]){ "A=2", NULL }, NULL);
	assert_int_equal(e.r->decide(e.r->arg, &r.q, true, &play),
			 FCGI_EPARTIAL);
	r.q.body = (const uint8_t *)"xy";
	r.q.body_len = r.q.body_total = 2;
	r.q.body_done = true;
	assert_int_equal(e.r->decide(e.r->arg, &r.q, false, &play), 0);
	assert_int_equal(play->steps[1].len, 2);
	e.r->end(e.r->arg, &r.q);
	fcgi_params_fini(&r.params);
	/* Only the body can tell which route: wait, then the body says. */
	rq_init(&r, NULL, NULL);
	assert_int_equal(e.r->decide(e.r->arg, &r.q, true, &play),
			 FCGI_EPARTIAL);
	r.q.body = (const uint8_t *)"z";
	r.q.body_len = r.q.body_total = 1;
	r.q.body_done = true;
	assert_int_equal(e.r->decide(e.r->arg, &r.q, false, &play), 0);
	assert_memory_equal(play->steps[0].data, "Status: 204", 11);
	e.r->end(e.r->arg, &r.q);
	fcgi_params_fini(&r.params);
	env_free(&e);
}

static void test_mock_journal(void **state)
{
	struct env e;
	char got[64];

	(void)state;
	env_init(&e, "{\"routes\": [{\"name\": \"hi\", \"match\": {\"params\": "
		     "{\"SCRIPT_NAME\": \"/hello\"}}, \"respond\": {\"steps\": "
		     "[{\"delay\": 5}, \"response\"]}}]}");
	ask(&e, hello, "abc", got, sizeof(got));
	ask(&e, other, "", got, sizeof(got));
	assert_string_equal(
		jbuf.data,
		"{\"ts\":0.5,\"conn\":\"c1\",\"kind\":\"journal\",\"id\":1,"
		"\"role\":\"RESPONDER\",\"keepConn\":false,\"params\":["
		"{\"name\":\"SCRIPT_NAME\",\"value\":\"/hello\"},"
		"{\"name\":\"REQUEST_METHOD\",\"value\":\"GET\"},"
		"{\"name\":\"REQUEST_URI\",\"value\":\"/hello?x=1\"}],"
		"\"bodyBytes\":3,\"bodySha256\":"
		"\"ba7816bf8f01cfea414140de5dae2223"
		"b00361a396177a9cb410ff61f20015ad\",\"matched\":true,"
		"\"route\":\"hi\",\"response\":0,\"faults\":[\"delay\"],"
		"\"ms\":250,\"aborted\":false}\n"
		"{\"ts\":0.5,\"conn\":\"c1\",\"kind\":\"journal\",\"id\":1,"
		"\"role\":\"RESPONDER\",\"keepConn\":false,\"params\":["
		"{\"name\":\"SCRIPT_NAME\",\"value\":\"/hellp\"},"
		"{\"name\":\"REQUEST_METHOD\",\"value\":\"POST\"},"
		"{\"name\":\"REQUEST_URI\",\"value\":\"/hellp\"}],"
		"\"bodyBytes\":0,\"bodySha256\":"
		"\"e3b0c44298fc1c149afbf4c8996fb924"
		"27ae41e4649b934ca495991b7852b855\",\"matched\":false,"
		"\"route\":null,\"response\":null,\"faults\":[],\"ms\":250,"
		"\"aborted\":false}\n");
	env_free(&e);
}

static void test_mock_verdict(void **state)
{
	struct env e;
	char got[64];

	(void)state;
	env_init(&e,
		 "{\"routes\": ["
		 "{\"name\": \"hello\", \"match\": {\"params\": "
		 "{\"SCRIPT_NAME\": \"/hello\", \"REQUEST_METHOD\": \"POST\"}},"
		 " \"respond\": {}, \"expect\": 2},"
		 "{\"name\": \"never\", \"match\": {\"params\": {\"X\": "
		 "\"1\"}}, \"respond\": {}, \"expect\": {\"never\": true}},"
		 "{\"name\": \"some\", \"match\": {\"params\": {\"Y\": "
		 "\"1\"}}, \"respond\": {}, \"expect\": {\"atLeast\": 1}}],"
		 "\"expectOrder\": [\"some\", \"hello\"]}");
	ask(&e, other, "", got, sizeof(got));
	assert_int_equal(mock_verdict(e.m, say, NULL, e.json), 4);
	assert_string_equal(
		said,
		"route 'hello' expected exactly 2 requests, got 0\n"
		"route 'some' expected at least 1 request, got 0\n"
		"expectOrder[0] (route 'some') did not come: 0 of 2 expected "
		"requests came in order\n"
		"unmatched request c1#1 (POST /hellp): closest route 'hello': "
		"param SCRIPT_NAME is '/hellp', not '/hello'\n");
	assert_non_null(strstr(vbuf.data,
			       "{\"kind\":\"mockUnmet\",\"what\":\"expect\","
			       "\"route\":\"hello\",\"atLeast\":2,"
			       "\"atMost\":2,\"got\":0,\"message\":"));
	assert_non_null(strstr(
		vbuf.data,
		"{\"conn\":\"c1\",\"kind\":\"mockUnmatched\",\"request\":"
		"\"c1#1\",\"what\":\"POST /hellp\",\"closest\":\"hello\","
		"\"held\":1,\"total\":2,\"differences\":\"param SCRIPT_NAME is "
		"'/hellp', not '/hello'\"}\n"));
	env_free(&e);
	/* All met: nothing to say. */
	env_init(&e,
		 "{\"routes\": ["
		 "{\"name\": \"a\", \"match\": {\"params\": {\"A\": \"1\"}},"
		 " \"respond\": {}, \"expect\": {\"atMost\": 1}},"
		 "{\"name\": \"b\", \"respond\": {}, \"expect\": 2}],"
		 "\"expectOrder\": [\"b\", {\"match\": {\"params\": "
		 "{\"A\": \"1\"}}}]}");
	ask(&e, NULL, "", got, sizeof(got));
	ask(&e, (const char *const[]){ "A=1", NULL }, "", got, sizeof(got));
	ask(&e, NULL, "", got, sizeof(got));
	assert_int_equal(mock_verdict(e.m, say, NULL, e.json), 0);
	assert_string_equal(said, "");
	env_free(&e);
}

/* A request blocked only by its scenario's state names that state. */
static void test_mock_verdict_state(void **state)
{
	struct env e;
	char got[64];

	(void)state;
	env_init(&e, "{\"routes\": [{\"name\": \"late\", \"scenario\": \"s\", "
		     "\"whenState\": \"done\", \"respond\": {}}]}");
	ask(&e, hello, "", got, sizeof(got));
	assert_int_equal(mock_verdict(e.m, say, NULL, NULL), 1);
	assert_string_equal(said,
			    "unmatched request c1#1 (GET /hello?x=1): closest "
			    "route 'late': scenario 's' is in state 'Started', "
			    "not 'done'\n");
	env_free(&e);
}

static void test_mock_values(void **state)
{
	struct fcgi_params names;
	struct fcgi_buf out;
	struct env e;

	(void)state;
	fcgi_params_init(&names, NULL);
	fcgi_buf_init(&out, NULL, 0);
	env_init(&e, "{\"routes\": []}");
	assert_int_equal(e.r->values(e.r->arg, &names, &out), 0);
	env_free(&e);
	env_init(&e, "{\"routes\": [], \"getValues\": {\"values\": "
		     "{\"FCGI_MPXS_CONNS\": \"7\"}, \"firstN\": 1}}");
	assert_int_equal(e.r->values(e.r->arg, &names, &out), 1);
	assert_int_equal(out.len, 8 + 18 + 6);
	assert_memory_equal(out.data,
			    "\x01\x0a\x00\x00\x00\x12\x06\x00\x0f\x01"
			    "FCGI_MPXS_CONNS7",
			    8 + 18);
	assert_int_equal(e.r->values(e.r->arg, &names, &out), 0);
	env_free(&e);
	out.len = 0;
	env_init(&e, "{\"routes\": [], \"getValues\": {\"malformed\": true}}");
	assert_int_equal(e.r->values(e.r->arg, &names, &out), 1);
	assert_int_equal(out.data[9], 100); /* a value length past the end */
	env_free(&e);
	out.len = 0;
	env_init(&e, "{\"routes\": [], \"getValues\": {\"ignore\": true}}");
	assert_int_equal(e.r->values(e.r->arg, &names, &out), 1);
	assert_int_equal(out.len, 0);
	env_free(&e);
	env_init(&e, "{\"routes\": [], \"getValues\": {\"contentB64\": "
		     "\"AAA=\"}}");
	assert_int_equal(e.r->values(e.r->arg, &names, &out), 1);
	assert_int_equal(out.len, 8 + 2 + 6);
	env_free(&e);
	fcgi_buf_fini(&out);
	fcgi_params_fini(&names);
}

/* A reload keeps requests in flight on the old plan. */
static void test_mock_reload(void **state)
{
	const struct fcgi_mock_play *play;
	struct fcgi_mock_plan *p2;
	struct mock_error err;
	struct env e;
	struct rq r;
	char got[64];
	static const char two[] =
		"{\"routes\": [{\"respond\": {\"status\": 202}}]}";

	(void)state;
	env_init(&e, "{\"routes\": [{\"respond\": {\"status\": 201}}]}");
	rq_init(&r, NULL, "");
	assert_int_equal(e.r->decide(e.r->arg, &r.q, false, &play), 0);
	assert_int_equal(
		fcgi_mock_plan_parse(&p2, two, strlen(two), NULL, &err), 0);
	mock_set_plan(e.m, p2);
	assert_memory_equal(play->steps[0].data, "Status: 201", 11);
	e.r->end(e.r->arg, &r.q);
	fcgi_params_fini(&r.params);
	STATUS(&e, NULL, "", "Status: 202");
	(void)got;
	env_free(&e);
}

static void test_mock_delegate(void **state)
{
	struct env e;

	(void)state;
	env_init(&e, "{\"routes\": [{\"responses\": [{\"status\": 500}, "
		     "{\"fn\": \"builtin:hello\"}]}]}");
	STATUS(&e, NULL, "", "Status: 500");
	STATUS(&e, NULL, "", "delegate builtin:hello");
	env_free(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mock_routes_in_order),
		cmocka_unit_test(test_mock_sequences),
		cmocka_unit_test(test_mock_scenarios),
		cmocka_unit_test(test_mock_peek),
		cmocka_unit_test(test_mock_journal),
		cmocka_unit_test(test_mock_verdict),
		cmocka_unit_test(test_mock_verdict_state),
		cmocka_unit_test(test_mock_values),
		cmocka_unit_test(test_mock_reload),
		cmocka_unit_test(test_mock_delegate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
