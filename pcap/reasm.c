/* SPDX-License-Identifier: MIT */
/*
 * reasm.c - TCP flows of a capture and their two byte streams, put back
 * in order (RFC 9293).  Bytes that arrive in order are handed on where
 * they lie, without a copy; only segments that arrive early are copied
 * and held, up to a window per side and a total.  Retransmissions are
 * dropped after their bytes are compared with the first copy (held, or
 * the last bytes delivered), holes that will not be filled become gaps,
 * and sequence numbers are compared modulo 2^32, so streams may wrap.
 *
 * A hole is declared lost when the receiver acknowledged bytes beyond
 * it (the capture missed what the receiver got), when more than the
 * window waits behind it, and when the flow ends.
 */
#include <string.h>
#include <sys/queue.h>

#include "capture.h"

#define HASH_MIN 256
/* Connections closed by FIN or RST are remembered, so that a late
 * retransmission is not taken for a connection joined in the middle. */
#define CLOSED_KEEP 1024

/* Bytes held for one side beyond the next expected byte, or a known
 * hole (lost: bytes the snapshot length cut off). */
struct seg {
	struct seg *next;
	uint64_t off;
	size_t len;
	bool lost;
	bool has_dep; /* its packet acknowledged dep of the other side */
	uint32_t dep;
	double ts;	 /* when it came, */
	uint64_t packet; /* in which packet */
	uint8_t data[];
};

struct half {
	bool started;	   /* next_seq is known */
	bool fin;	   /* a FIN was seen at fin_off */
	bool done;	   /* the stream ended (reported) */
	bool have_ack;	   /* the receiver's acknowledgement is known */
	uint32_t isn;	   /* the SYN's sequence number, if seen */
	uint32_t next_seq; /* sequence number of the next byte to deliver */
	uint64_t next_off; /* its stream offset */
	uint64_t fin_off;
	uint32_t acked;	  /* highest acknowledgement from the receiver */
	bool rst;	  /* the end is a reset (at fin_off) */
	bool fin_has_dep; /* the FIN's packet acknowledged fin_dep */
	uint32_t fin_dep;
	bool blocked; /* due bytes (or the FIN) wait for the other side */
	double blocked_ts;
	bool hole_acked; /* the receiver acknowledged past the head hole */
	double hole_ts;
	struct seg *held;
	size_t held_bytes;
	uint8_t *hist;	  /* ring: the last bytes delivered */
	uint64_t hist_lo; /* the oldest stream offset it may hold */
};

struct flow {
	struct cap_flow pub; /* first: callbacks get &pub */
	struct flow *hnext;
	TAILQ_ENTRY(flow) lru;
	uint32_t hash;
	struct half h[2];
	bool ignored;
};

TAILQ_HEAD(flow_list, flow);

struct closed {
	struct cap_addr addr[2];
	uint16_t port[2];
	uint32_t hash;
};

struct cap_reasm {
	struct cap_reasm_opts o;
	struct cap_reasm_cbs cb;
	void *arg;
	const struct fcgi_mem *mem;
	struct flow **table;
	size_t mask; /* table size - 1 */
	size_t count;
	struct flow_list lru; /* least recently seen first */
	size_t held;	      /* bytes held in all flows */
	double now;	      /* the time of the current segment */
	uint64_t packet;      /* and its packet number */
	uint64_t next_id;
	struct flow *spare_flows; /* freed flows, for reuse (via hnext) */
	struct closed *closed;	  /* a ring of CLOSED_KEEP, or NULL */
	size_t closed_next;
	void *spare_hist; /* freed histories (first word: next) */
};

void cap_reasm_opts_default(struct cap_reasm_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->window = 1u << 20;
	o->total = 16u << 20;
	o->history = 4096;
	o->idle = 300;
	o->wait = 1.0;
	o->max_flows = 65536;
	o->mem = NULL;
}

/* ---- flow table ------------------------------------------------------ */

static uint32_t mix32(uint32_t h, uint32_t v)
{
	h ^= v;
	h *= 0x9e3779b1u;
	return h ^ (h >> 15);
}

/* A hash of one endpoint; a flow's hash combines both with xor, so that
 * it is the same whichever side sent the packet. */
static uint32_t end_hash(const struct cap_addr *a, uint16_t port)
{
	uint32_t h = 0x811c9dc5u ^ a->family;
	size_t n = a->family == 4 ? 4 : 16;

	for (size_t i = 0; i < n; i += 4)
		h = mix32(h, (uint32_t)a->a[i] << 24 |
				     (uint32_t)a->a[i + 1] << 16 |
				     (uint32_t)a->a[i + 2] << 8 | a->a[i + 3]);
	return mix32(h, port);
}

