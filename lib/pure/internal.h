/* SPDX-License-Identifier: MIT */
/* internal.h - declarations shared inside lib/, never installed. */
#ifndef FCGI_INTERNAL_H
#define FCGI_INTERNAL_H

#include "fcgi.h"

#define FCGI_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

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
