/* SPDX-License-Identifier: MIT */
/*
 * fuzz-conn-web.c - libFuzzer target for a conn in WEB mode: we send one
 * or two requests, the input is what the app answers; a scripted web
 * server reacts (abort, more STDIN, keep-alive requests), and a mirror
 * observer checks both the judging and our own records (see
 * conn-fuzz.h).  First byte: options and chunking seed.
 */
#include "conn-fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_run_peer(FCGI_MODE_WEB, data, size);
	return 0;
}
