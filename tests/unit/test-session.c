/* SPDX-License-Identifier: MIT */
/* test-session.c - FastCGI connections found in frames and fed to the
 * observer conn (pcap/session.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "capture.h"
#include "failmem.h"

/* ---- what the session reports, as one text log ----------------------- */

struct log {
	struct fcgi_buf text;
	int opens, closes, violations;
	uint64_t last_packet;
	char labels[8][24];
};

static void lput(struct log *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void lput(struct log *l, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	assert_true(n > 0);
	assert_int_equal(fcgi_buf_append(&l->text, line, (size_t)n), 0);
}

static void on_open(void *arg, struct cap_conn *c)
{
	struct log *l = arg;

	if (l->opens < 8)
		snprintf(l->labels[l->opens], sizeof(l->labels[0]), "%s",
			 c->label);
	l->opens++;
	lput(l, "open %s %s %s\n", c->label, c->web, c->app);
}

static void on_record(void *arg, struct cap_conn *c, enum fcgi_dir dir,
		      const struct fcgi_record *rec)
{
	struct log *l = arg;

	l->last_packet = c->packet;
	lput(l, "rec %s %s %s id=%u len=%u off=%llu\n", c->label,
	     fcgi_dir_name(dir), fcgi_type_name(rec->h.type),
	     (unsigned)rec->h.request_id, (unsigned)rec->h.content_length,
	     (unsigned long long)rec->offset);
}

static void on_event(void *arg, struct cap_conn *c, const struct fcgi_event *ev)
{
	struct log *l = arg;

	if (ev->type == FCGI_EV_BEGIN)
		lput(l, "begin %s id=%u role=%u\n", c->label,
		     (unsigned)ev->request_id, (unsigned)ev->role);
}

static void on_violation(void *arg, struct cap_conn *c,
			 const struct fcgi_violation *v)
{
	struct log *l = arg;

	l->violations++;
	lput(l, "violation %s %s packet=%llu\n", c->label,
	     fcgi_vcode_name(v->code), (unsigned long long)c->packet);
}

static void on_note(void *arg, struct cap_conn *c, const char *what,
		    const char *detail)
{
	struct log *l = arg;

	lput(l, "note %s %s: %s\n", c != NULL ? c->label : "-", what, detail);
}

static void on_close(void *arg, struct cap_conn *c, const char *why)
{
	struct log *l = arg;

	l->closes++;
	lput(l, "close %s %s %llu %llu\n", c->label, why,
	     (unsigned long long)c->bytes[0], (unsigned long long)c->bytes[1]);
}

static const struct cap_session_cbs cbs = { on_open,	  on_record, on_event,
					    on_violation, on_note,   on_close };

static const char *ltext(struct log *l)
{
	assert_int_equal(fcgi_buf_append_u8(&l->text, 0), 0);
	l->text.len--;
	return (const char *)l->text.data;
}

static bool has(struct log *l, const char *s)
{
	return strstr(ltext(l), s) != NULL;
}

/* ---- frames ------------------------------------------------------------ */

static void be16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* One raw IPv4 frame of a TCP segment between 10.0.0.2:cport (side 0)
 * and 10.0.0.1:sport (side 1). */
struct conv {
	struct cap_session *s;
	uint16_t cport, sport;
	uint32_t seq[2];
	uint64_t packet;
	double ts;
	bool tolerant; /* FCGI_ENOMEM from the session is fine */
	uint8_t frame[70000];
};

static void frame(struct conv *cv, int side, unsigned flags,
		  const uint8_t *data, size_t n)
{
	uint8_t *f = cv->frame, *t = f + 20;
	int rc;

	memset(f, 0, 40);
	f[0] = 0x45;
	be16(f + 2, (unsigned)(40 + n));
	f[8] = 64;
	f[9] = 6;
	be32(f + 12, side == 0 ? 0x0a000002 : 0x0a000001);
	be32(f + 16, side == 0 ? 0x0a000001 : 0x0a000002);
	be16(t, side == 0 ? cv->cport : cv->sport);
	be16(t + 2, side == 0 ? cv->sport : cv->cport);
	be32(t + 4, cv->seq[side]);
	be32(t + 8, (flags & CAP_TH_ACK) ? cv->seq[!side] : 0);
	t[12] = 5 << 4;
	t[13] = (uint8_t)flags;
	if (n > 0)
		memcpy(f + 40, data, n);
	cv->packet++;
	cv->ts += 0.001;
	rc = cap_session_frame(cv->s, CAP_DLT_RAW, cv->packet, cv->ts, f,
			       40 + n, 40 + n);
	if (!cv->tolerant || rc != FCGI_ENOMEM)
		assert_int_equal(rc, 0);
	cv->seq[side] += (uint32_t)n;
	if (flags & (CAP_TH_SYN | CAP_TH_FIN))
		cv->seq[side]++;
}

static void conv_init(struct conv *cv, struct cap_session *s, uint16_t cport,
		      uint16_t sport)
{
	memset(cv, 0, offsetof(struct conv, frame));
	cv->s = s;
	cv->cport = cport;
	cv->sport = sport;
	cv->seq[0] = 1000;
	cv->seq[1] = 5000;
}

static void handshake(struct conv *cv)
{
	frame(cv, 0, CAP_TH_SYN, NULL, 0);
	frame(cv, 1, CAP_TH_SYN | CAP_TH_ACK, NULL, 0);
	frame(cv, 0, CAP_TH_ACK, NULL, 0);
}

/* side's bytes in segments of at most mss. */
static void send_bytes(struct conv *cv, int side, const struct fcgi_buf *b,
		       size_t mss)
{
	for (size_t o = 0; o < b->len; o += mss)
		frame(cv, side, CAP_TH_ACK, b->data + o,
		      b->len - o < mss ? b->len - o : mss);
}

/* A request and its answer, as nginx and PHP-FPM frame them. */
static void conversation(struct fcgi_buf *app, struct fcgi_buf *web,
			 uint16_t id, const char *script)
{
	struct fcgi_begin_body bb = { FCGI_RESPONDER, 0 };
	struct fcgi_end_body eb = { 0, FCGI_REQUEST_COMPLETE };
	struct fcgi_buf nv;
	uint8_t body[8];

	fcgi_begin_body_encode(body, &bb);
	assert_int_equal(
		fcgi_record_encode(app, FCGI_BEGIN_REQUEST, id, body, 8), 0);
	fcgi_buf_init(&nv, NULL, 0);
	assert_int_equal(fcgi_nv_encode(&nv, "SCRIPT_FILENAME", 15, script,
					strlen(script)),
			 0);
	assert_int_equal(fcgi_nv_encode(&nv, "REQUEST_METHOD", 14, "GET", 3),
			 0);
	assert_int_equal(
		fcgi_record_encode(app, FCGI_PARAMS, id, nv.data, nv.len), 0);
	fcgi_buf_fini(&nv);
	assert_int_equal(fcgi_record_encode(app, FCGI_PARAMS, id, NULL, 0), 0);
	assert_int_equal(fcgi_record_encode(app, FCGI_STDIN, id, NULL, 0), 0);
	assert_int_equal(fcgi_record_encode(web, FCGI_STDOUT, id,
					    "Status: 200\r\n\r\nhi", 18),
			 0);
	assert_int_equal(fcgi_record_encode(web, FCGI_STDOUT, id, NULL, 0), 0);
	fcgi_end_body_encode(body, &eb);
	assert_int_equal(fcgi_record_encode(web, FCGI_END_REQUEST, id, body, 8),
			 0);
}

struct fixture {
	struct log log;
	struct cap_session *s;
	struct conv cv;
	struct fcgi_buf app, web;
};

static void fx_init(struct fixture *x, const struct cap_session_opts *o)
{
	memset(&x->log, 0, sizeof(x->log));
	fcgi_buf_init(&x->log.text, NULL, 0);
	fcgi_buf_init(&x->app, NULL, 0);
	fcgi_buf_init(&x->web, NULL, 0);
	x->s = cap_session_new(o, &cbs, &x->log);
	assert_non_null(x->s);
	conv_init(&x->cv, x->s, 40000, 9000);
}

static void fx_free(struct fixture *x)
{
	cap_session_finish(x->s);
	cap_session_free(x->s);
	fcgi_buf_fini(&x->log.text);
	fcgi_buf_fini(&x->app);
	fcgi_buf_fini(&x->web);
}

static struct fixture *fx_new(const struct cap_session_opts *o)
{
	struct fixture *x = malloc(sizeof(*x));

	assert_non_null(x);
	fx_init(x, o);
	return x;
}

static void fx_delete(struct fixture *x)
{
	fx_free(x);
	free(x);
}

/* ---- tests -------------------------------------------------------------- */

static void test_session_whole_conversation(void **state)
{
	struct fixture *x = fx_new(NULL);

	(void)state;
	conversation(&x->app, &x->web, 1, "/srv/a.php");
	handshake(&x->cv);
	send_bytes(&x->cv, 0, &x->app, 1000);
	send_bytes(&x->cv, 1, &x->web, 1000);
	frame(&x->cv, 0, CAP_TH_FIN | CAP_TH_ACK, NULL, 0);
	frame(&x->cv, 1, CAP_TH_FIN | CAP_TH_ACK, NULL, 0);
	assert_int_equal(x->log.opens, 1);
	assert_int_equal(x->log.closes, 1);
	assert_int_equal(x->log.violations, 0);
	assert_string_equal(ltext(&x->log),
			    "open c1 10.0.0.2:40000 10.0.0.1:9000\n"
			    "rec c1 to-app BEGIN_REQUEST id=1 len=8 off=0\n"
			    "begin c1 id=1 role=1\n"
			    "rec c1 to-app PARAMS id=1 len=46 off=16\n"
			    "rec c1 to-app PARAMS id=1 len=0 off=72\n"
			    "rec c1 to-app STDIN id=1 len=0 off=80\n"
			    "rec c1 to-web STDOUT id=1 len=18 off=0\n"
			    "rec c1 to-web STDOUT id=1 len=0 off=32\n"
			    "rec c1 to-web END_REQUEST id=1 len=8 off=40\n"
			    "close c1 closed 88 56\n");
	fx_delete(x);
}

/* The records do not depend on where the segments cut them. */
static void test_session_any_segmentation(void **state)
{
	static const size_t mss[] = { 1, 3, 7, 8, 9, 64, 65535 };
	char *want = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(mss) / sizeof(mss[0]); i++) {
		struct fixture *x = fx_new(NULL);

		handshake(&x->cv);
		for (int k = 0; k < 2; k++) {
			fcgi_buf_reset(&x->app);
			fcgi_buf_reset(&x->web);
			conversation(&x->app, &x->web, 1, k ? "/b" : "/a");
			send_bytes(&x->cv, 0, &x->app, mss[i]);
			send_bytes(&x->cv, 1, &x->web, mss[i]);
		}
		cap_session_finish(x->s);
		assert_int_equal(x->log.violations, 0);
		if (want == NULL)
			want = strdup(ltext(&x->log));
		else
			assert_string_equal(ltext(&x->log), want);
		fx_delete(x);
	}
	free(want);
}