static bool addr_eq(const struct cap_addr *x, const struct cap_addr *y)
{
	return x->family == y->family &&
	       memcmp(x->a, y->a, x->family == 4 ? 4 : 16) == 0;
}

/* The flow of p, with the sending side in *side, or NULL. */
static struct flow *find(const struct cap_reasm *r, const struct cap_pkt *p,
			 uint32_t hash, int *side)
{
	struct flow *f;

	for (f = r->table[hash & r->mask]; f != NULL; f = f->hnext) {
		if (f->hash != hash)
			continue;
		if (f->pub.port[0] == p->sport && f->pub.port[1] == p->dport &&
		    addr_eq(&f->pub.addr[0], &p->src) &&
		    addr_eq(&f->pub.addr[1], &p->dst)) {
			*side = 0;
			return f;
		}
		if (f->pub.port[1] == p->sport && f->pub.port[0] == p->dport &&
		    addr_eq(&f->pub.addr[1], &p->src) &&
		    addr_eq(&f->pub.addr[0], &p->dst)) {
			*side = 1;
			return f;
		}
	}
	return NULL;
}

/* Double the table when it holds more flows than buckets.  0 or
 * FCGI_ENOMEM (the old table stays). */
static int table_grow(struct cap_reasm *r)
{
	size_t n = (r->mask + 1) * 2, i;
	struct flow **t, *f, *next;

	t = fcgi_mem_malloc(r->mem, n * sizeof(*t));
	if (t == NULL)
		return FCGI_ENOMEM;
	memset(t, 0, n * sizeof(*t));
	for (i = 0; i <= r->mask; i++) {
		for (f = r->table[i]; f != NULL; f = next) {
			next = f->hnext;
			f->hnext = t[f->hash & (n - 1)];
			t[f->hash & (n - 1)] = f;
		}
	}
	fcgi_mem_free(r->mem, r->table);
	r->table = t;
	r->mask = n - 1;
	return 0;
}

static void table_del(struct cap_reasm *r, struct flow *f)
{
	struct flow **pp = &r->table[f->hash & r->mask];

	while (*pp != f)
		pp = &(*pp)->hnext;
	*pp = f->hnext;
}

/* ---- held bytes ------------------------------------------------------- */

static void seg_free(struct cap_reasm *r, struct half *h, struct seg *s)
{
	if (!s->lost) {
		h->held_bytes -= s->len;
		r->held -= s->len;
	}
	fcgi_mem_free(r->mem, s);
}

static void half_release(struct cap_reasm *r, struct half *h)
{
	struct seg *s;

	while ((s = h->held) != NULL) {
		h->held = s->next;
		seg_free(r, h, s);
	}
	if (h->hist != NULL) {
		/* Back to the pool; its first bytes link the pool. */
		memcpy(h->hist, &r->spare_hist, sizeof(void *));
		r->spare_hist = h->hist;
		h->hist = NULL;
	}
}

/* The history ring of h, allocated on first use; NULL when there is
 * none (no memory, or history 0). */
static uint8_t *hist_get(struct cap_reasm *r, struct half *h)
{
	if (h->hist != NULL || r->o.history < sizeof(void *))
		return h->hist;
	if (r->spare_hist != NULL) {
		h->hist = r->spare_hist;
		memcpy(&r->spare_hist, h->hist, sizeof(void *));
	} else {
		h->hist = fcgi_mem_malloc(r->mem, r->o.history);
	}
	/* Whatever the ring held before is not this stream's. */
	h->hist_lo = h->next_off;
	return h->hist;
}

/* What is reported next came at ts, in packet: bytes held back keep the
 * time of their own packet, so times may go back where the capture had
 * packets out of order. */
static void at(struct flow *f, double ts, uint64_t packet)
{
	f->pub.at_ts = ts;
	f->pub.at_packet = packet;
}

/* What is reported next happens at the current segment. */
static void now(const struct cap_reasm *r, struct flow *f)
{
	at(f, r->now, r->packet);
}

/* Remember the bytes delivered at h->next_off (before it moves on). */
static void hist_put(struct cap_reasm *r, struct half *h, const uint8_t *p,
		     size_t n)
{
	size_t cap = r->o.history, at, k;
	uint64_t off = h->next_off;
	uint8_t *ring = hist_get(r, h);

	if (ring == NULL)
		return;
	if (n > cap) {
		p += n - cap;
		off += n - cap;
		n = cap;
	}
	while (n > 0) {
		at = (size_t)(off % cap);
		k = cap - at < n ? cap - at : n;
		memcpy(ring + at, p, k);
		p += k;
		off += k;
		n -= k;
	}
}

