/* SPDX-License-Identifier: MIT */
/*
 * json.c - the one JSON writer: objects appended to a struct fcgi_buf, key
 * by key, with the project's one rule for bytes (fcgitool-trace(5)): a byte
 * string is a JSON string when it is UTF-8 without NUL, and otherwise
 * base64 under the same key with "B64" appended.
 *
 * Every --json line of every command is written by this code, through the
 * renderer (fcgi_render_obj_begin), so there is one escaping, one number
 * format and one bytes rule.  It is on the hot path of pcap --json (a
 * dozen items a record): each item reserves its exact size once and is
 * written in place, and strings are scanned eight bytes at a time.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Nonzero when a byte of x must be escaped in a JSON string: below 0x20,
 * '"' or '\\' (RFC 8259, 7); with ascii, also a byte from 0x80. */
static uint64_t word_special(uint64_t x, bool ascii)
{
	uint64_t m = fcgi_word_below(x, 0x20) | fcgi_word_has(x, '"') |
		     fcgi_word_has(x, '\\');

	return ascii ? m | (x & FCGI_HIGHS) : m;
}

/* Per byte: 1 when it must be escaped in a JSON string (below 0x20, '"',
 * '\\'), 2 when it is not ASCII; 0 for the rest. */
static const uint8_t special[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x00 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x10 */
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x20 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x30 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x40 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, /* 0x50 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x60 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x70 */
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0x80 */
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0x90 */
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0xa0 */
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0xb0 */
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0xc0 */
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0xd0 */
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0xe0 */
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0xf0 */
};

/* The length of the run at the start of in[0..len) that goes into a JSON
 * string as it is (with ascii: printable ASCII too, so that it needs no
 * UTF-8 check either). */
static size_t plain_run(const uint8_t *in, size_t len, bool ascii)
{
	size_t i = 0;
	uint64_t x;
	uint8_t mask;

	if (len >= 8) {
		for (; len - i >= 8; i += 8) {
			memcpy(&x, in + i, 8);
			if (word_special(x, ascii) != 0)
				break;
		}
		if (i == len)
			return len;
		/* The last eight bytes, overlapping checked ones. */
		if (len - i < 8) {
			memcpy(&x, in + len - 8, 8);
			if (word_special(x, ascii) == 0)
				return len;
		}
	}
	mask = ascii ? 3 : 1;
	while (i < len && (special[in[i]] & mask) == 0)
		i++;
	return i;
}

/* j_room when the buffer must grow: NULL when it cannot. */
static uint8_t *j_grow(struct fcgi_json *j, size_t n)
{
	if (j->oom || fcgi_buf_reserve(j->out, n) < 0) {
		j->oom = true;
		return NULL;
	}
	return j->out->data + j->out->len;
}

/* Room for n more bytes at the end of the output: where they go, or NULL
 * once an append has failed.  The bytes count when j_done is called. */
static inline uint8_t *j_room(struct fcgi_json *j, size_t n)
{
	struct fcgi_buf *b = j->out;

	/* Most items fit in what the buffer has (reserve keeps cap within
	 * max). */
	if (!j->oom && n <= b->cap - b->len)
		return b->data + b->len;
	return j_grow(j, n);
}

/* The bytes up to end, written after j_room, are part of the output. */
static void j_done(struct fcgi_json *j, const uint8_t *end)
{
	j->out->len = (size_t)(end - j->out->data);
}

static void j_raw(struct fcgi_json *j, const void *p, size_t n)
{
	uint8_t *o = j_room(j, n);

	if (o == NULL || n == 0)
		return;
	memcpy(o, p, n);
	j_done(j, o + n);
}

/*
 * The comma before an item, and its key (and suffix) when inside an object,
 * with room for vlen more bytes after them: where the value goes, or NULL
 * once an append has failed.
 */
