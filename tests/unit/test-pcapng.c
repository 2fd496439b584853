/* SPDX-License-Identifier: MIT */
/*
 * test-pcapng.c - the pcapng writer, read back through libpcap: framing,
 * checksums, sequence numbers and the bytes themselves.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <pcap/pcap.h>

#include "pcapng.h"

struct seg {
	int side; /* by source port: 0 client, 1 server */
	unsigned flags;
	uint32_t seq, ack;
	size_t len;
};

struct readback {
	struct seg segs[64];
	size_t nsegs;
	uint8_t *stream[2];
	size_t slen[2];
	int bad_ip_csum, bad_tcp_csum;
	uint64_t first_ts_us;
};

static char *tmp_path(void)
{
	char *p = strdup("/tmp/test-pcapng.XXXXXX");
	int fd;

	assert_non_null(p);
	fd = mkstemp(p);
	assert_true(fd >= 0);
	close(fd);
	return p;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void read_back(const char *path, struct readback *rb)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *p;
	int rc;

	memset(rb, 0, sizeof(*rb));
	p = pcap_open_offline(path, err);
	if (p == NULL)
		fail_msg("pcap_open_offline: %s", err);
	assert_int_equal(pcap_datalink(p), DLT_EN10MB);
	while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
		const uint8_t *ip = d + 14, *tcp = ip + 20;
		size_t tot, len;
		uint32_t sum;
		struct seg *s;

		assert_int_equal(h->caplen, h->len);
		assert_int_equal(be16(d + 12), 0x0800);
		tot = be16(ip + 2);
		assert_int_equal(tot + 14, h->caplen);
		if (cap_csum_fold(cap_csum_add(0, ip, 20)) != 0)
			rb->bad_ip_csum++;
		len = tot - 40;
		sum = cap_csum_add(0, ip + 12, 8) + 6 + (uint32_t)(tot - 20);
		if (cap_csum_fold(cap_csum_add(sum, tcp, tot - 20)) != 0)
			rb->bad_tcp_csum++;
		if (rb->nsegs == 0)
			rb->first_ts_us = (uint64_t)h->ts.tv_sec * 1000000u +
					  (uint64_t)h->ts.tv_usec;
		assert_true(rb->nsegs < 64);
		s = &rb->segs[rb->nsegs++];
		s->side = be16(tcp) == CAP_PCAPNG_SERVER_PORT;
		s->flags = tcp[13];
		s->seq = be32(tcp + 4);
		s->ack = be32(tcp + 8);
		s->len = len;
		if (len > 0) {
			rb->stream[s->side] = realloc(rb->stream[s->side],
						      rb->slen[s->side] + len);
			assert_non_null(rb->stream[s->side]);
			memcpy(rb->stream[s->side] + rb->slen[s->side],
			       tcp + 20, len);
			rb->slen[s->side] += len;
		}
	}
	assert_int_equal(rc, PCAP_ERROR_BREAK);
	pcap_close(p);
}

static void free_back(struct readback *rb)
{
	free(rb->stream[0]);
	free(rb->stream[1]);
}

/* A request, a large answer cut at the MSS, FINs both ways. */
static void test_pcapng_roundtrip(void **state)
{
	struct cap_pcapng *w;
	struct cap_tcpflow f;
	struct readback rb;
	char err[256];
	char *path = tmp_path();
	size_t big = 2 * CAP_PCAPNG_MSS + 7, i;
	uint8_t *resp = malloc(big);
	static const uint8_t req[] = "\x01\x01\x00\x01\x00\x08\x00\x00"
				     "\x00\x01\x00\x00\x00\x00\x00\x00";
	uint32_t isn0, isn1;

	(void)state;
	assert_non_null(resp);
	for (i = 0; i < big; i++)
		resp[i] = (uint8_t)(i * 7 + 3);
	w = cap_pcapng_open(path, err, sizeof(err));
	assert_non_null(w);
	assert_int_equal(cap_pcapng_flow_open(w, &f, 1, 1700000000123456u,
					      "c1 from unix"),
			 0);
	assert_int_equal(
		cap_pcapng_flow_data(w, &f, 0, req, 16, 1700000000123457u), 0);
	assert_int_equal(
		cap_pcapng_flow_data(w, &f, 1, resp, big, 1700000000123458u),
		0);
	assert_int_equal(cap_pcapng_flow_fin(w, &f, 0, 1700000000123459u), 0);
	/* Data after a side's FIN is not written. */
	assert_int_equal(
		cap_pcapng_flow_data(w, &f, 0, req, 16, 1700000000123459u), 0);
	assert_int_equal(cap_pcapng_flow_fin(w, &f, 1, 1700000000123460u), 0);
	assert_null(cap_pcapng_error(w));
	assert_int_equal(cap_pcapng_close(w), 0);

	read_back(path, &rb);
	assert_int_equal(rb.first_ts_us, 1700000000123456u);
	assert_int_equal(rb.bad_ip_csum, 0);
	assert_int_equal(rb.bad_tcp_csum, 0);
	/* SYN, SYN-ACK, ACK, 1 request, 3 response, FIN+ACK, FIN+ACK. */
	assert_int_equal(rb.nsegs, 3 + 1 + 3 + 2 + 2);
	assert_int_equal(rb.segs[0].flags, 0x02);
	assert_int_equal(rb.segs[1].flags, 0x12);
	assert_int_equal(rb.segs[2].flags, 0x10);
	isn0 = rb.segs[0].seq;
	isn1 = rb.segs[1].seq;
	assert_int_equal(rb.segs[1].ack, isn0 + 1);
	assert_int_equal(rb.segs[2].seq, isn0 + 1);
	assert_int_equal(rb.segs[2].ack, isn1 + 1);
	assert_int_equal(rb.segs[3].len, 16);
	assert_int_equal(rb.segs[4].len, CAP_PCAPNG_MSS);
	assert_int_equal(rb.segs[4].seq, isn1 + 1);
	assert_int_equal(rb.segs[4].ack, isn0 + 1 + 16);
	assert_int_equal(rb.segs[5].seq, isn1 + 1 + CAP_PCAPNG_MSS);
	assert_int_equal(rb.segs[6].len, 7);
	assert_int_equal(rb.segs[6].flags, 0x18); /* PSH on the last */
	assert_int_equal(rb.segs[7].flags, 0x11);
	assert_int_equal(rb.segs[7].seq, isn0 + 1 + 16);
	assert_int_equal(rb.segs[8].ack, isn0 + 1 + 16 + 1);
	assert_int_equal(rb.segs[9].seq, isn1 + 1 + big);
	assert_int_equal(rb.slen[0], 16);
	assert_memory_equal(rb.stream[0], req, 16);
	assert_int_equal(rb.slen[1], big);
	assert_memory_equal(rb.stream[1], resp, big);
	free_back(&rb);
	unlink(path);
	free(path);
	free(resp);
}

