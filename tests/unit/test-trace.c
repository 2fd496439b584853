/* SPDX-License-Identifier: MIT */
/* test-trace.c - the renderer: text and JSON lines, byte for byte. */
#include <sys/resource.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "failmem.h"
#include "fcgi.h"

/* ---- helpers ------------------------------------------------------- */

/* The renderer writes through a sink; these tests keep what it writes in
 * an open_memstream FILE. */
static void file_write(void *ctx, const void *data, size_t len)
{
	assert_int_equal(fwrite(data, 1, len, ctx), len);
}

static struct fcgi_render *render_file(FILE *f,
				       const struct fcgi_render_opts *o)
{
	struct fcgi_sink sink = { file_write, f };
	struct fcgi_render *r;

	return fcgi_render_new(&r, &sink, o) == 0 ? r : NULL;
}

/* Output of one renderer call, captured through open_memstream. */
struct cap {
	char *text;
	size_t len;
	FILE *f;
	struct fcgi_render *r;
};

static void cap_open(struct cap *c, const struct fcgi_render_opts *o)
{
	c->text = NULL;
	c->len = 0;
	c->f = open_memstream(&c->text, &c->len);
	assert_non_null(c->f);
	c->r = render_file(c->f, o);
	assert_non_null(c->r);
}

/* Close the stream; c->text then holds everything written. */
static char *cap_close(struct cap *c)
{
	fcgi_render_free(c->r);
	assert_int_equal(fclose(c->f), 0);
	return c->text;
}

static struct fcgi_record mkrec(uint8_t type, uint16_t id, const void *content,
				size_t len, uint8_t pad)
{
	struct fcgi_record rec;

	memset(&rec, 0, sizeof(rec));
	rec.h.version = 1;
	rec.h.type = type;
	rec.h.request_id = id;
	rec.h.content_length = (uint16_t)len;
	rec.h.padding_length = pad;
	rec.content = content;
	rec.offset = 0;
	rec.number = 1;
	return rec;
}

/* Render one record with opts o (NULL: defaults, colour off). */
static char *render1(const struct fcgi_render_opts *o, const char *label,
		     double ts, enum fcgi_dir dir,
		     const struct fcgi_record *rec)
{
	struct fcgi_render_opts d;
	struct cap c;

	if (o == NULL) {
		fcgi_render_opts_default(&d);
		o = &d;
	}
	cap_open(&c, o);
	fcgi_render_record(c.r, label, ts, dir, rec);
	return cap_close(&c);
}

static char *text1(const char *label, double ts, enum fcgi_dir dir,
		   uint8_t type, uint16_t id, const void *content, size_t len)
{
	struct fcgi_record rec = mkrec(type, id, content, len, 0);

	return render1(NULL, label, ts, dir, &rec);
}

static char *json1(const char *label, double ts, enum fcgi_dir dir,
		   uint8_t type, uint16_t id, const void *content, size_t len)
{
	struct fcgi_render_opts o;
	struct fcgi_record rec = mkrec(type, id, content, len, 0);

	fcgi_render_opts_default(&o);
	o.json = true;
	return render1(&o, label, ts, dir, &rec);
}

static void expect_str(char *got, const char *want)
{
	assert_string_equal(got, want);
	free(got);
}

/* Hand-encode one pair (FastCGI 1.0, 3.4), independent of lib/nv.c. */
static size_t put_pair(uint8_t *p, const void *name, size_t nlen,
		       const void *value, size_t vlen)
{
	size_t n = 0;
	size_t lens[2] = { nlen, vlen };

	for (int i = 0; i < 2; i++) {
		if (lens[i] < 128) {
			p[n++] = (uint8_t)lens[i];
		} else {
			p[n++] = (uint8_t)(0x80 | (lens[i] >> 24));
			p[n++] = (uint8_t)(lens[i] >> 16);
			p[n++] = (uint8_t)(lens[i] >> 8);
			p[n++] = (uint8_t)lens[i];
		}
	}
	memcpy(p + n, name, nlen);
	n += nlen;
	memcpy(p + n, value, vlen);
	return n + vlen;
}

static size_t put_spair(uint8_t *p, const char *name, const char *value)
{
	return put_pair(p, name, strlen(name), value, strlen(value));
}

/* RFC 4648 base64 decoder for checking the renderer's output. */
static size_t b64_decode(const char *s, uint8_t *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrst"
				"uvwxyz0123456789+/";
	size_t n = 0, len = strlen(s);
	uint32_t acc = 0;
	int bits = 0;

	assert_int_equal(len % 4, 0);
	for (size_t i = 0; i < len && s[i] != '='; i++) {
		const char *p = strchr(a, s[i]);

		assert_non_null(p);
		acc = acc << 6 | (uint32_t)(p - a);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	return n;
}

/* Parse one JSON line (exactly one, newline-terminated). */
static cJSON *parse_line(const char *line)
{
	size_t len = strlen(line);
	cJSON *j;

	assert_true(len > 0);
	assert_int_equal(line[len - 1], '\n');
	assert_null(memchr(line, '\n', len - 1));
	j = cJSON_ParseWithLength(line, len);
	assert_non_null(j);
	assert_true(cJSON_IsObject(j));
	return j;
}

/* Every key of j is in the documented list, and each required key is
 * present.  keys: "name:type" with type s (string), n (number), b (bool),
 * a (array); a leading '?' marks an optional key. */
static void check_keys(const cJSON *j, const char *const *keys)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, j)
	{
		int found = 0;

		for (const char *const *k = keys; *k != NULL; k++) {
			const char *name = **k == '?' ? *k + 1 : *k;
			size_t nl = (size_t)(strchr(name, ':') - name);
			char t = name[nl + 1];

			if (strlen(it->string) != nl ||
			    memcmp(it->string, name, nl) != 0)
				continue;
			found = 1;
			if (t == 's')
				assert_true(cJSON_IsString(it));
			else if (t == 'n')
				assert_true(cJSON_IsNumber(it));
			else if (t == 'b')
				assert_true(cJSON_IsBool(it));
			else if (t == 'a')
				assert_true(cJSON_IsArray(it));
		}
		if (!found)
			fail_msg("undocumented key \"%s\"", it->string);
	}
	for (const char *const *k = keys; *k != NULL; k++) {
		char name[64];

		if (**k == '?')
			continue;
		snprintf(name, sizeof(name), "%.*s",
			 (int)(strchr(*k, ':') - *k), *k);
		if (!cJSON_HasObjectItem(j, name))
			fail_msg("missing key \"%s\"", name);
	}
}

static const char *const record_keys[] = {
	"?ts:n",
	"?conn:s",
	"kind:s",
	"dir:s",
	"offset:n",
	"record:n",
	"type:s",
	"typeCode:n",
	"id:n",
	"contentLength:n",
	"paddingLength:n",
	"?role:s",
	"?roleCode:n",
	"?flags:n",
	"?keepConn:b",
	"?appStatus:n",
	"?protocolStatus:s",
	"?protocolStatusCode:n",
	"?unknownType:n",
	"?pairs:n",
	"?partialBytes:n",
	"?unfinishedBytes:n",
	"?params:a",
	"?data:s",
	"?dataB64:s",
	"?truncated:b",
	"?dataLength:n",
	"?bodyError:s",
	NULL,
};
static const char *const violation_keys[] = {
	"?ts:n",    "?conn:s",	"kind:s", "code:s",    "severity:s", "dir:s",
	"offset:n", "record:n", "id:n",	  "message:s", NULL,
};
static const char *const note_keys[] = {
	"?ts:n", "?conn:s", "kind:s", "what:s", "?detail:s", NULL,
};
static const char *const param_keys[] = {
	"?name:s",	  "?nameB64:s",	  "?value:s",	  "?valueB64:s",
	"?redacted:b",	  "?continued:b", "?truncated:b", "?nameLength:n",
	"?valueLength:n", NULL,
};

static const uint8_t begin_rk[8] = { 0, 1, 1, 0, 0, 0, 0, 0 };
static const uint8_t end_ok[8] = { 0, 0, 0, 0, 0, 0, 0, 0 };

/* ---- fcgi_escape ----------------------------------------------------- */

/* What one byte must become, spelled out case by case. */
static const char *escaped_byte(unsigned c, char buf[8])
{
	if (c == '\r')
		return "\\r";
	if (c == '\n')
		return "\\n";
	if (c == '\t')
		return "\\t";
	if (c == '\\')
		return "\\\\";
	if (c == '"')
		return "\\\"";
	if (c >= 0x20 && c <= 0x7e) {
		buf[0] = (char)c;
		buf[1] = '\0';
		return buf;
	}
	snprintf(buf, 8, "\\x%02x", c);
	return buf;
}

static void test_trace_escape_every_byte(void **state)
{
	char out[8], want[8], all[1100], joined[1100];
	uint8_t in[256];
	size_t n, jl = 0;

	(void)state;
	for (unsigned c = 0; c < 256; c++) {
		uint8_t b = (uint8_t)c;
		const char *w = escaped_byte(c, want);

		n = fcgi_escape(out, sizeof(out), &b, 1);
		assert_string_equal(out, w);
		assert_int_equal(n, strlen(w));
		in[c] = b;
		memcpy(joined + jl, w, strlen(w));
		jl += strlen(w);
	}
	joined[jl] = '\0';
	n = fcgi_escape(all, sizeof(all), in, sizeof(in));
	assert_int_equal(n, jl);
	assert_string_equal(all, joined);
	/* Spot checks written out by hand. */
	n = fcgi_escape(all, sizeof(all), (const uint8_t *)"\x00\x7f", 2);
	assert_string_equal(all, "\\x00\\x7f");
	/* One byte short of both escapes and the NUL: only the first. */
	n = fcgi_escape(out, sizeof(out), (const uint8_t *)"\x00\x7f", 2);
	assert_string_equal(out, "\\x00");
	assert_int_equal(n, 4);
	n = fcgi_escape(out, sizeof(out), (const uint8_t *)"\xff", 1);
	assert_string_equal(out, "\\xff");
	n = fcgi_escape(out, sizeof(out), (const uint8_t *)"a\"b\\", 4);
	assert_string_equal(out, "a\\\"b\\\\");
	assert_int_equal(n, 6);
}

static void test_trace_escape_never_overflows(void **state)
{
	const uint8_t in[] = { 'a', '"', 0x01, 'b', '\n' };
	const char *full = "a\\\"\\x01b\\n";
	/* Prefix lengths that end on a whole escape. */
	const size_t cuts[] = { 0, 1, 3, 7, 8, 10 };
	char buf[32];

	(void)state;
	assert_int_equal(fcgi_escape(NULL, 0, in, sizeof(in)), 0);
	for (size_t n = 0; n <= 20; n++) {
		size_t got, want = 0;

		memset(buf, '#', sizeof(buf));
		got = fcgi_escape(buf, n, in, sizeof(in));
		for (size_t k = 0; k < sizeof(cuts) / sizeof(cuts[0]); k++)
			if (cuts[k] < n)
				want = cuts[k];
		if (n == 0) {
			assert_int_equal(got, 0);
			assert_int_equal(buf[0], '#');
			continue;
		}
		assert_int_equal(got, want);
		assert_int_equal(buf[got], '\0');
		assert_memory_equal(buf, full, got);
		for (size_t k = n; k < sizeof(buf); k++)
			assert_int_equal(buf[k], '#');
	}
	/* Empty input still terminates. */
	buf[0] = 'x';
	assert_int_equal(fcgi_escape(buf, 1, in, 0), 0);
	assert_int_equal(buf[0], '\0');
}

/* ---- text: one test per record type ---------------------------------- */

static void test_trace_text_begin(void **state)
{
	const uint8_t filter[8] = { 0, 3, 0, 0, 0, 0, 0, 0 };
	const uint8_t odd[8] = { 0x01, 0x00, 0x06, 0, 0, 0, 0, 0 };

	(void)state;
	expect_str(text1("c1", 0.000412, FCGI_DIR_TO_APP, FCGI_BEGIN_REQUEST, 1,
			 begin_rk, 8),
		   "0.000412 c1 -> BEGIN_REQUEST      id=1 len=8      "
		   "role=RESPONDER flags=KEEP_CONN\n");
	expect_str(text1(NULL, -1, FCGI_DIR_TO_APP, FCGI_BEGIN_REQUEST, 2,
			 filter, 8),
		   "-> BEGIN_REQUEST      id=2 len=8      role=FILTER "
		   "flags=0x00\n");
	expect_str(
		text1(NULL, -1, FCGI_DIR_TO_APP, FCGI_BEGIN_REQUEST, 65535, odd,
		      8),
		"-> BEGIN_REQUEST      id=65535 len=8  role=256 flags=0x06\n");
}

static void test_trace_text_end(void **state)
{
	const uint8_t big[8] = { 0xff, 0xff, 0xff, 0xff, 3, 0, 0, 0 };
	const uint8_t bad[8] = { 0, 0, 1, 0x90, 9, 0, 0, 0 };

	(void)state;
	expect_str(text1("c1", 0.00121, FCGI_DIR_TO_WEB, FCGI_END_REQUEST, 1,
			 end_ok, 8),
		   "0.001210 c1 <- END_REQUEST        id=1 len=8      "
		   "appStatus=0 protocolStatus=REQUEST_COMPLETE\n");
	expect_str(
		text1(NULL, -1, FCGI_DIR_TO_WEB, FCGI_END_REQUEST, 1, big, 8),
		"<- END_REQUEST        id=1 len=8      appStatus=4294967295 "
		"protocolStatus=UNKNOWN_ROLE\n");
	expect_str(
		text1(NULL, -1, FCGI_DIR_TO_WEB, FCGI_END_REQUEST, 1, bad, 8),
		"<- END_REQUEST        id=1 len=8      appStatus=400 "
		"protocolStatus=9\n");
}

static void test_trace_text_abort(void **state)
{
	(void)state;
	expect_str(text1("c1", 1.5, FCGI_DIR_TO_APP, FCGI_ABORT_REQUEST, 3,
			 NULL, 0),
		   "1.500000 c1 -> ABORT_REQUEST      id=3 len=0\n");
}

static void test_trace_text_unknown_type(void **state)
{
	const uint8_t body[8] = { 42, 0, 0, 0, 0, 0, 0, 0 };
	const uint8_t known[8] = { FCGI_GET_VALUES, 0, 0, 0, 0, 0, 0, 0 };

	(void)state;
	expect_str(
		text1(NULL, -1, FCGI_DIR_TO_WEB, FCGI_UNKNOWN_TYPE, 0, body, 8),
		"<- UNKNOWN_TYPE       id=0 len=8      type=42\n");
	expect_str(
		text1(NULL, -1, FCGI_DIR_TO_WEB, FCGI_UNKNOWN_TYPE, 0, known,
		      8),
		"<- UNKNOWN_TYPE       id=0 len=8      type=9 (GET_VALUES)\n");
}

