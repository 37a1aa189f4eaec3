/* SPDX-License-Identifier: MIT */
/* alloc_test.c: erg__malloc and friends go through the installed hook. */
#include "testutil.h"

#include <string.h>

#include "erg/alloc.h"
#include "util/alloc.h"

static void test_alloc_routes_through_installed_hook(void **state) {
    (void)state;
    long before = erg_test_alloc_count();
    void *p = erg__malloc(32);
    assert_non_null(p);
    assert_int_equal(erg_test_alloc_live(), 1);
    assert_int_equal(erg_test_alloc_count(), before + 1);
    erg__free(p);
    assert_int_equal(erg_test_alloc_live(), 0);
}

static void test_alloc_calloc_zeroes_and_realloc_keeps_content(void **state) {
    (void)state;
    unsigned char *p = erg__calloc(8, 4);
    assert_non_null(p);
    for (int i = 0; i < 32; i++)
        assert_int_equal(p[i], 0);
    memset(p, 0xab, 32);
    unsigned char *q = erg__realloc(p, 4096);
    assert_non_null(q);
    for (int i = 0; i < 32; i++)
        assert_int_equal(q[i], 0xab);
    erg__free(q);
    assert_int_equal(erg_test_alloc_live(), 0);
}

static void test_alloc_free_null_is_a_noop(void **state) {
    (void)state;
    erg__free(NULL);
    assert_int_equal(erg_test_alloc_live(), 0);
}

static void test_alloc_strdup_copies(void **state) {
    (void)state;
    char *s = erg__strdup("actor");
    assert_non_null(s);
    assert_string_equal(s, "actor");
    erg__free(s);
}

static void test_alloc_injected_failure_returns_null(void **state) {
    (void)state;
    erg_test_alloc_fail_after(2);
    void *a = erg__malloc(16);
    assert_non_null(a);
    assert_null(erg__malloc(16));
    assert_null(erg__strdup("x"));
    erg_test_alloc_fail_after(0);
    void *b = erg__malloc(16);
    assert_non_null(b);
    erg__free(a);
    erg__free(b);
}

static void test_alloc_grow_doubles_and_keeps_content(void **state) {
    (void)state;
    int *a = NULL;
    size_t n = 0, cap = 0;
    for (int i = 0; i < 20; i++) {
        assert_true(erg__grow((void **)&a, &cap, n, sizeof(*a)));
        a[n++] = i;
    }
    assert_int_equal(cap, 32); /* 8, 16, 32 */
    for (int i = 0; i < 20; i++)
        assert_int_equal(a[i], i);
    /* Full and out of memory: false, and the array is untouched. */
    while (n < cap)
        a[n++] = 0;
    erg_test_alloc_fail_after(1);
    int *before = a;
    assert_false(erg__grow((void **)&a, &cap, n, sizeof(*a)));
    erg_test_alloc_fail_after(0);
    assert_ptr_equal(a, before);
    assert_int_equal(cap, 32);
    assert_int_equal(a[19], 19);
    erg__free(a);
}

static void test_alloc_rejects_partial_allocator(void **state) {
    (void)state;
    ERG_FAIL(erg_set_allocator(NULL, NULL, NULL, NULL), ERG_EINVAL);
    /* The counting allocator is still the one installed. */
    void *p = erg__malloc(1);
    assert_int_equal(erg_test_alloc_live(), 1);
    erg__free(p);
}

static int setup(void **state) {
    return erg_test_setup_alloc(state);
}

static int teardown(void **state) {
    erg_test_alloc_check_and_remove();
    (void)state;
    erg_test_alloc_install();
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_alloc_routes_through_installed_hook,
                                  teardown),
        cmocka_unit_test_teardown(
            test_alloc_calloc_zeroes_and_realloc_keeps_content, teardown),
        cmocka_unit_test_teardown(test_alloc_free_null_is_a_noop, teardown),
        cmocka_unit_test_teardown(test_alloc_strdup_copies, teardown),
        cmocka_unit_test_teardown(test_alloc_injected_failure_returns_null,
                                  teardown),
        cmocka_unit_test_teardown(test_alloc_grow_doubles_and_keeps_content,
                                  teardown),
        cmocka_unit_test_teardown(test_alloc_rejects_partial_allocator,
                                  teardown),
    };
    return cmocka_run_group_tests_name("util.alloc", tests, setup,
                                       erg_test_teardown_alloc);
}
