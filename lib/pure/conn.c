/* SPDX-License-Identifier: MIT */
/*
 * conn.c - the per-connection conversation state machine: one record
 * decoder per direction, request-id multiplexing, events, violations and
 * the sending side's framing.  No I/O.
 */
#include <sys/queue.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Per-request state bits (struct req.st). */
enum {
	R_ACTIVE = 1u << 0, /* BEGIN_REQUEST accepted, no END_REQUEST yet */
	R_ENDED = 1u << 1,  /* END_REQUEST seen or sent */
	R_PARAMS_DONE = 1u << 2, /* the empty PARAMS record */
	R_STDIN_DONE = 1u << 3,	 /* the empty STDIN record */
	R_DATA_DONE = 1u << 4,	 /* the empty DATA record */
	R_STDOUT_USED = 1u << 5, /* any STDOUT record */
	R_STDOUT_DONE = 1u << 6, /* the empty STDOUT record */
	R_STDERR_USED = 1u << 7, /* any STDERR record */
	R_STDERR_DONE = 1u << 8, /* the empty STDERR record */
	R_ABORTED = 1u << 9,	 /* ABORT_REQUEST seen or sent */
	R_NV_OPEN = 1u << 10,	 /* nv decoder and params are initialised */
	R_NV_FAILED = 1u << 11,	 /* params decoding stopped (limit, memory) */
	R_NV_SPLIT = 1u << 12,	 /* nv-split already reported */
	R_OOO_STDIN = 1u << 13,	 /* out-of-order STDIN already reported */
	R_OOO_DATA = 1u << 14,	 /* out-of-order DATA already reported */
	R_HAS_CL = 1u << 15,	 /* CONTENT_LENGTH was a decimal number */
	R_GAP = 1u << 16	 /* known before a gap, or adopted after one */
};

/*
 * How many ended requests are remembered, so that a late record for one
 * of them is named precisely (after-end-request, or accepted quietly as a
 * race) rather than reported as no-begin.  Beyond this the oldest is
 * forgotten; each costs one struct req without buffers.
 */
#define ENDED_KEEP 128

struct req {
	uint16_t id;
	uint16_t role;
	uint8_t flags;
	unsigned st;
	uint64_t stdin_bytes;
	uint64_t content_length;
	struct fcgi_nv_decoder nv;
	struct fcgi_params params;
	TAILQ_ENTRY(req) ended; /* the ended list, oldest first */
};

struct side {
	struct fcgi_decoder dec;
	/* What stopped the decoding of this direction for good: a bad
	 * version, or (an app receiving) a connection error; FCGI_V_NONE
	 * while it goes on. */
	enum fcgi_vcode stop;
	bool eof;
};

struct fcgi_conn {
	enum fcgi_conn_mode mode;
	struct fcgi_conn_opts opts;
	const struct fcgi_mem *mem;
	struct fcgi_callbacks cb;
	void *arg;
	struct side side[2];

	/* Request table: open addressing on the id, linear probing. */
	struct req **slots;
	size_t nslots; /* 0 or a power of two */
	size_t nreq;
	struct req *spare;	 /* preallocated for our own BEGIN */
	TAILQ_HEAD(, req) ended; /* ended requests, oldest first */
	size_t nended;
	unsigned active;

	bool keep;		  /* KEEP_CONN of the last accepted BEGIN */
	bool gapped;		  /* fcgi_conn_gap() was called */
	uint64_t begins;	  /* BEGIN_REQUESTs accepted */
	uint64_t pending_values;  /* GET_VALUES without an answer yet */
	uint64_t pending_unknown; /* unknown management records unanswered */

	/* Output queue: bytes out.data[out_off..out.len) are unsent. */
	struct fcgi_buf out;
	size_t out_off;
	bool raw_reserved; /* the self decoder's content buffer is reserved */
	bool self_busy;	   /* judging our own queued records */
	bool busy;	   /* inside fcgi_conn_recv() */

	size_t violations;
	size_t last_consumed;
};

/* Which direction each record type travels (FastCGI 1.0, 8). */
static enum fcgi_dir type_dir(uint8_t type)
{
	switch (type) {
	case FCGI_END_REQUEST:
	case FCGI_STDOUT:
	case FCGI_STDERR:
	case FCGI_GET_VALUES_RESULT:
	case FCGI_UNKNOWN_TYPE:
		return FCGI_DIR_TO_WEB;
	default:
		return FCGI_DIR_TO_APP;
	}
}

/* The direction this conn queues records in (APP and WEB mode). */
static enum fcgi_dir send_dir(const struct fcgi_conn *c)
{
	return c->mode == FCGI_MODE_APP ? FCGI_DIR_TO_WEB : FCGI_DIR_TO_APP;
}

static const char *tname(uint8_t type)
{
	const char *n = fcgi_type_name(type);

	return n != NULL ? n : "unknown";
}

/* ---- request table -------------------------------------------------- */

static size_t slot_of(const struct fcgi_conn *c, uint16_t id)
{
	return ((size_t)id * 40503u) & (c->nslots - 1);
}

/* The entry for id, or NULL. */
static struct req *req_find(const struct fcgi_conn *c, uint16_t id)
{
	size_t i;

	if (c->nslots == 0)
		return NULL;
	for (i = slot_of(c, id); c->slots[i] != NULL;
	     i = (i + 1) & (c->nslots - 1))
		if (c->slots[i]->id == id)
			return c->slots[i];
	return NULL;
}

static void slot_put(struct fcgi_conn *c, struct req *r)
{
	size_t i = slot_of(c, r->id);

	while (c->slots[i] != NULL)
		i = (i + 1) & (c->nslots - 1);
	c->slots[i] = r;
}

/* Make room for one more entry; 0 or FCGI_ENOMEM. */
static int table_reserve(struct fcgi_conn *c)
{
	struct req **old = c->slots;
	size_t oldn = c->nslots, n, i;

	if ((c->nreq + 1) * 2 <= c->nslots)
		return 0;
	n = oldn != 0 ? oldn * 2 : 8;
	c->slots = fcgi_mem_malloc(c->mem, n * sizeof(*c->slots));
	if (c->slots == NULL) {
		c->slots = old;
		return FCGI_ENOMEM;
	}
	memset(c->slots, 0, n * sizeof(*c->slots));
	c->nslots = n;
	for (i = 0; i < oldn; i++)
		if (old[i] != NULL)
			slot_put(c, old[i]);
	fcgi_mem_free(c->mem, old);
	return 0;
}

/* Remove r from the slots (backward-shift deletion keeps probing
 * chains whole). */
static void slot_del(struct fcgi_conn *c, const struct req *r)
{
	size_t mask = c->nslots - 1, i, j, home;

	for (i = slot_of(c, r->id); c->slots[i] != r; i = (i + 1) & mask)
		;
	c->slots[i] = NULL;
	for (j = (i + 1) & mask; c->slots[j] != NULL; j = (j + 1) & mask) {
		home = slot_of(c, c->slots[j]->id);
		/* Move j back into the hole unless its home lies
		 * cyclically in (i, j]. */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			c->slots[i] = c->slots[j];
			c->slots[j] = NULL;
			i = j;
		}
	}
}

/* Drop what the PARAMS stream holds. */
static void req_release_nv(struct fcgi_conn *c, struct req *r)
{
	(void)c;
	if (r->st & R_NV_OPEN) {
		fcgi_nv_decoder_fini(&r->nv);
		fcgi_params_fini(&r->params);
		r->st &= ~(unsigned)R_NV_OPEN;
	}
}

static void ended_unlink(struct fcgi_conn *c, struct req *r)
{
	TAILQ_REMOVE(&c->ended, r, ended);
	c->nended--;
}

static void req_destroy(struct fcgi_conn *c, struct req *r)
{
	slot_del(c, r);
	c->nreq--;
	if (r->st & R_ENDED)
		ended_unlink(c, r);
	if (r->st & R_ACTIVE)
		c->active--;
	req_release_nv(c, r);
	fcgi_mem_free(c->mem, r);
}

