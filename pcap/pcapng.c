/* SPDX-License-Identifier: MIT */
/* pcapng.c - write byte streams as pcapng with synthetic TCP framing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapng.h"

/* pcapng block types and option codes (draft-ietf-opsawg-pcapng, 4). */
#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du
#define OPT_ENDOFOPT 0
#define OPT_COMMENT 1
#define OPT_SHB_USERAPPL 4
#define OPT_IF_NAME 2
#define OPT_IF_TSRESOL 9
#define LINKTYPE_ETHERNET 1
#define SNAPLEN 262144

#define ETH_LEN 14
#define IP_LEN 20
#define TCP_LEN 20
#define FRAME_MAX (ETH_LEN + IP_LEN + TCP_LEN + CAP_PCAPNG_MSS)
#define COMMENT_MAX 1024

/* TCP flags (RFC 9293, 3.1). */
#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

/* 10.0.0.1 is the app; clients count up from 10.0.0.2 in the port space
 * below, so that up to 64000 flows share one client address. */
#define SERVER_IP 0x0A000001u
#define CLIENT_IP_BASE 0x0A000002u
#define CLIENT_PORT_BASE 1024u
#define PORTS_PER_IP 64000u

struct cap_pcapng {
	FILE *f;
	uint16_t ip_id;
	int failed;
	char err[256];
	/* One frame plus the block around it: header, options and trailer. */
	uint8_t *block;
};

