/* SPDX-License-Identifier: MIT */
/*
 * conn-fuzz.h - the driver shared by fuzz-conn-app, fuzz-conn-web and
 * fuzz-conn-observer.
 *
 * Each input is run twice: fed whole, and fed in chunks chosen from the
 * input's first byte with on_event stopping the conn every few events
 * (FCGI_ECANCELED, then resumed from fcgi_conn_last_consumed()).  The two
 * serialised logs (records, events, violations, the return code of every
 * sending call, the bytes sent) must be identical.
 *
 * In APP and WEB mode the whole run also feeds a mirror OBSERVER with
 * every record the conn sees or queues, in the order it sees or queues
 * them.  The mirror must report exactly the conn's violations for the
 * received direction, and nothing at all for what the conn sent: our own
 * sending side never breaks the protocol, whatever the peer does.
 *
 * Any mismatch aborts.
 */
#ifndef FCGI_CONN_FUZZ_H
#define FCGI_CONN_FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conn-log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void fz_check(int ok)
{
	if (!ok)
		abort();
}

/* Option bits of the input's first byte. */
enum {
	FZ_SMALL_LIMITS = 1 << 0, /* tiny limits, to reach nv-limit etc. */
	FZ_NO_AUTO = 1 << 1,	  /* auto_unknown_type off */
	FZ_SECOND = 1 << 2,	  /* WEB: a second request id */
	FZ_KEEP = 1 << 3,	  /* WEB: KEEP_CONN and re-begin on END */
	FZ_VALUES = 1 << 4,	  /* WEB: GET_VALUES first */
	FZ_WEB_FIRST = 1 << 5	  /* OBSERVER: eof on to-web first */
};

struct fz {
	enum fcgi_conn_mode mode;
	unsigned opts_bits;
	struct fcgi_conn *c;
	struct clog log;
	struct fcgi_buf vlog[2];  /* the conn's violations per direction */
	struct fcgi_conn *mirror; /* NULL in the chunked run */
	struct fcgi_buf mvlog[2]; /* the mirror's violations */
	struct fcgi_buf sent;	  /* everything drained from the queue */
	struct fcgi_buf scratch;
	int stop_every; /* 0: never stop */
	int rebegins;
	int in_hook;
};

static inline void fz_vline(struct fcgi_buf *b, const struct fcgi_violation *v)
{
	char line[256];
	int n;

	n = snprintf(line, sizeof(line), "%d %d %llu %llu %u %s\n",
		     (int)v->code, (int)v->severity,
		     (unsigned long long)v->offset,
		     (unsigned long long)v->record, (unsigned)v->request_id,
		     v->message);
	fz_check(n > 0);
	fz_check(fcgi_buf_append(b, line, (size_t)n) == 0);
}

static inline void fz_mirror_violation(void *arg,
				       const struct fcgi_violation *v)
{
	struct fz *z = arg;

	fz_vline(&z->mvlog[v->dir], v);
}

static inline void fz_on_violation(void *arg, const struct fcgi_violation *v)
{
	struct fz *z = arg;

	clog_on_violation(&z->log, v);
	fz_vline(&z->vlog[v->dir], v);
}

static inline void fz_on_record(void *arg, enum fcgi_dir dir,
				const struct fcgi_record *rec)
{
	struct fz *z = arg;
	ssize_t r;

	clog_on_record(&z->log, dir, rec);
	if (z->mirror == NULL)
		return;
	/* The same record, padding as zeros, at the same offset. */
	fcgi_buf_reset(&z->scratch);
	fz_check(fcgi_record_encode_padded(&z->scratch, rec->h.type,
					   rec->h.request_id, rec->content,
					   rec->h.content_length,
					   rec->h.padding_length) == 0);
	z->scratch.data[7] = rec->h.reserved;
	fz_check(fcgi_conn_offset(z->mirror, dir) == rec->offset);
	r = fcgi_conn_recv(z->mirror, dir, z->scratch.data, z->scratch.len);
	fz_check(r == (ssize_t)z->scratch.len);
}

