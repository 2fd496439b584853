/* SPDX-License-Identifier: MIT */
/* test-decode.c - link, IP and TCP headers of frames (pcap/decode.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "capture.h"
#include "guard.h"

/* ---- building frames ------------------------------------------------- */

struct frame {
	uint8_t b[512];
	size_t n;
};

static void put(struct frame *f, const void *p, size_t n)
{
	assert_true(f->n + n <= sizeof(f->b));
	memcpy(f->b + f->n, p, n);
	f->n += n;
}

static void put16(struct frame *f, unsigned v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(f, b, 2);
}

static void put32(struct frame *f, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 8), (uint8_t)v };

	put(f, b, 4);
}

/* A TCP header (20 bytes plus opt_words * 4 of NOPs) and payload. */
static void tcp(struct frame *f, unsigned opt_words, const char *payload)
{
	put16(f, 40000);
	put16(f, 9000);
	put32(f, 0x11223344);
	put32(f, 0x55667788);
	put16(f, (unsigned)(5 + opt_words) << 12 | CAP_TH_ACK | 0x08);
	put16(f, 65535);
	put32(f, 0);
	for (unsigned i = 0; i < opt_words; i++)
		put32(f, 0x01010101);
	put(f, payload, strlen(payload));
}

/* An IPv4 header for a payload of plen bytes, with opt_words words of
 * options and the fragment field fo. */
static void ipv4(struct frame *f, size_t plen, unsigned opt_words, unsigned fo,
		 uint8_t proto)
{
	size_t hl = 20 + 4 * opt_words;

	put16(f, 0x4500 | (unsigned)(hl / 4) << 8);
	put16(f, (unsigned)(hl + plen));
	put16(f, 0x1234);
	put16(f, fo);
	put16(f, (unsigned)64 << 8 | proto);
	put16(f, 0);
	put32(f, 0x0a000002);
	put32(f, 0x0a000001);
	for (unsigned i = 0; i < opt_words; i++)
		put32(f, 0x01010101);
}

static void ipv6(struct frame *f, size_t plen, uint8_t next)
{
	static const uint8_t src[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	static const uint8_t dst[16] = { [15] = 1 };

	put32(f, 0x60000000);
	put16(f, (unsigned)plen);
	put16(f, (unsigned)next << 8 | 64);
	put(f, src, 16);
	put(f, dst, 16);
}

static void eth(struct frame *f, unsigned type)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };

	put(f, macs, 12);
	put16(f, type);
}

#define PAYLOAD "\1\1\0\1\0\10\0\0"

/* The TCP+payload of the frames below. */
static size_t tcp_len(unsigned opt_words)
{
	return 20 + 4 * opt_words + strlen(PAYLOAD);
}

static enum cap_decode_rc decode(int lt, const struct frame *f,
				 struct cap_pkt *p, struct cap_frag *fr,
				 const char **why)
{
	static uint8_t copy[512];
	struct guard g;
	uint8_t *data;
	enum cap_decode_rc rc;

	/* Against a guard page: a read past the frame faults. */
	data = guard_place(&g, f->b, f->n);
	assert_non_null(data);
	rc = cap_decode(lt, data, f->n, f->n, p, fr, why);
	if (rc == CAP_DEC_TCP) {
		/* The payload points into the frame. */
		assert_true(p->data >= data && p->data + p->len <= data + f->n);
		/* Copy out before the guard goes. */
		memcpy(copy, p->data, p->len);
		p->data = copy;
	}
	guard_release(&g);
	return rc;
}

static void expect_tcp(int lt, const struct frame *f, uint8_t family)
{
	struct cap_pkt p;
	struct cap_frag fr;
	const char *why;

	assert_int_equal(decode(lt, f, &p, &fr, &why), CAP_DEC_TCP);
	assert_int_equal(p.src.family, family);
	assert_int_equal(p.sport, 40000);
	assert_int_equal(p.dport, 9000);
	assert_int_equal(p.seq, 0x11223344);
	assert_int_equal(p.ack, 0x55667788);
	assert_int_equal(p.flags, CAP_TH_ACK | 0x08);
	assert_int_equal(p.len, strlen(PAYLOAD));
	assert_memory_equal(p.data, PAYLOAD, p.len);
	assert_int_equal(p.missing, 0);
	/* Every shorter capture of it: never a fault, never TCP with
	 * more payload than was captured. */
	for (size_t n = 0; n < f->n; n++) {
		struct frame cut = *f;
		enum cap_decode_rc rc;

		cut.n = n;
		rc = decode(lt, &cut, &p, &fr, &why);
		if (rc == CAP_DEC_TCP)
			assert_int_equal(p.len + p.missing, strlen(PAYLOAD));
		else
			assert_true(rc == CAP_DEC_BAD && why != NULL);
	}
}