static uint8_t *j_item(struct fcgi_json *j, const char *key, const char *suffix,
		       size_t vlen)
{
	bool comma = j->depth > 0 && !j->first[j->depth - 1];
	size_t klen = 0, slen = 0;
	uint8_t *p;

	if (j->depth > 0)
		j->first[j->depth - 1] = false;
	/* Keys are the program's lowerCamelCase ASCII constants (fcgi.h):
	 * nothing to escape. */
	if (key != NULL) {
		klen = strlen(key);
		if (suffix != NULL)
			slen = strlen(suffix);
	}
	p = j_room(j, (comma ? 1 : 0) + (key != NULL ? klen + slen + 3 : 0) +
			      vlen);
	if (p == NULL)
		return NULL;
	if (comma)
		*p++ = ',';
	if (key != NULL) {
		*p++ = '"';
		memcpy(p, key, klen);
		p += klen;
		if (slen > 0) {
			memcpy(p, suffix, slen);
			p += slen;
		}
		*p++ = '"';
		*p++ = ':';
	}
	return p;
}

/* An item whose value is v[0..n). */
static void j_value(struct fcgi_json *j, const char *key, const void *v,
		    size_t n)
{
	uint8_t *p = j_item(j, key, NULL, n);

	if (p == NULL)
		return;
	memcpy(p, v, n);
	j_done(j, p + n);
}

/* An item whose value is the JSON string "s[0..n)", s needing no escape. */
static void j_plain_str(struct fcgi_json *j, const char *key,
			const char *suffix, const void *s, size_t n)
{
	uint8_t *p = j_item(j, key, suffix, n + 2);

	if (p == NULL)
		return;
	*p++ = '"';
	if (n > 0) /* s may be NULL then */
		memcpy(p, s, n);
	p += n;
	*p++ = '"';
	j_done(j, p);
}

/* A string's contents, escaped for JSON (RFC 8259, 7); in must be UTF-8. */
static void j_escaped(struct fcgi_json *j, const uint8_t *in, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0;

	while (i < len) {
		size_t run = i + plain_run(in + i, len - i, false);
		char e[6];
		size_t elen = 2;

		if (run > i)
			j_raw(j, in + i, run - i);
		if (run == len)
			break;
		e[0] = '\\';
		switch (in[run]) {
		case '"':
		case '\\':
			e[1] = (char)in[run];
			break;
		case '\n':
			e[1] = 'n';
			break;
		case '\r':
			e[1] = 'r';
			break;
		case '\t':
			e[1] = 't';
			break;
		default:
			e[1] = 'u', e[2] = '0', e[3] = '0';
			e[4] = hex[in[run] >> 4], e[5] = hex[in[run] & 15];
			elen = 6;
			break;
		}
		j_raw(j, e, elen);
		i = run + 1;
	}
}

/* Whether in[0..len) is well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF) and holds no NUL. */
bool fcgi_utf8_valid(const uint8_t *in, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = in[i];
		size_t need;
		uint8_t lo = 0x80, hi = 0xbf;
		uint64_t x;

		/* Eight ASCII bytes without NUL at a time. */
		if (len - i >= 8) {
			memcpy(&x, in + i, 8);
			if (((x & FCGI_HIGHS) | fcgi_word_below(x, 1)) == 0) {
				i += 8;
				continue;
			}
		}
		if (c == 0)
			return false;
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
			return false;
		}
		if (len - i - 1 < need)
			return false;
		if (in[i + 1] < lo || in[i + 1] > hi)
			return false;
		for (size_t k = 2; k <= need; k++)
			if ((in[i + k] & 0xc0) != 0x80)
				return false;
		i += need + 1;
	}
	return true;
}

void fcgi_json_begin(struct fcgi_json *j, struct fcgi_buf *out)
{
	j->out = out;
	j->depth = 0;
	j->oom = false;
	j->overflow = false;
	fcgi_json_obj_open(j, NULL);
}

int fcgi_json_end(struct fcgi_json *j)
{
	uint8_t *p = j_room(j, j->depth);

	if (p != NULL) {
		while (j->depth > 0) {
			*p++ = j->kind[j->depth - 1] ? ']' : '}';
			j->depth--;
		}
		j_done(j, p);
	}
	if (j->oom)
		return FCGI_ENOMEM;
	return j->overflow ? FCGI_EINVAL : 0;
}

static void j_open(struct fcgi_json *j, const char *key, bool array)
{
	uint8_t *p;

	if (j->depth == FCGI_JSON_DEPTH) {
		j->overflow = true;
		return;
	}
	p = j_item(j, key, NULL, 1);
	if (p != NULL) {
		*p++ = array ? '[' : '{';
		j_done(j, p);
	}
	j->kind[j->depth] = array;
	j->first[j->depth] = true;
	j->depth++;
}

