/* SPDX-License-Identifier: MIT */
/* buf.c - a bounded growable byte buffer. */
#include <string.h>

#include "internal.h"

void fcgi_buf_init(struct fcgi_buf *b, const struct fcgi_mem *mem, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
	b->mem = mem;
}

int fcgi_buf_reserve(struct fcgi_buf *b, size_t n)
{
	size_t want, cap;
	uint8_t *p;

	if (n > SIZE_MAX - b->len)
		return FCGI_ELIMIT;
	want = b->len + n;
	if (b->max != 0 && want > b->max)
		return FCGI_ELIMIT;
	if (want <= b->cap)
		return 0;
	cap = b->cap != 0 ? b->cap : 64;
	while (cap < want)
		cap = cap > SIZE_MAX / 2 ? want : cap * 2;
	if (b->max != 0 && cap > b->max)
		cap = b->max;
	p = fcgi_mem_realloc(b->mem, b->data, cap);
	if (p == NULL)
		return FCGI_ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int fcgi_buf_append(struct fcgi_buf *b, const void *p, size_t n)
{
	int rc;

	if (n == 0)
		return 0;
	rc = fcgi_buf_reserve(b, n);
	if (rc != 0)
		return rc;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int fcgi_buf_append_u8(struct fcgi_buf *b, uint8_t v)
{
	return fcgi_buf_append(b, &v, 1);
}

void fcgi_buf_consume(struct fcgi_buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

void fcgi_buf_reset(struct fcgi_buf *b)
{
	b->len = 0;
}

void fcgi_buf_fini(struct fcgi_buf *b)
{
	fcgi_mem_free(b->mem, b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}
