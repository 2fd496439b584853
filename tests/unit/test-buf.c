/* SPDX-License-Identifier: MIT */
/* test-buf.c - the bounded growable buffer of buf.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "failmem.h"
#include "guard.h"
#include "internal.h"

/* An allocator that counts calls, remembers the largest size asked for
 * and refuses anything above 1 MiB, so that the overflow guards can be
 * tested without asking the C library for exabytes. */
struct bigmem {
	struct fcgi_mem mem;
	long calls;
	size_t largest;
};

static void *bm_malloc(size_t size, void *ud)
{
	struct bigmem *m = ud;

	m->calls++;
	if (size > m->largest)
		m->largest = size;
	return size > 1024 * 1024 ? NULL : malloc(size);
}

static void *bm_realloc(void *ptr, size_t size, void *ud)
{
	struct bigmem *m = ud;

	m->calls++;
	if (size > m->largest)
		m->largest = size;
	return size > 1024 * 1024 ? NULL : realloc(ptr, size);
}

static void bm_free(void *ptr, void *ud)
{
	(void)ud;
	free(ptr);
}

static void bigmem_init(struct bigmem *m)
{
	memset(m, 0, sizeof(*m));
	m->mem.malloc = bm_malloc;
	m->mem.realloc = bm_realloc;
	m->mem.free = bm_free;
	m->mem.ud = m;
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static void test_buf_init(void **state)
{
	struct fcgi_buf b;
	struct bigmem m;

	(void)state;
	bigmem_init(&m);
	memset(&b, 0xa5, sizeof(b));
	fcgi_buf_init(&b, &m.mem, 123);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_int_equal(b.max, 123);
	assert_ptr_equal(b.mem, &m.mem);
	/* Nothing is allocated for nothing. */
	assert_int_equal(fcgi_buf_reserve(&b, 0), 0);
	assert_int_equal(fcgi_buf_append(&b, NULL, 0), 0);
	assert_int_equal(m.calls, 0);
	assert_null(b.data);
	fcgi_buf_fini(&b);
}

/* Appends in pieces of every size up to 300, read from guarded copies:
 * the bytes arrive in order and the capacity grows geometrically. */
static void test_buf_append(void **state)
{
	static uint8_t want[300 * 301 / 2];
	struct fcgi_buf b;
	struct guard g;
	struct bigmem m;
	size_t n, off = 0;

	(void)state;
	bigmem_init(&m);
	fill(want, sizeof(want), 3);
	fcgi_buf_init(&b, &m.mem, 0);
	for (n = 1; n <= 300; n++) {
		assert_non_null(guard_place(&g, want + off, n));
		assert_int_equal(fcgi_buf_append(&b, g.data, n), 0);
		guard_release(&g);
		off += n;
		assert_int_equal(b.len, off);
		assert_true(b.cap >= b.len);
	}
	assert_memory_equal(b.data, want, sizeof(want));
	/* 64, 128, ... up to the first power of two >= 45150: 11 steps. */
	assert_int_equal(b.cap, 65536);
	assert_int_equal(m.calls, 11);
	fcgi_buf_fini(&b);
}

static void test_buf_append_u8(void **state)
{
	struct fcgi_buf b;
	unsigned i;

	(void)state;
	fcgi_buf_init(&b, NULL, 0);
	for (i = 0; i < 1000; i++)
		assert_int_equal(fcgi_buf_append_u8(&b, (uint8_t)i), 0);
	assert_int_equal(b.len, 1000);
	for (i = 0; i < 1000; i++)
		assert_int_equal(b.data[i], (uint8_t)i);
	fcgi_buf_fini(&b);
}

/* Reserving makes room without changing the contents. */
static void test_buf_reserve(void **state)
{
	struct fcgi_buf b;
	struct bigmem m;

	(void)state;
	bigmem_init(&m);
	fcgi_buf_init(&b, &m.mem, 0);
	assert_int_equal(fcgi_buf_append(&b, "abc", 3), 0);
	assert_int_equal(fcgi_buf_reserve(&b, 1000), 0);
	assert_true(b.cap >= 1003);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "abc", 3);
	/* Within the capacity: no allocation. */
	m.calls = 0;
	assert_int_equal(fcgi_buf_reserve(&b, b.cap - b.len), 0);
	assert_int_equal(m.calls, 0);
	fcgi_buf_fini(&b);
}