/* ---- tests ------------------------------------------------------------- */

static void test_decode_ethernet_vlan(void **state)
{
	struct frame f;

	(void)state;
	memset(&f, 0, sizeof(f));
	eth(&f, 0x0800);
	ipv4(&f, tcp_len(0), 0, 0x4000, 6);
	tcp(&f, 0, PAYLOAD);
	expect_tcp(CAP_DLT_EN10MB, &f, 4);
	/* 802.1Q, then 802.1ad outside 802.1Q. */
	memset(&f, 0, sizeof(f));
	eth(&f, 0x8100);
	put16(&f, 42);
	put16(&f, 0x0800);
	ipv4(&f, tcp_len(1), 0, 0, 6);
	tcp(&f, 1, PAYLOAD);
	expect_tcp(CAP_DLT_EN10MB, &f, 4);
	memset(&f, 0, sizeof(f));
	eth(&f, 0x88a8);
	put16(&f, 100);
	put16(&f, 0x8100);
	put16(&f, 42);
	put16(&f, 0x86dd);
	ipv6(&f, tcp_len(0), 6);
	tcp(&f, 0, PAYLOAD);
	expect_tcp(CAP_DLT_EN10MB, &f, 6);
	/* Ethernet padding after the datagram is not payload. */
	memset(&f, 0, sizeof(f));
	eth(&f, 0x0800);
	ipv4(&f, tcp_len(0), 0, 0, 6);
	tcp(&f, 0, PAYLOAD);
	put(&f, "\0\0\0\0\0\0", 6);
	{
		struct cap_pkt p;
		struct cap_frag fr;
		const char *why;

		assert_int_equal(decode(CAP_DLT_EN10MB, &f, &p, &fr, &why),
				 CAP_DEC_TCP);
		assert_int_equal(p.len, strlen(PAYLOAD));
	}
}

static void test_decode_cooked_loop_raw(void **state)
{
	struct frame f;

	(void)state;
	/* Linux cooked v1: 14 bytes, then the protocol. */
	memset(&f, 0, sizeof(f));
	put16(&f, 0);
	put16(&f, 772);
	put16(&f, 6);
	put(&f, "\0\0\0\0\0\0\0\0", 8);
	put16(&f, 0x0800);
	ipv4(&f, tcp_len(0), 2, 0, 6);
	tcp(&f, 0, PAYLOAD);
	expect_tcp(CAP_DLT_LINUX_SLL, &f, 4);
	/* Linux cooked v2: the protocol first. */
	memset(&f, 0, sizeof(f));
	put16(&f, 0x86dd);
	put16(&f, 0);
	put32(&f, 1);
	put16(&f, 772);
	put16(&f, 6);
	put(&f, "\0\0\0\0\0\0\0\0", 8);
	ipv6(&f, tcp_len(0), 6);
	tcp(&f, 0, PAYLOAD);
	expect_tcp(CAP_DLT_LINUX_SLL2, &f, 6);
	/* BSD NULL in either byte order, LOOP in network order, with
	 * each system's AF_INET6. */
	memset(&f, 0, sizeof(f));
	put(&f, "\2\0\0\0", 4);
	ipv4(&f, tcp_len(0), 0, 0, 6);
	tcp(&f, 0, PAYLOAD);
	expect_tcp(CAP_DLT_NULL, &f, 4);
	memset(&f, 0, sizeof(f));
	put(&f, "\0\0\0\x1e", 4);
	ipv6(&f, tcp_len(0), 6);
	tcp(&f, 0, PAYLOAD);
	expect_tcp(CAP_DLT_NULL, &f, 6);
	expect_tcp(CAP_DLT_LOOP, &f, 6);
	memset(&f, 0, sizeof(f));
	put(&f, "\x0a\0\0\0", 4);
	ipv6(&f, tcp_len(0), 6);
	tcp(&f, 0, PAYLOAD);
	expect_tcp(CAP_DLT_NULL, &f, 6);
	/* Raw IP, each way libpcap names it. */
	memset(&f, 0, sizeof(f));
	ipv4(&f, tcp_len(0), 0, 0, 6);
	tcp(&f, 0, PAYLOAD);
	expect_tcp(CAP_DLT_RAW, &f, 4);
	expect_tcp(CAP_LINKTYPE_RAW, &f, 4);
	expect_tcp(CAP_DLT_IPV4, &f, 4);
	memset(&f, 0, sizeof(f));
	ipv6(&f, tcp_len(0), 6);
	tcp(&f, 0, PAYLOAD);
	expect_tcp(CAP_DLT_RAW_BSD, &f, 6);
	expect_tcp(CAP_DLT_IPV6, &f, 6);
	assert_true(cap_linktype_ok(CAP_DLT_LINUX_SLL2));
	assert_false(cap_linktype_ok(105));
	assert_string_equal(cap_linktype_name(CAP_DLT_EN10MB), "EN10MB");
}

