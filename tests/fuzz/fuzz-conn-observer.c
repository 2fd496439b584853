/* SPDX-License-Identifier: MIT */
/*
 * fuzz-conn-observer.c - libFuzzer target for a conn in OBSERVER mode:
 * the input is cut by its control bytes into segments of the two
 * directions, fed interleaved, whole and in random chunks with stops, and
 * the two logs must agree (see conn-fuzz.h).
 */
#include "conn-fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_run_observer(data, size);
	return 0;
}