/* A zeroed entry for id, inserted in the table; NULL on FCGI_ENOMEM. */
static struct req *req_new(struct fcgi_conn *c, uint16_t id)
{
	struct req *r;

	if (table_reserve(c) != 0)
		return NULL;
	if (c->spare != NULL) {
		r = c->spare;
		c->spare = NULL;
	} else {
		r = fcgi_mem_malloc(c->mem, sizeof(*r));
		if (r == NULL)
			return NULL;
	}
	memset(r, 0, sizeof(*r));
	r->id = id;
	slot_put(c, r);
	c->nreq++;
	return r;
}

/* Mark r ended: it no longer counts as active, its params are freed, and
 * it joins the ended list (forgetting the oldest ended one beyond
 * ENDED_KEEP). */
static void req_end(struct fcgi_conn *c, struct req *r)
{
	if (r->st & R_ACTIVE)
		c->active--;
	r->st = (r->st & ~(unsigned)R_ACTIVE) | R_ENDED;
	req_release_nv(c, r);
	TAILQ_INSERT_TAIL(&c->ended, r, ended);
	c->nended++;
	if (c->nended > ENDED_KEEP)
		req_destroy(c, TAILQ_FIRST(&c->ended));
}

/* ---- reporting ------------------------------------------------------ */

/* Where a record (or the end of a stream) is, for reports. */
struct at {
	enum fcgi_dir dir;
	uint64_t offset;
	uint64_t record;
	uint16_t id;
	bool silent; /* our own queued record: update state, report nothing */
};

static void violate(struct fcgi_conn *c, const struct at *at,
		    enum fcgi_vcode code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void violate(struct fcgi_conn *c, const struct at *at,
		    enum fcgi_vcode code, const char *fmt, ...)
{
	struct fcgi_violation v;
	va_list ap;

	if (at->silent)
		return;
	memset(&v, 0, sizeof(v));
	v.code = code;
	v.severity = fcgi_vcode_severity(code);
	v.dir = at->dir;
	v.offset = at->offset;
	v.record = at->record;
	v.request_id = at->id;
	va_start(ap, fmt);
	vsnprintf(v.message, sizeof(v.message), fmt, ap);
	va_end(ap);
	c->violations++;
	if (c->cb.on_violation != NULL)
		c->cb.on_violation(c->arg, &v);
}

static void ev_init(struct fcgi_event *ev, enum fcgi_event_type type,
		    const struct at *at)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->dir = at->dir;
	ev->request_id = at->id;
	ev->offset = at->offset;
	ev->record = at->record;
}

/* Is this conn the app, judging what it received?  Only then is a
 * connection error fatal and a false management record left unanswered:
 * an observer and a web server go on decoding. */
static bool as_app(const struct fcgi_conn *c, const struct at *at)
{
	return c->mode == FCGI_MODE_APP && !at->silent;
}

/* Deliver ev; 0, or FCGI_ECANCELED when the callback asked to stop. */
static int emit(struct fcgi_conn *c, const struct fcgi_event *ev)
{
	if (c->cb.on_event == NULL)
		return 0;
	return c->cb.on_event(c->arg, ev) != 0 ? FCGI_ECANCELED : 0;
}

/* Copy up to 32 bytes of a name into out for a message, escaping what is
 * not printable ASCII. */
static const char *excerpt(char *out, size_t n, const uint8_t *p, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i;

	for (i = 0; i < len && i < 32 && o + 5 < n; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\') {
			out[o++] = (char)p[i];
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[p[i] >> 4];
			out[o++] = hex[p[i] & 15];
		}
	}
	if (i < len && o + 3 < n) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

/* ---- queue ---------------------------------------------------------- */

static int judge(struct fcgi_conn *c, enum fcgi_dir dir,
		 const struct fcgi_record *rec, bool silent);

/*
 * Our own records, just appended at out.data[from..len), go through the
 * decoder of the sending direction and the same judge as received ones,
 * silently, so that the request state follows exactly what is on the wire
 * (crafted raw bytes included).  The content buffer of that decoder is
 * reserved in advance whenever a partial record may be pending, so the
 * decoder cannot fail on memory here.
 */
static void queue_commit(struct fcgi_conn *c, size_t from)
{
	struct side *s = &c->side[send_dir(c)];
	struct fcgi_record rec;
	size_t end = c->out.len, used;
	int rc;

	/* end is fixed: an on_record callback may call fcgi_conn_sent(),
	 * which can reset out.len but never moves or frees the bytes. */
	c->self_busy = true;
	while (from < end && s->stop == FCGI_V_NONE) {
		rc = fcgi_decoder_feed(&s->dec, c->out.data + from, end - from,
				       &used, &rec);
		from += used;
		if (rc == 1)
			(void)judge(c, send_dir(c), &rec, true);
		else if (rc == 0)
			break;
		else
			/* crafted garbage: stop tracking */
			s->stop = FCGI_V_BAD_VERSION;
	}
	c->self_busy = false;
}

/* Get ready to append: compact the queue when its sent prefix is at
 * least as long as what is left (each byte moves at most once). */
static size_t queue_start(struct fcgi_conn *c)
{
	size_t live = c->out.len - c->out_off;

	if (c->out_off > 0 && c->out_off >= live) {
		memmove(c->out.data, c->out.data + c->out_off, live);
		c->out.len = live;
		c->out_off = 0;
	}
	return c->out.len;
}

/* Common checks for every sending call: 0 or FCGI_ESTATE. */
static int may_send(const struct fcgi_conn *c, enum fcgi_conn_mode mode)
{
	if (c->mode != mode || c->self_busy)
		return FCGI_ESTATE;
	return 0;
}

/* Append one stream (or params) in records of at most FCGI_CHUNK_MAX
 * content bytes; len 0 appends nothing. */
static int put_chunks(struct fcgi_conn *c, uint8_t type, uint16_t id,
		      const uint8_t *p, size_t len)
{
	size_t n;
	int rc;

	while (len > 0) {
		n = len < FCGI_CHUNK_MAX ? len : FCGI_CHUNK_MAX;
		rc = fcgi_record_encode(&c->out, type, id, p, n);
		if (rc != 0)
			return rc;
		p += n;
		len -= n;
	}
	return 0;
}

/* ---- judging records ------------------------------------------------ */

/* The first 8 bytes of a fixed body, zero-filled when it is shorter, so
 * that the codec's decoders read what a short body does hold (the length
 * is reported separately). */
static void body8(uint8_t b[8], const struct fcgi_record *rec)
{
	size_t n = rec->h.content_length < 8 ? rec->h.content_length : 8;

	memset(b, 0, 8);
	if (n > 0)
		memcpy(b, rec->content, n);
}

/*
 * After a gap (fcgi_conn_gap) a record may belong to a request whose
 * BEGIN_REQUEST was lost: its id is unknown, or the entry under the id
 * cannot be its request (that one ended, or the stream the record
 * continues had ended, before the gap).  Such a request is adopted
 * quietly and announced with an FCGI_EV_BEGIN of role 0; its params are
 * not decoded, as their start may be lost too.  r is the entry under
 * the id, or NULL.  Returns the request, or NULL when the record is
 * dropped (at the limit of active requests, or *rc = FCGI_ENOMEM);
 * *rc gets the event's result.  Only OBSERVER conns have gaps, and
 * their callbacks cannot end a request, so r stays valid after emit().
 */
static struct req *req_adopt(struct fcgi_conn *c, const struct at *at,
			     struct req *r, int *rc)
{
	struct fcgi_event ev;

	*rc = 0;
	if (r != NULL) {
		if (r->st & R_ENDED)
			ended_unlink(c, r);
		else if (r->st & R_ACTIVE)
			c->active--;
		req_release_nv(c, r);
	} else {
		if (c->opts.limits.max_requests != 0 &&
		    c->active >= c->opts.limits.max_requests)
			return NULL;
		r = req_new(c, at->id);
		if (r == NULL) {
			*rc = FCGI_ENOMEM;
			return NULL;
		}
	}
	r->st = R_ACTIVE | R_GAP | R_NV_FAILED;
	r->role = 0;
	r->flags = 0;
	r->stdin_bytes = 0;
	r->content_length = 0;
	c->active++;
	ev_init(&ev, FCGI_EV_BEGIN, at);
	*rc = emit(c, &ev);
	return r;
}

