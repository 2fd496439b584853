/* SPDX-License-Identifier: MIT */
/*
 * trace.c - the one printer of records, violations and notes, as aligned
 * text or as JSON lines (fcgitool-trace(5) documents both).
 *
 * cJSON is linked here, not only in mock/: the renderer is the single JSON
 * producer of the project, so that every subcommand's --json output has
 * one schema.  Record contents are described with the codec's decoders
 * (fcgi_begin_body_decode, fcgi_nv_decoder_*); this file parses nothing of
 * its own.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "internal.h"

#define DEFAULT_BODY_LIMIT 64
#define TYPE_WIDTH 18	/* "GET_VALUES_RESULT" plus one */
#define FIELDS_WIDTH 14 /* "id=1 len=65535" */
#define ESC_CHUNK 256	/* input bytes escaped per step in text mode */
#define JBUF_INITIAL 4096

#define COLOR_TO_APP "\033[36m"
#define COLOR_TO_WEB "\033[32m"
#define COLOR_VIOLATION "\033[31m"
#define COLOR_RESET "\033[0m"

static const char *const redact_default[] = {
	"HTTP_AUTHORIZATION",
	"HTTP_COOKIE",
	NULL,
};

struct fcgi_render {
	FILE *out;
	struct fcgi_render_opts o;
	/* Reused for every record, so that describing a PARAMS record costs
	 * no allocation once the buffers have grown. */
	struct fcgi_params params;
	struct fcgi_nv_decoder nv;
	struct fcgi_buf scratch; /* NUL-terminated copies for cJSON */
	char *jbuf;		 /* print buffer for cJSON */
	size_t jcap;
};

/* What the codec made of a name-value record's content on its own. */
struct nv_view {
	size_t pairs;
	size_t partial; /* bytes of a pair cut at the record's end */
	int err;	/* FCGI_ENOMEM (or another decoder code), or 0 */
};

const char *const *fcgi_render_redact_default(void)
{
	return redact_default;
}

void fcgi_render_opts_default(struct fcgi_render_opts *o)
{
	o->json = 0;
	o->color = 0;
	o->body_limit = DEFAULT_BODY_LIMIT;
	o->only_types = 0;
	o->redact = redact_default;
	o->show_params = 1;
}

int fcgi_render_want_color(FILE *f)
{
	const char *nc = getenv("NO_COLOR");
	int fd;

	/* https://no-color.org: any non-empty NO_COLOR turns colour off. */
	if (nc != NULL && nc[0] != '\0')
		return 0;
	if (f == NULL)
		return 0;
	fd = fileno(f);
	return fd >= 0 && isatty(fd) == 1;
}

struct fcgi_render *fcgi_render_new(FILE *out,
				    const struct fcgi_render_opts *opts)
{
	struct fcgi_render *r;

	if (out == NULL)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->out = out;
	if (opts != NULL)
		r->o = *opts;
	else
		fcgi_render_opts_default(&r->o);
	if (r->o.body_limit == 0)
		r->o.body_limit = DEFAULT_BODY_LIMIT;
	fcgi_params_init(&r->params, NULL);
	/* One record holds at most 65535 bytes, so no limit is needed: a
	 * declared length beyond the content is a pair cut at the end. */
	fcgi_nv_decoder_init(&r->nv, NULL, 0, 0);
	fcgi_buf_init(&r->scratch, NULL, 0);
	return r;
}

void fcgi_render_free(struct fcgi_render *r)
{
	if (r == NULL)
		return;
	fcgi_params_free(&r->params);
	fcgi_nv_decoder_free(&r->nv);
	fcgi_buf_free(&r->scratch);
	free(r->jbuf);
	free(r);
}

/* ---- byte helpers -------------------------------------------------- */

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