static void j_close(struct fcgi_json *j, bool array)
{
	uint8_t *p;

	if (j->depth <= 1 || j->kind[j->depth - 1] != array) {
		j->overflow = true;
		return;
	}
	p = j_room(j, 1);
	if (p != NULL) {
		*p++ = array ? ']' : '}';
		j_done(j, p);
	}
	j->depth--;
}

void fcgi_json_obj_open(struct fcgi_json *j, const char *key)
{
	j_open(j, key, false);
}

void fcgi_json_obj_close(struct fcgi_json *j)
{
	j_close(j, false);
}

void fcgi_json_arr_open(struct fcgi_json *j, const char *key)
{
	j_open(j, key, true);
}

void fcgi_json_arr_close(struct fcgi_json *j)
{
	j_close(j, true);
}

void fcgi_json_str(struct fcgi_json *j, const char *key, const char *s)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t len, plain;

	if (s == NULL) {
		fcgi_json_null(j, key);
		return;
	}
	/* One pass finds the end of a plain string (NUL is special too):
	 * the names and labels written here are short. */
	for (plain = 0; special[p[plain]] == 0; plain++)
		;
	if (p[plain] == '\0') {
		j_plain_str(j, key, NULL, s, plain);
		return;
	}
	len = plain + strlen(s + plain);
	/* The plain ASCII prefix is valid UTF-8 and ends no sequence. */
	if (fcgi_utf8_valid(p + plain, len - plain)) {
		j_value(j, key, "\"", 1);
		j_escaped(j, p, len);
		j_raw(j, "\"", 1);
		return;
	}
	/* Text from the caller that is not UTF-8 (a label, a message quoting
	 * a peer): C escapes keep it one valid line. */
	j_value(j, key, "\"", 1);
	while (len > 0) {
		char tmp[256];
		size_t take = len < 63 ? len : 63;
		size_t n = fcgi_escape(tmp, sizeof(tmp), p, take);

		j_escaped(j, (const uint8_t *)tmp, n);
		p += take;
		len -= take;
	}
	j_raw(j, "\"", 1);
}

size_t fcgi_base64_encode(char *out, const uint8_t *in, size_t len)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
				       "nopqrstuvwxyz0123456789+/";
	char *o = out;
	size_t i;

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
	return (size_t)(o - out);
}

void fcgi_json_bytes(struct fcgi_json *j, const char *key, const void *data,
		     size_t len)
{
	const uint8_t *p = data;
	size_t plain = plain_run(p, len, true);
	uint8_t *o;

	if (plain == len) {
		j_plain_str(j, key, NULL, p, len);
		return;
	}
	if (fcgi_utf8_valid(p + plain, len - plain)) {
		j_value(j, key, "\"", 1);
		j_escaped(j, p, len);
		j_raw(j, "\"", 1);
		return;
	}
	/* Base64 straight into the output: 4 bytes for each 3, and at most
	 * a quarter of SIZE_MAX. */
	if (len > (SIZE_MAX / 4 - 2) / 4 * 3) {
		j->oom = true;
		return;
	}
	o = j_item(j, key, key != NULL ? "B64" : NULL, 4 * ((len + 2) / 3) + 2);
	if (o == NULL)
		return;
	*o++ = '"';
	o += fcgi_base64_encode((char *)o, p, len);
	*o++ = '"';
	j_done(j, o);
}

/* The decimal digits of v, ending at end; returns where they begin.
 * Numbers are most of a trace's JSON (every record has half a dozen),
 * and this is several times quicker than snprintf. */
static char *digits(char *end, uint64_t v)
{
	static const char pairs[] = "00010203040506070809"
				    "10111213141516171819"
				    "20212223242526272829"
				    "30313233343536373839"
				    "40414243444546474849"
				    "50515253545556575859"
				    "60616263646566676869"
				    "70717273747576777879"
				    "80818283848586878889"
				    "90919293949596979899";

	while (v >= 100) {
		size_t k = (size_t)(v % 100) * 2;

		v /= 100;
		*--end = pairs[k + 1];
		*--end = pairs[k];
	}
	if (v >= 10) {
		*--end = pairs[v * 2 + 1];
		*--end = pairs[v * 2];
	} else {
		*--end = (char)('0' + v);
	}
	return end;
}

