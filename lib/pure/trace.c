/* SPDX-License-Identifier: MIT */
/*
 * trace.c - the one printer of records, violations and notes, as aligned
 * text or as JSON lines (fcgitool-trace(5) documents both).
 *
 * JSON lines are written with the one JSON writer (json.c) through
 * fcgi_render_obj_begin/end, like every other --json line of the project,
 * so that there is one schema.  Record contents are described with the
 * codec's decoders (fcgi_begin_body_decode, fcgi_nv_decoder_*, cur_nvlen);
 * this file parses nothing of its own.
 *
 * FastCGI 1.0, 3.4 lets a name-value pair straddle records, so a pair that
 * a record's end leaves open is kept, per (label, dir, request id, type),
 * in a hash table that grows with them, until the record that completes
 * it, the end of its stream, a BEGIN_REQUEST of its request or
 * fcgi_render_forget() of its label.  Each label keeps at most open_max,
 * by default as many as a conn allows requests at once.
 */
#include <fenv.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "cursor.h"
#include "internal.h"

#define DEFAULT_BODY_LIMIT 64
#define TYPE_WIDTH 18	  /* "GET_VALUES_RESULT" plus one */
#define FIELDS_WIDTH 14	  /* "id=1 len=65535" */
#define ESC_CHUNK 256	  /* input bytes escaped per step in text mode */
#define NV_BUCKETS_MIN 16 /* first size of the open pairs' hash table */
#define TS_FAST_MAX 1e15  /* below: seconds exact in a uint64_t, ulp <= 1/8 */
#define TS_TEXT_MAX 512	  /* "%.6f " of any double, with room to spare */
#define TEXT_INITIAL 4096 /* first size of the event buffer */

#define COLOR_TO_APP "\033[36m"
#define COLOR_TO_WEB "\033[32m"
#define COLOR_VIOLATION "\033[31m"
#define COLOR_RESET "\033[0m"

static const char *const redact_default[] = {
	"HTTP_AUTHORIZATION",
	"HTTP_COOKIE",
	NULL,
};

/*
 * A name-value pair that a record's end left open, kept until the record
 * that completes it.  A pair up to pair_limit bytes is gathered by a
 * decoder fed from the pair's first byte, so that the decoder's byte
 * limit applies to this pair alone; a larger one ("huge") keeps only its
 * lengths and the first body_limit bytes of its name and of its value.
 */
struct nv_open {
	LIST_ENTRY(nv_open) bucket; /* in the renderer's hash table */
	TAILQ_ENTRY(nv_open) lru;   /* in its label's list */
	struct nv_label *label;
	enum fcgi_dir dir;
	uint16_t id;
	uint8_t type;
	uint64_t seen; /* encoded bytes of the pair so far */
	struct fcgi_nv_decoder d;
	bool huge;
	uint32_t name_len, value_len;
	uint64_t data_have;	      /* name and value bytes passed */
	size_t keep_name, keep_value; /* bytes of each in keep */
	struct fcgi_buf keep;
};

/* The open pairs of one connection label, the most recently fed first;
 * it exists while it has any. */
struct nv_label {
	LIST_ENTRY(nv_label) link;
	TAILQ_HEAD(nv_lru, nv_open) open;
	size_t n;
	bool unnamed; /* the NULL label */
	char name[];
};

LIST_HEAD(nv_bucket, nv_open);

struct fcgi_render {
	struct fcgi_sink sink;
	const struct fcgi_mem *mem;
	struct fcgi_render_opts o;
	/* Reused for every record, so that describing a PARAMS record costs
	 * no allocation once the buffers have grown. */
	struct fcgi_params params;
	struct fcgi_nv_decoder nv;
	/* Pairs left open by a record's end, found by (label, dir, id,
	 * type) in a hash table that grows with them. */
	LIST_HEAD(, nv_label) labels;
	struct nv_bucket *buckets;
	size_t nbuckets; /* a power of two, or 0 */
	size_t nopen;
	/* Text of the event being rendered, handed to the sink with one
	 * write at the event's end, so that an event is never interleaved
	 * with another writer's bytes.  oom: a byte did not fit. */
	struct fcgi_buf text;
	bool oom;
	struct fcgi_json json; /* the object of fcgi_render_obj_begin */
};

/* What the codec made of a name-value record's content. */
struct nv_view {
	size_t pairs;	     /* pairs completed in this record */
	size_t partial;	     /* bytes of a pair left open at the record's end */
	uint64_t unfinished; /* an empty record ended a pair this long */
	bool continued;	     /* pair 0 began in an earlier record */
	bool capped;	     /* pair 0 was too large to keep whole: */
	uint32_t name_len, value_len; /* its real lengths */
	int err; /* FCGI_ENOMEM (or another decoder code), or 0 */
};

const char *const *fcgi_render_redact_default(void)
{
	return redact_default;
}

void fcgi_render_opts_default(struct fcgi_render_opts *o)
{
	struct fcgi_limits l;

	o->json = false;
	o->color = false;
	o->body_limit = DEFAULT_BODY_LIMIT;
	o->only_types = 0;
	o->redact = redact_default;
	o->show_params = true;
	fcgi_limits_default(&l);
	o->pair_limit = l.params_max_bytes;
	o->open_max = l.max_requests;
	o->show_severity = 0;
	o->mem = NULL;
}

int fcgi_render_new(struct fcgi_render **out, const struct fcgi_sink *sink,
		    const struct fcgi_render_opts *opts)
{
	const struct fcgi_mem *mem = opts != NULL ? opts->mem : NULL;
	struct fcgi_limits l;
	struct fcgi_render *r;

	*out = NULL;
	if (sink == NULL || sink->write == NULL)
		return FCGI_EINVAL;
	r = fcgi_mem_malloc(mem, sizeof(*r));
	if (r == NULL)
		return FCGI_ENOMEM;
	memset(r, 0, sizeof(*r));
	r->sink = *sink;
	r->mem = mem;
	if (opts != NULL)
		r->o = *opts;
	else
		fcgi_render_opts_default(&r->o);
	if (r->o.body_limit == 0)
		r->o.body_limit = DEFAULT_BODY_LIMIT;
	fcgi_limits_default(&l);
	if (r->o.pair_limit == 0)
		r->o.pair_limit = l.params_max_bytes;
	if (r->o.open_max == 0)
		r->o.open_max = l.max_requests;
	LIST_INIT(&r->labels);
	fcgi_params_init(&r->params, mem);
	/* One record holds at most 65535 bytes, so no limit is needed: a
	 * declared length beyond the content is a pair cut at the end. */
	fcgi_nv_decoder_init(&r->nv, mem, 0, 0);
	fcgi_buf_init(&r->text, mem, 0);
	if (fcgi_buf_reserve(&r->text, TEXT_INITIAL) < 0) {
		fcgi_render_free(r);
		return FCGI_ENOMEM;
	}
	*out = r;
	return 0;
}

