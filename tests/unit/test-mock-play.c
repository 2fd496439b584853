/* SPDX-License-Identifier: MIT */
/* test-mock-play.c - responses turned into the steps the mock runner
 * plays: parts, templates, refusals and every fault. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "play.h"

static struct fcgi_mock_plan *plan_of(const char *respond)
{
	char text[4096];
	struct fcgi_mock_plan *p = NULL;
	struct mock_error e;

	snprintf(text, sizeof(text), "{\"routes\": [{\"respond\": %s}]}",
		 respond);
	if (fcgi_mock_plan_parse(&p, text, strlen(text), NULL, &e) != 0)
		fail_msg("%u:%u: %s", e.line, e.col, e.msg);
	return p;
}

static struct fcgi_params params;

static struct mock_req req(const char *body)
{
	struct mock_req r;

	memset(&r, 0, sizeof(r));
	r.role = FCGI_RESPONDER;
	r.params = &params;
	r.body = (const uint8_t *)body;
	r.body_len = strlen(body);
	r.body_total = r.body_len;
	r.body_done = true;
	return r;
}

static void cat(char *out, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void cat(char *out, size_t n, const char *fmt, ...)
{
	size_t len = strlen(out);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out + len, n - len, fmt, ap);
	va_end(ap);
}

/* The play in short: "OUT(n)" / "ERR(n)" for streams (with "+gen",
 * "/size", "%pad", "#id", "vN" where not the default), "REC(type,id,
 * len,pad)" for a crafted record (vN if not 1), "RAW(n)", "DELAY(ms)",
 * "PACE(n,ms,rate)", "ANSWERED", "CLOSE", "RESET", "HANG",
 * "ABORT(mode,ms)", "FN(name)"/"EXEC(name)". */
static const char *describe(const struct mock_play *p, char *out, size_t n)
{
	struct fcgi_header h;

	out[0] = '\0';
	for (size_t i = 0; i < p->play.n; i++) {
		const struct fcgi_mock_step *s = &p->play.steps[i];

		if (i > 0)
			cat(out, n, " ");
		switch (s->op) {
		case FCGI_MOCK_STREAM:
			cat(out, n, "%s(%zu",
			    s->type == FCGI_STDOUT ? "OUT" : "ERR", s->len);
			if (s->gen != 0)
				cat(out, n, "+%llu",
				    (unsigned long long)s->gen);
			if (s->record_size != FCGI_CHUNK_MAX)
				cat(out, n, "/%u", (unsigned)s->record_size);
			if (s->padding >= 0)
				cat(out, n, "%%%d", s->padding);
			if (s->request_id != 1)
				cat(out, n, "#%u", (unsigned)s->request_id);
			if (s->version != 1)
				cat(out, n, "v%u", (unsigned)s->version);
			cat(out, n, ")");
			break;
		case FCGI_MOCK_WRITE:
			if (s->len >= 8 && s->data[0] <= 2 &&
			    fcgi_header_decode(&h, s->data, s->len) == 0 &&
			    s->len ==
				    8u + h.content_length + h.padding_length) {
				cat(out, n, "REC(%u,%u,%u,%u", (unsigned)h.type,
				    (unsigned)h.request_id,
				    (unsigned)h.content_length,
				    (unsigned)h.padding_length);
				if (h.version != 1)
					cat(out, n, ",v%u",
					    (unsigned)h.version);
				cat(out, n, ")");
			} else {
				cat(out, n, "RAW(%zu)", s->len);
			}
			break;
		case FCGI_MOCK_DELAY:
			cat(out, n, "DELAY(%llu)", (unsigned long long)s->ms);
			break;
		case FCGI_MOCK_PACE:
			cat(out, n, "PACE(%llu,%llu,%llu)",
			    (unsigned long long)s->n, (unsigned long long)s->ms,
			    (unsigned long long)s->rate);
			break;
		case FCGI_MOCK_ANSWERED:
			cat(out, n, "ANSWERED");
			break;
		case FCGI_MOCK_CLOSE:
			cat(out, n, "CLOSE");
			break;
		case FCGI_MOCK_RESET:
			cat(out, n, "RESET");
			break;
		case FCGI_MOCK_HANG:
			cat(out, n, "HANG");
			break;
		case FCGI_MOCK_ON_ABORT:
			cat(out, n, "ABORT(%d,%llu)", (int)s->abort,
			    (unsigned long long)s->ms);
			break;
		case FCGI_MOCK_DELEGATE:
			cat(out, n, "%s(%s)", s->runner == 0 ? "FN" : "EXEC",
			    s->name);
			break;
		}
	}
	return out;
}

