/* SPDX-License-Identifier: MIT */
/*
 * conn-log.h - serialise everything a struct fcgi_conn reports (records,
 * events, violations) into one text log, so that two runs over the same
 * bytes fed in different chunks can be compared byte for byte.  Shared by
 * tests/unit/test-conn.c and the conn fuzz targets; header-only so that
 * it links into nothing else.
 */
#ifndef FCGI_CONN_LOG_H
#define FCGI_CONN_LOG_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fcgi.h"

struct clog {
	struct fcgi_buf buf; /* the log text, libc memory */
	int oom;	     /* appending failed: compare nothing */
	int stop_at;	     /* on_event returns 1 at this event (1-based) */
	int events;	     /* events seen */
	/* Optional hook run on each event after it is logged (e.g. a
	 * scripted peer answering); its return value is on_event's. */
	int (*hook)(void *hook_arg, const struct fcgi_event *ev);
	void *hook_arg;
};

static inline void clog_init(struct clog *l)
{
	memset(l, 0, sizeof(*l));
	fcgi_buf_init(&l->buf, NULL, 0);
}

static inline void clog_fini(struct clog *l)
{
	fcgi_buf_fini(&l->buf);
}

static inline void clog_printf(struct clog *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static inline void clog_printf(struct clog *l, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	if (fcgi_buf_append(&l->buf, line, (size_t)n) != 0)
		l->oom = 1;
}

/* FNV-1a, 64 bits: stands in for stream data in the log. */
static inline unsigned long long clog_hash(const uint8_t *p, size_t n)
{
	unsigned long long h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* Bytes as printable text, the rest as \xNN. */
static inline void clog_bytes(struct clog *l, const uint8_t *p, size_t n)
{
	char tmp[8];
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] >= 0x21 && p[i] < 0x7f && p[i] != '\\' &&
		    p[i] != '=') {
			tmp[0] = (char)p[i];
			if (fcgi_buf_append(&l->buf, tmp, 1) != 0)
				l->oom = 1;
		} else {
			clog_printf(l, "\\x%02x", p[i]);
		}
	}
}

static inline void clog_params(struct clog *l, const struct fcgi_params *p)
{
	struct fcgi_nv nv;
	size_t i;

	if (p == NULL) {
		clog_printf(l, " (null)");
		return;
	}
	clog_printf(l, " n=%zu", fcgi_params_count(p));
	for (i = 0; i < fcgi_params_count(p); i++) {
		fcgi_params_at(p, i, &nv);
		clog_printf(l, " ");
		clog_bytes(l, nv.name, nv.name_len);
		clog_printf(l, "=");
		clog_bytes(l, nv.value, nv.value_len);
	}
}

static inline const char *clog_evname(enum fcgi_event_type t)
{
	static const char *const names[] = { "?",
					     "BEGIN",
					     "PARAMS",
					     "STDIN",
					     "DATA",
					     "STDOUT",
					     "STDERR",
					     "END",
					     "ABORT",
					     "GET_VALUES",
					     "GET_VALUES_RESULT",
					     "UNKNOWN_TYPE",
					     "UNKNOWN_RECORD",
					     "CLOSE" };

	return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

static inline void clog_on_record(void *arg, enum fcgi_dir dir,
				  const struct fcgi_record *rec)
{
	struct clog *l = arg;

	clog_printf(l, "R %s t=%u id=%u c=%u p=%u off=%llu n=%llu\n",
		    fcgi_dir_name(dir), (unsigned)rec->h.type,
		    (unsigned)rec->h.request_id,
		    (unsigned)rec->h.content_length,
		    (unsigned)rec->h.padding_length,
		    (unsigned long long)rec->offset,
		    (unsigned long long)rec->number);
}

static inline int clog_on_event(void *arg, const struct fcgi_event *ev)
{
	struct clog *l = arg;

	l->events++;
	clog_printf(l, "E %s %s id=%u off=%llu n=%llu", clog_evname(ev->type),
		    fcgi_dir_name(ev->dir), (unsigned)ev->request_id,
		    (unsigned long long)ev->offset,
		    (unsigned long long)ev->record);
	switch (ev->type) {
	case FCGI_EV_BEGIN:
		clog_printf(l, " role=%u flags=%u", (unsigned)ev->role,
			    (unsigned)ev->flags);
		break;
	case FCGI_EV_PARAMS:
	case FCGI_EV_GET_VALUES:
	case FCGI_EV_GET_VALUES_RESULT:
		clog_params(l, ev->params);
		break;
	case FCGI_EV_STDIN:
	case FCGI_EV_DATA:
	case FCGI_EV_STDOUT:
	case FCGI_EV_STDERR:
		clog_printf(l, " len=%zu h=%016llx", ev->len,
			    clog_hash(ev->data, ev->len));
		break;
	case FCGI_EV_END:
		clog_printf(l, " app=%u ps=%u", (unsigned)ev->app_status,
			    (unsigned)ev->protocol_status);
		break;
	case FCGI_EV_UNKNOWN_TYPE:
		clog_printf(l, " type=%u", (unsigned)ev->unknown_type);
		break;
	case FCGI_EV_UNKNOWN_RECORD:
		clog_printf(l, " type=%u len=%zu h=%016llx",
			    (unsigned)ev->unknown_type, ev->len,
			    clog_hash(ev->data, ev->len));
		break;
	default:
		break;
	}
	clog_printf(l, "\n");
	if (l->hook != NULL)
		return l->hook(l->hook_arg, ev);
	return l->stop_at != 0 && l->events == l->stop_at;
}

static inline void clog_on_violation(void *arg, const struct fcgi_violation *v)
{
	struct clog *l = arg;

	clog_printf(l, "V %s %s %s off=%llu n=%llu id=%u %s\n",
		    fcgi_vcode_name(v->code), fcgi_severity_name(v->severity),
		    fcgi_dir_name(v->dir), (unsigned long long)v->offset,
		    (unsigned long long)v->record, (unsigned)v->request_id,
		    v->message);
}

static inline void clog_callbacks(struct fcgi_callbacks *cb)
{
	cb->on_record = clog_on_record;
	cb->on_event = clog_on_event;
	cb->on_violation = clog_on_violation;
}

/* A small deterministic generator for chunk sizes (xorshift64*). */
static inline unsigned long long clog_rand(unsigned long long *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

#endif
