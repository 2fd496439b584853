/* SPDX-License-Identifier: MIT */
/* test-hist.c - the latency histogram: exact small values, the relative
 * error bound, percentiles, merging and the bucket walk. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

static struct fcgi_hist h1, h2;

static void test_hist_empty(void **state)
{
	size_t i;
	uint64_t lo, hi, n;

	(void)state;
	fcgi_hist_init(&h1);
	assert_int_equal(fcgi_hist_percentile(&h1, 50), 0);
	assert_true(fcgi_hist_mean(&h1) == 0);
	assert_true(fcgi_hist_stdev(&h1) == 0);
	i = fcgi_hist_next(&h1, 0, &lo, &hi, &n);
	assert_int_equal(i, 0);
}

static void test_hist_small_exact(void **state)
{
	(void)state;
	fcgi_hist_init(&h1);
	for (uint64_t v = 1; v <= 100; v++)
		fcgi_hist_add(&h1, v);
	assert_int_equal(h1.total, 100);
	assert_int_equal(h1.min, 1);
	assert_int_equal(h1.max, 100);
	assert_int_equal(fcgi_hist_percentile(&h1, 50), 50);
	assert_int_equal(fcgi_hist_percentile(&h1, 99), 99);
	assert_int_equal(fcgi_hist_percentile(&h1, 99.9), 100);
	assert_int_equal(fcgi_hist_percentile(&h1, 0), 1);
	assert_int_equal(fcgi_hist_percentile(&h1, 100), 100);
	assert_true(fabs(fcgi_hist_mean(&h1) - 50.5) < 1e-9);
	/* Population standard deviation of 1..100. */
	assert_true(fabs(fcgi_hist_stdev(&h1) - 28.866070) < 1e-5);
}

/* Every value lands in a bucket within 1/64 of it, across all sizes. */
static void test_hist_error_bound(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15u;

	(void)state;
	for (int i = 0; i < 200000; i++) {
		uint64_t v, p;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		v = x >> (x % 64);
		fcgi_hist_init(&h1);
		fcgi_hist_add(&h1, v);
		fcgi_hist_add(&h1, v == UINT64_MAX ? v : v + 1);
		p = fcgi_hist_percentile(&h1, 50);
		assert_true(p >= v);
		assert_true((double)(p - v) <= (double)v / 64.0 + 1.0);
	}
	fcgi_hist_init(&h1);
	fcgi_hist_add(&h1, UINT64_MAX);
	fcgi_hist_add(&h1, 0);
	assert_int_equal(fcgi_hist_percentile(&h1, 100), UINT64_MAX);
	assert_int_equal(fcgi_hist_percentile(&h1, 50), 0);
}

static void test_hist_percentiles_merge(void **state)
{
	uint64_t lo, hi, n, seen = 0, prev = 0;
	size_t i = 0;

	(void)state;
	fcgi_hist_init(&h1);
	fcgi_hist_init(&h2);
	/* 99% at 1 ms, 1% at 100 ms (in microseconds), in two halves. */
	for (int k = 0; k < 9900; k++)
		fcgi_hist_add(k % 2 ? &h1 : &h2, 1000);
	for (int k = 0; k < 100; k++)
		fcgi_hist_add(k % 2 ? &h1 : &h2, 100000);
	fcgi_hist_merge(&h1, &h2);
	assert_int_equal(h1.total, 10000);
	assert_int_equal(h1.min, 1000);
	assert_int_equal(h1.max, 100000);
	assert_true(fcgi_hist_percentile(&h1, 99) <= 1000 + 1000 / 64);
	assert_true(fcgi_hist_percentile(&h1, 99.01) >= 100000);
	assert_int_equal(fcgi_hist_percentile(&h1, 99.99), 100000);
	while ((i = fcgi_hist_next(&h1, i, &lo, &hi, &n)) != 0) {
		assert_true(lo <= hi);
		assert_true(lo >= prev);
		prev = hi + 1;
		seen += n;
	}
	assert_int_equal(seen, 10000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hist_empty),
		cmocka_unit_test(test_hist_small_exact),
		cmocka_unit_test(test_hist_error_bound),
		cmocka_unit_test(test_hist_percentiles_merge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