static inline void fz_api(struct fz *z, const char *what, int rc)
{
	clog_printf(&z->log, "A %s %d\n", what, rc);
}

/* The scripted peer: an app answering requests, or a web server
 * reacting to answers.  Only events decide what it does. */
static inline void fz_app_hook(struct fz *z, const struct fcgi_event *ev)
{
	static const char hdr[] = "Status: 200\r\nContent-Type: text/plain"
				  "\r\n\r\n";
	struct fcgi_params p;
	uint16_t id = ev->request_id;

	switch (ev->type) {
	case FCGI_EV_BEGIN:
		/* A busy app refuses more: the web server's records for
		 * this id then cross the END_REQUEST. */
		if (fcgi_conn_active(z->c) > 2)
			fz_api(z, "end-busy",
			       fcgi_conn_end(z->c, id, 0, FCGI_CANT_MPX_CONN));
		break;
	case FCGI_EV_PARAMS:
		fz_api(z, "stdout-hdr",
		       fcgi_conn_stream(z->c, id, FCGI_STDOUT, hdr,
					sizeof(hdr) - 1));
		if (fcgi_params_count(ev->params) > 3)
			fz_api(z, "stderr",
			       fcgi_conn_stream(z->c, id, FCGI_STDERR, "many",
						4));
		break;
	case FCGI_EV_STDIN:
		if (ev->len > 0)
			fz_api(z, "echo",
			       fcgi_conn_stream(z->c, id, FCGI_STDOUT, ev->data,
						ev->len));
		else
			fz_api(z, "end", fcgi_conn_end(z->c, id, 0, 0));
		break;
	case FCGI_EV_ABORT:
		fz_api(z, "end-abort", fcgi_conn_end(z->c, id, 1, 0));
		break;
	case FCGI_EV_GET_VALUES:
		fcgi_params_init(&p, NULL);
		fz_check(fcgi_params_add(&p, "FCGI_MPXS_CONNS", 15, "1", 1) ==
			 0);
		fz_api(z, "values", fcgi_conn_values_result(z->c, &p));
		fcgi_params_fini(&p);
		break;
	default:
		break;
	}
}

/* Begin a request: BEGIN, params, and (unless open) the whole STDIN. */
static inline void fz_web_request(struct fz *z, uint16_t id, int leave_open)
{
	struct fcgi_params p;
	uint8_t flags = (z->opts_bits & FZ_KEEP) ? FCGI_KEEP_CONN : 0;

	fcgi_params_init(&p, NULL);
	fz_check(fcgi_params_add(&p, "SCRIPT_FILENAME", 15, "/srv/x.php", 10) ==
		 0);
	fz_check(fcgi_params_add(&p, "CONTENT_LENGTH", 14, "5", 1) == 0);
	fz_api(z, "begin", fcgi_conn_begin(z->c, id, FCGI_RESPONDER, flags));
	fz_api(z, "params", fcgi_conn_params(z->c, id, &p));
	if (!leave_open) {
		fz_api(z, "stdin",
		       fcgi_conn_stream(z->c, id, FCGI_STDIN, "hello", 5));
		fz_api(z, "stdin-end",
		       fcgi_conn_stream(z->c, id, FCGI_STDIN, NULL, 0));
	}
	fcgi_params_fini(&p);
}