/*
 * Compare p[0..n), which claims to be the stream's bytes at off (all
 * before next_off), with what the history still holds; report bytes
 * that differ.
 */
static void hist_compare(struct cap_reasm *r, struct flow *f, int side,
			 uint64_t off, const uint8_t *p, size_t n)
{
	struct half *h = &f->h[side];
	size_t cap = r->o.history;
	uint64_t lo = h->hist_lo, first = 0, last = 0;
	bool differ = false;

	if (h->hist == NULL || n == 0)
		return;
	if (h->next_off > cap && h->next_off - cap > lo)
		lo = h->next_off - cap;
	if (off < lo) {
		if (lo - off >= n)
			return;
		p += lo - off;
		n -= (size_t)(lo - off);
		off = lo;
	}
	for (size_t i = 0; i < n; i++) {
		if (h->hist[(size_t)((off + i) % cap)] != p[i]) {
			if (!differ)
				first = off + i;
			last = off + i;
			differ = true;
		}
	}
	now(r, f);
	if (differ && r->cb.on_overlap != NULL)
		r->cb.on_overlap(r->arg, &f->pub, side, first,
				 (size_t)(last - first + 1));
}

/* Hand on in-order bytes; 0, or 1 when the flow was ignored meanwhile. */
static int deliver(struct cap_reasm *r, struct flow *f, int side,
		   const uint8_t *p, size_t n, double ts, uint64_t packet)
{
	struct half *h = &f->h[side];

	if (n == 0)
		return 0;
	at(f, ts, packet);
	hist_put(r, h, p, n);
	r->cb.on_data(r->arg, &f->pub, side, p, n);
	h->next_off += n;
	h->next_seq += (uint32_t)n;
	h->hole_acked = false;
	return f->ignored;
}

static int deliver_gap(struct cap_reasm *r, struct flow *f, int side,
		       uint64_t n)
{
	struct half *h = &f->h[side];

	if (n == 0)
		return 0;
	now(r, f);
	r->cb.on_gap(r->arg, &f->pub, side, n, false);
	h->next_off += n;
	h->next_seq += (uint32_t)n;
	h->hole_acked = false;
	/* Bytes before a gap are not compared with bytes after it. */
	h->hist_lo = h->next_off;
	return f->ignored;
}

/* Has the other side o delivered (or lost) its bytes up to sequence
 * number dep?  A side not started yet cannot be waited for. */
static bool dep_met(const struct half *o, uint32_t dep)
{
	uint32_t end;

	if (!o->started)
		return true;
	/* A FIN takes a sequence number too (RFC 9293, 3.4). */
	end = o->next_seq + (o->done ? 1u : 0u);
	return (int32_t)(dep - end) <= 0;
}

/* The stream offset of o's sequence number seq (at least next_off). */
static uint64_t off_of(const struct half *o, uint32_t seq)
{
	int32_t d = (int32_t)(seq - o->next_seq);

	return d > 0 ? o->next_off + (uint64_t)d : o->next_off;
}

/* The stream ended with a FIN once every byte before it came, and what
 * its packet acknowledged of the other side did.  Returns whether it
 * ended now. */
static bool check_fin(struct cap_reasm *r, struct flow *f, int side)
{
	struct half *h = &f->h[side];

	if (!h->fin || h->done || h->next_off < h->fin_off || f->ignored ||
	    h->held != NULL)
		return false;
	if (h->fin_has_dep && !dep_met(&f->h[!side], h->fin_dep)) {
		if (!h->blocked) {
			h->blocked = true;
			h->blocked_ts = r->now;
		}
		return false;
	}
	h->blocked = false;
	h->done = true;
	f->pub.ended[side] = true;
	now(r, f);
	if (r->cb.on_end != NULL)
		r->cb.on_end(r->arg, &f->pub, side, h->rst);
	return true;
}

/*
 * Deliver held segments whose turn came: the next bytes of the stream,
 * once the other side has delivered what their packets acknowledged
 * (so that the two streams interleave as their senders saw them), or
 * regardless with force.  Returns whether anything was delivered.
 */
