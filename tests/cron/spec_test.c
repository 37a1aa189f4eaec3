/* SPDX-License-Identifier: MIT */
/* spec_test.c: crontab syntax, its errors, and next fire times across DST. */
#include "testutil.h"

#include <string.h>

#include "cron/spec.h"
#include "cron/tz.h"
#include "erg/cron.h"

/* A UTC instant (or wall-clock reading) as seconds since 1970. */
static int64_t at(int y, int mo, int d, int h, int mi) {
    return erg__tz_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60;
}

static erg_cron_spec_t parse(const char *text) {
    erg_cron_spec_t spec;
    char err[128];
    erg_err_t rv = erg__cron_spec_parse(text, &spec, err, sizeof(err));
    if (rv != ERG_OK)
        fail_msg("\"%s\": %s", text, err);
    return spec;
}

/* The next fire time of text after `after` in tz (NULL: UTC). */
static int64_t next_in(const char *text, const erg_tz_t *tz, int64_t after) {
    erg_cron_spec_t spec = parse(text);
    int64_t next = 0;
    ERG_PASS(erg__cron_next(&spec, tz, after, &next));
    return next;
}

/* Checks the next n fire times of text after from. */
static void expect_preview(const char *text, const erg_tz_t *tz, int64_t from,
                           const int64_t *want, size_t n) {
    erg_cron_spec_t spec = parse(text);
    int64_t got[16];
    assert_true(n <= 16);
    ERG_PASS(erg__cron_preview(&spec, tz, from, n, got));
    for (size_t i = 0; i < n; i++) {
        if (got[i] != want[i])
            fail_msg("\"%s\" fire %zu: got %lld, want %lld", text, i,
                     (long long)got[i], (long long)want[i]);
    }
}

static erg_tz_t *load(const char *name) {
    erg_tz_t *tz = NULL;
    ERG_PASS(erg_tz_load(name, &tz));
    return tz;
}

/* ---- Syntax ----------------------------------------------------------- */

static void test_spec_parses_every_syntax_form(void **state) {
    (void)state;
    erg_cron_spec_t s = parse("* * * * *");
    assert_true(s.minutes == ((uint64_t)1 << 60) - 1);
    assert_int_equal(s.hours, (1u << 24) - 1);
    assert_true(s.days_star && s.weekdays_star);
    assert_int_equal(s.weekdays, 0x7f);

    s = parse("5 0-6/2 1,15,L */3 MON-FRI");
    assert_true(s.minutes == (uint64_t)1 << 5);
    assert_int_equal(s.hours, 1u | 1u << 2 | 1u << 4 | 1u << 6);
    assert_int_equal(s.days, 1u << 1 | 1u << 15);
    assert_true(s.last_day);
    assert_false(s.days_star);
    assert_int_equal(s.months, 1u << 1 | 1u << 4 | 1u << 7 | 1u << 10);
    assert_int_equal(s.weekdays, 0x3e);

    s = parse("0 12 * jan,Mar-may sun");
    assert_int_equal(s.months, 1u << 1 | 1u << 3 | 1u << 4 | 1u << 5);
    assert_int_equal(s.weekdays, 1);

    /* Sunday is 0 and 7; ranges may end at 7. */
    assert_int_equal(parse("0 0 * * 7").weekdays, 1);
    assert_int_equal(parse("0 0 * * 5-7").weekdays, 1u | 1u << 5 | 1u << 6);
    assert_int_equal(parse("0 0 * * */2").weekdays, 0x55);

    s = parse("0 0 * * 5L,1#2,FRI#5,7#1");
    assert_int_equal(s.last_weekday, 1u << 5);
    assert_int_equal(s.nth[1], 1u << 2);
    assert_int_equal(s.nth[5], 1u << 5);
    assert_int_equal(s.nth[0], 1u << 1);
    assert_int_equal(s.weekdays, 0);
    assert_false(s.weekdays_star);

    /* Surrounding and repeated blanks, newlines included, are fine. */
    erg_cron_spec_t nl = parse("0 12 * * 1\r\n"), plain = parse("0 12 * * 1");
    assert_memory_equal(&nl, &plain, sizeof(nl));
    nl = parse("@daily\n");
    plain = parse("@daily");
    assert_memory_equal(&nl, &plain, sizeof(nl));
    s = parse("  */15\t  9-17 * * 1-5  ");
    assert_true(s.minutes ==
                (1u | 1u << 15 | (uint64_t)1 << 30 | (uint64_t)1 << 45));
}

