/* SPDX-License-Identifier: MIT */
/*
 * capture.h - libcapture: FastCGI out of packet captures.
 *
 * Five layers, each usable alone:
 *  - decode.c:  link, IP and TCP headers of one frame (no libpcap);
 *  - ipfrag.c:  IPv4 and IPv6 fragment reassembly;
 *  - reasm.c:   TCP flows and their byte streams, put back in order;
 *  - session.c: FastCGI connections found in those streams, each fed to
 *               an OBSERVER struct fcgi_conn;
 *  - capture.c: frames from files, pipes and interfaces through libpcap.
 * Only capture.c does I/O; the rest is pure, so that unit tests and the
 * fuzzer drive it with bytes.  Names are cap_* (libpcap owns pcap_*).
 */
#ifndef CAP_CAPTURE_H
#define CAP_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fcgi.h"

/* ------------------------------------------------------------------ */
/* Frames: link, IP and TCP headers (decode.c)                         */
/* ------------------------------------------------------------------ */

/* Link types as pcap_datalink() gives them (DLT_*), and the LINKTYPE_*
 * numbers of a file where they differ. */
#define CAP_DLT_NULL 0
#define CAP_DLT_EN10MB 1
#define CAP_DLT_RAW 12	   /* DLT_RAW on most systems */
#define CAP_DLT_RAW_BSD 14 /* DLT_RAW on OpenBSD */
#define CAP_LINKTYPE_RAW 101
#define CAP_DLT_LOOP 108
#define CAP_DLT_LINUX_SLL 113
#define CAP_DLT_IPV4 228
#define CAP_DLT_IPV6 229
#define CAP_DLT_LINUX_SLL2 276

/* 1 if decode.c reads this link type. */
bool cap_linktype_ok(int linktype);
/* A short name ("EN10MB", "LINUX_SLL2"), or NULL for an unknown type. */
const char *cap_linktype_name(int linktype);

/* An endpoint address: family 4 (a[0..3]) or 6 (a[0..15]). */
struct cap_addr {
	uint8_t family;
	uint8_t a[16];
};

/* "127.0.0.1:9000" or "[::1]:9000" into out (at least 64 bytes).
 * Returns out. */
const char *cap_addr_format(char *out, size_t n, const struct cap_addr *a,
			    uint16_t port);

/* TCP flags (RFC 9293, 3.1). */
#define CAP_TH_FIN 0x01
#define CAP_TH_SYN 0x02
#define CAP_TH_RST 0x04
#define CAP_TH_ACK 0x10

/* One TCP segment.  data points into the frame given to cap_decode(). */
struct cap_pkt {
	struct cap_addr src, dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	const uint8_t *data; /* payload bytes captured */
	size_t len;
	size_t missing; /* payload bytes sent but cut by the snapshot length */
};

/* One IP fragment.  data points into the frame. */
struct cap_frag {
	struct cap_addr src, dst;
	uint32_t id;	 /* identification (IPv4: 16 bits) */
	uint8_t proto;	 /* the protocol of the whole datagram's payload */
	uint32_t offset; /* of data in that payload, in bytes */
	bool more;	 /* more fragments follow */
	const uint8_t *data;
	size_t len;
	size_t missing; /* bytes cut by the snapshot length */
};

enum cap_decode_rc {
	CAP_DEC_TCP = 0,  /* *pkt is a TCP segment */
	CAP_DEC_FRAG,	  /* *frag is an IP fragment of a TCP datagram */
	CAP_DEC_SKIP,	  /* not TCP over IP (ARP, UDP, ...) */
	CAP_DEC_BAD,	  /* headers malformed or cut short; *why */
	CAP_DEC_LINKTYPE, /* a link type decode.c does not read */
};

/*
 * Decode one frame of linktype: caplen bytes were captured of wirelen
 * sent.  Ethernet with any number of 802.1Q/802.1ad tags (up to 8),
 * Linux cooked v1 and v2, BSD NULL and LOOP, raw IPv4 and IPv6; IPv4
 * options and IPv6 extension headers are skipped.  On CAP_DEC_BAD, *why
 * is a static explanation ("truncated IPv4 header").
 */