/* Build the play of respond for a request with body; check its summary
 * and return it (free with mock_play_free). */
static void check(const char *respond, const char *body, uint64_t seed,
		  const char *want, struct mock_play *keep)
{
	struct fcgi_mock_plan *p = plan_of(respond);
	struct mock_req r = req(body);
	struct mock_play play;
	struct mock_rng rng;
	char got[2048];

	mock_rng_seed(&rng, seed);
	assert_int_equal(
		mock_play_build(&play, &p->routes[0].resp[0], &r, 1, &rng), 0);
	describe(&play, got, sizeof(got));
	if (strcmp(got, want) != 0)
		fail_msg("%s\n got: %s\nwant: %s", respond, got, want);
	if (keep != NULL)
		*keep = play;
	else
		mock_play_free(&play);
	fcgi_mock_plan_free(p);
}

static void assert_step_text(const struct mock_play *p, size_t i,
			     const char *text)
{
	assert_true(i < p->play.n);
	assert_int_equal(p->play.steps[i].len, strlen(text));
	assert_memory_equal(p->play.steps[i].data, text, strlen(text));
}

static void test_mock_play_plain(void **state)
{
	struct mock_play p;

	(void)state;
	check("{}", "", 0, "OUT(18) OUT(0) REC(3,1,8,0) ANSWERED", &p);
	assert_step_text(&p, 0, "Status: 200 OK\r\n\r\n");
	mock_play_free(&p);
	check("{\"status\": 201, \"headers\": {\"X-A\": \"${A}-${NONE}\"},"
	      " \"body\": \"hi ${SCRIPT_NAME}: ${body}\", \"stderr\": \"oops\","
	      " \"appStatus\": 7}",
	      "BODY", 0,
	      "ERR(4) OUT(58) OUT(15) OUT(0) ERR(0) REC(3,1,8,0) ANSWERED", &p);
	assert_step_text(&p, 0, "oops");
	assert_step_text(&p, 1,
			 "Status: 201 Created\r\nX-A: 1-\r\n"
			 "Content-Type: text/plain\r\n\r\n");
	assert_step_text(&p, 2, "hi /x.php: BODY");
	assert_int_equal(p.play.steps[5].data[8 + 3], 7); /* appStatus */
	mock_play_free(&p);
	/* Content-Type given: not added; bytes and generated bodies. */
	check("{\"headers\": [[\"content-type\", \"a/b\"], [\"X\", \"1\"], "
	      "[\"X\", \"2\"]], \"bodyB64\": \"AAEC\"}",
	      "", 0, "OUT(49) OUT(3) OUT(0) REC(3,1,8,0) ANSWERED", &p);
	assert_step_text(&p, 0,
			 "Status: 200 OK\r\ncontent-type: a/b\r\nX: 1\r\n"
			 "X: 2\r\n\r\n");
	mock_play_free(&p);
	check("{\"bodySize\": 100000}", "", 0,
	      "OUT(44) OUT(0+100000) OUT(0) REC(3,1,8,0) ANSWERED", NULL);
	assert_int_equal(strlen(FCGI_MOCK_GEN_LINE), 64);
}

