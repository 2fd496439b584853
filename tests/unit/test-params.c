/* SPDX-License-Identifier: MIT */
/* test-params.c - the ordered params list. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "failmem.h"
#include "internal.h"

/* Assert that p holds exactly the "name=value" strings of want, in order
 * (names and values here hold no '=' of their own). */
static void assert_pairs(const struct fcgi_params *p, const char *const *want,
			 size_t n)
{
	struct fcgi_nv nv;
	const char *eq;
	size_t i;

	assert_int_equal(fcgi_params_count(p), n);
	for (i = 0; i < n; i++) {
		fcgi_params_at(p, i, &nv);
		eq = strchr(want[i], '=');
		assert_non_null(eq);
		assert_int_equal(nv.name_len, (size_t)(eq - want[i]));
		assert_memory_equal(nv.name, want[i], nv.name_len);
		assert_int_equal(nv.value_len, strlen(eq + 1));
		assert_memory_equal(nv.value, eq + 1, nv.value_len);
	}
}

static int add_s(struct fcgi_params *p, const char *n, const char *v)
{
	return fcgi_params_add(p, n, strlen(n), v, strlen(v));
}

static int set_s(struct fcgi_params *p, const char *n, const char *v)
{
	return fcgi_params_set(p, n, strlen(n), v, strlen(v));
}

static void test_params_add_get(void **state)
{
	static const char *const want[] = { "A=1", "B=2", "A=3", "=", "C=" };
	struct fcgi_params p;
	struct fcgi_nv nv;

	(void)state;
	fcgi_params_init(&p, NULL);
	assert_int_equal(fcgi_params_count(&p), 0);
	assert_false(fcgi_params_gets(&p, "A", &nv));
	assert_int_equal(add_s(&p, "A", "1"), 0);
	assert_int_equal(add_s(&p, "B", "2"), 0);
	assert_int_equal(add_s(&p, "A", "3"), 0);
	assert_int_equal(fcgi_params_add(&p, NULL, 0, NULL, 0), 0);
	assert_int_equal(add_s(&p, "C", ""), 0);
	assert_pairs(&p, want, 5);
	/* The first of duplicates. */
	assert_true(fcgi_params_gets(&p, "A", &nv));
	assert_memory_equal(nv.value, "1", 1);
	assert_true(fcgi_params_get(&p, "", 0, &nv));
	assert_int_equal(nv.value_len, 0);
	assert_false(fcgi_params_gets(&p, "a", &nv)); /* case matters */
	assert_false(fcgi_params_gets(&p, "AB", &nv));
	assert_false(fcgi_params_gets(&p, NULL, &nv));
	assert_int_equal(fcgi_params_add(&p, NULL, 1, "", 0), FCGI_EINVAL);
	assert_int_equal(fcgi_params_add(&p, "", 0, NULL, 1), FCGI_EINVAL);
	fcgi_params_fini(&p);
	/* free leaves an empty, usable list. */
	assert_int_equal(fcgi_params_count(&p), 0);
	assert_int_equal(add_s(&p, "X", "y"), 0);
	fcgi_params_clear(&p);
	assert_int_equal(fcgi_params_count(&p), 0);
	assert_int_equal(add_s(&p, "Z", "z"), 0);
	assert_int_equal(fcgi_params_count(&p), 1);
	fcgi_params_fini(&p);
	fcgi_params_fini(&p);
}

/* Names and values are byte strings: NUL and high bytes survive. */
static void test_params_bytes(void **state)
{
	static const uint8_t name[] = { 'N', 0, 0xff };
	static const uint8_t value[] = { 0, 0x80, 'v', 0 };
	struct fcgi_params p;
	struct fcgi_nv nv;

	(void)state;
	fcgi_params_init(&p, NULL);
	assert_int_equal(fcgi_params_add(&p, name, 3, value, 4), 0);
	assert_false(fcgi_params_gets(&p, "N", &nv));
	assert_true(fcgi_params_get(&p, name, 3, &nv));
	assert_int_equal(nv.value_len, 4);
	assert_memory_equal(nv.value, value, 4);
	fcgi_params_fini(&p);
}

