/* SPDX-License-Identifier: MIT */
/*
 * guard.h - place test input right before an inaccessible page, so that a
 * decoder reading one byte past its input faults at once instead of
 * reading whatever follows in memory.
 */
#ifndef FCGI_TEST_GUARD_H
#define FCGI_TEST_GUARD_H

#include <stddef.h>
#include <stdint.h>

struct guard {
	uint8_t *map;
	size_t maplen;
	uint8_t *data; /* the copy; data + len is the first guarded byte */
	size_t len;
};

/* Copy data[0..len) so that it ends exactly where a PROT_NONE page
 * begins (a PROT_NONE page also precedes it).  Returns g->data, or NULL
 * if mapping failed. */
uint8_t *guard_place(struct guard *g, const void *data, size_t len);
void guard_release(struct guard *g);

#endif
