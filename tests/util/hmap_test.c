/* SPDX-License-Identifier: MIT */
/* hmap_test.c: string and integer maps, growth and backward-shift deletes. */
#include "testutil.h"

#include <stdio.h>

#include "util/hmap.h"

static void test_hmap_string_keys_are_copied_and_unique(void **state) {
    (void)state;
    erg__hmap_t m;
    erg__hmap_init(&m);
    char key[16] = "alpha";
    int a = 1, b = 2;
    ERG_PASS(erg__hmap_put_str(&m, key, &a));
    key[0] = 'X'; /* the map kept its own copy */
    assert_ptr_equal(erg__hmap_get_str(&m, "alpha"), &a);
    ERG_FAIL(erg__hmap_put_str(&m, "alpha", &b), ERG_EEXIST);
    assert_null(erg__hmap_get_str(&m, "beta"));
    assert_ptr_equal(erg__hmap_del_str(&m, "alpha"), &a);
    assert_null(erg__hmap_del_str(&m, "alpha"));
    erg__hmap_fini(&m);
}

static void test_hmap_many_integer_keys_survive_deletes(void **state) {
    (void)state;
    enum { N = 5000 };
    erg__hmap_t m;
    erg__hmap_init(&m);
    for (uint64_t i = 1; i <= N; i++)
        ERG_PASS(erg__hmap_put_u64(&m, i, (void *)(uintptr_t)i));
    for (uint64_t i = 1; i <= N; i += 3)
        assert_int_equal((uintptr_t)erg__hmap_del_u64(&m, i), i);
    for (uint64_t i = 1; i <= N; i++) {
        void *v = erg__hmap_get_u64(&m, i);
        if (i % 3 == 1)
            assert_null(v);
        else
            assert_int_equal((uintptr_t)v, i);
    }
    assert_int_equal(m.count, N - (N + 2) / 3);
    erg__hmap_fini(&m);
}

static void test_hmap_put_fails_cleanly_without_memory(void **state) {
    (void)state;
    erg__hmap_t m;
    erg__hmap_init(&m);
    erg_test_alloc_fail_after(1);
    ERG_FAIL(erg__hmap_put_str(&m, "k", NULL), ERG_ENOMEM);
    erg_test_alloc_fail_after(2); /* the table, then the key copy */
    ERG_FAIL(erg__hmap_put_str(&m, "k", NULL), ERG_ENOMEM);
    erg_test_alloc_fail_after(0);
    assert_null(erg__hmap_get_str(&m, "k"));
    erg__hmap_fini(&m);
}

#define T(f) ERG_TEST_WITH_ALLOC(f)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_hmap_string_keys_are_copied_and_unique),
        T(test_hmap_many_integer_keys_survive_deletes),
        T(test_hmap_put_fails_cleanly_without_memory),
    };
    return cmocka_run_group_tests_name("util.hmap", tests, NULL, NULL);
}