static bool drain(struct cap_reasm *r, struct flow *f, int side, bool force)
{
	struct half *h = &f->h[side];
	bool progress = false;
	struct seg *s;
	size_t k;

	while (!f->ignored && (s = h->held) != NULL && s->off <= h->next_off) {
		/* force: the first segment goes whatever it waits for. */
		if (!force && s->has_dep && !dep_met(&f->h[!side], s->dep)) {
			if (!h->blocked) {
				h->blocked = true;
				h->blocked_ts = r->now;
			}
			return progress;
		}
		force = false;
		h->blocked = false;
		h->held = s->next;
		k = h->next_off - s->off < s->len
			    ? (size_t)(h->next_off - s->off)
			    : s->len;
		if (!s->lost)
			hist_compare(r, f, side, s->off, s->data, k);
		if (k < s->len) {
			if (s->lost)
				(void)deliver_gap(r, f, side, s->len - k);
			else
				(void)deliver(r, f, side, s->data + k,
					      s->len - k, s->ts, s->packet);
		}
		seg_free(r, h, s);
		progress = true;
	}
	if (h->held == NULL || h->held->off > h->next_off)
		h->blocked = false;
	return progress;
}

/* side's bytes up to offset limit will not come: gaps for what is
 * missing, and held bytes before the limit delivered in their turn.
 * Returns whether anything moved (false: a held segment waits for the
 * other side). */
static bool lose_until(struct cap_reasm *r, struct flow *f, int side,
		       uint64_t limit)
{
	struct half *h = &f->h[side];
	bool moved = false;
	uint64_t to;

	while (!f->ignored && h->next_off < limit) {
		if (h->held != NULL && h->held->off <= h->next_off) {
			if (!drain(r, f, side, false))
				break;
			moved = true;
			continue;
		}
		to = h->held != NULL && h->held->off < limit ? h->held->off
							     : limit;
		(void)deliver_gap(r, f, side, to - h->next_off);
		moved = true;
	}
	return moved;
}

static bool over_bounds(const struct cap_reasm *r, const struct half *h)
{
	return h->held_bytes > r->o.window || r->held > r->o.total;
}

/* Whether side waits for the other: its next bytes (or its FIN) are due
 * but what their packet acknowledged has not come. */
static bool waits(const struct flow *f, int side)
{
	const struct half *h = &f->h[side];

	return h->blocked &&
	       ((h->held != NULL && h->held->off <= h->next_off) ||
		(h->held == NULL && h->fin && !h->done));
}

/* Two sides wait for each other (what they wait for was lost, or the
 * capture is damaged): the one whose bytes came first goes. */
static bool force_one(struct cap_reasm *r, struct flow *f)
{
	int side = -1;
	double ts[2];

	for (int i = 0; i < 2; i++) {
		const struct half *h = &f->h[i];

		if (!waits(f, i))
			continue;
		ts[i] = h->held != NULL ? h->held->ts : r->now;
		if (side < 0 || ts[i] < ts[side])
			side = i;
	}
	if (side < 0)
		return false;
	if (f->h[side].held == NULL) {
		f->h[side].fin_has_dep = false;
		f->h[side].blocked = false;
		return true;
	}
	return drain(r, f, side, true);
}

/*
 * Give up one thing that is waited for, if a bound says so (all: at the
 * flow's end, everything): a side waiting for bytes of the other that
 * did not come (they were lost), a hole the receiver acknowledged past
 * (lost too), or held bytes over the window or the total.  Returns
 * whether anything was given up.
 */
static bool give_up(struct cap_reasm *r, struct flow *f, bool all)
{
	struct half *h, *o;
	uint64_t lim;
	uint32_t dep;
	bool acked;

	for (int side = 0; side < 2 && !f->ignored; side++) {
		h = &f->h[side];
		o = &f->h[!side];
		if (waits(f, side) &&
		    (all || r->now - h->blocked_ts > r->o.wait ||
		     over_bounds(r, h))) {
			dep = h->held != NULL ? h->held->dep : h->fin_dep;
			lim = off_of(o, dep);
			if (o->fin && lim > o->fin_off)
				lim = o->fin_off;
			/* The other side's bytes it waits for were lost. */
			if (lim > o->next_off && lose_until(r, f, !side, lim))
				return true;
		}
		if (h->held != NULL && h->held->off > h->next_off) {
			acked = h->have_ack &&
				(int32_t)(h->acked - h->next_seq) > 0;
			if (acked && !h->hole_acked) {
				h->hole_acked = true;
				h->hole_ts = r->now;
			}
			if ((all || over_bounds(r, h) ||
			     (h->hole_acked &&
			      r->now - h->hole_ts > r->o.wait)) &&
			    lose_until(r, f, side, h->held->off))
				return true;
		}
		if (all && h->fin && !h->done && h->next_off < h->fin_off &&
		    lose_until(r, f, side, h->fin_off))
			return true;
		/* At the end: bytes the receiver acknowledged that never
		 * came were lost (one more may be an unseen FIN). */
		if (all && !h->fin && h->have_ack && h->held == NULL &&
		    (int32_t)(h->acked - h->next_seq) > 1 &&
		    lose_until(r, f, side, off_of(h, h->acked - 1)))
			return true;
	}
	/* Waits that nothing above could end: each side waits for the
	 * other. */
	for (int side = 0; side < 2; side++)
		if (waits(f, side) &&
		    (all || r->now - f->h[side].blocked_ts > r->o.wait ||
		     over_bounds(r, &f->h[side])))
			return force_one(r, f);
	return false;
}