static void test_buf_consume(void **state)
{
	struct fcgi_buf b;
	uint8_t want[200];
	const uint8_t *data;

	(void)state;
	fill(want, sizeof(want), 11);
	fcgi_buf_init(&b, NULL, 0);
	assert_int_equal(fcgi_buf_append(&b, want, sizeof(want)), 0);
	data = b.data;
	fcgi_buf_consume(&b, 0);
	assert_int_equal(b.len, 200);
	fcgi_buf_consume(&b, 1);
	assert_int_equal(b.len, 199);
	assert_memory_equal(b.data, want + 1, 199);
	fcgi_buf_consume(&b, 150);
	assert_int_equal(b.len, 49);
	assert_memory_equal(b.data, want + 151, 49);
	/* The bytes move to the front; the storage stays. */
	assert_ptr_equal(b.data, data);
	fcgi_buf_consume(&b, 49);
	assert_int_equal(b.len, 0);
	/* More than there is empties the buffer. */
	assert_int_equal(fcgi_buf_append(&b, want, 10), 0);
	fcgi_buf_consume(&b, 11);
	assert_int_equal(b.len, 0);
	fcgi_buf_consume(&b, 5);
	assert_int_equal(b.len, 0);
	fcgi_buf_fini(&b);
}

static void test_buf_reset(void **state)
{
	struct fcgi_buf b;
	struct bigmem m;
	uint8_t *data;
	size_t cap;

	(void)state;
	bigmem_init(&m);
	fcgi_buf_init(&b, &m.mem, 0);
	assert_int_equal(fcgi_buf_append(&b, "0123456789", 10), 0);
	data = b.data;
	cap = b.cap;
	fcgi_buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_ptr_equal(b.data, data);
	assert_int_equal(b.cap, cap);
	m.calls = 0;
	assert_int_equal(fcgi_buf_append(&b, "xyz", 3), 0);
	assert_int_equal(m.calls, 0);
	assert_memory_equal(b.data, "xyz", 3);
	fcgi_buf_fini(&b);
}

/* A maximum caps len and cap; going past it is FCGI_ELIMIT, allocates
 * nothing and changes nothing. */
static void test_buf_max(void **state)
{
	struct fcgi_buf b;
	struct bigmem m;
	uint8_t src[150];
	long calls;

	(void)state;
	bigmem_init(&m);
	fill(src, sizeof(src), 5);
	fcgi_buf_init(&b, &m.mem, 100);
	assert_int_equal(fcgi_buf_append(&b, src, 60), 0);
	assert_int_equal(fcgi_buf_reserve(&b, 41), FCGI_ELIMIT);
	assert_int_equal(fcgi_buf_append(&b, src + 60, 41), FCGI_ELIMIT);
	assert_int_equal(b.len, 60);
	/* Exactly up to the maximum is fine, and the capacity is clamped
	 * to it rather than doubled to 128. */
	assert_int_equal(fcgi_buf_append(&b, src + 60, 40), 0);
	assert_int_equal(b.len, 100);
	assert_int_equal(b.cap, 100);
	assert_memory_equal(b.data, src, 100);
	calls = m.calls;
	assert_int_equal(fcgi_buf_append_u8(&b, 1), FCGI_ELIMIT);
	assert_int_equal(fcgi_buf_reserve(&b, 1), FCGI_ELIMIT);
	assert_int_equal(fcgi_buf_reserve(&b, SIZE_MAX), FCGI_ELIMIT);
	assert_int_equal(m.calls, calls);
	assert_int_equal(b.len, 100);
	assert_memory_equal(b.data, src, 100);
	/* Consuming makes room again. */
	fcgi_buf_consume(&b, 10);
	assert_int_equal(fcgi_buf_append(&b, src + 100, 10), 0);
	assert_memory_equal(b.data, src + 10, 100);
	fcgi_buf_fini(&b);
	/* A maximum below the first allocation's 64 bytes. */
	fcgi_buf_init(&b, &m.mem, 5);
	assert_int_equal(fcgi_buf_append(&b, "12345", 5), 0);
	assert_int_equal(b.cap, 5);
	assert_int_equal(fcgi_buf_append_u8(&b, '6'), FCGI_ELIMIT);
	fcgi_buf_fini(&b);
}

/* Sizes near SIZE_MAX neither wrap around nor reach the allocator as a
 * small number. */
