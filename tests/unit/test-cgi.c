/* SPDX-License-Identifier: MIT */
/* test-cgi.c - the CGI response reader. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "failmem.h"
#include "guard.h"
#include "internal.h"

/* What a whole read produced. */
struct result {
	int rc;		/* 0, or the error */
	size_t body_at; /* offset of the first body byte */
	int status;
	char reason[64];
	size_t nheaders;
};

/* Feed text cut at the given points (ascending, ends with len), each
 * piece against a guard page when guarded, and record the outcome. */
static void read_cut(const char *text, size_t len, const size_t *cuts,
		     size_t ncuts, int guarded, struct fcgi_cgi *r,
		     struct result *res)
{
	struct guard g;
	size_t pos = 0, i, n;
	const uint8_t *p;
	ssize_t rc = 0;

	memset(res, 0, sizeof(*res));
	res->body_at = SIZE_MAX;
	for (i = 0; i < ncuts && pos < len; i++) {
		n = cuts[i] - pos;
		p = (const uint8_t *)text + pos;
		if (guarded) {
			assert_non_null(guard_place(&g, p, n));
			p = g.data;
		}
		rc = fcgi_cgi_feed(r, p, n);
		if (guarded)
			guard_release(&g);
		if (rc < 0)
			break;
		assert_true((size_t)rc <= n);
		if (r->done && res->body_at == SIZE_MAX)
			res->body_at = pos + (size_t)rc;
		else
			assert_int_equal(rc, r->done ? 0 : (ssize_t)n);
		pos = cuts[i];
	}
	res->rc = rc < 0 ? (int)rc : 0;
	res->status = r->status;
	memcpy(res->reason, r->reason, sizeof(res->reason));
	res->nheaders = fcgi_params_count(&r->headers);
}

/* Read whole with a fresh reader. */
static struct result read_whole(const char *text, size_t max)
{
	struct fcgi_cgi r;
	struct result res;
	size_t cut = strlen(text);

	fcgi_cgi_init(&r, NULL, max);
	read_cut(text, cut, &cut, 1, 0, &r, &res);
	fcgi_cgi_fini(&r);
	return res;
}

/* The header i of r is name: value. */
static void assert_header(const struct fcgi_cgi *r, size_t i, const char *n,
			  const char *v)
{
	struct fcgi_nv nv;

	assert_true(i < fcgi_params_count(&r->headers));
	fcgi_params_at(&r->headers, i, &nv);
	assert_int_equal(nv.name_len, strlen(n));
	assert_memory_equal(nv.name, n, nv.name_len);
	assert_int_equal(nv.value_len, strlen(v));
	assert_memory_equal(nv.value, v, nv.value_len);
}

static void test_cgi_basic(void **state)
{
	static const char text[] = "Content-Type: text/html\r\n"
				   "X-Two:   spaced \t\r\n"
				   "X-Two: again\r\n"
				   "X-Empty:\r\n"
				   "\r\n"
				   "<p>body\r\n\r\nmore";
	struct fcgi_cgi r;
	struct result res;
	size_t cut = sizeof(text) - 1;

	(void)state;
	fcgi_cgi_init(&r, NULL, 0);
	read_cut(text, cut, &cut, 1, 0, &r, &res);
	assert_int_equal(res.rc, 0);
	assert_true(r.done);
	assert_int_equal(res.body_at, strstr(text, "<p>") - text);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.reason, "");
	assert_int_equal(res.nheaders, 4);
	assert_header(&r, 0, "Content-Type", "text/html");
	assert_header(&r, 1, "X-Two", "spaced");
	assert_header(&r, 2, "X-Two", "again");
	assert_header(&r, 3, "X-Empty", "");
	/* Done: every later byte is body. */
	assert_int_equal(fcgi_cgi_feed(&r, (const uint8_t *)"a: b\n\n", 6), 0);
	assert_int_equal(fcgi_params_count(&r.headers), 4);
	assert_int_equal(r.header_bytes, res.body_at);
	fcgi_cgi_fini(&r);
}

