/* SPDX-License-Identifier: MIT */
/* test-json.c - the one JSON writer: nesting, escapes, numbers, the bytes
 * rule, and allocation failure. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "failmem.h"
#include "internal.h"

/* End j and compare the buffer with want. */
static void expect(struct fcgi_json *j, struct fcgi_buf *b, const char *want)
{
	assert_int_equal(fcgi_json_end(j), 0);
	assert_int_equal(b->len, strlen(want));
	assert_memory_equal(b->data, want, b->len);
	fcgi_buf_reset(b);
}

static void test_json_nesting(void **state)
{
	struct fcgi_buf b;
	struct fcgi_json j;

	(void)state;
	fcgi_buf_init(&b, NULL, 0);
	fcgi_json_begin(&j, &b);
	expect(&j, &b, "{}");

	fcgi_json_begin(&j, &b);
	fcgi_json_str(&j, "kind", "x");
	fcgi_json_arr_open(&j, "list");
	fcgi_json_int(&j, NULL, -1);
	fcgi_json_obj_open(&j, NULL);
	fcgi_json_bool(&j, "ok", true);
	fcgi_json_null(&j, "none");
	fcgi_json_obj_close(&j);
	fcgi_json_arr_open(&j, NULL);
	fcgi_json_arr_close(&j);
	fcgi_json_arr_close(&j);
	fcgi_json_obj_open(&j, "o");
	fcgi_json_uint(&j, "big", UINT64_MAX);
	/* Left open: end closes it. */
	expect(&j, &b,
	       "{\"kind\":\"x\",\"list\":[-1,{\"ok\":true,\"none\":null},[]],"
	       "\"o\":{\"big\":18446744073709551615}}");

	/* A close that does not match, and nesting too deep. */
	fcgi_json_begin(&j, &b);
	fcgi_json_arr_close(&j);
	assert_int_equal(fcgi_json_end(&j), FCGI_EINVAL);
	fcgi_buf_reset(&b);
	fcgi_json_begin(&j, &b);
	for (int i = 0; i < FCGI_JSON_DEPTH + 2; i++)
		fcgi_json_arr_open(&j, i == 0 ? "a" : NULL);
	assert_int_equal(fcgi_json_end(&j), FCGI_EINVAL);
	fcgi_buf_fini(&b);
}

static void test_json_strings(void **state)
{
	struct fcgi_buf b;
	struct fcgi_json j;

	(void)state;
	fcgi_buf_init(&b, NULL, 0);
	fcgi_json_begin(&j, &b);
	fcgi_json_str(&j, "s", "a\"b\\c\n\r\t\x01\x1f é");
	fcgi_json_str(&j, "latin1", "caf\xe9");
	fcgi_json_str(&j, "null", NULL);
	expect(&j, &b,
	       "{\"s\":\"a\\\"b\\\\c\\n\\r\\t\\u0001\\u001f é\","
	       "\"latin1\":\"caf\\\\xe9\",\"null\":null}");
	fcgi_buf_fini(&b);
}

static void test_json_bytes_rule(void **state)
{
	static const uint8_t nul[] = { 'a', 0, 'b' };
	static const uint8_t bin[] = { 0xff, 0xfe, 0x00, 0x80 };
	struct fcgi_buf b;
	struct fcgi_json j;

	(void)state;
	fcgi_buf_init(&b, NULL, 0);
	fcgi_json_begin(&j, &b);
	fcgi_json_bytes(&j, "body", "hé", 3);
	fcgi_json_bytes(&j, "value", nul, sizeof(nul));
	fcgi_json_bytes(&j, "raw", bin, sizeof(bin));
	fcgi_json_bytes(&j, "empty", "", 0);
	fcgi_json_arr_open(&j, "list");
	fcgi_json_bytes(&j, NULL, bin, 1);
	fcgi_json_arr_close(&j);
	expect(&j, &b,
	       "{\"body\":\"hé\",\"valueB64\":\"YQBi\",\"rawB64\":\"//4AgA==\","
	       "\"empty\":\"\",\"list\":[\"/w==\"]}");
	/* 65535 bytes of binary: base64 of 87380 characters, in pieces. */
	{
		static uint8_t big[65535];
		char want[4];

		memset(big, 0xff, sizeof(big));
		fcgi_json_begin(&j, &b);
		fcgi_json_bytes(&j, "b", big, sizeof(big));
		assert_int_equal(fcgi_json_end(&j), 0);
		assert_int_equal(b.len, strlen("{\"bB64\":\"\"}") + 87380);
		assert_int_equal(fcgi_base64_encode(want, big, 3), 4);
		assert_memory_equal(want, "////", 4);
		fcgi_buf_reset(&b);
	}
	fcgi_buf_fini(&b);
}

