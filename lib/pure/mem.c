/* SPDX-License-Identifier: MIT */
/* mem.c - the allocator hook; NULL means the C library's. */
#include <stdlib.h>

#include "internal.h"

void *fcgi_mem_malloc(const struct fcgi_mem *mem, size_t size)
{
	if (mem != NULL && mem->malloc != NULL)
		return mem->malloc(size, mem->ud);
	return malloc(size);
}

void *fcgi_mem_realloc(const struct fcgi_mem *mem, void *ptr, size_t size)
{
	if (mem != NULL && mem->realloc != NULL)
		return mem->realloc(ptr, size, mem->ud);
	return realloc(ptr, size);
}

void fcgi_mem_free(const struct fcgi_mem *mem, void *ptr)
{
	if (ptr == NULL)
		return;
	if (mem != NULL && mem->free != NULL)
		mem->free(ptr, mem->ud);
	else
		free(ptr);
}
