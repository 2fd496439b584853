/* SPDX-License-Identifier: MIT */
/*
 * rng.h - the mock's seedable random numbers (xoshiro256**, seeded with
 * splitmix64), so that a script's probabilities, random delays and
 * garbage bytes repeat exactly under the same --seed.
 */
#ifndef FCGI_MOCK_RNG_H
#define FCGI_MOCK_RNG_H

#include <stdint.h>

struct mock_rng {
	uint64_t s[4];
};

void mock_rng_seed(struct mock_rng *r, uint64_t seed);
uint64_t mock_rng_u64(struct mock_rng *r);
/* Uniform in [0, 1). */
double mock_rng_unit(struct mock_rng *r);
/* Standard normal (Box-Muller). */
double mock_rng_normal(struct mock_rng *r);

#endif