/* Deliver what can be, in both directions, then give up what the bounds
 * (all: everything) say will not come, until nothing moves. */
static void settle(struct cap_reasm *r, struct flow *f, bool all)
{
	bool moved;

	/* Ends come after every byte that can still be delivered. */
	do {
		moved = drain(r, f, 0, false);
		moved |= drain(r, f, 1, false);
		if (!moved)
			moved = check_fin(r, f, 0) || check_fin(r, f, 1);
		if (!moved)
			moved = give_up(r, f, all);
	} while (moved && !f->ignored);
}

/* Compare the bytes [a, b) of held segment s with p[0..b-a), which came
 * again; report the range from the first to the last that differ. */
static void compare_held(struct cap_reasm *r, struct flow *f, int side,
			 const struct seg *s, uint64_t a, uint64_t b,
			 const uint8_t *p)
{
	size_t n = (size_t)(b - a), first = n, last = 0;

	for (size_t k = 0; k < n; k++) {
		if (s->data[a - s->off + k] != p[k]) {
			if (first == n)
				first = k;
			last = k;
		}
	}
	if (first == n || r->cb.on_overlap == NULL)
		return;
	now(r, f);
	r->cb.on_overlap(r->arg, &f->pub, side, a + first, last - first + 1);
}

/* Insert a copy of [off, off+n) (or a lost range) into h's held list,
 * keeping only the bytes no held segment has, and comparing the others.
 * 0 or FCGI_ENOMEM (what was not inserted is dropped). */
static int hold(struct cap_reasm *r, struct flow *f, int side, uint64_t off,
		const uint8_t *p, size_t n, bool lost, const uint32_t *dep)
{
	struct half *h = &f->h[side];
	struct seg **pp = &h->held, *s, *ns;
	uint64_t pos = off, end = off + n, a, b;
	size_t k;

	while (pos < end) {
		s = *pp;
		if (s != NULL && s->off + s->len <= pos) {
			pp = &s->next;
			continue;
		}
		if (s != NULL && s->off <= pos) {
			/* Overlap with s: compare, keep s's bytes. */
			a = pos;
			b = s->off + s->len < end ? s->off + s->len : end;
			if (!lost && !s->lost)
				compare_held(r, f, side, s, a, b,
					     p + (a - off));
			pos = b;
			pp = &s->next;
			continue;
		}
		/* A piece up to the next held segment (or the end). */
		b = s != NULL && s->off < end ? s->off : end;
		k = (size_t)(b - pos);
		ns = fcgi_mem_malloc(r->mem, sizeof(*ns) + (lost ? 0 : k));
		if (ns == NULL)
			return FCGI_ENOMEM;
		ns->off = pos;
		ns->len = k;
		ns->lost = lost;
		ns->has_dep = dep != NULL;
		ns->dep = dep != NULL ? *dep : 0;
		ns->ts = r->now;
		ns->packet = r->packet;
		if (!lost) {
			memcpy(ns->data, p + (pos - off), k);
			h->held_bytes += k;
			r->held += k;
		}
		ns->next = s;
		*pp = ns;
		pp = &ns->next;
		pos = b;
	}
	return 0;
}

/* Bytes [seq, seq+n) of side, with missing more cut off after them;
 * dep, when not NULL, is what their packet acknowledged of the other
 * side. */