static void test_session_not_fastcgi(void **state)
{
	struct fixture *x = fx_new(NULL);
	struct fcgi_buf b;
	struct cap_session_stats st;

	(void)state;
	/* HTTP from the client: not FastCGI, whatever the port. */
	fcgi_buf_init(&b, NULL, 0);
	assert_int_equal(fcgi_buf_append(&b, "GET / HTTP/1.1\r\n\r\n", 18), 0);
	handshake(&x->cv);
	send_bytes(&x->cv, 0, &b, 1000);
	send_bytes(&x->cv, 1, &b, 1000);
	/* A server that speaks first. */
	conv_init(&x->cv, x->s, 40001, 25);
	handshake(&x->cv);
	send_bytes(&x->cv, 1, &b, 1000);
	conversation(&x->app, &x->web, 1, "/a");
	send_bytes(&x->cv, 0, &x->app, 1000);
	assert_int_equal(x->log.opens, 0);
	cap_session_stats(x->s, &st);
	assert_int_equal(st.conns, 0);
	assert_int_equal(st.flows, 2);
	fcgi_buf_fini(&b);
	fx_delete(x);
}

static void test_session_port(void **state)
{
	struct cap_session_opts o;
	struct fixture *x;
	struct fcgi_buf b;

	(void)state;
	cap_session_opts_default(&o);
	o.ports[o.nports++] = 9000;
	x = fx_new(&o);
	/* On the port, even HTTP is decoded (and found wanting). */
	fcgi_buf_init(&b, NULL, 0);
	assert_int_equal(fcgi_buf_append(&b, "GET / HTTP/1.1\r\n\r\n", 18), 0);
	handshake(&x->cv);
	send_bytes(&x->cv, 0, &b, 1000);
	assert_int_equal(x->log.opens, 1);
	assert_true(has(&x->log, "violation c1 bad-version packet=4\n"));
	/* Other ports are not looked at. */
	conv_init(&x->cv, x->s, 40002, 9001);
	conversation(&x->app, &x->web, 1, "/a");
	handshake(&x->cv);
	send_bytes(&x->cv, 0, &x->app, 1000);
	assert_int_equal(x->log.opens, 1);
	fcgi_buf_fini(&b);
	fx_delete(x);
}

