/* SPDX-License-Identifier: MIT */
/* test-proto.c - the name tables of proto.c: record types, roles,
 * protocol statuses, the violation catalogue, HTTP reason phrases. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

struct name {
	unsigned value;
	const char *name;
};

/* The specification's names, written out here rather than taken from the
 * table under test (FastCGI 1.0, 8). */
static const struct name types[] = {
	{ FCGI_BEGIN_REQUEST, "BEGIN_REQUEST" },
	{ FCGI_ABORT_REQUEST, "ABORT_REQUEST" },
	{ FCGI_END_REQUEST, "END_REQUEST" },
	{ FCGI_PARAMS, "PARAMS" },
	{ FCGI_STDIN, "STDIN" },
	{ FCGI_STDOUT, "STDOUT" },
	{ FCGI_STDERR, "STDERR" },
	{ FCGI_DATA, "DATA" },
	{ FCGI_GET_VALUES, "GET_VALUES" },
	{ FCGI_GET_VALUES_RESULT, "GET_VALUES_RESULT" },
	{ FCGI_UNKNOWN_TYPE, "UNKNOWN_TYPE" },
};

static const struct name roles[] = {
	{ FCGI_RESPONDER, "RESPONDER" },
	{ FCGI_AUTHORIZER, "AUTHORIZER" },
	{ FCGI_FILTER, "FILTER" },
};

static const struct name pstatuses[] = {
	{ FCGI_REQUEST_COMPLETE, "REQUEST_COMPLETE" },
	{ FCGI_CANT_MPX_CONN, "CANT_MPX_CONN" },
	{ FCGI_OVERLOADED, "OVERLOADED" },
	{ FCGI_UNKNOWN_ROLE, "UNKNOWN_ROLE" },
};

/* One name table under test: its two directions and the values around
 * the defined ones that must have no name. */
struct table {
	const struct name *names;
	size_t n;
	const char *(*name)(unsigned value);
	int (*lookup)(const char *name);
	unsigned undefined[4];
};

static void lower(char *out, size_t n, const char *in)
{
	size_t i;

	for (i = 0; in[i] != '\0' && i + 1 < n; i++)
		out[i] = (char)(in[i] >= 'A' && in[i] <= 'Z' ? in[i] + 32
							     : in[i]);
	out[i] = '\0';
}

static void check_table(const struct table *t)
{
	char buf[96], low[32];
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct name *e = &t->names[i];

		assert_non_null(t->name(e->value));
		assert_string_equal(t->name(e->value), e->name);
		assert_int_equal(t->lookup(e->name), (int)e->value);
		/* Case does not matter, and FCGI_ may be there or not, in
		 * any case. */
		lower(low, sizeof(low), e->name);
		assert_int_equal(t->lookup(low), (int)e->value);
		snprintf(buf, sizeof(buf), "FCGI_%s", e->name);
		assert_int_equal(t->lookup(buf), (int)e->value);
		snprintf(buf, sizeof(buf), "fcgi_%s", low);
		assert_int_equal(t->lookup(buf), (int)e->value);
		snprintf(buf, sizeof(buf), "Fcgi_%s", e->name);
		assert_int_equal(t->lookup(buf), (int)e->value);
		/* Only whole names: no prefix of one, nothing appended, the
		 * prefix only once. */
		snprintf(buf, sizeof(buf), "%.*s", (int)strlen(e->name) - 1,
			 e->name);
		assert_int_equal(t->lookup(buf), -1);
		snprintf(buf, sizeof(buf), "%s_", e->name);
		assert_int_equal(t->lookup(buf), -1);
		snprintf(buf, sizeof(buf), " %s", e->name);
		assert_int_equal(t->lookup(buf), -1);
		snprintf(buf, sizeof(buf), "FCGI_FCGI_%s", e->name);
		assert_int_equal(t->lookup(buf), -1);
	}
	for (i = 0; i < FCGI_ARRAY_LEN(t->undefined); i++)
		assert_null(t->name(t->undefined[i]));
	assert_int_equal(t->lookup(NULL), -1);
	assert_int_equal(t->lookup(""), -1);
	assert_int_equal(t->lookup("FCGI_"), -1);
	assert_int_equal(t->lookup("fcgi"), -1);
	assert_int_equal(t->lookup("NOT_A_NAME"), -1);
}