static int on_begin(struct fcgi_conn *c, const struct at *at,
		    const struct fcgi_record *rec)
{
	struct fcgi_event ev;
	struct fcgi_begin_body bb;
	struct req *r;
	uint8_t b[8];
	uint16_t role;
	/* FastCGI 1.0, 5.1: the body is 8 bytes.  An app cannot trust the
	 * framing of what follows one that is not: a connection error,
	 * once the record is judged as everyone judges it.  Others use
	 * what is there. */
	int stop =
		rec->h.content_length != 8 && as_app(c, at) ? FCGI_EPROTO : 0;

	if (stop != 0)
		c->side[at->dir].stop = FCGI_V_BAD_BODY_LENGTH;

	body8(b, rec);
	(void)fcgi_begin_body_decode(&bb, b, sizeof(b));
	role = bb.role;
	if (rec->h.content_length != 8)
		violate(c, at, FCGI_V_BAD_BODY_LENGTH,
			"BEGIN_REQUEST body is %u bytes, expected 8",
			(unsigned)rec->h.content_length);
	r = req_find(c, at->id);
	if (r != NULL && (r->st & (R_ACTIVE | R_GAP)) == (R_ACTIVE | R_GAP)) {
		/* Its END_REQUEST was lost in a gap: it is over. */
		r->st &= ~(unsigned)R_ACTIVE;
		c->active--;
	}
	if (r != NULL && (r->st & R_ACTIVE)) {
		/* FastCGI 1.0, 3.3: an id is in use until END_REQUEST.
		 * No new request starts; an app's caller decides what
		 * becomes of the one that runs. */
		violate(c, at, FCGI_V_DUPLICATE_BEGIN,
			"BEGIN_REQUEST for request %u, which is already "
			"active",
			(unsigned)at->id);
		return stop;
	}
	if (c->opts.limits.max_requests != 0 &&
	    c->active >= c->opts.limits.max_requests) {
		violate(c, at, FCGI_V_TOO_MANY_REQUESTS,
			"BEGIN_REQUEST for request %u while %u requests are "
			"active (limit %u); ignored",
			(unsigned)at->id, c->active,
			c->opts.limits.max_requests);
		return stop;
	}
	if (role < FCGI_RESPONDER || role > FCGI_FILTER)
		violate(c, at, FCGI_V_UNKNOWN_ROLE,
			"BEGIN_REQUEST role %u is not RESPONDER, AUTHORIZER "
			"or FILTER",
			(unsigned)role);
	if (stop != 0)
		return stop;
	if (r != NULL) {
		/* An ended id is reused: start afresh. */
		if (r->st & R_ENDED)
			ended_unlink(c, r);
		req_release_nv(c, r);
		r->st = 0;
		r->stdin_bytes = 0;
		r->content_length = 0;
	} else {
		r = req_new(c, at->id);
		if (r == NULL)
			return FCGI_ENOMEM;
	}
	r->st = R_ACTIVE;
	r->role = role;
	r->flags = bb.flags;
	c->active++;
	c->begins++;
	c->keep = (bb.flags & FCGI_KEEP_CONN) != 0;
	if (at->silent)
		return 0;
	ev_init(&ev, FCGI_EV_BEGIN, at);
	ev.role = role;
	ev.flags = bb.flags;
	return emit(c, &ev);
}

/*
 * The request a to-app stream record or ABORT_REQUEST belongs to, or NULL
 * when the record is to be dropped (reported here, or a quiet race, or
 * *rc set when adopting it failed).  done is the stream's end bit (0 for
 * ABORT_REQUEST).
 */
static struct req *to_app_req(struct fcgi_conn *c, const struct at *at,
			      const struct fcgi_record *rec, unsigned done,
			      int *rc)
{
	struct req *r = req_find(c, at->id);
	const char *name = tname(rec->h.type);

	*rc = 0;
	if (r == NULL && c->gapped)
		return req_adopt(c, at, NULL, rc);
	if (r != NULL && (r->st & R_GAP) &&
	    ((done != 0 && (r->st & done)) || (r->st & R_ENDED)))
		return req_adopt(c, at, r, rc);
	if (r == NULL) {
		violate(c, at, FCGI_V_NO_BEGIN,
			"%s record for request %u, which has no "
			"BEGIN_REQUEST",
			name, (unsigned)at->id);
		return NULL;
	}
	if ((r->st & R_ENDED) == 0 && done != 0 && (r->st & done)) {
		/* FastCGI 1.0, 3.3: the empty record ends the stream. */
		violate(c, at, FCGI_V_STREAM_AFTER_END,
			"%s record for request %u after its %s stream ended",
			name, (unsigned)at->id, name);
		return NULL;
	}
	if (r->st & R_ENDED) {
		/*
		 * The app ended the request while the web server was still
		 * sending it (timeout, CANT_MPX_CONN, OVERLOADED,
		 * UNKNOWN_ROLE, or an ABORT_REQUEST crossing END_REQUEST):
		 * a race, not a fault.  The rest is dropped quietly.
		 */
		if (rec->h.content_length == 0)
			r->st |= done;
		return NULL;
	}
	return r;
}

/* The CONTENT_LENGTH param as a number, when it is one.  RFC 3875,
 * 4.1.2: it is empty (no body) or a decimal number; anything else is
 * reported. */
static void note_content_length(struct fcgi_conn *c, const struct at *at,
				struct req *r, const struct fcgi_params *p)
{
	struct fcgi_nv nv;
	char shown[160];
	uint64_t v = 0;
	size_t i;

	if (!fcgi_params_gets(p, "CONTENT_LENGTH", &nv) || nv.value_len == 0)
		return;
	for (i = 0; i < nv.value_len && i < 19; i++) {
		if (nv.value[i] < '0' || nv.value[i] > '9')
			break;
		v = v * 10 + (uint64_t)(nv.value[i] - '0');
	}
	if (i < nv.value_len) {
		violate(c, at, FCGI_V_CONTENT_LENGTH,
			"CONTENT_LENGTH '%s' of request %u is not a decimal "
			"number",
			excerpt(shown, sizeof(shown), nv.value, nv.value_len),
			(unsigned)at->id);
		return;
	}
	r->content_length = v;
	r->st |= R_HAS_CL;
}

static int on_params(struct fcgi_conn *c, const struct at *at,
		     const struct fcgi_record *rec)
{
	const struct fcgi_limits *l = &c->opts.limits;
	struct fcgi_params set;
	struct fcgi_event ev;
	struct req *r;
	int rc;

	r = to_app_req(c, at, rec, R_PARAMS_DONE, &rc);
	if (r == NULL || rc != 0)
		return rc;
	if (at->silent) {
		/* Our own params: only the end matters. */
		if (rec->h.content_length == 0)
			r->st |= R_PARAMS_DONE;
		return 0;
	}
	if (rec->h.content_length > 0) {
		if (!(r->st & R_NV_OPEN)) {
			fcgi_nv_decoder_init(&r->nv, c->mem,
					     l->params_max_bytes,
					     l->params_max_pairs);
			fcgi_params_init(&r->params, c->mem);
			r->st |= R_NV_OPEN;
		}
		if (r->st & R_NV_FAILED)
			return 0;
		/* FastCGI 1.0, 3.4 lets a pair straddle records; PHP-FPM
		 * parses each record alone and fails. */
		if (fcgi_nv_decoder_finish(&r->nv) != 0 &&
		    !(r->st & R_NV_SPLIT)) {
			r->st |= R_NV_SPLIT;
			violate(c, at, FCGI_V_NV_SPLIT,
				"a name-value pair of request %u is split "
				"across PARAMS records",
				(unsigned)at->id);
		}
		rc = fcgi_nv_decoder_feed(&r->nv, rec->content,
					  rec->h.content_length, &r->params);
		if (rc == FCGI_ELIMIT) {
			r->st |= R_NV_FAILED;
			violate(c, at, FCGI_V_NV_LIMIT,
				"PARAMS of request %u exceed the limits "
				"(%zu bytes, %zu pairs); the rest is ignored",
				(unsigned)at->id, l->params_max_bytes,
				l->params_max_pairs);
		} else if (rc != 0) {
			r->st |= R_NV_FAILED;
			return rc;
		}
		return 0;
	}
	r->st |= R_PARAMS_DONE;
	if ((r->st & (R_NV_OPEN | R_NV_FAILED)) == R_NV_OPEN &&
	    fcgi_nv_decoder_finish(&r->nv) != 0)
		violate(c, at, FCGI_V_NV_TRUNCATED,
			"PARAMS stream of request %u ended inside a "
			"name-value pair",
			(unsigned)at->id);
	/* The set moves out of the request: the callback may end and even
	 * forget the request while it runs. */
	if (r->st & R_NV_OPEN) {
		set = r->params;
		fcgi_nv_decoder_fini(&r->nv);
		r->st &= ~(unsigned)R_NV_OPEN;
		note_content_length(c, at, r, &set);
	} else {
		fcgi_params_init(&set, c->mem);
	}
	ev_init(&ev, FCGI_EV_PARAMS, at);
	ev.params = &set;
	rc = emit(c, &ev);
	fcgi_params_fini(&set);
	return rc;
}

