/* SPDX-License-Identifier: MIT */
/* conform-out.h - conform's output formats and the catalogue. */
#ifndef FCGITOOL_CONFORM_OUT_H
#define FCGITOOL_CONFORM_OUT_H

#include <stdio.h>

#include "conform.h"

enum cf_format {
	CF_FMT_TEXT,
	CF_FMT_TAP,
	CF_FMT_JUNIT,
	CF_FMT_JSON,
	CF_FMT_BASELINE,
	CF_FMT_MAN
};

struct cf_out;

/* An output on f (borrowed) in fmt; NULL when memory runs out. */
struct cf_out *cf_out_new(FILE *f, enum cf_format fmt);
void cf_out_free(struct cf_out *o);
/* Before the first result: n cases will follow. */
void cf_out_begin(struct cf_out *o, size_t n, const struct cf_ctx *ctx,
		  const char *target, const char *profile);
void cf_out_result(struct cf_out *o, const struct cf_result *r);
/* counts[grade]: how many cases got each grade. */
void cf_out_end(struct cf_out *o, const unsigned counts[5]);

/* The catalogue (--list) of the chosen cases (the --client ones when
 * client) as text or JSON lines, or the whole catalogue, both kinds, as a
 * man page; what is sent is shown for ctx.  0, or -1 when memory runs
 * out. */
int cf_list(FILE *f, enum cf_format fmt, const struct cf_ctx *ctx, bool client,
	    const struct cf_pattern_list *only,
	    const struct cf_pattern_list *skip);

#endif
