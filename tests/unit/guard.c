/* SPDX-License-Identifier: MIT */
/* guard.c - inputs that end against a PROT_NONE page. */
#include <sys/mman.h>

#include <string.h>
#include <unistd.h>

#include "guard.h"

uint8_t *guard_place(struct guard *g, const void *data, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t body = (len + page - 1) / page * page;
	void *m;

	memset(g, 0, sizeof(*g));
	if (body == 0)
		body = page;
	g->maplen = body + 2 * page;
	m = mmap(NULL, g->maplen, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	g->map = m;
	if (mprotect(g->map, page, PROT_NONE) != 0 ||
	    mprotect(g->map + page + body, page, PROT_NONE) != 0) {
		munmap(g->map, g->maplen);
		g->map = NULL;
		return NULL;
	}
	g->data = g->map + page + body - len;
	g->len = len;
	if (len > 0)
		memcpy(g->data, data, len);
	return g->data;
}

void guard_release(struct guard *g)
{
	if (g->map != NULL)
		munmap(g->map, g->maplen);
	g->map = NULL;
	g->data = NULL;
}
