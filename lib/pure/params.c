/* SPDX-License-Identifier: MIT */
/*
 * params.c - an ordered list of name-value byte strings, duplicates kept.
 *
 * Each pair's name and value lie back to back in store, and the pairs lie
 * in store in list order.  Keeping that order makes removal one linear
 * compaction pass with no allocation, so del cannot fail, and it keeps
 * store.len equal to the bytes the max_bytes limit speaks of.
 */
#include <string.h>

#include "internal.h"

/* Stands in for the bytes of empty strings, so views are never NULL. */
static const uint8_t empty_bytes[1];

void fcgi_params_init(struct fcgi_params *p, const struct fcgi_mem *mem)
{
	p->mem = mem;
	fcgi_buf_init(&p->store, mem, 0);
	p->ent = NULL;
	p->n = 0;
	p->cap = 0;
	p->max_bytes = 0;
	p->max_pairs = 0;
}

void fcgi_params_fini(struct fcgi_params *p)
{
	fcgi_buf_fini(&p->store);
	fcgi_mem_free(p->mem, p->ent);
	p->ent = NULL;
	p->n = 0;
	p->cap = 0;
}

void fcgi_params_clear(struct fcgi_params *p)
{
	fcgi_buf_reset(&p->store);
	p->n = 0;
}

size_t fcgi_params_count(const struct fcgi_params *p)
{
	return p->n;
}

/* Room for want entries in the entry array; 0 or FCGI_ENOMEM. */
static int reserve_ent(struct fcgi_params *p, size_t want)
{
	struct fcgi_params_ent *e;
	size_t cap;

	if (want <= p->cap)
		return 0;
	cap = p->cap != 0 ? p->cap : 16;
	while (cap < want) {
		if (cap > SIZE_MAX / 2 / sizeof(*e))
			return FCGI_ENOMEM;
		cap *= 2;
	}
	e = fcgi_mem_realloc(p->mem, p->ent, cap * sizeof(*e));
	if (e == NULL)
		return FCGI_ENOMEM;
	p->ent = e;
	p->cap = cap;
	return 0;
}

/* Whether entry i is named name[0..len). */
static int name_is(const struct fcgi_params *p, size_t i, const void *name,
		   size_t len)
{
	const struct fcgi_params_ent *e = &p->ent[i];

	return e->name_len == len &&
	       (len == 0 ||
		memcmp(p->store.data + e->name_off, name, len) == 0);
}

/* Bytes of name and value of entry i. */
static size_t ent_bytes(const struct fcgi_params_ent *e)
{
	return e->name_len + e->value_len;
}

/*
 * Check that the list may hold pairs - gone + 1 pairs of bytes - gbytes +
 * add bytes, and make room for them.  Returns 0, FCGI_ELIMIT or
 * FCGI_ENOMEM; on failure nothing changed.
 */
static int make_room(struct fcgi_params *p, size_t gone, size_t gbytes,
		     size_t add)
{
	size_t pairs = p->n - gone + 1;
	size_t bytes = p->store.len - gbytes;
	int rc;

	if (add > SIZE_MAX - bytes)
		return FCGI_ELIMIT;
	if ((p->max_pairs != 0 && pairs > p->max_pairs) ||
	    (p->max_bytes != 0 && bytes + add > p->max_bytes))
		return FCGI_ELIMIT;
	rc = reserve_ent(p, p->n + 1);
	if (rc != 0)
		return rc;
	return fcgi_buf_reserve(&p->store, add);
}

/*
 * Insert a pair as entry at (0..n), its bytes where that entry's bytes
 * begin.  Room was made by make_room(), so this cannot fail.
 */
static void insert_at(struct fcgi_params *p, size_t at, const void *name,
		      size_t name_len, const void *value, size_t value_len)
{
	size_t off = at < p->n ? p->ent[at].name_off : p->store.len;
	size_t add = name_len + value_len;
	struct fcgi_params_ent *e;
	size_t i;

	if (add > 0) {
		memmove(p->store.data + off + add, p->store.data + off,
			p->store.len - off);
		if (name_len > 0)
			memcpy(p->store.data + off, name, name_len);
		if (value_len > 0)
			memcpy(p->store.data + off + name_len, value,
			       value_len);
		p->store.len += add;
		for (i = at; i < p->n; i++) {
			p->ent[i].name_off += add;
			p->ent[i].value_off += add;
		}
	}
	memmove(p->ent + at + 1, p->ent + at, (p->n - at) * sizeof(*p->ent));
	e = &p->ent[at];
	e->name_off = off;
	e->name_len = name_len;
	e->value_off = off + name_len;
	e->value_len = value_len;
	p->n++;
}

int fcgi_params_add(struct fcgi_params *p, const void *name, size_t name_len,
		    const void *value, size_t value_len)
{
	struct fcgi_params_ent *e;
	int rc;

	if ((name_len > 0 && name == NULL) || (value_len > 0 && value == NULL))
		return FCGI_EINVAL;
	if (name_len > SIZE_MAX - value_len)
		return FCGI_ELIMIT;
	rc = make_room(p, 0, 0, name_len + value_len);
	if (rc != 0)
		return rc;
	/* At the end, as insert_at(p, p->n, ...) would put it, with nothing
	 * to move: every pair of every PARAMS record comes here. */
	e = &p->ent[p->n];
	e->name_off = p->store.len;
	e->name_len = name_len;
	e->value_off = p->store.len + name_len;
	e->value_len = value_len;
	if (name_len > 0)
		memcpy(p->store.data + e->name_off, name, name_len);
	if (value_len > 0)
		memcpy(p->store.data + e->value_off, value, value_len);
	p->store.len += name_len + value_len;
	p->n++;
	return 0;
}