static void label_forget(struct fcgi_render *r, struct nv_label *l);

void fcgi_render_free(struct fcgi_render *r)
{
	if (r == NULL)
		return;
	while (!LIST_EMPTY(&r->labels))
		label_forget(r, LIST_FIRST(&r->labels));
	fcgi_mem_free(r->mem, r->buckets);
	fcgi_params_fini(&r->params);
	fcgi_nv_decoder_fini(&r->nv);
	fcgi_buf_fini(&r->text);
	fcgi_mem_free(r->mem, r);
}

/* ---- byte helpers -------------------------------------------------- */

/* Whether fcgi_escape passes byte c through as it is. */
static bool esc_plain(uint8_t c)
{
	return c >= 0x20 && c < 0x7f && c != '\\' && c != '"';
}

/* The length of the run at the start of in[0..len) that fcgi_escape
 * passes through as it is, eight bytes at a time. */
static inline size_t esc_run(const uint8_t *in, size_t len)
{
	size_t i = 0;
	uint64_t x;

	for (; len - i >= 8; i += 8) {
		memcpy(&x, in + i, 8);
		if ((fcgi_word_below(x, 0x20) | (x & FCGI_HIGHS) |
		     fcgi_word_has(x, 0x7f) | fcgi_word_has(x, '"') |
		     fcgi_word_has(x, '\\')) != 0)
			break;
	}
	while (i < len && esc_plain(in[i]))
		i++;
	return i;
}

size_t fcgi_escape(char *out, size_t n, const uint8_t *in, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	char e[4];
	size_t elen;

	if (out == NULL || n == 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = in[i];
		size_t run;

		/* A run that passes as it is goes in one copy, as far as it
		 * fits with the NUL. */
		if (esc_plain(c)) {
			run = esc_run(in + i, len - i);
			if (run > n - 1 - o)
				run = n - 1 - o;
			memcpy(out + o, in + i, run);
			o += run;
			i += run;
			if (o == n - 1 || i == len)
				break;
			c = in[i];
		}
		switch (c) {
		case '\r':
			e[0] = '\\', e[1] = 'r', elen = 2;
			break;
		case '\n':
			e[0] = '\\', e[1] = 'n', elen = 2;
			break;
		case '\t':
			e[0] = '\\', e[1] = 't', elen = 2;
			break;
		case '\\':
		case '"':
			e[0] = '\\', e[1] = (char)c, elen = 2;
			break;
		default:
			if (c >= 0x20 && c < 0x7f) {
				e[0] = (char)c, elen = 1;
			} else {
				e[0] = '\\', e[1] = 'x';
				e[2] = hex[c >> 4], e[3] = hex[c & 15];
				elen = 4;
			}
			break;
		}
		/* Never split an escape; keep room for the NUL. */
		if (elen >= n - o)
			break;
		memcpy(out + o, e, elen);
		o += elen;
	}
	out[o] = '\0';
	return o;
}

/* ---- text output --------------------------------------------------- */

static void t_flush(struct fcgi_render *r)
{
	static const char oom_line[] = "!! out of memory: event not shown\n";

	if (r->oom)
		r->sink.write(r->sink.ctx, oom_line, sizeof(oom_line) - 1);
	else if (r->text.len > 0)
		r->sink.write(r->sink.ctx, r->text.data, r->text.len);
	fcgi_buf_reset(&r->text);
	r->oom = false;
}

static void t_put(struct fcgi_render *r, const void *p, size_t n)
{
	/* Most pieces fit in what the buffer has. */
	if (n <= r->text.cap - r->text.len) {
		if (n > 0)
			memcpy(r->text.data + r->text.len, p, n);
		r->text.len += n;
		return;
	}
	if (fcgi_buf_append(&r->text, p, n) < 0)
		r->oom = true;
}

/* The decimal digits of v. */
static void t_dec(struct fcgi_render *r, uint64_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	t_put(r, p, (size_t)(tmp + sizeof(tmp) - p));
}

/* " ... (+N bytes)": the bytes of a field not shown. */
static void t_more(struct fcgi_render *r, uint64_t n)
{
	t_put(r, " ... (+", 7);
	t_dec(r, n);
	t_put(r, " bytes)", 7);
}

static void t_puts(struct fcgi_render *r, const char *s)
{
	t_put(r, s, strlen(s));
}

static void t_putc(struct fcgi_render *r, char c)
{
	if (r->text.len < r->text.cap)
		r->text.data[r->text.len++] = (uint8_t)c;
	else
		t_put(r, &c, 1);
}

