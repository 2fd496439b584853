/* SPDX-License-Identifier: MIT */
/* driven.h - declarations shared inside lib/driven/, never installed. */
#ifndef FCGI_DRIVEN_H
#define FCGI_DRIVEN_H

#include "fcgi-uv.h"
#include "internal.h"

/* client.c, for tests only: skip resuming the bodies after the next n
 * completed writes, the lost wake-up of issue 14, so that the stall
 * check can be seen to repair it. */
void fcgi_client_lose_wakeups(struct fcgi_client *c, unsigned n);

#endif