static inline void fz_web_hook(struct fz *z, const struct fcgi_event *ev)
{
	static const uint8_t gv[16] = { 1,   FCGI_GET_VALUES,
					0,   0,
					0,   8,
					0,   0,
					6,   0,
					'F', 'C',
					'G', 'I',
					'_', 'X' };
	uint16_t id = ev->request_id;

	switch (ev->type) {
	case FCGI_EV_STDOUT:
	case FCGI_EV_STDERR:
		if (ev->len > 0 && memchr(ev->data, 'A', ev->len) != NULL)
			fz_api(z, "abort", fcgi_conn_abort(z->c, id));
		if (ev->len > 0 && memchr(ev->data, 'S', ev->len) != NULL)
			fz_api(z, "stdin-more",
			       fcgi_conn_stream(z->c, id, FCGI_STDIN, "more",
						4));
		if (ev->len > 0 && memchr(ev->data, 'R', ev->len) != NULL)
			fz_api(z, "raw",
			       fcgi_conn_send_raw(z->c, gv, sizeof(gv)));
		break;
	case FCGI_EV_END:
		if ((z->opts_bits & FZ_KEEP) && z->rebegins < 4 && id != 0) {
			z->rebegins++;
			fz_web_request(z, id, 0);
		}
		break;
	default:
		break;
	}
}

static inline int fz_on_event(void *arg, const struct fcgi_event *ev)
{
	struct fz *z = arg;

	clog_on_event(&z->log, ev);
	if (z->mode == FCGI_MODE_APP)
		fz_app_hook(z, ev);
	else if (z->mode == FCGI_MODE_WEB)
		fz_web_hook(z, ev);
	return z->stop_every != 0 && z->log.events % z->stop_every == 0;
}

/* Move queued bytes to z->sent: all, or (partial) about half. */
static inline void fz_drain(struct fz *z, int partial)
{
	const uint8_t *p;
	size_t n = fcgi_conn_send(z->c, &p);

	if (partial)
		n -= n / 2;
	fz_check(fcgi_buf_append(&z->sent, p, n) == 0);
	fcgi_conn_sent(z->c, n);
}

static inline void fz_init(struct fz *z, enum fcgi_conn_mode mode,
			   unsigned bits, int with_mirror)
{
	struct fcgi_callbacks cb = { fz_on_record, fz_on_event,
				     fz_on_violation };
	struct fcgi_callbacks mcb = { NULL, NULL, fz_mirror_violation };
	struct fcgi_conn_opts o;
	int i;

	memset(z, 0, sizeof(*z));
	z->mode = mode;
	z->opts_bits = bits;
	clog_init(&z->log);
	for (i = 0; i < 2; i++) {
		fcgi_buf_init(&z->vlog[i], NULL, 0);
		fcgi_buf_init(&z->mvlog[i], NULL, 0);
	}
	fcgi_buf_init(&z->sent, NULL, 0);
	fcgi_buf_init(&z->scratch, NULL, 0);
	fcgi_conn_opts_default(&o);
	if (bits & FZ_SMALL_LIMITS) {
		o.limits.params_max_pairs = 4;
		o.limits.params_max_bytes = 200;
		o.limits.values_max_bytes = 24;
		o.limits.max_requests = 3;
	}
	if (bits & FZ_NO_AUTO)
		o.auto_unknown_type = 0;
	(void)fcgi_conn_new(&z->c, mode, &o, &cb, z);
	fz_check(z->c != NULL);
	if (with_mirror && mode != FCGI_MODE_OBSERVER) {
		(void)fcgi_conn_new(&z->mirror, FCGI_MODE_OBSERVER, &o, &mcb,
				    z);
		fz_check(z->mirror != NULL);
	}
}

static inline void fz_fini(struct fz *z)
{
	int i;

	fcgi_conn_free(z->c);
	fcgi_conn_free(z->mirror);
	clog_fini(&z->log);
	for (i = 0; i < 2; i++) {
		fcgi_buf_fini(&z->vlog[i]);
		fcgi_buf_fini(&z->mvlog[i]);
	}
	fcgi_buf_fini(&z->sent);
	fcgi_buf_fini(&z->scratch);
}

/*
 * Feed in[0..len) toward dir, whole or in chunks (seed != NULL), going on
 * after each stop.  Returns 1 if the direction died (bad version).
 */
