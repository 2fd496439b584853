/* SPDX-License-Identifier: MIT */
/* conform-suite.h - running the chosen cases against a target. */
#ifndef FCGITOOL_CONFORM_SUITE_H
#define FCGITOOL_CONFORM_SUITE_H

#include "conform-out.h"
#include "conform.h"

struct cf_suite_opts {
	struct cf_run_opts run;
	unsigned splits; /* SPLIT_* bits */
	bool strict;	 /* warn fails */
	const struct cf_baseline *baseline;
	const struct cf_pattern_list *only, *skip;
	const char *profile;
};

/* The baseline b (may be NULL) and strict applied to r->raw, giving
 * r->grade and r->note. */
void cf_result_settle(struct cf_result *r, const struct cf_baseline *b,
		      bool strict);
/* 1 if --only and --skip choose the case with this id. */
bool cf_suite_chosen(const struct cf_suite_opts *so, const char *id);
/* Run the chosen cases against so->run.target, writing each result to
 * out; counts[grade] gets how many cases got each grade.  0. */
int cf_suite_run(const struct cf_suite_opts *so, const struct cf_ctx *ctx,
		 struct cf_out *out, unsigned counts[5]);

#endif
