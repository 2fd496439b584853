/* SPDX-License-Identifier: MIT */
/*
 * conform-suite.c - running the chosen cases against a target: each case
 * once per split mode, the probe after each run, the worst run as the
 * case's grade, then the baseline and --strict.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "conform-suite.h"

/* FNV-1a of a case id: each case gets its own random pieces. */
static uint64_t id_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* One run of case k; the verdict in v.  false when the target looks
 * dead (neither the case nor two probes could reach it). */
static bool run_once(const struct cf_suite_opts *so, const struct cf_case *k,
		     const struct cf_ctx *ctx, unsigned split,
		     struct cf_verdict *v)
{
	struct cf_outcome o;
	struct cf_script s;
	char err[240];
	bool alive = true;

	cf_script_init(&s, ctx);
	k->build(&s);
	cf_outcome_init(&o);
	if (s.err != 0) {
		memset(v, 0, sizeof(*v));
		v->grade = CF_FAIL;
		snprintf(v->expected, sizeof(v->expected), "a case to run");
		snprintf(v->got, sizeof(v->got),
			 "the case could not be built: %s",
			 fcgi_strerror(s.err));
	} else if (cf_run_script(&so->run, &s, split,
				 so->run.seed ^ id_hash(k->id), &o, err,
				 sizeof(err)) != 0) {
		memset(v, 0, sizeof(*v));
		v->grade = CF_FAIL;
		snprintf(v->expected, sizeof(v->expected),
			 "a connection to the target");
		snprintf(v->got, sizeof(v->got), "%s", err);
		alive = false;
	} else {
		if (so->run.probe) {
			o.probe_run = true;
			o.probe_ok = cf_probe(&so->run, ctx, o.probe_got,
					      sizeof(o.probe_got));
		}
		cf_judge(v, k, &s, &o);
		if (o.probe_run && !o.probe_ok)
			alive = false;
	}
	cf_outcome_fini(&o);
	cf_script_fini(&s);
	if (!alive) {
		/* A server restarting a worker may need a moment. */
		pause_ms(1000);
		alive = cf_probe(&so->run, ctx, err, sizeof(err));
	}
	return alive;
}

void cf_result_settle(struct cf_result *r, const struct cf_baseline *b,
		      bool strict)
{
	const struct cf_baseline_entry *e = NULL;

	r->grade = r->raw;
	if (b != NULL)
		e = cf_baseline_find(b, r->k->id);
	if (e != NULL) {
		if ((r->raw == CF_WARN || r->raw == CF_FAIL) &&
		    r->raw <= e->grade) {
			r->grade = CF_SKIP;
			r->note = e->grade == CF_FAIL
					  ? "known failure, in the baseline"
					  : "known warning, in the baseline";
			return;
		}
		if (r->raw <= CF_INFO)
			r->note = "in the baseline, but passes now";
	}
	if (strict && r->grade == CF_WARN) {
		r->grade = CF_FAIL;
		r->note = "a warning, failed by --strict";
	}
}

static void run_case(const struct cf_suite_opts *so, const struct cf_case *k,
		     const struct cf_ctx *ctx, struct cf_result *r, bool *dead)
{
	static const unsigned order[] = { SPLIT_WHOLE, SPLIT_BYTES,
					  SPLIT_RANDOM };
	struct cf_verdict v;
	unsigned i, worst = 0;
	bool alive;

	for (i = 0; i < 3; i++) {
		if (!(so->splits & order[i]))
			continue;
		if ((k->flags & CF_ONCE) && r->nrun > 0)
			break;
		alive = run_once(so, k, ctx, order[i], &v);
		if (r->nrun == 0)
			memcpy(r->expected, v.expected, sizeof(r->expected));
		r->run[r->nrun].split = cf_split_name(order[i]);
		r->run[r->nrun].grade = v.grade;
		memcpy(r->run[r->nrun].got, v.got, sizeof(r->run[0].got));
		if (v.grade > r->run[worst].grade)
			worst = r->nrun;
		r->nrun++;
		if (!alive) {
			*dead = true;
			break;
		}
	}
	r->raw = r->run[worst].grade;
	memcpy(r->got, r->run[worst].got, sizeof(r->got));
	/* Name the writes when they made the difference. */
	if (worst > 0 && r->run[worst].grade != r->run[0].grade)
		r->split = r->run[worst].split;
}

int cf_suite_run(const struct cf_suite_opts *so, const struct cf_ctx *ctx,
		 struct cf_out *out, unsigned counts[5])
{
	const struct cf_case *all;
	const char *why, *dead_after = NULL;
	struct cf_result r;
	size_t n, i, chosen = 0;
	bool dead = false;
	uint64_t t0;

	memset(counts, 0, 5 * sizeof(counts[0]));
	all = cf_cases(&n);
	for (i = 0; i < n; i++)
		if (cf_suite_chosen(so, all[i].id))
			chosen++;
	cf_out_begin(out, chosen, ctx, so->run.target, so->profile);
	for (i = 0; i < n; i++) {
		if (!cf_suite_chosen(so, all[i].id))
			continue;
		memset(&r, 0, sizeof(r));
		r.k = &all[i];
		why = cf_case_skip_reason(&all[i], ctx);
		if (dead) {
			r.raw = CF_SKIP;
			snprintf(r.got, sizeof(r.got),
				 "the target stopped answering after %s",
				 dead_after);
		} else if (why != NULL) {
			r.raw = CF_SKIP;
			snprintf(r.got, sizeof(r.got), "%s", why);
		} else {
			t0 = now_ms();
			run_case(so, &all[i], ctx, &r, &dead);
			r.ms = now_ms() - t0;
			if (dead)
				dead_after = all[i].id;
		}
		cf_result_settle(&r, so->baseline, so->strict);
		counts[r.grade]++;
		cf_out_result(out, &r);
	}
	cf_out_end(out, counts);
	return 0;
}

bool cf_suite_chosen(const struct cf_suite_opts *so, const char *id)
{
	if (so->only != NULL && so->only->n > 0 &&
	    !cf_patterns_match(so->only, id))
		return false;
	return so->skip == NULL || !cf_patterns_match(so->skip, id);
}