/* Count a STDIN record of r; at the stream's end, compare the length
 * with CONTENT_LENGTH (RFC 3875, 4.1.2). */
static void count_stdin(struct fcgi_conn *c, const struct at *at, struct req *r,
			const struct fcgi_record *rec)
{
	if (rec->h.content_length > 0) {
		r->stdin_bytes += rec->h.content_length;
		return;
	}
	r->st |= R_STDIN_DONE;
	/* After a gap, bytes of it may be lost. */
	if ((r->st & (R_HAS_CL | R_GAP)) == R_HAS_CL &&
	    r->stdin_bytes != r->content_length)
		violate(c, at, FCGI_V_CONTENT_LENGTH,
			"STDIN of request %u is %llu bytes, CONTENT_LENGTH "
			"says %llu",
			(unsigned)at->id, (unsigned long long)r->stdin_bytes,
			(unsigned long long)r->content_length);
}

static int on_stdin_data(struct fcgi_conn *c, const struct at *at,
			 const struct fcgi_record *rec)
{
	int is_stdin = rec->h.type == FCGI_STDIN;
	unsigned done = is_stdin ? R_STDIN_DONE : R_DATA_DONE;
	unsigned before = is_stdin ? R_PARAMS_DONE : R_STDIN_DONE;
	unsigned ooo = is_stdin ? R_OOO_STDIN : R_OOO_DATA;
	struct fcgi_event ev;
	struct req *r;
	int rc;

	/* A body that goes on after the app has answered is a race, but
	 * still tells whether it matched its CONTENT_LENGTH. */
	r = req_find(c, at->id);
	if (is_stdin && r != NULL && (r->st & R_ENDED) &&
	    !(r->st & R_STDIN_DONE)) {
		count_stdin(c, at, r, rec);
		return 0;
	}
	r = to_app_req(c, at, rec, done, &rc);
	if (r == NULL || rc != 0)
		return rc;
	/* FastCGI 1.0, 6.2 and 6.4: PARAMS, then STDIN, then DATA. */
	if (!(r->st & (before | ooo | R_GAP))) {
		r->st |= ooo;
		violate(c, at, FCGI_V_OUT_OF_ORDER,
			"%s record for request %u before its %s stream ended",
			tname(rec->h.type), (unsigned)at->id,
			is_stdin ? "PARAMS" : "STDIN");
	}
	if (is_stdin)
		count_stdin(c, at, r, rec);
	else if (rec->h.content_length == 0)
		r->st |= done;
	if (at->silent)
		return 0;
	ev_init(&ev, is_stdin ? FCGI_EV_STDIN : FCGI_EV_DATA, at);
	ev.data = rec->content;
	ev.len = rec->h.content_length;
	return emit(c, &ev);
}

static int on_abort(struct fcgi_conn *c, const struct at *at,
		    const struct fcgi_record *rec)
{
	struct fcgi_event ev;
	struct req *r;
	int rc;

	/* FastCGI 1.0, 5.4: ABORT_REQUEST has no body; it aborts all the
	 * same. */
	if (rec->h.content_length != 0)
		violate(c, at, FCGI_V_BAD_BODY_LENGTH,
			"ABORT_REQUEST body is %u bytes, expected 0",
			(unsigned)rec->h.content_length);
	r = to_app_req(c, at, rec, 0, &rc);
	if (r == NULL || rc != 0)
		return rc;
	r->st |= R_ABORTED;
	if (at->silent)
		return 0;
	ev_init(&ev, FCGI_EV_ABORT, at);
	return emit(c, &ev);
}

/* The request a to-web record belongs to, or NULL (reported, or *rc set
 * when adopting it failed).  done: the end bit of the record's stream, or
 * 0. */
static struct req *to_web_req(struct fcgi_conn *c, const struct at *at,
			      const struct fcgi_record *rec, unsigned done,
			      int *rc)
{
	struct req *r = req_find(c, at->id);

	*rc = 0;
	if (r == NULL && c->gapped)
		return req_adopt(c, at, NULL, rc);
	if (r != NULL && (r->st & R_GAP) &&
	    ((done != 0 && (r->st & done)) || (r->st & R_ENDED)))
		return req_adopt(c, at, r, rc);
	if (r == NULL) {
		violate(c, at, FCGI_V_NO_BEGIN,
			"%s record for request %u, which has no "
			"BEGIN_REQUEST",
			tname(rec->h.type), (unsigned)at->id);
		return NULL;
	}
	if (r->st & R_ENDED) {
		violate(c, at, FCGI_V_AFTER_END_REQUEST,
			"%s record for request %u after its END_REQUEST",
			tname(rec->h.type), (unsigned)at->id);
		return NULL;
	}
	return r;
}

static int on_stdout_stderr(struct fcgi_conn *c, const struct at *at,
			    const struct fcgi_record *rec)
{
	int is_out = rec->h.type == FCGI_STDOUT;
	unsigned used = is_out ? R_STDOUT_USED : R_STDERR_USED;
	unsigned done = is_out ? R_STDOUT_DONE : R_STDERR_DONE;
	struct fcgi_event ev;
	struct req *r;
	int rc;

	r = to_web_req(c, at, rec, done, &rc);
	if (r == NULL || rc != 0)
		return rc;
	if (r->st & done) {
		violate(c, at, FCGI_V_STREAM_AFTER_END,
			"%s record for request %u after its %s stream ended",
			tname(rec->h.type), (unsigned)at->id,
			tname(rec->h.type));
		return 0;
	}
	r->st |= used;
	if (rec->h.content_length == 0)
		r->st |= done;
	if (at->silent)
		return 0;
	ev_init(&ev, is_out ? FCGI_EV_STDOUT : FCGI_EV_STDERR, at);
	ev.data = rec->content;
	ev.len = rec->h.content_length;
	return emit(c, &ev);
}

static int on_end(struct fcgi_conn *c, const struct at *at,
		  const struct fcgi_record *rec)
{
	struct fcgi_event ev;
	struct fcgi_end_body eb;
	struct req *r;
	uint8_t b[8];
	int rc;

	body8(b, rec);
	(void)fcgi_end_body_decode(&eb, b, sizeof(b));
	/* FastCGI 1.0, 5.5: the body is 8 bytes. */
	if (rec->h.content_length != 8)
		violate(c, at, FCGI_V_BAD_BODY_LENGTH,
			"END_REQUEST body is %u bytes, expected 8",
			(unsigned)rec->h.content_length);
	r = to_web_req(c, at, rec, 0, &rc);
	if (r == NULL || rc != 0)
		return rc;
	if (eb.protocol_status > FCGI_UNKNOWN_ROLE)
		violate(c, at, FCGI_V_BAD_PSTATUS,
			"END_REQUEST protocolStatus %u is not defined "
			"(0..3)",
			(unsigned)eb.protocol_status);
	/* FastCGI 1.0, 3.3 and 5.5: streams end before END_REQUEST.  A
	 * request refused with another protocolStatus may have no STDOUT.
	 * A gap may have taken the ends of the streams. */
	if (!(r->st & (R_STDOUT_DONE | R_GAP)) &&
	    ((r->st & R_STDOUT_USED) ||
	     eb.protocol_status == FCGI_REQUEST_COMPLETE))
		violate(c, at, FCGI_V_END_OPEN_STREAMS,
			"END_REQUEST for request %u before its STDOUT stream "
			"ended",
			(unsigned)at->id);
	else if ((r->st & (R_STDERR_USED | R_STDERR_DONE | R_GAP)) ==
		 R_STDERR_USED)
		violate(c, at, FCGI_V_END_OPEN_STREAMS,
			"END_REQUEST for request %u before its STDERR stream "
			"ended",
			(unsigned)at->id);
	req_end(c, r);
	if (at->silent)
		return 0;
	ev_init(&ev, FCGI_EV_END, at);
	ev.app_status = eb.app_status;
	ev.protocol_status = eb.protocol_status;
	return emit(c, &ev);
}