static void put16le(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32le(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void put16be(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32be(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

uint32_t cap_csum_add(uint32_t sum, const uint8_t *data, size_t len)
{
	uint64_t s = sum;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)data[i] << 8 | data[i + 1];
	/* RFC 1071: an odd last byte is padded with a zero byte. */
	if (i < len)
		s += (uint32_t)data[i] << 8;
	while (s >> 32 != 0)
		s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

uint16_t cap_csum_fold(uint32_t sum)
{
	while (sum >> 16 != 0)
		sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Record the first failure; returns -1. */
static int fail(struct cap_pcapng *w, const char *what)
{
	if (!w->failed) {
		w->failed = 1;
		snprintf(w->err, sizeof(w->err), "%s: %s", what,
			 strerror(errno != 0 ? errno : EIO));
	}
	return -1;
}

static int put(struct cap_pcapng *w, const void *p, size_t n)
{
	if (w->failed)
		return -1;
	errno = 0;
	if (fwrite(p, 1, n, w->f) != n)
		return fail(w, "cannot write capture");
	return 0;
}

/* Append option code with value v (n bytes) at p; returns bytes used. */
static size_t put_option(uint8_t *p, uint32_t code, const void *v, size_t n)
{
	put16le(p, code);
	put16le(p + 2, (uint32_t)n);
	if (n > 0)
		memcpy(p + 4, v, n);
	memset(p + 4 + n, 0, pad4(n) - n);
	return 4 + pad4(n);
}

static int write_headers(struct cap_pcapng *w)
{
	static const char appl[] = "fcgitool";
	static const char ifname[] = "fcgitool";
	uint8_t b[128];
	uint8_t tsresol = 6; /* microseconds */
	size_t n;

	/* Section Header Block (4.1); section length -1: not given. */
	put32le(b, BT_SHB);
	put32le(b + 8, BYTE_ORDER_MAGIC);
	put16le(b + 12, 1);
	put16le(b + 14, 0);
	memset(b + 16, 0xff, 8);
	n = 24;
	n += put_option(b + n, OPT_SHB_USERAPPL, appl, sizeof(appl) - 1);
	n += put_option(b + n, OPT_ENDOFOPT, NULL, 0);
	put32le(b + 4, (uint32_t)(n + 4));
	put32le(b + n, (uint32_t)(n + 4));
	if (put(w, b, n + 4) != 0)
		return -1;

	/* Interface Description Block (4.2). */
	put32le(b, BT_IDB);
	put16le(b + 8, LINKTYPE_ETHERNET);
	put16le(b + 10, 0);
	put32le(b + 12, SNAPLEN);
	n = 16;
	n += put_option(b + n, OPT_IF_NAME, ifname, sizeof(ifname) - 1);
	n += put_option(b + n, OPT_IF_TSRESOL, &tsresol, 1);
	n += put_option(b + n, OPT_ENDOFOPT, NULL, 0);
	put32le(b + 4, (uint32_t)(n + 4));
	put32le(b + n, (uint32_t)(n + 4));
	return put(w, b, n + 4);
}

struct cap_pcapng *cap_pcapng_open(const char *path, char *err, size_t errlen)
{
	struct cap_pcapng *w;

	w = calloc(1, sizeof(*w));
	if (w == NULL)
		goto out_nomem;
	/* Block header (28) + frame + padding + comment option + end of
	 * options + trailer. */
	w->block = malloc(28 + pad4(FRAME_MAX) + 4 + pad4(COMMENT_MAX) + 8);
	if (w->block == NULL) {
		free(w);
		goto out_nomem;
	}
	w->f = fopen(path, "wb");
	if (w->f == NULL) {
		if (err != NULL)
			snprintf(err, errlen, "cannot open '%s': %s", path,
				 strerror(errno));
		free(w->block);
		free(w);
		return NULL;
	}
	if (write_headers(w) != 0) {
		if (err != NULL)
			snprintf(err, errlen, "cannot write '%s': %s", path,
				 w->err);
		fclose(w->f);
		free(w->block);
		free(w);
		return NULL;
	}
	return w;
out_nomem:
	if (err != NULL)
		snprintf(err, errlen, "cannot open '%s': %s", path,
			 strerror(ENOMEM));
	return NULL;
}

int cap_pcapng_flush(struct cap_pcapng *w)
{
	if (w->failed)
		return -1;
	errno = 0;
	if (fflush(w->f) != 0)
		return fail(w, "cannot write capture");
	return 0;
}

int cap_pcapng_close(struct cap_pcapng *w)
{
	int rc;

	if (w == NULL)
		return 0;
	rc = cap_pcapng_flush(w);
	errno = 0;
	if (fclose(w->f) != 0 && rc == 0)
		rc = fail(w, "cannot close capture");
	free(w->block);
	free(w);
	return rc;
}

const char *cap_pcapng_error(const struct cap_pcapng *w)
{
	return w->failed ? w->err : NULL;
}

/*
 * Write one Enhanced Packet Block (4.3) holding an Ethernet/IPv4/TCP frame
 * from side of f with these flags and payload.  0 or -1.
 */
static int segment(struct cap_pcapng *w, const struct cap_tcpflow *f, int side,
		   unsigned flags, const uint8_t *data, size_t len,
		   uint64_t ts_us, const char *comment)
{
	uint8_t *b = w->block, *eth, *ip, *tcp;
	int other = !side;
	size_t frame = ETH_LEN + IP_LEN + TCP_LEN + len, n, clen;
	uint32_t sum;

	if (w->failed)
		return -1;
	eth = b + 28;
	ip = eth + ETH_LEN;
	tcp = ip + IP_LEN;

	/* Locally administered MACs: 02:00:00:00:00:01 for the client,
	 * ...:02 for the server. */
	memset(eth, 0, 12);
	eth[0] = 0x02;
	eth[5] = (uint8_t)(other + 1);
	eth[6] = 0x02;
	eth[11] = (uint8_t)(side + 1);
	put16be(eth + 12, 0x0800);

	/* RFC 791 header, no options, Don't Fragment. */
	ip[0] = 0x45;
	ip[1] = 0;
	put16be(ip + 2, (uint32_t)(IP_LEN + TCP_LEN + len));
	put16be(ip + 4, w->ip_id++);
	put16be(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 6;
	put16be(ip + 10, 0);
	put32be(ip + 12, f->ip[side]);
	put32be(ip + 16, f->ip[other]);
	put16be(ip + 10, cap_csum_fold(cap_csum_add(0, ip, IP_LEN)));

	put16be(tcp, f->port[side]);
	put16be(tcp + 2, f->port[other]);
	put32be(tcp + 4, f->seq[side]);
	put32be(tcp + 8, (flags & TH_ACK) ? f->seq[other] : 0);
	tcp[12] = (TCP_LEN / 4) << 4;
	tcp[13] = (uint8_t)flags;
	put16be(tcp + 14, 65535);
	put16be(tcp + 16, 0);
	put16be(tcp + 18, 0);
	if (len > 0)
		memcpy(tcp + TCP_LEN, data, len);
	/* RFC 9293, 3.1: the checksum covers a pseudo-header of both
	 * addresses, the protocol and the TCP length. */
	sum = cap_csum_add(0, ip + 12, 8);
	sum += 6;
	sum += (uint32_t)(TCP_LEN + len);
	sum = cap_csum_add(sum, tcp, TCP_LEN + len);
	put16be(tcp + 16, cap_csum_fold(sum));

	put32le(b, BT_EPB);
	put32le(b + 8, 0);
	put32le(b + 12, (uint32_t)(ts_us >> 32));
	put32le(b + 16, (uint32_t)ts_us);
	put32le(b + 20, (uint32_t)frame);
	put32le(b + 24, (uint32_t)frame);
	n = 28 + frame;
	memset(b + n, 0, pad4(frame) - frame);
	n = 28 + pad4(frame);
	if (comment != NULL) {
		clen = strlen(comment);
		if (clen > COMMENT_MAX)
			clen = COMMENT_MAX;
		n += put_option(b + n, OPT_COMMENT, comment, clen);
		n += put_option(b + n, OPT_ENDOFOPT, NULL, 0);
	}
	put32le(b + 4, (uint32_t)(n + 4));
	put32le(b + n, (uint32_t)(n + 4));
	return put(w, b, n + 4);
}

int cap_pcapng_flow_open(struct cap_pcapng *w, struct cap_tcpflow *f,
			 uint64_t id, uint64_t ts_us, const char *comment)
{
	uint64_t k = id > 0 ? id - 1 : 0;

	f->ip[0] = CLIENT_IP_BASE + (uint32_t)((k / PORTS_PER_IP) % 0xfff000u);
	f->port[0] = (uint16_t)(CLIENT_PORT_BASE + k % PORTS_PER_IP);
	f->ip[1] = SERVER_IP;
	f->port[1] = CAP_PCAPNG_SERVER_PORT;
	/* Initial sequence numbers are made up but fixed per flow, so the
	 * same traffic gives the same file. */
	f->seq[0] = (uint32_t)(0x10000000u + (uint32_t)(k << 12));
	f->seq[1] = (uint32_t)(0x80000000u + (uint32_t)(k << 12));
	f->open[0] = f->open[1] = 1;
	if (segment(w, f, 0, TH_SYN, NULL, 0, ts_us, comment) != 0)
		return -1;
	f->seq[0]++;
	if (segment(w, f, 1, TH_SYN | TH_ACK, NULL, 0, ts_us, NULL) != 0)
		return -1;
	f->seq[1]++;
	return segment(w, f, 0, TH_ACK, NULL, 0, ts_us, NULL);
}

int cap_pcapng_flow_data(struct cap_pcapng *w, struct cap_tcpflow *f, int side,
			 const uint8_t *data, size_t len, uint64_t ts_us)
{
	size_t n;
	unsigned flags;

	side = side != 0;
	if (!f->open[side])
		return 0;
	while (len > 0) {
		n = len < CAP_PCAPNG_MSS ? len : CAP_PCAPNG_MSS;
		flags = TH_ACK | (n == len ? TH_PSH : 0);
		if (segment(w, f, side, flags, data, n, ts_us, NULL) != 0)
			return -1;
		f->seq[side] += (uint32_t)n;
		data += n;
		len -= n;
	}
	return 0;
}

int cap_pcapng_flow_fin(struct cap_pcapng *w, struct cap_tcpflow *f, int side,
			uint64_t ts_us)
{
	side = side != 0;
	if (!f->open[side])
		return 0;
	if (segment(w, f, side, TH_FIN | TH_ACK, NULL, 0, ts_us, NULL) != 0)
		return -1;
	f->seq[side]++;
	f->open[side] = 0;
	/* The other side acknowledges the FIN (it may have closed its own
	 * half already; an ACK is still due). */
	return segment(w, f, !side, TH_ACK, NULL, 0, ts_us, NULL);
}

int cap_pcapng_flow_rst(struct cap_pcapng *w, struct cap_tcpflow *f, int side,
			uint64_t ts_us)
{
	side = side != 0;
	if (!f->open[0] && !f->open[1])
		return 0;
	f->open[0] = f->open[1] = 0;
	return segment(w, f, side, TH_RST | TH_ACK, NULL, 0, ts_us, NULL);
}