static void test_trace_text_type_outside_spec(void **state)
{
	(void)state;
	expect_str(text1(NULL, -1, FCGI_DIR_TO_APP, 42, 0, "abc", 3),
		   "-> TYPE_42            id=0 len=3      \"abc\"\n");
	expect_str(text1(NULL, -1, FCGI_DIR_TO_APP, 0, 1, NULL, 0),
		   "-> TYPE_0             id=1 len=0\n");
	expect_str(text1(NULL, -1, FCGI_DIR_TO_APP, 255, 7, NULL, 0),
		   "-> TYPE_255           id=7 len=0\n");
}

static void test_trace_text_streams(void **state)
{
	const char *cgi = "Status: 200 OK\r\nContent-Type: text/plain\r\n\r\n"
			  "hello\n";

	(void)state;
	expect_str(text1("c1", 0.001203, FCGI_DIR_TO_WEB, FCGI_STDOUT, 1, cgi,
			 strlen(cgi)),
		   "0.001203 c1 <- STDOUT             id=1 len=50     "
		   "\"Status: 200 OK\\r\\nContent-Type: text/plain\\r\\n\\r\\n"
		   "hello\\n\"\n");
	expect_str(text1(NULL, -1, FCGI_DIR_TO_WEB, FCGI_STDOUT, 1, NULL, 0),
		   "<- STDOUT             id=1 len=0      end of stream\n");
	expect_str(
		text1(NULL, -1, FCGI_DIR_TO_WEB, FCGI_STDERR, 1, "oops\t!", 6),
		"<- STDERR             id=1 len=6      \"oops\\t!\"\n");
	expect_str(
		text1(NULL, -1, FCGI_DIR_TO_APP, FCGI_STDIN, 1, "a=1&b=\"2\"",
		      9),
		"-> STDIN              id=1 len=9      \"a=1&b=\\\"2\\\"\"\n");
	expect_str(text1(NULL, -1, FCGI_DIR_TO_APP, FCGI_STDIN, 1, NULL, 0),
		   "-> STDIN              id=1 len=0      end of stream\n");
	expect_str(text1(NULL, -1, FCGI_DIR_TO_APP, FCGI_DATA, 1, "\0\x01", 2),
		   "-> DATA               id=1 len=2      \"\\x00\\x01\"\n");
}

/* Each byte that needs an escape (and DEL, and a high byte) at each
 * position of bodies of 1 to 24 bytes: the renderer scans eight bytes at
 * a time, and must give what fcgi_escape gives byte by byte. */
static void test_trace_text_escape_positions(void **state)
{
	static const uint8_t odd[] = { 0x00, 0x1f, '\t', '"',
				       '\\', 0x7f, 0x80, 0xff };
	uint8_t in[24];
	char want[256], esc[128], fields[32];
	size_t n;

	(void)state;
	for (size_t len = 1; len <= sizeof(in); len++) {
		for (size_t at = 0; at < len; at++) {
			for (size_t k = 0; k < sizeof(odd); k++) {
				memset(in, 'a' + (int)(len % 26), len);
				in[at] = odd[k];
				n = fcgi_escape(esc, sizeof(esc), in, len);
				assert_true(n < sizeof(esc) - 1);
				snprintf(fields, sizeof(fields), "id=1 len=%zu",
					 len);
				snprintf(
					want, sizeof(want),
					"<- STDOUT             %-14s  \"%s\"\n",
					fields, esc);
				expect_str(text1(NULL, -1, FCGI_DIR_TO_WEB,
						 FCGI_STDOUT, 1, in, len),
					   want);
			}
		}
	}
}

static void test_trace_text_padding(void **state)
{
	struct fcgi_record rec = mkrec(FCGI_STDOUT, 1, "hello", 5, 3);

	(void)state;
	expect_str(render1(NULL, NULL, -1, FCGI_DIR_TO_WEB, &rec),
		   "<- STDOUT             id=1 len=5 pad=3  \"hello\"\n");
	rec = mkrec(FCGI_BEGIN_REQUEST, 1, begin_rk, 8, 255);
	expect_str(render1(NULL, NULL, -1, FCGI_DIR_TO_APP, &rec),
		   "-> BEGIN_REQUEST      id=1 len=8 pad=255  "
		   "role=RESPONDER flags=KEEP_CONN\n");
}

static void test_trace_text_body_limit(void **state)
{
	struct fcgi_render_opts o;
	uint8_t body[1000];
	struct fcgi_record rec;
	char *want, *got;

	(void)state;
	memset(body, 'x', sizeof(body));
	rec = mkrec(FCGI_STDOUT, 1, body, 100, 0);
	/* Default 64 bytes, then the rest is counted. */
	got = render1(NULL, NULL, -1, FCGI_DIR_TO_WEB, &rec);
	assert_string_equal(got, "<- STDOUT             id=1 len=100    \""
				 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
				 "xxxxxxxxxxxxxxxxxxx"
				 "\" ... (+36 bytes)\n");
	free(got);
	/* Exactly at the limit: no cut. */
	rec = mkrec(FCGI_STDOUT, 1, body, 64, 0);
	got = render1(NULL, NULL, -1, FCGI_DIR_TO_WEB, &rec);
	assert_null(strstr(got, "..."));
	free(got);
	/* A small limit, and 0 meaning the default. */
	fcgi_render_opts_default(&o);
	o.body_limit = 3;
	rec = mkrec(FCGI_STDIN, 1, "\r\n\x80zz", 5, 0);
	expect_str(render1(&o, NULL, -1, FCGI_DIR_TO_APP, &rec),
		   "-> STDIN              id=1 len=5      \"\\r\\n\\x80\" ... "
		   "(+2 bytes)\n");
	o.body_limit = 0;
	rec = mkrec(FCGI_STDOUT, 1, body, 65, 0);
	got = render1(&o, NULL, -1, FCGI_DIR_TO_WEB, &rec);
	assert_non_null(strstr(got, "\" ... (+1 bytes)\n"));
	free(got);
	/* A large limit crosses the escaper's chunks: 1000 escaped bytes. */
	memset(body, 0x01, sizeof(body));
	o.body_limit = 1000;
	rec = mkrec(FCGI_STDOUT, 1, body, sizeof(body), 0);
	got = render1(&o, NULL, -1, FCGI_DIR_TO_WEB, &rec);
	want = malloc(4000 + 64);
	assert_non_null(want);
	{
		const char *head = "<- STDOUT             id=1 len=1000   \"";
		size_t k = strlen(head);

		memcpy(want, head, k);
		for (int i = 0; i < 1000; i++, k += 4)
			memcpy(want + k, "\\x01", 4);
		memcpy(want + k, "\"\n", 3);
	}
	assert_string_equal(got, want);
	free(want);
	free(got);
}

static void test_trace_text_bad_body_length(void **state)
{
	const uint8_t nine[9] = { 0 };

	(void)state;
	expect_str(text1(NULL, -1, FCGI_DIR_TO_APP, FCGI_BEGIN_REQUEST, 1,
			 begin_rk, 5),
		   "-> BEGIN_REQUEST      id=1 len=5      body 5 bytes, "
		   "expected 8\n");
	expect_str(
		text1(NULL, -1, FCGI_DIR_TO_WEB, FCGI_END_REQUEST, 1, NULL, 0),
		"<- END_REQUEST        id=1 len=0      body 0 bytes, expected "
		"8\n");
	expect_str(
		text1(NULL, -1, FCGI_DIR_TO_WEB, FCGI_UNKNOWN_TYPE, 0, nine, 9),
		"<- UNKNOWN_TYPE       id=0 len=9      body 9 bytes, expected "
		"8\n");
}

static void test_trace_text_params(void **state)
{
	uint8_t buf[256];
	size_t n = 0;

	(void)state;
	n += put_spair(buf + n, "REQUEST_METHOD", "GET");
	n += put_spair(buf + n, "SCRIPT_FILENAME", "/srv/www/index.php");
	n += put_spair(buf + n, "QUERY_STRING", "");
	n += put_spair(buf + n, "X\n", "a\"b");
	expect_str(
		text1("c1", 0.000415, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, buf, n),
		"0.000415 c1 -> PARAMS             id=1 len=75     4 pairs\n"
		"                 REQUEST_METHOD = GET\n"
		"                 SCRIPT_FILENAME = /srv/www/index.php\n"
		"                 QUERY_STRING =\n"
		"                 X\\n = a\\\"b\n");
	/* Without ts and label the pair lines move left with the type. */
	n = put_spair(buf, "A", "1");
	expect_str(text1(NULL, -1, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, buf, n),
		   "-> PARAMS             id=1 len=4      1 pair\n"
		   "     A = 1\n");
	expect_str(
		text1("c1", 0.000416, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, NULL, 0),
		"0.000416 c1 -> PARAMS             id=1 len=0      end of "
		"stream\n");
}

static void test_trace_text_prefix(void **state)
{
	uint8_t buf[16];
	size_t n;

	(void)state;
	n = put_spair(buf, "A", "1");
	/* The pair lines follow the printed width of an escaped label. */
	expect_str(
		text1("a\tb", 12.25, FCGI_DIR_TO_WEB, FCGI_GET_VALUES_RESULT, 0,
		      buf, n),
		"12.250000 a\\tb <- GET_VALUES_RESULT  id=0 len=4      1 pair\n"
		"                    A = 1\n");
	/* Not a number, or infinite: no time stamp. */
	expect_str(text1("c1", NAN, FCGI_DIR_TO_APP, FCGI_ABORT_REQUEST, 1,
			 NULL, 0),
		   "c1 -> ABORT_REQUEST      id=1 len=0\n");
	expect_str(text1(NULL, INFINITY, FCGI_DIR_TO_APP, FCGI_ABORT_REQUEST, 1,
			 NULL, 0),
		   "-> ABORT_REQUEST      id=1 len=0\n");
	expect_str(json1(NULL, NAN, FCGI_DIR_TO_APP, FCGI_ABORT_REQUEST, 1,
			 NULL, 0),
		   "{\"kind\":\"record\",\"dir\":\"to-app\",\"offset\":0,"
		   "\"record\":1,"
		   "\"type\":\"ABORT_REQUEST\",\"typeCode\":2,\"id\":1,"
		   "\"contentLength\":0,\"paddingLength\":0}\n");
	/* Rounded to microseconds in JSON as in text; huge values pass. */
	expect_str(
		json1(NULL, 1.0000004, FCGI_DIR_TO_APP, FCGI_ABORT_REQUEST, 1,
		      NULL, 0),
		"{\"ts\":1,\"kind\":\"record\",\"dir\":\"to-app\",\"offset\":0,"
		"\"record\":1,\"type\":\"ABORT_REQUEST\",\"typeCode\":2,\"id\":"
		"1,"
		"\"contentLength\":0,\"paddingLength\":0}\n");
	expect_str(json1(NULL, 1e20, FCGI_DIR_TO_APP, FCGI_ABORT_REQUEST, 1,
			 NULL, 0),
		   "{\"ts\":1e+20,\"kind\":\"record\",\"dir\":\"to-app\","
		   "\"offset\":0,"
		   "\"record\":1,\"type\":\"ABORT_REQUEST\",\"typeCode\":2,"
		   "\"id\":1,"
		   "\"contentLength\":0,\"paddingLength\":0}\n");
}

/* One time stamp as the renderer writes it and as printf's "%.6f" does;
 * a note is the shortest line that carries one. */
static void expect_ts_as_printf(FILE *f, struct fcgi_render *r, char **text,
				size_t *len, double ts)
{
	char want[512];
	size_t at;

	assert_int_equal(fflush(f), 0);
	at = *len;
	fcgi_render_note(r, NULL, ts, "x", NULL);
	assert_int_equal(fflush(f), 0);
	/* A negative or non-finite ts is not shown at all. */
	if (ts >= 0 && isfinite(ts))
		snprintf(want, sizeof(want), "%.6f ** x\n", ts);
	else
		snprintf(want, sizeof(want), "** x\n");
	if (strcmp(*text + at, want) != 0)
		fail_msg("ts %a: got \"%s\", printf gives \"%s\"", ts,
			 *text + at, want);
}

static void test_trace_text_ts_as_printf(void **state)
{
	static const double fixed[] = {
		0.0,
		-0.0,
		0.0000005,
		0.0000015,
		0.0000025,
		0.00000049999,
		0.0000004999999999,
		0.9999995,
		0.99999949999,
		0.99999950001,
		1.9999995,
		59.9999999,
		59.9999995,
		9.9999995,
		99.9999995,
		0.0078125,
		0.0234375,
		0.5,
		1.0000005,
		12.25,
		123.4567885,
		4294967295.9999995,
		4294967296.0,
		1e9,
		1e9 + 0.5e-6,
		1e12,
		999999999999999.9,
		1e15,
		1e15 + 0.125,
		1e16,
		1e20,
		1e300,
		9007199254740992.0,
		1.7976931348623157e308,
		5e-324,
		2.2250738585072014e-308,
		-1,
		-1e-300,
		NAN,
		-NAN,
		INFINITY,
		-INFINITY,
	};
	uint64_t x = 0x9e3779b97f4a7c15u; /* xorshift64, fixed seed */
	char *text = NULL;
	size_t len = 0;
	struct fcgi_render_opts o;
	struct fcgi_render *r;
	FILE *f;
	double ts;

	(void)state;
	f = open_memstream(&text, &len);
	assert_non_null(f);
	fcgi_render_opts_default(&o);
	r = render_file(f, &o);
	assert_non_null(r);
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		expect_ts_as_printf(f, r, &text, &len, fixed[i]);
		/* Each value's neighbours: a boundary's both sides. */
		expect_ts_as_printf(f, r, &text, &len,
				    nextafter(fixed[i], -INFINITY));
		expect_ts_as_printf(f, r, &text, &len,
				    nextafter(fixed[i], INFINITY));
	}
	for (int i = 0; i < 40000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		switch (i % 4) {
		case 0: /* uniform in [0, 1e7) */
			ts = (double)(x >> 11) / 9007199254740992.0 * 1e7;
			break;
		case 1: /* a half microsecond, and the doubles around it */
			ts = (double)(x % 10000000000u) / 1e6 + 0.5e-6;
			ts = nextafter(ts, (x >> 40) % 3 == 0	? -INFINITY
					   : (x >> 40) % 3 == 1 ? INFINITY
								: ts);
			break;
		case 2: /* just below a whole second */
			ts = (double)(x % 100000u) + 0.9999995 +
			     (double)((x >> 20) % 16) * 1e-8 - 8e-8;
			break;
		default: /* any bit pattern: NaN, inf, huge, tiny */
			memcpy(&ts, &x, sizeof(ts));
			break;
		}
		expect_ts_as_printf(f, r, &text, &len, ts);
	}
	fcgi_render_free(r);
	assert_int_equal(fclose(f), 0);
	free(text);
}

