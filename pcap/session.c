/* SPDX-License-Identifier: MIT */
/*
 * session.c - FastCGI connections in a capture.  Frames are decoded
 * (decode.c, ipfrag.c), their TCP streams put in order (reasm.c), and
 * each connection that carries FastCGI is fed, one direction per stream,
 * to an OBSERVER struct fcgi_conn: the decoder and the judge that proxy
 * uses, so that pcap reports every finding proxy would.
 *
 * Which connections: those to a --port, or, without one, those whose
 * client starts with a BEGIN_REQUEST (or GET_VALUES) header, or, when
 * the start was not captured, those where a chain of plausible record
 * headers is found.  Where bytes are lost or the start was not seen, a
 * direction is resynchronised on the first plausible header; the conn
 * learns of the hole through fcgi_conn_gap(), never joining the bytes
 * around it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "capture.h"

/* A header is checked with the one after it when a record is not one of
 * the fixed-size ones; at most one whole record plus a header is held. */
#define HUNT_MAX                                                 \
	(FCGI_HEADER_LEN + FCGI_MAX_CONTENT + FCGI_MAX_PADDING + \
	 FCGI_HEADER_LEN)
/* Without --port, a stream joined in the middle is searched this far
 * for FastCGI before it is taken for something else. */
#define PROBE_MAX (256u * 1024)
/* Malformed frames named one by one before they are only counted. */
#define BAD_NOTES 5

enum cls {
	CLS_UNKNOWN = 0, /* not yet known whether it is FastCGI */
	CLS_FCGI,
	CLS_OTHER
};

enum verdict { V_NO, V_NEED, V_YES };

/* One TCP side of a flow, as the session sees it. */
struct side {
	bool synced;	      /* bytes go to the conn */
	bool from_start;      /* no byte of the stream was lost or skipped */
	bool need_gap;	      /* fcgi_conn_gap() is due before the next feed */
	bool ever_synced;     /* fed the conn at some point */
	uint64_t since;	      /* bytes lost or skipped since the last sync */
	bool ended;	      /* on_end came */
	uint64_t skip;	      /* bytes lost or skipped since the last sync */
	uint64_t probed;      /* bytes searched while not yet classified */
	struct fcgi_buf hunt; /* bytes held while looking for a header */
	uint64_t off;	      /* stream offset of the next byte to arrive */
};

struct sflow {
	struct cap_conn cc; /* first: the caller's view */
	struct cap_session *s;
	struct cap_flow *flow;
	enum cls cls;
	int web; /* the reasm side of the web server, or -1 */
	struct side side[2];
	struct fcgi_conn *conn;
};

struct cap_session {
	struct cap_session_opts o;
	struct cap_session_cbs cb;
	void *arg;
	const struct fcgi_mem *mem;
	struct cap_reasm *reasm;
	struct cap_defrag defrag;
	uint64_t defrag_reported;
	struct fcgi_callbacks conn_cb;
	uint64_t packet; /* the current frame */
	double ts;	 /* its time since the first frame */
	double t0;
	bool have_t0;
	int other; /* its address marks flows that are not FastCGI */
	struct cap_session_stats st;
};

void cap_session_opts_default(struct cap_session_opts *o)
{
	memset(o, 0, sizeof(*o));
	cap_reasm_opts_default(&o->reasm);
	fcgi_limits_default(&o->limits);
	o->mem = NULL;
}

/* ---- recognising records ------------------------------------------ */

/* Types a web server sends (FastCGI 1.0, 8). */
static bool to_app_type(unsigned t)
{
	return t == FCGI_BEGIN_REQUEST || t == FCGI_ABORT_REQUEST ||
	       t == FCGI_PARAMS || t == FCGI_STDIN || t == FCGI_DATA ||
	       t == FCGI_GET_VALUES;
}

static bool to_web_type(unsigned t)
{
	return t == FCGI_END_REQUEST || t == FCGI_STDOUT || t == FCGI_STDERR ||
	       t == FCGI_GET_VALUES_RESULT || t == FCGI_UNKNOWN_TYPE;
}

/*
 * Could h start a record a well-behaved peer sends in dir (-1: either)?
 * Version 1, reserved 0, a type of the direction, the id rule of
 * FastCGI 1.0, 3.3, the fixed body lengths, and padding either none or
 * to a multiple of 8 (what nginx, PHP-FPM and libfcgi send).
 */