enum cap_decode_rc cap_decode(int linktype, const uint8_t *frame, size_t caplen,
			      size_t wirelen, struct cap_pkt *pkt,
			      struct cap_frag *frag, const char **why);
/*
 * Decode the TCP segment of a reassembled datagram (family, addresses
 * and protocol from its fragments; for IPv6, extension headers that
 * follow the fragment header are skipped first).
 */
enum cap_decode_rc cap_decode_datagram(const struct cap_frag *first,
				       const uint8_t *payload, size_t len,
				       struct cap_pkt *pkt, const char **why);

/* ------------------------------------------------------------------ */
/* IP fragments (ipfrag.c)                                             */
/* ------------------------------------------------------------------ */

#define CAP_DEFRAG_MAX 64     /* datagrams in reassembly at once */
#define CAP_DEFRAG_TIMEOUT 30 /* seconds a datagram may take */

struct cap_defrag_dgram;

struct cap_defrag {
	struct cap_defrag_dgram *d[CAP_DEFRAG_MAX];
	struct cap_defrag_dgram *done; /* the one last returned whole */
	const struct fcgi_mem *mem;
	uint64_t dropped; /* datagrams given up (expired, cut, full) */
};

void cap_defrag_init(struct cap_defrag *d, const struct fcgi_mem *mem);
void cap_defrag_release(struct cap_defrag *d);
/*
 * Add a fragment seen at ts.  Returns 1 when its datagram is whole:
 * *first describes it (addresses, protocol) and *payload, *len its
 * payload, valid until the next call.  0 when more are needed.
 * Negative when the datagram is given up, with *why: FCGI_ELIMIT (over
 * 65535 bytes, or a fragment cut by the snapshot length), FCGI_ENOMEM.
 * Datagrams older than CAP_DEFRAG_TIMEOUT, or the oldest when the table
 * is full, are dropped and counted in d->dropped.
 */
int cap_defrag_add(struct cap_defrag *d, const struct cap_frag *f, double ts,
		   struct cap_frag *first, const uint8_t **payload, size_t *len,
		   const char **why);

/* ------------------------------------------------------------------ */
/* TCP streams (reasm.c)                                               */
/* ------------------------------------------------------------------ */

/* How a flow ended, for on_close. */
enum cap_close {
	CAP_CLOSE_FIN = 1, /* both sides closed */
	CAP_CLOSE_RST,	   /* a reset */
	CAP_CLOSE_IDLE,	   /* no packet for the idle time: evicted */
	CAP_CLOSE_FULL,	   /* evicted to stay under the flow limit */
	CAP_CLOSE_REUSED,  /* a new SYN on the same addresses and ports */
	CAP_CLOSE_EOF	   /* the capture ended */
};

/* One TCP connection.  Side 0 sent the SYN (the client) when the
 * handshake was seen; otherwise side 0 sent the first packet seen. */
struct cap_flow {
	struct cap_addr addr[2];
	uint16_t port[2];
	uint64_t id;	 /* 1, 2, ... in order of appearance */
	double first_ts; /* capture time of its first packet */
	double last_ts;	 /* and of its latest */
	bool syn[2];	 /* the side's SYN was seen: its stream's start */
	bool ended[2];	 /* the side's stream ended (FIN delivered) */
	/* When and in which packet what a callback reports came: the
	 * current segment, or for bytes held back, their own. */
	double at_ts;
	uint64_t at_packet;
	void *user; /* the caller's */
};

struct cap_reasm_cbs {
	/* In-order bytes of side's stream.  data is valid during the call
	 * (it may point into the frame). */
	void (*on_data)(void *arg, struct cap_flow *f, int side,
			const uint8_t *data, size_t len);
	/* len bytes of side's stream will never come: lost from the
	 * capture, or the stream's start was not seen (then len is 0 and
	 * at_start is true).  The bytes that follow are delivered next. */
	void (*on_gap)(void *arg, struct cap_flow *f, int side, uint64_t len,
		       bool at_start);
	/* A copy of bytes already held or delivered came again with other
	 * content: len bytes at stream offset off differ.  The first copy is
	 * kept. */
	void (*on_overlap)(void *arg, struct cap_flow *f, int side,
			   uint64_t off, size_t len);
	/* side's stream ended: a FIN once every byte before it came
	 * (reset false), or a reset sent by side (reset true, and the flow
	 * closes right after). */
	void (*on_end)(void *arg, struct cap_flow *f, int side, bool reset);
	/* The flow is forgotten after this call. */
	void (*on_close)(void *arg, struct cap_flow *f, enum cap_close why);
};

