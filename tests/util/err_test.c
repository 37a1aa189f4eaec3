/* SPDX-License-Identifier: MIT */
/* err_test.c: the error table gives every code a unique name and message. */
#include "testutil.h"

#include <string.h>

static const erg_err_t all_codes[] = {
#define CODE(name, value, msg) ERG_##name,
    ERG_ERR_MAP(CODE)
#undef CODE
};
enum { NCODES = sizeof(all_codes) / sizeof(all_codes[0]) };

static void test_err_ok_is_zero_and_named(void **state) {
    (void)state;
    assert_int_equal(ERG_OK, 0);
    assert_string_equal(erg_err_name(ERG_OK), "ERG_OK");
    assert_string_equal(erg_strerror(ERG_OK), "success");
}

static void test_err_codes_are_negative_and_unique(void **state) {
    (void)state;
    for (int i = 0; i < NCODES; i++) {
        assert_true(all_codes[i] < 0);
        for (int j = i + 1; j < NCODES; j++)
            assert_int_not_equal(all_codes[i], all_codes[j]);
    }
}

static void test_err_names_match_the_enum(void **state) {
    (void)state;
    assert_string_equal(erg_err_name(ERG_ENOPROC), "ERG_ENOPROC");
    assert_string_equal(erg_err_name(ERG_EVERSION), "ERG_EVERSION");
    assert_string_equal(erg_strerror(ERG_EMBOXFULL), "mailbox is full");
    for (int i = 0; i < NCODES; i++) {
        const char *name = erg_err_name(all_codes[i]);
        assert_true(strncmp(name, "ERG_E", 5) == 0);
        for (int j = i + 1; j < NCODES; j++)
            assert_string_not_equal(name, erg_err_name(all_codes[j]));
    }
}

static void test_err_messages_are_distinct_and_nonempty(void **state) {
    (void)state;
    for (int i = 0; i < NCODES; i++) {
        const char *msg = erg_strerror(all_codes[i]);
        assert_true(strlen(msg) > 0);
        assert_string_not_equal(msg, "unknown error code");
        for (int j = i + 1; j < NCODES; j++)
            assert_string_not_equal(msg, erg_strerror(all_codes[j]));
    }
}

static void test_err_unknown_code_has_a_fallback(void **state) {
    (void)state;
    assert_string_equal(erg_strerror((erg_err_t)-9999), "unknown error code");
    assert_string_equal(erg_err_name((erg_err_t)12345), "ERG_UNKNOWN_CODE");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err_ok_is_zero_and_named),
        cmocka_unit_test(test_err_codes_are_negative_and_unique),
        cmocka_unit_test(test_err_names_match_the_enum),
        cmocka_unit_test(test_err_messages_are_distinct_and_nonempty),
        cmocka_unit_test(test_err_unknown_code_has_a_fallback),
    };
    return cmocka_run_group_tests_name("util.err", tests, NULL, NULL);
}