static void test_decode_ipv6_extensions(void **state)
{
	struct frame f;
	struct cap_pkt p;
	struct cap_frag fr;
	const char *why;

	(void)state;
	/* Hop-by-hop (8), routing (16), destination options (8), AH
	 * (12), then TCP. */
	memset(&f, 0, sizeof(f));
	ipv6(&f, 8 + 16 + 8 + 12 + tcp_len(0), 0);
	put(&f, "\x2b\0\1\4\0\0\0\0", 8);
	put(&f, "\x3c\1\0\0\0\0\0\0", 8);
	put(&f, "\0\0\0\0\0\0\0\0", 8);
	put(&f, "\x33\0\1\4\0\0\0\0", 8);
	put(&f, "\6\1\0\0\0\0\0\0\0\0\0\0", 12);
	tcp(&f, 0, PAYLOAD);
	expect_tcp(CAP_DLT_RAW, &f, 6);
	/* An atomic fragment is the whole datagram. */
	memset(&f, 0, sizeof(f));
	ipv6(&f, 8 + tcp_len(0), 44);
	put(&f, "\6\0\0\0\0\0\0\7", 8);
	tcp(&f, 0, PAYLOAD);
	expect_tcp(CAP_DLT_RAW, &f, 6);
	/* A real fragment. */
	memset(&f, 0, sizeof(f));
	ipv6(&f, 8 + 16, 44);
	put(&f, "\6\0\0\x11\0\0\0\7", 8);
	put(&f, "0123456789abcdef", 16);
	assert_int_equal(decode(CAP_DLT_RAW, &f, &p, &fr, &why), CAP_DEC_FRAG);
	assert_int_equal(fr.offset, 16);
	assert_true(fr.more);
	assert_int_equal(fr.id, 7);
	assert_int_equal(fr.proto, 6);
	assert_int_equal(fr.len, 16);
	/* ESP, UDP, no next header: not TCP. */
	memset(&f, 0, sizeof(f));
	ipv6(&f, 8, 50);
	put(&f, "\0\0\0\0\0\0\0\0", 8);
	assert_int_equal(decode(CAP_DLT_RAW, &f, &p, &fr, &why), CAP_DEC_SKIP);
	/* An extension header longer than the payload. */
	memset(&f, 0, sizeof(f));
	ipv6(&f, 8, 0);
	put(&f, "\6\4\0\0\0\0\0\0", 8);
	assert_int_equal(decode(CAP_DLT_RAW, &f, &p, &fr, &why), CAP_DEC_BAD);
}