static bool header_ok(const struct fcgi_header *h, int dir)
{
	size_t total =
		FCGI_HEADER_LEN + (size_t)h->content_length + h->padding_length;
	bool app = to_app_type(h->type), web = to_web_type(h->type);

	if (h->version != FCGI_VERSION_1 || h->reserved != 0)
		return false;
	if (dir == FCGI_DIR_TO_APP   ? !app
	    : dir == FCGI_DIR_TO_WEB ? !web
				     : !app && !web)
		return false;
	if (fcgi_type_is_management(h->type) !=
	    (h->request_id == FCGI_NULL_REQUEST_ID))
		return false;
	if ((h->type == FCGI_BEGIN_REQUEST || h->type == FCGI_END_REQUEST ||
	     h->type == FCGI_UNKNOWN_TYPE) &&
	    h->content_length != 8)
		return false;
	if (h->type == FCGI_ABORT_REQUEST && h->content_length != 0)
		return false;
	return h->padding_length == 0 || total % 8 == 0;
}

/* BEGIN_REQUEST and END_REQUEST bodies are checked too: with a known
 * role and flags, or protocolStatus, the header is believed without the
 * next one.  Their reserved bytes are not: PHP-FPM leaves whatever its
 * buffer held in those of END_REQUEST. */
static bool body_ok(const struct fcgi_header *h, const uint8_t *b)
{
	if (h->type == FCGI_BEGIN_REQUEST)
		return b[0] == 0 && b[1] >= FCGI_RESPONDER &&
		       b[1] <= FCGI_FILTER && b[2] <= FCGI_KEEP_CONN;
	if (h->type == FCGI_END_REQUEST)
		return b[4] <= FCGI_UNKNOWN_ROLE;
	return false;
}

/*
 * Is p[0..n) the start of a record of dir (-1: either; *dir_out gets
 * the direction found)?  V_YES when the header passes and either its
 * fixed body or the header after it does; V_NEED when more bytes are
 * needed to tell; V_NO otherwise.
 */
static enum verdict plausible(const uint8_t *p, size_t n, int dir, int *dir_out)
{
	struct fcgi_header h, h2;
	size_t total;

	if (fcgi_header_decode(&h, p, n) != 0)
		return V_NEED;
	if (!header_ok(&h, dir))
		return V_NO;
	*dir_out = to_app_type(h.type) ? FCGI_DIR_TO_APP : FCGI_DIR_TO_WEB;
	if (h.type == FCGI_BEGIN_REQUEST || h.type == FCGI_END_REQUEST) {
		if (n < 2 * FCGI_HEADER_LEN)
			return V_NEED;
		if (body_ok(&h, p + FCGI_HEADER_LEN))
			return V_YES;
	}
	total = FCGI_HEADER_LEN + (size_t)h.content_length + h.padding_length;
	if (n - total < FCGI_HEADER_LEN || n < total)
		return V_NEED;
	(void)fcgi_header_decode(&h2, p + total, n - total);
	return header_ok(&h2, *dir_out) ? V_YES : V_NO;
}

/* Does a client's stream begin like FastCGI?  Its first record is a
 * BEGIN_REQUEST or a GET_VALUES (FastCGI 1.0, 3.3 and 4.1). */
static enum verdict plausible_start(const uint8_t *p, size_t n)
{
	struct fcgi_header h;

	if (fcgi_header_decode(&h, p, n) != 0)
		return V_NEED;
	if (!header_ok(&h, FCGI_DIR_TO_APP))
		return V_NO;
	if (h.type == FCGI_GET_VALUES)
		return V_YES;
	if (h.type != FCGI_BEGIN_REQUEST)
		return V_NO;
	if (n < 2 * FCGI_HEADER_LEN)
		return V_NEED;
	return body_ok(&h, p + FCGI_HEADER_LEN) ? V_YES : V_NO;
}

/* ---- helpers ---------------------------------------------------------- */

/* Where the current callback comes from: the segment the reassembler is
 * delivering. */
static void where(struct sflow *sf)
{
	sf->cc.packet = sf->flow->at_packet;
	sf->cc.ts = sf->flow->at_ts;
}

static enum fcgi_dir dir_of(const struct sflow *sf, int side)
{
	return side == sf->web ? FCGI_DIR_TO_APP : FCGI_DIR_TO_WEB;
}