/* A capture that begins in the middle: a chain of headers is found,
 * the request it joins is adopted, and nothing is blamed on the start. */
static void test_session_mid_stream(void **state)
{
	struct fixture *x = fx_new(NULL);
	struct fcgi_buf tail;

	(void)state;
	conversation(&x->app, &x->web, 1, "/srv/first.php");
	/* Start 21 bytes into the answer: inside a record. */
	fcgi_buf_init(&tail, NULL, 0);
	assert_int_equal(
		fcgi_buf_append(&tail, x->web.data + 21, x->web.len - 21), 0);
	send_bytes(&x->cv, 1, &tail, 1000);
	fcgi_buf_reset(&x->app);
	fcgi_buf_reset(&x->web);
	conversation(&x->app, &x->web, 1, "/srv/second.php");
	send_bytes(&x->cv, 0, &x->app, 1000);
	send_bytes(&x->cv, 1, &x->web, 1000);
	cap_session_finish(x->s);
	assert_int_equal(x->log.opens, 1);
	assert_int_equal(x->log.violations, 0);
	/* The app's side is found first, and says who is who. */
	assert_true(has(&x->log, "open c1 10.0.0.2:40000 10.0.0.1:9000\n"));
	assert_true(has(&x->log, "note c1 resync: to-web: the capture began "
				 "inside the stream; decoding from offset 11"));
	assert_true(has(&x->log, "rec c1 to-web STDOUT id=1 len=0 off=11\n"));
	assert_true(has(&x->log, "begin c1 id=1 role=0\n"));
	assert_true(has(&x->log, "rec c1 to-app BEGIN_REQUEST id=1 len=8 "
				 "off=0\n"));
	assert_true(has(&x->log, "begin c1 id=1 role=1\n"));
	fcgi_buf_fini(&tail);
	fx_delete(x);
}