/* LF-only lines, and a bare LF ending a CRLF block (RFC 3875, 6.3). */
static void test_cgi_line_ends(void **state)
{
	struct result res;

	(void)state;
	res = read_whole("A: 1\nB: 2\n\nbody", 0);
	assert_int_equal(res.rc, 0);
	assert_int_equal(res.body_at, 11);
	assert_int_equal(res.nheaders, 2);
	res = read_whole("A: 1\r\nB: 2\r\n\nbody", 0);
	assert_int_equal(res.body_at, 13);
	res = read_whole("A: 1\nB: 2\r\n\r\nbody", 0);
	assert_int_equal(res.body_at, 13);
	/* A block that is only the blank line. */
	res = read_whole("\r\nbody", 0);
	assert_int_equal(res.rc, 0);
	assert_int_equal(res.body_at, 2);
	assert_int_equal(res.nheaders, 0);
	/* Not finished yet. */
	res = read_whole("A: 1\r\n", 0);
	assert_int_equal(res.rc, 0);
	assert_int_equal(res.body_at, SIZE_MAX);
}

static void test_cgi_status(void **state)
{
	struct result res;

	(void)state;
	res = read_whole("Status: 404 Not Found\r\n\r\n", 0);
	assert_int_equal(res.rc, 0);
	assert_int_equal(res.status, 404);
	assert_string_equal(res.reason, "Not Found");
	res = read_whole("status:503\r\n\r\n", 0);
	assert_int_equal(res.status, 503);
	assert_string_equal(res.reason, "");
	res = read_whole("Status:  200  OK\r\n\r\n", 0);
	assert_int_equal(res.rc, 0);
	assert_int_equal(res.status, 200);
	assert_string_equal(res.reason, "OK");
	res = read_whole("Status: 204\tNo Content\r\n\r\n", 0);
	assert_int_equal(res.status, 204);
	assert_string_equal(res.reason, "No Content");
	res = read_whole("Status: 599 Edge\r\n\r\n", 0);
	assert_int_equal(res.status, 599);
	res = read_whole("STATUS: 200   OK then  \n\n", 0);
	assert_int_equal(res.status, 200);
	assert_string_equal(res.reason, "OK then");
	/* RFC 3875, 6.2.4: a redirect without Status is 302. */
	res = read_whole("Location: http://x/\r\n\r\n", 0);
	assert_int_equal(res.status, 302);
	res = read_whole("Location: /a\r\nStatus: 301 Moved\r\n\r\n", 0);
	assert_int_equal(res.status, 301);
	assert_string_equal(res.reason, "Moved");
	res = read_whole("Status: 307\r\nLocation: /a\r\n\r\n", 0);
	assert_int_equal(res.status, 307);
	/* A long reason is cut to fit, still terminated. */
	res = read_whole("Status: 500 "
			 "0123456789012345678901234567890123456789"
			 "0123456789012345678901234567890123456789\n\n",
			 0);
	assert_int_equal(res.status, 500);
	assert_int_equal(strlen(res.reason), 63);
}

/* One response that is none: the rule, where, and the message. */
struct bad {
	const char *text;
	enum fcgi_cgi_error error;
	unsigned line;
	uint64_t offset;
	const char *message;
};