static void t_printf(struct fcgi_render *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void t_printf(struct fcgi_render *r, const char *fmt, ...)
{
	va_list ap;
	size_t room = r->text.cap - r->text.len;
	int n;

	va_start(ap, fmt);
	n = vsnprintf((char *)r->text.data + r->text.len, room, fmt, ap);
	va_end(ap);
	if (n < 0) {
		r->oom = true;
		return;
	}
	if ((size_t)n < room) {
		r->text.len += (size_t)n;
		return;
	}
	if (fcgi_buf_reserve(&r->text, (size_t)n + 1) < 0) {
		r->oom = true;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf((char *)r->text.data + r->text.len,
		      r->text.cap - r->text.len, fmt, ap);
	va_end(ap);
	if (n > 0)
		r->text.len += (size_t)n;
}

/* Write in[0..len) escaped, as fcgi_escape would: runs of bytes that
 * need no escape go out with one append each, the others a chunk at a
 * time through a stack buffer. */
static void put_escaped(struct fcgi_render *r, const uint8_t *in, size_t len)
{
	char tmp[ESC_CHUNK * 4 + 1];
	size_t i, k;

	while (len > 0) {
		i = esc_run(in, len);
		if (i > 0) {
			t_put(r, in, i);
			in += i;
			len -= i;
		}
		for (i = 0; i < len && i < ESC_CHUNK && !esc_plain(in[i]); i++)
			;
		if (i > 0) {
			k = fcgi_escape(tmp, sizeof(tmp), in, i);
			t_put(r, tmp, k);
			in += i;
			len -= i;
		}
	}
}

/* Write a caller's string (label, message, detail) with control bytes
 * escaped, so that one event stays on one line; other bytes as they are,
 * a run of them with one fwrite.  Returns the bytes written. */
static size_t put_line_safe(struct fcgi_render *r, const char *s)
{
	const uint8_t *p = (const uint8_t *)s, *q;
	size_t w = 0;
	char e[5];

	for (;;) {
		/* NUL is below 0x20: the run stops at the end too. */
		for (q = p; *q >= 0x20 && *q != 0x7f; q++)
			;
		if (q > p) {
			t_put(r, p, (size_t)(q - p));
			w += (size_t)(q - p);
		}
		if (*q == '\0')
			return w;
		w += fcgi_escape(e, sizeof(e), q, 1);
		t_puts(r, e);
		p = q + 1;
	}
}

/* Decimal digits of v at the end of out[0..n); returns where they start. */
static char *put_dec(char *out, size_t n, uint64_t v)
{
	char *p = out + n;

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	return p;
}

/*
 * Below TS_FAST_MAX, with at most 6 places, the fraction is rounded by
 * hand, the way printf rounds: the decimal nearest to the double's exact
 * value, an exact tie to even.  v - sec is exact, and fma gives the
 * rounding error of frac * 10^places, so that y + err is that product
 * exactly and its distance from the next half unit is judged without
 * error.  Everything else (negative numbers, -0, huge values, a rounding
 * mode other than to nearest) goes to snprintf.
 */
size_t fcgi_fmt_fixed(char *out, size_t n, double v, unsigned places)
{
	static const double scale[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6 };
	char digits[24], *p;
	uint64_t sec, units, one;
	double frac, y, err, whole, d;
	bool odd;
	size_t k;
	int w;

	if (out == NULL || n == 0)
		return 0;
	if (!(v >= 0 && v < TS_FAST_MAX) || signbit(v) || places > 6 ||
	    fegetround() != FE_TONEAREST || n < sizeof(digits) + 8) {
		w = snprintf(out, n, "%.*f", (int)places, v);
		if (w < 0) {
			out[0] = '\0';
			return 0;
		}
		return (size_t)w < n ? (size_t)w : n - 1;
	}
	sec = (uint64_t)v;
	frac = v - (double)sec;
	y = frac * scale[places];
	err = fma(frac, scale[places], -y);
	whole = floor(y);
	d = y - whole;
	units = (uint64_t)whole;
	one = (uint64_t)scale[places];
	/* y and whole are multiples of y's ulp, and so is 0.5 (y is below
	 * 2^20): d is 0.5 exactly or at least an ulp away from it, which
	 * err (at most half an ulp) cannot cross. */
	/* A tie goes to an even last digit: the integer's without places. */
	odd = ((places > 0 ? units : sec) & 1) != 0;
	if (d > 0.5 || (d == 0.5 && (err > 0 || (err == 0 && odd))))
		units++;
	if (units >= one) {
		units -= one;
		sec++;
	}
	p = put_dec(digits, sizeof(digits), sec);
	k = (size_t)(digits + sizeof(digits) - p);
	memcpy(out, p, k);
	if (places > 0) {
		out[k++] = '.';
		for (size_t i = places; i-- > 0;) {
			out[k + i] = (char)('0' + units % 10);
			units /= 10;
		}
		k += places;
	}
	out[k] = '\0';
	return k;
}

/* "ts " exactly as printf's "%.6f " writes it, into out[0..n) with n of
 * TS_TEXT_MAX; returns the length. */
static size_t ts_format(char *out, size_t n, double ts)
{
	size_t k = fcgi_fmt_fixed(out, n - 1, ts, 6);

	out[k++] = ' ';
	out[k] = '\0';
	return k;
}

/* Whether ts is to be shown: not negative, and a finite number. */
static bool has_ts(double ts)
{
	return ts >= 0 && isfinite(ts);
}

static bool type_shown(const struct fcgi_render *r, unsigned type)
{
	if (r->o.only_types == 0)
		return true;
	return type < 32 && (r->o.only_types & (1u << type)) != 0;
}

static bool is_stream(unsigned type)
{
	return type == FCGI_STDIN || type == FCGI_STDOUT ||
	       type == FCGI_STDERR || type == FCGI_DATA;
}

static bool is_nv(unsigned type)
{
	return type == FCGI_PARAMS || type == FCGI_GET_VALUES ||
	       type == FCGI_GET_VALUES_RESULT;
}

static bool is_fixed(unsigned type)
{
	return type == FCGI_BEGIN_REQUEST || type == FCGI_END_REQUEST ||
	       type == FCGI_UNKNOWN_TYPE;
}

/*
 * Whether the value of a pair named nv->name is to be masked.  full_len is
 * the real length of the name, of which nv holds the first bytes when the
 * pair was too large to keep: such a name is masked when it may be a
 * masked one, as its bytes not kept cannot be compared.
 */
static bool redacted(const struct fcgi_render *r, const struct fcgi_nv *nv,
		     size_t full_len)
{
	if (r->o.redact == NULL)
		return false;
	for (const char *const *p = r->o.redact; *p != NULL; p++) {
		size_t l = strlen(*p);

		if (l == full_len && nv->name_len <= l &&
		    memcmp(*p, nv->name, nv->name_len) == 0)
			return true;
	}
	return false;
}

/* ---- name-value pairs across records -------------------------------- */

/* Whether both lengths of a pair (FastCGI 1.0, 3.4) are whole in p[0..n),
 * with *hdr their size; false if more bytes are needed. */
static bool pair_lengths(const uint8_t *p, size_t n, uint32_t *nlen,
			 uint32_t *vlen, size_t *hdr)
{
	struct fcgi_cursor c;

	cur_init(&c, p, n);
	if (cur_nvlen(&c, nlen) != 0 || cur_nvlen(&c, vlen) != 0)
		return false;
	*hdr = n - cur_left(&c);
	return true;
}

/* The label's entry, moved to the front of the list, or NULL. */
static struct nv_label *label_find(struct fcgi_render *r, const char *name)
{
	struct nv_label *l;

	LIST_FOREACH(l, &r->labels, link)
	{
		if (name == NULL ? l->unnamed
				 : !l->unnamed && strcmp(l->name, name) == 0)
			break;
	}
	if (l != NULL && l != LIST_FIRST(&r->labels)) {
		LIST_REMOVE(l, link);
		LIST_INSERT_HEAD(&r->labels, l, link);
	}
	return l;
}

static size_t open_slot(const struct fcgi_render *r, const struct nv_label *l,
			enum fcgi_dir dir, uint16_t id, uint8_t type)
{
	uint64_t k = (uint64_t)(uintptr_t)l ^
		     ((uint64_t)id << 16 | (uint64_t)type << 8 | (uint64_t)dir);

	k *= 0x9e3779b97f4a7c15u;
	return (size_t)(k >> 32) & (r->nbuckets - 1);
}

static struct nv_open *open_find(struct fcgi_render *r, const char *label,
				 enum fcgi_dir dir, uint16_t id, uint8_t type)
{
	struct nv_label *l;
	struct nv_open *e;

	if (r->nopen == 0 || (l = label_find(r, label)) == NULL)
		return NULL;
	LIST_FOREACH(e, &r->buckets[open_slot(r, l, dir, id, type)], bucket)
	{
		if (e->label == l && e->dir == dir && e->id == id &&
		    e->type == type)
			return e;
	}
	return NULL;
}

/* Fed again: the most recently fed of its label. */
static void open_touch(struct nv_open *e)
{
	TAILQ_REMOVE(&e->label->open, e, lru);
	TAILQ_INSERT_HEAD(&e->label->open, e, lru);
}

static void open_drop(struct fcgi_render *r, struct nv_open *e)
{
	struct nv_label *l = e->label;

	LIST_REMOVE(e, bucket);
	TAILQ_REMOVE(&l->open, e, lru);
	fcgi_nv_decoder_fini(&e->d);
	fcgi_buf_fini(&e->keep);
	fcgi_mem_free(r->mem, e);
	r->nopen--;
	if (--l->n == 0) {
		LIST_REMOVE(l, link);
		fcgi_mem_free(r->mem, l);
	}
}

/* Drop every open pair of a label, and so the label. */
static void label_forget(struct fcgi_render *r, struct nv_label *l)
{
	bool last;

	do {
		last = l->n == 1;
		open_drop(r, TAILQ_FIRST(&l->open));
	} while (!last);
}

void fcgi_render_forget(struct fcgi_render *r, const char *conn_label)
{
	struct nv_label *l;

	if (r != NULL && r->nopen > 0 &&
	    (l = label_find(r, conn_label)) != NULL)
		label_forget(r, l);
}

/* Forget the open pairs of one request: a BEGIN_REQUEST starts its
 * streams afresh. */
static void open_forget_request(struct fcgi_render *r, const char *label,
				enum fcgi_dir dir, uint16_t id)
{
	static const uint8_t types[] = { FCGI_PARAMS, FCGI_GET_VALUES,
					 FCGI_GET_VALUES_RESULT };
	struct nv_open *e;

	for (size_t i = 0; i < sizeof(types); i++) {
		e = open_find(r, label, dir, id, types[i]);
		if (e != NULL)
			open_drop(r, e);
	}
}

/* Double the hash table when it holds as many pairs as buckets.  When
 * memory runs out the table stays as it is: slower, still right. */
static void open_grow(struct fcgi_render *r)
{
	size_t n = r->nbuckets != 0 ? r->nbuckets * 2 : NV_BUCKETS_MIN;
	struct nv_bucket *old = r->buckets, *nb;
	size_t oldn = r->nbuckets;
	struct nv_open *e;

	if (r->nopen < r->nbuckets || n > SIZE_MAX / sizeof(*nb))
		return;
	nb = fcgi_mem_malloc(r->mem, n * sizeof(*nb));
	if (nb == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		LIST_INIT(&nb[i]);
	r->buckets = nb;
	r->nbuckets = n;
	for (size_t i = 0; i < oldn; i++) {
		while ((e = LIST_FIRST(&old[i])) != NULL) {
			LIST_REMOVE(e, bucket);
			LIST_INSERT_HEAD(&nb[open_slot(r, e->label, e->dir,
						       e->id, e->type)],
					 e, bucket);
		}
	}
	fcgi_mem_free(r->mem, old);
}

/*
 * A new entry, the most recently fed of its label; when the label then
 * has more than open_max, its least recently fed one is forgotten.  NULL
 * when memory runs out.
 */
static struct nv_open *open_add(struct fcgi_render *r, const char *label,
				enum fcgi_dir dir, uint16_t id, uint8_t type)
{
	struct nv_label *l = label_find(r, label);
	struct nv_open *e;
	size_t len;

	open_grow(r);
	if (r->nbuckets == 0)
		return NULL;
	if (l == NULL) {
		len = label != NULL ? strlen(label) + 1 : 1;
		l = fcgi_mem_malloc(r->mem, sizeof(*l) + len);
		if (l == NULL)
			return NULL;
		TAILQ_INIT(&l->open);
		l->n = 0;
		l->unnamed = label == NULL;
		memcpy(l->name, label != NULL ? label : "", len);
		LIST_INSERT_HEAD(&r->labels, l, link);
	}
	e = fcgi_mem_malloc(r->mem, sizeof(*e));
	if (e == NULL) {
		if (l->n == 0) {
			LIST_REMOVE(l, link);
			fcgi_mem_free(r->mem, l);
		}
		return NULL;
	}
	memset(e, 0, sizeof(*e));
	e->label = l;
	e->dir = dir;
	e->id = id;
	e->type = type;
	fcgi_nv_decoder_init(&e->d, r->mem, r->o.pair_limit, 0);
	fcgi_buf_init(&e->keep, r->mem, 0);
	LIST_INSERT_HEAD(&r->buckets[open_slot(r, l, dir, id, type)], e,
			 bucket);
	TAILQ_INSERT_HEAD(&l->open, e, lru);
	l->n++;
	r->nopen++;
	if (l->n > r->o.open_max)
		open_drop(r, TAILQ_LAST(&l->open, nv_lru));
	return e;
}

/* The pair's lengths are known and it is too large to keep: from now on
 * count its bytes, keeping the first body_limit of name and value. */
static void huge_start(struct nv_open *e, uint32_t nlen, uint32_t vlen)
{
	fcgi_nv_decoder_fini(&e->d);
	e->huge = true;
	e->name_len = nlen;
	e->value_len = vlen;
	e->data_have = 0;
}

/* Where an open pair stands after it was fed (negative: an FCGI_E* code). */
enum pair_state {
	PAIR_OPEN = 0, /* its bytes ran out first */
	PAIR_DONE = 1  /* complete: the last of r->params */
};

/* Pass name and value bytes of a huge pair; *used says how many of in
 * belonged to it.  Returns PAIR_DONE (the pair was added to r->params
 * with the bytes kept), PAIR_OPEN or FCGI_ENOMEM. */
static int huge_feed(struct fcgi_render *r, struct nv_open *e,
		     const uint8_t *in, size_t len, size_t *used)
{
	uint64_t total = (uint64_t)e->name_len + e->value_len;
	uint64_t left = total - e->data_have;
	/* Never more than pair_limit, whatever body_limit says. */
	size_t lim = r->o.body_limit < r->o.pair_limit ? r->o.body_limit
						       : r->o.pair_limit;
	size_t n = left < len ? (size_t)left : len;
	size_t i = 0, k;
	const uint8_t *kept;
	int rc;

	if (e->data_have < e->name_len) {
		uint64_t nleft = e->name_len - e->data_have;

		i = nleft < n ? (size_t)nleft : n;
		k = e->keep_name < lim ? lim - e->keep_name : 0;
		k = k < i ? k : i;
		if (fcgi_buf_append(&e->keep, in, k) != 0)
			return FCGI_ENOMEM;
		e->keep_name += k;
	}
	k = e->keep_value < lim ? lim - e->keep_value : 0;
	k = k < n - i ? k : n - i;
	if (fcgi_buf_append(&e->keep, in + i, k) != 0)
		return FCGI_ENOMEM;
	e->keep_value += k;
	e->data_have += n;
	e->seen += n;
	*used = n;
	if (e->data_have < total)
		return PAIR_OPEN;
	kept = e->keep.data;
	rc = fcgi_params_add(&r->params, kept, e->keep_name,
			     kept != NULL ? kept + e->keep_name : NULL,
			     e->keep_value);
	return rc < 0 ? rc : PAIR_DONE;
}

/*
 * Feed an entry the bytes of its pair from in[*pos..len), and no further:
 * the bytes after the pair are the next pairs' and are decoded afresh.
 * Returns PAIR_DONE, PAIR_OPEN or a negative code.
 */
static int open_continue(struct fcgi_render *r, struct nv_open *e,
			 const uint8_t *in, size_t len, size_t *pos)
{
	uint32_t nlen, vlen;
	size_t hdr, n, pairs;
	int rc;

	for (;;) {
		if (e->huge) {
			rc = huge_feed(r, e, in + *pos, len - *pos, &n);
			*pos += n;
			return rc;
		}
		if (*pos == len)
			return PAIR_OPEN;
		/* Until both lengths are whole, a byte at a time, so that
		 * the decoder never runs into the next pair. */
		if (!pair_lengths(e->d.lenbuf, e->d.lenbuf_have, &nlen, &vlen,
				  &hdr))
			n = 1;
		else
			n = (size_t)e->d.name_len + e->d.value_len - e->d.have;
		if (n > len - *pos)
			n = len - *pos;
		pairs = e->d.pairs;
		rc = fcgi_nv_decoder_feed(&e->d, in + *pos, n, &r->params);
		if (rc == FCGI_ELIMIT &&
		    pair_lengths(e->d.lenbuf, e->d.lenbuf_have, &nlen, &vlen,
				 &hdr)) {
			*pos += n;
			e->seen += n;
			huge_start(e, nlen, vlen);
			continue;
		}
		if (rc != 0)
			return rc;
		*pos += n;
		e->seen += n;
		if (e->d.pairs != pairs)
			return PAIR_DONE;
	}
}

/* Start an entry with the open pair's bytes, in[0..len).  0 or a negative
 * code. */
static int open_start(struct fcgi_render *r, struct nv_open *e,
		      const uint8_t *in, size_t len)
{
	uint32_t nlen, vlen;
	size_t hdr, used;
	int rc;

	rc = fcgi_nv_decoder_feed(&e->d, in, len, &r->params);
	e->seen = len;
	if (rc != FCGI_ELIMIT)
		return rc;
	/* The lengths are whole (the limit is judged on them) and were
	 * taken straight from in. */
	if (!pair_lengths(in, len, &nlen, &vlen, &hdr))
		return rc;
	huge_start(e, nlen, vlen);
	e->seen = hdr;
	rc = huge_feed(r, e, in + hdr, len - hdr, &used);
	return rc < 0 ? rc : 0;
}

/*
 * Decode a name-value record's content into r->params: first the end of
 * a pair that an earlier record of the same stream left open, if any,
 * then the record's own pairs with a fresh decoder, which allocates
 * nothing unless the record leaves a pair open.
 */
static struct nv_view nv_decode(struct fcgi_render *r, const char *label,
				enum fcgi_dir dir,
				const struct fcgi_record *rec)
{
	struct nv_view v = { 0 };
	size_t len = rec->h.content_length, pos = 0;
	const struct fcgi_header *h = &rec->h;
	struct nv_open *e;
	int rc;

	fcgi_params_clear(&r->params);
	e = open_find(r, label, dir, h->request_id, h->type);
	if (e != NULL && len == 0) {
		/* The stream ended inside the pair. */
		v.unfinished = e->seen;
		open_drop(r, e);
		return v;
	}
	if (e != NULL) {
		open_touch(e);
		rc = open_continue(r, e, rec->content, len, &pos);
		if (rc == PAIR_OPEN) {
			v.partial = len;
			return v;
		}
		v.continued = rc == PAIR_DONE;
		v.capped = rc == PAIR_DONE && e->huge;
		v.name_len = e->name_len;
		v.value_len = e->value_len;
		open_drop(r, e);
		if (rc < 0) {
			v.pairs = fcgi_params_count(&r->params);
			v.err = rc;
			return v;
		}
	}
	if (pos == len) {
		v.pairs = fcgi_params_count(&r->params);
		return v;
	}
	fcgi_nv_decoder_fini(&r->nv);
	fcgi_nv_decoder_init(&r->nv, r->mem, 0, 0);
	rc = fcgi_nv_decoder_feed(&r->nv, rec->content + pos, len - pos,
				  &r->params);
	v.pairs = fcgi_params_count(&r->params);
	if (rc != 0) {
		v.err = rc;
		return v;
	}
	if (fcgi_nv_decoder_finish(&r->nv) != FCGI_EPROTO)
		return v;
	/* Incomplete at the end: the length bytes and the name and value
	 * bytes gathered so far belong to a pair the record cut. */
	v.partial = r->nv.lenbuf_have + r->nv.have;
	e = open_add(r, label, dir, h->request_id, h->type);
	if (e == NULL) {
		v.err = FCGI_ENOMEM;
		return v;
	}
	rc = open_start(r, e, rec->content + len - v.partial, v.partial);
	if (rc != 0) {
		open_drop(r, e);
		v.err = rc;
	}
	return v;
}

/* ---- text ---------------------------------------------------------- */

/* "ts label " as requested; returns the columns written. */
static size_t text_prefix(struct fcgi_render *r, const char *label, double ts)
{
	char t[TS_TEXT_MAX];
	size_t w = 0;

	if (has_ts(ts)) {
		w = ts_format(t, sizeof(t), ts);
		t_put(r, t, w);
	}
	if (label != NULL) {
		w += put_line_safe(r, label) + 1;
		t_putc(r, ' ');
	}
	return w;
}

static void text_body_error(struct fcgi_render *r, size_t len)
{
	t_printf(r, "body %zu bytes, expected 8", len);
}

static void text_fixed(struct fcgi_render *r, const struct fcgi_record *rec)
{
	size_t len = rec->h.content_length;
	struct fcgi_begin_body b;
	struct fcgi_end_body e;
	const char *name;
	uint8_t t;

	switch (rec->h.type) {
	case FCGI_BEGIN_REQUEST:
		if (fcgi_begin_body_decode(&b, rec->content, len) != 0) {
			text_body_error(r, len);
			return;
		}
		name = fcgi_role_name(b.role);
		t_put(r, "role=", 5);
		if (name != NULL)
			t_puts(r, name);
		else
			t_dec(r, b.role);
		if (b.flags == FCGI_KEEP_CONN)
			t_puts(r, " flags=KEEP_CONN");
		else
			t_printf(r, " flags=0x%02x", (unsigned)b.flags);
		break;
	case FCGI_END_REQUEST:
		if (fcgi_end_body_decode(&e, rec->content, len) != 0) {
			text_body_error(r, len);
			return;
		}
		t_puts(r, "appStatus=");
		t_dec(r, e.app_status);
		t_puts(r, " protocolStatus=");
		name = fcgi_pstatus_name(e.protocol_status);
		if (name != NULL)
			t_puts(r, name);
		else
			t_dec(r, e.protocol_status);
		break;
	default: /* FCGI_UNKNOWN_TYPE */
		if (fcgi_unknown_body_decode(&t, rec->content, len) != 0) {
			text_body_error(r, len);
			return;
		}
		t_printf(r, "type=%u", (unsigned)t);
		name = fcgi_type_name(t);
		if (name != NULL)
			t_printf(r, " (%s)", name);
		break;
	}
}

/* Shown bytes of a stream (or unknown) record, quoted and escaped. */
static void text_bytes(struct fcgi_render *r, const struct fcgi_record *rec)
{
	size_t len = rec->h.content_length;
	size_t show = len < r->o.body_limit ? len : r->o.body_limit;

	t_putc(r, '"');
	put_escaped(r, rec->content, show);
	t_putc(r, '"');
	if (show < len)
		t_more(r, len - show);
}

static void text_indent(struct fcgi_render *r, size_t indent)
{
	static const char blanks[] = "                                ";
	size_t k;

	while (indent > 0) {
		k = indent < sizeof(blanks) - 1 ? indent : sizeof(blanks) - 1;
		t_put(r, blanks, k);
		indent -= k;
	}
}

/* One pair line; pair 0 of v may have begun earlier or have been cut. */
static void text_pair(struct fcgi_render *r, const struct nv_view *v, size_t i,
		      size_t indent)
{
	bool cut = i == 0 && v->capped;
	struct fcgi_nv nv;
	size_t nlen, vlen;

	fcgi_params_at(&r->params, i, &nv);
	nlen = cut ? v->name_len : nv.name_len;
	vlen = cut ? v->value_len : nv.value_len;
	text_indent(r, indent);
	if (i == 0 && v->continued) {
		t_puts(r, "(pair continues from the previous record)\n");
		text_indent(r, indent);
	}
	put_escaped(r, nv.name, nv.name_len);
	if (nlen > nv.name_len)
		t_more(r, nlen - nv.name_len);
	if (redacted(r, &nv, nlen)) {
		t_puts(r, " = ***");
	} else if (vlen == 0) {
		t_puts(r, " =");
	} else {
		t_puts(r, " = ");
		put_escaped(r, nv.value, nv.value_len);
		if (vlen > nv.value_len)
			t_more(r, vlen - nv.value_len);
	}
	t_putc(r, '\n');
}

static void text_nv(struct fcgi_render *r, const char *label, enum fcgi_dir dir,
		    const struct fcgi_record *rec, size_t indent)
{
	struct nv_view v = nv_decode(r, label, dir, rec);

	if (rec->h.type == FCGI_PARAMS && rec->h.content_length == 0) {
		t_puts(r, "end of stream\n");
	} else {
		t_dec(r, v.pairs);
		t_puts(r, v.pairs == 1 ? " pair" : " pairs");
		if (v.err != 0)
			t_printf(r, " (the rest not shown: %s)",
				 fcgi_strerror(v.err));
		t_putc(r, '\n');
	}
	if (!r->o.show_params)
		return;
	for (size_t i = 0; i < v.pairs; i++)
		text_pair(r, &v, i, indent);
	if (v.partial > 0 && v.err == 0) {
		text_indent(r, indent);
		t_printf(r,
			 "(%zu bytes of a pair continue in the next record)\n",
			 v.partial);
	}
	if (v.unfinished > 0) {
		text_indent(r, indent);
		t_printf(r,
			 "(the stream ends inside a pair: its %llu bytes are "
			 "not shown)\n",
			 (unsigned long long)v.unfinished);
	}
}

/* Append key and the decimal of v to fields[at..]; returns the new
 * length.  The caller's buffer holds the longest: 40 bytes for "id=65535
 * len=65535 pad=255". */
static size_t fields_add(char *fields, size_t at, const char *key, char *num,
			 size_t nlen, unsigned v)
{
	size_t kl = strlen(key);
	char *p = put_dec(num, nlen, v);
	size_t dl = (size_t)(num + nlen - p);

	memcpy(fields + at, key, kl);
	memcpy(fields + at + kl, p, dl);
	return at + kl + dl;
}

static void text_record(struct fcgi_render *r, const char *label, double ts,
			enum fcgi_dir dir, const struct fcgi_record *rec)
{
	const struct fcgi_header *h = &rec->h;
	const char *name = fcgi_type_name(h->type);
	char tname[16], fields[40], num[8];
	size_t w, tlen, flen;

	w = text_prefix(r, label, ts);
	if (name == NULL) {
		snprintf(tname, sizeof(tname), "TYPE_%u", (unsigned)h->type);
		name = tname;
	}
	if (r->o.color)
		t_puts(r, dir == FCGI_DIR_TO_APP ? COLOR_TO_APP : COLOR_TO_WEB);
	t_puts(r, dir == FCGI_DIR_TO_APP ? "-> " : "<- ");
	t_puts(r, name);
	if (r->o.color)
		t_puts(r, COLOR_RESET);
	tlen = strlen(name);
	text_indent(r, tlen < TYPE_WIDTH ? TYPE_WIDTH - tlen + 1 : 1);
	/* "id=%u len=%u[ pad=%u]", without printf. */
	flen = fields_add(fields, 0, "id=", num, sizeof(num), h->request_id);
	flen = fields_add(fields, flen, " len=", num, sizeof(num),
			  h->content_length);
	if (h->padding_length != 0)
		flen = fields_add(fields, flen, " pad=", num, sizeof(num),
				  h->padding_length);
	/* ABORT_REQUEST, and an empty record of a type outside 1..11, have
	 * no details: no padding then, so that no line ends in blanks. */
	if (h->type == FCGI_ABORT_REQUEST ||
	    (!is_fixed(h->type) && !is_nv(h->type) && !is_stream(h->type) &&
	     h->content_length == 0)) {
		t_put(r, fields, flen);
		t_putc(r, '\n');
		return;
	}
	/* As "%-*s  " with FIELDS_WIDTH. */
	t_put(r, fields, flen);
	text_indent(r, (flen < FIELDS_WIDTH ? FIELDS_WIDTH - flen : 0) + 2);
	if (is_fixed(h->type)) {
		text_fixed(r, rec);
	} else if (is_nv(h->type)) {
		/* Pair lines start under the type column, two further in. */
		text_nv(r, label, dir, rec, w + 5);
		return;
	} else if (h->content_length == 0) {
		t_puts(r, "end of stream");
	} else {
		text_bytes(r, rec);
	}
	t_putc(r, '\n');
}

/* ---- JSON ---------------------------------------------------------- */

static void j_body_error(struct fcgi_json *j, size_t len)
{
	char msg[64];

	snprintf(msg, sizeof(msg), "body %zu bytes, expected 8", len);
	fcgi_json_str(j, "bodyError", msg);
}

static void j_fixed(struct fcgi_json *j, const struct fcgi_record *rec)
{
	size_t len = rec->h.content_length;
	struct fcgi_begin_body b;
	struct fcgi_end_body e;
	const char *name;
	uint8_t t;

	switch (rec->h.type) {
	case FCGI_BEGIN_REQUEST:
		if (fcgi_begin_body_decode(&b, rec->content, len) != 0) {
			j_body_error(j, len);
			return;
		}
		name = fcgi_role_name(b.role);
		if (name != NULL)
			fcgi_json_str(j, "role", name);
		fcgi_json_uint(j, "roleCode", b.role);
		fcgi_json_uint(j, "flags", b.flags);
		fcgi_json_bool(j, "keepConn", (b.flags & FCGI_KEEP_CONN) != 0);
		break;
	case FCGI_END_REQUEST:
		if (fcgi_end_body_decode(&e, rec->content, len) != 0) {
			j_body_error(j, len);
			return;
		}
		fcgi_json_uint(j, "appStatus", e.app_status);
		name = fcgi_pstatus_name(e.protocol_status);
		if (name != NULL)
			fcgi_json_str(j, "protocolStatus", name);
		fcgi_json_uint(j, "protocolStatusCode", e.protocol_status);
		break;
	default: /* FCGI_UNKNOWN_TYPE */
		if (fcgi_unknown_body_decode(&t, rec->content, len) != 0) {
			j_body_error(j, len);
			return;
		}
		fcgi_json_uint(j, "unknownType", t);
		break;
	}
}

/* One pair of v as an object; pair 0 may have begun earlier or have been
 * cut.  A masked value is left out; its length stands in for it. */
static void j_pair(struct fcgi_render *r, struct fcgi_json *j,
		   const struct nv_view *v, size_t i)
{
	bool cut = i == 0 && v->capped;
	struct fcgi_nv nv;

	fcgi_params_at(&r->params, i, &nv);
	fcgi_json_obj_open(j, NULL);
	fcgi_json_bytes(j, "name", nv.name, nv.name_len);
	if (redacted(r, &nv, cut ? v->name_len : nv.name_len)) {
		fcgi_json_bool(j, "redacted", true);
		if (!cut)
			fcgi_json_uint(j, "valueLength", nv.value_len);
	} else {
		fcgi_json_bytes(j, "value", nv.value, nv.value_len);
	}
	if (i == 0 && v->continued)
		fcgi_json_bool(j, "continued", true);
	if (cut) {
		fcgi_json_bool(j, "truncated", true);
		fcgi_json_uint(j, "nameLength", v->name_len);
		fcgi_json_uint(j, "valueLength", v->value_len);
	}
	fcgi_json_obj_close(j);
}

static void j_nv(struct fcgi_render *r, struct fcgi_json *j, const char *label,
		 enum fcgi_dir dir, const struct fcgi_record *rec)
{
	struct nv_view v = nv_decode(r, label, dir, rec);

	if (v.err != 0) {
		/* The event cannot be shown whole: the error line stands
		 * in for it (fcgitool-trace(5)). */
		j->oom = true;
		return;
	}
	fcgi_json_uint(j, "pairs", v.pairs);
	if (v.partial > 0)
		fcgi_json_uint(j, "partialBytes", v.partial);
	if (v.unfinished > 0)
		fcgi_json_uint(j, "unfinishedBytes", v.unfinished);
	if (!r->o.show_params)
		return;
	fcgi_json_arr_open(j, "params");
	for (size_t i = 0; i < v.pairs; i++)
		j_pair(r, j, &v, i);
	fcgi_json_arr_close(j);
}

static void j_data(struct fcgi_render *r, struct fcgi_json *j,
		   const struct fcgi_record *rec)
{
	size_t len = rec->h.content_length;
	size_t show = len < r->o.body_limit ? len : r->o.body_limit;

	fcgi_json_bytes(j, "data", rec->content, show);
	if (show < len) {
		fcgi_json_bool(j, "truncated", true);
		fcgi_json_uint(j, "dataLength", show);
	}
}

static void json_record(struct fcgi_render *r, const char *label, double ts,
			enum fcgi_dir dir, const struct fcgi_record *rec)
{
	const struct fcgi_header *h = &rec->h;
	const char *name = fcgi_type_name(h->type);
	struct fcgi_json *j = fcgi_render_obj_begin(r, label, ts, "record");
	char tname[16];

	if (name == NULL) {
		snprintf(tname, sizeof(tname), "TYPE_%u", (unsigned)h->type);
		name = tname;
	}
	fcgi_json_str(j, "dir", fcgi_dir_name(dir));
	fcgi_json_uint(j, "offset", rec->offset);
	fcgi_json_uint(j, "record", rec->number);
	fcgi_json_str(j, "type", name);
	fcgi_json_uint(j, "typeCode", h->type);
	fcgi_json_uint(j, "id", h->request_id);
	fcgi_json_uint(j, "contentLength", h->content_length);
	fcgi_json_uint(j, "paddingLength", h->padding_length);
	if (is_fixed(h->type))
		j_fixed(j, rec);
	else if (is_nv(h->type))
		j_nv(r, j, label, dir, rec);
	else if (is_stream(h->type) || h->type > FCGI_MAXTYPE || h->type == 0)
		j_data(r, j, rec);
	fcgi_render_obj_end(r);
}

/* ---- public entry points -------------------------------------------- */

void fcgi_render_record(struct fcgi_render *r, const char *conn_label,
			double ts, enum fcgi_dir dir,
			const struct fcgi_record *rec)
{
	if (r == NULL || rec == NULL)
		return;
	if (rec->content == NULL && rec->h.content_length != 0)
		return; /* API misuse: no bytes to describe */
	if (rec->h.type == FCGI_BEGIN_REQUEST && r->nopen > 0)
		open_forget_request(r, conn_label, dir, rec->h.request_id);
	if (!type_shown(r, rec->h.type))
		return;
	if (r->o.json) {
		json_record(r, conn_label, ts, dir, rec);
		return;
	}
	/* The text is gathered in r->text and written at the end. */
	text_record(r, conn_label, ts, dir, rec);
	t_flush(r);
}

void fcgi_render_violation(struct fcgi_render *r, const char *conn_label,
			   double ts, const struct fcgi_violation *v)
{
	char msg[sizeof(v->message) + 1];

	if (r == NULL || v == NULL)
		return;
	/* Less serious is a larger number (enum fcgi_severity). */
	if (r->o.show_severity != 0 && v->severity > r->o.show_severity)
		return;
	if (r->o.json) {
		fcgi_json_violation(
			fcgi_render_obj_begin(r, conn_label, ts, "violation"),
			v);
		fcgi_render_obj_end(r);
		return;
	}
	/* The message may fill its array without a terminator. */
	memcpy(msg, v->message, sizeof(v->message));
	msg[sizeof(v->message)] = '\0';
	text_prefix(r, conn_label, ts);
	if (r->o.color)
		t_puts(r, COLOR_VIOLATION);
	t_printf(r, "!! %s %s %s offset=%llu record=%llu id=%u: ",
		 fcgi_severity_name(v->severity), fcgi_vcode_name(v->code),
		 fcgi_dir_name(v->dir), (unsigned long long)v->offset,
		 (unsigned long long)v->record, (unsigned)v->request_id);
	put_line_safe(r, msg);
	if (r->o.color)
		t_puts(r, COLOR_RESET);
	t_putc(r, '\n');
	t_flush(r);
}

void fcgi_render_note(struct fcgi_render *r, const char *conn_label, double ts,
		      const char *what, const char *detail)
{
	struct fcgi_json *j;

	if (r == NULL || what == NULL)
		return;
	if (r->o.json) {
		j = fcgi_render_obj_begin(r, conn_label, ts, "note");
		fcgi_json_str(j, "what", what);
		if (detail != NULL)
			fcgi_json_str(j, "detail", detail);
		fcgi_render_obj_end(r);
		return;
	}
	text_prefix(r, conn_label, ts);
	t_puts(r, "** ");
	put_line_safe(r, what);
	if (detail != NULL) {
		t_putc(r, ' ');
		put_line_safe(r, detail);
	}
	t_putc(r, '\n');
	t_flush(r);
}

/* ---- objects of any kind -------------------------------------------- */

struct fcgi_json *fcgi_render_obj_begin(struct fcgi_render *r,
					const char *conn_label, double ts,
					const char *kind)
{
	if (r == NULL)
		return NULL;
	fcgi_buf_reset(&r->text);
	fcgi_json_begin(&r->json, &r->text);
	if (has_ts(ts)) {
		/* Microseconds, like the text format (below 10^12 seconds,
		 * where the rounding cannot overflow). */
		if (ts < 1e12)
			ts = (double)(long long)(ts * 1e6 + 0.5) / 1e6;
		fcgi_json_double(&r->json, "ts", ts);
	}
	if (conn_label != NULL)
		fcgi_json_str(&r->json, "conn", conn_label);
	fcgi_json_str(&r->json, "kind", kind);
	return &r->json;
}

void fcgi_render_obj_end(struct fcgi_render *r)
{
	static const char oom[] =
		"{\"kind\":\"error\",\"message\":\"out of memory\"}\n";

	if (r == NULL)
		return;
	if (fcgi_json_end(&r->json) < 0 ||
	    fcgi_buf_append_u8(&r->text, '\n') < 0)
		r->sink.write(r->sink.ctx, oom, sizeof(oom) - 1);
	else
		r->sink.write(r->sink.ctx, r->text.data, r->text.len);
	fcgi_buf_reset(&r->text);
}