/* The escapes by the rule, one byte at a time (RFC 8259, 7): what the
 * word-at-a-time scans must give, whatever the position. */
static size_t ref_escaped(char *out, const uint8_t *in, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		uint8_t c = in[i];

		if (c == '"' || c == '\\') {
			out[o++] = '\\', out[o++] = (char)c;
		} else if (c == '\n') {
			out[o++] = '\\', out[o++] = 'n';
		} else if (c == '\r') {
			out[o++] = '\\', out[o++] = 'r';
		} else if (c == '\t') {
			out[o++] = '\\', out[o++] = 't';
		} else if (c < 0x20) {
			memcpy(out + o, "\\u00", 4);
			out[o + 4] = hex[c >> 4], out[o + 5] = hex[c & 15];
			o += 6;
		} else {
			out[o++] = (char)c;
		}
	}
	return o;
}

static void test_json_scan_positions(void **state)
{
	/* Bytes around the edges of the word tests: controls, the two
	 * escaped ones, DEL, a UTF-8 sequence (two bytes), and NUL and a
	 * lone continuation byte, which make base64. */
	static const uint8_t odd[] = { 0x00, 0x01, 0x1f, '\t', '\n',
				       '"',  '\\', 0x7f, 0xc3, 0x80 };
	struct fcgi_buf b;
	struct fcgi_json j;
	uint8_t in[32];
	char want[256], str[40];
	size_t n;

	(void)state;
	fcgi_buf_init(&b, NULL, 0);
	for (size_t len = 1; len <= 24; len++) {
		for (size_t at = 0; at < len; at++) {
			for (size_t k = 0; k < sizeof(odd); k++) {
				memset(in, ' ' + (int)(len % 90), len);
				in[at] = odd[k];
				/* 0xc3 starts a pair: complete it when it
				 * fits, so that it stays UTF-8. */
				if (odd[k] == 0xc3 && at + 1 < len)
					in[at + 1] = 0xa9;
				fcgi_json_begin(&j, &b);
				fcgi_json_bytes(&j, "v", in, len);
				if (odd[k] == 0x00 || odd[k] == 0x80 ||
				    (odd[k] == 0xc3 && at + 1 == len)) {
					memcpy(want, "{\"vB64\":\"", 9);
					n = 9 + fcgi_base64_encode(want + 9, in,
								   len);
				} else {
					memcpy(want, "{\"v\":\"", 6);
					n = 6 + ref_escaped(want + 6, in, len);
				}
				memcpy(want + n, "\"}", 3);
				expect(&j, &b, want);
				if (odd[k] == 0x00)
					continue;
				/* The same through fcgi_json_str. */
				memcpy(str, in, len);
				str[len] = '\0';
				fcgi_json_begin(&j, &b);
				fcgi_json_str(&j, "v", str);
				if (odd[k] == 0x80 ||
				    (odd[k] == 0xc3 && at + 1 == len)) {
					assert_int_equal(fcgi_json_end(&j), 0);
					fcgi_buf_reset(&b);
					continue;
				}
				expect(&j, &b, want);
			}
		}
	}
	fcgi_buf_fini(&b);
}

static void test_json_numbers(void **state)
{
	struct fcgi_buf b;
	struct fcgi_json j;

	(void)state;
	fcgi_buf_init(&b, NULL, 0);
	fcgi_json_begin(&j, &b);
	fcgi_json_double(&j, "a", 3);
	fcgi_json_double(&j, "b", 0.25);
	fcgi_json_double(&j, "c", 1700000000.123456);
	fcgi_json_double(&j, "d", NAN);
	fcgi_json_double(&j, "e", -INFINITY);
	fcgi_json_int(&j, "f", INT64_MIN);
	expect(&j, &b,
	       "{\"a\":3,\"b\":0.25,\"c\":1700000000.12346,\"d\":null,"
	       "\"e\":null,\"f\":-9223372036854775808}");
	fcgi_buf_fini(&b);
}

/* Numbers are written without stdio: exactly what printf writes, for
 * times in microseconds of every size, other doubles and integers. */