static void test_mock_play_refusal(void **state)
{
	(void)state;
	check("{\"protocolStatus\": \"OVERLOADED\"}", "", 0,
	      "REC(3,1,8,0) ANSWERED", NULL);
	check("{\"protocolStatus\": 1, \"steps\": [\"response\"]}", "", 0,
	      "OUT(18) OUT(0) REC(3,1,8,0) ANSWERED", NULL);
	check("{\"steps\": [{\"endRequest\": {\"protocolStatus\": "
	      "\"UNKNOWN_ROLE\", \"appStatus\": 5}}]}",
	      "", 0, "REC(3,1,8,0) ANSWERED", NULL);
}

static void test_mock_play_parts(void **state)
{
	(void)state;
	/* Steps that do not say how the answer goes get the response. */
	check("{\"steps\": [{\"delay\": 20}]}", "", 0,
	      "DELAY(20) OUT(18) OUT(0) REC(3,1,8,0) ANSWERED", NULL);
	check("{\"body\": \"b\", \"steps\": [\"headers\", \"close\"]}", "", 0,
	      "OUT(44) CLOSE", NULL);
	check("{\"body\": \"b\", \"steps\": [\"body\", \"end\"]}", "", 0,
	      "OUT(1) OUT(0) REC(3,1,8,0) ANSWERED", NULL);
	check("{\"body\": \"b\", \"steps\": [\"headers\", \"emptyStdout\", "
	      "\"body\", \"end\"]}",
	      "", 0, "OUT(44) OUT(0) OUT(1) OUT(0) REC(3,1,8,0) ANSWERED",
	      NULL);
	check("{\"steps\": [\"headers\", \"emptyStdout\", \"end\"]}", "", 0,
	      "OUT(18) OUT(0) REC(3,1,8,0) ANSWERED", NULL);
	check("{\"steps\": [\"response\", {\"stdout\": \"late\"}, "
	      "\"duplicateEnd\", \"emptyStderr\"]}",
	      "", 0,
	      "OUT(18) OUT(0) REC(3,1,8,0) ANSWERED OUT(4) REC(3,1,8,0) "
	      "ERR(0)",
	      NULL);
	check("{\"steps\": [{\"stderr\": \"e\"}, \"end\"]}", "", 0,
	      "ERR(1) OUT(0) ERR(0) REC(3,1,8,0) ANSWERED", NULL);
	check("{\"steps\": [\"headers\"]}", "", 0, "OUT(18)", NULL);
	check("{\"steps\": [\"neverAnswer\", \"response\"]}", "", 0, "HANG",
	      NULL);
}

static void test_mock_play_framing(void **state)
{
	(void)state;
	check("{\"body\": \"b\", \"steps\": [{\"recordSize\": 5}, "
	      "{\"padding\": 3}, {\"requestId\": 9}, {\"version\": 2}]}",
	      "", 0,
	      "OUT(44/5%3#9v2) OUT(1/5%3#9v2) OUT(0/5%3#9v2) "
	      "REC(3,9,8,3,v2) ANSWERED",
	      NULL);
	check("{\"steps\": [{\"padding\": 0}, \"response\"]}", "", 0,
	      "OUT(18%0) OUT(0%0) REC(3,1,8,0) ANSWERED", NULL);
	check("{\"steps\": [{\"record\": {\"type\": 99, \"content\": \"abc\", "
	      "\"padding\": 1, \"requestId\": 4}}, \"unknownType\", "
	      "{\"unknownType\": 255}]}",
	      "", 0,
	      "REC(99,4,3,1) REC(12,1,0,0) REC(255,1,0,0) OUT(18) OUT(0) "
	      "REC(3,1,8,0) ANSWERED",
	      NULL);
}