static int add_data(struct cap_reasm *r, struct flow *f, int side, uint32_t seq,
		    const uint8_t *p, size_t n, size_t missing,
		    const uint32_t *dep)
{
	struct half *h = &f->h[side];
	int32_t d = (int32_t)(seq - h->next_seq);
	uint64_t off, total = (uint64_t)n + missing;
	size_t k;
	int rc;

	/* Where the segment starts; bytes before the stream's start (a
	 * bogus sequence number) are ignored. */
	if (d < 0 && (uint64_t) - (int64_t)d > h->next_off) {
		k = (size_t)((uint64_t) - (int64_t)d - h->next_off);
		if (k >= total)
			return 0;
		if (k < n) {
			p += k;
			n -= k;
		} else {
			missing -= k - n;
			p += n;
			n = 0;
		}
		total -= k;
		off = 0;
	} else {
		off = d < 0 ? h->next_off - (uint64_t) - (int64_t)d
			    : h->next_off + (uint64_t)d;
	}
	/* Old bytes: a retransmission, compared and dropped.  A single old
	 * byte just before the next one is a keep-alive probe, whose byte
	 * may be anything (RFC 9293, 3.8.4). */
	if (off < h->next_off) {
		k = h->next_off - off < total ? (size_t)(h->next_off - off)
					      : (size_t)total;
		if (!(total == 1 && off + 1 == h->next_off))
			hist_compare(r, f, side, off, p, k < n ? k : n);
		if (k >= total)
			return 0;
		if (k < n) {
			p += k;
			n -= k;
		} else {
			missing -= k - n;
			p += n;
			n = 0;
		}
		off = h->next_off;
	}
	if (off == h->next_off && h->held == NULL &&
	    (dep == NULL || dep_met(&f->h[!side], *dep))) {
		/* In order, nothing held, nothing to wait for: no copy. */
		if (deliver(r, f, side, p, n, r->now, r->packet) != 0)
			return 0;
		(void)deliver_gap(r, f, side, missing);
		return 0;
	}
	rc = 0;
	if (n > 0)
		rc = hold(r, f, side, off, p, n, false, dep);
	if (rc == 0 && missing > 0)
		rc = hold(r, f, side, off + n, NULL, missing, true, dep);
	return rc;
}

/* ---- life of a flow ---------------------------------------------------- */

static void flow_close(struct cap_reasm *r, struct flow *f, enum cap_close why)
{
	if (!f->ignored)
		settle(r, f, true);
	now(r, f);
	if (r->cb.on_close != NULL)
		r->cb.on_close(r->arg, &f->pub, why);
	if ((why == CAP_CLOSE_FIN || why == CAP_CLOSE_RST) &&
	    r->closed != NULL) {
		struct closed *c = &r->closed[r->closed_next];

		r->closed_next = (r->closed_next + 1) % CLOSED_KEEP;
		c->addr[0] = f->pub.addr[0];
		c->addr[1] = f->pub.addr[1];
		c->port[0] = f->pub.port[0];
		c->port[1] = f->pub.port[1];
		c->hash = f->hash;
	}
	half_release(r, &f->h[0]);
	half_release(r, &f->h[1]);
	table_del(r, f);
	TAILQ_REMOVE(&r->lru, f, lru);
	r->count--;
	f->hnext = r->spare_flows;
	r->spare_flows = f;
}

/* Was p's connection closed by FIN or RST not long ago? */
static bool was_closed(const struct cap_reasm *r, const struct cap_pkt *p,
		       uint32_t hash)
{
	const struct closed *c;

	if (r->closed == NULL)
		return false;
	for (size_t i = 0; i < CLOSED_KEEP; i++) {
		c = &r->closed[i];
		if (c->hash != hash || c->addr[0].family == 0)
			continue;
		if ((c->port[0] == p->sport && c->port[1] == p->dport &&
		     addr_eq(&c->addr[0], &p->src) &&
		     addr_eq(&c->addr[1], &p->dst)) ||
		    (c->port[1] == p->sport && c->port[0] == p->dport &&
		     addr_eq(&c->addr[1], &p->src) &&
		     addr_eq(&c->addr[0], &p->dst)))
			return true;
	}
	return false;
}

static struct flow *flow_new(struct cap_reasm *r, const struct cap_pkt *p,
			     uint32_t hash, bool reversed, double ts)
{
	struct flow *f;

	if (r->count + 1 > r->mask + 1 && table_grow(r) != 0 &&
	    r->count >= 4 * (r->mask + 1))
		return NULL;
	if (r->o.max_flows > 0 && r->count >= r->o.max_flows &&
	    !TAILQ_EMPTY(&r->lru))
		flow_close(r, TAILQ_FIRST(&r->lru), CAP_CLOSE_FULL);
	if (r->spare_flows != NULL) {
		f = r->spare_flows;
		r->spare_flows = f->hnext;
	} else {
		f = fcgi_mem_malloc(r->mem, sizeof(*f));
		if (f == NULL)
			return NULL;
	}
	memset(f, 0, sizeof(*f));
	f->pub.addr[reversed] = p->src;
	f->pub.port[reversed] = p->sport;
	f->pub.addr[!reversed] = p->dst;
	f->pub.port[!reversed] = p->dport;
	f->pub.id = ++r->next_id;
	f->pub.first_ts = ts;
	f->pub.last_ts = ts;
	f->hash = hash;
	f->hnext = r->table[hash & r->mask];
	r->table[hash & r->mask] = f;
	TAILQ_INSERT_TAIL(&r->lru, f, lru);
	r->count++;
	return f;
}