static void test_buf_overflow(void **state)
{
	struct fcgi_buf b;
	struct bigmem m;
	uint8_t *data;
	size_t cap;

	(void)state;
	bigmem_init(&m);
	fcgi_buf_init(&b, &m.mem, 0);
	assert_int_equal(fcgi_buf_append(&b, "ab", 2), 0);
	data = b.data;
	cap = b.cap;
	/* len + n would wrap. */
	m.calls = 0;
	assert_int_equal(fcgi_buf_reserve(&b, SIZE_MAX), FCGI_ELIMIT);
	assert_int_equal(fcgi_buf_reserve(&b, SIZE_MAX - 1), FCGI_ELIMIT);
	assert_int_equal(m.calls, 0);
	/* len + n == SIZE_MAX: doubling would wrap, so the request is for
	 * exactly what is needed, which the allocator refuses. */
	assert_int_equal(fcgi_buf_reserve(&b, SIZE_MAX - 2), FCGI_ENOMEM);
	assert_int_equal(m.calls, 1);
	assert_true(m.largest == SIZE_MAX);
	/* Just above half: doubling stops at a power of two that fits. */
	m.largest = 0;
	assert_int_equal(fcgi_buf_reserve(&b, SIZE_MAX / 2), FCGI_ENOMEM);
	assert_true(m.largest >= SIZE_MAX / 2 + 2);
	/* Nothing changed. */
	assert_ptr_equal(b.data, data);
	assert_int_equal(b.cap, cap);
	assert_int_equal(b.len, 2);
	assert_memory_equal(b.data, "ab", 2);
	assert_int_equal(fcgi_buf_append(&b, "c", 1), 0);
	assert_memory_equal(b.data, "abc", 3);
	fcgi_buf_fini(&b);
}

static void test_buf_free(void **state)
{
	struct fcgi_buf b;

	(void)state;
	fcgi_buf_init(&b, NULL, 10);
	fcgi_buf_fini(&b); /* never allocated */
	assert_int_equal(fcgi_buf_append(&b, "x", 1), 0);
	fcgi_buf_fini(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	/* Still usable, with its maximum, and freeing twice is harmless. */
	assert_int_equal(b.max, 10);
	assert_int_equal(fcgi_buf_append(&b, "0123456789", 10), 0);
	assert_int_equal(fcgi_buf_append_u8(&b, 'x'), FCGI_ELIMIT);
	fcgi_buf_fini(&b);
	fcgi_buf_fini(&b);
}

/* Grow a buffer through several reallocations; a failed one returns
 * FCGI_ENOMEM and leaves the bytes appended so far in place. */
static int sweep_grow(void *arg, const struct fcgi_mem *mem)
{
	struct fcgi_buf b;
	uint8_t src[1000];
	size_t off;
	int rc = 0;

	(void)arg;
	fill(src, sizeof(src), 9);
	fcgi_buf_init(&b, mem, 0);
	for (off = 0; off < sizeof(src) && rc == 0; off += 100)
		rc = fcgi_buf_append(&b, src + off, 100);
	if (rc == 0)
		rc = fcgi_buf_append_u8(&b, 0xee);
	if (rc == 0)
		rc = fcgi_buf_reserve(&b, 5000);
	/* Whatever failed, what was appended before it is all there. */
	if (rc == 0)
		assert_int_equal(b.len, sizeof(src) + 1);
	else
		assert_true(b.len % 100 == 0 || b.len == sizeof(src) + 1);
	if (b.len > 0)
		assert_memory_equal(b.data, src, b.len < 1000 ? b.len : 1000);
	fcgi_buf_fini(&b);
	return rc;
}

static void test_buf_alloc_failures(void **state)
{
	char why[128] = "";
	long hits;

	(void)state;
	hits = failmem_sweep(sweep_grow, NULL, 100, why, sizeof(why));
	assert_string_equal(why, "");
	/* 128, 256, 512, 1024 and the reserve's 8192. */
	assert_int_equal(hits, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_init),
		cmocka_unit_test(test_buf_append),
		cmocka_unit_test(test_buf_append_u8),
		cmocka_unit_test(test_buf_reserve),
		cmocka_unit_test(test_buf_consume),
		cmocka_unit_test(test_buf_reset),
		cmocka_unit_test(test_buf_max),
		cmocka_unit_test(test_buf_overflow),
		cmocka_unit_test(test_buf_free),
		cmocka_unit_test(test_buf_alloc_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