/* GET_VALUES and GET_VALUES_RESULT: decode the pairs of one record. */
static int on_values(struct fcgi_conn *c, const struct at *at,
		     const struct fcgi_record *rec)
{
	size_t max = c->opts.limits.values_max_bytes;
	int asking = rec->h.type == FCGI_GET_VALUES;
	struct fcgi_nv_decoder nv;
	struct fcgi_params set;
	struct fcgi_event ev;
	struct fcgi_nv p;
	char name[160];
	size_t i;
	int rc;

	if (asking) {
		c->pending_values++;
	} else if (c->pending_values == 0 && !c->gapped) {
		violate(c, at, FCGI_V_UNEXPECTED,
			"GET_VALUES_RESULT without a GET_VALUES to answer");
	} else if (c->pending_values > 0) {
		c->pending_values--;
	}
	if (at->silent)
		return 0;
	fcgi_params_init(&set, c->mem);
	fcgi_nv_decoder_init(&nv, c->mem, max, 0);
	rc = fcgi_nv_decoder_feed(&nv, rec->content, rec->h.content_length,
				  &set);
	if (rc == 0)
		rc = fcgi_nv_decoder_finish(&nv);
	fcgi_nv_decoder_fini(&nv);
	if (rc == FCGI_ENOMEM) {
		fcgi_params_fini(&set);
		return rc;
	}
	if (rc == FCGI_ELIMIT)
		violate(c, at, FCGI_V_NV_LIMIT,
			"%s content exceeds the limit of %zu bytes; the rest "
			"is ignored",
			tname(rec->h.type), max);
	else if (rc != 0)
		violate(c, at, FCGI_V_NV_TRUNCATED,
			"%s record ends inside a name-value pair",
			tname(rec->h.type));
	/* FastCGI 1.0, 4.1: the query carries names with empty values. */
	for (i = 0; asking && i < fcgi_params_count(&set); i++) {
		fcgi_params_at(&set, i, &p);
		if (p.value_len > 0) {
			violate(c, at, FCGI_V_VALUES_NOT_EMPTY,
				"GET_VALUES asks for %s with a %zu-byte value",
				excerpt(name, sizeof(name), p.name, p.name_len),
				p.value_len);
			break;
		}
	}
	/* FastCGI 1.0, 3.3: with a request id it is no management record
	 * (reported by judge()); decoded alike, but an app gets nothing
	 * to answer. */
	if (as_app(c, at) && at->id != FCGI_NULL_REQUEST_ID) {
		fcgi_params_fini(&set);
		return 0;
	}
	ev_init(&ev, asking ? FCGI_EV_GET_VALUES : FCGI_EV_GET_VALUES_RESULT,
		at);
	ev.params = &set;
	rc = emit(c, &ev);
	fcgi_params_fini(&set);
	return rc;
}

static int on_unknown_type(struct fcgi_conn *c, const struct at *at,
			   const struct fcgi_record *rec)
{
	struct fcgi_event ev;
	uint8_t b[8], type;

	body8(b, rec);
	(void)fcgi_unknown_body_decode(&type, b, sizeof(b));
	/* FastCGI 1.0, 4.2: the body is {type, reserved[7]}. */
	if (rec->h.content_length != 8)
		violate(c, at, FCGI_V_BAD_BODY_LENGTH,
			"UNKNOWN_TYPE body is %u bytes, expected 8",
			(unsigned)rec->h.content_length);
	if (c->pending_unknown == 0 && !c->gapped)
		violate(c, at, FCGI_V_UNEXPECTED,
			"UNKNOWN_TYPE for type %u without an unknown "
			"management record to answer",
			(unsigned)type);
	else if (c->pending_unknown > 0)
		c->pending_unknown--;
	if (at->silent)
		return 0;
	ev_init(&ev, FCGI_EV_UNKNOWN_TYPE, at);
	ev.unknown_type = type;
	return emit(c, &ev);
}

/* A record whose type FastCGI 1.0 does not define. */
static int on_undefined(struct fcgi_conn *c, const struct at *at,
			const struct fcgi_record *rec)
{
	struct fcgi_event ev;
	uint8_t body[8];
	size_t from;
	int rc;

	violate(c, at, FCGI_V_UNKNOWN_TYPE,
		"record type %u is not defined by FastCGI 1.0",
		(unsigned)rec->h.type);
	/* FastCGI 1.0, 4.2: an app answers a management record of a type
	 * it does not know with UNKNOWN_TYPE. */
	if (at->dir == FCGI_DIR_TO_APP && at->id == FCGI_NULL_REQUEST_ID) {
		c->pending_unknown++;
		if (!at->silent && c->mode == FCGI_MODE_APP &&
		    c->opts.auto_unknown_type) {
			fcgi_unknown_body_encode(body, rec->h.type);
			from = queue_start(c);
			rc = fcgi_record_encode(&c->out, FCGI_UNKNOWN_TYPE, 0,
						body, sizeof(body));
			if (rc != 0)
				return rc;
			queue_commit(c, from);
		}
	}
	if (at->silent)
		return 0;
	ev_init(&ev, FCGI_EV_UNKNOWN_RECORD, at);
	ev.unknown_type = rec->h.type;
	ev.data = rec->content;
	ev.len = rec->h.content_length;
	return emit(c, &ev);
}

/*
 * Judge one record that travelled in dir: report what is wrong with it,
 * update the request state, and turn it into events.  silent: the record
 * is our own, queued for sending; only the state is updated.  Returns 0,
 * FCGI_ECANCELED (a callback asked to stop), FCGI_EPROTO (in APP mode, a
 * connection error, reported) or FCGI_ENOMEM.  Nothing may
 * touch a struct req after emit(): the callback may end it.
 */
