/* SPDX-License-Identifier: MIT */
/*
 * decode.c - link, IP and TCP headers of one captured frame, read with
 * the bounds-checked cursor.  No libpcap here: the fuzzer drives it.
 */
#include <stdio.h>
#include <string.h>

#include "capture.h"
#include "cursor.h"

/* EtherTypes (IEEE 802). */
#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86dd
#define ETH_VLAN 0x8100 /* 802.1Q */
#define ETH_QINQ 0x88a8 /* 802.1ad */
#define ETH_QINQ_OLD 0x9100
#define ETH_MIN_TYPE 0x0600 /* below: an 802.3 length */
#define VLAN_MAX 8

/* IP protocol numbers (IANA). */
#define IPP_HOPOPTS 0
#define IPP_TCP 6
#define IPP_ROUTING 43
#define IPP_FRAGMENT 44
#define IPP_ESP 50
#define IPP_AH 51
#define IPP_NONE 59
#define IPP_DSTOPTS 60
#define IPP_MOBILITY 135
#define IPP_HIP 139
#define IPP_SHIM6 140

/* Address families in DLT_NULL and DLT_LOOP headers: AF_INET is 2
 * everywhere, AF_INET6 differs between systems. */
#define BSD_AF_INET 2
#define BSD_AF_INET6_LINUX 10
#define BSD_AF_INET6_BSD 24
#define BSD_AF_INET6_FREEBSD 28
#define BSD_AF_INET6_DARWIN 30

static const struct {
	int type;
	const char *name;
} linktypes[] = {
	{ CAP_DLT_NULL, "NULL" },
	{ CAP_DLT_EN10MB, "EN10MB" },
	{ CAP_DLT_RAW, "RAW" },
	{ CAP_DLT_RAW_BSD, "RAW" },
	{ CAP_LINKTYPE_RAW, "RAW" },
	{ CAP_DLT_LOOP, "LOOP" },
	{ CAP_DLT_LINUX_SLL, "LINUX_SLL" },
	{ CAP_DLT_IPV4, "IPV4" },
	{ CAP_DLT_IPV6, "IPV6" },
	{ CAP_DLT_LINUX_SLL2, "LINUX_SLL2" },
};

bool cap_linktype_ok(int linktype)
{
	return cap_linktype_name(linktype) != NULL;
}

const char *cap_linktype_name(int linktype)
{
	for (size_t i = 0; i < sizeof(linktypes) / sizeof(linktypes[0]); i++)
		if (linktypes[i].type == linktype)
			return linktypes[i].name;
	return NULL;
}

const char *cap_addr_format(char *out, size_t n, const struct cap_addr *a,
			    uint16_t port)
{
	static const char hex[] = "0123456789abcdef";
	char v6[48];
	size_t o = 0, best = 0, bestlen = 0, run, i, j;
	unsigned w[8];

	if (a->family == 4) {
		snprintf(out, n, "%u.%u.%u.%u:%u", a->a[0], a->a[1], a->a[2],
			 a->a[3], (unsigned)port);
		return out;
	}
	/* RFC 5952: the longest run of two or more zero groups becomes
	 * "::", the first such run on a tie; hex digits in lower case. */
	for (i = 0; i < 8; i++)
		w[i] = (unsigned)a->a[2 * i] << 8 | a->a[2 * i + 1];
	for (i = 0; i < 8; i = j + 1) {
		for (j = i; j < 8 && w[j] == 0; j++)
			;
		run = j - i;
		if (run > bestlen) {
			best = i;
			bestlen = run;
		}
	}
	if (bestlen < 2)
		bestlen = 0;
	for (i = 0; i < 8; i++) {
		if (bestlen > 0 && i == best) {
			v6[o++] = ':';
			if (i == 0)
				v6[o++] = ':';
			i += bestlen - 1;
			continue;
		}
		for (int sh = 12, any = 0; sh >= 0; sh -= 4) {
			unsigned d = (w[i] >> sh) & 15;

			if (d != 0 || any || sh == 0) {
				v6[o++] = hex[d];
				any = 1;
			}
		}
		if (i < 7)
			v6[o++] = ':';
	}
	v6[o] = '\0';
	snprintf(out, n, "[%s]:%u", v6, (unsigned)port);
	return out;
}

