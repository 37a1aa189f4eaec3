/* SPDX-License-Identifier: MIT */
/* tz_test.c: zones from zoneinfo, POSIX footer rules, gaps and overlaps. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cron/tz.h"
#include "util/alloc.h"

/* A wall-clock reading or a UTC instant, as seconds since 1970. */
static int64_t at(int y, int mo, int d, int h, int mi) {
    return erg__tz_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60;
}

static erg_tz_t *load(const char *name) {
    erg_tz_t *tz = NULL;
    ERG_PASS(erg_tz_load(name, &tz));
    assert_non_null(tz);
    return tz;
}

static void expect_info(const erg_tz_t *tz, int64_t t, int32_t utoff, bool dst,
                        const char *abbr) {
    erg__tz_info_t info;
    ERG_PASS(erg__tz_lookup(tz, t, &info));
    assert_int_equal(info.utoff, utoff);
    assert_int_equal(info.is_dst, dst);
    assert_string_equal(info.abbr, abbr);
}

static void expect_local(const erg_tz_t *tz, int64_t local, erg__tz_kind_t kind,
                         int64_t first, int64_t second) {
    erg__tz_local_t r;
    ERG_PASS(erg__tz_resolve(tz, local, &r));
    assert_int_equal(r.kind, kind);
    assert_int_equal(r.first, first);
    assert_int_equal(r.second, second);
}