/* fcgi_fmt_fixed against printf's "%.*f", every number of places. */
static void test_trace_fmt_fixed_as_printf(void **state)
{
	static const double fixed[] = { 0.0,
					-0.0,
					0.5,
					1.5,
					2.5,
					0.25,
					0.125,
					0.0625,
					0.0005,
					0.0015,
					0.9995,
					0.99995,
					1.0005,
					12.3455,
					99.9995,
					999.9995,
					1e6 - 0.0005,
					0.0000005,
					0.0000015,
					123.4567885,
					4294967295.9999995,
					999999999999999.9,
					1e15,
					1e300,
					5e-324,
					-1,
					-0.0015,
					NAN,
					INFINITY,
					-INFINITY };
	uint64_t x = 0x2545f4914f6cdd1du; /* xorshift64, fixed seed */
	char got[600], want[600];
	double v;
	size_t n;

	(void)state;
	for (unsigned places = 0; places <= 7; places++) {
		for (int i = 0; i < 20000; i++) {
			if ((size_t)i < sizeof(fixed) / sizeof(fixed[0]) * 3) {
				v = fixed[i / 3];
				if (i % 3 != 0)
					v = nextafter(v, i % 3 == 1 ? -INFINITY
								    : INFINITY);
			} else {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				/* A half unit of the last place, and the
				 * doubles around it; or any value up to
				 * 1e7. */
				if (i % 2 == 0)
					v = ((double)(x % 100000000u) + 0.5) /
					    pow(10, places);
				else
					v = (double)(x >> 11) /
					    9007199254740992.0 * 1e7;
				v = nextafter(v, (x >> 40) % 3 == 0 ? -INFINITY
						 : (x >> 40) % 3 == 1 ? INFINITY
								      : v);
			}
			n = fcgi_fmt_fixed(got, sizeof(got), v, places);
			snprintf(want, sizeof(want), "%.*f", (int)places, v);
			if (n != strlen(want) || strcmp(got, want) != 0)
				fail_msg("%a with %u places: got \"%s\", "
					 "printf gives \"%s\"",
					 v, places, got, want);
		}
	}
}

static void test_trace_text_params_hidden(void **state)
{
	struct fcgi_render_opts o;
	struct fcgi_record rec;
	uint8_t buf[64];
	size_t n = 0;

	(void)state;
	n += put_spair(buf + n, "A", "1");
	n += put_spair(buf + n, "B", "2");
	fcgi_render_opts_default(&o);
	o.show_params = false;
	rec = mkrec(FCGI_PARAMS, 1, buf, n, 0);
	expect_str(render1(&o, NULL, -1, FCGI_DIR_TO_APP, &rec),
		   "-> PARAMS             id=1 len=8      2 pairs\n");
}

static void test_trace_text_values(void **state)
{
	uint8_t buf[128];
	size_t n = 0;

	(void)state;
	n += put_spair(buf + n, "FCGI_MAX_CONNS", "");
	n += put_spair(buf + n, "FCGI_MPXS_CONNS", "");
	expect_str(text1(NULL, -1, FCGI_DIR_TO_APP, FCGI_GET_VALUES, 0, buf, n),
		   "-> GET_VALUES         id=0 len=33     2 pairs\n"
		   "     FCGI_MAX_CONNS =\n"
		   "     FCGI_MPXS_CONNS =\n");
	n = put_spair(buf, "FCGI_MPXS_CONNS", "0");
	expect_str(text1(NULL, -1, FCGI_DIR_TO_WEB, FCGI_GET_VALUES_RESULT, 0,
			 buf, n),
		   "<- GET_VALUES_RESULT  id=0 len=18     1 pair\n"
		   "     FCGI_MPXS_CONNS = 0\n");
	/* An empty GET_VALUES is not the end of a stream. */
	expect_str(
		text1(NULL, -1, FCGI_DIR_TO_APP, FCGI_GET_VALUES, 0, NULL, 0),
		"-> GET_VALUES         id=0 len=0      0 pairs\n");
}

static void test_trace_text_params_split(void **state)
{
	uint8_t buf[600], pair[300];
	size_t n = 0, pl;
	char big[200];

	(void)state;
	/* A whole pair, then the first 5 bytes of "HTTP_ACCEPT=hello". */
	n += put_spair(buf + n, "A", "1");
	pl = put_spair(pair, "HTTP_ACCEPT", "hello");
	memcpy(buf + n, pair, 5);
	expect_str(text1(NULL, -1, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, buf, n + 5),
		   "-> PARAMS             id=1 len=9      1 pair\n"
		   "     A = 1\n"
		   "     (5 bytes of a pair continue in the next record)\n");
	assert_true(pl > 5);
	/* Cut inside a 4-byte length: 2 bytes of it. */
	memset(big, 'v', sizeof(big));
	pl = put_pair(pair, "N", 1, big, sizeof(big));
	assert_int_equal(pair[1] & 0x80, 0x80);
	expect_str(text1(NULL, -1, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, pair, 2),
		   "-> PARAMS             id=1 len=2      0 pairs\n"
		   "     (2 bytes of a pair continue in the next record)\n");
	/* Cut inside the value. */
	expect_str(text1(NULL, -1, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, pair, 50),
		   "-> PARAMS             id=1 len=50     0 pairs\n"
		   "     (50 bytes of a pair continue in the next record)\n");
	/* The end of a split pair, decoded on its own, is whatever its
	 * bytes say; here "vv..." declares lengths 0x76 and the rest. */
	assert_true(pl == 206);
}

static void test_trace_text_redact(void **state)
{
	const char *const mask[] = { "SECRET", NULL };
	struct fcgi_render_opts o;
	struct fcgi_record rec;
	uint8_t buf[256];
	size_t n = 0;

	(void)state;
	n += put_spair(buf + n, "HTTP_COOKIE", "sid=1");
	n += put_spair(buf + n, "HTTP_AUTHORIZATION", "Basic eDp5");
	n += put_spair(buf + n, "http_cookie", "shown");
	n += put_spair(buf + n, "SECRET", "s");
	/* Defaults mask the two HTTP headers, case-sensitively. */
	expect_str(text1(NULL, -1, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, buf, n),
		   "-> PARAMS             id=1 len=75     4 pairs\n"
		   "     HTTP_COOKIE = ***\n"
		   "     HTTP_AUTHORIZATION = ***\n"
		   "     http_cookie = shown\n"
		   "     SECRET = s\n");
	fcgi_render_opts_default(&o);
	o.redact = mask;
	rec = mkrec(FCGI_PARAMS, 1, buf, n, 0);
	expect_str(render1(&o, NULL, -1, FCGI_DIR_TO_APP, &rec),
		   "-> PARAMS             id=1 len=75     4 pairs\n"
		   "     HTTP_COOKIE = sid=1\n"
		   "     HTTP_AUTHORIZATION = Basic eDp5\n"
		   "     http_cookie = shown\n"
		   "     SECRET = ***\n");
	o.redact = NULL;
	expect_str(render1(&o, NULL, -1, FCGI_DIR_TO_APP, &rec),
		   "-> PARAMS             id=1 len=75     4 pairs\n"
		   "     HTTP_COOKIE = sid=1\n"
		   "     HTTP_AUTHORIZATION = Basic eDp5\n"
		   "     http_cookie = shown\n"
		   "     SECRET = s\n");
	/* An empty secret is masked too. */
	n = put_spair(buf, "HTTP_COOKIE", "");
	expect_str(text1(NULL, -1, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, buf, n),
		   "-> PARAMS             id=1 len=13     1 pair\n"
		   "     HTTP_COOKIE = ***\n");
}

static void test_trace_text_violation_and_note(void **state)
{
	struct fcgi_render_opts o;
	struct fcgi_violation v;
	struct cap c;

	(void)state;
	memset(&v, 0, sizeof(v));
	v.code = FCGI_V_BAD_VERSION;
	v.severity = FCGI_SEV_SPEC;
	v.dir = FCGI_DIR_TO_WEB;
	v.offset = 0;
	v.record = 1;
	v.request_id = 0;
	snprintf(v.message, sizeof(v.message), "bad version 3, expected 1");
	fcgi_render_opts_default(&o);
	cap_open(&c, &o);
	fcgi_render_violation(c.r, "c1", 0.0013, &v);
	fcgi_render_note(c.r, "c1", 0.0014, "connected", "127.0.0.1:9000");
	fcgi_render_note(c.r, NULL, -1, "closed", NULL);
	v.code = FCGI_V_NV_SPLIT;
	v.severity = FCGI_SEV_INTEROP;
	v.dir = FCGI_DIR_TO_APP;
	v.offset = 123456789012ULL;
	v.record = 7;
	v.request_id = 65535;
	/* A message that fills its array, and a control byte in it. */
	memset(v.message, 'm', sizeof(v.message));
	v.message[0] = '\n';
	fcgi_render_violation(c.r, NULL, -1, &v);
	fcgi_render_note(c.r, "a\tb", -1, "what\x1b", "x\ny");
	assert_string_equal(
		cap_close(&c),
		"0.001300 c1 !! spec bad-version to-web offset=0 record=1 "
		"id=0: "
		"bad version 3, expected 1\n"
		"0.001400 c1 ** connected 127.0.0.1:9000\n"
		"** closed\n"
		"!! interop nv-split to-app offset=123456789012 record=7 "
		"id=65535: \\n"
		"mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm"
		"mm"
		"mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm"
		"mm"
		"mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm\n"
		"a\\tb ** what\\x1b x\\ny\n");
	free(c.text);
}

/* The whole example of fcgitool-trace(5), in one stream. */
static void test_trace_text_conversation(void **state)
{
	const char *cgi = "Status: 200 OK\r\n\r\nhi";
	uint8_t buf[128];
	struct fcgi_record rec;
	struct cap c;
	size_t n = 0;

	(void)state;
	n += put_spair(buf + n, "REQUEST_METHOD", "GET");
	n += put_spair(buf + n, "SCRIPT_FILENAME", "/srv/www/index.php");
	cap_open(&c, NULL);
	rec = mkrec(FCGI_BEGIN_REQUEST, 1, begin_rk, 8, 0);
	fcgi_render_record(c.r, "c1", 0.000412, FCGI_DIR_TO_APP, &rec);
	rec = mkrec(FCGI_PARAMS, 1, buf, n, 5);
	fcgi_render_record(c.r, "c1", 0.000415, FCGI_DIR_TO_APP, &rec);
	rec = mkrec(FCGI_PARAMS, 1, NULL, 0, 0);
	fcgi_render_record(c.r, "c1", 0.000416, FCGI_DIR_TO_APP, &rec);
	rec = mkrec(FCGI_STDIN, 1, NULL, 0, 0);
	fcgi_render_record(c.r, "c1", 0.000417, FCGI_DIR_TO_APP, &rec);
	rec = mkrec(FCGI_STDOUT, 1, cgi, strlen(cgi), 4);
	fcgi_render_record(c.r, "c1", 0.001203, FCGI_DIR_TO_WEB, &rec);
	rec = mkrec(FCGI_STDOUT, 1, NULL, 0, 0);
	fcgi_render_record(c.r, "c1", 0.001204, FCGI_DIR_TO_WEB, &rec);
	rec = mkrec(FCGI_END_REQUEST, 1, end_ok, 8, 0);
	fcgi_render_record(c.r, "c1", 0.00121, FCGI_DIR_TO_WEB, &rec);
	assert_string_equal(
		cap_close(&c),
		"0.000412 c1 -> BEGIN_REQUEST      id=1 len=8      "
		"role=RESPONDER flags=KEEP_CONN\n"
		"0.000415 c1 -> PARAMS             id=1 len=54 pad=5  2 pairs\n"
		"                 REQUEST_METHOD = GET\n"
		"                 SCRIPT_FILENAME = /srv/www/index.php\n"
		"0.000416 c1 -> PARAMS             id=1 len=0      end of "
		"stream\n"
		"0.000417 c1 -> STDIN              id=1 len=0      end of "
		"stream\n"
		"0.001203 c1 <- STDOUT             id=1 len=20 pad=4  "
		"\"Status: 200 OK\\r\\n\\r\\nhi\"\n"
		"0.001204 c1 <- STDOUT             id=1 len=0      end of "
		"stream\n"
		"0.001210 c1 <- END_REQUEST        id=1 len=8      "
		"appStatus=0 protocolStatus=REQUEST_COMPLETE\n");
	free(c.text);
}

/* ---- filtering and colour -------------------------------------------- */

static void test_trace_only_types(void **state)
{
	struct fcgi_render_opts o;
	struct fcgi_violation v;
	struct fcgi_record rec;
	struct cap c;

	(void)state;
	fcgi_render_opts_default(&o);
	o.only_types = 1u << FCGI_STDOUT | 1u << FCGI_END_REQUEST;
	memset(&v, 0, sizeof(v));
	v.code = FCGI_V_NO_BEGIN;
	v.severity = FCGI_SEV_SPEC;
	snprintf(v.message, sizeof(v.message), "no BEGIN_REQUEST for id 1");
	cap_open(&c, &o);
	rec = mkrec(FCGI_BEGIN_REQUEST, 1, begin_rk, 8, 0);
	fcgi_render_record(c.r, NULL, -1, FCGI_DIR_TO_APP, &rec);
	rec = mkrec(FCGI_STDOUT, 1, "x", 1, 0);
	fcgi_render_record(c.r, NULL, -1, FCGI_DIR_TO_WEB, &rec);
	rec = mkrec(FCGI_STDERR, 1, "y", 1, 0);
	fcgi_render_record(c.r, NULL, -1, FCGI_DIR_TO_WEB, &rec);
	rec = mkrec(42, 1, "z", 1, 0);
	fcgi_render_record(c.r, NULL, -1, FCGI_DIR_TO_WEB, &rec);
	rec = mkrec(200, 1, "z", 1, 0);
	fcgi_render_record(c.r, NULL, -1, FCGI_DIR_TO_WEB, &rec);
	/* Violations and notes are never filtered. */
	fcgi_render_violation(c.r, NULL, -1, &v);
	fcgi_render_note(c.r, NULL, -1, "eof", NULL);
	rec = mkrec(FCGI_END_REQUEST, 1, end_ok, 8, 0);
	fcgi_render_record(c.r, NULL, -1, FCGI_DIR_TO_WEB, &rec);
	assert_string_equal(cap_close(&c),
			    "<- STDOUT             id=1 len=1      \"x\"\n"
			    "!! spec no-begin to-app offset=0 record=0 id=0: "
			    "no BEGIN_REQUEST for id 1\n"
			    "** eof\n"
			    "<- END_REQUEST        id=1 len=8      "
			    "appStatus=0 protocolStatus=REQUEST_COMPLETE\n");
	free(c.text);
	/* JSON obeys the same filter. */
	o.json = true;
	rec = mkrec(FCGI_STDERR, 1, "y", 1, 0);
	expect_str(render1(&o, NULL, -1, FCGI_DIR_TO_WEB, &rec), "");
}