struct cap_reasm *cap_reasm_new(const struct cap_reasm_opts *opts,
				const struct cap_reasm_cbs *cbs, void *arg)
{
	struct cap_reasm_opts def;
	struct cap_reasm *r;

	if (opts == NULL) {
		cap_reasm_opts_default(&def);
		opts = &def;
	}
	if (cbs == NULL || cbs->on_data == NULL || cbs->on_gap == NULL)
		return NULL;
	r = fcgi_mem_malloc(opts->mem, sizeof(*r));
	if (r == NULL)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->o = *opts;
	r->cb = *cbs;
	r->arg = arg;
	r->mem = opts->mem;
	if (r->o.window == 0)
		r->o.window = 1;
	TAILQ_INIT(&r->lru);
	r->table = fcgi_mem_malloc(r->mem, HASH_MIN * sizeof(*r->table));
	if (r->table == NULL) {
		fcgi_mem_free(r->mem, r);
		return NULL;
	}
	memset(r->table, 0, HASH_MIN * sizeof(*r->table));
	r->mask = HASH_MIN - 1;
	/* Without it, late retransmissions are only more noise. */
	r->closed = fcgi_mem_malloc(r->mem, CLOSED_KEEP * sizeof(*r->closed));
	if (r->closed != NULL)
		memset(r->closed, 0, CLOSED_KEEP * sizeof(*r->closed));
	return r;
}

void cap_reasm_finish(struct cap_reasm *r)
{
	while (!TAILQ_EMPTY(&r->lru))
		flow_close(r, TAILQ_FIRST(&r->lru), CAP_CLOSE_EOF);
}

void cap_reasm_free(struct cap_reasm *r)
{
	struct flow *f;
	void *h;

	if (r == NULL)
		return;
	cap_reasm_finish(r);
	while ((f = r->spare_flows) != NULL) {
		r->spare_flows = f->hnext;
		fcgi_mem_free(r->mem, f);
	}
	while ((h = r->spare_hist) != NULL) {
		memcpy(&r->spare_hist, h, sizeof(void *));
		fcgi_mem_free(r->mem, h);
	}
	fcgi_mem_free(r->mem, r->closed);
	fcgi_mem_free(r->mem, r->table);
	fcgi_mem_free(r->mem, r);
}

void cap_reasm_ignore(struct cap_reasm *r, struct cap_flow *pub)
{
	struct flow *f = (struct flow *)pub;

	(void)r;
	/* What is held is freed after the current segment (the caller may
	 * be inside a delivery loop). */
	f->ignored = true;
}

size_t cap_reasm_count(const struct cap_reasm *r)
{
	return r->count;
}

size_t cap_reasm_held(const struct cap_reasm *r)
{
	return r->held;
}

/* Evict flows that have been idle too long (the current one is at the
 * tail and never idle). */
static void expire(struct cap_reasm *r, double ts)
{
	struct flow *f;

	while ((f = TAILQ_FIRST(&r->lru)) != NULL && r->o.idle > 0 &&
	       ts - f->pub.last_ts > r->o.idle)
		flow_close(r, f, CAP_CLOSE_IDLE);
}

/* An ignored flow: only its ends matter, to forget it. */
static void ignored_segment(struct cap_reasm *r, struct flow *f, int side,
			    const struct cap_pkt *p)
{
	half_release(r, &f->h[0]);
	half_release(r, &f->h[1]);
	if (p->flags & CAP_TH_RST) {
		flow_close(r, f, CAP_CLOSE_RST);
		return;
	}
	if (p->flags & CAP_TH_FIN)
		f->h[side].fin = true;
	if (f->h[0].fin && f->h[1].fin)
		flow_close(r, f, CAP_CLOSE_FIN);
}

/* A SYN (without ACK) starts side's stream; one with another initial
 * sequence number on a known flow is a new connection. */
static struct flow *on_syn(struct cap_reasm *r, struct flow *f, int *side,
			   const struct cap_pkt *p, uint32_t hash, double ts)
{
	struct half *h;

	if (f != NULL && f->pub.syn[*side] && f->h[*side].isn != p->seq) {
		flow_close(r, f, CAP_CLOSE_REUSED);
		f = NULL;
	}
	if (f == NULL) {
		f = flow_new(r, p, hash, false, ts);
		if (f == NULL)
			return NULL;
		*side = 0;
	}
	h = &f->h[*side];
	if (!h->started) {
		h->started = true;
		h->isn = p->seq;
		h->next_seq = p->seq + 1;
		f->pub.syn[*side] = true;
	}
	return f;
}