struct cap_reasm_opts {
	size_t window;	/* bytes held per side beyond a hole (1 MiB) */
	size_t total;	/* bytes held in all flows (64 MiB) */
	size_t history; /* bytes of each side kept to compare (4 KiB) */
	double idle;	/* evict after this many seconds (300) */
	/* How long (capture time) bytes wait for a hole to fill, or for
	 * bytes of the other side that their packet acknowledged, before
	 * the missing bytes are taken as lost (1 s). */
	double wait;
	size_t max_flows; /* flows at once; the idlest is evicted (65536) */
	const struct fcgi_mem *mem;
};

void cap_reasm_opts_default(struct cap_reasm_opts *o);

struct cap_reasm;

/* A new reassembler or NULL (out of memory).  Copies opts and cbs. */
struct cap_reasm *cap_reasm_new(const struct cap_reasm_opts *opts,
				const struct cap_reasm_cbs *cbs, void *arg);
/* Close every flow (CAP_CLOSE_EOF), then free. */
void cap_reasm_free(struct cap_reasm *r);
/*
 * One TCP segment seen at ts in packet number packet.  Delivers what it makes available through
 * the callbacks.  Returns 0 or FCGI_ENOMEM (the segment was dropped; a
 * hole it leaves becomes a gap).  A segment without payload, SYN or FIN
 * for an unknown flow is ignored.
 */
int cap_reasm_segment(struct cap_reasm *r, const struct cap_pkt *p, double ts,
		      uint64_t packet);
/* Stop delivering f's bytes and hold nothing for it; its ends and close
 * are still reported. */
void cap_reasm_ignore(struct cap_reasm *r, struct cap_flow *f);
/* Deliver what is held in every flow, with gaps for the holes, and close
 * them all with CAP_CLOSE_EOF. */
void cap_reasm_finish(struct cap_reasm *r);
/* Flows open now. */
size_t cap_reasm_count(const struct cap_reasm *r);
/* Bytes held now (out-of-order data and histories). */
size_t cap_reasm_held(const struct cap_reasm *r);

/* ------------------------------------------------------------------ */
/* FastCGI in a capture (session.c)                                    */
/* ------------------------------------------------------------------ */

#define CAP_PORTS_MAX 64

struct cap_session_opts {
	uint16_t ports[CAP_PORTS_MAX]; /* the apps' ports; none: by content */
	size_t nports;
	struct cap_reasm_opts reasm;
	struct fcgi_limits limits; /* for the observers */
	const struct fcgi_mem *mem;
};

void cap_session_opts_default(struct cap_session_opts *o);

/* A FastCGI connection found in the capture.  The session fills it;
 * packet and ts say where the current callback comes from. */
struct cap_conn {
	uint64_t id;	   /* 1, 2, ... in order of recognition */
	char label[24];	   /* "c1" */
	char web[64];	   /* the web server's address and port */
	char app[64];	   /* the app's */
	double opened;	   /* seconds since the capture's first packet */
	uint64_t packet;   /* the current packet's number, from 1 */
	double ts;	   /* its time, seconds since the first packet */
	uint64_t bytes[2]; /* stream bytes seen per direction (gaps too) */
	uint64_t lost[2];  /* bytes lost or skipped per direction */
	bool ended[2];	   /* the direction's sender closed or reset */
	void *user;	   /* the caller's */
};

