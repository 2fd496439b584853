/* SPDX-License-Identifier: MIT */
/*
 * cursor.h - the one bounds-checked byte reader.  Every helper checks that
 * n bytes remain (by subtraction, never by adding to a pointer) before it
 * reads, moves the cursor only on success, and returns 0 or a negative
 * FCGI_E* code.
 */
#ifndef FCGI_CURSOR_H
#define FCGI_CURSOR_H

#include "fcgi.h"

struct fcgi_cursor {
	const uint8_t *p;
	const uint8_t *end;
};

static inline void cur_init(struct fcgi_cursor *c, const uint8_t *p, size_t n)
{
	c->p = p;
	c->end = p + n;
}

static inline size_t cur_left(const struct fcgi_cursor *c)
{
	return (size_t)(c->end - c->p);
}

static inline int cur_u8(struct fcgi_cursor *c, uint8_t *v)
{
	if (cur_left(c) < 1)
		return FCGI_EPARTIAL;
	*v = c->p[0];
	c->p++;
	return 0;
}

static inline int cur_be16(struct fcgi_cursor *c, uint16_t *v)
{
	if (cur_left(c) < 2)
		return FCGI_EPARTIAL;
	*v = (uint16_t)((unsigned)c->p[0] << 8 | c->p[1]);
	c->p += 2;
	return 0;
}

static inline int cur_be32(struct fcgi_cursor *c, uint32_t *v)
{
	if (cur_left(c) < 4)
		return FCGI_EPARTIAL;
	*v = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 |
	     (uint32_t)c->p[2] << 8 | (uint32_t)c->p[3];
	c->p += 4;
	return 0;
}

/* A view of the next n bytes. */
static inline int cur_bytes(struct fcgi_cursor *c, size_t n,
			    const uint8_t **view)
{
	if (cur_left(c) < n)
		return FCGI_EPARTIAL;
	*view = c->p;
	c->p += n;
	return 0;
}

static inline int cur_skip(struct fcgi_cursor *c, size_t n)
{
	if (cur_left(c) < n)
		return FCGI_EPARTIAL;
	c->p += n;
	return 0;
}

/*
 * FastCGI 1.0, 3.4: a name or value length is one byte when below 128,
 * otherwise four bytes, big-endian, with the top bit set (31 bits).  This
 * is the only place that decodes it.
 */
static inline int cur_nvlen(struct fcgi_cursor *c, uint32_t *len)
{
	uint32_t v;

	if (cur_left(c) < 1)
		return FCGI_EPARTIAL;
	if ((c->p[0] & 0x80) == 0) {
		*len = c->p[0];
		c->p++;
		return 0;
	}
	if (cur_be32(c, &v) != 0)
		return FCGI_EPARTIAL;
	*len = v & 0x7fffffffu;
	return 0;
}

#endif