int fcgi_params_copy(struct fcgi_params *dst, const struct fcgi_params *src)
{
	int rc;

	if (dst == src)
		return FCGI_EINVAL;
	fcgi_params_clear(dst);
	if ((dst->max_pairs != 0 && src->n > dst->max_pairs) ||
	    (dst->max_bytes != 0 && src->store.len > dst->max_bytes))
		return FCGI_ELIMIT;
	rc = reserve_ent(dst, src->n);
	if (rc == 0)
		rc = fcgi_buf_reserve(&dst->store, src->store.len);
	if (rc != 0)
		return rc;
	/* Entries are offsets into store, so both copy as they are. */
	if (src->store.len > 0)
		memcpy(dst->store.data, src->store.data, src->store.len);
	dst->store.len = src->store.len;
	if (src->n > 0)
		memcpy(dst->ent, src->ent, src->n * sizeof(*src->ent));
	dst->n = src->n;
	return 0;
}

/* Remove every entry named name; returns the count removed. */
static size_t remove_named(struct fcgi_params *p, const void *name,
			   size_t name_len)
{
	size_t i, keep = 0, w = 0, removed = 0;
	struct fcgi_params_ent e;

	for (i = 0; i < p->n; i++) {
		e = p->ent[i];
		if (name_is(p, i, name, name_len)) {
			removed++;
			continue;
		}
		/* Entries are in store order, so w never passes name_off. */
		if (w != e.name_off && ent_bytes(&e) > 0)
			memmove(p->store.data + w, p->store.data + e.name_off,
				ent_bytes(&e));
		e.name_off = w;
		e.value_off = w + e.name_len;
		w += ent_bytes(&e);
		p->ent[keep++] = e;
	}
	p->n = keep;
	p->store.len = w;
	return removed;
}

int fcgi_params_set(struct fcgi_params *p, const void *name, size_t name_len,
		    const void *value, size_t value_len)
{
	size_t i, first = SIZE_MAX, gone = 0, gbytes = 0;
	int rc;

	if ((name_len > 0 && name == NULL) || (value_len > 0 && value == NULL))
		return FCGI_EINVAL;
	if (name_len > SIZE_MAX - value_len)
		return FCGI_ELIMIT;
	for (i = 0; i < p->n; i++) {
		if (!name_is(p, i, name, name_len))
			continue;
		if (first == SIZE_MAX)
			first = i;
		gone++;
		gbytes += ent_bytes(&p->ent[i]);
	}
	/* Check and allocate before removing anything, so that a failure
	 * leaves the list as it was. */
	rc = make_room(p, gone, gbytes, name_len + value_len);
	if (rc != 0)
		return rc;
	(void)remove_named(p, name, name_len);
	/* Earlier entries are untouched, so the first match's index is
	 * where the new pair goes. */
	insert_at(p, first == SIZE_MAX ? p->n : first, name, name_len, value,
		  value_len);
	return 0;
}

size_t fcgi_params_del(struct fcgi_params *p, const void *name, size_t name_len)
{
	if (name_len > 0 && name == NULL)
		return 0;
	return remove_named(p, name, name_len);
}

void fcgi_params_at(const struct fcgi_params *p, size_t i, struct fcgi_nv *out)
{
	const struct fcgi_params_ent *e = &p->ent[i];

	if (p->store.data == NULL) {
		out->name = empty_bytes;
		out->value = empty_bytes;
	} else {
		out->name = p->store.data + e->name_off;
		out->value = p->store.data + e->value_off;
	}
	out->name_len = e->name_len;
	out->value_len = e->value_len;
}

int fcgi_params_get(const struct fcgi_params *p, const void *name,
		    size_t name_len, struct fcgi_nv *out)
{
	size_t i;

	if (name_len > 0 && name == NULL)
		return 0;
	for (i = 0; i < p->n; i++) {
		if (name_is(p, i, name, name_len)) {
			fcgi_params_at(p, i, out);
			return 1;
		}
	}
	return 0;
}

int fcgi_params_gets(const struct fcgi_params *p, const char *name,
		     struct fcgi_nv *out)
{
	if (name == NULL)
		return 0;
	return fcgi_params_get(p, name, strlen(name), out);
}

int fcgi_params_encode(const struct fcgi_params *p, struct fcgi_buf *out)
{
	struct fcgi_nv nv;
	size_t i, total = 0, one;
	int rc;

	/* Size and check everything first, so that a failure appends
	 * nothing. */
	for (i = 0; i < p->n; i++) {
		if (p->ent[i].name_len > 0x7fffffffu ||
		    p->ent[i].value_len > 0x7fffffffu)
			return FCGI_EINVAL;
		one = fcgi_nv_size(p->ent[i].name_len, p->ent[i].value_len);
		if (one > SIZE_MAX - total)
			return FCGI_ELIMIT;
		total += one;
	}
	rc = fcgi_buf_reserve(out, total);
	if (rc != 0)
		return rc;
	for (i = 0; i < p->n; i++) {
		fcgi_params_at(p, i, &nv);
		(void)fcgi_nv_encode(out, nv.name, nv.name_len, nv.value,
				     nv.value_len);
	}
	return 0;
}