/* Flows get their own ports; an RST ends both halves. */
static void test_pcapng_flows_and_reset(void **state)
{
	struct cap_pcapng *w;
	struct cap_tcpflow a, b;
	struct readback rb;
	char err[256];
	char *path = tmp_path();

	(void)state;
	w = cap_pcapng_open(path, err, sizeof(err));
	assert_non_null(w);
	assert_int_equal(cap_pcapng_flow_open(w, &a, 1, 1, NULL), 0);
	assert_int_equal(cap_pcapng_flow_open(w, &b, 64001, 2, NULL), 0);
	assert_true(a.ip[0] != b.ip[0] || a.port[0] != b.port[0]);
	assert_int_equal(
		cap_pcapng_flow_data(w, &a, 0, (const uint8_t *)"x", 1, 3), 0);
	assert_int_equal(cap_pcapng_flow_rst(w, &a, 1, 4), 0);
	/* Nothing more after the reset, from either side. */
	assert_int_equal(
		cap_pcapng_flow_data(w, &a, 0, (const uint8_t *)"y", 1, 5), 0);
	assert_int_equal(cap_pcapng_flow_fin(w, &a, 0, 5), 0);
	assert_int_equal(cap_pcapng_close(w), 0);
	read_back(path, &rb);
	assert_int_equal(rb.nsegs, 3 + 3 + 1 + 1);
	assert_int_equal(rb.segs[7].flags, 0x14);
	assert_int_equal(rb.segs[7].side, 1);
	assert_int_equal(rb.bad_tcp_csum, 0);
	free_back(&rb);
	unlink(path);
	free(path);
}

static void test_pcapng_open_fails(void **state)
{
	char err[256];

	(void)state;
	assert_null(
		cap_pcapng_open("/nonexistent/dir/x.pcapng", err, sizeof(err)));
	assert_string_equal(err, "cannot open '/nonexistent/dir/x.pcapng': "
				 "No such file or directory");
}

/* A full disk is reported, not ignored. */
static void test_pcapng_write_error(void **state)
{
	struct cap_pcapng *w;
	struct cap_tcpflow f;
	char err[256];
	static uint8_t data[CAP_PCAPNG_MSS];
	int rc = 0, i;

	(void)state;
	if (access("/dev/full", W_OK) != 0)
		skip();
	w = cap_pcapng_open("/dev/full", err, sizeof(err));
	if (w == NULL) {
		assert_string_equal(err, "cannot write '/dev/full': "
					 "cannot write capture: "
					 "No space left on device");
		return;
	}
	rc |= cap_pcapng_flow_open(w, &f, 1, 1, NULL);
	for (i = 0; i < 8 && rc == 0; i++)
		rc |= cap_pcapng_flow_data(w, &f, 0, data, sizeof(data), 2);
	if (rc == 0)
		rc = cap_pcapng_flush(w);
	assert_int_equal(rc, -1);
	assert_string_equal(cap_pcapng_error(w),
			    "cannot write capture: No space left on device");
	assert_int_equal(cap_pcapng_close(w), -1);
}

/* RFC 1071's example: the sum of these words folds to ~0xddf2. */
static void test_pcapng_checksum(void **state)
{
	static const uint8_t d[] = { 0x00, 0x01, 0xf2, 0x03,
				     0xf4, 0xf5, 0xf6, 0xf7 };

	(void)state;
	assert_int_equal(cap_csum_fold(cap_csum_add(0, d, sizeof(d))),
			 (uint16_t)~0xddf2);
	/* An odd length pads with a zero byte. */
	assert_int_equal(cap_csum_fold(cap_csum_add(0, d, 1)),
			 (uint16_t)~0x0000);
	assert_int_equal(cap_csum_fold(cap_csum_add(0, d + 2, 1)),
			 (uint16_t)~0xf200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pcapng_roundtrip),
		cmocka_unit_test(test_pcapng_flows_and_reset),
		cmocka_unit_test(test_pcapng_open_fails),
		cmocka_unit_test(test_pcapng_write_error),
		cmocka_unit_test(test_pcapng_checksum),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
