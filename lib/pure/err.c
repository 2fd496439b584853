/* SPDX-License-Identifier: MIT */
/* err.c - error codes and their descriptions. */
#include "internal.h"

const char *fcgi_strerror(int code)
{
	switch (code) {
	case FCGI_OK:
		return "success";
	case FCGI_EPARTIAL:
		return "more input needed";
	case FCGI_EPROTO:
		return "protocol error";
	case FCGI_ENOMEM:
		return "out of memory";
	case FCGI_ELIMIT:
		return "limit exceeded";
	case FCGI_EINVAL:
		return "invalid argument";
	case FCGI_EIO:
		return "I/O error";
	case FCGI_ETIMEDOUT:
		return "timed out";
	case FCGI_ECLOSED:
		return "connection closed by peer";
	case FCGI_ECONNECT:
		return "connection failed";
	case FCGI_EADDR:
		return "bad address";
	case FCGI_ESTATE:
		return "not allowed in this state";
	case FCGI_ECANCELED:
		return "canceled";
	default:
		return "unknown error";
	}
}