void fcgi_json_int(struct fcgi_json *j, const char *key, int64_t v)
{
	char tmp[24], *p;

	p = digits(tmp + sizeof(tmp),
		   v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
	if (v < 0)
		*--p = '-';
	j_value(j, key, p, (size_t)(tmp + sizeof(tmp) - p));
}

void fcgi_json_uint(struct fcgi_json *j, const char *key, uint64_t v)
{
	char tmp[24], *p = digits(tmp + sizeof(tmp), v);

	j_value(j, key, p, (size_t)(tmp + sizeof(tmp) - p));
}

/*
 * v as printf("%.15g") writes it, when v is a whole number of
 * microseconds from 0.0001 to 1e9 (times: every ts): at most 15
 * significant digits, so the digits of the microseconds, without
 * trailing zeros.  Returns the length written to out (32 bytes), or 0
 * for other values.
 */
static size_t micros(char *out, double v)
{
	char tmp[32], *p, *end = tmp + sizeof(tmp);
	double a = fabs(v);
	uint64_t us;

	if (!(a >= 1e-4 && a < 1e9))
		return 0;
	us = (uint64_t)(a * 1e6 + 0.5);
	if ((double)us / 1e6 != a)
		return 0;
	p = digits(end, us % 1000000 + 1000000) + 1; /* six digits */
	while (end[-1] == '0')
		end--;
	if (end > p)
		*--p = '.';
	else
		p = end;
	p = digits(p, us / 1000000);
	if (v < 0)
		*--p = '-';
	memcpy(out, p, (size_t)(end - p));
	return (size_t)(end - p);
}

void fcgi_json_double(struct fcgi_json *j, const char *key, double v)
{
	char tmp[40];
	int n;

	if (!isfinite(v)) {
		fcgi_json_null(j, key);
		return;
	}
	/* Integral values print as integers; others with up to 15
	 * significant digits, enough for microseconds of any timestamp. */
	if (v == (double)(int64_t)v && fabs(v) < 9e15) {
		fcgi_json_int(j, key, (int64_t)v);
		return;
	}
	n = (int)micros(tmp, v);
	if (n == 0)
		n = snprintf(tmp, sizeof(tmp), "%.15g", v);
	j_value(j, key, tmp, (size_t)n);
}

void fcgi_json_bool(struct fcgi_json *j, const char *key, bool v)
{
	if (v)
		j_value(j, key, "true", 4);
	else
		j_value(j, key, "false", 5);
}

void fcgi_json_null(struct fcgi_json *j, const char *key)
{
	j_value(j, key, "null", 4);
}

void fcgi_json_params(struct fcgi_json *j, const char *key,
		      const struct fcgi_params *p, const char *const *redact)
{
	size_t n = p != NULL ? fcgi_params_count(p) : 0;

	fcgi_json_arr_open(j, key);
	for (size_t i = 0; i < n; i++) {
		struct fcgi_nv nv;
		bool masked = false;

		fcgi_params_at(p, i, &nv);
		for (size_t k = 0; redact != NULL && redact[k] != NULL; k++)
			if (strlen(redact[k]) == nv.name_len &&
			    memcmp(redact[k], nv.name, nv.name_len) == 0)
				masked = true;
		fcgi_json_obj_open(j, NULL);
		fcgi_json_bytes(j, "name", nv.name, nv.name_len);
		if (masked) {
			fcgi_json_bool(j, "redacted", true);
			fcgi_json_uint(j, "valueLength", nv.value_len);
		} else {
			fcgi_json_bytes(j, "value", nv.value, nv.value_len);
		}
		fcgi_json_obj_close(j);
	}
	fcgi_json_arr_close(j);
}

void fcgi_json_violation(struct fcgi_json *j, const struct fcgi_violation *v)
{
	char msg[sizeof(v->message) + 1];

	/* The message may fill its array without a terminator. */
	memcpy(msg, v->message, sizeof(v->message));
	msg[sizeof(v->message)] = '\0';
	fcgi_json_str(j, "code", fcgi_vcode_name(v->code));
	fcgi_json_str(j, "severity", fcgi_severity_name(v->severity));
	fcgi_json_str(j, "dir", fcgi_dir_name(v->dir));
	fcgi_json_uint(j, "offset", v->offset);
	fcgi_json_uint(j, "record", v->record);
	fcgi_json_uint(j, "id", v->request_id);
	fcgi_json_str(j, "message", msg);
}
