/* SPDX-License-Identifier: MIT */
/* jsonpos.c - byte offsets of the values of a cJSON tree in its text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonpos.h"

struct jpos_ent {
	const cJSON *node;
	size_t value, key;
	bool nul, key_nul;
};

struct walk {
	const char *t;
	size_t len, p;
	struct jpos *m;
	bool bad, nomem;
};

/* cJSON skips every byte up to and including the space as white space. */
static void skip_ws(struct walk *w)
{
	while (w->p < w->len && (unsigned char)w->t[w->p] <= 32)
		w->p++;
}

static bool expect(struct walk *w, char c)
{
	skip_ws(w);
	if (w->p >= w->len || w->t[w->p] != c) {
		w->bad = true;
		return false;
	}
	w->p++;
	return true;
}

/* Step over a string at w->p; true when it holds the escape \u0000. */
static bool skip_string(struct walk *w)
{
	bool nul = false;

	if (w->p >= w->len || w->t[w->p] != '"') {
		w->bad = true;
		return false;
	}
	for (w->p++; w->p < w->len && w->t[w->p] != '"'; w->p++) {
		if (w->t[w->p] != '\\')
			continue;
		if (w->len - w->p >= 6 &&
		    memcmp(w->t + w->p, "\\u0000", 6) == 0)
			nul = true;
		w->p++; /* the escaped byte; a \uXXXX's digits are plain */
	}
	if (w->p >= w->len)
		w->bad = true;
	else
		w->p++;
	return nul;
}

static int add(struct walk *w, const cJSON *node, size_t value, size_t key,
	       bool nul, bool key_nul)
{
	struct jpos *m = w->m;
	struct jpos_ent *e;
	size_t cap;

	if (m->n == m->cap) {
		cap = m->cap ? m->cap * 2 : 64;
		e = reallocarray(m->ent, cap, sizeof(*e));
		if (e == NULL)
			return -1;
		m->ent = e;
		m->cap = cap;
	}
	m->ent[m->n].node = node;
	m->ent[m->n].value = value;
	m->ent[m->n].key = key;
	m->ent[m->n].nul = nul;
	m->ent[m->n].key_nul = key_nul;
	m->n++;
	return 0;
}

/* Walk the value node at w->p; key is its key's offset (or the value's).
 * cJSON's tree depth is bounded (CJSON_NESTING_LIMIT), so is this. */
static void walk(struct walk *w, const cJSON *node, size_t key, bool has_key,
		 bool key_nul)
{
	const cJSON *kid;
	size_t at, kpos;
	bool nul = false, knul;

	skip_ws(w);
	at = w->p;
	if (w->bad || at >= w->len) {
		w->bad = true;
		return;
	}
	if (cJSON_IsObject(node) || cJSON_IsArray(node)) {
		if (add(w, node, at, has_key ? key : at, false, key_nul) != 0) {
			w->bad = true;
			return;
		}
		if (!expect(w, cJSON_IsObject(node) ? '{' : '['))
			return;
		for (kid = node->child; kid != NULL && !w->bad;
		     kid = kid->next) {
			if (kid != node->child && !expect(w, ','))
				return;
			if (cJSON_IsObject(node)) {
				skip_ws(w);
				kpos = w->p;
				knul = skip_string(w);
				if (!expect(w, ':'))
					return;
				walk(w, kid, kpos, true, knul);
			} else {
				walk(w, kid, 0, false, false);
			}
		}
		(void)expect(w, cJSON_IsObject(node) ? '}' : ']');
		return;
	}
	if (cJSON_IsString(node)) {
		nul = skip_string(w);
	} else if (cJSON_IsNumber(node)) {
		/* The bytes cJSON's parse_number gathers. */
		while (w->p < w->len && strchr("0123456789+-eE.", w->t[w->p]) &&
		       w->t[w->p] != '\0')
			w->p++;
	} else if (cJSON_IsTrue(node) || cJSON_IsNull(node)) {
		w->p += w->len - w->p >= 4 ? 4 : w->len - w->p;
	} else if (cJSON_IsFalse(node)) {
		w->p += w->len - w->p >= 5 ? 5 : w->len - w->p;
	} else {
		w->bad = true;
		return;
	}
	if (w->p == at)
		w->bad = true;
	else if (add(w, node, at, has_key ? key : at, nul, key_nul) != 0)
		w->bad = w->nomem = true;
}

static int cmp_ent(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct jpos_ent *)a)->node;
	uintptr_t y = (uintptr_t)((const struct jpos_ent *)b)->node;

	return x < y ? -1 : x > y;
}

int jpos_build(struct jpos *m, const char *text, size_t len, const cJSON *root)
{
	struct walk w;

	memset(m, 0, sizeof(*m));
	memset(&w, 0, sizeof(w));
	w.t = text;
	w.len = len;
	w.m = m;
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		w.p = 3;
	walk(&w, root, 0, false, false);
	m->end = w.p;
	if (w.nomem) {
		m->n = 0;
		return -1;
	}
	if (w.bad) {
		m->n = 0;
		m->desync = true;
		m->end = len;
		return 0;
	}
	qsort(m->ent, m->n, sizeof(*m->ent), cmp_ent);
	return 0;
}

void jpos_free(struct jpos *m)
{
	free(m->ent);
	memset(m, 0, sizeof(*m));
}

static const struct jpos_ent *find(const struct jpos *m, const cJSON *node)
{
	struct jpos_ent key;

	if (m->n == 0 || node == NULL)
		return NULL;
	key.node = node;
	return bsearch(&key, m->ent, m->n, sizeof(*m->ent), cmp_ent);
}

size_t jpos_value(const struct jpos *m, const cJSON *node)
{
	const struct jpos_ent *e = find(m, node);

	return e != NULL ? e->value : 0;
}

size_t jpos_key(const struct jpos *m, const cJSON *node)
{
	const struct jpos_ent *e = find(m, node);

	return e != NULL ? e->key : 0;
}

bool jpos_has_nul(const struct jpos *m, const cJSON *node)
{
	const struct jpos_ent *e = find(m, node);

	return e != NULL && e->nul;
}

bool jpos_key_has_nul(const struct jpos *m, const cJSON *node)
{
	const struct jpos_ent *e = find(m, node);

	return e != NULL && e->key_nul;
}

void jpos_line_col(const char *text, size_t len, size_t off, unsigned *line,
		   unsigned *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off && i < len; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}
