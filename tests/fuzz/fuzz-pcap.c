/* SPDX-License-Identifier: MIT */
/*
 * fuzz-pcap.c - libFuzzer target for libcapture's pure layers: link, IP
 * and TCP decoding, IP fragment and TCP reassembly, and the session that
 * finds FastCGI in the streams and feeds the observer conn.
 *
 * Input: a control byte (bits 0-3: the link type, from the list below;
 * bit 4: --port 9000; bits 5-7: the reassembly window, small to large),
 * then frames, each a 2-byte big-endian length, a byte of time step (in
 * milliseconds) and that many bytes of frame.  Every callback checks what
 * it is given; the session is then finished and freed, and the run must
 * end without a leak.  A second run feeds the same frames through a
 * session that is freed before it is finished.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int linktypes[] = {
	CAP_DLT_EN10MB,
	CAP_DLT_LINUX_SLL,
	CAP_DLT_LINUX_SLL2,
	CAP_DLT_NULL,
	CAP_DLT_LOOP,
	CAP_DLT_RAW,
	CAP_DLT_IPV4,
	CAP_DLT_IPV6,
	105, /* not read: every frame is named bad */
};

static void check(int ok)
{
	if (!ok)
		abort();
}

struct state {
	uint64_t opens, closes;
	uint64_t last_packet;
};

static void on_open(void *arg, struct cap_conn *c)
{
	struct state *st = arg;

	check(c->label[0] == 'c' && c->id == st->opens + 1);
	st->opens++;
}

static void on_record(void *arg, struct cap_conn *c, enum fcgi_dir dir,
		      const struct fcgi_record *rec)
{
	struct state *st = arg;

	check(dir == FCGI_DIR_TO_APP || dir == FCGI_DIR_TO_WEB);
	check(rec->content != NULL || rec->h.content_length == 0);
	check(c->packet <= st->last_packet);
	/* The record lies within what the direction brought. */
	check(rec->offset + FCGI_HEADER_LEN + rec->h.content_length +
		      rec->h.padding_length <=
	      c->bytes[dir]);
}

static void on_event(void *arg, struct cap_conn *c, const struct fcgi_event *ev)
{
	(void)arg;
	(void)c;
	check(ev->type >= FCGI_EV_BEGIN && ev->type <= FCGI_EV_CLOSE);
}

static void on_violation(void *arg, struct cap_conn *c,
			 const struct fcgi_violation *v)
{
	(void)arg;
	check(v->code > FCGI_V_NONE && v->code < FCGI_V_COUNT);
	check(v->offset <= c->bytes[v->dir]);
}

static void on_note(void *arg, struct cap_conn *c, const char *what,
		    const char *detail)
{
	(void)arg;
	(void)c;
	check(what != NULL && detail != NULL && strlen(detail) < 256);
}

static void on_close(void *arg, struct cap_conn *c, const char *why)
{
	struct state *st = arg;

	check(why != NULL && c->lost[0] <= c->bytes[0] &&
	      c->lost[1] <= c->bytes[1]);
	st->closes++;
}

static const struct cap_session_cbs cbs = { on_open,	  on_record, on_event,
					    on_violation, on_note,   on_close };

static void run(const uint8_t *data, size_t size, int finish)
{
	struct cap_session_opts o;
	struct cap_session_stats ss;
	struct cap_session *s;
	struct state st;
	uint8_t ctl = data[0];
	int lt = linktypes[(ctl & 15) %
			   (sizeof(linktypes) / sizeof(linktypes[0]))];
	size_t pos = 1, n;
	double ts = 1e9;

	memset(&st, 0, sizeof(st));
	cap_session_opts_default(&o);
	if (ctl & 16)
		o.ports[o.nports++] = 9000;
	o.reasm.window = (size_t)64 << (2 * (ctl >> 5));
	o.reasm.total = 4 * o.reasm.window;
	o.reasm.idle = 5;
	o.reasm.max_flows = 8;
	s = cap_session_new(&o, &cbs, &st);
	if (s == NULL)
		return;
	while (size - pos >= 3) {
		n = (size_t)data[pos] << 8 | data[pos + 1];
		ts += data[pos + 2] * 1e-3;
		pos += 3;
		if (n > size - pos)
			n = size - pos;
		st.last_packet++;
		(void)cap_session_frame(s, lt, st.last_packet, ts, data + pos,
					n, n + (data[pos - 1] & 1));
		pos += n;
	}
	cap_session_stats(s, &ss);
	check(ss.frames == st.last_packet && ss.conns == st.opens);
	if (finish) {
		cap_session_finish(s);
		check(st.closes == st.opens);
	}
	cap_session_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	run(data, size, 1);
	run(data, size, 0);
	return 0;
}
