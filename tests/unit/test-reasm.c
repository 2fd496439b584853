/* SPDX-License-Identifier: MIT */
/* test-reasm.c - TCP flows and their streams (pcap/reasm.c). */
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

/* ---- a harness that keeps what the reassembler reports --------------- */

#define LOG_MAX 8192

struct h {
	struct cap_reasm *r;
	struct fcgi_buf stream[2]; /* bytes per side, gaps as '#' */
	char log[LOG_MAX];	   /* events in order, one word each */
	size_t loglen;
	uint64_t gaps[2];
	int overlaps;
	uint64_t overlap_off;
	size_t overlap_len;
	int ends[2], resets[2];
	int closes;
	enum cap_close why;
	const uint8_t *last_data; /* the pointer of the last on_data */
	struct cap_flow *flow;
	bool ignore_on_data; /* ignore the flow at its first bytes */
};

static void logf_(struct h *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void logf_(struct h *h, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(h->log + h->loglen, LOG_MAX - h->loglen, fmt, ap);
	va_end(ap);
	if (n > 0 && h->loglen + (size_t)n < LOG_MAX)
		h->loglen += (size_t)n;
}

static void on_data(void *arg, struct cap_flow *f, int side,
		    const uint8_t *data, size_t len)
{
	struct h *h = arg;

	h->flow = f;
	h->last_data = data;
	assert_int_equal(fcgi_buf_append(&h->stream[side], data, len), 0);
	logf_(h, "d%d:%zu ", side, len);
	if (h->ignore_on_data)
		cap_reasm_ignore(h->r, f);
}

static void on_gap(void *arg, struct cap_flow *f, int side, uint64_t len,
		   bool at_start)
{
	struct h *h = arg;

	h->flow = f;
	if (at_start) {
		logf_(h, "s%d ", side);
		return;
	}
	h->gaps[side] += len;
	for (uint64_t i = 0; i < len; i++)
		assert_int_equal(fcgi_buf_append_u8(&h->stream[side], '#'), 0);
	logf_(h, "g%d:%llu ", side, (unsigned long long)len);
}

static void on_overlap(void *arg, struct cap_flow *f, int side, uint64_t off,
		       size_t len)
{
	struct h *h = arg;

	(void)f;
	h->overlaps++;
	h->overlap_off = off;
	h->overlap_len = len;
	logf_(h, "o%d:%llu+%zu ", side, (unsigned long long)off, len);
}

static void on_end(void *arg, struct cap_flow *f, int side, bool reset)
{
	struct h *h = arg;

	(void)f;
	h->ends[side]++;
	if (reset)
		h->resets[side]++;
	logf_(h, "%s%d ", reset ? "r" : "f", side);
}

static void on_close(void *arg, struct cap_flow *f, enum cap_close why)
{
	struct h *h = arg;

	(void)f;
	h->closes++;
	h->why = why;
	logf_(h, "c%d ", (int)why);
}

static const struct cap_reasm_cbs cbs = { on_data, on_gap, on_overlap, on_end,
					  on_close };

static void h_init(struct h *h, const struct cap_reasm_opts *o)
{
	memset(h, 0, sizeof(*h));
	fcgi_buf_init(&h->stream[0], NULL, 0);
	fcgi_buf_init(&h->stream[1], NULL, 0);
	h->r = cap_reasm_new(o, &cbs, h);
	assert_non_null(h->r);
}

static void h_free(struct h *h)
{
	cap_reasm_free(h->r);
	fcgi_buf_fini(&h->stream[0]);
	fcgi_buf_fini(&h->stream[1]);
}

/* The stream of side as a string. */
static const char *str(struct h *h, int side)
{
	static char out[2][4096];
	size_t n = h->stream[side].len < 4095 ? h->stream[side].len : 4095;

	if (n > 0)
		memcpy(out[side], h->stream[side].data, n);
	out[side][n] = '\0';
	return out[side];
}

/* A segment of side (0: 10.0.0.2:40000, the client; 1: 10.0.0.1:9000). */
static void seg(struct h *h, int side, unsigned flags, uint32_t seq,
		uint32_t ack, const char *data, double ts)
{
	struct cap_pkt p;

	memset(&p, 0, sizeof(p));
	p.src.family = p.dst.family = 4;
	p.src.a[0] = p.dst.a[0] = 10;
	p.src.a[3] = (uint8_t)(side == 0 ? 2 : 1);
	p.dst.a[3] = (uint8_t)(side == 0 ? 1 : 2);
	p.sport = side == 0 ? 40000 : 9000;
	p.dport = side == 0 ? 9000 : 40000;
	p.seq = seq;
	p.ack = ack;
	p.flags = (uint8_t)flags;
	p.data = (const uint8_t *)data;
	p.len = data != NULL ? strlen(data) : 0;
	assert_int_equal(cap_reasm_segment(h->r, &p, ts, 1), 0);
}

#define S CAP_TH_SYN
#define A CAP_TH_ACK
#define F CAP_TH_FIN
#define R CAP_TH_RST

/* The handshake: client ISN c, server ISN s. */
static void shake(struct h *h, uint32_t c, uint32_t s)
{
	seg(h, 0, S, c, 0, NULL, 0);
	seg(h, 1, S | A, s, c + 1, NULL, 0);
	seg(h, 0, A, c + 1, s + 1, NULL, 0);
}

/* ---- tests ------------------------------------------------------------- */

static void test_reasm_in_order(void **state)
{
	struct h h;
	const char *a = "hello", *b = "world!";

	(void)state;
	h_init(&h, NULL);
	shake(&h, 100, 500);
	seg(&h, 0, A, 101, 501, a, 0.1);
	/* In order: handed on where it lies, no copy. */
	assert_ptr_equal(h.last_data, (const uint8_t *)a);
	seg(&h, 1, A, 501, 106, b, 0.2);
	assert_ptr_equal(h.last_data, (const uint8_t *)b);
	seg(&h, 0, A | F, 106, 507, NULL, 0.3);
	seg(&h, 1, A | F, 507, 107, NULL, 0.4);
	assert_string_equal(str(&h, 0), "hello");
	assert_string_equal(str(&h, 1), "world!");
	assert_string_equal(h.log, "d0:5 d1:6 f0 f1 c1 ");
	assert_true(h.flow->syn[0] && h.flow->syn[1]);
	assert_int_equal(cap_reasm_count(h.r), 0);
	/* A late retransmission of a closed connection starts nothing. */
	seg(&h, 1, A, 501, 106, b, 0.5);
	assert_int_equal(cap_reasm_count(h.r), 0);
	h_free(&h);
}

static void test_reasm_out_of_order(void **state)
{
	struct h h;

	(void)state;
	h_init(&h, NULL);
	shake(&h, 1000, 2000);
	seg(&h, 0, A, 1006, 2001, "world", 0.1); /* early: held */
	assert_int_equal(h.stream[0].len, 0);
	assert_int_equal(cap_reasm_held(h.r), 5);
	seg(&h, 0, A, 1001, 2001, "hello", 0.2);
	assert_string_equal(str(&h, 0), "helloworld");
	assert_int_equal(cap_reasm_held(h.r), 0);
	/* Three ahead, out of order, overlapping each other. */
	seg(&h, 0, A, 1021, 2001, "EFGH", 0.3);
	seg(&h, 0, A, 1019, 2001, "CDEF", 0.3);
	seg(&h, 0, A, 1016, 2001, "VWXCD", 0.3);
	seg(&h, 0, A, 1011, 2001, "12345", 0.4);
	assert_string_equal(str(&h, 0), "helloworld12345VWXCDEFGH");
	assert_int_equal(h.overlaps, 0);
	h_free(&h);
}

static void test_reasm_retransmissions(void **state)
{
	struct h h;

	(void)state;
	h_init(&h, NULL);
	shake(&h, 0, 0);
	seg(&h, 0, A, 1, 1, "abcdef", 0.1);
	/* Copies of delivered bytes, whole or in part: dropped. */
	seg(&h, 0, A, 1, 1, "abcdef", 0.2);
	seg(&h, 0, A, 3, 1, "cdefgh", 0.3);
	assert_string_equal(str(&h, 0), "abcdefgh");
	assert_int_equal(h.overlaps, 0);
	/* A keep-alive probe: one byte before the next, whatever it is. */
	seg(&h, 0, A, 8, 1, "?", 0.35);
	assert_int_equal(h.overlaps, 0);
	/* Other bytes where some were: reported, the first copy stays. */
	seg(&h, 0, A, 5, 1, "EFGHij", 0.4);
	assert_string_equal(str(&h, 0), "abcdefghij");
	assert_int_equal(h.overlaps, 1);
	assert_int_equal(h.overlap_off, 4);
	assert_int_equal(h.overlap_len, 4);
	/* The same with held bytes. */
	seg(&h, 0, A, 15, 1, "opq", 0.5);
	seg(&h, 0, A, 15, 1, "opq", 0.5);
	assert_int_equal(h.overlaps, 1);
	seg(&h, 0, A, 14, 1, "nOp", 0.5);
	assert_int_equal(h.overlaps, 2);
	assert_int_equal(h.overlap_off, 14);
	assert_int_equal(h.overlap_len, 1);
	seg(&h, 0, A, 11, 1, "klm", 0.6);
	assert_string_equal(str(&h, 0), "abcdefghijklmnopq");
	h_free(&h);
}

static void test_reasm_gap_acked(void **state)
{
	struct h h;

	(void)state;
	h_init(&h, NULL);
	shake(&h, 0, 0);
	seg(&h, 0, A, 1, 1, "aaaa", 0.1);
	/* "bbbb" at 5 is lost; the server acknowledges it. */
	seg(&h, 0, A, 9, 1, "cccc", 0.2);
	seg(&h, 1, A, 1, 13, NULL, 0.2);
	assert_string_equal(str(&h, 0), "aaaa");
	/* It may still come, out of order, within a second. */
	seg(&h, 1, A, 1, 13, NULL, 1.0);
	assert_string_equal(str(&h, 0), "aaaa");
	seg(&h, 1, A, 1, 13, NULL, 1.3);
	assert_string_equal(str(&h, 0), "aaaa####cccc");
	assert_int_equal(h.gaps[0], 4);
	/* Bytes of the hole that come late are old. */
	seg(&h, 0, A, 5, 1, "bbbb", 1.4);
	assert_string_equal(str(&h, 0), "aaaa####cccc");
	h_free(&h);
}

static void test_reasm_gap_at_end(void **state)
{
	struct h h;

	(void)state;
	h_init(&h, NULL);
	shake(&h, 0, 0);
	seg(&h, 0, A, 1, 1, "xx", 0.1);
	/* 3 bytes lost before the FIN: given up when the flow ends. */
	seg(&h, 0, A | F, 6, 1, NULL, 0.2);
	assert_string_equal(str(&h, 0), "xx");
	assert_int_equal(h.ends[0], 0);
	seg(&h, 1, A | F, 1, 7, NULL, 0.3);
	cap_reasm_finish(h.r);
	assert_string_equal(str(&h, 0), "xx###");
	assert_int_equal(h.ends[0], 1);
	assert_int_equal(h.closes, 1);
	h_free(&h);
}

static void test_reasm_window(void **state)
{
	struct cap_reasm_opts o;
	struct h h;

	(void)state;
	cap_reasm_opts_default(&o);
	o.window = 8;
	h_init(&h, &o);
	shake(&h, 0, 0);
	seg(&h, 0, A, 3, 1, "cdef", 0.1);
	assert_int_equal(h.stream[0].len, 0);
	/* More than the window behind the hole: the hole is lost. */
	seg(&h, 0, A, 7, 1, "ghijk", 0.1);
	assert_string_equal(str(&h, 0), "##cdefghijk");
	assert_int_equal(cap_reasm_held(h.r), 0);
	h_free(&h);
}

static void test_reasm_wraparound(void **state)
{
	struct h h;

	(void)state;
	h_init(&h, NULL);
	shake(&h, 0xfffffff0u, 7);
	seg(&h, 0, A, 0xfffffff1u, 8, "0123456789", 0.1);
	seg(&h, 0, A, 0xfffffffbu, 8, "abcdefghij", 0.2);
	/* Out of order across the wrap. */
	seg(&h, 0, A, 15, 8, "uvw", 0.3);
	seg(&h, 0, A, 5, 8, "klmnopqrst", 0.3);
	assert_string_equal(str(&h, 0), "0123456789abcdefghijklmnopqrstuvw");
	h_free(&h);
}

static void test_reasm_mid_stream(void **state)
{
	struct h h;

	(void)state;
	h_init(&h, NULL);
	/* No handshake: the first byte seen is offset 0. */
	seg(&h, 1, A, 77777, 5555, "answer", 0.1);
	seg(&h, 0, A, 5555, 77783, "question", 0.2);
	assert_string_equal(str(&h, 0), "answer");
	assert_string_equal(str(&h, 1), "question");
	assert_false(h.flow->syn[0]);
	assert_string_equal(h.log, "s0 d0:6 s1 d1:8 ");
	/* Side 0 is whoever sent first. */
	assert_int_equal(h.flow->port[0], 9000);
	h_free(&h);
}

static void test_reasm_reset(void **state)
{
	struct h h;

	(void)state;
	h_init(&h, NULL);
	shake(&h, 0, 0);
	seg(&h, 0, A, 1, 1, "req", 0.1);
	seg(&h, 1, A | R, 1, 4, NULL, 0.2);
	assert_string_equal(h.log, "d0:3 r1 c2 ");
	assert_int_equal(h.why, CAP_CLOSE_RST);
	/* A reset that says bytes were sent that never came. */
	seg(&h, 0, S, 50, 0, NULL, 1);
	seg(&h, 1, S | A, 70, 51, NULL, 1);
	seg(&h, 1, A, 71, 51, "ab", 1);
	seg(&h, 1, R | A, 78, 51, NULL, 1);
	assert_string_equal(str(&h, 1), "ab#####");
	h_free(&h);
}

/* A segment waits for the bytes of the other side that its packet
 * acknowledged, so the two streams interleave as their senders saw. */
static void test_reasm_causal_order(void **state)
{
	struct h h;

	(void)state;
	h_init(&h, NULL);
	shake(&h, 0, 0);
	seg(&h, 0, A, 1, 1, "Q1", 0.1);
	/* The capture shows the second question, sent after the first
	 * answer (its ack says so), before that answer. */
	seg(&h, 0, A, 3, 3, "Q2", 0.2);
	assert_string_equal(h.log, "d0:2 ");
	seg(&h, 1, A, 1, 3, "A1", 0.3);
	seg(&h, 1, A, 3, 5, "A2", 0.4);
	assert_string_equal(h.log, "d0:2 d1:2 d0:2 d1:2 ");
	/* What never comes is given up after a second. */
	seg(&h, 0, A, 5, 9, "Q3", 0.5); /* the server sent 4 more */
	seg(&h, 0, A, 7, 9, "Q4", 1.0);
	assert_string_equal(h.log, "d0:2 d1:2 d0:2 d1:2 ");
	seg(&h, 0, A, 9, 9, "Q5", 1.6);
	assert_string_equal(h.log, "d0:2 d1:2 d0:2 d1:2 g1:4 d0:2 d0:2 d0:2 ");
	h_free(&h);
}

static void test_reasm_snaplen(void **state)
{
	struct cap_pkt p;
	struct h h;

	(void)state;
	h_init(&h, NULL);
	shake(&h, 0, 0);
	memset(&p, 0, sizeof(p));
	p.src.family = p.dst.family = 4;
	p.src.a[0] = p.dst.a[0] = 10;
	p.src.a[3] = 2;
	p.dst.a[3] = 1;
	p.sport = 40000;
	p.dport = 9000;
	p.seq = 1;
	p.ack = 1;
	p.flags = A;
	p.data = (const uint8_t *)"abc";
	p.len = 3;
	p.missing = 5; /* the snapshot length cut 5 bytes */
	assert_int_equal(cap_reasm_segment(h.r, &p, 0.1, 4), 0);
	seg(&h, 0, A, 9, 1, "xyz", 0.2);
	assert_string_equal(str(&h, 0), "abc#####xyz");
	h_free(&h);
}

/* A SYN from port sport to 9000. */
static void syn_from(struct h *h, uint16_t sport, double ts)
{
	struct cap_pkt p;

	memset(&p, 0, sizeof(p));
	p.src.family = p.dst.family = 4;
	p.sport = sport;
	p.dport = 9000;
	p.flags = S;
	assert_int_equal(cap_reasm_segment(h->r, &p, ts, 1), 0);
}

static void test_reasm_ignore_and_evict(void **state)
{
	struct cap_reasm_opts o;
	struct h h;

	(void)state;
	cap_reasm_opts_default(&o);
	o.idle = 10;
	h_init(&h, &o);
	h.ignore_on_data = true;
	shake(&h, 0, 0);
	seg(&h, 0, A, 1, 1, "GET /", 0.1);
	seg(&h, 0, A, 6, 1, "more", 0.2);
	seg(&h, 0, A, 20, 1, "held?", 0.3);
	assert_string_equal(str(&h, 0), "GET /");
	assert_int_equal(cap_reasm_held(h.r), 0);
	assert_int_equal(cap_reasm_count(h.r), 1);
	/* Another flow, 11 s later: the first is evicted. */
	h.ignore_on_data = false;
	syn_from(&h, 41000, 11.5);
	assert_int_equal(h.closes, 1);
	assert_int_equal(h.why, CAP_CLOSE_IDLE);
	assert_int_equal(cap_reasm_count(h.r), 1);
	h_free(&h);
	/* The flow limit evicts the idlest. */
	cap_reasm_opts_default(&o);
	o.max_flows = 3;
	h_init(&h, &o);
	for (uint16_t i = 0; i < 5; i++)
		syn_from(&h, (uint16_t)(1000 + i), i);
	assert_int_equal(cap_reasm_count(h.r), 3);
	assert_int_equal(h.closes, 2);
	assert_int_equal(h.why, CAP_CLOSE_FULL);
	h_free(&h);
}

static void test_reasm_syn_reuse(void **state)
{
	struct h h;

	(void)state;
	h_init(&h, NULL);
	shake(&h, 10, 20);
	seg(&h, 0, A, 11, 21, "one", 0.1);
	/* The same addresses and ports, another initial sequence number. */
	shake(&h, 9999, 20);
	assert_int_equal(h.why, CAP_CLOSE_REUSED);
	seg(&h, 0, A, 10000, 21, "two", 0.2);
	assert_string_equal(str(&h, 0), "onetwo");
	h_free(&h);
}

/* A whole conversation with reordering, copies and a hole, under every
 * allocation failure: FCGI_ENOMEM or success, and nothing leaks. */
static int sweep_run(void *arg, const struct fcgi_mem *mem)
{
	struct cap_reasm_opts o;
	struct h h;
	struct cap_pkt p;
	static const char *const parts[] = { "aaaa", "bbbb", "cccc", "dddd" };
	static const uint32_t order[] = { 2, 0, 3, 2, 1 };
	int rc = 0, r;

	(void)arg;
	cap_reasm_opts_default(&o);
	o.mem = mem;
	memset(&h, 0, sizeof(h));
	h.r = cap_reasm_new(&o, &cbs, &h);
	if (h.r == NULL)
		return FCGI_ENOMEM;
	fcgi_buf_init(&h.stream[0], NULL, 0);
	fcgi_buf_init(&h.stream[1], NULL, 0);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		memset(&p, 0, sizeof(p));
		p.src.family = p.dst.family = 4;
		p.sport = 40000;
		p.dport = 9000;
		p.flags = A;
		p.seq = 100 + 4 * order[i];
		p.data = (const uint8_t *)parts[order[i]];
		p.len = 4;
		r = cap_reasm_segment(h.r, &p, (double)i, i);
		if (r == FCGI_ENOMEM)
			rc = r;
	}
	cap_reasm_free(h.r);
	fcgi_buf_fini(&h.stream[0]);
	fcgi_buf_fini(&h.stream[1]);
	/* Some allocations are optional (the histories, the ring of closed
	 * connections): refused, they are done without. */
	if (((const struct failmem *)(const void *)mem)->failed > 0)
		return FCGI_ENOMEM;
	return rc;
}

static void test_reasm_alloc_failure_sweep(void **state)
{
	char why[256] = "";
	long runs;

	(void)state;
	runs = failmem_sweep(sweep_run, NULL, 200, why, sizeof(why));
	if (runs < 0)
		fail_msg("%s", why);
	assert_true(runs > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reasm_in_order),
		cmocka_unit_test(test_reasm_out_of_order),
		cmocka_unit_test(test_reasm_retransmissions),
		cmocka_unit_test(test_reasm_gap_acked),
		cmocka_unit_test(test_reasm_gap_at_end),
		cmocka_unit_test(test_reasm_window),
		cmocka_unit_test(test_reasm_wraparound),
		cmocka_unit_test(test_reasm_mid_stream),
		cmocka_unit_test(test_reasm_reset),
		cmocka_unit_test(test_reasm_causal_order),
		cmocka_unit_test(test_reasm_snaplen),
		cmocka_unit_test(test_reasm_ignore_and_evict),
		cmocka_unit_test(test_reasm_syn_reuse),
		cmocka_unit_test(test_reasm_alloc_failure_sweep),
	};

	return cmocka_run_group_tests_name("reasm", tests, NULL, NULL);
}