/* What the IP layer leaves for TCP: the payload's captured bytes and how
 * many more were sent. */
struct l4 {
	const uint8_t *p;
	size_t len;
	size_t missing;
};

static enum cap_decode_rc bad(const char **why, const char *what)
{
	*why = what;
	return CAP_DEC_BAD;
}

/* The TCP header and payload of l (RFC 9293, 3.1). */
static enum cap_decode_rc tcp(const struct l4 *l, struct cap_pkt *pkt,
			      const char **why)
{
	struct fcgi_cursor c;
	uint8_t off, flags;
	size_t hlen;

	cur_init(&c, l->p, l->len);
	if (cur_be16(&c, &pkt->sport) != 0 || cur_be16(&c, &pkt->dport) != 0 ||
	    cur_be32(&c, &pkt->seq) != 0 || cur_be32(&c, &pkt->ack) != 0 ||
	    cur_u8(&c, &off) != 0 || cur_u8(&c, &flags) != 0)
		return bad(why, "truncated TCP header");
	hlen = (size_t)(off >> 4) * 4;
	if (hlen < 20)
		return bad(why, "TCP data offset below 5");
	cur_init(&c, l->p, l->len);
	if (cur_skip(&c, hlen) != 0)
		return bad(why, "truncated TCP options");
	pkt->flags = flags;
	pkt->data = c.p;
	pkt->len = cur_left(&c);
	pkt->missing = l->missing;
	return CAP_DEC_TCP;
}

/*
 * Skip IPv6 extension headers (RFC 8200, 4) starting with next, until
 * TCP, a fragment header or something else.  On return *next is the
 * header that stopped the walk and c points at it.  CAP_DEC_TCP (walk
 * done), CAP_DEC_SKIP (no TCP) or CAP_DEC_BAD.
 */
static enum cap_decode_rc v6_walk(struct fcgi_cursor *c, uint8_t *next,
				  const char **why)
{
	uint8_t nh, hl;
	size_t len;

	for (int i = 0; i < 32; i++) {
		switch (*next) {
		case IPP_TCP:
		case IPP_FRAGMENT:
			return CAP_DEC_TCP;
		case IPP_HOPOPTS:
		case IPP_ROUTING:
		case IPP_DSTOPTS:
		case IPP_MOBILITY:
		case IPP_HIP:
		case IPP_SHIM6:
		case IPP_AH:
			if (cur_left(c) < 2)
				return bad(why, "truncated IPv6 extension "
						"header");
			nh = c->p[0];
			hl = c->p[1];
			/* AH counts 4-byte words less 2 (RFC 4302, 2.2);
			 * the others 8-byte words less 1. */
			len = *next == IPP_AH ? ((size_t)hl + 2) * 4
					      : ((size_t)hl + 1) * 8;
			if (cur_skip(c, len) != 0)
				return bad(why, "truncated IPv6 extension "
						"header");
			*next = nh;
			break;
		default:
			/* ESP, no next header, UDP, ICMPv6, ... */
			return CAP_DEC_SKIP;
		}
	}
	return bad(why, "too many IPv6 extension headers");
}

/* The payload of an IP datagram of plen bytes on the wire, of which the
 * cursor holds what was captured. */
static void l4_of(const struct fcgi_cursor *c, size_t plen, struct l4 *l)
{
	size_t have = cur_left(c);

	l->p = c->p;
	/* Bytes past the datagram (Ethernet padding) are not its own. */
	l->len = have < plen ? have : plen;
	l->missing = plen - l->len;
}

