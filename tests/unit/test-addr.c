/* SPDX-License-Identifier: MIT */
/* test-addr.c - the address syntax of DESIGN.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "fcgi-uv.h"

static void parses(const char *text, int family, const char *host,
		   const char *path, unsigned port, const char *formatted)
{
	struct fcgi_addr a;
	char err[128] = "", out[300];

	assert_int_equal(fcgi_addr_parse(&a, text, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(a.family, family);
	if (host != NULL)
		assert_string_equal(a.host, host);
	if (path != NULL)
		assert_string_equal(a.path, path);
	assert_int_equal(a.port, port);
	assert_string_equal(fcgi_addr_format(&a, out, sizeof(out)), formatted);
}

static void rejects(const char *text, const char *why)
{
	struct fcgi_addr a;
	char err[128] = "";

	assert_int_equal(fcgi_addr_parse(&a, text, err, sizeof(err)),
			 FCGI_EADDR);
	assert_string_equal(err, why);
}

static void test_forms(void **state)
{
	(void)state;
	parses("unix:/run/php.sock", AF_UNIX, NULL, "/run/php.sock", 0,
	       "unix:/run/php.sock");
	parses("/run/php.sock", AF_UNIX, NULL, "/run/php.sock", 0,
	       "unix:/run/php.sock");
	parses("./rel/sock", AF_UNIX, NULL, "./rel/sock", 0, "unix:./rel/sock");
	parses("127.0.0.1:9000", AF_INET, "127.0.0.1", NULL, 9000,
	       "127.0.0.1:9000");
	parses(":9000", AF_INET, "127.0.0.1", NULL, 9000, "127.0.0.1:9000");
	parses("[::1]:9000", AF_INET6, "::1", NULL, 9000, "[::1]:9000");
	parses("localhost:0", AF_UNSPEC, "localhost", NULL, 0, "localhost:0");
	parses("0.0.0.0:65535", AF_INET, "0.0.0.0", NULL, 65535,
	       "0.0.0.0:65535");
}

static void test_errors(void **state)
{
	char longpath[200];

	(void)state;
	rejects("", "empty address");
	rejects("unix:", "empty unix socket path");
	rejects("localhost", "missing port in 'localhost' (use HOST:PORT, "
			     ":PORT or a socket path)");
	rejects("::1:9000", "IPv6 address needs brackets in '::1:9000' "
			    "(like [::1]:9000)");
	rejects("[::1]9000", "missing port in '[::1]9000'");
	rejects("[::1:9000", "missing ']' in '[::1:9000'");
	rejects("[]:9000", "empty host in '[]:9000'");
	rejects("[zz]:9000", "bad IPv6 address in '[zz]:9000'");
	rejects("127.0.0.1:65536",
		"bad port in '127.0.0.1:65536' (0 to 65535)");
	rejects("127.0.0.1:", "bad port in '127.0.0.1:' (0 to 65535)");
	rejects("127.0.0.1:9x", "bad port in '127.0.0.1:9x' (0 to 65535)");
	rejects("127.0.0.1:-1", "bad port in '127.0.0.1:-1' (0 to 65535)");
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	rejects(longpath, "unix socket path too long (at most 107 bytes)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