struct cap_session_cbs {
	void (*on_open)(void *arg, struct cap_conn *c);
	void (*on_record)(void *arg, struct cap_conn *c, enum fcgi_dir dir,
			  const struct fcgi_record *rec);
	void (*on_event)(void *arg, struct cap_conn *c,
			 const struct fcgi_event *ev);
	void (*on_violation)(void *arg, struct cap_conn *c,
			     const struct fcgi_violation *v);
	/* What the capture did to a stream or the session noticed: what is
	 * "gap", "resync", "overlap", "reset", "evicted", "fragment",
	 * "bad-packet", ...; c is NULL when no connection is concerned. */
	void (*on_note)(void *arg, struct cap_conn *c, const char *what,
			const char *detail);
	/* The connection is forgotten after this call; why: "closed",
	 * "reset", "idle", "evicted", "reused", "end of capture". */
	void (*on_close)(void *arg, struct cap_conn *c, const char *why);
};

struct cap_session;

struct cap_session *cap_session_new(const struct cap_session_opts *opts,
				    const struct cap_session_cbs *cbs,
				    void *arg);
/* Frees without reporting anything more (cap_session_finish first). */
void cap_session_free(struct cap_session *s);
/*
 * One frame of linktype, packet number packet, captured at ts (seconds
 * since the epoch, or any base: the first frame's time is the session's
 * zero).  0, or FCGI_ENOMEM (the session goes on; what was lost is
 * reported as gaps).
 */
int cap_session_frame(struct cap_session *s, int linktype, uint64_t packet,
		      double ts, const uint8_t *frame, size_t caplen,
		      size_t wirelen);
/* The capture ended: everything held is delivered and every connection
 * closed ("end of capture"). */
void cap_session_finish(struct cap_session *s);

struct cap_session_stats {
	uint64_t frames;     /* frames given */
	uint64_t tcp;	     /* TCP segments among them */
	uint64_t bad;	     /* frames with malformed headers */
	uint64_t fragments;  /* IP fragments */
	uint64_t conns;	     /* FastCGI connections found */
	uint64_t open_conns; /* open now */
	uint64_t flows;	     /* TCP flows now, FastCGI or not */
	size_t held;	     /* bytes held for reassembly now */
	double first_ts;     /* the zero of the session's times */
};

void cap_session_stats(const struct cap_session *s,
		       struct cap_session_stats *st);

/* ------------------------------------------------------------------ */
/* Reading captures (capture.c, libpcap)                               */
/* ------------------------------------------------------------------ */

struct cap_source;

/* One frame; data is valid until the next cap_source_next(). */
struct cap_frame {
	const uint8_t *data;
	size_t caplen, wirelen;
	double ts;	 /* seconds since the epoch */
	uint64_t number; /* in the file, from 1 (filtered out ones count) */
};

/*
 * Open a pcap or pcapng file ("-": standard input), keeping only the
 * frames a BPF filter passes (NULL or "": all).  A gzip-compressed one is
 * read through "gzip -dc" in a pipe.  NULL with the reason in err
 * ("'x.pcap': unknown file format").
 */
struct cap_source *cap_source_file(const char *path, const char *filter,
				   char *err, size_t n);
/*
 * Capture live on iface ("any", "lo", ...) with a BPF filter (NULL or ""
 * for none), in immediate mode.  NULL with the reason in err.
 */
struct cap_source *cap_source_live(const char *iface, const char *filter,
				   char *err, size_t n);
/* 1 and *fr filled, 0 at the end (or after cap_source_break), -1 on an
 * error (cap_source_error says what, with packet number and offset). */
int cap_source_next(struct cap_source *s, struct cap_frame *fr);
/* From a signal handler: the next cap_source_next returns 0. */
void cap_source_break(struct cap_source *s);
int cap_source_linktype(const struct cap_source *s);
const char *cap_source_error(const struct cap_source *s);
/* Bytes of the file read so far, and its size (0 when unknown: a pipe,
 * or live). */
uint64_t cap_source_pos(const struct cap_source *s);
uint64_t cap_source_size(const struct cap_source *s);
/* Packets the kernel dropped (live captures), or 0. */
uint64_t cap_source_dropped(const struct cap_source *s);
/* Close; for a gzip pipe, reap gzip and report its failure in err:
 * 0, or -1 with a reason. */
int cap_source_close(struct cap_source *s, char *err, size_t n);

#endif