static void test_params_set_del(void **state)
{
	static const char *const w1[] = { "A=1", "B=2", "A=3", "C=4", "A=5" };
	static const char *const w2[] = { "A=new", "B=2", "C=4" };
	static const char *const w3[] = { "A=new", "B=2", "C=4", "D=d" };
	static const char *const w4[] = { "A=new", "D=d" };
	static const char *const w5[] = { "A=new", "D=d", "B=b" };
	struct fcgi_params p;

	(void)state;
	fcgi_params_init(&p, NULL);
	assert_int_equal(add_s(&p, "A", "1"), 0);
	assert_int_equal(add_s(&p, "B", "2"), 0);
	assert_int_equal(add_s(&p, "A", "3"), 0);
	assert_int_equal(add_s(&p, "C", "4"), 0);
	assert_int_equal(add_s(&p, "A", "5"), 0);
	assert_pairs(&p, w1, 5);
	/* set: where the first one was, the others gone. */
	assert_int_equal(set_s(&p, "A", "new"), 0);
	assert_pairs(&p, w2, 3);
	/* set of a new name: at the end. */
	assert_int_equal(set_s(&p, "D", "d"), 0);
	assert_pairs(&p, w3, 4);
	assert_int_equal(fcgi_params_del(&p, "B", 1), 1);
	assert_int_equal(fcgi_params_del(&p, "C", 1), 1);
	assert_int_equal(fcgi_params_del(&p, "C", 1), 0);
	assert_int_equal(fcgi_params_del(&p, NULL, 1), 0);
	assert_pairs(&p, w4, 2);
	assert_int_equal(add_s(&p, "B", "b"), 0);
	assert_pairs(&p, w5, 3);
	/* Removed bytes are given back (see the byte limit test too). */
	assert_int_equal(p.store.len, strlen("AnewDdBb"));
	assert_int_equal(fcgi_params_del(&p, "A", 1), 1);
	assert_int_equal(fcgi_params_del(&p, "D", 1), 1);
	assert_int_equal(fcgi_params_del(&p, "B", 1), 1);
	assert_int_equal(fcgi_params_count(&p), 0);
	assert_int_equal(p.store.len, 0);
	fcgi_params_fini(&p);
}

static void test_params_limits(void **state)
{
	static const char *const w[] = { "AB=cd", "E=f" };
	static const char *const w2[] = { "AB=cdef" };
	struct fcgi_params p;

	(void)state;
	fcgi_params_init(&p, NULL);
	p.max_pairs = 2;
	p.max_bytes = 6;
	assert_int_equal(add_s(&p, "AB", "cd"), 0);
	assert_int_equal(add_s(&p, "E", "fg"), FCGI_ELIMIT); /* 7 bytes */
	assert_int_equal(add_s(&p, "E", "f"), 0);	     /* 6 bytes */
	assert_int_equal(add_s(&p, "", ""), FCGI_ELIMIT);    /* 3 pairs */
	assert_pairs(&p, w, 2);
	/* set counts what it replaces. */
	assert_int_equal(set_s(&p, "E", "g"), 0);
	assert_int_equal(set_s(&p, "E", "ghi"), FCGI_ELIMIT);
	assert_int_equal(fcgi_params_del(&p, "E", 1), 1);
	assert_int_equal(set_s(&p, "AB", "cdefg"), FCGI_ELIMIT);
	assert_int_equal(set_s(&p, "AB", "cdef"), 0);
	assert_pairs(&p, w2, 1);
	fcgi_params_fini(&p);
}

static void test_params_encode(void **state)
{
	static uint8_t big[300];
	struct fcgi_params p, q;
	struct fcgi_buf b;
	struct fcgi_nv nv;

	(void)state;
	fcgi_params_init(&p, NULL);
	assert_int_equal(add_s(&p, "SCRIPT_NAME", "/index.php"), 0);
	assert_int_equal(fcgi_params_add(&p, "BIG", 3, big, sizeof(big)), 0);
	assert_int_equal(add_s(&p, "EMPTY", ""), 0);
	fcgi_buf_init(&b, NULL, 0);
	assert_int_equal(fcgi_params_encode(&p, &b), 0);
	assert_int_equal(b.len, fcgi_nv_size(11, 10) + fcgi_nv_size(3, 300) +
					fcgi_nv_size(5, 0));
	fcgi_params_init(&q, NULL);
	assert_int_equal(fcgi_nv_decode_all(b.data, b.len, &q, 0, 0), 0);
	assert_int_equal(fcgi_params_count(&q), 3);
	fcgi_params_at(&q, 1, &nv);
	assert_int_equal(nv.value_len, 300);
	/* A full buffer takes nothing. */
	fcgi_buf_reset(&b);
	b.max = 20;
	assert_int_equal(fcgi_params_encode(&p, &b), FCGI_ELIMIT);
	assert_int_equal(b.len, 0);
	fcgi_params_fini(&q);
	fcgi_params_fini(&p);
	fcgi_buf_fini(&b);
}

/* Many pairs: growth of both arrays, and deletion in the middle. */
static void test_params_many(void **state)
{
	struct fcgi_params p;
	struct fcgi_nv nv;
	char name[16], value[16];
	size_t i;

	(void)state;
	fcgi_params_init(&p, NULL);
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "N%zu", i % 10);
		snprintf(value, sizeof(value), "v%zu", i);
		assert_int_equal(add_s(&p, name, value), 0);
	}
	assert_int_equal(fcgi_params_del(&p, "N3", 2), 100);
	assert_int_equal(fcgi_params_count(&p), 900);
	for (i = 0; i < 900; i++) {
		fcgi_params_at(&p, i, &nv);
		snprintf(value, sizeof(value), "v%zu",
			 i + i / 9 + (i % 9 >= 3));
		assert_int_equal(nv.value_len, strlen(value));
		assert_memory_equal(nv.value, value, nv.value_len);
	}
	assert_int_equal(set_s(&p, "N5", "five"), 0);
	assert_int_equal(fcgi_params_count(&p), 801);
	fcgi_params_at(&p, 4, &nv);
	assert_memory_equal(nv.value, "five", 4);
	fcgi_params_fini(&p);
}