static int judge(struct fcgi_conn *c, enum fcgi_dir dir,
		 const struct fcgi_record *rec, bool silent)
{
	const struct fcgi_header *h = &rec->h;
	size_t total =
		FCGI_HEADER_LEN + (size_t)h->content_length + h->padding_length;
	struct at at;

	at.dir = dir;
	at.offset = rec->offset;
	at.record = rec->number;
	at.id = h->request_id;
	at.silent = silent;
	if (c->cb.on_record != NULL)
		c->cb.on_record(c->arg, dir, rec);
	/* FastCGI 1.0, 3.3: "We recommend that records be placed on
	 * boundaries that are multiples of eight bytes." */
	if (total % 8 != 0)
		violate(c, &at, FCGI_V_UNALIGNED,
			"%s record of %zu bytes (8 + %u content + %u padding) "
			"is not a multiple of 8",
			tname(h->type), total, (unsigned)h->content_length,
			(unsigned)h->padding_length);
	if ((h->type == FCGI_BEGIN_REQUEST || h->type == FCGI_PARAMS) &&
	    (size_t)h->content_length + h->padding_length > FCGI_MAX_CONTENT)
		violate(c, &at, FCGI_V_RECORD_TOO_LARGE,
			"%s record has content %u + padding %u = %zu bytes, "
			"over 65535 (PHP-FPM rejects it)",
			tname(h->type), (unsigned)h->content_length,
			(unsigned)h->padding_length,
			(size_t)h->content_length + h->padding_length);
	if (h->type == 0 || h->type > FCGI_MAXTYPE)
		return on_undefined(c, &at, rec);
	if (type_dir(h->type) != dir) {
		violate(c, &at, FCGI_V_WRONG_DIRECTION,
			"%s record sent toward the %s; ignored", tname(h->type),
			dir == FCGI_DIR_TO_APP ? "app" : "web server");
		return 0;
	}
	if (fcgi_type_is_management(h->type)) {
		/* FastCGI 1.0, 3.3: management records have id 0.  One
		 * with another id is no management record: an app does
		 * not answer it. */
		if (h->request_id != FCGI_NULL_REQUEST_ID)
			violate(c, &at, FCGI_V_MGMT_NONZERO_ID,
				"%s record has request id %u, expected 0",
				tname(h->type), (unsigned)h->request_id);
		if (h->type == FCGI_UNKNOWN_TYPE)
			return on_unknown_type(c, &at, rec);
		return on_values(c, &at, rec);
	}
	if (h->request_id == FCGI_NULL_REQUEST_ID) {
		/* FastCGI 1.0, 3.3: id 0 is the management id.  An app has
		 * no safe way to go on after an application record with it:
		 * a connection error. */
		violate(c, &at, FCGI_V_APP_NULL_ID,
			"%s record has request id 0, which is reserved for "
			"management records",
			tname(h->type));
		if (!as_app(c, &at))
			return 0;
		c->side[at.dir].stop = FCGI_V_APP_NULL_ID;
		return FCGI_EPROTO;
	}
	switch (h->type) {
	case FCGI_BEGIN_REQUEST:
		return on_begin(c, &at, rec);
	case FCGI_ABORT_REQUEST:
		return on_abort(c, &at, rec);
	case FCGI_PARAMS:
		return on_params(c, &at, rec);
	case FCGI_STDIN:
	case FCGI_DATA:
		return on_stdin_data(c, &at, rec);
	case FCGI_STDOUT:
	case FCGI_STDERR:
		return on_stdout_stderr(c, &at, rec);
	default:
		return on_end(c, &at, rec);
	}
}

/* ---- life cycle ----------------------------------------------------- */

void fcgi_conn_opts_default(struct fcgi_conn_opts *o)
{
	memset(o, 0, sizeof(*o));
	fcgi_limits_default(&o->limits);
	o->mem = NULL;
	o->auto_unknown_type = 1;
}

int fcgi_conn_new(struct fcgi_conn **out, enum fcgi_conn_mode mode,
		  const struct fcgi_conn_opts *opts,
		  const struct fcgi_callbacks *cb, void *arg)
{
	struct fcgi_conn_opts def;
	struct fcgi_conn *c;

	if (out == NULL)
		return FCGI_EINVAL;
	*out = NULL;
	if (mode != FCGI_MODE_APP && mode != FCGI_MODE_WEB &&
	    mode != FCGI_MODE_OBSERVER)
		return FCGI_EINVAL;
	if (opts == NULL) {
		fcgi_conn_opts_default(&def);
		opts = &def;
	}
	c = fcgi_mem_malloc(opts->mem, sizeof(*c));
	if (c == NULL)
		return FCGI_ENOMEM;
	memset(c, 0, sizeof(*c));
	TAILQ_INIT(&c->ended);
	c->mode = mode;
	c->opts = *opts;
	c->mem = opts->mem;
	if (cb != NULL)
		c->cb = *cb;
	c->arg = arg;
	fcgi_decoder_init(&c->side[0].dec, c->mem);
	fcgi_decoder_init(&c->side[1].dec, c->mem);
	fcgi_buf_init(&c->out, c->mem, 0);
	*out = c;
	return 0;
}

void fcgi_conn_free(struct fcgi_conn *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nslots; i++) {
		if (c->slots[i] != NULL) {
			req_release_nv(c, c->slots[i]);
			fcgi_mem_free(c->mem, c->slots[i]);
		}
	}
	fcgi_mem_free(c->mem, c->slots);
	fcgi_mem_free(c->mem, c->spare);
	fcgi_decoder_fini(&c->side[0].dec);
	fcgi_decoder_fini(&c->side[1].dec);
	fcgi_buf_fini(&c->out);
	fcgi_mem_free(c->mem, c);
}

/* ---- receiving ------------------------------------------------------ */

ssize_t fcgi_conn_recv(struct fcgi_conn *c, enum fcgi_dir dir,
		       const uint8_t *in, size_t len)
{
	struct side *s;
	struct fcgi_record rec;
	struct at at;
	char msg[128];
	size_t pos = 0, used;
	int rc;

	c->last_consumed = 0;
	if ((unsigned)dir > FCGI_DIR_TO_WEB || (in == NULL && len > 0) ||
	    (c->mode == FCGI_MODE_APP && dir != FCGI_DIR_TO_APP) ||
	    (c->mode == FCGI_MODE_WEB && dir != FCGI_DIR_TO_WEB))
		return FCGI_EINVAL;
	s = &c->side[dir];
	if (c->busy || s->eof)
		return FCGI_ESTATE;
	if (s->stop != FCGI_V_NONE)
		return FCGI_EPROTO;
	c->busy = true;
	while (pos < len) {
		rc = fcgi_decoder_feed(&s->dec, in + pos, len - pos, &used,
				       &rec);
		pos += used;
		c->last_consumed = pos;
		if (rc == 1) {
			rc = judge(c, dir, &rec, false);
			if (rc != 0)
				goto out;
			continue;
		}
		if (rc == 0)
			break;
		if (rc == FCGI_EPROTO) {
			/* FastCGI 1.0, 3.3: version is FCGI_VERSION_1; a
			 * stream without it cannot be framed at all. */
			s->stop = FCGI_V_BAD_VERSION;
			at.dir = dir;
			at.offset = s->dec.rec_offset;
			at.record = s->dec.records + 1;
			at.id = 0;
			at.silent = false;
			violate(c, &at, FCGI_V_BAD_VERSION,
				"%s; the rest of this direction is not decoded",
				fcgi_decoder_error(&s->dec, msg, sizeof(msg)));
		}
		goto out;
	}
	c->busy = false;
	c->last_consumed = len;
	return (ssize_t)len;
out:
	c->busy = false;
	return rc;
}

enum fcgi_vcode fcgi_conn_stopped(const struct fcgi_conn *c, enum fcgi_dir dir)
{
	return (unsigned)dir <= FCGI_DIR_TO_WEB ? c->side[dir].stop
						: FCGI_V_NONE;
}

size_t fcgi_conn_last_consumed(const struct fcgi_conn *c)
{
	return c->last_consumed;
}

int fcgi_conn_gap(struct fcgi_conn *c, enum fcgi_dir dir, uint64_t len)
{
	struct side *s;
	struct req *r;
	size_t i;

	if ((unsigned)dir > FCGI_DIR_TO_WEB || c->mode != FCGI_MODE_OBSERVER)
		return FCGI_EINVAL;
	s = &c->side[dir];
	if (c->busy || s->eof)
		return FCGI_ESTATE;
	fcgi_decoder_skip(&s->dec, len);
	s->stop = FCGI_V_NONE;
	c->gapped = true;
	for (i = 0; i < c->nslots; i++) {
		r = c->slots[i];
		if (r == NULL)
			continue;
		r->st |= R_GAP;
		/* Pairs cannot be read on from an unknown point. */
		if (dir == FCGI_DIR_TO_APP && (r->st & R_ACTIVE) &&
		    !(r->st & R_PARAMS_DONE)) {
			req_release_nv(c, r);
			r->st |= R_NV_FAILED;
		}
	}
	return 0;
}

/* Truncation at the end of a direction, from the decoder's state. */
static void report_truncation(struct fcgi_conn *c, struct side *s,
			      enum fcgi_dir dir)
{
	static const enum fcgi_vcode codes[] = {
		[FCGI_DEC_TRUNC_HEADER] = FCGI_V_TRUNC_HEADER,
		[FCGI_DEC_TRUNC_CONTENT] = FCGI_V_TRUNC_CONTENT,
		[FCGI_DEC_TRUNC_PADDING] = FCGI_V_TRUNC_PADDING,
	};
	const struct fcgi_decoder *d = &s->dec;
	struct at at;
	char msg[128];