/* 1 if in[0..len) is well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF) and holds no NUL. */
static int utf8_clean(const uint8_t *in, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = in[i];
		size_t need;
		uint8_t lo = 0x80, hi = 0xbf;

		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			if (c == 0xe0)
				lo = 0xa0;
			else if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			if (c == 0xf0)
				lo = 0x90;
			else if (c == 0xf4)
				hi = 0x8f;
		} else {
			return 0;
		}
		if (len - i - 1 < need)
			return 0;
		if (in[i + 1] < lo || in[i + 1] > hi)
			return 0;
		for (size_t k = 2; k <= need; k++)
			if ((in[i + k] & 0xc0) != 0x80)
				return 0;
		i += need + 1;
	}
	return 1;
}

/* Write in[0..len) escaped, a chunk at a time through a stack buffer. */
static void put_escaped(FILE *f, const uint8_t *in, size_t len)
{
	char tmp[ESC_CHUNK * 4 + 1];

	while (len > 0) {
		size_t k = len < ESC_CHUNK ? len : ESC_CHUNK;

		fcgi_escape(tmp, sizeof(tmp), in, k);
		fputs(tmp, f);
		in += k;
		len -= k;
	}
}

/* Write a caller's string (label, message, detail) with control bytes
 * escaped, so that one event stays on one line; other bytes as they are.
 * Returns the bytes written. */
static size_t put_line_safe(FILE *f, const char *s)
{
	size_t w = 0;

	for (const uint8_t *p = (const uint8_t *)s; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			char e[5];

			w += fcgi_escape(e, sizeof(e), p, 1);
			fputs(e, f);
		} else {
			putc(*p, f);
			w++;
		}
	}
	return w;
}

/* 1 if ts is to be shown: not negative, and a finite number. */
static int has_ts(double ts)
{
	return ts >= 0 && isfinite(ts);
}

static int type_shown(const struct fcgi_render *r, unsigned type)
{
	if (r->o.only_types == 0)
		return 1;
	return type < 32 && (r->o.only_types & (1u << type)) != 0;
}

static int is_stream(unsigned type)
{
	return type == FCGI_STDIN || type == FCGI_STDOUT ||
	       type == FCGI_STDERR || type == FCGI_DATA;
}

static int is_nv(unsigned type)
{
	return type == FCGI_PARAMS || type == FCGI_GET_VALUES ||
	       type == FCGI_GET_VALUES_RESULT;
}

static int is_fixed(unsigned type)
{
	return type == FCGI_BEGIN_REQUEST || type == FCGI_END_REQUEST ||
	       type == FCGI_UNKNOWN_TYPE;
}

static int redacted(const struct fcgi_render *r, const struct fcgi_nv *nv)
{
	if (r->o.redact == NULL)
		return 0;
	for (const char *const *p = r->o.redact; *p != NULL; p++) {
		size_t l = strlen(*p);

		if (l == nv->name_len && memcmp(*p, nv->name, l) == 0)
			return 1;
	}
	return 0;
}

/*
 * Decode a name-value record's content on its own (as PHP-FPM does) into
 * r->params.  Returns the pair count and the bytes of a pair that the
 * record's end cut off.
 */
static struct nv_view nv_decode(struct fcgi_render *r,
				const struct fcgi_record *rec)
{
	struct nv_view v = { 0, 0, 0 };
	size_t len = rec->h.content_length;
	int rc;

	fcgi_params_clear(&r->params);
	/* A fresh decoder per record; its pair buffer is only ever used
	 * for a pair cut at the end, so this costs nothing otherwise. */
	fcgi_nv_decoder_free(&r->nv);
	fcgi_nv_decoder_init(&r->nv, NULL, 0, 0);
	rc = fcgi_nv_decoder_feed(&r->nv, rec->content, len, &r->params);
	v.pairs = fcgi_params_count(&r->params);
	if (rc != 0) {
		v.err = rc;
		return v;
	}
	/* Incomplete at the end: the length bytes and the name and value
	 * bytes gathered so far belong to a pair the record cut. */
	if (fcgi_nv_decoder_finish(&r->nv) == FCGI_EPROTO)
		v.partial = r->nv.lenbuf_have + r->nv.have;
	return v;
}