static void test_trace_color(void **state)
{
	struct fcgi_render_opts o;
	struct fcgi_violation v;
	struct fcgi_record rec;
	uint8_t buf[32];
	struct cap c;
	size_t n;

	(void)state;
	memset(&v, 0, sizeof(v));
	v.code = FCGI_V_UNKNOWN_TYPE;
	v.severity = FCGI_SEV_SPEC;
	v.dir = FCGI_DIR_TO_APP;
	snprintf(v.message, sizeof(v.message), "type 42");
	n = put_spair(buf, "A", "1");
	fcgi_render_opts_default(&o);
	o.color = true;
	cap_open(&c, &o);
	rec = mkrec(FCGI_BEGIN_REQUEST, 1, begin_rk, 8, 0);
	fcgi_render_record(c.r, "c1", 0, FCGI_DIR_TO_APP, &rec);
	rec = mkrec(FCGI_PARAMS, 1, buf, n, 0);
	fcgi_render_record(c.r, NULL, -1, FCGI_DIR_TO_APP, &rec);
	rec = mkrec(FCGI_STDOUT, 1, NULL, 0, 0);
	fcgi_render_record(c.r, NULL, -1, FCGI_DIR_TO_WEB, &rec);
	fcgi_render_violation(c.r, NULL, -1, &v);
	fcgi_render_note(c.r, NULL, -1, "connected", "x");
	assert_string_equal(
		cap_close(&c),
		"0.000000 c1 \033[36m-> BEGIN_REQUEST\033[0m      id=1 len=8   "
		"   "
		"role=RESPONDER flags=KEEP_CONN\n"
		"\033[36m-> PARAMS\033[0m             id=1 len=4      1 pair\n"
		"     A = 1\n"
		"\033[32m<- STDOUT\033[0m             id=1 len=0      "
		"end of stream\n"
		"\033[31m!! spec unknown-type to-app offset=0 record=0 id=0: "
		"type 42\033[0m\n"
		"** connected x\n");
	free(c.text);

	/* Colour off, and JSON even with colour on: no escape codes. */
	for (int json = 0; json <= 1; json++) {
		o.color = json;
		o.json = json;
		cap_open(&c, &o);
		rec = mkrec(FCGI_BEGIN_REQUEST, 1, begin_rk, 8, 0);
		fcgi_render_record(c.r, "c1", 0, FCGI_DIR_TO_APP, &rec);
		rec = mkrec(FCGI_STDOUT, 1, "\033[2J", 4, 0);
		fcgi_render_record(c.r, "c1", 0, FCGI_DIR_TO_WEB, &rec);
		fcgi_render_violation(c.r, NULL, -1, &v);
		cap_close(&c);
		assert_null(strchr(c.text, '\033'));
		free(c.text);
	}
}

static void test_trace_opts_default(void **state)
{
	struct fcgi_render_opts o;
	const char *const *d = fcgi_render_redact_default();
	struct fcgi_sink nowrite = { NULL, NULL };
	struct fcgi_render *r = (struct fcgi_render *)&o;

	(void)state;
	memset(&o, 0x5a, sizeof(o));
	fcgi_render_opts_default(&o);
	assert_int_equal(o.json, 0);
	assert_int_equal(o.color, 0);
	assert_int_equal(o.body_limit, 64);
	assert_int_equal(o.only_types, 0);
	assert_int_equal(o.show_params, 1);
	assert_int_equal(o.pair_limit, 1024 * 1024);
	assert_ptr_equal(o.redact, d);
	assert_string_equal(d[0], "HTTP_AUTHORIZATION");
	assert_string_equal(d[1], "HTTP_COOKIE");
	assert_null(d[2]);
	assert_int_equal(fcgi_render_new(&r, NULL, &o), FCGI_EINVAL);
	assert_null(r);
	assert_int_equal(fcgi_render_new(&r, &nowrite, &o), FCGI_EINVAL);
	fcgi_render_free(NULL);
}

/* ---- JSON ------------------------------------------------------------- */

static void test_trace_json_begin_end(void **state)
{
	const uint8_t odd[8] = { 0x01, 0x00, 0x06, 0, 0, 0, 0, 0 };
	const uint8_t bad[8] = { 0xff, 0xff, 0xff, 0xff, 9, 0, 0, 0 };

	(void)state;
	expect_str(json1("c1", 0.000412, FCGI_DIR_TO_APP, FCGI_BEGIN_REQUEST, 1,
			 begin_rk, 8),
		   "{\"ts\":0.000412,\"conn\":\"c1\",\"kind\":\"record\","
		   "\"dir\":\"to-app\",\"offset\":0,\"record\":1,"
		   "\"type\":\"BEGIN_REQUEST\",\"typeCode\":1,\"id\":1,"
		   "\"contentLength\":8,\"paddingLength\":0,\"role\":"
		   "\"RESPONDER\","
		   "\"roleCode\":1,\"flags\":1,\"keepConn\":true}\n");
	expect_str(
		json1(NULL, -1, FCGI_DIR_TO_APP, FCGI_BEGIN_REQUEST, 1, odd, 8),
		"{\"kind\":\"record\",\"dir\":\"to-app\",\"offset\":0,"
		"\"record\":1,"
		"\"type\":\"BEGIN_REQUEST\",\"typeCode\":1,\"id\":1,"
		"\"contentLength\":8,\"paddingLength\":0,"
		"\"roleCode\":256,\"flags\":6,\"keepConn\":false}\n");
	expect_str(json1("c1", 0.00121, FCGI_DIR_TO_WEB, FCGI_END_REQUEST, 1,
			 end_ok, 8),
		   "{\"ts\":0.00121,\"conn\":\"c1\",\"kind\":\"record\","
		   "\"dir\":\"to-web\",\"offset\":0,\"record\":1,"
		   "\"type\":\"END_REQUEST\",\"typeCode\":3,\"id\":1,"
		   "\"contentLength\":8,\"paddingLength\":0,\"appStatus\":0,"
		   "\"protocolStatus\":\"REQUEST_COMPLETE\","
		   "\"protocolStatusCode\":0}\n");
	expect_str(
		json1(NULL, -1, FCGI_DIR_TO_WEB, FCGI_END_REQUEST, 1, bad, 8),
		"{\"kind\":\"record\",\"dir\":\"to-web\",\"offset\":0,"
		"\"record\":1,"
		"\"type\":\"END_REQUEST\",\"typeCode\":3,\"id\":1,"
		"\"contentLength\":8,\"paddingLength\":0,"
		"\"appStatus\":4294967295,\"protocolStatusCode\":9}\n");
}

static void test_trace_json_other_types(void **state)
{
	const uint8_t unk[8] = { 42, 0, 0, 0, 0, 0, 0, 0 };
	struct fcgi_render_opts o;
	struct fcgi_record rec;

	(void)state;
	expect_str(json1(NULL, -1, FCGI_DIR_TO_APP, FCGI_ABORT_REQUEST, 3, NULL,
			 0),
		   "{\"kind\":\"record\",\"dir\":\"to-app\",\"offset\":0,"
		   "\"record\":1,"
		   "\"type\":\"ABORT_REQUEST\",\"typeCode\":2,\"id\":3,"
		   "\"contentLength\":0,\"paddingLength\":0}\n");
	expect_str(
		json1(NULL, -1, FCGI_DIR_TO_WEB, FCGI_UNKNOWN_TYPE, 0, unk, 8),
		"{\"kind\":\"record\",\"dir\":\"to-web\",\"offset\":0,"
		"\"record\":1,"
		"\"type\":\"UNKNOWN_TYPE\",\"typeCode\":11,\"id\":0,"
		"\"contentLength\":8,\"paddingLength\":0,\"unknownType\":42}"
		"\n");
	expect_str(
		json1(NULL, -1, FCGI_DIR_TO_APP, 42, 0, "abc", 3),
		"{\"kind\":\"record\",\"dir\":\"to-app\",\"offset\":0,"
		"\"record\":1,"
		"\"type\":\"TYPE_42\",\"typeCode\":42,\"id\":0,"
		"\"contentLength\":3,\"paddingLength\":0,\"data\":\"abc\"}\n");
	expect_str(json1(NULL, -1, FCGI_DIR_TO_APP, FCGI_BEGIN_REQUEST, 1,
			 begin_rk, 5),
		   "{\"kind\":\"record\",\"dir\":\"to-app\",\"offset\":0,"
		   "\"record\":1,"
		   "\"type\":\"BEGIN_REQUEST\",\"typeCode\":1,\"id\":1,"
		   "\"contentLength\":5,\"paddingLength\":0,"
		   "\"bodyError\":\"body 5 bytes, expected 8\"}\n");
	expect_str(
		json1(NULL, -1, FCGI_DIR_TO_WEB, FCGI_END_REQUEST, 1, NULL, 0),
		"{\"kind\":\"record\",\"dir\":\"to-web\",\"offset\":0,"
		"\"record\":1,"
		"\"type\":\"END_REQUEST\",\"typeCode\":3,\"id\":1,"
		"\"contentLength\":0,\"paddingLength\":0,"
		"\"bodyError\":\"body 0 bytes, expected 8\"}\n");
	/* Offset, record number and padding come from the record. */
	fcgi_render_opts_default(&o);
	o.json = true;
	rec = mkrec(FCGI_STDOUT, 9, "hi", 2, 6);
	rec.offset = 4294967296ULL;
	rec.number = 77;
	expect_str(render1(&o, "p", 12.5, FCGI_DIR_TO_WEB, &rec),
		   "{\"ts\":12.5,\"conn\":\"p\",\"kind\":\"record\",\"dir\":"
		   "\"to-web\","
		   "\"offset\":4294967296,\"record\":77,\"type\":\"STDOUT\","
		   "\"typeCode\":6,\"id\":9,\"contentLength\":2,"
		   "\"paddingLength\":6,\"data\":\"hi\"}\n");
}

static void test_trace_json_streams(void **state)
{
	struct fcgi_render_opts o;
	struct fcgi_record rec;
	uint8_t body[100], raw[64];
	const cJSON *d;
	cJSON *j;
	char *got;

	(void)state;
	expect_str(
		json1(NULL, -1, FCGI_DIR_TO_WEB, FCGI_STDOUT, 1,
		      "a\"b\\c\r\n\x01", 8),
		"{\"kind\":\"record\",\"dir\":\"to-web\",\"offset\":0,"
		"\"record\":1,"
		"\"type\":\"STDOUT\",\"typeCode\":6,\"id\":1,\"contentLength\":"
		"8,"
		"\"paddingLength\":0,\"data\":\"a\\\"b\\\\c\\r\\n\\u0001\"}\n");
	expect_str(json1(NULL, -1, FCGI_DIR_TO_APP, FCGI_STDIN, 1, NULL, 0),
		   "{\"kind\":\"record\",\"dir\":\"to-app\",\"offset\":0,"
		   "\"record\":1,"
		   "\"type\":\"STDIN\",\"typeCode\":5,\"id\":1,"
		   "\"contentLength\":0,"
		   "\"paddingLength\":0,\"data\":\"\"}\n");
	/* UTF-8 passes; bad UTF-8 and NUL go to base64. */
	expect_str(json1(NULL, -1, FCGI_DIR_TO_WEB, FCGI_STDERR, 1,
			 "caf\xc3\xa9", 5),
		   "{\"kind\":\"record\",\"dir\":\"to-web\",\"offset\":0,"
		   "\"record\":1,"
		   "\"type\":\"STDERR\",\"typeCode\":7,\"id\":1,"
		   "\"contentLength\":5,"
		   "\"paddingLength\":0,\"data\":\"caf\xc3\xa9\"}\n");
	expect_str(
		json1(NULL, -1, FCGI_DIR_TO_APP, FCGI_DATA, 1, "\0ab", 3),
		"{\"kind\":\"record\",\"dir\":\"to-app\",\"offset\":0,"
		"\"record\":1,"
		"\"type\":\"DATA\",\"typeCode\":8,\"id\":1,\"contentLength\":3,"
		"\"paddingLength\":0,\"dataB64\":\"AGFi\"}\n");
	/* Cut by body_limit: the shown bytes and how many they are. */
	memset(body, 'z', sizeof(body));
	expect_str(json1(NULL, -1, FCGI_DIR_TO_WEB, FCGI_STDOUT, 1, body, 65),
		   "{\"kind\":\"record\",\"dir\":\"to-web\",\"offset\":0,"
		   "\"record\":1,"
		   "\"type\":\"STDOUT\",\"typeCode\":6,\"id\":1,"
		   "\"contentLength\":65,"
		   "\"paddingLength\":0,\"data\":\""
		   "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"
		   "zzzzz"
		   "\",\"truncated\":true,\"dataLength\":64}\n");
	/* Every byte 1..127 survives the JSON round trip as text; bytes
	 * 128..255 as base64. */
	for (int i = 0; i < 64; i++)
		raw[i] = (uint8_t)(i * 2 + 1);
	fcgi_render_opts_default(&o);
	o.json = true;
	for (int half = 0; half < 4; half++) {
		for (int i = 0; i < 64; i++)
			raw[i] = (uint8_t)(half * 64 + i);
		if (half == 0)
			raw[0] = 'x'; /* NUL would force base64 */
		rec = mkrec(FCGI_STDOUT, 1, raw, sizeof(raw), 0);
		got = render1(&o, NULL, -1, FCGI_DIR_TO_WEB, &rec);
		j = parse_line(got);
		check_keys(j, record_keys);
		if (half < 2) {
			d = cJSON_GetObjectItemCaseSensitive(j, "data");
			assert_true(cJSON_IsString(d));
			assert_int_equal(strlen(d->valuestring), 64);
			assert_memory_equal(d->valuestring, raw, 64);
		} else {
			uint8_t back[64];

			d = cJSON_GetObjectItemCaseSensitive(j, "dataB64");
			assert_true(cJSON_IsString(d));
			assert_int_equal(b64_decode(d->valuestring, back), 64);
			assert_memory_equal(back, raw, 64);
		}
		cJSON_Delete(j);
		free(got);
	}
}