	if (s->stop != FCGI_V_NONE || fcgi_decoder_finish(&s->dec) == 0 ||
	    d->state < FCGI_DEC_TRUNC_HEADER ||
	    d->state > FCGI_DEC_TRUNC_PADDING)
		return;
	at.dir = dir;
	at.offset = d->rec_offset;
	at.record = d->records + 1;
	at.silent = false;
	if (d->state != FCGI_DEC_TRUNC_HEADER)
		at.id = d->h.request_id;
	else if (d->hdr_have >= 4)
		at.id = (uint16_t)(d->hdr[2] << 8 | d->hdr[3]);
	else
		at.id = 0;
	violate(c, &at, codes[d->state], "input ended inside a record: %s",
		fcgi_decoder_error(d, msg, sizeof(msg)));
}

int fcgi_conn_eof(struct fcgi_conn *c, enum fcgi_dir dir)
{
	struct fcgi_event ev;
	struct side *s;
	struct at at;
	size_t i;
	unsigned last;
	int next;

	if ((unsigned)dir > FCGI_DIR_TO_WEB)
		return FCGI_EINVAL;
	s = &c->side[dir];
	if (c->busy || s->eof)
		return FCGI_ESTATE;
	s->eof = true;
	/* Our own sending side closed: nothing to judge. */
	if (c->mode != FCGI_MODE_OBSERVER && dir == send_dir(c))
		return 0;
	report_truncation(c, s, dir);
	at.dir = dir;
	at.offset = s->dec.offset;
	at.record = s->dec.records + 1;
	at.silent = false;
	/*
	 * Only the app's side is judged: a web server closes its side to
	 * abort every request on the connection (FastCGI 1.0, 5.4; nginx
	 * never sends ABORT_REQUEST), but an app that closes first leaves
	 * requests unanswered (5.5), and with KEEP_CONN it must not close at
	 * all (5.1).  Once the web server has closed, the app may too.
	 */
	if (dir == FCGI_DIR_TO_WEB && !c->side[FCGI_DIR_TO_APP].eof) {
		/* Open requests in ascending id order. */
		for (last = 0, next = 1; next;) {
			next = 0;
			for (i = 0; i < c->nslots; i++) {
				const struct req *r = c->slots[i];

				if (r != NULL &&
				    (r->st & (R_ACTIVE | R_GAP)) == R_ACTIVE &&
				    r->id >= last && (!next || r->id < at.id)) {
					at.id = r->id;
					next = 1;
				}
			}
			if (next) {
				violate(c, &at, FCGI_V_EOF_MID_REQUEST,
					"connection closed with request %u "
					"still open",
					(unsigned)at.id);
				last = (unsigned)at.id + 1;
			}
		}
		at.id = 0;
		if (c->active == 0 && c->begins > 0 && c->keep)
			violate(c, &at, FCGI_V_CLOSED_KEEP_CONN,
				"the app closed the connection after a "
				"KEEP_CONN request");
	}
	at.id = 0;
	ev_init(&ev, FCGI_EV_CLOSE, &at);
	return emit(c, &ev);
}

/* ---- sending -------------------------------------------------------- */

/* The active request id for a sending call, or NULL. */
static struct req *live_req(struct fcgi_conn *c, uint16_t id)
{
	struct req *r = req_find(c, id);

	return r != NULL && (r->st & R_ACTIVE) ? r : NULL;
}

int fcgi_conn_begin(struct fcgi_conn *c, uint16_t id, uint16_t role,
		    uint8_t flags)
{
	struct fcgi_begin_body b;
	uint8_t body[8];
	size_t from;
	int rc;

	rc = may_send(c, FCGI_MODE_WEB);
	if (rc != 0)
		return rc;
	if (id == FCGI_NULL_REQUEST_ID)
		return FCGI_EINVAL;
	if (live_req(c, id) != NULL)
		return FCGI_ESTATE;
	if (c->opts.limits.max_requests != 0 &&
	    c->active >= c->opts.limits.max_requests)
		return FCGI_ELIMIT;
	/* The entry is allocated now, so that tracking the queued record
	 * cannot fail. */
	if (req_find(c, id) == NULL) {
		rc = table_reserve(c);
		if (rc != 0)
			return rc;
		if (c->spare == NULL) {
			c->spare = fcgi_mem_malloc(c->mem, sizeof(*c->spare));
			if (c->spare == NULL)
				return FCGI_ENOMEM;
		}
	}
	b.role = role;
	b.flags = flags;
	fcgi_begin_body_encode(body, &b);
	from = queue_start(c);
	rc = fcgi_record_encode(&c->out, FCGI_BEGIN_REQUEST, id, body,
				sizeof(body));
	if (rc != 0)
		return rc;
	queue_commit(c, from);
	return 0;
}

/*
 * Cut the encoded pairs enc[0..len) into PARAMS records of at most
 * FCGI_CHUNK_MAX content, only between pairs unless one pair alone is
 * larger (FASTCGI.md: PHP-FPM parses each record alone).
 */
static int put_params(struct fcgi_conn *c, uint16_t id,
		      const struct fcgi_params *p, const uint8_t *enc)
{
	size_t start = 0, pos = 0, i, sz;
	struct fcgi_nv nv;
	int rc;

	for (i = 0; i < fcgi_params_count(p); i++) {
		fcgi_params_at(p, i, &nv);
		sz = fcgi_nv_size(nv.name_len, nv.value_len);
		if (pos - start + sz <= FCGI_CHUNK_MAX) {
			pos += sz;
			continue;
		}
		if (pos > start) {
			rc = put_chunks(c, FCGI_PARAMS, id, enc + start,
					pos - start);
			if (rc != 0)
				return rc;
			start = pos;
		}
		pos += sz;
		while (pos - start > FCGI_CHUNK_MAX) {
			rc = put_chunks(c, FCGI_PARAMS, id, enc + start,
					FCGI_CHUNK_MAX);
			if (rc != 0)
				return rc;
			start += FCGI_CHUNK_MAX;
		}
	}
	if (pos > start) {
		rc = put_chunks(c, FCGI_PARAMS, id, enc + start, pos - start);
		if (rc != 0)
			return rc;
	}
	return fcgi_record_encode(&c->out, FCGI_PARAMS, id, NULL, 0);
}

int fcgi_conn_params(struct fcgi_conn *c, uint16_t id,
		     const struct fcgi_params *p)
{
	struct fcgi_buf enc;
	struct req *r;
	size_t from;
	int rc;

	rc = may_send(c, FCGI_MODE_WEB);
	if (rc != 0)
		return rc;
	r = live_req(c, id);
	if (r == NULL || (r->st & R_PARAMS_DONE))
		return FCGI_ESTATE;
	fcgi_buf_init(&enc, c->mem, 0);
	if (p != NULL) {
		rc = fcgi_params_encode(p, &enc);
		if (rc != 0)
			goto out_free;
	}
	from = queue_start(c);
	rc = p != NULL ? put_params(c, id, p, enc.data)
		       : fcgi_record_encode(&c->out, FCGI_PARAMS, id, NULL, 0);
	if (rc != 0) {
		c->out.len = from; /* all or nothing */
		goto out_free;
	}
	queue_commit(c, from);
out_free:
	fcgi_buf_fini(&enc);
	return rc;
}