/* ---- text ---------------------------------------------------------- */

/* "ts label " as requested; returns the columns written. */
static size_t text_prefix(struct fcgi_render *r, const char *label, double ts)
{
	size_t w = 0;
	int n;

	if (has_ts(ts)) {
		n = fprintf(r->out, "%.6f ", ts);
		if (n > 0)
			w += (size_t)n;
	}
	if (label != NULL) {
		w += put_line_safe(r->out, label) + 1;
		putc(' ', r->out);
	}
	return w;
}

static void text_body_error(struct fcgi_render *r, size_t len)
{
	fprintf(r->out, "body %zu bytes, expected 8", len);
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
		if (name != NULL)
			fprintf(r->out, "role=%s", name);
		else
			fprintf(r->out, "role=%u", (unsigned)b.role);
		if (b.flags == FCGI_KEEP_CONN)
			fputs(" flags=KEEP_CONN", r->out);
		else
			fprintf(r->out, " flags=0x%02x", (unsigned)b.flags);
		break;
	case FCGI_END_REQUEST:
		if (fcgi_end_body_decode(&e, rec->content, len) != 0) {
			text_body_error(r, len);
			return;
		}
		fprintf(r->out, "appStatus=%lu protocolStatus=",
			(unsigned long)e.app_status);
		name = fcgi_pstatus_name(e.protocol_status);
		if (name != NULL)
			fputs(name, r->out);
		else
			fprintf(r->out, "%u", (unsigned)e.protocol_status);
		break;
	default: /* FCGI_UNKNOWN_TYPE */
		if (fcgi_unknown_body_decode(&t, rec->content, len) != 0) {
			text_body_error(r, len);
			return;
		}
		fprintf(r->out, "type=%u", (unsigned)t);
		name = fcgi_type_name(t);
		if (name != NULL)
			fprintf(r->out, " (%s)", name);
		break;
	}
}

/* Shown bytes of a stream (or unknown) record, quoted and escaped. */
static void text_bytes(struct fcgi_render *r, const struct fcgi_record *rec)
{
	size_t len = rec->h.content_length;
	size_t show = len < r->o.body_limit ? len : r->o.body_limit;

	putc('"', r->out);
	put_escaped(r->out, rec->content, show);
	putc('"', r->out);
	if (show < len)
		fprintf(r->out, " ... (+%zu bytes)", len - show);
}

static void text_indent(struct fcgi_render *r, size_t indent)
{
	for (size_t i = 0; i < indent; i++)
		putc(' ', r->out);
}

static void text_nv(struct fcgi_render *r, const struct fcgi_record *rec,
		    size_t indent)
{
	struct nv_view v;
	struct fcgi_nv nv;

	if (rec->h.type == FCGI_PARAMS && rec->h.content_length == 0) {
		fputs("end of stream\n", r->out);
		return;
	}
	v = nv_decode(r, rec);
	fprintf(r->out, "%zu %s", v.pairs, v.pairs == 1 ? "pair" : "pairs");
	if (v.err != 0)
		fprintf(r->out, " (the rest not shown: %s)",
			fcgi_strerror(v.err));
	putc('\n', r->out);
	if (!r->o.show_params)
		return;
	for (size_t i = 0; i < v.pairs; i++) {
		fcgi_params_at(&r->params, i, &nv);
		text_indent(r, indent);
		put_escaped(r->out, nv.name, nv.name_len);
		if (redacted(r, &nv)) {
			fputs(" = ***", r->out);
		} else if (nv.value_len == 0) {
			fputs(" =", r->out);
		} else {
			fputs(" = ", r->out);
			put_escaped(r->out, nv.value, nv.value_len);
		}
		putc('\n', r->out);
	}
	if (v.partial > 0 && v.err == 0) {
		text_indent(r, indent);
		fprintf(r->out,
			"(%zu bytes of a pair continue in the next record)\n",
			v.partial);
	}
}

