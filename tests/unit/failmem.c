/* SPDX-License-Identifier: MIT */
/* failmem.c - an allocator that fails on request and counts live blocks. */
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failmem.h"

/* Each block carries its size in front, so live bytes can be counted. */
#define PREFIX alignof(max_align_t)

static int refuse(struct failmem *f)
{
	long n = f->calls++;

	if (f->fail_at >= 0 && n == f->fail_at) {
		f->failed++;
		return 1;
	}
	return 0;
}

static void account(struct failmem *f, size_t add, size_t sub)
{
	f->live_bytes = f->live_bytes - sub + add;
	if (f->live_bytes > f->peak_bytes)
		f->peak_bytes = f->live_bytes;
}

static void *fm_malloc(size_t size, void *ud)
{
	struct failmem *f = ud;
	unsigned char *p;

	if (refuse(f) || size > SIZE_MAX - PREFIX)
		return NULL;
	p = malloc(size + PREFIX);
	if (p == NULL)
		return NULL;
	memcpy(p, &size, sizeof(size));
	f->live++;
	account(f, size, 0);
	return p + PREFIX;
}

static void fm_free(void *ptr, void *ud)
{
	struct failmem *f = ud;
	unsigned char *p;
	size_t size;

	if (ptr == NULL)
		return;
	p = (unsigned char *)ptr - PREFIX;
	memcpy(&size, p, sizeof(size));
	f->live--;
	account(f, 0, size);
	free(p);
}

static void *fm_realloc(void *ptr, size_t size, void *ud)
{
	struct failmem *f = ud;
	unsigned char *p, *q;
	size_t old;

	if (ptr == NULL)
		return fm_malloc(size, ud);
	if (refuse(f) || size > SIZE_MAX - PREFIX)
		return NULL;
	p = (unsigned char *)ptr - PREFIX;
	memcpy(&old, p, sizeof(old));
	q = realloc(p, size + PREFIX);
	if (q == NULL)
		return NULL;
	memcpy(q, &size, sizeof(size));
	account(f, size, old);
	return q + PREFIX;
}

void failmem_init(struct failmem *f, long fail_at)
{
	memset(f, 0, sizeof(*f));
	f->mem.malloc = fm_malloc;
	f->mem.realloc = fm_realloc;
	f->mem.free = fm_free;
	f->mem.ud = f;
	f->fail_at = fail_at;
}

long failmem_sweep(int (*fn)(void *arg, const struct fcgi_mem *mem), void *arg,
		   long max_runs, char *why, size_t whylen)
{
	struct failmem f;
	long n, hits = 0;
	int rc;

	for (n = 0; n < max_runs; n++) {
		failmem_init(&f, n);
		rc = fn(arg, &f.mem);
		if (f.live != 0) {
			if (why != NULL)
				snprintf(why, whylen,
					 "fail_at %ld: %ld blocks leaked", n,
					 f.live);
			return -1;
		}
		if (f.failed == 0) {
			if (rc != 0) {
				if (why != NULL)
					snprintf(why, whylen,
						 "fail_at %ld: no failure but "
						 "%d",
						 n, rc);
				return -1;
			}
			return hits;
		}
		if (rc != FCGI_ENOMEM) {
			if (why != NULL)
				snprintf(why, whylen,
					 "fail_at %ld: returned %d, not ENOMEM",
					 n, rc);
			return -1;
		}
		hits++;
	}
	if (why != NULL)
		snprintf(why, whylen, "still failing after %ld runs", max_runs);
	return -1;
}