static void test_proto_types(void **state)
{
	const struct table t = { types,
				 FCGI_ARRAY_LEN(types),
				 fcgi_type_name,
				 fcgi_type_lookup,
				 { 0, FCGI_MAXTYPE + 1, 255, 0x10001 } };

	(void)state;
	check_table(&t);
	assert_int_equal(FCGI_ARRAY_LEN(types), FCGI_MAXTYPE);
}

static void test_proto_roles(void **state)
{
	const struct table t = { roles,
				 FCGI_ARRAY_LEN(roles),
				 fcgi_role_name,
				 fcgi_role_lookup,
				 { 0, 4, 65535, 0x10001 } };

	(void)state;
	check_table(&t);
}

static void test_proto_pstatus(void **state)
{
	const struct table t = { pstatuses,
				 FCGI_ARRAY_LEN(pstatuses),
				 fcgi_pstatus_name,
				 fcgi_pstatus_lookup,
				 { 4, 5, 255, 0x100 } };

	(void)state;
	check_table(&t);
}

/* Names of one table are not names of another. */
static void test_proto_tables_apart(void **state)
{
	(void)state;
	assert_int_equal(fcgi_type_lookup("RESPONDER"), -1);
	assert_int_equal(fcgi_role_lookup("BEGIN_REQUEST"), -1);
	assert_int_equal(fcgi_pstatus_lookup("UNKNOWN_TYPE"), -1);
	assert_int_equal(fcgi_type_lookup("UNKNOWN_ROLE"), -1);
}

static void test_proto_management(void **state)
{
	unsigned t;

	(void)state;
	for (t = 0; t < 300; t++)
		assert_int_equal(!!fcgi_type_is_management(t),
				 t == FCGI_GET_VALUES ||
					 t == FCGI_GET_VALUES_RESULT ||
					 t == FCGI_UNKNOWN_TYPE);
}

/* kebab-case: lowercase words of letters and digits joined by single
 * dashes. */
static int is_kebab(const char *s)
{
	size_t i;

	if (s[0] < 'a' || s[0] > 'z')
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '-') {
			if (s[i + 1] == '-' || s[i + 1] == '\0')
				return 0;
		} else if (!((s[i] >= 'a' && s[i] <= 'z') ||
			     (s[i] >= '0' && s[i] <= '9'))) {
			return 0;
		}
	}
	return 1;
}

/* Every violation code has a unique kebab-case name and one of the three
 * severities; codes outside the enum are "unknown". */
static void test_proto_vcodes(void **state)
{
	const char *names[FCGI_V_COUNT];
	int c, k, spec = 0, interop = 0, note = 0;

	(void)state;
	for (c = 0; c < FCGI_V_COUNT; c++) {
		const char *n = fcgi_vcode_name((enum fcgi_vcode)c);
		enum fcgi_severity s = fcgi_vcode_severity((enum fcgi_vcode)c);

		assert_non_null(n);
		if (!is_kebab(n))
			fail_msg("code %d: name '%s' is not kebab-case", c, n);
		assert_string_not_equal(n, "unknown");
		for (k = 0; k < c; k++)
			if (strcmp(names[k], n) == 0)
				fail_msg("codes %d and %d share the name '%s'",
					 k, c, n);
		names[c] = n;
		switch (s) {
		case FCGI_SEV_SPEC:
			spec++;
			break;
		case FCGI_SEV_INTEROP:
			interop++;
			break;
		case FCGI_SEV_NOTE:
			note++;
			break;
		default:
			fail_msg("code %d (%s): severity %d", c, n, (int)s);
		}
	}
	assert_true(spec > 0 && interop > 0 && note > 0);
	/* Names are stable output (fcgitool-trace(5)); pin a few. */
	assert_string_equal(fcgi_vcode_name(FCGI_V_NONE), "none");
	assert_string_equal(fcgi_vcode_name(FCGI_V_BAD_VERSION), "bad-version");
	assert_string_equal(fcgi_vcode_name(FCGI_V_NV_SPLIT), "nv-split");
	assert_string_equal(fcgi_vcode_name(FCGI_V_UNEXPECTED), "unexpected");
	assert_int_equal(fcgi_vcode_severity(FCGI_V_BAD_VERSION),
			 FCGI_SEV_SPEC);
	assert_int_equal(fcgi_vcode_severity(FCGI_V_NV_SPLIT),
			 FCGI_SEV_INTEROP);
	assert_int_equal(fcgi_vcode_severity(FCGI_V_UNALIGNED), FCGI_SEV_NOTE);
	/* Out of range: a name that says so, and the strictest severity. */
	assert_string_equal(fcgi_vcode_name(FCGI_V_COUNT), "unknown");
	assert_string_equal(fcgi_vcode_name((enum fcgi_vcode) - 1), "unknown");
	assert_int_equal(fcgi_vcode_severity(FCGI_V_COUNT), FCGI_SEV_SPEC);
	assert_int_equal(fcgi_vcode_severity((enum fcgi_vcode) - 1),
			 FCGI_SEV_SPEC);
}