static enum cap_decode_rc ipv6(const uint8_t *p, size_t caplen,
			       struct cap_pkt *pkt, struct cap_frag *frag,
			       const char **why)
{
	struct fcgi_cursor c, ext;
	const uint8_t *src = NULL, *dst = NULL;
	uint16_t plen, fo;
	uint32_t id;
	uint8_t vtc, next, nh, res;
	enum cap_decode_rc rc;
	struct l4 l;
	size_t used;

	cur_init(&c, p, caplen);
	if (cur_u8(&c, &vtc) != 0 || cur_skip(&c, 3) != 0 ||
	    cur_be16(&c, &plen) != 0 || cur_u8(&c, &next) != 0 ||
	    cur_skip(&c, 1) != 0 || cur_bytes(&c, 16, &src) != 0 ||
	    cur_bytes(&c, 16, &dst) != 0)
		return bad(why, "truncated IPv6 header");
	if (vtc >> 4 != 6)
		return bad(why, "IPv6 header with another version");
	if (plen == 0)
		return CAP_DEC_SKIP; /* a jumbogram (RFC 2675) */
	ext = c;
	rc = v6_walk(&ext, &next, why);
	if (rc != CAP_DEC_TCP)
		return rc;
	used = (size_t)(ext.p - c.p);
	if (used > plen)
		return bad(why, "IPv6 extension headers beyond the payload");
	pkt->src.family = pkt->dst.family = 6;
	memcpy(pkt->src.a, src, 16);
	memcpy(pkt->dst.a, dst, 16);
	if (next == IPP_TCP) {
		l4_of(&ext, plen - used, &l);
		return tcp(&l, pkt, why);
	}
	/* A fragment header (RFC 8200, 4.5). */
	if (cur_u8(&ext, &nh) != 0 || cur_u8(&ext, &res) != 0 ||
	    cur_be16(&ext, &fo) != 0 || cur_be32(&ext, &id) != 0)
		return bad(why, "truncated IPv6 fragment header");
	used += 8;
	if (used > plen)
		return bad(why, "IPv6 fragment header beyond the payload");
	(void)res;
	if ((fo & 0xfff9) == 0) {
		/* An atomic fragment: the whole datagram (RFC 6946). */
		next = nh;
		c = ext;
		rc = v6_walk(&ext, &next, why);
		if (rc != CAP_DEC_TCP || next != IPP_TCP)
			return rc == CAP_DEC_TCP ? CAP_DEC_SKIP : rc;
		used += (size_t)(ext.p - c.p);
		if (used > plen)
			return bad(why, "IPv6 extension headers beyond the "
					"payload");
		l4_of(&ext, plen - used, &l);
		return tcp(&l, pkt, why);
	}
	frag->src = pkt->src;
	frag->dst = pkt->dst;
	frag->id = id;
	frag->proto = nh;
	frag->offset = (uint32_t)(fo & 0xfff8);
	frag->more = (fo & 1) != 0;
	l4_of(&ext, plen - used, &l);
	frag->data = l.p;
	frag->len = l.len;
	frag->missing = l.missing;
	return CAP_DEC_FRAG;
}