static const struct bad bad[] = {
	{ "Status: abc\r\n\r\n", FCGI_CGI_BAD_STATUS, 1, 0,
	  "invalid Status \"abc\" in header line 1: not a 3-digit code from "
	  "100 to 599 and a reason (offset 0)" },
	{ "A: b\r\nStatus: 20\r\n\r\n", FCGI_CGI_BAD_STATUS, 2, 6,
	  "invalid Status \"20\" in header line 2: not a 3-digit code from "
	  "100 to 599 and a reason (offset 6)" },
	{ "Status: 2000\r\n\r\n", FCGI_CGI_BAD_STATUS, 1, 0, NULL },
	{ "Status: 200x OK\r\n\r\n", FCGI_CGI_BAD_STATUS, 1, 0, NULL },
	{ "Status: 099 Low\r\n\r\n", FCGI_CGI_BAD_STATUS, 1, 0, NULL },
	{ "Status: 600 Beyond\r\n\r\n", FCGI_CGI_BAD_STATUS, 1, 0, NULL },
	{ "Status:\r\n\r\n", FCGI_CGI_BAD_STATUS, 1, 0,
	  "invalid Status \"\" in header line 1: not a 3-digit code from 100 "
	  "to 599 and a reason (offset 0)" },
	{ "Status: \xff\x31\x30\r\n\r\n", FCGI_CGI_BAD_STATUS, 1, 0,
	  "invalid Status \"\\xff10\" in header line 1: not a 3-digit code "
	  "from 100 to 599 and a reason (offset 0)" },
	{ "Status: 200\r\nStatus: 404 No\r\n\r\n", FCGI_CGI_DUP_STATUS, 2, 13,
	  "a second Status \"404 No\" in header line 2, after 200 (offset "
	  "13)" },
	{ "Content-Type: a/b\r\nno colon here\r\n\r\n", FCGI_CGI_NO_COLON, 2,
	  19, "header line 2 has no colon: \"no colon here\" (offset 19)" },
	{ "Hello, world!\n", FCGI_CGI_NO_HEADER_BLOCK, 1, 0,
	  "no header block: STDOUT begins with \"Hello, world!\", which is no "
	  "header line (offset 0)" },
	{ "HTTP/1.1 200 OK\r\n\r\n", FCGI_CGI_NO_HEADER_BLOCK, 1, 0,
	  "no header block: STDOUT begins with an HTTP status line "
	  "\"HTTP/1.1 200 OK\" (offset 0); CGI gives the status as a Status "
	  "header" },
	{ ": empty name\r\n\r\n", FCGI_CGI_BAD_NAME, 1, 0,
	  "header line 1 has an empty name: \": empty name\" (offset 0)" },
	{ "A: 1\r\n folded\r\n\r\n", FCGI_CGI_NO_COLON, 2, 6, NULL },
	{ "A: 1\r\n folded: x\r\n\r\n", FCGI_CGI_BAD_NAME, 2, 6,
	  "header line 2 has a bad name \" folded\": a space is not allowed "
	  "in a field name (offset 6)" },
	{ "Status : 200\r\n\r\n", FCGI_CGI_BAD_NAME, 1, 6,
	  "header line 1 has a bad name \"Status \": a space is not allowed "
	  "in a field name (offset 6)" },
	{ "Content-Type: text/plain\rX: y\r\n\r\n", FCGI_CGI_BAD_BYTE, 1, 24,
	  "header line 1 has a CR without LF: \"Content-Type: "
	  "text/plain\\rX: y\" (offset 24)" },
	{ "A: b\0c\r\n\r\n", FCGI_CGI_BAD_BYTE, 1, 4,
	  "header line 1 has the control byte 0x00: \"A: b\\x00c\" (offset "
	  "4)" },
};

/* Read text (of len bytes: it may hold NUL) whole, at every cut in two
 * and byte by byte: the same error, line, offset and message. */
static void check_bad(const struct bad *b, size_t len)
{
	struct fcgi_cgi r;
	char msg[256], want[256];
	size_t cuts[2], k;
	struct result res;

	for (k = 0; k <= len + 1; k++) {
		cuts[0] = k <= len ? k : 1;
		cuts[1] = len;
		fcgi_cgi_init(&r, NULL, 0);
		if (k <= len) {
			read_cut(b->text, len, cuts, 2, k % 2, &r, &res);
		} else {
			size_t i, bytes[64];

			assert_true(len <= 64);
			for (i = 0; i < len; i++)
				bytes[i] = i + 1;
			read_cut(b->text, len, bytes, len, 1, &r, &res);
		}
		assert_int_equal(res.rc, FCGI_EPROTO);
		assert_int_equal(r.error, b->error);
		assert_int_equal(r.error_line, b->line);
		assert_int_equal(r.error_offset, b->offset);
		fcgi_cgi_message(&r, msg, sizeof(msg));
		if (k == 0 && b->message != NULL)
			assert_string_equal(msg, b->message);
		if (k == 0)
			memcpy(want, msg, sizeof(want));
		else
			assert_string_equal(msg, want);
		/* The error is sticky, and ending changes nothing. */
		assert_int_equal(fcgi_cgi_feed(&r, (const uint8_t *)"\n", 1),
				 FCGI_EPROTO);
		assert_int_equal(fcgi_cgi_end(&r), FCGI_EPROTO);
		assert_int_equal(r.error, b->error);
		assert_false(r.done);
		fcgi_cgi_fini(&r);
	}
}