static void test_spec_macros_follow_ergo(void **state) {
    (void)state;
    const struct {
        const char *macro, *same;
    } cases[] = {
        {"@hourly", "1 * * * *"},   {"@daily", "10 3 * * *"},
        {"@weekly", "30 5 * * 1"},  {"@monthly", "20 4 1 * *"},
        {"@midnight", "0 0 * * *"}, {" @daily ", "10 3 * * *"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        erg_cron_spec_t a = parse(cases[i].macro), b = parse(cases[i].same);
        assert_memory_equal(&a, &b, sizeof(a));
    }
}

static void test_spec_errors_name_the_field_and_token(void **state) {
    (void)state;
    const struct {
        const char *text, *msg;
    } cases[] = {
        {"", "0 fields, expected 5"},
        {"* * * *", "4 fields, expected 5"},
        {"* * * * * *", "more than 5 fields"},
        {"60 * * * *", "minute field: bad token \"60\""},
        {"-1 * * * *", "minute field: bad token \"-1\""},
        {"* 24 * * *", "hour field: bad token \"24\""},
        {"* * 0 * *", "day-of-month field: bad token \"0\""},
        {"* * 32 * *", "day-of-month field: bad token \"32\""},
        {"* * * 13 *", "month field: bad token \"13\""},
        {"* * * FOO *", "month field: bad token \"FOO\""},
        {"* * * * 8", "day-of-week field: bad token \"8\""},
        {"* * * * MONDAY", "day-of-week field: bad token \"MONDAY\""},
        {"*/0 * * * *", "minute field: bad token \"*/0\": a step"},
        {"*/60 * * * *", "minute field: bad token \"*/60\""},
        {"*/ * * * *", "minute field: bad token \"*/\""},
        {"5-1 * * * *", "bad token \"5-1\": a range must not run"},
        {"5/2 * * * *", "bad token \"5/2\": a step needs a range"},
        {"1-2-3 * * * *", "bad token \"1-2-3\""},
        {"1,,2 * * * *", "minute field: bad token \"\": empty"},
        {"1, * * * *", "minute field: bad token \"\": empty"},
        {"*,5 * * * *", "bad token \"*\": '*' cannot be combined"},
        {"** * * * *", "bad token \"**\""},
        {"* * L5 * *", "day-of-month field: bad token \"L5\""},
        {"* * * * L", "day-of-week field: bad token \"L\""},
        {"* * * * 8L", "day-of-week field: bad token \"8L\""},
        {"* * * * 5LL", "bad token \"5LL\": text after 'L'"},
        {"* * * * 1#6", "bad token \"1#6\": '#' takes"},
        {"* * * * 1#0", "bad token \"1#0\""},
        {"* * * * 1#", "bad token \"1#\""},
        {"* * * * 1#22", "bad token \"1#22\""},
        {"* * * L *", "month field: bad token \"L\""},
        {"1000 * * * *", "minute field: bad token \"1000\""},
        {"@yearly", "unknown macro \"@yearly\""},
        {"@reboot", "unknown macro \"@reboot\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        erg_cron_spec_t spec;
        char err[160] = "unset";
        erg_err_t rv =
            erg__cron_spec_parse(cases[i].text, &spec, err, sizeof(err));
        if (rv != ERG_EINVAL)
            fail_msg("\"%s\" was accepted", cases[i].text);
        if (strstr(err, cases[i].msg) == NULL)
            fail_msg("\"%s\": message \"%s\" lacks \"%s\"", cases[i].text, err,
                     cases[i].msg);
    }
    /* A tiny buffer is truncated, never overrun; NULL is allowed. */
    char tiny[8];
    erg_cron_spec_t spec;
    ERG_FAIL(erg__cron_spec_parse("x * * * *", &spec, tiny, sizeof(tiny)),
             ERG_EINVAL);
    assert_int_equal(strlen(tiny), 7);
    ERG_FAIL(erg__cron_spec_parse("x * * * *", &spec, NULL, 0), ERG_EINVAL);
    ERG_FAIL(erg__cron_spec_parse(NULL, &spec, NULL, 0), ERG_EINVAL);
}

static void test_spec_public_parse_allocates_and_frees(void **state) {
    (void)state;
    erg_cron_spec_t *spec = NULL;
    char err[64];
    ERG_PASS(erg_cron_spec_parse("0 9 * * 1-5", &spec, err, sizeof(err)));
    int64_t out[3];
    /* 2026-01-02 is a Friday: then Monday 5th, Tuesday 6th. */
    ERG_PASS(erg_cron_preview(spec, NULL, at(2026, 1, 2, 8, 0), 3, out));
    assert_int_equal(out[0], at(2026, 1, 2, 9, 0));
    assert_int_equal(out[1], at(2026, 1, 5, 9, 0));
    assert_int_equal(out[2], at(2026, 1, 6, 9, 0));
    int64_t next;
    ERG_PASS(erg_cron_next(spec, NULL, out[2], &next));
    assert_int_equal(next, at(2026, 1, 7, 9, 0));
    erg_cron_spec_free(spec);
    erg_cron_spec_free(NULL);

    erg_cron_spec_t *bad = NULL;
    ERG_FAIL(erg_cron_spec_parse("61 * * * *", &bad, err, sizeof(err)),
             ERG_EINVAL);
    assert_null(bad);
    assert_int_equal(erg_test_alloc_live(), 0);

    erg_test_alloc_fail_after(1);
    ERG_FAIL(erg_cron_spec_parse("* * * * *", &bad, NULL, 0), ERG_ENOMEM);
    erg_test_alloc_fail_after(0);
}

/* ---- Calendar edge cases (UTC) ---------------------------------------- */

static void test_next_is_strictly_after_and_minute_aligned(void **state) {
    (void)state;
    int64_t t = at(2026, 5, 5, 10, 0);
    assert_int_equal(next_in("* * * * *", NULL, t), t + 60);
    assert_int_equal(next_in("* * * * *", NULL, t + 59), t + 60);
    assert_int_equal(next_in("0 10 * * *", NULL, t), at(2026, 5, 6, 10, 0));
    assert_int_equal(next_in("0 10 * * *", NULL, t - 1), t);
    /* Before 1970 works too. */
    assert_int_equal(next_in("0 0 1 1 *", NULL, at(1960, 6, 1, 0, 0)),
                     at(1961, 1, 1, 0, 0));
}

static void test_next_feb_29_only_in_leap_years(void **state) {
    (void)state;
    const int64_t want[] = {at(2028, 2, 29, 0, 0), at(2032, 2, 29, 0, 0)};
    expect_preview("0 0 29 2 *", NULL, at(2025, 1, 1, 0, 0), want, 2);
    /* 2100 is not a leap year: eight years between. */
    assert_int_equal(next_in("0 0 29 2 *", NULL, at(2096, 3, 1, 0, 0)),
                     at(2104, 2, 29, 0, 0));
}

static void test_next_last_day_of_february(void **state) {
    (void)state;
    const int64_t want[] = {at(2027, 2, 28, 0, 0), at(2028, 2, 29, 0, 0)};
    expect_preview("0 0 L 2 *", NULL, at(2027, 1, 1, 0, 0), want, 2);
    const int64_t each[] = {at(2026, 1, 31, 12, 0), at(2026, 2, 28, 12, 0),
                            at(2026, 3, 31, 12, 0), at(2026, 4, 30, 12, 0)};
    expect_preview("0 12 L * *", NULL, at(2026, 1, 1, 0, 0), each, 4);
}

static void test_next_day_31_skips_short_months(void **state) {
    (void)state;
    const int64_t want[] = {at(2026, 3, 31, 0, 0), at(2026, 5, 31, 0, 0),
                            at(2026, 7, 31, 0, 0), at(2026, 8, 31, 0, 0),
                            at(2026, 10, 31, 0, 0)};
    expect_preview("0 0 31 * *", NULL, at(2026, 1, 31, 0, 0), want, 5);
}

static void test_next_fifth_friday_skips_months_without_one(void **state) {
    (void)state;
    const int64_t want[] = {at(2026, 1, 30, 0, 0), at(2026, 5, 29, 0, 0),
                            at(2026, 7, 31, 0, 0), at(2026, 10, 30, 0, 0),
                            at(2027, 1, 29, 0, 0)};
    expect_preview("0 0 * * 5#5", NULL, at(2026, 1, 1, 0, 0), want, 5);
}

static void test_next_nth_and_last_weekday(void **state) {
    (void)state;
    const int64_t second_monday[] = {
        at(2026, 1, 12, 8, 0), at(2026, 2, 9, 8, 0), at(2026, 3, 9, 8, 0)};
    expect_preview("0 8 * * 1#2", NULL, at(2026, 1, 1, 0, 0), second_monday, 3);
    const int64_t last_friday[] = {at(2026, 1, 30, 8, 0), at(2026, 2, 27, 8, 0),
                                   at(2026, 3, 27, 8, 0)};
    expect_preview("0 8 * * 5L", NULL, at(2026, 1, 1, 0, 0), last_friday, 3);
    expect_preview("0 8 * * FRIL", NULL, at(2026, 1, 1, 0, 0), last_friday, 3);
}

static void test_next_steps_wrap_at_the_field_end(void **state) {
    (void)state;
    const int64_t want[] = {at(2026, 1, 1, 0, 56), at(2026, 1, 1, 1, 0),
                            at(2026, 1, 1, 1, 7)};
    expect_preview("*/7 * * * *", NULL, at(2026, 1, 1, 0, 50), want, 3);
    const int64_t hours[] = {at(2026, 1, 1, 20, 0), at(2026, 1, 2, 0, 0),
                             at(2026, 1, 2, 5, 0)};
    expect_preview("0 */5 * * *", NULL, at(2026, 1, 1, 16, 0), hours, 3);
    const int64_t ranged[] = {at(2026, 1, 1, 10, 50), at(2026, 1, 1, 11, 10),
                              at(2026, 1, 1, 11, 30)};
    expect_preview("10-50/20 * * * *", NULL, at(2026, 1, 1, 10, 30), ranged, 3);
}

static void test_next_sunday_is_zero_and_seven(void **state) {
    (void)state;
    int64_t from = at(2026, 1, 1, 0, 0); /* a Thursday */
    assert_int_equal(next_in("0 12 * * 0", NULL, from), at(2026, 1, 4, 12, 0));
    assert_int_equal(next_in("0 12 * * 7", NULL, from), at(2026, 1, 4, 12, 0));
    assert_int_equal(next_in("0 12 * * SUN", NULL, from),
                     at(2026, 1, 4, 12, 0));
    assert_int_equal(next_in("0 12 * * 7#1", NULL, from),
                     at(2026, 1, 4, 12, 0));
}

static void test_next_day_fields_or_when_both_restricted(void **state) {
    (void)state;
    /* The 13th or any Monday. */
    const int64_t want[] = {at(2026, 2, 2, 0, 0), at(2026, 2, 9, 0, 0),
                            at(2026, 2, 13, 0, 0), at(2026, 2, 16, 0, 0)};
    expect_preview("0 0 13 * 1", NULL, at(2026, 2, 1, 0, 0), want, 4);
    /* A bare '*' leaves the other field alone in charge. */
    assert_int_equal(next_in("0 0 * * 1", NULL, at(2026, 2, 10, 0, 0)),
                     at(2026, 2, 16, 0, 0));
    assert_int_equal(next_in("0 0 13 * *", NULL, at(2026, 2, 1, 0, 0)),
                     at(2026, 2, 13, 0, 0));
    /* '*' with a step is a restriction: every other day or Monday. */
    assert_int_equal(next_in("0 0 */2 * 1", NULL, at(2026, 2, 1, 0, 0)),
                     at(2026, 2, 2, 0, 0));
}

static void test_next_macros_fire_at_ergo_times(void **state) {
    (void)state;
    int64_t from = at(2026, 1, 1, 10, 0); /* Thursday */
    assert_int_equal(next_in("@hourly", NULL, from), at(2026, 1, 1, 10, 1));
    assert_int_equal(next_in("@daily", NULL, from), at(2026, 1, 2, 3, 10));
    assert_int_equal(next_in("@weekly", NULL, from), at(2026, 1, 5, 5, 30));
    assert_int_equal(next_in("@monthly", NULL, from), at(2026, 2, 1, 4, 20));
    assert_int_equal(next_in("@midnight", NULL, from), at(2026, 1, 2, 0, 0));
}

static void test_next_reports_specs_that_never_fire(void **state) {
    (void)state;
    erg_cron_spec_t spec = parse("0 0 30 2 *");
    int64_t next = 0;
    ERG_FAIL(erg__cron_next(&spec, NULL, at(2026, 1, 1, 0, 0), &next),
             ERG_ENOENT);
    spec = parse("0 0 31 4,6,9,11 *");
    ERG_FAIL(erg__cron_next(&spec, NULL, 0, &next), ERG_ENOENT);
    ERG_FAIL(erg__cron_next(&spec, NULL, at(10000, 1, 1, 0, 0), &next),
             ERG_EINVAL);
    ERG_FAIL(erg__cron_next(NULL, NULL, 0, &next), ERG_EINVAL);
    ERG_FAIL(erg__cron_preview(&spec, NULL, 0, 1, NULL), ERG_EINVAL);
}

/* ---- Time zones and DST ----------------------------------------------- */

static void test_next_new_york_spring_forward_skips_the_gap(void **state) {
    (void)state;
    erg_tz_t *ny = load("America/New_York");
    /* 2026-03-08: 02:00 EST -> 03:00 EDT. 02:30 does not exist that day. */
    const int64_t gap[] = {at(2026, 3, 7, 7, 30), at(2026, 3, 9, 6, 30)};
    expect_preview("30 2 * * *", ny, at(2026, 3, 7, 0, 0), gap, 2);
    /* 00:30 (EST) and 03:30 (EDT) on the day itself are untouched. */
    assert_int_equal(next_in("30 0 * * *", ny, at(2026, 3, 8, 0, 0)),
                     at(2026, 3, 8, 5, 30));
    assert_int_equal(next_in("30 3 * * *", ny, at(2026, 3, 8, 0, 0)),
                     at(2026, 3, 8, 7, 30));
    /* An every-minute job jumps from 01:59 EST to 03:00 EDT. */
    assert_int_equal(next_in("* * * * *", ny, at(2026, 3, 8, 6, 59)),
                     at(2026, 3, 8, 7, 0));
    erg_tz_free(ny);
}

static void test_next_new_york_fall_back_fires_once(void **state) {
    (void)state;
    erg_tz_t *ny = load("America/New_York");
    /* 2026-11-01: 02:00 EDT -> 01:00 EST; 01:30 happens twice. */
    const int64_t once[] = {at(2026, 11, 1, 5, 30), at(2026, 11, 2, 6, 30)};
    expect_preview("30 1 * * *", ny, at(2026, 10, 31, 12, 0), once, 2);
    /* Sub-hourly jobs too: the repeated hour does not fire again. */
    const int64_t half[] = {at(2026, 11, 1, 5, 0), at(2026, 11, 1, 5, 30),
                            at(2026, 11, 1, 7, 0), at(2026, 11, 1, 7, 30)};
    expect_preview("*/30 * * * *", ny, at(2026, 11, 1, 4, 45), half, 4);
    /* Asked from inside the second pass (01:10 EST), 01:45 is done. */
    assert_int_equal(next_in("45 1 * * *", ny, at(2026, 11, 1, 6, 10)),
                     at(2026, 11, 2, 6, 45));
    assert_int_equal(next_in("30 0 * * *", ny, at(2026, 11, 1, 0, 0)),
                     at(2026, 11, 1, 4, 30));
    assert_int_equal(next_in("30 3 * * *", ny, at(2026, 11, 1, 0, 0)),
                     at(2026, 11, 1, 8, 30));
    erg_tz_free(ny);
}

static void test_next_berlin_both_directions(void **state) {
    (void)state;
    erg_tz_t *be = load("Europe/Berlin");
    /* 2026-03-29 02:00 CET -> 03:00 CEST. */
    const int64_t spring[] = {at(2026, 3, 28, 1, 30), at(2026, 3, 30, 0, 30)};
    expect_preview("30 2 * * *", be, at(2026, 3, 28, 0, 0), spring, 2);
    assert_int_equal(next_in("30 0 * * *", be, at(2026, 3, 28, 12, 0)),
                     at(2026, 3, 28, 23, 30));
    assert_int_equal(next_in("30 3 * * *", be, at(2026, 3, 28, 12, 0)),
                     at(2026, 3, 29, 1, 30));
    /* 2026-10-25 03:00 CEST -> 02:00 CET; 02:30 fires once, as CEST. */
    const int64_t fall[] = {at(2026, 10, 25, 0, 30), at(2026, 10, 26, 1, 30)};
    expect_preview("30 2 * * *", be, at(2026, 10, 24, 12, 0), fall, 2);
    assert_int_equal(next_in("30 0 * * *", be, at(2026, 10, 24, 12, 0)),
                     at(2026, 10, 24, 22, 30));
    assert_int_equal(next_in("30 3 * * *", be, at(2026, 10, 24, 12, 0)),
                     at(2026, 10, 25, 2, 30));
    erg_tz_free(be);
}

static void test_next_uses_the_footer_rule_in_2100(void **state) {
    (void)state;
    erg_tz_t *ny = load("America/New_York");
    assert_int_equal(next_in("0 12 4 7 *", ny, at(2100, 1, 1, 0, 0)),
                     at(2100, 7, 4, 16, 0));
    assert_int_equal(next_in("0 12 25 12 *", ny, at(2100, 1, 1, 0, 0)),
                     at(2100, 12, 25, 17, 0));
    /* 2100-03-14 02:30 is in the gap: the next one is 2101 (EDT then). */
    assert_int_equal(next_in("30 2 14 3 *", ny, at(2100, 1, 1, 0, 0)),
                     at(2101, 3, 14, 6, 30));
    erg_tz_free(ny);
}

static void test_next_odd_offsets(void **state) {
    (void)state;
    erg_tz_t *lh = load("Australia/Lord_Howe");
    /* 2026-10-04 02:00 -> 02:30: 02:15 is skipped that day only. */
    const int64_t gap[] = {at(2026, 10, 2, 15, 45), at(2026, 10, 4, 15, 15)};
    expect_preview("15 2 * * *", lh, at(2026, 10, 2, 0, 0), gap, 2);
    /* 2026-04-05 02:00 -> 01:30: 01:45 fires once, at +11. */
    const int64_t overlap[] = {at(2026, 4, 4, 14, 45), at(2026, 4, 5, 15, 15)};
    expect_preview("45 1 * * *", lh, at(2026, 4, 4, 0, 0), overlap, 2);
    erg_tz_free(lh);
    erg_tz_t *ktm = load("Asia/Kathmandu");
    assert_int_equal(next_in("0 9 * * *", ktm, at(2026, 1, 1, 0, 0)),
                     at(2026, 1, 1, 3, 15));
    erg_tz_free(ktm);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_parses_every_syntax_form),
        cmocka_unit_test(test_spec_macros_follow_ergo),
        cmocka_unit_test(test_spec_errors_name_the_field_and_token),
        cmocka_unit_test(test_spec_public_parse_allocates_and_frees),
        cmocka_unit_test(test_next_is_strictly_after_and_minute_aligned),
        cmocka_unit_test(test_next_feb_29_only_in_leap_years),
        cmocka_unit_test(test_next_last_day_of_february),
        cmocka_unit_test(test_next_day_31_skips_short_months),
        cmocka_unit_test(test_next_fifth_friday_skips_months_without_one),
        cmocka_unit_test(test_next_nth_and_last_weekday),
        cmocka_unit_test(test_next_steps_wrap_at_the_field_end),
        cmocka_unit_test(test_next_sunday_is_zero_and_seven),
        cmocka_unit_test(test_next_day_fields_or_when_both_restricted),
        cmocka_unit_test(test_next_macros_fire_at_ergo_times),
        cmocka_unit_test(test_next_reports_specs_that_never_fire),
        cmocka_unit_test(test_next_new_york_spring_forward_skips_the_gap),
        cmocka_unit_test(test_next_new_york_fall_back_fires_once),
        cmocka_unit_test(test_next_berlin_both_directions),
        cmocka_unit_test(test_next_uses_the_footer_rule_in_2100),
        cmocka_unit_test(test_next_odd_offsets),
    };
    return cmocka_run_group_tests_name("cron.spec", tests, erg_test_setup_alloc,
                                       erg_test_teardown_alloc);
}
