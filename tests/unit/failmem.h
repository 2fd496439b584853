/* SPDX-License-Identifier: MIT */
/*
 * failmem.h - a struct fcgi_mem for tests that fails the n-th allocation
 * and counts what is live, so an allocation-failure sweep can check both
 * that every API returns FCGI_ENOMEM and that nothing leaks.
 */
#ifndef FCGI_TEST_FAILMEM_H
#define FCGI_TEST_FAILMEM_H

#include <stddef.h>

#include "fcgi.h"

struct failmem {
	struct fcgi_mem mem; /* pass &f->mem to the code under test */
	long fail_at;	     /* 0-based allocation that fails; -1: none */
	long calls;	     /* allocations (malloc, growing realloc) so far */
	long failed;	     /* allocations refused */
	long live;	     /* blocks not yet freed */
	size_t live_bytes;
	size_t peak_bytes;
};

/* Set up f to fail allocation number fail_at (0 is the first), or never
 * when fail_at is negative. */
void failmem_init(struct failmem *f, long fail_at);

/* Run fn(arg, mem) for fail_at = 0, 1, ... until a run makes no failed
 * allocation (at most max_runs runs).  fn must return 0 when it
 * succeeded, FCGI_ENOMEM when it saw the failure, and free everything.
 * Returns the number of runs in which an allocation was refused, or -1 if
 * a run returned anything else, leaked a block, or max_runs was hit.
 * *why (may be NULL) gets a line for the first problem. */
long failmem_sweep(int (*fn)(void *arg, const struct fcgi_mem *mem), void *arg,
		   long max_runs, char *why, size_t whylen);

#endif