/* A segment lost in the middle: a gap, a resync at the next header, and
 * no finding that only the loss causes. */
static void test_session_gap(void **state)
{
	struct fixture *x = fx_new(NULL);

	(void)state;
	conversation(&x->app, &x->web, 1, "/a");
	handshake(&x->cv);
	/* The first 30 bytes go, the next 20 are lost, then the rest. */
	frame(&x->cv, 0, CAP_TH_ACK, x->app.data, 30);
	x->cv.seq[0] += 20;
	frame(&x->cv, 0, CAP_TH_ACK, x->app.data + 50, x->app.len - 50);
	send_bytes(&x->cv, 1, &x->web, 1000);
	fcgi_buf_reset(&x->app);
	fcgi_buf_reset(&x->web);
	conversation(&x->app, &x->web, 1, "/b");
	send_bytes(&x->cv, 0, &x->app, 1000);
	send_bytes(&x->cv, 1, &x->web, 1000);
	cap_session_finish(x->s);
	assert_true(has(&x->log, "note c1 gap: to-app: 20 bytes lost at "
				 "offset 30\n"));
	/* The rest of the PARAMS record is skipped to the next header. */
	assert_true(has(&x->log, "note c1 resync: to-app: decoding from "
				 "offset 64 after 34 bytes lost or skipped"));
	assert_int_equal(x->log.violations, 0);
	assert_true(has(&x->log, "rec c1 to-app BEGIN_REQUEST id=1 len=8 "
				 "off=80\n"));
	assert_true(has(&x->log, "close c1 end of capture 160 112\n"));
	fx_delete(x);
}