static void test_trace_json_large_record(void **state)
{
	struct fcgi_render_opts o;
	struct fcgi_record rec;
	static uint8_t body[FCGI_MAX_CONTENT];
	const cJSON *d;
	struct cap c;
	char *line2;
	cJSON *j;

	(void)state;
	memset(body, 'q', sizeof(body));
	fcgi_render_opts_default(&o);
	o.json = true;
	o.body_limit = sizeof(body);
	cap_open(&c, &o);
	/* Larger than the first print buffer, twice: the second print
	 * reuses the grown buffer. */
	rec = mkrec(FCGI_STDOUT, 1, body, 10000, 0);
	fcgi_render_record(c.r, NULL, -1, FCGI_DIR_TO_WEB, &rec);
	rec = mkrec(FCGI_STDOUT, 1, body, sizeof(body), 0);
	fcgi_render_record(c.r, NULL, -1, FCGI_DIR_TO_WEB, &rec);
	cap_close(&c);
	line2 = strchr(c.text, '\n');
	assert_non_null(line2);
	line2++;
	line2[-1] = '\0';
	{
		char *l1 = malloc(strlen(c.text) + 2);

		assert_non_null(l1);
		snprintf(l1, strlen(c.text) + 2, "%s\n", c.text);
		j = parse_line(l1);
		free(l1);
	}
	d = cJSON_GetObjectItemCaseSensitive(j, "data");
	assert_int_equal(strlen(d->valuestring), 10000);
	assert_null(cJSON_GetObjectItemCaseSensitive(j, "truncated"));
	cJSON_Delete(j);
	j = parse_line(line2);
	d = cJSON_GetObjectItemCaseSensitive(j, "data");
	assert_int_equal(strlen(d->valuestring), sizeof(body));
	cJSON_Delete(j);
	free(c.text);
}

static void test_trace_json_params(void **state)
{
	uint8_t buf[256], pair[64];
	size_t n = 0, pl;

	(void)state;
	n += put_spair(buf + n, "REQUEST_METHOD", "GET");
	n += put_spair(buf + n, "QUERY_STRING", "");
	n += put_spair(buf + n, "HTTP_COOKIE", "sid=1");
	expect_str(
		json1("c1", 0.000415, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, buf, n),
		"{\"ts\":0.000415,\"conn\":\"c1\",\"kind\":\"record\","
		"\"dir\":\"to-app\",\"offset\":0,\"record\":1,\"type\":"
		"\"PARAMS\","
		"\"typeCode\":4,\"id\":1,\"contentLength\":51,"
		"\"paddingLength\":0,"
		"\"pairs\":3,\"params\":[{\"name\":\"REQUEST_METHOD\","
		"\"value\":\"GET\"},{\"name\":\"QUERY_STRING\",\"value\":\"\"},"
		"{\"name\":\"HTTP_COOKIE\",\"redacted\":true,"
		"\"valueLength\":5}]}\n");
	expect_str(json1(NULL, -1, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, NULL, 0),
		   "{\"kind\":\"record\",\"dir\":\"to-app\",\"offset\":0,"
		   "\"record\":1,"
		   "\"type\":\"PARAMS\",\"typeCode\":4,\"id\":1,"
		   "\"contentLength\":0,"
		   "\"paddingLength\":0,\"pairs\":0,\"params\":[]}\n");
	/* A pair cut at the end. */
	n = put_spair(buf, "A", "1");
	pl = put_spair(pair, "HTTP_HOST", "example.org");
	memcpy(buf + n, pair, 7);
	expect_str(json1(NULL, -1, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, buf, n + 7),
		   "{\"kind\":\"record\",\"dir\":\"to-app\",\"offset\":0,"
		   "\"record\":1,"
		   "\"type\":\"PARAMS\",\"typeCode\":4,\"id\":1,"
		   "\"contentLength\":11,"
		   "\"paddingLength\":0,\"pairs\":1,\"partialBytes\":7,"
		   "\"params\":[{\"name\":\"A\",\"value\":\"1\"}]}\n");
	assert_true(pl > 7);
	n = put_spair(buf, "FCGI_MPXS_CONNS", "1");
	expect_str(json1(NULL, -1, FCGI_DIR_TO_WEB, FCGI_GET_VALUES_RESULT, 0,
			 buf, n),
		   "{\"kind\":\"record\",\"dir\":\"to-web\",\"offset\":0,"
		   "\"record\":1,"
		   "\"type\":\"GET_VALUES_RESULT\",\"typeCode\":10,\"id\":0,"
		   "\"contentLength\":18,\"paddingLength\":0,\"pairs\":1,"
		   "\"params\":[{\"name\":\"FCGI_MPXS_CONNS\",\"value\":\"1\"}]"
		   "}\n");
	n = put_spair(buf, "FCGI_MAX_REQS", "");
	expect_str(
		json1(NULL, -1, FCGI_DIR_TO_APP, FCGI_GET_VALUES, 0, buf, n),
		"{\"kind\":\"record\",\"dir\":\"to-app\",\"offset\":0,"
		"\"record\":1,"
		"\"type\":\"GET_VALUES\",\"typeCode\":9,\"id\":0,"
		"\"contentLength\":15,\"paddingLength\":0,\"pairs\":1,"
		"\"params\":[{\"name\":\"FCGI_MAX_REQS\",\"value\":\"\"}]}\n");
}

static void test_trace_json_params_b64(void **state)
{
	/* Bad UTF-8 in a name, a NUL in a value, an overlong encoding, a
	 * surrogate, and a masked value with a binary name. */
	const uint8_t n1[] = { 'X', 0xff, 'Y' };
	const uint8_t v2[] = { 'a', 0, 'b' };
	const uint8_t v3[] = { 0xc0, 0xaf };
	const uint8_t v4[] = { 0xed, 0xa0, 0x80 };
	const uint8_t v5[] = { 0xf4, 0x8f, 0xbf, 0xbf, 0xe2, 0x82, 0xac };
	struct fcgi_render_opts o;
	struct fcgi_record rec;
	uint8_t buf[256], back[16];
	const char *const mask[] = { "X\xffY", NULL };
	const cJSON *arr, *p;
	size_t n = 0;
	cJSON *j;
	char *got;

	(void)state;
	n += put_pair(buf + n, n1, sizeof(n1), "ok", 2);
	n += put_pair(buf + n, "NUL", 3, v2, sizeof(v2));
	n += put_pair(buf + n, "OVERLONG", 8, v3, sizeof(v3));
	n += put_pair(buf + n, "SURROGATE", 9, v4, sizeof(v4));
	n += put_pair(buf + n, "MAXCP", 5, v5, sizeof(v5));
	got = json1(NULL, -1, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, buf, n);
	j = parse_line(got);
	check_keys(j, record_keys);
	arr = cJSON_GetObjectItemCaseSensitive(j, "params");
	assert_int_equal(cJSON_GetArraySize(arr), 5);
	cJSON_ArrayForEach(p, arr) check_keys(p, param_keys);

	p = cJSON_GetArrayItem(arr, 0);
	assert_null(cJSON_GetObjectItemCaseSensitive(p, "name"));
	assert_int_equal(
		b64_decode(cJSON_GetObjectItemCaseSensitive(p, "nameB64")
				   ->valuestring,
			   back),
		sizeof(n1));
	assert_memory_equal(back, n1, sizeof(n1));
	assert_string_equal(
		cJSON_GetObjectItemCaseSensitive(p, "value")->valuestring,
		"ok");

	p = cJSON_GetArrayItem(arr, 1);
	assert_string_equal(
		cJSON_GetObjectItemCaseSensitive(p, "name")->valuestring,
		"NUL");
	assert_null(cJSON_GetObjectItemCaseSensitive(p, "value"));
	assert_int_equal(
		b64_decode(cJSON_GetObjectItemCaseSensitive(p, "valueB64")
				   ->valuestring,
			   back),
		sizeof(v2));
	assert_memory_equal(back, v2, sizeof(v2));

	p = cJSON_GetArrayItem(arr, 2);
	assert_int_equal(
		b64_decode(cJSON_GetObjectItemCaseSensitive(p, "valueB64")
				   ->valuestring,
			   back),
		sizeof(v3));
	assert_memory_equal(back, v3, sizeof(v3));
	p = cJSON_GetArrayItem(arr, 3);
	assert_int_equal(
		b64_decode(cJSON_GetObjectItemCaseSensitive(p, "valueB64")
				   ->valuestring,
			   back),
		sizeof(v4));
	assert_memory_equal(back, v4, sizeof(v4));
	/* U+10FFFF and the euro sign are valid UTF-8: kept as text. */
	p = cJSON_GetArrayItem(arr, 4);
	assert_memory_equal(
		cJSON_GetObjectItemCaseSensitive(p, "value")->valuestring, v5,
		sizeof(v5));
	cJSON_Delete(j);
	free(got);

	/* Masking compares the raw bytes of the name. */
	fcgi_render_opts_default(&o);
	o.json = true;
	o.redact = mask;
	rec = mkrec(FCGI_PARAMS, 1, buf, n, 0);
	got = render1(&o, NULL, -1, FCGI_DIR_TO_APP, &rec);
	j = parse_line(got);
	p = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "params"),
			       0);
	assert_string_equal(
		cJSON_GetObjectItemCaseSensitive(p, "nameB64")->valuestring,
		"WP9Z");
	assert_null(cJSON_GetObjectItemCaseSensitive(p, "value"));
	assert_true(cJSON_IsNumber(
		cJSON_GetObjectItemCaseSensitive(p, "valueLength")));
	assert_true(
		cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "redacted")));
	cJSON_Delete(j);
	free(got);

	/* Base64 of every remainder length (1, 2 and 3 bytes). */
	expect_str(json1(NULL, -1, FCGI_DIR_TO_APP, FCGI_STDIN, 1, "\xff", 1),
		   "{\"kind\":\"record\",\"dir\":\"to-app\",\"offset\":0,"
		   "\"record\":1,"
		   "\"type\":\"STDIN\",\"typeCode\":5,\"id\":1,"
		   "\"contentLength\":1,"
		   "\"paddingLength\":0,\"dataB64\":\"/w==\"}\n");
	expect_str(
		json1(NULL, -1, FCGI_DIR_TO_APP, FCGI_STDIN, 1, "\xff\xfe", 2),
		"{\"kind\":\"record\",\"dir\":\"to-app\",\"offset\":0,"
		"\"record\":1,"
		"\"type\":\"STDIN\",\"typeCode\":5,\"id\":1,\"contentLength\":"
		"2,"
		"\"paddingLength\":0,\"dataB64\":\"//4=\"}\n");
	expect_str(json1(NULL, -1, FCGI_DIR_TO_APP, FCGI_STDIN, 1,
			 "\xfb\xef\xbe", 3),
		   "{\"kind\":\"record\",\"dir\":\"to-app\",\"offset\":0,"
		   "\"record\":1,"
		   "\"type\":\"STDIN\",\"typeCode\":5,\"id\":1,"
		   "\"contentLength\":3,"
		   "\"paddingLength\":0,\"dataB64\":\"++++\"}\n");
}

static void test_trace_json_params_hidden(void **state)
{
	struct fcgi_render_opts o;
	struct fcgi_record rec;
	uint8_t buf[32];
	size_t n;

	(void)state;
	n = put_spair(buf, "A", "1");
	fcgi_render_opts_default(&o);
	o.json = true;
	o.show_params = false;
	rec = mkrec(FCGI_PARAMS, 1, buf, n, 0);
	expect_str(render1(&o, NULL, -1, FCGI_DIR_TO_APP, &rec),
		   "{\"kind\":\"record\",\"dir\":\"to-app\",\"offset\":0,"
		   "\"record\":1,"
		   "\"type\":\"PARAMS\",\"typeCode\":4,\"id\":1,"
		   "\"contentLength\":4,"
		   "\"paddingLength\":0,\"pairs\":1}\n");
}

static void test_trace_json_violation_and_note(void **state)
{
	struct fcgi_render_opts o;
	struct fcgi_violation v;
	struct cap c;

	(void)state;
	memset(&v, 0, sizeof(v));
	v.code = FCGI_V_BAD_VERSION;
	v.severity = FCGI_SEV_SPEC;
	v.dir = FCGI_DIR_TO_WEB;
	v.record = 1;
	snprintf(v.message, sizeof(v.message), "bad version 3, expected 1");
	fcgi_render_opts_default(&o);
	o.json = true;
	cap_open(&c, &o);
	fcgi_render_violation(c.r, "c1", 0.0013, &v);
	fcgi_render_note(c.r, "c1", 0.0014, "connected", "127.0.0.1:9000");
	fcgi_render_note(c.r, NULL, -1, "closed", NULL);
	/* Caller strings that are not UTF-8 are escaped, not passed on. */
	fcgi_render_note(c.r, "l\xff", -1, "w", "d\xfe\n");
	assert_string_equal(
		cap_close(&c),
		"{\"ts\":0.0013,\"conn\":\"c1\",\"kind\":\"violation\","
		"\"code\":\"bad-version\",\"severity\":\"spec\",\"dir\":\"to-"
		"web\","
		"\"offset\":0,\"record\":1,\"id\":0,"
		"\"message\":\"bad version 3, expected 1\"}\n"
		"{\"ts\":0.0014,\"conn\":\"c1\",\"kind\":\"note\","
		"\"what\":\"connected\",\"detail\":\"127.0.0.1:9000\"}\n"
		"{\"kind\":\"note\",\"what\":\"closed\"}\n"
		"{\"conn\":\"l\\\\xff\",\"kind\":\"note\",\"what\":\"w\","
		"\"detail\":\"d\\\\xfe\\\\n\"}\n");
	free(c.text);
}

/* Every line of a mixed stream parses back and has the documented keys
 * of its kind, with the documented types. */
static void test_trace_json_schema(void **state)
{
	const uint8_t unk[8] = { 42, 0, 0, 0, 0, 0, 0, 0 };
	struct fcgi_render_opts o;
	struct fcgi_violation v;
	struct fcgi_record rec;
	uint8_t buf[128];
	struct cap c;
	char *line, *nl;
	int lines = 0;
	size_t n = 0;

	(void)state;
	n += put_spair(buf + n, "HTTP_COOKIE", "x");
	n += put_pair(buf + n, "B\0", 2, "\xff", 1);
	buf[n++] = 3; /* the start of a pair */
	fcgi_render_opts_default(&o);
	o.json = true;
	o.body_limit = 2;
	memset(&v, 0, sizeof(v));
	snprintf(v.message, sizeof(v.message), "m");
	cap_open(&c, &o);
	for (unsigned t = 0; t <= 12; t++) {
		const void *body =
			t == FCGI_BEGIN_REQUEST	 ? (const void *)begin_rk
			: t == FCGI_END_REQUEST	 ? (const void *)end_ok
			: t == FCGI_UNKNOWN_TYPE ? (const void *)unk
						 : (const void *)buf;
		size_t len = (t == FCGI_BEGIN_REQUEST ||
			      t == FCGI_END_REQUEST || t == FCGI_UNKNOWN_TYPE)
				     ? 8
				     : n;

		rec = mkrec((uint8_t)t, 1, body, len, 0);
		fcgi_render_record(c.r, "c", t * 0.5, FCGI_DIR_TO_APP, &rec);
		rec = mkrec((uint8_t)t, 1, body,
			    t == FCGI_ABORT_REQUEST ? 0 : 3, 0);
		fcgi_render_record(c.r, NULL, -1, FCGI_DIR_TO_WEB, &rec);
	}
	for (unsigned k = 0; k <= FCGI_V_COUNT; k++) {
		v.code = (enum fcgi_vcode)k;
		v.severity = (enum fcgi_severity)(k % 3 + 1);
		fcgi_render_violation(c.r, k % 2 ? "c" : NULL, k, &v);
	}
	fcgi_render_note(c.r, "c", 1, "connected", "x");
	fcgi_render_note(c.r, NULL, -1, "eof", NULL);
	cap_close(&c);

	for (line = c.text; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		cJSON *j;
		const char *kind;

		*nl = '\0';
		j = cJSON_Parse(line);
		assert_non_null(j);
		lines++;
		kind = cJSON_GetObjectItemCaseSensitive(j, "kind")->valuestring;
		if (strcmp(kind, "record") == 0) {
			const cJSON *arr, *p;

			check_keys(j, record_keys);
			arr = cJSON_GetObjectItemCaseSensitive(j, "params");
			cJSON_ArrayForEach(p, arr) check_keys(p, param_keys);
		} else if (strcmp(kind, "violation") == 0) {
			check_keys(j, violation_keys);
		} else {
			assert_string_equal(kind, "note");
			check_keys(j, note_keys);
		}
		cJSON_Delete(j);
	}
	assert_int_equal(lines, 13 * 2 + FCGI_V_COUNT + 1 + 2);
	free(c.text);
}

