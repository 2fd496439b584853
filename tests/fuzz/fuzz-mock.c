/* SPDX-License-Identifier: MIT */
/*
 * fuzz-mock.c - libFuzzer target for the mock script parser
 * (fcgitool-mock(5)): any bytes either make a plan or are refused with a
 * position inside the text and a message.  A plan is then exercised:
 * every route's match tree against a fixed request (and explained), and
 * every response built into a play with a fixed seed.  Files are never
 * read.  A broken invariant aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "jsonpos.h"
#include "play.h"
#include "plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

/* Every value jsonpos places must sit on the byte its kind starts with. */
static void check_positions(const char *t, size_t len, const cJSON *n,
			    const struct jpos *m)
{
	size_t at = jpos_value(m, n);
	const cJSON *k;

	check(at < len);
	if (cJSON_IsObject(n))
		check(t[at] == '{');
	else if (cJSON_IsArray(n))
		check(t[at] == '[');
	else if (cJSON_IsString(n))
		check(t[at] == '"');
	else if (cJSON_IsNumber(n))
		check(t[at] == '-' || (t[at] >= '0' && t[at] <= '9'));
	else if (cJSON_IsTrue(n))
		check(t[at] == 't');
	else if (cJSON_IsFalse(n))
		check(t[at] == 'f');
	else if (cJSON_IsNull(n))
		check(t[at] == 'n');
	if (n->string != NULL)
		check(t[jpos_key(m, n)] == '"');
	for (k = n->child; k != NULL; k = k->next)
		check_positions(t, len, k, m);
}

static void positions(const uint8_t *data, size_t size)
{
	const char *end = NULL;
	struct jpos m;
	cJSON *root;

	root = cJSON_ParseWithLengthOpts((const char *)data, size, &end, 0);
	if (root == NULL)
		return;
	if (jpos_build(&m, (const char *)data, size, root) == 0) {
		check(!m.desync);
		check_positions((const char *)data, size, root, &m);
	}
	jpos_free(&m);
	cJSON_Delete(root);
}

static void exercise(struct fcgi_mock_plan *p)
{
	struct fcgi_params params;
	struct mock_explain e;
	struct mock_play play;
	struct mock_rng rng;
	struct mock_req r;
	char text[512];

	fcgi_params_init(&params, NULL);
	fcgi_params_add(&params, "SCRIPT_NAME", 11, "/hello", 6);
	fcgi_params_add(&params, "QUERY_STRING", 12, "a=1\0b", 5);
	memset(&r, 0, sizeof(r));
	r.role = FCGI_RESPONDER;
	r.params = &params;
	r.body = (const uint8_t *)"body\0bytes";
	r.body_len = r.body_total = 10;
	r.body_done = true;
	mock_rng_seed(&rng, 1);
	for (size_t i = 0; i < p->nroutes; i++) {
		struct mock_route *rt = &p->routes[i];

		check(mock_match(rt->match, &r) != MOCK_NEED_BODY);
		memset(&e, 0, sizeof(e));
		e.text = text;
		e.n = sizeof(text);
		mock_explain(rt->match, &r, &e);
		check(e.held <= e.total && e.len < sizeof(text));
		check(strlen(text) == e.len);
		for (size_t k = 0; k < rt->nresp; k++) {
			/* Generated bodies are not built, only counted. */
			if (mock_play_build(&play, &rt->resp[k], &r, 1, &rng) ==
			    0)
				mock_play_free(&play);
		}
	}
	fcgi_params_fini(&params);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fcgi_mock_plan *p = NULL;
	struct mock_error e;

	positions(data, size);
	if (fcgi_mock_plan_parse(&p, (const char *)data, size, NULL, &e) != 0) {
		check(p == NULL);
		check(e.off <= size && e.line >= 1 && e.col >= 1);
		check(e.msg[0] != '\0');
		return 0;
	}
	check(p != NULL);
	exercise(p);
	fcgi_mock_plan_free(p);
	return 0;
}