static void test_tz_civil_calendar_round_trips(void **state) {
    (void)state;
    assert_int_equal(erg__tz_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(erg__tz_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(erg__tz_days_from_civil(1969, 12, 31), -1);
    for (int64_t days = -800000; days < 800000; days += 97) {
        int64_t y;
        int m, d;
        erg__tz_civil_from_days(days, &y, &m, &d);
        assert_int_equal(erg__tz_days_from_civil(y, m, d), days);
    }
    assert_int_equal(erg__tz_days_in_month(2024, 2), 29);
    assert_int_equal(erg__tz_days_in_month(2100, 2), 28);
    assert_int_equal(erg__tz_days_in_month(2000, 2), 29);
}

static void test_tz_utc_needs_no_files_and_never_shifts(void **state) {
    (void)state;
    const char *names[] = {"UTC", "Etc/UTC"};
    for (size_t i = 0; i < 2; i++) {
        erg_tz_t *tz = load(names[i]);
        expect_info(tz, at(2026, 7, 1, 12, 0), 0, false, "UTC");
        expect_local(tz, at(2026, 3, 8, 2, 30), ERG__TZ_UNIQUE,
                     at(2026, 3, 8, 2, 30), at(2026, 3, 8, 2, 30));
        erg_tz_free(tz);
    }
    /* NULL means UTC everywhere. */
    expect_info(NULL, 0, 0, false, "UTC");
    erg_tz_free(NULL);
}

static void test_tz_missing_or_unsafe_names_fail_cleanly(void **state) {
    (void)state;
    erg_tz_t *tz = NULL;
    ERG_FAIL(erg_tz_load("Nowhere/Atlantis", &tz), ERG_ENOENT);
    ERG_FAIL(erg_tz_load("America/New_York/x", &tz), ERG_ENOENT);
    ERG_FAIL(erg_tz_load("America", &tz), ERG_ENOENT); /* a directory */
    ERG_FAIL(erg_tz_load("", &tz), ERG_EINVAL);
    ERG_FAIL(erg_tz_load("/etc/passwd", &tz), ERG_EINVAL);
    ERG_FAIL(erg_tz_load("../../../etc/passwd", &tz), ERG_EINVAL);
    ERG_FAIL(erg_tz_load("Europe/../../etc/passwd", &tz), ERG_EINVAL);
    ERG_FAIL(erg_tz_load(NULL, &tz), ERG_EINVAL);
    assert_null(tz);
}

static void test_tz_new_york_offsets_and_abbreviations(void **state) {
    (void)state;
    erg_tz_t *tz = load("America/New_York");
    expect_info(tz, at(2026, 1, 15, 12, 0), -18000, false, "EST");
    expect_info(tz, at(2026, 7, 1, 12, 0), -14400, true, "EDT");
    /* The 2026 switches, one second either side. */
    expect_info(tz, at(2026, 3, 8, 7, 0) - 1, -18000, false, "EST");
    expect_info(tz, at(2026, 3, 8, 7, 0), -14400, true, "EDT");
    expect_info(tz, at(2026, 11, 1, 6, 0) - 1, -14400, true, "EDT");
    expect_info(tz, at(2026, 11, 1, 6, 0), -18000, false, "EST");
    /* Before the first transition: local mean time (type 0). */
    expect_info(tz, at(1800, 1, 1, 0, 0), -17762, false, "LMT");
    erg_tz_free(tz);
}

static void test_tz_new_york_gap_and_overlap(void **state) {
    (void)state;
    erg_tz_t *tz = load("America/New_York");
    /* 02:30 on 2026-03-08 does not exist; read with EST it is 03:30 EDT. */
    expect_local(tz, at(2026, 3, 8, 2, 30), ERG__TZ_GAP, at(2026, 3, 8, 7, 30),
                 at(2026, 3, 8, 7, 30));
    expect_local(tz, at(2026, 3, 8, 3, 0), ERG__TZ_UNIQUE, at(2026, 3, 8, 7, 0),
                 at(2026, 3, 8, 7, 0));
    /* 01:30 on 2026-11-01 happens at 05:30Z (EDT) and 06:30Z (EST). */
    expect_local(tz, at(2026, 11, 1, 1, 30), ERG__TZ_OVERLAP,
                 at(2026, 11, 1, 5, 30), at(2026, 11, 1, 6, 30));
    expect_local(tz, at(2026, 6, 1, 12, 0), ERG__TZ_UNIQUE,
                 at(2026, 6, 1, 16, 0), at(2026, 6, 1, 16, 0));
    erg_tz_free(tz);
}

static void test_tz_berlin_gap_and_overlap(void **state) {
    (void)state;
    erg_tz_t *tz = load("Europe/Berlin");
    expect_info(tz, at(2026, 1, 15, 12, 0), 3600, false, "CET");
    expect_info(tz, at(2026, 7, 1, 12, 0), 7200, true, "CEST");
    expect_local(tz, at(2026, 3, 29, 2, 30), ERG__TZ_GAP,
                 at(2026, 3, 29, 1, 30), at(2026, 3, 29, 1, 30));
    expect_local(tz, at(2026, 10, 25, 2, 30), ERG__TZ_OVERLAP,
                 at(2026, 10, 25, 0, 30), at(2026, 10, 25, 1, 30));
    erg_tz_free(tz);
}

static void
test_tz_footer_rule_applies_after_the_last_transition(void **state) {
    (void)state;
    erg_tz_t *tz = load("America/New_York");
    /* 2100: second Sunday of March is the 14th, first of November the 7th. */
    expect_info(tz, at(2100, 7, 4, 12, 0), -14400, true, "EDT");
    expect_info(tz, at(2100, 12, 25, 12, 0), -18000, false, "EST");
    expect_info(tz, at(2100, 3, 14, 7, 0) - 1, -18000, false, "EST");
    expect_info(tz, at(2100, 3, 14, 7, 0), -14400, true, "EDT");
    expect_info(tz, at(2100, 11, 7, 6, 0) - 1, -14400, true, "EDT");
    expect_info(tz, at(2100, 11, 7, 6, 0), -18000, false, "EST");
    expect_local(tz, at(2100, 3, 14, 2, 30), ERG__TZ_GAP,
                 at(2100, 3, 14, 7, 30), at(2100, 3, 14, 7, 30));
    expect_local(tz, at(2100, 11, 7, 1, 30), ERG__TZ_OVERLAP,
                 at(2100, 11, 7, 5, 30), at(2100, 11, 7, 6, 30));
    erg_tz_free(tz);
}

static void test_tz_odd_offsets_lord_howe_and_kathmandu(void **state) {
    (void)state;
    erg_tz_t *tz = load("Australia/Lord_Howe");
    expect_info(tz, at(2026, 1, 15, 0, 0), 39600, true, "+11");
    expect_info(tz, at(2026, 7, 15, 0, 0), 37800, false, "+1030");
    /* 2026-10-04 02:00 -> 02:30: a 30-minute gap. */
    expect_local(tz, at(2026, 10, 4, 2, 15), ERG__TZ_GAP,
                 at(2026, 10, 3, 15, 45), at(2026, 10, 3, 15, 45));
    /* 2026-04-05 02:00 -> 01:30: 01:45 happens twice, 30 minutes apart. */
    expect_local(tz, at(2026, 4, 5, 1, 45), ERG__TZ_OVERLAP,
                 at(2026, 4, 4, 14, 45), at(2026, 4, 4, 15, 15));
    erg_tz_free(tz);
    tz = load("Asia/Kathmandu");
    expect_info(tz, at(2026, 1, 1, 0, 0), 20700, false, "+0545");
    expect_local(tz, at(2026, 1, 1, 9, 0), ERG__TZ_UNIQUE,
                 at(2026, 1, 1, 3, 15), at(2026, 1, 1, 3, 15));
    erg_tz_free(tz);
}

/* ---- Synthetic TZif data ----------------------------------------------- */

static void put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* A v2 file with no transitions, one type (utoff, "ZZZ") and a footer. */
static size_t make_tzif(uint8_t *buf, int32_t utoff, const char *footer) {
    size_t n = 0;
    for (int part = 0; part < 2; part++) {
        memset(buf + n, 0, 44);
        memcpy(buf + n, "TZif2", 5);
        put32(buf + n + 36, 1); /* typecnt */
        put32(buf + n + 40, 4); /* charcnt */
        n += 44;
        put32(buf + n, (uint32_t)utoff);
        buf[n + 4] = 0;
        buf[n + 5] = 0;
        memcpy(buf + n + 6, "ZZZ", 4);
        n += 10;
    }
    n += (size_t)sprintf((char *)buf + n, "\n%s\n", footer);
    return n;
}

static erg_tz_t *from_footer(const char *footer) {
    uint8_t buf[256];
    size_t n = make_tzif(buf, 0, footer);
    erg_tz_t *tz = NULL;
    ERG_PASS(erg__tz_parse(buf, n, &tz));
    return tz;
}

static void test_tz_posix_rules_m_j_and_n_forms(void **state) {
    (void)state;
    /* Southern hemisphere: DST from October to April, /3 end time. */
    erg_tz_t *tz = from_footer("AEST-10AEDT,M10.1.0,M4.1.0/3");
    expect_info(tz, at(2030, 1, 10, 0, 0), 39600, true, "AEDT");
    expect_info(tz, at(2030, 6, 10, 0, 0), 36000, false, "AEST");
    /* 2030-04-07 03:00 AEDT = 2030-04-06 16:00Z. */
    expect_info(tz, at(2030, 4, 6, 16, 0) - 1, 39600, true, "AEDT");
    expect_info(tz, at(2030, 4, 6, 16, 0), 36000, false, "AEST");
    erg__tz_free(tz);
    /* Jn never counts Feb 29: J60 is March 1 even in 2032. */
    tz = from_footer("XST3XDT,J60/0,J300/0");
    expect_info(tz, at(2032, 3, 1, 3, 0) - 1, -10800, false, "XST");
    expect_info(tz, at(2032, 3, 1, 3, 0), -7200, true, "XDT");
    erg__tz_free(tz);
    /* n counts from 0 and does count Feb 29: 59 is March 1 in 2031 and
     * Feb 29 in 2032. */
    tz = from_footer("<-03>3<-02>,59/0,300/0");
    expect_info(tz, at(2031, 3, 1, 3, 0), -7200, true, "-02");
    expect_info(tz, at(2032, 2, 29, 3, 0), -7200, true, "-02");
    expect_info(tz, at(2032, 2, 28, 12, 0), -10800, false, "-03");
    erg__tz_free(tz);
    /* A fixed zone with angle-bracket name and minutes. */
    tz = from_footer("<+0545>-5:45");
    expect_info(tz, at(2050, 1, 1, 0, 0), 20700, false, "+0545");
    erg__tz_free(tz);
    /* A malformed footer is ignored: the last type holds. */
    tz = from_footer("EST5EDT,M13.1.0,M11.1.0");
    expect_info(tz, at(2050, 7, 1, 0, 0), 0, false, "ZZZ");
    erg__tz_free(tz);
}

static uint8_t *read_zone_file(const char *name, size_t *len) {
    char path[256];
    snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t *buf = malloc(1 << 16);
    assert_non_null(buf);
    *len = fread(buf, 1, 1 << 16, f);
    fclose(f);
    return buf;
}

static void test_tz_truncated_and_corrupt_files_never_crash(void **state) {
    (void)state;
    size_t len;
    uint8_t *buf = read_zone_file("Europe/Berlin", &len);
    erg_tz_t *tz = NULL;
    ERG_PASS(erg__tz_parse(buf, len, &tz));
    erg__tz_free(tz);
    /* Every prefix: either a clean error or a zone that still answers. */
    for (size_t n = 0; n < len; n++) {
        tz = NULL;
        erg_err_t rv = erg__tz_parse(buf, n, &tz);
        if (rv == ERG_OK) {
            erg__tz_info_t info;
            ERG_PASS(erg__tz_lookup(tz, at(2100, 1, 1, 0, 0), &info));
            erg__tz_free(tz);
        } else {
            assert_int_equal(rv, ERG_EDECODE);
        }
    }
    /* Each byte flipped in turn. */
    uint8_t *copy = malloc(len);
    assert_non_null(copy);
    for (size_t i = 0; i < len; i++) {
        memcpy(copy, buf, len);
        copy[i] ^= 0xff;
        tz = NULL;
        if (erg__tz_parse(copy, len, &tz) == ERG_OK) {
            erg__tz_local_t r;
            ERG_PASS(erg__tz_resolve(tz, at(2026, 3, 29, 2, 30), &r));
            erg__tz_free(tz);
        }
    }
    free(copy);
    free(buf);
    ERG_FAIL(erg__tz_parse((const uint8_t *)"TZif", 4, &tz), ERG_EDECODE);
    ERG_FAIL(erg__tz_lookup(NULL, ERG__TZ_LIMIT, &(erg__tz_info_t){0}),
             ERG_EINVAL);
}

static void test_tz_out_of_memory_fails_without_leaks(void **state) {
    (void)state;
    for (long n = 1; n < 10; n++) {
        erg_test_alloc_fail_after(n);
        erg_tz_t *tz = NULL;
        erg_err_t rv = erg_tz_load("Europe/Berlin", &tz);
        erg_test_alloc_fail_after(0);
        if (rv == ERG_OK) {
            erg_tz_free(tz);
            break;
        }
        assert_int_equal(rv, ERG_ENOMEM);
    }
    assert_int_equal(erg_test_alloc_live(), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tz_civil_calendar_round_trips),
        cmocka_unit_test(test_tz_utc_needs_no_files_and_never_shifts),
        cmocka_unit_test(test_tz_missing_or_unsafe_names_fail_cleanly),
        cmocka_unit_test(test_tz_new_york_offsets_and_abbreviations),
        cmocka_unit_test(test_tz_new_york_gap_and_overlap),
        cmocka_unit_test(test_tz_berlin_gap_and_overlap),
        cmocka_unit_test(test_tz_footer_rule_applies_after_the_last_transition),
        cmocka_unit_test(test_tz_odd_offsets_lord_howe_and_kathmandu),
        cmocka_unit_test(test_tz_posix_rules_m_j_and_n_forms),
        cmocka_unit_test(test_tz_truncated_and_corrupt_files_never_crash),
        cmocka_unit_test(test_tz_out_of_memory_fails_without_leaks),
    };
    return cmocka_run_group_tests_name("cron.tz", tests, erg_test_setup_alloc,
                                       erg_test_teardown_alloc);
}