static void test_mock_play_headers(void **state)
{
	struct mock_play p;

	(void)state;
	check("{\"body\": \"b\", \"steps\": [\"noHeaders\"]}", "", 0,
	      "OUT(1) OUT(0) REC(3,1,8,0) ANSWERED", NULL);
	check("{\"body\": \"four\", \"steps\": [{\"contentLength\": -1}]}", "",
	      0, "OUT(63) OUT(4) OUT(0) REC(3,1,8,0) ANSWERED", &p);
	assert_step_text(&p, 0,
			 "Status: 200 OK\r\nContent-Type: text/plain\r\n"
			 "Content-Length: 3\r\n\r\n");
	mock_play_free(&p);
	check("{\"steps\": [\"bigHeaders\"]}", "", 0,
	      "OUT(70028) OUT(0) REC(3,1,8,0) ANSWERED", &p);
	assert_memory_equal(p.play.steps[0].data + 16, "X-Fill: xxx", 11);
	mock_play_free(&p);
}

static void test_mock_play_connection(void **state)
{
	struct mock_play p;

	(void)state;
	check("{\"steps\": [\"headers\", \"reset\", \"body\"]}", "", 0,
	      "OUT(18) RESET", NULL);
	check("{\"steps\": [\"closeWithoutReading\"]}", "", 0, "RESET", NULL);
	check("{\"steps\": [{\"closeMidRecord\": {\"announce\": 50, "
	      "\"send\": 5}}]}",
	      "", 0, "RAW(13) CLOSE", &p);
	assert_memory_equal(p.play.steps[0].data,
			    "\x01\x06\x00\x01\x00\x32\x06\x00"
			    "01234",
			    13);
	mock_play_free(&p);
	check("{\"steps\": [{\"garbage\": 100}, \"response\"]}", "", 3,
	      "RAW(100) OUT(18) OUT(0) REC(3,1,8,0) ANSWERED", &p);
	assert_int_not_equal(p.play.steps[0].data[0], 1);
	mock_play_free(&p);
	check("{\"steps\": [{\"garbage\": \"${A}z\"}]}", "", 3,
	      "RAW(2) OUT(18) OUT(0) REC(3,1,8,0) ANSWERED", &p);
	assert_step_text(&p, 0, "1z");
	mock_play_free(&p);
}

static void test_mock_play_timing(void **state)
{
	struct fcgi_mock_plan *pl;
	struct mock_req r = req("");
	struct mock_play p;
	struct mock_rng rng;
	double sum = 0;
	uint64_t lo = UINT64_MAX, hi = 0;

	(void)state;
	check("{\"steps\": [{\"drip\": {\"bytes\": 3, \"everyMs\": 7}}, "
	      "{\"bandwidth\": 1000}, {\"splitWrites\": 2}, "
	      "{\"onAbort\": \"ignore\"}, {\"onAbort\": {\"lateMs\": 40}}, "
	      "{\"onAbort\": \"stop\"}, \"neverAnswer\"]}",
	      "", 0,
	      "PACE(3,7,0) PACE(0,0,1000) PACE(2,0,0) ABORT(1,0) ABORT(2,40) "
	      "ABORT(0,0) HANG",
	      NULL);
	/* Uniform delays stay in range; the same seed repeats them. */
	pl = plan_of("{\"steps\": [{\"delay\": {\"uniform\": [10, 20]}}]}");
	mock_rng_seed(&rng, 42);
	for (int i = 0; i < 200; i++) {
		assert_int_equal(mock_play_build(&p, &pl->routes[0].resp[0], &r,
						 1, &rng),
				 0);
		assert_int_equal(p.play.steps[0].op, FCGI_MOCK_DELAY);
		if (p.play.steps[0].ms < lo)
			lo = p.play.steps[0].ms;
		if (p.play.steps[0].ms > hi)
			hi = p.play.steps[0].ms;
		mock_play_free(&p);
	}
	assert_true(lo >= 10 && hi <= 20 && lo < 13 && hi > 17);
	fcgi_mock_plan_free(pl);
	/* Log-normal: the median holds about half the draws below it. */
	pl = plan_of("{\"steps\": [{\"delay\": {\"logNormal\": {\"median\": "
		     "100, \"sigma\": 0.5}}}]}");
	mock_rng_seed(&rng, 1);
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(mock_play_build(&p, &pl->routes[0].resp[0], &r,
						 1, &rng),
				 0);
		sum += p.play.steps[0].ms < 100 ? 1 : 0;
		mock_play_free(&p);
	}
	assert_true(sum > 430 && sum < 570);
	fcgi_mock_plan_free(pl);
	check("{\"steps\": [{\"delay\": {\"logNormal\": {\"median\": 100, "
	      "\"sigma\": 0.5}}}, \"neverAnswer\"]}",
	      "", 5, "DELAY(72) HANG", NULL);
	check("{\"steps\": [{\"delay\": {\"logNormal\": {\"median\": 100, "
	      "\"sigma\": 0.5}}}, \"neverAnswer\"]}",
	      "", 5, "DELAY(72) HANG", NULL);
}

