/* SPDX-License-Identifier: MIT */
/*
 * pcapng.h - a pcapng writer with synthetic Ethernet/IPv4/TCP framing, so
 * that byte streams which never crossed a network (a unix socket seen by
 * fcgitool proxy) open in tcpdump, tshark and fcgitool pcap.
 *
 * libpcap reads pcapng but cannot write it, so the blocks are written
 * here by hand (pcapng, draft-ietf-opsawg-pcapng): one Section Header
 * Block, one Interface Description Block for Ethernet, then one Enhanced
 * Packet Block per segment.  Each flow gets a made-up three-way
 * handshake, sequence and acknowledgement numbers that follow the bytes,
 * segments of at most CAP_PCAPNG_MSS bytes, correct IPv4 and TCP
 * checksums, and FIN or RST segments when a side ends.
 */
#ifndef CAP_PCAPNG_H
#define CAP_PCAPNG_H

#include <stddef.h>
#include <stdint.h>

/* 65535 (the largest IPv4 datagram) less 20 bytes of IPv4 header and 20
 * of TCP header. */
#define CAP_PCAPNG_MSS 65495

/* The TCP port the synthetic server (the app) listens on. */
#define CAP_PCAPNG_SERVER_PORT 9000

struct cap_pcapng;

/* One synthetic TCP connection: side 0 is the client (the web server),
 * side 1 the server (the app).  Plain data, owned by the caller. */
struct cap_tcpflow {
	uint32_t ip[2]; /* host order */
	uint16_t port[2];
	uint32_t seq[2]; /* next sequence number each side sends */
	int open[2];	 /* the side has sent neither FIN nor RST */
};

/*
 * Create path (truncating it) and write the section and interface
 * headers.  Returns the writer, or NULL with a reason in err ("cannot
 * open '...': ...").
 */
struct cap_pcapng *cap_pcapng_open(const char *path, char *err, size_t errlen);
/*
 * Flush and close; frees w (NULL is ignored).  0, or -1 when a write
 * failed now or earlier (cap_pcapng_error() says why).
 */
int cap_pcapng_close(struct cap_pcapng *w);
/* Push buffered blocks to the file.  0 or -1. */
int cap_pcapng_flush(struct cap_pcapng *w);
/* The first write error as text, or NULL when there was none. */
const char *cap_pcapng_error(const struct cap_pcapng *w);

/*
 * Start flow number id (1, 2, ...): addresses and ports are derived from
 * id so that flows stay apart, and the SYN, SYN-ACK, ACK handshake is
 * written with timestamp ts_us (microseconds since the epoch).  comment,
 * if not NULL, is attached to the SYN.  0 or -1.
 */
int cap_pcapng_flow_open(struct cap_pcapng *w, struct cap_tcpflow *f,
			 uint64_t id, uint64_t ts_us, const char *comment);
/* Bytes sent by side (0 client, 1 server), cut into segments of at most
 * CAP_PCAPNG_MSS bytes.  Ignored after that side's FIN or RST.  0 or -1. */
int cap_pcapng_flow_data(struct cap_pcapng *w, struct cap_tcpflow *f, int side,
			 const uint8_t *data, size_t len, uint64_t ts_us);
/* side closed its half: a FIN, acknowledged by the other side.  0 or -1. */
int cap_pcapng_flow_fin(struct cap_pcapng *w, struct cap_tcpflow *f, int side,
			uint64_t ts_us);
/* side reset the connection: an RST; both halves are over.  0 or -1. */
int cap_pcapng_flow_rst(struct cap_pcapng *w, struct cap_tcpflow *f, int side,
			uint64_t ts_us);

/* The Internet checksum (RFC 1071) of data, continuing from sum (start
 * with 0); cap_csum_fold() gives the final 16-bit value. */
uint32_t cap_csum_add(uint32_t sum, const uint8_t *data, size_t len);
uint16_t cap_csum_fold(uint32_t sum);

#endif