static int sweep_ops(void *arg, const struct fcgi_mem *mem)
{
	struct fcgi_params p;
	struct fcgi_buf b;
	char name[8];
	size_t i;
	int rc = 0;

	(void)arg;
	fcgi_params_init(&p, mem);
	fcgi_buf_init(&b, mem, 0);
	for (i = 0; i < 40 && rc == 0; i++) {
		snprintf(name, sizeof(name), "K%zu", i % 7);
		rc = add_s(&p, name, "a value that is long enough to grow");
	}
	if (rc == 0)
		rc = set_s(&p, "K3",
			   "replaced with a longer value than before");
	if (rc == 0)
		rc = set_s(&p, "NEW", "v");
	if (rc == 0)
		rc = fcgi_params_encode(&p, &b);
	if (rc == 0) {
		struct fcgi_params c;

		fcgi_params_init(&c, mem);
		rc = fcgi_params_copy(&c, &p);
		if (rc == 0 && fcgi_params_count(&c) != fcgi_params_count(&p))
			rc = -1000;
		fcgi_params_fini(&c);
	}
	fcgi_buf_fini(&b);
	fcgi_params_fini(&p);
	return rc;
}

/* A copy has the pairs in order, duplicates and empty ones included,
 * replaces what the target held, and keeps the target's limits. */
static void test_params_copy(void **state)
{
	struct fcgi_params a, b, empty;
	struct fcgi_nv nv;

	(void)state;
	fcgi_params_init(&a, NULL);
	fcgi_params_init(&b, NULL);
	fcgi_params_init(&empty, NULL);
	assert_int_equal(add_s(&a, "A", "1"), 0);
	assert_int_equal(add_s(&a, "B", ""), 0);
	assert_int_equal(add_s(&a, "A", "2"), 0);
	assert_int_equal(add_s(&a, "", "x"), 0);
	assert_int_equal(add_s(&b, "OLD", "gone"), 0);
	assert_int_equal(fcgi_params_copy(&b, &a), 0);
	assert_int_equal(fcgi_params_count(&b), 4);
	fcgi_params_at(&b, 2, &nv);
	assert_memory_equal(nv.name, "A", 1);
	assert_memory_equal(nv.value, "2", 1);
	assert_false(fcgi_params_gets(&b, "OLD", &nv));
	assert_true(fcgi_params_gets(&b, "B", &nv));
	assert_int_equal(nv.value_len, 0);
	/* The copy is its own: changing it leaves the source alone. */
	assert_int_equal(set_s(&b, "A", "3"), 0);
	assert_true(fcgi_params_gets(&a, "A", &nv));
	assert_memory_equal(nv.value, "1", 1);
	assert_int_equal(fcgi_params_copy(&b, &empty), 0);
	assert_int_equal(fcgi_params_count(&b), 0);
	b.max_pairs = 3;
	assert_int_equal(fcgi_params_copy(&b, &a), FCGI_ELIMIT);
	assert_int_equal(fcgi_params_count(&b), 0);
	assert_int_equal(fcgi_params_copy(&b, &b), FCGI_EINVAL);
	fcgi_params_fini(&a);
	fcgi_params_fini(&b);
	fcgi_params_fini(&empty);
}

static void test_params_alloc_failures(void **state)
{
	char why[128] = "";
	long hits;

	(void)state;
	hits = failmem_sweep(sweep_ops, NULL, 1000, why, sizeof(why));
	assert_string_equal(why, "");
	assert_true(hits >= 3);
}

/* A failed set leaves the list as it was. */
static void test_params_set_atomic(void **state)
{
	static const char *const w[] = { "A=1", "B=2", "A=3" };
	struct fcgi_params p;
	struct failmem f;
	char big[200];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	failmem_init(&f, -1);
	fcgi_params_init(&p, &f.mem);
	assert_int_equal(add_s(&p, "A", "1"), 0);
	assert_int_equal(add_s(&p, "B", "2"), 0);
	assert_int_equal(add_s(&p, "A", "3"), 0);
	f.fail_at = f.calls;
	assert_int_equal(set_s(&p, "A", big), FCGI_ENOMEM);
	assert_pairs(&p, w, 3);
	fcgi_params_fini(&p);
	assert_int_equal(f.live, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_params_add_get),
		cmocka_unit_test(test_params_bytes),
		cmocka_unit_test(test_params_set_del),
		cmocka_unit_test(test_params_limits),
		cmocka_unit_test(test_params_encode),
		cmocka_unit_test(test_params_many),
		cmocka_unit_test(test_params_copy),
		cmocka_unit_test(test_params_alloc_failures),
		cmocka_unit_test(test_params_set_atomic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