int cap_reasm_segment(struct cap_reasm *r, const struct cap_pkt *p, double ts,
		      uint64_t packet)
{
	uint32_t hash =
		end_hash(&p->src, p->sport) ^ end_hash(&p->dst, p->dport);
	uint32_t seq = p->seq;
	struct flow *f;
	struct half *h, *o;
	bool syn = (p->flags & CAP_TH_SYN) != 0;
	bool ack = (p->flags & CAP_TH_ACK) != 0;
	int side = 0, rc = 0;
	uint32_t dep = p->ack;
	int32_t d;

	r->now = ts;
	r->packet = packet;
	f = find(r, p, hash, &side);
	if (syn && !ack) {
		f = on_syn(r, f, &side, p, hash, ts);
		if (f == NULL)
			return FCGI_ENOMEM;
	} else if (f == NULL) {
		if (!syn && p->len == 0 && p->missing == 0)
			return 0; /* a bare ACK, FIN or RST: nothing to say */
		if (!syn && was_closed(r, p, hash))
			return 0; /* a late retransmission */
		/* A SYN-ACK first: its sender is the server, side 1. */
		f = flow_new(r, p, hash, syn, ts);
		if (f == NULL)
			return FCGI_ENOMEM;
		side = syn ? 1 : 0;
	}
	f->pub.last_ts = ts;
	TAILQ_REMOVE(&r->lru, f, lru);
	TAILQ_INSERT_TAIL(&r->lru, f, lru);
	expire(r, ts);
	if (f->ignored) {
		ignored_segment(r, f, side, p);
		return 0;
	}
	h = &f->h[side];
	o = &f->h[!side];
	if (syn && ack) {
		if (!h->started) {
			h->started = true;
			h->isn = seq;
			h->next_seq = seq + 1;
			f->pub.syn[side] = true;
		}
		/* It acknowledges the client's SYN: the client's stream
		 * starts there even when its SYN was not captured. */
		if (!o->started) {
			o->started = true;
			o->isn = p->ack - 1;
			o->next_seq = p->ack;
			f->pub.syn[!side] = true;
		}
	}
	if (syn)
		seq++; /* data in a SYN follows it */
	if (ack && o->started &&
	    (!o->have_ack || (int32_t)(p->ack - o->acked) > 0)) {
		o->acked = p->ack;
		o->have_ack = true;
	}
	if (p->flags & CAP_TH_RST) {
		/* RFC 9293, 3.5.3: the connection is over.  The sender's
		 * stream ends at the reset's sequence number, which says
		 * how much it had sent. */
		if (h->started && !h->fin) {
			d = (int32_t)(seq - h->next_seq);
			h->fin = true;
			h->fin_off = d > 0 && (uint32_t)d <= r->o.window
					     ? h->next_off + (uint64_t)d
					     : h->next_off;
		}
		h->rst = true;
		h->fin_has_dep = ack && o->started;
		h->fin_dep = p->ack;
		settle(r, f, true);
		if (!f->ignored && !h->done) {
			h->done = true;
			f->pub.ended[side] = true;
			now(r, f);
			if (r->cb.on_end != NULL)
				r->cb.on_end(r->arg, &f->pub, side, true);
		}
		flow_close(r, f, CAP_CLOSE_RST);
		return 0;
	}
	if (p->len > 0 || p->missing > 0) {
		if (!h->started) {
			/* Joined in the middle: the first byte seen is the
			 * stream's offset 0. */
			h->started = true;
			h->next_seq = seq;
			now(r, f);
			r->cb.on_gap(r->arg, &f->pub, side, 0, true);
		}
		/* What the packet acknowledged of the other side was
		 * there before it: its bytes wait for those. */
		if (!f->ignored)
			rc = add_data(r, f, side, seq, p->data, p->len,
				      p->missing,
				      ack && o->started ? &dep : NULL);
	}
	if ((p->flags & CAP_TH_FIN) && !h->fin && !f->ignored) {
		if (!h->started) {
			h->started = true;
			h->next_seq = seq + (uint32_t)(p->len + p->missing);
		}
		d = (int32_t)(seq + (uint32_t)(p->len + p->missing) -
			      h->next_seq);
		h->fin = true;
		h->fin_off = d > 0 ? h->next_off + (uint64_t)d : h->next_off;
		h->fin_has_dep = ack && o->started;
		h->fin_dep = p->ack;
	}
	if (!f->ignored)
		settle(r, f, false);
	if (f->ignored) {
		half_release(r, &f->h[0]);
		half_release(r, &f->h[1]);
	} else if (f->h[0].done && f->h[1].done) {
		flow_close(r, f, CAP_CLOSE_FIN);
	}
	return rc;
}
