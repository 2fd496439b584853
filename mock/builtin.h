/* SPDX-License-Identifier: MIT */
/* builtin.h - the responders behind serve --fn builtin. */
#ifndef FCGI_MOCK_BUILTIN_H
#define FCGI_MOCK_BUILTIN_H

#include "fcgi-uv.h"

/*
 * hello, echo, env, status, sleep, big, stderr, slow, crash and hang, each
 * taking its arguments from QUERY_STRING ("sleep?ms=2500"); see
 * fcgitool-serve(1).  Ends with { NULL, NULL }.
 */
extern const struct fcgi_fn_entry mock_builtins[];

#endif