static void test_proto_severity_dir_names(void **state)
{
	(void)state;
	assert_string_equal(fcgi_severity_name(FCGI_SEV_SPEC), "spec");
	assert_string_equal(fcgi_severity_name(FCGI_SEV_INTEROP), "interop");
	assert_string_equal(fcgi_severity_name(FCGI_SEV_NOTE), "note");
	assert_string_equal(fcgi_severity_name((enum fcgi_severity)0),
			    "unknown");
	assert_string_equal(fcgi_severity_name((enum fcgi_severity)4),
			    "unknown");
	assert_string_equal(fcgi_dir_name(FCGI_DIR_TO_APP), "to-app");
	assert_string_equal(fcgi_dir_name(FCGI_DIR_TO_WEB), "to-web");
}

/* The generic lookups behind the tables, on a table of the test's own. */
static void test_proto_tok(void **state)
{
	static const struct fcgi_tok t[] = {
		{ 0, "ZERO" },
		{ 7, "SEVEN" },
		{ 7, "SEVEN_AGAIN" },
		{ 0, NULL },
	};
	static const struct fcgi_tok empty[] = { { 0, NULL } };

	(void)state;
	assert_string_equal(fcgi_tok_name(t, 0), "ZERO");
	/* The first entry with a value wins. */
	assert_string_equal(fcgi_tok_name(t, 7), "SEVEN");
	assert_null(fcgi_tok_name(t, 1));
	assert_int_equal(fcgi_tok_lookup(t, "seven_again"), 7);
	assert_int_equal(fcgi_tok_lookup(t, "fcgi_zero"), 0);
	assert_null(fcgi_tok_name(empty, 0));
	assert_int_equal(fcgi_tok_lookup(empty, "ZERO"), -1);
}

static void test_proto_limits_default(void **state)
{
	struct fcgi_limits l;

	(void)state;
	memset(&l, 0xff, sizeof(l));
	fcgi_limits_default(&l);
	assert_int_equal(l.params_max_bytes, 1024 * 1024);
	assert_int_equal(l.params_max_pairs, 8192);
	assert_int_equal(l.values_max_bytes, 64 * 1024);
	assert_int_equal(l.headers_max_bytes, 64 * 1024);
	assert_int_equal(l.max_requests, 1024);
}

static void test_proto_http_reason(void **state)
{
	unsigned s;

	(void)state;
	assert_string_equal(fcgi_http_reason(200), "OK");
	assert_string_equal(fcgi_http_reason(404), "Not Found");
	assert_string_equal(fcgi_http_reason(408), "Request Timeout");
	assert_string_equal(fcgi_http_reason(504), "Gateway Timeout");
	/* Without a phrase of its own: the class's. */
	assert_string_equal(fcgi_http_reason(199), "Informational");
	assert_string_equal(fcgi_http_reason(299), "Success");
	assert_string_equal(fcgi_http_reason(399), "Redirection");
	assert_string_equal(fcgi_http_reason(499), "Client Error");
	assert_string_equal(fcgi_http_reason(599), "Server Error");
	/* Never NULL, whatever the number. */
	for (s = 0; s < 1000; s++)
		assert_non_null(fcgi_http_reason(s));
	assert_non_null(fcgi_http_reason(~0u));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proto_types),
		cmocka_unit_test(test_proto_roles),
		cmocka_unit_test(test_proto_pstatus),
		cmocka_unit_test(test_proto_tables_apart),
		cmocka_unit_test(test_proto_management),
		cmocka_unit_test(test_proto_vcodes),
		cmocka_unit_test(test_proto_severity_dir_names),
		cmocka_unit_test(test_proto_tok),
		cmocka_unit_test(test_proto_limits_default),
		cmocka_unit_test(test_proto_http_reason),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