/* The renderer's allocations failing at every point while it writes a
 * JSON line longer than its first buffer: each call writes either its
 * whole line or the documented error line, and leaks nothing. */
static void test_trace_json_alloc_failure(void **state)
{
	static uint8_t buf[8192];
	static char big[6000];
	struct fcgi_render_opts o;
	struct fcgi_record rec;
	struct failmem fm;
	struct cap c;
	size_t n = 0;
	long at;
	bool ok_seen = false;
	int failures = 0;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	n += put_spair(buf + n, "A", "1");
	n += put_spair(buf + n, "HTTP_COOKIE", "2");
	n += put_spair(buf + n, "BIG", big);
	fcgi_render_opts_default(&o);
	o.json = true;
	o.body_limit = sizeof(big);
	o.mem = &fm.mem;
	for (at = 0; at < 200 && !ok_seen; at++) {
		cJSON *j;

		failmem_init(&fm, -1);
		cap_open(&c, &o);
		fm.fail_at = fm.calls + at;
		rec = mkrec(FCGI_PARAMS, 1, buf, n, 0);
		fcgi_render_record(c.r, "c1", 1, FCGI_DIR_TO_APP, &rec);
		cap_close(&c);
		assert_int_equal(fm.live, 0);
		j = parse_line(c.text);
		if (strcmp(cJSON_GetObjectItemCaseSensitive(j, "kind")
				   ->valuestring,
			   "error") == 0) {
			assert_string_equal(c.text,
					    "{\"kind\":\"error\",\"message\":"
					    "\"out of memory\"}\n");
			failures++;
		} else {
			check_keys(j, record_keys);
			ok_seen = fm.failed == 0;
		}
		cJSON_Delete(j);
		free(c.text);
	}
	assert_true(ok_seen);
	assert_true(failures >= 2);
}

/* ---- pairs split across records ------------------------------------------ */

/* Render one record into an open capture, without a time stamp. */
static void feed(struct cap *c, const char *label, enum fcgi_dir dir,
		 uint8_t type, uint16_t id, const void *content, size_t len)
{
	struct fcgi_record rec = mkrec(type, id, content, len, 0);

	fcgi_render_record(c->r, label, -1, dir, &rec);
}

/* Expected output, built with printf formats. */
struct want {
	char *text;
	size_t len;
	FILE *f;
};

static void want_open(struct want *w)
{
	w->text = NULL;
	w->len = 0;
	w->f = open_memstream(&w->text, &w->len);
	assert_non_null(w->f);
}