static void test_cgi_errors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < FCGI_ARRAY_LEN(bad); i++)
		check_bad(&bad[i], i == FCGI_ARRAY_LEN(bad) - 1
					   ? 10
					   : strlen(bad[i].text));
	assert_string_equal(fcgi_cgi_error_name(FCGI_CGI_BAD_STATUS),
			    "bad-status");
	assert_string_equal(fcgi_cgi_error_name(FCGI_CGI_NO_HEADER_BLOCK),
			    "no-header-block");
	assert_string_equal(fcgi_cgi_error_name((enum fcgi_cgi_error)99),
			    "unknown");
}

/* STDOUT ending: nothing at all, inside a line, after a line. */
static void test_cgi_end(void **state)
{
	struct fcgi_cgi r;
	char msg[256];

	(void)state;
	fcgi_cgi_init(&r, NULL, 0);
	assert_int_equal(fcgi_cgi_end(&r), FCGI_EPROTO);
	assert_int_equal(r.error, FCGI_CGI_EMPTY);
	fcgi_cgi_message(&r, msg, sizeof(msg));
	assert_string_equal(msg, "STDOUT is empty");
	fcgi_cgi_fini(&r);

	fcgi_cgi_init(&r, NULL, 0);
	assert_int_equal(fcgi_cgi_feed(&r, (const uint8_t *)"A: 1\r\nHel", 9),
			 9);
	assert_int_equal(fcgi_cgi_feed(&r, (const uint8_t *)"lo", 2), 2);
	assert_int_equal(fcgi_cgi_end(&r), FCGI_EPROTO);
	assert_int_equal(r.error, FCGI_CGI_UNTERMINATED);
	fcgi_cgi_message(&r, msg, sizeof(msg));
	assert_string_equal(msg, "STDOUT ended inside header line 2 "
				 "\"Hello\": no blank line ends the header "
				 "block (offset 6)");
	fcgi_cgi_fini(&r);

	fcgi_cgi_init(&r, NULL, 0);
	assert_int_equal(fcgi_cgi_feed(&r, (const uint8_t *)"A: 1\r\n", 6), 6);
	assert_int_equal(fcgi_cgi_end(&r), FCGI_EPROTO);
	fcgi_cgi_message(&r, msg, sizeof(msg));
	assert_string_equal(msg, "STDOUT ended after header line 1: no blank "
				 "line ends the header block (offset 6)");
	fcgi_cgi_fini(&r);

	/* A complete block: ending is fine, however short the body. */
	fcgi_cgi_init(&r, NULL, 0);
	assert_int_equal(fcgi_cgi_feed(&r, (const uint8_t *)"A: 1\n\n", 6), 6);
	assert_int_equal(fcgi_cgi_end(&r), 0);
	assert_int_equal(r.error, FCGI_CGI_OK);
	fcgi_cgi_fini(&r);
}

static void test_cgi_limit(void **state)
{
	static const char text[] = "A: 12345\r\n\r\nbody"; /* block: 12 */
	struct fcgi_cgi r;
	size_t k;

	(void)state;
	assert_int_equal(read_whole(text, 12).rc, 0);
	assert_int_equal(read_whole(text, 12).body_at, 12);
	assert_int_equal(read_whole(text, 11).rc, FCGI_ELIMIT);
	fcgi_cgi_init(&r, NULL, 11);
	assert_int_equal(fcgi_cgi_feed(&r, (const uint8_t *)text, 16),
			 FCGI_ELIMIT);
	assert_int_equal(r.error, FCGI_CGI_TOO_BIG);
	{
		char msg[128];

		fcgi_cgi_message(&r, msg, sizeof(msg));
		assert_string_equal(msg, "the header block exceeds 11 bytes, "
					 "in header line 2 (offset 11)");
	}
	fcgi_cgi_fini(&r);
	/* A line that never ends stops at the limit, not at memory. */
	fcgi_cgi_init(&r, NULL, 100);
	for (k = 0; k < 100; k++)
		assert_int_equal(fcgi_cgi_feed(&r, (const uint8_t *)"x", 1), 1);
	assert_int_equal(fcgi_cgi_feed(&r, (const uint8_t *)"x", 1),
			 FCGI_ELIMIT);
	assert_int_equal(fcgi_cgi_feed(&r, (const uint8_t *)"\n", 1),
			 FCGI_ELIMIT);
	fcgi_cgi_fini(&r);
}

