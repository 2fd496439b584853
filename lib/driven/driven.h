/* SPDX-License-Identifier: MIT */
/* driven.h - declarations shared inside lib/driven/, never installed. */
#ifndef FCGI_DRIVEN_H
#define FCGI_DRIVEN_H

#include "fcgi-uv.h"
#include "internal.h"

#endif