static void test_decode_ipv4_fragments_and_errors(void **state)
{
	struct frame f;
	struct cap_pkt p;
	struct cap_frag fr;
	const char *why;

	(void)state;
	memset(&f, 0, sizeof(f));
	ipv4(&f, 24, 0, 0x2000 | 3, 6); /* MF, offset 24 */
	put(&f, "abcdefghijklmnopqrstuvwx", 24);
	assert_int_equal(decode(CAP_DLT_RAW, &f, &p, &fr, &why), CAP_DEC_FRAG);
	assert_int_equal(fr.offset, 24);
	assert_true(fr.more);
	assert_int_equal(fr.id, 0x1234);
	/* UDP is skipped, even fragmented. */
	memset(&f, 0, sizeof(f));
	ipv4(&f, 8, 0, 0, 17);
	put(&f, "\0\0\0\0\0\0\0\0", 8);
	assert_int_equal(decode(CAP_DLT_RAW, &f, &p, &fr, &why), CAP_DEC_SKIP);
	/* A header length below 5, a total length below it, a TCP data
	 * offset below 5. */
	memset(&f, 0, sizeof(f));
	ipv4(&f, tcp_len(0), 0, 0, 6);
	tcp(&f, 0, PAYLOAD);
	f.b[0] = 0x44;
	assert_int_equal(decode(CAP_DLT_RAW, &f, &p, &fr, &why), CAP_DEC_BAD);
	assert_string_equal(why, "IPv4 header length below 5");
	f.b[0] = 0x45;
	f.b[2] = 0;
	f.b[3] = 10;
	assert_int_equal(decode(CAP_DLT_RAW, &f, &p, &fr, &why), CAP_DEC_BAD);
	f.b[3] = (uint8_t)(20 + tcp_len(0));
	f.b[20 + 12] = 0x40;
	assert_int_equal(decode(CAP_DLT_RAW, &f, &p, &fr, &why), CAP_DEC_BAD);
	assert_string_equal(why, "TCP data offset below 5");
	/* A datagram cut by the snapshot length: its missing bytes. */
	memset(&f, 0, sizeof(f));
	ipv4(&f, tcp_len(0) + 100, 0, 0, 6);
	tcp(&f, 0, PAYLOAD);
	assert_int_equal(decode(CAP_DLT_RAW, &f, &p, &fr, &why), CAP_DEC_TCP);
	assert_int_equal(p.missing, 100);
	/* An unknown link type, a non-IP EtherType, an 802.3 frame. */
	assert_int_equal(cap_decode(105, f.b, f.n, f.n, &p, &fr, &why),
			 CAP_DEC_LINKTYPE);
	memset(&f, 0, sizeof(f));
	eth(&f, 0x0806);
	put(&f, "arp arp arp arp", 15);
	assert_int_equal(decode(CAP_DLT_EN10MB, &f, &p, &fr, &why),
			 CAP_DEC_SKIP);
	memset(&f, 0, sizeof(f));
	eth(&f, 0x0040);
	assert_int_equal(decode(CAP_DLT_EN10MB, &f, &p, &fr, &why),
			 CAP_DEC_SKIP);
	/* Nine VLAN tags are too many. */
	memset(&f, 0, sizeof(f));
	eth(&f, 0x8100);
	for (int i = 0; i < 9; i++) {
		put16(&f, 1);
		put16(&f, 0x8100);
	}
	assert_int_equal(decode(CAP_DLT_EN10MB, &f, &p, &fr, &why),
			 CAP_DEC_BAD);
	assert_string_equal(why, "too many VLAN tags");
	assert_int_equal(cap_decode(CAP_DLT_RAW, NULL, 0, 0, &p, &fr, &why),
			 CAP_DEC_BAD);
}

static void test_decode_addr_format(void **state)
{
	struct cap_addr a;
	char out[64];

	(void)state;
	memset(&a, 0, sizeof(a));
	a.family = 4;
	memcpy(a.a, "\x7f\0\0\1", 4);
	assert_string_equal(cap_addr_format(out, sizeof(out), &a, 9000),
			    "127.0.0.1:9000");
	a.family = 6;
	memset(a.a, 0, 16);
	a.a[15] = 1;
	assert_string_equal(cap_addr_format(out, sizeof(out), &a, 80),
			    "[::1]:80");
	memcpy(a.a, "\x20\x01\x0d\xb8\0\0\0\0\0\1\0\0\0\0\0\x10", 16);
	assert_string_equal(cap_addr_format(out, sizeof(out), &a, 1),
			    "[2001:db8::1:0:0:10]:1");
	memset(a.a, 0, 16);
	assert_string_equal(cap_addr_format(out, sizeof(out), &a, 2), "[::]:2");
	memcpy(a.a, "\xfe\x80\0\0\0\0\0\0\xab\xcd\0\0\0\0\0\0", 16);
	assert_string_equal(cap_addr_format(out, sizeof(out), &a, 3),
			    "[fe80::abcd:0:0:0]:3");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_ethernet_vlan),
		cmocka_unit_test(test_decode_cooked_loop_raw),
		cmocka_unit_test(test_decode_ipv6_extensions),
		cmocka_unit_test(test_decode_ipv4_fragments_and_errors),
		cmocka_unit_test(test_decode_addr_format),
	};

	return cmocka_run_group_tests_name("decode", tests, NULL, NULL);
}