static enum cap_decode_rc ipv4(const uint8_t *p, size_t caplen,
			       struct cap_pkt *pkt, struct cap_frag *frag,
			       const char **why)
{
	struct fcgi_cursor c;
	const uint8_t *src = NULL, *dst = NULL;
	uint16_t total, id, fo;
	uint8_t vihl, proto;
	size_t hlen;
	struct l4 l;

	cur_init(&c, p, caplen);
	if (cur_u8(&c, &vihl) != 0 || cur_skip(&c, 1) != 0 ||
	    cur_be16(&c, &total) != 0 || cur_be16(&c, &id) != 0 ||
	    cur_be16(&c, &fo) != 0 || cur_skip(&c, 1) != 0 ||
	    cur_u8(&c, &proto) != 0 || cur_skip(&c, 2) != 0 ||
	    cur_bytes(&c, 4, &src) != 0 || cur_bytes(&c, 4, &dst) != 0)
		return bad(why, "truncated IPv4 header");
	if (vihl >> 4 != 4)
		return bad(why, "IPv4 header with another version");
	hlen = (size_t)(vihl & 15) * 4;
	if (hlen < 20)
		return bad(why, "IPv4 header length below 5");
	/* Large send offload on the capturing host can leave a total
	 * length of 0 in a TSO frame: then the frame's length is used. */
	if (total == 0)
		total = (uint16_t)(caplen > 65535 ? 65535 : caplen);
	if (total < hlen)
		return bad(why, "IPv4 total length below the header length");
	cur_init(&c, p, caplen);
	if (cur_skip(&c, hlen) != 0)
		return bad(why, "truncated IPv4 options");
	if (proto != IPP_TCP)
		return CAP_DEC_SKIP;
	pkt->src.family = pkt->dst.family = 4;
	memcpy(pkt->src.a, src, 4);
	memcpy(pkt->dst.a, dst, 4);
	l4_of(&c, (size_t)total - hlen, &l);
	/* RFC 791: More Fragments is bit 13, the offset counts 8 bytes. */
	if ((fo & 0x3fff) != 0) {
		frag->src = pkt->src;
		frag->dst = pkt->dst;
		frag->id = id;
		frag->proto = proto;
		frag->offset = (uint32_t)(fo & 0x1fff) * 8;
		frag->more = (fo & 0x2000) != 0;
		frag->data = l.p;
		frag->len = l.len;
		frag->missing = l.missing;
		return CAP_DEC_FRAG;
	}
	return tcp(&l, pkt, why);
}

/* IPv4 or IPv6 by the version nibble (raw IP link types). */
static enum cap_decode_rc ip_any(const uint8_t *p, size_t caplen,
				 struct cap_pkt *pkt, struct cap_frag *frag,
				 const char **why)
{
	if (caplen < 1)
		return bad(why, "empty IP packet");
	if (p[0] >> 4 == 4)
		return ipv4(p, caplen, pkt, frag, why);
	if (p[0] >> 4 == 6)
		return ipv6(p, caplen, pkt, frag, why);
	return CAP_DEC_SKIP;
}

/* The network layer named by an EtherType, after any VLAN tags. */
static enum cap_decode_rc ether_payload(struct fcgi_cursor *c, uint16_t type,
					struct cap_pkt *pkt,
					struct cap_frag *frag, const char **why)
{
	for (int i = 0;
	     type == ETH_VLAN || type == ETH_QINQ || type == ETH_QINQ_OLD;
	     i++) {
		/* 802.1Q: TCI (2 bytes), then the next EtherType. */
		if (i == VLAN_MAX)
			return bad(why, "too many VLAN tags");
		if (cur_skip(c, 2) != 0 || cur_be16(c, &type) != 0)
			return bad(why, "truncated VLAN tag");
	}
	if (type == ETH_IPV4)
		return ipv4(c->p, cur_left(c), pkt, frag, why);
	if (type == ETH_IPV6)
		return ipv6(c->p, cur_left(c), pkt, frag, why);
	return CAP_DEC_SKIP;
}

/* DLT_NULL (host byte order of the capturing machine) and DLT_LOOP
 * (network byte order): a 4-byte address family. */
static enum cap_decode_rc bsd_loop(const uint8_t *p, size_t caplen,
				   bool host_order, struct cap_pkt *pkt,
				   struct cap_frag *frag, const char **why)
{
	uint32_t be, le, af;