static void note(struct cap_session *s, struct sflow *sf, const char *what,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void note(struct cap_session *s, struct sflow *sf, const char *what,
		 const char *fmt, ...)
{
	char detail[256];
	va_list ap;

	if (s->cb.on_note == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (sf != NULL)
		where(sf);
	s->cb.on_note(s->arg, sf != NULL ? &sf->cc : NULL, what, detail);
}

static bool port_listed(const struct cap_session *s, uint16_t port)
{
	for (size_t i = 0; i < s->o.nports; i++)
		if (s->o.ports[i] == port)
			return true;
	return false;
}

/* ---- the conn's callbacks ---------------------------------------------- */

static void c_on_record(void *arg, enum fcgi_dir dir,
			const struct fcgi_record *rec)
{
	struct sflow *sf = arg;

	if (sf->s->cb.on_record != NULL) {
		where(sf);
		sf->s->cb.on_record(sf->s->arg, &sf->cc, dir, rec);
	}
}

static int c_on_event(void *arg, const struct fcgi_event *ev)
{
	struct sflow *sf = arg;

	if (sf->s->cb.on_event != NULL) {
		where(sf);
		sf->s->cb.on_event(sf->s->arg, &sf->cc, ev);
	}
	return 0;
}

static void c_on_violation(void *arg, const struct fcgi_violation *v)
{
	struct sflow *sf = arg;

	if (sf->s->cb.on_violation != NULL) {
		where(sf);
		sf->s->cb.on_violation(sf->s->arg, &sf->cc, v);
	}
}

/* ---- feeding ------------------------------------------------------------ */

static void hunt_reset(struct side *sd)
{
	fcgi_buf_reset(&sd->hunt);
}

/* Hand bytes to the conn; on a bad version, look for the next header in
 * what is left. */
static void feed(struct sflow *sf, int side, const uint8_t *p, size_t n);

/* Tell the conn that the side's bytes counted in skip will not come
 * (a partial record it holds is dropped). */
static void tell_gap(struct sflow *sf, int side)
{
	struct side *sd = &sf->side[side];
	enum fcgi_dir dir = dir_of(sf, side);

	(void)fcgi_conn_gap(sf->conn, dir, sd->skip);
	sf->cc.lost[dir] += sd->skip;
	sd->since += sd->skip;
	sd->skip = 0;
}

/* The side is synchronised at the start of p: tell the conn about what
 * was skipped, then feed. */
static void sync_at(struct sflow *sf, int side, const uint8_t *p, size_t n)
{
	struct side *sd = &sf->side[side];
	enum fcgi_dir dir = dir_of(sf, side);

	if (sd->need_gap) {
		tell_gap(sf, side);
		if (sd->ever_synced)
			note(sf->s, sf, "resync",
			     "%s: decoding from offset %llu after %llu bytes "
			     "lost or skipped",
			     fcgi_dir_name(dir),
			     (unsigned long long)fcgi_conn_offset(sf->conn,
								  dir),
			     (unsigned long long)sd->since);
		else
			note(sf->s, sf, "resync",
			     "%s: the capture began inside the stream; "
			     "decoding from offset %llu",
			     fcgi_dir_name(dir),
			     (unsigned long long)fcgi_conn_offset(sf->conn,
								  dir));
	}
	sd->since = 0;
	sd->need_gap = false;
	sd->synced = true;
	sd->ever_synced = true;
	feed(sf, side, p, n);
}

/*
 * Look for a record header in the side's hunt buffer plus p[0..n);
 * bytes before it are skipped.  Once found, the side is synchronised and
 * the rest is fed.  Bytes that may still start a record are kept.
 */
static void hunt(struct sflow *sf, int side, const uint8_t *p, size_t n)
{
	struct side *sd = &sf->side[side];
	int dir = (int)dir_of(sf, side), found = -1;
	const uint8_t *b, *hit;
	size_t len, i = 0;
	enum verdict v = V_NO;

	if (n > 0 && fcgi_buf_append(&sd->hunt, p, n) != 0) {
		/* No memory to hold them: they are skipped. */
		sd->skip += sd->hunt.len + n;
		hunt_reset(sd);
		return;
	}
	b = sd->hunt.data;
	len = sd->hunt.len;
	while (i < len) {
		hit = memchr(b + i, FCGI_VERSION_1, len - i);
		if (hit == NULL) {
			i = len;
			break;
		}
		i = (size_t)(hit - b);
		v = plausible(b + i, len - i, dir, &found);
		if (v != V_NO)
			break;
		i++;
	}
	sd->skip += i;
	if (v != V_YES) {
		fcgi_buf_consume(&sd->hunt, i);
		return;
	}
	/* Found: feed from i, then forget the buffer. */
	{
		struct fcgi_buf held = sd->hunt;

		fcgi_buf_init(&sd->hunt, sf->s->mem, 0);
		sync_at(sf, side, held.data + i, held.len - i);
		if (sd->hunt.data == NULL) {
			fcgi_buf_reset(&held);
			sd->hunt = held;
		} else {
			fcgi_buf_fini(&held);
		}
	}
}

static void feed(struct sflow *sf, int side, const uint8_t *p, size_t n)
{
	struct side *sd = &sf->side[side];
	enum fcgi_dir dir = dir_of(sf, side);
	ssize_t rc;
	size_t used;

	if (n == 0 || sd->ended)
		return;
	if (!sd->synced) {
		hunt(sf, side, p, n);
		return;
	}
	rc = fcgi_conn_recv(sf->conn, dir, p, n);
	if (rc >= 0)
		return;
	used = fcgi_conn_last_consumed(sf->conn);
	if (used > n)
		used = n;
	/* A bad version (reported by the conn) or no memory: look for the
	 * next header in what is left. */
	sd->synced = false;
	sd->need_gap = true;
	if (rc == FCGI_ENOMEM)
		note(sf->s, sf, "memory",
		     "%s: out of memory; %zu bytes skipped", fcgi_dir_name(dir),
		     n - used);
	hunt(sf, side, p + used, n - used);
}

/* Bytes lost from a side: whatever was being gathered is given up, and
 * the conn learns of it at once, before the other side's records that
 * follow. */
static void lose(struct sflow *sf, int side, uint64_t len)
{
	struct side *sd = &sf->side[side];

	sd->skip += sd->hunt.len + len;
	hunt_reset(sd);
	sd->from_start = false;
	sd->synced = false;
	sd->need_gap = true;
	tell_gap(sf, side);
}

/* ---- classification ------------------------------------------------------ */

static struct sflow *sflow_new(struct cap_session *s, struct cap_flow *f)
{
	struct sflow *sf = fcgi_mem_malloc(s->mem, sizeof(*sf));

	if (sf == NULL)
		return NULL;
	memset(sf, 0, sizeof(*sf));
	sf->s = s;
	sf->flow = f;
	sf->web = -1;
	for (int i = 0; i < 2; i++) {
		fcgi_buf_init(&sf->side[i].hunt, s->mem, 0);
		sf->side[i].from_start = f->syn[i];
	}
	f->user = sf;
	return sf;
}

static void sflow_free(struct cap_session *s, struct sflow *sf)
{
	fcgi_conn_free(sf->conn);
	fcgi_buf_fini(&sf->side[0].hunt);
	fcgi_buf_fini(&sf->side[1].hunt);
	fcgi_mem_free(s->mem, sf);
}

/* Not FastCGI: forget it and ignore the rest of the flow. */
static void make_other(struct cap_session *s, struct sflow *sf)
{
	struct cap_flow *f = sf->flow;

	f->user = &s->other;
	cap_reasm_ignore(s->reasm, f);
	sflow_free(s, sf);
}

/*
 * It is FastCGI with web as the web server's side: make the conn, tell
 * the caller, and feed what each side has gathered.  false when memory
 * runs out (the flow is then ignored).
 */
static bool make_fcgi(struct cap_session *s, struct sflow *sf, int web)
{
	struct cap_flow *f = sf->flow;
	struct fcgi_conn_opts co;
	struct fcgi_buf held;
	int side;

	fcgi_conn_opts_default(&co);
	co.limits = s->o.limits;
	co.mem = s->mem;
	if (fcgi_conn_new(&sf->conn, FCGI_MODE_OBSERVER, &co, &s->conn_cb,
			  sf) != 0) {
		note(s, NULL, "memory",
		     "out of memory; a connection is not "
		     "decoded");
		make_other(s, sf);
		return false;
	}
	sf->cls = CLS_FCGI;
	sf->web = web;
	sf->cc.id = ++s->st.conns;
	s->st.open_conns++;
	snprintf(sf->cc.label, sizeof(sf->cc.label), "c%llu",
		 (unsigned long long)sf->cc.id);
	cap_addr_format(sf->cc.web, sizeof(sf->cc.web), &f->addr[web],
			f->port[web]);
	cap_addr_format(sf->cc.app, sizeof(sf->cc.app), &f->addr[!web],
			f->port[!web]);
	where(sf);
	sf->cc.opened = f->first_ts;
	if (s->cb.on_open != NULL)
		s->cb.on_open(s->arg, &sf->cc);
	for (side = 0; side < 2; side++) {
		struct side *sd = &sf->side[side];

		sf->cc.bytes[dir_of(sf, side)] = sd->off;
		if (sd->from_start && sd->skip == 0) {
			sd->synced = true;
			sd->ever_synced = true;
		} else {
			sd->need_gap = true;
		}
		held = sd->hunt;
		fcgi_buf_init(&sd->hunt, s->mem, 0);
		if (held.len > 0) {
			if (sd->synced)
				feed(sf, side, held.data, held.len);
			else
				hunt(sf, side, held.data, held.len);
		}
		if (sd->hunt.data == NULL) {
			fcgi_buf_reset(&held);
			sd->hunt = held;
		} else {
			fcgi_buf_fini(&held);
		}
	}
	return true;
}

/* Bytes of a flow not yet classified: gather them and decide. */
static void classify(struct cap_session *s, struct sflow *sf, int side,
		     const uint8_t *p, size_t n)
{
	struct side *sd = &sf->side[side];
	struct cap_flow *f = sf->flow;
	enum verdict v;
	int found = -1;
	size_t i;

	if (fcgi_buf_append(&sd->hunt, p, n) != 0) {
		make_other(s, sf);
		return;
	}
	sd->probed += n;
	if (f->syn[0] && sf->side[0].from_start) {
		/* The handshake was seen: the client speaks first, with a
		 * BEGIN_REQUEST or GET_VALUES. */
		if (side != 0) {
			make_other(s, sf);
			return;
		}
		v = plausible_start(sd->hunt.data, sd->hunt.len);
		if (v == V_YES)
			(void)make_fcgi(s, sf, 0);
		else if (v == V_NO)
			make_other(s, sf);
		return;
	}
	/* Joined in the middle: a chain of plausible headers decides, and
	 * its types say which side is which. */
	for (i = 0; i < sd->hunt.len; i++) {
		if (sd->hunt.data[i] != FCGI_VERSION_1)
			continue;
		v = plausible(sd->hunt.data + i, sd->hunt.len - i, -1, &found);
		if (v == V_YES) {
			(void)make_fcgi(
				s, sf, found == FCGI_DIR_TO_APP ? side : !side);
			return;
		}
		if (v == V_NEED)
			break;
	}
	sd->skip += i;
	fcgi_buf_consume(&sd->hunt, i);
	if (sf->side[0].probed + sf->side[1].probed > PROBE_MAX)
		make_other(s, sf);
}

/* The session's view of a flow, made on its first delivery; NULL when
 * it is not FastCGI. */
static struct sflow *flow_of(struct cap_session *s, struct cap_flow *f)
{
	struct sflow *sf;

	if (f->user == &s->other)
		return NULL;
	if (f->user != NULL)
		return f->user;
	sf = sflow_new(s, f);
	if (sf == NULL) {
		f->user = &s->other;
		cap_reasm_ignore(s->reasm, f);
		return NULL;
	}
	if (s->o.nports > 0) {
		/* The side that talks to a listed port is the web server. */
		if (!make_fcgi(s, sf, port_listed(s, f->port[1]) ? 0 : 1))
			return NULL;
	}
	return f->user == sf ? sf : NULL;
}

/* ---- reassembler callbacks ------------------------------------------------ */

static void r_on_data(void *arg, struct cap_flow *f, int side,
		      const uint8_t *data, size_t len)
{
	struct cap_session *s = arg;
	struct sflow *sf = flow_of(s, f);

	if (sf == NULL)
		return;
	sf->side[side].off += len;
	if (sf->cls == CLS_UNKNOWN) {
		classify(s, sf, side, data, len);
		return;
	}
	sf->cc.bytes[dir_of(sf, side)] += len;
	feed(sf, side, data, len);
}

static void r_on_gap(void *arg, struct cap_flow *f, int side, uint64_t len,
		     bool at_start)
{
	struct cap_session *s = arg;
	struct sflow *sf = flow_of(s, f);
	struct side *sd;
	enum fcgi_dir dir;

	if (sf == NULL)
		return;
	sd = &sf->side[side];
	if (at_start) {
		sd->from_start = false;
		if (sf->cls == CLS_FCGI && !sd->synced)
			sd->need_gap = true;
		return;
	}
	if (sf->cls == CLS_UNKNOWN) {
		sd->skip += sd->hunt.len + len;
		hunt_reset(sd);
		sd->from_start = false;
		sd->off += len;
		return;
	}
	dir = dir_of(sf, side);
	note(s, sf, "gap", "%s: %llu bytes lost at offset %llu",
	     fcgi_dir_name(dir), (unsigned long long)len,
	     (unsigned long long)sd->off);
	sd->off += len;
	sf->cc.bytes[dir] += len;
	lose(sf, side, len);
}

static void r_on_overlap(void *arg, struct cap_flow *f, int side, uint64_t off,
			 size_t len)
{
	struct cap_session *s = arg;
	struct sflow *sf = f->user != &s->other ? f->user : NULL;

	if (sf == NULL || sf->cls != CLS_FCGI)
		return;
	note(s, sf, "overlap",
	     "%s: %zu bytes at offset %llu came again with other content; "
	     "the first copy is kept",
	     fcgi_dir_name(dir_of(sf, side)), len, (unsigned long long)off);
}

static void r_on_end(void *arg, struct cap_flow *f, int side, bool reset)
{
	struct cap_session *s = arg;
	struct sflow *sf = f->user != &s->other ? f->user : NULL;
	struct side *sd;
	enum fcgi_dir dir;

	if (sf == NULL)
		return;
	sd = &sf->side[side];
	if (sf->cls != CLS_FCGI) {
		sd->ended = true;
		/* A client that closes before a byte, or a server that
		 * closes first, is not what FastCGI looks like. */
		if (sf->side[0].ended && sf->side[1].ended)
			make_other(s, sf);
		return;
	}
	dir = dir_of(sf, side);
	if (reset)
		note(s, sf, "reset", "reset by the %s",
		     dir == FCGI_DIR_TO_APP ? "web server" : "app");
	if (!sd->synced) {
		/* What was being searched is skipped; the conn drops a
		 * partial record before it is told of the end. */
		sd->skip += sd->hunt.len;
		hunt_reset(sd);
		if (sd->skip > 0 || sd->need_gap)
			tell_gap(sf, side);
	}
	sd->ended = true;
	sf->cc.ended[dir] = true;
	where(sf);
	(void)fcgi_conn_eof(sf->conn, dir);
}

static void r_on_close(void *arg, struct cap_flow *f, enum cap_close why)
{
	static const char *const names[] = {
		[CAP_CLOSE_FIN] = "closed",
		[CAP_CLOSE_RST] = "reset",
		[CAP_CLOSE_IDLE] = "idle",
		[CAP_CLOSE_FULL] = "evicted",
		[CAP_CLOSE_REUSED] = "reused",
		[CAP_CLOSE_EOF] = "end of capture",
	};
	struct cap_session *s = arg;
	struct sflow *sf = f->user != &s->other ? f->user : NULL;

	f->user = NULL;
	if (sf == NULL)
		return;
	if (sf->cls == CLS_FCGI) {
		if (why == CAP_CLOSE_IDLE)
			note(s, sf, "evicted",
			     "no packet for %.0f s; forgotten",
			     s->o.reasm.idle);
		else if (why == CAP_CLOSE_FULL)
			note(s, sf, "evicted",
			     "more than %zu connections open; the idlest is "
			     "forgotten",
			     s->o.reasm.max_flows);
		s->st.open_conns--;
		where(sf);
		if (s->cb.on_close != NULL)
			s->cb.on_close(s->arg, &sf->cc, names[why]);
	}
	sflow_free(s, sf);
}

/* ---- the session ------------------------------------------------------------ */

struct cap_session *cap_session_new(const struct cap_session_opts *opts,
				    const struct cap_session_cbs *cbs,
				    void *arg)
{
	static const struct cap_reasm_cbs rcb = {
		r_on_data, r_on_gap, r_on_overlap, r_on_end, r_on_close,
	};
	struct cap_session_opts def;
	struct cap_session *s;

	if (opts == NULL) {
		cap_session_opts_default(&def);
		opts = &def;
	}
	s = fcgi_mem_malloc(opts->mem, sizeof(*s));
	if (s == NULL)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->o = *opts;
	if (s->o.nports > CAP_PORTS_MAX)
		s->o.nports = CAP_PORTS_MAX;
	if (cbs != NULL)
		s->cb = *cbs;
	s->arg = arg;
	s->mem = opts->mem;
	s->o.reasm.mem = opts->mem;
	s->conn_cb.on_record = c_on_record;
	s->conn_cb.on_event = c_on_event;
	s->conn_cb.on_violation = c_on_violation;
	cap_defrag_init(&s->defrag, s->mem);
	s->reasm = cap_reasm_new(&s->o.reasm, &rcb, s);
	if (s->reasm == NULL) {
		fcgi_mem_free(s->mem, s);
		return NULL;
	}
	return s;
}

void cap_session_free(struct cap_session *s)
{
	if (s == NULL)
		return;
	/* Flows still open are closed without reports. */
	s->cb.on_note = NULL;
	s->cb.on_close = NULL;
	s->cb.on_record = NULL;
	s->cb.on_event = NULL;
	s->cb.on_violation = NULL;
	s->cb.on_open = NULL;
	cap_reasm_free(s->reasm);
	cap_defrag_release(&s->defrag);
	fcgi_mem_free(s->mem, s);
}

/* Report datagrams the defragmenter gave up since the last report. */
static void defrag_report(struct cap_session *s)
{
	uint64_t n = s->defrag.dropped - s->defrag_reported;

	if (n == 0)
		return;
	s->defrag_reported = s->defrag.dropped;
	note(s, NULL, "fragment",
	     "%llu fragmented IP datagram%s never completed; dropped",
	     (unsigned long long)n, n == 1 ? "" : "s");
}

/* A TCP segment, from a frame or a reassembled datagram. */
static int segment(struct cap_session *s, const struct cap_pkt *pkt)
{
	s->st.tcp++;
	/* With --port, other connections are dropped before any state is
	 * kept for them. */
	if (s->o.nports > 0 && !port_listed(s, pkt->sport) &&
	    !port_listed(s, pkt->dport))
		return 0;
	return cap_reasm_segment(s->reasm, pkt, s->ts, s->packet);
}

int cap_session_frame(struct cap_session *s, int linktype, uint64_t packet,
		      double ts, const uint8_t *frame, size_t caplen,
		      size_t wirelen)
{
	struct cap_pkt pkt;
	struct cap_frag frag, first;
	const uint8_t *whole;
	const char *why;
	size_t len;
	int rc;

	if (!s->have_t0) {
		s->t0 = ts;
		s->st.first_ts = ts;
		s->have_t0 = true;
	}
	s->packet = packet;
	s->ts = ts - s->t0;
	s->st.frames++;
	switch (cap_decode(linktype, frame, caplen, wirelen, &pkt, &frag,
			   &why)) {
	case CAP_DEC_TCP:
		return segment(s, &pkt);
	case CAP_DEC_FRAG:
		s->st.fragments++;
		rc = cap_defrag_add(&s->defrag, &frag, s->ts, &first, &whole,
				    &len, &why);
		if (rc < 0)
			note(s, NULL, "fragment",
			     "packet %llu: a fragmented datagram is dropped: "
			     "%s",
			     (unsigned long long)packet, why);
		defrag_report(s);
		if (rc <= 0)
			return rc == FCGI_ENOMEM ? rc : 0;
		if (cap_decode_datagram(&first, whole, len, &pkt, &why) ==
		    CAP_DEC_TCP)
			return segment(s, &pkt);
		if (why != NULL)
			goto bad;
		return 0;
	case CAP_DEC_BAD:
	case CAP_DEC_LINKTYPE:
		goto bad;
	default:
		return 0;
	}
bad:
	s->st.bad++;
	if (s->st.bad <= BAD_NOTES)
		note(s, NULL, "bad-packet", "packet %llu: %s%s",
		     (unsigned long long)packet, why,
		     s->st.bad == BAD_NOTES ? " (further ones are counted)"
					    : "");
	return 0;
}

void cap_session_finish(struct cap_session *s)
{
	cap_reasm_finish(s->reasm);
	defrag_report(s);
	if (s->st.bad > BAD_NOTES)
		note(s, NULL, "bad-packet",
		     "%llu frames with malformed headers were skipped",
		     (unsigned long long)s->st.bad);
}

void cap_session_stats(const struct cap_session *s,
		       struct cap_session_stats *st)
{
	*st = s->st;
	st->flows = cap_reasm_count(s->reasm);
	st->held = cap_reasm_held(s->reasm);
}