static void text_record(struct fcgi_render *r, const char *label, double ts,
			enum fcgi_dir dir, const struct fcgi_record *rec)
{
	const struct fcgi_header *h = &rec->h;
	const char *name = fcgi_type_name(h->type);
	char tname[16], fields[40];
	size_t w, tlen;

	w = text_prefix(r, label, ts);
	if (name == NULL) {
		snprintf(tname, sizeof(tname), "TYPE_%u", (unsigned)h->type);
		name = tname;
	}
	if (r->o.color)
		fputs(dir == FCGI_DIR_TO_APP ? COLOR_TO_APP : COLOR_TO_WEB,
		      r->out);
	fputs(dir == FCGI_DIR_TO_APP ? "-> " : "<- ", r->out);
	fputs(name, r->out);
	if (r->o.color)
		fputs(COLOR_RESET, r->out);
	tlen = strlen(name);
	text_indent(r, tlen < TYPE_WIDTH ? TYPE_WIDTH - tlen + 1 : 1);
	if (h->padding_length != 0)
		snprintf(fields, sizeof(fields), "id=%u len=%u pad=%u",
			 (unsigned)h->request_id, (unsigned)h->content_length,
			 (unsigned)h->padding_length);
	else
		snprintf(fields, sizeof(fields), "id=%u len=%u",
			 (unsigned)h->request_id, (unsigned)h->content_length);
	/* ABORT_REQUEST, and an empty record of a type outside 1..11, have
	 * no details: no padding then, so that no line ends in blanks. */
	if (h->type == FCGI_ABORT_REQUEST ||
	    (!is_fixed(h->type) && !is_nv(h->type) && !is_stream(h->type) &&
	     h->content_length == 0)) {
		fputs(fields, r->out);
		putc('\n', r->out);
		return;
	}
	fprintf(r->out, "%-*s  ", FIELDS_WIDTH, fields);
	if (is_fixed(h->type)) {
		text_fixed(r, rec);
	} else if (is_nv(h->type)) {
		/* Pair lines start under the type column, two further in. */
		text_nv(r, rec, w + 5);
		return;
	} else if (h->content_length == 0) {
		fputs("end of stream", r->out);
	} else {
		text_bytes(r, rec);
	}
	putc('\n', r->out);
}

/* ---- JSON ---------------------------------------------------------- */

/* Builds one JSON object; the first failed allocation sets oom and later
 * additions are skipped. */
struct jctx {
	struct fcgi_render *r;
	cJSON *obj;
	int oom;
};

static void j_add(struct jctx *j, cJSON *parent, const char *key, cJSON *item)
{
	if (item == NULL) {
		j->oom = 1;
		return;
	}
	/* Keys are string constants: the CS variant does not copy them. */
	if (!cJSON_AddItemToObjectCS(parent, key, item)) {
		cJSON_Delete(item);
		j->oom = 1;
	}
}

static void j_num(struct jctx *j, cJSON *parent, const char *key, double v)
{
	if (!j->oom)
		j_add(j, parent, key, cJSON_CreateNumber(v));
}

static void j_bool(struct jctx *j, cJSON *parent, const char *key, int v)
{
	if (!j->oom)
		j_add(j, parent, key, cJSON_CreateBool(v));
}

static void j_str(struct jctx *j, cJSON *parent, const char *key, const char *s)
{
	if (!j->oom)
		j_add(j, parent, key, cJSON_CreateString(s));
}

/* A NUL-terminated copy of a byte range, or its base64 (RFC 4648) when
 * b64, in r->scratch.  NULL when memory runs out. */