	if (caplen < 4)
		return bad(why, "truncated loopback header");
	be = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
	     p[3];
	le = (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 |
	     p[0];
	/* The writer's byte order is not recorded: a family is small, so
	 * the order that gives one below 256 is the right one. */
	af = !host_order || be < 256 ? be : le;
	switch (af) {
	case BSD_AF_INET:
		return ipv4(p + 4, caplen - 4, pkt, frag, why);
	case BSD_AF_INET6_LINUX:
	case BSD_AF_INET6_BSD:
	case BSD_AF_INET6_FREEBSD:
	case BSD_AF_INET6_DARWIN:
		return ipv6(p + 4, caplen - 4, pkt, frag, why);
	default:
		return CAP_DEC_SKIP;
	}
}

enum cap_decode_rc cap_decode(int linktype, const uint8_t *frame, size_t caplen,
			      size_t wirelen, struct cap_pkt *pkt,
			      struct cap_frag *frag, const char **why)
{
	static const uint8_t none[1];
	struct fcgi_cursor c;
	uint16_t type;

	(void)wirelen; /* the IP lengths say what was cut */
	*why = NULL;
	if (frame == NULL) {
		frame = none; /* no arithmetic on a null pointer */
		caplen = 0;
	}
	cur_init(&c, frame, caplen);
	switch (linktype) {
	case CAP_DLT_EN10MB:
		/* Destination, source, EtherType. */
		if (cur_skip(&c, 12) != 0 || cur_be16(&c, &type) != 0)
			return bad(why, "truncated Ethernet header");
		if (type < ETH_MIN_TYPE)
			return CAP_DEC_SKIP; /* 802.3 with LLC */
		return ether_payload(&c, type, pkt, frag, why);
	case CAP_DLT_LINUX_SLL:
		/* Packet type, ARPHRD type, address length, 8 bytes of
		 * address, protocol (an EtherType). */
		if (cur_skip(&c, 14) != 0 || cur_be16(&c, &type) != 0)
			return bad(why, "truncated Linux cooked header");
		return ether_payload(&c, type, pkt, frag, why);
	case CAP_DLT_LINUX_SLL2:
		/* Protocol, reserved, interface index, ARPHRD type, packet
		 * type, address length, 8 bytes of address. */
		if (cur_be16(&c, &type) != 0 || cur_skip(&c, 18) != 0)
			return bad(why, "truncated Linux cooked v2 header");
		return ether_payload(&c, type, pkt, frag, why);
	case CAP_DLT_NULL:
		return bsd_loop(frame, caplen, true, pkt, frag, why);
	case CAP_DLT_LOOP:
		return bsd_loop(frame, caplen, false, pkt, frag, why);
	case CAP_DLT_RAW:
	case CAP_DLT_RAW_BSD:
	case CAP_LINKTYPE_RAW:
		return ip_any(frame, caplen, pkt, frag, why);
	case CAP_DLT_IPV4:
		return ipv4(frame, caplen, pkt, frag, why);
	case CAP_DLT_IPV6:
		return ipv6(frame, caplen, pkt, frag, why);
	default:
		*why = "link type not supported";
		return CAP_DEC_LINKTYPE;
	}
}

enum cap_decode_rc cap_decode_datagram(const struct cap_frag *first,
				       const uint8_t *payload, size_t len,
				       struct cap_pkt *pkt, const char **why)
{
	struct fcgi_cursor c;
	uint8_t next = first->proto;
	enum cap_decode_rc rc;
	struct l4 l;

	*why = NULL;
	pkt->src = first->src;
	pkt->dst = first->dst;
	cur_init(&c, payload, len);
	if (first->src.family == 6) {
		rc = v6_walk(&c, &next, why);
		if (rc != CAP_DEC_TCP)
			return rc;
		/* A fragment inside a fragment is not reassembled. */
		if (next != IPP_TCP)
			return CAP_DEC_SKIP;
	} else if (next != IPP_TCP) {
		return CAP_DEC_SKIP;
	}
	l.p = c.p;
	l.len = cur_left(&c);
	l.missing = 0;
	return tcp(&l, pkt, why);
}
