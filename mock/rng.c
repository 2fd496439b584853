/* SPDX-License-Identifier: MIT */
/*
 * rng.c - xoshiro256** (Blackman and Vigna, 2018), seeded through
 * splitmix64 as its authors advise; written from the published algorithm.
 */
#include <math.h>

#include "rng.h"

static uint64_t rotl(uint64_t x, unsigned k)
{
	return x << k | x >> (64 - k);
}

void mock_rng_seed(struct mock_rng *r, uint64_t seed)
{
	uint64_t z;

	for (int i = 0; i < 4; i++) {
		seed += UINT64_C(0x9e3779b97f4a7c15);
		z = seed;
		z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
		z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
		r->s[i] = z ^ (z >> 31);
	}
}

uint64_t mock_rng_u64(struct mock_rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

double mock_rng_unit(struct mock_rng *r)
{
	/* The top 53 bits make every double in [0, 1) of that spacing. */
	return (double)(mock_rng_u64(r) >> 11) * 0x1.0p-53;
}

double mock_rng_normal(struct mock_rng *r)
{
	double u1 = 1.0 - mock_rng_unit(r), u2 = mock_rng_unit(r);

	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}
