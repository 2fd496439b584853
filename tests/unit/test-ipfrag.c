/* SPDX-License-Identifier: MIT */
/* test-ipfrag.c - IP fragment reassembly (pcap/ipfrag.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "capture.h"
#include "failmem.h"

static void test_ipfrag_reassembly(void **state)
{
	struct cap_defrag d;
	struct cap_frag f, first;
	const uint8_t *whole;
	const char *why;
	size_t len;
	static const char data[] = "0123456789abcdefghijklmnopqrstuv";

	(void)state;
	cap_defrag_init(&d, NULL);
	memset(&f, 0, sizeof(f));
	f.src.family = f.dst.family = 4;
	f.id = 9;
	f.proto = 6;
	/* The last piece first, then an overlapping copy, then the start. */
	f.offset = 16;
	f.more = false;
	f.data = (const uint8_t *)data + 16;
	f.len = 16;
	assert_int_equal(cap_defrag_add(&d, &f, 0, &first, &whole, &len, &why),
			 0);
	f.offset = 8;
	f.more = true;
	f.data = (const uint8_t *)"XXXXXXXXYYYYYYYY";
	f.len = 16;
	assert_int_equal(cap_defrag_add(&d, &f, 0, &first, &whole, &len, &why),
			 0);
	f.offset = 0;
	f.data = (const uint8_t *)data;
	f.len = 8;
	assert_int_equal(cap_defrag_add(&d, &f, 0, &first, &whole, &len, &why),
			 1);
	assert_int_equal(len, 32);
	/* The first copy of each byte is kept. */
	assert_memory_equal(whole, "01234567XXXXXXXXghijklmnopqrstuv", 32);
	assert_int_equal(first.proto, 6);
	/* A piece cut by the snapshot length gives the datagram up. */
	f.id = 10;
	f.missing = 4;
	assert_int_equal(cap_defrag_add(&d, &f, 1, &first, &whole, &len, &why),
			 FCGI_ELIMIT);
	assert_non_null(why);
	/* One that never completes is dropped after the timeout. */
	f.id = 11;
	f.missing = 0;
	assert_int_equal(cap_defrag_add(&d, &f, 1, &first, &whole, &len, &why),
			 0);
	f.id = 12;
	assert_int_equal(cap_defrag_add(&d, &f, 1 + CAP_DEFRAG_TIMEOUT + 1,
					&first, &whole, &len, &why),
			 0);
	assert_int_equal(d.dropped, 2);
	/* Beyond 65535 bytes. */
	f.offset = 65528;
	f.len = 16;
	assert_int_equal(cap_defrag_add(&d, &f, 40, &first, &whole, &len, &why),
			 FCGI_ELIMIT);
	cap_defrag_release(&d);
}

/* Every allocation failure: FCGI_ENOMEM, and nothing leaks. */
static int sweep_run(void *arg, const struct fcgi_mem *mem)
{
	struct cap_defrag d;
	struct cap_frag f, first;
	const uint8_t *whole;
	const char *why;
	size_t len;
	int rc = 0;

	(void)arg;
	cap_defrag_init(&d, mem);
	memset(&f, 0, sizeof(f));
	f.src.family = f.dst.family = 6;
	f.proto = 6;
	f.data = (const uint8_t *)"abcdefgh";
	f.len = 8;
	for (uint32_t id = 0; id < 3 && rc == 0; id++) {
		f.id = id;
		f.more = true;
		f.offset = 0;
		rc = cap_defrag_add(&d, &f, 0, &first, &whole, &len, &why);
		if (rc < 0)
			break;
		f.more = false;
		f.offset = 8;
		rc = cap_defrag_add(&d, &f, 0, &first, &whole, &len, &why);
		if (rc == 1) {
			assert_int_equal(len, 16);
			rc = 0;
		}
	}
	cap_defrag_release(&d);
	return rc;
}

static void test_ipfrag_alloc_failure_sweep(void **state)
{
	char why[256] = "";
	long runs;

	(void)state;
	runs = failmem_sweep(sweep_run, NULL, 50, why, sizeof(why));
	if (runs < 0)
		fail_msg("%s", why);
	assert_true(runs > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipfrag_reassembly),
		cmocka_unit_test(test_ipfrag_alloc_failure_sweep),
	};

	return cmocka_run_group_tests_name("ipfrag", tests, NULL, NULL);
}
