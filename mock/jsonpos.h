/* SPDX-License-Identifier: MIT */
/*
 * jsonpos.h - where each value of a cJSON tree sits in the text it was
 * parsed from.  cJSON keeps no positions, so this walks the text again
 * along the tree (the text is known to be valid JSON by then) and records
 * the byte offset of every value and of every object member's key, so
 * that a script's errors can name a line and a column.
 */
#ifndef FCGI_MOCK_JSONPOS_H
#define FCGI_MOCK_JSONPOS_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

struct jpos_ent;

struct jpos {
	struct jpos_ent *ent; /* sorted by node address */
	size_t n, cap;
	size_t end;  /* offset just past the root value */
	bool desync; /* the text did not follow the tree: no positions */
};

/*
 * Build the map of root, which cJSON parsed from text[0..len) (a UTF-8
 * byte order mark at the start is skipped, as cJSON does).  0, or -1 when
 * memory runs out.  Should the text not follow the tree, desync is set
 * and every lookup gives 0, the start of the text.
 */
int jpos_build(struct jpos *m, const char *text, size_t len, const cJSON *root);
void jpos_free(struct jpos *m);
/* The offset of node's value, and of its key when it is an object member
 * (else its value's); 0 for a node that is not in the map. */
size_t jpos_value(const struct jpos *m, const cJSON *node);
size_t jpos_key(const struct jpos *m, const cJSON *node);
/* Whether node is a string whose text holds the escape \u0000, which
 * cJSON cuts the string at. */
bool jpos_has_nul(const struct jpos *m, const cJSON *node);
/* The same for node's key. */
bool jpos_key_has_nul(const struct jpos *m, const cJSON *node);

/* 1-based line and column (in bytes) of offset off in text[0..len). */
void jpos_line_col(const char *text, size_t len, size_t off, unsigned *line,
		   unsigned *col);

#endif
