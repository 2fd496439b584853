/* SPDX-License-Identifier: MIT */
/*
 * mock.h - serve --mock's responder: a plan and the state that moves as
 * requests come (which response of a sequence is next, each scenario's
 * state, the firstN counters, the random numbers), the journal of every
 * request, and the verdict at exit (unmet expectations, unmatched
 * requests with the route that came closest and what differed).
 */
#ifndef FCGI_MOCK_MOCK_H
#define FCGI_MOCK_MOCK_H

#include "fcgi-uv.h"
#include "plan.h"

struct mock;

struct mock_opts {
	/* --record: one "journal" object per request (borrowed; may be
	 * NULL). */
	struct fcgi_render *journal;
	/* --trace: a "mock" note per request and per GET_VALUES answer
	 * (borrowed; may be NULL). */
	struct fcgi_render *trace;
	/* The seed: seed_given (--seed) wins over the script's "seed",
	 * which wins over seed as a fallback. */
	uint64_t seed;
	bool seed_given;
	uint64_t t0_ms; /* the loop's clock at start: ts 0 */
	/* After each request's end (e.g. to stop after --requests N). */
	void (*on_end)(void *arg, uint64_t requests);
	void *arg;
};

/* A mock on plan (taken).  0, FCGI_ENOMEM. */
int mock_new(struct mock **out, struct fcgi_mock_plan *plan,
	     const struct mock_opts *o);
/* Free m; only once no request it answers is left (the runner using it
 * is freed).  NULL is ignored. */
void mock_free(struct mock *m);
/* The responder to give fcgi_mock_runner_new (valid for m's life). */
const struct fcgi_mock_responder *mock_responder(struct mock *m);
/* Use plan (taken) from now on: requests already answered keep the old
 * one until they end; counters, states and the verdict start afresh. */
void mock_set_plan(struct mock *m, struct fcgi_mock_plan *plan);
/* The plan in use. */
const struct fcgi_mock_plan *mock_plan(const struct mock *m);
/* The seed in use. */
uint64_t mock_seed(const struct mock *m);
/* Requests ended so far. */
uint64_t mock_requests(const struct mock *m);

/*
 * The verdict: each unmet expectation and each unmatched request, one
 * line each to say(arg, line) and, when json is not NULL, one object
 * each (kinds "mockUnmet" and "mockUnmatched", fcgitool-trace(5)).
 * Returns how many there were.
 */
size_t mock_verdict(struct mock *m, void (*say)(void *arg, const char *line),
		    void *arg, struct fcgi_render *json);

/* How many unmatched requests are kept with their details; the rest
 * are counted. */
#define MOCK_UNMATCHED_KEPT 100

#endif