int fcgi_conn_stream(struct fcgi_conn *c, uint16_t id, uint8_t type,
		     const void *data, size_t len)
{
	unsigned need = 0, done;
	struct req *r;
	size_t from;
	int rc;

	switch (type) {
	case FCGI_STDIN:
		need = R_PARAMS_DONE;
		done = R_STDIN_DONE;
		rc = may_send(c, FCGI_MODE_WEB);
		break;
	case FCGI_DATA:
		need = R_STDIN_DONE;
		done = R_DATA_DONE;
		rc = may_send(c, FCGI_MODE_WEB);
		break;
	case FCGI_STDOUT:
		done = R_STDOUT_DONE;
		rc = may_send(c, FCGI_MODE_APP);
		break;
	case FCGI_STDERR:
		done = R_STDERR_DONE;
		rc = may_send(c, FCGI_MODE_APP);
		break;
	default:
		return FCGI_EINVAL;
	}
	if (rc != 0)
		return rc;
	if (data == NULL && len > 0)
		return FCGI_EINVAL;
	r = live_req(c, id);
	if (r == NULL || (r->st & need) != need || (r->st & done))
		return FCGI_ESTATE;
	from = queue_start(c);
	rc = len > 0 ? put_chunks(c, type, id, data, len)
		     : fcgi_record_encode(&c->out, type, id, NULL, 0);
	if (rc != 0) {
		c->out.len = from;
		return rc;
	}
	queue_commit(c, from);
	return 0;
}

int fcgi_conn_end(struct fcgi_conn *c, uint16_t id, uint32_t app_status,
		  uint8_t protocol_status)
{
	struct fcgi_end_body b;
	uint8_t body[8];
	struct req *r;
	size_t from;
	int rc;

	rc = may_send(c, FCGI_MODE_APP);
	if (rc != 0)
		return rc;
	r = live_req(c, id);
	if (r == NULL)
		return FCGI_ESTATE;
	from = queue_start(c);
	/* FastCGI 1.0, 5.3: STDOUT always ends; STDERR ends if used. */
	if (!(r->st & R_STDOUT_DONE))
		rc = fcgi_record_encode(&c->out, FCGI_STDOUT, id, NULL, 0);
	if (rc == 0 &&
	    (r->st & (R_STDERR_USED | R_STDERR_DONE)) == R_STDERR_USED)
		rc = fcgi_record_encode(&c->out, FCGI_STDERR, id, NULL, 0);
	if (rc == 0) {
		b.app_status = app_status;
		b.protocol_status = protocol_status;
		fcgi_end_body_encode(body, &b);
		rc = fcgi_record_encode(&c->out, FCGI_END_REQUEST, id, body,
					sizeof(body));
	}
	if (rc != 0) {
		c->out.len = from;
		return rc;
	}
	queue_commit(c, from);
	return 0;
}

int fcgi_conn_timeout_answer(struct fcgi_conn *c, uint16_t id, unsigned status,
			     const char *body)
{
	struct fcgi_timeout_answer a;
	struct req *r;
	size_t from;
	int rc;

	rc = may_send(c, FCGI_MODE_APP);
	if (rc != 0)
		return rc;
	r = live_req(c, id);
	if (r == NULL)
		return FCGI_ESTATE;
	memset(&a, 0, sizeof(a));
	a.request_id = id;
	a.status = status;
	a.body = body;
	a.stdout_started = (r->st & R_STDOUT_USED) != 0;
	a.stdout_ended = (r->st & R_STDOUT_DONE) != 0;
	a.stderr_started = (r->st & R_STDERR_USED) != 0;
	a.stderr_ended = (r->st & R_STDERR_DONE) != 0;
	from = queue_start(c);
	rc = fcgi_timeout_answer(&c->out, &a);
	if (rc != 0)
		return rc;
	queue_commit(c, from);
	return 0;
}

int fcgi_conn_abort(struct fcgi_conn *c, uint16_t id)
{
	struct req *r;
	size_t from;
	int rc;

	rc = may_send(c, FCGI_MODE_WEB);
	if (rc != 0)
		return rc;
	r = live_req(c, id);
	if (r == NULL || (r->st & R_ABORTED))
		return FCGI_ESTATE;
	from = queue_start(c);
	rc = fcgi_record_encode(&c->out, FCGI_ABORT_REQUEST, id, NULL, 0);
	if (rc != 0)
		return rc;
	queue_commit(c, from);
	return 0;
}

/* One management record of pairs (names only when names_only). */
static int put_values(struct fcgi_conn *c, uint8_t type,
		      const struct fcgi_params *p, int names_only)
{
	struct fcgi_buf enc;
	struct fcgi_nv nv;
	size_t i, from;
	int rc = 0;

	fcgi_buf_init(&enc, c->mem, FCGI_CHUNK_MAX);
	for (i = 0; p != NULL && i < fcgi_params_count(p) && rc == 0; i++) {
		fcgi_params_at(p, i, &nv);
		rc = fcgi_nv_encode(&enc, nv.name, nv.name_len, nv.value,
				    names_only ? 0 : nv.value_len);
	}
	if (rc == 0) {
		/* Management records are single records (FastCGI 1.0,
		 * 4.1): at most FCGI_CHUNK_MAX, which the buffer's max
		 * enforced with FCGI_ELIMIT. */
		from = queue_start(c);
		rc = fcgi_record_encode(&c->out, type, 0, enc.data, enc.len);
		if (rc == 0)
			queue_commit(c, from);
	}
	fcgi_buf_fini(&enc);
	return rc;
}

int fcgi_conn_get_values(struct fcgi_conn *c, const struct fcgi_params *names)
{
	int rc = may_send(c, FCGI_MODE_WEB);

	return rc != 0 ? rc : put_values(c, FCGI_GET_VALUES, names, 1);
}

int fcgi_conn_values_result(struct fcgi_conn *c,
			    const struct fcgi_params *values)
{
	int rc = may_send(c, FCGI_MODE_APP);

	return rc != 0 ? rc : put_values(c, FCGI_GET_VALUES_RESULT, values, 0);
}

int fcgi_conn_send_raw(struct fcgi_conn *c, const void *bytes, size_t len)
{
	size_t from;
	int rc;

	if (c->mode == FCGI_MODE_OBSERVER || c->self_busy)
		return FCGI_ESTATE;
	if (bytes == NULL && len > 0)
		return FCGI_EINVAL;
	/* Raw bytes may leave a partial record in the sending side's
	 * decoder; its content buffer is reserved whole now so that
	 * tracking never runs out of memory half-way. */
	if (!c->raw_reserved) {
		rc = fcgi_buf_reserve(&c->side[send_dir(c)].dec.content,
				      FCGI_MAX_CONTENT);
		if (rc != 0)
			return rc;
		c->raw_reserved = true;
	}
	from = queue_start(c);
	rc = fcgi_buf_append(&c->out, bytes, len);
	if (rc != 0)
		return rc;
	queue_commit(c, from);
	return 0;
}

size_t fcgi_conn_send(struct fcgi_conn *c, const uint8_t **out)
{
	static const uint8_t none[1];
	size_t n = c->out.len - c->out_off;

	*out = n > 0 ? c->out.data + c->out_off : none;
	return n;
}

void fcgi_conn_sent(struct fcgi_conn *c, size_t n)
{
	size_t left = c->out.len - c->out_off;

	c->out_off += n < left ? n : left;
	if (c->out_off == c->out.len) {
		c->out.len = 0;
		c->out_off = 0;
	}
}

/* ---- queries -------------------------------------------------------- */

enum fcgi_conn_mode fcgi_conn_mode(const struct fcgi_conn *c)
{
	return c->mode;
}

unsigned fcgi_conn_active(const struct fcgi_conn *c)
{
	return c->active;
}

bool fcgi_conn_is_active(const struct fcgi_conn *c, uint16_t id)
{
	const struct req *r = req_find(c, id);

	return r != NULL && (r->st & R_ACTIVE) != 0;
}

bool fcgi_conn_content_length(const struct fcgi_conn *c, uint16_t id,
			      uint64_t *n)
{
	const struct req *r = req_find(c, id);

	if (r == NULL || !(r->st & R_HAS_CL))
		return false;
	*n = r->content_length;
	return true;
}

bool fcgi_conn_keep(const struct fcgi_conn *c)
{
	return c->keep;
}

uint64_t fcgi_conn_offset(const struct fcgi_conn *c, enum fcgi_dir dir)
{
	return (unsigned)dir <= FCGI_DIR_TO_WEB ? c->side[dir].dec.offset : 0;
}

size_t fcgi_conn_violation_count(const struct fcgi_conn *c)
{
	return c->violations;
}