static void want_add(struct want *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void want_add(struct want *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(w->f, fmt, ap);
	va_end(ap);
}

/* The beginning of a JSON record line, up to the contentLength. */
static void want_jrec(struct want *w, const char *label, const char *dir,
		      const char *type, int code, unsigned id, size_t len)
{
	if (label != NULL)
		want_add(w, "{\"conn\":\"%s\",", label);
	else
		want_add(w, "{");
	want_add(w,
		 "\"kind\":\"record\",\"dir\":\"%s\",\"offset\":0,\"record\":1,"
		 "\"type\":\"%s\",\"typeCode\":%d,\"id\":%u,\"contentLength\":%"
		 "zu,"
		 "\"paddingLength\":0,",
		 dir, type, code, id, len);
}

/* Compare a capture with what was wanted, then free both. */
static void expect_want(struct cap *c, struct want *w)
{
	assert_int_equal(fclose(w->f), 0);
	expect_str(cap_close(c), w->text);
	free(w->text);
}

static void opts_of(struct fcgi_render_opts *o, int json)
{
	fcgi_render_opts_default(o);
	o->json = json;
}

/* "HTTP_ACCEPT" = "hello" cut inside its value, after "hel". */
static void split_value(struct cap *c, const char *label)
{
	uint8_t buf[64], pair[32];
	size_t n, pl;

	pl = put_spair(pair, "HTTP_ACCEPT", "hello");
	n = put_spair(buf, "A", "1");
	memcpy(buf + n, pair, 16);
	feed(c, label, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, buf, n + 16);
	memcpy(buf, pair + 16, pl - 16);
	n = pl - 16;
	n += put_spair(buf + n, "B", "2");
	feed(c, label, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, buf, n);
	feed(c, label, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, NULL, 0);
}

static void test_trace_split_value(void **state)
{
	struct fcgi_render_opts o;
	struct cap c;
	struct want w;

	(void)state;
	opts_of(&o, 0);
	cap_open(&c, &o);
	split_value(&c, "c1");
	want_open(&w);
	want_add(&w,
		 "c1 -> PARAMS             id=1 len=20     1 pair\n"
		 "        A = 1\n"
		 "        (16 bytes of a pair continue in the next record)\n"
		 "c1 -> PARAMS             id=1 len=6      2 pairs\n"
		 "        (pair continues from the previous record)\n"
		 "        HTTP_ACCEPT = hello\n"
		 "        B = 2\n"
		 "c1 -> PARAMS             id=1 len=0      end of stream\n");
	expect_want(&c, &w);

	opts_of(&o, 1);
	cap_open(&c, &o);
	split_value(&c, "c1");
	want_open(&w);
	want_jrec(&w, "c1", "to-app", "PARAMS", 4, 1, 20);
	want_add(&w, "\"pairs\":1,\"partialBytes\":16,\"params\":["
		     "{\"name\":\"A\",\"value\":\"1\"}]}\n");
	want_jrec(&w, "c1", "to-app", "PARAMS", 4, 1, 6);
	want_add(&w,
		 "\"pairs\":2,\"params\":["
		 "{\"name\":\"HTTP_ACCEPT\",\"value\":\"hello\","
		 "\"continued\":true},{\"name\":\"B\",\"value\":\"2\"}]}\n");
	want_jrec(&w, "c1", "to-app", "PARAMS", 4, 1, 0);
	want_add(&w, "\"pairs\":0,\"params\":[]}\n");
	expect_want(&c, &w);
}

/* "N" = 130 bytes, so a 4-byte value length, cut after 2 of its bytes;
 * then "M" = "" cut after its name length, a 1-byte length. */
static void split_length(struct cap *c)
{
	uint8_t pair[160], buf[160];
	char v[130];
	size_t pl, n;

	memset(v, 'v', sizeof(v));
	pl = put_pair(pair, "N", 1, v, sizeof(v));
	assert_int_equal(pair[1], 0x80);
	feed(c, NULL, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, pair, 3);
	memcpy(buf, pair + 3, pl - 3);
	n = pl - 3;
	n += put_spair(buf + n, "M", "");
	feed(c, NULL, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, buf, n - 2);
	feed(c, NULL, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, buf + n - 2, 2);
}

static void test_trace_split_length(void **state)
{
	struct fcgi_render_opts o;
	struct cap c;
	struct want w;

	(void)state;
	opts_of(&o, 0);
	cap_open(&c, &o);
	split_length(&c);
	want_open(&w);
	want_add(
		&w,
		"-> PARAMS             id=1 len=3      0 pairs\n"
		"     (3 bytes of a pair continue in the next record)\n"
		"-> PARAMS             id=1 len=134    1 pair\n"
		"     (pair continues from the previous record)\n"
		"     N = %.130s\n"
		"     (1 bytes of a pair continue in the next record)\n"
		"-> PARAMS             id=1 len=2      1 pair\n"
		"     (pair continues from the previous record)\n"
		"     M =\n",
		"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"
		"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"
		"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"
		"v");
	expect_want(&c, &w);

	opts_of(&o, 1);
	cap_open(&c, &o);
	split_length(&c);
	want_open(&w);
	want_jrec(&w, NULL, "to-app", "PARAMS", 4, 1, 3);
	want_add(&w, "\"pairs\":0,\"partialBytes\":3,\"params\":[]}\n");
	want_jrec(&w, NULL, "to-app", "PARAMS", 4, 1, 134);
	want_add(
		&w,
		"\"pairs\":1,\"partialBytes\":1,\"params\":[{\"name\":\"N\","
		"\"value\":\"%.130s\",\"continued\":true}]}\n",
		"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"
		"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"
		"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"
		"v");
	want_jrec(&w, NULL, "to-app", "PARAMS", 4, 1, 2);
	want_add(&w, "\"pairs\":1,\"params\":[{\"name\":\"M\",\"value\":\"\","
		     "\"continued\":true}]}\n");
	expect_want(&c, &w);
}

/* What `request -p BIG=<100000 x>` sends: one pair in 3 records of at
 * most 40000 bytes, the last one followed by another pair. */
static void split_three(struct cap *c, uint8_t *buf, size_t *total)
{
	static char big[100000];
	size_t n;

	memset(big, 'x', sizeof(big));
	n = put_pair(buf, "BIG", 3, big, sizeof(big));
	n += put_spair(buf + n, "Z", "9");
	*total = n;
	feed(c, "c1", FCGI_DIR_TO_APP, FCGI_PARAMS, 1, buf, 40000);
	feed(c, "c1", FCGI_DIR_TO_APP, FCGI_PARAMS, 1, buf + 40000, 40000);
	feed(c, "c1", FCGI_DIR_TO_APP, FCGI_PARAMS, 1, buf + 80000, n - 80000);
	feed(c, "c1", FCGI_DIR_TO_APP, FCGI_PARAMS, 1, NULL, 0);
}

static void test_trace_split_three(void **state)
{
	static uint8_t buf[100100];
	static char xs[100001];
	struct fcgi_render_opts o;
	struct cap c;
	struct want w;
	size_t n;

	(void)state;
	memset(xs, 'x', 100000);
	opts_of(&o, 0);
	cap_open(&c, &o);
	split_three(&c, buf, &n);
	assert_int_equal(n, 100012);
	want_open(&w);
	want_add(&w,
		 "c1 -> PARAMS             id=1 len=40000  0 pairs\n"
		 "        (40000 bytes of a pair continue in the next record)\n"
		 "c1 -> PARAMS             id=1 len=40000  0 pairs\n"
		 "        (40000 bytes of a pair continue in the next record)\n"
		 "c1 -> PARAMS             id=1 len=20012  2 pairs\n"
		 "        (pair continues from the previous record)\n"
		 "        BIG = %s\n"
		 "        Z = 9\n"
		 "c1 -> PARAMS             id=1 len=0      end of stream\n",
		 xs);
	expect_want(&c, &w);

	opts_of(&o, 1);
	cap_open(&c, &o);
	split_three(&c, buf, &n);
	want_open(&w);
	want_jrec(&w, "c1", "to-app", "PARAMS", 4, 1, 40000);
	want_add(&w, "\"pairs\":0,\"partialBytes\":40000,\"params\":[]}\n");
	want_jrec(&w, "c1", "to-app", "PARAMS", 4, 1, 40000);
	want_add(&w, "\"pairs\":0,\"partialBytes\":40000,\"params\":[]}\n");
	want_jrec(&w, "c1", "to-app", "PARAMS", 4, 1, 20012);
	want_add(&w,
		 "\"pairs\":2,\"params\":[{\"name\":\"BIG\",\"value\":\"%s\","
		 "\"continued\":true},{\"name\":\"Z\",\"value\":\"9\"}]}\n",
		 xs);
	want_jrec(&w, "c1", "to-app", "PARAMS", 4, 1, 0);
	want_add(&w, "\"pairs\":0,\"params\":[]}\n");
	expect_want(&c, &w);
}

/* Two connections, two requests and both directions at once: each pair
 * is continued by the record of its own stream. */
static void split_interleaved(struct cap *c)
{
	uint8_t p1[32], p2[32], p3[32], p4[32], p5[32];
	size_t l1, l2, l3, l4, l5;

	l1 = put_spair(p1, "ONE", "first");
	l2 = put_spair(p2, "TWO", "second");
	l3 = put_spair(p3, "THREE", "third");
	l4 = put_spair(p4, "FCGI_MAX_CONNS", "");
	l5 = put_spair(p5, "FCGI_MAX_CONNS", "10");
	feed(c, "c1", FCGI_DIR_TO_APP, FCGI_PARAMS, 1, p1, 6);
	feed(c, "c2", FCGI_DIR_TO_APP, FCGI_PARAMS, 1, p2, 4);
	feed(c, "c1", FCGI_DIR_TO_APP, FCGI_PARAMS, 2, p3, 3);
	feed(c, "c1", FCGI_DIR_TO_APP, FCGI_GET_VALUES, 0, p4, 5);
	feed(c, "c1", FCGI_DIR_TO_WEB, FCGI_GET_VALUES_RESULT, 0, p5, 9);
	feed(c, "c2", FCGI_DIR_TO_APP, FCGI_PARAMS, 1, p2 + 4, l2 - 4);
	feed(c, "c1", FCGI_DIR_TO_WEB, FCGI_GET_VALUES_RESULT, 0, p5 + 9,
	     l5 - 9);
	feed(c, "c1", FCGI_DIR_TO_APP, FCGI_PARAMS, 2, p3 + 3, l3 - 3);
	feed(c, "c1", FCGI_DIR_TO_APP, FCGI_PARAMS, 1, p1 + 6, l1 - 6);
	feed(c, "c1", FCGI_DIR_TO_APP, FCGI_GET_VALUES, 0, p4 + 5, l4 - 5);
}

static void test_trace_split_interleaved(void **state)
{
	struct fcgi_render_opts o;
	struct cap c;
	struct want w;

	(void)state;
	opts_of(&o, 0);
	cap_open(&c, &o);
	split_interleaved(&c);
	want_open(&w);
	want_add(&w, "c1 -> PARAMS             id=1 len=6      0 pairs\n"
		     "        (6 bytes of a pair continue in the next record)\n"
		     "c2 -> PARAMS             id=1 len=4      0 pairs\n"
		     "        (4 bytes of a pair continue in the next record)\n"
		     "c1 -> PARAMS             id=2 len=3      0 pairs\n"
		     "        (3 bytes of a pair continue in the next record)\n"
		     "c1 -> GET_VALUES         id=0 len=5      0 pairs\n"
		     "        (5 bytes of a pair continue in the next record)\n"
		     "c1 <- GET_VALUES_RESULT  id=0 len=9      0 pairs\n"
		     "        (9 bytes of a pair continue in the next record)\n"
		     "c2 -> PARAMS             id=1 len=7      1 pair\n"
		     "        (pair continues from the previous record)\n"
		     "        TWO = second\n"
		     "c1 <- GET_VALUES_RESULT  id=0 len=9      1 pair\n"
		     "        (pair continues from the previous record)\n"
		     "        FCGI_MAX_CONNS = 10\n"
		     "c1 -> PARAMS             id=2 len=9      1 pair\n"
		     "        (pair continues from the previous record)\n"
		     "        THREE = third\n"
		     "c1 -> PARAMS             id=1 len=4      1 pair\n"
		     "        (pair continues from the previous record)\n"
		     "        ONE = first\n"
		     "c1 -> GET_VALUES         id=0 len=11     1 pair\n"
		     "        (pair continues from the previous record)\n"
		     "        FCGI_MAX_CONNS =\n");
	expect_want(&c, &w);

	opts_of(&o, 1);
	cap_open(&c, &o);
	split_interleaved(&c);
	want_open(&w);
	want_jrec(&w, "c1", "to-app", "PARAMS", 4, 1, 6);
	want_add(&w, "\"pairs\":0,\"partialBytes\":6,\"params\":[]}\n");
	want_jrec(&w, "c2", "to-app", "PARAMS", 4, 1, 4);
	want_add(&w, "\"pairs\":0,\"partialBytes\":4,\"params\":[]}\n");
	want_jrec(&w, "c1", "to-app", "PARAMS", 4, 2, 3);
	want_add(&w, "\"pairs\":0,\"partialBytes\":3,\"params\":[]}\n");
	want_jrec(&w, "c1", "to-app", "GET_VALUES", 9, 0, 5);
	want_add(&w, "\"pairs\":0,\"partialBytes\":5,\"params\":[]}\n");
	want_jrec(&w, "c1", "to-web", "GET_VALUES_RESULT", 10, 0, 9);
	want_add(&w, "\"pairs\":0,\"partialBytes\":9,\"params\":[]}\n");
	want_jrec(&w, "c2", "to-app", "PARAMS", 4, 1, 7);
	want_add(&w, "\"pairs\":1,\"params\":[{\"name\":\"TWO\","
		     "\"value\":\"second\",\"continued\":true}]}\n");
	want_jrec(&w, "c1", "to-web", "GET_VALUES_RESULT", 10, 0, 9);
	want_add(&w, "\"pairs\":1,\"params\":[{\"name\":\"FCGI_MAX_CONNS\","
		     "\"value\":\"10\",\"continued\":true}]}\n");
	want_jrec(&w, "c1", "to-app", "PARAMS", 4, 2, 9);
	want_add(&w, "\"pairs\":1,\"params\":[{\"name\":\"THREE\","
		     "\"value\":\"third\",\"continued\":true}]}\n");
	want_jrec(&w, "c1", "to-app", "PARAMS", 4, 1, 4);
	want_add(&w, "\"pairs\":1,\"params\":[{\"name\":\"ONE\","
		     "\"value\":\"first\",\"continued\":true}]}\n");
	want_jrec(&w, "c1", "to-app", "GET_VALUES", 9, 0, 11);
	want_add(&w, "\"pairs\":1,\"params\":[{\"name\":\"FCGI_MAX_CONNS\","
		     "\"value\":\"\",\"continued\":true}]}\n");
	expect_want(&c, &w);
}

/* A masked name cut in its middle, then a masked one cut before its
 * value, and one that is not masked. */
static void split_redact(struct cap *c)
{
	uint8_t p1[64], p2[64], buf[64];
	size_t l1, l2, n;

	l1 = put_spair(p1, "HTTP_COOKIE", "sid=42");
	l2 = put_spair(p2, "SECRET", "s3");
	feed(c, NULL, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, p1, 7);
	memcpy(buf, p1 + 7, l1 - 7);
	memcpy(buf + l1 - 7, p2, 8);
	feed(c, NULL, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, buf, l1 - 7 + 8);
	n = l2 - 8;
	memcpy(buf, p2 + 8, n);
	n += put_spair(buf + n, "HTTP_COOKIE2", "shown");
	feed(c, NULL, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, buf, n);
}

static void test_trace_split_redact(void **state)
{
	const char *const mask[] = { "HTTP_COOKIE", "SECRET", NULL };
	struct fcgi_render_opts o;
	struct cap c;
	struct want w;

	(void)state;
	opts_of(&o, 0);
	o.redact = mask;
	cap_open(&c, &o);
	split_redact(&c);
	want_open(&w);
	want_add(&w, "-> PARAMS             id=1 len=7      0 pairs\n"
		     "     (7 bytes of a pair continue in the next record)\n"
		     "-> PARAMS             id=1 len=20     1 pair\n"
		     "     (pair continues from the previous record)\n"
		     "     HTTP_COOKIE = ***\n"
		     "     (8 bytes of a pair continue in the next record)\n"
		     "-> PARAMS             id=1 len=21     2 pairs\n"
		     "     (pair continues from the previous record)\n"
		     "     SECRET = ***\n"
		     "     HTTP_COOKIE2 = shown\n");
	expect_want(&c, &w);

	opts_of(&o, 1);
	o.redact = mask;
	cap_open(&c, &o);
	split_redact(&c);
	want_open(&w);
	want_jrec(&w, NULL, "to-app", "PARAMS", 4, 1, 7);
	want_add(&w, "\"pairs\":0,\"partialBytes\":7,\"params\":[]}\n");
	want_jrec(&w, NULL, "to-app", "PARAMS", 4, 1, 20);
	want_add(&w, "\"pairs\":1,\"partialBytes\":8,\"params\":["
		     "{\"name\":\"HTTP_COOKIE\",\"redacted\":true,"
		     "\"valueLength\":6,\"continued\":true}]}\n");
	want_jrec(&w, NULL, "to-app", "PARAMS", 4, 1, 21);
	want_add(&w, "\"pairs\":2,\"params\":["
		     "{\"name\":\"SECRET\",\"redacted\":true,"
		     "\"valueLength\":2,\"continued\":true},"
		     "{\"name\":\"HTTP_COOKIE2\",\"value\":\"shown\"}]}\n");
	expect_want(&c, &w);
}

/* A pair above pair_limit: kept are its lengths and the first body_limit
 * bytes of its name and value; a masked one stays masked. */
static void split_capped(struct cap *c)
{
	static const char name[] = "A_LONG_PARAM_NAME";
	uint8_t pair[256], buf[256];
	char v[100];
	size_t pl, n;

	for (size_t i = 0; i < sizeof(v); i++)
		v[i] = (char)('a' + i % 26);
	pl = put_pair(pair, name, sizeof(name) - 1, v, sizeof(v));
	assert_int_equal(pl, 119);
	/* Cut after the name length, then inside the name, then in the
	 * value, then the end and a small pair. */
	feed(c, "c1", FCGI_DIR_TO_APP, FCGI_PARAMS, 1, pair, 1);
	feed(c, "c1", FCGI_DIR_TO_APP, FCGI_PARAMS, 1, pair + 1, 5);
	feed(c, "c1", FCGI_DIR_TO_APP, FCGI_PARAMS, 1, pair + 6, 20);
	memcpy(buf, pair + 26, pl - 26);
	n = pl - 26;
	n += put_spair(buf + n, "X", "y");
	feed(c, "c1", FCGI_DIR_TO_APP, FCGI_PARAMS, 1, buf, n);
	/* A masked one, whose name is cut too. */
	pl = put_pair(pair, "HTTP_COOKIE", 11, v, 60);
	feed(c, "c1", FCGI_DIR_TO_APP, FCGI_PARAMS, 1, pair, 2);
	feed(c, "c1", FCGI_DIR_TO_APP, FCGI_PARAMS, 1, pair + 2, pl - 2);
}

static void test_trace_split_capped(void **state)
{
	struct fcgi_render_opts o;
	struct cap c;
	struct want w;

	(void)state;
	opts_of(&o, 0);
	o.pair_limit = 64;
	o.body_limit = 8;
	cap_open(&c, &o);
	split_capped(&c);
	want_open(&w);
	want_add(&w,
		 "c1 -> PARAMS             id=1 len=1      0 pairs\n"
		 "        (1 bytes of a pair continue in the next record)\n"
		 "c1 -> PARAMS             id=1 len=5      0 pairs\n"
		 "        (5 bytes of a pair continue in the next record)\n"
		 "c1 -> PARAMS             id=1 len=20     0 pairs\n"
		 "        (20 bytes of a pair continue in the next record)\n"
		 "c1 -> PARAMS             id=1 len=97     2 pairs\n"
		 "        (pair continues from the previous record)\n"
		 "        A_LONG_P ... (+9 bytes) = abcdefgh ... (+92 bytes)\n"
		 "        X = y\n"
		 "c1 -> PARAMS             id=1 len=2      0 pairs\n"
		 "        (2 bytes of a pair continue in the next record)\n"
		 "c1 -> PARAMS             id=1 len=71     1 pair\n"
		 "        (pair continues from the previous record)\n"
		 "        HTTP_COO ... (+3 bytes) = ***\n");
	expect_want(&c, &w);

	opts_of(&o, 1);
	o.pair_limit = 64;
	o.body_limit = 8;
	cap_open(&c, &o);
	split_capped(&c);
	want_open(&w);
	want_jrec(&w, "c1", "to-app", "PARAMS", 4, 1, 1);
	want_add(&w, "\"pairs\":0,\"partialBytes\":1,\"params\":[]}\n");
	want_jrec(&w, "c1", "to-app", "PARAMS", 4, 1, 5);
	want_add(&w, "\"pairs\":0,\"partialBytes\":5,\"params\":[]}\n");
	want_jrec(&w, "c1", "to-app", "PARAMS", 4, 1, 20);
	want_add(&w, "\"pairs\":0,\"partialBytes\":20,\"params\":[]}\n");
	want_jrec(&w, "c1", "to-app", "PARAMS", 4, 1, 97);
	want_add(&w,
		 "\"pairs\":2,\"params\":["
		 "{\"name\":\"A_LONG_P\",\"value\":\"abcdefgh\","
		 "\"continued\":true,\"truncated\":true,\"nameLength\":17,"
		 "\"valueLength\":100},{\"name\":\"X\",\"value\":\"y\"}]}\n");
	want_jrec(&w, "c1", "to-app", "PARAMS", 4, 1, 2);
	want_add(&w, "\"pairs\":0,\"partialBytes\":2,\"params\":[]}\n");
	want_jrec(&w, "c1", "to-app", "PARAMS", 4, 1, 71);
	want_add(&w, "\"pairs\":1,\"params\":["
		     "{\"name\":\"HTTP_COO\",\"redacted\":true,"
		     "\"continued\":true,\"truncated\":true,\"nameLength\":11,"
		     "\"valueLength\":60}]}\n");
	expect_want(&c, &w);
}

/* Peak resident memory in KiB. */
static long max_rss_kib(void)
{
	struct rusage ru;

	assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_maxrss;
}

/* A pair declaring 2^31-1 bytes of value under the default pair_limit:
 * the whole 2 GiB is sent, the trace keeps 64 bytes of it. */
static void test_trace_split_huge(void **state)
{
	static uint8_t body[FCGI_MAX_CONTENT];
	uint64_t left = 0x7fffffffu;
	struct fcgi_render_opts o;
	struct cap c;
	const char *last, *first;
	size_t n, records = 1;
	long rss;

	(void)state;
	opts_of(&o, 0);
	assert_int_equal(o.pair_limit, 1024 * 1024);
	memset(body, 'h', sizeof(body));
	body[0] = 3;
	body[1] = 0xff, body[2] = 0xff, body[3] = 0xff, body[4] = 0xff;
	memcpy(body + 5, "BIG", 3);
	rss = max_rss_kib();
	cap_open(&c, &o);
	n = sizeof(body);
	feed(&c, "c1", FCGI_DIR_TO_APP, FCGI_PARAMS, 1, body, n);
	left -= n - 8;
	memset(body, 'h', 8);
	while (left > 0) {
		n = left < sizeof(body) ? (size_t)left : sizeof(body);
		feed(&c, "c1", FCGI_DIR_TO_APP, FCGI_PARAMS, 1, body, n);
		left -= n;
		records++;
	}
	cap_close(&c);
	/* The first record of the pair was cut, not decoded as junk. */
	first = "c1 -> PARAMS             id=1 len=65535  0 pairs\n"
		"        (65535 bytes of a pair continue in the next record)\n";
	assert_memory_equal(c.text, first, strlen(first));
	assert_int_equal(records, 32769);
	last = c.text + c.len - 1;
	while (last > c.text && strncmp(last, "\nc1 -> ", 7) != 0)
		last--;
	assert_string_equal(
		last + 1, "c1 -> PARAMS             id=1 len=32775  1 pair\n"
			  "        (pair continues from the previous record)\n"
			  "        BIG = "
			  "hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh"
			  "hhhhhhhhhhhhhh ... (+2147483583 bytes)\n");
	free(c.text);
	/* Nothing near the declared size was held. */
	assert_true(max_rss_kib() - rss < 64 * 1024);
}

/* A stream that ends inside a pair, and a BEGIN_REQUEST that starts its
 * request afresh. */
static void test_trace_split_unfinished(void **state)
{
	struct fcgi_render_opts o;
	uint8_t pair[32];
	struct cap c;
	struct want w;
	size_t pl;

	(void)state;
	pl = put_spair(pair, "NAME", "value");
	for (int json = 0; json <= 1; json++) {
		opts_of(&o, json);
		cap_open(&c, &o);
		feed(&c, NULL, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, pair, 4);
		feed(&c, NULL, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, pair + 4, 2);
		feed(&c, NULL, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, NULL, 0);
		feed(&c, NULL, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, pair, 4);
		feed(&c, NULL, FCGI_DIR_TO_APP, FCGI_BEGIN_REQUEST, 1, begin_rk,
		     8);
		feed(&c, NULL, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, pair, pl);
		want_open(&w);
		if (!json) {
			want_add(
				&w,
				"-> PARAMS             id=1 len=4      0 "
				"pairs\n"
				"     (4 bytes of a pair continue in the next "
				"record)\n"
				"-> PARAMS             id=1 len=2      0 "
				"pairs\n"
				"     (2 bytes of a pair continue in the next "
				"record)\n"
				"-> PARAMS             id=1 len=0      end of "
				"stream\n"
				"     (the stream ends inside a pair: its 6 "
				"bytes "
				"are not shown)\n"
				"-> PARAMS             id=1 len=4      0 "
				"pairs\n"
				"     (4 bytes of a pair continue in the next "
				"record)\n"
				"-> BEGIN_REQUEST      id=1 len=8      "
				"role=RESPONDER flags=KEEP_CONN\n"
				"-> PARAMS             id=1 len=11     1 pair\n"
				"     NAME = value\n");
			expect_want(&c, &w);
			continue;
		}
		want_jrec(&w, NULL, "to-app", "PARAMS", 4, 1, 4);
		want_add(&w, "\"pairs\":0,\"partialBytes\":4,\"params\":[]}\n");
		want_jrec(&w, NULL, "to-app", "PARAMS", 4, 1, 2);
		want_add(&w, "\"pairs\":0,\"partialBytes\":2,\"params\":[]}\n");
		want_jrec(&w, NULL, "to-app", "PARAMS", 4, 1, 0);
		want_add(&w, "\"pairs\":0,\"unfinishedBytes\":6,"
			     "\"params\":[]}\n");
		want_jrec(&w, NULL, "to-app", "PARAMS", 4, 1, 4);
		want_add(&w, "\"pairs\":0,\"partialBytes\":4,\"params\":[]}\n");
		want_jrec(&w, NULL, "to-app", "BEGIN_REQUEST", 1, 1, 8);
		want_add(&w,
			 "\"role\":\"RESPONDER\",\"roleCode\":1,\"flags\":1,"
			 "\"keepConn\":true}\n");
		want_jrec(&w, NULL, "to-app", "PARAMS", 4, 1, 11);
		want_add(&w, "\"pairs\":1,\"params\":[{\"name\":\"NAME\","
			     "\"value\":\"value\"}]}\n");
		expect_want(&c, &w);
	}
}

/* 65 open pairs of one label with open_max 64: the one fed least
 * recently is forgotten, and its next record is decoded on its own as if
 * no pair were open. */
static void split_eviction(struct cap *c, const uint8_t *pair)
{
	for (uint16_t id = 1; id <= 64; id++)
		feed(c, NULL, FCGI_DIR_TO_APP, FCGI_PARAMS, id, pair, 3);
	/* Id 1 is fed again, so id 2 is now the oldest. */
	feed(c, NULL, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, pair + 3, 1);
	feed(c, NULL, FCGI_DIR_TO_APP, FCGI_PARAMS, 65, pair, 3);
	feed(c, NULL, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, pair + 4, 4);
	feed(c, NULL, FCGI_DIR_TO_APP, FCGI_PARAMS, 3, pair + 3, 5);
	feed(c, NULL, FCGI_DIR_TO_APP, FCGI_PARAMS, 65, pair + 3, 5);
	feed(c, NULL, FCGI_DIR_TO_APP, FCGI_PARAMS, 2, pair + 3, 5);
}

static void test_trace_split_eviction(void **state)
{
	struct fcgi_render_opts o;
	uint8_t pair[16];
	struct cap c;
	struct want w;
	char f[16];

	(void)state;
	/* 01 05 'K' "hello", cut after 'K'; "hello" on its own declares
	 * lengths 'h' (104) and 'e' (101). */
	assert_int_equal(put_spair(pair, "K", "hello"), 8);
	opts_of(&o, 0);
	o.open_max = 64;
	cap_open(&c, &o);
	split_eviction(&c, pair);
	want_open(&w);
	for (unsigned id = 1; id <= 65; id++) {
		snprintf(f, sizeof(f), "id=%u len=3", id);
		want_add(&w,
			 "-> PARAMS             %-14s  0 pairs\n"
			 "     (3 bytes of a pair continue in the next "
			 "record)\n",
			 f);
		if (id == 64)
			want_add(&w,
				 "-> PARAMS             id=1 len=1      0 "
				 "pairs\n"
				 "     (1 bytes of a pair continue in the next "
				 "record)\n");
	}
	want_add(&w, "-> PARAMS             id=1 len=4      1 pair\n"
		     "     (pair continues from the previous record)\n"
		     "     K = hello\n"
		     "-> PARAMS             id=3 len=5      1 pair\n"
		     "     (pair continues from the previous record)\n"
		     "     K = hello\n"
		     "-> PARAMS             id=65 len=5     1 pair\n"
		     "     (pair continues from the previous record)\n"
		     "     K = hello\n"
		     "-> PARAMS             id=2 len=5      0 pairs\n"
		     "     (5 bytes of a pair continue in the next record)\n");
	expect_want(&c, &w);

	opts_of(&o, 1);
	o.open_max = 64;
	cap_open(&c, &o);
	split_eviction(&c, pair);
	want_open(&w);
	for (unsigned id = 1; id <= 65; id++) {
		want_jrec(&w, NULL, "to-app", "PARAMS", 4, id, 3);
		want_add(&w, "\"pairs\":0,\"partialBytes\":3,\"params\":[]}\n");
		if (id != 64)
			continue;
		want_jrec(&w, NULL, "to-app", "PARAMS", 4, 1, 1);
		want_add(&w, "\"pairs\":0,\"partialBytes\":1,\"params\":[]}\n");
	}
	for (size_t i = 0; i < 3; i++) {
		static const unsigned done[3] = { 1, 3, 65 };

		want_jrec(&w, NULL, "to-app", "PARAMS", 4, done[i],
			  i == 0 ? 4 : 5);
		want_add(&w, "\"pairs\":1,\"params\":[{\"name\":\"K\","
			     "\"value\":\"hello\",\"continued\":true}]}\n");
	}
	want_jrec(&w, NULL, "to-app", "PARAMS", 4, 2, 5);
	want_add(&w, "\"pairs\":0,\"partialBytes\":5,\"params\":[]}\n");
	expect_want(&c, &w);
}
/* 1000 PARAMS streams of one connection and 1000 of another, all open at
 * once, each cut inside a pair: with the default limits every pair is
 * shown whole in the record that completes it, and forgetting a label
 * drops its pairs only. */
static void test_trace_split_many_open(void **state)
{
	enum { STREAMS = 1000 };
	struct fcgi_render_opts o;
	struct failmem fm;
	uint8_t pair[64];
	struct cap c;
	struct want w;
	char value[16], f[32];
	size_t n;

	(void)state;
	opts_of(&o, 0);
	failmem_init(&fm, -1);
	o.mem = &fm.mem;
	cap_open(&c, &o);
	want_open(&w);
	for (unsigned id = 1; id <= STREAMS; id++) {
		snprintf(value, sizeof(value), "v%u", id);
		n = put_spair(pair, "NAME", value);
		feed(&c, "c1", FCGI_DIR_TO_APP, FCGI_PARAMS, (uint16_t)id, pair,
		     4);
		feed(&c, "c2", FCGI_DIR_TO_APP, FCGI_PARAMS, (uint16_t)id, pair,
		     3);
		snprintf(f, sizeof(f), "id=%u len=4", id);
		want_add(&w,
			 "c1 -> PARAMS             %-14s  0 pairs\n"
			 "        (4 bytes of a pair continue in the next "
			 "record)\n",
			 f);
		snprintf(f, sizeof(f), "id=%u len=3", id);
		want_add(&w,
			 "c2 -> PARAMS             %-14s  0 pairs\n"
			 "        (3 bytes of a pair continue in the next "
			 "record)\n",
			 f);
	}
	for (unsigned id = STREAMS; id >= 1; id--) {
		snprintf(value, sizeof(value), "v%u", id);
		n = put_spair(pair, "NAME", value);
		feed(&c, "c1", FCGI_DIR_TO_APP, FCGI_PARAMS, (uint16_t)id,
		     pair + 4, n - 4);
		snprintf(f, sizeof(f), "id=%u len=%zu", id, n - 4);
		want_add(&w,
			 "c1 -> PARAMS             %-14s  1 pair\n"
			 "        (pair continues from the previous record)\n"
			 "        NAME = v%u\n",
			 f, id);
	}
	/* c2's pairs go with the connection: the rest of id 1's pair is
	 * then read as the start of a new one, as after no open pair. */
	assert_true(fm.live > STREAMS);
	fcgi_render_forget(c.r, "c2");
	fcgi_render_forget(c.r, "c2");
	fcgi_render_forget(c.r, NULL);
	n = put_spair(pair, "NAME", "v1");
	feed(&c, "c2", FCGI_DIR_TO_APP, FCGI_PARAMS, 1, pair + 3, n - 3);
	want_add(&w,
		 "c2 -> PARAMS             id=1 len=%zu      0 pairs\n"
		 "        (%zu bytes of a pair continue in the next "
		 "record)\n",
		 n - 3, n - 3);
	expect_want(&c, &w);
	assert_int_equal(fm.live, 0);
}

/* An unlabelled connection is a label of its own, forgotten by NULL. */
static void test_trace_split_forget_unnamed(void **state)
{
	struct fcgi_render_opts o;
	uint8_t pair[16];
	struct cap c;
	struct want w;

	(void)state;
	assert_int_equal(put_spair(pair, "K", "hello"), 8);
	opts_of(&o, 0);
	cap_open(&c, &o);
	feed(&c, NULL, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, pair, 3);
	feed(&c, "x", FCGI_DIR_TO_APP, FCGI_PARAMS, 1, pair, 3);
	fcgi_render_forget(c.r, "x");
	feed(&c, NULL, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, pair + 3, 5);
	fcgi_render_forget(c.r, NULL);
	feed(&c, NULL, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, pair, 3);
	fcgi_render_forget(c.r, NULL);
	feed(&c, NULL, FCGI_DIR_TO_APP, FCGI_PARAMS, 1, pair + 3, 5);
	want_open(&w);
	want_add(&w, "-> PARAMS             id=1 len=3      0 pairs\n"
		     "     (3 bytes of a pair continue in the next record)\n"
		     "x -> PARAMS             id=1 len=3      0 pairs\n"
		     "       (3 bytes of a pair continue in the next record)\n"
		     "-> PARAMS             id=1 len=5      1 pair\n"
		     "     (pair continues from the previous record)\n"
		     "     K = hello\n"
		     "-> PARAMS             id=1 len=3      0 pairs\n"
		     "     (3 bytes of a pair continue in the next record)\n"
		     "-> PARAMS             id=1 len=5      0 pairs\n"
		     "     (5 bytes of a pair continue in the next record)\n");
	expect_want(&c, &w);
}

/* show_severity lets through the violations of that severity and the
 * more serious ones, in text and JSON; notes always print. */
static void test_trace_show_severity(void **state)
{
	static const enum fcgi_severity sev[] = { FCGI_SEV_SPEC,
						  FCGI_SEV_INTEROP,
						  FCGI_SEV_NOTE };
	struct fcgi_render_opts o;
	struct fcgi_violation v;
	struct cap c;
	char *out;

	(void)state;
	memset(&v, 0, sizeof(v));
	v.code = FCGI_V_UNALIGNED;
	snprintf(v.message, sizeof(v.message), "m");
	for (int json = 0; json <= 1; json++) {
		for (size_t shown = 0; shown <= 3; shown++) {
			opts_of(&o, json);
			o.show_severity = (enum fcgi_severity)shown;
			cap_open(&c, &o);
			for (size_t i = 0; i < 3; i++) {
				v.severity = sev[i];
				fcgi_render_violation(c.r, NULL, -1, &v);
			}
			fcgi_render_note(c.r, NULL, -1, "n", NULL);
			out = cap_close(&c);
			/* 0 shows all three. */
			assert_non_null(
				strstr(out, json ? "\"spec\"" : "!! spec "));
			assert_true((strstr(out, json ? "\"interop\""
						      : "!! interop ") !=
				     NULL) == (shown == 0 || shown >= 2));
			assert_true((strstr(out, json ? "\"severity\":\"note\""
						      : "!! note ") != NULL) ==
				    (shown == 0 || shown == 3));
			assert_non_null(strstr(out, json ? "\"what\":\"n\""
							 : "** n\n"));
			free(out);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trace_escape_every_byte),
		cmocka_unit_test(test_trace_escape_never_overflows),
		cmocka_unit_test(test_trace_fmt_fixed_as_printf),
		cmocka_unit_test(test_trace_text_begin),
		cmocka_unit_test(test_trace_text_end),
		cmocka_unit_test(test_trace_text_abort),
		cmocka_unit_test(test_trace_text_unknown_type),
		cmocka_unit_test(test_trace_text_type_outside_spec),
		cmocka_unit_test(test_trace_text_streams),
		cmocka_unit_test(test_trace_text_escape_positions),
		cmocka_unit_test(test_trace_text_padding),
		cmocka_unit_test(test_trace_text_body_limit),
		cmocka_unit_test(test_trace_text_bad_body_length),
		cmocka_unit_test(test_trace_text_params),
		cmocka_unit_test(test_trace_text_prefix),
		cmocka_unit_test(test_trace_text_ts_as_printf),
		cmocka_unit_test(test_trace_text_params_hidden),
		cmocka_unit_test(test_trace_text_values),
		cmocka_unit_test(test_trace_text_params_split),
		cmocka_unit_test(test_trace_text_redact),
		cmocka_unit_test(test_trace_text_violation_and_note),
		cmocka_unit_test(test_trace_text_conversation),
		cmocka_unit_test(test_trace_only_types),
		cmocka_unit_test(test_trace_color),
		cmocka_unit_test(test_trace_opts_default),
		cmocka_unit_test(test_trace_json_begin_end),
		cmocka_unit_test(test_trace_json_other_types),
		cmocka_unit_test(test_trace_json_streams),
		cmocka_unit_test(test_trace_json_large_record),
		cmocka_unit_test(test_trace_json_params),
		cmocka_unit_test(test_trace_json_params_b64),
		cmocka_unit_test(test_trace_json_params_hidden),
		cmocka_unit_test(test_trace_json_violation_and_note),
		cmocka_unit_test(test_trace_json_schema),
		cmocka_unit_test(test_trace_json_alloc_failure),
		cmocka_unit_test(test_trace_split_value),
		cmocka_unit_test(test_trace_split_length),
		cmocka_unit_test(test_trace_split_three),
		cmocka_unit_test(test_trace_split_interleaved),
		cmocka_unit_test(test_trace_split_redact),
		cmocka_unit_test(test_trace_split_capped),
		cmocka_unit_test(test_trace_split_huge),
		cmocka_unit_test(test_trace_split_unfinished),
		cmocka_unit_test(test_trace_split_eviction),
		cmocka_unit_test(test_trace_split_many_open),
		cmocka_unit_test(test_trace_show_severity),
		cmocka_unit_test(test_trace_split_forget_unnamed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
