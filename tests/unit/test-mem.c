/* SPDX-License-Identifier: MIT */
/* test-mem.c - the allocator hook of mem.c: NULL means the C library's,
 * otherwise every call goes through the hook with its user data. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

struct calls {
	int malloc, realloc, free;
	size_t last_size;
	void *last_ptr;
};

static void *h_malloc(size_t size, void *ud)
{
	struct calls *c = ud;

	c->malloc++;
	c->last_size = size;
	return malloc(size);
}

static void *h_realloc(void *ptr, size_t size, void *ud)
{
	struct calls *c = ud;

	c->realloc++;
	c->last_size = size;
	c->last_ptr = ptr;
	return realloc(ptr, size);
}

static void h_free(void *ptr, void *ud)
{
	struct calls *c = ud;

	c->free++;
	c->last_ptr = ptr;
	free(ptr);
}

static void test_mem_libc(void **state)
{
	uint8_t *p;

	(void)state;
	p = fcgi_mem_malloc(NULL, 16);
	assert_non_null(p);
	memset(p, 1, 16);
	p = fcgi_mem_realloc(NULL, p, 4096);
	assert_non_null(p);
	assert_int_equal(p[15], 1);
	fcgi_mem_free(NULL, p);
	fcgi_mem_free(NULL, NULL);
}

static void test_mem_hook(void **state)
{
	struct calls c;
	struct fcgi_mem m = { .malloc = h_malloc,
			      .realloc = h_realloc,
			      .free = h_free,
			      .ud = &c };
	void *p, *q;

	(void)state;
	memset(&c, 0, sizeof(c));
	p = fcgi_mem_malloc(&m, 10);
	assert_non_null(p);
	assert_int_equal(c.malloc, 1);
	assert_int_equal(c.last_size, 10);
	q = fcgi_mem_realloc(&m, p, 20);
	assert_non_null(q);
	assert_int_equal(c.realloc, 1);
	assert_int_equal(c.last_size, 20);
	assert_ptr_equal(c.last_ptr, p);
	fcgi_mem_free(&m, q);
	assert_int_equal(c.free, 1);
	assert_ptr_equal(c.last_ptr, q);
	/* Freeing NULL does not reach the hook. */
	fcgi_mem_free(&m, NULL);
	assert_int_equal(c.free, 1);
	assert_int_equal(c.malloc, 1);
}

/* A hook that leaves a function out gets the C library's for it. */
static void test_mem_partial_hook(void **state)
{
	struct calls c;
	struct fcgi_mem m = { .free = h_free, .ud = &c };
	void *p;

	(void)state;
	memset(&c, 0, sizeof(c));
	p = fcgi_mem_malloc(&m, 8);
	assert_non_null(p);
	p = fcgi_mem_realloc(&m, p, 64);
	assert_non_null(p);
	fcgi_mem_free(&m, p);
	assert_int_equal(c.malloc + c.realloc, 0);
	assert_int_equal(c.free, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mem_libc),
		cmocka_unit_test(test_mem_hook),
		cmocka_unit_test(test_mem_partial_hook),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