/* After a gap, an END_REQUEST alone is enough to resynchronise, even
 * with PHP-FPM's reserved bytes, which hold whatever its buffer held. */
static void test_session_resync_on_end(void **state)
{
	struct fixture *x = fx_new(NULL);
	struct fcgi_buf end;

	(void)state;
	conversation(&x->app, &x->web, 1, "/a");
	handshake(&x->cv);
	send_bytes(&x->cv, 0, &x->app, 1000);
	/* The answer's STDOUT records are lost; its END_REQUEST comes
	 * alone, with "ere" in its reserved bytes. */
	x->cv.seq[1] += 40;
	fcgi_buf_init(&end, NULL, 0);
	assert_int_equal(fcgi_buf_append(&end, x->web.data + 40, 16), 0);
	memcpy(end.data + 13, "ere", 3);
	frame(&x->cv, 1, CAP_TH_ACK, end.data, end.len);
	frame(&x->cv, 0, CAP_TH_ACK, NULL, 0);
	cap_session_finish(x->s);
	assert_true(has(&x->log, "note c1 resync: to-web: decoding from "
				 "offset 40 after 40 bytes lost or skipped"));
	assert_true(has(&x->log, "rec c1 to-web END_REQUEST id=1 len=8 "
				 "off=40\n"));
	fcgi_buf_fini(&end);
	fx_delete(x);
}

/* Every allocation failure: the session carries on or reports
 * FCGI_ENOMEM, and frees everything. */
static int sweep_run(void *arg, const struct fcgi_mem *mem)
{
	struct cap_session_opts o;
	struct fixture *x;
	int rc = 0;

	(void)arg;
	cap_session_opts_default(&o);
	o.mem = mem;
	x = malloc(sizeof(*x));
	assert_non_null(x);
	memset(&x->log, 0, sizeof(x->log));
	fcgi_buf_init(&x->log.text, NULL, 0);
	fcgi_buf_init(&x->app, NULL, 0);
	fcgi_buf_init(&x->web, NULL, 0);
	x->s = cap_session_new(&o, &cbs, &x->log);
	if (x->s == NULL) {
		rc = FCGI_ENOMEM;
	} else {
		conv_init(&x->cv, x->s, 40000, 9000);
		x->cv.tolerant = true;
		conversation(&x->app, &x->web, 1, "/a");
		handshake(&x->cv);
		send_bytes(&x->cv, 0, &x->app, 30);
		send_bytes(&x->cv, 1, &x->web, 30);
		cap_session_finish(x->s);
		cap_session_free(x->s);
	}
	fcgi_buf_fini(&x->log.text);
	fcgi_buf_fini(&x->app);
	fcgi_buf_fini(&x->web);
	free(x);
	if (((const struct failmem *)(const void *)mem)->failed > 0)
		rc = FCGI_ENOMEM;
	return rc;
}

static void test_session_alloc_failure_sweep(void **state)
{
	char why[256] = "";
	long runs;

	(void)state;
	runs = failmem_sweep(sweep_run, NULL, 400, why, sizeof(why));
	if (runs < 0)
		fail_msg("%s", why);
	assert_true(runs > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session_whole_conversation),
		cmocka_unit_test(test_session_any_segmentation),
		cmocka_unit_test(test_session_not_fastcgi),
		cmocka_unit_test(test_session_port),
		cmocka_unit_test(test_session_mid_stream),
		cmocka_unit_test(test_session_gap),
		cmocka_unit_test(test_session_resync_on_end),
		cmocka_unit_test(test_session_alloc_failure_sweep),
	};

	return cmocka_run_group_tests_name("session", tests, NULL, NULL);
}