static const char *j_bytes_text(struct fcgi_render *r, const uint8_t *in,
				size_t len, int b64)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
				       "nopqrstuvwxyz0123456789+/";
	struct fcgi_buf *b = &r->scratch;
	size_t need, i;
	char *o;

	if (b64)
		need = (len / 3 + (len % 3 != 0)) * 4 + 1;
	else
		need = len + 1;
	fcgi_buf_reset(b);
	if (fcgi_buf_reserve(b, need) != 0)
		return NULL;
	o = (char *)b->data;
	if (!b64) {
		if (len > 0)
			memcpy(o, in, len);
		o[len] = '\0';
		return o;
	}
	for (i = 0; len - i >= 3; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
			     in[i + 2];

		*o++ = alphabet[v >> 18];
		*o++ = alphabet[(v >> 12) & 63];
		*o++ = alphabet[(v >> 6) & 63];
		*o++ = alphabet[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;

		*o++ = alphabet[v >> 18];
		*o++ = alphabet[(v >> 12) & 63];
		*o++ = '=';
		*o++ = '=';
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;

		*o++ = alphabet[v >> 18];
		*o++ = alphabet[(v >> 12) & 63];
		*o++ = alphabet[(v >> 6) & 63];
		*o++ = '=';
	}
	*o = '\0';
	return (const char *)b->data;
}

/* Add bytes as key (clean UTF-8) or b64key (base64) otherwise. */
static void j_bytes(struct jctx *j, cJSON *parent, const char *key,
		    const char *b64key, const uint8_t *in, size_t len)
{
	int clean = utf8_clean(in, len);
	const char *s;

	if (j->oom)
		return;
	s = j_bytes_text(j->r, in, len, !clean);
	if (s == NULL) {
		j->oom = 1;
		return;
	}
	j_str(j, parent, clean ? key : b64key, s);
}

/* A caller's string (label, message): kept when clean UTF-8, otherwise
 * escaped, so that every line is valid JSON. */
static void j_text(struct jctx *j, cJSON *parent, const char *key,
		   const char *s)
{
	size_t len = strlen(s);
	struct fcgi_buf *b = &j->r->scratch;

	if (j->oom)
		return;
	if (utf8_clean((const uint8_t *)s, len)) {
		j_str(j, parent, key, s);
		return;
	}
	fcgi_buf_reset(b);
	if (len > (SIZE_MAX - 1) / 4 || fcgi_buf_reserve(b, len * 4 + 1) != 0) {
		j->oom = 1;
		return;
	}
	fcgi_escape((char *)b->data, len * 4 + 1, (const uint8_t *)s, len);
	j_str(j, parent, key, (const char *)b->data);
}

static void j_begin(struct jctx *j, const char *label, double ts,
		    const char *kind)
{
	j->obj = cJSON_CreateObject();
	j->oom = j->obj == NULL;
	if (has_ts(ts)) {
		/* Microseconds, like the text format (below 10^12 seconds,
		 * where the rounding cannot overflow). */
		if (ts < 1e12)
			ts = (double)(long long)(ts * 1e6 + 0.5) / 1e6;
		j_num(j, j->obj, "ts", ts);
	}
	if (label != NULL)
		j_text(j, j->obj, "conn", label);
	j_str(j, j->obj, "kind", kind);
}

/* Make the print buffer want bytes long; on failure the old one stays. */
static void jbuf_grow(struct fcgi_render *r, size_t want)
{
	char *nb = realloc(r->jbuf, want);

	if (nb != NULL) {
		r->jbuf = nb;
		r->jcap = want;
	}
}

/* Print the object as one line, then free it. */
static void j_end(struct jctx *j)
{
	struct fcgi_render *r = j->r;
	char *s;

	if (j->oom) {
		cJSON_Delete(j->obj);
		fputs("{\"kind\":\"error\",\"message\":\"out of memory\"}\n",
		      r->out);
		return;
	}
	if (r->jbuf == NULL)
		jbuf_grow(r, JBUF_INITIAL);
	if (r->jbuf != NULL && r->jcap <= INT32_MAX &&
	    cJSON_PrintPreallocated(j->obj, r->jbuf, (int)r->jcap, 0)) {
		fputs(r->jbuf, r->out);
		putc('\n', r->out);
		cJSON_Delete(j->obj);
		return;
	}
	/* Too big for the buffer: print with cJSON's own allocation and
	 * grow the buffer for next time (cJSON asks for some slack). */
	s = cJSON_PrintUnformatted(j->obj);
	cJSON_Delete(j->obj);
	if (s == NULL) {
		fputs("{\"kind\":\"error\",\"message\":\"out of memory\"}\n",
		      r->out);
		return;
	}
	fputs(s, r->out);
	putc('\n', r->out);
	jbuf_grow(r, strlen(s) * 2 + 64);
	cJSON_free(s);
}