static inline int fz_feed(struct fz *z, enum fcgi_dir dir, const uint8_t *in,
			  size_t len, unsigned long long *seed)
{
	enum fcgi_vcode stop;
	size_t pos = 0, n;
	ssize_t r;

	while (pos < len) {
		n = len - pos;
		if (seed != NULL) {
			n = 1 +
			    (size_t)(clog_rand(seed) %
				     (clog_rand(seed) % 3 == 0 ? 3000 : 17));
			if (n > len - pos)
				n = len - pos;
		}
		r = fcgi_conn_recv(z->c, dir, in + pos, n);
		if (r == FCGI_ECANCELED) {
			fz_check(fcgi_conn_last_consumed(z->c) <= n);
			pos += fcgi_conn_last_consumed(z->c);
			fz_drain(z, seed != NULL);
			continue;
		}
		if (r == FCGI_EPROTO) {
			n = fcgi_conn_last_consumed(z->c);
			fz_check(n >= 1);
			/* A bad version: the mirror gets the bad byte too.
			 * An app's connection error: the mirror, an
			 * observer, already judged that record alike. */
			stop = fcgi_conn_stopped(z->c, dir);
			if (z->mirror != NULL && stop == FCGI_V_BAD_VERSION)
				fz_check(fcgi_conn_recv(z->mirror, dir,
							in + pos + n - 1,
							1) == FCGI_EPROTO);
			fz_check(stop == FCGI_V_BAD_VERSION ||
				 (z->mode == FCGI_MODE_APP &&
				  (stop == FCGI_V_APP_NULL_ID ||
				   stop == FCGI_V_BAD_BODY_LENGTH)));
			return 1;
		}
		fz_check(r == (ssize_t)n);
		fz_check(fcgi_conn_last_consumed(z->c) == n);
		pos += n;
		fz_drain(z, seed != NULL);
	}
	return 0;
}

/* End of dir; the mirror first gets the partial record the conn holds
 * (in[0..len) is everything fed toward dir). */
static inline void fz_eof(struct fz *z, enum fcgi_dir dir, const uint8_t *in,
			  size_t len, int dead)
{
	uint64_t off;
	int rc;

	if (z->mirror != NULL && !dead) {
		off = fcgi_conn_offset(z->mirror, dir);
		fz_check(off <= len);
		if (off < len)
			fz_check(fcgi_conn_recv(z->mirror, dir, in + off,
						len - (size_t)off) ==
				 (ssize_t)(len - (size_t)off));
	}
	rc = fcgi_conn_eof(z->c, dir);
	fz_check(rc == 0 || rc == FCGI_ECANCELED);
	if (z->mirror != NULL)
		fz_check(fcgi_conn_eof(z->mirror, dir) == 0);
}

/* The end of a run: what is left, and the final state, into the log. */
static inline void fz_finish(struct fz *z)
{
	fz_drain(z, 0);
	clog_printf(&z->log, "S sent=%zu h=%016llx active=%u keep=%d v=%zu\n",
		    z->sent.len, clog_hash(z->sent.data, z->sent.len),
		    fcgi_conn_active(z->c), fcgi_conn_keep(z->c),
		    fcgi_conn_violation_count(z->c));
	fz_check(!z->log.oom);
}