static void test_json_numbers_as_printf(void **state)
{
	uint64_t seed = 0x9e3779b97f4a7c15u, r;
	struct fcgi_buf b;
	struct fcgi_json j;
	char want[64];
	double v;

	(void)state;
	fcgi_buf_init(&b, NULL, 0);
	for (int i = 0; i < 60000; i++) {
		seed = seed * 6364136223846793005u + 1442695040888963407u;
		r = seed >> 11;
		switch (i % 6) {
		case 0: /* a time in microseconds, up to ~1e10 s */
			v = (double)(r % 10000000000000000u) / 1e6;
			break;
		case 1: /* small ones, near 1e-4 */
			v = (double)(r % 2000) / 1e6;
			break;
		case 2: /* near 1e9 */
			v = 999999000 + (double)(r % 2000000000) / 1e6;
			break;
		case 3: /* any double */
			v = (double)r / (double)(1 + (r & 0xffff)) / 1e3;
			break;
		case 4:
			v = -(double)(r % 100000000000u) / 1e6;
			break;
		default: /* an integer */
			v = (double)(int64_t)(r % 100000000000u) -
			    50000000000.0;
			break;
		}
		if (v == (double)(int64_t)v)
			snprintf(want, sizeof(want), "{\"v\":%lld}",
				 (long long)v);
		else
			snprintf(want, sizeof(want), "{\"v\":%.15g}", v);
		fcgi_buf_reset(&b);
		fcgi_json_begin(&j, &b);
		fcgi_json_double(&j, "v", v);
		expect(&j, &b, want);
		fcgi_buf_reset(&b);
		fcgi_json_begin(&j, &b);
		fcgi_json_uint(&j, "v", r);
		snprintf(want, sizeof(want), "{\"v\":%llu}",
			 (unsigned long long)r);
		expect(&j, &b, want);
		fcgi_buf_reset(&b);
		fcgi_json_begin(&j, &b);
		fcgi_json_int(&j, "v", -(int64_t)(r >> 1));
		snprintf(want, sizeof(want), "{\"v\":%lld}",
			 -(long long)(r >> 1));
		expect(&j, &b, want);
	}
	fcgi_buf_fini(&b);
}

static void test_json_params_violation(void **state)
{
	static const char *const redact[] = { "HTTP_COOKIE", NULL };
	struct fcgi_params p;
	struct fcgi_violation v;
	struct fcgi_buf b;
	struct fcgi_json j;

	(void)state;
	fcgi_params_init(&p, NULL);
	assert_int_equal(fcgi_params_add(&p, "A", 1, "1", 1), 0);
	assert_int_equal(fcgi_params_add(&p, "HTTP_COOKIE", 11, "s=1", 3), 0);
	assert_int_equal(fcgi_params_add(&p, "B", 1, "\xff", 1), 0);
	memset(&v, 0, sizeof(v));
	v.code = FCGI_V_BAD_VERSION;
	v.severity = FCGI_SEV_SPEC;
	v.dir = FCGI_DIR_TO_WEB;
	v.offset = 16;
	v.record = 2;
	v.request_id = 1;
	memcpy(v.message, "version 2", 10);
	fcgi_buf_init(&b, NULL, 0);
	fcgi_json_begin(&j, &b);
	fcgi_json_params(&j, "params", &p, redact);
	fcgi_json_obj_open(&j, "v");
	fcgi_json_violation(&j, &v);
	fcgi_json_obj_close(&j);
	expect(&j, &b,
	       "{\"params\":[{\"name\":\"A\",\"value\":\"1\"},"
	       "{\"name\":\"HTTP_COOKIE\",\"redacted\":true,\"valueLength\":3},"
	       "{\"name\":\"B\",\"valueB64\":\"/w==\"}],"
	       "\"v\":{\"code\":\"bad-version\",\"severity\":\"spec\","
	       "\"dir\":\"to-web\",\"offset\":16,\"record\":2,\"id\":1,"
	       "\"message\":\"version 2\"}}");
	fcgi_buf_fini(&b);
	fcgi_params_fini(&p);
}

/* Every allocation failing in turn: end() says FCGI_ENOMEM, no leak. */
static void test_json_alloc_failures(void **state)
{
	struct failmem f;
	int ok = 0;

	(void)state;
	for (long n = 0; n < 64 && !ok; n++) {
		struct fcgi_buf b;
		struct fcgi_json j;
		int rc;

		failmem_init(&f, n);
		fcgi_buf_init(&b, &f.mem, 0);
		fcgi_json_begin(&j, &b);
		for (int i = 0; i < 200; i++)
			fcgi_json_str(&j, "key", "a value that takes room");
		rc = fcgi_json_end(&j);
		assert_true(rc == 0 || rc == FCGI_ENOMEM);
		ok = rc == 0;
		fcgi_buf_fini(&b);
		assert_int_equal(f.live, 0);
	}
	assert_true(ok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_nesting),
		cmocka_unit_test(test_json_strings),
		cmocka_unit_test(test_json_bytes_rule),
		cmocka_unit_test(test_json_scan_positions),
		cmocka_unit_test(test_json_numbers),
		cmocka_unit_test(test_json_numbers_as_printf),
		cmocka_unit_test(test_json_params_violation),
		cmocka_unit_test(test_json_alloc_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