static void j_body_error(struct jctx *j, size_t len)
{
	char msg[64];

	snprintf(msg, sizeof(msg), "body %zu bytes, expected 8", len);
	j_str(j, j->obj, "bodyError", msg);
}

static void j_fixed(struct jctx *j, const struct fcgi_record *rec)
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
			j_str(j, j->obj, "role", name);
		j_num(j, j->obj, "roleCode", b.role);
		j_num(j, j->obj, "flags", b.flags);
		j_bool(j, j->obj, "keepConn", (b.flags & FCGI_KEEP_CONN) != 0);
		break;
	case FCGI_END_REQUEST:
		if (fcgi_end_body_decode(&e, rec->content, len) != 0) {
			j_body_error(j, len);
			return;
		}
		j_num(j, j->obj, "appStatus", e.app_status);
		name = fcgi_pstatus_name(e.protocol_status);
		if (name != NULL)
			j_str(j, j->obj, "protocolStatus", name);
		j_num(j, j->obj, "protocolStatusCode", e.protocol_status);
		break;
	default: /* FCGI_UNKNOWN_TYPE */
		if (fcgi_unknown_body_decode(&t, rec->content, len) != 0) {
			j_body_error(j, len);
			return;
		}
		j_num(j, j->obj, "unknownType", t);
		break;
	}
}

static void j_nv(struct jctx *j, const struct fcgi_record *rec)
{
	struct nv_view v;
	struct fcgi_nv nv;
	cJSON *arr, *p;

	v = nv_decode(j->r, rec);
	if (v.err != 0) {
		j->oom = 1;
		return;
	}
	j_num(j, j->obj, "pairs", (double)v.pairs);
	if (v.partial > 0)
		j_num(j, j->obj, "partialBytes", (double)v.partial);
	if (!j->r->o.show_params || j->oom)
		return;
	arr = cJSON_CreateArray();
	j_add(j, j->obj, "params", arr);
	for (size_t i = 0; i < v.pairs && !j->oom; i++) {
		fcgi_params_at(&j->r->params, i, &nv);
		p = cJSON_CreateObject();
		if (p == NULL || !cJSON_AddItemToArray(arr, p)) {
			cJSON_Delete(p);
			j->oom = 1;
			break;
		}
		j_bytes(j, p, "name", "nameB64", nv.name, nv.name_len);
		if (redacted(j->r, &nv)) {
			j_str(j, p, "value", "***");
			j_bool(j, p, "redacted", 1);
		} else {
			j_bytes(j, p, "value", "valueB64", nv.value,
				nv.value_len);
		}
	}
}

static void j_data(struct jctx *j, const struct fcgi_record *rec)
{
	size_t len = rec->h.content_length;
	size_t show = len < j->r->o.body_limit ? len : j->r->o.body_limit;

	j_bytes(j, j->obj, "data", "dataB64", rec->content, show);
	if (show < len) {
		j_bool(j, j->obj, "truncated", 1);
		j_num(j, j->obj, "dataLength", (double)show);
	}
}

static void json_record(struct fcgi_render *r, const char *label, double ts,
			enum fcgi_dir dir, const struct fcgi_record *rec)
{
	const struct fcgi_header *h = &rec->h;
	const char *name = fcgi_type_name(h->type);
	struct jctx j = { r, NULL, 0 };
	char tname[16];

