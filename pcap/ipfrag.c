/* SPDX-License-Identifier: MIT */
/*
 * ipfrag.c - IPv4 and IPv6 fragment reassembly, bounded: at most
 * CAP_DEFRAG_MAX datagrams at once, each at most 65535 bytes, each given
 * CAP_DEFRAG_TIMEOUT seconds of capture time.  Overlapping fragments
 * keep the bytes that came first.
 */
#include <string.h>

#include "capture.h"

#define DGRAM_MAX 65535

struct cap_defrag_dgram {
	struct cap_addr src, dst;
	uint32_t id;
	uint8_t proto;
	double first_ts;
	uint32_t total; /* the payload's length, once the last fragment came */
	bool have_last;
	size_t got; /* distinct bytes received */
	uint8_t have[(DGRAM_MAX + 7) / 8];
	uint8_t buf[DGRAM_MAX];
};

void cap_defrag_init(struct cap_defrag *d, const struct fcgi_mem *mem)
{
	memset(d, 0, sizeof(*d));
	d->mem = mem;
}

static void dgram_free(struct cap_defrag *d, size_t i)
{
	fcgi_mem_free(d->mem, d->d[i]);
	d->d[i] = NULL;
}

void cap_defrag_release(struct cap_defrag *d)
{
	for (size_t i = 0; i < CAP_DEFRAG_MAX; i++)
		if (d->d[i] != NULL)
			dgram_free(d, i);
	fcgi_mem_free(d->mem, d->done);
	d->done = NULL;
}

static bool same(const struct cap_defrag_dgram *g, const struct cap_frag *f)
{
	return g->id == f->id && g->proto == f->proto &&
	       g->src.family == f->src.family &&
	       memcmp(g->src.a, f->src.a, 16) == 0 &&
	       memcmp(g->dst.a, f->dst.a, 16) == 0;
}

/* The slot of f's datagram, a new one (evicting the oldest when full), or
 * -1 when memory runs out. */
static long slot_for(struct cap_defrag *d, const struct cap_frag *f, double ts)
{
	struct cap_defrag_dgram *g;
	size_t i, free_slot = CAP_DEFRAG_MAX, oldest = 0;

	for (i = 0; i < CAP_DEFRAG_MAX; i++) {
		g = d->d[i];
		if (g == NULL) {
			if (free_slot == CAP_DEFRAG_MAX)
				free_slot = i;
			continue;
		}
		if (same(g, f))
			return (long)i;
		if (ts - g->first_ts > CAP_DEFRAG_TIMEOUT) {
			dgram_free(d, i);
			d->dropped++;
			if (free_slot == CAP_DEFRAG_MAX)
				free_slot = i;
			continue;
		}
		if (d->d[oldest] == NULL ||
		    g->first_ts < d->d[oldest]->first_ts)
			oldest = i;
	}
	if (free_slot == CAP_DEFRAG_MAX) {
		dgram_free(d, oldest);
		d->dropped++;
		free_slot = oldest;
	}
	g = fcgi_mem_malloc(d->mem, sizeof(*g));
	if (g == NULL)
		return -1;
	memset(g, 0, offsetof(struct cap_defrag_dgram, buf));
	g->src = f->src;
	g->dst = f->dst;
	g->id = f->id;
	g->proto = f->proto;
	g->first_ts = ts;
	d->d[free_slot] = g;
	return (long)free_slot;
}

int cap_defrag_add(struct cap_defrag *d, const struct cap_frag *f, double ts,
		   struct cap_frag *first, const uint8_t **payload, size_t *len,
		   const char **why)
{
	struct cap_defrag_dgram *g;
	size_t end, i;
	long at;

	*why = NULL;
	fcgi_mem_free(d->mem, d->done);
	d->done = NULL;
	at = slot_for(d, f, ts);
	if (at < 0) {
		*why = "out of memory";
		return FCGI_ENOMEM;
	}
	g = d->d[at];
	if (f->missing > 0 || f->len > DGRAM_MAX ||
	    f->offset > DGRAM_MAX - f->len) {
		*why = f->missing > 0 ? "a fragment was cut by the snapshot "
					"length"
				      : "fragments beyond 65535 bytes";
		dgram_free(d, (size_t)at);
		d->dropped++;
		return FCGI_ELIMIT;
	}
	end = f->offset + f->len;
	if (!f->more) {
		/* RFC 791 and 8200: the last fragment sets the length; a
		 * second, different last fragment is not believed. */
		if (!g->have_last || end > g->total) {
			g->have_last = true;
			g->total = (uint32_t)end;
		}
	}
	for (i = f->offset; i < end; i++) {
		if (g->have[i >> 3] & (1u << (i & 7)))
			continue; /* the first copy stays */
		g->have[i >> 3] = (uint8_t)(g->have[i >> 3] | (1u << (i & 7)));
		g->buf[i] = f->data[i - f->offset];
		g->got++;
	}
	if (!g->have_last || g->got < g->total)
		return 0;
	/* Whole when every byte below the length came (bytes beyond it,
	 * from a bogus fragment, would make got exceed total). */
	for (i = 0; i < g->total; i++)
		if (!(g->have[i >> 3] & (1u << (i & 7))))
			return 0;
	memset(first, 0, sizeof(*first));
	first->src = g->src;
	first->dst = g->dst;
	first->id = g->id;
	first->proto = g->proto;
	*payload = g->buf;
	*len = g->total;
	d->done = g;
	d->d[at] = NULL;
	return 1;
}