/* probability and firstN decide whether a step takes effect. */
static void test_mock_play_chance(void **state)
{
	struct fcgi_mock_plan *pl;
	struct mock_req r = req("");
	struct mock_play p;
	struct mock_rng rng;
	int fired = 0;

	(void)state;
	check("{\"steps\": [{\"close\": true, \"probability\": 0}]}", "", 0,
	      "OUT(18) OUT(0) REC(3,1,8,0) ANSWERED", NULL);
	check("{\"steps\": [{\"close\": true, \"probability\": 1}]}", "", 0,
	      "CLOSE", NULL);
	pl = plan_of("{\"steps\": [{\"close\": true, \"firstN\": 2}]}");
	mock_rng_seed(&rng, 0);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(mock_play_build(&p, &pl->routes[0].resp[0], &r,
						 1, &rng),
				 0);
		assert_int_equal(p.play.steps[0].op,
				 i < 2 ? FCGI_MOCK_CLOSE : FCGI_MOCK_STREAM);
		if (i < 2) {
			assert_int_equal(p.nfaults, 1);
			assert_string_equal(p.faults[0], "close");
		} else {
			assert_int_equal(p.nfaults, 0);
		}
		mock_play_free(&p);
	}
	fcgi_mock_plan_free(pl);
	pl = plan_of("{\"steps\": [{\"reset\": true, \"probability\": 0.3}]}");
	mock_rng_seed(&rng, 9);
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(mock_play_build(&p, &pl->routes[0].resp[0], &r,
						 1, &rng),
				 0);
		fired += p.play.steps[0].op == FCGI_MOCK_RESET;
		mock_play_free(&p);
	}
	assert_true(fired > 250 && fired < 350);
	fcgi_mock_plan_free(pl);
}

static void test_mock_play_delegate(void **state)
{
	(void)state;
	check("{\"fn\": \"builtin:echo\"}", "", 0, "FN(builtin:echo)", NULL);
	check("{\"exec\": \"/srv/x.cgi\"}", "", 0, "EXEC(/srv/x.cgi)", NULL);
}

static int setup(void **state)
{
	(void)state;
	fcgi_params_init(&params, NULL);
	fcgi_params_add(&params, "A", 1, "1", 1);
	fcgi_params_add(&params, "SCRIPT_NAME", 11, "/x.php", 6);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fcgi_params_fini(&params);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mock_play_plain),
		cmocka_unit_test(test_mock_play_refusal),
		cmocka_unit_test(test_mock_play_parts),
		cmocka_unit_test(test_mock_play_framing),
		cmocka_unit_test(test_mock_play_headers),
		cmocka_unit_test(test_mock_play_connection),
		cmocka_unit_test(test_mock_play_timing),
		cmocka_unit_test(test_mock_play_chance),
		cmocka_unit_test(test_mock_play_delegate),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
