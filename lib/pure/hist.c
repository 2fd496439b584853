/* SPDX-License-Identifier: MIT */
/*
 * hist.c - a latency histogram of bounded memory with a relative error
 * below 1/64, after HdrHistogram: values below 128 have a bucket each;
 * above, each power of two is cut into 64 buckets, so that the bucket of
 * a value v spans less than v/64.  3,776 counters cover every uint64_t.
 */
#include <math.h>
#include <string.h>

#include "internal.h"

/* Bucket of v: v itself below 128; else the top 7 bits of v and the
 * number of bits shifted out. */
static size_t bucket_of(uint64_t v)
{
	unsigned shift;

	if (v < 128)
		return (size_t)v;
	shift = (unsigned)(63 - __builtin_clzll(v)) - 6;
	return 128 + (size_t)(shift - 1) * 64 + (size_t)((v >> shift) - 64);
}

/* The lowest value of bucket i. */
static uint64_t bucket_low(size_t i)
{
	unsigned shift;

	if (i < 128)
		return i;
	shift = (unsigned)((i - 128) / 64) + 1;
	return (uint64_t)(64 + (i - 128) % 64) << shift;
}

/* The highest value of bucket i. */
static uint64_t bucket_high(size_t i)
{
	if (i + 1 >= FCGI_HIST_BUCKETS)
		return UINT64_MAX;
	return bucket_low(i + 1) - 1;
}

void fcgi_hist_init(struct fcgi_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void fcgi_hist_add(struct fcgi_hist *h, uint64_t v)
{
	double d = (double)v;

	h->counts[bucket_of(v)]++;
	h->total++;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->sum += d;
	h->sumsq += d * d;
}

void fcgi_hist_merge(struct fcgi_hist *dst, const struct fcgi_hist *src)
{
	for (size_t i = 0; i < FCGI_HIST_BUCKETS; i++)
		dst->counts[i] += src->counts[i];
	dst->total += src->total;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->sum += src->sum;
	dst->sumsq += src->sumsq;
}

uint64_t fcgi_hist_percentile(const struct fcgi_hist *h, double p)
{
	uint64_t rank, seen = 0;

	if (h->total == 0)
		return 0;
	if (!(p > 0))
		return h->min;
	if (p >= 100)
		return h->max;
	/* The value at or below which p percent of the values lie: the
	 * ceil(p/100 * total)-th smallest, reported as the highest value of
	 * its bucket (but never above the largest seen). */
	rank = (uint64_t)ceil(p / 100.0 * (double)h->total);
	if (rank == 0)
		rank = 1;
	for (size_t i = 0; i < FCGI_HIST_BUCKETS; i++) {
		seen += h->counts[i];
		if (seen >= rank) {
			uint64_t hi = bucket_high(i);

			if (hi > h->max)
				hi = h->max;
			if (hi < h->min)
				hi = h->min;
			return hi;
		}
	}
	return h->max;
}

double fcgi_hist_mean(const struct fcgi_hist *h)
{
	return h->total != 0 ? h->sum / (double)h->total : 0;
}

double fcgi_hist_stdev(const struct fcgi_hist *h)
{
	double m, var;

	if (h->total < 2)
		return 0;
	m = h->sum / (double)h->total;
	var = h->sumsq / (double)h->total - m * m;
	return var > 0 ? sqrt(var) : 0;
}

size_t fcgi_hist_next(const struct fcgi_hist *h, size_t i, uint64_t *low,
		      uint64_t *high, uint64_t *count)
{
	for (; i < FCGI_HIST_BUCKETS; i++) {
		if (h->counts[i] == 0)
			continue;
		*low = bucket_low(i);
		*high = bucket_high(i);
		*count = h->counts[i];
		return i + 1;
	}
	return 0;
}