	j_begin(&j, label, ts, "record");
	if (name == NULL) {
		snprintf(tname, sizeof(tname), "TYPE_%u", (unsigned)h->type);
		name = tname;
	}
	j_str(&j, j.obj, "dir", fcgi_dir_name(dir));
	j_num(&j, j.obj, "offset", (double)rec->offset);
	j_num(&j, j.obj, "record", (double)rec->number);
	j_str(&j, j.obj, "type", name);
	j_num(&j, j.obj, "typeCode", h->type);
	j_num(&j, j.obj, "id", h->request_id);
	j_num(&j, j.obj, "contentLength", h->content_length);
	j_num(&j, j.obj, "paddingLength", h->padding_length);
	if (is_fixed(h->type))
		j_fixed(&j, rec);
	else if (is_nv(h->type))
		j_nv(&j, rec);
	else if (is_stream(h->type) || h->type > FCGI_MAXTYPE || h->type == 0)
		j_data(&j, rec);
	j_end(&j);
}

/* ---- public entry points -------------------------------------------- */

void fcgi_render_record(struct fcgi_render *r, const char *conn_label,
			double ts, enum fcgi_dir dir,
			const struct fcgi_record *rec)
{
	if (r == NULL || rec == NULL || !type_shown(r, rec->h.type))
		return;
	if (rec->content == NULL && rec->h.content_length != 0)
		return; /* API misuse: no bytes to describe */
	if (r->o.json)
		json_record(r, conn_label, ts, dir, rec);
	else
		text_record(r, conn_label, ts, dir, rec);
}

void fcgi_render_violation(struct fcgi_render *r, const char *conn_label,
			   double ts, const struct fcgi_violation *v)
{
	struct jctx j = { r, NULL, 0 };
	char msg[sizeof(v->message) + 1];

	if (r == NULL || v == NULL)
		return;
	/* The message may fill its array without a terminator. */
	memcpy(msg, v->message, sizeof(v->message));
	msg[sizeof(v->message)] = '\0';
	if (r->o.json) {
		j_begin(&j, conn_label, ts, "violation");
		j_str(&j, j.obj, "code", fcgi_vcode_name(v->code));
		j_str(&j, j.obj, "severity", fcgi_severity_name(v->severity));
		j_str(&j, j.obj, "dir", fcgi_dir_name(v->dir));
		j_num(&j, j.obj, "offset", (double)v->offset);
		j_num(&j, j.obj, "record", (double)v->record);
		j_num(&j, j.obj, "id", v->request_id);
		j_text(&j, j.obj, "message", msg);
		j_end(&j);
		return;
	}
	text_prefix(r, conn_label, ts);
	if (r->o.color)
		fputs(COLOR_VIOLATION, r->out);
	fprintf(r->out, "!! %s %s %s offset=%llu record=%llu id=%u: ",
		fcgi_severity_name(v->severity), fcgi_vcode_name(v->code),
		fcgi_dir_name(v->dir), (unsigned long long)v->offset,
		(unsigned long long)v->record, (unsigned)v->request_id);
	put_line_safe(r->out, msg);
	if (r->o.color)
		fputs(COLOR_RESET, r->out);
	putc('\n', r->out);
}

void fcgi_render_note(struct fcgi_render *r, const char *conn_label, double ts,
		      const char *what, const char *detail)
{
	struct jctx j = { r, NULL, 0 };

	if (r == NULL || what == NULL)
		return;
	if (r->o.json) {
		j_begin(&j, conn_label, ts, "note");
		j_text(&j, j.obj, "what", what);
		if (detail != NULL)
			j_text(&j, j.obj, "detail", detail);
		j_end(&j);
		return;
	}
	text_prefix(r, conn_label, ts);
	fputs("** ", r->out);
	put_line_safe(r->out, what);
	if (detail != NULL) {
		putc(' ', r->out);
		put_line_safe(r->out, detail);
	}
	putc('\n', r->out);
}