/* Every way of cutting the text in two, and one byte at a time (against
 * guard pages), reads the same. */
static void test_cgi_split_invariance(void **state)
{
	static const char text[] = "Status: 404 Not Found\r\n"
				   "Content-Type: text/plain\n"
				   "X-A:  b  \r\n"
				   "\n"
				   "File not found.\n";
	const size_t len = sizeof(text) - 1;
	struct fcgi_cgi r, ref;
	struct result want, got;
	size_t cuts[2], bytes[sizeof(text)], k, i;

	(void)state;
	cuts[0] = len;
	fcgi_cgi_init(&ref, NULL, 0);
	read_cut(text, len, cuts, 1, 1, &ref, &want);
	assert_int_equal(want.rc, 0);
	assert_int_equal(want.status, 404);
	assert_int_equal(want.nheaders, 3);
	for (k = 0; k <= len; k++) {
		cuts[0] = k;
		cuts[1] = len;
		fcgi_cgi_init(&r, NULL, 0);
		read_cut(text, len, cuts, 2, k % 3 == 0, &r, &got);
		assert_memory_equal(&got, &want, sizeof(got));
		for (i = 0; i < want.nheaders; i++) {
			struct fcgi_nv a, b;
			fcgi_params_at(&r.headers, i, &a);
			fcgi_params_at(&ref.headers, i, &b);
			assert_int_equal(a.name_len, b.name_len);
			assert_int_equal(a.value_len, b.value_len);
			assert_memory_equal(a.value, b.value, a.value_len);
		}
		fcgi_cgi_fini(&r);
	}
	for (k = 0; k < len; k++)
		bytes[k] = k + 1;
	fcgi_cgi_init(&r, NULL, 0);
	read_cut(text, len, bytes, len, 1, &r, &got);
	assert_memory_equal(&got, &want, sizeof(got));
	fcgi_cgi_fini(&r);
	fcgi_cgi_fini(&ref);
}

static int sweep_read(void *arg, const struct fcgi_mem *mem)
{
	const char *text = arg;
	size_t len = strlen(text), i;
	struct fcgi_cgi r;
	ssize_t rc = 0;

	fcgi_cgi_init(&r, mem, 0);
	/* Half a line at a time, so the line buffer is used too. */
	for (i = 0; i < len && rc >= 0 && !r.done; i += 7)
		rc = fcgi_cgi_feed(&r, (const uint8_t *)text + i,
				   len - i < 7 ? len - i : 7);
	fcgi_cgi_fini(&r);
	return rc < 0 ? (int)rc : 0;
}

static void test_cgi_alloc_failures(void **state)
{
	char text[] = "Status: 200 OK\r\nContent-Type: text/plain\r\n"
		      "X-Powered-By: a test\r\nSet-Cookie: a=b\r\n\r\nbody";
	char why[128] = "";
	long hits;

	(void)state;
	hits = failmem_sweep(sweep_read, text, 1000, why, sizeof(why));
	assert_string_equal(why, "");
	assert_true(hits >= 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cgi_basic),
		cmocka_unit_test(test_cgi_line_ends),
		cmocka_unit_test(test_cgi_status),
		cmocka_unit_test(test_cgi_errors),
		cmocka_unit_test(test_cgi_end),
		cmocka_unit_test(test_cgi_limit),
		cmocka_unit_test(test_cgi_split_invariance),
		cmocka_unit_test(test_cgi_alloc_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
