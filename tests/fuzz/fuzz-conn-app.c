/* SPDX-License-Identifier: MIT */
/*
 * fuzz-conn-app.c - libFuzzer target for a conn in APP mode: the input is
 * what a web server sends; a scripted app answers every request, and a
 * mirror observer checks both the judging and our own answers (see
 * conn-fuzz.h).  First byte: options and chunking seed.
 */
#include "conn-fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_run_peer(FCGI_MODE_APP, data, size);
	return 0;
}