static inline int fz_same(const struct fcgi_buf *a, const struct fcgi_buf *b)
{
	return a->len == b->len &&
	       (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* The mirror agrees with the conn about the received direction and
 * finds nothing wrong with the sent one. */
static inline void fz_check_mirror(const struct fz *z, enum fcgi_dir recv_dir)
{
	if (z->mirror == NULL)
		return;
	fz_check(fz_same(&z->vlog[recv_dir], &z->mvlog[recv_dir]));
	fz_check(z->vlog[!recv_dir].len == 0);
	fz_check(z->mvlog[!recv_dir].len == 0);
}

/*
 * APP or WEB mode: data[0] holds option bits and the chunking seed, the
 * rest is the received direction's bytes.
 */
static inline void fz_run_peer(enum fcgi_conn_mode mode, const uint8_t *data,
			       size_t size)
{
	enum fcgi_dir dir =
		mode == FCGI_MODE_APP ? FCGI_DIR_TO_APP : FCGI_DIR_TO_WEB;
	unsigned long long seed = 0;
	struct fz whole, part;
	unsigned bits;
	int k, dead;

	if (size < 1)
		return;
	bits = data[0];
	data++;
	size--;
	for (k = 0; k < 2; k++) {
		struct fz *z = k == 0 ? &whole : &part;

		fz_init(z, mode, bits, k == 0);
		if (k == 1) {
			seed = 0x9e3779b97f4a7c15ull ^
			       (bits * 0x100000001b3ull);
			z->stop_every = 1 + (int)(bits % 5);
		}
		if (mode == FCGI_MODE_WEB) {
			if (bits & FZ_VALUES) {
				struct fcgi_params p;

				fcgi_params_init(&p, NULL);
				fz_check(fcgi_params_add(&p, "FCGI_MAX_CONNS",
							 14, "", 0) == 0);
				fz_api(z, "get-values",
				       fcgi_conn_get_values(z->c, &p));
				fcgi_params_fini(&p);
			}
			fz_web_request(z, 1, 0);
			if (bits & FZ_SECOND)
				fz_web_request(z, 2, 1);
		}
		dead = fz_feed(z, dir, data, size, k == 0 ? NULL : &seed);
		fz_eof(z, dir, data, size, dead);
		fz_finish(z);
		if (k == 0)
			fz_check_mirror(z, dir);
	}
	fz_check(fz_same(&whole.log.buf, &part.log.buf));
	fz_fini(&whole);
	fz_fini(&part);
}

/*
 * OBSERVER: data[0] holds option bits and the seed; then segments, each
 * a control byte (top bit: direction; low 7 bits: length, 127 meaning a
 * 2-byte big-endian length follows) and that many bytes.  Segments are
 * fed in order; the chunked run cuts each segment further.
 */
static inline void fz_run_observer(const uint8_t *data, size_t size)
{
	unsigned long long seed;
	struct fz whole, part;
	const uint8_t *p, *end;
	size_t len;
	unsigned bits;
	int k, dead[2];
	enum fcgi_dir dir, first;

	if (size < 1)
		return;
	bits = data[0];
	for (k = 0; k < 2; k++) {
		struct fz *z = k == 0 ? &whole : &part;

		fz_init(z, FCGI_MODE_OBSERVER, bits, 0);
		seed = 0x9e3779b97f4a7c15ull ^ (bits * 0x100000001b3ull);
		if (k == 1)
			z->stop_every = 1 + (int)(bits % 5);
		dead[0] = dead[1] = 0;
		p = data + 1;
		end = data + size;
		while (p < end) {
			dir = (*p & 0x80) ? FCGI_DIR_TO_WEB : FCGI_DIR_TO_APP;
			len = *p & 0x7f;
			p++;
			if (len == 127) {
				if (end - p < 2)
					break;
				len = (size_t)p[0] << 8 | p[1];
				p += 2;
			}
			if (len > (size_t)(end - p))
				len = (size_t)(end - p);
			if (!dead[dir])
				dead[dir] = fz_feed(z, dir, p, len,
						    k == 0 ? NULL : &seed);
			p += len;
		}
		first = (bits & FZ_WEB_FIRST) ? FCGI_DIR_TO_WEB
					      : FCGI_DIR_TO_APP;
		fz_eof(z, first, NULL, 0, 1);
		fz_eof(z, (enum fcgi_dir) !first, NULL, 0, 1);
		fz_finish(z);
	}
	fz_check(fz_same(&whole.log.buf, &part.log.buf));
	fz_fini(&whole);
	fz_fini(&part);
}

#endif
