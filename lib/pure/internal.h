/* SPDX-License-Identifier: MIT */
/* internal.h - declarations shared inside lib/, never installed. */
#ifndef FCGI_INTERNAL_H
#define FCGI_INTERNAL_H

#include "fcgi.h"

#define FCGI_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Eight bytes at a time (the JSON writer's and the text renderer's string
 * scans): x is eight bytes loaded with memcpy, in either byte order. */
#define FCGI_ONES 0x0101010101010101ULL
#define FCGI_HIGHS 0x8080808080808080ULL

/* Nonzero exactly when some byte of x is below n (n at most 0x80). */
static inline uint64_t fcgi_word_below(uint64_t x, uint8_t n)
{
	return (x - n * FCGI_ONES) & ~x & FCGI_HIGHS;
}

/* Nonzero exactly when some byte of x is c. */
static inline uint64_t fcgi_word_has(uint64_t x, uint8_t c)
{
	return fcgi_word_below(x ^ (c * FCGI_ONES), 1);
}

/* A { value, "NAME" } table ending in { 0, NULL } (after tcpdump's tok). */
struct fcgi_tok {
	unsigned value;
	const char *name;
};

const char *fcgi_tok_name(const struct fcgi_tok *t, unsigned value);
int fcgi_tok_lookup(const struct fcgi_tok *t, const char *name);

/* Severity of each violation code (the table lives in proto.c). */
enum fcgi_severity fcgi_vcode_severity(enum fcgi_vcode code);

/* One stored pair of struct fcgi_params: offsets into store. */
struct fcgi_params_ent {
	size_t name_off, name_len;
	size_t value_off, value_len;
};

#endif
