/* SPDX-License-Identifier: MIT */
/*
 * fuzz-conform.c - libFuzzer target for what fcgitool conform parses: a
 * peer's answer to any case, and baseline files.
 *
 * Input: one byte choosing a case, one choosing how the answer ends (open,
 * closed, reset; bit 2: judge a baseline instead) and how it is cut, then
 * the bytes a hostile application sends.  The answer is fed to the outcome
 * after the case's own bytes, whole and in pieces, and judged; both must
 * give the same verdict.  Any crash, leak or mismatch is a finding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conform.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

/* Judge case k with answer in[0..n) cut into pieces of chunk bytes (0:
 * whole); the verdict goes to v. */
static void judge(const struct cf_case *k, const struct cf_ctx *ctx,
		  const uint8_t *in, size_t n, size_t chunk, enum cf_close how,
		  struct cf_verdict *v)
{
	struct cf_outcome o;
	struct cf_script s;
	size_t i, c;

	cf_script_init(&s, ctx);
	k->build(&s);
	cf_outcome_init(&o);
	if (s.err == 0 && cf_outcome_open(&o, 0) == 0) {
		for (i = 0; i < s.nsteps; i++)
			if (s.step[i].op == OP_SEND && s.step[i].conn == 0)
				cf_outcome_sent(&o, 0,
						s.bytes.data + s.step[i].off,
						s.step[i].len);
		for (i = 0; i < n; i += c) {
			c = chunk == 0 || chunk > n - i ? n - i : chunk;
			cf_outcome_recv(&o, 0, in + i, c);
		}
		if (how != CL_OPEN)
			cf_outcome_closed(&o, 0, how);
		o.step = (int)s.nsteps;
		cf_judge(v, k, &s, &o);
	} else {
		memset(v, 0, sizeof(*v));
	}
	cf_outcome_fini(&o);
	cf_script_fini(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cf_ctx ctx;
	static int ready;
	struct cf_verdict a, b;
	struct cf_baseline base;
	const struct cf_case *all;
	char err[200];
	size_t n, chunk;
	enum cf_close how;

	if (!ready) {
		cf_ctx_init(&ctx);
		ctx.echo = true;
		(void)fcgi_params_add(&ctx.base, "SCRIPT_FILENAME", 15,
				      "/conform", 8);
		ready = 1;
	}
	if (size < 2)
		return 0;
	if (data[1] & 4) {
		if (cf_baseline_parse(&base, (const char *)data + 2, size - 2,
				      err, sizeof(err)) == 0)
			cf_baseline_free(&base);
		else
			check(err[0] != '\0' && base.n == 0);
		return 0;
	}
	all = cf_cases(&n);
	/* Bulky cases build megabytes; the answer matters, not their size. */
	if (size > 4096)
		size = 4096;
	how = (data[1] & 3) == 1   ? CL_EOF
	      : (data[1] & 3) == 2 ? CL_RESET
				   : CL_OPEN;
	chunk = 1 + (data[1] >> 3);
	judge(&all[data[0] % n], &ctx, data + 2, size - 2, 0, how, &a);
	judge(&all[data[0] % n], &ctx, data + 2, size - 2, chunk, how, &b);
	check(a.grade == b.grade);
	check(strcmp(a.got, b.got) == 0);
	return 0;
}
