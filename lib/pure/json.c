/* SPDX-License-Identifier: MIT */
/*
 * json.c - the one JSON writer: objects appended to a struct fcgi_buf, key
 * by key, with the project's one rule for bytes (fcgitool-trace(5)): a byte
 * string is a JSON string when it is UTF-8 without NUL, and otherwise
 * base64 under the same key with "B64" appended.
 *
 * Every --json line of every command is written by this code, through the
 * renderer (fcgi_render_obj_begin), so there is one escaping, one number
 * format and one bytes rule.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static void j_raw(struct fcgi_json *j, const void *p, size_t n)
{
	struct fcgi_buf *b = j->out;

	if (j->oom || n == 0)
		return;
	/* Most appends fit in what the buffer has. */
	if (n <= b->cap - b->len && (b->max == 0 || n <= b->max - b->len)) {
		memcpy(b->data + b->len, p, n);
		b->len += n;
		return;
	}
	if (fcgi_buf_append(b, p, n) < 0)
		j->oom = true;
}

static void j_rawc(struct fcgi_json *j, char c)
{
	struct fcgi_buf *b = j->out;

	if (!j->oom && b->len < b->cap && (b->max == 0 || b->len < b->max))
		b->data[b->len++] = (uint8_t)c;
	else
		j_raw(j, &c, 1);
}

/* A string's contents, escaped for JSON (RFC 8259, 7); in must be UTF-8. */
static void j_escaped(struct fcgi_json *j, const uint8_t *in, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0;

	while (i < len) {
		size_t run = i;
		char e[6];
		size_t elen = 2;

		while (run < len && in[run] >= 0x20 && in[run] != '"' &&
		       in[run] != '\\')
			run++;
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

/* The comma before an item, and its key when inside an object. */
static void j_key(struct fcgi_json *j, const char *key, const char *suffix)
{
	if (j->depth > 0 && !j->first[j->depth - 1])
		j_rawc(j, ',');
	if (j->depth > 0)
		j->first[j->depth - 1] = false;
	if (key == NULL)
		return;
	/* Keys are the program's lowerCamelCase ASCII constants (fcgi.h):
	 * nothing to escape. */
	j_rawc(j, '"');
	j_raw(j, key, strlen(key));
	if (suffix != NULL)
		j_raw(j, suffix, strlen(suffix));
	j_raw(j, "\":", 2);
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
	while (j->depth > 0) {
		j_rawc(j, j->kind[j->depth - 1] ? ']' : '}');
		j->depth--;
	}
	if (j->oom)
		return FCGI_ENOMEM;
	return j->overflow ? FCGI_EINVAL : 0;
}

static void j_open(struct fcgi_json *j, const char *key, bool array)
{
	if (j->depth == FCGI_JSON_DEPTH) {
		j->overflow = true;
		return;
	}
	j_key(j, key, NULL);
	j_rawc(j, array ? '[' : '{');
	j->kind[j->depth] = array;
	j->first[j->depth] = true;
	j->depth++;
}

static void j_close(struct fcgi_json *j, bool array)
{
	if (j->depth <= 1 || j->kind[j->depth - 1] != array) {
		j->overflow = true;
		return;
	}
	j_rawc(j, array ? ']' : '}');
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
	size_t len;

	if (s == NULL) {
		fcgi_json_null(j, key);
		return;
	}
	len = strlen(s);
	j_key(j, key, NULL);
	j_rawc(j, '"');
	if (fcgi_utf8_valid((const uint8_t *)s, len)) {
		j_escaped(j, (const uint8_t *)s, len);
	} else {
		/* Text from the caller that is not UTF-8 (a label, a
		 * message quoting a peer): C escapes keep it one valid
		 * line. */
		char tmp[256];
		const uint8_t *p = (const uint8_t *)s;

		while (len > 0) {
			size_t take = len < 63 ? len : 63;
			size_t n = fcgi_escape(tmp, sizeof(tmp), p, take);

			j_escaped(j, (const uint8_t *)tmp, n);
			p += take;
			len -= take;
		}
	}
	j_rawc(j, '"');
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

	if (fcgi_utf8_valid(p, len)) {
		j_key(j, key, NULL);
		j_rawc(j, '"');
		j_escaped(j, p, len);
		j_rawc(j, '"');
		return;
	}
	j_key(j, key, key != NULL ? "B64" : NULL);
	j_rawc(j, '"');
	while (len > 0 && !j->oom) {
		char tmp[4 * 256];
		size_t take = len < 3 * 256 ? len : 3 * 256;

		j_raw(j, tmp, fcgi_base64_encode(tmp, p, take));
		p += take;
		len -= take;
	}
	j_rawc(j, '"');
}

/* The decimal digits of v, ending at end; returns where they begin.
 * Numbers are most of a trace's JSON (every record has half a dozen),
 * and this is several times quicker than snprintf. */
static char *digits(char *end, uint64_t v)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return end;
}

void fcgi_json_int(struct fcgi_json *j, const char *key, int64_t v)
{
	char tmp[24], *p;

	p = digits(tmp + sizeof(tmp),
		   v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
	if (v < 0)
		*--p = '-';
	j_key(j, key, NULL);
	j_raw(j, p, (size_t)(tmp + sizeof(tmp) - p));
}

void fcgi_json_uint(struct fcgi_json *j, const char *key, uint64_t v)
{
	char tmp[24], *p = digits(tmp + sizeof(tmp), v);

	j_key(j, key, NULL);
	j_raw(j, p, (size_t)(tmp + sizeof(tmp) - p));
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
	j_key(j, key, NULL);
	j_raw(j, tmp, (size_t)n);
}

void fcgi_json_bool(struct fcgi_json *j, const char *key, bool v)
{
	j_key(j, key, NULL);
	if (v)
		j_raw(j, "true", 4);
	else
		j_raw(j, "false", 5);
}

void fcgi_json_null(struct fcgi_json *j, const char *key)
{
	j_key(j, key, NULL);
	j_raw(j, "null", 4);
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
